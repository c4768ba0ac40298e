package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Late rows. An incremental_by_time model recomputes the rows of its time
// column from a window's start on. Rows its inputs gain or lose for
// earlier days (late-arriving rows, a row whose time moved) are found by
// tracing them: an in-place build of an input model records, for each
// time model that reads it, the earliest time among the rows it added,
// replaced or removed (sys.model_changes, written in the input's
// transaction), and the time model's next build starts its window there
// and consumes the record (RecordBuild). An input rebuilt in full records
// that instead: nothing tells which of its rows changed.

// Change is what one build of an input changed that a time model reading
// it has not built yet.
type Change struct {
	Input TableName
	// Earliest is the earliest traced time among the rows changed, as
	// text of Type; "" when no row changed or none had a time.
	Earliest, Type string
	// Rows is how many rows were added, replaced or removed.
	Rows int64
	// Rebuilt says the input was rebuilt in full.
	Rebuilt bool
}

// Trace asks an in-place build (Materialization.Trace) for the earliest
// value of each of Exprs among the rows it adds, replaces or removes:
// Exprs are SQL expressions over one row of the table, which they name
// Alias (a quoted column, or an expression such as a lookup of the row's
// day in another table). MaterializeChecked fills Found, one Change per
// expression (Input left empty).
type Trace struct {
	Alias string
	Exprs []string
	Found []Change
}

// earliest evaluates exprs over the rows of relation (named alias): the
// number of rows and each expression's least value as text, with its
// type.
func earliest(ctx context.Context, e execer, relation, alias string, exprs []string) ([]Change, error) {
	q := "SELECT count(*)"
	for _, x := range exprs {
		q += ", min(" + x + ")::VARCHAR, typeof(min(" + x + "))"
	}
	q += " FROM " + relation + " AS " + QuoteIdent(alias)
	var rows int64
	vals := make([]sql.NullString, len(exprs))
	types := make([]string, len(exprs))
	dest := []any{&rows}
	for i := range exprs {
		dest = append(dest, &vals[i], &types[i])
	}
	if err := e.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return nil, err
	}
	out := make([]Change, len(exprs))
	for i := range exprs {
		if !TimeType(types[i]) {
			return nil, fmt.Errorf("%s is %s, not a DATE or TIMESTAMP", exprs[i], types[i])
		}
		out[i] = Change{Earliest: vals[i].String, Type: types[i], Rows: rows}
	}
	return out, nil
}

// TimeType reports whether a DuckDB type is a date or a time stamp.
func TimeType(typ string) bool {
	t := strings.ToUpper(typ)
	return strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIMESTAMP")
}

// traceChanges fills tr.Found from the rows an in-place build removes
// (lost, a SELECT of the data columns cols) and adds (temp.lb_checked's
// rows that pass, gained), before it changes anything.
func (tx *Tx) traceChanges(ctx context.Context, cols, lost, gained string, tr *Trace) error {
	rel := "(" + lost + " UNION ALL SELECT " + cols + " FROM temp.lb_checked" + gained + ")"
	found, err := earliest(ctx, tx.tx, rel, tr.Alias, tr.Exprs)
	if err != nil {
		return fmt.Errorf("trace the changed rows' times: %w", err)
	}
	tr.Found = found
	return nil
}

// Earliest evaluates exprs (SQL expressions over a row named alias, each
// a time) over the rows of selectSQL: a source's new files, for a time
// model that reads it.
func (tx *Tx) Earliest(ctx context.Context, selectSQL, alias string, exprs []string) ([]Change, error) {
	out, err := earliest(ctx, tx.tx, "("+trimSQL(selectSQL)+")", alias, exprs)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: %w", err)
	}
	return out, nil
}

// RecordChange records, in the transaction that built c.Input, a change
// the time model model has not built yet.
func (tx *Tx) RecordChange(ctx context.Context, model TableName, c Change, runID string) error {
	_, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.model_changes (model, input, earliest, type, rows, rebuilt, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
		model.String(), c.Input.String(), nullString(c.Earliest), nullString(c.Type), c.Rows, c.Rebuilt, nullString(runID))
	if err != nil {
		return fmt.Errorf("lakehouse: record a change of %s for %s: %w", c.Input, model, err)
	}
	return nil
}

// Changes returns the changes of its inputs that model has not built yet
// (RecordChange), oldest first.
func (tx *Tx) Changes(ctx context.Context, model TableName) ([]Change, error) {
	rows, err := tx.tx.QueryContext(ctx, "SELECT input, coalesce(earliest, ''), coalesce(type, ''), rows, rebuilt FROM sys.model_changes WHERE model = ? ORDER BY rowid", model.String())
	if err != nil {
		return nil, fmt.Errorf("lakehouse: read sys.model_changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var input string
		if err := rows.Scan(&input, &c.Earliest, &c.Type, &c.Rows, &c.Rebuilt); err != nil {
			return nil, fmt.Errorf("lakehouse: read sys.model_changes: %w", err)
		}
		if c.Input, err = ParseTableName(input); err != nil {
			return nil, fmt.Errorf("lakehouse: read sys.model_changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EarliestStart is the least of the times of changes, each cast to typ
// (the time model's time column: a time stamp cast to DATE is its day),
// as a SQL literal of typ and as text; ok is false when none has a time.
func (tx *Tx) EarliestStart(ctx context.Context, typ string, changes []Change) (literal, text string, ok bool, err error) {
	if !TimeType(typ) {
		return "", "", false, fmt.Errorf("lakehouse: %s is not a DATE or TIMESTAMP", typ)
	}
	var casts []string
	for _, c := range changes {
		if c.Earliest == "" {
			continue
		}
		if !TimeType(c.Type) || strings.ContainsAny(c.Type, "'\";") {
			return "", "", false, fmt.Errorf("lakehouse: a change of %s has type %q, not a DATE or TIMESTAMP", c.Input, c.Type)
		}
		casts = append(casts, "CAST(CAST("+QuoteString(c.Earliest)+" AS "+c.Type+") AS "+typ+")")
	}
	if len(casts) == 0 {
		return "", "", false, nil
	}
	var v string
	if err := tx.tx.QueryRowContext(ctx, "SELECT least("+strings.Join(casts, ", ")+")::VARCHAR").Scan(&v); err != nil {
		return "", "", false, fmt.Errorf("lakehouse: the earliest change: %w", err)
	}
	return "CAST(" + QuoteString(v) + " AS " + typ + ")", v, true, nil
}

// Earlier reports whether the time literal a is before b (both SQL
// literals of the same type).
func (tx *Tx) Earlier(ctx context.Context, a, b string) (bool, error) {
	var before bool
	if err := tx.tx.QueryRowContext(ctx, "SELECT "+a+" < "+b).Scan(&before); err != nil {
		return false, fmt.Errorf("lakehouse: compare %s and %s: %w", a, b, err)
	}
	return before, nil
}
