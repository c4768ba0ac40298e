package pipeline

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// The load cache: every lakebench command loads the project, and parsing
// and checking its YAML files is most of a load (10 ms of a query's fixed
// cost on the sample). What reading the files gives (the merged tree
// before any target or variable is applied, and where each key is) is a
// function of the files' bytes and of the program, so a load keeps it in
// .lakebench/project.cache with the digest of every file it read; the
// next load uses it when the same program reads the same bytes from the
// same files (the include globs matching the same ones), else reads the
// files. Only a load without problems is kept, so every error is found
// and said as without the cache.
//
// The cache is not trusted as the files are: whoever could put a file
// there (a link, another user's file, a rename into .lakebench, an older
// lakebench) must not change the project a command sees. So it is used
// only when all of these hold, else the files are read (it fails closed):
//   - it is a regular file of the user running lakebench, opened without
//     following a link, with one name;
//   - it was written by this very program: it names the executable's Go
//     build ID, which hashes the binary's content;
//   - it is authenticated: an HMAC-SHA256 of everything in it, keyed by
//     the user's cache key (cacheKeyPath, 32 random bytes in a file of the
//     user's only, made by the first write), which only a lakebench of that
//     user writes; a forged or edited cache does not verify;
//   - the files' digests match the files as they are now.
// It holds what a load of those files gives, and the targets and
// variables a full load of them resolved without problems (see
// LoadOptions.Settings): nothing that is not derived from the files.

// loadCacheMagic starts the file; a change of its layout changes it.
const loadCacheMagic = "lakebench load cache 2\n"

// maxResolved is how many targets and variable sets a cache remembers as
// resolved.
const maxResolved = 8

// cachedFile is a file a load read: its path and the digest of its bytes.
type cachedFile struct {
	path string
	sum  [sha256.Size]byte
}

// loadCache is what the cache holds.
type loadCache struct {
	files []cachedFile
	lines map[string]position
	tree  map[string]any
	// resolved are the resolveKeys of the loads of these files whose full
	// resolve succeeded.
	resolved []string
}

// resolvedFor reports whether a full load of the cached files resolved
// without problems for opts' target and variables.
func (c *loadCache) resolvedFor(opts LoadOptions) bool {
	return slices.Contains(c.resolved, resolveKey(opts))
}

// resolveKey names a load's target and variables.
func resolveKey(opts LoadOptions) string {
	b := appendString(nil, opts.Target)
	for _, k := range sortedKeys(opts.Vars) {
		b = appendString(appendString(b, k), opts.Vars[k])
	}
	return string(b)
}

func loadCachePath(dir string) string { return filepath.Join(dir, ".lakebench", "project.cache") }

// cacheKeyPath is the user's cache key: $LAKEBENCH_HOME/cache.key, else
// $XDG_CONFIG_HOME/lakebench/cache.key, else ~/.config/lakebench/cache.key
// (beside the profile file of tokens).
func cacheKeyPath() (string, bool) {
	if h := os.Getenv("LAKEBENCH_HOME"); h != "" {
		return filepath.Join(h, "cache.key"), true
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "lakebench", "cache.key"), true
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(home, ".config", "lakebench", "cache.key"), true
}

// cacheKeySize is the size of a cache key.
const cacheKeySize = 32

// cacheKey reads the user's cache key; create makes one when there is
// none. A key that is a link, not a regular file, another user's, readable
// or writable by others, or of another size is no key.
func cacheKey(create bool) ([]byte, bool) {
	path, ok := cacheKeyPath()
	if !ok {
		return nil, false
	}
	key, ok := readOwnFile(path, true)
	if ok {
		return key, len(key) == cacheKeySize
	}
	if _, err := os.Lstat(path); !create || !errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	key = make([]byte, cacheKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return nil, false
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, false
	}
	_, werr := f.Write(key)
	if cerr := f.Close(); werr != nil || cerr != nil {
		os.Remove(path)
		return nil, false
	}
	return key, true
}

// programID names this build of the program: the executable's Go build
// ID, which the go command derives from the binary's content (a rebuilt
// binary is another program, whose checks may differ). A program whose ID
// cannot be read keeps no cache.
var programID = sync.OnceValues(func() (string, bool) {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		exe, eerr := os.Executable()
		if eerr != nil {
			return "", false
		}
		if f, err = os.Open(exe); err != nil {
			return "", false
		}
	}
	defer f.Close()
	head := make([]byte, 32<<10)
	n, _ := io.ReadFull(f, head)
	return goBuildID(head[:n])
})

