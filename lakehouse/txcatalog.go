package lakehouse

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
)

// catalogTx is a transaction's *sql.Tx that remembers what DuckDB's
// catalog says inside it (which tables and views exist, a table's
// columns) until a statement that may change the catalog runs in it. A
// pipeline task asked duckdb_tables() and duckdb_views() a hundred times
// a daily run (each scan of the catalog about 2-3 CPU-ms, as much as a
// day's insert into a small table): its checks ask the same question of
// the same snapshot over and over. Within a transaction only its own
// statements change what it sees (DuckDB's catalog is versioned like its
// rows), and every statement goes through here, so forgetting on any
// statement that is not plainly a query or a DML (mayChangeCatalog) keeps
// the answers those of asking DuckDB.
type catalogTx struct {
	*sql.Tx
	mu sync.Mutex
	// snap is the catalog the transaction sees (nil: not read since the
	// last catalog change), taken from keptCat while it may (see
	// catalogClock): the lakehouse's, as of the generation catAt when
	// the transaction began, until one of its statements may have
	// changed the catalog (changed).
	snap    *catalogSnap
	keptCat *keptCatalog
	catAt   uint64
	changed bool
	// touches counts the statements that may have changed the catalog:
	// a read during one is not kept.
	touches int
	// views are the database's views by lower-cased name, with how many
	// share it (see viewsNamed), keyed by database name; fns the macros
	// of the catalog (duckdb_functions() not internal).
	views map[string]map[TableName]int
	fns   []userFunction
	// fnsRead says fns were read since the last catalog change.
	fnsRead bool
	// kept is the lakehouse's list of macros, which the transaction
	// may take or keep (nil: it may not), as of functionClock's
	// generation keptAt when it began.
	kept   *keptFunctions
	keptAt uint64
}

func (c *catalogTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.touch(query)
	return c.Tx.ExecContext(ctx, query, args...)
}

func (c *catalogTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.touch(query)
	return c.Tx.QueryContext(ctx, query, args...)
}

func (c *catalogTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.touch(query)
	return c.Tx.QueryRowContext(ctx, query, args...)
}

func (c *catalogTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	c.touch(query)
	return c.Tx.PrepareContext(ctx, query)
}

// touch forgets what is known of the catalog before a statement that may
// change it runs (and whether it then fails or not).
func (c *catalogTx) touch(query string) {
	if !mayChangeCatalog(query) {
		return
	}
	c.mu.Lock()
	c.snap, c.views, c.fns, c.fnsRead = nil, nil, nil, false
	c.changed = true
	c.touches++
	c.mu.Unlock()
}

// readOnlyCatalog are the first keywords of statements that cannot create,
// drop, rename or alter a table, view or function: queries, DML, and
// CHECKPOINT, which writes the log's changes into the file and changes
// no entry of the catalog (the checkpointer tries one after each commit
// of a run once the log is large: as a possible change, each attempt
// made the next task read DuckDB's catalog again, as functionSafe already
// spared the functions). EXPLAIN is not one (EXPLAIN ANALYZE runs its
// statement), nor FORCE CHECKPOINT (left a possible change), PRAGMA,
// CALL, SET, COPY, ATTACH or anything else.
var readOnlyCatalog = []string{"SELECT", "WITH", "FROM", "VALUES", "INSERT", "UPDATE", "DELETE", "DESCRIBE", "CHECKPOINT"}

// mayChangeCatalog reports whether a statement text may change the
// tables and views of the database or their columns: unless it is one
// statement whose first keyword (after blanks, comments and opening
// parentheses) is in readOnlyCatalog, or one that creates a temporary
// table or a schema or drops a table of catalog temp, it may. A
// semicolon outside quotes and comments but at the end counts as a
// second statement (see secondStatement).
func mayChangeCatalog(query string) bool {
	q := query
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "--"):
			i := strings.IndexAny(q, "\n\r") // DuckDB ends a line comment at either
			if i < 0 {
				return true
			}
			q = q[i+1:]
			continue
		case strings.HasPrefix(q, "/*"):
			i := blockCommentEnd(q)
			if i < 0 {
				return true
			}
			q = q[i:]
			continue
		}
		break
	}
	end := len(q)
	for end > 0 && strings.ContainsRune(" \t\r\n;", rune(q[end-1])) {
		end--
	}
	if secondStatement(q[:end]) {
		return true
	}
	words := strings.Fields(strings.ToUpper(q[:min(end, 64)]))
	if len(words) == 0 {
		return true
	}
	word := words[0]
	if i := strings.IndexFunc(word, func(r rune) bool { return r < 'A' || r > 'Z' }); i >= 0 {
		word = word[:i]
	}
	if slices.Contains(readOnlyCatalog, word) {
		return false
	}
	if word == "SET" && computeSetting(words[1:]) {
		return false
	}
	// What lakebench's own statements change besides: temporary tables
	// (catalog temp, which the cache does not hold) and schemas (which
	// hold no table when created).
	if word == "CREATE" && len(words) > 1 {
		kind := words[1:]
		if len(kind) > 2 && kind[0] == "OR" && kind[1] == "REPLACE" {
			kind = kind[2:]
		}
		// A temporary table only: a temporary macro, view or sequence
		// is listed beside the database's (duckdb_functions() lists
		// every catalog's macros).
		if len(kind) > 1 && (kind[0] == "TEMP" || kind[0] == "TEMPORARY") && kind[1] == "TABLE" {
			return false
		}
		if kind[0] == "SCHEMA" {
			return false
		}
	}
	if word == "DROP" && len(words) > 2 && (words[1] == "TABLE" || words[1] == "VIEW") {
		name := words[2:]
		if len(name) > 2 && name[0] == "IF" && name[1] == "EXISTS" {
			name = name[2:]
		}
		if len(name) == 1 && strings.HasPrefix(name[0], "TEMP.") && !strings.Contains(name[0], ",") {
			return false
		}
	}
	return true
}

