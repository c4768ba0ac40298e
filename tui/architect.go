package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/lakehouse"
)

// The Architect view's panels.
const (
	panelArchitecture = iota
	panelLineage
	panelCatalog
	panelTargets
	panelSLA
	panelCost
	panelAudit
	architectPanels
)

var architectPanelNames = [architectPanels]string{"Architecture", "Lineage", "Catalog", "Targets", "SLA", "Cost", "Audit"}

// defaultFreshness is the freshness objective of a table that states none.
const defaultFreshness = 24 * time.Hour

// architectKeys are the Architect's keys: the panels' and the audit
// filter's.
type architectKeys struct {
	navKeys
	Filter key.Binding
}

type architect struct {
	sh     *shared
	keys   architectKeys
	width  int
	height int
	panel  int
	// cursor selects a table in Lineage and Catalog (shared, so the table
	// stays selected when switching between them).
	cursor int
	// others are the other targets' states, read when Targets is shown
	// (Backend.Targets) while othersOf was open; loading says a read is
	// under way.
	others   []TargetState
	othersOf string
	loading  bool
	// obs is what the observability panels read (architect_observe.go).
	obs architectObs
	// want is a table a presentation step selects, until the catalog
	// shows it (present_select.go).
	want string
}

// targetsMsg carries the other targets' states (Backend.Targets), read
// while target was open.
type targetsMsg struct {
	target string
	states []TargetState
	err    error
}

func (targetsMsg) owner() viewID { return architectView }

func newArchitect(sh *shared) *architect {
	a := &architect{sh: sh, keys: architectKeys{navKeys: newNavKeys(""),
		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))}}
	a.obs.filter = newFilterInput()
	a.obs.auditQuery.Limit = auditLimit
	return a
}

func (a *architect) SetSize(w, h int) { a.width, a.height = w, h }
func (a *architect) Busy() bool       { return false }
func (a *architect) Capturing() bool  { return a.obs.filter.Focused() }

func (a *architect) SetSnapshot(s *Snapshot) tea.Cmd {
	a.cursor = min(a.cursor, max(0, len(a.tables())-1))
	a.pickTable()
	if s != nil && s.Target != a.othersOf {
		a.others = nil
	}
	if a.panel == panelTargets && a.others == nil {
		return a.loadTargets()
	}
	a.obs.slaState.stale, a.obs.costState.stale, a.obs.auditState.stale = true, true, true
	return a.loadObserved()
}

// loadTargets reads the other targets' states in the background, once at
// a time.
func (a *architect) loadTargets() tea.Cmd {
	if a.loading || a.sh.snap == nil {
		return nil
	}
	a.loading = true
	b, target := a.sh.backend, a.sh.snap.Target
	return func() tea.Msg {
		states, err := b.Targets(context.Background(), target)
		return targetsMsg{target: target, states: states, err: err}
	}
}

func (a *architect) ShortHelp() []key.Binding {
	a.syncKeys()
	if a.obs.filter.Focused() {
		return []key.Binding{a.keys.Enter, a.keys.Back}
	}
	return []key.Binding{a.keys.Left, a.keys.Up, a.keys.Filter}
}

func (a *architect) FullHelp() [][]key.Binding {
	a.syncKeys()
	return [][]key.Binding{{a.keys.Left, a.keys.Right}, {a.keys.Up, a.keys.Down}, {a.keys.Filter, a.keys.Enter, a.keys.Back}}
}

func (a *architect) syncKeys() {
	sel := a.panel == panelLineage || a.panel == panelCatalog || a.panel == panelAudit
	a.keys.Up.SetEnabled(sel)
	a.keys.Down.SetEnabled(sel)
	a.keys.Up.SetHelp("↑/↓", "select table")
	if a.panel == panelAudit {
		a.keys.Up.SetHelp("↑/↓", "select event")
	}
	typing := a.obs.filter.Focused()
	a.keys.Filter.SetEnabled(a.panel == panelAudit && !typing)
	a.keys.Enter.SetEnabled(typing)
	a.keys.Enter.SetHelp("enter", "apply filter")
	a.keys.Back.SetEnabled(typing)
	a.keys.Back.SetHelp("esc", "keep the filter")
}

