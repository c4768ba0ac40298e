package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// CheckError is one element of a row's _errors or _warnings column, as
// DQX's result struct: which check failed, why, on which columns, in which
// run.
type CheckError struct {
	Name         string            `json:"name"`
	Message      string            `json:"message"`
	Columns      []string          `json:"columns"`
	Filter       string            `json:"filter,omitempty"`
	Function     string            `json:"function"`
	RunTime      time.Time         `json:"run_time"`
	RunID        string            `json:"run_id"`
	UserMetadata map[string]string `json:"user_metadata,omitempty"`
}

// CheckResultType is the DuckDB type of one element of _errors and
// _warnings (CheckError's columns).
const CheckResultType = `STRUCT("name" VARCHAR, message VARCHAR, "columns" VARCHAR[], "filter" VARCHAR, "function" VARCHAR, ` +
	`run_time TIMESTAMP, run_id VARCHAR, user_metadata MAP(VARCHAR, VARCHAR))`

// InputView stands, in a rule's SQL, for the relation the rule checks (a
// model's rows, or a table): DQX's {{ input_view }} of sql_query. Each row
// of it is aliased InputAlias, which correlated subqueries name.
const (
	InputView  = "{{input_view}}"
	InputAlias = "lb_input"
)

// Rule is one data-quality check as SQL over a relation's rows (aliased
// InputAlias). A row fails when Fail is true (NULL passes, as in DQX) and
// Filter, when set, is true; a rule given only Expression fails the rows
// where it is false or NULL.
type Rule struct {
	Name        string
	Criticality string // "error" quarantines failing rows; "warn" marks them in _warnings
	// Function is the DQX check function (is_not_null, sql_query, ...).
	Function string
	// Fail is a SQL boolean, true for a failing row. It may hold window
	// functions (dataset checks) and InputView.
	Fail string
	// Expression is the older form: a SQL boolean that must be true.
	Expression string
	// Message is a SQL VARCHAR expression: why the row failed.
	Message      string
	Columns      []string
	Filter       string
	UserMetadata map[string]string
	// Scope is which rows a row's flag depends on, so that a source
	// table's checks can look at its new rows only (CheckSource): ScopeRow
	// the row alone, ScopeKey the rows that share Key's values (NULLs as
	// one value: is_unique's window, sql_query's merge columns); "" any
	// row, checked in full.
	Scope string
	Key   []string
	// Query is sql_query's query (with InputView): ScopeKey holds only
	// when each of its rows comes from one input row and keeps its Key
	// columns, which CheckSource verifies on the parsed query.
	Query string
}

// The scopes of a rule's flag (Rule.Scope).
const (
	ScopeRow = "row"
	ScopeKey = "key"
)

// RuleOutcome is how many rows a rule checked and failed.
type RuleOutcome struct {
	Rule        Rule
	RowsChecked int64
	RowsFailed  int64
}

// QualityRun identifies the run whose checks write _errors and _warnings.
type QualityRun struct {
	RunID   string
	RunTime time.Time
}

// failSQL is the rule's condition for a failing row, over relation.
func (r Rule) failSQL(relation string) string {
	fail := r.Fail
	if fail == "" {
		fail = "NOT coalesce((" + r.Expression + "), false)"
	}
	fail = "coalesce((" + fail + "), false)"
	if r.Filter != "" {
		fail = "(coalesce((" + r.Filter + "), false) AND " + fail + ")"
	}
	return strings.ReplaceAll(fail, InputView, relation)
}

// usesInput reports whether a rule reads the checked relation again (as
// sql_query does through InputView).
func (r Rule) usesInput() bool {
	return strings.Contains(r.Fail, InputView)
}

