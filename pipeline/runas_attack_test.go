package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestRunAsNotAGroupNorAPerson: a deploy grants the target's run_as
// service principal SELECT and MODIFY on every schema, and a grant to a
// group reaches its members. A bundle whose run_as names a group (every
// analyst would write gold) or a person of the team (dana would write as
// herself) is refused by validate, so no deploy applies it; a real service
// principal passes, and gets its grants on the deploy.
func TestRunAsNotAGroupNorAPerson(t *testing.T) {
	ctx := context.Background()
	bundle := func(runAs string) string {
		return `bundle: {name: tiny}
project:
  team:
    - {name: dana, role: analyst}
resources:
  sources:
    orders: {path: landing/orders/*.csv, owner: sales}
  transforms: [sql/silver/*.sql, sql/gold/*.sql]
  groups:
    analysts: {members: [dana]}
  schemas:
    gold: {grants: [{principal: analysts, privileges: [SELECT]}]}
targets:
  dev: {default: true}
  staging:
    run_as: {service_principal_name: ` + runAs + `}
`
	}
	for _, tt := range []struct{ runAs, want string }{
		{"analysts", `lakebench.yml:16:14: target staging runs as "analysts", which is a group under resources.groups`},
		{"dana", `lakebench.yml:16:14: target staging runs as "dana", a person of project.team`},
		{"sp-staging", ""},
	} {
		dir := writeProject(t, fastGold)
		writeTestFile(t, dir, FileName, bundle(tt.runAs))
		p, err := LoadWith(dir, LoadOptions{Target: "staging"})
		if err != nil {
			t.Fatal(err)
		}
		lh, err := lakehouse.Open(ctx, p.DatabasePath("staging"), lakehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.DeployWith(ctx, lh, DeployOptions{Principal: "ana"})
		var gold []string
		if _, grants, gerr := lh.Grants(ctx); gerr == nil {
			for _, g := range grants {
				if g.Schema == "gold" && g.Privilege == lakehouse.Modify {
					gold = append(gold, g.Principal)
				}
			}
		}
		lh.Close()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("run_as %s: %v", tt.runAs, err)
		case tt.want == "" && strings.Join(gold, ",") != tt.runAs:
			t.Errorf("run_as %s: MODIFY on gold for %v, want the service principal alone", tt.runAs, gold)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("run_as %s: deploy %v, want a refusal with %q; MODIFY on gold for %v", tt.runAs, err, tt.want, gold)
		}
	}
}
