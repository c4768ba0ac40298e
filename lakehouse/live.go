package lakehouse

// Live results: one execution of a SELECT, streamed and spilled.
//
// database/sql cannot show the first rows of a large result early: the
// driver's QueryContext materializes the whole result before the first row
// (it executes through duckdb_pending_prepared). A Live runs the query
// through DuckDB's streaming C API instead (the bindings package the
// driver is built on), on a connection of its own: DuckDB hands the result
// over chunk by chunk while its threads keep scanning. Each chunk goes,
// without passing through Go values, to an appender of a second connection
// that writes it into a temporary table, numbered with lb_row in the order
// DuckDB returned the rows. The first rows are read back from that table
// once they are in, and kept in Go; every other page is read from it by
// lb_row, so pages never run the query again. Sort, Filter and Export work
// on the table too.
//
// The driver gives no access to its C connection, so rawConnection reads
// it from the driver's connection by reflection, checking the field's type
// (TestLiveRawConnection fails at once if the driver changes it).

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// Live is one execution of a SELECT, streamed: its first rows are at hand
// as soon as DuckDB produces them (the first page of a 10M-row result shows
// at about the cost of the same query with LIMIT), and the rest are spilled
// as they come into a temporary table numbered in the order DuckDB returned
// them, so every Page of any offset reads the same rows of that one
// execution: the query is never run again (no OFFSET re-runs). Go holds a
// bounded number of rows (Held). Authorized and audited once, like Snapshot;
// its outcome (rows, duration, ok/error/canceled) is reported to the
// Options.OnDone hook given to OpenLive, for the query history.
type Live struct {
	lh   *Lakehouse
	sess *liveSession
	// store holds the spill when the result was opened with one (nil: a
	// temporary table of lh's own); reopen gives Filter a lakehouse of
	// the target for its check (nil: lh). path, memoryLimit and threads
	// are lh's, kept for Export.
	store       *ResultStore
	reopen      func(ctx context.Context) (*Lakehouse, func(), error)
	path        string
	protected   []string
	memoryLimit int64
	threads     int
	// table is the spill: a temporary table of sess's connection holding
	// lb_row and the result's columns, named names. A derived result's
	// table (Sort, Filter) has no lb_row: its rows are numbered by DuckDB's
	// rowid, from 0, in the order they were inserted (derived is set).
	table   string
	derived bool
	sql     string
	// names are the spill's columns (the result's names made unique) and
	// types their DuckDB types, as DESCRIBE spells them.
	names []string
	types []string
	// firstN is how many rows of the start first holds (at most).
	firstN int64
	cancel context.CancelFunc
	// ready is closed once the first page can be read (or the execution
	// ended); done once the execution has ended.
	ready chan struct{}
	done  chan struct{}

	mu       sync.Mutex
	columns  []Column
	first    *Result
	rows     int64 // rows readable in the spill
	total    int64 // rows of the whole result when known before they are readable (a sort's)
	finished bool
	err      error
	want     int64         // rows a waiting Page needs: the stream flushes early for it
	changed  chan struct{} // closed and replaced when rows or finished change
	closed   bool
	reason   error // why it was closed, when said (CloseWith)

	// totalKnown says total is the final count (a sort of a complete
	// result knows it before its table is made); l.mu guards it.
	totalKnown bool

	// preview is the preview of the first page (live_preview.go), under
	// l.mu; previewed is closed once it ran or was given up.
	preview   *Result
	previewed chan struct{}
}

// LiveOptions tune OpenLive.
type LiveOptions struct {
	// FirstPage is how many rows Go keeps of the start of the result to
	// show at once (0: 200).
	FirstPage int
	// OnDone is called once when the execution ends (complete, failed or
	// canceled) with its outcome; nil for none.
	OnDone func(LiveOutcome)
	// Store, when set, holds the spilled rows instead of the lakehouse:
	// once the execution has ended, the result no longer needs the
	// lakehouse, which may be closed (its file released) while the
	// result stays readable. Closing the lakehouse before then cancels
	// and closes the result.
	Store *ResultStore
	// Reopen, when set, gives the result and those derived from it a
	// lakehouse of the same target as the same principal, for the
	// checks of Filter (the one OpenLive ran on may be closed by then);
	// done ends its use. Nil: Filter checks on the lakehouse of OpenLive.
	Reopen func(ctx context.Context) (lh *Lakehouse, done func(), err error)
	// Protected are directories Export may not write into, nor below, and
	// files it may not replace: the landing zones the next run ingests into
	// bronze with its runner's rights (pipeline.Project.LandingDirs) and
	// the project's own code it runs (pipeline.Project.CodePaths).
	Protected []string
	// Preview, when set, lets a SELECT with a top-level ORDER BY return
	// with a preview of its first page (Live.Preview) before its sort is
	// done: see live_preview.go.
	Preview bool
}

// LiveOutcome is how one execution ended.
type LiveOutcome struct {
	SQL      string
	Rows     int64
	Status   string // "ok", "error" or "canceled"
	Err      error
	Duration int64 // nanoseconds from start to end
	// Preview says what the first page's preview was, "" without one
	// (see live_preview.go).
	Preview string
}

// QueryError is DuckDB's error for a user's query, with where it points.
type QueryError struct {
	Msg string
	// Pos is the byte offset in the user's SQL that DuckDB points at, or
	// -1 when it gives none.
	Pos int
}

func (e *QueryError) Error() string { return e.Msg }

// liveSeq names the spill tables.
var liveSeq atomic.Int64

// flushEvery is how many streamed rows at most wait in the appender before
// they are written to the spill (and Count and Page see them).
const flushEvery = 128 * 1024

