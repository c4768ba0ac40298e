package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// builtSample is the sample project at dev scale, deployed and run through
// its nightly job (so the churn model has scored), on a writer lakehouse.
func builtSample(t *testing.T) (*Project, *lakehouse.Lakehouse) {
	t.Helper()
	ctx := context.Background()
	p := sampleProject(t, "")
	lh := openFor(t, p)
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	if res, err := p.Run(ctx, lh, RunOptions{Job: "nightly"}); err != nil || res.Status != "succeeded" {
		t.Fatalf("nightly: %+v, %v", res, err)
	}
	return p, lh
}

// tileNamed finds a tile of a dashboard by title, so the tests follow the
// sample if its tiles move.
func tileNamed(t *testing.T, p *Project, dashboard, title string) int {
	t.Helper()
	for i, tl := range p.Resources.Dashboards[dashboard].Tiles {
		if tl.Title == title {
			return i
		}
	}
	t.Fatalf("dashboard %s has no tile %q", dashboard, title)
	return -1
}

func evalNamed(t *testing.T, p *Project, lh *lakehouse.Lakehouse, dashboard, title string) *TileData {
	t.Helper()
	d, err := p.EvalTile(context.Background(), lh, dashboard, tileNamed(t, p, dashboard, title))
	if err != nil {
		t.Fatalf("%s / %s: %v", dashboard, title, err)
	}
	return d
}

// series reads a chart tile's rows as day -> y.
func series(t *testing.T, d *TileData) map[time.Time]float64 {
	t.Helper()
	x, y := column(d.Columns, d.X), column(d.Columns, d.Y)
	if x < 0 || y < 0 {
		t.Fatalf("tile %s: x %q or y %q not in %v", d.Title, d.X, d.Y, d.Columns)
	}
	out := map[time.Time]float64{}
	for _, r := range d.Rows {
		day, ok := r[x].(time.Time)
		if !ok {
			t.Fatalf("tile %s: x value %v (%T) is not a date", d.Title, r[x], r[x])
		}
		v, _ := lakehouse.Number(r[y])
		out[day] = v
	}
	return out
}

func day(d int) time.Time { return sampledata.DayDate(d) }

// meanOver is the mean of s over days from..to, skipping days without a row.
func meanOver(s map[time.Time]float64, from, to int, skip ...int) float64 {
	sum, n := 0.0, 0
	for d := from; d <= to; d++ {
		if v, ok := s[day(d)]; ok && !slices.Contains(skip, d) {
			sum, n = sum+v, n+1
		}
	}
	return sum / float64(max(n, 1))
}

