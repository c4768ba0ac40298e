package ml

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lakebench/lakebench/lakehouse"
	"gonum.org/v1/gonum/mat"
)

// A training whose features are all numbers (booleans, dates and times
// among them) with no NULL, and no cross-validation, reads the features
// straight into the row-major matrix it fits on (a denseTable) instead of
// a Frame: the matrix is then the training's one copy of the table,
// reordered and standardised in place, where a Frame's columns and the
// prepared matrix were two (BenchmarkTrain1M's peak/matrix). Its result
// is Fit's on the same rows, byte for byte (TestDenseFitMatchesFrameFit):
// the same canonical order, split, preparation, matrix and evaluation.

// denseTable is a training table read for the dense path: the label column
// alone as a Frame, the features in one row-major matrix.
type denseTable struct {
	label    *Frame
	features []Column // the features' names, types and kinds; no values
	data     []float64
	rows     int
}

// width is the matrix's number of columns.
func (d *denseTable) width() int { return len(d.features) }

// row is row i of the matrix.
func (d *denseTable) row(i int) []float64 {
	p := d.width()
	return d.data[i*p : (i+1)*p : (i+1)*p]
}

// readTraining reads what spec trains on from table, in tx: a denseTable
// when the dense path can take it (see denseColumns), else a Frame.
func readTraining(ctx context.Context, tx *lakehouse.Tx, table lakehouse.TableName, spec Spec) (*Frame, *denseTable, error) {
	label, features, ok := denseColumns(ctx, tx, table, spec)
	if !ok {
		f, err := readTable(ctx, tx, table, trainColumns(spec))
		return f, nil, err
	}
	names := make([]string, len(features))
	for i, c := range features {
		names[i] = c.Name
	}
	data, err := tx.ReadColumnsMatrix(ctx, table, []string{label}, names)
	if err != nil {
		return nil, nil, readFailed(table, err)
	}
	d := &denseTable{label: FrameOf(data), features: features, data: data.Matrix.Data, rows: data.Rows}
	for _, c := range data.Matrix.Columns {
		if c.Null != nil {
			// Imputing adds indicator columns: the matrix is not the
			// one to fit on.
			return d.frame(data.Matrix), nil, nil
		}
	}
	return nil, d, nil
}

// denseColumns returns the label and the features of spec as table names
// them, and whether the dense path can take them: no cross-validation, and
// every feature read as a number.
func denseColumns(ctx context.Context, tx *lakehouse.Tx, table lakehouse.TableName, spec Spec) (string, []Column, bool) {
	if spec.CV > 1 {
		return "", nil, false
	}
	// The columns as DuckDB's catalog lists them (a table of another case
	// lists none): the read checks what the principal may read.
	declared, err := tableColumns(ctx, tx, table)
	if err != nil || len(declared) == 0 {
		return "", nil, false // the Frame path says what is wrong
	}
	stub := &Frame{Columns: make([]Column, len(declared))}
	readable := map[string]bool{}
	for i, c := range declared {
		stub.Columns[i] = Column{Name: c.Name, Type: c.Type, Kind: Text}
		if kind, err := lakehouse.KindOf(c); err == nil {
			stub.Columns[i].Kind = frameKind(kind)
			readable[c.Name] = true
		}
	}
	lc := stub.Column(spec.Label)
	if lc == nil || !readable[lc.Name] {
		return "", nil, false
	}
	names, err := resolveFeatures(stub, spec)
	if err != nil {
		return "", nil, false
	}
	features := make([]Column, len(names))
	for i, name := range names {
		c := stub.Column(name)
		if c.Kind == Text {
			return "", nil, false
		}
		features[i] = *c
	}
	return lc.Name, features, true
}

// frame turns a dense read with NULLs among its features into the Frame
// the Frame path trains on: the features, then the label.
func (d *denseTable) frame(m *lakehouse.RowMatrix) *Frame {
	f := &Frame{Rows: d.rows}
	p := d.width()
	for j, c := range d.features {
		num := make([]float64, d.rows)
		for i := range num {
			num[i] = d.data[i*p+j]
		}
		c.Num, c.Null = num, m.Columns[j].Null
		f.Columns = append(f.Columns, c)
	}
	d.data = nil
	f.Columns = append(f.Columns, d.label.Columns[0])
	return f
}

// fitDense is Fit on a denseTable, whose matrix it reorders and
// standardises in place: d is used up.
func fitDense(ctx context.Context, d *denseTable, spec Spec, progress func(Progress)) (*Result, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	if d.rows == 0 {
		return nil, fmt.Errorf("ml: the table has no rows: add rows before training")
	}
	if err := checkFrame(d.label); err != nil {
		return nil, err
	}
	tgt, err := newTarget(d.label, &s)
	if err != nil {
		return nil, err
	}
	if err := resolveAlgorithm(&s); err != nil {
		return nil, err
	}
	if err := d.checkFinite(); err != nil {
		return nil, err
	}
	keys := newOrderKeys(d.rows)
	keys.hashColumn(0, &d.label.Columns[0])
	keys.hashMatrix(1, d.data, d.width())
	rows := keys.order()
	keys = nil
	if rows == nil {
		rows = allPositions(d.rows)
	}
	rows = slices.DeleteFunc(rows, tgt.unlabelled)
	train, test, err := splitRows(rows, tgt.classOfRows(rows), tgt.classes, s.TestSize, s.Seed)
	if err != nil {
		return nil, err
	}
	return fitDenseSplit(ctx, d, s, tgt, train, test, progress)
}

