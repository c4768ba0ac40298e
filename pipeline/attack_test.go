package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestStreamNotInQuotedText: STREAM(...) inside a quoted identifier, a
// dollar-quoted string or an E-string (E'...') with an escaped quote is text, not
// an input: neither the full SELECT nor the incremental one changes it (a
// rewrite inside an identifier's quotes would close them and splice SQL in).
func TestStreamNotInQuotedText(t *testing.T) {
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, q := range []string{"CREATE TABLE bronze.orders AS SELECT 1 AS id"} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	text := `select id AS "a stream(bronze.orders) ""b""", $$stream(bronze.orders)$$ AS d, $t$ stream(bronze.orders) $t$ AS e,
		E'it\'s stream(bronze.orders)' AS f from stream(bronze.orders)`
	m := Model{Text: text}
	m.Streams = findStreams(text)
	if len(m.Streams) != 1 {
		t.Fatalf("found %d streams in %q, want the one after FROM", len(m.Streams), text)
	}
	sub := func(tb lakehouse.TableName) string { return "(SELECT * FROM " + tb.SQL() + " WHERE true)" }
	for _, sql := range []string{m.render(func(tb lakehouse.TableName) string { return tb.SQL() }), m.render(sub)} {
		res, err := lh.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		want := []string{`a stream(bronze.orders) "b"`, "d", "e", "f"}
		for i, w := range want {
			if res.Columns[i].Name != w {
				t.Errorf("%s: column %d is %q, want %q", sql, i, res.Columns[i].Name, w)
			}
		}
		row := res.Rows[0]
		if row[1] != "stream(bronze.orders)" || row[2] != " stream(bronze.orders) " || row[3] != "it's stream(bronze.orders)" {
			t.Errorf("%s: literals changed: %q", sql, row[1:])
		}
	}
}

// TestIncrementalSkipStillNeedsSelect: ben builds an incremental_by_batch
// model from bronze, then loses SELECT on bronze. A run with no new files
// must still refuse him (and audit it), not report the model built.
func TestIncrementalSkipStillNeedsSelect(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	withKind := strings.Replace(adminProject, "  transforms: [sql/silver/*.sql]\n",
		"  transforms: [sql/silver/*.sql]\n  models:\n    silver.orders: {kind: incremental_by_batch}\n", 1)
	writeTestFile(t, dir, FileName, withKind)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id, customer, amount from stream(bronze.orders)")
	p := loadTarget(t, dir, "dev")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ben"}); err != nil {
		t.Fatalf("ben's first run: %v", err)
	}
	revoked := strings.Replace(withKind, "bronze: {grants: [{principal: engineers, privileges: [SELECT, MODIFY]}]}",
		"bronze: {grants: [{principal: engineers, privileges: [MODIFY]}]}", 1)
	writeTestFile(t, dir, FileName, revoked)
	p = loadTarget(t, dir, "dev")
	if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
		t.Fatal(err)
	}
	before := count(t, lh, "select * from sys.audit where not allowed and principal = 'ben'")
	res, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ben"})
	if err == nil {
		for _, tr := range res.Tasks {
			if tr.TaskKey == "silver" && tr.Status == "succeeded" {
				t.Errorf("ben, without SELECT on bronze, 'built' silver.orders: %q", tr.Detail)
			}
		}
	}
	if n := count(t, lh, "select * from sys.audit where not allowed and principal = 'ben'"); n <= before {
		t.Errorf("ben's read of bronze without SELECT was not audited as refused")
	}
}

