package lakehouse

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func TestMayChangeCatalog(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want bool
	}{
		{"SELECT 1", false},
		{"  -- a comment\n/* and another */ (SELECT 1)", false},
		{"with x AS (SELECT 1) SELECT * FROM x", false},
		{"INSERT INTO t VALUES (1);", false},
		{"DELETE FROM t WHERE a = 1 ; \n", false},
		{"UPDATE t SET a = 1", false},
		{"DESCRIBE SELECT 1", false},
		{"FROM t", false},
		{"CREATE TABLE t (a INT)", true},
		{"create or replace temp table t AS SELECT 1", false},
		{"DROP TABLE t", true},
		{"ALTER TABLE t RENAME TO u", true},
		{"EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1", true},
		{"PRAGMA show_tables", true},
		{"CALL pragma_version()", true},
		{"COPY FROM DATABASE a TO b", true},
		{"SELECT 1; DROP TABLE t", true},
		{"INSERT INTO t SELECT 1; CREATE TABLE u (a INT)", true},
		{"-- only a comment", true},
		{"/* unterminated", true},
		{"SELECT(1)", false},
		{"SELECTX 1", true},
		{"", true},
		{"CREATE OR REPLACE TEMP TABLE lb_checked AS SELECT 1", false},
		{"CREATE TEMPORARY TABLE x (a INT)", false},
		{"CREATE SCHEMA IF NOT EXISTS \"gold\"", false},
		{"CHECKPOINT", false},
		{"checkpoint;", false},
		{"CHECKPOINT; DROP TABLE t", true},
		{"FORCE CHECKPOINT", true},
		{"CHECKPOINTX", true},
		{"DROP TABLE IF EXISTS temp.lb_checked", false},
		{"DROP TABLE IF EXISTS temp.main.\"lb_view_0\"", false},
		{"DROP TABLE IF EXISTS main.t", true},
		{"DROP TABLE temp.a, main.b", true},
		{"DROP SCHEMA temp CASCADE", true},
		{"CREATE OR REPLACE TABLE t AS SELECT 1", true},
		{"CREATE VIEW temp_v AS SELECT 1", true},
		{"CREATE TEMP MACRO m(x) AS now()", true},
		{"create or replace temporary macro m(x) AS now()", true},
		{"CREATE TEMP VIEW v AS SELECT 1", true},
		{"CREATE TEMP SEQUENCE s", true},
		{"CREATE TEMP", true},
		{"SET GLOBAL threads = 1", false},
		{"set threads to 2", false},
		{"SET GLOBAL threads=2", false},
		{"SET memory_limit = '1GB'", false},
		{"SET SESSION worker_threads = 4", false},
		{"SET threads = 1; CREATE MACRO m(x) AS x", true},
		{"SET threads = 1; DROP TABLE t", true},
		{"SET schema = 'm2.main'", true},
		{"SET search_path = 'm2.main'", true},
		{`SET "threads" = 1`, true},
		{"SET threadsx = 1", true},
		{"SET GLOBAL", true},
		{"SET threads", true},
		{"SET LOCAL threads = 1", true},
		{"RESET threads", true},
		{"SET VARIABLE threads = 1", true},
	} {
		if got := mayChangeCatalog(c.sql); got != c.want {
			t.Errorf("mayChangeCatalog(%q) = %v, want %v", c.sql, got, c.want)
		}
	}
}

// TestTxCatalogFollowsChanges: what a transaction remembers of the
// catalog (Exists, Columns) follows its own DDL, whichever way it runs.
func TestTxCatalogFollowsChanges(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tbl := TableName{Schema: "main", Name: "t"}
	exists := func(want bool) {
		t.Helper()
		if got, err := tx.Exists(ctx, tbl); err != nil || got != want {
			t.Fatalf("Exists(%s) = %v, %v; want %v", tbl, got, err, want)
		}
		// As DuckDB says when asked (the transaction's own *sql.Tx).
		if got, err := tableExists(ctx, tx.tx.Tx, tbl); err != nil || got != want {
			t.Fatalf("DuckDB: %s exists %v, %v; want %v", tbl, got, err, want)
		}
	}
	columns := func(want ...string) {
		t.Helper()
		cols, err := tx.Columns(ctx, tbl)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cols {
			got = append(got, c.Name)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Columns(%s) = %v, want %v", tbl, got, want)
		}
		raw, err := readTableColumns(ctx, tx.tx.Tx, tbl)
		if err != nil || len(raw) != len(want) {
			t.Fatalf("DuckDB: columns of %s %v, %v; want %v", tbl, raw, err, want)
		}
	}
	exists(false)
	columns()
	for _, step := range []struct {
		stmt   string
		exists bool
		cols   []string
	}{
		{"CREATE TABLE main.t (a INT)", true, []string{"a"}},
		{"INSERT INTO main.t VALUES (1)", true, []string{"a"}},
		{"ALTER TABLE main.t ADD COLUMN b INT", true, []string{"a", "b"}},
		{"SELECT 1; ALTER TABLE main.t DROP COLUMN a", true, []string{"b"}},
		{"/* c */ DROP TABLE main.t", false, nil},
		{"CALL pragma_version(); CREATE VIEW main.t AS SELECT 1 AS v", true, []string{"v"}},
		{"DROP VIEW main.t", false, nil},
		{"CREATE TEMP TABLE t (a INT)", false, nil},
		{"DROP TABLE temp.main.t", false, nil},
		{"CREATE TEMP TABLE main.t (a INT)", false, nil},
		{"CREATE SCHEMA IF NOT EXISTS s2", false, nil},
	} {
		if _, err := tx.Exec(ctx, step.stmt); err != nil {
			t.Fatalf("%s: %v", step.stmt, err)
		}
		exists(step.exists)
		columns(step.cols...)
	}
}
