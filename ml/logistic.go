package ml

import (
	"errors"
	"fmt"
	"math"
)

// LogisticOptions tunes TrainLogistic. The zero value is usable.
type LogisticOptions struct {
	// L2 is the ridge penalty on the standardised coefficients (not the
	// intercept), scaled by the number of rows. 0 means no penalty.
	L2 float64
	// MaxIter bounds the Newton iterations; 0 means 50.
	MaxIter int
	// Tol stops training when the largest coefficient step falls below it;
	// 0 means 1e-8.
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

// TrainLogistic fits a logistic regression of y (0 or 1) on the rows of X by
// Newton's method (iteratively reweighted least squares) with an optional L2
// penalty. Features are standardised first, so the penalty treats them alike.
func TrainLogistic(X [][]float64, y []float64, opts LogisticOptions) (*Logistic, error) {
	n := len(X)
	if n == 0 {
		return nil, errors.New("ml: logistic: no rows")
	}
	if len(y) != n {
		return nil, fmt.Errorf("ml: logistic: %d rows but %d labels", n, len(y))
	}
	p := len(X[0])
	var pos float64
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

	m := &Logistic{Mean: make([]float64, p), Std: make([]float64, p), Coef: make([]float64, p)}
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
	// Z is the standardised design with a leading column of ones.
	k := p + 1
	z := make([]float64, n*k)
	for i := range X {
		z[i*k] = 1
		for j := 0; j < p; j++ {
			z[i*k+j+1] = (X[i][j] - m.Mean[j]) / m.Std[j]
		}
	}
	beta := make([]float64, k)
	beta[0] = math.Log(pos / (float64(n) - pos))
	lambda := opts.L2 * float64(n)
	grad := make([]float64, k)
	hess := make([]float64, k*k)
	for it := 1; it <= opts.MaxIter; it++ {
		clear(grad)
		clear(hess)
		for i := 0; i < n; i++ {
			row := z[i*k : i*k+k]
			var eta float64
			for j, v := range row {
				eta += v * beta[j]
			}
			mu := sigmoid(eta)
			w := mu * (1 - mu)
			if w < 1e-10 {
				w = 1e-10
			}
			r := y[i] - mu
			for a, va := range row {
				grad[a] += va * r
				wa := w * va
				for b := 0; b <= a; b++ {
					hess[a*k+b] += wa * row[b]
				}
			}
		}
		for a := 0; a < k; a++ {
			for b := 0; b < a; b++ {
				hess[b*k+a] = hess[a*k+b]
			}
		}
		for j := 1; j < k; j++ {
			grad[j] -= lambda * beta[j]
			hess[j*k+j] += lambda
		}
		step, err := solve(hess, grad, k)
		if err != nil {
			return nil, fmt.Errorf("ml: logistic: iteration %d: %w", it, err)
		}
		var maxStep float64
		for j := range beta {
			beta[j] += step[j]
			maxStep = math.Max(maxStep, math.Abs(step[j]))
		}
		m.Iterations = it
		if maxStep < opts.Tol {
			break
		}
	}
	m.Intercept = beta[0]
	copy(m.Coef, beta[1:])
	var loss float64
	for i := 0; i < n; i++ {
		row := z[i*k : i*k+k]
		var eta float64
		for j, v := range row {
			eta += v * beta[j]
		}
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

// solve solves the symmetric positive definite system A x = b (A is k×k, row
// major) by Gaussian elimination with partial pivoting. A and b are not kept.
func solve(a, b []float64, k int) ([]float64, error) {
	m := make([]float64, k*(k+1))
	for i := 0; i < k; i++ {
		copy(m[i*(k+1):], a[i*k:i*k+k])
		m[i*(k+1)+k] = b[i]
	}
	w := k + 1
	for c := 0; c < k; c++ {
		piv := c
		for r := c + 1; r < k; r++ {
			if math.Abs(m[r*w+c]) > math.Abs(m[piv*w+c]) {
				piv = r
			}
		}
		if math.Abs(m[piv*w+c]) < 1e-12 {
			return nil, errors.New("singular Hessian (perfectly collinear or separated features; add L2)")
		}
		if piv != c {
			for j := 0; j < w; j++ {
				m[c*w+j], m[piv*w+j] = m[piv*w+j], m[c*w+j]
			}
		}
		for r := c + 1; r < k; r++ {
			f := m[r*w+c] / m[c*w+c]
			if f == 0 {
				continue
			}
			for j := c; j < w; j++ {
				m[r*w+j] -= f * m[c*w+j]
			}
		}
	}
	x := make([]float64, k)
	for r := k - 1; r >= 0; r-- {
		s := m[r*w+k]
		for j := r + 1; j < k; j++ {
			s -= m[r*w+j] * x[j]
		}
		x[r] = s / m[r*w+r]
	}
	return x, nil
}
