package lakehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ParseError is DuckDB's parser refusing a statement.
type ParseError struct {
	Message string
	// Position is the byte offset in the SQL where DuckDB stopped, or -1.
	Position int
}

func (e *ParseError) Error() string { return "lakehouse: " + e.Message }

// TableRefs returns the tables a single SELECT names, as DuckDB's own
// parser sees them (json_serialize_sql): CTE names are not tables, and a
// name without a schema comes back with an empty Schema. It orders models
// and draws lineage; it never decides access, which only the bound plan
// does (see Access): names in a parse tree can be files, shadowed by CTEs
// or views. It fails with a *ParseError for SQL DuckDB cannot parse or
// that is not one SELECT.
func (lh *Lakehouse) TableRefs(ctx context.Context, selectSQL string) ([]TableName, error) {
	doc, err := lh.parse(ctx, selectSQL)
	if err != nil {
		return nil, err
	}
	return tableRefsFromJSON(doc)
}

func tableRefsFromJSON(doc string) ([]TableName, error) {
	var tree map[string]any
	if err := json.Unmarshal([]byte(doc), &tree); err != nil {
		return nil, fmt.Errorf("lakehouse: parse: %w", err)
	}
	if isErr, _ := tree["error"].(bool); isErr {
		msg, _ := tree["error_message"].(string)
		if msg == "" {
			msg = "DuckDB cannot parse this statement"
		}
		pos := -1
		if ps, ok := tree["position"].(string); ok {
			if n, err := strconv.Atoi(ps); err == nil {
				pos = n
			}
		}
		return nil, &ParseError{Message: msg, Position: pos}
	}
	stmts, _ := tree["statements"].([]any)
	if len(stmts) != 1 {
		return nil, &ParseError{Message: fmt.Sprintf("a model must be exactly one SELECT statement, found %d statements", len(stmts)), Position: -1}
	}
	ctes := map[string]bool{}
	collectCTEs(tree, ctes)
	seen := map[TableName]bool{}
	var refs []TableName
	walkJSON(tree, func(m map[string]any) {
		if m["type"] != "BASE_TABLE" {
			return
		}
		schema, _ := m["schema_name"].(string)
		name, _ := m["table_name"].(string)
		if name == "" || (schema == "" && ctes[strings.ToLower(name)]) {
			return
		}
		t := TableName{Schema: strings.ToLower(schema), Name: strings.ToLower(name)}
		if !seen[t] {
			seen[t] = true
			refs = append(refs, t)
		}
	})
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	return refs, nil
}

// collectCTEs finds every CTE name defined anywhere in the tree (nested
// WITH clauses included).
func collectCTEs(tree any, into map[string]bool) {
	walkJSON(tree, func(m map[string]any) {
		cm, ok := m["cte_map"].(map[string]any)
		if !ok {
			return
		}
		entries, _ := cm["map"].([]any)
		for _, e := range entries {
			if em, ok := e.(map[string]any); ok {
				if k, ok := em["key"].(string); ok {
					into[strings.ToLower(k)] = true
				}
			}
		}
	})
}

func walkJSON(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkJSON(x[k], fn)
		}
	case []any:
		for _, e := range x {
			walkJSON(e, fn)
		}
	}
}
