package tui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/chart"
	"github.com/lakebench/lakebench/tui/dash"
	"github.com/lakebench/lakebench/tui/editor"
	"github.com/lakebench/lakebench/tui/grid"
)

// The Analyst view's panes. The editor and one lower pane (results,
// history or alerts) stack in the main column, the catalog beside them;
// dashboards take the whole main column. Small screens show one pane.
const (
	paneEditor = iota
	paneResults
	paneCatalog
	paneDash
	paneHistory
	paneAlerts
	analystPanes
)

var paneNames = [analystPanes]string{"editor", "results", "catalog", "dashboards", "history", "alerts"}

// historyLimit is how many past queries the history pane lists.
const historyLimit = 200

type analystKeys struct {
	// Panes jump to a pane from anywhere, the editor included.
	Panes [analystPanes]key.Binding
	// The results'.
	PrevTab key.Binding
	NextTab key.Binding
	Chart   key.Binding
	Export  key.Binding
	Leave   key.Binding
	Cancel  key.Binding
	Up      key.Binding
	Down    key.Binding
	// The catalog's.
	Expand  key.Binding
	Insert  key.Binding
	Preview key.Binding
	// The history's.
	Search key.Binding
	Rerun  key.Binding
	Edit   key.Binding
	// The dashboards'.
	PrevDash key.Binding
	NextDash key.Binding
	Refresh  key.Binding
	// The alerts'.
	Check key.Binding
	// The prompts'.
	Accept  key.Binding
	Dismiss key.Binding
}

func newAnalystKeys() analystKeys {
	k := analystKeys{
		PrevTab:  key.NewBinding(key.WithKeys("["), key.WithHelp("[/]", "result tab")),
		NextTab:  key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next result tab")),
		Chart:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "chart/grid")),
		Export:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "export")),
		Leave:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "leave the editor")),
		Cancel:   key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc/ctrl+c", "cancel the query"), key.WithDisabled()),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "select")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		Expand:   key.NewBinding(key.WithKeys("enter", "right", "l"), key.WithHelp("enter", "open/close")),
		Insert:   key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "insert name")),
		Preview:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "preview table")),
		Search:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Rerun:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "re-run")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit SQL")),
		PrevDash: key.NewBinding(key.WithKeys("left", "h", "["), key.WithHelp("←/→", "dashboard")),
		NextDash: key.NewBinding(key.WithKeys("right", "l", "]"), key.WithHelp("→", "next dashboard")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Check:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "check alerts now")),
		Accept:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		Dismiss:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
	fkeys := [analystPanes]string{"f2", "f5", "f6", "f7", "f8", "f9"}
	for i := range k.Panes {
		k.Panes[i] = key.NewBinding(key.WithKeys(fkeys[i]), key.WithHelp(fkeys[i], paneNames[i]))
	}
	return k
}

// Messages owned by the Analyst view. Each carries the target it was read
// on, or the run it belongs to: one from a target switched away from, or
// from a run replaced since, is dropped.
type (
	anCatalogMsg struct {
		target string
		tables []lakehouse.TableInfo
		err    error
	}
	anHistoryMsg struct {
		target  string
		seq     int
		records []lakehouse.QueryRecord
		err     error
	}
	anAlertsMsg struct {
		target  string
		checked bool
		alerts  []pipeline.AlertStatus
		err     error
	}
)

func (anCatalogMsg) owner() viewID { return analystView }
func (anHistoryMsg) owner() viewID { return analystView }
func (anAlertsMsg) owner() viewID  { return analystView }

// catalogRow is a line of the catalog tree: a schema, a table of it, or a
// column of a table.
type catalogRow struct {
	schema string
	table  int // index in analyst.tables; -1 for a schema
	column int // index in the table's columns; -1 for a table
}

