package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/grid"
)

// runner runs commands each in its own goroutine and hands their
// messages back to the test's goroutine, which feeds them to the model:
// a command that blocks (a query until canceled) does not stop the test
// from sending keys meanwhile. Ticks are dropped, as pump drops them.
type runner struct {
	ch          chan tea.Msg
	outstanding int
}

func newRunner() *runner { return &runner{ch: make(chan tea.Msg, 64)} }

func (r *runner) start(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	r.outstanding++
	go func() { r.ch <- cmd() }()
}

// drain feeds every message back into m, starting the commands each
// returns, until no command is left.
func (r *runner) drain(t *testing.T, m *Model) {
	t.Helper()
	r.feed(m, func() bool { return r.outstanding > 0 })
}

// feed feeds messages back into m, starting the commands each returns,
// while more says so.
func (r *runner) feed(m *Model, more func() bool) {
	for more() {
		msg := <-r.ch
		r.outstanding--
		switch msg := msg.(type) {
		case nil, spinner.TickMsg, clockMsg:
		case tea.BatchMsg:
			for _, c := range msg {
				r.start(c)
			}
		default:
			_, next := m.Update(msg)
			r.start(next)
		}
	}
}

// typeText types s into the focused view, a key per rune; a newline is
// enter.
func typeText(m *Model, s string) {
	for _, r := range s {
		if r == '\n' {
			m.Update(tea.KeyMsg{Type: tea.KeyEnter})
			continue
		}
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

var ctrlJ = tea.KeyMsg{Type: tea.KeyCtrlJ}

// analystOn is a root model on ws showing the Analyst view with the
// editor focused.
func analystOn(t *testing.T, ws *Workspace, w, h int) (*Model, *analyst) {
	t.Helper()
	m := newModelOn(t, ws, w, h)
	m.Update(keyMsg("4"))
	m.Update(keyMsg("e"))
	v := m.views[analystView].(*analyst)
	if v.focus != paneEditor {
		t.Fatalf("e: focus %s, want the editor", paneNames[v.focus])
	}
	return m, v
}

// runEditor runs the editor's statement under the cursor (ctrl+j) to its
// end.
func runEditor(t *testing.T, m *Model) {
	t.Helper()
	_, cmd := m.Update(ctrlJ)
	r := newRunner()
	r.start(cmd)
	r.drain(t, m)
}

func TestAnalystRunQuery(t *testing.T) {
	m, v := analystOn(t, copyWorkspace(t), 120, 40)
	typeText(m, "select 42 as answer, 'forty-two' as words\nunion all select 7, NULL")
	runEditor(t, m)
	if v.run == nil || len(v.run.tabs) != 1 {
		t.Fatalf("run: %+v, want one result tab", v.run)
	}
	tab := v.run.tabs[0]
	if n, done := tab.rows(); tab.status != tabOK || n != 2 || !done {
		t.Fatalf("got status %q (%s), %d rows done=%v; want ok, 2 rows", tab.status, tab.err, n, done)
	}
	_, cmd := m.Update(keyMsg("esc")) // the editor gives the focus back
	m.Update(cmd())
	if v.focus != paneResults {
		t.Errorf("esc in the editor: focus %s, want results", paneNames[v.focus])
	}
	out := m.View()
	for _, want := range []string{"answer", "words", "42", "forty-two", "2 rows"} {
		if !strings.Contains(out, want) {
			t.Errorf("the view lacks %q:\n%s", want, out)
		}
	}
}

func TestAnalystCancel(t *testing.T) {
	for _, cancelKey := range []string{"esc", "ctrl+c"} {
		t.Run(cancelKey, func(t *testing.T) {
			m, v := analystOn(t, copyWorkspace(t), 120, 40)
			// Minutes of work for DuckDB before its one row: only a
			// cancel ends it.
			typeText(m, "select count(*) from range(1000000000) a, range(1000000) b where a.range + b.range = -1")
			_, cmd := m.Update(ctrlJ)
			_, cmd = m.Update(cmd()) // the editor's RunMsg starts the run
			if !v.run.running() || !v.TakesCtrlC() {
				t.Fatalf("not running after ctrl+j")
			}
			r := newRunner()
			r.start(cmd)
			_, cmd = m.Update(keyMsg(cancelKey))
			if m.quitting {
				t.Fatalf("%s quit the app while a query ran", cancelKey)
			}
			r.start(cmd)
			r.drain(t, m)
			if tab := v.run.tabs[0]; tab.status != tabCanceled || v.run.running() {
				t.Fatalf("after %s: status %q (%s), want canceled", cancelKey, tab.status, tab.err)
			}
			// The view stays usable: the next query runs.
			m.Update(keyMsg("f2"))
			m.Update(tea.KeyMsg{Type: tea.KeyCtrlA})
			typeText(m, "select 1 as one")
			runEditor(t, m)
			if tab := v.run.tabs[0]; tab.status != tabOK {
				t.Fatalf("the query after the cancel: %q (%s)", tab.status, tab.err)
			}
		})
	}
}

// TestAnalystCancelStreaming cancels a result whose first rows are on
// screen while the rest still streams in: the grid keeps what came, and
// the history says canceled. A small screen, which shows one pane, shows
// the results as soon as their first page is at hand.
func TestAnalystCancelStreaming(t *testing.T) {
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, v := analystOn(t, copyWorkspace(t), size[0], size[1])
			typeText(m, "select range as n from range(1000000000000)")
			_, cmd := m.Update(ctrlJ)
			r := newRunner()
			r.start(cmd)
			// Feed messages until the first page is at hand; the rest
			// would take hours.
			r.feed(m, func() bool { return v.run == nil || v.run.tabs[0].cur == nil })
			if !v.run.running() {
				t.Fatalf("the result ended before the cancel: %+v", v.run.tabs[0])
			}
			if out := m.View(); !v.tall() && (v.focus != paneResults || !strings.Contains(out, "results")) {
				t.Errorf("a small screen does not show the streaming results:\n%s", out)
			}
			_, cmd = m.Update(keyMsg("esc"))
			r.start(cmd)
			r.drain(t, m)
			tab := v.run.tabs[0]
			if n, done := tab.rows(); tab.status != tabCanceled || n == 0 || !done {
				t.Fatalf("after esc: status %q (%s), %d rows done=%v; want canceled with its first rows", tab.status, tab.err, n, done)
			}
			if len(v.history) == 0 || v.history[0].Status != "canceled" || !strings.Contains(v.history[0].SQL, "range(1000000000000)") {
				t.Errorf("history %+v, want the canceled query first", v.history)
			}
			if out := m.View(); !strings.Contains(out, "canceled") {
				t.Errorf("the view does not say canceled:\n%s", out)
			}
		})
	}
}

