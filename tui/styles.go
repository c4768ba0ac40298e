package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Styles is the one theme of the TUI. Colors adapt to light and dark
// terminals; under NO_COLOR (or a dumb terminal) lipgloss renders none of
// them, so nothing may depend on color alone: the selected row also has a
// "▸" and statuses have their own glyphs.
type Styles struct {
	App       lipgloss.Style
	TabActive lipgloss.Style
	Tab       lipgloss.Style
	TabOwner  lipgloss.Style
	TabBar    lipgloss.Style

	Status      lipgloss.Style
	StatusKey   lipgloss.Style
	StatusValue lipgloss.Style
	StatusSep   lipgloss.Style

	Panel       lipgloss.Style
	PanelActive lipgloss.Style
	Title       lipgloss.Style
	Subtitle    lipgloss.Style
	Muted       lipgloss.Style
	Selected    lipgloss.Style
	Header      lipgloss.Style
	Number      lipgloss.Style
	Good        lipgloss.Style
	Bad         lipgloss.Style
	Warn        lipgloss.Style
	Running     lipgloss.Style
	Arrow       lipgloss.Style
	Layer       map[string]lipgloss.Style
	Flash       lipgloss.Style
	Error       lipgloss.Style
	Help        help.Styles

	// ProgressFull and ProgressEmpty color the run's progress bar.
	ProgressFull  string
	ProgressEmpty string
}

var (
	colAccent  = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A48BFF"}
	colText    = lipgloss.AdaptiveColor{Light: "#1F1F28", Dark: "#E6E6EF"}
	colMuted   = lipgloss.AdaptiveColor{Light: "#6B6B80", Dark: "#8A8AA0"}
	colSubtle  = lipgloss.AdaptiveColor{Light: "#D8D8E4", Dark: "#3A3A4A"}
	colBarBg   = lipgloss.AdaptiveColor{Light: "#ECEAF6", Dark: "#24233A"}
	colGood    = lipgloss.AdaptiveColor{Light: "#1E7F4F", Dark: "#5FD08F"}
	colBad     = lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"}
	colWarn    = lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#F2C14E"}
	colRunning = lipgloss.AdaptiveColor{Light: "#0B63B6", Dark: "#6CB6FF"}
	colBronze  = lipgloss.AdaptiveColor{Light: "#8C5A2B", Dark: "#D9A066"}
	colSilver  = lipgloss.AdaptiveColor{Light: "#5C6670", Dark: "#B8C2CC"}
	colGold    = lipgloss.AdaptiveColor{Light: "#8A6D00", Dark: "#F5CE42"}
)

// NewStyles builds the theme.
func NewStyles() Styles {
	s := Styles{}
	s.App = lipgloss.NewStyle()
	s.TabBar = lipgloss.NewStyle().Foreground(colMuted)
	s.Tab = lipgloss.NewStyle().Foreground(colMuted).Padding(0, 1)
	s.TabActive = lipgloss.NewStyle().Foreground(colText).Background(colBarBg).Bold(true).Padding(0, 1)
	s.TabOwner = lipgloss.NewStyle().Foreground(colAccent)

	s.Status = lipgloss.NewStyle().Foreground(colText).Background(colBarBg)
	s.StatusKey = lipgloss.NewStyle().Foreground(colMuted).Background(colBarBg)
	s.StatusValue = lipgloss.NewStyle().Foreground(colText).Background(colBarBg).Bold(true)
	s.StatusSep = lipgloss.NewStyle().Foreground(colSubtle).Background(colBarBg)

	border := lipgloss.RoundedBorder()
	s.Panel = lipgloss.NewStyle().Border(border).BorderForeground(colSubtle).Padding(0, 1)
	s.PanelActive = s.Panel.BorderForeground(colAccent)
	s.Title = lipgloss.NewStyle().Foreground(colAccent).Bold(true)
	s.Subtitle = lipgloss.NewStyle().Foreground(colText).Bold(true)
	s.Muted = lipgloss.NewStyle().Foreground(colMuted)
	s.Selected = lipgloss.NewStyle().Foreground(colAccent).Bold(true)
	s.Header = lipgloss.NewStyle().Foreground(colMuted).Underline(true)
	s.Number = lipgloss.NewStyle().Foreground(colText)
	s.Good = lipgloss.NewStyle().Foreground(colGood)
	s.Bad = lipgloss.NewStyle().Foreground(colBad).Bold(true)
	s.Warn = lipgloss.NewStyle().Foreground(colWarn)
	s.Running = lipgloss.NewStyle().Foreground(colRunning)
	s.Arrow = lipgloss.NewStyle().Foreground(colAccent)
	s.Layer = map[string]lipgloss.Style{
		"landing": lipgloss.NewStyle().Foreground(colMuted).Bold(true),
		"bronze":  lipgloss.NewStyle().Foreground(colBronze).Bold(true),
		"silver":  lipgloss.NewStyle().Foreground(colSilver).Bold(true),
		"gold":    lipgloss.NewStyle().Foreground(colGold).Bold(true),
		"ml":      lipgloss.NewStyle().Foreground(colAccent).Bold(true),
		"sys":     lipgloss.NewStyle().Foreground(colMuted).Bold(true),
	}
	s.Flash = lipgloss.NewStyle().Foreground(colAccent)
	s.Error = lipgloss.NewStyle().Foreground(colBad)
	s.Help = help.New().Styles
	s.Help.ShortKey = lipgloss.NewStyle().Foreground(colAccent)
	s.Help.FullKey = lipgloss.NewStyle().Foreground(colAccent)
	s.ProgressFull = "#7D5FFF"
	s.ProgressEmpty = "#3A3A4A"
	return s
}

// layer styles a layer or schema name.
func (s Styles) layer(name string) lipgloss.Style {
	if st, ok := s.Layer[name]; ok {
		return st
	}
	return s.Subtitle
}
