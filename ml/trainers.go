package ml

// The trainers: L2 logistic regression (binary and multinomial) optimised by
// gonum/optimize, and least squares (ordinary and ridge) solved with
// gonum/mat. They take the prepared matrix, not a Frame: feature preparation
// lives in Fit.

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// FitOptions tunes the optimisers. The zero value means scikit-learn's
// LogisticRegression defaults: C 1.0, MaxIter 100, Tol 1e-4.
type FitOptions struct {
	// C is the inverse L2 strength (scikit-learn's C); +Inf means none.
	C       float64
	MaxIter int
	// Tol stops the optimiser when the largest absolute component of the
	// loss's gradient is below it, as scikit-learn's tol for lbfgs (scipy's
	// gtol on the projected gradient of the summed loss).
	Tol float64
	// Progress, when set, is called after each iteration with the loss.
	// Iteration 0 is the starting point.
	Progress func(iter int, loss float64)
}

// LinearFit is a fitted linear model over a matrix: k score rows of p
// coefficients each, and k intercepts.
type LinearFit struct {
	Coef      [][]float64
	Intercept []float64
	// Iterations counts the optimiser's steps (1 for least squares).
	Iterations int
	// Converged is false when the optimiser stopped at MaxIter (or could
	// not make progress) before the gradient reached Tol: the caller should
	// warn, as scikit-learn's ConvergenceWarning does.
	Converged bool
	// Loss is the objective at the start and after each iteration (for
	// least squares, the objective at the solution).
	Loss []float64
}

// scipyFtol is scipy's default relative reduction of the loss under which
// L-BFGS-B stops (factr 1e7 times the machine epsilon); scikit-learn's lbfgs
// runs with it, so this trainer does too.
const scipyFtol = 1e7 * 2.220446049250313e-16

// newtonMaxParams is the largest number of parameters for which FitLogistic
// uses Newton's method: its Hessian costs rows x params² a step, against
// L-BFGS's rows x params, and it needs far fewer steps. (A variable so the
// tests can take the L-BFGS path.)
var newtonMaxParams = 64

