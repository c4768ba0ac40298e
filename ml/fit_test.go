package ml

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// churnFrame is n rows of a small churn table: an id, a number with some
// NULLs, a plan with some NULLs, a boolean and a label that depends on them.
func churnFrame(n int, seed uint64) *Frame {
	rng := rand.New(rand.NewPCG(seed, 99))
	ids, tenure, plan, promo, churned, spend := make([]any, n), make([]any, n), make([]any, n), make([]any, n), make([]any, n), make([]any, n)
	plans := []string{"basic", "plus", "pro"}
	for i := range n {
		ids[i] = i + 1
		t := rng.Float64() * 60
		p := rng.IntN(3)
		b := rng.IntN(2) == 0
		z := 1.5 - 0.08*t + 0.9*float64(p) - 0.7*float64(map[bool]int{true: 1}[b]) + rng.NormFloat64()
		churned[i] = z > 0
		spend[i] = 20 + 3*t + 15*float64(p) + rng.NormFloat64()*5
		tenure[i], plan[i], promo[i] = t, plans[p], b
		if i%17 == 3 {
			tenure[i] = nil
		}
		if i%23 == 5 {
			plan[i] = nil
		}
	}
	return frameOf(numCol("customer_id", ids...), numCol("tenure", tenure...), textCol("plan", plan...), boolCol("promo", promo...), boolCol("churned", churned...), numCol("spend", spend...))
}

func TestFitBadInput(t *testing.T) {
	ctx := context.Background()
	good := churnFrame(40, 1)
	withCol := func(f *Frame, c Column) *Frame {
		g := *f
		g.Columns = append(append([]Column{}, f.Columns...), c)
		return &g
	}
	many := make([]any, 200)
	for i := range many {
		many[i] = "city " + strconv.Itoa(i)
	}
	rare := make([]any, 40)
	nulls := make([]any, 40)
	constant := make([]any, 40)
	oneClass := make([]any, 40)
	text := make([]any, 40)
	for i := range rare {
		rare[i] = []string{"stay", "leave"}[min(1, i%10)]
		constant[i] = 3.5
		oneClass[i] = "yes"
		text[i] = []string{"low", "high"}[i%2]
	}
	nanCol := numCol("score", make([]any, 40)...)
	nanCol.Null = nil
	nanCol.Num[7] = math.NaN()
	tests := []struct {
		name  string
		frame *Frame
		spec  Spec
		want  []string
	}{
		{"missing label column", good, Spec{Label: "churn"}, []string{`label column "churn" is not in the table`, `did you mean "churned"?`}},
		{"no label", good, Spec{}, []string{"no label", "name the column"}},
		{"label with one class", withCol(good, textCol("same", oneClass...)), Spec{Label: "same"}, []string{`label "same" has one class ("yes" in all 40 rows)`, "pick another label"}},
		{"constant regression label", withCol(good, numCol("flat", constant...)), Spec{Label: "flat"}, []string{`label "flat" is constant (3.5 in all 40 rows)`, "pick another label"}},
		{"text regression label", withCol(good, textCol("grade", text...)), Spec{Label: "grade", Task: Regression}, []string{`label "grade" is text (VARCHAR)`, "must be numeric", "task classification"}},
		{"boolean regression label", good, Spec{Label: "churned", Task: Regression}, []string{`label "churned" is boolean`}},
		{"too few rows for the split", churnFrame(2, 1), Spec{Label: "spend"}, []string{"too few rows for the split", "2 rows", "add rows or change test_size"}},
		{"too few rows for a stratified split", churnFrame(5, 1), Spec{Label: "churned", TestSize: 0.2}, []string{"too few rows for the split", "per class (2)"}},
		{"too few rows for cv", churnFrame(12, 1), Spec{Label: "spend", CV: 5}, []string{"too few rows for 5-fold cross-validation", "9 training rows", "lower cv"}},
		{"too few of a class for cv", withCol(good, textCol("rare", rare...)), Spec{Label: "rare", CV: 5}, []string{"too few rows for 5-fold cross-validation", `class "stay" has 3 training rows`, "lower cv or add rows of it"}},
		{"too many categories", withCol(churnFrame(200, 1), textCol("city", many...)), Spec{Label: "churned"}, []string{`feature "city" has 150 distinct values`, "max_categories 100", "drop it from features or raise max_categories"}},
		{"too many categories, bound given", good, Spec{Label: "churned", MaxCategories: 2}, []string{`feature "plan" has 3 distinct values`, "max_categories 2"}},
		{"all-null feature", withCol(good, numCol("empty", nulls...)), Spec{Label: "churned"}, []string{`feature "empty" is NULL in every training row`, "drop it from features"}},
		{"NaN in a feature", withCol(good, nanCol), Spec{Label: "churned"}, []string{`column "score" has 1 NaN or infinite values`, "row 8", "NULL"}},
		{"Inf in the label", withCol(good, func() Column { c := numCol("y", constant...); c.Num[2] = math.Inf(1); return c }()), Spec{Label: "y"}, []string{`column "y" has 1 NaN or infinite values`}},
		{"unknown feature", good, Spec{Label: "churned", Features: []string{"tenur", "plan"}}, []string{`feature "tenur" is not a column`, `did you mean "tenure"?`}},
		{"unknown task", good, Spec{Label: "churned", Task: "ranking"}, []string{`unknown task "ranking"`}},
		{"algorithm for another task", good, Spec{Label: "churned", Algorithm: "ridge"}, []string{"ridge is a regression", "use logistic"}},
		{"unknown algorithm", good, Spec{Label: "spend", Algorithm: "forest"}, []string{`unknown algorithm "forest"`}},
		{"test size", good, Spec{Label: "churned", TestSize: 1.5}, []string{"test_size is 1.5"}},
		{"no rows", &Frame{Columns: good.Columns[:0]}, Spec{Label: "churned"}, []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Fit(ctx, tt.frame, tt.spec, nil)
			if res != nil {
				t.Errorf("result %+v, want none", res)
			}
			wantErr(t, err, tt.want...)
		})
	}
}

