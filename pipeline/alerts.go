package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// Alerts, as Databricks SQL alerts v2: each evaluation runs the alert's
// query as the principal evaluating it (its SELECT checked on the bound
// plan, as any query), has DuckDB aggregate the source column over the
// result (and the threshold column, when the threshold is a column),
// compares the two in Go, and records the outcome in sys.alert_history. A
// transition runs the bundle's notification command. Alerts are evaluated
// after every job run, as its last step, by a job's alerts task, and on
// demand (`lakebench alerts check`, the TUI).

// AlertState is an alert's state, as Databricks SQL alerts v2 name them.
type AlertState string

// The states of an alert.
const (
	AlertUnknown   AlertState = "UNKNOWN"
	AlertOK        AlertState = "OK"
	AlertTriggered AlertState = "TRIGGERED"
	AlertError     AlertState = "ERROR"
)

// AlertStates are the states an alert can be in (and an empty result can
// be given).
var AlertStates = []string{string(AlertUnknown), string(AlertOK), string(AlertTriggered), string(AlertError)}

// AlertOperators are the comparisons an alert can make.
var AlertOperators = []string{"GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL",
	"EQUAL", "NOT_EQUAL", "IS_NULL", "IS_NOT_NULL"}

// AlertOps are the short forms of the operators, accepted wherever an
// operator is.
var AlertOps = []string{">", ">=", "<", "<=", "==", "!="}

var shortOps = map[string]string{">": "GREATER_THAN", ">=": "GREATER_THAN_OR_EQUAL", "<": "LESS_THAN",
	"<=": "LESS_THAN_OR_EQUAL", "==": "EQUAL", "!=": "NOT_EQUAL"}

// AlertAggregations are the aggregations of a source or threshold column
// over the query's result; without one, the column's value in the first
// row is used.
var AlertAggregations = []string{"SUM", "COUNT", "COUNT_DISTINCT", "AVG", "MEDIAN", "MIN", "MAX", "STDDEV"}

// aggFuncs are DuckDB's functions for the aggregations (COUNT_DISTINCT is
// count(DISTINCT ...)).
var aggFuncs = map[string]string{"SUM": "sum", "COUNT": "count", "AVG": "avg", "MEDIAN": "median",
	"MIN": "min", "MAX": "max", "STDDEV": "stddev_samp"}

// defaultNotifyTimeout bounds a notification command without
// timeout_seconds.
const defaultNotifyTimeout = 30 * time.Second

// AlertEvaluation is one evaluation of an alert: a row of sys.alert_history.
type AlertEvaluation struct {
	Alert string     `json:"alert"`
	At    time.Time  `json:"evaluated_at"`
	State AlertState `json:"state"`
	// Value is the evaluated source value as text ("" when none);
	// Threshold the value or column it was compared with; Op the operator.
	Value     string `json:"value"`
	Op        string `json:"op"`
	Threshold string `json:"threshold"`
	Message   string `json:"message,omitempty"`
	// Error is why the state is ERROR.
	Error string `json:"error,omitempty"`
	// RunID is the job run that evaluated it ("" on demand).
	RunID string `json:"run_id,omitempty"`
	// Notified is true when the notification command ran for this
	// transition; NotifyError is its failure, if it failed.
	Notified    bool   `json:"notified,omitempty"`
	NotifyError string `json:"notify_error,omitempty"`
}

// AlertStatus is an alert of the bundle with its latest evaluation and its
// recent history (newest first).
type AlertStatus struct {
	AlertEvaluation
	DisplayName   string            `json:"display_name,omitempty"`
	LastTriggered time.Time         `json:"last_triggered,omitzero"`
	History       []AlertEvaluation `json:"history,omitempty"`
}

// alertSpec is an alert as it is evaluated, whichever form the bundle
// wrote it in.
type alertSpec struct {
	name, display, query, message string
	source                        AlertColumn
	op                            string
	// value is the threshold value (float64, string or bool); column the
	// threshold column; both nil for IS_NULL and IS_NOT_NULL.
	value         any
	column        *AlertColumn
	empty         AlertState
	notifyOnOK    bool
	retrigger     time.Duration
	subscriptions []AlertSubscription
	command       []string
	timeout       time.Duration
}

