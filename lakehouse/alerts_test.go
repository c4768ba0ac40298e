package lakehouse

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestAlertHistoryMigrates: a target written before alerts v2 has the old
// seven columns of sys.alert_history. A reader reads it as it is; the
// next writer adds the new columns and gives the old rows their state.
func TestAlertHistoryMigrates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	if _, err := lh.db.ExecContext(ctx, `DROP TABLE sys.alert_history;
		CREATE TABLE sys.alert_history (alert VARCHAR, evaluated_at TIMESTAMP, value DOUBLE, op VARCHAR, threshold DOUBLE, fired BOOLEAN, message VARCHAR);
		INSERT INTO sys.alert_history VALUES ('drop', ?, -0.3, '<', -0.2, true, 'revenue fell'), ('drop', ?, 0.1, '<', -0.2, false, NULL)`,
		at, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	lh.Close()

	check := func(lh *Lakehouse, what string) {
		t.Helper()
		logs, err := lh.AlertHistory(ctx, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		ev := logs["drop"].Events
		if len(ev) != 2 || ev[0].State != "OK" || ev[1].State != "TRIGGERED" || ev[1].Value != "-0.3" || ev[1].Threshold != "-0.2" ||
			ev[1].Message != "revenue fell" || !logs["drop"].LastTriggered.Equal(at) || !logs["drop"].LastNotified.IsZero() {
			t.Errorf("%s: %+v", what, logs["drop"])
		}
	}
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	check(ro, "a reader of the old file")
	ro.Close()

	lh, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	check(lh, "the migrated file")
	var states int
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.alert_history WHERE state IS NOT NULL AND value_text IS NOT NULL AND NOT notified").Scan(&states); err != nil || states != 2 {
		t.Errorf("%d migrated rows have a state (%v), want 2", states, err)
	}
	// New rows keep numbers in the old columns too, for charts.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordAlert(ctx, AlertEvent{Alert: "drop", At: at.Add(2 * time.Hour), State: "TRIGGERED", Value: "-0.5", Op: "LESS_THAN", Threshold: "-0.2",
		RunID: "run-1", Notified: true, NotifyError: "exit status 1"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordAlert(ctx, AlertEvent{Alert: "light", At: at, State: "OK", Value: "green", Op: "EQUAL", Threshold: "red"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var value, threshold float64
	var fired bool
	if err := lh.db.QueryRowContext(ctx, "SELECT value, threshold, fired FROM sys.alert_history WHERE run_id = 'run-1'").Scan(&value, &threshold, &fired); err != nil ||
		value != -0.5 || threshold != -0.2 || !fired {
		t.Errorf("numbers of a new row: %v %v %v (%v)", value, threshold, fired, err)
	}
	logs, err := lh.AlertHistory(ctx, []string{"drop"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if l := logs["drop"]; len(logs) != 1 || len(l.Events) != 1 || l.Events[0].RunID != "run-1" || !l.Events[0].Notified ||
		l.Events[0].NotifyError != "exit status 1" || !l.LastNotified.Equal(at.Add(2*time.Hour)) {
		t.Errorf("the newest of drop: %+v", logs)
	}
}
