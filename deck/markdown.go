package deck

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/pipeline"
)

// MaxSlides is the course guide's limit.
const MaxSlides = 20

// Section is one part of the deck the guide requires, in its order: the
// steps of the presentation (pipeline.StepIDs) plus the title and the
// cost and SLA.
type Section struct {
	ID      string
	Heading string // the heading when no step of the presentation names the section
}

// Sections are the deck's required sections in order.
var Sections = []Section{
	{"title", ""},
	{"problem", "The problem"},
	{"team", "The team and its roles"},
	{"architecture", "Architecture and governance"},
	{"pipeline", "The pipeline and its data quality"},
	{"incident", "The incident we found"},
	{"model", "The model and its champion"},
	{"dashboard", "Dashboard and alerts"},
	{"insights", "Insights"},
	{"cost", "Cost and SLA"},
	{"next_steps", "Next steps"},
}

// Slide is one slide: its section, its Markdown body (heading included)
// and its speaker notes.
type Slide struct {
	Section string
	Class   string // a Marp class: lead (title) or dense (long tables)
	Body    string
	Notes   []string
}

// Deck is the slides and the charts they show (file names beside the deck
// with what to draw in each).
type Deck struct {
	Title  string
	Slides []Slide
	charts []chart
}

type chart struct {
	file string
	draw func(path string) error
}

// Written is what Write wrote.
type Written struct {
	Deck   string
	Charts []string
	Slides int
}

// Build lays out the deck of pr from f. base names the charts' files
// (base-revenue.png, ...).
func Build(p *pipeline.Project, pr pipeline.Presentation, f *Facts, base string) *Deck {
	b := &builder{p: p, pr: pr, f: f, base: base, d: &Deck{Title: pr.Title}}
	steps := map[string]pipeline.Step{}
	for _, s := range pr.Steps {
		if _, ok := steps[s.ID]; !ok {
			steps[s.ID] = s
		}
	}
	// Steps of the team's own (and a section's step again), each after
	// the section step before it.
	extras := map[string][]pipeline.Step{}
	prev := "title"
	seen := map[string]bool{}
	for _, s := range pr.Steps {
		if !seen[s.ID] && slices.ContainsFunc(Sections, func(sec Section) bool { return sec.ID == s.ID }) {
			prev, seen[s.ID] = s.ID, true
			continue
		}
		extras[prev] = append(extras[prev], s)
	}
	room := MaxSlides - b.required()
	var left []pipeline.Step
	for _, sec := range Sections {
		step, ok := steps[sec.ID]
		if !ok {
			step = pipeline.Step{ID: sec.ID, Title: sec.Heading}
		}
		b.section(sec.ID, step)
		for _, s := range extras[sec.ID] {
			if room > 0 {
				b.custom(s)
				room--
			} else {
				left = append(left, s)
			}
		}
	}
	if len(left) > 0 {
		last := &b.d.Slides[len(b.d.Slides)-1]
		for _, s := range left {
			last.Notes = append(last.Notes, fmt.Sprintf("(%s did not fit in %d slides) %s %s", s.Title, MaxSlides, s.Caption, s.Notes))
		}
	}
	return b.d
}

// required is the number of slides the sections take.
func (b *builder) required() int { return len(Sections) + 2 } // architecture and insights take two

// Markdown is the deck in Marp's format: front matter, slides between
// "---" lines, speaker notes as HTML comments.
func (d *Deck) Markdown() string {
	var sb strings.Builder
	sb.WriteString("---\nmarp: true\ntheme: default\npaginate: true\nsize: 16:9\n")
	fmt.Fprintf(&sb, "title: %s\n", strconv.Quote(d.Title))
	sb.WriteString(`style: |
  section { font-size: 28px; }
  section.dense { font-size: 21px; }
  section.dense table { font-size: 19px; }
  section.lead h1 { font-size: 60px; }
  table { font-size: 22px; }
  h2 { margin-bottom: 0.3em; }
---
`)
	for i, s := range d.Slides {
		if i > 0 {
			sb.WriteString("\n---\n\n")
		}
		if s.Class != "" {
			fmt.Fprintf(&sb, "<!-- _class: %s -->\n\n", s.Class)
		}
		sb.WriteString(strings.TrimSpace(s.Body))
		sb.WriteString("\n")
		if len(s.Notes) > 0 {
			sb.WriteString("\n<!--\n")
			for _, n := range s.Notes {
				sb.WriteString(note(n))
				sb.WriteString("\n")
			}
			sb.WriteString("-->\n")
		}
	}
	return sb.String()
}

