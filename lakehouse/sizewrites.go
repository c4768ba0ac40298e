package lakehouse

import (
	"regexp"
	"strings"
)

// The sizes of the tables (catalogSizes) are read again after a commit
// that may have changed a table's rows, not after every commit: a daily
// run with nothing new commits a transaction per task that writes only
// lakebench's records in sys (its task run, usage, audit, counts), and
// each such commit made the next task's start read every table's size
// again. A transaction's statements are classed as they run on its
// connection (cleanConn.tablesMayChange); anything not known to leave
// the database's tables' rows as they were counts as a write.

// sysWrite is an INSERT, UPDATE or DELETE of a table of schema sys,
// named plainly (lakebench's own records).
var sysWrite = regexp.MustCompile(`^(?i:(INSERT\s+(OR\s+(REPLACE|IGNORE)\s+)?INTO|UPDATE|DELETE\s+FROM)\s+sys\.)`)

// noTableWrite are statements that change no row of a table of the
// database: a SELECT or DESCRIBE, a temporary table made (in the
// temporary catalog, which duckdb_tables() of the database does not
// list) or one of lakebench's dropped, a schema made if missing.
var noTableWrite = regexp.MustCompile(`^(?i:SELECT\s|DESCRIBE\s|CREATE\s+(OR\s+REPLACE\s+)?TEMP(ORARY)?\s+TABLE\s|DROP\s+TABLE\s+(IF\s+EXISTS\s+)?temp\.(main\.|lb_)|CREATE\s+SCHEMA\s+IF\s+NOT\s+EXISTS\s)`)

// mayWriteTables says whether a statement may change the rows of a
// table of the database outside schema sys: true unless it is one
// statement that is a sysWrite or a noTableWrite.
func mayWriteTables(query string) bool {
	if _, single := statementWords(query); !single {
		return true
	}
	q := leadingText(query)
	if strings.HasPrefix(strings.TrimLeft(query, " \t\r\n"), "(") {
		return true // a statement in brackets: not one this reads
	}
	return !sysWrite.MatchString(q) && !noTableWrite.MatchString(q)
}

// tablesMayChange is called before a statement runs on the connection:
// in a transaction, one that may change a table's rows marks it.
func (c *cleanConn) tablesMayChange(query string) {
	if c.inTx && !c.txWrites && mayWriteTables(query) {
		c.txWrites = true
	}
}

// txWroteTables says whether a statement of the transaction open on
// conn may have changed a table's rows: true unless conn is a cleanConn
// whose transaction ran none.
func txWroteTables(conn interface {
	Raw(func(any) error) error
}) bool {
	wrote := true
	conn.Raw(func(dc any) error {
		if c, ok := dc.(*cleanConn); ok && c.inTx {
			wrote = c.txWrites
		}
		return nil
	})
	return wrote
}

// storedSizes are every table's rows as duckdb_tables() listed them at
// a count of writes that is still the lakehouse's.
type storedSizes map[TableName]int64

// sizesUnwritten are the sizes catalogSizes holds, if no commit that may
// have written a table came after their read and no statement of the
// transaction may have written one: each table's size is then what
// DuckDB estimates in the transaction. nil otherwise.
func (tx *Tx) sizesUnwritten() storedSizes {
	if txWroteTables(tx.conn) {
		return nil
	}
	c := &tx.lh.sizes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil || c.at != tx.lh.writes.Load() {
		return nil
	}
	return c.rows
}

// stored is the size of t as storedSizesSQL gives it: a table's own
// (outside the <schema>_data schemas), a view's the table storing its
// rows'; ok is false for anything else, or a table not listed.
func (s storedSizes) stored(t TableName, rels map[TableName]byte) (int64, bool) {
	if strings.HasSuffix(t.Schema, "_data") || strings.HasPrefix(t.Name, StagePrefix) {
		return 0, false
	}
	switch rels[t] {
	case relTable:
		n, ok := s[t]
		return n, ok
	case relView:
		n, ok := s[storeTable(t)]
		return n, ok
	}
	return 0, false
}
