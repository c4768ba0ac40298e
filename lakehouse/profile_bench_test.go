package lakehouse

import (
	"context"
	"testing"
	"time"
)

// BenchmarkProfile2M profiles a 2M-row table of mixed columns (integers,
// doubles with NULLs, low- and high-cardinality text, dates, booleans) and,
// in the same iteration on the same connection pool, runs DuckDB's plain
// SUMMARIZE of it. It reports the ratio of the medians (profile time over
// SUMMARIZE time: 1.0 is parity, lower is cheaper), and the drift
// profile's (with the samples a drift monitor draws) likewise. (No NaN in
// it: SUMMARIZE fails on a NaN, "STDDEV_SAMP is out of range"; a profile
// counts NaNs apart.)
func BenchmarkProfile2M(b *testing.B) {
	ctx := context.Background()
	lh, err := Open(ctx, b.TempDir()+"/bench.duckdb", Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.db.ExecContext(ctx, `CREATE TABLE silver.big AS SELECT
		range AS id,
		(hash(range) % 1000)::INTEGER AS qty,
		CASE WHEN range % 1000 = 0 THEN NULL ELSE (hash(range * 3) % 100000) / 100.0 END AS price,
		['books', 'toys', 'home', 'garden', 'grocery', 'apparel'][(range % 6)::INTEGER + 1] AS category,
		'customer-' || (hash(range * 7) % 200000)::VARCHAR AS customer,
		DATE '2026-01-01' + (range % 365)::INTEGER AS day,
		range % 3 = 0 AS paid
		FROM range(2000000)`); err != nil {
		b.Fatal(err)
	}
	t := TableName{Schema: "silver", Name: "big"}
	var summ, prof, drift []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rows, err := lh.db.QueryContext(ctx, "SUMMARIZE silver.big")
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		summ = append(summ, time.Since(start))

		start = time.Now()
		ps, err := lh.ProfileTable(ctx, t, ProfileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		prof = append(prof, time.Since(start))
		if ps[0].Count != 2_000_000 || len(ps) != 8 {
			b.Fatalf("profile: %d rows, %d columns", ps[0].Count, len(ps))
		}

		start = time.Now()
		if _, err := lh.ProfileTable(ctx, t, ProfileOptions{Samples: true}); err != nil {
			b.Fatal(err)
		}
		drift = append(drift, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(median(prof))/float64(median(summ)), "profile/summarize")
	b.ReportMetric(float64(median(drift))/float64(median(summ)), "drift_profile/summarize")
	b.ReportMetric(median(summ).Seconds()*1000, "summarize_ms")
	b.ReportMetric(median(prof).Seconds()*1000, "profile_ms")
}
