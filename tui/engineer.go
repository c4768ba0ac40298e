package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// The Engineer view's right-hand panels.
const (
	panelLayers = iota
	panelQuality
	panelRuns
	panelLog
	panelProfiles
	panelHealth
	panelTests
	engineerPanels
)

var engineerPanelNames = [engineerPanels]string{"Layers", "Quality", "Runs", "Log", "Profiles", "Health", "Tests"}

type engineerKeys struct {
	navKeys
	Run    key.Binding
	Job    key.Binding
	Batch  key.Binding
	Cancel key.Binding
}

// Messages owned by the Engineer view.
type (
	runEventMsg struct {
		seq int
		ev  pipeline.Event
		ch  <-chan tea.Msg
	}
	runDoneMsg struct {
		seq int
		err error
	}
	batchDoneMsg struct {
		text string
		err  error
	}
	quarantineMsg struct {
		q   Quarantine
		err error
	}
	taskRunsMsg struct {
		runID string
		tasks []lakehouse.TaskRun
		err   error
	}
)

func (runEventMsg) owner() viewID   { return engineerView }
func (runDoneMsg) owner() viewID    { return engineerView }
func (batchDoneMsg) owner() viewID  { return engineerView }
func (quarantineMsg) owner() viewID { return engineerView }
func (taskRunsMsg) owner() viewID   { return engineerView }

// taskState is what the DAG shows of one task.
type taskState struct {
	status  string
	rows    int64
	elapsed time.Duration
	started time.Time
	detail  string
}

// liveRun is a job running now.
type liveRun struct {
	seq      int
	cancel   context.CancelFunc
	started  time.Time
	total    int
	done     int
	current  string
	runID    string
	canceled bool
	// failed is set once a task failed: the log already says why.
	failed bool
}

// qualityItem is one row of the Quality panel: a rule's latest result or a
// source's unreadable rows.
type qualityItem struct {
	table string
	rule  string
	// function is the DQX check function (is_not_null, ...), "" for a
	// source's unreadable rows.
	function string
	crit     string
	failed   int64
	checked  int64
}

type engineer struct {
	sh     *shared
	keys   engineerKeys
	width  int
	height int

	panel  int
	cursor [engineerPanels]int
	// job indexes Snapshot.Jobs: the job shown and run (j cycles).
	job int

	spin  spinner.Model
	bar   progress.Model
	run   *liveRun
	seq   int
	tasks map[string]*taskState
	log   []string
	// logRun is the run whose tasks the Log panel shows when idle.
	logRun   string
	batching bool

	drill      *Quarantine
	drillTable string
	// drillCheck is the check drilled from: its errors lead each row's.
	drillCheck   string
	drillLoading bool
	drillCursor  int

	// The observability panels' data (engineer_observe.go): read when
	// shown, again after a load while shown.
	profiles    []profileEntry
	profState   observed
	health      []lakehouse.HealthResult
	healthState observed
	// The Tests panel's last report (engineer_tests.go).
	tests      *pipeline.TestReport
	testsState observed
}

func newEngineer(sh *shared) *engineer {
	e := &engineer{sh: sh, tasks: map[string]*taskState{}}
	e.keys = engineerKeys{
		navKeys: newNavKeys("drill in"),
		Run:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run job")),
		Job:     key.NewBinding(key.WithKeys("j"), key.WithHelp("j", "next job")),
		Batch:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next batch")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel run"), key.WithDisabled()),
	}
	// j picks the job here, so ↑/↓ select without vi keys.
	e.keys.Up = key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "select"))
	e.keys.Down = key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down"))
	e.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(sh.styles.Running))
	e.bar = progress.New(progress.WithSolidFill(sh.styles.ProgressFull), progress.WithoutPercentage(),
		progress.WithFillCharacters('█', '░'))
	e.bar.EmptyColor = sh.styles.ProgressEmpty
	return e
}

func (e *engineer) SetSize(w, h int) { e.width, e.height = w, h }
func (e *engineer) Busy() bool       { return e.run != nil || e.batching }
func (e *engineer) Capturing() bool  { return false }

// SetSnapshot shows a new load: the shown job's last run when idle.
func (e *engineer) SetSnapshot(s *Snapshot) tea.Cmd {
	e.setSnapshot(s)
	e.profState.stale, e.healthState.stale = true, true
	return e.loadPanel()
}

func (e *engineer) setSnapshot(s *Snapshot) {
	for i := range e.cursor {
		e.cursor[i] = min(e.cursor[i], max(0, e.panelLen(i)-1))
	}
	if s != nil && e.job >= len(s.Jobs) {
		e.job = 0
	}
	if e.run != nil || s == nil {
		return
	}
	e.showJobTasks()
	// The log follows the latest run when it changes (another terminal
	// ran, the target switched); until then it keeps what it shows: the
	// run just made, with its refusal if it never started, or a run
	// picked in the Runs panel.
	latest := ""
	if len(s.Runs) > 0 {
		latest = s.Runs[0].RunID
	}
	if latest == e.logRun && len(e.log) > 0 {
		return
	}
	if s.Refused[RefusedRuns] != "" && len(e.log) > 0 {
		return // the principal may not read runs: keep the log of its own
	}
	e.logRun, e.log = latest, nil
	if latest != "" {
		e.log = taskLog(s.LastTasks)
		if r := s.Runs[0]; len(e.log) == 0 && r.Error != "" {
			// A run that died or was refused before any task ended.
			e.log = []string{e.sh.styles.Bad.Render(statusGlyph(r.Status)+" "+r.Status+": ") + r.Error}
		}
	}
}

