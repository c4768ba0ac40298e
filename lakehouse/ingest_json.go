package lakehouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unicode/utf8"

	// segmentio's Valid checks JSON as the standard library does, about
	// four times faster; it is on the path of every JSON line loaded.
	fastjson "github.com/segmentio/encoding/json"
)

// The JSON type sniffer sees the first jsonSampleLines lines of a batch's
// first file and the first jsonMoreSampleLines of each other file; beyond
// those, any line with a key seen fewer than jsonKeySample times joins the
// sample, so a key that first appears late still becomes a column, typed
// from up to jsonKeySample of its values.
const (
	jsonSampleLines     = 10000
	jsonMoreSampleLines = 100
	jsonKeySample       = 100
)

// The staged copy of JSON files carries each record's line and file.
const (
	jsonLineCol = "__lb_line"
	jsonFileCol = "__lb_file"
)

// loadJSON loads JSON lines files (or files holding one array of objects)
// together. Go checks every line first, since DuckDB's reader turns a
// malformed line into a row of NULLs without a word. Files that are plain
// JSON lines with no bad line are read by DuckDB as they are; the good
// lines of other files are staged with their file and line. Values are read
// as text and cast to the table's types, and those that do not fit are
// quarantined with their line.
func (tx *Tx) loadJSON(ctx context.Context, ls []*loader) error {
	dir, err := os.MkdirTemp("", "lakebench-json-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Check every file, writing only the type sniffer's sample. Each
	// file's first chunk is checked first, and its sample handed over:
	// the types are sniffed from those while the rest is checked, and
	// kept when no later line joins the sample (as in most files).
	checked := make([]jsonStaged, len(ls))
	heads := make([][][]byte, len(ls))
	headc := make(chan int, len(ls))
	checking := make(chan error, 1)
	go func() {
		checking <- forEachFile(ctx, len(ls), func(i int) {
			quota := jsonMoreSampleLines
			if i == 0 {
				quota = jsonSampleLines
			}
			checked[i] = stageJSONFile(ls[i], "", filepath.Join(dir, fmt.Sprintf("%d.sample.json", i)), quota, nil,
				func(head [][]byte) { heads[i] = head; headc <- i })
		})
	}()
	probe := tx.lh.probe()
	var early *jsonSniff
	var checkErr error
	got, done := 0, false
	for got < len(ls) && !done {
		select {
		case <-headc:
			got++
		case checkErr = <-checking:
			done = true
		}
	}
	if got == len(ls) {
		early = sniffJSONHeads(ctx, probe, dir, heads)
	}
	if !done {
		checkErr = <-checking
	}
	if checkErr != nil {
		return checkErr
	}
	var samples []string
	var direct, staged []int
	for i, l := range ls {
		st := checked[i]
		if st.err != nil {
			return fmt.Errorf("%s: %w", l.path, st.err)
		}
		if st.good == 0 && len(st.bad) > 0 {
			return fmt.Errorf("%s: no line is a JSON object (line %d: %s); lakebench reads JSON lines (one object per line) or one array of objects",
				l.path, st.bad[0].line, st.bad[0].reason)
		}
		l.hash = st.hash
		l.read = st.good + int64(len(st.bad))
		if err := l.quarantine(ctx, st.bad); err != nil {
			return err
		}
		switch {
		case st.good == 0:
			continue
		case st.plain:
			direct = append(direct, i)
		default:
			staged = append(staged, i)
		}
		samples = append(samples, QuoteString(st.samplePath))
	}
	if len(samples) == 0 {
		return nil
	}
	sn := early
	for i := range ls {
		if early != nil && checked[i].sampled != len(heads[i]) {
			sn = nil // a later line joined the sample
		}
	}
	if sn == nil {
		paths := make(map[int]string)
		for _, i := range append(append([]int(nil), direct...), staged...) {
			paths[i] = checked[i].samplePath
		}
		var err error
		if sn, err = sniffJSON(ctx, probe, samples, paths); err != nil {
			return err
		}
	}
	for _, i := range append(append([]int(nil), direct...), staged...) {
		if err := sn.keys[i]; err != nil {
			return fmt.Errorf("%s: %w", ls[i].path, err)
		}
	}
	mixed := sn.mixed
	var dataCols []Column
	dataCols, ls[0].tolerant = sn.columns()
	cols, err := ls[0].prepareTable(ctx, dataCols)
	if err != nil {
		return fmt.Errorf("prepare table: %w", err)
	}
	// Scalars are read as text and nested values as JSON, so no value can
	// fail the read: a bad value costs one row, not the load.
	var defs []string
	from := make([]Column, len(cols))
	for i, c := range cols {
		from[i] = Column{Name: c.Name, Type: "VARCHAR"}
		if !isScalarType(c.Type) {
			from[i].Type = "JSON"
		}
		defs = append(defs, QuoteString(c.Name)+": "+QuoteString(from[i].Type))
	}
	tokens := make([]bool, len(cols))
	var tokenNames []string
	for i, c := range cols {
		if d, ok := mixed[c.Name]; ok && d.note != "" && tokenColumn(c.Type) {
			tokens[i] = true
			tokenNames = append(tokenNames, c.Name)
		}
	}
	store := ls[0].store
	// A text column holds numbers as written: files where DuckDB would
	// render one (1E+2 as "100.0"), or might, are staged with such values
	// made strings of their source text.
	text := map[string]bool{}
	for _, c := range cols {
		if c.Type == "VARCHAR" {
			text[c.Name] = true
		}
	}
	if len(text) > 0 {
		var keep []int
		for _, i := range direct {
			if renderedText(directKinds(checked, []int{i}), text) {
				staged = append(staged, i)
			} else {
				keep = append(keep, i)
			}
		}
		direct = keep
	}
	if len(direct) > 0 {
		var paths, ids []string
		var expected int64
		for _, i := range direct {
			paths = append(paths, QuoteString(ls[i].dpath))
			ids = append(ids, "("+QuoteString(ls[i].dpath)+", "+strconv.FormatInt(ls[i].fileID, 10)+")")
			expected += checked[i].good
		}
		// A column DuckDB converts every value of exactly is read typed,
		// the others as text, cast as the careful path casts them.
		kinds := directKinds(checked, direct)
		directFrom := append([]Column(nil), from...)
		var directDefs []string
		for i, c := range cols {
			if !tokens[i] && typedReadable(c.Type, kinds[c.Name]) {
				directFrom[i].Type = c.Type
			}
			directDefs = append(directDefs, QuoteString(c.Name)+": "+QuoteString(directFrom[i].Type))
		}
		read := "read_json([" + strings.Join(paths, ", ") + "], format='newline_delimited', columns={" + strings.Join(directDefs, ", ") + "}"
		// Each row's file id: a constant for one file, else by file name.
		stage, fileExpr := read+")", strconv.FormatInt(ls[direct[0]].fileID, 10)
		if len(direct) > 1 {
			stage = "(SELECT r.*, f.id AS " + jsonFileCol + " FROM " + read + ", filename='__lb_path') r JOIN (VALUES " +
				strings.Join(ids, ", ") + ") f(path, id) ON r.__lb_path = f.path)"
			fileExpr = QuoteIdent(jsonFileCol)
		}
		loaded, _, err := tx.typedLoad(ctx, stagedLoad{store: store, stage: stage, fileExpr: fileExpr, from: directFrom, to: cols, expected: expected, tokens: tokens})
		if err != nil {
			return err
		}
		if loaded == expected {
			for _, i := range direct {
				ls[i].loaded = checked[i].good
			}
			if err := countTokens(ctx, tx, stage, tokenNames, &ls[0].columns); err != nil {
				return err
			}
		} else {
			// Some values do not fit their column: take these files' rows
			// back and stage them, with lines for the quarantine.
			var idList []string
			for _, i := range direct {
				idList = append(idList, strconv.FormatInt(ls[i].fileID, 10))
			}
			if _, err := tx.tx.ExecContext(ctx, "DELETE FROM "+store.SQL()+" WHERE "+fileIDColumn+" IN ("+strings.Join(idList, ", ")+")"); err != nil {
				return err
			}
			staged = append(staged, direct...)
		}
	}
	if len(staged) == 0 {
		return nil
	}
	out := make([]jsonStaged, len(staged))
	if err := forEachFile(ctx, len(staged), func(k int) {
		out[k] = stageJSONFile(ls[staged[k]], filepath.Join(dir, fmt.Sprintf("%d.json", staged[k])), "", 0, text, nil)
	}); err != nil {
		return err
	}
	var files []string
	var expected int64
	for k, i := range staged {
		if out[k].err != nil {
			return fmt.Errorf("%s: %w", ls[i].path, out[k].err)
		}
		files = append(files, QuoteString(out[k].path))
		expected += out[k].good
	}
	defs = append([]string{QuoteString(jsonFileCol) + ": 'BIGINT'", QuoteString(jsonLineCol) + ": 'BIGINT'"}, defs...)
	stage := "read_json([" + strings.Join(files, ", ") + "], format='newline_delimited', columns={" + strings.Join(defs, ", ") + "})"
	loaded, failed, err := tx.typedLoad(ctx, stagedLoad{store: store, stage: stage, lineCol: jsonLineCol,
		fileExpr: QuoteIdent(jsonFileCol), from: from, to: cols, expected: expected, tokens: tokens})
	if err != nil {
		return err
	}
	if len(tokenNames) > 0 {
		// Count the tokens of the rows that loaded only.
		var ids []string
		for id, bad := range failed {
			for _, b := range bad {
				ids = append(ids, "("+strconv.FormatInt(id, 10)+", "+strconv.FormatInt(b.line, 10)+")")
			}
		}
		loadedRows := stage
		if len(ids) > 0 {
			loadedRows = "(SELECT s.* FROM " + stage + " AS s ANTI JOIN (VALUES " + strings.Join(ids, ", ") + ") AS v(f, l) ON v.f = s." +
				QuoteIdent(jsonFileCol) + " AND v.l = s." + QuoteIdent(jsonLineCol) + ")"
		}
		if err := countTokens(ctx, tx, loadedRows, tokenNames, &ls[0].columns); err != nil {
			return err
		}
	}
	var sum int64
	for k, i := range staged {
		l := ls[i]
		l.loaded = out[k].good - int64(len(failed[l.fileID]))
		sum += l.loaded
		if err := l.quarantineWithRaw(ctx, failed[l.fileID]); err != nil {
			return err
		}
	}
	if sum != loaded {
		return fmt.Errorf("loaded %d rows but the files' counts add to %d", loaded, sum)
	}
	return nil
}

// jsonSniff is what the type sniffer found in a batch's samples: the
// columns, the decisions on columns of mixed values, and, by file, a key
// that can have no column of its own.
type jsonSniff struct {
	cols  []Column
	mixed map[string]tolerantDecision
	keys  map[int]error
}

// columns are the table's columns from what the sniffer found, and the
// notes of those typed with tolerance (by lower-case name).
func (sn *jsonSniff) columns() ([]Column, map[string]string) {
	notes := map[string]string{}
	var cols []Column
	for _, c := range sn.cols {
		if d, ok := sn.mixed[c.Name]; ok {
			c.Type = d.typ
			if d.note != "" {
				notes[strings.ToLower(c.Name)] = d.note
			}
		}
		switch c.Type {
		case "HUGEINT", "UHUGEINT", "UBIGINT":
			c.Type = "BIGINT" // Go scans HUGEINT awkwardly; wider values are quarantined
		case "NULL":
			c.Type = "VARCHAR"
		}
		if !isScalarType(c.Type) {
			// Nested values stay JSON: a STRUCT typed from the sample
			// would drop, without a word, the keys first seen later.
			c.Type = "JSON"
		}
		cols = append(cols, c)
	}
	return cols, notes
}

// sniffJSON sniffs the types of the samples (quoted paths, in file order),
// and checks the keys of each file's sample (paths, by file) against them.
// The columns' decisions wait for every key to have a column.
func sniffJSON(ctx context.Context, probe execer, samples []string, paths map[int]string) (*jsonSniff, error) {
	cols, err := describe(ctx, probe, "read_json(["+strings.Join(samples, ", ")+"], format='newline_delimited', union_by_name=true, sample_size=-1)")
	if err != nil {
		return nil, fmt.Errorf("detect column types: %w", err)
	}
	sn := &jsonSniff{cols: cols, keys: map[int]error{}}
	for i, p := range paths {
		if err := keysHaveColumns(p, cols); err != nil {
			sn.keys[i] = err
		}
	}
	if len(sn.keys) > 0 {
		return sn, nil
	}
	// A field whose values mix text and numbers is JSON to DuckDB's
	// sniffer: it is text (numbers kept as their text), or, when all but a
	// handful of its values are numbers or null tokens, a number.
	if sn.mixed, err = jsonMixed(ctx, probe, samples, cols); err != nil {
		return nil, fmt.Errorf("detect column types: %w", err)
	}
	return sn, nil
}

// sniffJSONHeads is sniffJSON on the samples of the files' first chunks,
// written to dir; nil when it fails (the samples are sniffed again once
// checked).
func sniffJSONHeads(ctx context.Context, probe execer, dir string, heads [][][]byte) *jsonSniff {
	if sn := sniffHeadsInGo(heads); sn != nil {
		return sn
	}
	var samples []string
	paths := map[int]string{}
	for i, head := range heads {
		if len(head) == 0 {
			continue
		}
		p := filepath.Join(dir, fmt.Sprintf("%d.head.json", i))
		if os.WriteFile(p, append(bytes.Join(head, []byte{'\n'}), '\n'), 0o600) != nil {
			return nil
		}
		samples = append(samples, QuoteString(p))
		paths[i] = p
	}
	if len(samples) == 0 {
		return nil
	}
	sn, err := sniffJSON(ctx, probe, samples, paths)
	if err != nil {
		return nil
	}
	return sn
}

// sniffHeadsInGo is sniffJSONHeads typed in Go (sniffJSONInGo), for one
// file's sample; nil when that cannot tell, and DuckDB is asked.
func sniffHeadsInGo(heads [][][]byte) *jsonSniff {
	var lines [][]byte
	for _, head := range heads {
		if len(head) > 0 {
			if lines != nil {
				return nil // DuckDB unites several files' columns by name
			}
			lines = head
		}
	}
	cols, ok := sniffJSONInGo(lines)
	if !ok {
		return nil
	}
	return &jsonSniff{cols: cols, mixed: map[string]tolerantDecision{}, keys: map[int]error{}}
}

// renderedText reports whether a key of a text column holds a value
// DuckDB stores otherwise than written: a number it renders, an object or
// an array it writes again, or a value of a line the fast scan left to the
// careful check, of unknown kind.
func renderedText(kinds map[string]jsonKind, text map[string]bool) bool {
	for k, v := range kinds {
		if text[k] && v&(kindNumber|kindBigNumber|kindNested|kindUnknown) != 0 {
			return true
		}
	}
	return false
}

// directKinds merges the kinds of value of each key (by name) over the
// given checked files.
func directKinds(checked []jsonStaged, files []int) map[string]jsonKind {
	kinds := map[string]jsonKind{}
	for _, i := range files {
		for k, v := range checked[i].kinds {
			if strings.IndexByte(k, '\\') >= 0 {
				// The careful check's raw key "\u0061" is the column "a".
				var name string
				if json.Unmarshal([]byte(`"`+k+`"`), &name) == nil {
					k = name
				}
			}
			kinds[k] |= v
		}
	}
	return kinds
}

// jsonMixed decides the type of each column DuckDB's sniffer typed JSON
// though no sampled value of it is an object or an array: the values mix
// text and numbers. It is typed with tolerance (a number but for a handful
// of values, null tokens read as NULL; the note says so), else VARCHAR.
func jsonMixed(ctx context.Context, e execer, samples []string, cols []Column) (map[string]tolerantDecision, error) {
	out := map[string]tolerantDecision{}
	var defs, nested []string
	var names []string
	for _, c := range cols {
		if c.Type != "JSON" {
			continue
		}
		names = append(names, c.Name)
		defs = append(defs, QuoteString(c.Name)+": 'JSON'")
		nested = append(nested, "count(*) FILTER (WHERE json_type("+QuoteIdent(c.Name)+") IN ('OBJECT', 'ARRAY'))")
	}
	if len(names) == 0 {
		return out, nil
	}
	relation := "read_json([" + strings.Join(samples, ", ") + "], format='newline_delimited', columns={" + strings.Join(defs, ", ") + "})"
	counts := make([]int64, len(names))
	ptrs := make([]any, len(names))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	if err := e.QueryRowContext(ctx, "SELECT "+strings.Join(nested, ", ")+" FROM "+relation).Scan(ptrs...); err != nil {
		return nil, err
	}
	var cands []tolerantCandidate
	for i, n := range names {
		if counts[i] == 0 {
			out[n] = tolerantDecision{typ: "VARCHAR"}
			cands = append(cands, tolerantCandidate{name: n, value: "(" + QuoteIdent(n) + "->>'$')"})
		}
	}
	decided, err := decideTolerant(ctx, e, relation, cands, "", "", true, nil)
	if err != nil {
		return nil, err
	}
	for n, d := range decided {
		out[n] = d
	}
	return out, nil
}

// countTokens counts, in a staged relation, the null tokens of columns
// where they are read as NULL.
func countTokens(ctx context.Context, tx *Tx, stage string, names []string, g *columnLog) error {
	for _, n := range names {
		rows, err := tx.tx.QueryContext(ctx, "SELECT "+QuoteIdent(n)+", count(*) FROM "+stage+" WHERE "+QuoteIdent(n)+" IN "+tokenList()+" GROUP BY 1")
		if err != nil {
			return err
		}
		for rows.Next() {
			var t string
			var c int64
			if err := rows.Scan(&t, &c); err != nil {
				rows.Close()
				return err
			}
			g.nullRead(n, t, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// keysHaveColumns checks that every top-level key in the type samples
// (which hold each key's first appearance) has a column of its own: DuckDB
// column names ignore case, so keys "a" and "A" would share one and the
// values of one would be lost without a word.
func keysHaveColumns(sample string, cols []Column) error {
	have := map[string]bool{}
	lower := map[string]string{}
	for _, c := range cols {
		have[c.Name] = true
		lower[strings.ToLower(c.Name)] = c.Name
	}
	f, err := os.Open(sample)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<30)
	var keys [][]byte
	checked := map[string]bool{}
	for sc.Scan() {
		keys = topKeys(sc.Bytes(), keys[:0])
		for _, raw := range keys {
			if checked[string(raw)] {
				continue
			}
			checked[string(raw)] = true
			k := string(raw)
			if bytes.IndexByte(raw, '\\') >= 0 && json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k) != nil {
				continue
			}
			if have[k] && !strings.ContainsRune(k, 0) {
				continue
			}
			if strings.ContainsRune(k, 0) {
				return fmt.Errorf("JSON key %q holds a NUL character, which no column name can; rename the key in the source", k)
			}
			if other, ok := lower[strings.ToLower(k)]; ok && k != "" {
				return fmt.Errorf("JSON key %q and column %q differ only in case, and DuckDB's column names ignore case, so the values of one would be lost; rename one of the keys in the source", k, other)
			}
			return fmt.Errorf("JSON key %q cannot be a column name of its own (DuckDB would load its values nowhere); rename the key in the source", k)
		}
	}
	return sc.Err()
}

// forEachFile calls fn for 0..n-1 on as many goroutines as there are CPUs.
func forEachFile(ctx context.Context, n int, fn func(int)) error {
	work, wait := pool(0, fn)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wait()
	if ctx.Err() != nil {
		return ErrCanceled
	}
	return nil
}

// pool calls fn for each value sent on the returned channel (buffered to
// size), on as many goroutines as there are CPUs; close it, then wait.
func pool[T any](size int, fn func(T)) (chan<- T, func()) {
	work := make(chan T, size)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range work {
				fn(v)
			}
		}()
	}
	return work, wg.Wait
}

// jsonStaged is one JSON file checked (and perhaps staged).
type jsonStaged struct {
	path, samplePath string
	hash             string
	good             int64
	bad              []badLine
	// plain is true for JSON lines DuckDB can read as they are: no bad or
	// blank line, no byte-order mark, every line ended by LF or CRLF.
	plain bool
	// kinds are the kinds of value of each top-level key (as written) in
	// a file only checked.
	kinds map[string]jsonKind
	// sampled is how many lines went to the type sample.
	sampled int
	err     error
}

// stageJSONFile checks every line of a loader's file. With path, it writes
// the good ones there, tagged with file id and line, with the numbers,
// objects and arrays of the text columns (keys in text) made strings of
// their source text; with samplePath, the first quota lines (and later
// ones with rarely seen keys) go there untagged, for the type sniffer.
func stageJSONFile(l *loader, path, samplePath string, quota int, text map[string]bool, onHead func([][]byte)) (st jsonStaged) {
	st.path, st.samplePath = path, samplePath
	var w, sw *bufio.Writer
	for _, f := range []struct {
		path string
		w    **bufio.Writer
	}{{path, &w}, {samplePath, &sw}} {
		if f.path == "" {
			continue
		}
		out, err := os.Create(f.path)
		if err != nil {
			st.err = err
			return st
		}
		defer out.Close()
		*f.w = bufio.NewWriterSize(out, 1<<20)
	}
	sampled := 0
	keys := keySampler{seen: map[string]int{}}
	prefix := `{"` + jsonFileCol + `":` + strconv.FormatInt(l.fileID, 10) + `,"` + jsonLineCol + `":`
	var rewritten []byte // textValues' buffer, never the line itself
	stage := func(line int64, obj []byte) {
		if w != nil {
			out := obj
			if len(text) > 0 {
				if out = textValues(obj, text, rewritten); &out[0] != &obj[0] {
					rewritten = out
				}
			}
			w.WriteString(prefix)
			w.WriteString(strconv.FormatInt(line, 10))
			rest := bytes.TrimSpace(out[1:])
			if len(rest) > 0 && rest[0] != '}' {
				w.WriteByte(',')
			}
			w.Write(rest)
			w.WriteByte('\n')
		}
		if sw != nil && keys.sample(obj, sampled < quota) {
			sw.Write(obj)
			sw.WriteByte('\n')
			sampled++
			st.sampled++
		}
		st.good++
	}
	onBad := func(b badLine) { st.bad = append(st.bad, b) }
	if st.err = checkText(l.path, "JSON"); st.err != nil {
		return st
	}
	array, err := isJSONArray(l.path)
	if err != nil {
		st.err = err
		return st
	}
	if array {
		st.hash, st.err = stageJSONArray(l.path, stage, onBad)
	} else {
		st.plain = true
		if w == nil {
			// Only checking: the file's chunks are checked in parallel.
			var c jsonChunk
			st.hash, c, st.err = checkJSONLines(l.path, quota, sw != nil, onHead)
			st.good, st.bad, st.plain, st.kinds = c.good, c.bad, c.plain, c.kinds
			for _, obj := range append(c.head, c.rare...) {
				sw.Write(obj)
				sw.WriteByte('\n')
			}
			st.sampled += len(c.head) + len(c.rare)
		} else {
			st.hash, st.err = stageJSONLines(l.path, stage, onBad, &st.plain)
		}
		if st.err == nil && st.good == 0 && len(st.bad) > 0 {
			// Not JSON lines: perhaps one object spread over many lines.
			if data, err := os.ReadFile(l.path); err == nil {
				data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\uFEFF")))
				var compact bytes.Buffer
				if len(data) > 0 && data[0] == '{' && json.Compact(&compact, data) == nil && jsonProblem(compact.Bytes()) == "" {
					st.bad, st.plain = nil, false
					stage(1, compact.Bytes())
				}
			}
		}
		st.plain = st.plain && len(st.bad) == 0
	}
	for _, w := range []*bufio.Writer{w, sw} {
		if w != nil && st.err == nil {
			st.err = w.Flush()
		}
	}
	return st
}

// keySampler counts how often each top-level key is in the sample.
type keySampler struct {
	seen map[string]int
	keys [][]byte
	last []byte // the last object's keys, each ended by a NUL, when none was rare
}

// sample reports whether an object joins the sample: always when within
// the quota, else when one of its keys is still rare in the sample.
func (k *keySampler) sample(obj []byte, withinQuota bool) bool {
	take, _ := k.sampleRare(obj, withinQuota)
	return take
}

// sampleRare is sample, also saying whether the object has a rare key.
func (k *keySampler) sampleRare(obj []byte, withinQuota bool) (take, rare bool) {
	k.keys = topKeys(obj, k.keys[:0])
	if !withinQuota && k.sameAsLast() {
		return false, false // the last object's keys, which were not rare
	}
	for _, key := range k.keys {
		if k.seen[string(key)] < jsonKeySample {
			rare = true
			break
		}
	}
	take = withinQuota || rare
	if take {
		for _, key := range k.keys {
			k.seen[string(key)]++
		}
	}
	k.last = k.last[:0]
	if !take {
		// Remember keys that were all common, to skip the lookups when the
		// next object has the same ones (as most objects do).
		for _, key := range k.keys {
			k.last = append(k.last, key...)
			k.last = append(k.last, 0)
		}
	}
	return take, rare
}

// sameAsLast reports whether the keys are the remembered common ones.
func (k *keySampler) sameAsLast() bool {
	if len(k.last) == 0 {
		return false
	}
	rest := k.last
	for _, key := range k.keys {
		if len(rest) < len(key)+1 || !bytes.Equal(rest[:len(key)], key) || rest[len(key)] != 0 {
			return false
		}
		rest = rest[len(key)+1:]
	}
	return len(rest) == 0
}

// topKeys appends the raw top-level keys of a valid JSON object to keys.
func topKeys(obj []byte, keys [][]byte) [][]byte {
	depth := 0
	expectKey := false
	for i := 0; i < len(obj); i++ {
		switch c := obj[i]; c {
		case '"':
			start := i + 1
			i = stringEnd(obj, start)
			if depth == 1 && expectKey {
				keys = append(keys, obj[start:i])
				expectKey = false
			}
		case '{', '[':
			depth++
			expectKey = c == '{' && depth == 1
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		}
	}
	return keys
}

// stringEnd returns the index of the quote closing a JSON string whose
// content starts at start (len(b) if it is unterminated).
func stringEnd(b []byte, start int) int {
	for i := start; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		// A quote after an odd number of backslashes is escaped.
		n := 0
		for k := i - 1; k >= start && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return i
		}
		i++
	}
}

