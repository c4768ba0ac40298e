package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// The load cache: every lakebench command loads the project, and parsing
// and checking its YAML files is most of a load (10 ms of a query's fixed
// cost on the sample). What reading the files gives (the merged tree
// before any target or variable is applied, and where each key is) is a
// function of the files' bytes and of the program, so a load keeps it in
// .lakebench/project.cache with the digest of every file it read, and the
// program's identity; the next load uses it when the same program reads
// the same bytes from the same files (the include globs matching the same
// ones), else reads the files. Only a load without problems is kept, so
// every error is found and said as without the cache. The file is as
// trusted as the target's database beside it: it is read only when it is
// a regular file (no link) of the user running lakebench.

// loadCacheMagic starts the file; a change of its layout changes it.
const loadCacheMagic = "lakebench load cache 1\n"

// cachedFile is a file a load read: its path and the digest of its bytes.
type cachedFile struct {
	path string
	sum  [sha256.Size]byte
}

func loadCachePath(dir string) string { return filepath.Join(dir, ".lakebench", "project.cache") }

// programID names this build of the program: its path, size and
// modification time (a rebuilt binary is another program, whose checks
// may differ).
func programID() (string, bool) {
	exe, err := os.Executable()
	if err != nil {
		return "", false
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return "", false
	}
	var b []byte
	b = appendString(b, exe)
	b = binary.AppendVarint(b, fi.Size())
	b = binary.AppendVarint(b, fi.ModTime().UnixNano())
	return string(b), true
}

// readLoadCache returns the tree and key positions the cache holds for
// the project file, when they are those of the files as they are now.
func readLoadCache(dir, file string) (map[string]any, map[string]position, bool) {
	id, ok := programID()
	if !ok {
		return nil, nil, false
	}
	data, ok := readOwnFile(loadCachePath(dir))
	if !ok {
		return nil, nil, false
	}
	r := &cacheReader{b: data}
	if string(r.bytes(len(loadCacheMagic))) != loadCacheMagic || r.string() != id {
		return nil, nil, false
	}
	// Each file takes at least its digest and a length byte: a count past
	// what the rest could hold is damage (or forgery), not an allocation.
	nFiles := r.uvarint()
	if r.err || nFiles > uint64(len(r.b)/(sha256.Size+1)) {
		return nil, nil, false
	}
	files := make([]cachedFile, nFiles)
	for i := range files {
		if r.err {
			return nil, nil, false
		}
		files[i].path = r.string()
		copy(files[i].sum[:], r.bytes(sha256.Size))
	}
	nLines := r.uvarint()
	if r.err || len(files) == 0 || files[0].path != file || nLines > uint64(len(r.b)) {
		return nil, nil, false
	}
	lines := make(map[string]position, nLines)
	for range nLines {
		k, f := r.string(), r.uvarint()
		line, col := r.varint(), r.varint()
		if r.err || f >= uint64(len(files)) {
			return nil, nil, false
		}
		lines[k] = position{file: files[f].path, line: int(line), column: int(col)}
	}
	tree, ok := r.value(0).(map[string]any)
	if r.err || !ok || len(r.b) != 0 {
		return nil, nil, false
	}
	// The same files, with the same bytes: the root file, then what its
	// include globs match now, in the order a load reads them.
	paths := []string{file}
	includes, _ := tree["include"].([]any)
	for _, inc := range includes {
		pattern, _ := inc.(string)
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil || len(matches) == 0 {
			return nil, nil, false
		}
		sort.Strings(matches)
		paths = append(paths, matches...)
	}
	if len(paths) != len(files) {
		return nil, nil, false
	}
	for i, f := range files {
		data, err := os.ReadFile(paths[i])
		if err != nil || f.path != paths[i] || sha256.Sum256(data) != f.sum {
			return nil, nil, false
		}
	}
	return tree, lines, true
}

// writeLoadCache keeps what a load read, when the project has its
// .lakebench directory and the tree holds only plain values; a cache that
// cannot be written is not kept.
func writeLoadCache(dir string, tree map[string]any, lines map[string]position, files []cachedFile) {
	id, ok := programID()
	if !ok {
		return
	}
	if fi, err := os.Lstat(filepath.Join(dir, ".lakebench")); err != nil || !fi.IsDir() {
		return
	}
	b := append([]byte(loadCacheMagic), appendString(nil, id)...)
	b = binary.AppendUvarint(b, uint64(len(files)))
	index := map[string]uint64{}
	for i, f := range files {
		b = appendString(b, f.path)
		b = append(b, f.sum[:]...)
		index[f.path] = uint64(i)
	}
	b = binary.AppendUvarint(b, uint64(len(lines)))
	for k, pos := range lines {
		i, ok := index[pos.file]
		if !ok {
			return
		}
		b = appendString(b, k)
		b = binary.AppendUvarint(b, i)
		b = binary.AppendVarint(b, int64(pos.line))
		b = binary.AppendVarint(b, int64(pos.column))
	}
	if b, ok = appendValue(b, tree); !ok {
		return
	}
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

// readOwnFile reads a regular file of this user, never through a link.
func readOwnFile(path string) ([]byte, bool) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
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
