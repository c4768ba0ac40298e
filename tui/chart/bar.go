package chart

import (
	"fmt"
	"math"
	"strings"
)

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// Bars is a horizontal bar chart: a label, a bar as long as the value's
// magnitude against the largest, and the value; bars of negative values
// have their own style and keep their sign in the value. Bars show in the
// order given; those that do not fit are counted on the last line.
type Bars struct {
	styles Styles
	width  int
	height int
	bars   []Bar
	// Format writes the values; Number when nil.
	Format func(float64) string
	// Empty is what a chart without bars says.
	Empty string
}

// NewBars returns an empty bar chart.
func NewBars(st Styles) *Bars { return &Bars{styles: st, Empty: "no data"} }

// SetSize sets the cells View fills.
func (c *Bars) SetSize(width, height int) { c.width, c.height = max(0, width), max(0, height) }

// SetBars replaces the bars.
func (c *Bars) SetBars(b []Bar) { c.bars = b }

// View draws the chart in exactly the size set.
func (c *Bars) View() string {
	w, h := c.width, c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(c.bars) == 0 {
		return block([]string{c.styles.Muted.Render(c.Empty)}, w, h)
	}
	format := c.Format
	if format == nil {
		format = Number
	}
	shown := c.bars
	more := 0
	if len(shown) > h {
		shown, more = shown[:h-1], len(shown)-(h-1)
	}
	labelW, valueW, top := 0, 0, 0.0
	for _, b := range shown {
		labelW = max(labelW, len([]rune(b.Label)))
		valueW = max(valueW, len(format(b.Value)))
		if v := math.Abs(b.Value); !math.IsNaN(v) && !math.IsInf(v, 0) {
			top = math.Max(top, v)
		}
	}
	// The label takes at most two fifths; the bar at least a sixth.
	labelW = min(labelW, max(4, w*2/5))
	barW := w - labelW - valueW - 2
	if barW < max(3, w/6) {
		valueW, barW = 0, w-labelW-1
	}
	lines := make([]string, 0, h)
	for _, b := range shown {
		n := 0.0
		if top > 0 && !math.IsNaN(b.Value) && !math.IsInf(b.Value, 0) {
			n = math.Abs(b.Value) / top * float64(barW)
		}
		bar := strings.Repeat("█", int(n))
		if n-math.Floor(n) >= 0.5 {
			bar += "▌"
		}
		if bar == "" && b.Value != 0 {
			bar = "▏" // a bar too small to see is still there
		}
		st := c.styles.Bar
		if b.Value < 0 {
			st = c.styles.Negative
		}
		line := c.styles.Label.Render(fit(b.Label, labelW)) + " " + st.Render(fit(bar, barW))
		if valueW > 0 {
			line += " " + pad(format(b.Value), valueW)
		}
		lines = append(lines, line)
	}
	if more > 0 {
		lines = append(lines, c.styles.Muted.Render(fmt.Sprintf("… %d more", more)))
	}
	return block(lines, w, h)
}
