package ml

// The experiment store and model registry, shaped like MLflow's, in the
// target's schema ml (see registry_store.go for its tables):
//
//   - every training is a run of an experiment (the registered model's
//     name), FINISHED or FAILED, with everything needed to repeat it;
//   - a finished run registers a version, READY, with its artifact (the
//     Model's canonical bytes) and its evaluation;
//   - aliases (champion, challenger, any name) point at READY versions; a
//     model's first READY version becomes its champion, and after that only
//     SetAlias moves an alias, so training never changes what scores;
//   - "name@alias", "name/VERSION" and "name" (the champion, else the
//     latest READY version) are accepted wherever a version is.
//
// Governance (the grants of lakehouse.Authorize, and the target's
// permissions for promotion in production):
//   - training needs SELECT on the training table and MODIFY on schema ml
//     (the registry's tables);
//   - an alias move needs MODIFY on ml.model_aliases (schema ml) and, on a
//     target deployed in production mode, CAN_MANAGE on the target too
//     (promotion there changes what production serves); a model's first
//     champion comes with its training and needs what training needs;
//   - scoring needs SELECT on the input table and on the registry, and
//     MODIFY on the output table; the scoring log (ml.scorings) is
//     lakebench's record, like sys's;
//   - reading the registry (Models, Versions, Show, Compare, Scorings)
//     needs SELECT on schema ml; Reproduce also SELECT on the training
//     table.
//
// Refusals are audited, and so is every alias move; the principal is the
// lakehouse's (Lakehouse.Principal) or, in the Tx variants the pipeline
// calls, the transaction's ("" is lakebench itself, never refused).

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// Registry is the experiment store and model registry of one target, in its
// ml schema.
type Registry struct {
	lh *lakehouse.Lakehouse
	// now is the clock (tests may set it).
	now func() time.Time
}

// NewRegistry returns the registry of the target lh has open.
func NewRegistry(lh *lakehouse.Lakehouse) *Registry { return &Registry{lh: lh, now: time.Now} }

// TrainOptions are the extras of a training beside its Spec.
type TrainOptions struct {
	// Description is the registered model's description (kept when empty).
	Description string
	// Tags are recorded on the run and its version.
	Tags map[string]string
	// Progress, when set, receives the training's progress.
	Progress func(Progress)
}

// Ensure creates the registry's tables if they are missing (a writer
// only); the other methods call it. A transaction sees only tables
// committed before it began, so a caller of a Tx variant calls Ensure
// before it begins its transaction.
func (r *Registry) Ensure(ctx context.Context) error {
	if r.lh.ReadOnly() {
		return nil
	}
	return ensureRegistry(ctx, r.lh)
}

// authorize checks principal's grants; "" is lakebench itself.
func (r *Registry) authorize(ctx context.Context, principal string, reads, writes []lakehouse.TableName) error {
	if principal == "" {
		return nil
	}
	return r.lh.Authorize(ctx, principal, reads, writes)
}

// refused audits a refused access of the registry's API as action and
// returns err; other errors pass through unaudited.
func (r *Registry) refused(ctx context.Context, principal, action string, tables []lakehouse.TableName, err error) error {
	var ae *lakehouse.AccessError
	if errors.As(err, &ae) {
		names := make([]string, len(tables))
		for i, t := range tables {
			names[i] = t.String()
		}
		r.lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: principal, Action: action, Tables: names, Allowed: false, Detail: err.Error()})
	}
	return err
}

// trainWrites are the tables a training writes.
var trainWrites = mlTables("runs", "registered_models", "model_versions", "model_aliases", "artifacts")

// TrainAccess is what a training of spec reads and writes, for a caller
// that checks grants before it begins (the pipeline's train task).
func TrainAccess(spec Spec) (reads, writes []lakehouse.TableName, err error) {
	table, err := lakehouse.ParseTableName(spec.Table)
	if err != nil {
		return nil, nil, wrap(err, "train %s", spec.Name)
	}
	return []lakehouse.TableName{table}, trainWrites, nil
}

// Train reads spec.Table column-wise, fits it, records the run and, when the
// fit succeeded, registers a new version (the first READY version of a model
// also becomes its champion).
func (r *Registry) Train(ctx context.Context, spec Spec, progress func(Progress)) (*ModelVersion, *Run, error) {
	return r.TrainWith(ctx, spec, TrainOptions{Progress: progress})
}

