package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestSelectModels selects a task's models by name and by pattern, in build
// order, and refuses an entry that selects nothing.
func TestSelectModels(t *testing.T) {
	tn := func(s, n string) Model { return Model{Table: lakehouse.TableName{Schema: s, Name: n}} }
	models := []Model{tn("silver", "orders"), tn("silver", "order_items"), tn("gold", "revenue"), tn("gold", "customer_360")}
	tests := []struct {
		entries []string
		want    string
		err     string
	}{
		{nil, "silver.orders silver.order_items gold.revenue gold.customer_360", ""},
		{[]string{"gold.*"}, "gold.revenue gold.customer_360", ""},
		{[]string{"gold.customer_360", "silver.*"}, "silver.orders silver.order_items gold.customer_360", ""},
		{[]string{"silver.order?"}, "silver.orders", ""},
		{[]string{"Gold.Revenue"}, "gold.revenue", ""},
		{[]string{"*"}, "silver.orders silver.order_items gold.revenue gold.customer_360", ""},
		{[]string{"gold.*", "platinum.*"}, "", `models pattern "platinum.*" matches no model`},
		{[]string{"bronze.*"}, "", `models pattern "bronze.*" matches no model`},
		{[]string{"gold.revenu"}, "", `unknown model "gold.revenu": name a model (silver.orders, silver.order_items, gold.revenue and 1 more) or a pattern such as gold.*; did you mean gold.revenue?`},
		{[]string{"gold.[x"}, "", `models pattern "gold.[x" is malformed`},
	}
	for _, tc := range tests {
		got, err := SelectModels(tc.entries, models)
		var names []string
		for _, m := range got {
			names = append(names, m.Table.String())
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: got %v, %v; want error %q", tc.entries, names, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(names, " ") != tc.want {
			t.Errorf("%v: got %v, %v; want %s", tc.entries, names, err, tc.want)
		}
	}
}

// TestNewModelIsBuiltByNightly adds a model file under sql/gold/ of a copy
// of the sample, whose jobs select models by layer: it validates without a
// warning and the next `bundle run nightly` builds it.
func TestNewModelIsBuiltByNightly(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "")
	writeTestFile(t, p.Dir, "sql/gold/new_model.sql", "select region, count(*) as customers from silver.customers group by region\n")
	p, err := Load(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openFor(t, p)
	v := p.Validate(ctx, lh)
	if !v.OK() || len(v.Warnings) != 0 {
		t.Fatalf("validate: errors %v, warnings %v", v.Errors, v.Warnings)
	}
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	run, err := p.Run(ctx, lh, RunOptions{Job: "nightly"})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("run nightly: %v, %+v", err, run)
	}
	if n, err := lh.Count(ctx, "select * from gold.new_model"); err != nil || n == 0 {
		t.Errorf("gold.new_model after run nightly: %d rows, %v", n, err)
	}

	// A job that lists its models by name leaves the new one unbuilt, and
	// validate says which file and which job.
	job := p.Resources.Jobs["nightly"]
	for i, task := range job.Tasks {
		if task.TaskKey == "gold" {
			job.Tasks[i].Models = []string{"gold.daily_revenue", "gold.product_performance", "gold.customer_360", "gold.customer_features",
				"gold.product_daily_sales", "gold.customer_web_daily", "gold.order_item_prices"}
		}
	}
	v = p.Validate(ctx, lh)
	if !v.OK() || len(v.Warnings) != 1 {
		t.Fatalf("validate with listed models: errors %v, warnings %v; want one warning", v.Errors, v.Warnings)
	}
	w := v.Warnings[0].Error()
	for _, want := range []string{"sql/gold/new_model.sql", "no job builds gold.new_model", "task gold in job nightly"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q does not say %q", w, want)
		}
	}
}

// TestTaskErrorIsOnlyTheError: a task's progress line is its detail, in the
// run's result (run --json) and in sys.task_runs; error is empty on success
// and holds only the error on failure; a skipped task says why in detail.
func TestTaskErrorIsOnlyTheError(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Tasks {
		if tr.Status != "succeeded" || tr.Error != "" {
			t.Errorf("task %s: status %s, error %q; want succeeded with no error", tr.TaskKey, tr.Status, tr.Error)
		}
	}
	if res.Tasks[0].TaskKey != "ingest_orders" || res.Tasks[0].Detail != "1 new of 1 file" {
		t.Errorf("ingest task %s detail %q, want \"1 new of 1 files\"", res.Tasks[0].TaskKey, res.Tasks[0].Detail)
	}
	if n := count(t, lh, "select * from sys.task_runs where error is not null"); n != 0 {
		t.Errorf("%d succeeded task rows have an error", n)
	}
	recorded, err := lh.TaskRuns(ctx, res.RunID)
	if err != nil || len(recorded) != 3 || recorded[0].Detail != "1 new of 1 file" || recorded[0].Error != "" {
		t.Errorf("sys.task_runs of the run: %+v, %v", recorded, err)
	}

	// A failing model: its error is the error; what depends on it is
	// skipped with the reason as detail, not as an error.
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id, customer, amount::double / 0 as amount, error('bad row') as boom from bronze.orders")
	res, err = p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err == nil {
		t.Fatal("the failing model did not fail the run")
	}
	byKey := map[string]lakehouse.TaskRun{}
	for _, tr := range res.Tasks {
		byKey[tr.TaskKey] = tr
	}
	if f := byKey["silver.orders"]; f.Status != "failed" || !strings.Contains(f.Error, "bad row") || f.Detail != "" {
		t.Errorf("failed task: %+v", f)
	}
	if s := byKey["gold.revenue"]; s.Status != "skipped" || s.Error != "" || s.Detail != "a task it depends on failed" {
		t.Errorf("skipped task: %+v", s)
	}
}
