package tui

import (
	"fmt"
	"strings"

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

	// Caption is the presentation's caption bar; CaptionTitle its step and
	// title, Notes the presenter's notes under it.
	Caption      lipgloss.Style
	CaptionTitle lipgloss.Style
	Notes        lipgloss.Style
	// TimerWarn and TimerBad mark the talk's countdown when a step runs
	// late or little time is left (amber), and when the talk is over
	// (red): colored backgrounds, which read on either theme.
	TimerWarn lipgloss.Style
	TimerBad  lipgloss.Style
}

// palette is a theme's colors.
type palette struct {
	accent, text, muted, subtle, barBg, barText, captionBg lipgloss.TerminalColor
	good, bad, warn, running, bronze, silver, gold         lipgloss.TerminalColor
}

var defaultPalette = palette{
	accent:    lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A48BFF"},
	text:      lipgloss.AdaptiveColor{Light: "#1F1F28", Dark: "#E6E6EF"},
	muted:     lipgloss.AdaptiveColor{Light: "#6B6B80", Dark: "#8A8AA0"},
	subtle:    lipgloss.AdaptiveColor{Light: "#D8D8E4", Dark: "#3A3A4A"},
	barBg:     lipgloss.AdaptiveColor{Light: "#ECEAF6", Dark: "#24233A"},
	barText:   lipgloss.AdaptiveColor{Light: "#1F1F28", Dark: "#E6E6EF"},
	captionBg: lipgloss.AdaptiveColor{Light: "#E2DAFB", Dark: "#2E2752"},
	good:      lipgloss.AdaptiveColor{Light: "#1E7F4F", Dark: "#5FD08F"},
	bad:       lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"},
	warn:      lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#F2C14E"},
	running:   lipgloss.AdaptiveColor{Light: "#0B63B6", Dark: "#6CB6FF"},
	bronze:    lipgloss.AdaptiveColor{Light: "#8C5A2B", Dark: "#D9A066"},
	silver:    lipgloss.AdaptiveColor{Light: "#5C6670", Dark: "#B8C2CC"},
	gold:      lipgloss.AdaptiveColor{Light: "#8A6D00", Dark: "#F5CE42"},
}

// highContrastPalette is for a projector: black or white text, saturated
// colors, no grey that washes out, and bars in inverse video.
var highContrastPalette = palette{
	accent:    lipgloss.AdaptiveColor{Light: "#0000C8", Dark: "#FFFF00"},
	text:      lipgloss.AdaptiveColor{Light: "#000000", Dark: "#FFFFFF"},
	muted:     lipgloss.AdaptiveColor{Light: "#262626", Dark: "#E0E0E0"},
	subtle:    lipgloss.AdaptiveColor{Light: "#000000", Dark: "#FFFFFF"},
	barBg:     lipgloss.AdaptiveColor{Light: "#000000", Dark: "#FFFFFF"},
	barText:   lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#000000"},
	captionBg: lipgloss.AdaptiveColor{Light: "#000000", Dark: "#FFFFFF"},
	good:      lipgloss.AdaptiveColor{Light: "#005A00", Dark: "#00FF66"},
	bad:       lipgloss.AdaptiveColor{Light: "#B00000", Dark: "#FF4040"},
	warn:      lipgloss.AdaptiveColor{Light: "#6A3D00", Dark: "#FFB000"},
	running:   lipgloss.AdaptiveColor{Light: "#003C96", Dark: "#00E5FF"},
	bronze:    lipgloss.AdaptiveColor{Light: "#6B3A00", Dark: "#FFA040"},
	silver:    lipgloss.AdaptiveColor{Light: "#303A44", Dark: "#E0E8F0"},
	gold:      lipgloss.AdaptiveColor{Light: "#6A5000", Dark: "#FFE000"},
}

// Themes are the names NewStylesFor knows.
var Themes = []string{"default", "high-contrast"}

// NewStylesFor builds the theme called name ("" is default).
func NewStylesFor(name string) (Styles, error) {
	switch name {
	case "", "default":
		return NewStyles(), nil
	case "high-contrast":
		return newStyles(highContrastPalette, true), nil
	}
	return Styles{}, fmt.Errorf("tui: unknown theme %q: use %s", name, strings.Join(Themes, " or "))
}

// NewStyles builds the default theme.
func NewStyles() Styles { return newStyles(defaultPalette, false) }

