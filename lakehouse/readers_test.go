package lakehouse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// reader starts a child process that opens path read-only and holds it
// until its stdin closes (done); line is its first line: "reading", or
// "error: ..." when the open failed.
func reader(t *testing.T, path string) (cmd *exec.Cmd, done func(), line string) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_READ="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once bool
	done = func() {
		if !once {
			once = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); done() })
	line, err = bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the reader said %q: %v", line, err)
	}
	return cmd, done, strings.TrimSpace(line)
}

// setWait sets the writers' wait for the test, and puts the default back.
func setWait(t *testing.T, d time.Duration, notify func(string)) {
	SetReaderWait(d, notify)
	t.Cleanup(func() { SetReaderWait(DefaultReaderWait, nil) })
}

// TestWriterWaitsForReaders: a writer that opens a target while another
// process reads it (the TUI reloading, a query) waits for the reader to
// close it instead of failing, and says whom it waits for; a reader that
// comes while the writer waits or writes is told at once who writes (so
// readers cannot keep the writer out); with no wait the writer fails at
// once naming the reader; a reader killed with SIGKILL holds nothing; a
// canceled wait leaves no lock behind. Each step follows the last one's
// end (the wait's message, a child's line, its exit): nothing is timed.
// Before the readers' lock the writer failed at once with DuckDB's
// conflict ("open for reading ... retry").
func TestWriterWaitsForReaders(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lh.Close()

	first, closeFirst, line := reader(t, path)
	if line != "reading" {
		t.Fatalf("the first reader: %s", line)
	}
	waiting := make(chan string, 1)
	setWait(t, time.Hour, func(msg string) { waiting <- msg })
	opened := make(chan error, 1)
	var w *Lakehouse
	go func() {
		var err error
		w, err = Open(ctx, path, Options{Holder: "lakebench alerts check"})
		opened <- err
	}()
	var msg string
	select {
	case msg = <-waiting:
	case err := <-opened:
		t.Fatalf("the writer did not wait for the reader: %v", err)
	}
	if !strings.Contains(msg, fmt.Sprintf("%s (pid %d)", filepath.Base(os.Args[0]), first.Process.Pid)) || !strings.Contains(msg, "waiting") {
		t.Errorf("the wait's message %q does not name the reader %d", msg, first.Process.Pid)
	}
	// A reader that comes now would keep the writer waiting: it is told
	// who writes instead.
	if _, _, line := reader(t, path); !strings.Contains(line, "being written by process "+fmt.Sprint(os.Getpid())) || !strings.Contains(line, "lakebench alerts check") {
		t.Errorf("a reader while the writer waits: %q, want it told who writes", line)
	}
	closeFirst()
	if err := <-opened; err != nil {
		t.Fatalf("the writer after the reader closed: %v", err)
	}
	if _, _, line := reader(t, path); !strings.Contains(line, "being written by process "+fmt.Sprint(os.Getpid())) {
		t.Errorf("a reader while the writer writes: %q", line)
	}
	w.Close()

	// No wait: the writer fails at once, naming the reader.
	second, closeSecond, line := reader(t, path)
	if line != "reading" {
		t.Fatalf("the second reader: %s", line)
	}
	setWait(t, 0, nil)
	_, err = Open(ctx, path, Options{})
	var re *ReadersError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", second.Process.Pid)) || !strings.Contains(err.Error(), "open for reading") {
		t.Errorf("a writer that may not wait: %v, want the reader named", err)
	}
	// A write only worth doing now (NoWait) does not wait either.
	setWait(t, time.Hour, func(msg string) { t.Errorf("a writer with NoWait waited: %s", msg) })
	if _, err := Open(ctx, path, Options{NoWait: true}); !errors.As(err, &re) {
		t.Errorf("a writer with NoWait: %v, want the reader named", err)
	}
	// A canceled wait: the writer gives up, and once the reader closes
	// nothing of the wait holds the file.
	cctx, cancel := context.WithCancel(ctx)
	setWait(t, time.Hour, func(string) { cancel() })
	if _, err := Open(cctx, path, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled wait: %v", err)
	}
	closeSecond()
	setWait(t, time.Hour, func(msg string) { t.Logf("waits for the canceled wait's flock: %s", msg) })
	if w, err := Open(ctx, path, Options{}); err != nil {
		t.Errorf("a writer after the canceled wait: %v", err)
	} else {
		w.Close()
	}

	// A reader killed while it reads holds nothing: the kernel drops its
	// flock, and the writer needs no wait.
	third, _, line := reader(t, path)
	if line != "reading" {
		t.Fatalf("the third reader: %s", line)
	}
	third.Process.Kill()
	third.Wait()
	setWait(t, 0, nil)
	if w, err := Open(ctx, path, Options{}); err != nil {
		t.Errorf("a writer after the reader was killed: %v", err)
	} else {
		w.Close()
	}
}

// TestSecondWriterDoesNotWait: a writer that meets another writer (not a
// reader) fails at once with the holder named, whatever the wait, and a
// killed writer holds nothing.
func TestSecondWriterDoesNotWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	holder := holdWriter(t, path)
	setWait(t, time.Hour, func(msg string) { t.Errorf("a second writer waited: %s", msg) })
	_, err := Open(context.Background(), path, Options{})
	var le *ErrLocked
	if !errors.As(err, &le) || le.Holder.PID != holder.Process.Pid {
		t.Fatalf("a second writer: %v, want *ErrLocked naming %d", err, holder.Process.Pid)
	}
	holder.Process.Kill()
	holder.Wait()
	lh, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("after the writer was killed: %v", err)
	}
	lh.Close()
}
