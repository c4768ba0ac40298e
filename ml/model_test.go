package ml

import (
	"bytes"
	"math"
	"testing"
)

// handModel is a model whose preparation is fitted on a small frame and
// whose coefficients are chosen, so predictions can be worked by hand.
func handModel(t *testing.T, task Task, classes []string, coef [][]float64, intercept []float64) *Model {
	t.Helper()
	train := frameOf(numCol("x", 1, 2, nil, 5), textCol("color", "red", "blue", "red", nil))
	p, err := fitPrep(train, []string{"x", "color"}, allRows(4), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Matrix columns: x, x__missing, color=blue, color=red, color__missing.
	return &Model{Name: "hand", Task: task, Algorithm: "test", Label: "y", Classes: classes, Prep: p, Coef: coef, Intercept: intercept}
}

func TestPredictUnseenCategoryAndMissingValue(t *testing.T) {
	m := handModel(t, Regression, nil, [][]float64{{2, 10, 100, 1000, 10000}}, []float64{0.5})
	score := frameOf(
		numCol("x", 5, nil, 1),
		textCol("color", "green", "blue", nil),
	)
	p, err := m.Predict(score)
	if err != nil {
		t.Fatal(err)
	}
	sx := math.Sqrt(78.0 / 36)
	want := []float64{
		0.5 + 2*(5-8.0/3)/sx,                // green: unseen, no level
		0.5 + 10 + 100,                      // x missing: imputed (0 scaled) + indicator
		0.5 + 2*(1-8.0/3)/sx + 1000 + 10000, // color missing: red + indicator
	}
	for i, w := range want {
		if !near(p.Value[i], w, 1e-12) {
			t.Errorf("row %d: %v, want %v", i, p.Value[i], w)
		}
	}
}

func TestPredictClasses(t *testing.T) {
	score := frameOf(numCol("x", 8.0/3), textCol("color", "blue"))
	// Binary: one score row; the score here is 0 + 1 (blue) = 1.
	m := handModel(t, Classification, []string{"no", "yes"}, [][]float64{{3, 0, 1, 0, 0}}, []float64{0})
	p, err := m.Predict(score)
	if err != nil {
		t.Fatal(err)
	}
	if p1 := 1 / (1 + math.Exp(-1)); p.Class[0] != "yes" || !near(p.Proba[0][1], p1, 1e-15) || !near(p.Proba[0][0], 1-p1, 1e-15) {
		t.Errorf("binary: %q %v, want yes with %v", p.Class, p.Proba, p1)
	}
	// Multinomial: scores 1, 2, 0 -> softmax.
	m = handModel(t, Classification, []string{"a", "b", "c"}, [][]float64{{0, 0, 1, 0, 0}, {0, 0, 2, 0, 0}, {5, 0, 0, 0, 0}}, []float64{0, 0, 0})
	p, err = m.Predict(score)
	if err != nil {
		t.Fatal(err)
	}
	z := math.E + math.E*math.E + 1
	want := []float64{math.E / z, math.E * math.E / z, 1 / z}
	for j, w := range want {
		if !near(p.Proba[0][j], w, 1e-15) {
			t.Errorf("multinomial proba %v, want %v", p.Proba[0], want)
		}
	}
	if p.Class[0] != "b" {
		t.Errorf("multinomial class %q, want b", p.Class[0])
	}
}

func TestModelBytesRoundTrip(t *testing.T) {
	m := handModel(t, Classification, []string{"a", "b", "c"}, [][]float64{{0.1, -2e-9, 1, 0, 3}, {1e21, 0, 2, 0, 0}, {5, 0, 0, 0, 1.0 / 3}}, []float64{0, -1, 0.25})
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Errorf("bytes changed over a round trip:\n%s\n%s", b, again)
	}
	if back.Coef[2][4] != 1.0/3 || back.Coef[0][1] != -2e-9 {
		t.Errorf("floats did not round-trip: %v", back.Coef)
	}
}

func TestUnmarshalModelRejectsDamage(t *testing.T) {
	m := handModel(t, Regression, nil, [][]float64{{1, 2, 3, 4, 5}}, []float64{0})
	good, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	short := bytes.Replace(good, []byte(`[[1,2,3,4,5]]`), []byte(`[[1,2,3]]`), 1)
	if bytes.Equal(short, good) {
		t.Fatalf("test bytes not found in %s", good)
	}
	_, err = UnmarshalModel(short)
	wantErr(t, err, "3 coefficients for 5 matrix columns", "retrain")
	_, err = UnmarshalModel(good[:len(good)/2])
	wantErr(t, err, "decoding a model")
	_, err = UnmarshalModel(append(append([]byte{}, good...), good...))
	wantErr(t, err, "data follows")
	m.Task = "clustering"
	_, err = m.MarshalBinary()
	wantErr(t, err, `unknown task "clustering"`)
}
