package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/pipeline"
)

func readJUnit(t *testing.T, path string) pipeline.JUnitSuites {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j pipeline.JUnitSuites
	if err := xml.Unmarshal(data, &j); err != nil {
		t.Fatalf("%s is not JUnit XML: %v\n%s", path, err, data)
	}
	return j
}

// TestTestCommand: a new project's tests pass with no target at all (and
// make none); a broken model fails with a diff and a non-zero exit; --json
// and --junit say the same, and the report is kept for the TUI.
func TestTestCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	stdout, _ := lb(t, dir, true, "test", "--junit", junit)
	if !strings.Contains(stdout, "PASS  unit    customer_features_label_ignores_the_future") || !strings.Contains(stdout, "0 failed") && strings.Contains(stdout, "failed") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, ".lakebench", "dev.duckdb")); !os.IsNotExist(err) {
		t.Fatalf("unit tests made the dev target (%v)", err)
	}
	j := readJUnit(t, junit)
	if j.Tests < 5 || j.Failures != 0 || j.Errors != 0 {
		t.Fatalf("junit: %d tests, %d failures, %d errors", j.Tests, j.Failures, j.Errors)
	}

	model := filepath.Join(dir, "sql", "gold", "daily_revenue.sql")
	sql, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(sql), "WHERE o.status = 'completed'", "WHERE o.status <> 'cancelled'", 1)
	broken = strings.Replace(broken, "(1 - o.discount_pct / 100)", "1", 1)
	if err := os.WriteFile(model, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := lb(t, dir, false, "test", "--junit", junit)
	for _, want := range []string{"FAIL  unit    daily_revenue_nets_completed_orders", "tests/gold.yml:3:", "- 2024-03-01  home      north   1       2      18", "+ 2024-03-01  home      north   1       2      20"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "1 of") {
		t.Errorf("stderr: %s", stderr)
	}
	j = readJUnit(t, junit)
	if j.Failures != 1 || j.Suites[0].Cases[0].Failure == nil || !strings.Contains(j.Suites[0].Cases[0].Failure.Text, "+ 2024-03-01") {
		t.Fatalf("junit after the break: %+v", j)
	}
	out, _ := lb(t, dir, false, "test", "--json", "daily_revenue_nets_completed_orders")
	var rep pipeline.TestReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(rep.Results) != 1 || rep.Failed != 1 || rep.Results[0].Diff == nil {
		t.Fatalf("--json: %+v", rep)
	}
	saved, err := pipeline.LoadTestReport(dir)
	if err != nil || saved == nil || saved.Failed != 1 {
		t.Fatalf("saved report: %+v %v", saved, err)
	}
}

// TestDataTestsOnTarget: data tests and quality rules read the target as
// the session's principal: the owner's pass, dana's (analysts: gold only)
// reads of silver and bronze fail with the refusal, never bypassed.
func TestDataTestsOnTarget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, false, "test", "-t", "dev") // no data yet: a clear error
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "run")
	out, _ := lb(t, dir, true, "test", "-t", "dev", "--json")
	var rep pipeline.TestReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range rep.Results {
		kinds[r.Kind]++
		if r.Status == pipeline.TestFail || r.Status == pipeline.TestError {
			t.Errorf("owner: %s %s: %s", r.Name, r.Status, r.Message)
		}
	}
	if kinds["unit"] < 5 || kinds["data"] != 3 || kinds["quality"] < 5 || rep.DataTarget != "dev" {
		t.Fatalf("kinds %v, data target %q", kinds, rep.DataTarget)
	}

	junit := filepath.Join(t.TempDir(), "dana.xml")
	out, _ = lb(t, dir, false, "--as", "dana", "test", "-t", "dev", "--json", "--junit", junit)
	rep = pipeline.TestReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Principal != "dana" {
		t.Fatalf("principal %q, want dana", rep.Principal)
	}
	status := map[string]pipeline.TestResult{}
	for _, r := range rep.Results {
		status[r.Name] = r
	}
	if r := status["no_negative_revenue"]; r.Status != pipeline.TestPass {
		t.Errorf("dana reads gold: %s %s", r.Status, r.Message)
	}
	if r := status["orders_loaded"]; r.Status != pipeline.TestFail || !strings.Contains(r.Message, "refused: dana may not read silver.orders") {
		t.Errorf("dana's silver read: %s %q", r.Status, r.Message)
	}
	if r := status["quality:silver.orders:customer_id_is_null"]; r.Status != pipeline.TestFail || !strings.Contains(r.Message, "refused") {
		t.Errorf("dana's quality rule on silver: %s %q", r.Status, r.Message)
	}
	j := readJUnit(t, junit)
	if j.Failures != rep.Failed || j.Failures == 0 {
		t.Fatalf("junit failures %d, report %d", j.Failures, rep.Failed)
	}
}
