package editor

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var keyTypes = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab, "esc": tea.KeyEsc,
	"backspace": tea.KeyBackspace, "delete": tea.KeyDelete, "space": tea.KeySpace,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
	"shift+up": tea.KeyShiftUp, "shift+down": tea.KeyShiftDown, "shift+left": tea.KeyShiftLeft,
	"shift+right": tea.KeyShiftRight, "shift+home": tea.KeyShiftHome, "shift+end": tea.KeyShiftEnd,
	"ctrl+left": tea.KeyCtrlLeft, "ctrl+right": tea.KeyCtrlRight, "ctrl+home": tea.KeyCtrlHome, "ctrl+end": tea.KeyCtrlEnd,
	"ctrl+pgup": tea.KeyCtrlPgUp, "ctrl+pgdown": tea.KeyCtrlPgDown,
	"ctrl+a": tea.KeyCtrlA, "ctrl+e": tea.KeyCtrlE, "ctrl+f": tea.KeyCtrlF, "ctrl+j": tea.KeyCtrlJ,
	"ctrl+k": tea.KeyCtrlK, "ctrl+n": tea.KeyCtrlN, "ctrl+o": tea.KeyCtrlO, "ctrl+r": tea.KeyCtrlR,
	"ctrl+s": tea.KeyCtrlS, "ctrl+v": tea.KeyCtrlV, "ctrl+w": tea.KeyCtrlW, "ctrl+x": tea.KeyCtrlX,
	"ctrl+y": tea.KeyCtrlY, "ctrl+z": tea.KeyCtrlZ, "ctrl+_": tea.KeyCtrlUnderscore, "ctrl+@": tea.KeyCtrlAt,
	"f5": tea.KeyF5,
}

// press builds the key s: a name above, alt+X, or runes typed.
func press(s string) tea.KeyMsg {
	if t, ok := keyTypes[s]; ok {
		return tea.KeyMsg{Type: t}
	}
	if strings.HasPrefix(s, "alt+") && len(s) == 5 {
		return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s[4:]), Alt: true}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// typeText types s one character at a time, as a user does.
func typeText(t *testing.T, m *Model, s string) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	for _, r := range s {
		k := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}
		if r == '\n' {
			k = tea.KeyMsg{Type: tea.KeyEnter}
		} else if r == ' ' {
			k = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
		}
		out = append(out, send(t, m, k)...)
	}
	return out
}

// send gives m a message and runs the commands it returns, feeding their
// messages back (a RunMsg or BlurMsg is the owner's: returned, not fed).
func send(t *testing.T, m *Model, msg tea.Msg) []tea.Msg {
	t.Helper()
	var cmd tea.Cmd
	*m, cmd = m.Update(msg)
	return drain(t, m, cmd)
}

func drain(t *testing.T, m *Model, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	for cmd != nil {
		msg := cmd()
		cmd = nil
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				out = append(out, drain(t, m, c)...)
			}
		case RunMsg, BlurMsg:
			out = append(out, msg)
		default:
			*m, cmd = m.Update(msg)
		}
	}
	return out
}

func keys(t *testing.T, m *Model, ks ...string) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	for _, k := range ks {
		out = append(out, send(t, m, press(k))...)
	}
	return out
}

func newTest(t *testing.T, text string, opts Options) *Model {
	t.Helper()
	opts.Text = text
	m := New(opts)
	m.SetSize(80, 24)
	m.Focus()
	return &m
}

func runMsg(t *testing.T, msgs []tea.Msg) RunMsg {
	t.Helper()
	for _, msg := range msgs {
		if r, ok := msg.(RunMsg); ok {
			return r
		}
	}
	t.Fatalf("no RunMsg in %v", msgs)
	return RunMsg{}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT ';'; SELECT 2;", []string{"SELECT ';'", "SELECT 2"}},
		{"SELECT 1 -- a;b\n; SELECT $$x;y$$ ; SELECT /* ; */ 3", []string{"SELECT 1 -- a;b", "SELECT $$x;y$$", "SELECT /* ; */ 3"}},
		{`SELECT "a;b" FROM t;;; -- only a comment;`, []string{`SELECT "a;b" FROM t`}},
		{"  \n ; /* c */ ;", nil},
		{"SELECT 'open;", []string{"SELECT 'open;"}},
		{"SELECT E'\\';' ; SELECT 2", []string{"SELECT E'\\';'", "SELECT 2"}},
	}
	for _, tt := range tests {
		got := Split(tt.src)
		var sqls []string
		for _, s := range got {
			sqls = append(sqls, s.SQL)
			if tt.src[s.Start:s.End] != s.SQL {
				t.Errorf("Split(%q): %+v is not its offsets' text", tt.src, s)
			}
		}
		if strings.Join(sqls, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Split(%q) = %q, want %q", tt.src, sqls, tt.want)
		}
	}
}