// TrainWith is Train with a description and tags for the run and version
// (`lakebench train MODEL_KEY` gives the bundle's description).
func (r *Registry) TrainWith(ctx context.Context, spec Spec, o TrainOptions) (*ModelVersion, *Run, error) {
	principal := r.lh.Principal()
	reads, writes, err := TrainAccess(spec)
	if err != nil {
		return nil, nil, err
	}
	if err := r.authorize(ctx, principal, reads, writes); err != nil {
		return nil, nil, r.refused(ctx, principal, "ml:train", append(reads, writes...), err)
	}
	if err := r.Ensure(ctx); err != nil {
		return nil, nil, err
	}
	meter := lakehouse.StartMeter()
	tx, err := r.lh.BeginAs(ctx, principal)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	mv, run, err := r.TrainTx(ctx, tx, spec, o)
	defer r.recordUsage(ctx, meter, lakehouse.UsageKindTraining, spec.Name, reads, nil, 0)
	if err != nil {
		return nil, run, err
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, err
	}
	r.lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: principal, Action: "ml:train", Tables: []string{spec.Table},
		Rows: run.TableRows, Allowed: true, Detail: fmt.Sprintf("%s version %d (run %s)", mv.Name, mv.Version, run.ID)})
	return mv, run, nil
}

// FitError is a training that failed: its FAILED run (and version, when the
// fit produced a model that cannot serve) was recorded.
type FitError struct {
	Run *Run
	Err error
}

func (e *FitError) Error() string { return e.Err.Error() }
func (e *FitError) Unwrap() error { return e.Err }

// TrainTx is Train inside the caller's transaction (a pipeline task's): the
// run, version, artifact and first champion commit with it. A failed
// training is recorded at once in a transaction of its own (the caller's
// rolls back) and returned as a *FitError. Call Ensure before beginning tx.
func (r *Registry) TrainTx(ctx context.Context, tx *lakehouse.Tx, spec Spec, o TrainOptions) (*ModelVersion, *Run, error) {
	if err := CheckName(spec.Name); err != nil {
		return nil, nil, err
	}
	reads, writes, err := TrainAccess(spec)
	if err != nil {
		return nil, nil, err
	}
	principal := tx.Principal()
	if err := r.authorize(ctx, principal, reads, writes); err != nil {
		return nil, nil, err
	}
	table := reads[0]
	progress := func(p Progress) {
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	start := r.now()
	run := &Run{ID: newRunID(), Experiment: spec.Name, Status: RunFinished, Spec: spec, Params: specParams(spec),
		Metrics: map[string]float64{}, Tags: map[string]string{}, Table: table.String(), Version: lakebenchVersion(),
		Principal: principal, StartedAt: start.UTC()}
	for k, v := range o.Tags {
		run.Tags[k] = v
	}
	fail := func(err error, m *Model) (*ModelVersion, *Run, error) {
		run.Status, run.Error, run.Duration = RunFailed, err.Error(), r.now().Sub(start)
		if rerr := r.recordFailed(context.WithoutCancel(ctx), run, m, o); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, run, &FitError{Run: run, Err: err}
	}
	progress(Progress{Stage: "read"})
	frame, dense, err := readTraining(ctx, tx, table, spec)
	if err != nil {
		return fail(err, nil)
	}
	run.TableDigest, run.TableRows, err = tx.TableDigest(ctx, table)
	if err != nil {
		return fail(wrap(err, "digest of %s", table), nil)
	}
	var res *Result
	if dense != nil {
		res, err = fitDense(ctx, dense, spec, progress)
	} else {
		res, err = Fit(ctx, frame, spec, progress)
	}
	if err != nil {
		return fail(wrap(err, "train %s on %s", spec.Name, table), nil)
	}
	run.Duration = r.now().Sub(start)
	fillRun(run, res)
	blob, err := servable(res.Model)
	if err != nil {
		return fail(wrap(err, "train %s: the fitted model cannot serve, so its version is FAILED", spec.Name), res.Model)
	}
	progress(Progress{Stage: "register"})
	mv, err := r.register(ctx, tx, run, res, blob, o)
	if err != nil {
		return nil, run, err
	}
	return mv, run, nil
}

// trainColumns are the columns a training reads: all of them when the
// features are inferred, else the features and the label.
func trainColumns(spec Spec) []string {
	if len(spec.Features) == 0 {
		return nil
	}
	cols := []string{}
	seen := map[string]bool{}
	for _, c := range append(append([]string(nil), spec.Features...), spec.Label) {
		if !seen[c] {
			seen[c] = true
			cols = append(cols, c)
		}
	}
	return cols
}

// specParams are a spec's settings as MLflow params, defaults filled in.
func specParams(s Spec) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	or := func(v, d float64) float64 {
		if v == 0 {
			return d
		}
		return v
	}
	p := map[string]string{
		"label": s.Label, "seed": strconv.FormatInt(s.Seed, 10), "c": f(or(s.C, 1)), "alpha": f(or(s.Alpha, 1)),
		"max_iter": strconv.Itoa(int(or(float64(s.MaxIter), 100))), "tol": f(or(s.Tol, 1e-4)),
		"test_size": f(or(s.TestSize, 0.25)), "cv": strconv.Itoa(s.CV), "max_categories": strconv.Itoa(int(or(float64(s.MaxCategories), 100))),
	}
	if s.Task != "" {
		p["task"] = string(s.Task)
	}
	if s.Algorithm != "" {
		p["algorithm"] = s.Algorithm
	}
	if len(s.Features) > 0 {
		p["features"] = strings.Join(s.Features, ",")
	}
	return p
}

