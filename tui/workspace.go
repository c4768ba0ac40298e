package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
)

// WorkspaceOptions says which project a Workspace serves.
type WorkspaceOptions struct {
	// Dir is the project directory.
	Dir string
	// Sample marks the built-in sample workspace: Prepare creates it,
	// generates its data and runs it when any of that is missing.
	Sample bool
	// Target is the target to open first; "" means the project's default.
	Target string
	// Principal runs jobs; "" means the target's run_as, else the user.
	Principal string
	// Holder names this process in the writer lock while a job runs.
	Holder string
	// Vars override bundle variables (--var name=value).
	Vars map[string]string
	// Authenticate, when set, decides who the TUI is on a target, as the
	// command line does (a service principal's token, a development role
	// switch): the verified principal, or the refusal.
	Authenticate func(ctx context.Context, p *pipeline.Project) (string, error)
}

// Workspace is the real Backend: a project directory and its targets'
// DuckDB files. It opens a target read-only to read and for writing only
// while a job runs, so other lakebench commands can use it meanwhile.
type Workspace struct {
	opts    WorkspaceOptions
	planner Planner

	mu       sync.Mutex
	projects map[string]*pipeline.Project
	dflt     string
	// sizes caches Sizes by target and principal, for the file as it was
	// (its stamp): measuring them reads every table's storage.
	sizes map[sizeKey]sizeEntry
	// files orders this process's use of each database file (by path):
	// readers share it, a job's writer has it alone, so a writer never
	// opens a file this process still reads (Load closes in the
	// background: DuckDB takes a while to close a big file).
	files map[string]*sync.RWMutex
	// sessions are the Analyst view's read-only sessions, by file (see
	// workspace_analyst.go); writers counts this workspace's writes of
	// each file, during which none opens. Both under sessMu.
	sessMu   sync.Mutex
	sessions map[string]*session
	writers  map[string]int
	// store holds the Analyst view's results apart from the targets'
	// files (see workspace_analyst.go), opened on first use.
	storeMu sync.Mutex
	store   *lakehouse.ResultStore
	// completers complete the Analyst's SQL per target file without
	// holding it (see Workspace.completer).
	completeMu sync.Mutex
	completers map[string]*completer
}

// errRunning is a read refused while this TUI runs a job on the target.
var errRunning = errors.New("tui: a job is running on this target; what it wrote shows when it ends")

type sizeKey struct{ target, principal string }

type sizeEntry struct {
	stamp string
	sizes map[string]int64
}

// NewWorkspace returns a Workspace; nothing is read until Prepare.
func NewWorkspace(opts WorkspaceOptions) *Workspace {
	if opts.Holder == "" {
		opts.Holder = "lakebench (terminal UI)"
	}
	return &Workspace{opts: opts, planner: jobPlanner{}, projects: map[string]*pipeline.Project{}, sizes: map[sizeKey]sizeEntry{},
		files: map[string]*sync.RWMutex{}, sessions: map[string]*session{}, writers: map[string]int{}}
}

// proj is the project resolved for a target ("" is the default), loaded
// once per target: targets override resources and variables.
func (w *Workspace) proj(target string) (*pipeline.Project, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dflt == "" {
		return nil, errors.New("tui: the workspace is not prepared yet")
	}
	if target == "" {
		target = w.dflt
	}
	if p, ok := w.projects[target]; ok {
		return p, nil
	}
	p, err := pipeline.LoadWith(w.opts.Dir, pipeline.LoadOptions{Target: target, Vars: w.opts.Vars})
	if err != nil {
		return nil, err
	}
	w.projects[target] = p
	return p, nil
}

// principal is who this TUI acts as on the project's target: the one asked
// for (--as), else the target's identity. As on the command line, a
// principal asked for wins over run_as, so a target may refuse it.
func (w *Workspace) principal(p *pipeline.Project) string {
	if w.opts.Authenticate != nil {
		who, err := w.opts.Authenticate(context.Background(), p)
		if err != nil {
			return pipeline.Principal() // refused: the user, who they provably are
		}
		return who
	}
	if w.opts.Principal != "" {
		return w.opts.Principal
	}
	return p.Identity()
}

