package lakehouse

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
)

// TestNewFilesUseTheNewStorageFormat: a database file Open creates is in
// storageVersion's format, whose compressions DuckDB's default (v0.10.2)
// lacks: a column of a few repeated strings is stored DICT_FSST, which
// the older format stores as Dictionary. A file created by an older
// lakebench keeps its format and still opens.
func TestNewFilesUseTheNewStorageFormat(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	compression := func(lh *Lakehouse) string {
		t.Helper()
		var c string
		if err := lh.db.QueryRowContext(ctx, `SELECT string_agg(DISTINCT compression, ',' ORDER BY compression)
			FROM pragma_storage_info('main.t') WHERE column_name = 's' AND segment_type = 'VARCHAR'`).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	write := func(lh *Lakehouse) {
		t.Helper()
		if _, err := lh.db.ExecContext(ctx, "CREATE TABLE t AS SELECT ['north', 'south', 'east', 'west'][1 + i % 4] AS s FROM range(100000) AS r(i)"); err != nil {
			t.Fatal(err)
		}
		if _, err := lh.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "new.duckdb")
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	write(lh)
	if got := compression(lh); got != "DICT_FSST" {
		t.Errorf("a new file stores repeated strings as %q, want DICT_FSST (storage format %s)", got, storageVersion)
	}
	lh.Close()

	// A file in the older format, as an older lakebench made it, opens,
	// and keeps its format.
	old := filepath.Join(dir, "old.duckdb")
	connector, err := duckdb.NewConnector(old+"?storage_compatibility_version=v0.10.2", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := sql.OpenDB(connector)
	if _, err := raw.ExecContext(ctx, "CREATE TABLE before AS SELECT 1 AS x"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	connector.Close()
	lh, err = Open(ctx, old, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	write(lh)
	if got := compression(lh); got != "Dictionary" {
		t.Errorf("a file of the older format stores repeated strings as %q, want Dictionary (its format kept)", got)
	}
}
