# lakebench: `make run` opens the built-in sample, `make test` runs every test,
# `make install` puts the lakebench command on your PATH.
GO ?= go
BIN := bin/lakebench
export CGO_ENABLED := 1
# duckdb_arrow builds duckdb-go's Arrow interface, which lakehouse.ReadColumns
# reads training columns through (without it, a slower database/sql scan).
TAGS ?= duckdb_arrow

# BINDIR is where go install puts commands: $(go env GOBIN), else the first
# entry of $(go env GOPATH) plus /bin (~/go/bin by default).
BINDIR = $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)

.PHONY: all build run install test bench bench-ml lint fmt clean e2e

all: build

build:
	$(GO) build -tags '$(TAGS)' -o $(BIN) ./cmd/lakebench

run: build
	./$(BIN)

# install builds with go install and says whether BINDIR is on PATH.
install:
	$(GO) install -tags '$(TAGS)' ./cmd/lakebench
	@echo "installed $(BINDIR)/lakebench"
	@case ":$$PATH:" in *":$(BINDIR):"*) ;; \
	*) echo "$(BINDIR) is not on your PATH: add it (in ~/.profile too), for example"; \
	   echo "  export PATH=\"$(BINDIR):\$$PATH\"";; esac

# vet runs without the tags too: a plain `go build` must keep building.
test: build
	$(GO) vet -tags '$(TAGS)' ./...
	$(GO) vet ./...
	$(GO) test -tags '$(TAGS)' -timeout 45m ./...
	@if command -v tmux >/dev/null 2>&1; then ./scripts/e2e.sh $(BIN); \
	else echo "tmux not found: skipping the TUI end-to-end script (make e2e)"; fi

# BenchmarkProdRun takes minutes an iteration: it runs once, after the rest.
# The ML figures (1M rows x 20 features against scikit-learn, measured in
# the same run: BenchmarkReadColumns1M, BenchmarkFitLogistic1M,
# BenchmarkTrain1M) are among them; make bench-ml runs those alone.
bench: build
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -skip BenchmarkProdRun -benchtime 3x -timeout 60m ./... | tee bench.txt
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench BenchmarkProdRun -benchtime 1x -timeout 30m ./pipeline | tee -a bench.txt

bench-ml:
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench 'BenchmarkReadColumns1M|BenchmarkFitLogistic1M|BenchmarkTrain1M' -benchtime 3x -timeout 60m ./lakehouse ./ml | tee bench-ml.txt

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags '$(TAGS)' ./...
	$(GO) vet ./...

fmt:
	gofmt -w .

e2e: build
	./scripts/e2e.sh $(BIN)

clean:
	rm -rf bin bench.txt bench-ml.txt
