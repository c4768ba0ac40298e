package lakehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the tables' health (freshness and completeness, as
// Databricks data quality monitoring): sys.table_results, and the
// aggregations over a table's history that package pipeline judges.

// healthDDL creates sys.table_results, shaped like Databricks'
// system.data_quality_monitoring.table_results, one row per check (the
// freshness and completeness structs of a Databricks row flattened into
// check, metric and column) and evaluated window.
const healthDDL = `
CREATE TABLE IF NOT EXISTS sys.table_results (
	event_time TIMESTAMP, schema_name VARCHAR, table_name VARCHAR, run_id VARCHAR,
	"check" VARCHAR, metric VARCHAR, column_name VARCHAR, source VARCHAR,
	status VARCHAR, error_code VARCHAR,
	last_value DOUBLE, min_predicted DOUBLE, max_predicted DOUBLE,
	window_start TIMESTAMP, window_end TIMESTAMP, message VARCHAR,
	downstream_impact STRUCT(impact_level INTEGER, num_downstream_tables INTEGER, downstream_tables VARCHAR[]));
CREATE TABLE IF NOT EXISTS sys.health_file_stats (
	table_name VARCHAR, file_id BIGINT, columns VARCHAR, rows BIGINT, nulls BIGINT[]);
CREATE TABLE IF NOT EXISTS sys.health_table_stats (
	table_name VARCHAR, stamp VARCHAR, day_column VARCHAR, columns VARCHAR, days VARCHAR);
-- digest: each row's keptStatsDigest or fileStatsDigest, as written; rows
-- kept before it (NULL) or edited since are not trusted.
ALTER TABLE sys.health_file_stats ADD COLUMN IF NOT EXISTS digest VARCHAR;
ALTER TABLE sys.health_table_stats ADD COLUMN IF NOT EXISTS digest VARCHAR;
`

// keptStatsDigest and fileStatsDigest are the SQL of the digest of a row
// of sys.health_table_stats and of sys.health_file_stats, over its
// columns: written with each row, and compared when it is read, so that
// a row edited in the file by hand (no governed statement writes sys,
// whoever runs it), copied, or kept in an older form, is read from the
// table again instead. The digest has no secret: it catches an edit that
// does not make it anew, not one that does; whoever can edit the file
// that way can change any table in it anyway.
const (
	keptStatsDigest = `md5(concat_ws(chr(0), 'lakebench health stats v2', table_name, stamp, day_column, columns, days))`
	fileStatsDigest = `md5(concat_ws(chr(0), 'lakebench health file stats v2', table_name, file_id::VARCHAR, columns, rows::VARCHAR, nulls::VARCHAR))`
)

// validFileStats is sys.health_file_stats' rows whose digest holds, each
// once.
const validFileStats = `(SELECT DISTINCT table_name, file_id, columns, rows, nulls FROM sys.health_file_stats WHERE digest = ` + fileStatsDigest + `)`

// sys.health_table_stats keeps a model's table's last DailyStats (one
// row, the days as JSON: written in one statement, as each health step
// writes it for every table that changed) with
// the stamp of the table's data it was read at: the model's last build
// (InputState) and DuckDB's count of its rows. A health step whose stamp
// is the same reuses them instead of reading the table.

// sys.health_file_stats keeps, per ingested file of a bronze table, its
// rows and the NULLs of each column (of the column list columns names):
// a bronze table's days are its batches, made of files whose stored rows
// never change (a reload is a new file), so a health step counts only
// the files loaded since the last one and adds up the rest.

// The statuses of a table result, as Databricks data quality monitoring.
const (
	Healthy   = "Healthy"
	Unhealthy = "Unhealthy"
	Unknown   = "Unknown"
)

// NotEnoughHistory is the error code of an Unknown result whose table has
// too short a history to learn from.
const NotEnoughHistory = "NOT_ENOUGH_TABLE_HISTORY"

