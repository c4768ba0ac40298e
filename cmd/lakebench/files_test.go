package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// killAt starts lakebench in dir with the sample workspace under home and
// kills it (SIGKILL) as soon as a line of its stderr contains mark. It fails
// the test unless the process died of that kill.
func killAt(t *testing.T, dir, home, mark string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LAKEBENCH_HOME="+home)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), mark) {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	go func() { // drain what was written before the kill
		for sc.Scan() {
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("lakebench %s was not killed at %q (it ended with %v) after:\n%s", strings.Join(args, " "), mark, err, strings.Join(seen, "\n"))
	}
}

// TestFirstStartKilledThenResumed kills the first start of the sample
// workspace while it writes the sample, then the next start in the middle of
// its first run: neither leaves a half-built workspace or a run "running"
// for ever, and the third start finishes the setup, every landing file
// loaded once.
func TestFirstStartKilledThenResumed(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, ".home")
	sample := filepath.Join(home, "sample")

	killAt(t, dir, home, "creating the sample workspace", "status")
	// All or nothing: a workspace is there complete, waiting for its first
	// run, or not at all.
	if _, err := os.Stat(filepath.Join(sample, "lakebench.yml")); err == nil {
		if _, err := os.Stat(filepath.Join(sample, ".lakebench", "first-run.pending")); err != nil {
			t.Errorf("the killed start left a workspace not marked as waiting for its first run: %v", err)
		}
	} else if entries, _ := os.ReadDir(sample); len(entries) > 0 {
		t.Errorf("the killed start left a half-built workspace: %d entries in %s but no lakebench.yml", len(entries), sample)
	}

	killAt(t, dir, home, "] ingest_", "status")
	if _, err := os.Stat(filepath.Join(sample, ".lakebench", "first-run.pending")); err != nil {
		t.Errorf("a first run killed midway is not marked as pending: %v", err)
	}

	_, stderr := lb(t, dir, true, "status")
	if !strings.Contains(stderr, "finishing the first run") {
		t.Errorf("the third start did not say it finishes the first run:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(sample, ".lakebench", "first-run.pending")); err == nil {
		t.Error("the first run finished but the workspace still says it is pending")
	}
	if leftovers, _ := filepath.Glob(sample + ".partial-*"); len(leftovers) > 0 {
		t.Errorf("left behind: %v", leftovers)
	}
	for q, want := range map[string]float64{
		"select count(*) from sys.runs where status = 'running'":   0,
		"select count(*) from sys.runs where status = 'crashed'":   1,
		"select count(*) from sys.runs where status = 'succeeded'": 1,
		// every landing file once, and every table holds what its files loaded
		"select count(*) from (select table_name, path from sys.ingested_files group by all having count(*) > 1)":                            0,
		"select (select count(*) from bronze.orders) - (select sum(rows_loaded) from sys.ingested_files where table_name = 'bronze.orders')": 0,
		"select (count(*) = 0)::INT from gold.daily_revenue":                                                                                 0,
	} {
		if got := scalar(t, dir, q); got != want {
			t.Errorf("%s: got %v, want %v", q, got, want)
		}
	}
	landing, _ := filepath.Glob(filepath.Join(sample, "landing", "*", "*.*"))
	var files float64
	for _, f := range landing {
		if !strings.HasPrefix(filepath.Base(f), "_") {
			files++
		}
	}
	if got := scalar(t, dir, "select count(*) from sys.ingested_files"); got != files {
		t.Errorf("%v files ingested, want the %v landing files", got, files)
	}
}
