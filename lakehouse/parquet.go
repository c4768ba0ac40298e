package lakehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Column names a column and its DuckDB type, such as BIGINT, DOUBLE, VARCHAR,
// DATE or TIMESTAMP.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// ParquetWriter collects rows in a private in-memory DuckDB and writes them to
// one Parquet file on Close. It is how code outside this package writes
// Parquet without touching the driver.
type ParquetWriter struct {
	path     string
	db       *sql.DB
	conn     *sql.Conn
	appender *duckdb.Appender
	rows     int64
}

// CreateParquet starts a Parquet file at path with the given columns. Rows are
// added with Append and written when Close is called.
func CreateParquet(path string, columns []Column) (*ParquetWriter, error) {
	if len(columns) == 0 {
		return nil, fmt.Errorf("lakehouse: parquet %s: no columns", path)
	}
	connector, err := newConnector("", false)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: parquet %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("lakehouse: parquet %s: %w", path, err)
	}
	defs := make([]string, len(columns))
	for i, c := range columns {
		defs[i] = QuoteIdent(c.Name) + " " + c.Type
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE rows_out ("+strings.Join(defs, ", ")+")"); err != nil {
		conn.Close()
		db.Close()
		return nil, fmt.Errorf("lakehouse: parquet %s: %w", path, err)
	}
	w := &ParquetWriter{path: path, db: db, conn: conn}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "rows_out")
		w.appender = a
		return err
	})
	if err != nil {
		conn.Close()
		db.Close()
		return nil, fmt.Errorf("lakehouse: parquet %s: %w", path, err)
	}
	return w, nil
}

// Append adds one row; values are int64, int32, float64, string, bool,
// time.Time or nil, one per column in order.
func (w *ParquetWriter) Append(values ...any) error {
	args := make([]driver.Value, len(values))
	for i, v := range values {
		args[i] = v
	}
	if err := w.appender.AppendRow(args...); err != nil {
		return fmt.Errorf("lakehouse: parquet %s: row %d: %w", w.path, w.rows+1, err)
	}
	w.rows++
	return nil
}

// Rows reports how many rows have been appended.
func (w *ParquetWriter) Rows() int64 { return w.rows }

// Close writes the Parquet file (zstd compressed) and releases the writer.
func (w *ParquetWriter) Close() error {
	defer w.db.Close()
	defer w.conn.Close()
	if err := w.appender.Close(); err != nil {
		return fmt.Errorf("lakehouse: parquet %s: %w", w.path, err)
	}
	_, err := w.conn.ExecContext(context.Background(),
		"COPY rows_out TO "+QuoteString(w.path)+" (FORMAT parquet, COMPRESSION zstd)")
	if err != nil {
		return fmt.Errorf("lakehouse: parquet %s: %w", w.path, err)
	}
	return nil
}

// QuoteIdent quotes a SQL identifier for DuckDB.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString quotes a SQL string literal for DuckDB.
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
