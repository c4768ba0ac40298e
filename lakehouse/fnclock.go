package lakehouse

import (
	"context"
	"database/sql/driver"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// The macros a statement created (duckdb_functions() not internal) are
// read once per process while no statement may have changed them: a
// daily run's checks asked for them in nearly every task's transaction
// (Deterministic), each a scan of DuckDB's three thousand functions.
//
// functionClock moves when a statement that may change functions
// (mayChangeFunctions) begins and when it has ended: an autocommit
// statement around its run, one in a transaction at that statement and
// again when the transaction commits or rolls back. Every statement of
// the process on a lakebench connection to a file goes through a
// cleanConn, which moves it (a live result's stream, past it, runs only
// a SELECT). A transaction
// that began when no change was under way, and during which the clock
// did not move, sees the committed functions, the same as any other
// such transaction of the same generation: it takes the kept list, or
// keeps the one it read. A temporary macro belongs to its connection,
// so a connection that ran such a statement (tainted) neither takes
// nor keeps a list.
var functionClock changeClock

// changeClock is a generation moved before and after each change, and
// how many changes are under way.
type changeClock struct {
	mu   sync.Mutex
	gen  uint64
	open int
}

// start is called before a read: the generation, and whether no change
// is under way.
func (c *changeClock) start() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.open == 0
}

// still says no change began since start returned at with no change
// under way.
func (c *changeClock) still(at uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen == at && c.open == 0
}

func (c *changeClock) change() {
	c.mu.Lock()
	c.gen++
	c.open++
	c.mu.Unlock()
}

func (c *changeClock) changed() {
	c.mu.Lock()
	c.gen++
	c.open--
	c.mu.Unlock()
}

// keptFunctions is a lakehouse's list of macros, read at a generation
// of functionClock.
type keptFunctions struct {
	mu    sync.Mutex
	valid bool
	at    uint64
	fns   []userFunction
}

// get returns the list read at generation at, if the clock is still
// there.
func (k *keptFunctions) get(at uint64) ([]userFunction, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.valid || k.at != at || !functionClock.still(at) {
		return nil, false
	}
	return k.fns, true
}

// keep keeps fns, read by a transaction that began at generation at
// with no change under way, if the clock is still there.
func (k *keptFunctions) keep(at uint64, fns []userFunction) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if functionClock.still(at) {
		k.valid, k.at, k.fns = true, at, fns
	}
}

// functionSafe are the first words of statements that change tables,
// views, indexes, sequences or schemas of no function: a single
// statement beginning so cannot create, replace or drop a macro.
var functionSafe = [][]string{
	{"CREATE", "TABLE"}, {"CREATE", "VIEW"}, {"CREATE", "INDEX"}, {"CREATE", "UNIQUE", "INDEX"}, {"CREATE", "SEQUENCE"},
	{"CREATE", "SCHEMA"}, {"DROP", "TABLE"}, {"DROP", "VIEW"}, {"DROP", "INDEX"}, {"DROP", "SEQUENCE"},
	{"ALTER", "TABLE"}, {"ALTER", "VIEW"}, {"CHECKPOINT"}, {"FORCE", "CHECKPOINT"},
}

// mayChangeFunctions reports whether a statement text may create,
// replace or drop a function (a macro, temporary or not) or change which
// are listed (ATTACH, DETACH, DROP SCHEMA, ...): unless it is one that
// cannot change the catalog (mayChangeCatalog) or one statement whose
// first words (after CREATE [OR REPLACE] [TEMP|TEMPORARY]) are in
// functionSafe, it may.
func mayChangeFunctions(query string) bool {
	if !mayChangeCatalog(query) {
		return false
	}
	words, single := statementWords(query)
	if !single || len(words) == 0 {
		return true
	}
	if words[0] == "EXPLAIN" {
		// EXPLAIN, or EXPLAIN (FORMAT JSON), binds its statement and
		// runs nothing; EXPLAIN ANALYZE runs it.
		rest := strings.TrimLeft(leadingText(query)[len("EXPLAIN"):], " \t\r\n")
		if strings.HasPrefix(rest, "(") {
			end := strings.IndexByte(rest, ')')
			if end < 0 || strings.IndexFunc(rest[1:end], func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == ' ' || r == ',')
			}) >= 0 || strings.Contains(strings.ToUpper(rest[1:end]), "ANALY") {
				return true
			}
			rest = rest[end+1:]
		}
		if next, _ := statementWords(rest); len(next) == 0 || next[0] == "ANALYZE" || next[0] == "ANALYSE" || next[0] == "EXPLAIN" {
			return true
		}
		return mayChangeFunctions(rest)
	}
	if words[0] == "CREATE" {
		rest := words[1:]
		if len(rest) > 1 && rest[0] == "OR" && rest[1] == "REPLACE" {
			rest = rest[2:]
		}
		if len(rest) > 0 && (rest[0] == "TEMP" || rest[0] == "TEMPORARY") {
			rest = rest[1:]
		}
		words = append([]string{"CREATE"}, rest...)
	}
	for _, safe := range functionSafe {
		if len(words) >= len(safe) && slices.Equal(words[:len(safe)], safe) {
			return false
		}
	}
	return true
}

