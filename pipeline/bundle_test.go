package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestValidateGolden loads each broken project under testdata/validate and
// compares every message (file:line:column, message, hint) with want.txt.
func TestValidateGolden(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/validate/*")
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			abs, _ := filepath.Abs(dir)
			var lines []string
			render := func(kind string, e *Error) {
				msg := strings.ReplaceAll(e.Error(), abs+string(filepath.Separator), "")
				lines = append(lines, kind+": "+msg)
			}
			p, err := Load(dir)
			var diags Diagnostics
			var single *Error
			switch {
			case errors.As(err, &diags):
				for _, e := range diags {
					render("error", e)
				}
			case errors.As(err, &single):
				render("error", single)
			case err != nil:
				t.Fatal(err)
			default:
				v := p.Validate(context.Background(), lh)
				for _, e := range v.Errors {
					render("error", e)
				}
				for _, w := range v.Warnings {
					render("warning", w)
				}
			}
			got := strings.Join(lines, "\n") + "\n"
			golden := filepath.Join(dir, "want.txt")
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name          string
		base, overlay map[string]any
		want          map[string]any
	}{
		{"maps merge deeply",
			map[string]any{"a": map[string]any{"x": 1, "y": 2}},
			map[string]any{"a": map[string]any{"y": 3, "z": 4}},
			map[string]any{"a": map[string]any{"x": 1, "y": 3, "z": 4}}},
		{"scalars and plain lists are replaced",
			map[string]any{"s": "a", "l": []any{1, 2}},
			map[string]any{"s": "b", "l": []any{3}},
			map[string]any{"s": "b", "l": []any{3}}},
		{"tasks merge by task_key",
			map[string]any{"tasks": []any{map[string]any{"task_key": "a", "type": "ingest"}, map[string]any{"task_key": "b", "type": "sql", "sql": "x"}}},
			map[string]any{"tasks": []any{map[string]any{"task_key": "b", "sql": "y"}, map[string]any{"task_key": "c", "type": "alerts"}}},
			map[string]any{"tasks": []any{map[string]any{"task_key": "a", "type": "ingest"}, map[string]any{"task_key": "b", "type": "sql", "sql": "y"}, map[string]any{"task_key": "c", "type": "alerts"}}}},
		{"new keys are added",
			map[string]any{},
			map[string]any{"jobs": map[string]any{"j": 1}},
			map[string]any{"jobs": map[string]any{"j": 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			merge(tc.base, tc.overlay)
			if !reflect.DeepEqual(tc.base, tc.want) {
				t.Errorf("got %v, want %v", tc.base, tc.want)
			}
		})
	}
}

func TestTargetOverrides(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, `bundle: {name: x}
variables:
  days: {default: 30}
  region: {default: north}
resources:
  alerts:
    a: {query: "select ${var.days} as v, '${var.region}' as r, '${bundle.target}' as t", column: v, op: ">", threshold: 1}
  jobs:
    nightly:
      tasks:
        - {task_key: ingest, type: ingest}
        - {task_key: build, type: transform, depends_on: [ingest]}
targets:
  dev: {default: true}
  prod:
    mode: production
    run_as: {service_principal_name: sp-prod}
    variables: {days: 90}
    resources:
      jobs:
        nightly:
          tasks:
            - {task_key: build, models: [gold.x]}
            - {task_key: alerts, type: alerts, depends_on: [build]}
`)
	dev, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dev.Target != "dev" || dev.Identity() != Principal() || len(dev.Resources.Jobs["nightly"].Tasks) != 2 {
		t.Errorf("dev: target %s identity %s tasks %v", dev.Target, dev.Identity(), dev.Resources.Jobs["nightly"].Tasks)
	}
	if q := dev.Resources.Alerts["a"].Query; q != "select 30 as v, 'north' as r, 'dev' as t" {
		t.Errorf("dev alert query %q", q)
	}
	prod, err := LoadWith(dir, LoadOptions{Target: "prod", Vars: map[string]string{"region": "south"}})
	if err != nil {
		t.Fatal(err)
	}
	if q := prod.Resources.Alerts["a"].Query; q != "select 90 as v, 'south' as r, 'prod' as t" {
		t.Errorf("prod alert query %q", q)
	}
	if _, err := LoadWith(dir, LoadOptions{Target: "prod", Vars: map[string]string{"regoin": "south"}}); err == nil ||
		!strings.Contains(err.Error(), `the bundle defines no variable "regoin"`) || !strings.Contains(err.Error(), "did you mean region?") {
		t.Errorf("an undefined --var: %v", err)
	}
	tasks := prod.Resources.Jobs["nightly"].Tasks
	if len(tasks) != 3 || tasks[1].Type != "transform" || !reflect.DeepEqual(tasks[1].Models, []string{"gold.x"}) || tasks[2].TaskKey != "alerts" {
		t.Errorf("prod tasks %+v", tasks)
	}
	if prod.Identity() != "sp-prod" || prod.Mode() != "production" {
		t.Errorf("prod identity %s mode %s", prod.Identity(), prod.Mode())
	}
	if err := prod.CheckIdentity("ana"); err == nil || !strings.Contains(err.Error(), "only as the service principal sp-prod") {
		t.Errorf("prod as a user: %v", err)
	}
	if _, err := LoadWith(dir, LoadOptions{Target: "qa"}); err == nil || !strings.Contains(err.Error(), `unknown target "qa"`) {
		t.Errorf("unknown target: %v", err)
	}
}

// sampleProject writes the sample project with dev data into a temp dir.
func sampleProject(t *testing.T, target string) *Project {
	t.Helper()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	p, err := LoadWith(dir, LoadOptions{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	root, err := p.SampleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// Dev-scale data for every target keeps the test quick.
	if _, err := sampledata.Generate(context.Background(), root, sampledata.Options{Scale: sampledata.ScaleDev}); err != nil {
		t.Fatal(err)
	}
	return p
}

func openFor(t *testing.T, p *Project) *lakehouse.Lakehouse {
	t.Helper()
	lh, err := lakehouse.Open(context.Background(), p.DatabasePath(p.Target), lakehouse.Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh
}

func TestSampleValidates(t *testing.T) {
	p := sampleProject(t, "")
	lh := openFor(t, p)
	v := p.Validate(context.Background(), lh)
	if !v.OK() || len(v.Warnings) != 0 {
		t.Errorf("the sample has errors %v and warnings %v", v.Errors, v.Warnings)
	}
	kinds := map[string]bool{}
	for _, r := range p.resourceDefinitions(v.Models) {
		kinds[r.Kind] = true
	}
	for _, k := range []string{"source", "model", "quality", "monitor", "registered_model", "dashboard", "alert", "job", "schema"} {
		if !kinds[k] {
			t.Errorf("the sample uses no %s", k)
		}
	}
	if len(p.Targets) != 3 || len(p.Framing.Team) != 4 {
		t.Errorf("the sample has %d targets and a team of %d, want 3 and 4", len(p.Targets), len(p.Framing.Team))
	}
}

func TestDeployAndRunOnDevAndStaging(t *testing.T) {
	for _, target := range []string{"dev", "staging"} {
		t.Run(target, func(t *testing.T) {
			ctx := context.Background()
			p := sampleProject(t, target)
			lh := openFor(t, p)
			res, err := p.Deploy(ctx, lh, "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Principal != p.Identity() || res.Resources["job"] != 1 || res.Resources["model"] != 14 {
				t.Errorf("deploy result %+v", res)
			}
			again, err := p.Deploy(ctx, lh, "")
			if err != nil || !again.Unchanged || again.BundleHash != res.BundleHash {
				t.Errorf("redeploy: %+v, %v; want unchanged", again, err)
			}
			var order []string
			run, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Progress: func(e Event) {
				if e.Kind == TaskFinished {
					order = append(order, e.Task)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if run.Principal != p.Identity() || run.Status != "succeeded" || len(order) != 7 {
				t.Errorf("run as %s: %s, finished %v", run.Principal, run.Status, order)
			}
			pos := map[string]int{}
			for i, k := range order {
				pos[k] = i
			}
			for _, dep := range [][2]string{{"ingest", "silver"}, {"silver", "gold"}, {"gold", "train_churn"}, {"train_churn", "score_churn"}} {
				if pos[dep[0]] > pos[dep[1]] {
					t.Errorf("%s finished after %s", dep[0], dep[1])
				}
			}
			for _, q := range []string{"select * from ml.churn_predictions", "select * from ml.model_versions where status = 'READY' and (metrics->>'roc_auc')::DOUBLE > 0.6",
				"select * from sys.alert_history", "select * from sys.deployments", "select * from sys.grants where principal = 'analysts'"} {
				if n, err := lh.Count(ctx, q); err != nil || n == 0 {
					t.Errorf("%s: %d rows, %v", q, n, err)
				}
			}
			// Removing a resource from the bundle removes it from the target.
			delete(p.Resources.Alerts, "quarantine_spike")
			delete(p.Resources.Sources, "tickets")
			p.Resources.Transforms = []string{"sql/gold/daily_revenue.sql", "sql/silver/*.sql"}
			os.Remove(filepath.Join(p.Dir, "sql/silver/tickets.sql"))
			// The unit and data tests of the models removed go with them
			// (a test of an unknown model stops the deploy).
			os.RemoveAll(filepath.Join(p.Dir, "tests"))
			p.Resources.Jobs = nil
			// prod's gate names the job removed: it goes too (the default
			// gate of a bundle without jobs asks only a deploy).
			prod := p.Targets["prod"]
			prod.Promotion = nil
			p.Targets["prod"] = prod
			p.Resources.RegisteredModels = nil
			p.Resources.QualityMonitors = nil
			p.Resources.Models = nil
			p.Resources.Dashboards = nil
			delete(p.Resources.Alerts, "revenue_drop")
			res, err = p.Deploy(ctx, lh, "")
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(res.Removed)
			for _, want := range []string{"alert quarantine_spike", "model gold.customer_features", "source tickets", "job nightly"} {
				if !containsString(res.Removed, want) {
					t.Errorf("removed %v, want %q among them", res.Removed, want)
				}
			}
			if ok, _ := lh.TableExists(ctx, lakehouse.TableName{Schema: "gold", Name: "customer_features"}); ok {
				t.Errorf("gold.customer_features survived its model's removal")
			}
			if ok, _ := lh.TableExists(ctx, lakehouse.TableName{Schema: "bronze", Name: "tickets"}); ok {
				t.Errorf("bronze.tickets survived its source's removal")
			}
		})
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestProdRefusesUsersAndGrantsAreEnforced(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "prod")
	// prod's promotion gate: the bundle deployed and run on staging, over
	// staging's own landing zone (dev-scale data, as prod's).
	staging := loadTarget(t, p.Dir, "staging")
	root, err := staging.SampleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, root, sampledata.Options{Scale: sampledata.ScaleDev}); err != nil {
		t.Fatal(err)
	}
	stage(t, p.Dir, "staging", "nightly")
	lh := openFor(t, p)
	if _, err := p.Deploy(ctx, lh, "ana"); err == nil || !strings.Contains(err.Error(), "production mode") {
		t.Errorf("deploy to prod as ana: %v", err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ana"}); err == nil || !strings.Contains(err.Error(), "only as the service principal sp-prod") {
		t.Errorf("run on prod as ana: %v", err)
	}
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatalf("deploy as sp-prod: %v", err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly"}); err != nil {
		t.Fatalf("run as sp-prod: %v", err)
	}
	// The analyst reads gold but not silver.
	lh.SetPrincipal("dana")
	if _, err := lh.Query(ctx, "select * from gold.daily_revenue limit 1"); err != nil {
		t.Errorf("dana reading gold: %v", err)
	}
	_, err = lh.Query(ctx, "select * from silver.orders limit 1")
	var ae *lakehouse.AccessError
	if !errors.As(err, &ae) || ae.Privilege != "SELECT" || ae.Table.String() != "silver.orders" {
		t.Errorf("dana reading silver: %v, want a refusal naming SELECT on silver.orders", err)
	}
	lh.SetPrincipal("")
	if n, _ := lh.Count(ctx, "select * from sys.audit where principal = 'dana' and not allowed"); n != 1 {
		t.Errorf("%d refusals of dana audited, want 1", n)
	}
}

func TestDevRunAsPrincipalWithoutGrantFails(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "dev")
	lh := openFor(t, p)
	// dana may run jobs on dev (CAN_RUN), but holds no grant on bronze.
	p.Permissions = []Permission{{Level: "CAN_RUN", UserName: "dana"}}
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "dana"})
	var ae *lakehouse.AccessError
	if !errors.As(err, &ae) || ae.Action != "write" || ae.Table.Schema != "bronze" {
		t.Fatalf("dana running the pipeline: %v, want a refused write to bronze", err)
	}
	for _, tr := range res.Tasks {
		if tr.TaskKey != "ingest" && tr.Status != "skipped" {
			t.Errorf("task %s is %s, want skipped after the refused ingest", tr.TaskKey, tr.Status)
		}
	}
}

func TestSampleLineage(t *testing.T) {
	p := sampleProject(t, "")
	lh := openFor(t, p)
	models, err := p.Models(context.Background(), lh)
	if err != nil {
		t.Fatal(err)
	}
	l := p.Lineage(models)
	if got := l.Up["gold.daily_revenue"]; !reflect.DeepEqual(got, []string{"silver.customers", "silver.order_items", "silver.orders", "silver.products"}) {
		t.Errorf("gold.daily_revenue reads %v", got)
	}
	if got := l.Down["gold.customer_features"]; !reflect.DeepEqual(got, []string{"model:churn"}) {
		t.Errorf("gold.customer_features feeds %v", got)
	}
	tree := l.Tree("gold.customer_features", "up")
	// Each model's table shows its kind, as the TUI's lineage view and
	// DAG do; bronze tables and landing files have none.
	for _, want := range []string{"gold.customer_features [" + p.Resources.Models["gold.customer_features"].KindName() + "]\n",
		"├── silver.customers [incremental_by_batch]\n", "│   └── bronze.customers\n", "landing:landing/tickets/*.json\n"} {
		if !strings.Contains(tree, want) {
			t.Errorf("upstream tree lacks %q:\n%s", want, tree)
		}
	}
	down := l.Tree("silver.orders", "down")
	for _, want := range []string{"silver.orders [incremental_by_batch]\n", "gold.daily_revenue [incremental_by_time]"} {
		if !strings.Contains(down, want) {
			t.Errorf("downstream tree lacks %q:\n%s", want, down)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"task_key"`, `"quality_monitors"`, `"additionalProperties": false`, `"development"`, `"service_principal_name"`,
		`"CAN_MANAGE"`, `"propertyNames"`, `"pattern": "^[a-z][a-z0-9_-]*$"`, `"oneOf"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("schema lacks %s", want)
		}
	}
}

// FuzzLoad feeds arbitrary text to the project loader: it must return a
// project or an error, never panic.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/validate/*/lakebench.yml")
	for _, s := range append(seeds, "../sampledata/project/lakebench.yml") {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Add([]byte("bundle: [1, 2\n"))
	f.Add([]byte("targets: {dev: {resources: {jobs: {j: {tasks: [{task_key: a}]}}}}}\nresources: {jobs: {j: {tasks: 5}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(dir)
		if err == nil {
			p.Hash(nil)
			p.Lineage(nil)
		}
	})
}

// TestNamesCarryOverFromDatabricks checks that every key lakebench.yml shares
// with databricks.yml is spelled as the Databricks CLI's JSON Schema spells
// it (../shared/reference; skipped outside the workspace).
func TestNamesCarryOverFromDatabricks(t *testing.T) {
	data, err := os.ReadFile("../../shared/reference/databricks-bundle-schema.json")
	if err != nil {
		t.Skip("the Databricks bundle schema is not beside this checkout:", err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	// resolve follows $ref (and the oneOf a ${var} alternative adds) to an object's properties.
	var resolve func(node map[string]any) map[string]any
	resolve = func(node map[string]any) map[string]any {
		if ref, ok := node["$ref"].(string); ok {
			cur := any(schema)
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				cur = cur.(map[string]any)[part]
			}
			return resolve(cur.(map[string]any))
		}
		if alts, ok := node["oneOf"].([]any); ok {
			return resolve(alts[0].(map[string]any))
		}
		if ap, ok := node["additionalProperties"].(map[string]any); ok && node["properties"] == nil {
			return resolve(ap) // a map of named things
		}
		if items, ok := node["items"].(map[string]any); ok {
			return resolve(items)
		}
		return node
	}
	props := func(node map[string]any, path ...string) map[string]any {
		for _, p := range path {
			node = resolve(node)["properties"].(map[string]any)[p].(map[string]any)
		}
		return resolve(node)["properties"].(map[string]any)
	}
	shared := []struct {
		path []string
		keys []string
	}{
		{nil, []string{"bundle", "include", "variables", "run_as", "permissions", "resources", "targets"}},
		{[]string{"targets"}, []string{"default", "mode", "run_as", "permissions", "variables", "resources"}},
		{[]string{"run_as"}, []string{"user_name", "service_principal_name"}},
		{[]string{"permissions"}, []string{"level", "user_name", "group_name", "service_principal_name"}},
		{[]string{"resources"}, []string{"jobs", "registered_models", "quality_monitors", "dashboards", "alerts", "schemas"}},
		{[]string{"resources", "jobs"}, []string{"description", "schedule", "tasks"}},
		{[]string{"resources", "jobs", "tasks"}, []string{"task_key", "depends_on"}},
		{[]string{"resources", "jobs", "schedule"}, []string{"quartz_cron_expression", "timezone_id", "pause_status"}},
		{[]string{"resources", "schemas"}, []string{"grants"}},
		{[]string{"resources", "schemas", "grants"}, []string{"principal", "privileges"}},
	}
	for _, sh := range shared {
		got := props(schema, sh.path...)
		for _, k := range sh.keys {
			if _, ok := got[k]; !ok {
				t.Errorf("databricks.yml has no %s.%s", strings.Join(sh.path, "."), k)
			}
		}
	}
	// And lakebench reads DAB's depends_on form.
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n        - {task_key: a, type: ingest}\n        - {task_key: b, type: transform, depends_on: [{task_key: a}]}\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Resources.Jobs["j"].Tasks[1].DependsOn; !reflect.DeepEqual([]string(got), []string{"a"}) {
		t.Errorf("depends_on [{task_key: a}] read as %v", got)
	}
}
