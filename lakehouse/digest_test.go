package lakehouse

import (
	"context"
	"testing"
)

// TestTableDigest: the digest follows the rows and columns, never their
// physical order.
func TestTableDigest(t *testing.T) {
	ctx := context.Background()
	base := "SELECT * FROM (VALUES (1, 'a', 1.5), (2, NULL, 2.5), (3, 'c', NULL), (3, 'c', NULL)) AS v(id, s, x)"
	lh := openColumnsTarget(t,
		"CREATE TABLE gold.t1 AS "+base,
		"CREATE TABLE gold.t2 AS "+base+" ORDER BY id DESC",
		// The same rows inserted one by one, in another order.
		"CREATE TABLE gold.t3 (id INTEGER, s VARCHAR, x DECIMAL(2,1))",
		"INSERT INTO gold.t3 VALUES (3, 'c', NULL)",
		"INSERT INTO gold.t3 VALUES (2, NULL, 2.5)",
		"INSERT INTO gold.t3 VALUES (3, 'c', NULL)",
		"INSERT INTO gold.t3 VALUES (1, 'a', 1.5)",
		"CREATE TABLE gold.changed AS "+base,
		"UPDATE gold.changed SET x = 1.6 WHERE id = 1",
		"CREATE TABLE gold.empty_text AS "+base,
		"UPDATE gold.empty_text SET s = '' WHERE id = 2",
		"CREATE TABLE gold.swapped AS SELECT id, s, x FROM (VALUES (1, 'a', 1.5), (2, NULL, 2.5), (3, 'c', NULL), (3, 'c', NULL)) AS v(id, s, x)",
		"UPDATE gold.swapped SET id = 2 WHERE s = 'a'",
		"UPDATE gold.swapped SET id = 1 WHERE s IS NULL",
		"CREATE TABLE gold.renamed AS SELECT id, s AS label, x FROM gold.t1",
		"CREATE TABLE gold.once AS SELECT DISTINCT * FROM gold.t1",
		"CREATE TABLE gold.empty AS SELECT * FROM gold.t1 LIMIT 0",
		"CREATE VIEW gold.v AS SELECT * FROM gold.t1",
		// Two values of a row trade places.
		"CREATE TABLE gold.ab AS SELECT 1 AS a, 2 AS b",
		"CREATE TABLE gold.ba AS SELECT 2 AS a, 1 AS b",
	)
	digest := func(name string) (string, int64) {
		t.Helper()
		d, n, err := lh.TableDigest(ctx, TableName{Schema: "gold", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return d, n
	}
	d1, n1 := digest("t1")
	if len(d1) != 64 || n1 != 4 {
		t.Fatalf("digest %q of %d rows, want 64 hex digits and 4 rows", d1, n1)
	}
	if d, _ := digest("t1"); d != d1 {
		t.Errorf("the same table's digest changed: %s then %s", d1, d)
	}
	for _, same := range []string{"t2", "v"} {
		if d, _ := digest(same); d != d1 {
			t.Errorf("gold.%s has the rows of gold.t1 in another order: digest %s, want %s", same, d, d1)
		}
	}
	// t3 declares x DECIMAL(2,1), t1 DECIMAL(2,1) too (VALUES' type).
	if d, _ := digest("t3"); d != d1 {
		t.Errorf("gold.t3 has gold.t1's rows inserted in another order: digest %s, want %s", d, d1)
	}
	seen := map[string]string{d1: "t1"}
	for _, other := range []string{"changed", "empty_text", "swapped", "renamed", "once", "empty", "ab", "ba"} {
		d, _ := digest(other)
		if prev, ok := seen[d]; ok {
			t.Errorf("gold.%s has the digest of gold.%s: %s", other, prev, d)
		}
		seen[d] = other
	}
}
