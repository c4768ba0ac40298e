package ml

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// sklearnFixture is one file written by scripts/sklearn/trainers.py.
type sklearnFixture struct {
	Task     string      `json:"task"`
	Classes  int         `json:"classes"`
	X        [][]float64 `json:"X"`
	Y        []float64   `json:"y"`
	Logistic []struct {
		C float64 `json:"c"`
		// Coef and Intercept are the optimum; LBFGS is scikit-learn's
		// lbfgs solution, LBFGSGap its largest distance from the optimum.
		Coef      [][]float64 `json:"coef"`
		Intercept []float64   `json:"intercept"`
		LBFGSGap  float64     `json:"lbfgs_gap"`
	} `json:"logistic"`
	Linear struct {
		Coef      []float64 `json:"coef"`
		Intercept float64   `json:"intercept"`
	} `json:"linear"`
	Ridge struct {
		Alpha     float64   `json:"alpha"`
		Coef      []float64 `json:"coef"`
		Intercept float64   `json:"intercept"`
	} `json:"ridge"`
}

func loadFixture(t *testing.T, name string) *sklearnFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sklearn", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f sklearnFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &f
}

// matrix and labels turn a fixture into FitLogistic's inputs.
func (f *sklearnFixture) matrix() *mat.Dense {
	X := mat.NewDense(len(f.X), len(f.X[0]), nil)
	for i, row := range f.X {
		X.SetRow(i, row)
	}
	return X
}

func (f *sklearnFixture) labels() []int {
	y := make([]int, len(f.Y))
	for i, v := range f.Y {
		y[i] = int(v)
	}
	return y
}

func maxAbsDiff(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d float64
	for i := range got {
		d = max(d, math.Abs(got[i]-want[i]))
	}
	return d
}

func TestFitLogisticReachesSklearnOptimum(t *testing.T) {
	defer func(n int) { newtonMaxParams = n }(newtonMaxParams)
	for _, tt := range []struct{ name, data string }{
		{"newton", "breast_cancer"}, {"lbfgs", "breast_cancer"}, {"lbfgs", "iris"}, {"lbfgs", "wine"},
	} {
		f := loadFixture(t, tt.data)
		newtonMaxParams = 0
		if tt.name == "newton" {
			newtonMaxParams = math.MaxInt
		}
		for _, ref := range f.Logistic {
			t.Run(tt.data+"/"+tt.name+"/C="+jsonFloat(ref.C), func(t *testing.T) {
				fit, err := FitLogistic(context.Background(), f.matrix(), f.labels(), f.Classes,
					FitOptions{C: ref.C, MaxIter: 10000, Tol: 1e-6})
				if err != nil {
					t.Fatal(err)
				}
				if !fit.Converged {
					t.Errorf("not converged after %d iterations", fit.Iterations)
				}
				if len(fit.Coef) != len(ref.Coef) {
					t.Fatalf("%d coefficient rows, want %d", len(fit.Coef), len(ref.Coef))
				}
				var worst float64
				for c := range ref.Coef {
					d := maxAbsDiff(fit.Coef[c], ref.Coef[c])
					worst = max(worst, d)
					if d > 1e-4 {
						t.Errorf("row %d: coef %v, want %v (max diff %.2g)", c, fit.Coef[c], ref.Coef[c], d)
					}
				}
				d := maxAbsDiff(fit.Intercept, ref.Intercept)
				worst = max(worst, d)
				if d > 1e-4 {
					t.Errorf("intercept %v, want %v (max diff %.2g)", fit.Intercept, ref.Intercept, d)
				}
				t.Logf("%d iterations, %.2g from the optimum (scikit-learn's lbfgs: %.2g)", fit.Iterations, worst, ref.LBFGSGap)
			})
		}
	}
}

