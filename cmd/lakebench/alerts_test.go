package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/pipeline"
)

func alertsJSON(t *testing.T, out string) map[string]pipeline.AlertStatus {
	t.Helper()
	var sts []pipeline.AlertStatus
	if err := json.Unmarshal([]byte(out), &sts); err != nil {
		t.Fatalf("bad JSON %v:\n%s", err, out)
	}
	m := map[string]pipeline.AlertStatus{}
	for _, st := range sts {
		m[st.Alert] = st
	}
	return m
}

// TestAlertsCommands: a run evaluates the sample's alerts; `alerts list`
// shows them without evaluating, `alerts check` evaluates them again (all,
// or those named) as the session's principal, whose grants decide.
func TestAlertsCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	_, progress := lb(t, dir, true, "run")
	if !strings.Contains(progress, "alerts: ") {
		t.Errorf("the run's progress says nothing of alerts:\n%s", progress)
	}
	out, _ := lb(t, dir, true, "alerts", "list", "--json")
	listed := alertsJSON(t, out)
	for _, n := range []string{"duplicate_orders", "missing_orders", "electronics_dip", "home_price_drift", "revenue_drop", "quarantine_spike"} {
		st, ok := listed[n]
		if !ok || st.RunID == "" || st.State == pipeline.AlertError || len(st.History) != 1 {
			t.Errorf("after the run, %s: %+v", n, st)
		}
	}
	if st := listed["duplicate_orders"]; st.State != pipeline.AlertOK || st.DisplayName != "Duplicate orders in the latest batch" {
		t.Errorf("duplicate_orders on day 2: %+v", st)
	}
	out, _ = lb(t, dir, true, "alerts", "check", "--json")
	checked := alertsJSON(t, out)
	if len(checked) != len(listed) {
		t.Errorf("checked %d alerts, listed %d", len(checked), len(listed))
	}
	for n, st := range checked {
		if st.RunID != "" || st.State != listed[n].State || !st.At.After(listed[n].At) {
			t.Errorf("on demand, %s: %+v (after the run: %+v)", n, st, listed[n])
		}
	}
	out, _ = lb(t, dir, true, "alerts", "check", "missing_orders", "--json")
	if one := alertsJSON(t, out); len(one) != 1 || one["missing_orders"].Value != "0" {
		t.Errorf("check missing_orders: %v", one)
	}
	out, _ = lb(t, dir, true, "alerts", "list", "--json", "--history", "0")
	if n := len(alertsJSON(t, out)["missing_orders"].History); n != 3 {
		t.Errorf("missing_orders has %d evaluations, want 3 (the run, check all, check it)", n)
	}
	out, _ = lb(t, dir, true, "alerts", "list")
	if !strings.HasPrefix(out, "ALERT ") || !strings.Contains(out, "duplicate_orders  OK") {
		t.Errorf("alerts list:\n%s", out)
	}
	if _, stderr := lb(t, dir, false, "alerts", "check", "duplicate_ordrs"); !strings.Contains(stderr, `unknown alert "duplicate_ordrs"`) {
		t.Errorf("an unknown alert: %s", stderr)
	}
	// dana (SELECT on gold and ml) checks them: those reading silver or
	// bronze are ERROR, naming the grant; the command fails; she may not
	// read the history in sys at all.
	out, stderr := lb(t, dir, false, "--as", "dana", "alerts", "check", "--json")
	dana := alertsJSON(t, out)
	if st := dana["duplicate_orders"]; st.State != pipeline.AlertError || !strings.Contains(st.Error, "dana may not read bronze.orders") || st.Value != "" {
		t.Errorf("dana's duplicate_orders: %+v", st)
	}
	if st := dana["electronics_dip"]; st.State == pipeline.AlertError {
		t.Errorf("dana's electronics_dip (gold only): %+v", st)
	}
	if !strings.Contains(stderr, "alerts in ERROR: ") || !strings.Contains(stderr, "duplicate_orders") {
		t.Errorf("dana's check: %s", stderr)
	}
	if _, stderr := lb(t, dir, false, "--as", "dana", "alerts", "list"); !strings.Contains(stderr, "dana may not read sys.alert_history") {
		t.Errorf("dana's list: %s", stderr)
	}
}
