package pipeline

import (
	"strings"
	"time"
)

// Presentation is the talk a team gives about its project: the course
// guide's 15 minutes plus 5 of questions, in steps that each show one role's
// view. `lakebench demo` walks it in the TUI; `lakebench slides` writes it as
// a deck. It is data in the bundle (presentation:), and a project without one
// gets DefaultPresentation.
type Presentation struct {
	// Title is the talk's title; the bundle's name when empty.
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Team is the team's name, shown on the first slide and in the caption bar.
	Team string `yaml:"team,omitempty" json:"team,omitempty"`
	// Talk and Questions are the talk's and the questions' lengths as Go
	// durations ("15m", "5m"); 15m and 5m when empty.
	Talk      string `yaml:"talk,omitempty" json:"talk,omitempty"`
	Questions string `yaml:"questions,omitempty" json:"questions,omitempty"`
	// NextSteps close the talk (a slide and the last step's caption).
	NextSteps []string `yaml:"next_steps,omitempty" json:"next_steps,omitempty"`
	// Steps are the talk in order; DefaultSteps when empty.
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Insights are the queries the deck's insights come from; when unset,
	// the dashboards' tiles (see Insights).
	Insights *Insights `yaml:"insights,omitempty" json:"insights,omitempty"`
}

// Insights name the gold data `lakebench slides` computes its insights
// from, each one SELECT run as the presenter (under their grants), as a
// dashboard tile is. Revenue returns a day and an amount per row (the
// largest day-over-day changes and the dip are found in it); Risk a
// segment and its churn risk (a share, 0 to 1) per row, whose highest
// are the top churn-risk segments. Unset, the deck takes the first
// dashboard time series whose y column names revenue, and the first bar
// chart whose title or y column names risk or churn.
type Insights struct {
	Revenue string `yaml:"revenue,omitempty" json:"revenue,omitempty"`
	Risk    string `yaml:"risk,omitempty" json:"risk,omitempty"`
}

// Step is one part of the talk: what it is about, which view shows it and
// what is selected there, who presents it, for how long, and what to say.
type Step struct {
	// ID is one of StepIDs (the guide's sections) or the team's own word.
	ID string `yaml:"id" json:"id"`
	// Title is the caption bar's headline.
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// View is the role view the step switches to: architect, engineer, ml or
	// analyst (Roles).
	View string `yaml:"view,omitempty" json:"view,omitempty"`
	// Select is what the view selects: a table ("gold.daily_revenue"), a
	// panel ("quality", "health", "targets", "tests"), a model ("churn") or a
	// dashboard; the view decides what it can select and ignores the rest.
	Select string `yaml:"select,omitempty" json:"select,omitempty"`
	// Presenter is a team member's name; the member of the view's role when
	// empty.
	Presenter string `yaml:"presenter,omitempty" json:"presenter,omitempty"`
	// Time is the step's planned length as a Go duration ("2m", "90s").
	Time string `yaml:"time,omitempty" json:"time,omitempty"`
	// Caption is the one line the caption bar narrates; Notes are the
	// presenter's notes (shown with `p`, written as the slides' speaker notes).
	Caption string `yaml:"caption,omitempty" json:"caption,omitempty"`
	Notes   string `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// StepIDs are the course guide's sections in their order.
var StepIDs = []string{"problem", "team", "architecture", "pipeline", "incident", "model", "dashboard", "insights", "next_steps"}

// Talk lengths when the bundle gives none.
const (
	DefaultTalk      = 15 * time.Minute
	DefaultQuestions = 5 * time.Minute
)

// DefaultSteps is the guide's story for any project: one step per section,
// each on the view of the role that owns it, 15 minutes in all.
func DefaultSteps() []Step {
	return []Step{
		{ID: "problem", Title: "The problem", View: "architect", Time: "1m",
			Caption: "The question this lakehouse answers, and for whom."},
		{ID: "team", Title: "The team and its roles", View: "architect", Time: "1m",
			Caption: "Four roles, one view each: architect, engineer, ML specialist, analyst."},
		{ID: "architecture", Title: "Architecture and governance", View: "architect", Select: "lineage", Time: "2m30s",
			Caption: "Bronze, silver and gold layers, their lineage, and who may read what."},
		{ID: "pipeline", Title: "The pipeline and its data quality", View: "engineer", Select: "quality", Time: "2m30s",
			Caption: "The nightly job's tasks, rows in and out, and the rules that quarantine bad rows."},
		{ID: "incident", Title: "The incident we found", View: "engineer", Select: "health", Time: "1m30s",
			Caption: "What the health checks flagged, where, and what it touched downstream."},
		{ID: "model", Title: "The model and its champion", View: "ml", Time: "2m",
			Caption: "How the model was trained, how it scores, and which version serves."},
		{ID: "dashboard", Title: "Dashboard and alerts", View: "analyst", Time: "2m",
			Caption: "The numbers the business watches, and the alerts that fire on them."},
		{ID: "insights", Title: "Insights", View: "analyst", Time: "1m30s",
			Caption: "What the data says: the largest changes and who is about to churn."},
		{ID: "next_steps", Title: "Next steps", View: "architect", Time: "1m",
			Caption: "What we would do next, and how the project moves to Databricks."},
	}
}

// PresentationOrDefault is the bundle's presentation with every gap filled:
// the title from the bundle's name, the talk lengths, the default steps and
// each step's presenter from the team's member of the step's role.
func (p *Project) PresentationOrDefault() Presentation {
	pr := Presentation{}
	if p.Presentation != nil {
		pr = *p.Presentation
		pr.Steps = append([]Step(nil), p.Presentation.Steps...)
	}
	if pr.Title == "" {
		pr.Title = p.Bundle.Name
	}
	if pr.Talk == "" {
		pr.Talk = DefaultTalk.String()
	}
	if pr.Questions == "" {
		pr.Questions = DefaultQuestions.String()
	}
	if len(pr.Steps) == 0 {
		pr.Steps = DefaultSteps()
	}
	for i, s := range pr.Steps {
		if s.Presenter == "" {
			for _, m := range p.Framing.Team {
				if m.Role == s.View {
					pr.Steps[i].Presenter = m.Name
					break
				}
			}
		}
		if s.Title == "" {
			pr.Steps[i].Title = s.ID
		}
	}
	return pr
}

// Printable is s without the control characters a terminal obeys (ESC
// sequences that clear the screen, set the window's title or write the
// clipboard, BEL, BS, CR, DEL and C1): the presentation's texts are shown
// raw in a presenter's terminal. A tab becomes a space; newlines stay.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case r < 0x20, r >= 0x7f && r < 0xa0:
			return -1
		}
		return r
	}, s)
}

// Printable is the presentation with Printable texts.
func (pr Presentation) Printable() Presentation {
	pr.Title, pr.Team = Printable(pr.Title), Printable(pr.Team)
	pr.NextSteps = append([]string(nil), pr.NextSteps...)
	for i := range pr.NextSteps {
		pr.NextSteps[i] = Printable(pr.NextSteps[i])
	}
	pr.Steps = append([]Step(nil), pr.Steps...)
	for i, s := range pr.Steps {
		s.ID, s.Title, s.Select, s.Presenter = Printable(s.ID), Printable(s.Title), Printable(s.Select), Printable(s.Presenter)
		s.Caption, s.Notes = Printable(s.Caption), Printable(s.Notes)
		pr.Steps[i] = s
	}
	return pr
}
