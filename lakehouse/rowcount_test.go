package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogCountsIngestAndOldFile: a file whose sys.catalog predates the
// kept row counts opens (the columns are added); its tables show DuckDB's
// estimate, marked, until lakebench writes them; an ingest then keeps the
// exact count, which Catalog shows unmarked.
func TestCatalogCountsIngestAndOldFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE SCHEMA sys", "CREATE SCHEMA gold",
		`CREATE TABLE sys.catalog (schema_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
			layer VARCHAR, owner VARCHAR, domain VARCHAR, description VARCHAR, updated_at TIMESTAMP,
			PRIMARY KEY (schema_name, table_name))`,
		"INSERT INTO sys.catalog VALUES ('gold', 'old', 'gold', 'ann', '', '', now()::TIMESTAMP)",
		"CREATE TABLE gold.old AS SELECT range AS id FROM range(10)",
		"DELETE FROM gold.old WHERE id < 4",
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	csv := writeFile(t, dir, "people_2026-01-05.csv", "id,name\n1,ann\n2,bob\n3,cy\n")
	if _, err := lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"bronze", "people"}, Format: CSV, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]TableInfo{}
	tables, err := lh.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tables {
		got[ti.Name] = ti
	}
	if ti := got["gold.old"]; !ti.Estimated || ti.Owner != "ann" {
		t.Errorf("gold.old from the old file: %+v, want DuckDB's estimate, marked, and its owner kept", ti)
	}
	if ti := got["bronze.people"]; ti.Estimated || ti.Rows != 3 {
		t.Errorf("bronze.people after its ingest: %d rows, estimated %v; want 3, exact", ti.Rows, ti.Estimated)
	}
}

// TestCatalogCountsForgetStoredWrites: an owner's write into a bronze
// view's stored table (bronze_data.people, where ingest keeps its rows)
// changes the view's rows, so the count kept under the view's name is
// forgotten: without that, the Analyst's catalog showed the count from
// before the DELETE as exact (DuckDB's estimated_size keeps deleted rows).
func TestCatalogCountsForgetStoredWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lh, err := Open(ctx, filepath.Join(dir, "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	csv := writeFile(t, dir, "people_2026-01-05.csv", "id,name\n1,ann\n2,bob\n3,cy\n")
	if _, err := lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"bronze", "people"}, Format: CSV, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	lh.SetPrincipal("ann") // no owner deployed: ann writes as the owner would
	for _, s := range []string{"DELETE FROM bronze_data.people WHERE id = 2", "UPDATE bronze_data.people SET name = 'x' WHERE id = 1"} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		tables, err := lh.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range tables {
			if ti.Name == "bronze.people" && !ti.Estimated && ti.Rows != 2 {
				t.Errorf("after %s: bronze.people shows %d rows as exact; it has 2", s, ti.Rows)
			}
		}
	}
	// A job's sql task writes in its run's transaction: the view's rows
	// are counted at its commit.
	lh.SetPrincipal("")
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const del = "DELETE FROM bronze_data.people WHERE id = 3"
	if _, _, err := tx.AuthorizeSQL(ctx, del); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, del); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tables, err := lh.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tables {
		if ti.Name == "bronze.people" && (ti.Estimated || ti.Rows != 1) {
			t.Errorf("after a sql task's %s: bronze.people shows %d rows (estimated %v); want 1, exact", del, ti.Rows, ti.Estimated)
		}
	}
}

// TestRecordCountsManyTables: a commit keeps the exact count of each table
// its transaction wrote (counted in one query), clears the count of one
// it dropped, and leaves the others' alone.
func TestRecordCountsManyTables(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	run := func(stmts []string, tables ...TableName) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		tx.countRows(tables...)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	a, b, c := TableName{"gold", "a"}, TableName{"gold", "b"}, TableName{"gold", "c"}
	run([]string{"CREATE TABLE gold.a AS SELECT range AS id FROM range(3)",
		"CREATE TABLE gold.b AS SELECT range AS id FROM range(5)", "CREATE TABLE gold.c AS SELECT range AS id FROM range(7)"},
		a, b, c, TableName{"gold", "missing"})
	run([]string{"DROP TABLE gold.b", "INSERT INTO gold.a VALUES (10), (11)"}, a, b)
	got := map[string]sql.NullInt64{}
	rows, err := lh.db.QueryContext(ctx, "SELECT table_name, row_count FROM sys.catalog WHERE schema_name = 'gold'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n sql.NullInt64
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		got[name] = n
	}
	want := map[string]sql.NullInt64{"a": {Int64: 5, Valid: true}, "b": {}, "c": {Int64: 7, Valid: true}}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("gold.%s row_count = %v, want %v (all: %v)", name, got[name], w, got)
		}
	}
	if _, ok := got["missing"]; ok {
		t.Errorf("a table never created has a catalog entry: %v", got)
	}
}