func TestStatementAt(t *testing.T) {
	src := "SELECT 1;\nSELECT 2; SELECT 3;\n\n\nSELECT 4"
	stmts := Split(src)
	tests := []struct {
		at   int
		want string
	}{
		{0, "SELECT 1"},
		{8, "SELECT 1"}, // before the ;
		{9, "SELECT 1"}, // just after it
		{strings.Index(src, "2"), "SELECT 2"},
		{strings.Index(src, "3;") + 2, "SELECT 3"}, // after the ; on its line
		{strings.Index(src, "\n\n") + 1, "SELECT 4"},
		{len(src), "SELECT 4"},
	}
	for _, tt := range tests {
		got, ok := StatementAt(src, stmts, tt.at)
		if !ok || got.SQL != tt.want {
			t.Errorf("StatementAt(%d) = %q, want %q", tt.at, got.SQL, tt.want)
		}
	}
	if _, ok := StatementAt("-- nothing", Split("-- nothing"), 3); ok {
		t.Error("a comment alone gave a statement")
	}
}

func TestRun(t *testing.T) {
	m := newTest(t, "SELECT 1;\nSELECT 'a;b' AS x;\nSELECT 3", Options{})
	keys(t, m, "down", "end")
	r := runMsg(t, keys(t, m, "ctrl+j"))
	if len(r.Statements) != 1 || r.Statements[0].SQL != "SELECT 'a;b' AS x" {
		t.Fatalf("ctrl+j ran %+v", r.Statements)
	}
	if s := r.Statements[0]; m.Value()[s.Start:s.End] != s.SQL {
		t.Errorf("offsets %d:%d do not hold %q", s.Start, s.End, s.SQL)
	}
	r = runMsg(t, keys(t, m, "ctrl+r"))
	if len(r.Statements) != 3 {
		t.Fatalf("run all ran %+v", r.Statements)
	}
	// A selection runs what it holds: here the end of line 1 and line 2.
	keys(t, m, "ctrl+home", "right", "right", "right", "right", "right", "right", "right", "shift+down", "shift+end")
	r = runMsg(t, keys(t, m, "ctrl+j"))
	if len(r.Statements) != 2 || r.Statements[0].SQL != "1" || r.Statements[1].SQL != "SELECT 'a;b' AS x" {
		t.Fatalf("the selection ran %+v", r.Statements)
	}
	if s := r.Statements[1]; m.Value()[s.Start:s.End] != s.SQL {
		t.Errorf("selection offsets %d:%d do not hold %q", s.Start, s.End, s.SQL)
	}
	empty := newTest(t, "  -- nothing\n", Options{})
	if msgs := keys(t, empty, "ctrl+j"); len(msgs) != 0 || !strings.Contains(empty.View(), "nothing to run") {
		t.Errorf("an empty buffer ran %v or did not say so", msgs)
	}
}