func isJSONArray(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		c, err := r.ReadByte()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF, 0xBB, 0xBF: // byte-order mark
			continue
		}
		return c == '[', nil
	}
}

// jsonChunkSize is how much of a JSON lines file one worker checks; the
// first chunk grows to hold the sample's first lines, up to jsonMaxHead.
const (
	jsonChunkSize = 8 << 20
	jsonMaxHead   = 256 << 20
)

// jsonChunk is what checking JSON lines found, with lines counted from the
// chunk's start.
type jsonChunk struct {
	lines, good int64
	bad         []badLine
	plain       bool
	// Objects for the type sniffer (copies): the first quota, and later
	// ones with keys rare in the chunk.
	head, rare [][]byte
	// kinds are the kinds of value each top-level key (raw, as written)
	// holds in the chunk.
	kinds map[string]jsonKind
}

// jsonKeys follows the top-level keys of a chunk's lines: the kinds of
// value each holds and how often it is in the type sample.
type jsonKeys struct {
	slot    map[string]int
	names   []string
	kinds   []jsonKind
	sampled []int

	slots   []int // the slots of the keys of the line recorded last
	same    bool  // which are those of the line recorded before it
	skipped bool  // the line before was left out of the sample, none of its keys rare
}

// record adds a line's keys with the kinds of their values (kinds nil: the
// line was checked by the careful check, kinds unknown); same says they
// are the keys of the line recorded before, in order.
func (k *jsonKeys) record(keys [][]byte, kinds []jsonKind, same bool) {
	k.same = same
	if !same {
		k.slots = k.slots[:0]
		for _, key := range keys {
			n, ok := k.slot[string(key)]
			if !ok {
				n = len(k.names)
				k.slot[string(key)] = n
				k.names = append(k.names, string(key))
				k.kinds = append(k.kinds, 0)
				k.sampled = append(k.sampled, 0)
			}
			k.slots = append(k.slots, n)
		}
	}
	for i, n := range k.slots {
		if kinds == nil {
			k.kinds[n] |= kindUnknown
		} else {
			k.kinds[n] |= kinds[i]
		}
	}
}

