package lakehouse

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFreshTargetHasEveryColumn: Open of a file that does not exist yet
// skips the migrations and recoveries (there is nothing to migrate), so
// its system tables must already have every column an existing target
// gets from them: the same tables and columns as a target opened again.
func TestFreshTargetHasEveryColumn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	columns := func(path string) []string {
		lh, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer lh.Close()
		rows, err := lh.db.QueryContext(ctx, `SELECT schema_name || '.' || table_name || '.' || column_name || ' ' || data_type
			FROM duckdb_columns() WHERE database_name = current_database() ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	fresh := filepath.Join(dir, "fresh.duckdb")
	if !newFile(fresh) {
		t.Fatal("a path with no file is not new")
	}
	got := columns(fresh)
	if newFile(fresh) {
		t.Fatal("a target's file is new once made")
	}
	// The same file opened again goes through every migration.
	again := columns(fresh)
	if !slices.Equal(got, again) {
		t.Fatalf("a fresh target's columns differ from the same target's reopened:\n%q\n%q", got, again)
	}
	for _, c := range []string{"sys.audit.seq BIGINT", "sys.audit.hash VARCHAR", "sys.audit.prev_hash VARCHAR", "sys.audit.statement VARCHAR", "sys.audit.result VARCHAR"} {
		if !slices.Contains(got, c) {
			t.Errorf("a fresh target lacks %s", c)
		}
	}
	// A write-ahead log left without its file is not a new target.
	wal := filepath.Join(dir, "w.duckdb")
	if err := os.WriteFile(wal+".wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if newFile(wal) {
		t.Fatal("a path with a write-ahead log is new")
	}
}
