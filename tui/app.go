// Package tui is lakebench's terminal UI: a Bubble Tea app with one view per
// team role (Architect, Engineer, ML, Analyst), a status bar and help. It
// reaches the lakehouse and the project only through the Backend interface
// and never sees SQL; all work that takes time runs in tea.Cmds.
package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// viewID names a role view; it is also the owner of the messages a view's
// commands send back.
type viewID int

const (
	architectView viewID = iota
	engineerView
	mlView
	analystView
	viewCount
)

// roles are the team roles of the views, in tab order.
var roles = [viewCount]string{"architect", "engineer", "ml", "analyst"}

// titles are the tabs' names.
var titles = [viewCount]string{"Architect", "Engineer", "ML", "Analyst"}

// view is what every role view implements; the root hands it keys only when
// it is focused, and the messages its own commands produce always.
type view interface {
	help.KeyMap
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
	// SetSnapshot hands the view freshly loaded data; the view may ask
	// for more (what it shows that Load leaves out).
	SetSnapshot(s *Snapshot) tea.Cmd
	// Busy reports work in flight that quitting must cancel first.
	Busy() bool
	// Capturing reports that the view takes every key (a modal, an editor).
	Capturing() bool
}

// ctrlCTaker is a view that takes ctrl+c, while TakesCtrlC, to cancel its
// running work instead of quitting.
type ctrlCTaker interface{ TakesCtrlC() bool }

// ownedMsg is a message for one view, wherever the focus is.
type ownedMsg interface{ owner() viewID }

// shared is what the root and the views share: backend, theme, clock and
// the current data. Views read it; the root writes it.
type shared struct {
	backend Backend
	styles  Styles
	now     clock
	info    Info
	target  string
	snap    *Snapshot
}

// Messages the root handles.
type (
	prepareStepMsg struct {
		line string
		ch   <-chan tea.Msg
	}
	prepareDoneMsg struct {
		info Info
		err  error
	}
	loadedMsg struct {
		target string
		snap   *Snapshot
		err    error
	}
	// sizesMsg carries the table sizes of a snapshot (Backend.Sizes).
	sizesMsg struct {
		snap  *Snapshot
		sizes map[string]int64
		err   error
	}
	// reloadMsg asks the root to load the current target again.
	reloadMsg struct{}
	// flashMsg shows a line in the footer until the next key.
	flashMsg struct {
		text string
		err  bool
	}
	// cancelMsg tells every view to cancel its work (the user quits).
	cancelMsg struct{}
	clockMsg  struct{}
	// stampMsg is the state of a target's file (Backend.Stamp).
	stampMsg struct {
		target, stamp string
	}
)

// Options configures New.
type Options struct {
	// Now is the clock; nil means time.Now. Tests fix it.
	Now func() time.Time
	// Present opens presentation mode (lakebench demo): the project's
	// presentation (Info.Presentation) walked step by step with a caption
	// bar and the talk's countdown.
	Present bool
	// Theme is a name of Themes; "" is the default.
	Theme string
	// Tick schedules the presentation timer's ticks; nil means tea.Tick.
	// Tests give one that schedules nothing and send presentTickMsg.
	Tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

// Model is the root model: tabs, status bar, help and the role views.
type Model struct {
	sh     *shared
	keys   KeyMap
	help   help.Model
	spin   spinner.Model
	views  [viewCount]view
	active viewID
	width  int
	height int
	ready  bool
	steps  []string
	err    error
	flash  flashMsg
	// stamp is the target's file as the last reload on the clock found
	// it (Backend.Stamp).
	stamp    string
	showHelp bool
	quitting bool
	// present is presentation mode's state (present.go); nil outside it.
	present *presenter
}

// New builds the root model over a backend. Nothing is read until Init's
// command runs, so the first frame draws at once.
func New(b Backend, opts Options) *Model {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	styles, err := NewStylesFor(opts.Theme)
	if err != nil {
		styles = NewStyles() // the command line checks the name first
	}
	sh := &shared{backend: b, styles: styles, now: now}
	m := &Model{sh: sh, keys: NewKeyMap(), help: help.New(), width: 80, height: 24}
	if opts.Present {
		m.present = newPresenter(opts.Tick)
	}
	m.help.Styles = sh.styles.Help
	m.spin = spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(sh.styles.Running))
	m.views = [viewCount]view{
		newArchitect(sh),
		newEngineer(sh),
		newMLView(sh),
		newAnalyst(sh),
	}
	m.setSize(m.width, m.height)
	return m
}

