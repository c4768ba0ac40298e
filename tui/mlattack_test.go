package tui

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestMLWorkspaceRefusesPastGrants: the ML view's training, promotion and
// scoring go through the registry's checks as the view's principal: dana
// (an analyst: SELECT on gold and ml) is refused each, erin (nothing) sees
// the refusal in place of the models, and every refusal is audited.
func TestMLWorkspaceRefusesPastGrants(t *testing.T) {
	ws := copyWorkspace(t)
	ctx := context.Background()
	target := testInfo.Target
	as := func(principal string) *Workspace {
		w := newWorkspace(t, WorkspaceOptions{Dir: ws.opts.Dir, Principal: principal})
		if _, err := w.Prepare(ctx, func(string) {}); err != nil {
			t.Fatal(err)
		}
		return w
	}
	dana := as("dana")
	refused := func(what string, err error) {
		t.Helper()
		var ae *lakehouse.AccessError
		var pe *lakehouse.PermissionError
		if !errors.As(err, &ae) && !errors.As(err, &pe) {
			t.Errorf("dana %s: %v, want a refusal", what, err)
		}
	}
	_, err := dana.Train(ctx, target, "churn", nil)
	refused("trains", err)
	refused("promotes", dana.Promote(ctx, target, "churn", "challenger", 1))
	_, err = dana.Score(ctx, target, "churn", 10)
	refused("scores", err)
	if s, err := dana.ML(ctx, target); err != nil || len(s.Models) != 1 {
		t.Errorf("dana reads the registry: %+v %v", s, err)
	}
	erin := as("erin")
	if s, err := erin.ML(ctx, target); err != nil || s.Refused == "" || len(s.Models) != 0 {
		t.Errorf("erin reads the registry: %+v %v, want the refusal", s, err)
	}

	lh, err := lakehouse.Open(ctx, filepath.Join(ws.opts.Dir, ".lakebench", target+".duckdb"), lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	res, err := lh.Query(ctx, "SELECT principal, count(*) FROM sys.audit WHERE NOT allowed AND principal IN ('dana', 'erin') GROUP BY ALL ORDER BY ALL")
	if err != nil {
		t.Fatal(err)
	}
	got := map[any]any{}
	for _, r := range res.Rows {
		got[r[0]] = r[1]
	}
	if got["dana"] != int64(3) || got["erin"] == nil {
		t.Errorf("refusals audited: %v, want dana's 3 and erin's", got)
	}
	res, err = lh.Query(ctx, "SELECT count(*) FROM ml.model_versions")
	if err != nil || res.Rows[0][0] != int64(1) {
		t.Errorf("versions after dana's attempts: %v %v, want 1", res.Rows, err)
	}
}
