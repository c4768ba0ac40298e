package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// TestSampleMonitorsFlagThePriceDrift: a run of the sample records a
// profile per order day of gold.order_item_prices and its drift day after
// day; the drift flags price_index on the first day of the home category's
// price drift (sampledata incident 5) and nothing else: not the stable
// quantity and category columns, not the other days. The snapshot
// monitors record profiles too, and a second run compares them with the
// first's (CONSECUTIVE).
func TestSampleMonitorsFlagThePriceDrift(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "")
	lh := openFor(t, p)
	if _, err := p.Run(ctx, lh, RunOptions{Job: "nightly"}); err != nil {
		t.Fatal(err)
	}
	ps, err := lh.ProfileMetrics(ctx, "gold.order_item_prices")
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	for _, c := range ps {
		if c.ProfileType != lakehouse.TimeSeries || c.Granularity != "1 day" {
			t.Fatalf("profile row %+v: want time_series, 1 day", c)
		}
		days[c.WindowStart.Format(time.DateOnly)] = true
	}
	// Day 24 has no orders file (incident 2).
	if len(days) < sampledata.DefaultDays-2 {
		t.Errorf("%d day windows, want about %d", len(days), sampledata.DefaultDays)
	}
	ds, err := lh.DriftMetrics(ctx, "gold.order_item_prices")
	if err != nil {
		t.Fatal(err)
	}
	drift := sampledata.DayDate(sampledata.PriceDriftFrom)
	var flagged []string
	var priceOnDriftDay *lakehouse.DriftMetric
	for i, d := range ds {
		if d.DriftType != lakehouse.Consecutive {
			t.Errorf("drift %+v: want CONSECUTIVE only (no baseline)", d)
		}
		if d.Flagged {
			flagged = append(flagged, fmt.Sprintf("%s %s %v", d.WindowStart.Format(time.DateOnly), d.ColumnName, d.FlaggedBy))
		}
		if d.ColumnName == "price_index" && d.WindowStart.Equal(drift) {
			priceOnDriftDay = &ds[i]
		}
	}
	if priceOnDriftDay == nil || priceOnDriftDay.KSTest == nil || priceOnDriftDay.PopulationStabilityIdx == nil {
		t.Fatalf("no price_index drift with KS and PSI on %s: %+v", drift.Format(time.DateOnly), priceOnDriftDay)
	}
	want := []string{fmt.Sprintf("%s price_index [ks_test population_stability_index]", drift.Format(time.DateOnly))}
	if strings.Join(flagged, "\n") != strings.Join(want, "\n") {
		t.Errorf("flagged:\n%s\nwant:\n%s\n(price_index on the drift day: %+v %v)", strings.Join(flagged, "\n"), strings.Join(want, "\n"),
			*priceOnDriftDay.KSTest, *priceOnDriftDay.PopulationStabilityIdx)
	}

	// The snapshot monitors: a profile in the first run, drift against it
	// in the next.
	if ps, err := lh.ProfileMetrics(ctx, "gold.daily_revenue"); err != nil || len(ps) == 0 || ps[0].ColumnName != lakehouse.TableColumn {
		t.Fatalf("gold.daily_revenue's profile: %v, %v", ps, err)
	}
	if ds, err := lh.DriftMetrics(ctx, "gold.daily_revenue"); err != nil || len(ds) != 0 {
		t.Errorf("gold.daily_revenue's drift after one run: %d rows, %v; want none (nothing to compare with)", len(ds), err)
	}
	if _, err := sampledata.Next(ctx, mustSampleRoot(t, p)); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(ctx, lh, RunOptions{Job: "nightly"})
	if err != nil {
		t.Fatal(err)
	}
	ds, err = lh.DriftMetrics(ctx, "gold.daily_revenue")
	if err != nil || len(ds) == 0 {
		t.Fatalf("gold.daily_revenue's drift after two runs: %d rows, %v", len(ds), err)
	}
	var cols []string
	for _, d := range ds {
		if d.RunID != res.RunID || d.DriftType != lakehouse.Consecutive || !strings.HasPrefix(d.BaselineWindow, "run ") {
			t.Errorf("drift %+v: want this run's CONSECUTIVE drift against the previous run", d)
		}
		cols = append(cols, d.ColumnName)
		if d.ColumnName == lakehouse.TableColumn && d.CountDelta <= 0 {
			t.Errorf("gold.daily_revenue's count_delta after a new day: %v, want > 0", d.CountDelta)
		}
	}
	sort.Strings(cols)
	if !strings.Contains(strings.Join(cols, ","), "category") || !strings.Contains(strings.Join(cols, ","), "revenue") {
		t.Errorf("drift columns %v: want category and revenue among them", cols)
	}
}

func mustSampleRoot(t *testing.T, p *Project) string {
	t.Helper()
	root, err := p.SampleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestMonitorsRunAsThePrincipal: a run's monitors read as its principal: a
// principal without SELECT on a monitored table gets the run failed with
// an *AccessError, the refusal audited and nothing recorded; one with it
// records the profile, its read audited.
func TestMonitorsRunAsThePrincipal(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  quality_monitors:
    silver.orders: {profile: true, drift: true}
  jobs:
    peek: {tasks: [{task_key: peek, type: sql, sql: "SELECT 1"}]}
  groups:
    analysts: {members: [dana]}
  schemas:
    silver: {grants: [{principal: ben, privileges: [SELECT]}]}
permissions:
  - {level: CAN_RUN, group_name: analysts}
  - {level: CAN_RUN, user_name: ben}
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatalf("the owner's run: %v", err)
	}
	if n := count(t, lh, "select * from sys.profile_metrics where table_name = 'silver.orders'"); n != 4 {
		t.Errorf("the owner's run recorded %d profile rows of silver.orders, want 4 (:table and 3 columns)", n)
	}
	_, err = p.Run(ctx, lh, RunOptions{Job: "peek", Target: "dev", Principal: "dana"})
	var ae *lakehouse.AccessError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "monitor silver.orders") {
		t.Errorf("dana's run: %v, want an *AccessError from monitor silver.orders", err)
	}
	if n := count(t, lh, "select * from sys.audit where principal = 'dana' and not allowed and action = 'monitor'"); n != 1 {
		t.Errorf("%d refused monitor reads of dana audited, want 1", n)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "peek", Target: "dev", Principal: "ben"}); err != nil {
		t.Errorf("ben's run: %v", err)
	}
	if n := count(t, lh, "select * from sys.audit where principal = 'ben' and allowed and action = 'monitor' and list_contains(tables, 'silver.orders')"); n != 1 {
		t.Errorf("ben's monitor read audited %d times, want 1", n)
	}
	if n := count(t, lh, "select distinct run_id from sys.profile_metrics"); n != 2 {
		t.Errorf("profiles of %d runs, want 2 (the owner's and ben's)", n)
	}
	ds, err := lh.DriftMetrics(ctx, "silver.orders")
	if err != nil || len(ds) != 4 || ds[0].DriftType != lakehouse.Consecutive {
		t.Errorf("silver.orders' drift after two runs: %+v, %v; want 4 CONSECUTIVE rows", ds, err)
	}
}
