package ml

import (
	"context"
	"math"
	"testing"
)

// TestPredictInBlocksIsTheWholeMatrix scores a real DuckDB table of 100,003
// rows (three full blocks and a ragged last one, a text column with a level
// training never saw, NULLs to impute) a block at a time, as Predict and
// batch inference do, and as one matrix of every row: the predictions must
// be the same bits, for a binary, a multinomial and a regression model.
func TestPredictInBlocksIsTheWholeMatrix(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, `CREATE SCHEMA IF NOT EXISTS gold`)
	execSQL(t, lh, `CREATE TABLE gold.scored AS
		SELECT i AS customer_id,
			CASE WHEN i % 17 = 0 THEN NULL ELSE sin(i) * 40 + 50 END AS tenure,
			cos(i * 0.7) * 3 AS spend,
			(i % 5 = 0) AS promo,
			CASE WHEN i % 29 = 0 THEN NULL ELSE ['north', 'south', 'east', 'west'][1 + i % 4] END AS region,
			(sin(i) + cos(i * 0.7) > 0.2)::INTEGER AS churned,
			['low', 'mid', 'high'][1 + ((i * 7) % 3)] AS tier,
			sin(i) * 12 + cos(i * 0.7) AS amount
		FROM range(100003) t(i)`)
	// Trained without the east region, so scoring meets an unseen level.
	execSQL(t, lh, `CREATE TABLE gold.scored_train AS SELECT * FROM gold.scored WHERE region IS DISTINCT FROM 'east'`)
	trainFrame, err := ReadFrame(ctx, lh, "gold.scored_train", nil)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := ReadFrame(ctx, lh, "gold.scored", nil)
	if err != nil {
		t.Fatal(err)
	}
	if frame.Rows <= 3*evalBlock {
		t.Fatalf("the table has %d rows, want more than three blocks of %d", frame.Rows, evalBlock)
	}
	features := []string{"tenure", "spend", "promo", "region"}
	for _, tt := range []struct {
		label string
		task  Task
	}{{"churned", Classification}, {"tier", Classification}, {"amount", Regression}} {
		res, err := Fit(ctx, trainFrame, Spec{Label: tt.label, Features: features, Task: tt.task, Seed: 3}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.label, err)
		}
		m := res.Model
		blocks, err := m.Predict(frame)
		if err != nil {
			t.Fatalf("%s: %v", tt.label, err)
		}
		X, err := m.Prep.matrix(frame, nil)
		if err != nil {
			t.Fatal(err)
		}
		whole := m.predictMatrix(X)
		if got, want := len(blocks.Class)+len(blocks.Value), frame.Rows; got != want {
			t.Fatalf("%s: %d predictions for %d rows", tt.label, got, want)
		}
		for i := range frame.Rows {
			if tt.task == Regression {
				if math.Float64bits(blocks.Value[i]) != math.Float64bits(whole.Value[i]) {
					t.Fatalf("%s row %d: in blocks %v, whole %v", tt.label, i, blocks.Value[i], whole.Value[i])
				}
				continue
			}
			if blocks.Class[i] != whole.Class[i] {
				t.Fatalf("%s row %d: in blocks %q, whole %q", tt.label, i, blocks.Class[i], whole.Class[i])
			}
			for k := range blocks.Proba[i] {
				if math.Float64bits(blocks.Proba[i][k]) != math.Float64bits(whole.Proba[i][k]) {
					t.Fatalf("%s row %d class %d: in blocks %v, whole %v", tt.label, i, k, blocks.Proba[i][k], whole.Proba[i][k])
				}
			}
		}
	}
}

