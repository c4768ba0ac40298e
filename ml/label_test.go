package ml

import (
	"context"
	"strings"
	"testing"
)

// TestLabelTemporalRefused: a DATE or TIMESTAMP label is neither a class nor
// an amount; training says so and names what to do, whatever the task.
func TestLabelTemporalRefused(t *testing.T) {
	ctx := context.Background()
	lh := openFrameTarget(t,
		`CREATE TABLE gold.t AS SELECT i::DOUBLE AS x, DATE '2026-01-01' + (i % 40)::INT AS d,
			TIMESTAMP '2026-01-01' + to_hours(i) AS ts FROM range(200) r(i)`)
	for _, label := range []string{"d", "ts"} {
		for _, task := range []Task{"", Regression, Classification} {
			f, err := ReadFrame(ctx, lh, "gold.t", []string{"x", label})
			if err != nil {
				t.Fatal(err)
			}
			_, err = Fit(ctx, f, Spec{Name: "m", Table: "gold.t", Label: label, Features: []string{"x"}, Task: task}, nil)
			if err == nil || !strings.Contains(err.Error(), "neither a class nor an amount") || !strings.Contains(err.Error(), "date_diff") {
				t.Errorf("label %s task %q: err = %v, want the temporal label refused", label, task, err)
			}
		}
	}
}

// TestLabelTooManyClasses: a classification label with more classes than
// maxClasses is refused with the count; at the cap it trains.
func TestLabelTooManyClasses(t *testing.T) {
	ctx := context.Background()
	lh := openFrameTarget(t,
		`CREATE TABLE gold.t AS SELECT (i % 7)::DOUBLE AS x, 'c' || (i % 101) AS many, 'c' || (i % 3) AS few FROM range(1010) r(i)`)
	f, err := ReadFrame(ctx, lh, "gold.t", []string{"x", "many"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Fit(ctx, f, Spec{Name: "m", Table: "gold.t", Label: "many", Features: []string{"x"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "has 101 classes") {
		t.Fatalf("err = %v, want 101 classes refused", err)
	}
	f, err = ReadFrame(ctx, lh, "gold.t", []string{"x", "few"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(ctx, f, Spec{Name: "m", Table: "gold.t", Label: "few", Features: []string{"x"}}, nil); err != nil {
		t.Fatalf("3 classes: %v", err)
	}
}
