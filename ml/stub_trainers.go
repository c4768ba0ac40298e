package ml

// Contract for the trainers (helper "ml-trainers" replaces this file with the
// real code and deletes it). Signatures are fixed; bodies are not built yet.

import (
	"context"
	"errors"

	"gonum.org/v1/gonum/mat"
)

// FitOptions tunes the optimisers.
type FitOptions struct {
	// C is the inverse L2 strength (scikit-learn's C); +Inf means none.
	C       float64
	MaxIter int
	Tol     float64
	// Progress, when set, is called after each iteration with the loss.
	Progress func(iter int, loss float64)
}

// LinearFit is a fitted linear model over a matrix: k score rows of p
// coefficients each, and k intercepts.
type LinearFit struct {
	Coef       [][]float64
	Intercept  []float64
	Iterations int
	Converged  bool
	Loss       []float64
}

var errNotBuilt = errors.New("ml: not built yet")

// FitLogistic fits an L2 logistic regression of y (class indexes 0..classes-1)
// on X: binary (one coefficient row) for 2 classes, multinomial otherwise.
func FitLogistic(ctx context.Context, X *mat.Dense, y []int, classes int, o FitOptions) (*LinearFit, error) {
	return nil, errNotBuilt
}

// FitLinear fits least squares of y on X, with an L2 penalty alpha on the
// coefficients (ridge; 0 is ordinary least squares), intercept unpenalised.
func FitLinear(ctx context.Context, X *mat.Dense, y []float64, alpha float64) (*LinearFit, error) {
	return nil, errNotBuilt
}
