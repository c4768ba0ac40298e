package ml

import (
	"bytes"
	"cmp"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// fitBothWays trains spec on its table through readTraining (the dense
// path when it takes the table) and through Fit on the table's Frame, and
// returns both results and whether the dense path was taken.
func fitBothWays(t *testing.T, lh *lakehouse.Lakehouse, spec Spec) (dense, frame *Result, denseErr, frameErr error, tookDense bool) {
	t.Helper()
	ctx := context.Background()
	table, err := lakehouse.ParseTableName(spec.Table)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	f, d, err := readTraining(ctx, tx, table, spec)
	if err != nil {
		t.Fatal(err)
	}
	if d != nil {
		dense, denseErr = fitDense(ctx, d, spec, nil)
	} else {
		dense, denseErr = Fit(ctx, f, spec, nil)
	}
	whole, err := ReadFrame(ctx, lh, spec.Table, trainColumns(spec))
	if err != nil {
		t.Fatal(err)
	}
	frame, frameErr = Fit(ctx, whole, spec, nil)
	return dense, frame, denseErr, frameErr, d != nil
}

// TestDenseFitMatchesFrameFit: a training read straight into its matrix
// (every feature a number, a boolean or a date, no NULL among them) gives
// the Frame path's result byte for byte (artifact, metrics, loss,
// warnings), for binary, multiclass and regression labels, features given
// or inferred, unlabelled rows left out; features with a NULL, or a text
// feature, or cross-validation, take the Frame path; bad values are
// refused with the same message.
func TestDenseFitMatchesFrameFit(t *testing.T) {
	lh := openTarget(t)
	execSQL(t, lh, `CREATE TABLE gold.d AS SELECT range AS customer_id,
		sin(range * 0.37) * 3 + (range % 11) AS x1, CAST(range % 17 AS INTEGER) AS x2, range % 3 = 0 AS flag,
		DATE '2024-01-01' + CAST(range % 50 AS INTEGER) AS day,
		CASE WHEN range % 97 = 5 THEN NULL ELSE CAST(sin(range * 0.37) * 3 + (range % 7) > 4 AS INTEGER) END AS churned,
		CASE WHEN cos(range * 0.11) > 0.4 THEN 'a' WHEN cos(range * 0.11) > -0.4 THEN 'b' ELSE 'c' END AS kind,
		cos(range * 0.37) * 2 + (range % 11) * 0.5 + range % 13 AS amount,
		CASE WHEN range % 9 = 0 THEN NULL ELSE range % 23 END AS gappy,
		'r' || (range % 4) AS region
		FROM range(3000) ORDER BY hash(range)`)
	for _, c := range []struct {
		spec      Spec
		wantDense bool
	}{
		{Spec{Table: "gold.d", Label: "churned", Features: []string{"x1", "x2", "flag", "day"}, Seed: 7}, true},
		{Spec{Table: "gold.d", Label: "kind", Features: []string{"x1", "x2", "day"}, Seed: 3, C: 0.5}, true},
		{Spec{Table: "gold.d", Label: "amount", Features: []string{"x1", "x2", "flag"}, Task: Regression}, true},
		{Spec{Table: "gold.d", Label: "amount", Features: []string{"x1", "x2"}, Algorithm: algoRidge, Task: Regression, Alpha: 3}, true},
		{Spec{Table: "gold.d", Label: "churned", Features: []string{"x1", "gappy"}, Seed: 1}, false},
		{Spec{Table: "gold.d", Label: "churned", Features: []string{"x1", "region"}}, false},
		{Spec{Table: "gold.d", Label: "churned", Features: []string{"x1", "x2"}, CV: 3}, false},
	} {
		c.spec.Name = "m"
		dense, frame, derr, ferr, took := fitBothWays(t, lh, c.spec)
		if derr != nil || ferr != nil {
			t.Fatalf("%+v: %v / %v", c.spec, derr, ferr)
		}
		if took != c.wantDense {
			t.Errorf("%+v: dense path %v, want %v", c.spec, took, c.wantDense)
		}
		a, err := servable(dense.Model)
		if err != nil {
			t.Fatal(err)
		}
		b, err := servable(frame.Model)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%+v: the artifacts differ:\n%s\n%s", c.spec, a, b)
		}
		if !reflect.DeepEqual(dense.Metrics, frame.Metrics) || !reflect.DeepEqual(dense.Loss, frame.Loss) ||
			!reflect.DeepEqual(dense.Warnings, frame.Warnings) || dense.TrainRows != frame.TrainRows || dense.TestRows != frame.TestRows {
			t.Errorf("%+v: the results differ:\n%+v\n%+v", c.spec, dense, frame)
		}
	}

	// Features inferred: every column but the label and customer_id;
	// region and kind are text, so a table of numbers alone is needed.
	execSQL(t, lh, "CREATE TABLE gold.nums AS SELECT customer_id, x1, x2, flag, day, churned FROM gold.d")
	dense, frame, derr, ferr, took := fitBothWays(t, lh, Spec{Name: "m", Table: "gold.nums", Label: "churned"})
	if derr != nil || ferr != nil || !took {
		t.Fatalf("inferred features: %v / %v, dense path %v", derr, ferr, took)
	}
	if a, b := dense.Model.Prep.outputs(), frame.Model.Prep.outputs(); !reflect.DeepEqual(a, b) || len(a) != 4 {
		t.Errorf("inferred features: %v, the Frame path %v", a, b)
	}
	if !reflect.DeepEqual(dense.Model, frame.Model) || !reflect.DeepEqual(dense.Metrics, frame.Metrics) {
		t.Error("inferred features: the results differ")
	}

	// A NaN is refused as the Frame path refuses it.
	execSQL(t, lh, "CREATE TABLE gold.bad AS SELECT x1, CASE WHEN customer_id % 500 = 7 THEN 'NaN'::DOUBLE ELSE x1 * 2 END AS x3, churned FROM gold.d")
	_, _, derr, ferr, took = fitBothWays(t, lh, Spec{Name: "m", Table: "gold.bad", Label: "churned"})
	if !took || derr == nil || ferr == nil || derr.Error() != ferr.Error() || !strings.Contains(derr.Error(), `column "x3" has 6 NaN`) {
		t.Errorf("NaN: dense path %v: %v; Frame path: %v", took, derr, ferr)
	}
}

