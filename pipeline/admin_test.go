package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// adminProject is a small project whose targets have permissions: the
// engineers (ben) manage it, the analysts (dana) only view it.
const adminProject = `bundle: {name: tiny}
project:
  team: [{name: ana, role: architect}, {name: ben, role: engineer}, {name: dana, role: analyst}]
include: [extra/*.yml]
resources:
  sources:
    orders: {path: landing/orders/*.csv}
  transforms: [sql/silver/*.sql]
  groups: {analysts: {members: [dana]}, engineers: {members: [ben]}}
  schemas:
    bronze: {grants: [{principal: engineers, privileges: [SELECT, MODIFY]}]}
    silver: {grants: [{principal: engineers, privileges: [SELECT, MODIFY]}]}
  jobs:
    nightly:
      tasks:
        - {task_key: ingest, type: ingest}
        - {task_key: silver, type: transform, depends_on: [ingest]}
permissions:
  - {level: CAN_MANAGE, group_name: engineers}
  - {level: CAN_VIEW, group_name: analysts}
targets:
  dev: {default: true, mode: development}
  prod:
    mode: production
    run_as: {service_principal_name: sp-prod}
    permissions:
      - {level: CAN_MANAGE, service_principal_name: sp-prod}
      - {level: CAN_VIEW, group_name: analysts}
`

func writeAdminProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, adminProject)
	writeTestFile(t, dir, "extra/base.yml", "variables: {region: {default: north}}\n")
	writeTestFile(t, dir, "landing/orders/orders_2026-01-01.csv", "id,customer,amount\n1,ann,10\n2,bob,20\n")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id, customer, amount from bronze.orders")
	return dir
}

