package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Tx is one transaction on a target: a pipeline task runs in exactly one, so
// a crash or an error leaves the previous state.
type Tx struct {
	// tx is the transaction, through a catalogTx: every statement of the
	// Tx goes through it, so what it remembers of the catalog is current.
	tx *catalogTx
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
	// began is the lakehouse's count of commits when the transaction
	// began (see Lakehouse.commits), which tells a Stage it may take.
	began uint64
	// counted are the tables this transaction wrote, whose exact row
	// counts Commit keeps in sys.catalog (see countRows).
	counted map[TableName]bool
	// governs says the transaction may have written sys.governance
	// (DeployGovernance): the lakehouse's kept owner stays forgotten
	// until it ends (see ownerCache).
	governs bool
	// catalog are the catalog entries the transaction set, which Commit
	// writes with the counts (see setCatalog).
	catalog map[TableName]catalogWrite
	// rels are the relations the commit found (see recordCounts);
	// usage is the record the commit writes (RecordUsageAtCommit).
	rels  map[TableName]byte
	usage *usageAtCommit
}

// Begin starts a transaction.
func (lh *Lakehouse) Begin(ctx context.Context) (*Tx, error) {
	if lh.readOnly {
		return nil, fmt.Errorf("lakehouse: %s is open read-only", lh.path)
	}
	// Read before DuckDB takes the transaction's snapshot (at its first
	// statement): a commit in between makes a stage look stale, never
	// current.
	began := lh.commits.Load()
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: begin: %w", err)
	}
	// Whether the transaction may take the lakehouse's list of macros
	// (see functionClock): read before it begins.
	fnAt, fnClean := functionClock.start()
	fnClean = fnClean && !connTainted(ctx, conn)
	// And the lakehouse's catalog (see catalogClock).
	catAt, catClean := catalogClock.start()
	catClean = catClean && !connCatalogTainted(conn)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lakehouse: begin: %w", err)
	}
	ct := &catalogTx{Tx: tx}
	if fnClean {
		ct.kept, ct.keptAt = &lh.functions, fnAt
	}
	if catClean {
		ct.keptCat, ct.catAt = &lh.kept, catAt
	}
	return &Tx{tx: ct, conn: conn, lh: lh, columns: map[TableName][]Column{}, sniffs: map[TableName]csvSniff{}, began: began}, nil
}

// Commit commits the transaction.
func (tx *Tx) Commit() error {
	if err := tx.recordCounts(context.Background()); err != nil {
		return err
	}
	if err := tx.recordUsage(context.Background()); err != nil {
		return err
	}
	tx.lh.commits.Add(1)
	wrote := txWroteTables(tx.conn)
	err := tx.tx.Commit()
	if wrote {
		tx.lh.writes.Add(1)
	}
	tx.lh.commitsDone.Add(1)
	tx.conn.Close()
	tx.lh.afterCommit()
	tx.ended()
	if err != nil {
		return fmt.Errorf("lakehouse: commit: %w", err)
	}
	tx.lh.noteUnsized(tx.counted)
	for _, e := range tx.onCommit {
		if err := tx.lh.Audit(context.Background(), e); err != nil {
			return err
		}
	}
	tx.onCommit = nil
	return nil
}

