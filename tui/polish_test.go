package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// copySample copies the run sample to a new temp dir; edit, if set,
// rewrites its lakebench.yml first.
func copySample(t *testing.T, edit func(yml string) string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sample")
	if err := os.CopyFS(dir, os.DirFS(testDir)); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		file := filepath.Join(dir, pipeline.FileName)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(edit(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withWeeklyJob adds a second job, weekly, which sorts after nightly.
func withWeeklyJob(yml string) string {
	const weekly = `  jobs:
    weekly:
      description: Reload the orders only.
      tasks:
        - {task_key: ingest, type: ingest}
        - {task_key: orders, type: transform, depends_on: [ingest], models: [silver.orders]}
`
	return strings.Replace(yml, "  jobs:\n", weekly, 1)
}

// openModel is a ready root model at w x h over a real load of ws.
func openModel(t *testing.T, ws *Workspace, w, h int) *Model {
	t.Helper()
	info, err := ws.Prepare(context.Background(), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	m := New(ws, Options{Now: time.Now})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	_, cmd := m.Update(prepareDoneMsg{info: info})
	pump(t, m, cmd)
	if m.sh.snap == nil {
		t.Fatalf("no snapshot after the load (flash %q)", m.flash.text)
	}
	return m
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0 models"}, {1, "1 model"}, {2, "2 models"}} {
		if got := plural(tt.n, "model"); got != tt.want {
			t.Errorf("plural(%d): got %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestUpdateJobPicker cycles the jobs of a project with two with j: the DAG
// and its title follow, r runs the job shown, and the other job's DAG says
// the latest run was not its own.
func TestUpdateJobPicker(t *testing.T) {
	ws := newWorkspace(t, WorkspaceOptions{Dir: copySample(t, withWeeklyJob), Principal: "ben"})
	m := openModel(t, ws, 80, 24)
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	if got := len(m.sh.snap.Jobs); got != 2 {
		t.Fatalf("jobs: got %d, want 2", got)
	}
	if e.dag().Job != "nightly" || !strings.Contains(m.View(), "job nightly (1/2)") {
		t.Fatalf("first job: got %q, want nightly in the title:\n%s", e.dag().Job, m.View())
	}
	e.syncKeys()
	if !e.keys.Job.Enabled() {
		t.Error("j is disabled with two jobs")
	}
	m.Update(keyMsg("j"))
	view := m.View()
	if e.dag().Job != "weekly" || !strings.Contains(view, "job weekly (2/2) · 2 tasks") {
		t.Fatalf("after j: got %q, want weekly in the title:\n%s", e.dag().Job, view)
	}
	if !strings.Contains(view, "last run: job nightly, 7 tasks ✓") {
		t.Errorf("weekly's DAG does not say the last run was nightly's:\n%s", view)
	}
	if len(e.tasks) != 0 {
		t.Errorf("weekly never ran but shows task states %v", e.tasks)
	}

	_, cmd := m.Update(keyMsg("r"))
	pump(t, m, cmd)
	if r := m.sh.snap.Runs[0]; r.Job != "weekly" || r.Status != "succeeded" {
		t.Fatalf("r ran %s (%s), want weekly succeeded (flash %q)", r.Job, r.Status, m.flash.text)
	}
	for _, k := range []string{"ingest", "orders"} {
		if ts := e.tasks[k]; ts == nil || ts.status != "succeeded" {
			t.Errorf("weekly task %s: %+v, want succeeded", k, ts)
		}
	}

	m.Update(keyMsg("j"))
	view = m.View()
	if e.dag().Job != "nightly" || !strings.Contains(view, "last run: job weekly, 2 tasks ✓") {
		t.Errorf("back on nightly: got %q, want a header naming weekly's run:\n%s", e.dag().Job, view)
	}
	if ts := e.tasks["train_churn"]; ts == nil || ts.status != "succeeded" {
		t.Errorf("nightly's own last run is not shown: train_churn %+v", ts)
	}
}

// TestUpdateJobPickerOneJob: with one job, j is disabled and does nothing.
func TestUpdateJobPickerOneJob(t *testing.T) {
	m := newTestModel(t, 80, 24)
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	m.Update(keyMsg("j"))
	if e.keys.Job.Enabled() || e.job != 0 {
		t.Errorf("one job: j enabled %v, job %d", e.keys.Job.Enabled(), e.job)
	}
	if strings.Contains(m.View(), "next job") {
		t.Error("help offers j with one job")
	}
}

// TestUpdateDefaultPlanRun: after the CLI's default plan ran, the job's DAG
// says so and keeps the job's own last run.
func TestUpdateDefaultPlanRun(t *testing.T) {
	ws := newWorkspace(t, WorkspaceOptions{Dir: copySample(t, nil), Principal: "ben"})
	if _, err := ws.Prepare(context.Background(), func(string) {}); err != nil {
		t.Fatal(err)
	}
	if err := ws.Run(context.Background(), "dev", DefaultJob, nil); err != nil {
		t.Fatal(err)
	}
	m := openModel(t, ws, 120, 40)
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	if r := m.sh.snap.Runs[0]; r.Job != DefaultJob {
		t.Fatalf("latest run is %s, want the default plan", r.Job)
	}
	n := len(m.sh.snap.LastTasks)
	want := "last run: default plan, " + plural(n, "task") + " ✓"
	if view := m.View(); !strings.Contains(view, want) {
		t.Errorf("no %q in the DAG header:\n%s", want, view)
	}
	if ts := e.tasks["gold"]; ts == nil || ts.status != "succeeded" {
		t.Errorf("nightly's marks are gone after a default-plan run: gold %+v", ts)
	}
}

// TestUpdateRefusedRun acts as dana (an analyst) with --as: on dev after a
// deploy, the grants refuse the ingest and skip what depends on it; on
// prod, production mode refuses the run. Both say why, nothing crashes.
func TestUpdateRefusedRun(t *testing.T) {
	dir := copySample(t, nil)
	ctx := context.Background()
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath(p.Target), lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// dana may run jobs on dev (CAN_RUN) but holds no grant on bronze.
	p.Permissions = []pipeline.Permission{{Level: "CAN_RUN", UserName: "dana"}}
	if _, err := p.Deploy(ctx, lh, ""); err != nil { // as the owner, who deployed the copied sample
		t.Fatal(err)
	}
	lh.Close()

	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "dana"})
	m := openModel(t, ws, 120, 40)
	if !strings.Contains(m.View(), "as dana") {
		t.Errorf("the status bar does not show dana:\n%s", m.View())
	}
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	_, cmd := m.Update(keyMsg("r"))
	pump(t, m, cmd)
	if ts := e.tasks["ingest"]; ts == nil || ts.status != "failed" || !strings.Contains(ts.detail, "dana may not") {
		t.Fatalf("ingest as dana: %+v, want failed by the grants (flash %q)", ts, m.flash.text)
	}
	for _, k := range []string{"silver", "gold", "train_churn"} {
		if ts := e.tasks[k]; ts == nil || ts.status != "skipped" {
			t.Errorf("%s after a refused ingest: %+v, want skipped", k, ts)
		}
	}
	if !m.flash.err || !strings.Contains(m.flash.text, "dana may not") {
		t.Errorf("flash: %q, want the refusal", m.flash.text)
	}
	m.Update(tea.KeyMsg{}) // the flash goes at the next key; the log keeps it
	e.panel = panelLog
	if view := m.View(); !strings.Contains(view, "✗ ingest failed") || !strings.Contains(view, "dana may not") {
		t.Errorf("the log does not show the refusal:\n%s", view)
	}

	for i := 0; i < len(m.sh.info.Targets) && m.sh.target != "prod"; i++ {
		_, cmd = m.Update(keyMsg("t"))
		pump(t, m, cmd)
	}
	if m.sh.target != "prod" {
		t.Fatalf("target %s, want prod", m.sh.target)
	}
	_, cmd = m.Update(keyMsg("r"))
	pump(t, m, cmd)
	if e.run != nil {
		t.Fatal("the refused run is still live")
	}
	if !m.flash.err || !strings.Contains(m.flash.text, "production mode") {
		t.Errorf("flash on prod: %q, want the production-mode refusal", m.flash.text)
	}
	if log := strings.Join(e.log, "\n"); !strings.Contains(log, "only as the service principal sp-prod") {
		t.Errorf("log on prod does not say why:\n%s", log)
	}
}

// TestUpdateFailedTask feeds a failed task event and the end of its run:
// the DAG marks it ✗, the log and the footer carry the error.
func TestUpdateFailedTask(t *testing.T) {
	m := newTestModel(t, 120, 40)
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	e.seq++
	e.run = &liveRun{seq: e.seq, cancel: func() {}, started: t0}
	e.tasks = map[string]*taskState{}
	cause := errors.New(`lakehouse: silver.orders: Binder Error: column "order_tz" not found`)
	for _, ev := range []pipeline.Event{
		{Kind: pipeline.RunStarted, RunID: "run-9", Total: 7},
		{Kind: pipeline.TaskStarted, Task: "ingest", Total: 7},
		{Kind: pipeline.TaskFinished, Task: "ingest", Rows: 10, Total: 7},
		{Kind: pipeline.TaskStarted, Task: "silver", Total: 7},
		{Kind: pipeline.TaskFailed, Task: "silver", Detail: cause.Error(), Err: cause, Total: 7},
		{Kind: pipeline.TaskSkipped, Task: "gold", Detail: "a task it depends on failed", Total: 7},
	} {
		m.Update(runEventMsg{seq: e.seq, ev: ev})
	}
	if ts := e.tasks["silver"]; ts == nil || ts.status != "failed" {
		t.Fatalf("silver: %+v, want failed", e.tasks["silver"])
	}
	view := m.View()
	for _, want := range []string{"✗ silver failed:", `column "order_tz" not`, "– gold skipped"} {
		if !strings.Contains(view, want) {
			t.Errorf("no %q on screen:\n%s", want, view)
		}
	}
	if !strings.Contains(dagLine(view, "silver"), "✗") {
		t.Errorf("the DAG does not mark silver ✗: %q", dagLine(view, "silver"))
	}
	_, cmd := m.Update(runDoneMsg{seq: e.seq, err: &pipeline.TaskError{Task: "silver", Err: cause}})
	pump(t, m, cmd)
	if !m.flash.err || !strings.Contains(m.View(), `✗ pipeline: task silver failed`) {
		t.Errorf("footer after the failed run: %q", m.flash.text)
	}
}

// dagLine is the first line of view that draws task name in the DAG.
func dagLine(view, name string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, " "+name+" ") && (strings.Contains(l, "┬") || strings.Contains(l, "─ ") || strings.Contains(l, "├") || strings.Contains(l, "└")) {
			return l
		}
	}
	return ""
}

// TestUpdateCrashedRun records a run whose process died (as sys.runs keeps
// it): the status bar and the run history show ✗ crashed and why.
func TestUpdateCrashedRun(t *testing.T) {
	dir := copySample(t, nil)
	ctx := context.Background()
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath(p.Target), lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := lh.RecordRun(ctx, lakehouse.Run{RunID: "run-killed", Job: "nightly", Target: p.Target, Principal: "ben",
		StartedAt: time.Now(), Status: "running"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.MarkCrashedRuns(ctx); err != nil {
		t.Fatal(err)
	}
	lh.Close()
	m := openModel(t, newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "ben"}), 80, 24)
	if r := m.sh.snap.Runs[0]; r.Status != "crashed" {
		t.Fatalf("latest run %s is %s, want crashed", r.RunID, r.Status)
	}
	m.Update(keyMsg("2"))
	m.Update(keyMsg("right"))
	m.Update(keyMsg("right")) // Runs
	view := m.View()
	for _, want := range []string{"last run ✗ crashed", "✗ crashed", "the process ended"} {
		if !strings.Contains(view, want) {
			t.Errorf("no %q on screen:\n%s", want, view)
		}
	}
}

// TestUpdateNextBatchOnTarget: n drops the next day into the landing zone of
// the target on screen, and on a target with no sample yet it says how to
// make one instead of writing elsewhere.
func TestUpdateNextBatchOnTarget(t *testing.T) {
	dir := copySample(t, nil)
	m := openModel(t, newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "ben"}), 120, 40)
	m.Update(keyMsg("2"))
	count := func(root string) int {
		n := 0
		filepath.WalkDir(root, func(_ string, d os.DirEntry, _ error) error {
			if d != nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	before := count(filepath.Join(dir, "landing"))
	_, cmd := m.Update(keyMsg("n"))
	pump(t, m, cmd)
	if after := count(filepath.Join(dir, "landing")); after <= before {
		t.Errorf("n on dev: %d landing files before, %d after", before, after)
	}
	if !strings.Contains(m.View(), "dropped day") {
		t.Errorf("no report of the dropped day:\n%s", m.View())
	}
	m.sh.target = "staging"
	_, cmd = m.Update(keyMsg("n"))
	pump(t, m, cmd)
	if view := m.View(); !strings.Contains(view, "lakebench sample generate -t staging") {
		t.Errorf("n on staging without data should say how to generate it:\n%s", view)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "staging", "landing")); err == nil {
		t.Errorf("n on staging wrote a landing zone without generated data")
	}
}

// TestPanelTitleCut: a title wider than its panel is cut with an ellipsis
// (the lineage of silver.order_totals at 80 columns), never dropped.
func TestPanelTitleCut(t *testing.T) {
	st := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	for _, width := range []int{44, 30, 12} {
		top := strings.SplitN(panel(st, "lineage · silver.order_totals · by time", []string{"x"}, width, 4), "\n", 2)[0]
		if w := lipgloss.Width(top); w != width {
			t.Errorf("width %d: the top border is %d wide: %q", width, w, top)
		}
		if !strings.Contains(top, "linea") {
			t.Errorf("width %d: the title is gone: %q", width, top)
		}
	}
}
