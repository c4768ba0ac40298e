package sampledata

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// lintWorkflow runs actionlint, as a library, on the workflow of the
// project in dir, with the project's .github/actionlint.yaml. shellcheck
// and pyflakes check the run: scripts only where they are installed.
func lintWorkflow(t *testing.T, dir string) []*actionlint.Error {
	t.Helper()
	opts := &actionlint.LinterOptions{WorkingDir: dir, Color: actionlint.ColorOptionKindNever}
	for _, tool := range []struct {
		name string
		set  *string
	}{{"shellcheck", &opts.Shellcheck}, {"pyflakes", &opts.Pyflakes}} {
		if path, err := exec.LookPath(tool.name); err == nil {
			*tool.set = path
		} else {
			t.Logf("%s is not installed: actionlint runs without it", tool.name)
		}
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The project is a lakebench init directory, not yet a git repository,
	// so actionlint would not find its config by itself.
	project, err := actionlint.NewProject(dir)
	if err != nil {
		t.Fatalf("actionlint config of the template: %v", err)
	}
	errs, err := l.LintFile(filepath.Join(dir, WorkflowFile), project)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Logf("actionlint:\n%s", out.String())
	}
	return errs
}

func TestWorkflowLint(t *testing.T) {
	dir := t.TempDir()
	if err := WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	for _, e := range lintWorkflow(t, dir) {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", WorkflowFile, e.Line, e.Column, e.Message, e.Kind)
	}

	// The same linter finds what is wrong in a workflow: a runner label
	// nobody declared and a job that needs one that does not exist.
	path := filepath.Join(dir, WorkflowFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), "runs-on: [self-hosted, lakebench]", "runs-on: [self-hosted, lakebnch]", 1)
	broken = strings.Replace(broken, "needs: ci", "needs: cii", 1)
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range lintWorkflow(t, dir) {
		kinds = append(kinds, e.Kind)
	}
	for _, want := range []string{"runner-label", "job-needs"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("a broken workflow: actionlint found %v, want a %s finding", kinds, want)
		}
	}
}

// makeTarget is a rule of the template's Makefile.
type makeTarget struct {
	deps   []string // its prerequisites, in order
	recipe []string // its recipe's lines
}

// makeTargets are the targets the template's Makefile defines.
func makeTargets(t *testing.T) map[string]*makeTarget {
	t.Helper()
	b, err := Project.ReadFile("project/Makefile")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`^([a-z][a-z-]*):([^=].*)?$`)
	targets := map[string]*makeTarget{}
	var current *makeTarget
	for _, line := range strings.Split(string(b), "\n") {
		if m := rule.FindStringSubmatch(line); m != nil {
			current = &makeTarget{deps: strings.Fields(m[2])}
			targets[m[1]] = current
			continue
		}
		if strings.HasPrefix(line, "\t") && current != nil {
			current.recipe = append(current.recipe, strings.TrimSpace(line))
			continue
		}
		current = nil
	}
	return targets
}

