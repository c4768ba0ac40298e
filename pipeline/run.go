package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// EventKind says what a progress Event reports.
type EventKind string

// The kinds of progress events, in the order a run emits them.
const (
	RunStarted   EventKind = "run_started"
	TaskStarted  EventKind = "task_started"
	TaskFinished EventKind = "task_finished"
	TaskFailed   EventKind = "task_failed"
	TaskSkipped  EventKind = "task_skipped"
	// AlertsChecked follows the tasks: the run's last step evaluated the
	// bundle's alerts (Detail says which triggered).
	AlertsChecked EventKind = "alerts_checked"
	RunFinished   EventKind = "run_finished"
)

// Event is one step of a run's progress.
type Event struct {
	Kind     EventKind `json:"kind"`
	RunID    string    `json:"run_id"`
	Task     string    `json:"task,omitempty"`
	TaskKind string    `json:"task_kind,omitempty"`
	// Index is the task's place in the order the run started (or
	// skipped) its tasks, 1 for the first: the scheduler starts them
	// longest path first, not in the plan's order. Total is the tasks of
	// the run.
	Index   int           `json:"index"`
	Total   int           `json:"total"`
	Rows    int64         `json:"rows,omitempty"`
	Elapsed time.Duration `json:"elapsed,omitempty"`
	Detail  string        `json:"detail,omitempty"`
	Err     error         `json:"-"`
}

// RunOptions configures Run.
type RunOptions struct {
	// Job is the job to run from resources.jobs; "" runs every source and
	// model (the default plan).
	Job       string
	Target    string
	Principal string
	// Parallel caps how many independent tasks run at once; 0 means 2.
	Parallel int
	// Progress, when set, receives every event; calls are serialized.
	Progress func(Event)
	// FullRefresh names the models (table names or patterns, as a task's
	// models list; "*" is every model) that this run rebuilds from scratch,
	// whatever their kind. Any full refresh also profiles every window of
	// the monitored tables again (see postSteps.runMonitor).
	FullRefresh []string
}

// RunResult is the record of one run.
type RunResult struct {
	lakehouse.Run
	Tasks []lakehouse.TaskRun `json:"tasks"`
	// Alerts are the alerts the run's last step evaluated (those its
	// alerts tasks did not).
	Alerts []AlertStatus `json:"alerts,omitempty"`
	// Steps are what the run did after its tasks (each monitor, the
	// health, the alerts), with their wall and CPU time.
	Steps []StepTime `json:"steps,omitempty"`
	// stepsMu guards Steps: the monitors and the health run side by side.
	stepsMu sync.Mutex
	// early are the alerts evaluated beside the monitors and the health
	// (earlyAlerts), for the run's last step to record.
	early map[string]AlertEvaluation
	// models are the models the run planned, whose lineage the health
	// step draws.
	models []Model
}

// StepTime is one step of a run after its tasks: its name ("monitor
// gold.daily_revenue", "health", "alerts"), wall and process CPU time
// (the monitors and the health run side by side, beside the last tasks,
// so their CPU times overlap; the alerts run alone).
type StepTime struct {
	Step string        `json:"step"`
	Wall time.Duration `json:"wall"`
	CPU  time.Duration `json:"cpu"`
}

// timeStep runs do as the run's step named step, recording its time.
func (r *RunResult) timeStep(step string, do func()) {
	m := lakehouse.StartMeter()
	do()
	r.stepsMu.Lock()
	defer r.stepsMu.Unlock()
	r.Steps = append(r.Steps, StepTime{Step: step, Wall: time.Since(m.Start()), CPU: m.CPU()})
}

// TaskError is the failure of one task; its dependants are skipped.
type TaskError struct {
	Task string
	Err  error
}

func (e *TaskError) Error() string { return fmt.Sprintf("pipeline: task %s failed: %v", e.Task, e.Err) }
func (e *TaskError) Unwrap() error { return e.Err }

