package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// checkRows are the rows every check of TestQualityChecks runs on.
const checkRows = `SELECT * FROM (VALUES
	(1, 'a',  1.0,  '2026-01-01', '2026-01-01 10:00:00', TIMESTAMP '2020-01-01', '{"a": 1}', 'x@y.io',   '123e4567-e89b-12d3-a456-426614174000', 'p', 10),
	(2, '',   5.0,  '2026-13-01', 'junk',                TIMESTAMP '2999-01-01', '{bad',     'nope',     'zzz',                                  'p', 11),
	(3, NULL, -1.0, NULL,         NULL,                  NULL,                   NULL,       NULL,       NULL,                                   'q', 99),
	(4, 'b',  10.0, '01/02/2026', '2026-01-01',          TIMESTAMP '2026-01-01', '[1]',      'a.b@c.co', '00000000-0000-0000-0000-000000000000', 'q', 10),
	(5, ' ',  NULL, '2026-02-28', '2026-02-30 00:00:00', TIMESTAMP '2025-01-01', '2',        'q@r.org',  '00000000-0000-0000-0000-00000000000',  'q', NULL)
) AS v(id, s, n, d, t, ts, j, e, u, g, k)`

// TestQualityChecks runs every check function, in DQX's form or the short
// one, on the same five rows in a real DuckDB and compares the ids it
// quarantines; a check's passing rows are the others.
func TestQualityChecks(t *testing.T) {
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, stmt := range []string{"CREATE SCHEMA IF NOT EXISTS silver", "CREATE TABLE silver.ref AS SELECT * FROM (VALUES (10), (11)) AS r(id)"} {
		if _, err := lh.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		yaml string
		fail []int
	}{
		{`{check: is_not_null, column: s}`, []int{3}},
		{`{check: {function: is_not_null, arguments: {col_name: s}}}`, []int{3}},
		{`{check: {function: is_not_empty, arguments: {column: s}}}`, []int{2}},
		{`{check: {function: is_not_empty, arguments: {column: s, trim_strings: true}}}`, []int{2, 5}},
		{`{check: {function: is_not_null_and_not_empty, arguments: {column: s}}}`, []int{2, 3}},
		{`{check: {function: is_null, arguments: {column: s}}}`, []int{1, 2, 4, 5}},
		{`{check: {function: is_in_list, arguments: {column: s, allowed: [a, b]}}}`, []int{2, 5}},
		{`{check: is_in_list, column: s, values: [a, b]}`, []int{2, 5}},
		{`{check: {function: is_in_list, arguments: {column: s, allowed: [A, B], case_sensitive: false}}}`, []int{2, 5}},
		{`{check: {function: is_in_list, arguments: {column: k, allowed: [10, 11]}}}`, []int{3}},
		{`{check: {function: is_not_null_and_is_in_list, arguments: {column: s, allowed: [a, b]}}}`, []int{2, 3, 5}},
		{`{check: {function: is_not_in_list, arguments: {column: s, forbidden: [a]}}}`, []int{1}},
		{`{check: {function: is_in_range, arguments: {column: n, min_limit: 0, max_limit: 5}}}`, []int{3, 4}},
		{`{check: is_in_range, column: n, min: 0}`, []int{3}},
		{`{check: is_in_range, column: n, max: 5}`, []int{4}},
		{`{check: {function: is_in_range, arguments: {column: ts, min_limit: "2021-01-01", max_limit: "2030-01-01"}}}`, []int{1, 2}},
		{`{check: {function: is_not_in_range, arguments: {column: n, min_limit: 0, max_limit: 5}}}`, []int{1, 2}},
		{`{check: {function: is_not_less_than, arguments: {column: n, limit: 0}}}`, []int{3}},
		{`{check: {function: is_not_greater_than, arguments: {column: n, limit: 5}}}`, []int{4}},
		{`{check: is_not_less_than, column: n, limit: 0}`, []int{3}}, // the short form, as the hint names it
		{`{check: is_not_greater_than, column: n, limit: 5}`, []int{4}},
		{`{check: {function: is_equal_to, arguments: {column: n, value: 1}}}`, []int{2, 3, 4}},
		{`{check: {function: is_not_equal_to, arguments: {column: n, value: 1}}}`, []int{1}},
		{`{check: {function: regex_match, arguments: {column: s, regex: "^[ab]$"}}}`, []int{2, 5}},
		{`{check: {function: regex_match, arguments: {column: s, regex: "^[ab]$", negate: true}}}`, []int{1, 4}},
		{`{check: {function: is_valid_date, arguments: {column: d}}}`, []int{2, 4}},
		{`{check: {function: is_valid_date, arguments: {column: d, date_format: MM/dd/yyyy}}}`, []int{1, 2, 5}},
		{`{check: {function: is_valid_timestamp, arguments: {column: t}}}`, []int{2, 5}},
		{`{check: {function: is_not_in_future, arguments: {column: ts}}}`, []int{2}},
		{`{check: {function: is_not_in_future, arguments: {column: ts, curr_timestamp: "2025-06-01 00:00:00"}}}`, []int{2, 4}},
		{`{check: {function: is_older_than_n_days, arguments: {column: ts, days: 30, curr_date: "2026-01-10"}}}`, []int{2, 4}},
		{`{check: {function: is_older_than_n_days, arguments: {column: ts, days: 30, curr_date: "2026-01-10", negate: true}}}`, []int{1, 5}},
		{`{check: {function: is_valid_json, arguments: {column: j}}}`, []int{2}},
		{`{check: {function: is_valid_email, arguments: {column: e}}}`, []int{2}},
		{`{check: {function: is_valid_uuid, arguments: {column: u}}}`, []int{2, 5}},
		{`{check: sql_expression, expression: "n < 6"}`, []int{4}},
		{`{check: {function: sql_expression, arguments: {expression: "n < 6", negate: true, msg: too small}}}`, []int{1, 2, 3}},
		{`{check: {function: is_unique, arguments: {columns: [k]}}}`, []int{1, 4}},
		{`{check: {function: is_unique, arguments: {columns: [g, k]}}}`, nil},
		{`{check: {function: is_unique, arguments: {columns: [g]}}, filter: "n > 0"}`, []int{1, 2}},
		{`{check: {function: foreign_key, arguments: {columns: [k], ref_columns: [id], ref_table: silver.ref}}}`, []int{3}},
		{`{check: {function: foreign_key, arguments: {columns: [k], ref_columns: [id], ref_table: silver.ref, negate: true}}}`, []int{1, 2, 4}},
		{`{check: {function: is_aggr_not_greater_than, arguments: {column: "*", aggr_type: count, group_by: [g], limit: 2}}}`, []int{3, 4, 5}},
		{`{check: {function: is_aggr_not_greater_than, arguments: {column: id, limit: 4}}}`, []int{1, 2, 3, 4, 5}},
		{`{check: {function: is_aggr_not_less_than, arguments: {column: n, aggr_type: sum, group_by: [g], limit: 7}}}`, []int{1, 2}},
		{`{check: {function: is_aggr_not_greater_than, arguments: {column: s, aggr_type: count_distinct, limit: 3}}}`, []int{1, 2, 3, 4, 5}},
		{`{check: {function: sql_query, arguments: {query: "SELECT id, n > 4 AS condition FROM {{ input_view }}", merge_columns: [id]}}}`, []int{2, 4}},
		{`{check: {function: sql_query, arguments: {query: "SELECT id, n > 4 AS bad FROM {{input_view}}", merge_columns: [id], condition_column: bad, negate: true}}}`, []int{1, 3}},
		{`{check: is_not_null, column: s, filter: "g = 'q'"}`, []int{3}},
		{`{check: is_not_null, column: s, filter: "g = 'p'"}`, nil},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			var qr QualityRule
			if err := yaml.Unmarshal([]byte(tc.yaml), &qr); err != nil {
				t.Fatal(err)
			}
			rule, err := qr.rule()
			if err != nil {
				t.Fatalf("%s: %v", tc.yaml, err)
			}
			table := lakehouse.TableName{Schema: "silver", Name: fmt.Sprintf("c%d", i)}
			tx, err := lh.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if err := authorizeRules(ctx, tx, "("+checkRows+")", []lakehouse.Rule{rule}); err != nil {
				t.Fatalf("%s: authorize: %v", tc.yaml, err)
			}
			_, out, err := tx.MaterializeChecked(ctx, table, checkRows, lakehouse.Materialization{}, []lakehouse.Rule{rule}, lakehouse.QualityRun{RunID: "r"})
			if err != nil {
				t.Fatalf("%s: %v", tc.yaml, err)
			}
			res, err := tx.Query(ctx, "SELECT id, _errors[1].message FROM "+lakehouse.QuarantineTable(table).SQL()+" ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, r := range res.Rows {
				got = append(got, int(r[0].(int32)))
				if msg, _ := r[1].(string); msg == "" {
					t.Errorf("%s: row %v has no message", tc.yaml, r[0])
				}
			}
			if !slices.Equal(got, tc.fail) || out[0].RowsFailed != int64(len(tc.fail)) || out[0].RowsChecked != 5 {
				t.Errorf("%s (%s): got failing ids %v (counted %d of %d), want %v", tc.yaml, rule.Name, got, out[0].RowsFailed, out[0].RowsChecked, tc.fail)
			}
		})
	}
}

