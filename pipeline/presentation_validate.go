package pipeline

import (
	"fmt"
	"strings"
	"time"
)

// parseLength reads a talk's or a step's length: a positive Go duration.
func parseLength(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a length of time", s)
	}
	return d, nil
}

// TalkLength is the talk's length (Talk), DefaultTalk when unset or
// unreadable (validate reports the latter).
func (pr Presentation) TalkLength() time.Duration {
	if d, err := parseLength(pr.Talk); err == nil {
		return d
	}
	return DefaultTalk
}

// QuestionsLength is the questions' length (Questions), DefaultQuestions
// when unset or unreadable.
func (pr Presentation) QuestionsLength() time.Duration {
	if d, err := parseLength(pr.Questions); err == nil {
		return d
	}
	return DefaultQuestions
}

// Length is the step's planned length (Time); 0 when unset or unreadable.
func (s Step) Length() time.Duration {
	d, _ := parseLength(s.Time)
	return d
}

// validatePresentation checks the bundle's presentation: its lengths
// parse, each step's view is a role, its presenter a team member, its id
// not a misspelt section of the guide nor used twice, and the steps fit the
// talk (a warning when they do not).
func (p *Project) validatePresentation(errf, warnf func(path, hint, format string, args ...any)) {
	pr := p.Presentation
	if pr == nil {
		return
	}
	talk := DefaultTalk
	for _, f := range []struct {
		key, value string
		into       *time.Duration
	}{{"talk", pr.Talk, &talk}, {"questions", pr.Questions, nil}} {
		if f.value == "" {
			continue
		}
		d, err := parseLength(f.value)
		if err != nil {
			errf("presentation."+f.key, "write a length such as 15m, 5m or 90s", "presentation %s: %v", f.key, err)
		} else if f.into != nil {
			*f.into = d
		}
	}
	var members []string
	for _, m := range p.Framing.Team {
		members = append(members, m.Name)
	}
	seen := map[string]int{}
	var total time.Duration
	for i, s := range pr.Steps {
		path := fmt.Sprintf("presentation.steps[%d]", i)
		switch {
		case s.ID == "":
			errf(path, "give each step an id: one of "+strings.Join(StepIDs, ", ")+", or a word of your own", "step %d has no id", i+1)
		case !contains(StepIDs, s.ID) && suggest(s.ID, StepIDs) != "":
			errf(path+".id", "the guide's sections are "+strings.Join(StepIDs, ", ")+"; did you mean "+suggest(s.ID, StepIDs)+"? A step of your own needs a word of its own",
				"unknown step id %q", s.ID)
		}
		if j, dup := seen[s.ID]; dup && s.ID != "" {
			errf(path+".id", fmt.Sprintf("step %d has it already: give each step its own id", j+1), "step id %q is used twice", s.ID)
		} else {
			seen[s.ID] = i
		}
		if s.View != "" && !contains(Roles, s.View) {
			errf(path+".view", "views: "+strings.Join(Roles, ", ")+suggestHint(s.View, Roles), "step %s: unknown view %q", s.ID, s.View)
		}
		if s.Presenter != "" && !contains(members, s.Presenter) {
			hint := "add them to project.team, or name a member"
			if len(members) > 0 {
				hint = "team: " + strings.Join(members, ", ") + suggestHint(s.Presenter, members)
			}
			errf(path+".presenter", hint, "step %s: presenter %q is not in the team", s.ID, s.Presenter)
		}
		if s.Time == "" {
			warnf(path, "give it a time such as 2m or 90s, so the timer can tell when the talk runs late", "step %s has no time", s.ID)
			continue
		}
		d, err := parseLength(s.Time)
		if err != nil {
			errf(path+".time", "write a length such as 2m, 90s or 1m30s", "step %s: time %v", s.ID, err)
			continue
		}
		total += d
	}
	if total > talk {
		warnf("presentation.steps", "shorten steps or lengthen talk", "the steps take %s, longer than the %s talk", total, talk)
	}
}
