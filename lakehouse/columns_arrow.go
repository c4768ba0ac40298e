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

// fetchColumns runs query, of every column of reads, on conn (inside the
// transaction tx runs there) through DuckDB's Arrow interface and appends
// each record batch's values column by column. One query for all the
// columns, not one per column: a table's rows need not come in the same
// order twice (a view over a join, as an ingested table is, scanned by
// several threads), and a row's values must stay together.
func fetchColumns(ctx context.Context, conn *sql.Conn, _ *sql.Tx, query string, reads []columnRead) error {
	return conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("not a DuckDB connection: %T", dc)
		}
		a, err := duckdb.NewArrowFromConn(dconn)
		if err != nil {
			return err
		}
		return fetchArrow(ctx, a, query, reads)
	})
}

// fetchArrow reads the columns' query, a record batch (a DuckDB chunk) at
// a time.
func fetchArrow(ctx context.Context, a *duckdb.Arrow, query string, reads []columnRead) error {
	rr, err := a.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rr.Release()
	words := make([]interner, len(reads))
	for i := range words {
		words[i] = interner{}
	}
	for rr.Next() {
		rec := rr.RecordBatch()
		if rec.NumCols() != int64(len(reads)) {
			return fmt.Errorf("%d columns came back for %d", rec.NumCols(), len(reads))
		}
		for i := range reads {
			r := &reads[i]
			if r.dense != nil {
				if err := r.scatterArrow(rec.Column(i)); err != nil {
					return err
				}
				continue
			}
			if err := appendArrow(r.out, rec.Column(i), r.capacity(), words[i]); err != nil {
				return err
			}
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

// scatterArrow writes a DOUBLE array's values to r's matrix column, after
// the rows it holds.
func (r *columnRead) scatterArrow(arr arrow.Array) error {
	rows := r.capacity()
	x, ok := arr.(*array.Float64)
	if !ok {
		return fmt.Errorf("column %s: DuckDB returned Arrow %s for a %s column", r.out.Name, arr.DataType(), r.out.Kind)
	}
	if r.n+x.Len() > rows {
		return fmt.Errorf("column %s: more rows than the table's %d", r.out.Name, rows)
	}
	d, s := r.dense[r.n*r.stride+r.col:], r.stride
	for i, v := range x.Float64Values() {
		d[i*s] = v
	}
	if x.NullN() > 0 {
		for i := range x.Len() {
			if x.IsNull(i) {
				d[i*s] = 0
				r.out.setNull(r.n+i, rows)
			}
		}
	}
	r.n += x.Len()
	return nil
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
