package chart

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/lakebench/lakebench/lakehouse"
)

// openDB is an in-memory lakehouse for the test.
func openDB(t testing.TB) *lakehouse.Lakehouse {
	t.Helper()
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh
}

// query runs q through Query (DECIMALs as float64), or through Stream when
// exact (DECIMALs as the driver's exact decimal), as the grid gets them.
func query(t testing.TB, lh *lakehouse.Lakehouse, q string, exact bool) *lakehouse.Result {
	t.Helper()
	ctx := context.Background()
	if !exact {
		res, err := lh.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	var all lakehouse.Result
	err := lh.Stream(ctx, q, 1000, func(r *lakehouse.Result) error {
		all.Columns = r.Columns
		all.Rows = append(all.Rows, r.Rows...)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return &all
}

// results are real query results of each type, charted by Auto's choice
// or a given kind.
var results = []struct {
	name  string
	sql   string
	exact bool
	spec  *Spec // nil: Auto's
}{
	{"timeseries_days_decimal", `select (date '2026-01-01' + i::int) as day,
		case when i % 17 = 5 then null else (1000 + 300*sin(i/5.0) + i*20)::decimal(12,2) end as revenue
		from range(90) t(i)`, true, nil},
	{"timeseries_hours", `select timestamp '2026-03-01 00:00:00' + to_hours(i::bigint) as at,
		(50 + 40*sin(i/4.0))::integer as orders from range(72) t(i)`, false, nil},
	{"timeseries_months", `select (date '2023-01-01' + to_months(i::int))::date as month,
		(2.5e6 + 1e6*sin(i/3.0) + i*5e4)::double as revenue from range(40) t(i)`, false, nil},
	{"bar_negative_hugeint", `select 'region_' || (i % 5) || case when i % 5 = 3 then '_with_a_very_long_name_indeed' else '' end as region,
		sum(((i % 5)::hugeint - 2) * (i % 7 + 1) * 1234567) as margin from range(500) t(i) group by all order by region`, false, nil},
	{"bar_many_categories", `select 'sku_' || lpad(i::varchar, 5, '0') as sku, (hash(i) % 100000)::bigint as units
		from range(12000) t(i)`, false, nil},
	{"bar_summed_dates", `select (date '2026-02-01' + (i % 6)::int) as day, (i % 7)::decimal(10,2) as amount
		from range(60) t(i)`, true, &Spec{Kind: KindBar, X: 0, Y: 1}},
	{"line", `select i, (i*i - 50*i)::bigint as y from range(100) t(i)`, false, nil},
	{"timeseries_summed_by_day", `select (date '2026-05-01' + (i // 3)::int) as day, 'store_' || (i % 3) as store,
		((i % 3 + 1) * 100 + i)::integer as sales from range(90) t(i)`, false, &Spec{Kind: KindTimeSeries, X: 0, Y: 2}},
	{"timeseries_split", `select (date '2026-05-01' + (i // 3)::int) as day, 'store_' || (i % 3) as store,
		((i % 3 + 1) * 100 + 30 * sin(i / 9.0) - case when i % 3 = 1 and i between 40 and 55 then 150 else 0 end)::integer as sales
		from range(90) t(i)`, false, nil},
	{"time_of_day", `select time '08:00:00' + to_minutes(i::bigint * 10) as at, (i % 7)::double as queue from range(60) t(i)`, false, nil},
	{"line_downsampled", `select i::double / 1000 as t, sin(i / 3000.0) + (hash(i) % 1000) / 5000.0 as signal
		from range(100000) t(i)`, false, nil},
	{"scatter", `select (hash(i) % 1000)::integer as price, ((hash(i) % 1000) * 0.5 + hash(i*7) % 300)::decimal(9,1) as demand
		from range(500) t(i)`, true, nil},
	{"sparkline", `select 100 + 20*sin(i/3.0) as v from range(40) t(i)`, false, nil},
	{"sparkline_many", `select (hash(i) % 100)::double + i / 100.0 as latency_ms from range(5000) t(i)`, false, nil},
	{"nan_inf_nulls", `select i, case i % 4 when 0 then 'nan'::double when 1 then 'inf'::double when 2 then null else i::double end as v
		from range(40) t(i)`, false, &Spec{Kind: KindLine, X: 0, Y: 1}},
}

// TestDrawGolden draws each result at 80x24 and 160x48 and compares with
// testdata/TestDrawGolden (go test ./tui/chart -run TestDrawGolden -update
// rewrites them).
func TestDrawGolden(t *testing.T) {
	lh := openDB(t)
	for _, r := range results {
		res := query(t, lh, r.sql, r.exact)
		spec := Auto(res.Columns, res.Rows)
		if r.spec != nil {
			spec = *r.spec
		}
		for _, size := range [][2]int{{80, 24}, {160, 48}} {
			t.Run(fmt.Sprintf("%s_%dx%d", r.name, size[0], size[1]), func(t *testing.T) {
				out := Draw(spec, res.Columns, res.Rows, size[0], size[1])
				checkSize(t, out, size[0], size[1])
				golden.RequireEqual(t, out)
			})
		}
	}
}

func checkSize(t *testing.T, out string, w, h int) {
	t.Helper()
	if w <= 0 || h <= 0 {
		if out != "" {
			t.Errorf("at %dx%d: got %q, want nothing", w, h, out)
		}
		return
	}
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("at %dx%d: %d lines, want %d:\n%s", w, h, len(lines), h, out)
	}
	for i, l := range lines {
		if got := lipgloss.Width(l); got != w {
			t.Errorf("at %dx%d: line %d is %d wide, want %d: %q", w, h, i, got, w, l)
		}
	}
}

func TestAuto(t *testing.T) {
	lh := openDB(t)
	for _, tt := range []struct {
		sql  string
		want Spec
	}{
		{"select date '2026-01-01' + i::int as day, i * 2 as n from range(5) t(i)", Spec{Kind: KindTimeSeries, X: 0, Y: 1}},
		{"select 'a' as region, i as n, timestamp '2026-01-01' + to_hours(i) as at from range(5) t(i)", Spec{Kind: KindTimeSeries, X: 2, Y: 1}},
		{"select 'r' || (i % 3) as region, i as n, date '2026-01-01' + (i // 3)::int as day from range(9) t(i)", Spec{Kind: KindTimeSeries, X: 2, Y: 1}.SplitBy(0)},
		{"select 'r' || i as region, i as n, date '2026-01-01' + i::int as day from range(9) t(i)", Spec{Kind: KindTimeSeries, X: 2, Y: 1}}, // 9 regions: one line
		{"select 'c' || i as category, 1.5::decimal(4,1) as amount from range(3) t(i)", Spec{Kind: KindBar, X: 0, Y: 1}},
		{"select count(*) as n, 'x' || (i % 3) as grp from range(9) t(i) group by grp", Spec{Kind: KindBar, X: 1, Y: 0}},
		{"select i, i * i as sq from range(10) t(i)", Spec{Kind: KindLine, X: 0, Y: 1}},
		{"select hash(i) % 100 as a, i as b from range(10) t(i)", Spec{Kind: KindScatter, X: 0, Y: 1}},
		{"select 42.0::double as answer", Spec{Kind: KindSparkline, X: RowNumber, Y: 0}},
		{"select i::double as v, 'w' as s from range(4) t(i)", Spec{Kind: KindBar, X: 1, Y: 0}},
		// A key is not the measure over dates or categories (the sample's
		// gold.product_daily_sales summed product_id by day).
		{"select date '2026-01-01' + i::int as day, i as product_id, i * 2.5 as net from range(5) t(i)", Spec{Kind: KindTimeSeries, X: 0, Y: 2}},
		{"select i as id, 'c' || i as name, i * 3 as units from range(3) t(i)", Spec{Kind: KindBar, X: 1, Y: 2}},
		{"select i as customerId, 'c' || i as name, i as AMOUNT_PAID from range(3) t(i)", Spec{Kind: KindBar, X: 1, Y: 2}},
		{"select i as order_key, 'c' || i as name from range(3) t(i)", Spec{Kind: KindBar, X: 1, Y: 0}}, // a key alone is still plotted
	} {
		res := query(t, lh, tt.sql, false)
		if got := Auto(res.Columns, res.Rows); got != tt.want {
			t.Errorf("Auto of %s (%v) = %+v, want %+v", tt.sql, res.Columns, got, tt.want)
		}
	}
	// Nothing to plot says why.
	res := query(t, lh, "select 'a' as name, true as flag, [1, 2] as list", false)
	if got := Auto(res.Columns, res.Rows); got.Kind != KindNone || !strings.Contains(got.Reason, "number column") {
		t.Errorf("Auto of text only = %+v, want KindNone saying a number column is needed", got)
	}
	if got := Auto(nil, nil); got.Kind != KindNone || got.Reason == "" {
		t.Errorf("Auto of no columns = %+v, want KindNone with a reason", got)
	}
	out := Draw(Auto(res.Columns, res.Rows), res.Columns, res.Rows, 40, 5)
	if !strings.Contains(out, "number") {
		t.Errorf("drawing nothing to plot:\n%s\nwant the reason", out)
	}
}

// TestDrawEdges: empty results, one row, all NULLs, NaN and Inf, huge
// values and specs that do not fit draw a chart or a reason in exactly
// the cells given, for every kind, at every size.
func TestDrawEdges(t *testing.T) {
	lh := openDB(t)
	cases := []struct {
		name, sql string
		want      string // in the drawing at 60x12
	}{
		{"empty", "select date '2026-01-01' as d, 'x' as s, 1.5 as v, 2 as n where false", "no rows"},
		{"one row", "select date '2026-01-01' as d, 'x' as s, 1.5 as v, 2 as n", ""},
		{"all null", "select null::date as d, null::varchar as s, null::double as v, null::integer as n from range(5)", "NULL"},
		{"nan inf", "select date '2026-01-01' + i::int as d, 's' || i as s, case when i % 2 = 0 then 'nan'::double else '-inf'::double end as v, i as n from range(6) t(i)", "not finite"},
		{"huge", "select date '2026-01-01' + i::int as d, 's' || i as s, case when i = 0 then 1e308 else -1e308 end as v, (170141183460469231731687303715884105727::hugeint // (i + 1)) as n from range(4) t(i)", ""},
		{"far dates", "select case when i = 0 then date '0001-01-01' else date '9999-12-31' end as d, 's' as s, i::double as v, i as n from range(2) t(i)", ""},
		{"same time", "select timestamp '2026-01-01 10:00' as d, 's' as s, i::double as v, i as n from range(3) t(i)", ""},
	}
	for _, c := range cases {
		res := query(t, lh, c.sql, false)
		for _, spec := range []Spec{
			{Kind: KindTimeSeries, X: 0, Y: 2}, {Kind: KindTimeSeries, X: 0, Y: 3}, {Kind: KindBar, X: 1, Y: 2},
			{Kind: KindBar, X: 0, Y: 3}, {Kind: KindLine, X: 3, Y: 2}, {Kind: KindLine, X: RowNumber, Y: 3},
			{Kind: KindScatter, X: 2, Y: 3}, {Kind: KindSparkline, X: RowNumber, Y: 2}, {Kind: KindSparkline, X: 0, Y: 3},
			{Kind: KindTimeSeries, X: 1, Y: 2}, {Kind: KindBar, X: 1, Y: 1}, {Kind: KindLine, X: 9, Y: 2},
		} {
			for _, size := range [][2]int{{0, 0}, {1, 1}, {5, 3}, {12, 4}, {60, 12}, {80, 24}} {
				out := Draw(spec, res.Columns, res.Rows, size[0], size[1])
				checkSize(t, out, size[0], size[1])
			}
			if c.want != "" && (spec.Y == 2 || c.name != "nan inf") && fitsX(spec.Kind, res.Columns, spec.X) == "" && fitsY(res.Columns, spec.Y) == "" {
				if out := Draw(spec, res.Columns, res.Rows, 60, 12); !strings.Contains(out, c.want) {
					t.Errorf("%s, %+v:\n%s\nwant %q in it", c.name, spec, out, c.want)
				}
			}
		}
	}
	res := query(t, lh, "select 'x' as s, 1 as n", false)
	for spec, want := range map[Spec]string{
		{Kind: KindTimeSeries, X: 0, Y: 1}: "needs a DATE or TIMESTAMP",
		{Kind: KindBar, X: 1, Y: 0}:        "must be numbers",
		{Kind: KindLine, X: 5, Y: 1}:       "2 columns",
	} {
		if out := Draw(spec, res.Columns, res.Rows, 60, 6); !strings.Contains(strings.ReplaceAll(out, "\n", " "), want) {
			t.Errorf("%+v:\n%s\nwant %q in it", spec, out, want)
		}
	}
}

// TestDrawCountsSkipped: the caption counts rows skipped for NULLs and
// for values that are not finite, and says when categories were grouped.
func TestDrawCountsSkipped(t *testing.T) {
	lh := openDB(t)
	res := query(t, lh, `select i, case i % 4 when 0 then 'nan'::double when 1 then 'inf'::double
		when 2 then null else i::double end as v from range(40) t(i)`, false)
	out := Draw(Spec{Kind: KindLine, X: 0, Y: 1}, res.Columns, res.Rows, 100, 10)
	for _, want := range []string{"10 rows with NULL skipped", "20 values not finite skipped", "v by i"} {
		if !strings.Contains(out, want) {
			t.Errorf("got\n%s\nwant %q", out, want)
		}
	}
	res = query(t, lh, "select 'k' || i as k, 1 as n from range(10050) t(i)", false)
	out = Draw(Auto(res.Columns, res.Rows), res.Columns, res.Rows, 80, 12)
	if !strings.Contains(out, "others (10,040)") || !strings.Contains(out, "top 10 of 10,050") {
		t.Errorf("10,050 categories in 11 rows: got\n%s\nwant the top 10 and others (10,040)", out)
	}
}

// TestBarsAroundZero: negative values are drawn left of the zero line,
// positive ones right of it, each side as long as its largest value needs.
func TestBarsAroundZero(t *testing.T) {
	c := NewBars(DefaultStyles())
	c.Format = Human
	c.SetSize(41, 3)
	c.SetBars([]Bar{{"up", 3000}, {"down", -1000}, {"zero", 0}})
	lines := strings.Split(c.View(), "\n")
	runes := func(l string) []rune { return []rune(l) }
	zero := slices.Index(runes(lines[0]), '│')
	for i, l := range lines {
		if slices.Index(runes(l), '│') != zero {
			t.Fatalf("line %d: zero line at %d, want %d\n%s", i, slices.Index(runes(l), '│'), zero, strings.Join(lines, "\n"))
		}
	}
	left := func(l string) int { return strings.Count(string(runes(l)[:zero]), "█") }
	right := func(l string) int { return strings.Count(string(runes(l)[zero:]), "█") }
	if left(lines[0]) != 0 || right(lines[1]) != 0 || right(lines[0]) != 3*left(lines[1]) || right(lines[0]) == 0 {
		t.Errorf("bars of 3000 and -1000: got\n%s\nwant the first right of the zero line, three times the second, left of it", strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[0], "3,000") || !strings.Contains(lines[1], "-1,000") {
		t.Errorf("got\n%s\nwant the values printed", strings.Join(lines, "\n"))
	}
}

func TestToFloat(t *testing.T) {
	huge, _ := new(big.Int).SetString("170141183460469231731687303715884105727", 10)
	for _, tt := range []struct {
		v    any
		want float64
		st   valueState
	}{
		{int64(-3), -3, valueOK}, {int32(7), 7, valueOK}, {uint64(1) << 63, 9223372036854775808, valueOK},
		{float32(0.5), 0.5, valueOK}, {huge, 1.7014118346046923e38, valueOK}, {(*big.Int)(nil), 0, valueNull},
		{"12.5", 12.5, valueOK}, {"abc", 0, valueBad}, {nil, 0, valueNull}, {math.NaN(), 0, valueBad},
		{math.Inf(-1), 0, valueBad}, {time.Unix(86400, 0), 86400, valueOK}, {true, 0, valueBad},
		{[]any{1}, 0, valueBad}, {panicky{}, 0, valueBad},
	} {
		got, st := toFloat(tt.v)
		if st != tt.st || st == valueOK && got != tt.want {
			t.Errorf("toFloat(%#v) = %v, %v, want %v, %v", tt.v, got, st, tt.want, tt.st)
		}
	}
	// DuckDB's exact DECIMAL, as Stream returns it.
	res := query(t, openDB(t), "select 12345.67::decimal(9,2) as d, 170141183460469231731687303715884105727::hugeint as h", true)
	if got, st := toFloat(res.Rows[0][0]); st != valueOK || got != 12345.67 {
		t.Errorf("an exact DECIMAL (%T): got %v, %v, want 12345.67", res.Rows[0][0], got, st)
	}
	if got, st := toFloat(res.Rows[0][1]); st != valueOK || got != 1.7014118346046923e38 {
		t.Errorf("a HUGEINT beyond int64 (%T): got %v, %v, want 1.7e38", res.Rows[0][1], got, st)
	}
}

// panicky is a value whose Float64 panics, as an unfilled decimal does.
type panicky struct{}

func (panicky) Float64() float64 { panic("no digits") }

// FuzzDraw: no values, kind or size make Draw panic or miss its size.
func FuzzDraw(f *testing.F) {
	f.Add(uint8(1), uint8(80), uint8(24), 1.5, -2.0, "a", int64(3), uint8(0))
	f.Add(uint8(3), uint8(20), uint8(5), math.NaN(), math.Inf(1), "", int64(math.MinInt64), uint8(7))
	f.Add(uint8(5), uint8(1), uint8(1), 1e308, -1e308, "ü…", int64(math.MaxInt64), uint8(255))
	f.Add(uint8(2), uint8(160), uint8(48), 0.0, 0.0, "x", int64(0), uint8(3))
	cols := []lakehouse.Column{{Name: "t", Type: "TIMESTAMP"}, {Name: "s", Type: "VARCHAR"},
		{Name: "v", Type: "DOUBLE"}, {Name: "n", Type: "BIGINT"}, {Name: "h", Type: "HUGEINT"}}
	f.Fuzz(func(t *testing.T, kind, w, h uint8, a, b float64, s string, n int64, nulls uint8) {
		rows := make([][]any, 0, 9)
		for i := range 9 {
			row := []any{time.Unix(n%(1<<35), 0).UTC(), s, a + float64(i)*b, n * int64(i), big.NewInt(n)}
			if nulls&(1<<(i%8)) != 0 {
				row[i%5] = nil
			}
			if i == 4 {
				row[4] = s // a HUGEINT too large for int64 arrives as its digits
			}
			rows = append(rows, row)
		}
		for _, n := range []int{0, 1, 9} {
			for x := -1; x < 5; x++ {
				spec := Spec{Kind: Kind(kind % 6), X: x, Y: int(nulls % 5)}
				checkSize(t, Draw(spec, cols, rows[:n], int(w), int(h)), int(w), int(h))
				checkSize(t, Draw(spec.SplitBy(int(kind/6)%6), cols, rows[:n], int(w), int(h)), int(w), int(h))
			}
		}
	})
}

// TestBarValuesAlike: a bar chart's values share their decimals.
func TestBarValuesAlike(t *testing.T) {
	res := query(t, openDB(t), "select * from (values ('a', 3358.64::decimal(8,2)), ('b', 3351.00), ('c', 12.5)) v(k, amount)", true)
	out := Draw(Auto(res.Columns, res.Rows), res.Columns, res.Rows, 60, 6)
	for _, want := range []string{"3,358.64", "3,351.00", "12.50"} {
		if !strings.Contains(out, want) {
			t.Errorf("got\n%s\nwant %q", out, want)
		}
	}
}
