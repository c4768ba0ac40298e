package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
)

// Validation is the outcome of Validate: the errors (each with its place
// and a hint) and warnings, and the models it parsed.
type Validation struct {
	Errors   Diagnostics
	Warnings Diagnostics
	// TestErrors are the test files' problems (tests/*.yml): `bundle
	// validate` reports them as errors, and they stop a deploy as Errors
	// do; a run on a deployed target is not stopped by them.
	TestErrors Diagnostics
	Models     []Model
}

// OK reports whether there are no errors.
func (v *Validation) OK() bool { return len(v.Errors) == 0 }

// Validate checks everything the project file refers to, all at once: files
// that are missing, SQL that DuckDB cannot parse, references to unknown
// tables, models, tasks or alerts, cycles in depends_on (spelled out),
// targets whose identity breaks the SDLC rules, unknown grants.
// lh parses SQL; an in-memory lakehouse will do.
func (p *Project) Validate(ctx context.Context, lh sqlParser) *Validation {
	v := &Validation{}
	errf := func(path, hint, format string, args ...any) {
		v.Errors = append(v.Errors, p.errorAt(path, fmt.Sprintf(format, args...), hint))
	}
	warnf := func(path, hint, format string, args ...any) {
		v.Warnings = append(v.Warnings, p.errorAt(path, fmt.Sprintf(format, args...), hint))
	}
	if p.Bundle.Name == "" {
		errf("bundle", "add `bundle: {name: my-project}`", "bundle.name is missing")
	}
	for i, m := range p.Framing.Team {
		if !contains(Roles, m.Role) {
			errf(fmt.Sprintf("project.team[%d].role", i), "roles: "+strings.Join(Roles, ", ")+suggestHint(m.Role, Roles), "unknown role %q for %s", m.Role, m.Name)
		}
	}
	p.validateTargets(errf, warnf)
	p.validatePromotions(v)
	p.validateCompute(errf, warnf)
	p.validatePrices(errf)

	// Tables that exist for models to read: bronze sources, then models.
	known := map[string]bool{}
	for _, n := range sortedKeys(p.Resources.Sources) {
		s := p.Resources.Sources[n]
		path := "resources.sources." + n
		known["bronze."+n] = true
		if s.Path == "" {
			errf(path, "give the landing glob, for example landing/"+n+"/*.csv", "source %s has no path", n)
		} else if files, _ := p.SourceFiles(s); len(files) == 0 {
			warnf(path+".path", "run `lakebench sample generate` or copy files there", "no landing files match %s yet", s.Path)
		}
		if _, err := lakehouse.ParseFormat(s.Format); err != nil {
			errf(path+".format", "use csv, json or parquet", "unknown format %q", s.Format)
		}
		if _, err := lakehouse.ParseChangePolicy(s.OnChange); err != nil {
			errf(path+".on_change", "use warn (keep the old rows), reload or quarantine", "unknown on_change %q", s.OnChange)
		}
		for _, col := range sortedKeys(s.SchemaHints) {
			if _, err := lh.NormalizeType(ctx, s.SchemaHints[col]); err != nil {
				errf(path+".schema_hints."+col, "use a DuckDB type such as BIGINT, DOUBLE, DECIMAL(10,2), VARCHAR, DATE or TIMESTAMP", "schema hint for %s: %q is not a DuckDB type", col, s.SchemaHints[col])
			}
		}
	}
	for i, pattern := range p.Resources.Transforms {
		if m, err := filepath.Glob(filepath.Join(p.Dir, pattern)); err != nil || len(m) == 0 {
			errf(fmt.Sprintf("resources.transforms[%d]", i), "globs are relative to the project directory", "no SQL model file matches %s", pattern)
		}
	}
	// Every model file's error at once; a model that fails to parse still
	// names its table, so nothing that reads it is called unknown.
	models, errs := p.readModels(ctx, lh)
	if ordered, err := orderModels(models); err != nil {
		errs = append(errs, err)
	} else if len(errs) == 0 {
		models = ordered
	}
	for _, err := range errs {
		var pe *Error
		if errors.As(err, &pe) {
			v.Errors = append(v.Errors, pe)
		} else {
			v.Errors = append(v.Errors, &Error{File: p.File, Message: err.Error()})
		}
	}
	v.Models = models
	for _, m := range models {
		known[m.Table.String()] = true
	}
	// Tables lakebench makes beside them: quarantines, predictions, versions.
	derived := map[string]bool{}
	for t := range known {
		derived[t+"_quarantine"] = true
	}
	for n := range p.Resources.RegisteredModels {
		derived["ml."+n+"_predictions"] = true
	}
	for _, n := range ml.RegistryTables {
		derived["ml."+n] = true
	}
	for _, m := range models {
		for _, r := range m.Reads {
			if !known[r.String()] && !derived[r.String()] && r.Schema != "sys" {
				line, col := textPosition(m.SQL, r.String())
				v.Errors = append(v.Errors, &Error{File: filepath.Join(p.Dir, m.Path), Line: line, Column: col,
					Message: fmt.Sprintf("%s reads %s, which no source or model builds", m.Table, r),
					Hint:    strings.TrimPrefix(suggestHint(r.String(), sortedKeys(known))+" ", "; ") + "name a source's bronze table or a model's table, or add a model that builds it"})
			}
		}
	}
	knownList := sortedKeys(known)
	tableRef := func(path, table, what string) {
		if !known[strings.ToLower(table)] {
			errf(path, "tables: "+strings.Join(knownList, ", ")+suggestHint(table, knownList), "%s refers to unknown table %q", what, table)
		}
	}
	for _, t := range sortedKeys(p.Resources.Models) {
		tableRef("resources.models."+t, t, "model settings")
	}
	p.validateQuality(errf, tableRef)
	for _, t := range sortedKeys(p.Resources.QualityMonitors) {
		m := p.Resources.QualityMonitors[t]
		tableRef("resources.quality_monitors."+t, t, "quality monitor")
		if m.Freshness != "" {
			if _, err := ParseObjective(m.Freshness); err != nil {
				errf("resources.quality_monitors."+t+".freshness", "write it as 24h, 90m or 2d", "%v", err)
			}
		}
		p.validateMonitor("resources.quality_monitors."+t, m, errf, tableRef)
	}
	p.validateSLA(errf, tableRef)
	for _, n := range sortedKeys(p.Resources.RegisteredModels) {
		rm := p.Resources.RegisteredModels[n]
		path := "resources.registered_models." + n
		if err := ml.CheckName(n); err != nil {
			errf(path, "name registered models with letters, digits, _ and -", "%v", strings.TrimPrefix(err.Error(), "ml: "))
		}
		tableRef(path+".table", rm.Table, "registered model "+n)
		if rm.Label == "" {
			errf(path, "name the column to predict", "registered model %s has no label", n)
		}
		if rm.Task != "" && rm.Task != "classification" && rm.Task != "regression" {
			errf(path+".task", "use classification or regression", "unknown task %q", rm.Task)
		}
		p.validateTrainer(path, rm, errf)
	}
	checkQuery := func(path, query string) {
		refs, err := lh.TableRefs(ctx, query)
		var perr *lakehouse.ParseError
		if errors.As(err, &perr) {
			errf(path, "a query is one SELECT statement", "SQL does not parse: %s", perr.Message)
			return
		}
		for _, r := range refs {
			if !known[r.String()] && !derived[r.String()] && r.Schema != "sys" {
				errf(path, "tables: "+strings.Join(knownList, ", ")+suggestHint(r.String(), knownList), "query reads unknown table %s", r)
			}
		}
	}
	p.validateDashboards(ctx, lh, errf, checkQuery)
	p.validateTileColumns(ctx, models, errf, warnf)
	p.validateAlerts(ctx, lh, func(e *Error) { v.Errors = append(v.Errors, e) }, checkQuery)
	kindErrs, kindWarns := p.validateKinds(models, errf)
	v.Errors, v.Warnings = append(v.Errors, kindErrs...), append(v.Warnings, kindWarns...)
	p.validateJobs(errf, models)
	v.Warnings = append(v.Warnings, p.unbuiltModels(models)...)
	p.validateGrants(errf, warnf, known)
	p.validatePresentation(errf, warnf)
	v.TestErrors = p.validateTests(ctx, lh, models, known)
	return v
}

