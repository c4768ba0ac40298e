package dab_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/dab"
	"github.com/lakebench/lakebench/pipeline"
)

// TestExportNotOverTheProject: `export databricks . --force` in the
// project wrote the bundle's resources/*.yml beside the project's own
// resources/bi.yml, where lakebench.yml's include read them, and the
// project no longer loaded. DIR as the project, a folder holding it, a
// link to it and a folder its include reads are refused before anything
// is written; a folder of its own inside the project is fine and the
// project still loads after it.
func TestExportNotOverTheProject(t *testing.T) {
	dir := sample(t)
	p, models := load(t, dir)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	// resources/ is read by include: resources/*.yml, so resources/x/
	// is not, but resources/ itself would get databricks.yml.
	for _, out := range []string{dir, filepath.Dir(dir), link, filepath.Join(dir, "resources")} {
		_, err := dab.Export(p, models, out, dab.Options{Force: true})
		if !errors.Is(err, dab.ErrOverProject) {
			t.Errorf("export into %s: %v, want ErrOverProject", out, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "databricks.yml")); err == nil {
		t.Error("a refused export wrote databricks.yml into the project")
	}
	if _, err := dab.Export(p, models, filepath.Join(dir, "dab"), dab.Options{}); err != nil {
		t.Fatalf("export into the project's dab/: %v", err)
	}
	if _, err := pipeline.Load(dir); err != nil {
		t.Errorf("the project after an export into dab/: %v", err)
	}
}

// TestExportJSONArraySource: a source of JSON arrays (vega's movies.json,
// which DuckDB reads as it comes) is read by Auto Loader with multiLine,
// JSON Lines without it.
func TestExportJSONArraySource(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"lakebench.yml":              "bundle: {name: films}\nresources:\n  sources:\n    movies: {path: landing/movies/*.json, owner: me}\n    events: {path: landing/events/*.json, owner: me}\n",
		"landing/movies/movies.json": "\ufeff [\n  {\"Title\": \"A\", \"Major Genre\": null},\n  {\"Title\": \"B\", \"Major Genre\": \"Drama\"}\n]\n",
		"landing/events/e.json":      "{\"id\": 1}\n{\"id\": 2}\n",
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, _, _ := export(t, dir)
	for src, want := range map[string]bool{"movies": true, "events": false} {
		b, err := os.ReadFile(filepath.Join(res.Dir, "src", "ingest", src+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), "multiLine => true"); got != want {
			t.Errorf("%s: multiLine %v, want %v:\n%s", src, got, want, b)
		}
	}
}
