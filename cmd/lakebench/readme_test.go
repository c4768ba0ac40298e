package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeOwnProjectFlow runs the README's own-project commands as
// written, from the checkout, in a fresh shell: HOME is an empty directory,
// so ~/go/bin is not on PATH until the README's export line puts it there,
// and `make install` is the only way lakebench gets there. Only /tmp/p is
// replaced by a directory of the test's own. The Go caches are shared so
// the build needs no network.
func TestReadmeOwnProjectFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs lakebench")
	}
	for _, tool := range []string{"make", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not found")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script := ownProjectBlock(t, string(readme))
	for _, want := range []string{"make install", "lakebench init /tmp/p", "lakebench sample generate", "lakebench run"} {
		if !strings.Contains(script, want) {
			t.Fatalf("the README's own-project flow has no %q:\n%s", want, script)
		}
	}
	tmp := t.TempDir()
	home, project := filepath.Join(tmp, "home"), filepath.Join(tmp, "p")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	script = strings.ReplaceAll(script, "/tmp/p", project)

	goenv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	cmd := exec.Command("bash", "--norc", "--noprofile", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = "../.."
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin",
		"GOMODCACHE=" + goenv("GOMODCACHE"),
		"GOCACHE=" + goenv("GOCACHE"),
		"GOFLAGS=" + goenv("GOFLAGS"),
		"GOTOOLCHAIN=local",
		"GOPROXY=off",
		"TERM=dumb",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's flow failed: %v\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", err, script, stdout.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(home, "go", "bin", "lakebench")); err != nil {
		t.Errorf("make install did not put lakebench in $HOME/go/bin: %v", err)
	}
	if !strings.Contains(stdout.String(), "is not on your PATH") {
		t.Errorf("make install did not say that $HOME/go/bin is not on PATH:\n%s", stdout.String())
	}
	// The query printed gold.daily_revenue's rows.
	if !strings.Contains(stdout.String(), "revenue") {
		t.Errorf("the query printed no revenue:\n%s", stdout.String())
	}
}

// ownProjectBlock is the code block after "Your own project" in the README.
func ownProjectBlock(t *testing.T, readme string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, "Your own project")
	if !ok {
		t.Fatal(`the README has no "Your own project" section`)
	}
	_, after, ok = strings.Cut(after, "```\n")
	if !ok {
		t.Fatal("the README's own-project section has no code block")
	}
	block, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("the README's own-project code block is not closed")
	}
	return block
}
