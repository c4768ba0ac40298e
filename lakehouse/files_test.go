package lakehouse

import (
	"context"
	"errors"
	"testing"
)

// TestMaterializeRefusesInternalTables: a model may not build a table in
// bronze, bronze_data or sys, nor a table files are loaded into, whatever
// its caller checked; the rows there survive the attempt.
func TestMaterializeRefusesInternalTables(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	ingestText(t, lh, "orders.csv", "id,amount\n1,10\n2,20\n", "orders")
	if _, err := lh.Ingest(ctx, []string{writeFile(t, t.TempDir(), "x.csv", "id\n1\n")}, IngestOptions{Table: TableName{"silver", "loaded"}}); err != nil {
		t.Fatal(err)
	}
	if err := lh.RecordRun(ctx, Run{RunID: "r1", Job: "nightly", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	for _, table := range []TableName{{"bronze_data", "orders"}, {"bronze", "orders"}, {"BRONZE_DATA", "orders"}, {"sys", "runs"}, {"sys", "audit"},
		{"bronze", "new_table"}, {"silver_data", "loaded"}, {"silver", "loaded"}} {
		t.Run(table.String(), func(t *testing.T) {
			tx, err := lh.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			_, err = tx.Materialize(ctx, table, "select 99 as id, 0 as amount", Materialization{})
			if !errors.Is(err, ErrInternalTable) {
				t.Errorf("Materialize: got %v, want ErrInternalTable", err)
			}
			_, _, err = tx.MaterializeChecked(ctx, table, "select 99 as id", Materialization{}, []Rule{{Name: "r", Expression: "id > 0", Criticality: "error"}})
			if !errors.Is(err, ErrInternalTable) {
				t.Errorf("MaterializeChecked: got %v, want ErrInternalTable", err)
			}
			if _, err := tx.ApplyQuality(ctx, table, []Rule{{Name: "none", Expression: "false", Criticality: "error"}}); !errors.Is(err, ErrInternalTable) {
				t.Errorf("ApplyQuality with an error rule: got %v, want ErrInternalTable", err)
			}
		})
	}
	for q, want := range map[string]int64{"select * from bronze.orders": 2, "select * from silver.loaded": 1, "select * from sys.runs": 1} {
		if n, err := lh.Count(ctx, q); err != nil || n != want {
			t.Errorf("%s: %d rows (%v), want %d", q, n, err, want)
		}
	}
	// A model of its own is still built.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if n, err := tx.Materialize(ctx, TableName{"silver", "orders"}, "select * from bronze.orders", Materialization{}); err != nil || n != 2 {
		t.Errorf("silver.orders: %d rows (%v), want 2", n, err)
	}
}
