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
	"sort"
	"strings"
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
	RunFinished  EventKind = "run_finished"
)

// Event is one step of a run's progress.
type Event struct {
	Kind     EventKind     `json:"kind"`
	RunID    string        `json:"run_id"`
	Task     string        `json:"task,omitempty"`
	TaskKind string        `json:"task_kind,omitempty"`
	Index    int           `json:"index"`
	Total    int           `json:"total"`
	Rows     int64         `json:"rows,omitempty"`
	Elapsed  time.Duration `json:"elapsed,omitempty"`
	Detail   string        `json:"detail,omitempty"`
	Err      error         `json:"-"`
}

// RunOptions configures Run.
type RunOptions struct {
	Job       string
	Target    string
	Principal string
	// Progress, when set, receives every event, from the calling goroutine.
	Progress func(Event)
}

// RunResult is the record of one run.
type RunResult struct {
	lakehouse.Run
	Tasks []lakehouse.TaskRun `json:"tasks"`
}

// TaskError is the failure of one task; the run stops there.
type TaskError struct {
	Task string
	Err  error
}

func (e *TaskError) Error() string { return fmt.Sprintf("pipeline: task %s failed: %v", e.Task, e.Err) }
func (e *TaskError) Unwrap() error { return e.Err }

// task is one unit of a run, done in one transaction.
type task struct {
	key   string
	kind  string
	table lakehouse.TableName
	do    func(ctx context.Context, tx *lakehouse.Tx, runID string) (rows int64, detail string, err error)
}

// Principal is the identity runs use by default: the operating-system user.
func Principal() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}

func newRunID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return "run-" + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// Run ingests every source's new files into bronze, then builds every model
// in order with its quality rules, each task in its own transaction. It
// records the run in sys.runs and each task in sys.task_runs. A failed task
// stops the run; what earlier tasks committed stays.
func (p *Project) Run(ctx context.Context, lh *lakehouse.Lakehouse, opts RunOptions) (*RunResult, error) {
	if opts.Job == "" {
		opts.Job = "default"
	}
	if opts.Principal == "" {
		opts.Principal = Principal()
	}
	emit := opts.Progress
	if emit == nil {
		emit = func(Event) {}
	}
	tasks, err := p.plan(ctx, lh)
	if err != nil {
		return nil, err
	}
	if _, err := lh.MarkCrashedRuns(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	res := &RunResult{Run: lakehouse.Run{RunID: newRunID(start), Job: opts.Job, Target: opts.Target,
		Principal: opts.Principal, StartedAt: start, Status: "running"}, Tasks: []lakehouse.TaskRun{}}
	if err := lh.RecordRun(ctx, res.Run); err != nil {
		return nil, err
	}
	emit(Event{Kind: RunStarted, RunID: res.RunID, Total: len(tasks)})
	var runErr error
	for i, t := range tasks {
		ev := Event{RunID: res.RunID, Task: t.key, TaskKind: t.kind, Index: i + 1, Total: len(tasks)}
		if runErr != nil {
			tr := lakehouse.TaskRun{RunID: res.RunID, TaskKey: t.key, Kind: t.kind, TargetTable: t.table.String(),
				StartedAt: time.Now(), EndedAt: time.Now(), Status: "skipped", Error: "an earlier task failed"}
			lh.RecordTaskRun(context.WithoutCancel(ctx), tr)
			res.Tasks = append(res.Tasks, tr)
			ev.Kind = TaskSkipped
			emit(ev)
			continue
		}
		ev.Kind = TaskStarted
		emit(ev)
		tr, err := runTask(ctx, lh, res.RunID, t)
		res.Tasks = append(res.Tasks, tr)
		ev.Rows, ev.Elapsed = tr.RowsWritten, tr.EndedAt.Sub(tr.StartedAt)
		if err != nil {
			runErr = &TaskError{Task: t.key, Err: err}
			ev.Kind, ev.Err, ev.Detail = TaskFailed, err, err.Error()
			emit(ev)
			continue
		}
		ev.Kind, ev.Detail = TaskFinished, tr.Error
		emit(ev)
	}
	res.EndedAt = time.Now()
	res.Status = "succeeded"
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

// runTask runs one task in its own transaction and records it: with the
// work when it succeeds, on its own when it fails (the work rolled back).
func runTask(ctx context.Context, lh *lakehouse.Lakehouse, runID string, t task) (lakehouse.TaskRun, error) {
	tr := lakehouse.TaskRun{RunID: runID, TaskKey: t.key, Kind: t.kind, TargetTable: t.table.String(), StartedAt: time.Now()}
	err := func() error {
		tx, err := lh.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		rows, detail, err := t.do(ctx, tx, runID)
		if err != nil {
			return err
		}
		tr.RowsWritten, tr.EndedAt, tr.Status, tr.Error = rows, time.Now(), "succeeded", detail
		if err := tx.RecordTaskRun(ctx, tr); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		tr.EndedAt, tr.Status, tr.Error = time.Now(), "failed", err.Error()
		if ctx.Err() != nil {
			tr.Status = "canceled"
		}
		if rerr := lh.RecordTaskRun(context.WithoutCancel(ctx), tr); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return tr, err
}

// plan lists the run's tasks: one ingest per source (sorted by name), then
// the models in build order.
func (p *Project) plan(ctx context.Context, lh *lakehouse.Lakehouse) ([]task, error) {
	var tasks []task
	names := make([]string, 0, len(p.Resources.Sources))
	for n := range p.Resources.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		tasks = append(tasks, p.ingestTask(n, p.Resources.Sources[n]))
	}
	models, err := p.Models(ctx, lh)
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		rules, err := p.Rules(m.Table.String())
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, transformTask(m, rules))
	}
	return tasks, nil
}