func jsonFloat(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestFitLinearMatchesSklearn(t *testing.T) {
	f := loadFixture(t, "diabetes")
	tests := []struct {
		name      string
		alpha     float64
		coef      []float64
		intercept float64
	}{
		{"ols", 0, f.Linear.Coef, f.Linear.Intercept},
		{"ridge", f.Ridge.Alpha, f.Ridge.Coef, f.Ridge.Intercept},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fit, err := FitLinear(context.Background(), f.matrix(), f.Y, tt.alpha)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(fit.Coef[0], tt.coef); d > 1e-6 {
				t.Errorf("coef %v, want %v (max diff %.2g)", fit.Coef[0], tt.coef, d)
			}
			if d := math.Abs(fit.Intercept[0] - tt.intercept); d > 1e-6 {
				t.Errorf("intercept %v, want %v", fit.Intercept[0], tt.intercept)
			}
			if !fit.Converged || len(fit.Loss) != 1 || !(fit.Loss[0] > 0) {
				t.Errorf("converged %v, loss %v: want true and one positive loss", fit.Converged, fit.Loss)
			}
		})
	}
}

// A feature repeated twice makes ordinary least squares singular: the
// answer is the minimum-norm one, as scikit-learn's LinearRegression gives,
// which splits the coefficient between the copies.
func TestFitLinearCollinearMinimumNorm(t *testing.T) {
	f := loadFixture(t, "diabetes")
	n, p := len(f.X), len(f.X[0])
	X := mat.NewDense(n, p+2, nil)
	for i, row := range f.X {
		X.SetRow(i, append(append(append([]float64(nil), row...), row[2]), 0))
	}
	fit, err := FitLinear(context.Background(), X, f.Y, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float64(nil), f.Linear.Coef...)
	want[2] /= 2
	want = append(want, want[2], 0)
	if d := maxAbsDiff(fit.Coef[0], want); d > 1e-6 {
		t.Errorf("coef %v, want %v (max diff %.2g)", fit.Coef[0], want, d)
	}
	if d := math.Abs(fit.Intercept[0] - f.Linear.Intercept); d > 1e-6 {
		t.Errorf("intercept %v, want %v", fit.Intercept[0], f.Linear.Intercept)
	}
}

