package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// The Analyst view's backend. Its queries, completions, catalog, history
// and tiles share one read-only session per target, opened as the
// principal on the first call and kept open between calls, so that typing
// and paging never wait on opening the file, and the streamed results
// (lakehouse.Live) it served stay readable. A write of this workspace (a
// run, a training, a scoring, an alert check: anything through Run or
// writing) closes it first, since the file's lock orders this process's
// readers before its writer (see Workspace.file): its results then answer
// errClosedByRun, and no session opens again until the write ends.

// errClosedByRun is what a result of a closed session answers.
var errClosedByRun = errors.New("tui: the result was closed by a run: run the query again")

// maxLives bounds the results a session keeps open: the oldest is closed
// when a query would open one more (its spilled rows go with it).
const maxLives = 32

// completionLimit is how many suggestions Complete returns.
const completionLimit = 50

// session is a read-only session of one target's file, as the principal.
type session struct {
	path, principal string
	lh              *lakehouse.Lakehouse
	release         func()
	// ctx is canceled when the session closes, interrupting what runs on
	// it (a query still streaming).
	ctx    context.Context
	cancel context.CancelFunc
	// use is held (shared) by each call on lh, and alone by close, so lh
	// closes after the calls on it.
	use    sync.RWMutex
	closed bool
	mu     sync.Mutex
	lives  []openLive
	// calls counts the calls running on lh; idleSince is when the last
	// ended (or the session opened), the start of its idle period,
	// recorded as usage when the next call begins or the session closes
	// (lakehouse usage kind idle). Both under mu.
	calls     int
	idleSince time.Time
}

// openLive is a result the session served, with the cancel of its
// execution.
type openLive struct {
	live   *lakehouse.Live
	cancel context.CancelFunc
}

// session returns the target's open session, opening it if none is; it
// comes held (s.use.RLock): the caller runs on s.lh, then calls s.done.
// While a write of this workspace needs the file, it answers errRunning.
func (w *Workspace) session(ctx context.Context, target string) (*session, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	path, principal := p.DatabasePath(target), w.principal(p)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("tui: target %s has no database yet: run its job first (2, then r)", p.Target)
	}
	w.sessMu.Lock()
	defer w.sessMu.Unlock()
	if w.writers[path] > 0 {
		return nil, errRunning
	}
	s := w.sessions[path]
	if s == nil || s.principal != principal {
		if s != nil {
			delete(w.sessions, path)
			go s.close(errors.New("tui: the result was closed: the session's principal changed; run the query again"))
		}
		lh, release, err := w.read(ctx, path, principal)
		if err != nil {
			return nil, err
		}
		s = &session{path: path, principal: principal, lh: lh, release: release}
		s.ctx, s.cancel = context.WithCancel(context.Background())
		w.sessions[path] = s
	}
	s.use.RLock()
	s.mu.Lock()
	if s.calls == 0 {
		s.recordIdle()
	}
	s.calls++
	s.mu.Unlock()
	return s, nil
}

// done ends a call on the session.
func (s *session) done() {
	s.mu.Lock()
	if s.calls--; s.calls == 0 {
		s.idleSince = time.Now()
	}
	s.mu.Unlock()
	s.use.RUnlock()
}

// recordIdle records the session's idle period up to now as usage, at
// most lakehouse.IdleAutoStop of it; under s.mu. The period starts when
// the first call ends: opening is the first call's own time.
func (s *session) recordIdle() {
	if s.idleSince.IsZero() {
		return
	}
	now := time.Now()
	start := s.idleSince
	if now.Sub(start) > lakehouse.IdleAutoStop {
		now = start.Add(lakehouse.IdleAutoStop)
	}
	s.idleSince = time.Time{}
	u := lakehouse.UsageRecord{Kind: lakehouse.UsageKindIdle, StartTime: start, EndTime: now, Tags: map[string]string{"principal": s.principal}}
	if err := s.lh.RecordUsage(context.Background(), u); err != nil {
		fmt.Fprintln(os.Stderr, "lakebench:", err) // never fails a call
	}
}

// bind is ctx, also canceled when the session closes: a call on the
// session never holds up the write that closes it.
func (s *session) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// close ends the session: what runs on it is interrupted, its results
// answer reason from then on, and the file's read lock is released.
func (s *session) close(reason error) {
	s.cancel()
	s.use.Lock()
	defer s.use.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.lh.CloseResults(reason) // Sort's and Filter's too
	s.mu.Lock()
	s.recordIdle()
	for _, l := range s.lives {
		l.cancel()
	}
	s.lives = nil
	s.mu.Unlock()
	s.release()
}

// exclusive takes a file for a write of this workspace: its analyst
// session is closed first (its results answer errClosedByRun), and none
// opens until unlock. Without it, the writer would wait on the session's
// read lock forever.
func (w *Workspace) exclusive(path string) (unlock func()) {
	w.sessMu.Lock()
	w.writers[path]++
	s := w.sessions[path]
	delete(w.sessions, path)
	w.sessMu.Unlock()
	if s != nil {
		s.close(errClosedByRun)
	}
	l := w.file(path)
	l.Lock()
	return func() {
		l.Unlock()
		w.sessMu.Lock()
		w.writers[path]--
		w.sessMu.Unlock()
	}
}

