package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/zeebo/xxh3"
)

// DeployResult is what a deploy did.
type DeployResult struct {
	Target     string `json:"target"`
	Bundle     string `json:"bundle"`
	BundleHash string `json:"bundle_hash"`
	Principal  string `json:"principal"`
	// Owner is the target's owner after the deploy: the first deployer,
	// or whom ownership was handed to since.
	Owner     string         `json:"owner"`
	Resources map[string]int `json:"resources"`
	Removed   []string       `json:"removed,omitempty"`
	Unchanged bool           `json:"unchanged"`
	// ContentHash is the bundle's content, the same on every target.
	ContentHash string `json:"content_hash"`
	// Plan is the plan the deploy applied.
	Plan *Plan `json:"plan"`
	// Promotion is the promotion gate's verdict (nil without a gate);
	// Forced is the reason it was overridden with.
	Promotion *PromotionCheck `json:"promotion,omitempty"`
	Forced    string          `json:"forced,omitempty"`
}

// Hash identifies the bundle's content on its target: the project file,
// its includes and every model file, and the target's name (so the hashes
// of one bundle on two targets differ; ContentHash is the same on both).
func (p *Project) Hash(models []Model) string {
	h := xxh3.New128()
	files := []string{p.File}
	for _, inc := range p.Include {
		m, _ := filepath.Glob(filepath.Join(p.Dir, inc))
		files = append(files, m...)
	}
	for _, m := range models {
		files = append(files, filepath.Join(p.Dir, m.Path))
	}
	sort.Strings(files[1:])
	for _, f := range files {
		data, _ := os.ReadFile(f)
		rel, _ := filepath.Rel(p.Dir, f)
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(data))
		h.Write(data)
	}
	fmt.Fprintf(h, "target=%s", p.Target)
	b := h.Sum128().Bytes()
	return fmt.Sprintf("%x", b[:8])
}

// DeployOptions configures DeployWith.
type DeployOptions struct {
	// Principal deploys; "" is the target's identity.
	Principal string
	// AllowModeChange lets the target's owner deploy a bundle that weakens
	// the mode recorded on the target (production to development). It is
	// audited.
	AllowModeChange bool
	// Force overrides the target's promotion gate, with Reason (required);
	// only the target's owner may: ForcedBy, the person at the keyboard
	// (the operating-system user), or the deploying principal. Audited.
	Force    bool
	Reason   string
	ForcedBy string
	// Expect is a plan shown before: the deploy applies only when it
	// would do exactly that (same bundle, same target state).
	Expect *Plan
}

// Deploy is DeployWith for principal, with no mode change allowed.
func (p *Project) Deploy(ctx context.Context, lh *lakehouse.Lakehouse, principal string) (*DeployResult, error) {
	return p.DeployWith(ctx, lh, DeployOptions{Principal: principal})
}

