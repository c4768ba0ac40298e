package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/lakebench/lakebench/pipeline"
)

// noTicks schedules no timer ticks: the tests send presentTickMsg
// themselves, with the times they choose.
func noTicks(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }

var space = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}

// waitAll waits until the output since the last wait shows every text,
// however long the machine takes (see waitText).
func waitAll(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	var out bytes.Buffer
	for {
		if _, err := io.Copy(&out, tm.Output()); err != nil {
			t.Fatal(err)
		}
		all := true
		for _, text := range texts {
			all = all && bytes.Contains(out.Bytes(), []byte(text))
		}
		if all {
			return
		}
		time.Sleep(20 * time.Millisecond) // a polling interval, not a deadline
	}
}

// TestPresentDemo walks the sample's talk in a real program on the real
// sample: each step's caption and its view's selection on screen, the
// notes, the picker's jump, and the timer moved by ticks the test sends.
func TestPresentDemo(t *testing.T) {
	m := New(testWS, Options{Now: func() time.Time { return t0 }, Present: true, Tick: noTicks})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	steps := testInfo.Presentation.Steps
	if len(steps) != 9 || testInfo.Presentation.Team != "Lakers" {
		t.Fatalf("the sample's presentation: team %q, %d steps", testInfo.Presentation.Team, len(steps))
	}
	// What each step's view shows of its selection, once loaded.
	shows := map[string][]string{
		"problem":      {"▸1 Architect", "▸Architecture", "Question:"},
		"team":         {"answers the business"},
		"architecture": {"▸Lineage", "lineage · gold.daily_revenue"},
		"pipeline":     {"▸2 Engineer", "▸Quality"},
		"incident":     {"▸Health"},
		"model":        {"▸3 ML", "churn v1 ★ champion"},
		"dashboard":    {"▸4 Analyst", "Revenue health"},
		"insights":     {"Churn risk"},
		"next_steps":   {"▸1 Architect", "▸Targets", "• Stream orders in"},
	}
	start := t0
	for i, s := range steps {
		if i > 0 {
			tm.Send(space)
		}
		caption := "▶ " + string(rune('1'+i)) + "/9  " + s.Title
		waitAll(t, tm, append([]string{caption, "presents " + s.Presenter}, shows[s.ID]...)...)
		if i == 0 {
			tm.Send(presentTickMsg{at: start}) // the talk starts
		}
		// Each step takes 30 seconds of the talk.
		tm.Send(presentTickMsg{at: start.Add(time.Duration(i+1) * 30 * time.Second)})
		waitAll(t, tm, "Talk "+mmss(pipeline.DefaultTalk-time.Duration(i+1)*30*time.Second))
	}
	// The last step: space says so and stays.
	tm.Send(space)
	waitAll(t, tm, "that was the last step")
	// p shows the notes; g opens the picker, 3 jumps back to step 3.
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("p")})
	waitAll(t, tm, "✎ Thank the audience")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
	waitAll(t, tm, "Next steps (now)", "Architecture and governance")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3")})
	waitAll(t, tm, "▶ 3/9  Architecture and governance", "✎ Walk the lineage")
	// ← goes back a step; the timer runs past the talk with steps left.
	tm.Send(tea.KeyMsg{Type: tea.KeyLeft})
	waitAll(t, tm, "▶ 2/9  The team and its roles")
	tm.Send(presentTickMsg{at: start.Add(16 * time.Minute)})
	waitAll(t, tm, "✗ Questions 4:00")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t).(*Model)

	p := fm.present
	if p.at != 1 || fm.active != architectView || !p.notes {
		t.Errorf("final: step %d, view %d, notes %v", p.at, fm.active, p.notes)
	}
	if got := p.level(); got != timerOver {
		t.Errorf("16 minutes in on step 2 of 9: timer %s, want over", got)
	}
	// Time goes to the step shown at each tick: 30s to each step, and
	// to step 2, shown at the last tick, the rest of the 16 minutes.
	for i, d := range p.spent {
		want := 30 * time.Second
		if i == 1 {
			want += 16*time.Minute - 9*30*time.Second
		}
		if d != want {
			t.Errorf("step %d spent %s, want %s", i+1, d, want)
		}
	}
	// Each view kept the selection of its last step.
	a := fm.views[architectView].(*architect)
	if a.panel != panelArchitecture || a.tables()[a.cursor].Name != "gold.daily_revenue" {
		t.Errorf("architect: panel %d, table %s", a.panel, a.tables()[a.cursor].Name)
	}
	if e := fm.views[engineerView].(*engineer); e.panel != panelHealth {
		t.Errorf("engineer: panel %d, want Health", e.panel)
	}
	v := fm.views[mlView].(*mlview)
	if r, ok := v.selected(); !ok || r.model != "churn" || v.model("churn").Aliases[aliasChampion] != r.version {
		t.Errorf("ml: selected %+v, want churn's champion", r)
	}
	an := fm.views[analystView].(*analyst)
	if an.focus != paneDash || an.boards.names[an.boards.at] != "churn" {
		t.Errorf("analyst: pane %d, dashboard %s", an.focus, an.boards.names[an.boards.at])
	}
}

// newPresentModel is a ready presentation on the frozen sample at w x h.
func newPresentModel(t *testing.T, w, h int, pr pipeline.Presentation) *Model {
	t.Helper()
	m := New(testWS, Options{Now: func() time.Time { return t0 }, Present: true, Tick: noTicks})
	in := teamInfo()
	in.Presentation = pr
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(prepareDoneMsg{info: in})
	m.Update(loadedMsg{target: testInfo.Target, snap: testSnap})
	return m
}

