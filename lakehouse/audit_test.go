package lakehouse

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// auditFixture makes a target whose sys.audit holds two events, and whose
// read-only sessions then logged four more to <db>.audit.jsonl.
func auditFixture(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"ana", "ben"} {
		if err := lh.Audit(ctx, AuditEvent{Principal: p, Action: "SELECT", Tables: []string{"gold.x"}, Allowed: true}); err != nil {
			t.Fatal(err)
		}
	}
	lh.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	for _, p := range []string{"carol", "dana", "erin", "fred"} {
		if err := ro.Audit(ctx, AuditEvent{Principal: p, Action: "SELECT", Tables: []string{"gold.x"}, Rows: 3, Allowed: true}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func verify(t *testing.T, path string) AuditChain {
	t.Helper()
	lh, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	c, err := lh.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuditChainHolds(t *testing.T) {
	path := auditFixture(t)
	c := verify(t, path)
	if c.Break != nil || c.Events != 2 || c.Pending != 4 || c.LastSeq != 6 {
		t.Fatalf("before import: %+v (break %v), want 2 events, 4 pending, seq 6, no break", c, c.Break)
	}
	pendingHead := c.LastHash
	lh, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lh.Close()
	if _, err := os.Stat(auditPath(path)); !os.IsNotExist(err) {
		t.Errorf("the log is still there after import: %v", err)
	}
	c = verify(t, path)
	if c.Break != nil || c.Events != 6 || c.Pending != 0 || c.Tampered != 0 {
		t.Fatalf("after import: %+v (break %v), want 6 events, no break", c, c.Break)
	}
	// An intact log is imported as it is: the same hashes.
	if c.LastHash != pendingHead {
		t.Errorf("head after import %s, want the log's %s", c.LastHash, pendingHead)
	}
}

// Each way of tampering with the read-only sessions' log is found by verify
// and recorded at import, and the valid events are still imported.
func TestAuditLogTamperIsRecorded(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(lines []string) []string
		line     int
		what     string
		imported int64 // valid events imported of the 4
		raw      string
	}{
		{"edited", func(l []string) []string { l[1] = strings.Replace(l[1], `"dana"`, `"ana"`, 1); return l }, 2, "edited", 3, `"principal":"ana"`},
		{"deleted", func(l []string) []string { return append(l[:1], l[2:]...) }, 2, "1 event(s) deleted", 3, ""},
		{"unparseable", func(l []string) []string { l[2] = "{not json"; return l }, 3, "unparseable", 3, "{not json"},
		{"reordered", func(l []string) []string { l[1], l[2] = l[2], l[1]; return l }, 2, "deleted", 4, ""},
		{"relinked", func(l []string) []string {
			// A line whose fields and hash agree but whose prev_hash was changed
			// (recomputing its hash) no longer links to the line before it.
			var e AuditEvent
			decode(t, l[3], &e)
			e.PrevHash = strings.Repeat("0", 64)
			e.Hash = e.ComputeHash()
			l[3] = encode(t, e)
			return l
		}, 4, "broken link", 4, ""},
		{"truncated", func(l []string) []string { l[3] = l[3][:20]; return l }, 4, "unparseable", 3, l3prefix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := auditFixture(t)
			data, err := os.ReadFile(auditPath(path))
			if err != nil {
				t.Fatal(err)
			}
			lines := tc.tamper(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"))
			if err := os.WriteFile(auditPath(path), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			c := verify(t, path)
			if c.Break == nil || c.Break.Line != tc.line || !strings.Contains(c.Break.What, tc.what) {
				t.Fatalf("verify found %v, want line %d: %s", c.Break, tc.line, tc.what)
			}
			lh, err := Open(context.Background(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer lh.Close()
			events, err := lh.AuditEvents(context.Background(), AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var tamper []AuditEvent
			var imported int64
			for _, e := range events[2:] {
				if e.Action == ActionAuditTamper {
					tamper = append(tamper, e)
				} else {
					imported++
				}
			}
			if len(tamper) == 0 || tamper[0].Allowed || !strings.Contains(tamper[0].Detail, "line "+itoa(tc.line)) ||
				!strings.Contains(tamper[0].Detail, tc.what) || !strings.Contains(tamper[0].Detail, tc.raw) {
				t.Fatalf("tamper records %+v, want one naming line %d, %q, with %q", tamper, tc.line, tc.what, tc.raw)
			}
			if imported != tc.imported {
				t.Errorf("imported %d valid events, want %d", imported, tc.imported)
			}
			// sys.audit itself is a valid chain again, the breaks recorded in it.
			c, err = lh.VerifyAudit(context.Background())
			if err != nil || c.Break != nil || c.Tampered != int64(len(tamper)) {
				t.Errorf("after import: %+v, %v, break %v", c, err, c.Break)
			}
		})
	}
}

// l3prefix is how the truncated fourth line starts.
const l3prefix = `{"at":"`

func itoa(n int) string { return strconv.Itoa(n) }

func decode(t *testing.T, s string, e *AuditEvent) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), e); err != nil {
		t.Fatal(err)
	}
}

func encode(t *testing.T, e AuditEvent) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSysAuditEditIsFound(t *testing.T) {
	path := auditFixture(t)
	ctx := context.Background()
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"UPDATE sys.audit SET allowed = false WHERE seq = 3", "DELETE FROM sys.audit WHERE seq = 5"} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
		c, err := lh.VerifyAudit(ctx)
		if err != nil || c.Break == nil || c.Break.Seq != 3 || !strings.Contains(c.Break.What, "edited") {
			t.Fatalf("after %s: %+v %v, want the edit at seq 3", s, c.Break, err)
		}
	}
	lh.db.ExecContext(ctx, "UPDATE sys.audit SET allowed = true WHERE seq = 3")
	c, err := lh.VerifyAudit(ctx)
	if err != nil || c.Break == nil || c.Break.Seq != 6 || !strings.Contains(c.Break.What, "1 event(s) deleted") {
		t.Fatalf("deleted seq 5: %+v %v", c.Break, err)
	}
	lh.Close()
}

// An audit table made by an older lakebench gets the chain columns, and its
// rows are chained in the order they were written.
func TestAuditMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DROP TABLE sys.audit", `CREATE TABLE sys.audit (event_time TIMESTAMP, principal VARCHAR, action VARCHAR, tables VARCHAR[],
	rows BIGINT, allowed BOOLEAN, detail VARCHAR)`,
		`INSERT INTO sys.audit VALUES ('2026-01-01 10:00:00', 'ana', 'SELECT', ['gold.x'], 1, true, NULL),
		('2026-01-01 09:00:00', 'ben', 'EXECUTE', [], 0, false, 'refused'), ('2026-01-02 00:00:00', 'ana', 'deploy', NULL, NULL, true, 'b')`} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	lh.Close()
	// Read-only, it cannot be migrated: verify says so.
	if c := verify(t, path); c.Break == nil || !strings.Contains(c.Break.What, "not chained yet") {
		t.Errorf("an old sys.audit read-only: %v, want 'not chained yet'", c.Break)
	}
	lh, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if err := lh.Audit(ctx, AuditEvent{Principal: "carol", Action: "SELECT", Allowed: true}); err != nil {
		t.Fatal(err)
	}
	c, err := lh.VerifyAudit(ctx)
	if err != nil || c.Break != nil || c.Events != 4 || c.LastSeq != 4 {
		t.Fatalf("migrated: %+v %v, break %v", c, err, c.Break)
	}
	events, _ := lh.AuditEvents(ctx, AuditFilter{})
	if events[0].Principal != "ben" || events[0].Seq != 1 || events[3].Principal != "carol" {
		t.Errorf("migrated order: %+v", events)
	}
}

// Two read-only sessions appending at once never fork the chain.
func TestAuditConcurrentReaders(t *testing.T) {
	path := auditFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		ro, err := Open(ctx, path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					if err := ro.Audit(ctx, AuditEvent{Principal: "p", Action: "SELECT", Allowed: true}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	c := verify(t, path)
	if c.Break != nil || c.Pending != 4+200 {
		t.Fatalf("after concurrent appends: %+v, break %v; want 204 pending, no break", c, c.Break)
	}
}

// Destroy leaves a chained record, outside the destroyed file, of who
// destroyed what and the final hash of its audit.
func TestDestroyIsRecorded(t *testing.T) {
	path := auditFixture(t)
	before := verify(t, path)
	if err := Destroy(path, "test", "dana"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the file survived destroy: %v", err)
	}
	// Destroying again (nothing left) is recorded too, chained after it.
	if err := Destroy(path, "test", "erin"); err != nil {
		t.Fatal(err)
	}
	log := DestroyedLogPath(path)
	if filepath.Dir(log) != filepath.Dir(path) {
		t.Errorf("destroyed log %s is not beside the targets", log)
	}
	events, brk, err := ReadDestroyedLog(log)
	if err != nil || brk != nil || len(events) != 2 {
		t.Fatalf("destroyed log: %+v, break %v, %v", events, brk, err)
	}
	e := events[0]
	if e.Principal != "dana" || e.Action != "destroy" || e.Tables[0] != "dev" || !strings.Contains(e.Detail, "held 6 events") ||
		!strings.Contains(e.Detail, before.LastHash) || !strings.Contains(e.Detail, "chain held") {
		t.Errorf("destroy record %+v, want dana, dev, 6 events, hash %s", e, before.LastHash)
	}
	if events[1].Principal != "erin" || events[1].PrevHash != e.Hash {
		t.Errorf("second record not chained: %+v", events[1])
	}
	data, _ := os.ReadFile(log)
	os.WriteFile(log, []byte(strings.Replace(string(data), `"dana"`, `"mallory"`, 1)), 0o644)
	if _, brk, _ := ReadDestroyedLog(log); brk == nil || brk.Line != 1 {
		t.Errorf("an edited destroy record: break %v, want line 1", brk)
	}
}

// TestAuditHeadKeptAndChecked: a writer chains its events after the head
// it keeps (the last it appended), reading sys.audit's head once, not
// before each event; each append is checked against the table, so an
// event appended behind the process's back (here: a chained row written
// straight into sys.audit) makes the next append, plain or with a
// transaction's work, read the head again and chain after it: the chain
// never forks.
func TestAuditHeadKeptAndChecked(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	reads := auditHeadReads.Load()
	for i := range 3 {
		if err := lh.Audit(ctx, AuditEvent{Principal: "ann", Action: "SELECT", Rows: int64(i), Allowed: true}); err != nil {
			t.Fatal(err)
		}
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.CommitAudited(ctx, AuditEvent{Principal: "ann", Action: "task:sql", Allowed: true, Detail: "task " + string(rune('0'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	if n := auditHeadReads.Load() - reads; n > 1 {
		t.Errorf("sys.audit's head read %d times for 6 events, want at most once", n)
	}
	// behind appends an event straight into sys.audit, after the table's
	// head, as an append this process did not make.
	behind := func() {
		t.Helper()
		head, err := auditHead(ctx, lh.db)
		if err != nil {
			t.Fatal(err)
		}
		e := AuditEvent{Principal: "eve", Action: "SELECT", Allowed: true}
		e.normalize()
		e.chain(head)
		if written, err := insertAudit(ctx, lh.db, e); err != nil || !written {
			t.Fatalf("insert behind the head: %v %v", written, err)
		}
	}
	behind()
	if err := lh.Audit(ctx, AuditEvent{Principal: "ann", Action: "SELECT", Allowed: true}); err != nil {
		t.Fatal(err)
	}
	behind()
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.AuditOnCommit(AuditEvent{Principal: "ann", Action: "GRANT", Allowed: true})
	if err := tx.CommitAudited(ctx, AuditEvent{Principal: "ann", Action: "task:sql", Allowed: true}); err != nil {
		t.Fatal(err)
	}
	if err := lh.Audit(ctx, AuditEvent{Principal: "ann", Action: "SELECT", Allowed: true}); err != nil {
		t.Fatal(err)
	}
	chain, err := lh.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var events, seqs int64
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT seq) FROM sys.audit").Scan(&events, &seqs); err != nil {
		t.Fatal(err)
	}
	if chain.Break != nil || events != seqs || chain.LastSeq != events {
		t.Errorf("chain after appends behind the head: break %v, %d events, %d seqs, head %d", chain.Break, events, seqs, chain.LastSeq)
	}
}