// liveSession is the connection holding a Live's spill, shared by the Lives
// Sort and Filter derive from it (a temporary table is seen by its own
// connection only). It runs one thing at a time: an append, a page read,
// a derived table.
type liveSession struct {
	mu   sync.Mutex
	conn *sql.Conn
	refs atomic.Int64
	// While a derivation holds the connection (busy), a closed result's
	// table is dropped by it once done (drops): Close does not wait for a
	// sort to end.
	dropMu sync.Mutex
	busy   int
	drops  []string
}

// derive marks the connection held (s.mu) by a derivation.
func (s *liveSession) derive() {
	s.dropMu.Lock()
	s.busy++
	s.dropMu.Unlock()
}

// derived ends a derivation: the tables closed meanwhile are dropped;
// s.mu is held.
func (s *liveSession) derived() {
	for {
		s.dropMu.Lock()
		drops := s.drops
		s.drops = nil
		if len(drops) == 0 {
			s.busy--
			s.dropMu.Unlock()
			return
		}
		s.dropMu.Unlock()
		for _, t := range drops {
			s.conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+t)
		}
	}
}

// drop drops a table of the session, at once or, while a derivation
// holds the connection, once it is done.
func (s *liveSession) drop(table string) error {
	s.dropMu.Lock()
	if s.busy > 0 {
		s.drops = append(s.drops, table)
		s.dropMu.Unlock()
		return nil
	}
	s.dropMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table)
	return err
}

func (s *liveSession) release() {
	if s.refs.Add(-1) == 0 {
		s.mu.Lock()
		s.conn.Close()
		s.mu.Unlock()
	}
}

// raw runs fn with the session connection's C handle, alone on it.
func (s *liveSession) raw(fn func(bindings.Connection) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn.Raw(func(dc any) error {
		c, err := rawConnection(dc)
		if err != nil {
			return err
		}
		return fn(c)
	})
}

// rawConnection is the C connection inside a driver connection of
// duckdb-go, which does not export it.
func rawConnection(dc any) (bindings.Connection, error) {
	c, ok := duckConn(dc)
	if !ok {
		return bindings.Connection{}, fmt.Errorf("lakehouse: not a DuckDB connection: %T", dc)
	}
	f := reflect.ValueOf(c).Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != reflect.TypeFor[bindings.Connection]() {
		return bindings.Connection{}, errors.New("lakehouse: this duckdb-go version keeps its C connection elsewhere: live results need lakehouse/live.go updated for it")
	}
	return *(*bindings.Connection)(unsafe.Pointer(f.UnsafeAddr())), nil
}

// OpenLive starts a SELECT as the principal and returns once its columns
// and first rows (or its end) are known; the rest streams in the
// background. Canceling ctx, or Cancel, interrupts DuckDB: the result ends
// "canceled" and the Lakehouse stays usable. A failure of DuckDB is a
// *QueryError carrying the position in selectSQL when DuckDB gives one.
func (lh *Lakehouse) OpenLive(ctx context.Context, selectSQL string, opts LiveOptions) (*Live, error) {
	start := time.Now()
	if opts.FirstPage <= 0 {
		opts.FirstPage = 200
	}
	q := trimSQL(selectSQL)
	lead := len(selectSQL) - len(strings.TrimLeftFunc(selectSQL, unicode.IsSpace))
	var once sync.Once
	note := func() string { return "" }
	report := func(rows int64, err error) {
		once.Do(func() {
			if opts.OnDone == nil {
				return
			}
			status := "ok"
			switch {
			case errors.Is(err, ErrCanceled):
				status = "canceled"
			case err != nil:
				status = "error"
			}
			opts.OnDone(LiveOutcome{SQL: selectSQL, Rows: rows, Status: status, Err: err, Duration: int64(time.Since(start)), Preview: note()})
		})
	}
	fail := func(err error) (*Live, error) {
		if ctx.Err() != nil {
			err = ErrCanceled
		}
		report(0, err)
		return nil, err
	}
	tables, action, err := lh.authorizeSQL(ctx, selectSQL)
	if err != nil {
		// A syntax error says where it is (DuckDB's parser gives the
		// offset).
		var pe *ParseError
		if _, perr := lh.TableRefs(ctx, selectSQL); errors.As(perr, &pe) && pe.Position >= 0 {
			err = &QueryError{Msg: "lakehouse: " + pe.Message, Pos: pe.Position}
		}
		return fail(err)
	}
	// A preview of the first page, checked as the statement is.
	var pv *previewPlan
	var pvTables []string
	var pvAction string
	if opts.Preview {
		if pv = lh.planPreview(ctx, q, int64(opts.FirstPage)); pv != nil {
			if pvTables, pvAction, err = lh.authorizeSQL(ctx, pv.sql); err != nil {
				pv = nil
			}
		}
	}
	var sess *liveSession
	if opts.Store != nil {
		sess, err = opts.Store.session(ctx)
	} else {
		sess, err = lh.openSession(ctx)
	}
	if err != nil {
		return fail(queryError(ctx, err))
	}
	runCtx, cancel := context.WithCancel(ctx)
	l := &Live{lh: lh, sess: sess, sql: q, firstN: int64(opts.FirstPage), cancel: cancel,
		store: opts.Store, reopen: opts.Reopen, path: lh.path, protected: opts.Protected, memoryLimit: lh.memoryLimit, threads: lh.threads,
		table: fmt.Sprintf("lb_live_%d", liveSeq.Add(1)),
		ready: make(chan struct{}), done: make(chan struct{}), changed: make(chan struct{}), previewed: make(chan struct{})}
	note = l.previewNote
	// A result on a store belongs to the store; the lakehouse cancels
	// and closes it only while it streams.
	if !lh.addLive(l) || l.store != nil && !l.store.lives.add(l) {
		cancel()
		lh.removeLive(l)
		sess.release()
		return fail(errors.New("lakehouse: the lakehouse is closed"))
	}
	go func() {
		exec := q
		if pv == nil {
			close(l.previewed)
		} else if l.runPreview(runCtx, pv) {
			exec = pv.exec
		}
		err := l.run(runCtx, exec, lead)
		if runCtx.Err() != nil && err != nil {
			err = ErrCanceled
		}
		if l.store != nil {
			// The file is no longer read: the lakehouse may close.
			lh.removeLive(l)
		}
		l.mu.Lock()
		l.finished, l.err = true, err
		n := l.rows
		l.broadcast()
		l.mu.Unlock()
		l.markReady()
		report(n, err)
		close(l.done)
	}()
	// Back with the first page, or its preview when that comes first.
	select {
	case <-l.ready:
	case <-l.previewed:
		if l.Preview() == nil {
			<-l.ready
		}
	}
	l.mu.Lock()
	first, runErr, preview := l.first, l.err, l.preview
	l.mu.Unlock()
	if first == nil && (preview == nil || runErr != nil) {
		// It failed (or was canceled) before its first rows.
		lh.audited(ctx, action, selectSQL, tables, 0, runErr)
		l.Close()
		return nil, runErr
	}
	var shown int64
	if first != nil {
		shown = int64(len(first.Rows))
	}
	if preview != nil {
		if err := lh.audited(ctx, pvAction, pv.sql, pvTables, int64(len(preview.Rows)), nil); err != nil {
			l.Close()
			return nil, err
		}
	}
	if err := lh.audited(ctx, action, selectSQL, tables, shown, nil); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// openSession takes a connection of the user's pool for a spill.
func (lh *Lakehouse) openSession(ctx context.Context) (*liveSession, error) {
	conn, err := lh.userDB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	s := &liveSession{conn: conn}
	s.refs.Store(1)
	return s, nil
}

// liveSet is the open live results of a Lakehouse or a ResultStore,
// closed with it.
type liveSet struct {
	mu     sync.Mutex
	lives  map[*Live]bool
	closed bool
}

// add registers a result; false once the set is closed.
func (s *liveSet) add(l *Live) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.lives == nil {
		s.lives = map[*Live]bool{}
	}
	s.lives[l] = true
	return true
}

