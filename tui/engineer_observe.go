package tui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
)

// The Engineer view's observability panels (issue 11): Profiles (each
// monitored table's latest profile, per column, with its drift flags) and
// Health (learned freshness and completeness per table). Each reads its
// data when shown, and again after a load while shown.

// Messages of the observability panels.
type (
	profilesMsg struct {
		target   string
		profiles []profileEntry
	}
	healthMsg struct {
		target  string
		results []lakehouse.HealthResult
		err     error
	}
)

func (profilesMsg) owner() viewID { return engineerView }
func (healthMsg) owner() viewID   { return engineerView }

// profileEntry is one monitored table's profile, or why it could not be
// read.
type profileEntry struct {
	table string
	p     *Profile
	err   error
}

// observed is what a panel reading its own data knows of the read: in
// flight, done for target (with an error or not), or stale since a load.
type observed struct {
	loading bool
	loaded  bool
	stale   bool
	target  string
	err     error
}

// due reports whether the panel should read (again) for target.
func (o *observed) due(target string) bool {
	return !o.loading && (!o.loaded || o.stale || o.target != target)
}

// done records a read for target.
func (o *observed) done(target string, err error) {
	o.loading, o.loaded, o.stale, o.target, o.err = false, true, false, target, err
}

// obsPanel reports whether a panel is one of the wide observability
// panels, drawn across the whole view.
func obsPanel(p int) bool { return p == panelProfiles || p == panelHealth || p == panelTests }

// loadPanel reads the shown panel's data when it is due.
func (e *engineer) loadPanel() tea.Cmd {
	if e.sh.snap == nil {
		return nil
	}
	b, target := e.sh.backend, e.sh.target
	switch e.panel {
	case panelProfiles:
		if !e.profState.due(target) {
			return nil
		}
		e.profState.loading = true
		tables := slices.Clone(e.sh.snap.Monitored)
		return func() tea.Msg {
			out := make([]profileEntry, len(tables))
			for i, t := range tables {
				p, err := b.Profiles(context.Background(), target, t)
				out[i] = profileEntry{table: t, p: p, err: err}
			}
			return profilesMsg{target: target, profiles: out}
		}
	case panelTests:
		return e.loadTests()
	case panelHealth:
		if !e.healthState.due(target) {
			return nil
		}
		e.healthState.loading = true
		return func() tea.Msg {
			res, err := b.Health(context.Background(), target)
			return healthMsg{target: target, results: res, err: err}
		}
	}
	return nil
}

// observeUpdate takes the observability panels' messages.
func (e *engineer) observeUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case profilesMsg:
		e.profState.done(msg.target, nil)
		if msg.target != e.sh.target {
			e.profState.stale = true
			return e.loadPanel()
		}
		e.profiles = msg.profiles
		e.cursor[panelProfiles] = min(e.cursor[panelProfiles], max(0, len(e.profileRows())-1))
	case healthMsg:
		e.healthState.done(msg.target, msg.err)
		if msg.target != e.sh.target {
			e.healthState.stale = true
			return e.loadPanel()
		}
		e.health = sortHealth(msg.results)
		e.cursor[panelHealth] = min(e.cursor[panelHealth], max(0, len(e.health)-1))
	}
	return nil
}

// notAvailable is the line a panel shows in place of data it could not
// read: an access refusal as such, anything else as "not available".
func notAvailable(st Styles, err error, width, room int) []string {
	var ae *lakehouse.AccessError
	if errors.As(err, &ae) {
		return refusedLines(st, err.Error(), width, room)
	}
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "lakehouse: "), "pipeline: ")
	lines := strings.Split(wrapText("not available: "+msg, max(1, width)), "\n")
	for i := range lines {
		lines[i] = st.Warn.Render(lines[i])
	}
	return lines[:min(len(lines), max(1, room))]
}

// profileRow is one line of the Profiles panel: a monitored table's head,
// or one of its columns in the latest window profiled, with the latest
// drift of that column of each drift type, and every window of the
// recorded drift that was flagged (a time series flags the window that
// drifted, not always the latest), newest first.
type profileRow struct {
	entry *profileEntry
	col   *lakehouse.ColumnProfile
	drift []lakehouse.DriftMetric
	flags []lakehouse.DriftMetric
}

