// Package editor is the TUI's SQL editor, a component in the style of
// bubbles' textarea: keyword highlighting from its own lexer over DuckDB's
// keyword list, completion from a function its owner gives (run in a
// tea.Cmd, never blocking typing), several buffers, running the statement
// under the cursor or all of them (RunMsg), a formatter, comment toggling,
// .sql files, undo and DuckDB's error position marked in the text.
//
// It keeps its own text buffer rather than wrapping bubbles' textarea: the
// textarea cannot color tokens, select, scroll sideways or undo, and its
// Value joins every line on each call; the editor needs the text as lines
// to lex only the lines it draws (with the lexer state at each line's
// start cached), byte offsets for statements and errors, and selections.
package editor

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
)

// RunMsg asks the editor's owner to run statements: the one under the
// cursor or the selection (KeyMap.Run), or every statement of the buffer
// (KeyMap.RunAll). Offsets are bytes of the current buffer's text, so a
// DuckDB error at position p of a statement s is SetError(s.Start+p, ...).
type RunMsg struct {
	Statements []Statement
}

// BlurMsg says the user left the editor (esc with nothing open): its
// owner moves the focus elsewhere.
type BlurMsg struct{}

// CompleteFunc suggests completions of sqlBefore, the statement's text
// before the cursor.
type CompleteFunc func(ctx context.Context, sqlBefore string) ([]lakehouse.Suggestion, error)

// Options configures New.
type Options struct {
	// Complete feeds the completion popup; nil turns completion off.
	Complete CompleteFunc
	// Styles is the theme; the zero value means DefaultStyles.
	Styles *Styles
	// Dir is where relative paths of opened and saved files start; ""
	// is the working directory.
	Dir string
	// TabWidth is the spaces a tab inserts (default 4).
	TabWidth int
	// Text is the first buffer's text.
	Text string
}

// lastID numbers editors, so each takes only its own messages.
var lastID atomic.Int64

// Model is the editor. Its buffers are shared by copies of a Model, as a
// textarea's memoized lines are: keep one Model and assign Update's
// result back to it.
type Model struct {
	// KeyMap is the editor's keys; change them before use.
	KeyMap KeyMap

	id       int64
	complete CompleteFunc
	dir      string
	tabWidth int
	styles   Styles
	paints   *paints

	bufs    []*buffer
	active  int
	nextBuf int

	width, height int
	focused       bool

	pop    popup
	seq    int
	cancel context.CancelFunc

	prompt    promptKind
	input     string                 // the prompt's answer being typed
	confirm   func(m *Model) tea.Cmd // what "y" at a confirm prompt does
	status    string
	statusErr bool
	clipboard string
}

// New returns an editor with one buffer.
func New(opts Options) Model {
	m := Model{
		KeyMap:   DefaultKeyMap(),
		id:       lastID.Add(1),
		complete: opts.Complete,
		dir:      opts.Dir,
		tabWidth: opts.TabWidth,
		width:    80,
		height:   10,
	}
	if m.tabWidth <= 0 {
		m.tabWidth = 4
	}
	st := DefaultStyles()
	if opts.Styles != nil {
		st = *opts.Styles
	}
	m.SetStyles(st)
	m.addBuffer("", opts.Text)
	return m
}

// SetStyles changes the theme.
func (m *Model) SetStyles(s Styles) {
	m.styles = s
	m.paints = newPaints(s)
}

// SetSize sets the cells the editor draws: a line of buffer tabs, the
// text, and a status line.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.scroll()
}

// Focus gives the editor the keys.
func (m *Model) Focus() tea.Cmd {
	m.focused = true
	return nil
}

// Blur takes the keys away; the popup closes.
func (m *Model) Blur() {
	m.focused = false
	m.closePopup()
}

// Focused reports whether the editor takes keys.
func (m Model) Focused() bool { return m.focused }

// Value is the current buffer's text.
func (m Model) Value() string { return m.buf().text() }

// SetValue replaces the current buffer's text, as an edit undo takes back.
func (m *Model) SetValue(s string) {
	b := m.buf()
	last := len(b.lines) - 1
	b.replace(pos{}, pos{last, len(b.lines[last])}, normalizeNewlines(s), false)
	m.scroll()
}

// InsertString types s at the cursor (over the selection), as a paste.
func (m *Model) InsertString(s string) {
	m.insert(normalizeNewlines(s), false)
	m.scroll()
}

// Statements are the current buffer's statements.
func (m Model) Statements() []Statement { return Split(m.Value()) }