// Write writes the deck to out and its charts beside it.
func (d *Deck) Write(out string) (*Written, error) {
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("deck: %w", err)
	}
	w := &Written{Deck: out, Slides: len(d.Slides)}
	for _, c := range d.charts {
		path := filepath.Join(dir, c.file)
		if err := c.draw(path); err != nil {
			return nil, fmt.Errorf("deck: chart %s: %w", c.file, err)
		}
		w.Charts = append(w.Charts, path)
	}
	if err := os.WriteFile(out, []byte(d.Markdown()), 0o644); err != nil {
		return nil, fmt.Errorf("deck: %w", err)
	}
	return w, nil
}

// note is one speaker note's text, safe inside an HTML comment.
func note(s string) string {
	s = strings.TrimSpace(s)
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	return s
}

// esc escapes text for Markdown's inline content (and table cells).
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~', '$':
			b.WriteByte('\\')
		case '\n', '\r':
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

type builder struct {
	p    *pipeline.Project
	pr   pipeline.Presentation
	f    *Facts
	base string
	d    *Deck
}

func (b *builder) add(s Slide) { b.d.Slides = append(b.d.Slides, s) }

func (b *builder) chart(name string, draw func(string) error) string {
	file := b.base + "-" + name + ".png"
	b.d.charts = append(b.d.charts, chart{file: file, draw: draw})
	return file
}

// stepNotes are a step's presenter, time, caption and notes, then the
// talking points the data gives.
func stepNotes(s pipeline.Step, points ...string) []string {
	var out []string
	var who []string
	if s.Presenter != "" {
		who = append(who, "Presenter: "+s.Presenter)
	}
	if s.Time != "" {
		who = append(who, "planned "+s.Time)
	}
	if len(who) > 0 {
		out = append(out, strings.Join(who, ", ")+".")
	}
	if s.Caption != "" {
		out = append(out, s.Caption)
	}
	if s.Notes != "" {
		out = append(out, s.Notes)
	}
	for _, p := range points {
		if p != "" {
			out = append(out, "- "+p)
		}
	}
	return out
}

func heading(s pipeline.Step) string { return "## " + esc(s.Title) + "\n\n" }

// runHint is what to run to fill a section from a target without data.
func (b *builder) runHint() string {
	return fmt.Sprintf("Target **%s** has no data yet: run `lakebench sample generate` (the sample) and `lakebench run -t %s`, then write the deck again.", esc(b.f.Target), b.f.Target)
}

