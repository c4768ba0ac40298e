// Package pipeline owns the project: the lakebench.yml bundle, its targets,
// the SQL models and their order, and running a job's tasks (ingest,
// transform, quality) against a target's lakehouse with progress events.
package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lakebench/lakebench/sampledata"
)

// FileName is the project file's name.
const FileName = "lakebench.yml"

// Project is a loaded lakebench.yml (with its includes), resolved for one
// target: the target's overrides merged in and ${var.*} substituted.
type Project struct {
	// Dir is the project directory; relative paths in the file are read from it.
	Dir string `yaml:"-" json:"-"`
	// File is the path of lakebench.yml.
	File string `yaml:"-" json:"-"`
	// Target is the target this project was resolved for.
	Target string `yaml:"-" json:"-"`
	// Clock is the time alerts are evaluated at (time.Now when nil); tests
	// set it to step time without waiting.
	Clock func() time.Time `yaml:"-" json:"-"`

	Bundle      Bundle              `yaml:"bundle" json:"bundle"`
	Framing     Framing             `yaml:"project,omitempty" json:"project,omitempty"`
	Include     []string            `yaml:"include,omitempty" json:"include,omitempty"`
	Variables   map[string]Variable `yaml:"variables,omitempty" json:"variables,omitempty"`
	RunAs       *RunAs              `yaml:"run_as,omitempty" json:"run_as,omitempty"`
	Permissions []Permission        `yaml:"permissions,omitempty" json:"permissions,omitempty"`
	// Compute is the machine DuckDB may use; a target's compute overrides it
	// setting by setting (see ComputeSettings).
	Compute *Compute `yaml:"compute,omitempty" json:"compute,omitempty"`
	// SLA and Backup are every target's, merged into a target's own
	// setting by setting (see Project.SLAFor, Project.BackupFor).
	SLA       *SLA            `yaml:"sla,omitempty" json:"sla,omitempty"`
	Backup    *BackupSettings `yaml:"backup,omitempty" json:"backup,omitempty"`
	Resources Resources       `yaml:"resources,omitempty" json:"resources,omitempty"`
	// Presentation is the team's talk (see PresentationOrDefault).
	Presentation *Presentation     `yaml:"presentation,omitempty" json:"presentation,omitempty"`
	Targets      map[string]Target `yaml:"targets,omitempty" json:"targets,omitempty"`

	// raw is the merged YAML tree of the root file and its includes, before
	// any target is applied.
	raw map[string]any
	// lines locates keys ("resources.jobs.nightly") in their files.
	lines map[string]position
	// vars are the resolved variable values.
	vars map[string]any
	// cliVars are the values given on the command line (--var), which are
	// content (see ContentHash).
	cliVars map[string]string
}

// Bundle names the project, as databricks.yml's bundle does.
type Bundle struct {
	Name string `yaml:"name" json:"name"`
}

// Framing is the final-project framing: the problem and the team.
type Framing struct {
	Problem string   `yaml:"problem,omitempty" json:"problem,omitempty"`
	Team    []Member `yaml:"team,omitempty" json:"team,omitempty"`
}

// Member is one person of the team and their role: architect, engineer, ml
// or analyst.
type Member struct {
	Name  string `yaml:"name" json:"name"`
	Role  string `yaml:"role" json:"role"`
	Email string `yaml:"email,omitempty" json:"email,omitempty"`
}

// Roles are the team roles, one per TUI view.
var Roles = []string{"architect", "engineer", "ml", "analyst"}

// Variable is a bundle variable with its default.
type Variable struct {
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Default     any    `yaml:"default,omitempty" json:"default,omitempty"`
}

// RunAs is the identity jobs run as: a user or a service principal.
type RunAs struct {
	UserName             string `yaml:"user_name,omitempty" json:"user_name,omitempty"`
	ServicePrincipalName string `yaml:"service_principal_name,omitempty" json:"service_principal_name,omitempty"`
}

// Principal is the run_as identity's name.
func (r *RunAs) Principal() string {
	if r == nil {
		return ""
	}
	if r.ServicePrincipalName != "" {
		return r.ServicePrincipalName
	}
	return r.UserName
}

