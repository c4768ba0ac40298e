package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// What a check pays for is kept (the owner per lakehouse, built-in
// functions per lakehouse, macros, tables, columns and views per
// transaction until its catalog changes, parse trees per text). Each test
// here is an attempt to make a kept answer differ from DuckDB's, as a
// hostile user would; each fails if the cache kept what it must forget.

func openCacheTarget(t *testing.T) (*Lakehouse, context.Context) {
	t.Helper()
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh, ctx
}

// TestOwnerCacheFollowsChanges: the owner AuthorizeSQL decides with is
// sys.governance's, whatever was kept: before the first deploy commits,
// after it, after a rollback, and after the owner is handed over (the
// former owner, with no grant, is then refused).
func TestOwnerCacheFollowsChanges(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE silver.orders AS SELECT 1 AS id"); err != nil {
		t.Fatal(err)
	}
	ownerIs := func(want string) {
		t.Helper()
		for range 2 { // the second read is the kept one
			if got, err := lh.owner(ctx); err != nil || got != want {
				t.Fatalf("owner = %q, %v; want %q", got, err, want)
			}
		}
	}
	ownerIs("")
	// A deploy rolled back leaves no owner.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "mallory"}); err != nil {
		t.Fatal(err)
	}
	ownerIs("") // not committed: the database has none yet
	tx.Rollback()
	ownerIs("")
	tx, err = lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "ana", Grants: []Grant{{Principal: "chen", Privilege: Select, Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	ownerIs("")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	ownerIs("ana")
	read := func(principal string) error {
		t.Helper()
		tx, err := lh.BeginAs(ctx, principal)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		_, _, err = tx.AuthorizeSQL(ctx, "SELECT * FROM silver.orders")
		return err
	}
	if err := read("ana"); err != nil {
		t.Fatalf("the owner ana reading silver.orders: %v", err)
	}
	if err := lh.SetOwner(ctx, "ana", "chen"); err != nil {
		t.Fatal(err)
	}
	ownerIs("chen")
	var ae *AccessError
	if err := read("ana"); !errors.As(err, &ae) {
		t.Fatalf("ana, owner no more and without a grant on silver, read silver.orders: %v", err)
	}
	if err := read("chen"); err != nil {
		t.Fatalf("the new owner chen reading silver.orders: %v", err)
	}
}

// TestOwnerCacheKeepsNoReadAcrossAChange: a read that overlapped a change
// of sys.governance (begun before it, or during it) is never kept.
func TestOwnerCacheKeepsNoReadAcrossAChange(t *testing.T) {
	var c ownerCache
	at, clean := c.start()
	c.change()
	c.keep(at, "old")
	if _, ok := c.get(); ok {
		t.Fatal("a read begun before a change was kept during it")
	}
	c.changed()
	c.keep(at, "old")
	if _, ok := c.get(); ok || !clean {
		t.Fatal("a read begun before a change was kept after it")
	}
	c.change()
	at, clean = c.start()
	c.changed()
	if clean {
		t.Fatal("a read begun during a change says no change was under way")
	}
	at, clean = c.start()
	c.keep(at, "new")
	if got, ok := c.get(); !clean || !ok || got != "new" {
		t.Fatalf("a read with no change about it: %q, %v", got, ok)
	}
	c.change()
	if _, ok := c.get(); ok {
		t.Fatal("the owner kept is given while a change is under way")
	}
	c.changed()
	if _, ok := c.get(); ok {
		t.Fatal("the owner kept before a change is given after it")
	}
}

// TestTxFunctionsFollowMacros: the function names a transaction's checks
// use (Deterministic, volatile and aggregate functions) equal DuckDB's
// answer after each statement that creates or drops a macro, temporary or
// not, one shadowing a built-in function, in the transaction itself, and
// a second transaction sees only what is committed.
func TestTxFunctionsFollowMacros(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	wheres := slices.Sorted(maps.Keys(userFunctionWhere))
	same := func(tx *Tx, step string) {
		t.Helper()
		for _, where := range wheres {
			got, err := tx.functionNames(ctx, where)
			if err != nil {
				t.Fatal(err)
			}
			want, err := functionNames(ctx, tx.tx.Tx, where)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("after %s: functionNames(%s) has %d names, DuckDB %d", step, where, len(got), len(want))
			}
		}
	}
	deterministic := func(tx *Tx, q string, want bool) {
		t.Helper()
		if got, err := tx.Deterministic(ctx, q); err != nil || got != want {
			t.Fatalf("Deterministic(%s) = %v, %v; want %v", q, got, err, want)
		}
	}
	same(tx, "nothing")
	deterministic(tx, "SELECT lower('A')", true)
	for _, step := range []struct {
		stmt, query string
		want        bool
	}{
		{"CREATE TEMP MACRO lower(x) AS now()::VARCHAR", "SELECT lower('A')", false},
		{"DROP MACRO temp.lower", "SELECT lower('A')", true},
		{"CREATE MACRO main.upper(x) AS random()::VARCHAR", "SELECT upper('a')", false},
		{"CREATE OR REPLACE TEMP MACRO m(x) AS x + 1", "SELECT m(1)", false},
		{"CREATE MACRO main.tm(x) AS TABLE SELECT x AS v", "SELECT upper('a')", false},
		{"/* and */ DROP MACRO main.upper", "SELECT upper('a')", true},
	} {
		if _, err := tx.Exec(ctx, step.stmt); err != nil {
			t.Fatalf("%s: %v", step.stmt, err)
		}
		same(tx, step.stmt)
		deterministic(tx, step.query, step.want)
	}
	// Another transaction sees what is committed only: not m (temporary,
	// of the first transaction's connection) nor tm (not committed).
	other, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	same(other, "another transaction began")
	deterministic(other, "SELECT m(1)", true)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	third, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Rollback()
	same(third, "the commit")
	if names, err := third.functionNames(ctx, "NOT internal"); err != nil || !names["tm"] {
		t.Fatalf("a macro committed before the transaction began is not listed: %v, %v", names, err)
	}
}

