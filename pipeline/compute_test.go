package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

const schedProject = `bundle: {name: sched}
compute: {memory: 2GB, threads: 2}
resources:
  sources:
    big:   {path: landing/big/*.csv}
    small: {path: landing/small/*.csv}
  transforms: [sql/silver/*.sql]
  jobs:
    load:
      tasks:
        - {task_key: ingest, type: ingest}
    build:
      tasks:
        - {task_key: heavy1, type: transform, models: [silver.heavy1]}
        - {task_key: heavy2, type: transform, models: [silver.heavy2]}
        - {task_key: light, type: transform, models: [silver.light]}
targets:
  dev: {default: true}
  small:
    compute: {memory: 100MB}
`

// schedDir lays out a project with a big source that two heavy models
// read whole and a small one a light model reads.
func schedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var big strings.Builder
	big.WriteString("id,name\n")
	for i := range 1_000_000 {
		fmt.Fprintf(&big, "%d,customer %d\n", i, i)
	}
	for name, content := range map[string]string{
		FileName:                             schedProject,
		"landing/big/big_2026-01-01.csv":     big.String(),
		"landing/small/small_2026-01-01.csv": "id,name\n1,a\n2,b\n",
		"sql/silver/heavy1.sql":              "select id, name from bronze.big",
		"sql/silver/heavy2.sql":              "select id, name from bronze.big",
		"sql/silver/light.sql":               "select id, name from bronze.small",
	} {
		writeTestFile(t, dir, name, content)
	}
	return dir
}

// TestSchedulerHoldsBackHeavyTasks runs three transforms that are ready at
// once with room for two tasks: two read the big table whole, one a small
// table. With memory for one heavy task, the second waits until the first
// has finished while the light one runs beside it; with memory for both,
// the two heavy tasks run side by side (and the light one after).
func TestSchedulerHoldsBackHeavyTasks(t *testing.T) {
	ctx := context.Background()
	dir := schedDir(t)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := p.DatabasePath("dev")
	lh, err := lakehouse.Open(ctx, path, lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "load"}); err != nil {
		t.Fatal(err)
	}
	heavy, err := lh.EstimateBytes(ctx, []lakehouse.TableName{{Schema: "bronze", Name: "big"}})
	if err != nil {
		t.Fatal(err)
	}
	lh.Close()
	if heavy < 10e6 {
		t.Fatalf("bronze.big is estimated at %d bytes; the test wants a heavy table", heavy)
	}

	for _, c := range []struct {
		name       string
		limit      int64
		sideBySide bool
	}{
		{"room for one heavy task", heavy * 3 / 2, false},
		{"room for both", heavy * 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			lh, err := lakehouse.Open(ctx, path, lakehouse.Options{MemoryLimit: c.limit})
			if err != nil {
				t.Fatal(err)
			}
			defer lh.Close()
			var events []string
			_, err = p.Run(ctx, lh, RunOptions{Job: "build", Parallel: 2, Progress: func(e Event) {
				if e.Kind == TaskStarted || e.Kind == TaskFinished {
					events = append(events, string(e.Kind)+" "+e.Task)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			at := func(e string) int {
				i := slices.Index(events, e)
				if i < 0 {
					t.Fatalf("no event %q in %v", e, events)
				}
				return i
			}
			heavy1Done := at("task_finished heavy1")
			if !c.sideBySide && at("task_started light") > heavy1Done {
				t.Errorf("the light task waited for heavy1: %v", events)
			}
			if got := at("task_started heavy2") < heavy1Done; got != c.sideBySide {
				t.Errorf("heavy2 started before heavy1 finished: %v, want %v: %v", got, c.sideBySide, events)
			}
		})
	}
}

// TestComputeSettingsReachDuckDB opens each target with its compute
// options and reads DuckDB's settings back from a real file: the target's
// memory overrides the bundle's, the bundle's threads stay.
func TestComputeSettingsReachDuckDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, schedProject)
	for _, c := range []struct {
		target, memory, threads string
	}{
		{"dev", "1.8 GiB", "2"},
		{"small", "95.3 MiB", "2"},
	} {
		p, err := LoadWith(dir, LoadOptions{Target: c.target})
		if err != nil {
			t.Fatal(err)
		}
		opts, err := p.ComputeOptions()
		if err != nil {
			t.Fatal(err)
		}
		lh, err := lakehouse.Open(ctx, filepath.Join(dir, c.target+".duckdb"), opts)
		if err != nil {
			t.Fatal(err)
		}
		memory, err := lh.Setting(ctx, "memory_limit")
		if err != nil {
			t.Fatal(err)
		}
		threads, err := lh.Setting(ctx, "threads")
		if err != nil {
			t.Fatal(err)
		}
		lh.Close()
		if memory != c.memory || threads != c.threads {
			t.Errorf("target %s: memory_limit %s, threads %s; want %s, %s", c.target, memory, threads, c.memory, c.threads)
		}
	}
}