// showJobTasks marks the shown job's tasks from its latest recorded run.
func (e *engineer) showJobTasks() {
	if e.sh.snap != nil && e.sh.snap.Refused[RefusedRuns] != "" && e.tasks != nil {
		// The principal may not read the recorded runs: the marks of the
		// run it just made (from its own events) stay.
		return
	}
	e.tasks = map[string]*taskState{}
	if e.sh.snap == nil {
		return
	}
	for _, t := range e.sh.snap.JobTasks[e.dag().Job] {
		detail := t.Detail
		if t.Error != "" {
			detail = t.Error
		}
		e.tasks[t.TaskKey] = &taskState{status: t.Status, rows: t.RowsWritten, elapsed: t.EndedAt.Sub(t.StartedAt), detail: detail}
	}
}

// dag is the job shown and run: Snapshot.Jobs[e.job].
func (e *engineer) dag() DAG {
	s := e.sh.snap
	if s == nil {
		return DAG{}
	}
	if e.job < len(s.Jobs) {
		return s.Jobs[e.job]
	}
	return s.DAG
}

func (e *engineer) ShortHelp() []key.Binding {
	e.syncKeys()
	if e.drill != nil {
		return []key.Binding{e.keys.Up, e.keys.Back}
	}
	return []key.Binding{e.keys.Run, e.keys.Job, e.keys.Batch, e.keys.Cancel, e.keys.Left, e.keys.Up, e.keys.Enter}
}

func (e *engineer) FullHelp() [][]key.Binding {
	e.syncKeys()
	return [][]key.Binding{{e.keys.Run, e.keys.Job, e.keys.Batch, e.keys.Cancel}, {e.keys.Left, e.keys.Right, e.keys.Up, e.keys.Down}, {e.keys.Enter, e.keys.Back}}
}

// syncKeys enables the keys that apply now, so help stays true.
func (e *engineer) syncKeys() {
	idle := e.run == nil && !e.batching
	e.keys.Run.SetEnabled(idle && e.sh.snap != nil)
	e.keys.Job.SetEnabled(idle && e.drill == nil && e.sh.snap != nil && len(e.sh.snap.Jobs) > 1)
	// n drops a sample day: in the built-in sample (which says how to make
	// a target's data if it has none), or where the target has sample data.
	e.keys.Batch.SetEnabled(idle && (e.sh.info.Sample || (e.sh.snap != nil && e.sh.snap.SampleData)))
	e.keys.Cancel.SetEnabled(e.run != nil && e.drill == nil)
	e.keys.Back.SetEnabled(e.drill != nil)
	e.keys.Enter.SetEnabled(e.drill == nil && (e.panel == panelQuality || e.panel == panelRuns))
	e.keys.Up.SetHelp("↑/↓", "select")
	switch e.panel {
	case panelProfiles:
		e.keys.Up.SetHelp("↑/↓", "select column")
	case panelHealth:
		e.keys.Up.SetHelp("↑/↓", "select check")
	case panelTests:
		e.keys.Up.SetHelp("↑/↓", "select test")
	}
	if e.panel == panelRuns {
		e.keys.Enter.SetHelp("enter", "task log")
	} else {
		e.keys.Enter.SetHelp("enter", "quarantined rows")
	}
}

// Update handles the Engineer's keys and its own messages.
func (e *engineer) Update(msg tea.Msg) tea.Cmd {
	e.syncKeys()
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return e.key(msg)
	case cancelMsg:
		if e.run != nil {
			e.run.canceled = true
			e.run.cancel()
		}
	case runEventMsg:
		if e.run == nil || msg.seq != e.run.seq {
			return nil
		}
		e.event(msg.ev)
		return waitFor(msg.ch)
	case runDoneMsg:
		if e.run == nil || msg.seq != e.run.seq {
			return nil
		}
		r := e.run
		e.run = nil
		e.logRun = r.runID
		text, isErr := "job finished in "+duration(e.sh.now().Sub(r.started)), false
		switch {
		case r.canceled || errors.Is(msg.err, context.Canceled) || errors.Is(msg.err, lakehouse.ErrCanceled):
			text, isErr = "job canceled: the task in flight rolled back, earlier tasks stay committed", true
		case msg.err != nil:
			// A failed task (a grant refused, say) is in the log already;
			// a run refused before it started (production mode) is not.
			// The footer shows the first line.
			text, isErr = msg.err.Error(), true
			if !r.failed {
				e.log = append(e.log, e.sh.styles.Muted.Render(e.sh.now().Format("15:04:05"))+" "+e.sh.styles.Bad.Render("✗ ")+text)
			}
			text, _, _ = strings.Cut(text, "\n")
		}
		return tea.Batch(flash(text, isErr), reload)
	case batchDoneMsg:
		e.batching = false
		if msg.err != nil {
			return flash(msg.err.Error(), true)
		}
		return tea.Batch(flash(msg.text, false), reload)
	case quarantineMsg:
		e.drillLoading = false
		if msg.err != nil {
			e.drill = nil
			return flash(msg.err.Error(), true)
		}
		q := msg.q
		if e.drillCheck != "" {
			// The rows the check drilled from rejected come first.
			q.Rows = slices.Clone(q.Rows)
			sort.SliceStable(q.Rows, func(i, j int) bool {
				return failedCheck(q.Rows[i], e.drillCheck) && !failedCheck(q.Rows[j], e.drillCheck)
			})
		}
		e.drill, e.drillCursor = &q, 0
	case profilesMsg, healthMsg:
		return e.observeUpdate(msg)
	case testsMsg:
		return e.testsUpdate(msg)
	case taskRunsMsg:
		if msg.err != nil {
			return flash(msg.err.Error(), true)
		}
		e.logRun, e.log, e.panel = msg.runID, taskLog(msg.tasks), panelLog
	case spinner.TickMsg:
		if e.run == nil || msg.ID != e.spin.ID() {
			return nil
		}
		var cmd tea.Cmd
		e.spin, cmd = e.spin.Update(msg)
		return cmd
	}
	return nil
}

