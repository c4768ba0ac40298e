package lakehouse

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestReviewForgedHealthStatsWithTheirDigest: the kept stats' digest is
// an md5 of the row's own columns under a fixed prefix, with no secret, so
// a row forged into the file with its digest recomputed is trusted as
// written: the health step judges the day from the forged figures.
func TestReviewForgedHealthStatsWithTheirDigest(t *testing.T) {
	t.Skip("BUG (6b3b8bd): the kept stats' digest is unkeyed (md5 of the row under a public prefix): a forgery that recomputes it is trusted; needs a secret kept outside the file, or the claim narrowed to accidental edits")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	open := func() *Lakehouse {
		t.Helper()
		lh, err := Open(ctx, path, Options{Holder: t.Name(), HealthKeepRows: -1})
		if err != nil {
			t.Fatal(err)
		}
		return lh
	}
	var reads []string
	onStatsScan = func(t TableName, from string) { reads = append(reads, strings.TrimSpace(t.String()+" "+from)) }
	defer func() { onStatsScan = nil }()
	model, bronze := TableName{"silver", "orders"}, TableName{"bronze", "items"}
	lh := open()
	for _, q := range []string{
		"CREATE TABLE silver.orders (ts TIMESTAMP, customer VARCHAR, amount DOUBLE)",
		"INSERT INTO silver.orders VALUES ('2026-01-01 10:00', 'ann', 1), ('2026-01-01 11:00', NULL, 2), ('2026-01-02 09:00', 'bob', NULL)",
	} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordBuild(ctx, model, BuildRecord{Fingerprint: "fp"}, "run", nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	ingestText(t, lh, "items_2026-01-01.csv", "sku\na\n\nb\n", "items")
	ingestText(t, lh, "items_2026-01-02.csv", "sku\nc\n", "items")
	reqs := []StatsRequest{{Table: model, DayColumn: "ts", Columns: []string{"customer", "amount"}}, {Table: bronze, Columns: []string{"sku"}}}
	// check reads both tables' stats as a health step does, and each
	// alone, and compares them with scans; wantReads is what it reads.
	check := func(step string, wantReads []string) {
		t.Helper()
		reads = nil
		got := lh.HealthStats(ctx, reqs)
		if !slices.Equal(reads, wantReads) {
			t.Errorf("%s: read %v, want %v", step, reads, wantReads)
		}
		for i, r := range reqs {
			want, err := lh.dailyStatsScan(ctx, r.Table, r.DayColumn, r.Columns, "")
			if err != nil {
				t.Fatal(err)
			}
			if got[i].Err != nil || !reflect.DeepEqual(got[i].Days, want) {
				t.Errorf("%s: %s's daily stats %+v (%v), a scan gives %+v", step, r.Table, got[i].Days, got[i].Err, want)
			}
			one, err := lh.DailyStats(ctx, r.Table, r.DayColumn, r.Columns)
			if err != nil || !reflect.DeepEqual(one, want) {
				t.Errorf("%s: %s's daily stats alone %+v (%v), a scan gives %+v", step, r.Table, one, err, want)
			}
		}
	}
	forge := func(stmts ...string) {
		t.Helper()
		lh.Close()
		db, err := sql.Open("duckdb", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			res, err := db.Exec(s)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatalf("%s changed nothing", s)
			}
		}
		db.Close()
		lh = open()
	}
	check("first read", []string{"bronze.items 2 files", "silver.orders"})
	check("kept", nil)
	forge(`UPDATE sys.health_table_stats SET days = replace(days, '"r":2,"n":[1,0]', '"r":1,"n":[0,0]')`,
		`UPDATE sys.health_table_stats SET digest = `+keptStatsDigest)
	check("forged days, digest recomputed", []string{"silver.orders"})
	lh.Close()
}
