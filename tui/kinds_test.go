package tui

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/lakebench/lakebench/pipeline"
)

// withKinds makes silver.orders merged by key instead of the sample's
// batch, so the silver layer mixes kinds; the sample's gold already does
// (daily revenue by time, customer_360 by key, customer_features full).
func withKinds(yml string) string {
	for _, r := range [][2]string{
		{"    silver.orders:          {owner: ben, domain: sales, kind: incremental_by_batch, unique_key: [order_id]}",
			"    silver.orders:          {owner: ben, domain: sales, kind: incremental_by_unique_key, unique_key: [order_id]}"},
	} {
		if !strings.Contains(yml, r[0]) {
			panic("the sample's lakebench.yml changed: " + r[0])
		}
		yml = strings.Replace(yml, r[0], r[1], 1)
	}
	return yml
}

func TestKindTag(t *testing.T) {
	for _, tc := range []struct{ kind, tag string }{
		{pipeline.KindFull, "full"},
		{pipeline.KindIncrementalByBatch, "batch"},
		{pipeline.KindIncrementalByTime, "by time"},
		{pipeline.KindIncrementalByUniqueKey, "by key"},
		{"mixed", "mixed"},
		{"", ""},
	} {
		if got := kindTag(tc.kind); got != tc.tag {
			t.Errorf("kindTag(%q) = %q, want %q", tc.kind, got, tc.tag)
		}
	}
}

// TestModelKindsShown: each model's kind shows in the Architect lineage
// (the selected model's and those in its tree) and in the Engineer job DAG
// (a task building models of one kind says it; of several, "mixed"), at
// 80x24 and 120x40.
func TestModelKindsShown(t *testing.T) {
	dir := copySample(t, func(yml string) string { return withWeeklyJob(withKinds(yml)) })
	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "ben"})
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := openLoaded(t, ws, size[0], size[1])
		kinds := map[string]string{}
		for _, mi := range m.sh.snap.Models {
			kinds[mi.Table] = mi.Kind
		}
		if kinds["silver.orders"] != pipeline.KindIncrementalByUniqueKey || kinds["gold.daily_revenue"] != pipeline.KindIncrementalByTime ||
			kinds["silver.customers"] != pipeline.KindIncrementalByBatch || kinds["gold.customer_360"] != pipeline.KindIncrementalByUniqueKey ||
			kinds["gold.customer_features"] != pipeline.KindFull {
			t.Fatalf("model kinds: %v", kinds)
		}
		fits := func(view string) {
			t.Helper()
			lines := strings.Split(view, "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
			}
			for _, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%dx%d: a line %d wide: %q", size[0], size[1], w, l)
				}
			}
		}

		// Lineage of silver.orders: its kind, and daily revenue's below.
		a := m.views[architectView].(*architect)
		a.panel = panelLineage
		for i, ti := range m.sh.snap.Tables {
			if ti.Name == "silver.orders" {
				a.cursor = i
			}
		}
		view := m.View()
		fits(view)
		for _, want := range []string{"lineage · silver.orders · by key", "gold.daily_revenue by time", "gold.customer_360 by key"} {
			if !strings.Contains(view, want) {
				t.Errorf("%dx%d: the lineage lacks %q:\n%s", size[0], size[1], want, view)
			}
		}

		// The nightly job builds silver.* and gold.*, each of mixed kinds;
		// the weekly job's orders task builds silver.orders alone.
		m.Update(keyMsg("2"))
		view = m.View()
		fits(view)
		if !strings.Contains(view, "silver") || strings.Count(view, "mixed") != 2 {
			t.Errorf("%dx%d: the nightly DAG does not tag silver and gold mixed:\n%s", size[0], size[1], view)
		}
		m.Update(keyMsg("j"))
		view = m.View()
		fits(view)
		if !strings.Contains(view, "orders") || !strings.Contains(view, "by key") {
			t.Errorf("%dx%d: the weekly DAG does not tag orders by key:\n%s", size[0], size[1], view)
		}
	}
}

