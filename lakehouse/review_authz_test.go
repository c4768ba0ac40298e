package lakehouse

import (
	"maps"
	"slices"
	"testing"
)

// Reviewer's attacks on the transaction's kept catalog (catalogTx): each
// step runs a statement mayChangeCatalog lets through as not changing
// the catalog, then compares what the transaction keeps with DuckDB's
// answer in the same transaction.

// reviewSameCatalog fails when what tx keeps of t (Exists, Columns,
// views) differs from what DuckDB says inside tx.
func reviewSameCatalog(t *testing.T, tx *Tx, tbl TableName, step string) {
	t.Helper()
	ctx := t.Context()
	got, err := tx.Exists(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tableExists(ctx, tx.tx.Tx, tbl)
	if err != nil || got != want {
		t.Errorf("after %s: Exists(%s) = %v, DuckDB %v (%v)", step, tbl, got, want, err)
	}
	cols, err := tx.Columns(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := readTableColumns(ctx, tx.tx.Tx, tbl)
	if err != nil || !slices.Equal(cols, raw) {
		t.Errorf("after %s: Columns(%s) = %v, DuckDB %v (%v)", step, tbl, cols, raw, err)
	}
	var catalog string
	if err := tx.tx.Tx.QueryRowContext(ctx, "SELECT current_database()").Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	counts, err := tx.tx.viewCounts(ctx, catalog)
	if err != nil {
		t.Fatal(err)
	}
	rawCounts, err := readViewCounts(ctx, tx.tx.Tx, catalog)
	if err != nil || !maps.Equal(counts, rawCounts) {
		t.Errorf("after %s: views %v, DuckDB %v (%v)", step, counts, rawCounts, err)
	}
}

// TestReviewTxCatalogSchemaNamedTemp: a schema of the database named temp.
// mayChangeCatalog takes DROP TABLE/VIEW temp.x for a drop in catalog temp
// (not kept); if DuckDB drops the database's temp.x instead, the kept
// catalog still lists it.
func TestReviewTxCatalogSchemaNamedTemp(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	var catalog string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_database()").Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	q := QuoteIdent(catalog)
	if _, err := lh.db.ExecContext(ctx, "CREATE SCHEMA "+q+".temp; CREATE TABLE "+q+".temp.x AS SELECT 1 AS a; CREATE VIEW "+q+".temp.v AS SELECT 1 AS b"); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	x, v := TableName{Schema: "temp", Name: "x"}, TableName{Schema: "temp", Name: "v"}
	reviewSameCatalog(t, tx, x, "nothing")
	reviewSameCatalog(t, tx, v, "nothing")
	for _, stmt := range []string{"DROP TABLE IF EXISTS temp.x", "DROP TABLE temp.x", "DROP VIEW IF EXISTS temp.v", "DROP VIEW temp.v"} {
		_, err := tx.Exec(ctx, stmt)
		t.Logf("%s: %v", stmt, err)
		reviewSameCatalog(t, tx, x, stmt)
		reviewSameCatalog(t, tx, v, stmt)
	}
}

// TestReviewTxCatalogSchemaStatements: CREATE SCHEMA statements
// mayChangeCatalog lets through (CREATE OR REPLACE SCHEMA over a schema
// holding a view or a macro, a schema with elements, a temporary table
// named as a real one), each in a transaction of its own, compared with
// DuckDB's answer after it runs.
func TestReviewTxCatalogSchemaStatements(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	if _, err := lh.db.ExecContext(ctx, "CREATE SCHEMA s; CREATE TABLE s.t AS SELECT 1 AS a; CREATE SCHEMA sv; CREATE VIEW sv.v AS SELECT 1 AS a; CREATE SCHEMA sm; CREATE MACRO sm.m(x) AS random() + x"); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"CREATE OR REPLACE SCHEMA sv",
		"CREATE OR REPLACE SCHEMA sm",
		"CREATE SCHEMA s2 CREATE TABLE t (a INT)",
		"CREATE TEMP TABLE s.t (z INT)",
		"CREATE TEMP TABLE t AS SELECT 1 AS z",
	} {
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rels := []TableName{{Schema: "s", Name: "t"}, {Schema: "sv", Name: "v"}, {Schema: "s2", Name: "t"}}
		for _, r := range rels {
			reviewSameCatalog(t, tx, r, "nothing")
		}
		for _, where := range slices.Sorted(maps.Keys(userFunctionWhere)) {
			if _, err := tx.functionNames(ctx, where); err != nil {
				t.Fatal(err)
			}
		}
		_, err = tx.Exec(ctx, stmt)
		t.Logf("%s: %v", stmt, err)
		if err == nil {
			for _, r := range rels {
				reviewSameCatalog(t, tx, r, stmt)
			}
			for _, where := range slices.Sorted(maps.Keys(userFunctionWhere)) {
				got, err := tx.functionNames(ctx, where)
				if err != nil {
					t.Fatal(err)
				}
				want, err := functionNames(ctx, tx.tx.Tx, where)
				if err != nil {
					t.Fatal(err)
				}
				if !maps.Equal(got, want) {
					t.Errorf("after %s: functionNames(%s) has %d names, DuckDB %d", stmt, where, len(got), len(want))
				}
			}
		}
		tx.Rollback()
	}
}
