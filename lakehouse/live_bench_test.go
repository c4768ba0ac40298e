package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// BenchmarkLiveFirstPage10M measures how soon a live result of 10M rows
// shows its first page (OpenLive returns with it) against the same query
// with LIMIT 200 through plain database/sql on the same file, measured in
// pairs in the same run: live/limit is the median of the pairs' ratios
// (the target is at most 2). "scan" reads a 10M-row table with
// expressions, "range" DuckDB's range().
//
// Measured on a 2-core machine under a load of about 19 (medians): scan
// 0.76 (33.9 ms against 46.7 ms), range 2.9 (1.9 ms against 0.6 ms: a
// fixed cost of about 1.3 ms, most of it the authorization's parse of the
// SQL, weighs on a query this cheap). An ORDER BY query's one execution
// is the exception to the target (DuckDB must sort all rows before the
// first streams, where LIMIT uses a top-N): its first page is a preview
// (BenchmarkLiveFirstPageOrdered10M).
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
// of the pairs' ratios. Measured as above: 2.1 (17.5 s against 7.8 s; the
// spill is appended by one thread, the CREATE TABLE AS inserts with all).
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

// BenchmarkLiveSort10M measures Sort on a complete 10M-row live result
// against plain DuckDB over the same rows kept in a temporary table of
// a connection of its own, measured in pairs in the same run (medians of
// the pairs' ratios): first/limit is how soon Sort returns with its first
// page against SELECT ... ORDER BY ... LIMIT 100 (target at most 1.5),
// full/ctas how soon its last page is readable against CREATE TABLE AS
// SELECT ... ORDER BY (target at most 1.5). Sort orders ties by their
// place in the result, which plain ORDER BY does not. "int" sorts by a
// BIGINT of 1000 values, "text" by a VARCHAR of 977.
//
// Measured on a 2-core machine under a load of about 18 (medians of 3
// pairs): int first/limit 6.7 (109 ms against 29 ms: the reference's
// top-N skips every row group once its page is all the least value,
// where a stable page also needs the first ties by place, a second
// query), full/ctas 1.12; text first/limit 1.47, full/ctas 1.31. Before
// (row_number() over the sort, the first page after it): int first/limit
// 48 with the top-N on both keys, and the whole sort about 5.7 times
// CREATE TABLE AS ... ORDER BY. 11-29, load about 20 on 2 cores, the
// reference now timed right before the sort (both after the CTAS, which
// evicts the spill) on the same 100 rows: int first/limit 4.0 (493 ms
// against 53: two queries of ~10 ms each against one, under that load),
// full/ctas 1.21; text first/limit 1.57, full/ctas 1.28. The ties' query
// alone is now a LIMIT without ORDER BY: 4-7 ms against 5-11.
func BenchmarkLiveSort10M(b *testing.B) {
	const n = 10_000_000
	lh := liveTarget(b, n)
	ctx := context.Background()
	l, err := lh.OpenLive(ctx, liveQuery, LiveOptions{FirstPage: 100})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE lb_ref AS "+liveQuery); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		col  int
	}{{"int", 1}, {"text", 2}} {
		b.Run(bc.name, func(b *testing.B) {
			order := []string{"id", "k2", "s"}[bc.col]
			var firsts, fulls []float64
			var first, full, limit, ctas []time.Duration
			for i := 0; i < b.N; i++ {
				for range 3 {
					t0 := time.Now()
					if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE lb_sorted AS SELECT * FROM lb_ref ORDER BY "+order); err != nil {
						b.Fatal(err)
					}
					ct := time.Since(t0)
					conn.ExecContext(ctx, "DROP TABLE lb_sorted")
					t0 = time.Now()
					rows, err := conn.QueryContext(ctx, "SELECT * FROM lb_ref ORDER BY "+order+" LIMIT 100")
					if err != nil {
						b.Fatal(err)
					}
					res, err := scanResult(rows)
					rows.Close()
					if err != nil || len(res.Rows) != 100 {
						b.Fatalf("LIMIT 100: %v", err)
					}
					lim := time.Since(t0)
					t0 = time.Now()
					s, err := l.Sort(ctx, bc.col, false)
					if err != nil {
						b.Fatal(err)
					}
					fi := time.Since(t0)
					p, err := s.Page(ctx, n-200, 200)
					fu := time.Since(t0)
					if err != nil || len(p.Rows) != 200 {
						b.Fatalf("last page: %v", err)
					}
					s.Close()
					firsts, fulls = append(firsts, float64(fi)/float64(lim)), append(fulls, float64(fu)/float64(ct))
					first, full, limit, ctas = append(first, fi), append(full, fu), append(limit, lim), append(ctas, ct)
				}
			}
			b.ReportMetric(medianFloat(firsts), "first/limit")
			b.ReportMetric(medianFloat(fulls), "full/ctas")
			b.ReportMetric(float64(median(first).Microseconds())/1000, "first-ms")
			b.ReportMetric(float64(median(limit).Microseconds())/1000, "limit-ms")
			b.ReportMetric(float64(median(full).Milliseconds()), "full-ms")
			b.ReportMetric(float64(median(ctas).Milliseconds()), "ctas-ms")
		})
	}
}

