package lakehouse

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// openKeep opens a lakehouse with schemas s and s_data and table s.a.
func openKeep(t *testing.T) *Lakehouse {
	t.Helper()
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "k.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	if _, err := lh.db.ExecContext(ctx, "CREATE SCHEMA s; CREATE SCHEMA s_data; CREATE TABLE s.a (x INTEGER, y VARCHAR); INSERT INTO s.a VALUES (1, 'one')"); err != nil {
		t.Fatal(err)
	}
	return lh
}

// txSees checks that tx's answers about table tb (Exists, Columns) are
// DuckDB's inside the same transaction.
func txSees(t *testing.T, tx *Tx, tb TableName) (bool, []Column) {
	t.Helper()
	ctx := context.Background()
	got, err := tx.Exists(ctx, tb)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := tx.Columns(ctx, tb)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := tableExists(ctx, tx.tx.Tx, tb) // asked of DuckDB
	if err != nil {
		t.Fatal(err)
	}
	raw, err := readTableColumns(ctx, tx.tx.Tx, tb)
	if err != nil {
		t.Fatal(err)
	}
	if got != listed || !slices.Equal(cols, raw) {
		t.Fatalf("the transaction says %s exists %v with columns %v; DuckDB, in it: %v, %v", tb, got, cols, listed, raw)
	}
	return got, cols
}

// TestCatalogKeptBetweenTransactions: transactions and the scheduler's
// size estimates share one read of the catalog while no statement changes
// it (a daily run asked it about 170 times, now a few), and read it again
// after one did.
func TestCatalogKeptBetweenTransactions(t *testing.T) {
	ctx := context.Background()
	lh := openKeep(t)
	a := TableName{Schema: "s", Name: "a"}
	before := catalogReads.Load()
	for i := range 3 {
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok, cols := txSees(t, tx, a); !ok || len(cols) != 2 {
			t.Fatalf("s.a: %v %v", ok, cols)
		}
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO s.a VALUES (2, 'two')"); err != nil {
			t.Fatal(err)
		}
		tx.Wrote(a)
		tx.RecordUsageAtCommit(UsageRecord{Kind: UsageKindTask, RowsWritten: 1}, a)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n, err := lh.EstimateBytes(ctx, []TableName{a}); err != nil || n != int64(2+i)*(4+32) {
			t.Fatalf("EstimateBytes(s.a) = %d, %v; want %d", n, err, (2+i)*(4+32))
		}
	}
	// txSees asks DuckDB itself: readTableColumns, not readCatalogSnap.
	if n := catalogReads.Load() - before; n != 1 {
		t.Errorf("three transactions and three estimates read the catalog %d times, want 1", n)
	}
	var written int64
	if err := lh.db.QueryRowContext(ctx, "SELECT sum(bytes_written) FROM sys.usage").Scan(&written); err != nil || written != 3*(4+32) {
		t.Errorf("usage bytes written %d, %v; want %d (one row of s.a a commit)", written, err, 3*(4+32))
	}
	// A change: the next transaction reads again, once.
	if _, err := lh.db.ExecContext(ctx, "ALTER TABLE s.a ADD COLUMN z DOUBLE"); err != nil {
		t.Fatal(err)
	}
	before = catalogReads.Load()
	for range 2 {
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, cols := txSees(t, tx, a); len(cols) != 3 {
			t.Fatalf("s.a after ADD COLUMN: %v", cols)
		}
		tx.Rollback()
	}
	if n, err := lh.EstimateBytes(ctx, []TableName{a}); err != nil || n != 4*(4+32+8) {
		t.Fatalf("EstimateBytes(s.a) after ADD COLUMN = %d, %v; want %d", n, err, 4*(4+32+8))
	}
	if n := catalogReads.Load() - before; n != 1 {
		t.Errorf("after a change, two transactions and an estimate read the catalog %d times, want 1", n)
	}
}

