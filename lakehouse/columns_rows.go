//go:build !duckdb_arrow

package lakehouse

import (
	"context"
	"database/sql"
)

// ColumnarReads says how ReadColumns reads: "arrow" in a build with the
// duckdb_arrow tag, "database/sql" without it.
const ColumnarReads = "database/sql"

// fetchColumns runs each column's query in tx and scans its values one at
// a time: the fallback of a build without the duckdb_arrow tag, which
// makes (see the Makefile) use DuckDB's Arrow interface instead.
func fetchColumns(ctx context.Context, _ *sql.Conn, tx *sql.Tx, table TableName, reads []columnRead) error {
	for _, r := range reads {
		if err := fetchRows(ctx, tx, table, r); err != nil {
			return err
		}
	}
	return nil
}

func fetchRows(ctx context.Context, tx *sql.Tx, table TableName, r columnRead) error {
	rows, err := tx.QueryContext(ctx, "SELECT "+r.expr+" FROM "+table.SQL())
	if err != nil {
		return err
	}
	defer rows.Close()
	c := r.out
	n := max(cap(c.Num), cap(c.Text))
	words := interner{}
	var num sql.NullFloat64
	var text sql.NullString
	for i := 0; rows.Next(); i++ {
		if c.Kind == TextValues {
			if err := rows.Scan(&text); err != nil {
				return err
			}
			c.Text = append(c.Text, words.intern(text.String))
			if !text.Valid {
				c.setNull(i, n)
			}
			continue
		}
		if err := rows.Scan(&num); err != nil {
			return err
		}
		c.Num = append(c.Num, num.Float64)
		if !num.Valid {
			c.setNull(i, n)
		}
	}
	return rows.Err()
}
