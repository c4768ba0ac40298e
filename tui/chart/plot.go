package chart

import (
	"math"
	"strings"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/canvas/graph"
	"github.com/NimbleMarkets/ntcharts/canvas/runes"
	"github.com/charmbracelet/lipgloss"
)

// This file draws x-y charts: our own axes with nice ticks around a plot
// area drawn with ntcharts' canvas and braille grid (the parts its
// linechart and timeserieslinechart are built from). Their own axes put a
// label every n cells whatever the value there (0.0 0.1 0.3 …); ours put
// ticks on round values and the data where those ticks say.

// axis is one axis of an x-y plot: the range it spans and its ticks.
type axis struct {
	lo, hi float64
	ticks  []Tick
}

// axisOptions say how an axis chooses its range and ticks.
type axisOptions struct {
	lo, hi  float64
	fixed   bool // keep [lo, hi]; else widen it to nice ticks (y) or keep it tight (x)
	integer bool // values count things: no step below 1
	time    bool // Unix seconds: calendar ticks
	// format writes a tick; TickLabel when nil.
	format func(v, step float64) string
}

// plotArea is where the data goes once the axes are placed.
type plotArea struct {
	labelW int // the y labels' width; the y axis is the column after
	gw, gh int // the plot's cells
	x, y   axis
}

// layout places the axes in w x h cells (x axis and its labels in the
// last two rows) and reports false when the plot would be too small.
func layout(w, h int, xo, yo axisOptions) (plotArea, bool) {
	gh := h - 2
	if gh < 2 || w < 12 {
		return plotArea{}, false
	}
	// A y label every other row, every third on tall charts.
	per := 2
	if gh >= 12 {
		per = 3
	}
	yMax := min(11, max(2, (gh-1)/per+1))
	var y axis
	if yo.fixed {
		vals, step := NiceTicks(yo.lo, yo.hi, yMax, yo.integer)
		y = axis{lo: yo.lo, hi: yo.hi, ticks: labelled(vals, step, yo.format)}
	} else {
		lo, hi, vals, step := NiceRange(yo.lo, yo.hi, yMax, yo.integer)
		y = axis{lo: lo, hi: hi, ticks: labelled(vals, step, yo.format)}
		// Widening to the ticks around the data must not squeeze it into
		// two thirds of the height: then the axis spans the data, with
		// the ticks inside.
		if span := yo.hi - yo.lo; span > 0 && hi-lo > 1.5*span {
			if vals, step := NiceTicks(yo.lo, yo.hi, yMax, yo.integer); len(vals) >= 2 {
				y = axis{lo: yo.lo, hi: yo.hi, ticks: labelled(vals, step, yo.format)}
			}
		}
	}
	labelW := 1
	for _, t := range y.ticks {
		labelW = max(labelW, lipgloss.Width(t.Label))
	}
	labelW = min(labelW, w/3)
	gw := w - labelW - 1
	if gw < 4 {
		return plotArea{}, false
	}
	p := plotArea{labelW: labelW, gw: gw, gh: gh, y: y}
	p.x = axis{lo: xo.lo, hi: xo.hi}
	if p.x.lo == p.x.hi {
		p.x.lo, p.x.hi = p.x.lo-1, p.x.hi+1
		if xo.time {
			p.x.lo, p.x.hi = xo.lo-43200, xo.hi+43200
		}
	}
	// As many x ticks as their labels leave room for, a space apart.
	for n := max(2, gw/8+1); n >= 1; n-- {
		var ticks []Tick
		if xo.time {
			ticks = TimeTicks(p.x.lo, p.x.hi, n)
		} else {
			vals, step := NiceTicks(p.x.lo, p.x.hi, n, xo.integer)
			ticks = labelled(vals, step, xo.format)
		}
		if p.xLabelsFit(ticks) {
			p.x.ticks = ticks
			break
		}
	}
	return p, true
}

// labelled writes the ticks' labels, dropping one that reads like the one
// before (a formatter coarser than the step).
func labelled(vals []float64, step float64, format func(v, step float64) string) []Tick {
	if format == nil {
		format = TickLabel
	}
	ticks := make([]Tick, 0, len(vals))
	for _, v := range vals {
		l := format(v, step)
		if len(ticks) > 0 && ticks[len(ticks)-1].Label == l {
			continue
		}
		ticks = append(ticks, Tick{v, l})
	}
	return ticks
}

// col is the plot column of x value v, as the braille grid places it.
func (p plotArea) col(v float64) int {
	return dot(v, p.x.lo, p.x.hi, 2*p.gw) / 2
}

