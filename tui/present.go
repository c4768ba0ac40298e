package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/pipeline"
)

// Presentation mode (`lakebench demo`): the bundle's presentation walked
// step by step. Each step switches to its role view and selection; a
// caption bar above the view names the step, its caption and presenter;
// the status bar counts the talk down, then the questions. Time comes only
// from presentTickMsg, which carries the time it fired: tests send their
// own and never wait on the clock.

// presentTickMsg is a tick of the talk's timer.
type presentTickMsg struct{ at time.Time }

// tickEvery is how often the timer ticks.
const tickEvery = time.Second

// lateMargin is when the countdown turns amber before its end.
const lateMargin = 2 * time.Minute

// timerLevel is how the talk is doing against its plan.
type timerLevel int

const (
	timerOK   timerLevel = iota
	timerLate            // amber: the step ran past its planned end, or under 2 minutes left
	timerOver            // red: the talk ran over (steps left at its end), or the questions did
)

func (l timerLevel) String() string { return [...]string{"ok", "late", "over"}[l] }

// presentKeys are presentation mode's keys, taken before the view's.
type presentKeys struct {
	Next  key.Binding
	Prev  key.Binding
	Notes key.Binding
	Jump  key.Binding
}

func newPresentKeys() presentKeys {
	return presentKeys{
		Next:  key.NewBinding(key.WithKeys(" ", "right"), key.WithHelp("space/→", "next")),
		Prev:  key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "back")),
		Notes: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "notes")),
		Jump:  key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "jump")),
	}
}

// ShortHelp is the footer's part of the presentation keys.
func (k presentKeys) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Prev, k.Notes, k.Jump} }

// unshadowed leaves out of groups the bindings whose every key the
// presentation takes (ML's p), so help stays true.
func (p *presenter) unshadowed(groups [][]key.Binding) [][]key.Binding {
	taken := map[string]bool{}
	for _, b := range p.keys.ShortHelp() {
		for _, k := range b.Keys() {
			taken[k] = true
		}
	}
	out := make([][]key.Binding, 0, len(groups))
	for _, g := range groups {
		var kept []key.Binding
		for _, b := range g {
			if !slices.ContainsFunc(b.Keys(), func(k string) bool { return !taken[k] }) {
				continue
			}
			kept = append(kept, b)
		}
		out = append(out, kept)
	}
	return out
}

// presenter is the presentation's state: the steps, the one shown, the
// timer and the step picker.
type presenter struct {
	keys  presentKeys
	tick  func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	pr    pipeline.Presentation
	steps []pipeline.Step
	// ends are the planned end of each step from the talk's start.
	ends            []time.Duration
	talk, questions time.Duration
	at              int
	notes           bool
	// picking shows the step picker (g); pick is its cursor.
	picking bool
	pick    int
	// start is the first tick once ready; now the latest; spent the time
	// each step was shown.
	started    bool
	start, now time.Time
	spent      []time.Duration
}

func newPresenter(tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd) *presenter {
	if tick == nil {
		tick = tea.Tick
	}
	return &presenter{keys: newPresentKeys(), tick: tick}
}

// load takes the project's presentation (Info.Presentation).
func (p *presenter) load(pr pipeline.Presentation) {
	if len(pr.Steps) == 0 {
		pr.Steps = pipeline.DefaultSteps()
	}
	p.pr, p.steps = pr, pr.Steps
	p.talk, p.questions = pr.TalkLength(), pr.QuestionsLength()
	p.ends, p.spent = make([]time.Duration, len(p.steps)), make([]time.Duration, len(p.steps))
	var end time.Duration
	for i, s := range p.steps {
		end += s.Length()
		p.ends[i] = end
	}
	p.at = 0
}

// next schedules the timer's next tick.
func (p *presenter) next() tea.Cmd {
	return p.tick(tickEvery, func(t time.Time) tea.Msg { return presentTickMsg{at: t} })
}

// advance moves the timer to t: the first tick starts the talk; the time
// since the last goes to the step shown.
func (p *presenter) advance(t time.Time) {
	switch {
	case !p.started:
		p.started, p.start, p.now = true, t, t
	case t.After(p.now):
		p.spent[p.at] += t.Sub(p.now)
		p.now = t
	}
}

// elapsed is the talk's time so far.
func (p *presenter) elapsed() time.Duration { return p.now.Sub(p.start) }

// level is the timer's color: amber when the step runs past its planned
// end or under two minutes are left, red once the talk ran over.
func (p *presenter) level() timerLevel {
	e, last := p.elapsed(), p.at == len(p.steps)-1
	switch {
	case e >= p.talk+p.questions, e >= p.talk && !last:
		return timerOver
	case e >= p.talk:
		if p.talk+p.questions-e < lateMargin {
			return timerLate
		}
		return timerOK
	case p.stepLate(), p.talk-e < lateMargin:
		return timerLate
	}
	return timerOK
}

