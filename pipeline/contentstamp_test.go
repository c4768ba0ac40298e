package pipeline

import (
	"context"
	"strings"
	"testing"
)

// TestFullModelSkippedWhenTimeInputRowsUnchanged: a full model reading an
// incremental_by_time model, which rebuilds its last days every run, is
// not rebuilt when those days' rows came out the same (nothing new, or a
// file repeating rows the merge already holds), and is rebuilt when they
// did not (a new day, a late row of an earlier day). After each run it
// equals its SQL over its input.
func TestFullModelSkippedWhenTimeInputRowsUnchanged(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select customer, sum(amount) as revenue from silver.daily group by all")
	writeTestFile(t, dir, "landing/orders/orders_2026-01-01.csv", "id,customer,amount,day\n1,ann,10,2026-01-01\n2,bob,20,2026-01-01\n")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, day::date as day, _source_file from stream(bronze.orders)")
	writeTestFile(t, dir, "sql/silver/daily.sql", "select day, customer, sum(amount) as amount from silver.orders group by all")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:",
		"  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n    silver.daily: {kind: incremental_by_time, time_column: day, lookback: 2d}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	steps := []struct {
		name   string
		change func()
		skip   bool
	}{
		{"first build", func() {}, false},
		{"nothing new", func() {}, true},
		{"a new day", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount,day\n3,ann,5,2026-01-02\n4,cy,7,2026-01-02\n")
		}, false},
		{"nothing new again", func() {}, true},
		{"a file repeating a row", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-02b.csv", "id,customer,amount,day\n3,ann,5,2026-01-02\n")
		}, true},
		{"a late row", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-03.csv", "id,customer,amount,day\n5,bob,1,2026-01-01\n")
		}, false},
		{"nothing new at last", func() {}, true},
	}
	for _, s := range steps {
		s.change()
		res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		seen := false
		for _, tr := range res.Tasks {
			switch tr.TaskKey {
			case "gold.revenue":
				seen = true
				if got := strings.Contains(tr.Detail, "its inputs did not change"); got != s.skip {
					t.Errorf("%s: gold.revenue's detail is %q: skipped %v, want %v", s.name, tr.Detail, got, s.skip)
				}
			case "silver.daily":
				// With nothing new, the time model is not built at all (no
				// input changed), nor when the merge replaced a row only
				// in a column it does not read (_source_file: the time
				// inputs' trace, b43cda7); otherwise it replaces its
				// changed days.
				if s.name != "first build" && !strings.Contains(tr.Detail, "day from") && !((strings.HasPrefix(s.name, "nothing new") || s.name == "a file repeating a row") && strings.Contains(tr.Detail, "no input changed")) {
					t.Errorf("%s: silver.daily was not built incrementally: %q", s.name, tr.Detail)
				}
			}
		}
		if !seen {
			t.Fatalf("%s: gold.revenue did not run", s.name)
		}
		q := "select customer, sum(amount) as revenue from silver.daily group by all"
		if n := count(t, lh, "SELECT * FROM ((SELECT * FROM gold.revenue EXCEPT ALL "+q+") UNION ALL ("+q+" EXCEPT ALL SELECT * FROM gold.revenue))"); n != 0 {
			t.Errorf("%s: %d rows of gold.revenue differ from its SQL over silver.daily", s.name, n)
		}
	}
}
