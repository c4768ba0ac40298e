package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// lineWith is the first line of out holding text, "" if none.
func lineWith(out, text string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// ownerWorkspace is the sample's workspace as its owner (who deployed it,
// the target's identity), who may read sys: the audit, usage and health.
func ownerWorkspace(t *testing.T) *Workspace {
	t.Helper()
	ws := newWorkspace(t, WorkspaceOptions{Dir: testDir})
	if _, err := ws.Prepare(context.Background(), func(string) {}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// TestAuditTrailFilters reads the sample's real audit trail: newest first,
// and each filter keeps only its events.
func TestAuditTrailFilters(t *testing.T) {
	ctx := context.Background()
	if _, err := testWS.AuditTrail(ctx, testInfo.Target, AuditQuery{}); !errors.As(err, new(*lakehouse.AccessError)) {
		t.Fatalf("ben read the audit: %v, want refused (no grant on sys)", err)
	}
	ws := ownerWorkspace(t)
	all, err := ws.AuditTrail(ctx, testInfo.Target, AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 5 {
		t.Fatalf("%d audit events on the sample, want its run's and reads'", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq != 0 && all[i-1].Seq != 0 && all[i].Seq > all[i-1].Seq {
			t.Fatalf("event %d (seq %d) after event %d (seq %d): want newest first", i, all[i].Seq, i-1, all[i-1].Seq)
		}
	}
	actions := map[string]int{}
	for _, e := range all {
		actions[e.Action]++
	}
	if actions["SELECT"] == 0 || len(actions) < 2 {
		t.Fatalf("actions %v: want SELECT and others", actions)
	}
	tests := []struct {
		name string
		q    AuditQuery
		ok   func(lakehouse.AuditEvent) bool
	}{
		{"action", AuditQuery{Action: "select"}, func(e lakehouse.AuditEvent) bool { return e.Action == "SELECT" }},
		{"table", AuditQuery{Table: "runs"}, func(e lakehouse.AuditEvent) bool {
			return strings.Contains(strings.Join(e.Tables, ","), "runs")
		}},
		{"principal", AuditQuery{Principal: all[0].Principal}, func(e lakehouse.AuditEvent) bool { return e.Principal == all[0].Principal }},
		{"limit", AuditQuery{Limit: 3}, func(lakehouse.AuditEvent) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ws.AuditTrail(ctx, testInfo.Target, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				t.Fatalf("no events for %+v", tt.q)
			}
			for _, e := range got {
				if !tt.ok(e) {
					t.Errorf("%+v kept %s %s %v", tt.q, e.Principal, e.Action, e.Tables)
				}
			}
			if tt.q.Limit > 0 && len(got) != tt.q.Limit {
				t.Errorf("%d events, want the limit %d", len(got), tt.q.Limit)
			}
		})
	}
	if got := ParseAuditFilter("principal:ben a:SELECT orders"); got != (AuditQuery{Principal: "ben", Action: "SELECT", Table: "orders"}) {
		t.Errorf("ParseAuditFilter: %+v", got)
	}
}

// TestAuditPanelFilter types a filter into the Audit panel: the trail is
// read again and shows only that action's events.
func TestAuditPanelFilter(t *testing.T) {
	m := newModelOn(t, ownerWorkspace(t), 120, 40)
	_, cmd := m.Update(keyMsg("left")) // Architecture wraps to Audit
	pump(t, m, cmd)
	a := m.views[architectView].(*architect)
	if a.panel != panelAudit || !a.obs.auditState.loaded || a.obs.auditState.err != nil {
		t.Fatalf("audit panel %d, state %+v", a.panel, a.obs.auditState)
	}
	before := map[string]bool{}
	for _, e := range a.obs.audit {
		before[e.Action] = true
	}
	if !before["CATALOG"] || len(before) < 2 {
		t.Fatalf("actions before the filter: %v, want CATALOG among others", before)
	}
	m.Update(keyMsg("/"))
	if !a.Capturing() {
		t.Fatal("/ did not open the filter")
	}
	typeText(m, "action:CATALOG") // q would quit, were it not typed into the filter
	if v := m.View(); !strings.Contains(v, "filter: action:CATALOG") {
		t.Fatalf("the typed filter is not on screen:\n%s", v)
	}
	_, cmd = m.Update(keyMsg("enter"))
	pump(t, m, cmd)
	if a.Capturing() || a.obs.auditQuery.Action != "CATALOG" {
		t.Fatalf("after enter: capturing %v, query %+v", a.Capturing(), a.obs.auditQuery)
	}
	if len(a.obs.audit) == 0 {
		t.Fatal("no CATALOG events after the filter")
	}
	for _, e := range a.obs.audit {
		if e.Action != "CATALOG" {
			t.Errorf("filtered trail shows %s", e.Action)
		}
	}
	v := m.View()
	if !strings.Contains(v, "filter: action:CATALOG") || strings.Contains(v, " SELECT ") {
		t.Errorf("the filtered panel:\n%s", v)
	}
}

// TestObservePanelsNotAvailable: a panel whose data cannot be read says
// so in its place, and the view keeps its size.
func TestObservePanelsNotAvailable(t *testing.T) {
	boom := errors.New("lakehouse: sys.table_results: no such table")
	for _, tc := range []struct {
		view  string
		setup func(m *Model)
	}{
		{"health", func(m *Model) {
			m.Update(keyMsg("2"))
			e := m.views[engineerView].(*engineer)
			e.panel = panelHealth
			m.Update(healthMsg{target: testInfo.Target, err: boom})
		}},
		{"profiles", func(m *Model) {
			m.Update(keyMsg("2"))
			e := m.views[engineerView].(*engineer)
			e.panel = panelProfiles
			m.Update(profilesMsg{target: testInfo.Target, profiles: []profileEntry{{table: "gold.daily_revenue", err: boom}}})
		}},
		{"sla", func(m *Model) {
			m.views[architectView].(*architect).panel = panelSLA
			m.Update(slaMsg{target: testInfo.Target, err: boom})
		}},
		{"cost", func(m *Model) {
			m.views[architectView].(*architect).panel = panelCost
			m.Update(costMsg{target: testInfo.Target, err: boom})
		}},
		{"audit", func(m *Model) {
			m.views[architectView].(*architect).panel = panelAudit
			m.Update(auditMsg{target: testInfo.Target, query: AuditQuery{Limit: auditLimit}, err: boom})
		}},
	} {
		t.Run(tc.view, func(t *testing.T) {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				m := newTestModel(t, size[0], size[1])
				tc.setup(m)
				v := m.View()
				if !strings.Contains(v, "not available: sys.table_results: no such table") {
					t.Errorf("%dx%d: no 'not available' line:\n%s", size[0], size[1], v)
				}
				if n := strings.Count(v, "\n") + 1; n != size[1] {
					t.Errorf("%dx%d: %d lines", size[0], size[1], n)
				}
			}
		})
	}
}

// TestSLAPanelMarks draws a report with a met, a missed and an unknown
// objective: each marked as such.
func TestSLAPanelMarks(t *testing.T) {
	m := newTestModel(t, 80, 24)
	a := m.views[architectView].(*architect)
	a.panel = panelSLA
	m.Update(slaMsg{target: testInfo.Target, report: &pipeline.SLAReport{Target: testInfo.Target, Objectives: []pipeline.Objective{
		{Name: "availability", Target: "99%", Observed: "100%", Met: true, Known: true, Detail: "1 of 1 runs in 7d"},
		{Name: "freshness:gold.daily_revenue", Target: "1h", Observed: "3h", Known: true},
		{Name: "rpo", Target: "24h", Known: false, Detail: "no backup yet"},
	}}})
	v := m.View()
	for name, want := range map[string]string{"availability": "✓ met", "freshness:gold": "✗ missed", "rpo": "? unknown"} {
		if l := lineWith(v, name); !strings.Contains(l, want) {
			t.Errorf("%s: %q, want %q", name, l, want)
		}
	}
	if !strings.Contains(v, "1 objective missed") {
		t.Errorf("no count of missed objectives:\n%s", v)
	}
}

// TestProfilesPanelFlags draws a profile whose price drifted: the column
// is flagged with its statistics, a stable one is not, and the selected
// column's drift is shown in full.
func TestProfilesPanelFlags(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	s := func(v string) *string { return &v }
	prof := &Profile{Table: "gold.daily_revenue", Columns: []lakehouse.ColumnProfile{
		{ColumnName: ":table", Count: 2113, ProfileType: "snapshot"},
		{ColumnName: "revenue", DataType: "DOUBLE", Count: 2113, PercentDistinct: 98, Avg: f(412.5), Min: s("3.1"), Max: s("9,120")},
		{ColumnName: "region", DataType: "VARCHAR", Count: 2113, PercentNull: 0.5, PercentDistinct: 0.2},
	}, Drift: []lakehouse.DriftMetric{
		{ColumnName: "revenue", DriftType: "CONSECUTIVE", KSTest: &lakehouse.TestResult{Statistic: 0.42, PValue: 0.0001},
			PopulationStabilityIdx: f(0.31), Flagged: true, FlaggedBy: []string{"ks_test", "population_stability_index"}},
		{ColumnName: "region", DriftType: "CONSECUTIVE", JSDistance: f(0.01)},
	}}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := newTestModel(t, size[0], size[1])
		m.Update(keyMsg("2"))
		e := m.views[engineerView].(*engineer)
		e.panel = panelProfiles
		m.Update(profilesMsg{target: testInfo.Target, profiles: []profileEntry{{table: "gold.daily_revenue", p: prof}}})
		m.Update(keyMsg("down")) // the revenue column
		v := m.View()
		if l := lineWith(v, "▸ revenue"); !strings.Contains(l, "⚑ drift ks,psi") {
			t.Errorf("%dx%d revenue: %q, want flagged by ks and psi\n%s", size[0], size[1], l, v)
		}
		if l := lineWith(v, "  region"); !strings.Contains(l, "✓ stable") {
			t.Errorf("%dx%d region: %q, want stable", size[0], size[1], l)
		}
		if !strings.Contains(v, "⚑ 1 drifted") || !strings.Contains(v, "ks 0.42 (p 0.0001)") {
			t.Errorf("%dx%d: no drift count or detail:\n%s", size[0], size[1], v)
		}
		if n := strings.Count(v, "\n") + 1; n != size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], n)
		}
	}
}