func (p *Project) validateTargets(errf, warnf func(path, hint, format string, args ...any)) {
	defaults := 0
	for _, n := range sortedKeys(p.Targets) {
		t := p.Targets[n]
		path := "targets." + n
		if t.Default {
			defaults++
		}
		if t.Mode != "" && t.Mode != "development" && t.Mode != "production" {
			errf(path+".mode", "use development or production", "unknown mode %q", t.Mode)
		}
		if s := t.Data.Scale; s != "" && s != "dev" && s != "staging" && s != "prod" {
			errf(path+".data.scale", "use dev, staging or prod", "unknown scale %q", s)
		}
		runAs := t.RunAs
		if runAs == nil {
			runAs = p.RunAs
		}
		if t.Mode == "production" && (runAs == nil || runAs.ServicePrincipalName == "") {
			errf(path, "add `run_as: {service_principal_name: sp-"+n+"}` to the target",
				"target %s is in production mode, so its jobs must run as a service principal, not as a user", n)
		}
		if n == "staging" && (runAs == nil || runAs.ServicePrincipalName == "") {
			warnf(path, "add `run_as: {service_principal_name: sp-staging}`", "staging should run as a service principal, as production does")
		}
		p.validatePermissions(path+".permissions", t.Permissions, errf, warnf)
	}
	// The target's run_as as resolved (the target's own, else the top
	// level's): the one this deploy would grant.
	if sp := p.runAs(); sp != nil && sp.ServicePrincipalName != "" {
		p.validateRunAs(p.Target, sp.ServicePrincipalName, p.Targets[p.Target].RunAs != nil, errf)
	}
	if defaults > 1 {
		errf("targets", "mark one target `default: true`", "%d targets are marked default", defaults)
	}
	p.validatePermissions("permissions", p.topPermissions(), errf, warnf)
}

