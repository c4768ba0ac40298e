package lakehouse

import (
	"context"
	"testing"
)

// TestReviewTracedMergeTableKeepsAColumnNamedRowid: the table a traced
// merge by key writes has a column named rowid that the model's new
// select no longer has (its SQL changed, no full refresh). The rows it
// replaces must be those of the new keys: DuckDB's row id is hidden by
// the table's column, so deleting "WHERE rowid IN (...)" compares the
// column's values instead.
func TestReviewTracedMergeTableKeepsAColumnNamedRowid(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	table := TableName{"silver", "m"}
	materialize(t, lh, table, `SELECT id, day, x, 5 AS rowid FROM (VALUES (0, DATE '2026-01-05', 10), (1, DATE '2026-01-02', 20), (2, DATE '2026-01-07', 30)) AS v(id, day, x)`,
		Materialization{}, nil, QualityRun{})
	tr := &Trace{Alias: "m", Exprs: []string{`"day"`}}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, _, err = tx.MaterializeChecked(ctx, table, `SELECT id, day, x FROM (VALUES (1, DATE '2026-01-09', 21)) AS v(id, day, x)`,
		Materialization{UniqueKey: []string{"id"}, Trace: tr}, nil, QualityRun{RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := scalarIntTx(t, tx, "SELECT count(*) FROM silver.m"); got != 3 {
		t.Errorf("rows: got %d, want 3 (keys 0, 1, 2)", got)
	}
	if got := scalarIntTx(t, tx, "SELECT sum(x) FROM silver.m"); got != 10+21+30 {
		t.Errorf("sum of x: got %d, want %d (key 1 replaced, 0 and 2 kept)", got, 10+21+30)
	}
}

func scalarIntTx(t *testing.T, tx *Tx, q string) int64 {
	t.Helper()
	var n int64
	if err := tx.tx.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