// fillRun records a fit's outcome on its run.
func fillRun(run *Run, res *Result) {
	for k, v := range res.Metrics.Values {
		run.Metrics[k] = v
	}
	run.CV = res.CV
	if len(res.CV) > 0 {
		sums := map[string]float64{}
		for _, fold := range res.CV {
			for k, v := range fold {
				sums[k] += v
			}
		}
		for k, v := range sums {
			run.Metrics["cv_"+k+"_mean"] = v / float64(len(res.CV))
		}
	}
	if res.Model != nil {
		run.Params["algorithm"] = res.Model.Algorithm
		run.Params["task"] = string(res.Model.Task)
	}
	run.Tags["train_rows"] = strconv.Itoa(res.TrainRows)
	run.Tags["test_rows"] = strconv.Itoa(res.TestRows)
	run.Loss, run.Iterations, run.Converged, run.Warnings = res.Loss, res.Iterations, res.Converged, res.Warnings
}

// servable encodes a fitted model, checking it can serve: every
// coefficient finite, and its bytes decode to a model that encodes the same.
func servable(m *Model) ([]byte, error) {
	if m == nil {
		return nil, errors.New("the fit returned no model")
	}
	for k, row := range m.Coef {
		for j, c := range row {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, fmt.Errorf("coefficient %d of score row %d is %v: scale the feature or raise the penalty (a smaller C)", j, k, c)
			}
		}
	}
	for k, c := range m.Intercept {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("intercept %d is %v", k, c)
		}
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode the model: %w", err)
	}
	back, err := UnmarshalModel(b)
	if err != nil {
		return nil, fmt.Errorf("the model's bytes do not decode: %w", err)
	}
	again, err := back.MarshalBinary()
	if err != nil || string(again) != string(b) {
		return nil, fmt.Errorf("the model's bytes do not round-trip: %v", err)
	}
	return b, nil
}

