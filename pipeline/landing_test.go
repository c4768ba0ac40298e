package pipeline

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestLandingDirs: each source's directory up to its first glob
// component, under the project, once.
func TestLandingDirs(t *testing.T) {
	p := &Project{Dir: "/p"}
	p.Resources.Sources = map[string]Source{
		"a": {Path: "landing/customers/*.csv"},
		"b": {Path: "landing/customers/extra_*.csv"},
		"c": {Path: "data/prod/landing/events/**/*.json"},
		"d": {Path: "*.csv"},
		"e": {Path: "/abs/orders/[0-9]*.parquet"},
		"f": {Path: "landing/x?/y/*.csv"},
	}
	want := []string{"/abs/orders", "/p", filepath.Join("/p", "data/prod/landing/events"), filepath.Join("/p", "landing"), filepath.Join("/p", "landing/customers")}
	slices.Sort(want)
	if got := p.LandingDirs(); !slices.Equal(got, want) {
		t.Errorf("LandingDirs() = %v, want %v", got, want)
	}
}

// TestCodePaths: the project file and the directories of the transforms'
// and includes' globs, which an export may not write into.
func TestCodePaths(t *testing.T) {
	p := &Project{Dir: "/p", File: "/p/lakebench.yml", Include: []string{"resources/*.yml"}}
	p.Resources.Transforms = []string{"sql/silver/*.sql", "sql/gold/*.sql", "models/**/x.sql"}
	want := []string{"/p/lakebench.yml", "/p/models", "/p/resources", "/p/sql/gold", "/p/sql/silver"}
	if got := p.CodePaths(); !slices.Equal(got, want) {
		t.Errorf("CodePaths() = %v, want %v", got, want)
	}
}