// sample reports whether the line recorded last joins the type sample:
// always when within the quota, else when one of its keys is still rare in
// the sample (seen fewer than jsonKeySample times).
func (k *jsonKeys) sample(withinQuota bool) bool {
	if !withinQuota && k.same && k.skipped {
		return false
	}
	take := withinQuota
	for _, n := range k.slots {
		if take {
			break
		}
		take = k.sampled[n] < jsonKeySample
	}
	if take {
		for _, n := range k.slots {
			k.sampled[n]++
		}
	}
	k.skipped = !take
	return take
}

// kindMap is the kinds of every key seen.
func (k *jsonKeys) kindMap() map[string]jsonKind {
	m := make(map[string]jsonKind, len(k.names))
	for i, n := range k.names {
		m[n] = k.kinds[i]
	}
	return m
}

// checkJSONChunk checks the lines of data (whole lines, the first chunk of
// a file when first) as stageJSONLines does, sampling objects for the type
// sniffer when sample is set: the first quota, then those with rare keys.
// A line that is one plain object is checked by the fast scan, which also
// tells the kinds of its values; the careful check decides the others.
func checkJSONChunk(data []byte, first, sample bool, quota int) jsonChunk {
	c := jsonChunk{plain: true}
	keys := jsonKeys{slot: map[string]int{}}
	var scan jsonLineScan
	var raw [][]byte
	for len(data) > 0 {
		// The fast scan reads the object from the line's start; the line
		// ends with it (LF, CRLF or the end of data follow) as cutLine
		// would end it, since the scan refuses a CR or LF inside.
		var content []byte
		end, ok := scan.scan(data)
		if ok {
			switch {
			case end == len(data):
				content, data = data, nil
			case data[end] == '\n':
				content, data = data[:end], data[end+1:]
			case data[end] == '\r' && end+1 < len(data) && data[end+1] == '\n':
				content, data = data[:end], data[end+2:]
			default:
				ok = false
			}
		}
		if ok {
			keys.record(scan.lineKeys(), scan.kinds, scan.same)
			scan.accept()
		} else {
			scan.forget()
			var line []byte
			line, data = cutLine(data)
			content, ok = jsonLineContent(line, first && c.lines == 0)
			c.plain = c.plain && ok
			if len(content) == 0 {
				c.lines++
				continue
			}
			if reason := jsonProblem(content); reason != "" {
				c.lines++
				c.bad = append(c.bad, badLine{line: c.lines, reason: reason, raw: truncate(string(bytes.ToValidUTF8(content, []byte("\uFFFD"))), 4096)})
				continue
			}
			raw = topKeys(content, raw[:0])
			keys.record(raw, nil, false)
		}
		c.lines++
		c.good++
		if !sample {
			continue
		}
		within := len(c.head) < quota
		if keys.sample(within) {
			if within {
				c.head = append(c.head, bytes.Clone(content))
			} else {
				c.rare = append(c.rare, bytes.Clone(content))
			}
		}
	}
	c.kinds = keys.kindMap()
	return c
}