// TestQualityRuleNames: a check's default name is DQX's; name overrides it.
func TestQualityRuleNames(t *testing.T) {
	for src, want := range map[string]string{
		`{check: is_not_null, column: customer_id}`:                                                                   "customer_id_is_null",
		`{check: {function: is_in_list, arguments: {column: channel, allowed: [web]}}}`:                               "channel_is_not_in_the_list",
		`{check: {function: is_unique, arguments: {columns: [order_id]}}}`:                                            "order_id_is_not_unique",
		`{check: sql_expression, expression: "quantity > 0", name: positive_quantity}`:                                "positive_quantity",
		`{check: {function: sql_expression, arguments: {expression: "quantity > 0"}}}`:                                "quantity_0",
		`{check: {function: is_aggr_not_greater_than, arguments: {column: "*", limit: 1}}}`:                           "all_count_greater_than_limit",
		`{check: {function: is_aggr_not_less_than, arguments: {column: x, aggr_type: avg, group_by: [g], limit: 1}}}`: "x_avg_group_by_g_less_than_limit",
	} {
		var qr QualityRule
		if err := yaml.Unmarshal([]byte(src), &qr); err != nil {
			t.Fatal(err)
		}
		r, err := qr.rule()
		if err != nil || r.Name != want {
			t.Errorf("%s: got %q, %v; want %q", src, r.Name, err, want)
		}
	}
}

