package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
)

// testsPanel opens the Engineer's Tests panel by keys over a workspace of
// dir, as a user reaches it.
func testsPanel(t *testing.T, dir string, w, h int) *Model {
	t.Helper()
	ws := newWorkspace(t, WorkspaceOptions{Dir: dir})
	t.Cleanup(func() { ws.Close() })
	m := newModelOn(t, ws, w, h)
	m.Update(keyMsg("2"))
	for range panelTests {
		_, cmd := m.Update(keyMsg("right"))
		pump(t, m, cmd)
	}
	if e := m.views[engineerView].(*engineer); e.panel != panelTests {
		t.Fatalf("panel %d, want Tests", e.panel)
	}
	return m
}

// TestTestsPanel runs the sample's unit tests with a broken model, keeps
// the report as `lakebench test` does, and shows it: the failure first and
// selected, with its place and its rows' diff; ↓ selects the next test.
func TestTestsPanel(t *testing.T) {
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "sql", "gold", "daily_revenue.sql")
	sql, _ := os.ReadFile(model)
	if err := os.WriteFile(model, []byte(strings.Replace(string(sql), "WHERE o.status = 'completed'", "WHERE o.status <> 'x'", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.RunUnitTests(context.Background(), pipeline.TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep := &pipeline.TestReport{Project: p.Bundle.Name, Target: "dev", Started: t0.Add(-90e9)}
	rep.Add(res...)
	rep.Add(pipeline.TestResult{Name: "orders_loaded", Kind: pipeline.TestKindData, Subject: "silver.orders", Status: pipeline.TestFail,
		Message: "refused: dana may not read silver.orders"})
	if err := p.SaveTestReport(rep); err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := testsPanel(t, dir, size[0], size[1])
		v := m.View()
		if n := strings.Count(v, "\n") + 1; n != size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], n)
		}
		for _, want := range []string{"4 passed, 2 failed", "▸ daily_revenue_nets_completed_orders", "tests/gold.yml:3",
			"- 2024-03-01  home      north   1       2      18", "+ 2024-03-01  home      north   2       7      68"} {
			if !strings.Contains(v, want) {
				t.Errorf("%dx%d: no %q:\n%s", size[0], size[1], want, v)
			}
		}
		if l := lineWith(v, "customer_features_label"); !strings.Contains(l, "✓ pass") {
			t.Errorf("%dx%d: %q", size[0], size[1], l)
		}
		m.Update(keyMsg("down"))
		v = m.View()
		if !strings.Contains(v, "▸ orders_loaded") || !strings.Contains(v, "refused: dana may not read silver.orders") {
			t.Errorf("%dx%d after ↓:\n%s", size[0], size[1], v)
		}
	}
}

// TestTestsPanelWithoutReport says how to make one.
func TestTestsPanelWithoutReport(t *testing.T) {
	m := testsPanel(t, t.TempDir(), 80, 24)
	if v := m.View(); !strings.Contains(v, "no test report yet: run `lakebench test`") {
		t.Errorf("no hint:\n%s", v)
	}
}