// checkJSONLinesChunked checks a JSON lines file in chunks of whole lines
// on every CPU, hashing it in order as it is read, and returns the hash and
// what the chunks found, with lines counted from the file's start.
func checkJSONLinesChunked(path string, quota int, sample bool) (string, jsonChunk, error) {
	return checkJSONLines(path, quota, sample, nil)
}

// checkJSONLines is checkJSONLinesChunked calling onHead, when set, with
// the first chunk's sample as soon as that chunk is checked (the file's
// sample when no later line joins it; see mergeChunks).
func checkJSONLines(path string, quota int, sample bool, onHead func([][]byte)) (string, jsonChunk, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", jsonChunk{}, err
	}
	defer f.Close()
	if hash, c, err, ok := checkJSONLinesMapped(f, quota, sample, onHead); ok {
		return hash, c, err
	}
	return checkJSONLinesRead(f, quota, sample, onHead)
}

// firstChunkSample hands the sample of the first chunk of a file to
// onHead, if set.
func firstChunkSample(idx int, c jsonChunk, onHead func([][]byte)) {
	if idx == 0 && onHead != nil {
		onHead(append(c.head[:len(c.head):len(c.head)], c.rare...))
	}
}

// checkJSONLinesRead is checkJSONLinesChunked reading the file into
// buffers, for files that cannot be mapped.
func checkJSONLinesRead(f *os.File, quota int, sample bool, onHead func([][]byte)) (string, jsonChunk, error) {
	h := newContentHash()
	type job struct {
		idx  int
		data []byte
	}
	var mu sync.Mutex
	found := map[int]jsonChunk{}
	// Buffers go back to free once checked: nothing a check keeps points
	// into them.
	free := make(chan []byte, runtime.GOMAXPROCS(0)+3)
	jobs, wait := pool(2, func(j job) {
		// The first chunk holds the file's first quota lines, for the
		// sample; the others add lines with rare keys.
		head := 0
		if j.idx == 0 {
			head = quota
		}
		c := checkJSONChunk(j.data, j.idx == 0, sample, head)
		mu.Lock()
		found[j.idx] = c
		mu.Unlock()
		firstChunkSample(j.idx, c, onHead)
		select {
		case free <- j.data[:0]:
		default:
		}
	})
	var carry []byte
	n := 0
	var readErr error
	for {
		var buf []byte
		select {
		case buf = <-free:
		default:
		}
		// Read a chunk's worth past the carried bytes, or as much again
		// when they are more (a long line, the first chunk growing).
		size := max(jsonChunkSize, len(carry))
		if cap(buf) < len(carry)+size {
			buf = make([]byte, len(carry)+size)
		}
		buf = buf[:len(carry)+size]
		copy(buf, carry)
		k, err := io.ReadFull(f, buf[len(carry):])
		buf = buf[:len(carry)+k]
		h.Write(buf[len(carry):])
		end := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !end {
			readErr = err
			break
		}
		cut := len(buf)
		if !end {
			if n == 0 && sample && len(buf) < jsonMaxHead && bytes.Count(buf, []byte{'\n'}) < quota {
				// The first chunk holds the quota of lines, however long
				// (within reason).
				carry = append(carry[:0], buf...)
				continue
			}
			// Whole lines only: the rest goes with the next chunk.
			cut = bytes.LastIndexByte(buf, '\n') + 1
		}
		carry = append(carry[:0], buf[cut:]...)
		if cut > 0 {
			jobs <- job{n, buf[:cut]}
			n++
		}
		if end {
			break
		}
	}
	close(jobs)
	wait()
	if readErr != nil {
		return "", jsonChunk{}, readErr
	}
	return h.sum(), mergeChunks(found, n), nil
}

