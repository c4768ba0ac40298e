package chart

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
)

// PickMsg is what a Picker sends when the chart it describes changes (so
// its owner redraws at once) and, with Done, when the user is finished.
type PickMsg struct {
	Spec Spec
	Done bool
}

// PickerKeyMap are a Picker's keys.
type PickerKeyMap struct {
	// Next and Prev move between the fields (kind, x, y, line per).
	Next key.Binding
	Prev key.Binding
	// Up and Down change the focused field's value.
	Up   key.Binding
	Down key.Binding
	// Done closes the picker (PickMsg with Done).
	Done key.Binding
}

// DefaultPickerKeyMap returns the Picker's keys.
func DefaultPickerKeyMap() PickerKeyMap {
	return PickerKeyMap{
		Next: key.NewBinding(key.WithKeys("tab", "right", "l"), key.WithHelp("tab/→", "next field")),
		Prev: key.NewBinding(key.WithKeys("shift+tab", "left", "h"), key.WithHelp("shift+tab/←", "previous field")),
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "change")),
		Down: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "next value")),
		Done: key.NewBinding(key.WithKeys("enter", "esc"), key.WithHelp("enter", "done")),
	}
}

// ShortHelp lists the keys for a footer.
func (k PickerKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Up, k.Done} }

// FullHelp lists every key.
func (k PickerKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev}, {k.Up, k.Down, k.Done}}
}

// The picker's fields.
const (
	fieldKind = iota
	fieldX
	fieldY
	fieldSplit // line, time series and scatter only
)

// fields is how many fields the current kind has.
func (p *Picker) fields() int {
	switch p.spec.Kind {
	case KindLine, KindTimeSeries, KindScatter:
		if len(p.splitOptions()) > 1 {
			return 4
		}
	}
	return 3
}

// splitOptions are the columns that may split the rows into lines, after
// -1 for none.
func (p *Picker) splitOptions() []int {
	opts := []int{-1}
	for i := range p.cols {
		if fitsSplit(p.cols, i) == "" {
			opts = append(opts, i)
		}
	}
	return opts
}

// Picker chooses a chart for a result: its kind, its x and y columns and,
// for lines and dots, a text column to draw a line per value of, offering
// only the columns that fit the kind (a time series takes a date on x,
// every kind a number on y). Each change sends a PickMsg.
type Picker struct {
	KeyMap  PickerKeyMap
	styles  Styles
	cols    []lakehouse.Column
	spec    Spec
	field   int
	width   int
	height  int
	focused bool
}

// NewPicker returns a picker over a result's columns starting at spec
// (Auto's choice, say), focused.
func NewPicker(st Styles, cols []lakehouse.Column, spec Spec) Picker {
	p := Picker{KeyMap: DefaultPickerKeyMap(), styles: st, focused: true}
	p.SetColumns(cols, spec)
	return p
}

// SetColumns replaces the result the picker chooses for, starting at spec;
// a spec that does not fit the columns becomes the first that does.
func (p *Picker) SetColumns(cols []lakehouse.Column, spec Spec) {
	p.cols, p.spec = cols, spec
	if spec.Kind == KindNone || len(p.xOptions(spec.Kind)) == 0 {
		for _, k := range Kinds {
			if len(p.xOptions(k)) > 0 {
				p.spec.Kind = k
				break
			}
		}
	}
	p.settle()
}

// settle keeps x and y among the columns the kind takes.
func (p *Picker) settle() {
	if xs := p.xOptions(p.spec.Kind); len(xs) > 0 && !slices.Contains(xs, p.spec.X) {
		p.spec.X = xs[0]
		if p.spec.Kind == KindSparkline || p.spec.Kind == KindLine {
			// a column over the row number when there is one
			for _, x := range xs {
				if x != RowNumber {
					p.spec.X = x
					break
				}
			}
		}
	}
	if ys := p.yOptions(); len(ys) > 0 && !slices.Contains(ys, p.spec.Y) {
		p.spec.Y = ys[0]
		for _, y := range ys {
			if y != p.spec.X {
				p.spec.Y = y
				break
			}
		}
	}
	if c, ok := p.spec.Split(); ok && (p.fields() < 4 || fitsSplit(p.cols, c) != "") {
		p.spec = p.spec.Unsplit()
	}
	p.field = min(p.field, p.fields()-1)
	p.spec.Reason = ""
	if len(p.yOptions()) == 0 {
		p.spec = Auto(p.cols, nil) // says why
	}
}

// xOptions are the x columns a kind takes, the row number first where it
// may be.
func (p *Picker) xOptions(k Kind) []int {
	var xs []int
	if fitsX(k, p.cols, RowNumber) == "" {
		xs = append(xs, RowNumber)
	}
	for i := range p.cols {
		if fitsX(k, p.cols, i) == "" {
			xs = append(xs, i)
		}
	}
	if k == KindBar && len(xs) > 1 {
		xs = xs[1:] // a bar per row number only when nothing else
	}
	return xs
}

