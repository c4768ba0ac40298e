package lakehouse

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadsAsThePrincipal: the reads behind the TUI and `status` (catalog,
// sizes, quarantined rows, run history, quality, freshness) get the check a
// query gets, as the session's principal, and are audited. The TUI showed
// dana bronze.customers_quarantine rows and every table's columns and row
// counts, none of it audited.
func TestReadsAsThePrincipal(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, s := range []string{
		"CREATE TABLE gold.revenue AS SELECT 1 AS x",
		"CREATE TABLE bronze.customers AS SELECT 'ann' AS name, 'ann@example.com' AS email",
		"CREATE TABLE bronze.customers_quarantine AS SELECT 'bob' AS name, 'bob@example.com' AS email, 'bad email' AS _reason",
	} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tx, _ := lh.Begin(ctx)
	if err := tx.DeployGovernance(ctx, Governance{Owner: "sp-dev", Groups: map[string][]string{"analysts": {"dana"}},
		Grants: []Grant{{Principal: "analysts", Privilege: "SELECT", Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()

	tableNames := func() string {
		t.Helper()
		tables, err := lh.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ti := range tables {
			names = append(names, ti.Name)
		}
		return strings.Join(names, " ")
	}
	// lakebench itself and the owner see every table and its quarantine.
	for _, p := range []string{"", "sp-dev"} {
		lh.SetPrincipal(p)
		if got := tableNames(); !strings.Contains(got, "bronze.customers_quarantine") || !strings.Contains(got, "sys.audit") {
			t.Errorf("%q sees %s", p, got)
		}
		if rows, total, err := lh.Quarantined(ctx, TableName{Schema: "bronze", Name: "customers"}, 10); err != nil || total != 1 || rows[0].Reason != "bad email" {
			t.Errorf("%q: quarantine %v %d %v", p, rows, total, err)
		}
	}

	lh.SetPrincipal("dana")
	if got := tableNames(); got != "gold.revenue" {
		t.Errorf("dana's catalog lists %q, want only gold.revenue", got)
	}
	sizes, err := lh.TableSizes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name := range sizes {
		if name != "gold.revenue" {
			t.Errorf("dana sees the size of %s", name)
		}
	}
	refused := []struct {
		what string
		read func() error
		want string
	}{
		{"quarantined rows", func() error {
			_, _, err := lh.Quarantined(ctx, TableName{Schema: "bronze", Name: "customers"}, 10)
			return err
		}, "dana may not read bronze.customers_quarantine"},
		{"a quarantine that does not exist", func() error {
			_, _, err := lh.Quarantined(ctx, TableName{Schema: "silver", Name: "orders"}, 10)
			return err
		}, "dana may not read silver.orders_quarantine"},
		{"runs", func() error { _, err := lh.RecentRuns(ctx, 5); return err }, "sys.runs"},
		{"task runs", func() error { _, err := lh.TaskRuns(ctx, "r1"); return err }, "sys.task_runs"},
		{"run stats", func() error { _, err := lh.RunStats(ctx, ""); return err }, "sys.runs"},
		{"quality", func() error { _, err := lh.LatestQuality(ctx); return err }, "sys.quality_results"},
		{"ingested files", func() error { _, err := lh.IngestedFiles(ctx); return err }, "sys.ingested_files"},
		{"freshness", func() error { _, err := lh.Freshness(ctx); return err }, "sys.catalog"},
	}
	for _, r := range refused {
		err := r.read()
		var ae *AccessError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), r.want) {
			t.Errorf("dana reads %s: got %v, want an access error naming %s", r.what, err, r.want)
		}
	}

	// Every read is in the audit: the listings with what they showed, the
	// refusals with the table refused.
	lh.SetPrincipal("")
	res, err := lh.Query(ctx, `SELECT action, tables::VARCHAR, allowed FROM sys.audit WHERE principal = 'dana' ORDER BY event_time, rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, strings.Join([]string{r[0].(string), r[1].(string), map[bool]string{true: "allowed", false: "refused"}[r[2].(bool)]}, " "))
	}
	audit := strings.Join(got, "\n")
	for _, want := range []string{"CATALOG [gold.revenue] allowed", "SELECT [bronze.customers_quarantine] refused",
		"SELECT [silver.orders_quarantine] refused", "SELECT [sys.runs] refused", "SELECT [sys.quality_results] refused"} {
		if !strings.Contains(audit, want) {
			t.Errorf("sys.audit lacks %q:\n%s", want, audit)
		}
	}
	var owner int
	lh.db.QueryRow("SELECT count(*) FROM sys.audit WHERE principal = 'sp-dev' AND action = 'CATALOG'").Scan(&owner)
	if owner != 1 {
		t.Errorf("the owner's catalog listing audited %d times, want 1", owner)
	}
}

// TestSyntaxErrorSaysSo: a typo in a query was reported to dana as "dana
// may not run SELECT: only the target's owner may" (and to the owner as
// "DuckDB cannot show the plan of this statement, so it is refused"): a
// user fixing a typo went looking for a grant. A statement that does not
// parse is refused as what it is, with DuckDB's message, for everyone.
func TestSyntaxErrorSaysSo(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.Exec(ctx, "CREATE TABLE gold.revenue AS SELECT 1 AS x"); err != nil {
		t.Fatal(err)
	}
	tx, _ := lh.Begin(ctx)
	if err := tx.DeployGovernance(ctx, Governance{Owner: "sp-dev", Groups: map[string][]string{"analysts": {"dana"}},
		Grants: []Grant{{Principal: "analysts", Privilege: "SELECT", Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	for _, p := range []string{"sp-dev", "dana"} {
		lh.SetPrincipal(p)
		for _, sql := range []string{"selec 1", "select * fro gold.revenue", "delete fro gold.revenue"} {
			_, err := lh.Query(ctx, sql)
			if err == nil {
				t.Fatalf("%s: %q ran", p, sql)
			}
			msg := err.Error()
			if !strings.Contains(msg, "syntax error at or near") || strings.Contains(msg, "may not") || strings.Contains(msg, "cannot show the plan") {
				t.Errorf("%s: %q: %v; want DuckDB's syntax error, no refusal", p, sql, err)
			}
		}
	}
	// A name that does not exist says so, without DuckDB's "Did you mean"
	// line (which could name a table she may not read).
	for _, sql := range []string{"select * from gold.revenu", "select nope from gold.revenue"} {
		_, err := lh.Query(ctx, sql)
		if err == nil || !strings.Contains(err.Error(), "does not bind") || strings.Contains(err.Error(), "cannot show the plan") || strings.Contains(err.Error(), "Did you mean") {
			t.Errorf("dana: %q: %v; want a binder error", sql, err)
		}
	}
	// A well-formed statement dana may not run is still refused as such.
	if _, err := lh.Query(ctx, "select * from sys.audit"); err == nil || !strings.Contains(err.Error(), "dana may not") {
		t.Errorf("dana reading sys.audit: %v", err)
	}
}
