package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// alertLake is an in-memory lakehouse with gold.m: v = 1, 2, 2, 10, NULL.
func alertLake(t *testing.T) *lakehouse.Lakehouse {
	t.Helper()
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	if _, err := lh.Exec(context.Background(), "CREATE TABLE gold.m AS SELECT * FROM (VALUES (1), (2), (2), (10), (NULL)) AS t(v)"); err != nil {
		t.Fatal(err)
	}
	return lh
}

func alertProject(t *testing.T, alerts map[string]Alert) *Project {
	return &Project{Dir: t.TempDir(), File: FileName, Target: "dev", Bundle: Bundle{Name: "t"}, Resources: Resources{Alerts: alerts}}
}

// checkOne evaluates one alert on demand and returns its status.
func checkOne(t *testing.T, p *Project, lh *lakehouse.Lakehouse, name string) AlertStatus {
	t.Helper()
	sts, err := p.CheckAlerts(context.Background(), lh, []string{name}, "")
	if err != nil {
		t.Fatalf("check %s: %v", name, err)
	}
	if len(sts) != 1 || sts[0].Alert != name {
		t.Fatalf("check %s: got %+v", name, sts)
	}
	return sts[0]
}

func valueOperand(v any) *AlertOperand {
	switch x := v.(type) {
	case string:
		return &AlertOperand{Value: &AlertValue{StringValue: x}}
	case bool:
		return &AlertOperand{Value: &AlertValue{BoolValue: x}}
	}
	return &AlertOperand{Value: &AlertValue{DoubleValue: v}}
}

// TestAlertOperators: every operator, long and short, on numbers, text,
// booleans, dates and NULLs, each evaluated by a real query.
func TestAlertOperators(t *testing.T) {
	lh := alertLake(t)
	for i, tc := range []struct {
		value     string // SQL of the value
		op        string
		threshold any
		want      AlertState
	}{
		{"5", "GREATER_THAN", 4, AlertTriggered},
		{"5", "GREATER_THAN", 5, AlertOK},
		{"5", ">", 4.5, AlertTriggered},
		{"5", "GREATER_THAN_OR_EQUAL", 5, AlertTriggered},
		{"4", ">=", 5, AlertOK},
		{"4", "LESS_THAN", 5, AlertTriggered},
		{"5", "<", 5, AlertOK},
		{"5", "LESS_THAN_OR_EQUAL", 5, AlertTriggered},
		{"6", "<=", 5, AlertOK},
		{"5", "EQUAL", 5, AlertTriggered},
		{"5", "==", 6, AlertOK},
		{"5", "NOT_EQUAL", 6, AlertTriggered},
		{"5", "!=", 5, AlertOK},
		{"NULL", "IS_NULL", nil, AlertTriggered},
		{"5", "IS_NULL", nil, AlertOK},
		{"5", "IS_NOT_NULL", nil, AlertTriggered},
		{"NULL", "IS_NOT_NULL", nil, AlertOK},
		{"-0.25", "less_than", -0.2, AlertTriggered}, // operators in any case
		{"1.50::DECIMAL(4,2)", ">=", 1.5, AlertTriggered},
		{"9007199254740993::HUGEINT", ">", 1e15, AlertTriggered},
		{"'b'", "GREATER_THAN", "a", AlertTriggered},
		{"'abc'", "EQUAL", "abc", AlertTriggered},
		{"'abc'", "NOT_EQUAL", "abc", AlertOK},
		{"'12'", ">", 9, AlertTriggered}, // text that is a number compares as one, not as "12" < "9"
		{"true", "EQUAL", true, AlertTriggered},
		{"true", "NOT_EQUAL", false, AlertTriggered},
		{"false", "GREATER_THAN", true, AlertOK},
		{"true", "EQUAL", "true", AlertTriggered},
		{"DATE '2026-01-05'", ">", "2026-01-01", AlertTriggered},
		{"DATE '2026-01-05'", "EQUAL", "2026-01-05", AlertTriggered},
		{"NULL::INTEGER", ">", 1, AlertUnknown}, // NULL decides nothing
		{"'abc'", ">", 5, AlertError},
		{"true", "<", 1, AlertError},
	} {
		name := "a" + strconv.Itoa(i)
		a := Alert{QueryText: "select " + tc.value + " as v", Evaluation: &AlertCondition{Source: AlertColumn{Name: "v"}, ComparisonOperator: tc.op}}
		if tc.threshold != nil {
			a.Evaluation.Threshold = valueOperand(tc.threshold)
		}
		p := alertProject(t, map[string]Alert{name: a})
		st := checkOne(t, p, lh, name)
		if st.State != tc.want {
			t.Errorf("%s %s %v: %s (value %q, error %q, message %q), want %s", tc.value, tc.op, tc.threshold, st.State, st.Value, st.Error, st.Message, tc.want)
		}
	}
}

