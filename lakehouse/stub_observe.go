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

// ---- ob-profile: profiles and drift (Lakehouse Monitoring) ---------------

// ProfileOptions say how to profile a table: a snapshot of the whole table,
// or a time series with one profile per window of TimestampColumn.
type ProfileOptions struct {
	// Type is "snapshot" (default) or "time_series".
	Type            string
	TimestampColumn string
	// Granularities are window sizes such as "1 day", "1 week".
	Granularities []string
	// Columns limits the profile to these columns; empty means all.
	Columns []string
}

// FrequentItem is one of a column's most frequent values.
type FrequentItem struct {
	Item  string `json:"item"`
	Count int64  `json:"count"`
}

// ColumnProfile is one row of sys.profile_metrics: one column (or the
// ':table' row) of one table in one window of one run.
type ColumnProfile struct {
	Table       string    `json:"table"`
	ColumnName  string    `json:"column_name"` // ":table" for the table row
	RunID       string    `json:"run_id,omitempty"`
	ProfileType string    `json:"profile_type"`
	Granularity string    `json:"granularity,omitempty"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	ComputedAt  time.Time `json:"computed_at"`

	Count           int64          `json:"count"`
	DataType        string         `json:"data_type"`
	NumNulls        int64          `json:"num_nulls"`
	PercentNull     float64        `json:"percent_null"`
	NumZeros        *int64         `json:"num_zeros,omitempty"`
	PercentZeros    *float64       `json:"percent_zeros,omitempty"`
	NumNaN          *int64         `json:"num_nan,omitempty"`
	DistinctCount   int64          `json:"distinct_count"`
	PercentDistinct float64        `json:"percent_distinct"`
	Min             *string        `json:"min,omitempty"`
	Max             *string        `json:"max,omitempty"`
	Avg             *float64       `json:"avg,omitempty"`
	Stddev          *float64       `json:"stddev,omitempty"`
	Median          *float64       `json:"median,omitempty"`
	Quantiles       []float64      `json:"quantiles,omitempty"`
	FrequentItems   []FrequentItem `json:"frequent_items,omitempty"`
	MinLength       *int64         `json:"min_length,omitempty"`
	MaxLength       *int64         `json:"max_length,omitempty"`
	AvgLength       *float64       `json:"avg_length,omitempty"`
}

// TestResult is a statistical test's statistic and p-value.
type TestResult struct {
	Statistic float64 `json:"statistic"`
	PValue    float64 `json:"pvalue"`
}

// DriftMetric is one row of sys.drift_metrics: how one column (or ':table')
// changed between two windows.
type DriftMetric struct {
	Table      string `json:"table"`
	ColumnName string `json:"column_name"`
	RunID      string `json:"run_id,omitempty"`
	// DriftType is CONSECUTIVE (against the previous window) or BASELINE
	// (against the monitor's baseline table).
	DriftType      string    `json:"drift_type"`
	Granularity    string    `json:"granularity,omitempty"`
	WindowStart    time.Time `json:"window_start,omitzero"`
	WindowEnd      time.Time `json:"window_end,omitzero"`
	BaselineWindow string    `json:"baseline_window,omitempty"`
	ComputedAt     time.Time `json:"computed_at"`

	CountDelta           float64  `json:"count_delta"`
	AvgDelta             *float64 `json:"avg_delta,omitempty"`
	PercentNullDelta     float64  `json:"percent_null_delta"`
	PercentDistinctDelta float64  `json:"percent_distinct_delta"`
	// Numeric columns.
	KSTest                 *TestResult `json:"ks_test,omitempty"`
	WassersteinDistance    *float64    `json:"wasserstein_distance,omitempty"`
	PopulationStabilityIdx *float64    `json:"population_stability_index,omitempty"`
	// Categorical columns.
	ChiSquaredTest    *TestResult `json:"chi_squared_test,omitempty"`
	JSDistance        *float64    `json:"js_distance,omitempty"`
	TVDistance        *float64    `json:"tv_distance,omitempty"`
	LInfinityDistance *float64    `json:"l_infinity_distance,omitempty"`
	// Flagged is true when a statistic passed its threshold; FlaggedBy
	// names which ("ks_test", "population_stability_index", ...).
	Flagged   bool     `json:"flagged"`
	FlaggedBy []string `json:"flagged_by,omitempty"`
}

// ProfileTable profiles a table on demand (no record), in DuckDB, as the
// session's principal.
func (lh *Lakehouse) ProfileTable(ctx context.Context, t TableName, opts ProfileOptions) ([]ColumnProfile, error) {
	return nil, errObserveNotYet
}

// ProfileMetrics reads the latest recorded profile of a table (every
// window of the latest run that profiled it).
func (lh *Lakehouse) ProfileMetrics(ctx context.Context, table string) ([]ColumnProfile, error) {
	return nil, errObserveNotYet
}

// DriftMetrics reads the latest recorded drift metrics of a table.
func (lh *Lakehouse) DriftMetrics(ctx context.Context, table string) ([]DriftMetric, error) {
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
