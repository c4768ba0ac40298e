package lakehouse

import (
	"context"
	"errors"
	"testing"
	"time"
)

// materialize builds table from selectSQL with rules in one committed
// transaction, as a run would.
func materialize(t *testing.T, lh *Lakehouse, table TableName, selectSQL string, m Materialization, rules []Rule, run QualityRun) []RuleOutcome {
	t.Helper()
	ctx := context.Background()
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, out, err := tx.MaterializeChecked(ctx, table, selectSQL, m, rules, run)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return out
}

func scalarInt(t *testing.T, lh *Lakehouse, q string) int64 {
	t.Helper()
	res, err := lh.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	switch v := res.Rows[0][0].(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	}
	t.Fatalf("%s: got %T %v", q, res.Rows[0][0], res.Rows[0][0])
	return 0
}

// TestMaterializeCheckedSplitsRows: rows failing an error check go to the
// quarantine with _errors (DQX's struct, every field), never into the
// table; rows failing only a warn check go in with _warnings; the rest
// have neither; rows in = valid + quarantined.
func TestMaterializeCheckedSplitsRows(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	run := QualityRun{RunID: "run-1", RunTime: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)}
	rules := []Rule{
		{Name: "id_is_not_null", Criticality: "error", Function: "is_not_null", Fail: `"id" IS NULL`,
			Message: `'Column ''id'' value is null'`, Columns: []string{"id"}, UserMetadata: map[string]string{"owner": "ben"}},
		{Name: "qty_positive", Criticality: "error", Function: "sql_expression", Fail: `NOT (qty > 0)`, Message: `'qty ' || qty || ' <= 0'`, Columns: []string{"qty"}},
		{Name: "small_qty", Criticality: "warn", Function: "is_not_greater_than", Fail: `qty > 5`, Message: `'big'`, Filter: "id <> 4"},
	}
	sel := "SELECT * FROM (VALUES (1, 3), (2, 9), (NULL, 1), (3, -1), (NULL, -2), (4, 10)) AS v(id, qty)"
	out := materialize(t, lh, TableName{"silver", "t"}, sel, Materialization{}, rules, run)
	want := []int64{2, 2, 1}
	for i, o := range out {
		if o.RowsChecked != 6 || o.RowsFailed != want[i] {
			t.Errorf("%s: checked %d failed %d; want 6, %d", o.Rule.Name, o.RowsChecked, o.RowsFailed, want[i])
		}
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.t"); got != 3 {
		t.Errorf("table rows: got %d, want 3 (ids 1, 2, 4)", got)
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.t WHERE id = 2 AND _warnings[1].name = 'small_qty' AND len(_warnings) = 1"); got != 1 {
		t.Errorf("id 2 should carry one warning small_qty")
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.t WHERE _warnings IS NOT NULL"); got != 1 {
		t.Errorf("rows with warnings: got %d, want 1 (id 4 is outside the filter)", got)
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.t_quarantine"); got != 3 {
		t.Errorf("quarantine rows: got %d, want 3", got)
	}
	rows, total, err := lh.Quarantined(ctx, TableName{"silver", "t"}, 10)
	if err != nil || total != 3 {
		t.Fatalf("Quarantined: %v %d", err, total)
	}
	var both *QuarantinedRow
	for i := range rows {
		if len(rows[i].Errors) == 2 {
			both = &rows[i]
		}
	}
	if both == nil {
		t.Fatalf("no row with two errors: %+v", rows)
	}
	e := both.Errors[0]
	if e.Name != "id_is_not_null" || e.Function != "is_not_null" || e.Message != "Column 'id' value is null" || len(e.Columns) != 1 || e.Columns[0] != "id" ||
		e.RunID != "run-1" || !e.RunTime.Equal(run.RunTime) || e.UserMetadata["owner"] != "ben" || e.Filter != "" {
		t.Errorf("first error: got %+v", e)
	}
	if both.Errors[1].Message != "qty -2 <= 0" || both.RunID != "run-1" || both.Reason != "id_is_not_null: Column 'id' value is null; qty_positive: qty -2 <= 0" {
		t.Errorf("second error / reason: got %+v", both)
	}
	res, err := lh.Query(ctx, "SELECT typeof(_errors), typeof(_warnings) FROM silver.t_quarantine LIMIT 1")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0][0]; got != CheckResultType+"[]" {
		t.Errorf("_errors type: got %v, want %s[]", got, CheckResultType)
	}
}

