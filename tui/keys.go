package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the keys the root model handles in every view.
type KeyMap struct {
	Views  key.Binding
	Next   key.Binding
	Prev   key.Binding
	Target key.Binding
	Help   key.Binding
	Quit   key.Binding
}

// NewKeyMap returns the global keys.
func NewKeyMap() KeyMap {
	return KeyMap{
		Views:  key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "role view")),
		Next:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next view")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous view")),
		Target: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "switch target")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the footer's part of the global keys.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Views, k.Target, k.Help, k.Quit} }

// FullHelp lists every global key.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Views, k.Next, k.Prev}, {k.Target, k.Help, k.Quit}}
}

// navKeys are the keys every panelled view shares.
type navKeys struct {
	Left  key.Binding
	Right key.Binding
	Up    key.Binding
	Down  key.Binding
	Enter key.Binding
	Back  key.Binding
}

func newNavKeys(enterHelp string) navKeys {
	return navKeys{
		Left:  key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "panel")),
		Right: key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→", "next panel")),
		Up:    key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "select")),
		Down:  key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		Enter: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", enterHelp)),
		Back:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"), key.WithDisabled()),
	}
}
