package dab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lakebench/lakebench/dab"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
)

const schemaFile = "databricks-bundle-schema.json"

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
	schemaPath string
)

// bundleSchema compiles the Databricks CLI's bundle JSON Schema, found in
// a shared/reference folder beside one of the test's parent directories
// (the workspace keeps it outside the repository); the test is skipped
// where there is none.
func bundleSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		dir, err := filepath.Abs(".")
		if err != nil {
			schemaErr = err
			return
		}
		for {
			p := filepath.Join(dir, "shared", "reference", schemaFile)
			if _, err := os.Stat(p); err == nil {
				schemaPath = p
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir = parent
		}
		f, err := os.Open(schemaPath)
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if schemaErr = c.AddResource("bundle.json", doc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile("bundle.json")
	})
	if schemaErr != nil {
		t.Fatalf("compile %s: %v", schemaPath, schemaErr)
	}
	if schema == nil {
		t.Skipf("no shared/reference/%s above %s: the Databricks bundle schema is kept outside the repository, so the generated bundle is not validated here", schemaFile, must(filepath.Abs(".")))
	}
	return schema
}

func must[T any](v T, _ error) T { return v }

// export writes the project in dir as a bundle in a temporary directory.
func export(t *testing.T, dir string) (*dab.Result, *pipeline.Project, []pipeline.Model) {
	t.Helper()
	p, models := load(t, dir)
	res, err := dab.Export(p, models, filepath.Join(t.TempDir(), "dab"), dab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res, p, models
}

// load reads the project in dir and its models, bound in an in-memory
// DuckDB.
func load(t *testing.T, dir string) (*pipeline.Project, []pipeline.Model) {
	t.Helper()
	ctx := context.Background()
	p, err := pipeline.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	models, err := p.Models(ctx, lh)
	if err != nil {
		t.Fatal(err)
	}
	return p, models
}

func sample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readYAML reads a YAML file as JSON's values (maps, lists, strings,
// float64s, bools), as the schema sees a bundle.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := out.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping", path)
	}
	return m
}

// loadBundle reads databricks.yml and merges its includes into it as the
// Databricks CLI does: mappings merge key by key, and a key defined by two
// files with different values is an error.
func loadBundle(t *testing.T, dir string) (map[string]any, map[string]map[string]any) {
	t.Helper()
	root := readYAML(t, filepath.Join(dir, "databricks.yml"))
	files := map[string]map[string]any{"databricks.yml": root}
	merged := deepCopy(root).(map[string]any)
	includes, _ := root["include"].([]any)
	if len(includes) == 0 {
		t.Fatal("databricks.yml includes nothing")
	}
	for _, inc := range includes {
		matches, err := filepath.Glob(filepath.Join(dir, inc.(string)))
		if err != nil || len(matches) == 0 {
			t.Fatalf("include %v matches no file (%v)", inc, err)
		}
		sort.Strings(matches)
		for _, m := range matches {
			doc := readYAML(t, m)
			rel, _ := filepath.Rel(dir, m)
			files[rel] = doc
			if err := merge(merged, doc, rel); err != nil {
				t.Fatal(err)
			}
		}
	}
	return merged, files
}

