package lakehouse

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// The tables and views of the database, with their columns, are read once
// per process while no statement may have changed them, not once per
// transaction: a daily run's tasks asked DuckDB's catalog (duckdb_tables,
// duckdb_columns, pragma_table_info) about 170 times, each transaction
// about the same tables of the same catalog, while two of its statements
// changed it.
//
// catalogClock moves as functionClock does (see there), around every
// statement that may change the catalog (mayChangeCatalog): an autocommit
// statement around its run, one in a transaction at that statement and
// again when the transaction has committed or rolled back. A read taken
// while no change was under way, with the clock still where it was after
// the read, is the committed catalog of that generation, which a
// transaction that began at that generation with no change under way
// also sees, until one of its own statements may change it (catalogTx
// then reads its own). A connection on which a statement ran that may
// change what current_database() names (USE, SET, ...: catalogTaints)
// neither takes nor keeps a read.
var catalogClock changeClock

// catalogSnap is one read of the database's catalog: its tables and
// views (relTable, relView), and the columns of each, in order. It is
// never changed once read.
type catalogSnap struct {
	db   string // current_database(), whose catalog it is
	rels map[TableName]byte
	cols map[TableName][]Column
}

// viewCounts are the views of the snapshot's database as readViewCounts
// counts them: by lower-cased name, with how many share it.
func (s *catalogSnap) viewCounts() map[TableName]int {
	counts := map[TableName]int{}
	for t, kind := range s.rels {
		if kind == relView {
			counts[TableName{Schema: strings.ToLower(t.Schema), Name: strings.ToLower(t.Name)}]++
		}
	}
	return counts
}

// width is the width of a row of table t (typeWidth of its columns'
// types); 0 for a name not listed.
func (s *catalogSnap) width(t TableName) int64 {
	var w int64
	for _, c := range s.cols[t] {
		w += typeWidth(c.Type)
	}
	return w
}

// catalogSnapSQL names the database (current_database()) and lists its
// tables and views (as relationsSQL) and every column of each (as
// readTableColumns), in one statement.
const catalogSnapSQL = `SELECT current_database(), '', 'd', NULL, NULL, NULL
	UNION ALL SELECT schema_name, table_name, 't', NULL, NULL, NULL FROM duckdb_tables() WHERE database_name = current_database()
	UNION ALL SELECT schema_name, view_name, 'v', NULL, NULL, NULL FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
	UNION ALL SELECT schema_name, table_name, 'c', column_name, data_type, column_index FROM duckdb_columns() WHERE database_name = current_database()`

// catalogReads counts readCatalogSnap's reads, for the tests.
var catalogReads atomic.Int64

// readCatalogSnap reads the catalog as e sees it.
func readCatalogSnap(ctx context.Context, e execer) (*catalogSnap, error) {
	catalogReads.Add(1)
	rows, err := e.QueryContext(ctx, catalogSnapSQL)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: catalog: %w", err)
	}
	defer rows.Close()
	type col struct {
		Column
		at int64
	}
	s := &catalogSnap{rels: map[TableName]byte{}, cols: map[TableName][]Column{}}
	cols := map[TableName][]col{}
	for rows.Next() {
		var t TableName
		var kind string
		var name, typ sql.NullString
		var at sql.NullInt64
		if err := rows.Scan(&t.Schema, &t.Name, &kind, &name, &typ, &at); err != nil {
			return nil, fmt.Errorf("lakehouse: catalog: %w", err)
		}
		switch kind {
		case "d":
			s.db = t.Schema
		case "c":
			cols[t] = append(cols[t], col{Column{Name: name.String, Type: typ.String}, at.Int64})
		default:
			s.rels[t] = kind[0]
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: catalog: %w", err)
	}
	for t, cs := range cols {
		slices.SortFunc(cs, func(a, b col) int { return cmp.Compare(a.at, b.at) })
		out := make([]Column, len(cs))
		for i, c := range cs {
			out[i] = c.Column
		}
		s.cols[t] = out
	}
	return s, nil
}

// keptCatalog is a lakehouse's read of the catalog, at a generation of
// catalogClock.
type keptCatalog struct {
	mu    sync.Mutex
	valid bool
	at    uint64
	snap  *catalogSnap
}

// get returns the read kept at generation at, if the clock is still
// there.
func (k *keptCatalog) get(at uint64) (*catalogSnap, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.valid || k.at != at || !catalogClock.still(at) {
		return nil, false
	}
	return k.snap, true
}

