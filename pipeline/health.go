package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// The tables' health, as Databricks data quality monitoring (anomaly
// detection): freshness and completeness of every table of the medallion
// layers, learned from the table's own history with no threshold to set,
// beside the explicit objectives of quality_monitors. Each run's health
// step (runHealth) appends its results to sys.table_results.
//
// Two histories are judged:
//
//   - Commits (sys.task_runs): commit_freshness is the time since the last
//     commit against the intervals between the table's commits. It needs
//     minCommits intervals; a sample's first run writes days 1..53 in one
//     commit, so it says NOT_ENOUGH_TABLE_HISTORY until a few runs later.
//   - Days of data: a bronze table's batches (the landing files' dates), or
//     the day of a timestamp column (quality_monitors' timestamp_column,
//     an incremental_by_time model's time_column, else a silver table's
//     only TIMESTAMP column). Every data day is judged as of that day against
//     the days before it (a backfilled history of results, so the sample's
//     first run already finds day 24 and day 17): data_freshness (days since
//     the last day of data against the usual gaps), daily_row_count (rows
//     of the day against a weekday-aware robust range; a daily table's
//     missing day counts 0 rows) and percent_null (the column whose NULLs
//     are least likely at its usual share). A day judged Unhealthy stays
//     out of the history of later days.
//
// A run records the days not yet judged and always the newest one again.

// Health metrics (HealthResult.Metric).
const (
	metricCommitFreshness       = "commit_freshness"
	metricDataFreshness         = "data_freshness"
	metricDailyRows             = "daily_row_count"
	metricPercentNull           = "percent_null"
	metricObjectiveFreshness    = "objective_freshness"
	metricObjectiveCompleteness = "objective_completeness"
)

const (
	checkFreshness    = "freshness"
	checkCompleteness = "completeness"
	sourceLearned     = "learned"
	sourceObjective   = "objective"
	oneDay            = 24 * time.Hour
	// maxJudgedDays is how many calendar days before the newest a run
	// judges at most (ten years); older data days still teach the cadence.
	maxJudgedDays = 3660
)

// runHealth is a run's step after runMonitors: freshness and completeness
// of every table, learned from its history (and the explicit objectives of
// quality_monitors), into sys.table_results with its downstream impact.
// models are the run's (their lineage gives each table's downstream
// impact), nil to read them.
func (p *Project) runHealth(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string, models []Model) error {
	_, err := p.checkHealth(ctx, lh, principal, runID, models)
	return err
}

// CheckHealth evaluates every table's health now (the project's clock) and
// appends the results to sys.table_results, as lakebench's own read of the
// tables (the results are shown only to principals who may read each
// table), audited as principal's "health" action. runID is the run
// evaluating them ("" on demand). It returns what it recorded.
func (p *Project) CheckHealth(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string) ([]lakehouse.HealthResult, error) {
	return p.checkHealth(ctx, lh, principal, runID, nil)
}

// checkHealth is CheckHealth with the project's models, nil to read them.
func (p *Project) checkHealth(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID string, models []Model) ([]lakehouse.HealthResult, error) {
	results, read, err := p.evaluateHealthOf(ctx, lh, runID, p.now(), models)
	if err != nil {
		return nil, err
	}
	if err := lh.RecordHealth(ctx, results); err != nil {
		return nil, err
	}
	if err := lh.Audit(ctx, lakehouse.AuditEvent{Principal: principal, Action: "health", Tables: read, Rows: int64(len(results)),
		Allowed: true, Detail: "freshness and completeness into sys.table_results"}); err != nil {
		return nil, err
	}
	return results, nil
}

// healthSeries is what one table's checks judge.
type healthSeries struct {
	table   string
	dayCol  string // "" for a bronze table's batches; "-" for none
	columns []string
	days    []lakehouse.DayStats
	commits []time.Time
	monitor *QualityMonitor
	// err is why the table's days could not be read.
	err error
}

