package pipeline

import (
	"context"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// TestCatalogCountsAfterIncrementalRuns: after incremental runs that
// delete and re-insert rows (the sample's lookback and unique-key models),
// Catalog (read from DuckDB's catalog alone, for the TUI's first frame)
// shows every table lakebench wrote with its exact row count, unmarked,
// where DuckDB's estimated_size counts the deleted rows too; after the
// owner's DELETE the table's count is marked estimated, never a stale
// count shown as exact; the next run that writes it counts it again.
func TestCatalogCountsAfterIncrementalRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample 4 times")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev, Days: 30}); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer func() { lh.Close() }()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if i > 0 {
			// Each run in a process of its own, as from the command line:
			// closing the file checkpoints it, which drops some deleted
			// rows from estimated_size.
			lh.Close()
			lh = openTarget(t, p)
		}
		if _, err := sampledata.Next(ctx, dir); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
			t.Fatal(err)
		}
	}
	// check compares Catalog with count(*) and says how many tables'
	// estimated_size differs from their count.
	check := func(when string) (stale int) {
		tables, err := lh.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		written := 0
		for _, ti := range tables {
			if ti.Schema != "sys" { // the runs wrote every other table
				written++
			}
			n := count(t, lh, "SELECT * FROM "+lakehouse.TableName{Schema: ti.Schema, Name: ti.Table}.SQL())
			switch {
			case !ti.Estimated && ti.Rows != n:
				t.Errorf("%s: %s: Catalog shows %d rows as exact, count(*) is %d", when, ti.Name, ti.Rows, n)
			case ti.Schema != "sys" && ti.Estimated:
				t.Errorf("%s: %s: written by the pipeline, but Catalog shows DuckDB's estimate %d (count(*) %d)", when, ti.Name, ti.Rows, n)
			}
			if ti.Schema != "sys" && estimatedSize(t, lh, ti) != n {
				stale++
			}
		}
		if written < 20 {
			t.Fatalf("%s: the runs wrote %d tables", when, written)
		}
		return stale
	}
	if check("after the runs") == 0 {
		t.Fatal("no table's estimated_size differs from its count: the runs deleted no rows, the test proves nothing")
	}
	// Closing the file checkpoints it, which drops deleted rows from
	// estimated_size: the kept counts still hold.
	lh.Close()
	lh = openTarget(t, p)
	check("reopened")

	// The owner deletes rows outside a run: DuckDB's estimate does not
	// change, so the kept count would be wrong; it is dropped.
	const table = "gold.daily_revenue"
	before := find(t, lh, table)
	if before.Estimated {
		t.Fatalf("%s: estimated before the DELETE", table)
	}
	if _, err := lh.Exec(ctx, "DELETE FROM gold.daily_revenue WHERE rowid % 2 = 0"); err != nil {
		t.Fatal(err)
	}
	after := find(t, lh, table)
	n := count(t, lh, "SELECT * FROM gold.daily_revenue")
	if n >= before.Rows {
		t.Fatalf("the DELETE removed nothing: %d rows, %d before", n, before.Rows)
	}
	if !after.Estimated && after.Rows != n {
		t.Fatalf("%s after the owner's DELETE: %d rows shown as exact, count(*) is %d", table, after.Rows, n)
	}
	if !after.Estimated {
		t.Fatalf("%s after the owner's DELETE: not marked estimated", table)
	}

	// The next run writes it again and counts it.
	if _, err := sampledata.Next(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	again := find(t, lh, table)
	if n := count(t, lh, "SELECT * FROM gold.daily_revenue"); again.Estimated || again.Rows != n {
		t.Fatalf("%s after the next run: %d rows, estimated %v; count(*) is %d", table, again.Rows, again.Estimated, n)
	}
}

func find(t *testing.T, lh *lakehouse.Lakehouse, name string) lakehouse.TableInfo {
	t.Helper()
	tables, err := lh.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tables {
		if ti.Name == name {
			return ti
		}
	}
	t.Fatalf("%s is not in the catalog", name)
	return lakehouse.TableInfo{}
}

// estimatedSize is DuckDB's estimated_size for the table (a bronze
// view's stored table's).
func estimatedSize(t *testing.T, lh *lakehouse.Lakehouse, ti lakehouse.TableInfo) int64 {
	t.Helper()
	res, err := lh.Query(context.Background(), "SELECT coalesce(max(estimated_size), 0)::BIGINT FROM duckdb_tables() WHERE table_name = '"+ti.Table+
		"' AND schema_name IN ('"+ti.Schema+"', '"+ti.Schema+"_data')")
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows[0][0].(int64)
}
