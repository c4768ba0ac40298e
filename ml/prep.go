package ml

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// The kinds of FeaturePrep.
const (
	prepNumeric     = "numeric"
	prepBoolean     = "boolean"
	prepCategorical = "categorical"
)

// defaultMaxCategories bounds the one-hot levels of a text column when
// Spec.MaxCategories is 0.
const defaultMaxCategories = 100

// missingSuffix names a feature's missing-value indicator column.
const missingSuffix = "__missing"

// resolveFeatures returns the input columns of spec: the given ones, checked
// against f, or every column but the label, the id keys and ingest's
// lineage columns.
func resolveFeatures(f *Frame, spec Spec) ([]string, error) {
	if len(spec.Features) == 0 {
		var out []string
		for _, c := range f.Columns {
			if strings.EqualFold(c.Name, spec.Label) || isIDColumn(c.Name) || isLineageColumn(c.Name) {
				continue
			}
			out = append(out, c.Name)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("ml: no feature columns: the table has only the label %q and id columns; add feature columns or list them in features", spec.Label)
		}
		return out, nil
	}
	// Names match columns regardless of case, as in DuckDB; the features
	// are kept as the table spells them.
	seen := make(map[string]bool, len(spec.Features))
	out := make([]string, 0, len(spec.Features))
	for _, name := range spec.Features {
		c := f.Column(name)
		switch {
		case c == nil:
			return nil, fmt.Errorf("ml: feature %q is not a column of the table%s", name, didYouMean(name, f))
		case seen[c.Name]:
			return nil, fmt.Errorf("ml: feature %q is listed twice: list each feature once", name)
		case f.Column(spec.Label) == c:
			return nil, fmt.Errorf("ml: feature %q is also the label: remove it from features", name)
		}
		seen[c.Name] = true
		out = append(out, c.Name)
	}
	return out, nil
}

// isIDColumn reports whether name is a key rather than a feature: id or *_id
// (ingest's _batch_id is lineage, not a key).
func isIDColumn(name string) bool {
	n := strings.ToLower(name)
	return !isLineageColumn(name) && (n == "id" || strings.HasSuffix(n, "_id"))
}

// isLineageColumn reports whether name is one of the columns lakebench
// ingest adds to every row (its file, load time and batch): bookkeeping
// rather than a feature, and no key of a row either.
func isLineageColumn(name string) bool {
	switch name {
	case "_source_file", "_ingested_at", "_batch_id":
		return true
	}
	return false
}

// didYouMean suggests f's column nearest to name, or says which columns
// exist when none is near.
func didYouMean(name string, f *Frame) string {
	best, bestDist := "", math.MaxInt
	for _, c := range f.Columns {
		d := editDistance(strings.ToLower(name), strings.ToLower(c.Name))
		if d < bestDist {
			best, bestDist = c.Name, d
		}
	}
	if best != "" && bestDist <= max(2, len(name)/3) {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	names := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		names[i] = c.Name
	}
	return fmt.Sprintf(" (columns: %s)", strings.Join(names, ", "))
}

// editDistance is the Levenshtein distance between a and b in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkFrame reports whether every column of f holds f.Rows values of its
// kind, so a malformed frame fails with a message rather than a panic.
func checkFrame(f *Frame) error {
	for i := range f.Columns {
		c := &f.Columns[i]
		n := len(c.Num)
		if c.Kind == Text {
			n = len(c.Text)
		}
		if n < f.Rows || (c.Null != nil && len(c.Null) < f.Rows) {
			return fmt.Errorf("ml: column %q holds %d values for %d rows: the frame was read wrongly", c.Name, n, f.Rows)
		}
	}
	return nil
}

// checkFinite returns an error naming the first of f's columns among names
// that holds a NaN or an infinite value (NULLs are fine: they are imputed).
func checkFinite(f *Frame, names []string) error {
	for _, name := range names {
		c := f.Column(name)
		if c == nil || c.Kind == Text {
			continue
		}
		bad, first := 0, -1
		for i, v := range c.Num[:f.Rows] {
			if (math.IsNaN(v) || math.IsInf(v, 0)) && !c.IsNull(i) {
				if first < 0 {
					first = i
				}
				bad++
			}
		}
		if bad > 0 {
			return fmt.Errorf("ml: column %q has %d NaN or infinite values (the first at row %d): filter them out or replace them with NULL, which is imputed", name, bad, first+1)
		}
	}
	return nil
}