// Update moves between panels and tables; showing Targets reads the other
// targets again.
func (a *architect) Update(msg tea.Msg) tea.Cmd {
	if tm, ok := msg.(targetsMsg); ok {
		a.loading = false
		switch {
		case a.sh.snap == nil || tm.target != a.sh.snap.Target:
			a.others = nil // read for another target: read again when shown
			if a.panel == panelTargets {
				return a.loadTargets()
			}
		case tm.err != nil:
			return flash(tm.err.Error(), true)
		default:
			a.others, a.othersOf = tm.states, tm.target
		}
		return nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return a.observeUpdate(msg)
	}
	if a.obs.filter.Focused() {
		return a.filterKey(km)
	}
	a.syncKeys()
	switch {
	case key.Matches(km, a.keys.Left), key.Matches(km, a.keys.Right):
		step := 1
		if key.Matches(km, a.keys.Left) {
			step = architectPanels - 1
		}
		a.panel = (a.panel + step) % architectPanels
		if a.panel == panelTargets {
			return a.loadTargets()
		}
		return a.loadObserved()
	case key.Matches(km, a.keys.Filter):
		a.obs.filter.SetValue(a.obs.auditQuery.String())
		a.obs.filter.CursorEnd()
		return a.obs.filter.Focus()
	case a.panel == panelAudit && key.Matches(km, a.keys.Up):
		a.obs.auditCursor = max(0, a.obs.auditCursor-1)
	case a.panel == panelAudit && key.Matches(km, a.keys.Down):
		a.obs.auditCursor = max(0, min(len(a.obs.audit)-1, a.obs.auditCursor+1))
	case key.Matches(km, a.keys.Up):
		a.cursor = max(0, a.cursor-1)
	case key.Matches(km, a.keys.Down):
		a.cursor = max(0, min(len(a.tables())-1, a.cursor+1))
	}
	return nil
}

// tables are the catalog's tables (sys last), the list Lineage and Catalog
// select from.
func (a *architect) tables() []lakehouse.TableInfo {
	if a.sh.snap == nil {
		return nil
	}
	return a.sh.snap.Tables
}

// View draws the panel strip and the chosen panel.
func (a *architect) View() string {
	st := a.sh.styles
	strip := fit(" "+panelStrip(st, architectPanelNames[:], a.panel, a.width-1, "  "), a.width)
	h := a.height - 1
	if a.sh.snap == nil {
		return strip + "\n" + panel(st.Panel, "", []string{st.Muted.Render("loading…")}, a.width, h)
	}
	var body string
	switch a.panel {
	case panelArchitecture:
		body = a.architectureView(a.width, h)
	case panelLineage:
		body = a.lineageView(a.width, h)
	case panelCatalog:
		body = a.catalogView(a.width, h)
	case panelTargets:
		body = a.targetsView(a.width, h)
	case panelSLA:
		body = a.slaView(a.width, h)
	case panelCost:
		body = a.costView(a.width, h)
	case panelAudit:
		body = a.auditView(a.width, h)
	}
	return strip + "\n" + body
}

