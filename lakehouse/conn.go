package lakehouse

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// A query DuckDB began on a connection stays the connection's until its
// next statement, even when it never runs: duckdb-go begins a query
// (duckdb_pending_prepared) and returns without executing it when its
// context is canceled just then. Such a query holds its connection's
// client context, which holds the database instance: disconnecting does
// not free them, so the file stays open (and locked) for good, and
// DuckDB's instance cache spins forever in the next open of the same
// file in this process, waiting for that instance to go. A cleanConn
// runs SELECT 1 before it disconnects: DuckDB ends the connection's
// unfinished query before a statement starts
// (TestConnCloseEndsUnfinishedQuery).

// noExtensions is DuckDB's configuration, given when each instance is
// created, that keeps it from fetching or loading any extension by itself:
// lakebench runs on the extensions bundled into the binary (parquet, json,
// icu, core_functions, autocomplete), with no network. Left on, DuckDB
// downloads httpfs while merely binding SELECT * FROM 'https://...' (an
// access check binds every statement), and loads what it finds in the
// extension directory. INSTALL, LOAD and SET are refused on the plan
// besides (see analyzePlan), so no statement turns these back on.
var noExtensions = []string{
	"autoinstall_known_extensions=false",
	"autoload_known_extensions=false",
	"allow_community_extensions=false",
	"allow_unsigned_extensions=false",
}

// storageVersion is the storage format of the database files lakebench
// creates (DuckDB's storage_compatibility_version; a file keeps the
// format it was created with). DuckDB's default is still v0.10.2's, for
// older readers; lakebench's files are read by the DuckDB built into it,
// so they take this one's: its compression (dictionary and FSST
// together, roaring validity masks, ALP) made a daily run's checkpoint
// of the sample about 0.6 of the older format's, and the full build
// about 0.9 of its time.
const storageVersion = "v1.5.0"

// newConnector is duckdb.NewConnector with noExtensions: every DuckDB
// instance of lakebench is made here. path "" is a private in-memory one;
// readOnly opens the file read-only.
func newConnector(path string, readOnly bool) (*duckdb.Connector, error) {
	opts := append([]string{"storage_compatibility_version=" + storageVersion}, noExtensions...)
	if readOnly {
		opts = append([]string{"access_mode=read_only"}, opts...)
	}
	return duckdb.NewConnector(path+"?"+strings.Join(opts, "&"), nil)
}

// cleanConnector is duckdb-go's connector handing out cleanConns.
type cleanConnector struct{ *duckdb.Connector }

func (c cleanConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	conn, ok := dc.(*duckdb.Conn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("lakehouse: not a DuckDB connection: %T", dc)
	}
	return &cleanConn{Conn: conn}, nil
}

// cleanConn is a duckdb-go connection (every method of it) that ends
// DuckDB's unfinished query before it closes, and moves functionClock
// around statements that may change functions (fnclock.go).
type cleanConn struct {
	*duckdb.Conn
	// tainted says a statement that may change functions ran on the
	// connection (it may hold temporary macros); inTx that a
	// transaction is open on it, txChanges that one of its statements
	// may have changed functions.
	tainted, inTx, txChanges bool
	// catalogTainted and txCatalogChanges are the same of the catalog
	// (see catalogClock): a statement that may change what
	// current_database() names ran on it, one of the open
	// transaction's statements may have changed the catalog.
	catalogTainted, txCatalogChanges bool
	// txWrites says a statement of the open transaction may have
	// changed the rows of a table of the database (see mayWriteTables).
	txWrites bool
}

func (c *cleanConn) Close() error {
	c.Conn.ExecContext(context.Background(), "SELECT 1", nil) // its error is no matter: DuckDB ends the query first
	return c.Conn.Close()
}

// duckConn is duckdb-go's connection in a driver connection of a
// Lakehouse (database/sql's Conn.Raw hands over a cleanConn).
func duckConn(dc any) (*duckdb.Conn, bool) {
	switch c := dc.(type) {
	case *cleanConn:
		return c.Conn, true
	case *duckdb.Conn:
		return c, true
	}
	return nil, false
}
