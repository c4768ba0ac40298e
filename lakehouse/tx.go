package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Tx is one transaction on a target: a pipeline task runs in exactly one, so
// a crash or an error leaves the previous state.
type Tx struct {
	tx *sql.Tx
	// conn is the connection tx runs on, held for the transaction so a
	// columnar read (ReadColumns) can reach its driver connection.
	conn *sql.Conn
	lh   *Lakehouse
	// columns caches the columns of tables this transaction loads into,
	// and sniffs the CSV formats found for them, so a batch of daily files
	// asks once, not once per file.
	columns map[TableName][]Column
	sniffs  map[TableName]csvSniff
	// principal is who the user SQL of this transaction runs as (see
	// BeginAs and AuthorizeSQL); checked is what AuthorizeSQL allowed.
	principal string
	checked   []TableName
	// onCommit are the audit events Commit records (AuditOnCommit).
	onCommit []AuditEvent
}

// Begin starts a transaction.
func (lh *Lakehouse) Begin(ctx context.Context) (*Tx, error) {
	if lh.readOnly {
		return nil, fmt.Errorf("lakehouse: %s is open read-only", lh.path)
	}
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: begin: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lakehouse: begin: %w", err)
	}
	return &Tx{tx: tx, conn: conn, lh: lh, columns: map[TableName][]Column{}, sniffs: map[TableName]csvSniff{}}, nil
}

// Commit commits the transaction.
func (tx *Tx) Commit() error {
	err := tx.tx.Commit()
	tx.conn.Close()
	if err != nil {
		return fmt.Errorf("lakehouse: commit: %w", err)
	}
	for _, e := range tx.onCommit {
		if err := tx.lh.Audit(context.Background(), e); err != nil {
			return err
		}
	}
	tx.onCommit = nil
	return nil
}

// Rollback abandons the transaction; after Commit it does nothing.
func (tx *Tx) Rollback() error {
	err := tx.tx.Rollback()
	tx.conn.Close() // after Commit, already closed: ErrConnDone
	if err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("lakehouse: rollback: %w", err)
	}
	return nil
}

// Exec runs one statement in the transaction and returns the rows affected.
func (tx *Tx) Exec(ctx context.Context, stmt string) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, stmt)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Materialization says how a model's SELECT becomes its table. The zero
// value is a full refresh: the table is rebuilt from the SELECT. The other
// fields change an existing table in place (a missing one is built in
// full), together with its quarantine, so both end as a full refresh of
// the same data would leave them.
type Materialization struct {
	// UniqueKey merges by key: the table's (and quarantine's) rows with a
	// key the SELECT returns are replaced by the SELECT's rows.
	UniqueKey []string
	// Append inserts the SELECT's rows.
	Append bool
	// ReplaceWhere is a condition on the table's columns: its rows (and
	// its quarantine's) matching it are deleted and the SELECT's rows,
	// which the caller filtered to the same condition, inserted.
	ReplaceWhere string
}

func (m Materialization) inPlace() bool {
	return len(m.UniqueKey) > 0 || m.Append || m.ReplaceWhere != ""
}

// InternalSchema reports whether a schema is lakebench's own, where no
// model may build a table: sys holds lakebench's records (runs, audit,
// grants), bronze the views over ingested sources, and <schema>_data (such
// as bronze_data) the rows ingestion stored; DuckDB's catalogs are not
// places for tables either.
func InternalSchema(schema string) bool {
	switch s := strings.ToLower(schema); {
	case s == "sys", s == "bronze", s == "system", s == "information_schema", s == "pg_catalog", s == "temp":
		return true
	case strings.HasSuffix(s, "_data"):
		return true
	}
	return false
}

// InternalSchemaHint says where models go instead; validation shows it with
// a refused model.
const InternalSchemaHint = "models build tables in silver, gold, ml or a schema of your own; bronze is loaded by ingestion, sys is lakebench's, and schemas ending in _data hold ingested rows"