// fitDenseSplit is fitSplit (without cross-validation) on a denseTable.
func fitDenseSplit(ctx context.Context, d *denseTable, s Spec, tgt *target, train, test []int, progress func(Progress)) (*Result, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	res := &Result{TrainRows: len(train), TestRows: len(test)}
	if tgt.dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("left out %d rows whose label %q is NULL", tgt.dropped, tgt.label))
	}
	progress(Progress{Stage: "prepare"})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ml: training cancelled: %w", err)
	}
	large := len(d.data)*8 >= largeMatrixBytes
	if large {
		// The ordering's and the split's index slices (about half the
		// matrix on 1M x 20) are garbage now; collected, what the
		// preparation and the fit allocate reuses their memory, where
		// the collector would wait for the heap to double past the
		// matrix. The matrix holds no pointers, so a collection is
		// quick.
		runtime.GC()
	}
	// The training rows first, in their order, then the test rows: the
	// matrix's first rows are the training matrix.
	d.permute(train, test)
	prep, err := d.fitPrep(len(train))
	if err != nil {
		return nil, err
	}
	d.standardize(prep, len(train)+len(test))
	p := d.width()
	X := mat.NewDense(len(train), p, d.data[:len(train)*p])
	m, fit, err := fitMatrix(ctx, X, prep, s, tgt, train, func(iter int, loss float64) {
		progress(Progress{Stage: "fit", Iter: iter, Loss: loss})
	})
	if err != nil {
		return nil, err
	}
	res.fitted(m, fit, s)
	progress(Progress{Stage: "evaluate"})
	if large {
		// The fit's vectors and the preparation's scratch are garbage:
		// the evaluation's predictions and ROC curve reuse them.
		runtime.GC()
	}
	held := d.data[len(train)*p : (len(train)+len(test))*p]
	pred, err := m.scoreBlocks(len(test), func(lo, hi int) (*mat.Dense, error) {
		return mat.NewDense(hi-lo, p, held[lo*p:hi*p]), nil
	})
	if err != nil {
		return nil, err
	}
	metrics, warnings := judge(m, pred, tgt, test)
	metrics.Importance = importance(m.Prep.outputs(), m.Coef)
	res.Metrics = metrics
	res.Warnings = append(res.Warnings, warnings...)
	if large {
		// The matrix is garbage: returned to the system, registering
		// (the evaluation's JSON, DuckDB's inserts) starts from the
		// training's resident memory without it.
		d.data, held, X = nil, nil, nil
		debug.FreeOSMemory()
	}
	return res, nil
}

// checkFinite is checkFinite of the features: one pass over the matrix,
// and the first feature with a NaN or an infinity named as there.
func (d *denseTable) checkFinite() error {
	bad := false
	for _, v := range d.data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad = true
			break
		}
	}
	if !bad {
		return nil
	}
	f := &Frame{Rows: d.rows}
	p := d.width()
	for j, c := range d.features {
		c.Num = make([]float64, d.rows)
		for i := range c.Num {
			c.Num[i] = d.data[i*p+j]
		}
		f.Columns = []Column{c}
		if err := checkFinite(f, []string{c.Name}); err != nil {
			return err
		}
	}
	return nil
}

// permute moves the matrix's rows in place: row i becomes what row
// train[i] was, row len(train)+i what test[i] was, and the rows in
// neither (unlabelled) follow.
func (d *denseTable) permute(train, test []int) {
	placed := make([]bool, d.rows)
	perm := make([]int, 0, d.rows)
	for _, part := range [][]int{train, test} {
		for _, r := range part {
			perm = append(perm, r)
			placed[r] = true
		}
	}
	for r, ok := range placed {
		if !ok {
			perm = append(perm, r)
		}
	}
	// Follow each cycle of the permutation with one row held aside.
	done := placed
	clear(done)
	held := make([]float64, d.width())
	for i := range perm {
		if done[i] {
			continue
		}
		done[i] = true
		if perm[i] == i {
			continue
		}
		copy(held, d.row(i))
		j := i
		for perm[j] != i {
			copy(d.row(j), d.row(perm[j]))
			j = perm[j]
			done[j] = true
		}
		copy(d.row(j), held)
	}
}

// fitPrep fits each feature's preparation on the matrix's first n rows
// (the training rows), as fitPrep fits a Frame column's: the features
// share the cores.
func (d *denseTable) fitPrep(n int) (Prep, error) {
	p := d.width()
	prep := Prep{Features: make([]FeaturePrep, p)}
	errs := make([]error, p)
	rows := allPositions(n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), p) {
		wg.Go(func() {
			col := make([]float64, n)
			var scratch []float64
			for j := int(next.Add(1) - 1); j < p; j = int(next.Add(1) - 1) {
				for i := range col {
					col[i] = d.data[i*p+j]
				}
				c := d.features[j]
				c.Num = col
				prep.Features[j], scratch, errs[j] = fitNumeric(&c, rows, scratch)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Prep{}, err
		}
	}
	return prep, nil
}

// standardize applies prep to the matrix's first n rows in place, as
// Prep.matrix computes each cell of a column without NULLs.
func (d *denseTable) standardize(prep Prep, n int) {
	const block = 4096
	blocks := (n + block - 1) / block
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), blocks) {
		wg.Go(func() {
			for b := int(next.Add(1) - 1); b < blocks; b = int(next.Add(1) - 1) {
				for i := b * block; i < min((b+1)*block, n); i++ {
					row := d.row(i)
					for j := range row {
						fp := &prep.Features[j]
						row[j] = (row[j] - fp.Mean) / fp.Std
					}
				}
			}
		})
	}
	wg.Wait()
}
