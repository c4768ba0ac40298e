package lakehouse

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkChecks2M builds a 2M-row model with ten row checks (DQX's
// is_not_null, is_in_list, is_in_range, regex_match, sql_expression, ...;
// two error checks quarantine about 0.2% of the rows, warn checks mark
// about 1%) and, in the same iteration, the bare CREATE TABLE AS of the
// same SELECT. It reports the median of the per-iteration time ratios and
// both medians.
func BenchmarkChecks2M(b *testing.B) {
	lh := openTemp(b)
	ctx := context.Background()
	if _, err := lh.Exec(ctx, `CREATE TABLE main.src AS SELECT i AS id, CASE WHEN i % 1000 = 0 THEN NULL ELSE i % 5000 END AS customer_id,
		['web', 'mobile', 'store', 'fax'][1 + CAST(i % 400 = 0 AS INT) * 3 + CAST(i % 400 <> 0 AS INT) * (i % 3)::INT] AS channel,
		(i % 997) * 1.5 - CASE WHEN i % 2000 = 1 THEN 2000 ELSE 0 END AS amount, 'user' || (i % 7777) || '@example.com' AS email,
		DATE '2026-01-01' + (i % 60)::INT AS day FROM range(2000000) AS r(i)`); err != nil {
		b.Fatal(err)
	}
	rules := []Rule{
		{Name: "customer_id_is_null", Criticality: "error", Function: "is_not_null", Fail: `"customer_id" IS NULL`, Message: `'null'`, Columns: []string{"customer_id"}},
		{Name: "amount_less_than_limit", Criticality: "error", Function: "is_not_less_than", Fail: `"amount" < 0`, Message: `'Value ' || "amount" || ' is less than 0'`},
		{Name: "channel_is_not_in_the_list", Criticality: "warn", Function: "is_in_list", Fail: `"channel" IS NOT NULL AND NOT CAST("channel" AS VARCHAR) IN ('web', 'mobile', 'store')`, Message: `'bad channel'`},
		{Name: "id_is_null", Criticality: "error", Function: "is_not_null", Fail: `"id" IS NULL`, Message: `'null'`},
		{Name: "amount_not_in_range", Criticality: "warn", Function: "is_in_range", Fail: `("amount" < -5000 OR "amount" > 5000)`, Message: `'range'`},
		{Name: "email_is_not_valid_email", Criticality: "warn", Function: "is_valid_email", Fail: `"email" IS NOT NULL AND NOT regexp_full_match(CAST("email" AS VARCHAR), '[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}')`, Message: `'email'`},
		{Name: "day_in_future", Criticality: "warn", Function: "is_not_in_future", Fail: `CAST("day" AS TIMESTAMP) > now()::TIMESTAMP + to_seconds(0)`, Message: `'future'`},
		{Name: "day_not_in_range", Criticality: "warn", Function: "is_in_range", Fail: `("day" < '2025-01-01' OR "day" > '2027-01-01')`, Message: `'range'`},
		{Name: "channel_is_null_or_empty", Criticality: "warn", Function: "is_not_null_and_not_empty", Fail: `("channel" IS NULL OR CAST("channel" AS VARCHAR) = '')`, Message: `'empty'`},
		{Name: "sane_ids", Criticality: "warn", Function: "sql_expression", Fail: `NOT (id >= 0 AND id < 10000000)`, Message: `'ids'`},
	}
	sel := "SELECT * FROM main.src"
	var bare, checked []time.Duration
	var ratios []float64
	b.ResetTimer()
	for i := range b.N {
		tx, err := lh.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := tx.Exec(ctx, "CREATE OR REPLACE TABLE main.bare AS "+sel); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
		start = time.Now()
		if _, _, err := tx.MaterializeChecked(ctx, TableName{"silver", "checked"}, sel, Materialization{}, rules, QualityRun{RunID: "bench"}); err != nil {
			b.Fatal(err)
		}
		checked = append(checked, time.Since(start))
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		ratios = append(ratios, float64(checked[i])/float64(bare[i]))
	}
	b.StopTimer()
	median := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2].Seconds()
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "checked/bare")
	b.ReportMetric(median(bare), "bare_s")
	b.ReportMetric(median(checked), "checked_s")
}
