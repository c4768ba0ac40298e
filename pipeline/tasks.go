package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
)

// plan lists a run's tasks. With a job, its tasks in file order; without,
// the default plan: one ingest per source, then one transform per model,
// each depending on the tasks that build what it reads.
func (p *Project) plan(ctx context.Context, lh *lakehouse.Lakehouse, opts RunOptions) ([]task, error) {
	models, err := p.Models(ctx, lh)
	if err != nil {
		return nil, err
	}
	return p.planOf(ctx, lh, opts, models)
}

// planOf is plan of the project's models (Models).
func (p *Project) planOf(ctx context.Context, lh *lakehouse.Lakehouse, opts RunOptions, models []Model) ([]task, error) {
	if err := p.checkKinds(models); err != nil {
		return nil, err
	}
	refresh := &fullBuilds{asked: map[string]bool{}, done: map[string]bool{}}
	if len(opts.FullRefresh) > 0 {
		ms, err := SelectModels(opts.FullRefresh, models)
		if err != nil {
			return nil, fmt.Errorf("pipeline: --full-refresh: %w", err)
		}
		for _, m := range ms {
			refresh.asked[m.Table.String()] = true
		}
	}
	job := opts.Job
	if job == "default" || job == "" {
		checkReads, _ := p.sourceRuleReads(ctx, lh)
		return p.defaultPlan(models, checkReads, refresh)
	}
	j, ok := p.Resources.Jobs[job]
	if !ok {
		return nil, fmt.Errorf("pipeline: unknown job %q: %s has %s", job, p.File, orNone(sortedKeys(p.Resources.Jobs)))
	}
	var tasks []task
	for _, jt := range j.Tasks {
		t, err := p.jobTask(ctx, lh, jt, models, refresh)
		if err != nil {
			return nil, err
		}
		t.key, t.dependsOn = jt.TaskKey, jt.DependsOn
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// checkKinds refuses a run whose models' kinds or kind settings are wrong
// (as bundle validate reports them): a misspelt kind, lookback or
// time_column would otherwise build the model in full once and fail only
// on the next run, and an incremental_by_batch model without STREAM()
// would rebuild from all of bronze each time.
func (p *Project) checkKinds(models []Model) error {
	var errs []error
	errf := func(path, hint, format string, args ...any) {
		errs = append(errs, p.errorAt(path, fmt.Sprintf(format, args...), hint))
	}
	streamErrs, _ := p.validateKinds(models, errf)
	for _, e := range streamErrs {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no jobs"
	}
	return strings.Join(names, ", ")
}

func (p *Project) defaultPlan(models []Model, checkReads []lakehouse.TableName, refresh *fullBuilds) ([]task, error) {
	var tasks []task
	for _, node := range p.graph(models, checkReads) {
		var t task
		switch node.Kind {
		case NodeIngest:
			t = p.ingestTask([]string{node.Source})
		case NodeTransform:
			var err error
			if t, err = p.transformTask([]Model{*node.Model}, models, refresh); err != nil {
				return nil, err
			}
		case NodeQuality:
			var err error
			if t, err = p.qualityTask(p.sourcesWithRules(), len(refresh.asked) > 0); err != nil {
				return nil, err
			}
		}
		t.key, t.dependsOn = node.Key, node.DependsOn
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// jobTask builds the task a job's task entry describes.
func (p *Project) jobTask(ctx context.Context, lh *lakehouse.Lakehouse, jt Task, models []Model, refresh *fullBuilds) (task, error) {
	pick := func() ([]Model, error) {
		ms, err := SelectModels(jt.Models, models)
		if err != nil {
			return nil, fmt.Errorf("pipeline: task %s: %w", jt.TaskKey, err)
		}
		return ms, nil
	}
	switch jt.Type {
	case "ingest":
		sources := jt.Sources
		if len(sources) == 0 {
			sources = sortedKeys(p.Resources.Sources)
		}
		return p.ingestTask(sources), nil
	case "transform":
		ms, err := pick()
		if err != nil {
			return task{}, err
		}
		return p.transformTask(ms, models, refresh)
	case "quality":
		ms, err := pick()
		if err != nil {
			return task{}, err
		}
		if len(jt.Models) == 0 {
			// Every table's rules: the models' and the sources' (bronze).
			for _, n := range sortedKeys(p.Resources.Sources) {
				if _, ok := p.Resources.Quality["bronze."+n]; ok {
					ms = append(ms, Model{Table: lakehouse.TableName{Schema: "bronze", Name: n}})
				}
			}
		}
		return p.qualityTask(ms, len(refresh.asked) > 0)
	case "train", "predict":
		ref, rm, err := p.modelRef(jt)
		if err != nil {
			return task{}, fmt.Errorf("pipeline: task %s: %w", jt.TaskKey, err)
		}
		// A transaction sees only the tables committed before it began:
		// the registry's are made now, before the task's.
		reg := ml.NewRegistry(lh)
		if err := reg.Ensure(ctx); err != nil {
			return task{}, err
		}
		if jt.Type == "train" {
			return trainTask(reg, ref.Name, rm)
		}
		return predictTask(reg, ref, rm)
	case "alerts":
		names := jt.Alerts
		if len(names) == 0 {
			names = sortedKeys(p.Resources.Alerts)
		}
		return p.alertsTask(lh, names)
	case "sql":
		return sqlTask(jt.SQL), nil
	}
	return task{}, fmt.Errorf("pipeline: task %s: unknown type %q", jt.TaskKey, jt.Type)
}

// SelectModels returns the models a task's models list selects, in build
// order. Each entry is a table name (gold.daily_revenue) or a pattern
// (gold.*, silver.order*; the syntax of path.Match), so a task can build a
// whole layer and a model file added to it is built by the next run; an
// empty list selects every model. An entry that selects no model is an
// error: a name that is not a model, a pattern that matches none, or a
// malformed pattern.
func SelectModels(entries []string, models []Model) ([]Model, error) {
	if len(entries) == 0 {
		return models, nil
	}
	want := map[string]bool{}
	for _, e := range entries {
		names, err := matchModels(e, models)
		if err != nil && !IsModelPattern(e) {
			all := make([]string, len(models))
			for i, m := range models {
				all[i] = m.Table.String()
			}
			return nil, fmt.Errorf("%w: name a model (%s) or a pattern such as gold.*%s", err, listSome(all), suggestHint(strings.ToLower(e), all))
		}
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			want[n] = true
		}
	}
	var out []Model
	for _, m := range models { // keep build order
		if want[m.Table.String()] {
			out = append(out, m)
		}
	}
	return out, nil
}

// IsModelPattern reports whether a models entry is a pattern rather than
// a table name.
func IsModelPattern(entry string) bool { return strings.ContainsAny(entry, `*?[\`) }

// matchModels returns the tables of the models one entry selects, or an
// error saying why it selects none.
func matchModels(entry string, models []Model) ([]string, error) {
	want := strings.ToLower(strings.TrimSpace(entry))
	var names []string
	if !IsModelPattern(want) {
		for _, m := range models {
			if m.Table.String() == want {
				return []string{want}, nil
			}
		}
		return nil, fmt.Errorf("unknown model %q", entry)
	}
	if _, err := path.Match(want, ""); err != nil {
		return nil, fmt.Errorf("models pattern %q is malformed: %w", entry, err)
	}
	for _, m := range models {
		if ok, _ := path.Match(want, m.Table.String()); ok {
			names = append(names, m.Table.String())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("models pattern %q matches no model", entry)
	}
	return names, nil
}

// ingestTask loads each source's new landing files into bronze.
func (p *Project) ingestTask(sources []string) task {
	t := task{kind: "ingest"}
	for _, n := range sources {
		t.writes = append(t.writes, lakehouse.TableName{Schema: "bronze", Name: n})
	}
	if len(sources) == 1 {
		t.table = t.writes[0]
	}
	t.do = func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
		var rows, quarantined int64
		var loaded, total int
		var dups, changed []string
		for _, n := range sources {
			s := p.Resources.Sources[n]
			files, err := p.SourceFiles(s)
			if err != nil {
				return 0, "", err
			}
			total += len(files)
			if len(files) == 0 {
				continue
			}
			format, err := lakehouse.ParseFormat(s.Format)
			if err != nil {
				return 0, "", err
			}
			policy, err := lakehouse.ParseChangePolicy(s.OnChange)
			if err != nil {
				return 0, "", fmt.Errorf("source %s: %w", n, err)
			}
			res, err := tx.Ingest(ctx, files, lakehouse.IngestOptions{Table: lakehouse.TableName{Schema: "bronze", Name: n}, Format: format, RunID: runID, SchemaHints: s.SchemaHints, NullValues: s.NullValues,
				BaseDir: p.Dir, OnChange: policy,
				Catalog: lakehouse.CatalogEntry{Layer: "bronze", Owner: s.Owner, Domain: s.Domain, Description: s.Description}})
			if err != nil {
				return 0, "", err
			}
			for _, f := range res.Files {
				switch {
				case f.DuplicateOf != "":
					dups = append(dups, f.Path+" = "+f.DuplicateOf)
				case f.Changed:
					changed = append(changed, f.Path+" ("+changeOutcome(f.OnChange)+")")
				}
				if !f.Skipped {
					loaded++
				}
			}
			rows += res.RowsLoaded
			quarantined += res.RowsQuarantined
		}
		detail := fmt.Sprintf("%d new of %s", loaded, Plural(total, "file"))
		if quarantined > 0 {
			detail += ", " + Plural(int(quarantined), "row") + " quarantined"
		}
		if len(dups) > 0 {
			detail += fmt.Sprintf("; %d skipped, the same bytes as a file loaded before: %s", len(dups), listSome(dups))
		}
		if len(changed) > 0 {
			detail += fmt.Sprintf("; %d changed after they were loaded: %s", len(changed), listSome(changed))
		}
		return rows, detail, nil
	}
	return t
}

// changeOutcome says what a load did with a changed file.
func changeOutcome(p lakehouse.ChangePolicy) string {
	switch p {
	case lakehouse.ChangeReload:
		return "reloaded: on_change reload"
	case lakehouse.ChangeQuarantine:
		return "new rows quarantined: on_change quarantine"
	}
	return "not loaded, the old rows kept: set on_change to reload or quarantine"
}

// listSome joins the first few items and counts the rest.
func listSome(items []string) string {
	const most = 3
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:most], ", ") + fmt.Sprintf(" and %d more", len(items)-most)
}

// fullBuilds are the models a run rebuilds from scratch: those
// --full-refresh names (asked, read only), and those it has rebuilt so far
// from all of their inputs (done: an incremental model built in full, a
// full model that reads one). An incremental model that reads one of those
// is rebuilt in full too, as SQLMesh restates what is downstream: its rows
// outside the new rows or the lookback came from the rows replaced.
type fullBuilds struct {
	asked map[string]bool
	mu    sync.Mutex
	done  map[string]bool
}

// reason is why m must be rebuilt in full whatever its state, or "".
func (f *fullBuilds) reason(m Model) string {
	if f.asked[m.Table.String()] {
		return "--full-refresh"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range m.Reads {
		if f.done[r.String()] {
			return r.String() + ", which it reads, was rebuilt in full"
		}
	}
	return ""
}

// built records how this run built m, of the given kind.
func (f *fullBuilds) built(m Model, kind string, b build) {
	f.mu.Lock()
	defer f.mu.Unlock()
	full := b.mat.Rebuild
	for _, r := range m.Reads {
		full = full || (kind == KindFull && f.done[r.String()])
	}
	if full {
		f.done[m.Table.String()] = true
	}
}

// transformTask builds models in order, each with its quality rules, as
// its kind says (see ModelSettings.Kind); the models in refresh are
// rebuilt from scratch whatever their kind. all is every model of the
// project.
func (p *Project) transformTask(models, all []Model, refresh *fullBuilds) (task, error) {
	t := task{kind: "transform"}
	rules := map[string][]lakehouse.Rule{}
	for _, m := range models {
		r, err := p.Rules(m.Table.String())
		if err != nil {
			return task{}, err
		}
		rules[m.Table.String()] = r
		// What a model reads is checked on its bound plan when it runs
		// (authorizeModel), not on the names of its text (m.Reads, which
		// only orders the models).
		t.writes = append(t.writes, m.Table)
		t.steps = append(t.steps, m.Reads)
		// An incremental build reads the table it merges into (its keys,
		// its newest time, its rows), so it needs SELECT there as well as
		// MODIFY, as an UPDATE or DELETE does.
		if p.Resources.Models[m.Table.String()].KindName() != KindFull {
			t.reads = append(t.reads, m.Table)
		}
	}
	if len(models) == 1 {
		t.table = models[0].Table
	}
	// staged are the builds t.stage made, which t.do takes when its plan
	// of the model is the same (runTask calls them in turn).
	staged := map[lakehouse.TableName]stagedBuild{}
	t.stage = func(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string) ([]lakehouse.TableName, func(), error) {
		clear(staged)
		return p.stageModels(ctx, lh, principal, runID, models, all, rules, refresh, staged)
	}
	t.do = func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
		var total int64
		var notes []string
		for _, m := range models {
			if err := p.checkInputs(ctx, tx, m); err != nil {
				return 0, "", err
			}
			// The SELECT as written first: an incremental run's plan (new
			// files, nothing to do) answers only a principal who may read
			// the model's inputs.
			if err := authorizeSelect(ctx, tx, m.SQL); err != nil {
				return 0, "", fmt.Errorf("%s: %w", m.Path, err)
			}
			settings := p.Resources.Models[m.Table.String()]
			r := rules[m.Table.String()]
			b, err := p.planBuild(ctx, tx, m, all, settings, r, refresh.reason(m))
			if err != nil {
				return 0, "", fmt.Errorf("%s: %w", m.Path, err)
			}
			if b.note != "" {
				notes = append(notes, b.note)
			}
			notes = append(notes, b.warnings...)
			if b.skip {
				n, err := tx.Count(ctx, m.Table)
				if err != nil {
					return 0, "", err
				}
				total += n
				continue
			}
			if err := authorizeBuild(ctx, tx, m, b.sql, r); err != nil {
				return 0, "", fmt.Errorf("%s: %w", m.Path, err)
			}
			if sb, ok := staged[m.Table]; ok && sb.build.same(b) {
				b.mat.Stage = sb.stage
			}
			n, outcomes, err := tx.MaterializeChecked(ctx, m.Table, b.sql, b.mat, r, lakehouse.QualityRun{RunID: runID, RunTime: time.Now()})
			if err != nil {
				return 0, "", fmt.Errorf("%s: %w", m.Path, err)
			}
			if err := p.recordChanges(ctx, tx, m, all, b, runID); err != nil {
				return 0, "", err
			}
			if err := tx.RecordBuild(ctx, m.Table, b.record(), runID, b.streams); err != nil {
				return 0, "", err
			}
			refresh.built(m, settings.KindName(), b)
			desc := settings.Description
			if desc == "" {
				desc = modelDescription(m.SQL)
			}
			if err := tx.SetCatalog(ctx, lakehouse.CatalogEntry{Schema: m.Table.Schema, Table: m.Table.Name,
				Layer: m.Table.Schema, Owner: settings.Owner, Domain: settings.Domain, Description: desc}); err != nil {
				return 0, "", err
			}
			if len(outcomes) > 0 {
				note, err := recordQuality(ctx, tx, runID, m.Table, outcomes, "build")
				if err != nil {
					return 0, "", err
				}
				if note != "" {
					notes = append(notes, note)
				}
			}
			total += n
		}
		return total, strings.Join(notes, "; "), nil
	}
	return t, nil
}

// stagedBuild is a model's build made ahead of its task's transaction, and
// the plan it was made from.
type stagedBuild struct {
	stage *lakehouse.Stage
	build build
}

// same reports whether two plans of a model build the same rows the same
// way.
func (b build) same(o build) bool {
	return b.sql == o.sql && b.fingerprint == o.fingerprint && b.skip == o.skip &&
		slices.Equal(b.streams, o.streams) && reflect.DeepEqual(b.mat, o.mat)
}

// stageModels builds ahead, in a transaction of its own that it commits,
// the models of a transform task whose full build quarantines rows (an
// error rule) and reads no table the task writes before it: their task's
// transaction then takes them (lakehouse.Stage) instead of creating a
// table and deleting from it, which DuckDB would write twice. Each model
// is checked and planned as the task does (an error here is the task's);
// staged gets the builds made. done drops the stages the task leaves.
func (p *Project) stageModels(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string, models, all []Model,
	rules map[string][]lakehouse.Rule, refresh *fullBuilds, staged map[lakehouse.TableName]stagedBuild) ([]lakehouse.TableName, func(), error) {
	tx, err := lh.BeginAs(ctx, principal)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	var stages []*lakehouse.Stage
	done := func() {
		for _, st := range stages {
			lh.DropStage(context.WithoutCancel(ctx), st)
		}
	}
	written := map[lakehouse.TableName]bool{}
	for _, m := range models {
		readsTask := slices.ContainsFunc(m.Reads, func(r lakehouse.TableName) bool { return written[r] })
		written[m.Table] = true
		r := rules[m.Table.String()]
		if readsTask || !slices.ContainsFunc(r, func(r lakehouse.Rule) bool { return r.Criticality == "error" }) {
			continue
		}
		settings := p.Resources.Models[m.Table.String()]
		if p.incrementalAsBuilt(ctx, tx, m, all, settings, r, refresh) {
			continue // the daily case: built in place, not staged
		}
		if err := p.checkInputs(ctx, tx, m); err != nil {
			return tx.Checked(), done, err
		}
		if err := authorizeSelect(ctx, tx, m.SQL); err != nil {
			return tx.Checked(), done, fmt.Errorf("%s: %w", m.Path, err)
		}
		b, err := p.planBuild(ctx, tx, m, all, settings, r, refresh.reason(m))
		if err != nil {
			return tx.Checked(), done, fmt.Errorf("%s: %w", m.Path, err)
		}
		if b.skip || len(b.mat.UniqueKey) > 0 || b.mat.Append || b.mat.ReplaceWhere != "" {
			continue // nothing to build, or built in place
		}
		if err := authorizeBuild(ctx, tx, m, b.sql, r); err != nil {
			return tx.Checked(), done, fmt.Errorf("%s: %w", m.Path, err)
		}
		st, err := tx.StageChecked(ctx, m.Table, b.sql, r, lakehouse.QualityRun{RunID: runID, RunTime: time.Now()})
		if err != nil {
			return tx.Checked(), done, fmt.Errorf("%s: %w", m.Path, err)
		}
		stages = append(stages, st)
		staged[m.Table] = stagedBuild{stage: st, build: b}
	}
	if len(stages) == 0 {
		return tx.Checked(), nil, nil
	}
	if err := tx.Commit(); err != nil {
		clear(staged)
		return tx.Checked(), done, err
	}
	if stagedHook != nil {
		stagedHook(stages)
	}
	return tx.Checked(), done, nil
}

// incrementalAsBuilt reports, from two small reads, that m is
// incremental, built, and last built from the same SQL, settings and rules
// with nothing forcing a full build: its build will most likely be in
// place, which planBuild (with its check of the principal's reads first)
// is then not run twice to find out. A wrong guess only leaves the full
// build unstaged.
func (p *Project) incrementalAsBuilt(ctx context.Context, tx *lakehouse.Tx, m Model, all []Model, s ModelSettings, rules []lakehouse.Rule, refresh *fullBuilds) bool {
	if s.KindName() == KindFull || refresh.reason(m) != "" {
		return false
	}
	if ok, err := tx.Exists(ctx, m.Table); err != nil || !ok {
		return false
	}
	prev, found, err := tx.LastBuild(ctx, m.Table)
	return err == nil && found && prev == p.upstreamFingerprint(fingerprint(m, s, rules), m, all)
}

// stagedHook, when set (by tests), is called with the stages once
// stageModels has committed them, before the task's transaction begins.
var stagedHook func([]*lakehouse.Stage)

// checkInputs explains a missing input before DuckDB does ("Table with name
// x does not exist"): a bronze table is missing when its source has no files
// yet on this target, another table when its model has not been built.
func (p *Project) checkInputs(ctx context.Context, tx *lakehouse.Tx, m Model) error {
	for _, r := range m.Reads {
		ok, err := tx.Exists(ctx, r)
		if err != nil || ok {
			continue
		}
		if s, isSource := p.Resources.Sources[r.Name]; isSource && r.Schema == "bronze" {
			return fmt.Errorf("%s reads %s, which has no data on target %s: no file matched %s yet; run `lakebench sample generate -t %s` or copy files there, then run again",
				m.Table, r, p.Target, s.Path, p.Target)
		}
		return fmt.Errorf("%s reads %s, which has not been built on target %s: run the task that builds it first (or the whole job)", m.Table, r, p.Target)
	}
	return nil
}

// recordQuality records rule outcomes and sums up the failures.
func recordQuality(ctx context.Context, tx *lakehouse.Tx, runID string, table lakehouse.TableName, outcomes []lakehouse.RuleOutcome, phase string) (string, error) {
	now := time.Now()
	var results []lakehouse.QualityResult
	var failed []string
	for _, o := range outcomes {
		results = append(results, lakehouse.QualityResult{RunID: runID, Table: table.String(), Rule: o.Rule.Name,
			Criticality: o.Rule.Criticality, RowsChecked: o.RowsChecked, RowsFailed: o.RowsFailed, CheckedAt: now,
			Function: o.Rule.Function, Filter: o.Rule.Filter, Phase: phase})
		if o.RowsFailed > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d", o.Rule.Name, o.RowsFailed))
		}
	}
	if err := tx.RecordQuality(ctx, results); err != nil {
		return "", err
	}
	if len(failed) == 0 {
		return "", nil
	}
	return table.String() + " quality failures (" + strings.Join(failed, ", ") + ")", nil
}

// qualityTask re-checks the models' rules without rebuilding them, and
// checks the sources' (bronze tables, which no build checks): it records
// results and fails when an error rule still finds bad rows. A source's
// rules are checked on its new files' rows where lakehouse.CheckSource can
// (the counts are a full check's), in full on a full refresh.
func (p *Project) qualityTask(models []Model, full bool) (task, error) {
	t := task{kind: "quality"}
	type check struct {
		table lakehouse.TableName
		rules []lakehouse.Rule
		crit  []string
	}
	var checks []check
	for _, m := range models {
		r, err := p.Rules(m.Table.String())
		if err != nil {
			return task{}, err
		}
		if len(r) == 0 {
			continue
		}
		c := check{table: m.Table, rules: r}
		for _, rule := range r {
			c.crit = append(c.crit, rule.Criticality)
		}
		checks = append(checks, c)
		t.reads = append(t.reads, m.Table)
	}
	t.do = func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
		var notes []string
		for _, c := range checks {
			if err := authorizeRules(ctx, tx, c.table.SQL(), c.rules); err != nil {
				return 0, "", err
			}
			run := lakehouse.QualityRun{RunID: runID, RunTime: time.Now()}
			var outcomes []lakehouse.RuleOutcome
			if _, source := p.Resources.Sources[c.table.Name]; source && c.table.Schema == "bronze" {
				res, err := tx.CheckSource(ctx, c.table, warnOnly(c.rules), run, full)
				if err != nil {
					return 0, "", err
				}
				outcomes = res.Outcomes
				switch {
				case res.Incremental:
					notes = append(notes, fmt.Sprintf("%s: %d %s checked", c.table, res.NewFiles, plural(res.NewFiles, "new file")))
				case res.Why != "":
					notes = append(notes, fmt.Sprintf("%s checked in full: %s", c.table, res.Why))
				}
			} else {
				var err error
				if outcomes, err = tx.ApplyQuality(ctx, c.table, warnOnly(c.rules), run); err != nil {
					return 0, "", err
				}
			}
			var results []lakehouse.QualityResult
			for i, o := range outcomes {
				results = append(results, lakehouse.QualityResult{RunID: runID, Table: c.table.String(), Rule: o.Rule.Name,
					Criticality: c.crit[i], RowsChecked: o.RowsChecked, RowsFailed: o.RowsFailed, CheckedAt: time.Now(),
					Function: o.Rule.Function, Filter: o.Rule.Filter, Phase: "check"})
				if o.RowsFailed > 0 {
					if c.crit[i] == "error" {
						return 0, "", fmt.Errorf("%s: rule %s fails on %d rows", c.table, o.Rule.Name, o.RowsFailed)
					}
					notes = append(notes, fmt.Sprintf("%s %s: %d", c.table, o.Rule.Name, o.RowsFailed))
				}
			}
			if err := tx.RecordQuality(ctx, results); err != nil {
				return 0, "", err
			}
		}
		return 0, strings.Join(notes, "; "), nil
	}
	return t, nil
}

func warnOnly(rules []lakehouse.Rule) []lakehouse.Rule {
	out := append([]lakehouse.Rule(nil), rules...)
	for i := range out {
		out[i].Criticality = "warn"
	}
	return out
}

// sqlTask runs one statement. What it reads and writes comes from its
// bound plan, checked against the grants of the run's principal inside the
// task's transaction; a statement that cannot be decided is refused.
func sqlTask(stmt string) task {
	return task{kind: "sql", do: func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
		if _, _, err := tx.AuthorizeSQL(ctx, stmt); err != nil {
			return 0, "", err
		}
		n, err := tx.Exec(ctx, stmt)
		return n, "", err
	}}
}

// authorizeSelect checks a model's SELECT on its bound plan: it may read
// only what the principal may, and write nothing.
func authorizeSelect(ctx context.Context, tx *lakehouse.Tx, sqlText string) error {
	_, writes, err := tx.AuthorizeSQL(ctx, sqlText)
	if err == nil && len(writes) > 0 {
		err = fmt.Errorf("a model must be one SELECT, but it writes %v", writes)
	}
	return err
}

// authorizeBuild checks the SELECT a build of model m runs (sqlText: m's
// SQL, or as rewritten for an incremental run), then its rules over it,
// once m's SQL as written was checked. With rules, one check does both:
// the rules' statement selects from the whole SELECT, whose bound plan
// (json_serialize_plan binds, it does not optimize, so no scan of it is
// dropped) reads all it reads, and a SELECT writes nothing. Without, the
// rewritten SELECT is checked by itself.
func authorizeBuild(ctx context.Context, tx *lakehouse.Tx, m Model, sqlText string, rules []lakehouse.Rule) error {
	if len(rules) > 0 {
		return authorizeRules(ctx, tx, "("+lakehouse.TrimStatement(sqlText)+"\n)", rules)
	}
	if sqlText != m.SQL {
		return authorizeSelect(ctx, tx, sqlText)
	}
	return nil
}

// authorizeRules checks a model's (or table's) quality rules as one
// SELECT of their expressions over relation, on its bound plan: a rule is
// SQL too, and may read only what the principal may.
func authorizeRules(ctx context.Context, tx *lakehouse.Tx, relation string, rules []lakehouse.Rule) error {
	if len(rules) == 0 {
		return nil
	}
	reads, writes, err := tx.AuthorizeSQL(ctx, lakehouse.AuthorizationSQL(relation, rules))
	if err == nil && len(writes) > 0 {
		err = fmt.Errorf("a quality rule must be an expression, but these rules write %v (reading %v)", writes, reads)
	}
	return err
}

// modelRef reads a train or predict task's model: a registered model's
// name, or for a predict task name@alias or name/VERSION as well.
func (p *Project) modelRef(jt Task) (ml.Ref, RegisteredModel, error) {
	ref, err := ml.ParseRef(jt.Model)
	if err != nil {
		return ml.Ref{}, RegisteredModel{}, err
	}
	rm, ok := p.Resources.RegisteredModels[ref.Name]
	if !ok {
		return ml.Ref{}, RegisteredModel{}, fmt.Errorf("unknown registered model %q: registered models are %s", ref.Name, strings.Join(sortedKeys(p.Resources.RegisteredModels), ", "))
	}
	if jt.Type == "train" && ref.String() != ref.Name {
		return ml.Ref{}, RegisteredModel{}, fmt.Errorf("a train task trains a new version of a registered model: name the model (%s), not %q", ref.Name, jt.Model)
	}
	return ref, rm, nil
}

// Spec is what training the registered model name means.
func (rm RegisteredModel) Spec(name string) ml.Spec {
	return ml.Spec{Name: name, Table: rm.Table, Label: rm.Label, Features: rm.Features, Task: ml.Task(rm.Task),
		Algorithm: rm.Algorithm, C: rm.C, Alpha: rm.Alpha, MaxIter: rm.MaxIter, Tol: rm.Tol, Seed: rm.Seed,
		TestSize: rm.TestSize, CV: rm.CV, MaxCategories: rm.MaxCategories}
}

// trainTask fits a registered model on its table and registers a new
// version (ml.Registry.TrainTx): the model's first READY version becomes
// its champion; later ones leave every alias where it is.
func trainTask(reg *ml.Registry, name string, rm RegisteredModel) (task, error) {
	spec := rm.Spec(name)
	reads, writes, err := ml.TrainAccess(spec)
	if err != nil {
		return task{}, err
	}
	t := task{kind: "train", table: lakehouse.TableName{Schema: "ml", Name: "model_versions"}, reads: reads, writes: writes,
		steps: [][]lakehouse.TableName{reads}}
	t.do = func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
		mv, run, err := reg.TrainTx(ctx, tx, spec, ml.TrainOptions{Description: rm.Description, Tags: map[string]string{"pipeline_run": runID}})
		if err != nil {
			return 0, "", err
		}
		return run.TableRows, trainDetail(mv, run), nil
	}
	return t, nil
}

// trainDetail sums a training up: the version, its aliases and its key
// metric on the held-out rows.
func trainDetail(mv *ml.ModelVersion, run *ml.Run) string {
	d := fmt.Sprintf("%s version %d", mv.Name, mv.Version)
	if len(mv.Aliases) > 0 {
		d += " (" + strings.Join(mv.Aliases, ", ") + ")"
	}
	for _, k := range []string{"roc_auc", "accuracy", "r2", "rmse"} {
		if v, ok := run.Metrics[k]; ok {
			d += fmt.Sprintf(", %s %.3f", k, v)
			break
		}
	}
	if n := run.Tags["test_rows"]; n != "" {
		d += " on " + n + " held-out rows"
	}
	for _, w := range run.Warnings {
		d += "; " + w
	}
	return d
}

// TaskTable names what a train or predict task of model (a registered
// model's name, or a reference such as churn@champion) writes: the model's
// entry in the registry, or ml.<name>_predictions.
func TaskTable(kind, model string) string {
	name, _, _ := strings.Cut(model, "@")
	name, _, _ = strings.Cut(name, "/")
	if kind == "predict" {
		return "ml." + name + "_predictions"
	}
	return "ml." + name
}

// predictTask scores the registered model's table with the version ref
// names (name@alias, name/VERSION, or name: its champion) into
// ml.<name>_predictions. What scores changes only when an alias moves.
func predictTask(reg *ml.Registry, ref ml.Ref, rm RegisteredModel) (task, error) {
	out := TaskTable("predict", ref.String())
	reads, writes, err := ml.PredictAccess(rm.Table, out)
	if err != nil {
		return task{}, err
	}
	t := task{kind: "predict", table: writes[0], reads: reads, writes: writes, steps: [][]lakehouse.TableName{reads[:1]}}
	t.do = func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
		s, err := reg.PredictTx(ctx, tx, ref.String(), rm.Table, out)
		if err != nil {
			return 0, "", err
		}
		return s.Rows, fmt.Sprintf("scored %s with %s version %d", s.Table, ref, s.Version), nil
	}
	return t, nil
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

// validateTrainer checks a registered model's trainer settings as `lakebench
// train` checks its flags: unset means the trainer's default.
func (p *Project) validateTrainer(path string, rm RegisteredModel, errf func(path, hint, format string, args ...any)) {
	switch rm.Algorithm {
	case "", "logistic", "linear", "ridge":
	default:
		errf(path+".algorithm", "use logistic, linear or ridge", "unknown algorithm %q", rm.Algorithm)
	}
	switch {
	case rm.Algorithm == "logistic" && rm.Task == "regression":
		errf(path+".algorithm", "use linear or ridge for a regression", "algorithm logistic classifies, and the task is regression")
	case (rm.Algorithm == "linear" || rm.Algorithm == "ridge") && rm.Task == "classification":
		errf(path+".algorithm", "use logistic for a classification", "algorithm %s is a regression, and the task is classification", rm.Algorithm)
	}
	if rm.C < 0 || math.IsNaN(rm.C) {
		errf(path+".c", "C is positive: smaller is a stronger penalty", "c %v is negative", rm.C)
	}
	if rm.Alpha < 0 || math.IsNaN(rm.Alpha) || math.IsInf(rm.Alpha, 0) {
		errf(path+".alpha", "alpha is zero or positive and finite", "alpha %v", rm.Alpha)
	}
	if rm.MaxIter < 0 {
		errf(path+".max_iter", "give at least 1 iteration", "max_iter %d", rm.MaxIter)
	}
	if rm.Tol < 0 || math.IsNaN(rm.Tol) {
		errf(path+".tol", "give a small positive tolerance such as 1e-4", "tol %v", rm.Tol)
	}
	if rm.TestSize != 0 && !(rm.TestSize > 0 && rm.TestSize < 1) {
		errf(path+".test_size", "give a fraction between 0 and 1, such as 0.25", "test_size %v", rm.TestSize)
	}
	if rm.CV < 0 || rm.CV == 1 {
		errf(path+".cv", "give 2 folds or more, or leave it out for none", "cv %d", rm.CV)
	}
	if rm.MaxCategories < 0 {
		errf(path+".max_categories", "give at least 1", "max_categories %d", rm.MaxCategories)
	}
}