// TestTxCatalogHostile: within one transaction, a table created then
// dropped, a view replaced by a table of the same name, a view dropped and
// made again named in another case: Exists, Columns and the views the access
// check reads through equal DuckDB's answer after each step, and a model
// is refused once files' rows are stored under its name, though its
// target was looked up before.
func TestTxCatalogHostile(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	v := TableName{Schema: "gold", Name: "v"}
	check := func(step string) {
		t.Helper()
		got, err := tx.Exists(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tableExists(ctx, tx.tx.Tx, v)
		if err != nil || got != want {
			t.Fatalf("after %s: Exists(%s) = %v, DuckDB %v (%v)", step, v, got, want, err)
		}
		cols, err := tx.Columns(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := readTableColumns(ctx, tx.tx.Tx, v)
		if err != nil || !slices.Equal(cols, raw) {
			t.Fatalf("after %s: Columns(%s) = %v, DuckDB %v (%v)", step, v, cols, raw, err)
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
			t.Fatalf("after %s: views %v, DuckDB %v (%v)", step, counts, rawCounts, err)
		}
	}
	check("nothing")
	for _, stmt := range []string{
		"CREATE TABLE gold.v AS SELECT 1 AS a",
		"DROP TABLE gold.v",
		"CREATE VIEW gold.v AS SELECT 1 AS b, 2 AS c",
		"DROP VIEW gold.V; CREATE VIEW gold.\"V\" AS SELECT 1 AS d",
		"DROP VIEW gold.v; CREATE TABLE gold.v AS SELECT 'x' AS e",
		"CREATE OR REPLACE TABLE gold.v AS SELECT 2 AS f",
		"ALTER TABLE gold.v RENAME COLUMN f TO g",
		"ALTER TABLE gold.v RENAME TO w",
		"CREATE VIEW gold.v AS SELECT * FROM gold.w",
	} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		check(stmt)
	}
	// The model's target was looked up (no rows stored under it), then
	// a statement stores files' rows under its name.
	target := TableName{Schema: "gold", Name: "m"}
	if _, err := tx.Materialize(ctx, target, "SELECT 1 AS a", Materialization{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "CREATE SCHEMA gold_data; CREATE TABLE gold_data.m AS SELECT 1 AS a"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Materialize(ctx, target, "SELECT 1 AS a", Materialization{}); !errors.Is(err, ErrInternalTable) {
		t.Fatalf("a model over a table files are loaded into: %v", err)
	}
}

// TestParseCacheAsDuckDB: a kept parse tree is DuckDB's for that text,
// among texts that differ only in case, quoting or a comment, and after
// the cache starts over.
func TestParseCacheAsDuckDB(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	texts := []string{
		"SELECT * FROM gold.v", `SELECT * FROM gold."V"`, "SELECT * FROM gold.V", "SELECT * FROM gold.v -- x",
		"WITH v AS (SELECT 1) SELECT * FROM v", "SELECT 1; SELECT 2", "SELEC 1", "",
	}
	for round := range 2 {
		for _, q := range texts {
			got, err := serializeSQL(ctx, lh.db, q)
			if err != nil {
				t.Fatal(err)
			}
			var want string
			if err := lh.db.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("round %d: parse of %q:\n%s\nDuckDB:\n%s", round, q, got, want)
			}
		}
		// Fill the cache past its bound: it starts over.
		big := strings.Repeat(" ", parseCacheBytes/2)
		for i := range 3 {
			if _, err := serializeSQL(ctx, lh.db, "SELECT "+strings.Repeat("1", i+1)+big); err != nil {
				t.Fatal(err)
			}
		}
		parses.mu.Lock()
		n := parses.bytes
		parses.mu.Unlock()
		if n > parseCacheBytes {
			t.Fatalf("the parse cache holds %d bytes, past its bound %d", n, parseCacheBytes)
		}
	}
}

func TestMayChangeFunctions(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want bool
	}{
		{"SELECT 1", false},
		{"INSERT INTO t VALUES (1)", false},
		{"CREATE OR REPLACE TABLE gold.x AS SELECT now()", false},
		{"create or replace temp table lb_checked AS SELECT 1", false},
		{"CREATE TABLE\"x\"(a INT)", false},
		{"CREATE VIEW v AS SELECT 1", false},
		{"DROP TABLE IF EXISTS gold.x", false},
		{"ALTER TABLE t ADD COLUMN b INT", false},
		{"CREATE SCHEMA s", false},
		{"CHECKPOINT", false},
		{"CREATE MACRO m(x) AS x", true},
		{"CREATE OR REPLACE TEMP MACRO m(x) AS x", true},
		{"create temporary function f(x) as x", true},
		{"CREATE /* TABLE */ MACRO m(x) AS x", true},
		{"CREATE--\nMACRO m(x) AS x", true},
		{"CREATE TABLE t AS SELECT 1; CREATE MACRO m(x) AS x", true},
		{"DROP MACRO m", true},
		{"DROP MACRO TABLE m", true},
		{"DROP FUNCTION m", true},
		{"DROP SCHEMA s CASCADE", true},
		{"ATTACH 'x.duckdb' AS x", true},
		{"DETACH x", true},
		{"IMPORT DATABASE 'd'", true},
		{"CALL f()", true},
		{"PRAGMA x", true},
		{"EXPLAIN ANALYZE CREATE MACRO m(x) AS x", true},
		{"CREATE TYPE e AS ENUM ('a')", true},
		{"CREATE", true},
		{"", true},
		{"SELECT string_agg(a, '; ') FROM t", false},
		{"SELECT 'it''s; fine', \"a;b\" FROM t -- ; x", false},
		{"SELECT 1 /* ; */ + 2", false},
		{"SELECT 'a'; CREATE MACRO m(x) AS x", true},
		{"SELECT 'it''s'; CREATE MACRO m(x) AS x", true},
		{"SELECT E'\\''; CREATE MACRO m(x) AS x; SELECT '", true},
		{"SELECT $$;$$", true},
		{"SELECT 'unclosed; CREATE MACRO m(x) AS x", true},
		{"SELECT \"unclosed; CREATE MACRO m(x) AS x", true},
		{"SELECT 1 /* unclosed; CREATE MACRO m(x) AS x", true},
		{"SELECT 1 -- x\n; CREATE MACRO m(x) AS x", true},
		{"EXPLAIN (FORMAT JSON) SELECT * FROM \"silver\".\"orders\"", false},
		{"EXPLAIN SELECT 1", false},
		{"EXPLAIN ANALYZE SELECT 1", true},
		{"EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", true},
		{"EXPLAIN (FORMAT JSON) CREATE MACRO m(x) AS x", true},
		{"EXPLAIN (FORMAT 'json') SELECT 1", true},
		{"EXPLAIN (FORMAT JSON SELECT 1", true},
		{"EXPLAIN", true},
	} {
		if got := mayChangeFunctions(c.sql); got != c.want {
			t.Errorf("mayChangeFunctions(%q) = %v, want %v", c.sql, got, c.want)
		}
	}
}

// TestKeptFunctionsFollowChanges: the list of macros kept between
// transactions is each transaction's own DuckDB answer, however a macro
// is made: in another transaction (committed while one is open), by a
// statement outside any transaction, as a temporary macro on a pooled
// connection, and dropped again.
func TestKeptFunctionsFollowChanges(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	lh.db.SetMaxOpenConns(2)
	same := func(tx *Tx, step string) map[string]bool {
		t.Helper()
		got, err := tx.functionNames(ctx, "NOT internal")
		if err != nil {
			t.Fatal(err)
		}
		want, err := functionNames(ctx, tx.tx.Tx, "NOT internal")
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Fatalf("after %s: macros %v, DuckDB %v", step, got, want)
		}
		return got
	}
	inTx := func(step string, fn func(tx *Tx)) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		same(tx, step)
		if fn != nil {
			fn(tx)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	inTx("nothing", nil)
	inTx("nothing, again", nil)
	if _, err := lh.db.ExecContext(ctx, "CREATE MACRO main.a(x) AS random()"); err != nil {
		t.Fatal(err)
	}
	inTx("a macro made outside a transaction", nil)
	// One transaction open (its snapshot taken) while another makes a
	// macro and commits.
	open, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Rollback()
	same(open, "a transaction began")
	inTx("a macro made in a transaction", func(tx *Tx) {
		if _, err := tx.Exec(ctx, "CREATE MACRO main.b(x) AS now()"); err != nil {
			t.Fatal(err)
		}
		same(tx, "its own macro")
	})
	if got := same(open, "another transaction's macro committed"); got["b"] {
		t.Fatal("a transaction begun before b was made sees it")
	}
	open.Rollback()
	inTx("b committed", nil)
	inTx("a temporary macro on a connection", func(tx *Tx) {
		if _, err := tx.Exec(ctx, "CREATE TEMP MACRO d(x) AS now()"); err != nil {
			t.Fatal(err)
		}
	})
	// Two transactions at once, on two connections: the one holding d
	// lists it, the other not, whichever reads first.
	for i := range 2 {
		a, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first, second := a, b
		if i == 1 {
			first, second = b, a
		}
		same(first, fmt.Sprintf("a temporary macro, order %d, first", i))
		same(second, fmt.Sprintf("a temporary macro, order %d, second", i))
		a.Rollback()
		b.Rollback()
	}
	if _, err := lh.db.ExecContext(ctx, "DROP MACRO main.a"); err != nil {
		t.Fatal(err)
	}
	inTx("a dropped", nil)
}

// TestViewsFromTheKeptCatalog: a transaction that takes the lakehouse's
// kept catalog finds the views a SELECT names in it, not by asking
// duckdb_views() again; what the SELECT reads is the same (the view, not
// its table), and a view the transaction itself makes is found by asking.
func TestViewsFromTheKeptCatalog(t *testing.T) {
	lh, ctx := openCacheTarget(t)
	for _, q := range []string{"CREATE TABLE silver.orders AS SELECT 1 AS id", "CREATE VIEW gold.v AS SELECT id FROM silver.orders"} {
		if _, err := lh.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lh.catalog(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	before := viewCountReads.Load()
	// check runs the SELECT of view, and wants it to read the view, with
	// asked reads of duckdb_views() in all since the first.
	check := func(when, view string, asked int64) {
		t.Helper()
		reads, _, err := tx.Access(ctx, "SELECT count(*) FROM "+view)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(reads); got != "["+view+"]" {
			t.Errorf("%s: reads %s, want [%s]", when, got, view)
		}
		if n := viewCountReads.Load() - before; n != asked {
			t.Errorf("%s: the views were asked of DuckDB %d times, want %d", when, n, asked)
		}
	}
	check("with the kept catalog at hand", "gold.v", 0)
	if _, err := tx.Exec(ctx, "CREATE VIEW gold.w AS SELECT id FROM silver.orders"); err != nil {
		t.Fatal(err)
	}
	check("after the transaction made gold.w", "gold.w", 1)
}