func reload() tea.Msg { return reloadMsg{} }

func (e *engineer) key(msg tea.KeyMsg) tea.Cmd {
	k := e.keys
	if e.drill != nil {
		switch {
		case key.Matches(msg, k.Back):
			e.drill = nil
		case key.Matches(msg, k.Up):
			e.drillCursor = max(0, e.drillCursor-1)
		case key.Matches(msg, k.Down):
			e.drillCursor = min(len(e.drill.Rows)-1, e.drillCursor+1)
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Cancel):
		e.run.canceled = true
		e.run.cancel()
		return flash("canceling: DuckDB is interrupted, the task in flight rolls back", false)
	case key.Matches(msg, k.Run):
		return e.startRun()
	case key.Matches(msg, k.Job):
		e.job = (e.job + 1) % len(e.sh.snap.Jobs)
		e.showJobTasks()
		return flash("job "+e.dag().Job+": r runs it", false)
	case key.Matches(msg, k.Batch):
		e.batching = true
		b, target := e.sh.backend, e.sh.target
		return tea.Batch(flash("dropping the next day's batch into "+target+"'s landing zone…", false), func() tea.Msg {
			text, err := b.NextBatch(context.Background(), target)
			return batchDoneMsg{text: text, err: err}
		})
	case key.Matches(msg, k.Left):
		e.panel = (e.panel + engineerPanels - 1) % engineerPanels
		return e.loadPanel()
	case key.Matches(msg, k.Right):
		e.panel = (e.panel + 1) % engineerPanels
		return e.loadPanel()
	case key.Matches(msg, k.Up):
		e.cursor[e.panel] = max(0, e.cursor[e.panel]-1)
	case key.Matches(msg, k.Down):
		e.cursor[e.panel] = max(0, min(e.panelLen(e.panel)-1, e.cursor[e.panel]+1))
	case key.Matches(msg, k.Enter):
		return e.enter()
	}
	return nil
}

// startRun runs the job in the background with its own context, whose
// cancel Esc calls; events stream back over a channel.
func (e *engineer) startRun() tea.Cmd {
	e.seq++
	ctx, cancel := context.WithCancel(context.Background())
	e.run = &liveRun{seq: e.seq, cancel: cancel, started: e.sh.now()}
	e.tasks = map[string]*taskState{}
	principal := e.sh.info.Principal
	if e.sh.snap.Principal != "" {
		principal = e.sh.snap.Principal
	}
	job := e.dag().Job
	e.log = []string{e.sh.styles.Muted.Render(e.sh.now().Format("15:04:05")) + " run " + jobLabel(job) + " on target " + e.sh.target + " as " + principal}
	e.panel = panelLog
	b, target, seq := e.sh.backend, e.sh.target, e.seq
	ch := make(chan tea.Msg, 256)
	start := func() tea.Msg {
		go func() {
			err := b.Run(ctx, target, job, func(ev pipeline.Event) { ch <- runEventMsg{seq: seq, ev: ev, ch: ch} })
			ch <- runDoneMsg{seq: seq, err: err}
			close(ch)
			cancel()
		}()
		return <-ch
	}
	return tea.Batch(start, e.spin.Tick)
}

// event applies one progress event of the running job.
func (e *engineer) event(ev pipeline.Event) {
	r, st, now := e.run, e.sh.styles, e.sh.now()
	stamp := st.Muted.Render(now.Format("15:04:05")) + " "
	r.total = max(r.total, ev.Total)
	switch ev.Kind {
	case pipeline.RunStarted:
		r.runID = ev.RunID
		e.log = append(e.log, stamp+fmt.Sprintf("%s: %d tasks", ev.RunID, ev.Total))
	case pipeline.TaskStarted:
		r.current = ev.Task
		e.tasks[ev.Task] = &taskState{status: "running", started: now}
	case pipeline.TaskFinished, pipeline.TaskFailed, pipeline.TaskSkipped:
		r.done++
		ts := e.tasks[ev.Task]
		if ts == nil {
			ts = &taskState{}
			e.tasks[ev.Task] = ts
		}
		ts.rows, ts.elapsed, ts.detail = ev.Rows, ev.Elapsed, ev.Detail
		switch ev.Kind {
		case pipeline.TaskFinished:
			ts.status = "succeeded"
			line := fmt.Sprintf("%s %s %s rows in %s", st.Good.Render("✓"), ev.Task, thousands(ev.Rows), duration(ev.Elapsed))
			if ev.Detail != "" {
				line += st.Muted.Render(" · " + ev.Detail)
			}
			e.log = append(e.log, stamp+line)
		case pipeline.TaskFailed:
			ts.status, r.failed = "failed", true
			if errors.Is(ev.Err, context.Canceled) || errors.Is(ev.Err, lakehouse.ErrCanceled) || r.canceled {
				ts.status = "canceled"
			}
			e.log = append(e.log, stamp+st.Bad.Render("✗ "+ev.Task+" "+ts.status+": ")+ev.Detail)
		default:
			ts.status = "skipped"
			e.log = append(e.log, stamp+st.Muted.Render("– "+ev.Task+" skipped"))
		}
	case pipeline.RunFinished:
		status := st.Good.Render("succeeded")
		if ev.Err != nil {
			status = st.Bad.Render("failed")
			if r.canceled {
				status = st.Warn.Render("canceled")
			}
		}
		e.log = append(e.log, stamp+"run "+status+" in "+duration(ev.Elapsed))
	}
}

