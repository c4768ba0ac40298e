package lakehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Model unit tests (`lakebench test`) build a model over rows the test
// gives, in a private in-memory lakehouse (Open with an empty path). The
// functions here load those rows and read results back in a form Go can
// compare; they refuse any lakehouse with a file, so a unit test can never
// write a target.

// ErrNotScratch is LoadRows or SaveSelect called on a lakehouse with a file.
var ErrNotScratch = errors.New("lakehouse: test rows load only into a private in-memory lakehouse (Open with an empty path), never a target's file")

// RowError is a row a test gave that DuckDB cannot hold in its table's
// column types (text for a number, a bad date).
type RowError struct {
	Table TableName
	Row   int // the row's index in the rows given
	Err   error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("lakehouse: row %d of %s: %v", e.Row+1, e.Table, duckdbReason(e.Err.Error()))
}

func (e *RowError) Unwrap() error { return e.Err }

// LoadRows creates table t with the columns (each type checked by
// ParseType) and inserts rows, each a value per column in order (nil is
// NULL; other values are cast by DuckDB to the column's type). It works
// only on a private in-memory lakehouse.
func (lh *Lakehouse) LoadRows(ctx context.Context, t TableName, cols []Column, rows [][]any) error {
	if lh.path != "" {
		return ErrNotScratch
	}
	if len(cols) == 0 {
		return fmt.Errorf("lakehouse: %s has no columns", t)
	}
	defs := make([]string, len(cols))
	casts := make([]string, len(cols))
	for i, c := range cols {
		typ, err := ParseType(c.Type)
		if err != nil {
			return fmt.Errorf("lakehouse: column %s of %s: %w", c.Name, t, err)
		}
		defs[i] = QuoteIdent(c.Name) + " " + typ
		casts[i] = "CAST(? AS " + typ + ")"
	}
	stmt := "CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(t.Schema) + ";\nCREATE OR REPLACE TABLE " + t.SQL() + " (" + strings.Join(defs, ", ") + ")"
	defer lh.writes.Add(1) // see catalogSizes
	if _, err := lh.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("lakehouse: create %s: %w", t, err)
	}
	insert := "INSERT INTO " + t.SQL() + " SELECT " + strings.Join(casts, ", ")
	for i, r := range rows {
		if len(r) != len(cols) {
			return &RowError{Table: t, Row: i, Err: fmt.Errorf("%d values for %d columns", len(r), len(cols))}
		}
		args := make([]any, len(r))
		for k, v := range r {
			args[k] = bindValue(v)
		}
		if _, err := lh.db.ExecContext(ctx, insert, args...); err != nil {
			return &RowError{Table: t, Row: i, Err: err}
		}
	}
	return nil
}

// bindValue is a test value as a bind parameter: scalars as they are,
// anything else (a list or mapping) as its JSON text, which DuckDB casts
// to a LIST or STRUCT column.
func bindValue(v any) any {
	switch v.(type) {
	case nil, string, bool, int, int64, uint64, float64:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Comparable runs selectSQL and returns its columns (as DuckDB types them)
// and its rows with each value either a float64 (numeric columns), nil or
// DuckDB's own text of it (every other type), so that rows from two
// queries compare in Go whatever their types. cols picks and orders the
// columns to return (all when nil). It works only on a private in-memory
// lakehouse.
func (lh *Lakehouse) Comparable(ctx context.Context, selectSQL string, cols []string) ([]Column, [][]any, error) {
	if lh.path != "" {
		return nil, nil, ErrNotScratch
	}
	desc, err := queryOn(ctx, lh.db, "SELECT * FROM (\n"+trimSQL(selectSQL)+"\n) AS lb_t LIMIT 0")
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]Column{}
	for _, c := range desc.Columns {
		byName[c.Name] = c
	}
	if cols == nil {
		for _, c := range desc.Columns {
			cols = append(cols, c.Name)
		}
	}
	var out []Column
	var exprs []string
	for _, name := range cols {
		c, ok := byName[name]
		if !ok {
			return nil, nil, fmt.Errorf("lakehouse: no column %q in the result", name)
		}
		out = append(out, c)
		if IsNumericType(c.Type) {
			exprs = append(exprs, "CAST("+QuoteIdent(name)+" AS DOUBLE)")
		} else {
			exprs = append(exprs, "CAST("+QuoteIdent(name)+" AS VARCHAR)")
		}
	}
	if len(exprs) == 0 {
		exprs = []string{"NULL"}
	}
	res, err := queryOn(ctx, lh.db, "SELECT "+strings.Join(exprs, ", ")+" FROM (\n"+trimSQL(selectSQL)+"\n) AS lb_t")
	if err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		for i := range res.Rows {
			res.Rows[i] = nil
		}
	}
	return out, res.Rows, nil
}

// SchemaOf is the columns selectSQL returns, as DuckDB binds it (the query
// is not run). It works on any lakehouse: nothing is read.
func (lh *Lakehouse) SchemaOf(ctx context.Context, selectSQL string) ([]Column, error) {
	res, err := queryOn(ctx, lh.db, "SELECT * FROM (\n"+trimSQL(selectSQL)+"\n) AS lb_t LIMIT 0")
	if err != nil {
		return nil, err
	}
	return res.Columns, nil
}

// ColumnRefs are the column names a single SELECT refers to (the last part
// of each name, lower-cased and sorted), from DuckDB's parser: what a table
// it reads must at least have for it to bind.
func (lh *Lakehouse) ColumnRefs(ctx context.Context, selectSQL string) ([]string, error) {
	doc, err := lh.parse(ctx, selectSQL)
	if err != nil {
		return nil, err
	}
	if _, err := tableRefsFromJSON(doc); err != nil {
		return nil, err
	}
	var tree map[string]any
	if err := json.Unmarshal([]byte(doc), &tree); err != nil {
		return nil, fmt.Errorf("lakehouse: parse: %w", err)
	}
	seen := map[string]bool{}
	walkJSON(tree, func(m map[string]any) {
		if m["class"] != "COLUMN_REF" {
			return
		}
		names, _ := m["column_names"].([]any)
		if len(names) == 0 {
			return
		}
		if s, ok := names[len(names)-1].(string); ok && s != "" {
			seen[strings.ToLower(s)] = true
		}
	})
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}

// FailingRowsSQL is a SELECT over table that counts the rows the rule
// checks (checked) and fails (failed), as a build's quality step counts
// them, for running a rule as a test on a target: the caller runs it as
// its principal, so the grants apply.
func (r Rule) FailingRowsSQL(table TableName) string {
	return "SELECT count(*) AS checked, count(*) FILTER (WHERE lb_fail) AS failed FROM (SELECT " +
		r.failSQL(table.SQL()) + " AS lb_fail FROM " + table.SQL() + " AS " + InputAlias + ") AS lb_rule"
}

// DropRows drops a table LoadRows made, so the next test of a run starts
// without it. It works only on a private in-memory lakehouse.
func (lh *Lakehouse) DropRows(ctx context.Context, t TableName) error {
	if lh.path != "" {
		return ErrNotScratch
	}
	defer lh.writes.Add(1) // see catalogSizes
	if _, err := lh.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t.SQL()); err != nil {
		return fmt.Errorf("lakehouse: drop %s: %w", t, err)
	}
	return nil
}
