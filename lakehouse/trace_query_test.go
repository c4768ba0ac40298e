package lakehouse

import (
	"context"
	"strings"
	"testing"
)

// TestTraceQuery: a trace given as a query (SELECT, WITH or FROM first,
// after comments) reads the changed rows as the relation named by the
// alias; anything else, a parenthesized subquery included, is an
// expression over one row.
func TestTraceQuery(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{`SELECT o.day FROM lines JOIN orders AS o USING (id)`, true},
		{"  -- the order's day\n  select o.day from lines join orders o using (id)", true},
		{"/* day */ WITH x AS (SELECT 1) SELECT day FROM x", true},
		{"FROM lines SELECT day", true},
		{`(SELECT min(o.day) FROM orders AS o WHERE o.id = lines.id)`, false},
		{`"day"`, false},
		{`selected_day`, false},
		{`fromage + 1`, false},
		{"-- only a comment", false},
	} {
		if got := TraceQuery(tc.expr); got != tc.want {
			t.Errorf("TraceQuery(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// TestEarliestOfAQuery: Earliest takes a query's least first column over
// the relation's rows, beside expressions over one row, and counts the
// relation's rows (not the query's); a lookup written as a join gives
// the same time as the correlated subquery it replaces, and no rows give
// no time. A query that is not self-contained, or holds a comment, is
// refused. Without the query form, Earliest wrapped the query in min() as
// an expression, a syntax error.
func TestEarliestOfAQuery(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	for _, stmt := range []string{`CREATE SCHEMA IF NOT EXISTS silver`,
		`CREATE TABLE silver.orders AS SELECT * FROM (VALUES (1, DATE '2026-01-05'), (2, DATE '2026-01-02'), (3, DATE '2026-01-07')) AS v(id, day)`} {
		if _, err := lh.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	lines := `SELECT * FROM (VALUES (10, 1), (11, 2), (12, 2), (13, 9)) AS v(line, id)`
	exprs := []string{
		`SELECT o.day FROM lines JOIN silver.orders AS o ON o.id = lines.id`,
		`(SELECT min(o.day) FROM silver.orders AS o WHERE o.id = lines.id)`,
		"FROM lines JOIN silver.orders AS o USING (id) SELECT o.day + 1 ORDER BY 1 DESC LIMIT 1",
	}
	got, err := tx.Earliest(ctx, lines, "lines", exprs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Earliest: "2026-01-02", Type: "DATE", Rows: 4}, {Earliest: "2026-01-02", Type: "DATE", Rows: 4}, {Earliest: "2026-01-06", Type: "DATE", Rows: 4}}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Errorf("Earliest: got %+v, want %+v", got, want)
			break
		}
	}
	none, err := tx.Earliest(ctx, lines+" WHERE false", "lines", exprs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if len(none) != 1 || none[0] != (Change{Type: "DATE"}) {
		t.Errorf("Earliest of no rows: got %+v, want no time and no rows", none)
	}
	for _, q := range []string{"SELECT day FROM silver.orders); DROP TABLE silver.orders; SELECT (1", "-- a comment\nSELECT day FROM silver.orders"} {
		if _, err := tx.Earliest(ctx, lines, "lines", []string{q}); err == nil || !strings.Contains(err.Error(), "the query") {
			t.Errorf("%q: got %v, want it refused", q, err)
		}
	}
}

// TestColumnsRead: the columns of a table a SELECT reads, from its bound
// plan, those only filtered on included; unknown (every column) when the
// SELECT does not bind, reads only the table's rows (count(*) reads a row
// id), reads it through a table function, or does not read it.
func TestColumnsRead(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	for _, stmt := range []string{`CREATE SCHEMA IF NOT EXISTS silver`,
		`CREATE TABLE silver.customers AS SELECT 1 AS customer_id, 'ann' AS name, 'north' AS region, 'a@x' AS email`,
		`CREATE TABLE silver.orders AS SELECT 1 AS customer_id, DATE '2026-01-01' AS day`} {
		if _, err := lh.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	table := TableName{"silver", "customers"}
	for _, tc := range []struct {
		sql  string
		want []string // nil: unknown
	}{
		{"SELECT o.day, c.region FROM silver.orders AS o JOIN silver.customers AS c USING (customer_id)", []string{"customer_id", "region"}},
		{"SELECT region FROM silver.customers WHERE email LIKE '%x' UNION ALL SELECT name FROM silver.customers", []string{"name", "region", "email"}},
		{"SELECT count(*) FROM silver.customers", nil},
		{"SELECT * FROM silver.orders", nil},
		{"SELECT no_such_column FROM silver.customers", nil},
		{"SELECT region FROM silver.customers, range(3)", nil},
	} {
		got, ok, err := tx.ColumnsRead(ctx, tc.sql, table)
		if err != nil {
			t.Fatal(err)
		}
		if (tc.want == nil) != !ok || ok && strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("ColumnsRead(%q) = %q, %v; want %q", tc.sql, got, ok, tc.want)
		}
	}
}
