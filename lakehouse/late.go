package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	// Project, when set, gives for each of Exprs the columns of the
	// table its readers read (nil: every column), for a merge by key
	// that replaces rows: a row removed and one added that agree on
	// those columns are no change to them (a customer's new e-mail, for
	// a reader of its region), and only the rest are traced. It is asked
	// only when the merge replaces a row.
	Project func(ctx context.Context) ([][]string, error)
}

// earliest evaluates exprs over the rows of relation (named alias): the
// number of rows and each expression's least value as text, with its
// type. An expression that is a query (TraceQuery) reads the rows as the
// relation alias, and its first column is the time: its least value is
// taken over the query's rows.
func earliest(ctx context.Context, e execer, relation, alias string, exprs []string) ([]Change, error) {
	q := "SELECT count(*)"
	var with, from []string
	for i, x := range exprs {
		if TraceQuery(x) {
			if err := CheckFragment(x); err != nil {
				return nil, fmt.Errorf("the query %s: %w", x, err)
			}
			name := fmt.Sprintf("lb_q%d", i)
			with = append(with, name+" AS (SELECT min(lb_t) AS lb_t FROM ("+x+"\n) AS lb_q(lb_t))")
			from = append(from, name)
			x = "any_value(" + name + ".lb_t)"
		} else {
			x = "min(" + x + ")"
		}
		q += ", " + x + "::VARCHAR, typeof(" + x + ")"
	}
	if len(with) == 0 {
		q += " FROM " + relation + " AS " + QuoteIdent(alias)
	} else {
		// The queries read the rows by the alias; each gives one row, so
		// the rows counted are the relation's.
		q = "WITH " + QuoteIdent(alias) + " AS MATERIALIZED (SELECT * FROM " + relation + " AS lb_rel), " + strings.Join(with, ", ") +
			" " + q + " FROM " + QuoteIdent(alias) + ", " + strings.Join(from, ", ")
	}
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

// TraceQuery reports whether a trace expression (a time model's
// time_inputs) is a query (it starts with SELECT, WITH or FROM, after
// comments) rather than an expression over one row: a query reads the
// input's changed rows as a relation named by the input's table, so a
// lookup of each row's time in another table can be a join, which DuckDB
// runs over the looked-up keys only (a correlated subquery per row is
// decorrelated into an aggregate over every row of the other table).
func TraceQuery(expr string) bool {
	s := expr
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexAny(s, "\n\r")
			if i < 0 {
				return false
			}
			s = s[i+1:]
			continue
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return false
			}
			s = s[i+2:]
			continue
		}
		break
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r >= '0' && r <= '9')
	})
	if end < 0 {
		end = len(s)
	}
	switch strings.ToUpper(s[:end]) {
	case "SELECT", "WITH", "FROM":
		return true
	}
	return false
}

// TimeType reports whether a DuckDB type is a date or a time stamp.
func TimeType(typ string) bool {
	t := strings.ToUpper(typ)
	return strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIMESTAMP")
}

// traceChanges fills tr.Found from the rows an in-place build removes
// (lost, a SELECT of the quoted data columns cols) and adds
// (temp.lb_checked's rows that pass, gained), before it changes anything.
// With projections (one per expression, see Trace.Project), an
// expression's rows are those removed or added in its columns: the
// multiset difference of lost and gained over them, both ways.
func (tx *Tx) traceChanges(ctx context.Context, cols []string, lost, gained string, tr *Trace, projections [][]string) error {
	added := "SELECT " + strings.Join(cols, ", ") + " FROM temp.lb_checked" + gained
	if projections == nil {
		found, err := earliest(ctx, tx.tx, "("+lost+" UNION ALL "+added+")", tr.Alias, tr.Exprs)
		if err != nil {
			return fmt.Errorf("trace the changed rows' times: %w", err)
		}
		tr.Found = found
		return nil
	}
	tr.Found = make([]Change, len(tr.Exprs))
	groups := map[string][]int{}
	var order []string
	for i := range tr.Exprs {
		k := strings.Join(projections[i], ",")
		if projections[i] == nil {
			k = "*"
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		rel := "(" + lost + " UNION ALL " + added + ")"
		if k != "*" {
			rel = changedRows(cols, lost, added, projections[idx[0]])
		}
		exprs := make([]string, len(idx))
		for j, i := range idx {
			exprs[j] = tr.Exprs[i]
		}
		found, err := earliest(ctx, tx.tx, rel, tr.Alias, exprs)
		if err != nil {
			return fmt.Errorf("trace the changed rows' times: %w", err)
		}
		for j, i := range idx {
			tr.Found[i] = found[j]
		}
	}
	return nil
}

// changedRows is the rows of lost (a SELECT of the quoted columns cols)
// with no equal row in added over the columns of on, and those of added
// with none in lost, as multisets (the n-th of equal rows matches the n-th
// on the other side): a relation of cols.
func changedRows(cols []string, lost, added string, on []string) string {
	var part, match []string
	for _, c := range on {
		part = append(part, QuoteIdent(c))
		match = append(match, "lb_b."+QuoteIdent(c)+" IS NOT DISTINCT FROM lb_a."+QuoteIdent(c))
	}
	over := "OVER ()"
	if len(part) > 0 {
		over = "OVER (PARTITION BY " + strings.Join(part, ", ") + ")"
	}
	match = append(match, "lb_b.lb_n = lb_a.lb_n")
	list := strings.Join(cols, ", ")
	side := func(a, b string) string {
		return "SELECT " + list + " FROM " + a + " AS lb_a WHERE NOT EXISTS (SELECT 1 FROM " + b + " AS lb_b WHERE " + strings.Join(match, " AND ") + ")"
	}
	return "(WITH lb_l AS (SELECT *, row_number() " + over + " AS lb_n FROM (" + lost + ")), lb_g AS (SELECT *, row_number() " + over + " AS lb_n FROM (" + added + ")) " +
		side("lb_l", "lb_g") + " UNION ALL " + side("lb_g", "lb_l") + ")"
}

// projectable reports whether the trace can compare rows over on: each
// of its columns is a data column (cols, quoted), and none of those is
// named as the helper column changedRows adds.
func projectable(cols []string, on []string) bool {
	for _, c := range cols {
		if strings.EqualFold(c, QuoteIdent("lb_n")) {
			return false
		}
	}
	for _, c := range on {
		if !slices.ContainsFunc(cols, func(d string) bool { return strings.EqualFold(d, QuoteIdent(c)) }) {
			return false
		}
	}
	return true
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
