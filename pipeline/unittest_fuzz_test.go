package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseTestFile: no test file, however malformed, panics the parser;
// every problem is a diagnostic with the file's name. The seed corpus is
// the sample's test files and testdata/fuzz/FuzzParseTestFile.
func FuzzParseTestFile(f *testing.F) {
	for _, name := range []string{"silver.yml", "gold.yml"} {
		if data, err := os.ReadFile(filepath.Join("..", "sampledata", "project", "tests", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(revenueTests))
	f.Add([]byte("tests: {a: {model: x, inputs: {s.t: {csv: missing.csv}}, expect: {rows: [[1]]}}}"))
	f.Add([]byte("data_tests: {a: {table: s.t, rows: {min: 3, max: 1}}, b: {sql: 'SELECT 1'}}"))
	f.Add([]byte("tests: &a {x: *a}"))
	f.Add([]byte("tests:\n  t:\n    description: |\n      text\n    tolerance: .inf\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "fuzz.yml")
	f.Fuzz(func(t *testing.T, data []byte) {
		file, diags := ParseTestFile(path, data)
		if file.Path != path {
			t.Fatalf("path %q, want %q", file.Path, path)
		}
		for _, d := range diags {
			if d == nil || d.File == "" {
				t.Fatalf("a diagnostic without its file: %#v", d)
			}
			if strings.HasPrefix(d.Message, "cannot read this file (") {
				t.Fatalf("the parser panicked (recovered): %s", d.Message)
			}
		}
		for _, u := range file.Tests {
			for _, r := range u.Expect.Rows {
				if r.Values == nil {
					t.Fatalf("a row without values in %s", u.Name)
				}
			}
		}
	})
}
