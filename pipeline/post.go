package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// postSteps are a run's steps after its tasks: the monitors, the tables'
// health and the alerts evaluated beside them (afterTasks). A monitor, and
// an alert evaluated beside (earlyAlerts), need not wait for the tasks
// that write none of what it reads: each starts, one at a time on a
// worker of its own, as soon as every table it reads is settled (no task
// left can write it, see settled), as a successor in the DAG of the
// tasks that write them. The rest start as the run's tasks end (or leave
// only late ones, see onlyLate), as before: the health, the monitors not
// started and the alerts not evaluated yet.
type postSteps struct {
	p     *Project
	lh    *lakehouse.Lakehouse
	opts  RunOptions
	res   *RunResult
	tasks []task

	// monitors are the monitored tables to profile, in name order; errs
	// their failures.
	monitors []string
	errs     []error
	// beside says whether alerts are evaluated beside (no alerts task).
	beside bool

	mu sync.Mutex
	// started marks the monitors and the alerts given to the worker.
	started map[string]bool
	// settled is the latest settled (nil: nothing settles early yet).
	settled func(lakehouse.TableName) bool
	// reads are the tables each alert read when it was bound and found
	// not settled: it is tried again once they are.
	reads map[string][]lakehouse.TableName
	// early are the alerts the worker evaluated.
	early map[string]AlertEvaluation
	// earlyWall and earlyCPU are the worker's alerts' time.
	earlyWall, earlyCPU time.Duration
	// main is set once the steps after the tasks started.
	main     bool
	mainErrs chan []error

	// queue is the worker's jobs, wake tells it of one, closed that no
	// more come.
	queue  []func()
	wake   chan struct{}
	closed bool
	worker sync.WaitGroup
}

// postHook, when set (by tests), is told of each step the worker ran
// beside the tasks: "monitor T", or "alert A" with whether it was
// evaluated (not when what it reads was not settled yet); and, after the
// tasks, of each alert never given to the worker, "alert A beside", and
// then "wait for the worker" as the alerts' step waits for it.
var postHook func(step string, done bool)

// newPostSteps prepares a run's steps after its tasks.
func (p *Project) newPostSteps(lh *lakehouse.Lakehouse, opts RunOptions, res *RunResult, tasks []task) *postSteps {
	s := &postSteps{p: p, lh: lh, opts: opts, res: res, tasks: tasks, started: map[string]bool{},
		reads: map[string][]lakehouse.TableName{}, early: map[string]AlertEvaluation{}}
	for _, name := range sortedKeys(p.Resources.QualityMonitors) {
		if m := p.Resources.QualityMonitors[name]; m.Profile || m.Drift {
			s.monitors = append(s.monitors, name)
		}
	}
	s.errs = make([]error, len(s.monitors))
	s.beside = len(p.Resources.Alerts) > 0 && !p.hasAlertsTask(opts.Job)
	return s
}

// advance starts what may start now that only the tasks left(i) are
// unfinished: the steps after the tasks once only late tasks are left
// (onlyLate), before that the monitors and alerts whose tables are all
// settled.
func (s *postSteps) advance(ctx context.Context, left func(i int) bool) {
	if ctx.Err() != nil {
		return
	}
	if s.p.onlyLate(s.tasks, left) {
		s.startMain(ctx)
		return
	}
	ok := settled(s.tasks, left)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.main || ok == nil {
		return
	}
	s.settled = ok
	for i, name := range s.monitors {
		if s.started[name] || !allSettled(ok, monitorReads(s.p.Resources.QualityMonitors[name], name)) {
			continue
		}
		s.started[name] = true
		s.submit(func() {
			s.runMonitor(ctx, i)
			if postHook != nil {
				postHook("monitor "+name, true)
			}
		})
	}
	if !s.beside {
		return
	}
	var names []string
	for _, n := range sortedKeys(s.p.Resources.Alerts) {
		if s.started["alert "+n] {
			continue
		}
		// An alert is bound once to learn what it reads; it is tried
		// again only when that is settled.
		if reads, seen := s.reads[n]; seen && !allSettled(ok, reads) {
			continue
		}
		s.started["alert "+n] = true
		names = append(names, n)
	}
	if len(names) > 0 {
		s.submit(func() { s.evaluateEarly(ctx, names) })
	}
}

// submit gives the worker a job, starting it on the first (s.mu held;
// it never blocks, as the jobs lock s.mu too).
func (s *postSteps) submit(job func()) {
	if s.closed {
		return
	}
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
		s.worker.Go(s.work)
	}
	s.queue = append(s.queue, job)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// work runs the queued jobs in order until the queue is closed and empty.