// stepLate reports the shown step running past its planned end during
// the talk (after it, the countdown says more).
func (p *presenter) stepLate() bool {
	e := p.elapsed()
	return p.steps[p.at].Length() > 0 && e > p.ends[p.at] && e < p.talk
}

// mmss formats a duration as m:ss.
func mmss(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = -d
	}
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// timerText is the countdown: the talk's time left, then the questions',
// then how far over; with the shown step's time against its plan.
func (p *presenter) timerText(short bool) string {
	e := p.elapsed()
	var phase string
	switch {
	case e < p.talk:
		phase = "Talk " + mmss(p.talk-e)
	case e < p.talk+p.questions:
		phase = "Questions " + mmss(p.talk+p.questions-e)
	default:
		phase = "over by " + mmss(e-p.talk-p.questions)
	}
	glyph := map[timerLevel]string{timerOK: "⏱", timerLate: "⚠", timerOver: "✗"}[p.level()]
	text := glyph + " " + phase
	if short {
		return text
	}
	step := "step " + mmss(p.spent[p.at])
	if l := p.steps[p.at].Length(); l > 0 {
		step += "/" + mmss(l)
	}
	if p.stepLate() {
		step += " late"
	}
	return text + " · " + step
}

// timerView is the countdown's part of the status bar, at most width
// cells.
func (m *Model) timerView(width int) string {
	p, st := m.present, m.sh.styles
	style := st.StatusValue
	switch p.level() {
	case timerLate:
		style = st.TimerWarn
	case timerOver:
		style = st.TimerBad
	}
	text := " " + p.timerText(false) + " "
	if lipgloss.Width(text) > width/2 {
		text = " " + p.timerText(true) + " "
	}
	return style.Render(text)
}

// presenting reports that presentation mode drives the screen.
func (m *Model) presenting() bool { return m.present != nil && m.ready && m.err == nil }

// presentKey takes the presentation's keys; ok is false for keys the
// rest of the app should get. A view that captures keys (an editor) keeps
// them: esc leaves it first.
func (m *Model) presentKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	p := m.present
	if !m.presenting() || m.showHelp || m.views[m.active].Capturing() {
		return nil, false
	}
	if p.picking {
		s := msg.String()
		switch {
		case s == "esc" || s == "g":
			p.picking = false
		case s == "up" || s == "k":
			p.pick = max(0, p.pick-1)
		case s == "down" || s == "j":
			p.pick = min(len(p.steps)-1, p.pick+1)
		case s == "enter":
			p.picking = false
			return m.goStep(p.pick), true
		case len(s) == 1 && s[0] >= '1' && s[0] <= '9':
			if n := int(s[0] - '1'); n < len(p.steps) {
				p.picking = false
				return m.goStep(n), true
			}
		case s == "q" || s == "ctrl+c":
			return nil, false
		}
		return nil, true
	}
	switch {
	case key.Matches(msg, p.keys.Next):
		if p.at == len(p.steps)-1 {
			return flash("that was the last step: over to the questions", false), true
		}
		return m.goStep(p.at + 1), true
	case key.Matches(msg, p.keys.Prev):
		if p.at == 0 {
			return nil, true
		}
		return m.goStep(p.at - 1), true
	case key.Matches(msg, p.keys.Notes):
		p.notes = !p.notes
		m.setSize(m.width, m.height)
		return nil, true
	case key.Matches(msg, p.keys.Jump):
		p.picking, p.pick = true, p.at
		return nil, true
	}
	return nil, false
}

// goStep shows step i: its view, and in it what the step selects.
func (m *Model) goStep(i int) tea.Cmd {
	p := m.present
	p.at = max(0, min(len(p.steps)-1, i))
	s := p.steps[p.at]
	var cmd tea.Cmd
	for id, role := range roles {
		if role == s.View {
			m.active = viewID(id)
			if sel, ok := m.views[id].(Selector); ok {
				cmd = sel.Select(s.Select)
			}
		}
	}
	m.setSize(m.width, m.height)
	return cmd
}

// captionHeight is the rows the caption bar takes.
func (m *Model) captionHeight() int {
	if !m.presenting() {
		return 0
	}
	return len(m.captionLines(m.width))
}

// notesRows is how many rows the presenter's notes may take.
func (m *Model) notesRows() int { return max(2, min(6, (m.height-16)/3)) }