type analyst struct {
	sh     *shared
	keys   analystKeys
	width  int
	height int

	focus   int
	lower   int // the pane under the editor: results, history or alerts
	sidebar bool

	// of is the target the panes show; lastRun the run their data
	// reflects: a new run refreshes catalog, dashboards and alerts.
	of      string
	lastRun string

	tables     []lakehouse.TableInfo
	catLoading bool
	catErr     string
	open       map[string]bool // schemas and tables shown open
	catRows    []catalogRow
	catCursor  int

	history     []lakehouse.QueryRecord
	histSeq     int
	histLoading bool
	histErr     string
	histCursor  int
	search      textinput.Model
	searching   bool

	alerts      []pipeline.AlertStatus
	alertErr    string
	alertCursor int
	checking    bool

	// run is the latest run of the editor's statements; tab the result
	// tab shown; seq numbers runs.
	run *queryRun
	tab int
	seq int
	exp *export
	// boards are the bundle's dashboards.
	boards     *boards
	ed         editor.Model
	completeOn completionTarget
	// prompt asks for an export's path while set.
	prompt    textinput.Model
	prompting bool
	// want is a dashboard a presentation step selects, until the boards
	// are laid out (present_select.go).
	want string

	spin spinner.Model
}

func newAnalyst(sh *shared) *analyst {
	// The view starts outside the editor, so the number keys still
	// switch views: e (or f2) enters it, esc leaves it.
	v := &analyst{sh: sh, keys: newAnalystKeys(), sidebar: true, focus: paneResults, lower: paneResults, open: map[string]bool{}}
	v.search = textinput.New()
	v.search.Prompt = "/"
	v.search.Placeholder = "text in the SQL"
	v.ed = v.newEditor()
	v.prompt = textinput.New()
	v.prompt.Prompt = "export to: "
	v.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(sh.styles.Running))
	return v
}

func (v *analyst) SetSize(w, h int) {
	v.width, v.height = w, h
	v.layoutGrids()
}

// Busy is true while a query or an export runs: quitting cancels it first.
func (v *analyst) Busy() bool { return v.run.running() || v.exp != nil || v.checking }

// animating is true while the spinner turns: work in flight, tiles
// loading.
func (v *analyst) animating() bool {
	return v.Busy() || v.boards != nil && v.boards.at < len(v.boards.models) && v.boards.models[v.boards.at].Loading() > 0
}

// Capturing is true while the editor or a prompt has the focus: they take
// every key.
func (v *analyst) Capturing() bool {
	return v.focus == paneEditor || v.searching || v.prompting || v.gridCapturing()
}

// gridCapturing is true while the shown grid takes text or shows a cell.
func (v *analyst) gridCapturing() bool {
	t := v.currentTab()
	return v.focus == paneResults && t != nil && t.cur != nil && !t.charted && t.grid.Capturing()
}

// TakesCtrlC is true while ctrl+c cancels a query of this view instead of
// quitting the app.
func (v *analyst) TakesCtrlC() bool { return v.run.running() || v.exp != nil }

// SetSnapshot follows the target: a switch resets the panes; a new run
// refreshes the catalog, the dashboards and the alerts.
func (v *analyst) SetSnapshot(s *Snapshot) tea.Cmd {
	if s == nil {
		return nil
	}
	run := ""
	if len(s.Runs) > 0 {
		run = s.Runs[0].RunID + "/" + s.Runs[0].Status
	}
	if s.Target == v.of && run == v.lastRun {
		return nil
	}
	var closing, tiles tea.Cmd
	if s.Target != v.of || v.boards == nil {
		closing = v.reset()
		v.boards = v.newBoards()
		if v.want != "" {
			v.pickBoard()
		}
		if v.focus == paneDash {
			tiles = v.boards.show()
		}
	} else {
		tiles = v.boards.refresh()
	}
	v.of, v.lastRun = s.Target, run
	v.completeOn.set(s.Target)
	return tea.Batch(closing, tiles, v.loadCatalog(), v.loadAlerts(), v.loadHistory())
}

