package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// attackTarget is a target as the attacks find it: landing files on
// disk (CSV, Parquet, JSON), bronze.customers loaded from one of them (a
// view over bronze_data.customers, with a quarantine beside it), silver and
// gold tables, and governance deployed: owner "owner"; dana may read gold;
// erin may read schema bronze; frank may read the view bronze.customers
// only; ben may modify silver.orders.
type attackTarget struct {
	path, dir                  string
	csv, parquet, json, secret string
}

func newAttackTarget(t *testing.T) attackTarget {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	g := attackTarget{path: filepath.Join(dir, ".lakebench", "dev.duckdb"), dir: dir}
	landing := filepath.Join(dir, "landing", "customers")
	if err := os.MkdirAll(landing, 0o755); err != nil {
		t.Fatal(err)
	}
	g.csv = filepath.Join(landing, "customers_2026-01-05.csv")
	os.WriteFile(g.csv, []byte("customer_id,name,email\n1,Ana Raw,ana@example.com\n2,Ben Raw,ben@example.com\n"), 0o644)
	g.secret = filepath.Join(dir, "secret.csv")
	os.WriteFile(g.secret, []byte("secret\ntopsecret\n"), 0o644)
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.Ingest(ctx, []string{g.csv}, IngestOptions{Table: TableName{"bronze", "customers"}}); err != nil {
		t.Fatal(err)
	}
	g.parquet = filepath.Join(dir, "landing", "orders.parquet")
	g.json = filepath.Join(dir, "landing", "events.json")
	for _, s := range []string{
		"COPY (SELECT 1 AS order_id, 99.5 AS amount) TO " + QuoteString(g.parquet) + " (FORMAT parquet)",
		"COPY (SELECT 'x' AS event) TO " + QuoteString(g.json) + " (FORMAT json)",
		"CREATE TABLE IF NOT EXISTS bronze.customers_quarantine AS SELECT 'bad row' AS _reason, 'Cleo Quarantined <cleo@example.com>' AS _record",
		"CREATE TABLE silver.orders AS SELECT 1 AS order_id, 10.0 AS amount",
		"CREATE TABLE gold.revenue AS SELECT 10.0 AS revenue",
	} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "owner", Grants: []Grant{
		{Principal: "dana", Privilege: Select, Schema: "gold"},
		{Principal: "erin", Privilege: Select, Schema: "bronze"},
		{Principal: "frank", Privilege: Select, Schema: "bronze", Table: "customers"},
		{Principal: "ben", Privilege: Modify, Schema: "silver", Table: "orders"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// An audit event, so the read-only log exists to be attacked too.
	lh.SetPrincipal("dana")
	if _, err := lh.Query(ctx, "select * from gold.revenue"); err != nil {
		t.Fatal(err)
	}
	return g
}

// attacks are statements that read past dana's grants (SELECT on gold) or
// do what only the owner may: every one must be refused with an
// *AccessError, whatever DuckDB would have done with it.
func (g attackTarget) attacks() []string {
	rel, _ := filepath.Rel(g.dir, g.csv)
	return []string{
		// A schema-less name equal to a CTE elsewhere, read as a file.
		`select * from (with "` + g.csv + `" as (select 1) select 1), '` + g.csv + `'`,
		`select * from (with "` + rel + `" as (select 1) select 1), '` + rel + `'`,
		`select * from (with "` + g.parquet + `" as (select 1) select 1), '` + g.parquet + `'`,
		`select * from '` + g.json + `'`,
		`select * from read_csv(` + QuoteString(g.secret) + `)`,
		`select * from read_csv_auto(` + QuoteString(g.csv) + `)`,
		`select * from read_parquet(` + QuoteString(g.parquet) + `)`,
		`select * from read_json(` + QuoteString(g.json) + `)`,
		`select * from read_text(` + QuoteString(auditPath(g.path)) + `)`,
		`select * from read_json(` + QuoteString(auditPath(g.path)) + `)`,
		`select * from '` + auditPath(g.path) + `'`,
		`select * from glob(` + QuoteString(g.dir+"/*") + `)`,
		`select * from query_table('bronze_data.customers')`,
		`select * from query_table('gold.revenue')`, // names bound from a string: refused before binding
		`select * from query_table(` + QuoteString(g.csv) + `)`,
		`select * from query('select * from bronze_data.customers')`,
		`select * from gold.revenue, query('select * from sys.audit')`,
		`select * from bronze_data.customers`,
		`select * from bronze.customers`,
		`select * from sys.audit`,
		`select * from sys.grants`,
		`with r as (select * from gold.revenue) select * from r, silver.orders`,
		`select * from duckdb_tables()`,
		`select * from information_schema.tables`,
		`describe silver.orders`,
		`summarize ` + QuoteString(g.secret),
		`describe select * from ` + QuoteString(g.secret),
		`show select * from read_csv(` + QuoteString(g.secret) + `)`,
		`pivot ` + QuoteString(g.secret) + ` on secret`,
		`from ` + QuoteString(g.secret),
		`select * from gold.revenue union all select * from ` + QuoteString(g.secret),
		`select (select max(secret) from ` + QuoteString(g.secret) + `)`,
		`attach ` + QuoteString(filepath.Join(g.dir, "other.duckdb")) + ` as other`,
		`copy gold.revenue to ` + QuoteString(filepath.Join(g.dir, "out.csv")),
		`copy gold.revenue from ` + QuoteString(g.secret),
		`export database ` + QuoteString(filepath.Join(g.dir, "export")),
		`set enable_external_access = true`,
		`set search_path = 'sys'`,
		`use sys`,
		`install httpfs`,
		`load json`,
		`pragma show_tables`,
		`call pragma_version()`,
		`call checkpoint()`,
		`with d as (delete from silver.orders returning *) select * from d`,
		`delete from silver.orders`,
		`insert into gold.revenue select amount from silver.orders`,
		`delete from sys.audit`,
		`begin transaction`,
		`select 1; select 2`,
		`explain select * from gold.revenue`,
		// Found refused by reviewer rv1; kept here so they stay refused.
		`select getenv('HOME')`,
		`prepare p as select * from silver.orders`,
		`execute p`,
		`create temp table revenue as select * from silver.orders`,
		`create macro m() as (select 1)`,
		`create secret (type s3)`,
		`detach dev`,
		`checkpoint`,
		`select * from force_checkpoint()`,
		`select * from sniff_csv(` + QuoteString(g.secret) + `)`,
		`select * from parquet_metadata(` + QuoteString(g.parquet) + `)`,
		`select * from parquet_schema(` + QuoteString(g.parquet) + `)`,
		`select * from read_blob(` + QuoteString(g.secret) + `)`,
		`select * from read_duckdb(` + QuoteString(g.path) + `)`,
		`select * from duckdb_settings()`,
		`select * from duckdb_secrets()`,
		`select * from which_secret('s3://x', 's3')`,
		`select * from duckdb_logs`,
		`select * from histogram(silver.orders, amount)`,
		`select * from sql_auto_complete('select * from sil')`,
		`select * from pragma_table_info('silver.orders')`,
		`select * from pragma_storage_info('silver.orders')`,
		`select * from duckdb_columns()`,
		`select * from system.main.duckdb_tables()`,
		`select * from json_execute_serialized_sql('x')`,
		`show tables`,
		`summarize silver.orders`,
		`select * from gold.revenue, lateral (select * from silver.orders)`,
		`select * from gold.revenue where exists (select 1 from silver.orders where amount > 5)`,
		`select * from unnest((select list(amount) from silver.orders))`,
		`select * from json_each((select to_json(list(o)) from silver.orders o))`,
		`select * from range((select count(*) from silver.orders))`,
		`select error((select amount::varchar from silver.orders))`,
		`select * from ` + QuoteString("dev") + `.silver.orders`,
		`select * from "SILVER"."ORDERS"`,
		`from silver.orders select *`,
		`select * from temp.main.lb_snapshot_1`,
		`select * from gold.revenue; delete from silver.orders`,
		`select * from gold.revenue /* */; select * from silver.orders`,
		`select 1 -- ` + "\n" + `; select * from silver.orders`,
		`select pg_get_viewdef(1)`,
		`alter table gold.revenue set schema sys`,
	}
}

func TestPlanRefusesReadsPastTheGrants(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	lh.SetPrincipal("dana")
	attacks := g.attacks()
	for _, q := range attacks {
		var err error
		if lh.IsSelect(ctx, q) {
			_, err = lh.Query(ctx, q)
		} else {
			_, err = lh.Exec(ctx, q)
		}
		var ae *AccessError
		if !errors.As(err, &ae) {
			t.Errorf("dana ran %q: got %v, want an *AccessError", q, err)
		}
		// Nor does the refusal quote a file (as a binder error would).
		if err != nil && (strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "Ana Raw")) {
			t.Errorf("dana's refusal of %q shows a file's content: %v", q, err)
		}
	}
	// What the grants allow still runs, through CTEs, subqueries and safe
	// table functions.
	for _, q := range []string{
		"select * from gold.revenue",
		`select * from (with "gold.revenue" as (select 1) select 1), gold.revenue`,
		"with r as (select * from gold.revenue) select * from r, range(3)",
		"select (select max(revenue) from gold.revenue) as m, unnest([1, 2]) as u",
	} {
		if _, err := lh.Query(ctx, q); err != nil {
			t.Errorf("dana may run %q: %v", q, err)
		}
	}
	// Every refusal is in sys.audit, with the principal.
	lh.SetPrincipal("")
	var n int
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.audit WHERE principal = 'dana' AND NOT allowed").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(attacks) {
		t.Errorf("dana's refusals in sys.audit: %d, want %d", n, len(attacks))
	}
	// The refusals returned no rows: nothing of the landing files is in the
	// audit as a read.
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.audit WHERE principal = 'dana' AND allowed AND rows > 0 AND NOT list_has_all(['gold.revenue'], tables)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d allowed reads of dana outside gold.revenue", n)
	}
}

