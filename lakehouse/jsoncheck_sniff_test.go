package lakehouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sniffValues are JSON values whose types DuckDB's sniffer tells apart,
// or nearly: numbers at the edges of BIGINT and DOUBLE, dates, times,
// timestamps and UUIDs in their forms, and text like them.
var sniffValues = []string{
	`1`, `-1`, `0`, `-0`, `7`, `123456789012345678`, `1234567890123456789`, `12345678901234567890`, `-123456789012345678`,
	`1.5`, `1e5`, `-2.5E-3`, `0.0`, `1e400`, `1E-300`, `true`, `false`, `null`, `{}`, `[]`, `{"x":1}`, `[1,"a"]`, `{"x":{"y":[]}}`,
	`"2026-01-01"`, `"2026-02-29"`, `"2024-02-29"`, `"0001-01-01"`, `"9999-12-31"`, `"2026-1-1"`,
	`"2026-01-01T01:02:03"`, `"2026-01-01 01:02:03"`, `"2026-01-01T01:02:03.5"`, `"2026-01-01T01:02:03.123456"`,
	`"2026-01-01 23:59:59.999"`, `"2026-01-01T01:02:03Z"`, `"2026-01-01T01:02:03+01:00"`, `"2026-01-01T24:00:00"`,
	`"12:30:00"`, `"12:30"`, `"01-02-2026"`, `"1-2-26"`, `"02/01/2026"`, `"Jan 1 2026"`, `"Monday"`,
	`"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`, `"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"`, `"abcdefabcdefabcdefabcdefabcdefab"`,
	`"abcdef-abcdef-abcdefabcdef-abcdefabcdefab"`, `"view"`, `"cafe"`, `"cart"`, `"/product/1"`, `"_1"`, `"#2026-01-01"`,
	`"infinity"`, `"-infinity"`, `"epoch"`, `"allballs"`, `"now"`, `"today"`, `""`, `" "`, `" 12:30:00"`, `"\u0031"`,
	`"/x\n"`, `"x"`, `"true"`, `"null"`, `"1"`, `"1.5"`, `"é"`, `"\u00e9t\u00e9"`, `"2026-01-01\u0054"`,
	`"S51-15"`, `"x2026-01-01"`, `"T12:30:00"`, `"T2026-01-01 01:02:03"`, `"Z2026-01-01T01:02:03"`, `"Infinity1"`,
	`"epoch1"`, `"today2"`, `"Sep 15 2026"`, `"Jan-01-2026"`, `"PM 12:30"`, `"g1"`, `"z9-9"`, `"Mon, 01 Jan 2026"`,
	`"G0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"`, `"s\u0031"`,
}

// sniffKeys are the keys the generated lines use.
var sniffKeys = []string{"a", "b", "c", "A", "", "x y", `\u0061b`, "é"}

// sniffLines makes sample lines from fuzz bytes: each a few keys with
// values of sniffValues or strings of the bytes; lines the load would
// quarantine are left out, as they are of a sample.
func sniffLines(data []byte) [][]byte {
	at := 0
	next := func() int {
		if at >= len(data) {
			return 0
		}
		at++
		return int(data[at-1])
	}
	var lines [][]byte
	for n := 1 + next()%8; n > 0 && at < len(data); n-- {
		var b bytes.Buffer
		b.WriteByte('{')
		for k := next() % 5; k > 0; k-- {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + sniffKeys[next()%len(sniffKeys)] + `":`)
			if v := next(); v < 230 {
				b.WriteString(sniffValues[v%len(sniffValues)])
			} else {
				s := make([]byte, next()%12)
				for i := range s {
					s[i] = byte(next())
				}
				q, _ := json.Marshal(string(s))
				b.Write(q)
			}
		}
		b.WriteByte('}')
		if jsonProblem(b.Bytes()) == "" {
			lines = append(lines, b.Bytes())
		}
	}
	return lines
}