// validateRunAs refuses a run_as service principal that is a group or a
// person of the team: a deploy grants the run_as service principal SELECT
// and MODIFY on every schema of the target (runAsGrants), and a grant to a
// group reaches its members, so `service_principal_name: analysts` would
// give every analyst writes everywhere, and a team member's name would
// give that person writes as themselves.
func (p *Project) validateRunAs(target, sp string, own bool, errf func(path, hint, format string, args ...any)) {
	path := "run_as.service_principal_name"
	if own {
		path = "targets." + target + "." + path
	}
	if _, ok := p.Resources.Groups[sp]; ok {
		errf(path, "name a service principal of its own, such as sp-"+target,
			"target %s runs as %q, which is a group under resources.groups: the deploy would grant every member SELECT and MODIFY on every schema", target, sp)
		return
	}
	for _, m := range p.Framing.Team {
		if m.Name == sp {
			errf(path, "name a service principal of its own, such as sp-"+target+" (people run as themselves in development targets)",
				"target %s runs as %q, a person of project.team: the deploy would grant them SELECT and MODIFY on every schema", target, sp)
			return
		}
	}
}

// topPermissions are the permissions at the top level of the bundle (the
// resolved Permissions may be the target's, which replace them).
func (p *Project) topPermissions() []Permission {
	v, ok := p.raw["permissions"]
	if !ok {
		return nil
	}
	data, err := safeMarshal(v)
	if err != nil {
		return nil
	}
	var out []Permission
	safeUnmarshal(data, &out)
	return out
}

// validatePermissions checks target permissions as bundles have them: a
// level of CAN_VIEW, CAN_RUN or CAN_MANAGE and exactly one of user_name,
// service_principal_name and group_name.
func (p *Project) validatePermissions(path string, perms []Permission, errf, warnf func(path, hint, format string, args ...any)) {
	for i, perm := range perms {
		pp := fmt.Sprintf("%s[%d]", path, i)
		if !contains(PermissionLevels, perm.Level) {
			lp := pp + ".level"
			if perm.Level == "" {
				lp = pp
			}
			hint := "levels: " + strings.Join(PermissionLevels, ", ") + suggestHint(perm.Level, PermissionLevels)
			if up := strings.ToUpper(perm.Level); up != perm.Level && contains(PermissionLevels, up) {
				hint = "levels are written in capitals: " + up
			}
			if perm.Level == "" {
				errf(lp, "add level: CAN_VIEW, CAN_RUN or CAN_MANAGE", "permission has no level")
			} else {
				errf(lp, hint, "unknown permission level %q", perm.Level)
			}
		}
		named := 0
		for _, n := range []string{perm.UserName, perm.ServicePrincipalName, perm.GroupName} {
			if n != "" {
				named++
			}
		}
		switch {
		case named == 0:
			errf(pp, "add one of user_name, service_principal_name or group_name", "permission %s names no principal", perm.Level)
		case named > 1:
			errf(pp, "split it into one permission per principal", "permission %s names more than one principal", perm.Level)
		case perm.GroupName != "":
			if _, ok := p.Resources.Groups[perm.GroupName]; !ok {
				warnf(pp+".group_name", "groups: "+strings.Join(sortedKeys(p.Resources.Groups), ", ")+suggestHint(perm.GroupName, sortedKeys(p.Resources.Groups)),
					"group %q is not defined under resources.groups, so the permission gives no one anything", perm.GroupName)
			}
		}
	}
}

