package lakehouse

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMergeBoundsSkipRowGroups: a merge by key bounds the table's rows it
// looks for to the new keys' range, so DuckDB's zone maps skip the row
// groups outside it: a day's new ids, past every old one, read a few
// thousand of 400,000 rows instead of all. The bound changes no answer: a
// new NULL key (which matches the table's NULL keys) drops it, and the
// merge replaces exactly the keyed rows, NULL as one key.
func TestMergeBoundsSkipRowGroups(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	table := TableName{"silver", "m"}
	materialize(t, lh, table, `SELECT CASE WHEN i = 7 THEN NULL ELSE i END AS id, i % 10 AS x, DATE '2026-01-01' + (i % 30)::INT AS day FROM range(400000) AS r(i) ORDER BY i`, Materialization{}, nil, QualityRun{})
	scanned := func(newRows string) (int64, string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_checked AS "+newRows); err != nil {
			t.Fatal(err)
		}
		bounds, err := tx.mergeKeyBounds(ctx, []TableName{table}, []string{"id"})
		if err != nil {
			t.Fatal(err)
		}
		var plan string
		rows, err := tx.tx.QueryContext(ctx, "EXPLAIN ANALYZE SELECT count(*) FROM "+table.SQL()+
			" WHERE EXISTS (SELECT 1 FROM temp.lb_checked AS lb_new WHERE "+sameKey(table, []string{"id"})+")"+bounds(table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			plan += v
		}
		rows.Close()
		// The scan of the model's table: the largest row count in the plan.
		var most int64
		for _, m := range regexp.MustCompile(`([\d,]+) rows`).FindAllStringSubmatch(plan, -1) {
			n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
			most = max(most, n)
		}
		return most, bounds(table)
	}
	if n, b := scanned(`SELECT 400000 + i AS id, 1 AS x FROM range(10) AS r(i) UNION ALL SELECT 399999, 2`); n >= 100000 || b == "" {
		t.Errorf("new ids past the old ones: %d rows read (bound %q), want under 100,000 of 400,000", n, b)
	}
	if _, b := scanned(`SELECT NULL::BIGINT AS id, 1 AS x UNION ALL SELECT 400001, 1`); b != "" {
		t.Errorf("a new NULL key: bound %q, want none (it matches the table's NULL key)", b)
	}

	// The merge itself, untraced and traced: keys 399999 and NULL
	// replaced, 10 added.
	for _, tr := range []*Trace{nil, {Alias: "m", Exprs: []string{`"day"`}}} {
		materialize(t, lh, table, `SELECT 400000 + i AS id, 100 AS x, DATE '2026-02-01' AS day FROM range(10) AS r(i) UNION ALL SELECT 399999, 100, DATE '2026-02-01' UNION ALL SELECT NULL, 100, DATE '2026-02-01'`,
			Materialization{UniqueKey: []string{"id"}, Trace: tr}, nil, QualityRun{RunID: "r1"})
		if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m"); got != 400010 {
			t.Errorf("rows: got %d, want 400,010", got)
		}
		if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m WHERE x = 100"); got != 12 {
			t.Errorf("rows of the merge: got %d, want 12 (10 new, 399999 and NULL replaced)", got)
		}
	}
}
