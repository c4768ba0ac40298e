package lakehouse

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The query history: every query a principal runs (the Analyst view's,
// `lakebench query`'s) is a row of sys.query_history, numbered in the order
// it ended. A writer inserts it. A read-only session cannot write the file,
// so it appends the record to <db>.queries.jsonl, a log chained and locked
// exactly as the read-only sessions' audit log is (appendChainedAfter,
// readLog): the next writer verifies it and imports it (importQueries), a
// break becoming an audit_tamper event in sys.audit, and QueryHistory reads
// the table and the pending log together.
//
// Who sees what: a principal sees its own queries. lakebench itself, the
// owner, a holder of CAN_MANAGE on the target and a principal granted
// SELECT on sys.query_history (or schema sys) see everyone's, as a
// Databricks workspace admin sees every user's query history. Before
// governance is deployed everyone sees everything, as with every table.
// Every read of the history by a principal is audited.

// queryAction is the action of a query record in the query log.
const queryAction = "query"

// Bounds on what one record keeps: a log line stays well below what the
// log's reader takes (16 MiB).
const (
	maxHistorySQL   = 1 << 20
	maxHistoryError = 16 << 10
)

// QueryRecord is one row of sys.query_history.
type QueryRecord struct {
	ID        int64         `json:"id"`
	Principal string        `json:"principal"`
	SQL       string        `json:"sql"`
	Started   time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
	Rows      int64         `json:"rows"`
	// Status is ok, error or canceled.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Note says more of how the query ran: its first page's preview
	// (see Live.Preview), "" for nothing.
	Note string `json:"note,omitempty"`
	// CPU is the process's CPU time over the query (a lakehouse.Meter's),
	// for its usage record; the history does not keep it.
	CPU time.Duration `json:"-"`
}

// queryLogPath holds the query records of read-only sessions until a
// writer imports them into sys.query_history.
func queryLogPath(dbPath string) string { return dbPath + ".queries.jsonl" }

// queryDetail is what a query log line carries beyond AuditEvent's own
// fields (At is Started, Rows the rows), as its Detail.
type queryDetail struct {
	SQL        string `json:"sql"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	DurationNS int64  `json:"duration_ns"`
	Note       string `json:"note,omitempty"`
}

// RecordQuery appends one query to the history, and its usage to
// sys.usage (see recordQueryUsage). A read-only session
// cannot write the file: it appends to a side log that the next writer
// imports, as the audit does, and QueryHistory reads both. A session of a
// principal records its own queries only: r.Principal is the session's
// ("" takes it), never another's.
func (lh *Lakehouse) RecordQuery(ctx context.Context, r QueryRecord) error {
	switch {
	case r.Principal == "":
		r.Principal = lh.principal
	case lh.principal != "" && r.Principal != lh.principal:
		return fmt.Errorf("lakehouse: the session of %s may not record a query of %s: a session records its own queries", lh.principal, r.Principal)
	}
	switch r.Status {
	case "ok", "error", "canceled":
	default:
		return fmt.Errorf("lakehouse: record query: status %q: want ok, error or canceled", r.Status)
	}
	if r.Started.IsZero() {
		r.Started = time.Now().Add(-r.Duration)
	}
	// Stored as the log and the table hold them: UTC microseconds, valid
	// UTF-8 (a line's hash is over what it reads back as).
	r.Started = r.Started.UTC().Truncate(time.Microsecond)
	r.Principal = strings.ToValidUTF8(r.Principal, "\uFFFD")
	r.SQL = truncate(strings.ToValidUTF8(r.SQL, "\uFFFD"), maxHistorySQL)
	r.Error = truncate(strings.ToValidUTF8(r.Error, "\uFFFD"), maxHistoryError)
	r.Note = truncate(strings.ToValidUTF8(r.Note, "\uFFFD"), maxHistoryError)
	if lh.readOnly && lh.path != "" {
		detail, err := json.Marshal(queryDetail{SQL: r.SQL, Status: r.Status, Error: r.Error, DurationNS: int64(r.Duration), Note: r.Note})
		if err != nil {
			return fmt.Errorf("lakehouse: record query: %w", err)
		}
		e := AuditEvent{At: r.Started, Principal: r.Principal, Action: queryAction, Rows: r.Rows, Allowed: true, Detail: string(detail)}
		// A new log starts a chain of its own (as the log of destroyed
		// targets does): its records go to another table than sys.audit.
		if _, err = appendChainedAfter(queryLogPath(lh.path), func() chainHead { return chainHead{} }, e); err != nil {
			return err
		}
		return lh.recordQueryUsage(ctx, r)
	}
	lh.auditMu.Lock()
	err := insertQuery(ctx, lh.db, r, 0)
	lh.auditMu.Unlock()
	if err != nil {
		return err
	}
	return lh.recordQueryUsage(ctx, r)
}

// insertQuery inserts r into sys.query_history numbered id, or after the
// highest number when id is 0.
func insertQuery(ctx context.Context, e execer, r QueryRecord, id int64) error {
	_, err := e.ExecContext(ctx, `INSERT INTO sys.query_history
		(query_id, principal, sql, started_at, ended_at, rows, status, error, duration_ns, note)
		SELECT coalesce(nullif(?, 0), coalesce(max(query_id), 0) + 1), ?, ?, ?, ?, ?, ?, ?, ?, ? FROM sys.query_history`,
		id, r.Principal, r.SQL, r.Started, r.Started.Add(r.Duration), r.Rows, r.Status, nullString(r.Error), int64(r.Duration), nullString(r.Note))
	if err != nil {
		return fmt.Errorf("lakehouse: record query: %w", err)
	}
	return nil
}

// recordOf reads a query record back from a line of the query log.
func recordOf(e AuditEvent) (QueryRecord, bool) {
	var d queryDetail
	if e.Action != queryAction || json.Unmarshal([]byte(e.Detail), &d) != nil {
		return QueryRecord{}, false
	}
	return QueryRecord{Principal: e.Principal, SQL: d.SQL, Started: e.At.UTC(), Duration: time.Duration(d.DurationNS),
		Rows: e.Rows, Status: d.Status, Error: d.Error, Note: d.Note}, true
}

// pendingQueries reads the read-only sessions' query log, numbering its
// records after after as the import will; breaks are returned apart (the
// import records them in sys.audit).
func pendingQueries(path string, after int64) ([]QueryRecord, []*logBreak, error) {
	out, breaks, err := pendingRecords(path, "query", recordOf)
	for i := range out {
		out[i].ID = after + int64(i) + 1
	}
	return out, breaks, err
}

// importQueries moves the read-only sessions' query log into
// sys.query_history (see importRecords), its records numbered in the log's
// order after the table's.
func (lh *Lakehouse) importQueries(ctx context.Context) error {
	path := queryLogPath(lh.path)
	return importRecords(ctx, lh, path, "query", func(tx *sql.Tx) ([]QueryRecord, []*logBreak, error) {
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(query_id), 0) FROM sys.query_history").Scan(&last); err != nil {
			return nil, nil, fmt.Errorf("lakehouse: import %s: %w", path, err)
		}
		return pendingQueries(path, last)
	}, func(tx *sql.Tx, r QueryRecord) error { return insertQuery(ctx, tx, r, r.ID) })
}

// migrateQueryHistory numbers the rows an older lakebench wrote without
// query_id and duration_ns (systemDDL adds the columns), in the order they
// started.
func (lh *Lakehouse) migrateQueryHistory(ctx context.Context) error {
	_, err := lh.db.ExecContext(ctx, `UPDATE sys.query_history q
		SET query_id = n.id, duration_ns = coalesce(q.duration_ns, date_diff('microsecond', q.started_at, q.ended_at) * 1000)
		FROM (SELECT rowid AS rid, (SELECT coalesce(max(query_id), 0) FROM sys.query_history)
				+ row_number() OVER (ORDER BY started_at, rowid) AS id
			FROM sys.query_history WHERE query_id IS NULL) n
		WHERE q.rowid = n.rid`)
	if err != nil {
		return fmt.Errorf("lakehouse: migrate sys.query_history: %w", err)
	}
	return nil
}

// historyTable is sys.query_history.
var historyTable = TableName{Schema: "sys", Name: "query_history"}

// seesAllQueries reports whether the session's principal may read every
// principal's queries (see the top of this file); an error deciding it
// refuses.
func (lh *Lakehouse) seesAllQueries(ctx context.Context) (bool, error) {
	return lh.seesEveryones(ctx, historyTable)
}

// seesEveryones reports whether the session's principal reads every
// principal's rows of a system table whose rows are each principal's own
// (the query history, usage): lakebench itself, the owner, CAN_MANAGE, or
// SELECT on the table; others read their own. An error deciding it
// refuses.
func (lh *Lakehouse) seesEveryones(ctx context.Context, t TableName) (bool, error) {
	if lh.principal == "" {
		return true, nil
	}
	err := lh.Authorize(ctx, lh.principal, []TableName{t}, nil)
	var ae *AccessError
	switch {
	case err == nil:
		return true, nil
	case !errors.As(err, &ae):
		return false, err
	}
	level, _, err := lh.PermissionLevel(ctx, lh.principal)
	if err != nil {
		return false, err
	}
	return levelRank(level) >= levelRank(CanManage), nil
}

// QueryHistory lists the newest limit queries (all when limit <= 0) whose
// SQL contains search (case-insensitive; empty for all), newest first:
// the session's principal's own, or everyone's for those who see them
// (see the top of this file). Queries of read-only sessions not imported
// yet are listed too. The read is audited.
func (lh *Lakehouse) QueryHistory(ctx context.Context, search string, limit int) ([]QueryRecord, error) {
	if lh.principal != "" {
		if err := lh.auditWritable(); err != nil {
			return nil, err
		}
	}
	all, err := lh.seesAllQueries(ctx)
	if err != nil {
		return nil, err
	}
	out, last, err := lh.storedQueries(ctx, all, search, limit)
	if err != nil {
		return nil, err
	}
	if lh.path != "" {
		pending, _, err := pendingQueries(queryLogPath(lh.path), last)
		if err != nil {
			return nil, err
		}
		needle := strings.ToLower(search)
		for _, r := range pending {
			if (all || r.Principal == lh.principal) && strings.Contains(strings.ToLower(r.SQL), needle) {
				out = append(out, r)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b QueryRecord) int {
		return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(b.ID, a.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	if lh.principal != "" {
		scope := "own queries"
		if all {
			scope = "every principal's queries"
		}
		if err := lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: "SELECT",
			Tables: []string{historyTable.String()}, Rows: int64(len(out)), Allowed: true, Detail: "query history: " + scope}); err != nil {
			return nil, fmt.Errorf("lakehouse: %s's read of the query history could not be audited, so it is withheld: %w", lh.principal, err)
		}
	}
	return out, nil
}

// storedQueries reads sys.query_history's newest limit rows matching, and
// the highest query number (the pending log's records come after it). A
// file an older lakebench wrote last, opened read-only, has no query_id
// and duration_ns yet: they are derived as the migration will set them.
func (lh *Lakehouse) storedQueries(ctx context.Context, all bool, search string, limit int) ([]QueryRecord, int64, error) {
	var migrated, noted bool
	if err := lh.db.QueryRowContext(ctx, `SELECT count(*) FILTER (column_name IN ('query_id', 'duration_ns')) = 2, count(*) FILTER (column_name = 'note') = 1
		FROM duckdb_columns() WHERE database_name = current_database()
		AND schema_name = 'sys' AND table_name = 'query_history'`).Scan(&migrated, &noted); err != nil {
		return nil, 0, fmt.Errorf("lakehouse: query history: %w", err)
	}
	id, duration, note := "query_id", "duration_ns", "coalesce(note, '')"
	if !noted {
		note = "''" // written before notes
	}
	if !migrated {
		id = "row_number() OVER (ORDER BY started_at, rowid)"
		duration = "date_diff('microsecond', started_at, ended_at) * 1000"
	}
	q := `SELECT id, principal, sql, started_at, duration, rows, status, error, note, max(id) OVER () FROM (
		SELECT ` + id + ` AS id, coalesce(principal, '') AS principal, coalesce(sql, '') AS sql, started_at,
			coalesce(` + duration + `, 0) AS duration, coalesce(rows, 0) AS rows, coalesce(status, '') AS status, coalesce(error, '') AS error,
			` + note + ` AS note
		FROM sys.query_history)
		QUALIFY (? OR principal = ?) AND (? = '' OR contains(lower(sql), lower(?)))
		ORDER BY started_at DESC, id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := lh.db.QueryContext(ctx, q, all, lh.principal, search, search)
	if err != nil {
		return nil, 0, fmt.Errorf("lakehouse: query history: %w", err)
	}
	defer rows.Close()
	var out []QueryRecord
	var last int64
	for rows.Next() {
		var r QueryRecord
		var started *time.Time
		var duration int64
		if err := rows.Scan(&r.ID, &r.Principal, &r.SQL, &started, &duration, &r.Rows, &r.Status, &r.Error, &r.Note, &last); err != nil {
			return nil, 0, fmt.Errorf("lakehouse: query history: %w", err)
		}
		if started != nil {
			r.Started = started.UTC()
		}
		r.Duration = time.Duration(duration)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("lakehouse: query history: %w", err)
	}
	if len(out) == 0 {
		// No row matched: the highest number is still the table's.
		q := "SELECT coalesce(max(" + id + "), 0) FROM sys.query_history"
		if !migrated {
			q = "SELECT count(*) FROM sys.query_history"
		}
		if err := lh.db.QueryRowContext(ctx, q).Scan(&last); err != nil {
			return nil, 0, fmt.Errorf("lakehouse: query history: %w", err)
		}
	}
	return out, last, nil
}
