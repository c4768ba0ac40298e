package ml

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// The algorithms Spec.Algorithm names.
const (
	algoLogistic = "logistic"
	algoLinear   = "linear"
	algoRidge    = "ridge"
)

// maxIntegerClasses is how many distinct integer label values still make a
// classification when the task is inferred.
const maxIntegerClasses = 20

// maxClasses bounds a classification label's classes.
const maxClasses = 100

// temporal reports whether a DuckDB type is a date, time or interval: a
// label of one is neither a class nor an amount.
func temporal(typ string) bool {
	t := strings.ToUpper(typ)
	return strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIME") || strings.HasPrefix(t, "INTERVAL")
}

// Fit prepares the frame's features, splits the rows (seeded, stratified for
// classification), fits spec's algorithm on the training rows, evaluates it
// on the rest and, when spec.CV > 1, cross-validates on the training rows.
// Rows whose label is NULL are left out (with a warning). progress may be
// nil.
//
// Fit first sets an order of f's rows by their label and feature values
// (canonicalOrder), and the split reads the rows in that order, so the
// physical order of the table's rows never changes the split or the
// model's bytes. f is not changed.
func Fit(ctx context.Context, f *Frame, spec Spec, progress func(Progress)) (*Result, error) {
	s, tgt, features, err := setup(f, spec)
	if err != nil {
		return nil, err
	}
	// The labelled rows, in the canonical order (filtered in place).
	rows := canonicalOrder(f, append([]string{s.Label}, features...))
	if rows == nil {
		rows = allPositions(f.Rows)
	}
	rows = slices.DeleteFunc(rows, tgt.unlabelled)
	train, test, err := splitRows(rows, tgt.classOfRows(rows), tgt.classes, s.TestSize, s.Seed)
	if err != nil {
		return nil, err
	}
	return fitSplit(ctx, f, s, tgt, features, train, test, progress)
}

// fitOn is Fit on the given training and test rows instead of a seeded
// split (the parity tests use scikit-learn's split).
func fitOn(ctx context.Context, f *Frame, spec Spec, train, test []int, progress func(Progress)) (*Result, error) {
	s, tgt, features, err := setup(f, spec)
	if err != nil {
		return nil, err
	}
	return fitSplit(ctx, f, s, tgt, features, train, test, progress)
}

// setup checks spec against f and returns it with its defaults filled, the
// label's target and the feature columns.
func setup(f *Frame, spec Spec) (Spec, *target, []string, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return Spec{}, nil, nil, err
	}
	if f == nil || f.Rows == 0 {
		return Spec{}, nil, nil, fmt.Errorf("ml: the table has no rows: add rows before training")
	}
	if err := checkFrame(f); err != nil {
		return Spec{}, nil, nil, err
	}
	tgt, err := newTarget(f, &s)
	if err != nil {
		return Spec{}, nil, nil, err
	}
	if err := resolveAlgorithm(&s); err != nil {
		return Spec{}, nil, nil, err
	}
	features, err := resolveFeatures(f, s)
	if err != nil {
		return Spec{}, nil, nil, err
	}
	if err := checkFinite(f, features); err != nil {
		return Spec{}, nil, nil, err
	}
	return s, tgt, features, nil
}

// withDefaults returns s with its zero values replaced by scikit-learn's
// defaults, or an error naming a setting out of range.
func (s Spec) withDefaults() (Spec, error) {
	if s.Label == "" {
		return s, fmt.Errorf("ml: no label: name the column to predict")
	}
	switch {
	case s.TestSize == 0:
		s.TestSize = defaultTestSize
	case !(s.TestSize > 0 && s.TestSize < 1):
		return s, fmt.Errorf("ml: test_size is %g: give a fraction between 0 and 1, such as 0.25", s.TestSize)
	}
	switch {
	case s.C == 0:
		s.C = 1
	case !(s.C > 0):
		return s, fmt.Errorf("ml: c is %g: give a positive inverse penalty, such as 1.0 (+Inf for none)", s.C)
	}
	switch {
	case s.Alpha == 0:
		s.Alpha = 1
	case !(s.Alpha > 0) || math.IsInf(s.Alpha, 0):
		return s, fmt.Errorf("ml: alpha is %g: give a positive finite penalty, such as 1.0", s.Alpha)
	}
	switch {
	case s.MaxIter == 0:
		s.MaxIter = 100
	case s.MaxIter < 0:
		return s, fmt.Errorf("ml: max_iter is %d: give a positive number of iterations, such as 100", s.MaxIter)
	}
	switch {
	case s.Tol == 0:
		s.Tol = 1e-4
	case !(s.Tol > 0):
		return s, fmt.Errorf("ml: tol is %g: give a positive tolerance, such as 1e-4", s.Tol)
	}
	if s.CV < 0 {
		return s, fmt.Errorf("ml: cv is %d: give a number of folds of 2 or more, or 0 for none", s.CV)
	}
	if s.MaxCategories < 0 {
		return s, fmt.Errorf("ml: max_categories is %d: give a positive bound, such as 100", s.MaxCategories)
	}
	if s.MaxCategories == 0 {
		s.MaxCategories = defaultMaxCategories
	}
	return s, nil
}

