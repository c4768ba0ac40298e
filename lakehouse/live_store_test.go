package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLiveStoreOutlivesTheLakehouse: a result spilled into a ResultStore
// stays readable, sortable, filterable and exportable after the read-only
// lakehouse it came from is closed (its file released: a writer opens it),
// and its rows are those of the one execution; Filter checks on the
// lakehouse Reopen gives.
func TestLiveStoreOutlivesTheLakehouse(t *testing.T) {
	ctx := context.Background()
	w := liveTarget(t, 300_000)
	path := w.Path()
	w.Close()
	store, err := OpenResultStore(ctx, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	reopened := 0
	reopen := func(ctx context.Context) (*Lakehouse, func(), error) {
		reopened++
		lh, err := Open(ctx, path, Options{ReadOnly: true})
		if err != nil {
			return nil, nil, err
		}
		return lh, func() { lh.Close() }, nil
	}
	l, err := ro.OpenLive(ctx, liveQuery, LiveOptions{Store: store, Reopen: reopen})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	want := allRows(t, l, 50_000)
	// The lakehouse closes with the result complete: the result stays.
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if store.Results() != 1 {
		t.Fatalf("the store holds %d results, want 1", store.Results())
	}
	// The file is free: a writer changes it meanwhile.
	wr, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("a writer after the reader closed: %v", err)
	}
	if _, err := wr.db.ExecContext(ctx, "DELETE FROM t WHERE id % 2 = 0"); err != nil {
		t.Fatal(err)
	}
	wr.Close()

	got := allRows(t, l, 70_000)
	if len(got) != len(want) || fmt.Sprint(got[len(got)-1]) != fmt.Sprint(want[len(want)-1]) || fmt.Sprint(got[12345]) != fmt.Sprint(want[12345]) {
		t.Fatalf("after the close: %d rows, want %d as before", len(got), len(want))
	}
	sorted, err := l.Sort(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sorted.Close()
	if err := sorted.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := sorted.Page(ctx, 0, 1); err != nil || fmt.Sprint(p.Rows[0][0]) != "299999" {
		t.Fatalf("sorted first row %v, %v; want id 299999", p, err)
	}
	f, err := l.Filter(ctx, "k2 < 10")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, done := f.Count(); !done || n == 0 || n >= 300_000 {
		t.Errorf("filtered %d rows (done %v)", n, done)
	}
	if reopened != 1 {
		t.Errorf("the filter reopened the lakehouse %d times, want 1", reopened)
	}
	if _, err := l.Filter(ctx, "id in (select id from t)"); err == nil || !strings.Contains(err.Error(), "may read no table") {
		t.Errorf("a filter reading the target: %v", err)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	if err := l.Export(ctx, out, "csv", nil); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || strings.Count(string(b), "\n") != 300_001 {
		t.Errorf("export: %d lines, %v", strings.Count(string(b), "\n"), err)
	}
	// Closing the store closes its results.
	store.Close()
	if _, err := l.Page(ctx, 0, 1); err == nil {
		t.Error("a result of a closed store answered")
	}
}

// TestLiveStoreStreamingClosedWithLakehouse: a result still streaming needs
// the file: closing the lakehouse cancels and closes it.
func TestLiveStoreStreamingClosedWithLakehouse(t *testing.T) {
	ctx := context.Background()
	store, err := OpenResultStore(ctx, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	lh := liveTarget(t, 10)
	l, err := lh.OpenLive(ctx, "SELECT i FROM range(1000000000000) t(i) WHERE i % 1024 = 0", LiveOptions{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	lh.Close()
	if err := l.Wait(ctx); !errors.Is(err, ErrCanceled) {
		t.Errorf("the streaming result ended %v, want canceled", err)
	}
	if store.Results() != 0 {
		t.Errorf("the store keeps %d results of the closed lakehouse", store.Results())
	}
}

// TestStoreSweepsDeadProcessesDirs: a store's spill directory left by a
// process that ended without closing it (killed, crashed) is removed when
// the next store opens; a live process's, an unnamed one's and a link
// are kept, and the store's own directory names its process.
func TestStoreSweepsDeadProcessesDirs(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	live := exec.Command("sleep", "600") // held until the test ends, not waited on
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	elsewhere := t.TempDir()
	os.WriteFile(filepath.Join(elsewhere, "keep"), []byte("x"), 0o600)
	mk := func(name string) {
		if err := os.MkdirAll(filepath.Join(tmp, name), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(tmp, name, "spill.tmp"), []byte("rows"), 0o600)
	}
	deadDir := fmt.Sprintf("lakebench-results-%d-1", dead.Process.Pid)
	liveDir := fmt.Sprintf("lakebench-results-%d-2", live.Process.Pid)
	mk(deadDir)
	mk(liveDir)
	mk("lakebench-results-123abc")
	mk("lakebench-results-x-1")
	link := fmt.Sprintf("lakebench-results-%d-3", dead.Process.Pid)
	if err := os.Symlink(elsewhere, filepath.Join(tmp, link)); err != nil {
		t.Fatal(err)
	}

	store, err := OpenResultStore(context.Background(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tmp, deadDir)); !os.IsNotExist(err) {
		t.Errorf("the dead process's spill directory is still there (%v)", err)
	}
	for _, keep := range []string{liveDir, "lakebench-results-123abc", "lakebench-results-x-1", link} {
		if _, err := os.Lstat(filepath.Join(tmp, keep)); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "keep")); err != nil {
		t.Errorf("the link's target was touched: %v", err)
	}
	if !strings.HasPrefix(filepath.Base(store.dir), fmt.Sprintf("lakebench-results-%d-", os.Getpid())) {
		t.Errorf("the store's directory %s does not name its process", store.dir)
	}
	store.Close()
	if _, err := os.Stat(store.dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s", store.dir)
	}
}
