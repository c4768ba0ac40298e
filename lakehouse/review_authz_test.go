package lakehouse

import (
	"maps"
	"slices"
	"strings"
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

// reviewGovernedTarget is a target owned by ana where chen may read and
// write schema gold only; silver.orders holds what chen may not read.
func reviewGovernedTarget(t *testing.T) *Lakehouse {
	t.Helper()
	lh, ctx := openCacheTarget(t)
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE silver.orders AS SELECT 42 AS secret; CREATE TABLE gold.t AS SELECT 1 AS secret; CREATE VIEW gold.v AS SELECT * FROM gold.t"); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "ana", Grants: []Grant{
		{Principal: "chen", Privilege: Select, Schema: "gold"}, {Principal: "chen", Privilege: Modify, Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return lh
}

// TestReviewShadowAndMacroInOneTx: chen may run no DDL (refused before
// it runs); the objects are made in chen's task transaction by
// lakebench's own statements (tx.Exec, as a model's materialization is)
// after chen's first reads were checked and their catalog kept. After
// each, chen's decision on each query with the kept catalog must be the
// decision with nothing kept (the transaction's catalog, the parse trees,
// the built-ins and the owner forgotten), and a macro over silver.orders
// must be refused (a macro is no boundary, unlike a view).
func TestReviewShadowAndMacroInOneTx(t *testing.T) {
	lh := reviewGovernedTarget(t)
	ctx := t.Context()
	tx, err := lh.BeginAs(ctx, "chen")
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, _, err := tx.AuthorizeSQL(ctx, "CREATE TEMP VIEW v AS SELECT * FROM silver.orders"); err == nil {
		t.Errorf("chen may run DDL")
	}
	decide := func(q string) string {
		if _, _, err := tx.AuthorizeSQL(ctx, q); err != nil {
			return "refused: " + err.Error()
		}
		return "allowed"
	}
	forget := func() {
		tx.tx.touch("DROP TABLE x")
		parses.mu.Lock()
		parses.docs, parses.bytes = map[string]string{}, 0
		parses.mu.Unlock()
		lh.builtinMu.Lock()
		lh.builtins = nil
		lh.builtinMu.Unlock()
		lh.owners.change()
		lh.owners.changed()
	}
	queries := []string{"SELECT * FROM gold.v", "SELECT * FROM v", "SELECT gold.peek() AS secret", "SELECT peek2() AS secret",
		"SELECT * FROM gold.tpeek()", "SELECT upper('a') AS secret", "SELECT lower('a') AS secret", `SELECT * FROM gold."V2"`,
		"SELECT * FROM GOLD.V3", "SELECT * FROM silver.orders", "SELECT * FROM gold.t"}
	secrets := 0 // queries seen returning silver's secret through a macro
	defer func() {
		if secrets == 0 {
			t.Errorf("no query returned silver.orders' secret: the test proves nothing")
		}
	}()
	if got := decide("SELECT * FROM gold.v"); got != "allowed" {
		t.Fatalf("chen reading gold.v: %s", got)
	}
	for _, stmt := range []string{
		"CREATE TEMP VIEW v AS SELECT * FROM silver.orders",
		"CREATE OR REPLACE VIEW gold.v AS SELECT * FROM silver.orders",
		"CREATE MACRO gold.peek() AS (SELECT max(secret) FROM silver.orders)",
		"CREATE TEMP MACRO peek2() AS (SELECT max(secret) FROM silver.orders)",
		"CREATE MACRO gold.tpeek() AS TABLE SELECT * FROM silver.orders",
		"CREATE MACRO gold.upper(x) AS (SELECT max(secret)::VARCHAR FROM silver.orders)",
		"CREATE TEMP MACRO lower(x) AS (SELECT max(secret)::VARCHAR FROM silver.orders)",
		"DROP VIEW gold.v",
		"CREATE TABLE gold.v AS SELECT 7 AS secret",
		"DROP TABLE gold.v",
		"CREATE VIEW gold.v AS SELECT count(*) AS secret FROM sys.audit",
		`CREATE VIEW gold."V2" AS SELECT * FROM silver.orders`,
		`CREATE VIEW gold.v3 AS SELECT * FROM SILVER."ORDERS"`,
		"CREATE TEMP TABLE t AS SELECT 1 AS secret",
		"DROP VIEW gold.v3",
		"CREATE TABLE gold.v3 AS SELECT 1 AS secret",
	} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		for _, q := range queries {
			kept := decide(q)
			kept2 := decide(q)
			forget()
			fresh := decide(q)
			if kept != fresh || kept2 != fresh {
				t.Errorf("after %s: chen %s: %s (kept), %s (kept, again), %s (nothing kept)", stmt, q, kept, kept2, fresh)
			}
			// A query that is no view's read and returns silver's secret
			// (42) read it through a macro: chen must be refused.
			if strings.Contains(q, "(") {
				var got string
				err := tx.tx.Tx.QueryRowContext(ctx, "SELECT coalesce(string_agg(secret::VARCHAR, ','), '') FROM ("+q+")").Scan(&got)
				if err == nil && strings.Contains(got, "42") {
					secrets++
				}
				if strings.Contains(got, "42") && fresh == "allowed" {
					t.Errorf("after %s: chen allowed %s, which returns silver.orders' %s", stmt, q, got)
				}
			}
		}
	}
}

// TestReviewCarriageReturnEndsComment: DuckDB's lexer (Postgres's) ends
// a -- comment at a carriage return as at a newline, so "SELECT 1 --
// c\r; DROP TABLE gold.t" is two statements. secondStatement reads the
// comment to the next \n (or the end): the DROP, or a CREATE MACRO, runs
// while the transaction keeps its catalog and the process its macros.
func TestReviewCarriageReturnEndsComment(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE gold.t AS SELECT 1 AS a; CREATE TABLE gold.src AS SELECT 1 AS a"); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tbl := TableName{Schema: "gold", Name: "t"}
	reviewSameCatalog(t, tx, tbl, "nothing")
	drop := "SELECT 1 AS a -- c\r; DROP TABLE gold.t"
	if _, err := tx.Exec(ctx, drop); err != nil {
		t.Fatal(err)
	}
	reviewSameCatalog(t, tx, tbl, drop)
	// A leading comment ended by \r, then a newline after the DROP.
	if _, err := tx.Exec(ctx, "CREATE TABLE gold.t AS SELECT 1 AS a"); err != nil {
		t.Fatal(err)
	}
	reviewSameCatalog(t, tx, tbl, "CREATE TABLE gold.t")
	lead := "-- c\rDROP TABLE gold.t;\nSELECT 1"
	if _, err := tx.Exec(ctx, lead); err != nil {
		t.Fatal(err)
	}
	reviewSameCatalog(t, tx, tbl, lead)
	for _, q := range []string{drop, lead, "SELECT 1 -- c\r; CREATE MACRO gold.m() AS 1", "-- c\rCREATE MACRO m() AS 1;\nSELECT 1"} {
		if !mayChangeCatalog(q) || !mayChangeFunctions(q) {
			t.Errorf("%q: mayChangeCatalog %v, mayChangeFunctions %v; want true, true", q, mayChangeCatalog(q), mayChangeFunctions(q))
		}
	}
	// The macros: kept between transactions (functionClock) unless a
	// statement may have changed them.
	tx.Rollback() // its changes under way keep every list of macros from being kept
	// On a target of its own, whose connections ran no DDL (a
	// connection that did neither takes nor keeps the list).
	lh, ctx = openCacheTarget(t)
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE gold.src AS SELECT 1 AS a"); err != nil {
		t.Fatal(err)
	}
	// Its opening ran DDL on one pooled connection: keep that one busy,
	// so the transactions below get one that ran none.
	busy, err := lh.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tx3, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if det, err := tx3.Deterministic(ctx, "SELECT a FROM gold.src"); err != nil || !det {
		t.Fatalf("Deterministic without a macro: %v, %v", det, err)
	}
	tx3.Rollback()
	lh.functions.mu.Lock()
	kept := lh.functions.valid
	lh.functions.mu.Unlock()
	if !kept {
		t.Fatal("no list of macros kept: the attack below proves nothing")
	}
	create := "SELECT 1 AS a -- c\r; CREATE MACRO gold.clock() AS now()"
	if _, err := lh.db.ExecContext(ctx, create); err != nil {
		t.Fatal(err)
	}
	tx4, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx4.Rollback()
	got, err := tx4.functionNames(ctx, "NOT internal")
	if err != nil {
		t.Fatal(err)
	}
	want, err := functionNames(ctx, tx4.tx.Tx, "NOT internal")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("after %q: the macros kept %v, DuckDB %v", create, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	if det, err := tx4.Deterministic(ctx, "SELECT a, gold.clock() AS b FROM gold.src"); err != nil || det {
		t.Errorf("a model calling gold.clock() (now()) is deterministic: %v, %v", det, err)
	}
}

// TestReviewNestedCommentHidesDDL: DuckDB's lexer (Postgres's) nests
// block comments. The leading-comment skip of mayChangeCatalog and
// leadingText ends a comment at its first */, so in
// "/* /* */ SELECT */ DROP TABLE gold.t" it reads SELECT first, where
// DuckDB runs the DROP.
func TestReviewNestedCommentHidesDDL(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE gold.t AS SELECT 1 AS a"); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tbl := TableName{Schema: "gold", Name: "t"}
	reviewSameCatalog(t, tx, tbl, "nothing")
	if q := "/* /* */ SELECT */ DROP TABLE gold.t"; !mayChangeCatalog(q) {
		t.Errorf("%q: mayChangeCatalog false", q)
	}
	for _, q := range []string{"/* /* */ SELECT */ CREATE MACRO gold.m() AS now()", "/* a /* b */ c */ CREATE TEMP MACRO m() AS now()"} {
		if !mayChangeCatalog(q) || !mayChangeFunctions(q) {
			t.Errorf("%q: mayChangeCatalog %v, mayChangeFunctions %v; want true, true", q, mayChangeCatalog(q), mayChangeFunctions(q))
		}
	}
	drop := "/* /* */ SELECT */ DROP TABLE gold.t"
	if _, err := tx.Exec(ctx, drop); err != nil {
		t.Fatalf("DuckDB does not nest comments here: %v", err)
	}
	reviewSameCatalog(t, tx, tbl, drop)
}

// TestReviewSameTextTwoPrincipalsTwoTargets: the parse trees kept by
// text carry no decision: the same text is allowed to chen on a target
// whose grants let him read silver, then refused to him on one whose
// grants do not, allowed to its owner there, and refused to chen again,
// in one process.
func TestReviewSameTextTwoPrincipalsTwoTargets(t *testing.T) {
	ctx := t.Context()
	strict := reviewGovernedTarget(t)
	open, ctxOpen := openCacheTarget(t)
	if _, err := open.db.ExecContext(ctxOpen, "CREATE TABLE silver.orders AS SELECT 42 AS secret"); err != nil {
		t.Fatal(err)
	}
	tx, err := open.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "ana", Grants: []Grant{{Principal: "chen", Privilege: Select, Schema: "silver"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	const q = "SELECT * FROM silver.orders"
	decide := func(lh *Lakehouse, who string) error {
		t.Helper()
		tx, err := lh.BeginAs(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		_, _, err = tx.AuthorizeSQL(ctx, q)
		return err
	}
	for round := range 2 {
		if err := decide(open, "chen"); err != nil {
			t.Errorf("round %d: chen with a grant on silver: %v", round, err)
		}
		if err := decide(strict, "chen"); err == nil {
			t.Errorf("round %d: chen without a grant on silver allowed %s", round, q)
		}
		if err := decide(strict, "ana"); err != nil {
			t.Errorf("round %d: the owner ana: %v", round, err)
		}
		if err := decide(strict, "chen"); err == nil {
			t.Errorf("round %d: chen, after the owner, allowed %s", round, q)
		}
	}
}
