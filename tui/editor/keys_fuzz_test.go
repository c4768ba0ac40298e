package editor

import (
	"context"
	"testing"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
)

// fuzzKeys are the keys FuzzKeys presses, by a byte's value.
var fuzzKeys = []string{"enter", "tab", "shift+tab", "esc", "backspace", "delete", "up", "down", "left", "right",
	"home", "end", "pgup", "pgdown", "shift+up", "shift+down", "shift+left", "shift+right", "shift+home", "shift+end",
	"ctrl+left", "ctrl+right", "ctrl+home", "ctrl+end", "ctrl+pgup", "ctrl+pgdown", "ctrl+a", "ctrl+e", "ctrl+f",
	"ctrl+j", "ctrl+k", "ctrl+n", "ctrl+r", "ctrl+v", "ctrl+w", "ctrl+x", "ctrl+y", "ctrl+z", "ctrl+_", "ctrl+@",
	"alt+1", "alt+2", "alt+c", "ctrl+s", "ctrl+o", "y", "n", "a", ".", ";", "'", "\"", "(", "-", "é", "界", " "}

// FuzzKeys presses keys chosen by the input, and pastes its text, on an
// editor of a small size; nothing may panic and the cursor stays in the
// text.
func FuzzKeys(f *testing.F) {
	f.Add([]byte{0, 1, 2, 40, 47, 30, 33}, "SELECT 'a;b' FROM t; -- x\n/* y")
	f.Add([]byte{26, 50, 46, 39, 5, 38, 37, 36}, "é界\t\x00\xff")
	complete := func(ctx context.Context, before string) ([]lakehouse.Suggestion, error) {
		return []lakehouse.Suggestion{{Text: "amount", Kind: "column", Detail: "DECIMAL"}, {Text: "界", Kind: "table"}}, nil
	}
	f.Fuzz(func(t *testing.T, presses []byte, paste string) {
		m := New(Options{Complete: complete, Dir: t.TempDir()})
		m.SetSize(24, 6)
		m.Focus()
		var cmd tea.Cmd
		m, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(paste), Paste: true})
		for i, p := range presses {
			if i > 200 {
				break
			}
			m, cmd = m.Update(press(fuzzKeys[int(p)%len(fuzzKeys)]))
			if cmd != nil && p%3 == 0 {
				if msg, ok := cmd().(completeMsg); ok {
					m, _ = m.Update(msg)
				}
			}
			b := m.buf()
			if b.cur.row < 0 || b.cur.row >= len(b.lines) || b.cur.col < 0 || b.cur.col > len(b.lines[b.cur.row]) {
				t.Fatalf("cursor %v outside the text", b.cur)
			}
			if b.cur.col < len(b.lines[b.cur.row]) && !utf8.RuneStart(b.lines[b.cur.row][b.cur.col]) && utf8.ValidString(b.lines[b.cur.row]) {
				t.Fatalf("cursor %v inside a character of %q", b.cur, b.lines[b.cur.row])
			}
			_ = m.View()
		}
		_ = cmd
	})
}
