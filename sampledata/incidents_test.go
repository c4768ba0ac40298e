package sampledata

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func dateOf(d int) string { return DayDate(d).Format(time.DateOnly) }

func TestIncidentsPlanted(t *testing.T) {
	l := devLake(t)
	f := Incidents(ScaleDev)

	t.Run("null customer_id and negative quantity", func(t *testing.T) {
		file := fileName("orders", f.NullCustomerDay, "parquet")
		if got := l.int(t, "SELECT count(*) FROM bronze.orders WHERE customer_id IS NULL"); got != int64(f.NullCustomerOrders) {
			t.Errorf("bronze.orders has %d NULL customer_id, want %d", got, f.NullCustomerOrders)
		}
		if got := l.int(t, "SELECT count(*) FROM bronze.orders WHERE customer_id IS NULL AND _source_file = ?", file); got != int64(f.NullCustomerOrders) {
			t.Errorf("%s has %d NULL customer_id, want %d", file, got, f.NullCustomerOrders)
		}
		if got := l.int(t, "SELECT count(*) FROM silver.orders_quarantine"); got != int64(f.NullCustomerOrders) {
			t.Errorf("silver.orders_quarantine has %d rows, want %d", got, f.NullCustomerOrders)
		}
		items := fileName("order_items", f.NullCustomerDay, "parquet")
		if got := l.int(t, "SELECT count(*) FROM bronze.order_items WHERE quantity < 0 AND _source_file = ?", items); got != int64(f.NegativeQuantityItems) {
			t.Errorf("%s has %d negative quantities, want %d", items, got, f.NegativeQuantityItems)
		}
		if got := l.int(t, "SELECT count(*) FROM silver.order_items_quarantine"); got != int64(f.NegativeQuantityItems) {
			t.Errorf("silver.order_items_quarantine has %d rows, want %d", got, f.NegativeQuantityItems)
		}
		// The customer_id share is about 1% of the batch.
		share := l.float(t, "SELECT avg((customer_id IS NULL)::INT) FROM bronze.orders WHERE _source_file = ?", file)
		if share < 0.005 || share > 0.03 {
			t.Errorf("NULL customer_id share in %s = %.3f, want about 1%%", file, share)
		}
	})

	t.Run("missing day", func(t *testing.T) {
		for _, src := range []string{"orders", "order_items"} {
			p := filepath.Join(devDir, "landing", src, fileName(src, f.MissingOrdersDay, "parquet"))
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s exists (err %v), want no file", p, err)
			}
			if got := l.int(t, "SELECT count(DISTINCT _source_file) FROM bronze."+src); got != Horizon-1 {
				t.Errorf("bronze.%s comes from %d files, want %d", src, got, Horizon-1)
			}
		}
		if got := l.int(t, "SELECT count(*) FROM silver.orders WHERE order_date = ?", dateOf(f.MissingOrdersDay)); got != 0 {
			t.Errorf("silver.orders has %d orders on the missing day", got)
		}
		if got := l.int(t, "SELECT count(*) FROM bronze.events WHERE _source_file = ?", fileName("events", f.MissingOrdersDay, "json")); got == 0 {
			t.Error("events of the missing orders day are missing too; only sales should be")
		}
	})

	t.Run("price drift", func(t *testing.T) {
		ratio := func(cat string, from, to int) float64 {
			return l.float(t, `SELECT avg(i.unit_price / p.unit_price) FROM silver.order_items i
				JOIN silver.orders o USING (order_id) JOIN silver.products p USING (product_id)
				WHERE p.category = ? AND o.order_date BETWEEN ? AND ?`, cat, dateOf(from), dateOf(to))
		}
		if got := ratio(f.PriceDriftCategory, f.PriceDriftFrom, f.PriceDriftTo); got < 1.14 || got > 1.16 {
			t.Errorf("%s price ratio in the drift = %.3f, want %.2f", f.PriceDriftCategory, got, f.PriceDriftFactor)
		}
		if got := ratio(f.PriceDriftCategory, 1, f.PriceDriftFrom-1); got < 0.999 || got > 1.001 {
			t.Errorf("%s price ratio before the drift = %.3f, want 1", f.PriceDriftCategory, got)
		}
		if got := ratio("apparel", f.PriceDriftFrom, f.PriceDriftTo); got < 0.999 || got > 1.001 {
			t.Errorf("apparel price ratio in the drift window = %.3f, want 1", got)
		}
	})

	t.Run("late arrivals", func(t *testing.T) {
		got := l.int(t, "SELECT count(*) FROM bronze.orders WHERE _source_file = ? AND CAST(order_ts AS DATE) = ?",
			fileName("orders", f.LateArrivalDay, "parquet"), dateOf(f.LateOrdersDay))
		if got != int64(f.LateOrders) {
			t.Errorf("batch of day %d holds %d orders of day %d, want %d", f.LateArrivalDay, got, f.LateOrdersDay, f.LateOrders)
		}
		other := l.int(t, "SELECT count(*) FROM bronze.orders WHERE CAST(order_ts AS DATE) <> regexp_extract(_source_file, '\\d{4}-\\d{2}-\\d{2}')::DATE")
		if other != int64(f.LateOrders) {
			t.Errorf("%d orders are in a batch of another day, want only the %d late ones", other, f.LateOrders)
		}
		orphans := l.int(t, `SELECT count(*) FROM silver.order_items i ANTI JOIN
			(SELECT order_id FROM silver.orders UNION ALL SELECT order_id FROM silver.orders_quarantine) o USING (order_id)`)
		if orphans != 0 {
			t.Errorf("%d order items have no order (late orders must move with their items)", orphans)
		}
	})

	t.Run("exact duplicates", func(t *testing.T) {
		file := fileName("orders", f.DuplicateOrdersDay, "parquet")
		got := l.int(t, `SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM bronze.orders WHERE _source_file = ?))
			FROM bronze.orders WHERE _source_file = ?`, file, file)
		if got != int64(f.DuplicateOrders) {
			t.Errorf("%s has %d exact duplicate rows, want %d", file, got, f.DuplicateOrders)
		}
		if all := l.int(t, "SELECT count(*) - count(DISTINCT order_id) FROM bronze.orders"); all != int64(f.DuplicateOrders) {
			t.Errorf("bronze.orders repeats %d order_ids, want %d", all, f.DuplicateOrders)
		}
		if got := l.int(t, "SELECT count(*) - count(DISTINCT order_id) FROM silver.orders"); got != 0 {
			t.Errorf("silver.orders repeats %d order_ids, want 0", got)
		}
	})

	t.Run("malformed customers lines", func(t *testing.T) {
		name := filepath.Base(f.MalformedCustomersFile)
		got := l.malformed[name]
		if !reflect.DeepEqual(got, f.MalformedLines) {
			t.Errorf("malformed lines in %s:\n got %+v\nwant %+v", name, got, f.MalformedLines)
		}
		if len(l.malformed) != 1 {
			t.Errorf("malformed lines in %d files, want only %s: %v", len(l.malformed), name, l.malformed)
		}
		if len(got) != MalformedCustomerLines {
			t.Errorf("%d malformed lines, want MalformedCustomerLines = %d", len(got), MalformedCustomerLines)
		}
		// Good rows follow the unterminated quote.
		last := f.MalformedLines[len(f.MalformedLines)-1]
		b, err := os.ReadFile(filepath.Join(devDir, filepath.FromSlash(f.MalformedCustomersFile)))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\n'})
		if last.Kind != "unterminated_quote" || last.Line >= len(lines) {
			t.Errorf("unterminated quote at line %d of %d, want good lines after it", last.Line, len(lines))
		}
		if n := l.int(t, "SELECT count(*) FROM silver.customers WHERE customer_id > ?", MalformedCustomerIDBase); n != 0 {
			t.Errorf("%d malformed rows reached silver.customers", n)
		}
	})

	t.Run("revenue dip", func(t *testing.T) {
		share := func(from, to int) float64 {
			return l.float(t, `SELECT sum(revenue) FILTER (WHERE category = ?) / sum(revenue)
				FROM gold.daily_revenue WHERE date BETWEEN ? AND ?`, f.RevenueDipCategory, dateOf(from), dateOf(to))
		}
		before, during := share(1, f.RevenueDipFrom-1), share(f.RevenueDipFrom, f.RevenueDipTo)
		if during > 0.8*before {
			t.Errorf("%s revenue share %.3f during the dip vs %.3f before, want a clear drop", f.RevenueDipCategory, during, before)
		}
	})

	t.Run("weekend peak", func(t *testing.T) {
		weekend := l.float(t, "SELECT count(*) / count(DISTINCT order_date) FROM silver.orders WHERE dayofweek(order_date) IN (0, 6)")
		weekday := l.float(t, "SELECT count(*) / count(DISTINCT order_date) FROM silver.orders WHERE dayofweek(order_date) BETWEEN 1 AND 4")
		if weekend < 1.3*weekday {
			t.Errorf("orders per weekend day %.0f, per Mon-Thu %.0f: want a weekend peak", weekend, weekday)
		}
	})
}

