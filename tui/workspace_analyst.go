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
// principal on the first call. The session holds the target's file only
// while a call runs or a query still streams (DuckDB's read lock keeps
// other processes from writing it meanwhile): once idle it closes the file
// and reopens it at the next call. The results it served are spilled into
// the workspace's lakehouse.ResultStore, so a complete result stays
// readable, sortable, filterable and exportable with the file closed, and
// a `lakebench run` from another terminal is not refused because of it.
// A write of this workspace (a run, a training, a scoring, an alert check:
// anything through Run or writing) closes the session first, since the
// file's lock orders this process's readers before its writer (see
// Workspace.file): the queries still streaming are interrupted and answer
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
	// ctx is canceled when the session closes, interrupting what runs on
	// it (a query still streaming).
	ctx    context.Context
	cancel context.CancelFunc
	// use is held (shared) by each call, and alone by close, so the
	// session closes after the calls on it.
	use sync.RWMutex
	mu  sync.Mutex
	// lh is the open file, nil while none is (under mu); release closes
	// it and its lock.
	lh      *lakehouse.Lakehouse
	release func()
	closed  bool
	lives   []openLive
	// calls counts the calls running on lh, streaming the queries still
	// streaming from it: the file closes when both are 0.
	calls, streaming int
}

// openLive is a result the session served, with the cancel of its
// execution.
type openLive struct {
	live   *lakehouse.Live
	cancel context.CancelFunc
}

// session returns the target's session, opening its file if it is not
// open; it comes held (s.use.RLock) with the open file: the caller runs on
// lh, then calls s.done. While a write of this workspace needs the file,
// it answers errRunning.
func (w *Workspace) session(ctx context.Context, target string) (*session, *lakehouse.Lakehouse, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, nil, err
	}
	path, principal := p.DatabasePath(target), w.principal(p)
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("tui: target %s has no database yet: run its job first (2, then r)", p.Target)
	}
	w.sessMu.Lock()
	defer w.sessMu.Unlock()
	if w.writers[path] > 0 {
		return nil, nil, errRunning
	}
	s := w.sessions[path]
	if s == nil || s.principal != principal {
		if s != nil {
			delete(w.sessions, path)
			go s.close(errors.New("tui: the result was closed: the session's principal changed; run the query again"))
		}
		s = &session{path: path, principal: principal}
		s.ctx, s.cancel = context.WithCancel(context.Background())
		w.sessions[path] = s
	}
	s.use.RLock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lh == nil {
		lh, release, err := w.read(ctx, path, principal)
		if err != nil {
			s.use.RUnlock()
			return nil, nil, err
		}
		s.lh, s.release = lh, release
	}
	s.calls++
	return s, s.lh, nil
}

// landingDirs are the landing zones of every target's sources and the
// project's code (its file, model SQL and included YAML), which an export
// of a result may not write into (the next run would load the file into
// bronze, or run it, with its runner's rights, whoever wrote it).
func (w *Workspace) landingDirs() []string {
	p, err := w.proj("")
	if err != nil {
		return nil
	}
	dirs := append(p.LandingDirs(), p.CodePaths()...)
	for name := range p.Targets {
		if q, err := w.proj(name); err == nil {
			dirs = append(dirs, q.LandingDirs()...)
		}
	}
	return dirs
}

// store is the workspace's store of results, opened on first use.
func (w *Workspace) resultStore(ctx context.Context) (*lakehouse.ResultStore, error) {
	w.storeMu.Lock()
	defer w.storeMu.Unlock()
	if w.store == nil {
		st, err := lakehouse.OpenResultStore(ctx, lakehouse.StoreOptions{})
		if err != nil {
			return nil, err
		}
		w.store = st
	}
	return w.store, nil
}

// done ends a call on the session.
func (s *session) done() {
	s.mu.Lock()
	s.calls--
	s.mu.Unlock()
	s.use.RUnlock()
	s.idle()
}

// idle closes the file once no call runs on it and no query streams from
// it: other processes may write it then.
func (s *session) idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls > 0 || s.streaming > 0 || s.lh == nil {
		return
	}
	release := s.release
	s.lh, s.release = nil, nil
	release()
}

// Holding says whether the session holds its file open now.
func (s *session) holding() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lh != nil
}

// bind is ctx, also canceled when the session closes: a call on the
// session never holds up the write that closes it.
func (s *session) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// close ends the session: what runs on it is interrupted, the queries
// still streaming answer reason from then on, and the file's read lock is
// released. Complete results stay (they are the store's).
func (s *session) close(reason error) {
	s.cancel()
	s.use.Lock()
	defer s.use.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	lh, release, lives := s.lh, s.release, s.lives
	s.lh, s.release, s.lives = nil, nil, nil
	s.mu.Unlock()
	if lh != nil {
		lh.CloseResults(reason) // the results still streaming
	}
	for _, l := range lives {
		l.cancel()
	}
	if release != nil {
		release()
	}
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
	w.closeCompleters()
	w.storeMu.Lock()
	st := w.store
	w.store = nil
	w.storeMu.Unlock()
	if st != nil {
		return st.Close()
	}
	return nil
}

// Holding says whether the Analyst view's session holds the
// target's file open now (a call runs on it, or a query still streams),
// keeping other processes from writing it.
func (w *Workspace) Holding(target string) bool {
	p, err := w.proj(target)
	if err != nil {
		return false
	}
	w.sessMu.Lock()
	s := w.sessions[p.DatabasePath(target)]
	w.sessMu.Unlock()
	return s != nil && s.holding()
}

