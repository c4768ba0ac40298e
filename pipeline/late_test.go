package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// TestLateRowsMatchFullRefresh builds the sample day by day and then
// lands, beside a new day, files for days older than every lookback: late
// orders with their lines, lines added to old orders, late web events, an
// order re-sent with a later time (its old day loses it), and a file that
// repeats a whole day. Every table must equal a full refresh of the same
// data, the late days' models must say why their window reached back, and
// nothing may be rebuilt in full. Without tracing the late rows (the
// lookback alone) the old days keep their old sums.
func TestLateRowsMatchFullRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample 8 times")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	const first = 16
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev, Days: first}); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	run := func(day int) *RunResult {
		t.Helper()
		res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		for _, tr := range res.Tasks {
			if strings.Contains(tr.Detail, "rebuilt in full") || strings.Contains(tr.Detail, "warning:") {
				t.Errorf("day %d: %s: %s", day, tr.TaskKey, tr.Detail)
			}
		}
		return res
	}
	run(first)
	day := first
	for ; day < first+2; day++ {
		if _, err := sampledata.Next(ctx, dir); err != nil {
			t.Fatal(err)
		}
		run(day + 1)
	}
	if _, err := sampledata.Next(ctx, dir); err != nil {
		t.Fatal(err)
	}
	day++
	landing := func(source string, d int, ext string) string {
		return filepath.Join(dir, "landing", source, source+"_"+sampledata.DayDate(d).Format("2006-01-02")+"."+ext)
	}
	arrived := func(source, tag, ext string) string {
		return filepath.Join(dir, "landing", source, source+"_"+sampledata.DayDate(day).Format("2006-01-02")+"-"+tag+"."+ext)
	}
	q := lakehouse.QuoteString
	plant := []string{
		// Day 5's orders again as new orders (new ids), with their lines.
		fmt.Sprintf("COPY (SELECT * REPLACE (order_id + 9000000000 AS order_id) FROM read_parquet(%s)) TO %s (FORMAT parquet)",
			q(landing("orders", 5, "parquet")), q(arrived("orders", "late", "parquet"))),
		fmt.Sprintf("COPY (SELECT * REPLACE (order_id + 9000000000 AS order_id, order_item_id + 9000000000 AS order_item_id) FROM read_parquet(%s)) TO %s (FORMAT parquet)",
			q(landing("order_items", 5, "parquet")), q(arrived("order_items", "late", "parquet"))),
		// Lines added to day 7's orders, no order row with them.
		fmt.Sprintf("COPY (SELECT * REPLACE (order_item_id + 9100000000 AS order_item_id) FROM read_parquet(%s)) TO %s (FORMAT parquet)",
			q(landing("order_items", 7, "parquet")), q(arrived("order_items", "lines", "parquet"))),
		// One of day 8's orders re-sent, placed today: day 8 loses it.
		fmt.Sprintf("COPY (SELECT * REPLACE (order_ts + INTERVAL %d DAY AS order_ts) FROM read_parquet(%s) WHERE order_id = (SELECT min(order_id) FROM read_parquet(%s) WHERE status = 'completed')) TO %s (FORMAT parquet)",
			day-8, q(landing("orders", 8, "parquet")), q(landing("orders", 8, "parquet")), q(arrived("orders", "moved", "parquet"))),
		// Day 6's web events again as new events.
		fmt.Sprintf("COPY (SELECT * REPLACE (event_id + 9000000000 AS event_id) FROM read_json(%s)) TO %s (FORMAT json)",
			q(landing("events", 6, "json")), q(arrived("events", "late", "json"))),
		// Day 10's orders file repeated whole.
		fmt.Sprintf("COPY (SELECT * FROM read_parquet(%s)) TO %s (FORMAT parquet)",
			q(landing("orders", 10, "parquet")), q(arrived("orders", "repeat", "parquet"))),
	}
	for _, stmt := range plant {
		if _, err := lh.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	res := run(day)
	// The models whose untraced inputs (dimensions) changed reach back to
	// the late rows from the lookback; the others start at the late rows.
	day5, day6 := sampledata.DayDate(5).Format("2006-01-02"), sampledata.DayDate(6).Format("2006-01-02")
	want := map[string]string{
		"silver.order_totals":      "order_date from " + day5 + " on (the days silver.order_items, silver.orders changed)",
		"gold.product_daily_sales": "order_date from " + day5 + " on (the days silver.order_items, silver.orders changed)",
		"gold.order_item_prices":   "order_date from " + day5 + " on (",
		"gold.daily_revenue":       "date from " + day5 + " on (late rows of silver.customers, silver.order_items, silver.orders)",
		"gold.customer_web_daily":  "day from " + day6 + " on (the days silver.events changed)",
	}
	for model, w := range want {
		found := false
		for _, tr := range res.Tasks {
			found = found || strings.Contains(tr.Detail, model+": "+w)
		}
		if !found {
			t.Errorf("no task says %q", model+": "+w)
			for _, tr := range res.Tasks {
				t.Logf("%s: %s", tr.TaskKey, tr.Detail)
			}
		}
	}
	compareWithFullRefresh(t, p, lh, day)
	// The changes were taken in: the next day's window is its own again.
	if _, err := sampledata.Next(ctx, dir); err != nil {
		t.Fatal(err)
	}
	day++
	res = run(day)
	for _, tr := range res.Tasks {
		if strings.Contains(tr.Detail, "late rows of") {
			t.Errorf("day %d: %s still reaches back: %s", day, tr.TaskKey, tr.Detail)
		}
	}
	compareWithFullRefresh(t, p, lh, day)
}

