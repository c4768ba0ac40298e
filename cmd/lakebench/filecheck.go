package main

import (
	"context"
	"os"
	"os/exec"

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
