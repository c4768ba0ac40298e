package pipeline

// The contract of issue 11 (observability and data quality). Each block
// names its owner; the owner moves it into real files and deletes it here.
// Owners may ADD fields to these types freely; renaming or removing one is
// a change to this file first.

import (
	"context"
	"errors"

	"github.com/lakebench/lakebench/lakehouse"
)

var errObserveNotYet = errors.New("pipeline: not built yet (issue 11)")

// ---- ob-profile ----------------------------------------------------------

// runMonitors is a run's step after its tasks and before its alerts: every
// monitored table (quality_monitors with profile or drift) is profiled
// into sys.profile_metrics and compared into sys.drift_metrics, as the
// run's principal. A failure fails the run's record, not its tasks.
func (p *Project) runMonitors(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string) error {
	return nil // no-op until ob-profile lands
}

// ---- ob-health -----------------------------------------------------------

// runHealth is a run's step after runMonitors: freshness and completeness
// of every table, learned from its history (and the explicit objectives of
// quality_monitors), into sys.table_results with its downstream impact.
func (p *Project) runHealth(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string) error {
	return nil // no-op until ob-health lands
}
