package lakehouse

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// catalogSizeReads counts tableRows' reads of every table's size, for the
// tests that check when ScanSize spares them.
var catalogSizeReads atomic.Int64

// Cost and usage, as Databricks' system.billing.usage and
// system.billing.list_prices: sys.usage has a row per task of a run, per
// query (the query history's), per training and scoring outside a run,
// and per idle period of a held target; sys.list_prices a price per
// compute-second per target, with the time it took effect. Cost is usage
// times the price in effect when the usage started.
//
// What a row measures:
//   - usage_quantity, in compute-seconds: the wall seconds of the span
//     times the DuckDB threads the session holds (lakehouse.Options
//     Threads), the compute held, as a cluster or a SQL warehouse is
//     billed for the time it is up whatever it does;
//   - wall_seconds, and cpu_seconds: the process's CPU time (user and
//     system, getrusage) over the span. Spans that overlap (a run's
//     parallel tasks) each count the whole process's CPU;
//   - rows_read and bytes_read: the rows of the tables the statement's
//     bound plan reads (a task's declared reads), as DuckDB's catalog
//     counts them, and those rows times the columns' widths (see
//     EstimateBytes): what a full scan covers, an upper bound when a
//     filter pushed into the scan skips row groups; cheap, since nothing
//     is profiled;
//   - rows_written and bytes_written: the rows the task wrote, times the
//     width of its table's columns.
//
// An idle period is the time a held read-only session (the TUI's analyst
// session of a target) spends between calls, up to IdleAutoStop, as a
// SQL warehouse stops after its idle minutes.
//
// A read-only session cannot write the file: its records go to
// <db>.usage.jsonl, chained and locked as the audit log is
// (appendChainedAfter), imported by the next writer (importUsage) and
// read beside sys.usage meanwhile.

// usageDDL creates sys.usage and sys.list_prices.
const usageDDL = `
CREATE TABLE IF NOT EXISTS sys.usage (
	record_id VARCHAR, kind VARCHAR, usage_start_time TIMESTAMP, usage_end_time TIMESTAMP, usage_date DATE,
	usage_quantity DOUBLE, usage_unit VARCHAR, wall_seconds DOUBLE, cpu_seconds DOUBLE,
	rows_read BIGINT, rows_written BIGINT, bytes_read BIGINT, bytes_written BIGINT,
	custom_tags MAP(VARCHAR, VARCHAR));
CREATE TABLE IF NOT EXISTS sys.list_prices (
	target VARCHAR, price_per_compute_second DOUBLE, currency_code VARCHAR, tier VARCHAR, usage_unit VARCHAR,
	price_start_time TIMESTAMP, price_end_time TIMESTAMP);
`

// The kinds of usage records.
const (
	UsageKindTask     = "task"
	UsageKindQuery    = "query"
	UsageKindTraining = "training"
	UsageKindScoring  = "scoring"
	UsageKindIdle     = "idle"
)

// UsageUnit is the unit of usage_quantity.
const UsageUnit = "COMPUTE_SECOND"

// IdleAutoStop bounds one idle period of a held session, as a SQL
// warehouse's auto stop (10 minutes) ends what it bills.
const IdleAutoStop = 10 * time.Minute

// usageAction is the action of a usage record in the usage log.
const usageAction = "usage"

// UsageRecord is one row of sys.usage: one task, query or idle period.
type UsageRecord struct {
	RecordID  string    `json:"record_id"`
	StartTime time.Time `json:"usage_start_time"`
	EndTime   time.Time `json:"usage_end_time"`
	// Kind is "task", "query", "training", "scoring" or "idle".
	Kind string `json:"kind"`
	// Quantity is in compute-seconds (Unit); WallSeconds and CPUSeconds
	// are what it is made of.
	Quantity     float64           `json:"usage_quantity"`
	Unit         string            `json:"usage_unit"`
	WallSeconds  float64           `json:"wall_seconds"`
	CPUSeconds   float64           `json:"cpu_seconds"`
	RowsRead     int64             `json:"rows_read"`
	RowsWritten  int64             `json:"rows_written"`
	BytesRead    int64             `json:"bytes_read"`
	BytesWritten int64             `json:"bytes_written"`
	Tags         map[string]string `json:"custom_tags"` // target, job, task, principal, run_id
	// Cost is Quantity times the price in effect at StartTime (set when
	// read back, see UsageRecords).
	Cost     float64 `json:"cost,omitempty"`
	Currency string  `json:"currency_code,omitempty"`
}

