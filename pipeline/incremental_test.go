package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// builtTables lists the tables models built (silver, gold, ml, with their
// quarantines).
func builtTables(t *testing.T, lh *lakehouse.Lakehouse) []string {
	t.Helper()
	res, err := lh.Query(context.Background(), `SELECT schema_name || '.' || table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name IN ('silver', 'gold', 'ml') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[0].(string))
	}
	return out
}

// compareWithFullRefresh snapshots every built table, rebuilds all models
// from scratch on the same bronze data (run --full-refresh) and fails for
// each table whose rows differ as multisets (EXCEPT ALL both ways). The
// run a check's result names is when it was built, so it is left out.
func compareWithFullRefresh(t *testing.T, p *Project, lh *lakehouse.Lakehouse, day int) {
	t.Helper()
	ctx := context.Background()
	tables := builtTables(t, lh)
	if len(tables) < 10 {
		t.Fatalf("day %d: only %d tables built: %v", day, len(tables), tables)
	}
	snap := func(table string) string { return "snap." + strings.ReplaceAll(table, ".", "__") }
	if _, err := lh.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS snap"); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if _, err := lh.Exec(ctx, "CREATE OR REPLACE TABLE "+snap(tb)+" AS SELECT * FROM "+tb); err != nil {
			t.Fatal(err)
		}
	}
	monitored := monitorRecords(t, p, lh)
	checked := sourceChecks(t, lh)
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev", FullRefresh: []string{"*"}}); err != nil {
		t.Fatalf("day %d: full refresh: %v", day, err)
	}
	compareMonitorRecords(t, day, monitored, monitorRecords(t, p, lh))
	if got := sourceChecks(t, lh); !reflect.DeepEqual(got, checked) {
		t.Errorf("day %d: the sources' checks counted\n%v\nincrementally, but a full check counts\n%v", day, checked, got)
	}
	if got := builtTables(t, lh); strings.Join(got, ",") != strings.Join(tables, ",") {
		t.Errorf("day %d: the full refresh built %v, the incremental runs %v", day, got, tables)
	}
	for _, tb := range tables {
		// The checks' columns hold the run's id and time: compared by the
		// checks' names and messages. A quarantine keeps each run's
		// rejects; a full refresh starts it over, so an incremental
		// model's history equals the full refresh's one build.
		res, err := lh.Query(ctx, "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name || '.' || table_name = '"+tb+"'")
		if err != nil {
			t.Fatal(err)
		}
		var drop, keep []string
		for _, r := range res.Rows {
			switch c := r[0].(string); c {
			case "_errors", "_warnings":
				drop = append(drop, c)
				keep = append(keep, "list_transform("+c+", lambda e: e.name || ': ' || e.message) AS "+c+"_checks")
			case "_run_id":
				drop = append(drop, c)
			}
		}
		rel := func(name string) string {
			cols := "*"
			if len(drop) > 0 {
				cols = "* EXCLUDE (" + strings.Join(drop, ", ") + ")"
			}
			for _, k := range keep {
				cols += ", " + k
			}
			return "SELECT " + cols + " FROM " + name
		}
		extra := count(t, lh, "SELECT * FROM ("+rel(snap(tb))+" EXCEPT ALL "+rel(tb)+")")
		missing := count(t, lh, "SELECT * FROM ("+rel(tb)+" EXCEPT ALL "+rel(snap(tb))+")")
		if extra > 0 || missing > 0 {
			t.Errorf("day %d: %s built incrementally has %d rows a full refresh does not and lacks %d of its %d rows",
				day, tb, extra, missing, count(t, lh, "SELECT * FROM "+tb))
		}
	}
	if _, err := lh.Exec(ctx, "DROP SCHEMA snap CASCADE"); err != nil {
		t.Fatal(err)
	}
}

// sourceChecks lists the latest run's counts of the bronze tables' checks
// (sys.quality_results, phase check): table, rule, rows checked and failed.
func sourceChecks(t *testing.T, lh *lakehouse.Lakehouse) []string {
	t.Helper()
	res, err := lh.Query(context.Background(), `SELECT table_name || ' ' || rule || ' ' || rows_checked || ' ' || rows_failed FROM sys.quality_results
		WHERE phase = 'check' AND table_name LIKE 'bronze.%' AND run_id = (SELECT run_id FROM sys.quality_results WHERE phase = 'check' ORDER BY checked_at DESC LIMIT 1)
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[0].(string))
	}
	if len(out) == 0 {
		t.Fatal("no checks of the sources recorded")
	}
	return out
}

// TestIncrementalMatchesFullRefresh builds the sample at dev scale day by
// day, a run after each new day, across the day of late orders and the day
// of duplicate rows, and checks that every table equals what a full
// refresh of the same data builds.
func TestIncrementalMatchesFullRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample 20 times")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	const first = 38
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev, Days: first}); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	last := sampledata.DuplicateOrdersDay + 1
	for day := first + 1; day <= last; day++ {
		if _, err := sampledata.Next(ctx, dir); err != nil {
			t.Fatal(err)
		}
		res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		for _, tr := range res.Tasks {
			if strings.Contains(tr.Detail, "rebuilt in full") {
				t.Errorf("day %d: %s was rebuilt in full, not incrementally: %s", day, tr.TaskKey, tr.Detail)
			}
			if tr.TaskKey == "checks_sources" {
				// bronze.order_items' rule reads silver.products: a day
				// that changes the catalog checks it in full.
				for _, src := range []string{"bronze.orders", "bronze.order_items"} {
					if !strings.Contains(tr.Detail, src+": 1 new file checked") &&
						(src == "bronze.orders" || !strings.Contains(tr.Detail, src+" checked in full: the rules, the table's columns or a table they read changed")) {
						t.Errorf("day %d: %s's checks did not look at the new file only: %s", day, src, tr.Detail)
					}
				}
			}
		}
		// The sample's alerts tell the planted stories as the days come.
		for _, st := range res.Alerts {
			want := map[string]AlertState{"duplicate_orders": AlertOK, "home_price_drift": AlertOK}
			if day == sampledata.DuplicateOrdersDay {
				want["duplicate_orders"] = AlertTriggered
			}
			if day >= sampledata.PriceDriftFrom {
				want["home_price_drift"] = AlertTriggered
			}
			if w, ok := want[st.Alert]; ok && st.State != w {
				t.Errorf("day %d: alert %s is %s (%s %s), want %s", day, st.Alert, st.State, st.Value, st.Error, w)
			}
		}
		if day == sampledata.LateArrivalDay+1 || day == last {
			compareWithFullRefresh(t, p, lh, day)
		}
	}
}