// flaggedDrift is a column's flagged drift rows, newest window first.
func flaggedDrift(ds []lakehouse.DriftMetric, column string) []lakehouse.DriftMetric {
	var out []lakehouse.DriftMetric
	for _, d := range ds {
		if d.Flagged && d.ColumnName == column {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].WindowStart.After(out[j].WindowStart) })
	return out
}

// flagged reports whether any recorded drift of the column passed a
// threshold, and which statistics did.
func (r profileRow) flagged() (bool, []string) {
	var by []string
	flag := false
	for _, d := range r.flags {
		if d.Flagged {
			flag = true
			for _, s := range d.FlaggedBy {
				if !slices.Contains(by, s) {
					by = append(by, s)
				}
			}
		}
	}
	return flag, by
}

// profileRows lists every monitored table and, under it, its columns.
func (e *engineer) profileRows() []profileRow {
	var out []profileRow
	for i := range e.profiles {
		pe := &e.profiles[i]
		out = append(out, profileRow{entry: pe})
		if pe.err != nil || pe.p == nil {
			continue
		}
		latest := latestProfiles(pe.p.Columns)
		drift := latestDrift(pe.p.Drift)
		for j := range latest {
			c := &latest[j]
			if c.ColumnName == ":table" {
				continue
			}
			out = append(out, profileRow{entry: pe, col: c, drift: drift[c.ColumnName], flags: flaggedDrift(pe.p.Drift, c.ColumnName)})
		}
	}
	return out
}

// latestProfiles keeps each column's profile of the latest window, in the
// order first seen, ':table' first.
func latestProfiles(cols []lakehouse.ColumnProfile) []lakehouse.ColumnProfile {
	var order []string
	best := map[string]lakehouse.ColumnProfile{}
	for _, c := range cols {
		b, ok := best[c.ColumnName]
		if !ok {
			order = append(order, c.ColumnName)
		}
		if !ok || c.WindowStart.After(b.WindowStart) {
			best[c.ColumnName] = c
		}
	}
	out := make([]lakehouse.ColumnProfile, 0, len(order))
	if c, ok := best[":table"]; ok {
		out = append(out, c)
	}
	for _, n := range order {
		if n != ":table" {
			out = append(out, best[n])
		}
	}
	return out
}