// Run starts the program on the terminal and blocks until the user quits.
// NO_COLOR turns colors off.
func Run(ctx context.Context, b Backend) error { return RunWith(ctx, b, Options{}) }

// RunWith is Run with options: presentation mode, a theme.
func RunWith(ctx context.Context, b Backend, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	p := tea.NewProgram(New(b, opts), tea.WithAltScreen(), tea.WithContext(ctx))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// Init starts preparing the project in the background.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{prepare(m.sh.backend), m.spin.Tick, clockTick()}
	if m.present != nil {
		cmds = append(cmds, m.present.next())
	}
	return tea.Batch(cmds...)
}

// prepare runs Backend.Prepare and streams its steps.
func prepare(b Backend) tea.Cmd {
	ch := make(chan tea.Msg, 64)
	return func() tea.Msg {
		go func() {
			info, err := b.Prepare(context.Background(), func(line string) { ch <- prepareStepMsg{line: line, ch: ch} })
			ch <- prepareDoneMsg{info: info, err: err}
			close(ch)
		}()
		return <-ch
	}
}

func waitFor(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// load reads a target in the background.
func load(b Backend, target string) tea.Cmd {
	return func() tea.Msg {
		s, err := b.Load(context.Background(), target)
		return loadedMsg{target: target, snap: s, err: err}
	}
}

// loadSizes measures the table sizes of a loaded snapshot in the
// background.
func loadSizes(b Backend, s *Snapshot) tea.Cmd {
	target := s.Target
	return func() tea.Msg {
		sizes, err := b.Sizes(context.Background(), target)
		return sizesMsg{snap: s, sizes: sizes, err: err}
	}
}

func clockTick() tea.Cmd {
	return tea.Tick(15*time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// Update handles global keys, then hands keys to the focused view and
// owned messages to their owner; other messages (ticks) go to every view.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		return m, nil
	case tea.KeyMsg:
		m.flash = flashMsg{}
		if cmd, ok := m.presentKey(msg); ok {
			return m, cmd
		}
		if cmd, ok := m.globalKey(msg); ok {
			return m, cmd
		}
		if m.ready && !m.showHelp {
			return m, m.views[m.active].Update(msg)
		}
		return m, nil
	case prepareStepMsg:
		m.steps = append(m.steps, msg.line)
		return m, waitFor(msg.ch)
	case prepareDoneMsg:
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.sh.info, m.sh.target, m.ready = msg.info, msg.info.Target, true
		var step tea.Cmd
		if m.present != nil {
			m.present.load(msg.info.Presentation)
			step = m.goStep(0)
		}
		return m, tea.Batch(step, load(m.sh.backend, m.sh.target))
	case presentTickMsg:
		if m.present == nil {
			return m, nil
		}
		if m.ready {
			m.present.advance(msg.at)
		}
		return m, m.present.next()
	case loadedMsg:
		if msg.target != m.sh.target {
			return m, nil
		}
		if msg.err != nil {
			m.flash = flashMsg{text: msg.err.Error(), err: true}
			return m, nil
		}
		m.sh.snap = msg.snap
		for _, v := range m.views {
			cmds = append(cmds, v.SetSnapshot(msg.snap))
		}
		if msg.snap.Sizes == nil {
			cmds = append(cmds, loadSizes(m.sh.backend, msg.snap))
		}
		return m, tea.Batch(cmds...)
	case sizesMsg:
		// A failure (a writer holds the file) leaves sizes unknown until
		// the next load asks again.
		if msg.snap == m.sh.snap && msg.err == nil {
			m.sh.snap.Sizes = msg.sizes
		}
		return m, nil
	case reloadMsg:
		return m, load(m.sh.backend, m.sh.target)
	case flashMsg:
		m.flash = msg
		return m, nil
	case clockMsg:
		// Now and then, reload if the target's file changed (a run from
		// another terminal): an idle TUI reads, and audits, nothing.
		if m.ready && !m.busy() {
			b, target := m.sh.backend, m.sh.target
			return m, tea.Batch(clockTick(), func() tea.Msg { return stampMsg{target: target, stamp: b.Stamp(target)} })
		}
		return m, clockTick()
	case stampMsg:
		if msg.target != m.sh.target || msg.stamp == m.stamp {
			return m, nil
		}
		m.stamp = msg.stamp
		return m, load(m.sh.backend, m.sh.target)
	case spinner.TickMsg:
		if msg.ID == m.spin.ID() {
			if m.ready {
				return m, nil
			}
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	case ownedMsg:
		cmds = append(cmds, m.views[msg.owner()].Update(msg))
		return m, tea.Batch(append(cmds, m.quitIfIdle())...)
	}
	for _, v := range m.views {
		cmds = append(cmds, v.Update(msg))
	}
	return m, tea.Batch(append(cmds, m.quitIfIdle())...)
}

// globalKey handles the keys that work in every view; ok is false for keys
// the focused view should get.
func (m *Model) globalKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	if msg.String() == "ctrl+c" {
		// A view cancels its own work with ctrl+c (a query) while it runs.
		if c, ok := m.views[m.active].(ctrlCTaker); ok && m.ready && !m.showHelp && c.TakesCtrlC() {
			return nil, false
		}
		return m.quit(), true
	}
	if m.err != nil && key.Matches(msg, m.keys.Quit) {
		return m.quit(), true
	}
	if m.ready && m.views[m.active].Capturing() {
		return nil, false
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit(), true
	case key.Matches(msg, m.keys.Help):
		m.showHelp = !m.showHelp
		return nil, true
	case m.showHelp && msg.String() == "esc":
		m.showHelp = false
		return nil, true
	case key.Matches(msg, m.keys.Views):
		m.active = viewID(msg.Runes[0] - '1')
		return nil, true
	case key.Matches(msg, m.keys.Next):
		m.active = (m.active + 1) % viewCount
		return nil, true
	case key.Matches(msg, m.keys.Prev):
		m.active = (m.active + viewCount - 1) % viewCount
		return nil, true
	case key.Matches(msg, m.keys.Target) && m.ready:
		return m.switchTarget(), true
	}
	return nil, false
}

func (m *Model) switchTarget() tea.Cmd {
	if m.busy() {
		return flash("a job is running: wait for it or press esc to cancel it, then switch targets", true)
	}
	names := m.sh.info.Targets
	if len(names) < 2 {
		return flash("this project has one target ("+m.sh.target+"); add targets to lakebench.yml", false)
	}
	for i, t := range names {
		if t.Name == m.sh.target {
			m.sh.target = names[(i+1)%len(names)].Name
			break
		}
	}
	return tea.Batch(load(m.sh.backend, m.sh.target), flash("target "+m.sh.target, false))
}

func flash(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return flashMsg{text: text, err: isErr} }
}