// TestKeptCatalogNeverStale: what another connection changes in the
// catalog (an autocommit statement, another transaction's commit) is
// seen by every transaction whose DuckDB snapshot holds it, and not by
// one whose snapshot does not, whether the lakehouse's kept catalog was
// read before, during or after the change: each answer is DuckDB's in
// that transaction. A table files are loaded into, made by another
// connection, is refused to a model at once (the kept catalog never
// grants a write it would not).
func TestKeptCatalogNeverStale(t *testing.T) {
	ctx := context.Background()
	lh := openKeep(t)
	b := TableName{Schema: "s", Name: "b"}
	warm := func() {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		txSees(t, tx, b)
		tx.Rollback()
	}
	warm() // keeps the catalog: no s.b

	// A transaction that began before an autocommit CREATE, with no
	// statement yet: DuckDB's snapshot is taken at its first one.
	early, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback()
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE s.b (k BIGINT)"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := txSees(t, early, b); !ok {
		t.Fatal("a transaction whose first statement came after CREATE TABLE s.b does not see it")
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok, cols := txSees(t, tx, b); !ok || len(cols) != 1 {
		t.Fatalf("s.b after its CREATE: %v %v", ok, cols)
	}
	tx.Rollback()

	// Another transaction alters s.b: one that began before its commit
	// (and asked before) keeps what DuckDB shows it; one after sees the
	// change.
	warm()
	alter, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer alter.Rollback()
	if _, err := alter.tx.ExecContext(ctx, "ALTER TABLE s.b ADD COLUMN v VARCHAR"); err != nil {
		t.Fatal(err)
	}
	during, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer during.Rollback()
	if _, cols := txSees(t, during, b); len(cols) != 1 {
		t.Fatalf("a transaction during another's ALTER sees %v", cols)
	}
	warm() // a read while the change is under way is not kept
	if err := alter.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, cols := txSees(t, during, b); len(cols) != 1 {
		t.Fatalf("a transaction that began before the ALTER's commit sees %v", cols)
	}
	after, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Rollback()
	if _, cols := txSees(t, after, b); len(cols) != 2 {
		t.Fatalf("a transaction after the ALTER's commit sees %v", cols)
	}
	if n, err := lh.EstimateBytes(ctx, []TableName{b}); err != nil || n != 0 {
		t.Fatalf("EstimateBytes(s.b) = %d, %v", n, err)
	}

	// A drop by another connection: nothing kept still shows s.b.
	warm()
	if _, err := lh.db.ExecContext(ctx, "DROP TABLE s.b"); err != nil {
		t.Fatal(err)
	}
	gone, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := txSees(t, gone, b); ok {
		t.Fatal("s.b still listed after another connection dropped it")
	}
	gone.Rollback()

	// s_data.c made by another connection after the catalog was kept:
	// a model building s.c is refused, as ingested rows are there.
	warm()
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE s_data.c (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	m, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Rollback()
	if _, err := m.Materialize(ctx, TableName{Schema: "s", Name: "c"}, "SELECT 1 AS x", Materialization{}); !errors.Is(err, ErrInternalTable) {
		t.Fatalf("a model over s_data.c's table, made after the catalog was kept: %v, want ErrInternalTable", err)
	}
}

// TestCatalogTaints: a statement that may make current_database() name
// another database marks its connection, which then neither takes nor
// keeps the lakehouse's catalog; DDL does not.
func TestCatalogTaints(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want bool
	}{
		{"CREATE TABLE s.x (a INT)", false},
		{"create or replace table s.x as select 1", false},
		{"DROP TABLE s.x", false},
		{"ALTER TABLE s.x ADD COLUMN b INT", false},
		{"/* x */ CHECKPOINT", false},
		{"ATTACH ':memory:' AS m2", false},
		{"USE m2", true},
		{"SET schema = 'm2.main'", true},
		{"SET search_path = 'm2.main'", true},
		{"RESET schema", true},
		{"SET GLOBAL threads = 2", false},
		{"SET memory_limit = '1GB'", false},
		{`SET "schema" = 'm2'`, true},
		{"SET SESSION search_path = 'm2.main'", true},
		{"PRAGMA enable_profiling", true},
		{"CALL pragma_version()", true},
		{"CREATE TABLE s.y (a INT); USE m2", true},
		{"CREATE TABLE s.y (a INT); CREATE TABLE s.z (a INT);", false},
		{"SET GLOBAL memory_limit = '1GB'; SET GLOBAL threads = 2", false},
		{"CREATE TABLE s.y (a VARCHAR DEFAULT ';'); SET schema = 'm2'", true},
		{"CREATE TABLE s.y (a VARCHAR DEFAULT ';USE m2')", false},
		{"/* ; */ CREATE TABLE s.y (a INT) -- ; USE m2", false},
		{"CREATE TABLE s.y AS SELECT $$;$$ AS a; USE m2", true},
		{"BEGIN;", false},
		{"", false},
		{"EXPLAIN ANALYZE USE m2", true},
	} {
		if got := catalogTaints(c.sql); got != c.want {
			t.Errorf("catalogTaints(%q) = %v, want %v", c.sql, got, c.want)
		}
	}
	ctx := context.Background()
	lh := openKeep(t)
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if connCatalogTainted(conn) {
		t.Fatal("a fresh connection is tainted")
	}
	if _, err := conn.ExecContext(ctx, "ATTACH ':memory:' AS m2"); err != nil {
		t.Fatal(err)
	}
	if connCatalogTainted(conn) {
		t.Fatal("ATTACH tainted the connection")
	}
	if _, err := conn.ExecContext(ctx, "USE m2"); err != nil {
		t.Fatal(err)
	}
	if !connCatalogTainted(conn) {
		t.Fatal("USE did not taint the connection")
	}
}