// HealthResult is one check of one table in sys.table_results, shaped like
// system.data_quality_monitoring.table_results: freshness or completeness,
// learned from the table's own history (or an explicit objective).
type HealthResult struct {
	EvaluatedAt time.Time `json:"event_time"`
	Table       string    `json:"table"`
	RunID       string    `json:"run_id,omitempty"`
	// Check is "freshness" or "completeness".
	Check string `json:"check"`
	// Metric says what was measured: commit_freshness (seconds since the
	// last commit), data_freshness (days since the last day of data),
	// daily_row_count, percent_null (of Column), or for objectives
	// objective_freshness and objective_completeness.
	Metric string `json:"metric"`
	// Column is the column a percent_null or objective_completeness
	// result is about.
	Column string `json:"column,omitempty"`
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
	// ImpactLevel grades the impact, as Databricks' impact_level: 0 when
	// the check is not Unhealthy, else 1 (nothing downstream) to 4 (a
	// registered model downstream).
	ImpactLevel int `json:"impact_level"`
}

// TableResults reads the latest result of each check of each table (table
// "" means every table the principal may read): for each table, check,
// metric and source, the result of the newest window, as last
// evaluated.
func (lh *Lakehouse) TableResults(ctx context.Context, table string) ([]HealthResult, error) {
	return lh.tableResults(ctx, table, true)
}

// TableResultHistory reads every recorded result of table ("" for every
// table the principal may read), oldest window first.
func (lh *Lakehouse) TableResultHistory(ctx context.Context, table string) ([]HealthResult, error) {
	return lh.tableResults(ctx, table, false)
}

