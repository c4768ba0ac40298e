package lakehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A checks task counts the failures of a source table's rules (warn rules:
// nothing moves). Bronze only grows by files, so a daily run need not
// check the whole table again: when every rule's flag depends on its row
// alone (ScopeRow) or on the rows sharing its key (ScopeKey), the counts
// of the last check plus what the new files change are the counts a full
// check gives. CheckSource keeps, in the task's transaction:
//   - sys.check_state: per table, the fingerprint of what was checked (the
//     rules' SQL, the table's columns, the digests of the other tables the
//     rules read) and each rule's counts;
//   - sys.model_files under checkStateModel(table): the files checked;
//   - with each row of sys.check_state, the digest of both (files), as
//     RecordBuild keeps one of a model's records: state forged into the
//     file (a checked file's record, its counts) is not trusted.
// The next check is incremental only when the fingerprint is the same, no
// checked file was removed or reloaded, and the table holds exactly the
// checked rows plus the new files' rows; otherwise it checks in full.

const checkStateVersion = "lakebench source checks v1"

// checkStateDigest is the SQL of the digest of a table's check state
// (parameters: the table, checkStateModel of it): its rows in
// sys.check_state, but for the digest itself, and its records in
// sys.model_files.
const checkStateDigest = `SELECT md5(
	(SELECT coalesce(string_agg(fingerprint || ':' || rule_index::VARCHAR || ':' || rows_checked::VARCHAR || ':' || rows_failed::VARCHAR, ',' ORDER BY rule_index), '')
		FROM sys.check_state WHERE table_name = ?) || '|' ||
	(SELECT coalesce(string_agg(table_name || ':' || file_id::VARCHAR, ',' ORDER BY table_name, file_id), '')
		FROM sys.model_files WHERE model = ?))`

// checkStateModel is the name under which sys.model_files lists the files
// a table's checks have seen.
func checkStateModel(table TableName) string { return "checks:" + table.String() }

// SourceCheck is what CheckSource did: its outcomes (as ApplyQuality's)
// and whether it looked at the new files' rows only.
type SourceCheck struct {
	Outcomes    []RuleOutcome
	Incremental bool
	NewFiles    int
	// Why is why a check that could not be incremental was made in full
	// ("" when it was incremental or never could be).
	Why string
	// unchanged says the check found no file loaded since the last one,
	// with its state intact: the state it would write is the one there.
	unchanged bool
}

// CheckSource counts the failures of warn rules on an ingested (bronze)
// table, as ApplyQuality does, from the last check's counts and the rows
// of the files loaded since when it can (see above), in full otherwise
// (always when full is set). The counts are those of a full check either
// way. The caller has authorized the rules over the table.
func (tx *Tx) CheckSource(ctx context.Context, table TableName, rules []Rule, run QualityRun, full bool) (SourceCheck, error) {
	wrap := func(err error) error { return fmt.Errorf("lakehouse: check %s: %w", table, err) }
	for _, r := range rules {
		if r.Criticality == "error" {
			return SourceCheck{}, fmt.Errorf("lakehouse: check %s: rule %s is an error rule; a source's checks only count (use ApplyQuality)", table, r.Name)
		}
	}
	if err := checkRules(rules); err != nil {
		return SourceCheck{}, err
	}
	fp, why, err := tx.checkFingerprint(ctx, table, rules)
	if err != nil {
		return SourceCheck{}, wrap(err)
	}
	var res SourceCheck
	if fp != "" && !full {
		res, why, err = tx.checkSince(ctx, table, rules, run, fp)
		if err != nil {
			return SourceCheck{}, wrap(err)
		}
	}
	if !res.Incremental {
		out, err := tx.ApplyQuality(ctx, table, rules, run)
		if err != nil {
			return SourceCheck{}, err
		}
		res = SourceCheck{Outcomes: out, Why: why}
	}
	// A check that found no new file leaves its state as it is: the state
	// it would write (its fingerprint, counts, files and their digest) is
	// the one its last check wrote, which it just read intact.
	if !res.unchanged {
		if err := tx.recordCheckState(ctx, table, fp, res.Outcomes, run); err != nil {
			return SourceCheck{}, wrap(err)
		}
	}
	return res, nil
}

