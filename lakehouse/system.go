package lakehouse

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// systemDDL creates the append-only system tables and the catalog.
const systemDDL = `
CREATE TABLE IF NOT EXISTS sys.catalog (
	schema_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
	layer VARCHAR, owner VARCHAR, domain VARCHAR, description VARCHAR,
	updated_at TIMESTAMP,
	PRIMARY KEY (schema_name, table_name));
-- The exact row count lakebench took when it last wrote the table (see
-- Tx.countRows), and DuckDB's estimated_size just after that commit: while
-- DuckDB reports a size between the two, Catalog shows the count. A file written
-- before them has NULLs, so its tables show DuckDB's estimate, marked.
ALTER TABLE sys.catalog ADD COLUMN IF NOT EXISTS row_count BIGINT;
ALTER TABLE sys.catalog ADD COLUMN IF NOT EXISTS row_count_size BIGINT;
CREATE TABLE IF NOT EXISTS sys.runs (
	run_id VARCHAR PRIMARY KEY, job VARCHAR, target VARCHAR, principal VARCHAR,
	started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR, error VARCHAR);
ALTER TABLE sys.runs ADD COLUMN IF NOT EXISTS pid BIGINT;
ALTER TABLE sys.runs ADD COLUMN IF NOT EXISTS host VARCHAR;
ALTER TABLE sys.runs ADD COLUMN IF NOT EXISTS bundle_hash VARCHAR;
CREATE TABLE IF NOT EXISTS sys.task_runs (
	run_id VARCHAR, task_key VARCHAR, kind VARCHAR, target_table VARCHAR,
	started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR,
	rows_written BIGINT, error VARCHAR, detail VARCHAR);
ALTER TABLE sys.task_runs ADD COLUMN IF NOT EXISTS detail VARCHAR;
CREATE TABLE IF NOT EXISTS sys.ingested_files (
	file_id BIGINT, table_name VARCHAR, path VARCHAR, size BIGINT, content_hash VARCHAR,
	batch_id VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
	ingested_at TIMESTAMP, run_id VARCHAR);
-- file_stat: the file's size, times and inode when it was read (see
-- settledStat); a later load that finds the same stat takes content_hash
-- without reading the file. NULL: the file is hashed again.
ALTER TABLE sys.ingested_files ADD COLUMN IF NOT EXISTS file_stat VARCHAR;
CREATE TABLE IF NOT EXISTS sys.model_builds (
	model VARCHAR, fingerprint VARCHAR, built_at TIMESTAMP, run_id VARCHAR, files VARCHAR);
-- files: the digest of the build's records in sys.model_files (see
-- RecordBuild); NULL for builds recorded before it was kept.
ALTER TABLE sys.model_builds ADD COLUMN IF NOT EXISTS files VARCHAR;
-- The stamp of a full model's inputs at its build (InputState): the
-- same stamp and fingerprint skip the next build.
ALTER TABLE sys.model_builds ADD COLUMN IF NOT EXISTS inputs VARCHAR;
-- What an incremental_by_time build replaced (BuildRecord).
ALTER TABLE sys.model_builds ADD COLUMN IF NOT EXISTS since VARCHAR;
ALTER TABLE sys.model_builds ADD COLUMN IF NOT EXISTS time_column VARCHAR;
ALTER TABLE sys.model_builds ADD COLUMN IF NOT EXISTS replaced_from VARCHAR;
CREATE TABLE IF NOT EXISTS sys.model_files (model VARCHAR, table_name VARCHAR, file_id BIGINT);
-- The changes of its inputs a time model has not built yet (late.go):
-- the earliest time among the rows an input's build changed.
CREATE TABLE IF NOT EXISTS sys.model_changes (
	model VARCHAR, input VARCHAR, earliest VARCHAR, type VARCHAR, rows BIGINT,
	rebuilt BOOLEAN, run_id VARCHAR);
-- A source's checks (quality_since.go): what the last one checked and
-- its counts, so the next looks at the new files' rows only.
CREATE TABLE IF NOT EXISTS sys.check_state (
	table_name VARCHAR, fingerprint VARCHAR, rule_index INTEGER,
	rows_checked BIGINT, rows_failed BIGINT, run_id VARCHAR);
-- files: the digest of the check's state (its rows here and its records
-- in sys.model_files, see checkStateDigest); a mismatch checks in full.
ALTER TABLE sys.check_state ADD COLUMN IF NOT EXISTS files VARCHAR;
CREATE TABLE IF NOT EXISTS sys.quality_results (
	run_id VARCHAR, table_name VARCHAR, rule VARCHAR, criticality VARCHAR,
	rows_checked BIGINT, rows_failed BIGINT, checked_at TIMESTAMP);
-- DQX checks (quality.go): the check's function and filter, and whether a
-- build (which quarantines) or a checks task (which only counts) ran it.
ALTER TABLE sys.quality_results ADD COLUMN IF NOT EXISTS check_function VARCHAR;
ALTER TABLE sys.quality_results ADD COLUMN IF NOT EXISTS filter VARCHAR;
ALTER TABLE sys.quality_results ADD COLUMN IF NOT EXISTS phase VARCHAR;
CREATE TABLE IF NOT EXISTS sys.alert_history (
	alert VARCHAR, evaluated_at TIMESTAMP, value DOUBLE, op VARCHAR, threshold DOUBLE, fired BOOLEAN, message VARCHAR);
-- Alerts v2 (see alerts.go): a file written before them has the first seven
-- columns; the others are added, and its rows take their state from fired.
ALTER TABLE sys.alert_history ADD COLUMN IF NOT EXISTS state VARCHAR;
ALTER TABLE sys.alert_history ADD COLUMN IF NOT EXISTS value_text VARCHAR;
ALTER TABLE sys.alert_history ADD COLUMN IF NOT EXISTS threshold_text VARCHAR;
ALTER TABLE sys.alert_history ADD COLUMN IF NOT EXISTS error VARCHAR;
ALTER TABLE sys.alert_history ADD COLUMN IF NOT EXISTS run_id VARCHAR;
ALTER TABLE sys.alert_history ADD COLUMN IF NOT EXISTS notified BOOLEAN;
ALTER TABLE sys.alert_history ADD COLUMN IF NOT EXISTS notify_error VARCHAR;
UPDATE sys.alert_history SET state = CASE WHEN fired THEN 'TRIGGERED' WHEN value IS NULL THEN 'UNKNOWN' ELSE 'OK' END,
	value_text = CAST(value AS VARCHAR), threshold_text = CAST(threshold AS VARCHAR), notified = false
	WHERE state IS NULL;
CREATE TABLE IF NOT EXISTS sys.query_history (
	principal VARCHAR, sql VARCHAR, started_at TIMESTAMP, ended_at TIMESTAMP,
	rows BIGINT, status VARCHAR, error VARCHAR);
ALTER TABLE sys.query_history ADD COLUMN IF NOT EXISTS query_id BIGINT;
ALTER TABLE sys.query_history ADD COLUMN IF NOT EXISTS duration_ns BIGINT;
ALTER TABLE sys.query_history ADD COLUMN IF NOT EXISTS note VARCHAR;
`

