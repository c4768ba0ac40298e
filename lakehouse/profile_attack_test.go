package lakehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Attacks on issue 11's profiles by dana (SELECT on gold only): a profile
// shows a table's values (min, max, frequent items), so it is a read of
// the table and needs what a SELECT of it needs; names she gives are
// columns of the table, never SQL.
func TestAttackProfile(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	w := openAs(t, g.path, "", false)
	for _, s := range []string{
		"CREATE VIEW gold.orders_view AS SELECT * FROM silver.orders",
		"CREATE TABLE gold.events AS SELECT TIMESTAMP '2026-01-01' AS ts, 1 AS n",
	} {
		if _, err := w.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	ro := openAs(t, g.path, "dana", true)
	for _, tb := range []string{"silver.orders", "bronze.customers", "bronze.customers_quarantine", "sys.audit", "sys.usage", "sys.query_history", "sys.profile_metrics", "gold.orders_view"} {
		name, err := ParseTableName(tb)
		if err != nil {
			t.Fatal(err)
		}
		_, qerr := ro.Query(ctx, "SELECT * FROM "+name.SQL())
		ps, err := ro.ProfileTable(ctx, name, ProfileOptions{})
		if (err == nil) != (qerr == nil) {
			t.Errorf("dana profiling %s: %v, but her SELECT of it: %v (a profile is a read)", tb, err, qerr)
		}
		if err == nil && qerr != nil {
			t.Errorf("dana profiled %s: %d rows", tb, len(ps))
		}
		if tb != "gold.orders_view" && err == nil {
			t.Errorf("dana profiled %s", tb)
		}
		if _, err := ro.ProfileMetrics(ctx, tb); err == nil {
			t.Errorf("dana read the recorded profile of %s", tb)
		}
		if _, err := ro.DriftMetrics(ctx, tb); err == nil {
			t.Errorf("dana read the recorded drift of %s", tb)
		}
	}
	revenue := TableName{"gold", "revenue"}
	events := TableName{"gold", "events"}
	for _, o := range []struct {
		t    TableName
		opts ProfileOptions
	}{
		{revenue, ProfileOptions{Columns: []string{`revenue") FROM silver.orders --`}}},
		{revenue, ProfileOptions{Columns: []string{`(SELECT amount FROM silver.orders)`}}},
		{events, ProfileOptions{Type: TimeSeries, TimestampColumn: `ts") FROM silver.orders --`}},
		{events, ProfileOptions{Type: TimeSeries, TimestampColumn: "ts", Granularities: []string{"1 day', ts) FROM silver.orders --"}}},
		{events, ProfileOptions{Type: TimeSeries, TimestampColumn: "ts", Granularities: []string{"1 day) FROM silver.orders --"}}},
		{events, ProfileOptions{Type: "snapshot' --"}},
	} {
		ps, err := ro.ProfileTable(ctx, o.t, o.opts)
		var ae *AccessError
		if err == nil || errors.As(err, &ae) || strings.Contains(err.Error(), "Parser Error") {
			t.Errorf("dana's profile %+v: %d rows, %v; want a refusal naming what is wrong", o.opts, len(ps), err)
		}
	}
	if ps, err := ro.ProfileTable(ctx, revenue, ProfileOptions{Columns: []string{"REVENUE"}}); err != nil || len(ps) != 2 {
		t.Errorf("dana's profile of her own table: %d rows, %v", len(ps), err)
	}
}
