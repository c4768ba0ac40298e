package lakehouse

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Reviewer's attacks on the writer's kept audit head (writerHead): events
// appended by other paths between a task's Begin and its CommitAudited, a
// commit that fails after its events were chained, a second handle and a
// read-only session appending in turn, a writer killed after its commit.
// Each ends with VerifyAudit: the chain must hold, one event per seq.

// reviewChainHolds fails unless sys.audit's chain holds with one event
// per seq and wantEvents events (0: any).
func reviewChainHolds(t *testing.T, path string, wantEvents int64) {
	t.Helper()
	ctx := context.Background()
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	chain, err := lh.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var events, seqs int64
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT seq) FROM sys.audit").Scan(&events, &seqs); err != nil {
		t.Fatal(err)
	}
	if chain.Break != nil || events != seqs || chain.LastSeq != events || chain.Pending != 0 {
		t.Errorf("chain: break %v, %d events, %d seqs, head %d, pending %d", chain.Break, events, seqs, chain.LastSeq, chain.Pending)
	}
	if wantEvents > 0 && events < wantEvents {
		t.Errorf("%d events in sys.audit, want at least %d", events, wantEvents)
	}
}

func TestReviewAuditChainInterleaved(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE gold.pk (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	audit := func(who string, allowed bool) {
		t.Helper()
		if err := lh.Audit(ctx, AuditEvent{Principal: who, Action: "SELECT", Allowed: allowed}); err != nil {
			t.Fatal(err)
		}
	}
	begin := func(stmt string) *Tx {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stmt != "" {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		return tx
	}
	task := func(key string) AuditEvent {
		return AuditEvent{Principal: "ana", Action: "task:sql", Allowed: true, Detail: key}
	}
	audit("warm", true) // the head is known from here
	// A task's transaction begins; a query's audit and a failed task's
	// (its work rolled back) land outside it; then it commits audited,
	// its snapshot older than those events.
	t1 := begin("CREATE TABLE gold.a AS SELECT 1 AS x")
	audit("query", true)
	failed := begin("CREATE TABLE gold.f AS SELECT 1 AS x")
	failed.Rollback()
	if err := lh.Audit(ctx, AuditEvent{Principal: "ana", Action: "task:sql", Allowed: false, Detail: "failed"}); err != nil {
		t.Fatal(err)
	}
	t1.AuditOnCommit(AuditEvent{Principal: "ana", Action: "GRANT", Allowed: true})
	if err := t1.CommitAudited(ctx, task("t1")); err != nil {
		t.Fatal(err)
	}
	// Two tasks insert the same key: the first commits; the second's
	// events are chained in its transaction, then its commit fails.
	t2, t3 := begin(""), begin("")
	if _, err := t2.Exec(ctx, "INSERT INTO gold.pk VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	_, err3 := t3.Exec(ctx, "INSERT INTO gold.pk VALUES (1)")
	if err := t2.CommitAudited(ctx, task("t2")); err != nil {
		t.Fatal(err)
	}
	if err3 == nil {
		err3 = t3.CommitAudited(ctx, task("t3"))
	}
	t.Logf("the second insert of key 1: %v", err3)
	if err3 == nil {
		t.Error("two transactions committed the same primary key")
	}
	t3.Rollback()
	audit("after a failed commit", true)
	// A plain commit with events on commit, then one audited again.
	t4 := begin("CREATE TABLE gold.b AS SELECT 1 AS x")
	t4.AuditOnCommit(AuditEvent{Principal: "ana", Action: "deploy", Allowed: true})
	if err := t4.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := begin("").CommitAudited(ctx, task("t5")); err != nil {
		t.Fatal(err)
	}
	// A commit audited under a cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	t6 := begin("CREATE TABLE gold.c AS SELECT 1 AS x")
	cancel()
	t.Logf("CommitAudited cancelled: %v", t6.CommitAudited(cctx, task("t6")))
	t6.Rollback()
	audit("after a cancel", false)
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	// A second handle writes, then a read-only session (a CLI query)
	// appends to its log, then the first path's writer again.
	lh2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := lh2.Audit(ctx, AuditEvent{Principal: "bob", Action: "SELECT", Allowed: true}); err != nil {
		t.Fatal(err)
	}
	tx, err := lh2.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.CommitAudited(ctx, task("lh2")); err != nil {
		t.Fatal(err)
	}
	lh2.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := ro.Audit(ctx, AuditEvent{Principal: "chen", Action: "SELECT", Allowed: true}); err != nil {
			t.Fatal(err)
		}
	}
	ro.Close()
	lh, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tx, err = lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	audit("after the import", true)
	if err := tx.CommitAudited(ctx, task("last")); err != nil {
		t.Fatal(err)
	}
	lh.Close()
	reviewChainHolds(t, path, 16)
}

// TestReviewAuditChainAfterKill: a writer killed once its ingest
// committed (LAKEBENCH_TEST_COMMIT_KILL), its kept head lost with it;
// the next writer's events, plain and with a task's work, chain after
// the killed one's.
func TestReviewAuditChainAfterKill(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.duckdb")
	csv := writeFile(t, dir, "people_2026-01-05.csv", "id,name\n1,ann\n2,bob\n")
	for round := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_COMMIT_KILL="+path, "LAKEBENCH_TEST_CSV="+csv)
		out, err := cmd.CombinedOutput()
		if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
			t.Fatalf("round %d: the child was not killed: %v: %s", round, err, out)
		}
		lh, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := lh.Audit(ctx, AuditEvent{Principal: "ana", Action: "SELECT", Allowed: true}); err != nil {
			t.Fatal(err)
		}
		if err := tx.CommitAudited(ctx, AuditEvent{Principal: "ana", Action: "task:sql", Allowed: true}); err != nil {
			t.Fatal(err)
		}
		lh.Close()
	}
	reviewChainHolds(t, path, 4)
}
