package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// loadBoth loads content into bronze.fast as it is, and into bronze.careful
// with a byte-order mark before it, which sends the file down the careful
// path (staged, every value read as text and cast); first, when given, is
// loaded into both before, to fix the tables' types. It returns each
// table's rows and quarantine as text.
func loadBoth(t *testing.T, first, content string) (fast, careful string) {
	t.Helper()
	lh := openTemp(t)
	dir := t.TempDir()
	for _, table := range []string{"fast", "careful"} {
		if first != "" {
			ingestText(t, lh, table+"_first.json", first, table)
		}
		text := content
		if table == "careful" {
			text = "\uFEFF" + content
		}
		p := writeFile(t, dir, table+".json", text)
		res, err := lh.Ingest(context.Background(), []string{p}, IngestOptions{Table: TableName{"bronze", table}})
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsRead != res.RowsLoaded+res.RowsQuarantined {
			t.Errorf("%s: read %d, loaded %d, quarantined %d", table, res.RowsRead, res.RowsLoaded, res.RowsQuarantined)
		}
		rows, err := lh.Query(context.Background(), "select * exclude (_source_file, _ingested_at, _batch_id) from bronze."+table+" order by all")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		fmt.Fprintln(&b, rows.Columns)
		for _, r := range rows.Rows {
			fmt.Fprintf(&b, "%#v\n", r)
		}
		fmt.Fprintln(&b, "quarantine:")
		q := quarantined(t, lh, table)
		for line := int64(1); line <= int64(strings.Count(content, "\n")+1); line++ {
			if r, ok := q[line]; ok {
				fmt.Fprintf(&b, "%d: %s\n", line, r)
			}
		}
		if table == "fast" {
			fast = b.String()
		} else {
			careful = b.String()
		}
	}
	return fast, careful
}

// TestIngestJSONTypedReadExact: columns DuckDB reads typed hold exactly
// what the careful path (text cast to the column's type, with its checks)
// holds, value for value, and the same lines are quarantined for the same
// reasons, for edge values of every type read typed and for values that
// must not be read typed.
func TestIngestJSONTypedReadExact(t *testing.T) {
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	tests := []struct {
		name, first, content string
		typed                []string // columns the fast path reads typed
	}{
		{"sniffed types", "", lines(
			`{"i":0,"d":0.1,"ts":"2026-01-01T10:00:00","dt":"2024-02-29","b":true,"s":"x","n":{"a":1},"z":null}`,
			`{"i":-1,"d":-0.0,"ts":"2026-01-01 10:00:00.5","dt":"0001-01-01","b":false,"s":"a\"b\\c\u00e9😀","n":[1,2],"z":null}`,
			`{"i":999999999999999999,"d":1e250,"ts":"2026-12-31T23:59:59.999999","dt":"9999-12-31","b":null,"s":"","n":{},"z":null}`,
			`{"i":-999999999999999999,"d":-1.5e-250,"ts":"2000-02-29T00:00:00.000001","dt":"2000-02-29","s":"2026-01-01"}`,
			`{"i":42,"d":3.141592653589793238462643383279,"ts":"2026-01-01","dt":"2026-01-01","b":true,"s":"1"}`,
			`{"d":12345678901234567890,"ts":"1999-12-31T23:59:59.12","s":"null"}`,
			`{"d":1E5,"i":7}`,
			`{"d":0.30000000000000004,"i":1}`,
			`{"d":2.2250738585072014e-250,"i":2}`,
		), []string{"i", "d", "ts", "dt", "b"}},
		{"values that must not be read typed", `{"i":1,"d":1.5,"ts":"2026-01-01T00:00:00","dt":"2026-01-01","b":true}` + "\n", lines(
			`{"i":2.5,"d":1e400,"ts":"2026-01-01T10:00:00+02:00","dt":"2024-01-03 10:00:00","b":"true"}`,
			`{"i":"12","d":"1.5","ts":"2026-01-01T10:00:00Z","dt":"2023-02-29","b":1}`,
			`{"i":4.0,"d":5e-324,"ts":"2026-01-01T24:00:00","dt":"0000-01-01","b":"yes"}`,
			`{"i":12345678901234567890,"d":-1e-400,"ts":"2026-01-01T10:00:00.1234567","dt":"2024-1-3","b":false}`,
			`{"i":1e2,"d":"NaN","ts":"2026-01-01T10:00:00-00:00","dt":" 2024-01-03","b":null}`,
			`{"i":9223372036854775807,"d":1,"ts":"2026-13-01T10:00:00","dt":"2024-01-32"}`,
			`{"i":-9223372036854775809,"ts":"2026-01-01T10:00","dt":"2024-01-03"}`,
			`{"i":-0,"d":-0}`,
		), nil},
		{"existing types, typed values", `{"i":1,"d":1.5,"ts":"2026-01-01T00:00:00","dt":"2026-01-01","b":true}` + "\n", lines(
			`{"i":2,"d":2,"ts":"2026-01-02","dt":"2026-01-02","b":false}`,
			`{"i":null,"d":-0.25,"ts":"2026-01-02 03:04:05.678","dt":null}`,
		), []string{"i", "d", "ts", "dt", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The file is plain, so the fast path reads it; check which
			// columns it reads typed.
			p := writeFile(t, t.TempDir(), "check.json", tc.content)
			_, c, err := checkJSONLinesChunked(p, 10, false)
			if err != nil || !c.plain || len(c.bad) > 0 {
				t.Fatalf("the file is not plain (%v, %v, %v)", err, c.plain, c.bad)
			}
			types := map[string]string{"i": "BIGINT", "d": "DOUBLE", "ts": "TIMESTAMP", "dt": "DATE", "b": "BOOLEAN"}
			var typed []string
			for _, col := range []string{"i", "d", "ts", "dt", "b"} {
				if typedReadable(types[col], c.kinds[col]) {
					typed = append(typed, col)
				}
			}
			if fmt.Sprint(typed) != fmt.Sprint(tc.typed) {
				t.Errorf("typed columns %v, want %v", typed, tc.typed)
			}
			fast, careful := loadBoth(t, tc.first, tc.content)
			if fast != careful {
				t.Errorf("the fast path loaded\n%s\nthe careful path\n%s", fast, careful)
			}
		})
	}
}