func (lh *Lakehouse) tableResults(ctx context.Context, table string, latest bool) ([]HealthResult, error) {
	if table != "" {
		t, err := ParseTableName(table)
		if err != nil {
			return nil, err
		}
		table = t.String()
		// A table's results are its data's (row counts, NULL shares):
		// asking for one the principal may not read is refused, naming
		// the grant.
		if lh.principal != "" {
			if err := lh.Authorize(ctx, lh.principal, []TableName{t}, nil); err != nil {
				return nil, err
			}
		}
	}
	// A file no writer opened since health results came has no table of
	// them yet: nothing was evaluated.
	var exists bool
	if err := lh.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'sys' AND table_name = 'table_results'`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.table_results: %w", queryError(ctx, err))
	}
	if !exists {
		return []HealthResult{}, nil
	}
	return governed(ctx, lh, func() ([]HealthResult, int64, error) {
		out, err := readTableResults(ctx, lh.db, table, latest)
		if err != nil {
			return nil, 0, err
		}
		// Only the tables the principal may read: the values are the data's.
		names := map[string]TableName{}
		for _, r := range out {
			names[r.Table], _ = ParseTableName(r.Table)
		}
		all := make([]TableName, 0, len(names))
		for _, t := range names {
			all = append(all, t)
		}
		ok, err := lh.readable(ctx, all)
		if err != nil {
			return nil, 0, err
		}
		kept := out[:0]
		for _, r := range out {
			if slices.Contains(ok, names[r.Table]) {
				kept = append(kept, r)
			}
		}
		return kept, int64(len(kept)), nil
	}, sysTable("table_results"))
}

func readTableResults(ctx context.Context, e execer, table string, latest bool) ([]HealthResult, error) {
	q := `SELECT event_time, schema_name || '.' || table_name, coalesce(run_id, ''), "check", metric, coalesce(column_name, ''),
		coalesce(source, ''), status, coalesce(error_code, ''), coalesce(last_value, 0), coalesce(min_predicted, 0),
		coalesce(max_predicted, 0), window_start, window_end, coalesce(message, ''),
		coalesce(downstream_impact.impact_level, 0), coalesce(downstream_impact.downstream_tables, [])::VARCHAR[]
		FROM sys.table_results WHERE ? = '' OR schema_name || '.' || table_name = ?`
	if latest {
		q += ` QUALIFY row_number() OVER (PARTITION BY schema_name, table_name, "check", metric, source
			ORDER BY window_end DESC NULLS LAST, event_time DESC) = 1`
		q += ` ORDER BY 2, list_position(['freshness', 'completeness'], "check"), source, metric, column_name`
	} else {
		q += ` ORDER BY 2, window_start NULLS FIRST, event_time, list_position(['freshness', 'completeness'], "check"), source, metric, column_name`
	}
	rows, err := e.QueryContext(ctx, q, table, table)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.table_results: %w", queryError(ctx, err))
	}
	defer rows.Close()
	out := []HealthResult{}
	for rows.Next() {
		var r HealthResult
		var start, end sql.NullTime
		var down []any
		if err := rows.Scan(&r.EvaluatedAt, &r.Table, &r.RunID, &r.Check, &r.Metric, &r.Column, &r.Source, &r.Status,
			&r.ErrorCode, &r.Observed, &r.PredictedMin, &r.PredictedMax, &start, &end, &r.Message, &r.ImpactLevel, &down); err != nil {
			return nil, fmt.Errorf("lakehouse: read sys.table_results: %w", err)
		}
		r.WindowStart, r.WindowEnd = start.Time, end.Time
		for _, d := range down {
			if s, ok := d.(string); ok {
				r.DownstreamImpact = append(r.DownstreamImpact, s)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.table_results: %w", queryError(ctx, err))
	}
	return out, nil
}

// healthRow is a result as RecordHealth hands it to DuckDB, in JSON.
type healthRow struct {
	EventTime   string   `json:"event_time"`
	Schema      string   `json:"schema_name"`
	Table       string   `json:"table_name"`
	RunID       *string  `json:"run_id"`
	Check       string   `json:"check"`
	Metric      string   `json:"metric"`
	Column      *string  `json:"column_name"`
	Source      string   `json:"source"`
	Status      string   `json:"status"`
	ErrorCode   *string  `json:"error_code"`
	Last        float64  `json:"last_value"`
	Min         float64  `json:"min_predicted"`
	Max         float64  `json:"max_predicted"`
	WindowStart *string  `json:"window_start"`
	WindowEnd   *string  `json:"window_end"`
	Message     *string  `json:"message"`
	ImpactLevel int      `json:"impact_level"`
	NumTables   int      `json:"num_downstream_tables"`
	Downstream  []string `json:"downstream_tables"`
}

// RecordHealth appends results to sys.table_results in one statement (a
// sample's first run records thousands): the rows go to DuckDB as one
// JSON value, unnested there.
func (lh *Lakehouse) RecordHealth(ctx context.Context, results []HealthResult) error {
	if len(results) == 0 {
		return nil
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999") }
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	optTime := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		return opt(ts(t))
	}
	rows := make([]healthRow, len(results))
	for i, r := range results {
		t, err := ParseTableName(r.Table)
		if err != nil {
			return err
		}
		down := r.DownstreamImpact
		if down == nil {
			down = []string{}
		}
		tables := 0
		for _, d := range down {
			if !strings.HasPrefix(d, "model:") {
				tables++
			}
		}
		rows[i] = healthRow{EventTime: ts(r.EvaluatedAt), Schema: t.Schema, Table: t.Name, RunID: opt(r.RunID), Check: r.Check,
			Metric: r.Metric, Column: opt(r.Column), Source: r.Source, Status: r.Status, ErrorCode: opt(r.ErrorCode),
			Last: r.Observed, Min: r.PredictedMin, Max: r.PredictedMax, WindowStart: optTime(r.WindowStart), WindowEnd: optTime(r.WindowEnd),
			Message: opt(r.Message), ImpactLevel: r.ImpactLevel, NumTables: tables, Downstream: down}
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("lakehouse: record health: %w", err)
	}
	_, err = lh.db.ExecContext(ctx, `INSERT INTO sys.table_results
		SELECT r.event_time::TIMESTAMP, r.schema_name, r.table_name, r.run_id, r."check", r.metric, r.column_name, r.source,
			r.status, r.error_code, r.last_value, r.min_predicted, r.max_predicted, r.window_start::TIMESTAMP, r.window_end::TIMESTAMP,
			r.message, {'impact_level': r.impact_level, 'num_downstream_tables': r.num_downstream_tables, 'downstream_tables': r.downstream_tables}
		FROM (SELECT unnest(from_json(?::JSON, '[{"event_time": "VARCHAR", "schema_name": "VARCHAR", "table_name": "VARCHAR",
			"run_id": "VARCHAR", "check": "VARCHAR", "metric": "VARCHAR", "column_name": "VARCHAR", "source": "VARCHAR",
			"status": "VARCHAR", "error_code": "VARCHAR", "last_value": "DOUBLE", "min_predicted": "DOUBLE", "max_predicted": "DOUBLE",
			"window_start": "VARCHAR", "window_end": "VARCHAR", "message": "VARCHAR", "impact_level": "INTEGER",
			"num_downstream_tables": "INTEGER", "downstream_tables": ["VARCHAR"]}]')) AS r)`, string(payload))
	if err != nil {
		return fmt.Errorf("lakehouse: record health: %w", err)
	}
	return nil
}

// EvaluatedWindows returns, for each table, metric and source
// already in sys.table_results (keyed by HealthKey), the start of the
// newest window evaluated: the windows after it are still to evaluate.
func (lh *Lakehouse) EvaluatedWindows(ctx context.Context) (map[string]time.Time, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT schema_name || '.' || table_name, metric, source, max(window_start)
		FROM sys.table_results WHERE window_start IS NOT NULL GROUP BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.table_results: %w", queryError(ctx, err))
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var table, metric, source string
		var at time.Time
		if err := rows.Scan(&table, &metric, &source, &at); err != nil {
			return nil, fmt.Errorf("lakehouse: read sys.table_results: %w", err)
		}
		out[HealthKey(table, metric, source)] = at
	}
	return out, rows.Err()
}

