package tui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// Selector is a view that can show what a presentation step names (its
// Select): the root calls Select when a step switches to the view. A name
// the view does not know is kept, so data loaded later can still show it,
// and otherwise ignored.
type Selector interface {
	Select(what string) tea.Cmd
}

// panelIndex is the index of the panel called name, ignoring case, or -1.
func panelIndex(names []string, name string) int {
	for i, n := range names {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// Select shows a panel (architecture, lineage, catalog, targets, sla,
// cost, audit) or a table in Lineage; "" is the Architecture panel.
func (a *architect) Select(what string) tea.Cmd {
	a.want = ""
	if what == "" {
		what = architectPanelNames[panelArchitecture]
	}
	if i := panelIndex(architectPanelNames[:], what); i >= 0 {
		a.panel = i
	} else {
		a.panel, a.want = panelLineage, what
		a.pickTable()
	}
	if a.panel == panelTargets {
		return a.loadTargets()
	}
	return a.loadObserved()
}

// pickTable moves the cursor to the table Select asked for, once the
// catalog has it.
func (a *architect) pickTable() {
	for i, t := range a.tables() {
		if strings.EqualFold(t.Name, a.want) {
			a.cursor, a.want = i, ""
			return
		}
	}
}

// Select shows a right-hand panel (layers, quality, runs, log, profiles,
// health, tests); "" is Layers. A quarantine drilled into closes.
func (e *engineer) Select(what string) tea.Cmd {
	if what == "" {
		what = engineerPanelNames[panelLayers]
	}
	i := panelIndex(engineerPanelNames[:], what)
	if i < 0 {
		return nil
	}
	e.drill, e.panel = nil, i
	return e.loadPanel()
}

// Select shows a registered model's champion (else its latest version)
// with its metrics; "" is the first model.
func (v *mlview) Select(what string) tea.Cmd {
	v.want, v.mode = what, mlDetail
	if what == "" {
		v.want = firstModel
	}
	if v.state == nil || !v.pickModel() {
		return nil
	}
	return v.selectionMoved()
}

// firstModel is Select's want for the list's first model.
const firstModel = "\x00"

// pickModel moves the cursor to the model Select asked for, on its
// champion's row, once the registry read shows it; it reports whether it
// moved.
func (v *mlview) pickModel() bool {
	if v.want == "" {
		return false
	}
	name := v.want
	if name == firstModel && len(v.rows) > 0 {
		name = v.rows[0].model
	}
	m := v.model(name)
	if m == nil {
		return false
	}
	v.want = ""
	c, ok := m.Aliases[aliasChampion]
	for i, r := range v.rows {
		if r.model == m.Name && (!ok && r.version == 0 || ok && r.version == c) {
			v.cursor = i
			break
		}
	}
	return true
}

// Select shows the dashboards ("" or "dashboards"), one dashboard by name,
// or a pane (results, catalog, history, alerts); never the editor, which
// would take the presentation's keys.
func (v *analyst) Select(what string) tea.Cmd {
	v.want = ""
	if what == "" {
		what = paneNames[paneDash]
	}
	if i := panelIndex(paneNames[:], what); i >= 0 && i != paneEditor {
		return v.focusPane(i)
	}
	v.want = what
	v.pickBoard()
	return v.focusPane(paneDash) // loads the shown board's tiles
}

// pickBoard turns to the dashboard Select asked for, once the boards are
// laid out; the caller shows it.
func (v *analyst) pickBoard() {
	if v.want == "" || v.boards == nil {
		return
	}
	for i, n := range v.boards.names {
		if strings.EqualFold(n, v.want) {
			v.boards.at, v.want = i, ""
			return
		}
	}
}
