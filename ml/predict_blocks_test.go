package ml

import (
	"context"
	"math"
	"strconv"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestPredictInBlocksIsTheWholeMatrix scores a real DuckDB table of 100,003
// rows (three full blocks and a ragged last one, a text column with a level
// training never saw, NULLs to impute) a block at a time, as Predict and
// batch inference do, and as one matrix of every row: the predictions must
// be the same bits, for a binary, a multinomial and a regression model.
func TestPredictInBlocksIsTheWholeMatrix(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	scoringTable(t, lh, "gold.scored", 100003)
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

// scoringTable creates a table of customers to score: NULLs to impute
// (tenure, region), a boolean and a text column, a binary (churned) and a
// three-class (tier) label and an amount.
func scoringTable(t *testing.T, lh *lakehouse.Lakehouse, table string, rows int) {
	t.Helper()
	execSQL(t, lh, `CREATE SCHEMA IF NOT EXISTS gold`)
	execSQL(t, lh, `CREATE TABLE `+table+` AS
		SELECT i AS customer_id,
			CASE WHEN i % 17 = 0 THEN NULL ELSE sin(i) * 40 + 50 END AS tenure,
			cos(i * 0.7) * 3 AS spend,
			(i % 5 = 0) AS promo,
			CASE WHEN i % 29 = 0 THEN NULL ELSE ['north', 'south', 'east', 'west'][1 + i % 4] END AS region,
			(sin(i) + cos(i * 0.7) > 0.2)::INTEGER AS churned,
			['low', 'mid', 'high'][1 + ((i * 7) % 3)] AS tier,
			sin(i) * 12 + cos(i * 0.7) AS amount
		FROM range(`+strconv.Itoa(rows)+`) t(i)`)
}

// TestBatchPredictInSlices scores a 300,003-row table with Registry.Predict,
// which reads, scores and writes it a slice of rows at a time (three
// slices of one row group here): every row is written once, with the bits of the whole
// table's predictions in one frame.
func TestBatchPredictInSlices(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	scoringTable(t, lh, "gold.many", 300003)
	execSQL(t, lh, `CREATE TABLE gold.few AS SELECT * FROM gold.many WHERE customer_id < 5000`)
	defer func(b int) { predictSliceBytes = b }(predictSliceBytes)
	predictSliceBytes = 1 // a row group a slice
	r := NewRegistry(lh)
	features := []string{"tenure", "spend", "region"}
	if _, _, err := r.Train(ctx, Spec{Name: "churn", Table: "gold.few", Label: "churned", Features: features, Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	s, err := r.Predict(ctx, "churn@champion", "gold.many", "gold.many_scores")
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 300003 {
		t.Fatalf("scored %d rows, want 300003", s.Rows)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices := 0
	err = tx.ReadColumnsEach(ctx, lakehouse.TableName{Schema: "gold", Name: "many"}, []string{"customer_id", "tenure", "spend", "region"}, predictSliceBytes,
		func(*lakehouse.ColumnData) error { slices++; return nil })
	tx.Rollback()
	if err != nil || slices < 3 {
		t.Fatalf("the table reads in %d slices (%v), want 3 or more", slices, err)
	}
	d, err := r.Show(ctx, "churn@champion")
	if err != nil {
		t.Fatal(err)
	}
	frame, err := ReadFrame(ctx, lh, "gold.many", nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := d.Model.Predict(frame)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadFrame(ctx, lh, "gold.many_scores", []string{"customer_id", "prediction", "prob_0", "prob_1"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != frame.Rows {
		t.Fatalf("%d rows written, want %d", got.Rows, frame.Rows)
	}
	rowOf := make(map[float64]int, frame.Rows)
	for k, v := range frame.Column("customer_id").Num {
		rowOf[v] = k
	}
	seen := make([]bool, frame.Rows)
	id, class, p0, p1 := got.Column("customer_id"), got.Column("prediction"), got.Column("prob_0"), got.Column("prob_1")
	for i := range got.Rows {
		k := rowOf[id.Num[i]]
		if seen[k] {
			t.Fatalf("customer %d written twice", k)
		}
		seen[k] = true
		if class.Text[i] != want.Class[k] || math.Float64bits(p0.Num[i]) != math.Float64bits(want.Proba[k][0]) ||
			math.Float64bits(p1.Num[i]) != math.Float64bits(want.Proba[k][1]) {
			t.Fatalf("customer %d: %s %v %v, want %s %v", k, class.Text[i], p0.Num[i], p1.Num[i], want.Class[k], want.Proba[k])
		}
	}
}
