package lakehouse

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Completion for a SQL editor. DuckDB's bundled sql_auto_complete knows the
// grammar: which keywords may come next, and whether a table or a column
// is expected where the cursor is. It also knows every name in the
// catalog, past any grant, and lists files inside a string: so it is asked
// only by lakebench's own code (user SQL calling it is refused, see
// access_test.go), only its keywords are passed on as they are, and every
// schema, table and column suggested comes from what the principal may
// read (Catalog, the listing Query's checks agree with): a name the
// principal may not read is never suggested, whatever DuckDB offers.
// Functions are DuckDB's built-in ones (duckdb_functions), with their
// signature.

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

// The kinds of suggestions.
const (
	KindKeyword  = "keyword"
	KindFunction = "function"
	KindSchema   = "schema"
	KindTable    = "table"
	KindColumn   = "column"
)

// completionNames is what a principal may be told of the catalog: the
// tables it may read, with their columns and estimated rows.
type completionNames struct {
	principal string
	// owner is true when the principal may do everything (lakebench
	// itself, the owner, an ungoverned target): it may call every table
	// function.
	owner   bool
	tables  []TableInfo
	schemas map[string]int // readable tables per schema
	// columns maps a column name (lower case) to the tables having it.
	columns map[string][]columnOf
}

type columnOf struct {
	table *TableInfo
	typ   string
}

// builtins are DuckDB's own functions and reserved keywords: the same for
// every database of this DuckDB, so read once per process.
type builtins struct {
	funcs    map[string]*function // by lower-case name
	names    []string             // funcs' keys, sorted
	reserved map[string]bool
}

// function is a built-in function: its first signature and how many
// others it has.
type function struct {
	name, kind, signature string
	overloads             int
}

var (
	builtinsMu  sync.Mutex
	builtinsVal *builtins
)

// loadBuiltins reads DuckDB's built-in functions and keywords, once
// read whole.
func (lh *Lakehouse) loadBuiltins(ctx context.Context) (*builtins, error) {
	return loadBuiltins(ctx, lh.db)
}

func loadBuiltins(ctx context.Context, db *sql.DB) (*builtins, error) {
	builtinsMu.Lock()
	defer builtinsMu.Unlock()
	if builtinsVal != nil {
		return builtinsVal, nil
	}
	b, err := readBuiltins(ctx, db)
	if err != nil {
		return nil, err
	}
	builtinsVal = b
	return b, nil
}

// readBuiltins reads them (see loadBuiltins).
func readBuiltins(ctx context.Context, db *sql.DB) (*builtins, error) {
	b := &builtins{funcs: map[string]*function{}, reserved: map[string]bool{}}
	rows, err := db.QueryContext(ctx, `SELECT function_name, function_type, coalesce(return_type, ''),
			coalesce(parameters, []), coalesce(parameter_types, []), coalesce(varargs, '')
		FROM duckdb_functions() WHERE database_name = 'system' AND function_type IN ('scalar', 'aggregate', 'macro', 'table', 'table_macro')
		ORDER BY function_name, function_oid`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: complete: read functions: %w", err)
	}
	for rows.Next() {
		var name, kind, ret, varargs string
		var params, types []any
		if err := rows.Scan(&name, &kind, &ret, &params, &types, &varargs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lakehouse: complete: read functions: %w", err)
		}
		key := strings.ToLower(name)
		if f, ok := b.funcs[key]; ok {
			f.overloads++
			continue
		}
		b.funcs[key] = &function{name: name, kind: kind, signature: signature(name, params, types, varargs, ret)}
		b.names = append(b.names, key) // in order: ORDER BY function_name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: complete: read functions: %w", err)
	}
	krows, err := db.QueryContext(ctx, "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'")
	if err != nil {
		return nil, fmt.Errorf("lakehouse: complete: read keywords: %w", err)
	}
	defer krows.Close()
	for krows.Next() {
		var k string
		if err := krows.Scan(&k); err == nil {
			b.reserved[strings.ToLower(k)] = true
		}
	}
	return b, krows.Err()
}

// signature is how a function is called: "name(param TYPE, ...) → TYPE".
func signature(name string, params, types []any, varargs, ret string) string {
	var b strings.Builder
	b.WriteString(name + "(")
	for i, p := range params {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, p)
		if i < len(types) && types[i] != nil && fmt.Sprint(types[i]) != "" {
			fmt.Fprintf(&b, " %v", types[i])
		}
	}
	if varargs != "" {
		if len(params) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(varargs + "...")
	}
	b.WriteString(")")
	if ret != "" {
		b.WriteString(" → " + ret)
	}
	return b.String()
}