// AuthorizationSQL is the rules' SQL as one SELECT over relation, for the
// caller to check on its bound plan (a rule is SQL, and may read only what
// the principal may).
func AuthorizationSQL(relation string, rules []Rule) string {
	cols := []string{"1"}
	for _, r := range rules {
		cols = append(cols, r.failSQL(relation))
		if r.Message != "" {
			cols = append(cols, "("+r.Message+")")
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + relation + " AS " + InputAlias
}

func flagName(i int) string { return fmt.Sprintf("_lb_fail_%d", i) }

// resultSQL is one rule's element of _errors or _warnings, for a row whose
// flag is set.
func (r Rule) resultSQL(i int, run QualityRun) string {
	cols := make([]string, len(r.Columns))
	for k, c := range r.Columns {
		cols[k] = QuoteString(c)
	}
	filter := "NULL"
	if r.Filter != "" {
		filter = QuoteString(r.Filter)
	}
	msg := r.Message
	if msg == "" {
		msg = QuoteString("check " + r.Name + " failed")
	}
	var meta []string
	for _, k := range slices.Sorted(maps.Keys(r.UserMetadata)) {
		meta = append(meta, QuoteString(k)+": "+QuoteString(r.UserMetadata[k]))
	}
	fn := r.Function
	if fn == "" {
		fn = "sql_expression"
	}
	return "CASE WHEN " + QuoteIdent(flagName(i)) + " THEN {'name': " + QuoteString(r.Name) +
		", 'message': CAST((" + msg + ") AS VARCHAR), 'columns': [" + strings.Join(cols, ", ") + "]::VARCHAR[], 'filter': " + filter +
		", 'function': " + QuoteString(fn) + ", 'run_time': " + timestampLiteral(run.RunTime) + ", 'run_id': " + QuoteString(run.RunID) +
		", 'user_metadata': MAP {" + strings.Join(meta, ", ") + "}::MAP(VARCHAR, VARCHAR)}::" + CheckResultType + " END"
}

func timestampLiteral(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return "TIMESTAMP " + QuoteString(t.UTC().Format("2006-01-02 15:04:05.999999"))
}

// qualitySQL is the SQL a set of rules needs over relation lb_checked, whose
// flag columns (flagName) say which rule each row fails.
type qualitySQL struct {
	flags    []string // fail_i AS _lb_fail_i, for the one pass that computes them
	names    []string // the flag columns
	counts   []string
	anyError string // "" when no rule is an error rule
	anyWarn  string
	errors   string // the _errors list
	warnings string // the _warnings list, NULL when none
}

func rulesSQL(rules []Rule, relation string, run QualityRun) qualitySQL {
	var q qualitySQL
	var errs, warns, errFlags, warnFlags []string
	for i, r := range rules {
		f := QuoteIdent(flagName(i))
		q.flags = append(q.flags, r.failSQL(relation)+" AS "+f)
		q.names = append(q.names, f)
		q.counts = append(q.counts, "count(*) FILTER (WHERE "+f+")")
		if r.Criticality == "error" {
			errs, errFlags = append(errs, r.resultSQL(i, run)), append(errFlags, f)
		} else {
			warns, warnFlags = append(warns, r.resultSQL(i, run)), append(warnFlags, f)
		}
	}
	list := func(items, flags []string) string {
		if len(items) == 0 {
			return "NULL::" + CheckResultType + "[]"
		}
		return "CASE WHEN " + strings.Join(flags, " OR ") + " THEN list_filter([" + strings.Join(items, ", ") + "], lambda lb_x: lb_x IS NOT NULL) END"
	}
	if len(errFlags) > 0 {
		q.anyError = "(" + strings.Join(errFlags, " OR ") + ")"
	}
	if len(warnFlags) > 0 {
		q.anyWarn = "(" + strings.Join(warnFlags, " OR ") + ")"
	}
	q.errors, q.warnings = list(errs, errFlags), list(warns, warnFlags)
	return q
}

// QualityColumns are the columns checks add: _errors and _run_id in a
// quarantine, _warnings in a quarantine and in a table with warn rules.
var QualityColumns = []string{"_errors", "_warnings", "_run_id"}

// checkRows computes every rule's flag over the rows of relation in one
// pass, into temp.lb_checked, and counts each rule's failures. It returns
// the data columns (the relation's own, less any QualityColumns it carries
// from upstream) and the outcomes.
func (tx *Tx) checkRows(ctx context.Context, relation string, rules []Rule, q qualitySQL) ([]string, []RuleOutcome, error) {
	if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_checked AS SELECT *, "+strings.Join(q.flags, ", ")+
		" FROM "+relation+" AS "+InputAlias); err != nil {
		return nil, nil, err
	}
	out, err := tx.countFlags(ctx, "temp.lb_checked", rules, q)
	if err != nil {
		return nil, nil, err
	}
	data, err := tx.dataColumns(ctx, "temp.lb_checked")
	if err != nil {
		return nil, nil, err
	}
	return data, out, nil
}

// dataColumns are the columns of relation's rows that checks carry into a
// table or quarantine, quoted: all but the flags and the QualityColumns a
// relation brings from upstream. DuckDB binds the relation to describe it;
// nothing runs.
func (tx *Tx) dataColumns(ctx context.Context, relation string) ([]string, error) {
	rows, err := tx.tx.QueryContext(ctx, "DESCRIBE SELECT * FROM "+relation+" AS "+InputAlias)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var data []string
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(name, "_lb_fail_") && !slices.Contains(QualityColumns, name) {
			data = append(data, QuoteIdent(name))
		}
	}
	return data, rows.Err()
}

// countFlags counts the rows of a relation with flag columns, and each
// rule's failures, in one scan.
func (tx *Tx) countFlags(ctx context.Context, relation string, rules []Rule, q qualitySQL) ([]RuleOutcome, error) {
	row := tx.tx.QueryRowContext(ctx, "SELECT count(*), "+strings.Join(q.counts, ", ")+" FROM "+relation)
	dest := make([]any, len(rules)+1)
	var total int64
	failed := make([]int64, len(rules))
	dest[0] = &total
	for i := range failed {
		dest[i+1] = &failed[i]
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	out := make([]RuleOutcome, len(rules))
	for i, r := range rules {
		out[i] = RuleOutcome{Rule: r, RowsChecked: total, RowsFailed: failed[i]}
	}
	return out, nil
}

// QualityConservationError is a run whose checks lost or made rows: every row in
// is either valid or quarantined.
type QualityConservationError struct {
	Table                 TableName
	In, Valid, Quarantine int64
}

func (e *QualityConservationError) Error() string {
	return fmt.Sprintf("lakehouse: quality on %s: %d rows in but %d valid and %d quarantined; this is a bug in lakebench, please report it with the model and its rules",
		e.Table, e.In, e.Valid, e.Quarantine)
}

// quarantineMatches reports whether an existing quarantine has the columns
// rows of this build add to it, so they can be appended.
func (tx *Tx) quarantineMatches(ctx context.Context, qt TableName, data []string) (bool, error) {
	cols, err := tableColumns(ctx, tx.tx, qt)
	if err != nil {
		return false, err
	}
	have := make([]string, len(cols))
	for i, c := range cols {
		have[i] = QuoteIdent(c.Name)
	}
	want := append(slices.Clone(data), QuoteIdent("_errors"), QuoteIdent("_warnings"), QuoteIdent("_run_id"))
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want), nil
}

