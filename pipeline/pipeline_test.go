package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestMain lets the test binary run a pipeline as a child process (for the
// crash test): LAKEBENCH_TEST_RUN names the project directory.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LAKEBENCH_TEST_RUN"); dir != "" {
		if os.Getenv("LAKEBENCH_TEST_STOP_STAGED") != "" {
			// Say the stages are committed, then wait to be killed.
			stagedHook = func([]*lakehouse.Stage) {
				fmt.Fprintln(os.Stdout, "staged")
				select {}
			}
		}
		os.Exit(childRun(dir))
	}
	os.Exit(m.Run())
}

func childRun(dir string) int {
	ctx := context.Background()
	p, err := Load(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath("dev"), lakehouse.Options{Holder: "child run"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer lh.Close()
	_, err = p.Run(ctx, lh, RunOptions{Target: "dev", Progress: func(e Event) {
		if e.Kind == TaskStarted {
			fmt.Fprintf(os.Stdout, "started %s\n", e.Task)
		}
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

const testProject = `bundle: {name: tiny}
resources:
  sources:
    orders: {path: landing/orders/*.csv, owner: sales}
  transforms: [sql/silver/*.sql, sql/gold/*.sql]
  quality:
    silver.orders:
      - {check: is_not_null, column: customer, criticality: error}
      - {check: is_in_range, column: amount, min: 0, criticality: warn}
`

// writeProject lays out a small project: one CSV source, a silver model and
// a gold model that reads it.
func writeProject(t *testing.T, gold string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		FileName:                               testProject,
		"landing/orders/orders_2026-01-01.csv": "id,customer,amount\n1,ann,10\n2,bob,20\n3,,5\n4,cy,-1\n",
		"sql/silver/orders.sql":                "-- Orders, typed and deduplicated.\nselect distinct id, customer, amount::double as amount from bronze.orders",
		"sql/gold/revenue.sql":                 gold,
	}
	for name, content := range files {
		writeTestFile(t, dir, name, content)
	}
	return dir
}

func writeTestFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const fastGold = "with c as (select customer, sum(amount) as revenue from silver.orders group by all) select * from c"

func openTarget(t *testing.T, p *Project) *lakehouse.Lakehouse {
	t.Helper()
	lh, err := lakehouse.Open(context.Background(), p.DatabasePath("dev"), lakehouse.Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	return lh
}

func count(t *testing.T, lh *lakehouse.Lakehouse, q string) int64 {
	t.Helper()
	n, err := lh.Count(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunOrdersModelsAndQuarantines(t *testing.T) {
	dir := writeProject(t, fastGold)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	var started []string
	res, err := p.Run(context.Background(), lh, RunOptions{Target: "dev", Progress: func(e Event) {
		if e.Kind == TaskStarted {
			started = append(started, e.Task)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ingest_orders silver.orders gold.revenue"; strings.Join(started, " ") != want {
		t.Errorf("task order %q, want %q", strings.Join(started, " "), want)
	}
	if res.Status != "succeeded" {
		t.Errorf("status %s", res.Status)
	}
	if got := count(t, lh, "select * from silver.orders"); got != 3 {
		t.Errorf("silver.orders has %d rows, want 3 (the null customer quarantined)", got)
	}
	q, err := lh.Query(context.Background(), "select id, _errors[1].name, _errors[1].function from silver.orders_quarantine")
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Rows) != 1 || q.Rows[0][0] != int64(3) || q.Rows[0][1] != "customer_is_null" || q.Rows[0][2] != "is_not_null" {
		t.Errorf("quarantine rows %v, want [[3 customer_is_null is_not_null]]", q.Rows)
	}
	// The warn rule counts its failure but keeps the row.
	qr, err := lh.Query(context.Background(), "select rule, rows_failed from sys.quality_results order by rule")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(qr.Rows) != "[[amount_less_than_limit 1] [customer_is_null 1]]" {
		t.Errorf("quality results %v", qr.Rows)
	}
	if got := count(t, lh, "select * from sys.task_runs where status = 'succeeded'"); got != 3 {
		t.Errorf("%d succeeded task runs, want 3", got)
	}
	// A second run loads no file twice.
	if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, lh, "select * from bronze.orders"); got != 4 {
		t.Errorf("bronze.orders has %d rows after two runs, want 4", got)
	}
}

func TestModelErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"cycle", map[string]string{"sql/gold/a.sql": "select * from gold.b", "sql/gold/b.sql": "select * from gold.a"}, "cycle: gold.a reads gold.b reads gold.a"},
		{"not a select", map[string]string{"sql/gold/a.sql": "delete from silver.x"}, "a.sql:1:1"},
		{"syntax", map[string]string{"sql/gold/a.sql": "select from where"}, "syntax error"},
		{"no schema", map[string]string{"sql/gold/a.sql": "select * from orders"}, `table "orders" has no schema`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTestFile(t, dir, FileName, "bundle: {name: x}\nresources:\n  transforms: [sql/gold/*.sql]\n")
			for n, c := range tc.files {
				writeTestFile(t, dir, n, c)
			}
			p, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			lh := openTarget(t, p)
			defer lh.Close()
			_, err = p.Models(context.Background(), lh)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadErrorsPointToLine(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: x}\nresources:\n  sourcez: {}\n")
	_, err := Load(dir)
	var pe *Error
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(err.Error(), "sourcez") {
		t.Errorf("got %v, want an *Error at line 3 naming sourcez", err)
	}
}

// TestLoadTypeErrorsInTheFilesWords: a value of the wrong shape (a list
// for a lookback) was reported in Go's words, naming the outermost struct
// field ("cannot unmarshal []interface {} into Go struct field
// Project.Resources of type string"); it now says what was found and
// what belongs there, at the value's line and column.
func TestLoadTypeErrorsInTheFilesWords(t *testing.T) {
	for _, c := range []struct{ yml, want string }{
		{"bundle: {name: x}\nresources:\n  models:\n    gold.a: {kind: incremental_by_time, time_column: d, lookback: [2d]}\n",
			"lakebench.yml:4:67: a list where text belongs"},
		{"bundle: {name: [x]}\n", "lakebench.yml:1:16: a list where text belongs"},
		{"bundle: {name: x}\nresources:\n  models:\n    gold.a: {kind: {full: 1}}\n", "lakebench.yml:4:20: a mapping (key: value) where text belongs"},
	} {
		dir := t.TempDir()
		writeTestFile(t, dir, FileName, c.yml)
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "Go struct") {
			t.Errorf("%q: got %v, want an error containing %q in the file's words", c.yml, err, c.want)
		}
	}
}

// TestCrashMidTransform kills a run (SIGKILL) while a transform's transaction
// is open: the previous state must survive, and a re-run must finish the job
// with no duplicate rows.
func TestCrashMidTransform(t *testing.T) {
	dir := writeProject(t, fastGold)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	before, err := lh.Query(context.Background(), "select * from gold.revenue order by customer")
	if err != nil {
		t.Fatal(err)
	}
	lh.Close()

	// New data lands, and the gold model becomes slow enough to kill.
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,dee,50\n6,ann,60\n")
	slow := "select customer, sum(amount) as revenue from silver.orders, (select sum(range % 7) as s from range(20000000000)) where s >= 0 group by all"
	writeTestFile(t, dir, "sql/gold/revenue.sql", slow)

	killMidTask(t, dir, "gold.revenue")

	lh = openTarget(t, p)
	after, err := lh.Query(context.Background(), "select * from gold.revenue order by customer")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after.Rows) != fmt.Sprint(before.Rows) {
		t.Errorf("gold.revenue changed by a killed run: %v, was %v", after.Rows, before.Rows)
	}
	// The tasks before the kill committed: the new file is in bronze once.
	if got := count(t, lh, "select * from bronze.orders"); got != 6 {
		t.Errorf("bronze.orders has %d rows, want 6", got)
	}
	if got := count(t, lh, "select * from sys.task_runs where task_key = 'gold.revenue' and status <> 'succeeded'"); got != 0 {
		t.Errorf("a killed task left %d task rows", got)
	}
	lh.Close()

	writeTestFile(t, dir, "sql/gold/revenue.sql", fastGold)
	lh = openTarget(t, p)
	defer lh.Close()
	if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, lh, "select * from bronze.orders"); got != 6 {
		t.Errorf("after the re-run bronze.orders has %d rows, want 6 (no duplicates)", got)
	}
	if got := count(t, lh, "select id from silver.orders group by id having count(*) > 1"); got != 0 {
		t.Errorf("%d duplicated ids in silver.orders", got)
	}
	if got := count(t, lh, "select * from sys.runs where status = 'crashed'"); got != 1 {
		t.Errorf("%d runs marked crashed, want the killed one", got)
	}
	res, err := lh.Query(context.Background(), "select revenue from gold.revenue where customer = 'ann'")
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != 70.0 {
		t.Errorf("ann's revenue after the re-run: %v (%v), want 70", res, err)
	}
}

// TestCrashAfterStage kills a run (SIGKILL) after its silver task
// committed the staged build of silver.orders (a full build with an error
// rule: lakehouse.Stage) and before the task's transaction took it: the
// previous table and quarantine must survive, the next writer to open the
// target drops the stage, and a re-run builds what a run with no crash
// would.
func TestCrashAfterStage(t *testing.T) {
	dir := writeProject(t, fastGold)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	snapshot := func(lh *lakehouse.Lakehouse) string {
		var out []string
		for _, q := range []string{"select * from silver.orders order by id", "select id, customer, amount, _run_id from silver.orders_quarantine order by all"} {
			res, err := lh.Query(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(res.Rows))
		}
		return strings.Join(out, "\n")
	}
	before := snapshot(lh)
	lh.Close()

	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,dee,50\n6,,60\n")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_RUN="+dir, "LAKEBENCH_TEST_STOP_STAGED=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	staged := false
	for sc.Scan() {
		if sc.Text() == "staged" {
			staged = true
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if !staged {
		t.Fatal("the child run never staged a build")
	}

	// A read-only session (no cleanup) lists no stage; the table is the
	// old one.
	ro, err := lakehouse.Open(context.Background(), p.DatabasePath("dev"), lakehouse.Options{ReadOnly: true, Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, ro, "select * from duckdb_tables() where table_name like '"+lakehouse.StagePrefix+"%'"); got != 1 {
		t.Errorf("%d stages in the killed run's file, want the one it committed", got)
	}
	infos, err := ro.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range infos {
		if strings.HasPrefix(ti.Table, lakehouse.StagePrefix) {
			t.Errorf("the catalog lists the stage %s", ti.Name)
		}
	}
	if got := snapshot(ro); got != before {
		t.Errorf("silver.orders or its quarantine changed by a killed run:\n%s\nwas\n%s", got, before)
	}
	ro.Close()

	lh = openTarget(t, p)
	defer lh.Close()
	if got := count(t, lh, "select * from duckdb_tables() where table_name like '"+lakehouse.StagePrefix+"%'"); got != 0 {
		t.Errorf("the writer's open left %d stages", got)
	}
	if got := snapshot(lh); got != before {
		t.Errorf("silver.orders or its quarantine changed by a killed run:\n%s\nwas\n%s", got, before)
	}
	res, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, lh, "select * from silver.orders"); got != 4 {
		t.Errorf("silver.orders has %d rows after the re-run, want 4 (ann, bob, cy, dee)", got)
	}
	// The re-run's own id: max(run_id) could be the killed run's, whose id
	// has the same second and a random suffix.
	if got := count(t, lh, "select * from silver.orders_quarantine where customer is null and _run_id = '"+res.RunID+"'"); got != 2 {
		t.Errorf("the re-run quarantined %d rows with no customer, want 2", got)
	}
	if got := count(t, lh, "select * from duckdb_tables() where table_name like '"+lakehouse.StagePrefix+"%'"); got != 0 {
		t.Errorf("the re-run left %d stages", got)
	}
}

// TestRunTakesStages: a full build with an error rule (silver.orders, of
// kind full) is staged and its stage taken, run after run, leaving no stage
// behind; its table and quarantine are what they were before staging.
func TestRunTakesStages(t *testing.T) {
	dir := writeProject(t, fastGold)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	var stages []*lakehouse.Stage
	stagedHook = func(s []*lakehouse.Stage) { stages = append(stages, s...) }
	defer func() { stagedHook = nil }()
	for run := int64(1); run <= 2; run++ {
		stages = nil
		if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
			t.Fatal(err)
		}
		if len(stages) != 1 || stages[0].Table.String() != "silver.orders" || !stages[0].Taken() {
			t.Errorf("run %d: stages %v, want silver.orders's, taken", run, stages)
		}
		if got := count(t, lh, "select * from duckdb_tables() where table_name like '"+lakehouse.StagePrefix+"%'"); got != 0 {
			t.Errorf("run %d left %d stages", run, got)
		}
		if got := count(t, lh, "select * from silver.orders"); got != 3 {
			t.Errorf("run %d: silver.orders has %d rows, want 3", run, got)
		}
		if got := count(t, lh, "select * from silver.orders_quarantine"); got != run {
			t.Errorf("run %d: the quarantine has %d rows, want %d (one a run)", run, got, run)
		}
		if got := count(t, lh, "select * from silver.orders where id = 4 and _warnings[1].name is not null"); got != 1 {
			t.Errorf("run %d: the negative amount has no warning", run)
		}
	}
}

// waitChildCPU waits until process pid has used ticks more clock ticks of
// CPU time (user and system, /proc/<pid>/stat; 100 a second on Linux) than
// when called. Without /proc it returns at once.
func waitChildCPU(t *testing.T, pid int, ticks int64) {
	t.Helper()
	used := func() (int64, bool) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, false
		}
		// Fields after the command name (which may hold spaces): state is
		// field 3, utime 14 and stime 15.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 || f[0] == "Z" || f[0] == "X" { // gone: the test then fails on how it ended
			return 0, false
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return u + s, true
	}
	start, ok := used()
	for ok {
		n, alive := used()
		if !alive || n-start >= ticks {
			return
		}
		time.Sleep(5 * time.Millisecond) // a polling interval, not a deadline
	}
}

// killMidTask runs the project in dir in a child process (the
// LAKEBENCH_TEST_RUN hook), waits until the task building table has started
// and the child has spent CPU time inside it (an event, however busy the
// machine, not a wall-clock guess), and kills it with SIGKILL.
func killMidTask(t *testing.T, dir, table string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_RUN="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "started "+table {
			break
		}
	}
	waitChildCPU(t, cmd.Process.Pid, 30)
	cmd.Process.Signal(syscall.SIGKILL)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed while building %s (it ended with %v): the task finished too soon", table, err)
	}
}