// completionCatalog is what the session's principal may be told of the
// catalog (see completionNames). The listing is Catalog's, audited as any
// listing. A read-only session reads it once (no writer can change the
// file while it is open); a writer reads it at each completion.
func (lh *Lakehouse) completionCatalog(ctx context.Context) (*completionNames, error) {
	lh.completeMu.Lock()
	defer lh.completeMu.Unlock()
	if c := lh.completion; c != nil && c.principal == lh.principal && lh.readOnly {
		return c, nil
	}
	tables, err := lh.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := lh.owner(ctx)
	if err != nil {
		return nil, err
	}
	c := &completionNames{principal: lh.principal, owner: lh.principal == "" || owner == "" || owner == lh.principal,
		tables: tables, schemas: map[string]int{}, columns: map[string][]columnOf{}}
	for i := range c.tables {
		t := &c.tables[i]
		c.schemas[t.Schema]++
		for _, col := range t.Columns {
			k := strings.ToLower(col.Name)
			c.columns[k] = append(c.columns[k], columnOf{table: t, typ: col.Type})
		}
	}
	lh.completion = c
	return c, nil
}

// table finds a readable table by its schema and name, as written (case
// folded, quotes removed).
func (c *completionNames) table(schema, name string) *TableInfo {
	for i := range c.tables {
		t := &c.tables[i]
		if strings.EqualFold(t.Schema, schema) && strings.EqualFold(t.Table, name) {
			return t
		}
	}
	return nil
}

// Complete suggests completions for sqlBefore, the text before the cursor,
// at most limit (0: 50): DuckDB's sql_auto_complete (keywords, functions,
// schemas, tables, columns), limited to what the principal may read.
// Columns of the tables the statement names come first; inside a string
// or a comment nothing is suggested.
func (lh *Lakehouse) Complete(ctx context.Context, sqlBefore string, limit int) ([]Suggestion, error) {
	if limit <= 0 {
		limit = 50
	}
	cur, ok := scanCursor(sqlBefore)
	if !ok {
		return nil, nil
	}
	owner, err := lh.owner(ctx)
	if err != nil {
		return nil, err
	}
	if lh.principal != "" && owner != "" && lh.principal != owner {
		// As any statement of this principal: nothing it runs, DuckDB's
		// completion included, reaches a file.
		if err := lh.sandbox(ctx); err != nil {
			return nil, err
		}
	}
	names, err := lh.completionCatalog(ctx)
	if err != nil {
		return nil, err
	}
	return complete(ctx, lh.db, names, cur, limit)
}

// complete is Complete at cur with names, DuckDB's completion asked of db.
func complete(ctx context.Context, db *sql.DB, names *completionNames, cur cursor, limit int) ([]Suggestion, error) {
	bi, err := loadBuiltins(ctx, db)
	if err != nil {
		return nil, err
	}
	duck, err := autoComplete(ctx, db, cur.statement)
	if err != nil {
		return nil, err
	}
	s := &suggester{names: names, builtins: bi, cur: cur, seen: map[string]bool{}}
	s.suggest(duck)
	slices.SortStableFunc(s.out, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.miss, b.miss), cmp.Compare(s.class(a), s.class(b)), cmp.Compare(a.score, b.score), cmp.Compare(a.rank, b.rank))
	})
	out := make([]Suggestion, 0, min(limit, len(s.out)))
	for _, r := range s.out[:min(limit, len(s.out))] {
		out = append(out, r.Suggestion)
	}
	return out, nil
}

// Completer completes SQL as Complete does on the lakehouse it was made
// from, without that lakehouse: it holds what the principal may be told
// of the catalog, taken once, and a private in-memory DuckDB with empty
// tables of those names for DuckDB's own completion, so a kept Completer
// never holds the target's file (DuckDB's read lock would refuse other
// processes' writers), as ResultStore does for results. A completion
// costs the same as on a kept session (BenchmarkCompleteReopen: a
// session opened for each completion costs about 40 times as much). It
// does not see later changes of the catalog: make a new one then.
type Completer struct {
	db    *sql.DB
	names *completionNames
}

