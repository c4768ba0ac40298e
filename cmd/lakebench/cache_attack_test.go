package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAttackProjectCache: someone who can write the project's .lakebench
// directory, but is not the user, replaces the project cache beside
// unchanged files: with an edited one (its HMAC no longer verifies), and
// with the user's own genuine cache of another project. Neither is used:
// `query` loads the files and still refuses dana the bronze table her
// grants refuse, the owner's query still answers, and `bundle deploy`
// deploys the files' content (the same content hash as before).
func TestAttackProjectCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	_, deployed := lb(t, dir, true, "bundle", "deploy")
	content := regexp.MustCompile(`content [0-9a-f]+`)
	want := content.FindString(deployed)
	if want == "" {
		t.Fatalf("deploy names no content hash: %s", deployed)
	}
	lb(t, dir, true, "query", "CREATE TABLE bronze.secret AS SELECT 42 AS x")
	cache := filepath.Join(dir, ".lakebench", "project.cache")
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("the owner's query wrote no cache: %v", err)
	}
	genuine, _ := os.ReadFile(cache)

	// The user's genuine cache of another project, under the same key.
	other := filepath.Join(t.TempDir(), "q")
	lb(t, t.TempDir(), true, "init", other)
	home := "LAKEBENCH_HOME=" + filepath.Join(dir, ".home")
	lbEnv(t, other, []string{home}, true, "query", "SELECT 1") // creates its .lakebench
	lbEnv(t, other, []string{home}, true, "query", "SELECT 1") // writes its cache
	otherCache, err := os.ReadFile(filepath.Join(other, ".lakebench", "project.cache"))
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(genuine, []byte("analysts"), []byte("engineer"), 1)
	if bytes.Equal(edited, genuine) {
		t.Fatal("the cache names no analysts to edit")
	}
	for name, forged := range map[string][]byte{"edited": edited, "another project's": otherCache} {
		plant := func() {
			t.Helper()
			if err := os.WriteFile(cache, forged, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		plant()
		if out, stderr := lb(t, dir, false, "--as", "dana", "query", "SELECT x FROM bronze.secret", "--format", "csv"); out != "" || !strings.Contains(stderr, "dana may not") {
			t.Errorf("%s cache: dana read bronze.secret: %q %s", name, out, stderr)
		}
		plant()
		if out, _ := lb(t, dir, true, "query", "SELECT x FROM bronze.secret", "--format", "csv"); out != "x\n42\n" {
			t.Errorf("%s cache: the owner's query printed %q", name, out)
		}
		plant()
		if _, stderr := lb(t, dir, true, "bundle", "deploy"); content.FindString(stderr) != want {
			t.Errorf("%s cache: deploy of unchanged files deployed %q, want %q", name, content.FindString(stderr), want)
		}
	}
}
