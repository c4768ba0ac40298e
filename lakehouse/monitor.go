package lakehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The records of profiles and drift, sys.profile_metrics and
// sys.drift_metrics, shaped like Lakehouse Monitoring's metric tables
// ({table}_profile_metrics, {table}_drift_metrics), one set of rows per
// monitored table per run; and the drift between two profiles.

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
	// Samples also draws each numeric column's sample per window
	// (ColumnProfile.Sample), for drift: one more scan.
	Samples bool
	// Previous is the table's last recorded profile (the monitor's
	// previous run): a window whose rows are those it profiled (the same
	// Digest) is taken from it, not profiled again, so a daily run
	// profiles the windows its rows touched. Nil profiles every window.
	Previous []ColumnProfile
	// UnchangedBefore (a SQL literal, with Previous and a time series) is
	// the caller's word that no row whose TimestampColumn is earlier than
	// it was added, removed or changed since Previous was profiled (an
	// incremental_by_time build's BuildRecord.From, when Previous was of
	// the table the build started from): the windows that end before it
	// are taken from Previous without reading their rows, and only the
	// rows of the others are read.
	UnchangedBefore string
	// LikelyChanged (with Previous and a snapshot) is the caller's guess
	// that the table changed since Previous was profiled (its stamp
	// differs): the profile's scan then computes the digest too, instead
	// of a scan for the digest first. A guess only: a profile whose digest
	// is Previous's is still Previous's, whichever way it was read.
	LikelyChanged bool
	// Unchanged (with Previous) is the caller's word that the table's
	// rows are the ones Previous was profiled from (its stamp now is the
	// one recorded with Previous, which a write beside the builds
	// forgets): every window of Previous profiled as this profile would
	// be (the same columns and Config, see profileSignature) is taken
	// from it without reading a row. A granularity Previous has no
	// window of, or one of another signature, is read as without it.
	Unchanged bool
	// Config is what else the caller derives from a window's profile (a
	// monitor's drift settings): part of the digests, so a change of it
	// profiles every window again.
	Config string
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
	// Note says what was left out for a column of a type a profile only
	// counts (a STRUCT, a UNION, ...).
	Note string `json:"note,omitempty"`

	// For drift, recorded but not shown: a numeric column's sample of at
	// most SampleSize values, sorted, and a column's value counts (its
	// CategoryLimit most frequent values, the rest as one), most frequent
	// first.
	Sample      []float64      `json:"-"`
	ValueCounts []FrequentItem `json:"-"`
	// Digest, on a window's ':table' row, fingerprints the rows profiled
	// (their count and the sum of their hashes) with the columns and
	// options: a later profile whose window has the same digest has the
	// same profile (ProfileOptions.Previous).
	Digest string `json:"-"`
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

// monitorDDL creates the tables of profiles and drift (run at open, with
// systemDDL).
const monitorDDL = `
CREATE TABLE IF NOT EXISTS sys.profile_metrics (
	table_name VARCHAR, column_name VARCHAR, run_id VARCHAR, profile_type VARCHAR, granularity VARCHAR,
	window_start TIMESTAMP, window_end TIMESTAMP, computed_at TIMESTAMP,
	count BIGINT, data_type VARCHAR, num_nulls BIGINT, percent_null DOUBLE, num_zeros BIGINT, percent_zeros DOUBLE,
	num_nan BIGINT, distinct_count BIGINT, percent_distinct DOUBLE, min VARCHAR, max VARCHAR, avg DOUBLE,
	stddev DOUBLE, median DOUBLE, quantiles DOUBLE[], frequent_items STRUCT(item VARCHAR, count BIGINT)[],
	min_length BIGINT, max_length BIGINT, avg_length DOUBLE, note VARCHAR,
	sample DOUBLE[], value_counts STRUCT(item VARCHAR, count BIGINT)[]);
CREATE TABLE IF NOT EXISTS sys.drift_metrics (
	table_name VARCHAR, column_name VARCHAR, run_id VARCHAR, drift_type VARCHAR, granularity VARCHAR,
	window_start TIMESTAMP, window_end TIMESTAMP, baseline_window VARCHAR, computed_at TIMESTAMP,
	count_delta DOUBLE, avg_delta DOUBLE, percent_null_delta DOUBLE, percent_distinct_delta DOUBLE,
	ks_test STRUCT(statistic DOUBLE, pvalue DOUBLE), wasserstein_distance DOUBLE, population_stability_index DOUBLE,
	chi_squared_test STRUCT(statistic DOUBLE, pvalue DOUBLE), js_distance DOUBLE, tv_distance DOUBLE,
	l_infinity_distance DOUBLE, flagged BOOLEAN, flagged_by VARCHAR[]);
ALTER TABLE sys.profile_metrics ADD COLUMN IF NOT EXISTS digest VARCHAR;
CREATE TABLE IF NOT EXISTS sys.profile_stamps (table_name VARCHAR, run_id VARCHAR, stamp VARCHAR);
CREATE TABLE IF NOT EXISTS sys.content_days (reader VARCHAR, stamp VARCHAR, time_column VARCHAR, days VARCHAR);
CREATE TABLE IF NOT EXISTS sys.profile_samples (
	table_name VARCHAR, digest VARCHAR, column_name VARCHAR,
	sample DOUBLE[], value_counts STRUCT(item VARCHAR, count BIGINT)[]);
`

