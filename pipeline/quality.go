package pipeline

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// QualityRule is one data-quality check on a table, as databrickslabs DQX
// declares it:
//
//   - criticality: error
//     name: customer_known
//     filter: status = 'completed'
//     check: {function: is_not_null, arguments: {column: customer_id}}
//     user_metadata: {owner: sales}
//
// lakebench's short form names the function in check and puts its usual
// arguments beside it: {check: is_in_range, column: unit_price, min: 0}.
type QualityRule struct {
	Check       QualityCheck `yaml:"check" json:"check"`
	Criticality string       `yaml:"criticality,omitempty" json:"criticality,omitempty"`
	Name        string       `yaml:"name,omitempty" json:"name,omitempty"`
	// Filter is a SQL condition: rows where it is not true pass the check
	// (and, for a dataset check, are left out of its groups).
	Filter       string         `yaml:"filter,omitempty" json:"filter,omitempty"`
	UserMetadata map[string]any `yaml:"user_metadata,omitempty" json:"user_metadata,omitempty"`

	// The short form's arguments: column, expression (sql_expression),
	// min and max (min_limit, max_limit), values (allowed), limit
	// (is_not_less_than, is_not_greater_than, the aggregate checks).
	Column     string   `yaml:"column,omitempty" json:"column,omitempty"`
	Expression string   `yaml:"expression,omitempty" json:"expression,omitempty"`
	Min        *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max        *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	Values     []any    `yaml:"values,omitempty" json:"values,omitempty"`
	Limit      any      `yaml:"limit,omitempty" json:"limit,omitempty"`
}

// QualityCheck is DQX's check: the function and its arguments. In the
// short form it is only the function's name (check: is_not_null).
type QualityCheck struct {
	Function  string         `yaml:"function" json:"function"`
	Arguments map[string]any `yaml:"arguments,omitempty" json:"arguments,omitempty"`
}

// UnmarshalYAML reads either form.
func (c *QualityCheck) UnmarshalYAML(unmarshal func(any) error) error {
	var raw any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	switch x := raw.(type) {
	case nil:
		return nil
	case string:
		c.Function = x
		return nil
	case map[string]any:
		type plain QualityCheck
		return unmarshal((*plain)(c))
	}
	return fmt.Errorf("check: %v is neither a function's name nor {function, arguments}", raw)
}

// The criticalities of a check, as DQX's.
const (
	CriticalityError = "error"
	CriticalityWarn  = "warn"
)

// argKind is what an argument of a check function holds.
type argKind int

const (
	argColumn  argKind = iota // one column name
	argColumns                // a list of column names
	argLiteral                // a number, string, date or boolean, quoted
	argList                   // a list of literals
	argNumber                 // a number
	argInt                    // a whole number
	argBool                   // true or false
	argText                   // a string used as a string (a message, a format, a regex)
	argSQL                    // SQL text: an expression or a query
	argTable                  // a table name
)

func (k argKind) String() string {
	return [...]string{"a column name", "a list of column names", "a value (number, string or date)", "a list of values",
		"a number", "a whole number", "true or false", "a string", "SQL text", "a table name (schema.table)"}[k]
}

type argSpec struct {
	name     string
	kind     argKind
	required bool
	aliases  []string
}

// checkSpec is one DQX check function: its arguments and its SQL.
type checkSpec struct {
	dataset bool
	args    []argSpec
	// build returns the failing condition, the message (SQL), the columns
	// the check is about and its default name.
	build func(a checkArgs) (fail, msg string, cols []string, name string, err error)
}

var columnArg = argSpec{name: "column", kind: argColumn, required: true, aliases: []string{"col_name"}}

