package grid

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the grid's keys.
type KeyMap struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	Left     key.Binding
	Right    key.Binding
	Freeze   key.Binding
	Goto     key.Binding
	Filter   key.Binding
	SortAsc  key.Binding
	SortDesc key.Binding
	View     key.Binding
	CopyCell key.Binding
	CopyRow  key.Binding
	Select   key.Binding
	// Back closes the cell viewer, a prompt or the selection.
	Back key.Binding
}

// DefaultKeyMap returns the grid's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "row up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "row down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g", "ctrl+home"), key.WithHelp("home/g", "first row")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G", "ctrl+end"), key.WithHelp("end/G", "last row")),
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "column left")),
		Right:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "column right")),
		Freeze:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "freeze first column")),
		Goto:     key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "go to row")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter (SQL)")),
		SortAsc:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort ascending")),
		SortDesc: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sort descending")),
		View:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "view cell")),
		CopyCell: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy cell")),
		CopyRow:  key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "copy row")),
		Select:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "select")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close"), key.WithDisabled()),
	}
}

// ShortHelp is the footer's part of the grid's keys: pairs of keys share
// an entry there (FullHelp lists each key once, with its own help).
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{pair(k.Up, k.Down, "↑/↓", "row"), pair(k.Left, k.Right, "←/→", "column"),
		pair(k.Top, k.Bottom, "home/end", "first/last row"), k.Goto, k.Sorts(),
		k.Filter, k.View, k.Copies(), k.Back}
}

// Sorts is one help entry for s and S.
func (k KeyMap) Sorts() key.Binding { return pair(k.SortAsc, k.SortDesc, "s/S", "sort asc/desc") }

// Copies is one help entry for y and Y.
func (k KeyMap) Copies() key.Binding { return pair(k.CopyCell, k.CopyRow, "y/Y", "copy cell/row") }

// pair is one help entry for two bindings, enabled while either is.
func pair(a, b key.Binding, keys, desc string) key.Binding {
	p := key.NewBinding(key.WithKeys(append(a.Keys(), b.Keys()...)...), key.WithHelp(keys, desc))
	p.SetEnabled(a.Enabled() || b.Enabled())
	return p
}

// FullHelp lists every grid key.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Left, k.Right, k.Freeze, k.Goto},
		{k.SortAsc, k.SortDesc, k.Filter, k.View},
		{k.CopyCell, k.CopyRow, k.Select, k.Back},
	}
}
