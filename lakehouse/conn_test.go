package lakehouse

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// fileOpen says whether this process has path open (a DuckDB instance of
// it still alive, holding its lock).
func fileOpen(t *testing.T, path string) bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd to see the open files: %v", err)
	}
	want, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == want {
			return true
		}
	}
	return false
}

// readOnlyTarget is a file made by a writer, closed.
func readOnlyTarget(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	w, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConnCloseEndsUnfinishedQuery: a query begun and never executed on a
// connection of the pool (what duckdb-go leaves when a context is canceled
// between its steps) no longer keeps the file's DuckDB instance alive once
// the lakehouse is closed: the file is closed, and opens again.
func TestConnCloseEndsUnfinishedQuery(t *testing.T) {
	ctx := context.Background()
	path := readOnlyTarget(t)
	lh, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		c, err := rawConnection(dc)
		if err != nil {
			return err
		}
		var ps bindings.PreparedStatement
		if bindings.Prepare(c, "SELECT count(*) FROM range(1000)", &ps) == bindings.StateError {
			t.Fatal(bindings.PrepareError(ps))
		}
		var pending bindings.PendingResult
		if bindings.PendingPrepared(ps, &pending) == bindings.StateError {
			t.Fatal(bindings.PendingError(pending))
		}
		bindings.DestroyPending(&pending)
		bindings.DestroyPrepare(&ps)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	if fileOpen(t, path) {
		t.Fatal("the file is still open after Close: the unfinished query kept its DuckDB instance alive (the next Open of it would wait forever)")
	}
	again, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
}