// TestSandboxedSession: dana's read-only session runs on an instance with
// external access disabled and its configuration locked, so a statement
// that got past the plan check would still read no file.
func TestSandboxedSession(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range g.attacks() {
		var err error
		if ro.IsSelect(ctx, q) {
			_, err = ro.Query(ctx, q)
		} else {
			_, err = ro.Exec(ctx, q)
		}
		var ae *AccessError
		if !errors.As(err, &ae) {
			t.Errorf("read-only: dana ran %q: got %v, want an *AccessError", q, err)
		}
	}
	if _, err := ro.Query(ctx, "select * from gold.revenue"); err != nil {
		t.Fatalf("dana's granted read: %v", err)
	}
	// Past the plan check (the instance itself, as a missed case would
	// reach it): no file, ATTACH, COPY, INSTALL, LOAD or SET succeeds.
	for _, q := range []string{
		"SELECT * FROM read_csv(" + QuoteString(g.secret) + ")",
		"SELECT * FROM " + QuoteString(g.csv),
		"SELECT * FROM read_text(" + QuoteString(auditPath(g.path)) + ")",
		"ATTACH " + QuoteString(filepath.Join(g.dir, "x.duckdb")) + " AS x",
		"COPY (SELECT 1) TO " + QuoteString(filepath.Join(g.dir, "out.csv")),
		"INSTALL httpfs",
		"SET enable_external_access = true",
		"RESET enable_external_access",
		"SET lock_configuration = false",
		"SET threads = 1",
	} {
		if _, err := ro.db.ExecContext(ctx, q); err == nil {
			t.Errorf("sandboxed instance ran %q", q)
		}
	}
	if _, err := os.Stat(filepath.Join(g.dir, "out.csv")); err == nil {
		t.Errorf("the sandbox wrote a file")
	}
	ro.Close()
	// Its refusals reach sys.audit at the next write open.
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var n int
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.audit WHERE principal = 'dana' AND NOT allowed").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(g.attacks()) {
		t.Errorf("read-only refusals audited: %d, want %d", n, len(g.attacks()))
	}
}