func newStyles(c palette, bold bool) Styles {
	s := Styles{}
	s.App = lipgloss.NewStyle()
	s.TabBar = lipgloss.NewStyle().Foreground(c.muted)
	s.Tab = lipgloss.NewStyle().Foreground(c.muted).Padding(0, 1).Bold(bold)
	s.TabActive = lipgloss.NewStyle().Foreground(c.barText).Background(c.barBg).Bold(true).Padding(0, 1)
	s.TabOwner = lipgloss.NewStyle().Foreground(c.accent)

	s.Status = lipgloss.NewStyle().Foreground(c.barText).Background(c.barBg)
	s.StatusKey = lipgloss.NewStyle().Foreground(c.barText).Background(c.barBg)
	if !bold {
		s.StatusKey = s.StatusKey.Foreground(c.muted)
	}
	s.StatusValue = lipgloss.NewStyle().Foreground(c.barText).Background(c.barBg).Bold(true)
	s.StatusSep = lipgloss.NewStyle().Foreground(c.subtle).Background(c.barBg)
	if bold {
		s.StatusSep = s.StatusSep.Foreground(c.barText)
	}

	border := lipgloss.RoundedBorder()
	if bold {
		border = lipgloss.ThickBorder()
	}
	s.Panel = lipgloss.NewStyle().Border(border).BorderForeground(c.subtle).Padding(0, 1)
	s.PanelActive = s.Panel.BorderForeground(c.accent)
	s.Title = lipgloss.NewStyle().Foreground(c.accent).Bold(true)
	s.Subtitle = lipgloss.NewStyle().Foreground(c.text).Bold(true)
	s.Muted = lipgloss.NewStyle().Foreground(c.muted)
	s.Selected = lipgloss.NewStyle().Foreground(c.accent).Bold(true)
	s.Header = lipgloss.NewStyle().Foreground(c.muted).Underline(true).Bold(bold)
	s.Number = lipgloss.NewStyle().Foreground(c.text).Bold(bold)
	s.Good = lipgloss.NewStyle().Foreground(c.good).Bold(bold)
	s.Bad = lipgloss.NewStyle().Foreground(c.bad).Bold(true)
	s.Warn = lipgloss.NewStyle().Foreground(c.warn).Bold(bold)
	s.Running = lipgloss.NewStyle().Foreground(c.running).Bold(bold)
	s.Arrow = lipgloss.NewStyle().Foreground(c.accent)
	s.Layer = map[string]lipgloss.Style{
		"landing": lipgloss.NewStyle().Foreground(c.muted).Bold(true),
		"bronze":  lipgloss.NewStyle().Foreground(c.bronze).Bold(true),
		"silver":  lipgloss.NewStyle().Foreground(c.silver).Bold(true),
		"gold":    lipgloss.NewStyle().Foreground(c.gold).Bold(true),
		"ml":      lipgloss.NewStyle().Foreground(c.accent).Bold(true),
		"sys":     lipgloss.NewStyle().Foreground(c.muted).Bold(true),
	}
	s.Flash = lipgloss.NewStyle().Foreground(c.accent).Bold(bold)
	s.Error = lipgloss.NewStyle().Foreground(c.bad).Bold(bold)
	s.Caption = lipgloss.NewStyle().Foreground(c.barText).Background(c.captionBg)
	if !bold {
		s.Caption = s.Caption.Foreground(c.text)
	}
	s.CaptionTitle = s.Caption.Bold(true)
	if !bold {
		s.CaptionTitle = s.CaptionTitle.Foreground(c.accent)
	}
	s.Notes = lipgloss.NewStyle().Foreground(c.text).Italic(!bold)
	s.TimerWarn = lipgloss.NewStyle().Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#FFB000")).Bold(true)
	s.TimerBad = lipgloss.NewStyle().Foreground(lipgloss.Color("#FFFFFF")).Background(lipgloss.Color("#C62828")).Bold(true)
	s.Help = help.New().Styles
	s.Help.ShortKey = lipgloss.NewStyle().Foreground(c.accent).Bold(bold)
	s.Help.FullKey = lipgloss.NewStyle().Foreground(c.accent).Bold(bold)
	if bold {
		s.Help.ShortDesc = s.Help.ShortDesc.Foreground(c.text)
		s.Help.FullDesc = s.Help.FullDesc.Foreground(c.text)
		s.Help.ShortSeparator = s.Help.ShortSeparator.Foreground(c.text)
	}
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
