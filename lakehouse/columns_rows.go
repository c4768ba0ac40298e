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

// fetchColumns runs each group's query in tx and scans its values a row
// at a time: the fallback of a build without the duckdb_arrow tag, which
// make's builds (see the Makefile) have, reading through DuckDB's Arrow
// interface instead.
func fetchColumns(ctx context.Context, _ *sql.Conn, tx *sql.Tx, table TableName, queries [][]columnRead) error {
	for _, reads := range queries {
		if err := fetchRows(ctx, tx, table, reads); err != nil {
			return err
		}
	}
	return nil
}

func fetchRows(ctx context.Context, tx *sql.Tx, table TableName, reads []columnRead) error {
	rows, err := tx.QueryContext(ctx, selectReads(table, reads))
	if err != nil {
		return err
	}
	defer rows.Close()
	nums := make([]sql.NullFloat64, len(reads))
	texts := make([]sql.NullString, len(reads))
	words := make([]interner, len(reads))
	ptrs := make([]any, len(reads))
	for j, r := range reads {
		if r.out.Kind == TextValues {
			ptrs[j], words[j] = &texts[j], interner{}
		} else {
			ptrs[j] = &nums[j]
		}
	}
	for i := 0; rows.Next(); i++ {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for j, r := range reads {
			c := r.out
			rowCount := cap(c.Num) + cap(c.Text)
			if i >= rowCount {
				return fmt.Errorf("column %s: more rows than the table's %d", c.Name, rowCount)
			}
			valid := nums[j].Valid
			if c.Kind == TextValues {
				c.Text = append(c.Text, words[j].intern(texts[j].String))
				valid = texts[j].Valid
			} else {
				c.Num = append(c.Num, nums[j].Float64)
			}
			if !valid {
				c.setNull(i, rowCount)
			}
		}
	}
	return rows.Err()
}