// identity is who the target's jobs run as by default: its run_as, else
// the user (the principal asked for stands in for the user).
func (w *Workspace) identity(p *pipeline.Project) string {
	if id := p.Identity(); id != pipeline.Principal() || w.opts.Principal == "" {
		return id
	}
	return w.opts.Principal
}

// Prepare implements Backend.
func (w *Workspace) Prepare(ctx context.Context, progress func(string)) (Info, error) {
	dir := w.opts.Dir
	if w.opts.Sample {
		if _, err := os.Stat(filepath.Join(dir, pipeline.FileName)); err != nil {
			progress("creating the sample workspace in " + dir)
			rep, err := sampledata.CreateWorkspace(ctx, dir, progress)
			if err != nil {
				return Info{}, err
			}
			progress(fmt.Sprintf("generated %d days of data: %d landing files", len(rep.Days), len(rep.Files)))
		}
	}
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{Target: w.opts.Target, Vars: w.opts.Vars})
	if err != nil {
		return Info{}, err
	}
	target := p.Target
	w.mu.Lock()
	w.dflt, w.projects[target] = target, p
	w.mu.Unlock()
	if w.opts.Sample {
		// A first run killed before it finished is run again.
		if _, err := os.Stat(p.DatabasePath(target)); err != nil || sampledata.FirstRunPending(dir) {
			// Deployed first, as `lakebench run` on the sample does, so the
			// grants hold from the first frame (--as dana sees hers only);
			// the target's own identity deploys, never a role switch.
			if err := firstRun(ctx, p, target, w.opts.Holder, w.planner.Plan(ctx, p, nil)[0].Job, progress); err != nil {
				return Info{}, err
			}
			if err := sampledata.FirstRunDone(dir); err != nil {
				return Info{}, err
			}
		}
	}
	return w.info(p, target), nil
}

// firstRun sets the sample up on a target as `lakebench run` does: the
// bundle is deployed (unless it was), so the grants hold from the first
// frame, and the job runs, both as the target's own identity: setting up
// is lakebench's, never a role switch's (--as dana sees hers only).
func firstRun(ctx context.Context, p *pipeline.Project, target, holder, job string, progress func(string)) error {
	lh, err := openWriter(ctx, p, lakehouse.Options{Holder: holder})
	if err != nil {
		return err
	}
	defer lh.Close()
	if ok, err := lh.Deployed(ctx); err != nil {
		return err
	} else if !ok {
		if _, err := p.Deploy(ctx, lh, ""); err != nil {
			return err
		}
	}
	progress("first run of the pipeline on target " + target)
	if _, ok := p.Resources.Jobs[job]; !ok && job == DefaultJob {
		job = ""
	}
	_, err = p.Run(ctx, lh, pipeline.RunOptions{Job: job, Target: target, Progress: func(e pipeline.Event) {
		if e.Kind == pipeline.TaskStarted {
			progress(fmt.Sprintf("[%d/%d] %s", e.Index, e.Total, e.Task))
		}
	}})
	return err
}

func (w *Workspace) info(p *pipeline.Project, target string) Info {
	in := Info{Name: p.Bundle.Name, Dir: p.Dir, Problem: pipeline.Printable(p.Framing.Problem), Sample: w.opts.Sample,
		Principal: w.principal(p), Target: target, Team: map[string][]string{}, Content: p.ContentHash()}
	for _, m := range p.Framing.Team {
		in.Team[m.Role] = append(in.Team[m.Role], pipeline.Printable(m.Name))
	}
	for _, n := range p.TargetNames() {
		ti := TargetInfo{Name: n, Default: n == p.DefaultTarget(), Scale: p.Scale(n), Mode: "development"}
		if tp, err := w.proj(n); err == nil {
			ti.Mode, ti.Identity = tp.Mode(), w.identity(tp)
			for _, perm := range tp.Targets[n].Permissions {
				ti.Permissions = append(ti.Permissions, perm.Level+" "+perm.Principal())
			}
		}
		in.Targets = append(in.Targets, ti)
	}
	in.RegisteredModels = sortedKeys(p.Resources.RegisteredModels)
	in.Dashboards = sortedKeys(p.Resources.Dashboards)
	in.Alerts = sortedKeys(p.Resources.Alerts)
	in.Jobs = sortedKeys(p.Resources.Jobs)
	in.Presentation = p.PresentationOrDefault()
	in.DashboardDefs = map[string]pipeline.Dashboard{}
	for name, d := range p.Resources.Dashboards {
		in.DashboardDefs[name] = d
	}
	for _, n := range sortedKeys(p.Resources.Sources) {
		s := p.Resources.Sources[n]
		in.Sources = append(in.Sources, SourceInfo{Name: n, Path: s.Path, Format: s.Format, Owner: s.Owner, Domain: s.Domain})
	}
	return in
}

