package pipeline

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// descriptions document the keys of lakebench.yml in its JSON Schema.
var descriptions = map[string]string{
	"bundle":                   "The bundle's name, as in databricks.yml.",
	"project":                  "The final project: the problem statement and the team.",
	"include":                  "Globs of more YAML files merged into this one.",
	"variables":                "Variables used as ${var.name}; targets and --var name=value override the default.",
	"run_as":                   "The identity jobs run as: a user_name or a service_principal_name.",
	"permissions":              "Who may view (CAN_VIEW), run jobs (CAN_RUN) or deploy, destroy and change grants (CAN_MANAGE) on the target: a level and one of user_name, service_principal_name, group_name. Checked against what is deployed; the first deployer owns the target.",
	"resources":                "What the bundle deploys and runs.",
	"compute":                  "The machine DuckDB may use on a target: memory (its memory_limit, such as 3GB) and threads. A target's compute overrides the top level's key by key; unset, half the machine's memory and a thread per core. Tasks run side by side only while their estimated memory fits together.",
	"memory":                   "DuckDB's memory_limit, such as 3GB, 512MB or 2GiB (at least 64 MB).",
	"threads":                  "DuckDB's worker threads (at least 1).",
	"targets":                  "Deployment targets (dev, staging, prod) and their overrides; a name is [a-z][a-z0-9_-]*.",
	"sources":                  "Landing-zone folders, each loaded into bronze.<name>.",
	"transforms":               "Globs of SQL model files; each file is one SELECT and its path names the table (sql/gold/x.sql builds gold.x).",
	"models":                   "Per-model settings keyed by table: unique_key (incremental), owner, domain, description.",
	"quality":                  "Data-quality rules per table; rows failing an error rule go to <table>_quarantine.",
	"quality_monitors":         "Freshness objectives, profiles and drift per table.",
	"registered_models":        "ML models trained from a table's features and label.",
	"dashboards":               "Dashboards: tiles, each one SELECT run as the viewer (under their grants) drawn as a kpi, a chart or a table; `lakebench dashboard NAME` prints one.",
	"alerts":                   "Alerts, as Databricks SQL alerts v2: a query's source column (aggregated, or its first row) compared with a threshold value or column; evaluated after every job run and by `lakebench alerts check`; every evaluation in sys.alert_history. The short form query, column, op, threshold, message is read too.",
	"display_name":             "The alert's name as shown.",
	"query_text":               "The alert's query: one SELECT, run as the principal evaluating it.",
	"evaluation":               "How the alert is evaluated: source, comparison_operator, threshold, empty_result_state, notification.",
	"source":                   "The result's column compared: name, and an aggregation over the rows (none: the first row's value).",
	"aggregation":              "SUM, COUNT, COUNT_DISTINCT, AVG, MEDIAN, MIN, MAX or STDDEV over the query's rows; none takes the first row's value.",
	"comparison_operator":      "How the source compares with the threshold; IS_NULL and IS_NOT_NULL take no threshold. The short forms > >= < <= == != are read too.",
	"empty_result_state":       "The alert's state when the query returns no rows (default UNKNOWN).",
	"notification":             "When to notify: on a transition into TRIGGERED; back to OK with notify_on_ok; again while TRIGGERED after retrigger_seconds (0: never).",
	"notify_on_ok":             "Notify also when the alert returns to OK from TRIGGERED.",
	"retrigger_seconds":        "While the alert stays TRIGGERED, notify again once this many seconds passed since the last notification (0 or unset: never).",
	"notify":                   "lakebench's local notification: command (argv, no shell) run in the project directory on a notification, with the alert as JSON on standard input; its failure is recorded, never fatal.",
	"command":                  "The program and its arguments, as a list (no shell).",
	"timeout_seconds":          "How long the notification command may run (default 30).",
	"custom_summary":           "The message of a triggered alert.",
	"Alert.threshold":          "Short form: the value the column is compared with (a number, string or boolean).",
	"Alert.op":                 "Short form: the comparison (> >= < <= == != or an operator name).",
	"Alert.query":              "Short form of query_text.",
	"Alert.column":             "Short form: the column of the first row compared.",
	"Alert.message":            "Short form of custom_summary.",
	"AlertCondition.threshold": "A value ({value: {double_value|string_value|bool_value}}) or another column of the result ({column: {name, aggregation}}).",
	"jobs":                     "Jobs: DAGs of tasks (ingest, transform, quality, train, predict, alerts, sql).",
	"schemas":                  "Grants on schemas (and their tables): SELECT, MODIFY, ALL_PRIVILEGES.",
	"groups":                   "Groups of principals for grants.",
	"mode":                     "development (your identity, schedules paused) or production (service principal only). Recorded at the first deploy; only the owner weakens it, with --allow-mode-change.",
	"default":                  "The target used when -t is not given.",
	"data":                     "Which sample scale the target's data has: dev, staging or prod.",
	"depends_on":               "Task keys this task waits for.",
	"type":                     "ingest, transform, quality, train, predict, alerts or sql.",
	"criticality":              "error quarantines failing rows; warn only counts them.",
	"check":                    "is_not_null, is_not_null_and_not_empty, is_in_range, is_in_list or sql_expression.",
	"freshness":                "The freshness objective, such as 24h or 2d.",
	"unique_key":               "Columns that identify a row: the model becomes incremental.",
	"schema_hints":             "Column types that override the sniffed ones (column: DuckDB type), as Auto Loader's schemaHints.",
	"null_values":              "CSV values read as NULL besides the empty field, such as NA (as Auto Loader's nullValue).",
	"on_change":                "What a run does with a landing file changed after it was loaded: warn (keep the old rows, the default), reload (replace its rows) or quarantine (its new rows go to quarantine).",
	// Keys whose meaning depends on where they are: type name, dot, key.
	"Tile.kind":               "kpi (a value and its change against the previous period), chart or table; unset, a tile with a value is a kpi, one with a chart a chart, else a table.",
	"Tile.query":              "One SELECT (a query that writes is refused), run as the viewer; at most 1000 rows are drawn.",
	"Tile.chart":              "bar, line, timeseries (a date or time x), scatter or sparkline.",
	"Tile.x":                  "The chart's x column (default: the first).",
	"Tile.y":                  "The chart's y column, a number (default: the first numeric column after x).",
	"Tile.value":              "The KPI's column, read from the first row (default: the first numeric column).",
	"Tile.previous":           "A column of the same row holding the previous period's value, to compare the KPI with.",
	"Tile.previous_query":     "A SELECT whose first row holds the previous period's value (in the value's column, else its first numeric one); instead of previous.",
	"Tile.good":               "Which way a KPI's change is good (green): up (the default) or down.",
	"Tile.format":             "How a KPI's value shows: number (the default), money or percent (0.12 shows as 12.0%).",
	"Tile.width":              "How many grid columns the tile spans when the terminal has room for several (1 by default).",
	"presentation":            "The team's talk, which `lakebench demo` walks in the TUI and `lakebench slides` writes as a deck: title, team, talk and questions lengths, next steps and steps; unset, the course guide's nine steps over 15 minutes.",
	"Presentation.title":      "The talk's title (default: the bundle's name).",
	"Presentation.team":       "The team's name, on the first slide and in the demo's caption bar.",
	"Presentation.talk":       "The talk's length, such as 15m (the default); the demo's status bar counts it down.",
	"Presentation.questions":  "The questions' length after the talk, such as 5m (the default).",
	"Presentation.next_steps": "What the team would do next: the last step's caption and a slide.",
	"Presentation.insights":   "What `lakebench slides` computes its insights from, each one SELECT run as the presenter (as a tile's query): revenue (a day and an amount per row) and risk (a segment and its churn risk per row); unset, the dashboards' revenue time series and churn-risk bar chart.",
	"Insights.revenue":        "A SELECT of a day and an amount per row (summed per day): the deck finds its largest day-over-day changes and its dip.",
	"Insights.risk":           "A SELECT of a segment and its churn risk (a share, 0 to 1) per row: the deck shows the highest.",
	"Presentation.steps":      "The talk in order (default: problem, team, architecture, pipeline, incident, model, dashboard, insights, next_steps).",
	"Step.id":                 "The step: one of the guide's sections (problem, team, architecture, pipeline, incident, model, dashboard, insights, next_steps) or a word of the team's own.",
	"Step.title":              "The caption bar's headline (default: the id).",
	"Step.view":               "The role view the step shows.",
	"Step.select":             "What the view selects: a table (gold.daily_revenue) or panel (lineage, catalog, sla, cost, audit) in architect; a panel (quality, runs, log, profiles, health, tests) in engineer; a model (churn) in ml; a dashboard (revenue) or pane (alerts, catalog, history) in analyst.",
	"Step.presenter":          "Who presents the step: a name from project.team (default: the member of the view's role).",
	"Step.time":               "The step's planned length, such as 2m or 90s; the demo turns amber when a step runs past its planned end.",
	"Step.caption":            "The one line the caption bar narrates.",
	"Step.notes":              "The presenter's notes: `p` shows them in the demo; the slides' speaker notes.",
	"Task.models":             "The models a transform or quality task builds or checks: table names (gold.daily_revenue) or patterns (gold.*, silver.order*), so a new model file of a layer is built by the next run; empty means every model. A pattern that matches nothing is an error.",
}

