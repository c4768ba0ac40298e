package ml

import "strings"

// This file holds the types the trainers, the feature preparation, the
// registry, the CLI and the TUI share. Owners add fields; nobody renames one.

// Task is what a model predicts: a class or a number.
type Task string

// The tasks a model can have.
const (
	Classification Task = "classification"
	Regression     Task = "regression"
)

// ColumnKind is how a Frame column holds its values.
type ColumnKind int

// The kinds of Frame columns.
const (
	// Numeric columns hold float64 values in Num.
	Numeric ColumnKind = iota
	// Text columns hold strings in Text.
	Text
	// Boolean columns hold 0 or 1 in Num.
	Boolean
)

// Column is one column of a Frame, read column-wise from a table.
type Column struct {
	Name string
	// Type is the column's DuckDB type as the table declares it.
	Type string
	Kind ColumnKind
	// Num holds Numeric and Boolean values (Boolean as 0/1); Text holds Text
	// values. A NULL is marked in Null, never by NaN or "".
	Num  []float64
	Text []string
	// Null is true where the value is NULL; nil when the column has none.
	Null []bool
}

// IsNull reports whether row i of c is NULL.
func (c *Column) IsNull(i int) bool { return c.Null != nil && c.Null[i] }

// Frame is a table held column by column in memory.
type Frame struct {
	Rows    int
	Columns []Column
}

// Column returns the column called name, or nil. As in DuckDB, names match
// regardless of case; an exact match wins when two columns differ only in
// case, and a name that matches several only by case matches none.
func (f *Frame) Column(name string) *Column {
	var folded *Column
	n := 0
	for i := range f.Columns {
		switch {
		case f.Columns[i].Name == name:
			return &f.Columns[i]
		case strings.EqualFold(f.Columns[i].Name, name):
			folded, n = &f.Columns[i], n+1
		}
	}
	if n == 1 {
		return folded
	}
	return nil
}

// Spec says what to train, as scikit-learn's estimator settings plus where
// the rows come from. The zero values mean scikit-learn's defaults.
type Spec struct {
	// Name is the registered model's name (the MLflow experiment).
	Name string `json:"name"`
	// Table is the schema.table the rows come from.
	Table string `json:"table"`
	Label string `json:"label"`
	// Features are the input columns; empty means every column but the
	// label and *_id keys.
	Features []string `json:"features,omitempty"`
	// Task is inferred from the label when empty: text, boolean or a few
	// distinct integers are classification.
	Task Task `json:"task,omitempty"`
	// Algorithm is logistic (binary, or multinomial for more classes),
	// linear or ridge; empty means logistic for classification, linear for
	// regression.
	Algorithm string `json:"algorithm,omitempty"`
	// C is the inverse L2 strength of logistic regression, as scikit-learn's
	// (intercept unpenalised); 0 means 1.0, +Inf means no penalty.
	C float64 `json:"c,omitempty"`
	// Alpha is ridge regression's L2 strength, as scikit-learn's Ridge; 0
	// means 1.0.
	Alpha float64 `json:"alpha,omitempty"`
	// MaxIter bounds the optimiser's iterations; 0 means 100.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol is the optimiser's stopping tolerance; 0 means 1e-4.
	Tol float64 `json:"tol,omitempty"`
	// Seed drives the train/test split and the folds.
	Seed int64 `json:"seed"`
	// TestSize is the fraction of rows held out; 0 means 0.25.
	TestSize float64 `json:"test_size,omitempty"`
	// CV is the number of (stratified) cross-validation folds; 0 or 1 means
	// none.
	CV int `json:"cv,omitempty"`
	// MaxCategories bounds the levels one-hot encodes per text column; 0
	// means 100. More is an error naming the column and its count.
	MaxCategories int `json:"max_categories,omitempty"`
}

// Progress reports training as it goes, for a live loss curve.
type Progress struct {
	// Stage is "read", "prepare", "fit", "cv", "evaluate" or "register".
	Stage string
	// Fold is the cross-validation fold (1-based), 0 for the final fit.
	Fold int
	// Iter and Loss are, in stages fit and cv, the optimiser's iteration
	// (0 is the starting point, as in Run.Loss) and the loss there; least
	// squares reports one, iteration 1, at the solution.
	Iter int
	Loss float64
}