// TestIngestJSONHugeLines: a line longer than a check chunk (and than
// DuckDB's default maximum object size) loads, in a plain file and in one
// with a bad line (read from the staged copy). It comes after the type
// sample's lines, with their keys: DuckDB's type detection is slow on it.
func TestIngestJSONHugeLines(t *testing.T) {
	var head strings.Builder
	for i := range jsonSampleLines {
		fmt.Fprintf(&head, `{"id":%d,"s":"a"}`+"\n", i)
	}
	big := `{"id":-1,"s":"` + strings.Repeat("x", 17<<20) + `"}` + "\n"
	lh := openTemp(t)
	res := ingestText(t, lh, "plain.json", head.String()+big, "huge")
	if res.RowsLoaded != jsonSampleLines+1 {
		t.Errorf("plain: loaded %d, want %d", res.RowsLoaded, jsonSampleLines+1)
	}
	res = ingestText(t, lh, "bad.json", head.String()+big+`{"id":`+"\n", "huge")
	if res.RowsLoaded != jsonSampleLines+1 || res.RowsQuarantined != 1 {
		t.Errorf("with a bad line: loaded %d, quarantined %d; want %d, 1", res.RowsLoaded, res.RowsQuarantined, jsonSampleLines+1)
	}
	got := queryRow(t, lh, "select sum(length(s)) from bronze.huge")
	if want := fmt.Sprintf("[[%d]]", 2*(17<<20+jsonSampleLines)); got != want {
		t.Errorf("lengths add to %s, want %s", got, want)
	}
}

// TestIngestJSONTextKeepsNumbers: a number in a column typed as text is
// stored as written, not as DuckDB renders the number it parses (1E+2 as
// "100.0"): in the type sample and past it, on the fast path and the
// careful one, in a new table and an existing one; an object or an array
// there keeps its text too. A -0 in a BIGINT column still loads as 0.
func TestIngestJSONTextKeepsNumbers(t *testing.T) {
	written := map[int]string{3: `1E+2`, 10020: `0.10`, 10030: `-0`, 10040: `12345678901234567890123`, 10045: `1.5e-7`, 10048: `[1.0, {"a": 2E1}]`}
	var b strings.Builder
	for i := 1; i <= 10050; i++ {
		code := fmt.Sprintf(`"c%d"`, i)
		if v, ok := written[i]; ok {
			code = v
		}
		id := fmt.Sprint(i)
		if i == 10049 {
			id = "-0"
		}
		fmt.Fprintf(&b, `{"id":%s,"code":%s}`+"\n", id, code)
	}
	fast, careful := loadBoth(t, `{"id":0,"code":"z"}`+"\n", b.String())
	for _, got := range []string{fast, careful} {
		for i, v := range written {
			if want := fmt.Sprintf("[]interface {}{%d, %q}", i, v); !strings.Contains(got, want) {
				t.Errorf("line %d: want %s in\n%.400s", i, want, got)
			}
		}
		if !strings.Contains(got, `[]interface {}{0, "c10049"}`) {
			t.Errorf("-0 in a BIGINT column: want 0 in\n%.400s", got)
		}
	}
	lh := openTemp(t)
	res := ingestText(t, lh, "new.json", b.String(), "fresh")
	if res.RowsLoaded != 10050 {
		t.Fatalf("loaded %d", res.RowsLoaded)
	}
	if got := queryRow(t, lh, "select typeof(code), code from bronze.fresh where id = 3"); got != "[[VARCHAR 1E+2]]" {
		t.Errorf("new table: got %s, want [[VARCHAR 1E+2]]", got)
	}
}

