package sampledata

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCreateWorkspaceAllOrNothing: what an interrupted first start left (a
// sibling directory of a process that is gone, a workspace without its
// project file) does not stop the next start, which puts a complete
// workspace in place, marked as waiting for its first run.
func TestCreateWorkspaceAllOrNothing(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sample")
	// A process that is gone left its partial workspace.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true to stand for a finished process")
	}
	stale := dir + ".partial-" + strconv.Itoa(gone.Process.Pid)
	if err := os.MkdirAll(filepath.Join(stale, "landing"), 0o755); err != nil {
		t.Fatal(err)
	}
	// An older lakebench left half a workspace in place.
	if err := os.MkdirAll(filepath.Join(dir, "sql", "silver"), 0o755); err != nil {
		t.Fatal(err)
	}
	var said []string
	rep, err := CreateWorkspace(context.Background(), dir, func(s string) { said = append(said, s) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ProjectFile)); err != nil {
		t.Errorf("no project file: %v", err)
	}
	if !FirstRunPending(dir) {
		t.Error("a new workspace is not marked as waiting for its first run")
	}
	for _, f := range rep.Files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("reported file %s: %v", f, err)
		}
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("the stale partial workspace %s is still there", stale)
	}
	if aside, _ := filepath.Glob(dir + ".incomplete-*"); len(aside) != 1 || !strings.Contains(strings.Join(said, "\n"), aside[0]) {
		t.Errorf("the half-built workspace was not moved aside and named: %v, said %q", aside, said)
	}
	if err := FirstRunDone(dir); err != nil || FirstRunPending(dir) {
		t.Errorf("FirstRunDone: %v, still pending %v", err, FirstRunPending(dir))
	}
	// A second call on a complete workspace leaves it alone.
	if _, err := CreateWorkspace(context.Background(), dir, nil); err != nil {
		t.Fatal(err)
	}
	if FirstRunPending(dir) {
		t.Error("a second CreateWorkspace replaced the finished workspace")
	}
}