// BufferName is the current buffer's name, with its path when it has one.
func (m Model) BufferName() string {
	b := m.buf()
	if b.path != "" {
		return b.path
	}
	return b.name
}

// Dirty reports whether a buffer opened from or saved to a file has edits
// not saved (what quitting would lose; untitled buffers are scratch).
func (m Model) Dirty() bool {
	for _, b := range m.bufs {
		if b.dirty() && b.path != "" {
			return true
		}
	}
	return false
}

// SetError marks DuckDB's error at byte offset pos of the current buffer
// (the token there, or the line's end) and shows msg until the next edit.
// A negative pos shows msg alone.
func (m *Model) SetError(pos int, msg string) {
	b := m.buf()
	b.hasErr, b.errMsg = true, msg
	b.errAt, b.errEnd = b.cur, b.cur
	if pos < 0 {
		b.errAt.row = -1
		return
	}
	p := b.posAt(pos)
	e := p
	for _, t := range b.lineTokens(p.row, nil) {
		if t.Start <= p.col && p.col < t.End && t.Kind != Space {
			p.col, e.col = t.Start, t.End
			break
		}
	}
	if e == p {
		// The end of a line, or a blank: mark one cell.
		e.col = p.col + 1
	}
	b.errAt, b.errEnd = p, e
	b.cur = p
	b.sel = false
	m.scroll()
}

// ClearError drops the error mark and message.
func (m *Model) ClearError() { m.buf().hasErr = false }

func (m Model) buf() *buffer { return m.bufs[m.active] }

