package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestRunWithAbsurdHistory: sys.task_runs may hold anything (a clock set
// back, a year-9999 end whose duration overflows time.Duration, keys of
// another job, rows without an end): the order is only a hint, so every
// task still runs once and the tables are those of a run without history.
func TestRunWithAbsurdHistory(t *testing.T) {
	ctx := context.Background()
	project := func() (*Project, *lakehouse.Lakehouse) {
		dir := writeProject(t, fastGold)
		writeTestFile(t, dir, FileName, strings.Replace(testProject, "    orders: {path: landing/orders/*.csv, owner: sales}",
			"    orders: {path: landing/orders/*.csv, owner: sales}\n    visits: {path: landing/visits/*.csv, owner: web}", 1))
		writeTestFile(t, dir, "landing/visits/visits_2026-01-01.csv", "id,customer\n1,ann\n2,bob\n2,bob\n")
		writeTestFile(t, dir, "sql/silver/visits.sql", "select distinct id, customer from bronze.visits")
		writeTestFile(t, dir, "sql/gold/visitors.sql", "select customer, count(*) as visits from silver.visits group by all")
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return p, openTarget(t, p)
	}
	p, lh := project()
	defer lh.Close()
	tasks, err := p.plan(ctx, lh, RunOptions{Target: "dev", Job: "default"})
	if err != nil {
		t.Fatal(err)
	}
	year1 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	year9999 := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for k, tk := range tasks {
		var runs []lakehouse.TaskRun
		switch k % 4 {
		case 0: // overflows time.Duration
			runs = append(runs, lakehouse.TaskRun{StartedAt: year1, EndedAt: year9999})
		case 1: // ended before it started
			runs = append(runs, lakehouse.TaskRun{StartedAt: now, EndedAt: now.Add(-time.Hour)})
		case 2: // no end
			runs = append(runs, lakehouse.TaskRun{StartedAt: now})
		case 3: // ended as it started
			runs = append(runs, lakehouse.TaskRun{StartedAt: now, EndedAt: now})
		}
		runs = append(runs, lakehouse.TaskRun{RunID: "other job", TaskKey: "other_" + tk.key, StartedAt: year1, EndedAt: year9999.Add(-time.Duration(k) * time.Hour)})
		for _, r := range runs {
			if r.RunID == "" {
				r.RunID, r.TaskKey = "history", tk.key
			}
			r.Kind, r.Status = tk.kind, "succeeded"
			if err := lh.RecordTaskRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	took, err := lh.TaskDurations(ctx)
	t.Logf("durations %v (%v)", took, err)
	order := criticalOrder(tasks, took)
	if sorted := slices.Sorted(slices.Values(order)); len(order) != len(tasks) || slices.Compact(sorted)[len(tasks)-1] != len(tasks)-1 {
		t.Fatalf("criticalOrder is %v, not an order of the %d tasks", order, len(tasks))
	}
	started := map[string]int{}
	res, err := p.Run(ctx, lh, RunOptions{Target: "dev", Parallel: 2, Progress: func(e Event) {
		if e.Kind == TaskStarted {
			started[e.Task]++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Tasks {
		if tr.Status != "succeeded" || started[tr.TaskKey] != 1 {
			t.Errorf("task %s: %s, started %d times", tr.TaskKey, tr.Status, started[tr.TaskKey])
		}
	}
	p2, ref := project()
	defer ref.Close()
	if _, err := p2.Run(ctx, ref, RunOptions{Target: "dev", Parallel: 1}); err != nil {
		t.Fatal(err)
	}
	// The tables but the quality rules' _warnings (which name the run).
	for _, name := range []string{"silver.orders", "silver.visits", "gold.revenue", "gold.visitors"} {
		q := "SELECT COLUMNS(c -> c <> '_warnings') FROM " + name + " ORDER BY ALL"
		got, err := lh.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := fmt.Sprint(got.Rows), fmt.Sprint(want.Rows); g != w || len(got.Rows) == 0 {
			t.Errorf("%s after the absurd history: %s, want %s", name, g, w)
		}
	}
}
