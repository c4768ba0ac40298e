package lakehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Content stamps: an incremental_by_time model rebuilds its last days
// every run, so the stamp of its builds changes every run though its rows
// often do not (a run with no new data writes the same rows again). A
// full model reading it stamps it by its rows instead (ContentInputState):
// per day of the time column, the rows and the sum of their hashes, kept
// in sys.content_days for each reader and input with the input's stamp
// (TableStamp) they were read at. After an incremental_by_time build that
// started from the kept stamp, only the days from its first replaced time
// on (and the rows without a time) are read again; otherwise every row.

// contentDay is one day's rows and the sum of their hashes; Day is in
// microseconds since the epoch, or absent for the rows without a time.
type contentDay struct {
	Day  *int64 `json:"d,omitempty"`
	Rows int64  `json:"n"`
	Sum  string `json:"h"`
}

// ContentInputState is InputState with each read that timeColumns names
// (an incremental_by_time model, by its time column) stamped by its rows
// (ContentStamp) instead of its builds; reader is the model reading them,
// whose kept days these are.
func (tx *Tx) ContentInputState(ctx context.Context, reader TableName, reads []TableName, timeColumns map[string]string) (string, bool, error) {
	var others []TableName
	var timed []string
	for _, r := range reads {
		if _, ok := timeColumns[r.String()]; ok {
			if !slices.Contains(timed, r.String()) {
				timed = append(timed, r.String())
			}
		} else {
			others = append(others, r)
		}
	}
	state, ok, err := tx.InputState(ctx, others)
	if err != nil || !ok || len(timed) == 0 {
		return state, ok, err
	}
	slices.Sort(timed)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", state)
	for _, name := range timed {
		t, err := ParseTableName(name)
		if err != nil {
			return "", false, err
		}
		stamp, ok, err := tx.ContentStamp(ctx, reader, t, timeColumns[name])
		if err != nil || !ok {
			return "", false, err
		}
		fmt.Fprintf(h, "content %s %s\n", name, stamp)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), true, nil
}

// onContentScan, when set (by tests), is called each time ContentStamp
// reads a table, with the time it reads from ("" for every row).
var onContentScan func(t TableName, from string)

// ContentStamp is a stamp of t's rows (its columns' names and types, and
// per day of timeColumn the rows and the sum of their hashes), for reader;
// ok is false when t is not a model's table.
func (tx *Tx) ContentStamp(ctx context.Context, reader, t TableName, timeColumn string) (string, bool, error) {
	stamp, ok, err := tx.TableStamp(ctx, t)
	if err != nil || !ok {
		return "", false, err
	}
	cols, err := tableColumns(ctx, tx.tx, t)
	if err != nil {
		return "", false, fmt.Errorf("lakehouse: the content of %s: %w", t, err)
	}
	if !slices.ContainsFunc(cols, func(c Column) bool { return strings.EqualFold(c.Name, timeColumn) }) {
		return "", false, nil
	}
	key := reader.String() + " " + t.String()
	kept := func(at string) ([]contentDay, bool, error) {
		var doc string
		err := tx.tx.QueryRowContext(ctx, "SELECT days FROM sys.content_days WHERE reader = ? AND stamp = ? AND time_column = ?", key, at, timeColumn).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("lakehouse: the content of %s: %w", t, queryError(ctx, err))
		}
		var days []contentDay
		if json.Unmarshal([]byte(doc), &days) != nil {
			return nil, false, nil // read the table instead
		}
		return days, true, nil
	}
	days, found, err := kept(stamp)
	if err != nil {
		return "", false, err
	}
	if !found {
		var since, column, from sql.NullString
		if err := tx.tx.QueryRowContext(ctx, "SELECT since, time_column, replaced_from FROM sys.model_builds WHERE model = ?", t.String()).Scan(&since, &column, &from); err != nil {
			return "", false, fmt.Errorf("lakehouse: the content of %s: %w", t, err)
		}
		var before []contentDay
		read := ""
		if since.String != "" && from.String != "" && strings.EqualFold(column.String, timeColumn) {
			old, ok, err := kept(since.String)
			if err != nil {
				return "", false, err
			}
			if ok {
				var first time.Time
				if err := tx.tx.QueryRowContext(ctx, "SELECT CAST("+from.String+" AS DATE)").Scan(&first); err != nil {
					return "", false, fmt.Errorf("lakehouse: the content of %s: the first day replaced: %w", t, err)
				}
				// The build replaced the rows from `from` on and those
				// without a time: the days before the first day it could
				// touch are kept.
				for _, d := range old {
					if d.Day != nil && time.UnixMicro(*d.Day).UTC().Before(first) {
						before = append(before, d)
					}
				}
				read = "DATE " + QuoteString(first.Format(time.DateOnly))
			}
		}
		if days, err = contentScan(ctx, tx.tx, t, cols, timeColumn, read); err != nil {
			return "", false, err
		}
		days = append(before, days...)
		slices.SortFunc(days, func(a, b contentDay) int {
			switch {
			case a.Day == nil && b.Day == nil:
				return 0
			case a.Day == nil:
				return -1
			case b.Day == nil:
				return 1
			}
			return int(max(-1, min(1, *a.Day-*b.Day)))
		})
		doc, err := json.Marshal(days)
		if err != nil {
			return "", false, fmt.Errorf("lakehouse: the content of %s: %w", t, err)
		}
		if _, err := tx.tx.ExecContext(ctx, "DELETE FROM sys.content_days WHERE reader = ?", key); err != nil {
			return "", false, fmt.Errorf("lakehouse: keep the content of %s: %w", t, err)
		}
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.content_days VALUES (?, ?, ?, ?)", key, stamp, timeColumn, string(doc)); err != nil {
			return "", false, fmt.Errorf("lakehouse: keep the content of %s: %w", t, err)
		}
	}
	h := sha256.New()
	for _, c := range cols {
		fmt.Fprintf(h, "%s %s\n", c.Name, c.Type)
	}
	for _, d := range days {
		day := "-"
		if d.Day != nil {
			day = fmt.Sprint(*d.Day)
		}
		fmt.Fprintf(h, "%s %d %s\n", day, d.Rows, d.Sum)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), true, nil
}

// contentScan reads t's days: every row, or with from (a SQL DATE) the
// rows of timeColumn from it on and those without a time.
func contentScan(ctx context.Context, e execer, t TableName, cols []Column, timeColumn, from string) ([]contentDay, error) {
	if onContentScan != nil {
		onContentScan(t, from)
	}
	all := make([]string, len(cols))
	for i, c := range cols {
		all[i] = QuoteIdent(c.Name)
	}
	col := QuoteIdent(timeColumn)
	q := "SELECT CAST(" + col + " AS DATE) AS lb_day, count(*), sum(hash(" + strings.Join(all, ", ") + "))::VARCHAR FROM " + t.SQL()
	if from != "" {
		q += " WHERE " + col + " >= " + from + " OR " + col + " IS NULL"
	}
	q += " GROUP BY lb_day"
	rows, err := e.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: the content of %s: %w", t, queryError(ctx, err))
	}
	defer rows.Close()
	var out []contentDay
	for rows.Next() {
		var day sql.NullTime
		var d contentDay
		if err := rows.Scan(&day, &d.Rows, &d.Sum); err != nil {
			return nil, fmt.Errorf("lakehouse: the content of %s: %w", t, err)
		}
		if day.Valid {
			us := day.Time.UnixMicro()
			d.Day = &us
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: the content of %s: %w", t, queryError(ctx, err))
	}
	return out, nil
}
