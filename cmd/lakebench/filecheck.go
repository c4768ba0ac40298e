package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// A damaged DuckDB file can crash the process reading it, so lakebench
// checks each target file in a child process (this binary, re-run as
// `lakebench internal check-db PATH`) before it first opens it; see
// lakehouse.SetFileCheck. LAKEBENCH_NO_DB_CHECK=1 turns the check off.

// serveFileCheck runs the child's side when the arguments ask for it, and
// then exits; it returns when they do not.
func serveFileCheck(args []string) {
	if len(args) == 4 && args[1] == "internal" && args[2] == "check-db" {
		os.Exit(lakehouse.ServeFileCheck(args[3]))
	}
}

// setFileCheck makes lakehouse.Open check files in a child process.
func setFileCheck() {
	exe, err := os.Executable()
	if err != nil || os.Getenv("LAKEBENCH_NO_DB_CHECK") != "" {
		return
	}
	lakehouse.SetFileCheck(func(ctx context.Context, path string) *exec.Cmd {
		return exec.CommandContext(ctx, exe, "internal", "check-db", path)
	})
}

// readerWait is how long a command that writes a target waits for other
// processes reading it (the TUI reloading, a query) to close it:
// LAKEBENCH_LOCK_WAIT (a duration such as 30s, 0 for not at all), else
// lakehouse.DefaultReaderWait.
func readerWait() (time.Duration, error) {
	s := os.Getenv("LAKEBENCH_LOCK_WAIT")
	if s == "" {
		return lakehouse.DefaultReaderWait, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("LAKEBENCH_LOCK_WAIT=%q: want a duration such as 30s or 2m (0 for no wait)", s)
	}
	return d, nil
}

// setReaderWait sets readerWait's wait for the commands, said on stderr
// when it begins.
func setReaderWait() error {
	d, err := readerWait()
	if err == nil {
		lakehouse.SetReaderWait(d, func(msg string) { fmt.Fprintln(os.Stderr, msg) })
	}
	return err
}
