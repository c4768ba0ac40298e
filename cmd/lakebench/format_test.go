package main

import (
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
