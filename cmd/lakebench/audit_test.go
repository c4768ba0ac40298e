package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/pipeline"
)

// Destroy leaves a record outside the destroyed file, audit verify shows it
// and fails on an edited record; a damaged target file is reported, not a
// crash; a YAML bomb fails at its line.
func TestAuditVerifyDestroyAndDamage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	// A target file that is not a database: damaged, said plainly.
	os.MkdirAll(filepath.Join(dir, ".lakebench"), 0o755)
	db := filepath.Join(dir, ".lakebench", "dev.duckdb")
	garbage := []byte(strings.Repeat("not a database \x00\x01\x02", 40000))
	os.WriteFile(db, garbage, 0o644)
	_, stderr := lb(t, dir, false, "query", "select 1")
	if !strings.Contains(stderr, db+" is damaged (DuckDB") || !strings.Contains(stderr, "restore a backup") || strings.Contains(stderr, "goroutine") {
		t.Errorf("query on a damaged file: %s", stderr)
	}
	// Nobody's permissions can be read from a damaged file: destroy fails
	// closed and says to delete it by hand.
	_, stderr = lb(t, dir, false, "bundle", "destroy", "--auto-approve", "--as", "dana")
	if !strings.Contains(stderr, "is damaged") {
		t.Errorf("destroy of a damaged target as dana: %s", stderr)
	}
	os.Remove(db)
	lb(t, dir, true, "bundle", "deploy") // the first deployer (you) owns dev
	if _, stderr = lb(t, dir, false, "bundle", "destroy", "--auto-approve", "--as", "dana"); !strings.Contains(stderr, "CAN_MANAGE") {
		t.Errorf("dana destroying dev: %s", stderr)
	}
	lb(t, dir, true, "bundle", "destroy", "--auto-approve")
	out, _ := lb(t, dir, true, "audit", "verify", "--json")
	var doc struct {
		OK        bool `json:"ok"`
		Destroyed struct {
			Events []struct {
				Principal, Action, Detail string
				Tables                    []string
			} `json:"events"`
		} `json:"destroyed"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || !doc.OK || len(doc.Destroyed.Events) != 1 {
		t.Fatalf("audit verify --json: %v\n%s", err, out)
	}
	if e := doc.Destroyed.Events[0]; e.Principal != pipeline.Principal() || e.Action != "destroy" || e.Tables[0] != "dev" || !strings.Contains(e.Detail, "its chain held") {
		t.Errorf("destroy record: %+v", e)
	}
	log := filepath.Join(dir, ".lakebench", "destroyed.audit.jsonl")
	data, _ := os.ReadFile(log)
	os.WriteFile(log, []byte(strings.Replace(string(data), `"`+pipeline.Principal()+`"`, `"ana"`, 1)), 0o644)
	out, stderr = lb(t, dir, false, "audit", "verify")
	if !strings.Contains(out, "BROKEN at "+log+" line 1 (seq 1): edited") || !strings.Contains(stderr, "the audit chain is broken") {
		t.Errorf("verify of an edited record:\n%s\n%s", out, stderr)
	}
	// The billion laughs under variables.
	bomb := "bundle: {name: bomb}\nvariables:\n  a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
	for i, c := range "bcdefghi" {
		prev := string("abcdefghi"[i])
		bomb += "  " + string(c) + ": &" + string(c) + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
	}
	os.WriteFile(filepath.Join(dir, "lakebench.yml"), []byte(bomb), 0o644)
	_, stderr = lb(t, dir, false, "bundle", "validate")
	if !strings.Contains(stderr, "lakebench.yml:8:") || !strings.Contains(stderr, "more than 100000 values") {
		t.Errorf("validate of a YAML bomb: %s", stderr)
	}
}

// TestAuditShowsNoTerminalControls: dana's principal name and query text
// reach the audit, and `lakebench audit` printed them raw to the owner's
// terminal, so `--as $'dana\r\e[2Kroot'` showed as root, and a table name
// holding \e[1A\e[2K erased the line above it: she hid her refusals. A
// principal is a name without control or layout characters, and the audit
// prints every field with such characters escaped.
func TestAuditShowsNoTerminalControls(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "bundle", "deploy")
	_, stderr := lb(t, dir, false, "query", "--as", "dana\r\x1b[2Kroot", "select 1")
	if !strings.Contains(stderr, `dana\r\x1b[2Kroot`) {
		t.Errorf("a principal with control characters: %q", stderr)
	}
	lb(t, dir, false, "query", "--as", "dana\u202eroot", "select 1")
	lb(t, dir, false, "query", "--as", "dana", "select * from \"\x1b[1A\x1b[2K\rx\"")
	lb(t, dir, true, "bundle", "deploy") // the writer takes in the read-only session's events
	out, _ := lb(t, dir, true, "audit")
	if strings.ContainsAny(out, "\x1b\r\u202e") {
		t.Errorf("the audit prints terminal controls:\n%q", out)
	}
	if !strings.Contains(out, `\x1b[1A\x1b[2K\rx`) {
		t.Errorf("the audit hides what dana ran:\n%s", out)
	}
}

// TestQueryTableShowsNoTerminalControls: a value holding ESC or CR (a
// landing file's field, a row written by whoever may modify the table) was
// printed raw in table output, clearing or overwriting the reader's
// terminal. The table escapes it; CSV keeps the exact value.
func TestQueryTableShowsNoTerminalControls(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	q := "select chr(27) || '[2J' || 'x' || chr(13) as \"a" + "\x1b[1A\", 1 as n"
	out, _ := lb(t, dir, true, "query", q)
	if strings.ContainsAny(out, "\x1b\r") || !strings.Contains(out, `\x1b[2Jx\r`) || !strings.Contains(out, `a\x1b[1A`) {
		t.Errorf("table output:\n%q", out)
	}
	out, _ = lb(t, dir, true, "query", q, "--format", "csv")
	if !strings.Contains(out, "\x1b[2Jx\r") {
		t.Errorf("csv output changed the value:\n%q", out)
	}
}
