package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/chart"
)

// View draws the pane bar, then the panes: the catalog beside the editor
// and the lower pane on large screens, the focused pane alone on small
// ones.
func (v *analyst) View() string {
	if v.width <= 0 || v.height <= 1 {
		return ""
	}
	h := v.height - 1
	return v.paneBar() + "\n" + v.body(v.width, h)
}

// body lays out the panes in width x height.
func (v *analyst) body(width, height int) string {
	if !v.tall() || (!v.wide() && v.focus == paneCatalog) {
		return v.pane(v.focus, width, height)
	}
	main := width
	var side string
	if v.sidebarShown() {
		sw := v.sideWidth()
		side = v.pane(paneCatalog, sw, height)
		main -= sw
	}
	var col string
	if v.focus == paneDash {
		col = v.pane(paneDash, main, height)
	} else {
		eh := v.editorHeight(height)
		col = lipgloss.JoinVertical(lipgloss.Left, v.pane(paneEditor, main, eh), v.pane(v.lower, main, height-eh))
	}
	if side == "" {
		return col
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, side, col)
}

// sideWidth is the catalog sidebar's width.
func (v *analyst) sideWidth() int { return min(40, max(28, v.width/4)) }

// lowerSize is the size of the pane under the editor (alone on small
// screens).
func (v *analyst) lowerSize() (int, int) {
	h := v.height - 1
	if !v.tall() {
		return v.width, h
	}
	w := v.width
	if v.sidebarShown() {
		w -= v.sideWidth()
	}
	return w, h - v.editorHeight(h)
}

// resultBodySize is the size a result's grid or chart is drawn in: the
// results pane less its frame, tab strip and export line.
func (v *analyst) resultBodySize() (int, int) {
	w, h := v.lowerSize()
	fr := v.sh.styles.Panel
	w, h = w-fr.GetHorizontalFrameSize(), h-fr.GetVerticalFrameSize()
	if v.run != nil && len(v.run.tabs) > 1 {
		h--
	}
	if v.prompting || v.exp != nil {
		h--
	}
	return max(1, w), max(1, h)
}

// editorHeight is the editor's share of a main column height rows tall:
// more while it has the focus.
func (v *analyst) editorHeight(height int) int {
	if v.focus == paneEditor {
		return max(8, height*45/100)
	}
	return max(7, height*35/100)
}

// pane draws pane p in exactly width x height.
func (v *analyst) pane(p, width, height int) string {
	switch p {
	case paneEditor:
		return v.editorView(width, height)
	case paneResults:
		return v.resultsView(width, height)
	case paneCatalog:
		return v.catalogView(width, height)
	case paneDash:
		return v.dashView(width, height)
	case paneHistory:
		return v.historyView(width, height)
	}
	return v.alertsView(width, height)
}

// frame is the panel style of pane p: the accent border has the focus.
func (v *analyst) frame(p int) lipgloss.Style {
	if v.focus == p {
		return v.sh.styles.PanelActive
	}
	return v.sh.styles.Panel
}

// paneBar names every pane with its key, the focused one marked; it says
// also how many alerts fire.
func (v *analyst) paneBar() string {
	st := v.sh.styles
	var parts []string
	for p := range analystPanes {
		label := paneNames[p]
		if p == paneAlerts {
			if n := triggered(v.alerts); n > 0 {
				label += fmt.Sprintf(" %d!", n)
			}
		}
		k := v.keys.Panes[p].Help().Key
		if p == v.focus {
			parts = append(parts, st.TabActive.Render("▸"+k+" "+label))
		} else {
			parts = append(parts, st.Help.ShortKey.Render(" "+k)+st.Tab.UnsetPadding().Render(" "+label+" "))
		}
	}
	line := strings.Join(parts, "")
	if lipgloss.Width(line) > v.width {
		// Narrow: the keys alone, the focused pane named.
		parts = parts[:0]
		for p := range analystPanes {
			k := v.keys.Panes[p].Help().Key
			if p == v.focus {
				parts = append(parts, st.TabActive.Render("▸"+k+" "+paneNames[p]))
			} else {
				parts = append(parts, st.Help.ShortKey.Render(" "+k+" ")+st.Muted.Render(paneNames[p][:3]))
			}
		}
		line = strings.Join(parts, "")
	}
	return fit(line, v.width)
}

