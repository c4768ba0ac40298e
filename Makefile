# lakebench: `make run` opens the built-in sample, `make test` runs every test.
GO ?= go
BIN := bin/lakebench
export CGO_ENABLED := 1

.PHONY: all build run test bench lint fmt clean e2e

all: build

build:
	$(GO) build -o $(BIN) ./cmd/lakebench

run: build
	./$(BIN)

test: build
	$(GO) vet ./...
	$(GO) test -timeout 45m ./...
	@if command -v tmux >/dev/null 2>&1; then ./scripts/e2e.sh $(BIN); \
	else echo "tmux not found: skipping the TUI end-to-end script (make e2e)"; fi

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 60m ./... | tee bench.txt

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w .

e2e: build
	./scripts/e2e.sh $(BIN)

clean:
	rm -rf bin bench.txt