// row is the plot row (0 at the top) of y value v.
func (p plotArea) row(v float64) int {
	return p.gh - 1 - dot(v, p.y.lo, p.y.hi, 4*p.gh)/4
}

// dot maps v in [lo, hi] to one of n dots, clamped: 0 for lo, n-1 for hi.
func dot(v, lo, hi float64, n int) int {
	f := (v - lo) / (hi - lo)
	if math.IsNaN(f) {
		f = 0
	}
	f = math.Min(1, math.Max(0, f))
	return int(math.Round(f * float64(n-1)))
}

// xLabelsFit reports whether the ticks' labels fit under the axis, one
// space apart, centred on their ticks as far as the edges let them.
func (p plotArea) xLabelsFit(ticks []Tick) bool {
	_, ok := p.xLabelLine(ticks)
	return ok && len(ticks) > 0
}

// xLabelLine places the x labels; ok is false when two would touch.
func (p plotArea) xLabelLine(ticks []Tick) (string, bool) {
	w := p.labelW + 1 + p.gw
	line := []rune(strings.Repeat(" ", w))
	end := -1 // the last cell used
	for _, t := range ticks {
		l := []rune(t.Label)
		start := p.labelW + 1 + p.col(t.Value) - (len(l)-1)/2
		start = max(0, min(start, w-len(l)))
		if start <= end+1 && end >= 0 || start < 0 {
			return "", false
		}
		copy(line[start:], l)
		end = start + len(l) - 1
	}
	return string(line), true
}

// frame draws the axes around plot rows (gw cells wide each) and returns
// the chart's lines.
func (p plotArea) frame(st Styles, plot []string) []string {
	yTick := map[int]string{}
	for _, t := range p.y.ticks {
		if r := p.row(t.Value); r >= 0 && r < p.gh {
			if _, taken := yTick[r]; !taken {
				yTick[r] = t.Label
			}
		}
	}
	lines := make([]string, 0, p.gh+2)
	for r := 0; r < p.gh; r++ {
		label, mark := "", "│"
		if l, ok := yTick[r]; ok {
			label, mark = l, "┤"
		}
		row := ""
		if r < len(plot) {
			row = plot[r]
		}
		lines = append(lines, st.Label.Render(pad(label, p.labelW))+st.Axis.Render(mark)+fit(row, p.gw))
	}
	ax := []rune(strings.Repeat("─", p.gw))
	for _, t := range p.x.ticks {
		if c := p.col(t.Value); c >= 0 && c < p.gw {
			ax[c] = '┬'
		}
	}
	lines = append(lines, strings.Repeat(" ", p.labelW)+st.Axis.Render("└"+string(ax)))
	xl, _ := p.xLabelLine(p.x.ticks)
	return append(lines, st.Label.Render(xl))
}

// plotCanvas is the plot area being drawn: a rune and a style per cell,
// rendered a run of one style at a time (styling each cell on its own, as
// ntcharts' canvas View does, takes most of a frame on a large chart).
type plotCanvas struct {
	p      plotArea
	cells  [][]rune
	owner  [][]int8 // index into styles, -1 for none
	styles []lipgloss.Style
}

func newPlotCanvas(p plotArea) *plotCanvas {
	c := &plotCanvas{p: p, cells: make([][]rune, p.gh), owner: make([][]int8, p.gh)}
	for i := range c.cells {
		c.cells[i] = []rune(strings.Repeat(" ", p.gw))
		c.owner[i] = make([]int8, p.gw)
		for j := range c.owner[i] {
			c.owner[i][j] = -1
		}
	}
	return c
}

// style returns the index of st among the canvas's styles.
func (c *plotCanvas) style(st lipgloss.Style) int8 {
	c.styles = append(c.styles, st)
	return int8(min(len(c.styles)-1, 127))
}

// gridPoint is the braille dot of (x, y), clamped into the plot.
func (c *plotCanvas) gridPoint(x, y float64) canvas.Point {
	gx := dot(x, c.p.x.lo, c.p.x.hi, 2*c.p.gw)
	gy := dot(y, c.p.y.lo, c.p.y.hi, 4*c.p.gh)
	return canvas.Point{X: gx, Y: 4*c.p.gh - 1 - gy}
}

// braille draws a grid's dots, combined with braille already there.
func (c *plotCanvas) braille(g *graph.BrailleGrid, st lipgloss.Style) {
	si := c.style(st)
	for y, row := range g.BraillePatterns() {
		for x, r := range row {
			if y >= c.p.gh || x >= c.p.gw || r == runes.BrailleBlockOffset || !runes.IsBraillePattern(r) {
				continue
			}
			if old := c.cells[y][x]; runes.IsBraillePattern(old) {
				r = runes.CombineBraillePatterns(old, r)
			}
			c.cells[y][x], c.owner[y][x] = r, si
		}
	}
}