func loadTarget(t *testing.T, dir, target string) *Project {
	t.Helper()
	p, err := LoadWith(dir, LoadOptions{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// openAt opens the project's target for writing; closed at the test's end.
func openAt(t *testing.T, p *Project) *lakehouse.Lakehouse {
	t.Helper()
	lh, err := lakehouse.Open(context.Background(), p.DatabasePath(p.Target), lakehouse.Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh
}

func refusals(t *testing.T, lh *lakehouse.Lakehouse, principal, action string) int64 {
	t.Helper()
	return count(t, lh, "select * from sys.audit where not allowed and principal = '"+principal+"' and action = '"+action+"'")
}

func wantPermissionError(t *testing.T, err error, needs string) *lakehouse.PermissionError {
	t.Helper()
	var pe *lakehouse.PermissionError
	if !errors.As(err, &pe) || pe.Needs != needs {
		t.Fatalf("got %v, want a refusal naming %s", err, needs)
	}
	if want := map[string]string{lakehouse.Owner: "only its owner"}[needs]; want != "" && !strings.Contains(err.Error(), want) ||
		want == "" && !strings.Contains(err.Error(), needs) {
		t.Errorf("refusal %q does not name %s", err, needs)
	}
	return pe
}

// TestDeployNeedsManageOnTheDeployedTarget is the attack of an analyst who
// edits the bundle to give herself SELECT on silver and CAN_MANAGE, then
// deploys it: the deployed permissions decide, so she is refused, the
// refusal is audited and the grants stay as they were. A manager's deploy
// goes through and leaves the first deployer the owner.
func TestDeployNeedsManageOnTheDeployedTarget(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	p := loadTarget(t, dir, "dev")
	lh := openAt(t, p)
	res, err := p.Deploy(ctx, lh, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if res.Owner != "ana" {
		t.Errorf("owner after the first deploy %q, want ana (the first deployer)", res.Owner)
	}
	owner, grants, _ := lh.Grants(ctx)
	perms, _ := lh.Permissions(ctx)

	// dana's own bundle.
	edited := strings.Replace(adminProject, "    silver: {grants: [{principal: engineers, privileges: [SELECT, MODIFY]}]}",
		"    silver: {grants: [{principal: engineers, privileges: [SELECT, MODIFY]}, {principal: dana, privileges: [SELECT]}]}", 1)
	edited = strings.Replace(edited, "permissions:\n", "permissions:\n  - {level: CAN_MANAGE, user_name: dana}\n", 1)
	writeTestFile(t, dir, FileName, edited)
	mine := loadTarget(t, dir, "dev")
	_, err = mine.Deploy(ctx, lh, "dana")
	pe := wantPermissionError(t, err, lakehouse.CanManage)
	if pe.Owner != "ana" || !strings.Contains(err.Error(), "ana") || !strings.Contains(err.Error(), "engineers") {
		t.Errorf("refusal %q should name who can grant CAN_MANAGE (ana, engineers)", err)
	}
	if n := refusals(t, lh, "dana", "deploy"); n != 1 {
		t.Errorf("%d refused deploys of dana audited, want 1", n)
	}
	owner2, grants2, _ := lh.Grants(ctx)
	perms2, _ := lh.Permissions(ctx)
	if owner2 != owner || !reflect.DeepEqual(grants2, grants) || !reflect.DeepEqual(perms2, perms) {
		t.Errorf("a refused deploy changed governance: owner %s grants %v permissions %v", owner2, grants2, perms2)
	}
	lh.SetPrincipal("dana")
	if _, err := lh.Query(ctx, "select * from silver.orders"); err == nil {
		t.Errorf("dana reads silver after her refused deploy")
	}
	lh.SetPrincipal("")

	// ben manages the target (engineers hold CAN_MANAGE): his deploy of
	// his own bundle does not make him the owner.
	writeTestFile(t, dir, FileName, adminProject)
	res, err = loadTarget(t, dir, "dev").Deploy(ctx, lh, "ben")
	if err != nil {
		t.Fatalf("ben (CAN_MANAGE through engineers) deploying: %v", err)
	}
	if res.Owner != "ana" {
		t.Errorf("owner after ben's deploy %q, want ana: a later deploy never replaces the owner", res.Owner)
	}
}

// TestRunNeedsCanRun: dana, who may only view, is refused a run (audited,
// no run recorded); ben, who manages, runs.
func TestRunNeedsCanRun(t *testing.T) {
	ctx := context.Background()
	p := loadTarget(t, writeAdminProject(t), "dev")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
		t.Fatal(err)
	}
	_, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "dana"})
	wantPermissionError(t, err, lakehouse.CanRun)
	if n := refusals(t, lh, "dana", "run"); n != 1 {
		t.Errorf("%d refused runs of dana audited, want 1", n)
	}
	if n := count(t, lh, "select * from sys.runs"); n != 0 {
		t.Errorf("a refused run left %d runs recorded", n)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ben"}); err != nil {
		t.Errorf("ben (CAN_MANAGE) running nightly: %v", err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ana"}); err != nil {
		t.Errorf("ana (the owner) running nightly: %v", err)
	}
}

// TestDestroyNeedsManage: dana cannot destroy the target (refused before
// anything is asked or deleted, audited); its owner can.
func TestDestroyNeedsManage(t *testing.T) {
	ctx := context.Background()
	p := loadTarget(t, writeAdminProject(t), "dev")
	lh, err := lakehouse.Open(ctx, p.DatabasePath("dev"), lakehouse.Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
		t.Fatal(err)
	}
	lh.Close()
	asked := 0
	confirm := func() error { asked++; return nil }
	_, err = p.Destroy(ctx, "dana", t.Name(), confirm)
	wantPermissionError(t, err, lakehouse.CanManage)
	if asked != 0 {
		t.Errorf("dana was asked to confirm a destroy she may not do")
	}
	if _, err := os.Stat(p.DatabasePath("dev")); err != nil {
		t.Fatalf("the refused destroy deleted the target: %v", err)
	}
	lh = openAt(t, p)
	if n := refusals(t, lh, "dana", "destroy"); n != 1 {
		t.Errorf("%d refused destroys of dana audited, want 1", n)
	}
	lh.Close()
	destroyed, err := p.Destroy(ctx, "ana", t.Name(), confirm)
	if err != nil || !destroyed || asked != 1 {
		t.Fatalf("ana destroying: %v, destroyed %v, asked %d times", err, destroyed, asked)
	}
	if _, err := os.Stat(p.DatabasePath("dev")); !os.IsNotExist(err) {
		t.Errorf("the target survived its owner's destroy: %v", err)
	}
	if destroyed, err := p.Destroy(ctx, "dana", t.Name(), confirm); err != nil || destroyed {
		t.Errorf("destroying a target with no lakehouse: %v, %v; want nothing to do", destroyed, err)
	}
}

// TestModeCannotBeWeakenedByAnInclude is the attack of an include file
// that switches prod to development: the mode recorded at the first deploy
// holds for deploys and runs, and only the owner weakens it, with
// AllowModeChange, audited. Handing ownership over takes that power from
// the old owner.
func TestModeCannotBeWeakenedByAnInclude(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	stage(t, dir, "dev", "nightly") // prod's promotion gate
	p := loadTarget(t, dir, "prod")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatalf("deploy prod as sp-prod: %v", err)
	}
	writeTestFile(t, dir, "extra/zz.yml", "targets: {prod: {mode: development}}\n")
	weak := loadTarget(t, dir, "prod")
	if weak.Mode() != "development" {
		t.Fatalf("the include did not switch the bundle's mode: %s", weak.Mode())
	}
	_, err := weak.Deploy(ctx, lh, "")
	if err == nil || !strings.Contains(err.Error(), "--allow-mode-change") || !strings.Contains(err.Error(), filepath.Join("extra", "zz.yml")+":1:") {
		t.Errorf("deploying the weakened bundle: %v, want a refusal naming the include's line and --allow-mode-change", err)
	}
	if n := refusals(t, lh, "sp-prod", "mode change"); n != 1 {
		t.Errorf("%d refused mode changes audited, want 1", n)
	}
	// Runs and deploys as a user stay refused: production is recorded.
	_, err = weak.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ben"})
	if err == nil || !strings.Contains(err.Error(), "deployed in production mode") {
		t.Errorf("ben running prod after the include: %v, want refused (production recorded)", err)
	}
	if _, err := weak.DeployWith(ctx, lh, DeployOptions{Principal: "ben", AllowModeChange: true}); err == nil {
		t.Errorf("ben deployed the weakened bundle to prod")
	}
	if n := refusals(t, lh, "ben", "run") + refusals(t, lh, "ben", "deploy"); n != 2 {
		t.Errorf("%d identity refusals of ben audited, want 2", n)
	}

	// sp-prod hands ownership to ana: it keeps CAN_MANAGE, but only the
	// owner may weaken the mode.
	if err := lh.SetOwner(ctx, "sp-prod", "ana"); err != nil {
		t.Fatal(err)
	}
	_, err = weak.DeployWith(ctx, lh, DeployOptions{AllowModeChange: true})
	wantPermissionError(t, err, lakehouse.Owner)
	if err := lh.SetOwner(ctx, "ana", "sp-prod"); err != nil {
		t.Fatal(err)
	}
	// The weakened bundle was never staged, and the gate recorded on prod
	// holds even for a bundle in development mode: the owner forces it.
	if _, err := weak.DeployWith(ctx, lh, DeployOptions{AllowModeChange: true, Force: true, Reason: "prod becomes a sandbox"}); err != nil {
		t.Fatalf("the owner deploying with AllowModeChange: %v", err)
	}
	if n := count(t, lh, "select * from sys.audit where allowed and action = 'mode change' and principal = 'sp-prod'"); n != 1 {
		t.Errorf("%d allowed mode changes audited, want 1", n)
	}
	if s, _, _ := lh.TargetSettings(ctx); s.Mode != "development" {
		t.Errorf("recorded mode %q after the owner's change, want development", s.Mode)
	}
}

// TestOwnerTransfer: only the owner hands ownership over; the old owner
// then loses what ownership gave (deploy, run), the new one has it.
func TestOwnerTransfer(t *testing.T) {
	ctx := context.Background()
	p := loadTarget(t, writeAdminProject(t), "dev")
	lh := openAt(t, p)
	if err := lh.SetOwner(ctx, "ana", "ben"); err == nil || !strings.Contains(err.Error(), "no owner yet") {
		t.Errorf("setting the owner of an undeployed target: %v", err)
	}
	if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
		t.Fatal(err)
	}
	wantPermissionError(t, lh.SetOwner(ctx, "dana", "dana"), lakehouse.Owner)
	wantPermissionError(t, lh.SetOwner(ctx, "ben", "ben"), lakehouse.Owner) // CAN_MANAGE is not ownership
	if n := refusals(t, lh, "dana", "owner set") + refusals(t, lh, "ben", "owner set"); n != 2 {
		t.Errorf("%d refused ownership changes audited, want 2", n)
	}
	if err := lh.SetOwner(ctx, "ana", "chen"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, lh, "select * from sys.audit where allowed and action = 'owner set' and principal = 'ana' and detail like '%ana -> chen'"); n != 1 {
		t.Errorf("%d ownership changes audited, want 1", n)
	}
	if o, _ := lh.Owner(ctx); o != "chen" {
		t.Errorf("owner %q, want chen", o)
	}
	_, err := p.Deploy(ctx, lh, "ana")
	wantPermissionError(t, err, lakehouse.CanManage)
	_, err = p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ana"})
	wantPermissionError(t, err, lakehouse.CanRun)
	wantPermissionError(t, lh.SetOwner(ctx, "ana", "ana"), lakehouse.Owner)
	res, err := p.Deploy(ctx, lh, "chen")
	if err != nil || res.Owner != "chen" {
		t.Errorf("the new owner deploying: %v, owner %v", err, res)
	}
}

// TestTargetNames: a target is named, never a path: `./prod` is refused in
// the file (with its place) and as -t, and no two names share a file.
func TestTargetNames(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: x}\ntargets:\n  prod: {mode: production, run_as: {service_principal_name: sp}}\n  ./prod: {mode: development}\n")
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), FileName+":4:3") || !strings.Contains(err.Error(), `target name "./prod" is not a name`) {
		t.Errorf("a target named ./prod: %v, want refused at lakebench.yml:4:3", err)
	}
	good := writeAdminProject(t)
	for _, name := range []string{"./prod", "prod/", "../prod", "PROD", "prod/../prod", "1prod", "-prod", "dev/../prod", "Prod", "prod ", "pr\u043ed", "prod\x00"} {
		if _, err := LoadWith(good, LoadOptions{Target: name}); err == nil || !strings.Contains(err.Error(), "not a target name") {
			t.Errorf("-t %s: %v, want refused as not a target name", name, err)
		}
	}
	p := loadTarget(t, good, "dev")
	if _, err := p.ResolveTarget("./prod"); err == nil {
		t.Errorf("ResolveTarget(./prod) passed")
	}
	seen := map[string]string{}
	for _, name := range []string{"prod", "./prod", "prod/", "PROD", "prod/../prod", "prod%2f", "%prod", "", ".", "..", "a/b", "a%2fb", "dev", "1prod"} {
		path := p.DatabasePath(name)
		if other, dup := seen[path]; dup {
			t.Errorf("targets %q and %q share %s", name, other, path)
		}
		seen[path] = name
		if filepath.Dir(path) != filepath.Join(good, ".lakebench") {
			t.Errorf("target %q maps outside .lakebench: %s", name, path)
		}
	}
	if p.DatabasePath("prod") != filepath.Join(good, ".lakebench", "prod.duckdb") {
		t.Errorf("prod's file is %s", p.DatabasePath("prod"))
	}
}