// HealthKey names one series of results: a table's metric from a source.
func HealthKey(table, metric, source string) string {
	return table + "\x00" + metric + "\x00" + source
}

// HealthTable is a table of the medallion layers as health checks see it.
type HealthTable struct {
	Table TableName
	// Columns are its columns, lineage and result columns (those named
	// with a leading underscore) left out.
	Columns []Column
	// Commits are when successful tasks wrote rows to it, oldest first.
	Commits []time.Time
}

// HealthColumns are the columns of cols health checks judge: all but the
// lineage and result columns (those named with a leading underscore).
func HealthColumns(cols []Column) []Column {
	var out []Column
	for _, c := range cols {
		if !strings.HasPrefix(c.Name, "_") {
			out = append(out, c)
		}
	}
	return out
}

// HealthTables lists the tables of the medallion layers (bronze, silver,
// gold; quarantines apart) that exist, with their columns and commit
// history from sys.task_runs. It is lakebench's own read, for a run's
// health step.
func (lh *Lakehouse) HealthTables(ctx context.Context) ([]HealthTable, error) {
	columns, err := lh.columns(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := lh.db.QueryContext(ctx, `SELECT target_table, list(DISTINCT ended_at ORDER BY ended_at)
		FROM sys.task_runs WHERE status = 'succeeded' AND rows_written > 0 AND target_table IS NOT NULL AND ended_at IS NOT NULL GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read commit history: %w", queryError(ctx, err))
	}
	commits := map[string][]time.Time{}
	for rows.Next() {
		var table string
		var at []any
		if err := rows.Scan(&table, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lakehouse: read commit history: %w", err)
		}
		for _, a := range at {
			if t, ok := a.(time.Time); ok {
				commits[table] = append(commits[table], t)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: read commit history: %w", err)
	}
	var out []HealthTable
	for _, schema := range []string{"bronze", "silver", "gold"} {
		var names []TableName
		for t := range columns {
			if t.Schema == schema && !strings.HasSuffix(t.Name, "_quarantine") {
				names = append(names, t)
			}
		}
		slices.SortFunc(names, func(a, b TableName) int { return strings.Compare(a.Name, b.Name) })
		for _, t := range names {
			out = append(out, HealthTable{Table: t, Commits: commits[t.String()], Columns: HealthColumns(columns[t])})
		}
	}
	return out, nil
}

// DayStats is one day of a table's data: its rows, the NULLs of each
// column (in the order of DailyStats' columns), and the newest value of
// the day column.
type DayStats struct {
	Day   time.Time
	Rows  int64
	Nulls []int64
	Last  time.Time
}

// WholeTable is the day "column" of DailyStats that makes the whole table
// one day (dated 1970-01-01).
const WholeTable = "*"

// DailyStats aggregates a table's rows by day in one pass: the rows, the
// NULLs of each of columns and the newest day column value per day of
// dayColumn (a DATE or TIMESTAMP column); when dayColumn is "", per batch
// of a bronze table whose batch ids are dates (the landing files' dates);
// when WholeTable, the table as one day. Days are in order; rows without a
// day are left out. It is lakebench's own read, for a run's health step
// (which reads every table's at once: HealthStats).
func (lh *Lakehouse) DailyStats(ctx context.Context, t TableName, dayColumn string, columns []string) ([]DayStats, error) {
	r := lh.HealthStats(ctx, []StatsRequest{{Table: t, DayColumn: dayColumn, Columns: columns}})[0]
	return r.Days, r.Err
}

// dailyStatsOne is DailyStats of one table, each of its lookups a
// statement of its own: HealthStats' way for a table whose statement for
// several tables failed.
func (lh *Lakehouse) dailyStatsOne(ctx context.Context, t TableName, dayColumn string, columns []string) ([]DayStats, error) {
	if dayColumn == "" {
		if ok, err := lh.storedRows(ctx, t); err != nil || ok {
			if err != nil {
				return nil, err
			}
			return lh.batchStats(ctx, t, columns)
		}
	}
	stamp, rows, ok, err := tableStamp(ctx, lh.db, t)
	if err != nil {
		return nil, err
	}
	if !ok || rows < lh.keepStatsFrom {
		return lh.dailyStatsScan(ctx, t, dayColumn, columns, "")
	}
	key := strings.Join(columns, "\x00")
	if days, found, err := lh.keptStats(ctx, t, stamp, dayColumn, key, len(columns)); err != nil || found {
		return days, err
	}
	days, found, err := lh.statsSince(ctx, t, dayColumn, key, columns)
	if err != nil {
		return nil, err
	}
	if !found {
		if days, err = lh.dailyStatsScan(ctx, t, dayColumn, columns, ""); err != nil {
			return nil, err
		}
	}
	if err := lh.keepStats(ctx, t, stamp, dayColumn, key, days); err != nil {
		return nil, err
	}
	return days, nil
}

// onStatsScan, when set (by tests), is called each time DailyStats reads
// a table by a scan, with the day it reads from ("" for all).
var onStatsScan func(t TableName, from string)

// statsSince is DailyStats of t after an incremental_by_time build on its
// day column, when the figures kept were of the table the build started
// from (its stamp then, BuildRecord.Since): the days before the first day
// it replaced are those kept, the others are read. found is false when
// that does not hold.
func (lh *Lakehouse) statsSince(ctx context.Context, t TableName, dayColumn, key string, columns []string) ([]DayStats, bool, error) {
	var since, column, from sql.NullString
	err := lh.db.QueryRowContext(ctx, "SELECT since, time_column, replaced_from FROM sys.model_builds WHERE model = ?", t.String()).Scan(&since, &column, &from)
	if err != nil {
		return nil, false, fmt.Errorf("lakehouse: daily stats of %s: %w", t, err)
	}
	if since.String == "" || from.String == "" || !strings.EqualFold(column.String, dayColumn) {
		return nil, false, nil
	}
	kept, found, err := lh.keptStats(ctx, t, since.String, dayColumn, key, len(columns))
	if err != nil || !found {
		return nil, false, err
	}
	var first time.Time
	if err := lh.db.QueryRowContext(ctx, "SELECT CAST("+from.String+" AS DATE)").Scan(&first); err != nil {
		return nil, false, fmt.Errorf("lakehouse: daily stats of %s: the first day replaced: %w", t, err)
	}
	read, err := lh.dailyStatsScan(ctx, t, dayColumn, columns, "CAST("+from.String+" AS DATE)")
	if err != nil {
		return nil, false, err
	}
	var out []DayStats
	for _, d := range kept {
		if d.Day.Before(first) {
			out = append(out, d)
		}
	}
	return append(out, read...), true, nil
}

// keptDay is a DayStats as sys.health_table_stats keeps it: the day and
// the newest time in microseconds since the epoch (0 for none).
type keptDay struct {
	Day   int64   `json:"d"`
	Rows  int64   `json:"r"`
	Nulls []int64 `json:"n"`
	Last  int64   `json:"l,omitempty"`
}

// keptStats reads the DailyStats kept for t at stamp, for this day column
// and column list; found is false when none are.
func (lh *Lakehouse) keptStats(ctx context.Context, t TableName, stamp, dayColumn, key string, ncols int) ([]DayStats, bool, error) {
	var doc string
	err := lh.db.QueryRowContext(ctx, `SELECT days FROM sys.health_table_stats
		WHERE table_name = ? AND stamp = ? AND day_column = ? AND columns = ? AND digest = `+keptStatsDigest+` LIMIT 1`, t.String(), stamp, dayColumn, key).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
	}
	var kept []keptDay
	if err := json.Unmarshal([]byte(doc), &kept); err != nil {
		return nil, false, nil // read the table instead
	}
	out := make([]DayStats, 0, len(kept))
	for _, k := range kept {
		if len(k.Nulls) != ncols {
			return nil, false, nil
		}
		d := DayStats{Day: time.UnixMicro(k.Day).UTC(), Rows: k.Rows, Nulls: k.Nulls}
		if k.Last != 0 {
			d.Last = time.UnixMicro(k.Last).UTC()
		}
		out = append(out, d)
	}
	return out, true, nil
}

// keepStats replaces the DailyStats kept for t (this day column and
// column list) with days, read at stamp.
func (lh *Lakehouse) keepStats(ctx context.Context, t TableName, stamp, dayColumn, key string, days []DayStats) error {
	kept := make([]keptDay, len(days))
	for i, d := range days {
		kept[i] = keptDay{Day: d.Day.UnixMicro(), Rows: d.Rows, Nulls: d.Nulls}
		if !d.Last.IsZero() {
			kept[i].Last = d.Last.UnixMicro()
		}
	}
	doc, err := json.Marshal(kept)
	if err != nil {
		return fmt.Errorf("lakehouse: keep the daily stats of %s: %w", t, err)
	}
	tx, err := lh.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lakehouse: keep the daily stats of %s: %w", t, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM sys.health_table_stats WHERE table_name = ? AND day_column = ? AND columns = ?", t.String(), dayColumn, key); err != nil {
		return fmt.Errorf("lakehouse: keep the daily stats of %s: %w", t, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO sys.health_table_stats SELECT *, "+keptStatsDigest+
		" FROM (VALUES (?, ?, ?, ?, ?)) AS v(table_name, stamp, day_column, columns, days)", t.String(), stamp, dayColumn, key, string(doc)); err != nil {
		return fmt.Errorf("lakehouse: keep the daily stats of %s: %w", t, err)
	}
	return tx.Commit()
}

// storedRows reports whether t is an ingested table whose rows are stored
// apart with their file ids (storeTable).
func (lh *Lakehouse) storedRows(ctx context.Context, t TableName) (bool, error) {
	cols, err := tableColumns(ctx, lh.db, storeTable(t))
	if err != nil {
		return false, fmt.Errorf("lakehouse: daily stats of %s: %w", t, err)
	}
	return slices.ContainsFunc(cols, func(c Column) bool { return c.Name == fileIDColumn }), nil
}

// batchStats is DailyStats of a bronze table by batch: the files not yet
// counted (for this list of columns) are counted into
// sys.health_file_stats, then the files of each batch added up.
func (lh *Lakehouse) batchStats(ctx context.Context, t TableName, columns []string) ([]DayStats, error) {
	key := strings.Join(columns, "\x00")
	// The files not yet counted, usually the day's one or none: their ids
	// go into the scan as constants, whose bounds let DuckDB skip every
	// row group of the files counted before (a store table is appended
	// to file by file), where a subquery would have it read the file id
	// of every row.
	var ids []int64
	rows, err := lh.db.QueryContext(ctx, `SELECT file_id FROM sys.ingested_files WHERE table_name = ?
		AND file_id NOT IN (SELECT file_id FROM `+validFileStats+` WHERE table_name = ? AND columns = ?) ORDER BY file_id`, t.String(), t.String(), key)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
	}
	if len(ids) > 0 {
		if onStatsScan != nil {
			onStatsScan(t, fmt.Sprintf("%d files", len(ids)))
		}
		list := make([]string, len(ids))
		for i, id := range ids {
			list[i] = strconv.FormatInt(id, 10)
		}
		var b strings.Builder
		b.WriteString("INSERT INTO sys.health_file_stats SELECT *, " + fileStatsDigest + " FROM (SELECT ?::VARCHAR, " + fileIDColumn + ", ?::VARCHAR, count(*), [")
		for i, c := range columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("count(*) - count(" + QuoteIdent(c) + ")")
		}
		fmt.Fprintf(&b, "]::BIGINT[] FROM %s WHERE %s BETWEEN %d AND %d AND %s IN (%s) GROUP BY %s) AS lb_s(table_name, file_id, columns, rows, nulls)",
			storeTable(t).SQL(), fileIDColumn, ids[0], ids[len(ids)-1], fileIDColumn, strings.Join(list, ", "), fileIDColumn)
		if _, err := lh.db.ExecContext(ctx, b.String(), t.String(), key); err != nil {
			return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
		}
		// A file with no stored rows (all quarantined) is counted too, as
		// no rows, so that no later step reads it again.
		zeros := strings.TrimSuffix(strings.Repeat("0, ", len(columns)), ", ")
		if _, err := lh.db.ExecContext(ctx, "INSERT INTO sys.health_file_stats SELECT *, "+fileStatsDigest+" FROM (SELECT ?::VARCHAR, id, ?::VARCHAR, 0, ["+zeros+"]::BIGINT[] FROM unnest(["+strings.Join(list, ", ")+
			"]::BIGINT[]) AS f(id) WHERE id NOT IN (SELECT file_id FROM "+validFileStats+" WHERE table_name = ? AND columns = ?)) AS lb_s(table_name, file_id, columns, rows, nulls)", t.String(), key, t.String(), key); err != nil {
			return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
		}
	}
	rows, err = lh.db.QueryContext(ctx, `SELECT TRY_CAST(f.batch_id AS DATE) AS lb_day, s.rows, s.nulls
		FROM `+validFileStats+` AS s JOIN sys.ingested_files AS f ON f.file_id = s.file_id AND f.table_name = s.table_name
		WHERE s.table_name = ? AND s.columns = ? AND s.rows > 0 AND lb_day IS NOT NULL ORDER BY lb_day`, t.String(), key)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
	}
	defer rows.Close()
	var out []DayStats
	for rows.Next() {
		var day time.Time
		var n int64
		var nulls []any
		if err := rows.Scan(&day, &n, &nulls); err != nil {
			return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, err)
		}
		if len(out) == 0 || !out[len(out)-1].Day.Equal(day) {
			out = append(out, DayStats{Day: day, Nulls: make([]int64, len(columns))})
		}
		d := &out[len(out)-1]
		d.Rows += n
		for i := range min(len(nulls), len(d.Nulls)) {
			d.Nulls[i] += asInt(nulls[i])
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
	}
	return out, nil
}

// dailyStatsScan is DailyStats by one scan of the table.
// With from (a SQL DATE) set, only the days from it on, whose rows of
// dayColumn from it on it reads (the other row groups are skipped by
// their bounds).
func (lh *Lakehouse) dailyStatsScan(ctx context.Context, t TableName, dayColumn string, columns []string, from string) ([]DayStats, error) {
	if onStatsScan != nil {
		onStatsScan(t, from)
	}
	day, last := "TRY_CAST(_batch_id AS DATE)", "NULL::TIMESTAMP"
	switch dayColumn {
	case "":
	case WholeTable:
		day = "DATE '1970-01-01'"
	default:
		day = "CAST(" + QuoteIdent(dayColumn) + " AS DATE)"
		last = "max(" + QuoteIdent(dayColumn) + ")::TIMESTAMP"
	}
	var b strings.Builder
	b.WriteString("SELECT " + day + " AS lb_day, count(*), " + last)
	for _, c := range columns {
		b.WriteString(", count(*) - count(" + QuoteIdent(c) + ")")
	}
	b.WriteString(" FROM " + t.SQL() + " WHERE lb_day IS NOT NULL")
	if from != "" && dayColumn != "" && dayColumn != WholeTable {
		b.WriteString(" AND " + QuoteIdent(dayColumn) + " >= " + from)
	}
	b.WriteString(" GROUP BY lb_day ORDER BY lb_day")
	rows, err := lh.db.QueryContext(ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
	}
	defer rows.Close()
	var out []DayStats
	for rows.Next() {
		d := DayStats{Nulls: make([]int64, len(columns))}
		var at sql.NullTime
		dest := []any{&d.Day, &d.Rows, &at}
		for i := range d.Nulls {
			dest = append(dest, &d.Nulls[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, err)
		}
		d.Last = at.Time
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: daily stats of %s: %w", t, queryError(ctx, err))
	}
	return out, nil
}