// TestCountSizesKeptInOneStatement: commits keep their exact counts and
// leave the sizes Catalog checks them by to one statement for all of
// them (KeepCountSizes, which Catalog runs first), not one autocommit
// after each: three commits, then a Catalog that shows the three counts
// exact; the counted tables' sizes were kept by one statement.
func TestCountSizesKeptInOneStatement(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for i, name := range []string{"a", "b", "c"} {
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stmts := []string{"CREATE TABLE gold." + name + " AS SELECT range AS id FROM range(10)", "DELETE FROM gold." + name + " WHERE id < " + string(rune('1'+i))}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		tx.Wrote(TableName{"gold", name})
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var sized int
	if err := lh.db.QueryRowContext(ctx, "SELECT count(row_count_size) FROM sys.catalog WHERE schema_name = 'gold'").Scan(&sized); err != nil {
		t.Fatal(err)
	}
	if sized != 0 {
		t.Errorf("%d sizes kept by the commits themselves, want 0: each commit paid an autocommit of its own", sized)
	}
	before := countSizeKeeps.Load()
	tables, err := lh.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := countSizeKeeps.Load() - before; n != 1 {
		t.Errorf("sizes kept in %d statements, want 1", n)
	}
	want := map[string]int64{"gold.a": 9, "gold.b": 8, "gold.c": 7}
	for _, ti := range tables {
		if w, ok := want[ti.Name]; ok {
			if ti.Estimated || ti.Rows != w {
				t.Errorf("%s: %d rows, estimated %v; want %d, exact", ti.Name, ti.Rows, ti.Estimated, w)
			}
			delete(want, ti.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not in the catalog: %v", want)
	}
}

// TestCountKilledBeforeSizeKept: a writer killed after its commit kept a
// count, before the count's size was kept, leaves DuckDB's estimate
// shown, marked: rows written into the file afterwards (by DuckDB itself,
// not lakebench) never make the old count show as exact.
func TestCountKilledBeforeSizeKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.duckdb")
	csv := writeFile(t, dir, "people_2026-01-05.csv", "id,name\n1,ann\n2,bob\n3,cy\n")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_COMMIT_KILL="+path, "LAKEBENCH_TEST_CSV="+csv)
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
		t.Fatalf("the child was not killed: %v: %s", err, out)
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	var count sql.NullInt64
	if err := db.QueryRow("SELECT row_count FROM sys.catalog WHERE schema_name = 'bronze' AND table_name = 'people'").Scan(&count); err != nil || count.Int64 != 3 {
		db.Close()
		t.Fatalf("the child's commit kept count %v (%v), want 3", count, err)
	}
	if _, err := db.Exec("INSERT INTO bronze_data.people (id, name) VALUES (4, 'dee')"); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.Close()
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	tables, err := lh.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ti := range tables {
		if ti.Name == "bronze.people" {
			found = true
			if !ti.Estimated || ti.Rows != 4 {
				t.Errorf("bronze.people: %d rows, estimated %v; want DuckDB's estimate 4, marked", ti.Rows, ti.Estimated)
			}
		}
	}
	if !found {
		t.Error("bronze.people is not in the catalog")
	}
}

// TestCatalogEntriesAtCommit: the entries a transaction sets are written
// with its counts when it commits, as upserts in its order would leave
// them: a table's entry with its count, a later entry's empty fields
// keeping the earlier ones', an entry of a table not built yet with no
// count, none for a table the transaction dropped, and a rollback
// writing nothing.
func TestCatalogEntriesAtCommit(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"CREATE TABLE gold.a AS SELECT range AS id FROM range(4)", "CREATE TABLE gold.x AS SELECT 1 AS id"} {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []CatalogEntry{
		{Schema: "gold", Table: "a", Layer: "gold", Owner: "ann", Description: "first"},
		{Schema: "gold", Table: "a", Description: "second"},
		{Schema: "gold", Table: "later", Layer: "gold", Owner: "bob"},
		{Schema: "gold", Table: "x", Layer: "gold", Owner: "cy"},
	} {
		if err := tx.SetCatalog(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.DropTable(ctx, TableName{"gold", "x"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rolled, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rolled.SetCatalog(ctx, CatalogEntry{Schema: "gold", Table: "a", Owner: "eve"}); err != nil {
		t.Fatal(err)
	}
	rolled.Rollback()
	type entry struct {
		layer, owner, desc string
		updated            bool
		count              sql.NullInt64
	}
	got := map[string]entry{}
	rows, err := lh.db.QueryContext(ctx, "SELECT table_name, coalesce(layer, ''), coalesce(owner, ''), coalesce(description, ''), updated_at IS NOT NULL, row_count FROM sys.catalog WHERE schema_name = 'gold'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var e entry
		if err := rows.Scan(&name, &e.layer, &e.owner, &e.desc, &e.updated, &e.count); err != nil {
			t.Fatal(err)
		}
		got[name] = e
	}
	want := map[string]entry{
		"a":     {layer: "gold", owner: "ann", desc: "second", updated: true, count: sql.NullInt64{Int64: 4, Valid: true}},
		"later": {layer: "gold", owner: "bob", updated: true},
	}
	if len(got) != len(want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("gold.%s: %+v, want %+v", name, got[name], w)
		}
	}
}

// TestCatalogUpdateOfPresentRows: a commit updating tables sys.catalog
// already lists leaves each row as the one-statement update would,
// whether it writes one, two (a statement per row) or three (one
// statement for all): an entry's empty fields keep the row's, its others
// and updated_at change, the count is the table's, and its size is
// cleared; a table counted with no entry keeps its fields and time.
func TestCatalogUpdateOfPresentRows(t *testing.T) {
	ctx := context.Background()
	for n := 1; n <= 3; n++ {
		lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var tables []TableName
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			tb := TableName{"gold", fmt.Sprintf("t%d", i)}
			tables = append(tables, tb)
			if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TABLE %s AS SELECT range AS id FROM range(%d)", tb.SQL(), i+1)); err != nil {
				t.Fatal(err)
			}
			if err := tx.SetCatalog(ctx, CatalogEntry{Schema: "gold", Table: tb.Name, Layer: "gold", Owner: "ann", Domain: "d", Description: "first"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if _, err := lh.db.ExecContext(ctx, "UPDATE sys.catalog SET updated_at = TIMESTAMP '2020-01-01', row_count_size = 99"); err != nil {
			t.Fatal(err)
		}
		tx, err = lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, tb := range tables {
			if _, err := tx.Exec(ctx, "INSERT INTO "+tb.SQL()+" VALUES (100), (101)"); err != nil {
				t.Fatal(err)
			}
			if i == 0 { // the first with an entry naming a new owner only
				if err := tx.SetCatalog(ctx, CatalogEntry{Schema: "gold", Table: tb.Name, Owner: "bob"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		tx.countRows(tables...)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		rows, err := lh.db.QueryContext(ctx, `SELECT table_name, layer, owner, domain, description, updated_at > TIMESTAMP '2020-01-01', row_count, row_count_size IS NULL
			FROM sys.catalog WHERE schema_name = 'gold' ORDER BY table_name`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var name, layer, owner, domain, desc string
			var moved, cleared bool
			var count int64
			if err := rows.Scan(&name, &layer, &owner, &domain, &desc, &moved, &count, &cleared); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %s %s %s %s %v %d %v", name, layer, owner, domain, desc, moved, count, cleared))
		}
		rows.Close()
		want := []string{"t0 gold bob d first true 3 true", "t1 gold ann d first false 4 true", "t2 gold ann d first false 5 true"}[:n]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%d tables: rows\n%s\nwant\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		lh.Close()
	}
}
