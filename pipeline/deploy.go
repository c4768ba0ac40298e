package pipeline

import (
	"context"
	"encoding/json"
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
	Target     string         `json:"target"`
	Bundle     string         `json:"bundle"`
	BundleHash string         `json:"bundle_hash"`
	Principal  string         `json:"principal"`
	Resources  map[string]int `json:"resources"`
	Removed    []string       `json:"removed,omitempty"`
	Unchanged  bool           `json:"unchanged"`
}

// Hash identifies the bundle's content: the project file, its includes and
// every model file.
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

// Deploy makes the target match the bundle, in one transaction: catalog
// entries for every source and model, grants, and the definitions of
// monitors, alerts, dashboards, registered models and jobs. A resource that
// was deployed before and is gone from the file is removed from the target
// (a model's or source's tables are dropped). Deploying the same bundle again
// changes nothing but the deployment record. The bundle must validate, and
// in production only the target's service principal may deploy.
func (p *Project) Deploy(ctx context.Context, lh *lakehouse.Lakehouse, principal string) (*DeployResult, error) {
	if principal == "" {
		principal = p.Identity()
	}
	if err := p.CheckIdentity(principal); err != nil {
		return nil, err
	}
	v := p.Validate(ctx, lh)
	if !v.OK() {
		return nil, fmt.Errorf("pipeline: the bundle has %s; run `lakebench bundle validate -t %s` and fix them first:\n%w", Plural(len(v.Errors), "error"), p.Target, v.Errors)
	}
	res := &DeployResult{Target: p.Target, Bundle: p.Bundle.Name, BundleHash: p.Hash(v.Models), Principal: principal, Resources: map[string]int{}}
	wanted := p.resourceDefinitions(v.Models)
	for _, r := range wanted {
		res.Resources[r.Kind]++
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	previous, err := tx.DeployedResources(ctx)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, r := range wanted {
		keep[r.Kind+"/"+r.Name] = true
	}
	for _, r := range previous {
		if keep[r.Kind+"/"+r.Name] {
			continue
		}
		res.Removed = append(res.Removed, r.Kind+" "+r.Name)
		switch r.Kind {
		case "model":
			t, err := lakehouse.ParseTableName(r.Name)
			if err == nil {
				if err := tx.DropTable(ctx, t); err != nil {
					return nil, err
				}
			}
		case "source":
			if err := tx.DropIngested(ctx, lakehouse.TableName{Schema: "bronze", Name: r.Name}); err != nil {
				return nil, err
			}
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
	if err := tx.DeployGovernance(ctx, p.governance()); err != nil {
		return nil, err
	}
	last, err := tx.LastDeployment(ctx)
	if err != nil {
		return nil, err
	}
	res.Unchanged = last.BundleHash == res.BundleHash && len(res.Removed) == 0
	summary, _ := json.Marshal(res.Resources)
	if err := tx.RecordDeployment(ctx, lakehouse.Deployment{Target: p.Target, Bundle: p.Bundle.Name, BundleHash: res.BundleHash,
		Principal: principal, DeployedAt: time.Now(), Resources: string(summary)}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	lh.Audit(ctx, lakehouse.AuditEvent{Principal: principal, Action: "deploy", Allowed: true, Detail: p.Bundle.Name + " " + res.BundleHash})
	return res, nil
}

// governance is the owner, groups and grants the bundle declares. The
// owner is the target's identity.
func (p *Project) governance() lakehouse.Governance {
	g := lakehouse.Governance{Owner: p.Identity(), Groups: map[string][]string{}}
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
	return g
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
		add("model", m.Table.String(), map[string]any{"path": m.Path, "reads": m.Reads, "settings": p.Resources.Models[m.Table.String()]})
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