// ListPrice is one row of sys.list_prices.
type ListPrice struct {
	Target    string    `json:"target"`
	Price     float64   `json:"price_per_compute_second"`
	Currency  string    `json:"currency_code"`
	Tier      string    `json:"tier"` // spot, on_demand
	StartTime time.Time `json:"price_start_time"`
	// EndTime is when a later price replaced it; zero while in effect.
	EndTime time.Time `json:"price_end_time,omitzero"`
}

// UsageQuery selects and groups sys.usage for `lakebench usage`.
type UsageQuery struct {
	// By is job, target, principal, day, task or kind; "" is job.
	By    string
	Since time.Time
}

// UsageGroups are the groupings Usage knows.
var UsageGroups = []string{"job", "target", "principal", "day", "task", "kind"}

// UsageSummary is one group of usage with its cost (quantity x price).
type UsageSummary struct {
	Key          string  `json:"key"`
	Records      int64   `json:"records"`
	Quantity     float64 `json:"usage_quantity"`
	WallSeconds  float64 `json:"wall_seconds"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	RowsRead     int64   `json:"rows_read"`
	RowsWritten  int64   `json:"rows_written"`
	BytesRead    int64   `json:"bytes_read"`
	BytesWritten int64   `json:"bytes_written"`
	Cost         float64 `json:"cost"`
	Currency     string  `json:"currency_code"`
}

// Meter measures a span of work for its usage record: the wall clock and
// the process's CPU time at its start.
type Meter struct {
	start time.Time
	cpu   time.Duration
}

// StartMeter starts measuring a span.
func StartMeter() Meter { return Meter{start: time.Now(), cpu: processCPU()} }

// Start is when the span began.
func (m Meter) Start() time.Time { return m.start }

// CPU is the process's CPU time since the span began.
func (m Meter) CPU() time.Duration { return processCPU() - m.cpu }

// Record is the span, ended now, as a record of kind: its times, wall
// and CPU seconds; RecordUsage adds the quantity.
func (m Meter) Record(kind string) UsageRecord {
	end := time.Now()
	return UsageRecord{Kind: kind, StartTime: m.start, EndTime: end,
		WallSeconds: end.Sub(m.start).Seconds(), CPUSeconds: max(0, m.CPU().Seconds())}
}

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// usageLogPath holds the usage records of read-only sessions until a
// writer imports them into sys.usage.
func usageLogPath(dbPath string) string { return dbPath + ".usage.jsonl" }

// RecordUsage appends one usage record: to sys.usage, or, from a
// read-only session, to the log the next writer imports. Missing fields
// are filled: the record's id, the unit, the quantity (wall seconds times
// the session's threads), the wall seconds from the times, and the tags
// target and principal (the session's).
func (lh *Lakehouse) RecordUsage(ctx context.Context, r UsageRecord) error {
	r = lh.completeUsage(r)
	if lh.readOnly && lh.path != "" {
		detail, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("lakehouse: record usage: %w", err)
		}
		e := AuditEvent{At: r.StartTime, Principal: r.Tags["principal"], Action: usageAction, Allowed: true, Detail: string(detail)}
		_, err = appendChainedAfter(usageLogPath(lh.path), func() chainHead { return chainHead{} }, e)
		return err
	}
	return insertUsage(ctx, lh.db, r)
}

// RecordUsage appends a usage record inside the transaction.
func (tx *Tx) RecordUsage(ctx context.Context, r UsageRecord) error {
	return insertUsage(ctx, tx.tx, tx.lh.completeUsage(r))
}

// usageAtCommit is a usage record a transaction's commit writes, and the
// table its rows written are (see RecordUsageAtCommit).
type usageAtCommit struct {
	r       UsageRecord
	written TableName
}

// RecordUsageAtCommit has the transaction's commit write r (as
// RecordUsage does), so that the record commits with the work it
// describes, in no commit of its own. When written names a table and r
// has rows written, r.BytesWritten becomes those rows times the table's
// row width as the commit sees it (a view: its stored table's, see
// storeTable; a table no longer there: none), as ScanSize would find it
// once the commit is done.
func (tx *Tx) RecordUsageAtCommit(r UsageRecord, written TableName) {
	tx.usage = &usageAtCommit{r: r, written: written}
}

// recordUsage writes the record RecordUsageAtCommit left, after
// recordCounts, whose list of relations it uses.
func (tx *Tx) recordUsage(ctx context.Context) error {
	if tx.usage == nil {
		return nil
	}
	r, t := tx.usage.r, tx.usage.written
	if t.Name != "" && r.RowsWritten > 0 {
		snap, err := tx.tx.catalog(ctx)
		if err != nil {
			return fmt.Errorf("lakehouse: usage: %w", err)
		}
		// A table its rows, else a view the table storing its rows.
		if snap.rels[t] != relTable {
			t = storeTable(t)
		}
		if snap.rels[t] == relTable {
			r.BytesWritten = r.RowsWritten * snap.width(t)
		}
	}
	if err := tx.RecordUsage(ctx, r); err != nil {
		return err
	}
	tx.usage = nil
	return nil
}

// completeUsage fills what r leaves out (see RecordUsage).
func (lh *Lakehouse) completeUsage(r UsageRecord) UsageRecord {
	if r.RecordID == "" {
		b := make([]byte, 8)
		rand.Read(b)
		r.RecordID = hex.EncodeToString(b)
	}
	if r.EndTime.IsZero() {
		r.EndTime = time.Now()
	}
	if r.StartTime.IsZero() || r.StartTime.After(r.EndTime) {
		r.StartTime = r.EndTime
	}
	r.StartTime = r.StartTime.UTC().Truncate(time.Microsecond)
	r.EndTime = r.EndTime.UTC().Truncate(time.Microsecond)
	if r.WallSeconds == 0 {
		r.WallSeconds = r.EndTime.Sub(r.StartTime).Seconds()
	}
	if r.Unit == "" {
		r.Unit = UsageUnit
	}
	if r.Quantity == 0 {
		r.Quantity = r.WallSeconds * float64(max(1, lh.threads))
	}
	tags := map[string]string{}
	maps.Copy(tags, r.Tags)
	if tags["target"] == "" {
		tags["target"] = lh.targetName()
	}
	if tags["principal"] == "" && lh.principal != "" {
		tags["principal"] = lh.principal
	}
	for k, v := range tags {
		if v == "" {
			delete(tags, k)
		}
	}
	r.Tags = tags
	r.Cost, r.Currency = 0, ""
	return r
}

func insertUsage(ctx context.Context, e execer, r UsageRecord) error {
	tags, err := json.Marshal(r.Tags)
	if err != nil {
		return fmt.Errorf("lakehouse: record usage: %w", err)
	}
	_, err = e.ExecContext(ctx, `INSERT INTO sys.usage (record_id, kind, usage_start_time, usage_end_time, usage_date,
		usage_quantity, usage_unit, wall_seconds, cpu_seconds, rows_read, rows_written, bytes_read, bytes_written, custom_tags)
		VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP)::DATE, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON::MAP(VARCHAR, VARCHAR))`,
		r.RecordID, r.Kind, r.StartTime, r.EndTime, r.StartTime, r.Quantity, r.Unit, r.WallSeconds, r.CPUSeconds,
		r.RowsRead, r.RowsWritten, r.BytesRead, r.BytesWritten, string(tags))
	if err != nil {
		return fmt.Errorf("lakehouse: record usage: %w", err)
	}
	return nil
}

// pendingUsage reads the read-only sessions' usage log; breaks are
// returned apart (the import records them in sys.audit).
func pendingUsage(path string) ([]UsageRecord, []*logBreak, error) {
	return pendingRecords(path, "usage", func(e AuditEvent) (UsageRecord, bool) {
		var r UsageRecord
		return r, e.Action == usageAction && json.Unmarshal([]byte(e.Detail), &r) == nil
	})
}

// importUsage moves the read-only sessions' usage log into sys.usage
// (see importRecords).
func (lh *Lakehouse) importUsage(ctx context.Context) error {
	path := usageLogPath(lh.path)
	return importRecords(ctx, lh, path, "usage", func(*sql.Tx) ([]UsageRecord, []*logBreak, error) { return pendingUsage(path) },
		func(tx *sql.Tx, r UsageRecord) error { return insertUsage(ctx, tx, r) })
}

// SetListPrice records p as the target's price from now on, unless it is
// the price in effect already; the price it replaces ends now. A writer
// only (deploy and run set it from the bundle).
func (lh *Lakehouse) SetListPrice(ctx context.Context, p ListPrice) error {
	if p.Target == "" {
		p.Target = lh.targetName()
	}
	if p.Price < 0 {
		return fmt.Errorf("lakehouse: list price of %s: %g per compute-second is negative", p.Target, p.Price)
	}
	if p.StartTime.IsZero() {
		p.StartTime = time.Now()
	}
	p.StartTime = p.StartTime.UTC().Truncate(time.Microsecond)
	tx, err := lh.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lakehouse: list price: %w", err)
	}
	defer tx.Rollback()
	var same bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sys.list_prices WHERE target = ? AND price_end_time IS NULL
		AND price_per_compute_second = ? AND currency_code = ? AND tier = ?`, p.Target, p.Price, p.Currency, p.Tier).Scan(&same); err != nil {
		return fmt.Errorf("lakehouse: list price: %w", err)
	}
	if same {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sys.list_prices SET price_end_time = ? WHERE target = ? AND price_end_time IS NULL`, p.StartTime, p.Target); err != nil {
		return fmt.Errorf("lakehouse: list price: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sys.list_prices VALUES (?, ?, ?, ?, ?, ?, NULL)`,
		p.Target, p.Price, p.Currency, p.Tier, UsageUnit, p.StartTime); err != nil {
		return fmt.Errorf("lakehouse: list price: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("lakehouse: list price: %w", err)
	}
	return nil
}

