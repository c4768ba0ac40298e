package ml

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestAUC(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels []float64
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []float64{0, 0, 1, 1}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []float64{0, 0, 1, 1}, 0},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []float64{0, 1, 0, 1}, 0.5},
		{"one swap", []float64{0.1, 0.3, 0.2, 0.4}, []float64{0, 0, 1, 1}, 0.75},
		{"partial tie", []float64{0.1, 0.5, 0.5, 0.9}, []float64{0, 0, 1, 1}, 0.875},
		{"unsorted input", []float64{0.9, 0.1, 0.8, 0.2}, []float64{1, 0, 1, 0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AUC(tt.scores, tt.labels); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("AUC = %v, want %v", got, tt.want)
			}
		})
	}
	if got := AUC([]float64{math.NaN(), 2}, []float64{0, 1}); !math.IsNaN(got) {
		t.Errorf("AUC with a NaN score = %v, want NaN", got)
	}
	if got := AUC([]float64{1, 2}, []float64{1, 1}); !math.IsNaN(got) {
		t.Errorf("AUC with one class = %v, want NaN", got)
	}
}

func TestTrainLogisticRecoversCoefficients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	wantB0, wantB := -0.5, []float64{1.5, -2, 0}
	n := 20000
	X := make([][]float64, n)
	y := make([]float64, n)
	for i := range X {
		x := []float64{rng.NormFloat64(), 3 + 2*rng.NormFloat64(), rng.Float64()}
		eta := wantB0
		for j := range x {
			eta += wantB[j] * x[j]
		}
		X[i] = x
		if rng.Float64() < sigmoid(eta) {
			y[i] = 1
		}
	}
	m, err := TrainLogistic(X, y, LogisticOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b0, b := m.RawCoefficients()
	if math.Abs(b0-wantB0) > 0.15 {
		t.Errorf("intercept = %.3f, want %.3f", b0, wantB0)
	}
	for j := range b {
		if math.Abs(b[j]-wantB[j]) > 0.12 {
			t.Errorf("coef[%d] = %.3f, want %.3f", j, b[j], wantB[j])
		}
	}
	scores := make([]float64, n)
	for i := range X {
		scores[i] = m.Predict(X[i])
	}
	if auc := AUC(scores, y); auc < 0.9 {
		t.Errorf("training AUC = %.3f, want >= 0.9", auc)
	}
}

func TestTrainLogisticL2Shrinks(t *testing.T) {
	X := [][]float64{{0}, {1}, {2}, {3}, {4}, {5}}
	y := []float64{0, 0, 1, 0, 1, 1}
	free, err := TrainLogistic(X, y, LogisticOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ridge, err := TrainLogistic(X, y, LogisticOptions{L2: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(ridge.Coef[0]) < math.Abs(free.Coef[0])) {
		t.Errorf("L2 coef %v not smaller than unpenalised %v", ridge.Coef[0], free.Coef[0])
	}
}

func TestTrainLogisticErrors(t *testing.T) {
	tests := []struct {
		name string
		X    [][]float64
		y    []float64
	}{
		{"no rows", nil, nil},
		{"label count", [][]float64{{1}, {2}}, []float64{1}},
		{"ragged", [][]float64{{1}, {2, 3}}, []float64{0, 1}},
		{"bad label", [][]float64{{1}, {2}}, []float64{0, 2}},
		{"nan", [][]float64{{math.NaN()}, {2}}, []float64{0, 1}},
		{"one class", [][]float64{{1}, {2}}, []float64{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := TrainLogistic(tt.X, tt.y, LogisticOptions{}); err == nil {
				t.Error("TrainLogistic succeeded, want error")
			}
		})
	}
	if _, err := TrainLogistic([][]float64{{1}, {2}}, []float64{0, 0}, LogisticOptions{}); !errors.Is(err, ErrOneClass) {
		t.Errorf("err = %v, want ErrOneClass", err)
	}
}

func TestTrainLogisticSeparableWithL2(t *testing.T) {
	X := [][]float64{{0}, {1}, {2}, {3}}
	y := []float64{0, 0, 1, 1}
	m, err := TrainLogistic(X, y, LogisticOptions{L2: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if p0, p3 := m.Predict([]float64{0}), m.Predict([]float64{3}); !(p0 < 0.5 && p3 > 0.5) {
		t.Errorf("Predict(0) = %.3f, Predict(3) = %.3f: want below and above 0.5", p0, p3)
	}
}