// TestGoldDotLink: with a link named "gold." in the working directory,
// gold."/abs/file.csv" is the file /abs/file.csv to DuckDB's replacement
// scan; it is refused before it is bound.
func TestGoldDotLink(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	work := t.TempDir()
	if err := os.Symlink("/", filepath.Join(work, "gold.")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	for _, ro := range []bool{false, true} {
		lh, err := Open(ctx, g.path, Options{ReadOnly: ro, Principal: "dana"})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`select * from gold."` + g.secret + `"`, `select * from gold."` + strings.TrimPrefix(g.secret, "/") + `"`} {
			res, err := lh.Query(ctx, q)
			var ae *AccessError
			if !errors.As(err, &ae) {
				t.Errorf("read-only %v: dana ran %q: %v %v", ro, q, res, err)
			}
		}
		// The owner's own session still decides on the plan: the link is a
		// file it may read, never a write.
		lh.Close()
	}
}

// TestViewsFollowUnityCatalog: SELECT on a view (or its schema) reads
// through it; the tables under it need grants of their own.
func TestViewsFollowUnityCatalog(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	lh, err := Open(ctx, g.path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	tests := []struct {
		principal, sql string
		want           string // "" when allowed, else a fragment of the refusal
	}{
		{"erin", "select name from bronze.customers order by customer_id", ""},
		{"erin", "select c.name from bronze.customers c where c.customer_id in (select customer_id from bronze.customers)", ""},
		{"erin", "with x as (select * from bronze.customers) select count(*) from x", ""},
		{"erin", "select * from bronze.customers_quarantine", ""}, // a table of schema bronze: the schema grant covers it
		{"erin", "select * from bronze_data.customers", "erin may not read bronze_data.customers"},
		{"erin", "select * from bronze.customers join bronze_data.customers using (customer_id)", "erin may not read bronze_data.customers"},
		{"erin", "with bronze as (select 1) select * from bronze.customers, (select * from bronze_data.customers)", "bronze_data.customers"},
		{"erin", "select * from sys.ingested_files", "erin may not read sys.ingested_files"},
		{"erin", "select * from gold.revenue", "erin may not read gold.revenue"},
		{"frank", "select * from bronze.customers", ""},
		{"frank", "select * from bronze.customers_quarantine", "frank may not read bronze.customers_quarantine"},
		{"dana", "select * from bronze.customers", "dana may not read bronze.customers"},
	}
	for _, tc := range tests {
		lh.SetPrincipal(tc.principal)
		res, err := lh.Query(ctx, tc.sql)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %q refused: %v", tc.principal, tc.sql, err)
		case tc.want == "" && len(res.Rows) == 0:
			t.Errorf("%s: %q returned no rows", tc.principal, tc.sql)
		case tc.want != "":
			var ae *AccessError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %q: got %v, want an *AccessError containing %q", tc.principal, tc.sql, err, tc.want)
			}
		}
	}
	reads, writes, err := lh.Access(ctx, "select * from bronze.customers c, gold.revenue")
	if err != nil || len(writes) != 0 || len(reads) != 2 || reads[0].String() != "bronze.customers" || reads[1].String() != "gold.revenue" {
		t.Errorf("Access: reads %v, writes %v, %v; want [bronze.customers gold.revenue], none", reads, writes, err)
	}
}