// TestDensePermute: the rows move in place to the training rows, then the
// test rows, then the rest, each with its own values.
func TestDensePermute(t *testing.T) {
	const n, p = 9, 3
	d := &denseTable{features: make([]Column, p), rows: n, data: make([]float64, n*p)}
	for i := range n {
		for j := range p {
			d.data[i*p+j] = float64(10*i + j)
		}
	}
	train, test := []int{4, 0, 8, 2}, []int{7, 1, 5}
	d.permute(train, test)
	for i, r := range append(append(append([]int{}, train...), test...), 3, 6) {
		for j := range p {
			if got := d.data[i*p+j]; got != float64(10*r+j) {
				t.Fatalf("row %d column %d: %v, want row %d's %v", i, j, got, r, 10*r+j)
			}
		}
	}
}

// TestDenseBadInput: bad labels and values are refused on the dense path
// with the Frame path's message.
func TestDenseBadInput(t *testing.T) {
	lh := openTarget(t)
	execSQL(t, lh, "CREATE TABLE gold.one AS SELECT 'yes' AS churned, range::DOUBLE AS x FROM range(40)")
	execSQL(t, lh, "CREATE TABLE gold.flat AS SELECT 5.0::DOUBLE AS spend, range::DOUBLE AS x FROM range(40)")
	execSQL(t, lh, "CREATE TABLE gold.tiny AS SELECT * FROM (VALUES ('a', 1.0), ('b', 2.0), ('a', 3.0)) v(kind, x)")
	execSQL(t, lh, "CREATE TABLE gold.inf AS SELECT CASE WHEN range = 9 THEN 'inf'::DOUBLE ELSE range END AS x, range % 2 AS y FROM range(40)")
	execSQL(t, lh, "CREATE TABLE gold.infy AS SELECT range::DOUBLE AS x, CASE WHEN range = 3 THEN '-inf'::DOUBLE ELSE range END AS y FROM range(40)")
	execSQL(t, lh, "CREATE TABLE gold.empty AS SELECT range::DOUBLE AS x, range % 2 AS y FROM range(0)")
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Table: "gold.one", Label: "churned"}, `label "churned" has one class`},
		{Spec{Table: "gold.flat", Label: "spend", Task: Regression}, `label "spend" is constant`},
		{Spec{Table: "gold.tiny", Label: "kind"}, "too few rows for the split"},
		{Spec{Table: "gold.inf", Label: "y", Task: Classification}, `column "x" has 1 NaN or infinite values (the first at row 10)`},
		{Spec{Table: "gold.infy", Label: "y"}, `column "y" has 1 NaN or infinite values`},
		{Spec{Table: "gold.empty", Label: "y"}, "no rows"},
	} {
		c.spec.Name = "m"
		_, _, derr, ferr, took := fitBothWays(t, lh, c.spec)
		if !took || derr == nil || ferr == nil || derr.Error() != ferr.Error() || !strings.Contains(derr.Error(), c.want) {
			t.Errorf("%s: dense path %v: %v; Frame path: %v; want %q", c.spec.Table, took, derr, ferr, c.want)
		}
	}
}

// TestOrderKeysSort: the radix sort orders keys as a sort by (hash, row)
// does, with many equal hashes (equal rows) among them.
func TestOrderKeysSort(t *testing.T) {
	for _, n := range []int{0, 1, 2, 1000, 70000} {
		keys := newOrderKeys(n)
		for i := range keys {
			keys[i].h = mix(uint64(i % 37))
			if i%5 == 0 {
				keys[i].h = mix(uint64(i))
			}
			if i%7 == 0 {
				keys[i].h &= 0xffff // equal high bytes
			}
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, func(a, b orderKey) int {
			if c := cmp.Compare(a.h, b.h); c != 0 {
				return c
			}
			return cmp.Compare(a.row, b.row)
		})
		keys.sort()
		if !slices.Equal(keys, want) {
			t.Errorf("%d keys: the radix sort's order differs from a comparison sort's", n)
		}
	}
}