// quit cancels running work first; the last owned message then quits.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	if !m.busy() {
		return tea.Quit
	}
	m.flash = flashMsg{text: "canceling the running job before quitting…"}
	for _, v := range m.views {
		v.Update(cancelMsg{})
	}
	return nil
}

func (m *Model) quitIfIdle() tea.Cmd {
	if m.quitting && !m.busy() {
		return tea.Quit
	}
	return nil
}

func (m *Model) busy() bool {
	for _, v := range m.views {
		if v.Busy() {
			return true
		}
	}
	return false
}

// chrome is the rows the root draws around a view: tabs, status, footer.
const chrome = 3

func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	m.help.Width = w
	for _, v := range m.views {
		v.SetSize(w, max(0, h-chrome-m.captionHeight()))
	}
}

// View draws tabs, the focused view (or help, or the first-start progress),
// the status bar and the footer.
func (m *Model) View() string {
	if m.width < 20 || m.height < 6 {
		return "lakebench: make the terminal larger"
	}
	caption := m.captionHeight()
	bodyHeight := m.height - chrome - caption
	var body string
	switch {
	case m.err != nil:
		body = m.errorView(bodyHeight)
	case !m.ready:
		body = m.startView(bodyHeight)
	case m.showHelp:
		body = m.helpView(bodyHeight)
	case m.presenting() && m.present.picking:
		body = m.pickerView(bodyHeight)
	default:
		body = m.views[m.active].View()
	}
	rows := []string{m.tabsView()}
	if caption > 0 {
		rows = append(rows, m.captionLines(m.width)...)
	}
	rows = append(rows, body, m.statusView(), m.footerView())
	return lipgloss.JoinVertical(lipgloss.Left, rows...)
}