// ListPrices lists sys.list_prices, oldest first per target.
func (lh *Lakehouse) ListPrices(ctx context.Context) ([]ListPrice, error) {
	if ok, err := lh.sysTableExists(ctx, "list_prices"); err != nil || !ok {
		return nil, err
	}
	rows, err := lh.db.QueryContext(ctx, `SELECT target, price_per_compute_second, currency_code, coalesce(tier, ''), price_start_time, price_end_time
		FROM sys.list_prices ORDER BY target, price_start_time`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: list prices: %w", err)
	}
	defer rows.Close()
	var out []ListPrice
	for rows.Next() {
		var p ListPrice
		var end sql.NullTime
		if err := rows.Scan(&p.Target, &p.Price, &p.Currency, &p.Tier, &p.StartTime, &end); err != nil {
			return nil, fmt.Errorf("lakehouse: list prices: %w", err)
		}
		p.StartTime = p.StartTime.UTC()
		if end.Valid {
			p.EndTime = end.Time.UTC()
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// priceAt is the price of target in effect at t: the latest that started
// by then, or the first one for usage recorded before any price was.
func priceAt(prices []ListPrice, target string, t time.Time) (ListPrice, bool) {
	var found ListPrice
	ok := false
	for _, p := range prices {
		if p.Target != target {
			continue
		}
		if !ok || !p.StartTime.After(t) {
			found, ok = p, true
		}
	}
	return found, ok
}

// usageTable is sys.usage.
var usageTable = TableName{Schema: "sys", Name: "usage"}

// seesAllUsage reports whether the session's principal reads every
// principal's usage (lakebench itself, the owner, CAN_MANAGE, or SELECT on
// sys.usage); others read their own.
func (lh *Lakehouse) seesAllUsage(ctx context.Context) (bool, error) {
	return lh.seesEveryones(ctx, usageTable)
}

// UsageRecords lists the usage records that started at or after since
// (all when zero), oldest first, each with its cost: sys.usage's and the
// read-only sessions' not imported yet. A principal reads its own records,
// or everyone's (see seesAllUsage); the read is audited.
func (lh *Lakehouse) UsageRecords(ctx context.Context, since time.Time) ([]UsageRecord, error) {
	if lh.principal != "" {
		if err := lh.auditWritable(); err != nil {
			return nil, err
		}
	}
	all, err := lh.seesAllUsage(ctx)
	if err != nil {
		return nil, err
	}
	out, err := lh.storedUsage(ctx, since)
	if err != nil {
		return nil, err
	}
	if lh.path != "" {
		pending, _, err := pendingUsage(usageLogPath(lh.path))
		if err != nil {
			return nil, err
		}
		for _, r := range pending {
			if since.IsZero() || !r.StartTime.Before(since) {
				out = append(out, r)
			}
		}
	}
	if !all {
		out = slices.DeleteFunc(out, func(r UsageRecord) bool { return r.Tags["principal"] != lh.principal })
	}
	prices, err := lh.ListPrices(ctx)
	if err != nil {
		return nil, err
	}
	for i, r := range out {
		if p, ok := priceAt(prices, r.Tags["target"], r.StartTime); ok {
			out[i].Cost, out[i].Currency = r.Quantity*p.Price, p.Currency
		}
	}
	slices.SortStableFunc(out, func(a, b UsageRecord) int { return a.StartTime.Compare(b.StartTime) })
	if lh.principal != "" {
		scope := "own usage"
		if all {
			scope = "every principal's usage"
		}
		if err := lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: ActionUsageRead,
			Tables: []string{usageTable.String(), "sys.list_prices"}, Rows: int64(len(out)), Allowed: true, Detail: scope}); err != nil {
			return nil, fmt.Errorf("lakehouse: %s's read of the usage could not be audited, so it is withheld: %w", lh.principal, err)
		}
	}
	return out, nil
}

// storedUsage reads sys.usage's records since (all when zero).
func (lh *Lakehouse) storedUsage(ctx context.Context, since time.Time) ([]UsageRecord, error) {
	if ok, err := lh.sysTableExists(ctx, "usage"); err != nil || !ok {
		return nil, err
	}
	var from any
	if !since.IsZero() {
		from = since.UTC()
	}
	rows, err := lh.db.QueryContext(ctx, `SELECT record_id, kind, usage_start_time, usage_end_time, usage_quantity, usage_unit,
		wall_seconds, cpu_seconds, rows_read, rows_written, bytes_read, bytes_written, to_json(custom_tags)::VARCHAR
		FROM sys.usage WHERE ? IS NULL OR usage_start_time >= ? ORDER BY usage_start_time`, from, from)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: usage: %w", err)
	}
	defer rows.Close()
	var out []UsageRecord
	for rows.Next() {
		var r UsageRecord
		var tags string
		if err := rows.Scan(&r.RecordID, &r.Kind, &r.StartTime, &r.EndTime, &r.Quantity, &r.Unit, &r.WallSeconds, &r.CPUSeconds,
			&r.RowsRead, &r.RowsWritten, &r.BytesRead, &r.BytesWritten, &tags); err != nil {
			return nil, fmt.Errorf("lakehouse: usage: %w", err)
		}
		r.StartTime, r.EndTime = r.StartTime.UTC(), r.EndTime.UTC()
		if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
			return nil, fmt.Errorf("lakehouse: usage %s: tags: %w", r.RecordID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// sysTableExists reports whether sys.<name> exists: a file no writer of
// this lakebench opened yet has no sys.usage nor sys.list_prices.
func (lh *Lakehouse) sysTableExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := lh.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'sys' AND table_name = ?`, name).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("lakehouse: sys.%s: %w", name, err)
	}
	return ok, nil
}

// UsageKey is the group a record falls in when grouped by by (see
// UsageGroups): a tag, the day its usage started (UTC, as usage_date), or
// its kind ("total" puts every record in one group). A record without
// the job or task tag (a query, an idle
// period) is grouped under its kind in parentheses.
func UsageKey(r UsageRecord, by string) string {
	switch by {
	case "", "job":
		return cmp.Or(r.Tags["job"], "("+r.Kind+")")
	case "task":
		if r.Tags["task"] == "" {
			return "(" + r.Kind + ")"
		}
		return cmp.Or(r.Tags["job"], "-") + "." + r.Tags["task"]
	case "day":
		return r.StartTime.UTC().Format(time.DateOnly)
	case "kind":
		return r.Kind
	case "total":
		return "total"
	default:
		return cmp.Or(r.Tags[by], "(none)")
	}
}

// SummarizeUsage groups records by by (see UsageKey): the biggest
// quantity first, by day the newest day first.
func SummarizeUsage(records []UsageRecord, by string) []UsageSummary {
	groups := map[string]*UsageSummary{}
	for _, r := range records {
		k := UsageKey(r, by)
		g := groups[k]
		if g == nil {
			g = &UsageSummary{Key: k}
			groups[k] = g
		}
		g.Records++
		g.Quantity += r.Quantity
		g.WallSeconds += r.WallSeconds
		g.CPUSeconds += r.CPUSeconds
		g.RowsRead += r.RowsRead
		g.RowsWritten += r.RowsWritten
		g.BytesRead += r.BytesRead
		g.BytesWritten += r.BytesWritten
		g.Cost += r.Cost
		if g.Currency == "" {
			g.Currency = r.Currency
		} else if r.Currency != "" && r.Currency != g.Currency {
			g.Currency = "mixed"
		}
	}
	out := make([]UsageSummary, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b UsageSummary) int {
		if by == "day" {
			return cmp.Compare(b.Key, a.Key)
		}
		return cmp.Or(cmp.Compare(b.Quantity, a.Quantity), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// Usage sums the usage records since q.Since by q.By (see UsageRecords,
// SummarizeUsage).
func (lh *Lakehouse) Usage(ctx context.Context, q UsageQuery) ([]UsageSummary, error) {
	if q.By != "" && !slices.Contains(UsageGroups, q.By) {
		return nil, fmt.Errorf("lakehouse: usage by %q: want one of %v", q.By, UsageGroups)
	}
	records, err := lh.UsageRecords(ctx, q.Since)
	if err != nil {
		return nil, err
	}
	return SummarizeUsage(records, q.By), nil
}

// ScanSize is what reading tables whole covers: their rows, and those
// rows times their columns' widths (see EstimateBytes), from DuckDB's
// catalog alone. A table not found counts nothing; a view counts the
// table that stores its rows when it has one (see storeTable).
//
// Each table's rows are DuckDB's estimate, duckdb_tables().estimated_size,
// read from the plan of a bare scan of that table alone (see
// tableCardinality): duckdb_tables() loads the storage of every table of
// the file to list them, which in a fresh process costs milliseconds per
// dozen tables, for a query that read one. Anything that plan does not
// show plainly is read from duckdb_tables() as before.
func (lh *Lakehouse) ScanSize(ctx context.Context, tables []TableName) (rows, bytes int64, err error) {
	if len(tables) == 0 {
		return 0, 0, nil
	}
	var catalog string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_database()").Scan(&catalog); err != nil {
		return 0, 0, fmt.Errorf("lakehouse: table sizes: %w", err)
	}
	var sizes map[TableName]int64 // the whole catalog's, once needed
	size := func(t TableName) (int64, bool, error) {
		if sizes == nil {
			n, ok, err := tableCardinality(ctx, lh.db, catalog, t)
			if err == nil {
				return n, ok, nil
			}
			if ctx.Err() != nil {
				return 0, false, err
			}
			if sizes, err = tableRows(ctx, lh.db); err != nil {
				return 0, false, err
			}
		}
		n, ok := sizes[t]
		return n, ok, nil
	}
	seen := map[TableName]bool{}
	for _, t := range tables {
		if seen[t] {
			continue
		}
		seen[t] = true
		n, ok, err := size(t)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			t = storeTable(t)
			if n, ok, err = size(t); err != nil {
				return 0, 0, err
			} else if !ok {
				continue
			}
		}
		width, err := tableWidth(ctx, lh.db, t)
		if err != nil {
			return 0, 0, err
		}
		rows += n
		bytes += n * width
	}
	return rows, bytes, nil
}

// CatalogScanSize is ScanSize read from one snapshot of every table's
// rows (catalogSizes), shared with EstimateBytes and read again only
// after a write, for a process that asks about many tables in turn (a
// run's scheduler and its tasks' usage records), where ScanSize suits
// one that asks once. Tables of sys, which lakebench writes outside
// transactions, are read as ScanSize reads them.
func (lh *Lakehouse) CatalogScanSize(ctx context.Context, tables []TableName) (rows, bytes int64, err error) {
	var sys, others []TableName
	for _, t := range tables {
		if strings.EqualFold(t.Schema, "sys") {
			sys = append(sys, t)
		} else if !slices.Contains(others, t) {
			others = append(others, t)
		}
	}
	if len(others) > 0 {
		sizes, err := lh.catalogSizes(ctx, others)
		if err != nil {
			return 0, 0, err
		}
		for _, s := range sizes {
			rows += s.rows
			bytes += s.rows * s.width
		}
	}
	if len(sys) > 0 {
		n, b, err := lh.ScanSize(ctx, sys)
		if err != nil {
			return 0, 0, err
		}
		rows, bytes = rows+n, bytes+b
	}
	return rows, bytes, nil
}

// sizeCache is every table's rows as duckdb_tables() listed them, and
// the count of writes (Lakehouse.writes) they were read at.
type sizeCache struct {
	mu      sync.Mutex
	at, all uint64
	rows    map[TableName]int64
}

// catalogSizes is the size of each of tables (a view: of the table that
// stores its rows, see storeTable; a name not found: none): its rows,
// from one read of every table's (duckdb_tables().estimated_size), kept
// until a write may have changed them: a transaction's commit, or a
// statement outside one (see Lakehouse.writes; the count is taken before
// the read, so a write that lands during it makes the next call read
// again); a commit whose statements wrote only tables of sys (see
// mayWriteTables) leaves them, but for the tables of sys; and its row
// width, from its columns in the lakehouse's catalog, kept until a
// statement may change it (see catalogClock).
func (lh *Lakehouse) catalogSizes(ctx context.Context, tables []TableName) ([]tableSize, error) {
	lh.sizes.mu.Lock()
	defer lh.sizes.mu.Unlock()
	c := &lh.sizes
	at, all := lh.writes.Load(), lh.commitsDone.Load()
	sys := slices.ContainsFunc(tables, func(t TableName) bool { return strings.EqualFold(t.Schema, "sys") })
	if c.rows == nil || c.at != at || (sys && c.all != all) {
		sizeSnapshots.Add(1)
		rows, err := estimatedRows(ctx, lh.db)
		if err != nil {
			return nil, err
		}
		c.at, c.all, c.rows = at, all, rows
	}
	var snap *catalogSnap
	out := make([]tableSize, len(tables))
	for i, t := range tables {
		n, ok := c.rows[t]
		if !ok {
			t = storeTable(t)
			if n, ok = c.rows[t]; !ok {
				continue
			}
		}
		if snap == nil {
			var err error
			if snap, err = lh.catalog(ctx); err != nil {
				return nil, err
			}
		}
		out[i] = tableSize{rows: n, width: snap.width(t)}
	}
	return out, nil
}

// sizeSnapshots counts catalogSizes' reads of every table's rows, for the
// tests.
var sizeSnapshots atomic.Int64

// estimatedRows reads every table's row count from the catalog
// (duckdb_tables().estimated_size), as tableRows does but uncounted.
func estimatedRows(ctx context.Context, e execer) (map[TableName]int64, error) {
	return readTableRows(ctx, e)
}

// tableCardinality is DuckDB's estimate of the rows of table t of the
// database catalog, as the plan of SELECT * FROM t shows it: a lone
// SEQ_SCAN of that very table, whose estimated cardinality is the
// table's row count in the catalog (duckdb_tables().estimated_size, the
// same number: TestScanSizeMatchesCatalog). ok is false when t is not a
// table of catalog (a view plans to something else, or to a scan of
// another table), or DuckDB's catalog has nothing of that name. An error means the plan could not be read that way
// (t does not exist, or DuckDB showed it otherwise): the caller reads the
// catalog instead. A name with a dot in it is not judged from the plan,
// whose table is written catalog.schema.name.
func tableCardinality(ctx context.Context, e execer, catalog string, t TableName) (n int64, ok bool, err error) {
	if strings.Contains(t.Schema, ".") || strings.Contains(t.Name, ".") || strings.Contains(catalog, ".") {
		return 0, false, fmt.Errorf("lakehouse: table sizes: %s has a dot in its name", t)
	}
	var key, doc string
	if err := e.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) SELECT * FROM "+t.SQL()).Scan(&key, &doc); err != nil {
		if ctx.Err() == nil && strings.Contains(err.Error(), "Catalog Error: Table with name") {
			return 0, false, nil // no table or view of that name
		}
		return 0, false, fmt.Errorf("lakehouse: table sizes: %w", err)
	}
	var plan []struct {
		Name      string            `json:"name"`
		Children  []json.RawMessage `json:"children"`
		ExtraInfo map[string]any    `json:"extra_info"`
	}
	if err := json.Unmarshal([]byte(doc), &plan); err != nil || key != "physical_plan" || len(plan) != 1 {
		return 0, false, fmt.Errorf("lakehouse: table sizes: unexpected plan of %s", t)
	}
	scan := plan[0]
	table, _ := scan.ExtraInfo["Table"].(string)
	if scan.Name != "SEQ_SCAN" || len(scan.Children) != 0 || !planNames(table, catalog, t) {
		return 0, false, nil // not a table of catalog: a view, say
	}
	card, _ := scan.ExtraInfo["Estimated Cardinality"].(string)
	if n, err = strconv.ParseInt(card, 10, 64); err != nil || n < 0 {
		return 0, false, fmt.Errorf("lakehouse: table sizes: unexpected cardinality %q of %s", card, t)
	}
	return n, true, nil
}

// planNames says whether a plan's table, catalog.schema.name, names t of
// catalog: DuckDB quotes a part that is a keyword or needs quotes
// (dev.gold."types"), so each part may be quoted or not.
func planNames(table, catalog string, t TableName) bool {
	parts := []string{catalog, t.Schema, t.Name}
	for mask := range 8 {
		names := make([]string, 3)
		for i, p := range parts {
			names[i] = p
			if mask&(1<<i) != 0 {
				names[i] = QuoteIdent(p)
			}
		}
		if strings.EqualFold(table, strings.Join(names, ".")) {
			return true
		}
	}
	return false
}

// tableRows reads every table's row count from the catalog
// (duckdb_tables().estimated_size).
func tableRows(ctx context.Context, e execer) (map[TableName]int64, error) {
	catalogSizeReads.Add(1)
	return readTableRows(ctx, e)
}

// readTableRows is tableRows' and estimatedRows' read of the catalog.
func readTableRows(ctx context.Context, e execer) (map[TableName]int64, error) {
	out := map[TableName]int64{}
	rows, err := e.QueryContext(ctx, `SELECT schema_name, table_name, estimated_size FROM duckdb_tables() WHERE database_name = current_database()`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: table sizes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TableName
		var n int64
		if err := rows.Scan(&t.Schema, &t.Name, &n); err != nil {
			return nil, fmt.Errorf("lakehouse: table sizes: %w", err)
		}
		out[t] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: table sizes: %w", err)
	}
	return out, nil
}

// tableWidth is the width of a row of table t (see typeWidth), from its
// columns alone: pragma_table_info reads one table's, where
// duckdb_columns() lists every column of every table and system view (ten
// times the time, for a query that reads one table).
func tableWidth(ctx context.Context, e execer, t TableName) (int64, error) {
	rows, err := e.QueryContext(ctx, `SELECT type FROM pragma_table_info(?)`, t.SQL())
	if err != nil {
		return 0, fmt.Errorf("lakehouse: columns of %s: %w", t, err)
	}
	defer rows.Close()
	var width int64
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			return 0, fmt.Errorf("lakehouse: columns of %s: %w", t, err)
		}
		width += typeWidth(typ)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("lakehouse: columns of %s: %w", t, err)
	}
	return width, nil
}

type tableSize struct{ rows, width int64 }

// readsNote is what the last user statements read, by SQL text, for the
// usage record of the query (RecordQuery): noted when the statement is
// audited, taken once.
type readsNote struct {
	mu    sync.Mutex
	reads map[string][]TableName
}

// maxReadsNoted bounds the statements noted (a read whose query is never
// recorded, a dashboard tile's, is forgotten).
const maxReadsNoted = 16

// noteReads notes the tables a statement read (names as audited).
func (lh *Lakehouse) noteReads(stmt string, tables []string) {
	if stmt == "" {
		return
	}
	var reads []TableName
	for _, s := range tables {
		if t, err := ParseTableName(s); err == nil {
			reads = append(reads, t)
		}
	}
	lh.readsNoted.mu.Lock()
	defer lh.readsNoted.mu.Unlock()
	if lh.readsNoted.reads == nil || len(lh.readsNoted.reads) >= maxReadsNoted {
		lh.readsNoted.reads = map[string][]TableName{}
	}
	lh.readsNoted.reads[stmt] = reads
}

// takeReads returns what the statement read, once.
func (lh *Lakehouse) takeReads(stmt string) []TableName {
	lh.readsNoted.mu.Lock()
	defer lh.readsNoted.mu.Unlock()
	reads := lh.readsNoted.reads[stmt]
	delete(lh.readsNoted.reads, stmt)
	return reads
}

// recordQueryUsage records the usage of a query the history records: its
// span, CPU (r.CPU), and what it read (noted when it was audited). A
// failure is the caller's to report.
func (lh *Lakehouse) recordQueryUsage(ctx context.Context, r QueryRecord) error {
	u := UsageRecord{Kind: UsageKindQuery, StartTime: r.Started, EndTime: r.Started.Add(r.Duration),
		WallSeconds: r.Duration.Seconds(), CPUSeconds: r.CPU.Seconds(),
		Tags: map[string]string{"principal": r.Principal, "status": r.Status}}
	if reads := lh.takeReads(r.SQL); len(reads) > 0 {
		lh.closeMu.RLock()
		if lh.db != nil {
			u.RowsRead, u.BytesRead, _ = lh.ScanSize(ctx, reads)
		}
		lh.closeMu.RUnlock()
	}
	if u.WallSeconds == 0 {
		// A query that took no measurable time still ran.
		u.WallSeconds = time.Microsecond.Seconds()
	}
	return lh.RecordUsage(ctx, u)
}