// reset forgets what the panes show of the previous target and closes
// its results.
func (v *analyst) reset() tea.Cmd {
	v.tables, v.catErr, v.catRows, v.catCursor = nil, "", nil, 0
	v.open = map[string]bool{}
	v.history, v.histErr, v.histCursor = nil, "", 0
	v.alerts, v.alertErr, v.alertCursor = nil, "", 0
	return v.closeRun()
}

// wide is true when the catalog sidebar fits beside the editor.
func (v *analyst) wide() bool { return v.width >= 100 }

// tall is true when the editor and a lower pane fit one above the other.
func (v *analyst) tall() bool { return v.height >= 30 }

// sidebarShown is true when the catalog is drawn beside the main column.
func (v *analyst) sidebarShown() bool { return v.sidebar && v.wide() && v.tall() }

func (v *analyst) loadCatalog() tea.Cmd {
	v.catLoading = true
	b, target := v.sh.backend, v.sh.target
	return func() tea.Msg {
		t, err := b.Catalog(context.Background(), target)
		return anCatalogMsg{target: target, tables: t, err: err}
	}
}

func (v *analyst) loadHistory() tea.Cmd {
	v.histSeq++
	v.histLoading = true
	b, target, seq, search := v.sh.backend, v.sh.target, v.histSeq, v.search.Value()
	return func() tea.Msg {
		r, err := b.History(context.Background(), target, search, historyLimit)
		return anHistoryMsg{target: target, seq: seq, records: r, err: err}
	}
}

func (v *analyst) loadAlerts() tea.Cmd {
	b, target := v.sh.backend, v.sh.target
	return func() tea.Msg {
		a, err := b.Alerts(context.Background(), target)
		return anAlertsMsg{target: target, alerts: a, err: err}
	}
}

func (v *analyst) checkAlerts() tea.Cmd {
	v.checking = true
	b, target := v.sh.backend, v.sh.target
	return tea.Batch(v.spin.Tick, func() tea.Msg {
		a, err := b.CheckAlerts(context.Background(), target)
		return anAlertsMsg{target: target, checked: true, alerts: a, err: err}
	})
}

// ShortHelp is the focused pane's keys, then its component's.
func (v *analyst) ShortHelp() []key.Binding {
	v.syncKeys()
	k := v.keys
	t := v.currentTab()
	switch {
	case v.searching || v.prompting:
		return []key.Binding{k.Accept, k.Dismiss}
	case v.focus == paneEditor:
		ek := v.ed.KeyMap
		return []key.Binding{k.Cancel, ek.Run, ek.RunAll, ek.Complete, k.Leave, ek.Format, ek.Comment, ek.NewBuffer, k.Panes[paneResults]}
	case v.gridCapturing():
		return t.grid.KeyMap.ShortHelp()
	case v.focus == paneResults && t != nil && t.charted && t.chart != nil:
		pk := t.chart.picker.KeyMap
		return []key.Binding{k.Cancel, k.Chart, pk.Next, pk.Up, k.Export, k.PrevTab, k.Edit}
	case v.focus == paneResults && t != nil && t.cur != nil:
		gk := t.grid.KeyMap
		return []key.Binding{k.Cancel, gk.Sorts(), gk.Filter, k.Chart, k.Export, k.PrevTab, gk.Goto, gk.View, gk.Copies(), k.Edit}
	case v.focus == paneCatalog:
		return []key.Binding{k.Expand, k.Insert, k.Preview, k.Up, k.Edit}
	case v.focus == paneHistory:
		return []key.Binding{k.Rerun, k.Edit, k.Search, k.Up}
	case v.focus == paneAlerts:
		return []key.Binding{k.Check, k.Up, k.Edit}
	case v.focus == paneDash:
		return []key.Binding{k.PrevDash, k.Refresh, k.Up, k.Edit}
	}
	return []key.Binding{k.Cancel, k.Edit}
}

