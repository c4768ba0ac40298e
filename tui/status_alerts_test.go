package tui

import (
	"testing"

	"github.com/lakebench/lakebench/pipeline"
)

// TestStatusAlertCountUnknownWhenRefused: a principal who may not read
// sys.alert_history (the sample's dana) sees the alert count as unknown,
// not as 0 while alerts are TRIGGERED.
func TestStatusAlertCountUnknownWhenRefused(t *testing.T) {
	fired := []pipeline.AlertStatus{{AlertEvaluation: pipeline.AlertEvaluation{State: pipeline.AlertTriggered}}, {AlertEvaluation: pipeline.AlertEvaluation{State: pipeline.AlertOK}}}
	for _, c := range []struct {
		snap *Snapshot
		want string
	}{
		{nil, "—"},
		{&Snapshot{Refused: map[string]string{RefusedAlerts: "dana may not read sys.alert_history"}}, "—"},
		{&Snapshot{}, "0"},
		{&Snapshot{Alerts: fired}, "1"},
	} {
		if got := alertCount(c.snap); got != c.want {
			t.Errorf("alertCount(%+v) = %q, want %q", c.snap, got, c.want)
		}
	}
}