// Permission says who may do what with the bundle, as in databricks.yml:
// level CAN_VIEW, CAN_RUN or CAN_MANAGE for a user, group or service principal.
type Permission struct {
	Level                string `yaml:"level" json:"level"`
	UserName             string `yaml:"user_name,omitempty" json:"user_name,omitempty"`
	GroupName            string `yaml:"group_name,omitempty" json:"group_name,omitempty"`
	ServicePrincipalName string `yaml:"service_principal_name,omitempty" json:"service_principal_name,omitempty"`
}

// Kind is user, group or service_principal: which of the names is set.
func (p Permission) Kind() string {
	switch {
	case p.UserName != "":
		return "user"
	case p.GroupName != "":
		return "group"
	}
	return "service_principal"
}

// Principal is the permission's user, group or service principal.
func (p Permission) Principal() string {
	switch {
	case p.UserName != "":
		return p.UserName
	case p.GroupName != "":
		return p.GroupName
	}
	return p.ServicePrincipalName
}

// Resources are what the bundle deploys and runs.
type Resources struct {
	Sources          map[string]Source          `yaml:"sources,omitempty" json:"sources,omitempty"`
	Transforms       []string                   `yaml:"transforms,omitempty" json:"transforms,omitempty"`
	Models           map[string]ModelSettings   `yaml:"models,omitempty" json:"models,omitempty"`
	Quality          map[string][]QualityRule   `yaml:"quality,omitempty" json:"quality,omitempty"`
	QualityMonitors  map[string]QualityMonitor  `yaml:"quality_monitors,omitempty" json:"quality_monitors,omitempty"`
	RegisteredModels map[string]RegisteredModel `yaml:"registered_models,omitempty" json:"registered_models,omitempty"`
	Dashboards       map[string]Dashboard       `yaml:"dashboards,omitempty" json:"dashboards,omitempty"`
	Alerts           map[string]Alert           `yaml:"alerts,omitempty" json:"alerts,omitempty"`
	Jobs             map[string]Job             `yaml:"jobs,omitempty" json:"jobs,omitempty"`
	Schemas          map[string]Schema          `yaml:"schemas,omitempty" json:"schemas,omitempty"`
	Groups           map[string]Group           `yaml:"groups,omitempty" json:"groups,omitempty"`
}

