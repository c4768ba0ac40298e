package grid

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
)

// Styles is how the grid looks; the TUI builds it from its theme.
type Styles struct {
	Header lipgloss.Style
	// Rule draws the line under the header and the columns' borders.
	Rule   lipgloss.Style
	Gutter lipgloss.Style
	// Cursor is the cell under the cursor; CursorBlurred the same while
	// the grid does not have the focus.
	Cursor        lipgloss.Style
	CursorBlurred lipgloss.Style
	Selected      lipgloss.Style
	// Null draws ∅, a NULL (an empty string draws nothing).
	Null   lipgloss.Style
	Muted  lipgloss.Style
	Error  lipgloss.Style
	Title  lipgloss.Style
	Status lipgloss.Style
}

// DefaultStyles are the grid's own styles, for callers without a theme.
func DefaultStyles() Styles {
	faint := lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#6B6B80", Dark: "#8A8AA0"})
	return Styles{
		Header:        lipgloss.NewStyle().Bold(true),
		Rule:          lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#D8D8E4", Dark: "#3A3A4A"}),
		Gutter:        faint,
		Cursor:        lipgloss.NewStyle().Reverse(true),
		CursorBlurred: lipgloss.NewStyle().Underline(true),
		Selected:      lipgloss.NewStyle().Background(lipgloss.AdaptiveColor{Light: "#ECEAF6", Dark: "#34335A"}),
		Null:          faint,
		Muted:         faint,
		Error:         lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"}),
		Title:         lipgloss.NewStyle().Bold(true),
		Status:        lipgloss.NewStyle(),
	}
}

// textWidth is how many cells s takes (wide characters and emoji take
// two).
func textWidth(s string) int { return ansi.StringWidth(s) }

// fitText cuts s to width cells (with an ellipsis) or pads it, on the
// left for right-aligned text.
func fitText(s string, width int, right bool) string {
	if width <= 0 {
		return ""
	}
	w := textWidth(s)
	if w > width {
		s = ansi.Truncate(s, width, "…")
		w = textWidth(s)
	}
	if right {
		return strings.Repeat(" ", width-w) + s
	}
	return s + strings.Repeat(" ", width-w)
}

// headerText is a column's name, with the sort arrow when sorted by it.
func (m Model) headerText(i int) string {
	name := oneLine(m.cols[i].Name)
	if m.sorted && m.sortCol == i {
		if m.sortDesc {
			return name + " ▼"
		}
		return name + " ▲"
	}
	return name
}

// gutterDigits is the width of the row numbers on screen.
func (m Model) gutterDigits() int {
	return len(lakehouse.GroupDigits(strconv.FormatInt(max(m.count, m.top+m.bodyHeight()), 10)))
}

// gutterWidth is the row numbers' column: the cursor's mark, the number
// and a space, then the border.
func (m Model) gutterWidth() int { return m.gutterDigits() + 3 }

// fitLeft scrolls columns so the cursor's column shows whole.
func (m *Model) fitLeft() {
	first := 0
	if m.freeze {
		first = 1
	}
	if len(m.widths) <= first {
		m.left = first
		return
	}
	m.left = max(m.left, first)
	if m.col < m.left && (!m.freeze || m.col != 0) {
		m.left = m.col
	}
	avail := m.width - m.gutterWidth()
	if m.freeze {
		avail -= m.widths[0] + 3
	}
	for m.left < m.col {
		used := 0
		for c := m.left; c <= m.col; c++ {
			used += m.widths[c] + 3
		}
		if used <= avail {
			break
		}
		m.left++
	}
	// Scroll back while the columns from one further left to the last
	// still fit: no room is left blank on the right.
	for m.left > first {
		used := 0
		for c := m.left - 1; c < len(m.widths); c++ {
			used += m.widths[c] + 3
		}
		if used > avail {
			break
		}
		m.left--
	}
}

// span is a column on screen and the cells it takes.
type span struct{ col, width int }

// spans are the columns on screen, left to right; the last may be cut.
func (m Model) spans() []span {
	avail := m.width - m.gutterWidth()
	var out []span
	add := func(c int) bool {
		if avail < 4 { // the borders and at least one cell ("…")
			return false
		}
		w := min(m.widths[c], avail-3)
		out = append(out, span{c, w})
		avail -= w + 3
		return true
	}
	start := m.left
	if m.freeze && len(m.cols) > 0 {
		add(0)
		start = max(start, 1)
	}
	for c := start; c < len(m.cols); c++ {
		if !add(c) {
			break
		}
	}
	return out
}

// View draws the grid in exactly its size.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.viewer != nil {
		return m.viewer.view(m.Styles, m.width, m.height)
	}
	lines := make([]string, 0, m.height)
	body := int(m.bodyHeight())
	switch {
	case m.src == nil:
		lines = append(lines, "", "", m.Styles.Muted.Render("no result"))
	case len(m.cols) == 0:
		lines = append(lines, "", "", m.Styles.Muted.Render("the statement returned no columns"))
	default:
		spans := m.spans()
		lines = append(lines, m.headerLine(spans), m.ruleLine(spans))
		sep := m.Styles.Rule.Render("│")
		for i := range body {
			lines = append(lines, m.rowLine(m.top+int64(i), spans, sep))
		}
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines[:m.height-1], m.footer())
	for i, l := range lines {
		lines[i] = fitLine(l, m.width)
	}
	return strings.Join(lines, "\n")
}