func (m *Model) addBuffer(path, text string) *buffer {
	m.nextBuf++
	name := "untitled"
	if m.nextBuf > 1 {
		name = "untitled-" + strconv.Itoa(m.nextBuf)
	}
	b := newBuffer(m.nextBuf, name, text)
	if path != "" {
		b.path = path
		b.name = baseName(path)
	}
	m.bufs = append(m.bufs, b)
	m.active = len(m.bufs) - 1
	return b
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Update handles keys while focused and the editor's own messages (its
// completions and file reads and writes) always.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case completeMsg:
		if msg.id == m.id {
			m.completed(msg)
		}
		return m, nil
	case openedMsg:
		if msg.id == m.id {
			m.opened(msg)
		}
		return m, nil
	case savedMsg:
		if msg.id == m.id {
			return m, m.saved(msg)
		}
		return m, nil
	case tea.KeyMsg:
		if !m.focused {
			return m, nil
		}
		cmd := m.key(msg)
		k := m.KeyMap
		if b := m.buf(); !key.Matches(msg, k.Up, k.Down, k.SelectUp, k.SelectDown, k.PageUp, k.PageDown) {
			// Up and down keep the column of the last other key.
			b.cur = b.clamp(b.cur)
			b.wantX = displayCol(b.lines[b.cur.row], b.cur.col, m.tabWidth)
		}
		m.scroll()
		return m, cmd
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if m.prompt != promptNone {
		return m.promptKey(msg)
	}
	m.status, m.statusErr = "", false
	k := m.KeyMap
	b := m.buf()
	if m.pop.open {
		switch {
		case key.Matches(msg, k.Up):
			m.pop.move(-1)
			return nil
		case key.Matches(msg, k.Down):
			m.pop.move(1)
			return nil
		case key.Matches(msg, k.PageUp):
			m.pop.move(-popupRows)
			return nil
		case key.Matches(msg, k.PageDown):
			m.pop.move(popupRows)
			return nil
		case key.Matches(msg, k.Accept):
			if m.accept() {
				return nil
			}
			if msg.Type == tea.KeyTab {
				return nil
			}
			m.closePopup()
		case key.Matches(msg, k.Close):
			m.closePopup()
			return nil
		}
	}
	if msg.Paste || msg.Type == tea.KeyRunes && !msg.Alt || msg.Type == tea.KeySpace {
		text := string(msg.Runes)
		if msg.Type == tea.KeySpace {
			text = " "
		}
		return m.typeText(text, msg.Paste)
	}
	switch {
	case key.Matches(msg, k.Close):
		switch {
		case b.sel:
			b.sel = false
		case b.hasErr:
			b.hasErr = false
		default:
			return func() tea.Msg { return BlurMsg{} }
		}
	case key.Matches(msg, k.Run):
		return m.run(false)
	case key.Matches(msg, k.RunAll):
		return m.run(true)
	case key.Matches(msg, k.Complete):
		return m.requestCompletion()
	case key.Matches(msg, k.Indent):
		if _, _, ok := b.selection(); ok {
			m.indentLines(1)
			return nil
		}
		if ws := b.wordStart(b.cur); ws.col < b.cur.col && m.complete != nil && codeKind(b.kindBefore(b.cur)) {
			return m.requestCompletion()
		}
		col := runeCol(b.lines[b.cur.row], b.cur.col)
		m.insert(strings.Repeat(" ", m.tabWidth-col%m.tabWidth), true)
	case key.Matches(msg, k.Dedent):
		m.indentLines(-1)
	case key.Matches(msg, k.Newline):
		line := b.lines[b.cur.row]
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if len(indent) > b.cur.col {
			indent = indent[:b.cur.col]
		}
		m.insert("\n"+indent, false)
	case key.Matches(msg, k.Backspace):
		if !m.deleteSelection() && b.cur != (pos{}) {
			from := m.leftOf(b.cur)
			// Soft tabs go back to the last tab stop.
			line := b.lines[b.cur.row]
			if b.cur.col > 0 && strings.TrimLeft(line[:b.cur.col], " ") == "" {
				col := b.cur.col - ((b.cur.col-1)%m.tabWidth + 1)
				from = pos{b.cur.row, max(0, col)}
			}
			b.replace(from, b.cur, "", true)
		}
		return m.afterEdit()
	case key.Matches(msg, k.Delete):
		if !m.deleteSelection() {
			b.replace(b.cur, m.rightOf(b.cur), "", false)
		}
		return m.afterEdit()
	case key.Matches(msg, k.DeleteWordBackward):
		if !m.deleteSelection() {
			from := pos{b.cur.row, wordLeft(b.lines[b.cur.row], b.cur.col)}
			if b.cur.col == 0 {
				from = m.leftOf(b.cur)
			}
			b.replace(from, b.cur, "", false)
		}
		return m.afterEdit()
	case key.Matches(msg, k.DeleteWordForward):
		if !m.deleteSelection() {
			to := pos{b.cur.row, wordRight(b.lines[b.cur.row], b.cur.col)}
			if b.cur.col == len(b.lines[b.cur.row]) {
				to = m.rightOf(b.cur)
			}
			b.replace(b.cur, to, "", false)
		}
	case key.Matches(msg, k.DeleteToLineEnd):
		to := pos{b.cur.row, len(b.lines[b.cur.row])}
		if to == b.cur {
			to = m.rightOf(b.cur)
		}
		m.clipboard = b.slice(b.cur, to)
		b.replace(b.cur, to, "", false)
	case key.Matches(msg, k.Cut):
		if a, z, ok := b.selection(); ok {
			m.clipboard = b.slice(a, z)
			b.replace(a, z, "", false)
		} else {
			// A whole line, as most editors cut with nothing selected.
			a, z := pos{b.cur.row, 0}, pos{b.cur.row + 1, 0}
			if z.row >= len(b.lines) {
				z = pos{b.cur.row, len(b.lines[b.cur.row])}
			}
			m.clipboard = b.slice(a, z)
			b.replace(a, z, "", false)
		}
	case key.Matches(msg, k.Copy):
		if a, z, ok := b.selection(); ok {
			m.clipboard = b.slice(a, z)
			m.setStatus("copied "+strconv.Itoa(len(m.clipboard))+" bytes", false)
		}
	case key.Matches(msg, k.Paste):
		if m.clipboard != "" {
			m.insert(m.clipboard, false)
		}
	case key.Matches(msg, k.Undo):
		if !b.undoLast() {
			m.setStatus("nothing to undo", false)
		}
		m.closePopup()
	case key.Matches(msg, k.Redo):
		if !b.redoLast() {
			m.setStatus("nothing to redo", false)
		}
	case key.Matches(msg, k.Format):
		m.format()
	case key.Matches(msg, k.Comment):
		m.toggleComment()
	case key.Matches(msg, k.NewBuffer):
		m.closePopup()
		m.addBuffer("", "")
	case key.Matches(msg, k.CloseBuffer):
		return m.closeBuffer(false)
	case key.Matches(msg, k.NextBuffer):
		m.switchTo((m.active + 1) % len(m.bufs))
	case key.Matches(msg, k.PrevBuffer):
		m.switchTo((m.active + len(m.bufs) - 1) % len(m.bufs))
	case key.Matches(msg, k.GotoBuffer):
		if n := int(msg.Runes[0] - '1'); n < len(m.bufs) {
			m.switchTo(n)
		}
	case key.Matches(msg, k.Open):
		m.startPrompt(promptOpen, "")
	case key.Matches(msg, k.Save):
		if b.path == "" {
			m.startPrompt(promptSave, "")
			return nil
		}
		return m.save(b, b.path, false)
	case key.Matches(msg, k.SaveAs):
		m.startPrompt(promptSave, b.path)
	case key.Matches(msg, k.SelectAll):
		last := len(b.lines) - 1
		b.anchor, b.cur, b.sel = pos{}, pos{last, len(b.lines[last])}, true
	default:
		m.move(msg)
	}
	return nil
}