// captionLines are the caption bar's rows: the step, its title and
// presenter; its caption (two rows at most); the next steps on the
// closing step; the notes when p shows them.
func (m *Model) captionLines(width int) []string {
	p, st := m.present, m.sh.styles
	s := p.steps[p.at]
	row := func(text string) string { return st.Caption.Render(fit(text, width)) }
	inner := max(10, width-3)

	left := fmt.Sprintf(" ▶ %d/%d  %s", p.at+1, len(p.steps), s.Title)
	who := ""
	if s.Presenter != "" {
		who = "presents " + s.Presenter
	}
	right := who
	if p.pr.Team != "" {
		right = strings.TrimPrefix(who+" · "+p.pr.Team, " · ")
	}
	var first string
	switch {
	case lipgloss.Width(left)+lipgloss.Width(right)+3 <= width:
		gap := width - lipgloss.Width(left) - lipgloss.Width(right) - 1
		first = st.CaptionTitle.Render(left) + st.Caption.Render(strings.Repeat(" ", gap)+right+" ")
	case who != "":
		first = st.CaptionTitle.Render(cut(left+" · "+s.Presenter, width)) + st.Caption.Render(strings.Repeat(" ", max(0, width-lipgloss.Width(cut(left+" · "+s.Presenter, width)))))
	default:
		first = st.CaptionTitle.Render(fit(left, width))
	}
	lines := []string{first}
	lines = append(lines, clamp(wrapLines(s.Caption, inner), 2, row, "   ")...)
	if s.ID == "next_steps" || p.at == len(p.steps)-1 {
		var next []string
		for _, n := range p.pr.NextSteps {
			for i, l := range wrapLines(n, inner-2) {
				next = append(next, map[bool]string{true: "• ", false: "  "}[i == 0]+l)
			}
		}
		lines = append(lines, clamp(next, max(3, m.notesRows()+1), row, "   ")...)
	}
	if p.notes {
		notes := s.Notes
		if notes == "" {
			notes = "no notes for this step: add notes: to it under presentation.steps in lakebench.yml"
		}
		wrapped := wrapLines("✎ "+notes, inner)
		for _, l := range clamp(wrapped, m.notesRows(), func(s string) string { return s }, "   ") {
			lines = append(lines, st.Notes.Render(fit(l, width)))
		}
	}
	return lines
}

// wrapLines wraps text to width; no rows for no text.
func wrapLines(text string, width int) []string {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	return strings.Split(wrapText(text, width), "\n")
}

// clamp keeps at most n rows, the last cut with an ellipsis when some were
// dropped, each indented and rendered by row.
func clamp(lines []string, n int, row func(string) string, indent string) []string {
	var out []string
	for i, l := range lines {
		if i == n-1 && len(lines) > n {
			l = strings.TrimRight(l, " ") + " …"
		}
		if i == n {
			break
		}
		out = append(out, row(indent+l))
	}
	return out
}

// pickerView lists the steps for g: each with its view, presenter, plan
// and time spent; a digit or enter jumps.
func (m *Model) pickerView(height int) string {
	p, st := m.present, m.sh.styles
	inner := m.width - st.PanelActive.GetHorizontalFrameSize()
	lines := []string{st.Muted.Render("1-9 or ↑/↓ enter jumps · esc closes"), ""}
	// Columns: step, title, presenter, planned (its end), spent, view.
	rows := [][]string{{"", "step", "by", "plan", "ends", "spent", "shows"}}
	for i, s := range p.steps {
		where := s.View
		if s.Select != "" {
			where += " · " + s.Select
		}
		plan, end := "—", "—"
		if s.Length() > 0 {
			plan, end = mmss(s.Length()), mmss(p.ends[i])
		}
		title := s.Title
		if i == p.at {
			title += " (now)"
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), title, s.Presenter, plan, end, mmss(p.spent[i]), where})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for c, cell := range r {
			widths[c] = max(widths[c], lipgloss.Width(cell))
		}
	}
	widths[1] = min(widths[1], max(12, inner-2-widths[0]-widths[2]-widths[3]-widths[4]-widths[5]-12)) // the title gives way first
	format := func(r []string) string {
		cells := make([]string, len(r))
		for c, cell := range r {
			if c == 0 || c >= 3 && c <= 5 {
				cells[c] = right(cell, widths[c])
			} else {
				cells[c] = fit(cell, widths[c])
			}
		}
		return strings.Join(cells, "  ")
	}
	lines = append(lines, "  "+st.Header.Render(format(rows[0])))
	start, end := window(len(p.steps), p.pick, height-5)
	for i := start; i < end; i++ {
		mark := "  "
		if i == p.pick {
			mark = st.Selected.Render("▸ ")
		}
		line := format(rows[i+1])
		if i == p.at {
			line = st.Subtitle.Render(line)
		}
		lines = append(lines, cut(mark+line, inner))
	}
	return panel(st.PanelActive, fmt.Sprintf("steps · %s", mmss(p.talk)+" talk"), lines, m.width, height)
}