// TestQualityValuesAreQuoted: a value with quotes stays a value.
func TestQualityValuesAreQuoted(t *testing.T) {
	var qr QualityRule
	if err := yaml.Unmarshal([]byte(`{check: {function: is_in_list, arguments: {column: "a\"b", allowed: ["x'); DROP TABLE t; --"]}}}`), &qr); err != nil {
		t.Fatal(err)
	}
	r, err := qr.rule()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Fail, `'x''); DROP TABLE t; --'`) || !strings.Contains(r.Fail, `"a""b"`) {
		t.Errorf("not quoted: %s", r.Fail)
	}
}

// TestValidateQuality: a wrong check is a validate error placed where it is
// written (file:line:col), with a did-you-mean.
func TestValidateQuality(t *testing.T) {
	dir := writeProject(t, fastGold)
	rules := `  quality:
    silver.orders:
      - {check: is_not_nul, column: customer}
      - criticality: warn
        check:
          function: is_in_range
          arguments: {column: amount, min_limit: 0, max_limt: 5}
      - check: {function: is_in_list, arguments: {column: customer}}
      - {check: is_unique, criticality: fatal}
      - check: {function: is_aggr_not_greater_than, arguments: {column: amount, limit: ten}}
      - check: {function: foreign_key, arguments: {columns: [customer], ref_columns: [id], ref_table: silver.custmers}}
      - check: {function: regex_match, arguments: {column: customer, regex: "a("}}
      - check: {function: is_aggr_not_less_than, arguments: {column: amount, limit: 1, aggr_type: mean}}
`
	text := strings.Replace(testProject, testProject[strings.Index(testProject, "  quality:"):], rules, 1)
	writeTestFile(t, dir, FileName, text)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	v := p.Validate(context.Background(), lh)
	var got []string
	for _, e := range v.Errors {
		got = append(got, e.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		FileName + `:8:10: unknown check "is_not_nul"`, "did you mean is_not_null?",
		FileName + `:12:53: is_in_range takes no argument "max_limt"`, "did you mean max_limit? is_in_range takes column, min_limit, max_limit",
		FileName + `:13:9: is_in_list needs argument allowed (a list of values)`,
		FileName + `:14:28: criticality "fatal"`,
		FileName + `:15:81: is_aggr_not_greater_than: argument limit should be a number, not ten`,
		FileName + `:16:92: foreign_key's ref_table refers to unknown table "silver.custmers"`, "did you mean silver.orders?",
		FileName + `:17:70: regex_match: argument regex should be a string, not a(`, "not a regular expression",
		FileName + `:18:88: unknown aggr_type "mean"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no error says %q; got:\n%s", want, all)
		}
	}
}

// TestQualityMessages: a failing row's message says what DQX's says.
func TestQualityMessages(t *testing.T) {
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for src, want := range map[string]string{
		`{check: is_not_null, column: c}`:                                                      "Column 'c' value is null",
		`{check: {function: is_in_list, arguments: {column: c, allowed: [a, b]}}}`:             "Value '7' in Column 'c' is not in the allowed list: [a, b]",
		`{check: {function: is_in_range, arguments: {column: c, min_limit: 1, max_limit: 5}}}`: "Value '7' in Column 'c' not in range: [1, 5]",
		`{check: {function: is_unique, arguments: {columns: [c]}}}`:                            "Value '7' in Column 'c' is not unique",
		`{check: sql_expression, expression: "c < 5"}`:                                         "Value is not matching expression: c < 5",
	} {
		var qr QualityRule
		if err := yaml.Unmarshal([]byte(src), &qr); err != nil {
			t.Fatal(err)
		}
		r, err := qr.rule()
		if err != nil {
			t.Fatal(err)
		}
		c := "7"
		if strings.Contains(want, "null") {
			c = "NULL"
		}
		res, err := lh.Query(ctx, "SELECT "+r.Message+" FROM (SELECT "+c+" AS c) AS lb_input")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := res.Rows[0][0]; got != want {
			t.Errorf("%s: got %q, want %q", src, got, want)
		}
	}
}

// TestSourceChecksFollowWhatTheirRulesRead checks that the default run's
// checks of the sources wait for the tasks that build what their rules
// read (from DuckDB's parser), not for every other task: on the sample,
// the loads of the two checked sources and silver.products, which
// bronze.order_items' price rule joins. A rule that names a table
// without its schema keeps them after everything.
func TestSourceChecksFollowWhatTheirRulesRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	deps := func() []string {
		t.Helper()
		tasks, err := p.plan(ctx, lh, RunOptions{Job: "default"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tasks {
			if tk.key == "checks_sources" {
				out := slices.Clone(tk.dependsOn)
				slices.Sort(out)
				return out
			}
		}
		t.Fatal("no checks_sources task")
		return nil
	}
	// On a target's first run the rules cannot be bound (bronze is not
	// there yet): what they read is not known, so after every task.
	tasks, err := p.plan(ctx, lh, RunOptions{Job: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := deps(); len(got) != len(tasks)-1 {
		t.Errorf("on a first run, checks_sources depends on %d of the %d other tasks: %v", len(got), len(tasks)-1, got)
	}
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev, Days: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	if got, want := deps(), []string{"ingest_order_items", "ingest_orders", "silver.products"}; !slices.Equal(got, want) {
		t.Errorf("checks_sources depends on %v, want %v", got, want)
	}
	// A rule reading a gold table waits for its build.
	p.Resources.Quality["bronze.orders"] = append(p.Resources.Quality["bronze.orders"], QualityRule{Check: QualityCheck{Function: "sql_expression"},
		Expression: "order_id IN (SELECT order_id FROM gold.order_item_prices)", Criticality: "warn", Name: "priced"})
	if got := deps(); !slices.Contains(got, "gold.order_item_prices") || slices.Contains(got, "gold.customer_features") {
		t.Errorf("with a rule reading gold.order_item_prices, checks_sources depends on %v", got)
	}
	// A rule calling a macro, or reading a view, that reads a gold table
	// waits for its build too: the parser sees neither read, the bound
	// plan both.
	for _, def := range []struct{ ddl, expr, table string }{
		{"CREATE MACRO main.top_revenue() AS (SELECT max(revenue) FROM gold.customer_360)", "order_id < top_revenue() * 1000000", "gold.customer_360"},
		{"CREATE VIEW gold.sold_products AS SELECT product_id FROM gold.product_performance", "order_id NOT IN (SELECT product_id FROM gold.sold_products)", "gold.product_performance"},
	} {
		if _, err := lh.Exec(ctx, def.ddl); err != nil {
			t.Fatal(err)
		}
		rules := p.Resources.Quality["bronze.orders"]
		p.Resources.Quality["bronze.orders"] = append(slices.Clone(rules), QualityRule{Check: QualityCheck{Function: "sql_expression"},
			Expression: def.expr, Criticality: "warn", Name: "hidden"})
		if got := deps(); !slices.Contains(got, def.table) {
			t.Errorf("with a rule %s (%s), checks_sources depends on %v, not on %s", def.expr, def.ddl, got, def.table)
		}
		p.Resources.Quality["bronze.orders"] = rules
	}
	// A table without a schema: not known, so after every other task.
	p.Resources.Quality["bronze.orders"] = append(p.Resources.Quality["bronze.orders"], QualityRule{Check: QualityCheck{Function: "sql_expression"},
		Expression: "order_id IN (SELECT order_id FROM orders)", Criticality: "warn", Name: "unqualified"})
	if tasks, err = p.plan(ctx, lh, RunOptions{Job: "default"}); err != nil {
		t.Fatal(err)
	}
	if got := deps(); len(got) != len(tasks)-1 {
		t.Errorf("with a rule naming a table without its schema, checks_sources depends on %d of the %d other tasks: %v", len(got), len(tasks)-1, got)
	}
}