// TestCheckJSONMappedAsRead: the check of a mapped file cuts the same
// chunks as the check that reads the file into buffers (so the type
// sample's rare-key lines are the same), and finds the same lines, kinds
// and hash: files of several chunks, a first chunk that grows to hold the
// sample's lines, a line longer than a chunk, a file of exactly a chunk's
// size, no final line end, bad lines across chunk ends.
func TestCheckJSONMappedAsRead(t *testing.T) {
	line := func(b *strings.Builder, n, width int) {
		fmt.Fprintf(b, `{"id":%d,"s":"%s","k%d":%d}`+"\n", n, strings.Repeat("x", width), n%7, n)
	}
	files := map[string]string{}
	var b strings.Builder
	for n := 0; b.Len() < 2*jsonChunkSize+12345; n++ {
		if n%40000 == 39999 {
			b.WriteString(`{"id":` + "\n") // bad
			continue
		}
		line(&b, n, n%300)
	}
	files["several chunks, no final line end"] = strings.TrimSuffix(b.String(), "\n")
	b.Reset()
	for n := 0; b.Len() < jsonChunkSize/2; n++ {
		line(&b, n, 20000) // few lines per chunk: the first grows
	}
	files["first chunk grows"] = b.String()
	b.Reset()
	line(&b, 1, 10)
	line(&b, 2, jsonChunkSize+100) // longer than a chunk
	line(&b, 3, 10)
	files["a line longer than a chunk"] = b.String()
	b.Reset()
	for n := 0; b.Len() < jsonChunkSize-200; n++ {
		line(&b, n, 50)
	}
	pad := jsonChunkSize - b.Len() - len(`{"id":0,"s":""}`)
	fmt.Fprintf(&b, `{"id":0,"s":"%s"}`, strings.Repeat("y", pad))
	if b.Len() != jsonChunkSize {
		t.Fatalf("the exact file is %d bytes", b.Len())
	}
	files["exactly one chunk, no final line end"] = b.String()
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "f.json", content)
			for _, quota := range []int{10, jsonSampleLines} {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				mh, mc, err, ok := checkJSONLinesMapped(f, quota, true, nil)
				if err != nil || !ok {
					t.Fatalf("mapped: %v, %v", err, ok)
				}
				rh, rc, err := checkJSONLinesRead(f, quota, true, nil)
				if err != nil {
					t.Fatal(err)
				}
				if mh != rh || !reflect.DeepEqual(mc, rc) {
					t.Errorf("quota %d: mapped %s, %d lines, %d good, %d bad, %d head, %d rare; read %s, %d, %d, %d, %d, %d",
						quota, mh, mc.lines, mc.good, len(mc.bad), len(mc.head), len(mc.rare), rh, rc.lines, rc.good, len(rc.bad), len(rc.head), len(rc.rare))
				}
			}
		})
	}
}

// TestCheckJSONMappedShrinks: a file cut short while it is mapped (a
// writer truncating it mid-load) fails the check with errFileChanged; the
// reads of its lost pages fault, which must not crash the process.
func TestCheckJSONMappedShrinks(t *testing.T) {
	var b strings.Builder
	for n := 0; b.Len() < 3*jsonChunkSize; n++ {
		fmt.Fprintf(&b, `{"id":%d,"s":"some text"}`+"\n", n)
	}
	path := writeFile(t, t.TempDir(), "f.json", b.String())
	mappedHook = func() {
		if err := os.Truncate(path, 4096); err != nil {
			t.Error(err)
		}
	}
	defer func() { mappedHook = nil }()
	_, _, err := checkJSONLinesChunked(path, 10, true)
	if !errors.Is(err, errFileChanged) {
		t.Fatalf("got %v, want errFileChanged", err)
	}
}

