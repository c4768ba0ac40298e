package ml

import "time"

// The registry's records, shaped like MLflow's: a training is a Run of an
// experiment (the registered model's name); a successful run registers a
// ModelVersion; aliases (champion, challenger, any name) point at versions.
// Owners add fields; nobody renames one.

// Run is one training, with everything needed to repeat it.
type Run struct {
	ID         string             `json:"run_id"`
	Experiment string             `json:"experiment"`
	Status     string             `json:"status"` // FINISHED or FAILED
	Spec       Spec               `json:"spec"`
	Params     map[string]string  `json:"params"`
	Metrics    map[string]float64 `json:"metrics"`
	Tags       map[string]string  `json:"tags,omitempty"`
	// The training table as it was read: rows and a content digest.
	Table       string `json:"table"`
	TableRows   int64  `json:"table_rows"`
	TableDigest string `json:"table_digest"`
	// Version is lakebench's version that trained it.
	Version   string        `json:"lakebench_version"`
	Principal string        `json:"principal"`
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
	// Loss per optimiser iteration of the final fit, from the starting
	// point (iteration 0) to the last; least squares has one, at the
	// solution (iteration 1). See LossIteration.
	Loss       []float64 `json:"loss"`
	Iterations int       `json:"iterations"`
	Converged  bool      `json:"converged"`
	Warnings   []string  `json:"warnings,omitempty"`
	Error      string    `json:"error,omitempty"`
	// CV holds each cross-validation fold's metric values when Spec.CV > 1
	// (Result.CV, kept with the run).
	CV []map[string]float64 `json:"cv,omitempty"`
}

// ModelVersion is one registered version of a model.
type ModelVersion struct {
	Name        string             `json:"name"`
	Version     int                `json:"version"`
	RunID       string             `json:"run_id"`
	Status      string             `json:"status"` // READY or FAILED
	Description string             `json:"description,omitempty"`
	Tags        map[string]string  `json:"tags,omitempty"`
	CreatedBy   string             `json:"created_by"`
	CreatedAt   time.Time          `json:"created_at"`
	Aliases     []string           `json:"aliases,omitempty"`
	Metrics     map[string]float64 `json:"metrics"`
}

// RegisteredModel is a model name with its versions and aliases.
type RegisteredModel struct {
	Name          string         `json:"name"`
	Task          Task           `json:"task"`
	Description   string         `json:"description,omitempty"`
	LatestVersion int            `json:"latest_version"`
	Versions      int            `json:"versions"`
	Aliases       map[string]int `json:"aliases"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

// VersionDetail is a version with its run, its artifact and its full
// evaluation (confusion matrix, ROC curve, importance).
type VersionDetail struct {
	ModelVersion
	Run        Run     `json:"run"`
	Model      *Model  `json:"model"`
	Evaluation Metrics `json:"evaluation"`
}

// CoefChange is one coefficient's move between two versions.
type CoefChange struct {
	Feature string  `json:"feature"`
	Class   string  `json:"class,omitempty"`
	A       float64 `json:"a"`
	B       float64 `json:"b"`
	Delta   float64 `json:"delta"`
}

// Comparison sets two versions of a model side by side.
type Comparison struct {
	Name         string             `json:"name"`
	A            *VersionDetail     `json:"a"`
	B            *VersionDetail     `json:"b"`
	MetricDeltas map[string]float64 `json:"metric_deltas"` // B minus A
	CoefChanges  []CoefChange       `json:"coef_changes"`  // largest first
}

// Reproduction says whether retraining a version from its recorded inputs
// gave the same artifact bytes and metrics, and if not, what differs.
type Reproduction struct {
	Name              string   `json:"name"`
	Version           int      `json:"version"`
	Identical         bool     `json:"identical"`
	ArtifactIdentical bool     `json:"artifact_identical"`
	MetricsIdentical  bool     `json:"metrics_identical"`
	DigestChanged     bool     `json:"digest_changed"`
	RecordedDigest    string   `json:"recorded_digest"`
	CurrentDigest     string   `json:"current_digest"`
	RecordedRows      int64    `json:"recorded_rows"`
	CurrentRows       int64    `json:"current_rows"`
	Differences       []string `json:"differences,omitempty"`
}

// Scoring is one batch inference: which version scored which table into
// which output.
type Scoring struct {
	Name     string    `json:"name"`
	Version  int       `json:"version"`
	Alias    string    `json:"alias,omitempty"`
	Table    string    `json:"table"`
	Out      string    `json:"out"`
	Rows     int64     `json:"rows"`
	ScoredAt time.Time `json:"scored_at"`
}

// LossIteration is the iteration of r.Loss[i], numbered as training's
// progress numbers it (Progress.Iter), so a stored loss curve and the live
// one agree: i for an optimiser (0 is the starting point), 1 for least
// squares' one value.
func (r *Run) LossIteration(i int) int { return r.Iterations - (len(r.Loss) - 1) + i }
