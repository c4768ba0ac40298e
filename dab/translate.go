package dab

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lakebench/lakebench/tui/editor"
)

// Issue is a construct of a SQL file that was not translated: where it is,
// what it is, why it stays and what to do about it.
type Issue struct {
	File         string
	Line, Column int
	Construct    string
	Why          string
	Fix          string
}

func (i Issue) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s (%s)", i.File, i.Line, i.Column, i.Construct, i.Why, i.Fix)
}

// TranslateOptions say what a translation knows of the project.
type TranslateOptions struct {
	// File names the SQL in issues (sql/silver/orders.sql).
	File string
	// Sources maps a source's landing path (its glob, as lakebench.yml
	// writes it) to its bronze table, so read_csv('landing/x/*.csv')
	// becomes the table.
	Sources map[string]string
	// Schemas are the schemas whose tables are named through a parameter
	// (schema_<name>): the bundle's schemas, whose names a development
	// target prefixes.
	Schemas map[string]bool
	// Variables are the bundle's variables with their defaults (a number
	// makes its parameter a CAST of the marker).
	Variables map[string]any
	// Interpolate writes for a string the bundle interpolates (an alert's
	// query_text): tables as ${var.catalog}.${resources.schemas.s.name}.t
	// and ${var.x} left for the bundle, instead of parameter markers.
	Interpolate bool
	// Template writes tables as {{ schema_s }}.t, placeholders the DQX
	// notebook fills in (DQX runs a check's SQL without parameters).
	Template bool
}

// Translation is a SQL text in Databricks SQL.
type Translation struct {
	SQL    string
	Issues []Issue
	// Applied counts the rules of Rules applied, by name.
	Applied map[string]int
	// Params are the named parameter markers the SQL uses (:catalog,
	// :schema_silver, :churn_days) with the bundle reference each takes.
	Params map[string]string
	// Consumed are the input's string literals a rule replaced (a unit
	// or a format argument, a path read as a table); Produced the
	// literals rules wrote. Every other literal is the input's, as is.
	Consumed, Produced []string
}

// Rule is one translation from DuckDB's SQL to Databricks', for the
// README's and the report's table.
type Rule struct {
	Name, DuckDB, Databricks, Note string
}

// Rules are the translations Translate makes.
var Rules = []Rule{
	{"cast", "`x::TYPE`", "`CAST(x AS TYPE)`", "chains nest; the operand is the name, literal, call or bracketed expression before `::`"},
	{"type", "`VARCHAR`, `TEXT`, `HUGEINT`, `UBIGINT`, `BLOB`, `TIMESTAMPTZ`, `UUID`, `JSON`, `T[]`", "`STRING`, `STRING`, `DECIMAL(38,0)`, `DECIMAL(20,0)`, `BINARY`, `TIMESTAMP`, `STRING`, `STRING`, `ARRAY<T>`", "in casts; DuckDB's TIMESTAMP has no time zone: set the warehouse's session time zone to UTC"},
	{"quoted", "`\"name\"`", "`` `name` ``", "Databricks SQL reads double quotes as a string"},
	{"exclude", "`SELECT * EXCLUDE (a)`", "`SELECT * EXCEPT (a)`", ""},
	{"epoch_ms", "`epoch_ms(1700000000000)`", "`timestamp_millis(1700000000000)`", "a numeric argument only: with a timestamp, DuckDB returns milliseconds (reported)"},
	{"to_timestamp", "`to_timestamp(seconds)`", "`timestamp_seconds(seconds)`", "one argument"},
	{"strftime", "`strftime(ts, '%Y-%m-%d %H:%M')`", "`date_format(ts, 'yyyy-MM-dd HH:mm')`", "the format must be a literal; %Y %y %m %d %H %I %M %S %f %p %j %a %A %b %B %z %Z %%"},
	{"strptime", "`strptime(s, '%d/%m/%Y')`", "`to_timestamp(s, 'dd/MM/yyyy')`", "as strftime"},
	{"date_diff", "`date_diff('day', a, b)`, `datediff`, `date_sub('day', a, b)`", "`datediff(DAY, a, b)`", "the unit must be a literal; on timestamps DuckDB counts boundaries crossed, Databricks whole units"},
	{"list", "`[a, b]`, `list_value(a, b)`", "`array(a, b)`", ""},
	{"subscript", "`xs[i]`", "`element_at(xs, i)`", "both 1-based; slices `xs[a:b]` are reported"},
	{"list_functions", "`list_contains`, `array_has`, `list_distinct`, `list_sort`, `list_transform`, `list_filter`, `list(x)`", "`array_contains`, `array_contains`, `array_distinct`, `array_sort`, `transform`, `filter`, `collect_list(x)`", ""},
	{"regexp_matches", "`regexp_matches(s, p)`", "`regexp_like(s, p)` (rlike)", "Java regular expressions, not RE2: check classes such as `\\d` inside literals"},
	{"regexp_extract", "`regexp_extract(s, p)`", "`regexp_extract(s, p, 0)`", "DuckDB's default group is 0, Databricks' 1"},
	{"regexp_replace", "`regexp_replace(s, p, r, 'g')`", "`regexp_replace(s, p, r)`", "without 'g' DuckDB replaces the first match only (reported)"},
	{"arg_max", "`arg_max(x, y)`, `arg_min(x, y)`", "`max_by(x, y)`, `min_by(x, y)`", ""},
	{"now", "`now()`, `today()`", "`current_timestamp()`, `current_date()`", ""},
	{"int_div", "`a // b`", "`a DIV b`", ""},
	{"like_ops", "`a ~~ b`, `a !~~ b`", "`a LIKE b`, `a NOT LIKE b`", ""},
	{"named_args", "`f(a := 1)`", "`f(a => 1)`", ""},
	{"read_files", "`read_csv('landing/x/*.csv')`, `read_parquet`, `read_json`", "the source's table `bronze.x`, else `read_files('…', format => 'csv')`", "a path no source reads is reported: put the files in a volume"},
	{"variable", "`${var.x}`", "`:x` (a sql_task parameter set to `${var.x}`)", "`CAST(:x AS BIGINT)` or `DOUBLE` when the default is a number; inside a string literal it is reported"},
	{"table", "`silver.orders`", "`IDENTIFIER(:schema_silver || '.orders')`", "development targets prefix schema names; the parameter is `${resources.schemas.silver.name}`"},
	{"stream", "`STREAM(bronze.x)`", "`bronze.x`", "each model is rebuilt in full (CREATE OR REPLACE TABLE); `is_incremental()` is `false`"},
	{"passes", "`QUALIFY`, `GROUP BY ALL`, `FILTER (WHERE …)`, `ANTI JOIN`/`SEMI JOIN`, `IS [NOT] DISTINCT FROM`, `TRY_CAST`, `ILIKE`, `||`, lambdas `x -> …`", "unchanged", "Databricks SQL has them"},
}

