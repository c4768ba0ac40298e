package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// This file holds the read functions behind the terminal UI's views (and any
// command that wants the same answers): recent runs and their tasks, quality
// results, quarantined rows, ingested files per source, freshness, the run
// success ratio and table sizes. Each returns plain structs.
//
// Each reads as the session's principal (Options.Principal, SetPrincipal),
// through the check a query of the same tables gets: a read of a table the
// principal may not SELECT is refused with an *AccessError, and every read
// is audited. Lakebench itself ("" principal) and the owner read everything.

// sysTable names a system table.
func sysTable(name string) TableName { return TableName{Schema: "sys", Name: name} }

// governed runs read as the session's principal: the tables it reads get
// the check that "SELECT * FROM <tables>" gets from Query (a refusal is
// audited and returned), and the read is audited once, with its row count.
//
// The target's job history (runs, task runs, quality results, loaded
// files, and when each table was last written) is also open to a principal holding a permission on the target
// (CAN_VIEW or stronger), as a Databricks job's run results are to CAN_VIEW
// on the job: only its rows, never a table's data, are shown that way.
func governed[T any](ctx context.Context, lh *Lakehouse, read func() (T, int64, error), tables ...TableName) (T, error) {
	var zero T
	from := make([]string, len(tables))
	for i, t := range tables {
		from[i] = t.SQL()
	}
	names, action, err := lh.authorizeSQL(ctx, "SELECT * FROM "+strings.Join(from, ", "))
	if ae := (*AccessError)(nil); errors.As(err, &ae) && jobHistory(tables) {
		if level, deployed, perr := lh.PermissionLevel(ctx, lh.principal); perr == nil && deployed && levelRank(level) >= levelRank(CanView) {
			err, action = nil, "SELECT ("+level+" on the target)"
		}
	}
	if err != nil {
		return zero, err
	}
	v, n, err := read()
	if aerr := lh.audited(ctx, action, "", names, n, err); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		return zero, err
	}
	return v, nil
}

// jobHistory reports whether every table is one of the system tables that
// record the target's jobs (see governed).
func jobHistory(tables []TableName) bool {
	for _, t := range tables {
		switch t {
		case sysTable("runs"), sysTable("task_runs"), sysTable("quality_results"), sysTable("ingested_files"), sysTable("catalog"),
			sysTable("backups"), sysTable("restores"), // an SLA's RPO and RTO
			sysTable("alert_history"), // the caller hides the values of alerts whose query the principal may not run (pipeline.AlertStatuses)
			sysTable("table_results"): // TableResults keeps only the tables the principal may read
		default:
			return false
		}
	}
	return len(tables) > 0
}

// readable returns those of tables the session's principal holds SELECT on
// (on the table or its schema), without auditing: the catalog lists only
// these. One check covers the common case (lakebench itself, the owner, a
// target without governance, a principal granted everything); else each
// table is checked.
func (lh *Lakehouse) readable(ctx context.Context, tables []TableName) ([]TableName, error) {
	if lh.principal == "" {
		return tables, nil
	}
	err := lh.Authorize(ctx, lh.principal, tables, nil)
	var ae *AccessError
	if err == nil || !errors.As(err, &ae) {
		return tables, err
	}
	var out []TableName
	for _, t := range tables {
		err := lh.Authorize(ctx, lh.principal, []TableName{t}, nil)
		switch {
		case err == nil:
			out = append(out, t)
		case !errors.As(err, &ae):
			return nil, err
		}
	}
	return out, nil
}

// RecentRuns lists the latest runs of the target, newest first; limit <= 0
// means all of them.
func (lh *Lakehouse) RecentRuns(ctx context.Context, limit int) ([]Run, error) {
	return governed(ctx, lh, func() ([]Run, int64, error) {
		out, err := lh.recentRuns(ctx, limit)
		return out, int64(len(out)), err
	}, sysTable("runs"))
}