// ApplyQuality checks rules against an existing table, in one pass. Rows
// failing an error rule move to <table>_quarantine (appended, with _errors,
// _warnings and _run_id) and leave the table; warn rules are only counted.
func (tx *Tx) ApplyQuality(ctx context.Context, table TableName, rules []Rule, run QualityRun) ([]RuleOutcome, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	if err := checkRules(rules); err != nil {
		return nil, err
	}
	q := rulesSQL(rules, table.SQL(), run)
	if q.anyError == "" {
		out, err := tx.countFlags(ctx, "(SELECT "+strings.Join(q.flags, ", ")+" FROM "+table.SQL()+" AS "+InputAlias+")", rules, q)
		if err != nil {
			return nil, fmt.Errorf("lakehouse: quality on %s: %w", table, err)
		}
		return out, nil
	}
	// Error rules move rows: never out of lakebench's own tables.
	if err := tx.checkModelTarget(ctx, table); err != nil {
		return nil, err
	}
	data, out, err := tx.checkRows(ctx, "(SELECT rowid AS _lb_rowid, * FROM "+table.SQL()+")", rules, q)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: quality on %s: %w", table, err)
	}
	defer tx.tx.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.lb_checked")
	data = slices.DeleteFunc(data, func(c string) bool { return c == QuoteIdent("_lb_rowid") })
	if _, err := tx.quarantine(ctx, table, "temp.lb_checked", data, q, run, false); err != nil {
		return nil, err
	}
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM "+table.SQL()+" WHERE rowid IN (SELECT _lb_rowid FROM temp.lb_checked WHERE "+q.anyError+")"); err != nil {
		return nil, fmt.Errorf("lakehouse: quarantine %s: %w", table, err)
	}
	return out, nil
}