// DeployWith makes the target match the bundle, in one transaction: catalog
// entries for every source and model, grants, target permissions, and the
// definitions of monitors, alerts, dashboards, registered models and jobs.
// A resource that was deployed before and is gone from the file is removed
// from the target (a model's or source's tables are dropped). Deploying the
// same bundle again changes nothing but the deployment record.
//
// Who may deploy is decided by what is deployed on the target, never by the
// bundle being deployed: before the first deploy anyone may, and the first
// deployer becomes the owner; after it the deployer needs CAN_MANAGE (or
// ownership) in the deployed permissions, and a later deploy never changes
// the owner. The mode recorded at the first deploy holds: production
// identities apply, and a bundle that weakens it to development is refused
// unless the owner allows it (opts.AllowModeChange). Refusals are audited.
// The bundle must validate.
func (p *Project) DeployWith(ctx context.Context, lh *lakehouse.Lakehouse, opts DeployOptions) (*DeployResult, error) {
	principal := opts.Principal
	if principal == "" {
		principal = p.Identity()
	}
	if err := p.CheckIdentityOn(ctx, lh, principal, "deploy"); err != nil {
		return nil, err
	}
	if err := lh.CheckPermission(ctx, principal, lakehouse.CanManage, "deploy"); err != nil {
		return nil, err
	}
	settings, recorded, err := lh.TargetSettings(ctx)
	if err != nil {
		return nil, err
	}
	modeChange := ""
	if recorded && settings.Mode == "production" && p.Mode() != "production" {
		modeChange = fmt.Sprintf("target %s: mode production -> %s", p.Target, p.Mode())
		if !opts.AllowModeChange {
			pos := p.position("targets." + p.Target + ".mode")
			where := (&Error{File: pos.file, Line: pos.line, Column: pos.column}).Error()
			err := fmt.Errorf("pipeline: target %s was deployed in production mode and this bundle makes it %s (%s); a deploy does not weaken a target's mode: if that is meant, its owner deploys with --allow-mode-change",
				p.Target, p.Mode(), strings.TrimSuffix(where, ": "))
			lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: principal, Action: "mode change", Allowed: false, Detail: err.Error()})
			return nil, err
		}
		if err := lh.CheckPermission(ctx, principal, lakehouse.Owner, "mode change"); err != nil {
			return nil, err
		}
	}
	v := p.Validate(ctx, lh)
	if !v.OK() {
		return nil, fmt.Errorf("pipeline: the bundle has %s; run `lakebench bundle validate -t %s` and fix them first:\n%w", Plural(len(v.Errors), "error"), p.Target, v.Errors)
	}
	// A test file that does not validate is a bundle that does not: the
	// deploy takes what `bundle validate` and CI's unit tests accept, as
	// dbt parses its tests before it builds anything.
	if len(v.TestErrors) > 0 {
		return nil, fmt.Errorf("pipeline: the bundle's test files have %s; run `lakebench bundle validate -t %s` and fix them first (`lakebench test` runs them):\n%w", Plural(len(v.TestErrors), "error"), p.Target, v.TestErrors)
	}
	// The plan, computed under the writer lock this lakehouse holds: no
	// other process changes the target until the deploy commits.
	plan, err := p.deployPlan(ctx, lh, v.Models, principal)
	if err != nil {
		return nil, err
	}
	if err := checkExpected(plan, opts.Expect); err != nil {
		lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: principal, Action: lakehouse.ActionDeploy, Allowed: false, Detail: err.Error()})
		return nil, err
	}
	res := &DeployResult{Target: p.Target, Bundle: p.Bundle.Name, BundleHash: p.Hash(v.Models), ContentHash: plan.ContentHash,
		Principal: principal, Resources: map[string]int{}, Plan: plan}
	check, err := p.promotionGate(ctx, lh, settings, recorded, plan.ContentHash, principal, opts)
	if err != nil {
		return nil, err
	}
	res.Promotion, plan.Promotion = check, check
	if opts.Force && check != nil && !check.OK {
		res.Forced = opts.Reason
	}
	wanted := p.resourceDefinitions(v.Models)
	for _, r := range wanted {
		res.Resources[r.Kind]++
	}
	// The grants and permissions before, for the audit of what changes.
	_, grantsBefore, err := lh.Grants(ctx)
	if err != nil {
		return nil, err
	}
	permsBefore, err := lh.Permissions(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// The plan's removals are what goes: a model's or source's tables are
	// dropped with it.
	for _, c := range plan.Changes {
		if c.Action != Delete {
			continue
		}
		switch c.Kind {
		case "model":
			res.Removed = append(res.Removed, c.Kind+" "+c.Name)
			t, err := lakehouse.ParseTableName(c.Name)
			if err == nil {
				if err := tx.DropTable(ctx, t); err != nil {
					return nil, err
				}
			}
		case "source":
			res.Removed = append(res.Removed, c.Kind+" "+c.Name)
			if err := tx.DropIngested(ctx, lakehouse.TableName{Schema: "bronze", Name: c.Name}); err != nil {
				return nil, err
			}
		case "quality", "monitor", "registered_model", "dashboard", "alert", "job", "schema":
			res.Removed = append(res.Removed, c.Kind+" "+c.Name)
		}
	}
	if err := tx.ReplaceDeployedResources(ctx, wanted); err != nil {
		return nil, err
	}
	for _, n := range sortedKeys(p.Resources.Sources) {
		s := p.Resources.Sources[n]
		if err := tx.SetCatalog(ctx, lakehouse.CatalogEntry{Schema: "bronze", Table: n, Layer: "bronze", Owner: s.Owner, Domain: s.Domain, Description: s.Description}); err != nil {
			return nil, err
		}
	}
	for _, m := range v.Models {
		st := p.Resources.Models[m.Table.String()]
		desc := st.Description
		if desc == "" {
			desc = modelDescription(m.SQL)
		}
		if err := tx.SetCatalog(ctx, lakehouse.CatalogEntry{Schema: m.Table.Schema, Table: m.Table.Name, Layer: m.Table.Schema,
			Owner: st.Owner, Domain: st.Domain, Description: desc}); err != nil {
			return nil, err
		}
	}
	gov, perms := p.governance(principal, v.Models), p.targetPermissions()
	if err := tx.DeployGovernance(ctx, gov); err != nil {
		return nil, err
	}
	if err := tx.DeployPermissions(ctx, perms); err != nil {
		return nil, err
	}
	// Each grant and permission added or removed is audited once the
	// deploy commits (Tx.AuditOnCommit).
	for _, e := range append(grantChanges(principal, grantsBefore, gov.Grants), permissionChanges(principal, p.Target, permsBefore, perms)...) {
		tx.AuditOnCommit(e)
	}
	now := lakehouse.TargetSettings{Mode: p.Mode(), RunAs: p.runAs().Principal(), Principal: principal}
	if pol, _ := p.promotionPolicy(p.Target); pol != nil {
		b, _ := json.Marshal(pol)
		now.Promotion = string(b)
	}
	if !recorded || settings.Mode != now.Mode || settings.RunAs != now.RunAs || settings.Promotion != now.Promotion {
		if err := tx.RecordTargetSettings(ctx, now); err != nil {
			return nil, err
		}
	}
	last, err := tx.LastDeployment(ctx)
	if err != nil {
		return nil, err
	}
	res.Unchanged = last.BundleHash == res.BundleHash && plan.Empty()
	summary, _ := json.Marshal(res.Resources)
	planJSON, _ := json.Marshal(plan)
	if err := tx.RecordDeployment(ctx, lakehouse.Deployment{Target: p.Target, Bundle: p.Bundle.Name, BundleHash: res.BundleHash,
		Principal: principal, DeployedAt: time.Now(), Resources: string(summary), ContentHash: plan.ContentHash,
		Plan: string(planJSON), Forced: res.Forced, Project: ProjectKey(p.Dir)}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	lh.Audit(ctx, lakehouse.AuditEvent{Principal: principal, Action: lakehouse.ActionDeploy, Allowed: true,
		Detail: fmt.Sprintf("%s %s (content %s); plan %s: %d to add, %d to change, %d to destroy", p.Bundle.Name, res.BundleHash, plan.ContentHash, plan.ID, plan.Add, plan.Change, plan.Destroy)})
	if res.Forced != "" {
		lh.Audit(ctx, lakehouse.AuditEvent{Principal: principal, Action: ActionPromotionForce, Allowed: true,
			Detail: fmt.Sprintf("forced by %s past the promotion gate of target %s (%s: %s), reason: %s", opts.ForcedBy, p.Target, check.Missing, check.Message, opts.Reason)})
	}
	if err := lh.SetListPrice(ctx, p.ListPrice()); err != nil {
		return nil, err
	}
	if modeChange != "" {
		lh.Audit(ctx, lakehouse.AuditEvent{Principal: principal, Action: "mode change", Allowed: true, Detail: modeChange + " (--allow-mode-change)"})
	}
	res.Owner, err = lh.Owner(ctx)
	return res, err
}

// Destroy deletes the target's lakehouse as principal, who needs
// CAN_MANAGE (or ownership) on the target as deployed, checked under the
// writer lock that the deletion keeps. confirm, when set, is asked after
// the checks and before anything is deleted; an error from it stops the
// destroy. The destroy is audited before the file goes (refusals too). A
// target with no lakehouse yet has nothing to destroy: destroyed is false.
func (p *Project) Destroy(ctx context.Context, principal, holder string, confirm func() error) (destroyed bool, err error) {
	if principal == "" {
		principal = p.Identity()
	}
	path := p.DatabasePath(p.Target)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	lh, err := lakehouse.Open(ctx, path, lakehouse.Options{Holder: holder})
	if err != nil {
		return false, err
	}
	if err := p.CheckIdentityOn(ctx, lh, principal, "destroy"); err != nil {
		lh.Close()
		return false, err
	}
	if err := lh.CheckPermission(ctx, principal, lakehouse.CanManage, "destroy"); err != nil {
		lh.Close()
		return false, err
	}
	if confirm != nil {
		if err := confirm(); err != nil {
			lh.Close()
			return false, err
		}
	}
	if err := lh.Audit(ctx, lakehouse.AuditEvent{Principal: principal, Action: "destroy", Allowed: true, Detail: "target " + p.Target + " (" + path + ")"}); err != nil {
		lh.Close()
		return false, err
	}
	return true, lh.Destroy(principal)
}

// targetPermissions are the bundle's permissions for its target: the
// target's own, else the top level's.
func (p *Project) targetPermissions() []lakehouse.TargetPermission {
	out := make([]lakehouse.TargetPermission, 0, len(p.Permissions))
	for _, perm := range p.Permissions {
		out = append(out, lakehouse.TargetPermission{Level: perm.Level, Principal: perm.Principal(), Kind: perm.Kind()})
	}
	return out
}

// governance is the groups and grants the bundle declares, with the
// deployer as the owner should the target have none yet, and the grants
// of the target's run_as service principal (runAsGrants).
func (p *Project) governance(deployer string, models []Model) lakehouse.Governance {
	g := lakehouse.Governance{Owner: deployer, Groups: map[string][]string{}}
	for name, grp := range p.Resources.Groups {
		g.Groups[name] = grp.Members
	}
	for _, s := range sortedKeys(p.Resources.Schemas) {
		for _, gr := range p.Resources.Schemas[s].Grants {
			for _, priv := range gr.Privileges {
				g.Grants = append(g.Grants, lakehouse.Grant{Principal: gr.Principal, Privilege: strings.ToUpper(priv), Schema: s, Table: gr.Table})
			}
		}
	}
	g.Grants = append(g.Grants, p.runAsGrants(models)...)
	return g
}

// runAsGrants are what the target's run_as service principal is granted
// by the deploy, as Databricks runs a job as its run_as identity with
// that identity's own privileges: SELECT and MODIFY on the schemas of the
// target's data, which its jobs read and write (bronze for the sources,
// each model's schema, ml for the registry and the scores, and the
// schemas the bundle declares). On a production target bootstrapped by a
// person, that person owns the target and the service principal holds
// CAN_MANAGE: without these grants its job could not write, and with them
// it may do nothing an owner alone may (issue tokens, force the promotion
// gate, read files past the grants). A run_as user gets nothing here:
// people get their grants from the bundle's schemas, by name.
func (p *Project) runAsGrants(models []Model) []lakehouse.Grant {
	sp := p.runAs()
	if sp == nil || sp.ServicePrincipalName == "" {
		return nil
	}
	schemas := map[string]bool{}
	if len(p.Resources.Sources) > 0 {
		schemas["bronze"] = true
	}
	for _, m := range models {
		schemas[m.Table.Schema] = true
	}
	if len(p.Resources.RegisteredModels) > 0 {
		schemas["ml"] = true
	}
	for s := range p.Resources.Schemas {
		schemas[s] = true
	}
	var out []lakehouse.Grant
	for _, s := range sortedKeys(schemas) {
		for _, priv := range []string{lakehouse.Select, lakehouse.Modify} {
			out = append(out, lakehouse.Grant{Principal: sp.ServicePrincipalName, Privilege: priv, Schema: s})
		}
	}
	return out
}

// resourceDefinitions lists every resource with its definition as JSON.
func (p *Project) resourceDefinitions(models []Model) []lakehouse.DeployedResource {
	var out []lakehouse.DeployedResource
	add := func(kind, name string, def any) {
		b, _ := json.Marshal(def)
		out = append(out, lakehouse.DeployedResource{Kind: kind, Name: name, Definition: string(b)})
	}
	for _, n := range sortedKeys(p.Resources.Sources) {
		add("source", n, p.Resources.Sources[n])
	}
	for _, m := range models {
		add("model", m.Table.String(), map[string]any{"path": m.Path, "reads": m.Reads, "settings": p.Resources.Models[m.Table.String()],
			"sql": fmt.Sprintf("%016x", xxh3.HashString(m.SQL))})
	}
	for _, n := range sortedKeys(p.Resources.Quality) {
		add("quality", n, p.Resources.Quality[n])
	}
	for _, n := range sortedKeys(p.Resources.QualityMonitors) {
		add("monitor", n, p.Resources.QualityMonitors[n])
	}
	for _, n := range sortedKeys(p.Resources.RegisteredModels) {
		add("registered_model", n, p.Resources.RegisteredModels[n])
	}
	for _, n := range sortedKeys(p.Resources.Dashboards) {
		add("dashboard", n, p.Resources.Dashboards[n])
	}
	for _, n := range sortedKeys(p.Resources.Alerts) {
		add("alert", n, p.Resources.Alerts[n])
	}
	for _, n := range sortedKeys(p.Resources.Jobs) {
		j := p.Resources.Jobs[n]
		if j.Schedule != nil && p.Mode() == "development" {
			s := *j.Schedule
			s.PauseStatus = "PAUSED" // development mode pauses schedules, as DAB does
			j.Schedule = &s
		}
		add("job", n, j)
	}
	for _, n := range sortedKeys(p.Resources.Schemas) {
		add("schema", n, p.Resources.Schemas[n])
	}
	return out
}
