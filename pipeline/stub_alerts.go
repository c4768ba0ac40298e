package pipeline

// CONTRACT STUB (issue 10), owned by the helper on branch an-alerts: it
// moves this code into alerts.go and deletes this file. Signatures are
// shared: change one here first, in a commit of its own.

import (
	"context"
	"errors"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

var errAlertsNotBuilt = errors.New("pipeline: alerts v2 are not built yet")

// AlertState is an alert's state, as Databricks SQL alerts v2 name them.
type AlertState string

// The states of an alert.
const (
	AlertUnknown   AlertState = "UNKNOWN"
	AlertOK        AlertState = "OK"
	AlertTriggered AlertState = "TRIGGERED"
	AlertError     AlertState = "ERROR"
)

// AlertEvaluation is one evaluation of an alert: a row of sys.alert_history.
type AlertEvaluation struct {
	Alert string     `json:"alert"`
	At    time.Time  `json:"evaluated_at"`
	State AlertState `json:"state"`
	// Value is the evaluated source value as text ("" when none);
	// Threshold the value or column it was compared with; Op the operator.
	Value     string `json:"value"`
	Op        string `json:"op"`
	Threshold string `json:"threshold"`
	Message   string `json:"message,omitempty"`
	// Error is why the state is ERROR.
	Error string `json:"error,omitempty"`
	// RunID is the job run that evaluated it ("" on demand).
	RunID string `json:"run_id,omitempty"`
	// Notified is true when the notification command ran for this
	// transition; NotifyError is its failure, if it failed.
	Notified    bool   `json:"notified,omitempty"`
	NotifyError string `json:"notify_error,omitempty"`
}

// AlertStatus is an alert of the bundle with its latest evaluation and its
// recent history (newest first).
type AlertStatus struct {
	AlertEvaluation
	DisplayName   string            `json:"display_name,omitempty"`
	LastTriggered time.Time         `json:"last_triggered,omitzero"`
	History       []AlertEvaluation `json:"history,omitempty"`
}

// CheckAlerts evaluates the named alerts (all when names is empty) now, as
// the principal of lh, records each evaluation in sys.alert_history and
// runs the notification command on a transition (its failure is recorded,
// never returned). runID is the job run evaluating them ("" on demand).
func (p *Project) CheckAlerts(ctx context.Context, lh *lakehouse.Lakehouse, names []string, runID string) ([]AlertStatus, error) {
	return nil, errAlertsNotBuilt
}

// AlertStatuses reads each alert of the bundle's latest state and its
// history (at most history evaluations each) without evaluating anything.
func (p *Project) AlertStatuses(ctx context.Context, lh *lakehouse.Lakehouse, history int) ([]AlertStatus, error) {
	return nil, errAlertsNotBuilt
}
