//go:build duckdb_arrow

package lakehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// ColumnarReads says how ReadColumns reads: "arrow" in a build with the
// duckdb_arrow tag, "database/sql" without it.
const ColumnarReads = "arrow"

// fetchColumns runs each column's query on conn (inside the transaction
// tx runs there) through DuckDB's Arrow interface and appends its values.
// A query per column keeps one column's result in DuckDB at a time, and
// measured faster than one query of all columns (BenchmarkReadColumns1M).
func fetchColumns(ctx context.Context, conn *sql.Conn, _ *sql.Tx, table TableName, reads []columnRead) error {
	return conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("not a DuckDB connection: %T", dc)
		}
		a, err := duckdb.NewArrowFromConn(dconn)
		if err != nil {
			return err
		}
		for _, r := range reads {
			if err := fetchArrow(ctx, a, table, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// fetchArrow reads one column's query, a record batch (a DuckDB chunk) at
// a time.
func fetchArrow(ctx context.Context, a *duckdb.Arrow, table TableName, r columnRead) error {
	rr, err := a.QueryContext(ctx, "SELECT "+r.expr+" FROM "+table.SQL())
	if err != nil {
		return err
	}
	defer rr.Release()
	rows := max(cap(r.out.Num), cap(r.out.Text))
	words := interner{}
	for rr.Next() {
		rec := rr.RecordBatch()
		if rec.NumCols() != 1 {
			return fmt.Errorf("column %s: %d columns came back", r.out.Name, rec.NumCols())
		}
		if err := appendArrow(r.out, rec.Column(0), rows, words); err != nil {
			return err
		}
	}
	return rr.Err()
}

// textArray is what Arrow's string arrays (String, LargeString,
// StringView) share.
type textArray interface {
	arrow.Array
	Value(i int) string
}

// appendArrow appends an Arrow array's values to c (a DOUBLE array to a
// Num column, a string array to a Text column).
func appendArrow(c *ColumnValues, arr arrow.Array, rows int, words interner) error {
	base := len(c.Num) + len(c.Text)
	if base+arr.Len() > rows {
		return fmt.Errorf("column %s: more rows than the table's %d", c.Name, rows)
	}
	switch x := arr.(type) {
	case *array.Float64:
		if c.Kind == TextValues {
			break
		}
		c.Num = append(c.Num, x.Float64Values()...)
		if x.NullN() > 0 {
			for i := range x.Len() {
				if x.IsNull(i) {
					c.Num[base+i] = 0
					c.setNull(base+i, rows)
				}
			}
		}
		return nil
	case textArray:
		if c.Kind != TextValues {
			break
		}
		nulls := x.NullN() > 0
		for i := range x.Len() {
			if nulls && x.IsNull(i) {
				c.Text = append(c.Text, "")
				c.setNull(base+i, rows)
				continue
			}
			c.Text = append(c.Text, words.intern(x.Value(i)))
		}
		return nil
	}
	return fmt.Errorf("column %s: DuckDB returned Arrow %s for a %s column", c.Name, arr.DataType(), c.Kind)
}
