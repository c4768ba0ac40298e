package lakehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// byColumn indexes profiles by window start (when there is one) and column.
func byColumn(ps []ColumnProfile) map[string]ColumnProfile {
	out := map[string]ColumnProfile{}
	for _, p := range ps {
		k := p.ColumnName
		if !p.WindowStart.IsZero() {
			k = p.WindowStart.Format(time.DateOnly) + "/" + k
		}
		out[k] = p
	}
	return out
}

func show[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// TestProfileTableKinds: each kind of column gets the metrics that apply
// to it, with the values DuckDB holds: NaN counted apart for floats and
// left out of their statistics, lengths for text, lists counted only.
func TestProfileTableKinds(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t,
		"CREATE TYPE gold.mood AS ENUM ('sad', 'ok', 'happy')",
		`CREATE TABLE gold.people (id INTEGER, score DECIMAL(10,2), w DOUBLE, active BOOLEAN, born DATE,
			mood gold.mood, name VARCHAR, tags VARCHAR[], info STRUCT(a INTEGER))`,
		`INSERT INTO gold.people VALUES
			(1, 1.25, 'NaN', true,  DATE '1970-01-02', 'happy', 'ann',  ['a', 'b'], {'a': 1}),
			(2, NULL, 0,     false, DATE '1969-12-31', NULL,    '',     [],         NULL),
			(3, 0,    4,     NULL,  NULL,              'sad',   NULL,   NULL,       {'a': 2}),
			(4, 0,    2,     true,  DATE '1970-01-02', 'sad',   'bobby', ['c'],     {'a': 2})`)
	ps, err := lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "people"}, ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := byColumn(ps)
	if len(ps) != 10 || ps[0].ColumnName != TableColumn || ps[0].Count != 4 || ps[0].Table != "gold.people" || ps[0].ProfileType != Snapshot {
		t.Fatalf("got %d rows, first %+v; want the :table row of 4 rows first, then 9 columns", len(ps), ps[0])
	}
	id := m["id"]
	if id.Count != 4 || id.NumNulls != 0 || show(id.NumZeros) != "0" || show(id.Min) != "1" || show(id.Max) != "4" ||
		show(id.Avg) != "2.5" || id.DistinctCount != 4 || id.PercentDistinct != 100 || id.DataType != "INTEGER" ||
		len(id.Quantiles) != len(Quantiles) || id.Quantiles[0] != 1 || id.Quantiles[len(Quantiles)-1] != 4 {
		t.Errorf("id: %+v", id)
	}
	if sd := math.Sqrt(5.0 / 3); id.Stddev == nil || math.Abs(*id.Stddev-sd) > 1e-12 {
		t.Errorf("id stddev = %s, want %v", show(id.Stddev), sd)
	}
	score := m["score"]
	if score.Count != 3 || score.NumNulls != 1 || score.PercentNull != 25 || show(score.NumZeros) != "2" ||
		show(score.PercentZeros) != fmt.Sprint(200.0/3) || show(score.Max) != "1.25" || score.NumNaN != nil {
		t.Errorf("score: %+v zeros %s", score, show(score.PercentZeros))
	}
	w := m["w"]
	if show(w.NumNaN) != "1" || show(w.NumZeros) != "1" || show(w.Avg) != "2" || show(w.Max) != "4.0" || show(w.Min) != "0.0" {
		t.Errorf("w: NaN %s zeros %s avg %s min %s max %s; want 1, 1, 2 (NaN left out), 0, 4",
			show(w.NumNaN), show(w.NumZeros), show(w.Avg), show(w.Min), show(w.Max))
	}
	name := m["name"]
	if name.Count != 3 || show(name.MinLength) != "0" || show(name.MaxLength) != "5" || show(name.AvgLength) != fmt.Sprint(8.0/3) ||
		show(name.Min) != "" || show(name.Max) != "bobby" || name.Avg != nil || name.NumZeros != nil {
		t.Errorf("name: %+v", name)
	}
	mood := m["mood"]
	if want := []FrequentItem{{"sad", 2}, {"happy", 1}}; !reflect.DeepEqual(mood.FrequentItems, want) || mood.DistinctCount != 2 {
		t.Errorf("mood frequent items %v distinct %d, want %v and 2", mood.FrequentItems, mood.DistinctCount, want)
	}
	if a := m["active"]; a.NumNulls != 1 || show(a.Min) != "false" || show(a.Max) != "true" {
		t.Errorf("active: %+v", a)
	}
	if b := m["born"]; show(b.Min) != "1969-12-31" || show(b.Max) != "1970-01-02" || b.Avg != nil {
		t.Errorf("born: min %s max %s avg %s", show(b.Min), show(b.Max), show(b.Avg))
	}
	if tags := m["tags"]; tags.NumNulls != 1 || show(tags.MinLength) != "0" || show(tags.MaxLength) != "2" || tags.Min != nil {
		t.Errorf("tags: %+v", tags)
	}
	if info := m["info"]; info.NumNulls != 1 || info.DistinctCount != 2 || info.Note == "" {
		t.Errorf("info: %+v", info)
	}

	// Some columns only, and an unknown one said so.
	ps, err = lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "people"}, ProfileOptions{Columns: []string{"ID"}})
	if err != nil || len(ps) != 2 || ps[1].ColumnName != "id" {
		t.Errorf("profile of column ID: %v %v", ps, err)
	}
	if _, err := lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "people"}, ProfileOptions{Columns: []string{"nope"}}); err == nil {
		t.Error("profile of column nope: no error")
	}
	if _, err := lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "nobody"}, ProfileOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("profile of a missing table: %v, want ErrNotFound", err)
	}
}