// checkSince is the incremental check, when the last check's state allows
// it; why says why not.
func (tx *Tx) checkSince(ctx context.Context, table TableName, rules []Rule, run QualityRun, fp string) (SourceCheck, string, error) {
	model := checkStateModel(table)
	rows, err := tx.tx.QueryContext(ctx, "SELECT fingerprint, rule_index, rows_checked, rows_failed FROM sys.check_state WHERE table_name = ? ORDER BY rule_index", table.String())
	if err != nil {
		return SourceCheck{}, "", err
	}
	var last string
	var checked int64
	prev := make([]int64, len(rules))
	found := 0
	for rows.Next() {
		var f string
		var i int
		var c, n int64
		if err := rows.Scan(&f, &i, &c, &n); err != nil {
			rows.Close()
			return SourceCheck{}, "", err
		}
		if i >= 0 && i < len(rules) {
			last, checked, prev[i] = f, c, n
			found++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SourceCheck{}, "", err
	}
	switch {
	case found == 0:
		return SourceCheck{}, "", nil
	case found != len(rules) || last != fp:
		return SourceCheck{}, "the rules, the table's columns or a table they read changed", nil
	}
	// No statement of lakebench writes sys, but the file is the user's:
	// state edited there (a file recorded as checked, so its rows would
	// be skipped; counts) does not match the digest its check kept. That,
	// the checked files since removed or reloaded, and the files loaded
	// since (with their ids) are read in one statement.
	var intact sql.NullBool
	var lost int64
	var news any
	if err := tx.tx.QueryRowContext(ctx, `SELECT
		(SELECT bool_and(files IS NOT NULL AND files = (`+checkStateDigest+`)) FROM sys.check_state WHERE table_name = ?),
		(SELECT count(*) FROM sys.model_files AS m
			WHERE m.model = ? AND NOT EXISTS (SELECT 1 FROM sys.ingested_files AS f WHERE f.table_name = m.table_name AND f.file_id = m.file_id)),
		(SELECT coalesce(list([path, file_id::VARCHAR] ORDER BY path), []) FROM sys.ingested_files WHERE table_name = ?
			AND file_id NOT IN (SELECT file_id FROM sys.model_files WHERE model = ? AND table_name = ?))`,
		table.String(), model, table.String(), model, table.String(), model, table.String()).Scan(&intact, &lost, &news); err != nil {
		return SourceCheck{}, "", err
	}
	if !intact.Bool {
		return SourceCheck{}, "its state (sys.check_state, sys.model_files) is not the one its last check wrote", nil
	}
	if lost > 0 {
		return SourceCheck{}, fmt.Sprintf("%d checked files were removed or reloaded", lost), nil
	}
	var paths, ids []string
	list, _ := news.([]any)
	for _, e := range list {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			return SourceCheck{}, "", fmt.Errorf("new files of %s: unexpected %T", table, e)
		}
		p, ok1 := pair[0].(string)
		id, ok2 := pair[1].(string)
		if !ok1 || !ok2 {
			return SourceCheck{}, "", fmt.Errorf("new files of %s: unexpected %v", table, pair)
		}
		paths, ids = append(paths, p), append(ids, id)
	}
	if len(paths) == 0 {
		// No file loaded since: the table must hold exactly the checked
		// rows, and the counts stand (the state is left as it is, see
		// CheckSource).
		var total int64
		if err := tx.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table.SQL()).Scan(&total); err != nil {
			return SourceCheck{}, "", err
		}
		if total != checked {
			return SourceCheck{}, fmt.Sprintf("the table holds %d rows, not the %d checked plus the 0 of new files", total, checked), nil
		}
		res := SourceCheck{Incremental: true, Outcomes: make([]RuleOutcome, len(rules)), unchanged: true}
		for i, r := range rules {
			res.Outcomes[i] = RuleOutcome{Rule: r, RowsChecked: total, RowsFailed: prev[i]}
		}
		return res, "", nil
	}
	// The new files' rows, read once (a day's batch is small).
	if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_new AS SELECT * FROM "+StreamFilter(table, paths)); err != nil {
		return SourceCheck{}, "", err
	}
	defer tx.tx.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.lb_new")
	var total, added int64
	if err := tx.tx.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM "+table.SQL()+"), (SELECT count(*) FROM temp.lb_new)").Scan(&total, &added); err != nil {
		return SourceCheck{}, "", err
	}
	if total != checked+added {
		return SourceCheck{}, fmt.Sprintf("the table holds %d rows, not the %d checked plus the %d of new files", total, checked, added), nil
	}
	res := SourceCheck{Incremental: true, NewFiles: len(paths), Outcomes: make([]RuleOutcome, len(rules))}
	for i, r := range rules {
		res.Outcomes[i] = RuleOutcome{Rule: r, RowsChecked: total, RowsFailed: prev[i]}
	}
	if added == 0 {
		return res, "", nil
	}
	var byRow, byKey []int
	for i, r := range rules {
		if r.Scope == ScopeRow {
			byRow = append(byRow, i)
		} else {
			byKey = append(byKey, i)
		}
	}
	count := func(relation string, idx []int) ([]int64, error) {
		sub := make([]Rule, len(idx))
		for k, i := range idx {
			sub[k] = rules[i]
		}
		q := rulesSQL(sub, relation, run)
		out, err := tx.countFlags(ctx, "(SELECT "+strings.Join(q.flags, ", ")+" FROM "+relation+" AS "+InputAlias+")", sub, q)
		if err != nil {
			return nil, err
		}
		n := make([]int64, len(out))
		for k, o := range out {
			n[k] = o.RowsFailed
		}
		return n, nil
	}
	if len(byRow) > 0 {
		n, err := count("temp.lb_new", byRow)
		if err != nil {
			return SourceCheck{}, "", err
		}
		for k, i := range byRow {
			res.Outcomes[i].RowsFailed += n[k]
		}
	}
	// A keyed rule's flags change only on the rows whose key a new row
	// has: the old ones among them are checked as they were (alone) and
	// as they are (with the new rows), and the count moves by the
	// difference. Usually no old row shares a key with a new one: the
	// old rows are then looked up by their key columns only.
	quoted := make([]string, len(paths))
	for k, p := range paths {
		quoted[k] = QuoteString(p)
	}
	stored, err := tableColumns(ctx, tx.tx, storeTable(table))
	if err != nil {
		return SourceCheck{}, "", err
	}
	for _, i := range byKey {
		r := rules[i]
		key := make([]string, len(r.Key))
		var nulls []string
		for k, c := range r.Key {
			key[k] = QuoteIdent(c)
			nulls = append(nulls, key[k]+" IS NULL")
		}
		var keyNulls bool
		if err := tx.tx.QueryRowContext(ctx, "SELECT count(*) > 0 FROM temp.lb_new WHERE "+strings.Join(nulls, " OR ")).Scan(&keyNulls); err != nil {
			return SourceCheck{}, "", err
		}
		// Without NULL keys among the new rows, equality finds the same old
		// rows as IS NOT DISTINCT FROM, and lets DuckDB skip the row groups
		// outside the new keys' range.
		var match []string
		for _, k := range key {
			if keyNulls {
				match = append(match, "lb_k."+k+" IS NOT DISTINCT FROM lb_t."+k)
			} else {
				match = append(match, "lb_k."+k+" = lb_t."+k)
			}
		}
		keys := "(SELECT DISTINCT " + strings.Join(key, ", ") + " FROM temp.lb_new) AS lb_k WHERE " + strings.Join(match, " AND ")
		bounds := ""
		if !keyNulls {
			if bounds, err = tx.keyBounds(ctx, key); err != nil {
				return SourceCheck{}, "", err
			}
		}
		old := "FROM " + table.SQL() + " AS lb_t WHERE NOT coalesce(lb_t._source_file IN (" + strings.Join(quoted, ", ") + "), false) AND EXISTS (SELECT 1 FROM " + keys + ")" + bounds
		// Counted on the stored rows (the view's rows are those whose
		// file is loaded), reading the key columns and file ids only.
		lookup := "SELECT count(*) " + old
		if slices.ContainsFunc(stored, func(c Column) bool { return c.Name == fileIDColumn }) {
			lookup = "SELECT count(*) FROM " + storeTable(table).SQL() + " AS lb_t WHERE lb_t." + fileIDColumn + " NOT IN (" + strings.Join(ids, ", ") + ") AND lb_t." + fileIDColumn +
				" IN (SELECT file_id FROM sys.ingested_files) AND EXISTS (SELECT 1 FROM " + keys + ")" + bounds
		}
		var shared int64
		if err := tx.tx.QueryRowContext(ctx, lookup).Scan(&shared); err != nil {
			return SourceCheck{}, "", err
		}
		if shared == 0 {
			n, err := count("temp.lb_new", []int{i})
			if err != nil {
				return SourceCheck{}, "", err
			}
			res.Outcomes[i].RowsFailed += n[0]
			continue
		}
		if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_old AS SELECT lb_t.* "+old); err != nil {
			return SourceCheck{}, "", err
		}
		before, err := count("temp.lb_old", []int{i})
		if err != nil {
			return SourceCheck{}, "", err
		}
		after, err := count("(SELECT * FROM temp.lb_old UNION ALL SELECT * FROM temp.lb_new)", []int{i})
		if err != nil {
			return SourceCheck{}, "", err
		}
		if _, err := tx.tx.ExecContext(ctx, "DROP TABLE temp.lb_old"); err != nil {
			return SourceCheck{}, "", err
		}
		res.Outcomes[i].RowsFailed += after[0] - before[0]
	}
	return res, "", nil
}

