package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
)

// bin is the lakebench binary built for these tests.
var bin string

func TestMain(m *testing.M) {
	if path := os.Getenv("LAKEBENCH_TEST_HOLD"); path != "" {
		holdWriter(path)
	}
	dir, err := os.MkdirTemp("", "lakebench-e2e-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "lakebench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lb runs lakebench in dir and returns stdout and stderr; it fails the test
// when the exit status is not the wanted one.
func lb(t *testing.T, dir string, wantOK bool, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if (err == nil) != wantOK {
		t.Fatalf("lakebench %s: exit %v, want ok=%v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, wantOK, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// queryJSON runs a query and decodes its JSON rows.
func queryJSON(t *testing.T, dir, sql string) [][]any {
	t.Helper()
	out, _ := lb(t, dir, true, "query", sql, "--format", "json")
	var doc struct {
		Rows [][]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("query %q: bad JSON %v:\n%s", sql, err, out)
	}
	return doc.Rows
}

func scalar(t *testing.T, dir, sql string) float64 {
	t.Helper()
	rows := queryJSON(t, dir, sql)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("query %q: want one value, got %v", sql, rows)
	}
	v, ok := rows[0][0].(float64)
	if !ok {
		t.Fatalf("query %q: %v is not a number", sql, rows[0][0])
	}
	return v
}

// TestNewUser follows the README: init, generate, run, query; then checks
// the layers, every planted incident and an incremental batch.
func TestNewUser(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate")
	_, stderr := lb(t, dir, true, "run")
	if !strings.Contains(stderr, "succeeded") {
		t.Errorf("run did not report success:\n%s", stderr)
	}
	out, _ := lb(t, dir, true, "query", "select * from gold.daily_revenue limit 5")
	if lines := strings.Count(out, "\n"); lines != 7 {
		t.Errorf("query printed %d lines, want header, rule and 5 rows:\n%s", lines, out)
	}

	// Every layer has data.
	for _, table := range []string{"bronze.customers", "bronze.orders", "bronze.order_items", "bronze.events", "bronze.tickets",
		"silver.customers", "silver.orders", "silver.order_items", "gold.daily_revenue", "gold.customer_features", "gold.product_performance"} {
		if n := scalar(t, dir, "select count(*) from "+table); n == 0 {
			t.Errorf("%s is empty", table)
		}
	}
	// Conservation is recorded for every file.
	if n := scalar(t, dir, "select count(*) from sys.ingested_files where rows_read <> rows_loaded + rows_quarantined"); n != 0 {
		t.Errorf("%v files where read != loaded + quarantined", n)
	}

	facts := sampledata.Incidents(sampledata.ScaleDev)
	// The malformed customer lines are in bronze quarantine, each with its line and reason.
	reasons := map[string]string{"too_many_columns": "expected", "too_few_columns": "expected", "bad_date": "signup_date",
		"invalid_utf8": "UTF-8", "unterminated_quote": "unterminated"}
	q := queryJSON(t, dir, "select _line, _reason from bronze.customers_quarantine where _source_file like '%"+filepath.Base(facts.MalformedCustomersFile)+"' order by _line")
	got := map[int64]string{}
	for _, r := range q {
		got[int64(r[0].(float64))] = r[1].(string)
	}
	for _, ml := range facts.MalformedLines {
		if reason, ok := got[int64(ml.Line)]; !ok || !strings.Contains(reason, reasons[ml.Kind]) {
			t.Errorf("%s at line %d: quarantined with %q (present %v), want a reason mentioning %q", ml.Kind, ml.Line, reason, ok, reasons[ml.Kind])
		}
	}
	if len(got) != len(facts.MalformedLines) {
		t.Errorf("%d customer lines quarantined, want %d: %v", len(got), len(facts.MalformedLines), got)
	}
	// Null customer ids and negative quantities are quarantined in silver with the rule's name.
	if n := scalar(t, dir, "select count(*) from silver.orders_quarantine where _errors[1].name = 'customer_id_is_null'"); int(n) != facts.NullCustomerOrders {
		t.Errorf("%v orders quarantined for a null customer_id, want %d", n, facts.NullCustomerOrders)
	}
	if n := scalar(t, dir, "select count(*) from silver.order_items_quarantine where _errors[1].name = 'positive_quantity'"); int(n) != facts.NegativeQuantityItems {
		t.Errorf("%v order items quarantined for quantity, want %d", n, facts.NegativeQuantityItems)
	}
	// The day without an orders file has no orders batch.
	if n := scalar(t, dir, fmt.Sprintf("select count(*) from sys.ingested_files where table_name = 'bronze.orders' and batch_id = '%s'",
		sampledata.DayDate(facts.MissingOrdersDay).Format("2006-01-02"))); n != 0 {
		t.Errorf("day %d should have no orders file, found %v", facts.MissingOrdersDay, n)
	}

	// An incremental batch: `sample next` then `run` loads only the new files.
	before := scalar(t, dir, "select count(*) from sys.ingested_files")
	lb(t, dir, true, "sample", "next")
	_, stderr = lb(t, dir, true, "run")
	after := scalar(t, dir, "select count(*) from sys.ingested_files")
	if after <= before || after-before > float64(len(sampledata.Sources)) {
		t.Errorf("after `sample next` and `run`, %v new files were loaded, want 1 to %d\n%s", after-before, len(sampledata.Sources), stderr)
	}
	if n := scalar(t, dir, "select count(*) from (select path from sys.ingested_files group by path having count(*) > 1)"); n != 0 {
		t.Errorf("%v files were loaded twice", n)
	}
	// Drop batches up to the day with duplicate rows.
	for d := sampledata.DefaultDays + 2; d <= facts.DuplicateOrdersDay; d++ {
		lb(t, dir, true, "sample", "next")
	}
	lb(t, dir, true, "run")
	// Exact duplicates are in bronze but not in silver.
	if n := scalar(t, dir, "select count(*) - count(distinct order_id) from bronze.orders"); int(n) < facts.DuplicateOrders {
		t.Errorf("bronze.orders has %v repeated order ids, want at least %d", n, facts.DuplicateOrders)
	}
	if n := scalar(t, dir, "select count(*) - count(distinct order_id) from silver.orders"); n != 0 {
		t.Errorf("silver.orders has %v duplicate order ids", n)
	}
}

// TestIngestCommand covers `ingest --json` and its errors.
func TestIngestCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	csv := filepath.Join(dir, "people.csv")
	os.WriteFile(csv, []byte("id,name,age\n1,ann,31\n2,bob,x\n3,cy\n4,dee,40\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "first.csv"), []byte("id,name,age\n0,zed,20\n"), 0o644)
	lb(t, dir, true, "ingest", filepath.Join(dir, "first.csv"), "--table", "bronze.people")
	out, _ := lb(t, dir, true, "ingest", csv, "--table", "bronze.people", "--json")
	var res struct {
		Table           string `json:"table"`
		Files           []any  `json:"files"`
		RowsRead        int    `json:"rows_read"`
		RowsLoaded      int    `json:"rows_loaded"`
		RowsQuarantined int    `json:"rows_quarantined"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("ingest --json: %v\n%s", err, out)
	}
	if res.Table != "bronze.people" || len(res.Files) != 1 || res.RowsRead != 4 || res.RowsLoaded != 2 || res.RowsQuarantined != 2 {
		t.Errorf("ingest --json = %+v, want 4 read, 2 loaded, 2 quarantined", res)
	}
	// Loading the same file again loads nothing.
	out, _ = lb(t, dir, true, "ingest", csv, "--table", "bronze.people", "--json")
	if !strings.Contains(out, `"skipped": true`) {
		t.Errorf("a second ingest of the same file was not skipped:\n%s", out)
	}

	cases := []struct {
		args []string
		want string
	}{
		{[]string{"ingest", "nope.csv", "--table", "bronze.x"}, "nope.csv: file not found"},
		{[]string{"ingest", csv, "--table", "people"}, "want SCHEMA.NAME"},
		{[]string{"ingest", csv}, `"table" not set`},
		{[]string{"query", "select * from gold.nope"}, "gold.nope"},
		{[]string{"query", "select 1", "--format", "xml"}, "unknown --format"},
		{[]string{"-t", "qa", "status"}, `unknown target "qa"`},
	}
	for _, c := range cases {
		_, stderr := lb(t, dir, false, c.args...)
		if !strings.Contains(stderr, c.want) {
			t.Errorf("lakebench %s: stderr %q, want it to mention %q", strings.Join(c.args, " "), stderr, c.want)
		}
	}
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	_, stderr := lb(t, dir, false, "ingest", csv, empty, "--table", "bronze.other")
	if !strings.Contains(stderr, "empty.csv: file is empty") {
		t.Errorf("empty file: %q", stderr)
	}
	if n := scalar(t, dir, "select count(*) from duckdb_tables() where table_name = 'other'"); n != 0 {
		t.Errorf("a failed ingest left a table behind")
	}
}

// TestSecondWriterAndInterrupt holds a target with a long statement in one
// process, checks a second writer is refused with the holder named, then
// interrupts the first with SIGINT: DuckDB stops and the process exits.
func TestSecondWriterAndInterrupt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "query", "create table gold.seed as select 1 as x")

	long := exec.Command(bin, "query", "create table gold.slow as select sum(range % 7) as s from range(50000000000)")
	long.Dir = dir
	stderr, _ := long.StderrPipe()
	if err := long.Start(); err != nil {
		t.Fatal(err)
	}
	defer long.Process.Kill()
	done := make(chan error, 1)
	var errOut strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			errOut.WriteString(sc.Text() + "\n")
		}
		done <- long.Wait()
	}()
	// Wait until it holds the lock: an event, polled for as long as it takes
	// (a busy machine is slow to start it); its end before that fails.
	lock := filepath.Join(dir, ".lakebench", "dev.duckdb.lock")
	for {
		if b, _ := os.ReadFile(lock); bytes.Contains(b, []byte("gold.slow")) {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the long statement ended (%v) before it took the lock: %s", err, errOut.String())
		case <-time.After(50 * time.Millisecond): // a polling interval, not a deadline
		}
	}
	_, msg := lb(t, dir, false, "run")
	for _, want := range []string{fmt.Sprint(long.Process.Pid), "create table gold.slow", "wait for it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("second writer's error %q does not mention %q", msg, want)
		}
	}
	// Interrupted before or while DuckDB runs it, the statement stops and
	// says so; `go test -timeout` bounds a statement that never stops.
	long.Process.Signal(syscall.SIGINT)
	if err := <-done; err == nil {
		t.Errorf("the interrupted statement exited 0")
	}
	if !strings.Contains(errOut.String(), "canceled") {
		t.Errorf("interrupted: stderr %q, want it to say canceled", errOut.String())
	}
	// The target is usable and the interrupted statement left nothing.
	if n := scalar(t, dir, "select count(*) from duckdb_tables() where table_name = 'slow'"); n != 0 {
		t.Errorf("the interrupted CREATE left gold.slow behind")
	}
}

// TestBundleCommands drives the bundle lifecycle as the course teaches it:
// validate, deploy per target, run a job, summary, lineage, destroy.
func TestBundleCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate")
	_, stderr := lb(t, dir, true, "bundle", "validate")
	for _, want := range []string{"Name: retail-lakehouse", "Target: dev", "Validation OK!"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stderr)
		}
	}
	out, _ := lb(t, dir, true, "bundle", "validate", "-t", "prod", "--json")
	if !strings.Contains(out, `"identity": "sp-prod"`) || !strings.Contains(out, `"ok": true`) {
		t.Errorf("validate -t prod --json:\n%s", out)
	}
	_, stderr = lb(t, dir, true, "bundle", "deploy")
	if !strings.Contains(stderr, "Deployment complete!") {
		t.Errorf("deploy:\n%s", stderr)
	}
	out, _ = lb(t, dir, true, "bundle", "run", "nightly", "--json")
	var run struct {
		Status string `json:"status"`
		Tasks  []struct {
			TaskKey string `json:"task_key"`
			Status  string `json:"status"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil || run.Status != "succeeded" || len(run.Tasks) != 7 {
		t.Errorf("run nightly --json: %v %+v\n%s", err, run, out)
	}
	out, _ = lb(t, dir, true, "bundle", "summary")
	if !strings.Contains(out, "Deployed: 20") || !strings.Contains(out, "nightly") {
		t.Errorf("summary:\n%s", out)
	}
	out, _ = lb(t, dir, true, "lineage", "gold.daily_revenue")
	if !strings.Contains(out, "bronze.orders") || !strings.Contains(out, "gold.daily_revenue [incremental_by_time]\n") || !strings.Contains(out, "silver.orders [incremental_by_batch]\n") {
		t.Errorf("lineage:\n%s", out)
	}
	out, _ = lb(t, dir, true, "bundle", "schema")
	if !json.Valid([]byte(out)) || !strings.Contains(out, "task_key") {
		t.Errorf("schema is not JSON with task_key")
	}
	// Production runs only as its service principal; the analyst reads gold only.
	_, stderr = lb(t, dir, false, "bundle", "run", "nightly", "-t", "prod", "--as", "ana")
	if !strings.Contains(stderr, "only as the service principal sp-prod") {
		t.Errorf("prod run as ana: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "query", "select * from silver.orders", "--as", "dana")
	if !strings.Contains(stderr, "needs SELECT on silver.orders") {
		t.Errorf("dana reading silver: %s", stderr)
	}
	lb(t, dir, true, "query", "select * from gold.daily_revenue limit 1", "--as", "dana")
	// destroy asks; without a terminal it needs --auto-approve.
	_, stderr = lb(t, dir, false, "bundle", "destroy")
	if !strings.Contains(stderr, "--auto-approve") {
		t.Errorf("destroy without a terminal: %s", stderr)
	}
	lb(t, dir, true, "bundle", "destroy", "--auto-approve")
	if _, err := os.Stat(filepath.Join(dir, ".lakebench", "dev.duckdb")); !os.IsNotExist(err) {
		t.Errorf("destroy left the target file: %v", err)
	}
	// A broken bundle: every error at once, exit non-zero.
	os.WriteFile(filepath.Join(dir, "lakebench.yml"), []byte("bundle: {name: x}\nresources:\n  sorces: {}\n  jobs: {j: {tasks: [{task_key: a, type: nope}]}}\n"), 0o644)
	_, stderr = lb(t, dir, false, "bundle", "validate")
	for _, want := range []string{"lakebench.yml:3:3", "did you mean sources?"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("broken bundle: %q lacks %q", stderr, want)
		}
	}
}

// scalarAs runs a one-value query as a principal.
func scalarAs(t *testing.T, dir, as, sql string) float64 {
	t.Helper()
	args := []string{"query", sql, "--format", "json"}
	if as != "" {
		args = append(args, "--as", as)
	}
	out, _ := lb(t, dir, true, args...)
	var doc struct {
		Rows [][]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Rows) != 1 || len(doc.Rows[0]) != 1 {
		t.Fatalf("query %q as %s: want one value, got %v (%v)", sql, as, out, err)
	}
	v, _ := doc.Rows[0][0].(float64)
	return v
}

// TestAdministration drives the attacks on the target itself through the
// real binary: an analyst deploying her own bundle, destroying dev and
// staging, running a job; a target named as a path; and the owner handing
// ownership over, after which the old owner may no longer deploy.
func TestAdministration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	// You (the operating-system user) deploy first and own the targets.
	me := pipeline.Principal()
	lb(t, dir, true, "bundle", "deploy")
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	out, _ := lb(t, dir, true, "bundle", "owner")
	if !strings.Contains(out, "Owner: "+me) {
		t.Errorf("bundle owner after your first deploy:\n%s", out)
	}
	if out, _ = lb(t, dir, true, "bundle", "summary"); !strings.Contains(out, "Owner: "+me) {
		t.Errorf("bundle summary does not name the owner:\n%s", out)
	}
	// Someone with no permission on the target sees the bundle's own
	// resources, not who deployed it, when, or who owns it.
	if out, _ = lb(t, dir, true, "--as", "eve", "bundle", "summary", "-t", "staging"); strings.Contains(out, "Owner:") || strings.Contains(out, " by "+me) || !strings.Contains(out, "needs CAN_VIEW") {
		t.Errorf("bundle summary as eve, who has no permission on staging:\n%s", out)
	}

	// dana's own bundle grants her silver and CAN_MANAGE.
	file := filepath.Join(dir, "lakebench.yml")
	orig, _ := os.ReadFile(file)
	edited := strings.Replace(string(orig), "    silver: {grants: [", "    silver: {grants: [{principal: analysts, privileges: [SELECT]}, ", 1)
	edited = strings.Replace(edited, "\npermissions:\n", "\npermissions:\n  - {level: CAN_MANAGE, user_name: dana}\n", 1)
	if !strings.Contains(edited, "{principal: analysts, privileges: [SELECT]}, ") || !strings.Contains(edited, "user_name: dana}") {
		t.Fatal("the sample's silver grants or permissions moved: fix this test's edit")
	}
	os.WriteFile(file, []byte(edited), 0o644)
	_, stderr := lb(t, dir, false, "bundle", "deploy", "--as", "dana")
	for _, want := range []string{"dana may not deploy", "CAN_MANAGE", "owner " + me} {
		if !strings.Contains(stderr, want) {
			t.Errorf("dana deploying her bundle: %q lacks %q", stderr, want)
		}
	}
	os.WriteFile(file, orig, 0o644)
	if n := scalarAs(t, dir, "", "select count(*) from sys.grants where schema_name = 'silver' and principal = 'analysts'"); n != 0 {
		t.Errorf("dana's refused deploy granted analysts silver")
	}
	if n := scalarAs(t, dir, "", "select count(*) from sys.audit where principal = 'dana' and action = 'deploy' and not allowed"); n != 1 {
		t.Errorf("%v refused deploys of dana audited, want 1", n)
	}
	// dana destroys dev and staging: refused, nothing deleted.
	for _, target := range []string{"dev", "staging"} {
		_, stderr = lb(t, dir, false, "bundle", "destroy", "-t", target, "--as", "dana", "--auto-approve")
		if !strings.Contains(stderr, "dana may not destroy target "+target) || !strings.Contains(stderr, "CAN_MANAGE") {
			t.Errorf("dana destroying %s: %s", target, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, ".lakebench", target+".duckdb")); err != nil {
			t.Errorf("dana's refused destroy deleted %s: %v", target, err)
		}
	}
	// dana runs a job without CAN_RUN.
	_, stderr = lb(t, dir, false, "bundle", "run", "nightly", "--as", "dana")
	if !strings.Contains(stderr, "needs CAN_RUN") {
		t.Errorf("dana running nightly: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "run", "--as", "dana")
	if !strings.Contains(stderr, "needs CAN_RUN") {
		t.Errorf("dana running the pipeline: %s", stderr)
	}
	// A target is named, not a path.
	_, stderr = lb(t, dir, false, "bundle", "validate", "-t", "./prod")
	if !strings.Contains(stderr, "not a target name") {
		t.Errorf("-t ./prod: %s", stderr)
	}

	// Ownership changes only by the owner's explicit command.
	_, stderr = lb(t, dir, false, "bundle", "owner", "set", "dana", "--as", "dana")
	if !strings.Contains(stderr, "only its owner ("+me+")") {
		t.Errorf("dana taking ownership: %s", stderr)
	}
	lb(t, dir, true, "bundle", "owner", "set", "ben")
	if out, _ = lb(t, dir, true, "bundle", "owner"); !strings.Contains(out, "Owner: ben") {
		t.Errorf("bundle owner after the transfer:\n%s", out)
	}
	_, stderr = lb(t, dir, false, "bundle", "deploy")
	if !strings.Contains(stderr, me+" may not deploy") {
		t.Errorf("the old owner deploying: %s", stderr)
	}
	// ben is not at this keyboard: a role switch to the owner is refused.
	if _, stderr = lb(t, dir, false, "bundle", "destroy", "--as", "ben", "--auto-approve"); !strings.Contains(stderr, "owner") {
		t.Errorf("a role switch to the new owner: %s", stderr)
	}
	// lakebench itself reads the audit: the transfer is there, by you.
	lh, err := lakehouse.Open(context.Background(), filepath.Join(dir, ".lakebench", "dev.duckdb"), lakehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	r, err := lh.Query(context.Background(), "select count(*) from sys.audit where action = 'owner set' and allowed and principal = '"+me+"'")
	if err != nil || fmt.Sprint(r.Rows[0][0]) != "1" {
		t.Errorf("ownership changes audited: %v %v, want 1", r, err)
	}
}