// ErrInternalTable is returned when a model would write a table lakebench
// keeps for itself (see InternalSchema).
var ErrInternalTable = errors.New("not a table a model may build")

// RegistryTables are the model registry's records in schema ml (package
// ml keeps them): like sys, no statement, model or prediction writes one,
// the owner's included; only the registry's own statements (Tx.ExecArgs)
// do, after its checks and with its audit (an alias moved by an UPDATE
// would skip both, and a production target's CAN_MANAGE).
var RegistryTables = []string{"runs", "registered_models", "model_versions", "model_aliases", "artifacts", "scorings"}

// IsRegistryTable reports whether t is one of RegistryTables, whatever
// the case of its name (DuckDB's names ignore case).
func IsRegistryTable(t TableName) bool {
	if !strings.EqualFold(t.Schema, "ml") {
		return false
	}
	for _, n := range RegistryTables {
		if strings.EqualFold(t.Name, n) {
			return true
		}
	}
	return false
}

// registryWriteError refuses a statement's write into a registry table.
func registryWriteError(principal string, t TableName) *AccessError {
	return &AccessError{Principal: principal, Action: "write", Table: t,
		Reason: fmt.Sprintf("lakehouse: no one may write %s through a statement, the owner included: it is one of the model registry's records, which change only through `lakebench train` and `lakebench models` (checked and audited there)", t)}
}

// registryWrites refuses writes into a registry table (see RegistryTables).
func registryWrites(principal string, writes []TableName) error {
	for _, t := range writes {
		if IsRegistryTable(t) {
			return registryWriteError(principal, t)
		}
	}
	return nil
}

// checkModelTarget refuses a model's target in an internal schema, a
// registry table, or a table ingestion loads (in any schema): whatever the
// caller checked, a model never overwrites ingested rows or lakebench's
// records.
func (tx *Tx) checkModelTarget(ctx context.Context, table TableName) error {
	if InternalSchema(table.Schema) {
		return fmt.Errorf("lakehouse: materialize %s: %w: %s", table, ErrInternalTable, InternalSchemaHint)
	}
	if IsRegistryTable(table) {
		return fmt.Errorf("lakehouse: write %s: %w: it is one of the model registry's records (%s in schema ml); write to another table",
			table, ErrInternalTable, strings.Join(RegistryTables, ", "))
	}
	if stored, err := tableExists(ctx, tx.tx, storeTable(table)); err != nil {
		return err
	} else if stored {
		return fmt.Errorf("lakehouse: materialize %s: %w: files are loaded into it (its rows are in %s); build the model under another name", table, ErrInternalTable, storeTable(table))
	}
	return nil
}

// Materialize builds table from a SELECT inside the transaction and returns
// the table's row count afterwards. A table in an internal schema (see
// InternalSchema) or one files are loaded into is refused.
func (tx *Tx) Materialize(ctx context.Context, table TableName, selectSQL string, m Materialization) (int64, error) {
	n, _, err := tx.MaterializeChecked(ctx, table, selectSQL, m, nil)
	return n, err
}

// sameKey is the condition that a row of lb_new has the key of a row of
// t; NULL keys match each other, as rows a full refresh deduplicates by
// key (row_number() OVER (PARTITION BY key)) do.
func sameKey(t TableName, key []string) string {
	conds := make([]string, len(key))
	for i, k := range key {
		conds[i] = "lb_new." + QuoteIdent(k) + " IS NOT DISTINCT FROM " + t.SQL() + "." + QuoteIdent(k)
	}
	return strings.Join(conds, " AND ")
}

// Rule is one data-quality rule as a SQL boolean expression over a table's
// columns: rows where it is false or NULL fail.
type Rule struct {
	Name        string
	Expression  string
	Criticality string // "error" quarantines failing rows; "warn" only counts them
}

// RuleOutcome is how many rows a rule checked and failed.
type RuleOutcome struct {
	Rule        Rule
	RowsChecked int64
	RowsFailed  int64
}

