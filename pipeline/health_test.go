package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// healthStart is day 0 of the synthetic histories.
var healthStart = time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC)

// synthDay is the date of a synthetic history's day d.
func synthDay(d int) time.Time { return healthStart.AddDate(0, 0, d) }

// findResult returns the result of table's metric whose window starts on
// day (the newest evaluation of it), failing when there is none.
func findResult(t *testing.T, res []lakehouse.HealthResult, table, metric string, day time.Time) lakehouse.HealthResult {
	t.Helper()
	var found *lakehouse.HealthResult
	for i, r := range res {
		if r.Table == table && r.Metric == metric && r.WindowStart.Equal(day) {
			found = &res[i]
		}
	}
	if found == nil {
		t.Fatalf("no %s result of %s for %s", metric, table, day.Format(time.DateOnly))
	}
	return *found
}

func wantStatus(t *testing.T, r lakehouse.HealthResult, status, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode != code {
		t.Errorf("%s %s %s: got %s %s (observed %g, predicted %g..%g: %s), want %s %s", r.Table, r.Metric, r.WindowStart.Format(time.DateOnly),
			r.Status, r.ErrorCode, r.Observed, r.PredictedMin, r.PredictedMax, r.Message, status, code)
	}
}

// TestHealthSyntheticHistories writes tables with known daily histories
// into a real DuckDB file (each a day column ts and a value v) and checks
// the statuses learned from them.
func TestHealthSyntheticHistories(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: health}\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	// rows(d) is a weekly pattern (weekends peak) with some noise; day -1
	// means no day is special.
	table := func(name string, days int, rows, nulls func(d string) string) {
		t.Helper()
		q := fmt.Sprintf(`CREATE TABLE silver.%s AS SELECT TIMESTAMP '%s' + to_days(d::INTEGER) + to_seconds((r * 8)::INTEGER) AS ts,
			CASE WHEN r < %s THEN NULL ELSE r END AS v
			FROM (SELECT d, unnest(range(%s)) AS r FROM range(%d) AS a(d)) WHERE %s > 0`,
			name, healthStart.Format(time.DateTime), nulls("d"), rows("d"), days, rows("d"))
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	weekly := func(d string) string {
		return fmt.Sprintf("(CASE WHEN dayofweek(TIMESTAMP '%s' + to_days(%s::INTEGER)) IN (0, 6) THEN 160 ELSE 100 END + (%s * 7) %% 11)",
			healthStart.Format(time.DateTime), d, d)
	}
	none := func(string) string { return "0" }
	table("regular", 35, weekly, none)
	table("missing_day", 35, func(d string) string { return fmt.Sprintf("CASE WHEN %s = 20 THEN 0 ELSE %s END", d, weekly(d)) }, none)
	table("too_short", 4, weekly, none)
	table("outlier", 35, func(d string) string {
		return fmt.Sprintf("CASE WHEN %s = 10 THEN 10000 WHEN %s = 34 THEN 40 ELSE %s END", d, d, weekly(d))
	}, none)
	table("stale", 28, weekly, none)
	table("null_batch", 35, weekly, func(d string) string { return fmt.Sprintf("CASE WHEN %s = 15 THEN 2 ELSE 0 END", d) })

	// Commits: every hour for a day, then evaluated 30 minutes or 10
	// hours after the last one.
	last := synthDay(34).Add(12 * time.Hour)
	for i := 24; i >= 0; i-- {
		at := last.Add(-time.Duration(i) * time.Hour)
		for _, name := range []string{"silver.regular", "silver.stale"} {
			if err := lh.RecordTaskRun(ctx, lakehouse.TaskRun{RunID: fmt.Sprintf("r%d", i), TaskKey: name, Kind: "transform", TargetTable: name,
				StartedAt: at.Add(-time.Minute), EndedAt: at, Status: "succeeded", RowsWritten: 10}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := lh.RecordTaskRun(ctx, lakehouse.TaskRun{RunID: "r", TaskKey: "x", Kind: "transform", TargetTable: "silver.too_short",
		StartedAt: last, EndedAt: last, Status: "succeeded", RowsWritten: 10}); err != nil {
		t.Fatal(err)
	}
	p.Clock = func() time.Time { return last.Add(30 * time.Minute) }
	if _, err := p.CheckHealth(ctx, lh, "", ""); err != nil {
		t.Fatal(err)
	}
	res, err := lh.TableResultHistory(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	newest := synthDay(34)

	// A regular cadence: Healthy, weekends included.
	for _, m := range []string{metricDataFreshness, metricDailyRows, metricPercentNull} {
		for d := 8; d <= 34; d++ {
			wantStatus(t, findResult(t, res, "silver.regular", m, synthDay(d)), lakehouse.Healthy, "")
		}
	}
	// A missing day: Unhealthy on that day, in freshness and rows; the
	// days after it Healthy again.
	wantStatus(t, findResult(t, res, "silver.missing_day", metricDataFreshness, synthDay(20)), lakehouse.Unhealthy, "")
	wantStatus(t, findResult(t, res, "silver.missing_day", metricDailyRows, synthDay(20)), lakehouse.Unhealthy, "")
	wantStatus(t, findResult(t, res, "silver.missing_day", metricDailyRows, synthDay(21)), lakehouse.Healthy, "")
	wantStatus(t, findResult(t, res, "silver.missing_day", metricDataFreshness, newest), lakehouse.Healthy, "")
	// Too short a history: Unknown.
	for _, m := range []string{metricDataFreshness, metricDailyRows, metricPercentNull, metricCommitFreshness} {
		r := findLatest(t, res, "silver.too_short", m)
		wantStatus(t, r, lakehouse.Unknown, lakehouse.NotEnoughHistory)
	}
	// One huge day in the history does not widen the range so much that
	// a real drop passes.
	wantStatus(t, findResult(t, res, "silver.outlier", metricDailyRows, synthDay(34)), lakehouse.Unhealthy, "")
	wantStatus(t, findResult(t, res, "silver.outlier", metricDailyRows, synthDay(33)), lakehouse.Healthy, "")
	// Late: the table's days stop on day 27 while the others go on.
	stale := findResult(t, res, "silver.stale", metricDataFreshness, newest)
	wantStatus(t, stale, lakehouse.Unhealthy, "")
	if stale.Observed != 7 {
		t.Errorf("silver.stale is %g days behind, want 7", stale.Observed)
	}
	// A batch with NULLs in a column that never has any.
	nb := findResult(t, res, "silver.null_batch", metricPercentNull, synthDay(15))
	wantStatus(t, nb, lakehouse.Unhealthy, "")
	if nb.Column != "v" {
		t.Errorf("the null batch names column %q, want v", nb.Column)
	}
	wantStatus(t, findResult(t, res, "silver.null_batch", metricPercentNull, synthDay(16)), lakehouse.Healthy, "")
	// Commits on time: Healthy.
	wantStatus(t, findLatest(t, res, "silver.regular", metricCommitFreshness), lakehouse.Healthy, "")

	// Ten hours later, with no commit: late.
	p.Clock = func() time.Time { return last.Add(10 * time.Hour) }
	if _, err := p.CheckHealth(ctx, lh, "", ""); err != nil {
		t.Fatal(err)
	}
	latest, err := lh.TableResults(ctx, "silver.stale")
	if err != nil {
		t.Fatal(err)
	}
	r := findLatest(t, latest, "silver.stale", metricCommitFreshness)
	wantStatus(t, r, lakehouse.Unhealthy, "")
	if r.Observed != 10*3600 || r.PredictedMax >= 10*3600 {
		t.Errorf("late commit: observed %gs, predicted at most %gs; want 36000 and less", r.Observed, r.PredictedMax)
	}
	// The second evaluation recorded only the newest windows again.
	again, err := lh.TableResultHistory(ctx, "silver.regular")
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[string]int{}
	for _, r := range again {
		perDay[r.Metric+" "+r.WindowStart.Format(time.DateOnly)]++
	}
	for k, n := range perDay {
		if want := 1; !strings.Contains(k, newest.Format(time.DateOnly)) && !strings.HasPrefix(k, metricCommitFreshness) && n != want {
			t.Errorf("%s recorded %d times, want %d", k, n, want)
		}
	}
}

func findLatest(t *testing.T, res []lakehouse.HealthResult, table, metric string) lakehouse.HealthResult {
	t.Helper()
	var found *lakehouse.HealthResult
	for i, r := range res {
		if r.Table == table && r.Metric == metric && (found == nil || !r.WindowStart.Before(found.WindowStart)) {
			found = &res[i]
		}
	}
	if found == nil {
		t.Fatalf("no %s result of %s", metric, table)
	}
	return *found
}

// TestHealthOnSample generates the sample at dev scale and runs it once
// (days 1..53 in one run): the missing day and the null batch are found,
// no other day is flagged, and the downstream impact follows lineage.
// After the next day and a run, every table's latest results are healthy.
func TestHealthOnSample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev}); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Every table's days kept, however small (the sample at dev scale).
	keepAll := lakehouse.Options{Holder: t.Name(), HealthKeepRows: -1}
	lh, err := lakehouse.Open(ctx, p.DatabasePath("dev"), keepAll)
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	res, err := lh.TableResultHistory(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	missing, nullDay := sampledata.DayDate(sampledata.MissingOrdersDay), sampledata.DayDate(sampledata.NullCustomerDay)
	for _, table := range []string{"bronze.orders", "bronze.order_items", "silver.orders"} {
		wantStatus(t, findResult(t, res, table, metricDataFreshness, missing), lakehouse.Unhealthy, "")
		wantStatus(t, findResult(t, res, table, metricDailyRows, missing), lakehouse.Unhealthy, "")
	}
	nb := findResult(t, res, "bronze.orders", metricPercentNull, nullDay)
	wantStatus(t, nb, lakehouse.Unhealthy, "")
	if nb.Column != "customer_id" {
		t.Errorf("the null batch names column %q, want customer_id", nb.Column)
	}
	// Nothing else is flagged, on any table: weekends, the signup campaign
	// (day 12), the electronics dip (26-35), late orders (40, 42).
	healthyDays := 0
	for _, r := range res {
		if r.Status != lakehouse.Unhealthy {
			if r.Status == lakehouse.Healthy && r.Metric == metricDailyRows && r.Table == "bronze.orders" {
				healthyDays++
			}
			continue
		}
		if !r.WindowStart.Equal(missing) && !r.WindowStart.Equal(nullDay) {
			t.Errorf("%s %s %s flagged: %s (observed %g, predicted %g..%g)", r.Table, r.Metric, r.WindowStart.Format(time.DateOnly),
				r.Message, r.Observed, r.PredictedMin, r.PredictedMax)
		}
		if r.ImpactLevel == 0 {
			t.Errorf("%s %s is Unhealthy with impact level 0", r.Table, r.Metric)
		}
	}
	if healthyDays < 40 {
		t.Errorf("bronze.orders has %d Healthy days of rows, want at least 40 of 53", healthyDays)
	}
	// Downstream impact: the tables built from bronze.orders and the model
	// trained on them.
	for _, want := range []string{"silver.orders", "gold.daily_revenue", "gold.customer_features", "model:churn"} {
		if !slices.Contains(nb.DownstreamImpact, want) {
			t.Errorf("downstream impact of bronze.orders is %v, missing %s", nb.DownstreamImpact, want)
		}
	}
	if nb.ImpactLevel != 4 {
		t.Errorf("impact level of bronze.orders is %d, want 4 (a registered model downstream)", nb.ImpactLevel)
	}
	// The objectives keep working: silver.orders' freshness by order_ts
	// misses 24h over the missing day; its completeness holds (the NULL
	// customers are quarantined).
	wantStatus(t, findResult(t, res, "silver.orders", metricObjectiveFreshness, missing), lakehouse.Unhealthy, "")
	wantStatus(t, findResult(t, res, "silver.orders", metricObjectiveCompleteness, nullDay), lakehouse.Healthy, "")

	if _, err := sampledata.Next(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	latest, err := lh.TableResults(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	next := sampledata.DayDate(sampledata.DefaultDays + 1)
	healthy := map[string]bool{}
	for _, r := range latest {
		if r.Status == lakehouse.Unhealthy {
			t.Errorf("after day %d: %s %s is Unhealthy: %s", sampledata.DefaultDays+1, r.Table, r.Metric, r.Message)
		}
		if r.Status == lakehouse.Healthy {
			healthy[r.Table] = true
		}
		if r.Metric == metricDailyRows && strings.HasPrefix(r.Table, "bronze.order") && !r.WindowStart.Equal(next) {
			t.Errorf("the latest rows of %s are of %s, want %s", r.Table, r.WindowStart.Format(time.DateOnly), next.Format(time.DateOnly))
		}
	}
	for _, table := range []string{"bronze.orders", "silver.orders", "gold.daily_revenue"} {
		if !healthy[table] {
			t.Errorf("after day %d, %s has no Healthy result", sampledata.DefaultDays+1, table)
		}
	}

	// A run with nothing new rebuilds no model: each model's table's days
	// are taken from the last health step's, and every figure equals a
	// read of every table.
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, lh, "SELECT DISTINCT table_name FROM sys.health_table_stats"); n < 5 {
		t.Fatalf("the days of %d tables are kept, want at least 5", n)
	}
	now := time.Now()
	kept, _, err := p.evaluateHealth(ctx, lh, "r", now)
	if err != nil {
		t.Fatal(err)
	}
	// The kept days deleted beside lakebench, as no statement may.
	lh.Close()
	db, err := sql.Open("duckdb", p.DatabasePath("dev"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM sys.health_table_stats"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if lh, err = lakehouse.Open(ctx, p.DatabasePath("dev"), keepAll); err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	read, _, err := p.evaluateHealth(ctx, lh, "r", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(read) == 0 || !reflect.DeepEqual(kept, read) {
		t.Errorf("health from the kept days differs from a read of every table:\n%+v\n%+v", kept, read)
	}
}

// TestHealthDownstreamImpact runs a small project (a CSV source, a silver
// model and a gold model reading it) and checks each table's downstream
// impact from lineage, and the impact levels.
func TestHealthDownstreamImpact(t *testing.T) {
	ctx := context.Background()
	p, err := Load(writeProject(t, fastGold))
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	res, err := lh.TableResults(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bronze.orders": "gold.revenue,silver.orders", "silver.orders": "gold.revenue", "gold.revenue": ""}
	seen := map[string]bool{}
	for _, r := range res {
		w, ok := want[r.Table]
		if !ok {
			t.Errorf("a result for %s, which is not a table of the project's layers", r.Table)
			continue
		}
		seen[r.Table] = true
		if got := strings.Join(r.DownstreamImpact, ","); got != w {
			t.Errorf("%s %s: downstream impact %q, want %q", r.Table, r.Metric, got, w)
		}
		// One commit: too short a history for any learned check.
		if r.Source == sourceLearned && (r.Status != lakehouse.Unknown || r.ErrorCode != lakehouse.NotEnoughHistory) {
			t.Errorf("%s %s: %s %s after one run, want Unknown %s", r.Table, r.Metric, r.Status, r.ErrorCode, lakehouse.NotEnoughHistory)
		}
	}
	for table := range want {
		if !seen[table] {
			t.Errorf("no result for %s", table)
		}
	}
	for _, c := range []struct {
		down []string
		want int
	}{{nil, 1}, {[]string{"gold.a"}, 2}, {[]string{"a.a", "b.b", "c.c", "d.d"}, 3}, {[]string{"gold.a", "model:churn"}, 4}} {
		if got := impactLevel(c.down); got != c.want {
			t.Errorf("impactLevel(%v) = %d, want %d", c.down, got, c.want)
		}
	}
}

// TestHealthFarOffDay checks that one row dated far from the others (a
// 2200-01-01 placeholder beside ten days of 2026) does not make a run
// judge every calendar day between them: it recorded a result per day,
// and on a 9999-12-31 row took all the machine's memory. The judged span
// is at most maxJudgedDays before the newest day.
func TestHealthFarOffDay(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: health}\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := lh.Exec(ctx, `CREATE TABLE silver.readings AS
		SELECT TIMESTAMP '2026-01-01' + to_days(d::INTEGER) AS ts, d AS v FROM range(10) AS r(d)
		UNION ALL SELECT TIMESTAMP '2200-01-01', 0`); err != nil {
		t.Fatal(err)
	}
	p.Clock = func() time.Time { return time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC) }
	if _, err := p.CheckHealth(ctx, lh, "", ""); err != nil {
		t.Fatal(err)
	}
	n := count(t, lh, "SELECT * FROM sys.table_results WHERE schema_name = 'silver' AND table_name = 'readings'")
	// A few metrics a day over at most maxJudgedDays+1 days.
	if n == 0 || n > 4*(maxJudgedDays+1) {
		t.Errorf("silver.readings has %d health results, want at most %d (a few per day of the judged span)", n, 4*(maxJudgedDays+1))
	}
	if n := count(t, lh, "SELECT * FROM sys.table_results WHERE table_name = 'readings' AND window_start < TIMESTAMP '2200-01-01' - INTERVAL 3660 DAY"); n != 0 {
		t.Errorf("%d results judge days before the span", n)
	}
}

// TestHealthSkipsDottedTable checks that a table whose name has a dot
// (gold."a.b", made by a query) does not fail the health step, which
// records results under "schema.name": every run failed after building.
func TestHealthSkipsDottedTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, "bundle: {name: health}\n")
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	for _, q := range []string{
		`CREATE SCHEMA IF NOT EXISTS gold`,
		`CREATE TABLE gold."a.b" AS SELECT TIMESTAMP '2026-01-01' + to_days(d::INTEGER) AS ts FROM range(10) AS r(d)`,
		`CREATE TABLE gold.ok AS SELECT TIMESTAMP '2026-01-01' + to_days(d::INTEGER) AS ts FROM range(10) AS r(d)`,
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	p.Clock = func() time.Time { return time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC) }
	if _, err := p.CheckHealth(ctx, lh, "", ""); err != nil {
		t.Fatal(err)
	}
	if n := count(t, lh, "SELECT * FROM sys.table_results WHERE schema_name = 'gold' AND table_name = 'ok'"); n == 0 {
		t.Error("gold.ok was not judged")
	}
}

// TestHealthIncrementalMatchesFromScratch runs the sample day by day
// (every model's table's days kept, however small) and checks that what
// each run's health step recorded in sys.table_results is what a health
// step that reads every table whole gives, on a copy of the target as
// the step found it (no stats kept, the run's results not yet recorded,
// the same clock). The days cover a batch model's merge (silver.events
// read from the day its build changed on), late orders merged into
// older days (day 42), a full refresh, and the owner's DELETE and UPDATE
// of old days outside any build, which leave the tables' stamps as they
// were (their kept figures are dropped: judged from them, the deleted
// rows and the NULLs made were missed).
func TestHealthIncrementalMatchesFromScratch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample six times")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	first := sampledata.LateArrivalDay - 2
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev, Days: first}); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, time.December, 1, 2, 0, 0, 0, time.UTC)
	p.Clock = func() time.Time { return clock }
	keepAll := lakehouse.Options{Holder: t.Name(), HealthKeepRows: -1}
	path := p.DatabasePath("dev")
	open := func(path string) *lakehouse.Lakehouse {
		t.Helper()
		lh, err := lakehouse.Open(ctx, path, keepAll)
		if err != nil {
			t.Fatal(err)
		}
		return lh
	}
	lh := open(path)
	defer func() { lh.Close() }()
	ofRun := func(lh *lakehouse.Lakehouse, runID string) []lakehouse.HealthResult {
		t.Helper()
		all, err := lh.TableResultHistory(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []lakehouse.HealthResult
		for _, r := range all {
			if r.RunID == runID {
				out = append(out, r)
			}
		}
		return out
	}
	scratch := filepath.Join(t.TempDir(), "scratch.duckdb")
	// run runs the job a day later, then compares its health results
	// with a from-scratch evaluation on a copy of the target.
	run := func(step string, opts RunOptions) {
		t.Helper()
		clock = clock.Add(24 * time.Hour)
		opts.Target = "dev"
		res, err := p.Run(ctx, lh, opts)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		got := ofRun(lh, res.RunID)
		lh.Close()
		for _, ext := range []string{"", ".wal"} {
			os.Remove(scratch + ext)
			if b, err := os.ReadFile(path + ext); err == nil {
				if err := os.WriteFile(scratch+ext, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		db, err := sql.Open("duckdb", scratch)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"DELETE FROM sys.health_table_stats", "DELETE FROM sys.health_file_stats",
			"DELETE FROM sys.table_results WHERE run_id = '" + res.RunID + "'"} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		s := open(scratch)
		want, _, err := p.evaluateHealth(ctx, s, res.RunID, clock)
		if err == nil {
			err = s.RecordHealth(ctx, want)
		}
		if err != nil {
			t.Fatal(err)
		}
		want = ofRun(s, res.RunID)
		s.Close()
		lh = open(path)
		if len(want) < 20 {
			t.Fatalf("%s: %d results from scratch", step, len(want))
		}
		if !reflect.DeepEqual(got, want) {
			n := 0
			for i := range max(len(got), len(want)) {
				var g, w lakehouse.HealthResult
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if !reflect.DeepEqual(g, w) && n < 5 {
					n++
					t.Errorf("%s: result %d is\n%+v\nfrom scratch\n%+v", step, i, g, w)
				}
			}
			t.Errorf("%s: %d results recorded, %d from scratch, not the same", step, len(got), len(want))
		}
	}
	run("first run", RunOptions{})
	for day := first + 1; day <= first+3; day++ {
		if _, err := sampledata.Next(ctx, dir); err != nil {
			t.Fatal(err)
		}
		run(fmt.Sprintf("day %d", day), RunOptions{})
		if day == first+1 {
			// silver.events' merge traced the first day it changed.
			r, err := lh.Query(ctx, "SELECT coalesce(time_column, ''), coalesce(replaced_from, '') FROM sys.model_builds WHERE model = 'silver.events'")
			if err != nil || len(r.Rows) != 1 || r.Rows[0][0] != "event_ts" || r.Rows[0][1] == "" {
				t.Errorf("day %d: silver.events' build recorded %v (%v), want event_ts from its first changed day", day, r, err)
			}
		}
	}
	run("a full refresh", RunOptions{FullRefresh: []string{"*"}})
	// The owner deletes an old day of events and blanks old orders'
	// customers, outside any build; the next run builds none of them.
	old := sampledata.DayDate(first - 5).Format(time.DateOnly)
	for _, q := range []string{
		"DELETE FROM silver.events WHERE CAST(event_ts AS DATE) = DATE '" + old + "'",
		"UPDATE silver.orders SET channel = NULL WHERE order_date = DATE '" + old + "'",
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	run("after the owner's writes", RunOptions{})
	if _, err := sampledata.Next(ctx, dir); err != nil {
		t.Fatal(err)
	}
	run("the next day", RunOptions{})
}