// quarantine appends the failing rows of flagged (a relation with the
// rules' flag columns) to the table's quarantine, creating it (or starting
// it over, when startOver is set or its columns are not those of these
// rows) first. It returns the rows added.
func (tx *Tx) quarantine(ctx context.Context, table TableName, flagged string, data []string, q qualitySQL, run QualityRun, startOver bool) (int64, error) {
	qt := QuarantineTable(table)
	failing := "SELECT " + strings.Join(data, ", ") + ", " + q.errors + " AS _errors, " + q.warnings + " AS _warnings, " +
		QuoteString(run.RunID) + " AS _run_id FROM " + flagged + " WHERE " + q.anyError
	exists, err := tableExists(ctx, tx.tx, qt)
	if err != nil {
		return 0, err
	}
	if exists && !startOver {
		if ok, err := tx.quarantineMatches(ctx, qt, data); err != nil {
			return 0, err
		} else if !ok {
			startOver = true
		}
	}
	stmt := "INSERT INTO " + qt.SQL() + " BY NAME " + failing
	if !exists || startOver {
		stmt = "CREATE OR REPLACE TABLE " + qt.SQL() + " AS " + failing
	}
	res, err := tx.tx.ExecContext(ctx, stmt)
	if err != nil {
		return 0, fmt.Errorf("lakehouse: quarantine %s: %w", table, err)
	}
	if !exists || startOver {
		// DuckDB reports no rows for a CREATE TABLE AS: count them.
		return tx.Count(ctx, qt)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// MaterializeChecked builds a table from a SELECT with its checks applied,
// as DQX's apply_checks_and_split: every rule's flag is computed in one pass
// over the SELECT's rows; rows failing an error rule go to
// <table>_quarantine (with _errors, _warnings and _run_id, appended run
// after run) and never into the table; rows failing only warn rules go in
// with _warnings (NULL when none; the column exists when a rule warns).
// Rows in = valid + quarantined, checked on every build.
//
// A full build (the zero Materialization) replaces the table and appends
// to the quarantine, so it keeps each run's rejects; with m.Rebuild the
// quarantine starts over too. An in-place materialization changes only the
// rows of the table and of its quarantine that the SELECT's rows replace.
// The outcomes count the SELECT's rows. It returns the table's row count.
func (tx *Tx) MaterializeChecked(ctx context.Context, table TableName, selectSQL string, m Materialization, rules []Rule, run QualityRun) (int64, []RuleOutcome, error) {
	// A build anew of a model with a unique_key checks the table it made;
	// a merge by key checks its new rows (materialize).
	anew := len(m.Unique) > 0 && !m.inPlace()
	if len(m.Unique) > 0 && !anew {
		exists, err := tableExists(ctx, tx.tx, table)
		if err != nil {
			return 0, nil, err
		}
		anew = !exists
	}
	n, out, err := tx.materialize(ctx, table, selectSQL, m, rules, run)
	if err == nil && anew {
		err = tx.checkUnique(ctx, table, table.SQL(), "", m.Unique)
	}
	if err != nil {
		return 0, nil, err
	}
	return n, out, nil
}

// DuplicateKeyError is a build whose rows repeat a value of its model's
// unique_key: Key shows one such value, on Rows rows; Keys values repeat.
type DuplicateKeyError struct {
	Table   TableName
	Columns []string
	Key     string
	Rows    int64
	Keys    int64
}

func (e *DuplicateKeyError) Error() string {
	cols := strings.Join(e.Columns, ", ")
	what := "1 key repeats"
	if e.Keys != 1 {
		what = fmt.Sprintf("%d keys repeat", e.Keys)
	}
	msg := fmt.Sprintf("lakehouse: %s: its unique_key (%s) repeats in the rows built together: %s is on %d rows (%s); nothing was written. "+
		"A merge by key replaces a key's row with a later build's, but one build must give one row per key: keep one in the model's SQL, "+
		"e.g. QUALIFY row_number() OVER (PARTITION BY %s ORDER BY _ingested_at DESC, _source_file DESC) = 1, or set unique_key to columns that are unique",
		e.Table, cols, e.Key, e.Rows, what, cols)
	if strings.Contains(e.Key, "=NULL") {
		// Rows without a key are one key to the merge (IS NOT DISTINCT
		// FROM): a rule can keep them out of the table instead.
		msg += fmt.Sprintf("; rows with no key can go to quarantine instead, with a rule in resources.quality.%s such as {check: is_not_null, column: %s, criticality: error}", e.Table, e.Columns[0])
	}
	return msg
}

// checkUnique fails with a DuplicateKeyError when rows of relation (those
// matching where, when given) repeat a value of key. NULLs are one value,
// as the merge by key matches them (IS NOT DISTINCT FROM).
func (tx *Tx) checkUnique(ctx context.Context, table TableName, relation, where string, key []string) error {
	cols := make([]string, len(key))
	shown := make([]string, len(key))
	for i, k := range key {
		cols[i] = QuoteIdent(k)
		shown[i] = QuoteString(k+"=") + " || coalesce(" + QuoteIdent(k) + "::VARCHAR, 'NULL')"
	}
	if where != "" {
		where = " WHERE " + where
	}
	q := "SELECT count(*), max(lb_n), arg_max(lb_key, lb_n) FROM (SELECT " + strings.Join(shown, " || ', ' || ") + " AS lb_key, count(*) AS lb_n FROM " +
		relation + where + " GROUP BY " + strings.Join(cols, ", ") + " HAVING count(*) > 1)"
	var keys int64
	var rows sql.NullInt64
	var example sql.NullString
	if err := tx.tx.QueryRowContext(ctx, q).Scan(&keys, &rows, &example); err != nil {
		return fmt.Errorf("lakehouse: materialize %s: unique key: %w", table, err)
	}
	if keys == 0 {
		return nil
	}
	return &DuplicateKeyError{Table: table, Columns: key, Key: example.String, Rows: rows.Int64, Keys: keys}
}

// materialize is MaterializeChecked but for the check of a full build's
// unique key.
func (tx *Tx) materialize(ctx context.Context, table TableName, selectSQL string, m Materialization, rules []Rule, run QualityRun) (int64, []RuleOutcome, error) {
	if err := tx.checkModelTarget(ctx, table); err != nil {
		return 0, nil, err
	}
	if err := checkRules(rules); err != nil {
		return 0, nil, err
	}
	selectSQL = trimSQL(selectSQL)
	exists, err := tableExists(ctx, tx.tx, table)
	if err != nil {
		return 0, nil, err
	}
	if _, err := tx.tx.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+QuoteIdent(table.Schema)); err != nil {
		return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	if len(rules) == 0 && (!exists || !m.inPlace()) {
		if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TABLE "+table.SQL()+" AS "+selectSQL); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		}
		n, err := tx.Count(ctx, table)
		return n, nil, err
	}
	if !exists || !m.inPlace() {
		if ok, err := m.Stage.current(ctx, tx, table, selectSQL, rules); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		} else if ok {
			return tx.takeStage(ctx, m.Stage, rules, m.Rebuild)
		}
	}
	relation, done, err := tx.modelRelation(ctx, selectSQL, rules)
	if err != nil {
		return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	defer done()
	q := rulesSQL(rules, relation, run)
	if !exists || !m.inPlace() {
		return tx.buildChecked(ctx, table, relation, rules, q, run, m.Rebuild)
	}
	if len(rules) == 0 && len(m.UniqueKey) == 0 && (m.ReplaceWhere != "" || m.Trace == nil) {
		return tx.replaceUnchecked(ctx, table, relation, m)
	}
	if onCheckedCopy != nil {
		onCheckedCopy(table)
	}
	if len(rules) == 0 {
		q.flags = []string{"false AS " + QuoteIdent(flagName(0))}
	}
	data, out, err := tx.checkRows(ctx, relation, rules, q)
	if err != nil {
		return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	defer tx.tx.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.lb_checked")
	if len(rules) == 0 {
		out = nil
	}
	var in int64
	if len(out) > 0 {
		in = out[0].RowsChecked
	} else if err := tx.tx.QueryRowContext(ctx, "SELECT count(*) FROM temp.lb_checked").Scan(&in); err != nil {
		return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	cols := strings.Join(data, ", ")
	if q.anyWarn != "" {
		cols += ", " + q.warnings + " AS _warnings"
	}
	passing := "SELECT " + cols + " FROM temp.lb_checked"
	if q.anyError != "" {
		passing += " WHERE NOT " + q.anyError
	}
	qt := QuarantineTable(table)
	qExists, err := tableExists(ctx, tx.tx, qt)
	if err != nil {
		return 0, nil, err
	}
	targets := []TableName{table}
	if qExists {
		targets = append(targets, qt)
	}
	// A traced merge by key finds the rows it replaces once, with their
	// rowids, for the trace and for the DELETE: a second join of
	// temp.lb_checked with every key of the table cost as much again.
	byRowid := m.Trace != nil && len(m.UniqueKey) > 0 && !hasRowidColumn(data)
	var bounds func(TableName) string
	if len(m.UniqueKey) > 0 {
		// The table may keep a column the new rows no longer have.
		have, err := tableColumns(ctx, tx.tx, table)
		if err != nil {
			return 0, nil, err
		}
		for _, c := range have {
			if hasRowidColumn([]string{QuoteIdent(c.Name)}) {
				byRowid = false
			}
		}
		if bounds, err = tx.mergeKeyBounds(ctx, targets, m.UniqueKey); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		}
	}
	if m.Trace != nil {
		cols := strings.Join(data, ", ")
		lost := "SELECT " + cols + " FROM " + table.SQL() + " WHERE false"
		switch {
		case byRowid:
			if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_lost AS SELECT rowid AS lb_rowid, "+cols+" FROM "+table.SQL()+
				" WHERE EXISTS (SELECT 1 FROM temp.lb_checked AS lb_new WHERE "+sameKey(table, m.UniqueKey)+")"+bounds(table)); err != nil {
				return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
			}
			defer tx.tx.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.lb_lost")
			lost = "SELECT " + cols + " FROM temp.lb_lost"
		case len(m.UniqueKey) > 0:
			lost = "SELECT " + cols + " FROM " + table.SQL() + " WHERE EXISTS (SELECT 1 FROM temp.lb_checked AS lb_new WHERE " + sameKey(table, m.UniqueKey) + ")" + bounds(table)
		case m.ReplaceWhere != "":
			lost = "SELECT " + cols + " FROM " + table.SQL() + " WHERE " + m.ReplaceWhere
		}
		gained := ""
		if q.anyError != "" {
			gained = " WHERE NOT " + q.anyError
		}
		projections, err := tx.traceProjections(ctx, data, byRowid, m.Trace)
		if err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		}
		if err := tx.traceChanges(ctx, data, lost, gained, m.Trace, projections); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		}
	}
	if len(m.UniqueKey) > 0 {
		passingRows := ""
		if q.anyError != "" {
			passingRows = "NOT " + q.anyError
		}
		if err := tx.checkUnique(ctx, table, "temp.lb_checked", passingRows, m.UniqueKey); err != nil {
			return 0, nil, err
		}
	}
	var stmts []string
	for _, t := range targets {
		switch {
		case byRowid && t == table:
			// Nothing wrote the table since lb_lost was read from it.
			stmts = append(stmts, "DELETE FROM "+t.SQL()+" WHERE rowid IN (SELECT lb_rowid FROM temp.lb_lost)")
		case len(m.UniqueKey) > 0:
			stmts = append(stmts, "DELETE FROM "+t.SQL()+" WHERE EXISTS (SELECT 1 FROM temp.lb_checked AS lb_new WHERE "+sameKey(t, m.UniqueKey)+")"+bounds(t))
		case m.ReplaceWhere != "":
			stmts = append(stmts, "DELETE FROM "+t.SQL()+" WHERE "+m.ReplaceWhere)
		}
	}
	for _, s := range stmts {
		if _, err := tx.tx.ExecContext(ctx, s); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		}
	}
	res, err := tx.tx.ExecContext(ctx, "INSERT INTO "+table.SQL()+" BY NAME "+passing)
	if err != nil {
		return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	valid, _ := res.RowsAffected()
	var rejected int64
	if q.anyError != "" {
		if rejected, err = tx.quarantine(ctx, table, "temp.lb_checked", data, q, run, m.Rebuild); err != nil {
			return 0, nil, err
		}
	}
	if valid+rejected != in {
		return 0, nil, &QualityConservationError{Table: table, In: in, Valid: valid, Quarantine: rejected}
	}
	n, err := tx.Count(ctx, table)
	return n, out, err
}