// TestViewLookupSpared: a SELECT whose plan scans every table it names
// reads no view list from the catalog (the names are tables, so none is a
// view); one that names a view, in any case, still reads it as the view,
// and a view beside a base table still needs the base table's grant.
func TestViewLookupSpared(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	lh, err := Open(ctx, g.path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	tests := []struct {
		principal, sql string
		lookup         bool   // whether the views are looked up
		want           string // the reads, or a fragment of the refusal
	}{
		{"dana", "select * from gold.revenue", false, "[gold.revenue]"},
		{"dana", "select * from GOLD.Revenue r, gold.revenue", false, "[gold.revenue]"},
		{"erin", "select * from bronze.customers_quarantine", false, "[bronze.customers_quarantine]"},
		{"frank", "select name from bronze.customers", true, "[bronze.customers]"},
		{"frank", "select name from BRONZE.\"Customers\"", true, "[bronze.customers]"},
		{"erin", "select * from bronze.customers join bronze_data.customers using (customer_id)", true, "erin may not read bronze_data.customers"},
		{"frank", "select * from bronze.customers, bronze.customers_quarantine", true, "frank may not read bronze.customers_quarantine"},
	}
	for _, tc := range tests {
		lh.SetPrincipal(tc.principal)
		before := viewLookups.Load()
		_, err := lh.Query(ctx, tc.sql)
		if looked := viewLookups.Load() > before; looked != tc.lookup {
			t.Errorf("%s: %q: views looked up %v, want %v", tc.principal, tc.sql, looked, tc.lookup)
		}
		if strings.HasPrefix(tc.want, "[") {
			if err != nil {
				t.Errorf("%s: %q refused: %v", tc.principal, tc.sql, err)
			}
			lh.SetPrincipal("")
			reads, _, err := lh.Access(ctx, tc.sql)
			if got := fmt.Sprint(reads); err != nil || got != tc.want {
				t.Errorf("%q: Access read %s (%v), want %s", tc.sql, got, err, tc.want)
			}
			continue
		}
		var ae *AccessError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q: got %v, want an *AccessError containing %q", tc.principal, tc.sql, err, tc.want)
		}
	}
}

