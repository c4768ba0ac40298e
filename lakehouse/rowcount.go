package lakehouse

import (
	"context"
	"fmt"
	"strings"
)

// storedSizesSQL lists every table and view of the target with DuckDB's
// estimated_size: the rows stored, deleted ones included until a
// checkpoint drops them, and rows another transaction has not committed
// left out. A bronze view has its stored table's (<schema>_data.<name>,
// see ingest). Catalog and recordCountSizes read it alike.
const storedSizesSQL = `(WITH stored AS (SELECT schema_name, table_name, estimated_size FROM duckdb_tables()
			WHERE database_name = current_database() AND NOT temporary AND NOT starts_with(table_name, '` + StagePrefix + `'))
		SELECT * FROM stored WHERE NOT suffix(schema_name, '_data')
		UNION ALL SELECT v.schema_name, v.view_name, s.estimated_size FROM duckdb_views() v
		LEFT JOIN stored s ON s.schema_name = v.schema_name || '_data' AND s.table_name = v.view_name
		WHERE v.database_name = current_database() AND NOT v.internal AND NOT v.temporary)`

// countRows notes tables the transaction wrote: when it commits, their
// exact row counts are kept in sys.catalog (recordCounts), so Catalog can
// show a count, not DuckDB's estimate, without counting anything.
func (tx *Tx) countRows(tables ...TableName) {
	if tx.counted == nil {
		tx.counted = map[TableName]bool{}
	}
	for _, t := range tables {
		t.Schema = strings.ToLower(t.Schema)
		tx.counted[t] = true
		// A bronze view's rows are stored in <schema>_data.<name>: a
		// write there changes the view's rows, whose count is kept.
		if view, ok := strings.CutSuffix(t.Schema, "_data"); ok && view != "" {
			tx.counted[TableName{Schema: view, Name: t.Name}] = true
		}
	}
}

// Wrote notes tables the transaction wrote with lakebench's own
// statements (ExecArgs, Exec, QueryArgs: the model registry's records, a
// scoring's predictions), which note nothing, so that their exact row
// counts are kept in sys.catalog when it commits, as for the tables
// AuthorizeSQL allowed, and Catalog shows them unmarked.
func (tx *Tx) Wrote(tables ...TableName) { tx.countRows(tables...) }

// recordCounts counts, inside the transaction just before it commits, the
// rows of each table it wrote that still exists, and keeps the count in
// the table's catalog entry (adding one, with no time, for a table that
// has none: a build's quarantine) with no size: a count without its size
// is never shown (see Catalog), so a process that dies between this commit
// and recordCountSizes leaves DuckDB's estimate, marked, not a wrong
// count. A table the transaction dropped keeps no count.
func (tx *Tx) recordCounts(ctx context.Context) error {
	if len(tx.counted) == 0 {
		return nil
	}
	exists, err := tx.relations(ctx)
	if err != nil {
		return err
	}
	// Three statements whatever the number of tables: the dropped ones'
	// counts cleared, the others counted in one query and kept in one
	// upsert.
	var gone, counted []TableName
	for t := range tx.counted {
		switch {
		case t.Schema == "sys" || strings.HasSuffix(t.Schema, "_data"):
		case exists[t]:
			counted = append(counted, t)
		default:
			gone = append(gone, t)
		}
	}
	if len(gone) > 0 {
		cond := make([]string, len(gone))
		args := make([]any, 0, 2*len(gone))
		for i, t := range gone {
			cond[i] = "(schema_name = ? AND table_name = ?)"
			args = append(args, t.Schema, t.Name)
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE sys.catalog SET row_count = NULL, row_count_size = NULL
			WHERE `+strings.Join(cond, " OR "), args...); err != nil {
			return fmt.Errorf("lakehouse: row counts of %v: %w", gone, err)
		}
	}
	if len(counted) == 0 {
		return nil
	}
	sel := make([]string, len(counted))
	for i, t := range counted {
		sel[i] = "(SELECT count(*) FROM " + t.SQL() + ")"
	}
	n := make([]int64, len(counted))
	dest := make([]any, len(counted))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := tx.tx.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")).Scan(dest...); err != nil {
		return fmt.Errorf("lakehouse: count %v: %w", counted, err)
	}
	values := make([]string, len(counted))
	args := make([]any, 0, 3*len(counted))
	for i, t := range counted {
		values[i] = "(?, ?, ?)"
		args = append(args, t.Schema, t.Name, n[i])
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.catalog (schema_name, table_name, row_count) VALUES "+strings.Join(values, ", ")+`
		ON CONFLICT (schema_name, table_name) DO UPDATE SET row_count = excluded.row_count, row_count_size = NULL`, args...); err != nil {
		return fmt.Errorf("lakehouse: row counts of %v: %w", counted, err)
	}
	return nil
}

// relations lists the tables and views the transaction sees.
func (tx *Tx) relations(ctx context.Context) (map[TableName]bool, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()
		UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: row counts: %w", err)
	}
	defer rows.Close()
	out := map[TableName]bool{}
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			return nil, fmt.Errorf("lakehouse: row counts: %w", err)
		}
		out[t] = true
	}
	return out, rows.Err()
}

// recordCountSizes keeps, just after the commit that counted tables, the
// estimated_size DuckDB reports for each (inside the transaction it does
// not yet include the rows the transaction inserted). It does its best:
// the commit is done, and a size not kept only leaves the estimate shown,
// marked.
func (lh *Lakehouse) recordCountSizes(ctx context.Context, tables map[TableName]bool) {
	if len(tables) == 0 {
		return
	}
	var cond []string
	var args []any
	for t := range tables {
		cond = append(cond, "(c.schema_name = ? AND c.table_name = ?)")
		args = append(args, t.Schema, t.Name)
	}
	lh.db.ExecContext(ctx, `UPDATE sys.catalog c SET row_count_size = s.estimated_size
		FROM `+storedSizesSQL+` s
		WHERE s.schema_name = c.schema_name AND s.table_name = c.table_name
			AND c.row_count IS NOT NULL AND c.row_count_size IS NULL AND (`+strings.Join(cond, " OR ")+`)`, args...)
}

// forgetCounts drops the kept counts of tables a statement outside a
// pipeline's transactions may have changed (an owner's DELETE, say, which
// leaves DuckDB's estimated_size as it was): they show DuckDB's estimate,
// marked, until lakebench writes them again.
func (lh *Lakehouse) forgetCounts(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	var cond []string
	var args []any
	for _, s := range tables {
		t, err := ParseTableName(s)
		if err != nil {
			continue
		}
		cond = append(cond, "(schema_name = ? AND table_name = ?)")
		args = append(args, t.Schema, t.Name)
		// A bronze view's rows are stored in <schema>_data.<name> (see
		// ingest), and its count is kept under the view's name: a write
		// into the stored table changes the view's rows.
		if view, ok := strings.CutSuffix(t.Schema, "_data"); ok && view != "" {
			cond = append(cond, "(schema_name = ? AND table_name = ?)")
			args = append(args, view, t.Name)
		}
	}
	if len(cond) == 0 {
		return nil
	}
	if _, err := lh.db.ExecContext(ctx, `UPDATE sys.catalog SET row_count = NULL, row_count_size = NULL
		WHERE row_count IS NOT NULL AND (`+strings.Join(cond, " OR ")+`)`, args...); err != nil {
		return fmt.Errorf("lakehouse: forget row counts: %w", err)
	}
	return nil
}
