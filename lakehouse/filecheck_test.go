package lakehouse

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// damagedFixture writes a target with some tables and closes it.
func damagedFixture(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE silver.orders AS SELECT i AS id, 'customer ' || i AS name, i * 1.5 AS amount FROM range(300000) t(i)",
		"CREATE TABLE gold.totals AS SELECT id % 100 AS k, sum(amount) AS s FROM silver.orders GROUP BY k",
	} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// A file with garbage written over it and cut short is reported as damaged,
// with what to do, by the writer and by readers; the process goes on.
func TestDamagedFileIsReported(t *testing.T) {
	path := damagedFixture(t)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	garbage := make([]byte, st.Size()/3)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>8)
	}
	f.WriteAt(garbage, st.Size()/3)
	f.Truncate(st.Size() * 3 / 4)
	f.Close()
	for _, opts := range []Options{{}, {ReadOnly: true}} {
		lh, err := Open(context.Background(), path, opts)
		var damaged *DamagedError
		if !errors.As(err, &damaged) {
			if lh != nil {
				lh.Close()
			}
			t.Fatalf("read-only %v: got %v, want a *DamagedError", opts.ReadOnly, err)
		}
		for _, want := range []string{path + " is damaged (DuckDB ", "lakebench restore latest", "or delete it and re-run"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	}
}

// A check that dies by a signal (as DuckDB does on some damaged files) is
// reported, not passed on to the parent; a file is checked once a process.
func TestDamagedFileCrashIsContained(t *testing.T) {
	path := damagedFixture(t)
	var runs atomic.Int32
	var damaged *DamagedError
	defer SetFileCheck(testFileCheck)
	// The Go runtime reports a SIGSEGV in cgo and exits 2; a signal it
	// cannot catch kills the child.
	for crash, want := range map[string]string{"SIGSEGV": "crashed reading it: SIGSEGV: segmentation violation", "SIGKILL": "crashed reading it: killed"} {
		SetFileCheck(func(ctx context.Context, p string) *exec.Cmd {
			runs.Add(1)
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_CHECK_DB="+p, "LAKEBENCH_TEST_CHECK_CRASH="+crash)
			return cmd
		})
		_, err := Open(context.Background(), path, Options{ReadOnly: true})
		if !errors.As(err, &damaged) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: got %v, want a *DamagedError saying %q", crash, err, want)
		}
	}
	// A sound check passes, once.
	SetFileCheck(func(ctx context.Context, p string) *exec.Cmd { runs.Add(1); return testFileCheck(ctx, p) })
	for i := 0; i < 2; i++ {
		lh, err := Open(context.Background(), path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		lh.Close()
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("the check ran %d times, want 3 (two crashes, then once for two opens)", n)
	}
	// Another process finds the file unchanged since it passed: no check.
	fileCheck.Lock()
	fileCheck.checked = nil
	fileCheck.Unlock()
	lh, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	lh.Close()
	if n := runs.Load(); n != 3 {
		t.Errorf("an unchanged file was checked again (%d runs)", n)
	}
	// Damage after the check changes the stamp: checked again.
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	st, _ := f.Stat()
	f.Truncate(st.Size() / 2)
	f.Close()
	fileCheck.Lock()
	fileCheck.checked = nil
	fileCheck.Unlock()
	if _, err := Open(context.Background(), path, Options{ReadOnly: true}); !errors.As(err, &damaged) || runs.Load() != 4 {
		t.Errorf("a file cut short after its check: %v (%d runs)", err, runs.Load())
	}
}

// A file another process writes is not called damaged: the reader gets the
// usual error naming the writer.
func TestFileCheckOfABusyFile(t *testing.T) {
	path := damagedFixture(t)
	holdWriter(t, path)
	_, err := Open(context.Background(), path, Options{ReadOnly: true})
	var damaged *DamagedError
	if err == nil || errors.As(err, &damaged) {
		t.Fatalf("got %v, want the usual error of a file being written", err)
	}
}