// resolveAlgorithm fills s.Algorithm for s.Task, or says it does not fit.
func resolveAlgorithm(s *Spec) error {
	switch s.Algorithm {
	case "":
		s.Algorithm = algoLogistic
		if s.Task == Regression {
			s.Algorithm = algoLinear
		}
	case algoLogistic:
		if s.Task != Classification {
			return fmt.Errorf("ml: algorithm logistic classifies, but the task is %s: use linear or ridge", s.Task)
		}
	case algoLinear, algoRidge:
		if s.Task != Regression {
			return fmt.Errorf("ml: algorithm %s is a regression, but the task is %s: use logistic", s.Algorithm, s.Task)
		}
	default:
		return fmt.Errorf("ml: unknown algorithm %q: use logistic, linear or ridge", s.Algorithm)
	}
	return nil
}

// target is the label of a frame: class indexes or values per frame row.
type target struct {
	label   string
	task    Task
	classes []string
	// class holds each frame row's class index (-1 where the label is
	// NULL) for classification; value each row's value for regression.
	class []int
	value []float64
	// null is the label's NULL mask (nil when it has none); dropped
	// counts the rows it marks.
	null    []bool
	dropped int
}

// labelledRows returns the frame rows with a label, ascending.
func (t *target) labelledRows(n int) []int {
	return slices.DeleteFunc(allPositions(n), t.unlabelled)
}

// unlabelled reports whether frame row r's label is NULL.
func (t *target) unlabelled(r int) bool { return t.null != nil && t.null[r] }

// classOfRows returns the class index of each of rows, or nil for regression.
func (t *target) classOfRows(rows []int) []int {
	if t.task != Classification {
		return nil
	}
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = t.class[r]
	}
	return out
}

// newTarget reads s.Label from f, infers s.Task when it is empty, and checks
// the label can be learnt.
func newTarget(f *Frame, s *Spec) (*target, error) {
	c := f.Column(s.Label)
	if c == nil {
		return nil, fmt.Errorf("ml: label column %q is not in the table%s: name an existing column", s.Label, didYouMean(s.Label, f))
	}
	if err := checkFinite(f, []string{s.Label}); err != nil {
		return nil, err
	}
	if temporal(c.Type) {
		return nil, fmt.Errorf("ml: label %q is a %s, which is neither a class nor an amount: derive one in a model (such as date_diff('day', start, %s) for a duration, or a flag for a class) and train on that", s.Label, c.Type, s.Label)
	}
	t := &target{label: s.Label, null: c.Null}
	for i := range f.Rows {
		if c.IsNull(i) {
			t.dropped++
		}
	}
	if t.dropped == f.Rows {
		return nil, fmt.Errorf("ml: label %q is NULL in every row: pick a label column with values", s.Label)
	}
	switch s.Task {
	case "":
		s.Task = inferTask(c, f.Rows)
	case Classification, Regression:
	default:
		return nil, fmt.Errorf("ml: unknown task %q: use classification or regression", s.Task)
	}
	t.task = s.Task
	if t.task == Regression {
		if c.Kind != Numeric {
			kind := "text"
			if c.Kind == Boolean {
				kind = "boolean"
			}
			return nil, fmt.Errorf("ml: label %q is %s (%s), and a regression label must be numeric: use task classification, or cast the label to a number", s.Label, kind, c.Type)
		}
		t.value = c.Num[:f.Rows]
		first := math.NaN()
		for r := range f.Rows {
			switch {
			case c.IsNull(r):
			case math.IsNaN(first):
				first = c.Num[r]
			case c.Num[r] != first:
				return t, nil
			}
		}
		return nil, fmt.Errorf("ml: label %q is constant (%s in all %d rows), so there is nothing to learn: pick another label", s.Label, strconv.FormatFloat(first, 'g', -1, 64), f.Rows-t.dropped)
	}
	t.classes, t.class = encodeClasses(c, f.Rows)
	if len(t.classes) > maxClasses {
		return nil, fmt.Errorf("ml: label %q has %d classes, more than the %d a classifier here takes (each class is a set of coefficients and a prob_ column): group the rare classes into one in a model, or train a regression if the label is an amount", s.Label, len(t.classes), maxClasses)
	}
	if len(t.classes) < 2 {
		return nil, fmt.Errorf("ml: label %q has one class (%q in all %d rows), and a classifier needs two or more: pick another label or add rows of other classes", s.Label, t.classes[0], f.Rows-t.dropped)
	}
	return t, nil
}

