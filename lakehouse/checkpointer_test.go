package lakehouse

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// walBytes is the size of path's write-ahead log, 0 when there is none.
func walBytes(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path + ".wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// commitRows commits one transaction that appends n rows of about 40
// bytes to t (fewer than a row group: DuckDB logs them in the WAL rather
// than writing them to the file), numbered from first.
func commitRows(ctx context.Context, lh *Lakehouse, first, n int) error {
	tx, err := lh.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO main.t SELECT range, md5(range::VARCHAR) FROM range(%d, %d)", first, first+n)); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// TestCheckpointBesideCommits: a writer's commit never checkpoints inside
// itself (DuckDB's threshold is out of reach: the log grows past 16 MB
// while no checkpoint of ours may start), and once one may, the next
// commit past the size starts one on its own connection, which empties
// the log while other commits go on beside it; nothing is lost, in this
// process or the next.
func TestCheckpointBesideCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	var threshold string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_setting('checkpoint_threshold')").Scan(&threshold); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(threshold, "TiB") {
		t.Errorf("a writer's checkpoint_threshold is %s, want it out of reach (1 TiB)", threshold)
	}
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE main.t (i BIGINT, s VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	// No checkpoint of ours yet: the commits leave the log as it grows.
	lh.ckpt.mu.Lock()
	lh.ckpt.closed = true
	lh.ckpt.mu.Unlock()
	rows := 0
	for walBytes(t, path) < 2*walCheckpointBytes {
		if rows >= 4_000_000 { // about 160 MB logged
			t.Fatalf("the log holds %d bytes after %d rows: DuckDB checkpointed inside a commit", walBytes(t, path), rows)
		}
		if err := commitRows(ctx, lh, rows, 100_000); err != nil {
			t.Fatal(err)
		}
		rows += 100_000
	}
	if lh.ckpt.ran != 0 {
		t.Fatalf("%d checkpoints started while none could", lh.ckpt.ran)
	}
	// A reader that began before a DELETE keeps its snapshot through
	// the checkpoint (which must not drop the rows it still sees).
	reader, err := lh.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback()
	var before int64
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM main.t").Scan(&before); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM main.t WHERE i % 2 = 0"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	deleted := rows / 2
	// Now one may: the next commit starts it, and commits go on beside
	// it until it ends.
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
		t.Fatalf("%d checkpoints started by a commit past %d bytes of log, want 1", lh.ckpt.ran, walCheckpointBytes)
	}
	beside := 0
	for waiting := true; waiting; {
		select {
		case err := <-done:
			// DuckDB may refuse it while a commit beside it is under
			// way: the next commit starts another.
			if err != nil && (!strings.Contains(err.Error(), "other write transactions") || lh.ckpt.ran >= 20) {
				t.Fatalf("the checkpoint failed (try %d): %v", lh.ckpt.ran, err)
			}
			waiting = err != nil
		default:
			if err := commitRows(ctx, lh, rows, 1000); err != nil {
				t.Fatal(err)
			}
			rows += 1000
			beside++
		}
	}
	if n := walBytes(t, path); n >= walCheckpointBytes {
		t.Errorf("the log holds %d bytes after the checkpoint, want it emptied but for the %d commits beside it", n, beside)
	}
	if n := scalarInt(t, lh, "SELECT count(DISTINCT i) FROM main.t"); n != int64(rows-deleted) {
		t.Errorf("%d rows after the checkpoint, want %d", n, rows-deleted)
	}
	var after int64
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM main.t").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("a reader begun before the DELETE counts %d rows after the checkpoint, %d before", after, before)
	}
	reader.Rollback()
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	lh, err = Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	if n := scalarInt(t, lh, "SELECT count(DISTINCT i) FROM main.t"); n != int64(rows-deleted) {
		t.Errorf("%d rows in the next process, want %d", n, rows-deleted)
	}
}

// TestCheckpointKilled kills a writer (SIGKILL) while its checkpoint runs
// beside a commit: the file opens again with every row whose commit
// returned.
func TestCheckpointKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.duckdb")
	committed := runKilledWriter(t, "LAKEBENCH_TEST_CHECKPOINT_KILL="+path)
	lh, err := Open(context.Background(), path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatalf("the file of a writer killed in its checkpoint does not open: %v", err)
	}
	defer lh.Close()
	if n := scalarInt(t, lh, "SELECT count(DISTINCT i) FROM main.t"); n < int64(committed) {
		t.Errorf("%d rows after the kill, want the %d committed", n, committed)
	}
}

// runKilledWriter runs this test binary as a writer (env names which, see
// TestMain), which says "committed N" and kills itself; it returns N, and
// fails the test unless the writer ended by SIGKILL after saying it.
func runKilledWriter(t *testing.T, env string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), env)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := -1
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			committed, _ = strconv.Atoi(n)
		} else {
			t.Log(sc.Text())
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the writer ended with %v, want it killed", err)
	}
	if committed < 0 {
		t.Fatal("the writer said nothing of its commits")
	}
	return committed
}

// checkpointKillChild is TestCheckpointKilled's writer: it commits until
// its checkpoint starts, commits once more beside it, says how many rows
// it committed, and kills itself.
func checkpointKillChild(path string) {
	ctx := context.Background()
	lh, err := Open(ctx, path, Options{Holder: "checkpoint kill (test)"})
	if err == nil {
		_, err = lh.db.ExecContext(ctx, "CREATE TABLE main.t (i BIGINT, s VARCHAR)")
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	started := make(chan struct{})
	var once sync.Once // a refused checkpoint is tried again at the next commit
	lh.ckpt.onStart = func() { once.Do(func() { close(started) }) }
	rows := 0
	for {
		if err := commitRows(ctx, lh, rows, 100_000); err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		rows += 100_000
		select {
		case <-started:
			if err := commitRows(ctx, lh, rows, 1000); err != nil {
				fmt.Println("error:", err)
				os.Exit(2)
			}
			fmt.Printf("committed %d\n", rows+1000)
			os.Stdout.Sync()
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		default:
		}
	}
}