// TestComputeAbsurdSettings: a memory size past int64 is not a size (it
// overflowed into a negative or maximal limit), and more threads than
// DuckDB could start is refused by the run and by validation, where it is.
func TestComputeAbsurdSettings(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"compute: {memory: 99999999999999999999TB}", `memory "99999999999999999999TB" is not a size`},
		{"compute: {memory: \"1GB'; SET threads=1; --\"}", "is not a size"},
		{"compute: {threads: 100000000}", "threads 100000000 is not a number of threads"},
	} {
		dir := t.TempDir()
		writeTestFile(t, dir, FileName, "bundle: {name: absurd}\n"+tt.yaml+"\n")
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.ComputeOptions(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ComputeOptions %v, want %q", tt.yaml, err, tt.want)
		}
		lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		v := p.Validate(context.Background(), lh)
		lh.Close()
		if v.OK() {
			t.Errorf("%s: validation passed", tt.yaml)
		}
	}
}

// TestCrashMidIncrementalBatch kills a run (SIGKILL) while an
// incremental_by_batch model merges a new file: its table and
// sys.model_files stay as the last build left them (the new file not
// recorded as processed), and the next run processes the file once. The
// model streams its input twice: each file is still recorded once.
func TestCrashMidIncrementalBatch(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	// The SELECT costs what the new rows' largest amount says: the first
	// file's is cheap, the second's slow enough to kill.
	writeTestFile(t, dir, "sql/silver/orders.sql", `select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)
where (select sum(range % 7) from range((select max(amount::bigint) from stream(bronze.orders)))) >= 0`)
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	rowsBefore := count(t, lh, "select * from silver.orders")
	filesBefore := count(t, lh, "select * from sys.model_files where model = 'silver.orders'")
	lh.Close()

	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,dee,20000000000\n6,ann,60\n")
	killMidTask(t, dir, "silver.orders")

	lh = openTarget(t, p)
	defer lh.Close()
	if n := count(t, lh, "select * from silver.orders"); n != rowsBefore {
		t.Errorf("silver.orders has %d rows after the kill, had %d", n, rowsBefore)
	}
	if n := count(t, lh, "select * from sys.model_files where model = 'silver.orders'"); n != filesBefore {
		t.Errorf("sys.model_files has %d files of silver.orders after the kill, had %d", n, filesBefore)
	}
	if n := count(t, lh, "select * from bronze.orders"); n != 6 {
		t.Errorf("bronze.orders has %d rows, want 6 (the ingest committed before the kill)", n)
	}
	// The next run processes the new file once, incrementally (a cheap
	// amount now: a reload would mean a full rebuild, tested elsewhere).
	if _, err := lh.Exec(ctx, "UPDATE bronze_data.orders SET amount = '50' WHERE amount = '20000000000'"); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Tasks {
		if tr.TaskKey == "silver.orders" && !strings.Contains(tr.Detail, "1 new file") {
			t.Errorf("the run after the kill: %q, want it to process the 1 new file", tr.Detail)
		}
	}
	if n := count(t, lh, "select id from silver.orders group by id having count(*) > 1"); n != 0 {
		t.Errorf("%d ids twice in silver.orders", n)
	}
	if n := count(t, lh, "select * from silver.orders"); n != rowsBefore+2 {
		t.Errorf("silver.orders has %d rows, want %d", n, rowsBefore+2)
	}
	if n := count(t, lh, "select model, table_name, file_id from sys.model_files group by all having count(*) > 1"); n != 0 {
		t.Errorf("%d files recorded twice in sys.model_files (the model streams bronze.orders twice)", n)
	}
	if n := count(t, lh, "select * from sys.model_files where model = 'silver.orders'"); n != filesBefore+1 {
		t.Errorf("sys.model_files has %d files, want %d", n, filesBefore+1)
	}
}

// TestBatchModelNeedsAnIngestedStream: a run (which does not validate)
// refuses an incremental_by_batch model that streams nothing, or streams
// a table no source ingests (silver, sys): each later run found no new
// files and kept the first build's rows for ever.
func TestBatchModelNeedsAnIngestedStream(t *testing.T) {
	for _, tt := range []struct{ sql, want string }{
		{"select customer, sum(amount) as revenue from silver.orders group by all", "reads no STREAM() input"},
		{"select customer, sum(amount) as revenue from stream(silver.orders) group by all", "STREAM(silver.orders): only an ingested source's bronze table"},
		{"select count(*) as n from stream(sys.runs)", "STREAM(sys.runs): only an ingested source's bronze table"},
	} {
		dir := writeProject(t, tt.sql)
		writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    gold.revenue: {kind: incremental_by_batch}\n  quality:", 1))
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		lh := openTarget(t, p)
		_, err = p.Run(context.Background(), lh, RunOptions{Target: "dev"})
		lh.Close()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: run %v, want an error saying %q", tt.sql, err, tt.want)
		}
	}
}