// task is one unit of a run, done in one transaction.
type task struct {
	key       string
	kind      string
	table     lakehouse.TableName
	dependsOn []string
	// reads and writes are checked against the principal's grants first.
	reads, writes []lakehouse.TableName
	// steps are the tables each step of the task holds in memory as it
	// runs (a transform's models, a training's feature table), for
	// memoryNeed; a task without steps streams what it reads.
	steps [][]lakehouse.TableName
	do    func(ctx context.Context, tx *lakehouse.Tx, runID string) (rows int64, detail string, err error)
	// stage, when set, builds ahead what the task's transaction can take
	// whole (lakehouse.Tx.StageChecked), in a transaction of its own
	// committed before the task's begins. It returns what it checked,
	// and done drops what the task did not take.
	stage func(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string) (checked []lakehouse.TableName, done func(), err error)
}

// Principal is the operating-system user: the identity of development runs.
func Principal() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}

// Identity is who the project's jobs run as on its target: the run_as
// service principal or user, else the operating-system user.
func (p *Project) Identity() string {
	if id := p.runAs().Principal(); id != "" {
		return id
	}
	return Principal()
}

func (p *Project) runAs() *RunAs {
	if t, ok := p.Targets[p.Target]; ok && t.RunAs != nil {
		return t.RunAs
	}
	return p.RunAs
}

// Mode is the target's mode: development (the default) or production.
func (p *Project) Mode() string {
	if m := p.Targets[p.Target].Mode; m != "" {
		return m
	}
	return "development"
}

// CheckIdentity refuses a principal the target's mode does not allow: in
// production, only the target's service principal may deploy or run.
func (p *Project) CheckIdentity(principal string) error {
	if p.Mode() != "production" {
		return nil
	}
	sp := p.runAs()
	if sp == nil || sp.ServicePrincipalName == "" {
		return fmt.Errorf("pipeline: target %s is in production mode but has no service principal: add `run_as: {service_principal_name: sp-%s}` to targets.%s in %s",
			p.Target, p.Target, p.Target, p.File)
	}
	if principal != sp.ServicePrincipalName {
		return fmt.Errorf("pipeline: target %s is in production mode: jobs run only as the service principal %s, not as %s; run without naming a principal (lakebench uses run_as), or deploy to dev to work as yourself",
			p.Target, sp.ServicePrincipalName, principal)
	}
	return nil
}

// CheckIdentityOn is CheckIdentity against the target as deployed: once
// a deploy recorded production mode on it, only the service principal
// recorded with it may deploy, run or destroy, whatever the caller's
// bundle says now (an include file that switches the target to
// development changes nothing until its owner deploys it with
// --allow-mode-change). A deploy by that service principal may name
// another one, which the deploy then records. A refusal is audited as
// action.
func (p *Project) CheckIdentityOn(ctx context.Context, lh *lakehouse.Lakehouse, principal, action string) error {
	s, recorded, err := lh.TargetSettings(ctx)
	prod := recorded && s.Mode == "production"
	switch {
	case err != nil:
	case prod && principal != s.RunAs:
		err = fmt.Errorf("pipeline: target %s was deployed in production mode: it runs only as its service principal %s, not as %s, whatever %s says now; only its owner can change the mode, with `lakebench bundle deploy -t %s --allow-mode-change`",
			p.Target, s.RunAs, principal, filepath.Base(p.File), p.Target)
	case prod && action == "deploy":
	default:
		err = p.CheckIdentity(principal)
	}
	if err != nil {
		lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: principal, Action: action, Allowed: false, Detail: err.Error()})
	}
	return err
}