// TestAlertShortForm: the short form reads as the long one.
func TestAlertShortForm(t *testing.T) {
	lh := alertLake(t)
	p := alertProject(t, map[string]Alert{
		"short": {Query: "select 0.3 as share", Column: "share", Op: ">", Threshold: 0.01, Message: "too many"},
		"text":  {Query: "select 'red' as light", Column: "light", Op: "==", Threshold: "red"},
		"flag":  {Query: "select false as ok", Column: "ok", Op: "==", Threshold: false},
	})
	if st := checkOne(t, p, lh, "short"); st.State != AlertTriggered || st.Op != "GREATER_THAN" || st.Value != "0.3" || st.Threshold != "0.01" || st.Message != "too many" {
		t.Errorf("short form: %+v", st)
	}
	for _, n := range []string{"text", "flag"} {
		if st := checkOne(t, p, lh, n); st.State != AlertTriggered {
			t.Errorf("%s: %+v", n, st)
		}
	}
}

// TestAlertAggregations: each aggregation is DuckDB's over the query's
// rows; none takes the first row in the query's order.
func TestAlertAggregations(t *testing.T) {
	lh := alertLake(t)
	const q = "select v from gold.m order by v desc nulls last"
	for _, tc := range []struct {
		agg, want string
	}{
		{"SUM", "15"},
		{"COUNT", "4"},
		{"COUNT_DISTINCT", "3"},
		{"AVG", "3.75"},
		{"MEDIAN", "2"},
		{"MIN", "1"},
		{"MAX", "10"},
		{"", "10"},
		{"avg", "3.75"},
	} {
		name := "agg_" + strings.ToLower(tc.agg)
		want, _ := strconv.ParseFloat(tc.want, 64)
		p := alertProject(t, map[string]Alert{name: {QueryText: q, Evaluation: &AlertCondition{
			Source: AlertColumn{Name: "v", Aggregation: tc.agg}, ComparisonOperator: "EQUAL", Threshold: valueOperand(want)}}})
		st := checkOne(t, p, lh, name)
		if st.State != AlertTriggered || st.Value != tc.want {
			t.Errorf("%s: %s value %q (error %q), want TRIGGERED at %s", tc.agg, st.State, st.Value, st.Error, tc.want)
		}
	}
	// STDDEV is the sample standard deviation: sqrt(52.75/3) = 4.1932...
	p := alertProject(t, map[string]Alert{"sd": {QueryText: q, Evaluation: &AlertCondition{
		Source: AlertColumn{Name: "v", Aggregation: "STDDEV"}, ComparisonOperator: "GREATER_THAN", Threshold: valueOperand(4.19)}}})
	st := checkOne(t, p, lh, "sd")
	if v, err := strconv.ParseFloat(st.Value, 64); st.State != AlertTriggered || err != nil || v > 4.1933 || v < 4.1932 {
		t.Errorf("STDDEV: %s value %q", st.State, st.Value)
	}
}

