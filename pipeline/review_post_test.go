package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// TestReviewEarlyAlertsReadingAroundTheirPlan: alerts whose query reads
// gold.slow not by name but through a macro, query_table, or DuckDB's
// catalog functions (its estimated size), evaluated while gold.slow, the
// last task, is held back. Each recorded evaluation must be the one made
// after the run.
func TestReviewEarlyAlertsReadingAroundTheirPlan(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  quality_monitors:
    gold.revenue: {profile: true}
  alerts:
    a_early: {query: "select count(*) as n from silver.orders", column: n, op: ">", threshold: 0}
    e_catalog: {query: "select max(estimated_size) as n from duckdb_tables() where schema_name = 'gold' and table_name = 'slow'", column: n, op: ">", threshold: 0}
    f_macro: {query: "select sum(doubled) as s from slow_rows()", column: s, op: ">", threshold: 0}
    g_query_table: {query: "select sum(doubled) as s from query_table('gold.slow')", column: s, op: ">", threshold: 0}
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
	if _, err := lh.Exec(ctx, "CREATE MACRO slow_rows() AS TABLE SELECT * FROM gold.slow"); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,ann,100\n6,newcomer,7\n")

	steps := make(chan string, 64)
	postHook = func(step string, done bool) { steps <- fmt.Sprint(step, " ", done) }
	defer func() { postHook = nil }()
	var early []string
	run, err := p.Run(ctx, lh, RunOptions{Target: "dev", Progress: func(e Event) {
		if e.Kind != TaskStarted || e.Task != "gold.slow" {
			return
		}
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
	t.Logf("beside gold.slow's task: %v", early)
	for _, a := range run.Alerts {
		spec, errs := p.alertSpec(a.Alert)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want, err := p.evaluate(ctx, lh, "", spec, a.At)
		if err != nil {
			t.Fatal(err)
		}
		if a.Value != want.Value || a.State != want.State {
			t.Errorf("alert %s recorded %s %q (%s), evaluated after the run %s %q (%s)", a.Alert, a.State, a.Value, a.Error, want.State, want.Value, want.Error)
		}
	}
}

// TestReviewOwnersUpdateOfAnOldWindowReachesTheProfile: the owner
// updates an old day of gold.order_item_prices (a time series monitor)
// outside any build, and a run the next day builds it incrementally. An
// UPDATE leaves the table's stamp (its builds, DuckDB's row count) as it
// was: the run's profile of that day must still be the table's.
func TestReviewOwnersUpdateOfAnOldWindowReachesTheProfile(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "")
	lh := openFor(t, p)
	for day := range 3 {
		if day == 2 {
			for _, q := range []string{
				"UPDATE gold.order_item_prices SET quantity = quantity + 1000 WHERE order_date = (SELECT min(order_date) FROM gold.order_item_prices)",
				"UPDATE gold.daily_revenue SET revenue = revenue + 1000 WHERE date = (SELECT min(date) FROM gold.daily_revenue)",
			} {
				if _, err := lh.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		if day > 0 {
			if _, err := sampledata.Next(ctx, mustSampleRoot(t, p)); err != nil {
				t.Fatal(err)
			}
		}
		res, err := p.Run(ctx, lh, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"gold.order_item_prices", "gold.daily_revenue"} {
			m := p.Resources.QualityMonitors[name]
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
			for i := range scratch {
				scratch[i].RunID = res.RunID
			}
			if g, w := roundedJSON(t, got), roundedJSON(t, scratch); g != w {
				t.Errorf("day %d: %s's recorded profile differs from one from scratch:\n%.3000s\nwant\n%.3000s", day, name, diffLines(g, w), diffLines(w, g))
			}
		}
	}
}

// diffLines is the lines of a not in b.
func diffLines(a, b string) string {
	in := map[string]bool{}
	for _, l := range strings.Split(b, "\n") {
		in[l] = true
	}
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !in[l] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