// line draws the points joined in order, in braille.
func (c *plotCanvas) line(pts []Point, st lipgloss.Style) {
	g := graph.NewBrailleGrid(c.p.gw, c.p.gh, c.p.x.lo, c.p.x.hi, c.p.y.lo, c.p.y.hi)
	for i, pt := range pts {
		a := c.gridPoint(pt.X, pt.Y)
		if i == 0 {
			g.Set(a)
			continue
		}
		for _, q := range graph.GetLinePoints(c.gridPoint(pts[i-1].X, pts[i-1].Y), a) {
			g.Set(q)
		}
	}
	c.braille(g, st)
}

// dots draws each point as one braille dot.
func (c *plotCanvas) dots(pts []Point, st lipgloss.Style) {
	g := graph.NewBrailleGrid(c.p.gw, c.p.gh, c.p.x.lo, c.p.x.hi, c.p.y.lo, c.p.y.hi)
	for _, pt := range pts {
		g.Set(c.gridPoint(pt.X, pt.Y))
	}
	c.braille(g, st)
}

// marks draws the points' segments as rune r about every other cell, over
// what is drawn there (a second curve stays visible where it meets the
// first).
func (c *plotCanvas) marks(pts []Point, r rune, st lipgloss.Style) {
	si := c.style(st)
	set := func(x, y float64) {
		col, row := c.p.col(x), c.p.row(y)
		if row >= 0 && row < c.p.gh && col >= 0 && col < c.p.gw {
			c.cells[row][col], c.owner[row][col] = r, si
		}
	}
	for j := 1; j < len(pts); j++ {
		a, b := pts[j-1], pts[j]
		ca, cb := c.gridPoint(a.X, a.Y), c.gridPoint(b.X, b.Y)
		cells := math.Max(math.Abs(float64(cb.X-ca.X))/2, math.Abs(float64(cb.Y-ca.Y))/4)
		n := max(1, int(cells/2))
		for k := 0; k <= n; k++ {
			t := float64(k) / float64(n)
			set(a.X+t*(b.X-a.X), a.Y+t*(b.Y-a.Y))
		}
	}
	if len(pts) == 1 {
		set(pts[0].X, pts[0].Y)
	}
}

// rows are the plot's lines, each run of one style rendered once.
func (c *plotCanvas) rows() []string {
	out := make([]string, c.p.gh)
	for y := range c.cells {
		var b strings.Builder
		for x := 0; x < len(c.cells[y]); {
			end := x + 1
			for end < len(c.cells[y]) && c.owner[y][end] == c.owner[y][x] {
				end++
			}
			run := string(c.cells[y][x:end])
			if o := c.owner[y][x]; o >= 0 {
				run = c.styles[o].Render(run)
			}
			b.WriteString(run)
			x = end
		}
		out[y] = b.String()
	}
	return out
}

// Downsample keeps, of points sorted by X, the first, lowest, highest and
// last of each of buckets equal slices of the X range (M4), so a line of a
// million points draws as the same picture from at most 4·buckets.
func Downsample(pts []Point, buckets int) []Point {
	if buckets <= 0 || len(pts) <= 4*buckets {
		return pts
	}
	lo, hi := pts[0].X, pts[len(pts)-1].X
	out := make([]Point, 0, 4*buckets)
	bucket := func(x float64) int {
		if hi == lo {
			return 0
		}
		return min(buckets-1, max(0, int((x-lo)/(hi-lo)*float64(buckets))))
	}
	for i := 0; i < len(pts); {
		b := bucket(pts[i].X)
		j := i
		mn, mx := i, i
		for j < len(pts) && bucket(pts[j].X) == b {
			if pts[j].Y < pts[mn].Y {
				mn = j
			}
			if pts[j].Y > pts[mx].Y {
				mx = j
			}
			j++
		}
		keep := []int{i, mn, mx, j - 1}
		// in the order they came, each once
		for a := 1; a < len(keep); a++ {
			for b := a; b > 0 && keep[b] < keep[b-1]; b-- {
				keep[b], keep[b-1] = keep[b-1], keep[b]
			}
		}
		for k, idx := range keep {
			if k == 0 || idx != keep[k-1] {
				out = append(out, pts[idx])
			}
		}
		i = j
	}
	return out
}
