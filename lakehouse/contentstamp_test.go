package lakehouse

import (
	"context"
	"reflect"
	"testing"
)

// TestContentStampReadsOnlyReplacedDays: after an incremental_by_time
// build that started from the stamp a reader's days were kept at, the
// content stamp reads only the days from the build's first replaced one
// (and the rows without a time), and equals a stamp read from every row;
// the same rows written again give the same stamp, other rows another.
func TestContentStampReadsOnlyReplacedDays(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE silver.daily AS
		SELECT DATE '2026-01-01' + (range % 5)::INTEGER AS day, range AS id, range * 2.5 AS amount FROM range(1000)`,
		"INSERT INTO silver.daily VALUES (NULL, -1, 0)")
	table, reader := TableName{"silver", "daily"}, TableName{"gold", "revenue"}
	var reads []string
	onContentScan = func(_ TableName, from string) { reads = append(reads, from) }
	defer func() { onContentScan = nil }()
	stamp := func() string {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		s, ok, err := tx.ContentStamp(ctx, reader, table, "day")
		if err != nil || !ok {
			t.Fatalf("content stamp: %v %v", ok, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// build replaces the rows from 2026-01-04 on (and those without a
	// day) by what stmts write, as an incremental_by_time build.
	build := func(first bool, stmts ...string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		b := BuildRecord{Fingerprint: "fp"}
		if !first {
			since, ok, err := tx.TableStamp(ctx, table)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			b.Since, b.TimeColumn, b.From = since, "day", "DATE '2026-01-04'"
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if err := tx.RecordBuild(ctx, table, b, "run", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	build(true)
	s0 := stamp()
	same := []string{
		"CREATE TEMP TABLE w AS SELECT * FROM silver.daily WHERE day >= DATE '2026-01-04' OR day IS NULL",
		"DELETE FROM silver.daily WHERE day >= DATE '2026-01-04' OR day IS NULL",
		"INSERT INTO silver.daily SELECT * FROM w ORDER BY id DESC",
		"DROP TABLE w",
	}
	build(false, same...)
	reads = nil
	if s := stamp(); s != s0 {
		t.Errorf("the same rows written again: stamp %s, was %s", s, s0)
	}
	if want := []string{"DATE '2026-01-04'"}; !reflect.DeepEqual(reads, want) {
		t.Errorf("read %q, want %q", reads, want)
	}
	build(false, "UPDATE silver.daily SET amount = amount + 1 WHERE id = 4")
	reads = nil
	s1 := stamp()
	if s1 == s0 {
		t.Error("a changed row of 2026-01-05 kept the stamp")
	}
	// From scratch: the kept days removed.
	if _, err := lh.db.ExecContext(ctx, "DELETE FROM sys.content_days"); err != nil {
		t.Fatal(err)
	}
	reads = nil
	if s := stamp(); s != s1 || !reflect.DeepEqual(reads, []string{""}) {
		t.Errorf("from every row: stamp %s (read %q), from the kept days %s", s, reads, s1)
	}
}