// qualitySQL is the SQL a set of rules needs: one failure count per rule,
// the condition of a row failing any error rule, and its reason.
type qualitySQL struct {
	counts  []string
	failing string // "" when no rule is an error rule
	reason  string
}

func rulesSQL(rules []Rule) qualitySQL {
	var q qualitySQL
	var failing, reasons []string
	for _, r := range rules {
		fails := "NOT coalesce((" + r.Expression + "), false)"
		q.counts = append(q.counts, "count(*) FILTER (WHERE "+fails+")")
		if r.Criticality == "error" {
			failing = append(failing, fails)
			reasons = append(reasons, "CASE WHEN "+fails+" THEN "+QuoteString(r.Name)+" END")
		}
	}
	if len(failing) > 0 {
		q.failing = "(" + strings.Join(failing, " OR ") + ")"
		q.reason = "concat_ws('; ', " + strings.Join(reasons, ", ") + ") AS _reason, now()::TIMESTAMP AS _quarantined_at"
	}
	return q
}

// countFailures counts each rule's failing rows in a relation.
func (tx *Tx) countFailures(ctx context.Context, relation string, rules []Rule, q qualitySQL) ([]RuleOutcome, error) {
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

// ApplyQuality checks rules against table. Rows failing any error rule move
// to <table>_quarantine (rebuilt each time, with a _reason column naming the
// failed rules) and leave the table.
func (tx *Tx) ApplyQuality(ctx context.Context, table TableName, rules []Rule) ([]RuleOutcome, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	q := rulesSQL(rules)
	if q.failing != "" {
		// Error rules move rows: never out of lakebench's own tables.
		if err := tx.checkModelTarget(ctx, table); err != nil {
			return nil, err
		}
	}
	out, err := tx.countFailures(ctx, table.SQL(), rules, q)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: quality on %s: %w", table, err)
	}
	if q.failing != "" {
		qt := TableName{Schema: table.Schema, Name: table.Name + "_quarantine"}
		stmts := []string{
			"CREATE OR REPLACE TABLE " + qt.SQL() + " AS SELECT *, " + q.reason + " FROM " + table.SQL() + " WHERE " + q.failing,
			"DELETE FROM " + table.SQL() + " WHERE " + q.failing,
		}
		for _, s := range stmts {
			if _, err := tx.tx.ExecContext(ctx, s); err != nil {
				return nil, fmt.Errorf("lakehouse: quarantine %s: %w", table, err)
			}
		}
	}
	return out, nil
}