// TestProfileTimeSeries: a time series has a profile per window of each
// granularity, with its start and end; samples and value counts come
// with Samples.
func TestProfileTimeSeries(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE silver.sales AS
		SELECT DATE '2026-01-05' + (range // 10)::INTEGER AS day, (range % 10)::DOUBLE AS price,
			CASE WHEN range % 2 = 0 THEN 'a' ELSE 'b' END AS cat FROM range(140)`)
	ps, err := lh.ProfileTable(ctx, TableName{Schema: "silver", Name: "sales"},
		ProfileOptions{Type: TimeSeries, TimestampColumn: "day", Granularities: []string{"1 day", "1 week"}, Columns: []string{"price", "cat"}, Samples: true})
	if err != nil {
		t.Fatal(err)
	}
	var days, weeks int
	for _, p := range ps {
		if p.ColumnName != TableColumn {
			continue
		}
		switch p.Granularity {
		case "1 day":
			days++
			if p.Count != 10 || p.WindowEnd.Sub(p.WindowStart) != 24*time.Hour {
				t.Errorf("day window %v: %d rows, ends %v", p.WindowStart, p.Count, p.WindowEnd)
			}
		case "1 week":
			weeks++
			if p.Count != 70 || p.WindowStart.Weekday() != time.Monday {
				t.Errorf("week window %v: %d rows", p.WindowStart, p.Count)
			}
		}
	}
	if days != 14 || weeks != 2 {
		t.Errorf("%d day windows and %d week windows, want 14 and 2", days, weeks)
	}
	m := byColumn(ps[:3*14])
	price := m["2026-01-06/price"]
	if len(price.Sample) != 10 || price.Sample[0] != 0 || price.Sample[9] != 9 {
		t.Errorf("price sample of 2026-01-06: %v", price.Sample)
	}
	if cat := m["2026-01-06/cat"]; !reflect.DeepEqual(cat.ValueCounts, []FrequentItem{{"a", 5}, {"b", 5}}) {
		t.Errorf("cat value counts of 2026-01-06: %v", cat.ValueCounts)
	}
	for _, bad := range []ProfileOptions{
		{Type: TimeSeries},
		{Type: TimeSeries, TimestampColumn: "price"},
		{Type: TimeSeries, TimestampColumn: "day", Granularities: []string{"1 fortnight"}},
		{Type: "rolling"},
	} {
		if _, err := lh.ProfileTable(ctx, TableName{Schema: "silver", Name: "sales"}, bad); err == nil {
			t.Errorf("profile %+v: no error", bad)
		}
	}
}

// TestProfileIsGoverned: a principal without SELECT on the table is
// refused, and the refusal audited; with it, the profile is read and
// audited.
func TestProfileIsGoverned(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t,
		"CREATE TABLE silver.customers AS SELECT range AS id FROM range(5)",
		"CREATE TABLE gold.churn AS SELECT range AS id FROM range(4)")
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "sp-dev",
		Grants: []Grant{{Principal: "dana", Privilege: Select, Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	lh.SetPrincipal("dana")
	var ae *AccessError
	if _, err := lh.ProfileTable(ctx, TableName{Schema: "silver", Name: "customers"}, ProfileOptions{}); !errors.As(err, &ae) {
		t.Errorf("dana profiled silver.customers: %v, want an *AccessError", err)
	}
	if ps, err := lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "churn"}, ProfileOptions{}); err != nil || ps[0].Count != 4 {
		t.Errorf("dana profiled gold.churn: %v %v", ps, err)
	}
	if _, err := lh.ProfileMetrics(ctx, "silver.customers"); !errors.As(err, &ae) {
		t.Errorf("dana read silver.customers' recorded profile: %v, want an *AccessError", err)
	}
	lh.SetPrincipal("")
	events, err := lh.AuditEvents(ctx, AuditFilter{Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	var refused, read int
	for _, e := range events {
		switch {
		case !e.Allowed && reflect.DeepEqual(e.Tables, []string{"silver.customers"}):
			refused++
		case e.Allowed && reflect.DeepEqual(e.Tables, []string{"gold.churn"}):
			read++
		}
	}
	if refused < 1 || read != 1 {
		t.Errorf("audit of dana: %d refusals of silver.customers, %d reads of gold.churn; want 1+ and 1: %+v", refused, read, events)
	}
}

// TestProfileRecordAndDrift: profiles recorded and read back whole, the
// drift of a shifted window flagged and a stable one not.
func TestProfileRecordAndDrift(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE silver.sales AS
		SELECT DATE '2026-01-05' + (range // 400)::INTEGER AS day,
			CASE WHEN range >= 1200 AND range % 4 = 0 THEN 1.15 ELSE 1.0 END AS price_index,
			(hash(range) % 5)::INTEGER AS qty,
			['a', 'b', 'c'][(hash(range * 7) % 3)::INTEGER + 1] AS cat FROM range(2000)`)
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	table := TableName{Schema: "silver", Name: "sales"}
	ps, err := tx.ProfileTable(ctx, table, ProfileOptions{Type: TimeSeries, TimestampColumn: "day", Samples: true})
	if err != nil {
		t.Fatal(err)
	}
	ds := Drift(ps, nil, nil, nil, time.Now())
	flagged := map[string]bool{}
	for _, d := range ds {
		if d.DriftType != Consecutive {
			t.Errorf("drift type %s", d.DriftType)
		}
		if d.Flagged {
			flagged[d.WindowStart.Format(time.DateOnly)+"/"+d.ColumnName] = true
		}
	}
	if want := map[string]bool{"2026-01-08/price_index": true}; !reflect.DeepEqual(flagged, want) {
		t.Errorf("flagged %v, want %v", flagged, want)
	}
	if err := tx.RecordProfiles(ctx, "r1", ps); err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordDrift(ctx, "r1", ds); err != nil {
		t.Fatal(err)
	}
	back, err := tx.PreviousProfile(ctx, "silver.sales", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(ps) {
		t.Fatalf("read back %d profiles, want %d", len(back), len(ps))
	}
	// samples and value counts are read apart, by the windows' digests
	need := make([]*ColumnProfile, len(back))
	for i := range back {
		if back[i].Sample != nil || back[i].ValueCounts != nil {
			t.Fatalf("profile %d read back with its samples: %+v", i, back[i])
		}
		need[i] = &back[i]
	}
	if err := tx.LoadSamples(ctx, need); err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		ps[i].RunID = "r1"
		ps[i].ComputedAt, back[i].ComputedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(back[i], ps[i]) {
			t.Errorf("profile %d read back:\n%+v\nwant\n%+v", i, back[i], ps[i])
			break
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := lh.DriftMetrics(ctx, "silver.sales")
	if err != nil || len(got) != len(ds) {
		t.Fatalf("DriftMetrics: %d rows, %v; want %d", len(got), err, len(ds))
	}
	for i := range got {
		if got[i].Flagged != ds[i].Flagged || got[i].ColumnName != ds[i].ColumnName || !reflect.DeepEqual(got[i].KSTest, ds[i].KSTest) {
			t.Errorf("drift %d read back %+v, want %+v", i, got[i], ds[i])
		}
	}
}

// TestDriftAgainstBaseline: every window is compared with the baseline
// table's snapshot (BASELINE): the windows whose prices moved are
// flagged, the ones like the baseline are not; and thresholds given
// replace the defaults.
func TestDriftAgainstBaseline(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t,
		`CREATE TABLE silver.sales AS SELECT DATE '2026-01-05' + (range // 400)::INTEGER AS day,
			CASE WHEN range >= 1200 AND range % 4 = 0 THEN 1.15 ELSE 1.0 END AS price_index FROM range(2000)`,
		`CREATE TABLE silver.sales_baseline AS SELECT 1.0 AS price_index FROM range(500)`)
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ps, err := tx.ProfileTable(ctx, TableName{Schema: "silver", Name: "sales"},
		ProfileOptions{Type: TimeSeries, TimestampColumn: "day", Columns: []string{"price_index"}, Samples: true})
	if err != nil {
		t.Fatal(err)
	}
	base, err := tx.ProfileTable(ctx, TableName{Schema: "silver", Name: "sales_baseline"}, ProfileOptions{Samples: true})
	if err != nil {
		t.Fatal(err)
	}
	flagged := func(th map[string]float64) []string {
		var out []string
		for _, d := range Drift(ps, nil, base, th, time.Now()) {
			if d.DriftType == Baseline && d.BaselineWindow != "silver.sales_baseline" {
				t.Errorf("baseline window %q, want silver.sales_baseline", d.BaselineWindow)
			}
			if d.DriftType == Baseline && d.Flagged {
				out = append(out, d.WindowStart.Format(time.DateOnly)+"/"+d.ColumnName)
			}
		}
		return out
	}
	if got, want := flagged(nil), []string{"2026-01-08/price_index", "2026-01-09/price_index"}; !reflect.DeepEqual(got, want) {
		t.Errorf("flagged against the baseline: %v, want %v", got, want)
	}
	// A PSI threshold out of reach and a KS statistic of 0.3 leave a 25%
	// shift unflagged.
	if got := flagged(map[string]float64{"population_stability_index": 100, "ks_statistic": 0.3}); len(got) != 0 {
		t.Errorf("flagged with raised thresholds: %v, want none", got)
	}
}

// TestProfileEmptyAndNullTimes: an empty table has its :table row with a
// count of 0; a time series leaves out rows without a time.
func TestProfileEmptyAndNullTimes(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, "CREATE TABLE gold.empty (x DOUBLE, s VARCHAR)",
		"CREATE TABLE gold.ts AS SELECT CASE WHEN range < 3 THEN NULL ELSE TIMESTAMP '2026-01-05 10:00:00' END AS at, range AS x FROM range(10)")
	ps, err := lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "empty"}, ProfileOptions{})
	if err != nil || len(ps) != 3 || ps[0].Count != 0 || ps[1].Count != 0 || ps[1].PercentNull != 0 {
		t.Errorf("profile of an empty table: %+v, %v", ps, err)
	}
	ps, err = lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "ts"}, ProfileOptions{Type: TimeSeries, TimestampColumn: "at"})
	if err != nil || len(ps) != 3 || ps[0].Count != 7 || !ps[0].WindowStart.Equal(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("time series with NULL times: %+v, %v", ps, err)
	}
}

