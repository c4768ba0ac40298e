package ml

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// LogisticOptions tunes TrainLogistic. The zero value is usable.
type LogisticOptions struct {
	// L2 is the ridge penalty on the standardised coefficients (not the
	// intercept), scaled by the number of rows. 0 means no penalty.
	L2 float64
	// MaxIter bounds the Newton iterations; 0 means 50.
	MaxIter int
	// Tol stops training when the largest component of the mean log-loss's
	// gradient falls below it; 0 means 1e-8.
	Tol float64
}

// Logistic is a trained binary logistic regression. It standardises each
// feature with the training mean and standard deviation before applying the
// coefficients.
type Logistic struct {
	// Mean and Std are the per-feature training statistics used to
	// standardise inputs (a constant feature has Std 1).
	Mean, Std []float64
	// Coef holds one coefficient per standardised feature.
	Coef []float64
	// Intercept is the bias term on the standardised scale.
	Intercept float64
	// Iterations reports how many Newton steps training took.
	Iterations int
	// LogLoss is the mean negative log-likelihood on the training rows.
	LogLoss float64
}

// ErrOneClass is returned by TrainLogistic when the labels hold a single class.
var ErrOneClass = errors.New("ml: labels hold a single class")

// TrainLogistic fits a logistic regression of y (0 or 1) on the rows of X
// with an optional L2 penalty, standardising the features first so the
// penalty treats them alike. It is FitLogistic over [][]float64 rows, kept
// for the callers that predate it.
func TrainLogistic(X [][]float64, y []float64, opts LogisticOptions) (*Logistic, error) {
	n := len(X)
	if n == 0 {
		return nil, errors.New("ml: logistic: no rows")
	}
	if len(y) != n {
		return nil, fmt.Errorf("ml: logistic: %d rows but %d labels", n, len(y))
	}
	p := len(X[0])
	if p == 0 {
		return nil, errors.New("ml: logistic: no features")
	}
	var pos float64
	labels := make([]int, n)
	for i, row := range X {
		if len(row) != p {
			return nil, fmt.Errorf("ml: logistic: row %d has %d features, want %d", i, len(row), p)
		}
		if y[i] != 0 && y[i] != 1 {
			return nil, fmt.Errorf("ml: logistic: label %d is %v, want 0 or 1", i, y[i])
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("ml: logistic: row %d feature %d is %v", i, j, v)
			}
		}
		pos += y[i]
		labels[i] = int(y[i])
	}
	if pos == 0 || pos == float64(n) {
		return nil, ErrOneClass
	}
	if opts.MaxIter <= 0 {
		opts.MaxIter = 50
	}
	if opts.Tol <= 0 {
		opts.Tol = 1e-8
	}
	if opts.L2 < 0 {
		return nil, fmt.Errorf("ml: logistic: negative L2 %v", opts.L2)
	}

	m := &Logistic{Mean: make([]float64, p), Std: make([]float64, p)}
	for j := 0; j < p; j++ {
		var s float64
		for i := range X {
			s += X[i][j]
		}
		mean := s / float64(n)
		var ss float64
		for i := range X {
			d := X[i][j] - mean
			ss += d * d
		}
		sd := math.Sqrt(ss / float64(n))
		if sd == 0 {
			sd = 1
		}
		m.Mean[j], m.Std[j] = mean, sd
	}
	Z := mat.NewDense(n, p, nil)
	for i, row := range X {
		for j, v := range row {
			Z.Set(i, j, (v-m.Mean[j])/m.Std[j])
		}
	}
	// The penalty L2·n/2·||β||² is FitLogistic's ||β||²/(2C).
	c := math.Inf(1)
	if opts.L2 > 0 {
		c = 1 / (opts.L2 * float64(n))
	}
	fit, err := FitLogistic(context.Background(), Z, labels, 2, FitOptions{
		C: c, MaxIter: opts.MaxIter, Tol: opts.Tol * float64(n),
	})
	if err != nil {
		return nil, err
	}
	m.Coef, m.Intercept, m.Iterations = fit.Coef[0], fit.Intercept[0], fit.Iterations
	var loss float64
	for i := 0; i < n; i++ {
		eta := m.Intercept + floats.Dot(Z.RawRowView(i), m.Coef)
		// log(1+e^eta) - y*eta, computed stably.
		loss += softplus(eta) - y[i]*eta
	}
	m.LogLoss = loss / float64(n)
	return m, nil
}

// Predict returns the probability of the positive class for one row of
// features, in the order used for training.
func (m *Logistic) Predict(x []float64) float64 {
	eta := m.Intercept
	for j, c := range m.Coef {
		eta += c * (x[j] - m.Mean[j]) / m.Std[j]
	}
	return sigmoid(eta)
}

// RawCoefficients returns the intercept and coefficients on the original
// (unstandardised) feature scale.
func (m *Logistic) RawCoefficients() (intercept float64, coef []float64) {
	coef = make([]float64, len(m.Coef))
	intercept = m.Intercept
	for j, c := range m.Coef {
		coef[j] = c / m.Std[j]
		intercept -= c * m.Mean[j] / m.Std[j]
	}
	return intercept, coef
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
