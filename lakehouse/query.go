package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"
)

// Result is a page of a query's rows, with its columns.
type Result struct {
	Columns []Column `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Offset is the index of the first row of this page in the whole result.
	Offset int64 `json:"offset"`
}

// ErrCanceled is returned when a query's context is canceled: DuckDB was
// interrupted and the lakehouse stays usable.
var ErrCanceled = errors.New("lakehouse: query canceled")

// IsSelect reports whether sql is a single SELECT (DuckDB's parser decides).
func (lh *Lakehouse) IsSelect(ctx context.Context, sqlText string) bool {
	_, err := lh.TableRefs(ctx, sqlText)
	return err == nil
}

// Exec runs a statement that returns no rows and reports the rows affected.
func (lh *Lakehouse) Exec(ctx context.Context, stmt string) (int64, error) {
	tables, action, err := lh.authorizeSQL(ctx, stmt)
	if err != nil {
		return 0, err
	}
	if action != "SELECT" && !lh.readOnly {
		// Before it runs: a model that reads what it writes must not
		// be skipped as unchanged by the next run (see forgetInputs).
		if _, ferr := lh.db.ExecContext(ctx, forgetInputsSQL); ferr != nil {
			err = fmt.Errorf("lakehouse: forget the models' input stamps: %w", ferr)
			lh.audited(ctx, action, stmt, tables, 0, err)
			return 0, err
		}
	}
	res, err := lh.db.ExecContext(ctx, stmt)
	if action != "SELECT" {
		// What it may have changed shows DuckDB's estimate, marked (a
		// DELETE leaves estimated_size as it was), until written again.
		if ferr := lh.forgetCounts(context.WithoutCancel(ctx), tables); ferr != nil && err == nil {
			err = ferr
		}
		// It committed on its own, past no Tx.Commit (nor, without a
		// principal, an Audit): the log it grew is checkpointed the same,
		// after the write above (DuckDB refuses a checkpoint beside one).
		lh.afterCommit()
	}
	if err != nil {
		lh.audited(ctx, action, stmt, tables, 0, err)
		return 0, queryError(ctx, err)
	}
	n, _ := res.RowsAffected()
	if err := lh.audited(ctx, action, stmt, tables, n, nil); err != nil {
		return 0, err
	}
	return n, nil
}

// audited records an allowed statement in the audit, when a principal is
// set, with its SQL text (stmt, "" for lakebench's own reads on the
// principal's behalf) and how it ended. An access that cannot be audited
// fails: its caller returns the error, never the rows (every access is in
// sys.audit). It also notes what stmt read, for its usage record (see
// noteReads).
func (lh *Lakehouse) audited(ctx context.Context, action, stmt string, tables []string, rows int64, err error) error {
	lh.noteReads(stmt, tables)
	if lh.principal == "" {
		return nil
	}
	e := AuditEvent{Principal: lh.principal, Action: action, Tables: tables, Rows: rows, Allowed: true, Statement: auditStatement(stmt)}
	if err != nil {
		e.Detail = "failed: " + firstLine(err.Error())
	}
	if aerr := lh.Audit(context.WithoutCancel(ctx), e); aerr != nil {
		return fmt.Errorf("lakehouse: %s's access to %s could not be audited, so its result is withheld: %w", lh.principal, strings.Join(tables, ", "), aerr)
	}
	return nil
}

// Page returns at most limit rows of a SELECT's result starting at offset.
// The result is one execution of the query: the first Page call of a SQL
// text takes a snapshot of it (see Snapshot), numbered once, and later calls
// with the same text and principal page over that snapshot, so rows are
// never skipped or repeated between pages. Another SQL text, or a call to
// Snapshot, runs the query anew. The snapshot is audited once, when taken.
func (lh *Lakehouse) Page(ctx context.Context, selectSQL string, offset, limit int64) (*Result, error) {
	lh.pageMu.Lock()
	defer lh.pageMu.Unlock()
	if rs := lh.paged; rs == nil || rs.sql != trimSQL(selectSQL) || rs.principal != lh.principal {
		if rs != nil {
			rs.Close()
			lh.paged = nil
		}
		rs, err := lh.Snapshot(ctx, selectSQL)
		if err != nil {
			return nil, err
		}
		lh.paged = rs
	}
	return lh.paged.Page(ctx, offset, limit)
}

// Count returns how many rows a SELECT produces.
func (lh *Lakehouse) Count(ctx context.Context, selectSQL string) (int64, error) {
	tables, action, err := lh.authorizeSQL(ctx, selectSQL)
	if err != nil {
		return 0, err
	}
	var n int64
	err = lh.userDB().QueryRowContext(ctx, "SELECT count(*) FROM ("+trimSQL(selectSQL)+"\n) AS lb_count").Scan(&n)
	if aerr := lh.audited(ctx, action, selectSQL, tables, 1, err); aerr != nil && err == nil {
		return 0, aerr
	}
	if err != nil {
		return 0, queryError(ctx, err)
	}
	return n, nil
}

// Stream runs a SELECT once and hands its rows to fn in order, batchSize
// rows at a time (the first batch is handed even when the result is
// empty, for its columns), stopping at the first error. A result is one
// result set: the query runs once and its rows are scanned as DuckDB
// returns them, so a result of any size is complete and consistent, and Go
// holds one batch at a time. It is authorized and audited once. A DECIMAL
// value stays exact (a duckdb.Decimal: its digits and scale), where Query
// turns it into a float64.
func (lh *Lakehouse) Stream(ctx context.Context, selectSQL string, batchSize int64, fn func(*Result) error) error {
	tables, action, err := lh.authorizeSQL(ctx, selectSQL)
	if err != nil {
		return err
	}
	var n int64
	err = streamOn(ctx, lh.userDB(), trimSQL(selectSQL), batchSize, func(r *Result) error {
		n += int64(len(r.Rows))
		return fn(r)
	})
	if aerr := lh.audited(ctx, action, selectSQL, tables, n, err); aerr != nil && err == nil {
		return aerr
	}
	return err
}

// streamOn runs q once on e and hands its rows to fn in batches. A batch's
// values live in one slice of their own (fn may keep the batch), scanned
// through one set of pointers: what DuckDB returns is copied into Go once.
func streamOn(ctx context.Context, e execer, q string, batchSize int64, fn func(*Result) error) error {
	if batchSize <= 0 {
		batchSize = 10_000
	}
	rows, err := e.QueryContext(ctx, q)
	if err != nil {
		return queryError(ctx, err)
	}
	defer rows.Close()
	cols, err := resultColumns(rows)
	if err != nil {
		return queryError(ctx, err)
	}
	sc := newRowScanner(len(cols))
	sc.exactDecimals = true
	var offset int64
	newBatch := func() *Result {
		return &Result{Columns: cols, Rows: make([][]any, 0, min(batchSize, 4096)), Offset: offset}
	}
	batch := newBatch()
	// slab holds the values of the batch's rows, allocated a chunk at a
	// time; each row is a slice of it.
	var slab []any
	for rows.Next() {
		if len(slab) < len(cols) {
			slab = make([]any, len(cols)*int(min(batchSize-int64(len(batch.Rows)), 1024)))
		}
		row := slab[:len(cols):len(cols)]
		slab = slab[len(cols):]
		if err := sc.scan(rows, row); err != nil {
			return queryError(ctx, err)
		}
		batch.Rows = append(batch.Rows, row)
		if int64(len(batch.Rows)) == batchSize {
			if err := fn(batch); err != nil {
				return err
			}
			offset += batchSize
			batch, slab = newBatch(), nil
		}
	}
	if err := rows.Err(); err != nil {
		return queryError(ctx, err)
	}
	if len(batch.Rows) > 0 || offset == 0 {
		return fn(batch)
	}
	return nil
}

// ResultSet is one execution of a SELECT kept to page over: its rows are
// numbered once, when the query runs, into a temporary table of one
// connection (DuckDB keeps it in memory, spilling to its temp directory),
// so every Page reads the same rows in the same order, whatever the query.
// Close drops it; closing the Lakehouse drops it too.
type ResultSet struct {
	conn      *sql.Conn
	table     string
	sql       string
	principal string
	columns   []Column
	rows      int64
	// names are the snapshot table's columns holding the result, in order.
	names []string
}

// snapshotSeq names each snapshot's temporary table.
var snapshotSeq atomic.Int64

// snapshotPrefix wraps the user's SQL; errors point past it (unwrapError).
const snapshotPrefix = "SELECT row_number() OVER () AS lb_row, * FROM ("

// describePrefix is how describeQuery wraps a query.
const describePrefix = "DESCRIBE "

// describeQuery returns the columns of a query's result as the query names
// them (a subquery would rename a repeated name): DESCRIBE binds the query,
// it does not run it.
func describeQuery(ctx context.Context, e execer, q string) ([]Column, error) {
	rows, err := e.QueryContext(ctx, describePrefix+q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res, err := scanResult(rows)
	if err != nil {
		return nil, err
	}
	cols := make([]Column, len(res.Rows))
	for i, r := range res.Rows {
		cols[i] = Column{Name: fmt.Sprint(r[0]), Type: fmt.Sprint(r[1])}
	}
	return cols, nil
}

// Snapshot runs a SELECT once and keeps its result to page over (see
// ResultSet). It is authorized and audited once, with its row count.
func (lh *Lakehouse) Snapshot(ctx context.Context, selectSQL string) (*ResultSet, error) {
	tables, action, err := lh.authorizeSQL(ctx, selectSQL)
	if err != nil {
		return nil, err
	}
	rs, err := lh.snapshot(ctx, trimSQL(selectSQL))
	var n int64
	if rs != nil {
		n = rs.rows
	}
	if aerr := lh.audited(ctx, action, selectSQL, tables, n, err); aerr != nil && err == nil {
		rs.Close()
		return nil, aerr
	}
	return rs, err
}

func (lh *Lakehouse) snapshot(ctx context.Context, q string) (*ResultSet, error) {
	conn, err := lh.userDB().Conn(ctx)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	rs := &ResultSet{conn: conn, sql: q, principal: lh.principal,
		table: fmt.Sprintf("lb_snapshot_%d", snapshotSeq.Add(1))}
	fail := func(err error) (*ResultSet, error) {
		rs.Close()
		if ctx.Err() != nil {
			return nil, ErrCanceled
		}
		return nil, err
	}
	// DESCRIBE binds the query without running it: binder errors come
	// from here, where DuckDB's LINE n and caret are the user's (the prefix
	// is on the user's first line and short enough not to be cut). In the
	// CREATE, the closing parenthesis follows a newline, so a trailing line
	// comment cannot swallow it.
	// A statement DESCRIBE cannot take but a subquery can (SUMMARIZE)
	// still runs; its error is DESCRIBE's if it fails too.
	want, derr := describeQuery(ctx, conn, q)
	create := "CREATE TEMP TABLE " + rs.table + " AS " + snapshotPrefix + q + "\n) AS lb_result"
	if _, err := conn.ExecContext(ctx, create); err != nil {
		if derr != nil {
			return fail(errors.New(unwrapError(queryError(ctx, derr).Error(), describePrefix)))
		}
		return fail(errors.New(unwrapError(queryError(ctx, err).Error(), snapshotPrefix)))
	}
	// The table's own column names may differ from the result's (DuckDB
	// renames a repeated name): read them by position, name them as the
	// query does.
	stored, err := describe(ctx, conn, rs.table)
	if err != nil || len(stored) == 0 {
		return fail(fmt.Errorf("lakehouse: describe the result: %w", err))
	}
	stored = stored[1:]
	if len(want) != len(stored) {
		want = stored
	}
	for i, c := range stored {
		rs.names = append(rs.names, c.Name)
		rs.columns = append(rs.columns, Column{Name: want[i].Name, Type: c.Type})
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+rs.table).Scan(&rs.rows); err != nil {
		return fail(queryError(ctx, err))
	}
	return rs, nil
}

// Columns are the result's columns.
func (rs *ResultSet) Columns() []Column { return rs.columns }

// Rows is how many rows the result has.
func (rs *ResultSet) Rows() int64 { return rs.rows }

// Page returns at most limit rows of the result starting at offset.
func (rs *ResultSet) Page(ctx context.Context, offset, limit int64) (*Result, error) {
	if rs.conn == nil {
		return nil, errors.New("lakehouse: the result was closed: run the query again")
	}
	offset, limit = max(offset, 0), max(limit, 0)
	sel := make([]string, len(rs.names))
	for i, n := range rs.names {
		sel[i] = QuoteIdent(n)
	}
	rows, err := rs.conn.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+rs.table+
		" WHERE lb_row > ? AND lb_row <= ? ORDER BY lb_row", offset, offset+limit)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	res, err := scanResult(rows)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	for i := range res.Columns {
		res.Columns[i].Name = rs.columns[i].Name
	}
	res.Offset = offset
	return res, nil
}

// Close drops the result.
func (rs *ResultSet) Close() error {
	if rs == nil || rs.conn == nil {
		return nil
	}
	rs.conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+rs.table)
	err := rs.conn.Close()
	rs.conn = nil
	return err
}

// Query runs a SELECT and returns all of its rows; use Page or Stream for
// results that may be large.
func (lh *Lakehouse) Query(ctx context.Context, selectSQL string) (*Result, error) {
	tables, action, err := lh.authorizeSQL(ctx, selectSQL)
	if err != nil {
		return nil, err
	}
	res, err := lh.query(ctx, trimSQL(selectSQL))
	var n int64
	if res != nil {
		n = int64(len(res.Rows))
	}
	if aerr := lh.audited(ctx, action, selectSQL, tables, n, err); aerr != nil && err == nil {
		return nil, aerr
	}
	return res, err
}

func (lh *Lakehouse) query(ctx context.Context, q string) (*Result, error) {
	return queryOn(ctx, lh.userDB(), q)
}

// userDB is the pool the principal's SELECTs (Query, Stream, Snapshot) run
// on.
func (lh *Lakehouse) userDB() *sql.DB { return lh.db }

// queryOn runs a query on a connection or transaction and scans all rows.
func queryOn(ctx context.Context, e execer, q string) (*Result, error) {
	rows, err := e.QueryContext(ctx, q)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	res, err := scanResult(rows)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	return res, nil
}

func scanResult(rows *sql.Rows) (*Result, error) {
	cols, err := resultColumns(rows)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols, Rows: [][]any{}}
	for rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

func resultColumns(rows *sql.Rows) ([]Column, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]Column, len(types))
	for i, t := range types {
		cols[i] = Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	return cols, nil
}

// scanRow scans the current row into plain Go values (see normalize).
func scanRow(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	return vals, newRowScanner(n).scan(rows, vals)
}

// rowScanner scans rows into plain Go values through one set of pointers.
type rowScanner struct {
	vals []any
	ptrs []any
	// exactDecimals keeps DECIMAL values as duckdb.Decimal (see Stream).
	exactDecimals bool
}

func newRowScanner(n int) *rowScanner {
	sc := &rowScanner{vals: make([]any, n), ptrs: make([]any, n)}
	for i := range sc.vals {
		sc.ptrs[i] = &sc.vals[i]
	}
	return sc
}

// scan reads the current row into row (len(row) values).
func (sc *rowScanner) scan(rows *sql.Rows, row []any) error {
	if err := rows.Scan(sc.ptrs...); err != nil {
		return err
	}
	for i, v := range sc.vals {
		row[i] = normalize(v, sc.exactDecimals)
		sc.vals[i] = nil
	}
	return nil
}

// normalize turns driver values into plain Go values that print and marshal
// well: HUGEINT to int64 (or its decimal string), DECIMAL to float64 (or
// kept, exact, when exactDecimals), bytes to string, intervals and UUIDs to
// strings.
func normalize(v any, exactDecimals bool) any {
	switch x := v.(type) {
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		if exactDecimals {
			return x
		}
		return x.Float64()
	case []byte:
		return string(x)
	case duckdb.Interval:
		return intervalText(x)
	case duckdb.UUID:
		return x.String()
	case []any:
		for i := range x {
			x[i] = normalize(x[i], exactDecimals)
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k], exactDecimals)
		}
		return x
	}
	return v
}

// intervalText writes an INTERVAL as DuckDB does: 1 year 2 months 3 days
// 04:05:06.5 (months are not a fixed number of days: a Go duration loses
// them).
func intervalText(iv duckdb.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		if n != 1 && n != -1 {
			name += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, name))
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "month")
	unit(int64(iv.Days), "day")
	if us := iv.Micros; us != 0 || len(parts) == 0 {
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		t := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if frac := us % 1_000_000; frac != 0 {
			t += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

// IsNumericType reports whether a DuckDB type name is a number.
func IsNumericType(t string) bool {
	switch {
	case strings.HasPrefix(t, "DECIMAL"):
		return true
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
		"UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return false
}

// IsIntegerType reports whether t is one of DuckDB's integer types.
func IsIntegerType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return true
	}
	return false
}

func trimSQL(s string) string {
	return TrimStatement(s)
}

// unwrapError shows DuckDB's error context ("LINE 1: ..." and its caret)
// on the user's SQL, without the statement prefix wrapped around it.
func unwrapError(msg, prefix string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "LINE ") {
			continue
		}
		if j := strings.Index(l, prefix); j >= 0 {
			lines[i] = l[:j] + l[j+len(prefix):]
			if i+1 < len(lines) && len(lines[i+1]) > j+len(prefix) && strings.TrimSpace(lines[i+1][:j+len(prefix)]) == "" {
				lines[i+1] = lines[i+1][len(prefix):]
			}
		}
	}
	return strings.Join(lines, "\n")
}

func queryError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ErrCanceled
	}
	var de *duckdb.Error
	if errors.As(err, &de) && (de.Type == duckdb.ErrorTypeMissingExtension || de.Type == duckdb.ErrorTypeAutoLoad) {
		// lakebench's own SELECTs run unplanned (see authorizeSQL): DuckDB
		// itself, whose autoinstall and autoload are off, refuses what
		// needs an extension, and its advice (INSTALL it, or turn
		// autoinstall on) is replaced by what holds here.
		return extensionRefusal(fmt.Sprintf("this statement (DuckDB: %s)", firstLine(strings.TrimPrefix(de.Msg, "Missing Extension Error: "))))
	}
	return fmt.Errorf("lakehouse: %w", err)
}
