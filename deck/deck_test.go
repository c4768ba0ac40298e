package deck

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/pipeline"
)

func days(values ...float64) *Series {
	s := &Series{Title: "t", Y: "revenue"}
	d0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i, v := range values {
		s.Days = append(s.Days, d0.AddDate(0, 0, i))
		s.Values = append(s.Values, v)
	}
	return s
}

func TestLargestChanges(t *testing.T) {
	s := days(100, 110, 50, 55, 150, 140)
	got := LargestChanges(s, 3)
	want := []struct {
		day   int
		delta float64
	}{{4, 95}, {2, -60}, {1, 10}}
	if len(got) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if !got[i].Day.Equal(s.Days[w.day]) || got[i].Delta != w.delta || !got[i].Adjacent {
			t.Errorf("change %d: got %s %+v, want day %d delta %g", i, got[i].Day.Format(time.DateOnly), got[i], w.day, w.delta)
		}
	}
	if r := got[1].Relative; math.Abs(r-(-60.0/110)) > 1e-12 {
		t.Errorf("relative change %g, want %g", r, -60.0/110)
	}
	if LargestChanges(days(1), 3) != nil || LargestChanges(nil, 3) != nil {
		t.Error("a series of one day has no change")
	}
}

func TestFindDip(t *testing.T) {
	// Four weeks of a weekly pattern with the third week halved: the dip
	// is that week, whatever its weekends do.
	var v []float64
	for w := 0; w < 4; w++ {
		for d := 0; d < 7; d++ {
			x := 100.0
			if d >= 5 {
				x = 200
			}
			if w == 2 {
				x /= 2
			}
			v = append(v, x)
		}
	}
	s := days(v...)
	dip := FindDip(s)
	if dip == nil {
		t.Fatal("no dip found")
	}
	if !dip.From.Equal(s.Days[14]) || !dip.To.Equal(s.Days[20]) {
		t.Errorf("dip %s..%s, want %s..%s", dip.From.Format(time.DateOnly), dip.To.Format(time.DateOnly), s.Days[14].Format(time.DateOnly), s.Days[20].Format(time.DateOnly))
	}
	if math.Abs(dip.Relative+0.5) > 0.01 {
		t.Errorf("dip %+.3f against usual, want -0.5", dip.Relative)
	}
	flat := days(5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5)
	if d := FindDip(flat); d != nil {
		t.Errorf("a flat series has a dip: %+v", d)
	}
	if d := FindDip(days(1, 2, 3)); d != nil {
		t.Errorf("a short series has a dip: %+v", d)
	}
}

// TestBuildKeepsTheLimit gives a presentation more steps of its own than
// fit: the deck stays within MaxSlides, every section still there, and
// the steps left out are named in the last slide's notes.
func TestBuildKeepsTheLimit(t *testing.T) {
	p := &pipeline.Project{Bundle: pipeline.Bundle{Name: "b"}}
	steps := pipeline.DefaultSteps()
	for i := 0; i < 12; i++ {
		steps = append(steps, pipeline.Step{ID: fmt.Sprintf("extra%d", i), Title: fmt.Sprintf("Extra %d", i), Caption: "more"})
	}
	p.Presentation = &pipeline.Presentation{Steps: steps, Team: "Ducks"}
	d := Build(p, p.PresentationOrDefault(), &Facts{Target: "dev", Errors: map[string]error{}}, "s")
	if len(d.Slides) != MaxSlides {
		t.Errorf("%d slides, want %d", len(d.Slides), MaxSlides)
	}
	for _, sec := range Sections {
		found := false
		for _, s := range d.Slides {
			found = found || s.Section == sec.ID
		}
		if !found {
			t.Errorf("section %s left out", sec.ID)
		}
	}
	last := strings.Join(d.Slides[len(d.Slides)-1].Notes, "\n")
	if !strings.Contains(last, "Extra 11 did not fit") {
		t.Errorf("the last notes do not name the step left out:\n%s", last)
	}
	md := d.Markdown()
	if n := strings.Count(md, "\n---\n"); n != MaxSlides { // the front matter's close and one between each slide
		t.Errorf("%d separators, want %d", n, MaxSlides)
	}
}

// TestMarkdownEscapes: a bundle's words cannot break a table, start
// markup, or close a speaker note early.
func TestMarkdownEscapes(t *testing.T) {
	p := &pipeline.Project{Bundle: pipeline.Bundle{Name: "b"}}
	p.Framing.Problem = "Is <b>x</b> | y *really* #1?"
	p.Presentation = &pipeline.Presentation{Steps: []pipeline.Step{{ID: "problem", Title: "P", Notes: "end --> here"}}}
	d := Build(p, p.PresentationOrDefault(), &Facts{Target: "dev", Errors: map[string]error{}}, "s")
	md := d.Markdown()
	if !strings.Contains(md, `> Is \<b\>x\</b\> \| y \*really\* \#1?`) {
		t.Errorf("problem not escaped:\n%s", md)
	}
	if strings.Contains(md, "end -->") || !strings.Contains(md, "end -> here") {
		t.Errorf("a note closes its comment early:\n%s", md)
	}
}

func TestCostLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.00020: "0.0002", 0.000054: "0.000054", 0.0000075: "0.0000075", 1.5: "1.50", 1234: "1.23k"} {
		if got := costLabel(v); got != want {
			t.Errorf("costLabel(%g) = %q, want %q", v, got, want)
		}
	}
}

// TestBuildOrder: the sections in the guide's order whatever the steps'
// order; a step of the team's own, or a section's step given again, is a
// slide of its own after the section step before it.
func TestBuildOrder(t *testing.T) {
	p := &pipeline.Project{Bundle: pipeline.Bundle{Name: "b"}}
	p.Presentation = &pipeline.Presentation{Steps: []pipeline.Step{
		{ID: "model", Title: "Model"}, {ID: "demo", Title: "Live demo", Caption: "watch"},
		{ID: "problem", Title: "Problem"}, {ID: "model", Title: "Model again"},
	}}
	d := Build(p, p.PresentationOrDefault(), &Facts{Target: "dev", Errors: map[string]error{}}, "s")
	var got []string
	for _, s := range d.Slides {
		got = append(got, s.Section)
	}
	want := "title problem model team architecture architecture pipeline incident model demo dashboard insights insights cost next_steps"
	if strings.Join(got, " ") != want {
		t.Errorf("slides\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}
