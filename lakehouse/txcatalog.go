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
	mu   sync.Mutex
	rels map[TableName]bool // nil: not read since the last catalog change
	cols map[TableName][]Column
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
	c.rels, c.cols = nil, nil
	c.mu.Unlock()
}

// readOnlyCatalog are the first keywords of statements that cannot create,
// drop, rename or alter a table or view: queries and DML. EXPLAIN is not
// one (EXPLAIN ANALYZE runs its statement), nor PRAGMA, CALL, SET, COPY,
// ATTACH or anything else.
var readOnlyCatalog = []string{"SELECT", "WITH", "FROM", "VALUES", "INSERT", "UPDATE", "DELETE", "DESCRIBE"}

// mayChangeCatalog reports whether a statement text may change the
// tables and views of the database or their columns: unless it is one
// statement whose first keyword (after blanks, comments and opening
// parentheses) is in readOnlyCatalog, or one that creates a temporary
// table or a schema or drops a table of catalog temp, it may. A
// semicolon anywhere but at the end counts as a second statement.
func mayChangeCatalog(query string) bool {
	q := query
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "--"):
			i := strings.IndexByte(q, '\n')
			if i < 0 {
				return true
			}
			q = q[i+1:]
			continue
		case strings.HasPrefix(q, "/*"):
			i := strings.Index(q, "*/")
			if i < 0 {
				return true
			}
			q = q[i+2:]
			continue
		}
		break
	}
	end := len(q)
	for end > 0 && strings.ContainsRune(" \t\r\n;", rune(q[end-1])) {
		end--
	}
	if strings.ContainsRune(q[:end], ';') {
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
	// What lakebench's own statements change besides: temporary tables
	// (catalog temp, which the cache does not hold) and schemas (which
	// hold no table when created).
	if word == "CREATE" && len(words) > 1 {
		kind := words[1:]
		if len(kind) > 2 && kind[0] == "OR" && kind[1] == "REPLACE" {
			kind = kind[2:]
		}
		if kind[0] == "TEMP" || kind[0] == "TEMPORARY" || kind[0] == "SCHEMA" {
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

// relationsSQL lists the tables and views of the database.
const relationsSQL = `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()
		UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal`

// relations is the set of tables and views the transaction sees, read
// once per catalog change. The caller must not change the map.
func (c *catalogTx) relations(ctx context.Context) (map[TableName]bool, error) {
	c.mu.Lock()
	rels := c.rels
	c.mu.Unlock()
	if rels != nil {
		return rels, nil
	}
	rows, err := c.Tx.QueryContext(ctx, relationsSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rels = map[TableName]bool{}
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			return nil, err
		}
		rels[t] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.rels = rels
	c.mu.Unlock()
	return rels, nil
}

// columns is tableColumns, read once per table and catalog change.
func (c *catalogTx) columns(ctx context.Context, t TableName) ([]Column, error) {
	c.mu.Lock()
	cols, ok := c.cols[t]
	c.mu.Unlock()
	if ok {
		return slices.Clone(cols), nil
	}
	cols, err := readTableColumns(ctx, c.Tx, t)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.cols == nil {
		c.cols = map[TableName][]Column{}
	}
	c.cols[t] = cols
	c.mu.Unlock()
	return slices.Clone(cols), nil
}