// mergeKeyBounds is, for a merge by key, a condition each row of a table
// (the model's or its quarantine) that shares a key with the new rows in
// temp.lb_checked meets: each key column of an ordered type between the
// new rows' least and greatest value. Beside sameKey it changes no
// answer, but DuckDB's zone maps then skip the row groups whose keys lie
// outside that range (a day's new events, whose ids follow the earlier
// days': finding the rows they replace read all 1.5M of the sample's
// silver.events, now about 2k). When a new key holds a NULL, which
// sameKey matches with the table's NULL keys and no range holds, the
// condition is empty. targets are the table and its quarantine. A key
// column is bounded only where it has the same type in the new rows and
// in every target, and, for text, no collation in these tables (a
// default_collation orders min and max alike): BETWEEN refuses to mix
// VARCHAR and INTEGER, which sameKey compares, and a NOCASE column orders
// apart from min and max ('b' matches 'B' yet lies outside ['B', 'a']).
// (A source check's keyBounds
// bounds its old rows the same way, with constants.)
func (tx *Tx) mergeKeyBounds(ctx context.Context, targets []TableName, key []string) (func(TableName) string, error) {
	none := func(TableName) string { return "" }
	// The key columns' types in temp.lb_checked ("") and each target,
	// and whether a table's definition names a collation.
	types := map[string]map[string]string{}
	collate := false
	q := `SELECT t.database_name = 'temp', t.schema_name, t.table_name, c.column_name, c.data_type, coalesce(t.sql ILIKE '%collate%', false)
		FROM duckdb_tables() AS t JOIN duckdb_columns() AS c USING (database_name, schema_name, table_name)
		WHERE (t.database_name = 'temp' AND t.table_name = 'lb_checked')`
	var args []any
	for _, t := range targets {
		q += ` OR (t.database_name = current_database() AND t.schema_name = ? AND t.table_name = ?)`
		args = append(args, t.Schema, t.Name)
	}
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var temp, coll bool
		var schema, table, col, typ string
		if err := rows.Scan(&temp, &schema, &table, &col, &typ, &coll); err != nil {
			rows.Close()
			return nil, err
		}
		name := ""
		if !temp {
			name = TableName{schema, table}.String()
		}
		if types[name] == nil {
			types[name] = map[string]string{}
		}
		types[name][strings.ToLower(col)] = strings.ToUpper(strings.TrimSpace(typ))
		collate = collate || coll
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var ordered, nulls []string
	for _, k := range key {
		typ, ok := types[""][strings.ToLower(k)]
		for _, t := range targets {
			ok = ok && types[t.String()][strings.ToLower(k)] == typ
		}
		if ok && orderedKeyType(typ) && !(collate && strings.HasPrefix(typ, "VARCHAR")) {
			ordered = append(ordered, k)
		}
		nulls = append(nulls, QuoteIdent(k)+" IS NULL")
	}
	if len(ordered) == 0 {
		return none, nil
	}
	var anyNull sql.NullBool
	if err := tx.tx.QueryRowContext(ctx, "SELECT bool_or("+strings.Join(nulls, " OR ")+") FROM temp.lb_checked").Scan(&anyNull); err != nil {
		return nil, err
	}
	if !anyNull.Valid || anyNull.Bool {
		return none, nil
	}
	return func(t TableName) string {
		var b strings.Builder
		for _, k := range ordered {
			c := QuoteIdent(k)
			fmt.Fprintf(&b, " AND %s.%s BETWEEN (SELECT min(%s) FROM temp.lb_checked) AND (SELECT max(%s) FROM temp.lb_checked)", t.SQL(), c, c, c)
		}
		return b.String()
	}, nil
}