// remove forgets a result.
func (s *liveSet) remove(l *Live) {
	s.mu.Lock()
	delete(s.lives, l)
	s.mu.Unlock()
}

// list is the results open now.
func (s *liveSet) list() []*Live {
	s.mu.Lock()
	defer s.mu.Unlock()
	lives := make([]*Live, 0, len(s.lives))
	for l := range s.lives {
		lives = append(lives, l)
	}
	return lives
}

// closeAll closes the set to new results and closes every one in it: all
// are canceled first (a spill waits for the sorts that read it), then
// closed. It reports whether the set was open.
func (s *liveSet) closeAll() bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.closed = true
	s.mu.Unlock()
	lives := s.list()
	for _, l := range lives {
		l.Cancel()
	}
	for _, l := range lives {
		l.Close()
	}
	return true
}

// addLive registers a live result, closed by Lakehouse.Close; false once
// the lakehouse is closed.
func (lh *Lakehouse) addLive(l *Live) bool { return lh.lives.add(l) }

// removeLive forgets a live result.
func (lh *Lakehouse) removeLive(l *Live) { lh.lives.remove(l) }

// register registers a result derived from l where l is: with its store,
// or its lakehouse; false once that is closed.
func (l *Live) register(d *Live) bool {
	if l.store != nil {
		return l.store.lives.add(d)
	}
	return l.lh.addLive(d)
}

// closeLives closes every live result (Lakehouse.Close).
func (lh *Lakehouse) closeLives() { lh.lives.closeAll() }

// run executes the query, streaming it into the spill; it returns why it
// ended early, nil when complete.
func (l *Live) run(ctx context.Context, q string, lead int) error {
	// The spill's table is made once the first page is in (or when the
	// first chunk must be spilled before): DESCRIBE binds the query (it
	// does not run it) on the spill's connection while the query goes on.
	sp := &spiller{l: l, created: make(chan struct{})}
	var started bool
	sp.create = func() {
		if !started {
			started = true
			go func() {
				sp.createErr = l.createSpill(ctx, q, lead)
				close(sp.created)
			}()
		}
	}
	defer func() {
		if started {
			<-sp.created
		}
	}()
	conn, err := l.lh.userDB().Conn(ctx)
	if err != nil {
		return queryError(ctx, err)
	}
	var canceled bool
	err = conn.Raw(func(dc any) error {
		c, err := rawConnection(dc)
		if err != nil {
			return err
		}
		err = l.stream(ctx, c, q, lead, sp)
		if ctx.Err() != nil {
			// The connection was interrupted: it leaves the pool.
			canceled = true
			return driver.ErrBadConn
		}
		return err
	})
	conn.Close()
	if canceled {
		return ErrCanceled
	}
	return err
}

