package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// findChange is the plan's change of kind and name, or nil.
func findChange(pl *Plan, kind, name string) *Change {
	for i, c := range pl.Changes {
		if c.Kind == kind && c.Name == name {
			return &pl.Changes[i]
		}
	}
	return nil
}

// TestPlanEveryResourceKind deploys the sample to dev, then for every
// kind of resource adds one, changes one and removes one in the bundle:
// the plan shows each as +, ~ (with the field that changes) or -, counts
// them in its summary, and the deploy applies exactly it (the deployment
// records that plan, and a plan right after it is empty).
func TestPlanEveryResourceKind(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "dev")
	lh := openFor(t, p)
	// Schema ml is added back later: the plan's + schema.
	ml := p.Resources.Schemas["ml"]
	delete(p.Resources.Schemas, "ml")
	pl, err := p.PlanDeploy(ctx, lh, "")
	if err != nil {
		t.Fatal(err)
	}
	if pl.Deployed != nil || pl.Destroy != 0 || pl.Change != 0 || pl.Add == 0 || pl.Add != len(pl.Changes) {
		t.Fatalf("first plan: %s with %d changes, want only additions", pl.Summary(), len(pl.Changes))
	}
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	if pl, err = p.PlanDeploy(ctx, lh, ""); err != nil || !pl.Empty() {
		t.Fatalf("plan after the deploy: %v %v, want no changes", pl.Lines(), err)
	}
	r := &p.Resources
	first := func(keys []string) string { return keys[0] }
	clone := func(v any, into any) {
		b, _ := json.Marshal(v)
		json.Unmarshal(b, into)
	}
	type edit struct {
		kind, name, field string
		do                func()
	}
	src, qual, mon, rm := first(sortedKeys(r.Sources)), first(sortedKeys(r.Quality)), first(sortedKeys(r.QualityMonitors)), first(sortedKeys(r.RegisteredModels))
	dash, alert, job, schema := first(sortedKeys(r.Dashboards)), first(sortedKeys(r.Alerts)), first(sortedKeys(r.Jobs)), first(sortedKeys(r.Schemas))
	group := first(sortedKeys(r.Groups))
	changes := []edit{
		{"source", src, "description", func() { s := r.Sources[src]; s.Description = "changed"; r.Sources[src] = s }},
		{"quality", qual, "[0].criticality", func() {
			var rules []QualityRule
			clone(r.Quality[qual], &rules)
			rules[0].Criticality = map[string]string{"error": "warn"}[rules[0].Criticality] + map[string]string{"warn": "error", "": "warn"}[rules[0].Criticality]
			r.Quality[qual] = rules
		}},
		{"monitor", mon, "freshness", func() { m := r.QualityMonitors[mon]; m.Freshness = "99h"; r.QualityMonitors[mon] = m }},
		{"registered_model", rm, "description", func() { m := r.RegisteredModels[rm]; m.Description = "changed"; r.RegisteredModels[rm] = m }},
		{"dashboard", dash, "title", func() { d := r.Dashboards[dash]; d.Title = "Changed"; r.Dashboards[dash] = d }},
		{"alert", alert, "custom_summary", func() { a := r.Alerts[alert]; a.CustomSummary = "changed"; r.Alerts[alert] = a }},
		{"job", job, "description", func() { j := r.Jobs[job]; j.Description = "changed"; r.Jobs[job] = j }},
		{"schema", schema, "comment", func() { s := r.Schemas[schema]; s.Comment = "changed"; r.Schemas[schema] = s }},
		{"group", group, "members[0]", func() { r.Groups[group] = Group{Members: []string{"zed"}} }},
		{"target", "dev", "promotion.from", func() {
			no := false
			tg := p.Targets["dev"]
			tg.Promotion = &Promotion{From: "staging", RequireSuccess: &no}
			p.Targets["dev"] = tg
		}},
	}
	adds := []edit{
		{"source", src + "_copy", "", func() { r.Sources[src+"_copy"] = r.Sources[src] }},
		{"quality", "gold.extra", "", func() {
			r.Quality["gold.extra"] = []QualityRule{{Check: QualityCheck{Function: "is_not_null"}, Column: "x", Criticality: "warn"}}
		}},
		{"monitor", "gold.extra", "", func() { r.QualityMonitors["gold.extra"] = QualityMonitor{Freshness: "24h"} }},
		{"registered_model", rm + "_copy", "", func() { r.RegisteredModels[rm+"_copy"] = r.RegisteredModels[rm] }},
		{"dashboard", dash + "_copy", "", func() { r.Dashboards[dash+"_copy"] = r.Dashboards[dash] }},
		{"alert", alert + "_copy", "", func() { r.Alerts[alert+"_copy"] = r.Alerts[alert] }},
		{"job", job + "_copy", "", func() { r.Jobs[job+"_copy"] = r.Jobs[job] }},
		{"schema", "ml", "", func() { r.Schemas["ml"] = ml }},
		{"group", "auditors", "", func() { r.Groups["auditors"] = Group{Members: []string{"ina"}} }},
		{"grant", "ml to analysts", "", nil},
		{"grant", "gold to auditors", "", func() {
			s := r.Schemas["gold"]
			s.Grants = append(s.Grants, Grant{Principal: "auditors", Privileges: []string{"SELECT"}})
			r.Schemas["gold"] = s
		}},
		{"permission", "ina (user)", "", func() { p.Permissions = append(p.Permissions, Permission{Level: "CAN_VIEW", UserName: "ina"}) }},
		{"model", "gold.extra", "", func() {
			os.WriteFile(filepath.Join(p.Dir, "sql", "gold", "extra.sql"), []byte("select 1 as x"), 0o644)
		}},
	}
	for _, e := range append(changes, adds...) {
		if e.do != nil {
			e.do()
		}
	}
	// A model's SQL changes: its sql field does.
	model := "gold.daily_revenue"
	f := filepath.Join(p.Dir, "sql", "gold", "daily_revenue.sql")
	text, _ := os.ReadFile(f)
	os.WriteFile(f, append(text, []byte("\n-- edited\n")...), 0o644)
	changes = append(changes, edit{"model", model, "sql", nil})
	stage(t, p.Dir, "staging", "") // dev's new promotion gate asks for it

	pl, err = p.PlanDeploy(ctx, lh, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range changes {
		c := findChange(pl, e.kind, e.name)
		if c == nil || c.Action != Update {
			t.Errorf("plan has no ~ %s %s: %v", e.kind, e.name, pl.Lines())
			continue
		}
		found := false
		for _, fc := range c.Fields {
			found = found || fc.Path == e.field
		}
		if !found {
			t.Errorf("~ %s %s changes %v, want field %s", e.kind, e.name, c.Fields, e.field)
		}
	}
	for _, e := range adds {
		if c := findChange(pl, e.kind, e.name); c == nil || c.Action != Create {
			t.Errorf("plan has no + %s %s: %v", e.kind, e.name, pl.Lines())
		}
	}
	if !strings.Contains(strings.Join(pl.Lines(), "\n"), "~ job "+job+"\n    description: ") {
		t.Errorf("plan text does not show the job's field diff:\n%s", strings.Join(pl.Lines(), "\n"))
	}
	// Besides the edits: schema ml brings its other grants (engineers,
	// scientists), and the grant to auditors changes schema gold.
	if want := len(adds) + 2; pl.Add != want || pl.Change != len(changes)+1 || pl.Destroy != 0 {
		t.Errorf("%s, want %d to add, %d to change, 0 to destroy:\n%s", pl.Summary(), want, len(changes)+1, strings.Join(pl.Lines(), "\n"))
	}
	// The deploy applies exactly this plan, and records it.
	res, err := p.DeployWith(ctx, lh, DeployOptions{Expect: pl})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.ID != pl.ID {
		t.Errorf("the deploy applied plan %s, shown %s", res.Plan.ID, pl.ID)
	}
	d, _ := lh.LastDeployment(ctx)
	var recorded Plan
	if err := json.Unmarshal([]byte(d.Plan), &recorded); err != nil || recorded.ID != pl.ID || len(recorded.Changes) != len(pl.Changes) {
		t.Errorf("sys.deployments recorded plan %s (%v), want %s", recorded.ID, err, pl.ID)
	}
	if after, err := p.PlanDeploy(ctx, lh, ""); err != nil || !after.Empty() {
		t.Errorf("plan after applying it: %v %v, want no changes", after.Lines(), err)
	}

	// Removing each kind: the plan shows -, and the deploy drops the tables.
	delete(r.Sources, src+"_copy")
	delete(r.Quality, "gold.extra")
	delete(r.QualityMonitors, "gold.extra")
	delete(r.RegisteredModels, rm+"_copy")
	delete(r.Dashboards, dash+"_copy")
	delete(r.Alerts, alert+"_copy")
	delete(r.Jobs, job+"_copy")
	delete(r.Schemas, "ml")
	delete(r.Groups, "auditors")
	s := r.Schemas["gold"]
	s.Grants = s.Grants[:len(s.Grants)-1]
	r.Schemas["gold"] = s
	p.Permissions = p.Permissions[:len(p.Permissions)-1]
	os.Remove(filepath.Join(p.Dir, "sql", "gold", "extra.sql"))
	stage(t, p.Dir, "staging", "")
	pl, err = p.PlanDeploy(ctx, lh, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range adds {
		if c := findChange(pl, e.kind, e.name); c == nil || c.Action != Delete {
			t.Errorf("plan has no - %s %s: %v", e.kind, e.name, pl.Lines())
		}
	}
	if pl.Destroy != len(adds)+2 || pl.Add != 0 || pl.Change != 1 {
		t.Errorf("%s, want 0 to add, 1 to change, %d to destroy", pl.Summary(), len(adds)+2)
	}
	if _, err := p.DeployWith(ctx, lh, DeployOptions{Expect: pl}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, lh, "select * from duckdb_tables() where schema_name = 'gold' and table_name = 'extra'"); n != 0 {
		t.Errorf("the removed model's table is still there")
	}
}

// TestDeployRefusesAStalePlan: a plan shown, then the bundle edited (or
// the target deployed by someone else) before the deploy: the deploy
// refuses, says which, and changes nothing.
func TestDeployRefusesAStalePlan(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	p := loadTarget(t, dir, "dev")
	lh := openAt(t, p)
	shown, err := p.PlanDeploy(ctx, lh, "")
	if err != nil {
		t.Fatal(err)
	}
	// The YAML is edited between the plan and the deploy.
	writeTestFile(t, dir, "extra/late.yml", "resources: {alerts: {late: {query_text: 'select 1 as v', evaluation: {source: {name: v}, comparison_operator: GREATER_THAN, threshold: {value: {double_value: 0}}}}}}\n")
	edited := loadTarget(t, dir, "dev")
	_, err = edited.DeployWith(ctx, lh, DeployOptions{Expect: shown})
	var stale *StalePlanError
	if !errors.As(err, &stale) || !strings.Contains(err.Error(), "the bundle changed since") {
		t.Fatalf("deploying an edited bundle on a shown plan: %v, want a stale plan naming the bundle", err)
	}
	if d, _ := lh.LastDeployment(ctx); d.BundleHash != "" {
		t.Errorf("the stale plan deployed %s", d.BundleHash)
	}
	// The target deployed by another since the plan.
	os.Remove(filepath.Join(dir, "extra", "late.yml"))
	shown, _ = p.PlanDeploy(ctx, lh, "")
	if _, err := p.DeployWith(ctx, lh, DeployOptions{Expect: shown}); err != nil {
		t.Fatal(err)
	}
	shown, _ = p.PlanDeploy(ctx, lh, "")
	if _, err := p.Deploy(ctx, lh, "ben"); err != nil { // ben is an engineer: CAN_MANAGE
		t.Fatal(err)
	}
	_, err = p.DeployWith(ctx, lh, DeployOptions{Expect: shown})
	if !errors.As(err, &stale) || !strings.Contains(err.Error(), "the target changed since") || !strings.Contains(err.Error(), "by ben") {
		t.Fatalf("deploying a plan made before another deploy: %v, want a stale plan naming ben's deployment", err)
	}
	now, _ := p.PlanDeploy(ctx, lh, "")
	if _, err := p.DeployWith(ctx, lh, DeployOptions{Expect: now}); err != nil {
		t.Errorf("deploying the fresh plan: %v", err)
	}
	_ = lakehouse.Owner
}