// TestProfileSampleIsBounded: a window past SampleSize rows gets a
// uniform draw of about SampleSize of them, whose mean is the column's.
func TestProfileSampleIsBounded(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, "CREATE TABLE gold.big AS SELECT range::DOUBLE AS x FROM range(40000)")
	ps, err := lh.ProfileTable(ctx, TableName{Schema: "gold", Name: "big"}, ProfileOptions{Samples: true})
	if err != nil {
		t.Fatal(err)
	}
	s := ps[1].Sample
	if len(s) < SampleSize*9/10 || len(s) > SampleSize*11/10 {
		t.Fatalf("sample of %d values, want about %d", len(s), SampleSize)
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	if mean := sum / float64(len(s)); math.Abs(mean-19999.5) > 600 {
		t.Errorf("sample mean %v, want about 19999.5 (a uniform draw)", mean)
	}
}

// TestProfileReusesUnchangedWindows: a profile given the previous one
// profiles only the windows whose rows changed (one updated, one new, one
// gone) and takes the others from it; the result equals profiling every
// window, and a window's profile (its exact quantiles, its hash-drawn
// sample of a window past SampleSize) does not depend on the order its
// rows were written in. The time column is a DATE, then a TIMESTAMP with
// rows through each day (the changed windows' bounds on it, windowBounds,
// keep every row of them).
func TestProfileReusesUnchangedWindows(t *testing.T) {
	for _, day := range []string{
		"DATE '2026-01-05' + (range % 4)::INTEGER",
		"TIMESTAMP '2026-01-05' + to_days((range % 4)::INTEGER) + to_seconds((range % 86400)::BIGINT)",
	} {
		t.Run(strings.Fields(day)[0], func(t *testing.T) { testProfileReusesUnchangedWindows(t, day) })
	}
}

