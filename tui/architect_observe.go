package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/chart"
)

// The Architect view's observability panels (issue 11): the SLA report's
// objectives (on the SLA panel), cost by job, target and principal, and
// the audit trail with a filter. Each reads when shown, and again after a
// load while shown.

// auditLimit bounds the events the Audit panel reads, newest first.
const auditLimit = 500

// costGroups are the Cost panel's charts: usage summed by each.
var costGroups = []string{"job", "target", "principal"}

// Messages of the observability panels.
type (
	slaMsg struct {
		target string
		report *pipeline.SLAReport
		err    error
	}
	costMsg struct {
		target string
		by     map[string][]lakehouse.UsageSummary
		err    error
	}
	auditMsg struct {
		target string
		query  AuditQuery
		events []lakehouse.AuditEvent
		err    error
	}
)

func (slaMsg) owner() viewID   { return architectView }
func (costMsg) owner() viewID  { return architectView }
func (auditMsg) owner() viewID { return architectView }

// architectObs is what the Architect's observability panels read.
type architectObs struct {
	sla      *pipeline.SLAReport
	slaState observed

	cost      map[string][]lakehouse.UsageSummary
	costState observed

	audit       []lakehouse.AuditEvent
	auditState  observed
	auditQuery  AuditQuery
	auditCursor int
	// filter is the audit filter being typed (/), focused while typing.
	filter textinput.Model
}

func newFilterInput() textinput.Model {
	in := textinput.New()
	in.Cursor.SetMode(cursor.CursorStatic)
	in.Prompt = "filter: "
	in.Placeholder = "principal:ben action:SELECT table:orders (a bare word is a table); empty clears"
	return in
}

// loadObserved reads the shown panel's data when it is due.
func (a *architect) loadObserved() tea.Cmd {
	if a.sh.snap == nil {
		return nil
	}
	b, target := a.sh.backend, a.sh.target
	switch a.panel {
	case panelSLA:
		if !a.obs.slaState.due(target) {
			return nil
		}
		a.obs.slaState.loading = true
		return func() tea.Msg {
			r, err := b.SLA(context.Background(), target)
			return slaMsg{target: target, report: r, err: err}
		}
	case panelCost:
		if !a.obs.costState.due(target) {
			return nil
		}
		a.obs.costState.loading = true
		return func() tea.Msg {
			by := map[string][]lakehouse.UsageSummary{}
			for _, g := range costGroups {
				u, err := b.Usage(context.Background(), target, g)
				if err != nil {
					return costMsg{target: target, err: err}
				}
				by[g] = u
			}
			return costMsg{target: target, by: by}
		}
	case panelAudit:
		if !a.obs.auditState.due(target) {
			return nil
		}
		a.obs.auditState.loading = true
		q := a.obs.auditQuery
		return func() tea.Msg {
			ev, err := b.AuditTrail(context.Background(), target, q)
			return auditMsg{target: target, query: q, events: ev, err: err}
		}
	}
	return nil
}

// observeUpdate takes the observability panels' messages and the typed
// filter's keys.
func (a *architect) observeUpdate(msg tea.Msg) tea.Cmd {
	o := &a.obs
	switch msg := msg.(type) {
	case slaMsg:
		o.slaState.done(msg.target, msg.err)
		if msg.target != a.sh.target {
			o.slaState.stale = true
			return a.loadObserved()
		}
		o.sla = msg.report
	case costMsg:
		o.costState.done(msg.target, msg.err)
		if msg.target != a.sh.target {
			o.costState.stale = true
			return a.loadObserved()
		}
		o.cost = msg.by
	case auditMsg:
		o.auditState.done(msg.target, msg.err)
		if msg.target != a.sh.target || msg.query != o.auditQuery {
			o.auditState.stale = true
			return a.loadObserved()
		}
		o.audit = msg.events
		o.auditCursor = min(o.auditCursor, max(0, len(o.audit)-1))
	}
	return nil
}

// filterKey handles a key while the audit filter is typed: Enter applies
// it (reading the trail again), Esc leaves it as it was.
func (a *architect) filterKey(msg tea.KeyMsg) tea.Cmd {
	o := &a.obs
	switch msg.Type {
	case tea.KeyEsc:
		o.filter.Blur()
		return nil
	case tea.KeyEnter:
		o.filter.Blur()
		q := ParseAuditFilter(o.filter.Value())
		q.Limit = auditLimit
		if q != o.auditQuery {
			o.auditQuery, o.auditCursor = q, 0
			o.auditState.stale = true
		}
		return a.loadObserved()
	}
	var cmd tea.Cmd
	o.filter, cmd = o.filter.Update(msg)
	return cmd
}