// untranslatable are DuckDB constructs Translate reports, by lower-cased
// word (a function when followed by "(").
var untranslatableCalls = map[string][2]string{
	"generate_series":     {"a table or list of a series", "use sequence(start, stop, step) (an array) with explode, or range()"},
	"range":               {"DuckDB's range() differs", "use sequence(start, stop) with explode, or Databricks' range(start, end) table function"},
	"unnest":              {"unnest in a select list", "use explode(x) (or LATERAL VIEW explode / inline for structs)"},
	"struct_pack":         {"a struct built from named arguments", "use named_struct('a', x, 'b', y)"},
	"columns":             {"COLUMNS(...) selects columns by pattern", "list the columns"},
	"string_split":        {"Databricks' split takes a regular expression", "use split(s, regex) with the separator escaped"},
	"str_split":           {"Databricks' split takes a regular expression", "use split(s, regex) with the separator escaped"},
	"list_reduce":         {"no list_reduce", "use aggregate(xs, start, (acc, x) -> ...)"},
	"json_extract":        {"DuckDB's JSON functions", "use get_json_object(j, '$.path') or j:path"},
	"json_extract_string": {"DuckDB's JSON functions", "use get_json_object(j, '$.path') or j:path"},
	"epoch_ns":            {"nanosecond epochs", "use unix_micros(ts) * 1000"},
	"md5_number":          {"no md5_number", "use conv(substr(md5(x), 1, 16), 16, 10)"},
	"hash":                {"a different hash function", "use xxhash64(x) (values differ from DuckDB's)"},
}

var untranslatableWords = map[string][2]string{
	"replace":    {"SELECT * REPLACE (...)", "list the columns, with the replaced ones as expressions"},
	"positional": {"POSITIONAL JOIN", "join on a row_number() key"},
	"asof":       {"ASOF JOIN", "join on the key with a range condition and keep the latest match with QUALIFY row_number()"},
	"pivot":      {"DuckDB's PIVOT syntax", "rewrite as Databricks' PIVOT (aggregate FOR column IN (values)) or CASE aggregates"},
	"unpivot":    {"DuckDB's UNPIVOT syntax", "rewrite as Databricks' UNPIVOT (value FOR name IN (columns))"},
	"sample":     {"USING SAMPLE", "use TABLESAMPLE (n PERCENT)"},
}

// Translate rewrites DuckDB SQL as Databricks SQL, token by token over
// the editor's lexer, so string literals and comments are never touched
// (except a literal a rule consumes, listed in Consumed). What it cannot
// translate stays as written and is reported with its line and column.
func Translate(src string, opts TranslateOptions) Translation {
	t := &translator{src: src, opts: opts, toks: editor.Lex(src),
		out: Translation{Applied: map[string]int{}, Params: map[string]string{}}}
	for i, tk := range t.toks {
		if tk.Kind != editor.Space && tk.Kind != editor.Comment {
			t.code = append(t.code, i)
		}
	}
	t.run()
	t.out.SQL = t.apply()
	return t.out
}

type edit struct {
	start, end int
	text       string
	seq        int
	// consumed and produced are the literals this edit removes and
	// writes: they count only when the edit is made.
	consumed, produced []string
}

type translator struct {
	src   string
	opts  TranslateOptions
	toks  []editor.Token
	code  []int // indexes into toks of the tokens that are not space or comment
	edits []edit
	// castStart maps the code index of a cast's last token to the code
	// index its operand starts at, so chained casts nest.
	castStart map[int]int
	out       Translation
	// consumed and produced wait for the next edit.
	consumed, produced []string
}