// Query implements Backend: the SELECT runs as the principal on the
// target's session, streamed, and is recorded in the query history when it
// ends (ok, error or canceled); a refusal is recorded too. Anything but a
// SELECT is refused before it runs (lakehouse.CheckSelect): naming the
// missing grant, or, when the grants allow it, because the view reads
// only.
func (w *Workspace) Query(ctx context.Context, target, sqlText string) (*lakehouse.Live, error) {
	store, err := w.resultStore(ctx)
	if err != nil {
		return nil, err
	}
	s, lh, err := w.session(ctx, target)
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
				Rows: o.Rows, Status: o.Status, Note: o.Preview, CPU: meter.CPU()}
			if o.Err != nil {
				r.Error = o.Err.Error()
			}
			// The record outlives the file's session: a read-only one
			// appends to the query log, which needs no open database.
			if err := lh.RecordQuery(context.Background(), r); err != nil {
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
	if err := lh.CheckSelect(ctx, sqlText); err != nil {
		return nil, failed(err)
	}
	// The execution streams on past this call: it ends with the caller's
	// ctx, with Cancel, or when the session closes; the file stays open
	// until it ends (streaming).
	qctx, cancel := s.bind(ctx)
	s.mu.Lock()
	s.streaming++
	s.mu.Unlock()
	var ended sync.Once
	onDone := func(o lakehouse.LiveOutcome) {
		record(o)
		ended.Do(func() {
			s.mu.Lock()
			s.streaming--
			s.mu.Unlock()
			s.idle()
		})
	}
	// A filter of the result checks on the file, reopened if closed.
	reopen := func(ctx context.Context) (*lakehouse.Lakehouse, func(), error) {
		s, lh, err := w.session(ctx, target)
		if err != nil {
			return nil, nil, err
		}
		return lh, s.done, nil
	}
	// An ordered query shows a preview of its first page while it sorts
	// (lakehouse/live_preview.go): one history entry, noting it.
	live, err := lh.OpenLive(qctx, sqlText, lakehouse.LiveOptions{OnDone: onDone, Store: store, Reopen: reopen, Protected: w.landingDirs(),
		Preview: true})
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
// The completion comes from the target's lakehouse.Completer, kept while
// the file is unchanged: it holds no file, and opening the file at each
// key cost about 40 times a completion (BenchmarkCompleteReopen).
func (w *Workspace) Complete(ctx context.Context, target, sqlBefore string) ([]lakehouse.Suggestion, error) {
	c, err := w.completer(ctx, target)
	if err != nil {
		return nil, err
	}
	return c.Complete(ctx, sqlBefore, completionLimit)
}

// completer is a target's Completer, and what it was made from.
type completer struct {
	principal string
	stamp     string
	c         *lakehouse.Completer
}

// completer returns the target's Completer for the session's principal,
// made anew (on the session) when the file changed since (a write of
// this process or another's: its size or time, or its WAL's).
func (w *Workspace) completer(ctx context.Context, target string) (*lakehouse.Completer, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	path, principal := p.DatabasePath(target), w.principal(p)
	stamp := fileStamp(path)
	w.completeMu.Lock()
	defer w.completeMu.Unlock()
	if c := w.completers[path]; c != nil && c.principal == principal && c.stamp == stamp {
		return c.c, nil
	}
	s, lh, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	bound, cancel := s.bind(ctx)
	defer cancel()
	c, err := lh.NewCompleter(bound)
	if err != nil {
		return nil, err
	}
	if old := w.completers[path]; old != nil {
		old.c.Close()
	}
	if w.completers == nil {
		w.completers = map[string]*completer{}
	}
	w.completers[path] = &completer{principal: principal, stamp: stamp, c: c}
	return c, nil
}

// closeCompleters closes the targets' Completers (Close).
func (w *Workspace) closeCompleters() {
	w.completeMu.Lock()
	defer w.completeMu.Unlock()
	for path, c := range w.completers {
		c.c.Close()
		delete(w.completers, path)
	}
}

// Catalog implements Backend: the tables the principal may read, with
// their columns and types, from DuckDB's catalog alone (lakehouse.Catalog):
// the row counts are those lakebench kept after its last write of each
// table, or DuckDB's estimates, flagged Estimated, where a table changed
// since (counting each table would read a production target whole), which
// the view says.
func (w *Workspace) Catalog(ctx context.Context, target string) ([]lakehouse.TableInfo, error) {
	s, lh, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return lh.Catalog(ctx)
}

// History implements Backend: the principal's own queries, or everyone's
// for the owner, a CAN_MANAGE holder or one granted SELECT on
// sys.query_history (lakehouse.QueryHistory).
func (w *Workspace) History(ctx context.Context, target, search string, limit int) ([]lakehouse.QueryRecord, error) {
	s, lh, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return lh.QueryHistory(ctx, search, limit)
}

// Tile implements Backend: the tile's query runs as the principal on the
// target's session (pipeline.EvalTile).
func (w *Workspace) Tile(ctx context.Context, target, dashboard string, tile int) (*pipeline.TileData, error) {
	p, err := w.proj(target)
	if err != nil {
		return nil, err
	}
	s, lh, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return p.EvalTile(ctx, lh, dashboard, tile)
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
	s, lh, err := w.session(ctx, target)
	if err != nil {
		return nil, err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return p.AlertStatuses(ctx, lh, alertHistory)
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