// A profile's samples and value counts (for drift, never shown) are kept
// once per window's digest in sys.profile_samples, not in each run's rows
// of sys.profile_metrics: a window whose rows do not change is profiled
// once and its samples stored once, and reading a run's profile does not
// scan every run's samples.

// RecordProfiles appends a run's profiles of a table inside the
// transaction, in order; the samples and value counts of a window go to
// sys.profile_samples once per digest.
func (tx *Tx) RecordProfiles(ctx context.Context, runID string, ps []ColumnProfile) error {
	if len(ps) == 0 {
		return nil
	}
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			CAST(? AS DOUBLE[]), from_json(?, '[{"item":"VARCHAR","count":"BIGINT"}]'), ?, ?, ?, ?,
			CAST(? AS DOUBLE[]), from_json(?, '[{"item":"VARCHAR","count":"BIGINT"}]'), ?)`
	const sampleRow = `(?, ?, ?, CAST(? AS DOUBLE[]), from_json(?, '[{"item":"VARCHAR","count":"BIGINT"}]'))`
	stored := map[string]bool{}
	rows, err := tx.tx.QueryContext(ctx, "SELECT DISTINCT digest FROM sys.profile_samples WHERE table_name = ?", ps[0].Table)
	if err != nil {
		return fmt.Errorf("lakehouse: record profile of %s: %w", ps[0].Table, err)
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return fmt.Errorf("lakehouse: record profile of %s: %w", ps[0].Table, err)
		}
		stored[d] = true
	}
	rows.Close()
	args := make([][]any, len(ps))
	var samples [][]any
	for i, p := range ps {
		q, _ := json.Marshal(p.Quantiles)
		fi, _ := json.Marshal(orEmpty(p.FrequentItems))
		vc, _ := json.Marshal(orEmpty(p.ValueCounts))
		sm, _ := json.Marshal(p.Sample)
		var inSample, inCounts any = nullJSON(p.Sample == nil, sm), string(vc)
		if p.Digest != "" {
			inSample, inCounts = nil, nil
			if !stored[p.Digest] && (p.Sample != nil || p.ValueCounts != nil) {
				samples = append(samples, []any{p.Table, p.Digest, p.ColumnName, nullJSON(p.Sample == nil, sm), string(vc)})
			}
		}
		args[i] = []any{p.Table, p.ColumnName, runID, p.ProfileType, nullString(p.Granularity), nullTime(p.WindowStart), nullTime(p.WindowEnd), p.ComputedAt,
			p.Count, p.DataType, p.NumNulls, p.PercentNull, p.NumZeros, p.PercentZeros, p.NumNaN, p.DistinctCount, p.PercentDistinct,
			p.Min, p.Max, p.Avg, p.Stddev, p.Median, nullJSON(p.Quantiles == nil, q), string(fi),
			p.MinLength, p.MaxLength, p.AvgLength, nullString(p.Note), inSample, inCounts, nullString(p.Digest)}
	}
	if err := insertRows(ctx, tx.tx, "INSERT INTO sys.profile_metrics VALUES ", row, args); err != nil {
		return fmt.Errorf("lakehouse: record profile of %s: %w", ps[0].Table, err)
	}
	if err := insertRows(ctx, tx.tx, "INSERT INTO sys.profile_samples VALUES ", sampleRow, samples); err != nil {
		return fmt.Errorf("lakehouse: record profile samples of %s: %w", ps[0].Table, err)
	}
	return nil
}

// Window names a window of a profile or of a time series' drift: a
// snapshot's has no granularity and a zero start.
type Window struct {
	Granularity string
	Start       time.Time
}

// windowSQL is the condition of the rows of the given windows.
func windowSQL(windows []Window) string {
	conds := make([]string, len(windows))
	for i, w := range windows {
		start := "window_start IS NULL"
		if !w.Start.IsZero() {
			start = "window_start = " + timestampLiteral(w.Start)
		}
		conds[i] = "(coalesce(granularity, '') = " + QuoteString(w.Granularity) + " AND " + start + ")"
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// CopyProfiles records again, as runID's at time at, the rows of table's
// profile that run fromRun recorded for the given windows (those a
// profile took from fromRun's, see ProfileOptions.Previous), in one
// statement inside the transaction.
func (tx *Tx) CopyProfiles(ctx context.Context, table, fromRun, runID string, at time.Time, windows []Window) error {
	if len(windows) == 0 {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO sys.profile_metrics SELECT * REPLACE (?::VARCHAR AS run_id, ?::TIMESTAMP AS computed_at)
		FROM sys.profile_metrics WHERE table_name = ? AND run_id = ? AND `+windowSQL(windows)+` ORDER BY rowid`,
		runID, at, table, fromRun)
	if err != nil {
		return fmt.Errorf("lakehouse: record profile of %s: %w", table, err)
	}
	return nil
}