// TestIncrementalFallsBack checks the cases where an incremental run would
// be wrong and a full refresh is made instead, with a note.
func TestIncrementalFallsBack(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	const latest = " qualify row_number() over (partition by id order by _ingested_at desc, _source_file desc) = 1"
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)"+latest)
	project := strings.Replace(testProject, "owner: sales}", "owner: sales, on_change: reload}", 1)
	writeTestFile(t, dir, FileName, strings.Replace(project, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	detail := func(opts RunOptions) string {
		t.Helper()
		opts.Target = "dev"
		res, err := p.Run(ctx, lh, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Tasks {
			if tr.TaskKey == "silver.orders" {
				return tr.Detail
			}
		}
		t.Fatal("no silver.orders task")
		return ""
	}
	steps := []struct {
		name   string
		change func()
		opts   RunOptions
		want   string
		rows   int64
	}{
		{"first build", func() {}, RunOptions{}, "", 3},
		{"nothing new", func() {}, RunOptions{}, "no new files", 3},
		{"a new file", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n1,ann,11\n5,dan,7\n")
		}, RunOptions{}, "1 new file", 4},
		{"a file reloaded", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n1,ann,11\n")
		}, RunOptions{}, "rebuilt in full: 1 of the files it processed were reloaded or removed", 3},
		{"--full-refresh", func() {}, RunOptions{FullRefresh: []string{"silver.*"}}, "rebuilt in full: --full-refresh", 3},
		{"SQL changed", func() {
			writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders) where id < 5"+latest)
			p, err = Load(dir)
			if err != nil {
				t.Fatal(err)
			}
		}, RunOptions{}, "rebuilt in full: its SQL, settings or quality rules changed", 3},
		{"table dropped", func() {
			if _, err := lh.Exec(ctx, "DROP TABLE silver.orders"); err != nil {
				t.Fatal(err)
			}
		}, RunOptions{}, "rebuilt in full: its table is missing", 3},
	}
	for _, s := range steps {
		s.change()
		if got := detail(s.opts); !strings.Contains(got, s.want) {
			t.Errorf("%s: detail %q, want it to say %q", s.name, got, s.want)
		}
		if n := count(t, lh, "SELECT * FROM silver.orders"); n != s.rows {
			t.Errorf("%s: silver.orders has %d rows, want %d", s.name, n, s.rows)
		}
	}
	// Ann's amount is the newest file's, merged by key.
	if n := count(t, lh, "SELECT * FROM silver.orders WHERE id = 1 AND amount = 11"); n != 1 {
		t.Errorf("the newest row of id 1 did not win: %d rows", n)
	}
}

// TestUniqueKeyStreamsThroughModel checks a merge by key over the keys
// new rows touch: STREAM() of an incremental_by_batch model reads the rows
// of the files that model processed since this one last ran, nothing new
// skips the build, and a reloaded file rebuilds it in full; each step ends
// as a full refresh of the same data would.
func TestUniqueKeyStreamsThroughModel(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "with touched as (select customer from stream(silver.orders))\n"+
		"select customer, sum(amount) as revenue, count(*) as orders from silver.orders\n"+
		"where customer in (select customer from touched) group by customer")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
	project := strings.Replace(testProject, "owner: sales}", "owner: sales, on_change: reload}", 1)
	writeTestFile(t, dir, FileName, strings.Replace(project, "  quality:", `  models:
    silver.orders: {kind: incremental_by_batch, unique_key: [id]}
    gold.revenue: {kind: incremental_by_unique_key, unique_key: [customer]}
  jobs:
    gold_only:
      tasks:
        - {task_key: ingest, type: ingest}
        - {task_key: gold.revenue, type: transform, depends_on: [ingest], models: [gold.revenue]}
  quality:`, 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	run := func(opts RunOptions) string {
		t.Helper()
		opts.Target = "dev"
		res, err := p.Run(ctx, lh, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Tasks {
			if tr.TaskKey == "gold.revenue" {
				return tr.Detail
			}
		}
		t.Fatal("no gold.revenue task")
		return ""
	}
	revenue := func() string {
		t.Helper()
		res, err := lh.Query(ctx, "SELECT string_agg(customer || '=' || revenue || '/' || orders, ' ' ORDER BY customer) FROM gold.revenue")
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(res.Rows[0][0])
	}
	steps := []struct {
		name   string
		change func()
		want   string // in the task's detail
		rows   string
	}{
		// The rule on customer quarantines order 3; amounts may be negative (a warning).
		{"first build", func() {}, "", "ann=10.0/1 bob=20.0/1 cy=-1.0/1"},
		{"nothing new", func() {}, "gold.revenue: no new files", "ann=10.0/1 bob=20.0/1 cy=-1.0/1"},
		{"a new file", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n1,ann,11\n5,dan,7\n6,ann,1\n")
		}, "gold.revenue: 1 new file", "ann=12.0/2 bob=20.0/1 cy=-1.0/1 dan=7.0/1"},
		{"a file reloaded", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,dan,8\n")
		}, "rebuilt in full: 1 of the files it processed were reloaded or removed", "ann=10.0/1 bob=20.0/1 cy=-1.0/1 dan=8.0/1"},
	}
	for _, s := range steps {
		s.change()
		if got := run(RunOptions{}); !strings.Contains(got, s.want) {
			t.Errorf("%s: detail %q, want it to say %q", s.name, got, s.want)
		}
		if got := revenue(); got != s.rows {
			t.Errorf("%s: gold.revenue is %s, want %s", s.name, got, s.rows)
		}
	}
	// A file loaded but not yet built into silver.orders is not new to
	// gold.revenue: a job that builds gold alone finds nothing new.
	writeTestFile(t, dir, "landing/orders/orders_2026-01-03.csv", "id,customer,amount\n7,eve,3\n")
	if got := run(RunOptions{Job: "gold_only"}); !strings.Contains(got, "gold.revenue: no new files") {
		t.Errorf("a file silver.orders has not built: detail %q, want no new files", got)
	}
	if got := run(RunOptions{}); !strings.Contains(got, "gold.revenue: 1 new file") {
		t.Errorf("after a new file: detail %q, want 1 new file", got)
	}
	if got, want := revenue(), "ann=10.0/1 bob=20.0/1 cy=-1.0/1 dan=8.0/1 eve=3.0/1"; got != want {
		t.Errorf("after a new file: gold.revenue is %s, want %s", got, want)
	}
}

