package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/tui"
)

// TestAnalystResultsLetOthersWrite: while the Analyst view's backend holds
// a complete result, another process (the built binary) runs the pipeline
// and checks the alerts on the same target, and the result stays readable
// and sortable; while a query still streams, the other process is refused
// with who holds the file when it may not wait, and waits for the query
// (saying so) when it may, running once the query is canceled. The steps
// follow each other's ends: nothing waits on the clock.
func TestAnalystResultsLetOthersWrite(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "run")
	t.Setenv("LAKEBENCH_HOME", filepath.Join(dir, ".home"))
	ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: dir})
	defer ws.Close()
	info, err := ws.Prepare(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	target := info.Target
	live, err := ws.Query(ctx, target, "select order_id, status from silver.orders order by order_id")
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := live.Page(ctx, 0, 1000)
	if err != nil || len(before.Rows) == 0 {
		t.Fatalf("the result's rows: %v, %v", before, err)
	}

	// Another process writes the target while the result is open.
	lb(t, dir, true, "sample", "next")
	lb(t, dir, true, "run")
	lb(t, dir, true, "alerts", "check")
	after, err := live.Page(ctx, 0, 1000)
	if err != nil || fmt.Sprint(after.Rows) != fmt.Sprint(before.Rows) {
		t.Errorf("the result after the other process's run: %v (%d rows, want the %d of before)", err, len(after.Rows), len(before.Rows))
	}
	sorted, err := live.Sort(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sorted.Close()
	if err := sorted.Wait(ctx); err != nil {
		t.Fatal(err)
	}

	// A query still streaming holds the file: a run that may not wait
	// (LAKEBENCH_LOCK_WAIT=0) is told at once who reads it; `alerts
	// check`, which may, says it waits for the reader and runs once the
	// query is canceled (before, it failed at once: "retry").
	streaming, err := ws.Query(ctx, target, "select i from range(1000000000000) t(i) where i % 1024 = 0")
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Holding(target) {
		t.Error("the backend does not say it holds the file while a query streams")
	}
	_, stderr := lbEnv(t, dir, []string{"LAKEBENCH_LOCK_WAIT=0"}, false, "run")
	if !strings.Contains(stderr, "open for reading") || !strings.Contains(stderr, fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("a run that may not wait while a query streams: %s, want the reader (pid %d) named", stderr, os.Getpid())
	}
	check := exec.Command(bin, "alerts", "check")
	check.Dir = dir
	check.Env = append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"))
	errPipe, err := check.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(errPipe)
	var said []string
	for lines.Scan() && !strings.Contains(lines.Text(), "waiting up to") {
		said = append(said, lines.Text())
	}
	if !strings.Contains(lines.Text(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("alerts check while a query streams said %q, then %q: want it waiting for the reader (pid %d)", said, lines.Text(), os.Getpid())
	}
	streaming.Cancel()
	streaming.Wait(ctx)
	rest, _ := io.ReadAll(errPipe)
	if err := check.Wait(); err != nil {
		t.Errorf("alerts check once the query was canceled: %v\n%s", err, rest)
	}
	if p, err := streaming.Page(ctx, 0, 10); err != nil || len(p.Rows) != 10 {
		t.Errorf("the canceled result's first rows: %v, %v", p, err)
	}
}