func TestFitLogisticStopsAtMaxIter(t *testing.T) {
	f := loadFixture(t, "breast_cancer")
	for _, tt := range []struct {
		name    string
		f       *sklearnFixture
		classes int
	}{{"binary", f, 2}, {"multinomial", loadFixture(t, "wine"), 3}} {
		t.Run(tt.name, func(t *testing.T) {
			var progress []float64
			fit, err := FitLogistic(context.Background(), tt.f.matrix(), tt.f.labels(), tt.classes, FitOptions{
				MaxIter: 2, Tol: 1e-9,
				Progress: func(iter int, loss float64) {
					if iter != len(progress) {
						t.Errorf("progress iteration %d after %d calls", iter, len(progress))
					}
					progress = append(progress, loss)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if fit.Converged {
				t.Error("Converged = true after 2 iterations, want false")
			}
			if fit.Iterations != 2 || len(fit.Loss) != 3 {
				t.Fatalf("%d iterations, loss %v: want 2 and the start plus 2", fit.Iterations, fit.Loss)
			}
			if !(fit.Loss[2] < fit.Loss[1] && fit.Loss[1] < fit.Loss[0]) {
				t.Errorf("loss %v does not decrease", fit.Loss)
			}
			if maxAbsDiff(progress, fit.Loss) != 0 {
				t.Errorf("progress saw %v, Loss is %v", progress, fit.Loss)
			}
		})
	}
}

func TestFitLogisticCancel(t *testing.T) {
	f := loadFixture(t, "wine")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FitLogistic(ctx, f.matrix(), f.labels(), 3, FitOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: err = %v, want context.Canceled", err)
	}

	if _, err := FitLinear(ctx, f.matrix(), f.Y, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("linear, cancelled before: err = %v, want context.Canceled", err)
	}

	// Cancelled from the progress callback, mid-fit.
	for _, name := range []string{"breast_cancer", "wine"} {
		f := loadFixture(t, name)
		ctx, cancel := context.WithCancel(context.Background())
		var calls int
		fit, err := FitLogistic(ctx, f.matrix(), f.labels(), f.Classes, FitOptions{Tol: 1e-12, MaxIter: 1000,
			Progress: func(iter int, _ float64) {
				calls++
				if iter == 1 {
					cancel()
				}
			}})
		if !errors.Is(err, context.Canceled) || fit != nil {
			t.Errorf("%s: cancelled at iteration 1: fit %v, err %v; want nil and context.Canceled", name, fit, err)
		}
		if calls != 2 {
			t.Errorf("%s: %d progress calls after cancelling at iteration 1, want 2", name, calls)
		}
		cancel()
	}
}

// syntheticClasses is a seeded data set big enough to span several row
// blocks, so the parallel sums have more than one part.
func syntheticClasses(rows, cols, classes int) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(7, 11))
	X := mat.NewDense(rows, cols, nil)
	W := make([]float64, classes*cols)
	for i := range W {
		W[i] = rng.NormFloat64() / 2
	}
	y := make([]int, rows)
	for i := range rows {
		best := math.Inf(-1)
		for j := range cols {
			X.Set(i, j, rng.NormFloat64())
		}
		for c := range classes {
			s := rng.NormFloat64()
			for j := range cols {
				s += W[c*cols+j] * X.At(i, j)
			}
			if s > best {
				best, y[i] = s, c
			}
		}
	}
	return X, y
}

func TestFitLogisticBitIdentical(t *testing.T) {
	X, y := syntheticClasses(30000, 40, 3)
	if b := newBlocks(X); b.count() < 3 {
		t.Fatalf("%d row blocks, want several", b.count())
	}
	y2 := make([]int, len(y))
	for i, c := range y {
		y2[i] = min(c, 1)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tt := range []struct {
		name    string
		y       []int
		classes int
	}{{"binary", y2, 2}, {"multinomial", y, 3}} {
		t.Run(tt.name, func(t *testing.T) {
			var fits []*LinearFit
			for _, procs := range []int{1, 3, 1} {
				runtime.GOMAXPROCS(procs)
				fit, err := FitLogistic(context.Background(), X, tt.y, tt.classes, FitOptions{MaxIter: 30})
				if err != nil {
					t.Fatal(err)
				}
				fits = append(fits, fit)
			}
			for _, fit := range fits[1:] {
				if !sameBits(fit, fits[0]) {
					t.Errorf("fits differ:\n%+v\n%+v", fit, fits[0])
				}
			}
		})
	}
	runtime.GOMAXPROCS(1)
	a, err := FitLinear(context.Background(), X, syntheticTarget(X), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(3)
	b, err := FitLinear(context.Background(), X, syntheticTarget(X), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(a, b) {
		t.Errorf("linear fits differ:\n%+v\n%+v", a, b)
	}
}

// A matrix that is a view into a wider one (its stride longer than its
// rows) fits exactly as its copy does.
func TestFitMatrixView(t *testing.T) {
	X, y := syntheticClasses(20000, 41, 3)
	view := X.Slice(0, 20000, 1, 41).(*mat.Dense)
	dense := mat.DenseCopyOf(view)
	ctx := context.Background()
	for _, classes := range []int{3, 2} {
		labels := y
		if classes == 2 {
			labels = make([]int, len(y))
			for i, c := range y {
				labels[i] = min(c, 1)
			}
		}
		a, err := FitLogistic(ctx, view, labels, classes, FitOptions{MaxIter: 20})
		if err != nil {
			t.Fatal(err)
		}
		b, err := FitLogistic(ctx, dense, labels, classes, FitOptions{MaxIter: 20})
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(a, b) {
			t.Errorf("%d classes: the view's fit %+v differs from the copy's %+v", classes, a, b)
		}
	}
	a, err := FitLinear(ctx, view, syntheticTarget(dense), 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FitLinear(ctx, dense, syntheticTarget(dense), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(a, b) {
		t.Errorf("linear: the view's fit %+v differs from the copy's %+v", a, b)
	}
}

func syntheticTarget(X *mat.Dense) []float64 {
	n, p := X.Dims()
	y := make([]float64, n)
	for i := range n {
		for j := range p {
			y[i] += float64(j%5-2) * X.At(i, j)
		}
		y[i] += math.Sin(float64(i))
	}
	return y
}

func sameBits(a, b *LinearFit) bool {
	eq := func(x, y []float64) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	}
	if len(a.Coef) != len(b.Coef) || a.Iterations != b.Iterations || a.Converged != b.Converged ||
		!eq(a.Intercept, b.Intercept) || !eq(a.Loss, b.Loss) {
		return false
	}
	for c := range a.Coef {
		if !eq(a.Coef[c], b.Coef[c]) {
			return false
		}
	}
	return true
}

func TestFitErrors(t *testing.T) {
	X := mat.NewDense(4, 2, []float64{0, 1, 1, 0, 2, 1, 3, 3})
	withValue := func(i, j int, v float64) *mat.Dense {
		m := mat.DenseCopyOf(X)
		m.Set(i, j, v)
		return m
	}
	ctx := context.Background()
	logistic := []struct {
		name    string
		X       *mat.Dense
		y       []int
		classes int
		o       FitOptions
		want    string
	}{
		{"no rows", nil, nil, 2, FitOptions{}, "no training rows"},
		{"rows and labels", X, []int{0, 1, 0}, 2, FitOptions{}, "4 matrix rows but 3 labels"},
		{"class too big", X, []int{0, 1, 2, 0}, 2, FitOptions{}, "row 2 is class 2, outside 0..1"},
		{"negative class", X, []int{0, -1, 1, 0}, 2, FitOptions{}, "row 1 is class -1"},
		{"one class", X, []int{0, 0, 0, 0}, 1, FitOptions{}, "1 classes"},
		{"empty class", X, []int{0, 1, 0, 1}, 3, FitOptions{}, "class 2 of 3 has no rows"},
		{"NaN", withValue(2, 1, math.NaN()), []int{0, 1, 0, 1}, 2, FitOptions{}, "row 2, matrix column 1 is NaN"},
		{"Inf", withValue(3, 0, math.Inf(-1)), []int{0, 1, 0, 1}, 2, FitOptions{}, "row 3, matrix column 0 is -Inf"},
		{"negative C", X, []int{0, 1, 0, 1}, 2, FitOptions{C: -1}, "C is -1"},
		{"NaN tol", X, []int{0, 1, 0, 1}, 2, FitOptions{Tol: math.NaN()}, "tol is NaN"},
		{"negative max_iter", X, []int{0, 1, 0, 1}, 2, FitOptions{MaxIter: -3}, "max_iter is -3"},
	}
	for _, tt := range logistic {
		t.Run("logistic/"+tt.name, func(t *testing.T) {
			_, err := FitLogistic(ctx, tt.X, tt.y, tt.classes, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	linear := []struct {
		name  string
		X     *mat.Dense
		y     []float64
		alpha float64
		want  string
	}{
		{"rows and labels", X, []float64{1, 2}, 0, "4 matrix rows but 2 labels"},
		{"NaN in X", withValue(0, 0, math.NaN()), []float64{1, 2, 3, 4}, 0, "row 0, matrix column 0 is NaN"},
		{"Inf label", X, []float64{1, math.Inf(1), 3, 4}, 0, "label of row 1 is +Inf"},
		{"negative alpha", X, []float64{1, 2, 3, 4}, -1, "alpha is -1"},
	}
	for _, tt := range linear {
		t.Run("linear/"+tt.name, func(t *testing.T) {
			_, err := FitLinear(ctx, tt.X, tt.y, tt.alpha)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// Features that carry nothing leave the start, the classes' log-odds, as
// the optimum: no step is taken.
func TestFitLogisticOptimumAtStart(t *testing.T) {
	X := mat.NewDense(5, 2, nil)
	var calls int
	fit, err := FitLogistic(context.Background(), X, []int{1, 0, 1, 1, 0}, 2, FitOptions{Progress: func(int, float64) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if !fit.Converged || fit.Iterations != 0 || len(fit.Loss) != 1 || calls != 1 {
		t.Errorf("converged %v after %d iterations, loss %v, %d progress calls: want true, 0, one loss, 1 call",
			fit.Converged, fit.Iterations, fit.Loss, calls)
	}
	if want := math.Log(1.5); math.Abs(fit.Intercept[0]-want) > 1e-15 || fit.Coef[0][0] != 0 || fit.Coef[0][1] != 0 {
		t.Errorf("coef %v intercept %v, want zeros and %v", fit.Coef, fit.Intercept, want)
	}
}

// Separable classes without a penalty have no optimum: the fit ends (at
// MaxIter, or when the loss stops falling, as scipy's L-BFGS-B does) without
// an error or a panic, with a slope that separates them.
func TestFitLogisticSeparableUnpenalised(t *testing.T) {
	X := mat.NewDense(4, 1, []float64{0, 1, 2, 3})
	fit, err := FitLogistic(context.Background(), X, []int{0, 0, 1, 1}, 2, FitOptions{C: math.Inf(1), MaxIter: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !(fit.Coef[0][0] > 5) || !(fit.Coef[0][0]+fit.Intercept[0] < 0 && 2*fit.Coef[0][0]+fit.Intercept[0] > 0) {
		t.Errorf("coef %v, intercept %v: want a steep slope between 1 and 2", fit.Coef, fit.Intercept)
	}
}

// The losses' gradients and the binary Hessian agree with central finite
// differences of the loss at a point away from the optimum.
func TestLossDerivatives(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	point := func(d int) []float64 {
		x := make([]float64, d)
		for i := range x {
			x[i] = rng.NormFloat64() / 2
		}
		return x
	}
	check := func(name string, f func([]float64) float64, grad func(g, x []float64), x []float64) {
		t.Helper()
		got := make([]float64, len(x))
		grad(got, x)
		want := fd.Gradient(nil, f, x, &fd.Settings{Formula: fd.Central})
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-5*max(1, math.Abs(want[j])) {
				t.Errorf("%s: gradient[%d] = %v, finite differences %v", name, j, got[j], want[j])
			}
		}
	}
	bc := loadFixture(t, "breast_cancer")
	X := bc.matrix()
	_, p := X.Dims()
	bin := newBinaryLoss(ctx, X, bc.labels(), 1/0.5)
	x := point(p + 1)
	check("binary", bin.Func, bin.Grad, x)
	got := mat.NewSymDense(p+1, nil)
	bin.Hess(got, x)
	want := mat.NewSymDense(p+1, nil)
	fd.Hessian(want, bin.Func, x, &fd.Settings{Formula: fd.Central})
	for i := range p + 1 {
		for j := i; j <= p; j++ {
			if g, w := got.At(i, j), want.At(i, j); math.Abs(g-w) > 1e-3*max(1, math.Abs(w)) {
				t.Errorf("binary: Hessian[%d,%d] = %v, finite differences %v", i, j, g, w)
			}
		}
	}
	wine := loadFixture(t, "wine")
	X = wine.matrix()
	_, p = X.Dims()
	multi := newMultinomialLoss(ctx, X, wine.labels(), 3, 1/0.5)
	check("multinomial", multi.Func, multi.Grad, point(3*(p+1)))
}