// TestNoStatementWritesSys: sys is lakebench's own, and sys.audit is
// append-only for everyone, the owner and lakebench's own statements
// included; writes elsewhere need MODIFY.
func TestNoStatementWritesSys(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var before int
	lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.audit").Scan(&before)
	for _, p := range []string{"owner", "ben", ""} {
		lh.SetPrincipal(p)
		for _, q := range []string{
			"DELETE FROM sys.audit",
			"delete from SYS.AUDIT where true",
			"UPDATE sys.audit SET allowed = true",
			"INSERT INTO sys.audit (principal, allowed) VALUES ('x', true)",
			"DROP TABLE sys.audit",
			"ALTER TABLE sys.audit RENAME TO gone",
			"CREATE OR REPLACE TABLE sys.audit AS SELECT 1 AS x",
			"DROP SCHEMA sys CASCADE",
			"TRUNCATE sys.audit",
			"DELETE FROM sys.grants",
			"INSERT INTO sys.governance VALUES ('ben', now()::TIMESTAMP)",
			// Found refused by reviewer rv1.
			"CREATE OR REPLACE SCHEMA sys",
			"DROP SCHEMA IF EXISTS SYS CASCADE",
			"COMMENT ON TABLE sys.audit IS 'x'",
			"COMMENT ON COLUMN sys.audit.detail IS 'x'",
			"ALTER TABLE sys.audit ALTER COLUMN detail SET DEFAULT 'x'",
			"CREATE INDEX i ON sys.audit(principal)",
			"DELETE FROM dev.sys.audit",
			`UPDATE "SYS"."AUDIT" SET allowed = true`,
			"CREATE OR REPLACE MACRO sys.m() AS 1",
			"CREATE OR REPLACE VIEW sys.audit_v AS SELECT 1",
			"CREATE SEQUENCE sys.s",
			"CREATE TYPE sys.t AS ENUM ('a')",
			"MERGE INTO sys.audit USING (SELECT 1 AS x) s ON false WHEN NOT MATCHED THEN INSERT (principal) VALUES ('x')",
			"INSERT INTO sys.audit BY NAME SELECT 'x' AS principal",
		} {
			_, err := lh.Exec(ctx, q)
			var ae *AccessError
			if !errors.As(err, &ae) {
				t.Errorf("%q ran %q: %v", p, q, err)
			}
		}
	}
	lh.SetPrincipal("")
	var after int
	lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.audit").Scan(&after)
	if after < before {
		t.Errorf("sys.audit lost rows: %d before, %d after", before, after)
	}
	// MODIFY on silver.orders lets ben insert into it, and only into it; a
	// DELETE or UPDATE reads the table too (its WHERE, its SET, its row
	// count tell values: UPDATE ... SET x = error(email)), so it also needs
	// SELECT, as in Unity Catalog.
	lh.SetPrincipal("ben")
	if _, err := lh.Exec(ctx, "INSERT INTO silver.orders VALUES (3, 1)"); err != nil {
		t.Errorf("ben may insert into silver.orders: %v", err)
	}
	for _, q := range []string{"DELETE FROM silver.orders WHERE order_id = 1", "UPDATE silver.orders SET order_id = error(amount::VARCHAR)"} {
		if _, err := lh.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "ben may not read silver.orders") {
			t.Errorf("ben ran %q with MODIFY alone: %v", q, err)
		}
	}
	if _, err := lh.Exec(ctx, "INSERT INTO silver.orders SELECT 2, revenue FROM gold.revenue"); err == nil || !strings.Contains(err.Error(), "ben may not read gold.revenue") {
		t.Errorf("ben inserted what he may not read: %v", err)
	}
	// The owner may still do what the owner does, outside sys.
	lh.SetPrincipal("owner")
	for _, q := range []string{"CREATE TABLE gold.extra AS SELECT 1 AS x", "INSERT INTO gold.extra VALUES (2)", "SELECT * FROM read_csv(" + QuoteString(g.secret) + ")"} {
		var err error
		if lh.IsSelect(ctx, q) {
			_, err = lh.Query(ctx, q)
		} else {
			_, err = lh.Exec(ctx, q)
		}
		if err != nil {
			t.Errorf("owner: %q: %v", q, err)
		}
	}
}