// CopyDrift records again, as runID's at time at, the CONSECUTIVE drift
// rows of table that run fromRun recorded for the given windows, in one
// statement inside the transaction.
func (tx *Tx) CopyDrift(ctx context.Context, table, fromRun, runID string, at time.Time, windows []Window) error {
	if len(windows) == 0 {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO sys.drift_metrics SELECT * REPLACE (?::VARCHAR AS run_id, ?::TIMESTAMP AS computed_at)
		FROM sys.drift_metrics WHERE table_name = ? AND run_id = ? AND drift_type = ? AND `+windowSQL(windows)+` ORDER BY rowid`,
		runID, at, table, fromRun, Consecutive)
	if err != nil {
		return fmt.Errorf("lakehouse: record drift of %s: %w", table, err)
	}
	return nil
}

// LoadSamples fills the Sample and ValueCounts of the given profiles
// (read without them, as PreviousProfile reads) from
// sys.profile_samples, by their digests: lakebench's own read, for
// drift.
func (tx *Tx) LoadSamples(ctx context.Context, ps []*ColumnProfile) error {
	byKey := map[[2]string][]*ColumnProfile{}
	var digests []string
	for _, p := range ps {
		if p.Digest == "" || p.Sample != nil || p.ValueCounts != nil {
			continue
		}
		k := [2]string{p.Digest, p.ColumnName}
		if len(byKey[k]) == 0 && !slices.Contains(digests, p.Digest) {
			digests = append(digests, p.Digest)
		}
		byKey[k] = append(byKey[k], p)
	}
	if len(digests) == 0 {
		return nil
	}
	quoted := make([]string, len(digests))
	for i, d := range digests {
		quoted[i] = QuoteString(d)
	}
	// The lists are read as DuckDB's values, not as JSON text: formatting
	// every sampled double as text took most of a monitor's drift.
	rows, err := tx.tx.QueryContext(ctx, `SELECT digest, column_name, sample, value_counts
		FROM sys.profile_samples WHERE table_name = ? AND digest IN (`+strings.Join(quoted, ", ")+`)`, ps[0].Table)
	if err != nil {
		return fmt.Errorf("lakehouse: read sys.profile_samples: %w", queryError(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var d, c string
		var sm, vc any
		if err := rows.Scan(&d, &c, &sm, &vc); err != nil {
			return fmt.Errorf("lakehouse: read sys.profile_samples: %w", err)
		}
		var sample []float64
		var counts []FrequentItem
		if l, ok := sm.([]any); ok {
			sample = make([]float64, 0, len(l))
			for _, v := range l {
				f, ok := v.(float64)
				if !ok {
					return fmt.Errorf("lakehouse: read sys.profile_samples: %s of %s holds %T in its sample", c, ps[0].Table, v)
				}
				sample = append(sample, f)
			}
		}
		if l, ok := vc.([]any); ok {
			for _, v := range l {
				m, _ := v.(map[string]any)
				item, _ := m["item"].(string)
				counts = append(counts, FrequentItem{Item: item, Count: asInt(m["count"])})
			}
		}
		if len(counts) == 0 {
			counts = nil
		}
		for _, p := range byKey[[2]string{d, c}] {
			p.Sample, p.ValueCounts = sample, counts
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lakehouse: read sys.profile_samples: %w", queryError(ctx, err))
	}
	return nil
}

// RecordDrift appends a run's drift metrics of a table inside the
// transaction, in order.
func (tx *Tx) RecordDrift(ctx context.Context, runID string, ds []DriftMetric) error {
	test := func(t *TestResult) any {
		if t == nil {
			return nil
		}
		b, _ := json.Marshal(map[string]*float64{"statistic": finite(t.Statistic), "pvalue": finite(t.PValue)})
		return string(b)
	}
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			from_json(?, '{"statistic":"DOUBLE","pvalue":"DOUBLE"}'), ?, ?, from_json(?, '{"statistic":"DOUBLE","pvalue":"DOUBLE"}'), ?, ?, ?, ?, CAST(? AS VARCHAR[]))`
	args := make([][]any, len(ds))
	for i, d := range ds {
		by, _ := json.Marshal(orEmpty(d.FlaggedBy))
		args[i] = []any{d.Table, d.ColumnName, runID, d.DriftType, nullString(d.Granularity), nullTime(d.WindowStart), nullTime(d.WindowEnd),
			nullString(d.BaselineWindow), d.ComputedAt, d.CountDelta, d.AvgDelta, d.PercentNullDelta, d.PercentDistinctDelta,
			test(d.KSTest), d.WassersteinDistance, d.PopulationStabilityIdx, test(d.ChiSquaredTest), d.JSDistance, d.TVDistance,
			d.LInfinityDistance, d.Flagged, string(by)}
	}
	if err := insertRows(ctx, tx.tx, "INSERT INTO sys.drift_metrics VALUES ", row, args); err != nil {
		return fmt.Errorf("lakehouse: record drift of %s: %w", ds[0].Table, err)
	}
	return nil
}

// insertRows runs insert (an INSERT ... VALUES up to its rows) with one
// row of placeholders per element of args, in order, insertBatch rows to
// a statement: one statement per row cost a round trip, a parse and a
// bind each, most of a monitored table's time series recording.
func insertRows(ctx context.Context, e execer, insert, row string, args [][]any) error {
	for len(args) > 0 {
		n := min(len(args), insertBatch)
		var b strings.Builder
		b.WriteString(insert)
		flat := make([]any, 0, n*len(args[0]))
		for i, a := range args[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
			flat = append(flat, a...)
		}
		if _, err := e.ExecContext(ctx, b.String(), flat...); err != nil {
			return err
		}
		args = args[n:]
	}
	return nil
}

// insertBatch is how many rows insertRows writes in one statement.
const insertBatch = 64

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nullJSON(null bool, b []byte) any {
	if null {
		return nil
	}
	return string(b)
}

// ProfileMetrics reads the latest recorded profile of a table (every
// window of the latest run that profiled it), as the session's principal:
// it needs SELECT on the table itself as well as on sys.profile_metrics
// (a profile shows the table's values), and the read is audited.
func (lh *Lakehouse) ProfileMetrics(ctx context.Context, table string) ([]ColumnProfile, error) {
	t, err := ParseTableName(table)
	if err != nil {
		return nil, err
	}
	return governed(ctx, lh, func() ([]ColumnProfile, int64, error) {
		out, err := latestProfiles(ctx, lh.db, t.String(), "")
		return out, int64(len(out)), err
	}, sysTable("profile_metrics"), t)
}

// PreviousProfile is lakebench's own read, inside the transaction, of the
// latest profile of table recorded by a run other than runID (the
// previous run's, for a snapshot's CONSECUTIVE drift, and the windows a
// profile may reuse), without samples and value counts (LoadSamples reads
// those).
func (tx *Tx) PreviousProfile(ctx context.Context, table, runID string) ([]ColumnProfile, error) {
	return latestProfiles(ctx, tx.tx, table, runID)
}

// PreviousDrift is lakebench's own read, inside the transaction, of the
// drift metrics of table recorded by the latest run other than runID.
func (tx *Tx) PreviousDrift(ctx context.Context, table, runID string) ([]DriftMetric, error) {
	return latestDrift(ctx, tx.tx, table, runID)
}

// sys.profile_stamps keeps, per monitored table, the stamp (TableStamp)
// of the table its latest recorded profile was read from: a monitor whose
// previous profile was of the table an incremental_by_time build started
// from reads again only the windows the build could have replaced
// (ProfileOptions.UnchangedBefore).

// RecordProfileStamp records, inside the transaction, that runID's
// profile of table was read from the table at stamp ("" for none known),
// in place of the table's earlier record.
func (tx *Tx) RecordProfileStamp(ctx context.Context, table, runID, stamp string) error {
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM sys.profile_stamps WHERE table_name = ?", table); err != nil {
		return fmt.Errorf("lakehouse: record the stamp of %s's profile: %w", table, err)
	}
	if stamp == "" {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.profile_stamps VALUES (?, ?, ?)", table, runID, stamp); err != nil {
		return fmt.Errorf("lakehouse: record the stamp of %s's profile: %w", table, err)
	}
	return nil
}

