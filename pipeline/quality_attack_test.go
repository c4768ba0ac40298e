package pipeline

import (
	"context"
	"strings"
	"testing"
)

// Attacks on issue 11's quality rules by ben, an engineer with SELECT and
// MODIFY on bronze and silver only, who writes rules in the bundle and runs
// the job as himself: a rule is SQL run as the job's principal, so none may
// read gold.secret or sys.audit, read a file, write, or smuggle a second
// statement; each attempt fails (at load, validation or the run) and
// nothing of the secret reaches silver, its quarantine or sys.quality_results.
// A list value that looks like SQL is a literal: it runs, as data.
func TestAttackQualityRules(t *testing.T) {
	ctx := context.Background()
	const secret = "s3cr3t-token"
	for _, rule := range []string{
		`{check: sql_expression, expression: "(SELECT count(*) FROM gold.secret) = 0", criticality: error}`,
		`{check: sql_expression, expression: "(SELECT max(v) FROM gold.secret) IS NULL", msg: x, criticality: warn}`,
		`{check: sql_expression, expression: "(SELECT count(*) FROM sys.audit) = 0", criticality: warn}`,
		`{check: sql_expression, expression: "(SELECT count(*) FROM read_text('/etc/hostname')) = 0", criticality: warn}`,
		`{check: sql_expression, expression: "(SELECT count(*) FROM read_csv('landing/orders/*.csv')) = 0", criticality: warn}`,
		`{check: sql_expression, expression: "true); DROP TABLE gold.secret; SELECT (true", criticality: warn}`,
		`{check: sql_expression, expression: "true), false)) FROM lb_in; DROP TABLE gold.secret; --", criticality: warn}`,
		`{check: sql_expression, expression: "getenv('HOME') IS NULL", criticality: warn}`,
		`{check: is_not_null, column: id, criticality: warn, filter: "(SELECT count(*) FROM gold.secret) > 0"}`,
		`{check: is_not_null, column: id, criticality: warn, filter: "true) OR (SELECT max(v) FROM gold.secret) = 'x' OR (true"}`,
		`{criticality: warn, check: {function: foreign_key, arguments: {columns: [customer], ref_table: gold.secret, ref_columns: [v]}}}`,
		`{criticality: warn, check: {function: sql_query, arguments: {query: "SELECT v AS id, true AS bad FROM gold.secret", merge_columns: [id], condition_column: bad}}}`,
		`{criticality: warn, check: {function: sql_query, arguments: {query: "DELETE FROM gold.secret RETURNING v AS id, true AS bad", merge_columns: [id], condition_column: bad}}}`,
		`{criticality: warn, check: {function: is_aggr_not_greater_than, arguments: {column: "amount", aggr_type: count, group_by: ["customer\") FROM gold.secret --"], limit: 1}}}`,
		`{check: is_in_list, column: "customer\" FROM gold.secret --", values: [ann], criticality: warn}`,
		`{check: regex_match, column: customer, regex: "') OR (SELECT count(*) FROM gold.secret) > 0 OR ('", criticality: warn}`,
		`{check: is_in_list, column: customer, values: ["ann') OR (SELECT count(*) FROM gold.secret) > 0 OR ('"], criticality: warn}`,
		// Pieces placed apart in the statements that run: a comment opened
		// in one and closed in another, a prefixed literal, a dollar quote.
		`{check: sql_expression, expression: "true /*", criticality: warn, filter: "*/ (SELECT max(v) FROM gold.secret) = 'x'"}`,
		`{check: sql_expression, expression: "id > 0 --", criticality: warn, filter: "(SELECT count(*) FROM gold.secret) > 0"}`,
		`{check: sql_expression, expression: "E'\\' OR (SELECT count(*) FROM gold.secret) > 0 OR ''' = ''", criticality: warn}`,
		`{check: sql_expression, expression: "$$x$$ = (SELECT max(v) FROM gold.secret)", criticality: warn}`,
		`{criticality: warn, check: {function: sql_query, arguments: {query: "SELECT id, true AS bad FROM lb_in /* ", merge_columns: [id], condition_column: bad}}, filter: " */ true"}`,
	} {
		t.Run("", func(t *testing.T) {
			dir := writeAdminProject(t)
			withRule := strings.Replace(adminProject, "  transforms: [sql/silver/*.sql]\n",
				"  transforms: [sql/silver/*.sql]\n  quality:\n    silver.orders:\n      - "+rule+"\n", 1)
			writeTestFile(t, dir, FileName, withRule)
			p, err := LoadWith(dir, LoadOptions{Target: "dev"})
			if err != nil {
				return // refused at load
			}
			lh := openAt(t, p)
			if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
				return // refused by the deploy's validation
			}
			if _, err := lh.Exec(ctx, "CREATE TABLE gold.secret AS SELECT '"+secret+"' AS v"); err != nil {
				t.Fatal(err)
			}
			res, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ben"})
			// Only the list value that looks like SQL is a plain literal
			// (the rule runs); a column named like SQL names no column.
			if literal := strings.Contains(rule, `values: ["ann')`); literal {
				if err != nil || count(t, lh, "select * from silver.orders where len(_warnings) = 1") != 2 {
					t.Errorf("rule %s: %v; want both rows warned (the value is a literal)", rule, err)
				}
			} else if err == nil {
				for _, tr := range res.Tasks {
					if tr.TaskKey == "silver" && tr.Status == "succeeded" {
						t.Errorf("ben's rule %s ran: %q", rule, tr.Detail)
					}
				}
			}
			if n := count(t, lh, "select * from gold.secret"); n != 1 {
				t.Errorf("rule %s: gold.secret has %d rows, want 1", rule, n)
			}
			for _, tb := range []string{"silver.orders", "silver.orders_quarantine", "sys.quality_results"} {
				if n, err := lh.Count(ctx, "select * from "+tb+" t where t::VARCHAR like '%"+secret+"%'"); err == nil && n > 0 {
					t.Errorf("rule %s: the secret reached %s", rule, tb)
				}
			}
		})
	}
}