// TestQuarantineKeepsRunsHistory: a full model's quarantine gains each
// run's rejects with its run id; a rebuild starts it over.
func TestQuarantineKeepsRunsHistory(t *testing.T) {
	lh := openTemp(t)
	rules := []Rule{{Name: "pos", Criticality: "error", Fail: "x <= 0"}}
	table := TableName{"silver", "h"}
	sel := "SELECT * FROM (VALUES (1), (-1), (-2)) AS v(x)"
	materialize(t, lh, table, sel, Materialization{}, rules, QualityRun{RunID: "r1"})
	materialize(t, lh, table, sel, Materialization{}, rules, QualityRun{RunID: "r2"})
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.h_quarantine"); got != 4 {
		t.Errorf("after two runs: %d quarantined rows, want 4", got)
	}
	if got := scalarInt(t, lh, "SELECT count(DISTINCT _run_id) FROM silver.h_quarantine WHERE _run_id = _errors[1].run_id"); got != 2 {
		t.Errorf("runs in the quarantine: %d, want 2", got)
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.h"); got != 1 {
		t.Errorf("table: %d rows, want 1", got)
	}
	materialize(t, lh, table, sel, Materialization{Rebuild: true}, rules, QualityRun{RunID: "r3"})
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.h_quarantine WHERE _run_id = 'r3'"); got != 2 || scalarInt(t, lh, "SELECT count(*) FROM silver.h_quarantine") != 2 {
		t.Errorf("a rebuild should start the quarantine over with its own 2 rows")
	}
	// New columns: the quarantine's rows no longer fit, so it starts over.
	materialize(t, lh, table, "SELECT x, 'a' AS y FROM ("+sel+")", Materialization{}, rules, QualityRun{RunID: "r4"})
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.h_quarantine WHERE y = 'a'"); got != 2 {
		t.Errorf("after a column change: %d rows with y, want 2", got)
	}
}

// TestApplyQualityMovesErrorRows: a checks pass over an existing table
// counts in one scan, and error rows move to the quarantine.
func TestApplyQualityMovesErrorRows(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	table := TableName{"silver", "a"}
	materialize(t, lh, table, "SELECT * FROM (VALUES (1), (1), (2), (NULL)) AS v(k)", Materialization{}, nil, QualityRun{})
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	out, err := tx.ApplyQuality(ctx, table, []Rule{
		{Name: "uniq", Criticality: "warn", Function: "is_unique", Fail: `k IS NOT NULL AND count(*) OVER (PARTITION BY k) > 1`},
		{Name: "nn", Criticality: "error", Function: "is_not_null", Fail: `k IS NULL`},
	}, QualityRun{RunID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].RowsFailed != 2 || out[1].RowsFailed != 1 || out[0].RowsChecked != 4 {
		t.Errorf("outcomes: %+v", out)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if scalarInt(t, lh, "SELECT count(*) FROM silver.a") != 3 || scalarInt(t, lh, "SELECT count(*) FROM silver.a_quarantine WHERE _run_id = 'c1'") != 1 {
		t.Errorf("the NULL row should have moved to the quarantine")
	}
}

// TestConservationErrorSays: the error names the table and the counts.
func TestConservationErrorSays(t *testing.T) {
	err := error(&QualityConservationError{Table: TableName{"silver", "x"}, In: 5, Valid: 3, Quarantine: 1})
	var ce *QualityConservationError
	if !errors.As(err, &ce) || ce.In != 5 {
		t.Fatal("not a QualityConservationError")
	}
}