// fitLine cuts a styled line to width cells or pads it.
func fitLine(l string, width int) string {
	w := ansi.StringWidth(l)
	if w > width {
		return ansi.Truncate(l, width, "")
	}
	return l + strings.Repeat(" ", width-w)
}

func (m Model) headerLine(spans []span) string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", m.gutterWidth()-1))
	b.WriteString(m.Styles.Rule.Render("│"))
	for _, s := range spans {
		b.WriteString(" " + m.Styles.Header.Render(fitText(m.headerText(s.col), s.width, m.numeric[s.col])) + " ")
		b.WriteString(m.Styles.Rule.Render("│"))
	}
	return b.String()
}

func (m Model) ruleLine(spans []span) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("─", m.gutterWidth()-1) + "┼")
	// The cursor's column is marked in the rule too, so it shows without
	// color (NO_COLOR).
	for _, s := range spans {
		line := "─"
		if s.col == m.col {
			line = "━"
		}
		b.WriteString(strings.Repeat(line, s.width+2) + "┼")
	}
	return m.Styles.Rule.Render(b.String())
}

// rowLine draws row r; sep is the rendered column border. Most cells are
// written as they are: rendering each through lipgloss cost more than
// reading the page.
func (m Model) rowLine(r int64, spans []span, sep string) string {
	if r >= m.count && (m.done || r > m.count) {
		if r == 0 {
			return strings.Repeat(" ", m.gutterWidth()) + m.Styles.Muted.Render("no rows")
		}
		return ""
	}
	var b strings.Builder
	mark := " "
	if r == m.row {
		mark = "▸"
	}
	b.WriteString(m.Styles.Gutter.Render(mark + fitText(lakehouse.GroupDigits(strconv.FormatInt(r+1, 10)), m.gutterDigits(), true) + " "))
	b.WriteString(sep)
	row, ok := m.cells(r)
	if !ok {
		note := "loading…"
		if m.preview != nil {
			note = "sorting…"
		}
		if m.failed[r/m.opts.PageSize] != nil {
			note = "✗ not loaded (see below)"
		}
		b.WriteString(" " + m.Styles.Muted.Render(note))
		return b.String()
	}
	for _, s := range spans {
		var c cell
		if s.col < len(row) {
			c = row[s.col]
		}
		text := c.text
		if c.kind == kindNumber {
			// Padded on the right to the column's widest decimal part,
			// while the column is wide enough: the points line up.
			pad := min(m.fracs[s.col]-c.frac, s.width-textWidth(text))
			text += strings.Repeat(" ", max(pad, 0))
		}
		text = fitText(text, s.width, c.kind == kindNumber)
		var st *lipgloss.Style
		if c.kind == kindNull {
			st = &m.Styles.Null
		}
		switch {
		case r == m.row && s.col == m.col && m.focused:
			st = &m.Styles.Cursor
		case r == m.row && s.col == m.col:
			st = &m.Styles.CursorBlurred
		case m.inSelection(r, s.col):
			st = &m.Styles.Selected
		}
		if st != nil {
			text = st.Render(text)
		}
		b.WriteString(" " + text + " ")
		b.WriteString(sep)
	}
	return b.String()
}

// footer is the status line: where the cursor is, the row count (N+ while
// the source still runs), the rows held in memory, the filter, and the
// last message; or the open prompt.
func (m Model) footer() string {
	if m.prompt != promptNone {
		return m.input.View()
	}
	var parts []string
	switch {
	case m.src != nil && len(m.cols) > 0 && m.preview != nil:
		// The first page's preview, while the execution sorts: no count
		// yet, and no row past the preview.
		parts = append(parts, "preview · sorting…", "row "+lakehouse.GroupDigits(strconv.FormatInt(m.row+1, 10))+
			" of the first "+lakehouse.GroupDigits(strconv.Itoa(len(m.preview.rows)))+" by a top-N",
			fmt.Sprintf("col %d/%d", m.col+1, len(m.cols)))
	case m.src != nil && len(m.cols) > 0:
		n := lakehouse.GroupDigits(strconv.FormatInt(m.count, 10))
		if !m.done {
			n += "+ rows…"
		} else if m.count == 1 {
			n += " row"
		} else {
			n += " rows"
		}
		if m.count > 0 {
			parts = append(parts, "row "+lakehouse.GroupDigits(strconv.FormatInt(m.row+1, 10))+" of "+n)
		} else {
			parts = append(parts, n)
		}
		parts = append(parts, fmt.Sprintf("col %d/%d", m.col+1, len(m.cols)),
			"held "+lakehouse.GroupDigits(strconv.FormatInt(m.HeldRows(), 10))+" + source "+lakehouse.GroupDigits(strconv.FormatInt(m.srcHeld, 10))+" rows")
		if m.selecting {
			r0, r1, c0, c1 := m.selection()
			parts = append(parts, fmt.Sprintf("selected %d×%d", r1-r0+1, c1-c0+1))
		}
		if m.filter != "" {
			parts = append(parts, "where "+oneLine(m.filter))
		}
	}
	left := m.Styles.Status.Render(strings.Join(parts, " · "))
	if m.flash == "" {
		return left
	}
	st := m.Styles.Muted
	if m.flashError {
		st = m.Styles.Error
	}
	flash := oneLine(m.flash)
	room := m.width - textWidth(ansi.Strip(left)) - 2
	if room < textWidth(flash) {
		return st.Render(fitText(flash, m.width, false))
	}
	return left + "  " + st.Render(fitText(flash, room, false))
}