// TestComputeWarnings: settings beyond the machine are warned of, not
// refused (a bundle may be written for a bigger machine).
func TestComputeWarnings(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: big}\ncompute: {memory: 100TB, threads: 1000}\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	v := p.Validate(context.Background(), lh)
	if !v.OK() {
		t.Fatalf("errors: %v", v.Errors)
	}
	var got []string
	for _, w := range v.Warnings {
		got = append(got, w.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"lakebench.yml:2:11: memory 100TB is more than this machine's", "lakebench.yml:2:26: threads 1000 is more than this machine's"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings:\n%s\nwant one with %q", all, want)
		}
	}
}

// TestComputeOptionsErrors: a run refuses a bad setting where it is.
func TestComputeOptionsErrors(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: bad}\ncompute: {memory: 2GB}\ntargets:\n  dev:\n    compute:\n      memory: lots\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.ComputeOptions()
	if err == nil || !strings.Contains(err.Error(), "lakebench.yml:6:7: memory \"lots\" is not a size") {
		t.Errorf("ComputeOptions: %v, want the bad memory placed at lakebench.yml:6:7", err)
	}
}

// TestMonitorsWaitForWriters: the monitors and health start beside the
// tasks left only when none of those can write a table they read.
func TestMonitorsWaitForWriters(t *testing.T) {
	p := &Project{Resources: Resources{QualityMonitors: map[string]QualityMonitor{"ml.scores": {Profile: true}}}}
	ml := lakehouse.TableName{Schema: "ml", Name: "churn"}
	gold := lakehouse.TableName{Schema: "gold", Name: "scores"}
	monitored := lakehouse.TableName{Schema: "ml", Name: "scores"}
	for _, c := range []struct {
		name  string
		tasks []task
		late  bool
	}{
		{"train, predict into ml, alerts", []task{{kind: "train", writes: []lakehouse.TableName{ml}}, {kind: "predict", writes: []lakehouse.TableName{ml}}, {kind: "alerts"}}, true},
		{"a transform", []task{{kind: "train"}, {kind: "transform"}}, false},
		{"a quality task", []task{{kind: "quality"}}, false},
		{"an sql task", []task{{kind: "sql"}}, false},
		{"a prediction into gold", []task{{kind: "predict", writes: []lakehouse.TableName{gold}}}, false},
		{"a prediction into a monitored table", []task{{kind: "predict", writes: []lakehouse.TableName{monitored}}}, false},
		{"nothing left", nil, true},
	} {
		if got := p.onlyLate(c.tasks, func(int) bool { return true }); got != c.late {
			t.Errorf("%s: onlyLate = %v, want %v", c.name, got, c.late)
		}
	}
	// Finished tasks do not count.
	tasks := []task{{kind: "transform"}, {kind: "train"}}
	if !p.onlyLate(tasks, func(i int) bool { return i == 1 }) {
		t.Error("a finished transform held the monitors back")
	}
}