// TestSampleDashboardsShowTheStories evaluates the sample's dashboards on
// a real sample and checks, from the data drawn, that each planted story
// is there to see: the electronics dip, the incident days, churn risk by
// region; and that a KPI agrees with the series it summarizes.
func TestSampleDashboardsShowTheStories(t *testing.T) {
	p, lh := builtSample(t)
	f := sampledata.Incidents(sampledata.ScaleDev)

	t.Run("revenue dip of electronics", func(t *testing.T) {
		d := evalNamed(t, p, lh, "revenue", "Electronics revenue per day")
		if d.Kind != TileChart || d.Chart != "timeseries" {
			t.Fatalf("kind %s chart %s", d.Kind, d.Chart)
		}
		s := series(t, d)
		dip := meanOver(s, f.RevenueDipFrom, f.RevenueDipTo)
		before := meanOver(s, f.RevenueDipFrom-10, f.RevenueDipFrom-1, f.MissingOrdersDay)
		after := meanOver(s, f.RevenueDipTo+1, f.RevenueDipTo+10, f.LateOrdersDay)
		if dip > 0.8*before || dip > 0.8*after {
			t.Errorf("electronics per day: %.0f on days %d-%d, %.0f the 10 days before, %.0f after; want the dip below 0.8 of both",
				dip, f.RevenueDipFrom, f.RevenueDipTo, before, after)
		}
	})

	t.Run("revenue KPI adds up the last 7 days", func(t *testing.T) {
		k := evalNamed(t, p, lh, "revenue", "Revenue, last 7 days")
		s := series(t, evalNamed(t, p, lh, "revenue", "Revenue per day, all categories"))
		var last time.Time
		for d := range s {
			if d.After(last) {
				last = d
			}
		}
		var cur, prev float64
		for d, v := range s {
			switch age := int(last.Sub(d).Hours() / 24); {
			case age < 7:
				cur += v
			case age < 14:
				prev += v
			}
		}
		if k.KPI == nil || !k.KPI.HasPrevious || math.Abs(k.KPI.Value-cur) > 0.01 || math.Abs(k.KPI.Previous-prev) > 0.01 {
			t.Fatalf("KPI %+v; the daily series gives %.2f against %.2f", k.KPI, cur, prev)
		}
		if want := (cur - prev) / prev; math.Abs(k.KPI.Change-want) > 1e-9 || k.KPI.Good != (cur >= prev) || k.KPI.Format != "money" {
			t.Errorf("KPI %+v, want change %.4f, good %v, money", k.KPI, want, cur >= prev)
		}
	})

	t.Run("incident days", func(t *testing.T) {
		landed := series(t, evalNamed(t, p, lh, "incidents", "Orders landed per day"))
		for d := 1; d <= f.LateArrivalDay+5; d++ {
			if v := landed[day(d)]; (d == f.MissingOrdersDay) != (v == 0) {
				t.Errorf("orders landed on day %d: %v (day %d has no file)", d, v, f.MissingOrdersDay)
			}
		}
		quarantined := series(t, evalNamed(t, p, lh, "incidents", "Quarantined rows per day"))
		want := float64(f.NullCustomerOrders + f.NegativeQuantityItems)
		if quarantined[day(f.NullCustomerDay)] != want {
			t.Errorf("quarantined on day %d: %v, want %v", f.NullCustomerDay, quarantined[day(f.NullCustomerDay)], want)
		}
		if quarantined[day(f.MalformedCustomersDay)] != float64(len(f.MalformedLines)) {
			t.Errorf("quarantined on day %d: %v, want the %d malformed lines", f.MalformedCustomersDay, quarantined[day(f.MalformedCustomersDay)], len(f.MalformedLines))
		}
		for d, v := range quarantined {
			if v != 0 && !d.Equal(day(f.NullCustomerDay)) && !d.Equal(day(f.MalformedCustomersDay)) {
				t.Errorf("%v quarantined on %s, not an incident day", v, d.Format(time.DateOnly))
			}
		}
		table := evalNamed(t, p, lh, "incidents", "Incidents by day")
		found := map[string]bool{}
		for _, r := range table.Rows {
			found[r[0].(time.Time).Format(time.DateOnly)+" "+strings.Fields(r[1].(string))[0]] = true
		}
		for _, want := range []string{
			day(f.NullCustomerDay).Format(time.DateOnly) + " quarantined:",
			day(f.MissingOrdersDay).Format(time.DateOnly) + " no",
			day(f.LateOrdersDay).Format(time.DateOnly) + " orders",
			day(f.MalformedCustomersDay).Format(time.DateOnly) + " malformed",
		} {
			if !found[want] {
				t.Errorf("incidents table lacks %q: %v", want, table.Rows)
			}
		}
	})

	t.Run("churn risk by region", func(t *testing.T) {
		// The generator adds most churn to west and least to east.
		for _, title := range []string{"Churn rate by region", "Share at risk by region"} {
			d := evalNamed(t, p, lh, "churn", title)
			var regions []string
			for _, r := range d.Rows {
				regions = append(regions, r[column(d.Columns, d.X)].(string))
			}
			if len(regions) != 5 || regions[0] != "west" || regions[len(regions)-1] != "east" {
				t.Errorf("%s: regions by %s %v, want west first and east last", title, d.Y, regions)
			}
		}
		k := evalNamed(t, p, lh, "churn", "Customers at risk")
		if k.KPI == nil || k.KPI.Value <= 0 || k.KPI.HasPrevious {
			t.Errorf("customers at risk: %+v", k.KPI)
		}
	})

	// The TUI loads every tile at once, each in its own command.
	t.Run("tiles load concurrently", func(t *testing.T) {
		lh.SetPrincipal("dana")
		defer lh.SetPrincipal("")
		tiles := p.Resources.Dashboards["churn"].Tiles
		errs := make(chan error, len(tiles))
		for i := range tiles {
			go func() {
				_, err := p.EvalTile(context.Background(), lh, "churn", i)
				errs <- err
			}()
		}
		for range tiles {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	// Last: it adds a dashboard to p.
	t.Run("governed and refused", func(t *testing.T) { testEvalTileGovernedAndRefused(t, p, lh) })
}

func TestNewKPI(t *testing.T) {
	tests := []struct {
		value, prev float64
		has         bool
		good        string
		wantChange  float64
		wantGood    bool
		wantUp      bool
	}{
		{110, 100, true, "up", 0.10, true, true},
		{90, 100, true, "up", -0.10, false, false},
		{110, 100, true, "down", 0.10, false, true},
		{90, 100, true, "down", -0.10, true, false},
		{100, 100, true, "down", 0, true, false},
		{5, 0, true, "up", 0, true, true},
		{5, 0, true, "down", 0, false, true},
		{-50, -100, true, "up", 0.5, true, true},
		{7, 0, false, "down", 0, true, false},
	}
	for _, tc := range tests {
		k := NewKPI(tc.value, tc.prev, tc.has, tc.good, "")
		if math.Abs(k.Change-tc.wantChange) > 1e-12 || k.Good != tc.wantGood || k.Up != tc.wantUp || k.HasPrevious != tc.has || k.Format != "number" {
			t.Errorf("NewKPI(%v, %v, %v, %s) = %+v, want change %v good %v up %v", tc.value, tc.prev, tc.has, tc.good, k, tc.wantChange, tc.wantGood, tc.wantUp)
		}
	}
}

// testEvalTileGovernedAndRefused checks that a tile runs as the principal:
// an analyst reads the gold and ml tiles and is refused the bronze and
// silver ones with the grant named and no rows; that a query which writes
// is refused before it runs; that rows are capped; and that a previous
// period can come from its own query.
func testEvalTileGovernedAndRefused(t *testing.T, p *Project, lh *lakehouse.Lakehouse) {
	ctx := context.Background()
	lh.SetPrincipal("dana")
	defer lh.SetPrincipal("")
	if d := evalNamed(t, p, lh, "churn", "Churn rate by region"); len(d.Rows) != 5 {
		t.Errorf("dana's churn rates: %v", d.Rows)
	}
	d, err := p.EvalTile(ctx, lh, "incidents", tileNamed(t, p, "incidents", "Rows quarantined"))
	var ae *lakehouse.AccessError
	if !errors.As(err, &ae) || d != nil {
		t.Fatalf("dana's quarantine KPI: %v, %v; want an access error and no data", d, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "dana may not read bronze.customers_quarantine") || !strings.Contains(msg, "SELECT") || !strings.Contains(msg, "Rows quarantined") {
		t.Errorf("refusal %q does not name the tile, the table and the grant", msg)
	}
	lh.SetPrincipal("")

	before := count(t, lh, "select * from gold.daily_revenue")
	p.Resources.Dashboards["test"] = Dashboard{Tiles: []Tile{
		{Title: "Wipe", Kind: TileTable, Query: "delete from gold.daily_revenue"},
		{Title: "Many", Kind: TileTable, Query: "select i from range(5000) as r(i) order by i desc;"},
		{Title: "Against", Kind: TileKPI, Query: "select 120 as n", PreviousQuery: "select 'x' as label, 100 as n", Good: "down"},
		{Title: "Off", Kind: TileChart, Chart: "bar", X: "region", Y: "nope", Query: "select 'a' as region, 1 as n"},
		{Title: "Empty", Kind: TileKPI, Query: "select 1 as n where false"},
	}}
	if _, err := p.EvalTile(ctx, lh, "test", 0); err == nil || !strings.Contains(err.Error(), "DELETE is not a SELECT") {
		t.Errorf("a tile that writes: %v", err)
	}
	if after := count(t, lh, "select * from gold.daily_revenue"); after != before {
		t.Errorf("gold.daily_revenue went from %d to %d rows", before, after)
	}
	many, err := p.EvalTile(ctx, lh, "test", 1)
	if err != nil || len(many.Rows) != MaxTileRows || !many.Truncated || many.Rows[0][0] != int64(4999) {
		t.Errorf("5000 rows: %d rows, truncated %v, first %v, %v", len(many.Rows), many.Truncated, many.Rows[0], err)
	}
	k, err := p.EvalTile(ctx, lh, "test", 2)
	if err != nil || k.KPI == nil || k.KPI.Previous != 100 || k.KPI.Good || math.Abs(k.KPI.Change-0.2) > 1e-12 {
		t.Errorf("KPI against a previous query: %+v, %v", k, err)
	}
	if _, err := p.EvalTile(ctx, lh, "test", 3); err == nil || !strings.Contains(err.Error(), `column "nope"`) || !strings.Contains(err.Error(), "region, n") {
		t.Errorf("a missing y column: %v", err)
	}
	if e, err := p.EvalTile(ctx, lh, "test", 4); err != nil || e.KPI != nil || len(e.Rows) != 0 {
		t.Errorf("a KPI without rows: %+v, %v", e, err)
	}
	if _, err := p.EvalTile(ctx, lh, "revenu", 0); err == nil || !strings.Contains(err.Error(), "did you mean revenue") {
		t.Errorf("an unknown dashboard: %v", err)
	}
	if _, err := p.EvalTile(ctx, lh, "revenue", 99); err == nil || !strings.Contains(err.Error(), "not a tile 100") {
		t.Errorf("an unknown tile: %v", err)
	}
}

// A tile key naming a column its query does not return says where the key
// is in the bundle and what to do.
func TestTileColumnErrorPlaced(t *testing.T) {
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+`
  dashboards:
    d:
      tiles:
        - title: Days
          chart: bar
          x: kind
          y: day_count
          query: "select 'sun' as kind, 3 as days"
`)
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	_, err = p.EvalTile(context.Background(), lh, "d", 0)
	var te *TileError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want a *TileError", err)
	}
	msg := te.Err.Error()
	for _, want := range []string{FileName + ":", `y names column "day_count"`, "kind, days", "name one of those in y"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q lacks %q", msg, want)
		}
	}
	pos := p.position("resources.dashboards.d.tiles[0].y")
	if pos.line == 0 || !strings.Contains(msg, fmt.Sprintf(":%d:%d:", pos.line, pos.column)) {
		t.Errorf("the error %q is not placed at y (line %d, column %d)", msg, pos.line, pos.column)
	}
}

// bundle validate binds each tile's query over the bundle's schemas and
// places a column a tile names and its query does not return at its key,
// with a did-you-mean: exactly over models, quarantines and sources with
// landing files; as a warning over a model's predictions (its prob_
// columns come from training) or tables it cannot bind.
func TestValidateTileColumns(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "")
	bi := filepath.Join(p.Dir, "resources", "bi.yml")
	data, err := os.ReadFile(bi)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, c := range []struct{ old, new string }{
		{"chart: bar\n          x: category\n          y: revenue", "chart: bar\n          x: category\n          y: revenu"},
		{"value: rows\n", "value: row\n"},
		{"x: recency_days", "x: recency"},
	} {
		if !strings.Contains(text, c.old) {
			t.Fatalf("the sample's bi.yml has no %q", c.old)
		}
		text = strings.Replace(text, c.old, c.new, 1)
	}
	if err := os.WriteFile(bi, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = LoadWith(p.Dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	parser, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer parser.Close()
	v := p.Validate(ctx, parser)
	at := func(key string) string {
		pos := p.position(key)
		return fmt.Sprintf("%s:%d:%d", pos.file, pos.line, pos.column)
	}
	find := func(list Diagnostics, where string) *Error {
		for _, e := range list {
			if fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column) == where {
				return e
			}
		}
		return nil
	}
	byCategory := at(fmt.Sprintf("resources.dashboards.revenue.tiles[%d].y", tileNamed(t, p, "revenue", "Revenue by category")))
	if e := find(v.Errors, byCategory); e == nil || !strings.Contains(e.Message, `"revenu"`) || !strings.Contains(e.Hint, "did you mean revenue?") {
		t.Errorf("no error for y: revenu at %s with a did-you-mean: %v", byCategory, v.Errors)
	}
	quarantined := at(fmt.Sprintf("resources.dashboards.incidents.tiles[%d].value", tileNamed(t, p, "incidents", "Rows quarantined")))
	if e := find(v.Errors, quarantined); e == nil || !strings.Contains(e.Message, `"row"`) {
		t.Errorf("no error for value: row over the quarantines at %s: %v", quarantined, v.Errors)
	}
	risk := at(fmt.Sprintf("resources.dashboards.churn.tiles[%d].x", tileNamed(t, p, "churn", "Risk against days since the last order")))
	if e := find(v.Warnings, risk); e == nil || !strings.Contains(e.Message, `"recency"`) {
		t.Errorf("no warning for x: recency over the predictions at %s: %v", risk, v.Warnings)
	}
	if len(v.Errors) != 2 {
		t.Errorf("errors: %v, want the two above", v.Errors)
	}

	// Without the orders' landing files, the tiles over bronze.orders are
	// not checked, and say so.
	if err := os.RemoveAll(filepath.Dir(filepath.Join(p.Dir, p.Resources.Sources["orders"].Path))); err != nil {
		t.Fatal(err)
	}
	v = p.Validate(ctx, parser)
	late := at(fmt.Sprintf("resources.dashboards.incidents.tiles[%d].query", tileNamed(t, p, "incidents", "Late orders (arrived days after)")))
	if e := find(v.Warnings, late); e == nil || !strings.Contains(e.Message, "were not checked") || !strings.Contains(e.Message, "bronze.orders") {
		t.Errorf("no warning that the late orders tile was not checked at %s: %v", late, v.Warnings)
	}
}

// A tile over a table the target has not built yet names the table and
// the job that builds it.
func TestTileNotBuilt(t *testing.T) {
	ctx := context.Background()
	p := sampleProject(t, "")
	lh := openFor(t, p)
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	_, err := p.EvalTile(ctx, lh, "churn", tileNamed(t, p, "churn", "Customers at risk"))
	if err == nil || !strings.Contains(err.Error(), "ml.churn_predictions is not built on target dev yet: run job nightly") {
		t.Errorf("a tile over predictions not made yet: %v", err)
	}
}