// alertSpec reads the named alert of the bundle in either form. Every
// problem comes back, each placed at its key in the file; the spec is
// usable only when there are none.
func (p *Project) alertSpec(name string) (alertSpec, []*Error) {
	a := p.Resources.Alerts[name]
	path := "resources.alerts." + name
	var errs []*Error
	errf := func(key, hint, format string, args ...any) {
		errs = append(errs, p.errorAt(path+key, fmt.Sprintf(format, args...), hint))
	}
	s := alertSpec{name: name, display: a.DisplayName, empty: AlertUnknown, timeout: defaultNotifyTimeout}
	short := a.Column != "" || a.Op != "" || a.Threshold != nil
	switch {
	case a.Query != "" && a.QueryText != "":
		errf(".query", "keep query_text or its short form query, not both", "alert %s has both query and query_text", name)
	case a.QueryText != "":
		s.query = a.QueryText
	case a.Query != "":
		s.query = a.Query
	default:
		errf("", "give the alert's SELECT as query_text, or query in the short form", "alert %s has no query", name)
	}
	switch {
	case a.Message != "" && a.CustomSummary != "":
		errf(".message", "keep custom_summary or its short form message, not both", "alert %s has both message and custom_summary", name)
	case a.CustomSummary != "":
		s.message = a.CustomSummary
	default:
		s.message = a.Message
	}
	if a.Evaluation != nil && short {
		errf(".evaluation", "write the condition either as evaluation with source, comparison_operator and threshold, or as column, op and threshold",
			"alert %s has both an evaluation and the short form's column, op or threshold", name)
		return s, errs
	}
	var opText, opKey string
	if a.Evaluation == nil {
		// The short form: a column of the first row against a value.
		s.source = AlertColumn{Name: a.Column}
		if a.Column == "" {
			errf("", "name the query's column to compare: column: NAME, or write an evaluation", "alert %s has no column", name)
		}
		opText, opKey = a.Op, ".op"
		if a.Threshold != nil {
			v, ok := scalarValue(a.Threshold)
			if !ok {
				errf(".threshold", "give a number, a string or true/false", "the threshold of alert %s is not a value", name)
			}
			s.value = v
		}
	} else {
		e := a.Evaluation
		s.source = e.Source
		if e.Source.Name == "" {
			errf(".evaluation.source", "name the query's column: source: {name: COLUMN}", "alert %s has no source column", name)
		}
		opText, opKey = e.ComparisonOperator, ".evaluation.comparison_operator"
		if t := e.Threshold; t != nil {
			switch {
			case t.Value != nil && t.Column != nil:
				errf(".evaluation.threshold", "compare with a value or with a column, not both", "alert %s has a threshold value and a threshold column", name)
			case t.Column != nil:
				c := *t.Column
				if c.Name == "" {
					errf(".evaluation.threshold.column", "name the column: column: {name: COLUMN}", "alert %s's threshold column has no name", name)
				}
				s.column = &c
			case t.Value != nil:
				s.value = p.thresholdValue(path+".evaluation.threshold.value", *t.Value, &errs)
			}
		}
		if e.EmptyResultState != "" {
			st := strings.ToUpper(e.EmptyResultState)
			if !slices.Contains(AlertStates, st) {
				errf(".evaluation.empty_result_state", "use one of "+strings.Join(AlertStates, ", ")+suggestHint(st, AlertStates),
					"unknown state %q", e.EmptyResultState)
			}
			s.empty = AlertState(st)
		}
		if n := e.Notification; n != nil {
			if n.NotifyOnOK != nil {
				b, ok := n.NotifyOnOK.(bool)
				if !ok {
					errf(".evaluation.notification.notify_on_ok", "write true or false", "notify_on_ok is %v, not a boolean", n.NotifyOnOK)
				}
				s.notifyOnOK = b
			}
			if n.RetriggerSeconds != nil {
				sec, ok := wholeNumber(n.RetriggerSeconds)
				if !ok || sec < 0 {
					errf(".evaluation.notification.retrigger_seconds", "give whole seconds, 0 or more; 0 never notifies again while triggered",
						"retrigger_seconds is %v, not a number of seconds", n.RetriggerSeconds)
				}
				s.retrigger = time.Duration(sec) * time.Second
			}
			s.subscriptions = n.Subscriptions
		}
	}
	for _, c := range []*AlertColumn{&s.source, s.column} {
		if c == nil || c.Aggregation == "" {
			continue
		}
		agg := strings.ToUpper(c.Aggregation)
		if !slices.Contains(AlertAggregations, agg) {
			key := ".evaluation.source.aggregation"
			if c == s.column {
				key = ".evaluation.threshold.column.aggregation"
			}
			errf(key, "use one of "+strings.Join(AlertAggregations, ", ")+", or none for the first row's value"+suggestHint(agg, AlertAggregations),
				"unknown aggregation %q", c.Aggregation)
		}
		c.Aggregation = agg
	}
	op := strings.ToUpper(opText)
	if long, ok := shortOps[opText]; ok {
		op = long
	}
	switch {
	case opText == "":
		errf(strings.TrimSuffix(opKey, ".op"), "compare with one of "+strings.Join(AlertOperators, ", ")+" or "+strings.Join(AlertOps, " "),
			"alert %s has no comparison operator", name)
	case !slices.Contains(AlertOperators, op):
		errf(opKey, "use one of "+strings.Join(AlertOperators, ", ")+" or "+strings.Join(AlertOps, " ")+suggestHint(op, AlertOperators),
			"unknown comparison %q", opText)
	case op == "IS_NULL" || op == "IS_NOT_NULL":
		if s.value != nil || s.column != nil {
			errf(opKey, "remove the threshold: "+op+" compares with none", "%s takes no threshold", op)
		}
	case s.value == nil && s.column == nil && len(errs) == 0:
		key := ".evaluation.threshold"
		if a.Evaluation == nil {
			key = ""
		}
		errf(key, "give threshold: {value: {double_value: N}} or {column: {name: COLUMN}}; in the short form threshold: N",
			"alert %s compares with %s but has no threshold", name, op)
	}
	s.op = op
	if a.Notify != nil {
		s.command = a.Notify.Command
		if len(s.command) == 0 || s.command[0] == "" {
			errf(".notify.command", "give the program and its arguments as a list: command: [./notify.sh, --channel, data]", "the notification has no command")
		}
		if a.Notify.TimeoutSeconds != nil {
			sec, ok := wholeNumber(a.Notify.TimeoutSeconds)
			if !ok || sec <= 0 {
				errf(".notify.timeout_seconds", "give whole seconds, at least 1", "timeout_seconds is %v, not a number of seconds", a.Notify.TimeoutSeconds)
			}
			s.timeout = time.Duration(sec) * time.Second
		}
	}
	return s, errs
}

