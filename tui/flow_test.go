package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// waitText waits until the program's output shows text, however long the
// machine takes (teatest.WaitFor fails after a fixed duration, which a busy
// machine exceeds); `go test -timeout` bounds a hang.
func waitText(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	var out bytes.Buffer
	for {
		if _, err := io.Copy(&out, tm.Output()); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out.Bytes(), []byte(text)) {
			return
		}
		time.Sleep(20 * time.Millisecond) // a polling interval, not a deadline
	}
}

// TestFlowFirstStart starts on a project that does not exist yet: the first
// frame comes at once, then the sample is created, generated and run with
// its steps on screen.
func TestFlowFirstStart(t *testing.T) {
	ws := newWorkspace(t, WorkspaceOptions{Dir: t.TempDir() + "/sample", Sample: true, Principal: "ben"})
	tm := teatest.NewTestModel(t, New(ws, Options{}), teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "creating the sample workspace")
	waitText(t, tm, "Architecture")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	tm.WaitFinished(t)
}

// TestFlowRunJob switches to the Engineer view, runs the job and waits for
// it to finish, then quits.
func TestFlowRunJob(t *testing.T) {
	ws := copyWorkspace(t)
	tm := teatest.NewTestModel(t, New(ws, Options{}), teatest.WithInitialTermSize(120, 40))
	waitText(t, tm, "Architecture")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2")})
	waitText(t, tm, "last run succeeded")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	waitText(t, tm, "job finished")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t).(*Model)
	e := fm.views[engineerView].(*engineer)
	if e.run != nil {
		t.Fatal("the run is still live")
	}
	for _, task := range fm.sh.snap.DAG.Tasks {
		if ts := e.tasks[task.Key]; ts == nil || ts.status != "succeeded" {
			t.Errorf("task %s after the run: %+v", task.Key, ts)
		}
	}
}

// TestFlowQuitCancels quits while a job runs: the job is canceled first
// and the program ends.
func TestFlowQuitCancels(t *testing.T) {
	ws := copyWorkspace(t)
	tm := teatest.NewTestModel(t, New(ws, Options{}), teatest.WithInitialTermSize(80, 24))
	waitText(t, tm, "Architecture")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2")})
	waitText(t, tm, "last run succeeded")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t).(*Model)
	if fm.busy() {
		t.Error("quit with a job still running")
	}
	if !strings.Contains(fm.View(), "Engineer") {
		t.Error("final view lost the tabs")
	}
}
