package lakehouse

import (
	"context"
	"path/filepath"
	"testing"
)

// TestUseThreads: UseThreads sets the threads DuckDB uses, within those
// set at Open and at least 1; a read-only session keeps its own.
func TestUseThreads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	lh, err := Open(ctx, path, Options{Holder: t.Name(), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	threads := func() int64 {
		t.Helper()
		var n int64
		if err := lh.db.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct{ use, want int64 }{{1, 1}, {5, 2}, {0, 1}, {2, 2}} {
		lh.UseThreads(ctx, int(tc.use))
		lh.WaitThreads()
		if got := threads(); got != tc.want {
			t.Errorf("UseThreads(%d): DuckDB uses %d threads, want %d", tc.use, got, tc.want)
		}
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, path, Options{ReadOnly: true, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro.UseThreads(ctx, 1)
	if ro.usedThreads != 2 {
		t.Errorf("a read-only session changed its threads to %d", ro.usedThreads)
	}
}

// TestUseThreadsKeepsTheCatalog: sharing the threads (a SET of threads,
// several times a run) moves neither the catalog's clock nor the
// functions', so what the tasks read of both is still kept.
func TestUseThreadsKeepsTheCatalog(t *testing.T) {
	ctx := context.Background()
	lh := openTwoThreads(t)
	defer lh.Close()
	fnAt, _ := functionClock.start()
	catAt, _ := catalogClock.start()
	lh.UseThreads(ctx, 1)
	lh.WaitThreads()
	lh.UseThreads(ctx, 2)
	lh.WaitThreads()
	if lh.usedThreads != 2 {
		t.Fatalf("UseThreads left %d threads", lh.usedThreads)
	}
	if !functionClock.still(fnAt) {
		t.Error("a SET of threads moved the functions' clock: the next task reads duckdb_functions() again")
	}
	if !catalogClock.still(catAt) {
		t.Error("a SET of threads moved the catalog's clock: the next task reads duckdb_tables() again")
	}
}

// TestCheckpointKeepsTheCatalog: a CHECKPOINT, refused beside a write
// transaction or run, moves neither the catalog's clock nor the
// functions': the catalog kept before it is still taken after it, not
// read again (the checkpointer tries one after each commit of a run once
// the log is large).
func TestCheckpointKeepsTheCatalog(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE main.t AS SELECT 1 AS a"); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.catalog(ctx); err != nil {
		t.Fatal(err)
	}
	reads := catalogReads.Load()
	fnAt, _ := functionClock.start()
	catAt, _ := catalogClock.start()
	tx, err := lh.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE main.t SET a = 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.db.ExecContext(ctx, "CHECKPOINT"); err == nil {
		t.Error("a checkpoint ran beside a write transaction: this test no longer tries a refused one")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	if !functionClock.still(fnAt) {
		t.Error("a checkpoint moved the functions' clock: the next task reads duckdb_functions() again")
	}
	if !catalogClock.still(catAt) {
		t.Error("a checkpoint moved the catalog's clock: the next task reads duckdb_tables() again")
	}
	s, err := lh.catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if catalogReads.Load() != reads {
		t.Error("the catalog was read again after a checkpoint")
	}
	if s.rels[TableName{Schema: "main", Name: "t"}] != relTable {
		t.Errorf("the kept catalog lost main.t: %v", s.rels)
	}
}

// TestUseThreadsLastWins: the SETs UseThreads asks for run on a goroutine
// of their own, in order: after a burst of asks, and a Close racing
// them, DuckDB uses the number asked last.
func TestUseThreadsLastWins(t *testing.T) {
	ctx := context.Background()
	lh := openTwoThreads(t)
	for _, last := range []int{1, 2, 1} {
		for _, n := range []int{2, 1, 2, 1, 2, last} {
			lh.UseThreads(ctx, n)
		}
		lh.WaitThreads()
		var got int
		if err := lh.db.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != last {
			t.Errorf("after asking %d last, DuckDB uses %d threads", last, got)
		}
	}
	lh.UseThreads(ctx, 2)
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	lh.UseThreads(ctx, 1) // after Close: nothing to set, and no panic
	lh.WaitThreads()
}

// openTwoThreads opens a target file of a temporary directory with 2
// threads.
func openTwoThreads(t *testing.T) *Lakehouse {
	t.Helper()
	lh, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.duckdb"), Options{Holder: t.Name(), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	return lh
}
