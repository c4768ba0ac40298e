package ml

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// FitLinear fits least squares of y on X, with an L2 penalty alpha on the
// coefficients (ridge; 0 is ordinary least squares), intercept unpenalised.
// It solves the normal equations of the centred data, (XcᵀXc + αI) w = Xcᵀyc,
// by Cholesky, as scikit-learn's Ridge does; when ordinary least squares has
// collinear features (a one-hot level that never occurs, levels that sum to
// the intercept) it returns the minimum-norm solution, as LinearRegression
// does. The loss reported is the residual sum of squares plus α||w||².
func FitLinear(ctx context.Context, X *mat.Dense, y []float64, alpha float64) (*LinearFit, error) {
	if err := checkMatrix(X, len(y)); err != nil {
		return nil, err
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("ml: linear: label of row %d is %v; drop or impute it before training", i, v)
		}
	}
	if math.IsNaN(alpha) || math.IsInf(alpha, 0) || alpha < 0 {
		return nil, fmt.Errorf("ml: linear: alpha is %v; it must be 0 (ordinary least squares) or positive", alpha)
	}
	n, p := X.Dims()
	bl := newBlocks(X)
	nb, nw := bl.count(), workers()

	// The column means and the label's mean, summed block by block.
	sums := make([][]float64, nb)
	ones := make([]float64, bl.chunk)
	floats.AddConst(1, ones)
	err := bl.each(ctx, nw, func(_, i int) {
		s := make([]float64, p+1)
		bl.chunks(i, func(lo int, xc blas64.General) {
			blas64.Gemv(blas.Trans, 1, xc, blas64.Vector{N: xc.Rows, Inc: 1, Data: ones[:xc.Rows]},
				1, blas64.Vector{N: p, Inc: 1, Data: s[:p]})
			s[p] += floats.Sum(y[lo : lo+xc.Rows])
		})
		sums[i] = s
	})
	if err != nil {
		return nil, err
	}
	mean := make([]float64, p+1)
	for _, s := range sums {
		floats.Add(mean, s)
	}
	floats.Scale(1/float64(n), mean)
	mu, ybar := mean[:p], mean[p]

	// The centred Gram matrix XcᵀXc, Xcᵀyc and ycᵀyc, from each chunk's
	// centred rows, transposed.
	gram := make([]*mat.SymDense, nb)
	xty := make([][]float64, nb)
	yty := make([]float64, nb)
	scratch := make([][]float64, nw)
	for w := range scratch {
		scratch[w] = make([]float64, (p+1)*bl.chunk)
	}
	err = bl.each(ctx, nw, func(worker, i int) {
		g, c := mat.NewSymDense(p, nil), make([]float64, p)
		buf := scratch[worker]
		var yy float64
		bl.chunks(i, func(lo int, xc blas64.General) {
			r := xc.Rows
			yc := buf[p*r : p*r+r]
			for k := range r {
				for j, v := range xc.Data[k*xc.Stride : k*xc.Stride+p] {
					buf[j*r+k] = v - mu[j]
				}
				yc[k] = y[lo+k] - ybar
			}
			bt := blas64.General{Rows: p, Cols: r, Stride: r, Data: buf[:p*r]}
			blas64.Syrk(blas.NoTrans, 1, bt, 1, g.RawSymmetric())
			blas64.Gemv(blas.NoTrans, 1, bt, blas64.Vector{N: r, Inc: 1, Data: yc}, 1, blas64.Vector{N: p, Inc: 1, Data: c})
			yy += floats.Dot(yc, yc)
		})
		gram[i], xty[i], yty[i] = g, c, yy
	})
	if err != nil {
		return nil, err
	}
	G := mat.NewSymDense(p, nil)
	c := make([]float64, p)
	var yy float64
	for i := range nb {
		G.AddSym(G, gram[i])
		floats.Add(c, xty[i])
		yy += yty[i]
	}

	w, err := solveNormal(G, c, alpha, n)
	if err != nil {
		return nil, err
	}
	// RSS = ycᵀyc - 2 wᵀc + wᵀGw.
	wv, cv := mat.NewVecDense(p, w), mat.NewVecDense(p, c)
	loss := yy - 2*mat.Dot(wv, cv) + mat.Inner(wv, G, wv) + alpha*mat.Dot(wv, wv)
	return &LinearFit{
		Coef:       [][]float64{w},
		Intercept:  []float64{ybar - floats.Dot(mu, w)},
		Iterations: 1,
		Converged:  true,
		Loss:       []float64{loss},
	}, nil
}

// solveNormal solves (G + αI) w = c by Cholesky. For α = 0 and a singular or
// nearly singular G it returns the minimum-norm solution from G's
// eigen-decomposition, dropping the directions whose eigenvalues are lost in
// rounding (as a least-squares solver drops small singular values).
func solveNormal(G *mat.SymDense, c []float64, alpha float64, n int) ([]float64, error) {
	p := G.SymmetricDim()
	A := mat.NewSymDense(p, nil)
	A.CopySym(G)
	for j := range p {
		A.SetSym(j, j, A.At(j, j)+alpha)
	}
	w, cv := mat.NewVecDense(p, nil), mat.NewVecDense(p, c)
	var chol mat.Cholesky
	pd := chol.Factorize(A)
	if alpha > 0 {
		if !pd {
			return nil, fmt.Errorf("ml: ridge: the penalised Gram matrix is not positive definite (alpha %v); check the features for huge values", alpha)
		}
		if err := chol.SolveVecTo(w, cv); err != nil {
			return nil, fmt.Errorf("ml: ridge: %w; rescale the features (standardise them) or raise alpha", err)
		}
		return w.RawVector().Data, nil
	}
	if pd && chol.Cond() < 1e10 {
		if err := chol.SolveVecTo(w, cv); err == nil {
			return w.RawVector().Data, nil
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(A, true) {
		return nil, fmt.Errorf("ml: linear: the eigen-decomposition of the Gram matrix failed; use ridge (alpha > 0)")
	}
	vals := eig.Values(nil)
	var V mat.Dense
	eig.VectorsTo(&V)
	top := floats.Max(vals)
	cut := top * float64(max(n, p)) * 2.220446049250313e-16
	// w = V diag(1/λ) Vᵀ c over the eigenvalues above the cut.
	proj := mat.NewVecDense(p, nil)
	proj.MulVec(V.T(), cv)
	for j, v := range vals {
		if v > cut {
			proj.SetVec(j, proj.AtVec(j)/v)
		} else {
			proj.SetVec(j, 0)
		}
	}
	w.MulVec(&V, proj)
	return w.RawVector().Data, nil
}