// NewCompleter takes what lh's principal may be told of the catalog, as
// Complete does (the listing is audited once), into a new Completer;
// Close releases it.
func (lh *Lakehouse) NewCompleter(ctx context.Context) (*Completer, error) {
	names, err := lh.completionCatalog(ctx)
	if err != nil {
		return nil, err
	}
	// The catalog's shape, every table's and view's names (as the
	// session's DuckDB knows them: its completion depends on them; the
	// suggester keeps only what names holds), under the target's catalog
	// name.
	var catalog string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_database()").Scan(&catalog); err != nil {
		return nil, fmt.Errorf("lakehouse: a completer: %w", err)
	}
	shape, err := queryOn(ctx, lh.db, `SELECT schema_name, table_name, list(column_name ORDER BY column_index)
		FROM duckdb_columns() WHERE database_name = current_database() GROUP BY ALL ORDER BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: a completer: %w", err)
	}
	connector, err := newConnector("", false)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: a completer: %w", err)
	}
	c := &Completer{db: sql.OpenDB(connector), names: names}
	c.db.SetMaxOpenConns(1)
	stmts := []string{"SET GLOBAL threads = 1"}
	if catalog != "memory" {
		stmts = append(stmts, "ATTACH ':memory:' AS "+QuoteIdent(catalog), "USE "+QuoteIdent(catalog))
	}
	schemas := map[string]bool{"main": true}
	for _, r := range shape.Rows {
		schema, table := fmt.Sprint(r[0]), fmt.Sprint(r[1])
		if !schemas[strings.ToLower(schema)] {
			schemas[strings.ToLower(schema)] = true
			stmts = append(stmts, "CREATE SCHEMA "+QuoteIdent(schema))
		}
		list, _ := r[2].([]any)
		cols := make([]string, 0, len(list))
		for _, col := range list {
			cols = append(cols, QuoteIdent(fmt.Sprint(col))+" VARCHAR") // completion needs the names alone
		}
		if len(cols) == 0 {
			continue
		}
		stmts = append(stmts, "CREATE TABLE "+QuoteIdent(schema)+"."+QuoteIdent(table)+" ("+strings.Join(cols, ", ")+")")
	}
	stmts = append(stmts, "SET GLOBAL enable_external_access = false", "SET GLOBAL lock_configuration = true")
	for _, q := range stmts {
		if _, err := c.db.ExecContext(ctx, q); err != nil {
			c.db.Close()
			return nil, fmt.Errorf("lakehouse: a completer: %w", err)
		}
	}
	return c, nil
}

// Complete is Lakehouse.Complete, on what the Completer took.
func (c *Completer) Complete(ctx context.Context, sqlBefore string, limit int) ([]Suggestion, error) {
	if limit <= 0 {
		limit = 50
	}
	cur, ok := scanCursor(sqlBefore)
	if !ok {
		return nil, nil
	}
	return complete(ctx, c.db, c.names, cur, limit)
}

// Close releases the Completer's DuckDB.
func (c *Completer) Close() error { return c.db.Close() }

// duckSuggestion is a row of sql_auto_complete.
type duckSuggestion struct {
	text, kind string
	score      int64
}

// autoComplete asks DuckDB's sql_auto_complete for a statement's
// completions: lakebench's own call, never the user's SQL.
func autoComplete(ctx context.Context, db *sql.DB, statement string) ([]duckSuggestion, error) {
	rows, err := db.QueryContext(ctx, "SELECT suggestion, suggestion_type, suggestion_score FROM sql_auto_complete(?::VARCHAR)", statement)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: complete: %w", err)
	}
	defer rows.Close()
	var out []duckSuggestion
	for rows.Next() {
		var d duckSuggestion
		if err := rows.Scan(&d.text, &d.kind, &d.score); err != nil {
			return nil, fmt.Errorf("lakehouse: complete: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: complete: %w", err)
	}
	return out, nil
}

// ranked is a suggestion with what orders it: one that only contains
// the word typed (miss 1) after those that start with it, then DuckDB's
// score, then by kind (rank), then in the order they came (the catalog's,
// DuckDB's).
type ranked struct {
	Suggestion
	miss  int
	score int64
	rank  int
}

// The ranks of kinds: the columns of the tables the statement names come
// first.
const (
	rankNamedColumn = iota
	rankTable
	rankSchema
	rankKeyword
	rankColumn
	rankFunction
	// A column only system tables have, in a statement naming none:
	// after the functions (sys.profile_metrics' count does not hide
	// count()).
	rankSystemColumn
)

// suggester gathers the suggestions of one completion.
type suggester struct {
	names    *completionNames
	builtins *builtins
	cur      cursor
	seen     map[string]bool
	out      []ranked
	// wantColumns is set where DuckDB expects a column.
	wantColumns bool
}

// class puts, where DuckDB expects a column (after SELECT, WHERE, ON,
// BY, ...), the columns of the tables the statement names first and the
// other readable tables' columns next, whatever DuckDB's scores say of
// keywords, functions and tables; elsewhere every suggestion is of one
// class and DuckDB's scores order them.
func (s *suggester) class(r ranked) int {
	switch {
	case !s.wantColumns:
		return 0
	case r.rank == rankNamedColumn:
		return 0
	case r.rank == rankColumn:
		return 1
	}
	return 2
}

func (s *suggester) add(text, kind, detail string, score int64, rank int) {
	key := kind + "\x00" + text
	if s.seen[key] {
		return
	}
	miss := s.match(text, kind)
	if miss < 0 {
		return
	}
	s.seen[key] = true
	s.out = append(s.out, ranked{Suggestion{Text: text, Kind: kind, Detail: detail}, miss, score, rank})
}

// match is how text matches the word typed: 0 when it starts with it (a
// table also by its name alone: "or" finds silver.orders), 1 when it
// contains it, -1 when it does not (DuckDB's fuzzy guesses are dropped).
func (s *suggester) match(text, kind string) int {
	word := strings.ToLower(s.cur.word)
	bare := strings.ToLower(strings.ReplaceAll(text, `"`, ""))
	switch {
	case word == "" || strings.HasPrefix(bare, word):
		return 0
	case kind == KindTable && strings.Contains(bare, "."+word):
		return 0
	case kind != KindKeyword && strings.Contains(bare, word):
		return 1
	}
	return -1
}