// statementWords are the first words of a statement text, upper-cased,
// after blanks and comments, each cut at its first character that is not
// a letter, and whether the text is a single statement (no semicolon
// but at its end).
func statementWords(query string) (words []string, single bool) {
	q := leadingText(query)
	end := len(q)
	for end > 0 && strings.ContainsRune(" \t\r\n;", rune(q[end-1])) {
		end--
	}
	if secondStatement(q[:end]) {
		return nil, false
	}
	for _, w := range strings.Fields(strings.ToUpper(q[:min(end, 64)])) {
		cut := strings.IndexFunc(w, func(r rune) bool { return r < 'A' || r > 'Z' })
		if cut == 0 {
			// A quote, comment or bracket: what follows is not a
			// keyword this reads.
			break
		}
		if cut > 0 {
			words = append(words, w[:cut])
			break
		}
		words = append(words, w)
	}
	return words, true
}

// leadingText is query from its first word: after blanks, comments and
// opening brackets ("" for an unclosed comment).
func leadingText(query string) string {
	q := query
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "--"):
			i := strings.IndexAny(q, "\n\r") // DuckDB ends a line comment at either
			if i < 0 {
				return ""
			}
			q = q[i+1:]
			continue
		case strings.HasPrefix(q, "/*"):
			i := blockCommentEnd(q)
			if i < 0 {
				return ""
			}
			q = q[i:]
			continue
		}
		break
	}
	return q
}

// functionsMayChange is called before a statement runs on the
// connection: when it may change functions it marks the connection and
// moves functionClock, and returns what to call once the statement has
// ended.
func (c *cleanConn) functionsMayChange(query string) (ended func()) {
	if !mayChangeFunctions(query) {
		return func() {}
	}
	c.tainted = true
	if c.inTx {
		if !c.txChanges {
			c.txChanges = true
			functionClock.change()
		}
		return func() {}
	}
	functionClock.change()
	return functionClock.changed
}

// statementsRun counts the statements run on lakehouse's connections,
// for the tests that check how many an operation takes.
var statementsRun atomic.Int64

// ExecContext runs a statement, moving functionClock around it when it
// may change functions.
func (c *cleanConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	statementsRun.Add(1)
	c.tablesMayChange(q)
	defer c.functionsMayChange(q)()
	defer c.catalogMayChange(q)()
	defer noteStatement(q, now())
	return c.Conn.ExecContext(ctx, q, args)
}

// QueryContext is ExecContext for a statement with rows.
func (c *cleanConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	statementsRun.Add(1)
	c.tablesMayChange(q)
	defer c.functionsMayChange(q)()
	defer c.catalogMayChange(q)()
	defer noteStatement(q, now())
	return c.Conn.QueryContext(ctx, q, args)
}

// PrepareContext prepares a statement; one that may change functions
// (the catalog) keeps functionClock (catalogClock) moved until it is
// closed (or, in a transaction, until the transaction ends).
func (c *cleanConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.tablesMayChange(q)
	fnEnded, catEnded := c.functionsMayChange(q), c.catalogMayChange(q)
	ended := func() { fnEnded(); catEnded() }
	s, err := c.Conn.PrepareContext(ctx, q)
	if err != nil {
		ended()
		return nil, err
	}
	if !mayChangeCatalog(q) || c.inTx {
		return s, nil
	}
	return &changingStmt{Stmt: s, ended: ended}, nil
}

// BeginTx begins a transaction whose end ends the changes of functions
// its statements may have made.
func (c *cleanConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx, c.txWrites = true, false
	return &cleanTx{Tx: tx, c: c}, nil
}

// cleanTx is a transaction of a cleanConn.
type cleanTx struct {
	driver.Tx
	c *cleanConn
}

func (t *cleanTx) Commit() error {
	err := t.Tx.Commit()
	t.c.endTx()
	return err
}

func (t *cleanTx) Rollback() error {
	err := t.Tx.Rollback()
	t.c.endTx()
	return err
}

func (c *cleanConn) endTx() {
	c.inTx = false
	if c.txChanges {
		c.txChanges = false
		functionClock.changed()
	}
	if c.txCatalogChanges {
		c.txCatalogChanges = false
		catalogClock.changed()
	}
}

// changingStmt is a prepared statement, outside a transaction, that may
// change functions or the catalog: functionClock or catalogClock stays
// moved until it is closed.
type changingStmt struct {
	driver.Stmt
	ended func()
}

func (s *changingStmt) Close() error {
	err := s.Stmt.Close()
	s.ended()
	return err
}

func (s *changingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *changingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *changingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// connTainted says whether conn may hold temporary macros of its own (see
// functionClock): true unless it is a cleanConn on which no statement
// that may change functions ran.
func connTainted(ctx context.Context, conn interface {
	Raw(func(any) error) error
}) bool {
	tainted := true
	conn.Raw(func(dc any) error {
		if c, ok := dc.(*cleanConn); ok {
			tainted = c.tainted
		}
		return nil
	})
	return tainted
}