// orderedKeyType says whether a key column of this DuckDB type is
// bounded by mergeKeyBounds: integers, decimals, text, dates and times, UUIDs
// (not floats, whose NaN orders apart, nor nested types).
func orderedKeyType(typ string) bool {
	t := strings.ToUpper(strings.TrimSpace(typ))
	switch {
	case strings.HasPrefix(t, "DECIMAL"), strings.HasPrefix(t, "TIMESTAMP"), strings.HasPrefix(t, "VARCHAR"):
		return !strings.ContainsAny(t, "[]<>") && !strings.Contains(t, "STRUCT") && !strings.Contains(t, "MAP")
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"DATE", "TIME", "UUID":
		return true
	}
	return false
}

// traceProjections asks a traced merge's Trace.Project for the columns
// each expression's readers read, when the merge replaces rows (those in
// temp.lb_lost, byRowid): nil (every column) otherwise, or when a
// projection names a column the rows do not carry.
func (tx *Tx) traceProjections(ctx context.Context, data []string, byRowid bool, tr *Trace) ([][]string, error) {
	if !byRowid || tr.Project == nil {
		return nil, nil
	}
	var replaced bool
	if err := tx.tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM temp.lb_lost)").Scan(&replaced); err != nil || !replaced {
		return nil, err
	}
	ps, err := tr.Project(ctx)
	if err != nil || len(ps) != len(tr.Exprs) {
		return nil, err
	}
	for i, p := range ps {
		if p != nil && !projectable(data, p) {
			ps[i] = nil
		}
	}
	return ps, nil
}

// hasRowidColumn reports whether one of the quoted data columns is named
// rowid, which hides DuckDB's row id from a query of the table (a merge
// then deletes by key instead of by row id), or lb_rowid, the name the
// replaced rows' row ids are kept under.
func hasRowidColumn(data []string) bool {
	return slices.ContainsFunc(data, func(c string) bool {
		n := strings.ToLower(c)
		return n == QuoteIdent("rowid") || n == QuoteIdent("lb_rowid")
	})
}

// onCheckedCopy, when set (by tests), is called each time an in-place
// build copies its rows into temp.lb_checked.
var onCheckedCopy func(table TableName)