// TestProfilesPanelWideValues: a long column name and a mean of eight
// digits (vega's movies: rotten_tomatoes_rating, us_gross) keep a space
// from the next column, and the mean is never cut.
func TestProfilesPanelWideValues(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	prof := &Profile{Table: "silver.movies", Columns: []lakehouse.ColumnProfile{
		{ColumnName: ":table", Count: 3200, ProfileType: "snapshot"},
		{ColumnName: "us_gross", DataType: "BIGINT", Count: 3200, PercentNull: 0.2, PercentDistinct: 92, Avg: f(44015858.3)},
		{ColumnName: "rotten_tomatoes_rating", DataType: "BIGINT", Count: 3200, PercentNull: 28, PercentDistinct: 4.3, Avg: f(54.34)},
	}}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := newTestModel(t, size[0], size[1])
		m.Update(keyMsg("2"))
		e := m.views[engineerView].(*engineer)
		e.panel = panelProfiles
		m.Update(profilesMsg{target: testInfo.Target, profiles: []profileEntry{{table: "silver.movies", p: prof}}})
		v := m.View()
		if l := lineWith(v, "us_gross"); !strings.Contains(l, "92% ") || !strings.Contains(l, " 44") || strings.Contains(l, "44,015,8 ") {
			t.Errorf("%dx%d us_gross: %q, want the distinct share and the whole mean apart", size[0], size[1], l)
		}
		if l := lineWith(v, "rotten_tomatoes"); !strings.Contains(l, "… bigint") {
			t.Errorf("%dx%d: %q, want the cut name apart from its type", size[0], size[1], l)
		}
	}
}