// keep keeps s, read at generation at with no change under way, if the
// clock is still there.
func (k *keptCatalog) keep(at uint64, s *catalogSnap) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if catalogClock.still(at) {
		k.valid, k.at, k.snap = true, at, s
	}
}

// catalog is the committed catalog, as kept or read on a connection of
// the pool (and kept, when it may be).
func (lh *Lakehouse) catalog(ctx context.Context) (*catalogSnap, error) {
	at, clean := catalogClock.start()
	if clean {
		if s, ok := lh.kept.get(at); ok {
			return s, nil
		}
	}
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: catalog: %w", err)
	}
	defer conn.Close()
	clean = clean && !connCatalogTainted(conn)
	s, err := readCatalogSnap(ctx, conn)
	if err != nil {
		return nil, err
	}
	if clean {
		lh.kept.keep(at, s)
	}
	return s, nil
}

// catalogSafe are the first words of the statements that may change the
// catalog but not what current_database() names on their connection.
var catalogSafe = []string{"CREATE", "DROP", "ALTER", "CHECKPOINT", "FORCE", "COMMENT", "ATTACH", "DETACH", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"}

// catalogTaints says whether a statement may change which database
// current_database() names on its connection: USE, a SET or RESET of
// schema or search_path (or of a setting it cannot read), PRAGMA, CALL,
// or anything not known not to. DDL and the SET GLOBAL of the
// lakehouse's compute settings do not.
func catalogTaints(query string) bool {
	words, single := statementWords(query)
	if !single {
		i := firstSemicolon(query)
		if i < 0 {
			return true
		}
		return catalogTaints(query[:i]) || catalogTaints(query[i+1:])
	}
	if !mayChangeCatalog(query) {
		return false // a query or DML
	}
	if len(words) == 0 {
		return strings.TrimSpace(leadingText(query)) != "" // "": nothing but blanks, comments, or one left open
	}
	if words[0] == "SET" || words[0] == "RESET" {
		name := words[1:]
		if len(name) > 0 && (name[0] == "GLOBAL" || name[0] == "SESSION" || name[0] == "LOCAL") {
			name = name[1:]
		}
		return len(name) == 0 || name[0] == "SCHEMA" || name[0] == "SEARCH"
	}
	return !slices.Contains(catalogSafe, words[0])
}

// firstSemicolon is the place of the first semicolon of q outside its
// quoted strings, quoted names and comments, read as secondStatement
// reads them; -1 when there is none or q has what it does not read (a
// backslash or dollar sign, a string, name or comment left open).
func firstSemicolon(q string) int {
	if strings.ContainsAny(q, "\\$") {
		return -1
	}
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] == ';':
			return i
		case q[i] == '\'' || q[i] == '"':
			quote := q[i]
			j := i + 1
			for {
				k := strings.IndexByte(q[j:], quote)
				if k < 0 {
					return -1
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
			k := strings.IndexAny(q[i:], "\n\r")
			if k < 0 {
				return -1
			}
			i += k
		case strings.HasPrefix(q[i:], "/*"):
			k := blockCommentEnd(q[i:])
			if k < 0 {
				return -1
			}
			i += k - 1
		}
	}
	return -1
}

// catalogMayChange is called before a statement runs on the connection:
// when it may change the catalog it moves catalogClock (and marks the
// connection when it may change its current database), and returns what
// to call once the statement has ended.
func (c *cleanConn) catalogMayChange(query string) (ended func()) {
	if !mayChangeCatalog(query) {
		return func() {}
	}
	if catalogTaints(query) {
		c.catalogTainted = true
	}
	if c.inTx {
		if !c.txCatalogChanges {
			c.txCatalogChanges = true
			catalogClock.change()
		}
		return func() {}
	}
	catalogClock.change()
	return catalogClock.changed
}

// connCatalogTainted says whether conn may name another database than
// its lakehouse's by current_database(): true unless it is a cleanConn
// on which no statement that may change that ran.
func connCatalogTainted(conn interface {
	Raw(func(any) error) error
}) bool {
	tainted := true
	conn.Raw(func(dc any) error {
		if c, ok := dc.(*cleanConn); ok {
			tainted = c.catalogTainted
		}
		return nil
	})
	return tainted
}
