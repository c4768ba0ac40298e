package editor

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
)

// benchText is 5,000 lines of SQL.
func benchText() string {
	lines := []string{
		"-- daily revenue, by category",
		"SELECT category, date_trunc('day', ordered_at) AS day, sum(amount) AS revenue",
		"FROM gold.orders o JOIN silver.products p ON o.product_id = p.product_id",
		"WHERE ordered_at >= current_date - INTERVAL 30 DAY AND status <> 'cancelled'",
		"GROUP BY ALL ORDER BY day DESC, revenue DESC; /* block */ SELECT 42, 'it''s';",
	}
	var sb strings.Builder
	for i := range 5000 {
		sb.WriteString(lines[i%len(lines)])
		if i < 4999 {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// BenchmarkKeystroke is the time from a key typed in the middle of a
// 5,000-line buffer to the next frame drawn (Update then View, at
// 120x40), for the editor (highlighting, gutter) and, as the reference,
// bubbles' textarea on the same text (line numbers, no highlighting),
// keys alternating between a character and backspace. Reported: each
// median in µs and the ratio of the medians (editor / textarea).
func BenchmarkKeystroke(b *testing.B) {
	text := benchText()
	ed := New(Options{Text: text})
	ed.SetSize(120, 40)
	ed.Focus()
	ed.buf().cur = pos{2500, 20}
	ed.scroll()

	ta := textarea.New()
	ta.CharLimit = 0
	ta.MaxHeight = 0
	ta.SetWidth(120)
	ta.SetHeight(38)
	ta.SetValue(text)
	ta.Focus()
	for ta.Line() > 2500 {
		ta.CursorUp()
	}
	ta.SetCursor(20)

	keys := []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune{'x'}}, {Type: tea.KeyBackspace}}
	var edT, taT []time.Duration
	b.ResetTimer()
	for b.Loop() {
		// The textarea takes about half a second a key: fewer of its.
		for j := range 100 {
			k := keys[j%2]
			t0 := time.Now()
			ed, _ = ed.Update(k)
			_ = ed.View()
			edT = append(edT, time.Since(t0))
			if j < 6 {
				t0 = time.Now()
				ta, _ = ta.Update(k)
				_ = ta.View()
				taT = append(taT, time.Since(t0))
			}
		}
	}
	if ed.Value() != text || ta.Value() != text {
		b.Fatal("the keys changed the text")
	}
	e, r := median(edT), median(taT)
	b.ReportMetric(float64(e.Microseconds()), "editor-µs/key")
	b.ReportMetric(float64(r.Microseconds()), "textarea-µs/key")
	b.ReportMetric(float64(e)/float64(r), "ratio")
}

// BenchmarkPaste pastes 5,000 lines (bracketed paste: one message) into
// an empty buffer and draws the frame, against bubbles' textarea doing
// the same (no character or line limits). Reported: both medians in ms
// and their ratio (editor / textarea).
func BenchmarkPaste(b *testing.B) {
	text := benchText()
	msg := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(text), Paste: true}
	var edT, taT []time.Duration
	for b.Loop() {
		t0 := time.Now()
		ed := New(Options{})
		ed.SetSize(120, 40)
		ed.Focus()
		ed, _ = ed.Update(msg)
		_ = ed.View()
		edT = append(edT, time.Since(t0))

		t0 = time.Now()
		ta := textarea.New()
		ta.CharLimit = 0
		ta.MaxHeight = 0
		ta.SetWidth(120)
		ta.SetHeight(38)
		ta.Focus()
		ta, _ = ta.Update(msg)
		_ = ta.View()
		taT = append(taT, time.Since(t0))
		if ed.Value() != text || ta.Value() != text {
			b.Fatal("a paste lost text")
		}
	}
	e, r := median(edT), median(taT)
	b.ReportMetric(float64(e.Microseconds())/1000, "editor-ms")
	b.ReportMetric(float64(r.Microseconds())/1000, "textarea-ms")
	b.ReportMetric(float64(e)/float64(r), "ratio")
}
