package ml

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// benchFrame is rows x cols numeric features (1% NULL in the first) and a
// binary label.
func benchFrame(rows, cols int) *Frame {
	rng := rand.New(rand.NewPCG(1, 2))
	f := &Frame{Rows: rows}
	label := Column{Name: "y", Type: "BOOLEAN", Kind: Boolean, Num: make([]float64, rows)}
	score := make([]float64, rows)
	for j := range cols {
		c := Column{Name: "x" + strconv.Itoa(j), Type: "DOUBLE", Kind: Numeric, Num: make([]float64, rows)}
		for i := range rows {
			c.Num[i] = rng.NormFloat64()*float64(j+1) + float64(j)
			score[i] += c.Num[i] / float64(j+1) * float64(j%3-1)
		}
		if j == 0 {
			c.Null = make([]bool, rows)
			for i := 0; i < rows; i += 100 {
				c.Null[i] = true
			}
		}
		f.Columns = append(f.Columns, c)
	}
	for i := range rows {
		if score[i]+rng.NormFloat64() > 0 {
			label.Num[i] = 1
		}
	}
	f.Columns = append(f.Columns, label)
	return f
}

// BenchmarkFitOverhead measures Fit end to end (checks, split, preparation,
// fit, evaluation) against the trainer alone on the prepared training matrix,
// in the same run: fit_ratio is the median of Fit's time over the trainer's.
func BenchmarkFitOverhead(b *testing.B) {
	f := benchFrame(200_000, 20)
	spec := Spec{Label: "y", Seed: 1}
	ctx := context.Background()
	s, tgt, features, err := setup(f, spec)
	if err != nil {
		b.Fatal(err)
	}
	rows := tgt.labelledRows(f.Rows)
	train, _, err := splitRows(rows, tgt.classOfRows(rows), tgt.classes, s.TestSize, s.Seed)
	if err != nil {
		b.Fatal(err)
	}
	prep, err := fitPrep(f, features, train, 0)
	if err != nil {
		b.Fatal(err)
	}
	X, err := prep.matrix(f, train)
	if err != nil {
		b.Fatal(err)
	}
	y := tgt.classOfRows(train)
	var ratios []float64
	for b.Loop() {
		t0 := time.Now()
		if _, err := FitLogistic(ctx, X, y, 2, FitOptions{C: 1, MaxIter: 100, Tol: 1e-4}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := Fit(ctx, f, spec, nil); err != nil {
			b.Fatal(err)
		}
		ratios = append(ratios, float64(time.Since(t1))/float64(t1.Sub(t0)))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "fit_ratio")
}
