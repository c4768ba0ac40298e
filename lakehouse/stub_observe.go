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

// ---- ob-dqx: DQX results ------------------------------------------------

// CheckError is one element of a row's _errors or _warnings column, as
// DQX's result struct: which check failed, why, on which columns, in which
// run.
type CheckError struct {
	Name         string            `json:"name"`
	Message      string            `json:"message"`
	Columns      []string          `json:"columns"`
	Filter       string            `json:"filter,omitempty"`
	Function     string            `json:"function"`
	RunTime      time.Time         `json:"run_time"`
	RunID        string            `json:"run_id"`
	UserMetadata map[string]string `json:"user_metadata,omitempty"`
}

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

// ---- ob-usage: cost and usage (system.billing.usage) ---------------------

// UsageRecord is one row of sys.usage: one task, query or idle period.
type UsageRecord struct {
	RecordID  string    `json:"record_id"`
	StartTime time.Time `json:"usage_start_time"`
	EndTime   time.Time `json:"usage_end_time"`
	// Kind is "task", "query" or "idle".
	Kind string `json:"kind"`
	// Quantity is in compute-seconds (Unit); WallSeconds and CPUSeconds
	// are what it is made of.
	Quantity     float64           `json:"usage_quantity"`
	Unit         string            `json:"usage_unit"`
	WallSeconds  float64           `json:"wall_seconds"`
	CPUSeconds   float64           `json:"cpu_seconds"`
	RowsRead     int64             `json:"rows_read"`
	RowsWritten  int64             `json:"rows_written"`
	BytesRead    int64             `json:"bytes_read"`
	BytesWritten int64             `json:"bytes_written"`
	Tags         map[string]string `json:"custom_tags"` // target, job, task, principal, run_id
}

// ListPrice is one row of sys.list_prices.
type ListPrice struct {
	Target    string    `json:"target"`
	Price     float64   `json:"price_per_compute_second"`
	Currency  string    `json:"currency_code"`
	Tier      string    `json:"tier"` // spot, on_demand
	StartTime time.Time `json:"price_start_time"`
}

// UsageQuery selects and groups sys.usage for `lakebench usage`.
type UsageQuery struct {
	// By is job, target, principal, day, task or kind; "" is job.
	By    string
	Since time.Time
}

// UsageSummary is one group of usage with its cost (quantity x price).
type UsageSummary struct {
	Key          string  `json:"key"`
	Records      int64   `json:"records"`
	Quantity     float64 `json:"usage_quantity"`
	WallSeconds  float64 `json:"wall_seconds"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	RowsRead     int64   `json:"rows_read"`
	RowsWritten  int64   `json:"rows_written"`
	BytesRead    int64   `json:"bytes_read"`
	BytesWritten int64   `json:"bytes_written"`
	Cost         float64 `json:"cost"`
	Currency     string  `json:"currency_code"`
}

// Usage sums sys.usage by q.By, newest usage first within the window.
func (lh *Lakehouse) Usage(ctx context.Context, q UsageQuery) ([]UsageSummary, error) {
	return nil, errObserveNotYet
}

// ---- ob-backup: backups, restores, RPO and RTO ---------------------------

// BackupInfo is one snapshot of a target's file.
type BackupInfo struct {
	ID        string    `json:"id"`
	Target    string    `json:"target"`
	Path      string    `json:"path"`
	CreatedAt time.Time `json:"created_at"`
	Principal string    `json:"principal"`
	Bytes     int64     `json:"bytes"`
	// Tables and Rows are what the snapshot held, by table, checked on
	// restore.
	Tables map[string]int64 `json:"tables"`
	SHA256 string           `json:"sha256"`
}

// RestoreInfo is one restore: which snapshot, and how long it took (the
// measured RTO).
type RestoreInfo struct {
	Backup     BackupInfo    `json:"backup"`
	RestoredAt time.Time     `json:"restored_at"`
	Duration   time.Duration `json:"duration_ns"`
	Principal  string        `json:"principal"`
}
