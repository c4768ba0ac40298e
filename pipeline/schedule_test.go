package pipeline

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

func TestCriticalOrder(t *testing.T) {
	ms := time.Millisecond
	// ingest_a feeds a short leaf; ingest_b feeds a long chain; check is
	// a leaf of its own, listed first in the plan.
	tasks := []task{
		{key: "check"},
		{key: "ingest_a"},
		{key: "ingest_b"},
		{key: "leaf", dependsOn: []string{"ingest_a"}},
		{key: "silver", dependsOn: []string{"ingest_b"}},
		{key: "gold", dependsOn: []string{"silver", "ingest_a"}},
	}
	keys := func(order []int) []string {
		var out []string
		for _, i := range order {
			out = append(out, tasks[i].key)
		}
		return out
	}
	took := map[string]time.Duration{"check": 200 * ms, "ingest_a": 10 * ms, "ingest_b": 40 * ms, "leaf": 30 * ms, "silver": 150 * ms, "gold": 300 * ms}
	// Paths: ingest_b 490, silver 450, ingest_a 310, gold 300, check 200, leaf 30.
	want := []string{"ingest_b", "silver", "ingest_a", "gold", "check", "leaf"}
	if got := keys(criticalOrder(tasks, took)); !slices.Equal(got, want) {
		t.Errorf("with history: %v, want %v", got, want)
	}
	// No history: the number of tasks on the path (ingest_b 3, ingest_a
	// and silver 2, the rest 1), ties in plan order.
	want = []string{"ingest_b", "ingest_a", "silver", "check", "leaf", "gold"}
	if got := keys(criticalOrder(tasks, nil)); !slices.Equal(got, want) {
		t.Errorf("without history: %v, want %v", got, want)
	}
	// A task never run counts as the median of the others (gold: 40 ms,
	// the median of 10, 30, 40, 150, 200): ingest_b 230, check 200,
	// silver 190, ingest_a 50, gold 40, leaf 30.
	delete(took, "gold")
	want = []string{"ingest_b", "check", "silver", "ingest_a", "gold", "leaf"}
	if got := keys(criticalOrder(tasks, took)); !slices.Equal(got, want) {
		t.Errorf("gold never run: %v, want %v", got, want)
	}
	// A cycle (which the run refuses) does not hang the order.
	cyc := []task{{key: "x", dependsOn: []string{"y"}}, {key: "y", dependsOn: []string{"x"}}}
	if got := criticalOrder(cyc, nil); len(got) != 2 {
		t.Errorf("a cycle: %v", got)
	}
}

// TestRunStartsTheLongestPathFirst: with one slot, a run starts its ready
// tasks by criticalOrder of what each took last (sys.task_runs), not in
// the plan's order: the history below makes the last ready task of the
// plan the head of the longest path.
func TestRunStartsTheLongestPathFirst(t *testing.T) {
	ctx := context.Background()
	dir := writeVisitsProject(t)
	writeTestFile(t, dir, "sql/gold/visitors.sql", "select customer, count(*) as visits from silver.visits group by all")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	tasks, err := p.plan(ctx, lh, RunOptions{Target: "dev", Job: "default"})
	if err != nil {
		t.Fatal(err)
	}
	// Every task took 1 ms but the visits' chain, 1 s each.
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tk := range tasks {
		d := time.Millisecond
		if strings.Contains(tk.key, "visit") {
			d = time.Second
		}
		if err := lh.RecordTaskRun(ctx, lakehouse.TaskRun{RunID: "history", TaskKey: tk.key, Kind: tk.kind, StartedAt: base, EndedAt: base.Add(d), Status: "succeeded"}); err != nil {
			t.Fatal(err)
		}
	}
	took, err := lh.TaskDurations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The list schedule of one slot: the first ready task in order.
	schedule := func(order []int) []string {
		done := map[string]bool{}
		var out []string
		for len(out) < len(tasks) {
			for _, i := range order {
				tk := tasks[i]
				ready := !done[tk.key]
				for _, d := range tk.dependsOn {
					ready = ready && done[d]
				}
				if ready {
					done[tk.key] = true
					out = append(out, tk.key)
					break
				}
			}
		}
		return out
	}
	planOrder := make([]int, len(tasks))
	for i := range planOrder {
		planOrder[i] = i
	}
	want := schedule(criticalOrder(tasks, took))
	if slices.Equal(want, schedule(planOrder)) {
		t.Fatalf("the history orders the tasks as the plan does (%v): the test shows nothing", want)
	}
	if !strings.Contains(want[0], "visit") {
		t.Fatalf("the longest path starts with %s, want the visits' ingestion", want[0])
	}
	var got []string
	var index []int
	finished := map[string]int{}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev", Parallel: 1, Progress: func(e Event) {
		switch e.Kind {
		case TaskStarted:
			got = append(got, e.Task)
			index = append(index, e.Index)
		case TaskFinished:
			finished[e.Task] = e.Index
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the run started %v, want %v", got, want)
	}
	// The progress numbers tasks as they start ([1/N], [2/N], ...), not
	// by their place in the plan, and a task ends under its number.
	for i, n := range index {
		if n != i+1 || finished[got[i]] != n {
			t.Errorf("the %d. task started, %s, was numbered %d and finished as %d; want %d", i+1, got[i], n, finished[got[i]], i+1)
		}
	}
}

// writeVisitsProject writes the test project with a second source,
// visits, and its silver model: a chain of tasks beside the orders'.
func writeVisitsProject(t *testing.T) string {
	t.Helper()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "    orders: {path: landing/orders/*.csv, owner: sales}",
		"    orders: {path: landing/orders/*.csv, owner: sales}\n    visits: {path: landing/visits/*.csv, owner: web}", 1))
	writeTestFile(t, dir, "landing/visits/visits_2026-01-01.csv", "id,customer\n1,ann\n")
	writeTestFile(t, dir, "sql/silver/visits.sql", "select distinct id, customer from bronze.visits")
	return dir
}