// keyBounds bounds each key column of the old rows (lb_t) to the new
// rows' range of it, as constants, so DuckDB skips the row groups whose
// min and max lie outside (a day's new keys are usually past every old
// one): implied by the equality on the key, so the rows found are the
// same. Only for types whose text is their value exactly; "" for others.
func (tx *Tx) keyBounds(ctx context.Context, key []string) (string, error) {
	var b strings.Builder
	for _, k := range key {
		var lo, hi, typ sql.NullString
		if err := tx.tx.QueryRowContext(ctx, "SELECT min("+k+")::VARCHAR, max("+k+")::VARCHAR, any_value(typeof("+k+")) FROM temp.lb_new").Scan(&lo, &hi, &typ); err != nil {
			return "", err
		}
		switch typ.String {
		case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "VARCHAR", "DATE", "TIMESTAMP":
		default:
			continue
		}
		if !lo.Valid || !hi.Valid {
			continue
		}
		cast := func(v string) string { return "CAST(" + QuoteString(v) + " AS " + typ.String + ")" }
		b.WriteString(" AND lb_t." + k + " BETWEEN " + cast(lo.String) + " AND " + cast(hi.String))
	}
	return b.String(), nil
}

// recordCheckState replaces the table's check state with this check's:
// its fingerprint and counts, and every file now loaded into the table as
// checked. A fingerprint of "" (rules that cannot be checked
// incrementally) clears it.
func (tx *Tx) recordCheckState(ctx context.Context, table TableName, fp string, out []RuleOutcome, run QualityRun) error {
	model := checkStateModel(table)
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM sys.check_state WHERE table_name = ?", []any{table.String()}},
		{"DELETE FROM sys.model_files WHERE model = ?", []any{model}},
	} {
		if _, err := tx.tx.ExecContext(ctx, s.sql, s.args...); err != nil {
			return err
		}
	}
	if fp == "" {
		return nil
	}
	for i, o := range out {
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.check_state (table_name, fingerprint, rule_index, rows_checked, rows_failed, run_id) VALUES (?, ?, ?, ?, ?, ?)",
			table.String(), fp, i, o.RowsChecked, o.RowsFailed, nullString(run.RunID)); err != nil {
			return err
		}
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.model_files SELECT ?, table_name, file_id FROM sys.ingested_files WHERE table_name = ?", model, table.String()); err != nil {
		return err
	}
	_, err := tx.tx.ExecContext(ctx, "UPDATE sys.check_state SET files = ("+checkStateDigest+") WHERE table_name = ?", table.String(), model, table.String())
	return err
}