func (s *postSteps) work() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			<-s.wake
			continue
		}
		job := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		job()
	}
}

// stopWorker lets the worker finish its jobs and waits for it.
func (s *postSteps) stopWorker() {
	s.mu.Lock()
	s.closed = true
	if s.wake != nil {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	s.worker.Wait()
}

// addStep records a step's time measured in parts.
func (r *RunResult) addStep(step string, wall, cpu time.Duration) {
	r.stepsMu.Lock()
	defer r.stepsMu.Unlock()
	r.Steps = append(r.Steps, StepTime{Step: step, Wall: wall, CPU: cpu})
}

// runMonitor is a run's step after the tasks that write the i-th
// monitored table and before its alerts: the table is profiled into
// sys.profile_metrics and compared into sys.drift_metrics, as the run's
// principal. A failure fails the run's record, not its tasks. A table the
// run has not built yet is skipped. Each run records every window, but
// profiles only those whose rows changed since the table's last profile
// (the others are its recorded ones), and after an incremental_by_time
// build on its timestamp column reads only the rows of the windows the
// build replaced; after a run with --full-refresh, every window is
// profiled again.
func (s *postSteps) runMonitor(ctx context.Context, i int) {
	name := s.monitors[i]
	m := s.p.Resources.QualityMonitors[name]
	s.res.timeStep("monitor "+name, func() {
		if err := s.p.monitor(ctx, s.lh, s.opts.Principal, s.res.RunID, name, m, len(s.opts.FullRefresh) > 0); err != nil && !errors.Is(err, errNotBuilt) {
			s.errs[i] = fmt.Errorf("monitor %s: %w", name, err)
		}
	})
}

// evaluateEarly evaluates the named alerts, as earlyAlerts does, each only
// if everything its query reads (on its bound plan) is settled by now;
// the others' reads are kept for advance to try them again.
func (s *postSteps) evaluateEarly(ctx context.Context, names []string) {
	m := lakehouse.StartMeter()
	defer func() {
		s.mu.Lock()
		s.earlyWall += time.Since(m.Start())
		s.earlyCPU += m.CPU()
		s.mu.Unlock()
	}()
	for _, n := range names {
		if ctx.Err() != nil {
			return
		}
		spec, errs := s.p.alertSpec(n)
		if len(errs) > 0 {
			continue
		}
		ev, _, done := s.p.evaluateIf(ctx, s.lh, s.opts.Principal, spec, s.p.now(), func(reads []lakehouse.TableName) bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			if noSys(reads) && allSettled(s.settled, reads) {
				return true
			}
			if noSys(reads) && !s.main {
				s.reads[n] = reads
				s.started["alert "+n] = false
			}
			return false
		})
		if done {
			s.mu.Lock()
			s.early[n] = ev
			s.mu.Unlock()
		}
		if postHook != nil {
			postHook("alert "+n, done)
		}
	}
}

// startMain starts the steps after the tasks, once.
func (s *postSteps) startMain(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.main {
		return
	}
	s.main = true
	s.mainErrs = make(chan []error, 1)
	go func() { s.mainErrs <- s.afterTasks(ctx) }()
}

// finish starts the steps after the tasks if they have not started (and
// the run was not canceled), waits for every step and returns their
// failures.
func (s *postSteps) finish(ctx context.Context) []error {
	if ctx.Err() == nil {
		s.startMain(ctx)
	}
	s.mu.Lock()
	started := s.main
	s.mu.Unlock()
	if !started {
		s.stopWorker()
		return nil
	}
	return <-s.mainErrs
}

// stop waits for what started, for a run that ends without its steps
// after the tasks.
func (s *postSteps) stop() {
	s.mu.Lock()
	started := s.main
	s.mu.Unlock()
	if started {
		<-s.mainErrs
	}
	s.stopWorker()
}

