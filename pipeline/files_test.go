package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestModelsCannotTargetInternalSchemas: a model file under sql/bronze_data,
// sql/sys or sql/bronze is refused by validate with its file:line and a
// hint, and a run builds nothing from it: the ingested rows and lakebench's
// records survive.
func TestModelsCannotTargetInternalSchemas(t *testing.T) {
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "transforms: [sql/silver/*.sql, sql/gold/*.sql]", "transforms: [sql/*/*.sql]", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	ctx := context.Background()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}

	bad := map[string]string{
		"sql/bronze_data/orders.sql": "select 1 as id, 'x' as customer, 0 as amount, 0::BIGINT as _file_id",
		"sql/sys/audit.sql":          "select 1 as x",
		"sql/bronze/orders.sql":      "select 1 as id",
	}
	for name, sql := range bad {
		writeTestFile(t, dir, name, sql)
	}
	v := p.Validate(ctx, lh)
	for name := range bad {
		var found *Error
		for _, e := range v.Errors {
			if e.File == filepath.Join(dir, name) {
				found = e
			}
		}
		if found == nil {
			t.Errorf("validate says nothing of %s: %v", name, v.Errors)
			continue
		}
		if found.Line != 1 || !strings.Contains(found.Hint, "sql/silver") || !strings.Contains(found.Error(), name+":1:1") {
			t.Errorf("%s: got %q (line %d), want file:line and a hint where models go", name, found.Error(), found.Line)
		}
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err == nil {
		t.Error("a run with a model under sql/bronze_data succeeded")
	}
	for q, want := range map[string]int64{"select * from bronze.orders": 4, "select * from sys.runs where status = 'succeeded'": 1} {
		if got := count(t, lh, q); got != want {
			t.Errorf("%s: %d rows, want %d", q, got, want)
		}
	}
	// Below the pipeline, the lakehouse refuses too.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Materialize(ctx, lakehouse.TableName{Schema: "bronze_data", Name: "orders"}, bad["sql/bronze_data/orders.sql"], lakehouse.Materialization{}); err == nil {
		t.Error("Materialize overwrote bronze_data.orders")
	}
}

// copyTree copies a project directory, as cp -r does.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ingestDetail runs the project and returns the ingest task's detail, as
// the run's progress and sys.task_runs tell it.
func ingestDetail(t *testing.T, p *Project, lh *lakehouse.Lakehouse) (string, string) {
	t.Helper()
	var progress string
	res, err := p.Run(context.Background(), lh, RunOptions{Target: "dev", Progress: func(e Event) {
		if e.Kind == TaskFinished && e.TaskKind == "ingest" {
			progress = e.Detail
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := lh.Query(context.Background(), "select coalesce(detail, '') from sys.task_runs where kind = 'ingest' and run_id = '"+res.RunID+"'")
	if err != nil || len(r.Rows) != 1 {
		t.Fatalf("the ingest task's record: %v %v", r, err)
	}
	return progress, r.Rows[0][0].(string)
}

// TestCopiedProjectRunsWithoutReloading copies a project that has run (cp -r,
// its database included) and runs the copy: no row loads again. A landing
// file with the bytes of another is skipped and the run says so; a file
// changed after its load is reported in the run's output and its task
// record, and kept as loaded (on_change warn) or quarantined (on_change
// quarantine).
func TestCopiedProjectRunsWithoutReloading(t *testing.T) {
	dir := writeProject(t, fastGold)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	lh.Close()

	moved := filepath.Join(t.TempDir(), "moved")
	copyTree(t, dir, moved)
	writeTestFile(t, moved, "landing/orders/orders_copy.csv", "id,customer,amount\n1,ann,10\n2,bob,20\n3,,5\n4,cy,-1\n")
	q, err := Load(moved)
	if err != nil {
		t.Fatal(err)
	}
	lh = openTarget(t, q)
	progress, record := ingestDetail(t, q, lh)
	if got := count(t, lh, "select * from bronze.orders"); got != 4 {
		t.Errorf("the copied project's bronze.orders has %d rows, want 4 (nothing loaded twice)", got)
	}
	for _, detail := range []string{progress, record} {
		if !strings.Contains(detail, "0 new of 2 files") || !strings.Contains(detail, "landing/orders/orders_copy.csv = landing/orders/orders_2026-01-01.csv") {
			t.Errorf("the run says %q, want 0 new files and the duplicate named", detail)
		}
	}

	// A landing file rewritten after its load.
	writeTestFile(t, moved, "landing/orders/orders_2026-01-01.csv", "id,customer,amount\n1,ann,15\n2,bob,20\n3,,5\n4,cy,-1\n")
	progress, record = ingestDetail(t, q, lh)
	for _, detail := range []string{progress, record} {
		if !strings.Contains(detail, "1 changed after they were loaded: landing/orders/orders_2026-01-01.csv (not loaded, the old rows kept") {
			t.Errorf("the run says %q, want the changed file named and the old rows kept", detail)
		}
	}
	if got := count(t, lh, "select * from bronze.orders where amount = '15' or amount = 15"); got != 0 {
		t.Errorf("warn loaded %d rows of the changed file", got)
	}
	lh.Close()

	writeTestFile(t, moved, FileName, strings.Replace(testProject, "orders: {path: landing/orders/*.csv, owner: sales}",
		"orders: {path: landing/orders/*.csv, owner: sales, on_change: quarantine}", 1))
	if q, err = Load(moved); err != nil {
		t.Fatal(err)
	}
	lh = openTarget(t, q)
	defer lh.Close()
	progress, _ = ingestDetail(t, q, lh)
	if !strings.Contains(progress, "new rows quarantined") {
		t.Errorf("the run says %q, want the changed file's rows quarantined", progress)
	}
	if got := count(t, lh, "select * from bronze.orders_quarantine where _reason = 'file changed after ingest'"); got != 4 {
		t.Errorf("%d rows quarantined as changed, want 4", got)
	}
	if got := count(t, lh, "select * from bronze.orders"); got != 4 {
		t.Errorf("bronze.orders has %d rows, want the 4 loaded first", got)
	}

	writeTestFile(t, moved, FileName, strings.Replace(testProject, "owner: sales}", "owner: sales, on_change: sometimes}", 1))
	if q, err = Load(moved); err == nil {
		v := q.Validate(context.Background(), lh)
		found := false
		for _, e := range v.Errors {
			found = found || strings.Contains(e.Error(), "on_change")
		}
		if !found {
			t.Errorf("validate accepts on_change: sometimes: %v", v.Errors)
		}
	} else if !strings.Contains(err.Error(), "on_change") {
		t.Errorf("load: %v, want on_change named", err)
	}
}
