package lakehouse

import (
	"context"
	"testing"
	"time"
)

// BenchmarkLiveFirstPage10M measures how soon a live result of 10M rows
// shows its first page (OpenLive returns with it) against the same query
// with LIMIT 200 through plain database/sql on the same file, measured in
// pairs in the same run: live/limit is the median of the pairs' ratios
// (the target is at most 2). "scan" reads a 10M-row table with
// expressions, "range" DuckDB's range().
func BenchmarkLiveFirstPage10M(b *testing.B) {
	lh := liveTarget(b, 10_000_000)
	ctx := context.Background()
	for _, bc := range []struct{ name, sql string }{
		{"scan", "SELECT id, k * 2 + 1 AS k2, upper(s) AS s FROM t"},
		{"range", "SELECT range AS id, range * 2 AS d FROM range(10_000_000)"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ratios []float64
			var lives, refs []time.Duration
			for i := 0; i < b.N; i++ {
				for range 5 {
					t0 := time.Now()
					rows, err := lh.db.QueryContext(ctx, bc.sql+" LIMIT 200")
					if err != nil {
						b.Fatal(err)
					}
					res, err := scanResult(rows)
					rows.Close()
					if err != nil || len(res.Rows) != 200 {
						b.Fatalf("LIMIT 200: %v", err)
					}
					ref := time.Since(t0)
					t0 = time.Now()
					l, err := lh.OpenLive(ctx, bc.sql, LiveOptions{FirstPage: 200})
					if err != nil {
						b.Fatal(err)
					}
					live := time.Since(t0)
					if p, err := l.Page(ctx, 0, 200); err != nil || len(p.Rows) != 200 {
						b.Fatalf("first page: %v", err)
					}
					l.Close()
					ratios = append(ratios, float64(live)/float64(ref))
					lives, refs = append(lives, live), append(refs, ref)
				}
			}
			b.ReportMetric(medianFloat(ratios), "live/limit")
			b.ReportMetric(float64(median(lives).Microseconds())/1000, "live-ms")
			b.ReportMetric(float64(median(refs).Microseconds())/1000, "limit-ms")
		})
	}
}

// BenchmarkLiveLastPage10M measures how soon the last page of a 10M-row
// live result is readable (OpenLive, then Page at the end, which waits for
// the stream) against a plain CREATE TEMP TABLE AS of the query, the least
// it takes DuckDB to run it and keep all its rows: live/ctas is the median
// of the pairs' ratios.
func BenchmarkLiveLastPage10M(b *testing.B) {
	const n = 10_000_000
	lh := liveTarget(b, n)
	ctx := context.Background()
	q := "SELECT id, k * 2 + 1 AS k2, upper(s) AS s FROM t"
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var ratios []float64
	var lives, refs []time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE lb_bench AS "+q); err != nil {
			b.Fatal(err)
		}
		ref := time.Since(t0)
		conn.ExecContext(ctx, "DROP TABLE lb_bench")
		t0 = time.Now()
		l, err := lh.OpenLive(ctx, q, LiveOptions{})
		if err != nil {
			b.Fatal(err)
		}
		p, err := l.Page(ctx, n-200, 200)
		live := time.Since(t0)
		if err != nil || len(p.Rows) != 200 {
			b.Fatalf("last page: %v", err)
		}
		l.Close()
		ratios = append(ratios, float64(live)/float64(ref))
		lives, refs = append(lives, live), append(refs, ref)
	}
	b.ReportMetric(medianFloat(ratios), "live/ctas")
	b.ReportMetric(float64(median(lives).Milliseconds()), "live-ms")
	b.ReportMetric(float64(median(refs).Milliseconds()), "ctas-ms")
}
