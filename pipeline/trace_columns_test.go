package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestExprColumns: a trace's columns are the input's columns named as
// words of its SQL; it cannot tell (and the merge then compares every
// column) when the SQL may read more than its words: a star, COLUMNS(), a
// NATURAL join, or the input's rows under another alias or as a whole
// row. Without those guards, a trace reading a whole row compared only
// the columns it named.
func TestExprColumns(t *testing.T) {
	cols := []lakehouse.Column{{Name: "customer_id"}, {Name: "region"}, {Name: "email"}, {Name: "Signup Date"}}
	for _, tc := range []struct {
		expr string
		want []string // nil: cannot tell
	}{
		{"SELECT o.day FROM customers JOIN silver.orders AS o ON o.customer_id = customers.customer_id", []string{"customer_id"}},
		{"select o.day from customers join silver.orders o using (customer_id) where customers.region <> 'email'", []string{"customer_id", "region"}},
		{`(SELECT min(o.day) FROM silver.orders AS o WHERE o.customer_id = customers.customer_id) + customers."Signup Date"`, []string{"customer_id", "Signup Date"}},
		{"-- email\nsignup", []string{}},
		{"SELECT o.day FROM customers AS c JOIN silver.orders AS o ON o.customer_id = c.customer_id", nil},
		{"SELECT o.day FROM customers c JOIN silver.orders AS o ON o.customer_id = c.customer_id", nil},
		{"SELECT o.day FROM customers JOIN silver.orders AS o ON hash(customers) = o.h", nil},
		{"SELECT o.day FROM customers NATURAL JOIN silver.orders AS o", nil},
		{"SELECT o.day FROM customers JOIN silver.orders AS o ON o.k = hash(COLUMNS(*))", nil},
		{"SELECT o.day FROM (SELECT * FROM customers) AS c JOIN silver.orders AS o USING (customer_id)", nil},
	} {
		got, ok := exprColumns(tc.expr, "customers", cols)
		if (tc.want == nil) != !ok || ok && !slices.Equal(got, tc.want) {
			t.Errorf("exprColumns(%q) = %q, %v; want %q", tc.expr, got, ok, tc.want)
		}
	}
}

// customersProject: orders by day, a customer list whose daily files
// repeat customers whose e-mail changed, and gold.revenue by day and
// region, which traces a changed customer to the days of its orders.
const customersProject = `bundle: {name: dims}
resources:
  sources:
    orders: {path: landing/orders/*.csv, owner: sales}
    customers: {path: landing/customers/*.csv, owner: crm}
  transforms: [sql/silver/*.sql, sql/gold/*.sql]
  models:
    silver.orders: {kind: incremental_by_batch, unique_key: [id]}
    silver.customers: {kind: incremental_by_batch, unique_key: [customer]}
    gold.revenue: {kind: incremental_by_time, time_column: day, lookback: 1d,
                   time_inputs: {silver.customers: "SELECT o.day FROM customers JOIN silver.orders AS o ON o.customer = customers.customer"}}
`

// TestChangedCustomerReachesItsOrdersDays: a customer row a merge
// replaces reaches the days of the customer's orders only when a column
// gold.revenue reads of it changed. A new e-mail changes nothing of
// gold.revenue, whose next window is the new day alone; a new region
// rebuilds from the customer's first order. A model that also reads the
// e-mail is rebuilt from there on an e-mail change. Every table equals a
// full build. Without comparing the replaced rows over the columns read,
// each e-mail change reached back to that customer's first order.
func TestChangedCustomerReachesItsOrdersDays(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, FileName, customersProject)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::bigint as id, customer, amount::double as amount, day::date as day, _source_file from stream(bronze.orders)")
	writeTestFile(t, dir, "sql/silver/customers.sql", "select customer, region, email, _source_file from stream(bronze.customers)")
	revenue := "select o.day, c.region, sum(o.amount) as revenue from silver.orders as o join silver.customers as c using (customer) group by all"
	writeTestFile(t, dir, "sql/gold/revenue.sql", revenue)
	writeTestFile(t, dir, "landing/customers/customers_2026-01-01.csv", "customer,region,email\nann,north,ann@a\nbob,south,bob@b\n")
	for d := 1; d <= 5; d++ {
		writeTestFile(t, dir, fmt.Sprintf("landing/orders/orders_2026-01-%02d.csv", d),
			fmt.Sprintf("id,customer,amount,day\n%d1,ann,10,2026-01-%02d\n%d2,bob,20,2026-01-%02d\n", d, d, d, d))
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	details(t, p, lh, RunOptions{})
	day := 6
	next := func(customers string) map[string]string {
		t.Helper()
		writeTestFile(t, dir, fmt.Sprintf("landing/orders/orders_2026-01-%02d.csv", day), fmt.Sprintf("id,customer,amount,day\n%d1,bob,5,2026-01-%02d\n", day, day))
		writeTestFile(t, dir, fmt.Sprintf("landing/customers/customers_2026-01-%02d.csv", day), customers)
		day++
		return details(t, p, lh, RunOptions{})
	}
	got := next("customer,region,email\nann,north,ann@new\n")
	if want := "gold.revenue: day from 2026-01-06 on"; !strings.Contains(got["gold.revenue"], want) {
		t.Errorf("after ann's new e-mail: %q, want %q", got["gold.revenue"], want)
	}
	if n := stale(t, lh, "gold.revenue", revenue); n != 0 {
		t.Errorf("after ann's new e-mail: %d rows of gold.revenue differ from a full build", n)
	}
	got = next("customer,region,email\nann,west,ann@new\n")
	if want := "gold.revenue: day from 2026-01-01 on"; !strings.Contains(got["gold.revenue"], want) {
		t.Errorf("after ann's move: %q, want %q", got["gold.revenue"], want)
	}
	if n := stale(t, lh, "gold.revenue", revenue); n != 0 {
		t.Errorf("after ann's move: %d rows of gold.revenue differ from a full build", n)
	}
	// A reader of the e-mail: the same change reaches back for it.
	byEmail := "select o.day, c.email, sum(o.amount) as revenue from silver.orders as o join silver.customers as c using (customer) group by all"
	writeTestFile(t, dir, "sql/gold/revenue.sql", byEmail)
	details(t, p, lh, RunOptions{})
	got = next("customer,region,email\nbob,south,bob@new\n")
	if want := "gold.revenue: day from 2026-01-01 on"; !strings.Contains(got["gold.revenue"], want) {
		t.Errorf("after bob's new e-mail, read by gold.revenue: %q, want %q", got["gold.revenue"], want)
	}
	if n := stale(t, lh, "gold.revenue", byEmail); n != 0 {
		t.Errorf("after bob's new e-mail: %d rows of gold.revenue differ from a full build", n)
	}
}
