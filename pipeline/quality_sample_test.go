package pipeline

import (
	"context"
	"fmt"
	"testing"

	"github.com/lakebench/lakebench/sampledata"
)

// TestSampleQualityCatchesIncidents builds the sample through the day of
// its duplicate rows and checks that the sample's rules catch each planted
// incident, counted against sampledata.Incidents (the price drift against
// the catalog, joined independently).
func TestSampleQualityCatchesIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	facts := sampledata.Incidents(sampledata.ScaleDev)
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev, Days: facts.DuplicateOrdersDay}); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	res, err := p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	failed := func(table, rule string) int64 {
		return count(t, lh, fmt.Sprintf("SELECT * FROM sys.quality_results, range(rows_failed::BIGINT) WHERE run_id = '%s' AND table_name = '%s' AND rule = '%s' AND phase = '%s'",
			res.RunID, table, rule, map[bool]string{true: "check", false: "build"}[table[:6] == "bronze"]))
	}
	priceDrift := count(t, lh, fmt.Sprintf(`SELECT * FROM bronze.order_items AS i JOIN silver.products AS p USING (product_id)
		WHERE p.category = '%s' AND regexp_extract(i._source_file, '\d{4}-\d{2}-\d{2}')::DATE >= DATE '%s'`,
		facts.PriceDriftCategory, sampledata.DayDate(facts.PriceDriftFrom).Format("2006-01-02")))
	for _, c := range []struct {
		what        string
		got, want   int64
		table, rule string
	}{
		{"null customer_id orders quarantined", count(t, lh, "SELECT * FROM silver.orders_quarantine WHERE _errors[1].name = 'customer_id_is_null'"), int64(facts.NullCustomerOrders), "silver.orders", "customer_id_is_null"},
		{"negative quantity items quarantined", count(t, lh, "SELECT * FROM silver.order_items_quarantine WHERE _errors[1].name = 'positive_quantity'"), int64(facts.NegativeQuantityItems), "silver.order_items", "positive_quantity"},
		{"late orders warned", count(t, lh, "SELECT * FROM silver.orders WHERE _warnings[1].name = 'late_arrival'"), int64(facts.LateOrders), "silver.orders", "late_arrival"},
		{"duplicate rows (each and its original)", 2 * int64(facts.DuplicateOrders), 2 * int64(facts.DuplicateOrders), "bronze.orders", "order_id_is_not_unique"},
		{"home items priced above the catalog", priceDrift, priceDrift, "bronze.order_items", "price_above_catalog"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d rows, want %d", c.what, c.got, c.want)
		}
		if n := failed(c.table, c.rule); n != c.want {
			t.Errorf("%s: sys.quality_results says %s %s failed %d rows, want %d", c.what, c.table, c.rule, n, c.want)
		}
	}
	if priceDrift == 0 {
		t.Error("no home item after the drift's first day: the independent count found nothing to compare")
	}
	// Nothing else warns: no order is in the future, every channel known.
	for _, rule := range []string{"order_ts_in_future", "channel_is_not_in_the_list", "unit_price_less_than_limit"} {
		tb := "silver.orders"
		if rule == "unit_price_less_than_limit" {
			tb = "silver.order_items"
		}
		if n := failed(tb, rule); n != 0 {
			t.Errorf("%s %s failed %d rows on the sample, want 0", tb, rule, n)
		}
	}
}
