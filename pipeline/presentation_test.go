package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// validateText writes the small test project with extra YAML at its top
// level, loads and validates it, and returns the errors and warnings as
// text (a load error counts as an error).
func validateText(t *testing.T, extra string) (errs, warns string) {
	t.Helper()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, testProject+extra)
	p, err := Load(dir)
	if err != nil {
		return err.Error(), ""
	}
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	v := p.Validate(context.Background(), lh)
	var e, w []string
	for _, d := range v.Errors {
		e = append(e, d.Error())
	}
	for _, d := range v.Warnings {
		w = append(w, d.Error())
	}
	return strings.Join(e, "\n"), strings.Join(w, "\n")
}

const presentTeam = `project:
  team:
    - {name: ana, role: architect}
    - {name: ben, role: engineer}
`

// TestValidatePresentation checks each mistake a presentation block can
// have, at its line and column with what to do, and that a good one passes.
func TestValidatePresentation(t *testing.T) {
	good := presentTeam + `presentation:
  team: Lakers
  talk: 10m
  steps:
    - {id: problem, view: architect, time: 4m}
    - {id: pipeline, view: engineer, select: quality, presenter: ben, time: 5m}
    - {id: our_demo, view: engineer, time: 1m}
`
	errs, warns := validateText(t, good)
	if errs != "" || strings.Contains(warns, "presentation") {
		t.Fatalf("a good presentation: errors %q, warnings %q", errs, warns)
	}
	tests := []struct {
		name, yaml, want string
		warning          bool
	}{
		{"view", "    - {id: problem, view: architekt, time: 1m}\n", `lakebench.yml:16:21: step problem: unknown view "architekt" (views: architect, engineer, ml, analyst; did you mean architect?)`, false},
		{"time", "    - {id: problem, view: architect, time: 2 minutes}\n", `lakebench.yml:16:38: step problem: time "2 minutes" is not a length of time (write a length such as 2m, 90s or 1m30s)`, false},
		{"presenter", "    - {id: problem, view: architect, presenter: anna, time: 1m}\n", `lakebench.yml:16:38: step problem: presenter "anna" is not in the team (team: ana, ben; did you mean ana?)`, false},
		{"misspelt id", "    - {id: insigths, view: analyst, time: 1m}\n", `lakebench.yml:16:8: unknown step id "insigths" (the guide's sections are problem, team, architecture, pipeline, incident, model, dashboard, insights, next_steps; did you mean insights?`, false},
		{"twice", "    - {id: problem, time: 1m}\n    - {id: problem, time: 1m}\n", `lakebench.yml:17:8: step id "problem" is used twice (step 1 has it already`, false},
		{"no id", "    - {view: ml, time: 1m}\n", `lakebench.yml:16:7: step 1 has no id`, false},
		{"unknown field", "    - {id: problem, view: architect, slect: lineage}\n", `lakebench.yml:16:38: unknown key "slect" in presentation.steps[0] (did you mean select?)`, false},
		{"over", "    - {id: problem, time: 12m}\n    - {id: team, time: 4m}\n", `lakebench.yml:15:3: the steps take 16m0s, longer than the 15m0s talk (shorten steps or lengthen talk)`, true},
		{"no time", "    - {id: problem, view: ml}\n", `lakebench.yml:16:7: step problem has no time`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs, warns := validateText(t, presentTeam+"presentation:\n  steps:\n"+tt.yaml)
			got := errs
			if tt.warning {
				got = warns
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got\n%s\nwant it to contain\n%s", got, tt.want)
			}
		})
	}
	errs, _ = validateText(t, "presentation: {talk: soon, questions: 5}\n")
	for _, want := range []string{`lakebench.yml:10:16: presentation talk: "soon" is not a length of time`, `lakebench.yml:10:28: presentation questions: "5" is not a length of time`} {
		if !strings.Contains(errs, want) {
			t.Errorf("got\n%s\nwant it to contain\n%s", errs, want)
		}
	}
}

// TestPresentationLengths checks the lengths the demo's timer plans with.
func TestPresentationLengths(t *testing.T) {
	pr := Presentation{Talk: "12m", Questions: "bad"}
	if pr.TalkLength() != 12*time.Minute || pr.QuestionsLength() != DefaultQuestions {
		t.Errorf("got talk %s questions %s", pr.TalkLength(), pr.QuestionsLength())
	}
	var total time.Duration
	for _, s := range DefaultSteps() {
		total += s.Length()
	}
	if total != DefaultTalk {
		t.Errorf("the default steps take %s, want the default talk %s", total, DefaultTalk)
	}
}
