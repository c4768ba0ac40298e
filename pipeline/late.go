package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// Late rows of an incremental_by_time model's inputs (lakehouse/late.go).
//
// Each input of a time model is traced or not. A traced input has an
// expression over its rows that gives the model's time for the row: the
// input's column named as the model's time_column, or what
// resources.models.<model>.time_inputs.<input> declares (a column; a
// SQL expression over the input's row, which it names by the input's
// table name; or a query over the input's changed rows, named the same
// way, whose first column is the time: a lookup such as the day of an
// order line's order, written as a join). An input listed under dimensions, or without such a column, is not
// traced: its changes reach only the window's days.
//
// A run builds a time model from the earliest of: the newest day minus
// the lookback, and the earliest time among the rows its traced inputs
// added, replaced or removed since its last build (each input model's
// build records them for it; a source's new files are read). When no
// untraced input changed, the lookback is not needed: the window starts
// at the earliest traced change, and a model none of whose inputs changed
// is not built. An input that changed and is neither traced nor declared
// a dimension is named in a warning.

// identifier matches a plain column name, which time_inputs quotes.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// traceExpr is the expression over a row of input r (named r.Name) that
// gives time model s's time, or "" when r is not traced (a dimension, or
// no column of cols is the time column); declared says time_inputs or
// dimensions names r.
func traceExpr(s ModelSettings, r lakehouse.TableName, cols []lakehouse.Column) (expr string, declared bool) {
	if slices.Contains(s.Dimensions, r.String()) {
		return "", true
	}
	if e := strings.TrimSpace(s.TimeInputs[r.String()]); e != "" {
		if identifier.MatchString(e) {
			return lakehouse.QuoteIdent(e), true
		}
		return e, true
	}
	for _, c := range cols {
		if strings.EqualFold(c.Name, s.TimeColumn) {
			return lakehouse.QuoteIdent(c.Name), false
		}
	}
	return "", false
}

// consumer is a time model that traces a model's changes, through
// Trace.Exprs[expr].
type consumer struct {
	model lakehouse.TableName
	expr  int
}