// TestAlertEmptyAndNull: no rows give empty_result_state (UNKNOWN unless
// set), whatever the aggregation; a NULL aggregate is UNKNOWN but for
// IS_NULL.
func TestAlertEmptyAndNull(t *testing.T) {
	lh := alertLake(t)
	empty := "select v from gold.m where v > 100"
	cond := func(agg, op, empty string, th any) *AlertCondition {
		c := &AlertCondition{Source: AlertColumn{Name: "v", Aggregation: agg}, ComparisonOperator: op, EmptyResultState: empty}
		if th != nil {
			c.Threshold = valueOperand(th)
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		a     Alert
		want  AlertState
		value string
	}{
		{"empty_default", Alert{QueryText: empty, Evaluation: cond("", ">", "", 1)}, AlertUnknown, ""},
		{"empty_ok", Alert{QueryText: empty, Evaluation: cond("COUNT", ">", "OK", 0)}, AlertOK, ""},
		{"empty_triggered", Alert{QueryText: empty, Evaluation: cond("SUM", ">", "triggered", 0)}, AlertTriggered, ""},
		{"empty_error", Alert{QueryText: empty, Evaluation: cond("", "IS_NULL", "ERROR", nil)}, AlertError, ""},
		{"all_null_avg", Alert{QueryText: "select v from gold.m where v is null", Evaluation: cond("AVG", ">", "", 1)}, AlertUnknown, ""},
		{"all_null_is_null", Alert{QueryText: "select v from gold.m where v is null", Evaluation: cond("MAX", "IS_NULL", "", nil)}, AlertTriggered, ""},
		{"count_skips_null", Alert{QueryText: "select v from gold.m where v is null", Evaluation: cond("COUNT", "==", "", 0)}, AlertTriggered, "0"},
	} {
		p := alertProject(t, map[string]Alert{tc.name: tc.a})
		st := checkOne(t, p, lh, tc.name)
		if st.State != tc.want || st.Value != tc.value {
			t.Errorf("%s: %s value %q (message %q, error %q), want %s %q", tc.name, st.State, st.Value, st.Message, st.Error, tc.want, tc.value)
		}
	}
}

// TestAlertColumnThreshold: a threshold may be another column of the
// result, aggregated or from the first row.
func TestAlertColumnThreshold(t *testing.T) {
	lh := alertLake(t)
	p := alertProject(t, map[string]Alert{
		"first_row": {QueryText: "select 5 as a, 7 as b", Evaluation: &AlertCondition{Source: AlertColumn{Name: "a"}, ComparisonOperator: "LESS_THAN",
			Threshold: &AlertOperand{Column: &AlertColumn{Name: "b"}}}},
		"sums": {QueryText: "select v, v * 2 as w from gold.m", Evaluation: &AlertCondition{Source: AlertColumn{Name: "v", Aggregation: "SUM"},
			ComparisonOperator: ">=", Threshold: &AlertOperand{Column: &AlertColumn{Name: "w", Aggregation: "SUM"}}}},
		"null_threshold": {QueryText: "select 1 as a, NULL::INT as b", Evaluation: &AlertCondition{Source: AlertColumn{Name: "a"}, ComparisonOperator: "<",
			Threshold: &AlertOperand{Column: &AlertColumn{Name: "b"}}}},
		"no_column": {QueryText: "select 1 as a", Evaluation: &AlertCondition{Source: AlertColumn{Name: "a"}, ComparisonOperator: "<",
			Threshold: &AlertOperand{Column: &AlertColumn{Name: "nope"}}}},
	})
	if st := checkOne(t, p, lh, "first_row"); st.State != AlertTriggered || st.Threshold != "b = 7" {
		t.Errorf("first row: %+v", st)
	}
	if st := checkOne(t, p, lh, "sums"); st.State != AlertOK || st.Value != "15" || st.Threshold != "SUM(w) = 30" {
		t.Errorf("sums: %+v", st)
	}
	if st := checkOne(t, p, lh, "null_threshold"); st.State != AlertUnknown {
		t.Errorf("a NULL threshold: %+v", st)
	}
	if st := checkOne(t, p, lh, "no_column"); st.State != AlertError || !strings.Contains(st.Error, "nope") {
		t.Errorf("a threshold column the query lacks: %+v", st)
	}
}

// notifyScript writes an executable shell script into dir.
func notifyScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// notifications reads the JSON documents a notify script appended.
func notifications(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("notification %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestAlertTransitionsAndNotifications steps a fake clock through an
// alert's life: a notification on the transition into TRIGGERED, none
// while it stays before retrigger_seconds, one again after them, one back
// to OK only with notify_on_ok. The command is a real process that reads
// the alert as JSON on stdin.
func TestAlertTransitionsAndNotifications(t *testing.T) {
	ctx := context.Background()
	lh := alertLake(t)
	if _, err := lh.Exec(ctx, "CREATE TABLE gold.level AS SELECT 5 AS x"); err != nil {
		t.Fatal(err)
	}
	setLevel := func(x int) {
		if _, err := lh.Exec(ctx, "UPDATE gold.level SET x = "+strconv.Itoa(x)); err != nil {
			t.Fatal(err)
		}
	}
	cond := func(onOK bool, retrigger int) *AlertCondition {
		return &AlertCondition{Source: AlertColumn{Name: "x", Aggregation: "MAX"}, ComparisonOperator: "GREATER_THAN", Threshold: valueOperand(10),
			Notification: &AlertNotification{NotifyOnOK: onOK, RetriggerSeconds: retrigger}}
	}
	p := alertProject(t, nil)
	notifyScript(t, p.Dir, "notify.sh", `cat >> "$1"; echo >> "$1"`+"\n")
	outA, outB := filepath.Join(p.Dir, "a.jsonl"), filepath.Join(p.Dir, "b.jsonl")
	p.Resources.Alerts = map[string]Alert{
		// A relative command runs from the project directory.
		"a": {DisplayName: "Level A", QueryText: "select x from gold.level", Evaluation: cond(true, 60), CustomSummary: "level high",
			Notify: &AlertNotify{Command: []string{"./notify.sh", outA}}},
		"b": {QueryText: "select x from gold.level", Evaluation: cond(false, 0), Notify: &AlertNotify{Command: []string{"./notify.sh", outB}}},
	}
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := start
	p.Clock = func() time.Time { return now }
	for i, step := range []struct {
		at       time.Duration
		level    int
		want     AlertState
		notifyA  bool // a (notify_on_ok, retrigger 60 s) notifies
		notifyB  bool // b (neither) notifies
		previous AlertState
	}{
		{0, 5, AlertOK, false, false, AlertUnknown},
		{time.Second, 20, AlertTriggered, true, true, AlertOK},
		{2 * time.Second, 20, AlertTriggered, false, false, AlertTriggered},
		{61 * time.Second, 20, AlertTriggered, true, false, AlertTriggered}, // 60 s after the first notification
		{90 * time.Second, 20, AlertTriggered, false, false, AlertTriggered},
		{100 * time.Second, 5, AlertOK, true, false, AlertTriggered},
		{110 * time.Second, 5, AlertOK, false, false, AlertOK},
		{120 * time.Second, 30, AlertTriggered, true, true, AlertOK},
	} {
		now = start.Add(step.at)
		setLevel(step.level)
		sts, err := p.CheckAlerts(ctx, lh, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		for k, st := range sts {
			want := []bool{step.notifyA, step.notifyB}[k]
			if st.State != step.want || st.Notified != want || st.NotifyError != "" || !st.At.Equal(now) {
				t.Errorf("step %d, alert %s: %s notified %v (%q) at %s, want %s notified %v", i, st.Alert, st.State, st.Notified, st.NotifyError, st.At, step.want, want)
			}
		}
		got := notifications(t, outA)
		if step.notifyA {
			last := got[len(got)-1]
			if last["alert"] != "a" || last["state"] != string(step.want) || last["previous_state"] != string(step.previous) ||
				last["value"] != strconv.Itoa(step.level) || last["display_name"] != "Level A" || last["target"] != "dev" {
				t.Errorf("step %d: notification %v", i, last)
			}
		}
	}
	if n := len(notifications(t, outA)); n != 4 {
		t.Errorf("a notified %d times, want 4", n)
	}
	if n := len(notifications(t, outB)); n != 2 {
		t.Errorf("b notified %d times, want 2", n)
	}
	// Every evaluation is in sys.alert_history, newest first.
	sts, err := p.AlertStatuses(ctx, lh, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := sts[0]
	if a.Alert != "a" || len(a.History) != 8 || a.State != AlertTriggered || !a.At.Equal(now) || a.DisplayName != "Level A" ||
		!a.LastTriggered.Equal(now) || a.History[2].State != AlertOK || !a.History[2].Notified || a.Message != "level high" {
		t.Errorf("statuses: %+v", a)
	}
	if sts, _ := p.AlertStatuses(ctx, lh, 3); len(sts[1].History) != 3 || !sts[1].LastTriggered.Equal(now) {
		t.Errorf("3 of b's history: %+v", sts[1])
	}
}

// TestAlertNotificationFailures: a command that fails, one that does not
// exist at all, and one not on PATH are recorded, never fatal.
func TestAlertNotificationFailures(t *testing.T) {
	ctx := context.Background()
	lh := alertLake(t)
	p := alertProject(t, nil)
	fail := notifyScript(t, p.Dir, "fail.sh", "cat > /dev/null; echo 'no route to pager' >&2; exit 3\n")
	alert := func(cmd ...string) Alert {
		return Alert{Query: "select 1 as v", Column: "v", Op: ">", Threshold: 0, Notify: &AlertNotify{Command: cmd}}
	}
	p.Resources.Alerts = map[string]Alert{
		"fails":   alert(fail),
		"missing": alert(filepath.Join(p.Dir, "no-such-notifier")),
		"no_path": alert("lakebench-no-such-notifier-on-path"),
	}
	sts, err := p.CheckAlerts(ctx, lh, nil, "")
	if err != nil {
		t.Fatalf("a failing notification failed the check: %v", err)
	}
	want := map[string][]string{"fails": {"exit status 3", "no route to pager"}, "missing": {"no-such-notifier", "no such file"},
		"no_path": {"lakebench-no-such-notifier-on-path", "not found"}}
	for _, st := range sts {
		if st.State != AlertTriggered || !st.Notified {
			t.Errorf("%s: %s notified %v", st.Alert, st.State, st.Notified)
		}
		for _, w := range want[st.Alert] {
			if !strings.Contains(st.NotifyError, w) {
				t.Errorf("%s: notify error %q, want it to say %q", st.Alert, st.NotifyError, w)
			}
		}
	}
	logs, err := p.AlertStatuses(ctx, lh, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range logs {
		if st.NotifyError == "" || !st.Notified {
			t.Errorf("%s: the failure is not in sys.alert_history: %+v", st.Alert, st)
		}
	}
}

// TestAlertNotificationBoundedByContext: a notification command that hangs
// is stopped when the check's context is canceled (its timeout is a
// context too); the check returns, recording nothing. The test waits on
// the command's own signal through a FIFO, not on a clock.
func TestAlertNotificationBoundedByContext(t *testing.T) {
	lh := alertLake(t)
	p := alertProject(t, nil)
	fifo := filepath.Join(p.Dir, "started")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	hang := notifyScript(t, p.Dir, "hang.sh", `echo started > "$1"; exec sleep 600`+"\n")
	p.Resources.Alerts = map[string]Alert{"hangs": {Query: "select 1 as v", Column: "v", Op: ">", Threshold: 0,
		Notify: &AlertNotify{Command: []string{hang, fifo}}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := p.CheckAlerts(ctx, lh, nil, "")
		done <- err
	}()
	f, err := os.Open(fifo) // returns once the script opened it to write
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	f.Read(buf)
	f.Close()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled check: %v, want context.Canceled", err)
	}
	sts, err := p.AlertStatuses(context.Background(), lh, 0)
	if err != nil || len(sts[0].History) != 0 {
		t.Errorf("a canceled check recorded %+v (%v)", sts, err)
	}
}

// TestAlertQueryErrors: a query that fails is the alert's ERROR, with
// DuckDB's reason, and never stops the other alerts.
func TestAlertQueryErrors(t *testing.T) {
	lh := alertLake(t)
	p := alertProject(t, map[string]Alert{
		"bad_sql":    {Query: "select count(* from gold.m", Column: "n", Op: ">", Threshold: 0},
		"no_table":   {Query: "select 1 as n from gold.nope", Column: "n", Op: ">", Threshold: 0},
		"no_column":  {Query: "select 1 as n", Column: "m", Op: ">", Threshold: 0},
		"writes":     {Query: "insert into gold.m values (99)", Column: "v", Op: ">", Threshold: 0},
		"two":        {Query: "select 1 as n; select 2 as n", Column: "n", Op: ">", Threshold: 0},
		"fine":       {Query: "select 1 as n;", Column: "n", Op: ">", Threshold: 0},
		"bad_config": {Query: "select 1 as n", Column: "n", Op: "<>", Threshold: 0},
	})
	sts, err := p.CheckAlerts(context.Background(), lh, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		want := AlertError
		if st.Alert == "fine" {
			want = AlertTriggered
		}
		if st.State != want || (want == AlertError && !strings.Contains(st.Error, st.Alert)) {
			t.Errorf("%s: %s (%q), want %s", st.Alert, st.State, st.Error, want)
		}
	}
	if n := count(t, lh, "select * from gold.m"); n != 5 {
		t.Errorf("gold.m has %d rows after an alert's insert, want 5", n)
	}
	if _, err := p.CheckAlerts(context.Background(), lh, []string{"fnie"}, ""); err == nil || !strings.Contains(err.Error(), "did you mean fine?") {
		t.Errorf("an unknown alert: %v", err)
	}
}

// TestAlertGovernance: an alert's query runs as the principal checking it:
// a table it may not read makes the alert ERROR, naming the missing grant
// and showing none of the data; reading a file is refused; the refusals
// are audited; a job's alerts task fails with the refusal.
func TestAlertGovernance(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	landing := filepath.Join(dir, "landing", "orders", "orders_2026-01-01.csv")
	writeTestFile(t, dir, FileName, testProject+`
  alerts:
    silver_peek: {query: "select customer from silver.orders order by customer", column: customer, op: "==", threshold: zed}
    gold_ok: {query: "select count(*) as n from gold.revenue", column: n, op: ">", threshold: 0}
    file_peek: {query: "select * from read_csv('`+landing+`')", column: customer, op: IS_NOT_NULL}
  jobs:
    peek: {tasks: [{task_key: peek, type: alerts, alerts: [silver_peek]}]}
  groups:
    analysts: {members: [dana]}
  schemas:
    gold: {grants: [{principal: analysts, privileges: [SELECT]}]}
permissions:
  - {level: CAN_RUN, group_name: analysts}
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	run, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	// The owner's run evaluated every alert as its last step.
	if len(run.Alerts) != 3 {
		t.Fatalf("the run evaluated %+v", run.Alerts)
	}
	for _, st := range run.Alerts {
		if st.State == AlertError || st.RunID != run.RunID {
			t.Errorf("owner's run: %s %s (%s), run %q", st.Alert, st.State, st.Error, st.RunID)
		}
	}
	lh.SetPrincipal("dana")
	sts, err := p.CheckAlerts(ctx, lh, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]AlertStatus{}
	for _, st := range sts {
		byName[st.Alert] = st
	}
	if st := byName["gold_ok"]; st.State != AlertTriggered {
		t.Errorf("dana's alert on gold: %+v", st)
	}
	peek := byName["silver_peek"]
	if peek.State != AlertError || !strings.Contains(peek.Error, "dana may not read silver.orders") || !strings.Contains(peek.Error, "SELECT") || peek.Value != "" {
		t.Errorf("dana's alert on silver: %+v", peek)
	}
	for _, secret := range []string{"ann", "bob", "cy"} {
		for _, st := range sts {
			if strings.Contains(st.Error+st.Value+st.Message+st.Threshold, secret) {
				t.Errorf("%s shows the data (%q): %+v", st.Alert, secret, st)
			}
		}
	}
	if st := byName["file_peek"]; st.State != AlertError || st.Value != "" {
		t.Errorf("dana's alert reading a file: %+v", st)
	}
	lh.SetPrincipal("")
	if n := count(t, lh, "select * from sys.audit where principal = 'dana' and action = 'alert' and not allowed"); n != 2 {
		t.Errorf("%d refused alerts of dana audited, want 2", n)
	}
	if n := count(t, lh, "select * from sys.audit where principal = 'dana' and action = 'alert' and allowed and list_contains(tables, 'gold.revenue')"); n != 1 {
		t.Errorf("dana's allowed alert audited %d times, want 1", n)
	}
	// dana may see the alerts' states (CAN_RUN on the target, as for its
	// job history), but not the values of those whose query she may not
	// run; eve, without any permission, sees nothing.
	lh.SetPrincipal("dana")
	seen, err := p.AlertStatuses(ctx, lh, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range seen {
		switch st.Alert {
		case "gold_ok":
			if st.Value == "" || st.State != AlertTriggered || len(st.History) != 2 {
				t.Errorf("dana's view of gold_ok: %+v", st)
			}
		default:
			for _, e := range st.History {
				if e.Value != "" || !strings.Contains(e.Message+e.Error, "hidden: ") || !strings.Contains(e.Message+e.Error, "dana may not") {
					t.Errorf("dana's view of %s: %+v", st.Alert, e)
				}
			}
		}
	}
	lh.SetPrincipal("eve")
	if _, err := p.AlertStatuses(ctx, lh, 0); !errors.As(err, new(*lakehouse.AccessError)) {
		t.Errorf("eve reading the alerts: %v, want an *AccessError", err)
	}
	lh.SetPrincipal("")
	// A job's alerts task fails with the refusal; the run's last step
	// records the alert as ERROR, with the run's id.
	run, err = p.Run(ctx, lh, RunOptions{Job: "peek", Target: "dev", Principal: "dana"})
	var ae *lakehouse.AccessError
	if !errors.As(err, &ae) {
		t.Errorf("dana's alerts task: %v, want an *AccessError", err)
	}
	if run == nil || len(run.Alerts) != 3 {
		t.Fatalf("dana's run evaluated %+v", run)
	}
	logs, err := lh.AlertHistory(ctx, []string{"silver_peek"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e := logs["silver_peek"].Events[0]; e.State != "ERROR" || e.RunID != run.RunID {
		t.Errorf("silver_peek after dana's run: %+v", e)
	}
	// A read-only session (the TUI's) shows the owner every value and
	// hides from dana what she may not read, as a writer's does.
	lh.Close()
	for _, who := range []string{"root-owner", "dana"} {
		ro, err := lakehouse.Open(ctx, p.DatabasePath("dev"), lakehouse.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		owner, _, err := ro.Grants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if who == "root-owner" {
			who = owner
		}
		ro.SetPrincipal(who)
		sts, err := p.AlertStatuses(ctx, ro, 0)
		ro.Close()
		if err != nil {
			t.Fatalf("%s, read-only: %v", who, err)
		}
		for _, st := range sts {
			for _, e := range st.History {
				hiddenHere := strings.Contains(e.Message+e.Error, "hidden: ")
				if want := who == "dana" && st.Alert != "gold_ok"; hiddenHere != want {
					t.Errorf("%s, read-only, %s: hidden %v, want %v: %+v", who, st.Alert, hiddenHere, want, e)
				}
			}
		}
	}
}

// TestAlertsAfterEveryRun: a run evaluates the bundle's alerts as its last
// step, recorded with its id; those its alerts task evaluated are not
// evaluated twice.
func TestAlertsAfterEveryRun(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  alerts:
    revenue: {query: "select sum(revenue) as r from gold.revenue", column: r, op: ">", threshold: 1000}
    customers:
      display_name: Customers
      query_text: "select customer from gold.revenue"
      evaluation:
        source: {name: customer, aggregation: COUNT_DISTINCT}
        comparison_operator: GREATER_THAN_OR_EQUAL
        threshold: {value: {double_value: 2}}
  jobs:
    nightly: {tasks: [{task_key: ingest, type: ingest}, {task_key: build, type: transform, depends_on: [ingest]}, {task_key: alerts, type: alerts, alerts: [customers], depends_on: [build]}]}
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if v := p.Validate(ctx, alertLake(t)); len(v.Errors) > 0 {
		t.Fatalf("validate: %v", v.Errors)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	var checked []Event
	run, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Target: "dev", Progress: func(e Event) {
		if e.Kind == AlertsChecked {
			checked = append(checked, e)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Alerts) != 1 || run.Alerts[0].Alert != "revenue" || run.Alerts[0].State != AlertOK {
		t.Errorf("the run's last step: %+v", run.Alerts)
	}
	if len(checked) != 1 || checked[0].RunID != run.RunID || !strings.Contains(checked[0].Detail, "none triggered") {
		t.Errorf("events: %+v", checked)
	}
	if n := count(t, lh, "select * from sys.alert_history where run_id = '"+run.RunID+"'"); n != 2 {
		t.Errorf("%d evaluations recorded with the run, want 2", n)
	}
	if n := count(t, lh, "select * from sys.alert_history where alert = 'customers' and state = 'TRIGGERED' and value_text = '3'"); n != 1 {
		t.Errorf("the alerts task's evaluation: %d rows", n)
	}
	if n := count(t, lh, "select * from sys.task_runs where task_key = 'alerts' and detail = 'triggered: customers'"); n != 1 {
		t.Errorf("the alerts task's detail: %d rows", n)
	}
}

// TestAlertSchema: the JSON Schema describes both forms of an alert, with
// the operators, aggregations and states as enums and the values decoded
// as any given their JSON types.
func TestAlertSchema(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(m any, path ...string) any {
		for _, k := range path {
			mm, _ := m.(map[string]any)
			m = mm[k]
		}
		return m
	}
	alert := get(doc, "properties", "resources", "properties", "alerts", "additionalProperties", "properties")
	eval := get(alert, "evaluation", "properties")
	for _, tc := range []struct {
		got  any
		want string
	}{
		{get(eval, "comparison_operator", "enum"), "[GREATER_THAN GREATER_THAN_OR_EQUAL LESS_THAN LESS_THAN_OR_EQUAL EQUAL NOT_EQUAL IS_NULL IS_NOT_NULL > >= < <= == !=]"},
		{get(eval, "source", "properties", "aggregation", "enum"), "[SUM COUNT COUNT_DISTINCT AVG MEDIAN MIN MAX STDDEV]"},
		{get(eval, "empty_result_state", "enum"), "[UNKNOWN OK TRIGGERED ERROR]"},
		{get(eval, "threshold", "properties", "value", "properties", "double_value", "type"), "number"},
		{get(eval, "threshold", "properties", "column", "properties", "aggregation", "enum"), "[SUM COUNT COUNT_DISTINCT AVG MEDIAN MIN MAX STDDEV]"},
		{get(eval, "notification", "properties", "retrigger_seconds", "type"), "integer"},
		{get(alert, "threshold", "type"), "[number string boolean]"},
		{get(alert, "op", "enum"), "[> >= < <= == != GREATER_THAN GREATER_THAN_OR_EQUAL LESS_THAN LESS_THAN_OR_EQUAL EQUAL NOT_EQUAL IS_NULL IS_NOT_NULL]"},
		{get(alert, "notify", "properties", "command", "type"), "array"},
	} {
		if got := strings.Trim(strings.ReplaceAll(fmtAny(tc.got), "\"", ""), " "); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmtAny(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case nil:
		return "<missing>"
	}
	return fmt.Sprint(v)
}

// An aggregation in an alert's short form says how to write one.
func TestShortFormAggregationHint(t *testing.T) {
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  alerts:
    big: {query: "select 1 as r", column: r, aggregation: MAX, op: ">", threshold: 0}
`)
	_, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err == nil {
		t.Fatal("an aggregation in the short form loaded")
	}
	for _, want := range []string{FileName + ":", `unknown key "aggregation"`, "evaluation: {source: {name: COLUMN, aggregation: MAX}"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q lacks %q", err, want)
		}
	}
}

// TestAlertsBesideMonitorsAndHealth: a run evaluates the alerts whose
// queries read no sys table beside its monitors and health (as its
// principal), and the others after both, so those see what the health
// recorded; each is recorded once, with the run. The
// project's clock counts its calls, so an alert evaluated earlier is
// dated earlier: revenue (read from gold) before results (read from
// sys.table_results), though results comes first by name.
func TestAlertsBesideMonitorsAndHealth(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  alerts:
    a_results: {query: "select count(*) as n from sys.table_results", column: n, op: ">", threshold: 0}
    z_revenue: {query: "select sum(revenue) as r from gold.revenue", column: r, op: ">", threshold: 1000}
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p.Clock = func() time.Time { return base.Add(time.Duration(calls.Add(1)) * time.Second) }
	lh := openTarget(t, p)
	defer lh.Close()
	run, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]AlertEvaluation{}
	for _, a := range run.Alerts {
		at[a.Alert] = a.AlertEvaluation
	}
	res, rev := at["a_results"], at["z_revenue"]
	if res.State == "" || rev.State == "" {
		t.Fatalf("the run evaluated %+v", run.Alerts)
	}
	if !rev.At.Before(res.At) {
		t.Errorf("z_revenue was evaluated at %s, not before a_results (%s), which reads sys", rev.At, res.At)
	}
	if want := fmt.Sprint(count(t, lh, "select * from sys.table_results")); res.Value != want || res.State != AlertTriggered {
		t.Errorf("a_results is %s with %q (%s), want TRIGGERED with %s: the health's results", res.State, res.Value, res.Error, want)
	}
	if n := count(t, lh, "select * from sys.alert_history where run_id = '"+run.RunID+"'"); n != 2 {
		t.Errorf("%d evaluations recorded with the run, want 2", n)
	}
	if n := count(t, lh, "select * from sys.audit where action = 'alert'"); n != 2 {
		t.Errorf("%d alert reads audited, want 2 (each alert's query run once)", n)
	}
}
