package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/pipeline"
)

// freshProd bootstraps dir's prod target (the operating-system user owns
// it, sp-prod's token goes to the profile file) and deploys it, forced
// past its promotion gate by that owner: a fixture for tests about prod
// itself, not about staging.
func freshProd(t *testing.T, dir string) {
	t.Helper()
	lb(t, dir, true, "auth", "token", "create", "sp-prod", "-t", "prod")
	lb(t, dir, true, "bundle", "deploy", "-t", "prod", "--force", "--reason", "test fixture: a fresh prod")
}

const tinyProject = `bundle: {name: tiny}
resources:
  sources:
    orders: {path: landing/orders/*.csv}
  transforms: [sql/silver/*.sql]
  jobs:
    nightly:
      tasks:
        - {task_key: ingest, type: ingest}
        - {task_key: silver, type: transform, depends_on: [ingest]}
targets:
  dev: {default: true, mode: development}
  staging: {mode: development, run_as: {service_principal_name: sp-staging}}
  prod:
    mode: production
    run_as: {service_principal_name: sp-prod}
    permissions:
      - {level: CAN_MANAGE, service_principal_name: sp-prod}
`

// tiny writes a small project (one source, one model, one job; dev,
// staging and prod) in a new directory.
func tiny(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tiny")
	for name, text := range map[string]string{
		"lakebench.yml":                        tinyProject,
		"landing/orders/orders_2026-01-01.csv": "id,customer,amount\n1,ann,10\n2,bob,20\n",
		"sql/silver/orders.sql":                "select id, customer, amount from bronze.orders",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPromotionThroughTheCLI walks the tiny project to prod as a user
// would, and every refusal on the way: prod's first deploy with no token
// (fail closed, saying how to bootstrap), prod as a user, a bundle never
// staged, staged but not run, then green; the plan shown by --plan is what
// the deploy applies; --force without --reason, and by a non-owner.
func TestPromotionThroughTheCLI(t *testing.T) {
	dir := tiny(t)
	_, stderr := lb(t, dir, false, "bundle", "deploy", "-t", "prod")
	for _, want := range []string{"never deployed", "lakebench auth token create sp-prod -t prod", "makes you the owner"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("prod's first deploy without a token: %s, want %q", stderr, want)
		}
	}
	_, stderr = lbEnv(t, dir, []string{"LAKEBENCH_TOKEN=lbt_forged"}, false, "bundle", "deploy", "-t", "prod")
	if !strings.Contains(stderr, "never deployed") {
		t.Errorf("prod's first deploy with a made-up token: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "--as", pipeline.Principal(), "bundle", "deploy", "-t", "prod")
	if !strings.Contains(stderr, "production mode") {
		t.Errorf("prod deployed as the user: %s", stderr)
	}
	// The bootstrap: the user owns prod, sp-prod's token is in the profile.
	lb(t, dir, true, "auth", "token", "create", "sp-prod", "-t", "prod")
	_, stderr = lb(t, dir, false, "bundle", "deploy", "-t", "prod")
	if !strings.Contains(stderr, "never staged") || !strings.Contains(stderr, "lakebench bundle deploy -t staging") {
		t.Errorf("prod before staging: %s", stderr)
	}
	plan, _ := lb(t, dir, true, "bundle", "deploy", "-t", "staging", "--plan", "--json")
	var shown pipeline.Plan
	if err := json.Unmarshal([]byte(plan), &shown); err != nil || shown.Add == 0 {
		t.Fatalf("deploy --plan --json: %v\n%s", err, plan)
	}
	out, _ := lb(t, dir, true, "bundle", "deploy", "-t", "staging", "--json")
	var res pipeline.DeployResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Plan == nil || res.Plan.ID != shown.ID {
		t.Fatalf("the deploy applied another plan than --plan showed: %v %+v, shown %s", err, res.Plan, shown.ID)
	}
	_, stderr = lb(t, dir, false, "bundle", "deploy", "-t", "prod")
	if !strings.Contains(stderr, "job nightly has not run there with it") {
		t.Errorf("prod before staging's job ran: %s", stderr)
	}
	lb(t, dir, true, "bundle", "run", "nightly", "-t", "staging")
	out, _ = lb(t, dir, true, "bundle", "plan", "-t", "prod")
	if !strings.Contains(out, "Promotion (from staging, job nightly must succeed there): ✓") || !strings.Contains(out, "Plan: ") {
		t.Errorf("plan for prod once staging is green:\n%s", out)
	}
	_, stderr = lb(t, dir, true, "bundle", "deploy", "-t", "prod")
	if !strings.Contains(stderr, "Deployment complete") {
		t.Errorf("prod deploy: %s", stderr)
	}
	// An unstaged change: --force without --reason, by a non-owner.
	os.WriteFile(filepath.Join(dir, "sql/silver/orders.sql"), []byte("select id, customer, amount * 2 as amount from bronze.orders"), 0o644)
	_, stderr = lb(t, dir, false, "bundle", "deploy", "-t", "prod", "--force")
	if !strings.Contains(stderr, "--force needs --reason") {
		t.Errorf("--force without --reason: %s", stderr)
	}
	lb(t, dir, true, "--as", pipeline.Principal(), "bundle", "owner", "set", "ana", "-t", "prod")
	_, stderr = lb(t, dir, false, "bundle", "deploy", "-t", "prod", "--force", "--reason", "hotfix")
	if !strings.Contains(stderr, "may not force a deploy past the promotion gate") || !strings.Contains(stderr, "only its owner (ana)") {
		t.Errorf("forced by a non-owner: %s", stderr)
	}
	// --as the owner is no way around it: a role switch does not exist on
	// prod, and who forces is the person at the keyboard.
	_, stderr = lb(t, dir, false, "--as", "ana", "bundle", "deploy", "-t", "prod", "--force", "--reason", "hotfix")
	if !strings.Contains(stderr, "production mode") {
		t.Errorf("--as ana forcing prod: %s", stderr)
	}
	rows := auditRows(t, filepath.Join(dir, ".lakebench", "prod.duckdb"))
	if n := countAudit(rows, pipeline.ActionPromotion, false, "sp-prod", ""); n != 3 {
		t.Errorf("%d promotion refusals audited on prod, want 3 (never staged, never ran, non-owner force)", n)
	}
}

// TestPromotionAttacks: what a hostile user tries against the gate. The
// staging records cannot be edited through lakebench query; a staging
// database replaced by a link to, or a copy of, another project's is not
// evidence; a plan shown and then the YAML edited is not deployed.
func TestPromotionAttacks(t *testing.T) {
	dir := tiny(t)
	lb(t, dir, true, "auth", "token", "create", "sp-prod", "-t", "prod")
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	for _, q := range []string{
		"UPDATE sys.deployments SET content_hash = 'forged'",
		"INSERT INTO sys.runs (run_id, job, status, bundle_hash) VALUES ('run-forged', 'nightly', 'succeeded', 'x')",
		"DELETE FROM sys.audit",
	} {
		for _, as := range [][]string{nil, {"--as", "sp-staging"}} {
			_, stderr := lb(t, dir, false, append(append([]string{"-t", "staging"}, as...), "query", q)...)
			if !strings.Contains(stderr, "no one may write sys.") {
				t.Errorf("%s %v: %s", q, as, stderr)
			}
		}
	}
	// Another project, same content, staged and green there.
	other := tiny(t)
	lb(t, other, true, "bundle", "deploy", "-t", "staging")
	lb(t, other, true, "bundle", "run", "nightly", "-t", "staging")
	staging := filepath.Join(dir, ".lakebench", "staging.duckdb")
	theirs := filepath.Join(other, ".lakebench", "staging.duckdb")
	os.Remove(staging)
	if err := os.Symlink(theirs, staging); err != nil {
		t.Fatal(err)
	}
	_, stderr := lb(t, dir, false, "bundle", "deploy", "-t", "prod")
	if !strings.Contains(stderr, "is a symbolic link") {
		t.Errorf("staging linked to another project's: %s", stderr)
	}
	os.Remove(staging)
	data, _ := os.ReadFile(theirs)
	os.WriteFile(staging, data, 0o644)
	_, stderr = lb(t, dir, false, "bundle", "deploy", "-t", "prod")
	if !strings.Contains(stderr, "is not target staging of this project") || !strings.Contains(stderr, other) {
		t.Errorf("staging copied from another project: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".lakebench", "prod.duckdb")); err == nil {
		rows := auditRows(t, filepath.Join(dir, ".lakebench", "prod.duckdb"))
		if countAudit(rows, "deploy", true, "sp-prod", "") != 0 {
			t.Errorf("prod was deployed from forged evidence")
		}
	}
	// A plan shown, then the YAML edited: the deploy of that plan refuses.
	planFile := filepath.Join(t.TempDir(), "plan.json")
	lb(t, dir, true, "bundle", "plan", "-t", "dev", "--out", planFile)
	yml, _ := os.ReadFile(filepath.Join(dir, "lakebench.yml"))
	os.WriteFile(filepath.Join(dir, "lakebench.yml"), []byte(strings.Replace(string(yml), "bundle: {name: tiny}", "bundle: {name: tiny}\npermissions: [{level: CAN_MANAGE, user_name: mallory}]", 1)), 0o644)
	_, stderr = lb(t, dir, false, "bundle", "deploy", "-t", "dev", "--plan-file", planFile)
	if !strings.Contains(stderr, "is stale: the bundle changed since") {
		t.Errorf("deploying a plan after the YAML changed: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".lakebench", "dev.duckdb")); err == nil {
		if rows := auditRows(t, filepath.Join(dir, ".lakebench", "dev.duckdb")); countAudit(rows, "deploy", true, "", "") != 0 {
			t.Errorf("dev was deployed from a stale plan")
		}
	}
}

// TestBundleDiff compares two deployed targets: their bundles, settings
// and the resources that differ; a principal with no permission on one of
// them is refused.
func TestBundleDiff(t *testing.T) {
	dir := tiny(t)
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	out, _ := lb(t, dir, true, "bundle", "diff", "-t", "dev", "-t", "staging", "--json")
	var d pipeline.TargetDiff
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !d.SameContent || d.From.Target != "dev" || d.To.Target != "staging" {
		t.Errorf("diff: same content %v, %s -> %s", d.SameContent, d.From.Target, d.To.Target)
	}
	found := false
	for _, c := range d.Changes {
		if c.Kind == "target" && c.Name == "settings" {
			for _, f := range c.Fields {
				found = found || f.Path == "run_as" && f.After == "sp-staging"
			}
		}
	}
	if !found {
		t.Errorf("the diff does not show staging's run_as: %+v", d.Changes)
	}
	text, _ := lb(t, dir, true, "bundle", "diff", "-t", "dev", "-t", "staging")
	if !strings.Contains(text, "Same bundle content on both.") || !strings.Contains(text, `run_as: "" -> sp-staging`) {
		t.Errorf("diff:\n%s", text)
	}
	_, stderr := lb(t, dir, false, "bundle", "diff", "-t", "dev")
	if !strings.Contains(stderr, "compares two targets") {
		t.Errorf("diff of one target: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "--as", "zed", "bundle", "diff", "-t", "dev", "-t", "staging")
	if !strings.Contains(stderr, "zed may not bundle diff") {
		t.Errorf("diff as zed, who has no permission: %s", stderr)
	}
}

// TestProdRunsAsItsServicePrincipal: prod bootstrapped by a person (who
// owns it) runs its job as sp-prod, which the deploy grants the target's
// schemas; and nobody else runs or writes there: the person as
// themselves, staging's service principal with a prod token the owner
// issued, or with its staging token.
func TestProdRunsAsItsServicePrincipal(t *testing.T) {
	dir := tiny(t)
	freshProd(t, dir)
	lb(t, dir, true, "bundle", "run", "nightly", "-t", "prod")
	prod := filepath.Join(dir, ".lakebench", "prod.duckdb")
	if runs := targetRows(t, prod, "SELECT principal, status FROM sys.runs WHERE job = 'nightly'"); len(runs) != 1 || runs[0][0] != "sp-prod" || runs[0][1] != "succeeded" {
		t.Errorf("prod's nightly runs: %v, want one by sp-prod, succeeded", runs)
	}

	me := pipeline.Principal()
	write := "INSERT INTO bronze.orders SELECT * FROM bronze.orders"
	for _, args := range [][]string{
		{"--as", me, "bundle", "run", "nightly", "-t", "prod"},
		{"--as", me, "query", "-t", "prod", write},
		{"--as", me, "bundle", "deploy", "-t", "prod"},
	} {
		if _, stderr := lb(t, dir, false, args...); !strings.Contains(stderr, "production mode") {
			t.Errorf("the owner, as themselves, %v: %s", args, stderr)
		}
	}
	// Staging's service principal, with a prod token of its own: prod runs
	// and reads only as sp-prod.
	other := strings.TrimSpace(lbOut(t, dir, nil, "auth", "token", "create", "sp-staging", "-t", "prod", "--no-profile"))
	asOther := []string{"LAKEBENCH_TOKEN=" + other}
	for _, args := range [][]string{
		{"--as", "sp-staging", "bundle", "run", "nightly", "-t", "prod"},
		{"--as", "sp-staging", "query", "-t", "prod", write},
		{"--as", "sp-staging", "query", "-t", "prod", "SELECT count(*) FROM bronze.orders"},
	} {
		if _, stderr := lbEnv(t, dir, asOther, false, args...); !strings.Contains(stderr, "only as the service principal sp-prod, not as sp-staging") {
			t.Errorf("sp-staging with its prod token, %v: %s", args, stderr)
		}
	}
	// A token of staging's service principal from staging.
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	staging := strings.TrimSpace(lbOut(t, dir, nil, "auth", "token", "create", "sp-staging", "-t", "staging", "--no-profile"))
	_, stderr := lbEnv(t, dir, []string{"LAKEBENCH_TOKEN=" + staging}, false, "--as", "sp-prod", "bundle", "run", "nightly", "-t", "prod")
	if !strings.Contains(stderr, "is not a valid token of sp-prod on target prod") {
		t.Errorf("staging's token as sp-prod on prod: %s", stderr)
	}
	refused := 0
	for _, r := range auditRows(t, prod) {
		if r[2] == false && (r[1] == me || r[1] == "sp-staging") {
			refused++
		}
	}
	if refused < 6 {
		t.Errorf("%d refusals of %s and sp-staging audited on prod, want one for each attempt (6)", refused, me)
	}
	if runs := targetRows(t, prod, "SELECT count(*) FROM sys.runs"); runs[0][0] != int64(1) {
		t.Errorf("prod has %v runs, want sp-prod's one", runs[0][0])
	}
}