// move handles the keys that move the cursor, with or without selecting.
func (m *Model) move(msg tea.KeyMsg) {
	k := m.KeyMap
	b := m.buf()
	selecting := false
	for _, s := range []key.Binding{k.SelectUp, k.SelectDown, k.SelectLeft, k.SelectRight, k.SelectWordLeft,
		k.SelectWordRight, k.SelectLineStart, k.SelectLineEnd, k.SelectDocStart, k.SelectDocEnd} {
		if key.Matches(msg, s) {
			selecting = true
		}
	}
	if selecting && !b.sel {
		b.anchor, b.sel = b.cur, true
	}
	keepX := false
	textRows := max(1, m.textRows())
	switch {
	case key.Matches(msg, k.Up, k.SelectUp):
		m.vertical(-1)
		keepX = true
	case key.Matches(msg, k.Down, k.SelectDown):
		m.vertical(1)
		keepX = true
	case key.Matches(msg, k.PageUp):
		m.vertical(-textRows)
		b.top = max(0, b.top-textRows)
		keepX = true
	case key.Matches(msg, k.PageDown):
		m.vertical(textRows)
		b.top = min(max(0, len(b.lines)-1), b.top+textRows)
		keepX = true
	case key.Matches(msg, k.Left, k.SelectLeft):
		if a, _, ok := b.selection(); ok && !selecting {
			b.cur = a
		} else {
			b.cur = m.leftOf(b.cur)
		}
	case key.Matches(msg, k.Right, k.SelectRight):
		if _, z, ok := b.selection(); ok && !selecting {
			b.cur = z
		} else {
			b.cur = m.rightOf(b.cur)
		}
	case key.Matches(msg, k.WordLeft, k.SelectWordLeft):
		if b.cur.col == 0 {
			b.cur = m.leftOf(b.cur)
		} else {
			b.cur.col = wordLeft(b.lines[b.cur.row], b.cur.col)
		}
	case key.Matches(msg, k.WordRight, k.SelectWordRight):
		if b.cur.col == len(b.lines[b.cur.row]) {
			b.cur = m.rightOf(b.cur)
		} else {
			b.cur.col = wordRight(b.lines[b.cur.row], b.cur.col)
		}
	case key.Matches(msg, k.LineStart, k.SelectLineStart):
		// Home goes to the first non-blank, then to the line's start.
		line := b.lines[b.cur.row]
		first := len(line) - len(strings.TrimLeft(line, " \t"))
		if b.cur.col == first {
			first = 0
		}
		b.cur.col = first
	case key.Matches(msg, k.LineEnd, k.SelectLineEnd):
		b.cur.col = len(b.lines[b.cur.row])
	case key.Matches(msg, k.DocStart, k.SelectDocStart):
		b.cur = pos{}
	case key.Matches(msg, k.DocEnd, k.SelectDocEnd):
		last := len(b.lines) - 1
		b.cur = pos{last, len(b.lines[last])}
	default:
		return
	}
	if !selecting {
		b.sel = false
	}
	if !keepX {
		b.wantX = displayCol(b.lines[b.cur.row], b.cur.col, m.tabWidth)
	}
	m.closePopup()
}

func (m *Model) vertical(n int) {
	b := m.buf()
	row := max(0, min(len(b.lines)-1, b.cur.row+n))
	if row == b.cur.row {
		if n < 0 {
			b.cur.col = 0
		} else {
			b.cur.col = len(b.lines[row])
		}
		return
	}
	b.cur = pos{row, colAtDisplay(b.lines[row], b.wantX, m.tabWidth)}
}

func (m *Model) leftOf(p pos) pos {
	b := m.buf()
	if p.col == 0 {
		if p.row == 0 {
			return p
		}
		return pos{p.row - 1, len(b.lines[p.row-1])}
	}
	_, n := prevRune(b.lines[p.row], p.col)
	return pos{p.row, p.col - n}
}