// createSpill creates the spill table with the result's columns.
func (l *Live) createSpill(ctx context.Context, q string, lead int) error {
	l.sess.mu.Lock()
	defer l.sess.mu.Unlock()
	var on execer = l.sess.conn
	if l.store != nil {
		on = l.lh.userDB() // the store knows none of the query's tables
	}
	cols, err := describeQuery(ctx, on, q)
	if err != nil {
		return l.duckError(err.Error(), describePrefix+q, len(describePrefix), lead, len(q))
	}
	names := spillNames(cols)
	var b strings.Builder
	b.WriteString("CREATE TEMP TABLE " + l.table + " (lb_row BIGINT")
	types := make([]string, len(cols))
	for i, c := range cols {
		types[i] = c.Type
		b.WriteString(", " + QuoteIdent(names[i]) + " " + c.Type)
	}
	b.WriteString(")")
	if _, err := l.sess.conn.ExecContext(ctx, b.String()); err != nil {
		return queryError(ctx, fmt.Errorf("create the table of the result: %w", err))
	}
	l.mu.Lock()
	l.names, l.types = names, types
	l.mu.Unlock()
	return nil
}

// spillNames names the spill's columns after the result's, made unique
// (DuckDB's names ignore case) and apart from lb_row and rowid (a column
// named rowid would hide a derived table's row ids).
func spillNames(cols []Column) []string {
	seen := map[string]bool{"lb_row": true, "rowid": true}
	names := make([]string, len(cols))
	for i, c := range cols {
		name := c.Name
		for k := 1; seen[strings.ToLower(name)]; k++ {
			name = c.Name + "_" + strconv.Itoa(k)
		}
		seen[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}

// stream runs the query on c through DuckDB's streaming result: the first
// page is taken from the first chunks, and every chunk is appended to the
// spill.
func (l *Live) stream(ctx context.Context, c bindings.Connection, q string, lead int, sp *spiller) error {
	var ps bindings.PreparedStatement
	if bindings.Prepare(c, q, &ps) == bindings.StateError {
		msg := bindings.PrepareError(ps)
		bindings.DestroyPrepare(&ps)
		return l.duckError(msg, q, 0, lead, len(q))
	}
	defer bindings.DestroyPrepare(&ps)
	if bindings.PreparedStatementType(ps) != bindings.StatementTypeSelect {
		return &QueryError{Msg: "lakehouse: a live result runs a SELECT (or FROM, WITH, VALUES ...); run other statements on their own", Pos: -1}
	}
	first := &Result{Rows: [][]any{}}
	for i := range bindings.PreparedStatementColumnCount(ps) {
		t := bindings.PreparedStatementColumnLogicalType(ps, i)
		first.Columns = append(first.Columns, Column{Name: bindings.PreparedStatementColumnName(ps, i), Type: driverTypeName(t)})
		bindings.DestroyLogicalType(&t)
	}
	l.mu.Lock()
	l.columns = first.Columns
	l.mu.Unlock()
	published := false
	publish := func() {
		if !published {
			published = true
			l.mu.Lock()
			l.first = first
			l.mu.Unlock()
			l.markReady()
			sp.create()
		}
	}
	// A cancel interrupts DuckDB wherever it is; the interrupt is done
	// before the connection is given back. DuckDB clears a connection's
	// interrupt when a query begins (duckdb_pending_prepared_streaming):
	// a cancel before then is said again once it has begun, so the
	// execution sees one either way.
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		bindings.Interrupt(c)
		liveHook(l, liveInterrupted, "")
		close(interrupted)
	})
	// settle waits for the cancel's interrupt in flight; false when none
	// will come (stopped first, even as ctx was being canceled).
	settle := sync.OnceValue(func() bool {
		if stop() {
			return false
		}
		<-interrupted
		return true
	})
	defer settle()
	liveHook(l, liveBegin, "")
	var pending bindings.PendingResult
	if bindings.PendingPreparedStreaming(ps, &pending) == bindings.StateError {
		msg := bindings.PendingError(pending)
		bindings.DestroyPending(&pending)
		return l.duckError(msg, q, 0, lead, len(q))
	}
	// The query has begun: it is executed even when canceled (DuckDB
	// ends a begun query only at the connection's next statement).
	liveHook(l, liveBegun, "")
	if ctx.Err() != nil {
		bindings.Interrupt(c)
	}
	var res bindings.Result
	state := bindings.ExecutePending(pending, &res)
	bindings.DestroyPending(&pending)
	defer bindings.DestroyResult(&res)
	liveHook(l, liveExecuted, bindings.ResultError(&res))
	if state == bindings.StateError {
		return l.duckError(bindings.ResultError(&res), q, 0, lead, len(q))
	}
	defer sp.close()
	defer func() {
		if ctx.Err() == nil {
			return
		}
		// Canceled: the query ends in DuckDB before the connection is
		// given back. The interrupt is set (said since the query began,
		// see above), so the next fetch ends it, after at most the chunks
		// DuckDB had buffered.
		if !settle() {
			bindings.Interrupt(c)
		}
		for {
			chunk := bindings.FetchChunk(res)
			if chunk.Ptr == nil {
				break
			}
			bindings.DestroyDataChunk(&chunk)
		}
		liveHook(l, liveEnded, bindings.ResultError(&res))
	}()
	for ctx.Err() == nil {
		liveHook(l, liveFetch, "")
		chunk := bindings.FetchChunk(res)
		if chunk.Ptr == nil {
			break
		}
		var err error
		if need := l.firstN - int64(len(first.Rows)); need > 0 {
			n := min(need, int64(bindings.DataChunkGetSize(chunk)))
			if first.Rows, err = chunkRows(chunk, int(n), first.Rows); err != nil {
				err = fmt.Errorf("lakehouse: read the first rows: %w", err)
			} else if int64(len(first.Rows)) == l.firstN {
				publish()
			}
		}
		if err == nil {
			err = sp.append(chunk)
		}
		bindings.DestroyDataChunk(&chunk)
		if err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		sp.flush()
		return ErrCanceled
	}
	if msg := bindings.ResultError(&res); msg != "" {
		sp.flush()
		return l.duckError(msg, q, 0, lead, len(q))
	}
	publish()
	if err := sp.flush(); err != nil {
		return err
	}
	if !sp.open {
		// An empty result: its table is made, the first page says so.
		sp.create()
		<-sp.created
		return sp.createErr
	}
	return nil
}