func (p *Project) validateJobs(errf func(path, hint, format string, args ...any), models []Model) {
	var modelList []string
	for _, m := range models {
		modelList = append(modelList, m.Table.String())
	}
	for _, j := range sortedKeys(p.Resources.Jobs) {
		job := p.Resources.Jobs[j]
		path := "resources.jobs." + j
		keys := map[string]int{}
		var keyList []string
		for i, t := range job.Tasks {
			tp := fmt.Sprintf("%s.tasks[%d]", path, i)
			if t.TaskKey == "" {
				errf(tp, "give every task a task_key", "task has no task_key")
				continue
			}
			if _, dup := keys[t.TaskKey]; dup {
				errf(tp+".task_key", "task keys are unique within a job", "task_key %q is used twice", t.TaskKey)
			} else {
				keyList = append(keyList, t.TaskKey)
			}
			keys[t.TaskKey] = i
			if !contains(TaskTypes, t.Type) {
				errf(tp+".type", "types: "+strings.Join(TaskTypes, ", ")+suggestHint(t.Type, TaskTypes), "unknown task type %q", t.Type)
			}
			for k, s := range t.Sources {
				if _, ok := p.Resources.Sources[s]; !ok {
					errf(fmt.Sprintf("%s.sources[%d]", tp, k), "sources: "+strings.Join(sortedKeys(p.Resources.Sources), ", ")+suggestHint(s, sortedKeys(p.Resources.Sources)), "unknown source %q", s)
				}
			}
			for k, m := range t.Models {
				if _, err := matchModels(m, models); err != nil {
					hint := "name a table built by a model file, or a layer's pattern such as gold.*"
					if !IsModelPattern(m) {
						hint += suggestHint(m, modelList)
					}
					errf(fmt.Sprintf("%s.models[%d]", tp, k), hint, "%v", err)
				}
			}
			if t.Type == "train" || t.Type == "predict" {
				p.validateModelRef(t, tp, errf)
			}
			for k, a := range t.Alerts {
				if _, ok := p.Resources.Alerts[a]; !ok {
					errf(fmt.Sprintf("%s.alerts[%d]", tp, k), "alerts: "+strings.Join(sortedKeys(p.Resources.Alerts), ", "), "unknown alert %q", a)
				}
			}
			if t.Type == "sql" && strings.TrimSpace(t.SQL) == "" {
				errf(tp, "give the statement as sql:", "sql task %s has no sql", t.TaskKey)
			}
		}
		for i, t := range job.Tasks {
			for k, d := range t.DependsOn {
				if _, ok := keys[d]; !ok {
					errf(fmt.Sprintf("%s.tasks[%d].depends_on[%d]", path, i, k), "tasks of "+j+": "+strings.Join(keyList, ", ")+suggestHint(d, keyList), "task %s depends on unknown task %q", t.TaskKey, d)
				}
			}
		}
		if cycle := taskCycle(job.Tasks); cycle != nil {
			errf(path+".tasks", "remove one of these depends_on", "tasks depend on each other in a cycle: %s", strings.Join(cycle, " -> "))
		}
		if job.Schedule != nil && job.Schedule.QuartzCronExpression == "" {
			errf(path+".schedule", "for example quartz_cron_expression: \"0 0 2 * * ?\"", "schedule has no quartz_cron_expression")
		}
	}
}

