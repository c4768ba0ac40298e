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
