package editor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

const goldenSQL = `-- revenue by category, last 30 days
WITH recent AS (
    SELECT * FROM gold.orders WHERE ordered_at >= current_date - INTERVAL 30 DAY
)
SELECT category, sum(amount) AS revenue, count(*) AS "orders; all"
FROM recent
GROUP BY category
ORDER BY revenue DESC; /* a block
comment */ SELECT 'it''s', $$a;b$$, 42, 1.5e3, x::INTEGER FROM t;
`

// TestGolden draws the editor at 80x24 and 160x48: several buffers, a
// highlighted query, the completion popup, DuckDB's error marked, and a
// long line scrolled sideways (go test ./tui/editor -run TestGolden
// -update rewrites testdata/TestGolden/*.golden).
func TestGolden(t *testing.T) {
	fn, _ := duckComplete(t)
	screens := []struct {
		name string
		set  func(t *testing.T, m *Model)
	}{
		{"query", func(t *testing.T, m *Model) { keys(t, m, "down", "down", "down", "end") }},
		{"completion", func(t *testing.T, m *Model) {
			keys(t, m, "ctrl+n")
			typeText(t, m, "SELECT amount\nFROM gold.orders\nWHERE orders.")
		}},
		{"error", func(t *testing.T, m *Model) {
			m.SetError(strings.Index(goldenSQL, "category, sum"), `Binder Error: Referenced column "category" not found in FROM clause! Candidate bindings: "recent.order_id"`)
		}},
		{"scrolled", func(t *testing.T, m *Model) {
			keys(t, m, "ctrl+n")
			typeText(t, m, "SELECT "+strings.Repeat("amount + ", 30)+"1 AS total FROM gold.orders LIMIT 5")
		}},
		{"save_prompt", func(t *testing.T, m *Model) {
			keys(t, m, "ctrl+s")
			typeText(t, m, "queries/revenue.sql")
		}},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				m := New(Options{Text: goldenSQL, Complete: fn})
				m.SetSize(size[0], size[1])
				m.Focus()
				sc.set(t, &m)
				out := m.View()
				lines := strings.Split(out, "\n")
				if len(lines) != size[1] {
					t.Errorf("%d lines, want %d", len(lines), size[1])
				}
				for i, l := range lines {
					if w := len([]rune(l)); w > size[0] {
						t.Errorf("line %d is %d wide: %q", i, w, l)
					}
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestEmojiSequencesOneWidth: emoji joined or restyled (a skin tone, a
// zero-width joiner, a variation selector) measure differently by
// grapheme and by character, and terminals disagree on them (tmux drew
// 👍🏽 four columns wide and ❤️ one, and the editor's lines moved): the
// editor draws them apart, as the results grid does, so both measures
// agree on every line, with the cursor anywhere on them, and the text
// keeps every character.
func TestEmojiSequencesOneWidth(t *testing.T) {
	text := "SELECT '👍🏽x', '❤️y', '👨‍👩‍👧w', 'z' -- 界\nFROM t"
	m := newTest(t, text, Options{})
	m.SetSize(60, 8)
	for range len([]rune(text)) + 2 {
		for i, l := range strings.Split(m.View(), "\n") {
			if g, c := ansi.StringWidth(l), ansi.StringWidthWc(l); g != 60 || c != 60 {
				t.Fatalf("line %d is %d cells wide by grapheme and %d by character, want 60 (cursor %v): %q", i, g, c, m.buf().cur, l)
			}
		}
		keys(t, m, "right")
	}
	if m.Value() != text {
		t.Fatalf("the text changed: %q", m.Value())
	}
}