// TestStreamThroughModelRefused checks what a model may stream: an
// ingested table or an incremental_by_batch model, and no two streams over
// the same files.
func TestStreamThroughModelRefused(t *testing.T) {
	for _, c := range []struct{ gold, want string }{
		{"select customer from stream(gold.other)", "sql/gold/revenue.sql:1:22: STREAM(gold.other): only an ingested source's bronze table or an incremental_by_batch model can be streamed"},
		{"select customer from stream(silver.orders) union select customer from stream(bronze.orders)",
			"sql/gold/revenue.sql:1:71: STREAM(bronze.orders) reads the files of bronze.orders, as STREAM(silver.orders) does"},
	} {
		dir := writeProject(t, c.gold)
		writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
		writeTestFile(t, dir, "sql/gold/other.sql", "select 1 as customer")
		writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", `  models:
    silver.orders: {kind: incremental_by_batch, unique_key: [id]}
    gold.revenue: {kind: incremental_by_unique_key, unique_key: [customer]}
  quality:`, 1))
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		lh := openTarget(t, p)
		v := p.Validate(context.Background(), lh)
		var got []string
		for _, e := range v.Errors {
			got = append(got, e.Error())
		}
		if all := strings.Join(got, "\n"); !strings.Contains(all, c.want) {
			t.Errorf("%s: no validate error says %q; got:\n%s", c.gold, c.want, all)
		}
		if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err == nil || !strings.Contains(err.Error(), strings.SplitN(c.want, ": ", 2)[1]) {
			t.Errorf("%s: run error %v, want it to say %q", c.gold, err, strings.SplitN(c.want, ": ", 2)[1])
		}
		lh.Close()
	}
}

func TestValidateKinds(t *testing.T) {
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, "sql/gold/streamed.sql", "-- streams silver\nselect * from\n  stream(silver.orders)")
	models := `  models:
    silver.orders: {kind: incremental_by_batch}
    gold.revenue: {kind: incremental_by_time, lookback: 3x}
    gold.streamed: {kind: incremental_by_batch}
    gold.other: {kind: incremental}
`
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", models+"  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	v := p.Validate(context.Background(), lh)
	var got []string
	for _, e := range v.Errors {
		got = append(got, e.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"silver.orders is incremental_by_batch but reads no STREAM() input",
		"sql/gold/streamed.sql:3:3: STREAM(silver.orders): only an ingested source's bronze table or an incremental_by_batch model can be streamed",
		"model gold.revenue is incremental_by_time but has no time_column",
		`lookback "3x" is not a duration`,
		`unknown kind "incremental" for model gold.other`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no error says %q; got:\n%s", want, all)
		}
	}
}

// TestStreamRewrite checks how a model's STREAM() inputs and
// is_incremental() are found and rewritten: not in comments or strings,
// with the table's name as alias when the text gives none.
func TestStreamRewrite(t *testing.T) {
	sub := func(tb lakehouse.TableName) string { return "(SELECT * FROM " + tb.SQL() + " WHERE new)" }
	tests := []struct {
		text, full, incremental string
		streams                 int
	}{
		{"select * from STREAM(bronze.orders)", `select * from "bronze"."orders"`, `select * from (SELECT * FROM "bronze"."orders" WHERE new) AS "orders"`, 1},
		{"select * from stream ( bronze.orders ) as o join x on true", `select * from "bronze"."orders" as o join x on true`,
			`select * from (SELECT * FROM "bronze"."orders" WHERE new) as o join x on true`, 1},
		{"select * from stream(bronze.orders) o where 1", `select * from "bronze"."orders" o where 1`, `select * from (SELECT * FROM "bronze"."orders" WHERE new) o where 1`, 1},
		{"select * from stream(bronze.orders) where 1", `select * from "bronze"."orders" where 1`, `select * from (SELECT * FROM "bronze"."orders" WHERE new) AS "orders" where 1`, 1},
		{"-- reads stream(bronze.x)\nselect 'stream(bronze.y)' from bronze.z /* stream(bronze.w) */", "", "", 0},
		{`select * from stream("bronze"."Orders")`, `select * from "bronze"."Orders"`, `select * from (SELECT * FROM "bronze"."Orders" WHERE new) AS "Orders"`, 1},
		// is_incremental(), as dbt's: false in a full build, true in an incremental one.
		{"select * from stream(bronze.o) where IS_INCREMENTAL ( ) or 'is_incremental()' = '' -- is_incremental()",
			`select * from "bronze"."o" where false or 'is_incremental()' = '' -- is_incremental()`,
			`select * from (SELECT * FROM "bronze"."o" WHERE new) AS "o" where true or 'is_incremental()' = '' -- is_incremental()`, 1},
	}
	for _, tt := range tests {
		m := Model{Text: tt.text}
		m.Streams = findStreams(m.Text)
		if len(m.Streams) != tt.streams {
			t.Errorf("%q: got %d streams, want %d", tt.text, len(m.Streams), tt.streams)
			continue
		}
		if tt.streams == 0 {
			if got := m.render(sub); got != tt.text {
				t.Errorf("%q: rewritten to %q, want it unchanged", tt.text, got)
			}
			continue
		}
		if got := m.renderAs(func(tb lakehouse.TableName) string { return tb.SQL() }, false); got != tt.full {
			t.Errorf("%q full refresh: got %q, want %q", tt.text, got, tt.full)
		}
		if got := m.render(sub); got != tt.incremental {
			t.Errorf("%q incremental: got %q, want %q", tt.text, got, tt.incremental)
		}
	}
}

// TestRunRefusesBadKinds checks that a run stops before building anything
// when a model's kind or kind settings are wrong, saying where in the
// project file, as bundle validate does: a misspelt kind used to build in
// full once and fail only on the next run.
func TestRunRefusesBadKinds(t *testing.T) {
	for _, c := range []struct{ models, want string }{
		{"    gold.revenue: {kind: incremental}\n", `lakebench.yml:7:20: unknown kind "incremental" for model gold.revenue`},
		{"    gold.revenue: {kind: incremental_by_time, time_column: customer, lookback: 30 days}\n", `lookback "30 days" is not a duration`},
		{"    silver.orders: {kind: incremental_by_batch}\n", "silver.orders is incremental_by_batch but reads no STREAM() input"},
		// More days than a time.Duration holds wrapped to a negative
		// lookback: the window began after the newest row.
		{"    gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 106752d}\n", `lakebench.yml:7:65: lookback "106752d" is too long`},
	} {
		dir := writeProject(t, fastGold)
		writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n"+c.models+"  quality:", 1))
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		lh := openTarget(t, p)
		_, err = p.Run(context.Background(), lh, RunOptions{Target: "dev"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: run error %v, want it to say %q", strings.TrimSpace(c.models), err, c.want)
		}
		if tables := builtTables(t, lh); len(tables) > 0 {
			t.Errorf("%s: the refused run built %v", strings.TrimSpace(c.models), tables)
		}
		lh.Close()
	}
}

// TestTimeColumnCheckedOnFirstBuild checks that an incremental_by_time
// model whose SELECT lacks its time_column, or whose time_column is not a
// date or time, fails on its first (full) build, naming the columns it has
// and the setting's place in the project file, not only on the next run
// (with DuckDB's binder error on the lookback's subtraction).
func TestTimeColumnCheckedOnFirstBuild(t *testing.T) {
	for column, want := range map[string]string{
		"day":      `gold.revenue has no column "day": set resources.models.gold.revenue.time_column to one of its DATE or TIMESTAMP columns (it has customer, revenue)`,
		"customer": `gold.revenue's time_column customer is VARCHAR, not a DATE or TIMESTAMP`,
	} {
		dir := writeProject(t, fastGold)
		writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:",
			"  models:\n    gold.revenue: {kind: incremental_by_time, time_column: "+column+", lookback: 3d}\n  quality:", 1))
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		lh := openTarget(t, p)
		_, err = p.Run(context.Background(), lh, RunOptions{Target: "dev"})
		lh.Close()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), FileName+":7:47:") {
			t.Errorf("time_column %s: run error %v, want it to say %q at %s:7:47", column, err, want, FileName)
		}
	}
}

