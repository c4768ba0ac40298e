package lakehouse

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Format is a landing file format.
type Format string

// The formats ingestion reads.
const (
	CSV     Format = "csv"
	JSON    Format = "json"
	Parquet Format = "parquet"
)

// FormatOf tells a file's format from its extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return CSV, nil
	case ".json", ".jsonl", ".ndjson":
		return JSON, nil
	case ".parquet", ".pq":
		return Parquet, nil
	}
	return "", fmt.Errorf("lakehouse: %s: cannot tell the format from the extension %q; pass the format (csv, json or parquet)", path, filepath.Ext(path))
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case CSV, JSON, Parquet, "":
		return f, nil
	}
	return "", fmt.Errorf("lakehouse: unknown format %q: use csv, json or parquet", s)
}

// IngestOptions says where files go and how to read them.
type IngestOptions struct {
	// Table is the bronze table to load into; it is created on first load.
	Table TableName
	// Format overrides the format told by each file's extension.
	Format Format
	// RunID ties the load to a pipeline run in sys.ingested_files.
	RunID string
	// Catalog describes the table (owner, domain, description) in sys.catalog.
	Catalog CatalogEntry
	// BatchID overrides the batch id, which is otherwise the date in the
	// file name (YYYY-MM-DD) or the load time.
	BatchID string
	// SchemaHints gives columns a DuckDB type (column name -> type) instead
	// of the one sniffed from the first rows, as Auto Loader's schemaHints
	// do. A column already stored with another type is altered to it.
	SchemaHints map[string]string
	// NullValues are CSV field values read as NULL besides the empty field,
	// such as NA or N/A (as Auto Loader's nullValue); a column with them
	// then keeps its numeric or date type.
	NullValues []string
	// BaseDir is the project directory: a file under it is recorded by its
	// path relative to it (landing/orders/x.csv), so a moved or copied
	// project still knows what it loaded. Files elsewhere, or all files
	// when it is empty, are recorded by their absolute path.
	BaseDir string
	// OnChange says what to do with a file whose content changed after it
	// was loaded; empty is ChangeWarn.
	OnChange ChangePolicy
}

// ChangePolicy is what a load does with a file that changed after it was
// loaded (a source's on_change).
type ChangePolicy string

// The change policies.
const (
	// ChangeWarn keeps the rows loaded before and says the file changed.
	ChangeWarn ChangePolicy = "warn"
	// ChangeReload replaces the file's rows (and its quarantined rows)
	// with the new version's, in the load's transaction.
	ChangeReload ChangePolicy = "reload"
	// ChangeQuarantine keeps the old rows and puts the new version's rows
	// in the quarantine table, with the reason QuarantineChanged.
	ChangeQuarantine ChangePolicy = "quarantine"
)

// ChangePolicies lists the change policies, for validation and the schema.
var ChangePolicies = []string{string(ChangeWarn), string(ChangeReload), string(ChangeQuarantine)}

// QuarantineChanged is the quarantine reason of rows from a file that
// changed after it was loaded, under ChangeQuarantine.
const QuarantineChanged = "file changed after ingest"

// ParseChangePolicy checks a change policy name; "" is ChangeWarn.
func ParseChangePolicy(s string) (ChangePolicy, error) {
	switch p := ChangePolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return ChangeWarn, nil
	case ChangeWarn, ChangeReload, ChangeQuarantine:
		return p, nil
	}
	return "", fmt.Errorf("lakehouse: unknown on_change %q: use warn, reload or quarantine", s)
}

// FileResult is what happened to one file.
type FileResult struct {
	Path            string `json:"path"`
	Format          Format `json:"format"`
	BatchID         string `json:"batch_id,omitempty"`
	Skipped         bool   `json:"skipped,omitempty"`
	SkipReason      string `json:"skip_reason,omitempty"`
	RowsRead        int64  `json:"rows_read"`
	RowsLoaded      int64  `json:"rows_loaded"`
	RowsQuarantined int64  `json:"rows_quarantined"`
	// DuplicateOf names the file, loaded before into the table, whose bytes
	// this one repeats: it was skipped.
	DuplicateOf string `json:"duplicate_of,omitempty"`
	// Changed says the file's content differs from the version loaded
	// before; OnChange is what was done (warn: skipped, the old rows
	// kept; reload; quarantine).
	Changed  bool         `json:"changed,omitempty"`
	OnChange ChangePolicy `json:"on_change,omitempty"`
}

