package tui

import (
	"context"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/pipeline"
)

// Backend is everything the TUI asks of the lakehouse and the project. Every
// call may take time, so the TUI makes them only from tea.Cmds. Workspace is
// the real one; tests use a Workspace over a real DuckDB too.
type Backend interface {
	// Prepare readies the project (the built-in sample is created, generated
	// and run the first time), reporting each step, and describes it.
	Prepare(ctx context.Context, progress func(string)) (Info, error)
	// Load reads what the views show of one target, opening it read-only
	// and closing it before returning. It reads nothing per table: row
	// counts are estimates, Sizes may be nil (see Sizes) and Targets holds
	// the loaded target only (see Targets).
	Load(ctx context.Context, target string) (*Snapshot, error)
	// Stamp says the state of a target's file (its and its WAL's sizes
	// and times; "" when there is none): the TUI reloads now and then only
	// when it changed, so an idle TUI neither reads nor audits anything.
	Stamp(target string) string
	// Sizes measures the bytes of every table of a target the principal
	// may read, by schema.table: slower than Load, so asked for after it.
	Sizes(ctx context.Context, target string) (map[string]int64, error)
	// Targets reads the state of every target but skip, each opened
	// read-only: asked for when the Targets panel is shown.
	Targets(ctx context.Context, skip string) ([]TargetState, error)
	// Run runs a job (a DAG's Job, as Load planned it) on a target, holding
	// the writer lock only meanwhile.
	Run(ctx context.Context, target, job string, progress func(pipeline.Event)) error
	// NextBatch drops the next day's sample batch into the landing zone and
	// says what it wrote.
	NextBatch(ctx context.Context, target string) (string, error)
	// TaskRuns lists one run's tasks.
	TaskRuns(ctx context.Context, target, runID string) ([]lakehouse.TaskRun, error)
	// Quarantined reads up to limit quarantined rows of a table.
	Quarantined(ctx context.Context, target, table string, limit int) (Quarantine, error)

	// The ML view's: the target's model registry (ml.Registry), read
	// read-only, written (training, promotion, scoring) holding the writer
	// lock only meanwhile, as the principal, whose grants decide.

	// ML reads the registered models with their versions, newest first,
	// and each model's latest scoring.
	ML(ctx context.Context, target string) (*MLState, error)
	// MLVersion reads one version with its run, artifact and evaluation.
	MLVersion(ctx context.Context, target, name string, version int) (*ml.VersionDetail, error)
	// Train trains a registered model of the bundle (a key of
	// resources.registered_models), reporting each step and iteration.
	Train(ctx context.Context, target, model string, progress func(ml.Progress)) (*ml.ModelVersion, error)
	// Promote points alias at a version of name, moving it from any other.
	Promote(ctx context.Context, target, name, alias string, version int) error
	// Compare sets versions a and b of name side by side.
	Compare(ctx context.Context, target, name string, a, b int) (*ml.Comparison, error)
	// Score scores the model's table with its champion into its
	// predictions table and reads the limit highest-scored rows.
	Score(ctx context.Context, target, name string, limit int) (*Scored, error)
	// TopScored reads the limit highest-scored rows of the model's latest
	// scoring.
	TopScored(ctx context.Context, target, name string, limit int) (*Scored, error)

	// The Analyst view's (issue 10): queries run as the principal on a
	// read-only session the workspace keeps open between them (a write
	// closes it first, ending the live results it served); every query is
	// recorded in sys.query_history.

	// Query starts a SELECT, streamed (lakehouse.Live).
	Query(ctx context.Context, target, sql string) (*lakehouse.Live, error)
	// Complete suggests completions for the text before the cursor.
	Complete(ctx context.Context, target, sqlBefore string) ([]lakehouse.Suggestion, error)
	// Catalog lists the tables the principal may read, with their
	// columns, types and row counts.
	Catalog(ctx context.Context, target string) ([]lakehouse.TableInfo, error)
	// History lists the newest queries whose SQL contains search.
	History(ctx context.Context, target, search string, limit int) ([]lakehouse.QueryRecord, error)
	// Tile evaluates one tile of a dashboard of the bundle.
	Tile(ctx context.Context, target, dashboard string, tile int) (*pipeline.TileData, error)
	// Alerts reads every alert's state and recent history.
	Alerts(ctx context.Context, target string) ([]pipeline.AlertStatus, error)
	// CheckAlerts evaluates every alert now (a write: sys.alert_history).
	CheckAlerts(ctx context.Context, target string) ([]pipeline.AlertStatus, error)

	// The observability panels' (issue 11), read as the principal on the
	// target's kept read-only session, like the Analyst's.

	// Profiles reads a monitored table's latest profile and drift.
	Profiles(ctx context.Context, target, table string) (*Profile, error)
	// Health reads the latest freshness and completeness of each table.
	Health(ctx context.Context, target string) ([]lakehouse.HealthResult, error)
	// TestReport reads the project's last `lakebench test` report (nil
	// when none ran), for the Engineer's Tests panel.
	TestReport(ctx context.Context) (*pipeline.TestReport, error)
	// SLA measures the target's objectives (availability, freshness, RPO,
	// RTO).
	SLA(ctx context.Context, target string) (*pipeline.SLAReport, error)
	// Usage sums usage and its cost by job, target, principal or day.
	Usage(ctx context.Context, target, by string) ([]lakehouse.UsageSummary, error)
	// AuditTrail reads the audit trail, newest first, as q selects.
	AuditTrail(ctx context.Context, target string, q AuditQuery) ([]lakehouse.AuditEvent, error)
}