// inferTask says classification for a text or boolean label or one of a few
// distinct integers, regression otherwise.
func inferTask(c *Column, rows int) Task {
	if c.Kind != Numeric {
		return Classification
	}
	distinct := make(map[float64]bool)
	for r := range rows {
		if c.IsNull(r) {
			continue
		}
		v := c.Num[r]
		if v != math.Trunc(v) {
			return Regression
		}
		distinct[v] = true
		if len(distinct) > maxIntegerClasses {
			return Regression
		}
	}
	return Classification
}

// encodeClasses returns a label column's classes, as sorted strings (numbers
// in numeric order, false before true), and each row's class index (-1 where
// NULL).
func encodeClasses(c *Column, rows int) ([]string, []int) {
	class := make([]int, rows)
	if c.Kind == Text {
		index := make(map[string]int)
		for i := range rows {
			if !c.IsNull(i) {
				index[c.Text[i]] = 0
			}
		}
		classes := make([]string, 0, len(index))
		for v := range index {
			classes = append(classes, v)
		}
		slices.Sort(classes)
		for k, v := range classes {
			index[v] = k
		}
		for i := range rows {
			class[i] = -1
			if !c.IsNull(i) {
				class[i] = index[c.Text[i]]
			}
		}
		return classes, class
	}
	// A label's few values are found by a scan of those seen, faster
	// than a map's hashing on a million rows; past a few, by the map.
	var seen []float64
	index := make(map[float64]int)
	for i := range rows {
		if c.IsNull(i) {
			continue
		}
		v := c.Num[i]
		if len(seen) <= 8 && slices.Contains(seen, v) {
			continue
		}
		if _, ok := index[v]; !ok {
			index[v] = 0
			seen = append(seen, v)
		}
	}
	values := make([]float64, 0, len(index))
	for v := range index {
		values = append(values, v)
	}
	slices.Sort(values)
	classes := make([]string, len(values))
	for k, v := range values {
		index[v] = k
		classes[k] = formatClass(c.Kind, v)
	}
	for i := range rows {
		class[i] = -1
		if c.IsNull(i) {
			continue
		}
		v := c.Num[i]
		if len(values) <= 8 {
			class[i] = slices.Index(values, v)
		} else {
			class[i] = index[v]
		}
	}
	return classes, class
}

// formatClass writes a numeric or boolean label value as a class name.
func formatClass(kind ColumnKind, v float64) string {
	if kind == Boolean {
		return strconv.FormatBool(v != 0)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// fitSplit fits on the train rows, evaluates on the test rows and
// cross-validates on the train rows when s.CV > 1.
func fitSplit(ctx context.Context, f *Frame, s Spec, tgt *target, features []string, train, test []int, progress func(Progress)) (*Result, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	res := &Result{TrainRows: len(train), TestRows: len(test)}
	if tgt.dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("left out %d rows whose label %q is NULL", tgt.dropped, tgt.label))
	}
	var folds [][]int
	if s.CV > 1 {
		var err error
		if folds, err = cvFolds(s, tgt, train); err != nil {
			return nil, err
		}
	}
	progress(Progress{Stage: "prepare"})
	m, fit, err := fitModel(ctx, f, s, tgt, features, train, func(iter int, loss float64) {
		progress(Progress{Stage: "fit", Iter: iter, Loss: loss})
	})
	if err != nil {
		return nil, err
	}
	res.fitted(m, fit, s)
	progress(Progress{Stage: "evaluate"})
	if len(train)*m.Prep.width()*8 >= largeMatrixBytes {
		// The training matrix and the optimiser's vectors are garbage now:
		// returned, evaluating and registering (about half the matrix in
		// Go, more inside DuckDB) stay below the fit's peak; kept, they
		// would stay resident beside what those allocate (BenchmarkTrain1M,
		// medians of 3 on a loaded machine: peak 2.33-2.45x the matrix
		// without, after the fit; 2.09-2.39 with, at the fit).
		debug.FreeOSMemory()
	}
	metrics, warnings, err := evaluate(m, f, tgt, test)
	if err != nil {
		return nil, err
	}
	metrics.Importance = importance(m.Prep.outputs(), m.Coef)
	res.Metrics = metrics
	res.Warnings = append(res.Warnings, warnings...)
	for i, held := range folds {
		fold := i + 1
		fm, ffit, err := fitModel(ctx, f, s, tgt, features, complement(train, held), func(iter int, loss float64) {
			progress(Progress{Stage: "cv", Fold: fold, Iter: iter, Loss: loss})
		})
		if err != nil {
			return nil, fmt.Errorf("ml: cross-validation fold %d: %w", fold, err)
		}
		if !ffit.Converged {
			res.Warnings = append(res.Warnings, convergenceWarning(s, ffit.Iterations, fold))
		}
		fmetrics, fwarnings, err := evaluate(fm, f, tgt, held)
		if err != nil {
			return nil, fmt.Errorf("ml: cross-validation fold %d: %w", fold, err)
		}
		for _, w := range fwarnings {
			res.Warnings = append(res.Warnings, fmt.Sprintf("cross-validation fold %d: %s", fold, w))
		}
		res.CV = append(res.CV, fmetrics.Values)
	}
	return res, nil
}