func (e *engineer) enter() tea.Cmd {
	b, target := e.sh.backend, e.sh.target
	switch e.panel {
	case panelQuality:
		items := e.qualityItems()
		if len(items) == 0 {
			return nil
		}
		it := items[e.cursor[panelQuality]]
		table := it.table
		e.drillLoading, e.drillTable, e.drillCheck = true, table, ""
		if it.function != "" {
			e.drillCheck = it.rule
		}
		return func() tea.Msg {
			q, err := b.Quarantined(context.Background(), target, table, 200)
			return quarantineMsg{q: q, err: err}
		}
	case panelRuns:
		if e.sh.snap == nil || len(e.sh.snap.Runs) == 0 {
			return nil
		}
		runID := e.sh.snap.Runs[e.cursor[panelRuns]].RunID
		return func() tea.Msg {
			tasks, err := b.TaskRuns(context.Background(), target, runID)
			return taskRunsMsg{runID: runID, tasks: tasks, err: err}
		}
	}
	return nil
}

func (e *engineer) panelLen(p int) int {
	switch p {
	case panelQuality:
		return len(e.qualityItems())
	case panelRuns:
		if e.sh.snap != nil {
			return len(e.sh.snap.Runs)
		}
	case panelProfiles:
		return len(e.profileRows())
	case panelHealth:
		return len(e.health)
	case panelTests:
		return len(e.testRows())
	}
	return 0
}

// qualityItems are the quality rules' latest results and, first, every
// source whose files had unreadable rows.
func (e *engineer) qualityItems() []qualityItem {
	s := e.sh.snap
	if s == nil {
		return nil
	}
	var out []qualityItem
	for _, f := range s.Ingested {
		if f.RowsQuarantined > 0 {
			out = append(out, qualityItem{table: f.Table, rule: "ingest: unreadable rows", crit: "error", failed: f.RowsQuarantined, checked: f.RowsRead})
		}
	}
	for _, q := range s.Quality {
		out = append(out, qualityItem{table: q.Table, rule: q.Rule, function: q.Function, crit: q.Criticality, failed: q.RowsFailed, checked: q.RowsChecked})
	}
	return out
}

// taskLog renders recorded task runs as log lines.
func taskLog(tasks []lakehouse.TaskRun) []string {
	st := NewStyles()
	var out []string
	for _, t := range tasks {
		stamp := st.Muted.Render(t.StartedAt.Format("15:04:05")) + " "
		line := statusGlyph(t.Status) + " " + t.TaskKey
		switch t.Status {
		case "succeeded":
			line = st.Good.Render(statusGlyph(t.Status)) + " " + t.TaskKey + fmt.Sprintf(" %s rows in %s", thousands(t.RowsWritten), duration(t.EndedAt.Sub(t.StartedAt)))
			if t.Detail != "" {
				line += st.Muted.Render(" · " + t.Detail)
			}
		case "failed", "canceled", "crashed":
			line = st.Bad.Render(line+" "+t.Status+": ") + t.Error
		default:
			line += " " + t.Status
		}
		out = append(out, stamp+line)
	}
	return out
}

// View draws the DAG on the left and the selected panel on the right, or
// the quarantine drill-in across the whole view.
func (e *engineer) View() string {
	if e.drill != nil || e.drillLoading {
		return e.drillView()
	}
	if obsPanel(e.panel) {
		// The observability panels are tables: they take the whole view.
		return e.panelView(e.width, e.height)
	}
	lw := max(44, min(78, e.width*45/100))
	if e.width < 88 {
		lw = e.width * 55 / 100
	}
	rw := e.width - lw
	left := e.dagView(lw, e.height)
	// Tall screens show the task log under the DAG, so a run's DAG, log
	// and layers are all in sight.
	if need := e.dagHeight(); e.height-need >= 8 && e.panel != panelLog {
		left = lipgloss.JoinVertical(lipgloss.Left, e.dagView(lw, need),
			panel(e.sh.styles.Panel, "log", e.logLines(lw-4, e.height-need-2), lw, e.height-need))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, left, e.panelView(rw, e.height))
}

// dagHeight is the height of the DAG panel with every task in sight.
func (e *engineer) dagHeight() int {
	if e.sh.snap == nil {
		return 3
	}
	return len(e.dag().Tasks) + 3
}

