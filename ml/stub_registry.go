package ml

// Contract for the registry (helper "ml-registry" replaces this file with the
// real code and deletes it). Every method runs as lh's principal, checks its
// grants (training and alias moves need MODIFY on schema ml, scoring SELECT on
// the input) and audits refusals and alias moves.

import (
	"context"

	"github.com/lakebench/lakebench/lakehouse"
)

// Registry is the experiment store and model registry of one target, in its
// ml schema.
type Registry struct{ lh *lakehouse.Lakehouse }

// NewRegistry returns the registry of the target lh has open.
func NewRegistry(lh *lakehouse.Lakehouse) *Registry { return &Registry{lh: lh} }

// Train reads spec.Table column-wise, fits it, records the run and, when the
// fit succeeded, registers a new version (the first READY version of a model
// also becomes its champion).
func (r *Registry) Train(ctx context.Context, spec Spec, progress func(Progress)) (*ModelVersion, *Run, error) {
	return nil, nil, errNotBuilt
}

// Models lists the registered models.
func (r *Registry) Models(ctx context.Context) ([]RegisteredModel, error) { return nil, errNotBuilt }

// Versions lists a model's versions, newest first.
func (r *Registry) Versions(ctx context.Context, name string) ([]ModelVersion, error) {
	return nil, errNotBuilt
}

// Resolve turns "name", "name@alias" or "name/VERSION" into a name and version
// ("name" alone is the champion, else the latest READY version).
func (r *Registry) Resolve(ctx context.Context, ref string) (string, int, error) {
	return "", 0, errNotBuilt
}

// Show returns a version with its run, artifact and evaluation.
func (r *Registry) Show(ctx context.Context, ref string) (*VersionDetail, error) {
	return nil, errNotBuilt
}

// SetAlias points alias at a version of name, moving it from any other.
func (r *Registry) SetAlias(ctx context.Context, name, alias string, version int) error {
	return errNotBuilt
}

// Compare sets versions a and b of name side by side.
func (r *Registry) Compare(ctx context.Context, name string, a, b int) (*Comparison, error) {
	return nil, errNotBuilt
}

// Predict scores table with the version ref names into out (schema.table).
func (r *Registry) Predict(ctx context.Context, ref, table, out string) (*Scoring, error) {
	return nil, errNotBuilt
}

// Reproduce retrains a version from its recorded inputs and compares.
func (r *Registry) Reproduce(ctx context.Context, name string, version int) (*Reproduction, error) {
	return nil, errNotBuilt
}

// Scorings lists the batch inferences of a model, newest first.
func (r *Registry) Scorings(ctx context.Context, name string) ([]Scoring, error) {
	return nil, errNotBuilt
}