// lateProject is a small project of daily order files that carry their
// day: silver.orders by batch, silver.counts (full, no day) and two
// models by time, one over silver and one over the source directly.
const lateProject = `bundle: {name: late}
resources:
  sources:
    orders: {path: landing/orders/*.csv, owner: sales}
  transforms: [sql/silver/*.sql, sql/gold/*.sql]
  models:
    silver.orders: {kind: incremental_by_batch, unique_key: [id]}
    gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 1d}
    gold.direct: {kind: incremental_by_time, time_column: day, lookback: 1d}
`

func writeLateProject(t *testing.T) string {
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, lateProject)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::bigint as id, customer, amount::double as amount, day::date as day, _source_file from stream(bronze.orders)")
	writeTestFile(t, dir, "sql/silver/counts.sql", "select customer, count(*) as n from bronze.orders group by customer")
	writeTestFile(t, dir, "sql/gold/revenue.sql", "select o.day, o.customer, sum(o.amount) * max(c.n) as revenue from silver.orders as o join silver.counts as c using (customer) group by all")
	writeTestFile(t, dir, "sql/gold/direct.sql", "select day::date as day, count(*) as orders from bronze.orders group by all")
	for d := 1; d <= 5; d++ {
		writeTestFile(t, dir, fmt.Sprintf("landing/orders/orders_2026-01-%02d.csv", d),
			fmt.Sprintf("id,customer,amount,day\n%d1,ann,10,2026-01-%02d\n%d2,bob,20,2026-01-%02d\n", d, d, d, d))
	}
	return dir
}