// ParseAuditFilter reads an audit filter as typed: principal:NAME,
// action:NAME and table:NAME (or p:, a:, t:); a bare word is a table.
func ParseAuditFilter(text string) AuditQuery {
	var q AuditQuery
	for _, f := range strings.Fields(text) {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			k, v = "table", f
		}
		switch strings.ToLower(k) {
		case "principal", "p", "who":
			q.Principal = v
		case "action", "a":
			q.Action = v
		default:
			q.Table = v
		}
	}
	return q
}

// String is the filter as typed back: principal:ben action:SELECT.
func (q AuditQuery) String() string {
	var parts []string
	for _, p := range [][2]string{{"principal", q.Principal}, {"action", q.Action}, {"table", q.Table}} {
		if p[1] != "" {
			parts = append(parts, p[0]+":"+p[1])
		}
	}
	return strings.Join(parts, " ")
}

// objectiveLines are the SLA report's objectives against what was
// measured: met green, missed red, unknown (nothing measured) muted.
func (a *architect) objectiveLines(width int) []string {
	st, o := a.sh.styles, a.obs
	head := st.Subtitle.Render("objectives")
	if o.sla != nil && len(o.sla.Sources()) > 0 {
		head += st.Muted.Render(" (" + strings.Join(o.sla.Sources(), ", ") + ")")
	}
	lines := []string{head}
	switch {
	case !o.slaState.loaded:
		return append(lines, st.Muted.Render("measuring…"))
	case o.slaState.err != nil:
		return append(lines, notAvailable(st, o.slaState.err, width, 3)...)
	case o.sla == nil || len(o.sla.Objectives) == 0:
		return append(lines, st.Muted.Render(cut("no objectives: set sla (availability, freshness, rpo, rto) under the target", width)))
	}
	nw := min(34, max(16, width-46))
	lines = append(lines, st.Header.Render(fit("objective", nw))+st.Header.Render(right("target", 9))+st.Header.Render(right("observed", 11))+
		"  "+st.Header.Render(fit("status", 10))+st.Header.Render(fit(" how", max(0, width-nw-32))))
	missed := 0
	for _, ob := range o.sla.Objectives {
		status := st.Good.Render("✓ met")
		switch {
		case !ob.Known:
			status = st.Muted.Render("? unknown")
		case !ob.Met:
			status = st.Bad.Render("✗ missed")
			missed++
		}
		obs := ob.Observed
		if !ob.Known && obs == "" {
			obs = "—"
		}
		lines = append(lines, cut(fit(ob.Name, nw)+right(ob.Target, 9)+right(obs, 11)+"  "+fit(status, 10)+st.Muted.Render(" "+ob.Detail), width))
	}
	if missed > 0 {
		lines = append(lines, st.Bad.Render(plural(missed, "objective")+" missed"))
	}
	return lines
}

// costView draws the Cost panel: cost (usage × list price) by job, by
// target and by principal as bar charts, side by side on wide screens.
func (a *architect) costView(width, height int) string {
	st, o := a.sh.styles, a.obs
	inner := width - st.Panel.GetHorizontalFrameSize()
	room := height - st.Panel.GetVerticalFrameSize()
	title := "cost · target " + a.sh.target
	var lines []string
	switch {
	case !o.costState.loaded:
		lines = []string{st.Muted.Render("reading sys.usage…")}
	case o.costState.err != nil:
		lines = notAvailable(st, o.costState.err, inner, room)
	}
	if lines != nil {
		return panel(st.Panel, title, lines, width, height)
	}
	cst := chart.Styles{Axis: st.Muted, Label: st.Muted, Muted: st.Muted, Series: []lipgloss.Style{st.Running, st.Warn},
		Bar: st.Arrow, Negative: st.Bad, Header: st.Subtitle, Hit: st.Good}
	// Cost when any price is set, else the compute-seconds themselves.
	priced, currency, total, seconds := false, "", 0.0, 0.0
	for _, s := range o.cost["job"] {
		if s.Cost > 0 {
			priced = true
		}
		if s.Currency != "" {
			currency = s.Currency
		}
		total += s.Cost
		seconds += s.Quantity
	}
	value := func(s lakehouse.UsageSummary) float64 {
		if priced {
			return s.Cost
		}
		return s.Quantity
	}
	format := func(v float64) string {
		if priced {
			return lakehouse.Cost(v, currency)
		}
		return num(v) + " cs"
	}
	head := fmt.Sprintf("%s compute-seconds", num(seconds))
	if priced {
		head = fmt.Sprintf("%s for %s", lakehouse.Cost(total, currency), head)
	} else {
		head += " · no list price set (targets.<t>.price): bars show compute-seconds"
	}
	chartOf := func(by string, w, h int) []string {
		bars := make([]chart.Bar, 0, len(o.cost[by]))
		for _, s := range o.cost[by] {
			label := s.Key
			if label == "" {
				label = "(none)"
			}
			bars = append(bars, chart.Bar{Label: label, Value: value(s)})
		}
		c := chart.NewBars(cst)
		c.Format = format
		c.Empty = "no usage recorded yet"
		c.SetSize(w, max(1, h-1))
		c.SetBars(bars)
		return append([]string{st.Subtitle.Render("by " + by)}, strings.Split(c.View(), "\n")...)
	}
	lines = []string{cut(st.Muted.Render(head), inner), ""}
	avail := room - 2
	if inner >= 110 {
		// Side by side: three columns with a gap.
		cw := (inner - 4) / 3
		cols := make([][]string, len(costGroups))
		for i, g := range costGroups {
			cols[i] = chartOf(g, cw, avail)
		}
		for r := 0; r < avail; r++ {
			var b strings.Builder
			for i := range cols {
				if i > 0 {
					b.WriteString("  ")
				}
				cell := ""
				if r < len(cols[i]) {
					cell = cols[i][r]
				}
				b.WriteString(fit(cell, cw))
			}
			lines = append(lines, b.String())
		}
	} else {
		each := max(2, avail/len(costGroups))
		for _, g := range costGroups {
			lines = append(lines, chartOf(g, inner, each)...)
		}
	}
	return panel(st.Panel, title, lines, width, height)
}