// mergeChunks merges what the n chunks of a file found, counting lines
// from the file's start. The sample is the one a single pass over the
// file takes: the first chunk's, which starts the file, then the lines of
// later chunks with a key sampled fewer than jsonKeySample times in the
// sample so far. A later chunk offers the lines with a key rare in its
// own sample (rare), a superset of those: a line with a key rare in the
// file's sample so far follows only lines with that key that were all
// taken, so fewer than jsonKeySample of them in its chunk too. A file
// whose every key is common in its first chunk samples nothing later.
func mergeChunks(found map[int]jsonChunk, n int) jsonChunk {
	all := jsonChunk{plain: true, kinds: map[string]jsonKind{}}
	var seen map[string]int // how often each raw key is in the sample
	var keys [][]byte
	for i := range n {
		c := found[i]
		for _, b := range c.bad {
			b.line += all.lines
			all.bad = append(all.bad, b)
		}
		all.lines += c.lines
		all.good += c.good
		all.plain = all.plain && c.plain
		for k, v := range c.kinds {
			all.kinds[k] |= v
		}
		all.head = append(all.head, c.head...)
		if i == 0 {
			all.rare = append(all.rare, c.rare...)
			continue
		}
		if seen == nil {
			seen = map[string]int{}
			for _, obj := range append(all.head[:len(all.head):len(all.head)], all.rare...) {
				for _, k := range topKeys(obj, keys[:0]) {
					seen[string(k)]++
				}
			}
		}
		for _, obj := range c.rare {
			keys = topKeys(obj, keys[:0])
			take := false
			for _, k := range keys {
				if seen[string(k)] < jsonKeySample {
					take = true
					break
				}
			}
			if take {
				for _, k := range keys {
					seen[string(k)]++
				}
				all.rare = append(all.rare, obj)
			}
		}
	}
	return all
}