// QualityChecks are the check functions lakebench runs, DQX's names.
var qualityChecks = map[string]checkSpec{
	"is_not_null": {args: []argSpec{columnArg}, build: rowCheck("is_null", func(c string, _ checkArgs) (string, string) {
		return c + " IS NULL", "value is null"
	})},
	"is_not_empty": {args: []argSpec{columnArg, {name: "trim_strings", kind: argBool}}, build: rowCheck("is_empty", func(c string, a checkArgs) (string, string) {
		return a.text(c) + " = ''", "value is empty"
	})},
	"is_not_null_and_not_empty": {args: []argSpec{columnArg, {name: "trim_strings", kind: argBool}}, build: rowCheck("is_null_or_empty", func(c string, a checkArgs) (string, string) {
		return "(" + c + " IS NULL OR " + a.text(c) + " = '')", "value is null or empty"
	})},
	"is_null": {args: []argSpec{columnArg}, build: rowCheck("is_not_null", func(c string, _ checkArgs) (string, string) {
		return c + " IS NOT NULL", "value is not null"
	})},
	"is_in_list": {args: []argSpec{columnArg, {name: "allowed", kind: argList, required: true, aliases: []string{"values"}}, {name: "case_sensitive", kind: argBool}},
		build: rowCheck("is_not_in_the_list", func(c string, a checkArgs) (string, string) {
			return c + " IS NOT NULL AND NOT " + a.in(c, "allowed"), "is not in the allowed list: " + a.listText("allowed")
		})},
	"is_not_null_and_is_in_list": {args: []argSpec{columnArg, {name: "allowed", kind: argList, required: true, aliases: []string{"values"}}, {name: "case_sensitive", kind: argBool}},
		build: rowCheck("is_null_or_is_not_in_the_list", func(c string, a checkArgs) (string, string) {
			return "(" + c + " IS NULL OR NOT " + a.in(c, "allowed") + ")", "is null or not in the allowed list: " + a.listText("allowed")
		})},
	"is_not_in_list": {args: []argSpec{columnArg, {name: "forbidden", kind: argList, required: true, aliases: []string{"values"}}, {name: "case_sensitive", kind: argBool}},
		build: rowCheck("is_in_the_list", func(c string, a checkArgs) (string, string) {
			return c + " IS NOT NULL AND " + a.in(c, "forbidden"), "is in the forbidden list: " + a.listText("forbidden")
		})},
	"is_in_range": {args: []argSpec{columnArg, {name: "min_limit", kind: argLiteral, required: true, aliases: []string{"min"}}, {name: "max_limit", kind: argLiteral, required: true, aliases: []string{"max"}}},
		build: rowCheck("not_in_range", func(c string, a checkArgs) (string, string) {
			return "(" + c + " < " + a.lit("min_limit") + " OR " + c + " > " + a.lit("max_limit") + ")", "not in range: [" + a.plain("min_limit") + ", " + a.plain("max_limit") + "]"
		})},
	"is_not_in_range": {args: []argSpec{columnArg, {name: "min_limit", kind: argLiteral, required: true, aliases: []string{"min"}}, {name: "max_limit", kind: argLiteral, required: true, aliases: []string{"max"}}},
		build: rowCheck("in_range", func(c string, a checkArgs) (string, string) {
			return c + " BETWEEN " + a.lit("min_limit") + " AND " + a.lit("max_limit"), "in range: [" + a.plain("min_limit") + ", " + a.plain("max_limit") + "]"
		})},
	"is_not_less_than": {args: []argSpec{columnArg, {name: "limit", kind: argLiteral, required: true}}, build: rowCheck("less_than_limit", func(c string, a checkArgs) (string, string) {
		return c + " < " + a.lit("limit"), "less than limit: " + a.plain("limit")
	})},
	"is_not_greater_than": {args: []argSpec{columnArg, {name: "limit", kind: argLiteral, required: true}}, build: rowCheck("greater_than_limit", func(c string, a checkArgs) (string, string) {
		return c + " > " + a.lit("limit"), "greater than limit: " + a.plain("limit")
	})},
	"is_equal_to": {args: []argSpec{columnArg, {name: "value", kind: argLiteral, required: true}}, build: rowCheck("not_equal_to_value", func(c string, a checkArgs) (string, string) {
		return c + " <> " + a.lit("value"), "not equal to value: " + a.plain("value")
	})},
	"is_not_equal_to": {args: []argSpec{columnArg, {name: "value", kind: argLiteral, required: true}}, build: rowCheck("equal_to_value", func(c string, a checkArgs) (string, string) {
		return c + " = " + a.lit("value"), "equal to value: " + a.plain("value")
	})},
	"regex_match": {args: []argSpec{columnArg, {name: "regex", kind: argText, required: true}, {name: "negate", kind: argBool}}, build: rowCheck("not_matching_regex", func(c string, a checkArgs) (string, string) {
		m := "regexp_matches(CAST(" + c + " AS VARCHAR), " + lakehouse.QuoteString(a.str("regex")) + ")"
		if a.bool("negate") {
			return m, "matching regex: " + a.str("regex")
		}
		return "NOT " + m, "not matching regex: " + a.str("regex")
	})},
	"is_valid_date": {args: []argSpec{columnArg, {name: "date_format", kind: argText}}, build: rowCheck("is_not_valid_date", func(c string, a checkArgs) (string, string) {
		return c + " IS NOT NULL AND " + a.parsed(c, "date_format", "DATE") + " IS NULL", "is not a valid date"
	})},
	"is_valid_timestamp": {args: []argSpec{columnArg, {name: "timestamp_format", kind: argText}}, build: rowCheck("is_not_valid_timestamp", func(c string, a checkArgs) (string, string) {
		return c + " IS NOT NULL AND " + a.parsed(c, "timestamp_format", "TIMESTAMP") + " IS NULL", "is not a valid timestamp"
	})},
	"is_not_in_future": {args: []argSpec{columnArg, {name: "offset", kind: argInt}, {name: "curr_timestamp", kind: argLiteral}}, build: rowCheck("in_future", func(c string, a checkArgs) (string, string) {
		now := "now()::TIMESTAMP"
		if a.has("curr_timestamp") {
			now = "CAST(" + a.lit("curr_timestamp") + " AS TIMESTAMP)"
		}
		return "CAST(" + c + " AS TIMESTAMP) > " + now + " + to_seconds(" + strconv.FormatInt(a.int("offset"), 10) + ")", "is in the future"
	})},
	"is_older_than_n_days": {args: []argSpec{columnArg, {name: "days", kind: argInt, required: true}, {name: "curr_date", kind: argLiteral}, {name: "negate", kind: argBool}},
		build: rowCheck("not_older_than_n_days", func(c string, a checkArgs) (string, string) {
			today := "current_date"
			if a.has("curr_date") {
				today = "CAST(" + a.lit("curr_date") + " AS DATE)"
			}
			cond := "CAST(" + c + " AS DATE) > " + today + " - " + strconv.FormatInt(a.int("days"), 10)
			if a.bool("negate") {
				return "NOT (" + cond + ")", fmt.Sprintf("is older than %d days", a.int("days"))
			}
			return cond, fmt.Sprintf("is not older than %d days", a.int("days"))
		})},
	"is_valid_json": {args: []argSpec{columnArg}, build: rowCheck("is_not_valid_json", func(c string, _ checkArgs) (string, string) {
		return c + " IS NOT NULL AND NOT coalesce(json_valid(CAST(" + c + " AS VARCHAR)), false)", "is not valid JSON"
	})},
	"is_valid_email": {args: []argSpec{columnArg}, build: rowCheck("is_not_valid_email", func(c string, _ checkArgs) (string, string) {
		return c + " IS NOT NULL AND NOT regexp_full_match(CAST(" + c + " AS VARCHAR), " + lakehouse.QuoteString(emailPattern) + ")", "is not a valid email address"
	})},
	"is_valid_uuid": {args: []argSpec{columnArg}, build: rowCheck("is_not_valid_uuid", func(c string, _ checkArgs) (string, string) {
		return c + " IS NOT NULL AND NOT regexp_full_match(CAST(" + c + " AS VARCHAR), " + lakehouse.QuoteString(uuidPattern) + ")", "is not a valid UUID"
	})},
	"sql_expression": {args: []argSpec{{name: "expression", kind: argSQL, required: true}, {name: "msg", kind: argText}, {name: "negate", kind: argBool}, {name: "columns", kind: argColumns}},
		build: func(a checkArgs) (string, string, []string, string, error) {
			expr := a.str("expression")
			fail := "NOT (" + expr + ")"
			msg := "Value is not matching expression: " + expr
			if a.bool("negate") {
				fail, msg = "("+expr+")", "Value is matching expression: "+expr
			}
			if a.has("msg") {
				msg = a.str("msg")
			}
			return fail, lakehouse.QuoteString(msg), a.strs("columns"), normalizeName(expr), nil
		}},
	"is_unique": {dataset: true, args: []argSpec{{name: "columns", kind: argColumns, required: true}, {name: "nulls_distinct", kind: argBool}},
		build: func(a checkArgs) (string, string, []string, string, error) {
			cols := a.strs("columns")
			q := quoteAll(cols)
			count := "count(*)" + a.filterClause() + " OVER (PARTITION BY " + strings.Join(q, ", ") + ") > 1"
			fail := count
			if !a.has("nulls_distinct") || a.bool("nulls_distinct") {
				fail = "(" + strings.Join(q, " IS NOT NULL AND ") + " IS NOT NULL) AND " + count
			}
			msg := lakehouse.QuoteString("Value '") + " || concat_ws(', ', " + castAll(q) + ") || " +
				lakehouse.QuoteString("' in Column '"+strings.Join(cols, ", ")+"' is not unique")
			return fail, msg, cols, strings.Join(cols, "_") + "_is_not_unique", nil
		}},
	"foreign_key": {dataset: true, args: []argSpec{{name: "columns", kind: argColumns, required: true}, {name: "ref_columns", kind: argColumns, required: true},
		{name: "ref_table", kind: argTable, required: true}, {name: "negate", kind: argBool}},
		build: func(a checkArgs) (string, string, []string, string, error) {
			cols, refs := a.strs("columns"), a.strs("ref_columns")
			if len(cols) != len(refs) {
				return "", "", nil, "", a.errorAt("ref_columns", fmt.Sprintf("foreign_key has %d columns but %d ref_columns", len(cols), len(refs)), "give one ref_column per column, in the same order")
			}
			ref, _ := lakehouse.ParseTableName(a.str("ref_table"))
			q := quoteAll(cols)
			var match []string
			for i, c := range q {
				match = append(match, "lb_ref."+lakehouse.QuoteIdent(refs[i])+" = "+lakehouse.InputAlias+"."+c)
			}
			exists := "EXISTS (SELECT 1 FROM " + ref.SQL() + " AS lb_ref WHERE " + strings.Join(match, " AND ") + ")"
			fail := "(" + strings.Join(q, " IS NOT NULL AND ") + " IS NOT NULL) AND NOT " + exists
			what := "not found in"
			if a.bool("negate") {
				fail = "(" + strings.Join(q, " IS NOT NULL AND ") + " IS NOT NULL) AND " + exists
				what = "found in"
			}
			msg := lakehouse.QuoteString("FK violation: Value '") + " || concat_ws(', ', " + castAll(q) + ") || " +
				lakehouse.QuoteString("' in column '"+strings.Join(cols, ", ")+"' "+what+" reference column '"+ref.String()+"."+strings.Join(refs, ", ")+"'")
			return fail, msg, cols, strings.Join(cols, "_") + "_" + strings.Join(refs, "_") + "_foreign_key_violation", nil
		}},
	"is_aggr_not_greater_than": {dataset: true, args: aggrArgs, build: aggrCheck(">", "greater_than_limit", "greater than")},
	"is_aggr_not_less_than":    {dataset: true, args: aggrArgs, build: aggrCheck("<", "less_than_limit", "less than")},
	"sql_query": {dataset: true, args: []argSpec{{name: "query", kind: argSQL, required: true}, {name: "merge_columns", kind: argColumns},
		{name: "condition_column", kind: argText}, {name: "msg", kind: argText}, {name: "negate", kind: argBool}, {name: "input_placeholder", kind: argText}},
		build: func(a checkArgs) (string, string, []string, string, error) {
			placeholder := "input_view"
			if a.has("input_placeholder") {
				placeholder = a.str("input_placeholder")
			}
			re := regexp.MustCompile(`\{\{\s*` + regexp.QuoteMeta(placeholder) + `\s*\}\}`)
			query := strings.TrimRight(strings.TrimSpace(re.ReplaceAllString(a.str("query"), lakehouse.InputView)), "; \n\t")
			cond := "condition"
			if a.has("condition_column") {
				cond = a.str("condition_column")
			}
			c := "lb_q." + lakehouse.QuoteIdent(cond)
			if a.bool("negate") {
				c = "NOT " + c
			}
			var match []string
			for _, m := range a.strs("merge_columns") {
				match = append(match, "lb_q."+lakehouse.QuoteIdent(m)+" IS NOT DISTINCT FROM "+lakehouse.InputAlias+"."+lakehouse.QuoteIdent(m))
			}
			where := ""
			if len(match) > 0 {
				where = " WHERE " + strings.Join(match, " AND ")
			}
			fail := "(SELECT bool_or(" + c + ") FROM (" + query + ") AS lb_q" + where + ")"
			msg := "Value is not matching query: " + a.str("query")
			if a.bool("negate") {
				msg = "Value is matching query: " + a.str("query")
			}
			if a.has("msg") {
				msg = a.str("msg")
			}
			return fail, lakehouse.QuoteString(msg), a.strs("merge_columns"), "sql_query", nil
		}},
}

