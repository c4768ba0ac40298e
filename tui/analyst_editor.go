package tui

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/tui/editor"
)

// completionTarget is the target completion asks about: the editor calls
// its CompleteFunc from a command's goroutine, so the view hands it the
// target through an atomic rather than the shared model.
type completionTarget struct{ atomic.Pointer[string] }

func (c *completionTarget) set(t string) { c.Store(&t) }

func (c *completionTarget) get() string {
	if t := c.Load(); t != nil {
		return *t
	}
	return ""
}

// newEditor is the SQL editor, styled by the theme, completing through
// Backend.Complete on the current target.
func (v *analyst) newEditor() editor.Model {
	b, target := v.sh.backend, &v.completeOn
	complete := func(ctx context.Context, before string) ([]lakehouse.Suggestion, error) {
		return b.Complete(ctx, target.get(), before)
	}
	st := editor.DefaultStyles()
	ed := editor.New(editor.Options{Complete: complete, Styles: &st})
	// f5 shows the results here (the view's pane keys come first).
	ed.KeyMap.RunAll = key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "run all"))
	return ed
}

// editorInsert types text at the editor's cursor.
func (v *analyst) editorInsert(text string) { v.ed.InsertString(text) }

// editorOpen puts sql in the editor's buffer (ctrl+z takes it back).
func (v *analyst) editorOpen(sql string) {
	v.ed.SetValue(strings.TrimSpace(sql))
	v.ed.ClearError()
}

// editorStatements are the statements of the editor's buffer.
func (v *analyst) editorStatements() []editor.Statement { return v.ed.Statements() }

// showEditorError marks where a statement from the editor failed: pos is
// DuckDB's byte offset in the statement, -1 when it gives none.
func (v *analyst) showEditorError(s editor.Statement, pos int, msg string) {
	switch {
	case s.Start < 0:
		return
	case pos < 0:
		v.ed.SetError(-1, msg)
	default:
		v.ed.SetError(s.Start+pos, msg)
	}
}

// resetEditorError clears the editor's error mark.
func (v *analyst) resetEditorError() { v.ed.ClearError() }

// editorKey hands a key to the editor.
func (v *analyst) editorKey(msg tea.KeyMsg) tea.Cmd {
	var cmd tea.Cmd
	v.ed, cmd = v.ed.Update(msg)
	return cmd
}

// editorView draws the editor in its panel.
func (v *analyst) editorView(width, height int) string {
	fr := v.frame(paneEditor)
	inner, room := width-fr.GetHorizontalFrameSize(), height-fr.GetVerticalFrameSize()
	v.ed.SetSize(max(1, inner), max(1, room))
	title := "editor · " + v.ed.BufferName()
	if v.focus != paneEditor {
		title += " · e to edit"
	}
	// A query that runs says so here too: at 80x24 the results are not
	// on screen until its first rows.
	for _, t := range v.runTabs() {
		if t != nil && t.status == tabRunning {
			title += " · " + v.spin.View() + " running " + duration(v.sh.now().Sub(t.started)) + " · esc cancels"
			break
		}
	}
	return panel(fr, title, strings.Split(v.ed.View(), "\n"), width, height)
}

// runTabs are the result tabs of the last run (none before one).
func (v *analyst) runTabs() []*resultTab {
	if v.run == nil {
		return nil
	}
	return v.run.tabs
}
