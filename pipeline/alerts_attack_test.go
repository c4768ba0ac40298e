package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Attacks on issue 10's alerts and dashboards as a hostile analyst (dana,
// SELECT on gold only) would make them: each passes when refused.

// attackProject deploys and runs the tiny project with alerts and a
// dashboard whose queries try to read past dana's grants, and a notifying
// script that keeps what it reads on its standard input.
func attackProject(t *testing.T) (*Project, string) {
	t.Helper()
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	out := filepath.Join(dir, "notified.jsonl")
	writeTestFile(t, dir, "notify.sh", "#!/bin/sh\ncat >> "+out+"\necho >> "+out+"\n")
	os.Chmod(filepath.Join(dir, "notify.sh"), 0o755)
	writeTestFile(t, dir, FileName, testProject+`
  alerts:
    setting: {query: "select current_setting('temp_directory') as v", column: v, op: IS_NOT_NULL, notify: {command: [./notify.sh]}}
    query_fn: {query: "select * from query('select customer as v from silver.orders')", column: v, op: IS_NOT_NULL, notify: {command: [./notify.sh]}}
    silver: {query: "select customer as v from silver.orders where customer = 'bob'", column: v, op: IS_NOT_NULL, notify: {command: [./notify.sh]}}
    gold_ok: {query: "select count(*) as n from gold.revenue", column: n, op: ">", threshold: 0, notify: {command: [./notify.sh]}}
  dashboards:
    peek:
      tiles:
        - {title: silver, kind: table, query: "select * from silver.orders"}
        - {title: prev, kind: kpi, query: "select 1 as n", previous_query: "select count(*) as n from silver.orders"}
        - {title: setting, kind: table, query: "select current_setting('secret_directory') as s"}
        - {title: bronze, kind: table, query: "select * from bronze.orders"}
  groups:
    analysts: {members: [dana]}
  schemas:
    gold: {grants: [{principal: analysts, privileges: [SELECT]}]}
permissions:
  - {level: CAN_RUN, group_name: analysts}
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Logf("the owner's run: %v", err)
	}
	// What validation refuses in lakebench.yml, as if the file changed
	// after it was loaded: each evaluation must refuse it again.
	odd := &AlertNotify{Command: []string{"./notify.sh", "--odd arg; rm -rf /", "$(id)", "\n\x00"}}
	for name, q := range map[string]string{
		"cte_escape": "select 1 as v) , x as (select customer as v from silver.orders) select v from x --",
		"multi":      "select 1 as v; drop table gold.revenue",
		"writes":     "delete from gold.revenue returning 1 as v",
		"comment":    "select 1 as v /* ) , x as (select customer as v from silver.orders) select v from x -- */",
	} {
		p.Resources.Alerts[name] = Alert{Query: q, Column: "v", Op: "IS_NOT_NULL", Notify: odd}
	}
	d := p.Resources.Dashboards["peek"]
	d.Tiles = append(d.Tiles,
		Tile{Title: "escape", Kind: TileTable, Query: "select 1 as a) as t, (select customer from silver.orders"},
		Tile{Title: "two", Kind: TileTable, Query: "select 1; select * from silver.orders"},
		Tile{Title: "unicode", Kind: TileTable, Query: "select 1 \u037e select * from silver.orders"})
	p.Resources.Dashboards["peek"] = d
	return p, out
}

// TestAttackAlerts: dana's evaluation of alerts reading past her grants is
// ERROR naming the grant, with no value, and what the notification reads
// on stdin carries none of silver's data.
func TestAttackAlerts(t *testing.T) {
	ctx := context.Background()
	p, out := attackProject(t)
	os.Remove(out)
	lh := openTarget(t, p)
	defer lh.Close()
	lh.SetPrincipal("dana")
	sts, err := p.CheckAlerts(ctx, lh, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"ann", "bob", "cy", ".tmp", "/"}
	for _, st := range sts {
		switch st.Alert {
		case "comment":
			// Only a comment: it reads nothing of silver.
			if st.Value != "" && st.Value != "1" {
				t.Errorf("the commented alert: %+v", st)
			}
			continue
		case "gold_ok":
			if st.State != AlertTriggered {
				t.Errorf("dana's allowed alert: %+v", st)
			}
			continue
		}
		if st.State != AlertError || st.Value != "" {
			t.Errorf("dana's alert %s: %s value %q (%s)", st.Alert, st.State, st.Value, st.Error)
		}
		for _, s := range secrets[:3] {
			if strings.Contains(st.Error+st.Message+st.Threshold, s) {
				t.Errorf("dana's alert %s shows %q: %+v", st.Alert, s, st)
			}
		}
		if st.Alert == "setting" && strings.Contains(st.Value+st.Error, ".lakebench") {
			t.Errorf("dana's alert on a setting shows a path: %+v", st)
		}
	}
	if n := count(t, lh, "select count(*) from gold.revenue"); n == 0 {
		t.Error("an alert's query deleted gold.revenue")
	}
	lh.SetPrincipal("")
	b, _ := os.ReadFile(out)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var n map[string]any
		if err := json.Unmarshal([]byte(line), &n); err != nil {
			t.Errorf("a notification's stdin is not JSON: %q", line)
			continue
		}
		if v, _ := n["value"].(string); v != "" && n["alert"] != "gold_ok" {
			t.Errorf("a notification of %v carries the value %q", n["alert"], v)
		}
		for _, s := range []string{`"ann"`, `"bob"`, "cy\"", "dev.duckdb.tmp"} {
			if strings.Contains(line, s) && !strings.Contains(line, "query_text") {
				t.Errorf("a notification carries %s: %s", s, line)
			}
		}
	}
}

// TestAttackDashboardTiles: every tile reading past dana's grants (through
// the tile's wrapper, its previous query, a setting or a second statement)
// is refused, with no rows.
func TestAttackDashboardTiles(t *testing.T) {
	ctx := context.Background()
	p, _ := attackProject(t)
	lh := openTarget(t, p)
	defer lh.Close()
	lh.SetPrincipal("dana")
	for i, tl := range p.Resources.Dashboards["peek"].Tiles {
		d, err := p.EvalTile(ctx, lh, "peek", i)
		if err == nil {
			t.Errorf("dana's tile %q: %+v", tl.Title, d)
		}
	}
}
