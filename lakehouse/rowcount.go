package lakehouse

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// storedSizesSQL lists every table and view of the target with DuckDB's
// estimated_size: the rows stored, deleted ones included until a
// checkpoint drops them, and rows another transaction has not committed
// left out. A bronze view has its stored table's (<schema>_data.<name>,
// see ingest). Catalog and recordCountSizes read it alike.
const storedSizesSQL = `(WITH stored AS (SELECT schema_name, table_name, estimated_size FROM duckdb_tables()
			WHERE database_name = current_database() AND NOT temporary AND NOT starts_with(table_name, '` + StagePrefix + `'))
		SELECT * FROM stored WHERE NOT suffix(schema_name, '_data')
		UNION ALL SELECT v.schema_name, v.view_name, s.estimated_size FROM duckdb_views() v
		LEFT JOIN stored s ON s.schema_name = v.schema_name || '_data' AND s.table_name = v.view_name
		WHERE v.database_name = current_database() AND NOT v.internal AND NOT v.temporary)`

// countRows notes tables the transaction wrote: when it commits, their
// exact row counts are kept in sys.catalog (recordCounts), so Catalog can
// show a count, not DuckDB's estimate, without counting anything.
func (tx *Tx) countRows(tables ...TableName) {
	if tx.counted == nil {
		tx.counted = map[TableName]bool{}
	}
	for _, t := range tables {
		t.Schema = strings.ToLower(t.Schema)
		tx.counted[t] = true
		// A bronze view's rows are stored in <schema>_data.<name>: a
		// write there changes the view's rows, whose count is kept.
		if view, ok := strings.CutSuffix(t.Schema, "_data"); ok && view != "" {
			tx.counted[TableName{Schema: view, Name: t.Name}] = true
		}
	}
}

// Wrote notes tables the transaction wrote with lakebench's own
// statements (ExecArgs, Exec, QueryArgs: the model registry's records, a
// scoring's predictions), which note nothing, so that their exact row
// counts are kept in sys.catalog when it commits, as for the tables
// AuthorizeSQL allowed, and Catalog shows them unmarked.
func (tx *Tx) Wrote(tables ...TableName) { tx.countRows(tables...) }

// catalogWrite is a catalog entry a transaction set (SetCatalog), which
// its commit writes with the table's count (recordCounts); ifExists
// leaves it out when the table does not exist then (an ingest that loaded
// nothing into a table it never made).
type catalogWrite struct {
	entry    CatalogEntry
	ifExists bool
}

// setCatalog notes a catalog entry for the commit to write (see
// recordCounts); a second one for the same table keeps the first's fields
// it leaves empty, as two upserts would.
func (tx *Tx) setCatalog(c CatalogEntry, ifExists bool) {
	if tx.catalog == nil {
		tx.catalog = map[TableName]catalogWrite{}
	}
	t := TableName{Schema: c.Schema, Name: c.Table}
	if old, ok := tx.catalog[t]; ok {
		c.Layer = cmp.Or(c.Layer, old.entry.Layer)
		c.Owner = cmp.Or(c.Owner, old.entry.Owner)
		c.Domain = cmp.Or(c.Domain, old.entry.Domain)
		c.Description = cmp.Or(c.Description, old.entry.Description)
		ifExists = ifExists && old.ifExists
	}
	tx.catalog[t] = catalogWrite{entry: c, ifExists: ifExists}
}

// dropCatalog forgets the entries the transaction set for tables it
// drops with their entries.
func (tx *Tx) dropCatalog(tables ...TableName) {
	for _, t := range tables {
		delete(tx.catalog, t)
	}
}

