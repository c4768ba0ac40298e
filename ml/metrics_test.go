package ml

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// checkValues fails unless got holds want's keys with their values (1e-12)
// and no others.
func checkValues(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || !near(g, w, 1e-12) {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected metric %s = %v", k, got[k])
		}
	}
}

// The expected figures below are worked by hand and agree with
// scikit-learn 1.2.1's metrics on the same inputs.
func TestClassificationMetricsBinary(t *testing.T) {
	y := []int{0, 0, 1, 1, 1}
	p1 := []float64{0.2, 0.6, 0.7, 0.4, 0.9}
	proba := make([][]float64, len(p1))
	for i, p := range p1 {
		proba[i] = []float64{1 - p, p}
	}
	m, warnings := classificationMetrics([]string{"no", "yes"}, y, proba)
	if len(warnings) > 0 {
		t.Errorf("warnings %q, want none", warnings)
	}
	// Predicted 0, 1, 1, 0, 1: 3 of 5 right; of the 3 predicted yes 2 are,
	// and 2 of the 3 yes are found. AUC: 5 of the 6 (yes, no) pairs ordered.
	checkValues(t, m.Values, map[string]float64{
		"accuracy":  0.6,
		"precision": 2.0 / 3,
		"recall":    2.0 / 3,
		"f1":        2.0 / 3,
		"roc_auc":   5.0 / 6,
		"log_loss":  -(math.Log(0.8) + math.Log(0.4) + math.Log(0.7) + math.Log(0.4) + math.Log(0.9)) / 5,
	})
	if want := [][]int64{{1, 1}, {1, 2}}; !slices.EqualFunc(m.Confusion, want, slices.Equal) {
		t.Errorf("confusion %v, want %v", m.Confusion, want)
	}
	wantROC := []ROCPoint{{0, 0, 1.9}, {0, 1.0 / 3, 0.9}, {0, 2.0 / 3, 0.7}, {0.5, 2.0 / 3, 0.6}, {0.5, 1, 0.4}, {1, 1, 0.2}}
	checkROC(t, m.ROC, wantROC)
}

func checkROC(t *testing.T, got, want []ROCPoint) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("ROC %v, want %v", got, want)
	}
	for i := range want {
		if !near(got[i].FPR, want[i].FPR, 1e-12) || !near(got[i].TPR, want[i].TPR, 1e-12) || !near(got[i].Threshold, want[i].Threshold, 1e-12) {
			t.Errorf("ROC[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestClassificationMetricsMulticlass(t *testing.T) {
	y := []int{0, 1, 2, 2}
	proba := [][]float64{{.7, .2, .1}, {.3, .4, .3}, {.2, .5, .3}, {.1, .2, .7}}
	m, warnings := classificationMetrics([]string{"a", "b", "c"}, y, proba)
	if len(warnings) > 0 {
		t.Errorf("warnings %q, want none", warnings)
	}
	// Predicted a, b, b, c. Precision a 1, b 1/2, c 1; recall a 1, b 1,
	// c 1/2; F1 1, 2/3, 2/3. One-vs-rest AUC a 1, b 2/3, c 3.5/4.
	checkValues(t, m.Values, map[string]float64{
		"accuracy":  0.75,
		"precision": 2.5 / 3,
		"recall":    2.5 / 3,
		"f1":        (1 + 4.0/3) / 3,
		"roc_auc":   (1 + 2.0/3 + 0.875) / 3,
		"log_loss":  -(math.Log(.7) + math.Log(.4) + math.Log(.3) + math.Log(.7)) / 4,
	})
	if want := [][]int64{{1, 0, 0}, {0, 1, 0}, {0, 1, 1}}; !slices.EqualFunc(m.Confusion, want, slices.Equal) {
		t.Errorf("confusion %v, want %v", m.Confusion, want)
	}
	// The first class against the rest, the straight run dropped.
	checkROC(t, m.ROC, []ROCPoint{{0, 0, 1.7}, {0, 1, 0.7}, {1, 1, 0.1}})
}

func TestClassificationMetricsAbsentClass(t *testing.T) {
	m, warnings := classificationMetrics([]string{"a", "b", "c"}, []int{0, 1, 1}, [][]float64{{.8, .1, .1}, {.1, .8, .1}, {.3, .3, .4}})
	if _, ok := m.Values["roc_auc"]; ok {
		t.Errorf("roc_auc = %v with class c absent, want it left out", m.Values["roc_auc"])
	}
	if len(warnings) != 1 || !containsAll(warnings[0], `class "c" is absent`, "roc_auc") {
		t.Errorf("warnings %q, want one naming class c", warnings)
	}
	if m.Values["accuracy"] != 2.0/3 {
		t.Errorf("accuracy %v, want 2/3", m.Values["accuracy"])
	}
}

func TestLogLossClipsCertainMistakes(t *testing.T) {
	m, _ := classificationMetrics([]string{"a", "b"}, []int{0, 1}, [][]float64{{0, 1}, {0, 1}})
	if got, want := m.Values["log_loss"], -math.Log(logLossEps)/2; !near(got, want, 1e-12) {
		t.Errorf("log_loss %v, want %v (a zero probability clipped)", got, want)
	}
}

func TestRegressionMetrics(t *testing.T) {
	m, warnings := regressionMetrics([]float64{1, 2, 3, 4}, []float64{1.5, 2, 2, 5})
	if len(warnings) > 0 {
		t.Errorf("warnings %q", warnings)
	}
	// Errors 0.5, 0, -1, 1: squared sum 2.25; total sum of squares 5.
	checkValues(t, m.Values, map[string]float64{"rmse": 0.75, "mae": 0.625, "r2": 0.55})
	m, warnings = regressionMetrics([]float64{2, 2}, []float64{1, 3})
	checkValues(t, m.Values, map[string]float64{"rmse": 1, "mae": 1})
	if len(warnings) != 1 {
		t.Errorf("constant truth: warnings %q, want one about r2", warnings)
	}
}

func TestImportance(t *testing.T) {
	got := importance([]string{"a", "b", "c", "d"}, [][]float64{{0.5, -2, 1, 0}, {-0.7, 1, 0.2, 0}})
	want := []Importance{{"b", 2}, {"c", 1}, {"a", 0.7}, {"d", 0}}
	if !slices.Equal(got, want) {
		t.Errorf("importance %v, want %v", got, want)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