// triggered counts the alerts in state TRIGGERED.
func triggered(alerts []pipeline.AlertStatus) int {
	n := 0
	for _, a := range alerts {
		if a.State == pipeline.AlertTriggered {
			n++
		}
	}
	return n
}

// resultsView is the result tabs of the latest run: a strip of tabs when
// there are several, the shown tab's grid, chart or error, and a line for
// the export prompt or progress.
func (v *analyst) resultsView(width, height int) string {
	st := v.sh.styles
	fr := v.frame(paneResults)
	inner := width - fr.GetHorizontalFrameSize()
	room := height - fr.GetVerticalFrameSize()
	t := v.currentTab()
	if t == nil {
		lines := []string{st.Muted.Render("no results yet")}
		lines = append(lines, wrapped(st.Muted, "write a query in the editor (f2) and run it with ctrl+j; "+
			"p in the catalog (f6) previews a table, enter in the history (f8) runs a past query again", inner)...)
		return panel(fr, "results", lines, width, height)
	}
	var top []string
	if len(v.run.tabs) > 1 {
		top = append(top, v.tabStrip(inner))
	}
	var bottom []string
	if line := v.exportLine(inner); line != "" {
		bottom = append(bottom, line)
	}
	bw, bh := v.resultBodySize()
	body := v.tabBody(t, bw, bh)
	lines := append(top, strings.Split(body, "\n")...)
	lines = append(lines[:min(len(lines), room-len(bottom))], bottom...)
	return panel(fr, v.resultTitle(t), lines, width, height)
}

// resultTitle says what the shown tab is: its rows (so far), how long it
// took, its sort and filter.
func (v *analyst) resultTitle(t *resultTab) string {
	title := "results"
	if len(v.run.tabs) > 1 {
		title += fmt.Sprintf(" %d/%d", v.tab+1, len(v.run.tabs))
	}
	n, done := t.rows()
	switch t.status {
	case tabRunning:
		title += " · " + v.spin.View() + " running " + duration(v.sh.now().Sub(t.started))
		switch {
		case t.cur != nil && t.grid.Previewing():
			// The first page is a preview while the execution sorts
			// (lakehouse/live_preview.go).
			title += " · first page previewed, sorting"
		case t.cur != nil:
			title += " · " + thousands(n) + " rows so far"
		}
		// The read lock goes once the result is complete (workspace_analyst.go).
		return title + " · esc cancels · holds the target's file: other processes cannot write it until done"
	case tabError:
		return title + " · ✗ error"
	case tabCanceled:
		title += " · ⊘ canceled"
	case tabWaiting, tabSkipped:
		return title + " · " + t.status
	}
	if t.cur != nil {
		more := ""
		if !done {
			more = "+"
		}
		title += " · " + thousands(n) + more + " rows"
		if n == 1 && done {
			title = strings.TrimSuffix(title, "s")
		}
		if t.status != tabRunning && !t.ended.IsZero() {
			title += " in " + duration(t.ended.Sub(t.started))
		}
	}
	if t.where != "" {
		title += " · where " + t.where
	}
	if t.deriving != "" {
		title += " · " + t.deriving + "ing…"
	}
	return title
}

// tabStrip names each tab by its number and status.
func (v *analyst) tabStrip(width int) string {
	st := v.sh.styles
	var parts []string
	for i, t := range v.run.tabs {
		label := fmt.Sprintf("%d ", i+1)
		switch t.status {
		case tabOK:
			n, _ := t.rows()
			label += "✓ " + compactCount(n)
		case tabRunning:
			label += "⟳"
		case tabError:
			label += "✗"
		case tabCanceled:
			label += "⊘"
		default:
			label += "·"
		}
		if i == v.tab {
			parts = append(parts, st.TabActive.Render("▸"+label))
		} else {
			parts = append(parts, st.Tab.Render(label))
		}
	}
	return fit(strings.Join(parts, st.TabBar.Render("│")), width)
}

