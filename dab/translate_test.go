package dab

import (
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/tui/editor"
)

func TestTranslate(t *testing.T) {
	opts := TranslateOptions{File: "m.sql", Schemas: map[string]bool{"silver": true, "bronze": true},
		Sources: map[string]string{"landing/orders/*.parquet": "bronze.orders"}, Variables: map[string]any{"days": 30, "rate": 0.5, "name": "x"}}
	tests := []struct{ in, want string }{
		{"SELECT a::INTEGER", "SELECT CAST(a AS INT)"},
		{"SELECT a::int::varchar", "SELECT CAST(CAST(a AS INT) AS STRING)"},
		{"SELECT (a + b)::DECIMAL(18, 6)", "SELECT CAST((a + b) AS DECIMAL(18, 6))"},
		{"SELECT round(x, 2)::DOUBLE", "SELECT CAST(round(x, 2) AS DOUBLE)"},
		{"SELECT t.x::DATE", "SELECT CAST(t.x AS DATE)"},
		{"SELECT x::INT[]", "SELECT CAST(x AS ARRAY<INT>)"},
		{"SELECT x::HUGEINT", "SELECT CAST(x AS DECIMAL(38,0))"},
		{"SELECT CAST(x AS VARCHAR), TRY_CAST(y AS BLOB)", "SELECT CAST(x AS STRING), TRY_CAST(y AS BINARY)"},
		{"SELECT * EXCLUDE (a, b) FROM t", "SELECT * EXCEPT (a, b) FROM t"},
		{"SELECT [1, 2], list_value(3)", "SELECT array(1, 2), array(3)"},
		{"SELECT xs[1], e[1].name", "SELECT element_at(xs, 1), element_at(e, 1).name"},
		{"SELECT strftime(ts, '%Y-%m-%d %H:%M:%S')", "SELECT date_format(ts, 'yyyy-MM-dd HH:mm:ss')"},
		{"SELECT strftime(ts, '%d at %H')", "SELECT date_format(ts, 'dd ''at'' HH')"},
		{"SELECT strptime(s, '%d/%m/%Y')", "SELECT to_timestamp(s, 'dd/MM/yyyy')"},
		{"SELECT date_diff('day', a, b), datediff('months', a, b)", "SELECT datediff(DAY, a, b), datediff(MONTH, a, b)"},
		{"SELECT regexp_matches(s, 'a+')", "SELECT regexp_like(s, 'a+')"},
		{"SELECT regexp_extract(s, '[0-9]+')", "SELECT regexp_extract(s, '[0-9]+', 0)"},
		{"SELECT regexp_replace(s, 'a', 'b', 'g')", "SELECT regexp_replace(s, 'a', 'b')"},
		{"SELECT epoch_ms(1700000000000), to_timestamp(5)", "SELECT timestamp_millis(1700000000000), timestamp_seconds(5)"},
		{"SELECT arg_max(a, b), list(x), now(), today()", "SELECT max_by(a, b), collect_list(x), current_timestamp(), current_date()"},
		{"SELECT a // b, a ~~ 'x%', f(a := 1)", "SELECT a  DIV  b, a  LIKE  'x%', f(a  =>  1)"},
		{"SELECT \"type\" FROM silver.orders AS o", "SELECT `type` FROM IDENTIFIER(:schema_silver || '.orders') AS o"},
		{"SELECT * FROM STREAM(bronze.x) WHERE NOT is_incremental()", "SELECT * FROM IDENTIFIER(:schema_bronze || '.x') WHERE NOT false"},
		{"SELECT * FROM read_parquet('landing/orders/*.parquet')", "SELECT * FROM IDENTIFIER(:schema_bronze || '.orders')"},
		{"SELECT ${var.days}, ${var.rate}, ${var.name}", "SELECT CAST(:days AS BIGINT), CAST(:rate AS DOUBLE), :name"},
		{"SELECT 'a::int', x -- y::int\n/* [1] */", "SELECT 'a::int', x -- y::int\n/* [1] */"},
		{"SELECT i.a FROM {{ input_view }} AS i", "SELECT i.a FROM {{ input_view }} AS i"},
		{"SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY a) = 1 GROUP BY ALL", "SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY a) = 1 GROUP BY ALL"},
	}
	for _, tc := range tests {
		got := Translate(tc.in, opts)
		if got.SQL != tc.want {
			t.Errorf("Translate(%q)\n got %q\nwant %q", tc.in, got.SQL, tc.want)
		}
		if len(got.Issues) > 0 {
			t.Errorf("Translate(%q): issues %v", tc.in, got.Issues)
		}
	}
}

