package lakehouse

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestFileIDsIncrease: files get ids above every id before them, in the
// order they are ingested, unique across tables and across ingests
// running side by side; above ids a file holds from before (random ones)
// too, and past 2^53 they are random again, still unique.
func TestFileIDsIncrease(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	dir := t.TempDir()
	ids := func(table string) []int64 {
		t.Helper()
		res, err := lh.Query(ctx, "SELECT file_id FROM sys.ingested_files WHERE table_name = '"+table+"' ORDER BY ingested_at, path")
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range res.Rows {
			out = append(out, r[0].(int64))
		}
		return out
	}
	// A file ingested before, with a random id near the top.
	if _, err := lh.db.ExecContext(ctx, "INSERT INTO sys.ingested_files (file_id, table_name, path) VALUES (8996128737225552, 'bronze.old', 'old.csv')"); err != nil {
		t.Fatal(err)
	}
	var files []string
	for d := 1; d <= 3; d++ {
		files = append(files, writeFile(t, dir, fmt.Sprintf("a_2026-01-0%d.csv", d), fmt.Sprintf("id\n%d\n", d)))
	}
	if _, err := lh.Ingest(ctx, files, IngestOptions{Table: TableName{"bronze", "a"}}); err != nil {
		t.Fatal(err)
	}
	// Two tables side by side.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for k, table := range []string{"b", "c"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := 1; d <= 4 && errs[k] == nil; d++ {
				p := writeFile(t, dir, fmt.Sprintf("%s_2026-01-0%d.csv", table, d), fmt.Sprintf("id\n%d\n", d))
				_, errs[k] = lh.Ingest(ctx, []string{p}, IngestOptions{Table: TableName{"bronze", table}})
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]string{8996128737225552: "bronze.old"}
	for _, table := range []string{"bronze.a", "bronze.b", "bronze.c"} {
		got := ids(table)
		for i, id := range got {
			if id <= 8996128737225552 || id > maxFileID {
				t.Errorf("%s: id %d is not above the file's ids before (8996128737225552) and at most 2^53-1", table, id)
			}
			if i > 0 && id <= got[i-1] {
				t.Errorf("%s: ids %v do not increase in the order the files were ingested", table, got)
			}
			if other, ok := seen[id]; ok {
				t.Errorf("id %d of %s is also %s's", id, table, other)
			}
			seen[id] = table
		}
	}
	// No room left above: random ids, still unique, still loading.
	if _, err := lh.db.ExecContext(ctx, fmt.Sprintf("INSERT INTO sys.ingested_files (file_id, table_name, path) VALUES (%d, 'bronze.old', 'top.csv')", int64(maxFileID))); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, dir, "d_2026-01-01.csv", "id\n1\n")
	if _, err := lh.Ingest(ctx, []string{p}, IngestOptions{Table: TableName{"bronze", "d"}}); err != nil {
		t.Fatal(err)
	}
	if got := ids("bronze.d"); len(got) != 1 || got[0] <= 0 || got[0] > maxFileID || seen[got[0]] != "" {
		t.Errorf("past the top: ids %v, want one new positive id of at most 53 bits", got)
	}
	if n := scalarInt(t, lh, "SELECT count(*) FROM bronze.d"); n != 1 {
		t.Errorf("bronze.d has %d rows, want 1", n)
	}
}
