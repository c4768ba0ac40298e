package lakehouse

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestViews(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lh, err := Open(ctx, filepath.Join(dir, "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	csv := writeFile(t, dir, "people_2026-01-05.csv", "id,name\n1,ann\n2,bob,extra\n3,cy\n")
	if _, err := lh.Ingest(ctx, []string{csv}, IngestOptions{Table: TableName{"bronze", "people"}, Format: CSV, RunID: "r2"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i, st := range []string{"succeeded", "failed", "running"} {
		r := Run{RunID: "r" + string(rune('1'+i)), Job: "nightly", Target: "dev", StartedAt: t0.Add(time.Duration(i) * time.Hour), Status: st}
		if st != "running" {
			r.EndedAt = r.StartedAt.Add(time.Second)
		}
		if err := lh.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i, key := range []string{"ingest", "silver"} {
		tr := TaskRun{RunID: "r2", TaskKey: key, Kind: key, StartedAt: t0.Add(time.Duration(i) * time.Second), EndedAt: t0.Add(time.Duration(i+1) * time.Second), Status: "succeeded", RowsWritten: int64(10 * (i + 1))}
		if err := lh.RecordTaskRun(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = tx.RecordQuality(ctx, []QualityResult{
		{RunID: "r1", Table: "silver.people", Rule: "id_is_not_null", Criticality: "error", RowsChecked: 5, RowsFailed: 1, CheckedAt: t0},
		{RunID: "r2", Table: "silver.people", Rule: "id_is_not_null", Criticality: "error", RowsChecked: 6, RowsFailed: 0, CheckedAt: t0.Add(time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	runs, err := lh.RecentRuns(ctx, 2)
	if err != nil || len(runs) != 2 || runs[0].RunID != "r3" || !runs[0].EndedAt.IsZero() || runs[1].Status != "failed" {
		t.Errorf("RecentRuns: got %+v, %v; want r3 (running) then r2 (failed)", runs, err)
	}
	tasks, err := lh.TaskRuns(ctx, "r2")
	if err != nil || len(tasks) != 2 || tasks[0].TaskKey != "ingest" || tasks[1].RowsWritten != 20 {
		t.Errorf("TaskRuns: got %+v, %v", tasks, err)
	}
	q, err := lh.LatestQuality(ctx)
	if err != nil || len(q) != 1 || q[0].RunID != "r2" || q[0].RowsChecked != 6 {
		t.Errorf("LatestQuality: got %+v, %v; want the r2 result only", q, err)
	}
	rows, total, err := lh.Quarantined(ctx, TableName{"bronze", "people"}, 10)
	if err != nil || total != 1 || len(rows) != 1 || rows[0].Line != 3 || rows[0].Source != "people_2026-01-05.csv" || rows[0].Reason == "" || rows[0].Record != "2,bob,extra" {
		t.Errorf("Quarantined: got %+v total %d, %v", rows, total, err)
	}
	if rows, total, err := lh.Quarantined(ctx, TableName{"silver", "none"}, 10); err != nil || total != 0 || len(rows) != 0 {
		t.Errorf("Quarantined of a table without one: got %v %d %v", rows, total, err)
	}
	files, err := lh.IngestedFiles(ctx)
	if err != nil || len(files) != 1 || files[0].Files != 1 || files[0].RowsRead != 3 || files[0].RowsLoaded != 2 || files[0].RowsQuarantined != 1 || files[0].LastBatch != "2026-01-05" {
		t.Errorf("IngestedFiles: got %+v, %v", files, err)
	}
	stats, err := lh.RunStats(ctx, "")
	if err != nil || stats != (RunStats{Runs: 3, Succeeded: 1, Failed: 1, Running: 1}) || stats.SuccessRatio() != 0.5 {
		t.Errorf("RunStats: got %+v (ratio %v), %v", stats, stats.SuccessRatio(), err)
	}
	if s, _ := lh.RunStats(ctx, "other"); s.Runs != 0 {
		t.Errorf("RunStats of another job: got %+v", s)
	}
	fresh, err := lh.Freshness(ctx)
	if err != nil || len(fresh) != 1 || fresh[0].Table != "bronze.people" || fresh[0].UpdatedAt.IsZero() {
		t.Errorf("Freshness: got %+v, %v; want bronze.people only (no quarantine, no sys)", fresh, err)
	}
	if _, err := lh.Exec(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	sizes, err := lh.TableSizes(ctx)
	if err != nil || sizes["bronze.people"] <= 0 {
		t.Errorf("TableSizes: got %v, %v; want bronze.people stored", sizes, err)
	}
}
