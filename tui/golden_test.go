package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
)

// screens are the views and panels the golden tests draw, each reached by
// keys from the start.
var screens = []struct {
	name string
	keys []string
}{
	{"architect_architecture", nil},
	{"architect_lineage", []string{"right", "down", "down", "down", "down", "down", "down", "down"}},
	{"architect_catalog", []string{"right", "right", "down", "down", "down", "down"}},
	{"architect_targets", []string{"right", "right", "right"}},
	{"architect_sla", []string{"right", "right", "right", "right"}},
	{"engineer_layers", []string{"2"}},
	{"engineer_quality", []string{"2", "right"}},
	{"engineer_runs", []string{"2", "right", "right"}},
	{"engineer_log", []string{"2", "right", "right", "right"}},
	{"ml", []string{"3"}},
	{"analyst", []string{"4"}},
	{"help_engineer", []string{"2", "?"}},
}

// TestGolden draws every screen at 80x24 and 160x48 and compares it with
// testdata/TestGolden/*.golden (go test ./tui -run TestGolden -update
// rewrites them).
func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				m := newTestModel(t, size[0], size[1])
				for _, k := range sc.keys {
					_, cmd := m.Update(keyMsg(k))
					pump(t, m, cmd) // what a panel reads when shown (Targets)
				}
				freezeObserved(m)
				out := m.View()
				if got := strings.Count(out, "\n") + 1; got != size[1] {
					t.Errorf("%d lines, want %d", got, size[1])
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestGoldenDrillIn draws the quarantine drill-in of the first quality item.
func TestGoldenDrillIn(t *testing.T) {
	m := newTestModel(t, 80, 24)
	m.Update(keyMsg("2"))
	m.Update(keyMsg("right"))
	_, cmd := m.Update(keyMsg("enter"))
	pump(t, m, cmd)
	golden.RequireEqual(t, m.View())
}

// freezeObserved fixes what the observability panels measured against the
// wall clock (the SLA's freshness), as freeze does for the snapshot.
func freezeObserved(m *Model) {
	a := m.views[architectView].(*architect)
	if a.obs.sla == nil {
		return
	}
	for i := range a.obs.sla.Objectives {
		if o := &a.obs.sla.Objectives[i]; strings.HasPrefix(o.Name, "freshness:") {
			o.Observed, o.Detail = "1h 58m", "last written "+t0.Add(-118*time.Minute).Format("2006-01-02 15:04")
		}
	}
}