// IngestResult sums up one Ingest call.
type IngestResult struct {
	Table           string       `json:"table"`
	Files           []FileResult `json:"files"`
	RowsRead        int64        `json:"rows_read"`
	RowsLoaded      int64        `json:"rows_loaded"`
	RowsQuarantined int64        `json:"rows_quarantined"`
	// Columns says, per column of the table, how the load typed it, which
	// values it read as null and which it quarantined.
	Columns []ColumnReport `json:"columns,omitempty"`
}

// ConservationError means the rows read from a file are not the rows loaded
// plus the rows quarantined; the load is rolled back.
type ConservationError struct {
	Path                      string
	Read, Loaded, Quarantined int64
}

func (e *ConservationError) Error() string {
	return fmt.Sprintf("lakehouse: %s: rows do not add up: read %d, loaded %d, quarantined %d; nothing was loaded (this is a lakebench bug: please report it with the file)",
		e.Path, e.Read, e.Loaded, e.Quarantined)
}

// Ingest loads files into a bronze table in one transaction: every file is
// loaded, or none is.
func (lh *Lakehouse) Ingest(ctx context.Context, files []string, opts IngestOptions) (*IngestResult, error) {
	if lh.principal != "" {
		// A load writes its table: MODIFY on it, as a run's ingest task needs.
		if err := lh.Authorize(ctx, lh.principal, nil, []TableName{opts.Table}); err != nil {
			lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: "INGEST", Tables: []string{opts.Table.String()}, Allowed: false, Detail: err.Error()})
			return nil, err
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.Ingest(ctx, files, opts)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if lh.principal != "" {
		lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: "INGEST", Tables: []string{opts.Table.String()}, Rows: res.RowsLoaded, Allowed: true})
	}
	return res, nil
}