func TestInferTask(t *testing.T) {
	ints := make([]any, 30)
	many := make([]any, 30)
	for i := range ints {
		ints[i] = i % 4
		many[i] = i
	}
	tests := []struct {
		col  Column
		want Task
	}{
		{textCol("t", "a", "b"), Classification},
		{boolCol("b", true, false), Classification},
		{numCol("few ints", ints...), Classification},
		{numCol("many ints", many...), Regression},
		{numCol("fractions", 1, 2.5), Regression},
	}
	for _, tt := range tests {
		if got := inferTask(&tt.col, len(tt.col.Num)+len(tt.col.Text)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.col.Name, got, tt.want)
		}
	}
}

func TestEncodeClasses(t *testing.T) {
	c := numCol("y", 10, 2, nil, 1, 2)
	classes, class := encodeClasses(&c, 5)
	if strings.Join(classes, ",") != "1,2,10" || class[0] != 2 || class[1] != 1 || class[2] != -1 || class[3] != 0 {
		t.Errorf("classes %q rows %v, want 1, 2, 10 in numeric order and 2 1 -1 0 1", classes, class)
	}
	b := boolCol("b", true, false, nil)
	classes, class = encodeClasses(&b, 3)
	if strings.Join(classes, ",") != "false,true" || class[0] != 1 || class[2] != -1 {
		t.Errorf("classes %q rows %v, want false, true", classes, class)
	}
}