// TestOtherTargetsReadWhenShown: the first load reads the open target only;
// showing Targets reads the others (a staging database here, as ben), and
// the table sizes come after the first load, from a cache while the file
// is unchanged.
func TestOtherTargetsReadWhenShown(t *testing.T) {
	ctx := context.Background()
	dir := copySample(t, nil)
	db := filepath.Join(dir, ".lakebench")
	b, err := os.ReadFile(filepath.Join(db, "dev.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "staging.duckdb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "ben"})
	info, err := ws.Prepare(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ws.Load(ctx, info.Target)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Targets) != 1 || snap.Targets[0].Name != info.Target || snap.Targets[0].Tables == 0 {
		t.Fatalf("the first load's targets: %+v, want the open one only, read", snap.Targets)
	}
	if snap.Sizes != nil {
		t.Fatalf("the first load measured sizes: %v", snap.Sizes)
	}
	m := New(ws, Options{})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(prepareDoneMsg{info: info})
	_, cmd := m.Update(loadedMsg{target: info.Target, snap: snap})
	pump(t, m, cmd) // the sizes
	if len(m.sh.snap.Sizes) == 0 {
		t.Fatal("no sizes after the first load")
	}
	if again, err := ws.Load(ctx, info.Target); err != nil || len(again.Sizes) != len(m.sh.snap.Sizes) {
		t.Errorf("a load of the unchanged file: sizes %v, %v; want the measured ones", again.Sizes, err)
	}

	a := m.views[architectView].(*architect)
	if a.others != nil {
		t.Fatalf("other targets read before Targets was shown: %+v", a.others)
	}
	for _, k := range []string{"right", "right", "right"} {
		_, cmd := m.Update(keyMsg(k))
		pump(t, m, cmd)
	}
	state := map[string]TargetState{}
	for _, ts := range a.others {
		state[ts.Name] = ts
	}
	if st := state["staging"]; !st.Loaded || !st.Exists || st.Tables != snap.Targets[0].Tables || st.LastRun.RunID == "" {
		t.Errorf("staging: %+v, want read with %d tables and a last run", st, snap.Targets[0].Tables)
	}
	if st := state["prod"]; !st.Loaded || st.Exists {
		t.Errorf("prod: %+v, want read and not there", st)
	}
	if _, ok := state[info.Target]; ok {
		t.Errorf("the open target was read again: %+v", a.others)
	}
	rows := approx(thousands(snap.Targets[0].Rows), snap.Targets[0].Estimated) + " rows"
	if view := m.View(); strings.Count(view, rows) != 2 || strings.Contains(view, "reading…") {
		t.Errorf("Targets does not show dev's and staging's %s:\n%s", rows, view)
	}
}

// TestFlowFirstFrameThenTargets: the data shows, then the Targets panel
// reads the other targets and shows them.
func TestFlowFirstFrameThenTargets(t *testing.T) {
	ws := copyWorkspace(t)
	tm := teatest.NewTestModel(t, New(ws, Options{}), teatest.WithInitialTermSize(120, 40))
	waitText(t, tm, "rows")                      // the layers' rows: the first frame with data
	for range panelTargets - panelArchitecture { // Architecture to Targets
		tm.Send(tea.KeyMsg{Type: tea.KeyRight})
	}
	waitText(t, tm, "not run yet") // staging and prod, read when shown
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t).(*Model)
	if a := fm.views[architectView].(*architect); len(a.others) != len(fm.sh.info.Targets)-1 {
		t.Errorf("other targets read: %+v", a.others)
	}
}

func TestFitCount(t *testing.T) {
	for _, tc := range []struct {
		n     int64
		width int
		want  string
	}{
		{379732, 10, "379,732"},
		{379732, 7, "380K"},
		{42513473, 12, "42,513,473"},
		{42513473, 10, "42.5M"},
		{999, 3, "999"},
	} {
		if got := fitCount(tc.n, tc.width); got != tc.want {
			t.Errorf("fitCount(%d, %d) = %q, want %q", tc.n, tc.width, got, tc.want)
		}
	}
}

// TestKindApartFromTaskName: in the job DAG a task name as wide as its
// column, or cut to it, keeps a space before the kind ("pollster_latestby
// key" was read on a reviewer's project), at 80x24 and 120x40.
func TestKindApartFromTaskName(t *testing.T) {
	dir := copySample(t, func(yml string) string {
		yml = withKinds(withWeeklyJob(yml))
		return strings.Replace(yml, "{task_key: orders, type: transform", "{task_key: orders_merged_by_their_order_id, type: transform", 1)
	})
	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "ben"})
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := openLoaded(t, ws, size[0], size[1])
		m.Update(keyMsg("2"))
		m.Update(keyMsg("j"))
		view := ansi.Strip(m.View())
		if !strings.Contains(view, "orders_m") || !strings.Contains(view, "by key") {
			t.Fatalf("%dx%d: the weekly DAG lacks its task or kind:\n%s", size[0], size[1], view)
		}
		if regexp.MustCompile(`\Sby key`).MatchString(view) {
			t.Errorf("%dx%d: the task name runs into its kind:\n%s", size[0], size[1], view)
		}
	}
}