func (p *Picker) yOptions() []int {
	var ys []int
	for i := range p.cols {
		if fitsY(p.cols, i) == "" {
			ys = append(ys, i)
		}
	}
	return ys
}

// Spec is the chart chosen.
func (p Picker) Spec() Spec { return p.spec }

// SetSize sets the cells View fills.
func (p *Picker) SetSize(w, h int) { p.width, p.height = max(0, w), max(0, h) }

// Focus lets the picker take keys; Blur stops it.
func (p *Picker) Focus() { p.focused = true }

// Blur stops the picker taking keys.
func (p *Picker) Blur() { p.focused = false }

// Focused reports whether the picker takes keys.
func (p Picker) Focused() bool { return p.focused }

// Update moves between the fields and changes their values, sending a
// PickMsg when the chart changes or the user is done.
func (p Picker) Update(msg tea.Msg) (Picker, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !p.focused {
		return p, nil
	}
	before := p.spec
	switch {
	case key.Matches(km, p.KeyMap.Done):
		spec := p.spec
		return p, func() tea.Msg { return PickMsg{Spec: spec, Done: true} }
	case key.Matches(km, p.KeyMap.Next):
		p.field = (p.field + 1) % p.fields()
	case key.Matches(km, p.KeyMap.Prev):
		p.field = (p.field + p.fields() - 1) % p.fields()
	case key.Matches(km, p.KeyMap.Up):
		p.step(-1)
	case key.Matches(km, p.KeyMap.Down):
		p.step(1)
	default:
		return p, nil
	}
	if p.spec == before {
		return p, nil
	}
	spec := p.spec
	return p, func() tea.Msg { return PickMsg{Spec: spec} }
}

// step moves the focused field's value by d among its options.
func (p *Picker) step(d int) {
	if p.spec.Kind == KindNone {
		return
	}
	switch p.field {
	case fieldKind:
		var kinds []Kind
		for _, k := range Kinds {
			if len(p.xOptions(k)) > 0 {
				kinds = append(kinds, k)
			}
		}
		p.spec.Kind = cycle(kinds, p.spec.Kind, d)
		// A bar chart starts on the first text column, as Auto's would.
		if p.spec.Kind == KindBar && (p.spec.X < 0 || classOf(p.cols[p.spec.X]) != classText) {
			for i, c := range p.cols {
				if classOf(c) == classText {
					p.spec.X = i
					break
				}
			}
		}
	case fieldX:
		p.spec.X = cycle(p.xOptions(p.spec.Kind), p.spec.X, d)
	case fieldY:
		p.spec.Y = cycle(p.yOptions(), p.spec.Y, d)
	case fieldSplit:
		cur, ok := p.spec.Split()
		if !ok {
			cur = -1
		}
		if next := cycle(p.splitOptions(), cur, d); next < 0 {
			p.spec = p.spec.Unsplit()
		} else {
			p.spec = p.spec.SplitBy(next)
		}
	}
	p.settle()
}

// cycle is the value d places from cur in opts, wrapping.
func cycle[T comparable](opts []T, cur T, d int) T {
	if len(opts) == 0 {
		return cur
	}
	i := slices.Index(opts, cur)
	if i < 0 {
		return opts[0]
	}
	return opts[((i+d)%len(opts)+len(opts))%len(opts)]
}

// View draws the fields on one line (‹ › around the focused one) and,
// with a second line, the keys.
func (p Picker) View() string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	st := p.styles
	if p.spec.Kind == KindNone {
		return block(wrap(p.spec.Reason, p.width), p.width, p.height)
	}
	name := func(x int) string {
		if x == RowNumber {
			return "row number"
		}
		if x >= 0 && x < len(p.cols) {
			return p.cols[x].Name
		}
		return "?"
	}
	fields := []struct{ label, value string }{
		{"chart", p.spec.Kind.String()}, {"x", name(p.spec.X)}, {"y", name(p.spec.Y)},
	}
	if p.fields() == 4 {
		by := "none"
		if c, ok := p.spec.Split(); ok {
			by = name(c)
		}
		fields = append(fields, struct{ label, value string }{"line per", by})
	}
	var parts []string
	for i, f := range fields {
		v := "  " + f.value + "  "
		if i == p.field && p.focused {
			v = st.Hit.Render("‹ " + f.value + " ›")
		}
		parts = append(parts, st.Muted.Render(f.label)+" "+v)
	}
	lines := []string{strings.Join(parts, "  ")}
	if p.height >= 2 {
		var keys []string
		for _, b := range p.KeyMap.ShortHelp() {
			if b.Enabled() {
				keys = append(keys, b.Help().Key+" "+b.Help().Desc)
			}
		}
		lines = append(lines, st.Muted.Render(strings.Join(keys, " · ")))
	}
	return block(lines, p.width, p.height)
}