var aggrArgs = []argSpec{{name: "column", kind: argText, required: true, aliases: []string{"col_name"}}, {name: "limit", kind: argNumber, required: true},
	{name: "aggr_type", kind: argText, aliases: []string{"aggregation"}}, {name: "group_by", kind: argColumns}}

// aggregations are the aggr_type values of is_aggr_*, as DuckDB's window
// aggregates.
var aggregations = map[string]string{"count": "count", "sum": "sum", "avg": "avg", "min": "min", "max": "max",
	"stddev": "stddev_samp", "variance": "var_samp", "median": "median", "count_distinct": "count"}

const (
	emailPattern = `[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`
	uuidPattern  = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
)

// QualityFunctions lists the check functions, sorted.
func QualityFunctions() []string {
	out := make([]string, 0, len(qualityChecks))
	for n := range qualityChecks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// rowCheck builds a check on one column: fail and the message's end from
// the quoted column, the default name from DQX's suffix.
func rowCheck(suffix string, f func(col string, a checkArgs) (fail, what string)) func(a checkArgs) (string, string, []string, string, error) {
	return func(a checkArgs) (string, string, []string, string, error) {
		name := a.str("column")
		c := lakehouse.QuoteIdent(name)
		fail, what := f(c, a)
		// As DQX words them: "Column 'c' value is null", "Value '7' in
		// Column 'c' is not in the allowed list: [a, b]".
		msg := lakehouse.QuoteString("Value '") + " || coalesce(CAST(" + c + " AS VARCHAR), 'null') || " + lakehouse.QuoteString("' in Column '"+name+"' "+what)
		if strings.HasPrefix(what, "value ") {
			msg = lakehouse.QuoteString("Column '" + name + "' " + what)
		}
		return fail, msg, []string{name}, normalizeName(name) + "_" + suffix, nil
	}
}

func aggrCheck(op, suffix, what string) func(a checkArgs) (string, string, []string, string, error) {
	return func(a checkArgs) (string, string, []string, string, error) {
		aggr := "count"
		if a.has("aggr_type") {
			aggr = strings.ToLower(a.str("aggr_type"))
		}
		fn, ok := aggregations[aggr]
		if !ok {
			names := slices.Sorted(func(yield func(string) bool) {
				for k := range aggregations {
					if !yield(k) {
						return
					}
				}
			})
			return "", "", nil, "", a.errorAt("aggr_type", fmt.Sprintf("unknown aggr_type %q", aggr), "aggr_types: "+strings.Join(names, ", ")+suggestHint(aggr, names))
		}
		col := a.str("column")
		var arg string
		switch {
		case col == "*" && aggr == "count":
			arg = "*"
		case col == "*":
			return "", "", nil, "", a.errorAt("column", "column * is only for aggr_type count", "name the column to aggregate")
		default:
			arg = lakehouse.QuoteIdent(col)
		}
		call := fn + "(" + arg + ")" + a.filterClause()
		if aggr == "count_distinct" {
			call = "count(DISTINCT " + arg + ")" + a.filterClause()
		}
		var over string
		groups := a.strs("group_by")
		if len(groups) > 0 {
			over = "PARTITION BY " + strings.Join(quoteAll(groups), ", ")
		}
		fail := call + " OVER (" + over + ") " + op + " " + a.lit("limit")
		per, nameGroups := "", ""
		if len(groups) > 0 {
			per, nameGroups = " per group of "+strings.Join(groups, ", "), "_group_by_"+strings.Join(groups, "_")
		}
		cols := []string{}
		if col != "*" {
			cols = []string{col}
		}
		msg := lakehouse.QuoteString(fmt.Sprintf("%s of %s%s is %s limit: %s", aggr, col, per, what, a.plain("limit")))
		colName := normalizeName(col)
		if col == "*" {
			colName = "all"
		}
		return fail, msg, cols, colName + "_" + aggr + nameGroups + "_" + suffix, nil
	}
}

// normalizeName turns text into a check name as DQX does: lower case,
// runs of other characters as one underscore.
func normalizeName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.TrimRight(b.String(), "_")
}

