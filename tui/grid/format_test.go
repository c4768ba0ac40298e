package grid

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
)

// typeCases are DuckDB expressions and how a grid cell shows them. Each
// runs in real DuckDB; want is DuckDB's own text (with thousands
// separators in numbers), plain is the copied text.
var typeCases = []struct {
	name, expr  string
	want, plain string
	kind        cellKind
}{
	{"decimal", "12345678901234567890.1234567890::DECIMAL(38,10)", "12,345,678,901,234,567,890.1234567890", "12345678901234567890.1234567890", kindNumber},
	{"decimal_scale", "1.5::DECIMAL(38,10)", "1.5000000000", "1.5000000000", kindNumber},
	{"decimal_negative", "-1234.05::DECIMAL(10,2)", "-1,234.05", "-1234.05", kindNumber},
	{"decimal_zero", "0::DECIMAL(10,2)", "0.00", "0.00", kindNumber},
	{"hugeint", "170141183460469231731687303715884105727::HUGEINT", "170,141,183,460,469,231,731,687,303,715,884,105,727", "170141183460469231731687303715884105727", kindNumber},
	{"hugeint_small", "-42000::HUGEINT", "-42,000", "-42000", kindNumber},
	{"ubigint", "18446744073709551615::UBIGINT", "18,446,744,073,709,551,615", "18446744073709551615", kindNumber},
	{"tinyint", "-7::TINYINT", "-7", "-7", kindNumber},
	{"double", "1234567.125::DOUBLE", "1,234,567.125", "1234567.125", kindNumber},
	{"double_tiny", "1e-9::DOUBLE", "1e-09", "1e-09", kindNumber},
	{"double_huge", "1e300::DOUBLE", "1e+300", "1e+300", kindNumber},
	{"float", "0.1::FLOAT", "0.1", "0.1", kindNumber},
	{"nan", "'nan'::DOUBLE", "nan", "nan", kindNumber},
	{"inf", "'-inf'::DOUBLE", "-inf", "-inf", kindNumber},
	{"date", "DATE '2024-02-29'", "2024-02-29", "2024-02-29", kindText},
	{"timestamptz", "TIMESTAMPTZ '2024-01-02 03:04:05.123+00'", "2024-01-02 03:04:05.123+00", "2024-01-02 03:04:05.123+00", kindText},
	{"timestamp", "TIMESTAMP '2024-01-02 03:04:05'", "2024-01-02 03:04:05", "2024-01-02 03:04:05", kindText},
	{"time", "TIME '12:34:56.5'", "12:34:56.5", "12:34:56.5", kindText},
	{"interval", "INTERVAL 1 MONTH + INTERVAL 2 DAY + INTERVAL 3 HOUR", "1 month 2 days 03:00:00", "1 month 2 days 03:00:00", kindText},
	{"blob", `'\xAA\x00ab'::BLOB`, `\xAA\x00ab`, `\xAA\x00ab`, kindText},
	{"list", "[1, 2, NULL]", "[1, 2, NULL]", "[1, 2, NULL]", kindText},
	{"list_of_structs", "[{'x': DATE '2024-01-01', 'a': 'q'}]", "[{'x': 2024-01-01, 'a': q}]", "[{'x': 2024-01-01, 'a': q}]", kindText},
	{"struct", "{'z': 1, 'a': 'x', 'm': NULL}", "{'z': 1, 'a': x, 'm': NULL}", "{'z': 1, 'a': x, 'm': NULL}", kindText},
	{"map", "MAP {'k1': 1, 'k2': 2}", "{k1=1, k2=2}", "{k1=1, k2=2}", kindText},
	{"json", `'{"a":[1,2],"b":null}'::JSON`, `{"a":[1,2],"b":null}`, `{"a":[1,2],"b":null}`, kindText},
	{"uuid", "'550e8400-e29b-41d4-a716-446655440000'::UUID", "550e8400-e29b-41d4-a716-446655440000", "550e8400-e29b-41d4-a716-446655440000", kindText},
	{"null", "NULL::VARCHAR", nullText, "", kindNull},
	{"null_int", "NULL::INTEGER", nullText, "", kindNull},
	{"empty", "''", "", "", kindText},
	{"wide", "'漢字😀'", "漢字😀", "漢字😀", kindText},
	{"newline", "'a' || chr(10) || 'b' || chr(9) || 'c'", "a↵b c", "a\nb\tc", kindText},
	{"escape", "chr(27) || '[31mred'", "␛[31mred", "\x1b[31mred", kindText},
	{"bool", "true", "true", "true", kindText},
	{"enum", "'b'::ENUM('a', 'b')", "b", "b", kindText},
}

