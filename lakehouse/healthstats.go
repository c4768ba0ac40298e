package lakehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A health step reads the daily stats of every table of the medallion
// layers. Read one by one (DailyStats), that is five to eight small
// statements per table besides its scan; HealthStats reads what they
// look up (the tables' stamps, the stats kept, the files not yet counted)
// for all the tables at once, and writes what it keeps at once.

// StatsRequest asks HealthStats for one table's DailyStats.
type StatsRequest struct {
	Table     TableName
	DayColumn string
	Columns   []string
}

// StatsResult is one table's DailyStats, or why they could not be read.
type StatsResult struct {
	Days []DayStats
	Err  error
}

// HealthStats is DailyStats of each of reqs (the same days, kept and read
// alike), in a few statements for all the tables besides their scans.
// Where a statement for several tables fails, those tables are read one
// by one, so each gets its own answer.
func (lh *Lakehouse) HealthStats(ctx context.Context, reqs []StatsRequest) []StatsResult {
	out := make([]StatsResult, len(reqs))
	done := make([]bool, len(reqs))
	var bronze, models []int
	for i, r := range reqs {
		if r.DayColumn == "" {
			bronze = append(bronze, i)
		} else {
			models = append(models, i)
		}
	}
	var batches []int
	if len(bronze) > 0 {
		if stored, err := lh.storedTables(ctx); err == nil {
			for _, i := range bronze {
				if stored[storeTable(reqs[i].Table)] {
					batches = append(batches, i)
				} else {
					models = append(models, i)
				}
			}
		}
	}
	// The models' days first: their scans read, and their one write (the
	// days kept) comes last, while the batches' first statement writes the
	// new files' counts. A checkpoint under way holds every write back
	// (about 150 ms in a daily run of the sample, as the run's last tasks
	// end): the scans go on beside it, not after it.
	if len(models) > 0 {
		lh.modelStatsMany(ctx, reqs, models, out, done)
	}
	if len(batches) > 0 {
		if days, err := lh.batchStatsMany(ctx, reqs, batches); err == nil {
			for k, i := range batches {
				out[i].Days, done[i] = days[k], true
			}
		}
	}
	for i, r := range reqs {
		if !done[i] && ctx.Err() == nil {
			out[i].Days, out[i].Err = lh.dailyStatsOne(ctx, r.Table, r.DayColumn, r.Columns)
		}
		if ctx.Err() != nil && out[i].Err == nil && !done[i] {
			out[i].Err = ctx.Err()
		}
	}
	return out
}

