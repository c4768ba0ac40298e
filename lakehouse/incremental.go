package lakehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Incremental models keep two records in sys, written in the transaction
// that builds the table, so a crash leaves the table and its records as
// they were: sys.model_builds holds each model's last fingerprint (a hash
// of its SQL and settings, to notice a change), sys.model_files the
// ingested files (sys.ingested_files.file_id) an incremental_by_batch
// model has processed.

// LastBuild returns the fingerprint recorded by the model's last build;
// found is false when it was never built (or built before lakebench
// recorded builds).
func (tx *Tx) LastBuild(ctx context.Context, model TableName) (fingerprint string, found bool, err error) {
	rows, err := tx.tx.QueryContext(ctx, "SELECT fingerprint FROM sys.model_builds WHERE model = ?", model.String())
	if err != nil {
		return "", false, fmt.Errorf("lakehouse: read sys.model_builds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&fingerprint); err != nil {
			return "", false, fmt.Errorf("lakehouse: read sys.model_builds: %w", err)
		}
		found = true
	}
	return fingerprint, found, rows.Err()
}

// BuildState is what a model's last build recorded, as a run's planning
// reads it: LastBuild, BuildInputs, FilesIntact and LostFiles in one.
type BuildState struct {
	// Found is false when no build of the model is recorded.
	Found bool
	// Fingerprint is the build's fingerprint (LastBuild); "" when more
	// than one build is recorded, which no build writes: the model is
	// then rebuilt in full.
	Fingerprint string
	// Inputs is the stamp of its inputs the build recorded (BuildInputs).
	Inputs string
	// FilesIntact says whether its records of processed files are the
	// ones the build wrote (FilesIntact).
	FilesIntact bool
	// LostFiles counts the files it processed that are no longer loaded
	// as they were (LostFiles).
	LostFiles int64
}

// buildStateSQL reads a model's BuildState (its parameter: the model) in
// one statement, each part as the function it stands for reads it.
const buildStateSQL = `SELECT count(*), any_value(fingerprint), any_value(inputs)%s FROM sys.model_builds WHERE model = $1`

// buildFilesSQL adds to buildStateSQL the parts of a model that streams:
// the digest its build kept of its records of files and theirs now, and
// how many of the files are lost.
const buildFilesSQL = `, any_value(files), (` + filesDigestOf + `), (` + lostFilesSQL + `)`

// filesDigestOf is filesDigest of model $1.
const filesDigestOf = `SELECT md5(coalesce(string_agg(table_name || ':' || file_id::VARCHAR, ',' ORDER BY table_name, file_id), ''))
	FROM sys.model_files WHERE model = $1`

// lostFilesSQL counts a model's records of processed files (its
// parameter: $1) whose file is no longer loaded as it was.
const lostFilesSQL = `SELECT count(*) FROM sys.model_files AS m
		LEFT JOIN sys.ingested_files AS f ON f.table_name = m.table_name AND f.file_id = m.file_id
		WHERE m.model = $1 AND f.file_id IS NULL`

// BuildState returns what model's last build recorded (see BuildState),
// in one statement. Only with files are its records of processed files
// read (for a model that streams): without, FilesIntact is false.
func (tx *Tx) BuildState(ctx context.Context, model TableName, files bool) (BuildState, error) {
	var b BuildState
	var builds int64
	var fp, inputs sql.NullString
	var kept, digest sql.NullString
	q, dest := fmt.Sprintf(buildStateSQL, ""), []any{&builds, &fp, &inputs}
	if files {
		q, dest = fmt.Sprintf(buildStateSQL, buildFilesSQL), append(dest, &kept, &digest, &b.LostFiles)
	}
	if err := tx.tx.QueryRowContext(ctx, q, model.String()).Scan(dest...); err != nil {
		return BuildState{}, fmt.Errorf("lakehouse: read sys.model_builds: %w", err)
	}
	b.Found, b.Inputs = builds > 0, inputs.String
	if builds == 1 {
		// As FilesIntact: a build recorded before the digest was kept is
		// taken as intact.
		b.Fingerprint = fp.String
		b.FilesIntact = files && (!kept.Valid || digest.Valid && kept.String == digest.String)
	}
	if builds == 0 {
		b.FilesIntact = files // as FilesIntact: nothing recorded, nothing forged
	}
	return b, nil
}