// TestUniqueKeyCheckedOnFirstBuild checks that a unique_key column the
// SELECT lacks fails the first build, for a merge by key and a batch model
// with a key alike; it used to build and then fail the next run with
// DuckDB's binder error on the merge's internal names.
func TestUniqueKeyCheckedOnFirstBuild(t *testing.T) {
	for _, models := range []string{
		"    gold.revenue: {kind: incremental_by_unique_key, unique_key: [buyer]}\n",
		"    silver.orders: {kind: incremental_by_batch, unique_key: [buyer]}\n",
	} {
		dir := writeProject(t, fastGold)
		writeTestFile(t, dir, "sql/silver/orders.sql", "select id, customer, amount::double as amount from stream(bronze.orders)")
		writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n"+models+"  quality:", 1))
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		lh := openTarget(t, p)
		_, err = p.Run(context.Background(), lh, RunOptions{Target: "dev"})
		table := strings.TrimSpace(strings.Split(models, ":")[0])
		want := table + ` has no column "buyer": set resources.models.` + table + ".unique_key to columns its SELECT returns"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: run error %v, want it to say %q", table, err, want)
		}
		lh.Close()
	}
}

// TestIngestDetailCounts checks the ingest task's words for one file and
// one quarantined row ("1 new of 1 file, 1 row quarantined", not "1
// files", "1 rows"), as a reviewer's run printed them.
func TestIngestDetailCounts(t *testing.T) {
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, "landing/orders/orders_2026-01-01.csv", "id,customer,amount\n1,ann,10\n2,bob,20\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	detail := func() string {
		t.Helper()
		res, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Tasks {
			if strings.HasPrefix(tr.TaskKey, "ingest") {
				return tr.Detail
			}
		}
		t.Fatal("no ingest task")
		return ""
	}
	if got := detail(); got != "1 new of 1 file" {
		t.Errorf("first run: %q, want %q", got, "1 new of 1 file")
	}
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n3,cy,30\nx,dan,40\n")
	if got := detail(); got != "1 new of 2 files, 1 row quarantined" {
		t.Errorf("second run: %q, want %q", got, "1 new of 2 files, 1 row quarantined")
	}
}

// monitored is what the latest run recorded of each monitored table:
// its profile (every window) and drift.
type monitored struct {
	profiles []lakehouse.ColumnProfile
	drift    []lakehouse.DriftMetric
}

