package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// stage deploys dir's bundle to target from and runs job there, as the
// walk from staging to prod does, and closes the target.
func stage(t *testing.T, dir, from, job string) {
	t.Helper()
	ctx := context.Background()
	p := loadTarget(t, dir, from)
	lh := openAt(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatalf("deploy %s: %v", from, err)
	}
	if job == "" {
		return
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: job}); err != nil {
		t.Fatalf("run %s on %s: %v", job, from, err)
	}
}

// gateRefusal deploys p to lh as sp-prod and wants the promotion gate to
// refuse it for missing, audited.
func gateRefusal(t *testing.T, p *Project, lh *lakehouse.Lakehouse, opts DeployOptions, missing string) *PromotionError {
	t.Helper()
	before := count(t, lh, "select * from sys.audit where action = 'promotion' and not allowed")
	_, err := p.DeployWith(context.Background(), lh, opts)
	var pe *PromotionError
	if !errors.As(err, &pe) || pe.Check.Missing != missing {
		t.Fatalf("deploy: %v, want the promotion gate to refuse it as %s", err, missing)
	}
	if n := count(t, lh, "select * from sys.audit where action = 'promotion' and not allowed"); n != before+1 {
		t.Errorf("%d refusals audited, want %d", n, before+1)
	}
	return pe
}