// FullHelp is every pane key and the view's, then the focused
// component's own.
func (v *analyst) FullHelp() [][]key.Binding {
	v.syncKeys()
	k := v.keys
	// e keeps to the pane keys: help hides a one-letter key that a longer
	// key of its group contains (e in esc).
	groups := [][]key.Binding{
		{k.Panes[paneEditor], k.Panes[paneResults], k.Panes[paneCatalog], k.Edit},
		{k.Panes[paneDash], k.Panes[paneHistory], k.Panes[paneAlerts]},
	}
	t := v.currentTab()
	switch v.focus {
	case paneEditor:
		groups = append(groups, []key.Binding{k.Leave, k.Cancel})
		groups = append(groups, v.ed.KeyMap.FullHelp()...)
	case paneResults:
		// esc/ctrl+c apart: help hides the c it contains.
		groups = append(groups, []key.Binding{k.Cancel}, []key.Binding{k.PrevTab, k.NextTab, k.Chart, k.Export})
		if t != nil && t.cur != nil {
			// The grid's keys, grouped so that no one-letter key shares a
			// group with a longer key containing it (help hides those).
			gk := t.grid.KeyMap
			groups = append(groups,
				[]key.Binding{gk.Up, gk.Down, gk.PageUp, gk.PageDown, gk.Top, gk.Bottom},
				[]key.Binding{gk.Left, gk.Right, gk.Goto, gk.Filter, gk.Freeze},
				[]key.Binding{gk.SortAsc, gk.SortDesc, gk.View, gk.CopyCell, gk.CopyRow, gk.Select, gk.Back})
		}
	case paneCatalog:
		groups = append(groups, []key.Binding{k.Expand, k.Insert, k.Preview, k.Up, k.Down})
	case paneHistory:
		groups = append(groups, []key.Binding{k.Rerun, k.Edit, k.Search, k.Up, k.Down})
	case paneAlerts:
		groups = append(groups, []key.Binding{k.Check, k.Up, k.Down})
	case paneDash:
		groups = append(groups, []key.Binding{k.PrevDash, k.NextDash, k.Refresh, k.Up, k.Down})
	}
	return groups
}

// syncKeys enables the keys that apply now, so help stays true.
func (v *analyst) syncKeys() {
	k := &v.keys
	k.Cancel.SetEnabled(v.run.running() || v.exp != nil)
	if v.exp != nil {
		k.Cancel.SetHelp("esc/ctrl+c", "cancel the export")
	} else {
		k.Cancel.SetHelp("esc/ctrl+c", "cancel the query")
	}
	k.Leave.SetEnabled(v.focus == paneEditor && !v.run.running())
	k.Up.SetHelp("↑/↓", "select")
	if v.focus == paneDash {
		k.Up = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "scroll"))
	}
	k.Check.SetEnabled(!v.checking && len(v.sh.info.Alerts) > 0)
	k.Panes[paneCatalog].SetHelp("f6", "catalog")
	if v.focus == paneCatalog && v.sidebarShown() {
		k.Panes[paneCatalog].SetHelp("f6", "hide catalog")
	}
	t := v.currentTab()
	k.PrevTab.SetEnabled(v.run != nil && len(v.run.tabs) > 1)
	k.NextTab.SetEnabled(v.run != nil && len(v.run.tabs) > 1)
	k.Chart.SetEnabled(t != nil && t.cur != nil)
	k.Export.SetEnabled(t != nil && t.cur != nil && v.exp == nil)
	k.Edit.SetEnabled(v.focus != paneEditor)
	k.Edit.SetHelp("e", "edit")
	if v.focus == paneHistory {
		k.Edit.SetHelp("e", "edit it")
	}
}

