package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// TestSettledTables: a step after the tasks may start before they end
// only on tables a task of the run writes and no task left does, and only
// once every task left declares what it writes.
func TestSettledTables(t *testing.T) {
	tn := func(s string) lakehouse.TableName {
		tb, err := lakehouse.ParseTableName(s)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	tasks := []task{
		{kind: "transform", writes: []lakehouse.TableName{tn("silver.orders")}},
		{kind: "transform", writes: []lakehouse.TableName{tn("gold.revenue"), tn("gold.slow")}},
		{kind: "predict", writes: []lakehouse.TableName{tn("ml.scores")}},
	}
	ok := settled(tasks, func(i int) bool { return i > 0 })
	for _, c := range []struct {
		table string
		want  bool
	}{
		{"silver.orders", true},
		{"silver.orders_quarantine", true},
		{"SILVER.Orders", true},
		{"gold.revenue", false},
		{"gold.slow_quarantine", false},
		{"ml.scores", false},
		{"gold.view_over_slow", false}, // no task writes it: it may read what they write
		{"sys.profile_metrics", false},
		{"bronze.orders", false},
	} {
		if got := ok(tn(c.table)); got != c.want {
			t.Errorf("%s settled = %v, want %v", c.table, got, c.want)
		}
	}
	if ok(lakehouse.TableName{Name: "orders"}) {
		t.Error("a table without a schema settled")
	}
	// A quality check left holds back the tables it checks and their
	// quarantine tables, nothing else.
	checks := append([]task{{kind: "quality", reads: []lakehouse.TableName{tn("silver.orders"), tn("bronze.orders")}}}, tasks...)
	ok = settled(checks, func(i int) bool { return i == 0 })
	if ok == nil {
		t.Fatal("a quality task left held every table back")
	}
	for _, c := range []struct {
		table string
		want  bool
	}{
		{"silver.orders", false},
		{"silver.orders_quarantine", false},
		{"bronze.orders", false},
		{"bronze.orders_quarantine", false},
		{"gold.revenue", true},
		{"gold.slow_quarantine", true},
	} {
		if got := ok(tn(c.table)); got != c.want {
			t.Errorf("with a quality check of silver.orders left, %s settled = %v, want %v", c.table, got, c.want)
		}
	}
	for _, kind := range []string{"ingest", "sql"} {
		left := append([]task{{kind: kind}}, tasks...)
		if settled(left, func(int) bool { return true }) != nil {
			t.Errorf("with a %s task left, tables settled", kind)
		}
		if settled(left, func(i int) bool { return i > 0 }) == nil {
			t.Errorf("a finished %s task held every table back", kind)
		}
	}
	if !allSettled(settled(tasks, func(int) bool { return false }), []lakehouse.TableName{tn("gold.slow"), tn("ml.scores")}) {
		t.Error("nothing left, and gold.slow or ml.scores not settled")
	}
	if allSettled(nil, nil) {
		t.Error("nothing settles while a task left does not declare its writes")
	}
}

// TestPostStepsStartWhenTheirTablesSettle: the monitor of gold.revenue
// and the alert on silver.orders run while gold.slow, the last task, is
// held back from starting; the monitor of gold.slow and the alerts
// reading it, directly or through a view no task builds, wait for it, so
// each recorded result is the one computed after the run. Without the
// settled tables' guard they would read gold.slow before the run built
// it: the second day's results would be the first day's.
func TestPostStepsStartWhenTheirTablesSettle(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  quality_monitors:
    gold.revenue: {profile: true}
    gold.slow: {profile: true, drift: true}
  alerts:
    a_early: {query: "select count(*) as n from silver.orders", column: n, op: ">", threshold: 0}
    b_view: {query: "select sum(doubled) as s from gold.slow_view", column: s, op: ">", threshold: 0}
    c_last: {query: "select sum(doubled) as s from gold.slow", column: s, op: ">", threshold: 0}
`)
	writeTestFile(t, dir, "sql/gold/slow.sql", "select customer, revenue * 2 as doubled from gold.revenue")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.Exec(ctx, "CREATE VIEW gold.slow_view AS SELECT * FROM gold.slow"); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,ann,100\n6,dee,7\n")

	steps := make(chan string, 64)
	postHook = func(step string, done bool) { steps <- fmt.Sprint(step, " ", done) }
	defer func() { postHook = nil }()
	var early []string
	run, err := p.Run(ctx, lh, RunOptions{Target: "dev", Progress: func(e Event) {
		if e.Kind != TaskStarted || e.Task != "gold.slow" {
			return
		}
		// gold.slow starts only once the worker has run what its
		// tables allow: the monitor of gold.revenue, the alert on
		// silver.orders.
		seen := map[string]bool{}
		for !seen["monitor gold.revenue true"] || !seen["alert a_early true"] {
			s := <-steps
			seen[s] = true
			early = append(early, s)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(early) == 0 {
		t.Fatal("gold.slow never started")
	}
	for _, s := range early {
		switch s {
		case "monitor gold.slow true", "alert b_view true", "alert c_last true":
			t.Errorf("%s before gold.slow was built (the worker ran %v)", s, early)
		}
	}
	// Each recorded evaluation is the one made on the run's tables.
	for _, a := range run.Alerts {
		spec, errs := p.alertSpec(a.Alert)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want, err := p.evaluate(ctx, lh, "", spec, a.At)
		if err != nil {
			t.Fatal(err)
		}
		if a.Value != want.Value || a.State != want.State || a.Error != "" {
			t.Errorf("alert %s recorded %s %q (%s), evaluated after the run %s %q", a.Alert, a.State, a.Value, a.Error, want.State, want.Value)
		}
	}
	if len(run.Alerts) != 3 {
		t.Errorf("the run recorded %d alerts, want 3", len(run.Alerts))
	}
	// And each profile is the table's.
	for _, table := range []string{"gold.revenue", "gold.slow"} {
		ps, err := lh.ProfileMetrics(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 || ps[0].RunID != run.RunID {
			t.Fatalf("%s: the latest profile is not the run's: %+v", table, ps)
		}
		if want := count(t, lh, "select * from "+table); ps[0].Count != want {
			t.Errorf("%s: the run's profile counted %d rows, the table has %d", table, ps[0].Count, want)
		}
	}
}

// TestSampleMonitorsAndAlertsMatchFromScratch: day after day of the
// sample (sample next, run; an owner's DELETE from a monitored table one
// day, a full refresh another, an owner's UPDATE of an old day of the
// time series another, runs with no new day between), each monitored
// table's recorded profile and drift are those computed from scratch on
// the table the run left (the profile with no previous one to reuse, the
// drift from the from-scratch profiles), and each alert the run recorded
// is its evaluation on those tables: whatever a run reused or computed
// early. A run that changed no monitored table reads none of their rows
// (ProfileOptions.Unchanged, every monitor); after an owner's write none
// is taken as unchanged.
func TestSampleMonitorsAndAlertsMatchFromScratch(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "")
	lh := openFor(t, p)
	prev := map[string][]lakehouse.ColumnProfile{}
	unchanged := map[string]bool{}
	var mu sync.Mutex // monitors run side by side
	profileHook = func(table string, o lakehouse.ProfileOptions) {
		mu.Lock()
		defer mu.Unlock()
		unchanged[table] = o.Unchanged
	}
	t.Cleanup(func() { profileHook = nil })
	for day := range 9 {
		opts := RunOptions{}
		next, wantUnchanged := day > 0, false
		switch day {
		case 2:
			if _, err := lh.Exec(ctx, "DELETE FROM gold.daily_revenue WHERE date = (SELECT min(date) FROM gold.daily_revenue)"); err != nil {
				t.Fatal(err)
			}
		case 3:
			opts.FullRefresh = []string{"*"}
		case 5, 8:
			// the same day run again: nothing changed
			next, wantUnchanged = false, true
		case 6:
			// an owner's UPDATE of an old day, outside the builds
			if _, err := lh.Exec(ctx, "UPDATE gold.order_item_prices SET quantity = quantity + 1 WHERE order_date = (SELECT min(order_date) FROM gold.order_item_prices)"); err != nil {
				t.Fatal(err)
			}
		case 7:
			// the update and a day, the stamps forgotten since
			if _, err := lh.Exec(ctx, "UPDATE gold.order_item_prices SET quantity = quantity - 1 WHERE order_date = (SELECT min(order_date) + 1 FROM gold.order_item_prices)"); err != nil {
				t.Fatal(err)
			}
			next = false
		}
		if next {
			if _, err := sampledata.Next(ctx, mustSampleRoot(t, p)); err != nil {
				t.Fatal(err)
			}
		}
		clear(unchanged)
		res, err := p.Run(ctx, lh, opts)
		if err != nil {
			t.Fatal(err)
		}
		for name, u := range unchanged {
			if u != wantUnchanged {
				t.Errorf("day %d: %s's profile took the table as unchanged: %v, want %v", day, name, u, wantUnchanged)
			}
		}
		if day > 0 && len(unchanged) != 3 {
			t.Errorf("day %d: %d monitors profiled, want 3: %v", day, len(unchanged), unchanged)
		}
		for _, name := range sortedKeys(p.Resources.QualityMonitors) {
			m := p.Resources.QualityMonitors[name]
			if !m.Profile && !m.Drift {
				continue
			}
			table, err := lakehouse.ParseTableName(name)
			if err != nil {
				t.Fatal(err)
			}
			o := monitorOptions(m)
			if m.Drift {
				o.Config = driftConfig(m)
			}
			scratch, err := lh.ProfileTable(ctx, table, o)
			if err != nil {
				t.Fatal(err)
			}
			got, err := lh.ProfileMetrics(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || len(got) != len(scratch) {
				t.Fatalf("day %d: %s: %d profile rows recorded, %d from scratch", day, name, len(got), len(scratch))
			}
			for i := range scratch {
				scratch[i].RunID = res.RunID
			}
			if g, w := roundedJSON(t, got), roundedJSON(t, scratch); g != w {
				t.Errorf("day %d: %s's recorded profile differs from one from scratch:\n%s\nwant\n%s", day, name, g, w)
			}
			if !m.Drift {
				continue
			}
			var before []lakehouse.ColumnProfile
			if m.ProfileType != lakehouse.TimeSeries {
				before = prev[name]
			}
			want := lakehouse.Drift(scratch, before, nil, m.DriftThresholds, time.Time{})
			ds, err := lh.DriftMetrics(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if day > 0 && len(ds) == 0 {
				t.Errorf("day %d: no drift of %s", day, name)
			}
			for i := range want {
				want[i].RunID = res.RunID
			}
			if g, w := roundedJSON(t, ds), roundedJSON(t, want); g != w {
				t.Errorf("day %d: %s's recorded drift differs from one from scratch:\n%s\nwant\n%s", day, name, g, w)
			}
			prev[name] = scratch
		}
		if len(res.Alerts) != len(p.Resources.Alerts) {
			t.Errorf("day %d: %d alerts recorded, want %d", day, len(res.Alerts), len(p.Resources.Alerts))
		}
		for _, a := range res.Alerts {
			spec, errs := p.alertSpec(a.Alert)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			want, err := p.evaluate(ctx, lh, "", spec, a.At)
			if err != nil {
				t.Fatal(err)
			}
			if a.Value != want.Value || a.State != want.State || a.Threshold != want.Threshold || a.Error != want.Error {
				t.Errorf("day %d: alert %s recorded %s %q %q (%s), evaluated after the run %s %q %q", day, a.Alert, a.State, a.Value, a.Threshold, a.Error, want.State, want.Value, want.Threshold)
			}
		}
	}
}

// roundedJSON is v as JSON, one element a line, without the times it was
// computed at and with every number to 9 significant digits (a parallel
// sum adds in any order).
func roundedJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := json.Unmarshal(b, &items); err != nil {
		t.Fatal(err)
	}
	var round func(any) any
	round = func(x any) any {
		switch x := x.(type) {
		case float64:
			f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 9, 64), 64)
			return f
		case []any:
			for i := range x {
				x[i] = round(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = round(x[k])
			}
		}
		return x
	}
	var lines []string
	for _, it := range items {
		delete(it, "computed_at")
		b, _ := json.Marshal(round(it))
		lines = append(lines, string(b))
	}
	return strings.Join(lines, "\n")
}

// TestAlertsBesideDoNotWaitForTheWorker: after the tasks, the alerts never
// given to the worker (what they read settled only with the last task, or
// never: a view) are evaluated at once, not after the job the worker is
// still running. Here the worker's monitor of gold.revenue waits, in the
// hook, for the alerts' step: it must see c_last (on gold.slow, the last
// task's table) and b_view evaluated beside before that step waits for
// the worker. Before, the step waited for the worker first, so the
// monitor saw "wait for the worker" first (and a slow monitor held the
// alerts, the run's end, behind it).
func TestAlertsBesideDoNotWaitForTheWorker(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  quality_monitors:
    gold.revenue: {profile: true}
  alerts:
    a_early: {query: "select count(*) as n from silver.orders", column: n, op: ">", threshold: 0}
    b_view: {query: "select sum(doubled) as s from gold.slow_view", column: s, op: ">", threshold: 0}
    c_last: {query: "select sum(doubled) as s from gold.slow", column: s, op: ">", threshold: 0}
`)
	writeTestFile(t, dir, "sql/gold/slow.sql", "select customer, revenue * 2 as doubled from gold.revenue")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.Exec(ctx, "CREATE VIEW gold.slow_view AS SELECT * FROM gold.slow"); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,ann,100\n6,dee,7\n")

	events := make(chan string, 64)
	var seen []string
	monitored := false
	postHook = func(step string, done bool) {
		if step != "monitor gold.revenue" {
			events <- fmt.Sprint(step, " ", done)
			return
		}
		// The worker, in its monitor: it goes on once the alerts' step
		// waits for it, noting what that step did before.
		monitored = true
		for {
			e := <-events
			seen = append(seen, e)
			if e == "wait for the worker true" {
				return
			}
		}
	}
	defer func() { postHook = nil }()
	run, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if !monitored {
		t.Fatal("the worker never profiled gold.revenue")
	}
	for _, want := range []string{"alert c_last beside true", "alert b_view beside true"} {
		if !slices.Contains(seen, want) {
			t.Errorf("the worker's monitor saw %v before the alerts' step waited for it; want %q among them", seen, want)
		}
	}
	// Each recorded evaluation is the one made on the run's tables.
	if len(run.Alerts) != 3 {
		t.Errorf("the run recorded %d alerts, want 3", len(run.Alerts))
	}
	for _, a := range run.Alerts {
		spec, errs := p.alertSpec(a.Alert)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want, err := p.evaluate(ctx, lh, "", spec, a.At)
		if err != nil {
			t.Fatal(err)
		}
		if a.Value != want.Value || a.State != want.State || a.Error != "" {
			t.Errorf("alert %s recorded %s %q (%s), evaluated after the run %s %q", a.Alert, a.State, a.Value, a.Error, want.State, want.Value)
		}
	}
}