// TestTypeStringsAreNotSQL: a schema hint's type cannot carry SQL (the
// issue's `a=INTEGER) || (select ... from sys.audit) || typeof(1`).
func TestTypeStringsAreNotSQL(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, bad := range []string{
		"INTEGER) || (select count(*) from sys.audit) || typeof(1",
		"INTEGER) || (select content from read_text(chr(47)||chr(101)||chr(116)||chr(99)||chr(47)||chr(104)||chr(111)||chr(115)||chr(116)||chr(115))) || typeof(1",
		"INTEGER; DROP TABLE sys.audit",
		"VARCHAR -- x",
		"",
	} {
		if got, err := lh.NormalizeType(ctx, bad); err == nil {
			t.Errorf("NormalizeType(%q) = %q, want an error", bad, got)
		}
	}
	for in, want := range map[string]string{"int": "INTEGER", "decimal(18, 2)": "DECIMAL(18,2)", "timestamp with time zone": "TIMESTAMP WITH TIME ZONE", "varchar[]": "VARCHAR[]", " double ": "DOUBLE"} {
		if got, err := lh.NormalizeType(ctx, in); err != nil || got != want {
			t.Errorf("NormalizeType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// Through an ingest, the hint is refused before anything runs.
	csv := filepath.Join(t.TempDir(), "a.csv")
	os.WriteFile(csv, []byte("a\n1\n"), 0o644)
	_, err = lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"bronze", "a"}, SchemaHints: map[string]string{"a": "INTEGER) || (select count(*) from sys.audit) || typeof(1"}})
	if err == nil || !strings.Contains(err.Error(), "is not a DuckDB type lakebench accepts") {
		t.Errorf("ingest with an injected hint: %v", err)
	}
}

// TestNoSecondInstanceBesideTheWriter pins the DuckDB fact the sandbox's
// design rests on (see Lakehouse.sandbox): while this process holds the
// writer, it cannot open the same file again as a read-only instance, so a
// principal's statements on a writer are guarded by the plan check alone.
// If DuckDB ever allows it, this fails, and the sandbox can become a real
// second instance for writers too.
func TestNoSecondInstanceBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err == nil {
		ro.Close()
		t.Fatalf("a read-only instance opened beside the writer: make it the sandbox of other principals' statements")
	}
}

// TestBinderErrorsShowNothingPastTheGrants: a query DuckDB cannot bind
// must not tell dana what she may not read. Before, a column she guessed
// on silver.orders came back as an AccessError when it existed and as
// DuckDB's "Referenced column ... not found" when it did not, so she could
// list the columns of any table, and "schema does not exist" told her
// which schemas there are. A name past her grants is refused as such,
// whether it exists or not and whatever else is wrong with the query.
func TestBinderErrorsShowNothingPastTheGrants(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	for _, ro := range []bool{false, true} {
		lh, err := Open(ctx, g.path, Options{ReadOnly: ro, Principal: "dana"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ sql, want string }{
			{"select nosuchcol from silver.orders", "dana may not read silver.orders"},
			{"select amount from silver.orders", "dana may not read silver.orders"},
			{"select * from silver.orders where nosuch = 1", "dana may not read silver.orders"},
			{"select * from gold.revenue r join silver.orders o on r.nosuch = o.amount", "dana may not read silver.orders"},
			{"select * from silver.nosuch", "dana may not read silver.nosuch"},
			{"select * from nosuchschema.x", "dana may not read nosuchschema.x"},
			{"select * from sys.tokens where nosuch", "dana may not read sys.tokens"},
			{"select * from bronze_data.customers where nosuch", "dana may not read bronze_data.customers"},
			{"select * from temp.main.lb_snapshot_1", "only the target's owner"},
		} {
			_, err := lh.Query(ctx, tc.sql)
			var ae *AccessError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("read-only %v: %q: got %v, want an *AccessError containing %q", ro, tc.sql, err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "does not exist")) {
				t.Errorf("read-only %v: %q: the refusal shows DuckDB's binder: %v", ro, tc.sql, err)
			}
		}
		// In what she may read, DuckDB's error still helps her.
		if _, err := lh.Query(ctx, "select nosuchcol from gold.revenue"); err == nil || !strings.Contains(err.Error(), "nosuchcol") {
			t.Errorf("read-only %v: a typo in a granted table: %v", ro, err)
		}
		lh.Close()
	}
}

