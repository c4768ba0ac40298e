package grid

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
)

// TestBigResult opens a 10M-row result, jumps to its last row and scrolls
// through it: the row shown last is the last row of that one execution,
// and the grid never holds more than its pages.
func TestBigResult(t *testing.T) {
	src := bigSource(t)
	opts := Options{PageSize: 200, Pages: 5}
	m := open(t, src, 120, 40, opts)
	if n, done := m.Count(); n != 10_000_000 || !done {
		t.Fatalf("count %d (done %v), want 10,000,000", n, done)
	}
	if calls, first := src.pages.Load(), src.first.Load(); calls != 2 || first != 0 {
		t.Errorf("opening read %d pages, the first at %d: want the first page, then the next one", calls, first)
	}
	if _, ok := m.Row(0); !ok {
		t.Fatal("the first row is not held after opening")
	}
	if v := m.View(); !strings.Contains(v, "row 1 of 10,000,000 rows") || !strings.Contains(v, "name 0") {
		t.Errorf("first view lacks the count or the first row:\n%s", v)
	}

	m, _ = press(t, m, "G")
	row, _ := m.Cursor()
	if row != 9_999_999 {
		t.Fatalf("G put the cursor on row %d, want 9,999,999", row)
	}
	want, err := src.rs.Page(context.Background(), 9_999_999, 1)
	if err != nil || len(want.Rows) != 1 {
		t.Fatalf("the snapshot's last row: %v %v", want, err)
	}
	got, ok := m.Row(row)
	if !ok {
		t.Fatal("the last row is not held after G")
	}
	if got[0] != want.Rows[0][0] || got[4] != want.Rows[0][4] {
		t.Errorf("last row shown %v, the execution's last row %v", got, want.Rows[0])
	}
	v := m.View()
	if !strings.Contains(v, "10,000,000") || !strings.Contains(v, "name "+formatValue(want.Rows[0][0], "BIGINT")) {
		t.Errorf("the view does not show the last row:\n%s", v)
	}

	// Scroll through: jumps all over, pages down and up around each.
	bound := opts.Pages * int(opts.PageSize)
	check := func(where string) {
		t.Helper()
		if held := m.HeldRows(); held > int64(bound) {
			t.Fatalf("%s: the grid holds %d rows, more than %d pages of %d", where, held, opts.Pages, opts.PageSize)
		}
		if len(m.pages) > opts.Pages {
			t.Fatalf("%s: %d pages held", where, len(m.pages))
		}
	}
	for i := range 40 {
		target := int64(i)*249_999 + 1
		m, _ = press(t, m, ":")
		m = typeText(t, m, lakehouse.GroupDigits(formatValue(target, "BIGINT")))
		m, _ = press(t, m, "enter")
		if r, _ := m.Cursor(); r != target-1 {
			t.Fatalf("go to %d: cursor on %d", target, r)
		}
		check("after go to")
		for range 3 {
			m, _ = press(t, m, "pgdown")
			check("after pgdown")
		}
		m, _ = press(t, m, "pgup", "up", "down")
		check("after pgup")
		r, _ := m.Cursor()
		if got, ok := m.Row(r); !ok || got[0] != r {
			t.Fatalf("cursor row %d shows %v", r, got)
		}
	}
	m, _ = press(t, m, "g")
	if r, _ := m.Cursor(); r != 0 {
		t.Errorf("g: cursor on %d", r)
	}
	check("after g")
}

