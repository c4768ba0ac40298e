package lakehouse

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestCheckpointBesideOpenDDL: the checkpointer's CHECKPOINT runs while
// other transactions hold uncommitted DDL (CREATE OR REPLACE TABLE, DROP,
// ALTER), a long INSERT that later rolls back and one that later commits;
// autocommitted writes beside (lh.db, which never pass through
// afterCommit) grow the log too. Whatever DuckDB does with the checkpoint,
// every committed change and none of the rolled-back one is there in the
// next Open, and Close leaves no log behind.
func TestCheckpointBesideOpenDDL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE main.t (i BIGINT, s VARCHAR)",
		"CREATE TABLE main.r AS SELECT range AS i FROM range(10)",
		"CREATE TABLE main.d AS SELECT range AS i FROM range(10)",
		"CREATE TABLE main.a AS SELECT range AS i FROM range(10)",
	} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	lh.ckpt.mu.Lock()
	lh.ckpt.closed = true
	lh.ckpt.mu.Unlock()
	rows := 0
	for walBytes(t, path) < walCheckpointBytes {
		if err := commitRows(ctx, lh, rows, 100_000); err != nil {
			t.Fatal(err)
		}
		rows += 100_000
	}
	open := func(stmt string) *sql.Tx {
		t.Helper()
		tx, err := lh.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	replace := open("CREATE OR REPLACE TABLE main.r AS SELECT range AS i FROM range(1000)")
	drop := open("DROP TABLE main.d")
	alter := open("ALTER TABLE main.a ADD COLUMN x INTEGER DEFAULT 7")
	undone := open("INSERT INTO main.t SELECT range, 'undone' FROM range(10000000, 10300000)")
	kept := open("INSERT INTO main.t SELECT range, 'kept' FROM range(20000000, 20300000)")
	done := make(chan error, 1)
	lh.ckpt.mu.Lock()
	lh.ckpt.closed = false
	lh.ckpt.onDone = func(err error) { done <- err }
	lh.ckpt.mu.Unlock()
	if err := commitRows(ctx, lh, rows, 1000); err != nil {
		t.Fatal(err)
	}
	rows += 1000
	if lh.ckpt.ran != 1 {
		t.Fatalf("%d checkpoints started, want 1", lh.ckpt.ran)
	}
	t.Logf("the checkpoint beside the open DDL: %v", <-done)
	for _, tx := range []*sql.Tx{replace, drop, alter, kept} {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := undone.Rollback(); err != nil {
		t.Fatal(err)
	}
	// Autocommitted writes past another 16 MB of log: no afterCommit.
	for start := walBytes(t, path); walBytes(t, path) < start+walCheckpointBytes; rows += 100_000 {
		if _, err := lh.db.ExecContext(ctx, "INSERT INTO main.t SELECT range, md5(range::VARCHAR) FROM range(?, ?)", rows, rows+100_000); err != nil {
			t.Fatal(err)
		}
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	if n := walBytes(t, path); n > 0 {
		t.Errorf("Close left %d bytes of log", n)
	}
	lh, err = Open(ctx, path, Options{Holder: t.Name(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for q, want := range map[string]int64{
		"SELECT count(*) FROM main.t WHERE s NOT IN ('kept', 'undone')":                        int64(rows),
		"SELECT count(DISTINCT i) FROM main.t WHERE s NOT IN ('kept', 'undone')":               int64(rows),
		"SELECT count(*) FROM main.t WHERE s = 'kept'":                                         300_000,
		"SELECT count(*) FROM main.t WHERE s = 'undone'":                                       0,
		"SELECT count(*) FROM main.r":                                                          1000,
		"SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'd'": 0,
		"SELECT sum(x) FROM main.a":                                                            70,
	} {
		if got := scalarInt(t, lh, q); got != want {
			t.Errorf("%s: %d, want %d", q, got, want)
		}
	}
	var threshold string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_setting('checkpoint_threshold')").Scan(&threshold); err != nil {
		t.Fatal(err)
	}
	if threshold == noAutoCheckpoint || lh.ckpt.ran != 0 {
		t.Errorf("a read-only session: checkpoint_threshold %s, %d checkpoints", threshold, lh.ckpt.ran)
	}
}