func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = lakehouse.QuoteIdent(c)
	}
	return out
}

func castAll(q []string) string {
	out := make([]string, len(q))
	for i, c := range q {
		out[i] = "coalesce(CAST(" + c + " AS VARCHAR), 'null')"
	}
	return strings.Join(out, ", ")
}

// ruleError is a check's mistake at a path under its rule (".check.function",
// ".check.arguments.limit", ".column").
type ruleError struct {
	path, msg, hint string
}

func (e *ruleError) Error() string {
	if e.hint != "" {
		return e.msg + " (" + e.hint + ")"
	}
	return e.msg
}

// checkArgs are a check's arguments, under their DQX names, with where each
// was written.
type checkArgs struct {
	vals   map[string]any
	paths  map[string]string
	filter string
}

func (a checkArgs) has(k string) bool { _, ok := a.vals[k]; return ok }

func (a checkArgs) errorAt(k, msg, hint string) *ruleError {
	return &ruleError{path: a.paths[k], msg: msg, hint: hint}
}

func (a checkArgs) str(k string) string {
	switch v := a.vals[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return v.Format(time.DateOnly)
	default:
		return fmt.Sprint(v)
	}
}

func (a checkArgs) strs(k string) []string {
	switch v := a.vals[k].(type) {
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = fmt.Sprint(x)
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

func (a checkArgs) bool(k string) bool { b, _ := a.vals[k].(bool); return b }

func (a checkArgs) int(k string) int64 {
	f, _ := number(a.vals[k])
	return int64(f)
}

// lit is the argument as a SQL literal.
func (a checkArgs) lit(k string) string {
	s, _ := literal(a.vals[k])
	return s
}

// plain is the argument as a message shows it.
func (a checkArgs) plain(k string) string {
	v := a.vals[k]
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return a.str(k)
}

func (a checkArgs) listText(k string) string {
	return "[" + strings.Join(a.strs(k), ", ") + "]"
}

// text is the column as VARCHAR, trimmed when trim_strings is set.
func (a checkArgs) text(c string) string {
	if a.bool("trim_strings") {
		return "trim(CAST(" + c + " AS VARCHAR))"
	}
	return "CAST(" + c + " AS VARCHAR)"
}

// in is the column's membership in a list: as text when every value is a
// string (so a number column compares as written), else typed.
func (a checkArgs) in(c, k string) string {
	list, _ := a.vals[k].([]any)
	lits := make([]string, len(list))
	allText := true
	for i, v := range list {
		lits[i], _ = literal(v)
		if _, isText := v.(string); !isText {
			allText = false
		}
	}
	insensitive := a.has("case_sensitive") && !a.bool("case_sensitive")
	col := c
	if allText {
		col = "CAST(" + c + " AS VARCHAR)"
		if insensitive {
			col = "lower(" + col + ")"
			for i := range lits {
				lits[i] = "lower(" + lits[i] + ")"
			}
		}
	}
	return col + " IN (" + strings.Join(lits, ", ") + ")"
}

// parsed is the column parsed as typ with the format argument k (DuckDB's
// strptime format, or Spark's yyyy-MM-dd HH:mm:ss translated), NULL when
// it does not parse.
func (a checkArgs) parsed(c, k, typ string) string {
	if !a.has(k) {
		return "TRY_CAST(CAST(" + c + " AS VARCHAR) AS " + typ + ")"
	}
	return "try_strptime(CAST(" + c + " AS VARCHAR), " + lakehouse.QuoteString(strptimeFormat(a.str(k))) + ")"
}

// filterClause is the check's filter as an aggregate's FILTER clause, so a
// dataset check's groups hold only the rows it checks.
func (a checkArgs) filterClause() string {
	if a.filter == "" {
		return ""
	}
	return " FILTER (WHERE coalesce((" + a.filter + "), false))"
}

// strptimeFormat translates Spark's date pattern letters (DQX's formats)
// into DuckDB's strptime; a format with % is DuckDB's already.
func strptimeFormat(f string) string {
	if strings.Contains(f, "%") {
		return f
	}
	r := strings.NewReplacer("yyyy", "%Y", "yy", "%y", "MM", "%m", "dd", "%d", "HH", "%H", "mm", "%M", "ss", "%S", "SSS", "%g")
	return r.Replace(f)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return 0, false
}

// literal quotes a YAML value as a SQL literal: numbers as numbers,
// booleans as booleans, anything else as a string.
func literal(v any) (string, error) {
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	}
	switch x := v.(type) {
	case bool:
		return strings.ToUpper(strconv.FormatBool(x)), nil
	case string:
		return lakehouse.QuoteString(x), nil
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return lakehouse.QuoteString(x.Format(time.DateOnly)), nil
		}
		return lakehouse.QuoteString(x.UTC().Format("2006-01-02 15:04:05.999999")), nil
	case float64:
		return "", fmt.Errorf("%v is not a finite number", x)
	}
	return "", fmt.Errorf("%v is not a number, string, date or boolean", v)
}