func (m *Model) rightOf(p pos) pos {
	b := m.buf()
	l := b.lines[p.row]
	if p.col >= len(l) {
		if p.row+1 >= len(b.lines) {
			return p
		}
		return pos{p.row + 1, 0}
	}
	_, n := utf8.DecodeRuneInString(l[p.col:])
	return pos{p.row, p.col + n}
}

// typeText inserts typed or pasted text and keeps completion going.
func (m *Model) typeText(text string, paste bool) tea.Cmd {
	if paste {
		m.insert(normalizeNewlines(text), false)
		m.closePopup()
		return nil
	}
	m.insert(text, true)
	b := m.buf()
	if text == "." && m.complete != nil {
		// After a name: its schema's tables or its table's columns.
		before := pos{b.cur.row, b.cur.col - 1}
		k := b.kindBefore(before)
		if k == Word || k == QuotedIdent || k == SoftKeyword || k == Keyword || k == Other {
			return m.requestCompletion()
		}
	}
	return m.afterEdit()
}

// afterEdit follows the word being typed with the popup.
func (m *Model) afterEdit() tea.Cmd {
	if !m.pop.open {
		return nil
	}
	b := m.buf()
	if m.pop.buf != b.id || b.cur.row != m.pop.start.row || b.cur.col < m.pop.start.col || !codeKind(b.kindBefore(b.cur)) {
		m.closePopup()
		return nil
	}
	r, _ := prevRune(b.lines[b.cur.row], b.cur.col)
	if b.cur.col > m.pop.start.col && r < utf8.RuneSelf && !isIdentChar(byte(r)) {
		m.closePopup()
		return nil
	}
	return m.requestCompletion()
}

// codeKind reports a token kind completion works after.
func codeKind(k Kind) bool { return k != String && k != Comment }

// insert types text over the selection.
func (m *Model) insert(text string, typing bool) {
	b := m.buf()
	a, z, ok := b.selection()
	if ok {
		typing = false
	}
	b.replace(a, z, text, typing)
	b.wantX = displayCol(b.lines[b.cur.row], b.cur.col, m.tabWidth)
}

func (m *Model) deleteSelection() bool {
	b := m.buf()
	a, z, ok := b.selection()
	if !ok {
		return false
	}
	b.replace(a, z, "", false)
	return true
}

// indentLines indents (dir 1) or dedents (dir -1) the lines of the
// selection, or the cursor's line, by a tab width, as one undo step.
func (m *Model) indentLines(dir int) {
	b := m.buf()
	a, z, ok := b.selection()
	if ok && z.col == 0 && z.row > a.row {
		z.row--
	}
	first, last := a.row, z.row
	old := b.slice(pos{first, 0}, pos{last, len(b.lines[last])})
	lines := strings.Split(old, "\n")
	tab := strings.Repeat(" ", m.tabWidth)
	for i, l := range lines {
		if dir > 0 {
			if l != "" {
				lines[i] = tab + l
			}
		} else {
			n := len(l) - len(strings.TrimLeft(l, " "))
			lines[i] = l[min(n, m.tabWidth):]
		}
	}
	repl := strings.Join(lines, "\n")
	if repl == old {
		return
	}
	cur, anchor, sel := b.cur, b.anchor, b.sel
	b.replace(pos{first, 0}, pos{last, len(b.lines[last])}, repl, false)
	shift := func(p pos) pos {
		if p.row < first || p.row > last {
			return p
		}
		p.col = max(0, p.col+dir*m.tabWidth)
		return b.clamp(p)
	}
	b.cur, b.anchor, b.sel = shift(cur), shift(anchor), sel
}

// toggleComment comments the selected lines (or the cursor's) with "-- ",
// or uncomments them when all already are.
func (m *Model) toggleComment() {
	b := m.buf()
	a, z, ok := b.selection()
	if ok && z.col == 0 && z.row > a.row {
		z.row--
	}
	first, last := a.row, z.row
	all := true
	indent := -1
	for r := first; r <= last; r++ {
		t := strings.TrimLeft(b.lines[r], " \t")
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "--") {
			all = false
		}
		if n := len(b.lines[r]) - len(t); indent < 0 || n < indent {
			indent = n
		}
	}
	if indent < 0 {
		indent = 0
	}
	lines := make([]string, 0, last-first+1)
	for r := first; r <= last; r++ {
		l := b.lines[r]
		t := strings.TrimLeft(l, " \t")
		switch {
		case t == "":
		case all:
			i := len(l) - len(t)
			rest := strings.TrimPrefix(t[2:], " ")
			l = l[:i] + rest
		default:
			l = l[:indent] + "-- " + l[indent:]
		}
		lines = append(lines, l)
	}
	cur := b.cur
	b.replace(pos{first, 0}, pos{last, len(b.lines[last])}, strings.Join(lines, "\n"), false)
	b.cur = b.clamp(cur)
	if ok {
		b.anchor, b.cur, b.sel = pos{first, 0}, pos{last, len(b.lines[last])}, true
	}
}