// SourceFiles lists a source's landing files, sorted.
func (p *Project) SourceFiles(s Source) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(p.Dir, s.Path))
	if err != nil {
		return nil, &Error{File: p.File, Message: fmt.Sprintf("bad glob %q: %v", s.Path, err)}
	}
	sort.Strings(files)
	return files, nil
}

func (p *Project) ingestTask(name string, s Source) task {
	table := lakehouse.TableName{Schema: "bronze", Name: name}
	return task{key: "ingest_" + name, kind: "ingest", table: table,
		do: func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
			files, err := p.SourceFiles(s)
			if err != nil {
				return 0, "", err
			}
			if len(files) == 0 {
				return 0, "no files match " + s.Path, nil
			}
			format, err := lakehouse.ParseFormat(s.Format)
			if err != nil {
				return 0, "", err
			}
			res, err := tx.Ingest(ctx, files, lakehouse.IngestOptions{Table: table, Format: format, RunID: runID,
				Catalog: lakehouse.CatalogEntry{Layer: "bronze", Owner: s.Owner, Domain: s.Domain, Description: s.Description}})
			if err != nil {
				return 0, "", err
			}
			loaded := 0
			for _, f := range res.Files {
				if !f.Skipped {
					loaded++
				}
			}
			detail := fmt.Sprintf("%d new of %d files", loaded, len(files))
			if res.RowsQuarantined > 0 {
				detail += fmt.Sprintf(", %d rows quarantined", res.RowsQuarantined)
			}
			return res.RowsLoaded, detail, nil
		}}
}

func transformTask(m Model, rules []lakehouse.Rule) task {
	return task{key: m.Table.String(), kind: "transform", table: m.Table,
		do: func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
			n, err := tx.Materialize(ctx, m.Table, m.SQL, lakehouse.Materialization{})
			if err != nil {
				return 0, "", fmt.Errorf("%s: %w", m.Path, err)
			}
			if err := tx.SetCatalog(ctx, lakehouse.CatalogEntry{Schema: m.Table.Schema, Table: m.Table.Name,
				Layer: m.Table.Schema, Description: modelDescription(m.SQL)}); err != nil {
				return 0, "", err
			}
			if len(rules) == 0 {
				return n, "", nil
			}
			// Rows failing an error rule leave the table for its quarantine.
			outcomes, err := tx.ApplyQuality(ctx, m.Table, rules)
			if err != nil {
				return 0, "", err
			}
			now := time.Now()
			var results []lakehouse.QualityResult
			var failed []string
			for _, o := range outcomes {
				results = append(results, lakehouse.QualityResult{RunID: runID, Table: m.Table.String(), Rule: o.Rule.Name,
					Criticality: o.Rule.Criticality, RowsChecked: o.RowsChecked, RowsFailed: o.RowsFailed, CheckedAt: now})
				if o.RowsFailed > 0 {
					failed = append(failed, fmt.Sprintf("%s: %d", o.Rule.Name, o.RowsFailed))
				}
			}
			if err := tx.RecordQuality(ctx, results); err != nil {
				return 0, "", err
			}
			n, err = tx.Count(ctx, m.Table)
			if err != nil {
				return 0, "", err
			}
			detail := ""
			if len(failed) > 0 {
				detail = "quality failures (" + strings.Join(failed, ", ") + ")"
			}
			return n, detail, nil
		}}
}

// modelDescription is the model file's leading "--" comment, if any.
func modelDescription(sql string) string {
	var lines []string
	for _, l := range strings.Split(sql, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "--") {
			break
		}
		lines = append(lines, strings.TrimSpace(strings.TrimPrefix(l, "--")))
	}
	return strings.Join(lines, " ")
}