// TestStaleAnswersDropped: an answer for a source since replaced, or for
// a request since dropped, never shows.
func TestStaleAnswersDropped(t *testing.T) {
	a := snapshot(t, "SELECT 'a' || i AS v FROM range(1000) t(i)")
	b := snapshot(t, "SELECT 'b' || i AS v FROM range(1000) t(i)")
	a.ignoreCtx, b.ignoreCtx = true, true

	m := New(Options{PageSize: 100})
	m.SetSize(80, 24)
	oldA := collect(m.SetSource(a))
	newB := collect(m.SetSource(b))
	for _, msg := range newB {
		m, _ = m.Update(msg)
	}
	for _, msg := range oldA {
		m, _ = m.Update(msg)
	}
	if r, ok := m.Row(0); !ok || r[0] != "b0" {
		t.Fatalf("row 0 is %v, want b0 (the answer for the replaced source was taken)", r)
	}

	// Jump to the end and back before the first answers come: the
	// answers for page 0 of the first request are stale.
	m = New(Options{PageSize: 100})
	m.SetSize(80, 24)
	var first []tea.Msg
	for _, msg := range collect(m.SetSource(a)) {
		if _, ok := msg.(countMsg); ok {
			m, _ = m.Update(msg) // the count comes first: G knows the end
			continue
		}
		first = append(first, msg)
	}
	var cmd tea.Cmd
	m, cmd = m.Update(keyMsg("G"))
	late := collect(cmd)
	m, cmd = m.Update(keyMsg("g"))
	current := collect(cmd)
	for _, msg := range first {
		m, _ = m.Update(msg)
	}
	if _, ok := m.Row(0); ok {
		t.Fatal("a dropped request's answer was kept")
	}
	for _, msg := range late {
		m, _ = m.Update(msg)
	}
	if _, ok := m.Row(999); ok {
		t.Fatal("the answer for the last page, no longer on screen, was kept")
	}
	for _, msg := range current {
		m, _ = m.Update(msg)
	}
	if r, ok := m.Row(0); !ok || r[0] != "a0" {
		t.Fatalf("row 0 is %v after the current answer, want a0", r)
	}
	if m.flash != "" {
		t.Errorf("stale answers left a message: %q", m.flash)
	}
}

// TestCountWhileRunning: a source still running shows N+ rows… and the
// count grows as it is read.
func TestCountWhileRunning(t *testing.T) {
	src := &growingSource{memSource: *streamed(t, "SELECT i FROM range(1000) t(i)"), known: 300}
	m := New(Options{PageSize: 100})
	m.SetSize(80, 24)
	msgs := collect(m.SetSource(src))
	for _, msg := range msgs {
		m, _ = m.Update(msg)
	}
	if v := m.View(); !strings.Contains(v, "of 300+ rows…") {
		t.Errorf("a running source's count is not shown as 300+:\n%s", v)
	}
	m, _ = m.Update(keyMsg("G"))
	if r, _ := m.Cursor(); r != 299 {
		t.Errorf("G while running: row %d, want the last known, 299", r)
	}
	src.known, src.done = 1000, true
	var cmd tea.Cmd
	m, cmd = m.Update(countMsg{grid: m.id, gen: m.gen, count: 1000, done: true})
	m, _ = pump(t, m, cmd)
	if v := m.View(); !strings.Contains(v, "of 1,000 rows") {
		t.Errorf("the final count is not shown:\n%s", v)
	}
	m, _ = press(t, m, "G")
	if r, ok := m.Row(999); !ok || r[0] != int64(999) {
		t.Errorf("last row after the end: %v", r)
	}
}

// growingSource is a result whose rows come in as the test says.
type growingSource struct {
	memSource
	known int64
	done  bool
}

func (s *growingSource) Count() (int64, bool) { return s.known, s.done }
func (s *growingSource) Page(ctx context.Context, offset, limit int64) (*lakehouse.Result, error) {
	return s.memSource.Page(ctx, offset, min(limit, max(s.known-offset, 0)))
}

