package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// bytesHuman formats a size: 786432 -> 768 KiB.
func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.0f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// duration formats a task or run duration compactly: 0.1s, 2.4s, 1m05s.
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	if int(d.Minutes())%60 == 0 {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// ago formats how long ago t was, relative to now: 12s, 5m, 3h, 2d.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// fit cuts s to width cells (with an ellipsis) or pads it with spaces.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := lipgloss.Width(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// cut cuts s to width cells without padding.
func cut(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if lipgloss.Width(s) > width {
		return ansi.Truncate(s, width, "…")
	}
	return s
}

// right aligns s to the right of width cells.
func right(s string, width int) string {
	w := lipgloss.Width(s)
	if w >= width {
		return cut(s, width)
	}
	return strings.Repeat(" ", width-w) + s
}

// block makes lines exactly width x height: each line fitted, missing lines
// blank, extra lines dropped.
func block(lines []string, width, height int) string {
	out := make([]string, height)
	for i := range out {
		l := ""
		if i < len(lines) {
			l = lines[i]
		}
		out[i] = fit(l, width)
	}
	return strings.Join(out, "\n")
}

// window returns the slice of n items to show around cursor within height
// rows, and the first index shown.
func window(n, cursor, height int) (int, int) {
	if height <= 0 || n <= height {
		return 0, n
	}
	start := cursor - height/2
	start = max(0, min(start, n-height))
	return start, start + height
}

// panel draws a bordered box of exactly width x height around body lines,
// with title in the top border.
func panel(st lipgloss.Style, title string, lines []string, width, height int) string {
	fw, fh := st.GetHorizontalFrameSize(), st.GetVerticalFrameSize()
	inner := block(lines, width-fw, height-fh)
	box := st.Width(width - st.GetHorizontalBorderSize()).Height(height - st.GetVerticalBorderSize()).Render(inner)
	if title == "" {
		return box
	}
	rows := strings.SplitN(box, "\n", 2)
	top := rows[0]
	// A title wider than the border is cut with an ellipsis, not dropped.
	if room := lipgloss.Width(ansi.Strip(top)) - 6; lipgloss.Width(title) > room && room > 1 {
		title = ansi.Truncate(title, room, "…")
	}
	t := " " + title + " "
	if lipgloss.Width(t)+4 <= lipgloss.Width(ansi.Strip(top)) {
		top = ansi.Truncate(top, 2, "") + t + ansi.TruncateLeft(top, 2+lipgloss.Width(t), "")
	}
	if len(rows) == 1 {
		return top
	}
	return top + "\n" + rows[1]
}

// plural counts a noun: 1 model, 2 models, 0 models.
func plural(n int, noun string) string { return pipeline.Plural(n, noun) }

// compactCount is a count in at most six characters: 999,999, then 4.2M
// and 1.3B.
func compactCount(n int64) string {
	switch {
	case n < 1_000_000:
		return thousands(n)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1fB", float64(n)/1e9)
}

// wrapText wraps plain text to width, at spaces where it can, else within
// a word.
func wrapText(s string, width int) string {
	if width <= 0 {
		return s
	}
	return ansi.Wrap(s, width, " ,;")
}

// kindTag is a model kind (pipeline.ModelSettings.KindName) as the views
// tag it: full, batch, by time, by key; "mixed" for a task building
// models of several kinds; "" for no model.
func kindTag(kind string) string {
	switch kind {
	case pipeline.KindIncrementalByBatch:
		return "batch"
	case pipeline.KindIncrementalByTime:
		return "by time"
	case pipeline.KindIncrementalByUniqueKey:
		return "by key"
	}
	return kind
}

// kindLong says in words how a model of a kind is built.
func kindLong(kind string) string {
	switch kind {
	case pipeline.KindIncrementalByBatch:
		return "incremental by batch (new landing files only)"
	case pipeline.KindIncrementalByTime:
		return "incremental by time (recent partitions only)"
	case pipeline.KindIncrementalByUniqueKey:
		return "incremental by unique key (merged)"
	case pipeline.KindFull, "":
		return "full refresh"
	}
	return kind
}

// fitCount formats n for a right-aligned column width cells wide, with a
// space before it: 42,513,473 where it fits, else 42.5M (or 380K).
func fitCount(n int64, width int) string {
	if s := thousands(n); len(s) < width {
		return s
	}
	if s := compactCount(n); len(s) < width || n < 1000 {
		return s
	}
	return fmt.Sprintf("%.0fK", float64(n)/1000)
}

// fitEstimate is fitCount's, marked by approx when estimated, in width.
func fitEstimate(n int64, estimated bool, width int) string {
	if !estimated {
		return fitCount(n, width)
	}
	return approx(fitCount(n, width-1), true)
}

// approx marks a row count that is DuckDB's estimate, not a count: ~2,887.
func approx(s string, estimated bool) string {
	if estimated {
		return "~" + s
	}
	return s
}

// thousands writes n with comma separators: 41257 -> 41,257.
func thousands(n int64) string { return lakehouse.GroupDigits(strconv.FormatInt(n, 10)) }