func TestAnalystErrorPosition(t *testing.T) {
	m, v := analystOn(t, copyWorkspace(t), 120, 40)
	// The second statement fails: its tab shows the error, the first's
	// its row, and the editor marks the failing token of the second
	// (DuckDB's own position for a conversion error; the name it quotes
	// for a binder error, which the lakehouse's plan check reports).
	for _, tc := range []struct {
		sql string
		msg string
		pos int // the byte offset in the buffer
	}{
		{"select 1;\nselect 'a'::int from range(3)", "Could not convert", 20},
		{"select 1;\nselect nosuch_col from range(3)", "nosuch_col", 17},
		{"select 1;\nselect * from gold.no_such_table", "no_such_table", 29},
	} {
		m.Update(keyMsg("f2"))
		m.Update(tea.KeyMsg{Type: tea.KeyCtrlA})
		typeText(m, tc.sql)
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlR}) // run all
		r := newRunner()
		r.start(cmd)
		r.drain(t, m)
		if len(v.run.tabs) != 2 || v.run.tabs[0].status != tabOK {
			t.Fatalf("%q: tabs %+v, want the first ok", tc.sql, v.run.tabs)
		}
		tab := v.run.tabs[1]
		if tab.status != tabError || !strings.Contains(tab.err, tc.msg) {
			t.Fatalf("%q: got %q (%s), want DuckDB's error", tc.sql, tab.status, tab.err)
		}
		if got := tab.stmt.Start + tab.errPos; tab.errPos < 0 || got != tc.pos {
			t.Errorf("%q: error at %d, want %d", tc.sql, got, tc.pos)
		}
		if v.tab != 1 || !strings.Contains(m.View(), tc.msg) || !strings.Contains(m.View(), "the editor marks where") {
			t.Errorf("%q: the view does not show the error's tab and its mark:\n%s", tc.sql, m.View())
		}
	}
	// An error that points nowhere claims no mark in the editor.
	m.Update(keyMsg("f2"))
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlA})
	typeText(m, "select error('boom')")
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlR})
	r := newRunner()
	r.start(cmd)
	r.drain(t, m)
	if tab := v.run.tabs[0]; tab.status != tabError || tab.errPos >= 0 {
		t.Fatalf("error('boom'): got %q at %d (%s), want an error pointing nowhere", tab.status, tab.errPos, tab.err)
	}
	if view := m.View(); strings.Contains(view, "the editor marks where") || !strings.Contains(view, "fix the query and run it again") {
		t.Errorf("error('boom') claims a mark in the editor:\n%s", view)
	}
}