// spiller appends a stream's chunks to the spill, lb_row first.
type spiller struct {
	l *Live
	// created is closed once the spill table is made (or failed, with
	// createErr).
	created   chan struct{}
	createErr error
	// create starts making the spill table, once.
	create   func()
	appender bindings.Appender
	out      bindings.DataChunk
	open     bool
	streamed int64
	flushed  int64
}

func (sp *spiller) append(chunk bindings.DataChunk) error {
	n := int64(bindings.DataChunkGetSize(chunk))
	if n == 0 {
		return nil
	}
	l := sp.l
	if !sp.open {
		sp.create()
		<-sp.created
		if sp.createErr != nil {
			return sp.createErr
		}
	}
	err := l.sess.raw(func(c bindings.Connection) error {
		if !sp.open {
			if bindings.AppenderCreateExt(c, "temp", "main", l.table, &sp.appender) == bindings.StateError {
				err := errors.New(bindings.AppenderError(sp.appender))
				bindings.AppenderDestroy(&sp.appender)
				return err
			}
			cols := int(bindings.DataChunkGetColumnCount(chunk))
			types := make([]bindings.LogicalType, cols+1)
			types[0] = bindings.CreateLogicalType(bindings.TypeBigInt)
			for i := range cols {
				types[i+1] = bindings.VectorGetColumnType(bindings.DataChunkGetVector(chunk, bindings.IdxT(i)))
			}
			sp.out = bindings.CreateDataChunk(types)
			for i := range types {
				bindings.DestroyLogicalType(&types[i])
			}
			sp.open = true
		}
		// The chunk's vectors are referenced, not copied; lb_row numbers
		// its rows on from the last.
		bindings.DataChunkReset(sp.out)
		ids := unsafe.Slice((*int64)(bindings.VectorGetData(bindings.DataChunkGetVector(sp.out, 0))), n)
		for i := range ids {
			ids[i] = sp.streamed + int64(i) + 1
		}
		for i := range bindings.DataChunkGetColumnCount(chunk) {
			bindings.VectorReferenceVector(bindings.DataChunkGetVector(sp.out, i+1), bindings.DataChunkGetVector(chunk, i))
		}
		bindings.DataChunkSetSize(sp.out, bindings.IdxT(n))
		if bindings.AppendDataChunk(sp.appender, sp.out) == bindings.StateError {
			return errors.New(bindings.AppenderError(sp.appender))
		}
		sp.streamed += n
		return nil
	})
	if err != nil {
		return fmt.Errorf("lakehouse: spill the result: %w", err)
	}
	l.mu.Lock()
	due := sp.streamed-sp.flushed >= flushEvery || (l.want > sp.flushed && sp.streamed >= l.want) ||
		(sp.flushed < l.firstN && sp.streamed >= l.firstN)
	l.mu.Unlock()
	if due {
		return sp.flush()
	}
	return nil
}

// flush writes the appended rows to the spill, where Page reads them.
func (sp *spiller) flush() error {
	if sp.open && sp.streamed > sp.flushed {
		err := sp.l.sess.raw(func(bindings.Connection) error {
			if bindings.AppenderFlush(sp.appender) == bindings.StateError {
				return errors.New(bindings.AppenderError(sp.appender))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("lakehouse: spill the result: %w", err)
		}
		sp.flushed = sp.streamed
	}
	l := sp.l
	l.mu.Lock()
	l.rows = sp.flushed
	l.broadcast()
	l.mu.Unlock()
	return nil
}

func (sp *spiller) close() {
	if !sp.open {
		return
	}
	sp.l.sess.raw(func(bindings.Connection) error {
		bindings.AppenderDestroy(&sp.appender)
		bindings.DestroyDataChunk(&sp.out)
		return nil
	})
	sp.open = false
}

// markReady says the first page can be read.
func (l *Live) markReady() {
	select {
	case <-l.ready:
	default:
		close(l.ready)
	}
}

// broadcast wakes the Pages waiting for rows; l.mu is held.
func (l *Live) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// duckError is DuckDB's message about text as a *QueryError (or
// ErrCanceled for an interrupt), its position made an offset in the
// user's text: the user's text starts at start in text, and at lead in
// what the user gave, n bytes long.
func (l *Live) duckError(msg, text string, start, lead, n int) error {
	if strings.HasPrefix(msg, "INTERRUPT Error") {
		return ErrCanceled
	}
	pos := errorPos(msg, text) - start
	if pos < 0 || pos > n {
		pos = -1
	} else {
		pos += lead
	}
	if start > 0 {
		msg = unwrapError(msg, text[:start])
	}
	return &QueryError{Msg: "lakehouse: " + msg, Pos: pos}
}

// errorPos is the byte offset in text that DuckDB's "LINE n: ..." and its
// caret point at, or -1.
func errorPos(msg, text string) int {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "LINE ")
		if !ok || i+1 >= len(lines) {
			continue
		}
		num, shown, ok := strings.Cut(rest, ": ")
		n, err := strconv.Atoi(num)
		caret := strings.IndexByte(lines[i+1], '^')
		if !ok || err != nil || n < 1 || caret < 0 {
			continue
		}
		col := caret - len("LINE "+num+": ")
		// The line of text, and where it starts.
		textLines := strings.SplitAfter(text, "\n")
		if n > len(textLines) {
			return -1
		}
		lineStart := 0
		for _, tl := range textLines[:n-1] {
			lineStart += len(tl)
		}
		line := strings.TrimRight(textLines[n-1], "\r\n")
		// DuckDB shows a window of a long line between "...".
		if s, cut := strings.CutPrefix(shown, "..."); cut {
			s = strings.TrimSuffix(s, "...")
			j := strings.Index(line, s)
			if j < 0 {
				return -1
			}
			return lineStart + j + col - len("...")
		}
		if col < 0 || col > len(line) {
			return -1
		}
		return lineStart + col
	}
	return -1
}