// FitLogistic fits an L2 logistic regression of y (class indexes 0..classes-1)
// on X: binary (one coefficient row) for 2 classes, multinomial otherwise.
// The loss is the sum of the rows' log-losses plus ||W||²/(2C), the intercepts
// unpenalised, as scikit-learn's LogisticRegression. Binary models with few
// features use gonum's Newton method, the rest gonum's L-BFGS. Cancelling ctx
// stops the fit with ctx.Err(). The same inputs give bit-identical outputs.
func FitLogistic(ctx context.Context, X *mat.Dense, y []int, classes int, o FitOptions) (*LinearFit, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkMatrix(X, len(y)); err != nil {
		return nil, err
	}
	if classes < 2 {
		return nil, fmt.Errorf("ml: logistic: %d classes; a classifier needs at least 2", classes)
	}
	counts := make([]int, classes)
	for i, c := range y {
		if c < 0 || c >= classes {
			return nil, fmt.Errorf("ml: logistic: label of row %d is class %d, outside 0..%d", i, c, classes-1)
		}
		counts[c]++
	}
	for c, k := range counts {
		if k == 0 {
			return nil, fmt.Errorf("ml: logistic: class %d of %d has no rows; every class needs at least one training row", c, classes)
		}
	}
	invC := 1 / o.C // 0 for +Inf: no penalty
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	problem := optimize.Problem{
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	var method optimize.Method = &optimize.LBFGS{GradStopThreshold: o.Tol, Store: 10}
	var init []float64
	n, p := X.Dims()
	if classes == 2 {
		loss := newBinaryLoss(ctx, X, y, invC)
		problem.Func, problem.Grad = loss.Func, loss.Grad
		if p+1 <= newtonMaxParams {
			problem.Hess = loss.Hess
			method = &optimize.Newton{GradStopThreshold: o.Tol}
		}
		init = make([]float64, p+1)
		// The intercept starts at the log-odds, the optimum of the model
		// without features.
		init[p] = math.Log(float64(counts[1]) / float64(counts[0]))
	} else {
		loss := newMultinomialLoss(ctx, X, y, classes, invC)
		problem.Func, problem.Grad = loss.Func, loss.Grad
		init = make([]float64, classes*(p+1))
		// The intercepts start at the centred log priors, the optimum of the
		// model without features (on the subspace where they sum to zero,
		// which the optimiser's steps never leave).
		var mean float64
		for _, k := range counts {
			mean += math.Log(float64(k)/float64(n)) / float64(classes)
		}
		for c, k := range counts {
			init[classes*p+c] = math.Log(float64(k)/float64(n)) - mean
		}
	}

	ftol := min(scipyFtol, o.Tol*o.Tol)
	rec := &lossRecorder{progress: o.Progress}
	settings := &optimize.Settings{
		GradientThreshold: o.Tol,
		// The starting point counts as gonum's first major iteration.
		MajorIterations: o.MaxIter + 1,
		// scipy's test on the loss's relative reduction, which stops
		// scikit-learn's lbfgs as often as its gradient test does; no looser
		// than Tol², so a tight Tol reaches the optimum.
		Converger: &optimize.FunctionConverge{Relative: ftol, Absolute: ftol, Iterations: 1},
		Recorder:  rec,
	}
	res, err := optimize.Minimize(problem, init, settings, method)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if res == nil {
		return nil, fmt.Errorf("ml: logistic: %w", err)
	}
	converged := false
	switch {
	case err == nil:
		converged = res.Status == optimize.GradientThreshold || res.Status == optimize.FunctionConvergence
	case errors.Is(err, optimize.ErrNoProgress) || errors.Is(err, optimize.ErrLinesearcherFailure) ||
		errors.Is(err, optimize.ErrNonDescentDirection):
		// The line search cannot improve on the last point: converged if
		// the gradient there is small enough.
		converged = res.Gradient != nil && floats.Norm(res.Gradient, math.Inf(1)) <= o.Tol
	default:
		return nil, fmt.Errorf("ml: logistic: the optimiser failed: %w", err)
	}
	if math.IsNaN(res.F) || math.IsInf(res.F, 0) {
		return nil, fmt.Errorf("ml: logistic: the loss is %v; rescale the features (standardise them)", res.F)
	}
	rec.finish(res)

	fit := &LinearFit{Iterations: len(rec.loss) - 1, Converged: converged, Loss: rec.loss}
	k := 1
	if classes > 2 {
		k = classes
	}
	fit.Coef = make([][]float64, k)
	fit.Intercept = make([]float64, k)
	if classes == 2 {
		fit.Coef[0] = append([]float64(nil), res.X[:p]...)
		fit.Intercept[0] = res.X[p]
	} else {
		for c := range k {
			fit.Coef[c] = append([]float64(nil), res.X[c*p:(c+1)*p]...)
			fit.Intercept[c] = res.X[k*p+c]
		}
	}
	return fit, nil
}

// withDefaults fills the zero values of o and rejects bad ones.
func (o FitOptions) withDefaults() (FitOptions, error) {
	if o.C == 0 {
		o.C = 1
	}
	if o.MaxIter == 0 {
		o.MaxIter = 100
	}
	if o.Tol == 0 {
		o.Tol = 1e-4
	}
	switch {
	case math.IsNaN(o.C) || o.C < 0:
		return o, fmt.Errorf("ml: logistic: C is %v; it must be positive (+Inf for no penalty)", o.C)
	case o.MaxIter < 0:
		return o, fmt.Errorf("ml: logistic: max_iter is %d; it must be positive", o.MaxIter)
	case math.IsNaN(o.Tol) || o.Tol < 0:
		return o, fmt.Errorf("ml: logistic: tol is %v; it must be positive", o.Tol)
	}
	return o, nil
}

// lossRecorder keeps the loss at each of gonum's major iterations and passes
// it on to the progress callback.
type lossRecorder struct {
	progress func(iter int, loss float64)
	loss     []float64
}

func (r *lossRecorder) Init() error { return nil }

func (r *lossRecorder) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if op == optimize.MajorIteration {
		r.add(loc.F)
	}
	return nil
}

func (r *lossRecorder) add(f float64) {
	r.loss = append(r.loss, f)
	if r.progress != nil {
		r.progress(len(r.loss)-1, f)
	}
}

// finish records the last iteration: gonum does not pass the major iteration
// that ends the run to the Recorder.
func (r *lossRecorder) finish(res *optimize.Result) {
	if len(r.loss) < res.MajorIterations {
		r.add(res.F)
	}
}

// checkMatrix rejects an empty X, a row count that differs from the labels',
// and NaN or Inf values.
func checkMatrix(X *mat.Dense, labels int) error {
	if X == nil || X.IsEmpty() {
		return errors.New("ml: no training rows")
	}
	n, p := X.Dims()
	if n != labels {
		return fmt.Errorf("ml: %d matrix rows but %d labels; give one label per row", n, labels)
	}
	raw := X.RawMatrix()
	for i := range n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+p]
		// A sum is finite when every term is: scan only the rows whose sum
		// is not.
		if s := floats.Sum(row); math.IsNaN(s) || math.IsInf(s, 0) {
			for j, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("ml: row %d, matrix column %d is %v; impute or drop it before training", i, j, v)
				}
			}
		}
	}
	return nil
}
