package lakehouse

import (
	"context"
	"testing"
)

// TestTracedMergeReplacesTheKeyedRows: a traced merge by key finds the
// rows it replaces once (temp.lb_lost, with their row ids) for the trace
// and the DELETE. It replaces exactly the rows of the new keys, NULL keys
// as one key, and traces the times of the rows it removed and added. A
// model with a column named rowid hides DuckDB's row id: the merge then
// deletes by key; without that guard it deleted by the column's values,
// and a row of a key it did not touch went too.
func TestTracedMergeReplacesTheKeyedRows(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, cols string
	}{
		{"row ids", "id, day, x"},
		{"a column named rowid", "id, day, x, 7 AS rowid"},
		{"a column named RowId", `id, day, x, 7 AS "RowId"`},
		{"a column named lb_rowid", "id, day, x, 7 AS lb_rowid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lh := openTemp(t)
			table := TableName{"silver", "m"}
			materialize(t, lh, table, `SELECT `+tc.cols+` FROM (VALUES (1, DATE '2026-01-05', 10), (2, DATE '2026-01-02', 20), (3, DATE '2026-01-07', 30), (NULL, DATE '2026-01-08', 40)) AS v(id, day, x)`,
				Materialization{}, nil, QualityRun{})
			tr := &Trace{Alias: "m", Exprs: []string{`"day"`}}
			tx, err := lh.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			// Key 2 moves to a later day, NULL is replaced, 4 is new.
			if _, _, err := tx.MaterializeChecked(ctx, table, `SELECT `+tc.cols+` FROM (VALUES (2, DATE '2026-01-09', 21), (NULL, DATE '2026-01-09', 41), (4, DATE '2026-01-06', 50)) AS v(id, day, x)`,
				Materialization{UniqueKey: []string{"id"}, Trace: tr}, nil, QualityRun{RunID: "r1"}); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m"); got != 5 {
				t.Errorf("rows: got %d, want 5 (keys 1, 2, 3, 4 and NULL)", got)
			}
			if got := scalarInt(t, lh, "SELECT sum(x) FROM silver.m"); got != 10+21+30+41+50 {
				t.Errorf("sum of x: got %d, want %d (keys 1 and 3 kept, 2 and NULL replaced, 4 added)", got, 10+21+30+41+50)
			}
			// Removed: key 2 (01-02) and NULL (01-08); added: 3 rows.
			want := Change{Earliest: "2026-01-02", Type: "DATE", Rows: 5}
			if len(tr.Found) != 1 || tr.Found[0] != want {
				t.Errorf("trace: got %+v, want %+v", tr.Found, want)
			}
			if got := scalarInt(t, lh, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'lb_lost'"); got != 0 {
				t.Errorf("temp.lb_lost left behind")
			}
		})
	}
}