// Columns are the result's columns, named as the query names them.
func (l *Live) Columns() []Column {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Column(nil), l.columns...)
}

// Count is how many rows are known so far, and whether that is all of them:
// a sort of a complete result knows its count (all of them) at once, while
// its table is still made (a page past the first waits for it).
func (l *Live) Count() (rows int64, done bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.rows
	if l.first != nil {
		n = max(n, int64(len(l.first.Rows)))
	}
	if l.err == nil {
		n = max(n, l.total)
		if l.totalKnown {
			return l.total, true
		}
	}
	return n, l.finished
}

// Err is why the execution ended early (nil while running or when complete).
func (l *Live) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Wait blocks until the execution has ended (or ctx is done) and returns Err.
func (l *Live) Wait(ctx context.Context) error {
	select {
	case <-l.done:
		return l.Err()
	case <-ctx.Done():
		return ErrCanceled
	}
}

// Cancel interrupts the execution if it still runs.
func (l *Live) Cancel() {
	if l.cancel != nil {
		l.cancel()
	}
}

// Page returns at most limit rows starting at offset, waiting until they
// have streamed in (or the execution ended, returning fewer).
func (l *Live) Page(ctx context.Context, offset, limit int64) (*Result, error) {
	offset, limit = max(offset, 0), max(limit, 0)
	end := offset + limit
	l.mu.Lock()
	if l.closed {
		err := l.closedErr()
		l.mu.Unlock()
		return nil, err
	}
	if first := l.first; first != nil && (end <= int64(len(first.Rows)) || l.finished && l.rows <= int64(len(first.Rows))) {
		l.mu.Unlock()
		res := &Result{Columns: append([]Column(nil), first.Columns...), Offset: offset, Rows: [][]any{}}
		if offset < int64(len(first.Rows)) {
			res.Rows = append(res.Rows, first.Rows[offset:min(end, int64(len(first.Rows)))]...)
		}
		return res, nil
	}
	for !l.finished && l.rows < end {
		l.want = max(l.want, end)
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ErrCanceled
		}
		l.mu.Lock()
	}
	if offset >= l.rows {
		cols := l.columns
		l.mu.Unlock()
		return &Result{Columns: append([]Column(nil), cols...), Rows: [][]any{}, Offset: offset}, nil
	}
	l.mu.Unlock()
	return l.readPage(ctx, offset, limit)
}

// readPage reads rows offset+1 .. offset+limit of the spill.
func (l *Live) readPage(ctx context.Context, offset, limit int64) (*Result, error) {
	l.mu.Lock()
	names := l.names
	l.mu.Unlock()
	l.sess.mu.Lock()
	defer l.sess.mu.Unlock()
	res, err := l.query(ctx, "SELECT "+quotedList(names)+" FROM "+l.table+" WHERE "+l.span(offset, limit)+" ORDER BY "+l.pos())
	if err != nil {
		return nil, err
	}
	res.Offset = offset
	return res, nil
}

// pos is the SQL expression of a row's place in the table: lb_row, or
// rowid (from 0) in a derived table; ordering by it is the result's order.
func (l *Live) pos() string {
	if l.derived {
		return "rowid"
	}
	return "lb_row"
}

// span is the SQL condition on pos that selects rows offset+1 ..
// offset+limit of the table (DuckDB skips the rest of the table for it).
func (l *Live) span(offset, limit int64) string {
	lo, hi := strconv.FormatInt(offset, 10), strconv.FormatInt(offset+limit, 10)
	if l.derived {
		return "rowid >= " + lo + " AND rowid < " + hi
	}
	return "lb_row > " + lo + " AND lb_row <= " + hi
}

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// Held is how many rows Go holds in memory now: bounded whatever the size.
func (l *Live) Held() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first == nil {
		return 0
	}
	return int64(len(l.first.Rows))
}

// Sort returns the same rows ordered by a column (DuckDB sorts the spilled
// result: the user's query does not run again), ties in the original order.
// It returns with the first page (DuckDB's top-N of the spill, far cheaper
// than the sort) and the row count; the sorted table is made in the
// background, like a streaming result's (Wait, Count's done): canceling
// ctx, Cancel or Close stops it.
func (l *Live) Sort(ctx context.Context, column int, desc bool) (*Live, error) {
	if err := l.Wait(ctx); err != nil {
		return nil, incomplete(err)
	}
	l.mu.Lock()
	names := l.names
	l.mu.Unlock()
	if column < 0 || column >= len(names) {
		return nil, fmt.Errorf("lakehouse: sort by column %d: the result has %d columns", column+1, len(names))
	}
	return l.derive(ctx, &sortKey{col: column, desc: desc}, "")
}

// sortKey is what a derived result is sorted by: a column of the spill,
// then the row's place in it.
type sortKey struct {
	col  int
	desc bool
}

