package tui

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
)

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "f2":
		return tea.KeyMsg{Type: tea.KeyF2}
	case "f5":
		return tea.KeyMsg{Type: tea.KeyF5}
	case "f6":
		return tea.KeyMsg{Type: tea.KeyF6}
	case "f7":
		return tea.KeyMsg{Type: tea.KeyF7}
	case "f8":
		return tea.KeyMsg{Type: tea.KeyF8}
	case "f9":
		return tea.KeyMsg{Type: tea.KeyF9}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// pump runs cmd and feeds what it produces back into m until nothing is
// left. Each command runs to its end, however long the machine takes: no
// wall-clock limit decides what is a timer. Timers are told apart by their
// messages' types: a spinner or clock tick is dropped instead of fed back,
// so it does not start the next one and the loop ends.
func pump(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil, spinner.TickMsg, clockMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func TestUpdateKeys(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		active viewID
		help   bool
	}{
		{"starts on architect", nil, architectView, false},
		{"number keys", []string{"2"}, engineerView, false},
		{"four", []string{"4"}, analystView, false},
		{"tab", []string{"tab", "tab"}, mlView, false},
		{"shift+tab wraps", []string{"shift+tab"}, analystView, false},
		{"help toggles", []string{"2", "?"}, engineerView, true},
		{"help closes with esc", []string{"?", "esc"}, architectView, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, 80, 24)
			for _, k := range tt.keys {
				m.Update(keyMsg(k))
			}
			if m.active != tt.active || m.showHelp != tt.help {
				t.Errorf("got view %d help %v, want view %d help %v", m.active, m.showHelp, tt.active, tt.help)
			}
		})
	}
}

func TestUpdatePanels(t *testing.T) {
	m := newTestModel(t, 80, 24)
	a := m.views[architectView].(*architect)
	for _, k := range []string{"right", "right", "down", "down"} {
		m.Update(keyMsg(k))
	}
	if a.panel != panelCatalog || a.cursor != 2 {
		t.Errorf("architect: got panel %d cursor %d, want %d 2", a.panel, a.cursor, panelCatalog)
	}
	m.Update(keyMsg("left"))
	m.Update(keyMsg("left"))
	m.Update(keyMsg("left"))
	if a.panel != panelAudit {
		t.Errorf("architect: left wraps to %d, want %d", a.panel, panelAudit)
	}
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	m.Update(keyMsg("l"))
	if e.panel != panelQuality {
		t.Errorf("engineer: got panel %d, want quality", e.panel)
	}
	if a.panel != panelAudit {
		t.Errorf("keys reached the hidden architect view: panel %d", a.panel)
	}
}