func TestAnalystHistoryRerun(t *testing.T) {
	m, v := analystOn(t, copyWorkspace(t), 120, 40)
	typeText(m, "select 'from the past' as note")
	runEditor(t, m)
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlA})
	typeText(m, "select 2")
	r := newRunner()
	_, cmd := m.Update(keyMsg("f8"))
	r.start(cmd)
	r.drain(t, m)
	if v.focus != paneHistory || len(v.history) == 0 || !strings.Contains(v.history[0].SQL, "from the past") {
		t.Fatalf("history: focus %s, records %+v", paneNames[v.focus], v.history)
	}
	_, cmd = m.Update(keyMsg("enter"))
	r.start(cmd)
	r.drain(t, m)
	if got := v.ed.Value(); got != "select 'from the past' as note" {
		t.Errorf("the editor holds %q after the re-run", got)
	}
	tab := v.run.tabs[0]
	if tab.status != tabOK || !strings.Contains(m.View(), "from the past") {
		t.Errorf("re-run: %q (%s)\n%s", tab.status, tab.err, m.View())
	}
}

// TestAnalystAlertCount checks the status bar counts the snapshot's
// TRIGGERED alerts, and that c in the alerts pane checks them and reads
// the snapshot again.
func TestAnalystAlertCount(t *testing.T) {
	ws := copyWorkspace(t)
	m := newModelOn(t, ws, 160, 48)
	if n := triggered(testSnap.Alerts); !strings.Contains(m.View(), fmt.Sprintf("alerts %d", n)) {
		t.Fatalf("status bar without alerts %d:\n%s", n, m.View())
	}
	m.Update(keyMsg("4"))
	r := newRunner()
	_, cmd := m.Update(keyMsg("f9"))
	r.start(cmd)
	r.drain(t, m)
	_, cmd = m.Update(keyMsg("c"))
	r.start(cmd)
	r.drain(t, m)
	v := m.views[analystView].(*analyst)
	if len(v.alerts) == 0 || m.sh.snap == nil {
		t.Fatalf("no alerts after c: %v", v.alertErr)
	}
	want := triggered(m.sh.snap.Alerts)
	if want != triggered(v.alerts) {
		t.Errorf("the snapshot counts %d triggered, the check %d", want, triggered(v.alerts))
	}
	if !strings.Contains(m.View(), fmt.Sprintf("alerts %d", want)) {
		t.Errorf("status bar without alerts %d:\n%s", want, m.View())
	}
	for _, a := range v.alerts {
		if a.State == pipeline.AlertUnknown || len(a.History) == 0 {
			t.Errorf("alert %s after a check: state %s, %d evaluations", a.Alert, a.State, len(a.History))
		}
	}
}