// TestPresentTimer checks the countdown's phases and colors against the
// plan, on ticks the test sends.
func TestPresentTimer(t *testing.T) {
	pr := pipeline.Presentation{Talk: "10m", Questions: "5m", Steps: []pipeline.Step{
		{ID: "problem", View: "architect", Time: "4m"},
		{ID: "pipeline", View: "engineer", Time: "5m"},
		{ID: "next_steps", View: "architect", Time: "1m"},
	}}
	tests := []struct {
		name  string
		step  int
		at    time.Duration
		level timerLevel
		text  string
	}{
		{"on time", 0, 3 * time.Minute, timerOK, "⏱ Talk 7:00 · step 3:00/4:00"},
		{"step past its end", 0, 5 * time.Minute, timerLate, "⚠ Talk 5:00 · step 5:00/4:00 late"},
		{"next step in time", 1, 6 * time.Minute, timerOK, "⏱ Talk 4:00 · step 1:00/5:00"},
		{"under two minutes", 1, 8*time.Minute + 30*time.Second, timerLate, "⚠ Talk 1:30 · step 3:30/5:00"},
		{"talk over, steps left", 1, 10*time.Minute + 10*time.Second, timerOver, "✗ Questions 4:50 · step 5:10/5:00"},
		{"questions", 2, 11 * time.Minute, timerOK, "⏱ Questions 4:00 · step 0:50/1:00"},
		{"questions ending", 2, 13*time.Minute + 30*time.Second, timerLate, "⚠ Questions 1:30 · step 3:20/1:00"},
		{"over", 2, 16 * time.Minute, timerOver, "✗ over by 1:00 · step 5:50/1:00"},
	}
	m := newPresentModel(t, 120, 40, pr)
	m.Update(presentTickMsg{at: t0})
	for _, tt := range tests {
		for m.present.at < tt.step {
			m.Update(space)
		}
		m.Update(presentTickMsg{at: t0.Add(tt.at)})
		if got := m.present.level(); got != tt.level {
			t.Errorf("%s: level %s, want %s", tt.name, got, tt.level)
		}
		if got := m.present.timerText(false); got != tt.text {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.text)
		}
		if !strings.Contains(m.View(), tt.text) {
			t.Errorf("%s: the status bar lacks %q", tt.name, tt.text)
		}
	}
	// A tick from before the last (a clock set back) changes nothing.
	m.Update(presentTickMsg{at: t0})
	if m.present.elapsed() != 16*time.Minute {
		t.Errorf("a tick back in time moved the timer to %s", m.present.elapsed())
	}
}

// TestPresentSmall draws every step at 80x24 with the notes shown: every
// row fits, the caption and the timer are there, and the view keeps room.
func TestPresentSmall(t *testing.T) {
	for _, theme := range Themes {
		m := New(testWS, Options{Now: func() time.Time { return t0 }, Present: true, Tick: noTicks, Theme: theme})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		m.Update(prepareDoneMsg{info: testInfo})
		m.Update(loadedMsg{target: testInfo.Target, snap: testSnap})
		m.Update(presentTickMsg{at: t0})
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("p")})
		for i, s := range testInfo.Presentation.Steps {
			if i > 0 {
				m.Update(space)
			}
			out := m.View()
			rows := strings.Split(out, "\n")
			if len(rows) != 24 {
				t.Errorf("%s step %s: %d rows", theme, s.ID, len(rows))
			}
			for j, r := range rows {
				if w := lipgloss.Width(r); w > 80 {
					t.Errorf("%s step %s row %d is %d wide: %q", theme, s.ID, j, w, r)
				}
			}
			for _, want := range []string{s.Title, "⏱ Talk 15:00", "space/→ next", "q quit", "✎"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s step %s at 80x24 lacks %q:\n%s", theme, s.ID, want, out)
				}
			}
			if h := 24 - chrome - m.captionHeight(); h < 12 {
				t.Errorf("%s step %s leaves the view %d rows", theme, s.ID, h)
			}
		}
	}
}

// TestPresentKeysYield checks that a view taking every key (the
// Analyst's editor) keeps space and the arrows, and that the presentation
// takes them back once the editor is left.
func TestPresentKeysYield(t *testing.T) {
	m := newPresentModel(t, 120, 40, testInfo.Presentation)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("4")})
	m.Update(tea.KeyMsg{Type: tea.KeyF2})
	if !m.views[analystView].Capturing() {
		t.Fatal("f2 did not focus the editor")
	}
	m.Update(space)
	if m.present.at != 0 {
		t.Errorf("space in the editor moved the talk to step %d", m.present.at+1)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyF7}) // the dashboards: out of the editor
	m.Update(space)
	if m.present.at != 1 || m.active != architectView {
		t.Errorf("after f7, space: step %d on view %d", m.present.at+1, m.active)
	}
}

// TestPresentHelp checks that help in presentation mode lists its keys
// first and leaves out a view's key it takes (ML's p for top risk).
func TestPresentHelp(t *testing.T) {
	m := newPresentModel(t, 120, 40, testInfo.Presentation)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3")})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("?")})
	out := m.View()
	for _, want := range []string{"space/→  next", "p        notes", "r  train"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "top risk") {
		t.Errorf("help lists ML's p (top risk), which the presentation takes:\n%s", out)
	}
}