// Load implements Backend. It reads only what DuckDB's catalog and the
// system tables hold, in a fixed number of queries whatever the number of
// tables, so the first frame with data does not wait on the data: row
// counts are DuckDB's estimates (lakehouse.Catalog), sizes come from Sizes
// (left nil here unless measured on the file as it is), and the other
// targets from Targets, when the Targets panel is shown.
func (w *Workspace) Load(ctx context.Context, target string) (*Snapshot, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Target: target, Principal: w.principal(p), Landing: map[string]int{},
		Objectives: map[string]time.Duration{}}
	for table, mon := range p.Resources.QualityMonitors {
		if d, err := pipeline.ParseObjective(mon.Freshness); err == nil {
			s.Objectives[table] = d
		}
	}
	s.Monitored = monitored(p)
	for _, n := range sortedKeys(p.Resources.Sources) {
		files, err := p.SourceFiles(p.Resources.Sources[n])
		if err != nil {
			return nil, err
		}
		s.Landing[n] = len(files)
	}
	if root, err := p.SampleRoot(); err == nil {
		s.SampleData = sampledata.HasState(root)
	}
	path := p.DatabasePath(target)
	if _, err := os.Stat(path); err != nil {
		s.Missing = true
		s.Sizes = map[string]int64{}
		s.Targets = []TargetState{{Name: target, Loaded: true}}
		s.Jobs = w.planner.Plan(ctx, p, nil)
		s.DAG = s.Jobs[0]
		return s, nil
	}
	s.Sizes = w.cachedSizes(target, s.Principal, fileStamp(path))
	lh, release, err := w.read(ctx, path, s.Principal)
	if err != nil {
		return nil, err
	}
	// The snapshot is read once the reads are done: closing is not waited
	// for (a writer of this workspace waits for it).
	defer func() { go release() }()
	// Every read is the principal's: what it may not read is left out,
	// with the refusal, for the view to say why.
	refused := func(section string, err error) error {
		var ae *lakehouse.AccessError
		if errors.As(err, &ae) {
			if s.Refused == nil {
				s.Refused = map[string]string{}
			}
			s.Refused[section] = err.Error()
			return nil
		}
		return err
	}
	// The first read sandboxes the session of a principal (see
	// lakehouse.governed), so it runs alone; the others are independent
	// and run side by side, each on a connection of its own.
	var runsErr, catalogErr, tasksErr, qualityErr, ingestedErr, freshErr, statsErr, modelsErr, alertsErr error
	s.Runs, runsErr = lh.RecentRuns(ctx, 50)
	var models []pipeline.Model
	var wg sync.WaitGroup
	side := func(read func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			read()
		}()
	}
	side(func() { s.Tables, catalogErr = lh.Catalog(ctx) })
	side(func() { s.JobTasks, s.LastTasks, tasksErr = jobTasks(ctx, lh, s.Runs) })
	side(func() { s.Quality, qualityErr = lh.LatestQuality(ctx) })
	side(func() { s.Ingested, ingestedErr = lh.IngestedFiles(ctx) })
	side(func() { s.Freshness, freshErr = lh.Freshness(ctx) })
	side(func() { s.Stats, statsErr = lh.RunStats(ctx, "") })
	side(func() { models, modelsErr = p.Models(ctx, lh) })
	side(func() { s.Alerts, alertsErr = latestAlerts(ctx, p, lh) })
	wg.Wait()
	for _, e := range []error{catalogErr, modelsErr} {
		if e != nil {
			return nil, e
		}
	}
	for _, r := range []struct {
		section string
		err     error
	}{
		{RefusedRuns, runsErr}, {RefusedRuns, tasksErr}, {RefusedQuality, qualityErr},
		{RefusedIngested, ingestedErr}, {RefusedFreshness, freshErr}, {RefusedRuns, statsErr},
	} {
		if err := refused(r.section, r.err); err != nil {
			return nil, err
		}
	}
	// The alerts' states are the status bar's: whatever keeps them from
	// being read is said in their place, never fatal.
	if alertsErr != nil {
		if s.Refused == nil {
			s.Refused = map[string]string{}
		}
		s.Refused[RefusedAlerts] = alertsErr.Error()
	}
	s.Lineage = p.Lineage(models)
	for _, m := range models {
		mi := ModelInfo{Table: m.Table.String(), Path: m.Path, Kind: p.Resources.Models[m.Table.String()].KindName()}
		for _, r := range m.Reads {
			mi.Reads = append(mi.Reads, r.String())
		}
		s.Models = append(s.Models, mi)
	}
	s.Jobs = w.planner.Plan(ctx, p, models)
	s.DAG = s.Jobs[0]
	s.Targets = []TargetState{stateOf(target, s.Tables, s.Runs)}
	s.Targets[0].Deployed, s.Targets[0].DeployHidden = deploymentOf(ctx, lh, s.Principal)
	return s, nil
}