// thresholdValue reads a threshold's value: exactly one of double_value,
// string_value and bool_value, of its type.
func (p *Project) thresholdValue(path string, v AlertValue, errs *[]*Error) any {
	errf := func(key, hint, format string, args ...any) {
		*errs = append(*errs, p.errorAt(path+key, fmt.Sprintf(format, args...), hint))
	}
	set := 0
	var out any
	if v.DoubleValue != nil {
		set++
		f, ok := lakehouse.Number(v.DoubleValue)
		if !ok {
			errf(".double_value", "give a number, or use string_value", "double_value is %v, not a number", v.DoubleValue)
		}
		out = f
	}
	if v.StringValue != nil {
		set++
		s, ok := v.StringValue.(string)
		if !ok {
			s = fmt.Sprint(v.StringValue)
		}
		out = s
	}
	if v.BoolValue != nil {
		set++
		b, ok := v.BoolValue.(bool)
		if !ok {
			errf(".bool_value", "write true or false", "bool_value is %v, not a boolean", v.BoolValue)
		}
		out = b
	}
	if set != 1 {
		errf("", "give exactly one of double_value, string_value and bool_value", "the threshold value has %d of double_value, string_value and bool_value", set)
	}
	return out
}

// scalarValue is a short-form threshold: a number, a string or a boolean.
func scalarValue(v any) (any, bool) {
	switch x := v.(type) {
	case string, bool:
		return x, true
	}
	return lakehouse.Number(v)
}