// arguments gathers the rule's arguments under DQX's names (the short
// form's beside check, then check.arguments), with their paths.
func (r QualityRule) arguments(spec checkSpec) (checkArgs, error) {
	a := checkArgs{vals: map[string]any{}, paths: map[string]string{}, filter: r.Filter}
	names := map[string]string{}
	var allowed []string
	for _, s := range spec.args {
		names[s.name] = s.name
		allowed = append(allowed, s.name)
		for _, al := range s.aliases {
			names[al] = s.name
		}
	}
	set := func(key, path string, v any) error {
		name, ok := names[key]
		if !ok {
			return &ruleError{path: path, msg: fmt.Sprintf("%s takes no argument %q", r.Check.Function, key),
				hint: strings.TrimPrefix(strings.TrimSpace(suggestHint(key, allowed)+" "+argsHint(r.Check.Function, spec)), "; ")}
		}
		a.vals[name], a.paths[name] = v, path
		return nil
	}
	short := []struct {
		key string
		set bool
		v   any
	}{{"column", r.Column != "", r.Column}, {"expression", r.Expression != "", r.Expression}, {"values", r.Values != nil, r.Values}, {"limit", r.Limit != nil, r.Limit}}
	for _, s := range short {
		if s.set {
			if err := set(s.key, "."+s.key, s.v); err != nil {
				return a, err
			}
		}
	}
	if r.Min != nil || r.Max != nil {
		// The short form's range: one bound is a one-sided check.
		switch {
		case r.Check.Function == "is_in_range" && r.Min != nil && r.Max == nil:
			r.Check.Function, spec = "is_not_less_than", qualityChecks["is_not_less_than"]
			a.vals["limit"], a.paths["limit"] = *r.Min, ".min"
		case r.Check.Function == "is_in_range" && r.Max != nil && r.Min == nil:
			r.Check.Function, spec = "is_not_greater_than", qualityChecks["is_not_greater_than"]
			a.vals["limit"], a.paths["limit"] = *r.Max, ".max"
		default:
			for k, v := range map[string]*float64{"min": r.Min, "max": r.Max} {
				if v != nil {
					if err := set(k, "."+k, *v); err != nil {
						return a, err
					}
				}
			}
		}
	}
	for _, k := range sortedKeys(r.Check.Arguments) {
		if err := set(k, ".check.arguments."+k, r.Check.Arguments[k]); err != nil {
			return a, err
		}
	}
	for _, s := range spec.args {
		v, ok := a.vals[s.name]
		if !ok {
			if s.required {
				return a, &ruleError{path: ".check", msg: fmt.Sprintf("%s needs argument %s (%s)", r.Check.Function, s.name, s.kind), hint: argsHint(r.Check.Function, spec)}
			}
			continue
		}
		if err := checkKind(s, v); err != nil {
			return a, &ruleError{path: a.paths[s.name], msg: fmt.Sprintf("%s: argument %s should be %s, not %v", r.Check.Function, s.name, s.kind, v), hint: err.Error()}
		}
	}
	return a, nil
}