// replaceUnchecked is an in-place build without rules that appends or
// replaces the rows matching m.ReplaceWhere: no row can fail, so the
// SELECT's rows go straight into the table, with no copy of them, and its
// rows in are the rows inserted. The rows a trace asks about are the
// table's rows matching ReplaceWhere, read before they are deleted and
// again once the new ones are in (the SELECT is filtered to the same
// condition); an append is traced by the caller's other path. A
// quarantine left by earlier rules loses the replaced rows, as the checked
// path's does.
func (tx *Tx) replaceUnchecked(ctx context.Context, table TableName, relation string, m Materialization) (int64, []RuleOutcome, error) {
	wrap := func(err error) error { return fmt.Errorf("lakehouse: materialize %s: %w", table, err) }
	data, err := tx.dataColumns(ctx, relation)
	if err != nil {
		return 0, nil, wrap(err)
	}
	cols := strings.Join(data, ", ")
	var lost []Change
	if m.Trace != nil {
		if lost, err = earliest(ctx, tx.tx, "(SELECT "+cols+" FROM "+table.SQL()+" WHERE "+m.ReplaceWhere+")", m.Trace.Alias, m.Trace.Exprs); err != nil {
			return 0, nil, wrap(fmt.Errorf("trace the changed rows' times: %w", err))
		}
	}
	if m.ReplaceWhere != "" {
		targets := []TableName{table}
		qt := QuarantineTable(table)
		if ok, err := tableExists(ctx, tx.tx, qt); err != nil {
			return 0, nil, err
		} else if ok {
			targets = append(targets, qt)
		}
		for _, t := range targets {
			if _, err := tx.tx.ExecContext(ctx, "DELETE FROM "+t.SQL()+" WHERE "+m.ReplaceWhere); err != nil {
				return 0, nil, wrap(err)
			}
		}
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO "+table.SQL()+" BY NAME SELECT "+cols+" FROM "+relation+" AS "+InputAlias); err != nil {
		return 0, nil, wrap(err)
	}
	if m.Trace != nil {
		gained, err := earliest(ctx, tx.tx, "(SELECT "+cols+" FROM "+table.SQL()+" WHERE "+m.ReplaceWhere+")", m.Trace.Alias, m.Trace.Exprs)
		if err != nil {
			return 0, nil, wrap(fmt.Errorf("trace the changed rows' times: %w", err))
		}
		if m.Trace.Found, err = tx.earlierChanges(ctx, lost, gained); err != nil {
			return 0, nil, wrap(fmt.Errorf("trace the changed rows' times: %w", err))
		}
	}
	n, err := tx.Count(ctx, table)
	return n, nil, err
}

