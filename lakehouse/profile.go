package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Profiles, as Databricks Lakehouse Monitoring's profile metrics: one row
// per column plus a ':table' row, per window (the whole table for a
// snapshot; each window of each granularity for a time series).
//
// What it costs: one SELECT of aggregates over every column, grouped by
// window, computes count, nulls, zeros, NaN, distinct count
// (approx_count_distinct, HyperLogLog: a few percent off on large
// columns), min, max, avg, stddev, median and quantiles (approx_quantile, a
// t-digest), and lengths. A second aggregate, one scan with GROUPING SETS,
// counts the values of the columns with at most FrequentLimit distinct
// values (exactly), for frequent_items and the categorical drift
// statistics; an identifier's most frequent values say little, so other
// columns, and lists, structs and maps, have none. Drift's numeric samples (ProfileOptions.Samples) are a
// third scan, only when asked. BenchmarkProfile2M compares it with
// SUMMARIZE.

// FrequentLimit is the most distinct values a column may have for its
// values to be counted (frequent_items, categorical drift).
const FrequentLimit = 1000

// frequentItems is how many of a column's most frequent values a profile
// lists.
const frequentItems = 10

// Quantiles are the probabilities of a profile's quantiles column.
var Quantiles = []float64{0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1}

// TableColumn is the column name of a profile's or a drift's table row.
const TableColumn = ":table"

// The profile types.
const (
	Snapshot   = "snapshot"
	TimeSeries = "time_series"
)

// The drift types.
const (
	Consecutive = "CONSECUTIVE"
	Baseline    = "BASELINE"
)

var granularityRE = regexp.MustCompile(`^\s*(\d+)\s+(minute|hour|day|week|month|year)s?\s*$`)

// ParseGranularity checks a window size such as "1 day" or "2 weeks" and
// returns its canonical form ("1 day", "2 week").
func ParseGranularity(g string) (string, error) {
	m := granularityRE.FindStringSubmatch(strings.ToLower(g))
	if m == nil {
		return "", fmt.Errorf("lakehouse: granularity %q: write a count and a unit, as \"1 day\", \"1 week\", \"6 hours\" (units: minute, hour, day, week, month, year)", g)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return "", fmt.Errorf("lakehouse: granularity %q: the count must be a positive whole number", g)
	}
	return fmt.Sprintf("%d %s", n, m[2]), nil
}

// column kinds, as a profile treats them.
const (
	profNumeric = iota
	profFloat
	profText
	profBool
	profTime
	profOther // lists, structs, maps, blobs, ...: counts and nulls only
)

func columnKind(typ string) int {
	t := strings.ToUpper(typ)
	switch {
	case t == "FLOAT" || t == "DOUBLE" || t == "REAL":
		return profFloat
	case strings.HasPrefix(t, "DECIMAL") || slices.Contains([]string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "VARINT", "BIGNUM"}, t):
		return profNumeric
	case t == "VARCHAR" || t == "UUID" || strings.HasPrefix(t, "ENUM") || t == "JSON":
		return profText
	case t == "BOOLEAN":
		return profBool
	case t == "DATE" || strings.HasPrefix(t, "TIMESTAMP") || strings.HasPrefix(t, "TIME"):
		return profTime
	}
	return profOther
}

// ProfileTable profiles a table on demand (nothing is recorded), in
// DuckDB, as the session's principal: it needs SELECT on the table (a
// refusal is an *AccessError and is audited) and the read is audited.
func (lh *Lakehouse) ProfileTable(ctx context.Context, t TableName, opts ProfileOptions) ([]ColumnProfile, error) {
	tables, action, err := lh.authorizeSQL(ctx, readAllSQL(t))
	if err != nil {
		return nil, readError(ctx, lh.db, t, err)
	}
	out, err := profileOn(ctx, lh.userDB(), t, opts, time.Now().UTC())
	if aerr := lh.audited(ctx, action, readAllSQL(t), tables, int64(len(out)), err); aerr != nil && err == nil {
		return nil, aerr
	}
	return out, err
}

// ProfileTable is Lakehouse.ProfileTable inside the transaction, as its
// principal (see BeginAs): the read is checked as AuthorizeSQL checks a
// statement and listed in Checked, for the caller's audit.
func (tx *Tx) ProfileTable(ctx context.Context, t TableName, opts ProfileOptions) ([]ColumnProfile, error) {
	if _, _, err := tx.AuthorizeSQL(ctx, readAllSQL(t)); err != nil {
		return nil, readError(ctx, tx.tx, t, err)
	}
	return profileOn(ctx, tx.tx, t, opts, time.Now().UTC())
}

