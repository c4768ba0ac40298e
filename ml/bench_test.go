package ml

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// sklearnPython is Debian's python3, which has scikit-learn; the python3 on
// PATH may not.
const sklearnPython = "/usr/bin/python3"

// sklearnBench is what scripts/sklearn/bench_fit.py prints.
type sklearnBench struct {
	Rows          int       `json:"rows"`
	Cols          int       `json:"cols"`
	XPath         string    `json:"x_path"`
	YPath         string    `json:"y_path"`
	Seconds       []float64 `json:"seconds"`
	MedianSeconds float64   `json:"median_seconds"`
	NIter         int       `json:"n_iter"`
	Coef          []float64 `json:"coef"`
	Intercept     float64   `json:"intercept"`
}

// BenchmarkFitLogistic1M fits a binary logistic regression on 1M rows x 20
// numeric features in memory. scripts/sklearn/bench_fit.py writes the seeded
// data set and times scikit-learn's LogisticRegression(lbfgs).fit on it
// (median of 3) in the same run; the benchmark loads the same matrix and
// times FitLogistic with the same settings (C 1, tol 1e-4, max_iter 100).
// It reports ns/op for our fit, scikit-learn's median and the ratio of the
// medians, ours/sklearn (the target is at most 1.0), and how far our
// coefficients are from scikit-learn's.
func BenchmarkFitLogistic1M(b *testing.B) {
	if err := exec.Command(sklearnPython, "-c", "import sklearn").Run(); err != nil {
		b.Skipf("skipping: %s cannot import sklearn (%v); install Debian's python3-sklearn to compare with scikit-learn", sklearnPython, err)
	}
	dir := b.TempDir()
	var out, stderr bytes.Buffer
	cmd := exec.Command(sklearnPython, filepath.Join("..", "scripts", "sklearn", "bench_fit.py"), dir,
		"--rows", "1000000", "--cols", "20", "--repeats", "3")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("bench_fit.py: %v\n%s", err, stderr.Bytes())
	}
	var ref sklearnBench
	if err := json.Unmarshal(out.Bytes(), &ref); err != nil {
		b.Fatalf("bench_fit.py printed %q: %v", out.Bytes(), err)
	}
	X := mat.NewDense(ref.Rows, ref.Cols, readFloat64s(b, ref.XPath, ref.Rows*ref.Cols))
	yf := readFloat64s(b, ref.YPath, ref.Rows)
	y := make([]int, len(yf))
	for i, v := range yf {
		y[i] = int(v)
	}

	var times []time.Duration
	var fit *LinearFit
	for b.Loop() {
		start := time.Now()
		var err error
		fit, err = FitLogistic(context.Background(), X, y, 2, FitOptions{C: 1, MaxIter: 100, Tol: 1e-4})
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	ours := times[len(times)/2].Seconds()
	gap := math.Abs(fit.Intercept[0] - ref.Intercept)
	for j, c := range ref.Coef {
		gap = max(gap, math.Abs(fit.Coef[0][j]-c))
	}
	b.ReportMetric(ref.MedianSeconds*1e9, "sklearn-ns/fit")
	b.ReportMetric(ours/ref.MedianSeconds, "ours/sklearn")
	b.ReportMetric(float64(fit.Iterations), "iters")
	b.ReportMetric(float64(ref.NIter), "sklearn-iters")
	b.ReportMetric(gap, "coef-gap")
}

// readFloat64s reads n little-endian float64s from path.
func readFloat64s(b *testing.B, path string, n int) []float64 {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) != 8*n {
		b.Fatalf("%s has %d bytes, want %d float64s", path, len(raw), n)
	}
	v := make([]float64, n)
	if _, err := binary.Decode(raw, binary.LittleEndian, v); err != nil {
		b.Fatal(err)
	}
	return v
}