// TestModelSettingsAreNotSQL: a unique_key or time_column written as SQL
// is a (quoted) column name that does not exist: the incremental run
// fails, naming it, and the table keeps its rows; a lookback with SQL is
// not a duration.
func TestModelSettingsAreNotSQL(t *testing.T) {
	for _, tt := range []struct{ settings, want string }{
		{`{kind: incremental_by_batch, unique_key: ['id" IS NOT NULL OR "id']}`, `has no column "id\" IS NOT NULL OR \"id"`},
		{`{kind: incremental_by_time, time_column: 'amount) OR true OR (amount'}`, `no column "amount) OR true OR (amount"`},
		{`{kind: incremental_by_time, time_column: amount, lookback: "1d' OR true --"}`, "is not a duration"},
	} {
		dir := writeProject(t, fastGold)
		writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount from stream(bronze.orders)")
		writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: "+tt.settings+"\n  quality:", 1))
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		lh := openTarget(t, p)
		// The first build (in full) checks the settings already; when it
		// builds, the incremental run after it must refuse them.
		if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: first run %v, want an error with %q", tt.settings, err, tt.want)
			}
			lh.Close()
			continue
		}
		before := count(t, lh, "select * from silver.orders")
		writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,dee,50\n")
		_, err = p.Run(context.Background(), lh, RunOptions{Target: "dev"})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: run %v, want an error with %q", tt.settings, err, tt.want)
		}
		if n := count(t, lh, "select * from silver.orders"); n != before {
			t.Errorf("%s: silver.orders has %d rows, had %d", tt.settings, n, before)
		}
		lh.Close()
	}
}

// TestStreamedFileNamesWithQuotes: landing files whose names hold a quote
// and a parenthesis are read incrementally as any other (their paths are
// string literals in the rewritten SELECT).
func TestStreamedFileNamesWithQuotes(t *testing.T) {
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	before := count(t, lh, "select * from silver.orders")
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02') OR (true.csv", "id,customer,amount\n5,dee,50\n")
	writeTestFile(t, dir, `landing/orders/orders_2026-01-03"x.csv`, "id,customer,amount\n6,eve,60\n")
	res, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Tasks {
		if tr.TaskKey == "silver.orders" && !strings.Contains(tr.Detail, "2 new files") {
			t.Errorf("silver.orders: %q, want 2 new files", tr.Detail)
		}
	}
	if n := count(t, lh, "select * from silver.orders"); n != before+2 {
		t.Errorf("silver.orders has %d rows, want %d (one of each new file more)", n, before+2)
	}
	if n := count(t, lh, "select * from silver.orders where _source_file like '%'') OR (true.csv' or _source_file like '%\"x.csv'"); n != 2 {
		t.Errorf("%d rows from the oddly named files, want 2", n)
	}
}

