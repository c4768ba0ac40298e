package pipeline

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestLoadCache: a load from the cache gives the project a load from the
// files gives, and an edit of a file, a new file an include glob matches or
// a damaged cache is seen by the next load.
func TestLoadCache(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../sampledata/project")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".lakebench"), 0o755); err != nil {
		t.Fatal(err)
	}
	cached := LoadOptions{Target: "staging", Cache: true}
	load := func(opts LoadOptions) *Project {
		t.Helper()
		p, err := LoadWith(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := func(what string) {
		t.Helper()
		want := load(LoadOptions{Target: "staging"})
		if got := load(cached); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the cached load differs from the files' load", what)
		}
	}
	load(cached) // writes the cache
	if _, err := os.Stat(loadCachePath(dir)); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	if _, _, ok := readLoadCache(dir, filepath.Join(dir, FileName)); !ok {
		t.Fatal("the cache of unchanged files is not used")
	}
	same("unchanged")

	// An edit of an included file, same size: the cache is not used.
	bi := filepath.Join(dir, "resources", "bi.yml")
	data, _ := os.ReadFile(bi)
	edited := strings.Replace(string(data), "dashboards:", "dashboardz:", 1)
	if edited == string(data) {
		t.Fatal("resources/bi.yml has no dashboards: key to edit")
	}
	os.WriteFile(bi, []byte(edited), 0o644)
	if _, err := LoadWith(dir, cached); err == nil || !strings.Contains(err.Error(), "dashboardz") {
		t.Fatalf("an edited file loaded from the cache: %v", err)
	}
	os.WriteFile(bi, data, 0o644)
	same("restored")

	// A new file the include glob matches.
	extra := "variables:\n  cache_probe:\n    default: x\n"
	os.WriteFile(filepath.Join(dir, "resources", "zz_extra.yml"), []byte(extra), 0o644)
	if p := load(cached); p.vars["cache_probe"] != "x" {
		t.Error("a new included file is not in the cached load")
	}
	same("new include")

	// A damaged cache is read as no cache.
	c, _ := os.ReadFile(loadCachePath(dir))
	os.WriteFile(loadCachePath(dir), c[:len(c)/2], 0o644)
	same("damaged")
}

// TestLoadCacheForged: a cache whose counts were forged (a file count
// past what the file holds, bytes flipped anywhere in its head) is read as
// no cache, never a panic or an allocation of the count it claims.
func TestLoadCacheForged(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../sampledata/project")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".lakebench"), 0o755); err != nil {
		t.Fatal(err)
	}
	cached := LoadOptions{Target: "staging", Cache: true}
	if _, err := LoadWith(dir, cached); err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile(loadCachePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := programID()
	head := len(loadCacheMagic) + len(binary.AppendUvarint(nil, uint64(len(id)))) + len(id)
	root := filepath.Join(dir, FileName)
	forged := append(append(slices.Clone(c[:head]), binary.AppendUvarint(nil, 1<<62)...), c[head+1:]...)
	os.WriteFile(loadCachePath(dir), forged, 0o600)
	if _, _, ok := readLoadCache(dir, root); ok {
		t.Error("a cache claiming 2^62 files was used")
	}
	for i := head; i < min(len(c), head+400); i++ {
		flipped := slices.Clone(c)
		flipped[i] ^= 0xff
		os.WriteFile(loadCachePath(dir), flipped, 0o600)
		readLoadCache(dir, root) // must not panic
	}
}