func newRunID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return "run-" + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// Run runs a job's tasks (or, with no job, every source's ingest and every
// model) as a DAG: a task starts when the tasks it depends on succeeded,
// independent tasks run in parallel, each in its own transaction. A failed
// task skips its dependants and leaves the others' results. The run is
// recorded in sys.runs and each task in sys.task_runs. Its last step
// evaluates the bundle's alerts (see RunResult.Alerts).
func (p *Project) Run(ctx context.Context, lh *lakehouse.Lakehouse, opts RunOptions) (*RunResult, error) {
	if opts.Job == "" {
		opts.Job = "default"
	}
	if opts.Target == "" {
		opts.Target = p.Target
	}
	if opts.Principal == "" {
		opts.Principal = p.Identity()
	}
	// The mode, run_as and permissions deployed on the target decide, not
	// the caller's bundle: running needs CAN_RUN (or CAN_MANAGE).
	if err := p.CheckIdentityOn(ctx, lh, opts.Principal, "run"); err != nil {
		return nil, err
	}
	if err := lh.CheckPermission(ctx, opts.Principal, lakehouse.CanRun, "run"); err != nil {
		return nil, err
	}
	if err := p.checkRunContent(ctx, lh); err != nil {
		return nil, err
	}
	// The usage of the run's tasks is priced at the bundle's price now.
	if err := lh.SetListPrice(ctx, p.ListPrice()); err != nil {
		return nil, err
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 2
	}
	var mu sync.Mutex
	emit := func(e Event) {
		if opts.Progress != nil {
			mu.Lock()
			opts.Progress(e)
			mu.Unlock()
		}
	}
	models, err := p.Models(ctx, lh)
	if err != nil {
		return nil, err
	}
	tasks, err := p.planOf(ctx, lh, opts, models)
	if err != nil {
		return nil, err
	}
	// Runs a killed process left "running" were marked crashed when lh
	// was opened (lakehouse.Open); this process's own runs are not.
	start := time.Now()
	res := &RunResult{Run: lakehouse.Run{RunID: newRunID(start), Job: opts.Job, Target: opts.Target,
		Principal: opts.Principal, StartedAt: start, Status: "running", BundleHash: p.ContentHash()}, Tasks: []lakehouse.TaskRun{}, models: models}
	if err := lh.RecordRun(ctx, res.Run); err != nil {
		return nil, err
	}
	emit(Event{Kind: RunStarted, RunID: res.RunID, Total: len(tasks)})
	// DuckDB's threads are shared among what runs side by side (see
	// shareThreads), and are all the lakehouse's again after the run.
	defer lh.UseThreads(context.WithoutCancel(ctx), lh.Threads())

	// The DAG: a task is ready when all it depends on succeeded, skipped
	// when one of them failed or was skipped.
	index := map[string]int{}
	for i, t := range tasks {
		index[t.key] = i
	}
	const (
		pending = iota
		running
		succeeded
		failed
	)
	state := make([]int, len(tasks))
	// seq is each task's place in the order tasks started or were
	// skipped (Event.Index); begun counts them.
	seq, begun := make([]int, len(tasks)), 0
	results := make([]lakehouse.TaskRun, len(tasks))
	var errs []error
	type outcome struct {
		i   int
		err error
	}
	done := make(chan outcome)
	active, finished := 0, 0
	// What the running tasks need, and each task's need once it is ready
	// (-1 before: what it reads is built by the tasks it depends on).
	budget, using := lh.MemoryLimit(), int64(0)
	need := make([]int64, len(tasks))
	for i := range need {
		need[i] = -1
	}
	// The monitors and the tables' health run beside the last tasks, once
	// only tasks remain that write none of the tables they read (training,
	// scoring, alerts): after the tasks, they added a third of the run. A
	// monitor, and an alert evaluated beside them, start earlier, as soon
	// as no task left writes what it reads (postSteps).
	post := p.newPostSteps(lh, opts, res, tasks)
	// Ready tasks get a free slot longest path first (criticalOrder),
	// by what each took the last time; without that history (or should
	// it not be read: it is only a hint), in the plan's order of equal
	// paths.
	took, err := lh.TaskDurations(ctx)
	if err != nil {
		took = nil
	}
	order := criticalOrder(tasks, took)
	for finished < len(tasks) {
		post.advance(ctx, func(i int) bool { return state[i] == pending || state[i] == running })
		// Skip what cannot run and start what can, up to the limit, until
		// nothing changes.
		for changed := true; changed; {
			changed = false
			for _, i := range order {
				t := tasks[i]
				if state[i] != pending {
					continue
				}
				ready, blocked := true, false
				for _, d := range t.dependsOn {
					switch state[index[d]] {
					case failed:
						blocked = true
					case succeeded:
					default:
						ready = false
					}
				}
				ev := Event{RunID: res.RunID, Task: t.key, TaskKind: t.kind, Total: len(tasks)}
				if blocked || (ready && ctx.Err() != nil) {
					state[i] = failed
					finished++
					changed = true
					now := time.Now()
					why := "a task it depends on failed"
					if ctx.Err() != nil {
						why = "the run was canceled"
					}
					results[i] = lakehouse.TaskRun{RunID: res.RunID, TaskKey: t.key, Kind: t.kind, TargetTable: tableString(t.table),
						StartedAt: now, EndedAt: now, Status: "skipped", Detail: why}
					lh.RecordTaskRun(context.WithoutCancel(ctx), results[i])
					begun++
					seq[i] = begun
					ev.Kind, ev.Detail, ev.Index = TaskSkipped, why, seq[i]
					emit(ev)
					continue
				}
				if !ready || active >= opts.Parallel {
					continue
				}
				if need[i] < 0 {
					// More than all the memory is all of it: the task runs
					// beside tasks that need none, and DuckDB spills.
					need[i] = min(memoryNeed(ctx, lh, t), budget)
				}
				// A task starts beside the running ones only if their needs
				// fit in DuckDB's memory together; one held back waits for a
				// task to finish, while lighter ones later in the plan may
				// start. Alone, a task always fits.
				if using+need[i] > budget {
					continue
				}
				state[i] = running
				active++
				using += need[i]
				changed = true
				begun++
				seq[i] = begun
				ev.Kind, ev.Index = TaskStarted, seq[i]
				emit(ev)
				go func(i int, t task) {
					tr, err := runTask(ctx, lh, opts.Job, res.RunID, opts.Principal, t)
					results[i] = tr
					done <- outcome{i, err}
				}(i, t)
			}
		}
		if finished == len(tasks) {
			break
		}
		if active == 0 {
			post.stop()
			return nil, fmt.Errorf("pipeline: job %s: tasks wait on each other in a cycle; run `lakebench bundle validate`", opts.Job)
		}
		shareThreads(ctx, lh, active)
		o := <-done
		active--
		using -= need[o.i]
		finished++
		tr := results[o.i]
		ev := Event{RunID: res.RunID, Task: tasks[o.i].key, TaskKind: tasks[o.i].kind, Index: seq[o.i], Total: len(tasks),
			Rows: tr.RowsWritten, Elapsed: tr.EndedAt.Sub(tr.StartedAt), Detail: tr.Detail}
		if tr.Error != "" {
			ev.Detail = tr.Error
		}
		if o.err != nil {
			state[o.i] = failed
			errs = append(errs, &TaskError{Task: tasks[o.i].key, Err: o.err})
			ev.Kind, ev.Err = TaskFailed, o.err
		} else {
			state[o.i] = succeeded
			ev.Kind = TaskFinished
		}
		emit(ev)
	}
	res.Tasks = results
	// The monitors and the health run side by side.
	shareThreads(ctx, lh, 2)
	// Then the monitors (profiles, drift) and the tables' health
	// (freshness, completeness) on what the run left, before the alerts,
	// which may read them, unless they started beside the last tasks.
	// Failing to record them fails the run's record.
	errs = append(errs, post.finish(ctx)...)
	// The last step: every alert, evaluated on what the run left, as the
	// run's principal. An alert in ERROR does not fail the run; failing
	// to record the evaluations does.
	if ctx.Err() == nil && len(p.Resources.Alerts) > 0 {
		var alerts []AlertStatus
		res.timeStep("alerts", func() {
			var err error
			if alerts, err = p.runAlerts(ctx, lh, opts.Principal, res.RunID, res.early); err != nil {
				errs = append(errs, fmt.Errorf("pipeline: alerts: %w", err))
			}
		})
		res.Alerts = alerts
		if len(alerts) > 0 {
			emit(Event{Kind: AlertsChecked, RunID: res.RunID, Total: len(tasks), Rows: int64(len(alerts)), Detail: alertSummary(alerts)})
		}
	}
	// The sizes of the counts the tasks kept, in one statement for all.
	lh.KeepCountSizes(context.WithoutCancel(ctx))
	res.EndedAt = time.Now()
	res.Status = "succeeded"
	runErr := errors.Join(errs...)
	if runErr != nil {
		res.Status, res.Error = "failed", runErr.Error()
		if ctx.Err() != nil {
			res.Status = "canceled"
		}
	}
	if err := lh.RecordRun(context.WithoutCancel(ctx), res.Run); err != nil && runErr == nil {
		runErr = err
	}
	emit(Event{Kind: RunFinished, RunID: res.RunID, Total: len(tasks), Elapsed: res.EndedAt.Sub(start), Err: runErr})
	return res, runErr
}