// TestPromotionGateEveryPath walks prod's gate (from dev, job nightly) on
// every path: never staged, staged with another hash, staged but the job
// never ran, staged but failed, a green run of edited files (which does
// not count), staged and green; then overrides: forced without a reason,
// by a non-owner, and by the owner with a reason (audited and recorded).
func TestPromotionGateEveryPath(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	p := loadTarget(t, dir, "prod")
	lh := openAt(t, p)
	pe := gateRefusal(t, p, lh, DeployOptions{}, NeverStaged)
	for _, want := range []string{"never staged", "lakebench bundle deploy -t dev", "lakebench bundle run nightly -t dev", "--force --reason"} {
		if !strings.Contains(pe.Error(), want) {
			t.Errorf("refusal %q does not say %q", pe, want)
		}
	}
	// The job fails on dev.
	good, _ := os.ReadFile(filepath.Join(dir, "sql/silver/orders.sql"))
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id, customer, cast(customer as integer) as amount from bronze.orders")
	func() {
		dev := loadTarget(t, dir, "dev")
		dlh := openAt(t, dev)
		defer dlh.Close()
		if _, err := dev.Deploy(ctx, dlh, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := dev.Run(ctx, dlh, RunOptions{Job: "nightly"}); err == nil {
			t.Fatal("the broken model ran")
		}
	}()
	broken := loadTarget(t, dir, "prod")
	brokenHash := broken.ContentHash()
	pe = gateRefusal(t, broken, lh, DeployOptions{}, JobFailed)
	if !strings.Contains(pe.Error(), "failed there with it") || pe.Check.Run == nil {
		t.Errorf("refusal %q does not name the failed run", pe)
	}
	// The fix goes to prod without passing dev: staged with another hash.
	writeTestFile(t, dir, "sql/silver/orders.sql", string(good))
	p = loadTarget(t, dir, "prod")
	pe = gateRefusal(t, p, lh, DeployOptions{}, OtherHash)
	if !strings.Contains(pe.Error(), "never deployed to target dev: it has "+brokenHash) {
		t.Errorf("refusal %q does not name dev's hash %s", pe, brokenHash)
	}
	// Deployed on dev, the job not run yet.
	stage(t, dir, "dev", "")
	pe = gateRefusal(t, p, lh, DeployOptions{}, JobNeverRan)
	if !strings.Contains(pe.Error(), "has not run there with it") {
		t.Errorf("refusal %q", pe)
	}
	// The files edited and run on dev without a deploy: the run ran other
	// content, so it does not count.
	writeTestFile(t, dir, "sql/silver/orders.sql", string(good)+"\n-- local edit\n")
	func() {
		dev := loadTarget(t, dir, "dev")
		dlh := openAt(t, dev)
		defer dlh.Close()
		if _, err := dev.Run(ctx, dlh, RunOptions{Job: "nightly"}); err != nil {
			t.Fatal(err)
		}
	}()
	writeTestFile(t, dir, "sql/silver/orders.sql", string(good))
	gateRefusal(t, p, lh, DeployOptions{}, JobNeverRan)
	// Staged and green: prod takes it.
	stage(t, dir, "dev", "nightly")
	res, err := p.DeployWith(ctx, lh, DeployOptions{})
	if err != nil {
		t.Fatalf("deploying a bundle green on dev: %v", err)
	}
	if res.Promotion == nil || !res.Promotion.OK || res.Promotion.Run == nil || res.Forced != "" {
		t.Errorf("the deploy's verdict: %+v", res.Promotion)
	}
	if d, _ := lh.LastDeployment(ctx); d.ContentHash != p.ContentHash() || d.Project != ProjectKey(dir) {
		t.Errorf("recorded %+v", d)
	}

	// A change not staged: forced without a reason, by a non-owner, then
	// by the owner.
	writeTestFile(t, dir, "sql/silver/orders.sql", string(good)+"\n-- hotfix\n")
	hot := loadTarget(t, dir, "prod")
	_, err = hot.DeployWith(ctx, lh, DeployOptions{Force: true, Reason: "  "})
	if err == nil || !strings.Contains(err.Error(), "--force needs --reason") {
		t.Errorf("forced without a reason: %v", err)
	}
	if err := lh.SetOwner(ctx, "sp-prod", "ana"); err != nil {
		t.Fatal(err)
	}
	_, err = hot.DeployWith(ctx, lh, DeployOptions{Force: true, Reason: "hotfix", ForcedBy: "ben"})
	if err == nil || !strings.Contains(err.Error(), "ben may not force") || !strings.Contains(err.Error(), "only its owner (ana)") {
		t.Errorf("forced by ben, not the owner: %v", err)
	}
	if n := refusals(t, lh, "sp-prod", ActionPromotion); n != 7 {
		t.Errorf("%d promotion refusals audited, want 7", n)
	}
	res, err = hot.DeployWith(ctx, lh, DeployOptions{Force: true, Reason: "hotfix for the outage", ForcedBy: "ana"})
	if err != nil {
		t.Fatalf("forced by the owner: %v", err)
	}
	if res.Forced != "hotfix for the outage" || res.Promotion == nil || res.Promotion.Missing != OtherHash {
		t.Errorf("forced deploy: forced %q, verdict %+v", res.Forced, res.Promotion)
	}
	if d, _ := lh.LastDeployment(ctx); d.Forced != "hotfix for the outage" {
		t.Errorf("sys.deployments recorded forced %q", d.Forced)
	}
	if n := count(t, lh, "select * from sys.audit where allowed and action = 'promotion.force' and contains(detail, 'forced by ana') and contains(detail, 'reason: hotfix for the outage')"); n != 1 {
		t.Errorf("%d audited overrides naming ana and the reason, want 1", n)
	}
}

// TestPromotionGateCannotBeLoosenedByTheBundle: a bundle edited to loosen
// prod's gate (no success needed) must still pass the gate recorded on
// prod by its last deploy.
func TestPromotionGateCannotBeLoosenedByTheBundle(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	stage(t, dir, "dev", "nightly")
	p := loadTarget(t, dir, "prod")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, "extra/loose.yml", "targets: {prod: {promotion: {require_success: false}}}\n")
	stage(t, dir, "dev", "") // deployed, never run
	loose := loadTarget(t, dir, "prod")
	if pol, _ := loose.PromotionPolicy(); pol == nil || pol.RequireSuccess {
		t.Fatalf("the include did not loosen the bundle's gate: %+v", pol)
	}
	pe := gateRefusal(t, loose, lh, DeployOptions{}, JobNeverRan)
	if !strings.Contains(pe.Error(), "the gate recorded on target prod") {
		t.Errorf("refusal %q does not name the recorded gate", pe)
	}
}