// StreamSource is where a STREAM() input of an incremental model finds
// its new rows: the files loaded into Table, an ingested (bronze) table.
// With Via set, the input is Via, a model that streams Table and whose
// rows keep bronze's _source_file: its new rows are those of the files Via
// has processed and the streaming model has not (as a Delta Live Tables
// stream reads a streaming table), so a file loaded but not yet built into
// Via is not new to it.
type StreamSource struct {
	Table TableName
	Via   TableName
}

// TableStamp is the stamp of a model's table's data: its last build
// (sys.model_builds: when, by which run, with which fingerprint) and
// DuckDB's count of its rows, which a write beside lakebench's builds
// changes too. ok is false for a table no model builds.
func (tx *Tx) TableStamp(ctx context.Context, t TableName) (string, bool, error) {
	stamp, _, ok, err := tableStamp(ctx, tx.tx, t)
	return stamp, ok, err
}

// tableStamp is TableStamp on any connection, with DuckDB's count of the
// table's rows.
func tableStamp(ctx context.Context, e execer, t TableName) (string, int64, bool, error) {
	// One statement: its builds, and whether the table exists with
	// DuckDB's count of its rows.
	var builds, tables int64
	var build string
	var size sql.NullInt64
	err := e.QueryRowContext(ctx, `SELECT count(*), coalesce(string_agg(built_at::VARCHAR || ' ' || coalesce(run_id, '') || ' ' || coalesce(fingerprint, ''), ','), ''),
		coalesce(any_value(lb_t.n), 0), any_value(lb_t.size)
		FROM sys.model_builds, (SELECT count(*) AS n, max(estimated_size) AS size FROM duckdb_tables()
			WHERE database_name = current_database() AND schema_name = ? AND table_name = ?) AS lb_t
		WHERE model = ?`, t.Schema, t.Name, t.String()).Scan(&builds, &build, &tables, &size)
	if err != nil {
		return "", 0, false, fmt.Errorf("lakehouse: the stamp of %s: %w", t, err)
	}
	if builds != 1 || tables == 0 {
		return "", 0, false, nil
	}
	return fmt.Sprintf("%s rows %d", build, size.Int64), size.Int64, true, nil
}

// BuildInputs returns the stamp of its inputs (InputState) recorded by
// the model's last build, "" when none was.
func (tx *Tx) BuildInputs(ctx context.Context, model TableName) (string, error) {
	var inputs sql.NullString
	err := tx.tx.QueryRowContext(ctx, "SELECT inputs FROM sys.model_builds WHERE model = ?", model.String()).Scan(&inputs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("lakehouse: read sys.model_builds: %w", err)
	}
	return inputs.String, nil
}

// InputState is a stamp of the data of the tables reads: for a model's
// table its last build (sys.model_builds: when, by which run, with which
// fingerprint), for an ingested table the files loaded into it
// (sys.ingested_files: their ids and contents). Every write lakebench
// makes to those tables goes with a new stamp, so an equal stamp means
// their rows are the same. ok is false when a table is neither, since
// nothing records its changes.
func (tx *Tx) InputState(ctx context.Context, reads []TableName) (state string, ok bool, err error) {
	names := make([]string, 0, len(reads))
	for _, r := range reads {
		if !slices.Contains(names, r.String()) {
			names = append(names, r.String())
		}
	}
	slices.Sort(names)
	lines, err := tx.inputLines(ctx, names)
	if err != nil {
		return "", false, err
	}
	h := sha256.New()
	for _, name := range names {
		line := lines[name]
		if line == "" {
			return "", false, nil
		}
		h.Write([]byte(line))
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), true, nil
}