// latestAlerts is each alert's latest state, without its history (the
// Analyst view reads that with Alerts).
func latestAlerts(ctx context.Context, p *pipeline.Project, lh *lakehouse.Lakehouse) ([]pipeline.AlertStatus, error) {
	alerts, err := p.AlertStatuses(ctx, lh, 1)
	for i := range alerts {
		alerts[i].History = nil
	}
	return alerts, err
}

// file is the lock of one database file of this workspace.
func (w *Workspace) file(path string) *sync.RWMutex {
	w.mu.Lock()
	defer w.mu.Unlock()
	l, ok := w.files[path]
	if !ok {
		l = &sync.RWMutex{}
		w.files[path] = l
	}
	return l
}

// idle waits until this workspace has no database open (Load closes in
// the background), closing the analyst sessions.
func (w *Workspace) idle() {
	w.closeSessions()
	w.mu.Lock()
	files := make([]*sync.RWMutex, 0, len(w.files))
	for _, l := range w.files {
		files = append(files, l)
	}
	w.mu.Unlock()
	for _, l := range files {
		l.Lock()
		l.Unlock() //nolint:staticcheck // waiting is the point
	}
}

// read opens a database read-only as principal, unless a job of this
// workspace writes it (errRunning); release closes it.
func (w *Workspace) read(ctx context.Context, path, principal string) (*lakehouse.Lakehouse, func(), error) {
	l := w.file(path)
	if !l.TryRLock() {
		return nil, nil, errRunning
	}
	lh, err := lakehouse.Open(ctx, path, lakehouse.Options{ReadOnly: true, Principal: principal})
	if err != nil {
		l.RUnlock()
		return nil, nil, err
	}
	return lh, func() { lh.Close(); l.RUnlock() }, nil
}

// jobTasks reads the tasks of each job's latest run among runs (newest
// first), and those of the latest run of all.
func jobTasks(ctx context.Context, lh *lakehouse.Lakehouse, runs []lakehouse.Run) (map[string][]lakehouse.TaskRun, []lakehouse.TaskRun, error) {
	byJob := map[string][]lakehouse.TaskRun{}
	var last []lakehouse.TaskRun
	for i, r := range runs {
		if _, seen := byJob[r.Job]; seen {
			continue
		}
		tasks, err := lh.TaskRuns(ctx, r.RunID)
		if err != nil {
			return byJob, last, err
		}
		byJob[r.Job] = tasks
		if i == 0 {
			last = tasks
		}
	}
	return byJob, last, nil
}

