package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// deploySample deploys the project in dir to its default target as ben,
// its owner.
func deploySample(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath(p.Target), lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil { // as the owner, who deployed the copied sample
		t.Fatal(err)
	}
}

// sampleCounts counts every table of the sample in dir (lakehouse.Tables).
func sampleCounts(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath(p.Target), lakehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	tables, err := lh.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, ti := range tables {
		out[ti.Name] = ti.Rows
	}
	return out
}

// openLoaded is a root model over ws with its first load done, calling the
// backend directly (no timing involved).
func openLoaded(t *testing.T, ws *Workspace, w, h int) *Model {
	t.Helper()
	info, err := ws.Prepare(context.Background(), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ws.Load(context.Background(), info.Target)
	if err != nil {
		t.Fatal(err)
	}
	m := New(ws, Options{Now: time.Now})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(prepareDoneMsg{info: info})
	m.Update(loadedMsg{target: info.Target, snap: snap})
	if m.sh.snap != snap {
		t.Fatal("the model did not take the snapshot")
	}
	return m
}

// TestTUIReadsAsThePrincipal: `lakebench --as dana` on a deployed target
// shows her only what her grants allow. The Engineer view's quarantine
// drill-in showed her bronze.customers_quarantine rows (names, emails) and
// the Catalog every table's columns and row counts, none of it audited.
func TestTUIReadsAsThePrincipal(t *testing.T) {
	ctx := context.Background()
	dir := copySample(t, nil)
	deploySample(t, dir)

	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "dana"})
	m := openLoaded(t, ws, 120, 40)
	s := m.sh.snap
	// The catalog: gold and ml, granted to analysts; nothing else.
	var names []string
	for _, ti := range s.Tables {
		names = append(names, ti.Name)
		if ti.Schema != "gold" && ti.Schema != "ml" {
			t.Errorf("dana's catalog lists %s", ti.Name)
		}
	}
	if len(names) == 0 {
		t.Fatal("dana's catalog is empty: gold and ml are granted to her")
	}
	// Rows, read from the catalog alone, are the counts lakebench kept
	// when it built each table: exact, unmarked (the ML registry's tables,
	// which no model builds, may show DuckDB's estimate, marked).
	counts := sampleCounts(t, dir)
	for _, ti := range s.Tables {
		if (ti.Estimated && ti.Schema == "gold") || (!ti.Estimated && ti.Rows != counts[ti.Name]) {
			t.Errorf("%s: %d rows, estimated %v; want the kept count %d", ti.Name, ti.Rows, ti.Estimated, counts[ti.Name])
		}
	}
	// Sizes come after the first frame, hers only.
	sizes, err := ws.Sizes(ctx, s.Target)
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) == 0 {
		t.Error("dana sees no table sizes: gold and ml are granted to her")
	}
	for name := range sizes {
		if !strings.HasPrefix(name, "gold.") && !strings.HasPrefix(name, "ml.") {
			t.Errorf("dana sees the size of %s", name)
		}
	}
	// Run history and quality results live in sys, not granted to her: the
	// Engineer view says so where they would be.
	if len(s.Runs) != 0 || len(s.Quality) != 0 || !strings.Contains(s.Refused[RefusedRuns], "dana may not read sys.runs") {
		t.Errorf("runs %d, quality %d, refused %v", len(s.Runs), len(s.Quality), s.Refused)
	}
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	e.panel = panelRuns
	if view := m.View(); !strings.Contains(view, "dana may not read sys.runs") {
		t.Errorf("the Runs panel does not show the refusal:\n%s", view)
	}
	// The drill-in itself is refused, whatever the view offers.
	_, err = ws.Quarantined(ctx, s.Target, "bronze.customers", 10)
	var ae *lakehouse.AccessError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "dana may not read bronze.customers_quarantine") {
		t.Fatalf("dana's quarantine drill-in: %v, want refused", err)
	}

	// With SELECT on sys she sees the quality results, bronze's included;
	// drilling into bronze.customers' quarantine is refused in the view.
	grantSys := func(yml string) string {
		return strings.Replace(yml, "\n  schemas:\n", "\n  schemas:\n    sys: {grants: [{principal: analysts, privileges: [SELECT]}]}\n", 1)
	}
	dir = copySample(t, grantSys)
	deploySample(t, dir)
	ws = newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "dana"})
	m = openLoaded(t, ws, 120, 40)
	m.Update(keyMsg("2"))
	e = m.views[engineerView].(*engineer)
	e.panel = panelQuality
	found := false
	for i, it := range e.qualityItems() {
		if it.table == "bronze.customers" {
			e.cursor[panelQuality], found = i, true
			break
		}
	}
	if !found {
		t.Fatalf("no bronze.customers quality item for dana with SELECT on sys: %+v", e.qualityItems())
	}
	cmd := e.enter() // what enter runs: the drill-in's backend call
	if cmd == nil {
		t.Fatal("enter on a quality item starts no drill-in")
	}
	_, show := m.Update(cmd())
	if show == nil {
		t.Fatal("the refused drill-in shows nothing")
	}
	m.Update(show()) // the flash
	if e.drill != nil || !m.flash.err || !strings.Contains(m.flash.text, "dana may not read bronze.customers_quarantine") {
		t.Errorf("drill-in: %+v, flash %q; want the refusal", e.drill, m.flash.text)
	}

	// Every read is in sys.audit (read-only sessions' events are imported
	// by the next writer): the catalog listing and the refused drill-in.
	ws.idle() // its last read closes in the background
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath(p.Target), lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	res, err := lh.Query(ctx, `SELECT action, allowed, tables::VARCHAR FROM sys.audit WHERE principal = 'dana'`)
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	for _, r := range res.Rows {
		audit = append(audit, strings.Join([]string{r[0].(string), map[bool]string{true: "allowed", false: "refused"}[r[1].(bool)], r[2].(string)}, " "))
	}
	got := strings.Join(audit, "\n")
	for _, want := range []string{"CATALOG allowed [gold.", "SELECT allowed [sys.quality_results]", "SELECT refused [bronze.customers_quarantine]"} {
		if !strings.Contains(got, want) {
			t.Errorf("sys.audit lacks %q:\n%s", want, got)
		}
	}
}