// TestAlertCountUnreadable: alerts a principal may not read count as
// unknown in the status bar, not as none triggered.
func TestAlertCountUnreadable(t *testing.T) {
	fired := []pipeline.AlertStatus{
		{AlertEvaluation: pipeline.AlertEvaluation{Alert: "a", State: pipeline.AlertTriggered}},
		{AlertEvaluation: pipeline.AlertEvaluation{Alert: "b", State: pipeline.AlertOK}},
	}
	for _, tc := range []struct {
		snap *Snapshot
		want string
	}{
		{nil, "—"},
		{&Snapshot{Alerts: fired}, "1"},
		{&Snapshot{}, "0"},
		{&Snapshot{Refused: map[string]string{RefusedAlerts: "lakehouse: dana may not read sys.alert_history"}}, "—"},
	} {
		if got := alertCount(tc.snap); got != tc.want {
			t.Errorf("alertCount(%+v) = %q, want %q", tc.snap, got, tc.want)
		}
	}
}

// TestGoldenAnalyst draws the Analyst view's panes at 80x24 and 160x48
// over the frozen sample, each reached by keys (a line of text is typed
// into the editor; ctrl+j runs it).
func TestGoldenAnalyst(t *testing.T) {
	screens := []struct {
		name string
		keys []string
	}{
		{"start", nil},
		{"editor", []string{"e"}},
		{"catalog", []string{"f6", "down", "down", "enter", "down", "enter", "down"}},
		{"query", []string{"e", "text:select range as n, range * 1.5 as half, 'row ' || range as label from range(1000)", "ctrl+j"}},
		{"chart", []string{"e", "text:select range as day, range * range as sq from range(30)", "ctrl+j", "esc", "c"}},
		{"error", []string{"e", "text:select nosuch from range(3)", "ctrl+j"}},
		{"dashboards", []string{"f7"}},
	}
	// The queries go to a copy's history, not the shared sample's.
	ws := copyWorkspace(t)
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				m := newModelOn(t, ws, size[0], size[1])
				m.Update(keyMsg("4"))
				v := m.views[analystView].(*analyst)
				v.of = "" // read the catalog, alerts and history again
				r := newRunner()
				r.start(v.SetSnapshot(testSnap))
				r.drain(t, m)
				for _, k := range sc.keys {
					var cmd tea.Cmd
					switch {
					case strings.HasPrefix(k, "text:"):
						typeText(m, strings.TrimPrefix(k, "text:"))
					case k == "ctrl+j":
						_, cmd = m.Update(ctrlJ)
					default:
						_, cmd = m.Update(keyMsg(k))
					}
					r.start(cmd)
					r.drain(t, m)
				}
				out := m.View()
				if got := strings.Count(out, "\n") + 1; got != size[1] {
					t.Errorf("%d lines, want %d", got, size[1])
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestAnalystSizes draws every pane of the Analyst view at the sizes a
// user opens it: exactly the terminal's lines, none wider, and the pane
// bar naming every pane's key (it replaced the placeholder, whose test
// this was).
func TestAnalystSizes(t *testing.T) {
	for _, size := range [][2]int{{60, 20}, {80, 24}, {120, 40}, {200, 60}} {
		m := newTestModel(t, size[0], size[1])
		m.Update(keyMsg("4"))
		for _, k := range []string{"f2", "f5", "f6", "f7", "f8", "f9", "f6"} {
			m.Update(keyMsg(k))
			lines := strings.Split(m.View(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%s at %dx%d: %d lines", k, size[0], size[1], len(lines))
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%s at %dx%d: line %d is %d wide", k, size[0], size[1], i, w)
				}
			}
			for _, f := range []string{"f2", "f5", "f6", "f7", "f8", "f9"} {
				if !strings.Contains(lines[1], f) {
					t.Errorf("%s at %dx%d: the pane bar lacks %s: %q", k, size[0], size[1], f, lines[1])
				}
			}
		}
	}
}

// Help lists the chart key (c) and the grid's filter (/) beside longer
// keys that merely contain them (esc/ctrl+c, ←/→), and still folds "→"
// into "←/→".
func TestAnalystHelpShowsChartAndFilter(t *testing.T) {
	m, _ := analystOn(t, copyWorkspace(t), 120, 40)
	typeText(m, "select 1 as a")
	runEditor(t, m)
	m.Update(keyMsg("f5"))
	m.Update(keyMsg("?"))
	out := m.View()
	for _, want := range []string{"chart/grid", "filter (SQL)", "column"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "next column") {
		t.Errorf("help lists → beside ←/→:\n%s", out)
	}
}

// A filter keeps the sort the user chose (s/S), as a sort keeps the
// filter.
func TestAnalystFilterKeepsSort(t *testing.T) {
	m, v := analystOn(t, copyWorkspace(t), 120, 40)
	typeText(m, "select * from range(100) t(n)")
	runEditor(t, m)
	r := newRunner()
	r.start(v.Update(grid.SortMsg{Column: 0, Desc: true}))
	r.drain(t, m)
	r.start(v.Update(grid.FilterMsg{Where: "n % 10 = 3"}))
	r.drain(t, m)
	tab := v.run.tabs[0]
	if tab.where != "n % 10 = 3" || tab.sortCol != 0 || !tab.sortDesc {
		t.Fatalf("after the filter: where %q, sort column %d desc %v", tab.where, tab.sortCol, tab.sortDesc)
	}
	res, err := tab.cur.Page(context.Background(), 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range res.Rows {
		got = append(got, fmt.Sprint(row[0]))
	}
	if strings.Join(got, " ") != "93 83 73" {
		t.Errorf("filtered rows %v, want 93 83 73 (still sorted descending)", got)
	}
}

// TestAnalystPreview runs a query with its own ORDER BY over 10M rows: its
// first page shows at once as a preview, labelled in the grid and the
// title, while DuckDB sorts; esc cancels the sort, and the history's one
// entry says canceled and notes the preview. Run again over 1M rows to
// its end, the preview is replaced by the execution's first page and the
// history notes they were equal.
func TestAnalystPreview(t *testing.T) {
	m, v := analystOn(t, copyWorkspace(t), 120, 40)
	typeText(m, "SELECT * FROM range(10000000) t(i) ORDER BY i % 7, i DESC")
	_, cmd := m.Update(ctrlJ)
	r := newRunner()
	r.start(cmd)
	r.feed(m, func() bool { return v.run == nil || v.run.tabs[0].cur == nil })
	tab := v.run.tabs[0]
	out := m.View()
	if !tab.grid.Previewing() || !strings.Contains(out, "preview · sorting…") || !strings.Contains(out, "first page previewed, sorting") ||
		!strings.Contains(out, "9,999,997") {
		t.Fatalf("the preview is not shown, labelled:\n%s", out)
	}
	_, cmd = m.Update(keyMsg("esc"))
	r.start(cmd)
	r.drain(t, m)
	if tab.status != tabCanceled || tab.grid.Previewing() {
		t.Fatalf("after esc: status %q (%s), previewing %v", tab.status, tab.err, tab.grid.Previewing())
	}
	if len(v.history) == 0 || v.history[0].Status != "canceled" || !strings.Contains(v.history[0].Note, "first page previewed") {
		t.Fatalf("history %+v, want the canceled query first, noting its preview", v.history)
	}

	m.Update(keyMsg("f2"))
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlA})
	typeText(m, "SELECT * FROM range(1000000) t(i) ORDER BY i % 7, i DESC")
	runEditor(t, m)
	tab = v.run.tabs[0]
	if n, done := tab.rows(); tab.status != tabOK || n != 1_000_000 || !done || tab.grid.Previewing() {
		t.Fatalf("status %q (%s), %d rows, done %v, previewing %v", tab.status, tab.err, n, done, tab.grid.Previewing())
	}
	if out := m.View(); strings.Contains(out, "preview") || !strings.Contains(out, "999,999") {
		t.Fatalf("after the sort:\n%s", out)
	}
	h := v.history
	if len(h) < 2 || h[0].Status != "ok" || !strings.Contains(h[0].Note, "equal to the execution's first page") || !strings.Contains(h[0].SQL, "range(1000000)") {
		t.Fatalf("history %+v, want one entry for the query, noting its preview equal", h)
	}
	m.Update(keyMsg("f8"))
	if out := m.View(); !strings.Contains(out, "first page previewed (200 rows by a top-N") {
		t.Errorf("the history pane does not show the note:\n%s", out)
	}
}