// timeConsumers are the incremental_by_time models of all that read m
// and trace it through a column of cols, with the Trace that finds their
// times, nil when none does.
func (p *Project) timeConsumers(m Model, all []Model, cols []lakehouse.Column) ([]consumer, *lakehouse.Trace) {
	var out []consumer
	tr := &lakehouse.Trace{Alias: m.Table.Name}
	for _, c := range all {
		s := p.Resources.Models[c.Table.String()]
		if s.KindName() != KindIncrementalByTime || !slices.Contains(c.Reads, m.Table) || c.Table == m.Table {
			continue
		}
		e, _ := traceExpr(s, m.Table, cols)
		if e == "" {
			continue
		}
		i := slices.Index(tr.Exprs, e)
		if i < 0 {
			i = len(tr.Exprs)
			tr.Exprs = append(tr.Exprs, e)
		}
		out = append(out, consumer{c.Table, i})
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, tr
}

// traceChanges asks an in-place build of m (columns cols) to find the
// earliest times among the rows it changes, for the time models that
// trace it. Their expressions are checked first as the principal's
// SELECTs over m.
func (p *Project) traceChanges(ctx context.Context, tx *lakehouse.Tx, m Model, all []Model, cols []lakehouse.Column, b *build) error {
	cs, tr := p.timeConsumers(m, all, cols)
	if tr == nil {
		return nil
	}
	for _, e := range tr.Exprs {
		q := "SELECT " + e + " FROM " + m.Table.SQL() + " AS " + lakehouse.QuoteIdent(m.Table.Name)
		if lakehouse.TraceQuery(e) {
			q = "WITH " + lakehouse.QuoteIdent(m.Table.Name) + " AS (SELECT * FROM " + m.Table.SQL() + ") SELECT * FROM (" + e + "\n) AS lb_q"
		}
		if err := authorizeSelect(ctx, tx, q); err != nil {
			return fmt.Errorf("the time a model downstream traces through %s: %w", e, err)
		}
	}
	tr.Project = func(ctx context.Context) ([][]string, error) { return p.traceColumns(ctx, tx, m, all, cs, tr) }
	b.consumers, b.mat.Trace = cs, tr
	return nil
}

// traceColumns is, for each expression of tr, the columns of m that the
// time models tracing m through it read (their SELECTs and the
// expression itself, from the bound plans), nil when any of them cannot
// tell or has quality rules (a rule may read any column): a merge of m
// that changes none of those columns in a row changes nothing of theirs.
func (p *Project) traceColumns(ctx context.Context, tx *lakehouse.Tx, m Model, all []Model, cs []consumer, tr *lakehouse.Trace) ([][]string, error) {
	out := make([][]string, len(tr.Exprs))
	known := make([]bool, len(tr.Exprs))
	for i := range known {
		known[i] = true
	}
	add := func(i int, sqlText string) error {
		if !known[i] {
			return nil
		}
		cols, ok, err := tx.ColumnsRead(ctx, sqlText, m.Table)
		if err != nil {
			return err
		}
		if !ok {
			known[i], out[i] = false, nil
			return nil
		}
		for _, c := range cols {
			if !slices.Contains(out[i], c) {
				out[i] = append(out[i], c)
			}
		}
		return nil
	}
	cols, err := tx.Columns(ctx, m.Table)
	if err != nil {
		return nil, err
	}
	for i, e := range tr.Exprs {
		if read, ok := exprColumns(e, m.Table.Name, cols); !ok {
			known[i] = false
		} else {
			out[i] = read
		}
	}
	for _, c := range cs {
		j := slices.IndexFunc(all, func(o Model) bool { return o.Table == c.model })
		rules, err := p.Rules(c.model.String())
		if j < 0 || err != nil || len(rules) > 0 {
			known[c.expr], out[c.expr] = false, nil
			continue
		}
		if err := add(c.expr, all[j].SQL); err != nil {
			return nil, err
		}
	}
	for i := range out {
		switch {
		case !known[i]:
			out[i] = nil
		case out[i] == nil:
			out[i] = []string{} // reads no column of m: only how many rows
		}
	}
	return out, nil
}

// wordPattern finds the words of masked SQL.
var wordPattern = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_$]*`)

// exprColumns is, at least, the columns of cols a trace expression (or
// query) over a row (or the rows) named alias reads: every column whose
// name is a word of its SQL, outside comments and strings. ok is false
// when it may read more than its words say: a star, COLUMNS(), a NATURAL
// join, or alias named other than as a relation under its own name
// (after FROM or JOIN, with no alias of its own) or before a column
// (alias.column), such as the whole row as a struct.
func exprColumns(expr, alias string, cols []lakehouse.Column) ([]string, bool) {
	masked := maskSQL(expr)
	if strings.Contains(masked, "*") {
		return nil, false
	}
	words := map[string]bool{}
	locs := wordPattern.FindAllStringIndex(masked, -1)
	for k, loc := range locs {
		w := strings.ToLower(expr[loc[0]:loc[1]])
		if masked[loc[0]] == 'x' && loc[0] > 0 && masked[loc[0]-1] == '"' {
			w = strings.ToLower(unquoteIdent(expr[loc[0]-1 : loc[1]+1]))
		}
		words[w] = true
		switch w {
		case "columns", "natural":
			return nil, false
		case strings.ToLower(alias):
			prev := ""
			if k > 0 {
				prev = strings.ToLower(masked[locs[k-1][0]:locs[k-1][1]])
			}
			next := strings.TrimLeft(masked[loc[1]:], " \t\r\n")
			switch {
			case strings.HasPrefix(next, "."):
			case prev == "from" || prev == "join":
				// The relation, under its own name: another alias
				// could name its whole row.
				if k+1 < len(locs) && strings.HasPrefix(next, masked[locs[k+1][0]:locs[k+1][1]]) {
					if w := strings.ToLower(masked[locs[k+1][0]:locs[k+1][1]]); w == "as" || !notAlias[w] {
						return nil, false
					}
				}
			default:
				return nil, false
			}
		}
	}
	var out []string
	for _, c := range cols {
		if words[strings.ToLower(c.Name)] {
			out = append(out, c.Name)
		}
	}
	return out, true
}

// recordChanges records, in the transaction that built m, what the build
// changed for each time model that traces m: the earliest time among the
// rows it changed (an in-place build), or that it was rebuilt in full.
func (p *Project) recordChanges(ctx context.Context, tx *lakehouse.Tx, m Model, all []Model, b build, runID string) error {
	if b.skip {
		return nil
	}
	if tr := b.mat.Trace; tr != nil {
		for _, c := range b.consumers {
			ch := tr.Found[c.expr]
			if ch.Rows == 0 {
				continue
			}
			ch.Input = m.Table
			if err := tx.RecordChange(ctx, c.model, ch, runID); err != nil {
				return err
			}
		}
		return nil
	}
	cols, err := tx.Columns(ctx, m.Table)
	if err != nil {
		return err
	}
	cs, _ := p.timeConsumers(m, all, cols)
	for _, c := range cs {
		if err := tx.RecordChange(ctx, c.model, lakehouse.Change{Input: m.Table, Rebuilt: true}, runID); err != nil {
			return err
		}
	}
	return nil
}

// timeWindow decides where an incremental run of time model m starts,
// given the lookback's start (lookStart, as a literal and as text). It
// returns the start, a note on why, the stamp of its untraced inputs to
// record, whether nothing changed (skip), the warnings to show, or a
// reason to rebuild in full.
type window struct {
	start, from string // SQL literal and text
	why         string
	inputs      string
	skip        bool
	warnings    []string
	rebuild     string
}

func (p *Project) timeWindow(ctx context.Context, tx *lakehouse.Tx, m Model, all []Model, s ModelSettings, typ, lookStart, lookFrom string, b *build) (window, error) {
	w := window{start: lookStart, from: lookFrom}
	changes, err := tx.Changes(ctx, m.Table)
	if err != nil {
		return w, err
	}
	for _, c := range changes {
		if c.Rebuilt {
			w.rebuild = c.Input.String() + ", which it reads, was rebuilt in full since its last build (which of its rows changed is not known)"
			return w, nil
		}
	}
	// Sources read directly: their new files' rows.
	for _, src := range b.streams {
		cols, err := tx.Columns(ctx, src.Table)
		if err != nil {
			return w, err
		}
		e, _ := traceExpr(s, src.Table, cols)
		paths, err := tx.NewFiles(ctx, m.Table, src)
		if err != nil || len(paths) == 0 {
			if err != nil {
				return w, err
			}
			continue
		}
		found, err := tx.Earliest(ctx, lakehouse.StreamFilter(src.Table, paths), src.Table.Name, []string{e})
		if err != nil {
			return w, fmt.Errorf("the time of %s's new rows: %w", src.Table, err)
		}
		if found[0].Rows > 0 {
			found[0].Input = src.Table
			changes = append(changes, found[0])
		}
	}
	inputs, changed, undeclared, err := p.untracedInputs(ctx, tx, m, all, s)
	if err != nil {
		return w, err
	}
	w.inputs, w.warnings = inputs, undeclared
	det, err := tx.Deterministic(ctx, m.SQL)
	if err != nil {
		return w, err
	}
	traced, tracedFrom, found, err := tx.EarliestStart(ctx, typ, changes)
	if err != nil {
		return w, err
	}
	inputsNamed := func() string {
		var names []string
		for _, c := range changes {
			if !slices.Contains(names, c.Input.String()) {
				names = append(names, c.Input.String())
			}
		}
		// By name, not by when each input's task committed (which the
		// scheduler's order decides).
		slices.Sort(names)
		return strings.Join(names, ", ")
	}
	switch {
	case det && len(changed) == 0 && len(changes) == 0:
		w.skip = true
		return w, nil
	case det && len(changed) == 0 && found:
		// Every change is traced: the window is the changed days.
		w.start, w.from, w.why = traced, tracedFrom, "the days "+inputsNamed()+" changed"
		return w, nil
	case found:
		earlier, err := tx.Earlier(ctx, traced, lookStart)
		if err != nil {
			return w, err
		}
		if earlier {
			w.start, w.from, w.why = traced, tracedFrom, "late rows of "+inputsNamed()
		}
	}
	for i, r := range w.warnings {
		w.warnings[i] = fmt.Sprintf("warning: %s: %s changed and the times of its rows cannot be traced (it has no column %s): its changes before %s are not in %s until `lakebench run --full-refresh %s` (declare resources.models.%s.time_inputs.%s, or list it under dimensions)",
			m.Table, r, s.TimeColumn, w.from, m.Table, m.Table, m.Table, r)
	}
	return w, nil
}

// untracedInputs stamps the inputs of time model m that are not traced
// (lakehouse.InputState, one per input, to record with its build) and
// says which changed since its last build, and which of those are not
// declared dimensions. A table that records no changes (neither a model
// nor a source) counts as changed every run.
func (p *Project) untracedInputs(ctx context.Context, tx *lakehouse.Tx, m Model, all []Model, s ModelSettings) (stamp string, changed, undeclared []string, err error) {
	prev, err := tx.BuildInputs(ctx, m.Table)
	if err != nil {
		return "", nil, nil, err
	}
	before := strings.Split(prev, "\n")
	var states []string
	for _, r := range dedupe(m.Reads) {
		cols, err := tx.Columns(ctx, r)
		if err != nil {
			return "", nil, nil, err
		}
		e, declared := traceExpr(s, r, cols)
		if e != "" && p.recordsChanges(r, all) {
			continue
		}
		st, ok, err := tx.InputState(ctx, []lakehouse.TableName{r})
		if err != nil {
			return "", nil, nil, err
		}
		entry := r.String() + "=" + st
		if ok {
			states = append(states, entry)
		}
		if !ok || !slices.Contains(before, entry) {
			changed = append(changed, r.String())
			if !declared {
				undeclared = append(undeclared, r.String())
			}
		}
	}
	return strings.Join(states, "\n"), changed, undeclared, nil
}

// recordsChanges reports whether r is a table whose changes a time model
// can trace: a model of the project (its builds record them) or a
// source's bronze table (its files).
func (p *Project) recordsChanges(r lakehouse.TableName, all []Model) bool {
	if _, ok := p.Resources.Sources[r.Name]; ok && r.Schema == "bronze" {
		return true
	}
	return slices.ContainsFunc(all, func(o Model) bool { return o.Table == r })
}

func dedupe(ts []lakehouse.TableName) []lakehouse.TableName {
	var out []lakehouse.TableName
	for _, t := range ts {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
