package lakehouse

import (
	"context"
	"testing"
)

// TestMergeBoundsAttack: a merge by key, traced or not, replaces exactly
// the rows whose key matches a new row's (IS NOT DISTINCT FROM), as it
// did before mergeKeyBounds bounded the key's range: key types that
// differ between the table and the new rows (a model whose key changed
// type: BETWEEN refused to mix VARCHAR and INTEGER), a NOCASE key
// (ordered apart from min and max: 'b' matched 'B' but lay outside
// ['B', 'a']), quoted names, keys at the type's limits, UUIDs.
func TestMergeBoundsAttack(t *testing.T) {
	cases := []struct {
		name     string
		first    string // the table's rows: key k, x 0
		merge    string // the new rows: x 100
		key      []string
		rows     int64 // rows after the merge
		replaced int64 // rows with x = 100
	}{
		{"integer table, varchar new keys", `SELECT i::INTEGER AS k, 0 AS x FROM range(1, 21) r(i)`, `SELECT '9' AS k, 100 AS x UNION ALL SELECT '10', 100`, []string{"k"}, 20, 2},
		{"varchar table, integer new keys", `SELECT i::VARCHAR AS k, 0 AS x FROM range(1, 21) r(i)`, `SELECT 9 AS k, 100 AS x UNION ALL SELECT 10, 100`, []string{"k"}, 20, 2},
		{"nocase table", `SELECT (['a','b','c'])[i] COLLATE NOCASE AS k, 0 AS x FROM range(1, 4) r(i)`, `SELECT 'B' AS k, 100 AS x UNION ALL SELECT 'a', 100`, []string{"k"}, 3, 2},
		{"timestamptz table, timestamp new", `SELECT TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_hours(i::INT) AS k, 0 AS x FROM range(0, 48) r(i)`, `SELECT TIMESTAMP '2026-01-01 05:00:00' AS k, 100 AS x UNION ALL SELECT TIMESTAMP '2026-01-02 01:00:00', 100`, []string{"k"}, 48, 2},
		{"decimal scales", `SELECT (i / 4)::DECIMAL(10,2) AS k, 0 AS x FROM range(0, 40) r(i)`, `SELECT 1.25::DECIMAL(18,4) AS k, 100 AS x UNION ALL SELECT 2.5::DECIMAL(4,1), 100`, []string{"k"}, 40, 2},
		{"bigint limits", `SELECT (9223372036854775807 - i)::BIGINT AS k, 0 AS x FROM range(0, 5) r(i) UNION ALL SELECT -9223372036854775808, 0`, `SELECT 9223372036854775807::BIGINT AS k, 100 AS x UNION ALL SELECT -9223372036854775808, 100`, []string{"k"}, 6, 2},
		{"quoted mixed-case name", `SELECT i AS "Order ""Id""", 0 AS x FROM range(1, 21) r(i)`, `SELECT 5 AS "order ""id""", 100 AS x UNION ALL SELECT 6, 100`, []string{`ORDER "ID"`}, 20, 2},
		{"two columns, a NULL in one", `SELECT i % 3 AS a, CASE WHEN i = 4 THEN NULL ELSE i::VARCHAR END AS b, 0 AS x FROM range(0, 12) r(i)`, `SELECT 1 AS a, NULL::VARCHAR AS b, 100 AS x UNION ALL SELECT 2, '5', 100`, []string{"a", "b"}, 12, 2},
		{"uuid", `SELECT ('00000000-0000-0000-0000-0000000000' || lpad(i::VARCHAR, 2, '0'))::UUID AS k, 0 AS x FROM range(10, 40) r(i)`, `SELECT '00000000-0000-0000-0000-000000000012'::UUID AS k, 100 AS x UNION ALL SELECT 'ffffffff-0000-0000-0000-000000000000'::UUID, 100`, []string{"k"}, 31, 2},
	}
	for _, tc := range cases {
		for _, tr := range []bool{false, true} {
			name := tc.name
			if tr {
				name += ", traced"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				lh := openTemp(t)
				table := TableName{"silver", "m"}
				materialize(t, lh, table, "SELECT *, DATE '2026-01-01' AS d FROM ("+tc.first+")", Materialization{}, nil, QualityRun{})
				m := Materialization{UniqueKey: tc.key}
				if tr {
					m.Trace = &Trace{Alias: "m", Exprs: []string{`"d"`}}
				}
				tx, err := lh.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				if _, _, err := tx.MaterializeChecked(ctx, table, "SELECT *, DATE '2026-01-02' AS d FROM ("+tc.merge+")", m, nil, QualityRun{RunID: "r1"}); err != nil {
					t.Fatalf("the merge refused: %v (it merges without the key bounds)", err)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m"); got != tc.rows {
					t.Errorf("rows: got %d, want %d", got, tc.rows)
				}
				if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m WHERE x = 100"); got != tc.replaced {
					t.Errorf("rows of the merge: got %d, want %d", got, tc.replaced)
				}
			})
		}
	}
}

// TestMergeBoundsQuarantineType: the quarantine's key column may keep
// another type than the table's (its rows are appended BY NAME); the
// merge then leaves its key unbounded rather than fail (BETWEEN refuses
// to mix INTEGER and VARCHAR, which sameKey compares) or miss rows.
func TestMergeBoundsQuarantineType(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	table := TableName{"silver", "m"}
	rules := []Rule{{Name: "pos", Criticality: "error", Fail: "x < 0"}}
	materialize(t, lh, table, `SELECT i::INTEGER AS k, CASE WHEN i IN (9, 10) THEN -1 ELSE 0 END AS x FROM range(1, 21) r(i)`, Materialization{}, rules, QualityRun{RunID: "r0"})
	if _, err := lh.db.ExecContext(ctx, "ALTER TABLE silver.m ALTER k TYPE VARCHAR"); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, _, err := tx.MaterializeChecked(ctx, table, `SELECT '9' AS k, 100 AS x UNION ALL SELECT '10', 100 UNION ALL SELECT '11', 100`, Materialization{UniqueKey: []string{"k"}}, rules, QualityRun{RunID: "r1"}); err != nil {
		t.Fatalf("the merge refused: %v (it merges without the key bounds)", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m_quarantine"); got != 0 {
		t.Errorf("quarantined rows: got %d, want 0 (keys 9 and 10 replaced)", got)
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m"); got != 20 {
		t.Errorf("rows: got %d, want 20", got)
	}
}

// TestMergeBoundsDefaultCollation: with the session's default_collation
// NOCASE, min and max order the new keys as the comparison does: new 'B'
// and 'a' replace the table's 'b' and 'a'.
func TestMergeBoundsDefaultCollation(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	table := TableName{"silver", "m"}
	materialize(t, lh, table, `SELECT (['a','b','c'])[i] AS k, 0 AS x FROM range(1, 4) r(i)`, Materialization{}, nil, QualityRun{})
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.tx.ExecContext(ctx, "SET default_collation = 'nocase'"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tx.MaterializeChecked(ctx, table, `SELECT 'B' AS k, 100 AS x UNION ALL SELECT 'a', 100`, Materialization{UniqueKey: []string{"k"}}, nil, QualityRun{RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.tx.ExecContext(ctx, "RESET default_collation"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := scalarInt(t, lh, "SELECT count(*) FROM silver.m"); got != 3 {
		t.Errorf("rows: got %d, want 3", got)
	}
}