// InputStates is InputState of each table of reads by itself, read in
// one statement: by name, the stamp and whether it has one.
func (tx *Tx) InputStates(ctx context.Context, reads []TableName) (map[TableName]string, map[TableName]bool, error) {
	names := make([]string, 0, len(reads))
	for _, r := range reads {
		if !slices.Contains(names, r.String()) {
			names = append(names, r.String())
		}
	}
	lines, err := tx.inputLines(ctx, names)
	if err != nil {
		return nil, nil, err
	}
	states, ok := map[TableName]string{}, map[TableName]bool{}
	for _, r := range reads {
		if line := lines[r.String()]; line != "" {
			h := sha256.New()
			h.Write([]byte(line))
			states[r], ok[r] = hex.EncodeToString(h.Sum(nil)[:16]), true
		}
	}
	return states, ok, nil
}

// inputLines is, for each of names in one statement, the line its stamp
// hashes (see InputState): a model's table by its one build, an ingested
// table by its files; "" for a name that is neither.
func (tx *Tx) inputLines(ctx context.Context, names []string) (map[string]string, error) {
	lines := map[string]string{}
	if len(names) == 0 {
		return lines, nil
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")"
	args := make([]any, 0, 2*len(names))
	for range 2 {
		for _, name := range names {
			args = append(args, name)
		}
	}
	// Grouped scans, not a subquery per name: DuckDB plans correlated
	// subqueries into joins that cost more than the scans.
	rows, err := tx.tx.QueryContext(ctx, `SELECT 'b', model, count(*),
			coalesce(string_agg(built_at::VARCHAR || ' ' || coalesce(run_id, '') || ' ' || coalesce(fingerprint, ''), ','), '')
			FROM sys.model_builds WHERE model IN `+in+` GROUP BY model
		UNION ALL SELECT 'f', table_name, count(*),
			coalesce(md5(string_agg(file_id::VARCHAR || ' ' || coalesce(content_hash, '') || ' ' || coalesce(rows_loaded, -1)::VARCHAR, ',' ORDER BY file_id)), '')
			FROM sys.ingested_files WHERE table_name IN `+in+` GROUP BY table_name`, args...)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: the state of %s: %w", strings.Join(names, ", "), err)
	}
	defer rows.Close()
	type stamp struct {
		n    int64
		text string
	}
	builds, files := map[string]stamp{}, map[string]stamp{}
	for rows.Next() {
		var kind, name string
		var st stamp
		if err := rows.Scan(&kind, &name, &st.n, &st.text); err != nil {
			return nil, fmt.Errorf("lakehouse: the state of %s: %w", strings.Join(names, ", "), err)
		}
		if kind == "b" {
			builds[name] = st
		} else {
			files[name] = st
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: the state of %s: %w", strings.Join(names, ", "), err)
	}
	for _, name := range names {
		b, f := builds[name], files[name]
		switch {
		case b.n == 1:
			lines[name] = fmt.Sprintf("model %s %s\n", name, b.text)
		case b.n == 0 && f.n > 0:
			lines[name] = fmt.Sprintf("files %s %d %s\n", name, f.n, f.text)
		}
	}
	return lines, nil
}

// forgetInputsSQL drops every full model's stamp of its inputs
// (sys.model_builds.inputs, see InputState), so the next run rebuilds each
// once. A statement outside a model's build that writes a table (an
// owner's UPDATE through a query, a job's sql task) runs it first: the
// stamps see only builds and loaded files, so a model reading the table
// it wrote would otherwise be skipped as unchanged and keep rows from
// before the write. Which models read the table is the pipeline's to
// know, not the statement's: every stamp goes, a rebuild each at worst.
// The daily stats the health steps kept (sys.health_table_stats, by the
// same stamps of builds, which such a write leaves as they were, and
// sys.health_file_stats, per ingested file) go too: the next health step
// reads the tables again. So do the stamps the monitors' profiles were
// read at (sys.profile_stamps): the next build would start from the same
// stamp, and a time series would reuse the windows before it, written
// beside.
const forgetInputsSQL = "UPDATE sys.model_builds SET inputs = NULL WHERE inputs IS NOT NULL; " +
	"DELETE FROM sys.health_table_stats; DELETE FROM sys.health_file_stats; DELETE FROM sys.profile_stamps"

// Deterministic reports whether selectSQL gives the same rows from the
// same tables: it calls no volatile function (random(), uuid(), nextval()),
// reads no clock (now(), current_date), samples nothing, reads no table
// function (read_csv() of a file, whose changes nothing records) and calls
// no macro of the target's (one may read a clock or another table).
func (tx *Tx) Deterministic(ctx context.Context, selectSQL string) (bool, error) {
	tree, err := tx.parseSQL(ctx, selectSQL)
	if err != nil {
		return false, fmt.Errorf("lakehouse: parse: %w", err)
	}
	volatile, err := tx.lh.volatileNames(ctx)
	if err != nil {
		return false, err
	}
	// A macro of the target's (CREATE MACRO) may read a clock or a
	// table its caller's text does not name, and may be replaced: its
	// calls are judged by nothing but its name, so any is taken as
	// volatile.
	macros, err := tx.functionNames(ctx, "NOT internal")
	if err != nil {
		return false, fmt.Errorf("lakehouse: list macros: %w", err)
	}
	found := false
	walkJSON(tree, func(m map[string]any) {
		if s, ok := m["sample"]; ok && s != nil {
			found = true
		}
		switch m["class"] {
		case "FUNCTION", "WINDOW", "AGGREGATE":
			fn, _ := m["function_name"].(string)
			found = found || volatile[strings.ToLower(fn)] || clockNames[strings.ToLower(fn)] || macros[strings.ToLower(fn)]
		case "COLUMN_REF":
			if names, _ := m["column_names"].([]any); len(names) == 1 {
				n, _ := names[0].(string)
				found = found || clockNames[strings.ToLower(n)] || volatile[strings.ToLower(n)]
			}
		}
		if m["type"] == "TABLE_FUNCTION" {
			found = true
		}
	})
	return !found, nil
}

// RuleDeterministic reports whether rule r flags the same rows of the same
// table every time: each of its SQL expressions is Deterministic and reads
// no table through a subquery (a rule reading another table, say
// "amount < (SELECT max(x) FROM gold.limits)", flags rows anew when that
// table changes, which no stamp of the model's inputs sees).
func (tx *Tx) RuleDeterministic(ctx context.Context, r Rule) (bool, error) {
	if r.Query != "" {
		return false, nil
	}
	for _, e := range []string{r.Fail, r.Expression, r.Filter, r.Message} {
		if strings.TrimSpace(e) == "" {
			continue
		}
		q := "SELECT " + e
		if ok, err := tx.Deterministic(ctx, q); err != nil || !ok {
			return false, err
		}
		tree, err := tx.parseSQL(ctx, q)
		if err != nil {
			return false, fmt.Errorf("lakehouse: parse: %w", err)
		}
		found := false
		walkJSON(tree, func(m map[string]any) {
			found = found || m["class"] == "SUBQUERY"
		})
		if found {
			return false, nil
		}
	}
	return true, nil
}

// BuildRecord is what RecordBuild records of a model's build.
type BuildRecord struct {
	Fingerprint string
	// Inputs is the stamp of a full model's inputs (InputState), "" for
	// none.
	Inputs string
	// An incremental_by_time build replaced only the rows whose TimeColumn
	// is From (a SQL literal) or later, or NULL, in the table whose stamp
	// (TableStamp) was Since: a reader that kept figures of the table at
	// Since reads again only the days from From on.
	Since, TimeColumn, From string
}

// RecordBuild records a model's build: its fingerprint, the stamp of its
// inputs, what an incremental_by_time build replaced (see BuildRecord)
// and, for a model that streams, every file of its streams as processed
// (the build read them all, in this transaction): every file loaded into
// the table, or for a stream through a model every file that model has
// processed.
func (tx *Tx) RecordBuild(ctx context.Context, model TableName, b BuildRecord, runID string, streams []StreamSource) error {
	stmts := []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM sys.model_builds WHERE model = ?", []any{model.String()}},
		{"DELETE FROM sys.model_files WHERE model = ?", []any{model.String()}},
		// The build took in every change its inputs recorded for it.
		{"DELETE FROM sys.model_changes WHERE model = ?", []any{model.String()}},
	}
	for _, s := range streams {
		st := struct {
			sql  string
			args []any
		}{"INSERT INTO sys.model_files SELECT ?, table_name, file_id FROM sys.ingested_files WHERE table_name = ?", []any{model.String(), s.Table.String()}}
		if s.Via.Name != "" {
			st.sql = "INSERT INTO sys.model_files SELECT ?, table_name, file_id FROM sys.model_files WHERE model = ? AND table_name = ?"
			st.args = []any{model.String(), s.Via.String(), s.Table.String()}
		}
		stmts = append(stmts, st)
	}
	stmts = append(stmts, struct {
		sql  string
		args []any
	}{"INSERT INTO sys.model_builds (model, fingerprint, built_at, run_id, inputs, since, time_column, replaced_from, files)" +
		" SELECT ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, (" + filesDigest + ")",
		[]any{model.String(), b.Fingerprint, nullString(runID), nullString(b.Inputs), nullString(b.Since), nullString(b.TimeColumn), nullString(b.From), model.String()}})
	for _, s := range stmts {
		if _, err := tx.tx.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("lakehouse: record the build of %s: %w", model, err)
		}
	}
	return nil
}

