package lakehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQueryUsage: a query the history records has a usage row: its span,
// wall and CPU seconds, a quantity of wall seconds times the session's
// threads, the rows and bytes of the tables its plan read, tagged with
// the principal and target. A read-only session's row waits in the usage
// log, is read beside sys.usage, and is imported by the next writer; a
// principal reads its own usage, the owner everyone's.
func TestQueryUsage(t *testing.T) {
	ctx := context.Background()
	path := historyTarget(t)
	w := openAs(t, path, "", false)
	if _, err := w.Exec(ctx, "CREATE TABLE gold.big AS SELECT range AS x, 'v' || range AS s FROM range(1000)"); err != nil {
		t.Fatal(err)
	}
	if err := w.SetListPrice(ctx, ListPrice{Price: 0.01, Currency: "USD", Tier: "spot"}); err != nil {
		t.Fatal(err)
	}
	wantRows, wantBytes, err := w.ScanSize(ctx, []TableName{{"gold", "big"}})
	if err != nil || wantRows != 1000 || wantBytes != 1000*(8+32) {
		t.Fatalf("ScanSize of gold.big: %d rows %d bytes %v, want 1000 rows of 40 bytes", wantRows, wantBytes, err)
	}
	w.Close()

	dana := openAs(t, path, "dana", true)
	const q = "select count(*) from gold.big where x < 10"
	m := StartMeter()
	var n int64
	if err := dana.Stream(ctx, q, 100, func(r *Result) error { n += int64(len(r.Rows)); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := dana.RecordQuery(ctx, QueryRecord{SQL: q, Started: m.Start(), Duration: time.Since(m.Start()), Rows: n, Status: "ok", CPU: m.CPU()}); err != nil {
		t.Fatal(err)
	}
	// A refused query is recorded too, reading nothing.
	const refused = "select * from silver.secret"
	if _, err := dana.Query(ctx, refused); err == nil {
		t.Fatal("dana read silver")
	}
	if err := dana.RecordQuery(ctx, QueryRecord{SQL: refused, Started: time.Now(), Status: "error", Error: "refused"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(usageLogPath(path)); err != nil {
		t.Fatalf("a read-only session's usage is not in its log: %v", err)
	}
	check := func(who string, records []UsageRecord) {
		t.Helper()
		if len(records) != 2 {
			t.Fatalf("%s reads %d usage records, want dana's 2: %+v", who, len(records), records)
		}
		r := records[0]
		if r.Kind != UsageKindQuery || r.Tags["principal"] != "dana" || r.Tags["target"] != "dev" || r.Tags["status"] != "ok" {
			t.Errorf("%s: the query's record %+v: want kind query, principal dana, target dev, status ok", who, r)
		}
		if r.RowsRead != wantRows || r.BytesRead != wantBytes || r.RowsWritten != 0 {
			t.Errorf("%s: the query read %d rows, %d bytes, wrote %d; want %d rows, %d bytes, none", who, r.RowsRead, r.BytesRead, r.RowsWritten, wantRows, wantBytes)
		}
		if r.Quantity <= 0 || r.CPUSeconds < 0 || math.Abs(r.Quantity-r.WallSeconds*float64(dana.Threads())) > 1e-9 {
			t.Errorf("%s: quantity %g for %g s on %d threads (cpu %g s)", who, r.Quantity, r.WallSeconds, dana.Threads(), r.CPUSeconds)
		}
		if math.Abs(r.Cost-r.Quantity*0.01) > 1e-12 || r.Currency != "USD" {
			t.Errorf("%s: cost %g %s, want %g USD", who, r.Cost, r.Currency, r.Quantity*0.01)
		}
		if records[1].RowsRead != 0 || records[1].Tags["status"] != "error" {
			t.Errorf("%s: the refused query's record %+v: want no rows read, status error", who, records[1])
		}
	}
	pending, err := dana.UsageRecords(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	check("dana, pending", pending)
	dana.Close()

	// The next writer imports the log; the owner reads everyone's usage,
	// another principal only its own.
	w = openAs(t, path, "", false)
	if _, err := os.Stat(usageLogPath(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the usage log is still there after a writer opened: %v", err)
	}
	w.Close()
	owner := openAs(t, path, "owner", true)
	all, err := owner.UsageRecords(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	check("owner, imported", all)
	owner.Close()
	ben := openAs(t, path, "ben", true)
	if own, err := ben.UsageRecords(ctx, time.Time{}); err != nil || len(own) != 0 {
		t.Errorf("ben reads %d usage records (%v), want none of dana's", len(own), err)
	}
	if sums, err := ben.Usage(ctx, UsageQuery{By: "nope"}); err == nil {
		t.Errorf("usage by nope: %+v, want an error", sums)
	}
}

// TestUsageLogTampered: an edited line of the usage log is not imported
// and becomes an audit_tamper event.
func TestUsageLogTampered(t *testing.T) {
	ctx := context.Background()
	path := historyTarget(t)
	dana := openAs(t, path, "dana", true)
	for i := range 2 {
		if err := dana.RecordUsage(ctx, UsageRecord{Kind: UsageKindIdle, StartTime: time.Now().Add(-time.Duration(i+1) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	dana.Close()
	b, err := os.ReadFile(usageLogPath(path))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 2)
	edited := strings.Replace(lines[0], `\"kind\":\"idle\"`, `\"kind\":\"query\"`, 1)
	if edited == lines[0] {
		t.Fatalf("the log line has no kind to edit: %s", lines[0])
	}
	if err := os.WriteFile(usageLogPath(path), []byte(edited+"\n"+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	w := openAs(t, path, "", false)
	records, err := w.UsageRecords(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Kind != UsageKindIdle {
		t.Errorf("imported %+v, want the one intact idle record", records)
	}
	events, err := w.AuditEvents(ctx, AuditFilter{Action: ActionAuditTamper})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || !strings.Contains(events[0].Detail, "usage log") || !strings.Contains(events[0].Detail, "edited") {
		t.Errorf("tamper events %+v, want one naming the edited line of the usage log", events)
	}
}

// oldAuditHash is the hash of an event as lakebench computed it before
// statement and result: written out here, apart from ComputeHash, so a
// change of the canonical form that breaks older chains fails the test.
func oldAuditHash(seq int64, at time.Time, principal, action string, tables []string, rows int64, allowed bool, detail, prev string) string {
	canon := struct {
		Seq       int64    `json:"seq"`
		At        string   `json:"at"`
		Principal string   `json:"principal"`
		Action    string   `json:"action"`
		Tables    []string `json:"tables"`
		Rows      int64    `json:"rows"`
		Allowed   bool     `json:"allowed"`
		Detail    string   `json:"detail"`
		PrevHash  string   `json:"prev_hash"`
	}{seq, at.UTC().Format("2006-01-02T15:04:05.000000Z"), principal, action, tables, rows, allowed, detail, prev}
	b, _ := json.Marshal(canon)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestOldAuditChainVerifies: a sys.audit written before statement and
// result (built here with the old columns and hashes) verifies as before,
// read-only and after a writer adds the columns; new events with a
// statement chain after the old ones.
func TestOldAuditChainVerifies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE SCHEMA sys; CREATE TABLE sys.audit (event_time TIMESTAMP, principal VARCHAR, action VARCHAR,
		tables VARCHAR[], rows BIGINT, allowed BOOLEAN, detail VARCHAR, seq BIGINT, prev_hash VARCHAR, hash VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 678900000, time.UTC)
	prev := ""
	old := []struct {
		principal, action string
		tables            []string
		rows              int64
		allowed           bool
		detail            string
	}{
		{"ana", "deploy", nil, 0, true, "retail abc"},
		{"dana", "SELECT", []string{"gold.revenue"}, 12, true, ""},
		{"dana", "SELECT", []string{"silver.orders"}, 0, false, "dana may not read silver.orders"},
	}
	for i, e := range old {
		tables := e.tables
		if tables == nil {
			tables = []string{}
		}
		h := oldAuditHash(int64(i+1), at, e.principal, e.action, tables, e.rows, e.allowed, e.detail, prev)
		var detail any
		if e.detail != "" {
			detail = e.detail
		}
		if _, err := db.Exec(`INSERT INTO sys.audit VALUES (?, ?, ?, ?::VARCHAR[], ?, ?, ?, ?, ?, ?)`,
			at, e.principal, e.action, tables, e.rows, e.allowed, detail, i+1, prev, h); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
	db.Close()

	// Read-only: the file keeps its old columns.
	ro := openAs(t, path, "", true)
	if c, err := ro.VerifyAudit(ctx); err != nil || c.Break != nil || c.Events != 3 || c.LastHash != prev {
		t.Errorf("the old chain, read-only: %+v %v; want 3 events, intact, ending %s", c, err, prev)
	}
	if events, err := ro.AuditEvents(ctx, AuditFilter{Action: "SELECT", Table: "silver.orders"}); err != nil || len(events) != 1 || events[0].Allowed {
		t.Errorf("old events filtered by action and table: %+v %v", events, err)
	}
	ro.Close()

	w := openAs(t, path, "", false)
	if c, err := w.VerifyAudit(ctx); err != nil || c.Break != nil || c.Events != 3 {
		t.Errorf("the old chain after the migration: %+v %v", c, err)
	}
	w.SetPrincipal("dana")
	if _, err := w.Query(ctx, "SELECT 42 AS answer"); err != nil {
		t.Fatal(err)
	}
	c, err := w.VerifyAudit(ctx)
	if err != nil || c.Break != nil || c.Events != 4 {
		t.Errorf("the chain with a new event: %+v %v", c, err)
	}
	events, err := w.AuditEvents(ctx, AuditFilter{Principal: "dana", Action: "SELECT"})
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Seq != 4 || last.PrevHash != prev || last.Statement != "SELECT 42 AS answer" || last.Result != "ok: 1 rows" {
		t.Errorf("the new event %+v: want seq 4 after the old head, its statement and result", last)
	}
	if events[0].Statement != "" || events[0].Result != "" {
		t.Errorf("an old event reads back with statement %q result %q, want none", events[0].Statement, events[0].Result)
	}
}

// TestScanSizeMatchesCatalog: ScanSize reads each table's rows from the
// plan of a bare scan of it, not from duckdb_tables() of every table, and
// gets what duckdb_tables() says: for a table with deleted rows, an empty
// one, a bronze view (its stored rows), a view of another kind (nothing),
// a name not found (nothing), a keyword as a name (which the plan quotes),
// in a writer's session and a reader's.
func TestScanSizeMatchesCatalog(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE gold.big AS SELECT i, i::VARCHAR AS s, [i, i] AS l FROM range(300000) t(i)",
		"DELETE FROM gold.big WHERE i % 3 = 0",
		"CREATE TABLE gold.empty (x INTEGER, d DECIMAL(18, 3))",
		"CREATE VIEW gold.revenue_view AS SELECT * FROM gold.revenue",
		"CREATE VIEW gold.big_filtered AS SELECT * FROM gold.big WHERE i > 5",
		// A keyword as a name, which the plan quotes (dev.gold."types").
		"CREATE TABLE gold.types AS SELECT range AS i FROM range(7)",
	} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	sets := [][]TableName{
		{{"gold", "big"}}, {{"gold", "empty"}}, {{"gold", "revenue"}}, {{"bronze", "customers"}},
		{{"bronze", "customers_quarantine"}}, {{"gold", "revenue_view"}}, {{"gold", "big_filtered"}},
		{{"gold", "nope"}}, {{"nope", "nope"}}, {{"sys", "audit"}}, {{"gold", "types"}},
		{{"gold", "big"}, {"silver", "orders"}, {"gold", "big"}, {"bronze", "customers"}, {"gold", "revenue_view"}},
	}
	// What ScanSize gave before, from every table's catalog row.
	want := func(lh *Lakehouse, tables []TableName) (rows, bytes int64) {
		sizes, err := tableRows(ctx, lh.db)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[TableName]bool{}
		for _, tb := range tables {
			if seen[tb] {
				continue
			}
			seen[tb] = true
			n, ok := sizes[tb]
			if !ok {
				tb = storeTable(tb)
				if n, ok = sizes[tb]; !ok {
					continue
				}
			}
			w, err := tableWidth(ctx, lh.db, tb)
			if err != nil {
				t.Fatal(err)
			}
			rows, bytes = rows+n, bytes+n*w
		}
		return rows, bytes
	}
	check := func(lh *Lakehouse, session string) {
		for _, tables := range sets {
			before := catalogSizeReads.Load()
			rows, bytes, err := lh.ScanSize(ctx, tables)
			if n := catalogSizeReads.Load() - before; n != 0 {
				t.Errorf("%s: ScanSize(%v) read every table's size %d times", session, tables, n)
			}
			wantRows, wantBytes := want(lh, tables)
			if err != nil || rows != wantRows || bytes != wantBytes {
				t.Errorf("%s: ScanSize(%v) = %d rows, %d bytes, %v; the catalog says %d rows, %d bytes", session, tables, rows, bytes, err, wantRows, wantBytes)
			}
		}
		if rows, _, _ := lh.ScanSize(ctx, []TableName{{"gold", "big"}}); rows < 190000 || rows > 310000 {
			t.Errorf("%s: gold.big: %d rows, want about 200,000", session, rows)
		}
	}
	check(lh, "writer")
	lh.Close()
	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	// dana's session is sandboxed by her first statement (see sandbox):
	// the plans are still read there.
	if _, err := ro.Query(ctx, "select * from gold.revenue"); err != nil {
		t.Fatal(err)
	}
	var locked bool
	if err := ro.db.QueryRowContext(ctx, "SELECT current_setting('lock_configuration') AND NOT current_setting('enable_external_access')").Scan(&locked); err != nil || !locked {
		t.Fatalf("dana's session is not sandboxed: %v", err)
	}
	check(ro, "reader")
}

// TestCatalogScanSizeMatchesScanSize: CatalogScanSize gives what ScanSize
// gives (a table with deleted rows, one of many column types, an empty
// one, a bronze view, another view, a name not found, a sys table), from
// one read of every table's size shared with EstimateBytes, read again
// after a transaction's commit and after an owner's statement, never
// before.
func TestCatalogScanSizeMatchesScanSize(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, s := range []string{
		"CREATE TABLE gold.big AS SELECT i, i::VARCHAR AS s, [i, i] AS l FROM range(3000) t(i)",
		"DELETE FROM gold.big WHERE i % 3 = 0",
		`CREATE TABLE gold.types AS SELECT true AS b, 1::TINYINT AS ti, 1::SMALLINT AS si, 1::INTEGER AS i, 1::UINTEGER AS ui,
			1::BIGINT AS bi, 1::HUGEINT AS hi, 1.5::FLOAT AS f, 1.5::DOUBLE AS d, 1.5::DECIMAL(18, 3) AS dec, DATE '2026-01-01' AS dt,
			TIMESTAMP '2026-01-01' AS ts, TIMESTAMPTZ '2026-01-01' AS tz, TIME '01:02:03' AS tm, INTERVAL 1 DAY AS iv,
			uuid() AS u, 'x' AS v, {'a': 1} AS st, [1] AS l, MAP {'k': 1} AS m FROM range(7)`,
		"CREATE TABLE gold.empty (x INTEGER, d DECIMAL(18, 3))",
		"CREATE VIEW gold.revenue_view AS SELECT * FROM gold.revenue",
	} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	sets := [][]TableName{
		{{"gold", "big"}}, {{"gold", "types"}}, {{"gold", "empty"}}, {{"gold", "revenue"}}, {{"bronze", "customers"}},
		{{"gold", "revenue_view"}}, {{"gold", "nope"}}, {{"nope", "nope"}}, {{"sys", "audit"}},
		{{"gold", "big"}, {"silver", "orders"}, {"gold", "big"}, {"bronze", "customers"}, {"gold", "types"}},
	}
	check := func(when string, snapshots int64) {
		t.Helper()
		before := sizeSnapshots.Load()
		for _, tables := range sets {
			rows, bytes, err := lh.CatalogScanSize(ctx, tables)
			wantRows, wantBytes, werr := lh.ScanSize(ctx, tables)
			if err != nil || werr != nil || rows != wantRows || bytes != wantBytes {
				t.Errorf("%s: CatalogScanSize(%v) = %d rows, %d bytes, %v; ScanSize %d rows, %d bytes, %v", when, tables, rows, bytes, err, wantRows, wantBytes, werr)
			}
		}
		if _, err := lh.EstimateBytes(ctx, []TableName{{"gold", "big"}}); err != nil {
			t.Fatal(err)
		}
		if n := sizeSnapshots.Load() - before; n != snapshots {
			t.Errorf("%s: every table's size read %d times, want %d", when, n, snapshots)
		}
	}
	check("first", 1)
	check("no write since", 0)
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO gold.big SELECT i, '', [] FROM range(500) t(i)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	check("after a commit", 1)
	if _, err := lh.Exec(ctx, "INSERT INTO gold.empty VALUES (1, 2)"); err != nil {
		t.Fatal(err)
	}
	check("after an owner's INSERT", 1)
	if rows, _, _ := lh.CatalogScanSize(ctx, []TableName{{"gold", "empty"}}); rows != 1 {
		t.Errorf("gold.empty after its INSERT: %d rows, want 1", rows)
	}
}

// TestUsageAtCommit: a usage record left to the commit is written with
// the transaction's work and only then: none after a rollback; after a
// commit, bytes written as the rows times the row width the commit sees
// (a table built in the transaction, a bronze view's stored table), none
// for a table the transaction dropped.
func TestUsageAtCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lh, err := Open(ctx, filepath.Join(dir, "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	csv := writeFile(t, dir, "people_2026-01-05.csv", "id,name\n1,ann\n2,bob\n")
	if _, err := lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"bronze", "people"}, Format: CSV, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	record := func(task string, stmts []string, written TableName, commit bool) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		tx.RecordUsageAtCommit(UsageRecord{Kind: UsageKindTask, RowsWritten: 10, Tags: map[string]string{"task": task}}, written)
		if commit {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	record("rolled back", []string{"CREATE TABLE gold.r AS SELECT 1 AS i"}, TableName{"gold", "r"}, false)
	record("built", []string{"CREATE TABLE gold.a AS SELECT range AS i, 'x' AS s FROM range(10)"}, TableName{"gold", "a"}, true)
	record("view", nil, TableName{"bronze", "people"}, true)
	record("dropped", []string{"CREATE TABLE gold.d AS SELECT 1 AS i", "DROP TABLE gold.d"}, TableName{"gold", "d"}, true)
	records, err := lh.UsageRecords(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := tableWidth(ctx, lh.db, TableName{"bronze_data", "people"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"built": 10 * (8 + 32), "view": 10 * stored, "dropped": 0}
	got := map[string]int64{}
	for _, r := range records {
		got[r.Tags["task"]] = r.BytesWritten
	}
	if len(got) != len(want) {
		t.Errorf("usage records of %v, want %v", got, want)
	}
	for task, w := range want {
		if b, ok := got[task]; !ok || b != w {
			t.Errorf("%s: %d bytes written (recorded %v), want %d", task, b, ok, w)
		}
	}
}