// tabBody draws the shown tab: its error, its grid or its chart.
func (v *analyst) tabBody(t *resultTab, width, height int) string {
	st := v.sh.styles
	var lines []string
	switch t.status {
	case tabError:
		lines = append(lines, wrapped(st.Error, t.err, width)...)
		hint := "fix the query and run it again (ctrl+j)"
		if t.errPos >= 0 {
			hint = "the editor marks where DuckDB points; " + hint
		}
		lines = append(lines, "", st.Muted.Render(hint))
		return block(lines, width, height)
	case tabSkipped:
		return block([]string{st.Muted.Render("not run: a statement before it failed or was canceled")}, width, height)
	case tabWaiting:
		return block([]string{st.Muted.Render("waiting for the statements before it")}, width, height)
	}
	if t.cur == nil {
		if t.status == tabCanceled {
			return block([]string{st.Warn.Render("⊘ canceled after " + duration(t.ended.Sub(t.started)) + ", before its first rows"),
				st.Muted.Render("the history says canceled; ctrl+j runs it again")}, width, height)
		}
		return block([]string{st.Muted.Render("running… esc cancels")}, width, height)
	}
	if t.charted {
		return v.chartView(t, width, height)
	}
	t.grid.SetSize(width, height)
	return t.grid.View()
}

// exportLine is the export's path prompt or its progress.
func (v *analyst) exportLine(width int) string {
	st := v.sh.styles
	switch {
	case v.prompting:
		v.prompt.Width = max(1, width-lipgloss.Width(v.prompt.Prompt)-1)
		return v.prompt.View()
	case v.exp != nil:
		return fit(st.Running.Render(v.spin.View()+" exporting to "+v.exp.path+" ("+v.exp.format+")… ")+
			thousands(v.exp.written)+" rows written · esc cancels", width)
	}
	return ""
}

// catalogView is the tree of schemas, tables (with row counts) and
// columns (with types).
func (v *analyst) catalogView(width, height int) string {
	st := v.sh.styles
	fr := v.frame(paneCatalog)
	inner := width - fr.GetHorizontalFrameSize()
	room := height - fr.GetVerticalFrameSize()
	var lines []string
	switch {
	case v.catErr != "":
		lines = append(lines, st.Bad.Render("✗ catalog unreadable"))
		lines = append(lines, wrapped(st.Muted, v.catErr, inner)...)
	case v.tables == nil:
		lines = append(lines, st.Muted.Render("reading the catalog…"))
	case len(v.tables) == 0:
		lines = append(lines, wrapped(st.Muted, "no tables the principal may read", inner)...)
	}
	at := 0
	for i, r := range v.catRows {
		if i == v.catCursor {
			at = len(lines)
		}
		lines = append(lines, v.catalogLine(r, i == v.catCursor && v.focus == paneCatalog, inner))
	}
	if len(lines) > room {
		start, end := window(len(lines), at, room)
		lines = lines[start:end]
	}
	title := "catalog"
	if len(v.tables) > 0 {
		title += " · " + plural(len(v.tables), "table")
	}
	return panel(fr, title, lines, width, height)
}

func (v *analyst) catalogLine(r catalogRow, selected bool, width int) string {
	st := v.sh.styles
	mark := "  "
	if selected {
		mark = st.Selected.Render("▸ ")
	}
	switch {
	case r.table < 0:
		open := "+"
		if v.open[r.schema] {
			open = "−"
		}
		n := 0
		for _, t := range v.tables {
			if t.Schema == r.schema {
				n++
			}
		}
		return fit(mark+open+" "+st.layer(r.schema).Render(r.schema)+st.Muted.Render(fmt.Sprintf(" %d", n)), width)
	case r.column < 0:
		t := v.tables[r.table]
		open := "+"
		if v.open[t.Name] {
			open = "−"
		}
		rows := compactCount(t.Rows)
		if t.Estimated {
			rows = "~" + rows
		}
		name := t.Table
		if selected {
			name = st.Selected.Render(name)
		}
		return fit(mark+"  "+open+" "+name, width-len(rows)-1) + " " + st.Muted.Render(rows)
	}
	c := v.tables[r.table].Columns[r.column]
	name := c.Name
	if selected {
		name = st.Selected.Render(name)
	}
	typ := strings.ToLower(c.Type)
	typW := min(len(typ), max(4, width/3))
	return fit(mark+"      "+name, width-typW-1) + " " + st.Muted.Render(cut(typ, typW))
}