// profiled is one column being profiled.
type profiled struct {
	name, typ string
	kind      int
}

func profileOn(ctx context.Context, e execer, t TableName, opts ProfileOptions, now time.Time) ([]ColumnProfile, error) {
	declared, err := describeTable(ctx, e, t)
	if err != nil {
		return nil, err
	}
	var cols []profiled
	if len(opts.Columns) == 0 {
		// Every column of the data: not the results quality checks add
		// (_errors, _warnings, _run_id), which are lakebench's own.
		for _, c := range declared {
			if slices.Contains(QualityColumns, c.Name) {
				continue
			}
			cols = append(cols, profiled{c.Name, c.Type, columnKind(c.Type)})
		}
	} else {
		for _, name := range opts.Columns {
			i := slices.IndexFunc(declared, func(c Column) bool { return strings.EqualFold(c.Name, name) })
			if i < 0 {
				return nil, fmt.Errorf("lakehouse: profile %s: no column %q (it has %s)", t, name, columnNames(declared))
			}
			c := declared[i]
			cols = append(cols, profiled{c.Name, c.Type, columnKind(c.Type)})
		}
	}
	typ := opts.Type
	if typ == "" {
		typ = Snapshot
	}
	var out []ColumnProfile
	switch typ {
	case Snapshot:
		ps, err := profileWindows(ctx, e, t, cols, "", "", "NULL::TIMESTAMP", opts.Samples, now)
		if err != nil {
			return nil, err
		}
		out = ps
	case TimeSeries:
		if opts.TimestampColumn == "" {
			return nil, fmt.Errorf("lakehouse: profile %s: a time_series profile needs a timestamp column (timestamp_column, --timestamp-col)", t)
		}
		i := slices.IndexFunc(declared, func(c Column) bool { return strings.EqualFold(c.Name, opts.TimestampColumn) })
		if i < 0 {
			return nil, fmt.Errorf("lakehouse: profile %s: no timestamp column %q (it has %s)", t, opts.TimestampColumn, columnNames(declared))
		}
		if columnKind(declared[i].Type) != profTime || strings.HasPrefix(strings.ToUpper(declared[i].Type), "TIME ") || strings.ToUpper(declared[i].Type) == "TIME" {
			return nil, fmt.Errorf("lakehouse: profile %s: column %s is %s, not a DATE or TIMESTAMP: name a time column as timestamp_column", t, declared[i].Name, declared[i].Type)
		}
		grans := opts.Granularities
		if len(grans) == 0 {
			grans = []string{"1 day"}
		}
		for _, g := range grans {
			canon, err := ParseGranularity(g)
			if err != nil {
				return nil, err
			}
			n, unit, _ := strings.Cut(canon, " ")
			bucket := fmt.Sprintf("time_bucket(INTERVAL '%s %s', CAST(%s AS TIMESTAMP))", n, unit, QuoteIdent(declared[i].Name))
			ps, err := profileWindows(ctx, e, t, cols, canon, typ, bucket, opts.Samples, now)
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
		}
	default:
		return nil, fmt.Errorf("lakehouse: profile %s: profile type %q: use snapshot or time_series", t, opts.Type)
	}
	for i := range out {
		out[i].Table = t.String()
		if out[i].ProfileType == "" {
			out[i].ProfileType = typ
		}
	}
	return out, nil
}

