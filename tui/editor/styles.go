package editor

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Styles is how the editor looks; the TUI builds it from its theme.
type Styles struct {
	Text, Keyword, Function, String, Number, Comment, QuotedIdent, Operator, Param lipgloss.Style

	Gutter, GutterCurrent lipgloss.Style
	// Cursor, Selection, Error and Match (the bracket matching the one
	// at the cursor) are laid over the text's own style.
	Cursor, Selection, Error, Match lipgloss.Style

	Tab, TabActive lipgloss.Style
	Status         lipgloss.Style
	StatusError    lipgloss.Style
	Prompt         lipgloss.Style

	Popup, PopupSelected, PopupKind, PopupDetail lipgloss.Style
}

// DefaultStyles is a theme for dark and light terminals.
func DefaultStyles() Styles {
	c := func(light, dark string) lipgloss.AdaptiveColor {
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	fg := func(light, dark string) lipgloss.Style { return lipgloss.NewStyle().Foreground(c(light, dark)) }
	muted := c("#6B6B80", "#8A8AA0")
	popBg := c("#ECEAF6", "#24233A")
	return Styles{
		Text:          lipgloss.NewStyle(),
		Keyword:       fg("#5A3FC0", "#A48BFF").Bold(true),
		Function:      fg("#0B63B6", "#6CB6FF"),
		String:        fg("#1E7F4F", "#5FD08F"),
		Number:        fg("#9A6700", "#F2C14E"),
		Comment:       lipgloss.NewStyle().Foreground(muted).Italic(true),
		QuotedIdent:   fg("#8C5A2B", "#D9A066"),
		Operator:      fg("#B3261E", "#FF8F8F"),
		Param:         fg("#9A6700", "#F2C14E").Bold(true),
		Gutter:        lipgloss.NewStyle().Foreground(muted),
		GutterCurrent: fg("#1F1F28", "#E6E6EF").Bold(true),
		Cursor:        lipgloss.NewStyle().Reverse(true),
		Selection:     lipgloss.NewStyle().Background(c("#D8D8E4", "#3A3A5A")),
		Error:         lipgloss.NewStyle().Underline(true).Foreground(c("#B3261E", "#FF6B6B")),
		Match:         lipgloss.NewStyle().Bold(true).Underline(true),
		Tab:           lipgloss.NewStyle().Foreground(muted),
		TabActive:     fg("#1F1F28", "#E6E6EF").Background(popBg).Bold(true),
		Status:        lipgloss.NewStyle().Foreground(muted),
		StatusError:   fg("#B3261E", "#FF6B6B"),
		Prompt:        fg("#5A3FC0", "#A48BFF").Bold(true),
		Popup:         lipgloss.NewStyle().Background(popBg),
		PopupSelected: lipgloss.NewStyle().Background(c("#5A3FC0", "#A48BFF")).Foreground(c("#FFFFFF", "#1F1F28")),
		PopupKind:     lipgloss.NewStyle().Background(popBg).Foreground(muted),
		PopupDetail:   lipgloss.NewStyle().Background(popBg).Foreground(muted).Italic(true),
	}
}

// paint is a style as the escape codes before and after its text, so a
// line of many tokens is drawn without rendering each through lipgloss.
type paint struct{ pre, post string }

func paintOf(s lipgloss.Style) paint {
	out := s.Render("X")
	i := strings.LastIndex(out, "X")
	if i < 0 {
		return paint{}
	}
	return paint{pre: out[:i], post: out[i+1:]}
}

// Overlays of a cell, in increasing priority.
const (
	overNone = iota
	overSelection
	overMatch
	overError
	overCursor
	overCount
)

// textKinds are the styles of text cells.
const (
	tkText = iota
	tkKeyword
	tkFunction
	tkString
	tkNumber
	tkComment
	tkQuoted
	tkOperator
	tkParam
	tkCount
)

// paints are a theme's cells, computed once per theme.
type paints struct {
	cell                  [tkCount][overCount]paint
	gutter, gutterCurrent paint
}

func newPaints(s Styles) *paints {
	p := &paints{gutter: paintOf(s.Gutter), gutterCurrent: paintOf(s.GutterCurrent)}
	base := [tkCount]lipgloss.Style{s.Text, s.Keyword, s.Function, s.String, s.Number, s.Comment, s.QuotedIdent,
		s.Operator, s.Param}
	for k, st := range base {
		p.cell[k][overNone] = paintOf(st)
		p.cell[k][overSelection] = paintOf(s.Selection.Inherit(st))
		p.cell[k][overMatch] = paintOf(s.Match.Inherit(st))
		p.cell[k][overError] = paintOf(s.Error.Inherit(st))
		p.cell[k][overCursor] = paintOf(s.Cursor.Inherit(st))
	}
	return p
}

// textKind is the style of a token; fn says a name is called.
func textKind(k Kind, fn bool) int {
	switch k {
	case Keyword, SoftKeyword:
		if fn && k == SoftKeyword {
			return tkFunction
		}
		return tkKeyword
	case Word:
		if fn {
			return tkFunction
		}
	case String:
		return tkString
	case Number:
		return tkNumber
	case Comment:
		return tkComment
	case QuotedIdent:
		return tkQuoted
	case Operator:
		return tkOperator
	case Param:
		return tkParam
	}
	return tkText
}
