package ml

import (
	"context"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestRegistryCountsExact: the tables the registry writes (its records in
// schema ml and a scoring's predictions) keep their exact row counts in
// sys.catalog, as the pipeline's tables do, so Catalog (the TUI's first
// frame) shows them unmarked, through trainings, alias moves and removals,
// scorings, and a reopen. Before, every one showed DuckDB's estimate,
// marked "~".
func TestRegistryCountsExact(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	path := lh.Path()
	execSQL(t, lh, trainingTable)
	r := NewRegistry(lh)
	spec := Spec{Name: "churn", Table: "gold.train", Label: "churned", Seed: 42}
	for range 2 {
		if _, _, err := r.Train(ctx, spec, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetAlias(ctx, "churn", "challenger", 2); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAlias(ctx, "churn", "old", 1); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveAlias(ctx, "churn", "old"); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{"ml.churn_predictions", "gold.churn_scores", "gold.churn_scores"} {
		if _, err := r.Predict(ctx, "churn@champion", "gold.train", out); err != nil {
			t.Fatal(err)
		}
	}
	exact := func(step string) {
		t.Helper()
		tables, err := lh.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, ti := range tables {
			if ti.Schema != "ml" && ti.Name != "gold.churn_scores" {
				continue
			}
			seen[ti.Name] = true
			n := rows(t, lh, "SELECT count(*) FROM "+lakehouse.TableName{Schema: ti.Schema, Name: ti.Table}.SQL())[0][0].(int64)
			if ti.Estimated || ti.Rows != n {
				t.Errorf("%s: %s shows %d rows, estimated %v; want its %d rows, exact", step, ti.Name, ti.Rows, ti.Estimated, n)
			}
		}
		for _, name := range append(lakehouse.RegistryTables, "churn_predictions") {
			if !seen["ml."+name] {
				t.Errorf("%s: the catalog lists no ml.%s", step, name)
			}
		}
		if !seen["gold.churn_scores"] {
			t.Errorf("%s: the catalog lists no gold.churn_scores", step)
		}
	}
	exact("after the registry's writes")
	lh.Close()
	var err error
	if lh, err = lakehouse.Open(ctx, path, lakehouse.Options{Holder: t.Name()}); err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	exact("reopened")
}
