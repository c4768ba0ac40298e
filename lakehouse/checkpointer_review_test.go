package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// TestCheckpointKilledAfterDDL kills a writer (SIGKILL) whose checkpoint
// starts with DDL in the log (CREATE OR REPLACE TABLE, DROP, ALTER) and
// beside more DDL committed as it runs: the next process finds every
// committed change.
func TestCheckpointKilledAfterDDL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.duckdb")
	committed := runKilledWriter(t, "LAKEBENCH_TEST_CHECKPOINT_KILL_DDL="+path)
	lh, err := Open(context.Background(), path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatalf("the file of a writer killed in its checkpoint after DDL does not open: %v", err)
	}
	defer lh.Close()
	for q, want := range map[string]int64{
		"SELECT count(DISTINCT i) FROM main.t": int64(committed),
		"SELECT count(*) FROM main.r":          1000,
		"SELECT sum(y) FROM main.r":            1000,
		"SELECT count(*) FROM main.r2":         500,
		"SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'd'": 0,
		"SELECT sum(x) FROM main.a": 70,
	} {
		if got := scalarInt(t, lh, q); got != want {
			t.Errorf("%s: %d, want %d", q, got, want)
		}
	}
}

// checkpointKillDDLChild is TestCheckpointKilledAfterDDL's writer.
func checkpointKillDDLChild(path string) {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	run := func(stmts ...string) {
		tx, err := lh0.Begin(ctx)
		if err != nil {
			fail(err)
		}
		for _, s := range stmts {
			if _, err := tx.tx.ExecContext(ctx, s); err != nil {
				fail(err)
			}
		}
		if err := tx.Commit(); err != nil {
			fail(err)
		}
	}
	lh, err := Open(ctx, path, Options{Holder: "checkpoint kill after DDL (test)"})
	if err != nil {
		fail(err)
	}
	lh0 = lh
	lh.ckpt.closed = true
	run("CREATE TABLE main.t (i BIGINT, s VARCHAR)",
		"CREATE TABLE main.r AS SELECT range AS i FROM range(10)",
		"CREATE TABLE main.d AS SELECT range AS i FROM range(10)",
		"CREATE TABLE main.a AS SELECT range AS i FROM range(10)")
	rows := 0
	for st, err := os.Stat(path + ".wal"); err != nil || st.Size() < 4*walCheckpointBytes; st, err = os.Stat(path + ".wal") {
		if err := commitRows(ctx, lh, rows, 100_000); err != nil {
			fail(err)
		}
		rows += 100_000
	}
	run("CREATE OR REPLACE TABLE main.r AS SELECT range AS i FROM range(1000)", "DROP TABLE main.d")
	run("ALTER TABLE main.a ADD COLUMN x INTEGER DEFAULT 7")
	started := make(chan struct{})
	lh.ckpt.mu.Lock()
	lh.ckpt.closed = false
	var once sync.Once
	lh.ckpt.onStart = func() { once.Do(func() { close(started) }) }
	lh.ckpt.onDone = func(err error) { fmt.Println("checkpoint:", err) }
	lh.ckpt.mu.Unlock()
	if err := commitRows(ctx, lh, rows, 1000); err != nil {
		fail(err)
	}
	rows += 1000
	<-started
	run("CREATE OR REPLACE TABLE main.r2 AS SELECT range AS i FROM range(500)")
	run("ALTER TABLE main.r ADD COLUMN y INTEGER DEFAULT 1")
	if err := commitRows(ctx, lh, rows, 1000); err != nil {
		fail(err)
	}
	fmt.Printf("committed %d\n", rows+1000)
	os.Stdout.Sync()
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
}

// lh0 is checkpointKillDDLChild's lakehouse (one per child process).
var lh0 *Lakehouse

// TestCheckpointAfterExec: a writer's statements through Exec commit on
// their own (no Tx, and without a principal no audit either), yet the log
// they grow is checkpointed as a Tx's is, not left to grow until Close.
func TestCheckpointAfterExec(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.Exec(ctx, "CREATE TABLE main.t (i BIGINT, s VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	lh.ckpt.mu.Lock()
	lh.ckpt.onDone = func(err error) { done <- err }
	lh.ckpt.mu.Unlock()
	rows := 0
	for lh.ckpt.ran == 0 {
		if n := walBytes(t, path); n >= 2*walCheckpointBytes {
			t.Fatalf("the log holds %d bytes after %d rows written through Exec, and no checkpoint started", n, rows)
		}
		if _, err := lh.Exec(ctx, fmt.Sprintf("INSERT INTO main.t SELECT range, md5(range::VARCHAR) FROM range(%d, %d)", rows, rows+100_000)); err != nil {
			t.Fatal(err)
		}
		rows += 100_000
	}
	// DuckDB refuses a checkpoint beside another write (a statement of
	// the lakehouse's own, say): the next commit tries again.
	for tries := 1; ; tries++ {
		err := <-done
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "other write transactions") || tries == 20 {
			t.Fatalf("the checkpoint failed (try %d): %v", tries, err)
		}
		if _, err := lh.Exec(ctx, fmt.Sprintf("INSERT INTO main.t VALUES (%d, 'x')", rows)); err != nil {
			t.Fatal(err)
		}
		rows++
	}
	if n := walBytes(t, path); n >= walCheckpointBytes {
		t.Errorf("the log holds %d bytes after the checkpoint", n)
	}
	if n := scalarInt(t, lh, "SELECT count(*) FROM main.t"); n != int64(rows) {
		t.Errorf("%d rows, want %d", n, rows)
	}
}

// TestBackupBesideCheckpoint: a backup taken while the checkpointer's
// checkpoint is under way (held at its start until the backup has begun)
// succeeds, and a restore of it brings back every row committed before.
func TestBackupBesideCheckpoint(t *testing.T) {
	ctx := context.Background()
	path, dir := backupFixture(t)
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE main.t (i BIGINT, s VARCHAR)"); err != nil {
		t.Fatal(err)
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
	entered, gate, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	lh.ckpt.mu.Lock()
	lh.ckpt.closed = false
	lh.ckpt.onStart = func() { close(entered); <-gate }
	lh.ckpt.onDone = func(err error) { done <- err }
	lh.ckpt.mu.Unlock()
	if err := commitRows(ctx, lh, rows, 1000); err != nil {
		t.Fatal(err)
	}
	rows += 1000
	<-entered
	type result struct {
		info BackupInfo
		err  error
	}
	backed := make(chan result, 1)
	go func() {
		info, err := lh.Backup(ctx, BackupOptions{Dir: dir, Principal: "ana"})
		backed <- result{info, err}
	}()
	close(gate)
	r := <-backed
	t.Logf("the checkpoint beside the backup: %v", <-done)
	if r.err != nil {
		t.Fatalf("a backup beside the checkpoint: %v", r.err)
	}
	if r.info.Tables["main.t"] != int64(rows) {
		t.Errorf("the backup counts %d rows of main.t, want %d", r.info.Tables["main.t"], rows)
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: "latest", Principal: "ana"}); err != nil {
		t.Fatal(err)
	}
	lh, err = Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := scalarInt(t, lh, "SELECT count(DISTINCT i) FROM main.t"); n != int64(rows) {
		t.Errorf("%d rows of main.t after the restore, want %d", n, rows)
	}
}