func monitorRecords(t *testing.T, p *Project, lh *lakehouse.Lakehouse) map[string]monitored {
	t.Helper()
	ctx := context.Background()
	out := map[string]monitored{}
	for _, name := range sortedKeys(p.Resources.QualityMonitors) {
		if m := p.Resources.QualityMonitors[name]; !m.Profile && !m.Drift {
			continue
		}
		ps, err := lh.ProfileMetrics(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := lh.DriftMetrics(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = monitored{ps, ds}
	}
	return out
}

// compareMonitorRecords fails for each profile or drift row the
// incremental runs recorded (profiling only the windows whose rows
// changed, keeping the drift of unchanged pairs) that differs from the
// full refresh's (every window profiled and compared again): all
// fields but the run and its time, averages to 1e-9; a time series'
// drift (a snapshot's compares two runs, not the same ones).
func compareMonitorRecords(t *testing.T, day int, incremental, full map[string]monitored) {
	t.Helper()
	near := func(a, b *float64) bool {
		return a == nil && b == nil || a != nil && b != nil && math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
	}
	for name, f := range full {
		inc := incremental[name]
		if len(inc.profiles) != len(f.profiles) || len(inc.drift) != len(f.drift) {
			t.Errorf("day %d: %s: incrementally %d profile and %d drift rows, fully %d and %d", day, name,
				len(inc.profiles), len(inc.drift), len(f.profiles), len(f.drift))
			continue
		}
		if len(f.profiles) == 0 {
			t.Errorf("day %d: %s: no profile recorded", day, name)
		}
		for i := range f.profiles {
			a, b := inc.profiles[i], f.profiles[i]
			if !near(a.Avg, b.Avg) || !near(a.Stddev, b.Stddev) || !near(a.AvgLength, b.AvgLength) {
				t.Errorf("day %d: %s %s %s: avg %v stddev %v incrementally, %v %v fully", day, name, a.WindowStart, a.ColumnName, a.Avg, a.Stddev, b.Avg, b.Stddev)
			}
			a.Avg, a.Stddev, a.AvgLength, a.RunID, a.ComputedAt = b.Avg, b.Stddev, b.AvgLength, b.RunID, b.ComputedAt
			if !reflect.DeepEqual(a, b) {
				t.Errorf("day %d: %s profile row %d:\n%+v\nincrementally, fully\n%+v", day, name, i, a, b)
				break
			}
		}
		if len(f.profiles) > 0 && f.profiles[0].ProfileType == lakehouse.Snapshot {
			// a snapshot's drift compares the run with the run before
			// it: the full refresh's is another pair of runs
			continue
		}
		for i := range f.drift {
			a, b := inc.drift[i], f.drift[i]
			if !near(a.AvgDelta, b.AvgDelta) {
				t.Errorf("day %d: %s drift %s %s: avg delta %v incrementally, %v fully", day, name, a.WindowStart, a.ColumnName, a.AvgDelta, b.AvgDelta)
			}
			a.AvgDelta, a.RunID, a.ComputedAt = b.AvgDelta, b.RunID, b.ComputedAt
			if !reflect.DeepEqual(a, b) {
				t.Errorf("day %d: %s drift row %d:\n%+v\nincrementally, fully\n%+v", day, name, i, a, b)
				break
			}
		}
	}
}

// TestDownstreamRebuiltWithItsInput checks that an incremental model
// whose input was rebuilt in full (a reloaded file, changed SQL) is
// rebuilt in full too: its rows before the lookback came from the input's
// replaced rows, so an incremental build would keep them where a full
// refresh would not.
func TestDownstreamRebuiltWithItsInput(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select day, customer, sum(amount) as revenue from silver.orders group by all")
	silver := "select id::int as id, customer, amount::double as amount, CAST(regexp_extract(_source_file, '\\d{4}-\\d{2}-\\d{2}') AS DATE) as day, _source_file from stream(bronze.orders)"
	writeTestFile(t, dir, "sql/silver/orders.sql", silver)
	project := strings.Replace(testProject, "owner: sales}", "owner: sales, on_change: reload}", 1)
	writeTestFile(t, dir, FileName, strings.Replace(project, "  quality:", `  models:
    silver.orders: {kind: incremental_by_batch, unique_key: [id]}
    gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 1d}
  quality:`, 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	const stale = `(SELECT * FROM gold.revenue EXCEPT ALL
		SELECT day, customer, sum(amount) FROM silver.orders GROUP BY ALL) UNION ALL
		(SELECT day, customer, sum(amount) FROM silver.orders GROUP BY ALL EXCEPT ALL SELECT * FROM gold.revenue)`
	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"first build", func() {}, ""},
		{"a new day", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-05.csv", "id,customer,amount\n5,dan,7\n")
		}, "day from 2026-01-05 on (the days silver.orders changed)"},
		{"the first day reloaded", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-01.csv", "id,customer,amount\n1,ann,100\n2,bob,20\n")
		}, "rebuilt in full: silver.orders, which it reads, was rebuilt in full"},
		{"nothing new", func() {}, "gold.revenue: no input changed"},
	}
	for _, s := range steps {
		s.change()
		res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Tasks {
			if tr.TaskKey == "gold.revenue" && !strings.Contains(tr.Detail, s.want) {
				t.Errorf("%s: gold.revenue's detail %q, want it to say %q", s.name, tr.Detail, s.want)
			}
		}
		if n := count(t, lh, stale); n != 0 {
			t.Errorf("%s: %d rows of gold.revenue differ from a full build over silver.orders", s.name, n)
		}
	}
	// An input's SQL changed is part of the reader's fingerprint, so it is
	// rebuilt in full even when that run did not build it (the job built
	// only silver, or gold failed).
	models, err := p.Models(ctx, lh)
	if err != nil {
		t.Fatal(err)
	}
	gold := models[slices.IndexFunc(models, func(m Model) bool { return m.Table.String() == "gold.revenue" })]
	before := p.upstreamFingerprint("", gold, models)
	writeTestFile(t, dir, "sql/silver/orders.sql", strings.Replace(silver, "amount::double", "2 * amount::double", 1))
	if p, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	if models, err = p.Models(ctx, lh); err != nil {
		t.Fatal(err)
	}
	if after := p.upstreamFingerprint("", gold, models); after == before {
		t.Error("gold.revenue's fingerprint did not change with the SQL of silver.orders, which it reads")
	}
}

// TestForgedModelFilesNotDoubleCounted: an appending incremental_by_batch
// model whose record of processed files was deleted (sys.model_files
// edited beside lakebench) would append every file's rows again; its table
// already holds rows of those files, so it is rebuilt in full instead.
func TestForgedModelFilesNotDoubleCounted(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer func() { lh.Close() }()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	want := count(t, lh, "SELECT * FROM silver.orders")
	// lakebench refuses the statement; the file itself is the user's.
	lh.Close()
	db, err := sql.Open("duckdb", p.DatabasePath("dev"))
	if err != nil {
		t.Fatal(err)
	}
	// The build's digest of the record is cleared too (as a build
	// recorded before digests were kept): the table's own rows still
	// tell (TestForgedModelFilesSkipNoFile forges the record alone).
	if _, err := db.Exec("DELETE FROM sys.model_files WHERE model = 'silver.orders'; UPDATE sys.model_builds SET files = NULL WHERE model = 'silver.orders'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	lh = openTarget(t, p)
	res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, lh, "SELECT * FROM silver.orders"); n != want {
		t.Errorf("silver.orders has %d rows after its processed files' record was deleted, want %d", n, want)
	}
	for _, tr := range res.Tasks {
		if tr.TaskKey == "silver.orders" && !strings.Contains(tr.Detail, "rebuilt in full: its table already holds rows of 1 of the files") {
			t.Errorf("silver.orders' detail %q, want it to say why it was rebuilt", tr.Detail)
		}
	}
}

