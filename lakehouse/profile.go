package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
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
	// A row's hash, over every column of the data: a window's digest
	// sums them, and the sample draws by it, so both depend on the rows
	// alone (not on their order, nor on the run that wrote them).
	var data []string
	for _, c := range declared {
		if !slices.Contains(QualityColumns, c.Name) {
			data = append(data, QuoteIdent(c.Name))
		}
	}
	if len(data) == 0 {
		data = append(data, "0")
	}
	pw := profileWindow{t: t, cols: cols, typ: typ, hash: "hash(" + strings.Join(data, ", ") + ")", samples: opts.Samples, now: now,
		sig: profileSignature(cols, opts.Samples, opts.Config), likelyChanged: opts.LikelyChanged, unchanged: opts.Unchanged}
	previous := previousWindows(opts.Previous, typ)
	var out []ColumnProfile
	switch typ {
	case Snapshot:
		pw.bucket, pw.previous = "NULL::TIMESTAMP", previous[""]
		ps, err := pw.profile(ctx, e)
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
			w := pw
			w.gran, w.previous = canon, previous[canon]
			w.timeCol, w.timeType = QuoteIdent(declared[i].Name), strings.ToUpper(declared[i].Type)
			w.bucket = fmt.Sprintf("time_bucket(INTERVAL '%s %s', CAST(%s AS TIMESTAMP))", n, unit, QuoteIdent(declared[i].Name))
			if len(w.previous) > 0 && opts.UnchangedBefore != "" {
				w.unchangedBefore = fmt.Sprintf("time_bucket(INTERVAL '%s %s', CAST(%s AS TIMESTAMP))", n, unit, opts.UnchangedBefore)
			}
			ps, err := w.profile(ctx, e)
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

// quantileSQL is the exact quantiles of a numeric column c, as DOUBLEs:
// quantile_cont of the column as a DOUBLE, leaving out NaN. DuckDB
// interpolates an integer column's quantiles in DOUBLE from its values
// cast to DOUBLE, and the cast keeps their order, so the quantiles of
// the column itself are the same numbers, about three times cheaper
// than those of the cast (on the sample's gold.customer_features); a
// DOUBLE's NaNs are filtered out rather than made NULL by a CASE on
// every row. A
// DECIMAL (whose quantiles would be DECIMALs), a FLOAT (FLOATs), and
// integers wider than 64 bits are cast first.
func quantileSQL(c profiled, qlist string) string {
	q := QuoteIdent(c.name)
	switch strings.ToUpper(c.typ) {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT":
		return "quantile_cont(" + q + ", " + qlist + ")"
	case "DOUBLE":
		return "quantile_cont(" + q + ", " + qlist + ") FILTER (WHERE NOT isnan(" + q + "))"
	}
	v := q + "::DOUBLE"
	if c.kind == profFloat {
		v = "CASE WHEN isnan(" + q + ") THEN NULL ELSE " + q + "::DOUBLE END"
	}
	return "quantile_cont(" + v + ", " + qlist + ")"
}

// profileWindow is one profile's query: cols per value of bucket (one
// window when it is a constant) of granularity gran ("" for a snapshot).
type profileWindow struct {
	t                 TableName
	cols              []profiled
	gran, typ, bucket string
	hash              string // a row's hash (profileOn)
	sig               string // profileSignature
	samples           bool
	now               time.Time
	previous          map[time.Time][]ColumnProfile // reusable windows, by start
	// timeCol is a time series' column, timeType its type, for the bounds
	// that let DuckDB skip the row groups outside the changed windows
	// (windowBounds).
	timeCol, timeType string
	// unchangedBefore is the SQL of the first window that can hold rows
	// changed since previous (ProfileOptions.UnchangedBefore): the
	// windows before it are previous's, their rows not read.
	unchangedBefore string
	// likelyChanged: a snapshot's digest is read by its profile's scan,
	// not by a scan of its own first (ProfileOptions.LikelyChanged).
	likelyChanged bool
	// unchanged: the table's rows are previous's (ProfileOptions.Unchanged).
	unchanged bool
}

// ofThisProfile reports whether the windows ps, each a window's profiles
// with its ':table' row first, were all profiled as pw profiles (their
// digests carry pw's signature): only such a window may be taken without
// reading its rows, since one of other columns or another Config is
// another profile of the same rows.
func (pw profileWindow) ofThisProfile(ps map[time.Time][]ColumnProfile) bool {
	for _, p := range ps {
		if !strings.HasPrefix(p[0].Digest, pw.sig+":") {
			return false
		}
	}
	return true
}

// kept is p, a window of the previous profile taken as this run's:
// computed now.
func (pw profileWindow) kept(p []ColumnProfile) []ColumnProfile {
	p = slices.Clone(p)
	for i := range p {
		p[i].ComputedAt = pw.now
	}
	return p
}

// profileSignature identifies what a profile computes, for its digests:
// the columns with their types, whether it samples, and the caller's
// config (ProfileOptions.Config).
func profileSignature(cols []profiled, samples bool, config string) string {
	h := fnv.New64a()
	for _, c := range cols {
		fmt.Fprintf(h, "%s\x00%s\x00", c.name, c.typ)
	}
	fmt.Fprint(h, samples, "\x00", config)
	return strconv.FormatUint(h.Sum64(), 16)
}

// previousWindows groups a recorded profile of type typ by granularity
// and window start, each window's ':table' row first.
func previousWindows(ps []ColumnProfile, typ string) map[string]map[time.Time][]ColumnProfile {
	out := map[string]map[time.Time][]ColumnProfile{}
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && ps[j].ColumnName != TableColumn {
			j++
		}
		if p := ps[i]; p.ColumnName == TableColumn && p.ProfileType == typ && p.Digest != "" {
			if out[p.Granularity] == nil {
				out[p.Granularity] = map[time.Time][]ColumnProfile{}
			}
			out[p.Granularity][p.WindowStart] = ps[i:j:j]
		}
		i = j
	}
	return out
}