// unbuiltModels warns about each model that no job's transform task
// builds, naming its file and the job and task to add it to: such a model
// is listed and deployed but never built by a job's run. A project without
// jobs builds every model in its default plan.
func (p *Project) unbuiltModels(models []Model) Diagnostics {
	if len(p.Resources.Jobs) == 0 {
		return nil
	}
	type place struct{ job, task string }
	var first *place
	bySchema := map[string]place{} // the first task that builds a model of the schema
	built := map[string]bool{}
	for _, j := range sortedKeys(p.Resources.Jobs) {
		for _, t := range p.Resources.Jobs[j].Tasks {
			if t.Type != "transform" {
				continue
			}
			if first == nil {
				first = &place{j, t.TaskKey}
			}
			var tables []string
			if len(t.Models) == 0 {
				for _, m := range models {
					tables = append(tables, m.Table.String())
				}
			}
			for _, e := range t.Models {
				// An entry that selects nothing is an error of its own.
				names, _ := matchModels(e, models)
				tables = append(tables, names...)
			}
			for _, n := range tables {
				built[n] = true
				schema, _, _ := strings.Cut(n, ".")
				if _, ok := bySchema[schema]; !ok {
					bySchema[schema] = place{j, t.TaskKey}
				}
			}
		}
	}
	var warnings Diagnostics
	for _, m := range models {
		if built[m.Table.String()] {
			continue
		}
		pl, ok := bySchema[m.Table.Schema]
		if !ok && first != nil {
			pl, ok = *first, true
		}
		hint := fmt.Sprintf("add a task {task_key: %s, type: transform, models: [%s.*]} to job %s", m.Table.Schema, m.Table.Schema, sortedKeys(p.Resources.Jobs)[0])
		if ok {
			hint = fmt.Sprintf("add %s, or %s.* for its whole layer, to the models of task %s in job %s", m.Table, m.Table.Schema, pl.task, pl.job)
		}
		warnings = append(warnings, &Error{File: filepath.Join(p.Dir, m.Path),
			Message: fmt.Sprintf("no job builds %s, so running a job never builds it", m.Table), Hint: hint})
	}
	return warnings
}

