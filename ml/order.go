package ml

import (
	"cmp"
	"math"
	"slices"

	"github.com/zeebo/xxh3"
)

// canonicalOrder puts f's rows in an order set by their values in columns
// (the label and the features), not by where the table stored them: rows
// sorted by a 64-bit hash of those values. A table rebuilt with the same rows
// in another physical order (a parallel CREATE TABLE AS keeps none) then
// trains to the same bytes, since the seeded split sees the same sequence.
// Rows equal in those columns are interchangeable for training; two unequal
// rows share a hash with a chance of about n²/2⁶⁵. It reports whether any
// row moved; every column of f moves alike.
func canonicalOrder(f *Frame, columns []string) bool {
	h := make([]uint64, f.Rows)
	for k, name := range columns {
		c := f.Column(name)
		if c == nil {
			continue
		}
		salt := mix(uint64(k) + 0x9e3779b97f4a7c15)
		for i := range h {
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
			h[i] = mix(h[i] ^ mix(v^salt))
		}
	}
	type key struct {
		h   uint64
		row int
	}
	keys := make([]key, f.Rows)
	for i := range keys {
		keys[i] = key{h[i], i}
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
		return false
	}
	for ci := range f.Columns {
		c := &f.Columns[ci]
		c.Num = permute(c.Num, keys, func(k key) int { return k.row })
		c.Text = permute(c.Text, keys, func(k key) int { return k.row })
		c.Null = permute(c.Null, keys, func(k key) int { return k.row })
	}
	return true
}

// permute returns s with its elements in the order of keys (nil stays nil).
func permute[T, K any](s []T, keys []K, row func(K) int) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, k := range keys {
		out[i] = s[row(k)]
	}
	return out
}

// mix is SplitMix64's finaliser: every input bit moves every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