// filesDigest is the SQL of the digest of a model's records in
// sys.model_files (its parameter: the model), which RecordBuild keeps
// with the build in sys.model_builds.files, as a checkpoint keeps the
// checksum of what it records.
const filesDigest = `SELECT md5(coalesce(string_agg(table_name || ':' || file_id::VARCHAR, ',' ORDER BY table_name, file_id), ''))
	FROM sys.model_files WHERE model = ?`

// FilesIntact says whether a model's records of processed files are the
// ones its last build wrote (their digest is the build's). A record
// forged into sys.model_files (the file itself edited: no statement
// writes sys) would make a run skip a file as processed, and one deleted
// would make it read a file again: either way only a full refresh is
// right. A build recorded before the digest was kept is taken as intact.
func (tx *Tx) FilesIntact(ctx context.Context, model TableName) (bool, error) {
	intact := true
	err := tx.tx.QueryRowContext(ctx, "SELECT files IS NULL OR files = ("+filesDigest+") FROM sys.model_builds WHERE model = ?",
		model.String(), model.String()).Scan(&intact)
	if err != nil && !isNoRows(err) {
		return false, fmt.Errorf("lakehouse: read sys.model_builds: %w", err)
	}
	return intact, nil
}

// LostFiles counts the files a model processed that are no longer loaded
// as they were: removed, or reloaded after a change (on_change: reload
// gives the new version a new file id). Their rows may still be in the
// model's table, so only a full refresh is right.
func (tx *Tx) LostFiles(ctx context.Context, model TableName) (int64, error) {
	var n int64
	err := tx.tx.QueryRowContext(ctx, lostFilesSQL, model.String()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("lakehouse: read sys.model_files: %w", err)
	}
	return n, nil
}

