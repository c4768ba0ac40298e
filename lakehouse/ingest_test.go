package lakehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ingestText writes content to a file and ingests it into bronze.table.
func ingestText(t *testing.T, lh *Lakehouse, file, content, table string) *IngestResult {
	t.Helper()
	p := writeFile(t, t.TempDir(), file, content)
	res, err := lh.Ingest(context.Background(), []string{p}, IngestOptions{Table: TableName{"bronze", table}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// quarantined returns line -> reason of a table's quarantine.
func quarantined(t *testing.T, lh *Lakehouse, table string) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	ok, _ := lh.TableExists(context.Background(), TableName{"bronze", table + "_quarantine"})
	if !ok {
		return out
	}
	res, err := lh.Query(context.Background(), "select _line, _reason from bronze."+table+"_quarantine order by _line")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		out[r[0].(int64)] = r[1].(string)
	}
	return out
}

func TestIngestMalformed(t *testing.T) {
	good := "id,name,amount,day\n1,ann,1.5,2026-01-01\n2,bob,2.5,2026-01-02\n"
	tests := []struct {
		name       string
		first      string // loaded before, to fix the table's types
		file       string
		content    string
		wantLoaded int64
		wantBad    map[int64]string // line -> substring of the reason
	}{
		{"clean csv", "", "a.csv", good, 2, nil},
		{"too many columns", "", "a.csv", good + "3,cy,3.5,2026-01-03,extra\n4,di,4.5,2026-01-04\n", 3, map[int64]string{4: ""}},
		{"too few columns", "", "a.csv", good + "3,cy\n4,di,4.5,2026-01-04\n", 3, map[int64]string{4: ""}},
		{"wrong type", good, "a.csv", good + "3,cy,abc,2026-01-03\n4,di,4.5,not-a-date\n5,ed,5.5,2026-01-05\n", 5, map[int64]string{4: "amount", 5: "day"}},
		{"unterminated quote mid-file", "", "a.csv", good + "3,\"cy,3.5,2026-01-03\n4,di,4.5,2026-01-04\n5,ed,5.5,2026-01-05\n", 4, map[int64]string{4: "unterminated"}},
		{"invalid utf8", "", "a.csv", good + "3,c\xff\xfey,3.5,2026-01-03\n4,di,4.5,2026-01-04\n", 3, map[int64]string{4: "UTF-8"}},
		{"empty lines and crlf", "", "a.csv", "id,name,amount,day\r\n1,ann,1.5,2026-01-01\r\n\r\n2,bob,2.5,2026-01-02\r\n", 2, nil},
		{"quoted newline", "", "a.csv", good + "3,\"c\ny\",3.5,2026-01-03\n", 3, nil},
		{"semicolons", "", "a.csv", "id;name;amount;day\n1;ann;1,5;2026-01-01\n2;bob;2;2026-01-02\n", 2, nil},
		{"json lines", "", "a.json", `{"id":1,"name":"ann","amount":1.5}` + "\n" + `{"id":2,"name":"bob","amount":2.5}` + "\n", 2, nil},
		{"json malformed", `{"id":1,"name":"ann","amount":1.5}` + "\n", "a.json", `{"id":1,"name":"ann","amount":1.5}` + "\n" + `{"id":2,"name":"bob"` + "\n\n" + `[1,2]` + "\n" + `{"id":"x","amount":3}` + "\n" + `{"id":4,"amount":"4.5"}` + "\n", 3, map[int64]string{2: "invalid JSON", 4: "not a JSON object", 5: "id: cannot convert"}},
		{"json bad utf8", "", "a.json", `{"id":1}` + "\n" + "{\"id\":2,\"n\":\"\xff\"}\n", 1, map[int64]string{2: "UTF-8"}},
		{"json one object over many lines", "", "a.json", "{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n", 1, nil},
		{"lone CR line ends", "", "a.csv", "id,name\r1,a\r2,b\r", 2, nil},
		{"fraction in an integer column", "id,n\n1,2\n", "a.csv", "id,n\n2,3\n3,2008.5\n4,7.0\n5,1e-1\n6,abc\n", 3,
			map[int64]string{3: `n: "2008.5" is not a whole number`, 5: "not a whole number", 6: "Could not convert"}},
		{"json fraction in an integer column", `{"id":1,"n":2}` + "\n", "a.json", `{"id":2,"n":2.5}` + "\n" + `{"id":3,"n":4.0}` + "\n" + `{"id":4,"n":"5"}` + "\n", 3,
			map[int64]string{1: "n: 2.5 is not a whole number"}},
		{"json lone CR line ends", "", "a.json", `{"a":1}` + "\r" + `{"a":2}` + "\r\n" + `{"a":3}`, 3, nil},
		{"json byte-order mark and blank lines", "", "a.json", "\uFEFF" + `{"a":1}` + "\n\n  \n" + `{"a":2}` + "\n", 2, nil},
		{"json unicode spaces around objects", "", "a.json", `{"a":1}` + "\u00a0\n\u3000" + `{"a":2}` + "\n", 2, nil},
		{"json duplicate key and lone surrogate", "", "a.json", `{"a":1}` + "\n" + `{"a":2,"a":3}` + "\n" + `{"a":"\ud800"}` + "\n" + `{"a":"\ud83d\ude00 \\ud800"}` + "\n", 2,
			map[int64]string{2: "appears twice", 3: "surrogate"}},
		{"json text into an integer column", `{"id":0}` + "\n", "a.json", `{"id":1}` + "\n" + `{"id":"0xE"}` + "\n" + `{"id":"12345678901234567.8"}` + "\n" + `{"id":" 5.000 "}` + "\n" + `{"id":"1e-22"}` + "\n", 4,
			map[int64]string{3: "not a whole number", 5: "not a whole number"}},
		{"json array", "", "a.json", "[\n  {\"id\": 1, \"v\": \"a\"},\n  {\"id\": 2, \"v\": \"b\"},\n  3\n]\n", 2, map[int64]string{4: "not a JSON object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lh := openTemp(t)
			dir := t.TempDir()
			var before int64
			if tc.first != "" {
				res, err := lh.Ingest(context.Background(), []string{writeFile(t, dir, "first"+filepath.Ext(tc.file), tc.first)}, IngestOptions{Table: TableName{"bronze", "t"}})
				if err != nil {
					t.Fatal(err)
				}
				before = res.RowsLoaded
			}
			p := writeFile(t, dir, tc.file, tc.content)
			res, err := lh.Ingest(context.Background(), []string{p}, IngestOptions{Table: TableName{"bronze", "t"}})
			if err != nil {
				t.Fatal(err)
			}
			if before+res.RowsLoaded != tc.wantLoaded || res.RowsQuarantined != int64(len(tc.wantBad)) {
				t.Errorf("got loaded %d, quarantined %d; want %d, %d", res.RowsLoaded, res.RowsQuarantined, tc.wantLoaded, len(tc.wantBad))
			}
			if res.RowsRead != res.RowsLoaded+res.RowsQuarantined {
				t.Errorf("read %d != loaded %d + quarantined %d", res.RowsRead, res.RowsLoaded, res.RowsQuarantined)
			}
			q := quarantined(t, lh, "t")
			for line, want := range tc.wantBad {
				got, ok := q[line]
				if !ok || !strings.Contains(got, want) {
					t.Errorf("line %d: got reason %q (present %v), want it to mention %q; all: %v", line, got, ok, want, q)
				}
			}
			n, err := lh.Count(context.Background(), "select * from bronze.t")
			if err != nil || n != tc.wantLoaded {
				t.Errorf("bronze.t has %d rows (%v), want %d", n, err, tc.wantLoaded)
			}
		})
	}
}

func writeParquet(t *testing.T, path string, cols []Column, rows [][]any) {
	t.Helper()
	w, err := CreateParquet(path, cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Append(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestIngestParquet(t *testing.T) {
	lh := openTemp(t)
	dir := t.TempDir()
	ctx := context.Background()
	a := filepath.Join(dir, "a_2026-01-01.parquet")
	b := filepath.Join(dir, "b_2026-01-02.parquet")
	c := filepath.Join(dir, "c_2026-01-03.parquet")
	writeParquet(t, a, []Column{{"id", "BIGINT"}, {"amount", "DOUBLE"}}, [][]any{{int64(1), 1.5}, {int64(2), 2.5}})
	writeParquet(t, b, []Column{{"id", "BIGINT"}, {"amount", "DOUBLE"}, {"note", "VARCHAR"}}, [][]any{{int64(3), 3.5, "new column"}})
	// id as text: "4" casts, "x" does not.
	writeParquet(t, c, []Column{{"id", "VARCHAR"}, {"amount", "DOUBLE"}}, [][]any{{"4", 4.5}, {"x", 5.5}})
	res, err := lh.Ingest(ctx, []string{a, b, c}, IngestOptions{Table: TableName{"bronze", "p"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsRead != 5 || res.RowsLoaded != 4 || res.RowsQuarantined != 1 {
		t.Errorf("read %d, loaded %d, quarantined %d; want 5, 4, 1", res.RowsRead, res.RowsLoaded, res.RowsQuarantined)
	}
	q := quarantined(t, lh, "p")
	if !strings.Contains(q[2], "id: cannot convert x to BIGINT") {
		t.Errorf("quarantine %v, want row 2 with the id that does not convert", q)
	}
	got, err := lh.Query(ctx, "select id, note, _batch_id from bronze.p order by id")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Rows) != "[[1 <nil> 2026-01-01] [2 <nil> 2026-01-01] [3 new column 2026-01-02] [4 <nil> 2026-01-03]]" {
		t.Errorf("rows %v", got.Rows)
	}

	// A truncated file and a CSV named .parquet are refused, loading nothing.
	data, _ := os.ReadFile(a)
	trunc := writeFile(t, dir, "t.parquet", string(data[:len(data)-10]))
	notPQ := writeFile(t, dir, "n.parquet", "id,amount\n1,2\n")
	for _, f := range []string{trunc, notPQ} {
		_, err := lh.Ingest(ctx, []string{f}, IngestOptions{Table: TableName{"bronze", "p"}})
		if err == nil || !strings.Contains(err.Error(), filepath.Base(f)) || !strings.Contains(err.Error(), "Parquet") {
			t.Errorf("%s: got %v, want an error naming the file and saying it is not good Parquet", filepath.Base(f), err)
		}
	}
	if n, _ := lh.Count(ctx, "select * from bronze.p"); n != 4 {
		t.Errorf("bronze.p has %d rows after refused loads, want 4", n)
	}
}

// TestSniffCRLFWithoutFinalNewline: a CRLF file whose last line has no line
// end (common in exports) must still get its types detected.
func TestSniffCRLFWithoutFinalNewline(t *testing.T) {
	lh := openTemp(t)
	p := writeFile(t, t.TempDir(), "w.csv", "lon,lat,dir\r\n0.125,45.125,228\r\n0.375,45.125,229")
	if _, err := lh.Ingest(context.Background(), []string{p}, IngestOptions{Table: TableName{"bronze", "w"}}); err != nil {
		t.Fatal(err)
	}
	res, err := lh.Query(context.Background(), "select typeof(lon), typeof(dir) from bronze.w limit 1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[DOUBLE BIGINT]]" {
		t.Errorf("types %v, want DOUBLE and BIGINT", res.Rows)
	}
}

// beyondSample is a CSV of n clean rows (an id, a small integer, a text),
// more than the type sniffer samples; tests add rows after them.
func beyondSample(header string, n int) *strings.Builder {
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d,%d,n%d\n", i, i%7, i)
	}
	return &b
}

// TestIngestLargeFileFractionAfterSample puts a fraction in an integer
// column after the rows DuckDB's sniffer samples, where its cast would
// round it: the row is quarantined, and whole values keep their value.
func TestIngestLargeFileFractionAfterSample(t *testing.T) {
	n := sniffSampleRecords + 5000
	b := beyondSample("id,qty,name", n)
	fmt.Fprintf(b, "%d,2008.5,late\n%d,12.0,whole\n", n+1, n+2)
	lh := openTemp(t)
	res := ingestText(t, lh, "big.csv", b.String(), "big")
	if res.RowsLoaded != int64(n+1) || res.RowsQuarantined != 1 {
		t.Fatalf("loaded %d, quarantined %d; want %d, 1", res.RowsLoaded, res.RowsQuarantined, n+1)
	}
	q := quarantined(t, lh, "big")
	if r := q[int64(n+2)]; !strings.Contains(r, "not a whole number") {
		t.Errorf("line %d: reason %q; all %v", n+2, r, q)
	}
	got, err := lh.Query(context.Background(), fmt.Sprintf("select qty, typeof(qty) from bronze.big where id = %d", n+2))
	if err != nil || len(got.Rows) != 1 || fmt.Sprint(got.Rows[0]) != "[12 BIGINT]" {
		t.Errorf("the whole value 12.0: got %v (%v), want [12 BIGINT]", got, err)
	}
}

// TestIngestSchemaHints: a hint types a column on creation, alters a stored
// column to it later, and an unknown type is refused before anything loads.
func TestIngestSchemaHints(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	dir := t.TempDir()
	table := TableName{"bronze", "h"}
	first := writeFile(t, dir, "a.csv", "id,qty,code\n1,2,007\n")
	if _, err := lh.Ingest(ctx, []string{first}, IngestOptions{Table: table, SchemaHints: map[string]string{"CODE": "varchar"}}); err != nil {
		t.Fatal(err)
	}
	second := writeFile(t, dir, "b.csv", "id,qty,code\n2,2.5,010\n")
	if _, err := lh.Ingest(ctx, []string{second}, IngestOptions{Table: table, SchemaHints: map[string]string{"qty": "money"}}); err == nil || !strings.Contains(err.Error(), `"money" is not a DuckDB type`) {
		t.Fatalf("unknown type: got %v", err)
	}
	if _, err := lh.Ingest(ctx, []string{second}, IngestOptions{Table: table, SchemaHints: map[string]string{"code": "INTEGER"}}); err == nil ||
		!strings.Contains(err.Error(), `1 values already stored in bronze.h (VARCHAR) would change or be lost, such as "007"`) {
		t.Fatalf("a hint that would rewrite stored values: got %v", err)
	}
	res, err := lh.Ingest(ctx, []string{second}, IngestOptions{Table: table, SchemaHints: map[string]string{"qty": "DOUBLE"}})
	if err != nil || res.RowsLoaded != 1 {
		t.Fatalf("loaded %v, %v", res, err)
	}
	got, err := lh.Query(ctx, "select string_agg(qty::VARCHAR || '/' || code, ' ' order by id), any_value(typeof(qty)) from bronze.h")
	if err != nil || fmt.Sprint(got.Rows[0]) != "[2.0/007 2.5/010 DOUBLE]" {
		t.Errorf("got %v (%v), want [2.0/007 2.5/010 DOUBLE]", got.Rows, err)
	}
}

// TestIngestJSONLateKeys: a key that first appears after the sniffer's
// sample, or only in a later file of the batch, still becomes a column.
func TestIngestJSONLateKeys(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	dir := t.TempDir()
	var a strings.Builder
	n := jsonSampleLines + 500
	for i := 1; i <= n; i++ {
		if i > jsonSampleLines+100 && i%2 == 0 {
			fmt.Fprintf(&a, `{"id":%d,"late":"v%d","nested":{"x":{"deep":1}}}`+"\n", i, i)
			continue
		}
		fmt.Fprintf(&a, `{"id":%d,"nested":{"x":1}}`+"\n", i)
	}
	first := writeFile(t, dir, "a.json", a.String())
	second := writeFile(t, dir, "b.json", `{"id":-1,"only_here":2.5}`+"\n"+`{"id":-2,"only_here":null,"esc\"aped":"q"}`+"\n")
	res, err := lh.Ingest(ctx, []string{first, second}, IngestOptions{Table: TableName{"bronze", "j"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != int64(n+2) || res.RowsQuarantined != 0 {
		t.Fatalf("loaded %d, quarantined %d; want %d, 0", res.RowsLoaded, res.RowsQuarantined, n+2)
	}
	got, err := lh.Query(ctx, `select count(late), count(only_here), sum(only_here), count("esc""aped") from bronze.j`)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(got.Rows[0]); s != "[200 1 2.5 1]" {
		t.Errorf("got %s, want [200 1 2.5 1]", s)
	}
}

func TestTopKeys(t *testing.T) {
	for in, want := range map[string]string{
		`{}`: "[]",
		`{"a":1,"b":[1,{"c":2}],"d":{"e":{"f":3}},"g":"x,\"y"}`: "[a b d g]",
		` { "a" : "}" , "b\"c" : [ ] } `:                        `[a b\"c]`,
	} {
		var got []string
		for _, k := range topKeys([]byte(in), nil) {
			got = append(got, string(k))
		}
		if s := fmt.Sprint(got); s != want && !(want == "[]" && got == nil) {
			t.Errorf("topKeys(%s) = %s, want %s", in, s, want)
		}
	}
}

// TestIngestNullValues: with NA as a null marker, or by default (NA is a
// null token), a numeric column with NA in it keeps its type and the NA
// rows load with NULL; with other null values given, they win: NA is text
// and the column too.
func TestIngestNullValues(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	content := "id,score,when\n1,2.5,2026-01-01\n2,NA,NA\n3,4,2026-01-03\n"
	for _, tc := range []struct {
		nulls []string
		want  string
	}{
		{[]string{"NA"}, "[3 1 DOUBLE DATE]"},
		{nil, "[3 1 DOUBLE DATE]"},
		{[]string{"-"}, "[3 0 VARCHAR VARCHAR]"},
	} {
		lh := openTemp(t)
		p := writeFile(t, dir, "a.csv", content)
		res, err := lh.Ingest(ctx, []string{p}, IngestOptions{Table: TableName{"bronze", "n"}, NullValues: tc.nulls})
		if err != nil || res.RowsQuarantined != 0 {
			t.Fatalf("nulls %v: %v, %v", tc.nulls, res, err)
		}
		got, err := lh.Query(ctx, "select count(*), count(*) filter (where score is null), any_value(typeof(score)), any_value(typeof(\"when\")) from bronze.n")
		if err != nil || fmt.Sprint(got.Rows[0]) != tc.want {
			t.Errorf("nulls %v: got %v (%v), want %s", tc.nulls, got.Rows, err, tc.want)
		}
	}
}

// TestIngestBigJSONChunked: a JSON lines file big enough to be checked in
// parallel chunks finds the same bad lines, with the same numbers, and the
// same content hash, as the line-by-line check.
func TestIngestBigJSONChunked(t *testing.T) {
	var b strings.Builder
	n := 0
	bad := map[int64]string{}
	for b.Len() < 3*jsonChunkSize {
		n++
		switch {
		case n%50000 == 0:
			b.WriteString(`{"id":` + fmt.Sprint(n) + `,"v":` + "\n")
			bad[int64(n)] = "invalid JSON"
		case n%70001 == 0:
			b.WriteString("[1]\n")
			bad[int64(n)] = "not a JSON object"
		default:
			fmt.Fprintf(&b, `{"id":%d,"v":"%s","late":%d}`+"\n", n, strings.Repeat("x", n%40), n%3)
		}
	}
	path := writeFile(t, t.TempDir(), "big.json", b.String())
	hash, c, err := checkJSONLinesChunked(path, 10, true)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr := newLineReader(f)
	for {
		if _, err := lr.next(); err != nil {
			break
		}
	}
	if hash != lr.sum() {
		t.Errorf("chunked hash %s, line-by-line %s", hash, lr.sum())
	}
	if c.lines != int64(n) || c.good != int64(n-len(bad)) || len(c.bad) != len(bad) || !c.plain {
		t.Errorf("lines %d good %d bad %d plain %v; want %d, %d, %d, true", c.lines, c.good, len(c.bad), c.plain, n, n-len(bad), len(bad))
	}
	for _, bl := range c.bad {
		if want, ok := bad[bl.line]; !ok || !strings.Contains(bl.reason, want) {
			t.Errorf("line %d: %q, want %q", bl.line, bl.reason, want)
		}
	}
	// And through Ingest: the bad lines go to quarantine with their numbers.
	lh := openTemp(t)
	res, err := lh.Ingest(context.Background(), []string{path}, IngestOptions{Table: TableName{"bronze", "big"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != int64(n-len(bad)) || res.RowsQuarantined != int64(len(bad)) {
		t.Errorf("loaded %d quarantined %d; want %d, %d", res.RowsLoaded, res.RowsQuarantined, n-len(bad), len(bad))
	}
	q := quarantined(t, lh, "big")
	for line := range bad {
		if _, ok := q[line]; !ok {
			t.Errorf("line %d not in quarantine", line)
		}
	}
}

// TestIngestHeldBackRows: values the fast path's integer guard holds back
// (not a number, a fraction, out of range), with a quoted field spanning
// lines before them, are found by line and quarantined, the rest loaded.
func TestIngestHeldBackRows(t *testing.T) {
	n := sniffSampleRecords + 100
	b := beyondSample("id,small,note", n)
	b.WriteString("\"x\",1,\"two\nlines\"\n")              // line n+2: not a number (and spans two lines)
	b.WriteString("7,2008.5,late\n")                       // line n+4: a fraction
	b.WriteString("99999999999999999999,1,too big\n")      // line n+5: out of BIGINT's range
	b.WriteString("8, 9 ,spaces\n+10,-0,signs\n,,empty\n") // lines n+6..n+8: load
	lh := openTemp(t)
	res := ingestText(t, lh, "held.csv", b.String(), "held")
	if res.RowsLoaded != int64(n+3) || res.RowsQuarantined != 3 {
		t.Fatalf("loaded %d, quarantined %d; want %d, 3 (%v)", res.RowsLoaded, res.RowsQuarantined, n+3, quarantined(t, lh, "held"))
	}
	q := quarantined(t, lh, "held")
	for line, want := range map[int64]string{int64(n + 2): `id: Could not convert string "x"`, int64(n + 4): "not a whole number", int64(n + 5): "Could not convert"} {
		if !strings.Contains(q[line], want) {
			t.Errorf("line %d: %q, want %q; all %v", line, q[line], want, q)
		}
	}
}

// TestIngestGlobCharactersInNames: DuckDB expands [..], * and ? in paths; a
// file named x[1].json must not be read as x1.json.
func TestIngestGlobCharactersInNames(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	dir := t.TempDir()
	for _, ext := range []string{"json", "csv", "parquet"} {
		var odd, plain string
		switch ext {
		case "json":
			odd = writeFile(t, dir, "x[1]."+ext, `{"a":1,"who":"odd"}`+"\n")
			plain = writeFile(t, dir, "x1."+ext, `{"a":2,"who":"plain"}`+"\n")
		case "csv":
			odd = writeFile(t, dir, "x[1]."+ext, "a,who\n1,odd\n")
			plain = writeFile(t, dir, "x1."+ext, "a,who\n2,plain\n")
		default:
			odd, plain = filepath.Join(dir, "x[1]."+ext), filepath.Join(dir, "x1."+ext)
			cols := []Column{{Name: "a", Type: "BIGINT"}, {Name: "who", Type: "VARCHAR"}}
			writeParquet(t, odd, cols, [][]any{{int64(1), "odd"}})
			writeParquet(t, plain, cols, [][]any{{int64(2), "plain"}})
		}
		table := TableName{"bronze", "g_" + ext}
		if _, err := lh.Ingest(ctx, []string{odd, plain}, IngestOptions{Table: table}); err != nil {
			t.Fatal(err)
		}
		got, err := lh.Query(ctx, "select string_agg(who || '@' || regexp_extract(_source_file, '[^/]+$'), ' ' order by a) from "+table.SQL())
		if want := "[odd@x[1]." + ext + " plain@x1." + ext + "]"; err != nil || fmt.Sprint(got.Rows[0]) != want {
			t.Errorf("%s: got %v (%v), want %s", ext, got.Rows, err, want)
		}
	}
}

func TestWholeNumber(t *testing.T) {
	for v, want := range map[string]bool{
		"12": true, "12.0": true, "12.000": true, "12.5": false, "12345678901234567.8": false, "12345678901234567.0": true,
		"1.5e3": true, "15e-1": false, "150e-1": true, "1e-22": false, "0e-5": true, "1e999999999": true, "-2.50e1": true,
		"1.00000000000000001": false, "abc": true, "0xE": true, ".5": false, "5.": true, "1e": true,
	} {
		if got := wholeNumber(v); got != want {
			t.Errorf("wholeNumber(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestIngestDateFormats: each CSV file is read with its own date format
// when the batch's rejects its dates; one bad date must not swap month and
// day for a whole file; a file taking the careful way, and a file loaded on
// its own into a DATE table, get their own format too.
func TestIngestDateFormats(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	day := func(lh *Lakehouse, table string) string {
		got, err := lh.Query(ctx, "select string_agg(d::VARCHAR, ' ' order by id) from bronze."+table)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got.Rows[0])
	}
	lh := openTemp(t)
	// An ISO file, then a US one with a bad date: each with its own format.
	iso := writeFile(t, dir, "a.csv", "id,d\n1,2026-01-02\n2,2026-01-31\n")
	us := writeFile(t, dir, "b.csv", "id,d\n3,01/02/2026\n4,12/31/2026\n5,not a day\n")
	if res, err := lh.Ingest(ctx, []string{iso, us}, IngestOptions{Table: TableName{"bronze", "d"}}); err != nil || res.RowsLoaded != 4 || res.RowsQuarantined != 1 {
		t.Fatalf("ISO then US: %+v, %v; want 4 loaded, 1 quarantined", res, err)
	}
	if got, want := day(lh, "d"), "[2026-01-02 2026-01-31 2026-01-02 2026-12-31]"; got != want {
		t.Errorf("ISO then US: got %s, want %s", got, want)
	}
	// (a) MM/DD first file; the second is MM/DD too, with one bad date.
	a1 := writeFile(t, dir, "an1.csv", "id,d\n1,01/25/2024\n2,02/26/2024\n")
	a2 := writeFile(t, dir, "an2.csv", "id,d\n3,05/01/2024\n4,06/02/2024\n5,07/03/2024\n6,bad\n")
	if _, err := lh.Ingest(ctx, []string{a1, a2}, IngestOptions{Table: TableName{"bronze", "an"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := day(lh, "an"), "[2024-01-25 2024-02-26 2024-05-01 2024-06-02 2024-07-03]"; got != want {
		t.Errorf("(a) got %s, want %s", got, want)
	}
	// (b) ISO first; the second DD/MM with an invalid UTF-8 line (careful way).
	g1 := writeFile(t, dir, "g1.csv", "id,d\n1,2024-01-02\n")
	g2 := writeFile(t, dir, "g2.csv", "id,d\n7,25/04/2024\n8,26/05/2024\n9,\xff\n10,27/06/2024\n")
	res, err := lh.Ingest(ctx, []string{g1, g2}, IngestOptions{Table: TableName{"bronze", "gg"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 4 || res.RowsQuarantined != 1 {
		t.Errorf("(b) loaded %d, quarantined %d; want 4, 1", res.RowsLoaded, res.RowsQuarantined)
	}
	// (c) a DD/MM file with a bad date, alone, into a table typed by an ISO file.
	d1 := writeFile(t, dir, "d1.csv", "id,d\n1,2024-01-02\n")
	if _, err := lh.Ingest(ctx, []string{d1}, IngestOptions{Table: TableName{"bronze", "dd"}}); err != nil {
		t.Fatal(err)
	}
	d3 := writeFile(t, dir, "d3.csv", "id,d\n7,25/04/2024\n8,26/05/2024\n9,xx\n10,27/06/2024\n")
	res, err = lh.Ingest(ctx, []string{d3}, IngestOptions{Table: TableName{"bronze", "dd"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 3 || res.RowsQuarantined != 1 {
		t.Errorf("(c) loaded %d, quarantined %d; want 3, 1", res.RowsLoaded, res.RowsQuarantined)
	}
	if got, want := day(lh, "dd"), "[2024-01-02 2024-04-25 2024-05-26 2024-06-27]"; got != want {
		t.Errorf("(c) got %s, want %s", got, want)
	}
}

// TestIngestBigJSONLongLines: in a file checked in chunks, the type sample
// still holds the file's first 10,000 lines when lines are long (a chunk
// then holds fewer), so a fraction on line 6,000 makes the column DOUBLE.
func TestIngestBigJSONLongLines(t *testing.T) {
	var b strings.Builder
	pad := strings.Repeat("x", 2000)
	for i := 1; i <= 9000; i++ {
		v := fmt.Sprint(i)
		if i == 6000 {
			v = "1.5"
		}
		fmt.Fprintf(&b, `{"id":%d,"v":%s,"s":"%s"}`+"\n", i, v, pad)
	}
	if b.Len() <= 2*jsonChunkSize {
		t.Fatalf("the file (%d bytes) is too small to be checked in chunks", b.Len())
	}
	lh := openTemp(t)
	res := ingestText(t, lh, "long.json", b.String(), "long")
	if res.RowsLoaded != 9000 || res.RowsQuarantined != 0 {
		t.Errorf("loaded %d, quarantined %d; want 9000, 0 (%v)", res.RowsLoaded, res.RowsQuarantined, quarantined(t, lh, "long"))
	}
}

// TestIngestKeysWithoutColumns: keys that cannot have a column of their own
// (differing only in case, empty) and reserved column names stop the load
// with a message, rather than losing values.
func TestIngestKeysWithoutColumns(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	dir := t.TempDir()
	for name, tc := range map[string]struct{ file, content, want string }{
		"case":     {"c.json", `{"a":1}` + "\n" + `{"A":2}` + "\n", `JSON key "A" and column "a" differ only in case`},
		"empty":    {"e.json", `{"":1,"b":2}` + "\n", `JSON key "" cannot be a column name`},
		"reserved": {"r.csv", "id,_batch_id\n1,x\n", `column "_batch_id", a name lakebench keeps`},
		"staged":   {"s.json", `{"__lb_line":1}` + "\n" + "{\n", `column "__lb_line", a name lakebench keeps`},
	} {
		p := writeFile(t, dir, tc.file, tc.content)
		_, err := lh.Ingest(ctx, []string{p}, IngestOptions{Table: TableName{"bronze", name}})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("%s: got %v, want an error naming %s and saying %q", name, err, tc.file, tc.want)
		}
		if ok, _ := lh.TableExists(ctx, TableName{"bronze", name}); ok {
			t.Errorf("%s: the table exists after a refused load", name)
		}
	}
}

// TestIngestJSONNestedLateKeys: nested objects are kept as JSON, so a key
// first seen inside one after the sample is not dropped.
func TestIngestJSONNestedLateKeys(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= jsonSampleLines+2000; i++ {
		fmt.Fprintf(&b, `{"id":%d,"s":{"x":%d},"tags":["a"]}`+"\n", i, i)
	}
	b.WriteString(`{"id":0,"s":{"x":1,"y":"late"},"tags":["b",{"c":1}]}` + "\n")
	lh := openTemp(t)
	p := writeFile(t, t.TempDir(), "n.json", b.String())
	if _, err := lh.Ingest(context.Background(), []string{p}, IngestOptions{Table: TableName{"bronze", "n"}}); err != nil {
		t.Fatal(err)
	}
	got, err := lh.Query(context.Background(), `select s->>'y', tags->>'$[1].c', typeof(s) from bronze.n where id = 0`)
	if err != nil || fmt.Sprint(got.Rows) != "[[late 1 JSON]]" {
		t.Errorf("got %v (%v), want [[late 1 JSON]]", got.Rows, err)
	}
}

// TestIngestLinesAfterMultilineRecord: DuckDB counts a quoted field that
// spans lines as one line; rejects and held-back rows after it are
// quarantined at their own lines, with their own text.
func TestIngestLinesAfterMultilineRecord(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	ingestText(t, lh, "first.csv", "a,d\n1,1.5\n", "m") // a BIGINT, d DOUBLE
	for _, tc := range []struct{ name, content string }{
		{"lf", "a,d\n1,\"x\ny\"\n2.5,7\n\n3.5,zz\n4,8\n"},
		{"crlf", "a,d\r\n1,\"x\r\ny\"\r\n2.5,7\r\n\r\n3.5,zz\r\n4,8\r\n"},
	} {
		lh.Exec(ctx, "DELETE FROM bronze.m_quarantine")
		res := ingestText(t, lh, tc.name+".csv", tc.content, "m")
		if res.RowsLoaded != 1 || res.RowsQuarantined != 3 {
			t.Errorf("%s: loaded %d, quarantined %d; want 1, 3", tc.name, res.RowsLoaded, res.RowsQuarantined)
		}
		got, err := lh.Query(ctx, "select string_agg(_line || '=' || _raw, ' | ' order by _line) from bronze.m_quarantine")
		if want := "[2=1,\"x\ny\" | 4=2.5,7 | 6=3.5,zz]"; err != nil || strings.ReplaceAll(fmt.Sprint(got.Rows[0]), "\r", "") != want {
			t.Errorf("%s: quarantine %q (%v), want %q", tc.name, got.Rows, err, want)
		}
	}
}

// TestIngestReviewEdges: a leading blank line in a CSV, a JSON array with a
// byte-order mark, an escaped duplicate key, a long non-ASCII bad line, and
// a date re-sniff that would load fewer rows.
func TestIngestReviewEdges(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	ingestText(t, lh, "first.csv", "a,d\n1,1.5\n", "e") // a BIGINT, d DOUBLE
	res := ingestText(t, lh, "blank.csv", "\na,d\n1,1.5\n2.5,3\n4,5\n", "e")
	if q := quarantined(t, lh, "e"); res.RowsLoaded != 2 || res.RowsQuarantined != 1 || !strings.Contains(q[4], "not a whole number") {
		t.Errorf("leading blank line: loaded %d, quarantined %d (%v); want 2, 1 at line 4", res.RowsLoaded, res.RowsQuarantined, q)
	}
	ingestText(t, lh, "first.json", `{"a":1}`+"\n", "j")
	res = ingestText(t, lh, "bom.json", "\uFEFF[\n{\"a\":1},\n{\"a\":2},\n{\"a\":2.5},\n{\"a\":3}\n]", "j")
	if q := quarantined(t, lh, "j"); res.RowsQuarantined != 1 || !strings.Contains(q[4], "not a whole number") {
		t.Errorf("array with a BOM: %v, want line 4 quarantined", q)
	}
	res = ingestText(t, lh, "esc.json", `{"a":1,"b":"x"}`+"\n"+`{"a":2,"\u0061":3}`+"\n", "k")
	if q := quarantined(t, lh, "k"); res.RowsLoaded != 1 || !strings.Contains(q[2], "appears twice") {
		t.Errorf("escaped duplicate key: loaded %d, %v", res.RowsLoaded, q)
	}
	long := strings.Repeat("é", 3000)
	res = ingestText(t, lh, "long.csv", "a,d\n1,1.5\n2,zz"+long+"\nzz"+long+",1\n", "e")
	if res.RowsQuarantined != 2 {
		t.Errorf("long non-ASCII bad lines: quarantined %d, want 2", res.RowsQuarantined)
	}
	// Day/month first; then a file whose re-sniff (month/day) would load
	// none of its rows where the batch's format loads one.
	e1 := writeFile(t, t.TempDir(), "e1.csv", "a,d\n1,25/12/2024\n2,13/11/2024\n")
	e2 := writeFile(t, t.TempDir(), "e2.csv", "a,d\nx,01/13/2024\ny,01/14/2024\n1,13/01/2024\n")
	res, err := lh.Ingest(ctx, []string{e1, e2}, IngestOptions{Table: TableName{"bronze", "dm"}})
	if err != nil || res.RowsLoaded != 3 || res.RowsQuarantined != 2 {
		t.Errorf("date re-sniff: %+v, %v; want 3 loaded, 2 quarantined", res, err)
	}
}

// TestIngestJSONTemporalExact: a time of day in a DATE column and a UTC
// offset in a TIMESTAMP column are quarantined, not dropped by the cast.
func TestIngestJSONTemporalExact(t *testing.T) {
	lh := openTemp(t)
	ingestText(t, lh, "first.json", `{"d":"2024-01-01","ts":"2024-01-01T10:00:00"}`+"\n", "tz")
	res := ingestText(t, lh, "next.json", `{"d":"2024-01-03 23:59:59","ts":"2024-01-01T10:00:00"}`+"\n"+
		`{"d":"2024-01-04 00:00:00","ts":"2024-01-01T10:00:00+05:00"}`+"\n"+
		`{"d":"2024-01-05","ts":"2024-01-01T10:00:00.123456Z"}`+"\n"+
		`{"d":"2024-01-06","ts":"2024-01-01 10:00:00+00:00"}`+"\n", "tz")
	q := quarantined(t, lh, "tz")
	if res.RowsLoaded != 2 || !strings.Contains(q[1], "has a time of day") || !strings.Contains(q[2], "has a UTC offset") {
		t.Errorf("loaded %d; quarantine %v", res.RowsLoaded, q)
	}
}

// TestIngestNullValueTolerant: with the source's own null marker
// (--null-value), a numeric column holding one bad value stays numeric and
// the bad row is quarantined, as without the marker; the marker is NULL,
// and a null token that is not the marker ("NA" beside "-") is a bad value.
func TestIngestNullValueTolerant(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,amount\n")
	for i := 1; i <= 300; i++ {
		v := fmt.Sprintf("%d.25", i)
		switch i {
		case 5, 17, 99:
			v = "-"
		case 150:
			v = "abc"
		case 250:
			v = "NA"
		}
		fmt.Fprintf(&b, "%d,%s\n", i, v)
	}
	lh := openTemp(t)
	p := writeFile(t, t.TempDir(), "m.csv", b.String())
	res, err := lh.Ingest(context.Background(), []string{p}, IngestOptions{Table: TableName{"bronze", "m"}, NullValues: []string{"-"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 298 || res.RowsQuarantined != 2 {
		t.Fatalf("loaded %d, quarantined %d; want 298, 2 (%v)", res.RowsLoaded, res.RowsQuarantined, quarantined(t, lh, "m"))
	}
	if got := queryRow(t, lh, "select any_value(typeof(amount)), count(*) filter (where amount is null), sum(amount) from bronze.m"); got != "[[DOUBLE 3 44702.75]]" {
		t.Errorf("amount: got %s, want [[DOUBLE 3 44702.75]]", got)
	}
	q := quarantined(t, lh, "m")
	if !strings.Contains(q[151], `"abc"`) || !strings.Contains(q[251], `"NA"`) {
		t.Errorf("quarantine %v: want lines 151 (abc) and 251 (NA)", q)
	}
}
