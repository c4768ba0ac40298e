// Package chart draws the TUI's charts in text: charts of any query result
// (bar, line, time series, scatter, sparkline), and the ML view's line
// chart (loss and ROC curves), horizontal bars (feature importance) and
// confusion matrix. Everything draws in exactly the cells it is given, so
// a view places it in a panel without measuring it.
//
// Charting a result takes three calls:
//
//	spec := chart.Auto(res.Columns, res.Rows)              // the default chart, or KindNone and a Reason
//	out := chart.Draw(spec, res.Columns, res.Rows, w, h)   // w x h cells; DrawWith takes Styles
//	picker := chart.NewPicker(styles, res.Columns, spec)   // lets the user change kind, x and y
//
// A Spec names a Kind and two column indices, X (or RowNumber) and Y (a
// number); spec.SplitBy(c) draws a line per value of text column c (the
// largest six). Auto's defaults: a DATE or TIMESTAMP column and a number
// make a time series (a line per value of the first text column when it
// holds two to six); a text column and a number a bar chart; two numbers a line
// when the first grows row by row, else a scatter; one number alone a
// sparkline. Draw reads the values a lakehouse result holds (int64,
// float64, exact DECIMALs, *big.Int, HUGEINTs as text, time.Time, text),
// skips rows with NULL, NaN or infinite values and counts them in its last
// line, the caption, which also names the axes and says when a line of
// many points was thinned to the lowest and highest per column
// (Downsample) or when categories beyond the rows were summed as
// "others". Bars sum the rows of a repeated category, lines the rows of
// one x. A spec that does not
// fit the columns draws the reason instead; Draw never panics.
//
// Axes are ours, around ntcharts' braille canvas: ticks on round values (1,
// 2 or 5 × 10^k, NiceTicks), labelled with thousands separators below
// 10,000 and short units above (20k, 1.5M, TickLabel); time axes on
// calendar steps labelled to the span (15:04, Jan 02, 2026-01, 2026,
// TimeTicks). The Picker is a bubbles-style component (Update, View,
// SetSize, Focus/Blur, a KeyMap) that sends a PickMsg on every change and
// one with Done on enter or esc.
package chart

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Styles is how the charts look; the TUI builds it from its own theme.
type Styles struct {
	// Axis draws the axes, Label the axes' values and the bars' labels.
	Axis  lipgloss.Style
	Label lipgloss.Style
	Muted lipgloss.Style
	// Series style the lines in turn (the first line takes the first).
	Series []lipgloss.Style
	// Bar and Negative fill bars of positive and negative values.
	Bar      lipgloss.Style
	Negative lipgloss.Style
	// Header styles the confusion matrix's class names, Hit its diagonal
	// (the rows predicted right).
	Header lipgloss.Style
	Hit    lipgloss.Style
}

// DefaultStyles are plain styles, for tests and callers without a theme.
func DefaultStyles() Styles {
	plain := lipgloss.NewStyle()
	return Styles{Axis: plain, Label: plain, Muted: plain, Series: []lipgloss.Style{plain}, Bar: plain,
		Negative: plain, Header: plain, Hit: plain.Bold(true)}
}

// series returns the style of the i-th line.
func (s Styles) series(i int) lipgloss.Style {
	if len(s.Series) == 0 {
		return lipgloss.NewStyle()
	}
	return s.Series[i%len(s.Series)]
}

// fit cuts s to width cells (with an ellipsis) or pads it with spaces.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if w := lipgloss.Width(s); w > width {
		return ansi.Truncate(s, width, "…")
	} else if w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// pad right-aligns s in width cells.
func pad(s string, width int) string {
	if w := lipgloss.Width(s); w < width {
		return strings.Repeat(" ", width-w) + s
	}
	return fit(s, width)
}

// block makes lines exactly width x height.
func block(lines []string, width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	out := make([]string, height)
	for i := range out {
		if i < len(lines) {
			out[i] = fit(lines[i], width)
		} else {
			out[i] = strings.Repeat(" ", width)
		}
	}
	return strings.Join(out, "\n")
}

// Number formats v with about three significant digits, without trailing
// zeros: 0.693, 12.5, 1200, 0.0012.
func Number(v float64) string {
	switch a := abs(v); {
	case a == 0:
		return "0"
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.01:
		s := strconv.FormatFloat(v, 'f', 3, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
