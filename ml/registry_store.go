package ml

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lakebench/lakebench/lakehouse"
)

// The registry's tables, in schema ml. They are created on first use by a
// writer (Registry.Ensure), each statement idempotent. Every value goes in
// through a bind parameter.
const registryDDL = `
CREATE SCHEMA IF NOT EXISTS ml;
CREATE TABLE IF NOT EXISTS ml.runs (
	run_id VARCHAR PRIMARY KEY, experiment VARCHAR NOT NULL, status VARCHAR NOT NULL,
	spec JSON, params JSON, metrics JSON, tags JSON,
	"table" VARCHAR, table_rows BIGINT, table_digest VARCHAR, seed BIGINT,
	lakebench_version VARCHAR, principal VARCHAR, started_at TIMESTAMP, duration_ns BIGINT,
	loss DOUBLE[], iterations INTEGER, converged BOOLEAN, warnings VARCHAR[], error VARCHAR);
ALTER TABLE ml.runs ADD COLUMN IF NOT EXISTS cv JSON;
CREATE TABLE IF NOT EXISTS ml.registered_models (
	name VARCHAR PRIMARY KEY, task VARCHAR, description VARCHAR,
	created_by VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ml.model_versions (
	name VARCHAR NOT NULL, version INTEGER NOT NULL, run_id VARCHAR, status VARCHAR NOT NULL,
	description VARCHAR, tags JSON, created_by VARCHAR, created_at TIMESTAMP, metrics JSON,
	PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS ml.model_aliases (
	name VARCHAR NOT NULL, alias VARCHAR NOT NULL, version INTEGER NOT NULL,
	set_by VARCHAR, set_at TIMESTAMP, PRIMARY KEY (name, alias));
CREATE TABLE IF NOT EXISTS ml.artifacts (
	name VARCHAR NOT NULL, version INTEGER NOT NULL, model BLOB NOT NULL, evaluation JSON,
	PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS ml.scorings (
	name VARCHAR, version INTEGER, alias VARCHAR, "table" VARCHAR, "out" VARCHAR,
	rows BIGINT, principal VARCHAR, scored_at TIMESTAMP);
`

// RegistryTables are the registry's own tables in schema ml: no prediction,
// model or statement may write one (lakehouse.RegistryTables, which
// lakehouse enforces).
var RegistryTables = lakehouse.RegistryTables

func mlTable(name string) lakehouse.TableName { return lakehouse.TableName{Schema: "ml", Name: name} }

func mlTables(names ...string) []lakehouse.TableName {
	out := make([]lakehouse.TableName, len(names))
	for i, n := range names {
		out[i] = mlTable(n)
	}
	return out
}

// The statuses of runs and versions, as MLflow's.
const (
	RunFinished  = "FINISHED"
	RunFailed    = "FAILED"
	VersionReady = "READY"
	// VersionFailed is a version whose fit produced a model that cannot
	// serve (a coefficient that is not finite, an artifact that does not
	// decode): it is recorded, never aliased nor resolved.
	VersionFailed = "FAILED"
)

// Champion is the alias a model's first READY version gets.
const Champion = "champion"

// records is what the registry reads through: a transaction, or the
// lakehouse outside one (which works read-only).
type records interface {
	QueryArgs(ctx context.Context, q string, args ...any) (*lakehouse.Result, error)
}

type lhRecords struct{ lh *lakehouse.Lakehouse }

func (l lhRecords) QueryArgs(ctx context.Context, q string, args ...any) (*lakehouse.Result, error) {
	return l.lh.RecordsQuery(ctx, q, args...)
}

// ensureRegistry creates the registry's tables. An ml.model_versions left
// by lakebench before the registry (a model column, no name) is kept as
// ml.model_versions_legacy.
func ensureRegistry(ctx context.Context, lh *lakehouse.Lakehouse) error {
	tx, err := lh.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.QueryArgs(ctx, `SELECT count(*) FILTER (WHERE column_name = 'model') > 0 AND count(*) FILTER (WHERE column_name = 'name') = 0
		FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'ml' AND table_name = 'model_versions'`)
	if err != nil {
		return fmt.Errorf("ml: registry tables: %w", err)
	}
	if legacy, _ := res.Rows[0][0].(bool); legacy {
		if _, err := tx.Exec(ctx, "ALTER TABLE ml.model_versions RENAME TO model_versions_legacy"); err != nil {
			return fmt.Errorf("ml: keep the old ml.model_versions as ml.model_versions_legacy: %w", err)
		}
		tx.Wrote(registryTable("model_versions_legacy"))
	}
	if _, err := tx.Exec(ctx, registryDDL); err != nil {
		return fmt.Errorf("ml: create the registry tables: %w", err)
	}
	for _, name := range lakehouse.RegistryTables {
		tx.Wrote(registryTable(name))
	}
	return tx.Commit()
}