// Filter returns the rows where a boolean SQL expression over the result's
// columns holds, checked like any query of the principal (it may read no
// table).
func (l *Live) Filter(ctx context.Context, where string) (*Live, error) {
	if strings.TrimSpace(where) == "" {
		where = "true"
	}
	if err := l.Wait(ctx); err != nil {
		return nil, incomplete(err)
	}
	// The check binds the filter over a stand-in of the result that reads
	// nothing: any table or file in the plan is the filter's own.
	l.mu.Lock()
	names, types := l.names, l.types
	l.mu.Unlock()
	stand := make([]string, len(names))
	for i, n := range names {
		stand[i] = "CAST(NULL AS " + types[i] + ") AS " + QuoteIdent(n)
	}
	prefix := "SELECT * FROM (SELECT " + strings.Join(stand, ", ") + ") AS lb_result WHERE ("
	if err := l.checkFilter(ctx, prefix, where); err != nil {
		return nil, err
	}
	d, err := l.derive(ctx, nil, where)
	if err != nil {
		return nil, err
	}
	// A filter reads no more than the spill once: it returns complete.
	if err := d.Wait(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// checkFilter checks a filter as the principal's query over the stand-in
// prefix opens: it may read no table.
func (l *Live) checkFilter(ctx context.Context, prefix, where string) error {
	check := prefix + where + "\n)"
	lh, done, err := l.checker(ctx)
	if err != nil {
		return err
	}
	defer done()
	tables, _, err := lh.authorizeSQL(ctx, check)
	if err != nil {
		var ae *AccessError
		if errors.As(err, &ae) {
			return err
		}
		return l.duckError(strings.TrimPrefix(err.Error(), "lakehouse: "), check, len(prefix), 0, len(where))
	}
	// The owner may run a SELECT whose plan DuckDB cannot show (a filter
	// naming a column the result lacks, say): its stand-in is no table.
	unplanned := false
	tables = slices.DeleteFunc(tables, func(t string) bool {
		owner := strings.HasPrefix(t, ownerOnly+".")
		unplanned = unplanned || owner
		return owner
	})
	if len(tables) == 0 && (lh.principal == "" || unplanned) {
		// lakebench itself is not planned (see authorizeSQL), nor is a
		// filter DuckDB cannot bind: the names the parser finds are the
		// filter's (DuckDB's own error comes when the filter runs).
		refs, _ := lh.TableRefs(ctx, check)
		for _, t := range refs {
			tables = append(tables, t.String())
		}
	}
	if len(tables) > 0 {
		return fmt.Errorf("lakehouse: a filter may read no table (this one reads %s): filter on the result's columns, or query the table itself", strings.Join(tables, ", "))
	}
	return nil
}

// checker is the lakehouse that checks a filter as the principal's
// query, and what ends its use.
func (l *Live) checker(ctx context.Context) (*Lakehouse, func(), error) {
	if l.reopen != nil {
		return l.reopen(ctx)
	}
	return l.lh, func() {}, nil
}

// incomplete explains why a result that did not complete cannot be sorted,
// filtered or exported.
func incomplete(err error) error {
	return fmt.Errorf("lakehouse: the result is incomplete (%w): run the query again", err)
}

// derive makes a new Live of the spill's rows where where holds (all when
// empty), sorted by key (in the spill's order when nil). Its first page is
// read at once (see head); its table is made
// in the background with CREATE TABLE AS: DuckDB inserts the rows in the
// query's order (it preserves insertion order), so rowid numbers them
// (row_number() over a 10M-row sort took 4 times as long). The session's
// connection stays with the derivation until its table is made: the
// spill it reads is dropped after it (liveSession.drop).
func (l *Live) derive(ctx context.Context, key *sortKey, where string) (*Live, error) {
	if err := l.Wait(ctx); err != nil {
		return nil, incomplete(err)
	}
	l.mu.Lock()
	if l.closed {
		err := l.closedErr()
		l.mu.Unlock()
		return nil, err
	}
	d := &Live{lh: l.lh, sess: l.sess, sql: l.sql, names: l.names, types: l.types, columns: l.columns, firstN: l.firstN,
		store: l.store, reopen: l.reopen, path: l.path, protected: l.protected, memoryLimit: l.memoryLimit, threads: l.threads,
		table: fmt.Sprintf("lb_live_%d", liveSeq.Add(1)), derived: true,
		ready: make(chan struct{}), done: make(chan struct{}), changed: make(chan struct{})}
	src, pos := l.table, l.pos()
	if where == "" {
		d.total, d.totalKnown = l.rows, true
	}
	l.mu.Unlock()
	close(d.ready)
	d.sess.refs.Add(1)
	prefix := "SELECT " + quotedList(d.names) + " FROM " + src + " AS lb_result"
	query := prefix
	if where != "" {
		prefix += " WHERE ("
		query = prefix + where + "\n)"
	}
	if key != nil {
		query += " ORDER BY " + QuoteIdent(d.names[key.col])
		if key.desc {
			query += " DESC"
		}
		query += ", " + pos
	}
	fail := func(err error) (*Live, error) {
		close(d.done)
		d.Close()
		if ctx.Err() != nil {
			return nil, ErrCanceled
		}
		if where != "" {
			return nil, d.duckError(strings.TrimPrefix(err.Error(), "lakehouse: "), query, len(prefix), 0, len(where))
		}
		return nil, err
	}
	d.sess.mu.Lock()
	d.sess.derive()
	first, err := d.head(ctx, src, pos, key, query)
	if err == nil {
		d.first = first
		if !l.register(d) {
			err = errors.New("lakehouse: the lakehouse is closed")
		}
	}
	if err != nil {
		d.sess.derived()
		d.sess.mu.Unlock()
		return fail(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	d.cancel = cancel
	go func() {
		_, err := d.sess.conn.ExecContext(runCtx, "CREATE TEMP TABLE "+d.table+" AS "+query)
		var n int64
		if err == nil {
			err = d.sess.conn.QueryRowContext(runCtx, "SELECT count(*) FROM "+d.table).Scan(&n)
		}
		d.sess.derived()
		d.sess.mu.Unlock()
		switch {
		case err == nil:
		case runCtx.Err() != nil:
			err = ErrCanceled
		default:
			err = fmt.Errorf("lakehouse: %w", err)
		}
		d.mu.Lock()
		d.finished, d.err = true, err
		if err == nil {
			d.rows = n
		}
		d.broadcast()
		d.mu.Unlock()
		close(d.done)
	}()
	return d, nil
}

// head reads the first page of a derived result, given its query, with
// LIMIT: DuckDB stops reading a filter's rows once it has the page, and
// keeps the top rows of a sort without sorting the rest. A top-N with the
// tie-breaker (ORDER BY c, pos LIMIT n) must read every row's c and pos,
// where one on c alone skips most of the spill (once the page's last
// value is the least, nothing in the spill comes before it: DuckDB skips
// every row group by its min and max), so a sort by a column of a plain
// type reads the page's last value v first, then the rows before v
// (fewer than n, sorted; none when the page is all v, as with a column of
// few values), then the first rows equal to v by pos.
func (d *Live) head(ctx context.Context, src, pos string, key *sortKey, query string) (*Result, error) {
	n := strconv.FormatInt(d.firstN, 10)
	if key == nil || !plainType(d.types[key.col]) {
		return d.query(ctx, query+" LIMIT "+n)
	}
	c := QuoteIdent(d.names[key.col])
	dir, before := "", " < "
	if key.desc {
		dir, before = " DESC", " > "
	}
	// The page's values (c alone: DuckDB's top-N skips the most then),
	// their least and greatest as text, how many are not NULL and how
	// many there are.
	ends, err := d.query(ctx, "SELECT CAST(min(c) AS VARCHAR), CAST(max(c) AS VARCHAR), count(c), count(*) FROM (SELECT "+
		c+" AS c FROM "+src+" ORDER BY "+c+dir+" LIMIT "+n+")")
	if err != nil || len(ends.Rows) != 1 || ends.Rows[0][3] != d.firstN {
		// An error is the top-N's to say; a page short of n is all rows.
		return d.query(ctx, query+" LIMIT "+n)
	}
	lead, v := ends.Rows[0][0], ends.Rows[0][1]
	if key.desc {
		lead, v = v, lead
	}
	if ends.Rows[0][2] != d.firstN {
		// The page ends in NULLs (they sort last either way).
		v = nil
	}
	var pre, tie string
	if v == nil {
		pre, tie = c+" IS NOT NULL", c+" IS NULL"
	} else {
		lit := "CAST(" + QuoteString(v.(string)) + " AS " + d.types[key.col] + ")"
		pre, tie = c+before+lit, c+" = "+lit
	}
	sel := "SELECT " + quotedList(d.names) + " FROM " + src + " WHERE "
	first := &Result{Rows: [][]any{}}
	if lead != v {
		if first, err = d.query(ctx, sel+pre+" ORDER BY "+c+dir+", "+pos); err != nil {
			return nil, err
		}
		if int64(len(first.Rows)) >= d.firstN {
			// Not so with = and < agreeing with ORDER BY; the top-N then.
			return d.query(ctx, query+" LIMIT "+n)
		}
	}
	// The table is in pos's order and DuckDB keeps a table's order
	// (preserve_insertion_order): a LIMIT without ORDER BY gives the
	// first ties by pos and stops reading once it has them, where ORDER
	// BY pos LIMIT reads every row equal to v (1.8 times the top-N on a
	// column of 1,000 values over 10M rows).
	rest, err := d.query(ctx, sel+tie+" LIMIT "+strconv.FormatInt(d.firstN-int64(len(first.Rows)), 10))
	if err != nil {
		return nil, err
	}
	rest.Rows = append(first.Rows, rest.Rows...)
	return rest, nil
}

// plainType is true for the DuckDB types whose values a cast to VARCHAR
// and back gives unchanged and whose = and < agree with ORDER BY.
func plainType(t string) bool {
	switch t {
	case "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
		"UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "VARCHAR", "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_S",
		"TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE", "UUID":
		return true
	}
	return strings.HasPrefix(t, "DECIMAL(")
}

// query reads a result of the session's connection, with the result's
// column names; sess.mu is held.
func (l *Live) query(ctx context.Context, q string) (*Result, error) {
	rows, err := l.sess.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	res, err := scanExact(rows)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	l.mu.Lock()
	cols := l.columns
	l.mu.Unlock()
	for i := range res.Columns {
		if i < len(cols) {
			res.Columns[i].Name = cols[i].Name
		}
	}
	return res, nil
}

// scanExact is scanResult with DECIMAL values kept exact, as Stream's: a
// duckdb.Decimal (its digits and scale), never a float64, so a
// DECIMAL(38,10) sum of money shows, copies and charts every digit.
func scanExact(rows *sql.Rows) (*Result, error) {
	cols, err := resultColumns(rows)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols, Rows: [][]any{}}
	sc := newRowScanner(len(cols))
	sc.exactDecimals = true
	for rows.Next() {
		row := make([]any, len(cols))
		if err := sc.scan(rows, row); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// Close ends the execution if it still runs and drops the spilled rows.
func (l *Live) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.first = nil
	l.mu.Unlock()
	l.Cancel()
	<-l.done
	err := l.sess.drop(l.table)
	l.sess.release()
	l.lh.removeLive(l)
	if l.store != nil {
		l.store.lives.remove(l)
	}
	if err != nil && !errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("lakehouse: drop the result: %w", err)
	}
	return nil
}