// register records a finished run, its READY version and artifact in tx,
// and makes the version champion when the model has none.
func (r *Registry) register(ctx context.Context, tx *lakehouse.Tx, run *Run, res *Result, blob []byte, o TrainOptions) (*ModelVersion, error) {
	name := run.Experiment
	now := r.now().UTC()
	if err := upsertModel(ctx, tx, name, res.Model.Task, o.Description, run.Principal, now); err != nil {
		return nil, err
	}
	version, err := nextVersion(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	if err := insertRun(ctx, tx, run); err != nil {
		return nil, err
	}
	mv := &ModelVersion{Name: name, Version: version, RunID: run.ID, Status: VersionReady, Tags: run.Tags,
		CreatedBy: run.Principal, CreatedAt: now, Metrics: run.Metrics}
	if err := insertVersion(ctx, tx, mv); err != nil {
		return nil, err
	}
	if _, err := tx.ExecArgs(ctx, "INSERT INTO ml.artifacts VALUES (?, ?, ?, ?::JSON)", name, version, blob, storedEvaluation(res.Metrics)); err != nil {
		return nil, fmt.Errorf("ml: record the artifact of %s version %d: %w", name, version, err)
	}
	tx.Wrote(registryTable("artifacts"))
	res2, err := tx.QueryArgs(ctx, "SELECT count(*) FROM ml.model_aliases WHERE name = ? AND alias = ?", name, Champion)
	if err != nil {
		return nil, fmt.Errorf("ml: aliases of %s: %w", name, err)
	}
	if asInt(res2.Rows[0][0]) == 0 {
		if err := setAlias(ctx, tx, name, Champion, version, run.Principal, now); err != nil {
			return nil, err
		}
		mv.Aliases = []string{Champion}
		tx.AuditOnCommit(lakehouse.AuditEvent{Principal: run.Principal, Action: "ml:alias", Tables: []string{"ml.model_aliases"}, Allowed: true,
			Detail: aliasDetail(name, Champion, 0, version) + " (its first READY version)"})
	}
	return mv, nil
}

func upsertModel(ctx context.Context, tx *lakehouse.Tx, name string, task Task, description, by string, now time.Time) error {
	_, err := tx.ExecArgs(ctx, `INSERT INTO ml.registered_models VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET task = excluded.task, updated_at = excluded.updated_at,
			description = coalesce(nullif(excluded.description, ''), ml.registered_models.description)`,
		name, string(task), description, by, now, now)
	if err != nil {
		return fmt.Errorf("ml: register model %s: %w", name, err)
	}
	tx.Wrote(registryTable("registered_models"))
	return nil
}

func nextVersion(ctx context.Context, tx *lakehouse.Tx, name string) (int, error) {
	res, err := tx.QueryArgs(ctx, "SELECT coalesce(max(version), 0) + 1 FROM ml.model_versions WHERE name = ?", name)
	if err != nil {
		return 0, fmt.Errorf("ml: versions of %s: %w", name, err)
	}
	return int(asInt(res.Rows[0][0])), nil
}

func insertVersion(ctx context.Context, tx *lakehouse.Tx, v *ModelVersion) error {
	_, err := tx.ExecArgs(ctx, "INSERT INTO ml.model_versions VALUES (?, ?, ?, ?, ?, ?::JSON, ?, ?, ?::JSON)",
		v.Name, v.Version, v.RunID, v.Status, v.Description, jsonText(v.Tags), v.CreatedBy, v.CreatedAt, jsonText(finiteValues(v.Metrics)))
	if err != nil {
		return fmt.Errorf("ml: record %s version %d: %w", v.Name, v.Version, err)
	}
	tx.Wrote(registryTable("model_versions"))
	return nil
}

func setAlias(ctx context.Context, tx *lakehouse.Tx, name, alias string, version int, by string, now time.Time) error {
	_, err := tx.ExecArgs(ctx, `INSERT INTO ml.model_aliases VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, set_by = excluded.set_by, set_at = excluded.set_at`,
		name, alias, version, by, now)
	if err != nil {
		return fmt.Errorf("ml: set %s@%s: %w", name, alias, err)
	}
	tx.Wrote(registryTable("model_aliases"))
	return nil
}

func aliasDetail(name, alias string, from, to int) string {
	if from == 0 {
		return fmt.Sprintf("%s@%s set to version %d", name, alias, to)
	}
	return fmt.Sprintf("%s@%s moved from version %d to %d", name, alias, from, to)
}

// recordFailed records a FAILED run, and a FAILED version when the fit
// produced a model, in a transaction of its own.
func (r *Registry) recordFailed(ctx context.Context, run *Run, m *Model, o TrainOptions) error {
	if r.lh.ReadOnly() {
		return nil
	}
	tx, err := r.lh.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertRun(ctx, tx, run); err != nil {
		return err
	}
	if m != nil {
		now := r.now().UTC()
		if err := upsertModel(ctx, tx, run.Experiment, m.Task, o.Description, run.Principal, now); err != nil {
			return err
		}
		version, err := nextVersion(ctx, tx, run.Experiment)
		if err != nil {
			return err
		}
		if err := insertVersion(ctx, tx, &ModelVersion{Name: run.Experiment, Version: version, RunID: run.ID, Status: VersionFailed,
			Description: run.Error, Tags: run.Tags, CreatedBy: run.Principal, CreatedAt: now, Metrics: run.Metrics}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Ref is a parsed model reference: "name", "name@alias" or "name/VERSION".
type Ref struct {
	Name    string
	Alias   string
	Version int
}

func (f Ref) String() string {
	switch {
	case f.Alias != "":
		return f.Name + "@" + f.Alias
	case f.Version > 0:
		return fmt.Sprintf("%s/%d", f.Name, f.Version)
	}
	return f.Name
}

// ParseRef reads "name", "name@alias" or "name/VERSION", checking each
// part (see CheckName and CheckAlias).
func ParseRef(ref string) (Ref, error) {
	if name, alias, ok := strings.Cut(ref, "@"); ok {
		if err := CheckName(name); err != nil {
			return Ref{}, fmt.Errorf("%w (in %q)", err, ref)
		}
		if err := CheckAlias(alias); err != nil {
			return Ref{}, fmt.Errorf("%w (in %q)", err, ref)
		}
		return Ref{Name: name, Alias: alias}, nil
	}
	if name, v, ok := strings.Cut(ref, "/"); ok {
		if err := CheckName(name); err != nil {
			return Ref{}, fmt.Errorf("%w (in %q)", err, ref)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Ref{}, fmt.Errorf("ml: model reference %q: the version after '/' must be a number from 1, as in %s/1", ref, name)
		}
		return Ref{Name: name, Version: n}, nil
	}
	if err := CheckName(ref); err != nil {
		return Ref{}, err
	}
	return Ref{Name: ref}, nil
}

// resolve finds the version a reference names.
func resolve(ctx context.Context, q records, ref string) (Ref, int, error) {
	f, err := ParseRef(ref)
	if err != nil {
		return f, 0, err
	}
	if ok, err := registryExists(ctx, q); err != nil || !ok {
		if err == nil {
			err = &NotFoundError{What: fmt.Sprintf("no model %q: nothing was trained on this target yet", f.Name), Hint: "train one (lakebench train)"}
		}
		return f, 0, err
	}
	res, err := q.QueryArgs(ctx, `SELECT
		(SELECT count(*) FROM ml.registered_models WHERE name = $1),
		(SELECT version FROM ml.model_aliases WHERE name = $1 AND alias = $2),
		(SELECT count(*) FROM ml.model_versions WHERE name = $1 AND version = $3),
		(SELECT max(version) FROM ml.model_versions WHERE name = $1 AND status = 'READY'),
		(SELECT to_json(list(alias ORDER BY alias))::VARCHAR FROM ml.model_aliases WHERE name = $1)`, f.Name, f.Alias, f.Version)
	if err != nil {
		return f, 0, fmt.Errorf("ml: resolve %s: %w", ref, err)
	}
	row := res.Rows[0]
	if asInt(row[0]) == 0 {
		return f, 0, &NotFoundError{What: fmt.Sprintf("no registered model %q", f.Name), Hint: "list them with `lakebench models list`"}
	}
	switch {
	case f.Alias != "":
		if row[1] == nil {
			aliases := asString(row[4])
			if aliases == "" || aliases == "null" {
				aliases = "none"
			}
			return f, 0, &NotFoundError{What: fmt.Sprintf("model %s has no alias %q (its aliases: %s)", f.Name, f.Alias, aliases),
				Hint: fmt.Sprintf("set it with `lakebench models promote %s VERSION --alias %s`", f.Name, f.Alias)}
		}
		return f, int(asInt(row[1])), nil
	case f.Version > 0:
		if asInt(row[2]) == 0 {
			return f, 0, &NotFoundError{What: fmt.Sprintf("model %s has no version %d", f.Name, f.Version), Hint: "list them with `lakebench models show " + f.Name + "`"}
		}
		return f, f.Version, nil
	}
	f.Alias = Champion
	res, err = q.QueryArgs(ctx, "SELECT version FROM ml.model_aliases WHERE name = ? AND alias = ?", f.Name, Champion)
	if err != nil {
		return f, 0, fmt.Errorf("ml: resolve %s: %w", ref, err)
	}
	if len(res.Rows) > 0 {
		return f, int(asInt(res.Rows[0][0])), nil
	}
	f.Alias = ""
	if row[3] == nil {
		return f, 0, &NotFoundError{What: fmt.Sprintf("model %s has no READY version", f.Name), Hint: "train it again and look at its FAILED runs' errors"}
	}
	return f, int(asInt(row[3])), nil
}

// registryReads are the registry tables a read of versions touches.
var registryReads = mlTables("registered_models", "model_versions", "model_aliases")

// Resolve turns "name", "name@alias" or "name/VERSION" into a name and version
// ("name" alone is the champion, else the latest READY version).
func (r *Registry) Resolve(ctx context.Context, ref string) (string, int, error) {
	principal := r.lh.Principal()
	if err := r.authorize(ctx, principal, registryReads, nil); err != nil {
		return "", 0, r.refused(ctx, principal, "ml:resolve", registryReads, err)
	}
	f, v, err := resolve(ctx, lhRecords{r.lh}, ref)
	return f.Name, v, err
}

// Models lists the registered models.
func (r *Registry) Models(ctx context.Context) ([]RegisteredModel, error) {
	principal := r.lh.Principal()
	if err := r.authorize(ctx, principal, registryReads, nil); err != nil {
		return nil, r.refused(ctx, principal, "ml:models", registryReads, err)
	}
	q := lhRecords{r.lh}
	if ok, err := registryExists(ctx, q); err != nil || !ok {
		return []RegisteredModel{}, err
	}
	res, err := q.QueryArgs(ctx, `SELECT m.name, m.task, m.description, m.updated_at,
		(SELECT coalesce(max(version), 0) FROM ml.model_versions AS v WHERE v.name = m.name),
		(SELECT count(*) FROM ml.model_versions AS v WHERE v.name = m.name)
		FROM ml.registered_models AS m ORDER BY m.name`)
	if err != nil {
		return nil, fmt.Errorf("ml: models: %w", err)
	}
	aliases, err := q.QueryArgs(ctx, "SELECT name, alias, version FROM ml.model_aliases ORDER BY ALL")
	if err != nil {
		return nil, fmt.Errorf("ml: aliases: %w", err)
	}
	out := []RegisteredModel{}
	for _, row := range res.Rows {
		m := RegisteredModel{Name: asString(row[0]), Task: Task(asString(row[1])), Description: asString(row[2]), UpdatedAt: asTime(row[3]),
			LatestVersion: int(asInt(row[4])), Versions: int(asInt(row[5])), Aliases: map[string]int{}}
		for _, a := range aliases.Rows {
			if asString(a[0]) == m.Name {
				m.Aliases[asString(a[1])] = int(asInt(a[2]))
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// Versions lists a model's versions, newest first.
func (r *Registry) Versions(ctx context.Context, name string) ([]ModelVersion, error) {
	principal := r.lh.Principal()
	if err := r.authorize(ctx, principal, registryReads, nil); err != nil {
		return nil, r.refused(ctx, principal, "ml:versions", registryReads, err)
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	q := lhRecords{r.lh}
	if ok, err := registryExists(ctx, q); err != nil || !ok {
		if err == nil {
			err = &NotFoundError{What: fmt.Sprintf("no registered model %q: nothing was trained on this target yet", name)}
		}
		return nil, err
	}
	res, err := q.QueryArgs(ctx, "SELECT "+versionColumns+" FROM ml.model_versions AS v WHERE v.name = ? ORDER BY v.version DESC", name)
	if err != nil {
		return nil, fmt.Errorf("ml: versions of %s: %w", name, err)
	}
	if len(res.Rows) == 0 {
		return nil, &NotFoundError{What: fmt.Sprintf("no registered model %q", name), Hint: "list them with `lakebench models list`"}
	}
	out := make([]ModelVersion, 0, len(res.Rows))
	for _, row := range res.Rows {
		v, err := scanVersion(row)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// showReads are the tables Show reads.
var showReads = mlTables("registered_models", "model_versions", "model_aliases", "runs", "artifacts")

// Show returns a version with its run, artifact and evaluation.
func (r *Registry) Show(ctx context.Context, ref string) (*VersionDetail, error) {
	principal := r.lh.Principal()
	if err := r.authorize(ctx, principal, showReads, nil); err != nil {
		return nil, r.refused(ctx, principal, "ml:show", showReads, err)
	}
	return show(ctx, lhRecords{r.lh}, ref)
}

func show(ctx context.Context, q records, ref string) (*VersionDetail, error) {
	f, version, err := resolve(ctx, q, ref)
	if err != nil {
		return nil, err
	}
	res, err := q.QueryArgs(ctx, "SELECT "+versionColumns+" FROM ml.model_versions AS v WHERE v.name = ? AND v.version = ?", f.Name, version)
	if err != nil {
		return nil, fmt.Errorf("ml: show %s: %w", ref, err)
	}
	if len(res.Rows) == 0 {
		return nil, &NotFoundError{What: fmt.Sprintf("model %s has no version %d", f.Name, version)}
	}
	mv, err := scanVersion(res.Rows[0])
	if err != nil {
		return nil, err
	}
	d := &VersionDetail{ModelVersion: mv}
	run, err := loadRun(ctx, q, mv.RunID)
	if err != nil {
		return nil, err
	}
	d.Run = *run
	if mv.Status != VersionReady {
		return d, nil
	}
	art, err := q.QueryArgs(ctx, "SELECT model, evaluation::VARCHAR FROM ml.artifacts WHERE name = ? AND version = ?", f.Name, version)
	if err != nil {
		return nil, fmt.Errorf("ml: artifact of %s version %d: %w", f.Name, version, err)
	}
	if len(art.Rows) == 0 {
		return nil, fmt.Errorf("ml: %s version %d is READY but has no artifact: the registry was changed outside lakebench; train it again", f.Name, version)
	}
	if d.Model, err = UnmarshalModel([]byte(asString(art.Rows[0][0]))); err != nil {
		return nil, fmt.Errorf("ml: the artifact of %s version %d: %w", f.Name, version, err)
	}
	if d.Evaluation, err = loadEvaluation(asString(art.Rows[0][1])); err != nil {
		return nil, fmt.Errorf("ml: the evaluation of %s version %d: %w", f.Name, version, err)
	}
	return d, nil
}

// artifactBytes are a version's stored model bytes.
func artifactBytes(ctx context.Context, q records, name string, version int) ([]byte, error) {
	art, err := q.QueryArgs(ctx, "SELECT model FROM ml.artifacts WHERE name = ? AND version = ?", name, version)
	if err != nil {
		return nil, fmt.Errorf("ml: artifact of %s version %d: %w", name, version, err)
	}
	if len(art.Rows) == 0 {
		return nil, fmt.Errorf("ml: %s version %d has no artifact", name, version)
	}
	return []byte(asString(art.Rows[0][0])), nil
}

// aliasWrites are the tables an alias move writes.
var aliasWrites = mlTables("model_aliases")

// beginAliasChange checks a move or removal of name's alias by principal
// (the names, then the grants) and begins its transaction.
func (r *Registry) beginAliasChange(ctx context.Context, principal, name, alias string) (*lakehouse.Tx, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if err := CheckAlias(alias); err != nil {
		return nil, err
	}
	if err := r.aliasAllowed(ctx, principal); err != nil {
		return nil, err
	}
	if err := r.Ensure(ctx); err != nil {
		return nil, err
	}
	return r.lh.BeginAs(ctx, principal)
}

// SetAlias points alias at a version of name, moving it from any other.
func (r *Registry) SetAlias(ctx context.Context, name, alias string, version int) error {
	principal := r.lh.Principal()
	tx, err := r.beginAliasChange(ctx, principal, name, alias)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.QueryArgs(ctx, `SELECT (SELECT status FROM ml.model_versions WHERE name = $1 AND version = $2),
		(SELECT version FROM ml.model_aliases WHERE name = $1 AND alias = $3),
		(SELECT count(*) FROM ml.registered_models WHERE name = $1)`, name, version, alias)
	if err != nil {
		return fmt.Errorf("ml: set %s@%s: %w", name, alias, err)
	}
	row := res.Rows[0]
	switch status := asString(row[0]); {
	case asInt(row[2]) == 0:
		return &NotFoundError{What: fmt.Sprintf("no registered model %q", name), Hint: "list them with `lakebench models list`"}
	case row[0] == nil:
		return &NotFoundError{What: fmt.Sprintf("model %s has no version %d", name, version), Hint: "list them with `lakebench models show " + name + "`"}
	case status != VersionReady:
		return fmt.Errorf("ml: %s version %d is %s, so no alias may point at it: promote a READY version", name, version, status)
	}
	from := int(asInt(row[1]))
	if err := setAlias(ctx, tx, name, alias, version, principal, r.now().UTC()); err != nil {
		return err
	}
	detail := aliasDetail(name, alias, from, version)
	if from == version {
		detail = fmt.Sprintf("%s@%s already at version %d", name, alias, version)
	}
	tx.AuditOnCommit(lakehouse.AuditEvent{Principal: principal, Action: "ml:alias", Tables: []string{"ml.model_aliases"}, Allowed: true, Detail: detail})
	return tx.Commit()
}

// aliasAllowed checks principal may move aliases: MODIFY on
// ml.model_aliases, and CAN_MANAGE on a target deployed in production mode.
// A refusal is audited.
func (r *Registry) aliasAllowed(ctx context.Context, principal string) error {
	reads := mlTables("model_versions", "model_aliases")
	if err := r.authorize(ctx, principal, reads, aliasWrites); err != nil {
		return r.refused(ctx, principal, "ml:alias", aliasWrites, err)
	}
	if principal == "" {
		return nil
	}
	mode, err := r.lh.Mode(ctx)
	if err != nil {
		return err
	}
	if mode == "production" {
		// Audited by CheckPermission when refused.
		return r.lh.CheckPermission(ctx, principal, lakehouse.CanManage, "alias move")
	}
	return nil
}

// RemoveAlias deletes an alias of name (as MLflow's
// delete_registered_model_alias); the version it pointed at stays.
func (r *Registry) RemoveAlias(ctx context.Context, name, alias string) error {
	principal := r.lh.Principal()
	tx, err := r.beginAliasChange(ctx, principal, name, alias)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.QueryArgs(ctx, "DELETE FROM ml.model_aliases WHERE name = ? AND alias = ? RETURNING version", name, alias)
	if err != nil {
		return fmt.Errorf("ml: remove %s@%s: %w", name, alias, err)
	}
	tx.Wrote(registryTable("model_aliases"))
	if len(res.Rows) == 0 {
		return &NotFoundError{What: fmt.Sprintf("model %s has no alias %q", name, alias), Hint: "list them with `lakebench models show " + name + "`"}
	}
	tx.AuditOnCommit(lakehouse.AuditEvent{Principal: principal, Action: "ml:alias", Tables: []string{"ml.model_aliases"}, Allowed: true,
		Detail: fmt.Sprintf("%s@%s removed (it was at version %d)", name, alias, asInt(res.Rows[0][0]))})
	return tx.Commit()
}

// Compare sets versions a and b of name side by side.
func (r *Registry) Compare(ctx context.Context, name string, a, b int) (*Comparison, error) {
	principal := r.lh.Principal()
	if err := r.authorize(ctx, principal, showReads, nil); err != nil {
		return nil, r.refused(ctx, principal, "ml:compare", showReads, err)
	}
	q := lhRecords{r.lh}
	da, err := show(ctx, q, fmt.Sprintf("%s/%d", name, a))
	if err != nil {
		return nil, err
	}
	db, err := show(ctx, q, fmt.Sprintf("%s/%d", name, b))
	if err != nil {
		return nil, err
	}
	return compare(name, da, db), nil
}

func compare(name string, a, b *VersionDetail) *Comparison {
	c := &Comparison{Name: name, A: a, B: b, MetricDeltas: map[string]float64{}, CoefChanges: []CoefChange{}}
	for k, va := range a.Metrics {
		if vb, ok := b.Metrics[k]; ok {
			c.MetricDeltas[k] = vb - va
		}
	}
	type key struct{ feature, class string }
	values := map[key]*CoefChange{}
	var order []key
	add := func(m *Model, isB bool) {
		if m == nil {
			return
		}
		names := matrixColumns(m)
		for k, row := range m.Coef {
			class := ""
			if len(m.Coef) > 1 && k < len(m.Classes) {
				class = m.Classes[k]
			}
			for j, v := range row {
				feature := fmt.Sprintf("x%d", j)
				if j < len(names) {
					feature = names[j]
				}
				id := key{feature, class}
				cc, ok := values[id]
				if !ok {
					cc = &CoefChange{Feature: feature, Class: class}
					values[id] = cc
					order = append(order, id)
				}
				if isB {
					cc.B = v
				} else {
					cc.A = v
				}
			}
		}
		for k, v := range m.Intercept {
			class := ""
			if len(m.Intercept) > 1 && k < len(m.Classes) {
				class = m.Classes[k]
			}
			id := key{"(intercept)", class}
			cc, ok := values[id]
			if !ok {
				cc = &CoefChange{Feature: "(intercept)", Class: class}
				values[id] = cc
				order = append(order, id)
			}
			if isB {
				cc.B = v
			} else {
				cc.A = v
			}
		}
	}
	add(a.Model, false)
	add(b.Model, true)
	for _, id := range order {
		cc := values[id]
		cc.Delta = cc.B - cc.A
		c.CoefChanges = append(c.CoefChanges, *cc)
	}
	sort.SliceStable(c.CoefChanges, func(i, j int) bool {
		di, dj := math.Abs(c.CoefChanges[i].Delta), math.Abs(c.CoefChanges[j].Delta)
		if di != dj {
			return di > dj
		}
		if c.CoefChanges[i].Feature != c.CoefChanges[j].Feature {
			return c.CoefChanges[i].Feature < c.CoefChanges[j].Feature
		}
		return c.CoefChanges[i].Class < c.CoefChanges[j].Class
	})
	return c
}

// matrixColumns names a model's matrix columns, in order.
func matrixColumns(m *Model) []string {
	var out []string
	for _, f := range m.Prep.Features {
		out = append(out, f.Outputs...)
	}
	return out
}

// Scorings lists the batch inferences of a model, newest first.
func (r *Registry) Scorings(ctx context.Context, name string) ([]Scoring, error) {
	principal := r.lh.Principal()
	reads := mlTables("scorings")
	if err := r.authorize(ctx, principal, reads, nil); err != nil {
		return nil, r.refused(ctx, principal, "ml:scorings", reads, err)
	}
	q := lhRecords{r.lh}
	if ok, err := registryExists(ctx, q); err != nil || !ok {
		return []Scoring{}, err
	}
	res, err := q.QueryArgs(ctx, `SELECT name, version, alias, "table", "out", rows, scored_at FROM ml.scorings WHERE name = ? ORDER BY scored_at DESC, version DESC`, name)
	if err != nil {
		return nil, fmt.Errorf("ml: scorings of %s: %w", name, err)
	}
	out := []Scoring{}
	for _, row := range res.Rows {
		out = append(out, Scoring{Name: asString(row[0]), Version: int(asInt(row[1])), Alias: asString(row[2]), Table: asString(row[3]),
			Out: asString(row[4]), Rows: asInt(row[5]), ScoredAt: asTime(row[6])})
	}
	return out, nil
}
