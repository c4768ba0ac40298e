package lakehouse

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// Transactions that began before each other's commits, each committed with
// its audit inside (CommitAudited, as a pipeline task commits), leave one
// unbroken chain: every event follows the head as committed, not the head
// the transaction's snapshot saw. A rolled-back transaction's event is not
// there, and its table is not either.
func TestCommitAuditedChains(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := lh.Audit(ctx, AuditEvent{Principal: "ana", Action: "SELECT", Allowed: true}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	txs := make([]*Tx, n)
	for i := range txs { // all begun before any commits
		if txs[i], err = lh.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := txs[i].Exec(ctx, fmt.Sprintf("CREATE TABLE main.t%d AS SELECT %d AS x", i, i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, tx := range txs {
		wg.Go(func() {
			if i == n-1 {
				errs[i] = tx.Rollback()
				return
			}
			tx.AuditOnCommit(AuditEvent{Principal: "ben", Action: "note", Allowed: true, Detail: fmt.Sprintf("t%d noted", i)})
			errs[i] = tx.CommitAudited(ctx, AuditEvent{Principal: "ben", Action: "task:transform", Tables: []string{fmt.Sprintf("main.t%d", i)}, Allowed: true, Detail: fmt.Sprintf("t%d", i)})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	res, err := lh.Query(ctx, "SELECT count(*) FILTER (WHERE action = 'task:transform'), count(*) FILTER (WHERE action = 'note'), count(*) FILTER (WHERE detail LIKE 't5%') FROM sys.audit")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0]; got[0] != int64(n-1) || got[1] != int64(n-1) || got[2] != int64(0) {
		t.Fatalf("audit holds %v task events, %v notes and %v of the rolled-back tx; want %d, %d and 0", got[0], got[1], got[2], n-1, n-1)
	}
	if res, err := lh.Query(ctx, fmt.Sprintf("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't%d'", n-1)); err != nil || res.Rows[0][0] != int64(0) {
		t.Fatalf("the rolled-back table exists: %v %v", res, err)
	}
	c, err := lh.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Break != nil || c.Events != 1+2*(n-1) {
		t.Fatalf("chain %+v (break %v), want %d events and no break", c, c.Break, 1+2*(n-1))
	}
	lh.Close()
}
