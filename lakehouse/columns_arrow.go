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

// fetchColumns runs each group's query on conn (inside the transaction tx
// runs there) through DuckDB's Arrow interface and appends its values.
func fetchColumns(ctx context.Context, conn *sql.Conn, _ *sql.Tx, table TableName, queries [][]columnRead) error {
	return conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("not a DuckDB connection: %T", dc)
		}
		a, err := duckdb.NewArrowFromConn(dconn)
		if err != nil {
			return err
		}
		for _, reads := range queries {
			if err := fetchArrow(ctx, a, table, reads); err != nil {
				return err
			}
		}
		return nil
	})
}

// fetchArrow reads one query, a record batch (a DuckDB chunk) at a time.
func fetchArrow(ctx context.Context, a *duckdb.Arrow, table TableName, reads []columnRead) error {
	rr, err := a.QueryContext(ctx, selectReads(table, reads))
	if err != nil {
		return err
	}
	defer rr.Release()
	words := make([]interner, len(reads))
	for rr.Next() {
		rec := rr.RecordBatch()
		if int(rec.NumCols()) != len(reads) {
			return fmt.Errorf("%d columns came back for %d", rec.NumCols(), len(reads))
		}
		for j, r := range reads {
			if words[j] == nil {
				words[j] = interner{}
			}
			if err := appendArrow(r.out, rec.Column(j), words[j]); err != nil {
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

// appendArrow appends an Arrow array's values to c (a DOUBLE array to a
// Num column, a string array to a Text column), up to the capacity its
// slice was made with: the table's rows.
func appendArrow(c *ColumnValues, arr arrow.Array, words interner) error {
	base, rows := len(c.Num)+len(c.Text), cap(c.Num)+cap(c.Text)
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
