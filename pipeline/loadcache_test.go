package pipeline

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// cacheProject copies the sample project into a temporary directory with
// its .lakebench directory, and gives the user a cache key of their own.
func cacheProject(t *testing.T) string {
	t.Helper()
	t.Setenv("LAKEBENCH_HOME", t.TempDir())
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../sampledata/project")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".lakebench"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadCache: a load from the cache gives the project a load from the
// files gives, and an edit of a file, a new file an include glob matches or
// a damaged cache is seen by the next load.
func TestLoadCache(t *testing.T) {
	dir := cacheProject(t)
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
	if _, ok := readLoadCache(dir, filepath.Join(dir, FileName)); !ok {
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

	// A damaged (truncated) cache is read as no cache.
	c, _ := os.ReadFile(loadCachePath(dir))
	os.WriteFile(loadCachePath(dir), c[:len(c)/2], 0o644)
	if _, ok := readLoadCache(dir, filepath.Join(dir, FileName)); ok {
		t.Error("a truncated cache is used")
	}
	same("damaged")
}

// TestLoadCacheSettings: a settings load (query's) from the cache gives the
// full load's project without its resources and presentation, and only
// for a target and variables a full load of the same files resolved: for
// another, the load is full.
func TestLoadCacheSettings(t *testing.T) {
	dir := cacheProject(t)
	full, err := LoadWith(dir, LoadOptions{Target: "staging", Cache: true})
	if err != nil {
		t.Fatal(err)
	}
	settings := LoadOptions{Target: "staging", Cache: true, Settings: true}
	got, err := LoadWith(dir, settings)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Resources.Sources) != 0 || got.Presentation != nil {
		t.Fatal("a settings load from the cache decoded the resources")
	}
	want := *full
	want.Resources, want.Presentation = Resources{}, nil
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("the settings load differs from the full load's settings:\ngot  %+v\nwant %+v", got, &want)
	}
	// Another target, and other variables: not resolved yet, so full (and
	// remembered for the next load).
	for _, opts := range []LoadOptions{{Target: "dev"}, {Target: "staging", Vars: map[string]string{"churn_days": "45"}}} {
		opts.Cache, opts.Settings = true, true
		if _, ok := full.vars[firstKey(opts.Vars)]; !ok && len(opts.Vars) > 0 {
			t.Fatalf("the sample has no variable %s", firstKey(opts.Vars))
		}
		p, err := LoadWith(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Resources.Sources) == 0 {
			t.Errorf("%+v: the first load for it is not full", opts)
		}
		if p, _ = LoadWith(dir, opts); len(p.Resources.Sources) != 0 {
			t.Errorf("%+v: the second load is not from the settings", opts)
		}
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// TestAttackLoadCache: a hostile user puts a cache beside unchanged files:
// one that grants the analysts every schema, sets production mode with
// its own run_as, asks for 1024 threads and carries a target name and a
// key a load refuses. Forged without the user's key, from another program,
// as a link, a hard link, another user's file, truncated, or through a key
// file others may read, it is never used: the load is the files' (and the
// settings-only path, which skips the resources' decode, is never taken
// for a tree a full load did not resolve).
func TestAttackLoadCache(t *testing.T) {
	dir := cacheProject(t)
	file := filepath.Join(dir, FileName)
	files, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	// The attacker's tree: the files' tree, edited.
	tree := deepCopy(files.raw).(map[string]any)
	schemas := tree["resources"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		schemas[name] = map[string]any{"grants": []any{map[string]any{"principal": "analysts", "privileges": []any{"SELECT", "MODIFY"}}}}
	}
	targets := tree["targets"].(map[string]any)
	targets["dev"] = map[string]any{"default": true, "mode": "production", "run_as": map[string]any{"service_principal_name": "mallory"},
		"compute": map[string]any{"threads": int64(1024)}}
	targets["../../etc"] = map[string]any{}
	tree["unknown_key"] = "x"
	var digests []cachedFile
	for _, f := range projectFiles(t, files) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, cachedFile{path: f, sum: sha256.Sum256(data)})
	}
	id, ok := programID()
	if !ok {
		t.Fatal("the test binary has no Go build ID")
	}
	forged := &loadCache{files: digests, lines: files.lines, tree: tree,
		resolved: []string{resolveKey(LoadOptions{Target: "dev"}), resolveKey(LoadOptions{})}}
	sign := func(b, key []byte) []byte {
		mac := hmac.New(sha256.New, key)
		mac.Write(b)
		return mac.Sum(b)
	}
	encode := func(id string) []byte {
		b, ok := encodeLoadCache(id, file, forged)
		if !ok {
			t.Fatal("the forged tree does not encode")
		}
		return b
	}
	attackerKey := make([]byte, cacheKeySize)
	rand.Read(attackerKey)
	// The user's own key, made by a load that writes the cache.
	if _, err := LoadWith(dir, LoadOptions{Target: "dev", Cache: true}); err != nil {
		t.Fatal(err)
	}
	userKey, ok := cacheKey(false)
	if !ok {
		t.Fatal("a cached load made no key")
	}
	keyPath, _ := cacheKeyPath()
	cachePath := loadCachePath(dir)
	plant := func(data []byte) {
		t.Helper()
		os.Remove(cachePath)
		if err := os.WriteFile(cachePath, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T)
	}{
		{"forged without the key", func(t *testing.T) { plant(sign(encode(id), attackerKey)) }},
		{"forged without an HMAC", func(t *testing.T) { plant(encode(id)) }},
		{"the previous layout, without an HMAC", func(t *testing.T) {
			plant([]byte(strings.Replace(string(encode(id)), loadCacheMagic, "lakebench load cache 1\n", 1)))
		}},
		{"from another program", func(t *testing.T) { plant(sign(encode("other/build/id"), userKey)) }},
		{"truncated", func(t *testing.T) { b := sign(encode(id), userKey); plant(b[:len(b)-1]) }},
		{"a symbolic link", func(t *testing.T) {
			elsewhere := filepath.Join(t.TempDir(), "cache")
			os.WriteFile(elsewhere, sign(encode(id), userKey), 0o644)
			os.Remove(cachePath)
			if err := os.Symlink(elsewhere, cachePath); err != nil {
				t.Fatal(err)
			}
		}},
		{"a hard link", func(t *testing.T) {
			plant(sign(encode(id), userKey))
			if err := os.Link(cachePath, filepath.Join(t.TempDir(), "other-name")); err != nil {
				t.Skipf("no hard link here: %v", err)
			}
		}},
		{"another user's file", func(t *testing.T) {
			plant(sign(encode(id), userKey))
			if err := os.Chown(cachePath, 65534, 65534); err != nil {
				t.Skipf("only root gives a file to another user: %v", err)
			}
		}},
		{"a key others may read", func(t *testing.T) {
			plant(sign(encode(id), userKey))
			os.Chmod(keyPath, 0o644)
			t.Cleanup(func() { os.Chmod(keyPath, 0o600) })
		}},
		{"a key that is a link", func(t *testing.T) {
			plant(sign(encode(id), userKey))
			other := filepath.Join(t.TempDir(), "key")
			os.WriteFile(other, userKey, 0o600)
			os.Rename(keyPath, keyPath+".real")
			os.Symlink(other, keyPath)
			t.Cleanup(func() { os.Remove(keyPath); os.Rename(keyPath+".real", keyPath) })
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			if _, ok := readLoadCache(dir, file); ok {
				t.Fatal("the cache is used")
			}
			for _, opts := range []LoadOptions{{Target: "dev", Cache: true, Settings: true}, {Cache: true}} {
				p, err := LoadWith(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				if p.Mode() != "development" || p.Identity() == "mallory" || len(p.Resources.Sources) == 0 ||
					!reflect.DeepEqual(p.Resources.Schemas, files.Resources.Schemas) {
					t.Errorf("%+v: the load took the forged tree: mode %s, identity %s, %d sources", opts, p.Mode(), p.Identity(), len(p.Resources.Sources))
				}
				if c, err := p.ComputeOptions(); err != nil || c.Threads == 1024 {
					t.Errorf("%+v: the forged compute applies: %+v, %v", opts, c, err)
				}
			}
		})
	}
	// The control: the same tree under the user's key is used, so each
	// refusal above is the check's, not the tree's.
	plant(sign(encode(id), userKey))
	if _, ok := readLoadCache(dir, file); !ok {
		t.Fatal("the control cache is not used: the attacks above prove nothing")
	}
	// Even then, a target name or key a load refuses is no project: the
	// settings load resolves only what it decodes, and the tree's
	// invalid target is refused by name.
	if _, err := LoadWith(dir, LoadOptions{Target: "../../etc", Cache: true, Settings: true}); err == nil {
		t.Error("a target named ../../etc loaded")
	}
}

// projectFiles are the files a load of dir reads, in its order.
func projectFiles(t *testing.T, p *Project) []string {
	t.Helper()
	out := []string{p.File}
	for _, inc := range p.Include {
		m, err := filepath.Glob(filepath.Join(p.Dir, inc))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out
}

// TestLoadCacheForged: a cache whose counts were forged (a file count
// past what the file holds, bytes flipped anywhere in its head), even when
// signed with the user's own key, is read as no cache, never a panic or an
// allocation of the count it claims.
func TestLoadCacheForged(t *testing.T) {
	dir := cacheProject(t)
	if _, err := LoadWith(dir, LoadOptions{Target: "staging", Cache: true}); err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile(loadCachePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	key, ok := cacheKey(false)
	if !ok {
		t.Fatal("a cached load made no key")
	}
	sign := func(b []byte) []byte {
		mac := hmac.New(sha256.New, key)
		mac.Write(b)
		return mac.Sum(b)
	}
	body := c[:len(c)-sha256.Size]
	id, _ := programID()
	root := filepath.Join(dir, FileName)
	head := len(loadCacheMagic)
	for _, s := range []string{id, root} {
		head += len(binary.AppendUvarint(nil, uint64(len(s)))) + len(s)
	}
	forged := append(append(slices.Clone(body[:head]), binary.AppendUvarint(nil, 1<<62)...), body[head+1:]...)
	os.WriteFile(loadCachePath(dir), sign(forged), 0o600)
	if _, ok := readLoadCache(dir, root); ok {
		t.Error("a cache claiming 2^62 files was used")
	}
	for i := head; i < min(len(body), head+400); i++ {
		flipped := slices.Clone(body)
		flipped[i] ^= 0xff
		os.WriteFile(loadCachePath(dir), sign(flipped), 0o600)
		readLoadCache(dir, root) // must not panic
	}
}
