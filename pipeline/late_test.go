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
		"gold.daily_revenue":       "date from " + day5 + " on (late rows of silver.order_items, silver.orders)",
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