// TestHealthPanelStatuses draws each status, and the selected unhealthy
// check's downstream impact.
func TestHealthPanelStatuses(t *testing.T) {
	m := newTestModel(t, 80, 24)
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	e.panel = panelHealth
	m.Update(healthMsg{target: testInfo.Target, results: []lakehouse.HealthResult{
		{Table: "silver.orders", Check: "completeness", Metric: "daily_row_count", Status: lakehouse.Unhealthy, Source: "learned", Observed: 12, PredictedMin: 120, PredictedMax: 160,
			Message: "12 rows on 2026-03-01, expected 120–160", DownstreamImpact: []string{"gold.daily_revenue", "churn"}},
		{Table: "bronze.orders", Check: "freshness", Metric: "commit_freshness", Status: lakehouse.Healthy, Source: "learned", Observed: 3600, PredictedMin: 0, PredictedMax: 90000},
		{Table: "gold.daily_revenue", Check: "freshness", Status: lakehouse.Unknown, ErrorCode: "NOT_ENOUGH_TABLE_HISTORY", Source: "learned"},
	}})
	// Unhealthy first, then by layer: silver.orders is selected.
	v := m.View()
	for table, want := range map[string]string{"bronze.orders": "✓ Healthy", "silver.orders": "✗ Unhealthy", "gold.daily_revenue": "? Unknown"} {
		if l := lineWith(v, table+" "); !strings.Contains(l, want) {
			t.Errorf("%s: %q, want %s", table, l, want)
		}
	}
	if l := lineWith(v, "▸ silver.orders"); !strings.Contains(l, "120–160") || !strings.Contains(l, "12") {
		t.Errorf("selected: %q, want observed 12 against 120–160", l)
	}
	if !strings.Contains(v, "downstream impact: gold.daily_revenue, churn") || !strings.Contains(v, "1 unhealthy of 3 checks") {
		t.Errorf("no impact or summary:\n%s", v)
	}
}

