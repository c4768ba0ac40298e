package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusAsPrincipal: `lakebench status --as dana` lists only the tables
// her grants let her read (it listed every table with its row count), and
// each listing is in sys.audit with the tables it showed.
func TestStatusAsPrincipal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "bundle", "deploy")
	lb(t, dir, true, "query", "create table gold.revenue as select 1 as x")
	lb(t, dir, true, "query", "create table bronze.people as select 'ann' as name")

	out, _ := lb(t, dir, true, "status", "--as", "dana")
	if !strings.Contains(out, "gold.revenue") {
		t.Errorf("dana's status lacks gold.revenue, granted to analysts:\n%s", out)
	}
	for _, hidden := range []string{"bronze", "sys.", "people"} {
		if strings.Contains(out, hidden) {
			t.Errorf("dana's status shows %q:\n%s", hidden, out)
		}
	}
	out, _ = lb(t, dir, true, "status")
	for _, want := range []string{"bronze.people", "gold.revenue", "sys.audit"} {
		if !strings.Contains(out, want) {
			t.Errorf("the owner's status lacks %s:\n%s", want, out)
		}
	}
	// A writer imports the read-only sessions' audit events.
	lb(t, dir, true, "query", "create table gold.other as select 2 as x")
	rows := queryJSON(t, dir, "select tables::varchar, allowed from sys.audit where principal = 'dana' and action = 'CATALOG'")
	if len(rows) != 1 || rows[0][0] != "[gold.revenue]" || rows[0][1] != true {
		t.Errorf("dana's status in sys.audit: %v, want one CATALOG event of [gold.revenue]", rows)
	}
}