// historyView lists past queries, newest first: status, when, who, rows,
// how long and the SQL; the selected one's whole SQL below.
func (v *analyst) historyView(width, height int) string {
	st := v.sh.styles
	fr := v.frame(paneHistory)
	inner := width - fr.GetHorizontalFrameSize()
	room := height - fr.GetVerticalFrameSize()
	var lines []string
	if v.searching || v.search.Value() != "" {
		v.search.Width = max(1, inner-2)
		lines = append(lines, v.search.View())
	}
	switch {
	case v.histErr != "":
		lines = append(lines, st.Bad.Render("✗ history unreadable"))
		lines = append(lines, wrapped(st.Muted, v.histErr, inner)...)
	case v.history == nil && v.histLoading:
		lines = append(lines, st.Muted.Render("reading the history…"))
	case len(v.history) == 0 && v.search.Value() != "":
		lines = append(lines, st.Muted.Render("no query contains “"+v.search.Value()+"”"))
	case len(v.history) == 0:
		lines = append(lines, st.Muted.Render("no queries yet: write one in the editor (f2) and run it with ctrl+j"))
	}
	list := room - len(lines)
	var detail []string
	if v.histCursor < len(v.history) && room >= 12 {
		r := v.history[v.histCursor]
		detail = append(detail, st.Muted.Render(strings.Repeat("─", inner)))
		sqlLines := strings.Split(strings.TrimSpace(r.SQL), "\n")
		detail = append(detail, sqlLines[:min(len(sqlLines), max(1, room/4))]...)
		if r.Error != "" {
			detail = append(detail, wrapped(st.Error, r.Error, inner)...)
		}
		if r.Note != "" {
			detail = append(detail, wrapped(st.Muted, r.Note, inner)...)
		}
		detail = detail[:min(len(detail), room/2)]
		list -= len(detail)
	}
	start, end := window(len(v.history), v.histCursor, max(1, list))
	for i := start; i < end; i++ {
		lines = append(lines, v.historyLine(i, inner))
	}
	lines = append(lines, detail...)
	title := "history"
	if len(v.history) > 0 {
		title += " · " + queries(len(v.history))
	}
	return panel(fr, title, lines, width, height)
}

func (v *analyst) historyLine(i, width int) string {
	st := v.sh.styles
	r := v.history[i]
	mark := "  "
	if i == v.histCursor && v.focus == paneHistory {
		mark = st.Selected.Render("▸ ")
	}
	glyph := st.Good.Render("✓")
	switch r.Status {
	case "error":
		glyph = st.Bad.Render("✗")
	case "canceled":
		glyph = st.Warn.Render("⊘")
	}
	sql := strings.Join(strings.Fields(r.SQL), " ")
	meta := fmt.Sprintf("%4s %-8s %9s %6s ", ago(v.sh.now(), r.Started), cut(r.Principal, 8), compactCount(r.Rows), duration(r.Duration))
	if width < 70 {
		meta = fmt.Sprintf("%4s %7s ", ago(v.sh.now(), r.Started), compactCount(r.Rows))
	}
	return fit(mark+glyph+" "+st.Muted.Render(meta)+sql, width)
}