// TestForgedModelFilesSkipNoFile: a record forged into sys.model_files
// (the file edited beside lakebench: no statement writes sys, which is
// checked first) claims that a merging incremental_by_batch model has
// processed a file it never read. Before, the next run skipped the file
// ("no new files") and the table lacked its rows for good; now the record
// does not match the digest its last build kept in sys.model_builds, so
// the model is rebuilt in full, with its rows.
func TestForgedModelFilesSkipNoFile(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:",
		"  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  jobs:\n    load: {tasks: [{task_key: ingest, type: ingest}]}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer func() { lh.Close() }()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	// The next day's file is loaded, not yet built.
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n5,dee,50\n6,ann,60\n")
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev", Job: "load"}); err != nil {
		t.Fatal(err)
	}
	const forge = `INSERT INTO sys.model_files SELECT 'silver.orders', table_name, file_id FROM sys.ingested_files
		WHERE table_name = 'bronze.orders' AND path LIKE '%2026-01-02%'`
	for _, who := range []string{"", "dev-owner"} {
		lh.SetPrincipal(who)
		var ae *lakehouse.AccessError
		if _, err := lh.Exec(ctx, forge); !errors.As(err, &ae) {
			t.Errorf("%q wrote sys.model_files through lakebench: %v", who, err)
		}
	}
	lh.SetPrincipal("")
	// lakebench refuses the statement; the file itself is the user's.
	lh.Close()
	db, err := sql.Open("duckdb", p.DatabasePath("dev"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := db.Exec(forge); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("forged %d records, want 1", n)
	}
	db.Close()
	lh = openTarget(t, p)
	res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, lh, "SELECT * FROM silver.orders WHERE id IN (5, 6)"); n != 2 {
		t.Errorf("silver.orders holds %d of the forged file's 2 rows", n)
	}
	for _, tr := range res.Tasks {
		if tr.TaskKey == "silver.orders" && !strings.Contains(tr.Detail, "rebuilt in full: its record of processed files (sys.model_files) is not the one its last build wrote") {
			t.Errorf("silver.orders' detail %q, want it rebuilt in full and why", tr.Detail)
		}
	}
	// The rebuild recorded the files anew: the next run has nothing to do.
	res, err = p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Tasks {
		if tr.TaskKey == "silver.orders" && !strings.Contains(tr.Detail, "no new files") {
			t.Errorf("silver.orders' detail after the rebuild %q, want no new files", tr.Detail)
		}
	}
}

// TestParseLookbackBounds checks the lookbacks a model may set: whole
// days up to the longest a time.Duration holds, never a negative one
// (106752d used to wrap around to about -292 years).
func TestParseLookbackBounds(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"", 0, ""},
		{"0d", 0, ""},
		{"3d", 72 * time.Hour, ""},
		{"12h", 12 * time.Hour, ""},
		{"106751d", 106751 * 24 * time.Hour, ""},
		{"106752d", 0, "is too long"},
		{"99999999999d", 0, "is too long"},
		{"9223372036854775807d", 0, "is too long"},
		{"99999999999999999999d", 0, "is not a duration"},
		{"-1d", 0, "is not a duration"},
		{"-1h", 0, "is not a duration"},
		{"1ns", 0, "is not a duration"},
	} {
		got, err := ParseLookback(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %v, %v; want an error saying %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %v, %v; want %v", c.in, got, err, c.want)
		}
		if got < 0 {
			t.Errorf("%q: a negative lookback %v", c.in, got)
		}
	}
}