func testProfileReusesUnchangedWindows(t *testing.T, day string) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE silver.sales AS
		SELECT `+day+` AS day, (hash(range) % 1000) / 10.0 AS price,
			['a', 'b', 'c'][(hash(range * 7) % 3)::INTEGER + 1] AS cat, range AS id FROM range(24000)`)
	table := TableName{Schema: "silver", Name: "sales"}
	opts := ProfileOptions{Type: TimeSeries, TimestampColumn: "day", Samples: true}
	profile := func(prev []ColumnProfile) []ColumnProfile {
		t.Helper()
		o := opts
		o.Previous = prev
		ps, err := lh.ProfileTable(ctx, table, o)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	first := profile(nil)
	if n := first[0].Count; n <= SampleSize {
		t.Fatalf("a window of %d rows does not exceed SampleSize %d", n, SampleSize)
	}
	// Marked: a window taken from the previous profile keeps the mark.
	prev := slices.Clone(first)
	for i := range prev {
		if prev[i].ColumnName == "price" {
			prev[i].Note = "from the previous profile"
		}
	}
	for _, s := range []string{
		"UPDATE silver.sales SET price = price + 1 WHERE CAST(day AS DATE) = DATE '2026-01-06' AND id % 10 = 1",
		"DELETE FROM silver.sales WHERE CAST(day AS DATE) = DATE '2026-01-07'",
		"INSERT INTO silver.sales SELECT DATE '2026-01-09', 5.0, 'a', 100000 + range FROM range(10)",
		// the same rows written in another order
		"CREATE TABLE silver.shuffled AS SELECT * FROM silver.sales ORDER BY hash(id)",
		"DROP TABLE silver.sales",
		"ALTER TABLE silver.shuffled RENAME TO sales",
	} {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	got, want := profile(prev), profile(nil)
	marked := map[string]bool{}
	for _, p := range got {
		if p.Note != "" {
			marked[p.WindowStart.Format(time.DateOnly)] = true
		}
	}
	if w := map[string]bool{"2026-01-05": true, "2026-01-08": true}; !reflect.DeepEqual(marked, w) {
		t.Errorf("windows taken from the previous profile: %v, want %v", marked, w)
	}
	if len(got) != len(want) {
		t.Fatalf("%d profiles, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		g.Note, g.ComputedAt, w.ComputedAt = "", time.Time{}, time.Time{}
		if !profilesEqual(g, w) {
			t.Errorf("window %s column %s:\n%+v\nwant\n%+v", g.WindowStart.Format(time.DateOnly), g.ColumnName, g, w)
		}
	}
}

// profilesEqual compares two profiles, their float averages to 1e-9
// (a parallel sum adds in any order).
func profilesEqual(a, b ColumnProfile) bool {
	near := func(x, y *float64) bool {
		return x == nil && y == nil || x != nil && y != nil && math.Abs(*x-*y) <= 1e-9*math.Max(1, math.Abs(*y))
	}
	if !near(a.Avg, b.Avg) || !near(a.Stddev, b.Stddev) || !near(a.AvgLength, b.AvgLength) {
		return false
	}
	a.Avg, a.Stddev, a.AvgLength = b.Avg, b.Stddev, b.AvgLength
	return reflect.DeepEqual(a, b)
}

// TestProfileReadsOnlyReplacedWindows: after an incremental_by_time build
// that started from the table the previous profile read, a time series
// reads only the windows from the build's first replaced time on; the
// others are the previous profile's (a row changed beside the build in
// such a window is not seen: it was not read), and the windows read equal
// a profile of every window. Without the build's word (another stamp,
// another column) every window is read.
func TestProfileReadsOnlyReplacedWindows(t *testing.T) {
	for _, day := range []string{
		"DATE '2026-01-05' + (range % 4)::INTEGER",
		"TIMESTAMP '2026-01-05' + to_days((range % 4)::INTEGER) + to_seconds((range % 86400)::BIGINT)",
	} {
		t.Run(strings.Fields(day)[0], func(t *testing.T) { testProfileReadsOnlyReplacedWindows(t, day) })
	}
}

func testProfileReadsOnlyReplacedWindows(t *testing.T, day string) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE silver.sales AS
		SELECT `+day+` AS day, (hash(range) % 1000) / 10.0 AS price,
			['a', 'b', 'c'][(hash(range * 7) % 3)::INTEGER + 1] AS cat, range AS id FROM range(8000)`)
	table := TableName{Schema: "silver", Name: "sales"}
	opts := ProfileOptions{Type: TimeSeries, TimestampColumn: "day", Granularities: []string{"1 day"}, Samples: true}
	build := func(b BuildRecord) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.RecordBuild(ctx, table, b, "run", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	build(BuildRecord{Fingerprint: "fp"})
	// The monitor's previous run: its profile and the table's stamp.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := tx.ProfileTable(ctx, table, opts)
	if err != nil {
		t.Fatal(err)
	}
	stamp, ok, err := tx.TableStamp(ctx, table)
	if err != nil || !ok {
		t.Fatalf("stamp %q %v %v", stamp, ok, err)
	}
	if err := tx.RecordProfileStamp(ctx, table.String(), "run1", stamp); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := range prev {
		prev[i].Note = "from the previous profile"
	}
	// A build that replaced the rows from 2026-01-07 on (and one more
	// day), and a row of 2026-01-05 changed beside it, unseen by
	// lakebench (lh.Exec would forget the profile stamps: see
	// forgetInputsSQL).
	for _, s := range []string{
		"DELETE FROM silver.sales WHERE day >= DATE '2026-01-07'",
		"INSERT INTO silver.sales SELECT DATE '2026-01-07' + (range % 3)::INTEGER, (range % 70) / 7.0, 'b', 200000 + range FROM range(900)",
		"UPDATE silver.sales SET price = -1 WHERE id = 0",
	} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	build(BuildRecord{Fingerprint: "fp", Since: stamp, TimeColumn: "day", From: "DATE '2026-01-07'"})
	profile := profilerOf(t, lh, table)
	tx, err = lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, c := range []struct{ column, run, want string }{
		{"day", "run1", "DATE '2026-01-07'"},
		{"DAY", "run1", "DATE '2026-01-07'"},
		{"other", "run1", ""},
		{"day", "run0", ""},
	} {
		if got, _, err := tx.UnchangedBefore(ctx, table, c.column, c.run); err != nil || got != c.want {
			t.Errorf("UnchangedBefore(%s, %s) = %q, %v; want %q", c.column, c.run, got, err, c.want)
		}
	}
	o := opts
	o.Previous, o.UnchangedBefore = prev, "DATE '2026-01-07'"
	got, all := profile(o), profile(opts)
	if len(got) != len(all) {
		t.Fatalf("%d profiles, want %d", len(got), len(all))
	}
	for i := range got {
		g, w := got[i], all[i]
		if g.WindowStart.Before(time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)) {
			w = prev[i] // not read: the previous profile's
		}
		if g.Note != w.Note {
			t.Errorf("window %s column %s: note %q, want %q", g.WindowStart.Format(time.DateOnly), g.ColumnName, g.Note, w.Note)
		}
		g.Note, g.ComputedAt, w.Note, w.ComputedAt = "", time.Time{}, "", time.Time{}
		if !profilesEqual(g, w) {
			t.Errorf("window %s column %s:\n%+v\nwant\n%+v", g.WindowStart.Format(time.DateOnly), g.ColumnName, g, w)
		}
	}
	// Without the bound, the changed row of 2026-01-05 is read.
	o.UnchangedBefore = ""
	if ps := profile(o); ps[0].Digest == prev[0].Digest {
		t.Errorf("with every window read, 2026-01-05 kept its digest %s", ps[0].Digest)
	}
}