// Profile is a monitored table's latest profile (a row per column, and
// the ':table' row, per window) and its drift metrics.
type Profile struct {
	Table   string
	Columns []lakehouse.ColumnProfile
	Drift   []lakehouse.DriftMetric
}

// AuditQuery selects audit events; empty fields select all.
type AuditQuery struct {
	Principal string
	// Action is an action's name (SELECT, deploy, grant, ...).
	Action string
	// Table is part of a table's name (silver.orders, orders).
	Table string
	// Limit bounds the events returned, newest first; 0 means all.
	Limit int
}

// MLState is a target's model registry as the ML view shows it.
type MLState struct {
	Target string
	// Models are the registered models, by name, each with its versions.
	Models []MLModel
	// Refused is why the principal may not read the registry, if it may
	// not.
	Refused string
}

// MLModel is one registered model with its versions (newest first) and
// its latest scoring (nil before the first).
type MLModel struct {
	ml.RegisteredModel
	Versions []ml.ModelVersion
	Scoring  *ml.Scoring
}

// Scored is the top of a scoring: its rows with the highest score (the
// positive class's probability, or the predicted value), highest first.
type Scored struct {
	Scoring ml.Scoring
	// Score names the column ranked on; Columns name the cells of Rows,
	// formatted for display: the row's keys, the score and the class.
	Score   string
	Columns []string
	Rows    [][]string
}

// Info describes the project: what does not change while the TUI runs.
type Info struct {
	Name    string
	Dir     string
	Problem string
	// Sample is true for the built-in sample workspace.
	Sample bool
	// Principal is who runs jobs from this TUI.
	Principal string
	// Team maps a role (architect, engineer, ml, analyst) to its members.
	Team    map[string][]string
	Target  string
	Targets []TargetInfo
	// Content is the bundle's content hash as the files are now
	// (pipeline.Project.ContentHash): a target deployed with it is current.
	Content string
	Sources []SourceInfo
	// RegisteredModels, Dashboards, Alerts and Jobs name the project's
	// resources of each kind, sorted.
	RegisteredModels []string
	Dashboards       []string
	Alerts           []string
	Jobs             []string
	// DashboardDefs are the bundle's dashboards by name, for the Analyst
	// view to lay out their tiles (each evaluated with Backend.Tile).
	DashboardDefs map[string]pipeline.Dashboard
	// Presentation is the project's talk with its gaps filled
	// (pipeline.Project.PresentationOrDefault), for presentation mode.
	Presentation pipeline.Presentation
}

