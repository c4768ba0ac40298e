package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/sampledata"
)

// TestNightlyTrainsAndScoresWithTheChampion runs the sample's nightly job on
// dev data: it trains churn (ROC AUC at least 0.75 on the held-out rows)
// and scores the customers with churn@champion. A retrain registers a new
// version but scores with the champion until the alias moves.
func TestNightlyTrainsAndScoresWithTheChampion(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "dev")
	lh := openFor(t, p)
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly"}); err != nil {
		t.Fatal(err)
	}
	reg := ml.NewRegistry(lh)
	d, err := reg.Show(ctx, "churn@champion")
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || d.Metrics["roc_auc"] < 0.75 {
		t.Errorf("churn@champion is version %d with ROC AUC %v, want version 1 at 0.75 or more", d.Version, d.Metrics["roc_auc"])
	}
	t.Logf("churn version 1: ROC AUC %.3f, accuracy %.3f over %d rows", d.Metrics["roc_auc"], d.Metrics["accuracy"], d.Run.TableRows)
	if d.Run.Tags["pipeline_run"] == "" || d.Run.Table != "gold.customer_features" || d.Run.Principal != p.Identity() {
		t.Errorf("run %+v", d.Run)
	}
	scoredBy := func() (int64, int64) {
		t.Helper()
		res, err := lh.RecordsQuery(ctx, "SELECT count(*), max(model_version), count(DISTINCT model_version), (SELECT count(*) FROM gold.customer_features) FROM ml.churn_predictions")
		if err != nil {
			t.Fatal(err)
		}
		r := res.Rows[0]
		if r[0] != r[3] || r[2] != int64(1) {
			t.Errorf("ml.churn_predictions has %v rows by %v versions, want one row per customer of gold.customer_features (%v) by one version", r[0], r[2], r[3])
		}
		return r[0].(int64), int64(r[1].(int32))
	}
	if _, v := scoredBy(); v != 1 {
		t.Errorf("scored by version %d, want 1", v)
	}
	// The job's training and scoring alone, again: a new version, the
	// same champion scoring.
	p.Resources.Jobs["ml"] = Job{Tasks: []Task{{TaskKey: "train", Type: "train", Model: "churn"},
		{TaskKey: "score", Type: "predict", Model: "churn@champion", DependsOn: TaskRefs{"train"}}}}
	res, err := p.Run(ctx, lh, RunOptions{Job: "ml"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Tasks[0].Detail, "churn version 2, roc_auc") || !strings.Contains(res.Tasks[1].Detail, "with churn@champion version 1") {
		t.Errorf("task details %q, %q", res.Tasks[0].Detail, res.Tasks[1].Detail)
	}
	if _, v := scoredBy(); v != 1 {
		t.Errorf("after retraining, scored by version %d, want the champion 1 until it moves", v)
	}
	if err := reg.SetAlias(ctx, "churn", ml.Champion, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "ml"}); err != nil {
		t.Fatal(err)
	}
	if _, v := scoredBy(); v != 2 {
		t.Errorf("after the promotion, scored by version %d, want 2", v)
	}
	versions, err := reg.Versions(ctx, "churn")
	if err != nil || len(versions) != 3 {
		t.Fatalf("versions %+v %v", versions, err)
	}
	// The same data, the same spec: the same artifact, run after run.
	rep, err := reg.Reproduce(ctx, "churn", 1)
	if err != nil || !rep.Identical {
		t.Errorf("reproduce churn 1: %+v %v", rep, err)
	}
}