// deploymentOf is the target's last deployment as principal may see it:
// with a permission on the deployed target (CAN_VIEW or more), as `bundle
// summary` shows it; hidden is true when it holds none.
func deploymentOf(ctx context.Context, lh *lakehouse.Lakehouse, principal string) (d lakehouse.Deployment, hidden bool) {
	level, deployed, err := lh.PermissionLevel(ctx, principal)
	if err != nil || deployed && level == "" {
		return lakehouse.Deployment{}, true
	}
	d, _ = lh.LastDeployment(ctx)
	d.Plan = ""
	return d, false
}

// stateOf is a target's state from what was read of it: its tables (sys
// apart) and their rows, and its latest run.
func stateOf(name string, tables []lakehouse.TableInfo, runs []lakehouse.Run) TargetState {
	ts := TargetState{Name: name, Exists: true, Loaded: true}
	for _, t := range tables {
		if t.Schema != "sys" {
			ts.Tables++
			ts.Rows += t.Rows
			ts.Estimated = ts.Estimated || t.Estimated
		}
	}
	if len(runs) > 0 {
		ts.LastRun = runs[0]
	}
	return ts
}

// Sizes implements Backend: the bytes of every table the principal may
// read (lakehouse.TableSizes), measured once per state of the file.
func (w *Workspace) Sizes(ctx context.Context, target string) (map[string]int64, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	principal, path := w.principal(p), p.DatabasePath(target)
	stamp := fileStamp(path)
	if sizes := w.cachedSizes(target, principal, stamp); sizes != nil {
		return sizes, nil
	}
	lh, release, err := w.read(ctx, path, principal)
	if err != nil {
		return nil, err
	}
	defer release()
	sizes, err := lh.TableSizes(ctx)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.sizes[sizeKey{target, principal}] = sizeEntry{stamp: stamp, sizes: sizes}
	w.mu.Unlock()
	return sizes, nil
}

// cachedSizes is what Sizes measured on the file as it is now, else nil.
func (w *Workspace) cachedSizes(target, principal, stamp string) map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.sizes[sizeKey{target, principal}]; ok && e.stamp == stamp && stamp != "" {
		return e.sizes
	}
	return nil
}

// fileStamp is the size and modification time of a database file and its
// write-ahead log: any write changes it.
// Stamp implements Backend.
func (w *Workspace) Stamp(target string) string {
	p, err := w.proj(target)
	if err != nil {
		return ""
	}
	return fileStamp(p.DatabasePath(target))
}

func fileStamp(path string) string {
	var b strings.Builder
	for _, f := range []string{path, path + ".wal"} {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%d %d;", st.Size(), st.ModTime().UnixNano())
		} else if f == path {
			return ""
		}
	}
	return b.String()
}

// Targets implements Backend: every target but skip (the open one, whose
// state the snapshot has), each opened read-only for its catalog and last
// run, as the principal on that target (tables it may not read are not
// counted; runs it may not read leave LastRun empty).
func (w *Workspace) Targets(ctx context.Context, skip string) ([]TargetState, error) {
	p, err := w.proj("")
	if err != nil {
		return nil, err
	}
	var out []TargetState
	for _, n := range p.TargetNames() {
		if n == skip {
			continue
		}
		ts := TargetState{Name: n, Loaded: true}
		path := p.DatabasePath(n)
		if _, err := os.Stat(path); err == nil {
			ts.Exists = true
			principal := w.principal(p) // fail closed: never "" (lakebench itself)
			if tp, err := w.proj(n); err == nil {
				principal = w.principal(tp)
			}
			func() {
				lh, release, err := w.read(ctx, path, principal)
				if err != nil {
					ts.Err = "busy: another process writes it"
					if errors.Is(err, errRunning) {
						ts.Err = "busy: a job of yours writes it"
					}
					return
				}
				defer release()
				tables, _ := lh.Catalog(ctx)
				runs, _ := lh.RecentRuns(ctx, 1)
				ts = stateOf(n, tables, runs)
				ts.Deployed, ts.DeployHidden = deploymentOf(ctx, lh, principal)
			}()
		}
		out = append(out, ts)
	}
	return out, nil
}

