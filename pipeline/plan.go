package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/zeebo/xxh3"
)

// A plan is what a deploy would change on its target, as terraform plan
// shows it: each resource created (+), changed (~, with the fields that
// change) or removed (-). The resources are the bundle's definitions
// (sources, models, quality rules, monitors, registered models,
// dashboards, alerts, jobs, schemas), the grants, groups and target
// permissions, and the target's settings (mode, run_as, promotion gate).
// A deploy computes its plan under the writer lock and applies exactly it.

// The actions of a plan's changes.
const (
	Create = "create"
	Update = "update"
	Delete = "delete"
)

// Change is one resource a deploy creates, changes or removes.
type Change struct {
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	// Fields are the fields that change, for an update.
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field of a definition that a change sets: Before is
// "" for a field added, After "" for a field removed.
type FieldChange struct {
	Path   string `json:"path"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// Plan is what a deploy of the bundle would change on its target.
type Plan struct {
	Target      string `json:"target"`
	Bundle      string `json:"bundle"`
	ContentHash string `json:"content_hash"`
	// Base fingerprints the target's state the plan was computed on: a
	// plan applies only to that state.
	Base string `json:"base"`
	// Deployed is the target's last deployment the plan starts from (nil
	// for a target never deployed).
	Deployed *lakehouse.Deployment `json:"deployed,omitempty"`
	Changes  []Change              `json:"changes"`
	Add      int                   `json:"add"`
	Change   int                   `json:"change"`
	Destroy  int                   `json:"destroy"`
	// Promotion is the promotion gate's verdict for this bundle on this
	// target (nil when the target has no gate).
	Promotion *PromotionCheck `json:"promotion,omitempty"`
	// ID identifies the plan: its content hash, base and changes.
	ID string `json:"id"`
}

// Empty reports whether the plan changes nothing.
func (pl *Plan) Empty() bool { return len(pl.Changes) == 0 }

// Summary is terraform's line: "Plan: 1 to add, 2 to change, 0 to destroy."
func (pl *Plan) Summary() string {
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", pl.Add, pl.Change, pl.Destroy)
}

// Lines are the plan as text, a line per change and a line per changed
// field under it: "+ job nightly", "~ alert late: threshold: 1 -> 2".
func (pl *Plan) Lines() []string {
	var out []string
	for _, c := range pl.Changes {
		sign := map[string]string{Create: "+", Update: "~", Delete: "-"}[c.Action]
		out = append(out, fmt.Sprintf("%s %s %s", sign, strings.ReplaceAll(c.Kind, "_", " "), c.Name))
		for _, f := range c.Fields {
			out = append(out, "    "+f.String())
		}
	}
	return out
}

func (f FieldChange) String() string {
	switch {
	case f.Before == "":
		return fmt.Sprintf("%s: + %s", f.Path, f.After)
	case f.After == "":
		return fmt.Sprintf("%s: - %s", f.Path, f.Before)
	}
	return fmt.Sprintf("%s: %s -> %s", f.Path, f.Before, f.After)
}

// ContentHash identifies the bundle's content, the same on every target:
// the project file, its includes and every model file, by path relative to
// the project and content, and the bundle variables given on the command
// line (--var), which change what runs as much as an edit does: a prod
// deploy with another --var than staging ran is another content. (A
// target's own variables are in the project file.) Deploys and runs
// record it, and a promotion gate compares it across targets.
func (p *Project) ContentHash() string {
	h := xxh3.New128()
	var files []string
	for _, inc := range p.Include {
		m, _ := filepath.Glob(filepath.Join(p.Dir, inc))
		files = append(files, m...)
	}
	for _, pattern := range p.Resources.Transforms {
		m, _ := filepath.Glob(filepath.Join(p.Dir, pattern))
		files = append(files, m...)
	}
	sort.Strings(files)
	files = append([]string{p.File}, files...)
	seen := map[string]bool{}
	for _, f := range files {
		rel, _ := filepath.Rel(p.Dir, f)
		if seen[rel] {
			continue
		}
		seen[rel] = true
		data, err := os.ReadFile(f)
		if err != nil {
			data = []byte("\x00unreadable: " + err.Error())
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(data))
		h.Write(data)
	}
	// Without --var the hash is what it was before variables counted, so
	// what was deployed then still promotes.
	for _, name := range sortedKeys(p.cliVars) {
		fmt.Fprintf(h, "--var\x00%s\x00%d\x00%s", name, len(p.cliVars[name]), p.cliVars[name])
	}
	b := h.Sum128().Bytes()
	return fmt.Sprintf("%x", b[:8])
}

// varsNote says which --var values are part of the content, for a
// refusal that compares contents ("" without any).
func (p *Project) varsNote() string {
	if len(p.cliVars) == 0 {
		return ""
	}
	var vs []string
	for _, name := range sortedKeys(p.cliVars) {
		vs = append(vs, "--var "+name+"="+p.cliVars[name])
	}
	return " (its content includes " + strings.Join(vs, " ") + ": variables given on the command line are content, so " +
		"the other target must have been deployed with the same ones)"
}

// desired is the target's state as the bundle declares it: every
// resource the plan compares, keyed kind/name, as JSON.
func (p *Project) desired(models []Model, deployer string) []lakehouse.DeployedResource {
	out := p.resourceDefinitions(models)
	gov := p.governance(deployer, models)
	out = append(out, governanceResources(gov.Grants, gov.Groups, p.targetPermissions())...)
	pol, _ := p.promotionPolicy(p.Target)
	out = append(out, settingsResource(p.Target, p.Mode(), p.runAs().Principal(), pol))
	return out
}

// governanceResources are grants, groups and target permissions as plan
// resources: a grant per securable and principal (its privileges the
// definition), a group (its members), a permission per principal (its
// level).
func governanceResources(grants []lakehouse.Grant, groups map[string][]string, perms []lakehouse.TargetPermission) []lakehouse.DeployedResource {
	var out []lakehouse.DeployedResource
	privs := map[string][]string{}
	for _, g := range grants {
		on := g.Schema
		if g.Table != "" {
			on += "." + g.Table
		}
		k := on + " to " + g.Principal
		if !contains(privs[k], g.Privilege) {
			privs[k] = append(privs[k], g.Privilege)
		}
	}
	for _, k := range sortedKeys(privs) {
		sort.Strings(privs[k])
		out = append(out, jsonResource("grant", k, map[string]any{"privileges": privs[k]}))
	}
	for _, n := range sortedKeys(groups) {
		members := append([]string{}, groups[n]...)
		sort.Strings(members)
		out = append(out, jsonResource("group", n, map[string]any{"members": members}))
	}
	levels := map[string][]string{}
	for _, perm := range perms {
		k := perm.Principal + " (" + strings.ReplaceAll(perm.Kind, "_", " ") + ")"
		if !contains(levels[k], perm.Level) {
			levels[k] = append(levels[k], perm.Level)
		}
	}
	for _, k := range sortedKeys(levels) {
		sort.Strings(levels[k])
		out = append(out, jsonResource("permission", k, map[string]any{"level": strings.Join(levels[k], ", ")}))
	}
	return out
}

// settingsResource is the target's recorded settings as a plan resource.
func settingsResource(target, mode, runAs string, pol *PromotionPolicy) lakehouse.DeployedResource {
	def := map[string]any{"mode": mode, "run_as": runAs}
	if pol != nil {
		def["promotion"] = pol
	}
	return jsonResource("target", target, def)
}

func jsonResource(kind, name string, def any) lakehouse.DeployedResource {
	b, _ := json.Marshal(def)
	return lakehouse.DeployedResource{Kind: kind, Name: name, Definition: string(b)}
}

// deployedState reads what the target has deployed, as the plan compares
// it with the bundle (see desired), and the last deployment.
func deployedState(ctx context.Context, lh *lakehouse.Lakehouse, target string) ([]lakehouse.DeployedResource, *lakehouse.Deployment, error) {
	res, err := lh.DeployedResources(ctx)
	if err != nil {
		return nil, nil, err
	}
	deployed, err := lh.Deployed(ctx)
	if err != nil {
		return nil, nil, err
	}
	if deployed {
		_, grants, err := lh.Grants(ctx)
		if err != nil {
			return nil, nil, err
		}
		groups, err := lh.GroupMembers(ctx)
		if err != nil {
			return nil, nil, err
		}
		perms, err := lh.Permissions(ctx)
		if err != nil {
			return nil, nil, err
		}
		res = append(res, governanceResources(grants, groups, perms)...)
	}
	settings, recorded, err := lh.TargetSettings(ctx)
	if err != nil {
		return nil, nil, err
	}
	if recorded {
		promotion, err := lh.RecordedPromotion(ctx)
		if err != nil {
			return nil, nil, err
		}
		settings.Promotion = promotion
		res = append(res, settingsResource(target, settings.Mode, settings.RunAs, recordedPolicy(settings)))
	}
	last, err := lh.LastDeployment(ctx)
	if err != nil {
		return nil, nil, err
	}
	if last.DeployedAt.IsZero() {
		return res, nil, nil
	}
	return res, &last, nil
}

// kindOrder is the order a plan lists kinds in: tables first, then what
// reads them, then who may.
var kindOrder = []string{"target", "source", "model", "quality", "monitor", "registered_model", "dashboard", "alert", "job", "schema", "group", "grant", "permission"}

// compareResources is the plan from before to after, in kindOrder, each
// kind's resources by name.
func compareResources(before, after []lakehouse.DeployedResource) []Change {
	key := func(r lakehouse.DeployedResource) string { return r.Kind + "\x00" + r.Name }
	was := map[string]lakehouse.DeployedResource{}
	for _, r := range before {
		was[key(r)] = r
	}
	now := map[string]bool{}
	var out []Change
	for _, r := range after {
		now[key(r)] = true
		old, ok := was[key(r)]
		switch {
		case !ok:
			out = append(out, Change{Action: Create, Kind: r.Kind, Name: r.Name})
		default:
			if fields := diffJSON(old.Definition, r.Definition); len(fields) > 0 {
				out = append(out, Change{Action: Update, Kind: r.Kind, Name: r.Name, Fields: fields})
			}
		}
	}
	for _, r := range before {
		if !now[key(r)] {
			out = append(out, Change{Action: Delete, Kind: r.Kind, Name: r.Name})
		}
	}
	rank := map[string]int{}
	for i, k := range kindOrder {
		rank[k] = i + 1
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := rank[out[i].Kind], rank[out[j].Kind]; ri != rj {
			return ri < rj
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// diffJSON lists the leaf fields that differ between two JSON documents,
// by path (a.b[2].c), values shortened.
func diffJSON(before, after string) []FieldChange {
	if before == after {
		return nil
	}
	var b, a any
	json.Unmarshal([]byte(before), &b)
	json.Unmarshal([]byte(after), &a)
	fb, fa := map[string]string{}, map[string]string{}
	flatten("", b, fb)
	flatten("", a, fa)
	var out []FieldChange
	for _, k := range sortedKeys(fa) {
		if fb[k] != fa[k] {
			out = append(out, FieldChange{Path: k, Before: fb[k], After: fa[k]})
		}
	}
	for _, k := range sortedKeys(fb) {
		if _, ok := fa[k]; !ok {
			out = append(out, FieldChange{Path: k, Before: fb[k]})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// flatten writes each leaf of v (a decoded JSON value) under its path;
// an empty object or list is a leaf ({} or []), null is none.
func flatten(path string, v any, out map[string]string) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 && path != "" {
			out[path] = "{}"
		}
		for k, e := range x {
			flatten(join(k), e, out)
		}
	case []any:
		if len(x) == 0 {
			if path != "" {
				out[path] = "[]"
			}
			return
		}
		for i, e := range x {
			flatten(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	case nil:
	default:
		b, _ := json.Marshal(x)
		s := string(b)
		if str, ok := x.(string); ok && !strings.ContainsAny(str, " ,:\"") && str != "" {
			s = str
		}
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		if path == "" {
			path = "value"
		}
		out[path] = s
	}
}

// stateHash is a short hash of a value's JSON.
func stateHash(v any) string {
	b, _ := json.Marshal(v)
	return fmt.Sprintf("%016x", xxh3.Hash(b))
}

// PlanDeploy is what a deploy of the bundle as principal would change on
// the target lh: the validated bundle against what the target has
// deployed, with the promotion gate's verdict. The bundle must validate.
func (p *Project) PlanDeploy(ctx context.Context, lh *lakehouse.Lakehouse, principal string) (*Plan, error) {
	if principal == "" {
		principal = p.Identity()
	}
	v := p.Validate(ctx, lh)
	if !v.OK() {
		return nil, fmt.Errorf("pipeline: the bundle has %s; run `lakebench bundle validate -t %s` and fix them first:\n%w", Plural(len(v.Errors), "error"), p.Target, v.Errors)
	}
	pl, err := p.deployPlan(ctx, lh, v.Models, principal)
	if err != nil {
		return nil, err
	}
	if pol, err := p.promotionPolicy(p.Target); err == nil && pol != nil {
		check := p.CheckPromotion(ctx, pl.ContentHash)
		pl.Promotion = &check
	}
	return pl, nil
}

// deployPlan compares the bundle's models and resources with the target.
func (p *Project) deployPlan(ctx context.Context, lh *lakehouse.Lakehouse, models []Model, principal string) (*Plan, error) {
	before, last, err := deployedState(ctx, lh, p.Target)
	if err != nil {
		return nil, err
	}
	pl := &Plan{Target: p.Target, Bundle: p.Bundle.Name, ContentHash: p.ContentHash(), Deployed: last,
		Changes: compareResources(before, p.desired(models, principal))}
	if pl.Changes == nil {
		pl.Changes = []Change{}
	}
	for _, c := range pl.Changes {
		switch c.Action {
		case Create:
			pl.Add++
		case Update:
			pl.Change++
		case Delete:
			pl.Destroy++
		}
	}
	var lastKey any
	if last != nil {
		lastKey = []any{last.BundleHash, last.DeployedAt.UnixNano(), last.Principal}
	}
	pl.Base = stateHash([]any{before, lastKey})
	pl.ID = stateHash([]any{pl.ContentHash, pl.Base, pl.Changes})[:12]
	return pl, nil
}

// StalePlanError is a deploy refused because the plan it was asked to
// apply no longer is what the deploy would do.
type StalePlanError struct {
	Target string
	Reason string
}

func (e *StalePlanError) Error() string {
	return fmt.Sprintf("pipeline: the plan shown for target %s is stale: %s; nothing was deployed: run `lakebench bundle plan -t %s` again and deploy that plan", e.Target, e.Reason, e.Target)
}

// checkExpected refuses when the plan now differs from the one shown.
func checkExpected(now *Plan, shown *Plan) error {
	if shown == nil {
		return nil
	}
	switch {
	case shown.Target != now.Target:
		return &StalePlanError{Target: now.Target, Reason: fmt.Sprintf("it was made for target %s", shown.Target)}
	case shown.ContentHash != now.ContentHash:
		return &StalePlanError{Target: now.Target, Reason: fmt.Sprintf("the bundle changed since (content %s then, %s now)", shown.ContentHash, now.ContentHash)}
	case shown.Base != now.Base:
		who := "someone"
		if now.Deployed != nil {
			who = fmt.Sprintf("the deployment of %s by %s at %s", now.Deployed.ContentHash, now.Deployed.Principal, now.Deployed.DeployedAt.Format("2006-01-02 15:04:05"))
		}
		return &StalePlanError{Target: now.Target, Reason: "the target changed since (its state now is " + who + ")"}
	case shown.ID != now.ID:
		return &StalePlanError{Target: now.Target, Reason: "its changes differ from what a deploy would do now"}
	}
	return nil
}

// TargetState is what a target has deployed, as a plan and a diff read it.
type TargetState struct {
	Target    string                       `json:"target"`
	Owner     string                       `json:"owner,omitempty"`
	Deployed  *lakehouse.Deployment        `json:"deployed,omitempty"`
	Resources []lakehouse.DeployedResource `json:"-"`
}

// ReadTargetState reads target's deployed state from lh.
func ReadTargetState(ctx context.Context, lh *lakehouse.Lakehouse, target string) (*TargetState, error) {
	res, last, err := deployedState(ctx, lh, target)
	if err != nil {
		return nil, err
	}
	owner, err := lh.Owner(ctx)
	if err != nil {
		return nil, err
	}
	if last != nil {
		last.Plan = "" // the state, not its history
	}
	return &TargetState{Target: target, Owner: owner, Deployed: last, Resources: res}, nil
}

// TargetDiff is what differs between two targets' deployed state: a
// change is + for a resource only To has, - for one only From has, ~ for
// one both have with other definitions.
type TargetDiff struct {
	From        *TargetState `json:"from"`
	To          *TargetState `json:"to"`
	SameContent bool         `json:"same_content"`
	Changes     []Change     `json:"changes"`
}

// DiffTargets compares two targets' deployed state (resources, grants,
// groups, permissions, settings, owner and bundle content).
func DiffTargets(from, to *TargetState) *TargetDiff {
	// The settings resource is named after its target: compare them as one.
	rename := func(st *TargetState) []lakehouse.DeployedResource {
		out := make([]lakehouse.DeployedResource, 0, len(st.Resources)+1)
		for _, r := range st.Resources {
			if r.Kind == "target" {
				r.Name = "settings"
			}
			out = append(out, r)
		}
		return append(out, jsonResource("target", "owner", map[string]any{"owner": st.Owner}))
	}
	d := &TargetDiff{From: from, To: to, Changes: compareResources(rename(from), rename(to))}
	if d.Changes == nil {
		d.Changes = []Change{}
	}
	d.SameContent = from.Deployed != nil && to.Deployed != nil && from.Deployed.ContentHash != "" && from.Deployed.ContentHash == to.Deployed.ContentHash
	return d
}
