package dash

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/chart"
)

// drawTile draws tile i in a box of exactly w by h cells.
func (m Model) drawTile(i, w, h int) string {
	t := m.tiles[i]
	border := m.styles.Tile
	if m.focused {
		border = m.styles.Focused
	}
	iw := max(0, w-border.GetHorizontalFrameSize())
	ih := max(0, h-border.GetVerticalFrameSize())
	title := t.def.Title
	if t.data != nil && t.data.Title != "" {
		title = t.data.Title
	}
	body := []string{m.styles.Title.Render(pad(title, iw))}
	bh := max(0, ih-1)
	var content string
	switch {
	case t.err != nil:
		content = m.message(m.styles.Error, tileError(t.err), iw, bh)
	case t.data == nil && t.loading:
		content = m.message(m.styles.Muted, "loading…", iw, bh)
	case t.data == nil:
		content = m.message(m.styles.Muted, "not loaded", iw, bh)
	default:
		content = m.drawData(t.data, iw, bh)
		if t.loading && bh > 0 {
			// The old data stays while the refresh runs; say so.
			ls := strings.Split(content, "\n")
			ls[len(ls)-1] = pad(m.styles.Muted.Render("refreshing…"), iw)
			content = strings.Join(ls, "\n")
		}
	}
	if bh > 0 {
		body = append(body, strings.Split(content, "\n")...)
	}
	for len(body) < ih {
		body = append(body, strings.Repeat(" ", iw))
	}
	body = body[:ih]
	// lipgloss counts the padding in Width, not the border.
	return border.Width(iw + border.GetHorizontalPadding()).Height(ih + border.GetVerticalPadding()).Render(strings.Join(body, "\n"))
}