// dagView draws the job's tasks grouped by stage, with status, rows and
// elapsed time, and the run's progress on top.
func (e *engineer) dagView(width, height int) string {
	st := e.sh.styles
	inner := width - st.Panel.GetHorizontalFrameSize()
	var lines []string
	s := e.sh.snap
	if s == nil {
		return panel(st.Panel, "job", []string{st.Muted.Render("loading…")}, width, height)
	}
	lines = append(lines, e.progressLine(inner))
	dag := e.dag()
	stages := dagStages(dag)
	labelW := 7
	for _, sg := range stages {
		labelW = max(labelW, min(13, len(sg.name)+1))
	}
	wide := inner >= 64
	tagW := 0 // the widest kind tag and a space
	for _, t := range dag.Tasks {
		if tag := kindTag(t.ModelKind); tag != "" {
			tagW = max(tagW, len(tag)+1)
		}
	}
	for _, stage := range stages {
		for i, t := range stage.tasks {
			label := ""
			if i == 0 {
				label = st.layer(stage.name).Render(fit(stage.name, labelW-1))
			}
			branch := "├"
			switch {
			case len(stage.tasks) == 1:
				branch = "─"
			case i == 0:
				branch = "┬"
			case i == len(stage.tasks)-1:
				branch = "└"
			}
			lines = append(lines, fit(label, labelW)+st.Muted.Render(branch)+" "+e.taskLine(t, inner-labelW-2, wide, tagW))
		}
	}
	if len(stages) == 0 {
		lines = append(lines, st.Muted.Render("no tasks: add sources and transforms to lakebench.yml"))
	}
	title := "job " + dag.Job
	if dag.Job == DefaultJob {
		title = "default plan"
	}
	if n := len(s.Jobs); n > 1 {
		title += fmt.Sprintf(" (%d/%d)", e.job+1, n)
	}
	title += " · " + plural(len(dag.Tasks), "task")
	// Keep the running task in sight on short screens.
	if room := height - st.Panel.GetVerticalFrameSize(); len(lines) > room && e.run != nil {
		at := 0
		for i, l := range lines {
			if strings.Contains(l, e.spin.View()) {
				at = i
			}
		}
		if at >= room {
			lines = append(lines[:1], lines[at-room+2:]...)
		}
	}
	return panel(st.Panel, title, lines, width, height)
}

func (e *engineer) progressLine(width int) string {
	st, s := e.sh.styles, e.sh.snap
	if r := e.run; r != nil {
		pct := 0.0
		if r.total > 0 {
			pct = float64(r.done) / float64(r.total)
		}
		info := fmt.Sprintf(" %d/%d %s", r.done, r.total, duration(e.sh.now().Sub(r.started)))
		e.bar.Width = max(6, width-2-lipgloss.Width(info))
		return e.spin.View() + " " + e.bar.ViewAs(pct) + info
	}
	switch {
	case s.Missing:
		return st.Warn.Render("target " + s.Target + " has no data yet: press r to run the job")
	case s.Refused[RefusedRuns] != "":
		return cut(st.Warn.Render(s.Principal+" may not read the run history (sys.runs)"), width)
	case len(s.Runs) == 0:
		return st.Muted.Render("not run yet: press r")
	}
	last := s.Runs[0]
	at := last.EndedAt
	if at.IsZero() {
		at = last.StartedAt
	}
	style := st.Good
	if last.Status != "succeeded" {
		style = st.Bad
	}
	if job := e.dag().Job; last.Job != job {
		// The latest run is another job's (the CLI's default plan, say):
		// say so, rather than show this job's marks as if they were new.
		line := style.Render(fmt.Sprintf("last run: %s, %s %s", jobLabel(last.Job), plural(len(s.LastTasks), "task"), statusGlyph(last.Status)))
		if _, ran := s.JobTasks[job]; !ran {
			line += st.Muted.Render(" · " + job + " not run yet")
		} else {
			line += st.Muted.Render(" · " + ago(e.sh.now(), at) + " ago")
		}
		return cut(line, width)
	}
	took := ""
	if !last.EndedAt.IsZero() {
		took = " " + duration(last.EndedAt.Sub(last.StartedAt))
	}
	return cut(style.Render(statusGlyph(last.Status)+" last run "+last.Status)+st.Muted.Render(took+" · "+ago(e.sh.now(), at)+" ago"), width)
}

// jobLabel names a job in prose: "default plan" or "job nightly".
func jobLabel(job string) string {
	if job == DefaultJob || job == "" {
		return "default plan"
	}
	return "job " + job
}

// taskLine is one task: status, name, its models' kind in a column tagW
// wide (0 when no task of the DAG builds models), rows and time, and on
// wide panels what it waits for. Panels too narrow for all of it leave out
// the time, which the log and the progress line tell.
func (e *engineer) taskLine(t TaskNode, width int, wide bool, tagW int) string {
	st := e.sh.styles
	ts := e.tasks[t.Key]
	glyph, style := "○", st.Muted
	var rows, took string
	if ts != nil {
		glyph = statusGlyph(ts.status)
		switch ts.status {
		case "succeeded":
			style = st.Good
		case "failed", "canceled", "crashed":
			style = st.Bad
		case "running":
			glyph, style = e.spin.View(), st.Running
		}
		if ts.status == "running" {
			took = duration(e.sh.now().Sub(ts.started))
		} else if ts.status == "succeeded" {
			rows, took = thousands(ts.rows), duration(ts.elapsed)
		} else if ts.status != "skipped" {
			took = duration(ts.elapsed)
		}
	}
	name := shortTask(t)
	rowsW := 7 // 999,999; wider panels fit 9,999,999,999
	if width >= 30 {
		rowsW = 10
	}
	tookW := 6
	if !wide && width-2-tagW-rowsW-tookW < 10 {
		tookW = 0 // the name keeps room; the log tells the time
	}
	nameW := max(8, width-2-tagW-rowsW-tookW)
	if wide {
		nameW = 20
		if tagW > 0 {
			rowsW = 8 // room for what the task waits for
		}
	}
	if len(rows) >= rowsW && ts != nil {
		rows = compactCount(ts.rows) // 4.2M where 4,238,176 does not fit
	}
	tag := kindTag(t.ModelKind)
	nameCol := fit(name, nameW)
	if tag != "" && tagW > 0 {
		// A space before the kind: a name as wide as its column ran into it.
		nameCol = fit(name, nameW-1) + " "
	}
	line := style.Render(glyph) + " " + nameCol + st.Muted.Render(fit(tag, tagW)) + right(rows, rowsW)
	if tookW > 0 {
		line += st.Muted.Render(right(took, tookW))
	}
	if wide && len(t.DependsOn) > 0 {
		deps := make([]string, len(t.DependsOn))
		for i, d := range t.DependsOn {
			deps[i] = strings.TrimPrefix(d, "ingest_")
		}
		line += st.Arrow.Render(" ◂ ") + st.Muted.Render(strings.Join(deps, ", "))
	}
	return cut(line, width)
}

