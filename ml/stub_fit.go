package ml

// Contract for feature preparation, fitting and inference (helper "ml-prep"
// replaces this file with the real code and deletes it).

import "context"

// Fit prepares the frame's features, splits the rows (seeded, stratified for
// classification), fits spec's algorithm on the training rows, evaluates it
// on the rest and, when spec.CV > 1, cross-validates. progress may be nil.
func Fit(ctx context.Context, f *Frame, spec Spec, progress func(Progress)) (*Result, error) {
	return nil, errNotBuilt
}

// Predict applies the model's preparation and coefficients to f's rows.
func (m *Model) Predict(f *Frame) (*Predictions, error) { return nil, errNotBuilt }

// MarshalBinary encodes the model canonically: the same model gives the same
// bytes.
func (m *Model) MarshalBinary() ([]byte, error) { return nil, errNotBuilt }

// UnmarshalModel decodes what MarshalBinary wrote.
func UnmarshalModel(b []byte) (*Model, error) { return nil, errNotBuilt }