// latestDrift keeps each column's drift of the latest window of each drift
// type, by column.
func latestDrift(ds []lakehouse.DriftMetric) map[string][]lakehouse.DriftMetric {
	type key struct{ col, typ string }
	best := map[key]lakehouse.DriftMetric{}
	var order []key
	for _, d := range ds {
		k := key{d.ColumnName, d.DriftType}
		b, ok := best[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || d.WindowStart.After(b.WindowStart) {
			best[k] = d
		}
	}
	out := map[string][]lakehouse.DriftMetric{}
	for _, k := range order {
		out[k.col] = append(out[k.col], best[k])
	}
	return out
}

// tableRow is a monitored table's ':table' profile, if read.
func tableRow(p *Profile) *lakehouse.ColumnProfile {
	for _, c := range latestProfiles(p.Columns) {
		if c.ColumnName == ":table" {
			return &c
		}
	}
	return nil
}

// profilesLines draws the Profiles panel: per monitored table its columns
// (type, nulls, distinct values, mean) with drift flags, and the selected
// column's profile and drift in full below.
func (e *engineer) profilesLines(width, room int) []string {
	st := e.sh.styles
	if len(e.sh.snap.Monitored) == 0 {
		return []string{st.Muted.Render(cut("no monitored tables: set profile: true or drift: true under quality_monitors", width))}
	}
	if !e.profState.loaded {
		return []string{st.Muted.Render("reading the profiles…")}
	}
	rows := e.profileRows()
	if len(rows) == 0 {
		return []string{st.Muted.Render("reading the profiles…")}
	}
	cur := min(e.cursor[panelProfiles], len(rows)-1)
	detail := e.profileDetail(rows[cur], width)
	detail = detail[:min(len(detail), max(0, room/2-1))]
	list := max(1, room-1-len(detail))
	if len(detail) > 0 {
		list--
	}
	nameW, typeW := min(20, max(10, width/4)), 9
	numW := 8
	lines := []string{st.Header.Render(fit("  column", nameW+2)) + st.Header.Render(fit("type", typeW)) +
		st.Header.Render(right("null%", numW)) + st.Header.Render(right("dist%", numW)) + st.Header.Render(right("mean", numW+2)) +
		st.Header.Render(fit("  drift", max(0, width-nameW-2-typeW-3*numW-2)))}
	if !slices.ContainsFunc(rows, func(r profileRow) bool { return r.col != nil }) {
		lines, list = nil, list+1 // no column to head
	}
	start, end := window(len(rows), cur, list)
	for i := start; i < end; i++ {
		r := rows[i]
		mark := "  "
		if i == cur {
			mark = st.Selected.Render("▸ ")
		}
		if r.col == nil {
			lines = append(lines, cut(mark+e.profileHead(r.entry, width-2), width))
			continue
		}
		c := r.col
		name := fit(c.ColumnName, nameW-1) + " " // a long name never touches its type
		if i == cur {
			name = st.Selected.Render(name)
		}
		mean := "—"
		if c.Avg != nil {
			mean = fitNum(*c.Avg, numW+2)
		}
		line := mark + name + st.Muted.Render(fit(strings.ToLower(c.DataType), typeW)) + right(pct(c.PercentNull), numW) +
			right(pct(c.PercentDistinct), numW) + right(mean, numW+2) + "  "
		switch flag, by := r.flagged(); {
		case flag:
			when := ""
			if w := r.flags[0].WindowStart; !w.IsZero() {
				when = " · " + w.Format("01-02")
			}
			line += st.Warn.Render("⚑ drift " + strings.Join(shortStats(by), ",") + when)
		case len(r.drift) > 0:
			line += st.Good.Render("✓") + st.Muted.Render(" stable")
		default:
			line += st.Muted.Render("—")
		}
		lines = append(lines, cut(line, width))
	}
	if len(detail) > 0 {
		lines = append(lines, st.Muted.Render(strings.Repeat("─", width)))
		lines = append(lines, detail...)
	}
	return lines
}

// profileHead is a monitored table's line: its rows, profile type and when
// it was profiled, or why it could not be read.
func (e *engineer) profileHead(pe *profileEntry, width int) string {
	st := e.sh.styles
	name := st.layer(strings.Split(pe.table, ".")[0]).Render(pe.table)
	switch {
	case pe.err != nil:
		return name + " " + notAvailable(st, pe.err, width, 1)[0]
	case pe.p == nil || len(pe.p.Columns) == 0:
		return name + st.Muted.Render(" not profiled yet: run the job (r)")
	}
	flagged := 0
	for col := range latestDrift(pe.p.Drift) {
		if col != ":table" && len(flaggedDrift(pe.p.Drift, col)) > 0 {
			flagged++
		}
	}
	var parts []string
	if t := tableRow(pe.p); t != nil {
		parts = append(parts, thousands(t.Count)+" rows")
		parts = append(parts, t.ProfileType)
		if t.Granularity != "" {
			parts = append(parts, t.Granularity+" windows")
		}
		if !t.ComputedAt.IsZero() {
			parts = append(parts, ago(e.sh.now(), t.ComputedAt)+" ago")
		}
	}
	head := name + st.Muted.Render(" · "+strings.Join(parts, " · "))
	if flagged > 0 {
		head += st.Warn.Render(fmt.Sprintf(" · ⚑ %d drifted", flagged))
	}
	return head
}

// profileDetail is the selected column's profile and drift in full.
func (e *engineer) profileDetail(r profileRow, width int) []string {
	st := e.sh.styles
	if r.col == nil {
		return nil
	}
	c := r.col
	var prof []string
	add := func(k, v string) { prof = append(prof, k+" "+v) }
	add("count", thousands(c.Count))
	add("nulls", fmt.Sprintf("%s (%s)", thousands(c.NumNulls), pct(c.PercentNull)))
	add("distinct", thousands(c.DistinctCount))
	if c.Min != nil && c.Max != nil {
		add("range", *c.Min+" … "+*c.Max)
	}
	for _, x := range []struct {
		k string
		v *float64
	}{{"avg", c.Avg}, {"stddev", c.Stddev}, {"median", c.Median}, {"avg length", c.AvgLength}} {
		if x.v != nil {
			add(x.k, num(*x.v))
		}
	}
	if c.NumZeros != nil && *c.NumZeros > 0 {
		add("zeros", thousands(*c.NumZeros))
	}
	if len(c.FrequentItems) > 0 {
		var top []string
		for _, f := range c.FrequentItems[:min(3, len(c.FrequentItems))] {
			top = append(top, fmt.Sprintf("%s ×%s", f.Item, thousands(f.Count)))
		}
		add("top", strings.Join(top, ", "))
	}
	head := st.Subtitle.Render(c.ColumnName) + st.Muted.Render(" "+strings.ToLower(c.DataType))
	if !c.WindowStart.IsZero() {
		head += st.Muted.Render(" · window " + c.WindowStart.Format("01-02 15:04") + "–" + c.WindowEnd.Format("01-02 15:04"))
	}
	lines := []string{cut(head, width)}
	lines = append(lines, strings.Split(wrapText(strings.Join(prof, " · "), width), "\n")...)
	shown := slices.Clone(r.drift)
	for _, f := range r.flags[:min(2, len(r.flags))] {
		if !slices.ContainsFunc(shown, func(d lakehouse.DriftMetric) bool {
			return d.DriftType == f.DriftType && d.WindowStart.Equal(f.WindowStart)
		}) {
			shown = append(shown, f)
		}
	}
	for _, d := range shown {
		text := strings.ToLower(d.DriftType)
		if !d.WindowStart.IsZero() {
			text += " " + d.WindowStart.Format("01-02")
		}
		text += ": " + strings.Join(driftStats(d), " · ")
		style := st.Muted
		if d.Flagged {
			style = st.Warn
			text = "⚑ " + text
		}
		for _, l := range strings.Split(wrapText(text, width), "\n") {
			lines = append(lines, style.Render(l))
		}
	}
	if len(r.drift) == 0 {
		lines = append(lines, st.Muted.Render("no drift measured yet: it needs two windows or a baseline"))
	}
	return lines
}

// driftStats are a drift row's statistics as text.
func driftStats(d lakehouse.DriftMetric) []string {
	var out []string
	test := func(k string, t *lakehouse.TestResult) {
		if t != nil {
			out = append(out, fmt.Sprintf("%s %s (p %s)", k, num(t.Statistic), num(t.PValue)))
		}
	}
	val := func(k string, v *float64) {
		if v != nil {
			out = append(out, k+" "+num(*v))
		}
	}
	test("ks", d.KSTest)
	val("psi", d.PopulationStabilityIdx)
	val("wasserstein", d.WassersteinDistance)
	test("chi²", d.ChiSquaredTest)
	val("js", d.JSDistance)
	val("tv", d.TVDistance)
	val("l∞", d.LInfinityDistance)
	if d.AvgDelta != nil {
		out = append(out, "Δavg "+signed(*d.AvgDelta))
	}
	out = append(out, "Δcount "+signed(d.CountDelta), "Δnull% "+signed(d.PercentNullDelta))
	return out
}

// shortStats names drift statistics briefly: ks, psi, js, ...
func shortStats(by []string) []string {
	short := map[string]string{"ks_test": "ks", "population_stability_index": "psi", "wasserstein_distance": "wass",
		"chi_squared_test": "chi²", "js_distance": "js", "tv_distance": "tv", "l_infinity_distance": "l∞",
		"ks_pvalue": "ks", "chi_squared_pvalue": "chi²"}
	out := make([]string, 0, len(by))
	for _, s := range by {
		if v, ok := short[s]; ok {
			s = v
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// pct writes a share given in percent: 0.5%, 12%, 100%.
func pct(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v == 0 || v >= 10:
		return fmt.Sprintf("%.0f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

// num writes a statistic with four significant digits, grouped.
func num(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case v != 0 && math.Abs(v) < 0.001:
		return fmt.Sprintf("%.2g", v)
	case math.Abs(v) >= 10000:
		return thousands(int64(math.Round(v)))
	}
	return fmt.Sprintf("%.4g", v)
}

// fitNum is num(v) for a right-aligned column width cells wide, with a
// space before it: 44,015,858 where it fits, else 44.0M (never cut).
func fitNum(v float64, width int) string {
	if s := num(v); len(s) < width || math.Abs(v) < 1e6 {
		return s
	}
	if math.Abs(v) < 1e9 {
		return fmt.Sprintf("%.1fM", v/1e6)
	}
	return fmt.Sprintf("%.1fB", v/1e9)
}

// signed writes a delta with its sign.
func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

// sortHealth orders health results Unhealthy first, then by layer, table,
// check and metric.
func sortHealth(rs []lakehouse.HealthResult) []lakehouse.HealthResult {
	out := slices.Clone(rs)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ua, ub := a.Status == lakehouse.Unhealthy, b.Status == lakehouse.Unhealthy; ua != ub {
			return ua
		}
		if ra, rb := layerRank(a.Table), layerRank(b.Table); ra != rb {
			return ra < rb
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Check != b.Check {
			return a.Check > b.Check // freshness, then completeness
		}
		return healthLabel(a) < healthLabel(b)
	})
	return out
}

// healthLabel names what a result measured: its check and metric (an
// explicit objective of quality_monitors is starred).
func healthLabel(h lakehouse.HealthResult) string {
	switch h.Metric {
	case "commit_freshness":
		return "last commit"
	case "data_freshness":
		return "data age"
	case "daily_row_count":
		return "rows of the day"
	case "percent_null":
		if h.Column != "" {
			return "null% " + h.Column
		}
		return "null%"
	case "objective_freshness":
		return "freshness*"
	case "objective_completeness":
		return "non-null*"
	}
	if h.Source == "objective" {
		return h.Check + "*"
	}
	return h.Check
}

// healthStyle colours a status: Healthy green, Unhealthy red, Unknown
// muted; each with its own glyph, for terminals without color.
func healthStyle(st Styles, status string) string {
	switch status {
	case lakehouse.Healthy:
		return st.Good.Render("✓ " + status)
	case lakehouse.Unhealthy:
		return st.Bad.Render("✗ " + status)
	}
	return st.Muted.Render("? " + status)
}

// healthValue writes a result's value in its metric's unit: a time since
// the last commit, days since the last data, rows, or a share.
func healthValue(h lakehouse.HealthResult, v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch h.Metric {
	case "data_freshness":
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + "d"
	case "percent_null":
		return pct(v)
	case "objective_completeness":
		return pct(100 * v)
	case "daily_row_count":
		return thousands(int64(math.Round(v)))
	}
	if h.Check == "freshness" {
		return duration(time.Duration(v * float64(time.Second)))
	}
	return thousands(int64(math.Round(v)))
}

// healthLines draws the Health panel: each table's freshness and
// completeness, observed against the predicted range, and the selected
// result's message and downstream impact below.
func (e *engineer) healthLines(width, room int) []string {
	st := e.sh.styles
	switch {
	case !e.healthState.loaded:
		return []string{st.Muted.Render("reading the table health…")}
	case e.healthState.err != nil:
		return notAvailable(st, e.healthState.err, width, room)
	case len(e.health) == 0:
		return []string{st.Muted.Render("no health results yet: run the job (r); each run learns from the tables' history")}
	}
	cur := min(e.cursor[panelHealth], len(e.health)-1)
	detail := e.healthDetail(e.health[cur], width)
	detail = detail[:min(len(detail), max(0, room/2-1))]
	list := max(1, room-2-len(detail))
	tw, cw := min(28, max(20, width-58)), 19
	lines := []string{st.Header.Render(fit("  table", tw+2)) + st.Header.Render(fit("check", cw)) + st.Header.Render(fit("status", 12)) +
		st.Header.Render(right("observed", 9)) + st.Header.Render(fit("  [day] predicted", max(0, width-tw-2-cw-12-9)))}
	start, end := window(len(e.health), cur, list)
	for i := start; i < end; i++ {
		h := e.health[i]
		mark := "  "
		name := fit(h.Table, tw-1) + " "
		if i == cur {
			mark, name = st.Selected.Render("▸ "), st.Selected.Render(name)
		}
		pred := "—"
		if h.Status != lakehouse.Unknown || h.PredictedMax > 0 {
			pred = healthValue(h, h.PredictedMin) + "–" + healthValue(h, h.PredictedMax)
		}
		obs := healthValue(h, h.Observed)
		if h.Status == lakehouse.Unknown && h.Observed == 0 {
			obs = "—"
		}
		// The day judged, for data checks (a past incident shows its own).
		if !h.WindowStart.IsZero() && h.Metric != "commit_freshness" {
			pred = h.WindowStart.Format("01-02") + " " + pred
		}
		lines = append(lines, cut(mark+name+fit(healthLabel(h), cw-1)+" "+fit(healthStyle(st, h.Status), 12)+right(obs, 9)+"  "+st.Muted.Render(pred), width))
	}
	unhealthy := 0
	for _, h := range e.health {
		if h.Status == lakehouse.Unhealthy {
			unhealthy++
		}
	}
	sum := fmt.Sprintf("%d unhealthy of %s · * an objective of quality_monitors, the rest learned", unhealthy, plural(len(e.health), "check"))
	lines = append(lines, st.Muted.Render(cut(sum, width)))
	if len(detail) > 0 {
		lines = append(lines, detail...)
	}
	return lines
}

// healthDetail is the selected result's message, window and downstream
// impact.
func (e *engineer) healthDetail(h lakehouse.HealthResult, width int) []string {
	st := e.sh.styles
	var lines []string
	head := st.Subtitle.Render(h.Table+" "+h.Check) + st.Muted.Render(" ("+h.Source+" "+healthLabel(h)+")") + " " + healthStyle(st, h.Status)
	if h.ErrorCode != "" {
		head += st.Muted.Render(" (" + h.ErrorCode + ")")
	}
	if !h.WindowStart.IsZero() && h.Metric != "commit_freshness" {
		head += st.Muted.Render(" · day " + h.WindowStart.Format("2006-01-02"))
	}
	if !h.EvaluatedAt.IsZero() {
		head += st.Muted.Render(" · " + ago(e.sh.now(), h.EvaluatedAt) + " ago")
	}
	lines = append(lines, cut(head, width))
	if h.Message != "" {
		lines = append(lines, strings.Split(wrapText(h.Message, width), "\n")...)
	}
	impact := "downstream impact: none"
	if len(h.DownstreamImpact) > 0 {
		impact = "downstream impact: " + strings.Join(h.DownstreamImpact, ", ")
	}
	style := st.Muted
	if h.Status == lakehouse.Unhealthy && len(h.DownstreamImpact) > 0 {
		style = st.Warn
	}
	for _, l := range strings.Split(wrapText(impact, width), "\n") {
		lines = append(lines, style.Render(l))
	}
	return lines
}

// panelStrip names a view's panels on one line, the selected one marked;
// when they do not all fit, the strip starts late enough to show it (‹
// says some are left of it).
func panelStrip(st Styles, names []string, sel, width int, sep string) string {
	first := 0
	for {
		var tabs []string
		if first > 0 {
			tabs = append(tabs, st.Muted.Render("‹"))
		}
		for i := first; i < len(names); i++ {
			if i == sel {
				tabs = append(tabs, st.Selected.Render("▸"+names[i]))
			} else {
				tabs = append(tabs, st.Muted.Render(" "+names[i]))
			}
		}
		line := strings.Join(tabs, sep)
		// The selected tab must end inside the line.
		end := 0
		for i := first; i <= sel; i++ {
			end += len([]rune(names[i])) + 1 + len(sep)
		}
		if first > 0 {
			end += 1 + len(sep)
		}
		if end <= width || first >= sel {
			return cut(line, width)
		}
		first++
	}
}