// TestProductionServicePrincipalCanBeReplaced: the recorded service
// principal deploys a bundle naming another one, which then is prod's
// identity; the old one no longer runs there.
func TestProductionServicePrincipalCanBeReplaced(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	stage(t, dir, "dev", "nightly") // prod's promotion gate
	p := loadTarget(t, dir, "prod")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, "extra/sp.yml", "targets: {prod: {run_as: {service_principal_name: sp-prod2}, permissions: [{level: CAN_MANAGE, service_principal_name: sp-prod2}]}}\n")
	stage(t, dir, "dev", "nightly") // the changed bundle passes the gate too
	next := loadTarget(t, dir, "prod")
	if _, err := next.Deploy(ctx, lh, "sp-prod"); err != nil {
		t.Fatalf("sp-prod deploying its successor: %v", err)
	}
	if err := next.CheckIdentityOn(ctx, lh, "sp-prod2", "run"); err != nil {
		t.Errorf("sp-prod2 after the deploy: %v", err)
	}
	if err := lh.CheckPermission(ctx, "sp-prod2", lakehouse.CanRun, "run"); err != nil {
		t.Errorf("sp-prod2 after the deploy: %v", err)
	}
	if err := next.CheckIdentityOn(ctx, lh, "sp-prod", "run"); err == nil {
		t.Errorf("sp-prod still runs prod after it was replaced")
	}
}