// Update handles the view's keys and its own messages.
func (v *analyst) Update(msg tea.Msg) tea.Cmd {
	v.syncKeys()
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.key(msg)
	case cancelMsg:
		if v.exp != nil {
			v.exp.cancel()
		}
		return v.cancelRun()
	case anStartedMsg:
		return v.started(msg)
	case anEndedMsg:
		return v.ended(msg)
	case anDerivedMsg:
		return v.derived(msg)
	case anExportMsg:
		if v.exp != nil {
			v.exp.written = msg.written
		}
		return waitFor(msg.ch)
	case anExportedMsg:
		return v.exported(msg)
	case anChartRowsMsg:
		return v.chartRowsRead(msg)
	case anCatalogMsg:
		if msg.target != v.sh.target {
			return nil
		}
		v.catLoading = false
		v.catErr = ""
		if msg.err != nil {
			v.catErr = msg.err.Error()
			return nil
		}
		v.tables = msg.tables
		v.rebuildCatalog()
	case anHistoryMsg:
		if msg.target != v.sh.target || msg.seq != v.histSeq {
			return nil
		}
		v.histLoading, v.histErr = false, ""
		if msg.err != nil {
			v.histErr = msg.err.Error()
			return nil
		}
		v.history = msg.records
		v.histCursor = min(v.histCursor, max(0, len(v.history)-1))
	case anAlertsMsg:
		if msg.checked {
			v.checking = false
		}
		if msg.target != v.sh.target {
			return nil
		}
		v.alertErr = ""
		if msg.err != nil {
			v.alertErr = msg.err.Error()
			if msg.checked {
				return flash(firstLine(msg.err.Error()), true)
			}
			return nil
		}
		v.alerts = msg.alerts
		v.alertCursor = min(v.alertCursor, max(0, len(v.alerts)-1))
		if msg.checked {
			// The status bar counts the snapshot's alerts: read it again.
			return tea.Batch(flash(alertSummary(msg.alerts), false), func() tea.Msg { return reloadMsg{} })
		}
	case dash.TileMsg:
		if v.boards != nil {
			return v.boards.update(msg)
		}
	case grid.SortMsg:
		return v.derive(v.tab, "sort", msg.Column, msg.Desc, "")
	case grid.FilterMsg:
		return v.derive(v.tab, "filter", -1, false, msg.Where)
	case chart.PickMsg:
		return v.picked(msg)
	case editor.RunMsg:
		return v.startRun(msg.Statements)
	case editor.BlurMsg:
		if v.focus == paneEditor {
			return v.focusPane(v.lower)
		}
	case spinner.TickMsg:
		if !v.animating() || msg.ID != v.spin.ID() {
			return nil
		}
		var cmd tea.Cmd
		v.spin, cmd = v.spin.Update(msg)
		return cmd
	default:
		var cmd tea.Cmd
		v.ed, cmd = v.ed.Update(msg)
		return tea.Batch(cmd, v.gridsUpdate(msg))
	}
	return nil
}

// alertSummary says how many alerts fire after a check.
func alertSummary(alerts []pipeline.AlertStatus) string {
	var fired []string
	for _, a := range alerts {
		if a.State == pipeline.AlertTriggered {
			fired = append(fired, a.Alert)
		}
	}
	if len(fired) == 0 {
		return "checked " + plural(len(alerts), "alert") + ": none triggered"
	}
	return "checked " + plural(len(alerts), "alert") + ": " + strings.Join(fired, ", ") + " TRIGGERED"
}

func (v *analyst) key(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	if v.searching {
		return v.searchKey(msg)
	}
	if v.prompting {
		return v.promptKey(msg)
	}
	// ctrl+c comes here only while it cancels (TakesCtrlC).
	if v.gridCapturing() && msg.String() != "ctrl+c" && !key.Matches(msg, k.Panes[:]...) {
		return v.resultKey(msg)
	}
	if key.Matches(msg, k.Cancel) {
		if v.exp != nil {
			v.exp.cancel()
			return flash("canceling the export…", false)
		}
		return v.cancelRun()
	}
	for i, b := range k.Panes {
		if !key.Matches(msg, b) {
			continue
		}
		if i == paneCatalog && v.focus == paneCatalog && v.sidebarShown() {
			// f6 again hides the sidebar.
			v.sidebar = false
			return v.focusPane(paneEditor)
		}
		return v.focusPane(i)
	}
	if v.focus != paneEditor && v.focus != paneHistory && key.Matches(msg, k.Edit) {
		return v.focusPane(paneEditor)
	}
	switch v.focus {
	case paneEditor:
		return v.editorKey(msg)
	case paneCatalog:
		return v.catalogKey(msg)
	case paneResults:
		return v.resultsKey(msg)
	case paneDash:
		return v.dashKey(msg)
	case paneHistory:
		return v.historyKey(msg)
	case paneAlerts:
		return v.alertsKey(msg)
	}
	return nil
}

