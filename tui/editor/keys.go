package editor

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key of the editor. While the editor is focused it takes
// all keys but ctrl+c (its owner's, to cancel a query or quit) and esc
// with nothing open (BlurMsg gives the focus back).
type KeyMap struct {
	Up, Down, Left, Right   key.Binding
	WordLeft, WordRight     key.Binding
	LineStart, LineEnd      key.Binding
	PageUp, PageDown        key.Binding
	DocStart, DocEnd        key.Binding
	SelectUp, SelectDown    key.Binding
	SelectLeft, SelectRight key.Binding
	SelectWordLeft          key.Binding
	SelectWordRight         key.Binding
	SelectLineStart         key.Binding
	SelectLineEnd           key.Binding
	SelectDocStart          key.Binding
	SelectDocEnd            key.Binding
	SelectAll               key.Binding

	Backspace, Delete  key.Binding
	DeleteWordBackward key.Binding
	DeleteWordForward  key.Binding
	DeleteToLineEnd    key.Binding
	Newline            key.Binding
	Indent, Dedent     key.Binding
	Cut, Copy, Paste   key.Binding
	Undo, Redo         key.Binding

	// Complete opens the completion popup; in it, Up and Down move,
	// Accept takes the suggestion and Close (esc) shuts it. Tab also
	// opens it after a word, and a '.' typed after a name does.
	Complete key.Binding
	Accept   key.Binding

	Run     key.Binding // the statement under the cursor, or the selection
	RunAll  key.Binding
	Format  key.Binding
	Comment key.Binding

	NewBuffer, CloseBuffer key.Binding
	NextBuffer, PrevBuffer key.Binding
	GotoBuffer             key.Binding // alt+1..alt+9
	Open, Save, SaveAs     key.Binding

	// Close shuts the popup or prompt, drops the selection or the error,
	// and with nothing of those gives the focus back (BlurMsg).
	Close key.Binding
}

// DefaultKeyMap returns the editor's keys. They avoid ctrl+c (its owner's)
// and match Harlequin's where a terminal sends them: ctrl+j (and
// ctrl+enter, which many terminals send as ctrl+j) runs, ctrl+/ (sent as
// ctrl+_) comments, ctrl+n, ctrl+w and ctrl+pgup/pgdown manage buffers.
func DefaultKeyMap() KeyMap {
	k := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:              k("↑", "up", "up"),
		Down:            k("↓", "down", "down"),
		Left:            k("←", "left", "left"),
		Right:           k("→", "right", "right"),
		WordLeft:        k("ctrl+←", "word left", "ctrl+left", "alt+left", "alt+b"),
		WordRight:       k("ctrl+→", "word right", "ctrl+right", "alt+right", "alt+f"),
		LineStart:       k("home", "line start", "home"),
		LineEnd:         k("end", "line end", "end", "ctrl+e"),
		PageUp:          k("pgup", "page up", "pgup"),
		PageDown:        k("pgdown", "page down", "pgdown"),
		DocStart:        k("ctrl+home", "top", "ctrl+home"),
		DocEnd:          k("ctrl+end", "bottom", "ctrl+end"),
		SelectUp:        k("shift+↑", "select up", "shift+up"),
		SelectDown:      k("shift+↓", "select down", "shift+down"),
		SelectLeft:      k("shift+←", "select left", "shift+left"),
		SelectRight:     k("shift+→", "select", "shift+right"),
		SelectWordLeft:  k("ctrl+shift+←", "select word left", "ctrl+shift+left"),
		SelectWordRight: k("ctrl+shift+→", "select word right", "ctrl+shift+right"),
		SelectLineStart: k("shift+home", "select to line start", "shift+home"),
		SelectLineEnd:   k("shift+end", "select to line end", "shift+end"),
		SelectDocStart:  k("ctrl+shift+home", "select to top", "ctrl+shift+home"),
		SelectDocEnd:    k("ctrl+shift+end", "select to bottom", "ctrl+shift+end"),
		SelectAll:       k("ctrl+a", "select all", "ctrl+a"),

		Backspace:          k("backspace", "delete left", "backspace", "ctrl+h"),
		Delete:             k("delete", "delete right", "delete", "ctrl+d"),
		DeleteWordBackward: k("alt+backspace", "delete word left", "alt+backspace", "ctrl+backspace"),
		DeleteWordForward:  k("alt+delete", "delete word right", "alt+delete", "alt+d"),
		DeleteToLineEnd:    k("ctrl+k", "delete to line end", "ctrl+k"),
		Newline:            k("enter", "new line", "enter"),
		Indent:             k("tab", "indent", "tab"),
		Dedent:             k("shift+tab", "dedent", "shift+tab"),
		Cut:                k("ctrl+x", "cut", "ctrl+x"),
		Copy:               k("alt+c", "copy", "alt+c", "alt+w"),
		Paste:              k("ctrl+v", "paste", "ctrl+v"),
		Undo:               k("ctrl+z", "undo", "ctrl+z"),
		Redo:               k("ctrl+y", "redo", "ctrl+y"),

		Complete: k("ctrl+space", "complete", "ctrl+@", "ctrl+ "),
		Accept:   k("tab/enter", "accept", "tab", "enter"),

		Run:     k("ctrl+j", "run statement", "ctrl+j", "ctrl+enter"),
		RunAll:  k("ctrl+r", "run all", "ctrl+r", "f5"),
		Format:  k("ctrl+f", "format", "ctrl+f", "f4"),
		Comment: k("ctrl+/", "comment", "ctrl+_", "ctrl+/", "ctrl+7"),

		NewBuffer:   k("ctrl+n", "new buffer", "ctrl+n"),
		CloseBuffer: k("ctrl+w", "close buffer", "ctrl+w"),
		NextBuffer:  k("ctrl+pgdown", "next buffer", "ctrl+pgdown"),
		PrevBuffer:  k("ctrl+pgup", "previous buffer", "ctrl+pgup"),
		GotoBuffer: k("alt+1…9", "buffer 1-9", "alt+1", "alt+2", "alt+3", "alt+4", "alt+5", "alt+6", "alt+7",
			"alt+8", "alt+9"),
		Open:   k("ctrl+o", "open file", "ctrl+o"),
		Save:   k("ctrl+s", "save file", "ctrl+s"),
		SaveAs: k("alt+s", "save as", "alt+s"),

		Close: k("esc", "close / leave", "esc"),
	}
}

// ShortHelp is the editor's part of a footer.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Run, k.RunAll, k.Complete, k.Format, k.Comment, k.Save, k.Close}
}

// FullHelp lists the editor's keys by group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Run, k.RunAll, k.Format, k.Comment, k.Complete, k.Accept},
		{k.NewBuffer, k.CloseBuffer, k.NextBuffer, k.PrevBuffer, k.GotoBuffer, k.Open, k.Save, k.SaveAs},
		{k.Undo, k.Redo, k.Cut, k.Copy, k.Paste, k.SelectAll, k.SelectRight, k.Indent, k.Dedent},
		{k.WordLeft, k.WordRight, k.LineStart, k.LineEnd, k.DocStart, k.DocEnd, k.Close},
	}
}