// registryTable is the registry's table name in schema ml.
func registryTable(name string) lakehouse.TableName {
	return lakehouse.TableName{Schema: "ml", Name: name}
}

// registryExists reports whether the registry's tables were created.
func registryExists(ctx context.Context, q records) (bool, error) {
	res, err := q.QueryArgs(ctx, `SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'ml' AND table_name = 'scorings'`)
	if err != nil {
		return false, fmt.Errorf("ml: registry: %w", err)
	}
	return asInt(res.Rows[0][0]) > 0, nil
}

func newRunID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// lakebenchVersion is the version of the running binary, as its build info
// says (module version, else the VCS revision).
func lakebenchVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			if v == "" || v == "(devel)" {
				v = "devel"
			}
			v += "+" + s.Value[:12]
		}
	}
	if v == "" {
		v = "devel"
	}
	return v
}

// jsonText encodes v for a JSON column. Floats that JSON cannot hold are
// dropped from metric maps (finiteValues) before this is called.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// finiteValues drops the values JSON cannot hold (NaN, ±Inf): a metric
// that could not be computed (ROC AUC of a test set with one class) is
// absent, not NaN.
func finiteValues(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}

// storedEvaluation is Metrics as stored: the first ROC threshold is +Inf
// (as scikit-learn's), which JSON cannot hold, so infinities are stored as
// the largest float and read back.
func storedEvaluation(m Metrics) string {
	c := m
	c.Values = finiteValues(m.Values)
	c.ROC = make([]ROCPoint, len(m.ROC))
	for i, p := range m.ROC {
		switch {
		case math.IsInf(p.Threshold, 1):
			p.Threshold = math.MaxFloat64
		case math.IsInf(p.Threshold, -1):
			p.Threshold = -math.MaxFloat64
		case math.IsNaN(p.Threshold):
			p.Threshold = 0
		}
		c.ROC[i] = p
	}
	c.Importance = nil
	for _, im := range m.Importance {
		if !math.IsNaN(im.Weight) && !math.IsInf(im.Weight, 0) {
			c.Importance = append(c.Importance, im)
		}
	}
	return jsonText(c)
}

func loadEvaluation(s string) (Metrics, error) {
	var m Metrics
	if s == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, err
	}
	for i := range m.ROC {
		switch m.ROC[i].Threshold {
		case math.MaxFloat64:
			m.ROC[i].Threshold = math.Inf(1)
		case -math.MaxFloat64:
			m.ROC[i].Threshold = math.Inf(-1)
		}
	}
	return m, nil
}

// finiteList replaces what a DOUBLE[] bound as JSON cannot hold by NULL.
func finiteList(xs []float64) string {
	out := make([]any, len(xs))
	for i, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out[i] = x
		}
	}
	return jsonText(out)
}