// checkFingerprint is the fingerprint of what a check of table with rules
// depends on besides the table's rows: the rules, the table's columns and
// the content of every other table the rules read. It is "" (with why)
// when a rule's flag may depend on more than its row or key: no scope, a
// function whose result changes from run to run (now(), random()), a read
// of the checked table itself other than through its input, or an
// sql_query whose rows do not each come from one input row.
func (tx *Tx) checkFingerprint(ctx context.Context, table TableName, rules []Rule) (string, string, error) {
	cols, err := describeTable(ctx, tx.tx, table)
	if err != nil {
		return "", "", err
	}
	volatile, err := tx.volatileFunctions(ctx)
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", checkStateVersion, table)
	shape := make([]string, len(cols))
	for i, c := range cols {
		fmt.Fprintf(h, "column %q %q\n", c.Name, c.Type)
		shape[i] = "CAST(NULL AS " + c.Type + ") AS " + QuoteIdent(c.Name)
	}
	var reads []TableName
	for _, r := range rules {
		if r.Scope != ScopeRow && r.Scope != ScopeKey {
			return "", "", nil
		}
		if r.Scope == ScopeKey && len(r.Key) == 0 {
			return "", "", nil
		}
		for _, k := range r.Key {
			if !slices.ContainsFunc(cols, func(c Column) bool { return c.Name == k }) {
				return "", "", nil
			}
		}
		if why, err := tx.stable(ctx, r, volatile); err != nil || why != "" {
			return "", why, err
		}
		if r.Query != "" {
			if why, err := tx.rowPreserving(ctx, r.Query, r.Key); err != nil || why != "" {
				return "", "rule " + r.Name + ": " + why, err
			}
		}
		// The rule over rows of the table's shape but from no table: what
		// it reads besides its input.
		got, _, err := tx.AuthorizeSQL(ctx, AuthorizationSQL("(SELECT "+strings.Join(shape, ", ")+")", []Rule{r}))
		if err != nil {
			return "", "", err
		}
		for _, t := range got {
			if t == table {
				return "", "rule " + r.Name + " reads " + table.String() + " besides its rows", nil
			}
			if !slices.Contains(reads, t) {
				reads = append(reads, t)
			}
		}
		fmt.Fprintf(h, "rule %q %q %q %q %q %q %q %q %q\n", r.Name, r.Criticality, r.Function, r.Fail, r.Expression, r.Filter, r.Scope, r.Key, r.Query)
	}
	slices.SortFunc(reads, func(a, b TableName) int { return strings.Compare(a.String(), b.String()) })
	for _, t := range reads {
		d, n, err := tx.TableDigest(ctx, t)
		if err != nil {
			return "", "", err
		}
		fmt.Fprintf(h, "reads %s %s %d\n", t, d, n)
	}
	return hex.EncodeToString(h.Sum(nil)), "", nil
}

