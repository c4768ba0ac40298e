package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryAsAnotherPrincipalFailsClosed: after the one-open change, an
// analyst (dana: SELECT on gold and ml only) tries to read silver, bronze's
// stored rows, sys and the incremental records through odd SQL (FROM
// first, SUMMARIZE, a quoted name, a materialized CTE, a subquery, a
// sample, table functions over names or files, PIVOT, EXPLAIN, SET,
// ATTACH). Each is refused and audited as refused; her allowed read is
// audited as allowed; a service principal without its token is refused
// before any read, and audited.
func TestQueryAsAnotherPrincipalFailsClosed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "run")
	refused := []string{
		"select count(*) from silver.orders",
		"from silver.orders limit 1",
		"summarize silver.orders",
		`select * from "silver"."orders" limit 1`,
		"with x as materialized (select * from silver.orders) select count(*) from x",
		"select (select count(*) from silver.orders)",
		"select count(*) from silver.orders using sample 10",
		"select * from bronze_data.orders limit 1",
		"select * from sys.model_files",
		"select * from sys.model_builds",
		"select * from sys.audit",
		"select * from query_table('silver.orders')",
		"select * from query('select count(*) from silver.orders')",
		"select table_name, estimated_size from duckdb_tables()",
		"select * from read_parquet('landing/orders/*.parquet') limit 1",
		"pivot silver.orders on status using count(*)",
		"explain analyze select count(*) from silver.orders",
		"set memory_limit = '1GB'",
		"attach '.lakebench/dev.duckdb' as x",
	}
	for _, q := range refused {
		stdout, stderr := lb(t, dir, false, "--as", "dana", "query", q, "--format", "csv")
		if stdout != "" || !strings.Contains(stderr, "dana may not") && !strings.Contains(stderr, "refused") && !strings.Contains(stderr, "not run through lakebench, by any principal") {
			t.Errorf("dana: %s\nstdout: %s\nstderr: %s", q, stdout, stderr)
		}
	}
	out, _ := lb(t, dir, true, "--as", "dana", "query", "select count(*) as n from gold.daily_revenue", "--format", "csv")
	if !strings.HasPrefix(out, "n\n") {
		t.Errorf("dana reading gold: %q", out)
	}
	other := "LAKEBENCH_HOME=" + t.TempDir()
	if _, stderr := lbEnv(t, dir, []string{other}, false, "--as", "sp-prod", "query", "select count(*) from gold.daily_revenue"); !strings.Contains(stderr, "needs its token") &&
		!strings.Contains(stderr, "may not") {
		t.Errorf("sp-prod without its token on dev: %s", stderr)
	}
	rows := auditRows(t, filepath.Join(dir, ".lakebench", "dev.duckdb"))
	if n := countAudit(rows, "SELECT", false, "dana", "") + countAudit(rows, "EXECUTE", false, "dana", ""); n < len(refused) {
		t.Errorf("%d of dana's %d refused queries audited", n, len(refused))
	}
	if n := countAudit(rows, "SELECT", true, "dana", ""); n < 1 {
		t.Errorf("dana's allowed read of gold is not audited")
	}
	if n := countAudit(rows, "authenticate", false, "sp-prod", ""); n < 1 {
		t.Errorf("the refused identity sp-prod is not audited: %v", rows)
	}
}