// format lays out the selection, or the whole buffer.
func (m *Model) format() {
	b := m.buf()
	a, z, ok := b.selection()
	if !ok {
		last := len(b.lines) - 1
		a, z = pos{}, pos{last, len(b.lines[last])}
	}
	old := b.slice(a, z)
	out := Format(old)
	if out == old {
		m.setStatus("already formatted", false)
		return
	}
	b.replace(a, z, out, false)
	m.setStatus("formatted", false)
}

// run emits the statement under the cursor (or the selection's
// statements) or all the buffer's statements.
func (m *Model) run(all bool) tea.Cmd {
	m.closePopup()
	b := m.buf()
	text := b.text()
	stmts := Split(text)
	if !all {
		if a, z, ok := b.selection(); ok {
			from, to := b.offset(a), b.offset(z)
			stmts = Split(text[from:to])
			for i := range stmts {
				stmts[i].Start += from
				stmts[i].End += from
			}
		} else if s, ok := StatementAt(text, stmts, b.offset(b.cur)); ok {
			stmts = []Statement{s}
		}
	}
	if len(stmts) == 0 {
		m.setStatus("nothing to run: write a statement first", true)
		return nil
	}
	b.hasErr = false
	return func() tea.Msg { return RunMsg{Statements: stmts} }
}

func (m *Model) switchTo(i int) {
	m.closePopup()
	m.active = i
}

// closeBuffer closes the current buffer, asking first when it has unsaved
// edits; the last buffer closed leaves an empty one.
func (m *Model) closeBuffer(force bool) tea.Cmd {
	b := m.buf()
	if !force && b.dirty() && strings.TrimSpace(b.text()) != "" {
		m.ask("close "+b.name+" without saving its changes? (y/n)", func(m *Model) tea.Cmd { return m.closeBuffer(true) })
		return nil
	}
	m.closePopup()
	m.bufs = append(m.bufs[:m.active], m.bufs[m.active+1:]...)
	if len(m.bufs) == 0 {
		m.addBuffer("", "")
	}
	m.active = min(m.active, len(m.bufs)-1)
	return nil
}

func (m *Model) setStatus(s string, isErr bool) { m.status, m.statusErr = s, isErr }

// textRows is the number of text lines drawn.
func (m Model) textRows() int {
	if m.height >= 3 {
		return m.height - 2
	}
	return m.height
}

func (m Model) gutterWidth() int {
	return len(strconv.Itoa(len(m.buf().lines))) + 1
}

// scroll keeps the cursor in view.
func (m *Model) scroll() {
	b := m.buf()
	b.cur = b.clamp(b.cur)
	rows := max(1, m.textRows())
	if b.cur.row < b.top {
		b.top = b.cur.row
	}
	if b.cur.row >= b.top+rows {
		b.top = b.cur.row - rows + 1
	}
	b.top = max(0, min(b.top, len(b.lines)-1))
	tw := max(1, m.width-m.gutterWidth())
	x := displayCol(b.lines[b.cur.row], b.cur.col, m.tabWidth)
	if x < b.left {
		b.left = max(0, x-tw/4)
	}
	if x >= b.left+tw {
		b.left = x - tw + 1 + tw/4
	}
}

// runeWidth is the cells a character takes: tabs their width, control
// characters one (drawn as �), the characters that join or restyle an
// emoji none (they are not drawn), any other its width as the results
// grid measures it (ansi.StringWidth).
func runeWidth(r rune, tab int) int {
	switch {
	case r == '\t':
		return tab
	case r < 0x20 || r == 0x7f:
		return 1
	case r < utf8.RuneSelf:
		return 1
	case joiner(r):
		return 0
	}
	return ansi.StringWidth(string(r))
}

// joiner reports the runes that join or restyle an emoji (zero-width
// joiner, variation selectors, skin tones): terminals disagree on the
// width of the sequences they make (tmux draws 👍🏽 four columns wide, ❤️
// one), so the editor draws the emoji apart, as the results grid does
// (tui/grid's oneLine): the text keeps them, the screen shows 👍 and ❤.
func joiner(r rune) bool {
	return r == '\u200d' || r >= '\ufe00' && r <= '\ufe0f' || r >= 0x1f3fb && r <= 0x1f3ff
}

