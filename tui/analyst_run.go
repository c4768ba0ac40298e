package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/tui/chart"
	"github.com/lakebench/lakebench/tui/editor"
	"github.com/lakebench/lakebench/tui/grid"
)

// The states of a result tab.
const (
	tabWaiting  = "waiting"
	tabRunning  = "running"
	tabOK       = "ok"
	tabError    = "error"
	tabCanceled = "canceled"
	tabSkipped  = "not run"
)

// resultTab is one statement's result: its execution, streamed (base),
// and what the grid shows of it (cur: base, or base sorted or filtered).
type resultTab struct {
	// stmt is the statement run; Start is -1 for one not from the
	// editor (a table's preview).
	stmt   editor.Statement
	status string
	err    string
	// errPos is where in the statement the error points, -1 if nowhere.
	errPos  int
	base    *lakehouse.Live
	cur     *lakehouse.Live
	started time.Time
	ended   time.Time
	// sort and where say how cur derives from base.
	sortCol  int
	sortDesc bool
	where    string
	// deriving is set while a sort or filter runs.
	deriving string
	// charted shows the chart in place of the grid.
	charted bool
	chart   *tabChart
	grid    grid.Model
}

// streaming is true while the tab's rows still come in.
func (t *resultTab) streaming() bool {
	if t.cur == nil {
		return false
	}
	_, done := t.cur.Count()
	return !done
}

// rows is how many rows the shown result has so far, and whether that is
// all.
func (t *resultTab) rows() (int64, bool) {
	if t.cur == nil {
		return 0, t.status != tabRunning
	}
	return t.cur.Count()
}

// queryRun is one run of the editor's statements, one after the other;
// its context's cancel interrupts DuckDB.
type queryRun struct {
	seq    int
	ctx    context.Context
	cancel context.CancelFunc
	tabs   []*resultTab
	// at is the statement running, len(tabs) once all ended.
	at       int
	canceled bool
}

func (r *queryRun) running() bool { return r != nil && r.at < len(r.tabs) }

// export is an export of a result to a file in flight.
type export struct {
	path    string
	format  string
	cancel  context.CancelFunc
	written int64
	ended   bool
}

// Messages of the runs.
type (
	// anStartedMsg is a statement's first page at hand (or its failure).
	anStartedMsg struct {
		seq  int
		idx  int
		live *lakehouse.Live
		err  error
	}
	// anEndedMsg is a statement's execution ended: all rows in, failed or
	// canceled.
	anEndedMsg struct {
		seq int
		idx int
		err error
	}
	// anDerivedMsg is a result sorted or filtered (Live.Sort, Filter).
	anDerivedMsg struct {
		seq   int
		idx   int
		live  *lakehouse.Live
		what  string
		col   int
		desc  bool
		where string
		err   error
	}
	anExportMsg struct {
		written int64
		ch      <-chan tea.Msg
	}
	anExportedMsg struct {
		path    string
		written int64
		err     error
	}
)

func (anStartedMsg) owner() viewID  { return analystView }
func (anEndedMsg) owner() viewID    { return analystView }
func (anDerivedMsg) owner() viewID  { return analystView }
func (anExportMsg) owner() viewID   { return analystView }
func (anExportedMsg) owner() viewID { return analystView }

// startRun runs statements, one after the other, each into its own result
// tab; the previous run's results are closed.
func (v *analyst) startRun(stmts []editor.Statement) tea.Cmd {
	if len(stmts) == 0 {
		return flash("nothing to run: the editor is empty", false)
	}
	if v.run.running() {
		return flash("a query is running: esc cancels it", true)
	}
	closing := v.closeRun()
	v.seq++
	ctx, cancel := context.WithCancel(context.Background())
	r := &queryRun{seq: v.seq, ctx: ctx, cancel: cancel}
	for _, s := range stmts {
		r.tabs = append(r.tabs, &resultTab{stmt: s, status: tabWaiting, sortCol: -1})
	}
	v.run, v.tab = r, 0
	v.resetEditorError()
	v.lower = paneResults
	return tea.Batch(closing, v.startStatement(), v.spin.Tick)
}