// Run implements Backend.
func (w *Workspace) Run(ctx context.Context, target, job string, progress func(pipeline.Event)) error {
	p, err := w.proj(target)
	if err != nil {
		return err
	}
	// Refuse a principal the target's mode does not allow, or one that is
	// not verified, before its database is created or locked.
	if w.opts.Authenticate != nil {
		if _, err := w.opts.Authenticate(ctx, p); err != nil {
			return err
		}
	}
	if err := p.CheckIdentity(w.principal(p)); err != nil {
		return err
	}
	// This process's readers of the file close first.
	defer w.exclusive(p.DatabasePath(target))()
	lh, err := openWriter(ctx, p, lakehouse.Options{Holder: w.opts.Holder})
	if err != nil {
		return err
	}
	defer lh.Close()
	if _, ok := p.Resources.Jobs[job]; !ok && job == DefaultJob {
		job = ""
	}
	_, err = p.Run(ctx, lh, pipeline.RunOptions{Job: job, Target: target, Principal: w.principal(p), Progress: progress})
	return err
}

// openWriter opens p's target for writing with the target's compute
// (DuckDB's memory_limit and threads, as `lakebench run` opens it), so a
// run started from the TUI stays inside the same limits as one from the
// CLI, with opts' holder and principal.
func openWriter(ctx context.Context, p *pipeline.Project, opts lakehouse.Options) (*lakehouse.Lakehouse, error) {
	compute, err := p.ComputeOptions()
	if err != nil {
		return nil, err
	}
	opts.MemoryLimit, opts.Threads = compute.MemoryLimit, compute.Threads
	return lakehouse.Open(ctx, p.DatabasePath(p.Target), opts)
}

// NextBatch implements Backend.
func (w *Workspace) NextBatch(ctx context.Context, target string) (string, error) {
	p, err := w.proj(target)
	if err != nil {
		return "", err
	}
	rep, err := p.NextSample(ctx)
	if err != nil {
		return "", err
	}
	var rows int64
	for _, n := range rep.Rows {
		rows += n
	}
	day := 0
	if len(rep.Days) > 0 {
		day = rep.Days[len(rep.Days)-1]
	}
	return fmt.Sprintf("dropped day %d (%s): %d files, %s rows; press r to load them",
		day, sampledata.DayDate(day).Format("2006-01-02"), len(rep.Files), thousands(rows)), nil
}

// TaskRuns implements Backend.
func (w *Workspace) TaskRuns(ctx context.Context, target, runID string) ([]lakehouse.TaskRun, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	lh, release, err := w.read(ctx, p.DatabasePath(target), w.principal(p))
	if err != nil {
		return nil, err
	}
	defer release()
	return lh.TaskRuns(ctx, runID)
}

// Quarantined implements Backend.
func (w *Workspace) Quarantined(ctx context.Context, target, table string, limit int) (Quarantine, error) {
	p, err := w.proj(target)
	if err != nil {
		return Quarantine{}, err
	}
	t, err := lakehouse.ParseTableName(table)
	if err != nil {
		return Quarantine{}, err
	}
	lh, release, err := w.read(ctx, p.DatabasePath(target), w.principal(p))
	if err != nil {
		return Quarantine{}, err
	}
	defer release()
	rows, total, err := lh.Quarantined(ctx, t, limit)
	if err != nil {
		return Quarantine{}, err
	}
	return Quarantine{Table: table, Total: total, Rows: rows}, nil
}