// alertsView lists the bundle's alerts with their state, and the selected
// one's history.
func (v *analyst) alertsView(width, height int) string {
	st := v.sh.styles
	fr := v.frame(paneAlerts)
	inner := width - fr.GetHorizontalFrameSize()
	room := height - fr.GetVerticalFrameSize()
	var lines []string
	switch {
	case v.alertErr != "":
		lines = append(lines, st.Bad.Render("✗ alerts unreadable"))
		lines = append(lines, wrapped(st.Muted, v.alertErr, inner)...)
	case len(v.sh.info.Alerts) == 0:
		lines = append(lines, wrapped(st.Muted, "no alerts: add one under resources.alerts in lakebench.yml", inner)...)
	case v.alerts == nil:
		lines = append(lines, st.Muted.Render("reading the alerts…"))
	}
	for i, a := range v.alerts {
		mark := "  "
		if i == v.alertCursor && v.focus == paneAlerts {
			mark = st.Selected.Render("▸ ")
		}
		name := a.Alert
		if a.DisplayName != "" && inner >= 70 {
			name += st.Muted.Render(" · " + a.DisplayName)
		}
		when := "never"
		if !a.At.IsZero() {
			when = ago(v.sh.now(), a.At) + " ago"
		}
		value := shortValue(a.Value)
		if a.Op != "" {
			value += " " + a.Op + " " + shortValue(a.Threshold)
		}
		rw := min(inner/2, lipgloss.Width(value)+len(when)+3)
		lines = append(lines, fit(mark+v.stateTag(a.State)+" "+name, inner-rw-1)+" "+st.Muted.Render(right(value+" · "+when, rw)))
	}
	if v.alertCursor < len(v.alerts) {
		a := v.alerts[v.alertCursor]
		lines = append(lines, "", st.Subtitle.Render(a.Alert)+st.Muted.Render(" · history, newest first"))
		if msg := a.Message; msg != "" {
			lines = append(lines, wrapped(st.Muted, msg, inner)...)
		}
		if a.Error != "" {
			lines = append(lines, wrapped(st.Error, a.Error, inner)...)
		}
		for _, e := range a.History {
			if len(lines) >= room {
				break
			}
			line := fmt.Sprintf("%s %s %s", e.At.Format("01-02 15:04"), v.stateTag(e.State), shortValue(e.Value))
			if e.Op != "" {
				line += " " + e.Op + " " + shortValue(e.Threshold)
			}
			if e.RunID != "" {
				line += st.Muted.Render(" · after run " + e.RunID)
			} else {
				line += st.Muted.Render(" · on demand")
			}
			if e.NotifyError != "" {
				line += st.Error.Render(" · notify failed: " + e.NotifyError)
			} else if e.Notified {
				line += st.Muted.Render(" · notified")
			}
			lines = append(lines, line)
		}
		if len(a.History) == 0 {
			lines = append(lines, st.Muted.Render("never evaluated: c checks it now, a job run does after"))
		}
	}
	title := "alerts"
	if n := triggered(v.alerts); n > 0 {
		title += fmt.Sprintf(" · %d triggered", n)
	}
	if v.checking {
		title += " · checking " + v.spin.View()
	}
	return panel(fr, title, lines, width, height)
}

// stateTag is an alert state with its glyph, readable without color.
func (v *analyst) stateTag(s pipeline.AlertState) string {
	st := v.sh.styles
	switch s {
	case pipeline.AlertTriggered:
		return st.Bad.Render("▲ TRIGGERED")
	case pipeline.AlertOK:
		return st.Good.Render("✓ OK       ")
	case pipeline.AlertError:
		return st.Error.Render("✗ ERROR    ")
	}
	return st.Muted.Render("· UNKNOWN  ")
}

// shortValue writes a number an alert compared in at most four
// significant digits (0.00016971205521298862 is 0.0001697); other values
// as they are.
func shortValue(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "xX") {
		return s
	}
	if g := strconv.FormatFloat(f, 'g', 4, 64); len(g) < len(s) {
		return g
	}
	return s
}

// chartView draws the tab's chart of its first rows, with a line saying
// what it draws and how to change it.
func (v *analyst) chartView(t *resultTab, width, height int) string {
	st := v.sh.styles
	c := t.chart
	switch {
	case c == nil || c.loading:
		return block([]string{st.Muted.Render("reading the rows to chart…")}, width, height)
	case c.err != "":
		return block(wrapped(st.Error, c.err, width), width, height)
	}
	head := c.spec.Kind.String()
	if c.spec.Kind != chart.KindNone {
		head += " chart"
	}
	if n, _ := t.rows(); n > int64(len(c.rows)) {
		head += fmt.Sprintf(" of the first %s of %s rows", thousands(int64(len(c.rows))), thousands(n))
	}
	head += " · c for the grid"
	c.picker.SetSize(width, 1)
	body := chart.DrawWith(v.chartStyles(), c.spec, c.cols, c.rows, width, max(1, height-2))
	return st.Muted.Render(fit(head, width)) + "\n" + fit(c.picker.View(), width) + "\n" + body
}

// chartStyles are the charts' styles from the theme.
func (v *analyst) chartStyles() chart.Styles {
	st := v.sh.styles
	return chart.Styles{Axis: st.Muted, Label: st.Muted, Muted: st.Muted, Series: []lipgloss.Style{st.Running, st.Warn},
		Bar: st.Arrow, Negative: st.Bad, Header: st.Subtitle, Hit: st.Good}
}

// queries counts queries: 1 query, 2 queries.
func queries(n int) string {
	if n == 1 {
		return "1 query"
	}
	return thousands(int64(n)) + " queries"
}