// storedTables are the tables that hold ingested rows with their file ids
// (storeTable of a source's table; see storedRows).
func (lh *Lakehouse) storedTables(ctx context.Context) (map[TableName]bool, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_columns()
		WHERE database_name = current_database() AND column_name = ?`, fileIDColumn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[TableName]bool{}
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			return nil, err
		}
		out[t] = true
	}
	return out, rows.Err()
}

// inList is names quoted, for an IN list.
func inList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = QuoteString(n)
	}
	return strings.Join(q, ", ")
}

// batchStatsMany is batchStats of the bronze tables reqs[idx...]: the
// files not yet counted of all of them are found in one query, counted
// into sys.health_file_stats in one statement (a file with no stored rows
// as no rows), and the batches of all of them read in one query.
func (lh *Lakehouse) batchStatsMany(ctx context.Context, reqs []StatsRequest, idx []int) ([][]DayStats, error) {
	vals := make([]string, len(idx))
	var args []any
	pos := map[string]int{}
	for k, i := range idx {
		vals[k] = "(?::VARCHAR, ?::VARCHAR)"
		args = append(args, reqs[i].Table.String(), strings.Join(reqs[i].Columns, "\x00"))
		pos[reqs[i].Table.String()] = k
	}
	req := "(VALUES " + strings.Join(vals, ", ") + ") AS lb_req(table_name, cols)"
	rows, err := lh.db.QueryContext(ctx, `SELECT f.table_name, f.file_id FROM sys.ingested_files AS f JOIN `+req+` ON lb_req.table_name = f.table_name
		WHERE f.file_id NOT IN (SELECT s.file_id FROM `+validFileStats+` AS s WHERE s.table_name = f.table_name AND s.columns = lb_req.cols)
		ORDER BY f.table_name, f.file_id`, args...)
	if err != nil {
		return nil, err
	}
	ids := make([][]int64, len(idx))
	for rows.Next() {
		var table string
		var id int64
		if err := rows.Scan(&table, &id); err != nil {
			rows.Close()
			return nil, err
		}
		if k, ok := pos[table]; ok {
			ids[k] = append(ids[k], id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The new files' rows and NULLs, each file's ids as constants (their
	// bounds let DuckDB skip the row groups of the files counted before),
	// and no rows for a file none of whose rows is stored.
	var parts []string
	var insertArgs []any
	for k, i := range idx {
		if len(ids[k]) == 0 {
			continue
		}
		r := reqs[i]
		if onStatsScan != nil {
			onStatsScan(r.Table, fmt.Sprintf("%d files", len(ids[k])))
		}
		list := make([]string, len(ids[k]))
		for j, id := range ids[k] {
			list[j] = strconv.FormatInt(id, 10)
		}
		nulls := make([]string, len(r.Columns))
		zeros := make([]string, len(r.Columns))
		for j, c := range r.Columns {
			nulls[j] = "count(*) - count(" + QuoteIdent(c) + ")"
			zeros[j] = "0"
		}
		parts = append(parts, fmt.Sprintf(`SELECT ?::VARCHAR, lb_f.id, ?::VARCHAR, coalesce(lb_c.n, 0), coalesce(lb_c.nulls, [%s]::BIGINT[])
			FROM unnest([%s]::BIGINT[]) AS lb_f(id) LEFT JOIN (SELECT %s AS id, count(*) AS n, [%s]::BIGINT[] AS nulls FROM %s
				WHERE %s BETWEEN %d AND %d AND %s IN (%s) GROUP BY %s) AS lb_c ON lb_c.id = lb_f.id`,
			strings.Join(zeros, ", "), strings.Join(list, ", "), fileIDColumn, strings.Join(nulls, ", "), storeTable(r.Table).SQL(),
			fileIDColumn, ids[k][0], ids[k][len(ids[k])-1], fileIDColumn, strings.Join(list, ", "), fileIDColumn))
		insertArgs = append(insertArgs, r.Table.String(), strings.Join(r.Columns, "\x00"))
	}
	if len(parts) > 0 {
		if _, err := lh.db.ExecContext(ctx, "INSERT INTO sys.health_file_stats SELECT *, "+fileStatsDigest+" FROM ("+strings.Join(parts, " UNION ALL ")+
			") AS lb_s(table_name, file_id, columns, rows, nulls)", insertArgs...); err != nil {
			return nil, err
		}
	}
	rows, err = lh.db.QueryContext(ctx, `SELECT s.table_name, TRY_CAST(f.batch_id AS DATE) AS lb_day, s.rows, s.nulls
		FROM `+validFileStats+` AS s JOIN sys.ingested_files AS f ON f.file_id = s.file_id AND f.table_name = s.table_name
		JOIN `+req+` ON lb_req.table_name = s.table_name AND lb_req.cols = s.columns
		WHERE s.rows > 0 AND lb_day IS NOT NULL ORDER BY s.table_name, lb_day`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([][]DayStats, len(idx))
	for rows.Next() {
		var table string
		var day time.Time
		var n int64
		var nulls []any
		if err := rows.Scan(&table, &day, &n, &nulls); err != nil {
			return nil, err
		}
		k, ok := pos[table]
		if !ok {
			continue
		}
		days := &out[k]
		if len(*days) == 0 || !(*days)[len(*days)-1].Day.Equal(day) {
			*days = append(*days, DayStats{Day: day, Nulls: make([]int64, len(reqs[idx[k]].Columns))})
		}
		d := &(*days)[len(*days)-1]
		d.Rows += n
		for j := range min(len(nulls), len(d.Nulls)) {
			d.Nulls[j] += asInt(nulls[j])
		}
	}
	return out, rows.Err()
}

// modelStatsMany is DailyStats of the tables reqs[idx...] by their day
// column: their stamps, builds and kept stats read in three queries for
// all, each table scanned (from the first day its last build replaced,
// when the stats kept allow), and what is kept written in one
// transaction. The tables it leaves not done are read one by one.
func (lh *Lakehouse) modelStatsMany(ctx context.Context, reqs []StatsRequest, idx []int, out []StatsResult, done []bool) {
	var names []string
	for _, i := range idx {
		names = append(names, reqs[i].Table.String())
	}
	type build struct {
		n                   int64
		text                string
		since, column, from sql.NullString
	}
	builds := map[string]build{}
	rows, err := lh.db.QueryContext(ctx, `SELECT model, count(*), coalesce(string_agg(built_at::VARCHAR || ' ' || coalesce(run_id, '') || ' ' || coalesce(fingerprint, ''), ','), ''),
		any_value(since), any_value(time_column), any_value(replaced_from) FROM sys.model_builds WHERE model IN (`+inList(names)+`) GROUP BY model`)
	if err != nil {
		return
	}
	for rows.Next() {
		var m string
		var b build
		if err := rows.Scan(&m, &b.n, &b.text, &b.since, &b.column, &b.from); err != nil {
			rows.Close()
			return
		}
		builds[m] = b
	}
	rows.Close()
	if rows.Err() != nil {
		return
	}
	sizes := map[TableName]int64{}
	rows, err = lh.db.QueryContext(ctx, `SELECT schema_name, table_name, estimated_size FROM duckdb_tables() WHERE database_name = current_database()`)
	if err != nil {
		return
	}
	for rows.Next() {
		var t TableName
		var size sql.NullInt64
		if err := rows.Scan(&t.Schema, &t.Name, &size); err != nil {
			rows.Close()
			return
		}
		sizes[t] = size.Int64
	}
	rows.Close()
	if rows.Err() != nil {
		return
	}
	// The stamp each table is read at (tableStamp's), when it is kept.
	stamps := make([]string, len(reqs))
	keep := make([]bool, len(reqs))
	for _, i := range idx {
		t := reqs[i].Table
		b := builds[t.String()]
		size, exists := sizes[t]
		if b.n == 1 && exists && size >= lh.keepStatsFrom {
			stamps[i], keep[i] = fmt.Sprintf("%s rows %d", b.text, size), true
		}
	}
	type keptKey struct{ table, stamp, dayColumn, columns string }
	kept := map[keptKey]string{}
	if len(builds) > 0 {
		rows, err := lh.db.QueryContext(ctx, `SELECT table_name, stamp, day_column, columns, days FROM sys.health_table_stats
			WHERE table_name IN (`+inList(names)+`) AND digest = `+keptStatsDigest)
		if err != nil {
			return
		}
		for rows.Next() {
			var k keptKey
			var doc sql.NullString
			var stamp, dayColumn, columns sql.NullString
			if err := rows.Scan(&k.table, &stamp, &dayColumn, &columns, &doc); err != nil {
				rows.Close()
				return
			}
			k.stamp, k.dayColumn, k.columns = stamp.String, dayColumn.String, columns.String
			if _, dup := kept[k]; !dup && stamp.Valid && dayColumn.Valid && columns.Valid && doc.Valid {
				kept[k] = doc.String
			}
		}
		rows.Close()
		if rows.Err() != nil {
			return
		}
	}
	keptAt := func(i int, stamp string) ([]DayStats, bool) {
		r := reqs[i]
		doc, ok := kept[keptKey{r.Table.String(), stamp, r.DayColumn, strings.Join(r.Columns, "\x00")}]
		if !ok {
			return nil, false
		}
		return parseKept(doc, len(r.Columns))
	}
	// Each table: its kept stats, else the days its last build replaced
	// read over those kept before it, else a scan of the table.
	var since []int
	var firsts []string
	for _, i := range idx {
		if !keep[i] {
			continue
		}
		if days, ok := keptAt(i, stamps[i]); ok {
			out[i].Days, done[i] = days, true
			continue
		}
		b := builds[reqs[i].Table.String()]
		if b.since.String == "" || b.from.String == "" || !strings.EqualFold(b.column.String, reqs[i].DayColumn) {
			continue
		}
		if _, ok := keptAt(i, b.since.String); ok {
			since = append(since, i)
			firsts = append(firsts, "CAST("+b.from.String+" AS DATE)")
		}
	}
	first := map[int]time.Time{}
	if len(since) > 0 {
		vals := make([]time.Time, len(since))
		dest := make([]any, len(since))
		for k := range vals {
			dest[k] = &vals[k]
		}
		if err := lh.db.QueryRowContext(ctx, "SELECT "+strings.Join(firsts, ", ")).Scan(dest...); err == nil {
			for k, i := range since {
				first[i] = vals[k]
			}
		}
	}
	var toKeep []keptEntry
	for _, i := range idx {
		if done[i] {
			continue
		}
		r := reqs[i]
		if !keep[i] {
			out[i].Days, out[i].Err = lh.dailyStatsScan(ctx, r.Table, r.DayColumn, r.Columns, "")
			done[i] = true
			continue
		}
		var days []DayStats
		if f, ok := first[i]; ok {
			b := builds[r.Table.String()]
			old, _ := keptAt(i, b.since.String)
			read, err := lh.dailyStatsScan(ctx, r.Table, r.DayColumn, r.Columns, "CAST("+b.from.String+" AS DATE)")
			if err != nil {
				out[i].Err, done[i] = err, true
				continue
			}
			for _, d := range old {
				if d.Day.Before(f) {
					days = append(days, d)
				}
			}
			days = append(days, read...)
		} else if slices.Contains(since, i) {
			continue // its first day could not be read: one by one
		} else {
			var err error
			if days, err = lh.dailyStatsScan(ctx, r.Table, r.DayColumn, r.Columns, ""); err != nil {
				out[i].Err, done[i] = err, true
				continue
			}
		}
		out[i].Days, done[i] = days, true
		toKeep = append(toKeep, keptEntry{i, days})
	}
	if len(toKeep) == 0 {
		return
	}
	if err := lh.keepStatsMany(ctx, reqs, stamps, toKeep); err != nil {
		for _, k := range toKeep {
			out[k.i].Days, out[k.i].Err = nil, err
		}
	}
}

// parseKept reads the days kept as JSON (keptStats); ok is false when
// they do not parse or have not ncols columns.
func parseKept(doc string, ncols int) ([]DayStats, bool) {
	var kept []keptDay
	if err := json.Unmarshal([]byte(doc), &kept); err != nil {
		return nil, false
	}
	out := make([]DayStats, 0, len(kept))
	for _, k := range kept {
		if len(k.Nulls) != ncols {
			return nil, false
		}
		d := DayStats{Day: time.UnixMicro(k.Day).UTC(), Rows: k.Rows, Nulls: k.Nulls}
		if k.Last != 0 {
			d.Last = time.UnixMicro(k.Last).UTC()
		}
		out = append(out, d)
	}
	return out, true
}

// keptEntry is the days read of reqs[i], to keep.
type keptEntry struct {
	i    int
	days []DayStats
}

// keepStatsMany is keepStats of several tables (each read at stamps[i])
// in one transaction of two statements.
func (lh *Lakehouse) keepStatsMany(ctx context.Context, reqs []StatsRequest, stamps []string, entries []keptEntry) error {
	var conds, vals []string
	var delArgs, insArgs []any
	for _, e := range entries {
		i, days := e.i, e.days
		r := reqs[i]
		kept := make([]keptDay, len(days))
		for j, d := range days {
			kept[j] = keptDay{Day: d.Day.UnixMicro(), Rows: d.Rows, Nulls: d.Nulls}
			if !d.Last.IsZero() {
				kept[j].Last = d.Last.UnixMicro()
			}
		}
		doc, err := json.Marshal(kept)
		if err != nil {
			return fmt.Errorf("lakehouse: keep the daily stats of %s: %w", r.Table, err)
		}
		key := strings.Join(r.Columns, "\x00")
		conds = append(conds, "(table_name = ? AND day_column = ? AND columns = ?)")
		delArgs = append(delArgs, r.Table.String(), r.DayColumn, key)
		vals = append(vals, "(?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR)")
		insArgs = append(insArgs, r.Table.String(), stamps[i], r.DayColumn, key, string(doc))
	}
	tx, err := lh.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lakehouse: keep the daily stats: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM sys.health_table_stats WHERE "+strings.Join(conds, " OR "), delArgs...); err != nil {
		return fmt.Errorf("lakehouse: keep the daily stats: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO sys.health_table_stats SELECT *, "+keptStatsDigest+" FROM (VALUES "+strings.Join(vals, ", ")+
		") AS v(table_name, stamp, day_column, columns, days)", insArgs...); err != nil {
		return fmt.Errorf("lakehouse: keep the daily stats: %w", err)
	}
	return tx.Commit()
}
