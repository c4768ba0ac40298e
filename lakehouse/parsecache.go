package lakehouse

import (
	"context"
	"sync"
)

// DuckDB's parse tree of a statement (json_serialize_sql) depends on its
// text alone: the parser reads no catalog, and its options are settings
// no statement run through lakebench may change (SET is refused to
// everyone). A daily run parsed the same few texts (a model's SELECT, a
// rule's expressions) about eighty times, each a statement of its own;
// parses keeps the trees by text, in this process.
var parses = parseCache{docs: map[string]string{}}

// parseCacheBytes bounds the texts and trees parses keeps; past it, it
// starts over.
const parseCacheBytes = 16 << 20

type parseCache struct {
	mu    sync.Mutex
	docs  map[string]string
	bytes int
}

// serializeSQL is DuckDB's parse tree of sqlText as json_serialize_sql
// gives it (an error document for SQL it cannot parse), asked of e once
// per text.
func serializeSQL(ctx context.Context, e execer, sqlText string) (string, error) {
	if doc, ok := keptParse(sqlText); ok {
		return doc, nil
	}
	var doc string
	if err := e.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", sqlText).Scan(&doc); err != nil {
		return "", err
	}
	keepParse(sqlText, doc)
	return doc, nil
}

// keptParse is the tree parses keeps for sqlText, if it keeps one.
func keptParse(sqlText string) (string, bool) {
	parses.mu.Lock()
	defer parses.mu.Unlock()
	doc, ok := parses.docs[sqlText]
	return doc, ok
}

// keepParse keeps doc, json_serialize_sql's answer for sqlText.
func keepParse(sqlText, doc string) {
	parses.mu.Lock()
	defer parses.mu.Unlock()
	if n := len(sqlText) + len(doc); n <= parseCacheBytes {
		if parses.bytes+n > parseCacheBytes {
			parses.docs, parses.bytes = map[string]string{}, 0
		}
		if _, dup := parses.docs[sqlText]; !dup {
			parses.docs[sqlText] = doc
			parses.bytes += n
		}
	}
}
