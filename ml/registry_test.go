package ml

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// openTarget opens a fresh target file.
func openTarget(t *testing.T) *lakehouse.Lakehouse {
	t.Helper()
	lh, err := lakehouse.Open(context.Background(), filepath.Join(t.TempDir(), "dev.duckdb"), lakehouse.Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh
}

func execSQL(t *testing.T, lh *lakehouse.Lakehouse, stmt string) {
	t.Helper()
	if _, err := lh.Exec(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func rows(t *testing.T, lh *lakehouse.Lakehouse, q string, args ...any) [][]any {
	t.Helper()
	res, err := lh.RecordsQuery(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.Rows
}

// regModel is a binary logistic model over tenure (numeric, with a
// missing indicator) and region (north, south; unseen values in none),
// with coefficients set by hand: scoring is checked against them.
func regModel(name string, coef []float64, intercept float64) *Model {
	return &Model{Name: name, Task: Classification, Algorithm: "logistic", Label: "churned", Classes: []string{"0", "1"},
		Prep: Prep{Features: []FeaturePrep{
			{Column: "tenure", Kind: prepNumeric, Mean: 10, Std: 5, Impute: 10, Indicator: true, Outputs: []string{"tenure", "tenure__missing"}},
			{Column: "region", Kind: prepCategorical, Categories: []string{"north", "south"}, ImputeCategory: "north", Outputs: []string{"region=north", "region=south"}},
		}},
		Coef: [][]float64{coef}, Intercept: []float64{intercept}}
}

// registerHand records a finished run of a hand-made model as the next
// version of its name, as TrainTx does after a fit.
func registerHand(t *testing.T, r *Registry, m *Model, auc float64) *ModelVersion {
	t.Helper()
	ctx := context.Background()
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := r.lh.BeginAs(ctx, r.lh.Principal())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	spec := Spec{Name: m.Name, Table: "gold.customers", Label: "churned", Seed: 7}
	run := &Run{ID: newRunID(), Experiment: m.Name, Status: RunFinished, Spec: spec, Params: specParams(spec), Metrics: map[string]float64{},
		Tags: map[string]string{}, Table: spec.Table, TableRows: 6, TableDigest: "hand", Version: lakebenchVersion(), Principal: tx.Principal(), StartedAt: r.now()}
	res := &Result{Model: m, Metrics: Metrics{Values: map[string]float64{"roc_auc": auc, "accuracy": 0.5, "log_loss": math.NaN()},
		ROC: []ROCPoint{{0, 0, math.Inf(1)}, {0.5, 1, 0.3}, {1, 1, 0.1}}}, TrainRows: 4, TestRows: 2, Loss: []float64{0.7, 0.6}, Converged: true}
	fillRun(run, res)
	blob, err := servable(m)
	if err != nil {
		t.Fatal(err)
	}
	mv, err := r.register(ctx, tx, run, res, blob, TrainOptions{Description: "hand-made"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return mv
}

// customers is a scoring input: a row with an unseen region (west), one
// with no region and one with no tenure.
const customers = `CREATE TABLE gold.customers AS SELECT * FROM (VALUES
	(1::BIGINT, 10.0, 'north', 0), (2, 15.0, 'south', 1), (3, 5.0, 'west', 0), (4, 20.0, NULL, 1), (5, NULL, 'south', 1), (6, 0.0, 'north', 0))
	AS t(customer_id, tenure, region, churned)`

func handSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestAliasesMoveAndResolve(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	r := NewRegistry(lh)
	if _, _, err := r.Resolve(ctx, "churn"); !IsNotFound(err) {
		t.Fatalf("resolve before any training: %v, want not found", err)
	}
	v1 := registerHand(t, r, regModel("churn", []float64{1, 0.5, -1, 1}, 0), 0.8)
	v2 := registerHand(t, r, regModel("churn", []float64{2, 0.5, -1, 1}, 0.1), 0.85)
	if v1.Version != 1 || !slices.Equal(v1.Aliases, []string{Champion}) || v2.Version != 2 || len(v2.Aliases) != 0 {
		t.Fatalf("versions %+v %+v: want 1 the champion, 2 without alias", v1, v2)
	}
	resolves := func(ref string, want int) {
		t.Helper()
		name, v, err := r.Resolve(ctx, ref)
		if err != nil || name != "churn" || v != want {
			t.Errorf("resolve %s: %s %d %v, want churn %d", ref, name, v, err, want)
		}
	}
	// A new version does not move the champion.
	resolves("churn", 1)
	resolves("churn@champion", 1)
	resolves("churn/2", 2)
	if err := r.SetAlias(ctx, "churn", "challenger", 2); err != nil {
		t.Fatal(err)
	}
	resolves("churn@challenger", 2)
	if err := r.SetAlias(ctx, "churn", Champion, 2); err != nil {
		t.Fatal(err)
	}
	resolves("churn", 2)
	resolves("churn@champion", 2)
	if err := r.SetAlias(ctx, "churn", Champion, 1); err != nil { // and back
		t.Fatal(err)
	}
	resolves("churn@champion", 1)
	if err := r.SetAlias(ctx, "churn", "old", 1); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveAlias(ctx, "churn", "old"); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveAlias(ctx, "churn", "old"); !IsNotFound(err) {
		t.Errorf("remove a removed alias: %v", err)
	}

	for ref, want := range map[string]string{
		"churn/3":     "has no version 3",
		"churn@nope":  `has no alias "nope" (its aliases: ["challenger","champion"])`,
		"churn/x":     "must be a number",
		"nochurn":     `no registered model "nochurn"`,
		"churn@":      "the alias is empty",
		"@champion":   "the model name is empty",
		"churn@12":    "all digits",
		"churn@a/b":   "holds '@' or '/'",
		"churn@ x":    "starts or ends with a space",
		"churn@\x01x": "control character",
	} {
		if _, _, err := r.Resolve(ctx, ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("resolve %q: %v, want %q", ref, err, want)
		}
	}
	if err := r.SetAlias(ctx, "churn", "challenger", 9); err == nil || !strings.Contains(err.Error(), "has no version 9") {
		t.Errorf("alias to a missing version: %v", err)
	}
	models, err := r.Models(ctx)
	if err != nil || len(models) != 1 {
		t.Fatalf("models %+v %v", models, err)
	}
	m := models[0]
	if m.LatestVersion != 2 || m.Versions != 2 || m.Aliases[Champion] != 1 || m.Aliases["challenger"] != 2 || m.Task != Classification || m.Description != "hand-made" {
		t.Errorf("model %+v", m)
	}
	versions, err := r.Versions(ctx, "churn")
	if err != nil || len(versions) != 2 || versions[0].Version != 2 || !slices.Equal(versions[0].Aliases, []string{"challenger"}) ||
		!slices.Equal(versions[1].Aliases, []string{Champion}) || versions[0].Metrics["roc_auc"] != 0.85 {
		t.Errorf("versions %+v %v", versions, err)
	}
	// Every move is audited, the first champion with its training.
	var moves []string
	for _, row := range rows(t, lh, "SELECT detail FROM sys.audit WHERE action = 'ml:alias' AND allowed ORDER BY seq") {
		moves = append(moves, row[0].(string))
	}
	want := []string{"churn@champion set to version 1 (its first READY version)", "churn@challenger set to version 2",
		"churn@champion moved from version 1 to 2", "churn@champion moved from version 2 to 1", "churn@old set to version 1",
		"churn@old removed (it was at version 1)"}
	if !slices.Equal(moves, want) {
		t.Errorf("audited moves\n%q\nwant\n%q", moves, want)
	}
}

func TestShowAndCompare(t *testing.T) {
	ctx := context.Background()
	r := NewRegistry(openTarget(t))
	registerHand(t, r, regModel("churn", []float64{1, 0.5, -1, 1}, 0), 0.8)
	registerHand(t, r, regModel("churn", []float64{1, 0.5, -3, 1.5}, 0.25), 0.9)
	d, err := r.Show(ctx, "churn@champion")
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || d.Model == nil || d.Model.Coef[0][2] != -1 || d.Run.TableDigest != "hand" || d.Run.Params["seed"] != "7" ||
		!slices.Equal(d.Run.Loss, []float64{0.7, 0.6}) || d.Run.Tags["test_rows"] != "2" {
		t.Errorf("show: %+v (run %+v)", d.ModelVersion, d.Run)
	}
	// A metric that could not be computed is absent; the ROC curve's
	// infinite first threshold survives storage.
	if _, ok := d.Metrics["log_loss"]; ok || len(d.Evaluation.ROC) != 3 || !math.IsInf(d.Evaluation.ROC[0].Threshold, 1) {
		t.Errorf("evaluation %+v, metrics %v", d.Evaluation, d.Metrics)
	}
	c, err := r.Compare(ctx, "churn", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.MetricDeltas["roc_auc"]-0.1) > 1e-12 {
		t.Errorf("roc_auc delta %v, want 0.1", c.MetricDeltas["roc_auc"])
	}
	var got []string
	for _, cc := range c.CoefChanges {
		got = append(got, fmt.Sprintf("%s %g", cc.Feature, cc.Delta))
	}
	want := []string{"region=north -2", "region=south 0.5", "(intercept) 0.25", "tenure 0", "tenure__missing 0"}
	if !slices.Equal(got, want) {
		t.Errorf("coefficient changes %q, want %q (largest first)", got, want)
	}
}

func TestPredictScoresWithTheAliasNotTheLatest(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, customers)
	r := NewRegistry(lh)
	coef := []float64{1, 0.5, -1, 1}
	registerHand(t, r, regModel("churn", coef, 0.2), 0.8)
	s, err := r.Predict(ctx, "churn@champion", "gold.customers", "ml.churn_predictions")
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.Alias != Champion || s.Rows != 6 || s.Out != "ml.churn_predictions" {
		t.Errorf("scoring %+v", s)
	}
	cols := rows(t, lh, `SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'ml' AND table_name = 'churn_predictions' ORDER BY column_index`)
	var names []string
	for _, c := range cols {
		names = append(names, fmt.Sprint(c[0], " ", c[1]))
	}
	want := []string{"customer_id BIGINT", "prediction VARCHAR", "prob_0 DOUBLE", "prob_1 DOUBLE", "model_name VARCHAR", "model_version INTEGER", "scored_at TIMESTAMP"}
	if !slices.Equal(names, want) {
		t.Errorf("columns %q, want %q", names, want)
	}
	// By hand: z = 0.2 + 1*(tenure-10)/5 + 0.5*missing - north + south;
	// an unseen region (west) is none of the levels, a missing one the
	// most frequent (north), a missing tenure the mean with its indicator.
	wantZ := map[int64]float64{1: 0.2 - 1, 2: 0.2 + 1 + 1, 3: 0.2 - 1, 4: 0.2 + 2 - 1, 5: 0.2 + 0.5 + 1, 6: 0.2 - 2 - 1}
	for _, row := range rows(t, lh, "SELECT customer_id, prediction, prob_0, prob_1, model_name, model_version FROM ml.churn_predictions ORDER BY customer_id") {
		id := row[0].(int64)
		p1 := handSigmoid(wantZ[id])
		class := "0"
		if p1 >= 0.5 {
			class = "1"
		}
		if math.Abs(row[3].(float64)-p1) > 1e-12 || math.Abs(row[2].(float64)-(1-p1)) > 1e-12 || row[1] != class || row[4] != "churn" || row[5] != int32(1) {
			t.Errorf("customer %d: %v, want prob_1 %v class %s by churn 1", id, row, p1, class)
		}
	}
	// A new version scores nothing until the alias moves.
	registerHand(t, r, regModel("churn", []float64{-1, 0, 0, 0}, 0), 0.9)
	if s, err = r.Predict(ctx, "churn@champion", "gold.customers", "ml.churn_predictions"); err != nil || s.Version != 1 {
		t.Fatalf("after version 2: %+v %v, want version 1 still", s, err)
	}
	if err := r.SetAlias(ctx, "churn", Champion, 2); err != nil {
		t.Fatal(err)
	}
	if s, err = r.Predict(ctx, "churn", "gold.customers", "ml.churn_predictions"); err != nil || s.Version != 2 {
		t.Fatalf("after the move: %+v %v, want version 2", s, err)
	}
	if got := rows(t, lh, "SELECT DISTINCT model_version FROM ml.churn_predictions"); len(got) != 1 || got[0][0] != int32(2) {
		t.Errorf("scored by %v, want version 2 alone", got)
	}
	scorings, err := r.Scorings(ctx, "churn")
	if err != nil || len(scorings) != 3 || scorings[0].Version != 2 || scorings[2].Version != 1 || scorings[2].Alias != Champion {
		t.Errorf("scorings %+v %v", scorings, err)
	}
	// Nothing is written over the registry, lakebench's tables or the input.
	for out, want := range map[string]string{
		"ml.model_aliases": "one of the registry's own tables",
		"sys.runs":         "not a table a model may build",
		"bronze.x":         "not a table a model may build",
		"gold.customers":   "is the input",
		"predictions":      "want SCHEMA.NAME",
	} {
		if _, err := r.Predict(ctx, "churn", "gold.customers", out); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("predict into %s: %v, want %q", out, err, want)
		}
	}
	execSQL(t, lh, "CREATE TABLE gold.no_region AS SELECT customer_id, tenure FROM gold.customers")
	if _, err := r.Predict(ctx, "churn", "gold.no_region", "ml.x"); err == nil || !strings.Contains(err.Error(), `has no column "region", a feature of churn version 2`) {
		t.Errorf("predict without a feature column: %v", err)
	}
}

// TestHostileNames: model names, aliases and tables with quotes and SQL in
// them are text, bound or quoted, never SQL.
func TestHostileNames(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	name := `o'brien"; DROP TABLE ml.runs; --`
	alias := `it's "best" OR 1=1`
	table := lakehouse.TableName{Schema: "gold", Name: `cust'omers"; DROP TABLE x; --`}
	out := lakehouse.TableName{Schema: "ml", Name: `pred'ictions" --`}
	execSQL(t, lh, strings.Replace(customers, "gold.customers", table.SQL(), 1))
	execSQL(t, lh, "CREATE TABLE gold.x AS SELECT 1 AS a")
	r := NewRegistry(lh)
	registerHand(t, r, regModel(name, []float64{1, 0, 0, 0}, 0), 0.7)
	registerHand(t, r, regModel(name, []float64{2, 0, 0, 0}, 0), 0.7)
	if err := r.SetAlias(ctx, name, alias, 2); err != nil {
		t.Fatal(err)
	}
	got, v, err := r.Resolve(ctx, name+"@"+alias)
	if err != nil || got != name || v != 2 {
		t.Fatalf("resolve: %q %d %v", got, v, err)
	}
	s, err := r.Predict(ctx, name+"@"+alias, table.String(), out.String())
	if err != nil || s.Rows != 6 || s.Version != 2 {
		t.Fatalf("predict: %+v %v", s, err)
	}
	if n := rows(t, lh, "SELECT count(*), min(model_name) FROM "+out.SQL()); n[0][0] != int64(6) || n[0][1] != name {
		t.Errorf("predictions %v", n)
	}
	if n := rows(t, lh, "SELECT (SELECT count(*) FROM ml.runs), (SELECT count(*) FROM gold.x)"); n[0][0] != int64(2) || n[0][1] != int64(1) {
		t.Errorf("runs and gold.x after hostile names: %v", n)
	}
}

// governed makes a deployed target: ana owns it; chen (scientists) may
// read gold and write ml; dana (analysts) may read gold and ml; erin has
// nothing.
func governed(t *testing.T, lh *lakehouse.Lakehouse, mode string) {
	t.Helper()
	ctx := context.Background()
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	g := lakehouse.Governance{Owner: "ana", Groups: map[string][]string{"scientists": {"chen"}, "analysts": {"dana"}}, Grants: []lakehouse.Grant{
		{Principal: "scientists", Privilege: "SELECT", Schema: "gold"}, {Principal: "scientists", Privilege: "ALL_PRIVILEGES", Schema: "ml"},
		{Principal: "analysts", Privilege: "SELECT", Schema: "gold"}, {Principal: "analysts", Privilege: "SELECT", Schema: "ml"}}}
	if err := tx.DeployGovernance(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployPermissions(ctx, []lakehouse.TargetPermission{{Level: lakehouse.CanRun, Principal: "scientists", Kind: "group"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordTargetSettings(ctx, lakehouse.TargetSettings{Mode: mode, RunAs: "ana", Principal: "ana"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestGovernanceRefusals(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, customers)
	governed(t, lh, "development")
	r := NewRegistry(lh)
	lh.SetPrincipal("chen")
	registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
	registerHand(t, r, regModel("churn", []float64{2, 0, 0, 0}, 0), 0.7)

	var ae *lakehouse.AccessError
	lh.SetPrincipal("dana") // reads ml, may not write it
	if _, _, err := r.Train(ctx, Spec{Name: "churn", Table: "gold.customers", Label: "churned"}, nil); !errors.As(err, &ae) || ae.Privilege != "MODIFY" || ae.Table.Schema != "ml" {
		t.Errorf("dana trains: %v, want MODIFY on ml refused", err)
	}
	if err := r.SetAlias(ctx, "churn", Champion, 2); !errors.As(err, &ae) || ae.Table.String() != "ml.model_aliases" {
		t.Errorf("dana moves the champion: %v", err)
	}
	if _, err := r.Predict(ctx, "churn", "gold.customers", "ml.dana_predictions"); !errors.As(err, &ae) || ae.Action != "write" {
		t.Errorf("dana scores into ml: %v", err)
	}
	if _, err := r.Models(ctx); err != nil {
		t.Errorf("dana lists the models: %v", err)
	}
	lh.SetPrincipal("erin") // nothing granted
	if _, err := r.Predict(ctx, "churn", "gold.customers", "gold.erin"); !errors.As(err, &ae) || ae.Table.String() != "gold.customers" || ae.Privilege != "SELECT" {
		t.Errorf("erin scores: %v, want SELECT on gold.customers refused", err)
	}
	if _, err := r.Models(ctx); !errors.As(err, &ae) {
		t.Errorf("erin lists the models: %v", err)
	}
	lh.SetPrincipal("chen") // scientists may
	if err := r.SetAlias(ctx, "churn", Champion, 2); err != nil {
		t.Errorf("chen moves the champion: %v", err)
	}
	if _, err := r.Predict(ctx, "churn", "gold.customers", "ml.churn_predictions"); err != nil {
		t.Errorf("chen scores: %v", err)
	}
	lh.SetPrincipal("")
	refusals := map[string]int{}
	for _, row := range rows(t, lh, "SELECT principal || ' ' || action FROM sys.audit WHERE NOT allowed") {
		refusals[row[0].(string)]++
	}
	for _, want := range []string{"dana ml:train", "dana ml:alias", "dana ml:predict", "erin ml:predict", "erin ml:models"} {
		if refusals[want] != 1 {
			t.Errorf("audited refusals %v, want one %q", refusals, want)
		}
	}
	if n := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE allowed AND action = 'ml:alias' AND principal = 'chen' AND detail = 'churn@champion moved from version 1 to 2'"); n[0][0] != int64(1) {
		t.Errorf("chen's move is not audited")
	}
}

// TestProductionPromotionNeedsManage: on a production target, MODIFY on ml
// is not enough to move an alias; CAN_MANAGE on the target is needed too.
func TestProductionPromotionNeedsManage(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	governed(t, lh, "production")
	r := NewRegistry(lh)
	lh.SetPrincipal("ana")
	registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
	registerHand(t, r, regModel("churn", []float64{2, 0, 0, 0}, 0), 0.7)
	lh.SetPrincipal("chen")
	var pe *lakehouse.PermissionError
	if err := r.SetAlias(ctx, "churn", Champion, 2); !errors.As(err, &pe) || pe.Needs != lakehouse.CanManage || !strings.Contains(err.Error(), "move model aliases") {
		t.Errorf("chen promotes in production: %v, want CAN_MANAGE needed", err)
	}
	lh.SetPrincipal("ana") // the owner
	if err := r.SetAlias(ctx, "churn", Champion, 2); err != nil {
		t.Errorf("the owner promotes: %v", err)
	}
	lh.SetPrincipal("")
	if n := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE NOT allowed AND principal = 'chen' AND action = 'alias move'"); n[0][0] != int64(1) {
		t.Errorf("chen's refused promotion is not audited")
	}
}

// TestFailedVersion: a fit whose model cannot serve is recorded as a FAILED
// run and version, which no alias, reference or scoring uses.
func TestFailedVersion(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, customers)
	r := NewRegistry(lh)
	registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
	bad := regModel("churn", []float64{math.NaN(), 0, 0, 0}, 0)
	_, err := servable(bad)
	if err == nil || !strings.Contains(err.Error(), "coefficient 0 of score row 0 is NaN") {
		t.Fatalf("servable(NaN coefficient): %v", err)
	}
	run := &Run{ID: newRunID(), Experiment: "churn", Status: RunFailed, Error: err.Error(), Metrics: map[string]float64{}, Tags: map[string]string{}, StartedAt: r.now()}
	if err := r.recordFailed(ctx, run, bad, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	versions, err := r.Versions(ctx, "churn")
	if err != nil || len(versions) != 2 || versions[0].Status != VersionFailed || !strings.Contains(versions[0].Description, "NaN") {
		t.Fatalf("versions %+v %v", versions, err)
	}
	if _, v, err := r.Resolve(ctx, "churn"); err != nil || v != 1 {
		t.Errorf("resolve churn: %d %v, want the champion 1", v, err)
	}
	if err := r.SetAlias(ctx, "churn", "challenger", 2); err == nil || !strings.Contains(err.Error(), "is FAILED") {
		t.Errorf("alias to a FAILED version: %v", err)
	}
	if _, err := r.Predict(ctx, "churn/2", "gold.customers", "ml.p"); err == nil || !strings.Contains(err.Error(), "is FAILED, so it cannot score") {
		t.Errorf("score with a FAILED version: %v", err)
	}
	d, err := r.Show(ctx, "churn/2")
	if err != nil || d.Run.Status != RunFailed || d.Model != nil {
		t.Errorf("show the FAILED version: %+v %v", d, err)
	}
}

// trainingTable is a churn-like table: tenure and spend drive the label,
// region is text, and some values are missing.
const trainingTable = `CREATE TABLE gold.train AS SELECT
	i::BIGINT AS customer_id,
	['north', 'south', 'east'][i % 3 + 1] AS region,
	CASE WHEN i % 17 = 0 THEN NULL ELSE (i * 37 % 100)::DOUBLE END AS tenure,
	(i * 53 % 70)::DOUBLE AS spend,
	CASE WHEN (i * 37 % 100) + (i * 53 % 70) / 2 + CASE WHEN i % 3 = 0 THEN 15 ELSE 0 END > 80 OR i % 23 = 0 THEN 1 ELSE 0 END AS churned
	FROM range(600) AS t(i)`

func TestTrainRegistersAndReproduces(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, trainingTable)
	r := NewRegistry(lh)
	lh.SetPrincipal("chen")
	spec := Spec{Name: "churn", Table: "gold.train", Label: "churned", Seed: 42}
	var stages []string
	mv, run, err := r.Train(ctx, spec, func(p Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if mv.Version != 1 || !slices.Equal(mv.Aliases, []string{Champion}) || run.Status != RunFinished || run.Principal != "chen" ||
		run.TableRows != 600 || run.TableDigest == "" || len(run.Loss) == 0 || run.Iterations == 0 || run.Metrics["roc_auc"] < 0.8 {
		t.Fatalf("version %+v run %+v", mv, run)
	}
	if stages[0] != "read" || stages[len(stages)-1] != "register" {
		t.Errorf("progress stages %v", stages)
	}
	mv2, _, err := r.Train(ctx, spec, nil)
	if err != nil || mv2.Version != 2 || len(mv2.Aliases) != 0 {
		t.Fatalf("second training: %+v %v, want version 2 without alias", mv2, err)
	}
	d, err := r.Show(ctx, "churn/1")
	if err != nil || d.Run.ID != run.ID || len(d.Evaluation.ROC) == 0 || len(d.Evaluation.Confusion) != 2 || len(d.Evaluation.Importance) == 0 {
		t.Fatalf("show: %+v %v", d, err)
	}
	// Same data, same spec: the same bytes.
	a1, _ := artifactBytes(ctx, lhRecords{lh}, "churn", 1)
	a2, _ := artifactBytes(ctx, lhRecords{lh}, "churn", 2)
	if string(a1) != string(a2) {
		t.Errorf("two trainings on the same data differ")
	}
	cvSpec := spec
	cvSpec.CV = 3
	mv3, _, err := r.Train(ctx, cvSpec, nil)
	if err != nil {
		t.Fatal(err)
	}
	d3, err := r.Show(ctx, fmt.Sprintf("churn/%d", mv3.Version))
	if err != nil || len(d3.Run.CV) != 3 || d3.Run.CV[2]["roc_auc"] == 0 || d3.Metrics["cv_roc_auc_mean"] == 0 || d3.Run.Spec.CV != 3 {
		t.Errorf("a cross-validated run: folds %v, metrics %v, %v", d3.Run.CV, d3.Metrics, err)
	}
	rep, err := r.Reproduce(ctx, "churn", 1)
	if err != nil || !rep.Identical || !rep.ArtifactIdentical || !rep.MetricsIdentical || rep.DigestChanged || len(rep.Differences) != 0 {
		t.Fatalf("reproduce on unchanged data: %+v %v", rep, err)
	}
	lh.SetPrincipal("")
	execSQL(t, lh, "UPDATE gold.train SET spend = spend + 40 WHERE customer_id = 5")
	lh.SetPrincipal("chen")
	rep, err = r.Reproduce(ctx, "churn", 1)
	if err != nil || !rep.DigestChanged || rep.CurrentRows != 600 || rep.RecordedRows != 600 || rep.CurrentDigest == rep.RecordedDigest {
		t.Fatalf("reproduce after a row changed: %+v %v", rep, err)
	}
	want := fmt.Sprintf("the training table gold.train changed since version 1 was trained: recorded digest %s over 600 rows, now %s over 600 rows", rep.RecordedDigest, rep.CurrentDigest)
	if len(rep.Differences) == 0 || rep.Differences[0] != want {
		t.Errorf("differences %q, want first %q", rep.Differences, want)
	}
	if rep.ArtifactIdentical {
		t.Errorf("a changed row left the artifact identical")
	}
}

// TestReproduceKeepsTheRecordedFeatures: a version trained with inferred
// features is retrained on the features its artifact records, not on those
// the table (or the inference) offers now: a column added since changes the
// table's digest, not the model.
func TestReproduceKeepsTheRecordedFeatures(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, trainingTable)
	r := NewRegistry(lh)
	if _, _, err := r.Train(ctx, Spec{Name: "churn", Table: "gold.train", Label: "churned", Seed: 42}, nil); err != nil {
		t.Fatal(err)
	}
	execSQL(t, lh, "ALTER TABLE gold.train ADD COLUMN noise DOUBLE")
	execSQL(t, lh, "UPDATE gold.train SET noise = hash(customer_id) % 97")
	rep, err := r.Reproduce(ctx, "churn", 1)
	if err != nil || !rep.DigestChanged || !rep.ArtifactIdentical || !rep.MetricsIdentical {
		t.Fatalf("reproduce after a column was added: %+v %v; want the digest changed, the artifact and metrics identical", rep, err)
	}
}

// TestFailedFitRecordsAFailedRun: a fit that fails records its run as
// FAILED with the error, and registers no version.
func TestFailedFitRecordsAFailedRun(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, "CREATE TABLE gold.one_class AS SELECT i::DOUBLE AS x, 1 AS y FROM range(50) AS t(i)")
	r := NewRegistry(lh)
	_, run, err := r.Train(ctx, Spec{Name: "flat", Table: "gold.one_class", Label: "y"}, nil)
	var fe *FitError
	if !errors.As(err, &fe) || run == nil || run.Status != RunFailed {
		t.Fatalf("train on one class: %v, run %+v", err, run)
	}
	got := rows(t, lh, "SELECT status, error, table_rows FROM ml.runs WHERE experiment = 'flat'")
	if len(got) != 1 || got[0][0] != RunFailed || got[0][1] != err.Error() || got[0][2] != int64(50) {
		t.Errorf("recorded runs %v, want one FAILED with %q", got, err)
	}
	if n := rows(t, lh, "SELECT count(*) FROM ml.model_versions WHERE name = 'flat'"); n[0][0] != int64(0) {
		t.Errorf("a failed fit registered a version")
	}
	if _, _, err := r.Train(ctx, Spec{Name: "flat", Table: "gold.nothing", Label: "y"}, nil); err == nil || !strings.Contains(err.Error(), "gold.nothing does not exist") {
		t.Errorf("train on a missing table: %v", err)
	}
}

// TestPredictKeepsAllColumnsWithoutKeys: an input without *_id columns
// (ingest's _batch_id is none: it names a load, not a row) keeps all its
// columns, typed as they were, a date among them.
func TestPredictKeepsAllColumnsWithoutKeys(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, `CREATE TABLE gold.visits AS SELECT * FROM (VALUES (DATE '2026-03-01', TIMESTAMP '2026-03-01 10:30:00', 12.0, 'north', 7::SMALLINT, 'b1'),
		(DATE '1969-12-31', NULL, NULL, 'south', NULL, 'b1')) AS t(day, seen_at, tenure, region, visits, _batch_id)`)
	r := NewRegistry(lh)
	registerHand(t, r, regModel("churn", []float64{1, 0.5, -1, 1}, 0), 0.8)
	if _, err := r.Predict(ctx, "churn", "gold.visits", "gold.visit_scores"); err != nil {
		t.Fatal(err)
	}
	got := rows(t, lh, `SELECT day, seen_at, tenure, region, visits, prediction, typeof(day), typeof(seen_at), typeof(visits) FROM gold.visit_scores ORDER BY day`)
	want := "[1969-12-31 00:00:00 +0000 UTC <nil> <nil> south <nil> 1 DATE TIMESTAMP SMALLINT] [2026-03-01 00:00:00 +0000 UTC 2026-03-01 10:30:00 +0000 UTC 12 north 7 0 DATE TIMESTAMP SMALLINT]"
	if fmt.Sprint(got[0], " ", got[1]) != want {
		t.Errorf("scored rows\n%v %v\nwant\n%s", got[0], got[1], want)
	}
}