// shortTask is a task's name within its stage: the source of an ingest, the
// table name of a model.
func shortTask(t TaskNode) string {
	if t.Kind == "ingest" {
		return strings.TrimPrefix(t.Key, "ingest_")
	}
	if _, name, ok := strings.Cut(t.Key, "."); ok {
		return name
	}
	return t.Key
}

// stage is one rank of the DAG: tasks whose longest path from a root has
// the same length.
type stage struct {
	name  string
	tasks []TaskNode
}

// dagStages ranks the tasks of a DAG and names each rank by the schema its
// tasks write (or "stage N" when they differ).
func dagStages(d DAG) []stage {
	depth := map[string]int{}
	var rank func(t TaskNode, seen map[string]bool) int
	byKey := map[string]TaskNode{}
	for _, t := range d.Tasks {
		byKey[t.Key] = t
	}
	rank = func(t TaskNode, seen map[string]bool) int {
		if r, ok := depth[t.Key]; ok {
			return r
		}
		if seen[t.Key] {
			return 0
		}
		seen[t.Key] = true
		r := 0
		for _, dep := range t.DependsOn {
			if u, ok := byKey[dep]; ok {
				r = max(r, rank(u, seen)+1)
			}
		}
		depth[t.Key] = r
		return r
	}
	var out []stage
	for _, t := range d.Tasks {
		r := rank(t, map[string]bool{})
		for len(out) <= r {
			out = append(out, stage{})
		}
		out[r].tasks = append(out[r].tasks, t)
	}
	for i := range out {
		var names []string
		for _, t := range out[i].tasks {
			label, _, _ := strings.Cut(t.Table, ".")
			if label == "" || t.Kind == "quality" || t.Kind == "alerts" {
				label = t.Kind
			}
			if !slices.Contains(names, label) {
				names = append(names, label)
			}
		}
		out[i].name = fmt.Sprintf("stage %d", i+1)
		if len(names) <= 2 {
			out[i].name = strings.Join(names, "+")
		}
	}
	return out
}

// panelView draws the right-hand panel chosen with ←/→.
func (e *engineer) panelView(width, height int) string {
	st := e.sh.styles
	inner := width - st.Panel.GetHorizontalFrameSize()
	room := height - st.Panel.GetVerticalFrameSize() - 2
	lines := []string{panelStrip(st, engineerPanelNames[:], e.panel, inner, " "), st.Muted.Render(strings.Repeat("─", inner))}
	if e.sh.snap == nil {
		lines = append(lines, st.Muted.Render("loading…"))
	} else {
		switch e.panel {
		case panelLayers:
			lines = append(lines, e.layersLines(inner)...)
		case panelQuality:
			lines = append(lines, e.qualityLines(inner, room)...)
		case panelRuns:
			lines = append(lines, e.runsLines(inner, room)...)
		case panelLog:
			lines = append(lines, e.logLines(inner, room)...)
		case panelProfiles:
			lines = append(lines, e.profilesLines(inner, room)...)
		case panelHealth:
			lines = append(lines, e.healthLines(inner, room)...)
		case panelTests:
			lines = append(lines, e.testsLines(inner, room)...)
		}
	}
	return panel(st.PanelActive, "", lines, width, height)
}

// layersLines counts rows per layer, quarantine apart, and files per source.
func (e *engineer) layersLines(width int) []string {
	st, s := e.sh.styles, e.sh.snap
	if s.Missing {
		return []string{st.Muted.Render("no data on this target yet")}
	}
	type agg struct {
		tables int
		rows   int64
		est    bool // rows holds one of DuckDB's estimates
	}
	layers := map[string]*agg{}
	order := []string{"bronze", "silver", "gold", "ml", "quarantine"}
	for _, t := range s.Tables {
		name := t.Schema
		if strings.HasSuffix(t.Table, "_quarantine") {
			name = "quarantine"
		}
		if layers[name] == nil {
			layers[name] = &agg{}
		}
		layers[name].tables++
		layers[name].rows += t.Rows
		layers[name].est = layers[name].est || t.Estimated
	}
	landing, ingested := 0, int64(0)
	for _, n := range s.Landing {
		landing += n
	}
	for _, f := range s.Ingested {
		ingested += f.Files
	}
	numW := max(8, (width-12)/2)
	lines := []string{st.Header.Render(fit("layer", 12)) + st.Header.Render(right("tables", numW)) + st.Header.Render(right("rows", width-12-numW))}
	pending := int64(landing) - ingested
	newFiles := st.Muted.Render(" (0 new)")
	refusedFiles := s.Refused[RefusedIngested]
	switch {
	case refusedFiles != "":
		// Which files are loaded is in sys.ingested_files: without it no
		// file is known to be new, so none is counted.
		newFiles = ""
	case pending > 0:
		newFiles = st.Warn.Render(fmt.Sprintf(" (%d new)", pending))
	}
	lines = append(lines, st.layer("landing").Render(fit("landing", 12))+right(fmt.Sprintf("%d files", landing), numW)+newFiles)
	for _, n := range order {
		a := layers[n]
		if a == nil {
			continue
		}
		style := st.layer(n)
		if n == "quarantine" {
			style = st.Warn
		}
		lines = append(lines, style.Render(fit(n, 12))+right(fmt.Sprint(a.tables), numW)+right(fitEstimate(a.rows, a.est, width-12-numW), width-12-numW))
	}
	lines = append(lines, "")
	cw := max(7, (width-11)/3)
	if refusedFiles != "" {
		return append(lines, refusedLines(st, refusedFiles, width, 6)...)
	}
	lines = append(lines, st.Header.Render(fit("source", 11))+st.Header.Render(right("files", cw))+st.Header.Render(right("loaded", cw))+st.Header.Render(right("quar.", width-11-2*cw)))
	for _, f := range s.Ingested {
		q := right(fitCount(f.RowsQuarantined, width-11-2*cw), width-11-2*cw)
		if f.RowsQuarantined > 0 {
			q = st.Warn.Render(q)
		}
		lines = append(lines, fit(strings.TrimPrefix(f.Table, "bronze."), 11)+right(fmt.Sprint(f.Files), cw)+right(fitCount(f.RowsLoaded, cw), cw)+q)
	}
	return lines
}