// TestObserveSampleRun opens every observability panel on the sample's
// real run, as its owner: the quality drill-in shows a row's _errors, the
// profiles flag the planted price drift and not the stable columns, the
// health results and the costs of the run show, and the SLA panel marks a
// freshness objective the data misses (freshness set to 1ns).
func TestObserveSampleRun(t *testing.T) {
	ws := newWorkspace(t, WorkspaceOptions{Dir: testDir, Vars: map[string]string{"freshness": "1ns"}})
	if _, err := ws.Prepare(context.Background(), func(string) {}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	snap, err := ws.Load(context.Background(), testInfo.Target)
	if err != nil {
		t.Fatal(err)
	}
	m := newModelOn(t, ws, 120, 40)
	_, cmd := m.Update(loadedMsg{target: testInfo.Target, snap: snap})
	pump(t, m, cmd)

	t.Run("quality drill-in", func(t *testing.T) {
		m.Update(keyMsg("2"))
		e := m.views[engineerView].(*engineer)
		e.panel = panelQuality
		at := slices.IndexFunc(e.qualityItems(), func(it qualityItem) bool { return it.function != "" && it.failed > 0 && it.crit == "error" })
		if at < 0 {
			t.Fatalf("no failed error check among %+v", e.qualityItems())
		}
		it := e.qualityItems()[at]
		e.cursor[panelQuality] = at
		_, cmd := m.Update(keyMsg("enter"))
		pump(t, m, cmd)
		if e.drill == nil || len(e.drill.Rows) == 0 {
			t.Fatalf("drill-in of %s: %+v", it.rule, e.drill)
		}
		if !failedCheck(e.drill.Rows[0], it.rule) {
			t.Errorf("first row's _errors %+v do not name %s", e.drill.Rows[0].Errors, it.rule)
		}
		v := m.View()
		if !strings.Contains(v, "_errors · run ") || !strings.Contains(v, "✗ "+it.rule+": ") || !strings.Contains(v, "check "+it.rule) {
			t.Errorf("drill-in without the row's _errors:\n%s", v)
		}
		m.Update(keyMsg("esc"))
	})

	t.Run("profiles", func(t *testing.T) {
		e := m.views[engineerView].(*engineer)
		e.panel = panelQuality
		for range panelProfiles - panelQuality {
			_, cmd := m.Update(keyMsg("right"))
			pump(t, m, cmd)
		}
		if e.panel != panelProfiles || !e.profState.loaded {
			t.Fatalf("panel %d, state %+v", e.panel, e.profState)
		}
		var flagged, stable []string
		for _, r := range e.profileRows() {
			if r.entry.err != nil {
				t.Fatalf("%s: %v", r.entry.table, r.entry.err)
			}
			if r.col == nil {
				continue
			}
			if f, _ := r.flagged(); f {
				flagged = append(flagged, r.entry.table+"."+r.col.ColumnName)
			} else if len(r.drift) > 0 {
				stable = append(stable, r.entry.table+"."+r.col.ColumnName)
			}
		}
		if !slices.Contains(flagged, "gold.order_item_prices.price_index") || len(stable) == 0 {
			t.Errorf("flagged %v, stable %v: want the price drift flagged and stable columns", flagged, stable)
		}
		if v := m.View(); !strings.Contains(lineWith(v, "price_index"), "⚑ drift") {
			t.Errorf("price_index not flagged on screen:\n%s", v)
		}
	})

	t.Run("health", func(t *testing.T) {
		e := m.views[engineerView].(*engineer)
		_, cmd := m.Update(keyMsg("right"))
		pump(t, m, cmd)
		if e.panel != panelHealth || e.healthState.err != nil || len(e.health) == 0 {
			t.Fatalf("panel %d, state %+v, %d results", e.panel, e.healthState, len(e.health))
		}
		v := m.View()
		if !strings.Contains(v, "✓ Healthy") || !strings.Contains(v, "downstream impact: ") {
			t.Errorf("health panel:\n%s", v)
		}
		// The planted missing day (sample day 24, 2026-01-28) stays found:
		// a past Unhealthy day of bronze.orders, listed first with its day.
		var missing bool
		for _, h := range e.health {
			if h.Table == "bronze.orders" && h.Status == lakehouse.Unhealthy && h.WindowStart.Format("2006-01-02") == "2026-01-28" {
				missing = true
			}
		}
		if !missing || !strings.Contains(v, "✗ Unhealthy") || !strings.Contains(v, "01-28") {
			t.Errorf("the sample's missing day is not among the health results (%d) or not on screen:\n%s", len(e.health), v)
		}
	})

	t.Run("cost", func(t *testing.T) {
		m.Update(keyMsg("1"))
		a := m.views[architectView].(*architect)
		a.panel = panelSLA
		_, cmd := m.Update(keyMsg("right"))
		pump(t, m, cmd)
		if a.panel != panelCost || a.obs.costState.err != nil {
			t.Fatalf("panel %d, state %+v", a.panel, a.obs.costState)
		}
		jobs := map[string]bool{}
		for _, u := range a.obs.cost["job"] {
			jobs[u.Key] = u.Quantity > 0
		}
		if !jobs["nightly"] {
			t.Errorf("usage by job %+v: want the sample's nightly run", a.obs.cost["job"])
		}
		if v := m.View(); !strings.Contains(v, "by principal") || !strings.Contains(lineWith(v, "nightly"), "█") {
			t.Errorf("cost panel:\n%s", v)
		}
	})

	t.Run("sla", func(t *testing.T) {
		a := m.views[architectView].(*architect)
		_, cmd := m.Update(keyMsg("left"))
		pump(t, m, cmd)
		if a.panel != panelSLA || a.obs.slaState.err != nil || a.obs.sla == nil {
			t.Fatalf("panel %d, state %+v", a.panel, a.obs.slaState)
		}
		v := m.View()
		if l := lineWith(v, "freshness:gold.daily_revenue"); !strings.Contains(l, "✗ missed") {
			t.Errorf("freshness objective of 1ns: %q, want missed\n%s", l, v)
		}
		if l := lineWith(v, "availability"); !strings.Contains(l, "✓ met") {
			t.Errorf("availability: %q, want met", l)
		}
		if l := lineWith(v, "rpo"); !strings.Contains(l, "? unknown") {
			t.Errorf("rpo before any backup: %q, want unknown", l)
		}
	})
}