// focusPane moves the focus, reading what a pane shows when it opens.
func (v *analyst) focusPane(p int) tea.Cmd {
	v.focus = p
	defer v.layoutGrids()
	if p == paneEditor {
		v.ed.Focus()
	} else {
		v.ed.Blur()
	}
	switch p {
	case paneResults, paneHistory, paneAlerts:
		v.lower = p
	case paneCatalog:
		v.sidebar = true
	}
	switch {
	case p == paneHistory:
		return v.loadHistory()
	case p == paneCatalog && v.tables == nil:
		return v.loadCatalog()
	case p == paneAlerts:
		return v.loadAlerts()
	case p == paneDash && v.boards != nil:
		return tea.Batch(v.boards.show(), v.spin.Tick)
	}
	return nil
}

// promptKey edits the export path; enter starts the export.
func (v *analyst) promptKey(msg tea.KeyMsg) tea.Cmd {
	defer v.layoutGrids()
	switch msg.String() {
	case "esc":
		v.prompting = false
		v.prompt.Blur()
		return nil
	case "enter":
		v.prompting = false
		v.prompt.Blur()
		return v.startExport(v.prompt.Value())
	}
	var cmd tea.Cmd
	v.prompt, cmd = v.prompt.Update(msg)
	return cmd
}

func (v *analyst) searchKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.String() {
	case "enter", "esc":
		v.searching = false
		v.search.Blur()
		return nil
	}
	before := v.search.Value()
	var cmd tea.Cmd
	v.search, cmd = v.search.Update(msg)
	if v.search.Value() != before {
		v.histCursor = 0
		return tea.Batch(cmd, v.loadHistory())
	}
	return cmd
}

func (v *analyst) historyKey(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	switch {
	case key.Matches(msg, k.Up):
		v.histCursor = max(0, v.histCursor-1)
	case key.Matches(msg, k.Down):
		v.histCursor = max(0, min(len(v.history)-1, v.histCursor+1))
	case key.Matches(msg, k.Search):
		v.searching = true
		return v.search.Focus()
	case key.Matches(msg, k.Rerun) && v.histCursor < len(v.history):
		sql := v.history[v.histCursor].SQL
		v.editorOpen(sql)
		v.focus = paneResults
		return v.startRun(v.editorStatements())
	case key.Matches(msg, k.Edit) && v.histCursor < len(v.history):
		v.editorOpen(v.history[v.histCursor].SQL)
		return v.focusPane(paneEditor)
	}
	return nil
}

// previewSQL is the one query the view writes: every row of a table, its
// names quoted.
func previewSQL(t lakehouse.TableInfo) string {
	return "SELECT * FROM " + lakehouse.QuoteIdent(t.Schema) + "." + lakehouse.QuoteIdent(t.Table)
}

// insertName types a catalog row's name into the editor at its cursor: a
// schema, schema.table, or a column, quoted where DuckDB needs it.
func (v *analyst) insertName(r catalogRow) tea.Cmd {
	var name string
	switch {
	case r.table < 0:
		name = sqlName(r.schema)
	case r.column < 0:
		t := v.tables[r.table]
		name = sqlName(t.Schema) + "." + sqlName(t.Table)
	default:
		name = sqlName(v.tables[r.table].Columns[r.column].Name)
	}
	v.editorInsert(name)
	return v.focusPane(paneEditor)
}

// sqlName is a name as typed in SQL: bare when it is a plain lower-case
// identifier, else quoted.
func sqlName(name string) string {
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return lakehouse.QuoteIdent(name)
		}
	}
	if name == "" {
		return lakehouse.QuoteIdent(name)
	}
	return name
}

