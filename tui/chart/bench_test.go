package chart

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/linechart"
	"github.com/lakebench/lakebench/lakehouse"
)

// BenchmarkDraw draws 1,000 rows as a line, a scatter and bars at 160x48
// (a large panel), and reports each against the reference of the same
// run: ntcharts' linechart drawing the same line, its axes and View, as
// this package's Line did before: a braille grid the size of the chart per
// segment (x-linechart, medians of the rounds).
func BenchmarkDraw(b *testing.B) {
	cols := []lakehouse.Column{{Name: "x", Type: "DOUBLE"}, {Name: "y", Type: "DOUBLE"}, {Name: "k", Type: "VARCHAR"}}
	rows := make([][]any, 1_000)
	pts := make([]canvas.Float64Point, len(rows))
	for i := range rows {
		y := math.Sin(float64(i) / 300)
		rows[i] = []any{float64(i), y, string(rune('a' + i%26))}
		pts[i] = canvas.Float64Point{X: float64(i), Y: y}
	}
	reference := func() {
		lc := linechart.New(160, 47, 0, float64(len(pts)-1), -1, 1, linechart.WithXYSteps(8, 3))
		lc.DrawXYAxisAndLabel()
		for j := 1; j < len(pts); j++ {
			lc.DrawBrailleLine(pts[j-1], pts[j])
		}
		_ = lc.View()
	}
	for _, tc := range []struct {
		name string
		spec Spec
	}{{"line", Spec{Kind: KindLine, X: 0, Y: 1}}, {"scatter", Spec{Kind: KindScatter, X: 0, Y: 1}}, {"bar", Spec{Kind: KindBar, X: 2, Y: 1}}} {
		b.Run(tc.name, func(b *testing.B) {
			var ours, ref []float64
			for b.Loop() {
				t0 := time.Now()
				Draw(tc.spec, cols, rows, 160, 48)
				t1 := time.Now()
				reference()
				ours, ref = append(ours, float64(t1.Sub(t0))), append(ref, float64(time.Since(t1)))
			}
			b.ReportMetric(median(ours)/median(ref), "x-linechart")
		})
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
