package lakehouse

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// historyTarget is a target with governance deployed: owner "owner"; dana
// (group analysts) may read gold; mia holds CAN_MANAGE on the target;
// audrey is granted SELECT on sys.query_history.
func historyTarget(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.Exec(ctx, "CREATE TABLE gold.revenue AS SELECT 10.0 AS revenue"); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "owner", Groups: map[string][]string{"analysts": {"dana"}},
		Grants: []Grant{{Principal: "analysts", Privilege: Select, Schema: "gold"},
			{Principal: "audrey", Privilege: Select, Schema: "sys", Table: "query_history"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployPermissions(ctx, []TargetPermission{{Level: CanManage, Principal: "mia", Kind: "user"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openAs(t *testing.T, path, principal string, readOnly bool) *Lakehouse {
	t.Helper()
	lh, err := Open(context.Background(), path, Options{ReadOnly: readOnly, Principal: principal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh
}

func sqlsOf(rs []QueryRecord) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d:%s:%s", r.ID, r.Principal, r.SQL))
	}
	return strings.Join(out, " | ")
}

// TestQueryHistory: a writer's records go into sys.query_history, a
// read-only session's into the side log; QueryHistory reads both, newest
// first, searched case-insensitively, numbered as the next writer numbers
// them when it imports the log.
func TestQueryHistory(t *testing.T) {
	ctx := context.Background()
	path := historyTarget(t)
	t1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	w := openAs(t, path, "dana", false)
	if err := w.RecordQuery(ctx, QueryRecord{SQL: "select * from gold.revenue", Started: t1, Duration: 1500 * time.Microsecond, Rows: 1, Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	r := openAs(t, path, "dana", true)
	for i, q := range []QueryRecord{
		{SQL: "SELECT sum(revenue) FROM gold.Revenue", Started: t1.Add(time.Minute), Duration: time.Millisecond, Rows: 1, Status: "ok"},
		{SQL: "select * from silver.orders", Started: t1.Add(2 * time.Minute), Status: "error", Error: "lakehouse: dana may not read silver.orders"},
		{SQL: "select count(*) from range(1e12)", Started: t1.Add(3 * time.Minute), Duration: 2 * time.Second, Status: "canceled"},
	} {
		if err := r.RecordQuery(ctx, q); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if _, err := os.Stat(queryLogPath(path)); err != nil {
		t.Fatalf("a read-only session's records go to the query log: %v", err)
	}
	got, err := r.QueryHistory(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "4:dana:select count(*) from range(1e12) | 3:dana:select * from silver.orders | 2:dana:SELECT sum(revenue) FROM gold.Revenue | 1:dana:select * from gold.revenue"
	if sqlsOf(got) != want {
		t.Errorf("history:\n got %s\nwant %s", sqlsOf(got), want)
	}
	if got[0].Status != "canceled" || got[0].Duration != 2*time.Second || got[1].Error == "" || got[3].Duration != 1500*time.Microsecond || got[3].Rows != 1 || !got[3].Started.Equal(t1) {
		t.Errorf("fields: %+v", got)
	}
	if got, _ := r.QueryHistory(ctx, "REVENUE", 0); sqlsOf(got) != "2:dana:SELECT sum(revenue) FROM gold.Revenue | 1:dana:select * from gold.revenue" {
		t.Errorf("search REVENUE: %s", sqlsOf(got))
	}
	if got, _ := r.QueryHistory(ctx, "", 2); len(got) != 2 || got[0].ID != 4 {
		t.Errorf("limit 2: %s", sqlsOf(got))
	}
	if got, _ := r.QueryHistory(ctx, "100%_", 0); len(got) != 0 {
		t.Errorf("search is literal, not a pattern: %s", sqlsOf(got))
	}
	r.Close()

	// The next writer imports the log, keeping the numbers.
	w = openAs(t, path, "dana", false)
	if _, err := os.Stat(queryLogPath(path)); !os.IsNotExist(err) {
		t.Errorf("the query log is still there after a writer opened: %v", err)
	}
	after, err := w.QueryHistory(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if sqlsOf(after) != want {
		t.Errorf("after import:\n got %s\nwant %s", sqlsOf(after), want)
	}
	for i := range after {
		if after[i] != got[i] {
			t.Errorf("record %d changed on import: got %+v, want %+v", i, after[i], got[i])
		}
	}
}

// TestQueryHistoryIsYourOwn: dana sees only her queries, and cannot
// record one in another's name; the owner, a CAN_MANAGE holder and a
// principal granted SELECT on sys.query_history see everyone's. Every
// read is audited.
func TestQueryHistoryIsYourOwn(t *testing.T) {
	ctx := context.Background()
	path := historyTarget(t)
	w := openAs(t, path, "", false)
	for _, who := range []string{"dana", "erin", "owner"} {
		if err := w.RecordQuery(ctx, QueryRecord{Principal: who, SQL: "select '" + who + "'", Status: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	for _, c := range []struct {
		who  string
		want []string
	}{
		{"dana", []string{"dana"}},
		{"erin", []string{"erin"}},
		{"nobody", nil},
		{"owner", []string{"owner", "erin", "dana"}},
		{"mia", []string{"owner", "erin", "dana"}},
		{"audrey", []string{"owner", "erin", "dana"}},
	} {
		lh := openAs(t, path, c.who, true)
		got, err := lh.QueryHistory(ctx, "", 0)
		if err != nil {
			t.Fatalf("%s: %v", c.who, err)
		}
		var whos []string
		for _, r := range got {
			whos = append(whos, r.Principal)
		}
		if strings.Join(whos, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s sees the queries of %v, want %v", c.who, whos, c.want)
		}
		// Searching for another's SQL finds nothing either.
		if c.who == "dana" {
			if got, _ := lh.QueryHistory(ctx, "erin", 0); len(got) != 0 {
				t.Errorf("dana finds erin's query by searching: %s", sqlsOf(got))
			}
			if err := lh.RecordQuery(ctx, QueryRecord{Principal: "erin", SQL: "select 'forged'", Status: "ok"}); err == nil {
				t.Error("dana recorded a query in erin's name")
			}
			if err := lh.RecordQuery(ctx, QueryRecord{SQL: "select 1", Status: "fine"}); err == nil {
				t.Error("a record with an unknown status was taken")
			}
		}
		lh.Close()
	}
	// Each read is in the audit (imported by the next writer).
	w = openAs(t, path, "", false)
	events, err := w.AuditEvents(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]string{}
	for _, e := range events {
		if len(e.Tables) == 1 && e.Tables[0] == "sys.query_history" {
			reads[e.Principal] = e.Detail
		}
	}
	for who, scope := range map[string]string{"dana": "own queries", "owner": "every principal's queries", "mia": "every principal's queries"} {
		if !strings.Contains(reads[who], scope) {
			t.Errorf("%s's read of the history audited as %q, want %q", who, reads[who], scope)
		}
	}
}

// TestQueryLogTampered: a record edited in the pending log is not
// imported, and the import says where in sys.audit; a deleted line too.
func TestQueryLogTampered(t *testing.T) {
	ctx := context.Background()
	path := historyTarget(t)
	r := openAs(t, path, "dana", true)
	for _, q := range []string{"select 1", "select 2", "select 3"} {
		if err := r.RecordQuery(ctx, QueryRecord{SQL: q, Status: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	b, err := os.ReadFile(queryLogPath(path))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`select 2`), []byte(`select 9`), 1)
	if err := os.WriteFile(queryLogPath(path), b, 0o644); err != nil {
		t.Fatal(err)
	}
	r = openAs(t, path, "dana", true)
	got, err := r.QueryHistory(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if sqlsOf(got) != "2:dana:select 3 | 1:dana:select 1" {
		t.Errorf("pending history with an edited line: %s", sqlsOf(got))
	}
	r.Close()
	w := openAs(t, path, "", false)
	if got, _ := w.QueryHistory(ctx, "", 0); sqlsOf(got) != "2:dana:select 3 | 1:dana:select 1" {
		t.Errorf("imported history with an edited line: %s", sqlsOf(got))
	}
	events, err := w.AuditEvents(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var tamper []string
	for _, e := range events {
		if e.Action == ActionAuditTamper {
			tamper = append(tamper, e.Detail)
		}
	}
	if len(tamper) != 1 || !strings.Contains(tamper[0], "query log dev.duckdb.queries.jsonl line 2") || !strings.Contains(tamper[0], "select 9") {
		t.Errorf("audit_tamper events: %q", tamper)
	}
	if c, err := w.VerifyAudit(ctx); err != nil || c.Break != nil {
		t.Errorf("the audit chain after the import: %+v %v", c, err)
	}
}

// TestQueryHistoryMigration: a sys.query_history an older lakebench made
// (no query_id, no duration_ns, no note) reads numbered in a read-only session,
// and the next writer numbers it the same way.
func TestQueryHistoryMigration(t *testing.T) {
	ctx := context.Background()
	path := historyTarget(t)
	w := openAs(t, path, "", false)
	t1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, s := range []string{
		"ALTER TABLE sys.query_history DROP COLUMN query_id",
		"ALTER TABLE sys.query_history DROP COLUMN duration_ns",
		"ALTER TABLE sys.query_history DROP COLUMN note",
	} {
		if _, err := w.db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for i, q := range []string{"select 'b'", "select 'a'"} {
		start := t1.Add(time.Duration(1-i) * time.Minute) // 'a' started first
		if _, err := w.db.ExecContext(ctx, "INSERT INTO sys.query_history VALUES ('dana', ?, ?, ?, 1, 'ok', NULL)",
			q, start, start.Add(250*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	want := "2:dana:select 'b' | 1:dana:select 'a'"
	r := openAs(t, path, "dana", true)
	got, err := r.QueryHistory(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if sqlsOf(got) != want || got[0].Duration != 250*time.Millisecond {
		t.Errorf("old history read-only: %s %v", sqlsOf(got), got)
	}
	if err := r.RecordQuery(ctx, QueryRecord{SQL: "select 'c'", Started: t1.Add(time.Hour), Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w = openAs(t, path, "dana", false)
	if got, err := w.QueryHistory(ctx, "", 0); err != nil || sqlsOf(got) != "3:dana:select 'c' | "+want || got[2].Duration != 250*time.Millisecond {
		t.Errorf("migrated: %s %v", sqlsOf(got), err)
	}
}

// TestQueryLogLinkIsNotFollowed: the query log made a symbolic link to
// another file: a read-only session's record is refused rather than
// written through it, the history still reads, and the next writer names
// the link instead of importing through it.
func TestQueryLogLinkIsNotFollowed(t *testing.T) {
	ctx := context.Background()
	path := historyTarget(t)
	precious := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(precious, []byte("precious\n"), 0o644)
	if err := os.Symlink(precious, queryLogPath(path)); err != nil {
		t.Fatal(err)
	}
	r := openAs(t, path, "dana", true)
	if err := r.RecordQuery(ctx, QueryRecord{SQL: "select 1", Status: "ok"}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a record through a linked log: %v", err)
	}
	if got, err := r.QueryHistory(ctx, "", 0); err != nil || len(got) != 0 {
		t.Errorf("history beside a linked log: %v %v", got, err)
	}
	r.Close()
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a writer beside a linked query log: %v", err)
	}
	if b, _ := os.ReadFile(precious); string(b) != "precious\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}