func (v *analyst) alertsKey(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	switch {
	case key.Matches(msg, k.Up):
		v.alertCursor = max(0, v.alertCursor-1)
	case key.Matches(msg, k.Down):
		v.alertCursor = max(0, min(len(v.alerts)-1, v.alertCursor+1))
	case key.Matches(msg, k.Check):
		return tea.Batch(v.checkAlerts(), flash("checking "+plural(len(v.sh.info.Alerts), "alert")+"…", false))
	}
	return nil
}

// resultsKey handles the result tabs' keys, and hands the rest to the
// shown tab's grid or chart.
func (v *analyst) resultsKey(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	switch {
	case key.Matches(msg, k.PrevTab):
		v.showResult((v.tab + len(v.run.tabs) - 1) % len(v.run.tabs))
		return nil
	case key.Matches(msg, k.NextTab):
		v.showResult((v.tab + 1) % len(v.run.tabs))
		return nil
	case key.Matches(msg, k.Export):
		v.prompting = true
		defer v.layoutGrids()
		if v.prompt.Value() == "" {
			v.prompt.SetValue("result.csv")
		}
		v.prompt.CursorEnd()
		return v.prompt.Focus()
	case key.Matches(msg, k.Chart):
		return v.toggleChart()
	}
	return v.resultKey(msg)
}

// rebuildCatalog lays out the tree: each schema, its tables when open,
// a table's columns when open. The cursor stays on its row.
func (v *analyst) rebuildCatalog() {
	var was catalogRow
	if v.catCursor < len(v.catRows) {
		was = v.catRows[v.catCursor]
	}
	v.catRows = nil
	seen := map[string]bool{}
	for i, t := range v.tables {
		if !seen[t.Schema] {
			seen[t.Schema] = true
			v.catRows = append(v.catRows, catalogRow{schema: t.Schema, table: -1, column: -1})
		}
		if !v.open[t.Schema] {
			continue
		}
		v.catRows = append(v.catRows, catalogRow{schema: t.Schema, table: i, column: -1})
		if v.open[t.Name] {
			for c := range t.Columns {
				v.catRows = append(v.catRows, catalogRow{schema: t.Schema, table: i, column: c})
			}
		}
	}
	v.catCursor = 0
	for i, r := range v.catRows {
		if r == was {
			v.catCursor = i
			return
		}
	}
}

func (v *analyst) catalogKey(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	switch {
	case key.Matches(msg, k.Up):
		v.catCursor = max(0, v.catCursor-1)
	case key.Matches(msg, k.Down):
		v.catCursor = max(0, min(len(v.catRows)-1, v.catCursor+1))
	case key.Matches(msg, k.Insert) && v.catCursor < len(v.catRows):
		return v.insertName(v.catRows[v.catCursor])
	case key.Matches(msg, k.Preview) && v.catCursor < len(v.catRows) && v.catRows[v.catCursor].table >= 0:
		t := v.tables[v.catRows[v.catCursor].table]
		v.focus = paneResults
		return v.startRun([]editor.Statement{{SQL: previewSQL(t), Start: -1, End: -1}})
	case key.Matches(msg, k.Expand) && v.catCursor < len(v.catRows):
		r := v.catRows[v.catCursor]
		switch {
		case r.table < 0:
			v.open[r.schema] = !v.open[r.schema]
		case r.column < 0:
			name := v.tables[r.table].Name
			v.open[name] = !v.open[name]
		}
		v.rebuildCatalog()
	case msg.String() == "left" && v.catCursor < len(v.catRows):
		// ← closes what the cursor is in and moves to it.
		r := v.catRows[v.catCursor]
		target := catalogRow{schema: r.schema, table: -1, column: -1}
		if r.column >= 0 {
			target = catalogRow{schema: r.schema, table: r.table, column: -1}
			v.open[v.tables[r.table].Name] = false
		} else {
			v.open[r.schema] = false
		}
		v.rebuildCatalog()
		for i, row := range v.catRows {
			if row == target {
				v.catCursor = i
			}
		}
	}
	return nil
}
