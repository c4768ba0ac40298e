package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/pipeline"
)

// TestPresentHostile draws a presentation written to attack the
// presenter's terminal: escape sequences (clear screen, window title,
// OSC 52 clipboard, a hyperlink), a bell, a backspace and a carriage
// return in every text a step shows; 500 steps; lengths at the edge of
// time.Duration that overflow when summed. What reaches the terminal has
// no control character but the newlines between rows, every row fits,
// and the picker and the timer stay sane.
func TestPresentHostile(t *testing.T) {
	evil := "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\a\b\rok\u009b31m"
	var steps []pipeline.Step
	for i := range 500 {
		steps = append(steps, pipeline.Step{ID: fmt.Sprintf("s%d", i), View: pipeline.Roles[i%4], Time: "2562047h",
			Title: "T" + evil, Caption: "C" + evil, Notes: "N" + evil + "\nsecond" + evil, Presenter: "P" + evil, Select: "gold.x" + evil})
	}
	pr := pipeline.Presentation{Title: "Talk" + evil, Team: "Team" + evil, Talk: "2562047h", Questions: "2562047h", Steps: steps}
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		m := newPresentModel(t, size[0], size[1], pr)
		m.Update(presentTickMsg{at: t0})
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("p")})
		check := func(where string) {
			t.Helper()
			out := m.View()
			for _, r := range out {
				if r != '\n' && (r < 0x20 || (r >= 0x7f && r < 0xa0)) {
					t.Fatalf("%dx%d %s: the view sends control character %U to the terminal:\n%q", size[0], size[1], where, r, out)
				}
			}
			for j, row := range strings.Split(out, "\n") {
				if w := lipgloss.Width(row); w > size[0] {
					t.Fatalf("%dx%d %s: row %d is %d wide", size[0], size[1], where, j, w)
				}
			}
		}
		check("step 1")
		for range 3 {
			m.Update(space)
		}
		check("step 4")
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
		check("the picker")
		m.Update(tea.KeyMsg{Type: tea.KeyEsc})
		for range 600 {
			m.Update(space)
		}
		check("the last step")
		if m.present.at != 499 {
			t.Errorf("at step %d after 600 spaces, want the last (499)", m.present.at)
		}
		for i, e := range m.present.ends {
			if e < 0 {
				t.Fatalf("step %d ends at %s: the plan's sum overflowed", i, e)
			}
		}
	}
}