// cvFolds checks the training rows can make s.CV folds and deals them.
func cvFolds(s Spec, tgt *target, train []int) ([][]int, error) {
	if len(train) < 2*s.CV {
		return nil, fmt.Errorf("ml: too few rows for %d-fold cross-validation: %d training rows, and each fold needs at least one row to fit and one to test: lower cv or add rows", s.CV, len(train))
	}
	class := tgt.classOfRows(train)
	if class != nil {
		counts := make([]int, len(tgt.classes))
		for _, k := range class {
			counts[k]++
		}
		for k, n := range counts {
			if n < s.CV {
				return nil, fmt.Errorf("ml: too few rows for %d-fold cross-validation: class %q has %d training rows, and stratified folds need at least %d: lower cv or add rows of it", s.CV, tgt.classes[k], n, s.CV)
			}
		}
	}
	return foldRows(train, class, len(tgt.classes), s.CV, s.Seed), nil
}

// fitted records the fit of m on the training rows in res, with a
// warning when the optimiser did not converge.
func (res *Result) fitted(m *Model, fit *LinearFit, s Spec) {
	res.Model = m
	res.Loss, res.Iterations, res.Converged = fit.Loss, fit.Iterations, fit.Converged
	if !fit.Converged {
		res.Warnings = append(res.Warnings, convergenceWarning(s, fit.Iterations, 0))
	}
}

// convergenceWarning says the optimiser stopped at max_iter, as
// scikit-learn's ConvergenceWarning.
func convergenceWarning(s Spec, iterations, fold int) string {
	where := ""
	if fold > 0 {
		where = fmt.Sprintf("cross-validation fold %d: ", fold)
	}
	return fmt.Sprintf("%s%s regression did not converge in %d iterations (max_iter %d, tol %g): raise max_iter (lakebench train --max-iter N: the features are standardised already); the coefficients may be off the optimum (scikit-learn's ConvergenceWarning)", where, s.Algorithm, iterations, s.MaxIter, s.Tol)
}

// largeMatrixBytes is the size of a training matrix from which Fit
// collects garbage around it (see fitModel).
const largeMatrixBytes = 64 << 20

// fitModel fits the preparation and the algorithm on f's rows.
func fitModel(ctx context.Context, f *Frame, s Spec, tgt *target, features []string, rows []int, progress func(int, float64)) (*Model, *LinearFit, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("ml: training cancelled: %w", err)
	}
	prep, err := fitPrep(f, features, rows, s.MaxCategories)
	if err != nil {
		return nil, nil, err
	}
	if len(rows)*prep.width()*8 >= largeMatrixBytes {
		// The training matrix is the largest allocation of a training and
		// is made beside the frame. The index slices of ordering and
		// splitting (about a third of the matrix) are garbage by now: the
		// Go collector would free them only once the matrix is allocated,
		// and freed they stay resident, in pieces the matrix cannot use.
		// Returning them first keeps the peak at the frame plus the
		// matrix: 0.15-0.2x of the matrix lower in BenchmarkTrain1M. It
		// costs one collection (10-130 ms on 1M x 20, most of it
		// concurrent) per training of a matrix of 64 MB or more.
		debug.FreeOSMemory()
	}
	X, err := prep.matrix(f, rows)
	if err != nil {
		return nil, nil, err
	}
	return fitMatrix(ctx, X, prep, s, tgt, rows, progress)
}