// unreadable is a section's error, said on its slide.
func (b *builder) unreadable(id string) string {
	if err := b.f.Errors[id]; err != nil {
		return fmt.Sprintf("\n\n*Not all of it could be read as %s:* %s\n", esc(b.f.Principal), esc(firstLine(err.Error())))
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func (b *builder) section(id string, s pipeline.Step) {
	switch id {
	case "title":
		b.title()
	case "problem":
		b.problem(s)
	case "team":
		b.team(s)
	case "architecture":
		b.architecture(s)
	case "pipeline":
		b.pipeline(s)
	case "incident":
		b.incident(s)
	case "model":
		b.model(s)
	case "dashboard":
		b.dashboard(s)
	case "insights":
		b.insights(s)
	case "cost":
		if s.Presenter == "" {
			s.Presenter = b.member("architect")
			s.Caption = "What the project costs to run, and whether it keeps its service levels."
		}
		b.cost(s)
	case "next_steps":
		b.nextSteps(s)
	}
}

// member is the team's first member of role.
func (b *builder) member(role string) string {
	for _, m := range b.p.Framing.Team {
		if m.Role == role {
			return m.Name
		}
	}
	return ""
}

func (b *builder) title() {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# %s\n\n", esc(b.pr.Title))
	var names []string
	for _, m := range b.p.Framing.Team {
		names = append(names, esc(m.Name))
	}
	switch {
	case b.pr.Team != "":
		fmt.Fprintf(&sb, "### Team %s\n\n", esc(b.pr.Team))
		if len(names) > 0 {
			sb.WriteString(strings.Join(names, " · ") + "\n\n")
		}
	case len(names) > 0:
		fmt.Fprintf(&sb, "### The team: %s\n\n", strings.Join(names, " · "))
	}
	fmt.Fprintf(&sb, "lakebench · target %s · %s\n", esc(b.f.Target), time.Now().Format("2 January 2006"))
	notes := []string{fmt.Sprintf("The talk: %s, then %s of questions.", minutes(b.pr.Talk), minutes(b.pr.Questions))}
	if b.pr.Team == "" {
		notes = append(notes, "Name the team under presentation.team in lakebench.yml.")
	}
	b.add(Slide{Section: "title", Class: "lead", Body: sb.String(), Notes: notes})
}

func (b *builder) problem(s pipeline.Step) {
	body := heading(s)
	if pb := strings.TrimSpace(b.p.Framing.Problem); pb != "" {
		body += "> " + esc(pb) + "\n"
	} else {
		body += "*No problem statement yet:* write it under `project.problem` in lakebench.yml.\n"
	}
	var points []string
	if len(b.p.Resources.Sources) > 0 {
		points = append(points, fmt.Sprintf("The data: %s (%s).", pipeline.Plural(len(b.p.Resources.Sources), "source"), strings.Join(sortedKeys(b.p.Resources.Sources), ", ")))
	}
	b.add(Slide{Section: "problem", Body: body, Notes: stepNotes(s, points...)})
}

func (b *builder) team(s pipeline.Step) {
	body := heading(s)
	if len(b.p.Framing.Team) == 0 {
		body += "*No team yet:* list it under `project.team` in lakebench.yml, each member with a role (" + strings.Join(pipeline.Roles, ", ") + ").\n"
		b.add(Slide{Section: "team", Body: body, Notes: stepNotes(s)})
		return
	}
	presents := map[string][]string{}
	for _, st := range b.pr.Steps {
		if st.Presenter != "" {
			presents[st.Presenter] = append(presents[st.Presenter], st.Title)
		}
	}
	role := map[string]string{"architect": "Data architect", "engineer": "Data engineer", "ml": "ML specialist", "analyst": "Data analyst"}
	body += "| Role | Member | Presents |\n| --- | --- | --- |\n"
	for _, m := range b.p.Framing.Team {
		r := role[m.Role]
		if r == "" {
			r = m.Role
		}
		body += fmt.Sprintf("| %s | %s | %s |\n", esc(r), esc(m.Name), esc(strings.Join(presents[m.Name], "; ")))
	}
	b.add(Slide{Section: "team", Body: body, Notes: stepNotes(s, "Each member presents the part their role owns, from their view of the TUI.")})
}

// quarantined is the rows in the target's quarantine tables.
func (b *builder) quarantined() (rows int64, tables []string) {
	for _, l := range b.f.Layers {
		for _, t := range l.Tables {
			if strings.HasSuffix(t.Name, "_quarantine") && t.Rows > 0 {
				rows += t.Rows
				tables = append(tables, fmt.Sprintf("%s %s", t.Name, lakehouse.GroupDigits(strconv.FormatInt(t.Rows, 10))))
			}
		}
	}
	return rows, tables
}

func count(n int64) string { return lakehouse.GroupDigits(strconv.FormatInt(n, 10)) }

func (b *builder) architecture(s pipeline.Step) {
	body := heading(s)
	if !b.f.Built {
		body += b.runHint() + "\n"
		b.add(Slide{Section: "architecture", Body: body, Notes: stepNotes(s)})
		b.add(Slide{Section: "architecture", Body: "## Architecture: the tables\n\n" + b.runHint() + "\n",
			Notes: []string{"The tables and their row counts appear here after the first run."}})
		return
	}
	layers := b.dataLayers()
	if len(layers) > 0 {
		file := b.chart("layers", func(path string) error { return LayersChart(layers, b.f.Target, path) })
		body += fmt.Sprintf("![bg right:46%% fit](%s)\n\n", file)
	}
	var total int64
	var tables int
	for _, l := range layers {
		body += fmt.Sprintf("- **%s**: %s, %s rows\n", esc(l.Schema), pipeline.Plural(len(l.Tables), "table"), count(l.Rows))
		total += l.Rows
		tables += len(l.Tables)
	}
	var grants []string
	for _, sc := range sortedKeys(b.p.Resources.Schemas) {
		var who []string
		for _, g := range b.p.Resources.Schemas[sc].Grants {
			who = append(who, g.Principal)
		}
		if len(who) > 0 {
			grants = append(grants, fmt.Sprintf("%s: %s", sc, strings.Join(who, ", ")))
		}
	}
	if len(grants) > 0 {
		body += "\n**Who reads what:** " + esc(strings.Join(grants, "; ")) + "\n"
	}
	body += b.unreadable("architecture")
	points := []string{fmt.Sprintf("%s, %s rows, as %s may read them on target %s.", pipeline.Plural(tables, "table"), count(total), b.f.Principal, b.f.Target)}
	if big := largestTable(layers); big != nil {
		points = append(points, fmt.Sprintf("The largest is %s with %s rows.", big.Name, count(big.Rows)))
	}
	for _, l := range b.f.Layers {
		if l.Schema == "sys" {
			points = append(points, fmt.Sprintf("Beside them, sys holds %s of lakebench's own records (runs, quality, audit, usage).", pipeline.Plural(len(l.Tables), "table")))
		}
	}
	points = append(points, "Grants are checked on the plan DuckDB runs, and every read is in sys.audit.")
	b.add(Slide{Section: "architecture", Body: body, Notes: stepNotes(s, points...)})

	// The tables, one column pair per layer.
	t := "## Architecture: the tables\n\n"
	var cols [][]lakehouse.TableInfo
	var heads []string
	for _, l := range layers {
		if len(l.Tables) == 0 {
			continue
		}
		heads = append(heads, l.Schema)
		cols = append(cols, l.Tables)
	}
	const maxRows = 10
	if len(cols) == 0 {
		t += "*No table is readable as " + esc(b.f.Principal) + ".*\n"
	} else {
		for _, h := range heads {
			t += "| " + esc(h) + " | rows "
		}
		t += "|\n" + strings.Repeat("| --- | ---: ", len(heads)) + "|\n"
		n := 0
		for _, c := range cols {
			n = max(n, len(c))
		}
		for i := 0; i < min(n, maxRows); i++ {
			for _, c := range cols {
				switch {
				case i == maxRows-1 && len(c) > maxRows:
					t += fmt.Sprintf("| *%d more* | ", len(c)-maxRows+1)
				case i < len(c):
					t += fmt.Sprintf("| %s | %s ", esc(strings.TrimPrefix(c[i].Name, c[i].Schema+".")), count(c[i].Rows))
				default:
					t += "| | "
				}
			}
			t += "|\n"
		}
	}
	b.add(Slide{Section: "architecture", Class: "dense", Body: t, Notes: []string{"Row counts are exact, read now from the target's catalog."}})
}

// dataLayers are the layers of the project's data: every schema but sys
// (lakebench's own records).
func (b *builder) dataLayers() []lakehouse.Layer {
	var out []lakehouse.Layer
	for _, l := range b.f.Layers {
		if l.Schema != "sys" {
			out = append(out, l)
		}
	}
	return out
}

func largestTable(layers []lakehouse.Layer) *lakehouse.TableInfo {
	var best *lakehouse.TableInfo
	for i := range layers {
		for j := range layers[i].Tables {
			if t := &layers[i].Tables[j]; best == nil || t.Rows > best.Rows {
				best = t
			}
		}
	}
	return best
}

func (b *builder) pipeline(s pipeline.Step) {
	body := heading(s)
	if !b.f.Built || b.f.LastRun == nil {
		if b.f.Errors["pipeline"] == nil {
			body += b.runHint() + "\n"
		}
		body += b.unreadable("pipeline")
		b.add(Slide{Section: "pipeline", Body: body, Notes: stepNotes(s)})
		return
	}
	r := b.f.LastRun
	job := r.Job
	if job == "" {
		job = "every model"
	}
	body += fmt.Sprintf("Last run **%s** (%s) **%s** in %s, %s; %s on this target.\n\n", esc(r.RunID), esc(job), esc(r.Status),
		r.EndedAt.Sub(r.StartedAt).Round(time.Second), r.StartedAt.Local().Format("2 Jan 15:04"), pipeline.Plural(b.f.Runs, "run"))
	var found []lakehouse.QualityResult
	for _, q := range b.f.Quality {
		if q.RowsFailed > 0 {
			found = append(found, q)
		}
	}
	slices.SortStableFunc(found, func(a, c lakehouse.QualityResult) int { return int(c.RowsFailed - a.RowsFailed) })
	qrows, qtables := b.quarantined()
	if len(b.f.Quality) == 0 {
		body += "*No quality checks ran:* add them under `resources.quality` (DQX checks).\n"
	} else {
		body += fmt.Sprintf("**%s**, %d found rows · **%s rows quarantined**\n\n", pipeline.Plural(len(b.f.Quality), "check"), len(found), count(qrows))
		if len(found) > 0 {
			body += "| Table | Check | Criticality | Checked | Failed |\n| --- | --- | --- | ---: | ---: |\n"
			for _, q := range found[:min(6, len(found))] {
				body += fmt.Sprintf("| %s | %s | %s | %s | %s |\n", esc(q.Table), esc(q.Rule), esc(q.Criticality), count(q.RowsChecked), count(q.RowsFailed))
			}
		}
	}
	body += b.unreadable("pipeline")
	points := []string{"Error checks move a row to <table>_quarantine with _errors; warn checks keep it with _warnings."}
	if len(qtables) > 0 {
		points = append(points, "Quarantined: "+strings.Join(qtables, ", ")+".")
	}
	if len(found) > 6 {
		points = append(points, fmt.Sprintf("%d more checks found rows: `lakebench quality` lists them all.", len(found)-6))
	}
	b.add(Slide{Section: "pipeline", Class: "dense", Body: body, Notes: stepNotes(s, points...)})
}

func (b *builder) incident(s pipeline.Step) {
	body := heading(s)
	if !b.f.Built {
		b.add(Slide{Section: "incident", Body: body + b.runHint() + "\n", Notes: stepNotes(s)})
		return
	}
	var lines, points []string
	seen := map[string]bool{}
	for _, h := range b.f.Unhealthy {
		if seen[h.Table] {
			continue
		}
		seen[h.Table] = true
		l := fmt.Sprintf("**%s** is Unhealthy (%s): %s", esc(h.Table), esc(h.Metric), esc(h.Message))
		if len(h.DownstreamImpact) > 0 {
			l += "; downstream: " + esc(strings.Join(h.DownstreamImpact, ", "))
		}
		lines = append(lines, l)
	}
	for _, a := range b.f.Alerts {
		if a.State == pipeline.AlertTriggered {
			name := a.DisplayName
			if name == "" {
				name = a.Alert
			}
			l := fmt.Sprintf("Alert **%s** triggered", esc(name))
			if a.Message != "" {
				l += ": " + esc(a.Message)
			}
			lines = append(lines, l)
		}
	}
	if n, tables := b.quarantined(); n > 0 {
		lines = append(lines, fmt.Sprintf("**%s rows quarantined** by error checks: %s", count(n), esc(strings.Join(tables, ", "))))
	}
	var warned []string
	for _, q := range b.f.Quality {
		if q.RowsFailed > 0 && q.Criticality == "warn" {
			warned = append(warned, fmt.Sprintf("%s %s (%s rows)", q.Table, q.Rule, count(q.RowsFailed)))
		}
	}
	if len(warned) > 0 {
		lines = append(lines, "Warn checks flagged "+esc(strings.Join(warned[:min(3, len(warned))], ", ")))
	}
	switch {
	case len(lines) == 0 && b.f.Errors["incident"] != nil:
		body += "Nothing found in what " + esc(b.f.Principal) + " may read.\n"
	case len(lines) == 0:
		body += "No incident on target " + esc(b.f.Target) + ": every table Healthy, no alert triggered, no check found rows.\n"
	default:
		for _, l := range lines[:min(6, len(lines))] {
			body += "- " + l + "\n"
		}
		points = append(points, "Show where it was caught (quality check, health monitor or alert) and what it touched downstream (lineage).")
		if len(lines) > 6 {
			points = append(points, fmt.Sprintf("%d more findings: `lakebench health --unhealthy` and `lakebench alerts list`.", len(lines)-6))
		}
	}
	body += b.unreadable("incident")
	b.add(Slide{Section: "incident", Class: "dense", Body: body, Notes: stepNotes(s, points...)})
}

// metricOrder is the order metrics are shown in.
var metricOrder = []string{"roc_auc", "accuracy", "f1", "precision", "recall", "log_loss", "rmse", "mae", "r2"}

func (b *builder) model(s pipeline.Step) {
	body := heading(s)
	var m *Model
	for i := range b.f.Models {
		if b.f.Models[i].Champion != nil {
			m = &b.f.Models[i]
			break
		}
	}
	switch {
	case !b.f.Built:
		body += b.runHint() + "\n"
	case m == nil && len(b.f.Models) > 0:
		body += fmt.Sprintf("Model **%s** has %s but no champion: `lakebench models promote %s VERSION --alias champion`.\n",
			esc(b.f.Models[0].Name), pipeline.Plural(b.f.Models[0].Versions, "version"), b.f.Models[0].Name)
	case m == nil && len(b.p.Resources.RegisteredModels) > 0:
		name := sortedKeys(b.p.Resources.RegisteredModels)[0]
		job := "JOB"
		for _, j := range sortedKeys(b.p.Resources.Jobs) {
			if slices.ContainsFunc(b.p.Resources.Jobs[j].Tasks, func(t pipeline.Task) bool { return t.Type == "train" }) {
				job = j
				break
			}
		}
		body += fmt.Sprintf("No model trained yet on target %s: `lakebench train %s`, or `lakebench bundle run %s` (a job with a train task).\n", esc(b.f.Target), name, job)
	case m == nil:
		body += "No model in this project: add one under `resources.registered_models` (table, label, task), then `lakebench train NAME`.\n"
	}
	if m == nil {
		body += b.unreadable("model")
		b.add(Slide{Section: "model", Body: body, Notes: stepNotes(s)})
		return
	}
	d := m.Champion
	vals := d.Evaluation.Values
	if len(vals) == 0 {
		vals = d.Metrics
	}
	if len(d.Evaluation.ROC) > 1 {
		file := b.chart("roc", func(path string) error {
			return ROCChart(d.Name, d.Version, d.Evaluation.ROC, vals["roc_auc"], path)
		})
		body += fmt.Sprintf("![bg right:45%% fit](%s)\n\n", file)
	}
	body += fmt.Sprintf("**%s** version **%d** is the champion, of %s · %s\n\n", esc(d.Name), d.Version, pipeline.Plural(m.Versions, "version"), esc(string(m.Task)))
	body += "| Metric (test split) | Value |\n| --- | ---: |\n"
	for _, k := range metricOrder {
		if v, ok := vals[k]; ok {
			body += fmt.Sprintf("| %s | %.3f |\n", k, v)
		}
	}
	points := []string{fmt.Sprintf("Trained on %s (%s rows) by %s on %s, label %s.", d.Run.Table, count(d.Run.TableRows), d.CreatedBy, d.CreatedAt.Local().Format("2 Jan 15:04"), d.Run.Spec.Label)}
	if d.Model != nil {
		var feats []string
		for _, f := range d.Model.Prep.Features {
			feats = append(feats, f.Column)
		}
		points = append(points, "Features: "+strings.Join(feats, ", ")+".")
	}
	if top := topImportance(d.Evaluation.Importance); top != "" {
		points = append(points, "Strongest features: "+top+".")
	}
	points = append(points, "A retrain registers a new version; scoring uses the champion until someone promotes another (audited).")
	b.add(Slide{Section: "model", Body: body, Notes: stepNotes(s, points...)})
}

func topImportance(imp []ml.Importance) string {
	imp = slices.Clone(imp)
	slices.SortStableFunc(imp, func(a, c ml.Importance) int {
		switch {
		case math.Abs(a.Weight) > math.Abs(c.Weight):
			return -1
		case math.Abs(a.Weight) < math.Abs(c.Weight):
			return 1
		}
		return 0
	})
	var out []string
	for _, f := range imp[:min(3, len(imp))] {
		out = append(out, f.Feature)
	}
	return strings.Join(out, ", ")
}

// formatValue writes a KPI's value as the dashboards do: money with a $
// and thousands separators, percent from a ratio, else a number.
func formatValue(v float64, format string) string {
	switch format {
	case "percent":
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case "money":
		return "$" + lakehouse.GroupDigits(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	if v == math.Trunc(v) || math.Abs(v) >= 1000 {
		return lakehouse.GroupDigits(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func (b *builder) dashboard(s pipeline.Step) {
	body := heading(s)
	switch {
	case len(b.p.Resources.Dashboards) == 0:
		body += "No dashboards in this project: add them under `resources.dashboards` (tiles, each one SELECT).\n"
	case !b.f.Built:
		body += b.runHint() + "\n"
	default:
		body += "| Dashboard | Number | Value | vs previous |\n| --- | --- | ---: | ---: |\n"
		rows := 0
		var failed, charts int
		for _, d := range b.f.Dashboards {
			def := b.p.Resources.Dashboards[d.Name]
			for i, t := range d.Tiles {
				if d.Errs[i] != nil {
					failed++
					continue
				}
				if t.KPI == nil {
					charts++
					continue
				}
				if rows == 8 {
					continue
				}
				rows++
				title := d.Title
				if title == "" {
					title = d.Name
				}
				change := "-"
				if t.KPI.HasPrevious {
					arrow := "▲"
					if t.KPI.Change < 0 {
						arrow = "▼"
					}
					change = arrow + " " + signedPercent(t.KPI.Change)
				}
				body += fmt.Sprintf("| %s | %s | %s | %s |\n", esc(title), esc(t.Title), formatValue(t.KPI.Value, def.Tiles[i].Format), change)
			}
		}
		if rows == 0 {
			body += "| | no KPI tile | | |\n"
		}
		var firing []string
		for _, a := range b.f.Alerts {
			if a.State == pipeline.AlertTriggered {
				firing = append(firing, a.Alert)
			}
		}
		if b.f.AlertsErr != nil {
			body += fmt.Sprintf("\n*The alerts could not be read as %s:* %s", esc(b.f.Principal), esc(b.f.AlertsErr.Error()))
		} else {
			body += fmt.Sprintf("\n%s, %s triggered", pipeline.Plural(len(b.f.Alerts), "alert"), strconv.Itoa(len(firing)))
		}
		if len(firing) > 0 {
			body += ": " + esc(strings.Join(firing, ", "))
		}
		body += "\n"
		note := []string{fmt.Sprintf("Every number is its tile's query run now as %s, under their grants; %d chart tiles more in the TUI (`lakebench dashboard NAME`).", b.f.Principal, charts)}
		if failed > 0 {
			note = append(note, fmt.Sprintf("%s could not be evaluated as %s: `lakebench dashboard NAME` says why.", pipeline.Plural(failed, "tile"), b.f.Principal))
		}
		b.add(Slide{Section: "dashboard", Class: "dense", Body: body, Notes: stepNotes(s, note...)})
		return
	}
	b.add(Slide{Section: "dashboard", Body: body, Notes: stepNotes(s)})
}

func (b *builder) insights(s pipeline.Step) {
	// Revenue: the chart with the dip, and the largest changes.
	body := "## " + esc(s.Title) + ": revenue\n\n"
	var points []string
	rev := b.f.Revenue
	switch {
	case !b.f.Built:
		body += b.runHint() + "\n"
	case rev == nil || len(rev.Days) < 2:
		body += "*No revenue series:* name one in `presentation.insights.revenue` (a SELECT of a day and an amount from a gold table), or add a dashboard time series of revenue.\n"
	default:
		dip := FindDip(rev)
		file := b.chart("revenue", func(path string) error { return RevenueChart(rev, dip, path) })
		body += fmt.Sprintf("![w:1120](%s)\n\n", file)
		var parts []string
		for _, c := range LargestChanges(rev, 3) {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", c.Day.Format("Jan 2"), signedMoney(c.Delta), signedPercent(c.Relative)))
		}
		body += "Largest day-over-day changes: " + strings.Join(parts, " · ") + "\n"
		if dip != nil {
			points = append(points, fmt.Sprintf("The dip: %s to %s, a %d-day mean of %s against a usual %s (%s).", dip.From.Format("Jan 2"), dip.To.Format("Jan 2"),
				DipWindow, money(dip.Mean), money(dip.Usual), signedPercent(dip.Relative)))
		}
		points = append(points, fmt.Sprintf("From %s, %s days from %s to %s.", rev.Source, strconv.Itoa(len(rev.Days)), rev.Days[0].Format("Jan 2"), rev.Days[len(rev.Days)-1].Format("Jan 2")))
	}
	body += b.unreadable("insights")
	b.add(Slide{Section: "insights", Body: body, Notes: stepNotes(s, points...)})

	// Churn risk by segment.
	body = "## " + esc(s.Title) + ": who is about to churn\n\n"
	points = nil
	risk := b.f.Risk
	switch {
	case !b.f.Built:
		body += b.runHint() + "\n"
	case risk == nil || len(risk.Names) == 0:
		body += "*No churn risk by segment:* name it in `presentation.insights.risk` (a SELECT of a segment and its risk), or add a dashboard bar chart of risk; a churn model must have scored (a job's predict task).\n"
	default:
		file := b.chart("risk", func(path string) error { return RiskChart(risk, path) })
		body += fmt.Sprintf("![w:1120](%s)\n\n", file)
		var parts []string
		for i := range risk.Names[:min(3, len(risk.Names))] {
			parts = append(parts, fmt.Sprintf("**%s** %s", esc(risk.Names[i]), riskValue(risk.Values[i])))
		}
		body += "Top churn-risk " + esc(risk.X) + ": " + strings.Join(parts, " · ") + "\n"
		points = append(points, "From "+risk.Source+", computed now.")
	}
	b.add(Slide{Section: "insights", Body: body, Notes: stepNotes(pipeline.Step{Presenter: s.Presenter, Caption: "Who is about to churn: the segments with the highest risk."}, points...)})
}

func riskValue(v float64) string {
	if v >= 0 && v <= 1 {
		return percent(math.Round(v*1000) / 1000)
	}
	return trim(v)
}

func money(v float64) string {
	return "$" + lakehouse.GroupDigits(strconv.FormatFloat(math.Round(math.Abs(v)), 'f', 0, 64))
}

func signedMoney(v float64) string {
	if v < 0 {
		return "−" + money(v)
	}
	return "+" + money(v)
}

func (b *builder) cost(s pipeline.Step) {
	body := heading(s)
	var points []string
	switch {
	case !b.f.Built:
		body += b.runHint() + "\n"
	case len(b.f.Cost) == 0:
		body += "*No usage recorded yet:* run a job (`lakebench run`).\n"
	default:
		file := b.chart("cost", func(path string) error { return CostChart(b.f.Cost, b.f.Target, path) })
		body += fmt.Sprintf("![bg right:50%% fit](%s)\n\n", file)
		t := b.f.CostTotal
		body += fmt.Sprintf("**%s** for %s compute-seconds on target %s\n\n", esc(lakehouse.Cost(t.Cost, t.Currency)), trim(math.Round(t.Quantity*10)/10), esc(b.f.Target))
		points = append(points, fmt.Sprintf("%s usage records; the price is per compute-second (a DuckDB thread held a second), from sys.list_prices.", count(t.Records)))
	}
	if b.f.SLA != nil && len(b.f.SLA.Objectives) > 0 {
		body += "| SLA | Objective | Observed | |\n| --- | --- | --- | --- |\n"
		for i, o := range b.f.SLA.Objectives {
			if i == 6 {
				points = append(points, fmt.Sprintf("%d more objectives: `lakebench sla`.", len(b.f.SLA.Objectives)-6))
				break
			}
			status := "met"
			switch {
			case !o.Known:
				status = "unknown"
			case !o.Met:
				status = "**missed**"
			}
			body += fmt.Sprintf("| %s | %s | %s | %s |\n", esc(o.Name), esc(o.Target), esc(o.Observed), status)
		}
	} else if b.f.Built {
		body += fmt.Sprintf("*No SLA:* set `sla:` (availability, rpo, rto, freshness) in lakebench.yml, or `targets.%s.sla`.\n", b.f.Target)
	}
	body += b.unreadable("cost")
	b.add(Slide{Section: "cost", Class: "dense", Body: body, Notes: stepNotes(s, points...)})
}

func (b *builder) nextSteps(s pipeline.Step) {
	body := heading(s)
	if len(b.pr.NextSteps) == 0 {
		body += "*No next steps yet:* list them under `presentation.next_steps` in lakebench.yml.\n"
	}
	for _, n := range b.pr.NextSteps {
		body += "- " + esc(n) + "\n"
	}
	body += "\n**Questions?**\n"
	b.add(Slide{Section: "next_steps", Body: body, Notes: stepNotes(s, "Then "+minutes(b.pr.Questions)+" of questions.")})
}

// minutes writes a Go duration as a talk's length: 15m0s as "15 minutes".
func minutes(d string) string {
	t, err := time.ParseDuration(d)
	if err != nil {
		return d
	}
	if t%time.Minute == 0 {
		return pipeline.Plural(int(t/time.Minute), "minute")
	}
	return t.String()
}

// custom is a slide for a step of the team's own.
func (b *builder) custom(s pipeline.Step) {
	body := heading(s)
	if s.Caption != "" {
		body += esc(s.Caption) + "\n"
	}
	s2 := s
	s2.Caption = ""
	b.add(Slide{Section: s.ID, Body: body, Notes: stepNotes(s2)})
}