// TargetInfo is one target as the project file declares it.
type TargetInfo struct {
	Name     string
	Default  bool
	Scale    string
	Mode     string
	Identity string
	// Permissions are "LEVEL principal" entries of the target.
	Permissions []string
}

// SourceInfo is one landing source.
type SourceInfo struct {
	Name   string
	Path   string
	Format string
	Owner  string
	Domain string
}

// Snapshot is what the views show of one target at one moment, as read by
// its Principal: every read goes through the principal's grants and is
// audited.
type Snapshot struct {
	Target string
	// Principal runs jobs on this target.
	Principal string
	// Missing is true when the target has no database yet (never run).
	Missing bool
	// Tables are the catalog; their Rows are DuckDB's estimates.
	Tables []lakehouse.TableInfo
	// Sizes are the tables' bytes; nil until measured (Backend.Sizes).
	Sizes map[string]int64
	Runs  []lakehouse.Run
	// LastTasks are the tasks of Runs[0], the latest run of any job.
	LastTasks []lakehouse.TaskRun
	// JobTasks are the tasks of each job's latest run among Runs, by job.
	JobTasks map[string][]lakehouse.TaskRun
	Quality  []lakehouse.QualityResult
	Ingested []lakehouse.SourceFiles
	// Landing counts the files in each source's landing folder.
	Landing map[string]int
	// SampleData is true when the target's landing zone holds generated
	// sample data, so that n can drop the next day.
	SampleData bool
	Freshness  []lakehouse.Freshness
	// Objectives are freshness objectives by table (quality_monitors).
	Objectives map[string]time.Duration
	Stats      lakehouse.RunStats
	// Lineage is the table-level lineage; nil before the first run.
	Lineage *pipeline.Lineage
	// Models are the SQL models and the tables they read: the lineage.
	Models []ModelInfo
	// DAG is the first of Jobs: the job the Engineer view shows first.
	DAG DAG
	// Jobs are the DAGs of every job the Engineer view can show and run,
	// in the order j cycles through them.
	Jobs []DAG
	// Targets is the state of the loaded target's database; the others'
	// are read when shown (Backend.Targets).
	Targets []TargetState
	// Refused holds, by section (RefusedRuns, ...), why the principal may
	// not read what that section shows: the access error, for the view to
	// show in its place. Tables and Sizes hold only what it may read.
	Refused map[string]string
	// Alerts are the bundle's alerts with their latest state (no
	// history): the status bar counts the TRIGGERED ones.
	Alerts []pipeline.AlertStatus
	// Monitored are the tables quality_monitors profiles (profile or
	// drift), sorted: the Engineer's Profiles panel lists them.
	Monitored []string
}

// The sections of a Snapshot that a principal may be refused.
const (
	RefusedRuns      = "runs"
	RefusedQuality   = "quality"
	RefusedIngested  = "ingested"
	RefusedFreshness = "freshness"
	// RefusedAlerts holds why the alerts' states could not be read (any
	// error: they never fail a load).
	RefusedAlerts = "alerts"
)

// ModelInfo is one model: the table it builds, how (its kind) and the
// tables it reads.
type ModelInfo struct {
	Table string
	Path  string
	// Kind is pipeline.ModelSettings.KindName: full, incremental_by_batch,
	// incremental_by_time or incremental_by_unique_key.
	Kind  string
	Reads []string
}

// TargetState is a target's database at load time.
type TargetState struct {
	Name string
	// Loaded is false until the target has been read.
	Loaded bool
	Exists bool
	Tables int
	Rows   int64
	// Estimated says Rows holds one of DuckDB's estimates (see
	// lakehouse.Catalog), which the screens mark: ~2,887.
	Estimated bool
	LastRun   lakehouse.Run
	Err       string
	// Deployed is the target's last deployment (its bundle's content hash,
	// when and by whom), zero when never deployed or when the principal
	// holds no permission on the target (DeployHidden then).
	Deployed     lakehouse.Deployment
	DeployHidden bool
}

// DAG is a job's tasks and what each waits for.
type DAG struct {
	// Job names the job as sys.runs records it: a key of resources.jobs,
	// or DefaultJob.
	Job   string
	Tasks []TaskNode
}

