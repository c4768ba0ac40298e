package lakehouse

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestDescribeSaysWhatToRun checks that DESCRIBE and SHOW of a table, which
// the plan check cannot see through, are refused with the statements that
// show a table's columns instead, and that those run.
func TestDescribeSaysWhatToRun(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{Principal: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, q := range []string{"CREATE TABLE silver.polls (id BIGINT, day DATE)"} {
		if _, err := lh.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"DESCRIBE silver.polls", "SHOW silver.polls"} {
		_, err := lh.Query(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "SUMMARIZE schema.table") || strings.Contains(err.Error(), "CHUNK_GET") {
			t.Errorf("%s: %v, want a refusal that says what to run instead", q, err)
		}
	}
	res, err := lh.Query(ctx, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'silver' AND table_name = 'polls' ORDER BY ordinal_position")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[1][0] != "day" || res.Rows[1][1] != "DATE" {
		t.Errorf("information_schema.columns of silver.polls: %v", res.Rows)
	}
	if _, err := lh.Query(ctx, "SUMMARIZE silver.polls"); err != nil {
		t.Errorf("SUMMARIZE silver.polls: %v", err)
	}
}