// TestTUIRefusedPanelsSayWhy: `lakebench --as dana` on a deployed target
// showed "272 files (272 new)" in the Engineer view's Layers panel (every
// file loaded long ago; she may not read sys.ingested_files, so none
// counted as loaded) and "0% 0 of 0 runs succeeded" and "no table written
// yet" in the SLA panel (she may not read sys.runs). A panel whose source
// is refused says so instead of showing a false figure.
func TestTUIRefusedPanelsSayWhy(t *testing.T) {
	dir := copySample(t, nil)
	deploySample(t, dir)
	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "dana"})
	m := openLoaded(t, ws, 120, 40)
	if m.sh.snap.Refused[RefusedIngested] == "" || m.sh.snap.Refused[RefusedRuns] == "" {
		t.Fatalf("dana is not refused sys.ingested_files and sys.runs: %v", m.sh.snap.Refused)
	}
	m.Update(keyMsg("2"))
	m.views[engineerView].(*engineer).panel = panelLayers
	view := m.View()
	if strings.Contains(view, " new)") {
		t.Errorf("the Layers panel counts new files dana cannot know of:\n%s", view)
	}
	if !strings.Contains(view, "dana may not read sys.ingested_files") {
		t.Errorf("the Layers panel does not say why the sources are missing:\n%s", view)
	}
	m.Update(keyMsg("1"))
	m.views[architectView].(*architect).panel = panelSLA
	view = m.View()
	for _, bad := range []string{"0 of 0 runs", "no table written yet"} {
		if strings.Contains(view, bad) {
			t.Errorf("the SLA panel shows %q to dana, who may not read its sources:\n%s", bad, view)
		}
	}
	if !strings.Contains(view, "dana may not read sys.runs") {
		t.Errorf("the SLA panel does not say why the job success is missing:\n%s", view)
	}
}
