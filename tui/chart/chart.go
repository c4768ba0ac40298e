// Package chart draws the TUI's charts from plain values: a line chart (loss
// and ROC curves, over ntcharts' linechart), a horizontal bar chart (feature
// importance) and a confusion matrix. Each is a small component, as bubbles'
// are: set its data, SetSize, and View draws exactly that many cells, so a
// view places it in a panel without measuring it.
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
