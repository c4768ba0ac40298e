package lakehouse

import (
	"context"
	"testing"
	"time"
)

// TestMayWriteTables: only one statement known to leave every table's
// rows outside sys as they were is not a write.
func TestMayWriteTables(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT count(*) FROM silver.a":                                       false,
		"  -- c\n select 1":                                                   false,
		"DESCRIBE SELECT * FROM silver.a":                                     false,
		"INSERT INTO sys.audit VALUES (1)":                                    false,
		"insert or replace into sys.runs VALUES (1)":                          false,
		"UPDATE sys.catalog AS c SET layer = 'x'":                             false,
		"DELETE FROM sys.model_files WHERE model = ?":                         false,
		`CREATE OR REPLACE TEMP TABLE "lb_view_0" AS SELECT * FROM b LIMIT 0`: false,
		`DROP TABLE IF EXISTS temp.main."lb_view_0"`:                          false,
		"DROP TABLE IF EXISTS temp.lb_new":                                    false,
		`CREATE SCHEMA IF NOT EXISTS "bronze"`:                                false,
		"INSERT INTO silver.a VALUES (1)":                                     true,
		"INSERT INTO sys_x.a VALUES (1)":                                      true,
		`INSERT INTO "sys".audit VALUES (1)`:                                  true,
		"UPDATE system.a SET x = 1":                                           true,
		"DELETE FROM silver.a":                                                true,
		"CREATE OR REPLACE TABLE silver.a AS SELECT 1":                        true,
		"CREATE TABLE t AS SELECT 1":                                          true,
		"DROP TABLE IF EXISTS temp.x":                                         true,
		"DROP TABLE silver.a":                                                 true,
		"ALTER TABLE silver.a RENAME TO b":                                    true,
		"WITH x AS (SELECT 1) SELECT * FROM x":                                true,
		"SELECT 1; DELETE FROM silver.a":                                      true,
		"INSERT INTO sys.audit VALUES (1); DELETE FROM silver.a":              true,
		"(SELECT 1)":                           true,
		"EXPLAIN ANALYZE DELETE FROM silver.a": true,
		"COPY silver.a FROM 'f.csv'":           true,
		"CALL something()":                     true,
		"":                                     true,
	} {
		if got := mayWriteTables(q); got != want {
			t.Errorf("mayWriteTables(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestSizesKeptAcrossSysCommits: a transaction whose statements wrote
// only lakebench's records in sys (a task run, a temporary table, reads)
// leaves the sizes the scheduler read (EstimateBytes) as they were, so
// they are not read again; one that writes a table's rows makes the next
// estimate read them again, with the new rows; a table of sys is read
// again after any commit. Before, every commit made the next estimate
// read every table's size: a daily run with nothing new read them once
// per task.
func TestSizesKeptAcrossSysCommits(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	for _, s := range []string{
		"CREATE SCHEMA sys_x",
		"CREATE TABLE silver.a AS SELECT i FROM range(10) t(i)",
		"CREATE TABLE sys_x.a AS SELECT i FROM range(10) t(i)",
	} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	a, x := TableName{"silver", "a"}, TableName{"sys_x", "a"}
	estimate := func(step string, table TableName, want int64, reads int64) {
		t.Helper()
		before := sizeSnapshots.Load()
		n, err := lh.EstimateBytes(ctx, []TableName{table})
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: EstimateBytes(%s) = %d, want %d", step, table, n, want)
		}
		if got := sizeSnapshots.Load() - before; got != reads {
			t.Errorf("%s: every table's size read %d times, want %d", step, got, reads)
		}
	}
	commit := func(stmts ...string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.RecordTaskRun(ctx, TaskRun{RunID: "r", TaskKey: "k", Kind: "transform", StartedAt: time.Now(), Status: "succeeded"}); err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.CommitAudited(ctx, AuditEvent{Principal: "p", Action: "task:transform", Allowed: true}); err != nil {
			t.Fatal(err)
		}
	}
	estimate("first", a, 10*8, 1)
	commit("CREATE OR REPLACE TEMP TABLE lb_new AS SELECT * FROM silver.a", "SELECT count(*) FROM temp.lb_new", "DROP TABLE IF EXISTS temp.lb_new")
	estimate("after a commit of records", a, 10*8, 0)
	before := sizeSnapshots.Load()
	if _, err := lh.EstimateBytes(ctx, []TableName{{"sys", "task_runs"}}); err != nil {
		t.Fatal(err)
	}
	if sizeSnapshots.Load() == before {
		t.Error("a table of sys: its size not read again after a commit")
	}
	commit("INSERT INTO silver.a SELECT i FROM range(5) t(i)")
	estimate("after an insert", a, 15*8, 1)
	commit("INSERT INTO sys_x.a SELECT i FROM range(5) t(i)")
	estimate("after an insert into sys_x", x, 15*8, 1)
	commit("SELECT 1; DELETE FROM silver.a WHERE i < 3")
	estimate("after two statements in one", a, 15*8, 1)
}

// TestCountKeptWhenUnwritten: a task's transaction that notes its table
// (RecordTaskRun) but writes no table, as a daily run's task with
// nothing new does, leaves the table's row in sys.catalog as it is when
// it holds the table's count and the size DuckDB estimates: its commit
// runs one statement of counts fewer, and Catalog still shows the exact
// count. A count forgotten by an owner's write, a table written in the
// transaction, or a bronze view whose file was reloaded are counted and
// kept as before. Without the change, every such commit updated the row.
func TestCountKeptWhenUnwritten(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	a := TableName{"silver", "a"}
	dir := t.TempDir()
	src := TableName{"bronze", "src"}
	if _, err := lh.Ingest(ctx, []string{writeFile(t, dir, "s1.csv", "id\n1\n2\n")}, IngestOptions{Table: src}); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "CREATE TABLE silver.a AS SELECT i FROM range(10) t(i)"); err != nil {
		t.Fatal(err)
	}
	tx.Wrote(a)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	lh.KeepCountSizes(ctx)
	// task commits a task's transaction noting target, after stmts, and
	// says how many rows it left as they were and how many statements
	// its commit ran.
	task := func(target TableName, stmts ...string) (kept, commit int64) {
		t.Helper()
		if _, err := lh.EstimateBytes(ctx, []TableName{target}); err != nil { // as the scheduler does before a task
			t.Fatal(err)
		}
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.RecordTaskRun(ctx, TaskRun{RunID: "r", TaskKey: target.String(), Kind: "transform", TargetTable: target.String(), StartedAt: time.Now(), Status: "succeeded"}); err != nil {
			t.Fatal(err)
		}
		before := countsKept.Load()
		commit = statementsOf(t, func() {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		})
		return countsKept.Load() - before, commit
	}
	count := func(step string, table TableName, want int64) {
		t.Helper()
		infos, err := lh.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range infos {
			if ti.Schema == table.Schema && ti.Table == table.Name {
				if ti.Rows != want || ti.Estimated {
					t.Errorf("%s: Catalog shows %s with %d rows (estimated %v), want the count %d", step, table, ti.Rows, ti.Estimated, want)
				}
				return
			}
		}
		t.Errorf("%s: %s not in the catalog", step, table)
	}
	kept, nothing := task(a, "SELECT count(*) FROM silver.a")
	if kept != 1 {
		t.Errorf("nothing written: %d rows left as they were, want 1", kept)
	}
	count("nothing written", a, 10)
	kept, _ = task(src)
	if kept != 1 {
		t.Errorf("nothing loaded: %d rows left as they were, want 1 (the view)", kept)
	}
	count("nothing loaded", src, 2)
	kept, written := task(a, "INSERT INTO silver.a SELECT 100")
	if kept != 0 || written <= nothing {
		t.Errorf("a row inserted: %d rows left as they were, want 0; commit %d statements, with nothing written %d", kept, written, nothing)
	}
	count("a row inserted", a, 11)
	if _, err := lh.Exec(ctx, "DELETE FROM silver.a WHERE i < 3"); err != nil {
		t.Fatal(err)
	}
	if kept, _ = task(a); kept != 0 {
		t.Errorf("after an owner's DELETE: %d rows left as they were, want 0", kept)
	}
	count("after an owner's DELETE", a, 8)
	if kept, _ = task(a); kept != 1 {
		t.Errorf("then nothing written: %d rows left as they were, want 1", kept)
	}
	count("then nothing written", a, 8)
	if _, err := lh.Ingest(ctx, []string{writeFile(t, dir, "s2.csv", "id\n3\n")}, IngestOptions{Table: src}); err != nil {
		t.Fatal(err)
	}
	if kept, _ = task(src); kept != 0 {
		t.Errorf("after a file loaded outside a task: %d rows left as they were, want 0", kept)
	}
	count("after a file loaded", src, 3)
}
