package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// demoCmd runs lakebench with args in dir, temporary files under tmp,
// and returns stdout, stderr and the exit error.
func demoCmd(t *testing.T, dir, tmp string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "LAKEBENCH_HOME="+filepath.Join(tmp, ".home"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// TestDemoSetup runs `lakebench demo --no-tui` for real: a fresh sample in
// a temporary directory, generated and run (the churn model trained, so
// the talk's model step has a champion), its directory on stdout; then the
// same with -C on that project, which runs its pipeline again. Without a
// terminal the demo refuses before setting anything up, and so does an
// unknown theme.
func TestDemoSetup(t *testing.T) {
	tmp := t.TempDir()
	stdout, stderr, err := demoCmd(t, tmp, tmp, "demo", "--no-tui")
	if err != nil {
		t.Fatalf("demo --no-tui: %v\n%s", err, stderr)
	}
	dir := strings.TrimSpace(stdout)
	if !strings.HasPrefix(dir, tmp) || filepath.Base(dir) != "retail-lakehouse" {
		t.Fatalf("demo printed %q, want a workspace under %s", dir, tmp)
	}
	for _, want := range []string{"creating the sample workspace in " + dir, "generated 53 days", "first run of the pipeline on target dev", "train_churn", "score_churn"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the setup's progress lacks %q:\n%s", want, stderr)
		}
	}
	for _, f := range []string{"lakebench.yml", ".lakebench/dev.duckdb"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the workspace lacks %s: %v", f, err)
		}
	}
	if n := scalar(t, dir, "select count(*) from ml.model_aliases where alias = 'champion'"); n != 1 {
		t.Errorf("%v champions after the demo's setup, want 1", n)
	}

	// -C: that project, its first job run again (incrementally).
	stdout, stderr, err = demoCmd(t, tmp, tmp, "-C", dir, "demo", "--no-tui")
	if err != nil {
		t.Fatalf("demo -C --no-tui: %v\n%s", err, stderr)
	}
	if got := strings.TrimSpace(stdout); got != dir {
		t.Errorf("demo -C printed %q, want %q", got, dir)
	}
	if !strings.Contains(stderr, "running job nightly of "+dir+" on target dev") || !strings.Contains(stderr, "train_churn") || !strings.Contains(stderr, "succeeded") {
		t.Errorf("demo -C's progress:\n%s", stderr)
	}
	if n := scalar(t, dir, "select count(*) from sys.runs"); n != 2 {
		t.Errorf("%v runs after demo -C, want 2", n)
	}

	// No terminal, a wrong theme: refused before anything is set up.
	empty := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"demo"}, "the demo needs a terminal"},
		{[]string{"demo", "--no-tui", "--theme", "projector"}, `unknown theme "projector": use default or high-contrast`},
	} {
		_, stderr, err := demoCmd(t, empty, empty, tt.args...)
		if err == nil || !strings.Contains(stderr, tt.want) {
			t.Errorf("lakebench %s: %v, stderr %q; want it to say %q", strings.Join(tt.args, " "), err, stderr, tt.want)
		}
		if entries, _ := os.ReadDir(empty); len(entries) > 0 {
			t.Errorf("lakebench %s left %d entries in %s", strings.Join(tt.args, " "), len(entries), empty)
		}
	}
}