// describeSniff is what DuckDB's sniffer decides of the sample lines: the
// table's columns and tolerance notes, or an error.
func describeSniff(t *testing.T, lh *Lakehouse, lines [][]byte) ([]Column, map[string]string, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sample.json")
	if err := os.WriteFile(p, append(bytes.Join(lines, []byte{'\n'}), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	sn, err := sniffJSON(context.Background(), lh.probe(), []string{QuoteString(p)}, map[int]string{0: p})
	if err != nil {
		return nil, nil, err
	}
	if err := sn.keys[0]; err != nil {
		return nil, nil, err
	}
	cols, notes := sn.columns()
	return cols, notes, nil
}

// checkSniffAgrees fails when the Go sniff answers other than DuckDB's.
func checkSniffAgrees(t *testing.T, lh *Lakehouse, lines [][]byte) bool {
	t.Helper()
	cols, ok := sniffJSONInGo(lines)
	if !ok {
		return false
	}
	got, _ := (&jsonSniff{cols: cols}).columns()
	want, notes, err := describeSniff(t, lh, lines)
	if err != nil {
		t.Fatalf("%s\nGo typed %v, DuckDB failed: %v", bytes.Join(lines, []byte{'\n'}), got, err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(notes) > 0 {
		t.Fatalf("%s\nGo typed %v, DuckDB %v (notes %v)", bytes.Join(lines, []byte{'\n'}), got, want, notes)
	}
	return true
}

// FuzzJSONSniff: wherever the Go sniff types a sample, DuckDB's sniffer
// (DESCRIBE over read_json, with loadJSON's mapping and decisions on
// mixed columns) gives the same columns, in the same order.
func FuzzJSONSniff(f *testing.F) {
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer lh.Close()
	for i := range sniffValues {
		f.Add([]byte{3, 2, 0, 0, byte(i), 1, 0, byte(i)}, false)
		f.Add([]byte{3, 2, 1, 0, byte(i), 1, 0, byte(i)}, false)
	}
	f.Add([]byte("{\"a\":1,\"b\":\"x\"}\n{\"a\":2.5,\"b\":null}"), true)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		var lines [][]byte
		if raw {
			for _, l := range bytes.Split(data, []byte{'\n'}) {
				if l = bytes.TrimSpace(l); len(l) > 0 && jsonProblem(l) == "" {
					lines = append(lines, l)
				}
			}
		} else {
			lines = sniffLines(data)
		}
		if len(lines) > 0 {
			checkSniffAgrees(t, lh, lines)
		}
	})
}

// TestJSONSniffAgrees: the Go sniff agrees with DuckDB's on every value of
// sniffValues alone, after a null, beside an integer and beside each
// other, and types the benchmark's lines and these columns in Go.
func TestJSONSniffAgrees(t *testing.T) {
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	typed := map[string]bool{}
	for i, v := range sniffValues {
		one := [][]byte{[]byte(`{"k":` + v + `}`)}
		if checkSniffAgrees(t, lh, one) {
			typed[v] = true
		}
		checkSniffAgrees(t, lh, [][]byte{[]byte(`{"k":null}`), one[0]})
		checkSniffAgrees(t, lh, [][]byte{[]byte(`{"k":1}`), one[0]})
		if i%3 == 0 {
			for _, w := range sniffValues {
				checkSniffAgrees(t, lh, [][]byte{one[0], []byte(`{"k":` + w + `}`)})
			}
		}
	}
	for _, v := range []string{`1`, `1.5`, `true`, `{"x":1}`, `"2026-01-01"`, `"2026-01-01T01:02:03"`, `"view"`, `"/product/1"`, `"S51-15"`, `"T12:30:00"`} {
		if !typed[v] {
			t.Errorf("%s: not typed in Go", v)
		}
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	benchJSONRows(w, 10000)
	w.Flush()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte{'\n'})
	if !checkSniffAgrees(t, lh, lines) {
		t.Fatal("the benchmark's lines: not typed in Go")
	}
	if cols, _ := sniffJSONInGo(lines); !strings.Contains(fmt.Sprint(cols), "{ts TIMESTAMP}") {
		t.Fatalf("benchmark columns %v", cols)
	}
}
