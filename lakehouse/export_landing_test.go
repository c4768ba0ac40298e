package lakehouse

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttackExportIntoLanding: dana, with SELECT on gold only, may not
// export a result into a landing zone of the sources (the next run would
// ingest her file into bronze with the runner's rights): not into it, not
// below it, not through a link to it; a directory beside it is fine, and
// so is a sorted result's export outside it.
func TestAttackExportIntoLanding(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	ro := openAs(t, g.path, "dana", true)
	project := t.TempDir()
	landing := filepath.Join(project, "landing", "customers")
	deeper := filepath.Join(landing, "2026")
	beside := filepath.Join(project, "exports")
	for _, d := range []string{deeper, beside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(t.TempDir(), "innocent")
	if err := os.Symlink(landing, link); err != nil {
		t.Fatal(err)
	}
	l, err := ro.OpenLive(ctx, "SELECT revenue FROM gold.revenue", LiveOptions{Protected: []string{landing}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, path := range []string{
		filepath.Join(landing, "customers_2026-02-27.csv"),
		filepath.Join(deeper, "x.csv"),
		filepath.Join(link, "x.json"),
		filepath.Join(landing, "..", "customers", "y.parquet"),
	} {
		err := l.Export(ctx, path, strings.TrimPrefix(filepath.Ext(path), "."), nil)
		if err == nil || !strings.Contains(err.Error(), "landing zone") {
			t.Errorf("export to %s: %v, want a refusal naming the landing zone", path, err)
		}
	}
	for _, d := range []string{landing, deeper} {
		if entries, _ := os.ReadDir(d); len(entries) > 1 || len(entries) == 1 && entries[0].Name() != "2026" {
			t.Errorf("%s holds %v after the refused exports", d, entries)
		}
	}
	sorted, err := l.Sort(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sorted.Close()
	if err := sorted.Export(ctx, filepath.Join(landing, "z.csv"), "csv", nil); err == nil {
		t.Error("a sorted result exported into the landing zone")
	}
	if err := sorted.Export(ctx, filepath.Join(beside, "z.csv"), "csv", nil); err != nil {
		t.Errorf("export beside the landing zone: %v", err)
	}
}

// TestAttackExportOverProjectCode: dana may not export a result as a model
// (sql/gold/leak.sql would build, with the runner's rights, a gold table
// she may read from silver she may not) nor over the project file; a
// file beside them is fine.
func TestAttackExportOverProjectCode(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	ro := openAs(t, g.path, "dana", true)
	project := t.TempDir()
	models := filepath.Join(project, "sql", "gold")
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(project, "lakebench.yml")
	if err := os.WriteFile(file, []byte("bundle: {name: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ro.OpenLive(ctx, "SELECT revenue FROM gold.revenue", LiveOptions{Protected: []string{models, file}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, path := range []string{filepath.Join(models, "leak.sql"), file, filepath.Join(models, "..", "..", "lakebench.yml")} {
		if err := l.Export(ctx, path, "csv", nil); err == nil || !strings.Contains(err.Error(), "next run reads") {
			t.Errorf("export to %s: %v, want a refusal", path, err)
		}
	}
	if data, _ := os.ReadFile(file); string(data) != "bundle: {name: x}\n" {
		t.Errorf("the project file was replaced: %q", data)
	}
	if entries, _ := os.ReadDir(models); len(entries) != 0 {
		t.Errorf("%s holds %v after the refused exports", models, entries)
	}
	if err := l.Export(ctx, filepath.Join(project, "revenue.csv"), "csv", nil); err != nil {
		t.Errorf("export beside the project file: %v", err)
	}
}
