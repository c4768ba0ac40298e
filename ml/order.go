package ml

import (
	"cmp"
	"math"
	"slices"

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

// hashColumn mixes column c, the k-th hashed, into every row's hash.
func (keys orderKeys) hashColumn(k int, c *Column) {
	salt := salt(k)
	for i := range keys {
		var v uint64
		switch {
		case c.IsNull(i):
			v = 0x6e756c6c // a NULL hashes alike in every row, apart from any value
		case c.Kind == Text:
			v = xxh3.HashString(c.Text[i]) ^ 1
		default:
			v = numberBits(c.Num[i])
		}
		keys[i].h = mix(keys[i].h ^ mix(v^salt))
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
	for i := range keys {
		h := keys[i].h
		for j, x := range data[i*p : (i+1)*p] {
			h = mix(h ^ mix(numberBits(x)^salts[j]))
		}
		keys[i].h = h
	}
}

// order sorts the rows by hash (ties by row) and returns them, or nil when
// they are in that order already.
func (keys orderKeys) order() []int {
	slices.SortFunc(keys, func(a, b orderKey) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
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

// mix is SplitMix64's finaliser: every input bit moves every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