// afterTasks runs the monitors not started yet and the tables' health,
// side by side: each reads its own tables and records in its own
// transaction. Beside them, the alerts whose queries read no sys table
// and that the worker did not evaluate are evaluated (earlyAlerts), unless
// an alerts task of the job may still be evaluating them.
func (s *postSteps) afterTasks(ctx context.Context) []error {
	var healthErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, name := range s.monitors {
			s.mu.Lock()
			run := !s.started[name]
			s.started[name] = true
			s.mu.Unlock()
			if run {
				s.runMonitor(ctx, i)
			}
		}
	})
	wg.Go(func() {
		s.res.timeStep("health", func() { healthErr = s.p.runHealth(ctx, s.lh, s.opts.Principal, s.res.RunID, s.res.models) })
	})
	if s.beside {
		wg.Go(func() {
			// The alerts never given to the worker are evaluated at
			// once, beside the job it may still be running (a monitor);
			// then, once it has finished, those it left (what they read
			// was not settled when it tried them).
			s.mu.Lock()
			var now []string
			for _, n := range sortedKeys(s.p.Resources.Alerts) {
				if !s.started["alert "+n] {
					s.started["alert "+n] = true
					now = append(now, n)
				}
			}
			s.mu.Unlock()
			m := lakehouse.StartMeter()
			beside := s.p.evaluateNoSys(ctx, s.lh, s.opts.Principal, now)
			wall, cpu := time.Since(m.Start()), m.CPU()
			if postHook != nil {
				for _, n := range now {
					_, done := beside[n]
					postHook("alert "+n+" beside", done)
				}
				postHook("wait for the worker", true)
			}
			s.stopWorker()
			s.mu.Lock()
			if s.earlyWall > 0 {
				s.res.addStep("alerts early", s.earlyWall, s.earlyCPU)
			}
			done := maps.Clone(s.early)
			s.mu.Unlock()
			for n, ev := range beside {
				done[n] = ev
			}
			m = lakehouse.StartMeter()
			s.res.early = s.p.earlyAlerts(ctx, s.lh, s.opts.Principal, done)
			s.res.addStep("alerts beside", wall+time.Since(m.Start()), cpu+m.CPU())
		})
	}
	wg.Wait()
	s.stopWorker()
	var errs []error
	if err := errors.Join(s.errs...); err != nil {
		errs = append(errs, fmt.Errorf("pipeline: monitors: %w", err))
	}
	if healthErr != nil {
		errs = append(errs, fmt.Errorf("pipeline: health: %w", healthErr))
	}
	return errs
}

// monitorReads are the tables a monitor reads: its table and its
// baseline table.
func monitorReads(m QualityMonitor, name string) []lakehouse.TableName {
	var out []lakehouse.TableName
	for _, n := range []string{name, m.BaselineTable} {
		if t, err := lakehouse.ParseTableName(n); err == nil && n != "" {
			out = append(out, t)
		} else if n != "" {
			// unparsable: never settled, so read after the tasks
			out = append(out, lakehouse.TableName{Name: n})
		}
	}
	return out
}

// settled says which tables no task left (left(i)) can still write, for
// a step after the tasks to start before they end. It is nil (nothing
// is) while a task left is one whose writes are not all declared: an
// ingestion (its bronze storage and quarantine), an sql task. A quality
// check writes only the tables it checks (it may take failing rows out)
// and their quarantine tables, so those count as its writes. Else a table
// is settled when a task of the run declares it (as a model it builds, or
// its quarantine table) and no task left does: a table no task writes (a
// view, a table made outside the pipeline) may read what the tasks write,
// so it settles only when they have all ended. Tables without a schema
// never settle.
func settled(tasks []task, left func(i int) bool) func(lakehouse.TableName) bool {
	built, pending := map[string]bool{}, map[string]bool{}
	for i, t := range tasks {
		unfinished := left(i)
		if unfinished {
			switch t.kind {
			case "transform", "train", "predict", "alerts", "quality":
			default:
				return nil
			}
		}
		writes := t.writes
		if t.kind == "quality" {
			writes = t.reads // the tables it checks
		}
		for _, w := range writes {
			for _, k := range []string{tableKey(w), tableKey(lakehouse.TableName{Schema: w.Schema, Name: w.Name + "_quarantine"})} {
				built[k] = true
				if unfinished {
					pending[k] = true
				}
			}
		}
	}
	return func(t lakehouse.TableName) bool {
		k := tableKey(t)
		return t.Schema != "" && built[k] && !pending[k]
	}
}

func tableKey(t lakehouse.TableName) string {
	return strings.ToLower(t.Schema) + "." + strings.ToLower(t.Name)
}

// allSettled says whether every table of ts is settled (none when ok is
// nil).
func allSettled(ok func(lakehouse.TableName) bool, ts []lakehouse.TableName) bool {
	return ok != nil && !slices.ContainsFunc(ts, func(t lakehouse.TableName) bool { return !ok(t) })
}

// noSys says whether reads include no system table: the monitors and the
// health write those.
func noSys(reads []lakehouse.TableName) bool {
	return !slices.ContainsFunc(reads, func(t lakehouse.TableName) bool {
		switch strings.ToLower(t.Schema) {
		case "sys", "system", "information_schema", "pg_catalog", "temp":
			return true
		}
		return false
	})
}
