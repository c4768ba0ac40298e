package pipeline

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// billionLaughs is the anchor bomb: nine aliases of nine aliases, nine
// levels deep, under variables: 9^9 strings once expanded.
const billionLaughs = `bundle: {name: bomb}
variables:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestYAMLBombsAreRefused(t *testing.T) {
	tests := []struct {
		name, yml, want string
	}{
		{"anchor bomb", billionLaughs, "lakebench.yml:8:13"},
		{"nested brackets", "bundle: {name: bomb}\nvariables:\n  x: " + strings.Repeat("[", 400_000) + "\n", "lakebench.yml:3:106"},
		{"nested braces", "bundle: {name: bomb}\nvariables: " + strings.Repeat("{a: ", 50_000) + "\n", "lakebench.yml:2:"},
		{"nested blocks", "bundle: {name: bomb}\nvariables:\n" + nestedBlocks(120), "lakebench.yml:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tc.yml), 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Load(dir)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error at %s", err, tc.want)
			}
			for _, want := range []string{"nested more than 100", "more than 100000 values"} {
				if strings.Contains(err.Error(), want) {
					goto named
				}
			}
			t.Fatalf("error %q does not say which bound", err)
		named:
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("loading allocated %d MB", alloc>>20)
			}
		})
	}
}

func nestedBlocks(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat(" ", 2*(i+1)) + "k:\n")
	}
	return b.String()
}

// Aliases and brackets within the bounds, and brackets and quotes in text,
// load as before.
func TestYAMLWithinBounds(t *testing.T) {
	yml := `bundle: {name: fine}
variables:
  base: &base {default: 90}
  churn_days: *base
  other: *base
  sql_text: {default: "select a[1], '[[[[' from t -- it's [[["}
  block:
    default: |
      select x['a'], '{{{{{{{{{{{{{{{{' as y from t
      where it's [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
`
	// The last line holds 120 brackets in a block scalar: text, but the
	// byte scan cannot tell, and errs on the safe side.
	if e := checkFlowDepth(FileName, []byte(yml)); e == nil || e.Line != 10 {
		t.Errorf("120 open brackets in a block scalar: %v, want refused at line 10", e)
	}
	yml = strings.Replace(yml, strings.Repeat("[", 120), strings.Repeat("[", 40), 1)
	if e := checkFlowDepth(FileName, []byte(yml)); e != nil {
		t.Fatalf("within bounds: %v", e)
	}
	f, err := safeParse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	if e := checkYAMLBounds(FileName, f); e != nil {
		t.Fatalf("within bounds: %v", e)
	}
}
