package editor

import (
	"context"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
)

// popupRows is the most suggestions the popup shows at once.
const popupRows = 8

// popup is the completion list: the last answer, filtered by what was
// typed since it was asked for.
type popup struct {
	open    bool
	loading bool
	buf     int // the buffer it completes in
	start   pos // where the word it replaces starts
	items   []lakehouse.Suggestion
	asked   string // the word when the shown items were asked for
	sel     int
	offset  int // first item shown
}

// completeMsg is Complete's answer to request seq.
type completeMsg struct {
	id    int64
	seq   int
	word  string
	items []lakehouse.Suggestion
	err   error
}

func (p *popup) move(n int) {
	p.sel = max(0, min(p.sel+n, len(p.items)-1))
	if p.sel < p.offset {
		p.offset = p.sel
	}
	if p.sel >= p.offset+popupRows {
		p.offset = p.sel - popupRows + 1
	}
}

func (m *Model) closePopup() {
	m.pop = popup{}
	m.seq++ // answers on their way are stale now
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}

// requestCompletion asks Complete about the statement before the cursor,
// in a command; the popup opens at once and shows the answer when it
// comes, unless typing went on (a newer request) or it closed.
func (m *Model) requestCompletion() tea.Cmd {
	if m.complete == nil {
		m.setStatus("completion is not available here", false)
		return nil
	}
	b := m.buf()
	start := b.wordStart(b.cur)
	if !m.pop.open || m.pop.buf != b.id || m.pop.start != start {
		m.pop = popup{open: true, buf: b.id, start: start}
	}
	m.pop.loading = true
	before := m.statementBefore(b.cur)
	word := b.slice(start, b.cur)
	m.seq++
	if m.cancel != nil {
		m.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	id, seq, fn := m.id, m.seq, m.complete
	m.filterPopup()
	return func() tea.Msg {
		items, err := fn(ctx, before)
		return completeMsg{id: id, seq: seq, word: word, items: items, err: err}
	}
}

// completed takes an answer: a stale one (an older request) is dropped.
func (m *Model) completed(msg completeMsg) {
	if msg.seq != m.seq || !m.pop.open {
		return
	}
	m.cancel = nil
	m.pop.loading = false
	if msg.err != nil {
		m.closePopup()
		m.setStatus("completion: "+msg.err.Error(), true)
		return
	}
	m.pop.items, m.pop.asked = msg.items, msg.word
	m.pop.sel, m.pop.offset = 0, 0
	if len(m.pop.items) == 0 {
		m.closePopup()
		m.setStatus("no completions", false)
	}
}

// filterPopup keeps the suggestions that still fit the word being typed
// while a newer answer is on its way.
func (m *Model) filterPopup() {
	b := m.buf()
	word := strings.ToLower(b.slice(m.pop.start, b.cur))
	if word == strings.ToLower(m.pop.asked) {
		return
	}
	kept := m.pop.items[:0:0]
	for _, it := range m.pop.items {
		if strings.HasPrefix(strings.ToLower(strings.Trim(it.Text, `"`)), strings.Trim(word, `"`)) {
			kept = append(kept, it)
		}
	}
	m.pop.items = kept
	m.pop.sel, m.pop.offset = 0, 0
}

// accept replaces the word being typed by the selected suggestion.
func (m *Model) accept() bool {
	if len(m.pop.items) == 0 {
		return false
	}
	b := m.buf()
	it := m.pop.items[m.pop.sel]
	start := m.pop.start
	m.closePopup()
	// A word typed out in full is left as it is, and the key does what
	// it does without the popup (enter breaks the line).
	if start.row != b.cur.row || start.col > b.cur.col || b.slice(start, b.cur) == it.Text {
		return false
	}
	b.replace(start, b.cur, it.Text, false)
	return true
}

// statementBefore is the text of the statement holding p, up to p: from
// the last semicolon in code before it.
func (m *Model) statementBefore(p pos) string {
	b := m.buf()
	for r := p.row; r >= 0; r-- {
		line := b.lines[r]
		if r == p.row {
			line = line[:p.col]
		}
		semi := -1
		lex(line, b.stateAt(r), func(t Token) {
			if t.Kind == Punct && line[t.Start] == ';' {
				semi = t.End
			}
		})
		if semi >= 0 {
			return b.slice(pos{r, semi}, p)
		}
	}
	return b.slice(pos{}, p)
}

// overlayPopup draws the popup over the text lines, under the cursor (or
// above it when there is no room below).
func (m Model) overlayPopup(lines []string) {
	p := m.pop
	b := m.buf()
	if p.buf != b.id {
		return
	}
	var rows []string
	n := min(popupRows, len(p.items)-p.offset)
	if len(p.items) == 0 {
		rows = []string{m.styles.PopupKind.Render(" … ")}
	} else {
		tw, kw, dw := 0, 0, 0
		for _, it := range p.items[p.offset : p.offset+n] {
			tw = max(tw, ansi.StringWidth(it.Text))
			kw = max(kw, ansi.StringWidth(it.Kind))
			dw = max(dw, ansi.StringWidth(oneLine(it.Detail)))
		}
		tw, dw = min(tw, 32), min(dw, 24)
		for i, it := range p.items[p.offset : p.offset+n] {
			text := " " + fitWidth(it.Text, tw) + " "
			kind := fitWidth(it.Kind, kw) + " "
			detail := ""
			if dw > 0 {
				detail = fitWidth(oneLine(it.Detail), dw) + " "
			}
			if p.offset+i == p.sel {
				rows = append(rows, m.styles.PopupSelected.Render("▸"+text[1:]+kind+detail))
			} else {
				rows = append(rows, m.styles.Popup.Render(text)+m.styles.PopupKind.Render(kind)+m.styles.PopupDetail.Render(detail))
			}
		}
	}
	pw := 0
	for _, r := range rows {
		pw = max(pw, ansi.StringWidth(r))
	}
	pw = min(pw, m.width)
	x := m.gutterWidth() + displayCol(b.lines[p.start.row], p.start.col, m.tabWidth) - b.left
	x = max(0, min(x, m.width-pw))
	y := b.cur.row - b.top + 1
	if y+len(rows) > len(lines) {
		y = b.cur.row - b.top - len(rows)
	}
	if y < 0 {
		y = 0
	}
	for i, r := range rows {
		if y+i >= len(lines) {
			break
		}
		l := lines[y+i]
		lines[y+i] = ansi.Cut(l, 0, x) + fitWidth(r, pw) + ansi.Cut(l, x+pw, m.width)
	}
}