func (t *translator) text(c int) string {
	tk := t.toks[t.code[c]]
	return t.src[tk.Start:tk.End]
}
func (t *translator) kind(c int) editor.Kind { return t.toks[t.code[c]].Kind }
func (t *translator) start(c int) int        { return t.toks[t.code[c]].Start }
func (t *translator) end(c int) int          { return t.toks[t.code[c]].End }
func (t *translator) lower(c int) string {
	if c < 0 || c >= len(t.code) {
		return ""
	}
	return strings.ToLower(t.text(c))
}
func (t *translator) is(c int, s string) bool {
	return c >= 0 && c < len(t.code) && t.lower(c) == s
}

func (t *translator) replace(from, to int, text string) {
	t.edits = append(t.edits, edit{start: from, end: to, text: text, seq: len(t.edits), consumed: t.consumed, produced: t.produced})
	t.consumed, t.produced = nil, nil
}
func (t *translator) insert(at int, text string) { t.replace(at, at, text) }

func (t *translator) report(c int, construct, why, fix string) {
	line, col := position(t.src, t.start(c))
	t.out.Issues = append(t.out.Issues, Issue{File: t.opts.File, Line: line, Column: col, Construct: construct, Why: why, Fix: fix})
}

func (t *translator) applied(rule string) { t.out.Applied[rule]++ }

// position is the 1-based line and column (in bytes) of an offset.
func position(src string, off int) (int, int) {
	line := 1 + strings.Count(src[:off], "\n")
	return line, off - strings.LastIndexByte(src[:off], '\n')
}

// isName reports a word that may name something (a column, table or
// function).
func (t *translator) isName(c int) bool {
	if c < 0 || c >= len(t.code) {
		return false
	}
	switch t.kind(c) {
	case editor.Word, editor.SoftKeyword, editor.QuotedIdent:
		return true
	case editor.Keyword:
		return !notFunction[t.lower(c)]
	}
	return false
}

// notFunction are keywords a "(" after which is not a call.
var notFunction = map[string]bool{"and": true, "or": true, "not": true, "in": true, "as": true, "on": true, "when": true,
	"then": true, "else": true, "case": true, "select": true, "from": true, "where": true, "exists": true, "any": true,
	"all": true, "some": true, "between": true, "like": true, "ilike": true, "is": true, "using": true, "by": true,
	"having": true, "over": true, "filter": true, "within": true, "distinct": true, "union": true, "except": true,
	"intersect": true, "join": true, "values": true, "with": true, "qualify": true, "window": true, "limit": true,
	"exclude": true, "replace": true, "lateral": true, "end": true, "into": true, "return": true, "returning": true}

// endsExpr reports a code token an expression may end with.
func (t *translator) endsExpr(c int) bool {
	if c < 0 {
		return false
	}
	switch t.kind(c) {
	case editor.Word, editor.SoftKeyword, editor.QuotedIdent, editor.Number, editor.String, editor.Param:
		return true
	case editor.Keyword:
		switch t.lower(c) {
		case "null", "true", "false", "end", "current_date", "current_timestamp":
			return true
		}
	case editor.Punct:
		return t.text(c) == ")" || t.text(c) == "]"
	}
	return false
}