func (m *Model) tabsView() string {
	st := m.sh.styles
	render := func(owners bool) string {
		parts := make([]string, 0, viewCount)
		for i := range viewCount {
			label := string(rune('1'+i)) + " " + titles[i]
			if owners {
				if names := m.sh.info.Team[roles[i]]; len(names) > 0 {
					label += " · " + strings.Join(names, ", ")
				}
			}
			if i == m.active {
				parts = append(parts, st.TabActive.Render("▸"+label))
			} else {
				parts = append(parts, st.Tab.Render(" "+label))
			}
		}
		return strings.Join(parts, st.TabBar.Render("│"))
	}
	line := render(true)
	if lipgloss.Width(line) > m.width {
		line = render(false)
	}
	name := m.sh.info.Name
	if name == "" {
		name = "lakebench"
	}
	brand := st.Title.Render(" " + name + " ")
	if lipgloss.Width(line)+lipgloss.Width(brand) <= m.width {
		line += strings.Repeat(" ", m.width-lipgloss.Width(line)-lipgloss.Width(brand)) + brand
	}
	return fit(line, m.width)
}

func (m *Model) footerView() string {
	st := m.sh.styles
	if m.flash.text != "" {
		if m.flash.err {
			return fit(st.Error.Render(" ✗ "+m.flash.text), m.width)
		}
		return fit(st.Flash.Render(" › "+m.flash.text), m.width)
	}
	bindings := m.keys.ShortHelp()
	if m.presenting() && !m.showHelp && !m.views[m.active].Capturing() {
		// The presentation's keys take ←/→ from the views.
		return fit(" "+m.help.ShortHelpView(append(m.present.keys.ShortHelp(), m.keys.Views, m.keys.Help, m.keys.Quit)), m.width)
	}
	if m.ready && !m.showHelp {
		// A capturing view takes the global keys too: help leaves them out.
		if m.views[m.active].Capturing() {
			bindings = nil
		}
		bindings = append(m.views[m.active].ShortHelp(), bindings...)
	}
	return fit(" "+m.help.ShortHelpView(bindings), m.width)
}

// helpView lists every key of the view, also those that apply only at
// times (esc while a run goes on), then the global keys: groups of
// "key  what" laid out side by side while they fit, in rows below when not.
func (m *Model) helpView(height int) string {
	st := m.sh.styles
	groups := append(m.views[m.active].FullHelp(), m.keys.FullHelp()...)
	if m.presenting() {
		groups = append([][]key.Binding{m.present.keys.ShortHelp()}, m.present.unshadowed(groups)...)
	}
	lines := []string{st.Title.Render(titles[m.active] + " view keys"), ""}
	inner := m.width - st.PanelActive.GetHorizontalFrameSize()
	var blocks []string
	for _, g := range groups {
		keyWidth := 0
		for _, b := range g {
			keyWidth = max(keyWidth, lipgloss.Width(b.Help().Key))
		}
		var rows []string
		covered := func(k string) bool { // "→" is told by "←/→ panel"; "c" is not by "esc/ctrl+c"
			for _, o := range g {
				if ok := o.Help().Key; utf8.RuneCountInString(k) == 1 && ok != k && slices.Contains(strings.Split(ok, "/"), k) {
					return true
				}
			}
			return false
		}
		for _, b := range g {
			if b.Help().Key == "" || covered(b.Help().Key) {
				continue
			}
			row := st.Help.FullKey.Render(fmt.Sprintf("%-*s", keyWidth, b.Help().Key)) + "  " + st.Help.FullDesc.Render(b.Help().Desc)
			rows = append(rows, cut(row, inner-3))
		}
		if len(rows) > 0 {
			blocks = append(blocks, strings.Join(rows, "\n"))
		}
	}
	var row []string
	flush := func() {
		if len(row) > 0 {
			lines = append(lines, strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, row...), "\n")...)
			row = nil
		}
	}
	width := 0
	for _, b := range blocks {
		w := lipgloss.Width(b) + 3
		if width+w > inner && len(row) > 0 {
			flush()
			width = 0
		}
		row = append(row, lipgloss.NewStyle().PaddingRight(3).Render(b))
		width += w
	}
	flush()
	// The way out stays on screen: on a short terminal the keys are cut,
	// never the line that says how to close the help.
	if room := height - 2 - 2; len(lines) > room && room > 1 {
		lines = append(lines[:room-1], st.Muted.Render("… more keys on a taller terminal"))
	}
	lines = append(lines, "", st.Muted.Render("press ? or esc to close"))
	return panel(st.PanelActive, "help", lines, m.width, height)
}