func TestUpdateResize(t *testing.T) {
	m := newTestModel(t, 80, 24)
	m.Update(tea.WindowSizeMsg{Width: 132, Height: 43})
	e := m.views[engineerView].(*engineer)
	if e.width != 132 || e.height != 43-chrome {
		t.Errorf("engineer size %dx%d, want 132x%d", e.width, e.height, 43-chrome)
	}
	for _, size := range [][2]int{{80, 24}, {132, 43}, {200, 60}, {60, 20}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for v := range viewCount {
			m.active = v
			lines := strings.Split(m.View(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d view %d: %d lines, want %d", size[0], size[1], v, len(lines), size[1])
			}
		}
	}
}

func TestUpdateQuit(t *testing.T) {
	m := newTestModel(t, 80, 24)
	_, cmd := m.Update(keyMsg("q"))
	if cmd == nil || !reflect.DeepEqual(cmd(), tea.Quit()) {
		t.Fatalf("q: got %v, want tea.Quit", cmd)
	}
}

func TestUpdateTargetSwitch(t *testing.T) {
	m := newModelOn(t, copyWorkspace(t), 80, 24)
	names := m.sh.info.Targets
	if len(names) < 2 {
		t.Skip("the sample has one target")
	}
	seen := []string{m.sh.target}
	for range names {
		_, cmd := m.Update(keyMsg("t"))
		pump(t, m, cmd)
		if m.sh.snap.Target != m.sh.target {
			t.Fatalf("snapshot of %q after switching to %q", m.sh.snap.Target, m.sh.target)
		}
		seen = append(seen, m.sh.target)
	}
	if seen[0] != seen[len(seen)-1] || seen[1] == seen[0] {
		t.Errorf("t cycles %v, want every target and back", seen)
	}
}

func TestUpdateQuarantineDrillIn(t *testing.T) {
	m := newTestModel(t, 80, 24)
	m.Update(keyMsg("2"))
	m.Update(keyMsg("right")) // Quality
	e := m.views[engineerView].(*engineer)
	items := e.qualityItems()
	if len(items) == 0 {
		t.Fatal("no quality items on the sample")
	}
	_, cmd := m.Update(keyMsg("enter"))
	pump(t, m, cmd)
	if e.drill == nil || e.drill.Table != items[0].table || len(e.drill.Rows) == 0 {
		t.Fatalf("drill-in: got %+v, want rows of %s", e.drill, items[0].table)
	}
	if e.drill.Rows[0].Reason == "" {
		t.Errorf("quarantined row without a reason: %+v", e.drill.Rows[0])
	}
	m.Update(keyMsg("esc"))
	if e.drill != nil {
		t.Error("esc left the drill-in open")
	}
}

// TestUpdateRunJob runs the real job through Update: live task states,
// then a reload with the new run on top.
func TestUpdateRunJob(t *testing.T) {
	m := newModelOn(t, copyWorkspace(t), 120, 40)
	m.sh.now = time.Now
	before := len(m.sh.snap.Runs)
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	_, cmd := m.Update(keyMsg("r"))
	if e.run == nil || e.panel != panelLog {
		t.Fatalf("r: run %v panel %d, want a live run on the log panel", e.run, e.panel)
	}
	if !m.busy() {
		t.Error("a running job does not make the model busy")
	}
	pump(t, m, cmd)
	if e.run != nil {
		t.Fatal("the run did not finish")
	}
	if got := len(m.sh.snap.Runs); got != before+1 {
		t.Errorf("runs after the job: got %d, want %d", got, before+1)
	}
	if m.sh.snap.Runs[0].Status != "succeeded" {
		t.Errorf("last run status %q, want succeeded", m.sh.snap.Runs[0].Status)
	}
	for _, task := range m.sh.snap.DAG.Tasks {
		if ts := e.tasks[task.Key]; ts == nil || ts.status != "succeeded" {
			t.Errorf("task %s: %+v, want succeeded", task.Key, ts)
		}
	}
}

// TestUpdateCancelJob cancels a run with esc: it ends canceled, not failed.
func TestUpdateCancelJob(t *testing.T) {
	m := newModelOn(t, copyWorkspace(t), 120, 40)
	m.Update(keyMsg("2"))
	e := m.views[engineerView].(*engineer)
	_, cmd := m.Update(keyMsg("r"))
	m.Update(keyMsg("esc"))
	if e.run == nil || !e.run.canceled {
		t.Fatal("esc did not cancel the run")
	}
	pump(t, m, cmd)
	if e.run != nil {
		t.Fatal("the canceled run did not end")
	}
	if !strings.Contains(m.flash.text, "canceled") && !strings.Contains(m.flash.text, "finished") {
		t.Errorf("flash after cancel: %q", m.flash.text)
	}
}

// TestIdleReloadOnlyOnChange: reading the target (a Load opens it
// read-only) leaves its stamp as it was, so the clock's reload finds
// nothing to read; a changed stamp reloads once.
func TestIdleReloadOnlyOnChange(t *testing.T) {
	before := testWS.Stamp(testInfo.Target)
	if before == "" {
		t.Fatal("the sample's target has no stamp")
	}
	if _, err := testWS.Load(context.Background(), testInfo.Target); err != nil {
		t.Fatal(err)
	}
	if after := testWS.Stamp(testInfo.Target); after != before {
		t.Fatalf("a read-only load changed the target's stamp: %q -> %q", before, after)
	}
	m := newTestModel(t, 80, 24)
	if _, cmd := m.Update(stampMsg{target: testInfo.Target, stamp: "a"}); cmd == nil {
		t.Fatal("a new stamp did not reload")
	}
	if _, cmd := m.Update(stampMsg{target: testInfo.Target, stamp: "a"}); cmd != nil {
		t.Fatal("the same stamp reloaded again")
	}
	if _, cmd := m.Update(stampMsg{target: "other", stamp: "b"}); cmd != nil {
		t.Fatal("another target's stamp reloaded")
	}
}