// TestWorkflowCallsMake checks the workflow against the issue and the
// Makefile: each job's steps run make targets that exist (so make ci,
// staging and prod on a laptop are what CI runs), never lakebench itself;
// staging deploys from main in its environment with sp-staging's token,
// prod from a v* tag with sp-prod's; the JUnit report uploaded is the one
// the unit-test target writes.
func TestWorkflowCallsMake(t *testing.T) {
	src, err := Project.ReadFile("project/" + WorkflowFile)
	if err != nil {
		t.Fatal(err)
	}
	w, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		t.Fatalf("parse %s: %v", WorkflowFile, errs)
	}
	targets := makeTargets(t)
	for _, want := range []string{"ci", "staging", "prod", "install"} {
		if _, ok := targets[want]; !ok {
			t.Errorf("the Makefile has no %s target (has %v)", want, targets)
		}
	}
	type job struct {
		make, cond, env, secret string
	}
	wantJobs := map[string]job{
		"ci":      {make: "ci"},
		"staging": {make: "staging", cond: "github.ref == 'refs/heads/main'", env: "staging", secret: "${{ secrets.LAKEBENCH_STAGING_TOKEN }}"},
		"prod":    {make: "prod", cond: "startsWith(github.ref, 'refs/tags/v')", env: "production", secret: "${{ secrets.LAKEBENCH_PROD_TOKEN }}"},
	}
	if len(w.Jobs) != len(wantJobs) {
		t.Errorf("the workflow has %d jobs, want %d (ci, staging, prod)", len(w.Jobs), len(wantJobs))
	}
	for id, want := range wantJobs {
		j, ok := w.Jobs[id]
		if !ok {
			t.Errorf("the workflow has no job %s", id)
			continue
		}
		var runs []string
		token := ""
		for _, s := range j.Steps {
			run, ok := s.Exec.(*actionlint.ExecRun)
			if !ok {
				continue
			}
			cmd := run.Run.Value
			runs = append(runs, cmd)
			fields := strings.Fields(cmd)
			if len(fields) != 2 || fields[0] != "make" {
				t.Errorf("job %s runs %q: a step runs one make target, so the Makefile and the workflow cannot drift", id, cmd)
			} else if _, ok := targets[fields[1]]; !ok {
				t.Errorf("job %s runs %q: the Makefile has no target %s", id, cmd, fields[1])
			}
			if s.Env != nil {
				for _, v := range s.Env.Vars {
					if v.Name.Value == "LAKEBENCH_TOKEN" {
						token = v.Value.Value
					}
				}
			}
		}
		if !slices.Equal(runs, []string{"make install", "make " + want.make}) {
			t.Errorf("job %s runs %q, want make install, make %s", id, runs, want.make)
		}
		if token != want.secret {
			t.Errorf("job %s passes LAKEBENCH_TOKEN=%q, want %q", id, token, want.secret)
		}
		cond, env := "", ""
		if j.If != nil {
			cond = j.If.Value
		}
		if j.Environment != nil {
			env = j.Environment.Name.Value
		}
		if cond != want.cond || env != want.env {
			t.Errorf("job %s: if %q, environment %q; want if %q, environment %q", id, cond, env, want.cond, want.env)
		}
		if id != "ci" && (len(j.Needs) != 1 || j.Needs[0].Value != "ci") {
			t.Errorf("job %s needs %v, want ci: it deploys only a build that passed", id, j.Needs)
		}
	}

	// The JUnit report: the unit-test target writes it where the ci job
	// uploads it from.
	upload := ""
	for _, s := range w.Jobs["ci"].Steps {
		if a, ok := s.Exec.(*actionlint.ExecAction); ok && strings.HasPrefix(a.Uses.Value, "actions/upload-artifact@") {
			upload = a.Inputs["path"].Value.Value
		}
	}
	junit := ""
	for _, line := range targets["unit-test"].recipe {
		if _, after, ok := strings.Cut(line, "--junit "); ok {
			junit = strings.ReplaceAll(strings.Fields(after)[0], "$(REPORTS)", "reports")
		}
	}
	if upload == "" || upload != junit {
		t.Errorf("the ci job uploads %q, the unit-test target writes %q: they must be the same file", upload, junit)
	}
	for name, want := range map[string][]string{
		"ci":      {"validate", "unit-test", "dev-run"},
		"staging": {"staging-plan", "staging-deploy", "staging-data", "staging-run"},
		"prod":    {"prod-plan", "prod-deploy", "prod-run"},
	} {
		if got := targets[name]; got == nil || !slices.Equal(got.deps, want) {
			t.Errorf("make %s runs %v, want %v", name, got, want)
		}
	}
}

func TestWriteProjectPinsVersion(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"", "latest"},
		{"(devel)", "latest"},
		{"v1.2.0+dirty", "latest"},
		{"v1.2.0", "v1.2.0"},
		{"v0.0.0-20261129173000-0362bd4a1b2c", "v0.0.0-20261129173000-0362bd4a1b2c"},
	} {
		dir := t.TempDir()
		if err := WriteProjectWith(dir, ProjectOptions{LakebenchVersion: tc.version}); err != nil {
			t.Fatalf("version %q: %v", tc.version, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, WorkflowFile))
		if err != nil {
			t.Fatal(err)
		}
		got := regexp.MustCompile(`(?m)^\s+LAKEBENCH_VERSION: (.*)$`).FindSubmatch(b)
		if got == nil || string(got[1]) != tc.want {
			t.Errorf("version %q: the workflow pins %q, want %q", tc.version, got, tc.want)
		}
	}
	// Nothing but a module version reaches the workflow.
	dir := t.TempDir()
	err := WriteProjectWith(dir, ProjectOptions{LakebenchVersion: "v1.0.0\n  evil: ${{ secrets.X }}"})
	if err == nil || !strings.Contains(err.Error(), "not a module version") {
		t.Errorf("a version with a newline: err = %v, want not a module version", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ProjectFile)); err == nil {
		t.Errorf("a refused version still wrote the project")
	}
}
