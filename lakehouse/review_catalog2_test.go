package lakehouse

import (
	"context"
	"testing"
)

// TestReviewKeptCatalogGlobalSearchPath: a SET GLOBAL of the search path
// on one connection may change what current_database() names on the
// others, untainted: their kept catalog must stay DuckDB's.
func TestReviewKeptCatalogGlobalSearchPath(t *testing.T) {
	ctx := context.Background()
	lh := openKeep(t)
	keptMatchesDuckDB(t, lh, "before")
	for _, s := range []string{"ATTACH ':memory:' AS mem", "CREATE TABLE mem.main.only_mem (z INT)", "SET GLOBAL search_path = 'mem.main'", "SELECT * FROM query('CREATE TABLE s.q (a INT)')"} {
		_, err := lh.db.ExecContext(ctx, s)
		t.Logf("%s: %v", s, err)
	}
	var cur string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_database()").Scan(&cur); err != nil {
		t.Fatal(err)
	}
	t.Logf("current_database() now %s", cur)
	keptMatchesDuckDB(t, lh, "after SET GLOBAL search_path")
	_, err := lh.Exec(ctx, "SET GLOBAL search_path = 'mem.main'")
	t.Logf("lh.Exec SET GLOBAL: %v", err)
}