// argsHint lists a function's arguments, required first.
func argsHint(fn string, spec checkSpec) string {
	var req, opt []string
	for _, s := range spec.args {
		if s.required {
			req = append(req, s.name)
		} else {
			opt = append(opt, s.name)
		}
	}
	h := fn + " takes " + strings.Join(req, ", ")
	if len(opt) > 0 {
		h += " (optional: " + strings.Join(opt, ", ") + ")"
	}
	return h
}

// checkKind says why v is not an argument of kind s.kind, or nil.
func checkKind(s argSpec, v any) error {
	isText := func(v any) bool { _, ok := v.(string); return ok && v != "" }
	switch s.kind {
	case argColumn:
		if !isText(v) {
			return fmt.Errorf("write the column's name")
		}
	case argColumns:
		list, ok := v.([]any)
		if isText(v) {
			return nil
		}
		if !ok || len(list) == 0 {
			return fmt.Errorf("write a list of column names, such as [order_id]")
		}
		for _, x := range list {
			if !isText(x) {
				return fmt.Errorf("%v is not a column name", x)
			}
		}
	case argLiteral:
		if _, err := literal(v); err != nil {
			return err
		}
	case argList:
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("write a list, such as [a, b]")
		}
		for _, x := range list {
			if _, err := literal(x); err != nil {
				return err
			}
		}
	case argNumber:
		if _, ok := number(v); !ok {
			return fmt.Errorf("write a number")
		}
	case argInt:
		if f, ok := number(v); !ok || f != math.Trunc(f) || math.Abs(f) > 1e12 {
			return fmt.Errorf("write a whole number")
		}
	case argBool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("write true or false")
		}
	case argText, argSQL:
		if !isText(v) {
			return fmt.Errorf("write it as a string")
		}
		if s.name == "regex" {
			if _, err := regexp.Compile(v.(string)); err != nil {
				return fmt.Errorf("not a regular expression: %v", err)
			}
		}
		if s.kind == argSQL {
			if err := lakehouse.CheckFragment(v.(string)); err != nil {
				return fmt.Errorf("not one self-contained piece of SQL, %v", err)
			}
		}
	case argTable:
		if !isText(v) {
			return fmt.Errorf("write schema.table")
		}
		if _, err := lakehouse.ParseTableName(v.(string)); err != nil {
			return err
		}
	}
	return nil
}