var enums = map[string][]string{
	"mode":                {"development", "production"},
	"type":                TaskTypes,
	"criticality":         {"error", "warn"},
	"check":               {"is_not_null", "is_not_null_and_not_empty", "is_in_range", "is_in_list", "sql_expression"},
	"scale":               {"dev", "staging", "prod"},
	"format":              {"csv", "json", "parquet"},
	"chart":               Charts,
	"Tile.chart":          Charts,
	"Tile.kind":           TileKinds,
	"Tile.format":         TileFormats,
	"Tile.good":           GoodDirections,
	"Alert.op":            append(append([]string{}, AlertOps...), AlertOperators...),
	"comparison_operator": append(append([]string{}, AlertOperators...), AlertOps...),
	"aggregation":         AlertAggregations,
	"empty_result_state":  AlertStates,
	"role":                Roles,
	"Step.view":           Roles,
	"level":               PermissionLevels,
	"task":                {"classification", "regression"},
	"on_change":           lakehouse.ChangePolicies,
}

// scalarTypes are the JSON types of the keys decoded as any.
var scalarTypes = map[string]any{
	"double_value":      "number",
	"string_value":      "string",
	"bool_value":        "boolean",
	"notify_on_ok":      "boolean",
	"retrigger_seconds": "integer",
	"timeout_seconds":   "integer",
	"Alert.threshold":   []string{"number", "string", "boolean"},
}