// shareThreads gives each of the n statements that run side by side (a
// run's tasks, its steps after them) its share of DuckDB's threads: on
// the sample's 2 cores, two tasks each on 1 thread, a task alone on 2. It
// is set when the scheduler waits, so a task that ends as another starts
// changes nothing.
func shareThreads(ctx context.Context, lh *lakehouse.Lakehouse, n int) {
	if n < 1 {
		return
	}
	t := lh.Threads()
	share := (t + n - 1) / n
	if threadsHook != nil {
		threadsHook(n, share)
	}
	lh.UseThreads(context.WithoutCancel(ctx), share)
}

// threadsHook, when set (by tests), is told of each share of DuckDB's
// threads shareThreads sets: how many run side by side, and the threads.
var threadsHook func(side, threads int)

// hasAlertsTask says whether job has a task of type alerts.
func (p *Project) hasAlertsTask(job string) bool {
	j, ok := p.Resources.Jobs[job]
	return ok && slices.ContainsFunc(j.Tasks, func(t Task) bool { return t.Type == "alerts" })
}

// onlyLate says whether every task still to finish (left(i)) is one the
// monitors and health need not wait for: a training, a scoring or an
// alerts task that writes no bronze, silver or gold table and no
// monitored one.
func (p *Project) onlyLate(tasks []task, left func(i int) bool) bool {
	for i, t := range tasks {
		if !left(i) {
			continue
		}
		switch t.kind {
		case "train", "predict", "alerts":
		default:
			return false
		}
		for _, w := range t.writes {
			switch w.Schema {
			case "bronze", "silver", "gold":
				return false
			}
			if _, ok := p.Resources.QualityMonitors[w.String()]; ok {
				return false
			}
		}
	}
	return true
}