// TestFormatTypes formats a value of every type DuckDB returns, as a
// live result gives them (Stream keeps DECIMALs exact).
func TestFormatTypes(t *testing.T) {
	exprs := make([]string, len(typeCases))
	for i, c := range typeCases {
		exprs[i] = c.expr + " AS " + c.name
	}
	src := streamed(t, "SELECT "+strings.Join(exprs, ", "))
	row := src.rows[0]
	for i, c := range typeCases {
		t.Run(c.name, func(t *testing.T) {
			typ := src.cols[i].Type
			got := formatCell(row[i], typ)
			if got.text != c.want || got.kind != c.kind {
				t.Errorf("%s (%s, %T %#v): got %q kind %d, want %q kind %d", c.expr, typ, row[i], row[i], got.text, got.kind, c.want, c.kind)
			}
			if p := plainText(row[i], typ); p != c.plain {
				t.Errorf("%s copied as %q, want %q", c.expr, p, c.plain)
			}
		})
	}
}

// TestFormatSnapshotDecimals: a result paged from a snapshot returns
// DECIMALs as float64; the grid still shows the column's scale.
func TestFormatSnapshotDecimals(t *testing.T) {
	src := snapshot(t, "SELECT 1234.5::DECIMAL(10,2) AS d, NULL::DECIMAL(10,2) AS n")
	res, err := src.Page(t.Context(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := formatCell(res.Rows[0][0], res.Columns[0].Type).text; got != "1,234.50" {
		t.Errorf("decimal from a snapshot: %q", got)
	}
	if got := formatCell(res.Rows[0][1], res.Columns[1].Type); got.kind != kindNull {
		t.Errorf("NULL decimal: %+v", got)
	}
}

// TestLayoutNeverBreaks draws every type, wide characters, emoji,
// control characters and escape sequences in the data, and long values
// at several sizes: every line is exactly the grid's width.
func TestLayoutNeverBreaks(t *testing.T) {
	exprs := make([]string, len(typeCases))
	for i, c := range typeCases {
		exprs[i] = c.expr + " AS " + c.name
	}
	src := streamed(t, "SELECT "+strings.Join(exprs, ", ")+", repeat('👩‍👩‍👧漢', 40) AS long_wide, '"+
		"ｈｅａｄｅｒ' AS \"ｗｉｄｅ 見出し\" FROM range(30)")
	for _, size := range [][2]int{{80, 24}, {160, 48}, {41, 10}, {20, 6}} {
		m := open(t, src, size[0], size[1], Options{})
		for step := range len(src.cols) + 2 {
			v := m.View()
			lines := strings.Split(v, "\n")
			if len(lines) != size[1] {
				t.Fatalf("%dx%d step %d: %d lines", size[0], size[1], step, len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w != size[0] {
					t.Fatalf("%dx%d step %d: a line %d cells wide, want %d: %q", size[0], size[1], step, w, size[0], l)
				}
			}
			m, _ = press(t, m, "right")
		}
	}
}

func TestGroupDigits(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "999": "999", "1000": "1,000", "-1000": "-1,000", "1234567.891": "1,234,567.891",
		"-0.5": "-0.5", "1e+300": "1e+300", "123456": "123,456",
	} {
		if got := lakehouse.GroupDigits(in); got != want {
			t.Errorf("lakehouse.GroupDigits(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestTSV(t *testing.T) {
	got := tsv([][]string{{"a", "b\tc", `say "hi"`}, {"", "line\nbreak", "x"}})
	want := "a\t\"b\tc\"\t\"say \"\"hi\"\"\"\n\t\"line\nbreak\"\tx"
	if got != want {
		t.Errorf("tsv: got %q, want %q", got, want)
	}
}

// TestIntervalsAsDuckDB: an INTERVAL shows as DuckDB's own text of it.
func TestIntervalsAsDuckDB(t *testing.T) {
	exprs := []string{
		"INTERVAL 1 MONTH + INTERVAL 2 DAY + INTERVAL 3 HOUR", "INTERVAL 14 MONTH", "INTERVAL 25 MONTH",
		"INTERVAL 1 DAY", "INTERVAL 0 SECOND", "INTERVAL 1500 MILLISECOND", "INTERVAL 90 MINUTE",
		"INTERVAL 100 HOUR", "-INTERVAL 1 MONTH", "INTERVAL (-3) DAY + INTERVAL 2 HOUR",
		"-INTERVAL 90061 SECOND", "INTERVAL 1 MICROSECOND", "TIMESTAMP '2024-03-01' - TIMESTAMP '2024-01-01 12:00:00'",
	}
	var cols []string
	for i, e := range exprs {
		cols = append(cols, fmt.Sprintf("%s AS v%d, (%s)::VARCHAR AS t%d", e, i, e, i))
	}
	src := streamed(t, "SELECT "+strings.Join(cols, ", "))
	row := src.rows[0]
	for i, e := range exprs {
		got, want := formatCell(row[2*i], src.cols[2*i].Type).text, row[2*i+1].(string)
		if got != want {
			t.Errorf("%s: got %q, DuckDB says %q", e, got, want)
		}
	}
}

// TestCopiedAsDuckDB: a copied value of every type is DuckDB's own text
// of it (the session's time zone is UTC, as the driver reads times).
func TestCopiedAsDuckDB(t *testing.T) {
	var cols []string
	for i, c := range typeCases {
		cols = append(cols, fmt.Sprintf("%s AS v%d, (%s)::VARCHAR AS t%d", c.expr, i, c.expr, i))
	}
	src := streamed(t, "SELECT "+strings.Join(cols, ", "))
	row := src.rows[0]
	for i, c := range typeCases {
		want, _ := row[2*i+1].(string)
		if got := plainText(row[2*i], src.cols[2*i].Type); got != want {
			t.Errorf("%s: copied %q, DuckDB says %q", c.expr, got, want)
		}
	}
}

// TestViewerJSONValid: the cell viewer's text of a nested value is valid
// JSON, NULLs, NaN and infinities inside included.
func TestViewerJSONValid(t *testing.T) {
	src := streamed(t, `SELECT [1.5::DOUBLE, 'nan'::DOUBLE, '-inf'::DOUBLE, NULL] AS l,
		{'d': DATE '2024-01-01', 'm': MAP {'k': [1, 2]}, 'x': 12.50::DECIMAL(10,2), 'b': '\x00'::BLOB} AS s,
		'{"a": {"b": [true, null]}}'::JSON AS j`)
	for i, v := range src.rows[0] {
		text := viewerText(v, src.cols[i].Type)
		if !json.Valid([]byte(text)) {
			t.Errorf("%s: not JSON:\n%s", src.cols[i].Name, text)
		}
	}
	if got := viewerText(src.rows[0][1], src.cols[1].Type); !strings.Contains(got, `"x": 12.50`) || !strings.Contains(got, `"k": [`) {
		t.Errorf("struct viewer text:\n%s", got)
	}
}

// A DOUBLE's binary noise is rounded away on screen (15 significant
// digits), never in what is copied.
func TestDoubleRoundedOnScreenOnly(t *testing.T) {
	for _, c := range []struct {
		v          any
		typ        string
		cell, copy string
	}{
		{700676.1799999999, "DOUBLE", "700,676.18", "700676.1799999999"},
		{0.30000000000000004, "DOUBLE", "0.3", "0.30000000000000004"},
		{float32(0.30000001), "FLOAT", "0.3", "0.3"},
		{1e300, "DOUBLE", "1e+300", "1e+300"},
		{-2.5, "DOUBLE", "-2.5", "-2.5"},
	} {
		if got := formatCell(c.v, c.typ).text; got != c.cell {
			t.Errorf("cell of %v %s: %q, want %q", c.v, c.typ, got, c.cell)
		}
		if got := plainText(c.v, c.typ); got != c.copy {
			t.Errorf("copy of %v %s: %q, want %q", c.v, c.typ, got, c.copy)
		}
	}
}

// TestEmojiSequencesOneWidth: emoji joined or restyled (a skin tone, a
// zero-width joiner, a variation selector) measure differently by
// grapheme and by character (tmux drew 👍🏽 four columns wide and ❤️ one,
// and the grid's borders moved); a cell shows them apart, so both
// measures agree on every line.
func TestEmojiSequencesOneWidth(t *testing.T) {
	src := streamed(t, "SELECT '👍🏽x' AS a, '❤️y' AS b, '👨‍👩‍👧w' AS c, 'z' AS d FROM range(3)")
	m := open(t, src, 80, 24, Options{})
	for _, l := range strings.Split(m.View(), "\n") {
		if g, c := ansi.StringWidth(l), ansi.StringWidthWc(l); g != 80 || c != 80 {
			t.Fatalf("a line %d cells wide by grapheme and %d by character, want 80: %q", g, c, l)
		}
	}
}

// TestDecimalPointsLineUp: a column of numbers with different decimal
// parts (DOUBLEs, integers, NaN) is right-aligned on the decimal point,
// as a spreadsheet aligns it: every point in one screen column, an
// integer's last digit just left of it.
func TestDecimalPointsLineUp(t *testing.T) {
	src := streamed(t, `SELECT x FROM (VALUES (1.5::DOUBLE), (1234.25), (3), (0.125), (-20.5), ('nan'::DOUBLE), (NULL)) v(x)`)
	m := open(t, src, 40, 12, Options{})
	lines := strings.Split(m.View(), "\n")
	point := -1
	for _, l := range lines[2:8] {
		l = ansi.Strip(l)
		cell := strings.Split(l, "│")[1]
		var at int
		switch {
		case strings.Contains(cell, "."):
			at = strings.Index(cell, ".")
		case strings.Contains(cell, "3"), strings.Contains(cell, "nan"):
			// A number without a point: its point would come next.
			at = len(strings.TrimRight(cell, " "))
		default:
			t.Fatalf("unexpected cell %q", cell)
		}
		if point >= 0 && at != point {
			t.Fatalf("decimal points at %d and %d:\n%s", point, at, m.View())
		}
		point = at
	}
	if !strings.Contains(lines[4], "    3     │") {
		t.Errorf("the integer 3 is not aligned as 3.000 would be: %q", lines[4])
	}
}