// architectureView draws the medallion flow of this project: sources,
// bronze, silver, gold, then models and dashboards, with arrows.
func (a *architect) architectureView(width, height int) string {
	st, s, in := a.sh.styles, a.sh.snap, a.sh.info
	inner := width - st.Panel.GetHorizontalFrameSize()
	cols := [][]string{nil, nil, nil, nil, nil}
	heads := []string{"landing", "bronze", "silver", "gold", "ml · bi"}
	arrow := " ─▶ "
	if width < 120 {
		arrow = "▶ "
	}
	cw := (inner - 4*lipgloss.Width(arrow)) / 5
	// flag marks a table with quarantined rows; a long name is cut, not
	// the mark.
	flag := func(name string) string { return cut(name, cw-1-lipgloss.Width(" ⚑")) + st.Warn.Render(" ⚑") }
	for _, src := range in.Sources {
		f := src.Format
		if f == "" {
			f = "file"
		}
		if wideArch := width >= 120; wideArch {
			cols[0] = append(cols[0], src.Name+" "+st.Muted.Render(f))
		} else {
			cols[0] = append(cols[0], src.Name)
		}
		cols[1] = append(cols[1], src.Name)
	}
	quar := map[string]bool{}
	for _, t := range s.Tables {
		if strings.HasSuffix(t.Table, "_quarantine") && t.Rows > 0 {
			quar[t.Schema+"."+strings.TrimSuffix(t.Table, "_quarantine")] = true
		}
	}
	for i, src := range in.Sources {
		if quar["bronze."+src.Name] {
			cols[1][i] = flag(cols[1][i])
		}
	}
	for _, m := range s.Models {
		schema, name, _ := strings.Cut(m.Table, ".")
		if quar[m.Table] {
			name = flag(name)
		}
		switch schema {
		case "silver":
			cols[2] = append(cols[2], name)
		case "gold":
			cols[3] = append(cols[3], name)
		default:
			cols[4] = append(cols[4], m.Table)
		}
	}
	for _, n := range in.RegisteredModels {
		cols[4] = append(cols[4], st.layer("ml").Render("◆ ")+n)
	}
	for _, n := range in.Dashboards {
		cols[4] = append(cols[4], st.Arrow.Render("▤ ")+n)
	}
	for _, n := range in.Alerts {
		cols[4] = append(cols[4], st.Warn.Render("! ")+n)
	}
	if len(cols[4]) == 0 {
		cols[4] = []string{st.Muted.Render("no models or"), st.Muted.Render("dashboards yet")}
	}
	rows := 0
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	var lines []string
	var head, rule strings.Builder
	for i, h := range heads {
		if i > 0 {
			head.WriteString(st.Arrow.Render(arrow))
			rule.WriteString(strings.Repeat(" ", lipgloss.Width(arrow)))
		}
		head.WriteString(st.layer(strings.Fields(h)[0]).Render(fit(strings.ToUpper(h), cw)))
		rule.WriteString(st.Muted.Render(strings.Repeat("─", cw)))
	}
	lines = append(lines, head.String(), rule.String())
	for r := 0; r < rows; r++ {
		var b strings.Builder
		for i, c := range cols {
			if i > 0 {
				if r < len(c) && r < len(cols[i-1]) {
					b.WriteString(st.Arrow.Render(arrow))
				} else {
					b.WriteString(strings.Repeat(" ", lipgloss.Width(arrow)))
				}
			}
			cell := ""
			if r < len(c) {
				cell = c[r]
			}
			b.WriteString(fit(cell, cw-1) + " ")
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, rule.String(), a.layerTotals(cw, arrow))
	lines = append(lines, "")
	summary := fmt.Sprintf("%s → %d bronze → %d silver → %s → %s (◆), %s (▤), %s (!) · %s · ⚑ has quarantined rows",
		plural(len(cols[0]), "source"), len(cols[1]), len(cols[2]), plural(len(cols[3]), "gold table"),
		plural(len(in.RegisteredModels), "model"), plural(len(in.Dashboards), "dashboard"), plural(len(in.Alerts), "alert"),
		plural(len(s.Quality), "quality check"))
	lines = append(lines, strings.Split(lipgloss.NewStyle().Width(inner).Render(st.Muted.Render(summary)), "\n")...)
	if in.Problem != "" {
		lines = append(lines, "")
		lines = append(lines, strings.Split(lipgloss.NewStyle().Width(inner).Render(st.Subtitle.Render("Question: ")+in.Problem), "\n")...)
	}
	// Tall screens get the team and each layer's numbers too, each only
	// when it fits whole.
	room := height - st.Panel.GetVerticalFrameSize()
	team, compact := a.teamLines(inner), a.teamLine(inner)
	switch {
	case len(team) > 0 && len(lines)+1+len(team) <= room:
		lines = append(append(lines, ""), team...)
	case compact != "" && len(lines)+2 <= room:
		lines = append(lines, "", compact)
	}
	if layers := a.layerLines(inner); len(lines)+1+len(layers) <= room {
		lines = append(append(lines, ""), layers...)
	}
	return panel(st.Panel, in.Name+" · target "+s.Target, lines, width, height)
}

// layerStat is one layer's numbers: tables (quarantine tables apart), rows,
// quarantined rows and bytes.
type layerStat struct {
	tables           int
	rows, quar, size int64
	// est and quarEst say a sum holds one of DuckDB's estimates.
	est, quarEst bool
}

// layerStats sums the catalog per schema.
func (a *architect) layerStats() map[string]*layerStat {
	out := map[string]*layerStat{}
	for _, t := range a.sh.snap.Tables {
		ls := out[t.Schema]
		if ls == nil {
			ls = &layerStat{}
			out[t.Schema] = ls
		}
		ls.size += a.sh.snap.Sizes[t.Name]
		if strings.HasSuffix(t.Table, "_quarantine") {
			ls.quar += t.Rows
			ls.quarEst = ls.quarEst || t.Estimated
			continue
		}
		ls.tables++
		ls.rows += t.Rows
		ls.est = ls.est || t.Estimated
	}
	return out
}

// landingFiles counts the files in every source's landing folder.
func (a *architect) landingFiles() int {
	n := 0
	for _, f := range a.sh.snap.Landing {
		n += f
	}
	return n
}

// layerTotals is the diagram's bottom row: files or rows under each column.
func (a *architect) layerTotals(cw int, arrow string) string {
	st := a.sh.styles
	stats := a.layerStats()
	rows := func(schema string) string {
		if ls := stats[schema]; ls != nil {
			return approx(thousands(ls.rows), ls.est) + " rows"
		}
		return "—"
	}
	cells := []string{plural(a.landingFiles(), "file"), rows("bronze"), rows("silver"), rows("gold"), rows("ml")}
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", lipgloss.Width(arrow)))
		}
		b.WriteString(st.Muted.Render(fit(c, cw)))
	}
	return b.String()
}