// fitPrep fits the preparation of the named features on f's given rows.
// maxCategories bounds the levels of a text column.
func fitPrep(f *Frame, features []string, rows []int, maxCategories int) (Prep, error) {
	if maxCategories <= 0 {
		maxCategories = defaultMaxCategories
	}
	for _, name := range features {
		if f.Column(name) == nil {
			return Prep{}, fmt.Errorf("ml: feature %q is not a column of the table%s", name, didYouMean(name, f))
		}
	}
	// The features fit independently, so they share the cores.
	p := Prep{Features: make([]FeaturePrep, len(features))}
	errs := make([]error, len(features))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(features)) {
		wg.Go(func() {
			var scratch []float64 // one column's training values, reused
			for i := int(next.Add(1) - 1); i < len(features); i = int(next.Add(1) - 1) {
				c := f.Column(features[i])
				if c.Kind == Text {
					p.Features[i], errs[i] = fitCategorical(c, rows, maxCategories)
				} else {
					p.Features[i], scratch, errs[i] = fitNumeric(c, rows, scratch)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Prep{}, err
		}
	}
	return p, nil
}

// allNullError says a feature holds no value on the training rows.
func allNullError(name string) error {
	return fmt.Errorf("ml: feature %q is NULL in every training row, so nothing can be learnt from it: drop it from features (or fill it in the table)", name)
}

// fitNumeric fits a numeric or boolean column: the missing values imputed
// (mean, or most frequent for booleans), then standardised with the
// population std of the imputed training values (as scikit-learn's
// SimpleImputer followed by StandardScaler). vals is scratch space for the
// column's values, returned for the next column.
func fitNumeric(c *Column, rows []int, vals []float64) (FeaturePrep, []float64, error) {
	fp := FeaturePrep{Column: c.Name, Kind: prepNumeric, Outputs: []string{c.Name}}
	if c.Kind == Boolean {
		fp.Kind = prepBoolean
	}
	if cap(vals) < len(rows) {
		vals = make([]float64, 0, len(rows))
	}
	vals = vals[:0]
	missing := false
	for _, r := range rows {
		if c.IsNull(r) {
			missing = true
			continue
		}
		vals = append(vals, c.Num[r])
	}
	if len(vals) == 0 {
		return FeaturePrep{}, vals, allNullError(c.Name)
	}
	if fp.Kind == prepBoolean {
		ones := 0
		for _, v := range vals {
			if v != 0 {
				ones++
			}
		}
		// The most frequent value; a tie goes to the smaller, as
		// scikit-learn's most_frequent strategy.
		if ones > len(vals)-ones {
			fp.Impute = 1
		}
	} else {
		fp.Impute = stat.Mean(vals, nil)
	}
	for range len(rows) - len(vals) {
		vals = append(vals, fp.Impute)
	}
	mean, std := stat.PopMeanStdDev(vals, nil)
	fp.Mean, fp.Std = mean, std
	if !(std > 1e-12*math.Max(1, math.Abs(mean))) {
		fp.Std = 1 // constant on the training rows
	}
	if missing {
		fp.Indicator = true
		fp.Outputs = append(fp.Outputs, c.Name+missingSuffix)
	}
	return fp, vals, nil
}

// fitCategorical fits a text column's one-hot levels (sorted), its most
// frequent value for missing ones, and an indicator when values are missing.
func fitCategorical(c *Column, rows []int, maxCategories int) (FeaturePrep, error) {
	fp := FeaturePrep{Column: c.Name, Kind: prepCategorical}
	counts := make(map[string]int)
	missing := false
	for _, r := range rows {
		if c.IsNull(r) {
			missing = true
			continue
		}
		counts[c.Text[r]]++
	}
	if len(counts) == 0 {
		return FeaturePrep{}, allNullError(c.Name)
	}
	if len(counts) > maxCategories {
		return FeaturePrep{}, fmt.Errorf("ml: feature %q has %d distinct values in the training rows, more than max_categories %d can one-hot encode: drop it from features or raise max_categories (lakebench train --max-categories N)", c.Name, len(counts), maxCategories)
	}
	fp.Categories = make([]string, 0, len(counts))
	for v := range counts {
		fp.Categories = append(fp.Categories, v)
	}
	slices.Sort(fp.Categories)
	best := -1
	for _, v := range fp.Categories { // sorted: a tie goes to the smaller
		if counts[v] > best {
			fp.ImputeCategory, best = v, counts[v]
		}
	}
	for _, v := range fp.Categories {
		fp.Outputs = append(fp.Outputs, c.Name+"="+v)
	}
	if missing {
		fp.Indicator = true
		fp.Outputs = append(fp.Outputs, c.Name+missingSuffix)
	}
	return fp, nil
}

// width is the number of matrix columns p produces.
func (p *Prep) width() int {
	n := 0
	for i := range p.Features {
		n += len(p.Features[i].Outputs)
	}
	return n
}

// outputs names p's matrix columns in order.
func (p *Prep) outputs() []string {
	out := make([]string, 0, p.width())
	for i := range p.Features {
		out = append(out, p.Features[i].Outputs...)
	}
	return out
}

// matrix applies p to f's given rows (every row when rows is nil): one matrix
// row per frame row. A missing value is imputed, a text value not seen in
// training encodes as all zeros (the unseen bucket, as scikit-learn's
// handle_unknown="ignore").
func (p *Prep) matrix(f *Frame, rows []int) (*mat.Dense, error) {
	return p.matrixInto(f, rows, nil)
}

// matrixInto is matrix written into buf when it can hold the matrix (what
// buf held is overwritten), else into a new slice: a caller that prepares
// rows a block at a time reuses one block's memory.
func (p *Prep) matrixInto(f *Frame, rows []int, buf []float64) (*mat.Dense, error) {
	if rows == nil {
		rows = make([]int, f.Rows)
		for i := range rows {
			rows[i] = i
		}
	}
	w := p.width()
	if len(rows) == 0 || w == 0 {
		return nil, fmt.Errorf("ml: nothing to prepare: %d rows and %d matrix columns", len(rows), w)
	}
	cols := make([]*Column, len(p.Features))
	levels := make([]map[string]int, len(p.Features))
	for fi := range p.Features {
		fp := &p.Features[fi]
		if cols[fi] = f.Column(fp.Column); cols[fi] == nil {
			return nil, fmt.Errorf("ml: the model needs column %q, which the table lacks%s: score a table with the training columns", fp.Column, didYouMean(fp.Column, f))
		}
		if err := fp.accepts(cols[fi]); err != nil {
			return nil, err
		}
		if fp.Kind == prepCategorical {
			levels[fi] = make(map[string]int, len(fp.Categories))
			for j, v := range fp.Categories {
				levels[fi][v] = j
			}
		}
	}
	var data []float64
	if n := len(rows) * w; cap(buf) >= n {
		data = buf[:n]
		clear(data) // the encoders write only the cells that are not 0
	} else {
		data = make([]float64, n)
	}
	// Row blocks small enough to stay in cache while each feature writes
	// its columns of them, shared among the cores; each cell depends only
	// on its row, so the matrix is the same however the blocks fall.
	const block = 512
	blocks := (len(rows) + block - 1) / block
	errs := make([]error, blocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), blocks) {
		wg.Go(func() {
			for b := int(next.Add(1) - 1); b < blocks; b = int(next.Add(1) - 1) {
				lo, hi := b*block, min((b+1)*block, len(rows))
				col := 0
				for fi := range p.Features {
					fp := &p.Features[fi]
					if err := fp.applyTo(cols[fi], levels[fi], rows[lo:hi], data[lo*w:hi*w], col, w); err != nil {
						errs[b] = err
						break
					}
					col += len(fp.Outputs)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return mat.NewDense(len(rows), w, data), nil
}

// accepts reports whether c has the kind fp was fitted on.
func (fp *FeaturePrep) accepts(c *Column) error {
	switch fp.Kind {
	case prepNumeric, prepBoolean:
		if c.Kind == Text {
			return fmt.Errorf("ml: column %q is text (%s) but the model was trained on it as %s: cast it back", c.Name, c.Type, fp.Kind)
		}
	case prepCategorical:
		if c.Kind != Text {
			return fmt.Errorf("ml: column %q is %s but the model was trained on it as text: cast it to VARCHAR", c.Name, c.Type)
		}
		if !slices.Contains(fp.Categories, fp.ImputeCategory) {
			return fmt.Errorf("ml: column %q: the model's impute category %q is not one of its levels: the model is damaged, retrain it", c.Name, fp.ImputeCategory)
		}
	default:
		return fmt.Errorf("ml: column %q has preparation kind %q, which this version does not know: retrain the model", fp.Column, fp.Kind)
	}
	return nil
}

// applyTo writes fp's matrix columns for c's rows into the row-major data
// (width w), starting at column col; level maps a categorical value to its
// one-hot column. accepts has checked c's kind.
func (fp *FeaturePrep) applyTo(c *Column, level map[string]int, rows []int, data []float64, col, w int) error {
	if fp.Kind != prepCategorical {
		for i, r := range rows {
			v, miss := fp.Impute, c.IsNull(r)
			if !miss {
				v = c.Num[r]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("ml: column %q holds %v at row %d: filter it out or replace it with NULL, which is imputed", c.Name, v, r+1)
				}
			}
			data[i*w+col] = (v - fp.Mean) / fp.Std
			if fp.Indicator && miss {
				data[i*w+col+1] = 1
			}
		}
		return nil
	}
	impute, k := level[fp.ImputeCategory], len(fp.Categories)
	for i, r := range rows {
		if c.IsNull(r) {
			data[i*w+col+impute] = 1
			if fp.Indicator {
				data[i*w+col+k] = 1
			}
			continue
		}
		if j, ok := level[c.Text[r]]; ok {
			data[i*w+col+j] = 1
		}
	}
	return nil
}