// Run is one row of sys.runs.
type Run struct {
	RunID     string    `json:"run_id"`
	Job       string    `json:"job"`
	Target    string    `json:"target"`
	Principal string    `json:"principal"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Status    string    `json:"status"`
	Error     string    `json:"error,omitempty"`
	// PID and Host are the process that runs it, so a later writer can
	// tell a run whose process is gone; RecordRun fills them in.
	PID  int    `json:"pid,omitempty"`
	Host string `json:"host,omitempty"`
	// BundleHash is the content hash of the bundle the run ran (see
	// pipeline.Project.ContentHash): a promotion gate asks for a
	// successful run of that bundle.
	BundleHash string `json:"bundle_hash,omitempty"`
}

// TaskRun is one row of sys.task_runs.
type TaskRun struct {
	RunID       string    `json:"run_id"`
	TaskKey     string    `json:"task_key"`
	Kind        string    `json:"kind"`
	TargetTable string    `json:"target_table,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at"`
	Status      string    `json:"status"`
	RowsWritten int64     `json:"rows_written"`
	// Error is why the task failed, and only that: empty unless it failed.
	Error string `json:"error,omitempty"`
	// Detail is what the task did or why it did not run ("53 new of 60
	// files", "a task it depends on failed").
	Detail string `json:"detail,omitempty"`
}

// QualityResult is one row of sys.quality_results.
type QualityResult struct {
	RunID       string    `json:"run_id"`
	Table       string    `json:"table"`
	Rule        string    `json:"rule"`
	Criticality string    `json:"criticality"`
	RowsChecked int64     `json:"rows_checked"`
	RowsFailed  int64     `json:"rows_failed"`
	CheckedAt   time.Time `json:"checked_at"`
	// Function is the DQX check function (is_not_null, is_unique, ...).
	Function string `json:"function,omitempty"`
	Filter   string `json:"filter,omitempty"`
	// Phase is "build" when the model's build ran the check (and
	// quarantined its error rows) or "check" for a checks task.
	Phase string `json:"phase,omitempty"`
}

// CatalogEntry describes one table in sys.catalog.
type CatalogEntry struct {
	Schema      string `json:"schema"`
	Table       string `json:"table"`
	Layer       string `json:"layer"`
	Owner       string `json:"owner"`
	Domain      string `json:"domain"`
	Description string `json:"description"`
}

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// RecordRun appends or updates a run row (a run is written when it starts and
// again when it ends), with the process that runs it: this one, unless
// r names another.
func (lh *Lakehouse) RecordRun(ctx context.Context, r Run) error {
	if r.PID == 0 {
		r.PID, r.Host = os.Getpid(), hostname()
	}
	_, err := lh.db.ExecContext(ctx, `INSERT OR REPLACE INTO sys.runs
		(run_id, job, target, principal, started_at, ended_at, status, error, pid, host, bundle_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.RunID, r.Job, r.Target, r.Principal, r.StartedAt, nullTime(r.EndedAt), r.Status, nullString(r.Error), r.PID, nullString(r.Host), nullString(r.BundleHash))
	if err != nil {
		return fmt.Errorf("lakehouse: record run %s: %w", r.RunID, err)
	}
	return nil
}

