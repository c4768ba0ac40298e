package lakehouse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets this test binary act as a second process: with
// LAKEBENCH_TEST_HOLD set it opens that file for writing, says so, and
// holds it until killed or until its stdin closes (the parent is gone): no
// wall-clock limit, which a busy machine could outlast.
func TestMain(m *testing.M) {
	if path := os.Getenv("LAKEBENCH_TEST_HOLD"); path != "" {
		lh, err := Open(context.Background(), path, Options{Holder: "lakebench run (test holder)"})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		defer lh.Close()
		fmt.Println("holding")
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSecondWriterGetsClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "holding" {
		t.Fatalf("holder said %q (%v)", line, err)
	}

	_, err = Open(context.Background(), path, Options{Holder: "second"})
	var le *ErrLocked
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want *ErrLocked", err)
	}
	if le.Holder.PID != cmd.Process.Pid || le.Holder.Command != "lakebench run (test holder)" {
		t.Errorf("got holder %+v, want pid %d and the holder's command", le.Holder, cmd.Process.Pid)
	}
	for _, want := range []string{fmt.Sprint(cmd.Process.Pid), "lakebench run (test holder)", "wait for it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// A reader is refused by DuckDB while the writer holds the file; the
	// message still names the holder.
	_, err = Open(context.Background(), path, Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(cmd.Process.Pid)) {
		t.Errorf("read-only open while written: got %v, want an error naming pid %d", err, cmd.Process.Pid)
	}

	// Once the holder dies (even by SIGKILL) the lock is free.
	cmd.Process.Kill()
	cmd.Wait()
	lh, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	lh.Close()
}