// wholeNumber is a YAML number without a fraction.
func wholeNumber(v any) (int64, bool) {
	f, ok := lakehouse.Number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// validateAlerts checks every alert, in name order: its form, and that
// its query is one SELECT that reads tables the project has (checkQuery).
func (p *Project) validateAlerts(ctx context.Context, lh sqlParser, add func(*Error), checkQuery func(path, query string)) {
	for _, n := range sortedKeys(p.Resources.Alerts) {
		s, errs := p.alertSpec(n)
		for _, e := range errs {
			add(e)
		}
		if s.query == "" {
			continue
		}
		key := "resources.alerts." + n + ".query_text"
		if p.Resources.Alerts[n].QueryText == "" {
			key = "resources.alerts." + n + ".query"
		}
		if _, err := lh.TableRefs(ctx, s.query); err != nil && !isSyntaxError(err) {
			// It parses, but it is not one SELECT: an alert only reads.
			what := "more than one statement"
			if f := strings.Fields(s.query); !strings.Contains(parseMessage(err), ", found ") && len(f) > 0 {
				what = "a " + strings.ToUpper(f[0]) + " statement"
			}
			add(p.errorAt(key, fmt.Sprintf("the query of alert %s is %s, not one SELECT", n, what),
				"an alert only reads: write one SELECT (CTEs allowed); it may not change data"))
			continue
		}
		checkQuery(key, s.query)
	}
}

// isSyntaxError tells DuckDB's parser failing on the text from a statement
// it parsed that is not a SELECT.
func isSyntaxError(err error) bool {
	var pe *lakehouse.ParseError
	if !errors.As(err, &pe) {
		return true
	}
	m := strings.ToLower(pe.Message)
	return strings.Contains(m, "syntax error") || strings.Contains(m, "parser error")
}

func parseMessage(err error) string {
	var pe *lakehouse.ParseError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// alertSQL wraps the alert's query so DuckDB computes what it compares:
// the number of rows, the source column's aggregate (or its first row's
// value) and the threshold column's. The query runs once (a materialized
// CTE), in the order it returns its rows.
func alertSQL(s alertSpec) string {
	expr := func(c AlertColumn) string {
		col := "lb_alert." + lakehouse.QuoteIdent(c.Name)
		switch c.Aggregation {
		case "":
			return "(SELECT " + col + " FROM lb_alert LIMIT 1)"
		case "COUNT_DISTINCT":
			return "(SELECT count(DISTINCT " + col + ") FROM lb_alert)"
		}
		return "(SELECT " + aggFuncs[c.Aggregation] + "(" + col + ") FROM lb_alert)"
	}
	q := strings.TrimRight(strings.TrimSpace(s.query), "; \t\n")
	out := "WITH lb_alert AS MATERIALIZED (\n" + q + "\n)\nSELECT (SELECT count(*) FROM lb_alert) AS lb_rows, " + expr(s.source) + " AS lb_value"
	if s.column != nil {
		out += ", " + expr(*s.column) + " AS lb_threshold"
	}
	return out
}

// now is the project's clock.
func (p *Project) now() time.Time {
	if p.Clock != nil {
		return p.Clock()
	}
	return time.Now()
}

// evaluate runs one alert's query as principal and compares. The query is
// checked on its bound plan (a query that writes is refused) in a
// transaction of its own, rolled back; its read is audited. Whatever goes
// wrong is the evaluation's ERROR; a refusal by the grants is returned
// too (an *AccessError), for a job's alerts task to fail with.
func (p *Project) evaluate(ctx context.Context, lh *lakehouse.Lakehouse, principal string, s alertSpec, at time.Time) (AlertEvaluation, error) {
	ev, err, _ := p.evaluateIf(ctx, lh, principal, s, at, nil)
	return ev, err
}

// evaluateIf is evaluate, but when run is set it evaluates the alert only
// if run says so of the tables its query reads (on its bound plan, the
// principal allowed to read them): else, and whenever the query is
// refused or writes, it reads nothing and says not done, for evaluate to
// do later.
func (p *Project) evaluateIf(ctx context.Context, lh *lakehouse.Lakehouse, principal string, s alertSpec, at time.Time, run func(reads []lakehouse.TableName) bool) (ev AlertEvaluation, refusal error, done bool) {
	ev = AlertEvaluation{Alert: s.name, At: at, Op: s.op, State: AlertError}
	if s.value != nil {
		ev.Threshold = formatValue(s.value)
	}
	q := alertSQL(s)
	tx, err := lh.BeginAs(ctx, principal)
	if err != nil {
		ev.Error = err.Error()
		return ev, nil, run == nil
	}
	defer tx.Rollback()
	reads, writes, err := tx.AuthorizeSQL(ctx, q)
	if err == nil && len(writes) > 0 {
		err = fmt.Errorf("pipeline: alert %s: its query writes %v: an alert only reads", s.name, writes)
	}
	if run != nil && (err != nil || !run(reads)) {
		return ev, nil, false
	}
	var res *lakehouse.Result
	if err == nil {
		res, err = tx.Query(ctx, q)
	}
	tables := make([]string, len(reads))
	for i, r := range reads {
		tables[i] = r.String()
	}
	var ae *lakehouse.AccessError
	audit := lakehouse.AuditEvent{Principal: principal, Action: "alert", Tables: tables, Allowed: !errors.As(err, &ae), Detail: s.name, Statement: q}
	if err != nil {
		audit.Detail += ": " + firstLine(err.Error())
		if audit.Allowed {
			audit.Result = "error: " + firstLine(err.Error())
		}
	} else {
		audit.Rows = 1
	}
	if aerr := lh.Audit(context.WithoutCancel(ctx), audit); aerr != nil && err == nil {
		// Every access is in the audit: one that cannot be is withheld.
		err = fmt.Errorf("its read could not be audited, so its result is withheld: %w", aerr)
	}
	if err != nil {
		ev.Error = fmt.Sprintf("alert %s: %v", s.name, err)
		if ae != nil {
			return ev, err, true
		}
		return ev, nil, true
	}
	row := res.Rows[0]
	rows, _ := lakehouse.Number(row[0])
	if s.column != nil {
		ev.Threshold = columnText(*s.column) + " = " + formatValue(row[2])
	}
	if rows == 0 {
		ev.State, ev.Message = s.empty, "the query returned no rows (empty_result_state "+string(s.empty)+")"
		return ev, nil, true
	}
	v := row[1]
	ev.Value = formatValue(v)
	var threshold any = s.value
	if s.column != nil {
		threshold = row[2]
	}
	fired, note, err := compare(s.op, v, threshold)
	switch {
	case err != nil:
		ev.Error = fmt.Sprintf("alert %s: %s %s: %v", s.name, columnText(s.source), s.op, err)
	case note != "":
		ev.State, ev.Message = AlertUnknown, note
	case fired:
		ev.State, ev.Message = AlertTriggered, s.message
	default:
		ev.State = AlertOK
	}
	return ev, nil, true
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// columnText names a column with its aggregation: AVG(share).
func columnText(c AlertColumn) string {
	if c.Aggregation == "" {
		return c.Name
	}
	return c.Aggregation + "(" + c.Name + ")"
}

// compare applies op to a value and a threshold. Numbers compare as
// numbers, booleans as booleans (false before true), times as times, and
// anything else as text; a string threshold against a number or boolean
// is read as one. A NULL on either side decides nothing but IS_NULL and
// IS_NOT_NULL: note says so, and the state is UNKNOWN.
func compare(op string, v, t any) (fired bool, note string, err error) {
	switch op {
	case "IS_NULL":
		return v == nil, "", nil
	case "IS_NOT_NULL":
		return v != nil, "", nil
	}
	if v == nil {
		return false, "the value is NULL: only IS_NULL and IS_NOT_NULL decide on it", nil
	}
	if t == nil {
		return false, "the threshold is NULL: nothing compares with it", nil
	}
	c, err := order(v, t)
	if err != nil {
		return false, "", err
	}
	switch op {
	case "GREATER_THAN":
		return c > 0, "", nil
	case "GREATER_THAN_OR_EQUAL":
		return c >= 0, "", nil
	case "LESS_THAN":
		return c < 0, "", nil
	case "LESS_THAN_OR_EQUAL":
		return c <= 0, "", nil
	case "EQUAL":
		return c == 0, "", nil
	case "NOT_EQUAL":
		return c != 0, "", nil
	}
	return false, "", fmt.Errorf("unknown operator %q", op)
}

// order compares two non-NULL values: -1, 0 or 1.
func order(v, t any) (int, error) {
	if a, ok := lakehouse.Number(v); ok {
		b, ok := lakehouse.Number(t)
		if s, isText := t.(string); !ok && isText {
			b, ok = parseNumber(s)
		}
		if !ok {
			return 0, fmt.Errorf("the value %s is a number but the threshold %s is not", formatValue(v), formatValue(t))
		}
		return cmpFloat(a, b), nil
	}
	if a, ok := v.(bool); ok {
		b, ok := t.(bool)
		if s, isText := t.(string); !ok && isText {
			b, ok = parseBool(s)
		}
		if !ok {
			return 0, fmt.Errorf("the value %s is a boolean but the threshold %s is not", formatValue(v), formatValue(t))
		}
		return cmpBool(a, b), nil
	}
	if a, ok := v.(time.Time); ok {
		if b, ok := t.(time.Time); ok {
			return a.Compare(b), nil
		}
	}
	// Text: a string value against a number or boolean threshold is read
	// as one when it can be.
	if s, ok := v.(string); ok {
		if b, ok := lakehouse.Number(t); ok {
			if a, ok := parseNumber(s); ok {
				return cmpFloat(a, b), nil
			}
			return 0, fmt.Errorf("the value %q is text but the threshold %s is a number", s, formatValue(t))
		}
		if b, ok := t.(bool); ok {
			if a, ok := parseBool(s); ok {
				return cmpBool(a, b), nil
			}
			return 0, fmt.Errorf("the value %q is text but the threshold %v is a boolean", s, b)
		}
	}
	return strings.Compare(formatValue(v), formatValue(t)), nil
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// formatValue is a value as text: numbers in their shortest form, dates
// as dates, NULL as "".
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// notificationDue reports whether an evaluation notifies: on a transition
// into TRIGGERED; back to OK from TRIGGERED with notify_on_ok; and while
// TRIGGERED, again once retrigger has passed since the last notification.
func notificationDue(s alertSpec, prev, state AlertState, lastNotified, now time.Time) bool {
	switch {
	case state == AlertTriggered && prev != AlertTriggered:
		return true
	case state == AlertTriggered:
		return s.retrigger > 0 && (lastNotified.IsZero() || now.Sub(lastNotified) >= s.retrigger)
	case state == AlertOK && prev == AlertTriggered:
		return s.notifyOnOK
	}
	return false
}

// notification is what a notification command reads on its standard input.
type notification struct {
	AlertEvaluation
	DisplayName   string              `json:"display_name,omitempty"`
	PreviousState AlertState          `json:"previous_state"`
	Target        string              `json:"target"`
	Bundle        string              `json:"bundle"`
	QueryText     string              `json:"query_text"`
	Subscriptions []AlertSubscription `json:"subscriptions,omitempty"`
}

// notify runs the alert's notification command with the evaluation as
// JSON on its standard input, in the project directory, for at most the
// alert's timeout (and no longer than ctx). It returns the failure as
// text ("" on success): a notification never fails an evaluation.
func (p *Project) notify(ctx context.Context, s alertSpec, ev AlertEvaluation, prev AlertState) string {
	in, err := json.Marshal(notification{AlertEvaluation: ev, DisplayName: s.display, PreviousState: prev, Target: p.Target,
		Bundle: p.Bundle.Name, QueryText: s.query, Subscriptions: s.subscriptions})
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.command[0], s.command[1:]...)
	cmd.Dir = p.Dir
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(cmd.Environ(), "LAKEBENCH_ALERT="+s.name, "LAKEBENCH_ALERT_STATE="+string(ev.State), "LAKEBENCH_TARGET="+p.Target)
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A command that leaves a child holding its output is not waited for
	// past its end.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	switch {
	case err == nil:
		return ""
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("notification command %s did not finish within %s and was stopped", s.command[0], s.timeout)
	case ctx.Err() != nil:
		return fmt.Sprintf("notification command %s was stopped: %v", s.command[0], ctx.Err())
	}
	msg := fmt.Sprintf("notification command %s failed: %v", s.command[0], err)
	if o := strings.TrimSpace(out.String()); o != "" {
		msg += ": " + o
	}
	return msg
}

// tailBuffer keeps the last 1 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 1024 {
		t.b = t.b[len(t.b)-1024:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// CheckAlerts evaluates the named alerts (all when names is empty) now, as
// the principal of lh, records each evaluation in sys.alert_history and
// runs the notification command on a transition (its failure is recorded,
// never returned). runID is the job run evaluating them ("" on demand).
// An alert that cannot be evaluated (its query fails, or the principal may
// not read what it reads) is recorded as ERROR with the reason; an error
// is returned only for an unknown name or when the history cannot be
// written (a read-only lakehouse).
func (p *Project) CheckAlerts(ctx context.Context, lh *lakehouse.Lakehouse, names []string, runID string) ([]AlertStatus, error) {
	for _, n := range names {
		if _, ok := p.Resources.Alerts[n]; !ok {
			all := sortedKeys(p.Resources.Alerts)
			return nil, fmt.Errorf("pipeline: unknown alert %q: %s has %s%s", n, p.File, orNoAlerts(all), suggestHint(n, all))
		}
	}
	if len(names) == 0 {
		names = sortedKeys(p.Resources.Alerts)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("pipeline: alerts are recorded in sys.alert_history, so checking them needs the target open for writing: %w", err)
	}
	defer tx.Rollback()
	out, _, err := p.checkAlerts(ctx, lh, tx, lh.Principal(), names, runID)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("pipeline: record alerts: %w", err)
	}
	return out, nil
}

func orNoAlerts(names []string) string {
	if len(names) == 0 {
		return "no alerts"
	}
	return "alerts " + strings.Join(names, ", ")
}

// checkAlerts evaluates alerts as principal and records them in rec, a
// transaction of lakebench's own (the evaluations run in transactions of
// their own: a failing query aborts the transaction it runs in). refused
// joins the grants' refusals of the alerts' queries (each alert is ERROR
// too); err is a failure to record.
func (p *Project) checkAlerts(ctx context.Context, lh *lakehouse.Lakehouse, rec *lakehouse.Tx, principal string, names []string, runID string) (out []AlertStatus, refused, err error) {
	logs, err := rec.AlertHistory(ctx, names, 1)
	if err != nil {
		return nil, nil, err
	}
	return p.recordAlerts(ctx, lh, rec, principal, names, runID, logs, nil)
}

// recordAlerts is checkAlerts with the alerts' last evaluations (logs)
// read, and early the evaluations already made (earlyAlerts): those are
// not made again.
func (p *Project) recordAlerts(ctx context.Context, lh *lakehouse.Lakehouse, rec *lakehouse.Tx, principal string, names []string, runID string,
	logs map[string]lakehouse.AlertLog, early map[string]AlertEvaluation) (out []AlertStatus, refused, err error) {
	var refusals []error
	var record []lakehouse.AlertEvent
	for _, n := range names {
		now := p.now()
		s, errs := p.alertSpec(n)
		var ev AlertEvaluation
		var refusal error
		if e, ok := early[n]; ok && len(errs) == 0 {
			ev, now = e, e.At
		} else if len(errs) > 0 {
			ev = AlertEvaluation{Alert: n, At: now, State: AlertError, Op: s.op, Error: "alert " + n + ": " + Diagnostics(errs).Error()}
		} else {
			ev, refusal = p.evaluate(ctx, lh, principal, s, now)
			if refusal != nil {
				refusals = append(refusals, refusal)
			}
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		ev.RunID = runID
		log := logs[n]
		prev := AlertUnknown
		if len(log.Events) > 0 {
			prev = AlertState(log.Events[0].State)
		}
		if len(errs) == 0 && len(s.command) > 0 && notificationDue(s, prev, ev.State, log.LastNotified, now) {
			ev.Notified = true
			ev.NotifyError = p.notify(ctx, s, ev, prev)
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
		}
		// An on-demand check the grants refuse says nothing of the data:
		// it is not recorded (sys.audit has the refusal), or a principal
		// who may not read an alert's tables could turn a TRIGGERED alert
		// into ERROR for everyone, and the next evaluation would notify
		// again. A job run records it: its task fails with the refusal.
		if refusal == nil || runID != "" {
			record = append(record, alertEvent(ev))
		}
		st := AlertStatus{AlertEvaluation: ev, DisplayName: s.display, LastTriggered: log.LastTriggered, History: []AlertEvaluation{ev}}
		if ev.State == AlertTriggered {
			st.LastTriggered = ev.At
		}
		out = append(out, st)
	}
	// One statement for every evaluation.
	if err := rec.RecordAlerts(context.WithoutCancel(ctx), record); err != nil {
		return nil, nil, err
	}
	return out, errors.Join(refusals...), nil
}

func alertEvent(e AlertEvaluation) lakehouse.AlertEvent {
	return lakehouse.AlertEvent{Alert: e.Alert, At: e.At, State: string(e.State), Value: e.Value, Op: e.Op, Threshold: e.Threshold,
		Message: e.Message, Error: e.Error, RunID: e.RunID, Notified: e.Notified, NotifyError: e.NotifyError}
}

func alertEvaluation(e lakehouse.AlertEvent) AlertEvaluation {
	return AlertEvaluation{Alert: e.Alert, At: e.At, State: AlertState(e.State), Value: e.Value, Op: e.Op, Threshold: e.Threshold,
		Message: e.Message, Error: e.Error, RunID: e.RunID, Notified: e.Notified, NotifyError: e.NotifyError}
}

// AlertStatuses reads each alert of the bundle's latest state and its
// history (at most history evaluations each; all when history <= 0)
// without evaluating anything, as the principal of lh (reading
// sys.alert_history needs SELECT on it, or ownership of the target). An
// alert never evaluated is UNKNOWN. Alerts are in name order.
func (p *Project) AlertStatuses(ctx context.Context, lh *lakehouse.Lakehouse, history int) ([]AlertStatus, error) {
	names := sortedKeys(p.Resources.Alerts)
	if len(names) == 0 {
		return []AlertStatus{}, nil
	}
	logs, err := lh.AlertHistory(ctx, names, history)
	if err != nil {
		return nil, err
	}
	out := make([]AlertStatus, 0, len(names))
	for _, n := range names {
		s, _ := p.alertSpec(n)
		if why := hidden(ctx, lh, s); why != "" {
			log := logs[n]
			for i := range log.Events {
				log.Events[i] = hide(log.Events[i], why)
			}
		}
		st := AlertStatus{AlertEvaluation: AlertEvaluation{Alert: n, State: AlertUnknown, Op: s.op}, DisplayName: s.display}
		if s.value != nil {
			st.Threshold = formatValue(s.value)
		} else if s.column != nil {
			st.Threshold = columnText(*s.column)
		}
		log := logs[n]
		for _, e := range log.Events {
			st.History = append(st.History, alertEvaluation(e))
		}
		if len(st.History) > 0 {
			st.AlertEvaluation = st.History[0]
		}
		st.LastTriggered = log.LastTriggered
		out = append(out, st)
	}
	return out, nil
}

// hidden says why the principal of lh may not see what an alert's
// evaluations computed ("" when it may): its query reads what the
// principal may not read, decided on the query's bound plan as an
// evaluation would be (nothing runs; a check, not an access, so not
// audited). The query is the bundle's, bound as lakebench binds the
// bundle's models (Access), so this works on a read-only lakehouse. The
// history of the target's alerts is open to a principal with a permission
// on the target, as its job history is; the values are the data's.
func hidden(ctx context.Context, lh *lakehouse.Lakehouse, s alertSpec) string {
	principal := lh.Principal()
	if principal == "" || s.query == "" {
		return "" // lakebench itself; or a broken alert, which computed nothing
	}
	reads, writes, err := lh.Access(ctx, alertSQL(s))
	if err == nil {
		err = lh.Authorize(ctx, principal, reads, writes)
	}
	var ae *lakehouse.AccessError
	switch {
	case errors.As(err, &ae):
		return ae.Error()
	case err != nil:
		// Undecided is hidden: fail closed.
		return fmt.Sprintf("%s's access to what the query reads cannot be decided: %v", principal, firstLine(err.Error()))
	case len(writes) > 0:
		return "the query writes"
	}
	return ""
}

// hide blanks what an evaluation computed from the data (its value, a
// threshold column's value, an error's or a notification's text), keeping
// its state, time and the bundle's own summary of a triggered alert.
func hide(e lakehouse.AlertEvent, why string) lakehouse.AlertEvent {
	e.Value, e.NotifyError = "", ""
	if col, _, ok := strings.Cut(e.Threshold, " = "); ok {
		e.Threshold = col
	}
	if e.State == string(AlertError) {
		e.Error = "details hidden: " + why
	}
	switch {
	case e.State == string(AlertTriggered) && e.Message != "":
		e.Message += " (values hidden: " + why + ")"
	default:
		e.Message = "values hidden: " + why
	}
	return e
}

// alertsTask evaluates a job's alerts as its principal, recorded in the
// task's transaction with the run's id; the run's last step then skips
// them (see Run). An alert whose query the principal may not run fails
// the task with the refusal; the task's work is then rolled back, and the
// run's last step records the alert as ERROR.
func (p *Project) alertsTask(lh *lakehouse.Lakehouse, names []string) (task, error) {
	t := task{kind: "alerts"}
	t.do = func(ctx context.Context, tx *lakehouse.Tx, runID string) (int64, string, error) {
		sts, refused, err := p.checkAlerts(ctx, lh, tx, tx.Principal(), names, runID)
		if err == nil {
			err = refused
		}
		if err != nil {
			return 0, "", err
		}
		return int64(len(sts)), alertSummary(sts), nil
	}
	return t, nil
}

// alertSummary says which alerts are triggered or in error.
func alertSummary(sts []AlertStatus) string {
	var fired, failed []string
	for _, s := range sts {
		switch s.State {
		case AlertTriggered:
			fired = append(fired, s.Alert)
		case AlertError:
			failed = append(failed, s.Alert)
		}
	}
	var parts []string
	if len(fired) > 0 {
		parts = append(parts, "triggered: "+strings.Join(fired, ", "))
	}
	if len(failed) > 0 {
		parts = append(parts, "error: "+strings.Join(failed, ", "))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d alerts evaluated, none triggered", len(sts))
	}
	return strings.Join(parts, "; ")
}

// runAlerts is a run's last step: every alert of the bundle not evaluated
// by one of the run's alerts tasks, evaluated as the run's principal and
// recorded with its id.
func (p *Project) runAlerts(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string, early map[string]AlertEvaluation) ([]AlertStatus, error) {
	if len(p.Resources.Alerts) == 0 {
		return nil, nil
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	logs, err := tx.AlertHistory(ctx, nil, 1)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range sortedKeys(p.Resources.Alerts) {
		if l := logs[n]; len(l.Events) == 0 || l.Events[0].RunID != runID {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	out, _, err := p.recordAlerts(ctx, lh, tx, principal, names, runID, logs, early)
	if err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// earlyAlerts evaluates, as principal, the alerts whose queries read no
// sys table: beside the monitors and the health, which write only sys
// tables, they read what they would read after them. done are the
// evaluations made already (beside the last tasks, see postSteps), which
// it returns with its own. runAlerts records them with the others
// (evaluated after those steps), notifying in the same order.
func (p *Project) earlyAlerts(ctx context.Context, lh *lakehouse.Lakehouse, principal string, done map[string]AlertEvaluation) map[string]AlertEvaluation {
	var names []string
	for _, n := range sortedKeys(p.Resources.Alerts) {
		if _, ok := done[n]; !ok {
			names = append(names, n)
		}
	}
	out := p.evaluateNoSys(ctx, lh, principal, names)
	for n, ev := range done {
		out[n] = ev
	}
	return out
}

// evaluateNoSys evaluates, as principal, those of the named alerts whose
// queries read no sys table (as earlyAlerts), in order, and returns their
// evaluations.
func (p *Project) evaluateNoSys(ctx context.Context, lh *lakehouse.Lakehouse, principal string, names []string) map[string]AlertEvaluation {
	out := map[string]AlertEvaluation{}
	for _, n := range names {
		if ctx.Err() != nil {
			break
		}
		s, errs := p.alertSpec(n)
		if len(errs) > 0 {
			continue
		}
		if ev, _, done := p.evaluateIf(ctx, lh, principal, s, p.now(), noSys); done {
			out[n] = ev
		}
	}
	return out
}
