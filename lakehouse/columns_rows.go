//go:build !duckdb_arrow

package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
)

// ColumnarReads says how ReadColumns reads: "arrow" in a build with the
// duckdb_arrow tag, "database/sql" without it.
const ColumnarReads = "database/sql"

// fetchColumns runs query, of every column of reads, in tx and appends its
// values a row at a time: the fallback of a build without the duckdb_arrow
// tag, which makes (see the Makefile) use DuckDB's Arrow interface
// instead. One query for all the columns, as there: a row's values must
// come from the same scan.
func fetchColumns(ctx context.Context, _ *sql.Conn, tx execer, query string, reads []columnRead) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for i := range reads {
		n = max(n, reads[i].capacity())
	}
	words := make([]interner, len(reads))
	dest := make([]any, len(reads))
	nums := make([]sql.NullFloat64, len(reads))
	texts := make([]sql.NullString, len(reads))
	for j, r := range reads {
		words[j] = interner{}
		if r.out.Kind == TextValues {
			dest[j] = &texts[j]
		} else {
			dest[j] = &nums[j]
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for j := range reads {
			r := &reads[j]
			c := r.out
			i := r.rowsRead() // the row's index in the column
			if r.dense != nil {
				if i >= n {
					return fmt.Errorf("column %s: more rows than the table's %d", c.Name, n)
				}
				r.dense[i*r.stride+r.col] = nums[j].Float64
				if !nums[j].Valid {
					c.setNull(i, n)
				}
				r.n++
				continue
			}
			if c.Kind == TextValues {
				c.Text = append(c.Text, words[j].intern(texts[j].String))
				if !texts[j].Valid {
					c.setNull(i, n)
				}
				continue
			}
			c.Num = append(c.Num, nums[j].Float64)
			if !nums[j].Valid {
				c.setNull(i, n)
			}
		}
	}
	return rows.Err()
}