// rule translates the rule into lakehouse's: its SQL, name and result
// fields. Mistakes are *ruleError, placed under the rule.
func (r QualityRule) rule() (lakehouse.Rule, error) {
	crit := r.Criticality
	if crit == "" {
		crit = CriticalityError
	}
	if crit != CriticalityError && crit != CriticalityWarn {
		return lakehouse.Rule{}, &ruleError{path: ".criticality", msg: fmt.Sprintf("criticality %q", crit), hint: "use error (quarantine the row) or warn (keep it, with _warnings)" + suggestHint(crit, []string{CriticalityError, CriticalityWarn})}
	}
	fn := r.Check.Function
	spec, ok := qualityChecks[fn]
	if !ok {
		fns := QualityFunctions()
		msg := fmt.Sprintf("unknown check %q", fn)
		if fn == "" {
			msg = "the rule names no check function"
		}
		hint := "checks: " + strings.Join(fns, ", ")
		if s := suggest(fn, fns); s != "" && fn != "" {
			hint = "did you mean " + s + "? " + hint
		}
		return lakehouse.Rule{}, &ruleError{path: ".check", msg: msg, hint: hint}
	}
	a, err := r.arguments(spec)
	if err != nil {
		return lakehouse.Rule{}, err
	}
	if r.Filter != "" {
		if err := lakehouse.CheckFragment(r.Filter); err != nil {
			return lakehouse.Rule{}, &ruleError{path: ".filter", msg: "the filter is not one self-contained SQL condition, " + err.Error(), hint: "write one boolean expression over the row's columns, without comments or ;"}
		}
	}
	if r.Min != nil && r.Max == nil && fn == "is_in_range" {
		fn, spec = "is_not_less_than", qualityChecks["is_not_less_than"]
	} else if r.Max != nil && r.Min == nil && fn == "is_in_range" {
		fn, spec = "is_not_greater_than", qualityChecks["is_not_greater_than"]
	}
	fail, msg, cols, name, err := spec.build(a)
	if err != nil {
		return lakehouse.Rule{}, err
	}
	if r.Name != "" {
		name = r.Name
	}
	var meta map[string]string
	for _, k := range sortedKeys(r.UserMetadata) {
		if meta == nil {
			meta = map[string]string{}
		}
		meta[k] = fmt.Sprint(r.UserMetadata[k])
	}
	if cols == nil {
		cols = []string{}
	}
	lr := lakehouse.Rule{Name: name, Criticality: crit, Function: fn, Fail: fail, Message: msg, Columns: cols,
		Filter: r.Filter, UserMetadata: meta}
	lr.Scope, lr.Key, lr.Query = scope(fn, spec, a)
	return lr, nil
}