// displayCol is the cell where byte col of line l is drawn.
func displayCol(l string, col, tab int) int {
	x := 0
	for i, r := range l {
		if i >= col {
			break
		}
		x += runeWidth(r, tab)
	}
	return x
}

// colAtDisplay is the byte of l drawn at cell x (or before it).
func colAtDisplay(l string, x, tab int) int {
	cx := 0
	for i, r := range l {
		w := runeWidth(r, tab)
		if cx+w > x {
			return i
		}
		cx += w
	}
	return len(l)
}

// runeCol is the number of characters before byte col.
func runeCol(l string, col int) int { return utf8.RuneCountInString(l[:col]) }

// View draws the buffer tabs, the text with its gutter (and the popup
// over it), and the status line, in exactly the size set.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var sb strings.Builder
	rows := m.textRows()
	if m.height >= 3 {
		sb.WriteString(m.tabsView())
		sb.WriteByte('\n')
	}
	lines := m.textLines(rows)
	if m.pop.open {
		m.overlayPopup(lines)
	}
	for i, l := range lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(l)
	}
	if m.height >= 3 {
		sb.WriteByte('\n')
		sb.WriteString(m.statusView())
	}
	return sb.String()
}

func (m Model) tabsView() string {
	var parts []string
	var widths []int
	for i, b := range m.bufs {
		label := " " + strconv.Itoa(i+1) + " " + b.name
		if b.dirty() {
			label += " ●"
		}
		label += " "
		widths = append(widths, ansi.StringWidth(label)+1)
		if i == m.active {
			parts = append(parts, m.styles.TabActive.Render(label))
		} else {
			parts = append(parts, m.styles.Tab.Render(label))
		}
	}
	// Too many to show: leave out tabs on the left until the current one
	// fits.
	first, w := m.active, 0
	for i := m.active; i >= 0 && w+widths[i] <= m.width-1; i-- {
		first, w = i, w+widths[i]
	}
	line := strings.Join(parts[first:], "│")
	if first > 0 {
		line = "‹" + line
	}
	return fitWidth(line, m.width)
}

