package ml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Predict applies the model's preparation and coefficients to f's rows: the
// same imputation, standardisation and one-hot encoding as in training, a
// missing value imputed and an unseen category encoded as none of the
// levels.
func (m *Model) Predict(f *Frame) (*Predictions, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if f == nil || f.Rows == 0 {
		return &Predictions{}, nil
	}
	if err := checkFrame(f); err != nil {
		return nil, err
	}
	return m.predictRows(f, nil)
}

// predictMatrix scores prepared rows: class probabilities (binary logistic
// through the sigmoid, multinomial through the softmax) or values.
func (m *Model) predictMatrix(X *mat.Dense) *Predictions {
	n, _ := X.Dims()
	out := m.newPredictions(n)
	m.scoreInto(X, out, 0)
	return out
}

// newPredictions makes room for n rows of m's predictions (the rows'
// probabilities share one slice).
func (m *Model) newPredictions(n int) *Predictions {
	if m.Task == Regression {
		return &Predictions{Value: make([]float64, n)}
	}
	k := len(m.Classes)
	out := &Predictions{Class: make([]string, n), Proba: make([][]float64, n)}
	flat := make([]float64, n*k)
	for i := range out.Proba {
		out.Proba[i] = flat[i*k : (i+1)*k : (i+1)*k]
	}
	return out
}

// scoreInto scores prepared rows into out's rows from lo on.
func (m *Model) scoreInto(X *mat.Dense, out *Predictions, lo int) {
	n, p := X.Dims()
	k := len(m.Coef)
	coef := mat.NewDense(k, p, nil)
	for j, row := range m.Coef {
		coef.SetRow(j, row)
	}
	var scores mat.Dense
	scores.Mul(X, coef.T())
	if m.Task == Regression {
		for i := range n {
			out.Value[lo+i] = scores.At(i, 0) + m.Intercept[0]
		}
		return
	}
	for i := range n {
		row := out.Proba[lo+i]
		if k == 1 {
			p1 := logisticSigmoid(scores.At(i, 0) + m.Intercept[0])
			row[0], row[1] = 1-p1, p1
		} else {
			for j := range k {
				row[j] = scores.At(i, j) + m.Intercept[j]
			}
			softmaxInPlace(row)
		}
		out.Class[lo+i] = m.Classes[argmax(row)]
	}
}

// logisticSigmoid is 1/(1+e^-x), computed without overflow.
func logisticSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softmaxInPlace turns scores into probabilities that sum to 1.
func softmaxInPlace(row []float64) {
	top := row[argmax(row)]
	var sum float64
	for j, v := range row {
		row[j] = math.Exp(v - top)
		sum += row[j]
	}
	for j := range row {
		row[j] /= sum
	}
}

// check reports whether m's parts fit together, so a damaged or hand-edited
// model fails with a message rather than a panic.
func (m *Model) check() error {
	if m == nil {
		return fmt.Errorf("ml: no model")
	}
	w := m.Prep.width()
	if w == 0 {
		return fmt.Errorf("ml: model %q has no feature columns: retrain it", m.Name)
	}
	rows := 1
	switch m.Task {
	case Regression:
	case Classification:
		if len(m.Classes) < 2 {
			return fmt.Errorf("ml: model %q has %d classes, want 2 or more: retrain it", m.Name, len(m.Classes))
		}
		if len(m.Classes) > 2 {
			rows = len(m.Classes)
		}
	default:
		return fmt.Errorf("ml: model %q has unknown task %q: retrain it", m.Name, m.Task)
	}
	if len(m.Coef) != rows || len(m.Intercept) != rows {
		return fmt.Errorf("ml: model %q has %d coefficient rows and %d intercepts, want %d: retrain it", m.Name, len(m.Coef), len(m.Intercept), rows)
	}
	for _, row := range m.Coef {
		if len(row) != w {
			return fmt.Errorf("ml: model %q has %d coefficients for %d matrix columns: retrain it", m.Name, len(row), w)
		}
	}
	for i := range m.Prep.Features {
		fp := &m.Prep.Features[i]
		want := 1
		if fp.Kind == prepCategorical {
			want = len(fp.Categories)
		}
		if fp.Indicator {
			want++
		}
		if len(fp.Outputs) != want || (fp.Kind != prepCategorical && !(fp.Std > 0)) {
			return fmt.Errorf("ml: model %q: the preparation of column %q is malformed: retrain it", m.Name, fp.Column)
		}
	}
	return nil
}

// MarshalBinary encodes the model canonically as JSON: the fields in the
// struct's fixed order, each float as its shortest round-tripping decimal,
// so the same model gives the same bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("ml: encoding model %q: %w", m.Name, err)
	}
	return b, nil
}

// UnmarshalModel decodes what MarshalBinary wrote and checks it.
func UnmarshalModel(b []byte) (*Model, error) {
	var m Model
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("ml: decoding a model: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("ml: decoding a model: data follows the model")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}
