package lakehouse

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestForgedCheckStateChecksAgain: a source's check state kept in the
// file (sys.check_state's counts, the files sys.model_files lists as
// checked) carries the digest its check wrote, as a model build's records
// do (TestForgedModelFilesSkipNoFile in pipeline). State forged in the
// file itself (no statement of lakebench writes sys) makes the next check
// a full one, with a full check's counts. Without the digest a new file
// recorded as checked, with its rows added to the count, was skipped: its
// failures were never counted.
func TestForgedCheckStateChecksAgain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	table := TableName{"bronze", "s"}
	rules := []Rule{
		{Name: "big", Criticality: "warn", Scope: ScopeRow, Fail: "amount > 100"},
		{Name: "id_unique", Criticality: "warn", Scope: ScopeKey, Key: []string{"id"},
			Fail: `"id" IS NOT NULL AND count(*) OVER (PARTITION BY "id") > 1`},
	}
	open := func() *Lakehouse {
		t.Helper()
		lh, err := Open(ctx, path, Options{Holder: t.Name()})
		if err != nil {
			t.Fatal(err)
		}
		return lh
	}
	// check checks the table as a checks task does and compares the
	// counts with a full check's.
	check := func(lh *Lakehouse, step string, wantIncremental bool, wantWhy string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		got, err := tx.CheckSource(ctx, table, rules, QualityRun{RunID: step}, false)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		want, err := tx.ApplyQuality(ctx, table, rules, QualityRun{RunID: step})
		if err != nil {
			t.Fatal(err)
		}
		if got.Incremental != wantIncremental || !strings.Contains(got.Why, wantWhy) {
			t.Errorf("%s: incremental %v (%q), want %v (%q)", step, got.Incremental, got.Why, wantIncremental, wantWhy)
		}
		for i := range want {
			if got.Outcomes[i].RowsChecked != want[i].RowsChecked || got.Outcomes[i].RowsFailed != want[i].RowsFailed {
				t.Errorf("%s: %s checked %d and failed %d, a full check %d and %d", step, rules[i].Name,
					got.Outcomes[i].RowsChecked, got.Outcomes[i].RowsFailed, want[i].RowsChecked, want[i].RowsFailed)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// forge edits the closed file as a user could, outside lakebench.
	forge := func(stmts ...string) {
		t.Helper()
		db, err := sql.Open("duckdb", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range stmts {
			res, err := db.Exec(s)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatalf("%s changed nothing", s)
			}
		}
	}
	const why = "its state (sys.check_state, sys.model_files) is not the one its last check wrote"

	lh := open()
	ingestText(t, lh, "day1.csv", "id,amount\n1,5\n2,25\n3,500\n", "s")
	check(lh, "first", false, "")
	ingestText(t, lh, "day2.csv", "id,amount\n1,700\n4,800\n5,900\n", "s")
	lh.Close()
	// The new file recorded as checked, its 3 rows added to the count:
	// an incremental check would find no new file and keep the old counts.
	forge(`INSERT INTO sys.model_files SELECT 'checks:bronze.s', table_name, file_id FROM sys.ingested_files
			WHERE table_name = 'bronze.s' AND path LIKE '%day2.csv'`,
		"UPDATE sys.check_state SET rows_checked = rows_checked + 3 WHERE table_name = 'bronze.s'")
	lh = open()
	check(lh, "forged files", false, why)
	// The full check recorded its state anew: the next is incremental.
	ingestText(t, lh, "day3.csv", "id,amount\n6,1\n7,2000\n", "s")
	check(lh, "after the full check", true, "")
	lh.Close()
	// Counts forged alone are not trusted either.
	forge("UPDATE sys.check_state SET rows_failed = 0 WHERE table_name = 'bronze.s'")
	lh = open()
	ingestText(t, lh, "day4.csv", "id,amount\n8,3000\n", "s")
	check(lh, "forged counts", false, why)
	lh.Close()
	// State recorded before the digest was kept (files NULL) is checked
	// in full once.
	forge("UPDATE sys.check_state SET files = NULL WHERE table_name = 'bronze.s'")
	lh = open()
	defer lh.Close()
	check(lh, "no digest", false, why)
	check(lh, "digest kept again", true, "")
}