// TestCheckJSONSamplesAsOnePass: the chunked check's type sample is the
// one a single pass over the file takes (keySampler, as the staged path
// samples): the first quota lines, then lines with a key seen fewer than
// jsonKeySample times in the sample so far. A key first seen in a late
// chunk is sampled; a key common in the first chunk brings no line of a
// later chunk into the sample (each chunk used to add its first lines).
func TestCheckJSONSamplesAsOnePass(t *testing.T) {
	var b strings.Builder
	n := 0
	for b.Len() < 4*jsonChunkSize {
		n++
		fmt.Fprintf(&b, `{"id":%d,"s":"%s"`, n, strings.Repeat("x", n%40))
		switch {
		case b.Len() > 2*jsonChunkSize && n%7 == 0:
			b.WriteString(`,"late":1`) // first seen in the third chunk
		case n%50000 == 0:
			b.WriteString(`,"rare":"r"`)
		case b.Len() > jsonChunkSize && b.Len() < 3*jsonChunkSize && n%997 == 0:
			b.WriteString(`,"mid":2.5`)
		}
		if n%90001 == 0 {
			b.WriteString("\n{\"bad\":\n") // a bad line, not sampled
		}
		b.WriteString("}\n")
	}
	path := writeFile(t, t.TempDir(), "f.json", b.String())
	for _, quota := range []int{10, jsonSampleLines} {
		_, c, err := checkJSONLinesChunked(path, quota, true)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		k := keySampler{seen: map[string]int{}}
		for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if jsonProblem([]byte(line)) != "" {
				continue
			}
			if k.sample([]byte(line), len(want) < quota) {
				want = append(want, line)
			}
		}
		var got []string
		for _, obj := range append(c.head, c.rare...) {
			got = append(got, string(obj))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("quota %d: the chunked check sampled %d lines, one pass %d", quota, len(got), len(want))
		}
		if c.good+int64(len(c.bad)) != c.lines || len(c.bad) == 0 {
			t.Errorf("quota %d: %d lines, %d good, %d bad", quota, c.lines, c.good, len(c.bad))
		}
	}
}

// TestIngestJSONLateSampleResniffed: types are sniffed from a file's first
// chunk while the rest is checked; a line of a later chunk that joins the
// sample (a key first seen there) has them sniffed again, so the late key
// becomes a column with every value, typed from its own.
func TestIngestJSONLateSampleResniffed(t *testing.T) {
	var b strings.Builder
	var lateSum, rows int
	for b.Len() < 2*jsonChunkSize+jsonChunkSize/2 {
		rows++
		fmt.Fprintf(&b, `{"id":%d,"v":%d,"s":"%s"`, rows, rows%1000, strings.Repeat("z", rows%30))
		if b.Len() > 2*jsonChunkSize && rows%3 == 0 {
			fmt.Fprintf(&b, `,"late":%d`, rows)
			lateSum += rows
		}
		b.WriteString("}\n")
	}
	lh := openTemp(t)
	res := ingestText(t, lh, "late.json", b.String(), "late")
	if res.RowsLoaded != int64(rows) || res.RowsQuarantined != 0 {
		t.Fatalf("loaded %d, quarantined %d; want %d, 0", res.RowsLoaded, res.RowsQuarantined, rows)
	}
	if got, want := queryRow(t, lh, "select sum(late), typeof(any_value(late)) from bronze.late"), fmt.Sprintf("[[%d BIGINT]]", lateSum); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestFirstLoadOfMixedFormats: one load of a CSV and a JSON file into a
// table that does not exist yet: the CSV file's load makes the table, and
// the JSON file's then adds its own column to it, rather than taking the
// table for missing (the load starts knowing it has no columns).
func TestFirstLoadOfMixedFormats(t *testing.T) {
	lh := openTemp(t)
	dir := t.TempDir()
	csv := writeFile(t, dir, "a.csv", "id,name\n1,x\n2,y\n")
	js := writeFile(t, dir, "b.json", `{"id":3,"name":"z","extra":true}`+"\n"+`{"id":4,"name":"w","extra":false}`+"\n")
	res, err := lh.Ingest(context.Background(), []string{csv, js}, IngestOptions{Table: TableName{"bronze", "mixed"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 4 || res.RowsQuarantined != 0 {
		t.Fatalf("loaded %d, quarantined %d; want 4 and 0", res.RowsLoaded, res.RowsQuarantined)
	}
	rows, err := lh.Query(context.Background(), "select id, name, extra from bronze.mixed order by id")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rows.Rows); got != "[[1 x <nil>] [2 y <nil>] [3 z true] [4 w false]]" {
		t.Fatalf("rows %s", got)
	}
}