// profile profiles the windows of w, but takes from w.previous those
// whose digest has not changed: a first scan computes each window's
// digest, and the profile's scans read only the other windows.
func (pw profileWindow) profile(ctx context.Context, e execer) ([]ColumnProfile, error) {
	t, cols, gran, typ, now := pw.t, pw.cols, pw.gran, pw.typ, pw.now
	// A time series leaves out rows without a time; a snapshot is one
	// window, which an empty table has too (an aggregate without GROUP BY
	// always returns a row).
	src := fmt.Sprintf("(SELECT *, %s AS lb_w, %s AS lb_h FROM %s) AS lb_t", pw.bucket, pw.hash, t.SQL())
	group := " GROUP BY lb_w ORDER BY lb_w"
	if gran == "" {
		group = ""
	} else {
		src += " WHERE lb_w IS NOT NULL"
	}
	kept := map[time.Time][]ColumnProfile{}
	if len(pw.previous) > 0 && pw.unchanged && pw.ofThisProfile(pw.previous) {
		// The rows profiled before: every window is previous's.
		for start, p := range pw.previous {
			kept[start] = pw.kept(p)
		}
		return mergeWindows(nil, kept), nil
	}
	if len(pw.previous) > 0 && gran != "" && pw.unchangedBefore != "" && pw.ofThisProfile(pw.previous) {
		var first sql.NullTime
		if err := e.QueryRowContext(ctx, "SELECT "+pw.unchangedBefore).Scan(&first); err != nil {
			return nil, fmt.Errorf("lakehouse: profile %s: the first window that can have changed: %w", t, queryError(ctx, err))
		}
		if first.Valid {
			for start, p := range pw.previous {
				if start.Before(first.Time) {
					kept[start] = pw.kept(p)
				}
			}
			src += " AND lb_w >= " + timestampLiteral(first.Time) + pw.lowerBound(first.Time)
		}
	}
	// A snapshot that likely changed is profiled at once; its previous
	// profile is still taken if its digest, from the same scan, is the
	// same (reused, below).
	reuse := len(pw.previous) > 0 && gran == "" && pw.likelyChanged
	if len(pw.previous) > 0 && !reuse {
		changed, err := pw.changedWindows(ctx, e, src, group, kept)
		if err != nil {
			return nil, err
		}
		switch {
		case len(changed) == 0:
			return mergeWindows(nil, kept), nil
		case gran != "":
			lits := make([]string, len(changed))
			for i, c := range changed {
				lits[i] = timestampLiteral(c)
			}
			src += " AND lb_w IN (" + strings.Join(lits, ", ") + ")" + pw.windowBounds(changed)
		}
	}
	sel := []string{"lb_w", "count(*)", "sum(lb_h)::VARCHAR"}
	if gran == "" {
		sel[0] = "NULL::TIMESTAMP"
	}
	const fixed = 3 // the window, its rows and its digest
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
			// exact: approx_quantile's t-digest depends on the order
			// rows come in, and a window must profile the same
			// whichever run or build wrote its rows
			add(i, "quantiles", quantileSQL(c, qlist))
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
		var sum string
		if v := asText(vals[2]); v != nil {
			sum = *v
		}
		base := ColumnProfile{ProfileType: typ, Granularity: gran, ComputedAt: now, Digest: pw.digest(n, sum)}
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
			v := vals[k+fixed]
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
	if reuse && len(windows) == 1 {
		if p, ok := pw.previous[windows[0].start]; ok && p[0].Digest == windows[0].profiles[0].Digest {
			// the rows profiled before: their profile, recorded again
			// as this run's (as changedWindows takes it)
			p = slices.Clone(p)
			for i := range p {
				p[i].ComputedAt = now
			}
			return p, nil
		}
	}
	index := map[time.Time]int{}
	for i, w := range windows {
		index[w.start] = i
	}
	// The value counts of the columns with few distinct values, in one
	// scan: a grouping set per column, counted in the windows where it
	// has at most FrequentLimit (each window's profile depends on its
	// rows alone).
	few := func(p ColumnProfile) bool { return p.DistinctCount > 0 && p.DistinctCount <= FrequentLimit }
	var counted []int
	for i, c := range cols {
		if c.kind == profOther {
			continue
		}
		// grouping() is a bitmask of at most 64 columns
		if slices.ContainsFunc(windows, func(w window) bool { return few(w.profiles[i+1]) }) && len(counted) < 62 {
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
				if ok && few(windows[w].profiles[counted[j]+1]) {
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
	computed := windows2map(windows, func(w window) (time.Time, []ColumnProfile) { return w.start, w.profiles })
	if pw.samples {
		if err := sampleWindows(ctx, e, t, cols, src, computed); err != nil {
			return nil, err
		}
	}
	return mergeWindows(computed, kept), nil
}

// windowBounds bounds the time column itself to the span of the changed
// windows (in order), so DuckDB reads only the row groups whose min and
// max can hold them instead of bucketing every row: a condition every row
// of those windows meets (a row of a window lies in [start, start +
// granularity)), beside the exact lb_w IN (...). Only for a DATE or
// TIMESTAMP column, whose CAST to TIMESTAMP is the time zone's no matter:
// "" for others.
func (pw profileWindow) windowBounds(changed []time.Time) string {
	lo, hi := changed[0], addGranularity(changed[len(changed)-1], pw.gran)
	switch pw.timeType {
	case "DATE":
		// A date's midnight is in [lo, hi) only if the date is in
		// [date(lo), date(hi)].
		day := func(t time.Time) string { return "DATE " + QuoteString(t.UTC().Format(time.DateOnly)) }
		return " AND " + pw.timeCol + " >= " + day(lo) + " AND " + pw.timeCol + " <= " + day(hi)
	case "TIMESTAMP":
		return " AND " + pw.timeCol + " >= " + timestampLiteral(lo) + " AND " + pw.timeCol + " < " + timestampLiteral(hi)
	}
	return ""
}

// lowerBound bounds the time column itself from the start of a window on
// (the rows of that window and later ones meet it), so DuckDB skips the
// row groups before it; "" for a column other than DATE or TIMESTAMP.
func (pw profileWindow) lowerBound(start time.Time) string {
	switch pw.timeType {
	case "DATE":
		return " AND " + pw.timeCol + " >= DATE " + QuoteString(start.UTC().Format(time.DateOnly))
	case "TIMESTAMP":
		return " AND " + pw.timeCol + " >= " + timestampLiteral(start)
	}
	return ""
}

// digest is the digest of a window of n rows whose hashes sum to sum.
func (w profileWindow) digest(n int64, sum string) string {
	return w.sig + ":" + strconv.FormatInt(n, 10) + ":" + sum
}

// changedWindows reads the digest of each window of src and returns, in
// order, the windows whose digest differs from the previous profile's;
// the others' previous profiles go to kept.
func (w profileWindow) changedWindows(ctx context.Context, e execer, src, group string, kept map[time.Time][]ColumnProfile) ([]time.Time, error) {
	lb := "lb_w"
	if w.gran == "" {
		lb = "NULL::TIMESTAMP"
	}
	rows, err := e.QueryContext(ctx, "SELECT "+lb+", count(*), sum(lb_h)::VARCHAR FROM "+src+group)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: profile %s: digests: %w", w.t, queryError(ctx, err))
	}
	defer rows.Close()
	var changed []time.Time
	for rows.Next() {
		var start sql.NullTime
		var n int64
		var sum sql.NullString
		if err := rows.Scan(&start, &n, &sum); err != nil {
			return nil, fmt.Errorf("lakehouse: profile %s: digests: %w", w.t, err)
		}
		if p, ok := w.previous[start.Time]; ok && p[0].Digest == w.digest(n, sum.String) {
			// recorded again as this run's, so computed now
			p = slices.Clone(p)
			for i := range p {
				p[i].ComputedAt = w.now
			}
			kept[start.Time] = p
		} else {
			changed = append(changed, start.Time)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: profile %s: digests: %w", w.t, queryError(ctx, err))
	}
	return changed, nil
}

// mergeWindows lists the profiles of the windows of both maps, in the
// order of their starts.
func mergeWindows(a, b map[time.Time][]ColumnProfile) []ColumnProfile {
	starts := make([]time.Time, 0, len(a)+len(b))
	for s := range a {
		starts = append(starts, s)
	}
	for s := range b {
		starts = append(starts, s)
	}
	slices.SortFunc(starts, func(x, y time.Time) int { return x.Compare(y) })
	var out []ColumnProfile
	for _, s := range starts {
		if ps, ok := a[s]; ok {
			out = append(out, ps...)
		} else {
			out = append(out, b[s]...)
		}
	}
	return out
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
// past that, the rows whose hash (lb_h, of the row's values) falls below
// SampleSize/rows of the window, a uniform draw of about SampleSize rows
// (no sort: a hash filter). The draw depends on the window's rows alone,
// not on their order or on the other windows.
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
	const scale = 1 << 30
	var cases []string
	for start, ps := range windows {
		if n := ps[0].Count; n > SampleSize {
			below := int64(float64(scale) * float64(SampleSize) / float64(n))
			if start.IsZero() {
				cases = append(cases, fmt.Sprintf("WHEN lb_w IS NULL THEN %d", below))
			} else {
				cases = append(cases, fmt.Sprintf("WHEN lb_w = %s THEN %d", timestampLiteral(start), below))
			}
		}
	}
	slices.Sort(cases)
	query := fmt.Sprintf("SELECT lb_w, %s FROM %s", strings.Join(exprs, ", "), src)
	if len(cases) > 0 {
		query = fmt.Sprintf("SELECT lb_w, %s FROM (SELECT * FROM %s) AS lb_s WHERE lb_h %% %d < CASE %s ELSE %d END",
			strings.Join(exprs, ", "), src, scale, strings.Join(cases, " "), scale)
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
