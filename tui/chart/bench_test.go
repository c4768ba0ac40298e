package chart

import (
	"math"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// BenchmarkDraw draws a 10,000-point line, a scatter and bars at 160x48
// (a large panel), the work of one frame.
func BenchmarkDraw(b *testing.B) {
	cols := []lakehouse.Column{{Name: "x", Type: "DOUBLE"}, {Name: "y", Type: "DOUBLE"}, {Name: "k", Type: "VARCHAR"}}
	rows := make([][]any, 10_000)
	for i := range rows {
		rows[i] = []any{float64(i), math.Sin(float64(i) / 300), string(rune('a' + i%26))}
	}
	for _, spec := range []struct {
		name string
		spec Spec
	}{{"line", Spec{Kind: KindLine, X: 0, Y: 1}}, {"scatter", Spec{Kind: KindScatter, X: 0, Y: 1}}, {"bar", Spec{Kind: KindBar, X: 2, Y: 1}}} {
		b.Run(spec.name, func(b *testing.B) {
			for b.Loop() {
				Draw(spec.spec, cols, rows, 160, 48)
			}
		})
	}
}