// TestKeys checks cursor moves, horizontal scroll and the frozen column.
func TestKeys(t *testing.T) {
	src := snapshot(t, `SELECT i AS id, repeat('x', 30) AS a, repeat('y', 30) AS b, repeat('z', 30) AS c, i * 2 AS d
		FROM range(500) t(i) ORDER BY i`)
	m := open(t, src, 80, 24, Options{PageSize: 100})
	steps := []struct {
		key      string
		row      int64
		col      int
		firstCol int
	}{
		{"down", 1, 0, 0},
		{"pgdown", 22, 0, 0},
		{"end", 499, 0, 0},
		{"pgup", 478, 0, 0},
		{"home", 0, 0, 0},
		{"ctrl+end", 499, 0, 0},
		{"ctrl+home", 0, 0, 0},
		{"right", 0, 1, 0},
		{"right", 0, 2, 0},
		{"right", 0, 3, 2},
		{"right", 0, 4, 2},
		{"right", 0, 4, 2},
		{"f", 0, 4, 3},
		{"left", 0, 3, 3},
		{"left", 0, 2, 2},
		{"left", 0, 1, 1},
		{"left", 0, 0, 1},
		{"up", 0, 0, 1},
	}
	for _, s := range steps {
		m, _ = press(t, m, s.key)
		row, col := m.Cursor()
		spans := m.spans()
		if row != s.row || col != s.col || m.left != s.firstCol {
			t.Fatalf("after %s: row %d col %d scrolled to %d, want %d %d %d", s.key, row, col, m.left, s.row, s.col, s.firstCol)
		}
		if m.freeze && spans[0].col != 0 {
			t.Fatalf("after %s: frozen, the first column shown is %d", s.key, spans[0].col)
		}
		for _, l := range strings.Split(m.View(), "\n") {
			if w := ansi.StringWidth(l); w != 80 {
				t.Fatalf("after %s: a line %d wide: %q", s.key, w, l)
			}
		}
	}
}

// TestGotoErrors: a bad row number says what to type; one past the end
// goes to the last row.
func TestGotoErrors(t *testing.T) {
	m := open(t, snapshot(t, "SELECT i FROM range(50) t(i)"), 80, 24, Options{})
	m, _ = press(t, m, ":")
	m = typeText(t, m, "abc")
	m, _ = press(t, m, "enter")
	if !strings.Contains(m.View(), `"abc" is not a row number: type one from 1 to 50`) {
		t.Errorf("bad row number: %s", m.View())
	}
	m, _ = press(t, m, ":")
	m = typeText(t, m, "1,000")
	m, _ = press(t, m, "enter")
	if r, _ := m.Cursor(); r != 49 || !strings.Contains(m.View(), "row 1,000 is past the end: 50 rows") {
		t.Errorf("past the end: row %d\n%s", r, m.View())
	}
	m, _ = press(t, m, ":", "7", "esc")
	if r, _ := m.Cursor(); r != 49 || m.prompt != promptNone {
		t.Errorf("esc did not cancel the prompt: row %d", r)
	}
}

// TestSortFilterMessages: s, S and / ask the owner; SetSort shows the
// arrow on the header.
func TestSortFilterMessages(t *testing.T) {
	src := snapshot(t, "SELECT i AS id, 'n' || i AS name FROM range(10) t(i)")
	m := open(t, src, 80, 24, Options{})
	m, msgs := press(t, m, "right", "S")
	if len(msgs) != 1 || msgs[0] != (SortMsg{Column: 1, Desc: true}) {
		t.Fatalf("S sent %v", msgs)
	}
	_, msgs = press(t, m, "s")
	if len(msgs) != 1 || msgs[0] != (SortMsg{Column: 1}) {
		t.Fatalf("s sent %v", msgs)
	}
	m, _ = press(t, m, "/")
	m = typeText(t, m, "id > 3")
	m, msgs = press(t, m, "enter")
	if len(msgs) != 1 || msgs[0] != (FilterMsg{Where: "id > 3"}) {
		t.Fatalf("/ sent %v", msgs)
	}
	sorted := snapshot(t, "SELECT i AS id, 'n' || i AS name FROM range(10) t(i) ORDER BY name DESC")
	m, _ = pump(t, m, m.SetSource(sorted))
	m.SetSort(1, true)
	m.SetFilter("id > 3")
	v := m.View()
	if !strings.Contains(v, "name ▼") || !strings.Contains(v, "where id > 3") {
		t.Errorf("sort arrow or filter not shown:\n%s", v)
	}
	if r, _ := m.Row(0); r[1] != "n9" {
		t.Errorf("first row of the sorted source: %v", r)
	}
}

