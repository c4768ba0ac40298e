package lakehouse

import (
	"context"
	"testing"
)

// TestReplaceWithoutRulesWritesDirectly: an in-place build by time with no
// rule writes the SELECT's rows into the table without copying them to
// temp.lb_checked first, and still replaces exactly the window's rows (in
// the table and in a quarantine earlier rules left), counts them, and
// traces the earliest time among the rows it removed and added; a build
// with a rule, or a merge by key, still takes the checked copy. Without
// the direct path every in-place build copied its rows.
func TestReplaceWithoutRulesWritesDirectly(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	var copies []TableName
	onCheckedCopy = func(t TableName) { copies = append(copies, t) }
	defer func() { onCheckedCopy = nil }()

	table := TableName{"gold", "daily"}
	materialize(t, lh, table, `SELECT * FROM (VALUES (DATE '2026-01-01', 1), (DATE '2026-01-02', 2), (DATE '2026-01-03', 3), (NULL::DATE, 4)) AS v(day, x)`,
		Materialization{}, nil, QualityRun{})
	// A quarantine a former rule left: its window's rows go with the table's.
	if _, err := lh.Exec(ctx, `CREATE TABLE gold.daily_quarantine AS SELECT DATE '2026-01-03' AS day, 9 AS x, NULL::`+CheckResultType+`[] AS _errors, NULL::`+CheckResultType+`[] AS _warnings, 'r0' AS _run_id`); err != nil {
		t.Fatal(err)
	}
	cond := `("day" >= DATE '2026-01-02' OR "day" IS NULL)`
	tr := &Trace{Alias: "daily", Exprs: []string{`"day"`, `"day" + 10`}}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	n, out, err := tx.MaterializeChecked(ctx, table,
		`SELECT * FROM (VALUES (DATE '2026-01-03', 30), (DATE '2026-01-04', 40)) AS v(day, x) WHERE `+cond,
		Materialization{ReplaceWhere: cond, Trace: tr}, nil, QualityRun{RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n != 3 || out != nil {
		t.Errorf("got %d rows and outcomes %v; want 3 rows (days 1, 3, 4) and none", n, out)
	}
	if got := scalarInt(t, lh, "SELECT sum(x) FROM gold.daily"); got != 1+30+40 {
		t.Errorf("sum of x: got %d, want 71 (day 1 kept, days 2, 3 and NULL replaced)", got)
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM gold.daily_quarantine"); got != 0 {
		t.Errorf("quarantine rows of the window: got %d, want 0", got)
	}
	// Removed: days 2, 3 and NULL (3 rows); added: days 3 and 4.
	want := []Change{{Earliest: "2026-01-02", Type: "DATE", Rows: 5}, {Earliest: "2026-01-12", Type: "DATE", Rows: 5}}
	if len(tr.Found) != 2 || tr.Found[0] != want[0] || tr.Found[1] != want[1] {
		t.Errorf("trace: got %+v, want %+v", tr.Found, want)
	}
	if len(copies) != 0 {
		t.Errorf("rows copied to temp.lb_checked for %v; want no copy", copies)
	}

	// A merge by key and a build with a rule still copy (their rows are
	// read twice, or split).
	materialize(t, lh, table, `SELECT DATE '2026-01-05' AS day, 5 AS x`, Materialization{UniqueKey: []string{"day"}}, nil, QualityRun{})
	materialize(t, lh, table, `SELECT DATE '2026-01-06' AS day, 6 AS x`, Materialization{ReplaceWhere: `"day" >= DATE '2026-01-06'`},
		[]Rule{{Name: "pos", Criticality: "error", Fail: "x <= 0"}}, QualityRun{RunID: "r2"})
	if len(copies) != 2 {
		t.Errorf("copies: got %v, want the merge's and the checked build's", copies)
	}
}
