package grid

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// host is the smallest owner of a grid: it gives it its size.
type host struct {
	g    Model
	init tea.Cmd
}

func (h host) Init() tea.Cmd { return h.init }

func (h host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.g.SetSize(msg.Width, msg.Height)
	case tea.KeyMsg:
		if msg.String() == "q" && !h.g.Capturing() {
			return h, tea.Quit
		}
	}
	var cmd tea.Cmd
	h.g, cmd = h.g.Update(msg)
	return h, cmd
}

func (h host) View() string { return h.g.View() }

// waitText waits until the program's output so far shows text, however
// long the machine takes; `go test -timeout` bounds a hang. The output is
// kept whole: two texts of one frame arrive in one write, and the renderer
// never repeats a line that did not change.
func waitText(t *testing.T, tm *teatest.TestModel, out *bytes.Buffer, text string) {
	t.Helper()
	for {
		if _, err := io.Copy(out, tm.Output()); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out.Bytes(), []byte(text)) {
			return
		}
		time.Sleep(20 * time.Millisecond) // a polling interval, not a deadline
	}
}

// syncBuffer is a clipboard the program's commands write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFlowBigResult runs the grid in a Bubble Tea program over the 10M-row
// result, its pages fetched by concurrent commands: it opens, goes to the
// last row, copies it, and quits holding a few pages.
func TestFlowBigResult(t *testing.T) {
	src := bigSource(t)
	clip := &syncBuffer{}
	g := New(Options{Clipboard: clip})
	cmd := g.SetSource(src)
	tm := teatest.NewTestModel(t, host{g: g, init: cmd}, teatest.WithInitialTermSize(100, 30))
	var out bytes.Buffer
	waitText(t, tm, &out, "of 10,000,000 rows")
	waitText(t, tm, &out, "name 0")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("G")})
	waitText(t, tm, &out, "name 9999999")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("Y")})
	waitText(t, tm, &out, "copied 1 row")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t).(host)
	if r, _ := fm.g.Cursor(); r != 9_999_999 {
		t.Errorf("cursor on row %d", r)
	}
	if held := fm.g.HeldRows(); held > 5*200 {
		t.Errorf("the grid holds %d rows", held)
	}
	if !strings.HasPrefix(clip.String(), "\x1b]52;c;") {
		t.Errorf("clipboard got %q", clip.String())
	}
}