// startStatement starts the run's statement at r.at.
func (v *analyst) startStatement() tea.Cmd {
	r := v.run
	t := r.tabs[r.at]
	t.status, t.started = tabRunning, v.sh.now()
	b, target, ctx, seq, idx, sql := v.sh.backend, v.sh.target, r.ctx, r.seq, r.at, t.stmt.SQL
	return func() tea.Msg {
		l, err := b.Query(ctx, target, sql)
		return anStartedMsg{seq: seq, idx: idx, live: l, err: err}
	}
}

// closeRun cancels the current run and closes its results, in the
// background.
func (v *analyst) closeRun() tea.Cmd {
	r := v.run
	if r == nil {
		return nil
	}
	r.cancel()
	var lives []*lakehouse.Live
	for _, t := range r.tabs {
		t.grid.Close()
		lives = appendLive(lives, t.base, t.cur)
	}
	v.run = nil
	if len(lives) == 0 {
		return nil
	}
	return func() tea.Msg {
		for _, l := range lives {
			l.Close()
		}
		return nil
	}
}

// appendLive appends the lives that are set and not yet in list.
func appendLive(list []*lakehouse.Live, lives ...*lakehouse.Live) []*lakehouse.Live {
	for _, l := range lives {
		if l == nil {
			continue
		}
		dup := false
		for _, o := range list {
			dup = dup || o == l
		}
		if !dup {
			list = append(list, l)
		}
	}
	return list
}

// cancelRun interrupts the running statement; the rest are not run.
func (v *analyst) cancelRun() tea.Cmd {
	r := v.run
	if !r.running() {
		return nil
	}
	r.canceled = true
	r.cancel()
	if t := r.tabs[r.at]; t.base != nil {
		t.base.Cancel()
	}
	return flash("canceling the query…", false)
}

// started takes a statement's first page, or its failure.
func (v *analyst) started(msg anStartedMsg) tea.Cmd {
	r := v.run
	if r == nil || msg.seq != r.seq {
		if msg.live != nil {
			l := msg.live
			return func() tea.Msg { l.Close(); return nil }
		}
		return nil
	}
	t := r.tabs[msg.idx]
	if msg.err != nil {
		return v.ended(anEndedMsg{seq: msg.seq, idx: msg.idx, err: msg.err})
	}
	t.base, t.cur = msg.live, msg.live
	t.grid = v.newGrid()
	v.showResult(msg.idx)
	// A small screen shows one pane: the results, as soon as their first
	// page (or its preview) is at hand, rather than the editor until the
	// end. The editor is one key away (f2); esc still cancels.
	if !v.tall() && v.focus == paneEditor {
		v.focusPane(paneResults)
	}
	l := msg.live
	return tea.Batch(t.grid.SetSource(l), func() tea.Msg {
		err := l.Wait(context.Background())
		return anEndedMsg{seq: msg.seq, idx: msg.idx, err: err}
	})
}

// ended closes a statement: the next one starts unless it failed or was
// canceled.
func (v *analyst) ended(msg anEndedMsg) tea.Cmd {
	r := v.run
	if r == nil || msg.seq != r.seq {
		return nil
	}
	t := r.tabs[msg.idx]
	t.ended = v.sh.now()
	var qe *lakehouse.QueryError
	switch {
	case msg.err == nil:
		t.status = tabOK
	case r.canceled || errors.Is(msg.err, context.Canceled) || errors.Is(msg.err, lakehouse.ErrCanceled):
		t.status = tabCanceled
	default:
		t.status, t.err = tabError, msg.err.Error()
		pos := -1
		if errors.As(msg.err, &qe) {
			t.err, pos = qe.Msg, qe.Pos
		}
		if pos < 0 {
			pos = namedPos(t.stmt.SQL, t.err)
		}
		t.errPos = pos
		v.showEditorError(t.stmt, pos, firstLine(t.err))
	}
	r.at = msg.idx + 1
	if t.status != tabOK {
		for _, rest := range r.tabs[r.at:] {
			rest.status = tabSkipped
		}
		r.at = len(r.tabs)
		v.tab = msg.idx
	}
	if r.at < len(r.tabs) {
		return v.startStatement()
	}
	// The run is over: the history shows it. A small screen shows the
	// results, or the editor with the error marked.
	if !v.tall() && (v.focus == paneEditor || v.focus == paneResults) {
		if t.status == tabError && t.stmt.Start >= 0 {
			v.focusPane(paneEditor)
		} else {
			v.focusPane(paneResults)
		}
	}
	cmds := []tea.Cmd{v.loadHistory()}
	switch t.status {
	case tabCanceled:
		cmds = append(cmds, flash("query canceled after "+duration(t.ended.Sub(t.started))+": the history says canceled", false))
	case tabError:
		cmds = append(cmds, flash(firstLine(t.err), true))
	}
	return tea.Batch(cmds...)
}