// CommitAudited commits the transaction with e (and the events of
// AuditOnCommit) written into sys.audit inside it: the work and its audit
// are one commit, so neither lands without the other, and a pipeline task
// pays for one commit, not two. The chain's head is not read inside the
// transaction (which may have begun before other commits): it is this
// process's (writerHead), under the lock that orders its appends, held
// until the commit. Should the table have an event after it (one this
// process does not know of), the head is read again from the table, as
// it stands outside the transaction, and the events chained after it.
func (tx *Tx) CommitAudited(ctx context.Context, e AuditEvent) error {
	lh := tx.lh
	// The counts and usage first: they need no place in the chain.
	if err := tx.recordCounts(ctx); err != nil {
		return err
	}
	if err := tx.recordUsage(ctx); err != nil {
		return err
	}
	lh.auditMu.Lock()
	defer lh.auditMu.Unlock()
	head, err := lh.writerHead(ctx)
	if err != nil {
		return err
	}
	events := append(tx.onCommit, e)
	retried := false
	for i := 0; i < len(events); i++ {
		ev := events[i]
		ev.fillResult()
		next, err := appendAudit(ctx, tx.tx, head, ev)
		if errors.Is(err, errAuditHeadMoved) && i == 0 && !retried {
			// Nothing was written: read the table's head and chain anew.
			retried, lh.headKnown = true, false
			if head, err = lh.writerHead(ctx); err != nil {
				return err
			}
			i--
			continue
		}
		if err != nil {
			lh.headKnown = false
			return err
		}
		head = next
	}
	lh.commits.Add(1)
	wrote := txWroteTables(tx.conn)
	err = tx.tx.Commit()
	if wrote {
		lh.writes.Add(1)
	}
	lh.commitsDone.Add(1)
	tx.conn.Close()
	tx.ended()
	lh.afterCommit()
	if err != nil {
		lh.headKnown = false
		return fmt.Errorf("lakehouse: commit: %w", err)
	}
	lh.head = head
	tx.onCommit = nil
	lh.noteUnsized(tx.counted)
	return nil
}

// Rollback abandons the transaction; after Commit it does nothing.
func (tx *Tx) Rollback() error {
	err := tx.tx.Rollback()
	tx.conn.Close() // after Commit, already closed: ErrConnDone
	tx.ended()
	if err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("lakehouse: rollback: %w", err)
	}
	return nil
}

// ended is called once the transaction committed or rolled back: a
// change of sys.governance it made has ended (see ownerCache).
func (tx *Tx) ended() {
	if tx.governs {
		tx.governs = false
		tx.lh.owners.changed()
	}
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
	// Rebuild says the table is built from scratch (a full refresh of an
	// incremental model, or one whose SQL or rules changed): its
	// quarantine's history starts over with this build's rejects.
	Rebuild bool
	// Stage, when it holds this full build of the table (the same SELECT
	// and rules) and is still current (see Tx.StageChecked), is taken
	// instead of building the rows again. An in-place build ignores it.
	Stage *Stage
	// Trace, for an in-place build, asks for the earliest times among
	// the rows it changes (see Trace).
	Trace *Trace
	// Unique are the columns no two of the table's rows may share (the
	// model's unique_key), checked when a build makes the table anew; a
	// merge by UniqueKey checks its new rows.
	Unique []string
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

// registryWrites refuses writes into a registry table (see RegistryTables):
// DML, DDL (DROP, ALTER, CREATE OR REPLACE, a rename onto one of their
// names, a view named like one) and a DROP or CREATE OR REPLACE of their
// schema.
func registryWrites(principal string, writes []TableName) error {
	for _, t := range writes {
		if !IsRegistryTable(t) {
			continue
		}
		if slices.Contains(writes, TableName{Schema: t.Schema, Name: "*"}) {
			return &AccessError{Principal: principal, Action: "write", Table: TableName{Schema: t.Schema, Name: "*"},
				Reason: fmt.Sprintf("lakehouse: no one may drop or replace schema %s through a statement, the owner included: it holds the model registry's records (%s), which change only through `lakebench train` and `lakebench models` (checked and audited there)",
					t.Schema, strings.Join(RegistryTables, ", "))}
		}
		return registryWriteError(principal, t)
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
	if strings.HasPrefix(table.Name, StagePrefix) {
		return fmt.Errorf("lakehouse: materialize %s: %w: names beginning with %s are lakebench's staged builds; build the model under another name", table, ErrInternalTable, StagePrefix)
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
	n, _, err := tx.MaterializeChecked(ctx, table, selectSQL, m, nil, QualityRun{})
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

func tableExists(ctx context.Context, e execer, t TableName) (bool, error) {
	if c, ok := e.(*catalogTx); ok {
		rels, err := c.relations(ctx)
		if err != nil {
			return false, fmt.Errorf("lakehouse: look up %s: %w", t, err)
		}
		return rels[t] != 0, nil
	}
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