func columnNames(cols []Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// metric is one aggregate of the profile's SELECT.
type metric struct {
	col  int // -1: the table
	name string
}

// profileWindows profiles cols per value of bucket (one window when it is
// a constant).
func profileWindows(ctx context.Context, e execer, t TableName, cols []profiled, gran, typ, bucket string, samples bool, now time.Time) ([]ColumnProfile, error) {
	// A time series leaves out rows without a time; a snapshot is one
	// window, which an empty table has too (an aggregate without GROUP BY
	// always returns a row).
	src := fmt.Sprintf("(SELECT *, %s AS lb_w FROM %s) AS lb_t", bucket, t.SQL())
	group := " GROUP BY lb_w ORDER BY lb_w"
	sel := []string{"lb_w", "count(*)"}
	if gran == "" {
		sel[0], group = "NULL::TIMESTAMP", ""
	} else {
		src = fmt.Sprintf("(SELECT *, %s AS lb_w FROM %s) AS lb_t WHERE lb_w IS NOT NULL", bucket, t.SQL())
	}
	var ms []metric
	add := func(col int, name, expr string) {
		sel = append(sel, expr)
		ms = append(ms, metric{col, name})
	}
	qs := make([]string, len(Quantiles))
	for i, q := range Quantiles {
		qs[i] = strconv.FormatFloat(q, 'f', -1, 64)
	}
	qlist := "[" + strings.Join(qs, ", ") + "]"
	for i, c := range cols {
		q := QuoteIdent(c.name)
		add(i, "count", "count("+q+")")
		add(i, "distinct", "approx_count_distinct("+q+")")
		switch c.kind {
		case profNumeric, profFloat:
			v := q + "::DOUBLE"
			if c.kind == profFloat {
				v = "CASE WHEN isnan(" + q + ") THEN NULL ELSE " + q + "::DOUBLE END"
				add(i, "nan", "count_if(isnan("+q+"))")
			}
			add(i, "zeros", "count_if("+q+" = 0)")
			lo, hi := "min("+q+")::VARCHAR", "max("+q+")::VARCHAR"
			if c.kind == profFloat {
				lo, hi = "min("+v+")::VARCHAR", "max("+v+")::VARCHAR"
			}
			add(i, "min", lo)
			add(i, "max", hi)
			add(i, "avg", "avg("+v+")")
			add(i, "stddev", "stddev_samp("+v+")")
			add(i, "quantiles", "approx_quantile("+v+", "+qlist+")")
		case profText:
			v := q + "::VARCHAR"
			add(i, "min", "min("+v+")")
			add(i, "max", "max("+v+")")
			add(i, "min_length", "min(length("+v+"))")
			add(i, "max_length", "max(length("+v+"))")
			add(i, "avg_length", "avg(length("+v+"))")
		case profBool, profTime:
			add(i, "min", "min("+q+")::VARCHAR")
			add(i, "max", "max("+q+")::VARCHAR")
		default:
			switch u := strings.ToUpper(c.typ); {
			case u == "BLOB" || u == "BIT":
				add(i, "min_length", "min(octet_length("+q+"))")
				add(i, "max_length", "max(octet_length("+q+"))")
				add(i, "avg_length", "avg(octet_length("+q+"))")
			case strings.HasSuffix(u, "[]") || strings.HasSuffix(u, "]") || strings.HasPrefix(u, "MAP"):
				add(i, "min_length", "min(len("+q+"))")
				add(i, "max_length", "max(len("+q+"))")
				add(i, "avg_length", "avg(len("+q+"))")
			}
		}
	}
	query := "SELECT " + strings.Join(sel, ", ") + " FROM " + src + group
	rows, err := e.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: profile %s: %w", t, queryError(ctx, err))
	}
	defer rows.Close()
	type window struct {
		start    time.Time
		profiles []ColumnProfile // the table's row first
	}
	var windows []window
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("lakehouse: profile %s: %w", t, err)
		}
		var w window
		if ts, ok := vals[0].(time.Time); ok {
			w.start = ts
		}
		n := asInt(vals[1])
		base := ColumnProfile{ProfileType: typ, Granularity: gran, ComputedAt: now}
		if !w.start.IsZero() {
			base.WindowStart = w.start
			base.WindowEnd = addGranularity(w.start, gran)
		}
		tableRow := base
		tableRow.ColumnName, tableRow.Count, tableRow.DataType = TableColumn, n, "table"
		w.profiles = append(w.profiles, tableRow)
		for _, c := range cols {
			p := base
			p.ColumnName, p.DataType = c.name, c.typ
			if c.kind == profOther && !strings.Contains(strings.ToUpper(c.typ), "[]") && strings.ToUpper(c.typ) != "BLOB" {
				p.Note = "only counts, nulls and distinct values for a " + c.typ
			}
			w.profiles = append(w.profiles, p)
		}
		for k, m := range ms {
			p := &w.profiles[m.col+1]
			v := vals[k+2]
			switch m.name {
			case "count":
				p.Count = asInt(v)
				p.NumNulls = n - p.Count
				if n > 0 {
					p.PercentNull = 100 * float64(p.NumNulls) / float64(n)
				}
			case "distinct":
				p.DistinctCount = asInt(v)
			case "nan":
				x := asInt(v)
				p.NumNaN = &x
			case "zeros":
				x := asInt(v)
				p.NumZeros = &x
			case "min":
				p.Min = asText(v)
			case "max":
				p.Max = asText(v)
			case "avg":
				p.Avg = asFloat(v)
			case "stddev":
				p.Stddev = asFloat(v)
			case "avg_length":
				p.AvgLength = asFloat(v)
			case "min_length":
				p.MinLength = asIntPtr(v)
			case "max_length":
				p.MaxLength = asIntPtr(v)
			case "quantiles":
				if l, ok := v.([]any); ok && len(l) == len(Quantiles) {
					p.Quantiles = make([]float64, len(l))
					valid := true
					for j, x := range l {
						f := asFloat(x)
						if f == nil {
							valid = false
							break
						}
						p.Quantiles[j] = *f
					}
					if !valid {
						p.Quantiles = nil
					} else {
						med := p.Quantiles[slices.Index(Quantiles, 0.5)]
						p.Median = &med
					}
				}
			}
		}
		for j := range w.profiles[1:] {
			p := &w.profiles[j+1]
			if p.Count > 0 {
				// approx_count_distinct may overshoot the count a little
				p.DistinctCount = min(p.DistinctCount, p.Count)
				p.PercentDistinct = 100 * float64(p.DistinctCount) / float64(p.Count)
				if p.NumZeros != nil {
					z := 100 * float64(*p.NumZeros) / float64(p.Count)
					p.PercentZeros = &z
				}
			} else if p.NumZeros != nil {
				z := 0.0
				p.PercentZeros = &z
			}
		}
		windows = append(windows, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: profile %s: %w", t, queryError(ctx, err))
	}
	rows.Close()
	index := map[time.Time]int{}
	for i, w := range windows {
		index[w.start] = i
	}
	// The value counts of the columns with few distinct values, in one
	// scan: a grouping set per column.
	var counted []int
	for i, c := range cols {
		if c.kind == profOther {
			continue
		}
		most := int64(0)
		for _, w := range windows {
			most = max(most, w.profiles[i+1].DistinctCount)
		}
		// grouping() is a bitmask of at most 64 columns
		if most > 0 && most <= FrequentLimit && len(counted) < 62 {
			counted = append(counted, i)
		}
	}
	if len(counted) > 0 {
		sets := make([]string, len(counted))
		exprs := make([]string, len(counted))
		for j, i := range counted {
			q := QuoteIdent(cols[i].name)
			sets[j] = "(lb_w, " + q + ")"
			exprs[j] = q + "::VARCHAR"
		}
		gid := make([]string, len(counted))
		for j, i := range counted {
			gid[j] = QuoteIdent(cols[i].name)
		}
		query := fmt.Sprintf("SELECT lb_w, grouping(%s) AS lb_g, %s, count(*) FROM %s GROUP BY GROUPING SETS (%s)",
			strings.Join(gid, ", "), strings.Join(exprs, ", "), src, strings.Join(sets, ", "))
		rows, err := e.QueryContext(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("lakehouse: profile %s: count values: %w", t, queryError(ctx, err))
		}
		defer rows.Close()
		vals := make([]any, len(counted)+3)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return nil, fmt.Errorf("lakehouse: profile %s: count values: %w", t, err)
			}
			var start time.Time
			if ts, ok := vals[0].(time.Time); ok {
				start = ts
			}
			g := asInt(vals[1])
			// grouping(a, b, c): a bit per column, set when the column is
			// not grouped; the one clear bit is this set's column.
			for j := range counted {
				if g&(1<<(len(counted)-1-j)) != 0 {
					continue
				}
				v := asText(vals[j+2])
				if v == nil {
					break // the column's NULLs: counted as num_nulls
				}
				w, ok := index[start]
				if ok {
					p := &windows[w].profiles[counted[j]+1]
					p.ValueCounts = append(p.ValueCounts, FrequentItem{Item: *v, Count: asInt(vals[len(vals)-1])})
				}
				break
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("lakehouse: profile %s: count values: %w", t, queryError(ctx, err))
		}
		for _, w := range windows {
			for j := range w.profiles {
				p := &w.profiles[j]
				if len(p.ValueCounts) == 0 {
					continue
				}
				sort.Slice(p.ValueCounts, func(a, b int) bool {
					x, y := p.ValueCounts[a], p.ValueCounts[b]
					return x.Count > y.Count || x.Count == y.Count && x.Item < y.Item
				})
				p.DistinctCount = int64(len(p.ValueCounts)) // exact, now
				if p.Count > 0 {
					p.PercentDistinct = 100 * float64(p.DistinctCount) / float64(p.Count)
				}
				p.FrequentItems = slices.Clone(p.ValueCounts[:min(frequentItems, len(p.ValueCounts))])
				if len(p.ValueCounts) > CategoryLimit {
					var rest int64
					for _, vc := range p.ValueCounts[CategoryLimit:] {
						rest += vc.Count
					}
					p.ValueCounts = append(p.ValueCounts[:CategoryLimit:CategoryLimit], FrequentItem{Item: otherValues, Count: rest})
				}
			}
		}
	}
	if samples {
		if err := sampleWindows(ctx, e, t, cols, src, windows2map(windows, func(w window) (time.Time, []ColumnProfile) { return w.start, w.profiles })); err != nil {
			return nil, err
		}
	}
	var out []ColumnProfile
	for _, w := range windows {
		out = append(out, w.profiles...)
	}
	return out, nil
}