// volatileFunctions are the names of DuckDB's functions whose result is not
// the same for the same arguments from one run to the next.
func (tx *Tx) volatileFunctions(ctx context.Context) (map[string]bool, error) {
	return tx.functionNames(ctx, volatileWhere)
}

// volatileWhere selects, in duckdb_functions(), the functions whose value
// may change from one run to the next (a live result's preview skips
// them too).
const volatileWhere = "stability <> 'CONSISTENT'"

// functionNames are the lower-case names of DuckDB's functions that where
// (a condition on duckdb_functions(), a constant of this package) selects.
// DuckDB's built-in functions (internal) are the same for the life of
// the lakehouse, as no extension is ever loaded, so they are read once
// per condition (builtinFunctions); the others, macros statements
// created, are read once per transaction and catalog change (see
// catalogTx.userFunctions). The caller must not change the map.
func (tx *Tx) functionNames(ctx context.Context, where string) (map[string]bool, error) {
	builtin, err := tx.lh.builtinFunctions(ctx, where)
	if err != nil {
		return nil, err
	}
	user, ok, err := tx.tx.userFunctions(ctx, where)
	if !ok {
		user, err = functionNames(ctx, tx.tx, "NOT internal AND ("+where+")")
	}
	if err != nil {
		return nil, err
	}
	if len(user) == 0 {
		return builtin, nil
	}
	out := maps.Clone(builtin)
	maps.Copy(out, user)
	return out, nil
}