// suggest turns DuckDB's suggestions into the principal's: keywords pass;
// where DuckDB expects a table or a column, the readable ones are offered
// instead of the names it found.
func (s *suggester) suggest(duck []duckSuggestion) {
	wantTables, wantColumns := false, false
	for _, d := range duck {
		switch d.kind {
		case "table", "schema", "catalog":
			wantTables = true
		case "column":
			wantColumns = true
		}
	}
	s.wantColumns = wantColumns
	if q := s.cur.qualifier; len(q) > 0 {
		s.qualified(q)
		return
	}
	if wantTables {
		for i := range s.names.tables {
			schema := s.names.tables[i].Schema
			n := s.names.schemas[schema]
			s.add(s.ident(schema)+".", KindSchema, plural(int64(n), "1 table", fmt.Sprintf("%d tables", n)), 0, rankSchema)
		}
		for i := range s.names.tables {
			t := &s.names.tables[i]
			s.add(s.ident(t.Schema)+"."+s.ident(t.Table), KindTable, rowsDetail(t), 0, rankTable)
		}
	}
	if wantColumns {
		for _, t := range s.cur.namedTables(s.names) {
			for _, c := range t.Columns {
				s.add(s.ident(c.Name), KindColumn, c.Type+" · "+t.Name, 0, rankNamedColumn)
			}
		}
	}
	for _, d := range duck {
		text := strings.TrimRight(d.text, " ")
		switch d.kind {
		case "keyword":
			if plainIdent.MatchString(strings.ToLower(text)) { // not "(", "!=", ...
				s.add(text, KindKeyword, "", d.score, rankKeyword)
			}
		case "column":
			// A column DuckDB found anywhere: offered only as a column of
			// a table the principal may read.
			if of := s.names.columns[strings.ToLower(strings.Trim(text, `"`))]; len(of) > 0 {
				rank := rankSystemColumn
				for _, c := range of {
					if c.table.Schema != "sys" {
						rank = rankColumn
					}
				}
				s.add(s.ident(strings.Trim(text, `"`)), KindColumn, of[0].typ+" · "+of[0].table.Name, d.score, rank)
			}
		case "scalar_function", "aggregate_function", "function", "macro":
			if f := s.builtins.funcs[strings.ToLower(text)]; f != nil && f.kind != "table" && f.kind != "table_macro" {
				s.add(f.name, KindFunction, f.detail(), d.score, rankFunction)
			}
		case "table_function":
			// Those that read no table or file, or all for the owner
			// (the others are refused to anyone else).
			if f := s.builtins.funcs[strings.ToLower(text)]; f != nil && (s.names.owner || safeTableFunctions[strings.ToLower(f.name)]) {
				s.add(f.name, KindFunction, f.detail(), d.score, rankFunction)
			}
		}
		// Tables, schemas, catalogs and files DuckDB found are dropped:
		// the readable ones were added above.
	}
	if wantColumns && s.cur.word != "" {
		// Built-in functions DuckDB's fuzzy list left out.
		word := strings.ToLower(s.cur.word)
		for _, key := range s.builtins.names {
			if f := s.builtins.funcs[key]; strings.HasPrefix(key, word) && f.kind != "table" && f.kind != "table_macro" {
				s.add(f.name, KindFunction, f.detail(), 0, rankFunction)
			}
		}
	}
}

