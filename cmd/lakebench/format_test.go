package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDatesAndTimesPrintByType runs a real query in each --format, in a
// time zone with a half-hour offset: a TIMESTAMP at midnight keeps its time,
// a DATE has none, JSON puts no Z on a TIMESTAMP and an offset on a
// TIMESTAMPTZ, and the table and CSV print a TIMESTAMPTZ exactly as
// DuckDB's own text cast does.
func TestDatesAndTimesPrintByType(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lakebench.yml"), []byte("bundle: {name: times}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const sql = "select timestamp '2026-01-05 00:00:00' t, date '2026-01-05' d, timestamptz '2026-01-05 00:00:00+02' z, " +
		"time '00:00:00' tm, timestamp_ns '2026-01-05 00:00:00.123456789' ns, z::varchar zs"
	run := func(format string) string {
		t.Helper()
		cmd := exec.Command(bin, "query", sql, "--format", format)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"), "TZ=Asia/Kolkata")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("--format %s: %v", format, err)
		}
		return string(out)
	}
	want := []string{"2026-01-05 00:00:00", "2026-01-05", "2026-01-05 03:30:00+05:30", "00:00:00", "2026-01-05 00:00:00.123456789", "2026-01-05 03:30:00+05:30"}
	csv := run("csv")
	if got := strings.Split(strings.Split(csv, "\n")[1], ","); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("csv row %q, want %q", got, want)
	}
	table := run("table")
	if got := strings.Fields(strings.Split(table, "\n")[2]); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("table row %q, want %q", got, want)
	}
	json := run("json")
	for _, w := range []string{`"2026-01-05T00:00:00"`, `"2026-01-05"`, `"2026-01-05T03:30:00+05:30"`, `"00:00:00"`, `"2026-01-05T00:00:00.123456789"`} {
		if !strings.Contains(json, w) {
			t.Errorf("json lacks %s:\n%s", w, json)
		}
	}
	if _, rows, _ := strings.Cut(json, `"rows"`); strings.Contains(rows, `Z"`) {
		t.Errorf("json puts Z on a time:\n%s", json)
	}
}

// TestEncodersMatchTheStandardLibrary: the CSV and JSON the query command
// writes value by value are what encoding/csv and encoding/json write, for
// strings with quotes, separators, line breaks, leading spaces, controls,
// HTML characters, invalid UTF-8 and line separators, and for floats.
func TestEncodersMatchTheStandardLibrary(t *testing.T) {
	strs := []string{"", "plain", `a,b`, `say "hi"`, "two\nlines", "cr\rhere", " lead", "\tlead", "\u00a0nbsp", `\.`,
		"ünïcödé ✓ 日本語", "<a&b>", "esc\x1b[2J", "bad\xffutf8", "line\u2028sep\u2029", "nul\x00", "\b\f", "trail "}
	for _, s := range strs {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{s, "x"})
		w.Flush()
		if got := string(appendCSVField(nil, s)) + ",x\n"; got != buf.String() {
			t.Errorf("csv %q: got %q, want %q", s, got, buf.String())
		}
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("json %q: got %s, want %s", s, got, want)
		}
	}
	for _, f := range []float64{0, -0.0, 1, -1.5, 0.1, 1e-6, 1e-7, 123456789012345678, 1e20, 1e21, 1.7976931348623157e308, 5e-324, math.Pi} {
		want, _ := json.Marshal(f)
		if got := appendJSONFloat(nil, f, 64); string(got) != string(want) {
			t.Errorf("json %v: got %s, want %s", f, got, want)
		}
		if math.IsInf(float64(float32(f)), 0) {
			continue
		}
		want, _ = json.Marshal(float32(f))
		if got := appendJSONFloat(nil, float64(float32(f)), 32); string(got) != string(want) {
			t.Errorf("json float32 %v: got %s, want %s", float32(f), got, want)
		}
	}
	for f, want := range map[float64]string{math.NaN(): `"NaN"`, math.Inf(1): `"Infinity"`, math.Inf(-1): `"-Infinity"`} {
		if got := appendJSONFloat(nil, f, 64); string(got) != want {
			t.Errorf("json %v: got %s, want %s", f, got, want)
		}
	}
}

// TestDecimalsPrintExactly runs a real query of DECIMAL values no float64
// holds (38 digits, a scale of 38, cents past 2^53) in each --format: the
// table and CSV print what DuckDB's own text cast prints (every digit of
// the scale; a 0 before the point, which DuckDB leaves out at scale 38),
// JSON the same digits as a number, and a list of DECIMALs keeps them too.
func TestDecimalsPrintExactly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lakebench.yml"), []byte("bundle: {name: decimals}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(format, sql string) string {
		t.Helper()
		cmd := exec.Command(bin, "query", sql, "--format", format)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("--format %s: %v", format, err)
		}
		return string(out)
	}
	values := []string{"90071992547409.93::DECIMAL(18,2)", "12.5::DECIMAL(10,2)", "-0.05::DECIMAL(4,2)", "0::DECIMAL(9,3)",
		"'12345678901234567890123456789012345678'::DECIMAL(38,0)", "'0.12345678901234567890123456789012345678'::DECIMAL(38,38)",
		"7::DECIMAL(4,0)", "-123456789.123456789::DECIMAL(18,9)"}
	cols := make([]string, len(values))
	casts := make([]string, len(values))
	for i, v := range values {
		cols[i] = v + " AS c" + string(rune('a'+i))
		casts[i] = "(" + v + ")::VARCHAR"
	}
	// DuckDB's text of each value, through lakebench as strings.
	wantCSV := strings.Split(strings.Split(run("csv", "SELECT "+strings.Join(casts, ", ")), "\n")[1], ",")
	if len(wantCSV) != len(values) || wantCSV[1] != "12.50" || wantCSV[2] != "-0.05" {
		t.Fatalf("DuckDB's casts: %q", wantCSV)
	}
	for i, w := range wantCSV {
		if strings.HasPrefix(w, ".") {
			wantCSV[i] = "0" + w
		}
	}
	sql := "SELECT " + strings.Join(cols, ", ")
	if got := strings.Split(strings.Split(run("csv", sql), "\n")[1], ","); strings.Join(got, "|") != strings.Join(wantCSV, "|") {
		t.Errorf("csv row %q, want %q", got, wantCSV)
	}
	if got := strings.Fields(strings.Split(run("table", sql), "\n")[2]); strings.Join(got, " ") != strings.Join(wantCSV, " ") {
		t.Errorf("table row %q, want %q", got, wantCSV)
	}
	var doc struct{ Rows [][]json.RawMessage }
	if err := json.Unmarshal([]byte(run("json", sql)), &doc); err != nil || len(doc.Rows) != 1 {
		t.Fatalf("json: %v %v", err, doc.Rows)
	}
	for i, raw := range doc.Rows[0] {
		if string(raw) != wantCSV[i] {
			t.Errorf("json value %d: %s, want the number %s", i, raw, wantCSV[i])
		}
	}
	list := run("csv", "SELECT [1.10::DECIMAL(5,2), -3::DECIMAL(5,2)] AS l")
	if !strings.Contains(list, `"[1.10,-3.00]"`) {
		t.Errorf("a list of DECIMALs: %q", list)
	}
}