func (e *engineer) qualityLines(width, room int) []string {
	st := e.sh.styles
	items := e.qualityItems()
	if len(items) == 0 {
		if msg := e.sh.snap.Refused[RefusedQuality]; msg != "" {
			return refusedLines(st, msg, width, room)
		}
		return []string{st.Muted.Render("no quality results yet: add rules under resources.quality")}
	}
	lines := []string{}
	cur := e.cursor[panelQuality]
	start, end := window(len(items), cur, max(1, (room-1)/2))
	tw := min(22, width/2)
	for i := start; i < end; i++ {
		it := items[i]
		mark := "  "
		if i == cur {
			mark = st.Selected.Render("▸ ")
		}
		glyph := st.Good.Render("✓")
		if it.failed > 0 {
			glyph = st.Bad.Render("✗")
			if it.crit == "warn" {
				glyph = st.Warn.Render("!")
			}
		}
		name := fit(it.table, tw)
		if i == cur {
			name = st.Selected.Render(name)
		}
		counts := fmt.Sprintf("%s of %s", thousands(it.failed), thousands(it.checked))
		lines = append(lines, mark+glyph+" "+name+" "+right(counts, width-tw-5))
		what := it.rule
		if it.function != "" && it.function != it.rule {
			what += " · " + it.function
		}
		lines = append(lines, "    "+st.Muted.Render(cut(what+" ("+it.crit+")", width-4)))
	}
	return lines
}

// refusedLines show, in a panel's place, the access error that kept its
// contents from the principal.
func refusedLines(st Styles, msg string, width, room int) []string {
	lines := strings.Split(wrapText(strings.TrimPrefix(msg, "lakehouse: "), max(1, width)), "\n")
	for i := range lines {
		lines[i] = st.Warn.Render(lines[i])
	}
	return lines[:min(len(lines), max(1, room))]
}

func (e *engineer) runsLines(width, room int) []string {
	st, s := e.sh.styles, e.sh.snap
	if msg := s.Refused[RefusedRuns]; msg != "" {
		return refusedLines(st, msg, width, room)
	}
	if len(s.Runs) == 0 {
		return []string{st.Muted.Render("no runs yet: press r")}
	}
	var succeeded int
	for _, r := range s.Runs {
		if r.Status == "succeeded" {
			succeeded++
		}
	}
	cur := e.cursor[panelRuns]
	// The selected run's error, under the list: why it failed, or that
	// its process died (crashed).
	var why []string
	if r := s.Runs[cur]; r.Error != "" && r.Status != "succeeded" {
		why = strings.Split(lipgloss.NewStyle().Width(width).Render(statusGlyph(r.Status)+" "+r.Status+": "+r.Error), "\n")
		why = why[:min(len(why), max(1, (room-2)/3))]
	}
	list := room - 2
	if len(why) > 0 {
		list = max(1, list-1-len(why))
	}
	// Narrow panels drop the start time, so the status stays in sight.
	startW, tookW := 12, 8 // "01-02 15:04" and a space
	if width < 44 {
		startW, tookW = 0, 6
	}
	lines := []string{st.Header.Render(fit("  run", 14)) + st.Header.Render(fit("started", startW)) + st.Header.Render(right("took", tookW)) + st.Header.Render(fit(" status", max(0, width-14-tookW-startW)))}
	start, end := window(len(s.Runs), cur, list)
	for i := start; i < end; i++ {
		r := s.Runs[i]
		mark := "  "
		if i == cur {
			mark = st.Selected.Render("▸ ")
		}
		took := "—"
		if !r.EndedAt.IsZero() {
			took = duration(r.EndedAt.Sub(r.StartedAt))
		}
		style := st.Good
		if r.Status != "succeeded" {
			style = st.Bad
		}
		id := fmt.Sprintf("#%d", len(s.Runs)-i)
		lines = append(lines, mark+fit(id+" "+r.Job, 12)+fit(r.StartedAt.Format("01-02 15:04"), startW)+right(took, tookW)+" "+style.Render(statusGlyph(r.Status)+" "+r.Status))
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("%d of %d succeeded", succeeded, len(s.Runs))))
	if len(why) > 0 {
		lines = append(lines, "")
		for _, l := range why {
			lines = append(lines, st.Bad.Render(l))
		}
	}
	return lines
}

func (e *engineer) logLines(width, room int) []string {
	st := e.sh.styles
	if len(e.log) == 0 {
		return []string{st.Muted.Render("no task logs yet: press r to run the job")}
	}
	var lines []string
	if e.run == nil && e.logRun != "" {
		lines = append(lines, st.Muted.Render(cut("tasks of "+e.logRun, width)))
		room--
	}
	wrap := lipgloss.NewStyle().Width(width)
	var all []string
	for _, l := range e.log {
		all = append(all, strings.Split(wrap.Render(l), "\n")...)
	}
	if len(all) > room {
		all = all[len(all)-room:]
	}
	return append(lines, all...)
}