// NewFiles lists the paths (as bronze's _source_file shows them) of the
// files of source that model has not processed yet: files loaded into
// source.Table, or with source.Via those the model Via has processed.
func (tx *Tx) NewFiles(ctx context.Context, model TableName, source StreamSource) ([]string, error) {
	q := `SELECT path FROM sys.ingested_files AS f WHERE f.table_name = ?
		AND f.file_id NOT IN (SELECT file_id FROM sys.model_files WHERE model = ? AND table_name = ?) ORDER BY path`
	args := []any{source.Table.String(), model.String(), source.Table.String()}
	if source.Via.Name != "" {
		q = `SELECT f.path FROM sys.ingested_files AS f
		JOIN sys.model_files AS v ON v.table_name = f.table_name AND v.file_id = f.file_id AND v.model = ?
		WHERE f.table_name = ?
		AND f.file_id NOT IN (SELECT file_id FROM sys.model_files WHERE model = ? AND table_name = ?) ORDER BY f.path`
		args = []any{source.Via.String(), source.Table.String(), model.String(), source.Table.String()}
	}
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.ingested_files: %w", err)
	}
	defer rows.Close()
	var paths []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, rows.Err()
}

// HeldFiles counts the given files (as _source_file shows them) of which
// table already holds rows; 0 when it has no _source_file column. The
// files are the newest, so row groups of older files are skipped by their
// _source_file bounds.
func (tx *Tx) HeldFiles(ctx context.Context, table TableName, paths []string) (int64, error) {
	cols, err := tableColumns(ctx, tx.tx, table)
	if err != nil {
		return 0, fmt.Errorf("lakehouse: columns of %s: %w", table, err)
	}
	if len(paths) == 0 || !slices.ContainsFunc(cols, func(c Column) bool { return c.Name == "_source_file" }) {
		return 0, nil
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = QuoteString(p)
	}
	var n int64
	q := "SELECT count(DISTINCT _source_file) FROM " + table.SQL() + " WHERE _source_file IN (" + strings.Join(quoted, ", ") + ")"
	if err := tx.tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("lakehouse: read %s: %w", table, err)
	}
	return n, nil
}

