package dab

import (
	"strings"
	"testing"
)

// TestTranslateHostile runs SQL with strings and comments that look like
// code through the translator: what is inside a literal or a comment
// stays as written, a quoted schema is still the bundle's schema (else a
// development target's prefixed schema is missed and the model reads
// another table), and DuckDB's literals Databricks cannot read (dollar
// quoting, E'…') are reported at their line and column.
func TestTranslateHostile(t *testing.T) {
	opts := TranslateOptions{File: "m.sql", Schemas: map[string]bool{"silver": true}}
	tests := []struct{ in, want, issue string }{
		{"SELECT '--' AS a, x::INT FROM silver.t -- c::INT", "SELECT '--' AS a, CAST(x AS INT) FROM IDENTIFIER(:schema_silver || '.t') -- c::INT", ""},
		{"SELECT /* a /* nested */ b::INT */ x::INT FROM silver.t", "SELECT /* a /* nested */ b::INT */ CAST(x AS INT) FROM IDENTIFIER(:schema_silver || '.t')", ""},
		{"SELECT 'é€😀 silver.t'::VARCHAR AS \"naïve\"", "SELECT CAST('é€😀 silver.t' AS STRING) AS `naïve`", ""},
		{`SELECT "silver"."t".x FROM "Silver"."t"`, "SELECT IDENTIFIER(:schema_silver || '.`t`').x FROM IDENTIFIER(:schema_silver || '.`t`')", ""},
		{`SELECT x FROM other."silver"."t"`, "SELECT x FROM other.`silver`.`t`", ""},
		{"SELECT $$it's -- x::INT$$ AS a", "SELECT $$it's -- x::INT$$ AS a", "m.sql:1:8: a dollar-quoted string"},
		{"SELECT\n  E'a\\'b' AS s", "SELECT\n  E'a\\'b' AS s", "m.sql:2:3: an escape string E'…'"},
	}
	for _, tt := range tests {
		tr := Translate(tt.in, opts)
		if tr.SQL != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.in, tr.SQL, tt.want)
		}
		var issues []string
		for _, i := range tr.Issues {
			issues = append(issues, i.String())
		}
		got := strings.Join(issues, "\n")
		if (tt.issue == "") != (got == "") || !strings.Contains(got, tt.issue) {
			t.Errorf("%s: issues %q, want %q", tt.in, got, tt.issue)
		}
	}
}
