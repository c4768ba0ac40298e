package lakehouse

import (
	"context"
	"fmt"
	"reflect"
	"strings"
)

// StagePrefix begins the name of a staged build (see Tx.StageChecked): a
// table of lakebench's own, which no model may build and no listing shows,
// dropped by the next writer to open the file when a killed run left it.
const StagePrefix = "_lb_stage_"

// StageTable is where table's staged build is kept: in table's own schema,
// since DuckDB renames a table only within its schema.
func StageTable(t TableName) TableName {
	return TableName{Schema: t.Schema, Name: StagePrefix + t.Name}
}

// Stage is a model's full checked build made and committed ahead of the
// transaction that swaps it in (Materialization.Stage): the SELECT's rows
// with _warnings and every rule's flag, under StageTable's name.
//
// Why: a table created in a transaction and then deleted from (the
// quarantined rows) is written twice, since DuckDB rewrites every row of
// it at commit once any is deleted (on 7.3M rows, the commit cost as much
// as the CREATE TABLE AS). From a committed table a DELETE writes only
// which rows are gone, and a rename or a dropped column writes nothing.
type Stage struct {
	// Table is the model's table, SQL its SELECT and Rules its rules.
	Table TableName
	SQL   string
	Rules []Rule
	// Run is the run the stage's _warnings name; the quarantine's
	// _errors, written when the stage is taken, name it too.
	Run QualityRun
	// began is the lakehouse's commit count when the stage's
	// transaction began: the stage is current while its own commit is
	// the only one since (see current).
	began uint64
	lh    *Lakehouse
	taken bool
}

// Taken reports whether a transaction took the stage (whether or not it
// committed).
func (st *Stage) Taken() bool { return st.taken }

// StageChecked builds table's rows from selectSQL with the rules' flags
// into StageTable(table), for the caller to commit, then to take in a
// transaction begun after that commit (Materialization.Stage), which
// quarantines, deletes and swaps as a full build of MaterializeChecked
// would, and writes no row again. What the stage reads is what the
// transaction it is built in sees: a stage is taken only while no other
// transaction of the lakehouse has committed since that one began, else
// the taking transaction builds the table itself. Writes on the lakehouse
// outside a Tx (Exec's autocommit statements, lakebench's own records in
// sys) are not counted: a model that reads those may be staged on rows a
// moment older than its transaction's.
func (tx *Tx) StageChecked(ctx context.Context, table TableName, selectSQL string, rules []Rule, run QualityRun) (*Stage, error) {
	if err := tx.checkModelTarget(ctx, table); err != nil {
		return nil, err
	}
	if err := checkRules(rules); err != nil {
		return nil, err
	}
	selectSQL = trimSQL(selectSQL)
	wrap := func(err error) error { return fmt.Errorf("lakehouse: stage %s: %w", table, err) }
	if _, err := tx.tx.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+QuoteIdent(table.Schema)); err != nil {
		return nil, wrap(err)
	}
	relation, done, err := tx.modelRelation(ctx, selectSQL, rules)
	if err != nil {
		return nil, wrap(err)
	}
	defer done()
	q := rulesSQL(rules, relation, run)
	if _, err := tx.createFlagged(ctx, StageTable(table), relation, q); err != nil {
		return nil, wrap(err)
	}
	return &Stage{Table: table, SQL: selectSQL, Rules: append([]Rule(nil), rules...), Run: run, began: tx.began, lh: tx.lh}, nil
}

// current reports whether tx may take the stage for a full build of table
// from selectSQL with rules: the same build, made in the transaction whose
// commit is the only one since it began (so its rows are those tx would
// read), and still there.
func (st *Stage) current(ctx context.Context, tx *Tx, table TableName, selectSQL string, rules []Rule) (bool, error) {
	if st == nil || st.lh != tx.lh || st.Table != table || st.SQL != trimSQL(selectSQL) || !reflect.DeepEqual(st.Rules, rules) {
		return false, nil
	}
	if tx.began != st.began+1 || tx.lh.commits.Load() != st.began+1 {
		return false, nil
	}
	return tableExists(ctx, tx.tx, StageTable(table))
}