func TestEditing(t *testing.T) {
	m := newTest(t, "", Options{})
	typeText(t, m, "select a\n")
	if got := m.Value(); got != "select a\n" {
		t.Fatalf("typed %q", got)
	}
	keys(t, m, "tab")
	typeText(t, m, "b")
	keys(t, m, "enter")
	typeText(t, m, "c")
	if got := m.Value(); got != "select a\n    b\n    c" {
		t.Fatalf("soft tab and auto-indent: %q", got)
	}
	keys(t, m, "ctrl+z")
	if got := m.Value(); got != "select a\n    b\n    " {
		t.Fatalf("undo of c: %q", got)
	}
	keys(t, m, "ctrl+z", "ctrl+z", "ctrl+z")
	if got := m.Value(); got != "select a" {
		t.Fatalf("undo to the first line: %q", got)
	}
	keys(t, m, "ctrl+y", "ctrl+y")
	if got := m.Value(); got != "select a\n    b" {
		t.Fatalf("redo: %q", got)
	}
	// Typing a word is one undo step.
	m2 := newTest(t, "", Options{})
	typeText(t, m2, "select amount")
	keys(t, m2, "ctrl+z")
	if got := m2.Value(); got != "select" {
		t.Fatalf("undo of a word: %q", got)
	}
	// Selection: shift+arrows, typed over, word moves, backspace.
	m3 := newTest(t, "SELECT abc FROM t", Options{})
	keys(t, m3, "ctrl+right", "ctrl+right", "shift+left", "shift+left", "shift+left")
	typeText(t, m3, "x")
	if got := m3.Value(); got != "SELECT x FROM t" {
		t.Fatalf("typing over a selection: %q", got)
	}
	keys(t, m3, "ctrl+a", "backspace")
	if got := m3.Value(); got != "" {
		t.Fatalf("select all, backspace: %q", got)
	}
	// Bracketed paste of a large text is one edit.
	big := strings.Repeat("SELECT 1 FROM t\r\n", 20000)
	send(t, m3, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(big), Paste: true})
	if got := m3.Value(); got != strings.ReplaceAll(big, "\r\n", "\n") {
		t.Fatalf("paste: %d bytes, want %d", len(got), len(big)-20000)
	}
	keys(t, m3, "ctrl+z")
	if m3.Value() != "" {
		t.Fatal("undo of a paste left text")
	}
}

func TestCommentAndIndent(t *testing.T) {
	m := newTest(t, "SELECT a\n  FROM t\nWHERE x", Options{})
	keys(t, m, "ctrl+_")
	if got := m.Value(); got != "-- SELECT a\n  FROM t\nWHERE x" {
		t.Fatalf("comment one line: %q", got)
	}
	keys(t, m, "ctrl+_")
	if got := m.Value(); got != "SELECT a\n  FROM t\nWHERE x" {
		t.Fatalf("uncomment: %q", got)
	}
	// Lines commented together, at their least indent; a selection ending
	// at a line's start leaves that line alone.
	keys(t, m, "ctrl+home", "shift+down", "shift+down", "ctrl+_")
	if got := m.Value(); got != "-- SELECT a\n--   FROM t\nWHERE x" {
		t.Fatalf("comment two lines: %q", got)
	}
	keys(t, m, "ctrl+_")
	if got := m.Value(); got != "SELECT a\n  FROM t\nWHERE x" {
		t.Fatalf("uncomment two lines: %q", got)
	}
	keys(t, m, "tab")
	if got := m.Value(); got != "    SELECT a\n      FROM t\nWHERE x" {
		t.Fatalf("indent the selection: %q", got)
	}
	keys(t, m, "shift+tab", "shift+tab")
	if got := m.Value(); got != "SELECT a\nFROM t\nWHERE x" {
		t.Fatalf("dedent: %q", got)
	}
}

func TestBuffers(t *testing.T) {
	m := newTest(t, "SELECT 1", Options{})
	keys(t, m, "ctrl+n")
	typeText(t, m, "SELECT 2")
	keys(t, m, "ctrl+n")
	if len(m.bufs) != 3 || m.active != 2 || m.Value() != "" {
		t.Fatalf("ctrl+n: %d buffers, active %d", len(m.bufs), m.active)
	}
	keys(t, m, "alt+1")
	if m.Value() != "SELECT 1" {
		t.Fatalf("alt+1 shows %q", m.Value())
	}
	keys(t, m, "ctrl+pgup")
	if m.active != 2 {
		t.Fatalf("ctrl+pgup from the first: %d", m.active)
	}
	keys(t, m, "ctrl+pgup")
	if m.Value() != "SELECT 2" {
		t.Fatalf("ctrl+pgup: %q", m.Value())
	}
	v := m.View()
	if !strings.Contains(v, "2 untitled-2 ●") || !strings.Contains(v, "1 untitled ") {
		t.Errorf("tabs do not show names and dirty marks:\n%s", v)
	}
	// Closing a buffer with edits asks.
	keys(t, m, "ctrl+w")
	if m.prompt != promptConfirm || len(m.bufs) != 3 {
		t.Fatalf("ctrl+w on an edited buffer did not ask")
	}
	keys(t, m, "n")
	if len(m.bufs) != 3 || m.Value() != "SELECT 2" {
		t.Fatal("n closed the buffer")
	}
	keys(t, m, "ctrl+w", "y")
	if len(m.bufs) != 2 || m.Value() != "" {
		t.Fatalf("y left %d buffers, %q", len(m.bufs), m.Value())
	}
	keys(t, m, "ctrl+w", "ctrl+w")
	if len(m.bufs) != 1 || m.Value() != "" {
		t.Fatalf("closing every buffer leaves one empty: %d %q", len(m.bufs), m.Value())
	}
}