func TestIncidentFactsByScale(t *testing.T) {
	for _, s := range []Scale{ScaleDev, ScaleStaging, ScaleProd} {
		f := Incidents(s)
		if f.NullCustomerOrders < 2 || f.LateOrders < 5 || f.DuplicateOrders < 3 || len(f.MalformedLines) != MalformedCustomerLines {
			t.Errorf("%s: implausible facts %+v", s, f)
		}
		if !strings.HasPrefix(f.MalformedCustomersFile, "landing/customers/customers_") {
			t.Errorf("%s: MalformedCustomersFile = %q", s, f.MalformedCustomersFile)
		}
	}
	if a, b := Incidents(ScaleProd).NullCustomerOrders, Incidents(ScaleDev).NullCustomerOrders; a <= b {
		t.Errorf("prod NullCustomerOrders %d not above dev %d", a, b)
	}
}

// TestNextMatchesGenerate checks determinism and that a day's batch is the
// same whether Generate or Next writes it.
func TestNextMatchesGenerate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rep, err := Generate(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Days) != DefaultDays || rep.Scale != ScaleDev {
		t.Fatalf("Generate wrote days %v of scale %q, want 1..%d of dev", rep.Days, rep.Scale, DefaultDays)
	}
	for d := DefaultDays + 1; d <= Horizon; d++ {
		next, err := Next(ctx, dir)
		if err != nil {
			t.Fatalf("Next for day %d: %v", d, err)
		}
		if !reflect.DeepEqual(next.Days, []int{d}) {
			t.Fatalf("Next wrote days %v, want [%d]", next.Days, d)
		}
	}
	if _, err := Next(ctx, dir); err == nil || !strings.Contains(err.Error(), "horizon exhausted") {
		t.Errorf("Next past the horizon: err = %v, want horizon exhausted", err)
	}
	// Every file equals the one of the full Generate in devDir: CSV and JSON
	// byte for byte, Parquet by content.
	var got, want []string
	for _, root := range []string{dir, devDir} {
		var files []string
		err := filepath.WalkDir(filepath.Join(root, "landing"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, p)
				files = append(files, rel)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if root == dir {
			got = files
		} else {
			want = files
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("files differ:\n got %v\nwant %v", got, want)
	}
	a := openRaw(t)
	for _, rel := range got {
		x, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(devDir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(rel, ".parquet") {
			q := "SELECT count(*) FROM (SELECT * FROM read_parquet(?) EXCEPT ALL SELECT * FROM read_parquet(?))"
			n1 := rawInt(t, a, q, filepath.Join(dir, rel), filepath.Join(devDir, rel))
			n2 := rawInt(t, a, q, filepath.Join(devDir, rel), filepath.Join(dir, rel))
			if n1 != 0 || n2 != 0 {
				t.Errorf("%s: contents differ (%d and %d rows)", rel, n1, n2)
			}
			continue
		}
		if rel == filepath.FromSlash(StateFile) {
			continue
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between Generate+Next and Generate", rel)
		}
	}
}

func TestGenerateOptions(t *testing.T) {
	ctx := context.Background()
	for _, o := range []Options{{Scale: "huge"}, {Days: -1}, {Days: Horizon + 1}} {
		if _, err := Generate(ctx, t.TempDir(), o); err == nil || !strings.HasPrefix(err.Error(), "sampledata: ") {
			t.Errorf("Generate(%+v): err = %v, want a sampledata error", o, err)
		}
	}
	if _, err := Next(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "run generate first") {
		t.Errorf("Next without state: err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Generate(cctx, t.TempDir(), Options{Days: 3}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate with a cancelled context: err = %v, want context.Canceled", err)
	}
	// A second seed gives different data; a short Generate replaces a long one.
	dir := t.TempDir()
	if _, err := Generate(ctx, dir, Options{Days: 5, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	rep, err := Generate(ctx, dir, Options{Days: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "landing", "orders", "*.parquet"))
	if len(files) != 2 || rep.Rows["orders"] == 0 {
		t.Errorf("after Generate of 2 days: %d orders files, %d rows", len(files), rep.Rows["orders"])
	}
	x, _ := os.ReadFile(filepath.Join(dir, "landing", "events", fileName("events", 1, "json")))
	y, _ := os.ReadFile(filepath.Join(devDir, "landing", "events", fileName("events", 1, "json")))
	if bytes.Equal(x, y) {
		t.Error("seeds 9 and 42 wrote the same events")
	}
}

func TestWriteProject(t *testing.T) {
	dir := t.TempDir()
	if err := WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lakebench.yml", "sql/silver/orders.sql", "sql/gold/customer_features.sql"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("WriteProject did not write %s: %v", p, err)
		}
	}
	err := WriteProject(dir)
	if err == nil || !strings.Contains(err.Error(), "lakebench.yml already exists") {
		t.Errorf("second WriteProject: err = %v, want already exists", err)
	}
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, m := range models {
		tables = append(tables, m.Table)
	}
	want := []string{"silver.customers", "silver.events", "silver.order_items", "silver.orders", "silver.order_totals", "silver.products", "silver.tickets",
		"gold.customer_web_daily", "gold.customer_360", "gold.customer_features", "gold.daily_revenue", "gold.order_item_prices", "gold.product_daily_sales", "gold.product_performance"}
	if !reflect.DeepEqual(tables, want) {
		t.Errorf("Models tables = %v, want %v", tables, want)
	}
}