// FeaturePrep is how one input column becomes matrix columns, fitted on the
// training rows and applied identically at inference.
type FeaturePrep struct {
	Column string `json:"column"`
	// Kind is numeric, boolean or categorical.
	Kind string `json:"kind"`
	// Mean and Std standardise numeric and boolean values (population std;
	// a constant column has Std 1).
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	// Impute replaces a missing numeric or boolean value (the training mean,
	// or the most frequent value for booleans).
	Impute float64 `json:"impute"`
	// Categories are the one-hot levels in order; a value not among them
	// goes to the unseen bucket, a missing one to the most frequent level.
	Categories     []string `json:"categories,omitempty"`
	ImputeCategory string   `json:"impute_category,omitempty"`
	// Indicator is true when the training rows had missing values: a 0/1
	// "<column>__missing" matrix column follows.
	Indicator bool `json:"indicator"`
	// Outputs names the matrix columns this feature produces, in order.
	Outputs []string `json:"outputs"`
}

// Prep is the whole feature preparation of a model.
type Prep struct {
	Features []FeaturePrep `json:"features"`
}

// Model is a trained model: everything inference needs, and nothing that
// varies between identical trainings (no times, no run ids), so its bytes
// are the reproducibility check.
type Model struct {
	Name      string `json:"name"`
	Task      Task   `json:"task"`
	Algorithm string `json:"algorithm"`
	Label     string `json:"label"`
	// Classes are the label's values in order (classification only).
	Classes []string `json:"classes,omitempty"`
	Prep    Prep     `json:"prep"`
	// Coef has one row per class score (one row for binary logistic and for
	// regression) over the prepared matrix columns.
	Coef      [][]float64 `json:"coef"`
	Intercept []float64   `json:"intercept"`
}

// Predictions are a model's outputs for the rows of a Frame.
type Predictions struct {
	// Class and Proba (per row, per Model.Classes) for classification.
	Class []string
	Proba [][]float64
	// Value for regression.
	Value []float64
}

// ROCPoint is one threshold of a ROC curve.
type ROCPoint struct {
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
	Threshold float64 `json:"threshold"`
}

// Importance is a matrix column's weight: its standardised coefficient's
// magnitude (the largest across classes for multinomial models).
type Importance struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"`
}

// Metrics judge a model on rows it did not train on.
type Metrics struct {
	// Values holds the scalar metrics under MLflow-style keys: accuracy,
	// precision, recall, f1 (macro for multiclass), roc_auc (one-vs-rest
	// macro for multiclass), log_loss; rmse, mae, r2.
	Values map[string]float64 `json:"values"`
	// Classes label Confusion's rows (actual) and columns (predicted).
	Classes   []string  `json:"classes,omitempty"`
	Confusion [][]int64 `json:"confusion,omitempty"`
	// ROC is the curve of the positive class (binary) or of the first
	// class against the rest (multiclass).
	ROC        []ROCPoint   `json:"roc,omitempty"`
	Importance []Importance `json:"importance,omitempty"`
}

// Result is what one training produced.
type Result struct {
	Model   *Model  `json:"model"`
	Metrics Metrics `json:"metrics"`
	// CV holds each fold's metric values when Spec.CV > 1.
	CV         []map[string]float64 `json:"cv,omitempty"`
	Iterations int                  `json:"iterations"`
	Converged  bool                 `json:"converged"`
	// Loss is the training loss per optimiser iteration.
	Loss      []float64 `json:"loss"`
	Warnings  []string  `json:"warnings,omitempty"`
	TrainRows int       `json:"train_rows"`
	TestRows  int       `json:"test_rows"`
}

// SignedCoefficients maps each feature column of the model's matrix (one-hot
// levels and missing indicators included) to its standardised coefficient,
// whose sign says which way it pushes the prediction: for a model with one
// coefficient row (binary logistic, linear, ridge). It is nil for a
// multiclass model, whose importance is a magnitude over its classes, or a
// nil model.
func (m *Model) SignedCoefficients() map[string]float64 {
	if m == nil || len(m.Coef) != 1 {
		return nil
	}
	out := map[string]float64{}
	j := 0
	for _, f := range m.Prep.Features {
		for _, name := range f.Outputs {
			if j < len(m.Coef[0]) {
				out[name] = m.Coef[0][j]
			}
			j++
		}
	}
	return out
}
