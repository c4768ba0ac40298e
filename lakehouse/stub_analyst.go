package lakehouse

// CONTRACT STUB (issue 10), owned by the helper on branch an-backend: it
// moves this code into real files and deletes this file.

import (
	"context"
	"errors"
	"time"
)

var errAnalystNotBuilt = errors.New("lakehouse: not built yet")

// Suggestion is one completion of what is typed before the cursor.
type Suggestion struct {
	// Text replaces the word being typed.
	Text string `json:"text"`
	// Kind is keyword, function, schema, table or column.
	Kind string `json:"kind"`
	// Detail is a column's type, a table's row count, a function's
	// signature, when known.
	Detail string `json:"detail,omitempty"`
}

// Complete suggests completions for sqlBefore, the text before the cursor:
// DuckDB's sql_auto_complete (keywords, functions, schemas, tables,
// columns), limited to what the principal may read.
func (lh *Lakehouse) Complete(ctx context.Context, sqlBefore string, limit int) ([]Suggestion, error) {
	return nil, errAnalystNotBuilt
}

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
}

// RecordQuery appends one query to the history. A read-only session
// cannot write the file: it appends to a side log that the next writer
// imports, as the audit does, and QueryHistory reads both.
func (lh *Lakehouse) RecordQuery(ctx context.Context, r QueryRecord) error {
	return errAnalystNotBuilt
}

// QueryHistory lists the newest limit queries whose SQL contains search
// (case-insensitive; empty for all), newest first.
func (lh *Lakehouse) QueryHistory(ctx context.Context, search string, limit int) ([]QueryRecord, error) {
	return nil, errAnalystNotBuilt
}