func (lh *Lakehouse) recentRuns(ctx context.Context, limit int) ([]Run, error) {
	q := `SELECT run_id, coalesce(job, ''), coalesce(target, ''), coalesce(principal, ''), started_at, ended_at,
		coalesce(status, ''), coalesce(error, '') FROM sys.runs ORDER BY started_at DESC, run_id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := lh.db.QueryContext(ctx, q)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		var r Run
		var started, ended sql.NullTime
		if err := rows.Scan(&r.RunID, &r.Job, &r.Target, &r.Principal, &started, &ended, &r.Status, &r.Error); err != nil {
			return nil, fmt.Errorf("lakehouse: read runs: %w", err)
		}
		r.StartedAt, r.EndedAt = started.Time, ended.Time
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx, err)
	}
	return out, nil
}

// TaskRuns lists one run's tasks in the order they started.
func (lh *Lakehouse) TaskRuns(ctx context.Context, runID string) ([]TaskRun, error) {
	return governed(ctx, lh, func() ([]TaskRun, int64, error) {
		out, err := lh.taskRuns(ctx, runID)
		return out, int64(len(out)), err
	}, sysTable("task_runs"))
}

func (lh *Lakehouse) taskRuns(ctx context.Context, runID string) ([]TaskRun, error) {
	// detail is read through the row's JSON: a file written before the
	// column existed, opened read-only, has no such column to name.
	rows, err := lh.db.QueryContext(ctx, `SELECT run_id, task_key, coalesce(kind, ''), coalesce(target_table, ''),
		started_at, ended_at, coalesce(status, ''), coalesce(rows_written, 0), coalesce(error, ''),
		coalesce(to_json(t)->>'detail', '')
		FROM sys.task_runs t WHERE run_id = ? ORDER BY started_at, rowid`, runID)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	out := []TaskRun{}
	for rows.Next() {
		var t TaskRun
		var started, ended sql.NullTime
		if err := rows.Scan(&t.RunID, &t.TaskKey, &t.Kind, &t.TargetTable, &started, &ended, &t.Status, &t.RowsWritten, &t.Error, &t.Detail); err != nil {
			return nil, fmt.Errorf("lakehouse: read task runs of %s: %w", runID, err)
		}
		t.StartedAt, t.EndedAt = started.Time, ended.Time
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx, err)
	}
	return out, nil
}

// LatestQuality lists the most recent result of every table's quality
// rules, by table then rule.
//
// A run may check a rule twice (when the model is built, which quarantines
// the failing rows, then in a checks task, which finds none left): the
// check that found failures is the one shown.
func (lh *Lakehouse) LatestQuality(ctx context.Context) ([]QualityResult, error) {
	return governed(ctx, lh, func() ([]QualityResult, int64, error) {
		out, err := lh.latestQuality(ctx)
		return out, int64(len(out)), err
	}, sysTable("quality_results"))
}

func (lh *Lakehouse) latestQuality(ctx context.Context) ([]QualityResult, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT run_id, table_name, rule, coalesce(criticality, ''),
		coalesce(rows_checked, 0), coalesce(rows_failed, 0), checked_at,
		coalesce(check_function, ''), coalesce(filter, ''), coalesce(phase, '')
		FROM (SELECT *, max(checked_at) OVER (PARTITION BY run_id, table_name, rule) AS run_at FROM sys.quality_results)
		QUALIFY row_number() OVER (PARTITION BY table_name, rule ORDER BY run_at DESC, rows_failed DESC) = 1
		ORDER BY table_name, rule`)
	return scanQualityResults(ctx, rows, err)
}

// scanQualityResults reads rows of sys.quality_results' columns (run_id,
// table_name, rule, criticality, rows_checked, rows_failed, checked_at,
// check_function, filter, phase) and closes them.
func scanQualityResults(ctx context.Context, rows *sql.Rows, err error) ([]QualityResult, error) {
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	out := []QualityResult{}
	for rows.Next() {
		var r QualityResult
		var at sql.NullTime
		if err := rows.Scan(&r.RunID, &r.Table, &r.Rule, &r.Criticality, &r.RowsChecked, &r.RowsFailed, &at, &r.Function, &r.Filter, &r.Phase); err != nil {
			return nil, fmt.Errorf("lakehouse: read quality results: %w", err)
		}
		r.CheckedAt = at.Time
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx, err)
	}
	return out, nil
}

