package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

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
	res, err := lh.db.ExecContext(ctx, stmt)
	if err != nil {
		lh.audited(ctx, action, tables, 0, err)
		return 0, queryError(ctx, err)
	}
	n, _ := res.RowsAffected()
	lh.audited(ctx, action, tables, n, nil)
	return n, nil
}

// audited records an allowed statement in the audit, when a principal is set.
func (lh *Lakehouse) audited(ctx context.Context, action string, tables []string, rows int64, err error) {
	if lh.principal == "" {
		return
	}
	e := AuditEvent{Principal: lh.principal, Action: action, Tables: tables, Rows: rows, Allowed: true}
	if err != nil {
		e.Detail = "failed: " + firstLine(err.Error())
	}
	lh.Audit(context.WithoutCancel(ctx), e)
}

// Page runs a SELECT and returns at most limit rows starting at offset. Each
// page is its own query, so a large result is never held in memory whole.
func (lh *Lakehouse) Page(ctx context.Context, selectSQL string, offset, limit int64) (*Result, error) {
	tables, action, err := lh.authorizeSQL(ctx, selectSQL)
	if err != nil {
		return nil, err
	}
	q := fmt.Sprintf(pagePrefix+"%s) AS lb_page LIMIT %d OFFSET %d", trimSQL(selectSQL), limit, offset)
	res, err := lh.query(ctx, q)
	if err != nil && !errors.Is(err, ErrCanceled) {
		err = errors.New(unwrapPageError(err.Error()))
	}
	if offset == 0 { // a result is audited once, at its first page
		var n int64
		if res != nil {
			n = int64(len(res.Rows))
		}
		lh.audited(ctx, action, tables, n, err)
	}
	if err != nil {
		return nil, err
	}
	res.Offset = offset
	return res, nil
}

// Count returns how many rows a SELECT produces.
func (lh *Lakehouse) Count(ctx context.Context, selectSQL string) (int64, error) {
	if _, _, err := lh.authorizeSQL(ctx, selectSQL); err != nil {
		return 0, err
	}
	var n int64
	err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM ("+trimSQL(selectSQL)+") AS lb_count").Scan(&n)
	if err != nil {
		return 0, queryError(ctx, err)
	}
	return n, nil
}

// Stream runs a SELECT page by page (pageSize rows each) and hands every page
// to fn in order, stopping at the first error.
func (lh *Lakehouse) Stream(ctx context.Context, selectSQL string, pageSize int64, fn func(*Result) error) error {
	for offset := int64(0); ; offset += pageSize {
		page, err := lh.Page(ctx, selectSQL, offset, pageSize)
		if err != nil {
			return err
		}
		if len(page.Rows) > 0 || offset == 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if int64(len(page.Rows)) < pageSize {
			return nil
		}
	}
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
	lh.audited(ctx, action, tables, n, err)
	return res, err
}

func (lh *Lakehouse) query(ctx context.Context, q string) (*Result, error) {
	return queryOn(ctx, lh.db, q)
}

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
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: make([]Column, len(types)), Rows: [][]any{}}
	for i, t := range types {
		res.Columns[i] = Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v)
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// normalize turns driver values into plain Go values that print and marshal
// well: HUGEINT to int64 (or its decimal string), DECIMAL to float64, bytes to
// string, intervals and UUIDs to strings.
func normalize(v any) any {
	switch x := v.(type) {
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		return x.Float64()
	case []byte:
		return string(x)
	case duckdb.Interval:
		return (time.Duration(x.Micros)*time.Microsecond + time.Duration(x.Days)*24*time.Hour).String()
	case duckdb.UUID:
		return x.String()
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
		return x
	}
	return v
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
	return strings.TrimRight(strings.TrimSpace(s), "; \n\t")
}

const pagePrefix = "SELECT * FROM ("

// unwrapPageError shows DuckDB's error context ("LINE 1: ..." and its caret)
// on the user's SQL, without the paging query wrapped around it.
func unwrapPageError(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "LINE ") {
			continue
		}
		if j := strings.Index(l, pagePrefix); j >= 0 {
			lines[i] = l[:j] + l[j+len(pagePrefix):]
			if i+1 < len(lines) && len(lines[i+1]) > len(pagePrefix) && strings.TrimSpace(lines[i+1][:j+len(pagePrefix)]) == "" {
				lines[i+1] = lines[i+1][len(pagePrefix):]
			}
		}
		if j := strings.Index(lines[i], ") AS lb_page"); j >= 0 {
			lines[i] = lines[i][:j]
		}
	}
	return strings.Join(lines, "\n")
}

func queryError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ErrCanceled
	}
	return fmt.Errorf("lakehouse: %w", err)
}