// tileError says why a tile has no data, shortest first: a refusal as the
// grant it needs, else the cause's first line without the tile's name
// (the tile shows it).
func tileError(err error) string {
	var ae *lakehouse.AccessError
	if errors.As(err, &ae) && ae.Privilege != "" {
		return fmt.Sprintf("%s needs %s on %s (see lakebench.yml resources.schemas.%s.grants)", ae.Principal, ae.Privilege, ae.Table, ae.Table.Schema)
	}
	var te *pipeline.TileError
	if errors.As(err, &te) {
		err = te.Err
	}
	return firstLine(err.Error())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// message wraps text in a w by h block.
func (m Model) message(st interface{ Render(...string) string }, text string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	wrapped := strings.Split(ansi.Wrap(text, w, " "), "\n")
	if len(wrapped) > h {
		wrapped = wrapped[:h]
	}
	lines := make([]string, h)
	for i := range lines {
		if i < len(wrapped) {
			lines[i] = pad(st.Render(wrapped[i]), w)
		} else {
			lines[i] = strings.Repeat(" ", w)
		}
	}
	return strings.Join(lines, "\n")
}

// drawData draws a tile's data in w by h cells.
func (m Model) drawData(d *pipeline.TileData, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	switch d.Kind {
	case pipeline.TileKPI:
		return m.drawKPI(d, w, h)
	case pipeline.TileChart:
		return m.drawChart(d, w, h)
	}
	return m.drawTable(d, w, h)
}

// drawKPI draws the value, big, and its change: an arrow, the change in
// percent and the previous value, green when it goes the good way.
func (m Model) drawKPI(d *pipeline.TileData, w, h int) string {
	k := d.KPI
	if k == nil {
		return m.message(m.styles.Muted, "no value", w, h)
	}
	value := FormatValue(k.Value, k.Format)
	lines := []string{pad(m.styles.Value.Render(value), w)}
	if big, ok := bigText(value); ok && h >= 4 && m.bigKPIs() && len([]rune(big[0])) <= w {
		lines = lines[:0]
		for _, row := range big {
			lines = append(lines, pad(m.styles.Value.Render(row), w))
		}
	}
	if k.HasPrevious {
		st := m.styles.Bad
		if k.Good {
			st = m.styles.Good
		}
		arrow := "▼"
		switch {
		case k.Up:
			arrow = "▲"
		case k.Value == k.Previous:
			arrow = "="
		}
		change := arrow
		if k.Previous != 0 {
			change += fmt.Sprintf(" %+.1f%%", k.Change*100)
		}
		lines = append(lines, pad(st.Render(change)+m.styles.Muted.Render(" vs "+FormatValue(k.Previous, k.Format)), w))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines[:h], "\n")
}

// FormatValue writes a KPI's value: money with a $ and thousands
// separators, percent from a ratio (0.12 is 12.0%), else a number with
// thousands separators.
func FormatValue(v float64, format string) string {
	switch format {
	case "percent":
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case "money":
		if math.Abs(v) >= 1000 {
			return "$" + thousands(v, 0)
		}
		return "$" + thousands(v, 2)
	}
	if v == math.Trunc(v) || math.Abs(v) >= 1000 {
		return thousands(v, 0)
	}
	return chart.Number(v)
}

// thousands writes v with decimals digits and commas between thousands.
func thousands(v float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && s != strings.Repeat("0", len(s)) {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// chartKinds are the tui/chart kinds of the bundle's chart names.
var chartKinds = map[string]chart.Kind{
	"bar": chart.KindBar, "line": chart.KindLine, "timeseries": chart.KindTimeSeries,
	"scatter": chart.KindScatter, "sparkline": chart.KindSparkline,
}

// drawChart draws a chart tile with tui/chart's result charts, over the
// columns EvalTile chose.
func (m Model) drawChart(d *pipeline.TileData, w, h int) string {
	spec := chart.Spec{Kind: chartKinds[d.Chart], X: colIndex(d.Columns, d.X), Y: colIndex(d.Columns, d.Y)}
	if spec.X < 0 || spec.Y < 0 {
		spec = chart.Auto(d.Columns, d.Rows)
	}
	return chart.DrawWith(m.styles.Chart, spec, d.Columns, d.Rows, w, h)
}

func colIndex(cols []lakehouse.Column, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// Cell writes one value of a table: NULL as ∅, a date without its time,
// numbers with thousands separators.
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "∅"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return thousands(x, 0)
		}
		if math.Abs(x) >= 1000 {
			return thousands(x, 2)
		}
		return chart.Number(x)
	case float32:
		return Cell(float64(x))
	case string:
		return x
	}
	if f, ok := lakehouse.Number(v); ok {
		return thousands(f, 0)
	}
	return fmt.Sprint(v)
}

// drawTable draws the rows that fit under a header, numbers to the right,
// columns cut to share the width; a last line counts the rows left out.
func (m Model) drawTable(d *pipeline.TileData, w, h int) string {
	if len(d.Columns) == 0 {
		return m.message(m.styles.Muted, "no columns", w, h)
	}
	if len(d.Rows) == 0 {
		return m.message(m.styles.Muted, "no rows", w, h)
	}
	show := d.Rows
	more := 0
	if len(show) > h-1 {
		keep := max(0, h-2)
		show, more = show[:keep], len(d.Rows)-keep
	}
	cells := make([][]string, len(show))
	widths := make([]int, len(d.Columns))
	for j, c := range d.Columns {
		widths[j] = ansi.StringWidth(c.Name)
	}
	for i, r := range show {
		cells[i] = make([]string, len(d.Columns))
		for j := range d.Columns {
			cells[i][j] = Cell(r[j])
			if name := strings.ToLower(d.Columns[j].Name); (name == "id" || strings.HasSuffix(name, "_id")) && r[j] != nil {
				cells[i][j] = fmt.Sprint(r[j]) // an identifier, not a quantity
			}
			widths[j] = max(widths[j], ansi.StringWidth(cells[i][j]))
		}
	}
	// Shrink the widest columns until the row fits (a space between).
	for total(widths)+len(widths)-1 > w {
		widest := 0
		for j := range widths {
			if widths[j] > widths[widest] {
				widest = j
			}
		}
		if widths[widest] <= 3 {
			break
		}
		widths[widest]--
	}
	line := func(vals []string, right func(j int) bool) string {
		parts := make([]string, len(vals))
		for j, v := range vals {
			v = ansi.Truncate(v, widths[j], "…")
			gap := strings.Repeat(" ", max(0, widths[j]-ansi.StringWidth(v)))
			if right(j) {
				parts[j] = gap + v
			} else {
				parts[j] = v + gap
			}
		}
		return pad(strings.Join(parts, " "), w)
	}
	numeric := func(j int) bool { return lakehouse.IsNumericType(d.Columns[j].Type) }
	names := make([]string, len(d.Columns))
	for j, c := range d.Columns {
		names[j] = c.Name
	}
	lines := []string{m.styles.Header.Render(line(names, numeric))}
	for _, r := range cells {
		lines = append(lines, line(r, numeric))
	}
	if more > 0 || d.Truncated {
		msg := fmt.Sprintf("… %d more rows", more)
		if d.Truncated {
			msg = fmt.Sprintf("… %d+ more rows", more)
		}
		lines = append(lines, pad(m.styles.Muted.Render(msg), w))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines[:h], "\n")
}

func total(ws []int) int {
	n := 0
	for _, w := range ws {
		n += w
	}
	return n
}
