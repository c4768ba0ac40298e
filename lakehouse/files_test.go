package lakehouse

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestMaterializeRefusesInternalTables: a model may not build a table in
// bronze, bronze_data or sys, nor a table files are loaded into, whatever
// its caller checked; the rows there survive the attempt.
func TestMaterializeRefusesInternalTables(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	ingestText(t, lh, "orders.csv", "id,amount\n1,10\n2,20\n", "orders")
	if _, err := lh.Ingest(ctx, []string{writeFile(t, t.TempDir(), "x.csv", "id\n1\n")}, IngestOptions{Table: TableName{"silver", "loaded"}}); err != nil {
		t.Fatal(err)
	}
	if err := lh.RecordRun(ctx, Run{RunID: "r1", Job: "nightly", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	for _, table := range []TableName{{"bronze_data", "orders"}, {"bronze", "orders"}, {"BRONZE_DATA", "orders"}, {"sys", "runs"}, {"sys", "audit"},
		{"bronze", "new_table"}, {"silver_data", "loaded"}, {"silver", "loaded"}} {
		t.Run(table.String(), func(t *testing.T) {
			tx, err := lh.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			_, err = tx.Materialize(ctx, table, "select 99 as id, 0 as amount", Materialization{})
			if !errors.Is(err, ErrInternalTable) {
				t.Errorf("Materialize: got %v, want ErrInternalTable", err)
			}
			_, _, err = tx.MaterializeChecked(ctx, table, "select 99 as id", Materialization{}, []Rule{{Name: "r", Expression: "id > 0", Criticality: "error"}})
			if !errors.Is(err, ErrInternalTable) {
				t.Errorf("MaterializeChecked: got %v, want ErrInternalTable", err)
			}
			if _, err := tx.ApplyQuality(ctx, table, []Rule{{Name: "none", Expression: "false", Criticality: "error"}}); !errors.Is(err, ErrInternalTable) {
				t.Errorf("ApplyQuality with an error rule: got %v, want ErrInternalTable", err)
			}
		})
	}
	for q, want := range map[string]int64{"select * from bronze.orders": 2, "select * from silver.loaded": 1, "select * from sys.runs": 1} {
		if n, err := lh.Count(ctx, q); err != nil || n != want {
			t.Errorf("%s: %d rows (%v), want %d", q, n, err, want)
		}
	}
	// A model of its own is still built.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if n, err := tx.Materialize(ctx, TableName{"silver", "orders"}, "select * from bronze.orders", Materialization{}); err != nil || n != 2 {
		t.Errorf("silver.orders: %d rows (%v), want 2", n, err)
	}
}

// TestStaleRunsMarkedCrashedAtOpen records runs as processes left them and
// opens the target again: a run whose process is gone (killed), alive but
// not lakebench (its id reused), on another host, or unrecorded becomes
// crashed; a run of a live lakebench process stays running.
func TestStaleRunsMarkedCrashedAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	ctx := context.Background()
	start := func(name string, args []string, env ...string) *exec.Cmd {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		if _, err := cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	live := start(os.Args[0], []string{"-test.run=^$"}, "LAKEBENCH_TEST_WAIT=1")
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat to stand for another program")
	}
	other := start(cat, nil)
	dead := start(os.Args[0], []string{"-test.run=^$"}, "LAKEBENCH_TEST_WAIT=1")
	dead.Process.Signal(syscall.SIGKILL)
	dead.Wait()

	host, _ := os.Hostname()
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]Run{
		"killed":     {PID: dead.Process.Pid, Host: host},
		"reused":     {PID: other.Process.Pid, Host: host},
		"elsewhere":  {PID: live.Process.Pid, Host: host + "-other"},
		"this":       {}, // RecordRun records this process
		"alive":      {PID: live.Process.Pid, Host: host},
		"unrecorded": {},
	}
	for id, r := range runs {
		r.RunID, r.Job, r.Status, r.StartedAt = id, "nightly", "running", time.Now()
		if err := lh.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lh.Exec(ctx, "UPDATE sys.runs SET pid = NULL, host = NULL WHERE run_id = 'unrecorded'"); err != nil {
		t.Fatal(err)
	}
	lh.Close()

	lh, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for id := range runs {
		want := "crashed"
		if id == "alive" {
			want = "running"
		}
		res, err := lh.Query(ctx, "select status, coalesce(error, '') from sys.runs where run_id = '"+id+"'")
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("run %s: %v %v", id, res, err)
		}
		if got := res.Rows[0][0]; got != want {
			t.Errorf("run %s is %v, want %s (%v)", id, got, want, res.Rows[0][1])
		}
	}
}