func (m *Model) startView(height int) string {
	st := m.sh.styles
	lines := []string{st.Title.Render("lakebench"), st.Muted.Render("a laptop lakehouse for the data-engineering final project"), ""}
	if len(m.steps) == 0 {
		lines = append(lines, m.spin.View()+" opening the project…")
	}
	for i, s := range m.steps {
		mark := st.Good.Render("✓")
		if i == len(m.steps)-1 {
			mark = m.spin.View()
		}
		lines = append(lines, mark+" "+s)
	}
	if len(lines) > height-2 {
		lines = append(lines[:3], lines[len(lines)-(height-5):]...)
	}
	return panel(st.Panel, "starting", lines, m.width, height)
}

func (m *Model) errorView(height int) string {
	st := m.sh.styles
	lines := []string{st.Bad.Render("lakebench could not open the project"), ""}
	wrapped := lipgloss.NewStyle().Width(max(10, m.width-6)).Render(m.err.Error())
	lines = append(lines, strings.Split(wrapped, "\n")...)
	lines = append(lines, "", st.Muted.Render("press q to quit"))
	return panel(st.Panel, "error", lines, m.width, height)
}

// statusView is the bar of project, target, principal, last run,
// freshness and firing alerts; labels drop first when it is narrow.
func (m *Model) statusView() string {
	st := m.sh.styles
	// Presentation mode puts the talk's countdown first.
	timer, width := "", m.width
	if m.presenting() {
		timer = m.timerView(m.width)
		width -= lipgloss.Width(timer)
	}
	type item struct{ key, value string }
	in, snap, now := m.sh.info, m.sh.snap, m.sh.now()
	last, fresh := "—", "—"
	if snap != nil {
		switch {
		case snap.Missing:
			last = "never run"
		case len(snap.Runs) > 0:
			r := snap.Runs[0]
			at := r.EndedAt
			if at.IsZero() {
				at = r.StartedAt
			}
			last = statusGlyph(r.Status) + " " + r.Status + " " + ago(now, at) + " ago"
		}
		var newest time.Time
		for _, f := range snap.Freshness {
			if f.UpdatedAt.After(newest) {
				newest = f.UpdatedAt
			}
		}
		if !newest.IsZero() {
			fresh = ago(now, newest) + " old"
		}
	}
	principal := in.Principal
	if snap != nil && snap.Principal != "" {
		principal = snap.Principal
	}
	lastShort := last
	if snap != nil && !snap.Missing && len(snap.Runs) > 0 {
		r := snap.Runs[0]
		lastShort = statusGlyph(r.Status) + " " + r.Status // "data … old" still tells the time
	}
	items := []item{{"", in.Name}, {"target", m.sh.target}, {"as", principal}, {"last run", last}, {"data", fresh}, {"alerts", alertCount(snap)}}
	render := func(labels bool, skip map[int]bool) string {
		var parts []string
		for i, it := range items {
			if skip[i] || it.value == "" {
				continue
			}
			s := st.StatusValue.Render(it.value)
			if labels && it.key != "" {
				s = st.StatusKey.Render(it.key+" ") + s
			}
			parts = append(parts, s)
		}
		return st.Status.Render(" ") + strings.Join(parts, st.StatusSep.Render(" │ "))
	}
	// Narrower terminals lose, in turn: when the last run was, the project
	// name, the labels, and only then the principal.
	steps := []struct {
		labels, short bool
		skip          map[int]bool
	}{
		{true, false, nil}, {true, true, nil}, {true, true, map[int]bool{0: true}},
		{false, true, map[int]bool{0: true}}, {false, true, map[int]bool{0: true, 2: true}},
	}
	var line string
	for _, step := range steps {
		items[3].value = last
		if step.short {
			items[3].value = lastShort
		}
		line = render(step.labels, step.skip)
		if lipgloss.Width(line) <= width {
			break
		}
	}
	if w := lipgloss.Width(line); w < width {
		line += st.Status.Render(strings.Repeat(" ", width-w))
	}
	return timer + cut(line, width)
}

// alertCount is how many of the snapshot's alerts are TRIGGERED, "—"
// before the first load or when they could not be read (a principal
// without SELECT on sys.alert_history: not 0, which would say none fire).
func alertCount(s *Snapshot) string {
	if s == nil || s.Refused[RefusedAlerts] != "" {
		return "—"
	}
	return fmt.Sprint(triggered(s.Alerts))
}

// statusGlyph marks a run or task status without relying on color.
func statusGlyph(status string) string {
	switch status {
	case "succeeded":
		return "✓"
	case "failed", "crashed":
		return "✗"
	case "canceled":
		return "⊘"
	case "running":
		return "⟳"
	case "skipped":
		return "–"
	}
	return "·"
}