// goBuildID finds the Go build ID in an ELF executable's first bytes: the
// note the linker puts there (name "Go", type 4), as `go tool buildid`
// reads it.
func goBuildID(head []byte) (string, bool) {
	const tag = "\x04\x00\x00\x00Go\x00\x00" // type 4, then the name
	for off := 0; ; {
		i := bytes.Index(head[off:], []byte(tag))
		if i < 0 {
			return "", false
		}
		i += off
		off = i + 1
		if i < 8 || binary.LittleEndian.Uint32(head[i-8:]) != 4 {
			continue // namesz is 4
		}
		size := int(binary.LittleEndian.Uint32(head[i-4:]))
		start := i + len(tag)
		if size <= 0 || size > 1024 || start+size > len(head) {
			continue
		}
		id := string(head[start : start+size])
		if !strings.Contains(id, "/") {
			continue
		}
		return id, true
	}
}

// readLoadCache returns what the cache holds for the project file, when it
// is the authenticated cache of this program and of the files as they
// are now.
func readLoadCache(dir, file string) (*loadCache, bool) {
	id, ok := programID()
	if !ok {
		return nil, false
	}
	data, ok := readOwnFile(loadCachePath(dir), false)
	if !ok || len(data) < sha256.Size {
		return nil, false
	}
	key, ok := cacheKey(false)
	if !ok {
		return nil, false
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return nil, false
	}
	r := &cacheReader{b: body}
	if string(r.bytes(len(loadCacheMagic))) != loadCacheMagic || r.string() != id || r.string() != file {
		return nil, false
	}
	// Each file takes at least its digest and a length byte: a count past
	// what the rest could hold is damage (or forgery), not an allocation.
	nFiles := r.uvarint()
	if r.err || nFiles > uint64(len(r.b)/(sha256.Size+1)) {
		return nil, false
	}
	c := &loadCache{files: make([]cachedFile, nFiles)}
	for i := range c.files {
		if r.err {
			return nil, false
		}
		c.files[i].path = r.string()
		copy(c.files[i].sum[:], r.bytes(sha256.Size))
	}
	nResolved := r.uvarint()
	if r.err || nResolved > maxResolved {
		return nil, false
	}
	for range nResolved {
		c.resolved = append(c.resolved, r.string())
	}
	nLines := r.uvarint()
	if r.err || len(c.files) == 0 || c.files[0].path != file || nLines > uint64(len(r.b)) {
		return nil, false
	}
	c.lines = make(map[string]position, nLines)
	for range nLines {
		k, f := r.string(), r.uvarint()
		line, col := r.varint(), r.varint()
		if r.err || f >= uint64(len(c.files)) {
			return nil, false
		}
		c.lines[k] = position{file: c.files[f].path, line: int(line), column: int(col)}
	}
	c.tree, ok = r.value(0).(map[string]any)
	if r.err || !ok || len(r.b) != 0 {
		return nil, false
	}
	// The same files, with the same bytes: the root file, then what its
	// include globs match now, in the order a load reads them.
	paths := []string{file}
	includes, _ := c.tree["include"].([]any)
	for _, inc := range includes {
		pattern, _ := inc.(string)
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil || len(matches) == 0 {
			return nil, false
		}
		sort.Strings(matches)
		paths = append(paths, matches...)
	}
	if len(paths) != len(c.files) {
		return nil, false
	}
	for i, f := range c.files {
		data, err := os.ReadFile(paths[i])
		if err != nil || f.path != paths[i] || sha256.Sum256(data) != f.sum {
			return nil, false
		}
	}
	return c, true
}

