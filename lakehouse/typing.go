package lakehouse

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Tolerant typing. Published data marks missing values with tokens (R
// writes NA) and holds a stray bad value here and there; a column must not
// become text for either.
//
//   - nullTokens are read as NULL in a column that is otherwise numeric or
//     temporal, everywhere in the file, not only in the type sniffer's
//     sample; in a text column they stay as they are (a name "NA" is kept).
//     "-" and "." are not null tokens: in published tables they often mean
//     zero or "not applicable", and reading them as NULL would change the
//     data without a word; such values are quarantined instead.
//   - a column whose sampled values fit a numeric or temporal type but for
//     a handful (at most tolerateShare of the sampled non-null values, and
//     at most tolerateDistinct distinct values) is typed so; the rows
//     holding the handful (in the sample or past it) are quarantined with
//     the column, the value and the type.
//
// A source's explicit null_values (--null-value) replace the tokens and
// apply to every column, as before, and a column is typed with tolerance
// of its other values as without them; schema_hints type a column outright.

// nullTokens are the values read as NULL in numeric and temporal columns.
var nullTokens = []string{"NA", "N/A", "n/a", "NULL", "null", "NaN", "nan", "#N/A"}

// Tolerance: a column is typed when the sampled values that do not fit the
// type are at most 1% of its non-null sampled values and at most 10
// distinct values.
const (
	tolerateShare    = 0.01
	tolerateDistinct = 10
)

// isNullToken reports whether v is one of the null tokens.
func isNullToken(v string) bool {
	return slices.Contains(nullTokens, v)
}

// tokens are the null tokens in effect for the loader's file: none when
// the source gives its own null values.
func (l *loader) tokens() []string {
	if len(l.nulls) > 0 {
		return nil
	}
	return nullTokens
}

// tokenColumn reports whether null tokens are read as NULL in a column of
// the given type: numeric and temporal ones.
func tokenColumn(typ string) bool {
	return typ != "VARCHAR" && typ != "JSON" && typ != "BLOB" && typ != "UUID" && isScalarType(typ)
}

// tokenList is the SQL list of the null tokens.
func tokenList() string { return sqlList(nullTokens) }

// sqlList is the SQL list of the strings.
func sqlList(vs []string) string {
	q := make([]string, len(vs))
	for i, t := range vs {
		q[i] = QuoteString(t)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// ColumnReport says how a load typed one column and what it did with the
// values that did not fit.
type ColumnReport struct {
	Column string `json:"column"`
	Type   string `json:"type"`
	// TypedBy is where the type comes from: "sniffed" (from the values),
	// "tolerant" (from the values, but for a handful), "schema hint", or
	// "table" (the column existed).
	TypedBy string `json:"typed_by"`
	// Note explains a tolerant type: how many sampled values did not fit.
	Note string `json:"note,omitempty"`
	// NullTokens counts the values read as NULL, by token.
	NullTokens map[string]int64 `json:"null_tokens,omitempty"`
	// RowsQuarantined counts rows quarantined for a value of this column
	// that is not of its type; QuarantinedValues are a few of them.
	RowsQuarantined   int64    `json:"rows_quarantined,omitempty"`
	QuarantinedValues []string `json:"quarantined_values,omitempty"`
}

// Notable reports whether the report says more than a plainly sniffed
// type: worth a line in a human summary.
func (c ColumnReport) Notable() bool {
	return c.TypedBy == "tolerant" || c.TypedBy == "schema hint" || len(c.NullTokens) > 0 || c.RowsQuarantined > 0
}

// String is the report in one line, as
// "column depth: DOUBLE (3 values NA read as null; 2 rows quarantined: '199mm', 'abc')".
func (c ColumnReport) String() string {
	var parts []string
	switch {
	case c.Note != "":
		parts = append(parts, c.Note)
	case c.TypedBy == "schema hint":
		parts = append(parts, "from the schema hint")
	}
	if len(c.NullTokens) > 0 {
		var ts []string
		for _, t := range slices.Sorted(maps.Keys(c.NullTokens)) {
			n := c.NullTokens[t]
			ts = append(ts, fmt.Sprintf("%d %s %s", n, plural(n, "value", "values"), t))
		}
		parts = append(parts, strings.Join(ts, ", ")+" read as null")
	}
	if c.RowsQuarantined > 0 {
		q := make([]string, len(c.QuarantinedValues))
		for i, v := range c.QuarantinedValues {
			q[i] = QuoteString(v)
		}
		s := fmt.Sprintf("%d %s quarantined", c.RowsQuarantined, plural(c.RowsQuarantined, "row", "rows"))
		if len(q) > 0 {
			s += ": " + strings.Join(q, ", ")
			if int64(len(q)) < c.RowsQuarantined {
				s += "..."
			}
		}
		parts = append(parts, s)
	}
	out := "column " + c.Column + ": " + c.Type
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, "; ") + ")"
	}
	return out
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// maxQuarantinedValues is how many quarantined values a report names.
const maxQuarantinedValues = 3

// columnLog gathers, per loader, what its load decided and did per column.
type columnLog struct {
	order   []string
	reports map[string]*ColumnReport // by lower-case name
}

func (g *columnLog) get(name string) *ColumnReport {
	if g.reports == nil {
		g.reports = map[string]*ColumnReport{}
	}
	k := strings.ToLower(name)
	r, ok := g.reports[k]
	if !ok {
		r = &ColumnReport{Column: name}
		g.reports[k] = r
		g.order = append(g.order, k)
	}
	return r
}

// nullRead counts n values of a token read as NULL in a column.
func (g *columnLog) nullRead(col, token string, n int64) {
	if n == 0 {
		return
	}
	r := g.get(col)
	if r.NullTokens == nil {
		r.NullTokens = map[string]int64{}
	}
	r.NullTokens[token] += n
}

// quarantined counts a row quarantined for a value of a column.
func (g *columnLog) quarantined(col, value string) {
	r := g.get(col)
	r.RowsQuarantined++
	if len(r.QuarantinedValues) < maxQuarantinedValues && !slices.Contains(r.QuarantinedValues, value) {
		r.QuarantinedValues = append(r.QuarantinedValues, truncate(value, 60))
	}
}

// mergeColumnReports adds one file's column reports to a load's.
func mergeColumnReports(into []ColumnReport, g *columnLog) []ColumnReport {
	for _, k := range g.order {
		r := g.reports[k]
		i := slices.IndexFunc(into, func(c ColumnReport) bool { return strings.EqualFold(c.Column, r.Column) })
		if i < 0 {
			c := *r
			c.NullTokens = maps.Clone(r.NullTokens)
			c.QuarantinedValues = slices.Clone(r.QuarantinedValues)
			into = append(into, c)
			continue
		}
		c := &into[i]
		if r.Note != "" && c.Note == "" {
			c.Note, c.TypedBy = r.Note, r.TypedBy
		}
		for t, n := range r.NullTokens {
			if c.NullTokens == nil {
				c.NullTokens = map[string]int64{}
			}
			c.NullTokens[t] += n
		}
		c.RowsQuarantined += r.RowsQuarantined
		for _, v := range r.QuarantinedValues {
			if len(c.QuarantinedValues) < maxQuarantinedValues && !slices.Contains(c.QuarantinedValues, v) {
				c.QuarantinedValues = append(c.QuarantinedValues, v)
			}
		}
	}
	return into
}

// recordTypes notes each target column's type and where it came from.
func (l *loader) recordTypes(fileCols, cols []Column, existing map[string]bool) {
	for i, c := range cols {
		r := l.columns.get(c.Name)
		r.Type = c.Type
		_, hinted := l.hints[strings.ToLower(c.Name)]
		switch {
		case hinted:
			r.TypedBy = "schema hint"
		case existing[strings.ToLower(c.Name)]:
			r.TypedBy = "table"
		case l.tolerant[strings.ToLower(fileCols[i].Name)] != "":
			r.TypedBy, r.Note = "tolerant", l.tolerant[strings.ToLower(fileCols[i].Name)]
		default:
			r.TypedBy = "sniffed"
		}
	}
}

// tolerantCandidate is a column typed as text by the sniffer, with the SQL
// expression of its text value in a sample relation.
type tolerantCandidate struct {
	name  string
	value string
}

// tolerantDecision is a type for a column the sniffer left as text.
type tolerantDecision struct {
	typ  string
	note string
}

// decideTolerant looks at each candidate column of a sample relation and
// returns the numeric or temporal type those that fit one but for a
// handful of values take. The values read as NULL (nulls, the source's own,
// else the null tokens) do not count as values. Dates and
// timestamps are read with the sniffed formats when there are. With
// whole, a column whose every value fits is typed too (JSON, whose sniffer
// gives up on numbers mixed with null tokens); else such a column is left
// to the sniffer, which chose text for a reason of its own.
func decideTolerant(ctx context.Context, e execer, relation string, cands []tolerantCandidate, dateFormat, tsFormat string, whole bool, nulls []string) (map[string]tolerantDecision, error) {
	out := map[string]tolerantDecision{}
	if len(cands) == 0 {
		return out, nil
	}
	if nulls == nil {
		nulls = nullTokens
	}
	missing := sqlList(nulls)
	types := []string{"BIGINT", "DOUBLE", "DATE", "TIMESTAMP"}
	fits := func(v, typ string) string {
		switch typ {
		case "BIGINT":
			// A whole number without a fraction, an exponent or a leading
			// zero (DuckDB's sniffer keeps 007 as text, and so do we).
			return "(TRY_CAST(" + v + " AS BIGINT) IS NOT NULL AND regexp_full_match(trim(" + v + "), '[+-]?(0|[1-9][0-9]*)'))"
		case "DOUBLE":
			return "(TRY_CAST(" + v + " AS DOUBLE) IS NOT NULL AND NOT regexp_matches(trim(" + v + "), '^[+-]?0[0-9]'))"
		case "DATE":
			if dateFormat != "" {
				return "(try_strptime(" + v + ", " + QuoteString(dateFormat) + ") IS NOT NULL)"
			}
			return "(TRY_CAST(" + v + " AS DATE) IS NOT NULL)"
		default:
			if tsFormat != "" {
				return "(try_strptime(" + v + ", " + QuoteString(tsFormat) + ") IS NOT NULL)"
			}
			return "(TRY_CAST(" + v + " AS TIMESTAMP) IS NOT NULL)"
		}
	}
	// A cheap look first: most text columns hold few numbers or dates,
	// and only the others are looked at closely.
	var quick []string
	for _, c := range cands {
		present := c.value + " IS NOT NULL AND " + c.value + " NOT IN " + missing
		fit := "TRY_CAST(" + c.value + " AS DOUBLE) IS NOT NULL OR TRY_CAST(" + c.value + " AS TIMESTAMP) IS NOT NULL"
		for _, f := range []string{dateFormat, tsFormat} {
			if f != "" {
				fit += " OR try_strptime(" + c.value + ", " + QuoteString(f) + ") IS NOT NULL"
			}
		}
		quick = append(quick, "count(*) FILTER (WHERE "+present+")", "count(*) FILTER (WHERE "+fit+")")
	}
	qv := make([]int64, len(quick))
	qp := make([]any, len(quick))
	for i := range qv {
		qp[i] = &qv[i]
	}
	if err := e.QueryRowContext(ctx, "SELECT "+strings.Join(quick, ", ")+" FROM "+relation).Scan(qp...); err != nil {
		return nil, err
	}
	var close []tolerantCandidate
	for i, c := range cands {
		n, fit := qv[2*i], qv[2*i+1]
		if n > 0 && float64(n-fit) <= tolerateShare*float64(n)+tolerateDistinct {
			close = append(close, c)
		}
	}
	if cands = close; len(cands) == 0 {
		return out, nil
	}
	var aggs []string
	for _, c := range cands {
		present := c.value + " IS NOT NULL AND " + c.value + " NOT IN " + missing
		aggs = append(aggs, "count(*) FILTER (WHERE "+present+")")
		for _, t := range types {
			bad := present + " AND NOT " + fits(c.value, t)
			aggs = append(aggs, "count(*) FILTER (WHERE "+bad+")", "count(DISTINCT "+c.value+") FILTER (WHERE "+bad+")")
		}
	}
	vals := make([]int64, len(aggs))
	ptrs := make([]any, len(aggs))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := e.QueryRowContext(ctx, "SELECT "+strings.Join(aggs, ", ")+" FROM "+relation).Scan(ptrs...); err != nil {
		return nil, err
	}
	k := 0
	for _, c := range cands {
		n := vals[k]
		k++
		chosen := -1
		for ti := range types {
			bad, distinct := vals[k+2*ti], vals[k+2*ti+1]
			if chosen < 0 && n > 0 && (bad > 0 || whole) && float64(bad) <= tolerateShare*float64(n) && distinct <= tolerateDistinct {
				chosen = ti
				note := fmt.Sprintf("typed with tolerance: %d of %d sampled values did not fit", bad, n)
				if bad == 0 {
					note = "typed from values mixed with null tokens"
				}
				out[c.name] = tolerantDecision{typ: types[ti], note: note}
			}
		}
		k += 2 * len(types)
	}
	return out, nil
}