// otherValues stands for the values past CategoryLimit in a column's value
// counts.
const otherValues = "\x00other"

func windows2map[W any](ws []W, f func(W) (time.Time, []ColumnProfile)) map[time.Time][]ColumnProfile {
	out := make(map[time.Time][]ColumnProfile, len(ws))
	for _, w := range ws {
		k, v := f(w)
		out[k] = v
	}
	return out
}

// sampleWindows fills the Sample of the numeric columns, one streaming
// scan for all columns: every row of a window of at most SampleSize rows;
// past that, the rows whose position hashes below SampleSize/largest
// window, a uniform draw of about SampleSize rows from the largest window
// and proportionally fewer from smaller ones (no sort: a hash filter).
func sampleWindows(ctx context.Context, e execer, t TableName, cols []profiled, src string, windows map[time.Time][]ColumnProfile) error {
	var num []int
	var exprs []string
	for i, c := range cols {
		if c.kind == profNumeric || c.kind == profFloat {
			num = append(num, i)
			q := QuoteIdent(c.name)
			exprs = append(exprs, "CASE WHEN isnan("+q+"::DOUBLE) THEN NULL ELSE "+q+"::DOUBLE END")
		}
	}
	if len(num) == 0 {
		return nil
	}
	var largest int64
	for _, ps := range windows {
		largest = max(largest, ps[0].Count)
	}
	query := fmt.Sprintf("SELECT lb_w, %s FROM %s", strings.Join(exprs, ", "), src)
	if largest > SampleSize {
		const scale = 1 << 30
		query = fmt.Sprintf("SELECT lb_w, %s FROM (SELECT *, row_number() OVER () AS lb_n FROM %s) WHERE hash(lb_n) %% %d < %d",
			strings.Join(exprs, ", "), src, scale, int64(float64(scale)*float64(SampleSize)/float64(largest)))
	}
	rows, err := e.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("lakehouse: profile %s: sample: %w", t, queryError(ctx, err))
	}
	defer rows.Close()
	vals := make([]sql.NullFloat64, len(num))
	ptrs := make([]any, len(num)+1)
	var w any
	ptrs[0] = &w
	for i := range vals {
		ptrs[i+1] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("lakehouse: profile %s: sample: %w", t, err)
		}
		var start time.Time
		if ts, ok := w.(time.Time); ok {
			start = ts
		}
		ps := windows[start]
		if ps == nil {
			continue
		}
		for j, i := range num {
			if vals[j].Valid {
				ps[i+1].Sample = append(ps[i+1].Sample, vals[j].Float64)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lakehouse: profile %s: sample: %w", t, queryError(ctx, err))
	}
	for _, ps := range windows {
		for i := range ps {
			slices.Sort(ps[i].Sample)
		}
	}
	return nil
}