// TestCommitCountsWithoutCatalogReads: a commit keeps its tables' counts
// and catalog entries (updating an entry, adding one) without reading
// DuckDB's catalog while the lakehouse keeps it, and drops a count only
// for a table not there that had one: a build's quarantine that was
// never made costs no statement.
func TestCommitCountsWithoutCatalogReads(t *testing.T) {
	ctx := context.Background()
	lh := openKeep(t)
	if err := lh.SetCatalog(ctx, CatalogEntry{Schema: "s", Table: "a", Layer: "silver", Owner: "ana", Description: "first"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE s.n (k INTEGER)"); err != nil {
		t.Fatal(err)
	}
	warm, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txSees(t, warm, TableName{Schema: "s", Name: "a"})
	warm.Rollback()
	reads, drops := catalogReads.Load(), countDrops.Load()
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"INSERT INTO s.a VALUES (2, 'two'), (3, 'three')", "INSERT INTO s.n VALUES (7)"} {
		if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	// s.a's entry is updated (its owner kept), s.n's made; both count
	// a quarantine that is not there.
	tx.SetCatalog(ctx, CatalogEntry{Schema: "s", Table: "a", Description: "second"})
	tx.SetCatalog(ctx, CatalogEntry{Schema: "s", Table: "n", Layer: "gold"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := catalogReads.Load() - reads; n != 0 {
		t.Errorf("the commit read the catalog %d times", n)
	}
	if n := countDrops.Load() - drops; n != 0 {
		t.Errorf("the commit dropped counts %d times; no table it noted had one", n)
	}
	type entry struct {
		layer, owner, desc string
		count              int64
	}
	read := func(table string) entry {
		t.Helper()
		var e entry
		if err := lh.db.QueryRowContext(ctx, "SELECT coalesce(layer, ''), coalesce(owner, ''), coalesce(description, ''), coalesce(row_count, -1) FROM sys.catalog WHERE schema_name = 's' AND table_name = ?", table).Scan(&e.layer, &e.owner, &e.desc, &e.count); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if got, want := read("a"), (entry{"silver", "ana", "second", 3}); got != want {
		t.Errorf("s.a's entry %+v, want %+v", got, want)
	}
	if got, want := read("n"), (entry{"gold", "", "", 1}); got != want {
		t.Errorf("s.n's entry %+v, want %+v", got, want)
	}
	// A transaction that drops s.n, which has a count: the count goes.
	tx, err = lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.tx.ExecContext(ctx, "DROP TABLE s.n"); err != nil {
		t.Fatal(err)
	}
	tx.Wrote(TableName{Schema: "s", Name: "n"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read("n"); got.count != -1 || countDrops.Load()-drops != 1 {
		t.Errorf("s.n dropped: its entry %+v, %d drops", got, countDrops.Load()-drops)
	}
}
