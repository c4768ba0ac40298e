package lakehouse

import (
	"context"
	"reflect"
	"testing"
)

// keptMatchesDuckDB checks that the lakehouse's catalog (as kept or read)
// equals a fresh read of DuckDB's.
func keptMatchesDuckDB(t *testing.T, lh *Lakehouse, what string) {
	t.Helper()
	ctx := context.Background()
	got, err := lh.catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := readCatalogSnap(ctx, lh.db)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.rels, fresh.rels) || !reflect.DeepEqual(got.cols, fresh.cols) {
		t.Errorf("%s: the kept catalog %v %v; DuckDB's %v %v", what, got.rels, got.cols, fresh.rels, fresh.cols)
	}
}

// TestReviewKeptCatalogOddDDL: statements whose text the clock reads as
// not changing the catalog (a temporary table, a schema, a drop in temp)
// but which DuckDB may run against the database's own tables.
func TestReviewKeptCatalogOddDDL(t *testing.T) {
	cases := []struct {
		name  string
		setup []string
		stmt  string
	}{
		{"nested comment hides DDL", nil, "/* /* */ CREATE TABLE s.n1 (a INT); --*/ SELECT 1"},
		{"create or replace schema", nil, "CREATE OR REPLACE SCHEMA s"},
		{"schema named temp, drop table", []string{"CREATE SCHEMA main.temp", "CREATE TABLE main.temp.y (a INT)"}, "DROP TABLE temp.y"},
		{"schema named temp, drop view", []string{"CREATE SCHEMA main.temp", "CREATE VIEW main.temp.v AS SELECT 1 AS a"}, "DROP VIEW temp.v"},
		{"temp table in main", nil, "CREATE TEMP TABLE main.x (a INT)"},
		{"temp table in s", nil, "CREATE TEMP TABLE s.x (a INT)"},
		{"temp table in db.main", nil, "CREATE TEMP TABLE k.main.x (a INT)"},
		{"drop temp.main-qualified", nil, "DROP TABLE IF EXISTS temp.s.a"},
		{"schema with table", nil, "CREATE SCHEMA s9; CREATE TABLE s9.t (a INT)"},
		{"create schema if not exists", nil, "CREATE SCHEMA IF NOT EXISTS s"},
		{"temp table as select", nil, "CREATE TEMP TABLE a AS SELECT * FROM s.a"},
		{"drop temp of a shadow", []string{"CREATE TEMP TABLE a (q INT)"}, "DROP TABLE temp.a"},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lh := openKeep(t)
			for _, s := range c.setup {
				if _, err := lh.db.ExecContext(ctx, s); err != nil {
					t.Logf("setup %q: %v", s, err)
				}
			}
			keptMatchesDuckDB(t, lh, "before")
			_, err := lh.db.ExecContext(ctx, c.stmt)
			t.Logf("%q: %v", c.stmt, err)
			keptMatchesDuckDB(t, lh, c.stmt)
			tx, err := lh.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			txSees(t, tx, TableName{Schema: "s", Name: "a"})
			txSees(t, tx, TableName{Schema: "temp", Name: "y"})
			txSees(t, tx, TableName{Schema: "s", Name: "n1"})
		})
	}
}
