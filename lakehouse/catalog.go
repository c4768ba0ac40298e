package lakehouse

import (
	"context"
	"fmt"
	"time"
)

// TableInfo describes one table of the target: catalog entry, rows, size.
type TableInfo struct {
	CatalogEntry
	Name      string    `json:"name"` // schema.table
	Rows      int64     `json:"rows"`
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
	rows, err := lh.db.QueryContext(ctx, `
		SELECT t.schema_name, t.table_name, coalesce(c.layer, t.schema_name), coalesce(c.owner, ''),
			coalesce(c.domain, ''), coalesce(c.description, ''), c.updated_at
		FROM (SELECT schema_name, table_name FROM duckdb_tables()
			WHERE database_name = current_database() AND NOT temporary AND NOT suffix(schema_name, '_data')
			UNION ALL SELECT schema_name, view_name FROM duckdb_views()
			WHERE database_name = current_database() AND NOT internal AND NOT temporary) t
		LEFT JOIN sys.catalog c ON c.schema_name = t.schema_name AND c.table_name = t.table_name
		ORDER BY list_position(['bronze','silver','gold','ml','sys'], t.schema_name) NULLS LAST, t.schema_name, t.table_name`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: list tables: %w", err)
	}
	var out []TableInfo
	for rows.Next() {
		var ti TableInfo
		var updated *time.Time
		if err := rows.Scan(&ti.Schema, &ti.Table, &ti.Layer, &ti.Owner, &ti.Domain, &ti.Description, &updated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lakehouse: list tables: %w", err)
		}
		if updated != nil {
			ti.UpdatedAt = *updated
		}
		ti.Name = ti.Schema + "." + ti.Table
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
	names := make([]string, len(out))
	for i := range out {
		names[i] = out[i].Name
		t := TableName{Schema: out[i].Schema, Name: out[i].Table}
		if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.SQL()).Scan(&out[i].Rows); err != nil {
			return nil, fmt.Errorf("lakehouse: count %s: %w", t, err)
		}
		cols, err := tableColumns(ctx, lh.db, t)
		if err != nil {
			return nil, fmt.Errorf("lakehouse: columns of %s: %w", t, err)
		}
		out[i].Columns = cols
	}
	if err := lh.audited(ctx, catalogAction, names, int64(len(out)), nil); err != nil {
		return nil, err
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