// closeSessions closes every analyst session (their results answer
// errClosedByRun).
func (w *Workspace) closeSessions() {
	w.sessMu.Lock()
	sessions := w.sessions
	w.sessions = map[string]*session{}
	w.sessMu.Unlock()
	for _, s := range sessions {
		s.close(errClosedByRun)
	}
}

// Close closes what the workspace keeps open between calls: the analyst
// sessions, and with them the results they served.
func (w *Workspace) Close() error {
	w.closeSessions()
	return nil
}

// Query implements Backend: the SELECT runs as the principal on the
// target's session, streamed, and is recorded in the query history when it
// ends (ok, error or canceled); a refusal is recorded too. Anything but a
// SELECT is refused before it runs (lakehouse.CheckSelect): naming the
// missing grant, or, when the grants allow it, because the view reads
// only.
func (w *Workspace) Query(ctx context.Context, target, sqlText string) (*lakehouse.Live, error) {
	s, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	meter := lakehouse.StartMeter()
	started := meter.Start()
	var once sync.Once
	record := func(o lakehouse.LiveOutcome) {
		once.Do(func() {
			r := lakehouse.QueryRecord{Principal: s.principal, SQL: sqlText, Started: started, Duration: time.Duration(o.Duration),
				Rows: o.Rows, Status: o.Status, CPU: meter.CPU()}
			if o.Err != nil {
				r.Error = o.Err.Error()
			}
			// The record outlives the session: a read-only one appends to
			// the query log, which needs no open database.
			if err := s.lh.RecordQuery(context.Background(), r); err != nil {
				fmt.Fprintln(os.Stderr, "lakebench:", err) // never fails the query
			}
		})
	}
	failed := func(err error) error {
		status := "error"
		if errors.Is(err, context.Canceled) || errors.Is(err, lakehouse.ErrCanceled) {
			status = "canceled"
		}
		record(lakehouse.LiveOutcome{SQL: sqlText, Status: status, Err: err, Duration: int64(time.Since(started))})
		return err
	}
	if err := s.lh.CheckSelect(ctx, sqlText); err != nil {
		return nil, failed(err)
	}
	// The execution streams on past this call: it ends with the caller's
	// ctx, with Cancel, or when the session closes.
	qctx, cancel := s.bind(ctx)
	live, err := s.lh.OpenLive(qctx, sqlText, lakehouse.LiveOptions{OnDone: record})
	if err != nil {
		cancel()
		return nil, failed(err)
	}
	s.mu.Lock()
	s.lives = append(s.lives, openLive{live: live, cancel: cancel})
	var evicted []openLive
	if n := len(s.lives) - maxLives; n > 0 {
		evicted = append(evicted, s.lives[:n]...)
		s.lives = append([]openLive(nil), s.lives[n:]...)
	}
	s.mu.Unlock()
	for _, l := range evicted {
		l.live.CloseWith(fmt.Errorf("tui: the result was closed: %d newer results are open; run the query again", maxLives))
		l.cancel()
	}
	return live, nil
}

// Complete implements Backend: lakehouse.Complete on the target's
// session, as the principal (only what it may read is suggested).
func (w *Workspace) Complete(ctx context.Context, target, sqlBefore string) ([]lakehouse.Suggestion, error) {
	s, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return s.lh.Complete(ctx, sqlBefore, completionLimit)
}

// Catalog implements Backend: the tables the principal may read, with
// their columns and types, from DuckDB's catalog alone (lakehouse.Catalog):
// the row counts are DuckDB's estimates, flagged Estimated (counting each
// table would read a production target whole), which the view says.
func (w *Workspace) Catalog(ctx context.Context, target string) ([]lakehouse.TableInfo, error) {
	s, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return s.lh.Catalog(ctx)
}

// History implements Backend: the principal's own queries, or everyone's
// for the owner, a CAN_MANAGE holder or one granted SELECT on
// sys.query_history (lakehouse.QueryHistory).
func (w *Workspace) History(ctx context.Context, target, search string, limit int) ([]lakehouse.QueryRecord, error) {
	s, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return s.lh.QueryHistory(ctx, search, limit)
}

// Tile implements Backend: the tile's query runs as the principal on the
// target's session (pipeline.EvalTile).
func (w *Workspace) Tile(ctx context.Context, target, dashboard string, tile int) (*pipeline.TileData, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	s, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return p.EvalTile(ctx, s.lh, dashboard, tile)
}

// alertHistory is how many evaluations of each alert Alerts reads.
const alertHistory = 20

// Alerts implements Backend: every alert's latest state and its recent
// history, read as the principal on the target's session.
func (w *Workspace) Alerts(ctx context.Context, target string) ([]pipeline.AlertStatus, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	s, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return p.AlertStatuses(ctx, s.lh, alertHistory)
}

// CheckAlerts implements Backend: every alert evaluated now, as the
// principal, a write (sys.alert_history) holding the writer lock only
// meanwhile; the analyst session closes first.
func (w *Workspace) CheckAlerts(ctx context.Context, target string) ([]pipeline.AlertStatus, error) {
	var out []pipeline.AlertStatus
	err := w.writing(ctx, target, "alerts check", func(p *pipeline.Project, lh *lakehouse.Lakehouse) (err error) {
		out, err = p.CheckAlerts(ctx, lh, nil, "")
		return err
	})
	return out, err
}