// TestSnapshotLikelyChangedIsAGuess: a snapshot profiled at once
// (LikelyChanged, no digest scan first) is still the previous profile when
// its rows are the ones profiled before (in any order), and a profile of
// the table from scratch when they are not, whichever the guess.
func TestSnapshotLikelyChangedIsAGuess(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE gold.features AS
		SELECT (hash(range) % 1000) / 10.0 AS spend, ['n', 's', 'e'][(hash(range * 7) % 3)::INTEGER + 1] AS region,
			range % 90 AS recency, range AS id FROM range(9000)`)
	table := TableName{Schema: "gold", Name: "features"}
	profile := func(prev []ColumnProfile, guess bool) []ColumnProfile {
		t.Helper()
		ps, err := lh.ProfileTable(ctx, table, ProfileOptions{Samples: true, Previous: prev, LikelyChanged: guess})
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	// Marked: a profile taken from the previous one keeps the mark.
	prev := profile(nil, false)
	for i := range prev {
		prev[i].Note = "from the previous profile"
	}
	for _, c := range []struct {
		name, sql string
		same      bool
	}{
		{"unchanged", "", true},
		{"the same rows in another order", "CREATE OR REPLACE TABLE gold.features AS SELECT * FROM gold.features ORDER BY hash(id)", true},
		{"a row updated", "UPDATE gold.features SET spend = spend + 1 WHERE id = 17", false},
		{"a row deleted", "DELETE FROM gold.features WHERE id = 18", false},
	} {
		if c.sql != "" {
			if _, err := lh.Exec(ctx, c.sql); err != nil {
				t.Fatalf("%s: %v", c.sql, err)
			}
		}
		want := profile(nil, false)
		for _, guess := range []bool{false, true} {
			got := profile(prev, guess)
			if len(got) != len(want) {
				t.Fatalf("%s, guess %v: %d profiles, want %d", c.name, guess, len(got), len(want))
			}
			for i := range got {
				g, w := got[i], want[i]
				if reused := g.Note != ""; reused != c.same {
					t.Errorf("%s, guess %v: column %s taken from the previous profile: %v, want %v", c.name, guess, g.ColumnName, reused, c.same)
				}
				g.Note, g.ComputedAt, w.ComputedAt = "", time.Time{}, time.Time{}
				if c.same {
					// the previous profile's samples are read by the
					// caller (LoadSamples), not by ProfileTable
					g.Sample, g.ValueCounts = w.Sample, w.ValueCounts
				}
				if !profilesEqual(g, w) {
					t.Errorf("%s, guess %v: column %s:\n%+v\nwant\n%+v", c.name, guess, g.ColumnName, g, w)
				}
			}
		}
		if c.same {
			continue
		}
		prev = profile(nil, false)
		for i := range prev {
			prev[i].Note = "from the previous profile"
		}
	}
}

// TestProfileQuantilesAsOfTheCast: a numeric column's quantiles are those
// of quantile_cont over the column cast to DOUBLE with NaN as NULL, bit
// for bit, whichever expression the profile uses for its type: integers
// of every width and sign (values past 2^53, which the cast rounds, and
// the extremes), DOUBLEs with NaN, -0 and NULL (an infinity fails a
// profile's stddev: noted in the issue), FLOAT and
// DECIMAL, per window of a time series and for a snapshot.
func TestProfileQuantilesAsOfTheCast(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE gold.nums AS
		SELECT DATE '2026-01-01' + (range % 5)::INTEGER AS day,
			CASE WHEN range % 7 = 0 THEN NULL ELSE ((hash(range) % 200)::INTEGER - 100)::TINYINT END AS i8,
			((hash(range, 1) % 60000)::INTEGER - 30000)::SMALLINT AS i16,
			CASE WHEN range = 3 THEN 2147483647 WHEN range = 4 THEN -2147483648 ELSE (hash(range, 2) % 1000)::INTEGER END AS i32,
			CASE WHEN range % 3 = 0 THEN (9007199254740993 + range)::BIGINT WHEN range = 5 THEN 9223372036854775807::BIGINT
				WHEN range = 6 THEN (-9223372036854775808)::BIGINT ELSE (hash(range, 3) % 100000)::BIGINT - 50000 END AS i64,
			(hash(range, 4) % 250)::UTINYINT AS u8,
			(hash(range, 5) % 60000)::USMALLINT AS u16,
			(hash(range, 6) % 4000000000)::UINTEGER AS u32,
			CASE WHEN range = 7 THEN 18446744073709551615::UBIGINT ELSE hash(range, 7) END AS u64,
			CASE WHEN range % 11 = 0 THEN 'NaN'::DOUBLE WHEN range = 9 THEN '-0'::DOUBLE
				WHEN range % 13 = 0 THEN NULL ELSE (hash(range, 8) % 1000000) / 7.0 - 5000 END AS d,
			CASE WHEN range % 17 = 0 THEN 'NaN'::FLOAT ELSE ((hash(range, 9) % 10000) / 3.0)::FLOAT END AS f,
			((hash(range, 10) % 100000) / 100)::DECIMAL(12, 2) AS dec,
			(hash(range, 11) % 20)::HUGEINT AS i128
		FROM range(997)`)
	cols := []string{"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "d", "f", "dec", "i128"}
	qs := make([]string, len(Quantiles))
	for i, q := range Quantiles {
		qs[i] = strconv.FormatFloat(q, 'f', -1, 64)
	}
	want := func(where string) map[string][]float64 {
		out := map[string][]float64{}
		for _, c := range cols {
			r, err := lh.Query(ctx, fmt.Sprintf("SELECT to_json(quantile_cont(CASE WHEN isnan(%s::DOUBLE) THEN NULL ELSE %s::DOUBLE END, [%s]))::VARCHAR FROM gold.nums %s",
				c, c, strings.Join(qs, ", "), where))
			if err != nil {
				t.Fatal(err)
			}
			var l []*float64
			if s, ok := r.Rows[0][0].(string); ok {
				if err := json.Unmarshal([]byte(s), &l); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			for _, x := range l {
				if x == nil || math.IsInf(*x, 0) || math.IsNaN(*x) {
					out[c] = nil // not finite: a profile has none
					break
				}
				out[c] = append(out[c], *x)
			}
		}
		return out
	}
	check := func(what string, ps []ColumnProfile, want map[string][]float64) {
		t.Helper()
		for _, p := range ps {
			if p.ColumnName == TableColumn {
				continue
			}
			w := want[p.ColumnName]
			if len(p.Quantiles) != len(w) {
				t.Errorf("%s %s: quantiles %v, want %v", what, p.ColumnName, p.Quantiles, w)
				continue
			}
			for i := range w {
				if math.Float64bits(p.Quantiles[i]) != math.Float64bits(w[i]) {
					t.Errorf("%s %s: quantiles %v, want %v", what, p.ColumnName, p.Quantiles, w)
					break
				}
			}
		}
	}
	table := TableName{Schema: "gold", Name: "nums"}
	ps, err := lh.ProfileTable(ctx, table, ProfileOptions{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(cols)+1 {
		t.Fatalf("got %d rows, want %d", len(ps), len(cols)+1)
	}
	check("snapshot", ps, want(""))
	ps, err = lh.ProfileTable(ctx, table, ProfileOptions{Type: TimeSeries, TimestampColumn: "day", Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	windows := 0
	for i := 0; i < len(ps); i += len(cols) + 1 {
		windows++
		check(ps[i].WindowStart.Format(time.DateOnly), ps[i:i+len(cols)+1],
			want("WHERE day = DATE '"+ps[i].WindowStart.Format(time.DateOnly)+"'"))
	}
	if windows != 5 {
		t.Errorf("%d windows, want 5", windows)
	}
}

// TestProfileUnchangedReadsNoRows: with the caller's word that the table
// is the one the previous profile read (Unchanged), every window of that
// profile is taken from it and no row is read (a row changed beside, which
// lakebench's stamps would have caught, stays unseen), for a snapshot and
// for each granularity of a time series. A window profiled otherwise
// (other columns, another Config), or a granularity the previous profile
// lacks, is read, as it is after an incremental build (UnchangedBefore):
// a profile of other columns taken as this one's was wrong.
func TestProfileUnchangedReadsNoRows(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE silver.sales AS
		SELECT DATE '2026-01-05' + (range % 9)::INTEGER AS day, (hash(range) % 1000) / 10.0 AS price,
			['a', 'b', 'c'][(hash(range * 7) % 3)::INTEGER + 1] AS cat, range AS id FROM range(6000)`)
	table := TableName{Schema: "silver", Name: "sales"}
	profile := profilerOf(t, lh, table)
	snapshot := ProfileOptions{Samples: true, Config: "a"}
	series := ProfileOptions{Type: TimeSeries, TimestampColumn: "day", Granularities: []string{"1 day", "1 week"}, Samples: true, Config: "a"}
	marked := func(o ProfileOptions) []ColumnProfile {
		ps := profile(o)
		for i := range ps {
			ps[i].Note = "from the previous profile"
		}
		return ps
	}
	prevSnapshot, prevSeries := marked(snapshot), marked(series)
	// Beside lakebench, which would forget the stamps (lh.Exec).
	if _, err := lh.db.ExecContext(ctx, "UPDATE silver.sales SET price = -1 WHERE id = 0"); err != nil {
		t.Fatal(err)
	}
	check := func(name string, o ProfileOptions, keptWant func(ColumnProfile) bool) {
		t.Helper()
		scratch := o
		scratch.Previous, scratch.Unchanged, scratch.UnchangedBefore = nil, false, ""
		got, all := profile(o), profile(scratch)
		if len(got) != len(all) {
			t.Fatalf("%s: %d profiles, want %d", name, len(got), len(all))
		}
		byWindow := map[string]ColumnProfile{}
		for _, p := range o.Previous {
			byWindow[p.Granularity+p.WindowStart.String()+p.ColumnName] = p
		}
		for i := range got {
			g, w := got[i], all[i]
			keep := keptWant(g)
			if kept := g.Note != ""; kept != keep {
				t.Errorf("%s: window %s %s column %s taken from the previous profile: %v, want %v", name, g.Granularity, g.WindowStart.Format(time.DateOnly), g.ColumnName, kept, keep)
				continue
			}
			if keep {
				w = byWindow[g.Granularity+g.WindowStart.String()+g.ColumnName]
				g.Note, w.Note = "", ""
			} else {
				g.Sample, g.ValueCounts, w.Sample, w.ValueCounts = nil, nil, nil, nil
			}
			g.ComputedAt, w.ComputedAt = time.Time{}, time.Time{}
			if !profilesEqual(g, w) {
				t.Errorf("%s: window %s %s column %s:\n%+v\nwant\n%+v", name, g.Granularity, g.WindowStart.Format(time.DateOnly), g.ColumnName, g, w)
			}
		}
	}
	always := func(ColumnProfile) bool { return true }
	never := func(ColumnProfile) bool { return false }
	o := snapshot
	o.Previous, o.Unchanged = prevSnapshot, true
	check("snapshot", o, always)
	o = series
	o.Previous, o.Unchanged = prevSeries, true
	check("time series", o, always)
	// A granularity the previous profile lacks is read; the others kept.
	o.Granularities = []string{"1 day", "1 month"}
	check("a new granularity", o, func(p ColumnProfile) bool { return p.Granularity == "1 day" })
	// Another Config (or other columns) is another profile of the rows.
	o = snapshot
	o.Previous, o.Unchanged, o.Config = prevSnapshot, true, "b"
	check("snapshot, another config", o, never)
	o = series
	o.Previous, o.Unchanged, o.Columns = prevSeries, true, []string{"price", "cat"}
	check("time series, other columns", o, never)
	o = series
	o.Previous, o.UnchangedBefore, o.Config = prevSeries, "DATE '2026-01-12'", "b"
	check("after a build, another config", o, never)
	// The same profile after a build: the windows before its start are
	// kept unread (2026-01-05's changed row unseen), the later ones by
	// their digests (their rows did not change).
	o.Config = "a"
	check("after a build", o, always)
}

// profilerOf profiles table with the options it is given, failing the
// test on an error.
func profilerOf(t *testing.T, lh *Lakehouse, table TableName) func(ProfileOptions) []ColumnProfile {
	return func(o ProfileOptions) []ColumnProfile {
		t.Helper()
		ps, err := lh.ProfileTable(context.Background(), table, o)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
}
