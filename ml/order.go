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
	type key struct {
		h   uint64
		row int
	}
	keys := make([]key, f.Rows)
	for i := range keys {
		keys[i].row = i
	}
	for k, name := range columns {
		c := f.Column(name)
		if c == nil {
			continue
		}
		salt := mix(uint64(k) + 0x9e3779b97f4a7c15)
		for i := range keys {
			var v uint64
			switch {
			case c.IsNull(i):
				v = 0x6e756c6c // a NULL hashes alike in every row, apart from any value
			case c.Kind == Text:
				v = xxh3.HashString(c.Text[i]) ^ 1
			default:
				x := c.Num[i]
				if x == 0 {
					x = 0 // -0 and +0 are one value
				}
				v = math.Float64bits(x) ^ 2
			}
			keys[i].h = mix(keys[i].h ^ mix(v^salt))
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
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
