package lakehouse

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCatalogListsWhatTablesLists: Catalog, the TUI's first read, shows
// each principal exactly the tables Tables shows it (names, catalog
// entries, columns), with DuckDB's row estimates instead of counts (but
// for what lakebench wrote, whose counts it kept), and audits the listing
// the same way.
func TestCatalogListsWhatTablesLists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lh, err := Open(ctx, filepath.Join(dir, "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	csv := writeFile(t, dir, "people_2026-01-05.csv", "id,name\n1,ann\n2,bob\n3,cy\n")
	if _, err := lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"bronze", "people"}, Format: CSV, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE gold.revenue AS SELECT range AS day, range * 10 AS amount FROM range(5)",
		"CREATE TABLE silver.secret AS SELECT 'x' AS code",
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
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		principal string
		want      []string // tables that must be listed
		not       []string // tables that must not be
	}{
		{"", []string{"bronze.people", "gold.revenue", "silver.secret", "sys.audit"}, nil},
		{"sp-dev", []string{"bronze.people", "gold.revenue", "silver.secret", "sys.audit"}, nil},
		{"dana", []string{"gold.revenue"}, []string{"bronze.people", "silver.secret", "sys.audit"}},
		{"eve", nil, []string{"bronze.people", "gold.revenue", "silver.secret", "sys.audit"}},
	} {
		t.Run("as "+tc.principal, func(t *testing.T) {
			lh.SetPrincipal(tc.principal)
			counted, err := lh.Tables(ctx)
			if err != nil {
				t.Fatal(err)
			}
			estimated, err := lh.Catalog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(estimated) != len(counted) {
				t.Fatalf("Catalog lists %d tables, Tables %d", len(estimated), len(counted))
			}
			listed := map[string]bool{}
			for i, e := range estimated {
				c := counted[i]
				listed[e.Name] = true
				// The ingested table has the count kept by its ingest;
				// the others (made by Exec) DuckDB's estimate, marked.
				if e.Estimated != (e.Name != "bronze.people") || c.Estimated {
					t.Errorf("%s: Estimated %v (Catalog) and %v (Tables), want %v and false", e.Name, e.Estimated, c.Estimated, e.Name != "bronze.people")
				}
				// Nothing was deleted: the estimate is the count (but for
				// sys.audit, which the first listing wrote to).
				e.Estimated, c.Estimated = false, false
				if e.Name == "sys.audit" {
					e.Rows = c.Rows
				}
				if !reflect.DeepEqual(e, c) {
					t.Errorf("Catalog's %+v\nTables' %+v", e, c)
				}
			}
			for _, n := range tc.want {
				if !listed[n] {
					t.Errorf("%q's catalog lacks %s", tc.principal, n)
				}
			}
			for _, n := range tc.not {
				if listed[n] {
					t.Errorf("%q's catalog lists %s", tc.principal, n)
				}
			}
		})
	}

	// A bronze view has its stored table's rows; an estimate counts rows
	// deleted since the table was written.
	lh.SetPrincipal("")
	if _, err := lh.Exec(ctx, "DELETE FROM gold.revenue WHERE day < 2"); err != nil {
		t.Fatal(err)
	}
	estimated, err := lh.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, e := range estimated {
		rows[e.Name] = e.Rows
	}
	if rows["bronze.people"] != 3 || rows["gold.revenue"] < 3 {
		t.Errorf("estimates: bronze.people %d, gold.revenue %d; want 3 and at least the 3 left", rows["bronze.people"], rows["gold.revenue"])
	}

	// dana's listings are audited with what they showed, as Tables' are.
	res, err := lh.Query(ctx, `SELECT tables::VARCHAR FROM sys.audit WHERE principal = 'dana' AND action = 'CATALOG'`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("dana's catalog listings audited %d times, want 2 (Tables, Catalog)", len(res.Rows))
	}
	for _, r := range res.Rows {
		if got := r[0].(string); !strings.Contains(got, "gold.revenue") || strings.Contains(got, "silver") {
			t.Errorf("dana's audited listing: %s", got)
		}
	}
}