// qualified suggests what may follow "qualifier.": a readable schema's
// tables, or a named table's (or its alias's) columns; nothing for a name
// the principal may not read, so that none is confirmed to exist.
func (s *suggester) qualified(q []string) {
	if t := s.cur.resolve(s.names, q); t != nil {
		for _, c := range t.Columns {
			s.add(s.ident(c.Name), KindColumn, c.Type+" · "+t.Name, 0, rankNamedColumn)
		}
		return
	}
	schema := q[len(q)-1] // "schema." or "catalog.schema."
	for i := range s.names.tables {
		t := &s.names.tables[i]
		if strings.EqualFold(t.Schema, schema) {
			s.add(s.ident(t.Table), KindTable, rowsDetail(t), 0, rankTable)
		}
	}
}

func (f *function) detail() string {
	if f.overloads > 0 {
		return fmt.Sprintf("%s (+%d more)", f.signature, f.overloads)
	}
	return f.signature
}

func rowsDetail(t *TableInfo) string {
	rows := plural(t.Rows, "1 row", thousands(t.Rows)+" rows")
	if t.Estimated {
		return "~" + rows
	}
	return rows
}

// plainIdent is a name DuckDB reads without quotes (unless reserved).
var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ident writes a name as SQL needs it: bare when it can be, quoted else.
func (s *suggester) ident(name string) string {
	if plainIdent.MatchString(name) && !s.builtins.reserved[name] {
		return name
	}
	return QuoteIdent(name)
}

// cursor is what the text before the cursor says: the statement being
// written, the word being typed and the names before it ("a.b." of
// "a.b.wo").
type cursor struct {
	statement string
	word      string
	qualifier []string
	// tokens are the statement's before the word, for the tables it names.
	tokens []token
}

// token is a word of SQL: an identifier (quoted keeps its case) or a
// punctuation mark.
type token struct {
	text   string
	quoted bool
	punct  bool
}