// takeStage is buildChecked over a current stage: the failing rows are
// copied to the quarantine and deleted from the stage (by rowid, after its
// flags are dropped: DuckDB refuses a commit that deletes from a table
// and then alters it), and the stage replaces the table.
func (tx *Tx) takeStage(ctx context.Context, st *Stage, rules []Rule, startOver bool) (int64, []RuleOutcome, error) {
	table, stage := st.Table, StageTable(st.Table)
	wrap := func(err error) error { return fmt.Errorf("lakehouse: materialize %s: %w", table, err) }
	q := rulesSQL(rules, stage.SQL(), st.Run)
	data, err := tx.dataColumns(ctx, stage.SQL())
	if err != nil {
		return 0, nil, wrap(err)
	}
	out, in, rejected, err := tx.countAndQuarantine(ctx, table, stage.SQL(), data, rules, q, st.Run, startOver)
	if err != nil {
		return 0, nil, err
	}
	// With failing rows, the table is written anew from the stage without
	// them or the flags. Deleting them from the stage and dropping its
	// flag columns in this transaction is what the stage was for, but
	// DuckDB 1.5 either refuses that commit (DELETE, then ALTER) or
	// writes a log it cannot replay ("Conflict on tuple deletion",
	// ALTER, then DELETE): a run killed after it, before the next
	// checkpoint, left a database no one could open (TestCrashMidTransform,
	// TestStageWithFailuresReplays).
	var steps []string
	if rejected > 0 {
		steps = []string{"DROP TABLE IF EXISTS " + table.SQL(),
			"CREATE TABLE " + table.SQL() + " AS SELECT * EXCLUDE (" + strings.Join(q.names, ", ") + ") FROM " + stage.SQL() + " WHERE (" + q.anyError + ") IS NOT TRUE",
			"DROP TABLE " + stage.SQL()}
	} else {
		for _, f := range q.names {
			steps = append(steps, "ALTER TABLE "+stage.SQL()+" DROP COLUMN "+f)
		}
		steps = append(steps, "DROP TABLE IF EXISTS "+table.SQL(), "ALTER TABLE "+stage.SQL()+" RENAME TO "+QuoteIdent(table.Name))
	}
	for _, s := range steps {
		if _, err := tx.tx.ExecContext(ctx, s); err != nil {
			return 0, nil, wrap(err)
		}
	}
	valid, err := tx.conserved(ctx, table, in, rejected)
	if err != nil {
		return 0, nil, err
	}
	st.taken = true
	return valid, out, nil
}

// stageWrites refuses a statement that writes a table or view named as a
// staged build (created, renamed onto, or written into), whoever runs it:
// such a table is lakebench's own, left out of every listing, and the
// next writer to open the file drops it as one a killed run left, so a
// table made under that name would vanish with its rows.
func stageWrites(principal string, writes []TableName) error {
	for _, t := range writes {
		if strings.HasPrefix(strings.ToLower(t.Name), StagePrefix) {
			return &AccessError{Principal: principal, Action: "write", Table: t,
				Reason: fmt.Sprintf("lakehouse: no one may write %s through a statement, the owner included: names beginning with %s are lakebench's staged builds, which the next run drops; use another name", t, StagePrefix)}
		}
	}
	return nil
}

// DropStage drops a stage that was not taken (its table is gone once it
// was), in a statement of its own.
func (lh *Lakehouse) DropStage(ctx context.Context, st *Stage) error {
	if st == nil {
		return nil
	}
	if _, err := lh.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+StageTable(st.Table).SQL()); err != nil {
		return fmt.Errorf("lakehouse: drop the stage of %s: %w", st.Table, err)
	}
	return nil
}

// dropStages drops every staged build in the file: called by a writer at
// open, when no run of it is under way, so any stage is one a killed run
// left.
func (lh *Lakehouse) dropStages(ctx context.Context) error {
	rows, err := lh.db.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND NOT temporary AND starts_with(table_name, ?)`, StagePrefix)
	if err != nil {
		return fmt.Errorf("lakehouse: find staged builds: %w", err)
	}
	var stages []TableName
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			rows.Close()
			return fmt.Errorf("lakehouse: find staged builds: %w", err)
		}
		stages = append(stages, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lakehouse: find staged builds: %w", err)
	}
	for _, t := range stages {
		if _, err := lh.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t.SQL()); err != nil {
			return fmt.Errorf("lakehouse: drop the staged build %s: %w", t, err)
		}
	}
	return nil
}