// roleViews says what each role does here, for the team list.
var roleViews = [viewCount]string{
	"architecture, lineage, catalog, targets, SLA",
	"jobs, runs, layers, quality and quarantine",
	"models: training, metrics, registry, scoring",
	"SQL, results, charts, dashboards, alerts",
}

// teamLines lists the team by role with what each role's view is for.
func (a *architect) teamLines(width int) []string {
	st, team := a.sh.styles, a.sh.info.Team
	if len(team) == 0 {
		return nil
	}
	lines := []string{st.Subtitle.Render("Team")}
	for i, role := range roles {
		names := strings.Join(team[role], ", ")
		if names == "" {
			names = st.Muted.Render("nobody yet")
		}
		lines = append(lines, cut(fit(role, 11)+fit(names, 14)+st.Muted.Render(fmt.Sprintf("%d %s view: %s", i+1, titles[i], roleViews[i])), width))
	}
	return lines
}

// teamLine is the team on one line, for screens without room for the list.
func (a *architect) teamLine(width int) string {
	st, team := a.sh.styles, a.sh.info.Team
	var parts []string
	for _, role := range roles {
		if names := team[role]; len(names) > 0 {
			parts = append(parts, st.Muted.Render(role+" ")+strings.Join(names, ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return cut(st.Subtitle.Render("Team: ")+strings.Join(parts, st.Muted.Render(" · ")), width)
}

// layerLines is a table of every layer: tables, rows, quarantined rows and
// size, with the landing zone's files first.
func (a *architect) layerLines(width int) []string {
	st := a.sh.styles
	stats := a.layerStats()
	nw := 12
	lines := []string{st.Subtitle.Render("Layers"),
		cut(st.Header.Render(fit("layer", 11))+st.Header.Render(right("tables", 8))+st.Header.Render(right("rows", nw))+
			st.Header.Render(right("quarantined", nw+2))+st.Header.Render(right("size", 10)), width)}
	var ingested int64
	for _, f := range a.sh.snap.Ingested {
		ingested += f.Files
	}
	landing := st.layer("landing").Render(fit("landing", 11)) + right("", 8) + right(plural(a.landingFiles(), "file"), nw) +
		st.Muted.Render("  from "+plural(len(a.sh.info.Sources), "source"))
	if pending := int64(a.landingFiles()) - ingested; pending > 0 && a.sh.snap.Refused[RefusedIngested] == "" {
		landing += st.Warn.Render(fmt.Sprintf(", %d not loaded yet", pending))
	}
	lines = append(lines, cut(landing, width))
	for _, schema := range lakehouse.Schemas {
		ls := stats[schema]
		if ls == nil || schema == "sys" {
			continue
		}
		quar := right("—", nw+2)
		if ls.quar > 0 {
			quar = st.Warn.Render(right(approx(thousands(ls.quar), ls.quarEst), nw+2))
		}
		size := "—"
		if ls.size > 0 {
			size = "~" + bytesHuman(ls.size)
		}
		lines = append(lines, cut(st.layer(schema).Render(fit(schema, 11))+right(fmt.Sprint(ls.tables), 8)+right(approx(thousands(ls.rows), ls.est), nw)+
			quar+right(size, 10), width))
	}
	return lines
}

// selectList draws the table list Lineage and Catalog share.
func (a *architect) selectList(width, height int) []string {
	st := a.sh.styles
	tables := a.tables()
	if len(tables) == 0 {
		return []string{st.Muted.Render("no tables yet: run the job (Engineer view, r)")}
	}
	start, end := window(len(tables), a.cursor, height)
	var lines []string
	for i := start; i < end; i++ {
		t := tables[i]
		mark, name := "  ", fit(t.Name, width-2-9)
		if i == a.cursor {
			mark, name = st.Selected.Render("▸ "), st.Selected.Render(name)
		}
		lines = append(lines, mark+name+st.Muted.Render(right(approx(thousands(t.Rows), t.Estimated), 9)))
	}
	return lines
}

func (a *architect) split(width int) (int, int) {
	lw := min(48, max(34, width*9/20))
	return lw, width - lw
}

// lineageView shows the selected table's upstream and downstream.
func (a *architect) lineageView(width, height int) string {
	st := a.sh.styles
	lw, rw := a.split(width)
	left := panel(st.Panel, "tables", a.selectList(lw-4, height-2), lw, height)
	tables := a.tables()
	var lines []string
	title := "lineage"
	if len(tables) > 0 {
		t := tables[a.cursor]
		title = "lineage · " + t.Name
		up, down := a.lineage()
		kinds := map[string]string{}
		for _, m := range a.sh.snap.Models {
			kinds[m.Table] = kindTag(m.Kind)
		}
		for _, m := range a.sh.snap.Models {
			if m.Table == t.Name {
				title += " · " + kinds[m.Table]
				lines = append(lines, cut(st.Muted.Render("built by "+m.Path+", ")+kindLong(m.Kind), rw-4), "")
			}
		}
		lines = append(lines, st.Subtitle.Render("upstream")+st.Muted.Render(" (what it is built from)"))
		lines = append(lines, tree(st, up, t.Name, "◂ ", rw-4, kinds)...)
		lines = append(lines, "", st.Subtitle.Render("downstream")+st.Muted.Render(" (what reads it)"))
		lines = append(lines, tree(st, down, t.Name, "▸ ", rw-4, kinds)...)
	}
	right := panel(st.PanelActive, title, lines, rw, height)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, right)
}

// lineage maps each table to what it reads (up) and what reads it (down):
// models from their SELECTs, bronze tables from their landing paths.
func (a *architect) lineage() (up, down map[string][]string) {
	up, down = map[string][]string{}, map[string][]string{}
	add := func(from, to string) {
		up[to] = append(up[to], from)
		down[from] = append(down[from], to)
	}
	if l := a.sh.snap.Lineage; l != nil {
		for to, froms := range l.Up {
			for _, from := range froms {
				add(from, to)
			}
		}
	}
	for _, t := range a.sh.snap.Tables {
		if strings.HasSuffix(t.Table, "_quarantine") {
			base := t.Schema + "." + strings.TrimSuffix(t.Table, "_quarantine")
			if _, ok := up[t.Name]; !ok {
				add(base, t.Name)
			}
		}
	}
	for _, m := range []map[string][]string{up, down} {
		for k := range m {
			sort.Strings(m[k])
		}
	}
	return up, down
}

// tree draws edges from node as an indented tree, each model tagged with
// its kind (kinds, by table).
func tree(st Styles, edges map[string][]string, node, glyph string, width int, kinds map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n, prefix string)
	walk = func(n, prefix string) {
		kids := edges[n]
		for i, k := range kids {
			branch, next := "├─", "│ "
			if i == len(kids)-1 {
				branch, next = "└─", "  "
			}
			schema, _, _ := strings.Cut(k, ".")
			name := st.layer(schema).Render(k)
			if tag := kinds[k]; tag != "" {
				name += st.Muted.Render(" " + tag)
			}
			if kind, rest, ok := strings.Cut(k, ":"); ok {
				name = st.layer("ml").Render(rest) + st.Muted.Render(" "+kind)
				if kind == "landing" {
					name = st.layer("landing").Render(rest) + st.Muted.Render(" landing files")
				}
			}
			if seen[k] {
				out = append(out, cut(st.Muted.Render(prefix+branch)+" "+name+st.Muted.Render(" (above)"), width))
				continue
			}
			seen[k] = true
			out = append(out, cut(st.Muted.Render(prefix+branch)+st.Arrow.Render(glyph)+name, width))
			walk(k, prefix+next)
		}
	}
	walk(node, "")
	if len(out) == 0 {
		out = append(out, st.Muted.Render("  (none)"))
	}
	return out
}

// catalogView shows the selected table's catalog entry and columns.
func (a *architect) catalogView(width, height int) string {
	st, s := a.sh.styles, a.sh.snap
	lw, rw := a.split(width)
	left := panel(st.Panel, "catalog", a.selectList(lw-4, height-2), lw, height)
	tables := a.tables()
	var lines []string
	title := "table"
	if len(tables) > 0 {
		t := tables[a.cursor]
		title = t.Name
		val := func(v string) string {
			if v == "" {
				return st.Muted.Render("—")
			}
			return v
		}
		size := "—"
		if n, ok := s.Sizes[t.Name]; ok && n > 0 {
			size = "~" + bytesHuman(n)
		}
		updated := "—"
		if !t.UpdatedAt.IsZero() {
			updated = t.UpdatedAt.Format("2006-01-02 15:04") + " (" + ago(a.sh.now(), t.UpdatedAt) + " ago)"
		}
		rows := thousands(t.Rows)
		if t.Estimated {
			rows = "~" + rows + st.Muted.Render(" (DuckDB's estimate)")
		}
		kv := [][2]string{
			{"schema", t.Schema}, {"table", t.Table}, {"layer", val(t.Layer)}, {"owner", val(t.Owner)},
			{"domain", val(t.Domain)}, {"rows", rows}, {"size", size}, {"updated", updated},
		}
		for _, p := range kv {
			lines = append(lines, st.Muted.Render(fit(p[0], 9))+p[1])
		}
		if t.Description != "" {
			lines = append(lines, st.Muted.Render(fit("about", 9))+cut(t.Description, rw-4-9))
		}
		lines = append(lines, "", st.Header.Render(fit("column", 24))+" "+st.Header.Render("type"))
		room := height - 2 - len(lines)
		for i, c := range t.Columns {
			if i == room-1 && len(t.Columns) > room {
				lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d more columns", len(t.Columns)-i)))
				break
			}
			lines = append(lines, fit(c.Name, 24)+" "+st.Muted.Render(c.Type))
		}
	}
	right := panel(st.PanelActive, title, lines, rw, height)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, right)
}

// targetsView puts the targets side by side and marks what differs.
func (a *architect) targetsView(width, height int) string {
	st, s, in := a.sh.styles, a.sh.snap, a.sh.info
	inner := width - st.Panel.GetHorizontalFrameSize()
	state := map[string]TargetState{}
	for _, t := range append(append([]TargetState(nil), a.others...), s.Targets...) {
		state[t.Name] = t
	}
	labelW := 12
	n := max(1, len(in.Targets))
	cw := max(10, (inner-labelW-2)/n)
	rowsOf := func(t TargetInfo) map[string]string {
		ts := state[t.Name]
		data, last := "not run yet", "—"
		if !ts.Loaded {
			data, last = "reading…", "reading…"
		}
		if ts.Exists {
			data = approx(thousands(ts.Rows), ts.Estimated) + " rows"
			if ts.Err != "" {
				data = ts.Err
			}
			if ts.LastRun.RunID != "" {
				last = statusGlyph(ts.LastRun.Status) + " " + ts.LastRun.Status + " " + ago(a.sh.now(), ts.LastRun.StartedAt) + " ago"
			}
		}
		def := ""
		if t.Default {
			def = "yes"
		}
		bundle, deployed := "—", "never"
		switch d := ts.Deployed; {
		case !ts.Loaded:
			bundle, deployed = "reading…", "reading…"
		case ts.DeployHidden:
			bundle, deployed = "not shown", "not shown"
		case d.BundleHash != "":
			// The first 8 hex digits of the content hash tell bundles
			// apart here; `lakebench bundle diff` shows them whole.
			bundle = d.ContentHash[:min(8, len(d.ContentHash))]
			switch {
			case bundle == "":
				bundle = "unknown (old)"
			case d.ContentHash == in.Content:
				bundle += " (current)"
			default:
				bundle += " (older)"
			}
			deployed = ago(a.sh.now(), d.DeployedAt) + " ago by " + d.Principal
		}
		return map[string]string{"scale": t.Scale, "mode": t.Mode, "runs as": t.Identity, "default": def,
			"permissions": strings.Join(t.Permissions, ", "),
			"database":    t.Name + ".duckdb", "data": data, "last run": last, "bundle": bundle, "deployed": deployed}
	}
	fields := []string{"scale", "mode", "runs as", "permissions", "default", "database", "bundle", "deployed", "data", "last run"}
	var head strings.Builder
	head.WriteString(fit("", labelW+2))
	vals := make([]map[string]string, len(in.Targets))
	for i, t := range in.Targets {
		vals[i] = rowsOf(t)
		name := t.Name
		if t.Name == a.sh.target {
			name = "▸" + name + " (open)"
		}
		head.WriteString(st.Subtitle.Render(fit(name, cw-1)) + " ")
	}
	lines := []string{head.String(), st.Muted.Render(strings.Repeat("─", min(inner, labelW+2+cw*n)))}
	for _, f := range fields {
		differs := false
		for i := range vals {
			if vals[i][f] != vals[0][f] {
				differs = true
			}
		}
		mark := "  "
		if differs {
			mark = st.Warn.Render("≠ ")
		}
		var b strings.Builder
		b.WriteString(mark + st.Muted.Render(fit(f, labelW)))
		for i := range vals {
			v := vals[i][f]
			if v == "" {
				v = st.Muted.Render("—")
			}
			b.WriteString(fit(v, cw-1) + " ")
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, "", cut("promotion: "+promotionPath(in.Targets, state, in.Content), inner),
		st.Muted.Render("≠ marks what differs between targets · t switches the open target"))
	if n == 1 {
		lines = append(lines, st.Muted.Render(cut("one target so far: add staging and prod under targets: in lakebench.yml", inner)))
	}
	return panel(st.Panel, "targets", lines, width, height)
}

// promotionPath is the walk of the bundle as the files are now through
// the targets, in their order: "dev ✓ → staging ✓ → prod pending". A
// target is ✓ once the bundle's content is deployed there and its latest
// run since succeeded (✗ failed), "deployed" with no run yet, "pending"
// while it has other content or none, "?" when it cannot be read.
func promotionPath(targets []TargetInfo, state map[string]TargetState, content string) string {
	parts := make([]string, 0, len(targets))
	for _, t := range targets {
		ts := state[t.Name]
		mark := "pending"
		switch d := ts.Deployed; {
		case !ts.Loaded:
			mark = "…"
		case ts.DeployHidden || ts.Err != "":
			mark = "?"
		case d.ContentHash == "" || d.ContentHash != content:
		case ts.LastRun.RunID == "" || ts.LastRun.StartedAt.Before(d.DeployedAt):
			mark = "deployed"
		case ts.LastRun.Status == "succeeded":
			mark = "✓"
		case ts.LastRun.Status == "running":
			mark = "running"
		default:
			mark = "✗"
		}
		parts = append(parts, t.Name+" "+mark)
	}
	return strings.Join(parts, " → ")
}

// slaView shows the job success ratio and each table's freshness against
// its objective.
func (a *architect) slaView(width, height int) string {
	st, s := a.sh.styles, a.sh.snap
	inner := width - st.Panel.GetHorizontalFrameSize()
	now := a.sh.now()
	ratio := s.Stats.SuccessRatio()
	barW := max(10, min(40, inner-30))
	full := int(ratio*float64(barW) + 0.5)
	bar := st.Good.Render(strings.Repeat("█", full)) + st.Muted.Render(strings.Repeat("░", barW-full))
	lines := a.objectiveLines(inner)
	lines = append(lines, "", st.Subtitle.Render("job success")+st.Muted.Render(" (sys.runs, every job)"))
	if msg := s.Refused[RefusedRuns]; msg != "" {
		// No figure at all rather than "0 of 0 runs succeeded".
		lines = append(lines, refusedLines(st, msg, inner, 4)...)
	} else {
		lines = append(lines, fmt.Sprintf("%s %3.0f%%  %d of %d runs succeeded", bar, ratio*100, s.Stats.Succeeded, s.Stats.Runs-s.Stats.Running))
	}
	if other := s.Stats.Failed + s.Stats.Canceled + s.Stats.Crashed; other > 0 {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("failed %d · canceled %d · crashed %d", s.Stats.Failed, s.Stats.Canceled, s.Stats.Crashed)))
	}
	lines = append(lines, "", st.Subtitle.Render("freshness")+st.Muted.Render(fmt.Sprintf(" (objective from quality_monitors, else %s)", duration(defaultFreshness))))
	tw := min(30, inner/2)
	lines = append(lines, st.Header.Render(fit("table", tw))+st.Header.Render(right("updated", 13))+st.Header.Render(right("age", 6))+st.Header.Render(right("SLO", 6))+"  "+st.Header.Render("status"))
	fresh := append([]lakehouse.Freshness(nil), s.Freshness...)
	sort.SliceStable(fresh, func(i, j int) bool { return layerRank(fresh[i].Table) < layerRank(fresh[j].Table) })
	room := height - 2 - len(lines)
	late := 0
	for i, f := range fresh {
		age := now.Sub(f.UpdatedAt)
		objective, set := s.Objectives[f.Table]
		if !set {
			objective = defaultFreshness
		}
		status := st.Good.Render("✓ on time")
		if age > objective {
			status = st.Bad.Render("✗ late")
			late++
		}
		slo := duration(objective)
		if !set {
			slo = st.Muted.Render(right(slo, 6))
		}
		if i < room-1 || len(fresh) <= room {
			lines = append(lines, fit(f.Table, tw)+right(f.UpdatedAt.Format("01-02 15:04"), 13)+right(ago(now, f.UpdatedAt), 6)+right(slo, 6)+"  "+status)
		}
	}
	if len(fresh) > room {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d more tables, %d late in all", len(fresh)-room+1, late)))
	}
	switch msg := s.Refused[RefusedFreshness]; {
	case len(fresh) == 0 && msg != "":
		lines = append(lines, refusedLines(st, msg, inner, 4)...)
	case len(fresh) == 0:
		lines = append(lines, st.Muted.Render("no table written yet"))
	}
	return panel(st.Panel, "SLA · target "+s.Target, lines, width, height)
}

// layerRank orders tables by medallion layer: bronze, silver, gold, ml, sys.
func layerRank(table string) int {
	schema, _, _ := strings.Cut(table, ".")
	for i, s := range lakehouse.Schemas {
		if s == schema {
			return i
		}
	}
	return len(lakehouse.Schemas)
}
