package chart

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// Bars is a horizontal bar chart: a label (cut with an ellipsis), a bar as
// long as the value against the largest, and the value. When some values
// are negative a zero line splits the bars: negative ones grow to its
// left, in their own style. Bars show in the order given; those that do
// not fit are counted on the last line.
type Bars struct {
	styles Styles
	width  int
	height int
	bars   []Bar
	// Format writes the values; Number when nil.
	Format func(float64) string
	// Empty is what a chart without bars says.
	Empty string
	// LabelShare is the most of the width labels take (0: two fifths);
	// longer labels are cut with an ellipsis.
	LabelShare float64
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
	labelW, valueW, pos, neg := 0, 0, 0.0, 0.0
	for _, b := range shown {
		labelW = max(labelW, len([]rune(b.Label)))
		valueW = max(valueW, lipgloss.Width(format(b.Value)))
		if finite(b.Value) {
			pos, neg = math.Max(pos, b.Value), math.Max(neg, -b.Value)
		}
	}
	// The label takes at most LabelShare (two fifths); the bar at least
	// a sixth.
	share := c.LabelShare
	if share <= 0 || share > 0.7 {
		share = 0.4
	}
	labelW = min(labelW, max(4, int(float64(w)*share)))
	barW := w - labelW - valueW - 2
	if barW < max(3, w/6) {
		valueW, barW = 0, w-labelW-1
	}
	// With negative values, a zero line splits the bar's cells between
	// the two sides in proportion to the largest bar of each.
	negW, posW := 0, barW
	if neg > 0 {
		posW = barW - 1
		negW = int(math.Round(float64(posW) * neg / (neg + pos)))
		posW -= negW
	}
	lines := make([]string, 0, h)
	for _, b := range shown {
		line := c.styles.Label.Render(fit(b.Label, labelW)) + " "
		if neg > 0 {
			left := ""
			if b.Value < 0 {
				left = c.styles.Negative.Render(barRunes(-b.Value, neg, negW, true))
			}
			line += pad(left, negW) + c.styles.Axis.Render("│")
		}
		right := ""
		if b.Value > 0 {
			right = c.styles.Bar.Render(barRunes(b.Value, pos, posW, false))
		} else if b.Value < 0 && neg == 0 { // NaN scale: keep the sign visible
			right = c.styles.Negative.Render("▏")
		}
		line += fit(right, posW)
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

// barRunes is a bar of v against top in width cells, in whole and half
// blocks, the half at the far end (the left one for bars drawn leftwards);
// a value too small to see still shows a sliver.
func barRunes(v, top float64, width int, leftward bool) string {
	if !finite(v) || top <= 0 || width <= 0 {
		return ""
	}
	n := math.Min(v/top, 1) * float64(width)
	bar := strings.Repeat("█", int(n))
	half := n-math.Floor(n) >= 0.5 && int(n) < width
	switch {
	case half && leftward:
		bar = "▐" + bar
	case half:
		bar += "▌"
	case bar == "" && v != 0 && leftward:
		bar = "▕"
	case bar == "" && v != 0:
		bar = "▏"
	}
	return bar
}
