package ml

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/zeebo/xxh3"
)

// canonicalOrder returns an order of f's rows set by their values in columns
// (the label and the features), not by where the table stored them: the
// frame rows sorted by a 64-bit hash of those values, order[i] being the
// frame row at position i. A table rebuilt with the same rows in another
// physical order (a parallel CREATE TABLE AS keeps none) then trains to the
// same bytes, since the seeded split sees the same sequence. Rows equal in
// those columns are interchangeable for training; two unequal rows share a
// hash with a chance of about n²/2⁶⁵. It returns nil when the rows are in
// that order already. The frame is not moved: the split, the folds and the
// matrices read its rows through order (a copy of every column would cost
// as much memory as the frame).
func canonicalOrder(f *Frame, columns []string) []int {
	keys := newOrderKeys(f.Rows)
	for k, name := range columns {
		if c := f.Column(name); c != nil {
			keys.hashColumn(k, c)
		}
	}
	return keys.order()
}

// orderKeys are the rows' hashes, each beside its row.
type orderKeys []orderKey

type orderKey struct {
	h   uint64
	row int
}

func newOrderKeys(rows int) orderKeys {
	keys := make(orderKeys, rows)
	for i := range keys {
		keys[i].row = i
	}
	return keys
}

// salt is the k-th hashed column's salt.
func salt(k int) uint64 { return mix(uint64(k) + 0x9e3779b97f4a7c15) }

// numberBits is what a number hashes as: -0 and +0 are one value.
func numberBits(x float64) uint64 {
	if x == 0 {
		x = 0
	}
	return math.Float64bits(x) ^ 2
}

// inParallel runs fn on ranges of the keys' rows, shared among the cores:
// each row's hash depends on its row alone.
func (keys orderKeys) inParallel(fn func(lo, hi int)) {
	const chunk = 1 << 14
	chunks := (len(keys) + chunk - 1) / chunk
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), chunks) {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				fn(c*chunk, min((c+1)*chunk, len(keys)))
			}
		})
	}
	wg.Wait()
}

// hashColumn mixes column c, the k-th hashed, into every row's hash.
func (keys orderKeys) hashColumn(k int, c *Column) {
	keys.inParallel(func(lo, hi int) { keys[lo:hi].hashColumnRows(lo, k, c) })
}

// hashColumnRows is hashColumn of the rows from lo on that keys hold.
func (keys orderKeys) hashColumnRows(lo, k int, c *Column) {
	salt := salt(k)
	for n := range keys {
		i := lo + n
		var v uint64
		switch {
		case c.IsNull(i):
			v = 0x6e756c6c // a NULL hashes alike in every row, apart from any value
		case c.Kind == Text:
			v = xxh3.HashString(c.Text[i]) ^ 1
		default:
			v = numberBits(c.Num[i])
		}
		keys[n].h = mix(keys[n].h ^ mix(v^salt))
	}
}

// hashMatrix mixes the columns of a row-major matrix of width p, with no
// NULL, into every row's hash as the hashed columns k0, k0+1, ...: the
// same hashes as hashColumn of each column in turn, a row at a time.
func (keys orderKeys) hashMatrix(k0 int, data []float64, p int) {
	salts := make([]uint64, p)
	for j := range salts {
		salts[j] = salt(k0 + j)
	}
	keys.inParallel(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			h := keys[i].h
			for j, x := range data[i*p : (i+1)*p] {
				h = mix(h ^ mix(numberBits(x)^salts[j]))
			}
			keys[i].h = h
		}
	})
}

// order sorts the rows by hash (ties by row) and returns them, or nil when
// they are in that order already.
func (keys orderKeys) order() []int {
	keys.sort()
	moved := false
	for i, k := range keys {
		if k.row != i {
			moved = true
			break
		}
	}
	if !moved {
		return nil
	}
	order := make([]int, len(keys))
	for i, k := range keys {
		order[i] = k.row
	}
	return order
}

// sort orders the keys by hash, ties by row, as a sort comparing (h, row)
// would: a least-significant-digit radix sort of the hash, a byte at a
// time, which is stable, and the keys come in row order. Linear in the
// rows, whatever the hashes (equal rows share theirs).
func (keys orderKeys) sort() {
	if len(keys) < 2 {
		return
	}
	var counts [8][256]int
	for _, k := range keys {
		for d := range 8 {
			counts[d][byte(k.h>>(8*d))]++
		}
	}
	src, dst := keys, make(orderKeys, len(keys))
	for d := range 8 {
		c := &counts[d]
		if c[byte(src[0].h>>(8*d))] == len(src) {
			continue // every key has this digit
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		for _, k := range src {
			b := byte(k.h >> (8 * d))
			dst[c[b]] = k
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

// mix is SplitMix64's finaliser: every input bit moves every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