// writeLoadCache keeps what a load read, when the project has its
// .lakebench directory, the user has a cache key (one is made) and the
// tree holds only plain values; a cache that cannot be written is not
// kept.
func writeLoadCache(dir, file string, c *loadCache) {
	id, ok := programID()
	if !ok {
		return
	}
	if fi, err := os.Lstat(filepath.Join(dir, ".lakebench")); err != nil || !fi.IsDir() {
		return
	}
	key, ok := cacheKey(true)
	if !ok {
		return
	}
	b, ok := encodeLoadCache(id, file, c)
	if !ok {
		return
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(b)
	b = mac.Sum(b)
	path := loadCachePath(dir)
	tmp, err := os.CreateTemp(filepath.Dir(path), "project.cache.*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}

// encodeLoadCache is the cache of program id for the project file, before
// its HMAC; ok is false when the tree holds another value than a YAML
// load gives.
func encodeLoadCache(id, file string, c *loadCache) ([]byte, bool) {
	b := append([]byte(loadCacheMagic), appendString(nil, id)...)
	b = appendString(b, file)
	b = binary.AppendUvarint(b, uint64(len(c.files)))
	index := map[string]uint64{}
	for i, f := range c.files {
		b = appendString(b, f.path)
		b = append(b, f.sum[:]...)
		index[f.path] = uint64(i)
	}
	resolved := c.resolved[max(0, len(c.resolved)-maxResolved):]
	b = binary.AppendUvarint(b, uint64(len(resolved)))
	for _, k := range resolved {
		b = appendString(b, k)
	}
	b = binary.AppendUvarint(b, uint64(len(c.lines)))
	for k, pos := range c.lines {
		i, ok := index[pos.file]
		if !ok {
			return nil, false
		}
		b = appendString(b, k)
		b = binary.AppendUvarint(b, i)
		b = binary.AppendVarint(b, int64(pos.line))
		b = binary.AppendVarint(b, int64(pos.column))
	}
	return appendValue(b, c.tree)
}

// readOwnFile reads a regular file of this user with one name, never
// through a link; private also refuses one that group or others may read
// or write.
func readOwnFile(path string, private bool) ([]byte, bool) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || private && fi.Mode().Perm()&0o077 != 0 {
		return nil, false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() || st.Nlink != 1 {
		return nil, false
	}
	data, err := io.ReadAll(f)
	return data, err == nil
}

// The tree's values, one tag byte each.
const (
	tagNull byte = iota
	tagString
	tagInt
	tagUint
	tagFloat
	tagFalse
	tagTrue
	tagMap
	tagList
)

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendValue encodes a tree of the values a YAML load gives; ok is false
// for any other (the cache is then not written).
func appendValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull), true
	case string:
		return appendString(append(b, tagString), x), true
	case int64:
		return binary.AppendVarint(append(b, tagInt), x), true
	case uint64:
		return binary.AppendUvarint(append(b, tagUint), x), true
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x)), true
	case bool:
		if x {
			return append(b, tagTrue), true
		}
		return append(b, tagFalse), true
	case map[string]any:
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(x)))
		for k, e := range x {
			var ok bool
			if b, ok = appendValue(appendString(b, k), e); !ok {
				return b, false
			}
		}
		return b, true
	case []any:
		b = binary.AppendUvarint(append(b, tagList), uint64(len(x)))
		for _, e := range x {
			var ok bool
			if b, ok = appendValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

// cacheReader decodes the cache; err is set at the first thing that does
// not decode, after which every read returns a zero value.
type cacheReader struct {
	b   []byte
	err bool
}

func (r *cacheReader) bytes(n int) []byte {
	if r.err || n < 0 || n > len(r.b) {
		r.err = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *cacheReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if r.err || n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if r.err || n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = true
		return ""
	}
	return string(r.bytes(int(n)))
}

func (r *cacheReader) value(depth int) any {
	t := r.bytes(1)
	if r.err || depth > maxYAMLDepth {
		r.err = true
		return nil
	}
	switch t[0] {
	case tagNull:
		return nil
	case tagString:
		return r.string()
	case tagInt:
		return r.varint()
	case tagUint:
		return r.uvarint()
	case tagFloat:
		b := r.bytes(8)
		if r.err {
			return nil
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagMap:
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			r.err = true
			return nil
		}
		m := make(map[string]any, n)
		for range n {
			k := r.string()
			m[k] = r.value(depth + 1)
		}
		return m
	case tagList:
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			r.err = true
			return nil
		}
		l := make([]any, n)
		for i := range l {
			l[i] = r.value(depth + 1)
		}
		return l
	}
	r.err = true
	return nil
}