// TestIncrementalNeedsSelectOnItsTable: an incremental model reads the
// table it builds (its newest time, its keys), so a runner with MODIFY but
// not SELECT on it is refused before the build reads anything, and the
// refusal is audited.
func TestIncrementalNeedsSelectOnItsTable(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	withKind := strings.Replace(adminProject, "  transforms: [sql/silver/*.sql]\n",
		"  transforms: [sql/silver/*.sql]\n  models:\n    silver.orders: {kind: incremental_by_time, time_column: id, lookback: 0d}\n", 1)
	withKind = strings.Replace(withKind, "silver: {grants: [{principal: engineers, privileges: [SELECT, MODIFY]}]}",
		"silver: {grants: [{principal: engineers, privileges: [MODIFY]}]}", 1)
	if !strings.Contains(withKind, "privileges: [MODIFY]}]}") || !strings.Contains(withKind, "incremental_by_time") {
		t.Fatal("the admin project moved: fix this test's edit")
	}
	writeTestFile(t, dir, FileName, withKind)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select DATE '2026-01-01' + id::INTEGER AS id, customer, amount from bronze.orders")
	p := loadTarget(t, dir, "dev")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
		t.Fatal(err)
	}
	// The owner builds it once; then ben, who may modify silver but not
	// read it, runs the incremental build.
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ana"}); err != nil {
		t.Fatalf("ana's first run: %v", err)
	}
	before := count(t, lh, "select * from sys.audit where not allowed and principal = 'ben'")
	res, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ben"})
	if err == nil {
		t.Fatalf("ben, without SELECT on silver.orders, ran its incremental build: %+v", res.Tasks)
	}
	if !strings.Contains(err.Error(), "SELECT") || !strings.Contains(err.Error(), "silver.orders") {
		t.Errorf("the refusal does not name SELECT on silver.orders: %v", err)
	}
	if n := count(t, lh, "select * from sys.audit where not allowed and principal = 'ben'"); n <= before {
		t.Errorf("ben's refused incremental build was not audited")
	}
}

// TestBuildCheckReadsTheRunSelect: a build's SELECT as it runs (rewritten
// for an incremental run) is checked against the runner's grants whether
// the model has quality rules or not. With rules, the rules' statement
// selecting from it is the one check (authorizeBuild): ben may read bronze
// and silver but not gold, so a SELECT that also reads gold.secret is
// refused, with a rule and without, and so is a rule that reads it.
func TestBuildCheckReadsTheRunSelect(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	withRule := strings.Replace(adminProject, "  groups:", "  quality:\n    silver.orders:\n      - {check: is_not_null, column: id, criticality: error}\n  groups:", 1)
	writeTestFile(t, dir, FileName, withRule)
	p := loadTarget(t, dir, "dev")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ana"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE SCHEMA IF NOT EXISTS gold", "CREATE TABLE gold.secret AS SELECT 1 AS id"} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := p.Rules("silver.orders")
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules %v, %v", rules, err)
	}
	models, err := p.Models(ctx, lh)
	if err != nil {
		t.Fatal(err)
	}
	var m Model
	for _, x := range models {
		if x.Table.String() == "silver.orders" {
			m = x
		}
	}
	if m.SQL == "" {
		t.Fatal("no model silver.orders")
	}
	secretRule := rules[0]
	secretRule.Fail = "id IN (SELECT id FROM gold.secret)"
	allowed := m.SQL + " WHERE id > 0"
	reading := m.SQL + " WHERE id IN (SELECT id FROM gold.secret)"
	for _, c := range []struct {
		name    string
		sql     string
		rules   []lakehouse.Rule
		refused bool
	}{
		{"rewritten SELECT, with rules", allowed, rules, false},
		{"rewritten SELECT, no rules", allowed, nil, false},
		{"SELECT reading gold, with rules", reading, rules, true},
		{"SELECT reading gold, no rules", reading, nil, true},
		{"a rule reading gold", allowed, []lakehouse.Rule{secretRule}, true},
	} {
		tx, err := lh.BeginAs(ctx, "ben")
		if err != nil {
			t.Fatal(err)
		}
		err = authorizeBuild(ctx, tx, m, c.sql, c.rules)
		tx.Rollback()
		var ae *lakehouse.AccessError
		switch {
		case c.refused && !errors.As(err, &ae):
			t.Errorf("%s: ben was not refused: %v", c.name, err)
		case c.refused && !strings.Contains(err.Error(), "gold.secret"):
			t.Errorf("%s: the refusal does not name gold.secret: %v", c.name, err)
		case !c.refused && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		}
	}
}