// Ingest loads files into a bronze table inside the transaction. Each file
// is loaded exactly once (sys.ingested_files); bad rows go to
// <table>_quarantine with their file, line and reason.
func (tx *Tx) Ingest(ctx context.Context, files []string, opts IngestOptions) (*IngestResult, error) {
	if opts.Table.Name == "" {
		return nil, errors.New("lakehouse: ingest: no table given; name one as SCHEMA.NAME, for example bronze.orders")
	}
	if InternalSchema(opts.Table.Schema) && opts.Table.Schema != "bronze" {
		return nil, fmt.Errorf("lakehouse: ingest: %s is in schema %s, which is lakebench's own; load into bronze (or a schema of your own)", opts.Table, opts.Table.Schema)
	}
	policy, err := ParseChangePolicy(string(opts.OnChange))
	if err != nil {
		return nil, err
	}
	base := ""
	if opts.BaseDir != "" {
		if base, err = filepath.Abs(opts.BaseDir); err != nil {
			return nil, fmt.Errorf("lakehouse: ingest: %w", err)
		}
	}
	var jobs []ingestJob
	listed := statClock()
	// Check every file before loading any, so a bad path loads nothing.
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("lakehouse: ingest %s: %w", f, err)
		}
		st, err := os.Stat(abs)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("lakehouse: ingest %s: file not found; check the path (it is read relative to the current directory)", f)
		case err != nil:
			return nil, fmt.Errorf("lakehouse: ingest %s: %w", f, err)
		case st.IsDir():
			return nil, fmt.Errorf("lakehouse: ingest %s: is a directory; pass the files in it (for example %s)", f, filepath.Join(f, "*.csv"))
		case st.Size() == 0:
			return nil, fmt.Errorf("lakehouse: ingest %s: file is empty; remove it from landing or fill it, then retry", f)
		}
		format := opts.Format
		if format == "" {
			if format, err = FormatOf(abs); err != nil {
				return nil, err
			}
		}
		jobs = append(jobs, ingestJob{path: abs, name: recordedPath(abs, base), format: format, size: st.Size(), stat: settledStat(st, listed)})
	}
	// A table that exists without a store of loaded rows is not a load's:
	// a model's table, or lakebench's own.
	if exists, err := tableExists(ctx, tx.tx, opts.Table); err != nil {
		return nil, err
	} else if stored, err := tableExists(ctx, tx.tx, storeTable(opts.Table)); err != nil {
		return nil, err
	} else if exists && !stored {
		return nil, fmt.Errorf("lakehouse: ingest: %s is not a table files are loaded into (a model builds it, or lakebench keeps it); load into a table of its own, such as bronze.%s_files", opts.Table, opts.Table.Name)
	} else if !stored {
		// No columns yet (see storeColumns): the first load need not ask.
		tx.columns[storeTable(opts.Table)] = nil
	}
	hints, err := tx.checkHints(ctx, opts.SchemaHints)
	if err != nil {
		return nil, err
	}
	book, err := tx.loadedFiles(ctx, opts.Table, jobs)
	if err != nil {
		return nil, err
	}
	res := &IngestResult{Table: opts.Table.String(), Files: []FileResult{}}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := tx.tx.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+QuoteIdent(opts.Table.Schema)); err != nil {
		return nil, fmt.Errorf("lakehouse: ingest: %w", err)
	}
	results := make([]FileResult, len(jobs))
	loaders := make([]*loader, len(jobs))
	// JSON and Parquet files load together, a statement for all of them.
	var jsonBatch, parquetBatch []*loader
	wrap := func(path string, err error) error {
		if ctx.Err() != nil {
			return ErrCanceled
		}
		var ce *ConservationError
		if errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("lakehouse: ingest %s into %s: %w", path, opts.Table, err)
	}
	seen := map[string]bool{}
	var links string // a temporary folder of links to files whose names DuckDB would read as globs
	defer func() {
		if links != "" {
			os.RemoveAll(links)
		}
	}()
	ids, err := tx.lh.fileIDs.next(ctx, tx.tx, len(jobs))
	if err != nil {
		return nil, err
	}
	for i, j := range jobs {
		if err := ctx.Err(); err != nil {
			return nil, ErrCanceled
		}
		l := &loader{tx: tx, table: opts.Table, store: storeTable(opts.Table), path: j.path, name: j.name, at: now, batch: batchID(j.path, opts.BatchID, now), hints: hints, nulls: opts.NullValues}
		results[i] = FileResult{Path: j.name, Format: j.format, BatchID: l.batch}
		if seen[j.path] {
			results[i].Skipped, results[i].SkipReason = true, "listed twice"
			continue
		}
		seen[j.path] = true
		l.fileID = ids[i]
		if l.dpath, err = globSafe(j.path, &links); err != nil {
			return nil, wrap(j.path, err)
		}
		if skip, err := book.decide(ctx, l, &jobs[i], policy, &results[i]); err != nil {
			return nil, wrap(j.path, err)
		} else if skip {
			continue
		}
		loaders[i] = l
		switch j.format {
		case CSV:
			err = l.csv(ctx)
		case JSON:
			jsonBatch = append(jsonBatch, l)
		case Parquet:
			parquetBatch = append(parquetBatch, l)
		default:
			err = fmt.Errorf("unknown format %q", j.format)
		}
		if err != nil {
			return nil, wrap(j.path, err)
		}
	}
	if len(parquetBatch) > 0 {
		if err := tx.loadParquet(ctx, parquetBatch); err != nil {
			return nil, wrap(parquetBatch[0].path, err)
		}
	}
	if len(jsonBatch) > 0 {
		if err := tx.loadJSON(ctx, jsonBatch); err != nil {
			return nil, wrap(jsonBatch[0].path, err)
		}
	}
	for i, l := range loaders {
		if l == nil {
			res.Files = append(res.Files, results[i])
			continue
		}
		fr := &results[i]
		if l.quarantineAll {
			if err := l.quarantineLoaded(ctx); err != nil {
				return nil, wrap(l.path, err)
			}
		}
		fr.RowsRead, fr.RowsLoaded, fr.RowsQuarantined = l.read, l.loaded, l.quarantined
		if fr.RowsRead != fr.RowsLoaded+fr.RowsQuarantined {
			return nil, &ConservationError{Path: l.path, Read: fr.RowsRead, Loaded: fr.RowsLoaded, Quarantined: fr.RowsQuarantined}
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO sys.ingested_files
			(file_id, table_name, path, size, content_hash, batch_id, rows_read, rows_loaded, rows_quarantined, ingested_at, run_id, file_stat)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.fileID, opts.Table.String(), l.name, jobs[i].size, l.hash, l.batch, fr.RowsRead, fr.RowsLoaded, fr.RowsQuarantined, now, nullString(opts.RunID), nullString(jobs[i].stat))
		if err != nil {
			return nil, fmt.Errorf("lakehouse: record %s: %w", l.path, err)
		}
		res.Files = append(res.Files, *fr)
		res.RowsRead += fr.RowsRead
		res.RowsLoaded += fr.RowsLoaded
		res.RowsQuarantined += fr.RowsQuarantined
		res.Columns = mergeColumnReports(res.Columns, &l.columns)
	}
	// The table's entry, written at commit if it exists then.
	c := opts.Catalog
	c.Schema, c.Table = opts.Table.Schema, opts.Table.Name
	if c.Layer == "" {
		c.Layer = opts.Table.Schema
	}
	tx.setCatalog(c, true)
	tx.countRows(opts.Table, TableName{Schema: opts.Table.Schema, Name: opts.Table.Name + "_quarantine"})
	return res, nil
}

