package lakehouse

import (
	"context"
	"testing"
)

// TestReviewKeptCatalogGlobalSearchPath: a SET GLOBAL of the search path
// on one connection may change what current_database() names on the
// others, untainted: their kept catalog must stay DuckDB's.
func TestReviewKeptCatalogGlobalSearchPath(t *testing.T) {
	ctx := context.Background()
	lh := openKeep(t)
	keptMatchesDuckDB(t, lh, "before")
	for _, s := range []string{"ATTACH ':memory:' AS mem", "CREATE TABLE mem.main.only_mem (z INT)", "SET GLOBAL search_path = 'mem.main'", "SELECT * FROM query('CREATE TABLE s.q (a INT)')"} {
		_, err := lh.db.ExecContext(ctx, s)
		t.Logf("%s: %v", s, err)
	}
	var cur string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_database()").Scan(&cur); err != nil {
		t.Fatal(err)
	}
	t.Logf("current_database() now %s", cur)
	keptMatchesDuckDB(t, lh, "after SET GLOBAL search_path")
	_, err := lh.Exec(ctx, "SET GLOBAL search_path = 'mem.main'")
	t.Logf("lh.Exec SET GLOBAL: %v", err)
}

// TestReviewKeptCatalogAfterRollbackAndFailure: DDL in a transaction
// rolled back, a DDL statement that fails half-way (a CREATE TABLE AS
// whose SELECT errors), a prepared DROP closed without running, and a
// DROP then CREATE of s.a with other columns in one transaction: each
// leaves the kept catalog, and a transaction after it, DuckDB's.
func TestReviewKeptCatalogAfterRollbackAndFailure(t *testing.T) {
	ctx := context.Background()
	lh := openKeep(t)
	a := TableName{Schema: "s", Name: "a"}
	seen := func(what string) {
		t.Helper()
		keptMatchesDuckDB(t, lh, what)
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		txSees(t, tx, a)
		txSees(t, tx, TableName{Schema: "s", Name: "r"})
		txSees(t, tx, TableName{Schema: "s", Name: "f"})
	}
	seen("start")
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.tx.ExecContext(ctx, "CREATE TABLE s.r (x INT)"); err != nil {
		t.Fatal(err)
	}
	txSees(t, tx, TableName{Schema: "s", Name: "r"})
	keptMatchesDuckDB(t, lh, "beside an open transaction's CREATE")
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	seen("after the rollback of a CREATE")
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE s.f AS SELECT CAST('x' AS INTEGER) AS v"); err == nil {
		t.Fatal("the failing CREATE TABLE AS ran")
	}
	seen("after a failed CREATE TABLE AS")
	st, err := lh.db.PrepareContext(ctx, "DROP TABLE s.a")
	if err != nil {
		t.Fatal(err)
	}
	keptMatchesDuckDB(t, lh, "with a DROP prepared")
	st.Close()
	seen("after a prepared DROP closed")
	tx, err = lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txSees(t, tx, a)
	for _, q := range []string{"DROP TABLE s.a", "CREATE TABLE s.a (secret VARCHAR, x INTEGER, y VARCHAR)"} {
		if _, err := tx.tx.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		txSees(t, tx, a)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	seen("after DROP and CREATE of s.a with other columns")
	if _, cols := txSeesNew(t, lh, a); len(cols) != 3 || cols[0].Name != "secret" {
		t.Fatalf("s.a's columns after its re-creation: %v", cols)
	}
}

func txSeesNew(t *testing.T, lh *Lakehouse, tb TableName) (bool, []Column) {
	t.Helper()
	tx, err := lh.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	return txSees(t, tx, tb)
}