// derive sorts or filters a tab's result in DuckDB, in the background.
func (v *analyst) derive(idx int, what string, col int, desc bool, where string) tea.Cmd {
	r := v.run
	if r == nil || idx >= len(r.tabs) || r.tabs[idx].base == nil {
		return nil
	}
	t := r.tabs[idx]
	if t.status == tabRunning {
		return flash("the result is still streaming in: sort or filter it once it is complete", false)
	}
	t.deriving = what
	from := t.base
	if what == "sort" && t.where != "" {
		from = t.cur // a sort keeps the filter
	}
	if what == "filter" {
		col, desc = t.sortCol, t.sortDesc // a filter keeps the sort
	}
	ctx, seq := r.ctx, r.seq
	return func() tea.Msg {
		var l *lakehouse.Live
		var err error
		switch {
		case what == "sort":
			l, err = from.Sort(ctx, col, desc)
		case where == "":
			l = from
		default:
			l, err = from.Filter(ctx, where)
		}
		if what == "filter" && err == nil && col >= 0 {
			filtered := l
			l, err = filtered.Sort(ctx, col, desc)
			if filtered != from {
				filtered.Close()
			}
		}
		return anDerivedMsg{seq: seq, idx: idx, live: l, what: what, col: col, desc: desc, where: where, err: err}
	}
}

// derived shows a sorted or filtered result in its tab.
func (v *analyst) derived(msg anDerivedMsg) tea.Cmd {
	r := v.run
	if r == nil || msg.seq != r.seq {
		if msg.live != nil {
			l := msg.live
			return func() tea.Msg { l.Close(); return nil }
		}
		return nil
	}
	t := r.tabs[msg.idx]
	t.deriving = ""
	if msg.err != nil {
		return flash(msg.what+": "+firstLine(msg.err.Error()), true)
	}
	var closing tea.Cmd
	if old := t.cur; old != t.base && old != msg.live {
		closing = func() tea.Msg { old.Close(); return nil }
	}
	t.cur = msg.live
	shown := t.grid.SetSource(t.cur)
	if msg.what == "sort" {
		t.sortCol, t.sortDesc = msg.col, msg.desc
	} else {
		t.where, t.sortCol, t.sortDesc = msg.where, msg.col, msg.desc
	}
	t.grid.SetSort(t.sortCol, t.sortDesc)
	t.grid.SetFilter(t.where)
	v.showResult(msg.idx)
	if t.charted {
		return tea.Batch(closing, shown, v.loadChart(msg.idx))
	}
	return tea.Batch(closing, shown)
}

// exportFormat is the format a path's extension names.
func exportFormat(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv":
		return "csv", nil
	case ".parquet", ".pq":
		return "parquet", nil
	case ".json", ".jsonl", ".ndjson":
		return "json", nil
	}
	return "", fmt.Errorf("export to %q: name a .csv, .parquet or .json file", path)
}