// auditView draws the Audit panel: the trail newest first, filtered by
// principal, action and table (/), refusals in red, the selected event's
// detail below.
func (a *architect) auditView(width, height int) string {
	st, o := a.sh.styles, &a.obs
	inner := width - st.Panel.GetHorizontalFrameSize()
	room := height - st.Panel.GetVerticalFrameSize()
	title := "audit · target " + a.sh.target
	var lines []string
	if o.filter.Focused() {
		o.filter.Width = max(1, inner-len(o.filter.Prompt)-1)
		lines = append(lines, cut(o.filter.View(), inner))
	} else {
		f := o.auditQuery.String()
		if f == "" {
			f = "none"
		}
		lines = append(lines, cut(st.Muted.Render("filter: ")+f+st.Muted.Render(" · / to change"), inner))
	}
	switch {
	case !o.auditState.loaded:
		return panel(st.Panel, title, append(lines, st.Muted.Render("reading sys.audit…")), width, height)
	case o.auditState.err != nil:
		return panel(st.Panel, title, append(lines, notAvailable(st, o.auditState.err, inner, room-1)...), width, height)
	case len(o.audit) == 0:
		return panel(st.Panel, title, append(lines, st.Muted.Render("no events match")), width, height)
	}
	cur := min(o.auditCursor, len(o.audit)-1)
	sel := o.audit[cur]
	var detail []string
	for _, text := range []string{sel.Result, sel.Detail, sel.Statement} {
		if text == "" {
			continue
		}
		style := st.Muted
		if !sel.Allowed {
			style = st.Bad
		}
		for _, l := range strings.Split(wrapText(strings.Join(strings.Fields(text), " "), inner), "\n") {
			detail = append(detail, style.Render(l))
		}
	}
	detail = append([]string{st.Muted.Render(cut(fmt.Sprintf("#%d %s · %s %s · %s · rows %s", sel.Seq, sel.At.Local().Format("2006-01-02 15:04:05"),
		sel.Principal, sel.Action, strings.Join(sel.Tables, ", "), thousands(sel.Rows)), inner))}, detail...)
	detail = detail[:min(len(detail), max(1, room/3))]
	list := max(1, room-3-len(detail))
	timeW, whoW, actW := 15, 12, 14
	if inner < 100 {
		timeW, whoW, actW = 9, 9, 12
	}
	lines = append(lines, st.Header.Render(fit("  when", timeW+2))+st.Header.Render(fit("principal", whoW-1))+" "+st.Header.Render(fit("action", actW-1))+" "+
		st.Header.Render(fit("result", 9))+" "+st.Header.Render(fit("tables", max(0, inner-timeW-2-whoW-actW-10))))
	start, end := window(len(o.audit), cur, list)
	for i := start; i < end; i++ {
		e := o.audit[i]
		mark := "  "
		if i == cur {
			mark = st.Selected.Render("▸ ")
		}
		when := e.At.Local().Format("01-02 15:04:05")
		if timeW < 15 {
			when = e.At.Local().Format("15:04:05")
		}
		result := st.Good.Render(fit("✓ allowed", 9)) + " "
		if !e.Allowed {
			result = st.Bad.Render(fit("✗ refused", 9)) + " "
		}
		who := fit(e.Principal, whoW-1) + " "
		if i == cur {
			who = st.Selected.Render(who)
		}
		lines = append(lines, cut(mark+st.Muted.Render(fit(when, timeW))+who+fit(e.Action, actW-1)+" "+result+strings.Join(e.Tables, ", "), inner))
	}
	more := ""
	if len(o.audit) == auditLimit {
		more = fmt.Sprintf(" (the newest %d)", auditLimit)
	}
	lines = append(lines, st.Muted.Render(cut(plural(len(o.audit), "event")+more+", newest first", inner)))
	lines = append(lines, detail...)
	return panel(st.Panel, title, lines, width, height)
}
