package lakehouse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGrantsAreEnforced(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"CREATE TABLE gold.revenue AS SELECT 1 AS x", "CREATE TABLE silver.orders AS SELECT 2 AS x"} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// Before governance is deployed, anyone may read anything.
	lh.SetPrincipal("carol")
	if _, err := lh.Query(ctx, "select * from silver.orders"); err != nil {
		t.Fatalf("before deploy: %v", err)
	}
	tx, _ := lh.Begin(ctx)
	err = tx.DeployGovernance(ctx, Governance{Owner: "sp-prod", Groups: map[string][]string{"analysts": {"carol"}, "auditors": {}},
		Grants: []Grant{{Principal: "analysts", Privilege: "SELECT", Schema: "gold"}, {Principal: "ben", Privilege: "MODIFY", Schema: "silver", Table: "orders"},
			{Principal: "auditors", Privilege: "SELECT", Schema: "silver"}}})
	if err != nil {
		t.Fatal(err)
	}
	tx.Commit()

	tests := []struct {
		principal, sql string
		want           string // "" for allowed, else a fragment of the error
	}{
		{"carol", "select * from gold.revenue", ""},
		{"carol", "with r as (select * from gold.revenue) select * from r", ""},
		{"carol", "select * from silver.orders", "carol may not read silver.orders: it needs SELECT on silver.orders"},
		{"carol", "select * from gold.revenue join silver.orders using (x)", "needs SELECT on silver.orders"},
		{"carol", "drop table gold.revenue", "carol may not run DROP: only the target's owner (sp-prod) may"},
		{"carol", "select * from query_table('silver.orders')", "carol may not run the table function query_table()"},
		{"carol", "select * from query('select * from silver.orders')", "the table function query()"},
		{"carol", "select * from gold.revenue, range(3)", ""},
		{"carol", "select * from read_csv('/etc/passwd')", "the table function read_csv()"},
		{"ben", "select * from gold.revenue", "ben may not read gold.revenue"},
		{"sp-prod", "select * from silver.orders", ""},
		// A principal named like a group (--as analysts, a service
		// principal or OS user of that name) is not its member: a group's
		// grants reach its members only, even a group without members.
		{"analysts", "select * from gold.revenue", "analysts may not read gold.revenue"},
		{"auditors", "select * from silver.orders", "auditors may not read silver.orders"},
	}
	for _, tc := range tests {
		lh.SetPrincipal(tc.principal)
		var err error
		if strings.HasPrefix(tc.sql, "drop") {
			_, err = lh.Exec(ctx, tc.sql)
		} else {
			_, err = lh.Query(ctx, tc.sql)
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %q refused: %v", tc.principal, tc.sql, err)
		case tc.want != "":
			var ae *AccessError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %q: got %v, want an *AccessError containing %q", tc.principal, tc.sql, err, tc.want)
			}
		}
	}
	// A load is a write: MODIFY on the table, else refused.
	csv := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(csv, []byte("x\n3\n"), 0o644)
	lh.SetPrincipal("carol")
	if _, err := lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"bronze", "x"}}); err == nil || !strings.Contains(err.Error(), "carol may not write bronze.x") {
		t.Errorf("carol ingested into bronze.x: %v", err)
	}
	lh.SetPrincipal("sp-prod")
	if _, err := lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"gold", "revenue"}}); err == nil || !strings.Contains(err.Error(), "gold.revenue is not a table files are loaded into") {
		t.Errorf("ingest into a model's table: %v", err)
	}
	// Direct checks of MODIFY on a table grant.
	if err := lh.Authorize(ctx, "ben", nil, []TableName{{"silver", "orders"}}); err != nil {
		t.Errorf("ben may modify silver.orders: %v", err)
	}
	if err := lh.Authorize(ctx, "ben", nil, []TableName{{"silver", "customers"}}); err == nil {
		t.Errorf("ben was allowed to modify silver.customers")
	}

	// Every access is audited, allowed or not.
	lh.SetPrincipal("")
	res, err := lh.Query(ctx, "select principal, allowed, count(*) from sys.audit group by all order by all")
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range res.Rows {
		got += strings.Join([]string{r[0].(string), map[bool]string{true: "allowed", false: "refused"}[r[1].(bool)]}, " ") + ";"
	}
	for _, want := range []string{"carol allowed", "carol refused", "ben refused", "sp-prod allowed"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit %q lacks %q", got, want)
		}
	}
	lh.Close()

	// A read-only session's accesses reach sys.audit at the next write open.
	ro, err := Open(ctx, path, Options{ReadOnly: true, Principal: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Query(ctx, "select * from silver.orders"); err == nil {
		t.Errorf("read-only session: carol read silver.orders")
	}
	ro.Close()
	lh, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	n, err := lh.Count(ctx, "select * from sys.audit where principal = 'carol' and not allowed")
	if err != nil || n != 8 {
		t.Errorf("carol's refusals in the audit: %d (%v), want 8 (6 statements, 1 load, 1 from the read-only session)", n, err)
	}
}

// TestAuthorizeGrantKinds checks Authorize's one read of the grants that
// apply to a principal: a user's grant on one table, a group's
// ALL_PRIVILEGES on a schema reaching its members, a user or group named
// like a group getting none of its grants, and several tables at once
// refused at the first one not granted.
func TestAuthorizeGrantKinds(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	tx, _ := lh.Begin(ctx)
	err = tx.DeployGovernance(ctx, Governance{Owner: "owner",
		Groups: map[string][]string{"eng": {"erin", "ops"}, "ops": {}},
		Grants: []Grant{{Principal: "dave", Privilege: "SELECT", Schema: "gold", Table: "Revenue"},
			{Principal: "eng", Privilege: "ALL_PRIVILEGES", Schema: "silver"},
			{Principal: "ops", Privilege: "SELECT", Schema: "bronze"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	revenue, other, orders, raw := TableName{"gold", "revenue"}, TableName{"gold", "other"}, TableName{"silver", "orders"}, TableName{"bronze", "raw"}
	tests := []struct {
		principal     string
		reads, writes []TableName
		refused       string // "" when allowed, else the table refused
	}{
		{"dave", []TableName{revenue}, nil, ""},
		{"dave", []TableName{other}, nil, "gold.other"},
		{"dave", nil, []TableName{revenue}, "gold.revenue"},
		{"dave", []TableName{revenue, orders}, nil, "silver.orders"},
		{"erin", []TableName{orders}, []TableName{orders}, ""},
		{"erin", []TableName{orders, revenue}, nil, "gold.revenue"},
		{"erin", []TableName{raw}, nil, "bronze.raw"},
		// ops is a group: a principal of that name gets no grant of its
		// own, only eng's as eng's member.
		{"ops", []TableName{raw}, nil, "bronze.raw"},
		{"ops", []TableName{orders}, nil, ""},
		{"eng", []TableName{orders}, nil, "silver.orders"},
		{"mallory", []TableName{revenue}, nil, "gold.revenue"},
		{"owner", []TableName{revenue, orders, raw}, []TableName{other}, ""},
	}
	for _, tc := range tests {
		err := lh.Authorize(ctx, tc.principal, tc.reads, tc.writes)
		var ae *AccessError
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s reads %v writes %v: refused: %v", tc.principal, tc.reads, tc.writes, err)
		case tc.refused != "" && (!errors.As(err, &ae) || ae.Table.String() != tc.refused):
			t.Errorf("%s reads %v writes %v: got %v, want %s refused", tc.principal, tc.reads, tc.writes, err, tc.refused)
		}
	}
}