// ProfileStamp is the stamp (TableStamp) of the table run runID's
// profile of table was read from, "" when none was recorded.
func (tx *Tx) ProfileStamp(ctx context.Context, table, runID string) (string, error) {
	var stamp string
	err := tx.tx.QueryRowContext(ctx, "SELECT stamp FROM sys.profile_stamps WHERE table_name = ? AND run_id = ?", table, runID).Scan(&stamp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lakehouse: the stamp of %s's profile: %w", table, queryError(ctx, err))
	}
	return stamp, nil
}

// UnchangedBefore is what ProfileOptions.UnchangedBefore may be for a
// time series of t on column, whose previous profile runID recorded: the
// first time its last build replaced (BuildRecord.From), when that build
// was an incremental_by_time build on column that started from the table
// the profile was read from (its stamp then); "" otherwise. was is that
// stamp (ProfileStamp), "" when t's model has no build or the profile
// none: the caller compares it with the table's stamp now, which tells an
// unchanged table (ProfileOptions.Unchanged) in the same statement.
func (tx *Tx) UnchangedBefore(ctx context.Context, t TableName, column, runID string) (from, was string, err error) {
	var since, col, rfrom, stamp sql.NullString
	err = tx.tx.QueryRowContext(ctx, `SELECT b.since, b.time_column, b.replaced_from, s.stamp
		FROM sys.model_builds AS b JOIN sys.profile_stamps AS s ON s.table_name = b.model
		WHERE b.model = ? AND s.run_id = ?`, t.String(), runID).Scan(&since, &col, &rfrom, &stamp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("lakehouse: the last build of %s: %w", t, queryError(ctx, err))
	}
	if since.String == "" || rfrom.String == "" || since.String != stamp.String || !strings.EqualFold(col.String, column) {
		return "", stamp.String, nil
	}
	return rfrom.String, stamp.String, nil
}

