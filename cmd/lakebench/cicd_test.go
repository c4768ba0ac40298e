package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/sampledata"
)

// makeRun runs a target of a project's Makefile with the built lakebench,
// as CI's steps do: env replaces the caller's LAKEBENCH_HOME and
// LAKEBENCH_TOKEN (and make's own settings, so an outer make -j does not
// leak in).
func makeRun(t *testing.T, dir string, wantOK bool, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", "LAKEBENCH=" + bin}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "LAKEBENCH_HOME", "LAKEBENCH_TOKEN", "MAKEFLAGS", "MFLAGS", "MAKELEVEL":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if (err == nil) != wantOK {
		t.Fatalf("make %s: %v, want ok=%v\n%s", strings.Join(args, " "), err, wantOK, out)
	}
	return string(out)
}

// lbOut runs lakebench in dir with env (LAKEBENCH_HOME and LAKEBENCH_TOKEN
// as given) and returns its stdout; it fails the test when lakebench does.
func lbOut(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, _ := lbEnv(t, dir, env, true, args...)
	return out
}

// TestProjectCICD walks a new project through its CI/CD as the workflow
// does, with the template's Makefile and the real binary: make ci
// (validate, unit tests with their JUnit report, a dev run on canned data),
// then the owner's one-time set-up of staging (first deploy, a token for
// CI), then make staging as sp-staging with only that token, as the
// staging job runs it (a wrong token, or none, is refused); then prod's
// bootstrap (a token only) and make prod as sp-prod (deploy, then the
// job's run on prod's data), and a bundle staging never ran refused at
// prod.
func TestProjectCICD(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed: the template's Makefile cannot run")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "shop")
	lb(t, root, true, "init", dir)
	wf, err := os.ReadFile(filepath.Join(dir, sampledata.WorkflowFile))
	if err != nil {
		t.Fatalf("lakebench init wrote no workflow: %v", err)
	}
	if !bytes.Contains(wf, []byte("run: make ci")) {
		t.Fatalf("the workflow does not run make ci:\n%s", wf)
	}
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
		t.Fatalf("lakebench init wrote no Makefile: %v", err)
	}

	// CI: a fresh checkout, nobody's profile.
	ciEnv := []string{"LAKEBENCH_HOME=" + filepath.Join(root, "ci-home")}
	makeRun(t, dir, true, ciEnv, "ci")
	junit, err := os.ReadFile(filepath.Join(dir, "reports", "junit.xml"))
	if err != nil {
		t.Fatalf("make ci wrote no JUnit report where the workflow uploads it from: %v", err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
	}
	if err := xml.Unmarshal(junit, &suites); err != nil {
		t.Fatalf("reports/junit.xml is not JUnit XML: %v\n%s", err, junit)
	}
	if suites.Tests == 0 || suites.Failures+suites.Errors != 0 {
		t.Errorf("reports/junit.xml: %d tests, %d failures, %d errors; want the sample's tests, all passing", suites.Tests, suites.Failures, suites.Errors)
	}
	runs := lbOut(t, dir, ciEnv, "query", "SELECT count(*) FROM sys.runs WHERE status = 'succeeded'", "--format", "csv")
	if !strings.Contains(runs, "\n1\n") {
		t.Errorf("after make ci, dev's succeeded runs:\n%s\nwant 1", runs)
	}

	// The owner's one-time set-up, on the deploy runner: the first deploy
	// of staging, and a token of sp-staging for CI's secret.
	ownerEnv := []string{"LAKEBENCH_HOME=" + filepath.Join(root, "owner-home")}
	lbOut(t, dir, ownerEnv, "bundle", "deploy", "-t", "staging")
	token := strings.TrimSpace(lbOut(t, dir, ownerEnv, "auth", "token", "create", "sp-staging", "-t", "staging", "--no-profile"))
	if token == "" {
		t.Fatal("auth token create printed no token")
	}

	// The staging job: the token in LAKEBENCH_TOKEN and nothing else (the
	// canned data at dev scale, to keep the test short).
	stagingEnv := append(ciEnv, "LAKEBENCH_TOKEN="+token, "STAGING_SCALE=dev")
	makeRun(t, dir, true, stagingEnv, "staging")
	if _, err := os.Stat(filepath.Join(dir, "reports", "plan-staging.json")); err != nil {
		t.Errorf("make staging saved no plan for its deploy to apply: %v", err)
	}
	last := lbOut(t, dir, stagingEnv, "query", "-t", "staging",
		"SELECT principal, status FROM sys.runs WHERE job = 'nightly' ORDER BY started_at DESC LIMIT 1", "--format", "json")
	var doc struct {
		Rows [][]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(last), &doc); err != nil {
		t.Fatalf("bad JSON %v:\n%s", err, last)
	}
	if len(doc.Rows) != 1 || doc.Rows[0][0] != "sp-staging" || doc.Rows[0][1] != "succeeded" {
		t.Errorf("staging's last nightly run: %v, want [sp-staging succeeded]", doc.Rows)
	}
	// The Makefile's STAGING_LANDING is the bundle's: a second job finds
	// the canned data it wrote.
	if out := makeRun(t, dir, true, stagingEnv, "staging-data"); !strings.Contains(out, "already has its sample data") {
		t.Errorf("a second make staging-data:\n%s\nwant: already has its sample data (is STAGING_LANDING the staging target's landing zone?)", out)
	}

	// A wrong token, or none, does not act as sp-staging.
	bad := append(ciEnv, "LAKEBENCH_TOKEN=lbt_not-the-token")
	if out := makeRun(t, dir, false, bad, "staging-run"); !strings.Contains(out, "not a valid token of sp-staging") {
		t.Errorf("make staging-run with a wrong token:\n%s\nwant: not a valid token of sp-staging", out)
	}
	if out := makeRun(t, dir, false, ciEnv, "staging-deploy"); !strings.Contains(out, "needs its token") {
		t.Errorf("make staging-deploy with no token:\n%s\nwant: needs its token", out)
	}

	// Prod: the owner bootstraps it once with sp-prod's token (a
	// production target is never open, not even to its first deploy), then
	// the prod job (a tag) deploys it as sp-prod with only that token.
	prodToken := strings.TrimSpace(lbOut(t, dir, ownerEnv, "auth", "token", "create", "sp-prod", "-t", "prod", "--no-profile"))
	prodEnv := append(ciEnv, "LAKEBENCH_TOKEN="+prodToken)
	// Prod's feed, canned here at dev scale; make prod deploys and runs the
	// job on it as sp-prod.
	lbOut(t, dir, ownerEnv, "sample", "generate", "-t", "prod", "--scale", "dev")
	makeRun(t, dir, true, prodEnv, "prod")
	// (sys.runs is read from the file: on prod only lakebench itself may.)
	prodRuns := targetRows(t, filepath.Join(dir, ".lakebench", "prod.duckdb"), "SELECT principal, status FROM sys.runs WHERE job = 'nightly'")
	if len(prodRuns) != 1 || prodRuns[0][0] != "sp-prod" || prodRuns[0][1] != "succeeded" {
		t.Errorf("prod's nightly runs: %v, want one by sp-prod, succeeded", prodRuns)
	}
	// A bundle changed since staging ran it (a tag on a commit main never
	// deployed) is refused by the promotion gate, and prod keeps its bundle.
	yml := filepath.Join(dir, "lakebench.yml")
	b, err := os.ReadFile(yml)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "default: 30", "default: 45", 1)
	if edited == string(b) {
		t.Fatal("the sample bundle has no churn_days default of 30 to edit")
	}
	if err := os.WriteFile(yml, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := makeRun(t, dir, false, prodEnv, "prod"); !strings.Contains(out, "promotion gate of target prod") {
		t.Errorf("make prod of a bundle staging never ran:\n%s\nwant the promotion gate's refusal", out)
	}
}
