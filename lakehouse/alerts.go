package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AlertEvent is one evaluation of an alert, a row of sys.alert_history.
// Values are kept as text (an alert may compare strings and booleans);
// the value and threshold columns of the table also hold them as numbers
// when they are numbers, for charts.
type AlertEvent struct {
	Alert string    `json:"alert"`
	At    time.Time `json:"evaluated_at"`
	// State is UNKNOWN, OK, TRIGGERED or ERROR.
	State     string `json:"state"`
	Value     string `json:"value"`
	Op        string `json:"op"`
	Threshold string `json:"threshold"`
	Message   string `json:"message,omitempty"`
	Error     string `json:"error,omitempty"`
	RunID     string `json:"run_id,omitempty"`
	// Notified is true when the alert's notification command ran for
	// this evaluation; NotifyError is how it failed.
	Notified    bool   `json:"notified,omitempty"`
	NotifyError string `json:"notify_error,omitempty"`
}

// RecordAlert appends an alert evaluation inside the transaction.
func (tx *Tx) RecordAlert(ctx context.Context, e AlertEvent) error {
	return tx.RecordAlerts(ctx, []AlertEvent{e})
}

// RecordAlerts appends alert evaluations, in order, inside the
// transaction, in one statement.
func (tx *Tx) RecordAlerts(ctx context.Context, events []AlertEvent) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]string, len(events))
	var args []any
	for i, e := range events {
		rows[i] = "(?, ?, TRY_CAST(? AS DOUBLE), ?, TRY_CAST(? AS DOUBLE), ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		args = append(args, e.Alert, e.At, nullString(e.Value), e.Op, nullString(e.Threshold), e.State == "TRIGGERED", nullString(e.Message),
			e.State, nullString(e.Value), nullString(e.Threshold), nullString(e.Error), nullString(e.RunID), e.Notified, nullString(e.NotifyError))
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO sys.alert_history
		(alert, evaluated_at, value, op, threshold, fired, message, state, value_text, threshold_text, error, run_id, notified, notify_error)
		VALUES `+strings.Join(rows, ", "), args...)
	if err != nil {
		names := make([]string, len(events))
		for i, e := range events {
			names[i] = e.Alert
		}
		return fmt.Errorf("lakehouse: record alert %s: %w", strings.Join(names, ", "), err)
	}
	return nil
}

// AlertLog is an alert's recent evaluations, newest first, and when it
// last triggered and last ran its notification command (zero when never),
// over its whole history.
type AlertLog struct {
	Events        []AlertEvent `json:"events"`
	LastTriggered time.Time    `json:"last_triggered,omitzero"`
	LastNotified  time.Time    `json:"last_notified,omitzero"`
}

// AlertHistory is lakebench's own read of the named alerts' history inside
// the transaction (see Lakehouse.AlertHistory), for the evaluation that
// records the next one.
func (tx *Tx) AlertHistory(ctx context.Context, names []string, limit int) (map[string]AlertLog, error) {
	return alertHistory(ctx, tx.tx, names, limit)
}

// AlertHistory returns the history of the named alerts (every alert when
// names is empty), at most limit evaluations of each (all when limit <=
// 0), keyed by alert; an alert never evaluated is absent. It reads as the
// session's principal, as the job history is read: SELECT on
// sys.alert_history, or a permission on the target (CAN_VIEW or more);
// the read is audited. Its values come from queries over the data: a
// caller showing them to a principal with a permission only hides those
// of alerts whose query the principal may not run. It works on a
// read-only lakehouse, and on a file written before alerts v2.
func (lh *Lakehouse) AlertHistory(ctx context.Context, names []string, limit int) (map[string]AlertLog, error) {
	return governed(ctx, lh, func() (map[string]AlertLog, int64, error) {
		out, err := alertHistory(ctx, lh.db, names, limit)
		var n int64
		for _, h := range out {
			n += int64(len(h.Events))
		}
		return out, n, err
	}, sysTable("alert_history"))
}

// alertHistory reads sys.alert_history. The columns added by alerts v2 are
// read through the row's JSON: a file written before them, opened
// read-only, has no such columns to name.
func alertHistory(ctx context.Context, e execer, names []string, limit int) (map[string]AlertLog, error) {
	if names == nil {
		names = []string{}
	}
	q := `WITH h AS (
		SELECT t.alert, t.evaluated_at, t.lb_rowid, t.op, t.fired, t.message,
			coalesce(j->>'state', CASE WHEN t.fired THEN 'TRIGGERED' ELSE 'OK' END) AS state,
			coalesce(j->>'value_text', CAST(t.value AS VARCHAR), '') AS value_text,
			coalesce(j->>'threshold_text', CAST(t.threshold AS VARCHAR), '') AS threshold_text,
			j->>'error' AS error, j->>'run_id' AS run_id,
			coalesce(TRY_CAST(j->>'notified' AS BOOLEAN), false) AS notified, j->>'notify_error' AS notify_error
		FROM (SELECT *, s.rowid AS lb_rowid, to_json(s) AS j FROM sys.alert_history AS s) AS t
		WHERE len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], t.alert))
	SELECT alert, evaluated_at, state, value_text, coalesce(op, ''), threshold_text, coalesce(message, ''),
		coalesce(error, ''), coalesce(run_id, ''), notified, coalesce(notify_error, ''),
		max(evaluated_at) FILTER (WHERE state = 'TRIGGERED') OVER (PARTITION BY alert),
		max(evaluated_at) FILTER (WHERE notified) OVER (PARTITION BY alert)
	FROM h`
	if limit > 0 {
		q += fmt.Sprintf(" QUALIFY row_number() OVER (PARTITION BY alert ORDER BY evaluated_at DESC, lb_rowid DESC) <= %d", limit)
	}
	q += " ORDER BY alert, evaluated_at DESC, lb_rowid DESC"
	rows, err := e.QueryContext(ctx, q, names, names)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.alert_history: %w", queryError(ctx, err))
	}
	defer rows.Close()
	out := map[string]AlertLog{}
	for rows.Next() {
		var a AlertEvent
		var at, triggered, notified sql.NullTime
		if err := rows.Scan(&a.Alert, &at, &a.State, &a.Value, &a.Op, &a.Threshold, &a.Message,
			&a.Error, &a.RunID, &a.Notified, &a.NotifyError, &triggered, &notified); err != nil {
			return nil, fmt.Errorf("lakehouse: read sys.alert_history: %w", err)
		}
		a.At = at.Time
		l := out[a.Alert]
		l.Events = append(l.Events, a)
		l.LastTriggered, l.LastNotified = triggered.Time, notified.Time
		out[a.Alert] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.alert_history: %w", queryError(ctx, err))
	}
	return out, nil
}