// mappedHook, when set (by tests), runs once a file is mapped.
var mappedHook func()

// errFileChanged is a file that shrank while it was read.
var errFileChanged = errors.New("the file changed while it was read (it shrank); load it again once it is complete")

// checkJSONLinesMapped is checkJSONLinesChunked on the file mapped in
// memory, which spares copying it into buffers (a fifth of the check's
// time): the same chunks, checked and hashed alike. ok is false when the
// file cannot be mapped; then nothing was done. A file that shrinks while
// mapped faults on its lost pages: the fault is caught, and the load
// fails with errFileChanged.
func checkJSONLinesMapped(f *os.File, quota int, sample bool, onHead func([][]byte)) (hash string, all jsonChunk, err error, ok bool) {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 || st.Size() != int64(int(st.Size())) {
		return "", jsonChunk{}, nil, false
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return "", jsonChunk{}, nil, false
	}
	defer syscall.Munmap(data)
	if mappedHook != nil {
		mappedHook()
	}
	var faulted atomic.Bool
	// guard runs fn, turning a fault on the mapping into faulted.
	guard := func(fn func()) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				if _, fault := r.(interface{ Addr() uintptr }); !fault {
					panic(r)
				}
				faulted.Store(true)
			}
		}()
		fn()
	}
	h := newContentHash()
	hashed := make(chan struct{})
	// The hash starts once the first chunk is checked, which it would
	// slow: that chunk's sample is awaited (see checkJSONLines).
	first := make(chan struct{})
	firstDone := sync.OnceFunc(func() { close(first) })
	go func() {
		defer close(hashed)
		<-first
		guard(func() { h.Write(data) })
	}()
	var mu sync.Mutex
	found := map[int]jsonChunk{}
	type job struct {
		idx  int
		data []byte
	}
	jobs, wait := pool(2, func(j job) {
		if j.idx == 0 {
			defer firstDone()
		}
		guard(func() {
			head := 0
			if j.idx == 0 {
				head = quota
			}
			c := checkJSONChunk(j.data, j.idx == 0, sample, head)
			mu.Lock()
			found[j.idx] = c
			mu.Unlock()
			firstChunkSample(j.idx, c, onHead)
		})
	})
	// The chunks of checkJSONLinesChunked: each reads a chunk's worth past
	// the bytes carried from the one before (or as much again as those),
	// ends at its last line end, and the first grows to hold quota lines.
	n := 0
	guard(func() {
		var carry, read int // where the carried bytes start, and the bytes read
		for {
			want := max(jsonChunkSize, read-carry)
			end := read+want > len(data)
			read = min(read+want, len(data))
			buf := data[carry:read]
			cut := len(buf)
			if !end {
				if n == 0 && sample && len(buf) < jsonMaxHead && bytes.Count(buf, []byte{'\n'}) < quota {
					continue
				}
				cut = bytes.LastIndexByte(buf, '\n') + 1
			}
			if cut > 0 {
				jobs <- job{n, buf[:cut]}
				n++
			}
			carry += cut
			if end {
				return
			}
		}
	})
	close(jobs)
	wait()
	firstDone()
	<-hashed
	if faulted.Load() {
		return "", jsonChunk{}, errFileChanged, true
	}
	return h.sum(), mergeChunks(found, n), nil, true
}

