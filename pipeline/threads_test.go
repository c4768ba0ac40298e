package pipeline

import (
	"context"
	"sync"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestRunSharesThreads: a run gives each of the tasks it runs side by
// side its share of DuckDB's threads (1 each of 2 while two run, 2 to a
// task alone), the steps after the tasks 1 each, and all of them back to
// the lakehouse when it ends.
func TestRunSharesThreads(t *testing.T) {
	ctx := context.Background()
	p, err := Load(writeVisitsProject(t))
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath("dev"), lakehouse.Options{Holder: t.Name(), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var mu sync.Mutex
	shares := map[int]map[int]bool{}
	threadsHook = func(side, threads int) {
		mu.Lock()
		defer mu.Unlock()
		if shares[side] == nil {
			shares[side] = map[int]bool{}
		}
		shares[side][threads] = true
	}
	defer func() { threadsHook = nil }()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev", Parallel: 2}); err != nil {
		t.Fatal(err)
	}
	if !shares[2][1] || len(shares[2]) != 1 {
		t.Errorf("two side by side got %v threads each, want 1", shares[2])
	}
	if len(shares[1]) > 0 && (!shares[1][2] || len(shares[1]) != 1) {
		t.Errorf("a task alone got %v threads, want 2", shares[1])
	}
	lh.WaitThreads() // the run gives them back as it ends, on a goroutine of its own
	r, err := lh.Query(ctx, "SELECT current_setting('threads')")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Rows[0][0]; got != int64(2) {
		t.Errorf("after the run DuckDB uses %v threads, want the lakehouse's 2", got)
	}
}
