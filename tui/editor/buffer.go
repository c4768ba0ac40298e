package editor

import (
	"strings"
	"unicode/utf8"
)

// pos is a place in a buffer: a line and a byte offset in it.
type pos struct{ row, col int }

func (p pos) before(q pos) bool { return p.row < q.row || p.row == q.row && p.col < q.col }

// change is one edit, as undo replays it: at at, removed gave way to
// inserted.
type change struct {
	at                pos
	removed, inserted string
	// before is the cursor before the edit; typing merges consecutive
	// keystrokes into one change.
	before pos
	typing bool
	id     int
}

// maxUndo bounds the undo history of a buffer.
const maxUndo = 500

// buffer is one SQL text the editor holds: its lines, cursor, selection,
// scroll, undo history, file and the error DuckDB reported in it.
type buffer struct {
	id    int
	name  string
	path  string // "" until opened or saved
	disk  string // SHA-256 of the file as last read or written
	lines []string

	cur    pos
	anchor pos  // the selection's other end
	sel    bool // a selection is active
	wantX  int  // the display column up and down keep
	top    int  // first line shown
	left   int  // first display column shown

	undo, redo []change
	nextID     int
	savedID    int // id of the undo top when last saved or opened

	// states[i] is the lexer state at the start of line i, known for
	// i < len(states); an edit at line r drops those after r.
	states []lexState

	errAt  pos
	errEnd pos
	errMsg string
	hasErr bool
}

func newBuffer(id int, name, text string) *buffer {
	b := &buffer{id: id, name: name}
	b.lines = strings.Split(normalizeNewlines(text), "\n")
	return b
}

func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// text is the whole buffer.
func (b *buffer) text() string { return strings.Join(b.lines, "\n") }

// dirty reports edits since the last open or save.
func (b *buffer) dirty() bool {
	top := 0
	if len(b.undo) > 0 {
		top = b.undo[len(b.undo)-1].id
	}
	return top != b.savedID
}

func (b *buffer) markSaved() {
	b.savedID = 0
	if len(b.undo) > 0 {
		b.savedID = b.undo[len(b.undo)-1].id
	}
}

// offset is p as a byte offset into text().
func (b *buffer) offset(p pos) int {
	off := 0
	for r := 0; r < p.row && r < len(b.lines); r++ {
		off += len(b.lines[r]) + 1
	}
	return off + p.col
}

// posAt is the position of byte offset off of text(), clamped.
func (b *buffer) posAt(off int) pos {
	if off < 0 {
		off = 0
	}
	for r, l := range b.lines {
		if off <= len(l) {
			return b.clamp(pos{r, off})
		}
		off -= len(l) + 1
	}
	last := len(b.lines) - 1
	return pos{last, len(b.lines[last])}
}

// clamp puts p inside the buffer, on a character boundary.
func (b *buffer) clamp(p pos) pos {
	p.row = max(0, min(p.row, len(b.lines)-1))
	l := b.lines[p.row]
	p.col = max(0, min(p.col, len(l)))
	for p.col > 0 && p.col < len(l) && !utf8.RuneStart(l[p.col]) {
		p.col--
	}
	return p
}

// end is where text inserted at p ends.
func end(p pos, text string) pos {
	n := strings.Count(text, "\n")
	if n == 0 {
		return pos{p.row, p.col + len(text)}
	}
	return pos{p.row + n, len(text) - strings.LastIndexByte(text, '\n') - 1}
}

// slice is the text between a and z (a before z).
func (b *buffer) slice(a, z pos) string {
	if a.row == z.row {
		return b.lines[a.row][a.col:z.col]
	}
	var sb strings.Builder
	sb.WriteString(b.lines[a.row][a.col:])
	for r := a.row + 1; r < z.row; r++ {
		sb.WriteByte('\n')
		sb.WriteString(b.lines[r])
	}
	sb.WriteByte('\n')
	sb.WriteString(b.lines[z.row][:z.col])
	return sb.String()
}

// replace puts text in place of [a, z), moves the cursor after it and
// records the change for undo.
func (b *buffer) replace(a, z pos, text string, typing bool) {
	if z.before(a) {
		a, z = z, a
	}
	removed := b.slice(a, z)
	if removed == "" && text == "" {
		return
	}
	c := change{at: a, removed: removed, inserted: text, before: b.cur, typing: typing}
	b.apply(a, z, text)
	b.redo = b.redo[:0]
	if n := len(b.undo); n > 0 && typing && b.undo[n-1].typing && b.undo[n-1].id != b.savedID && mergeable(b.undo[n-1], c) {
		last := &b.undo[n-1]
		if c.removed == "" {
			last.inserted += c.inserted
		} else {
			last.at = c.at
			last.removed = c.removed + last.removed
		}
		return
	}
	b.nextID++
	c.id = b.nextID
	b.undo = append(b.undo, c)
	if len(b.undo) > maxUndo {
		b.undo = append(b.undo[:0], b.undo[len(b.undo)-maxUndo:]...)
	}
}