// fitMatrix fits spec's algorithm on X, rows prepared by prep: row i of X
// is frame row rows[i], whose label tgt holds.
func fitMatrix(ctx context.Context, X *mat.Dense, prep Prep, s Spec, tgt *target, rows []int, progress func(int, float64)) (*Model, *LinearFit, error) {
	var err error
	m := &Model{Name: s.Name, Task: s.Task, Algorithm: s.Algorithm, Label: s.Label, Classes: tgt.classes, Prep: prep}
	var fit *LinearFit
	if s.Task == Classification {
		y := tgt.classOfRows(rows)
		fit, err = FitLogistic(ctx, X, y, len(tgt.classes), FitOptions{C: s.C, MaxIter: s.MaxIter, Tol: s.Tol, Progress: progress})
	} else {
		y := make([]float64, len(rows))
		for i, r := range rows {
			y[i] = tgt.value[r]
		}
		alpha := 0.0
		if s.Algorithm == algoRidge {
			alpha = s.Alpha
		}
		fit, err = FitLinear(ctx, X, y, alpha)
		if err == nil {
			for i, loss := range fit.Loss {
				progress(i+1, loss)
			}
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ml: fitting %s on %d rows: %w", s.Algorithm, len(rows), err)
	}
	m.Coef, m.Intercept = fit.Coef, fit.Intercept
	if err := m.check(); err != nil {
		return nil, nil, fmt.Errorf("ml: the %s trainer returned a malformed fit: %w", s.Algorithm, err)
	}
	return m, fit, nil
}

// evalBlock is how many rows evaluate prepares and scores at a time: the
// test rows' matrix is never whole beside the training's.
const evalBlock = 1 << 15

// minBlockRows is the fewest rows a block of predictRows has (but for a
// whole set of fewer): gonum's Dgemm multiplies 64-row blocks in parallel
// from 4 of them on, each row summed the same way at any number of rows
// past that, so the scores are those of one multiplication of all the rows.
const minBlockRows = 4 * 64

// predictRows prepares f's given rows (all of them when rows is nil) and
// scores them with m, a block of rows at a time: one block's matrix is
// held at once, reused from block to block, and the scores are those of
// the whole matrix (see minBlockRows).
func (m *Model) predictRows(f *Frame, rows []int) (*Predictions, error) {
	n := len(rows)
	if rows == nil {
		n = f.Rows
	}
	var buf []float64
	var all []int // the block's rows when rows is nil
	return m.scoreBlocks(n, func(lo, hi int) (*mat.Dense, error) {
		block := rows
		if rows == nil {
			all = all[:0]
			for r := lo; r < hi; r++ {
				all = append(all, r)
			}
			block = all
		} else {
			block = rows[lo:hi]
		}
		X, err := m.Prep.matrixInto(f, block, buf)
		if err != nil {
			return nil, err
		}
		buf = X.RawMatrix().Data
		return X, nil
	})
}

// scoreBlocks scores n prepared rows a block at a time, block(lo, hi)
// giving rows lo to hi's matrix: the blocks are evalBlock rows but the
// last, which takes in a rest shorter than minBlockRows.
func (m *Model) scoreBlocks(n int, block func(lo, hi int) (*mat.Dense, error)) (*Predictions, error) {
	out := m.newPredictions(n)
	for lo := 0; lo < n; {
		hi := min(lo+evalBlock, n)
		if n-hi < minBlockRows {
			hi = n
		}
		X, err := block(lo, hi)
		if err != nil {
			return nil, err
		}
		m.scoreInto(X, out, lo)
		lo = hi
	}
	return out, nil
}

// evaluate scores m on f's rows and judges it against the target.
func evaluate(m *Model, f *Frame, tgt *target, rows []int) (Metrics, []string, error) {
	p, err := m.predictRows(f, rows)
	if err != nil {
		return Metrics{}, nil, err
	}
	metrics, warnings := judge(m, p, tgt, rows)
	return metrics, warnings, nil
}

// judge scores m's predictions p of rows against their labels.
func judge(m *Model, p *Predictions, tgt *target, rows []int) (Metrics, []string) {
	if m.Task == Classification {
		return classificationMetrics(m.Classes, tgt.classOfRows(rows), p.Proba)
	}
	y := make([]float64, len(rows))
	for i, r := range rows {
		y[i] = tgt.value[r]
	}
	return regressionMetrics(y, p.Value)
}