// scanCursor reads sqlBefore up to its end; ok is false inside a string
// literal or a comment, where nothing is suggested.
func scanCursor(sqlBefore string) (cursor, bool) {
	var toks []token
	start := 0 // of the current statement
	i := 0
	n := len(sqlBefore)
	for i < n {
		c := sqlBefore[i]
		switch {
		case c == '\'':
			j := i + 1
			for {
				k := strings.IndexByte(sqlBefore[j:], '\'')
				if k < 0 {
					return cursor{}, false // inside a string
				}
				j += k + 1
				if j < n && sqlBefore[j] == '\'' {
					j++
					continue
				}
				break
			}
			toks = append(toks, token{text: "'", punct: true})
			i = j
		case c == '"':
			j := i + 1
			var b strings.Builder
			closed := false
			for j < n {
				if sqlBefore[j] == '"' {
					if j+1 < n && sqlBefore[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(sqlBefore[j])
				j++
			}
			toks = append(toks, token{text: b.String(), quoted: true})
			if !closed {
				// Typing a quoted name: it is the word.
				return cursorOf(sqlBefore[start:], toks, true), true
			}
			i = j
		case c == '-' && i+1 < n && sqlBefore[i+1] == '-':
			k := strings.IndexByte(sqlBefore[i:], '\n')
			if k < 0 {
				return cursor{}, false
			}
			i += k + 1
		case c == '/' && i+1 < n && sqlBefore[i+1] == '*':
			k := strings.Index(sqlBefore[i+2:], "*/")
			if k < 0 {
				return cursor{}, false
			}
			i += k + 4
		case c == ';':
			toks, start = nil, i+1
			i++
		case isIdentByte(c):
			j := i
			for j < n && isIdentByte(sqlBefore[j]) {
				j++
			}
			toks = append(toks, token{text: sqlBefore[i:j]})
			i = j
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			toks = append(toks, token{text: " ", punct: true})
			i++
		default:
			toks = append(toks, token{text: string(c), punct: true})
			i++
		}
	}
	return cursorOf(sqlBefore[start:], toks, false), true
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// cursorOf splits the statement's tokens into the word being typed (the
// last identifier, if the text ends in one), its qualifier and the rest.
func cursorOf(statement string, toks []token, open bool) cursor {
	c := cursor{statement: statement}
	end := len(toks)
	if end > 0 && !toks[end-1].punct && (open || !toks[end-1].quoted) {
		c.word = toks[end-1].text
		end--
	}
	for end >= 2 && toks[end-1].text == "." && toks[end-1].punct && !toks[end-2].punct {
		c.qualifier = append([]string{toks[end-2].text}, c.qualifier...)
		end -= 2
	}
	c.tokens = toks[:end]
	return c
}

// namedTables are the readable tables the statement names before the
// cursor, schema-qualified (a bare name reads schema main, which
// lakebench does not use).
func (c cursor) namedTables(names *completionNames) []*TableInfo {
	var out []*TableInfo
	for _, ref := range c.refs(names) {
		if !slices.Contains(out, ref.table) {
			out = append(out, ref.table)
		}
	}
	return out
}

// tableRef is a table the statement names, with its alias.
type tableRef struct {
	table *TableInfo
	alias string
}

// refs finds the statement's "schema.table [AS] alias" (or
// "catalog.schema.table") of readable tables.
func (c cursor) refs(names *completionNames) []tableRef {
	// Identifiers and dots, spaces dropped.
	var toks []token
	for _, t := range c.tokens {
		if t.text != " " || !t.punct {
			toks = append(toks, t)
		}
	}
	var out []tableRef
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].punct || toks[i+1].text != "." || !toks[i+1].punct || toks[i+2].punct {
			continue
		}
		if i > 0 && toks[i-1].text == "." && toks[i-1].punct {
			continue // the middle of a longer name: taken from its start
		}
		schema, name, next := toks[i].text, toks[i+2].text, i+3
		if next+1 < len(toks) && toks[next].text == "." && toks[next].punct && !toks[next+1].punct {
			schema, name, next = toks[i+2].text, toks[next+1].text, next+2 // catalog.schema.table
		}
		t := names.table(schema, name)
		if t == nil {
			continue
		}
		ref := tableRef{table: t}
		if next < len(toks) && !toks[next].punct && strings.EqualFold(toks[next].text, "as") {
			next++
		}
		if next < len(toks) && !toks[next].punct && !isClauseWord(toks[next].text) {
			ref.alias = toks[next].text
		}
		out = append(out, ref)
		i = next - 1
	}
	return out
}

// isClauseWord reports whether a word after a table starts the next
// clause rather than naming an alias.
func isClauseWord(w string) bool {
	switch strings.ToLower(w) {
	case "where", "join", "left", "right", "inner", "outer", "full", "cross", "natural", "on", "using", "group", "order",
		"having", "limit", "offset", "union", "except", "intersect", "qualify", "window", "positional", "asof", "anti",
		"semi", "lateral", "sample", "tablesample", "set", "returning", "values", "select", "pivot", "unpivot":
		return true
	}
	return false
}

// resolve finds the readable table a qualifier names: "schema.table",
// "catalog.schema.table", or an alias or table name the statement gave.
func (c cursor) resolve(names *completionNames, q []string) *TableInfo {
	n := len(q)
	if n >= 2 {
		return names.table(q[n-2], q[n-1])
	}
	for _, ref := range c.refs(names) {
		if strings.EqualFold(ref.alias, q[0]) || (ref.alias == "" && strings.EqualFold(ref.table.Table, q[0])) {
			return ref.table
		}
	}
	return nil
}

// thousands writes n with comma separators.
func thousands(n int64) string { return GroupDigits(strconv.FormatInt(n, 10)) }
