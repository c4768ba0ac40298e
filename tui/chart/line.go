package chart

import (
	"math"
	"strings"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/linechart"
	"github.com/charmbracelet/lipgloss"
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

// View draws the chart in exactly the size set.
func (c *Line) View() string {
	w, h := c.width, c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	minX, maxX, minY, maxY, ok := c.ranges()
	if !ok || w < 12 || h < 4 {
		msg := c.Empty
		if ok {
			msg = "too small"
		}
		return block([]string{c.styles.Muted.Render(msg)}, w, h)
	}
	var legend string
	if h >= 6 {
		legend = c.legend(w)
	}
	ch := h
	if legend != "" {
		ch--
	}
	xf, yf := c.XFormat, c.YFormat
	if xf == nil {
		xf = Number
	}
	if yf == nil {
		yf = Number
	}
	// Y values every other row on tall charts, X values a label's width
	// apart.
	yStep := 2
	if ch >= 12 {
		yStep = 3
	}
	xStep := max(4, len(xf(maxX))+2)
	lc := linechart.New(w, ch, minX, maxX, minY, maxY,
		linechart.WithXYSteps(xStep, yStep),
		linechart.WithStyles(c.styles.Axis, c.styles.Label, c.styles.series(0)),
		linechart.WithXLabelFormatter(func(_ int, v float64) string { return xf(v) }),
		linechart.WithYLabelFormatter(func(_ int, v float64) string { return yf(v) }),
	)
	lc.DrawXYAxisAndLabel()
	for i, s := range c.series {
		st := c.styles.series(i)
		pts := clean(s.Points)
		if s.Marker != 0 {
			c.dots(&lc, pts, s.Marker, st)
			continue
		}
		if len(pts) == 1 {
			lc.DrawBrailleLineWithStyle(toCanvas(pts[0]), toCanvas(pts[0]), st)
		}
		for j := 1; j < len(pts); j++ {
			lc.DrawBrailleLineWithStyle(toCanvas(pts[j-1]), toCanvas(pts[j]), st)
		}
	}
	out := lc.View()
	if legend != "" {
		out += "\n" + legend
	}
	return block(strings.Split(out, "\n"), w, h)
}

// dots draws a series as its marker about every other cell along each
// segment.
func (c *Line) dots(lc *linechart.Model, pts []Point, r rune, st lipgloss.Style) {
	gw, gh := float64(max(1, lc.GraphWidth())), float64(max(1, lc.GraphHeight()))
	dx, dy := lc.ViewMaxX()-lc.ViewMinX(), lc.ViewMaxY()-lc.ViewMinY()
	for j := 1; j < len(pts); j++ {
		a, b := pts[j-1], pts[j]
		cells := math.Max(math.Abs(b.X-a.X)/dx*gw, math.Abs(b.Y-a.Y)/dy*gh)
		n := max(1, int(cells/2))
		for k := 0; k <= n; k++ {
			t := float64(k) / float64(n)
			lc.DrawRuneWithStyle(canvas.Float64Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)}, r, st)
		}
	}
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

func toCanvas(p Point) canvas.Float64Point { return canvas.Float64Point{X: p.X, Y: p.Y} }