func (p *Project) evaluateHealth(ctx context.Context, lh *lakehouse.Lakehouse, runID string, now time.Time) ([]lakehouse.HealthResult, []string, error) {
	return p.evaluateHealthOf(ctx, lh, runID, now, nil)
}

// evaluateHealthOf is evaluateHealth with the project's models, nil to
// read them.
func (p *Project) evaluateHealthOf(ctx context.Context, lh *lakehouse.Lakehouse, runID string, now time.Time, models []Model) ([]lakehouse.HealthResult, []string, error) {
	tables, err := lh.HealthTables(ctx)
	if err != nil {
		return nil, nil, err
	}
	evaluated, err := lh.EvaluatedWindows(ctx)
	if err != nil {
		return nil, nil, err
	}
	down := p.downstream(ctx, lh, models)
	var all []*healthSeries
	var read []string
	var reqs []lakehouse.StatsRequest
	var of []*healthSeries // the series each of reqs is for
	var clock time.Time    // the newest day of the target's batches
	for _, t := range tables {
		// A table with a dot in its name (made by a query, or by a model
		// file named a.b.sql before those were refused) has no
		// "schema.name" its results could be recorded under: it failed
		// every run's health step.
		if strings.Contains(t.Table.Schema, ".") || strings.Contains(t.Table.Name, ".") {
			continue
		}
		s := &healthSeries{table: t.Table.String(), commits: t.Commits, dayCol: p.dayColumn(t)}
		if m, ok := p.Resources.QualityMonitors[s.table]; ok {
			s.monitor = &m
		}
		for _, c := range t.Columns {
			s.columns = append(s.columns, c.Name)
		}
		col := s.dayCol
		if col == "-" && s.monitor != nil && s.monitor.Completeness > 0 {
			col = lakehouse.WholeTable
		}
		if col != "-" {
			reqs = append(reqs, lakehouse.StatsRequest{Table: t.Table, DayColumn: col, Columns: s.columns})
			of = append(of, s)
			read = append(read, s.table)
		}
		all = append(all, s)
	}
	// Every table's days at once: a few statements for all, besides
	// their scans.
	for i, r := range lh.HealthStats(ctx, reqs) {
		of[i].days, of[i].err = r.Days, r.Err
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	for _, s := range all {
		if s.dayCol == "" && len(s.days) > 0 {
			clock = maxTime(clock, s.days[len(s.days)-1].Day)
		}
	}
	if clock.IsZero() {
		for _, s := range all {
			if s.dayCol != "-" && len(s.days) > 0 {
				clock = maxTime(clock, s.days[len(s.days)-1].Day)
			}
		}
	}
	var out []lakehouse.HealthResult
	for _, s := range all {
		e := &emitter{now: now, runID: runID, table: s.table, evaluated: evaluated, down: down[s.table]}
		p.judgeCommits(s, now, e)
		if s.err != nil {
			e.add(lakehouse.HealthResult{Check: checkCompleteness, Metric: metricDailyRows, Source: sourceLearned, Status: lakehouse.Unknown,
				ErrorCode: "FAILED_TO_READ_TABLE", Message: s.err.Error()}, true)
		} else if s.dayCol != "-" {
			judgeDays(s, clock, now, e)
		} else if len(s.days) == 1 {
			judgeObjectiveCompleteness(s, s.days[0], time.Time{}, e, true)
		}
		out = append(out, e.out...)
	}
	return out, read, nil
}

// dayColumn is the column whose days a table's data is judged by: the
// monitor's timestamp_column, an incremental_by_time model's time_column,
// a bronze table's batches (""), else a silver table's only TIMESTAMP
// column; "-" when none.
func (p *Project) dayColumn(t lakehouse.HealthTable) string {
	name := t.Table.String()
	has := func(c string) bool {
		return slices.ContainsFunc(t.Columns, func(x lakehouse.Column) bool { return strings.EqualFold(x.Name, c) })
	}
	if m := p.Resources.QualityMonitors[name]; m.TimestampColumn != "" && has(m.TimestampColumn) {
		return m.TimestampColumn
	}
	if s := p.Resources.Models[name]; s.TimeColumn != "" && has(s.TimeColumn) {
		return s.TimeColumn
	}
	switch t.Table.Schema {
	case "bronze":
		return ""
	case "gold":
		// Gold aggregates: a TIMESTAMP there is a customer's last visit
		// more often than when its row happened.
		return "-"
	}
	var ts []string
	for _, c := range t.Columns {
		if strings.HasPrefix(strings.ToUpper(c.Type), "TIMESTAMP") {
			ts = append(ts, c.Name)
		}
	}
	if len(ts) == 1 {
		return ts[0]
	}
	return "-"
}

// downstream maps each table to every table and registered model
// downstream of it in lineage ("model:<name>" for a model), in order.
func (p *Project) downstream(ctx context.Context, lh *lakehouse.Lakehouse, models []Model) map[string][]string {
	if models == nil {
		var err error
		if models, err = p.Models(ctx, lh); err != nil {
			return nil // lineage is drawn when the models parse; health does not wait on it
		}
	}
	l := p.Lineage(models)
	out := map[string][]string{}
	for from := range l.Down {
		seen := map[string]bool{}
		next := []string{from}
		for len(next) > 0 {
			n := next[0]
			next = next[1:]
			for _, d := range l.Down[n] {
				if !seen[d] {
					seen[d] = true
					next = append(next, d)
				}
			}
		}
		list := make([]string, 0, len(seen))
		for d := range seen {
			list = append(list, d)
		}
		slices.Sort(list)
		out[from] = list
	}
	return out
}

// emitter collects one table's results, leaving out the windows already
// recorded (but never the newest).
type emitter struct {
	now       time.Time
	runID     string
	table     string
	evaluated map[string]time.Time
	down      []string
	out       []lakehouse.HealthResult
}

func (e *emitter) add(r lakehouse.HealthResult, newest bool) {
	if !newest && !r.WindowStart.IsZero() {
		if last, ok := e.evaluated[lakehouse.HealthKey(e.table, r.Metric, r.Source)]; ok && !r.WindowStart.After(last) {
			return
		}
	}
	r.EvaluatedAt, r.RunID, r.Table, r.DownstreamImpact = e.now, e.runID, e.table, e.down
	if r.Status == lakehouse.Unhealthy {
		r.ImpactLevel = impactLevel(e.down)
	}
	e.out = append(e.out, r)
}

// impactLevel grades an Unhealthy table's impact: 1 with nothing
// downstream, 2 with up to three tables, 3 with more, 4 with a registered
// model downstream.
func impactLevel(down []string) int {
	tables := 0
	for _, d := range down {
		if strings.HasPrefix(d, "model:") {
			return 4
		}
		tables++
	}
	switch {
	case tables == 0:
		return 1
	case tables <= 3:
		return 2
	}
	return 3
}

// judgeCommits judges the time since the table's last commit: against the
// intervals between its commits (learned), and against the monitor's
// freshness objective when it has no timestamp column.
func (p *Project) judgeCommits(s *healthSeries, now time.Time, e *emitter) {
	r := lakehouse.HealthResult{Check: checkFreshness, Metric: metricCommitFreshness, Source: sourceLearned, Status: lakehouse.Unknown}
	var last time.Time
	if n := len(s.commits); n > 0 {
		last = s.commits[n-1]
		r.Observed = now.Sub(last).Seconds()
		r.WindowStart, r.WindowEnd = time.Time{}, now
	}
	intervals := make([]float64, 0, len(s.commits))
	for i := 1; i < len(s.commits); i++ {
		intervals = append(intervals, s.commits[i].Sub(s.commits[i-1]).Seconds())
	}
	switch {
	case last.IsZero():
		r.ErrorCode, r.Message = lakehouse.NotEnoughHistory, "no run has written rows to it yet"
	case len(intervals) < minCommits:
		r.ErrorCode = lakehouse.NotEnoughHistory
		r.Message = fmt.Sprintf("%d of the %d commits the cadence is learned from", len(s.commits), minCommits+1)
	default:
		r.PredictedMax = intervalBound(intervals)
		r.Status = lakehouse.Healthy
		r.Message = fmt.Sprintf("last commit %s ago; commits usually every %s", seconds(r.Observed), seconds(median(intervals)))
		if r.Observed > r.PredictedMax {
			r.Status = lakehouse.Unhealthy
			r.Message = fmt.Sprintf("no commit for %s, longer than the usual %s (at most %s)", seconds(r.Observed), seconds(median(intervals)), seconds(r.PredictedMax))
		}
	}
	e.add(r, true)
	if s.monitor == nil || s.monitor.Freshness == "" || (s.dayCol != "-" && strings.EqualFold(s.dayCol, s.monitor.TimestampColumn)) {
		return
	}
	objective, err := ParseObjective(s.monitor.Freshness)
	if err != nil {
		return // validate reports it
	}
	o := lakehouse.HealthResult{Check: checkFreshness, Metric: metricObjectiveFreshness, Source: sourceObjective, Status: lakehouse.Unknown,
		PredictedMax: objective.Seconds(), WindowEnd: now}
	if last.IsZero() {
		o.ErrorCode, o.Message = lakehouse.NotEnoughHistory, "no run has written rows to it yet"
	} else {
		o.Observed = now.Sub(last).Seconds()
		o.Status = lakehouse.Healthy
		o.Message = fmt.Sprintf("written %s ago; objective %s", seconds(o.Observed), s.monitor.Freshness)
		if o.Observed > o.PredictedMax {
			o.Status = lakehouse.Unhealthy
			o.Message = fmt.Sprintf("written %s ago, past its objective of %s", seconds(o.Observed), s.monitor.Freshness)
		}
	}
	e.add(o, true)
}

// judgeDays judges every day of a table's data from its first to the
// newest of the target (clock), each against the days before it.
func judgeDays(s *healthSeries, clock, now time.Time, e *emitter) {
	if len(s.days) == 0 {
		e.add(lakehouse.HealthResult{Check: checkCompleteness, Metric: metricDailyRows, Source: sourceLearned, Status: lakehouse.Unknown,
			ErrorCode: lakehouse.NotEnoughHistory, Message: "no rows with a day yet"}, true)
		return
	}
	byDay := map[time.Time]int{}
	for i, d := range s.days {
		byDay[d.Day] = i
	}
	first, newest := s.days[0].Day, maxTime(clock, s.days[len(s.days)-1].Day)
	badRows := map[time.Time]bool{}
	badNulls := make([]map[time.Time]bool, len(s.columns))
	for i := range badNulls {
		badNulls[i] = map[time.Time]bool{}
	}
	var gaps []float64
	last := -1 // index of the newest data day before D
	// One row dated far from the others (a 9999-12-31 placeholder, a year
	// 0001 typo) made a run judge every calendar day between them: a
	// result per day per table, which took all the memory of the machine.
	// Days before the judged span only teach the cadence.
	start := first
	if from := newest.Add(-maxJudgedDays * oneDay); from.After(first) {
		start = from
		for i, d := range s.days {
			if !d.Day.Before(start) {
				break
			}
			if last >= 0 {
				gaps = append(gaps, d.Day.Sub(s.days[last].Day).Hours()/24)
			}
			last = i
		}
	}
	for D := start; !D.After(newest); D = D.Add(oneDay) {
		final := D.Equal(newest)
		i, has := byDay[D]
		end := D.Add(oneDay)
		window := func(r lakehouse.HealthResult) lakehouse.HealthResult {
			r.WindowStart, r.WindowEnd = D, end
			return r
		}
		daily := len(gaps) > 0 && median(gaps) == 1

		// data_freshness: days since the last day of data.
		f := window(lakehouse.HealthResult{Check: checkFreshness, Metric: metricDataFreshness, Source: sourceLearned, Status: lakehouse.Unknown})
		lastDay := D
		if !has && last >= 0 {
			lastDay = s.days[last].Day
		}
		f.Observed = D.Sub(lastDay).Hours() / 24
		if len(gaps) < minHistory {
			f.ErrorCode = lakehouse.NotEnoughHistory
			f.Message = fmt.Sprintf("%d of the %d days of data the cadence is learned from", len(gaps)+1, minHistory+1)
		} else {
			f.PredictedMax = math.Max(0, math.Floor(intervalBound(gaps))-1)
			f.Status = lakehouse.Healthy
			if f.Observed > f.PredictedMax {
				f.Status = lakehouse.Unhealthy
				f.Message = fmt.Sprintf("no data for %s since %s; data usually comes every %s", days(f.Observed), lastDay.Format(time.DateOnly), days(median(gaps)))
			}
		}
		e.add(f, final)

		// daily_row_count: rows of the day against the days before it.
		if has || daily {
			var hist []dayRows
			for j := 0; j <= last; j++ {
				d := s.days[j]
				if d.Day.Before(D.Add(-historyDays*oneDay)) || badRows[d.Day] {
					continue
				}
				hist = append(hist, dayRows{d.Day, float64(d.Rows)})
			}
			r := window(lakehouse.HealthResult{Check: checkCompleteness, Metric: metricDailyRows, Source: sourceLearned, Status: lakehouse.Unknown})
			if has {
				r.Observed = float64(s.days[i].Rows)
			}
			if len(hist) < minHistory {
				r.ErrorCode = lakehouse.NotEnoughHistory
				r.Message = fmt.Sprintf("%d of the %d days of history row counts are learned from", len(hist), minHistory)
			} else {
				center, lo, hi := rowRange(hist, D, daily)
				r.PredictedMin, r.PredictedMax, r.Status = lo, hi, lakehouse.Healthy
				switch {
				case !has:
					r.Status, r.Message = lakehouse.Unhealthy, fmt.Sprintf("no rows for %s; about %.0f expected", D.Format(time.DateOnly), center)
				case r.Observed < lo:
					r.Status, r.Message = lakehouse.Unhealthy, fmt.Sprintf("%.0f rows, fewer than the %.0f at least expected (about %.0f)", r.Observed, lo, center)
				case r.Observed > hi:
					r.Message = fmt.Sprintf("%.0f rows, more than the %.0f expected at most", r.Observed, hi)
				}
			}
			if r.Status == lakehouse.Unhealthy {
				badRows[D] = true
			}
			e.add(r, final)
		}

		// percent_null: the column whose NULLs are least expected.
		if has && len(s.columns) > 0 {
			judgeNulls(s, i, last, D, badNulls, window, e, final)
			judgeObjectiveCompleteness(s, s.days[i], D, e, final)
		}
		judgeObjectiveFreshness(s, last, has, i, D, now, e, final)

		if has {
			if last >= 0 {
				gaps = append(gaps, D.Sub(s.days[last].Day).Hours()/24)
			}
			last = i
		}
	}
}

// judgeNulls judges a data day's NULLs per column against the column's
// share over the days before (those not judged Unhealthy for it), and
// records the column least likely to be so NULL.
func judgeNulls(s *healthSeries, i, last int, D time.Time, bad []map[time.Time]bool, window func(lakehouse.HealthResult) lakehouse.HealthResult, e *emitter, final bool) {
	today := s.days[i]
	r := window(lakehouse.HealthResult{Check: checkCompleteness, Metric: metricPercentNull, Source: sourceLearned, Status: lakehouse.Unknown})
	histDays := 0
	for j := 0; j <= last; j++ {
		if !s.days[j].Day.Before(D.Add(-historyDays * oneDay)) {
			histDays++
		}
	}
	if histDays < minHistory {
		r.ErrorCode = lakehouse.NotEnoughHistory
		r.Message = fmt.Sprintf("%d of the %d days of history NULL shares are learned from", histDays, minHistory)
		e.add(r, final)
		return
	}
	var flagged []string
	worst, worstExcess := -1, 0.0
	for c := range s.columns {
		var rows, nulls int64
		for j := 0; j <= last; j++ {
			d := s.days[j]
			if d.Day.Before(D.Add(-historyDays*oneDay)) || bad[c][d.Day] {
				continue
			}
			rows += d.Rows
			nulls += d.Nulls[c]
		}
		p := 0.0
		if rows > 0 {
			p = float64(nulls) / float64(rows)
		}
		most := maxNulls(today.Rows, p)
		excess := float64(today.Nulls[c]-most) / float64(max(today.Rows, 1))
		if today.Nulls[c] > most {
			bad[c][D] = true
			flagged = append(flagged, fmt.Sprintf("%s: %d NULLs of %d rows (%s), usually at most %d", s.columns[c], today.Nulls[c], today.Rows,
				percent(today.Nulls[c], today.Rows), most))
		}
		// The column most over its bound, among those with NULLs today.
		if worst < 0 || (today.Nulls[c] > 0 && (today.Nulls[worst] == 0 || excess > worstExcess)) {
			worst, worstExcess = c, excess
			r.Column = s.columns[c]
			r.Observed = 100 * float64(today.Nulls[c]) / float64(max(today.Rows, 1))
			r.PredictedMax = 100 * float64(most) / float64(max(today.Rows, 1))
		}
	}
	r.Status = lakehouse.Healthy
	if len(flagged) > 0 {
		r.Status, r.Message = lakehouse.Unhealthy, strings.Join(flagged, "; ")
	} else {
		r.Message = fmt.Sprintf("%d columns within their usual NULL shares", len(s.columns))
		if today.Nulls[worst] == 0 {
			r.Column = ""
		}
	}
	e.add(r, final)
}

// judgeObjectiveCompleteness judges a day (or the whole table, D zero)
// against the monitor's completeness: the least non-null share of every
// column.
func judgeObjectiveCompleteness(s *healthSeries, d lakehouse.DayStats, D time.Time, e *emitter, final bool) {
	if s.monitor == nil || s.monitor.Completeness <= 0 || d.Rows == 0 {
		return
	}
	r := lakehouse.HealthResult{Check: checkCompleteness, Metric: metricObjectiveCompleteness, Source: sourceObjective, Status: lakehouse.Healthy,
		Observed: 1, PredictedMin: s.monitor.Completeness, PredictedMax: 1}
	if !D.IsZero() {
		r.WindowStart, r.WindowEnd = D, D.Add(oneDay)
	}
	for c, n := range d.Nulls {
		share := 1 - float64(n)/float64(d.Rows)
		if share < r.Observed {
			r.Observed, r.Column = share, s.columns[c]
		}
	}
	if r.Observed < r.PredictedMin {
		r.Status = lakehouse.Unhealthy
		r.Message = fmt.Sprintf("%s is %.2f%% non-null, below the objective of %.2f%%", r.Column, 100*r.Observed, 100*r.PredictedMin)
	}
	e.add(r, final)
}

// judgeObjectiveFreshness judges, at the end of day D (or now, if sooner),
// the age of the newest value of the monitor's timestamp column against
// its freshness objective.
func judgeObjectiveFreshness(s *healthSeries, last int, has bool, i int, D, now time.Time, e *emitter, final bool) {
	if s.monitor == nil || s.monitor.Freshness == "" || !strings.EqualFold(s.dayCol, s.monitor.TimestampColumn) {
		return
	}
	objective, err := ParseObjective(s.monitor.Freshness)
	if err != nil {
		return
	}
	newest := time.Time{}
	if has {
		newest = s.days[i].Last
	} else if last >= 0 {
		newest = s.days[last].Last
	}
	end := D.Add(oneDay)
	if now.Before(end) {
		end = now
	}
	r := lakehouse.HealthResult{Check: checkFreshness, Metric: metricObjectiveFreshness, Source: sourceObjective, Status: lakehouse.Healthy,
		Observed: end.Sub(newest).Seconds(), PredictedMax: objective.Seconds(), WindowStart: D, WindowEnd: D.Add(oneDay)}
	if r.Observed < 0 {
		r.Observed = 0
	}
	if r.Observed > r.PredictedMax {
		r.Status = lakehouse.Unhealthy
		r.Message = fmt.Sprintf("the newest %s is %s old at the end of %s, past its objective of %s", s.monitor.TimestampColumn,
			seconds(r.Observed), D.Format(time.DateOnly), s.monitor.Freshness)
	}
	e.add(r, final)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// seconds says a duration in seconds briefly: 45s, 12m, 3.5h, 2.0d.
func seconds(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.0fs", s)
	case s < 7200:
		return fmt.Sprintf("%.0fm", s/60)
	case s < 2*86400:
		return fmt.Sprintf("%.1fh", s/3600)
	}
	return fmt.Sprintf("%.1fd", s/86400)
}

func days(n float64) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%g days", n)
}