// memoryNeed estimates the memory a task needs in DuckDB: the size of the
// tables its largest step reads (lakehouse.EstimateBytes: rows times row
// width, from the catalog). The pipeline's heavy statements hold their
// input whole: a model's window (the latest row per key), sort or join
// build side, a training's feature matrix. Ingestion, quality checks and
// alerts stream and hold little, so a task without steps needs 0. A task
// whose estimate fails counts as needing all the memory, so it runs alone.
func memoryNeed(ctx context.Context, lh *lakehouse.Lakehouse, t task) int64 {
	var most int64
	for _, tables := range t.steps {
		n, err := lh.EstimateBytes(ctx, tables)
		if err != nil {
			return lh.MemoryLimit()
		}
		most = max(most, n)
	}
	return most
}

func isConflict(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Conflict")
}

func tableString(t lakehouse.TableName) string {
	if t.Name == "" {
		return ""
	}
	return t.String()
}

// runTask checks the principal may do the task, runs it in its own
// transaction and records it: with the work when it succeeds, on its own
// when it fails (the work rolled back). Every task is audited, and its
// usage recorded in sys.usage (taskUsage): with its work, or on its own.
func runTask(ctx context.Context, lh *lakehouse.Lakehouse, job, runID, principal string, t task) (lakehouse.TaskRun, error) {
	meter := lakehouse.StartMeter()
	tr := lakehouse.TaskRun{RunID: runID, TaskKey: t.key, Kind: t.kind, TargetTable: tableString(t.table), StartedAt: meter.Start()}
	var tables []string
	for _, r := range append(append([]lakehouse.TableName(nil), t.reads...), t.writes...) {
		tables = append(tables, r.String())
	}
	var checked []lakehouse.TableName // what the task's SQL was checked for, on its bound plan
	err := lh.Authorize(ctx, principal, t.reads, t.writes)
	if err == nil && t.stage != nil {
		var done func()
		checked, done, err = t.stage(ctx, lh, principal, runID)
		if done != nil {
			defer done()
		}
		for _, r := range checked {
			if !slices.Contains(tables, r.String()) {
				tables = append(tables, r.String())
			}
		}
	}
	// Parallel tasks may collide in DuckDB's optimistic concurrency control;
	// the loser's work was rolled back whole, so it is safe to try again.
	for attempt := 0; err == nil || (isConflict(err) && attempt < 3); attempt++ {
		err = func() error {
			// The task's own SQL (statements, models, rules, alert
			// queries) is checked on its bound plan inside the task, as
			// the principal (Tx.AuthorizeSQL).
			tx, err := lh.BeginAs(ctx, principal)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			rows, detail, err := t.do(ctx, tx, runID)
			checked = tx.Checked()
			for _, r := range checked {
				if !slices.Contains(tables, r.String()) {
					tables = append(tables, r.String())
				}
			}
			if err != nil {
				return err
			}
			// What the task did is its detail; error stays empty on success.
			tr.RowsWritten, tr.EndedAt, tr.Status, tr.Detail = rows, time.Now(), "succeeded", detail
			if err := tx.RecordTaskRun(ctx, tr); err != nil {
				return err
			}
			// The task's usage (its span ends as its commit begins, as
			// its run's does) and audit commit with its work: a task
			// that committed always has both, in no commit of their own.
			if u, ok := taskUsage(ctx, lh, job, principal, t, tr, meter, checked); ok {
				tx.RecordUsageAtCommit(u, t.table)
			}
			return tx.CommitAudited(ctx, lakehouse.AuditEvent{Principal: principal, Action: "task:" + t.kind, Tables: tables,
				Rows: tr.RowsWritten, Allowed: true, Detail: t.key})
		}()
		if err == nil {
			break
		}
	}
	if err != nil {
		// A failed task is audited on its own: its work, and the audit
		// written with it, were rolled back.
		audit := lakehouse.AuditEvent{Principal: principal, Action: "task:" + t.kind, Tables: tables, Rows: tr.RowsWritten, Allowed: true, Detail: t.key}
		var ae *lakehouse.AccessError
		if errors.As(err, &ae) {
			audit.Allowed, audit.Detail = false, err.Error()
		}
		lh.Audit(context.WithoutCancel(ctx), audit)
		tr.EndedAt, tr.Status, tr.Error = time.Now(), "failed", err.Error()
		if ctx.Err() != nil {
			tr.Status = "canceled"
		}
		if rerr := lh.RecordTaskRun(context.WithoutCancel(ctx), tr); rerr != nil {
			err = errors.Join(err, rerr)
		}
		recordTaskUsage(context.WithoutCancel(ctx), lh, job, principal, t, tr, meter, checked)
	}
	return tr, err
}