// recordCounts writes, inside the transaction just before it commits, the
// catalog entries it set (SetCatalog) and the exact row count of each
// table it wrote that still exists, in one upsert of sys.catalog (adding
// an entry, with no time, for a table that has none: a build's
// quarantine), with no size: a count without its size is never shown
// (see Catalog), so a process that dies before KeepCountSizes leaves
// DuckDB's estimate, marked, not a wrong count. A table the transaction
// dropped, or noted and never made, keeps no count. At most three
// statements whatever the number of tables, none of them a read of the
// catalog while the transaction's is kept (see catalogTx): the counts
// read in one query, the upsert, and an update when it noted a table
// that is not there.
func (tx *Tx) recordCounts(ctx context.Context) error {
	if len(tx.counted) == 0 && len(tx.catalog) == 0 {
		return nil
	}
	rels, err := tx.tx.relations(ctx)
	if err != nil {
		return fmt.Errorf("lakehouse: row counts: %w", err)
	}
	tx.rels = rels
	exists := func(t TableName) bool { return rels[t] != 0 }
	keys := map[TableName]bool{}
	for t := range tx.counted {
		keys[t] = true
	}
	for t := range tx.catalog {
		keys[t] = true
	}
	sorted := slices.SortedFunc(maps.Keys(keys), func(a, b TableName) int {
		return cmp.Or(cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Name, b.Name))
	})
	// Each table's row: its entry, and whether it is counted now.
	type row struct {
		t       TableName
		entry   *CatalogEntry
		counted bool
	}
	var rows, uncounted []row // uncounted: entries of tables not counted (sys)
	var gone, count []TableName
	for _, t := range sorted {
		w, hasEntry := tx.catalog[t]
		if hasEntry && w.ifExists && !exists(t) {
			hasEntry = false
		}
		counts := tx.counted[t] && t.Schema != "sys" && !strings.HasSuffix(t.Schema, "_data")
		r := row{t: t, counted: counts && exists(t)}
		if hasEntry {
			r.entry = &w.entry
		}
		switch {
		case r.counted:
			count = append(count, t)
			rows = append(rows, r)
		case counts && hasEntry:
			rows = append(rows, r) // a NULL count: the table is not there
		case counts:
			gone = append(gone, t) // dropped, or never made: a count it had goes
		case hasEntry:
			uncounted = append(uncounted, r)
		}
	}
	for _, r := range uncounted {
		if err := upsertCatalog(ctx, tx.tx, *r.entry); err != nil {
			return err
		}
	}
	if len(count) == 0 && len(rows) == 0 && len(gone) == 0 {
		return nil
	}
	// One query: the counts, which of the rows sys.catalog has (an
	// UPDATE of those costs half an upsert), and whether a table not
	// there has a count to drop.
	var sel []string
	var args []any
	keyCond := func(ts []TableName) string {
		cond := make([]string, len(ts))
		for i, t := range ts {
			cond[i] = "(schema_name = ? AND table_name = ?)"
			args = append(args, t.Schema, t.Name)
		}
		return "(" + strings.Join(cond, " OR ") + ")"
	}
	got := make([]int64, len(count))
	var dest []any
	for i, t := range count {
		sel = append(sel, "(SELECT count(*) FROM "+t.SQL()+")")
		dest = append(dest, &got[i])
	}
	var had any
	if len(rows) > 0 {
		ts := make([]TableName, len(rows))
		for i, r := range rows {
			ts[i] = r.t
		}
		sel = append(sel, "(SELECT coalesce(list([schema_name, table_name, coalesce(row_count::VARCHAR, ''), coalesce(row_count_size::VARCHAR, '')]), []) FROM sys.catalog WHERE "+keyCond(ts)+")")
		dest = append(dest, &had)
	}
	var goneCounted int64
	if len(gone) > 0 {
		sel = append(sel, "(SELECT count(*) FROM sys.catalog WHERE row_count IS NOT NULL AND "+keyCond(gone)+")")
		dest = append(dest, &goneCounted)
	}
	if err := tx.tx.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", "), args...).Scan(dest...); err != nil {
		return fmt.Errorf("lakehouse: count %v: %w", count, err)
	}
	n := map[TableName]int64{}
	for i, t := range count {
		n[t] = got[i]
	}
	if goneCounted > 0 {
		countDrops.Add(1)
		args = nil
		if _, err := tx.tx.ExecContext(ctx, `UPDATE sys.catalog SET row_count = NULL, row_count_size = NULL
			WHERE row_count IS NOT NULL AND `+keyCond(gone), args...); err != nil {
			return fmt.Errorf("lakehouse: row counts of %v: %w", gone, err)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	present := map[TableName]bool{}
	kept := map[TableName][2]string{} // the row's count and size, as text ("" for NULL)
	list, _ := had.([]any)
	for _, k := range list {
		if row, ok := k.([]any); ok && len(row) == 4 {
			schema, _ := row[0].(string)
			name, _ := row[1].(string)
			count, _ := row[2].(string)
			size, _ := row[3].(string)
			t := TableName{Schema: schema, Name: name}
			present[t], kept[t] = true, [2]string{count, size}
		}
	}
	// A table counted with no entry to write whose row already holds
	// this count, with the size DuckDB estimates now, is left as it is:
	// the update would write the same count and drop the size, which
	// KeepCountSizes would then read again as it is. Only when no
	// statement of the transaction may have written a table (see
	// mayWriteTables) and the sizes read since the last such commit
	// are at hand (see catalogSizes): a daily run's task with nothing
	// new noted its table and wrote nothing to it.
	sizes := tx.sizesUnwritten()
	var update, insert []string
	var updateArgs, insertArgs []any
	var updated []catalogUpdate // each row of update as a statement of its own
	for _, r := range rows {
		if r.entry == nil && r.counted && present[r.t] && sizes != nil {
			if size, ok := sizes.stored(r.t, rels); ok && kept[r.t] == [2]string{strconv.FormatInt(n[r.t], 10), strconv.FormatInt(size, 10)} {
				countsKept.Add(1)
				continue
			}
		}
		var rowCount any
		if r.counted {
			rowCount = n[r.t]
		}
		value, a := "(?::VARCHAR, ?::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::TIMESTAMP, ?::BIGINT)", []any{r.t.Schema, r.t.Name, rowCount}
		if e := r.entry; e != nil {
			// now() is the transaction's start, as when SetCatalog wrote it.
			value = "(?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, now()::TIMESTAMP, ?::BIGINT)"
			a = []any{r.t.Schema, r.t.Name, e.Layer, e.Owner, e.Domain, e.Description, rowCount}
		}
		if present[r.t] {
			update, updateArgs = append(update, value), append(updateArgs, a...)
			one := catalogUpdate{"UPDATE sys.catalog SET row_count = ?, row_count_size = NULL WHERE schema_name = ? AND table_name = ?", []any{rowCount, r.t.Schema, r.t.Name}}
			if e := r.entry; e != nil {
				one.sql = `UPDATE sys.catalog SET layer = coalesce(nullif(?, ''), layer), owner = coalesce(nullif(?, ''), owner),
					domain = coalesce(nullif(?, ''), domain), description = coalesce(nullif(?, ''), description),
					updated_at = now()::TIMESTAMP, row_count = ?, row_count_size = NULL WHERE schema_name = ? AND table_name = ?`
				one.args = []any{e.Layer, e.Owner, e.Domain, e.Description, rowCount, r.t.Schema, r.t.Name}
			}
			updated = append(updated, one)
		} else {
			insert, insertArgs = append(insert, value), append(insertArgs, a...)
		}
	}
	if len(update) > 0 && len(update) <= 2 {
		// A row or two (a task's table and its quarantine): an UPDATE of
		// each by its key costs a third of a join with VALUES.
		for _, r := range updated {
			if _, err := tx.tx.ExecContext(ctx, r.sql, r.args...); err != nil {
				return fmt.Errorf("lakehouse: catalog and row counts of %v: %w", sorted, err)
			}
		}
	} else if len(update) > 0 {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE sys.catalog AS c SET
			layer = coalesce(nullif(v.layer, ''), c.layer),
			owner = coalesce(nullif(v.owner, ''), c.owner),
			domain = coalesce(nullif(v.domain, ''), c.domain),
			description = coalesce(nullif(v.description, ''), c.description),
			updated_at = coalesce(v.updated_at, c.updated_at),
			row_count = v.row_count, row_count_size = NULL
		FROM (VALUES `+strings.Join(update, ", ")+`) AS v(schema_name, table_name, layer, owner, domain, description, updated_at, row_count)
		WHERE c.schema_name = v.schema_name AND c.table_name = v.table_name`, updateArgs...); err != nil {
			return fmt.Errorf("lakehouse: catalog and row counts of %v: %w", sorted, err)
		}
	}
	if len(insert) > 0 {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO sys.catalog (schema_name, table_name, layer, owner, domain, description, updated_at, row_count)
		VALUES `+strings.Join(insert, ", ")+`
		ON CONFLICT (schema_name, table_name) DO UPDATE SET
			layer = coalesce(nullif(excluded.layer, ''), layer),
			owner = coalesce(nullif(excluded.owner, ''), owner),
			domain = coalesce(nullif(excluded.domain, ''), domain),
			description = coalesce(nullif(excluded.description, ''), description),
			updated_at = coalesce(excluded.updated_at, updated_at),
			row_count = excluded.row_count, row_count_size = NULL`, insertArgs...); err != nil {
			return fmt.Errorf("lakehouse: catalog and row counts of %v: %w", sorted, err)
		}
	}
	return nil
}