// stageJSONLines checks each line and stages the good ones.
func stageJSONLines(path string, stage func(int64, []byte), bad func(badLine), plain *bool) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	lr := newLineReader(f)
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		content, ok := jsonLineContent(line, lr.line == 1)
		*plain = *plain && ok
		if len(content) == 0 {
			continue
		}
		if reason := jsonProblem(content); reason != "" {
			bad(badLine{line: lr.line, reason: reason, raw: truncate(string(bytes.ToValidUTF8(content, []byte("\uFFFD"))), 4096)})
			continue
		}
		stage(lr.line, content)
	}
	return lr.sum(), nil
}

// jsonLineContent is a line without its ending, surrounding spaces and
// (on the first line) a byte-order mark; plain is false when DuckDB could
// not read the line as it is: blank, a byte-order mark, Unicode spaces
// around the object, or a lone CR ending it (DuckDB splits at LF only).
func jsonLineContent(line []byte, first bool) (content []byte, plain bool) {
	raw := trimEOL(line)
	content = bytes.TrimSpace(raw)
	plain = len(content) > 0 && len(bytes.Trim(raw, " \t")) == len(content) && line[len(line)-1] != '\r'
	if first && bytes.HasPrefix(content, []byte("\uFEFF")) {
		content = bytes.TrimSpace(bytes.TrimPrefix(content, []byte("\uFEFF")))
		plain = false
	}
	return content, plain
}

// jsonProblem says what is wrong with a line that should hold one object,
// including what DuckDB's reader refuses though Go's accepts: a key twice
// at the top level, and a lone UTF-16 surrogate escape.
func jsonProblem(b []byte) string {
	if r := jsonSyntaxProblem(b); r != "" {
		return r
	}
	var buf [32][]byte
	if k := duplicateKey(topKeys(b, buf[:0])); k != nil {
		return fmt.Sprintf("key %q appears twice in the object; keep one", k)
	}
	if bytes.Contains(b, []byte(`\u`)) {
		if at := loneSurrogate(b); at >= 0 {
			return fmt.Sprintf("a lone UTF-16 surrogate escape at column %d (\\uD800-\\uDFFF must come in pairs)", at+1)
		}
	}
	return ""
}

// duplicateKey returns a key that is in keys twice, or nil: pairwise for
// the usual handful of keys (no allocation), with a set for wide objects.
func duplicateKey(keys [][]byte) []byte {
	for i, k := range keys {
		if bytes.IndexByte(k, '\\') >= 0 {
			// "\u0061" is the key "a": compare keys as DuckDB reads them.
			var u string
			if json.Unmarshal(append(append([]byte{'"'}, k...), '"'), &u) == nil {
				keys[i] = []byte(u)
			}
		}
	}
	return firstDuplicate(keys)
}

// firstDuplicate returns the first key that repeats an earlier one, or
// nil: pairwise for the usual handful of keys (no allocation), with a set
// for wide objects.
func firstDuplicate(keys [][]byte) []byte {
	if len(keys) <= 32 {
		for i, k := range keys {
			for _, other := range keys[:i] {
				if string(k) == string(other) {
					return k
				}
			}
		}
		return nil
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[string(k)] {
			return k
		}
		seen[string(k)] = true
	}
	return nil
}

// loneSurrogate returns the offset of a \u escape of a UTF-16 surrogate
// that is not part of a high-low pair, or -1.
func loneSurrogate(b []byte) int {
	hex4 := func(i int) int {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return -1
		}
		v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		if err != nil {
			return -1
		}
		return int(v)
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // another escape, such as \\ or \"
			continue
		}
		switch v := hex4(i); {
		case v >= 0xD800 && v <= 0xDBFF:
			if w := hex4(i + 6); w < 0xDC00 || w > 0xDFFF {
				return i
			}
			i += 11
		case v >= 0xDC00 && v <= 0xDFFF:
			return i
		default:
			i += 5
		}
	}
	return -1
}

// jsonSyntaxProblem checks UTF-8, JSON syntax and that the line is an object.
func jsonSyntaxProblem(b []byte) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf("invalid UTF-8 at byte %d of the line; re-save the file as UTF-8", invalidUTF8At(b)+1)
	}
	if !fastjson.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Sprintf("invalid JSON at column %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
		}
		return "invalid JSON: " + fmt.Sprint(err)
	}
	if b[0] != '{' {
		return "not a JSON object: each line must be one {...} object"
	}
	return ""
}

// stageJSONArray reads a file holding one JSON array and stages each object
// element with the line where it starts.
func stageJSONArray(path string, stage func(int64, []byte), bad func(badLine)) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	h := newContentHash()
	h.Write(data)
	hash := h.sum()
	if !utf8.Valid(data) {
		return "", fmt.Errorf("invalid UTF-8 at byte %d; re-save the file as UTF-8", invalidUTF8At(data)+1)
	}
	// Offsets below are into data: drop the byte-order mark from it, not
	// only from what the decoder reads.
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return "", fmt.Errorf("invalid JSON: %w", err)
	}
	line, counted := int64(1), 0
	lineAt := func(off int64) int64 {
		line += int64(bytes.Count(data[counted:off], []byte{'\n'}))
		counted = int(off)
		return line
	}
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return "", fmt.Errorf("invalid JSON at line %d: %s; fix the file (an array must hold well-formed objects)", lineAt(se.Offset), strings.TrimPrefix(se.Error(), "json: "))
			}
			return "", fmt.Errorf("invalid JSON: %w", err)
		}
		// Skip the separator and whitespace to find where the element starts.
		s := int(start)
		for s < len(data) && (data[s] == ',' || data[s] == ' ' || data[s] == '\n' || data[s] == '\r' || data[s] == '\t') {
			s++
		}
		n := lineAt(int64(s))
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			bad(badLine{line: n, reason: "array element is not a JSON object", raw: truncate(string(raw), 4096)})
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return "", err
		}
		if reason := jsonProblem(compact.Bytes()); reason != "" {
			bad(badLine{line: n, reason: reason, raw: truncate(compact.String(), 4096)})
			continue
		}
		stage(n, compact.Bytes())
	}
	return hash, nil
}

// describe returns the columns a relation would have.
func describe(ctx context.Context, e execer, relation string) ([]Column, error) {
	rows, err := e.QueryContext(ctx, "DESCRIBE SELECT * FROM "+relation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, _ := rows.Columns()
	var cols []Column
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		cols = append(cols, Column{Name: fmt.Sprint(vals[0]), Type: fmt.Sprint(vals[1])})
	}
	return cols, rows.Err()
}

// stagedLoad is a relation of rows to cast into a stored table.
type stagedLoad struct {
	store    TableName
	stage    string   // relation (table name or table function)
	lineCol  string   // column with each row's line (or row) in its file; "" if none
	fileExpr string   // SQL expression with each row's file id
	from, to []Column // staged and target types, column by column
	expected int64    // rows in the stage
	// tokens marks the columns (by index) whose null tokens are read as
	// NULL: text staged for a numeric or temporal column.
	tokens []bool
}

