package lakehouse

// The contract of issue 11 (observability and data quality). Each block
// names its owner; the owner moves it into real files and deletes it here.
// Stubs return errObserveNotYet until then. Owners may ADD fields to these
// types freely; renaming or removing one is a change to this file first.

import (
	"context"
	"errors"
	"time"
)

var errObserveNotYet = errors.New("lakehouse: not built yet (issue 11)")

// ---- ob-health: learned freshness and completeness -----------------------

// The statuses of a table result, as Databricks data quality monitoring.
const (
	Healthy   = "Healthy"
	Unhealthy = "Unhealthy"
	Unknown   = "Unknown"
)

// HealthResult is one check of one table in sys.table_results, shaped like
// system.data_quality_monitoring.table_results: freshness or completeness,
// learned from the table's own history (or an explicit objective).
type HealthResult struct {
	EvaluatedAt time.Time `json:"event_time"`
	Table       string    `json:"table"`
	RunID       string    `json:"run_id,omitempty"`
	// Check is "freshness" or "completeness".
	Check string `json:"check"`
	// Status is Healthy, Unhealthy or Unknown.
	Status string `json:"status"`
	// ErrorCode says why Unknown (NOT_ENOUGH_TABLE_HISTORY, ...).
	ErrorCode string `json:"error_code,omitempty"`
	// Source is "learned" or "objective" (quality_monitors).
	Source string `json:"source"`
	// Observed is the last value (seconds since the last commit, or rows
	// of the last day); PredictedMin and PredictedMax the expected range.
	Observed     float64 `json:"last_value"`
	PredictedMin float64 `json:"min_predicted"`
	PredictedMax float64 `json:"max_predicted"`
	// Window is the period the check judged (the day, for completeness).
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	Message     string    `json:"message,omitempty"`
	// DownstreamImpact lists the tables and models downstream in lineage.
	DownstreamImpact []string `json:"downstream_impact,omitempty"`
}

// TableResults reads the latest result of each check of each table (table
// "" means every table the principal may read).
func (lh *Lakehouse) TableResults(ctx context.Context, table string) ([]HealthResult, error) {
	return nil, errObserveNotYet
}