func TestTranslateReports(t *testing.T) {
	tests := []struct{ in, construct string }{
		{"SELECT 1\nFROM a POSITIONAL JOIN b", "POSITIONAL JOIN"},
		{"SELECT * REPLACE (a + 1 AS a) FROM t", "SELECT * REPLACE (...)"},
		{"SELECT epoch_ms(ts) FROM t", "epoch_ms()"},
		{"SELECT regexp_replace(s, 'a', 'b')", "regexp_replace() without 'g'"},
		{"SELECT xs[1:2]", "a list slice xs[a:b]"},
		{"SELECT {'a': 1}", "a struct or map literal {…}"},
		{"SELECT '${var.x}'", "a bundle variable inside a string literal"},
		{"FROM t SELECT a", "FROM-first SELECT"},
		{"SELECT DISTINCT ON (a) a FROM t", "DISTINCT ON"},
		{"SELECT strftime(ts, '%Q')", "strftime()"},
		{"SELECT x::UNION(a INT)", "the type UNION(a INT)"},
		{"SELECT 2 ** 3", "the operator **"},
		{"SELECT regexp_extract(s, '\\d+', 0)", "a backslash in a string literal"},
	}
	for _, tc := range tests {
		got := Translate(tc.in, TranslateOptions{File: "m.sql"})
		if len(got.Issues) != 1 || got.Issues[0].Construct != tc.construct {
			t.Errorf("Translate(%q): issues %v, want one %q", tc.in, got.Issues, tc.construct)
		}
	}
	got := Translate("SELECT 1,\n  generate_series(1, 2)", TranslateOptions{File: "m.sql"})
	if len(got.Issues) != 1 || got.Issues[0].Line != 2 || got.Issues[0].Column != 3 {
		t.Errorf("issue placed at %v, want m.sql:2:3", got.Issues)
	}
}

// tokens are the texts of a SQL text's tokens of one kind.
func tokens(src string, kind editor.Kind) []string {
	var out []string
	for _, tk := range editor.Lex(src) {
		if tk.Kind == kind {
			out = append(out, src[tk.Start:tk.End])
		}
	}
	return out
}

// FuzzTranslate checks that no input panics Translate, that its output
// keeps every comment as written and in order, and that its string
// literals are the input's, less those a rule consumed, plus those it
// produced.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"SELECT a::int::varchar, [1,2], xs[1], strftime(ts, '%Y-%m-%d'), date_diff('day', a, b) FROM silver.t",
		"SELECT * EXCLUDE (a) FROM STREAM(bronze.x) WHERE ${var.x} > 1 -- c\n/* d */",
		"SELECT regexp_replace(s, 'a', 'b', 'g'), read_csv('landing/x/*.csv'), 'it''s', E'a\\'b', $$x$$",
		"SELECT \"a\"\"b\", x // 2, f(a := 1), {'a': 1}, epoch_ms(1)",
	} {
		f.Add(s)
	}
	opts := TranslateOptions{File: "f.sql", Schemas: map[string]bool{"silver": true, "bronze": true},
		Sources: map[string]string{"landing/x/*.csv": "bronze.x"}, Variables: map[string]any{"x": 1}}
	f.Fuzz(func(t *testing.T, src string) {
		// Databricks quotes names with backticks, which DuckDB's lexer
		// reads as an operator: a quoted name holding a quote, a comment
		// start or a backtick would lex differently afterwards.
		for _, q := range tokens(src, editor.QuotedIdent) {
			if len(q) < 2 || q[len(q)-1] != '"' || strings.ContainsAny(q[1:len(q)-1], "'`-/$\"") {
				t.Skip()
			}
		}
		got := Translate(src, opts)
		if in, out := tokens(src, editor.Comment), tokens(got.SQL, editor.Comment); !slices.Equal(in, out) {
			t.Fatalf("comments changed:\n in %q\nout %q\nsql %q", in, out, got.SQL)
		}
		want := tokens(src, editor.String)
		for _, c := range got.Consumed {
			i := slices.Index(want, c)
			if i < 0 {
				t.Fatalf("consumed %q, which the input does not have", c)
			}
			want = slices.Delete(want, i, i+1)
		}
		want = append(want, got.Produced...)
		have := tokens(got.SQL, editor.String)
		slices.Sort(want)
		slices.Sort(have)
		if !slices.Equal(want, have) {
			t.Fatalf("string literals changed:\n in %q\nout %q\nwant %q\nhave %q", src, got.SQL, want, have)
		}
	})
}