// Source is a landing-zone folder loaded into bronze.<name>.
type Source struct {
	Path        string `yaml:"path" json:"path"`
	Format      string `yaml:"format,omitempty" json:"format,omitempty"`
	Owner       string `yaml:"owner,omitempty" json:"owner,omitempty"`
	Domain      string `yaml:"domain,omitempty" json:"domain,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// SchemaHints types columns instead of sniffing them (column -> DuckDB
	// type), as Auto Loader's schemaHints do.
	SchemaHints map[string]string `yaml:"schema_hints,omitempty" json:"schema_hints,omitempty"`
	// NullValues are CSV values read as NULL besides the empty field.
	NullValues []string `yaml:"null_values,omitempty" json:"null_values,omitempty"`
	// OnChange is what a run does with a landing file that changed after
	// it was loaded: warn (the default: keep the old rows), reload or
	// quarantine.
	OnChange string `yaml:"on_change,omitempty" json:"on_change,omitempty"`
}

// The kinds of model (ModelSettings.Kind), after SQLMesh's model kinds and
// Delta Live Tables' streaming tables.
const (
	// KindFull rebuilds the table from its SELECT on every run (the default).
	KindFull = "full"
	// KindIncrementalByBatch reads only the rows of landing files the model
	// has not processed yet, from the tables it names as STREAM(bronze.x),
	// as a DLT streaming table does; with unique_key the new rows replace
	// those with the same key, else they are appended.
	KindIncrementalByBatch = "incremental_by_batch"
	// KindIncrementalByTime recomputes only the time partitions a run
	// affects: those of time_column from the newest one already built
	// minus lookback on, as SQLMesh's INCREMENTAL_BY_TIME_RANGE.
	KindIncrementalByTime = "incremental_by_time"
	// KindIncrementalByUniqueKey runs the whole SELECT and merges its rows
	// by unique_key (replace the key's row, else append).
	KindIncrementalByUniqueKey = "incremental_by_unique_key"
)

// ModelSettings configures one SQL model, keyed by the table it builds.
type ModelSettings struct {
	// Kind is how a run builds the table: full (the default),
	// incremental_by_batch, incremental_by_time or
	// incremental_by_unique_key (the default when unique_key is set).
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// TimeColumn is the column of an incremental_by_time model that
	// partitions its rows (a DATE or TIMESTAMP).
	TimeColumn string `yaml:"time_column,omitempty" json:"time_column,omitempty"`
	// Lookback is how far before the newest built partition an
	// incremental_by_time run recomputes, for late-arriving rows ("3d").
	Lookback string `yaml:"lookback,omitempty" json:"lookback,omitempty"`
	// TimeInputs traces an incremental_by_time model's late rows: for an
	// input (keyed by its table), its column whose value is the model's
	// time_column for the row, a SQL expression over the input's row
	// (named by the input's table name), or a query over the input's
	// changed rows (named the same way) whose first column is the time,
	// such as a lookup of an order line's day in its order written as a
	// join (a correlated subquery per row makes DuckDB aggregate the
	// whole looked-up table). An input with a column named as
	// time_column needs none. A run starts at the earliest time among
	// the rows the traced inputs changed since the model's last build.
	TimeInputs map[string]string `yaml:"time_inputs,omitempty" json:"time_inputs,omitempty"`
	// Dimensions are the inputs of an incremental_by_time model whose
	// changes reach only the days a run recomputes (a catalog, a customer
	// list): not traced, and not warned about.
	Dimensions []string `yaml:"dimensions,omitempty" json:"dimensions,omitempty"`
	// UniqueKey makes the model incremental: rows with a key already in the
	// table are replaced, others appended.
	UniqueKey   []string `yaml:"unique_key,omitempty" json:"unique_key,omitempty"`
	Owner       string   `yaml:"owner,omitempty" json:"owner,omitempty"`
	Domain      string   `yaml:"domain,omitempty" json:"domain,omitempty"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
}

// KindName is the model's kind as a run uses it: Kind, else
// incremental_by_unique_key when UniqueKey is set, else full.
func (s ModelSettings) KindName() string {
	switch {
	case s.Kind != "":
		return s.Kind
	case len(s.UniqueKey) > 0:
		return KindIncrementalByUniqueKey
	}
	return KindFull
}

// QualityMonitor watches a table: freshness against an objective, profiles
// and drift.
type QualityMonitor struct {
	// Freshness is the objective, such as 24h: the table must have been
	// updated within it.
	Freshness string `yaml:"freshness,omitempty" json:"freshness,omitempty"`
	// TimestampColumn, when set, measures freshness by the newest value in
	// the column instead of the last update.
	TimestampColumn string `yaml:"timestamp_column,omitempty" json:"timestamp_column,omitempty"`
	Profile         bool   `yaml:"profile,omitempty" json:"profile,omitempty"`
	Drift           bool   `yaml:"drift,omitempty" json:"drift,omitempty"`
	// Completeness is the least share of non-null values per column (0..1).
	Completeness float64 `yaml:"completeness,omitempty" json:"completeness,omitempty"`

	// ob-profile (issue 11): the profile's type and windows, and drift.
	// ProfileType is snapshot (default) or time_series (over
	// TimestampColumn, one profile per window of each granularity).
	ProfileType   string   `yaml:"profile_type,omitempty" json:"profile_type,omitempty"`
	Granularities []string `yaml:"granularities,omitempty" json:"granularities,omitempty"`
	// BaselineTable is a table to compare against (drift_type BASELINE).
	BaselineTable string `yaml:"baseline_table,omitempty" json:"baseline_table,omitempty"`
	// DriftThresholds maps a statistic (ks_pvalue, population_stability_index,
	// js_distance, ...) to the value past which a column is flagged.
	DriftThresholds map[string]float64 `yaml:"drift_thresholds,omitempty" json:"drift_thresholds,omitempty"`
	// Columns limits profiling and drift to these columns.
	Columns []string `yaml:"columns,omitempty" json:"columns,omitempty"`
}