// builtinFunctions are the lower-cased names of DuckDB's built-in
// functions (internal) that where selects, read once per condition.
// The caller must not change the map.
func (lh *Lakehouse) builtinFunctions(ctx context.Context, where string) (map[string]bool, error) {
	lh.builtinMu.Lock()
	defer lh.builtinMu.Unlock()
	if names, ok := lh.builtins[where]; ok {
		return names, nil
	}
	names, err := functionNames(ctx, lh.db, "internal AND ("+where+")")
	if err != nil {
		return nil, err
	}
	if lh.builtins == nil {
		lh.builtins = map[string]map[string]bool{}
	}
	lh.builtins[where] = names
	return names, nil
}

// functionNames is Tx.functionNames on any connection.
func functionNames(ctx context.Context, e execer, where string) (map[string]bool, error) {
	// Lower-cased here, not by lower(): a macro may be named lower.
	rows, err := e.QueryContext(ctx, "SELECT DISTINCT function_name FROM duckdb_functions() WHERE "+where)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[strings.ToLower(n)] = true
	}
	return out, rows.Err()
}

// inputPlaceholder stands for InputView in SQL parsed (not bound) to see
// its shape.
const inputPlaceholder = "lb_input_view"

// parseSQL is DuckDB's parse tree of one statement, as json_serialize_sql
// gives it.
func (tx *Tx) parseSQL(ctx context.Context, sqlText string) (map[string]any, error) {
	text, err := serializeSQL(ctx, tx.tx, strings.ReplaceAll(sqlText, InputView, inputPlaceholder))
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	if err := json.Unmarshal([]byte(text), &tree); err != nil {
		return nil, err
	}
	if e, _ := tree["error"].(bool); e {
		return nil, fmt.Errorf("cannot parse %q: %v", sqlText, tree["error_message"])
	}
	stmts, _ := tree["statements"].([]any)
	if len(stmts) != 1 {
		return nil, fmt.Errorf("%q is not one statement", sqlText)
	}
	node, _ := stmts[0].(map[string]any)["node"].(map[string]any)
	if node == nil {
		return nil, fmt.Errorf("%q is not a query", sqlText)
	}
	return node, nil
}

// stable says why a rule's flag may change between runs on the same rows
// ("" when it cannot): a volatile function, or a table function.
func (tx *Tx) stable(ctx context.Context, r Rule, volatile map[string]bool) (string, error) {
	exprs := []string{r.failSQL(InputView)}
	for _, e := range exprs {
		node, err := tx.parseSQL(ctx, "SELECT "+e)
		if err != nil {
			return "", err
		}
		why := ""
		walkJSON(node, func(m map[string]any) {
			if why != "" {
				return
			}
			if m["type"] == "TABLE_FUNCTION" {
				why = "rule " + r.Name + " reads a table function"
			}
			if m["class"] == "FUNCTION" || m["class"] == "WINDOW" {
				if fn, _ := m["function_name"].(string); volatile[strings.ToLower(fn)] {
					why = "rule " + r.Name + " calls " + fn + "(), whose value changes from run to run"
				}
			}
		})
		if why != "" {
			return why, nil
		}
	}
	return "", nil
}

