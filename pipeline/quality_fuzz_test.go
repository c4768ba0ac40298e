package pipeline

import (
	"strings"
	"testing"
)

// FuzzQualityRule feeds rule text through the YAML decoder, the
// translation to SQL and its validation: nothing panics, a rule either
// translates (with a name, a condition and a known function) or says what
// is wrong at a path under the rule.
func FuzzQualityRule(f *testing.F) {
	for _, seed := range []string{
		`{check: is_not_null, column: customer_id}`,
		`{check: is_in_range, column: amount, min: 0, max: 5, criticality: warn}`,
		`{criticality: warn, filter: "a > 1", check: {function: is_in_list, arguments: {column: c, allowed: [a, 1, true]}}, user_metadata: {k: v}}`,
		`{check: {function: is_unique, arguments: {columns: [a, b], nulls_distinct: false}}}`,
		`{check: {function: foreign_key, arguments: {columns: [a], ref_columns: [b], ref_table: silver.x}}}`,
		`{check: {function: is_aggr_not_greater_than, arguments: {column: "*", limit: 3, group_by: [g]}}}`,
		`{check: {function: sql_query, arguments: {query: "SELECT 1 AS condition FROM {{ input_view }}", merge_columns: [id]}}}`,
		`{check: {function: regex_match, arguments: {column: s, regex: "a("}}}`,
		`{check: {function: is_older_than_n_days, arguments: {column: d, days: 1.5}}}`,
		`{check: [1, 2]}`,
		`{check: {function: is_not_nul}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var r QualityRule
		if err := safeUnmarshal([]byte(text), &r); err != nil {
			return
		}
		lr, err := r.rule()
		if err != nil {
			if re, ok := err.(*ruleError); ok && (re.msg == "" || !strings.HasPrefix(re.path, ".")) {
				t.Fatalf("%q: an error without a message or a path: %+v", text, re)
			}
			return
		}
		if lr.Name == "" || lr.Fail == "" || lr.Message == "" {
			t.Fatalf("%q: translated without a name, condition or message: %+v", text, lr)
		}
		if _, ok := qualityChecks[lr.Function]; !ok {
			t.Fatalf("%q: unknown function %q translated", text, lr.Function)
		}
	})
}