// TestNoPlansOfOtherQueries: json_serialize_plan is a scalar function, so
// dana could call it on a query she may not run. The plan it returned
// listed the columns and types of any table (silver.orders), and with
// optimize := true DuckDB's statistics turned a filter past a column's
// maximum into LOGICAL_EMPTY_RESULT: an oracle on the values of tables
// past her grants, in the sandbox too. On a writer (a task run as her) it
// bound file readers (read_text, read_parquet) unsandboxed. Only the owner
// may call it, in a SELECT or inside any other statement.
func TestNoPlansOfOtherQueries(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	for _, ro := range []bool{false, true} {
		lh, err := Open(ctx, g.path, Options{ReadOnly: ro, Principal: "dana"})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`select json_serialize_plan('select * from silver.orders')`,
			`select json_serialize_plan('select * from silver.orders where amount > 1000', optimize := true)`,
			`select * from gold.revenue where json_serialize_plan('select * from bronze_data.customers')::varchar like '%email%'`,
			`select (select JSON_SERIALIZE_PLAN('select * from read_text(` + strings.ReplaceAll(QuoteString(g.secret), "'", "''") + `)'))`,
			`select "json_serialize_plan"('select * from sys.audit')`,
			`select main.json_serialize_plan('select * from sys.audit')`,
		} {
			res, err := lh.Query(ctx, q)
			var ae *AccessError
			if !errors.As(err, &ae) {
				t.Errorf("read-only %v: dana ran %q: %v %v", ro, q, res, err)
			}
		}
		lh.Close()
	}
	// Inside a statement that is not a SELECT (ben may modify silver.orders).
	lh, err := Open(ctx, g.path, Options{Principal: "ben"})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	q := `update silver.orders set amount = length(json_serialize_plan('select * from bronze_data.customers'))`
	if _, err := lh.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "json_serialize_plan") {
		t.Errorf("ben ran %q: %v", q, err)
	}
	lh.SetPrincipal("owner")
	if _, err := lh.Query(ctx, `select json_serialize_plan('select * from silver.orders')`); err != nil {
		t.Errorf("the owner may see plans: %v", err)
	}
}

// TestAuditListsPendingEvents: a read-only session (dana's `lakebench
// query`) writes its events to the pending log, which only the next writer
// moves into sys.audit; `lakebench audit`, itself read-only, listed
// sys.audit alone, so the owner did not see dana's refusals until someone
// wrote to the target. The listing holds the pending events too, after
// sys.audit's, and says where the pending log's chain is broken.
func TestAuditListsPendingEvents(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Query(ctx, "select * from silver.orders"); err == nil {
		t.Fatal("dana read silver.orders")
	}
	ro.Close()
	owner, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	owner.AuditEvents(ctx, AuditFilter{Limit: 1})
	events, err := owner.AuditEvents(ctx, AuditFilter{Principal: "dana"})
	owner.Close()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		if !e.Allowed && slices.Contains(e.Tables, "silver.orders") {
			found = true
		}
	}
	if !found {
		t.Errorf("the owner's audit listing misses dana's pending refusal: %+v", events)
	}
	// A pending log with a line deleted in the middle: the listing says so.
	data, _ := os.ReadFile(auditPath(g.path))
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) < 4 {
		t.Fatalf("pending log: %q", data)
	}
	os.WriteFile(auditPath(g.path), []byte(strings.Join(append(lines[:1:1], lines[2:]...), "")), 0o600)
	owner, err = Open(ctx, g.path, Options{ReadOnly: true, Principal: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	events, err = owner.AuditEvents(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	tamper := false
	for _, e := range events {
		tamper = tamper || (e.Action == ActionAuditTamper && strings.Contains(e.Detail, "deleted"))
	}
	if !tamper {
		t.Errorf("the listing hides a deleted pending event: %+v", events)
	}
}
