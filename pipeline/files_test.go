package pipeline

import (
	"context"
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
