package ml

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// blocks splits a matrix's rows into fixed blocks of fixed chunks, so sums
// over rows can run in parallel and still come out bit-identical: each block
// sums its chunks in order, and the blocks' sums are added in block order,
// whatever the number of goroutines and however they are scheduled.
type blocks struct {
	x     blas64.General
	rows  int
	chunk int // rows per chunk: a chunk of the matrix stays in cache
	block int // rows per block: the unit of parallel work
}

// newBlocks partitions X's rows. The sizes depend on the matrix's shape
// only.
func newBlocks(X *mat.Dense) blocks {
	n, p := X.Dims()
	chunk := max(64, (32<<10)/max(p, 1)) // about 256 KB of float64s
	return blocks{x: X.RawMatrix(), rows: n, chunk: chunk, block: 8 * chunk}
}

// count is the number of blocks.
func (b blocks) count() int { return (b.rows + b.block - 1) / b.block }

// chunks calls fn for each chunk of block i in order, with its first row
// and its rows of the matrix.
func (b blocks) chunks(i int, fn func(lo int, xc blas64.General)) {
	end := min((i+1)*b.block, b.rows)
	for lo := i * b.block; lo < end; lo += b.chunk {
		hi := min(lo+b.chunk, end)
		xc := b.x
		xc.Rows = hi - lo
		xc.Data = b.x.Data[lo*b.x.Stride : (hi-1)*b.x.Stride+b.x.Cols]
		fn(lo, xc)
	}
}

// each calls fn(worker, block) once for every block, on up to GOMAXPROCS
// goroutines; worker (0..workers-1) indexes per-goroutine scratch space. It
// stops starting blocks once ctx is cancelled and returns ctx.Err().
func (b blocks) each(ctx context.Context, workers int, fn func(worker, block int)) error {
	n := b.count()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// workers is how many goroutines sum over rows.
func workers() int { return runtime.GOMAXPROCS(0) }
