package lakehouse

import (
	"context"
	"path/filepath"
	"testing"
)

// TestAuditOnCommit: an event queued in a transaction is audited when it
// commits, and never when it rolls back; bound values are values, not SQL.
func TestAuditOnCommit(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, commit := range []bool{false, true} {
		tx, err := lh.BeginAs(ctx, "chen")
		if err != nil {
			t.Fatal(err)
		}
		if tx.Principal() != "chen" {
			t.Errorf("principal %q", tx.Principal())
		}
		if _, err := tx.ExecArgs(ctx, "CREATE TABLE IF NOT EXISTS gold.t (s VARCHAR)"); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecArgs(ctx, "INSERT INTO gold.t VALUES (?)", "x'); DROP TABLE gold.t; --"); err != nil {
			t.Fatal(err)
		}
		tx.AuditOnCommit(AuditEvent{Principal: "chen", Action: "ml:alias", Allowed: true, Detail: "committed"})
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := lh.RecordsQuery(ctx, "SELECT (SELECT count(*) FROM sys.audit WHERE action = ?), (SELECT min(s) FROM gold.t)", "ml:alias")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0]; got[0] != int64(1) || got[1] != "x'); DROP TABLE gold.t; --" {
		t.Errorf("audited %v events and stored %q, want 1 and the text as given", got[0], got[1])
	}
}