// TestPredictTaskModelRefs: a predict task's model may be name@alias or
// name/VERSION; a bad one is reported at its place in lakebench.yml.
func TestPredictTaskModelRefs(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		from, to, want string
	}{
		{"model: churn@champion", "model: churn@", "the alias is empty"},
		{"model: churn@champion", "model: chrun@champion", `unknown registered model "chrun"`},
		{"model: churn@champion", "model: churn/x", "must be a number"},
		{"type: train, model: churn,", "type: train, model: churn@champion,", `train task train_churn names "churn@champion"`},
		{"    churn:\n      table: gold.customer_features", "    churn/x:\n      table: gold.customer_features", `model name "churn/x" holds '@' or '/'`},
	} {
		dir := t.TempDir() // the project alone: validation reads no data
		if err := sampledata.WriteProject(dir); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, FileName)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), c.from) {
			t.Fatalf("the sample has no %q", c.from)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(b), c.from, c.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		v := p.Validate(ctx, openFor(t, p))
		var found *Error
		for _, e := range v.Errors {
			if strings.Contains(e.Message, c.want) {
				found = e
			}
		}
		if found == nil {
			t.Errorf("%s: errors %v, want %q", c.to, v.Errors, c.want)
			continue
		}
		line := 1 + strings.Count(string(b[:strings.Index(string(b), c.from)]), "\n")
		if found.Line != line || found.Column == 0 || !strings.HasSuffix(found.File, FileName) {
			t.Errorf("%s: reported at %s:%d:%d, want line %d", c.to, found.File, found.Line, found.Column, line)
		}
	}
}

// TestMLTasksAreGoverned: a job's train task needs MODIFY on ml, its
// predict task SELECT on the input; a refused task changes nothing and is
// audited, and a permitted retrain leaves the champion scoring.
func TestMLTasksAreGoverned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("customer_id,tenure,region,churned\n")
	for i := range 80 {
		tenure := i * 7 % 50
		churned := 0
		if (tenure < 20) != (i%9 == 0) {
			churned = 1
		}
		fmt.Fprintf(&csv, "%d,%d,%s,%d\n", i, tenure, []string{"north", "south", "east"}[i%3], churned)
	}
	writeTestFile(t, dir, "landing/customers/c.csv", csv.String())
	writeTestFile(t, dir, "sql/silver/customers.sql", "select customer_id, tenure::double as tenure, region, churned::int as churned from bronze.customers")
	writeTestFile(t, dir, FileName, `bundle: {name: governed-ml}
resources:
  sources:
    customers: {path: landing/customers/*.csv}
  transforms: [sql/silver/*.sql]
  registered_models:
    churn: {table: silver.customers, label: churned, task: classification}
  jobs:
    ml:
      tasks:
        - {task_key: train, type: train, model: churn}
        - {task_key: score, type: predict, model: churn@champion, depends_on: [train]}
    score:
      tasks:
        - {task_key: score, type: predict, model: churn@champion}
  groups:
    scientists: {members: [chen]}
    analysts: {members: [dana]}
  schemas:
    silver: {grants: [{principal: scientists, privileges: [SELECT]}, {principal: analysts, privileges: [SELECT]}]}
    ml: {grants: [{principal: scientists, privileges: [SELECT, MODIFY]}, {principal: analysts, privileges: [SELECT]}, {principal: erin, privileges: [SELECT, MODIFY]}]}
permissions:
  - {level: CAN_RUN, group_name: scientists}
  - {level: CAN_RUN, group_name: analysts}
  - {level: CAN_RUN, user_name: erin}
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "ml", Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	var ae *lakehouse.AccessError
	if _, err := p.Run(ctx, lh, RunOptions{Job: "ml", Target: "dev", Principal: "dana"}); !errors.As(err, &ae) || ae.Privilege != "MODIFY" {
		t.Errorf("dana trains: %v, want MODIFY on ml refused", err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "score", Target: "dev", Principal: "erin"}); !errors.As(err, &ae) || ae.Table.String() != "silver.customers" {
		t.Errorf("erin scores silver.customers: %v, want SELECT refused", err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "ml", Target: "dev", Principal: "chen"}); err != nil {
		t.Errorf("chen retrains and scores: %v", err)
	}
	versions, err := ml.NewRegistry(lh).Versions(ctx, "churn")
	if err != nil || len(versions) != 2 || versions[0].CreatedBy != "chen" || !slices.Equal(versions[1].Aliases, []string{ml.Champion}) {
		t.Errorf("versions %+v %v: want 2, the champion the owner's first", versions, err)
	}
	if n := count(t, lh, "select * from ml.churn_predictions where model_version = 1"); n != 80 {
		t.Errorf("%d rows scored by the champion, want 80", n)
	}
	if n := count(t, lh, "select * from sys.audit where not allowed and principal in ('dana', 'erin') and action in ('task:train', 'task:predict')"); n != 2 {
		t.Errorf("%d refused ML tasks audited, want 2", n)
	}
}
