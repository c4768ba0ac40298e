package pipeline

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestRunUsage: a run records one usage row per task it ran, tagged with
// the job, task, principal, target and run, with a quantity above zero,
// the rows each task wrote, and the rows of the tables it read; its cost
// is the quantity at the target's list price.
func TestRunUsage(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`targets:
  dev: {default: true, price: {per_compute_second: 0.002, currency: eur}}
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	records, err := lh.UsageRecords(ctx, res.StartedAt)
	if err != nil {
		t.Fatal(err)
	}
	byTask := map[string]lakehouse.UsageRecord{}
	for _, r := range records {
		if r.Kind != lakehouse.UsageKindTask {
			t.Errorf("a run's usage record of kind %q, want task: %+v", r.Kind, r)
			continue
		}
		if _, dup := byTask[r.Tags["task"]]; dup {
			t.Errorf("task %s has two usage records", r.Tags["task"])
		}
		byTask[r.Tags["task"]] = r
	}
	if len(byTask) != len(res.Tasks) || len(records) != len(res.Tasks) {
		t.Fatalf("%d usage records for %d tasks: %+v", len(records), len(res.Tasks), records)
	}
	var readSilver bool
	for _, tr := range res.Tasks {
		r, ok := byTask[tr.TaskKey]
		if !ok {
			t.Errorf("task %s has no usage record", tr.TaskKey)
			continue
		}
		want := map[string]string{"job": "default", "task": tr.TaskKey, "principal": p.Identity(), "target": "dev", "run_id": res.RunID}
		for k, v := range want {
			if r.Tags[k] != v {
				t.Errorf("task %s: tag %s = %q, want %q (tags %v)", tr.TaskKey, k, r.Tags[k], v, r.Tags)
			}
		}
		if r.Quantity <= 0 || r.WallSeconds <= 0 || r.Unit != lakehouse.UsageUnit {
			t.Errorf("task %s: quantity %g %s over %g s, want > 0 compute-seconds", tr.TaskKey, r.Quantity, r.Unit, r.WallSeconds)
		}
		if math.Abs(r.Quantity-r.WallSeconds*float64(lh.Threads())) > 1e-9 {
			t.Errorf("task %s: quantity %g, want wall %g s x %d threads", tr.TaskKey, r.Quantity, r.WallSeconds, lh.Threads())
		}
		if r.RowsWritten != tr.RowsWritten {
			t.Errorf("task %s: usage rows written %d, the task wrote %d", tr.TaskKey, r.RowsWritten, tr.RowsWritten)
		}
		if r.RowsWritten > 0 && r.BytesWritten <= 0 {
			t.Errorf("task %s wrote %d rows and %d bytes", tr.TaskKey, r.RowsWritten, r.BytesWritten)
		}
		if r.StartTime.After(r.EndTime) || r.StartTime.Before(res.StartedAt.Add(-1)) {
			t.Errorf("task %s: usage from %v to %v, the run started %v", tr.TaskKey, r.StartTime, r.EndTime, res.StartedAt)
		}
		if math.Abs(r.Cost-r.Quantity*0.002) > 1e-12 || r.Currency != "EUR" {
			t.Errorf("task %s: cost %g %s, want %g EUR", tr.TaskKey, r.Cost, r.Currency, r.Quantity*0.002)
		}
		if tr.TargetTable == "gold.revenue" {
			// gold.revenue reads silver.orders: its rows, as DuckDB's
			// catalog counts them (the rows stored: a quarantined row
			// deleted from the committed table still counts), are what
			// it read.
			readSilver = true
			est, err := lh.Query(ctx, "select estimated_size from duckdb_tables() where schema_name = 'silver' and table_name = 'orders'")
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := est.Rows[0][0].(int64); r.RowsRead != n || n < count(t, lh, "select * from silver.orders") {
				t.Errorf("gold.revenue's usage read %d rows, silver.orders has %v stored, %d visible", r.RowsRead, est.Rows[0][0], count(t, lh, "select * from silver.orders"))
			}
		}
	}
	if !readSilver {
		t.Errorf("no task built gold.revenue: %+v", res.Tasks)
	}
	// Summed by job, the group is the records' sums.
	sums, err := lh.Usage(ctx, lakehouse.UsageQuery{By: "job", Since: res.StartedAt})
	if err != nil {
		t.Fatal(err)
	}
	var q, cost float64
	var written int64
	for _, r := range records {
		q, cost, written = q+r.Quantity, cost+r.Cost, written+r.RowsWritten
	}
	if len(sums) != 1 || sums[0].Key != "default" || sums[0].Records != int64(len(records)) ||
		math.Abs(sums[0].Quantity-q) > 1e-9 || math.Abs(sums[0].Cost-cost) > 1e-12 || sums[0].RowsWritten != written {
		t.Errorf("usage by job: %+v, want one group default of %d records, %g compute-s, %g EUR, %d rows written", sums, len(records), q, cost, written)
	}
}

// TestListPrices: each target's price comes from its bundle, else from its
// mode (spot in development, on demand in production); a run writes it to
// sys.list_prices, a changed price starts a new row and ends the old one,
// and usage is priced at the price in effect when it started.
func TestListPrices(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`targets:
  dev: {default: true}
  cheap: {price: {tier: spot}}
  set: {price: {per_compute_second: 0.5, currency: chf, tier: on_demand}}
  prod: {mode: production, run_as: {service_principal_name: sp-prod}}
`)
	for _, tc := range []struct {
		target, tier, currency string
		price                  float64
	}{
		{"dev", TierSpot, "USD", SpotPrice},
		{"cheap", TierSpot, "USD", SpotPrice},
		{"set", TierOnDemand, "CHF", 0.5},
		{"prod", TierOnDemand, "USD", OnDemandPrice},
	} {
		p, err := LoadWith(dir, LoadOptions{Target: tc.target})
		if err != nil {
			t.Fatal(err)
		}
		lp := p.ListPrice()
		if lp.Target != tc.target || lp.Tier != tc.tier || lp.Currency != tc.currency || lp.Price != tc.price {
			t.Errorf("target %s: price %+v, want %g %s %s", tc.target, lp, tc.price, tc.currency, tc.tier)
		}
	}
	if SpotPrice >= OnDemandPrice {
		t.Errorf("spot %g is not below on demand %g", SpotPrice, OnDemandPrice)
	}

	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	first, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	// The same price again adds nothing; a new one replaces it.
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if err := lh.SetListPrice(ctx, lakehouse.ListPrice{Price: 1, Currency: "USD", Tier: TierOnDemand}); err != nil {
		t.Fatal(err)
	}
	later, err := p.Run(ctx, lh, RunOptions{Target: "dev", Job: ""})
	if err != nil {
		t.Fatal(err)
	}
	prices, err := lh.ListPrices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The third run wrote the bundle's price back over the 1 USD one.
	if len(prices) != 3 || prices[0].Price != SpotPrice || prices[0].EndTime.IsZero() || prices[1].Price != 1 ||
		prices[1].EndTime.IsZero() || prices[2].Price != SpotPrice || !prices[2].EndTime.IsZero() {
		t.Fatalf("list prices %+v: want spot (ended), 1 (ended), spot (in effect)", prices)
	}
	records, err := lh.UsageRecords(ctx, first.StartedAt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		want := r.Quantity * SpotPrice
		if math.Abs(r.Cost-want) > 1e-12 {
			t.Errorf("run %s task %s: cost %g, want %g at the price in effect", r.Tags["run_id"], r.Tags["task"], r.Cost, want)
		}
	}
	_ = later

	// A price the bundle gets wrong is a validate error at its line.
	writeTestFile(t, dir, FileName, testProject+`targets:
  dev: {default: true, price: {per_compute_second: -1, tier: spott, currency: dollars}}
`)
	bad, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	v := bad.Validate(ctx, lh)
	text := v.Errors.Error()
	for _, want := range []string{"per_compute_second -1 is negative", `unknown tier "spott"`, "did you mean spot", `currency "dollars"`, FileName + ":"} {
		if !strings.Contains(text, want) {
			t.Errorf("validate errors do not say %q:\n%s", want, text)
		}
	}
}

// auditHas reports whether events holds one of action by principal,
// allowed or refused as said (an action ending in ":" matches those it
// begins), whose statement contains stmt (when given)
// and whose tables hold table (when given).
func auditHas(events []lakehouse.AuditEvent, action, principal string, allowed bool, stmt, table string) bool {
	for _, e := range events {
		if (e.Action == action || strings.HasSuffix(action, ":") && strings.HasPrefix(e.Action, action)) && e.Principal == principal && e.Allowed == allowed && strings.Contains(e.Statement, stmt) &&
			(table == "" || containsString(e.Tables, table)) && e.Result != "" {
			return true
		}
	}
	return false
}

// TestAuditIsComplete drives every kind of access, allowed and refused
// (by another principal), and finds its event in sys.audit with its
// principal, objects, statement where there is one, and result: deploys
// and the grant and permission changes they make, runs' tasks, reads
// through each path (Query, Stream, Page, Count, the TUI's OpenLive, a
// dashboard tile, an alert), and writes.
func TestAuditIsComplete(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	bundle := func(grants string) string {
		return testProject + `  alerts:
    revenue_up: {query: "select sum(revenue) as r from gold.revenue", column: r, op: ">", threshold: 0}
  dashboards:
    money:
      tiles:
        - {title: revenue, kind: table, query: "select * from gold.revenue"}
  groups:
    analysts: {members: [dana]}
  schemas:
` + grants + `permissions:
  - {level: CAN_RUN, group_name: analysts}
`
	}
	writeTestFile(t, dir, FileName, bundle(`    gold: {grants: [{principal: analysts, privileges: [SELECT]}]}
`))
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	owner := p.Identity()
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, owner); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	// A second deploy moves gold's grant from analysts to ben and adds
	// MODIFY on silver.orders for ben; dana's deploy is refused.
	writeTestFile(t, dir, FileName, bundle(`    gold: {grants: [{principal: ben, privileges: [SELECT]}]}
    silver: {grants: [{principal: ben, table: orders, privileges: [SELECT, MODIFY]}]}
`))
	p2, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.Deploy(ctx, lh, owner); err != nil {
		t.Fatal(err)
	}
	if _, err := p2.Deploy(ctx, lh, "dana"); err == nil {
		t.Fatal("dana's deploy was allowed")
	}
	// dana may run (CAN_RUN) but not write silver: the task is refused.
	if _, err := p2.Run(ctx, lh, RunOptions{Target: "dev", Principal: "dana"}); err == nil {
		t.Fatal("dana's run wrote silver")
	}

	const goldQ, silverQ = "select * from gold.revenue", "select * from silver.orders_quarantine"
	read := func(who string, fn func(sql string) error) (allowed, refused error) {
		lh.SetPrincipal(who)
		defer lh.SetPrincipal("")
		return fn(goldQ), fn(silverQ)
	}
	paths := map[string]func(sql string) error{
		"Query": func(q string) error { _, err := lh.Query(ctx, q); return err },
		"Stream": func(q string) error {
			return lh.Stream(ctx, q, 10, func(*lakehouse.Result) error { return nil })
		},
		"Page":  func(q string) error { _, err := lh.Page(ctx, q, 0, 10); return err },
		"Count": func(q string) error { _, err := lh.Count(ctx, q); return err },
		"OpenLive": func(q string) error {
			l, err := lh.OpenLive(ctx, q, lakehouse.LiveOptions{})
			if err == nil {
				l.Close()
			}
			return err
		},
	}
	for name, fn := range paths {
		ok, refused := read("ben", fn)
		if ok != nil || refused == nil {
			t.Errorf("%s as ben: gold %v (want allowed), silver %v (want refused)", name, ok, refused)
		}
	}
	// A write: ben may modify silver.orders, dana may not.
	lh.SetPrincipal("ben")
	if _, err := lh.Exec(ctx, "DELETE FROM silver.orders WHERE id = 4"); err != nil {
		t.Errorf("ben's delete: %v", err)
	}
	lh.SetPrincipal("dana")
	if _, err := lh.Exec(ctx, "DELETE FROM silver.orders WHERE id = 3"); err == nil {
		t.Error("dana's delete was allowed")
	}
	// A dashboard tile and an alert, as ben (allowed) and dana (refused:
	// analysts lost gold).
	for _, who := range []string{"ben", "dana"} {
		lh.SetPrincipal(who)
		_, err := p2.EvalTile(ctx, lh, "money", 0)
		if (err == nil) != (who == "ben") {
			t.Errorf("%s's tile: %v", who, err)
		}
		if _, err := p2.CheckAlerts(ctx, lh, []string{"revenue_up"}, ""); err != nil {
			t.Errorf("%s's alert check: %v", who, err)
		}
	}
	lh.SetPrincipal("")

	events, err := lh.AuditEvents(ctx, lakehouse.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, action, principal string
		allowed                 bool
		stmt, table             string
	}{
		{"the deploy", lakehouse.ActionDeploy, owner, true, "", ""},
		{"dana's deploy", lakehouse.ActionDeploy, "dana", false, "", ""},
		{"the grant to analysts", lakehouse.ActionGrant, owner, true, "", "gold.*"},
		{"the grant to ben", lakehouse.ActionGrant, owner, true, "", "silver.orders"},
		{"the revoke from analysts", lakehouse.ActionRevoke, owner, true, "", "gold.*"},
		{"the permission to analysts", lakehouse.ActionPermissionGrant, owner, true, "", ""},
		{"the run's transform", "task:transform", owner, true, "", "silver.orders"},
		{"dana's refused task", "task:", "dana", false, "", ""},
		{"ben's read", lakehouse.ActionSelect, "ben", true, goldQ, "gold.revenue"},
		{"ben's refused read", lakehouse.ActionSelect, "ben", false, silverQ, "silver.orders_quarantine"},
		{"ben's write", lakehouse.ActionExecute, "ben", true, "DELETE FROM silver.orders WHERE id = 4", "silver.orders"},
		{"dana's refused write", lakehouse.ActionExecute, "dana", false, "DELETE FROM silver.orders WHERE id = 3", ""},
		{"ben's alert", "alert", "ben", true, "gold.revenue", "gold.revenue"},
		{"dana's refused alert", "alert", "dana", false, "gold.revenue", ""},
		{"dana's refused tile", lakehouse.ActionSelect, "dana", false, "gold.revenue", ""},
	} {
		if !auditHas(events, c.action, c.principal, c.allowed, c.stmt, c.table) {
			t.Errorf("no audit event for %s: action %q principal %s allowed %v statement ~%q table %q", c.what, c.action, c.principal, c.allowed, c.stmt, c.table)
		}
	}
	// Each read path left its own allowed event with the statement: five
	// paths, plus the tile, read gold as ben.
	n := 0
	for _, e := range events {
		if e.Action == lakehouse.ActionSelect && e.Principal == "ben" && e.Allowed && strings.Contains(e.Statement, "gold.revenue") {
			n++
		}
	}
	if n < len(paths)+1 {
		t.Errorf("%d allowed reads of gold.revenue by ben with their statement, want %d (each path and the tile)", n, len(paths)+1)
	}
	// The filters of `lakebench audit --action --table`.
	grants, err := lh.AuditEvents(ctx, lakehouse.AuditFilter{Action: lakehouse.ActionGrant, Table: "silver.orders"})
	if err != nil {
		t.Fatal(err)
	}
	if len(grants) != 2 || !strings.Contains(grants[1].Detail, "MODIFY on silver.orders to ben") {
		t.Errorf("grants on silver.orders: %+v, want ben's SELECT and MODIFY", grants)
	}
	if c, err := lh.VerifyAudit(ctx); err != nil || c.Break != nil {
		t.Errorf("the audit chain: %+v %v", c, err)
	}
}