func latestProfiles(ctx context.Context, e execer, table, notRun string) ([]ColumnProfile, error) {
	rows, err := e.QueryContext(ctx, `WITH latest AS (
			SELECT run_id FROM sys.profile_metrics WHERE table_name = ? AND run_id IS DISTINCT FROM ?
			ORDER BY computed_at DESC LIMIT 1)
		SELECT table_name, column_name, coalesce(run_id, ''), profile_type, coalesce(granularity, ''), window_start, window_end, computed_at,
			count, data_type, num_nulls, percent_null, num_zeros, percent_zeros, num_nan, distinct_count, percent_distinct,
			min, max, avg, stddev, median, to_json(quantiles)::VARCHAR, to_json(frequent_items)::VARCHAR,
			min_length, max_length, avg_length, coalesce(note, ''), coalesce(digest, '')
		FROM sys.profile_metrics WHERE table_name = ? AND run_id = (SELECT run_id FROM latest)
		ORDER BY granularity NULLS FIRST, window_start NULLS FIRST, column_name = ':table' DESC, rowid`, table, notRun, table)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.profile_metrics: %w", queryError(ctx, err))
	}
	defer rows.Close()
	var out []ColumnProfile
	for rows.Next() {
		var p ColumnProfile
		var ws, we sql.NullTime
		var zeros, nan, minLen, maxLen sql.NullInt64
		var pz, avg, sd, med, avgLen sql.NullFloat64
		var mn, mx, q, fi sql.NullString
		if err := rows.Scan(&p.Table, &p.ColumnName, &p.RunID, &p.ProfileType, &p.Granularity, &ws, &we, &p.ComputedAt,
			&p.Count, &p.DataType, &p.NumNulls, &p.PercentNull, &zeros, &pz, &nan, &p.DistinctCount, &p.PercentDistinct,
			&mn, &mx, &avg, &sd, &med, &q, &fi, &minLen, &maxLen, &avgLen, &p.Note, &p.Digest); err != nil {
			return nil, fmt.Errorf("lakehouse: read sys.profile_metrics: %w", err)
		}
		p.WindowStart, p.WindowEnd = ws.Time, we.Time
		p.NumZeros, p.NumNaN, p.MinLength, p.MaxLength = intPtr(zeros), intPtr(nan), intPtr(minLen), intPtr(maxLen)
		p.PercentZeros, p.Avg, p.Stddev, p.Median, p.AvgLength = floatPtr(pz), floatPtr(avg), floatPtr(sd), floatPtr(med), floatPtr(avgLen)
		p.Min, p.Max = strPtr(mn), strPtr(mx)
		if q.Valid {
			json.Unmarshal([]byte(q.String), &p.Quantiles)
		}
		if fi.Valid {
			json.Unmarshal([]byte(fi.String), &p.FrequentItems)
		}
		if len(p.FrequentItems) == 0 {
			p.FrequentItems = nil
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.profile_metrics: %w", queryError(ctx, err))
	}
	return out, nil
}

func intPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

func floatPtr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

func strPtr(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

// DriftMetrics reads the latest recorded drift metrics of a table (every
// row of the latest run that computed them), governed as ProfileMetrics.
func (lh *Lakehouse) DriftMetrics(ctx context.Context, table string) ([]DriftMetric, error) {
	t, err := ParseTableName(table)
	if err != nil {
		return nil, err
	}
	return governed(ctx, lh, func() ([]DriftMetric, int64, error) {
		out, err := latestDrift(ctx, lh.db, t.String(), "")
		return out, int64(len(out)), err
	}, sysTable("drift_metrics"), t)
}

func latestDrift(ctx context.Context, e execer, table, notRun string) ([]DriftMetric, error) {
	rows, err := e.QueryContext(ctx, `WITH latest AS (
			SELECT run_id FROM sys.drift_metrics WHERE table_name = ? AND run_id IS DISTINCT FROM ? ORDER BY computed_at DESC LIMIT 1)
		SELECT table_name, column_name, coalesce(run_id, ''), drift_type, coalesce(granularity, ''), window_start, window_end,
			coalesce(baseline_window, ''), computed_at, count_delta, avg_delta, percent_null_delta, percent_distinct_delta,
			ks_test.statistic, ks_test.pvalue, wasserstein_distance, population_stability_index,
			chi_squared_test.statistic, chi_squared_test.pvalue, js_distance, tv_distance, l_infinity_distance,
			flagged, to_json(flagged_by)::VARCHAR, ks_test IS NULL, chi_squared_test IS NULL
		FROM sys.drift_metrics WHERE table_name = ? AND run_id = (SELECT run_id FROM latest)
		ORDER BY drift_type DESC, granularity NULLS FIRST, window_start NULLS FIRST, column_name = ':table' DESC, rowid`, table, notRun, table)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.drift_metrics: %w", queryError(ctx, err))
	}
	defer rows.Close()
	var out []DriftMetric
	for rows.Next() {
		var d DriftMetric
		var ws, we sql.NullTime
		var avg, ksS, ksP, w, psi, chiS, chiP, js, tv, linf sql.NullFloat64
		var by sql.NullString
		var noKS, noChi bool
		if err := rows.Scan(&d.Table, &d.ColumnName, &d.RunID, &d.DriftType, &d.Granularity, &ws, &we, &d.BaselineWindow, &d.ComputedAt,
			&d.CountDelta, &avg, &d.PercentNullDelta, &d.PercentDistinctDelta, &ksS, &ksP, &w, &psi, &chiS, &chiP,
			&js, &tv, &linf, &d.Flagged, &by, &noKS, &noChi); err != nil {
			return nil, fmt.Errorf("lakehouse: read sys.drift_metrics: %w", err)
		}
		d.WindowStart, d.WindowEnd = ws.Time, we.Time
		d.AvgDelta, d.WassersteinDistance, d.PopulationStabilityIdx = floatPtr(avg), floatPtr(w), floatPtr(psi)
		d.JSDistance, d.TVDistance, d.LInfinityDistance = floatPtr(js), floatPtr(tv), floatPtr(linf)
		nanOr := func(v sql.NullFloat64) float64 {
			if v.Valid {
				return v.Float64
			}
			return math.NaN()
		}
		if !noKS {
			d.KSTest = &TestResult{Statistic: nanOr(ksS), PValue: nanOr(ksP)}
		}
		if !noChi {
			d.ChiSquaredTest = &TestResult{Statistic: nanOr(chiS), PValue: nanOr(chiP)}
		}
		if by.Valid {
			json.Unmarshal([]byte(by.String), &d.FlaggedBy)
		}
		if len(d.FlaggedBy) == 0 {
			d.FlaggedBy = nil
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.drift_metrics: %w", queryError(ctx, err))
	}
	return out, nil
}

// Drift compares profiles with their references: each window of cur with
// the window before it of the same granularity (CONSECUTIVE), or, when
// prev is given (a snapshot's previous run), with prev; and each window
// with the baseline's snapshot (BASELINE), when baseline is given.
// Thresholds are drift_thresholds (missing keys take
// DefaultDriftThresholds). Both need the profiles' samples and value
// counts (ProfileOptions.Samples).
func Drift(cur, prev, baseline []ColumnProfile, thresholds map[string]float64, now time.Time) []DriftMetric {
	th := map[string]float64{}
	for k, v := range DefaultDriftThresholds {
		th[k] = v
	}
	for k, v := range thresholds {
		th[k] = v
	}
	type key struct {
		gran string
		col  string
	}
	var out []DriftMetric
	// windows in order, per granularity
	last := map[key]ColumnProfile{}
	if len(prev) > 0 {
		for _, p := range prev {
			if p.ProfileType == Snapshot || p.Granularity == "" {
				last[key{"", p.ColumnName}] = p
			}
		}
	}
	for _, c := range cur {
		k := key{c.Granularity, c.ColumnName}
		if b, ok := last[k]; ok {
			d := compareProfiles(b, c, th)
			d.DriftType, d.ComputedAt = Consecutive, now
			if !b.WindowStart.IsZero() {
				d.BaselineWindow = b.WindowStart.Format(time.DateTime)
			} else if b.RunID != "" {
				d.BaselineWindow = "run " + b.RunID
			}
			out = append(out, d)
		}
		last[k] = c
	}
	base := map[string]ColumnProfile{}
	for _, b := range baseline {
		if b.Granularity == "" {
			base[b.ColumnName] = b
		}
	}
	if len(base) > 0 {
		for _, c := range cur {
			if b, ok := base[c.ColumnName]; ok {
				d := compareProfiles(b, c, th)
				d.DriftType, d.ComputedAt, d.BaselineWindow = Baseline, now, b.Table
				out = append(out, d)
			}
		}
	}
	return out
}

// compareProfiles is the drift of column profile c against reference b.
func compareProfiles(b, c ColumnProfile, th map[string]float64) DriftMetric {
	d := DriftMetric{Table: c.Table, ColumnName: c.ColumnName, Granularity: c.Granularity,
		WindowStart: c.WindowStart, WindowEnd: c.WindowEnd,
		CountDelta: float64(c.Count - b.Count), PercentNullDelta: c.PercentNull - b.PercentNull,
		PercentDistinctDelta: c.PercentDistinct - b.PercentDistinct}
	if c.Avg != nil && b.Avg != nil {
		d.AvgDelta = finite(*c.Avg - *b.Avg)
	}
	flag := func(name string) { d.Flagged, d.FlaggedBy = true, append(d.FlaggedBy, name) }
	past := func(name string, v float64) bool { return th[name] > 0 && v >= th[name] }
	if c.ColumnName == TableColumn {
		return d
	}
	if past("percent_null_delta", math.Abs(d.PercentNullDelta)) {
		flag("percent_null_delta")
	}
	if past("percent_distinct_delta", math.Abs(d.PercentDistinctDelta)) {
		flag("percent_distinct_delta")
	}
	switch {
	case len(c.Sample) > 0 && len(b.Sample) > 0:
		ks := KSTest(b.Sample, c.Sample)
		d.KSTest = &ks
		d.WassersteinDistance = finite(Wasserstein(b.Sample, c.Sample))
		d.PopulationStabilityIdx = finite(PSI(b.Sample, c.Sample))
		if ks.PValue < th["ks_pvalue"] && ks.Statistic >= th["ks_statistic"] {
			flag("ks_test")
		}
		// PSI is a size; the KS p-value is its evidence: on small windows
		// PSI alone is mostly noise (30 rows give PSI 1 by chance).
		if d.PopulationStabilityIdx != nil && past("population_stability_index", *d.PopulationStabilityIdx) && ks.PValue < th["ks_pvalue"] {
			flag("population_stability_index")
		}
		if d.WassersteinDistance != nil && past("wasserstein_distance", *d.WassersteinDistance) {
			flag("wasserstein_distance")
		}
	case len(c.ValueCounts) > 0 && len(b.ValueCounts) > 0 && (columnKind(c.DataType) == profText || columnKind(c.DataType) == profBool):
		s := CompareCounts(counts(b.ValueCounts), counts(c.ValueCounts))
		d.ChiSquaredTest = &s.ChiSquared
		d.JSDistance, d.TVDistance, d.LInfinityDistance = finite(s.JS), finite(s.TV), finite(s.LInfinity)
		// Significant and large enough: a distance past its threshold
		// says the change matters, the p-value that it is no chance.
		if s.ChiSquared.PValue < th["chi_squared_pvalue"] {
			var by []string
			for _, x := range []struct {
				name string
				v    float64
			}{{"js_distance", s.JS}, {"tv_distance", s.TV}, {"l_infinity_distance", s.LInfinity}} {
				if past(x.name, x.v) {
					by = append(by, x.name)
				}
			}
			if len(by) > 0 {
				flag("chi_squared_test")
				d.FlaggedBy = append(d.FlaggedBy, by...)
			}
		}
	}
	return d
}

func counts(items []FrequentItem) map[string]int64 {
	out := make(map[string]int64, len(items))
	for _, it := range items {
		out[it.Item] += it.Count
	}
	return out
}