// RegisteredModel is an ML model trained from a table.
type RegisteredModel struct {
	Table       string   `yaml:"table" json:"table"`
	Label       string   `yaml:"label" json:"label"`
	Features    []string `yaml:"features,omitempty" json:"features,omitempty"`
	Task        string   `yaml:"task,omitempty" json:"task,omitempty"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	// The trainer's settings (ml.Spec): unset, its defaults.
	// Algorithm is logistic, linear or ridge.
	Algorithm string `yaml:"algorithm,omitempty" json:"algorithm,omitempty"`
	// C is logistic regression's inverse L2 strength (scikit-learn's C).
	C float64 `yaml:"c,omitempty" json:"c,omitempty"`
	// Alpha is ridge regression's L2 strength.
	Alpha   float64 `yaml:"alpha,omitempty" json:"alpha,omitempty"`
	MaxIter int     `yaml:"max_iter,omitempty" json:"max_iter,omitempty"`
	Tol     float64 `yaml:"tol,omitempty" json:"tol,omitempty"`
	// Seed drives the train/test split and the folds.
	Seed int64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// TestSize is the share of rows held out (0.25 unset).
	TestSize float64 `yaml:"test_size,omitempty" json:"test_size,omitempty"`
	// CV is the number of stratified cross-validation folds (none unset).
	CV int `yaml:"cv,omitempty" json:"cv,omitempty"`
	// MaxCategories bounds the levels one-hot encodes per text column.
	MaxCategories int `yaml:"max_categories,omitempty" json:"max_categories,omitempty"`
}

// Dashboard is a set of tiles, each a query drawn as a KPI, a chart or a
// table, laid out in a grid that adapts to the terminal.
type Dashboard struct {
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	Tiles []Tile `yaml:"tiles" json:"tiles"`
}

// The kinds of tile (Tile.Kind).
const (
	// TileKPI is a value and its change against the previous period.
	TileKPI = "kpi"
	// TileChart draws the query's rows as a chart.
	TileChart = "chart"
	// TileTable shows the query's rows as a small table.
	TileTable = "table"
)

// Tile is one tile of a dashboard: a query (one SELECT, run as the
// principal of the session) and how to draw its rows.
type Tile struct {
	Title string `yaml:"title" json:"title"`
	// Kind is kpi, chart or table; unset, a tile with a value is a kpi,
	// one with a chart a chart, else a table.
	Kind  string `yaml:"kind,omitempty" json:"kind,omitempty"`
	Query string `yaml:"query" json:"query"`
	// Chart is bar, line, timeseries, scatter or sparkline (chart tiles).
	Chart string `yaml:"chart,omitempty" json:"chart,omitempty"`
	// X and Y name the chart's columns; unset, the first column is x and
	// the first numeric column after it y.
	X string `yaml:"x,omitempty" json:"x,omitempty"`
	Y string `yaml:"y,omitempty" json:"y,omitempty"`
	// Value names the KPI's column (its first row); unset, the first
	// numeric column.
	Value string `yaml:"value,omitempty" json:"value,omitempty"`
	// Previous names a column of the same row holding the previous
	// period's value; PreviousQuery is a query whose first row holds it
	// instead (in the value's column, else its first numeric column).
	Previous      string `yaml:"previous,omitempty" json:"previous,omitempty"`
	PreviousQuery string `yaml:"previous_query,omitempty" json:"previous_query,omitempty"`
	// Good is the direction a KPI's change should go to be good (green):
	// up (the default) or down.
	Good string `yaml:"good,omitempty" json:"good,omitempty"`
	// Format is how a KPI's value is shown: number (the default), money or
	// percent (0.12 is 12%).
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Width is how many grid columns the tile spans when there are several
	// (1 by default; a larger value is capped at the grid's columns).
	Width int `yaml:"width,omitempty" json:"width,omitempty"`
}

// KindName is the tile's kind as it is drawn: Kind, else kpi when it names
// a value, chart when it names a chart, else table.
func (t Tile) KindName() string {
	switch {
	case t.Kind != "":
		return t.Kind
	case t.Value != "" || t.Previous != "" || t.PreviousQuery != "":
		return TileKPI
	case t.Chart != "":
		return TileChart
	}
	return TileTable
}

// Alert is a Databricks SQL alert (v2, the bundle's alert resource): a
// query whose source column, aggregated, is compared with a threshold
// each time the alert is evaluated (after every job run, and on demand
// with `lakebench alerts check`). The short form lakebench has always
// read (query, column, op, threshold, message) is the same alert written
// briefly; an alert uses one form or the other (see alerts.go).
type Alert struct {
	DisplayName string `yaml:"display_name,omitempty" json:"display_name,omitempty"`
	// QueryText is the alert's query: one SELECT, run as the principal
	// who evaluates it.
	QueryText  string          `yaml:"query_text,omitempty" json:"query_text,omitempty"`
	Evaluation *AlertCondition `yaml:"evaluation,omitempty" json:"evaluation,omitempty"`
	// CustomSummary is the message of a triggered alert.
	CustomSummary     string `yaml:"custom_summary,omitempty" json:"custom_summary,omitempty"`
	CustomDescription string `yaml:"custom_description,omitempty" json:"custom_description,omitempty"`
	// Notify is lakebench's local notification: a command run on a
	// transition, with the alert as JSON on its standard input.
	Notify *AlertNotify `yaml:"notify,omitempty" json:"notify,omitempty"`

	// The short form: Query is QueryText, Column the source column (no
	// aggregation), Op the operator, Threshold the value, Message the
	// summary.
	Query     string `yaml:"query,omitempty" json:"query,omitempty"`
	Column    string `yaml:"column,omitempty" json:"column,omitempty"`
	Op        string `yaml:"op,omitempty" json:"op,omitempty"`
	Threshold any    `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	Message   string `yaml:"message,omitempty" json:"message,omitempty"`
}

