package lakehouse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	fastjson "github.com/segmentio/encoding/json"
)

var fuzzSeeds = []string{
	"id,name\n1,a\n2,b\n",
	"id,name\n1,\"a\nb\"\n2,\"c\"\"d\"\n",
	"a;b;c\n1;2;3\n\n4;5\n",
	"id,name\n1,\"unterminated\n2,b\n",
	"x\n\xff\xfe\n",
	"\"\"\"\n,,,\n\r\n",
}

// FuzzCSVScan checks the Go CSV readers never panic and agree on clean input.
func FuzzCSVScan(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := detectDelimiter(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := scanCSV(path, d)
		if err != nil {
			t.Fatal(err)
		}
		var good, bad int64
		if err := readCSVRecords(path, d, func(csvRecord) bool { good++; return true }, func(badLine) { bad++ }); err != nil {
			t.Fatal(err)
		}
		splitCSVFields(data, d)
		// The fast count reads lines with an even number of quotes without
		// the quote state machine, so it may differ (and defer to the careful
		// path) when a quote stands inside an unquoted field.
		if s.clean && bad == 0 && !bytes.Contains(data, []byte{'\r'}) && quotesAtFieldStarts(data, d) {
			if want := max(good-1, 0); s.records != want {
				t.Errorf("scan counted %d records, the careful reader %d", s.records, want)
			}
		}
	})
}

// quotesAtFieldStarts reports whether every quote opens a field, closes or
// escapes one, or ends one.
func quotesAtFieldStarts(data []byte, delim byte) bool {
	for i, c := range data {
		if c != '"' || i == 0 {
			continue
		}
		prev := data[i-1]
		next := byte('\n')
		if i+1 < len(data) {
			next = data[i+1]
		}
		if prev != delim && prev != '\n' && prev != '"' && next != delim && next != '\n' && next != '"' {
			return false
		}
	}
	return true
}

// FuzzIngest feeds arbitrary bytes to a real ingest: it must either load
// with rows conserved or fail with an error, never panic.
func FuzzIngest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"a":1}`+"\n"+`{"a":"x"}`+"\nnope\n"), true)
	f.Add([]byte("[{\"a\":1},2]"), true)
	f.Add([]byte(`{"a":"x","b":1}`+"\n"+`{"a":1E+2,"b":-0}`+"\n"+`{"a":{"c":2.50}, "\u0062":[1]}`+"\n"), true)
	lh := openFuzzTarget(f)
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		name := "f.csv"
		if asJSON {
			name = "f.json"
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		checkIngest(t, lh, path, TableName{"bronze", "fuzz"}, data)
		// Start each input from an empty table.
		lh.db.ExecContext(context.Background(), "DROP VIEW IF EXISTS bronze.fuzz; DROP TABLE IF EXISTS bronze_data.fuzz; DROP TABLE IF EXISTS bronze.fuzz_quarantine")
	})
}

func openFuzzTarget(f *testing.F) *Lakehouse {
	lh, err := Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.duckdb"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { lh.Close() })
	return lh
}

// FuzzJSONValid: the fast JSON check on the ingest path accepts exactly
// what the standard library accepts, and topKeys never panics.
func FuzzJSONValid(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":"\"}"}`, `{"a":[1,{"b":2}]}`, `{"a":1,}`, `{"a":01}`, `{"a":"\x01"}`, `{"a":1e400}`, `{"\ud800":1}`, `{} {}`, ` {"a" : null } `, `{"a":tru}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := fastjson.Valid(b), json.Valid(b); got != want {
			t.Fatalf("fast Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
		topKeys(b, nil)
	})
}

// FuzzIngestTyped loads fuzzed rows into a table whose columns are already
// typed (BIGINT, DOUBLE, DATE), where the integer guard and its held-back
// rows, the careful rewrite and the date re-sniff all come into play: rows
// read must equal rows loaded plus rows quarantined.
func FuzzIngestTyped(f *testing.F) {
	for _, s := range []string{"3,1.5,2026-01-02\n", "x,1,2026-01-01\n4,2.5,01/02/2026\n", "5,1e3,2026-01-01\n6.5,1,2026-01-01\n", "\"7\",\"8\",\"2026-01-01\"\n9, 10 ,\n", "99999999999999999999,1,2026-01-01\n+1,-0,2026-01-01\n"} {
		f.Add([]byte(s))
	}
	lh := openFuzzTarget(f)
	ctx := context.Background()
	dir := f.TempDir()
	first := filepath.Join(dir, "first.csv")
	if err := os.WriteFile(first, []byte("id,amount,day\n1,2.5,2026-01-01\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		table := TableName{"bronze", "typed"}
		lh.db.ExecContext(ctx, "DROP VIEW IF EXISTS bronze.typed; DROP TABLE IF EXISTS bronze_data.typed; DROP TABLE IF EXISTS bronze.typed_quarantine; DELETE FROM sys.ingested_files WHERE table_name = 'bronze.typed'")
		if _, err := lh.Ingest(ctx, []string{first}, IngestOptions{Table: table}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, append([]byte("id,amount,day\n"), data...), 0o644); err != nil {
			t.Fatal(err)
		}
		checkIngest(t, lh, path, table, append([]byte("id,amount,day\n"), data...))
	})
}

// checkIngest ingests a fuzzed file: an error is fine, a broken count or
// quarantine is not.
func checkIngest(t *testing.T, lh *Lakehouse, path string, table TableName, data []byte) {
	t.Helper()
	res, err := lh.Ingest(context.Background(), []string{path}, IngestOptions{Table: table})
	var ce *ConservationError
	if errors.As(err, &ce) {
		t.Fatalf("conservation failed on %q: %v", data, err)
	}
	if err != nil {
		return
	}
	if res.RowsRead != res.RowsLoaded+res.RowsQuarantined {
		t.Fatalf("read %d != loaded %d + quarantined %d", res.RowsRead, res.RowsLoaded, res.RowsQuarantined)
	}
	checkQuarantineLines(t, lh, table.Name, data)
}

// checkQuarantineLines: every quarantined line is a line of the file, with
// content on it, and no line is quarantined twice.
func checkQuarantineLines(t *testing.T, lh *Lakehouse, table string, data []byte) {
	t.Helper()
	var lines [][]byte
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = cutLine(rest)
		lines = append(lines, line)
	}
	res, err := lh.Query(context.Background(), "select _line from bronze."+table+"_quarantine")
	if err != nil {
		return // no quarantine table: nothing quarantined
	}
	seen := map[int64]bool{}
	for _, r := range res.Rows {
		n := r[0].(int64)
		if n < 1 || n > int64(len(lines)) || len(trimEOL(lines[n-1])) == 0 || seen[n] {
			t.Fatalf("quarantined line %d of %d lines (or twice, or blank) in %q", n, len(lines), data)
		}
		seen[n] = true
	}
}