// drillView lists a table's quarantined rows with their reasons.
func (e *engineer) drillView() string {
	st := e.sh.styles
	inner := e.width - st.PanelActive.GetHorizontalFrameSize()
	room := e.height - st.PanelActive.GetVerticalFrameSize()
	if e.drill == nil {
		return panel(st.PanelActive, "quarantine · "+e.drillTable, []string{st.Muted.Render("loading…")}, e.width, e.height)
	}
	q := e.drill
	title := fmt.Sprintf("quarantine · %s · %s %s", q.Table, thousands(q.Total), map[bool]string{true: "row", false: "rows"}[q.Total == 1])
	if len(q.Rows) == 0 {
		return panel(st.PanelActive, title, []string{st.Muted.Render("nothing quarantined"), "", st.Muted.Render("esc to go back")}, e.width, e.height)
	}
	reasons := map[string]int{}
	for _, r := range q.Rows {
		if len(r.Errors) == 0 {
			reasons[r.Reason]++
		}
		for _, ce := range r.Errors {
			reasons[ce.Name]++
		}
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return reasons[keys[i]] > reasons[keys[j]] || reasons[keys[i]] == reasons[keys[j]] && keys[i] < keys[j]
	})
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%d× %s", reasons[k], k))
	}
	lines := []string{st.Muted.Render(cut("reasons: "+strings.Join(summary, " · "), inner)), ""}
	per := 2
	// The selected row is shown whole, wrapped (up to 6 lines of its record).
	sel := q.Rows[min(e.drillCursor, len(q.Rows)-1)]
	selWhere := sel.Source
	if sel.Line > 0 {
		selWhere += fmt.Sprintf(":%d", sel.Line)
	}
	selRecord := strings.Split(wrapText(strings.ReplaceAll(sel.Record, "\n", "⏎"), inner-4), "\n")
	if len(selRecord) > 6 {
		selRecord = append(selRecord[:5], "…")
	}
	selBlock := e.selectedRow(sel, selWhere, inner)
	for _, l := range selRecord {
		selBlock = append(selBlock, "    "+l)
	}
	selLines := len(selBlock)
	start, end := window(len(q.Rows), e.drillCursor, max(1, (room-3-(selLines-per))/per))
	for i := start; i < end; i++ {
		r := q.Rows[i]
		mark := "  "
		reason := st.Bad.Render(r.Reason)
		if i == e.drillCursor {
			mark = st.Selected.Render("▸ ")
		}
		where := r.Source
		if r.Line > 0 {
			where += fmt.Sprintf(":%d", r.Line)
		}
		if r.Column != "" {
			where += " (" + r.Column + ")"
		}
		head := mark + reason
		if where != "" {
			head += st.Muted.Render("  " + where)
		}
		if i == e.drillCursor {
			lines = append(lines, selBlock...)
			continue
		}
		lines = append(lines, cut(head, inner), "    "+cut(strings.ReplaceAll(r.Record, "\n", "⏎"), inner-4))
	}
	if e.drillCheck != "" {
		title += " · check " + e.drillCheck
	}
	if int64(len(q.Rows)) < q.Total {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("first %d of %s rows: lakebench query \"select * from %s_quarantine\" for all", len(q.Rows), thousands(q.Total), q.Table)))
	}
	return panel(st.PanelActive, title, lines, e.width, e.height)
}

// failedCheck reports whether a quarantined row's _errors name check.
func failedCheck(r lakehouse.QuarantinedRow, check string) bool {
	return slices.ContainsFunc(r.Errors, func(ce lakehouse.CheckError) bool { return ce.Name == check })
}

// selectedRow is the selected quarantined row's head, wrapped: its reason
// and where it came from, or, for a check's reject, each of its _errors
// (the check, its message, function and columns) under the run that
// rejected it.
func (e *engineer) selectedRow(r lakehouse.QuarantinedRow, where string, inner int) []string {
	st := e.sh.styles
	mark := st.Selected.Render("▸ ")
	if len(r.Errors) == 0 {
		var out []string
		for k, l := range strings.Split(wrapText(r.Reason+"  "+where, inner-2), "\n") {
			if k == 0 {
				out = append(out, mark+st.Bad.Render(l))
			} else {
				out = append(out, "  "+st.Bad.Render(l))
			}
		}
		return out
	}
	head := "_errors"
	if r.RunID != "" {
		head += " · run " + r.RunID
	}
	if where != "" {
		head += " · " + where
	}
	out := []string{mark + st.Muted.Render(cut(head, inner-2))}
	for _, ce := range r.Errors {
		text := "✗ " + ce.Name + ": " + ce.Message
		var about []string
		if ce.Function != "" && ce.Function != ce.Name {
			about = append(about, ce.Function)
		}
		if len(ce.Columns) > 0 {
			about = append(about, "columns "+strings.Join(ce.Columns, ", "))
		}
		if ce.Filter != "" {
			about = append(about, "where "+ce.Filter)
		}
		style := st.Bad
		if e.drillCheck != "" && ce.Name != e.drillCheck {
			style = st.Warn
		}
		for k, l := range strings.Split(wrapText(text, inner-4), "\n") {
			if k == 0 {
				out = append(out, "  "+style.Render(l))
			} else {
				out = append(out, "    "+style.Render(l))
			}
		}
		if len(about) > 0 {
			out = append(out, "    "+st.Muted.Render(cut(strings.Join(about, " · "), inner-4)))
		}
	}
	return out
}