func TestEscBlursAndClears(t *testing.T) {
	m := newTest(t, "SELECT x", Options{})
	keys(t, m, "shift+left")
	if msgs := keys(t, m, "esc"); len(msgs) != 0 {
		t.Fatalf("esc with a selection: %v", msgs)
	}
	msgs := keys(t, m, "esc")
	if len(msgs) != 1 {
		t.Fatalf("esc with nothing open: %v", msgs)
	}
	if _, ok := msgs[0].(BlurMsg); !ok {
		t.Fatalf("esc sent %T", msgs[0])
	}
	m.Blur()
	if msgs := keys(t, m, "x"); len(msgs) != 0 || m.Value() != "SELECT x" {
		t.Fatal("a blurred editor took a key")
	}
}

func TestSetError(t *testing.T) {
	m := newTest(t, "SELECT 1;\nSELECT amout FROM t", Options{})
	src := m.Value()
	s := Split(src)[1]
	m.SetError(s.Start+strings.Index(s.SQL, "amout"), `Binder Error: Referenced column "amout" not found`)
	b := m.buf()
	if b.errAt != (pos{1, 7}) || b.errEnd != (pos{1, 12}) || b.cur != b.errAt {
		t.Fatalf("error at %v-%v, cursor %v", b.errAt, b.errEnd, b.cur)
	}
	v := m.View()
	if !strings.Contains(v, `✗ Binder Error: Referenced column "amout" not found`) || !strings.Contains(v, "2!SELECT amout") {
		t.Fatalf("the error is not shown:\n%s", v)
	}
	typeText(t, m, "x")
	if strings.Contains(m.View(), "Binder Error") {
		t.Fatal("the error outlived an edit")
	}
	m.SetError(-1, "no position")
	if !strings.Contains(m.View(), "✗ no position") {
		t.Fatal("an error without a position is not shown")
	}
	m.SetError(1<<30, "past the end")
	if b.errAt.row != 1 {
		t.Fatalf("an offset past the end marks %v", b.errAt)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	m := newTest(t, "", Options{Dir: dir})
	typeText(t, m, "SELECT 1")
	keys(t, m, "ctrl+s")
	typeText(t, m, "q.sql")
	keys(t, m, "enter")
	path := filepath.Join(dir, "q.sql")
	if data, err := os.ReadFile(path); err != nil || string(data) != "SELECT 1" {
		t.Fatalf("saved %q, %v", data, err)
	}
	if m.buf().dirty() || !strings.Contains(m.View(), "1 q.sql ") {
		t.Fatal("a saved buffer is dirty or unnamed")
	}
	// Changed on disk since: saving asks.
	if err := os.WriteFile(path, []byte("SELECT 'theirs'"), 0o644); err != nil {
		t.Fatal(err)
	}
	typeText(t, m, "0")
	keys(t, m, "ctrl+s")
	if m.prompt != promptConfirm || !strings.Contains(m.View(), "changed on disk") {
		t.Fatalf("no question on a file changed on disk:\n%s", m.View())
	}
	keys(t, m, "n")
	if data, _ := os.ReadFile(path); string(data) != "SELECT 'theirs'" {
		t.Fatalf("n overwrote the file: %q", data)
	}
	keys(t, m, "ctrl+s", "y")
	if data, _ := os.ReadFile(path); string(data) != "SELECT 10" {
		t.Fatalf("y wrote %q", data)
	}
	// Saving a new buffer over an existing file asks too.
	keys(t, m, "ctrl+n")
	typeText(t, m, "SELECT 2")
	keys(t, m, "ctrl+s")
	typeText(t, m, path)
	keys(t, m, "enter")
	if m.prompt != promptConfirm || !strings.Contains(m.View(), "exists") {
		t.Fatal("no question before overwriting another file")
	}
	keys(t, m, "esc")
	// Open: a new buffer (the current one has text), the file's lines.
	other := filepath.Join(dir, "other.sql")
	if err := os.WriteFile(other, []byte("SELECT 3;\r\nSELECT 4;\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	keys(t, m, "ctrl+o")
	typeText(t, m, "other.sql")
	keys(t, m, "enter")
	if m.Value() != "SELECT 3;\nSELECT 4;\n" || m.BufferName() != other || m.buf().dirty() {
		t.Fatalf("opened %q as %s", m.Value(), m.BufferName())
	}
	// alt+s asks where to save, from the buffer's path.
	keys(t, m, "alt+s")
	if m.prompt != promptSave || m.input != other {
		t.Fatalf("alt+s: prompt %d %q", m.prompt, m.input)
	}
	keys(t, m, "esc")
	// Errors show in the editor; nothing panics.
	for _, bad := range []string{"missing.sql", dir} {
		keys(t, m, "ctrl+o")
		typeText(t, m, bad)
		keys(t, m, "enter")
		if !strings.Contains(m.View(), "✗") && !strings.Contains(m.View(), "cannot open") && !strings.Contains(m.View(), "directory") {
			t.Errorf("opening %s shows no error:\n%s", bad, m.View())
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin.sql"), []byte{0xff, 0xfe, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	keys(t, m, "ctrl+o")
	typeText(t, m, "bin.sql")
	keys(t, m, "enter")
	if !strings.Contains(m.View(), "not UTF-8") {
		t.Errorf("a binary file opened:\n%s", m.View())
	}
	keys(t, m, "ctrl+n", "ctrl+s")
	typeText(t, m, filepath.Join(dir, "no", "such", "dir.sql"))
	keys(t, m, "enter")
	if !strings.Contains(m.View(), "cannot save") {
		t.Errorf("a failed save shows no error:\n%s", m.View())
	}
}

// duckComplete is a completion function over a real DuckDB's
// sql_auto_complete, as lakehouse.Complete will be.
func duckComplete(t testing.TB) (CompleteFunc, *lakehouse.Lakehouse) {
	t.Helper()
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	if _, err := lh.Exec(ctx, "CREATE TABLE gold.orders (order_id INTEGER, amount DECIMAL(10,2), ordered_at DATE)"); err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, before string) ([]lakehouse.Suggestion, error) {
		// After "name." DuckDB 1.5's sql_auto_complete completes the '.'
		// itself: tables of the schema and columns of the table come
		// from the catalog instead.
		if q := qualified.FindStringSubmatch(before); q != nil {
			name, word := lakehouse.QuoteString(strings.ToLower(q[1])), lakehouse.QuoteString(strings.ToLower(q[2]))
			res, err := lh.Query(ctx, "SELECT table_name, 'table', estimated_size || ' rows' FROM duckdb_tables() WHERE schema_name = "+name+
				" AND starts_with(table_name, "+word+") UNION ALL SELECT column_name, 'column', data_type FROM duckdb_columns() WHERE table_name = "+
				name+" AND starts_with(column_name, "+word+") ORDER BY 1")
			if err != nil {
				return nil, err
			}
			var out []lakehouse.Suggestion
			for _, r := range res.Rows {
				out = append(out, lakehouse.Suggestion{Text: r[0].(string), Kind: r[1].(string), Detail: r[2].(string)})
			}
			return out, nil
		}
		res, err := lh.Query(ctx, "SELECT suggestion, suggestion_type, suggestion_start FROM sql_auto_complete("+lakehouse.QuoteString(before)+") LIMIT 20")
		if err != nil {
			return nil, err
		}
		word := len(before) - len(strings.TrimRightFunc(before, func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }))
		var out []lakehouse.Suggestion
		for _, r := range res.Rows {
			if int(r[2].(int32)) == len(before)-word {
				out = append(out, lakehouse.Suggestion{Text: r[0].(string), Kind: r[1].(string)})
			}
		}
		return out, nil
	}, lh
}

var qualified = regexp.MustCompile(`(\w+)\.(\w*)$`)

func TestCompletion(t *testing.T) {
	fn, _ := duckComplete(t)
	m := newTest(t, "", Options{Complete: fn})
	// A '.' after a name opens the popup by itself.
	typeText(t, m, "SELECT * FROM gold.")
	if !m.pop.open || len(m.pop.items) != 1 || m.pop.items[0].Text != "orders" {
		t.Fatalf("after gold.: popup %+v", m.pop)
	}
	v := m.View()
	if !strings.Contains(v, "▸orders table 0 rows") {
		t.Fatalf("the popup does not show the table and its kind:\n%s", v)
	}
	keys(t, m, "tab")
	if m.Value() != "SELECT * FROM gold.orders" || m.pop.open {
		t.Fatalf("tab accepted into %q (open %v)", m.Value(), m.pop.open)
	}
	// ctrl+space on a word; typing narrows; enter accepts.
	m.SetValue("SELECT am")
	keys(t, m, "ctrl+@")
	if !m.pop.open || len(m.pop.items) == 0 {
		t.Fatalf("ctrl+space: %+v", m.pop)
	}
	typeText(t, m, "o")
	if m.pop.items[0].Text != "amount" {
		t.Fatalf("after amo: %+v", m.pop.items)
	}
	keys(t, m, "enter")
	if m.Value() != "SELECT amount" {
		t.Fatalf("enter accepted into %q", m.Value())
	}
	// esc closes without a change; the next esc leaves the editor.
	keys(t, m, "ctrl+@")
	if !m.pop.open {
		t.Fatal("ctrl+space after a word did not open")
	}
	if msgs := keys(t, m, "esc"); len(msgs) != 0 || m.pop.open || m.Value() != "SELECT amount" {
		t.Fatalf("esc in the popup: %v %v %q", msgs, m.pop.open, m.Value())
	}
	// Completion never runs in a string or a comment.
	m.SetValue("SELECT 'a")
	typeText(t, m, ".")
	if m.pop.open {
		t.Fatal("a '.' in a string opened the popup")
	}
}

func TestCompletionStale(t *testing.T) {
	calls := 0
	fn := func(ctx context.Context, before string) ([]lakehouse.Suggestion, error) {
		calls++
		return []lakehouse.Suggestion{{Text: before + "_done", Kind: "column"}}, nil
	}
	m := newTest(t, "SELECT a", Options{Complete: fn})
	keys(t, m, "ctrl+end")
	var first, second tea.Cmd
	*m, first = m.Update(press("ctrl+@"))
	*m, second = m.Update(press("b"))
	if first == nil || second == nil {
		t.Fatal("no completion requests")
	}
	// The older answer comes last: it is dropped.
	*m, _ = m.Update(second())
	*m, _ = m.Update(first())
	if len(m.pop.items) != 1 || m.pop.items[0].Text != "SELECT ab_done" {
		t.Fatalf("items %+v", m.pop.items)
	}
	// Typing is never held up: the keys were handled before any answer.
	if m.Value() != "SELECT ab" || calls != 2 {
		t.Fatalf("value %q, %d calls", m.Value(), calls)
	}
	// Only the statement under the cursor goes to Complete.
	m.SetValue("SELECT 1; SELECT x")
	var cmd tea.Cmd
	*m, cmd = m.Update(press("ctrl+@"))
	if cmd == nil {
		t.Fatal("no request")
	}
	if msg := cmd().(completeMsg); msg.items[0].Text != " SELECT x_done" {
		t.Fatalf("sqlBefore was %q", msg.items[0].Text)
	}
}

// TestCompletionLakehouse completes through lakehouse.Complete, as the
// Analyst view does: a table of the schema after "gold.", then its
// columns after the alias.
func TestCompletionLakehouse(t *testing.T) {
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.Exec(ctx, "CREATE TABLE gold.orders (order_id INTEGER, amount DECIMAL(10,2), ordered_at DATE)"); err != nil {
		t.Fatal(err)
	}
	fn := func(ctx context.Context, before string) ([]lakehouse.Suggestion, error) {
		return lh.Complete(ctx, before, 20)
	}
	m := newTest(t, "", Options{Complete: fn})
	// The '.' opened the popup; it follows the word typed after it.
	typeText(t, m, "SELECT * FROM gold.ord")
	if !m.pop.open || len(m.pop.items) == 0 || m.pop.items[0].Text != "orders" || m.pop.items[0].Kind != lakehouse.KindTable {
		t.Fatalf("after gold.ord: %+v", m.pop)
	}
	keys(t, m, "tab")
	typeText(t, m, " o WHERE o.am")
	keys(t, m, "esc")
	keys(t, m, "ctrl+@")
	if !m.pop.open || len(m.pop.items) == 0 || m.pop.items[0].Text != "amount" {
		t.Fatalf("ctrl+space after o.am: %+v", m.pop)
	}
	if !strings.Contains(m.View(), "amount column DECIMAL(10,2)") {
		t.Errorf("the popup does not show the column's kind and type:\n%s", m.View())
	}
	keys(t, m, "tab")
	if got := m.Value(); got != "SELECT * FROM gold.orders o WHERE o.amount" {
		t.Fatalf("accepted into %q", got)
	}
}

// TestVerticalKeepsColumn moves up and down through a short line: the
// cursor comes back to its column, and to the same cell past wide
// characters.
func TestVerticalKeepsColumn(t *testing.T) {
	m := newTest(t, "SELECT amount\nx\n界界 FROM t", Options{})
	keys(t, m, "end", "backspace", "left", "left")
	if m.buf().cur != (pos{0, 10}) {
		t.Fatalf("cursor at %v", m.buf().cur)
	}
	keys(t, m, "down")
	if m.buf().cur != (pos{1, 1}) {
		t.Fatalf("down onto a short line: %v", m.buf().cur)
	}
	keys(t, m, "down")
	// Cell 10 of "界界 FROM t" is byte 12 (each 界 is 3 bytes, 2 cells).
	if m.buf().cur != (pos{2, 12}) {
		t.Fatalf("down past wide characters: %v", m.buf().cur)
	}
	keys(t, m, "up", "up")
	if m.buf().cur != (pos{0, 10}) {
		t.Fatalf("back up: %v", m.buf().cur)
	}
}

func TestMatchBracket(t *testing.T) {
	tests := []struct {
		text   string
		cur    pos
		a, z   pos
		hasOne bool
	}{
		{"SELECT count(x)", pos{0, 12}, pos{0, 12}, pos{0, 14}, true},
		{"SELECT count(x)", pos{0, 15}, pos{0, 14}, pos{0, 12}, true}, // just after )
		{"f(a, ')', [1,\n(2)])", pos{0, 1}, pos{0, 1}, pos{1, 4}, true},
		{"f(a, ')', [1,\n(2)])", pos{1, 4}, pos{1, 4}, pos{0, 1}, true},
		{"f(a /* ( */", pos{0, 1}, pos{}, pos{}, false},
		{"'(' x", pos{0, 1}, pos{}, pos{}, false},
	}
	for _, tt := range tests {
		m := newTest(t, tt.text, Options{})
		b := m.buf()
		b.cur = tt.cur
		a, z, ok := b.matchBracket()
		if ok != tt.hasOne || ok && (a != tt.a || z != tt.z) {
			t.Errorf("%q at %v: %v %v %v, want %v %v %v", tt.text, tt.cur, a, z, ok, tt.a, tt.z, tt.hasOne)
		}
	}
}

// TestManyTabs keeps the current buffer's tab in view when the tabs do
// not fit.
func TestManyTabs(t *testing.T) {
	m := newTest(t, "", Options{})
	m.SetSize(40, 6)
	for range 8 {
		keys(t, m, "ctrl+n")
	}
	top := strings.Split(m.View(), "\n")[0]
	if !strings.Contains(top, "9 untitled-9") || !strings.HasPrefix(top, "‹") {
		t.Fatalf("the last tab is not shown: %q", top)
	}
	keys(t, m, "alt+1")
	if top := strings.Split(m.View(), "\n")[0]; !strings.HasPrefix(top, " 1 untitled ") {
		t.Fatalf("the first tab is not shown: %q", top)
	}
}