// AlertCondition is an alert's evaluation: its source column compared by
// an operator with a threshold, the state of an empty result, and when
// to notify.
type AlertCondition struct {
	Source AlertColumn `yaml:"source" json:"source"`
	// ComparisonOperator is GREATER_THAN, GREATER_THAN_OR_EQUAL,
	// LESS_THAN, LESS_THAN_OR_EQUAL, EQUAL, NOT_EQUAL, IS_NULL or
	// IS_NOT_NULL (or > >= < <= == !=).
	ComparisonOperator string        `yaml:"comparison_operator" json:"comparison_operator"`
	Threshold          *AlertOperand `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	// EmptyResultState is the state when the query returns no rows:
	// UNKNOWN (the default), OK, TRIGGERED or ERROR.
	EmptyResultState string             `yaml:"empty_result_state,omitempty" json:"empty_result_state,omitempty"`
	Notification     *AlertNotification `yaml:"notification,omitempty" json:"notification,omitempty"`
}

// AlertColumn is a column of the alert's result, aggregated over its rows
// (SUM, COUNT, COUNT_DISTINCT, AVG, MEDIAN, MIN, MAX, STDDEV) or, without
// an aggregation, taken from the first row.
type AlertColumn struct {
	Name        string `yaml:"name" json:"name"`
	Display     string `yaml:"display,omitempty" json:"display,omitempty"`
	Aggregation string `yaml:"aggregation,omitempty" json:"aggregation,omitempty"`
}

// AlertOperand is a threshold: a value, or another column of the result.
type AlertOperand struct {
	Value  *AlertValue  `yaml:"value,omitempty" json:"value,omitempty"`
	Column *AlertColumn `yaml:"column,omitempty" json:"column,omitempty"`
}

// AlertValue is a threshold value: one of a number, a string or a
// boolean. The fields take any YAML value so a wrong one is reported with
// its place by validation.
type AlertValue struct {
	DoubleValue any `yaml:"double_value,omitempty" json:"double_value,omitempty"`
	StringValue any `yaml:"string_value,omitempty" json:"string_value,omitempty"`
	BoolValue   any `yaml:"bool_value,omitempty" json:"bool_value,omitempty"`
}

// AlertNotification says when a notification goes out: on a transition
// into TRIGGERED, back to OK only with NotifyOnOK, and again while
// TRIGGERED once RetriggerSeconds have passed since the last one (never
// when 0). Subscriptions are kept for Databricks; lakebench notifies
// through Alert.Notify.
type AlertNotification struct {
	NotifyOnOK       any                 `yaml:"notify_on_ok,omitempty" json:"notify_on_ok,omitempty"`
	RetriggerSeconds any                 `yaml:"retrigger_seconds,omitempty" json:"retrigger_seconds,omitempty"`
	Subscriptions    []AlertSubscription `yaml:"subscriptions,omitempty" json:"subscriptions,omitempty"`
}

// AlertSubscription is who a Databricks alert notifies.
type AlertSubscription struct {
	UserEmail     string `yaml:"user_email,omitempty" json:"user_email,omitempty"`
	DestinationID string `yaml:"destination_id,omitempty" json:"destination_id,omitempty"`
}

// AlertNotify is a command run on a notification: Command is its argv
// (no shell), run in the project directory with the alert as JSON on
// standard input; TimeoutSeconds bounds it (default 30). Its failure is
// recorded with the evaluation, never fatal.
type AlertNotify struct {
	Command        []string `yaml:"command" json:"command"`
	TimeoutSeconds any      `yaml:"timeout_seconds,omitempty" json:"timeout_seconds,omitempty"`
}

// Job is a DAG of tasks.
type Job struct {
	Description string    `yaml:"description,omitempty" json:"description,omitempty"`
	Schedule    *Schedule `yaml:"schedule,omitempty" json:"schedule,omitempty"`
	Tasks       []Task    `yaml:"tasks" json:"tasks"`
}

// Schedule runs a job on a cron expression; paused in development mode.
type Schedule struct {
	QuartzCronExpression string `yaml:"quartz_cron_expression" json:"quartz_cron_expression"`
	TimezoneID           string `yaml:"timezone_id,omitempty" json:"timezone_id,omitempty"`
	PauseStatus          string `yaml:"pause_status,omitempty" json:"pause_status,omitempty"`
}

// Task is one step of a job.
type Task struct {
	TaskKey   string   `yaml:"task_key" json:"task_key"`
	Type      string   `yaml:"type" json:"type"`
	DependsOn TaskRefs `yaml:"depends_on,omitempty" json:"depends_on,omitempty"`
	// Sources limits an ingest task; empty means every source.
	Sources []string `yaml:"sources,omitempty" json:"sources,omitempty"`
	// Models limits a transform or quality task to these tables (in build
	// order); empty means every model.
	Models []string `yaml:"models,omitempty" json:"models,omitempty"`
	// Model names the registered model of a train or predict task.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// Alerts limits an alerts task; empty means every alert.
	Alerts []string `yaml:"alerts,omitempty" json:"alerts,omitempty"`
	// SQL is the statement of an sql task.
	SQL string `yaml:"sql,omitempty" json:"sql,omitempty"`
}

// TaskRefs are the task keys a task depends on. Both lakebench's short form
// (depends_on: [ingest]) and databricks.yml's (depends_on: [{task_key:
// ingest}]) are read, so a job written for Databricks carries over.
type TaskRefs []string

// UnmarshalYAML reads either form.
func (r *TaskRefs) UnmarshalYAML(unmarshal func(any) error) error {
	var raw []any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	out := make(TaskRefs, 0, len(raw))
	for _, v := range raw {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			k, ok := x["task_key"].(string)
			if !ok {
				return fmt.Errorf("depends_on: an entry %v has no task_key", x)
			}
			out = append(out, k)
		default:
			return fmt.Errorf("depends_on: %v is not a task key", v)
		}
	}
	*r = out
	return nil
}

// TaskTypes are the kinds of task a job can hold.
var TaskTypes = []string{"ingest", "transform", "quality", "train", "predict", "alerts", "sql"}

// Schema is a Unity Catalog-like schema resource: its grants.
type Schema struct {
	Comment string  `yaml:"comment,omitempty" json:"comment,omitempty"`
	Grants  []Grant `yaml:"grants,omitempty" json:"grants,omitempty"`
}

// Grant gives a principal privileges (SELECT, MODIFY, ALL_PRIVILEGES) on a
// schema, or on one table of it when Table is set.
type Grant struct {
	Principal  string   `yaml:"principal" json:"principal"`
	Privileges []string `yaml:"privileges" json:"privileges"`
	Table      string   `yaml:"table,omitempty" json:"table,omitempty"`
}

// Group is a set of principals.
type Group struct {
	Members []string `yaml:"members" json:"members"`
}

// Target is one deployment target (dev, staging, prod) and its overrides.
type Target struct {
	Default     bool           `yaml:"default,omitempty" json:"default,omitempty"`
	Mode        string         `yaml:"mode,omitempty" json:"mode,omitempty"`
	Data        TargetData     `yaml:"data,omitempty" json:"data,omitempty"`
	RunAs       *RunAs         `yaml:"run_as,omitempty" json:"run_as,omitempty"`
	Permissions []Permission   `yaml:"permissions,omitempty" json:"permissions,omitempty"`
	Variables   map[string]any `yaml:"variables,omitempty" json:"variables,omitempty"`
	Resources   Resources      `yaml:"resources,omitempty" json:"resources,omitempty"`
	// Compute overrides the bundle's compute on this target.
	Compute *Compute `yaml:"compute,omitempty" json:"compute,omitempty"`
	// Price is this target's list price in sys.list_prices (ob-usage).
	Price *Price `yaml:"price,omitempty" json:"price,omitempty"`
	// SLA is this target's objectives (ob-backup).
	SLA *SLA `yaml:"sla,omitempty" json:"sla,omitempty"`
	// Backup says where snapshots go and how many are kept (ob-backup).
	Backup *BackupSettings `yaml:"backup,omitempty" json:"backup,omitempty"`
	// Promotion is the target's promotion gate (issue 12; see promotion.go).
	Promotion *Promotion `yaml:"promotion,omitempty" json:"promotion,omitempty"`
}

// Price is a target's price per compute-second (ob-usage): spot-like in
// development, on-demand in production.
type Price struct {
	PerComputeSecond float64 `yaml:"per_compute_second,omitempty" json:"per_compute_second,omitempty"`
	Currency         string  `yaml:"currency,omitempty" json:"currency,omitempty"`
	Tier             string  `yaml:"tier,omitempty" json:"tier,omitempty"`
}

// BackupSettings say where a target's snapshots go and how many are kept
// (ob-backup).
type BackupSettings struct {
	Dir  string `yaml:"dir,omitempty" json:"dir,omitempty"`
	Keep int    `yaml:"keep,omitempty" json:"keep,omitempty"`
}

// TargetData says which sample scale a target's data has.
type TargetData struct {
	Scale string `yaml:"scale,omitempty" json:"scale,omitempty"`
}

// Error is a problem in the project file, with where it is.
type Error struct {
	File         string
	Line, Column int
	Message      string
	Hint         string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": " + e.Message)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Find returns the directory of the nearest lakebench.yml at or above dir.
func Find(dir string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// TargetNames lists the targets in SDLC order: development-mode targets
// first, production last (prod or production by name), others between,
// each group sorted by name; a project without targets has dev.
func (p *Project) TargetNames() []string {
	if len(p.Targets) == 0 {
		return []string{"dev"}
	}
	rank := func(n string) int {
		switch {
		case p.Targets[n].Mode == "development":
			return 0
		case n == "prod" || n == "production":
			return 2
		}
		return 1
	}
	names := make([]string, 0, len(p.Targets))
	for n := range p.Targets {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

// DefaultTarget is the target marked default, else "dev".
func (p *Project) DefaultTarget() string {
	for _, n := range p.TargetNames() {
		if p.Targets[n].Default {
			return n
		}
	}
	return "dev"
}

// ResolveTarget checks a target name ("" means the default).
func (p *Project) ResolveTarget(name string) (string, error) {
	if name == "" {
		return p.DefaultTarget(), nil
	}
	if !ValidTargetName(name) {
		return "", fmt.Errorf("pipeline: %q is not a target name: %s (%s)", name, targetNameRule, targetNameHint(name))
	}
	if len(p.Targets) == 0 && name == "dev" {
		return name, nil
	}
	if _, ok := p.Targets[name]; !ok {
		return "", fmt.Errorf("pipeline: unknown target %q: %s has %s", name, p.File, strings.Join(p.TargetNames(), ", "))
	}
	return name, nil
}

// targetNamePattern is what a target name is: an identifier, never a
// path part, so each name has its own file and no two names share one.
var targetNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

const targetNameRule = "target names start with a lowercase letter followed by lowercase letters, digits, _ or - ([a-z][a-z0-9_-]*)"

// ValidTargetName reports whether name is a target name: [a-z][a-z0-9_-]*.
func ValidTargetName(name string) bool { return targetNamePattern.MatchString(name) }

// targetNameHint suggests the name a user probably meant.
func targetNameHint(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0, (r == '_' || r == '-') && b.Len() > 0:
			b.WriteRune(r)
		}
	}
	if s := b.String(); s != "" && s != name {
		return fmt.Sprintf("did you mean %s? a target is named, not a path", s)
	}
	return "name targets like dev, staging or prod"
}

// DatabasePath is the DuckDB file of a target: .lakebench/<target>.duckdb.
// Loading refuses names that are not identifiers; should one reach here
// anyway, every byte outside [a-z0-9_-] is escaped as %XX, so the mapping
// stays one-to-one and inside .lakebench (no name is a path).
func (p *Project) DatabasePath(target string) string {
	if ValidTargetName(target) {
		return filepath.Join(p.Dir, ".lakebench", target+".duckdb")
	}
	var b strings.Builder
	b.WriteString("%")
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return filepath.Join(p.Dir, ".lakebench", b.String()+".duckdb")
}

// Scale is the sample data scale of a target: its data.scale, else the
// target's name when it is one of dev, staging and prod, else dev.
func (p *Project) Scale(target string) string {
	if s := p.Targets[target].Data.Scale; s != "" {
		return s
	}
	switch target {
	case "staging", "prod":
		return target
	}
	return "dev"
}

// SampleRoot is the directory whose landing/ folder holds the target's
// files, where the sample generator writes: the sources' paths name it
// (landing/orders/*.parquet for dev, data/staging/landing/orders/*.parquet
// for staging), so each target keeps its own data.
func (p *Project) SampleRoot() (string, error) {
	root := ""
	for _, name := range sortedKeys(p.Resources.Sources) {
		landing := filepath.Dir(filepath.Dir(p.Resources.Sources[name].Path))
		if filepath.Base(landing) != "landing" {
			return "", fmt.Errorf("pipeline: source %s reads %s: the sample writes <dir>/landing/%s/, so its path must be .../landing/%s/*", name, p.Resources.Sources[name].Path, name, name)
		}
		if root != "" && landing != root {
			return "", fmt.Errorf("pipeline: sources read different landing zones (%s and %s): the sample writes one", root, landing)
		}
		root = landing
	}
	if root == "" {
		return p.Dir, nil
	}
	return filepath.Join(p.Dir, filepath.Dir(root)), nil
}

// NextSample drops the next day's sample batch into the target's landing
// zone; a target with no sample yet is told how to generate one.
func (p *Project) NextSample(ctx context.Context) (sampledata.Report, error) {
	dir, err := p.SampleRoot()
	if err != nil {
		return sampledata.Report{}, err
	}
	if !sampledata.HasState(dir) {
		return sampledata.Report{}, fmt.Errorf("target %s has no sample data yet: run `lakebench sample generate -t %s` first", p.Target, p.Target)
	}
	return sampledata.Next(ctx, dir)
}

// Plural counts a noun for messages: 1 error, 2 errors, 0 errors.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