// scope is which rows a check's flag on a row depends on (lakehouse's
// Rule.Scope): the row alone for a row check, except those that compare
// with the clock; the rows sharing its columns for is_unique, its merge
// columns for sql_query (which lakehouse verifies on the query); any row
// for the aggregates.
func scope(fn string, spec checkSpec, a checkArgs) (string, []string, string) {
	switch {
	case fn == "is_not_in_future" || fn == "is_older_than_n_days":
		return "", nil, ""
	case !spec.dataset || fn == "foreign_key":
		return lakehouse.ScopeRow, nil, ""
	case fn == "is_unique":
		return lakehouse.ScopeKey, a.strs("columns"), ""
	case fn == "sql_query" && len(a.strs("merge_columns")) > 0:
		placeholder := "input_view"
		if a.has("input_placeholder") {
			placeholder = a.str("input_placeholder")
		}
		re := regexp.MustCompile(`\{\{\s*` + regexp.QuoteMeta(placeholder) + `\s*\}\}`)
		return lakehouse.ScopeKey, a.strs("merge_columns"), re.ReplaceAllString(a.str("query"), lakehouse.InputView)
	}
	return "", nil, ""
}

// Rules translates a table's quality rules to lakehouse's.
func (p *Project) Rules(table string) ([]lakehouse.Rule, error) {
	var out []lakehouse.Rule
	for i, r := range p.Resources.Quality[table] {
		lr, err := r.rule()
		if err != nil {
			return nil, &Error{File: p.File, Message: fmt.Sprintf("resources.quality.%s[%d]: %v", table, i, err)}
		}
		out = append(out, lr)
	}
	return out, nil
}

// validateQuality checks every rule: its function, arguments and
// criticality, each mistake placed where it is written, and the tables a
// foreign_key refers to.
func (p *Project) validateQuality(errf func(path, hint, format string, args ...any), tableRef func(path, table, what string)) {
	for _, t := range sortedKeys(p.Resources.Quality) {
		tableRef("resources.quality."+t, t, "quality rules")
		for i, r := range p.Resources.Quality[t] {
			path := fmt.Sprintf("resources.quality.%s[%d]", t, i)
			if _, err := r.rule(); err != nil {
				if re, ok := err.(*ruleError); ok {
					errf(path+re.path, re.hint, "%s", re.msg)
				} else {
					errf(path, "", "%v", err)
				}
				continue
			}
			if r.Check.Function == "foreign_key" {
				if ref, ok := r.Check.Arguments["ref_table"].(string); ok {
					tableRef(path+".check.arguments.ref_table", ref, "foreign_key's ref_table")
				}
			}
		}
	}
}