// TestProdRefusesAUserDeploy: a production deploy as a user is refused
// whatever the gate says, audited.
func TestProdRefusesAUserDeploy(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	stage(t, dir, "dev", "nightly")
	p := loadTarget(t, dir, "prod")
	lh := openAt(t, p)
	_, err := p.Deploy(ctx, lh, "ana")
	if err == nil || !strings.Contains(err.Error(), "only as the service principal sp-prod") {
		t.Errorf("deploy to prod as ana: %v", err)
	}
	if n := refusals(t, lh, "ana", "deploy"); n != 1 {
		t.Errorf("%d refusals audited, want 1", n)
	}
}

// TestValidateChecksPromotion: a promotion gate that names an unknown
// target or job, or its own target, or a production target with nothing
// before it, is an error at its file:line:column.
func TestValidateChecksPromotion(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ targets, want string }{
		{"  dev: {default: true}\n  prod:\n    mode: production\n    run_as: {service_principal_name: sp}\n    promotion: {from: stagin}\n",
			`lakebench.yml:16:17: promotion of target prod from unknown target "stagin"`},
		{"  dev: {default: true}\n  prod:\n    mode: production\n    run_as: {service_principal_name: sp}\n    promotion: {from: dev, job: nighty}\n",
			`lakebench.yml:16:28: the promotion gate of target prod names unknown job "nighty" (jobs: nightly; did you mean nightly?)`},
		{"  dev: {default: true}\n  prod:\n    mode: production\n    run_as: {service_principal_name: sp}\n    promotion: {from: prod}\n",
			"lakebench.yml:16:17: target prod cannot promote from itself"},
		{"  prod:\n    default: true\n    mode: production\n    run_as: {service_principal_name: sp}\n",
			"lakebench.yml:12:3: target prod is in production mode and no non-production target precedes it to promote from"},
	} {
		dir := t.TempDir()
		writeTestFile(t, dir, FileName, `bundle: {name: x}
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
`+c.targets)
		writeTestFile(t, dir, "sql/silver/orders.sql", "select 1 as id")
		p := loadTarget(t, dir, "")
		lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		v := p.Validate(ctx, lh)
		lh.Close()
		got := v.Errors.Error()
		if !strings.Contains(got, c.want) {
			t.Errorf("validate:\n%s\nwant %s", got, c.want)
		}
	}
}

// TestPromotionGateComparesVars: variables given on the command line are
// content. A prod deploy with another --var than the staged bundle ran
// with is refused as another hash that names the --var, and prod, once
// deployed, does not run with a --var it was not deployed with.
func TestPromotionGateComparesVars(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	stage(t, dir, "dev", "nightly")
	south, err := LoadWith(dir, LoadOptions{Target: "prod", Vars: map[string]string{"region": "south"}})
	if err != nil {
		t.Fatal(err)
	}
	p := loadTarget(t, dir, "prod")
	if south.ContentHash() == p.ContentHash() {
		t.Fatalf("--var region=south does not change the content hash %s", p.ContentHash())
	}
	lh := openAt(t, p)
	pe := gateRefusal(t, south, lh, DeployOptions{}, OtherHash)
	if !strings.Contains(pe.Error(), "--var region=south") {
		t.Errorf("refusal %q does not name the --var", pe)
	}
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatalf("deploying what dev ran: %v", err)
	}
	if _, err := south.Run(ctx, lh, RunOptions{Job: "nightly"}); err == nil || !strings.Contains(err.Error(), "runs only the content deployed there") {
		t.Errorf("prod run with a --var it was not deployed with: %v", err)
	}
}
