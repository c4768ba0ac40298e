package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportDatabricks runs the README's export on a new project: the
// bundle is written with its report, the untranslated constructs printed
// one a line are those the report counts, and a second export needs
// --force.
func TestExportDatabricks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	out, stderr := lb(t, dir, true, "export", "databricks", "dab")
	if !strings.Contains(out, "Wrote ") || !strings.Contains(out, "databricks bundle validate -t dev") {
		t.Errorf("export printed:\n%s", out)
	}
	for _, f := range []string{"databricks.yml", "resources/jobs.yml", "src/models/gold/daily_revenue.sql", "src/quality/silver.orders.yml"} {
		if _, err := os.Stat(filepath.Join(dir, "dab", f)); err != nil {
			t.Errorf("export wrote no %s: %v", f, err)
		}
	}
	report, err := os.ReadFile(filepath.Join(dir, "dab", "EXPORT_REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	issues := strings.Count(strings.TrimSpace(stderr), "\n") + 1
	if strings.TrimSpace(stderr) == "" {
		issues = 0
	}
	if want := fmt.Sprintf("## Not translated (%d)", issues); !strings.Contains(string(report), want) {
		t.Errorf("stderr has %d issue lines, the report lacks %q:\n%s", issues, want, report)
	}
	if _, stderr := lb(t, dir, false, "export", "databricks", "dab"); !strings.Contains(stderr, "--force") {
		t.Errorf("a second export did not point at --force:\n%s", stderr)
	}
	lb(t, dir, true, "export", "databricks", "--force", "dab")
}
