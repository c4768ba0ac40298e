package lakehouse

import (
	"bytes"
	_ "unsafe" // go:linkname

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"
)

// The first page of a live result is read straight from DuckDB's first
// chunks, with the driver's own conversion of a chunk's values (what its
// rows.Next uses, unexported): the first page then needs no round trip
// through the spill, and its values are what database/sql would have
// scanned, as every later page's are. TestLiveFirstPageValues checks both
// against a page read back through database/sql, over every kind of type.

//go:linkname driverChunkInit github.com/duckdb/duckdb-go/v2.(*DataChunk).initFromDuckDataChunk
func driverChunkInit(chunk *duckdb.DataChunk, in bindings.DataChunk, writable bool) error

//go:linkname driverTypeName github.com/duckdb/duckdb-go/v2.logicalTypeString
func driverTypeName(t bindings.LogicalType) string

// chunkRows appends to rows the values of the chunk's first n rows, as
// database/sql and scanExact would give them.
func chunkRows(chunk bindings.DataChunk, n int, rows [][]any) ([][]any, error) {
	var dc duckdb.DataChunk
	if err := driverChunkInit(&dc, chunk, false); err != nil {
		return rows, err
	}
	cols := dc.ColumnCount()
	for r := range n {
		row := make([]any, cols)
		for c := range cols {
			v, err := dc.GetValue(c, r)
			if err != nil {
				return rows, err
			}
			switch x := v.(type) {
			case duckdb.Bit:
				v = x.String() // as the driver's rows.Next
			case []byte:
				v = bytes.Clone(x) // as database/sql's Scan into an any
			}
			row[c] = normalize(v, true) // a DECIMAL stays exact (see scanExact)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// The steps of a live execution a test may act at (liveHook).
const (
	liveBegin       = "begin"       // the query is about to begin in DuckDB
	liveBegun       = "begun"       // it has begun, not yet executing
	liveExecuted    = "executed"    // executed up to its first chunk (detail: DuckDB's error)
	liveFetch       = "fetch"       // a chunk is about to be fetched
	liveEnded       = "ended"       // a canceled query ended in DuckDB (detail: its error)
	liveInterrupted = "interrupted" // a cancel interrupted DuckDB
)

// liveHook is called at each step of a live execution: a test orders a
// cancel against them (nothing in a build's own code sets it).
var liveHook = func(l *Live, step, detail string) {}