// SourceFiles lists a source's landing files, sorted.
func (p *Project) SourceFiles(s Source) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(p.Dir, s.Path))
	if err != nil {
		return nil, &Error{File: p.File, Message: fmt.Sprintf("bad glob %q: %v", s.Path, err)}
	}
	sort.Strings(files)
	root, err := filepath.EvalSymlinks(p.Dir)
	if err != nil {
		return nil, fmt.Errorf("pipeline: project directory %s: %w", p.Dir, err)
	}
	for _, f := range files {
		if err := landingFile(root, f); err != nil {
			rel, _ := filepath.Rel(p.Dir, f)
			return nil, &Error{File: p.File, Message: fmt.Sprintf("landing file %s of source path %q is not a regular file inside the project: %v", rel, s.Path, err),
				Hint: "a landing file is loaded with the runner's rights, so a link could load a file only they may read into bronze: remove it, or copy the file in"}
		}
	}
	return files, nil
}

// landingFile checks that path is a regular file (not a link, pipe or
// device) whose real path lies inside root, the project's real directory,
// so no link or `..` on the way leads out of it.
func landingFile(root, path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return errors.New("it is a symbolic link")
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("it is a %s", fi.Mode().Type())
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("it is %s, outside the project (a directory link or .. on the way)", real)
	}
	return nil
}
