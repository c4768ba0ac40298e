package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestTypingReport: `ingest` says per column what typing decided
// (NA read as null, rows quarantined), in its human output and in --json;
// a --schema-hint that is SQL is refused, naming the accepted types, and
// reads nothing.
func TestIngestTypingReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	var b strings.Builder
	b.WriteString("id,depth\n")
	for i := 1; i <= 400; i++ {
		v := fmt.Sprintf("%d.5", i)
		switch i {
		case 10, 20:
			v = "NA"
		case 30:
			v = "199mm"
		}
		fmt.Fprintf(&b, "%d,%s\n", i, v)
	}
	csv := filepath.Join(dir, "depths.csv")
	os.WriteFile(csv, []byte(b.String()), 0o644)
	_, stderr := lb(t, dir, true, "ingest", csv, "--table", "bronze.depths")
	if !strings.Contains(stderr, "column depth: DOUBLE (typed with tolerance: 1 of 398 sampled values did not fit; 2 values NA read as null; 1 row quarantined: '199mm')") {
		t.Errorf("human output lacks the depth column's report:\n%s", stderr)
	}
	evil := "a=INTEGER) || (select string_agg(detail, ',') from sys.audit) || typeof(1"
	csv2 := filepath.Join(dir, "a.csv")
	os.WriteFile(csv2, []byte("a,b\n1,x\n"), 0o644)
	_, stderr = lb(t, dir, false, "ingest", csv2, "--table", "bronze.inj", "--schema-hint", evil)
	if !strings.Contains(stderr, "schema hint a") || !strings.Contains(stderr, "DECIMAL(p,s)") || strings.Contains(stderr, "INGEST") {
		t.Errorf("injection hint: %s", stderr)
	}
	os.WriteFile(filepath.Join(dir, "more.csv"), []byte(strings.Replace(b.String(), "\n1,1.5\n", "\n1,n/a\n", 1)), 0o644)
	out, _ := lb(t, dir, true, "ingest", filepath.Join(dir, "more.csv"), "--table", "bronze.more", "--json")
	var res struct {
		Columns []struct {
			Column     string           `json:"column"`
			Type       string           `json:"type"`
			TypedBy    string           `json:"typed_by"`
			NullTokens map[string]int64 `json:"null_tokens"`
			Rows       int64            `json:"rows_quarantined"`
			Values     []string         `json:"quarantined_values"`
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("ingest --json: %v\n%s", err, out)
	}
	got := fmt.Sprintf("%+v", res.Columns)
	if want := "{Column:depth Type:DOUBLE TypedBy:tolerant NullTokens:map[NA:2 n/a:1] Rows:1 Values:[199mm]}"; !strings.Contains(got, want) {
		t.Errorf("--json columns %s, want %s", got, want)
	}
}