// JSONSchema returns the JSON Schema (draft 2020-12) of lakebench.yml,
// generated from the same types the loader decodes into.
func JSONSchema() ([]byte, error) {
	root := schemaOf(reflect.TypeOf(Project{}), "")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "lakebench.yml"
	root["required"] = []string{"bundle"}
	return json.MarshalIndent(root, "", "  ")
}

func schemaOf(t reflect.Type, key string) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s := map[string]any{}
	if t == reflect.TypeOf(TaskRefs{}) {
		s["description"] = descriptions[key]
		s["type"] = "array"
		s["items"] = map[string]any{"anyOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "object", "properties": map[string]any{"task_key": map[string]any{"type": "string"}},
				"required": []string{"task_key"}, "additionalProperties": false},
		}}
		return s
	}
	if t == reflect.TypeOf(QualityCheck{}) {
		// DQX's {function, arguments} or the short form's function name.
		fns := QualityFunctions()
		s["description"] = "the check function, or DQX's {function, arguments}"
		s["anyOf"] = []any{
			map[string]any{"type": "string", "enum": fns},
			map[string]any{"type": "object", "properties": map[string]any{
				"function": map[string]any{"type": "string", "enum": fns}, "arguments": map[string]any{"type": "object"}},
				"required": []string{"function"}, "additionalProperties": false},
		}
		return s
	}
	if d, ok := descriptions[key]; ok {
		s["description"] = d
	}
	switch t.Kind() {
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			fieldKey := name
			if _, ok := descriptions[t.Name()+"."+name]; ok {
				fieldKey = t.Name() + "." + name
			}
			props[name] = schemaOf(f.Type, fieldKey)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		s["type"] = "object"
		s["properties"] = props
		s["additionalProperties"] = false
		if len(required) > 0 && key != "" {
			s["required"] = required
		}
		if t == reflect.TypeOf(Permission{}) {
			// A level and exactly one principal, as bundles have them.
			s["required"] = []string{"level"}
			var one []any
			for _, k := range []string{"user_name", "service_principal_name", "group_name"} {
				one = append(one, map[string]any{"required": []string{k}})
			}
			s["oneOf"] = one
		}
	case reflect.Map:
		s["type"] = "object"
		s["additionalProperties"] = schemaOf(t.Elem(), "")
		if key == "targets" {
			s["propertyNames"] = map[string]any{"pattern": targetNamePattern.String()}
		}
	case reflect.Slice:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem(), "")
	case reflect.String:
		s["type"] = "string"
		if e, ok := enums[key]; ok {
			s["enum"] = e
		}
	case reflect.Bool:
		s["type"] = "boolean"
	case reflect.Int, reflect.Int64:
		s["type"] = "integer"
	case reflect.Float64:
		s["type"] = "number"
	case reflect.Interface:
		// any value, unless the key says which (fields read as any so a
		// wrong value is reported with its place)
		if t, ok := scalarTypes[key]; ok {
			s["type"] = t
		}
	}
	return s
}