func percent(n, of int64) string {
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(max(of, 1)))
}

// traceHealthDays asks an in-place build of m that merges or appends
// (columns cols) for the earliest day, of the column the health step
// judges m's table by, among the rows it adds, replaces or removes, with
// the table's stamp before it: recorded with the build as an
// incremental_by_time build records its window (lakehouse.BuildRecord
// Since, TimeColumn, From), it lets the next health step read the days
// from it on and keep the earlier ones it kept (lakehouse.HealthStats).
// An incremental_by_time build records its own window; an append with no
// rules and no trace is left on its path with no copy of the rows (the
// health step reads that table whole).
func (p *Project) traceHealthDays(ctx context.Context, tx *lakehouse.Tx, m Model, rules []lakehouse.Rule, cols []lakehouse.Column, b *build) error {
	if b.skip || b.mat.ReplaceWhere != "" || b.mat.Rebuild || (len(b.mat.UniqueKey) == 0 && b.mat.Trace == nil && len(rules) == 0) {
		return nil
	}
	col := p.dayColumn(lakehouse.HealthTable{Table: m.Table, Columns: lakehouse.HealthColumns(cols)})
	if col == "" || col == "-" {
		return nil
	}
	since, ok, err := tx.TableStamp(ctx, m.Table)
	if err != nil || !ok {
		return err
	}
	if b.mat.Trace == nil {
		b.mat.Trace = &lakehouse.Trace{Alias: m.Table.Name}
	}
	e := lakehouse.QuoteIdent(col)
	i := slices.Index(b.mat.Trace.Exprs, e)
	if i < 0 {
		i = len(b.mat.Trace.Exprs)
		b.mat.Trace.Exprs = append(b.mat.Trace.Exprs, e)
	}
	b.healthExpr, b.healthColumn, b.healthSince = i+1, col, since
	return nil
}

// healthDays is what a build that traced its health day column
// (traceHealthDays) records: the column and the earliest time it
// changed, as a SQL literal; ok is false when it traced none, or no
// changed row had a day (the health step then reads the table whole).
func (b build) healthDays() (column, from string, ok bool) {
	if b.healthExpr == 0 || b.mat.Trace == nil || len(b.mat.Trace.Found) < b.healthExpr {
		return "", "", false
	}
	c := b.mat.Trace.Found[b.healthExpr-1]
	if c.Earliest == "" || !lakehouse.TimeType(c.Type) || strings.ContainsAny(c.Type, "'\";") {
		return "", "", false
	}
	return b.healthColumn, "CAST(" + lakehouse.QuoteString(c.Earliest) + " AS " + c.Type + ")", true
}
