package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttackJUnitPathIsALink: a --junit path that is a symbolic link (as a
// committed reports/junit.xml could be) is refused; the link's target is
// left as it was.
func TestAttackJUnitPathIsALink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "junit.xml")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	_, stderr := lb(t, dir, false, "test", "--junit", link)
	if !strings.Contains(stderr, "not a plain file") {
		t.Errorf("stderr: %s", stderr)
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep me" {
		t.Errorf("the link's target was overwritten: %q", data)
	}
}
