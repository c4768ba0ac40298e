//go:build duckdb_arrow

package lakehouse

import (
	"context"
	"database/sql"
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
func fetchColumns(ctx context.Context, conn *sql.Conn, _ execer, query string, reads []columnRead) error {
	return conn.Raw(func(dc any) error {
		dconn, ok := duckConn(dc)
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
			if r := &reads[i]; r.dense == nil {
				if err := appendArrow(r.out, rec.Column(i), r.capacity(), words[i]); err != nil {
					return err
				}
			}
		}
		if err := scatterArrow(rec, reads); err != nil {
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

// scatterArrow writes a record batch's values of the matrix columns among
// reads (DOUBLE arrays) to the matrix, after the rows it holds: a block
// of rows at a time, so each block's rows stay in cache while every
// column writes its cells of them (a column at a time over the whole
// batch would miss the cache at every cell).
func scatterArrow(rec arrow.RecordBatch, reads []columnRead) error {
	type source struct {
		r    *columnRead
		arr  *array.Float64
		vals []float64
	}
	var srcs []source
	for i := range reads {
		r := &reads[i]
		if r.dense == nil {
			continue
		}
		x, ok := rec.Column(i).(*array.Float64)
		if !ok {
			return fmt.Errorf("column %s: DuckDB returned Arrow %s for a %s column", r.out.Name, rec.Column(i).DataType(), r.out.Kind)
		}
		if rows := r.capacity(); r.n+x.Len() > rows {
			return fmt.Errorf("column %s: more rows than the table's %d", r.out.Name, rows)
		}
		srcs = append(srcs, source{r, x, x.Float64Values()})
	}
	if len(srcs) == 0 {
		return nil
	}
	n := int(rec.NumRows())
	const block = 256
	for lo := 0; lo < n; lo += block {
		hi := min(lo+block, n)
		for _, src := range srcs {
			r, s := src.r, src.r.stride
			d := r.dense[(r.n+lo)*s+r.col:]
			for i, v := range src.vals[lo:hi] {
				d[i*s] = v
			}
		}
	}
	for _, src := range srcs {
		r := src.r
		if src.arr.NullN() > 0 {
			for i := range n {
				if src.arr.IsNull(i) {
					r.dense[(r.n+i)*r.stride+r.col] = 0
					r.out.setNull(r.n+i, r.capacity())
				}
			}
		}
		r.n += n
	}
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