// newFileID is a random positive 53-bit id (see fileIDs).
func newFileID() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 11)
}

var datePattern = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

func batchID(path, override string, now time.Time) string {
	if override != "" {
		return override
	}
	if d := datePattern.FindString(filepath.Base(path)); d != "" {
		return d
	}
	return now.Format("20060102T150405Z")
}

// loader loads one file into one table.
type loader struct {
	tx     *Tx
	table  TableName
	store  TableName
	fileID int64
	path   string
	name   string // path as recorded: relative to the project, else absolute
	dpath  string // path as DuckDB is given it: no glob characters
	at     time.Time
	batch  string
	hash   string
	hints  map[string]string // lower-case column name -> type
	nulls  []string          // CSV values read as NULL

	// tolerant holds the note of each column (lower-case name) typed with
	// tolerance by this file's sniff; columns logs what the load did.
	tolerant map[string]string
	columns  columnLog

	read, loaded, quarantined int64
	// quarantineAll sends every row loaded to quarantine (a changed file
	// under ChangeQuarantine).
	quarantineAll bool
}

// globSafe returns a path DuckDB reads as the file itself: DuckDB's
// readers expand *, ? and [...] in a path, so a file named x[1].json would
// read x1.json. Such a file is read through a symbolic link, made in *dir
// (created on first use).
func globSafe(path string, dir *string) (string, error) {
	if !strings.ContainsAny(path, "*?[]{}") {
		return path, nil
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "lakebench-links-")
		if err != nil {
			return "", err
		}
		*dir = d
	}
	link := filepath.Join(*dir, fmt.Sprintf("%d%s", newFileID(), strings.ToLower(filepath.Ext(strings.Trim(path, "*?[]{}")))))
	return link, os.Symlink(path, link)
}

// Ingested rows are stored in <schema>_data.<table> with one small
// _file_id column; <schema>.<table> is a view that adds _source_file,
// _ingested_at and _batch_id from sys.ingested_files. Per-row lineage thus
// costs one integer instead of three strings written a million times.
const fileIDColumn = "_file_id"

// reservedColumns are the names of lakebench's own columns in bronze
// tables and staged files.
var reservedColumns = []string{fileIDColumn, "_source_file", "_ingested_at", "_batch_id", jsonLineCol, jsonFileCol, "__lb_path", "__lb_row"}

