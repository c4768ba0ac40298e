package lakehouse

// CONTRACT STUB (issue 10), owned by the helper on branch an-backend: it
// moves this code into real files and deletes this file.

import (
	"context"
	"errors"
)

var errAnalystNotBuilt = errors.New("lakehouse: not built yet")

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

// Complete suggests completions for sqlBefore, the text before the cursor:
// DuckDB's sql_auto_complete (keywords, functions, schemas, tables,
// columns), limited to what the principal may read.
func (lh *Lakehouse) Complete(ctx context.Context, sqlBefore string, limit int) ([]Suggestion, error) {
	return nil, errAnalystNotBuilt
}

