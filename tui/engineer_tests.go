package tui

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/pipeline"
)

// The Engineer view's Tests panel (issue 12): the last `lakebench test`
// report of the project (.lakebench/test-report.json), a line per test
// with its status and time, failures first, and under the list the
// selected test's message and its rows' diff. It reads the report each
// time it is shown, and again after a load while shown.

// testsMsg carries the last test report read.
type testsMsg struct {
	report *pipeline.TestReport
	err    error
}

func (testsMsg) owner() viewID { return engineerView }

// loadTests reads the last report when the panel is shown (the report is
// written by another process, so each showing reads it again).
func (e *engineer) loadTests() tea.Cmd {
	if e.testsState.loading {
		return nil
	}
	e.testsState.loading = true
	b := e.sh.backend
	return func() tea.Msg {
		r, err := b.TestReport(context.Background())
		return testsMsg{report: r, err: err}
	}
}

func (e *engineer) testsUpdate(msg testsMsg) tea.Cmd {
	e.testsState.done(e.sh.target, msg.err)
	e.tests = msg.report
	e.cursor[panelTests] = min(e.cursor[panelTests], max(0, len(e.testRows())-1))
	return nil
}

// testRows are the report's results, those that did not pass first (in
// the report's order), then the rest.
func (e *engineer) testRows() []pipeline.TestResult {
	if e.tests == nil {
		return nil
	}
	var bad, good []pipeline.TestResult
	for _, r := range e.tests.Results {
		if r.Status == pipeline.TestFail || r.Status == pipeline.TestError {
			bad = append(bad, r)
		} else {
			good = append(good, r)
		}
	}
	return append(bad, good...)
}

func testStatusText(st Styles, s pipeline.TestStatus) string {
	switch s {
	case pipeline.TestPass:
		return st.Good.Render("✓ pass")
	case pipeline.TestFail:
		return st.Bad.Render("✗ fail")
	case pipeline.TestWarn:
		return st.Warn.Render("! warn")
	}
	return st.Bad.Render("✗ error")
}

// testsLines draws the panel: a summary, the list, the selected test's
// detail.
func (e *engineer) testsLines(width, room int) []string {
	st := e.sh.styles
	switch {
	case !e.testsState.loaded:
		return []string{st.Muted.Render("reading the last test report…")}
	case e.testsState.err != nil:
		return notAvailable(st, e.testsState.err, width, room)
	case e.tests == nil:
		return strings.Split(st.Muted.Render(wrapText("no test report yet: run `lakebench test` (model unit tests from tests/*.yml), or `lakebench test -t TARGET` for data tests too", width)), "\n")
	}
	r := e.tests
	sum := fmt.Sprintf("%d passed", r.Passed)
	if r.Failed > 0 {
		sum += ", " + st.Bad.Render(fmt.Sprintf("%d failed", r.Failed))
	}
	if r.Errors > 0 {
		sum += ", " + st.Bad.Render(fmt.Sprintf("%d errors", r.Errors))
	}
	if r.Warned > 0 {
		sum += ", " + st.Warn.Render(fmt.Sprintf("%d warnings", r.Warned))
	}
	when := st.Muted.Render(" · " + r.Started.Local().Format("2006-01-02 15:04") + " (" + ago(e.sh.now(), r.Started) + " ago)")
	if r.DataTarget != "" {
		when += st.Muted.Render(" · data tests on " + r.DataTarget + " as " + r.Principal)
	}
	lines := []string{cut(sum+when, width)}
	rows := e.testRows()
	if len(rows) == 0 {
		return append(lines, st.Muted.Render("the last run had no test"))
	}
	cur := min(e.cursor[panelTests], len(rows)-1)
	detail := e.testDetail(rows[cur], width)
	detail = detail[:min(len(detail), max(0, room/2))]
	list := max(1, room-2-len(detail))
	kw, sw, tw := 8, 10, 8
	nw := max(10, width-2-kw-sw-tw-1)
	lines = append(lines, st.Header.Render(fit("  test", nw+2))+st.Header.Render(fit("kind", kw))+st.Header.Render(fit("status", sw))+st.Header.Render(right("time", tw)))
	start, end := window(len(rows), cur, list)
	for i := start; i < end; i++ {
		t := rows[i]
		mark, name := "  ", fit(t.Name, nw)
		if i == cur {
			mark, name = st.Selected.Render("▸ "), st.Selected.Render(name)
		}
		lines = append(lines, cut(mark+name+fit(t.Kind, kw)+fit(testStatusText(st, t.Status), sw)+right(testSeconds(t.Seconds), tw), width))
	}
	return append(lines, detail...)
}

func testSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%dms", int(s*1000+0.5))
	}
	return fmt.Sprintf("%.2fs", s)
}

// testDetail is the selected test's place, message and diff ("- " rows
// expected but not produced, "+ " rows produced but not expected).
func (e *engineer) testDetail(t pipeline.TestResult, width int) []string {
	st := e.sh.styles
	head := st.Subtitle.Render(t.Name)
	if t.Subject != "" && t.Subject != t.Name {
		head += st.Muted.Render(" · " + t.Subject)
	}
	if t.File != "" {
		head += st.Muted.Render(fmt.Sprintf(" · %s:%d", t.File, t.Line))
	}
	lines := []string{cut(head, width)}
	if t.Message != "" {
		style := st.Muted
		if t.Status == pipeline.TestFail || t.Status == pipeline.TestError {
			style = st.Bad
		} else if t.Status == pipeline.TestWarn {
			style = st.Warn
		}
		for _, l := range strings.Split(wrapText(t.Message, width), "\n") {
			lines = append(lines, style.Render(l))
		}
	}
	if t.Diff != nil {
		for _, l := range strings.Split(t.Diff.Text(), "\n") {
			switch {
			case strings.HasPrefix(l, "- "):
				l = st.Bad.Render(cut(l, width))
			case strings.HasPrefix(l, "+ "):
				l = st.Warn.Render(cut(l, width))
			default:
				l = st.Muted.Render(cut(l, width))
			}
			lines = append(lines, l)
		}
	}
	return lines
}