// monitored are the tables quality_monitors profiles or checks for drift,
// sorted.
func monitored(p *pipeline.Project) []string {
	var out []string
	for _, table := range sortedKeys(p.Resources.QualityMonitors) {
		if mon := p.Resources.QualityMonitors[table]; mon.Profile || mon.Drift {
			out = append(out, table)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}

// reading runs read on the target's database opened read-only as the
// principal; a target never run has no registry yet (errNoDatabase).
func (w *Workspace) reading(ctx context.Context, target string, read func(lh *lakehouse.Lakehouse) error) error {
	p, err := w.proj(target)
	if err != nil {
		return err
	}
	path := p.DatabasePath(target)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("tui: target %s has no database yet: run its job first (2, then r)", target)
	}
	lh, release, err := w.read(ctx, path, w.principal(p))
	if err != nil {
		return err
	}
	defer release()
	return read(lh)
}

// writing runs write on the target's database opened for writing as the
// principal, as Run does: the writer lock is held only meanwhile, and a
// principal the target's mode refuses never opens it.
func (w *Workspace) writing(ctx context.Context, target, action string, write func(p *pipeline.Project, lh *lakehouse.Lakehouse) error) error {
	p, err := w.proj(target)
	if err != nil {
		return err
	}
	if w.opts.Authenticate != nil {
		if _, err := w.opts.Authenticate(ctx, p); err != nil {
			return err
		}
	}
	principal := w.principal(p)
	if err := p.CheckIdentity(principal); err != nil {
		return err
	}
	defer w.exclusive(p.DatabasePath(target))()
	lh, err := openWriter(ctx, p, lakehouse.Options{Holder: w.opts.Holder, Principal: principal})
	if err != nil {
		return err
	}
	defer lh.Close()
	if err := p.CheckIdentityOn(ctx, lh, principal, action); err != nil {
		return err
	}
	return write(p, lh)
}

// ML implements Backend.
func (w *Workspace) ML(ctx context.Context, target string) (*MLState, error) {
	s := &MLState{Target: target}
	err := w.reading(ctx, target, func(lh *lakehouse.Lakehouse) error {
		reg := ml.NewRegistry(lh)
		models, err := reg.Models(ctx)
		if err != nil {
			return err
		}
		for _, m := range models {
			mm := MLModel{RegisteredModel: m}
			if mm.Versions, err = reg.Versions(ctx, m.Name); err != nil {
				return err
			}
			scorings, err := reg.Scorings(ctx, m.Name)
			if err != nil {
				return err
			}
			if len(scorings) > 0 {
				mm.Scoring = &scorings[0]
			}
			s.Models = append(s.Models, mm)
		}
		return nil
	})
	var ae *lakehouse.AccessError
	if errors.As(err, &ae) {
		s.Refused, err = err.Error(), nil
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// MLVersion implements Backend.
func (w *Workspace) MLVersion(ctx context.Context, target, name string, version int) (*ml.VersionDetail, error) {
	var d *ml.VersionDetail
	err := w.reading(ctx, target, func(lh *lakehouse.Lakehouse) (err error) {
		d, err = ml.NewRegistry(lh).Show(ctx, fmt.Sprintf("%s/%d", name, version))
		return err
	})
	return d, err
}

// Compare implements Backend.
func (w *Workspace) Compare(ctx context.Context, target, name string, a, b int) (*ml.Comparison, error) {
	var c *ml.Comparison
	err := w.reading(ctx, target, func(lh *lakehouse.Lakehouse) (err error) {
		c, err = ml.NewRegistry(lh).Compare(ctx, name, a, b)
		return err
	})
	return c, err
}

// Train implements Backend: the registered model's spec from the bundle,
// trained and registered by the registry.
func (w *Workspace) Train(ctx context.Context, target, model string, progress func(ml.Progress)) (*ml.ModelVersion, error) {
	var v *ml.ModelVersion
	err := w.writing(ctx, target, "train", func(p *pipeline.Project, lh *lakehouse.Lakehouse) error {
		spec, err := specOf(p, model)
		if err != nil {
			return err
		}
		v, _, err = ml.NewRegistry(lh).Train(ctx, spec, progress)
		return err
	})
	return v, err
}

// specOf is what training a registered model of the bundle means, as the
// pipeline's train task trains it.
func specOf(p *pipeline.Project, model string) (ml.Spec, error) {
	rm, ok := p.Resources.RegisteredModels[model]
	if !ok {
		return ml.Spec{}, fmt.Errorf("tui: %s has no registered model %q: add it under resources.registered_models (models: %s)",
			p.File, model, strings.Join(sortedKeys(p.Resources.RegisteredModels), ", "))
	}
	return rm.Spec(model), nil
}

// Promote implements Backend.
func (w *Workspace) Promote(ctx context.Context, target, name, alias string, version int) error {
	return w.writing(ctx, target, "promote", func(_ *pipeline.Project, lh *lakehouse.Lakehouse) error {
		return ml.NewRegistry(lh).SetAlias(ctx, name, alias, version)
	})
}

// Score implements Backend: the registered model's table scored by its
// champion into ml.<name>_predictions, as the sample's nightly job does.
func (w *Workspace) Score(ctx context.Context, target, name string, limit int) (*Scored, error) {
	var s *Scored
	err := w.writing(ctx, target, "predict", func(p *pipeline.Project, lh *lakehouse.Lakehouse) error {
		spec, err := specOf(p, name)
		if err != nil {
			return err
		}
		sc, err := ml.NewRegistry(lh).Predict(ctx, name+"@champion", spec.Table, "ml."+name+"_predictions")
		if err != nil {
			return err
		}
		s, err = topScored(ctx, lh, *sc, limit)
		return err
	})
	return s, err
}

// TopScored implements Backend.
func (w *Workspace) TopScored(ctx context.Context, target, name string, limit int) (*Scored, error) {
	var s *Scored
	err := w.reading(ctx, target, func(lh *lakehouse.Lakehouse) error {
		scorings, err := ml.NewRegistry(lh).Scorings(ctx, name)
		if err != nil {
			return err
		}
		if len(scorings) == 0 {
			return fmt.Errorf("tui: model %s has not scored yet: press s to score with its champion", name)
		}
		s, err = topScored(ctx, lh, scorings[0], limit)
		return err
	})
	return s, err
}

// topScored reads the limit highest-scored rows of a scoring's output
// (ml.ReadFrame, governed like any read): ranked by the probability of the
// model's positive class (its last), or by the predicted value.
func topScored(ctx context.Context, lh *lakehouse.Lakehouse, sc ml.Scoring, limit int) (*Scored, error) {
	d, err := ml.NewRegistry(lh).Show(ctx, fmt.Sprintf("%s/%d", sc.Name, sc.Version))
	if err != nil {
		return nil, err
	}
	f, err := ml.ReadFrame(ctx, lh, sc.Out, nil)
	if err != nil {
		return nil, err
	}
	s := &Scored{Scoring: sc, Score: "prediction"}
	if d.Model != nil && d.Model.Task != ml.Regression && len(d.Model.Classes) > 0 {
		s.Score = "prob_" + d.Model.Classes[len(d.Model.Classes)-1]
	}
	score := f.Column(s.Score)
	if score == nil || score.Kind == ml.Text {
		return nil, fmt.Errorf("tui: %s has no numeric column %s to rank on: score again (s)", sc.Out, s.Score)
	}
	// The row's keys, then the score, then the predicted class.
	var cols []*ml.Column
	for i := range f.Columns {
		c := &f.Columns[i]
		switch n := c.Name; {
		case n == "prediction" || strings.HasPrefix(n, "prob_") || n == "model_name" || n == "model_version" || n == "scored_at":
		default:
			cols = append(cols, c)
		}
	}
	cols = append(cols, score)
	if pred := f.Column("prediction"); pred != nil && pred != score {
		cols = append(cols, pred)
	}
	for _, c := range cols {
		s.Columns = append(s.Columns, c.Name)
	}
	order := make([]int, 0, f.Rows)
	for i := range f.Rows {
		if !score.IsNull(i) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(score.Num[b], score.Num[a]) })
	for _, i := range order[:min(limit, len(order))] {
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = cellText(c, i, c == score)
		}
		s.Rows = append(s.Rows, row)
	}
	return s, nil
}

// cellText writes one value of a column for display: a score with three
// decimals, a whole number without any.
func cellText(c *ml.Column, i int, score bool) string {
	switch {
	case c.IsNull(i):
		return "∅"
	case c.Kind == ml.Text:
		return c.Text[i]
	case c.Kind == ml.Boolean:
		return fmt.Sprint(c.Num[i] != 0)
	case score:
		return fmt.Sprintf("%.3f", c.Num[i])
	case c.Num[i] == float64(int64(c.Num[i])):
		return fmt.Sprint(int64(c.Num[i]))
	}
	return fmt.Sprintf("%.4g", c.Num[i])
}
