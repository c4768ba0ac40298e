package chart

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Point is one (x, y) value of a series.
type Point struct{ X, Y float64 }

// Series is one line of a line chart.
type Series struct {
	// Name labels the line in the legend; unnamed lines have none.
	Name   string
	Points []Point
	// Marker, when set, draws the line as this rune every few cells
	// (a dotted reference line, say) rather than as a braille curve, so
	// two lines tell apart without color.
	Marker rune
}

// Line is a line chart: axes with values, one or more series, and a legend
// when the series have names.
type Line struct {
	styles Styles
	width  int
	height int
	series []Series
	// the fixed range, when fixed is set; else the data's
	fixed                  bool
	minX, maxX, minY, maxY float64
	// XFormat and YFormat write the axes' values; Number when nil.
	XFormat func(float64) string
	YFormat func(float64) string
	// Empty is what an empty chart says.
	Empty string
}

// NewLine returns an empty line chart.
func NewLine(st Styles) *Line { return &Line{styles: st, Empty: "no data"} }

// SetSize sets the cells View fills.
func (c *Line) SetSize(width, height int) { c.width, c.height = max(0, width), max(0, height) }

// SetSeries replaces the lines.
func (c *Line) SetSeries(s ...Series) { c.series = s }

// SetRange fixes the axes' ranges (a ROC curve is 0..1 both ways); without
// it the chart spans its data.
func (c *Line) SetRange(minX, maxX, minY, maxY float64) {
	c.fixed, c.minX, c.maxX, c.minY, c.maxY = true, minX, maxX, minY, maxY
}

// ranges are the axes' ranges: fixed, else the data's, never empty.
func (c *Line) ranges() (minX, maxX, minY, maxY float64, ok bool) {
	if c.fixed {
		return c.minX, c.maxX, c.minY, c.maxY, true
	}
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for _, s := range c.series {
		for _, p := range s.Points {
			if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
				continue
			}
			minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
			minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
			ok = true
		}
	}
	if !ok {
		return 0, 1, 0, 1, false
	}
	if maxX == minX {
		maxX = minX + 1
	}
	if maxY == minY {
		// A flat line sits in the middle of a small band.
		d := math.Max(math.Abs(minY)*0.1, 1e-3)
		minY, maxY = minY-d, maxY+d
	}
	return minX, maxX, minY, maxY, true
}

// View draws the chart in exactly the size set: ticks on round values
// (1, 2 or 5 × 10^k), the y axis widened to the ticks around the data
// unless SetRange fixed it; a series of more points than the chart has
// columns draws as the lowest and highest of each column (Downsample).
func (c *Line) View() string {
	w, h := c.width, c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	minX, maxX, minY, maxY, ok := c.ranges()
	if !ok {
		return block([]string{c.styles.Muted.Render(c.Empty)}, w, h)
	}
	var legend string
	if h >= 6 {
		legend = c.legend(w)
	}
	ch := h
	if legend != "" {
		ch--
	}
	xi, yi := c.integers()
	p, ok := layout(w, ch,
		axisOptions{lo: minX, hi: maxX, fixed: true, integer: xi, format: formatter(c.XFormat)},
		axisOptions{lo: minY, hi: maxY, fixed: c.fixed, integer: yi, format: formatter(c.YFormat)})
	if !ok {
		return block([]string{c.styles.Muted.Render("too small")}, w, h)
	}
	pc := newPlotCanvas(p)
	for i, s := range c.series {
		if s.Marker != 0 {
			continue // drawn over the braille lines, below
		}
		pts := clean(s.Points)
		if len(pts) > 8*p.gw {
			pts = Downsample(sortedByX(pts), 2*p.gw)
		}
		pc.line(pts, c.styles.series(i))
	}
	for i, s := range c.series {
		if s.Marker != 0 {
			pc.marks(clean(s.Points), s.Marker, c.styles.series(i))
		}
	}
	lines := p.frame(c.styles, pc.rows())
	if legend != "" {
		lines = append(lines, legend)
	}
	return block(lines, w, h)
}

// integers reports whether every x, and every y, is a whole number (the
// axis then counts: no step below 1).
func (c *Line) integers() (x, y bool) {
	x, y = true, true
	for _, s := range c.series {
		for _, p := range s.Points {
			if finite(p.X) && finite(p.Y) {
				x = x && p.X == math.Trunc(p.X)
				y = y && p.Y == math.Trunc(p.Y)
			}
		}
	}
	return x, y
}

// formatter adapts a chart's value format to an axis's; nil stays nil
// (TickLabel).
func formatter(f func(float64) string) func(v, step float64) string {
	if f == nil {
		return nil
	}
	return func(v, _ float64) string { return f(v) }
}

// sortedByX returns the points ordered by X (a copy when they are not).
func sortedByX(pts []Point) []Point {
	byX := func(a, b Point) int { return cmp.Compare(a.X, b.X) }
	if slices.IsSortedFunc(pts, byX) {
		return pts
	}
	out := slices.Clone(pts)
	slices.SortStableFunc(out, byX)
	return out
}

// legend is one line naming the series with their marks, or "".
func (c *Line) legend(width int) string {
	var parts []string
	for i, s := range c.series {
		if s.Name == "" {
			continue
		}
		mark := "⣿"
		if s.Marker != 0 {
			mark = string(s.Marker)
		}
		parts = append(parts, c.styles.series(i).Render(mark)+" "+c.styles.Label.Render(s.Name))
	}
	if len(parts) == 0 {
		return ""
	}
	return fit(strings.Join(parts, "  "), width)
}

// clean drops points that cannot be drawn (NaN, Inf).
func clean(pts []Point) []Point {
	out := make([]Point, 0, len(pts))
	for _, p := range pts {
		if !math.IsNaN(p.X) && !math.IsNaN(p.Y) && !math.IsInf(p.X, 0) && !math.IsInf(p.Y, 0) {
			out = append(out, p)
		}
	}
	return out
}