func merge(dst, src map[string]any, where string) error {
	for k, v := range src {
		old, ok := dst[k]
		if !ok {
			dst[k] = deepCopy(v)
			continue
		}
		om, ok1 := old.(map[string]any)
		nm, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			if err := merge(om, nm, where+"."+k); err != nil {
				return err
			}
			continue
		}
		if fmt.Sprint(old) != fmt.Sprint(v) {
			return fmt.Errorf("%s: %s is defined twice", where, k)
		}
	}
	return nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func TestSampleBundleMatchesSchema(t *testing.T) {
	sch := bundleSchema(t)
	res, _, _ := export(t, sample(t))
	merged, files := loadBundle(t, res.Dir)
	if err := sch.Validate(merged); err != nil {
		t.Fatalf("the merged bundle fails the schema:\n%v", err)
	}
	for name, doc := range files {
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s fails the schema:\n%v", name, err)
		}
	}
	resources, _ := merged["resources"].(map[string]any)
	for _, kind := range []string{"jobs", "schemas", "volumes", "registered_models", "quality_monitors", "alerts"} {
		if m, _ := resources[kind].(map[string]any); len(m) == 0 {
			t.Errorf("the bundle has no %s", kind)
		}
	}
	targets, _ := merged["targets"].(map[string]any)
	for name, mode := range map[string]string{"dev": "development", "prod": "production"} {
		tg, _ := targets[name].(map[string]any)
		if tg["mode"] != mode {
			t.Errorf("target %s has mode %v, want %s", name, tg["mode"], mode)
		}
	}
	prod, _ := targets["prod"].(map[string]any)
	if ra, _ := prod["run_as"].(map[string]any); ra["service_principal_name"] == nil {
		t.Errorf("prod runs as %v, want a service principal", prod["run_as"])
	}
	if dev, _ := targets["dev"].(map[string]any); dev["default"] != true {
		t.Errorf("dev is not the default target: %v", dev)
	}

	// Controls: the schema must reject broken copies, or passing means
	// nothing.
	controls := map[string]func(m map[string]any){
		"a task without its key": func(m map[string]any) {
			job := m["resources"].(map[string]any)["jobs"].(map[string]any)["run"].(map[string]any)
			delete(job["tasks"].([]any)[0].(map[string]any), "task_key")
		},
		"an unknown job field": func(m map[string]any) {
			m["resources"].(map[string]any)["jobs"].(map[string]any)["run"].(map[string]any)["taskz"] = []any{}
		},
		"an alert operator Databricks lacks": func(m map[string]any) {
			for _, a := range m["resources"].(map[string]any)["alerts"].(map[string]any) {
				a.(map[string]any)["evaluation"].(map[string]any)["comparison_operator"] = "BIGGER_THAN"
				break
			}
		},
		"a schema without its catalog": func(m map[string]any) {
			delete(m["resources"].(map[string]any)["schemas"].(map[string]any)["gold"].(map[string]any), "catalog_name")
		},
		"a privilege Unity Catalog lacks": func(m map[string]any) {
			g := m["resources"].(map[string]any)["schemas"].(map[string]any)["gold"].(map[string]any)["grants"].([]any)[0].(map[string]any)
			g["privileges"] = []any{"READ_EVERYTHING"}
		},
		"a target mode that does not exist": func(m map[string]any) {
			m["targets"].(map[string]any)["dev"].(map[string]any)["mode"] = map[string]any{"kind": "development"}
		},
	}
	for name, breakIt := range controls {
		broken := deepCopy(merged).(map[string]any)
		breakIt(broken)
		if err := sch.Validate(broken); err == nil {
			t.Errorf("control %q: the schema accepts the broken bundle", name)
		}
	}
}

