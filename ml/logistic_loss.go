package ml

import (
	"context"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// logPack is how many rows' loss terms share one Log.
const logPack = 16

// binaryLoss is the L2 binary logistic loss over the parameters
// [w_0 .. w_{p-1}, b]:
//
//	sum_i log(1 + exp(z_i)) - y_i z_i  +  ||w||² / (2C),  z = X w + b,
//
// with its gradient and Hessian. gonum asks for the loss, the gradient and
// the Hessian at a point one call at a time; one pass over the rows computes
// the loss and the gradient, and keeps each row's probability for the
// Hessian.
type binaryLoss struct {
	ctx     context.Context
	bl      blocks
	y       []float64 // 0 or 1
	p       int
	invC    float64
	workers int

	// The last evaluated point and its results.
	at    []float64
	valid bool
	loss  float64
	grad  []float64
	prob  []float64 // σ(z_i) per row
	resid []float64 // per row: z_i, then σ(z_i) - y_i

	blockLoss []float64
	blockGrad [][]float64
	blockHess []*mat.SymDense
	scratch   [][]float64 // per worker: a chunk's rows, transposed
}

func newBinaryLoss(ctx context.Context, X *mat.Dense, y []int, invC float64) *binaryLoss {
	n, p := X.Dims()
	bl := newBlocks(X)
	l := &binaryLoss{
		ctx: ctx, bl: bl, y: make([]float64, n), p: p, invC: invC, workers: workers(),
		at: make([]float64, p+1), grad: make([]float64, p+1),
		prob: make([]float64, n), resid: make([]float64, n),
		blockLoss: make([]float64, bl.count()),
		blockGrad: make([][]float64, bl.count()),
	}
	for i, c := range y {
		l.y[i] = float64(c)
	}
	for i := range l.blockGrad {
		l.blockGrad[i] = make([]float64, p+1)
	}
	return l
}

// eval computes the loss and the gradient at x, unless x is the last point.
func (l *binaryLoss) eval(x []float64) {
	if l.valid && floats.Equal(l.at, x) {
		return
	}
	p := l.p
	w := blas64.Vector{N: p, Inc: 1, Data: x[:p]}
	b := x[p]
	err := l.bl.each(l.ctx, l.workers, func(_, i int) {
		g := l.blockGrad[i]
		clear(g)
		gw := blas64.Vector{N: p, Inc: 1, Data: g[:p]}
		var loss, rsum float64
		l.bl.chunks(i, func(lo int, xc blas64.General) {
			z := l.resid[lo : lo+xc.Rows]
			y, prob := l.y[lo:lo+xc.Rows], l.prob[lo:lo+xc.Rows]
			zv := blas64.Vector{N: len(z), Inc: 1, Data: z}
			for k := range z {
				z[k] = b
			}
			blas64.Gemv(blas.NoTrans, 1, xc, w, 1, zv)
			// log(1+e^z) = max(z,0) + log(1+e) and σ(z) from one
			// e = exp(-|z|), stable both ways. The log of a product of
			// logPack factors 1+e (each in [1,2]) is one Log for logPack rows,
			// 1e-15 from the sum of their logs.
			prod := 1.0
			for k, zk := range z {
				e := math.Exp(-math.Abs(zk))
				loss += max(zk, 0) - y[k]*zk
				prod *= 1 + e
				if k%logPack == logPack-1 {
					loss += math.Log(prod)
					prod = 1
				}
				s := 1 / (1 + e)
				if zk < 0 {
					s = e / (1 + e)
				}
				prob[k] = s
				z[k] = s - y[k]
				rsum += z[k]
			}
			loss += math.Log(prod)
			blas64.Gemv(blas.Trans, 1, xc, zv, 1, gw)
		})
		g[p] = rsum
		l.blockLoss[i] = loss
	})
	if err != nil {
		// Cancelled: gonum's Status check stops the run after this call.
		l.valid = false
		l.loss = math.NaN()
		for j := range l.grad {
			l.grad[j] = math.NaN()
		}
		return
	}
	l.loss = 0
	clear(l.grad)
	for i, g := range l.blockGrad {
		l.loss += l.blockLoss[i]
		floats.Add(l.grad, g)
	}
	if l.invC != 0 {
		l.loss += l.invC / 2 * floats.Dot(x[:p], x[:p])
		floats.AddScaled(l.grad[:p], l.invC, x[:p])
	}
	copy(l.at, x)
	l.valid = true
}

// Func is the loss at x.
func (l *binaryLoss) Func(x []float64) float64 {
	l.eval(x)
	return l.loss
}

// Grad is the loss's gradient at x.
func (l *binaryLoss) Grad(grad, x []float64) {
	l.eval(x)
	copy(grad, l.grad)
}

// Hess is the loss's Hessian at x: [X 1]ᵀ D [X 1] with D = σ(1-σ) per row,
// plus I/C on the coefficients. Each chunk's rows, scaled by √D and
// transposed, go through a symmetric rank-k update.
func (l *binaryLoss) Hess(h *mat.SymDense, x []float64) {
	l.eval(x)
	p, d := l.p, l.p+1
	if l.blockHess == nil {
		l.blockHess = make([]*mat.SymDense, l.bl.count())
		for i := range l.blockHess {
			l.blockHess[i] = mat.NewSymDense(d, nil)
		}
		l.scratch = make([][]float64, l.workers)
		for w := range l.scratch {
			l.scratch[w] = make([]float64, d*l.bl.chunk)
		}
	}
	err := l.bl.each(l.ctx, l.workers, func(worker, i int) {
		hb := l.blockHess[i]
		hb.Zero()
		buf := l.scratch[worker]
		l.bl.chunks(i, func(lo int, xc blas64.General) {
			r := xc.Rows
			for k, pk := range l.prob[lo : lo+r] {
				s := math.Sqrt(pk * (1 - pk))
				for j, v := range xc.Data[k*xc.Stride : k*xc.Stride+p] {
					buf[j*r+k] = s * v
				}
				buf[p*r+k] = s
			}
			bt := blas64.General{Rows: d, Cols: r, Stride: r, Data: buf[:d*r]}
			blas64.Syrk(blas.NoTrans, 1, bt, 1, hb.RawSymmetric())
		})
	})
	h.Zero()
	if err != nil {
		return
	}
	for _, hb := range l.blockHess {
		h.AddSym(h, hb)
	}
	for j := range p {
		h.SetSym(j, j, h.At(j, j)+l.invC)
	}
}

// multinomialLoss is the L2 multinomial (softmax) logistic loss over the
// parameters [W (k x p, row-major), b (k)]:
//
//	sum_i logsumexp(z_i) - z_{i,y_i}  +  ||W||² / (2C),  z_i = W x_i + b.
type multinomialLoss struct {
	ctx     context.Context
	bl      blocks
	y       []int
	k, p    int
	invC    float64
	workers int

	at    []float64
	valid bool
	loss  float64
	grad  []float64

	blockLoss []float64
	blockGrad [][]float64
	scores    [][]float64 // per worker: a chunk's scores, then residuals
}

func newMultinomialLoss(ctx context.Context, X *mat.Dense, y []int, classes int, invC float64) *multinomialLoss {
	_, p := X.Dims()
	bl := newBlocks(X)
	d := classes * (p + 1)
	l := &multinomialLoss{
		ctx: ctx, bl: bl, y: y, k: classes, p: p, invC: invC, workers: workers(),
		at: make([]float64, d), grad: make([]float64, d),
		blockLoss: make([]float64, bl.count()),
		blockGrad: make([][]float64, bl.count()),
		scores:    make([][]float64, workers()),
	}
	for i := range l.blockGrad {
		l.blockGrad[i] = make([]float64, d)
	}
	for w := range l.scores {
		l.scores[w] = make([]float64, bl.chunk*classes)
	}
	return l
}

func (l *multinomialLoss) eval(x []float64) {
	if l.valid && floats.Equal(l.at, x) {
		return
	}
	k, p := l.k, l.p
	W, b := x[:k*p], x[k*p:]
	err := l.bl.each(l.ctx, l.workers, func(worker, i int) {
		g := l.blockGrad[i]
		clear(g)
		gW, gb := g[:k*p], g[k*p:]
		var loss float64
		l.bl.chunks(i, func(lo int, xc blas64.General) {
			r := xc.Rows
			S := l.scores[worker][:r*k] // r x k, row-major
			// A product per class (gonum's Gemm would split this thin
			// product across goroutines of its own, chunk by chunk).
			for c := range k {
				blas64.Gemv(blas.NoTrans, 1, xc, blas64.Vector{N: p, Inc: 1, Data: W[c*p : c*p+p]},
					0, blas64.Vector{N: r, Inc: k, Data: S[c:]})
			}
			// As in the binary loss, one Log for the product of logPack
			// rows' sums (each in [1, k]), or fewer if it grows large.
			prod := 1.0
			for row, c := range l.y[lo : lo+r] {
				s := S[row*k : row*k+k]
				floats.Add(s, b)
				m := floats.Max(s)
				zc := s[c]
				var sum float64
				for j, v := range s {
					e := math.Exp(v - m)
					s[j] = e
					sum += e
				}
				loss += m - zc
				prod *= sum
				if row%logPack == logPack-1 || prod > 1e200 {
					loss += math.Log(prod)
					prod = 1
				}
				floats.Scale(1/sum, s)
				s[c]--
				floats.Add(gb, s)
			}
			loss += math.Log(prod)
			for c := range k {
				blas64.Gemv(blas.Trans, 1, xc, blas64.Vector{N: r, Inc: k, Data: S[c:]},
					1, blas64.Vector{N: p, Inc: 1, Data: gW[c*p : c*p+p]})
			}
		})
		l.blockLoss[i] = loss
	})
	if err != nil {
		l.valid = false
		l.loss = math.NaN()
		for j := range l.grad {
			l.grad[j] = math.NaN()
		}
		return
	}
	l.loss = 0
	clear(l.grad)
	for i, g := range l.blockGrad {
		l.loss += l.blockLoss[i]
		floats.Add(l.grad, g)
	}
	if l.invC != 0 {
		l.loss += l.invC / 2 * floats.Dot(x[:k*p], x[:k*p])
		floats.AddScaled(l.grad[:k*p], l.invC, x[:k*p])
	}
	copy(l.at, x)
	l.valid = true
}

// Func is the loss at x.
func (l *multinomialLoss) Func(x []float64) float64 {
	l.eval(x)
	return l.loss
}

// Grad is the loss's gradient at x.
func (l *multinomialLoss) Grad(grad, x []float64) {
	l.eval(x)
	copy(grad, l.grad)
}