// StreamFilter is the SELECT that reads only the rows of the given files
// of an ingested table, through its lineage view (DuckDB pushes the join's
// file ids into the scan of the stored rows, so row groups of other files
// are skipped), or of a model's table by its _source_file column. No files
// reads no rows.
func StreamFilter(source TableName, paths []string) string {
	if len(paths) == 0 {
		return "(SELECT * FROM " + source.SQL() + " WHERE false)"
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = QuoteString(p)
	}
	return "(SELECT * FROM " + source.SQL() + " WHERE _source_file IN (" + strings.Join(quoted, ", ") + "))"
}

// SelectColumns returns the columns a SELECT would produce, binding it
// without running it.
func (tx *Tx) SelectColumns(ctx context.Context, selectSQL string) ([]Column, error) {
	return describe(ctx, tx.tx, "("+trimSQL(selectSQL)+")")
}

// PartitionStart is where an incremental_by_time run of table starts: the
// newest value of column in the table not after now (the newest of all
// when every value is after now) minus lookback, as a SQL literal of the
// column's type and as text. ok is false when the table has no value yet.
func (tx *Tx) PartitionStart(ctx context.Context, table TableName, column string, lookback time.Duration, now time.Time) (literal, text string, ok bool, err error) {
	cols, err := tableColumns(ctx, tx.tx, table)
	if err != nil {
		return "", "", false, fmt.Errorf("lakehouse: columns of %s: %w", table, err)
	}
	typ := ""
	for _, c := range cols {
		if strings.EqualFold(c.Name, column) {
			typ = c.Type
		}
	}
	if typ == "" {
		return "", "", false, fmt.Errorf("lakehouse: %s has no column %q", table, column)
	}
	var v *string
	// The newest row is the newest not after now: one row dated in the
	// future (a 9999-12-31 placeholder) made every later window start
	// after the new days, which were never built. Rows after now are
	// inside the window whatever its start, so they are rebuilt each run;
	// when every row is after now (a clock behind the data), the newest.
	col := QuoteIdent(column)
	q := fmt.Sprintf("SELECT CAST(coalesce(max(%s) FILTER (WHERE %s <= CAST(? AS %s)), max(%s)) - to_seconds(%d) AS %s)::VARCHAR FROM %s",
		col, col, typ, col, int64(lookback/time.Second), typ, table.SQL())
	if err := tx.tx.QueryRowContext(ctx, q, now.UTC().Format("2006-01-02 15:04:05.999999")).Scan(&v); err != nil {
		return "", "", false, fmt.Errorf("lakehouse: newest %s of %s: %w", column, table, err)
	}
	if v == nil {
		return "", "", false, nil
	}
	return "CAST(" + QuoteString(*v) + " AS " + typ + ")", *v, true, nil
}