// edges are a job's dependencies with each task mapped to the lakebench
// task it comes from (its description's "lakebench task KEY:"), without
// the edges inside one lakebench task.
func edges(t *testing.T, job map[string]any) (map[string][]string, map[string]string) {
	t.Helper()
	owner := map[string]string{}
	tasks := job["tasks"].([]any)
	for _, x := range tasks {
		task := x.(map[string]any)
		desc, _ := task["description"].(string)
		rest, ok := strings.CutPrefix(desc, "lakebench task ")
		key, _, ok2 := strings.Cut(rest, ": ")
		if !ok || !ok2 {
			t.Fatalf("task %v does not name its lakebench task: %q", task["task_key"], desc)
		}
		owner[task["task_key"].(string)] = key
	}
	out := map[string][]string{}
	for _, x := range tasks {
		task := x.(map[string]any)
		from := owner[task["task_key"].(string)]
		if _, ok := out[from]; !ok {
			out[from] = nil
		}
		deps, _ := task["depends_on"].([]any)
		for _, d := range deps {
			dk := d.(map[string]any)["task_key"].(string)
			to, ok := owner[dk]
			if !ok {
				t.Fatalf("task %v depends on %s, which the job does not have", task["task_key"], dk)
			}
			if to != from && !slices.Contains(out[from], to) {
				out[from] = append(out[from], to)
			}
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out, owner
}

func TestJobsFollowTheDAG(t *testing.T) {
	res, p, models := export(t, sample(t))
	merged, _ := loadBundle(t, res.Dir)
	jobs := merged["resources"].(map[string]any)["jobs"].(map[string]any)

	// The default run: one group per node of the pipeline's graph, with
	// the graph's edges exactly.
	got, owner := edges(t, jobs["run"].(map[string]any))
	want := map[string][]string{}
	for _, n := range p.Graph(models) {
		deps := slices.Clone(n.DependsOn)
		sort.Strings(deps)
		want[n.Key] = deps
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("job run's DAG\n got %v\nwant %v", got, want)
	}
	// One SQL task per model, its file the model's translation.
	for _, m := range models {
		found := false
		for _, x := range jobs["run"].(map[string]any)["tasks"].([]any) {
			task := x.(map[string]any)
			st, ok := task["sql_task"].(map[string]any)
			if ok && owner[task["task_key"].(string)] == m.Table.String() {
				path := st["file"].(map[string]any)["path"].(string)
				if _, err := os.Stat(filepath.Join(res.Dir, "resources", path)); err != nil {
					t.Errorf("model %s's task reads %s: %v", m.Table, path, err)
				}
				found = true
			}
		}
		if !found {
			t.Errorf("model %s has no sql_task in job run", m.Table)
		}
	}

	// A lakebench job: its tasks' dependencies, each expanded to tasks.
	for name, j := range p.Resources.Jobs {
		got, _ := edges(t, jobs[name].(map[string]any))
		want := map[string][]string{}
		for _, jt := range j.Tasks {
			deps := slices.Clone([]string(jt.DependsOn))
			sort.Strings(deps)
			want[jt.TaskKey] = deps
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("job %s's DAG\n got %v\nwant %v", name, got, want)
		}
	}
}

func TestUntranslatableIsReported(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lakebench.yml", "bundle: {name: odd}\nvariables: {days: {default: 7}}\nresources:\n  transforms: [sql/silver/*.sql]\n")
	write("sql/silver/series.sql", "-- a comment with x::int and generate_series(1, 2) stays\n"+
		"SELECT s.x::VARCHAR AS x, 'it''s x::int' AS note, s.x + ${var.days} AS later\n"+
		"FROM generate_series(1, 3) AS s(x)\n"+
		"WHERE regexp_replace('ab', 'a', 'b') = 'bb'\n")
	res, _, _ := export(t, dir)
	var where []string
	for _, i := range res.Issues {
		where = append(where, fmt.Sprintf("%s:%d:%d %s", i.File, i.Line, i.Column, i.Construct))
	}
	want := []string{"sql/silver/series.sql:3:6 generate_series()", "sql/silver/series.sql:4:7 regexp_replace() without 'g'"}
	if fmt.Sprint(where) != fmt.Sprint(want) {
		t.Errorf("issues\n got %v\nwant %v", where, want)
	}
	report, err := os.ReadFile(filepath.Join(res.Dir, "EXPORT_REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"| sql/silver/series.sql:3:6 | generate_series() |", "| sql/silver/series.sql:4:7 |"} {
		if !strings.Contains(string(report), w) {
			t.Errorf("EXPORT_REPORT.md lacks %q:\n%s", w, report)
		}
	}
	sql, err := os.ReadFile(filepath.Join(res.Dir, "src/models/silver/series.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"CAST(s.x AS STRING) AS x", "'it''s x::int' AS note", "s.x + CAST(:days AS BIGINT)",
		"-- a comment with x::int and generate_series(1, 2) stays", "FROM generate_series(1, 3) AS s(x)",
		"CREATE OR REPLACE TABLE IDENTIFIER(:schema_silver || '.series') AS"} {
		if !strings.Contains(string(sql), w) {
			t.Errorf("the exported model lacks %q:\n%s", w, sql)
		}
	}
	if sch := bundleSchemaOrNil(t); sch != nil {
		merged, _ := loadBundle(t, res.Dir)
		if err := sch.Validate(merged); err != nil {
			t.Errorf("the bundle fails the schema:\n%v", err)
		}
	}
}

func bundleSchemaOrNil(t *testing.T) *jsonschema.Schema {
	var sch *jsonschema.Schema
	t.Run("schema", func(t *testing.T) { sch = bundleSchema(t) })
	return sch
}

func TestExportRefusesAndStaysInside(t *testing.T) {
	dir := sample(t)
	p, models := load(t, dir)
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := dab.Export(p, models, out, dab.Options{}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a non-empty directory: got %v, want a refusal naming --force", err)
	}
	// A symlink inside DIR that leads out of it is not followed.
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(out, "src")); err != nil {
		t.Fatal(err)
	}
	if _, err := dab.Export(p, models, out, dab.Options{Force: true}); err == nil {
		t.Fatal("an export through a symlink out of DIR succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Fatalf("the export wrote %d entries outside DIR", len(entries))
	}
	if err := os.Remove(filepath.Join(out, "src")); err != nil {
		t.Fatal(err)
	}
	// A resource file an earlier export wrote and this one does not is
	// removed (the bundle includes them all); the user's own stays.
	if err := os.MkdirAll(filepath.Join(out, "resources"), 0o755); err != nil {
		t.Fatal(err)
	}
	stale, mine := filepath.Join(out, "resources", "old.yml"), filepath.Join(out, "resources", "mine.yml")
	header := "# Generated by `lakebench export databricks` from lakebench.yml: edit the project and export again.\n"
	if err := os.WriteFile(stale, []byte(header+"resources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("resources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := dab.Export(p, models, out, dab.Options{Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a stale generated resource file survived --force: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("--force removed the user's resource file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "notes.txt")); string(b) != "mine" {
		t.Errorf("--force changed a file that is not the bundle's: %q", b)
	}
}
