package lakehouse

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Results far past a page: a GROUP BY whose groups come out in a different
// order on every run, and a hash join. Each page re-running the query (the
// old LIMIT/OFFSET paging) returned 50,000 rows with only 30,000-40,000
// distinct keys.
var bigResults = []struct{ name, sql string }{
	{"group by", "select i % 50000 as k, count(*) as n from range(2000000) t(i) group by k"},
	{"hash join", `select a.i as k, b.n from range(120000) a(i)
		join (select i % 60000 as j, count(*) as n from range(600000) t(i) group by j) b on a.i % 60000 = b.j`},
}

// multiset counts each row, printed, as DuckDB returns it run directly.
func directMultiset(t *testing.T, lh *Lakehouse, q string) map[string]int {
	t.Helper()
	rows, err := lh.db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k, n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprint(k, n)]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func addRows(t *testing.T, into map[string]int, rows [][]any) {
	t.Helper()
	for _, r := range rows {
		into[fmt.Sprint(r[0], r[1])]++
	}
}

func sameMultiset(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d distinct rows, want %d", what, len(got), len(want))
	}
	bad := 0
	for k, n := range want {
		if got[k] != n {
			if bad++; bad <= 5 {
				t.Errorf("%s: row %s appears %d times, want %d", what, k, got[k], n)
			}
		}
	}
}

func auditCount(t *testing.T, lh *Lakehouse, principal string) (events int, rows int64) {
	t.Helper()
	err := lh.db.QueryRow("SELECT count(*), coalesce(sum(rows), 0)::BIGINT FROM sys.audit WHERE principal = ? AND allowed", principal).Scan(&events, &rows)
	if err != nil {
		t.Fatal(err)
	}
	return events, rows
}

// TestStreamIsOneResultSet: Stream returns exactly DuckDB's multiset of rows
// (one execution), in batches, audited once.
func TestStreamIsOneResultSet(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{Principal: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, tc := range bigResults {
		want := directMultiset(t, lh, tc.sql)
		total := 0
		for _, n := range want {
			total += n
		}
		events, _ := auditCount(t, lh, "ana")
		got := map[string]int{}
		batches, streamed := 0, int64(0)
		err := lh.Stream(ctx, tc.sql, 10_000, func(r *Result) error {
			if len(r.Rows) > 10_000 || r.Offset != streamed {
				t.Errorf("%s: batch at offset %d (want %d) has %d rows", tc.name, r.Offset, streamed, len(r.Rows))
			}
			batches++
			streamed += int64(len(r.Rows))
			addRows(t, got, r.Rows)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if streamed != int64(total) || batches != (total+9_999)/10_000 {
			t.Errorf("%s: %d rows in %d batches, want %d rows", tc.name, streamed, batches, total)
		}
		sameMultiset(t, tc.name+" streamed", got, want)
		if after, _ := auditCount(t, lh, "ana"); after != events+1 {
			t.Errorf("%s: %d audit events for one result, want 1", tc.name, after-events)
		}
		var rows int64
		lh.db.QueryRow("SELECT rows FROM sys.audit ORDER BY event_time DESC LIMIT 1").Scan(&rows)
		if rows != int64(total) {
			t.Errorf("%s: audited %d rows, want %d", tc.name, rows, total)
		}
	}
}

// TestPageIsOneSnapshot: paging a result reads one execution's rows, each
// exactly once, whatever order DuckDB produced them in; the snapshot is
// audited once.
func TestPageIsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{Principal: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, tc := range bigResults {
		want := directMultiset(t, lh, tc.sql)
		events, _ := auditCount(t, lh, "ana")
		got := map[string]int{}
		var n int64
		// Pages out of order too: the grid jumps.
		for _, off := range []int64{30_000, 0, 10_000, 20_000} {
			p, err := lh.Page(ctx, tc.sql, off, 10_000)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if p.Offset != off || len(p.Rows) != 10_000 {
				t.Fatalf("%s: page at %d: offset %d, %d rows", tc.name, off, p.Offset, len(p.Rows))
			}
			addRows(t, got, p.Rows)
			n += int64(len(p.Rows))
		}
		for off := int64(40_000); ; off += 10_000 {
			p, err := lh.Page(ctx, tc.sql, off, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			addRows(t, got, p.Rows)
			n += int64(len(p.Rows))
			if len(p.Rows) < 10_000 {
				break
			}
		}
		sameMultiset(t, tc.name+" paged", got, want)
		if after, _ := auditCount(t, lh, "ana"); after != events+1 {
			t.Errorf("%s: %d audit events for one paged result, want 1", tc.name, after-events)
		}
		rs, err := lh.Snapshot(ctx, tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		if rs.Rows() != n {
			t.Errorf("%s: snapshot has %d rows, pages had %d", tc.name, rs.Rows(), n)
		}
		rs.Close()
		if _, err := rs.Page(ctx, 0, 10); err == nil {
			t.Errorf("%s: a closed result still pages", tc.name)
		}
	}
}

// TestPageKeepsOrderAndNames: pages of an ordered result are in its order,
// and a result's column names are the query's, repeated names included.
func TestPageKeepsOrderAndNames(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	q := "select i % 7000 as k, count(*) as n from range(700000) t(i) group by k order by k desc -- newest first"
	prev := int64(7000)
	for off := int64(0); off < 7000; off += 999 {
		p, err := lh.Page(ctx, q, off, 999)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rows {
			if k := r[0].(int64); k != prev-1 {
				t.Fatalf("row after k=%d is k=%d", prev, k)
			} else {
				prev = k
			}
		}
	}
	p, err := lh.Page(ctx, "select 1 as a, 'x' as a, 2 as lb_row", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Columns {
		names = append(names, c.Name+" "+c.Type)
	}
	if got := strings.Join(names, ", "); got != "a INTEGER, a VARCHAR, lb_row INTEGER" || len(p.Rows) != 1 || p.Rows[0][1] != "x" {
		t.Errorf("columns %s, rows %v", got, p.Rows)
	}
}