// QuarantineTable is where the rows a table rejected go: <table>_quarantine
// beside it.
func QuarantineTable(t TableName) TableName {
	return TableName{Schema: t.Schema, Name: t.Name + "_quarantine"}
}

// QuarantinedRow is one row in a quarantine table, reduced to what a person
// reads: why, from where, and the record itself.
type QuarantinedRow struct {
	// Reason is the _reason column (ingest: the parse error that rejected
	// it) or, for a check's reject, the failed checks' names and messages
	// from _errors.
	Reason string `json:"reason"`
	// Errors are the row's _errors (a check's reject): every error check it
	// failed, in the run RunID.
	Errors []CheckError `json:"errors,omitempty"`
	RunID  string       `json:"run_id,omitempty"`
	// Source is the landing file's base name, when the row came from one.
	Source string `json:"source,omitempty"`
	// Line is the line in Source (ingest rejects), 0 when unknown.
	Line int64 `json:"line,omitempty"`
	// Column is the column the reader blamed, when it named one.
	Column string `json:"column,omitempty"`
	// Record is the raw line (ingest rejects) or the row's values as
	// name=value pairs (quality rejects).
	Record string `json:"record"`
}

// Quarantined returns up to limit rows of table's quarantine (table names
// the table itself, not its quarantine) and how many rows it holds in all.
// A table with no quarantine has none. The session's principal needs SELECT
// on the quarantine table (see governed), whether it exists or not.
func (lh *Lakehouse) Quarantined(ctx context.Context, table TableName, limit int) ([]QuarantinedRow, int64, error) {
	qt := table
	if !strings.HasSuffix(qt.Name, "_quarantine") {
		qt = QuarantineTable(table)
	}
	cols, err := tableColumns(ctx, lh.db, qt)
	if err != nil {
		return nil, 0, queryError(ctx, err)
	}
	if len(cols) == 0 {
		// Nothing to read, but a principal without the grant is refused
		// all the same, so the answer does not tell whether rows exist.
		if lh.principal != "" {
			if err := lh.Authorize(ctx, lh.principal, []TableName{qt}, nil); err != nil {
				lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: "SELECT",
					Tables: []string{qt.String()}, Allowed: false, Detail: err.Error()})
				return nil, 0, err
			}
		}
		return []QuarantinedRow{}, 0, nil
	}
	type page struct {
		rows  []QuarantinedRow
		total int64
	}
	p, err := governed(ctx, lh, func() (page, int64, error) {
		rows, total, err := lh.quarantined(ctx, qt, cols, limit)
		return page{rows, total}, int64(len(rows)), err
	}, qt)
	return p.rows, p.total, err
}

func (lh *Lakehouse) quarantined(ctx context.Context, qt TableName, cols []Column, limit int) ([]QuarantinedRow, int64, error) {
	has := map[string]bool{}
	for _, c := range cols {
		has[c.Name] = true
	}
	var total int64
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM "+qt.SQL()).Scan(&total); err != nil {
		return nil, 0, queryError(ctx, err)
	}
	order := "ORDER BY ALL"
	switch {
	case has["_source_file"] && has["_line"]:
		order = "ORDER BY _source_file, _line"
	case has["_run_id"]:
		// A check's quarantine keeps every run's rejects: the newest first.
		order = "ORDER BY _errors[1].run_time DESC, _run_id DESC"
	}
	if limit <= 0 {
		limit = 100
	}
	res, err := queryOn(ctx, lh.db, fmt.Sprintf("SELECT * FROM %s %s LIMIT %d", qt.SQL(), order, limit))
	if err != nil {
		return nil, 0, err
	}
	out := make([]QuarantinedRow, 0, len(res.Rows))
	for _, row := range res.Rows {
		var q QuarantinedRow
		var pairs []string
		for i, c := range res.Columns {
			v := row[i]
			switch c.Name {
			case "_reason":
				q.Reason = text(v)
			case "_errors":
				q.Errors = CheckErrors(v)
				var why []string
				for _, e := range q.Errors {
					why = append(why, e.Name+": "+e.Message)
				}
				q.Reason = strings.Join(why, "; ")
			case "_run_id":
				q.RunID = text(v)
			case "_source_file":
				if s := text(v); s != "" {
					q.Source = filepath.Base(s)
				}
			case "_line":
				if n, ok := v.(int64); ok {
					q.Line = n
				}
			case "_column":
				q.Column = text(v)
			case "_raw":
				q.Record = text(v)
			default:
				if !strings.HasPrefix(c.Name, "_") {
					pairs = append(pairs, c.Name+"="+display(c.Type, v))
				}
			}
		}
		if !has["_raw"] {
			q.Record = strings.Join(pairs, " ")
		}
		out = append(out, q)
	}
	return out, total, nil
}