// typedLoad inserts a staged relation into the stored table, casting each
// column to the table's type. Rows with a value that does not convert are
// returned by file id, with the column and value named, for quarantine.
func (tx *Tx) typedLoad(ctx context.Context, s stagedLoad) (int64, map[int64][]badLine, error) {
	sel := []string{}
	var oks, reasons, firsts, values []string
	for i, c := range s.to {
		id := QuoteIdent(c.Name)
		if sameType(s.from[i].Type, c.Type) || c.Type == "JSON" {
			sel = append(sel, id)
			continue
		}
		if i < len(s.tokens) && s.tokens[i] {
			// The column's value with its null tokens made NULL.
			id = "(CASE WHEN " + id + " IN " + tokenList() + " THEN NULL ELSE " + id + " END)"
		}
		cast := "TRY_CAST(" + id + " AS " + c.Type + ")"
		sel = append(sel, cast+" AS "+QuoteIdent(c.Name))
		ok := "(" + id + " IS NULL OR " + cast + " IS NOT NULL)"
		reason := QuoteString(c.Name+": cannot convert ") + " || left(" + id + "::VARCHAR, 60) || " + QuoteString(" to "+c.Type)
		if exact, what := exactSQL(id, s.from[i].Type, c.Type); exact != "" {
			// A cast DuckDB makes by dropping part of the value: refuse it.
			ok = "(" + id + " IS NULL OR (" + cast + " IS NOT NULL AND " + exact + "))"
			reason = "CASE WHEN " + cast + " IS NULL THEN " + reason + " ELSE " + QuoteString(c.Name+": ") +
				" || left(" + id + "::VARCHAR, 60) || " + QuoteString(" "+what+", and the column is "+c.Type) + " END"
		}
		oks = append(oks, ok)
		reasons = append(reasons, "CASE WHEN NOT "+ok+" THEN "+reason+" END")
		firsts = append(firsts, "CASE WHEN NOT "+ok+" THEN "+QuoteString(c.Name)+" END")
		values = append(values, "CASE WHEN NOT "+ok+" THEN "+id+"::VARCHAR END")
	}
	where := "true"
	if len(oks) > 0 {
		where = strings.Join(oks, " AND ")
	}
	res, err := tx.tx.ExecContext(ctx, "INSERT INTO "+s.store.SQL()+" BY NAME SELECT "+strings.Join(sel, ", ")+", "+
		s.fileExpr+" AS "+fileIDColumn+" FROM "+s.stage+" WHERE "+where)
	if err != nil {
		return 0, nil, err
	}
	loaded, _ := res.RowsAffected()
	bad := map[int64][]badLine{}
	if len(oks) == 0 || loaded == s.expected || s.lineCol == "" {
		return loaded, bad, nil // without lines, the caller stages the rows to find them
	}
	rows, err := tx.tx.QueryContext(ctx, "SELECT "+s.fileExpr+", "+QuoteIdent(s.lineCol)+", coalesce("+strings.Join(firsts, ", ")+
		"), concat_ws('; ', "+strings.Join(reasons, ", ")+"), coalesce("+strings.Join(values, ", ")+", '') FROM "+s.stage+" WHERE NOT ("+where+") ORDER BY 1, 2")
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var file int64
		var b badLine
		if err := rows.Scan(&file, &b.line, &b.column, &b.reason, &b.value); err != nil {
			return 0, nil, err
		}
		b.typed = true
		bad[file] = append(bad[file], b)
	}
	return loaded, bad, rows.Err()
}

// quarantineWithRaw reads the original text of the bad lines, then
// quarantines them.
func (l *loader) quarantineWithRaw(ctx context.Context, bad []badLine) error {
	if len(bad) == 0 {
		return nil
	}
	want := map[int64]bool{}
	for _, b := range bad {
		want[b.line] = true
	}
	raws, err := rawLines(l.path, want)
	if err != nil {
		return err
	}
	for i := range bad {
		bad[i].raw = raws[bad[i].line]
	}
	return l.quarantine(ctx, bad)
}

// exactSQL is a condition that a value of type from, known to cast to
// type to, keeps all of itself in the cast, and what it says when not; ""
// when every such value does. DuckDB's casts round a fraction to an
// integer, drop a time of day in a DATE and a UTC offset in a TIMESTAMP.
func exactSQL(id, from, to string) (cond, what string) {
	text := from == "VARCHAR" || from == "JSON"
	v := "trim(" + id + "::VARCHAR)"
	switch {
	case IsIntegerType(to):
		return wholeSQL(id, from), "is not a whole number"
	case to == "DATE" && text:
		// Short text is a bare date: only longer text is cast twice.
		ts := "TRY_CAST(" + v + " AS TIMESTAMP)"
		return "(length(" + id + "::VARCHAR) <= 10 OR coalesce(" + ts + " = TRY_CAST(" + v + " AS DATE), true))", "has a time of day"
	case to == "TIMESTAMP" && text:
		// Up to seconds without an offset is 19 characters: only longer
		// text is matched.
		return "(length(" + id + "::VARCHAR) <= 19 OR NOT regexp_matches(" + v + ", '[+-][0-9]{2}(:?[0-9]{2})?$') OR regexp_matches(" + v + ", '[+-]00(:?00)?$'))",
			"has a UTC offset"
	}
	return "", ""
}

// wholeSQL is a condition that a value of type from, known to cast to an
// integer, is a whole number; "" when every such value is.
func wholeSQL(id, from string) string {
	switch {
	case IsIntegerType(from):
		return ""
	case from == "VARCHAR" || from == "JSON":
		// Text without a point or an exponent casts exactly, as do hex
		// integers; a plain decimal is whole when its fraction is zeros
		// (decided on the text, so any number of digits); an exponent form
		// is decided as a double. Every branch is true or false, never
		// NULL, or a row would be neither loaded nor quarantined.
		raw, v := id+"::VARCHAR", "trim("+id+"::VARCHAR)"
		d := "TRY_CAST(" + v + " AS DOUBLE)"
		return "(CASE WHEN NOT contains(" + raw + ", '.') AND NOT contains(" + raw + ", 'e') AND NOT contains(" + raw + ", 'E') THEN true" +
			" WHEN regexp_full_match(" + v + ", '[+-]?0[xX][0-9a-fA-F]+') THEN true" +
			" WHEN regexp_full_match(" + v + ", '[+-]?[0-9]*\\.[0-9]*') THEN regexp_full_match(" + v + ", '[+-]?[0-9]*\\.0*')" +
			" ELSE coalesce(" + d + " = trunc(" + d + "), false) END)"
	case IsNumericType(from):
		return "coalesce(" + id + " = trunc(" + id + "), false)"
	}
	return ""
}

func isScalarType(t string) bool {
	return !strings.ContainsAny(t, "([") && t != "JSON" && !strings.HasPrefix(t, "STRUCT") && !strings.HasPrefix(t, "MAP")
}