// TestCopy checks the OSC 52 bytes of a copied cell, row and selection,
// and a selection beyond the pages held, read from the source.
func TestCopy(t *testing.T) {
	src := snapshot(t, `SELECT i AS id, CASE WHEN i = 1 THEN NULL ELSE 'a' || i END AS name, 'x	y' AS tab FROM range(1000) t(i)`)
	var clip bytes.Buffer
	m := open(t, src, 80, 24, Options{PageSize: 100, Clipboard: &clip})
	decode := func() string {
		t.Helper()
		s := clip.String()
		clip.Reset()
		if !strings.HasPrefix(s, "\x1b]52;c;") || !strings.HasSuffix(s, "\x07") {
			t.Fatalf("not an OSC 52 sequence: %q", s)
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(s, "\x1b]52;c;"), "\x07"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	m, _ = press(t, m, "down", "right", "y")
	if got := decode(); got != "" {
		t.Errorf("copied NULL as %q, want empty", got)
	}
	m, _ = press(t, m, "down", "Y")
	if got := decode(); got != "2\ta2\t\"x\ty\"" {
		t.Errorf("copied row %q", got)
	}
	if !strings.Contains(m.View(), "copied 1 row × 3 columns") {
		t.Errorf("no copy message:\n%s", m.View())
	}
	m, _ = press(t, m, "up", "left", "v", "down", "down", "right", "y")
	if got := decode(); got != "1\t\n2\ta2\n3\ta3" {
		t.Errorf("copied selection %q", got)
	}
	// A selection of rows the grid no longer holds is read from the
	// source.
	m, _ = press(t, m, "g", "v", "G", "y")
	got := decode()
	if lines := strings.Split(got, "\n"); len(lines) != 1000 || lines[0] != "a0" || lines[1] != "" || lines[999] != "a999" {
		t.Errorf("copied %d lines, the last %q", len(lines), lines[len(lines)-1])
	}
	// A selection beyond MaxCopyRows is refused, saying what to do.
	m.opts.MaxCopyRows = 10
	m, _ = press(t, m, "g", "v", "G", "y")
	if clip.Len() != 0 || !strings.Contains(m.View(), "1,000 rows selected: copy at most 10, or export") {
		t.Errorf("a selection over the cap: clipboard %q\n%s", clip.String(), m.View())
	}
	if seq := OSC52("hé\n"); seq != "\x1b]52;c;aMOpCg==\x07" {
		t.Errorf("OSC52: %q", seq)
	}
}

// TestViewer opens a JSON cell, scrolls it and closes it.
func TestViewer(t *testing.T) {
	src := streamed(t, `SELECT {'b': 1, 'a': [1, 2, 3], 'c': {'x': 'y'}} AS s, '{"k": [1, {"z": null}]}' AS j, repeat('long ', 100) AS txt`)
	m := open(t, src, 40, 12, Options{})
	m, _ = press(t, m, "enter")
	v := m.View()
	for _, want := range []string{"row 1 · s (STRUCT(", `"b": 1,`, `"a": [`, "esc close"} {
		if !strings.Contains(v, want) {
			t.Errorf("viewer lacks %q:\n%s", want, v)
		}
	}
	if strings.Index(v, `"b"`) > strings.Index(v, `"a"`) {
		t.Errorf("struct fields out of their declared order:\n%s", v)
	}
	m, _ = press(t, m, "esc", "right", "enter")
	if v := m.View(); !strings.Contains(v, `"k": [`) || !strings.Contains(v, `"z": null`) {
		t.Errorf("JSON text not indented:\n%s", v)
	}
	m, _ = press(t, m, "esc", "right", "enter")
	if !strings.Contains(m.View(), "%") {
		t.Errorf("long text is not scrollable:\n%s", m.View())
	}
	if !strings.Contains(m.View(), "· 500 characters") {
		t.Errorf("long text's viewer does not say its length:\n%s", m.View())
	}
	m, _ = press(t, m, "pgdown", "q")
	if m.viewer != nil {
		t.Error("q did not close the viewer")
	}
	// An empty string is not a NULL, in the viewer too.
	m = open(t, streamed(t, `SELECT '' AS e, NULL::VARCHAR AS n`), 40, 12, Options{})
	m, _ = press(t, m, "enter")
	if v := m.View(); !strings.Contains(v, "row 1 · e (VARCHAR) · empty string") {
		t.Errorf("empty string's viewer:\n%s", v)
	}
	m, _ = press(t, m, "esc", "right", "enter")
	if v := m.View(); strings.Contains(v, "empty string") || !strings.Contains(v, "NULL") {
		t.Errorf("NULL's viewer:\n%s", v)
	}
}

// TestMessagesOfOtherGrids: a grid ignores the pages of another.
func TestMessagesOfOtherGrids(t *testing.T) {
	src := snapshot(t, "SELECT 1 AS x")
	a, b := New(Options{}), New(Options{})
	a.SetSize(40, 10)
	b.SetSize(40, 10)
	msgs := collect(a.SetSource(src))
	b.SetSource(src)
	for _, msg := range msgs {
		b, _ = b.Update(msg)
	}
	if _, ok := b.Row(0); ok {
		t.Error("grid b took grid a's page")
	}
}

// TestScrollBack: a result whose columns all fit shows from the first,
// even when the cursor's column was scrolled to in a wider one.
func TestScrollBack(t *testing.T) {
	wide := snapshot(t, "SELECT repeat('a', 40) AS a, repeat('b', 40) AS b, repeat('c', 40) AS c")
	narrow := snapshot(t, "SELECT 'a' AS a, 'b' AS b, 'c' AS c")
	m := open(t, wide, 80, 10, Options{})
	m, _ = press(t, m, "right", "right")
	if m.left == 0 {
		t.Fatal("the third 40-cell column shows without scrolling at 80 cells")
	}
	m, _ = pump(t, m, m.SetSource(narrow))
	if _, col := m.Cursor(); col != 2 || m.left != 0 || m.spans()[0].col != 0 {
		t.Errorf("narrow result: cursor column %d, scrolled to %d", col, m.left)
	}
}

// TestEmptyResult: a result of no rows says so, and no key fails on it;
// nor on a grid without a source.
func TestEmptyResult(t *testing.T) {
	m := open(t, snapshot(t, "SELECT 1 AS a, 'x' AS b WHERE false"), 60, 10, Options{})
	keys := []string{"down", "G", "end", "pgdown", "right", "enter", "esc", "y", "Y", "v", "y", "f", ":", "5", "enter"}
	m, _ = press(t, m, keys...)
	v := m.View()
	if !strings.Contains(v, "no rows") || !strings.Contains(v, "0 rows") {
		t.Errorf("empty result:\n%s", v)
	}
	none := New(Options{})
	none.SetSize(60, 10)
	none, _ = press(t, none, keys...)
	if v := none.View(); !strings.Contains(v, "no result") {
		t.Errorf("no source:\n%s", v)
	}
}

// TestNoEmptyColumn: a column is shown at least one cell wide (its "…"),
// never as an empty pair of borders, at any terminal width.
func TestNoEmptyColumn(t *testing.T) {
	src := snapshot(t, "SELECT repeat('t', 50) AS title, 'Thriller/Suspense!!' AS genre, 8.5 AS rating")
	for w := 30; w <= 90; w++ {
		m := open(t, src, w, 6, Options{})
		for _, sp := range m.spans() {
			if sp.width < 1 {
				t.Errorf("at %d cells, column %d is shown %d cells wide:\n%s", w, sp.col, sp.width, m.View())
			}
		}
		for _, l := range strings.Split(m.View(), "\n") {
			if cw := ansi.StringWidth(l); cw != w {
				t.Fatalf("at %d cells a line is %d wide: %q", w, cw, l)
			}
		}
	}
}