// details runs p and returns its tasks' details by task.
func details(t *testing.T, p *Project, lh *lakehouse.Lakehouse, opts RunOptions) map[string]string {
	t.Helper()
	opts.Target = "dev"
	res, err := p.Run(context.Background(), lh, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tr := range res.Tasks {
		out[tr.TaskKey] = tr.Detail
	}
	return out
}

// stale counts the rows of model that differ from its SELECT run in full.
func stale(t *testing.T, lh *lakehouse.Lakehouse, model, selectSQL string) int64 {
	return count(t, lh, "(SELECT * FROM "+model+" EXCEPT ALL ("+selectSQL+")) UNION ALL (("+selectSQL+") EXCEPT ALL SELECT * FROM "+model+")")
}

// TestUntracedInputWarns: a late file for a day before the lookback
// reaches both models by time (through silver.orders' record, and the
// source's new file); silver.counts changed too, and nothing tells which
// days that changes, so gold.revenue's run warns, in the run's output and
// in sys.task_runs, naming the model, its window's start and the full
// refresh that brings it in. Listed as a dimension, it is not warned
// about. Without tracing, the late day never reached either model.
func TestUntracedInputWarns(t *testing.T) {
	dir := writeLateProject(t)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	revenue := "select o.day, o.customer, sum(o.amount) * max(c.n) as revenue from silver.orders as o join (select customer, count(*) as n from bronze.orders group by customer) as c using (customer) group by all"
	direct := "select day::date as day, count(*) as orders from bronze.orders group by all"
	details(t, p, lh, RunOptions{})
	// A late file for day 2, two days before the lookback's start.
	writeTestFile(t, dir, "landing/orders/orders_2026-01-06.csv", "id,customer,amount,day\n61,ann,5,2026-01-02\n62,cy,7,2026-01-02\n")
	got := details(t, p, lh, RunOptions{})
	warning := "warning: gold.revenue: silver.counts changed and the times of its rows cannot be traced (it has no column day): its changes before 2026-01-02 are not in gold.revenue until `lakebench run --full-refresh gold.revenue`"
	for task, want := range map[string]string{
		"gold.direct":  "gold.direct: day from 2026-01-02 on (the days bronze.orders changed)",
		"gold.revenue": "gold.revenue: day from 2026-01-02 on (late rows of silver.orders); " + warning,
	} {
		if !strings.Contains(got[task], want) {
			t.Errorf("%s's detail %q, want %q", task, got[task], want)
		}
	}
	if recorded := count(t, lh, "SELECT * FROM sys.task_runs WHERE task_key = 'gold.revenue' AND contains(detail, "+lakehouse.QuoteString(warning)+")"); recorded != 1 {
		t.Errorf("sys.task_runs records the warning %d times, want 1", recorded)
	}
	if n := stale(t, lh, "gold.direct", direct); n != 0 {
		t.Errorf("gold.direct: %d rows differ from a full build", n)
	}
	// ann's count changed on days 1-5 too, before the window: the
	// warned-about gap, until the refresh it names.
	if n := stale(t, lh, "gold.revenue", revenue); n == 0 {
		t.Error("gold.revenue equals a full build: the warning warned of nothing")
	}
	details(t, p, lh, RunOptions{FullRefresh: []string{"gold.revenue"}})
	if n := stale(t, lh, "gold.revenue", revenue); n != 0 {
		t.Errorf("gold.revenue after --full-refresh: %d rows differ from a full build", n)
	}
	// Nothing new: neither model is built.
	got = details(t, p, lh, RunOptions{})
	for _, m := range []string{"gold.direct", "gold.revenue"} {
		if want := m + ": no input changed"; got[m] != want {
			t.Errorf("%s's detail %q, want %q", m, got[m], want)
		}
	}
	// Declared a dimension: no warning.
	writeTestFile(t, dir, FileName, strings.Replace(lateProject, "lookback: 1d}\n  ", "lookback: 1d, dimensions: [silver.counts]}\n  ", 1))
	if p, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	details(t, p, lh, RunOptions{})
	writeTestFile(t, dir, "landing/orders/orders_2026-01-07.csv", "id,customer,amount,day\n71,ann,5,2026-01-01\n")
	got = details(t, p, lh, RunOptions{})
	if strings.Contains(got["gold.revenue"], "warning") || !strings.Contains(got["gold.revenue"], "gold.revenue: day from 2026-01-01 on (late rows of silver.orders)") {
		t.Errorf("gold.revenue's detail %q, want the late day and no warning", got["gold.revenue"])
	}
}

// TestValidateTimeInputs: time_inputs and dimensions must name tables the
// model reads, not both at once, and only on a model by time, each error
// at its place in the project file.
func TestValidateTimeInputs(t *testing.T) {
	dir := writeLateProject(t)
	writeTestFile(t, dir, "sql/gold/other.sql", "select * from silver.orders")
	project := strings.Replace(lateProject, "gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 1d}",
		"gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 1d, time_inputs: {silver.nothing: day, silver.counts: \" \", silver.orders: day}, dimensions: [silver.orders, bronze.orders]}", 1)
	writeTestFile(t, dir, FileName, project+"    gold.other: {time_inputs: {silver.orders: day}}\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var got []string
	for _, e := range p.Validate(context.Background(), lh).Errors {
		got = append(got, e.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"lakebench.yml:8:93: model gold.revenue does not read silver.nothing",
		"model gold.revenue traces silver.counts through nothing",
		"model gold.revenue lists silver.orders in time_inputs and dimensions",
		"model gold.revenue does not read bronze.orders",
		"model gold.other traces late rows but is full",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no error says %q; got:\n%s", want, all)
		}
	}
}

// TestMovedRowTraced: an order re-sent with a later day replaces its row
// in silver.orders (merge by key); its old day, before the lookback, must
// lose it. The window starts at the replaced row's day, which only the
// merge saw (the new rows carry the new day alone).
func TestMovedRowTraced(t *testing.T) {
	dir := writeLateProject(t)
	sum := "select day, customer, sum(amount) as revenue from silver.orders group by all"
	writeTestFile(t, dir, "sql/gold/revenue.sql", sum)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	details(t, p, lh, RunOptions{})
	writeTestFile(t, dir, "landing/orders/orders_2026-01-06.csv", "id,customer,amount,day\n21,ann,10,2026-01-06\n")
	got := details(t, p, lh, RunOptions{})
	if want := "gold.revenue: day from 2026-01-02 on (the days silver.orders changed)"; !strings.Contains(got["gold.revenue"], want) {
		t.Errorf("gold.revenue's detail %q, want %q", got["gold.revenue"], want)
	}
	if n := stale(t, lh, "gold.revenue", sum); n != 0 {
		t.Errorf("gold.revenue: %d rows differ from a full build", n)
	}
	if n := count(t, lh, "SELECT * FROM gold.revenue WHERE day = DATE '2026-01-02' AND customer = 'ann'"); n != 0 {
		t.Errorf("day 2 keeps ann's moved order")
	}
}
