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
	"syscall"
	"testing"
)

// TestMain lets this test binary act as a second process: with
// LAKEBENCH_TEST_HOLD set it opens that file for writing, says so, and
// holds it until killed or until its stdin closes (the parent is gone): no
// wall-clock limit, which a busy machine could outlast.
func TestMain(m *testing.M) {
	if os.Getenv("LAKEBENCH_TEST_WAIT") != "" {
		// A live lakebench process that does nothing until its stdin closes.
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
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
	if path := os.Getenv("LAKEBENCH_TEST_READ"); path != "" {
		// A read-only session (another process's query, the TUI's
		// reload) that keeps the file open until its stdin closes.
		lh, err := Open(context.Background(), path, Options{ReadOnly: true})
		if err != nil {
			fmt.Println("error:", strings.ReplaceAll(err.Error(), "\n", " "))
			os.Exit(2)
		}
		fmt.Println("reading")
		io.Copy(io.Discard, os.Stdin)
		lh.Close()
		os.Exit(0)
	}
	if path := os.Getenv("LAKEBENCH_TEST_COMMIT_KILL"); path != "" {
		// A writer killed once its ingest committed, before anything
		// keeps the sizes of its counts (see KeepCountSizes).
		lh, err := Open(context.Background(), path, Options{})
		if err == nil {
			_, err = lh.Ingest(context.Background(), []string{os.Getenv("LAKEBENCH_TEST_CSV")}, IngestOptions{Table: TableName{"bronze", "people"}, Format: CSV, RunID: "r1"})
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	if path := os.Getenv("LAKEBENCH_TEST_CHECKPOINT_KILL"); path != "" {
		checkpointKillChild(path)
	}
	if path := os.Getenv("LAKEBENCH_TEST_CHECKPOINT_KILL_DDL"); path != "" {
		checkpointKillDDLChild(path)
	}
	if path := os.Getenv("LAKEBENCH_TEST_CHECK_DB"); path != "" {
		switch os.Getenv("LAKEBENCH_TEST_CHECK_CRASH") { // as DuckDB on a damaged file
		case "SIGSEGV":
			syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		case "SIGKILL":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		os.Exit(ServeFileCheck(path))
	}
	// Every existing file the tests open is checked in a child first, as
	// the lakebench binary does.
	SetFileCheck(testFileCheck)
	os.Exit(m.Run())
}

// testFileCheck runs the damaged-file check in this test binary.
func testFileCheck(ctx context.Context, path string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_CHECK_DB="+path)
	return cmd
}

// holdWriter starts a child process that opens path for writing and holds
// it until the test ends (its stdin stays open until then); it returns the
// child, which a test may kill sooner.
func holdWriter(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	return startChild(t, "^$", "holding", "LAKEBENCH_TEST_HOLD="+path)
}

// startChild runs this test binary again as a child process (run selects
// its test, env what it does) and waits for its first line, which must be
// want; its stdin stays open until the test ends, when the child is killed
// and waited for if it has not been before.
func startChild(t *testing.T, run, want string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run)
	cmd.Env = append(os.Environ(), env...)
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
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != want {
		t.Fatalf("child said %q (%v), want %s", line, err, want)
	}
	return cmd
}

func TestSecondWriterGetsClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	cmd := holdWriter(t, path)
	pid := cmd.Process.Pid

	_, err := Open(context.Background(), path, Options{Holder: "second"})
	var le *ErrLocked
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want *ErrLocked", err)
	}
	if le.Holder.PID != pid || le.Holder.Command != "lakebench run (test holder)" {
		t.Errorf("got holder %+v, want pid %d and the holder's command", le.Holder, pid)
	}
	for _, want := range []string{fmt.Sprint(pid), "lakebench run (test holder)", "wait for it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// A reader is refused by DuckDB while the writer holds the file; the
	// message still names the holder.
	_, err = Open(context.Background(), path, Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(pid)) {
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

// TestLockFileLinkRefused plants a symbolic link, then a hard link, at the
// lock file's name: opening the target for writing must refuse it, say
// why, and leave the linked file's content as it was.
func TestLockFileLinkRefused(t *testing.T) {
	for _, kind := range []string{"symlink", "hard link"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(dir, "precious.txt")
			const content = "keep me: the user's own file\n"
			if err := os.WriteFile(victim, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "dev.duckdb")
			link := os.Symlink
			if kind == "hard link" {
				link = os.Link
			}
			if err := link(victim, path+".lock"); err != nil {
				t.Fatal(err)
			}
			lh, err := Open(context.Background(), path, Options{})
			if err == nil {
				lh.Close()
				t.Fatal("opened a target whose lock file is a link")
			}
			for _, want := range []string{path + ".lock", "remove"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if got, err := os.ReadFile(victim); err != nil || string(got) != content {
				t.Errorf("the linked file now holds %q (%v), want %q", got, err, content)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("the database %s was created although the lock was refused", path)
			}
		})
	}
	// A directory at the lock's name is named, with what to do.
	t.Run("directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dev.duckdb")
		if err := os.Mkdir(path+".lock", 0o755); err != nil {
			t.Fatal(err)
		}
		lh, err := Open(context.Background(), path, Options{})
		if err == nil {
			lh.Close()
			t.Fatal("opened a target whose lock file is a directory")
		}
		for _, want := range []string{path + ".lock is a directory", "remove it"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	// A dangling symbolic link is refused too, and nothing is created at
	// the place it points to.
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.duckdb")
	target := filepath.Join(dir, "elsewhere")
	if err := os.Symlink(target, path+".lock"); err != nil {
		t.Fatal(err)
	}
	if lh, err := Open(context.Background(), path, Options{}); err == nil {
		lh.Close()
		t.Fatal("opened a target whose lock file is a dangling link")
	}
	if _, err := os.Lstat(target); err == nil {
		t.Errorf("%s was created through the link", target)
	}
}