// computeSettings are the DuckDB settings of the machine's resources
// that lakebench sets as it runs (UseThreads shares the threads among a
// run's tasks several times a run): a SET of one changes no table, view
// or function. Treated as a possible change, each moved the catalog's
// and the functions' clocks, and the next task read both again (a scan
// of DuckDB's three thousand functions, 14-22 ms).
var computeSettings = []string{"THREADS", "WORKER_THREADS", "MEMORY_LIMIT", "MAX_MEMORY"}

// computeSetting says whether the words after SET (upper-cased, as
// mayChangeCatalog reads them) set one of computeSettings: an optional
// GLOBAL or SESSION, then its name, unquoted, followed by = or TO.
func computeSetting(words []string) bool {
	if len(words) > 0 && (words[0] == "GLOBAL" || words[0] == "SESSION") {
		words = words[1:]
	}
	if len(words) == 0 {
		return false
	}
	name, rest := words[0], ""
	if i := strings.IndexFunc(name, func(r rune) bool { return (r < 'A' || r > 'Z') && r != '_' }); i >= 0 {
		name, rest = name[:i], name[i:]
	}
	if !slices.Contains(computeSettings, name) {
		return false
	}
	if rest == "" && len(words) > 1 {
		rest = words[1]
	}
	return strings.HasPrefix(rest, "=") || rest == "TO"
}

// catalog is the catalog the transaction sees, read once per catalog
// change: the lakehouse's kept one while it may take it. The caller
// must not change it.
func (c *catalogTx) catalog(ctx context.Context) (*catalogSnap, error) {
	c.mu.Lock()
	snap, changed, touches := c.snap, c.changed, c.touches
	c.mu.Unlock()
	if snap != nil {
		return snap, nil
	}
	kept := c.keptCat != nil && !changed
	if kept {
		snap, kept = c.keptCat.get(c.catAt)
	}
	if !kept {
		var err error
		if snap, err = readCatalogSnap(ctx, c.Tx); err != nil {
			return nil, err
		}
		if c.keptCat != nil && !changed {
			c.keptCat.keep(c.catAt, snap)
		}
	}
	c.mu.Lock()
	if c.touches == touches {
		c.snap = snap
	}
	c.mu.Unlock()
	return snap, nil
}

// relations is the set of tables and views the transaction sees, read
// once per catalog change (see catalog), with their kinds (relTable,
// relView). The caller must not change the map.
func (c *catalogTx) relations(ctx context.Context) (map[TableName]byte, error) {
	snap, err := c.catalog(ctx)
	if err != nil {
		return nil, err
	}
	return snap.rels, nil
}