// startExport writes the shown result of the current tab to path, in the
// background, streaming how many rows are written.
func (v *analyst) startExport(path string) tea.Cmd {
	t := v.currentTab()
	if t == nil || t.cur == nil {
		return flash("no result to export: run a query first", true)
	}
	path = strings.TrimSpace(path)
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	format, err := exportFormat(path)
	if err != nil {
		return flash(err.Error(), true)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.exp = &export{path: path, format: format, cancel: cancel}
	l := t.cur
	ch := make(chan tea.Msg, 64)
	start := func() tea.Msg {
		go func() {
			defer cancel()
			var written int64
			err := l.Export(ctx, path, format, func(n int64) {
				written = n
				select {
				case ch <- anExportMsg{written: n, ch: ch}:
				default: // the line shows the latest count; none is owed
				}
			})
			ch <- anExportedMsg{path: path, written: written, err: err}
			close(ch)
		}()
		return <-ch
	}
	return tea.Batch(start, v.spin.Tick)
}

// exported ends an export.
func (v *analyst) exported(msg anExportedMsg) tea.Cmd {
	if v.exp == nil {
		return nil
	}
	v.exp.ended = true
	v.exp = nil
	v.layoutGrids()
	switch {
	case errors.Is(msg.err, context.Canceled) || errors.Is(msg.err, lakehouse.ErrCanceled):
		return flash("export canceled: "+msg.path+" may be incomplete", true)
	case msg.err != nil:
		return flash(firstLine(msg.err.Error()), true)
	}
	n, _ := v.currentRows()
	if msg.written > 0 {
		n = msg.written
	}
	noun := "rows"
	if n == 1 {
		noun = "row"
	}
	return flash(fmt.Sprintf("exported %s %s to %s", thousands(n), noun, msg.path), false)
}

// currentTab is the result tab shown, or nil.
func (v *analyst) currentTab() *resultTab {
	if v.run == nil || v.tab >= len(v.run.tabs) {
		return nil
	}
	return v.run.tabs[v.tab]
}

func (v *analyst) currentRows() (int64, bool) {
	if t := v.currentTab(); t != nil {
		return t.rows()
	}
	return 0, false
}

// showResult shows a tab, sized to the results pane; its grid has the
// focus when the pane has it.
func (v *analyst) showResult(idx int) {
	v.tab = idx
	v.layoutGrids()
}

// layoutGrids sizes every tab's grid and chart to the results pane, and
// focuses the shown one's grid when the pane has the focus.
func (v *analyst) layoutGrids() {
	if v.run == nil {
		return
	}
	w, h := v.resultBodySize()
	for i, t := range v.run.tabs {
		t.grid.SetSize(w, h)
		if i == v.tab && v.focus == paneResults {
			t.grid.Focus()
		} else {
			t.grid.Blur()
		}
		if t.chart != nil {
			t.chart.picker.SetSize(w, 1)
		}
	}
}

// chartRows is how many rows of a result its chart draws, from the first.
const chartRows = 5000

// tabChart is a tab's chart: the rows it draws and how.
type tabChart struct {
	of      *lakehouse.Live
	rows    [][]any
	cols    []lakehouse.Column
	spec    chart.Spec
	picked  bool
	picker  chart.Picker
	loading bool
	err     string
}

// anChartRowsMsg carries the first rows of a result, for its chart.
type anChartRowsMsg struct {
	seq  int
	idx  int
	of   *lakehouse.Live
	rows [][]any
	err  error
}

func (anChartRowsMsg) owner() viewID { return analystView }

// toggleChart switches the shown tab between its grid and a chart of its
// first rows, read once per result shown (a sort or filter reads again).
func (v *analyst) toggleChart() tea.Cmd {
	t := v.currentTab()
	if t == nil || t.cur == nil {
		return nil
	}
	t.charted = !t.charted
	if !t.charted {
		return nil
	}
	return v.loadChart(v.tab)
}

// loadChart reads the rows a tab's chart draws unless it has them.
func (v *analyst) loadChart(idx int) tea.Cmd {
	t := v.run.tabs[idx]
	if t.chart != nil && t.chart.of == t.cur && (t.chart.loading || t.chart.err == "" && !t.streaming()) {
		return nil
	}
	prev := t.chart
	t.chart = &tabChart{of: t.cur, cols: t.cur.Columns(), loading: true}
	if prev != nil && prev.picked {
		t.chart.spec, t.chart.picked = prev.spec, true
	}
	l, seq := t.cur, v.run.seq
	return func() tea.Msg {
		res, err := l.Page(context.Background(), 0, chartRows)
		var rows [][]any
		if res != nil {
			rows = res.Rows
		}
		return anChartRowsMsg{seq: seq, idx: idx, of: l, rows: rows, err: err}
	}
}

// chartRowsRead draws a chart of the rows read, as Auto chooses unless the
// user picked.
func (v *analyst) chartRowsRead(msg anChartRowsMsg) tea.Cmd {
	if v.run == nil || msg.seq != v.run.seq {
		return nil
	}
	t := v.run.tabs[msg.idx]
	if t.chart == nil || t.chart.of != msg.of {
		return nil
	}
	c := t.chart
	c.loading = false
	if msg.err != nil {
		c.err = firstLine(msg.err.Error())
		return nil
	}
	c.rows = msg.rows
	if !c.picked {
		c.spec = chart.Auto(c.cols, c.rows)
	}
	c.picker = chart.NewPicker(v.chartStyles(), c.cols, c.spec)
	c.picker.Focus()
	return nil
}

// picked redraws the shown tab's chart as its picker now says.
func (v *analyst) picked(msg chart.PickMsg) tea.Cmd {
	t := v.currentTab()
	if t == nil || t.chart == nil || t.chart.loading {
		return nil
	}
	t.chart.spec, t.chart.picked = msg.Spec, true
	return nil
}

// resultKey hands a key to the shown tab's grid, or to its chart's
// picker.
func (v *analyst) resultKey(msg tea.KeyMsg) tea.Cmd {
	t := v.currentTab()
	if t == nil || t.cur == nil {
		return nil
	}
	var cmd tea.Cmd
	if t.charted {
		if t.chart != nil && !t.chart.loading && t.chart.err == "" {
			t.chart.picker, cmd = t.chart.picker.Update(msg)
		}
		return cmd
	}
	t.grid.Focus()
	t.grid, cmd = t.grid.Update(msg)
	return cmd
}

// gridsUpdate hands a message (a page, a count, a copy) to every tab's
// grid; each takes only its own.
func (v *analyst) gridsUpdate(msg tea.Msg) tea.Cmd {
	if v.run == nil {
		return nil
	}
	var cmds []tea.Cmd
	for _, t := range v.run.tabs {
		if t.cur == nil {
			continue
		}
		var cmd tea.Cmd
		t.grid, cmd = t.grid.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// newGrid is a results grid styled by the theme.
func (v *analyst) newGrid() grid.Model {
	st := v.sh.styles
	g := grid.New(grid.Options{})
	gs := grid.DefaultStyles()
	gs.Header, gs.Title, gs.Muted, gs.Null, gs.Gutter, gs.Error = st.Subtitle, st.Title, st.Muted, st.Muted, st.Muted, st.Error
	g.Styles = gs
	return g
}

// quotedName finds the name DuckDB's binder and catalog errors quote:
// Referenced column "x" not found, Table with name x does not exist,
// Scalar Function with name x does not exist.
var quotedName = regexp.MustCompile(`(?:column|[Tt]able|[Ff]unction|[Ss]chema) (?:with name )?"?([^\s"!]+)"?`)

// namedPos is where a refusal's message points in the statement when it
// carries no position (the lakehouse's plan check reports binder errors
// without DuckDB's LINE and caret): the first occurrence, as a whole word,
// of the name it quotes; -1 when none is found.
func namedPos(sql, msg string) int {
	m := quotedName.FindStringSubmatch(msg)
	if m == nil {
		return -1
	}
	name := strings.ToLower(m[1])
	if i := strings.LastIndex(name, "."); i >= 0 && strings.Contains(msg, "column") {
		name = name[i+1:]
	}
	lower := strings.ToLower(sql)
	for from := 0; from < len(lower); {
		i := strings.Index(lower[from:], name)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(name)
		if (i == 0 || !identByte(lower[i-1])) && (end == len(lower) || !identByte(lower[end])) {
			return i
		}
		from = i + 1
	}
	return -1
}

func identByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