// addGranularity is the end of the window starting at t.
func addGranularity(t time.Time, gran string) time.Time {
	n, unit, _ := strings.Cut(gran, " ")
	k, _ := strconv.Atoi(n)
	switch unit {
	case "minute":
		return t.Add(time.Duration(k) * time.Minute)
	case "hour":
		return t.Add(time.Duration(k) * time.Hour)
	case "day":
		return t.AddDate(0, 0, k)
	case "week":
		return t.AddDate(0, 0, 7*k)
	case "month":
		return t.AddDate(0, k, 0)
	case "year":
		return t.AddDate(k, 0, 0)
	}
	return t
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	}
	if f := asFloat(v); f != nil {
		return int64(*f)
	}
	return 0
}

func asIntPtr(v any) *int64 {
	if v == nil {
		return nil
	}
	n := asInt(v)
	return &n
}

func asFloat(v any) *float64 {
	var f float64
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	default:
		if s := asText(v); s != nil {
			p, err := strconv.ParseFloat(*s, 64)
			if err != nil {
				return nil
			}
			f = p
		} else {
			return nil
		}
	}
	return finite(f)
}

func asText(v any) *string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return &x
	case []byte:
		s := string(x)
		return &s
	case time.Time:
		s := x.Format(time.RFC3339Nano)
		return &s
	}
	s := fmt.Sprint(v)
	return &s
}

// errNoProfile is wrapped by ProfileMetrics and DriftMetrics when a table
// has no recorded profile.
var errNoProfile = errors.New("no recorded profile")