// columns is tableColumns, read once per catalog change (see catalog).
func (c *catalogTx) columns(ctx context.Context, t TableName) ([]Column, error) {
	snap, err := c.catalog(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(snap.cols[t]), nil
}

// viewCounts is viewsNamed's look-up of the views of database catalog
// (lower-cased names, with how many views share each), read once per
// catalog change. The caller must not change the map.
func (c *catalogTx) viewCounts(ctx context.Context, catalog string) (map[TableName]int, error) {
	c.mu.Lock()
	counts, ok := c.views[catalog]
	snap, changed, touches := c.snap, c.changed, c.touches
	c.mu.Unlock()
	if ok {
		return counts, nil
	}
	if snap == nil && c.keptCat != nil && !changed {
		snap, _ = c.keptCat.get(c.catAt)
	}
	var err error
	if snap != nil && snap.db == catalog {
		// The catalog at hand lists the views of that database as
		// duckdb_views() does (a temporary view is in catalog temp):
		// no statement to ask them again.
		counts = snap.viewCounts()
	} else if counts, err = readViewCounts(ctx, c.Tx, catalog); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.touches != touches {
		c.mu.Unlock()
		return counts, nil // a statement since may have changed them
	}
	if c.views == nil {
		c.views = map[string]map[TableName]int{}
	}
	c.views[catalog] = counts
	c.mu.Unlock()
	return counts, nil
}

// userFunction is a function of duckdb_functions() that is not
// internal: a macro a statement created (CREATE MACRO, CREATE FUNCTION).
type userFunction struct {
	name, kind, stability string // stability "" for NULL
}

// userFunctionWhere are the conditions functionNames is asked with,
// each as it holds of a userFunction: a macro's stability is NULL and
// its type macro or table_macro, but the test of each condition
// (TestUserFunctionWhere) compares it with DuckDB's answer.
var userFunctionWhere = map[string]func(userFunction) bool{
	"NOT internal":                func(userFunction) bool { return true },
	volatileWhere:                 func(f userFunction) bool { return f.stability != "" && f.stability != "CONSISTENT" },
	"function_type = 'aggregate'": func(f userFunction) bool { return f.kind == "aggregate" },
}

// userFunctions are the lower-cased names of the functions that are not
// internal and that where selects, from the catalog's macros read once
// per catalog change; ok is false for a where not in
// userFunctionWhere.
func (c *catalogTx) userFunctions(ctx context.Context, where string) (names map[string]bool, ok bool, err error) {
	keep, ok := userFunctionWhere[where]
	if !ok {
		return nil, false, nil
	}
	c.mu.Lock()
	fns, read := c.fns, c.fnsRead
	c.mu.Unlock()
	if !read && c.kept != nil {
		fns, read = c.kept.get(c.keptAt)
	}
	if !read {
		if fns, err = readUserFunctions(ctx, c.Tx); err != nil {
			return nil, true, err
		}
		if c.kept != nil {
			c.kept.keep(c.keptAt, fns)
		}
		c.mu.Lock()
		c.fns, c.fnsRead = fns, true
		c.mu.Unlock()
	}
	names = map[string]bool{}
	for _, f := range fns {
		if keep(f) {
			names[f.name] = true
		}
	}
	return names, true, nil
}

// readUserFunctions lists the functions of duckdb_functions() that are
// not internal.
func readUserFunctions(ctx context.Context, e execer) ([]userFunction, error) {
	// Lower-cased here, not by lower(): a macro may be named lower.
	rows, err := e.QueryContext(ctx, `SELECT DISTINCT function_name, function_type, coalesce(stability, '')
		FROM duckdb_functions() WHERE NOT internal`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []userFunction
	for rows.Next() {
		var f userFunction
		if err := rows.Scan(&f.name, &f.kind, &f.stability); err != nil {
			return nil, err
		}
		f.name = strings.ToLower(f.name)
		out = append(out, f)
	}
	return out, rows.Err()
}

// secondStatement says whether q, a statement text without trailing
// blanks or semicolons, may hold a second statement: a semicolon outside
// its quoted strings, quoted names and comments, or anywhere when the
// text has a backslash or a dollar sign (escape strings, E'...', and
// dollar-quoted ones, which this does not read), or a string, name or
// comment it does not close.
func secondStatement(q string) bool {
	if strings.ContainsAny(q, "\\$") {
		return strings.ContainsRune(q, ';')
	}
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] == ';':
			return true
		case q[i] == '\'' || q[i] == '"':
			// Closed by the same quote not doubled.
			quote := q[i]
			j := i + 1
			for {
				k := strings.IndexByte(q[j:], quote)
				if k < 0 {
					return true
				}
				j += k + 1
				if j < len(q) && q[j] == quote {
					j++
					continue
				}
				break
			}
			i = j - 1
		case strings.HasPrefix(q[i:], "--"):
			k := strings.IndexAny(q[i:], "\n\r") // DuckDB ends a line comment at either
			if k < 0 {
				return false // a comment to the end
			}
			i += k
		case strings.HasPrefix(q[i:], "/*"):
			// Not nested: a comment DuckDB nests ends later than
			// here, so less of the text is skipped, never more.
			k := strings.Index(q[i+2:], "*/")
			if k < 0 {
				return true
			}
			i += k + 3
		}
	}
	return false
}

// blockCommentEnd is the length of the block comment q begins with
// ("/*"), nested as DuckDB's lexer (Postgres's) nests them, or -1 when
// it is not closed.
func blockCommentEnd(q string) int {
	depth := 0
	for i := 0; i+1 < len(q); i++ {
		switch {
		case q[i] == '/' && q[i+1] == '*':
			depth++
			i++
		case q[i] == '*' && q[i+1] == '/':
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}