// catalogUpdate is one statement of recordCounts' update of sys.catalog.
type catalogUpdate struct {
	sql  string
	args []any
}

// Kinds of relation, as catalogSnap lists them.
const (
	relTable = 't'
	relView  = 'v'
)

// countsKept counts the rows recordCounts found holding their count
// and size already, and left, for the tests.
var countsKept atomic.Int64

// countDrops counts recordCounts' updates that drop a count, for the
// tests.
var countDrops atomic.Int64

// countSizeKeeps counts KeepCountSizes' statements, for the tests.
var countSizeKeeps atomic.Int64

// noteUnsized notes, once a transaction committed, the tables it counted,
// whose sizes KeepCountSizes keeps.
func (lh *Lakehouse) noteUnsized(tables map[TableName]bool) {
	if len(tables) == 0 {
		return
	}
	lh.sizesMu.Lock()
	defer lh.sizesMu.Unlock()
	if lh.unsized == nil {
		lh.unsized = map[TableName]bool{}
	}
	for t := range tables {
		if t.Schema != "sys" && !strings.HasSuffix(t.Schema, "_data") {
			lh.unsized[t] = true
		}
	}
}

// KeepCountSizes keeps, in one statement, the estimated_size DuckDB
// reports now for each table whose count a commit kept since the last
// call (inside the transaction that counted, it does not yet include
// the rows the transaction inserted), so Catalog shows those counts. A
// pipeline run calls it once its tasks are done, Catalog before it
// reads, Close before it closes: no other process writes the file
// meanwhile (this one holds the writer lock), and a statement of this
// one that writes a table either counts it again (a transaction's
// commit, which leaves its size to the next call) or forgets its count
// (Exec). It does its best: a size not kept leaves DuckDB's estimate
// shown, marked, and a failed statement leaves the tables for the next
// call.
func (lh *Lakehouse) KeepCountSizes(ctx context.Context) {
	lh.sizesMu.Lock()
	defer lh.sizesMu.Unlock()
	if len(lh.unsized) == 0 {
		return
	}
	lh.closeMu.RLock()
	defer lh.closeMu.RUnlock()
	if lh.db == nil {
		return
	}
	var cond []string
	var args []any
	for t := range lh.unsized {
		cond = append(cond, "(c.schema_name = ? AND c.table_name = ?)")
		args = append(args, t.Schema, t.Name)
	}
	countSizeKeeps.Add(1)
	if _, err := lh.db.ExecContext(ctx, `UPDATE sys.catalog c SET row_count_size = s.estimated_size
		FROM `+storedSizesSQL+` s
		WHERE s.schema_name = c.schema_name AND s.table_name = c.table_name
			AND c.row_count IS NOT NULL AND c.row_count_size IS NULL AND (`+strings.Join(cond, " OR ")+`)`, args...); err == nil {
		clear(lh.unsized)
	}
}

