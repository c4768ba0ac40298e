package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// placeholder is a role view whose own issue is still to come: it says what
// the view will do and who owns it.
type placeholder struct {
	sh     *shared
	id     viewID
	what   string
	issue  string
	width  int
	height int
}

func newPlaceholder(sh *shared, id viewID, what, issue string) *placeholder {
	return &placeholder{sh: sh, id: id, what: what, issue: issue}
}

func (p *placeholder) Update(tea.Msg) tea.Cmd        { return nil }
func (p *placeholder) SetSize(w, h int)              { p.width, p.height = w, h }
func (p *placeholder) SetSnapshot(*Snapshot) tea.Cmd { return nil }
func (p *placeholder) Busy() bool                    { return false }
func (p *placeholder) Capturing() bool               { return false }
func (p *placeholder) ShortHelp() []key.Binding      { return nil }
func (p *placeholder) FullHelp() [][]key.Binding     { return nil }
func (p *placeholder) owner() string                 { return strings.Join(p.sh.info.Team[roles[p.id]], ", ") }
func (p *placeholder) titleLine(st Styles) string    { return st.Title.Render(titles[p.id] + " view") }
func (p *placeholder) ownerLine(st Styles) string {
	if o := p.owner(); o != "" {
		return st.Muted.Render("owned by ") + st.Subtitle.Render(o)
	}
	return st.Muted.Render("no team member has the " + roles[p.id] + " role in lakebench.yml yet")
}

func (p *placeholder) View() string {
	st := p.sh.styles
	inner := min(64, p.width-8)
	text := lipgloss.NewStyle().Width(inner).Render("This view will " + p.what)
	lines := []string{p.titleLine(st), p.ownerLine(st), ""}
	lines = append(lines, strings.Split(text, "\n")...)
	// Wrapped like the text above: the box cuts any longer line with "…".
	coming := lipgloss.NewStyle().Width(inner).Render("Coming with " + p.issue + ". Until then, the command line does it:")
	lines = append(lines, "")
	for _, l := range strings.Split(coming, "\n") {
		lines = append(lines, st.Muted.Render(l))
	}
	switch p.id {
	case analystView:
		lines = append(lines, st.Subtitle.Render("  lakebench query \"select * from gold.daily_revenue limit 5\""))
	}
	box := panel(st.Panel, "coming next", lines, inner+4, min(p.height, len(lines)+2))
	return lipgloss.Place(p.width, p.height, lipgloss.Center, lipgloss.Center, box)
}