// mergeable reports whether c continues last's typing: the next character
// of a word, or the next backspace.
func mergeable(last, c change) bool {
	switch {
	case c.removed == "" && last.removed == "" && len(c.inserted) > 0:
		e := end(last.at, last.inserted)
		r, _ := utf8.DecodeRuneInString(c.inserted)
		return e == c.at && !strings.ContainsRune(c.inserted, '\n') && (r == '_' || !isBreak(r))
	case c.inserted == "" && last.inserted == "" && c.removed != "" && !strings.Contains(c.removed, "\n"):
		return end(c.at, c.removed) == last.at
	}
	return false
}

func isBreak(r rune) bool {
	return r < utf8.RuneSelf && !isIdentChar(byte(r))
}

// apply replaces [a, z) by text without recording it.
func (b *buffer) apply(a, z pos, text string) {
	head := b.lines[a.row][:a.col]
	tail := b.lines[z.row][z.col:]
	parts := strings.Split(text, "\n")
	parts[0] = head + parts[0]
	parts[len(parts)-1] += tail
	if len(parts) == z.row-a.row+1 {
		copy(b.lines[a.row:], parts)
	} else {
		rest := b.lines[z.row+1:]
		lines := make([]string, 0, a.row+len(parts)+len(rest))
		lines = append(lines, b.lines[:a.row]...)
		lines = append(lines, parts...)
		lines = append(lines, rest...)
		b.lines = lines
	}
	b.cur = end(a, text)
	b.sel = false
	b.hasErr, b.errMsg = false, ""
	if len(b.states) > a.row+1 {
		b.states = b.states[:a.row+1]
	}
}

// undoLast takes back the last change; redoLast puts it back.
func (b *buffer) undoLast() bool {
	n := len(b.undo)
	if n == 0 {
		return false
	}
	c := b.undo[n-1]
	b.undo = b.undo[:n-1]
	b.apply(c.at, end(c.at, c.inserted), c.removed)
	b.cur = c.before
	b.cur = b.clamp(b.cur)
	b.redo = append(b.redo, c)
	return true
}

func (b *buffer) redoLast() bool {
	n := len(b.redo)
	if n == 0 {
		return false
	}
	c := b.redo[n-1]
	b.redo = b.redo[:n-1]
	b.apply(c.at, end(c.at, c.removed), c.inserted)
	b.undo = append(b.undo, c)
	return true
}

// selection is the selected range, ordered, and whether there is one.
func (b *buffer) selection() (pos, pos, bool) {
	if !b.sel || b.anchor == b.cur {
		return b.cur, b.cur, false
	}
	if b.cur.before(b.anchor) {
		return b.cur, b.anchor, true
	}
	return b.anchor, b.cur, true
}

// stateAt is the lexer state at the start of line row, lexing the lines
// before it that are not known yet.
func (b *buffer) stateAt(row int) lexState {
	if len(b.states) == 0 {
		b.states = append(b.states, lexState{})
	}
	for len(b.states) <= row {
		r := len(b.states) - 1
		b.states = append(b.states, lex(b.lines[r], b.states[r], func(Token) {}))
	}
	return b.states[row]
}

// lineTokens lexes line row.
func (b *buffer) lineTokens(row int, into []Token) []Token {
	into = into[:0]
	lex(b.lines[row], b.stateAt(row), func(t Token) { into = append(into, t) })
	return into
}

// kindBefore is the kind of the token holding the byte before p (Space at
// a line's start).
func (b *buffer) kindBefore(p pos) Kind {
	if p.col == 0 {
		return Space
	}
	var k Kind = Space
	for _, t := range b.lineTokens(p.row, nil) {
		if t.Start < p.col && p.col <= t.End {
			k = t.Kind
			// A closed string or comment ends before p: p is in code.
			if p.col == t.End && (t.Kind == String || t.Kind == QuotedIdent) {
				k = Other
			}
		}
	}
	return k
}

// wordStart is where the name being typed before p starts.
func (b *buffer) wordStart(p pos) pos {
	l := b.lines[p.row]
	c := p.col
	for c > 0 && isIdentChar(l[c-1]) {
		c--
	}
	return pos{p.row, c}
}

// prevRune is the character before col in line l and its size.
func prevRune(l string, col int) (rune, int) {
	if col <= 0 {
		return 0, 0
	}
	return utf8.DecodeLastRuneInString(l[:col])
}

// wordLeft and wordRight move over a word and the blanks beside it.
func wordLeft(l string, col int) int {
	for col > 0 && l[col-1] == ' ' {
		col--
	}
	if col > 0 && !isIdentChar(l[col-1]) {
		_, n := prevRune(l, col)
		return col - n
	}
	for col > 0 && isIdentChar(l[col-1]) {
		col--
	}
	return col
}

func wordRight(l string, col int) int {
	for col < len(l) && l[col] == ' ' {
		col++
	}
	if col < len(l) && !isIdentChar(l[col]) {
		_, n := utf8.DecodeRuneInString(l[col:])
		return col + n
	}
	for col < len(l) && isIdentChar(l[col]) {
		col++
	}
	return col
}