// forgetCounts drops the kept counts of tables a statement outside a
// pipeline's transactions may have changed (an owner's DELETE, say, which
// leaves DuckDB's estimated_size as it was): they show DuckDB's estimate,
// marked, until lakebench writes them again.
func (lh *Lakehouse) forgetCounts(ctx context.Context, tables []string) error {
	lh.writes.Add(1) // and the sizes read before (see catalogSizes)
	if len(tables) == 0 {
		return nil
	}
	var cond []string
	var args []any
	for _, s := range tables {
		t, err := ParseTableName(s)
		if err != nil {
			continue
		}
		cond = append(cond, "(schema_name = ? AND table_name = ?)")
		args = append(args, t.Schema, t.Name)
		// A bronze view's rows are stored in <schema>_data.<name> (see
		// ingest), and its count is kept under the view's name: a write
		// into the stored table changes the view's rows.
		if view, ok := strings.CutSuffix(t.Schema, "_data"); ok && view != "" {
			cond = append(cond, "(schema_name = ? AND table_name = ?)")
			args = append(args, view, t.Name)
		}
	}
	if len(cond) == 0 {
		return nil
	}
	if _, err := lh.db.ExecContext(ctx, `UPDATE sys.catalog SET row_count = NULL, row_count_size = NULL
		WHERE row_count IS NOT NULL AND (`+strings.Join(cond, " OR ")+`)`, args...); err != nil {
		return fmt.Errorf("lakehouse: forget row counts: %w", err)
	}
	return nil
}