// rowPreserving says why an sql_query's rows may not each come from one
// input row with its key ("" when they do): the query must be one SELECT
// of the input joined (inner, or left with the input on the left) to
// tables, without aggregates, windows, subqueries, DISTINCT or LIMIT, and
// select each key column from the input under its own name.
func (tx *Tx) rowPreserving(ctx context.Context, query string, key []string) (string, error) {
	node, err := tx.parseSQL(ctx, query)
	if err != nil {
		return "", err
	}
	no := func(what string) (string, error) { return "its sql_query " + what, nil }
	if node["type"] != "SELECT_NODE" {
		return no("is not one SELECT")
	}
	if mods, _ := node["modifiers"].([]any); slices.ContainsFunc(mods, func(m any) bool {
		mm, _ := m.(map[string]any)
		return mm["type"] != "ORDER_MODIFIER"
	}) {
		return no("has DISTINCT or LIMIT")
	}
	if cte, _ := node["cte_map"].(map[string]any); cte != nil {
		if m, _ := cte["map"].([]any); len(m) > 0 {
			return no("has a WITH clause")
		}
	}
	if g, _ := node["group_expressions"].([]any); len(g) > 0 || node["having"] != nil || node["qualify"] != nil || node["sample"] != nil {
		return no("groups or samples its rows")
	}
	if g, _ := node["group_sets"].([]any); len(g) > 0 {
		return no("groups its rows")
	}
	aggregates, err := tx.aggregateFunctions(ctx)
	if err != nil {
		return "", err
	}
	var inputAlias string
	inputs := 0
	var from func(n map[string]any, leftOnly bool) string
	from = func(n map[string]any, leftOK bool) string {
		switch n["type"] {
		case "BASE_TABLE":
			if n["table_name"] == inputPlaceholder && n["schema_name"] == "" {
				inputs++
				inputAlias, _ = n["alias"].(string)
				if inputAlias == "" {
					inputAlias = inputPlaceholder
				}
				if !leftOK {
					return "joins its input on the right of an outer join"
				}
			}
			if n["at_clause"] != nil || n["sample"] != nil {
				return "samples or time-travels a table"
			}
			return ""
		case "JOIN":
			jt, _ := n["join_type"].(string)
			rt, _ := n["ref_type"].(string)
			if rt != "REGULAR" && rt != "CROSS" {
				return "has a " + rt + " join"
			}
			l, _ := n["left"].(map[string]any)
			r, _ := n["right"].(map[string]any)
			switch jt {
			case "INNER":
				if w := from(l, leftOK); w != "" {
					return w
				}
				return from(r, leftOK)
			case "LEFT":
				if w := from(l, leftOK); w != "" {
					return w
				}
				return from(r, false)
			}
			return "has a " + jt + " join"
		}
		return "reads something other than tables"
	}
	f, _ := node["from_table"].(map[string]any)
	if f == nil {
		return no("reads no table")
	}
	if w := from(f, true); w != "" {
		return no(w)
	}
	if inputs != 1 {
		return no("does not read its input exactly once")
	}
	why := ""
	walkJSON(node, func(m map[string]any) {
		if why != "" {
			return
		}
		switch m["class"] {
		case "WINDOW":
			why = "has a window"
		case "SUBQUERY":
			why = "has a subquery"
		case "FUNCTION":
			if fn, _ := m["function_name"].(string); aggregates[strings.ToLower(fn)] {
				why = "aggregates with " + fn + "()"
			}
		}
	})
	if why != "" {
		return no(why)
	}
	list, _ := node["select_list"].([]any)
	for _, k := range key {
		ok := false
		for _, item := range list {
			m, _ := item.(map[string]any)
			if m["class"] != "COLUMN_REF" {
				continue
			}
			names, _ := m["column_names"].([]any)
			alias, _ := m["alias"].(string)
			if len(names) == 2 && names[0] == inputAlias && names[1] == k && (alias == "" || alias == k) {
				ok = true
			}
		}
		if !ok {
			return no("does not select " + k + " from its input (as " + inputAlias + "." + k + ")")
		}
	}
	return "", nil
}

// aggregateFunctions are the names of DuckDB's aggregate functions.
func (tx *Tx) aggregateFunctions(ctx context.Context) (map[string]bool, error) {
	return tx.functionNames(ctx, "function_type = 'aggregate'")
}