// MaterializeChecked builds a table from a SELECT with its quality rules
// applied: rows failing an error rule go to <table>_quarantine instead
// (with _reason and _quarantined_at). A full refresh splits the SELECT's
// rows once, never deleting from the new table (a DELETE makes DuckDB's
// commit rewrite it); an in-place materialization (see Materialization)
// splits the SELECT's rows the same way and changes only the rows of the
// table and of its quarantine that they replace. The outcomes count the
// SELECT's rows. It returns the table's row count.
func (tx *Tx) MaterializeChecked(ctx context.Context, table TableName, selectSQL string, m Materialization, rules []Rule) (int64, []RuleOutcome, error) {
	if err := tx.checkModelTarget(ctx, table); err != nil {
		return 0, nil, err
	}
	q := rulesSQL(rules)
	selectSQL = trimSQL(selectSQL)
	qt := TableName{Schema: table.Schema, Name: table.Name + "_quarantine"}
	exists, err := tableExists(ctx, tx.tx, table)
	if err != nil {
		return 0, nil, err
	}
	if _, err := tx.tx.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+QuoteIdent(table.Schema)); err != nil {
		return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	if (!exists || !m.inPlace()) && q.failing == "" {
		// Nothing to split: build the table and count on it.
		if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TABLE "+table.SQL()+" AS "+selectSQL); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		}
		var out []RuleOutcome
		if len(rules) > 0 {
			if out, err = tx.countFailures(ctx, table.SQL(), rules, q); err != nil {
				return 0, nil, fmt.Errorf("lakehouse: quality on %s: %w", table, err)
			}
		}
		n, err := tx.Count(ctx, table)
		return n, out, err
	}
	if _, err := tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_model AS "+selectSQL); err != nil {
		return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
	}
	defer tx.tx.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.lb_model")
	var out []RuleOutcome
	if len(rules) > 0 {
		if out, err = tx.countFailures(ctx, "temp.lb_model", rules, q); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: quality on %s: %w", table, err)
		}
	}
	passing, failing := "SELECT * FROM temp.lb_model", ""
	if q.failing != "" {
		passing += " WHERE NOT " + q.failing
		failing = "SELECT *, " + q.reason + " FROM temp.lb_model WHERE " + q.failing
	}
	var stmts []string
	if !exists || !m.inPlace() {
		stmts = append(stmts, "CREATE OR REPLACE TABLE "+table.SQL()+" AS "+passing)
		if failing != "" {
			stmts = append(stmts, "CREATE OR REPLACE TABLE "+qt.SQL()+" AS "+failing)
		}
	} else {
		qExists, err := tableExists(ctx, tx.tx, qt)
		if err != nil {
			return 0, nil, err
		}
		targets := []TableName{table}
		if qExists {
			targets = append(targets, qt)
		}
		for _, t := range targets {
			switch {
			case len(m.UniqueKey) > 0:
				stmts = append(stmts, "DELETE FROM "+t.SQL()+" WHERE EXISTS (SELECT 1 FROM temp.lb_model AS lb_new WHERE "+sameKey(t, m.UniqueKey)+")")
			case m.ReplaceWhere != "":
				stmts = append(stmts, "DELETE FROM "+t.SQL()+" WHERE "+m.ReplaceWhere)
			}
		}
		stmts = append(stmts, "INSERT INTO "+table.SQL()+" BY NAME "+passing)
		if failing != "" {
			if !qExists {
				stmts = append(stmts, "CREATE TABLE "+qt.SQL()+" AS "+failing)
			} else {
				stmts = append(stmts, "INSERT INTO "+qt.SQL()+" BY NAME "+failing)
			}
		}
	}
	for _, s := range stmts {
		if _, err := tx.tx.ExecContext(ctx, s); err != nil {
			return 0, nil, fmt.Errorf("lakehouse: materialize %s: %w", table, err)
		}
	}
	n, err := tx.Count(ctx, table)
	return n, out, err
}

func tableExists(ctx context.Context, e execer, t TableName) (bool, error) {
	var n int
	err := e.QueryRowContext(ctx, `SELECT count(*) FROM (
		SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()
		UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal)
		WHERE schema_name = ? AND table_name = ?`, t.Schema, t.Name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("lakehouse: look up %s: %w", t, err)
	}
	return n > 0, nil
}

// TableExists reports whether the table (or view) exists.
func (lh *Lakehouse) TableExists(ctx context.Context, t TableName) (bool, error) {
	return tableExists(ctx, lh.db, t)
}

// Count returns a table's row count inside the transaction.
func (tx *Tx) Count(ctx context.Context, t TableName) (int64, error) {
	var n int64
	if err := tx.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t.SQL()).Scan(&n); err != nil {
		return 0, fmt.Errorf("lakehouse: count %s: %w", t, err)
	}
	return n, nil
}

// Query runs a SELECT inside the transaction and returns all its rows.
func (tx *Tx) Query(ctx context.Context, selectSQL string) (*Result, error) {
	return queryOn(ctx, tx.tx, trimSQL(selectSQL))
}

// Columns lists a table's columns inside the transaction.
func (tx *Tx) Columns(ctx context.Context, t TableName) ([]Column, error) {
	return tableColumns(ctx, tx.tx, t)
}

// Exists reports whether a table (or view) exists inside the transaction.
func (tx *Tx) Exists(ctx context.Context, t TableName) (bool, error) {
	return tableExists(ctx, tx.tx, t)
}