// TestModelEndingInComment checks that a model file may end in comments
// and semicolons, as SQL files often do, whatever its kind: a trailing
// "-- comment" failed every build with DuckDB's "syntax error at end of
// input" (it swallowed the parenthesis lakebench wraps the SELECT in),
// and "; -- comment" with "syntax error at or near ;", neither with a
// position.
func TestModelEndingInComment(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select day, customer, sum(amount) as revenue from silver.orders group by all; -- one row per day and customer")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount,\n"+
		"  CAST(regexp_extract(_source_file, '\\d{4}-\\d{2}-\\d{2}') AS DATE) as day, _source_file\nfrom stream(bronze.orders) -- new files only")
	writeTestFile(t, dir, "sql/gold/totals.sql", "select customer, sum(amount) as total from silver.orders group by all;\n/* every day */\n-- end")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", `  models:
    silver.orders: {kind: incremental_by_batch, unique_key: [id]}
    gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 1d}
  quality:`, 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	for i, add := range []string{"", "landing/orders/orders_2026-01-05.csv"} {
		if add != "" {
			writeTestFile(t, dir, add, "id,customer,amount\n5,dan,7\n")
		}
		if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		for _, q := range []string{
			`(SELECT * FROM gold.revenue EXCEPT ALL SELECT day, customer, sum(amount) FROM silver.orders GROUP BY ALL)
				UNION ALL (SELECT day, customer, sum(amount) FROM silver.orders GROUP BY ALL EXCEPT ALL SELECT * FROM gold.revenue)`,
			`(SELECT * FROM gold.totals EXCEPT ALL SELECT customer, sum(amount) FROM silver.orders GROUP BY ALL)
				UNION ALL (SELECT customer, sum(amount) FROM silver.orders GROUP BY ALL EXCEPT ALL SELECT * FROM gold.totals)`,
		} {
			if n := count(t, lh, q); n != 0 {
				t.Errorf("run %d: %d rows differ from the models' SQL over silver.orders", i+1, n)
			}
		}
	}
	if n := count(t, lh, "SELECT * FROM silver.orders WHERE id = 5"); n != 1 {
		t.Errorf("the second day's order is in silver %d times, want once", n)
	}
}

// TestModelNameWithDot checks that a model file whose name (or
// directory) has a dot is refused before anything is built, at the file:
// sql/gold/a.b.sql built "gold"."a.b", which reads back as no table, so
// every run failed in its health step after building.
func TestModelNameWithDot(t *testing.T) {
	for _, path := range []string{"sql/gold/a.b.sql", "sql/my.gold/sales.sql"} {
		dir := writeProject(t, fastGold)
		writeTestFile(t, dir, path, "select 1 as x")
		project := strings.Replace(testProject, "transforms: [sql/silver/*.sql, sql/gold/*.sql]", "transforms: [sql/silver/*.sql, sql/gold/*.sql, sql/my.gold/*.sql]", 1)
		writeTestFile(t, dir, FileName, project)
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		lh := openTarget(t, p)
		_, err = p.Run(context.Background(), lh, RunOptions{Target: "dev"})
		if err == nil || !strings.Contains(err.Error(), path+":1:1") || !strings.Contains(err.Error(), "has a dot") {
			t.Errorf("%s: run error %v, want it to name the file and the dot", path, err)
		}
		if tables := builtTables(t, lh); len(tables) > 0 {
			t.Errorf("%s: the refused run built %v", path, tables)
		}
		lh.Close()
	}
}

// TestTimeWindowIgnoresFutureRows checks that one row dated far in the
// future (a 9999-12-31 placeholder) does not stop an incremental_by_time
// model from building the new days: its window started from that row, so
// every later day was left out of gold, unlike a full refresh.
func TestTimeWindowIgnoresFutureRows(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select day, customer, sum(amount) as revenue from silver.orders group by all")
	writeTestFile(t, dir, "landing/orders/orders_2026-01-01.csv", "id,customer,amount,day\n1,ann,10,2026-01-01\n2,bob,20,9999-12-31\n")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, day::DATE as day from stream(bronze.orders)")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", `  models:
    silver.orders: {kind: incremental_by_batch, unique_key: [id]}
    gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 1d}
  quality:`, 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p.Clock = func() time.Time { return time.Date(2026, 1, 4, 12, 0, 0, 0, time.UTC) }
	lh := openTarget(t, p)
	defer lh.Close()
	const stale = `(SELECT * FROM gold.revenue EXCEPT ALL SELECT day, customer, sum(amount) FROM silver.orders GROUP BY ALL)
		UNION ALL (SELECT day, customer, sum(amount) FROM silver.orders GROUP BY ALL EXCEPT ALL SELECT * FROM gold.revenue)`
	for i, day := range []string{"", "2026-01-02", "2026-01-03", "2026-01-04"} {
		if day != "" {
			writeTestFile(t, dir, "landing/orders/orders_"+day+".csv", fmt.Sprintf("id,customer,amount,day\n%d,cy,%d,%s\n", 10+i, i, day))
		}
		res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, lh, stale); n != 0 {
			for _, tr := range res.Tasks {
				if tr.TaskKey == "gold.revenue" {
					t.Logf("gold.revenue: %s", tr.Detail)
				}
			}
			t.Errorf("after %q: %d rows of gold.revenue differ from its SQL over silver.orders", day, n)
		}
	}
}

// TestFullModelSkippedWhenInputsUnchanged: a full model whose last build
// had the same SQL and the same inputs (no input model built since, no
// file loaded into an input source) is not rebuilt; a new file upstream,
// its SQL changed, its input rebuilt by --full-refresh, its own
// --full-refresh or its table dropped rebuild it, and a model that reads
// the clock is rebuilt every run. After each step it equals a build from
// scratch over its input.
func TestFullModelSkippedWhenInputsUnchanged(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select customer, sum(amount) as revenue from silver.orders group by all")
	// The latest file's row per id: a full refresh reads both files, which
	// repeat order 1 (a unique_key holds one row per key).
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)\n"+
		"qualify row_number() over (partition by id order by _source_file desc) = 1")
	writeTestFile(t, dir, "sql/gold/stamped.sql", "select customer, current_date as day from silver.orders")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	const skipped = "its inputs did not change"
	steps := []struct {
		name   string
		change func()
		opts   RunOptions
		skip   bool
	}{
		{"first build", func() {}, RunOptions{}, false},
		{"nothing new", func() {}, RunOptions{}, true},
		{"a new file", func() {
			writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n1,ann,11\n5,dan,7\n")
		}, RunOptions{}, false},
		{"nothing new again", func() {}, RunOptions{}, true},
		{"its SQL changed", func() {
			writeTestFile(t, dir, "sql/gold/revenue.sql", "select customer, sum(amount) as revenue from silver.orders where amount > 0 group by all")
			if p, err = Load(dir); err != nil {
				t.Fatal(err)
			}
		}, RunOptions{}, false},
		{"its input refreshed in full", func() {}, RunOptions{FullRefresh: []string{"silver.orders"}}, false},
		{"nothing new after the refresh", func() {}, RunOptions{}, true},
		{"its own --full-refresh", func() {}, RunOptions{FullRefresh: []string{"gold.revenue"}}, false},
		{"its table dropped", func() {
			if _, err := lh.Exec(ctx, "DROP TABLE gold.revenue"); err != nil {
				t.Fatal(err)
			}
		}, RunOptions{}, false},
	}
	built := func() string {
		t.Helper()
		res, err := lh.Query(ctx, "SELECT coalesce(max(built_at)::VARCHAR, '') FROM sys.model_builds WHERE model = 'gold.revenue'")
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(string)
	}
	for _, s := range steps {
		s.change()
		s.opts.Target = "dev"
		before := built()
		res, err := p.Run(ctx, lh, s.opts)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		seen := 0
		for _, tr := range res.Tasks {
			switch tr.TaskKey {
			case "gold.revenue":
				seen++
				if got := strings.Contains(tr.Detail, skipped); got != s.skip {
					t.Errorf("%s: gold.revenue's detail is %q: skipped %v, want %v", s.name, tr.Detail, got, s.skip)
				}
			case "gold.stamped":
				seen++
				if strings.Contains(tr.Detail, skipped) {
					t.Errorf("%s: gold.stamped reads the clock but was skipped: %q", s.name, tr.Detail)
				}
			}
		}
		if seen != 2 {
			t.Fatalf("%s: %d of the gold tasks ran, want 2", s.name, seen)
		}
		if after := built(); (after == before) != s.skip {
			t.Errorf("%s: gold.revenue's build recorded at %s, before the run %s: skipped %v", s.name, after, before, s.skip)
		}
		var m Model
		models, err := p.Models(ctx, lh)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range models {
			if x.Table.String() == "gold.revenue" {
				m = x
			}
		}
		stale := "(SELECT * FROM gold.revenue EXCEPT ALL (" + m.SQL + ")) UNION ALL ((" + m.SQL + ") EXCEPT ALL SELECT * FROM gold.revenue)"
		if n := count(t, lh, stale); n != 0 {
			t.Errorf("%s: %d rows of gold.revenue differ from a build from scratch", s.name, n)
		}
	}
}

// TestFullModelRebuiltAfterAWriteOutsideABuild: a statement that writes a
// full model's input outside a build (the owner's UPDATE through a query,
// a job's sql task) leaves no build or loaded file behind, so the input
// stamp alone called the model unchanged: gold.revenue kept the sums from
// before the UPDATE, run after run. Each such write now drops the stamps,
// the next run rebuilds, and the one after skips again.
func TestFullModelRebuiltAfterAWriteOutsideABuild(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select customer, sum(amount) as revenue from silver.orders group by all")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
	project := strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  quality:", 1) +
		"  jobs:\n    fix:\n      tasks:\n        - {task_key: fix, type: sql, sql: \"UPDATE silver.orders SET amount = amount * 3\"}\n"
	writeTestFile(t, dir, FileName, project)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	steps := []struct {
		name   string
		change func()
		skip   bool
	}{
		{"first build", func() {}, false},
		{"nothing new", func() {}, true},
		{"an UPDATE of its input through a query", func() {
			if _, err := lh.Exec(ctx, "UPDATE silver.orders SET amount = amount + 100 WHERE customer = 'ann'"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"nothing new after the UPDATE", func() {}, true},
		{"a job's sql task", func() {
			if _, err := p.Run(ctx, lh, RunOptions{Target: "dev", Job: "fix"}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"nothing new after the sql task", func() {}, true},
	}
	for _, s := range steps {
		s.change()
		res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for _, tr := range res.Tasks {
			if tr.TaskKey == "gold.revenue" {
				if got := strings.Contains(tr.Detail, "its inputs did not change"); got != s.skip {
					t.Errorf("%s: gold.revenue's detail is %q: skipped %v, want %v", s.name, tr.Detail, got, s.skip)
				}
			}
		}
		const scratch = "select customer, sum(amount) as revenue from silver.orders group by all"
		stale := "(SELECT * FROM gold.revenue EXCEPT ALL (" + scratch + ")) UNION ALL ((" + scratch + ") EXCEPT ALL SELECT * FROM gold.revenue)"
		if n := count(t, lh, stale); n != 0 {
			t.Errorf("%s: %d rows of gold.revenue differ from a build from scratch", s.name, n)
		}
	}
}

// TestFullModelCallingAMacroNotSkipped: a full model that calls a macro
// of the target's is rebuilt every run: the macro may read a table its
// SQL does not name (so no input stamp sees it change) or a clock.
// Without that, gold.revenue's total from gold.total() stayed at the
// first build's after new orders came in.
func TestFullModelCallingAMacroNotSkipped(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select gold.total() as revenue")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	for _, s := range []string{"CREATE SCHEMA IF NOT EXISTS gold", "CREATE SCHEMA IF NOT EXISTS silver", "CREATE TABLE silver.orders (id INT, customer VARCHAR, amount DOUBLE, _source_file VARCHAR)"} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lh.Exec(ctx, "CREATE MACRO gold.total() AS (SELECT coalesce(sum(amount), 0) FROM silver.orders)"); err != nil {
		t.Fatal(err)
	}
	for i, file := range []string{"", "landing/orders/orders_2026-01-02.csv"} {
		if file != "" {
			writeTestFile(t, dir, file, "id,customer,amount\n7,ann,1000\n")
		}
		// The macro's table is no input the DAG sees, so the model may
		// build before it in the first run: the second reads it built.
		for j := range 2 {
			res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			for _, tr := range res.Tasks {
				if tr.TaskKey == "gold.revenue" && strings.Contains(tr.Detail, "its inputs did not change") {
					t.Errorf("run %d: gold.revenue calls a macro but was skipped: %q", i, tr.Detail)
				}
			}
			if n := count(t, lh, "SELECT * FROM gold.revenue WHERE revenue IS DISTINCT FROM (SELECT coalesce(sum(amount), 0) FROM silver.orders)"); j == 1 && n != 0 {
				t.Errorf("run %d: gold.revenue is not silver.orders' total", i)
			}
		}
	}
}

// TestFullModelRuleReadingATableNotSkipped: a full model whose warn rule
// reads another table through a subquery (or a clock) is rebuilt every
// run: its flags change when that table does, which its input stamp does
// not see. Without that, gold.revenue's _warnings stayed those of the
// first build after silver.limits lowered the cap.
func TestFullModelRuleReadingATableNotSkipped(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, "select customer, sum(amount) as revenue from silver.orders where customer is not null group by all")
	writeTestFile(t, dir, "sql/silver/limits.sql", "select min(cap)::double as cap from bronze.limits")
	writeTestFile(t, dir, "landing/limits/limits_2026-01-01.csv", "cap\n1000\n")
	project := strings.Replace(testProject, "    orders: {path: landing/orders/*.csv, owner: sales}",
		"    orders: {path: landing/orders/*.csv, owner: sales}\n    limits: {path: landing/limits/*.csv}", 1)
	writeTestFile(t, dir, FileName, project)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	// silver.limits is built before the rule that reads it is added (the
	// rule's table is no input the DAG orders gold.revenue after).
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, FileName, strings.Replace(project, "  quality:\n",
		"  quality:\n    gold.revenue:\n      - {check: sql_expression, expression: \"revenue <= (select max(cap) from silver.limits)\", name: under_cap, criticality: warn}\n", 1))
	if p, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	// The rule's table is no input the DAG orders gold.revenue after: the
	// run that rebuilds silver.limits may build gold.revenue first, so
	// its flags are checked on the run after (which must not skip).
	for i, file := range []string{"", "", "landing/limits/limits_2026-01-02.csv", ""} {
		if file != "" {
			writeTestFile(t, dir, file, "cap\n1\n")
		}
		res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		for _, tr := range res.Tasks {
			if tr.TaskKey == "gold.revenue" && strings.Contains(tr.Detail, "its inputs did not change") {
				t.Errorf("run %d: gold.revenue's rule reads silver.limits but was skipped: %q", i, tr.Detail)
			}
		}
		if n := count(t, lh, "SELECT * FROM gold.revenue WHERE (_warnings IS NULL) <> (revenue <= (SELECT max(cap) FROM silver.limits))"); i != 2 && n != 0 {
			t.Errorf("run %d: %d rows of gold.revenue are flagged against another cap than silver.limits'", i, n)
		}
	}
}
