package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTableResults records health results of two tables and reads them
// back: the latest per check (the newest window, as last evaluated), the
// whole history, and, as a principal who may read only gold, gold's alone;
// asking for a table it may not read is refused with the grant it needs.
func TestTableResults(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, s := range []string{"CREATE TABLE gold.revenue AS SELECT 1 AS x", "CREATE TABLE silver.orders AS SELECT 1 AS x"} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 1, 28, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rows := func(table string, d time.Time, status string, when time.Time) HealthResult {
		return HealthResult{EvaluatedAt: when, Table: table, Check: "completeness", Metric: "daily_row_count", Source: "learned",
			Status: status, Observed: 10, PredictedMin: 50, PredictedMax: 150, WindowStart: d, WindowEnd: d.Add(24 * time.Hour),
			DownstreamImpact: []string{"gold.revenue", "model:churn"}, ImpactLevel: 4, Column: "x", Message: "few rows"}
	}
	if err := lh.RecordHealth(ctx, []HealthResult{
		rows("silver.orders", day, Unhealthy, at),
		rows("silver.orders", day.Add(24*time.Hour), Unknown, at),
		rows("silver.orders", day.Add(24*time.Hour), Healthy, at.Add(time.Hour)), // the same day, evaluated again
		rows("gold.revenue", day, Healthy, at),
	}); err != nil {
		t.Fatal(err)
	}
	latest, err := lh.TableResults(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 2 || latest[0].Table != "gold.revenue" || latest[1].Status != Healthy || !latest[1].WindowStart.Equal(day.Add(24*time.Hour)) {
		t.Fatalf("latest results: %+v", latest)
	}
	got := latest[1]
	if !slices.Equal(got.DownstreamImpact, []string{"gold.revenue", "model:churn"}) || got.ImpactLevel != 4 || got.Column != "x" ||
		got.PredictedMin != 50 || got.PredictedMax != 150 || !got.EvaluatedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("read back %+v", got)
	}
	history, err := lh.TableResultHistory(ctx, "silver.orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 3 || history[0].Status != Unhealthy {
		t.Errorf("history of silver.orders: %+v", history)
	}
	windows, err := lh.EvaluatedWindows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := windows[HealthKey("silver.orders", "daily_row_count", "learned")]; !w.Equal(day.Add(24 * time.Hour)) {
		t.Errorf("newest evaluated window of silver.orders: %v", w)
	}

	tx, _ := lh.Begin(ctx)
	if err := tx.DeployGovernance(ctx, Governance{Owner: "sp-dev", Groups: map[string][]string{"analysts": {"dana"}},
		Grants: []Grant{{Principal: "analysts", Privilege: "SELECT", Schema: "gold"}, {Principal: "analysts", Privilege: "SELECT", Schema: "sys"}}}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	lh.SetPrincipal("dana")
	seen, err := lh.TableResults(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Table != "gold.revenue" {
		t.Errorf("dana sees %+v, want gold.revenue's alone", seen)
	}
	var ae *AccessError
	if _, err := lh.TableResults(ctx, "silver.orders"); !errors.As(err, &ae) {
		t.Errorf("dana asking for silver.orders: %v, want an access error", err)
	}
}

// TestBatchStatsCountOnlyNewFiles: a bronze table's daily stats add up the
// counts kept per file (sys.health_file_stats) and count only the files
// loaded since; they equal a scan of the whole table after each load,
// and a file counted once is not counted again.
func TestBatchStatsCountOnlyNewFiles(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	table := TableName{"bronze", "orders"}
	cols := []string{"id", "customer"}
	loads := []map[string]string{
		{"orders_2026-01-01.csv": "id,customer\n1,ann\n2,\n", "orders_2026-01-02.csv": "id,customer\n3,bob\n"},
		{"orders_2026-01-02b.csv": "id,customer\n4,\n5,\n", "orders_2026-01-03.csv": "id,customer\n6,cy\n"},
	}
	for i, files := range loads {
		dir := t.TempDir()
		var paths []string
		for name, content := range files {
			paths = append(paths, writeFile(t, dir, name, content))
		}
		if _, err := lh.Ingest(ctx, paths, IngestOptions{Table: table}); err != nil {
			t.Fatal(err)
		}
		got, err := lh.DailyStats(ctx, table, "", cols)
		if err != nil {
			t.Fatal(err)
		}
		want, err := lh.dailyStatsScan(ctx, table, "", cols, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || len(want) != 2+i {
			t.Errorf("load %d: daily stats %+v, a scan gives %+v", i, got, want)
		}
		if n, err := lh.Count(ctx, "SELECT * FROM sys.health_file_stats"); err != nil || n != int64(2*(i+1)) {
			t.Errorf("load %d: %d files counted (%v), want %d", i, n, err, 2*(i+1))
		}
	}
}

// TestBatchStatsScanOnlyUncounted: a health step scans a bronze table
// only for the files it has not counted, each once, a file with no rows
// (a header alone) included; with nothing new it scans nothing, and the
// figures always equal a scan's, a late file and a duplicate one
// included.
func TestBatchStatsScanOnlyUncounted(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var scans []string
	onStatsScan = func(_ TableName, from string) { scans = append(scans, from) }
	defer func() { onStatsScan = nil }()
	table := TableName{"bronze", "orders"}
	cols := []string{"id", "customer"}
	loads := []map[string]string{
		{"orders_2026-01-01.csv": "id,customer\n1,ann\n2,\n", "orders_2026-01-02.csv": "id,customer\n"},
		{},
		{"orders_2026-01-03.csv": "id,customer\n6,cy\n"},
		{},
		// a late file (an earlier batch) and a duplicate (the same rows
		// sent again under another name, which the ingest skips)
		{"orders_2026-01-01b.csv": "id,customer\n7,\n", "orders_2026-01-03b.csv": "id,customer\n6,cy\n"},
		{},
	}
	want := [][]string{{"2 files"}, nil, {"1 files"}, nil, {"1 files"}, nil}
	for i, files := range loads {
		if len(files) > 0 {
			dir := t.TempDir()
			var paths []string
			for name, content := range files {
				paths = append(paths, writeFile(t, dir, name, content))
			}
			if _, err := lh.Ingest(ctx, paths, IngestOptions{Table: table}); err != nil {
				t.Fatal(err)
			}
		}
		scans = nil
		got, err := lh.DailyStats(ctx, table, "", cols)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(scans, want[i]) {
			t.Errorf("step %d scanned the files %v, want %v", i, scans, want[i])
		}
		scan, err := lh.dailyStatsScan(ctx, table, "", cols, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, scan) {
			t.Errorf("step %d: daily stats %+v, a scan gives %+v", i, got, scan)
		}
	}
}

// TestDailyStatsKeptWhileTableUnchanged: a model's table's daily stats
// are read once per build and reused while its stamp holds (the same last
// build, the same row count); a new build, a row written beside the
// builds, or another column list reads the table again, and the figures
// always equal a scan's. A table no model builds is read every time.
func TestDailyStatsKeptWhileTableUnchanged(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{HealthKeepRows: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var scanned []string
	onStatsScan = func(t TableName, _ string) { scanned = append(scanned, t.String()) }
	defer func() { onStatsScan = nil }()
	table, loose := TableName{"silver", "orders"}, TableName{"silver", "loose"}
	for _, q := range []string{
		"CREATE TABLE silver.orders (ts TIMESTAMP, customer VARCHAR, amount DOUBLE)",
		"INSERT INTO silver.orders VALUES ('2026-01-01 10:00', 'ann', 1), ('2026-01-01 11:00', NULL, 2), ('2026-01-02 09:00', 'bob', NULL)",
		"CREATE TABLE silver.loose AS SELECT * FROM silver.orders",
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	build := func() {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.RecordBuild(ctx, table, BuildRecord{Fingerprint: "fp"}, "run", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	build()
	steps := []struct {
		name    string
		change  string // SQL run first, "build" to record a build
		cols    []string
		scanned bool
	}{
		{"first read", "", []string{"customer", "amount"}, true},
		{"unchanged", "", []string{"customer", "amount"}, false},
		{"another column list", "", []string{"amount"}, true},
		{"the first list again", "", []string{"customer", "amount"}, false},
		{"a new build", "INSERT INTO silver.orders VALUES ('2026-01-03 08:00', NULL, 5)", []string{"customer", "amount"}, true},
		{"rebuilt, the same rows", "build", []string{"customer", "amount"}, true},
		{"a row beside the builds", "INSERT INTO silver.orders VALUES ('2026-01-01 12:00', 'dan', NULL)", []string{"customer", "amount"}, true},
		{"unchanged again", "", []string{"customer", "amount"}, false},
	}
	for _, s := range steps {
		switch s.change {
		case "":
		case "build":
			build()
		default:
			if _, err := lh.Exec(ctx, s.change); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(s.name, "a new build") {
				build()
			}
		}
		scanned = nil
		got, err := lh.DailyStats(ctx, table, "ts", s.cols)
		if err != nil {
			t.Fatal(err)
		}
		if (len(scanned) > 0) != s.scanned {
			t.Errorf("%s: read the table %v, want %v", s.name, len(scanned) > 0, s.scanned)
		}
		want, err := lh.dailyStatsScan(ctx, table, "ts", s.cols, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || len(want) < 2 {
			t.Errorf("%s: daily stats %+v, a scan gives %+v", s.name, got, want)
		}
		scanned = nil
		if _, err := lh.DailyStats(ctx, loose, "ts", s.cols); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(scanned, []string{loose.String()}) {
			t.Errorf("%s: %s, which no model builds, was read %v", s.name, loose, scanned)
		}
	}
}

// TestDailyStatsAfterTimeBuild: after an incremental_by_time build on the
// day column, a table whose figures were kept as the build found it is
// read only from the first day the build replaced, and the figures equal
// a scan's; a row written beside the builds in between, or a build on
// another column, reads it all.
func TestDailyStatsAfterTimeBuild(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{HealthKeepRows: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var reads []string
	onStatsScan = func(_ TableName, from string) { reads = append(reads, from) }
	defer func() { onStatsScan = nil }()
	table := TableName{"gold", "daily"}
	if _, err := lh.Exec(ctx, `CREATE TABLE gold.daily AS SELECT TIMESTAMP '2026-01-01 08:00' + INTERVAL (i) HOUR AS ts,
		CASE WHEN i % 5 = 0 THEN NULL ELSE 'c' || (i % 7) END AS customer, i::DOUBLE AS amount FROM range(96) AS r(i)`); err != nil {
		t.Fatal(err)
	}
	build := func(column, from, replace string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		rec := BuildRecord{Fingerprint: "fp"}
		if from != "" {
			since, ok, err := tx.TableStamp(ctx, table)
			if err != nil || !ok {
				t.Fatalf("no stamp of %s: %v", table, err)
			}
			rec.Since, rec.TimeColumn, rec.From = since, column, from
			for _, q := range []string{"DELETE FROM gold.daily WHERE ts >= " + from + " OR ts IS NULL", replace} {
				if _, err := tx.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tx.RecordBuild(ctx, table, rec, "run", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	const from = "CAST('2026-01-03 12:00:00' AS TIMESTAMP)"
	later := func(n int) string {
		return fmt.Sprintf(`INSERT INTO gold.daily SELECT TIMESTAMP '2026-01-03 12:00' + INTERVAL (i * 3) HOUR, NULL, -i FROM range(%d) AS r(i)`, n)
	}
	cols := []string{"customer", "amount"}
	steps := []struct {
		name   string
		change func()
		read   string // where the table is read from: "" all of it, "-" not read
	}{
		{"first read", func() { build("", "", "") }, ""},
		{"a build on the day column", func() { build("ts", from, later(20)) }, "CAST(" + from + " AS DATE)"},
		{"unchanged", func() {}, "-"},
		{"a row beside the builds, then a build", func() {
			if _, err := lh.Exec(ctx, "INSERT INTO gold.daily VALUES (TIMESTAMP '2026-01-01 09:30', 'x', 1)"); err != nil {
				t.Fatal(err)
			}
			build("ts", from, later(30))
		}, ""},
		{"a build on another column", func() { build("other", from, later(10)) }, ""},
		{"a build on the day column again", func() { build("TS", from, later(25)) }, "CAST(" + from + " AS DATE)"},
	}
	for _, s := range steps {
		s.change()
		reads = nil
		got, err := lh.DailyStats(ctx, table, "ts", cols)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{s.read}
		if s.read == "-" {
			want = nil
		}
		if !slices.Equal(reads, want) {
			t.Errorf("%s: read %q, want %q", s.name, reads, want)
		}
		full, err := lh.dailyStatsScan(ctx, table, "ts", cols, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, full) || len(full) < 4 {
			t.Errorf("%s: daily stats\n%+v\na scan gives\n%+v", s.name, got, full)
		}
	}
}

// TestHealthStatsOfManyTables reads the daily stats of several tables at
// once, as a health step does (bronze tables by batch, a model's table
// kept and read from its last build's first day, a table no model
// builds), over loads and builds: each table's figures equal a scan of
// it, and each is read only as far as DailyStats of it alone reads it.
// A table whose statement fails (a column it does not have) gets its own
// error; the others, read in the same statements, still get their days.
func TestHealthStatsOfManyTables(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{HealthKeepRows: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var reads []string
	onStatsScan = func(t TableName, from string) { reads = append(reads, t.String()+" "+from) }
	defer func() { onStatsScan = nil }()
	orders, items := TableName{"bronze", "orders"}, TableName{"bronze", "items"}
	daily, loose := TableName{"gold", "daily"}, TableName{"silver", "loose"}
	for _, q := range []string{
		`CREATE TABLE gold.daily AS SELECT TIMESTAMP '2026-01-01 08:00' + INTERVAL (i) HOUR AS ts,
			CASE WHEN i % 5 = 0 THEN NULL ELSE 'c' || (i % 7) END AS customer, i::DOUBLE AS amount FROM range(96) AS r(i)`,
		"CREATE TABLE silver.loose AS SELECT * FROM gold.daily",
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	build := func(from string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		rec := BuildRecord{Fingerprint: "fp"}
		if from != "" {
			since, ok, err := tx.TableStamp(ctx, daily)
			if err != nil || !ok {
				t.Fatalf("no stamp of %s: %v", daily, err)
			}
			rec.Since, rec.TimeColumn, rec.From = since, "ts", from
			for _, q := range []string{"DELETE FROM gold.daily WHERE ts >= " + from,
				"INSERT INTO gold.daily SELECT TIMESTAMP '2026-01-03 12:00' + INTERVAL (i * 3) HOUR, NULL, -i FROM range(20) AS r(i)"} {
				if _, err := tx.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tx.RecordBuild(ctx, daily, rec, "run", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	load := func(table TableName, files map[string]string) {
		t.Helper()
		dir := t.TempDir()
		var paths []string
		for name, content := range files {
			paths = append(paths, writeFile(t, dir, name, content))
		}
		if _, err := lh.Ingest(ctx, paths, IngestOptions{Table: table}); err != nil {
			t.Fatal(err)
		}
	}
	const from = "CAST('2026-01-03 12:00:00' AS TIMESTAMP)"
	reqs := []StatsRequest{
		{Table: orders, Columns: []string{"id", "customer"}},
		{Table: daily, DayColumn: "ts", Columns: []string{"customer", "amount"}},
		{Table: items, Columns: []string{"sku"}},
		{Table: loose, DayColumn: "ts", Columns: []string{"customer", "amount"}},
	}
	steps := []struct {
		name   string
		change func()
		reads  []string
	}{
		{"first read", func() {
			load(orders, map[string]string{"orders_2026-01-01.csv": "id,customer\n1,ann\n2,\n", "orders_2026-01-02.csv": "id,customer\n3,bob\n"})
			load(items, map[string]string{"items_2026-01-01.csv": "sku\na\n\n"})
			build("")
		}, []string{"bronze.orders 2 files", "bronze.items 1 files", "gold.daily ", "silver.loose "}},
		{"unchanged", func() {}, []string{"silver.loose "}},
		{"a load and a build by time", func() {
			load(orders, map[string]string{"orders_2026-01-03.csv": "id,customer\n4,\n"})
			build(from)
		}, []string{"bronze.orders 1 files", "gold.daily CAST(" + from + " AS DATE)", "silver.loose "}},
	}
	for _, s := range steps {
		s.change()
		reads = nil
		got := lh.HealthStats(ctx, reqs)
		slices.Sort(reads)
		want := slices.Clone(s.reads)
		slices.Sort(want)
		if !slices.Equal(reads, want) {
			t.Errorf("%s: read %q, want %q", s.name, reads, want)
		}
		for i, r := range reqs {
			scan, err := lh.dailyStatsScan(ctx, r.Table, r.DayColumn, r.Columns, "")
			if err != nil {
				t.Fatal(err)
			}
			if got[i].Err != nil || !reflect.DeepEqual(got[i].Days, scan) || len(scan) == 0 {
				t.Errorf("%s: %s: daily stats %+v (%v), a scan gives %+v", s.name, r.Table, got[i].Days, got[i].Err, scan)
			}
		}
	}
	// A column bronze.items does not have: its error, and the others'
	// days.
	load(orders, map[string]string{"orders_2026-01-04.csv": "id,customer\n5,cy\n"})
	load(items, map[string]string{"items_2026-01-04.csv": "sku\nb\n"})
	bad := slices.Clone(reqs)
	bad[2].Columns = []string{"sku", "nope"}
	got := lh.HealthStats(ctx, bad)
	if got[2].Err == nil || !strings.Contains(got[2].Err.Error(), "nope") {
		t.Errorf("bronze.items with a column it lacks: %+v, %v; want an error naming the column", got[2].Days, got[2].Err)
	}
	for _, i := range []int{0, 1, 3} {
		scan, err := lh.dailyStatsScan(ctx, bad[i].Table, bad[i].DayColumn, bad[i].Columns, "")
		if err != nil {
			t.Fatal(err)
		}
		if got[i].Err != nil || !reflect.DeepEqual(got[i].Days, scan) {
			t.Errorf("beside a failing table, %s: daily stats %+v (%v), a scan gives %+v", bad[i].Table, got[i].Days, got[i].Err, scan)
		}
	}
}

// TestKeptStatsForgottenAfterWriteBesideBuilds: a statement that writes a
// model's table outside its builds (the owner's DELETE or UPDATE through
// a query) leaves the table's stamp as it was (the same last build, and
// DuckDB's estimated_size does not drop on a DELETE); the daily stats
// kept at that stamp are dropped with it, so the next read scans the
// table and gives a scan's figures. Without that, the kept figures of
// the rows deleted (or of the NULLs an UPDATE made) were judged again.
func TestKeptStatsForgottenAfterWriteBesideBuilds(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{HealthKeepRows: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var scanned int
	onStatsScan = func(TableName, string) { scanned++ }
	defer func() { onStatsScan = nil }()
	table := TableName{"silver", "orders"}
	for _, q := range []string{
		"CREATE TABLE silver.orders (ts TIMESTAMP, customer VARCHAR, amount DOUBLE)",
		"INSERT INTO silver.orders VALUES ('2026-01-01 10:00', 'ann', 1), ('2026-01-01 11:00', NULL, 2), ('2026-01-02 09:00', 'bob', NULL)",
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordBuild(ctx, table, BuildRecord{Fingerprint: "fp"}, "run", nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	cols := []string{"customer", "amount"}
	if _, err := lh.DailyStats(ctx, table, "ts", cols); err != nil {
		t.Fatal(err)
	}
	scanned = 0
	if _, err := lh.DailyStats(ctx, table, "ts", cols); err != nil || scanned != 0 {
		t.Fatalf("unchanged: scanned %d times (%v), want the kept stats", scanned, err)
	}
	for _, q := range []string{
		"DELETE FROM silver.orders WHERE customer = 'bob'",
		"UPDATE silver.orders SET customer = NULL",
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
		got, err := lh.DailyStats(ctx, table, "ts", cols)
		if err != nil {
			t.Fatal(err)
		}
		want, err := lh.dailyStatsScan(ctx, table, "ts", cols, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after %s: daily stats\n%+v\na scan gives\n%+v", q, got, want)
		}
	}
}

// TestForgedHealthStatsReadAgain: the daily stats kept in the file (a
// model's table's days in sys.health_table_stats, a bronze file's counts
// in sys.health_file_stats) carry the digest their health step wrote.
// Stats edited in the file itself (no statement of lakebench writes sys),
// a row copied twice, or stats kept before the digest (NULL) are not
// trusted: the table, or the file, is read again, and the figures equal
// a scan's.
func TestForgedHealthStatsReadAgain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	open := func() *Lakehouse {
		t.Helper()
		lh, err := Open(ctx, path, Options{Holder: t.Name(), HealthKeepRows: -1})
		if err != nil {
			t.Fatal(err)
		}
		return lh
	}
	var reads []string
	onStatsScan = func(t TableName, from string) { reads = append(reads, strings.TrimSpace(t.String()+" "+from)) }
	defer func() { onStatsScan = nil }()
	model, bronze := TableName{"silver", "orders"}, TableName{"bronze", "items"}
	lh := open()
	for _, q := range []string{
		"CREATE TABLE silver.orders (ts TIMESTAMP, customer VARCHAR, amount DOUBLE)",
		"INSERT INTO silver.orders VALUES ('2026-01-01 10:00', 'ann', 1), ('2026-01-01 11:00', NULL, 2), ('2026-01-02 09:00', 'bob', NULL)",
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordBuild(ctx, model, BuildRecord{Fingerprint: "fp"}, "run", nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	ingestText(t, lh, "items_2026-01-01.csv", "sku\na\n\nb\n", "items")
	ingestText(t, lh, "items_2026-01-02.csv", "sku\nc\n", "items")
	reqs := []StatsRequest{{Table: model, DayColumn: "ts", Columns: []string{"customer", "amount"}}, {Table: bronze, Columns: []string{"sku"}}}
	// check reads both tables' stats as a health step does, and each
	// alone, and compares them with scans; wantReads is what it reads.
	check := func(step string, wantReads []string) {
		t.Helper()
		reads = nil
		got := lh.HealthStats(ctx, reqs)
		if !slices.Equal(reads, wantReads) {
			t.Errorf("%s: read %v, want %v", step, reads, wantReads)
		}
		for i, r := range reqs {
			want, err := lh.dailyStatsScan(ctx, r.Table, r.DayColumn, r.Columns, "")
			if err != nil {
				t.Fatal(err)
			}
			if got[i].Err != nil || !reflect.DeepEqual(got[i].Days, want) {
				t.Errorf("%s: %s's daily stats %+v (%v), a scan gives %+v", step, r.Table, got[i].Days, got[i].Err, want)
			}
			one, err := lh.DailyStats(ctx, r.Table, r.DayColumn, r.Columns)
			if err != nil || !reflect.DeepEqual(one, want) {
				t.Errorf("%s: %s's daily stats alone %+v (%v), a scan gives %+v", step, r.Table, one, err, want)
			}
		}
	}
	forge := func(stmts ...string) {
		t.Helper()
		lh.Close()
		db, err := sql.Open("duckdb", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			res, err := db.Exec(s)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatalf("%s changed nothing", s)
			}
		}
		db.Close()
		lh = open()
	}
	// The models' scans come first (HealthStats: the batches' counts
	// begin with a write).
	check("first read", []string{"silver.orders", "bronze.items 2 files"})
	check("kept", nil)
	// The first day's rows kept as 1 (of 2), its NULLs of customer as 0.
	forge(`UPDATE sys.health_table_stats SET days = replace(days, '"r":2,"n":[1,0]', '"r":1,"n":[0,0]')`)
	check("forged days", []string{"silver.orders"})
	forge(`UPDATE sys.health_file_stats SET rows = rows + 5 WHERE rows = 2`)
	check("forged file counts", []string{"bronze.items 1 files"})
	forge(`INSERT INTO sys.health_file_stats SELECT * FROM sys.health_file_stats WHERE rows = 1`)
	check("a file's counts copied twice", nil)
	forge("UPDATE sys.health_table_stats SET digest = NULL", "UPDATE sys.health_file_stats SET digest = NULL")
	check("kept before the digest", []string{"silver.orders", "bronze.items 2 files"})
	check("kept again", nil)
	lh.Close()
}
