package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/tui"
)

// TestNoExtensionIsInstalledOrLoadedAnywhere: the owner's `lakebench
// query "install httpfs"` (and a hostile user's variants), the TUI
// Analyst's query, a model file and a quality check that need an
// extension are each refused with the same clear error, before DuckDB
// fetches anything. Without the refusal the owner's INSTALL went to
// DuckDB, which tried to download httpfs.
func TestNoExtensionIsInstalledOrLoadedAnywhere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "run")
	const refused = "never installs or loads DuckDB extensions"
	for _, q := range []string{
		"install httpfs",
		"/* hi */ FORCE InStAlL httpfs FROM community",
		"-- x\nload httpfs",
		"LOAD parquet",
		"SET autoinstall_known_extensions = true",
		"PRAGMA autoload_known_extensions = 1",
		"SET custom_extension_repository = 'http://127.0.0.1:9/'",
		"SET allow_unsigned_extensions = true",
		"select * from 'https://127.0.0.1:9/x.parquet'",
		"with r as (select * from read_csv('s3://b/x.csv')) select * from r",
		"create view gold.remote as select * from 'https://127.0.0.1:9/x.csv'",
		"attach 'x.sqlite' (type sqlite)",
	} {
		stdout, stderr := lb(t, dir, false, "query", "--", q)
		if stdout != "" || !strings.Contains(stderr, refused) {
			t.Errorf("query %q:\nstdout: %s\nstderr: %s", q, stdout, stderr)
		}
	}
	if _, stderr := lb(t, dir, false, "query", "select 1; install httpfs"); !strings.Contains(stderr, "one statement at a time") {
		t.Errorf("two statements: %s", stderr)
	}

	// The TUI's Analyst view.
	t.Setenv("LAKEBENCH_HOME", filepath.Join(dir, ".home"))
	ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: dir})
	info, err := ws.Prepare(context.Background(), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"select * from 'https://127.0.0.1:9/x.parquet'", "install httpfs"} {
		if live, err := ws.Query(context.Background(), info.Target, q); err == nil {
			err = live.Wait(context.Background())
			live.Close()
			if err == nil || !strings.Contains(err.Error(), refused) {
				t.Errorf("the Analyst ran %q: %v", q, err)
			}
		} else if !strings.Contains(err.Error(), refused) {
			t.Errorf("the Analyst's %q: %v, want it refused", q, err)
		}
	}
	ws.Close()

	// A model file, then a quality check, that need httpfs.
	model := filepath.Join(dir, "sql", "gold", "remote.sql")
	os.WriteFile(model, []byte("select * from read_parquet('https://127.0.0.1:9/x.parquet')\n"), 0o644)
	if _, stderr := lb(t, dir, false, "run"); !strings.Contains(stderr, "gold.remote") || !strings.Contains(stderr, refused) {
		t.Errorf("a model reading https: %s", stderr)
	}
	os.Remove(model)
	yml := filepath.Join(dir, "lakebench.yml")
	b, err := os.ReadFile(yml)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = `name: positive_quantity, criticality: error}`
	if !strings.Contains(string(b), anchor) {
		t.Fatal("the sample's positive_quantity check moved")
	}
	bundle := strings.Replace(string(b), anchor, anchor+"\n      - {check: sql_expression, expression: \"quantity > (SELECT count(*) FROM 'https://127.0.0.1:9/x.parquet')\", name: remote, criticality: warn}", 1)
	os.WriteFile(yml, []byte(bundle), 0o644)
	if _, stderr := lb(t, dir, false, "run"); !strings.Contains(stderr, "silver.order_items") || !strings.Contains(stderr, refused) {
		t.Errorf("a check reading https: %s", stderr)
	}
}