// BenchmarkLiveFirstPageOrdered10M measures how soon OpenLive returns with
// the first page of a query with ORDER BY over 10M rows (DuckDB sorts them
// all before the first row) against, in pairs in the same run: the same
// query's first chunk through DuckDB's streaming C API on a plain
// connection, the least DuckDB takes (live/stream, what lakebench adds:
// the target is about 1); and the same query with LIMIT 100 through
// database/sql (live/limit: DuckDB's top-N, which needs no full sort).
// Measured as above (5 pairs): live/stream 0.84 (4.7 s against 5.2 s:
// OpenLive adds nothing measurable to DuckDB's sort), live/limit 12.4.
// 11-30, load about 10 on 2 cores: live/stream 0.88, live/limit 13.6
// (6.8 s against 0.42 s). The target of 2 cannot be met by one execution
// of the query: the first page of an ORDER BY needs every row, and
// keeping every row costs far more than the top-N, which keeps 100 (in
// the same run: LIMIT 0.18-0.22 s; CREATE TEMP TABLE AS of the query
// without ORDER BY 7.0-10.8 s; the same streamed into a Live 22 s; the
// first chunk of the full sort 2.5-5.5 s). Spilling the unordered query
// and sorting the spill (Sort's top-N, 20-80 ms) is slower than
// DuckDB's own sort; only a second execution (a top-N beside the stream)
// would reach the target, which the "the query runs once" rules
// out.
//
// The lead's decision for issue 10 (2026-11-30) is that second execution,
// as a preview (live_preview.go): preview/limit is how soon OpenLive with
// LiveOptions.Preview returns with the preview of the first page against
// the same LIMIT 100 (target at most 2), each pair in the same run.
func BenchmarkLiveFirstPageOrdered10M(b *testing.B) {
	lh := liveTarget(b, 10_000_000)
	ctx := context.Background()
	q := liveQuery + " ORDER BY k2"
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var toStream, toLimit, previewToLimit []float64
	var lives, streams, limits, previews []time.Duration
	for i := 0; i < b.N; i++ {
		for range 5 {
			t0 := time.Now()
			if err := firstChunk(conn, q); err != nil {
				b.Fatal(err)
			}
			stream := time.Since(t0)
			t0 = time.Now()
			rows, err := conn.QueryContext(ctx, q+" LIMIT 100")
			if err != nil {
				b.Fatal(err)
			}
			res, err := scanResult(rows)
			rows.Close()
			if err != nil || len(res.Rows) != 100 {
				b.Fatalf("LIMIT 100: %v", err)
			}
			limit := time.Since(t0)
			t0 = time.Now()
			pl, err := lh.OpenLive(ctx, q, LiveOptions{FirstPage: 100, Preview: true})
			if err != nil {
				b.Fatal(err)
			}
			preview := time.Since(t0)
			if p := pl.Preview(); p == nil || len(p.Rows) != 100 {
				b.Fatalf("no preview of 100 rows: %v", p)
			}
			pl.Close()
			previewToLimit, previews = append(previewToLimit, float64(preview)/float64(limit)), append(previews, preview)
			t0 = time.Now()
			l, err := lh.OpenLive(ctx, q, LiveOptions{FirstPage: 100})
			if err != nil {
				b.Fatal(err)
			}
			live := time.Since(t0)
			if p, err := l.Page(ctx, 0, 100); err != nil || len(p.Rows) != 100 {
				b.Fatalf("first page: %v", err)
			}
			l.Close()
			toStream, toLimit = append(toStream, float64(live)/float64(stream)), append(toLimit, float64(live)/float64(limit))
			lives, streams, limits = append(lives, live), append(streams, stream), append(limits, limit)
		}
	}
	b.ReportMetric(medianFloat(toStream), "live/stream")
	b.ReportMetric(medianFloat(toLimit), "live/limit")
	b.ReportMetric(medianFloat(previewToLimit), "preview/limit")
	b.ReportMetric(float64(median(previews).Microseconds())/1000, "preview-ms")
	b.ReportMetric(float64(median(lives).Microseconds())/1000, "live-ms")
	b.ReportMetric(float64(median(streams).Microseconds())/1000, "stream-ms")
	b.ReportMetric(float64(median(limits).Microseconds())/1000, "limit-ms")
}

// firstChunk runs q on conn through DuckDB's streaming C API until its
// first chunk, as OpenLive does without anything of lakebench's.
func firstChunk(conn *sql.Conn, q string) error {
	return conn.Raw(func(dc any) error {
		c, err := rawConnection(dc)
		if err != nil {
			return err
		}
		var ps bindings.PreparedStatement
		defer bindings.DestroyPrepare(&ps)
		if bindings.Prepare(c, q, &ps) == bindings.StateError {
			return errors.New(bindings.PrepareError(ps))
		}
		var pending bindings.PendingResult
		if bindings.PendingPreparedStreaming(ps, &pending) == bindings.StateError {
			defer bindings.DestroyPending(&pending)
			return errors.New(bindings.PendingError(pending))
		}
		var res bindings.Result
		state := bindings.ExecutePending(pending, &res)
		bindings.DestroyPending(&pending)
		defer bindings.DestroyResult(&res)
		if state == bindings.StateError {
			return errors.New(bindings.ResultError(&res))
		}
		chunk := bindings.FetchChunk(res)
		if chunk.Ptr == nil {
			return errors.New("no chunk")
		}
		bindings.DestroyDataChunk(&chunk)
		return nil
	})
}