// TaskNode is one task of a DAG.
type TaskNode struct {
	// Key matches pipeline.Event.Task of the run that executes it.
	Key  string
	Kind string
	// Table is what the task writes, schema.name.
	Table string
	// ModelKind is the kind of the models a transform task builds (see
	// ModelInfo.Kind), "mixed" when they differ, "" for other tasks.
	ModelKind string
	DependsOn []string
}

// Quarantine is a table's quarantined rows.
type Quarantine struct {
	Table string
	Total int64
	Rows  []lakehouse.QuarantinedRow
}

// DefaultJob is the job name of the default plan (every source's ingest,
// then every model), as sys.runs records it.
const DefaultJob = "default"

// Planner says which jobs the Engineer view shows and runs, and which tasks
// each has. The view's DAGs come from one Planner, so changing where jobs
// come from is one change.
type Planner interface {
	// Plan returns one DAG per job, the first shown at start; never empty.
	Plan(ctx context.Context, p *pipeline.Project, models []pipeline.Model) []DAG
}

// jobPlanner plans every job of resources.jobs, sorted by name, else the
// default plan.
type jobPlanner struct{}

func (jobPlanner) Plan(ctx context.Context, p *pipeline.Project, models []pipeline.Model) []DAG {
	names := sortedKeys(p.Resources.Jobs)
	if len(names) == 0 {
		return []DAG{defaultPlan(p, models)}
	}
	var out []DAG
	for _, name := range names {
		d := DAG{Job: name}
		for _, t := range p.Resources.Jobs[name].Tasks {
			n := TaskNode{Key: t.TaskKey, Kind: t.Type, DependsOn: t.DependsOn}
			switch {
			case t.Type == "train" || t.Type == "predict":
				n.Table = pipeline.TaskTable(t.Type, t.Model)
			case len(t.Models) > 0:
				n.Table = strings.Join(t.Models, ", ")
			}
			if t.Type == "transform" {
				n.ModelKind = taskKind(p, t.Models, models)
			}
			d.Tasks = append(d.Tasks, n)
		}
		out = append(out, d)
	}
	return out
}

// defaultPlan is what pipeline.Project.Run executes without a job: one
// ingest per source, then every model in build order, each after the tasks
// that build what it reads.
func defaultPlan(p *pipeline.Project, models []pipeline.Model) DAG {
	d := DAG{Job: DefaultJob}
	for _, s := range sortedKeys(p.Resources.Sources) {
		d.Tasks = append(d.Tasks, TaskNode{Key: "ingest_" + s, Kind: "ingest", Table: "bronze." + s})
	}
	writer := map[string]string{}
	for _, t := range d.Tasks {
		writer[t.Table] = t.Key
	}
	for _, m := range models {
		writer[m.Table.String()] = m.Table.String()
	}
	for _, m := range models {
		n := TaskNode{Key: m.Table.String(), Kind: "transform", Table: m.Table.String(),
			ModelKind: p.Resources.Models[m.Table.String()].KindName()}
		for _, r := range m.Reads {
			if k, ok := writer[r.String()]; ok && k != n.Key {
				n.DependsOn = append(n.DependsOn, k)
			}
		}
		d.Tasks = append(d.Tasks, n)
	}
	return d
}

// taskKind is the kind of the models a transform task's models list
// selects, "mixed" when they differ, "" when none is known (the models are
// not read yet and the list names none of them).
func taskKind(p *pipeline.Project, entries []string, models []pipeline.Model) string {
	var tables []string
	if selected, err := pipeline.SelectModels(entries, models); err == nil && len(models) > 0 {
		for _, m := range selected {
			tables = append(tables, m.Table.String())
		}
	} else {
		for _, e := range entries {
			if !pipeline.IsModelPattern(e) {
				tables = append(tables, strings.ToLower(strings.TrimSpace(e)))
			}
		}
	}
	kind := ""
	for _, t := range tables {
		switch k := p.Resources.Models[t].KindName(); {
		case kind == "":
			kind = k
		case kind != k:
			return "mixed"
		}
	}
	return kind
}

// clock is the time source of the views; tests fix it.
type clock func() time.Time