func text(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func display(typ string, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return FormatTime(typ, x)
	}
	return fmt.Sprint(v)
}

// SourceFiles sums sys.ingested_files for one bronze table.
type SourceFiles struct {
	Table           string    `json:"table"`
	Files           int64     `json:"files"`
	RowsRead        int64     `json:"rows_read"`
	RowsLoaded      int64     `json:"rows_loaded"`
	RowsQuarantined int64     `json:"rows_quarantined"`
	LastIngested    time.Time `json:"last_ingested"`
	LastBatch       string    `json:"last_batch"`
}

// IngestedFiles sums the loaded files of every ingested table, by table.
func (lh *Lakehouse) IngestedFiles(ctx context.Context) ([]SourceFiles, error) {
	return governed(ctx, lh, func() ([]SourceFiles, int64, error) {
		out, err := lh.ingestedFiles(ctx)
		return out, int64(len(out)), err
	}, sysTable("ingested_files"))
}

func (lh *Lakehouse) ingestedFiles(ctx context.Context) ([]SourceFiles, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT table_name, count(*), coalesce(sum(rows_read), 0)::BIGINT,
		coalesce(sum(rows_loaded), 0)::BIGINT, coalesce(sum(rows_quarantined), 0)::BIGINT, max(ingested_at),
		coalesce(max(batch_id), '')
		FROM sys.ingested_files GROUP BY table_name ORDER BY table_name`)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	out := []SourceFiles{}
	for rows.Next() {
		var s SourceFiles
		var at sql.NullTime
		if err := rows.Scan(&s.Table, &s.Files, &s.RowsRead, &s.RowsLoaded, &s.RowsQuarantined, &at, &s.LastBatch); err != nil {
			return nil, fmt.Errorf("lakehouse: read ingested files: %w", err)
		}
		s.LastIngested = at.Time
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx, err)
	}
	return out, nil
}

// Freshness is when a table was last written by a successful task.
type Freshness struct {
	Table     string    `json:"table"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Freshness lists when every table of the medallion layers (quarantines
// and sys apart) was last written, from sys.catalog, by table name.
func (lh *Lakehouse) Freshness(ctx context.Context) ([]Freshness, error) {
	return governed(ctx, lh, func() ([]Freshness, int64, error) {
		out, err := lh.freshness(ctx)
		if err != nil {
			return nil, 0, err
		}
		// Only the tables the principal may read, as the catalog lists.
		tables := make([]TableName, len(out))
		for i, f := range out {
			tables[i], _ = ParseTableName(f.Table)
		}
		ok, err := lh.readable(ctx, tables)
		if err != nil {
			return nil, 0, err
		}
		kept := out[:0]
		for i, f := range out {
			if slices.Contains(ok, tables[i]) {
				kept = append(kept, f)
			}
		}
		return kept, int64(len(kept)), nil
	}, sysTable("catalog"))
}

func (lh *Lakehouse) freshness(ctx context.Context) ([]Freshness, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT schema_name || '.' || table_name, updated_at FROM sys.catalog
		WHERE updated_at IS NOT NULL AND schema_name <> 'sys' AND NOT suffix(table_name, '_quarantine')
		ORDER BY 1`)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	out := []Freshness{}
	for rows.Next() {
		var f Freshness
		if err := rows.Scan(&f.Table, &f.UpdatedAt); err != nil {
			return nil, fmt.Errorf("lakehouse: read freshness: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx, err)
	}
	return out, nil
}

// RunStats counts runs by outcome: the job success ratio of an SLA.
type RunStats struct {
	Runs      int64 `json:"runs"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Canceled  int64 `json:"canceled"`
	Crashed   int64 `json:"crashed"`
	Running   int64 `json:"running"`
}

// SuccessRatio is succeeded / finished runs (running ones left out); 0 when
// none finished.
func (s RunStats) SuccessRatio() float64 {
	done := s.Runs - s.Running
	if done <= 0 {
		return 0
	}
	return float64(s.Succeeded) / float64(done)
}

// RunStats counts the runs of job ("" for every job) by status.
func (lh *Lakehouse) RunStats(ctx context.Context, job string) (RunStats, error) {
	return governed(ctx, lh, func() (RunStats, int64, error) {
		s, err := lh.runStats(ctx, job)
		return s, 1, err
	}, sysTable("runs"))
}

func (lh *Lakehouse) runStats(ctx context.Context, job string) (RunStats, error) {
	var s RunStats
	err := lh.db.QueryRowContext(ctx, `SELECT count(*),
		count(*) FILTER (status = 'succeeded'), count(*) FILTER (status = 'failed'),
		count(*) FILTER (status = 'canceled'), count(*) FILTER (status = 'crashed'),
		count(*) FILTER (status = 'running')
		FROM sys.runs WHERE ? = '' OR job = ?`, job, job).
		Scan(&s.Runs, &s.Succeeded, &s.Failed, &s.Canceled, &s.Crashed, &s.Running)
	if err != nil {
		return RunStats{}, queryError(ctx, err)
	}
	return s, nil
}

// TableSizes estimates the bytes each table occupies in the file: the
// storage blocks its columns use (an upper bound: a block may be shared).
// Ingested tables are counted where their rows are stored; views on nothing
// stored are left out. Keys are schema.table. Only tables the session's
// principal may read are listed (as in Tables), and the listing is audited.
func (lh *Lakehouse) TableSizes(ctx context.Context) (map[string]int64, error) {
	sizes, err := lh.tableSizes(ctx)
	if err != nil {
		return nil, err
	}
	var tables []TableName
	for name := range sizes {
		t, _ := ParseTableName(name)
		tables = append(tables, t)
	}
	ok, err := lh.readable(ctx, tables)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: table sizes: %w", err)
	}
	visible := make(map[string]int64, len(ok))
	names := make([]string, 0, len(ok))
	for _, t := range ok {
		visible[t.String()] = sizes[t.String()]
		names = append(names, t.String())
	}
	sizes = visible
	sort.Strings(names)
	if err := lh.audited(ctx, catalogAction, "", names, int64(len(names)), nil); err != nil {
		return nil, err
	}
	return sizes, nil
}

func (lh *Lakehouse) tableSizes(ctx context.Context) (map[string]int64, error) {
	var blockSize int64
	if err := lh.db.QueryRowContext(ctx, `SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()`).Scan(&blockSize); err != nil {
		return nil, queryError(ctx, err)
	}
	rows, err := lh.db.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND NOT temporary`)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	var tables []TableName
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lakehouse: list tables: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx, err)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].String() < tables[j].String() })
	out := map[string]int64{}
	for _, t := range tables {
		var blocks int64
		err := lh.db.QueryRowContext(ctx, `SELECT count(DISTINCT block_id) FROM pragma_storage_info(?) WHERE block_id >= 0`,
			t.String()).Scan(&blocks)
		if err != nil {
			return nil, queryError(ctx, err)
		}
		name := t
		if strings.HasSuffix(t.Schema, "_data") {
			name.Schema = strings.TrimSuffix(t.Schema, "_data")
		}
		out[name.String()] += blocks * blockSize
	}
	return out, nil
}