// match finds the bracket closing (or, backward, opening) the one at c;
// -1 when it is unbalanced.
func (t *translator) match(c int) int {
	open, close, step := t.text(c), "", 1
	switch open {
	case "(":
		close = ")"
	case "[":
		close = "]"
	case ")":
		close, step = "(", -1
	case "]":
		close, step = "[", -1
	default:
		return -1
	}
	depth := 0
	for i := c; i >= 0 && i < len(t.code); i += step {
		if t.kind(i) != editor.Punct {
			continue
		}
		switch t.text(i) {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// operand finds where the operand ending at code token c starts (a
// dotted name, a literal, a call, a bracketed expression, a subscript or
// an earlier cast); -1 when there is none.
func (t *translator) operand(c int) int {
	if c < 0 {
		return -1
	}
	if s, ok := t.castStart[c]; ok {
		return s
	}
	switch {
	case t.kind(c) == editor.Punct && t.text(c) == ")":
		m := t.match(c)
		if m < 0 {
			return -1
		}
		if t.isName(m-1) && !(m-2 >= 0 && t.kind(m-2) == editor.Keyword && t.lower(m-2) == "as") {
			return t.dotted(m - 1)
		}
		return m
	case t.kind(c) == editor.Punct && t.text(c) == "]":
		m := t.match(c)
		if m < 0 {
			return -1
		}
		if t.endsExpr(m - 1) {
			if s := t.operand(m - 1); s >= 0 {
				return s
			}
		}
		return m
	case t.endsExpr(c):
		return t.dotted(c)
	}
	return -1
}

// dotted extends a name at c back over a.b.c.
func (t *translator) dotted(c int) int {
	for c-2 >= 0 && t.kind(c-1) == editor.Punct && t.text(c-1) == "." && t.isName(c-2) {
		c -= 2
	}
	return c
}

// args splits the arguments of the call whose "(" is at open: the code
// index ranges [from, to) of each, and the closing index.
func (t *translator) args(open int) ([][2]int, int) {
	close := t.match(open)
	if close < 0 {
		return nil, -1
	}
	var out [][2]int
	from, depth := open+1, 0
	for i := open + 1; i < close; i++ {
		if t.kind(i) != editor.Punct {
			continue
		}
		switch t.text(i) {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, [2]int{from, i})
				from = i + 1
			}
		}
	}
	if from < close {
		out = append(out, [2]int{from, close})
	}
	return out, close
}

// literal returns the text of a string literal alone in an argument.
func (t *translator) literal(a [2]int) (string, bool) {
	if a[1]-a[0] != 1 || t.kind(a[0]) != editor.String {
		return "", false
	}
	s := t.text(a[0])
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
}

// consume and produce record the literals the next edit removes and
// writes.
func (t *translator) consume(a [2]int) { t.consumed = append(t.consumed, t.text(a[0])) }

func (t *translator) produce(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	t.produced = append(t.produced, q)
	return q
}

func (t *translator) run() {
	t.castStart = map[int]int{}
	for c := 0; c < len(t.code); c++ {
		switch t.kind(c) {
		case editor.Operator:
			t.operator(c)
		case editor.Punct:
			t.punct(c)
		case editor.Word, editor.SoftKeyword, editor.Keyword:
			t.word(c)
		case editor.QuotedIdent:
			// "silver"."t" is silver.t: DuckDB folds quoted names' case too.
			afterDot := c > 0 && t.kind(c-1) == editor.Punct && t.text(c-1) == "."
			if q := t.text(c); !afterDot && len(q) >= 2 && q[len(q)-1] == '"' && t.opts.Schemas[strings.ToLower(q[1:len(q)-1])] &&
				t.is(c+1, ".") && t.isName(c+2) && !t.is(c+3, "(") {
				t.table(c)
				c += 2
				continue
			}
			if q := t.text(c); len(q) >= 2 && q[len(q)-1] == '"' {
				name := strings.ReplaceAll(q[1:len(q)-1], `""`, `"`)
				t.replace(t.start(c), t.end(c), "`"+strings.ReplaceAll(name, "`", "``")+"`")
				t.applied("quoted")
			}
		case editor.Other:
			if t.text(c) == "$" {
				c = t.variable(c)
			}
		case editor.String:
			switch lit := t.text(c); {
			case strings.HasPrefix(lit, "$"):
				t.report(c, "a dollar-quoted string", "Databricks SQL has no dollar quoting outside a function's body", "write it as a '…' literal, each quote doubled")
			case len(lit) > 1 && (lit[0] == 'e' || lit[0] == 'E') && lit[1] == '\'':
				t.report(c, "an escape string E'…'", "Databricks SQL has no E prefix (its plain literals read backslash escapes)", "write it as a '…' literal with the same escapes")
			}
			if lit := t.text(c); strings.HasPrefix(lit, "'") && strings.Contains(lit, `\`) {
				t.report(c, "a backslash in a string literal", `Databricks SQL reads backslash escapes in literals ('\d' is 'd')`,
					`double each backslash ('\\d') or write a raw literal (r'\d')`)
			}
			if strings.Contains(t.text(c), "${") {
				t.report(c, "a bundle variable inside a string literal", "a SQL file's parameters are markers, never substituted inside strings",
					"build the string with concat('…', :name, '…')")
			}
		}
	}
}

func (t *translator) operator(c int) {
	switch op := t.text(c); op {
	case "::":
		t.cast(c)
	case "//":
		t.replace(t.start(c), t.end(c), " DIV ")
		t.applied("int_div")
	case "~~":
		t.replace(t.start(c), t.end(c), " LIKE ")
		t.applied("like_ops")
	case "!~~":
		t.replace(t.start(c), t.end(c), " NOT LIKE ")
		t.applied("like_ops")
	case "**", "^":
		t.report(c, "the operator "+op, "Databricks' ^ is a bitwise XOR and it has no **", "use power(a, b)")
	case "->>", "#>", "#>>", "@>", "<@", "&&", "~", "!~", "~*", "!~*", "^@":
		t.report(c, "the operator "+op, "a DuckDB operator Databricks SQL does not have", "use the function it stands for (get_json_object, array_contains, rlike, startswith, ...)")
	case "*":
		if t.is(c+1, "replace") && t.is(c+2, "(") {
			w := untranslatableWords["replace"]
			t.report(c+1, w[0], "Databricks SQL has no star modifier REPLACE", w[1])
		}
	}
}

// cast rewrites x::TYPE as CAST(x AS TYPE).
func (t *translator) cast(c int) {
	s := t.operand(c - 1)
	if s < 0 {
		t.report(c, "a :: cast", "its operand could not be found", "write CAST(x AS type)")
		return
	}
	typ, last, ok := t.typeAt(c + 1)
	if last < 0 {
		t.report(c, "a :: cast", "no type follows it", "write CAST(x AS type)")
		return
	}
	if !ok {
		t.report(c+1, "the type "+t.src[t.start(c+1):t.end(last)], "Databricks SQL has no such type", "cast to a Databricks type (STRING, BIGINT, DECIMAL(p,s), DOUBLE, DATE, TIMESTAMP, ARRAY<T>, MAP<K,V>, STRUCT<...>)")
	}
	t.insert(t.start(s), "CAST(")
	t.replace(t.start(c), t.end(last), "AS "+typ+")")
	if t.start(c) > 0 && !isSpaceByte(t.src[t.start(c)-1]) {
		t.edits[len(t.edits)-1].text = " AS " + typ + ")"
	}
	t.castStart[last] = s
	t.applied("cast")
	if typ != strings.ToUpper(t.src[t.start(c+1):t.end(last)]) {
		t.applied("type")
	}
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// typeAt reads a type name from code token c: words, then (args), then
// [] suffixes; it returns the Databricks type, the last token, and
// whether the type has a Databricks equivalent.
func (t *translator) typeAt(c int) (string, int, bool) {
	if c >= len(t.code) || !(t.kind(c) == editor.Word || t.kind(c) == editor.Keyword || t.kind(c) == editor.SoftKeyword) {
		return "", -1, false
	}
	words := []string{t.lower(c)}
	last := c
	for last+1 < len(t.code) && multiword[t.lower(last+1)] && (t.kind(last+1) == editor.Keyword || t.kind(last+1) == editor.SoftKeyword || t.kind(last+1) == editor.Word) {
		last++
		words = append(words, t.lower(last))
	}
	args := ""
	if t.is(last+1, "(") {
		m := t.match(last + 1)
		if m < 0 {
			return "", -1, false
		}
		args = strings.TrimSpace(t.src[t.end(last+1):t.start(m)])
		last = m
	}
	arrays := 0
	for t.is(last+1, "[") && t.is(last+2, "]") {
		last += 2
		arrays++
	}
	typ, ok := mapType(strings.Join(words, " "), args)
	if strings.Trim(args, "0123456789, ") != "" {
		ok = false // a type's arguments are numbers
	}
	if !ok {
		return t.src[t.start(c):t.end(last)], last, false
	}
	for ; arrays > 0; arrays-- {
		typ = "ARRAY<" + typ + ">"
	}
	return typ, last, ok
}

var multiword = map[string]bool{"precision": true, "with": true, "without": true, "time": true, "zone": true, "varying": true}

// mapType is DuckDB's type as Databricks names it.
func mapType(name, args string) (string, bool) {
	withArgs := func(s string) string {
		if args == "" {
			return s
		}
		return s + "(" + args + ")"
	}
	switch name {
	case "varchar", "text", "string", "char", "bpchar", "character varying", "character", "uuid", "json":
		return "STRING", true
	case "integer", "int", "int4", "signed", "int32":
		return "INT", true
	case "bigint", "int8", "long", "int64":
		return "BIGINT", true
	case "smallint", "int2", "short", "int16":
		return "SMALLINT", true
	case "tinyint", "int1":
		return "TINYINT", true
	case "utinyint":
		return "SMALLINT", true
	case "usmallint":
		return "INT", true
	case "uinteger":
		return "BIGINT", true
	case "ubigint":
		return "DECIMAL(20,0)", true
	case "hugeint", "int128", "uhugeint":
		return "DECIMAL(38,0)", true
	case "double", "float8", "double precision":
		return "DOUBLE", true
	case "float", "real", "float4":
		return "FLOAT", true
	case "decimal", "numeric", "dec":
		return withArgs("DECIMAL"), true
	case "boolean", "bool", "logical":
		return "BOOLEAN", true
	case "date":
		return "DATE", true
	case "timestamp", "datetime", "timestamp without time zone":
		return "TIMESTAMP", true
	case "timestamptz", "timestamp with time zone":
		return "TIMESTAMP", true
	case "blob", "bytea", "binary", "varbinary":
		return "BINARY", true
	case "interval":
		return "INTERVAL", true
	}
	return "", false
}

func (t *translator) punct(c int) {
	switch t.text(c) {
	case "[":
		m := t.match(c)
		if m < 0 {
			return
		}
		from := t.start(c)
		if t.is(c-1, "array") {
			from = t.start(c - 1)
		} else if t.endsExpr(c - 1) {
			t.subscript(c, m)
			return
		}
		t.replace(from, t.end(c), "array(")
		t.replace(t.start(m), t.end(m), ")")
		t.applied("list")
	case ":":
		if c+1 < len(t.code) && t.text(c+1) == "=" && t.start(c+1) == t.end(c) {
			t.replace(t.start(c), t.end(c+1), " => ")
			t.applied("named_args")
		}
	case "{":
		if t.is(c+1, "{") && t.start(c+1) == t.end(c) || c > 0 && t.text(c-1) == "{" && t.start(c) == t.end(c-1) {
			return // a template's {{ placeholder }}, as DQX's {{ input_view }}
		}
		t.report(c, "a struct or map literal {…}", "Databricks SQL has no struct literal", "use named_struct('k', v, …) or map('k', v, …)")
	}
}

// subscript rewrites xs[i] as element_at(xs, i).
func (t *translator) subscript(open, close int) {
	for i := open + 1; i < close; i++ {
		if t.kind(i) == editor.Punct && t.text(i) == ":" {
			t.report(open, "a list slice xs[a:b]", "Databricks arrays slice with slice(xs, start, length)", "use slice(xs, a, b - a + 1)")
			return
		}
	}
	s := t.operand(open - 1)
	if s < 0 || open+1 == close {
		t.report(open, "a subscript", "its operand could not be found", "use element_at(xs, i)")
		return
	}
	t.insert(t.start(s), "element_at(")
	t.replace(t.start(open), t.end(open), ", ")
	t.replace(t.start(close), t.end(close), ")")
	t.castStart[close] = s
	t.applied("subscript")
}

// renames are calls whose name alone changes.
var renames = map[string][2]string{
	"list_value":            {"array", "list"},
	"list_pack":             {"array", "list"},
	"list_contains":         {"array_contains", "list_functions"},
	"list_has":              {"array_contains", "list_functions"},
	"array_has":             {"array_contains", "list_functions"},
	"list_distinct":         {"array_distinct", "list_functions"},
	"list_sort":             {"array_sort", "list_functions"},
	"list_transform":        {"transform", "list_functions"},
	"array_transform":       {"transform", "list_functions"},
	"list_apply":            {"transform", "list_functions"},
	"list_filter":           {"filter", "list_functions"},
	"array_filter":          {"filter", "list_functions"},
	"list":                  {"collect_list", "list_functions"},
	"arg_max":               {"max_by", "arg_max"},
	"argmax":                {"max_by", "arg_max"},
	"arg_min":               {"min_by", "arg_max"},
	"argmin":                {"min_by", "arg_max"},
	"now":                   {"current_timestamp", "now"},
	"get_current_timestamp": {"current_timestamp", "now"},
	"today":                 {"current_date", "now"},
}

var readers = map[string]string{"read_csv": "csv", "read_csv_auto": "csv", "read_parquet": "parquet", "parquet_scan": "parquet",
	"read_json": "json", "read_json_auto": "json", "read_ndjson": "json", "read_ndjson_auto": "json"}

func (t *translator) word(c int) {
	w := t.lower(c)
	afterDot := c > 0 && t.kind(c-1) == editor.Punct && t.text(c-1) == "."
	call := t.is(c+1, "(") && !afterDot
	switch {
	case w == "exclude" && c > 0 && t.text(c-1) == "*":
		t.replace(t.start(c), t.end(c), "EXCEPT")
		t.applied("exclude")
		return
	case (w == "positional" || w == "asof") && t.is(c+1, "join"):
		u := untranslatableWords[w]
		t.report(c, u[0], "Databricks SQL has no such join", u[1])
		return
	case (w == "pivot" || w == "unpivot") && !call:
		u := untranslatableWords[w]
		t.report(c, u[0], "the syntax differs", u[1])
		return
	case w == "using" && t.is(c+1, "sample"):
		u := untranslatableWords["sample"]
		t.report(c, u[0], "Databricks SQL samples with TABLESAMPLE", u[1])
		return
	case w == "distinct" && t.is(c+1, "on"):
		t.report(c, "DISTINCT ON", "Databricks SQL has no DISTINCT ON", "keep the first row per key with QUALIFY row_number() OVER (PARTITION BY … ORDER BY …) = 1")
		return
	case w == "from" && t.firstOfStatement(c):
		t.report(c, "FROM-first SELECT", "Databricks SQL starts a query with SELECT", "write SELECT … FROM …")
		return
	}
	if !afterDot && !call && t.opts.Schemas[w] && t.is(c+1, ".") && t.isName(c+2) && !t.is(c+3, "(") {
		t.table(c)
		return
	}
	if !call {
		return
	}
	args, close := t.args(c + 1)
	if close < 0 {
		return
	}
	if r, ok := renames[w]; ok {
		if w == "list" && len(args) != 1 {
			return
		}
		t.replace(t.start(c), t.end(c), r[0])
		t.applied(r[1])
		return
	}
	if u, ok := untranslatableCalls[w]; ok {
		t.report(c, w+"()", u[0], u[1])
		return
	}
	switch w {
	case "cast", "try_cast":
		t.castType(c+1, close)
	case "stream":
		if len(args) == 1 {
			t.replace(t.start(c), t.start(args[0][0]), "")
			t.replace(t.end(close-1), t.end(close), "")
			t.applied("stream")
		}
	case "is_incremental":
		if len(args) == 0 {
			t.replace(t.start(c), t.end(close), "false")
			t.applied("stream")
		}
	case "regexp_matches":
		if len(args) != 2 {
			t.report(c, "regexp_matches() with options", "Databricks' regexp_like takes no options", "put the options in the pattern ((?i) for case-insensitive)")
			return
		}
		t.replace(t.start(c), t.end(c), "regexp_like")
		t.applied("regexp_matches")
	case "regexp_extract":
		switch len(args) {
		case 2:
			t.insert(t.start(close), ", 0")
			t.applied("regexp_extract")
		case 3:
			if t.kind(args[2][0]) != editor.Number {
				t.report(c, "regexp_extract() with named groups", "Databricks' regexp_extract takes one group index", "extract each group with its own call")
			}
		default:
			t.report(c, "regexp_extract() with options", "Databricks' regexp_extract takes no options", "put the options in the pattern")
		}
	case "regexp_replace":
		if len(args) == 4 {
			if opt, ok := t.literal(args[3]); ok && opt == "g" {
				t.consume(args[3])
				t.replace(t.end(args[2][1]-1), t.end(args[3][1]-1), "")
				t.applied("regexp_replace")
				return
			}
		}
		t.report(c, "regexp_replace() without 'g'", "DuckDB replaces the first match only, Databricks every match", "anchor the pattern so it matches once, or add 'g' if every match was meant")
	case "epoch_ms":
		if len(args) == 1 && args[0][1]-args[0][0] == 1 && t.kind(args[0][0]) == editor.Number {
			t.replace(t.start(c), t.end(c), "timestamp_millis")
			t.applied("epoch_ms")
			return
		}
		t.report(c, "epoch_ms()", "its result depends on the argument's type (a timestamp from milliseconds, or milliseconds from a timestamp)", "use timestamp_millis(ms) or unix_millis(ts)")
	case "to_timestamp":
		if len(args) == 1 {
			t.replace(t.start(c), t.end(c), "timestamp_seconds")
			t.applied("to_timestamp")
		}
	case "strftime", "strptime":
		t.format(c, w, args)
	case "date_diff", "datediff", "date_sub":
		if len(args) != 3 {
			return
		}
		unit, ok := t.literal(args[0])
		if !ok || !dateUnits[strings.ToLower(unit)] {
			t.report(c, w+"()", "the unit is not a literal Databricks knows", "write datediff(DAY, a, b) with the unit as a keyword")
			return
		}
		t.consume(args[0])
		t.replace(t.start(c), t.end(args[0][0]), "datediff("+strings.ToUpper(strings.TrimSuffix(strings.ToLower(unit), "s")))
		t.applied("date_diff")
	}
	if format, ok := readers[w]; ok {
		t.read(c, w, format, args, close)
	}
}

var dateUnits = map[string]bool{"microsecond": true, "millisecond": true, "second": true, "minute": true, "hour": true,
	"day": true, "week": true, "month": true, "quarter": true, "year": true,
	"microseconds": true, "milliseconds": true, "seconds": true, "minutes": true, "hours": true, "days": true,
	"weeks": true, "months": true, "quarters": true, "years": true}

// firstOfStatement reports a code token that begins a statement or a
// parenthesized query.
func (t *translator) firstOfStatement(c int) bool {
	return c == 0 || t.text(c-1) == ";" || (t.text(c-1) == "(" && !t.isName(c-2))
}

// table names a bundle schema's table through the schema's parameter.
func (t *translator) table(c int) {
	schema := strings.Trim(t.lower(c), `"`)
	name := t.text(c + 2)
	if t.kind(c+2) == editor.QuotedIdent {
		name = "`" + strings.ReplaceAll(strings.ReplaceAll(name[1:len(name)-1], `""`, `"`), "`", "``") + "`"
	}
	t.replace(t.start(c), t.end(c+2), t.tableRef(schema, name))
	t.applied("table")
}

// tableRef names a bundle schema's table: through the schema's parameter
// in a SQL file, by the bundle's interpolation in a resource's string.
func (t *translator) tableRef(schema, name string) string {
	if t.opts.Interpolate {
		return "${var.catalog}.${resources.schemas." + schema + ".name}." + name
	}
	if t.opts.Template {
		return "{{ schema_" + schema + " }}." + name
	}
	param := "schema_" + schema
	t.out.Params[param] = "${resources.schemas." + schema + ".name}"
	return "IDENTIFIER(:" + param + " || " + t.produce("."+name) + ")"
}

// read turns read_csv('path') into the source's table that reads path,
// or read_files.
func (t *translator) read(c int, fn, format string, args [][2]int, close int) {
	path, ok := "", false
	if len(args) > 0 {
		path, ok = t.literal(args[0])
	}
	if !ok {
		t.report(c, fn+"()", "its path is not a literal", "read the files through a source (a bronze table) or read_files('/Volumes/…')")
		return
	}
	if table, found := t.opts.Sources[path]; found && len(args) == 1 {
		t.consume(args[0])
		schema, name, _ := strings.Cut(table, ".")
		if t.opts.Schemas[schema] {
			t.replace(t.start(c), t.end(close), t.tableRef(schema, name))
		} else {
			t.replace(t.start(c), t.end(close), table)
		}
		t.applied("read_files")
		return
	}
	if len(args) > 1 {
		t.report(c, fn+"() with options", "read_files takes its own options", "rewrite as read_files('/Volumes/…', format => '"+format+"', …)")
		return
	}
	t.replace(t.start(c), t.start(args[0][0]), "read_files(")
	t.insert(t.end(args[0][1]-1), ", format => "+t.produce(format))
	t.applied("read_files")
	t.report(c, fn+"('"+path+"')", "a path on this machine", "copy the files to a Unity Catalog volume and change the path to /Volumes/<catalog>/<schema>/<volume>/…")
}

// format converts strftime/strptime and their format literal.
func (t *translator) format(c int, fn string, args [][2]int) {
	if len(args) != 2 {
		t.report(c, fn+"()", "it has "+strconv.Itoa(len(args))+" arguments, not 2", "use date_format(ts, 'pattern') or to_timestamp(s, 'pattern')")
		return
	}
	f, ok := t.literal(args[1])
	if !ok {
		// DuckDB also takes strftime(format, ts).
		if f0, ok0 := t.literal(args[0]); ok0 && fn == "strftime" {
			_ = f0
		}
		t.report(c, fn+"()", "its format is not a literal", "write the format as a literal, in Java's pattern letters")
		return
	}
	jf, bad := javaFormat(f)
	if bad != "" {
		t.report(c, fn+"()", "the format specifier "+bad+" has no Java pattern letter", "rewrite the format for date_format")
		return
	}
	name := "date_format"
	if fn == "strptime" {
		name = "to_timestamp"
	}
	t.consume(args[1])
	t.replace(t.start(c), t.end(c), name)
	t.replace(t.start(args[1][0]), t.end(args[1][0]), t.produce(jf))
	t.applied(fn)
}

var formatLetters = map[byte]string{'Y': "yyyy", 'y': "yy", 'm': "MM", 'd': "dd", 'H': "HH", 'I': "hh", 'M': "mm", 'S': "ss",
	'f': "SSSSSS", 'p': "a", 'j': "DDD", 'a': "EEE", 'A': "EEEE", 'b': "MMM", 'B': "MMMM", 'z': "Z", 'Z': "z", 'e': "d", '-': ""}

// javaFormat converts a strftime format to Java's pattern letters,
// quoting literal letters; bad is the first specifier it cannot.
func javaFormat(f string) (string, string) {
	var b strings.Builder
	lit := func(s string) {
		quoted := false
		for _, r := range s {
			letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
			if letter != quoted {
				b.WriteByte('\'')
				quoted = letter
			}
			if r == '\'' {
				b.WriteString("''")
			} else {
				b.WriteRune(r)
			}
		}
		if quoted {
			b.WriteByte('\'')
		}
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			j := i
			for j < len(f) && f[j] != '%' {
				j++
			}
			lit(f[i:j])
			i = j - 1
			continue
		}
		if i+1 >= len(f) {
			return "", "%"
		}
		i++
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if f[i] == '-' && i+1 < len(f) && (f[i+1] == 'd' || f[i+1] == 'm' || f[i+1] == 'H' || f[i+1] == 'M' || f[i+1] == 'S') {
			i++
			b.WriteString(string(formatLetters[f[i]][0]))
			continue
		}
		l, ok := formatLetters[f[i]]
		if !ok || l == "" {
			return "", "%" + string(f[i])
		}
		b.WriteString(l)
	}
	return b.String(), ""
}

// apply makes the edits: insertions at one place outermost first.
func (t *translator) apply() string {
	sort.SliceStable(t.edits, func(i, j int) bool {
		a, b := t.edits[i], t.edits[j]
		if a.start != b.start {
			return a.start < b.start
		}
		ai, bi := a.start == a.end, b.start == b.end
		if ai != bi {
			return ai
		}
		return a.seq > b.seq
	})
	var out strings.Builder
	last := 0
	for _, e := range t.edits {
		if e.start < last {
			continue // overlaps an edit made already: leave it
		}
		out.WriteString(t.src[last:e.start])
		out.WriteString(e.text)
		last = e.end
		t.out.Consumed = append(t.out.Consumed, e.consumed...)
		t.out.Produced = append(t.out.Produced, e.produced...)
	}
	out.WriteString(t.src[last:])
	return out.String()
}

// castType maps the type of CAST(x AS type) whose brackets are open and
// close.
func (t *translator) castType(open, close int) {
	as, depth := -1, 0
	for i := open + 1; i < close; i++ {
		switch {
		case t.kind(i) == editor.Punct && (t.text(i) == "(" || t.text(i) == "["):
			depth++
		case t.kind(i) == editor.Punct && (t.text(i) == ")" || t.text(i) == "]"):
			depth--
		case depth == 0 && t.lower(i) == "as":
			as = i
		}
	}
	if as < 0 {
		return
	}
	typ, last, ok := t.typeAt(as + 1)
	if last != close-1 {
		return
	}
	if !ok {
		t.report(as+1, "the type "+t.src[t.start(as+1):t.end(last)], "Databricks SQL has no such type", "cast to a Databricks type (STRING, BIGINT, DECIMAL(p,s), DOUBLE, DATE, TIMESTAMP, ARRAY<T>)")
		return
	}
	if typ != t.src[t.start(as+1):t.end(last)] {
		t.replace(t.start(as+1), t.end(last), typ)
		t.applied("type")
	}
}

// variable turns ${var.name} (and ${bundle.name}, ${bundle.target})
// into a parameter marker; it returns the last code token it read.
func (t *translator) variable(c int) int {
	if !(t.is(c+1, "{") && t.is(c+3, ".") && t.is(c+5, "}") && t.start(c+1) == t.end(c) && t.isName(c+4)) {
		return c
	}
	scope, name := t.lower(c+2), t.text(c+4)
	if t.opts.Interpolate && (scope == "var" || scope == "bundle") {
		return c + 5 // the bundle substitutes it
	}
	var param, ref string
	switch scope {
	case "var":
		param, ref = name, "${var."+name+"}"
	case "bundle":
		param, ref = "bundle_"+name, "${bundle."+name+"}"
	default:
		t.report(c, "${"+scope+"."+name+"}", "not a bundle variable", "use ${var.name}")
		return c + 5
	}
	t.out.Params[param] = ref
	marker := ":" + param
	switch v := t.opts.Variables[name].(type) {
	case int, int64, uint64:
		marker = "CAST(" + marker + " AS BIGINT)"
	case float64:
		if v == float64(int64(v)) {
			marker = "CAST(" + marker + " AS BIGINT)"
		} else {
			marker = "CAST(" + marker + " AS DOUBLE)"
		}
	}
	t.replace(t.start(c), t.end(c+5), marker)
	t.applied("variable")
	return c + 5
}
