package lakehouse

import (
	"context"
	"fmt"
	"time"
)

// TableInfo describes one table of the target: catalog entry, rows, size.
type TableInfo struct {
	CatalogEntry
	Name string `json:"name"` // schema.table
	Rows int64  `json:"rows"`
	// Estimated marks Rows as DuckDB's estimate (see Catalog), not a count.
	Estimated bool      `json:"estimated,omitempty"`
	Bytes     int64     `json:"bytes"`
	Columns   []Column  `json:"columns,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Layer is one schema's tables.
type Layer struct {
	Schema string      `json:"schema"`
	Tables []TableInfo `json:"tables"`
	Rows   int64       `json:"rows"`
}

// catalogAction is how the audit names a listing of the catalog.
const catalogAction = "CATALOG"

// Tables lists the tables of the target with their catalog entries, columns
// and exact row counts, in schema (medallion) then name order. As in Unity
// Catalog, a principal sees only the tables it may read (SELECT on the
// table or its schema): others are left out, names, columns and counts
// alike. Lakebench itself ("" principal) and the owner see every table.
// The listing is audited, with the tables it showed.
func (lh *Lakehouse) Tables(ctx context.Context) ([]TableInfo, error) {
	return lh.tables(ctx, false)
}

// Catalog lists what Tables lists, to the same principal, audited the same
// way, but read from DuckDB's catalog alone, in a fixed number of queries
// whatever the number of tables: nothing is counted. Rows is the exact
// count lakebench kept in sys.catalog when it last wrote the table (see
// Tx.recordCounts) while DuckDB's estimated_size lies between that count
// and the estimated_size kept with it, and no statement outside a pipeline
// has written the table since (Exec forgets the counts of what it
// touches). The range, not equality: a checkpoint (every process's close)
// drops deleted rows from estimated_size, never below the rows there are,
// while an insert raises it past the kept size. Otherwise Rows is DuckDB's
// estimate (duckdb_tables().estimated_size: the rows stored, so rows
// deleted since the table was written still count until a checkpoint
// drops them; a bronze view has its stored table's) and Estimated is set.
// It is for screens that must show at once; Tables counts.
func (lh *Lakehouse) Catalog(ctx context.Context) ([]TableInfo, error) {
	return lh.tables(ctx, true)
}

func (lh *Lakehouse) tables(ctx context.Context, estimate bool) ([]TableInfo, error) {
	lh.KeepCountSizes(ctx)
	// A bronze view's rows are stored in <schema>_data.<name> (see ingest).
	rows, err := lh.db.QueryContext(ctx, `
		SELECT t.schema_name, t.table_name, coalesce(c.layer, t.schema_name), coalesce(c.owner, ''),
			coalesce(c.domain, ''), coalesce(c.description, ''), c.updated_at, coalesce(t.estimated_size, 0)::BIGINT,
			CASE WHEN t.estimated_size BETWEEN c.row_count AND c.row_count_size THEN c.row_count END
		FROM `+storedSizesSQL+` t
		LEFT JOIN sys.catalog c ON c.schema_name = t.schema_name AND c.table_name = t.table_name
		ORDER BY list_position(['bronze','silver','gold','ml','sys'], t.schema_name) NULLS LAST, t.schema_name, t.table_name`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: list tables: %w", err)
	}
	var out []TableInfo
	for rows.Next() {
		var ti TableInfo
		var updated *time.Time
		var kept *int64
		if err := rows.Scan(&ti.Schema, &ti.Table, &ti.Layer, &ti.Owner, &ti.Domain, &ti.Description, &updated, &ti.Rows, &kept); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lakehouse: list tables: %w", err)
		}
		if updated != nil {
			ti.UpdatedAt = *updated
		}
		ti.Name = ti.Schema + "." + ti.Table
		ti.Estimated = estimate
		if kept != nil {
			ti.Rows, ti.Estimated = *kept, false
		}
		out = append(out, ti)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: list tables: %w", err)
	}
	all := make([]TableName, len(out))
	for i, ti := range out {
		all[i] = TableName{Schema: ti.Schema, Name: ti.Table}
	}
	ok, err := lh.readable(ctx, all)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: list tables: %w", err)
	}
	may := map[TableName]bool{}
	for _, t := range ok {
		may[t] = true
	}
	visible := out[:0]
	for _, ti := range out {
		if may[TableName{Schema: ti.Schema, Name: ti.Table}] {
			visible = append(visible, ti)
		}
	}
	out = visible
	columns, err := lh.columns(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(out))
	for i := range out {
		names[i] = out[i].Name
		t := TableName{Schema: out[i].Schema, Name: out[i].Table}
		out[i].Columns = columns[t]
		if estimate {
			continue
		}
		if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.SQL()).Scan(&out[i].Rows); err != nil {
			return nil, fmt.Errorf("lakehouse: count %s: %w", t, err)
		}
	}
	if err := lh.audited(ctx, catalogAction, "", names, int64(len(out)), nil); err != nil {
		return nil, err
	}
	return out, nil
}

// columns reads every table's and view's columns in one query.
func (lh *Lakehouse) columns(ctx context.Context) (map[TableName][]Column, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns()
		WHERE database_name = current_database() ORDER BY schema_name, table_name, column_index`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: list columns: %w", err)
	}
	defer rows.Close()
	out := map[TableName][]Column{}
	for rows.Next() {
		var t TableName
		var c Column
		if err := rows.Scan(&t.Schema, &t.Name, &c.Name, &c.Type); err != nil {
			return nil, fmt.Errorf("lakehouse: list columns: %w", err)
		}
		out[t] = append(out[t], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: list columns: %w", err)
	}
	return out, nil
}

// Layers groups Tables by schema.
func (lh *Lakehouse) Layers(ctx context.Context) ([]Layer, error) {
	tables, err := lh.Tables(ctx)
	if err != nil {
		return nil, err
	}
	var out []Layer
	for _, t := range tables {
		if len(out) == 0 || out[len(out)-1].Schema != t.Schema {
			out = append(out, Layer{Schema: t.Schema})
		}
		l := &out[len(out)-1]
		l.Tables = append(l.Tables, t)
		l.Rows += t.Rows
	}
	return out, nil
}