func reservedColumn(name string) bool {
	for _, r := range reservedColumns {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// storeTable is where an ingested table's rows are stored.
func storeTable(t TableName) TableName {
	return TableName{Schema: t.Schema + "_data", Name: t.Name}
}

func (l *loader) metaSelect() string {
	return fmt.Sprintf("%d::BIGINT AS %s", l.fileID, fileIDColumn)
}

// createView (re)creates the lineage view over the stored rows.
func (l *loader) createView(ctx context.Context) error {
	_, err := l.tx.tx.ExecContext(ctx, "CREATE OR REPLACE VIEW "+l.table.SQL()+" AS SELECT d.* EXCLUDE ("+fileIDColumn+
		"), f.path AS _source_file, f.ingested_at AS _ingested_at, f.batch_id AS _batch_id FROM "+l.store.SQL()+
		" AS d JOIN sys.ingested_files AS f ON f.file_id = d."+fileIDColumn)
	return err
}

func (l *loader) quarantineTable() TableName {
	return TableName{Schema: l.table.Schema, Name: l.table.Name + "_quarantine"}
}

// tableColumns lists a table's columns in order; nil if it does not exist.
func tableColumns(ctx context.Context, e execer, t TableName) ([]Column, error) {
	if c, ok := e.(*catalogTx); ok {
		return c.columns(ctx, t)
	}
	return readTableColumns(ctx, e, t)
}

// readTableColumns is tableColumns, asked of DuckDB.
func readTableColumns(ctx context.Context, e execer, t TableName) ([]Column, error) {
	rows, err := e.QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index`, t.Schema, t.Name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// prepareTable creates the bronze table for the file's columns, or adds the
// columns it lacks (schema evolution), and returns the target type of every
// file column.
func (l *loader) prepareTable(ctx context.Context, fileCols []Column) ([]Column, error) {
	fileCols = append([]Column(nil), fileCols...)
	for i, c := range fileCols {
		if reservedColumn(c.Name) {
			return nil, fmt.Errorf("the file has a column %q, a name lakebench keeps for its own bookkeeping (%s); rename the column in the source",
				c.Name, strings.Join(reservedColumns, ", "))
		}
		// A type read from a file reaches SQL text too: it is parsed and
		// rendered again like a hint.
		t, err := ParseType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q of the file: %w", c.Name, err)
		}
		fileCols[i].Type = t
	}
	existing, err := l.storeColumns(ctx)
	if err != nil {
		return nil, err
	}
	had := map[string]bool{}
	for _, c := range existing {
		had[strings.ToLower(c.Name)] = true
	}
	if len(l.hints) > 0 {
		for i, c := range fileCols {
			if t, ok := l.hints[strings.ToLower(c.Name)]; ok {
				fileCols[i].Type = t
			}
		}
		if existing, err = l.alterToHints(ctx, existing); err != nil {
			return nil, err
		}
	}
	if existing == nil {
		delete(l.tx.columns, l.store)
		defs := make([]string, 0, len(fileCols)+1)
		for _, c := range fileCols {
			defs = append(defs, QuoteIdent(c.Name)+" "+c.Type)
		}
		defs = append(defs, fileIDColumn+" BIGINT")
		if _, err := l.tx.tx.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+QuoteIdent(l.store.Schema)); err != nil {
			return nil, err
		}
		if _, err := l.tx.tx.ExecContext(ctx, "CREATE TABLE "+l.store.SQL()+" ("+strings.Join(defs, ", ")+")"); err != nil {
			return nil, err
		}
		l.recordTypes(fileCols, fileCols, had)
		return fileCols, l.createView(ctx)
	}
	have := map[string]string{}
	for _, c := range existing {
		have[strings.ToLower(c.Name)] = c.Type
	}
	out := make([]Column, len(fileCols))
	added := false
	for i, c := range fileCols {
		if t, ok := have[strings.ToLower(c.Name)]; ok {
			out[i] = Column{Name: c.Name, Type: t}
			continue
		}
		if _, err := l.tx.tx.ExecContext(ctx, "ALTER TABLE "+l.store.SQL()+" ADD COLUMN "+QuoteIdent(c.Name)+" "+c.Type); err != nil {
			return nil, err
		}
		out[i] = c
		added = true
	}
	l.recordTypes(fileCols, out, had)
	if added {
		delete(l.tx.columns, l.store)
		return out, l.createView(ctx)
	}
	return out, nil
}

// alterToHints changes stored columns whose type differs from a hint.
func (l *loader) alterToHints(ctx context.Context, existing []Column) ([]Column, error) {
	altered := false
	for i, c := range existing {
		t, ok := l.hints[strings.ToLower(c.Name)]
		if !ok || sameType(t, c.Type) {
			continue
		}
		// Stored values must survive the change exactly: there and back
		// again gives each value unchanged.
		id := QuoteIdent(c.Name)
		var changed int64
		var example *string
		if err := l.tx.tx.QueryRowContext(ctx, "SELECT count(*), any_value("+id+"::VARCHAR) FROM "+l.store.SQL()+" WHERE "+id+" IS NOT NULL AND "+
			"TRY_CAST(TRY_CAST("+id+" AS "+t+") AS "+c.Type+") IS DISTINCT FROM "+id).Scan(&changed, &example); err != nil {
			return nil, err
		}
		if changed > 0 {
			return nil, fmt.Errorf("schema hint %s %s: %d values already stored in %s (%s) would change or be lost, such as %q; "+
				"give the column a type that holds them, or drop the table and load again", c.Name, t, changed, l.table, c.Type, *example)
		}
		if _, err := l.tx.tx.ExecContext(ctx, "ALTER TABLE "+l.store.SQL()+" ALTER COLUMN "+id+" TYPE "+t); err != nil {
			return nil, fmt.Errorf("schema hint %s %s: the stored column is %s and cannot change to it: %w", c.Name, t, c.Type, err)
		}
		existing[i].Type = t
		altered = true
	}
	if altered {
		delete(l.tx.columns, l.store)
		return existing, l.createView(ctx)
	}
	return existing, nil
}

// checkHints checks that every schema hint names a type of the grammar
// ParseType accepts (no hint reaches DuckDB before it is parsed), and
// returns them keyed by lower-case column name, with the types as DuckDB
// spells them.
func (tx *Tx) checkHints(_ context.Context, hints map[string]string) (map[string]string, error) {
	if len(hints) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for col, t := range hints {
		if strings.TrimSpace(col) == "" {
			return nil, fmt.Errorf("lakehouse: schema hint =%s: no column name; write COLUMN=TYPE", truncate(t, 60))
		}
		norm, err := ParseType(t)
		if err != nil {
			return nil, fmt.Errorf("lakehouse: schema hint %s: %w", truncate(col, 60), err)
		}
		out[strings.ToLower(col)] = norm
	}
	return out, nil
}

// storeColumns are the stored table's columns (nil before the first load),
// cached for the transaction.
func (l *loader) storeColumns(ctx context.Context) ([]Column, error) {
	if cols, ok := l.tx.columns[l.store]; ok {
		return cols, nil
	}
	cols, err := tableColumns(ctx, l.tx.tx, l.store)
	if err == nil && cols != nil {
		l.tx.columns[l.store] = cols
	}
	return cols, err
}

// quarantine writes bad lines to the table's quarantine table.
func (l *loader) quarantine(ctx context.Context, bad []badLine) error {
	if len(bad) == 0 {
		return nil
	}
	q, err := l.ensureQuarantine(ctx)
	if err != nil {
		return err
	}
	stmt, err := l.tx.tx.PrepareContext(ctx, "INSERT INTO "+q.SQL()+" VALUES (?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, b := range bad {
		if _, err := stmt.ExecContext(ctx, l.name, b.line, nullString(b.column), b.reason, b.raw, l.at, l.batch); err != nil {
			return err
		}
		if b.column != "" && b.typed {
			l.columns.quarantined(b.column, b.value)
		}
	}
	l.quarantined += int64(len(bad))
	return nil
}

// ensureQuarantine creates the table's quarantine table if needed.
func (l *loader) ensureQuarantine(ctx context.Context) (TableName, error) {
	q := l.quarantineTable()
	_, err := l.tx.tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+q.SQL()+
		" (_source_file VARCHAR, _line BIGINT, _column VARCHAR, _reason VARCHAR, _raw VARCHAR, _ingested_at TIMESTAMP, _batch_id VARCHAR)")
	if err != nil {
		return q, err
	}
	l.tx.setCatalog(CatalogEntry{Schema: q.Schema, Table: q.Name, Layer: q.Schema,
		Description: "rows of " + l.table.String() + " that could not be loaded, with file, line and reason"}, false)
	return q, nil
}

// rawLines reads the given line numbers of a file (for quarantine records
// whose text DuckDB did not keep).
func rawLines(path string, want map[int64]bool) (map[int64]string, error) {
	out := map[int64]string{}
	if len(want) == 0 {
		return out, nil
	}
	err := eachLine(path, func(n, _ int64, line []byte) bool {
		if want[n] {
			out[n] = truncate(string(bytes.ToValidUTF8(trimEOL(line), []byte("\uFFFD"))), 4096)
		}
		return len(out) < len(want)
	})
	return out, err
}

// eachLine calls fn with each line of a file (as lineReader ends lines),
// its number and the offset where it starts, until fn returns false; it
// returns the number of the last line read.
func eachLine(path string, fn func(n, start int64, line []byte) bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lr := newLineReader(f)
	var start int64
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !fn(lr.line, start, line) {
			return nil
		}
		start += int64(len(line))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a character boundary: half a UTF-8 character is not text,
	// and DuckDB refuses it.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.ToValidUTF8(s[:n], "\uFFFD") + "…"
}

// ingestJob is one file of a load.
type ingestJob struct {
	path   string // absolute
	name   string // as recorded (see recordedPath)
	format Format
	size   int64
	hash   string // computed up front only when a record might match it
	stat   string // settledStat when listed: "" when it tells nothing
}

// recordedPath is how sys.ingested_files names a file: relative to the
// project directory when under it, else absolute.
func recordedPath(abs, base string) string {
	if base == "" {
		return abs
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs
	}
	return rel
}

// loadedFile is one row of sys.ingested_files.
type loadedFile struct {
	path string
	size int64
	hash string
	stat string // file_stat: the file's settledStat when hashed
	at   time.Time
}

// fileBook is what a table loaded before, for deciding which files of a
// load are new: by path (the same file again, or changed) and by content
// (the same bytes under another name).
type fileBook struct {
	tx     *Tx
	table  TableName
	byPath map[string]loadedFile  // the latest version of each path
	bySize map[int64][]loadedFile // every version, to find equal bytes
	batch  map[string]string      // hash -> name of a file taken in this load
}

// loadedFiles reads the table's records, after moving records of older
// lakebench versions (absolute paths) to the paths this load uses: the
// same absolute path, or, for files a run loaded, the same path under
// the directory the project was in then (a moved or copied project).
// Files whose size a record or another file of the load shares are hashed
// now, so equal bytes are found before anything is loaded.
func (tx *Tx) loadedFiles(ctx context.Context, table TableName, jobs []ingestJob) (*fileBook, error) {
	if err := tx.migrateRecordedPaths(ctx, table, jobs); err != nil {
		return nil, err
	}
	b := &fileBook{tx: tx, table: table, byPath: map[string]loadedFile{}, bySize: map[int64][]loadedFile{}, batch: map[string]string{}}
	rows, err := tx.tx.QueryContext(ctx, `SELECT path, coalesce(size, -1), coalesce(content_hash, ''), coalesce(file_stat, ''), ingested_at
		FROM sys.ingested_files WHERE table_name = ? ORDER BY ingested_at, file_id`, table.String())
	if err != nil {
		return nil, fmt.Errorf("lakehouse: ingest: read sys.ingested_files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f loadedFile
		if err := rows.Scan(&f.path, &f.size, &f.hash, &f.stat, &f.at); err != nil {
			return nil, fmt.Errorf("lakehouse: ingest: read sys.ingested_files: %w", err)
		}
		b.byPath[f.path] = f
		b.bySize[f.size] = append(b.bySize[f.size], f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: ingest: read sys.ingested_files: %w", err)
	}
	sizes := map[int64]int{}
	for _, j := range jobs {
		sizes[j.size]++
	}
	for i, j := range jobs {
		prev, known := b.byPath[j.name]
		if !known && len(b.bySize[j.size]) == 0 && sizes[j.size] < 2 {
			continue
		}
		// A file loaded before whose stat is the one kept with its hash
		// has not been written since: its hash is the recorded one.
		if known && prev.hash != "" && j.stat != "" && prev.stat == j.stat {
			jobs[i].hash = prev.hash
			continue
		}
		if jobs[i].hash, err = hashFile(j.path); err != nil {
			return nil, fmt.Errorf("lakehouse: ingest %s: %w", j.path, err)
		}
		// The same bytes under a stat not kept yet (a file loaded while
		// it was fresh, a copied project): kept now, so the next load
		// need not read it.
		if known && prev.hash == jobs[i].hash && j.stat != "" {
			if _, err := tx.tx.ExecContext(ctx, `UPDATE sys.ingested_files SET file_stat = ?
				WHERE table_name = ? AND path = ? AND content_hash = ?`, j.stat, table.String(), j.name, prev.hash); err != nil {
				return nil, fmt.Errorf("lakehouse: ingest: record the stat of %s: %w", j.path, err)
			}
		}
	}
	return b, nil
}

// migrateRecordedPaths renames records (and quarantined rows) that name a
// file of this load by an absolute path, as lakebench did before paths
// were relative to the project.
func (tx *Tx) migrateRecordedPaths(ctx context.Context, table TableName, jobs []ingestJob) error {
	relative := false
	for _, j := range jobs {
		relative = relative || j.name != j.path
	}
	if !relative {
		return nil
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT DISTINCT path, bool_or(run_id IS NOT NULL) FROM sys.ingested_files
		WHERE table_name = ? AND starts_with(path, '/') GROUP BY path`, table.String())
	if err != nil {
		return fmt.Errorf("lakehouse: ingest: read sys.ingested_files: %w", err)
	}
	renames := map[string]string{}
	for rows.Next() {
		var old string
		var byRun bool
		if err := rows.Scan(&old, &byRun); err != nil {
			rows.Close()
			return fmt.Errorf("lakehouse: ingest: read sys.ingested_files: %w", err)
		}
		best := ""
		for _, j := range jobs {
			if j.name == j.path {
				continue
			}
			if old == j.path {
				best = j.name
				break
			}
			if byRun && strings.HasSuffix(old, string(filepath.Separator)+j.name) && len(j.name) > len(best) {
				best = j.name
			}
		}
		if best != "" {
			renames[old] = best
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lakehouse: ingest: read sys.ingested_files: %w", err)
	}
	if len(renames) == 0 {
		return nil
	}
	q := TableName{Schema: table.Schema, Name: table.Name + "_quarantine"}
	hasQuarantine, err := tableExists(ctx, tx.tx, q)
	if err != nil {
		return err
	}
	for old, name := range renames {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE sys.ingested_files SET path = ? WHERE table_name = ? AND path = ?`, name, table.String(), old); err != nil {
			return fmt.Errorf("lakehouse: ingest: record %s as %s: %w", old, name, err)
		}
		if hasQuarantine {
			if _, err := tx.tx.ExecContext(ctx, "UPDATE "+q.SQL()+" SET _source_file = ? WHERE _source_file = ?", name, old); err != nil {
				return fmt.Errorf("lakehouse: ingest: record %s as %s in %s: %w", old, name, q, err)
			}
		}
	}
	return nil
}

// decide tells whether a file is skipped, and why, in fr: loaded before
// with the same content, the same bytes as another file loaded (in this
// load or before), or changed since it was loaded, under the warn policy.
// A changed file under reload has its earlier rows removed here; under
// quarantine its rows go to quarantine once loaded.
func (b *fileBook) decide(ctx context.Context, l *loader, j *ingestJob, policy ChangePolicy, fr *FileResult) (bool, error) {
	prev, known := b.byPath[j.name]
	if known && prev.hash == j.hash {
		fr.Skipped, fr.SkipReason = true, "already loaded at "+prev.at.Format(time.DateTime)
		return true, nil
	}
	if j.hash != "" {
		if first, ok := b.batch[j.hash]; ok {
			fr.Skipped, fr.DuplicateOf = true, first
			fr.SkipReason = "same bytes as " + first + " in this load: loaded once"
			return true, nil
		}
		for _, f := range b.bySize[j.size] {
			if f.hash == j.hash && f.path != j.name {
				fr.Skipped, fr.DuplicateOf = true, f.path
				fr.SkipReason = "same bytes as " + f.path + ", loaded at " + f.at.Format(time.DateTime) + ": the same content loads once into a table"
				return true, nil
			}
		}
	}
	if known {
		fr.Changed, fr.OnChange = true, policy
		since := "changed since it was loaded at " + prev.at.Format(time.DateTime)
		switch policy {
		case ChangeReload:
			if err := b.unload(ctx, l); err != nil {
				return false, err
			}
		case ChangeQuarantine:
			l.quarantineAll = true
		default:
			fr.Skipped = true
			fr.SkipReason = since + ": the rows loaded then are kept (on_change: warn); save new data under a new name, or set the source's on_change to reload or quarantine"
			return true, nil
		}
	}
	if j.hash != "" {
		b.batch[j.hash] = j.name
	}
	return false, nil
}

// unload removes what earlier versions of a file put in the table: its
// rows, its quarantined rows and its records.
func (b *fileBook) unload(ctx context.Context, l *loader) error {
	if ok, err := tableExists(ctx, b.tx.tx, l.store); err != nil {
		return err
	} else if ok {
		if _, err := b.tx.tx.ExecContext(ctx, "DELETE FROM "+l.store.SQL()+" WHERE "+fileIDColumn+
			" IN (SELECT file_id FROM sys.ingested_files WHERE table_name = ? AND path = ?)", b.table.String(), l.name); err != nil {
			return fmt.Errorf("remove the rows of the earlier version: %w", err)
		}
	}
	if ok, err := tableExists(ctx, b.tx.tx, l.quarantineTable()); err != nil {
		return err
	} else if ok {
		if _, err := b.tx.tx.ExecContext(ctx, "DELETE FROM "+l.quarantineTable().SQL()+" WHERE _source_file = ?", l.name); err != nil {
			return fmt.Errorf("remove the quarantined rows of the earlier version: %w", err)
		}
	}
	if _, err := b.tx.tx.ExecContext(ctx, "DELETE FROM sys.ingested_files WHERE table_name = ? AND path = ?", b.table.String(), l.name); err != nil {
		return fmt.Errorf("remove the record of the earlier version: %w", err)
	}
	return nil
}

// quarantineLoaded moves every row this loader loaded to the quarantine
// table, each as JSON, with the reason QuarantineChanged.
func (l *loader) quarantineLoaded(ctx context.Context) error {
	if l.loaded == 0 {
		return nil
	}
	q, err := l.ensureQuarantine(ctx)
	if err != nil {
		return err
	}
	res, err := l.tx.tx.ExecContext(ctx, "INSERT INTO "+q.SQL()+" (_source_file, _line, _column, _reason, _raw, _ingested_at, _batch_id) "+
		"SELECT ?, NULL, NULL, ?, to_json(d)::VARCHAR, ?, ? FROM (SELECT * EXCLUDE ("+fileIDColumn+") FROM "+l.store.SQL()+" WHERE "+fileIDColumn+" = ?) AS d",
		l.name, QuarantineChanged, l.at, l.batch, l.fileID)
	if err != nil {
		return fmt.Errorf("quarantine the changed file's rows: %w", err)
	}
	moved, _ := res.RowsAffected()
	if _, err := l.tx.tx.ExecContext(ctx, "DELETE FROM "+l.store.SQL()+" WHERE "+fileIDColumn+" = ?", l.fileID); err != nil {
		return fmt.Errorf("quarantine the changed file's rows: %w", err)
	}
	l.loaded -= moved
	l.quarantined += moved
	return nil
}

// statClock is the time a load lists its files at (see settledStat);
// tests move it on rather than wait.
var statClock = time.Now

// filesHashed counts hashFile's reads, for the tests.
var filesHashed atomic.Int64

// hashFile is a file's content hash, as loads record it.
func hashFile(path string) (string, error) {
	filesHashed.Add(1)
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := newContentHash()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return h.sum(), nil
}
