package lakehouse

// CONTRACT STUB (issue 10), owned by the helper on branch an-live: it moves
// this code into live.go and deletes this file. Signatures are shared:
// change one here first, in a commit of its own.

import (
	"context"
	"errors"
)

var errLiveNotBuilt = errors.New("lakehouse: live results are not built yet")

// Live is one execution of a SELECT, streamed: its first rows are at hand
// as soon as DuckDB produces them (the first page of a 10M-row result shows
// at about the cost of the same query with LIMIT), and the rest are spilled
// as they come into a temporary table numbered in the order DuckDB returned
// them, so every Page of any offset reads the same rows of that one
// execution: the query is never run again (no OFFSET re-runs). Go holds a
// bounded number of rows (Held). Authorized and audited once, like Snapshot;
// its outcome (rows, duration, ok/error/canceled) is reported to the
// Options.OnDone hook given to OpenLive, for the query history.
type Live struct{}

// LiveOptions tune OpenLive.
type LiveOptions struct {
	// FirstPage is how many rows Go keeps of the start of the result to
	// show at once (0: 200).
	FirstPage int
	// OnDone is called once when the execution ends (complete, failed or
	// canceled) with its outcome; nil for none.
	OnDone func(LiveOutcome)
}

// LiveOutcome is how one execution ended.
type LiveOutcome struct {
	SQL      string
	Rows     int64
	Status   string // "ok", "error" or "canceled"
	Err      error
	Duration int64 // nanoseconds from start to end
}

// OpenLive starts a SELECT as the principal and returns once its columns
// and first rows (or its end) are known; the rest streams in the
// background. Canceling ctx, or Cancel, interrupts DuckDB: the result ends
// "canceled" and the Lakehouse stays usable. A failure of DuckDB is a
// *QueryError carrying the position in selectSQL when DuckDB gives one.
func (lh *Lakehouse) OpenLive(ctx context.Context, selectSQL string, opts LiveOptions) (*Live, error) {
	return nil, errLiveNotBuilt
}

// Columns are the result's columns, named as the query names them.
func (l *Live) Columns() []Column { return nil }

// Count is how many rows are known so far, and whether that is all of them.
func (l *Live) Count() (rows int64, done bool) { return 0, false }

// Err is why the execution ended early (nil while running or when complete).
func (l *Live) Err() error { return errLiveNotBuilt }

// Wait blocks until the execution has ended (or ctx is done) and returns Err.
func (l *Live) Wait(ctx context.Context) error { return errLiveNotBuilt }

// Cancel interrupts the execution if it still runs.
func (l *Live) Cancel() {}

// Page returns at most limit rows starting at offset, waiting until they
// have streamed in (or the execution ended, returning fewer).
func (l *Live) Page(ctx context.Context, offset, limit int64) (*Result, error) {
	return nil, errLiveNotBuilt
}

// Held is how many rows Go holds in memory now: bounded whatever the size.
func (l *Live) Held() int64 { return 0 }

// Sort returns the same rows ordered by a column (DuckDB sorts the spilled
// result: the user's query does not run again), ties in the original order.
func (l *Live) Sort(ctx context.Context, column int, desc bool) (*Live, error) {
	return nil, errLiveNotBuilt
}

// Filter returns the rows where a boolean SQL expression over the result's
// columns holds, checked like any query of the principal (it may read no
// table).
func (l *Live) Filter(ctx context.Context, where string) (*Live, error) {
	return nil, errLiveNotBuilt
}

// Export writes the whole result, in order, to path as csv, parquet or
// json, reporting rows written; it needs no file access in the sandbox of a
// read-only session (the writer is outside it) and refuses links.
func (l *Live) Export(ctx context.Context, path, format string, progress func(written int64)) error {
	return errLiveNotBuilt
}

// Close ends the execution if it still runs and drops the spilled rows.
func (l *Live) Close() error { return nil }

// CloseWith is Close, after which Page, Sort, Filter, Export, Wait and Err
// answer reason (Close's own error otherwise): the TUI's workspace closes
// the results of its read-only session this way when a write needs the
// file ("the result was closed by a run: run the query again"). Added by
// an-backend.
func (l *Live) CloseWith(reason error) error { return nil }

// QueryError is DuckDB's error for a user's query, with where it points.
type QueryError struct {
	Msg string
	// Pos is the byte offset in the user's SQL that DuckDB points at, or
	// -1 when it gives none.
	Pos int
}

func (e *QueryError) Error() string { return e.Msg }