func (m Model) statusView() string {
	b := m.buf()
	right := "Ln " + strconv.Itoa(b.cur.row+1) + ", Col " + strconv.Itoa(runeCol(b.lines[b.cur.row], b.cur.col)+1)
	if _, _, ok := b.selection(); ok {
		a, z, _ := b.selection()
		right = strconv.Itoa(b.offset(z)-b.offset(a)) + " selected · " + right
	}
	var left string
	switch {
	case m.prompt != promptNone:
		left = m.styles.Prompt.Render(m.promptLabel()) + " " + m.input + m.styles.Cursor.Render(" ")
		if m.prompt == promptConfirm {
			left = m.styles.Prompt.Render(m.promptLabel())
		}
	case b.hasErr:
		left = m.styles.StatusError.Render("✗ " + oneLine(b.errMsg))
	case m.status != "":
		st := m.styles.Status
		if m.statusErr {
			st = m.styles.StatusError
		}
		left = st.Render(oneLine(m.status))
	}
	rw := ansi.StringWidth(right)
	if lw := ansi.StringWidth(left); lw+rw+1 > m.width {
		if m.prompt != promptNone || b.hasErr || m.status != "" {
			return fitWidth(left, m.width)
		}
		return fitWidth(right, m.width)
	}
	gap := m.width - ansi.StringWidth(left) - rw
	return left + strings.Repeat(" ", gap) + m.styles.Status.Render(right)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// fitWidth cuts s to width cells or pads it.
func fitWidth(s string, width int) string {
	if w := ansi.StringWidth(s); w > width {
		return ansi.Truncate(s, width, "…")
	} else if w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// textLines draws rows lines of the text with the gutter.
func (m Model) textLines(rows int) []string {
	b := m.buf()
	gw := m.gutterWidth()
	tw := max(0, m.width-gw)
	out := make([]string, 0, rows)
	var sb strings.Builder
	sc := &scratch{toks: make([]Token, 0, 64), kinds: make([]int, 0, 64)}
	if m.focused {
		sc.matchA, sc.matchZ, sc.match = b.matchBracket()
	}
	for i := range rows {
		row := b.top + i
		sb.Reset()
		if row >= len(b.lines) {
			sb.WriteString(m.paints.gutter.pre + strings.Repeat(" ", gw-1) + "~" + m.paints.gutter.post)
			sb.WriteString(strings.Repeat(" ", tw))
			out = append(out, fitWidth(sb.String(), m.width))
			continue
		}
		num := strconv.Itoa(row + 1)
		g := m.paints.gutter
		if row == b.cur.row {
			g = m.paints.gutterCurrent
		}
		mark := " "
		if b.hasErr && b.errAt.row == row {
			mark = "!"
		}
		if gw <= m.width {
			sb.WriteString(g.pre + strings.Repeat(" ", gw-1-len(num)) + num + g.post + mark)
			m.renderLine(b, row, &sb, tw, sc)
			out = append(out, sb.String())
		} else {
			out = append(out, strings.Repeat(" ", m.width))
		}
	}
	return out
}

// scratch is memory the lines of one frame reuse.
type scratch struct {
	toks  []Token
	kinds []int
	// matchA and matchZ are the bracket at the cursor and its partner.
	matchA, matchZ pos
	match          bool
}

// renderLine draws cells [left, left+width) of line row.
func (m Model) renderLine(b *buffer, row int, sb *strings.Builder, width int, sc *scratch) {
	line := b.lines[row]
	toks := b.lineTokens(row, sc.toks)
	sc.toks = toks
	// Display kinds: a name followed by ( is a function.
	tk := sc.kinds[:0]
	for range toks {
		tk = append(tk, 0)
	}
	sc.kinds = tk
	for i, t := range toks {
		fn := false
		kind := t.Kind
		if t.Kind == Word || t.Kind == SoftKeyword {
			next := byte(0)
			for j := i + 1; j < len(toks); j++ {
				if toks[j].Kind != Space {
					next = line[toks[j].Start]
					break
				}
			}
			fn = next == '('
			// An unreserved keyword beside a '.' is a name (t.name).
			if t.Kind == SoftKeyword && (next == '.' || i > 0 && toks[i-1].Kind == Punct && line[toks[i-1].Start] == '.') {
				kind = Word
			}
		}
		tk[i] = textKind(kind, fn)
	}
	selA, selZ := -1, -1
	if a, z, ok := b.selection(); ok && a.row <= row && row <= z.row {
		selA, selZ = 0, len(line)+1
		if a.row == row {
			selA = a.col
		}
		if z.row == row {
			selZ = z.col
		}
	}
	errA, errZ := -1, -1
	if b.hasErr && b.errAt.row == row {
		errA, errZ = b.errAt.col, b.errEnd.col
	}
	curCol := -1
	if m.focused && row == b.cur.row && m.prompt == promptNone {
		curCol = b.cur.col
	}
	over := func(i int) int {
		switch {
		case i == curCol:
			return overCursor
		case i >= errA && i < errZ:
			return overError
		case sc.match && (row == sc.matchA.row && i == sc.matchA.col || row == sc.matchZ.row && i == sc.matchZ.col):
			return overMatch
		case i >= selA && i < selZ:
			return overSelection
		}
		return overNone
	}
	var cur *paint
	set := func(p *paint) {
		if p != cur {
			if cur != nil {
				sb.WriteString(cur.post)
			}
			sb.WriteString(p.pre)
			cur = p
		}
	}
	x, used, ti := 0, 0, 0
	left := b.left
	for i := 0; i < len(line) && used < width; {
		r, size := utf8.DecodeRuneInString(line[i:])
		w := runeWidth(r, m.tabWidth)
		for ti < len(toks)-1 && toks[ti].End <= i {
			ti++
		}
		p := &m.paints.cell[tk[ti]][over(i)]
		switch {
		case x+w <= left:
		case x < left || used+w > width:
			// A wide character cut by an edge: blanks.
			n := min(x+w-left, width-used)
			set(p)
			sb.WriteString(strings.Repeat(" ", n))
			used += n
		default:
			set(p)
			switch {
			case r == '\t':
				sb.WriteString(strings.Repeat(" ", w))
			case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f:
				sb.WriteString("�")
			case joiner(r):
				// Not drawn (see joiner).
			default:
				sb.WriteString(line[i : i+size])
			}
			used += w
		}
		x += w
		i += size
	}
	if used < width && x >= left {
		// The cell after the line's end: the cursor, the selected newline
		// or the error mark at the end.
		if o := over(len(line)); o != overNone {
			set(&m.paints.cell[tkText][o])
			sb.WriteByte(' ')
			used++
		}
	}
	if cur != nil {
		sb.WriteString(cur.post)
	}
	if used < width {
		sb.WriteString(strings.Repeat(" ", width-used))
	}
}