// earlierChanges joins two traces of the same expressions (a build's
// removed rows and its added rows): their rows add up, and each
// expression's earliest time is the earlier of the two.
func (tx *Tx) earlierChanges(ctx context.Context, a, b []Change) ([]Change, error) {
	out := make([]Change, len(a))
	for i := range a {
		out[i] = Change{Type: a[i].Type, Rows: a[i].Rows + b[i].Rows, Earliest: a[i].Earliest}
		switch {
		case b[i].Earliest == "":
		case a[i].Earliest == "":
			out[i].Earliest = b[i].Earliest
		default:
			if strings.ContainsAny(a[i].Type, "'\";") {
				return nil, fmt.Errorf("type %q is not a DATE or TIMESTAMP", a[i].Type)
			}
			q := "SELECT least(CAST(? AS " + a[i].Type + "), CAST(? AS " + a[i].Type + "))::VARCHAR"
			if err := tx.tx.QueryRowContext(ctx, q, a[i].Earliest, b[i].Earliest).Scan(&out[i].Earliest); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// modelRelation is the relation a model's rules check: the SELECT's rows
// are read once, unless a rule reads them again (sql_query's input view):
// then they are kept in temp.lb_model, which done drops.
func (tx *Tx) modelRelation(ctx context.Context, selectSQL string, rules []Rule) (relation string, done func(), err error) {
	if !slices.ContainsFunc(rules, Rule.usesInput) {
		return "(" + selectSQL + "\n)", func() {}, nil
	}
	if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_model AS "+selectSQL); err != nil {
		return "", nil, err
	}
	return "temp.lb_model", func() { tx.tx.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.lb_model") }, nil
}

// createFlagged creates table from relation's rows with every rule's flag
// beside their columns (and _warnings, when a rule warns), in one pass. It
// returns the data columns.
func (tx *Tx) createFlagged(ctx context.Context, table TableName, relation string, q qualitySQL) ([]string, error) {
	data, err := tx.dataColumns(ctx, relation)
	if err != nil {
		return nil, err
	}
	cols := slices.Clone(data)
	if q.anyWarn != "" {
		cols = append(cols, q.warnings+" AS _warnings")
	}
	cols = append(cols, q.names...)
	if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TABLE "+table.SQL()+" AS SELECT "+strings.Join(cols, ", ")+
		" FROM (SELECT *, "+strings.Join(q.flags, ", ")+" FROM "+relation+" AS "+InputAlias+")"); err != nil {
		return nil, err
	}
	return data, nil
}

// countAndQuarantine counts the rules' flags over checked, a table with
// the flags beside data, and copies the rows failing an error rule to
// table's quarantine: the outcomes, the rows checked and the rows
// quarantined, for buildChecked and takeStage alike.
func (tx *Tx) countAndQuarantine(ctx context.Context, table TableName, checked string, data []string, rules []Rule, q qualitySQL, run QualityRun, startOver bool) ([]RuleOutcome, int64, int64, error) {
	out, err := tx.countFlags(ctx, checked, rules, q)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	var rejected int64
	if q.anyError != "" {
		if rejected, err = tx.quarantine(ctx, table, checked, data, q, run, startOver); err != nil {
			return nil, 0, 0, err
		}
	}
	return out, out[0].RowsChecked, rejected, nil
}

// buildChecked is MaterializeChecked's full build, which writes the rows
// once: the table is created with every rule's flag beside its columns (and
// _warnings, when a rule warns), the rows failing an error rule are copied
// from it to the quarantine and deleted, and the flags are dropped (DuckDB
// drops a column without rewriting the others). A temporary copy of the
// checked rows, written first and read twice, cost as much again as the
// table itself. When no row fails, nothing is deleted: a DELETE from a
// table created in the same transaction makes DuckDB write all of its rows
// again at commit (which a Stage avoids when rows do fail).
func (tx *Tx) buildChecked(ctx context.Context, table TableName, relation string, rules []Rule, q qualitySQL, run QualityRun, startOver bool) (int64, []RuleOutcome, error) {
	wrap := func(err error) error { return fmt.Errorf("lakehouse: materialize %s: %w", table, err) }
	data, err := tx.createFlagged(ctx, table, relation, q)
	if err != nil {
		return 0, nil, wrap(err)
	}
	out, in, rejected, err := tx.countAndQuarantine(ctx, table, table.SQL(), data, rules, q, run, startOver)
	if err != nil {
		return 0, nil, err
	}
	if rejected > 0 {
		if _, err := tx.tx.ExecContext(ctx, "DELETE FROM "+table.SQL()+" WHERE "+q.anyError); err != nil {
			return 0, nil, wrap(err)
		}
	}
	for _, f := range q.names {
		if _, err := tx.tx.ExecContext(ctx, "ALTER TABLE "+table.SQL()+" DROP COLUMN "+f); err != nil {
			return 0, nil, wrap(err)
		}
	}
	valid, err := tx.conserved(ctx, table, in, rejected)
	if err != nil {
		return 0, nil, err
	}
	return valid, out, nil
}

// conserved counts table's rows after a checked build and checks that
// they and the quarantined rows add up to the rows checked.
func (tx *Tx) conserved(ctx context.Context, table TableName, in, rejected int64) (int64, error) {
	valid, err := tx.Count(ctx, table)
	if err != nil {
		return 0, err
	}
	if valid+rejected != in {
		return 0, &QualityConservationError{Table: table, In: in, Valid: valid, Quarantine: rejected}
	}
	return valid, nil
}

// CheckErrors reads an _errors or _warnings value as the driver returns it
// (a list of structs) into CheckErrors; NULL gives none.
func CheckErrors(v any) []CheckError {
	list, _ := v.([]any)
	var out []CheckError
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		e := CheckError{Name: text(m["name"]), Message: text(m["message"]), Filter: text(m["filter"]),
			Function: text(m["function"]), RunID: text(m["run_id"]), Columns: []string{}}
		if t, ok := m["run_time"].(time.Time); ok {
			e.RunTime = t
		}
		if cols, ok := m["columns"].([]any); ok {
			for _, c := range cols {
				e.Columns = append(e.Columns, text(c))
			}
		}
		var keys, vals []any
		switch meta := m["user_metadata"].(type) {
		case duckdb.OrderedMap:
			keys, vals = meta.Keys(), meta.Values()
		case *duckdb.OrderedMap:
			keys, vals = meta.Keys(), meta.Values()
		case duckdb.Map:
			for k, v := range meta {
				keys, vals = append(keys, k), append(vals, v)
			}
		}
		if len(keys) > 0 {
			e.UserMetadata = map[string]string{}
			for i, k := range keys {
				e.UserMetadata[text(k)] = text(vals[i])
			}
		}
		out = append(out, e)
	}
	return out
}

// QualityResults lists one run's rows of sys.quality_results, by table,
// phase and check: the run runID, or the latest run that checked table
// (any table when table is ""). The session's principal needs SELECT on
// sys.quality_results (or CAN_VIEW on the target).
func (lh *Lakehouse) QualityResults(ctx context.Context, table, runID string) ([]QualityResult, error) {
	return governed(ctx, lh, func() ([]QualityResult, int64, error) {
		out, err := lh.qualityResults(ctx, table, runID)
		return out, int64(len(out)), err
	}, sysTable("quality_results"))
}

func (lh *Lakehouse) qualityResults(ctx context.Context, table, runID string) ([]QualityResult, error) {
	rows, err := lh.db.QueryContext(ctx, `WITH r AS (SELECT * FROM sys.quality_results WHERE ? = '' OR table_name = ?)
		SELECT run_id, table_name, rule, coalesce(criticality, ''), coalesce(rows_checked, 0), coalesce(rows_failed, 0), checked_at,
			coalesce(check_function, ''), coalesce(filter, ''), coalesce(phase, '')
		FROM r WHERE run_id = coalesce(nullif(?, ''), (SELECT run_id FROM r ORDER BY checked_at DESC LIMIT 1))
		ORDER BY table_name, phase, rule`, table, table, runID)
	return scanQualityResults(ctx, rows, err)
}

// checkRules refuses rules whose SQL pieces are not self-contained (see
// CheckFragment): each piece is placed apart from the others in the
// statements that run, so a piece that is not could make them differ from
// the statement AuthorizationSQL's caller checked.
func checkRules(rules []Rule) error {
	for _, r := range rules {
		for _, piece := range []struct{ what, sql string }{{"condition", r.Fail}, {"expression", r.Expression}, {"message", r.Message}, {"filter", r.Filter}} {
			if piece.sql == "" {
				continue
			}
			if err := CheckFragment(piece.sql); err != nil {
				return fmt.Errorf("lakehouse: check %s: its %s: %w", r.Name, piece.what, err)
			}
		}
	}
	return nil
}