func TestFitClassification(t *testing.T) {
	f := churnFrame(400, 2)
	var fitLosses []float64
	folds := map[int]bool{}
	res, err := Fit(context.Background(), f, Spec{Name: "churn", Label: "churned", Seed: 5, CV: 3}, func(p Progress) {
		switch p.Stage {
		case "fit":
			fitLosses = append(fitLosses, p.Loss)
		case "cv":
			folds[p.Fold] = true
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if m.Task != Classification || m.Algorithm != "logistic" || strings.Join(m.Classes, ",") != "false,true" {
		t.Errorf("model %s %s %q, want classification, logistic, false/true", m.Task, m.Algorithm, m.Classes)
	}
	if got := strings.Join(m.Prep.outputs(), ","); got != "tenure,tenure__missing,plan=basic,plan=plus,plan=pro,plan__missing,promo,spend" {
		t.Errorf("outputs %s, want every column but the id and the label, prepared", got)
	}
	if res.TrainRows != 300 || res.TestRows != 100 {
		t.Errorf("rows %d/%d, want 300/100", res.TrainRows, res.TestRows)
	}
	if !res.Converged || len(res.Loss) == 0 || len(fitLosses) != len(res.Loss) {
		t.Errorf("converged %v, %d losses, %d progress reports; want converged and one report per loss", res.Converged, len(res.Loss), len(fitLosses))
	}
	for _, k := range []string{"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"} {
		if _, ok := res.Metrics.Values[k]; !ok {
			t.Errorf("metric %s missing from %v", k, res.Metrics.Values)
		}
	}
	if auc := res.Metrics.Values["roc_auc"]; auc < 0.75 {
		t.Errorf("roc_auc %v, want at least 0.75 on this separable-ish data", auc)
	}
	if len(res.CV) != 3 || res.CV[2]["accuracy"] == 0 || len(folds) != 3 || !folds[1] || !folds[3] {
		t.Errorf("cv %v with progress from folds %v, want 3 folds with accuracy, reported as 1 to 3", res.CV, folds)
	}
	// A model read back from its bytes predicts exactly as the one trained.
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := back.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p1.Proba {
		if p1.Class[i] != p2.Class[i] || p1.Proba[i][1] != p2.Proba[i][1] {
			t.Fatalf("row %d: %s %v before the round trip, %s %v after", i, p1.Class[i], p1.Proba[i], p2.Class[i], p2.Proba[i])
		}
	}
	if len(res.Metrics.ROC) < 3 || len(res.Metrics.Importance) != 8 || len(res.Metrics.Confusion) != 2 {
		t.Errorf("roc %d points, %d importances, confusion %v", len(res.Metrics.ROC), len(res.Metrics.Importance), res.Metrics.Confusion)
	}
}

func TestFitRegressionDropsNullLabels(t *testing.T) {
	f := churnFrame(200, 3)
	spend := f.Column("spend")
	spend.markNull(4, f.Rows)
	spend.markNull(9, f.Rows)
	res, err := Fit(context.Background(), f, Spec{Label: "spend", Features: []string{"tenure", "plan"}, CV: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Algorithm != "linear" || res.TrainRows+res.TestRows != 198 {
		t.Errorf("algorithm %s on %d+%d rows, want linear on 198", res.Model.Algorithm, res.TrainRows, res.TestRows)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `left out 2 rows whose label "spend" is NULL`) {
		t.Errorf("warnings %q, want the 2 NULL labels", res.Warnings)
	}
	if len(res.CV) != 4 || res.CV[3]["rmse"] <= 0 {
		t.Errorf("cv %v, want 4 folds with rmse", res.CV)
	}
	if r2 := res.Metrics.Values["r2"]; r2 < 0.9 {
		t.Errorf("r2 %v, want above 0.9 (spend is linear in tenure and plan)", r2)
	}
}

func TestFitReproducible(t *testing.T) {
	spec := Spec{Name: "churn", Label: "churned", Seed: 11}
	var prev []byte
	// The second training on one core: the bytes do not depend on how the
	// work is shared.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for i := range 2 {
		if i == 1 {
			runtime.GOMAXPROCS(1)
		}
		res, err := Fit(context.Background(), churnFrame(3000, 4), spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.Model.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && !bytes.Equal(prev, b) {
			t.Errorf("two trainings gave different bytes:\n%s\n%s", prev, b)
		}
		prev = b
	}
	res, err := Fit(context.Background(), churnFrame(3000, 4), Spec{Name: "churn", Label: "churned", Seed: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := res.Model.MarshalBinary(); bytes.Equal(prev, b) {
		t.Errorf("seeds 11 and 12 gave the same model: the seed does not reach the split")
	}
}

func TestFitWarnsWhenNotConverged(t *testing.T) {
	res, err := Fit(context.Background(), churnFrame(300, 5), Spec{Label: "churned", MaxIter: 1, Tol: 1e-12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged || len(res.Warnings) == 0 || !containsAll(res.Warnings[0], "did not converge in 1 iterations", "raise max_iter") {
		t.Errorf("converged %v warnings %q, want a ConvergenceWarning", res.Converged, res.Warnings)
	}
}

func TestFitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Fit(ctx, churnFrame(100, 6), Spec{Label: "churned"}, nil)
	wantErr(t, err, "cancelled")
}

// TestFitParity fits on scikit-learn's own split of each fixture and
// compares the test metrics with its LogisticRegression / LinearRegression
// behind the same preparation: accuracy within 1 point, RMSE within 2%.
func TestFitParity(t *testing.T) {
	for _, name := range parityCases {
		t.Run(name, func(t *testing.T) {
			fx, f := loadParity(t, name)
			spec := Spec{Label: fx.Label, Task: fx.Task, Features: fx.Features, C: fx.C, MaxIter: 1000, Tol: 1e-8, Seed: fx.Seed}
			res, err := fitOn(context.Background(), f, spec, fx.Train, fx.Test, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Metrics.Values
			for k, want := range fx.Metrics {
				t.Logf("%s: go %.6g sklearn %.6g", k, got[k], want)
				// Beyond the bounds the issue sets, every metric agrees
				// closely: the same split, preparation and optimum.
				if !near(got[k], want, 1e-3) {
					t.Errorf("%s %v, sklearn %v: want them within 1e-3", k, got[k], want)
				}
			}
			if fx.Task == Classification {
				if d := math.Abs(got["accuracy"] - fx.Metrics["accuracy"]); d > 0.01 {
					t.Errorf("accuracy %v, sklearn %v: %.2f points apart, want at most 1", got["accuracy"], fx.Metrics["accuracy"], 100*d)
				}
				return
			}
			if r := got["rmse"] / fx.Metrics["rmse"]; math.Abs(r-1) > 0.02 {
				t.Errorf("rmse %v, sklearn %v: ratio %v, want within 2%%", got["rmse"], fx.Metrics["rmse"], r)
			}
		})
	}
}

// TestFitIgnoresRowOrder: the same rows in another order (a table rebuilt by
// a parallel CREATE TABLE AS) train to the same bytes and metrics.
func TestFitIgnoresRowOrder(t *testing.T) {
	build := func(order []int) *Frame {
		x := make([]any, len(order))
		city := make([]any, len(order))
		y := make([]any, len(order))
		for i, r := range order {
			x[i] = float64(r%17) + float64(r)/100
			if r%11 == 0 {
				x[i] = nil
			}
			city[i] = []string{"ams", "ber", "cph"}[r%3]
			y[i] = (r%17)+r%3 > 9
		}
		return frameOf(numCol("x", x...), textCol("city", city...), boolCol("y", y...))
	}
	n := 300
	asc := make([]int, n)
	for i := range asc {
		asc[i] = i
	}
	shuffled := slices.Clone(asc)
	rand.New(rand.NewPCG(7, 7)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var got [][]byte
	var auc []float64
	for _, order := range [][]int{asc, shuffled} {
		res, err := Fit(context.Background(), build(order), Spec{Label: "y", Seed: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.Model.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
		auc = append(auc, res.Metrics.Values["roc_auc"])
	}
	if !bytes.Equal(got[0], got[1]) || auc[0] != auc[1] {
		t.Errorf("the same rows in another order trained differently: roc_auc %v vs %v, bytes equal %v", auc[0], auc[1], bytes.Equal(got[0], got[1]))
	}
}

// TestCanonicalOrderKeepsRows: the canonical order is a permutation of the
// frame's rows (none lost, none twice), and the same rows stored in another
// order come in the same sequence of values, NULLs included.
func TestCanonicalOrderKeepsRows(t *testing.T) {
	n := 500
	build := func(perm []int) *Frame {
		ids, x, city := make([]any, n), make([]any, n), make([]any, n)
		for p, i := range perm {
			ids[p] = float64(i)
			x[p] = float64(i % 7)
			if i%5 == 0 {
				x[p] = nil
			}
			city[p] = []string{"ams", "ber", "cph", "dub"}[i%4]
			if i%9 == 0 {
				city[p] = nil
			}
		}
		return frameOf(numCol("id", ids...), numCol("x", x...), textCol("city", city...))
	}
	// The sequence of (x, city) values the order reads.
	values := func(f *Frame, order []int) []string {
		out := make([]string, len(order))
		for p, r := range order {
			x, city := "NULL", "NULL"
			if !f.Columns[1].IsNull(r) {
				x = strconv.FormatFloat(f.Columns[1].Num[r], 'g', -1, 64)
			}
			if !f.Columns[2].IsNull(r) {
				city = f.Columns[2].Text[r]
			}
			out[p] = x + "/" + city
		}
		return out
	}
	asc := make([]int, n)
	for i := range asc {
		asc[i] = i
	}
	shuffled := slices.Clone(asc)
	rand.New(rand.NewPCG(3, 4)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var seqs [][]string
	for _, perm := range [][]int{asc, shuffled} {
		f := build(perm)
		order := canonicalOrder(f, []string{"x", "city"})
		if order == nil {
			t.Fatal("500 rows in id order came back in hash order unmoved")
		}
		seen := make([]bool, n)
		for _, r := range order {
			if r < 0 || r >= n || seen[r] {
				t.Fatalf("row %d is out of range or appears twice in the order", r)
			}
			seen[r] = true
		}
		seqs = append(seqs, values(f, order))
	}
	if !slices.Equal(seqs[0], seqs[1]) {
		t.Errorf("the same rows in another physical order came in another canonical order")
	}
}
