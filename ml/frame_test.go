package ml

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// openFrameTarget opens a writable target in a temp dir and runs stmts.
func openFrameTarget(t *testing.T, stmts ...string) *lakehouse.Lakehouse {
	t.Helper()
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	for _, s := range stmts {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return lh
}

// TestReadFrame: numbers, booleans, dates (epoch days) and text become
// Numeric, Boolean, Numeric and Text columns with their NULLs masked.
func TestReadFrame(t *testing.T) {
	ctx := context.Background()
	lh := openFrameTarget(t,
		`CREATE TABLE gold.customers (customer_id BIGINT, spend DECIMAL(8,2), churned BOOLEAN, signed_up DATE,
			last_seen TIMESTAMP, plan VARCHAR)`,
		`INSERT INTO gold.customers VALUES
			(1, 10.50, true, DATE '1970-01-11', TIMESTAMP '1970-01-01 06:00:00', 'pro'),
			(2, NULL, false, NULL, NULL, NULL),
			(3, 0, NULL, DATE '1969-12-22', TIMESTAMP '1970-01-03 00:00:00', 'free')`)
	f, err := ReadFrame(ctx, lh, "gold.customers", []string{"spend", "churned", "signed_up", "last_seen", "plan"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows != 3 || len(f.Columns) != 5 {
		t.Fatalf("got %d rows, %d columns; want 3 and 5", f.Rows, len(f.Columns))
	}
	want := []Column{
		{Name: "spend", Type: "DECIMAL(8,2)", Kind: Numeric, Num: []float64{10.5, 0, 0}, Null: []bool{false, true, false}},
		{Name: "churned", Type: "BOOLEAN", Kind: Boolean, Num: []float64{1, 0, 0}, Null: []bool{false, false, true}},
		{Name: "signed_up", Type: "DATE", Kind: Numeric, Num: []float64{10, 0, -10}, Null: []bool{false, true, false}},
		{Name: "last_seen", Type: "TIMESTAMP", Kind: Numeric, Num: []float64{0.25, 0, 2}, Null: []bool{false, true, false}},
		{Name: "plan", Type: "VARCHAR", Kind: Text, Text: []string{"pro", "", "free"}, Null: []bool{false, true, false}},
	}
	for i, w := range want {
		if got := f.Columns[i]; !reflect.DeepEqual(got, w) {
			t.Errorf("column %d:\ngot  %+v\nwant %+v", i, got, w)
		}
	}
	if c := f.Column("plan"); c == nil || !c.IsNull(1) || c.IsNull(0) {
		t.Errorf("Column(plan) = %+v", c)
	}
	all, err := ReadFrame(ctx, lh, "gold.customers", nil)
	if err != nil || len(all.Columns) != 6 || all.Columns[0].Name != "customer_id" || all.Columns[0].Null != nil {
		t.Errorf("all columns: %+v %v", all, err)
	}
}

// TestReadFrameErrors: a bad table name, a missing table or column and a
// column that is no feature say so; a read past the grants is refused.
func TestReadFrameErrors(t *testing.T) {
	ctx := context.Background()
	lh := openFrameTarget(t,
		"CREATE TABLE gold.t AS SELECT 1 AS a, {'x': 1} AS s",
		"CREATE TABLE silver.hidden AS SELECT 1 AS a")
	for _, tc := range []struct{ table, column, want string }{
		{"customers", "a", `table "customers": want SCHEMA.NAME`},
		{"gold.nope", "a", "read gold.nope: table not found"},
		{"gold.t", "b", `column "b" not found: its columns are a, s`},
		{"gold.t", "s", "column s is STRUCT(x INTEGER), which is neither a number, a boolean, a date or time nor text"},
	} {
		if _, err := ReadFrame(ctx, lh, tc.table, []string{tc.column}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s.%s: got %v, want an error with %q", tc.table, tc.column, err, tc.want)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, lakehouse.Governance{Owner: "sp-dev",
		Grants: []lakehouse.Grant{{Principal: "sp-ml", Privilege: lakehouse.Select, Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	lh.SetPrincipal("sp-ml")
	var ae *lakehouse.AccessError
	if _, err := ReadFrame(ctx, lh, "silver.hidden", nil); !errors.As(err, &ae) {
		t.Errorf("sp-ml read silver.hidden: got %v, want an *AccessError", err)
	}
	if f, err := ReadFrame(ctx, lh, "gold.t", []string{"a"}); err != nil || f.Rows != 1 {
		t.Errorf("sp-ml read gold.t: %+v %v", f, err)
	}
	tx, err = lh.BeginAs(ctx, "sp-ml")
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := ReadFrameTx(ctx, tx, "silver.hidden", nil); !errors.As(err, &ae) {
		t.Errorf("sp-ml read silver.hidden in a transaction: got %v, want an *AccessError", err)
	}
	if f, err := ReadFrameTx(ctx, tx, "gold.t", []string{"a"}); err != nil || f.Columns[0].Num[0] != 1 {
		t.Errorf("sp-ml read gold.t in a transaction: %+v %v", f, err)
	}
}