// insertRun records a run.
func insertRun(ctx context.Context, tx *lakehouse.Tx, r *Run) error {
	warnings := r.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	cv := make([]map[string]float64, len(r.CV))
	for i, fold := range r.CV {
		cv[i] = finiteValues(fold)
	}
	_, err := tx.ExecArgs(ctx, `INSERT INTO ml.runs (run_id, experiment, status, spec, params, metrics, tags, "table", table_rows,
		table_digest, seed, lakebench_version, principal, started_at, duration_ns, loss, iterations, converged, warnings, error, cv)
		VALUES (?, ?, ?, ?::JSON, ?::JSON, ?::JSON, ?::JSON, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON::DOUBLE[], ?, ?, ?::JSON::VARCHAR[], ?, ?::JSON)`,
		r.ID, r.Experiment, r.Status, jsonText(r.Spec), jsonText(r.Params), jsonText(finiteValues(r.Metrics)), jsonText(r.Tags),
		r.Table, r.TableRows, r.TableDigest, r.Spec.Seed, r.Version, r.Principal, r.StartedAt.UTC(), int64(r.Duration),
		finiteList(r.Loss), r.Iterations, r.Converged, jsonText(warnings), nullable(r.Error), jsonText(cv))
	if err != nil {
		return fmt.Errorf("ml: record run %s: %w", r.ID, err)
	}
	tx.Wrote(registryTable("runs"))
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const runColumns = `run_id, experiment, status, spec::VARCHAR, params::VARCHAR, metrics::VARCHAR, tags::VARCHAR, "table", table_rows,
	table_digest, lakebench_version, principal, started_at, duration_ns, to_json(loss)::VARCHAR, iterations, converged,
	to_json(warnings)::VARCHAR, error, cv::VARCHAR`

func scanRun(row []any) (Run, error) {
	r := Run{ID: asString(row[0]), Experiment: asString(row[1]), Status: asString(row[2]), Table: asString(row[7]),
		TableRows: asInt(row[8]), TableDigest: asString(row[9]), Version: asString(row[10]), Principal: asString(row[11]),
		StartedAt: asTime(row[12]), Duration: time.Duration(asInt(row[13])), Iterations: int(asInt(row[15])),
		Error: asString(row[18])}
	r.Converged, _ = row[16].(bool)
	var loss []*float64
	for _, f := range []struct {
		s   any
		dst any
	}{{row[3], &r.Spec}, {row[4], &r.Params}, {row[5], &r.Metrics}, {row[6], &r.Tags}, {row[14], &loss}, {row[17], &r.Warnings}, {row[19], &r.CV}} {
		if s := asString(f.s); s != "" {
			if err := json.Unmarshal([]byte(s), f.dst); err != nil {
				return r, fmt.Errorf("ml: run %s: %w", r.ID, err)
			}
		}
	}
	for _, x := range loss {
		if x == nil {
			r.Loss = append(r.Loss, math.NaN())
		} else {
			r.Loss = append(r.Loss, *x)
		}
	}
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	return r, nil
}

func loadRun(ctx context.Context, q records, id string) (*Run, error) {
	res, err := q.QueryArgs(ctx, "SELECT "+runColumns+" FROM ml.runs WHERE run_id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("ml: run %s: %w", id, err)
	}
	if len(res.Rows) == 0 {
		return nil, fmt.Errorf("ml: run %s is not recorded", id)
	}
	r, err := scanRun(res.Rows[0])
	return &r, err
}

const versionColumns = `v.name, v.version, v.run_id, v.status, v.description, v.tags::VARCHAR, v.created_by, v.created_at, v.metrics::VARCHAR,
	(SELECT to_json(list(a.alias ORDER BY a.alias))::VARCHAR FROM ml.model_aliases AS a WHERE a.name = v.name AND a.version = v.version)`

func scanVersion(row []any) (ModelVersion, error) {
	v := ModelVersion{Name: asString(row[0]), Version: int(asInt(row[1])), RunID: asString(row[2]), Status: asString(row[3]),
		Description: asString(row[4]), CreatedBy: asString(row[6]), CreatedAt: asTime(row[7])}
	for _, f := range []struct {
		s   any
		dst any
	}{{row[5], &v.Tags}, {row[8], &v.Metrics}, {row[9], &v.Aliases}} {
		if s := asString(f.s); s != "" {
			if err := json.Unmarshal([]byte(s), f.dst); err != nil {
				return v, fmt.Errorf("ml: version %s/%d: %w", v.Name, v.Version, err)
			}
		}
	}
	if v.Metrics == nil {
		v.Metrics = map[string]float64{}
	}
	return v, nil
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}

func asTime(v any) time.Time {
	t, _ := v.(time.Time)
	return t
}

// NotFoundError is a model, version or alias the registry does not hold.
type NotFoundError struct{ What, Hint string }

func (e *NotFoundError) Error() string {
	if e.Hint == "" {
		return "ml: " + e.What
	}
	return "ml: " + e.What + ": " + e.Hint
}

// IsNotFound reports whether err is a *NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// CheckName checks a registered model's name: any text but empty, with no
// '@' or '/' (they separate an alias or a version in a reference) and no
// control characters. Quotes and SQL are only text: every name is bound.
func CheckName(name string) error {
	return checkRefPart("model name", name)
}

// CheckAlias checks an alias: as a name, and not all digits (that would
// read as a version).
func CheckAlias(alias string) error {
	if err := checkRefPart("alias", alias); err != nil {
		return err
	}
	if strings.Trim(alias, "0123456789") == "" {
		return fmt.Errorf("ml: alias %q is all digits, which reads as a version: name it with a letter (champion, challenger, v%s)", alias, alias)
	}
	return nil
}

func checkRefPart(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("ml: the %s is empty: name it, for example churn", what)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("ml: %s %q starts or ends with a space: remove it", what, s)
	case len(s) > 200:
		return fmt.Errorf("ml: %s %.40q... is %d bytes long: keep it under 200", what, s, len(s))
	case strings.ContainsAny(s, "@/"):
		return fmt.Errorf("ml: %s %q holds '@' or '/', which separate an alias or a version in a model reference (churn@champion, churn/3): leave them out", what, s)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("ml: %s %q is not valid UTF-8: name it in plain text", what, s)
	}
	for _, r := range s {
		// Format characters (a right-to-left override, a zero-width
		// space) make one name read as another in a listing or the audit.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("ml: %s %+q holds a control character or an invisible formatting one (%U), which would make it read as another name: leave it out", what, s, r)
		}
	}
	return nil
}