func recordTaskRun(ctx context.Context, e execer, t TaskRun) error {
	_, err := e.ExecContext(ctx, `INSERT INTO sys.task_runs (run_id, task_key, kind, target_table, started_at, ended_at, status,
		rows_written, error, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.RunID, t.TaskKey, t.Kind, nullString(t.TargetTable), t.StartedAt, nullTime(t.EndedAt), t.Status, t.RowsWritten, nullString(t.Error), nullString(t.Detail))
	if err != nil {
		return fmt.Errorf("lakehouse: record task %s: %w", t.TaskKey, err)
	}
	return nil
}

// RecordTaskRun appends a task run on its own (used for failed tasks, whose
// transaction was rolled back).
func (lh *Lakehouse) RecordTaskRun(ctx context.Context, t TaskRun) error {
	return recordTaskRun(ctx, lh.db, t)
}

// RecordTaskRun appends a task run inside the task's transaction, so the
// record commits with the work it describes.
func (tx *Tx) RecordTaskRun(ctx context.Context, t TaskRun) error {
	if name, err := ParseTableName(t.TargetTable); err == nil {
		// What the task wrote, and the quarantine a build may have filled,
		// are counted when the transaction commits.
		tx.countRows(name, TableName{Schema: name.Schema, Name: name.Name + "_quarantine"})
	}
	return recordTaskRun(ctx, tx.tx, t)
}

// RecordQuality appends quality results inside the task's transaction.
func (tx *Tx) RecordQuality(ctx context.Context, results []QualityResult) error {
	if len(results) == 0 {
		return nil
	}
	// One statement for all of them: a model's rules are recorded in
	// one insert, not one each.
	args := make([][]any, len(results))
	for i, r := range results {
		args[i] = []any{r.RunID, r.Table, r.Rule, r.Criticality, r.RowsChecked, r.RowsFailed, r.CheckedAt, nullString(r.Function), nullString(r.Filter), nullString(r.Phase)}
	}
	if err := insertRows(ctx, tx.tx, `INSERT INTO sys.quality_results (run_id, table_name, rule, criticality,
			rows_checked, rows_failed, checked_at, check_function, filter, phase) VALUES `, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", args); err != nil {
		return fmt.Errorf("lakehouse: record quality %s: %w", results[0].Table, err)
	}
	return nil
}

func upsertCatalog(ctx context.Context, e execer, c CatalogEntry) error {
	_, err := e.ExecContext(ctx, `INSERT INTO sys.catalog (schema_name, table_name, layer, owner, domain, description, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)
		ON CONFLICT (schema_name, table_name) DO UPDATE SET
			layer = coalesce(nullif(excluded.layer, ''), layer),
			owner = coalesce(nullif(excluded.owner, ''), owner),
			domain = coalesce(nullif(excluded.domain, ''), domain),
			description = coalesce(nullif(excluded.description, ''), description),
			updated_at = excluded.updated_at`,
		c.Schema, c.Table, c.Layer, c.Owner, c.Domain, c.Description)
	if err != nil {
		return fmt.Errorf("lakehouse: catalog %s.%s: %w", c.Schema, c.Table, err)
	}
	return nil
}

// SetCatalog records (or updates) a table's catalog entry; empty fields keep
// what was there.
func (lh *Lakehouse) SetCatalog(ctx context.Context, c CatalogEntry) error {
	return upsertCatalog(ctx, lh.db, c)
}

// SetCatalog records a catalog entry inside the transaction, written
// when it commits, with the row counts (see recordCounts). A model's
// build sets its entry: the table, and the quarantine its checks may have
// filled, are counted when the transaction commits (see countRows).
func (tx *Tx) SetCatalog(ctx context.Context, c CatalogEntry) error {
	t := TableName{Schema: c.Schema, Name: c.Table}
	tx.countRows(t, TableName{Schema: t.Schema, Name: t.Name + "_quarantine"})
	tx.setCatalog(c, false)
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// MarkCrashedRuns marks as "crashed" each run still "running" whose
// process is gone: not alive, alive but not lakebench (its id was reused),
// on another host, unrecorded, or this very process (whose runs on an
// earlier handle ended with it: the caller holds the writer lock). Open
// calls it for every writer. It returns how many runs it marked.
func (lh *Lakehouse) MarkCrashedRuns(ctx context.Context) (int64, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT run_id, coalesce(pid, 0), coalesce(host, '') FROM sys.runs WHERE status = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("lakehouse: mark crashed runs: %w", err)
	}
	type stale struct {
		id, why string
	}
	var crashed []stale
	for rows.Next() {
		var id, host string
		var pid int
		if err := rows.Scan(&id, &pid, &host); err != nil {
			rows.Close()
			return 0, fmt.Errorf("lakehouse: mark crashed runs: %w", err)
		}
		if why, gone := runProcessGone(pid, host); gone {
			crashed = append(crashed, stale{id, why})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("lakehouse: mark crashed runs: %w", err)
	}
	for _, c := range crashed {
		if _, err := lh.db.ExecContext(ctx, `UPDATE sys.runs SET status = 'crashed', ended_at = coalesce(ended_at, now()::TIMESTAMP), error = ?
			WHERE run_id = ? AND status = 'running'`,
			"the process ended before the run finished (killed or crashed: "+c.why+"); its unfinished task was rolled back", c.id); err != nil {
			return 0, fmt.Errorf("lakehouse: mark run %s crashed: %w", c.id, err)
		}
	}
	return int64(len(crashed)), nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// runProcessGone tells whether the process recorded for a running run is
// gone, and how that is known.
func runProcessGone(pid int, host string) (string, bool) {
	switch {
	case pid <= 0:
		return "no process was recorded", true
	case host != hostname():
		return fmt.Sprintf("process %d ran on host %s, and this process holds the writer lock", pid, host), true
	case pid == os.Getpid():
		return fmt.Sprintf("process %d, this one, opened the target again", pid), true
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return fmt.Sprintf("process %d is gone", pid), true
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The state follows the parenthesised command name: Z is a zombie.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return fmt.Sprintf("process %d is gone", pid), true
		}
	}
	if !isLakebench(pid) {
		return fmt.Sprintf("process %d is no longer lakebench", pid), true
	}
	return "", false
}

// isLakebench reports whether a live process runs lakebench: a binary
// named so, or this process's own binary (a test binary, a renamed
// build). What cannot be told is not lakebench.
func isLakebench(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if strings.Contains(filepath.Base(exe), "lakebench") {
		return true
	}
	self, err := os.Executable()
	return err == nil && filepath.Base(self) == filepath.Base(exe)
}

// TaskDurations is how long each task key took the last time it
// succeeded (sys.task_runs), for a scheduler's estimate of what is left.
// It is lakebench's own read.
func (lh *Lakehouse) TaskDurations(ctx context.Context) (map[string]time.Duration, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT task_key, arg_max(epoch_us(ended_at) - epoch_us(started_at), ended_at)
		FROM sys.task_runs WHERE status = 'succeeded' AND ended_at IS NOT NULL AND started_at IS NOT NULL GROUP BY task_key`)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	out := map[string]time.Duration{}
	for rows.Next() {
		var key string
		var us int64
		if err := rows.Scan(&key, &us); err != nil {
			return nil, err
		}
		out[key] = time.Duration(us) * time.Microsecond
	}
	return out, rows.Err()
}
