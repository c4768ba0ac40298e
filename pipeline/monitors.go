package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// Monitors, as Databricks Lakehouse Monitoring (data profiling): after a
// run's tasks, each table of quality_monitors with profile or drift is
// profiled (lakehouse.ProfileTable: a snapshot, or a time series with a
// profile per window) into sys.profile_metrics, and, with drift, compared
// into sys.drift_metrics: each window against the one before it
// (CONSECUTIVE; for a snapshot, this run's profile against the previous
// run's), and against the baseline_table's snapshot (BASELINE). Each table
// is one transaction, as the run's principal: the profile is a read of the
// table checked on its grants, and audited.

// monitorOptions are the profile options of a monitor.
func monitorOptions(m QualityMonitor) lakehouse.ProfileOptions {
	return lakehouse.ProfileOptions{Type: m.ProfileType, TimestampColumn: m.TimestampColumn,
		Granularities: m.Granularities, Columns: m.Columns, Samples: m.Drift}
}

// profileHook, when set (by tests), is told of each monitor's profile
// options before its profile.
var profileHook func(table string, opts lakehouse.ProfileOptions)

// errNotBuilt is monitor's answer for a table that does not exist (yet).
var errNotBuilt = errors.New("pipeline: monitored table not built yet")

// monitor profiles one table, computes its drift and records both, in one
// transaction, audited as the principal's read. Unless full, the windows
// whose rows have not changed since the table's previous profile are
// taken from it; drift is computed on all windows either way, so it is
// what profiling every window would give.
func (p *Project) monitor(ctx context.Context, lh *lakehouse.Lakehouse, principal, runID, name string, m QualityMonitor, full bool) error {
	t, err := lakehouse.ParseTableName(name)
	if err != nil {
		return err
	}
	tx, err := lh.BeginAs(ctx, principal)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC()
	prev, err := tx.PreviousProfile(ctx, t.String(), runID)
	if err != nil {
		return err
	}
	opts := monitorOptions(m)
	if m.Drift {
		opts.Config = driftConfig(m)
	}
	var stamp string // the table this profile reads, for the next run's UnchangedBefore
	stamped := false
	if !full && len(prev) > 0 {
		opts.Previous = prev
		// The table this profile reads: when it is the one prev was
		// read from (the same stamp, which a write beside the builds
		// forgets), no row is read.
		if stamp, _, err = tx.TableStamp(ctx, t); err != nil {
			return err
		}
		stamped = true
		var was string
		if m.ProfileType == lakehouse.TimeSeries {
			// After an incremental_by_time build on the timestamp
			// column, only the windows it replaced are read.
			if opts.UnchangedBefore, was, err = tx.UnchangedBefore(ctx, t, m.TimestampColumn, prev[0].RunID); err != nil {
				return err
			}
		} else if stamp != "" {
			if was, err = tx.ProfileStamp(ctx, t.String(), prev[0].RunID); err != nil {
				return err
			}
			// A snapshot whose table was built again since prev was
			// read likely changed: it is profiled without reading its
			// digest first (the digest still decides what is reused).
			opts.LikelyChanged = was != stamp
		}
		opts.Unchanged = stamp != "" && was == stamp
	}
	if profileHook != nil {
		profileHook(name, opts)
	}
	ps, err := tx.ProfileTable(ctx, t, opts)
	if errors.Is(err, lakehouse.ErrNotFound) {
		return errNotBuilt // nothing was read
	}
	if err == nil && !stamped {
		stamp, _, err = tx.TableStamp(ctx, t)
	}
	var ds []lakehouse.DriftMetric
	var keptDrift []lakehouse.Window
	if err == nil && m.Drift {
		ds, keptDrift, err = monitorDrift(ctx, tx, runID, m, ps, prev, now)
	}
	var ae *lakehouse.AccessError
	tables := make([]string, 0, 2)
	for _, c := range tx.Checked() {
		if s := c.String(); !slices.Contains(tables, s) {
			tables = append(tables, s)
		}
	}
	if len(tables) == 0 {
		tables = append(tables, t.String())
	}
	audit := lakehouse.AuditEvent{Principal: principal, Action: "monitor", Tables: tables, Allowed: !errors.As(err, &ae),
		Rows: int64(len(ps)), Detail: name}
	if err != nil {
		audit.Detail += ": " + firstLine(err.Error())
	}
	if aerr := lh.Audit(context.WithoutCancel(ctx), audit); aerr != nil && err == nil {
		err = fmt.Errorf("its read could not be audited, so it is not recorded: %w", aerr)
	}
	if err != nil {
		return err
	}
	// The windows taken from the previous profile are copied in SQL, the
	// others written.
	var computed []lakehouse.ColumnProfile
	var kept []lakehouse.Window
	prevDigest := windowDigests(prev)
	for _, p := range ps {
		w := lakehouse.Window{Granularity: p.Granularity, Start: p.WindowStart}
		if full || p.Digest == "" || p.Digest != prevDigest[w] {
			computed = append(computed, p)
		} else if p.ColumnName == lakehouse.TableColumn {
			kept = append(kept, w)
		}
	}
	if err := tx.RecordProfiles(ctx, runID, computed); err != nil {
		return err
	}
	if err := tx.RecordProfileStamp(ctx, t.String(), runID, stamp); err != nil {
		return err
	}
	if len(kept) > 0 {
		if err := tx.CopyProfiles(ctx, t.String(), prev[0].RunID, runID, now, kept); err != nil {
			return err
		}
	}
	if err := tx.RecordDrift(ctx, runID, ds); err != nil {
		return err
	}
	if len(keptDrift) > 0 {
		if err := tx.CopyDrift(ctx, t.String(), prev[0].RunID, runID, now, keptDrift); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// driftConfig is what a monitor's drift depends on besides the profiles:
// a change of it profiles and compares every window again.
func driftConfig(m QualityMonitor) string {
	var b strings.Builder
	b.WriteString(m.BaselineTable)
	for _, k := range sortedKeys(m.DriftThresholds) {
		fmt.Fprintf(&b, ";%s=%v", k, m.DriftThresholds[k])
	}
	return b.String()
}

// windowDigests maps each window of a profile to its digest.
func windowDigests(ps []lakehouse.ColumnProfile) map[lakehouse.Window]string {
	out := map[lakehouse.Window]string{}
	for _, p := range ps {
		if p.ColumnName == lakehouse.TableColumn {
			out[lakehouse.Window{Granularity: p.Granularity, Start: p.WindowStart}] = p.Digest
		}
	}
	return out
}

// monitorDrift computes a monitored table's drift: its profile ps against
// the previous run's prev (a snapshot) or each window against the one
// before it (a time series), and against the baseline table's snapshot.
// A time series' CONSECUTIVE rows of a window whose profile and whose
// predecessor's are the previous run's (the same digests) are the
// previous run's: those windows are returned as kept, for the caller to
// copy; the other rows are computed, reading the samples they need. The
// two together are what comparing every window again gives.
func monitorDrift(ctx context.Context, tx *lakehouse.Tx, runID string, m QualityMonitor, ps, prev []lakehouse.ColumnProfile, now time.Time) ([]lakehouse.DriftMetric, []lakehouse.Window, error) {
	var base []lakehouse.ColumnProfile
	if m.BaselineTable != "" {
		bt, err := lakehouse.ParseTableName(m.BaselineTable)
		if err != nil {
			return nil, nil, err
		}
		if base, err = tx.ProfileTable(ctx, bt, lakehouse.ProfileOptions{Columns: m.Columns, Samples: true}); err != nil {
			return nil, nil, err
		}
	}
	var need []*lakehouse.ColumnProfile
	if m.ProfileType == "" || m.ProfileType == lakehouse.Snapshot {
		for i := range ps {
			need = append(need, &ps[i])
		}
		for i := range prev {
			need = append(need, &prev[i])
		}
		if err := tx.LoadSamples(ctx, need); err != nil {
			return nil, nil, err
		}
		return lakehouse.Drift(ps, prev, base, m.DriftThresholds, now), nil, nil
	}
	// A time series: each window's predecessor, now and in prev.
	before := func(ps []lakehouse.ColumnProfile) map[lakehouse.Window]lakehouse.Window {
		out := map[lakehouse.Window]lakehouse.Window{}
		last := map[string]lakehouse.Window{}
		for _, p := range ps {
			if p.ColumnName != lakehouse.TableColumn {
				continue
			}
			w := lakehouse.Window{Granularity: p.Granularity, Start: p.WindowStart}
			if b, ok := last[p.Granularity]; ok {
				out[w] = b
			}
			last[p.Granularity] = w
		}
		return out
	}
	curDigest, prevDigest := windowDigests(ps), windowDigests(prev)
	curBefore, prevBefore := before(ps), before(prev)
	same := func(w lakehouse.Window) bool { return curDigest[w] != "" && curDigest[w] == prevDigest[w] }
	// Kept: both windows of the pair unchanged, and the previous run
	// compared the same pair (it recorded rows for it).
	kept := map[lakehouse.Window]bool{}
	if len(base) == 0 && len(prev) > 0 {
		old, err := tx.PreviousDrift(ctx, ps[0].Table, runID)
		if err != nil {
			return nil, nil, err
		}
		recorded := map[lakehouse.Window]bool{}
		for _, d := range old {
			if d.DriftType == lakehouse.Consecutive && d.RunID == prev[0].RunID {
				recorded[lakehouse.Window{Granularity: d.Granularity, Start: d.WindowStart}] = true
			}
		}
		for w, b := range curBefore {
			if recorded[w] && same(w) && same(b) && prevBefore[w] == b {
				kept[w] = true
			}
		}
	}
	// The samples of each pair to compare: the window and its predecessor.
	compare := map[lakehouse.Window]bool{}
	for w, b := range curBefore {
		if !kept[w] || len(base) > 0 {
			compare[w], compare[b] = true, true
		}
	}
	if len(base) > 0 {
		for w := range curDigest {
			compare[w] = true
		}
	}
	for i := range ps {
		if compare[lakehouse.Window{Granularity: ps[i].Granularity, Start: ps[i].WindowStart}] {
			need = append(need, &ps[i])
		}
	}
	if err := tx.LoadSamples(ctx, need); err != nil {
		return nil, nil, err
	}
	var out []lakehouse.DriftMetric
	for _, d := range lakehouse.Drift(ps, nil, base, m.DriftThresholds, now) {
		if d.DriftType == lakehouse.Consecutive && kept[lakehouse.Window{Granularity: d.Granularity, Start: d.WindowStart}] {
			continue
		}
		out = append(out, d)
	}
	var keptWindows []lakehouse.Window
	for w := range kept {
		keptWindows = append(keptWindows, w)
	}
	slices.SortFunc(keptWindows, func(a, b lakehouse.Window) int {
		return cmp.Or(strings.Compare(a.Granularity, b.Granularity), a.Start.Compare(b.Start))
	})
	return out, keptWindows, nil
}

// DriftSummary says which columns of drift are flagged, and by what: "ok"
// when none.
func DriftSummary(ds []lakehouse.DriftMetric) string {
	var out []string
	for _, d := range ds {
		if !d.Flagged {
			continue
		}
		at := d.DriftType
		if !d.WindowStart.IsZero() {
			at += " " + d.WindowStart.Format(time.DateOnly)
		}
		out = append(out, fmt.Sprintf("%s (%s: %s)", d.ColumnName, at, strings.Join(d.FlaggedBy, ", ")))
	}
	if len(out) == 0 {
		return "ok"
	}
	return strings.Join(out, "; ")
}

// validateMonitor checks a monitor's profile and drift settings: the
// profile type, a timestamp column and granularities for a time series,
// the baseline table, the drift thresholds' keys and values, and columns
// named once each. Whether the columns exist is checked when the table
// is profiled (a run, `lakebench profile`), which names the table's
// columns.
func (p *Project) validateMonitor(path string, m QualityMonitor, errf func(path, hint, format string, args ...any), tableRef func(path, table, what string)) {
	types := []string{lakehouse.Snapshot, lakehouse.TimeSeries}
	switch m.ProfileType {
	case "", lakehouse.Snapshot:
		if len(m.Granularities) > 0 {
			errf(path+".granularities", "set profile_type: time_series (with timestamp_column) to profile windows, or drop granularities", "granularities need profile_type time_series")
		}
	case lakehouse.TimeSeries:
		if m.TimestampColumn == "" {
			errf(path+".profile_type", "name the DATE or TIMESTAMP column the windows are cut on: timestamp_column: order_date", "a time_series profile needs timestamp_column")
		}
	default:
		errf(path+".profile_type", "use snapshot or time_series"+suggestHint(m.ProfileType, types), "unknown profile_type %q", m.ProfileType)
	}
	if m.ProfileType != "" && !m.Profile && !m.Drift {
		errf(path+".profile_type", "set profile: true (or drift: true) for the table to be profiled", "profile_type is set but the monitor neither profiles nor computes drift")
	}
	for i, g := range m.Granularities {
		if _, err := lakehouse.ParseGranularity(g); err != nil {
			errf(fmt.Sprintf("%s.granularities[%d]", path, i), "write a count and a unit: \"1 day\", \"1 week\", \"6 hours\" (minute, hour, day, week, month, year)", "granularity %q is not a window size", g)
		}
	}
	if m.BaselineTable != "" {
		tableRef(path+".baseline_table", m.BaselineTable, "baseline_table")
		if !m.Drift {
			errf(path+".baseline_table", "set drift: true to compare with the baseline", "baseline_table is set but drift is not")
		}
	}
	keys := lakehouse.DriftThresholdKeys()
	for _, k := range sortedKeys(m.DriftThresholds) {
		v := m.DriftThresholds[k]
		if !slices.Contains(keys, k) {
			errf(path+".drift_thresholds."+k, "keys: "+strings.Join(keys, ", ")+suggestHint(k, keys), "unknown drift threshold %q", k)
			continue
		}
		if v < 0 || (strings.HasSuffix(k, "_pvalue") && v > 1) {
			errf(path+".drift_thresholds."+k, "p-values are within 0..1, distances and deltas at least 0", "drift threshold %s = %v is out of range", k, v)
		}
	}
	if len(m.DriftThresholds) > 0 && !m.Drift {
		errf(path+".drift_thresholds", "set drift: true for drift to be computed", "drift_thresholds are set but drift is not")
	}
	seen := map[string]bool{}
	for i, c := range m.Columns {
		switch lc := strings.ToLower(c); {
		case strings.TrimSpace(c) == "":
			errf(fmt.Sprintf("%s.columns[%d]", path, i), "name a column of the table", "an empty column name")
		case seen[lc]:
			errf(fmt.Sprintf("%s.columns[%d]", path, i), "name each column once", "column %q is listed twice", c)
		default:
			seen[lc] = true
		}
	}
}
