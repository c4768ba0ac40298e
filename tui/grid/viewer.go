package grid

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
)

// viewer shows one cell in full over the grid: long text wrapped, JSON
// and nested values indented, scrollable.
type viewer struct {
	title string
	text  string
	vp    viewport.Model
}

// openViewer opens the viewer on the cursor's cell, when the grid holds
// its row.
func (m *Model) openViewer() {
	row, ok := m.Row(m.row)
	if !ok || m.col >= len(row) {
		return
	}
	c := m.cols[m.col]
	title := fmt.Sprintf("row %s · %s (%s)", lakehouse.GroupDigits(strconv.FormatInt(m.row+1, 10)), oneLine(c.Name), c.Type)
	// A text's length; an empty one says so (a NULL shows NULL).
	if s, ok := row[m.col].(string); ok {
		switch n := utf8.RuneCountInString(s); n {
		case 0:
			title += " · empty string"
		case 1:
			title += " · 1 character"
		default:
			title += " · " + lakehouse.GroupDigits(strconv.Itoa(n)) + " characters"
		}
	}
	v := &viewer{
		title: title,
		text:  viewerText(row[m.col], c.Type),
		vp:    viewport.New(0, 0),
	}
	v.setSize(m.width, m.height)
	m.viewer = v
	m.KeyMap.Back.SetEnabled(true)
}

// setSize fits the viewer to the grid, wrapping its text again.
func (v *viewer) setSize(width, height int) {
	v.vp.Width, v.vp.Height = max(width, 1), max(height-3, 1)
	var lines []string
	for _, l := range strings.Split(v.text, "\n") {
		l = oneLine(strings.ReplaceAll(l, "\t", "    "))
		lines = append(lines, strings.Split(ansi.Hardwrap(l, v.vp.Width, true), "\n")...)
	}
	v.vp.SetContent(strings.Join(lines, "\n"))
}

func (m Model) viewerKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	if key.Matches(msg, m.KeyMap.Back) || key.Matches(msg, m.KeyMap.View) || msg.String() == "q" {
		m.viewer = nil
		m.KeyMap.Back.SetEnabled(m.selecting)
		return m, nil
	}
	v := *m.viewer
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, m.KeyMap.Top):
		v.vp.GotoTop()
	case key.Matches(msg, m.KeyMap.Bottom):
		v.vp.GotoBottom()
	default:
		v.vp, cmd = v.vp.Update(msg)
	}
	m.viewer = &v
	return m, cmd
}

func (v *viewer) view(st Styles, width, height int) string {
	lines := []string{
		st.Title.Render(v.title),
		st.Rule.Render(strings.Repeat("─", width)),
	}
	lines = append(lines, strings.Split(v.vp.View(), "\n")...)
	for len(lines) < height-1 {
		lines = append(lines, "")
	}
	foot := "esc close · ↑/↓ pgup/pgdn scroll"
	if !v.vp.AtTop() || !v.vp.AtBottom() {
		foot += fmt.Sprintf(" · %3.f%%", v.vp.ScrollPercent()*100)
	}
	lines = append(lines[:height-1], st.Muted.Render(foot))
	for i, l := range lines {
		lines[i] = fitLine(l, width)
	}
	return strings.Join(lines, "\n")
}