// taskCycle returns a cycle in depends_on, first task repeated at the end,
// or nil.
func taskCycle(tasks []Task) []string {
	deps := map[string][]string{}
	for _, t := range tasks {
		deps[t.TaskKey] = t.DependsOn
	}
	state := map[string]int{} // 1 visiting, 2 done
	var stack []string
	var found []string
	var visit func(k string) bool
	visit = func(k string) bool {
		switch state[k] {
		case 1:
			for i, s := range stack {
				if s == k {
					found = append(append([]string(nil), stack[i:]...), k)
				}
			}
			return true
		case 2:
			return false
		}
		state[k] = 1
		stack = append(stack, k)
		for _, d := range deps[k] {
			if _, ok := deps[d]; ok && visit(d) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[k] = 2
		return false
	}
	for _, t := range tasks {
		if visit(t.TaskKey) {
			return found
		}
	}
	return nil
}

func (p *Project) validateGrants(errf, warnf func(path, hint, format string, args ...any), known map[string]bool) {
	principals := map[string]bool{Principal(): true}
	for _, m := range p.Framing.Team {
		principals[m.Name] = true
	}
	for g, grp := range p.Resources.Groups {
		principals[g] = true
		for _, m := range grp.Members {
			principals[m] = true
		}
	}
	if id := p.RunAs.Principal(); id != "" {
		principals[id] = true
	}
	for _, t := range p.Targets {
		if id := t.RunAs.Principal(); id != "" {
			principals[id] = true
		}
	}
	for _, s := range sortedKeys(p.Resources.Schemas) {
		path := "resources.schemas." + s
		if !contains(lakehouse.Schemas, s) {
			errf(path, "schemas: "+strings.Join(lakehouse.Schemas, ", ")+suggestHint(s, lakehouse.Schemas), "unknown schema %q", s)
		}
		for i, g := range p.Resources.Schemas[s].Grants {
			gp := fmt.Sprintf("%s.grants[%d]", path, i)
			for k, priv := range g.Privileges {
				if !contains(lakehouse.Privileges, strings.ToUpper(priv)) {
					errf(fmt.Sprintf("%s.privileges[%d]", gp, k), "privileges: "+strings.Join(lakehouse.Privileges, ", "), "unknown privilege %q", priv)
				} else if s == "sys" && strings.ToUpper(priv) != lakehouse.Select {
					// The system tables hold the owner, permissions and
					// audit: only lakebench writes them.
					errf(fmt.Sprintf("%s.privileges[%d]", gp, k), "grant SELECT on sys; its tables are written by lakebench alone",
						"%s on schema sys would let %s rewrite the target's owner, permissions and audit", strings.ToUpper(priv), g.Principal)
				}
			}
			if g.Principal == "" {
				errf(gp, "name a user, service principal or group", "grant has no principal")
			} else if !principals[g.Principal] {
				warnf(gp+".principal", "add them to project.team or resources.groups", "principal %q is not a team member, group or run_as identity", g.Principal)
			}
			if g.Table != "" && !known[s+"."+g.Table] {
				errf(gp+".table", "name a table of schema "+s, "unknown table %s.%s", s, g.Table)
			}
		}
	}
}

// Charts are the chart kinds a dashboard tile can draw.
var Charts = []string{"bar", "line", "timeseries", "scatter", "sparkline"}

// TileKinds are the kinds of dashboard tile.
var TileKinds = []string{TileKPI, TileChart, TileTable}

// TileFormats are how a KPI's value can be shown.
var TileFormats = []string{"number", "money", "percent"}

// GoodDirections are the ways a KPI's change can be good.
var GoodDirections = []string{"up", "down"}

// PermissionLevels are the target permission levels, weakest first.
var PermissionLevels = lakehouse.PermissionLevels

// ParseObjective reads a freshness objective: a Go duration (90m, 24h) or
// a number of days (2d).
func ParseObjective(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("freshness %q is not a duration", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		return 0, fmt.Errorf("freshness %q is not a duration", s)
	}
	return dur, nil
}

func suggestHint(s string, candidates []string) string {
	if m := suggest(s, candidates); m != "" && m != s {
		return "; did you mean " + m + "?"
	}
	return ""
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// textPosition is the line and column of the first occurrence of word in
// text, ignoring case (1:1 when it is not there).
func textPosition(text, word string) (line, col int) {
	i := strings.Index(strings.ToLower(text), strings.ToLower(word))
	if i < 0 {
		return 1, 1
	}
	return offsetPosition(text, i)
}

// offsetPosition is the line and column of a byte offset in text.
func offsetPosition(text string, offset int) (line, col int) {
	before := text[:offset]
	return strings.Count(before, "\n") + 1, len(before) - strings.LastIndex(before, "\n")
}

// validateKinds checks each model's kind and its settings, and the STREAM()
// inputs of its SQL: model settings errors point into the project file,
// STREAM errors and warnings into the model file (returned). A STREAM() in
// a model of another kind reads the whole table, which is only worth a
// warning.
func (p *Project) validateKinds(models []Model, errf func(path, hint, format string, args ...any)) (errs, warns []*Error) {
	for _, t := range sortedKeys(p.Resources.Models) {
		s := p.Resources.Models[t]
		path := "resources.models." + t
		switch s.KindName() {
		case KindFull, KindIncrementalByBatch:
		case KindIncrementalByTime:
			if s.TimeColumn == "" {
				errf(path, "add time_column: the DATE or TIMESTAMP column whose partitions a run recomputes, for example {kind: incremental_by_time, time_column: date, lookback: 3d}",
					"model %s is incremental_by_time but has no time_column", t)
			}
		case KindIncrementalByUniqueKey:
			if len(s.UniqueKey) == 0 {
				errf(path, "add unique_key: [the key columns], or use another kind", "model %s is incremental_by_unique_key but has no unique_key", t)
			}
		default:
			errf(path+".kind", "kinds: "+strings.Join(Kinds, ", ")+suggestHint(s.Kind, Kinds), "unknown kind %q for model %s", s.Kind, t)
		}
		if s.Lookback != "" {
			if _, err := ParseLookback(s.Lookback); err != nil {
				errf(path+".lookback", "for example lookback: 3d", "%v", err)
			} else if s.KindName() != KindIncrementalByTime {
				errf(path+".lookback", "lookback applies to kind incremental_by_time only: set the kind or remove lookback", "model %s has a lookback but is %s", t, s.KindName())
			}
		}
		if s.TimeColumn != "" && s.KindName() != KindIncrementalByTime {
			errf(path+".time_column", "time_column applies to kind incremental_by_time only: set the kind or remove time_column", "model %s has a time_column but is %s", t, s.KindName())
		}
		if (len(s.TimeInputs) > 0 || len(s.Dimensions) > 0) && s.KindName() != KindIncrementalByTime {
			errf(path, "time_inputs and dimensions apply to kind incremental_by_time only: set the kind or remove them", "model %s traces late rows but is %s", t, s.KindName())
			continue
		}
		i := slices.IndexFunc(models, func(m Model) bool { return m.Table.String() == t })
		if i < 0 {
			continue
		}
		reads := func(in string) bool {
			return slices.ContainsFunc(models[i].Reads, func(r lakehouse.TableName) bool { return r.String() == in })
		}
		var names []string
		for _, r := range dedupe(models[i].Reads) {
			names = append(names, r.String())
		}
		for _, in := range sortedKeys(s.TimeInputs) {
			switch {
			case !reads(in):
				errf(path+".time_inputs."+in, "name one of the tables its SELECT reads: "+strings.Join(names, ", "), "model %s does not read %s", t, in)
			case strings.TrimSpace(s.TimeInputs[in]) == "":
				errf(path+".time_inputs."+in, "give the column of "+in+" whose value is "+s.TimeColumn+", an expression over its row, or a query over its rows whose first column is the time", "model %s traces %s through nothing", t, in)
			case slices.Contains(s.Dimensions, in):
				errf(path+".dimensions", "an input is traced (time_inputs) or a dimension, not both", "model %s lists %s in time_inputs and dimensions", t, in)
			}
		}
		for _, in := range s.Dimensions {
			if !reads(in) {
				errf(path+".dimensions", "name tables its SELECT reads: "+strings.Join(names, ", "), "model %s does not read %s", t, in)
			}
		}
	}
	for _, m := range models {
		s := p.Resources.Models[m.Table.String()]
		file := filepath.Join(p.Dir, m.Path)
		batch := s.KindName() == KindIncrementalByBatch
		streaming := batch || s.KindName() == KindIncrementalByUniqueKey
		if streaming {
			// A model streamed must be one whose rows keep their files
			// (incremental_by_batch), and no two streams share files.
			var se *streamError
			if _, _, err := p.streamSources(m, models); errors.As(err, &se) {
				errs = append(errs, &Error{File: file, Line: se.at.Line, Column: se.at.Column, Message: se.message, Hint: se.hint})
			}
		}
		for _, st := range m.Streams {
			if _, ok := p.Resources.Sources[st.Table.Name]; !streaming && (!ok || st.Table.Schema != "bronze") {
				errs = append(errs, &Error{File: file, Line: st.Line, Column: st.Column,
					Message: fmt.Sprintf("STREAM(%s): only an ingested source's bronze table can be streamed", st.Table),
					Hint:    "write STREAM(bronze.<source>) for a source in resources.sources, or name " + st.Table.String() + " without STREAM()"})
				continue
			}
			if !streaming {
				warns = append(warns, &Error{File: file, Line: st.Line, Column: st.Column,
					Message: fmt.Sprintf("STREAM(%s) in %s, which is %s: only an incremental_by_batch or incremental_by_unique_key model reads just the new rows", st.Table, m.Table, s.KindName()),
					Hint:    fmt.Sprintf("set `%s: {kind: incremental_by_batch}` in resources.models, or write %s", m.Table, st.Table)})
			}
		}
		if batch && len(m.Streams) == 0 {
			errs = append(errs, &Error{File: file, Line: 1, Column: 1,
				Message: fmt.Sprintf("%s is incremental_by_batch but reads no STREAM() input", m.Table),
				Hint:    "name the ingested table whose new rows it processes as STREAM(bronze.<source>), for example FROM STREAM(bronze.orders) AS o"})
		}
	}
	return errs, warns
}

// validateModelRef checks a train or predict task's model: a registered
// model's name, or for a predict task name@alias or name/VERSION.
func (p *Project) validateModelRef(t Task, tp string, errf func(path, hint, format string, args ...any)) {
	names := sortedKeys(p.Resources.RegisteredModels)
	ref, err := ml.ParseRef(t.Model)
	switch {
	case t.Model == "":
		errf(tp, "registered models: "+strings.Join(names, ", "), "%s task %s names no model: add model: NAME", t.Type, t.TaskKey)
	case err != nil:
		errf(tp+".model", "write NAME, NAME@ALIAS (churn@champion) or NAME/VERSION", "%v", strings.TrimPrefix(err.Error(), "ml: "))
	case p.Resources.RegisteredModels[ref.Name].Table == "":
		errf(tp+".model", "registered models: "+strings.Join(names, ", ")+suggestHint(ref.Name, names), "unknown registered model %q", ref.Name)
	case t.Type == "train" && ref.String() != ref.Name:
		errf(tp+".model", "a train task trains a new version: name the model ("+ref.Name+"); promote with `lakebench models promote`", "train task %s names %q, not a registered model", t.TaskKey, t.Model)
	}
}
