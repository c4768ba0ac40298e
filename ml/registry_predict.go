package ml

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// PredictAccess is what scoring table into out reads and writes, for a
// caller that checks grants before it begins (the pipeline's predict task):
// SELECT on the input and the registry, MODIFY on the output.
func PredictAccess(table, out string) (reads, writes []lakehouse.TableName, err error) {
	in, err := lakehouse.ParseTableName(table)
	if err != nil {
		return nil, nil, fmt.Errorf("ml: predict: the input %w", err)
	}
	o, err := lakehouse.ParseTableName(out)
	if err != nil {
		return nil, nil, fmt.Errorf("ml: predict: the output %w", err)
	}
	return append([]lakehouse.TableName{in}, showReads...), []lakehouse.TableName{o}, nil
}

// Predict scores table with the version ref names into out (schema.table).
func (r *Registry) Predict(ctx context.Context, ref, table, out string) (*Scoring, error) {
	principal := r.lh.Principal()
	reads, writes, err := PredictAccess(table, out)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, principal, reads, writes); err != nil {
		return nil, r.refused(ctx, principal, "ml:predict", append(reads[:1:1], writes...), err)
	}
	if err := r.Ensure(ctx); err != nil {
		return nil, err
	}
	meter := lakehouse.StartMeter()
	tx, err := r.lh.BeginAs(ctx, principal)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	s, err := r.PredictTx(ctx, tx, ref, table, out)
	if err != nil {
		r.recordUsage(ctx, meter, lakehouse.UsageKindScoring, ref, reads, nil, 0)
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		r.recordUsage(ctx, meter, lakehouse.UsageKindScoring, ref, reads, nil, 0)
		return nil, err
	}
	r.recordUsage(ctx, meter, lakehouse.UsageKindScoring, s.Name, reads, writes, s.Rows)
	r.lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: principal, Action: "ml:predict", Tables: []string{s.Table, s.Out},
		Rows: s.Rows, Allowed: true, Detail: fmt.Sprintf("%s version %d", s.Name, s.Version)})
	return s, nil
}

// PredictTx is Predict inside the caller's transaction (a pipeline
// task's). Call Ensure before beginning tx.
func (r *Registry) PredictTx(ctx context.Context, tx *lakehouse.Tx, ref, table, out string) (*Scoring, error) {
	reads, writes, err := PredictAccess(table, out)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, tx.Principal(), reads, writes); err != nil {
		return nil, err
	}
	in, o := reads[0], writes[0]
	if lakehouse.IsRegistryTable(o) {
		return nil, fmt.Errorf("ml: predict: %s is one of the registry's own tables: write the predictions to another, such as ml.%s_predictions", o, strings.SplitN(ref, "@", 2)[0])
	}
	if strings.EqualFold(o.String(), in.String()) {
		return nil, fmt.Errorf("ml: predict: the output %s is the input: write the predictions to another table", o)
	}
	if err := tx.CheckTableTarget(ctx, o); err != nil {
		return nil, fmt.Errorf("ml: predict: %w", err)
	}
	d, err := show(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	if d.Status != VersionReady || d.Model == nil {
		return nil, fmt.Errorf("ml: %s version %d is %s, so it cannot score: name a READY version or an alias", d.Name, d.Version, d.Status)
	}
	cols, err := tableColumns(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	if cols == nil {
		return nil, fmt.Errorf("ml: predict: table %s does not exist: build it first (lakebench run), or name another with --table", in)
	}
	var keys []string
	for _, c := range cols {
		if isIDColumn(c.Name) {
			keys = append(keys, c.Name)
		}
	}
	if len(keys) == 0 {
		for _, c := range cols {
			keys = append(keys, c.Name)
		}
	}
	have := map[string]bool{}
	for _, c := range cols {
		have[c.Name] = true
	}
	need := append([]string(nil), keys...)
	for _, f := range d.Model.Prep.Features {
		if !have[f.Column] {
			return nil, fmt.Errorf("ml: predict: %s has no column %q, a feature of %s version %d: score a table with the columns it was trained on (%s)",
				in, f.Column, d.Name, d.Version, strings.Join(featureColumns(d.Model), ", "))
		}
		if !slices.Contains(need, f.Column) {
			need = append(need, f.Column)
		}
	}
	if _, err := tx.ExecArgs(ctx, "CREATE SCHEMA IF NOT EXISTS "+lakehouse.QuoteIdent(o.Schema)); err != nil {
		return nil, fmt.Errorf("ml: predict into %s: %w", o, err)
	}
	// A slice of the input's rows at a time: read, scored and written
	// before the next is read, so memory stays that of one slice however
	// large the table (a view is one slice).
	scoredAt := r.now().UTC()
	var rows int64
	var created bool
	var failed error
	err = tx.ReadColumnsEach(ctx, in, need, predictSliceBytes, func(data *lakehouse.ColumnData) error {
		frame := FrameOf(data)
		preds, err := d.Model.Predict(frame)
		if err != nil {
			failed = fmt.Errorf("ml: predict %s with %s version %d: %w", in, d.Name, d.Version, err)
			return failed
		}
		sel, args, err := predictionsSQL(frame, keys, d.Model, preds, d.Name, d.Version, scoredAt)
		if err != nil {
			failed = err
			return err
		}
		stmt := "INSERT INTO " + o.SQL() + " " + sel
		if !created {
			stmt = "CREATE OR REPLACE TABLE " + o.SQL() + " AS " + sel
		}
		if _, err := tx.ExecArgs(ctx, stmt, args...); err != nil {
			failed = fmt.Errorf("ml: predict into %s: %w", o, err)
			return failed
		}
		rows, created = rows+int64(frame.Rows), true
		tx.Wrote(o)
		return nil
	})
	switch {
	case failed != nil:
		return nil, failed
	case err != nil:
		return nil, fmt.Errorf("ml: %w", err)
	}
	if err := tx.SetCatalog(ctx, lakehouse.CatalogEntry{Schema: o.Schema, Table: o.Name, Layer: o.Schema,
		Description: fmt.Sprintf("Predictions of %s version %d over %s", d.Name, d.Version, in)}); err != nil {
		return nil, err
	}
	f, _ := ParseRef(ref)
	s := &Scoring{Name: d.Name, Version: d.Version, Alias: f.Alias, Table: in.String(), Out: o.String(), Rows: rows, ScoredAt: scoredAt}
	if _, err := tx.ExecArgs(ctx, `INSERT INTO ml.scorings VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Name, s.Version, nullable(s.Alias), s.Table, s.Out, s.Rows, tx.Principal(), s.ScoredAt); err != nil {
		return nil, fmt.Errorf("ml: record the scoring: %w", err)
	}
	tx.Wrote(registryTable("scorings"))
	return s, nil
}

func featureColumns(m *Model) []string {
	out := make([]string, len(m.Prep.Features))
	for i, f := range m.Prep.Features {
		out[i] = f.Column
	}
	return out
}

// plainType matches the DuckDB types a key column is cast back to; others
// (an ENUM, a STRUCT) stay as the text the frame read.
var plainType = regexp.MustCompile(`^[A-Z][A-Z ]*[A-Z](\(\d+(, ?\d+)?\))?$`)

// predictSliceBytes is about how many bytes of input values batch scoring
// reads, scores and writes at a time (at least one row group's rows); a
// variable so a test can slice a small table.
var predictSliceBytes = 16 << 20

// predictionsSQL is the SELECT of a slice's predictions: the key columns
// as read, then prediction, prob_<class> (or the value), model_name,
// model_version and scored_at. Every column's values are one JSON list
// bound as a parameter.
func predictionsSQL(f *Frame, keys []string, m *Model, p *Predictions, name string, version int,
	scoredAt interface{}) (string, []any, error) {
	var sel []string
	var args []any
	names := map[string]bool{}
	addName := func(n string) error {
		if names[strings.ToLower(n)] {
			return fmt.Errorf("ml: predict: the output would have two columns named %q: rename the input's column", n)
		}
		names[strings.ToLower(n)] = true
		return nil
	}
	for _, k := range keys {
		c := f.Column(k)
		if err := addName(k); err != nil {
			return "", nil, err
		}
		vals := make([]any, f.Rows)
		for i := range vals {
			switch {
			case c.IsNull(i):
			case c.Kind == Text:
				vals[i] = c.Text[i]
			case c.Kind == Boolean:
				vals[i] = c.Num[i] != 0
			default:
				if !math.IsNaN(c.Num[i]) && !math.IsInf(c.Num[i], 0) {
					vals[i] = c.Num[i]
				}
			}
		}
		expr := "unnest(?::JSON::DOUBLE[])"
		switch c.Kind {
		case Text:
			expr = "unnest(?::JSON::VARCHAR[])"
		case Boolean:
			expr = "unnest(?::JSON::BOOLEAN[])"
		}
		switch t := c.Type; {
		case c.Kind != Numeric || t == "DOUBLE":
		case t == "DATE": // read as days since 1970-01-01
			expr = "(DATE '1970-01-01' + round(" + expr + ")::INTEGER)"
		case strings.HasPrefix(t, "TIMESTAMP") && plainType.MatchString(t):
			expr = "make_timestamp(round(" + expr + " * 86400000000)::BIGINT)::" + t
		case lakehouse.IsNumericType(t) && plainType.MatchString(t):
			expr += "::" + t
		}
		sel = append(sel, expr+" AS "+lakehouse.QuoteIdent(k))
		args = append(args, jsonText(vals))
	}
	if err := addName("prediction"); err != nil {
		return "", nil, err
	}
	if m.Task == Regression {
		sel = append(sel, "unnest(?::JSON::DOUBLE[]) AS prediction")
		args = append(args, finiteList(p.Value))
	} else {
		sel = append(sel, "unnest(?::JSON::VARCHAR[]) AS prediction")
		classes := p.Class
		if classes == nil {
			classes = []string{}
		}
		args = append(args, jsonText(classes))
		for k, class := range m.Classes {
			col := "prob_" + class
			if err := addName(col); err != nil {
				return "", nil, err
			}
			probs := make([]float64, len(p.Proba))
			for i := range p.Proba {
				probs[i] = p.Proba[i][k]
			}
			sel = append(sel, "unnest(?::JSON::DOUBLE[]) AS "+lakehouse.QuoteIdent(col))
			args = append(args, finiteList(probs))
		}
	}
	for _, n := range []string{"model_name", "model_version", "scored_at"} {
		if err := addName(n); err != nil {
			return "", nil, err
		}
	}
	sel = append(sel, "?::VARCHAR AS model_name", "?::INTEGER AS model_version", "?::TIMESTAMP AS scored_at")
	args = append(args, name, version, scoredAt)
	return "SELECT " + strings.Join(sel, ", "), args, nil
}

// Reproduce retrains a version from its recorded inputs and compares.
func (r *Registry) Reproduce(ctx context.Context, name string, version int) (*Reproduction, error) {
	principal := r.lh.Principal()
	if err := r.authorize(ctx, principal, showReads, nil); err != nil {
		return nil, r.refused(ctx, principal, "ml:reproduce", showReads, err)
	}
	q := lhRecords{r.lh}
	d, err := show(ctx, q, fmt.Sprintf("%s/%d", name, version))
	if err != nil {
		return nil, err
	}
	if d.Status != VersionReady {
		return nil, fmt.Errorf("ml: %s version %d is %s (%s): there is no artifact to reproduce", name, version, d.Status, d.Run.Error)
	}
	table, err := lakehouse.ParseTableName(d.Run.Table)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, principal, []lakehouse.TableName{table}, nil); err != nil {
		return nil, r.refused(ctx, principal, "ml:reproduce", []lakehouse.TableName{table}, err)
	}
	rep := &Reproduction{Name: name, Version: version, RecordedDigest: d.Run.TableDigest, RecordedRows: d.Run.TableRows}
	if rep.CurrentDigest, rep.CurrentRows, err = r.lh.TableDigest(ctx, table); err != nil {
		return nil, fmt.Errorf("ml: reproduce %s version %d: %w", name, version, err)
	}
	if rep.CurrentDigest != rep.RecordedDigest || rep.CurrentRows != rep.RecordedRows {
		rep.DigestChanged = true
		rep.Differences = append(rep.Differences, fmt.Sprintf("the training table %s changed since version %d was trained: recorded digest %s over %d rows, now %s over %d rows",
			table, version, rep.RecordedDigest, rep.RecordedRows, rep.CurrentDigest, rep.CurrentRows))
	}
	// The features the version was trained on, as its artifact records them:
	// a spec that left them to be inferred must not infer them anew (the
	// inference may have changed since).
	spec := d.Run.Spec
	if len(spec.Features) == 0 && d.Model != nil {
		spec.Features = featureColumns(d.Model)
	}
	frame, err := readTable(ctx, r.lh, table, trainColumns(spec))
	if err != nil {
		rep.Differences = append(rep.Differences, "the training table cannot be read as it was: "+err.Error())
		return rep, nil
	}
	res, err := Fit(ctx, frame, spec, nil)
	if err != nil {
		rep.Differences = append(rep.Differences, "the fit fails now: "+err.Error())
		return rep, nil
	}
	blob, err := res.Model.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("ml: reproduce %s version %d: encode the model: %w", name, version, err)
	}
	recorded, err := artifactBytes(ctx, q, name, version)
	if err != nil {
		return nil, err
	}
	rep.ArtifactIdentical = bytes.Equal(blob, recorded)
	if !rep.ArtifactIdentical {
		rep.Differences = append(rep.Differences, fmt.Sprintf("the artifact differs: %d bytes recorded, %d now%s", len(recorded), len(blob), firstCoefDifference(d.Model, res.Model)))
	}
	now := &Run{Params: map[string]string{}, Metrics: map[string]float64{}, Tags: map[string]string{}}
	fillRun(now, res)
	rep.MetricsIdentical = true
	keys := map[string]bool{}
	for k := range finiteValues(d.Run.Metrics) {
		keys[k] = true
	}
	for k := range finiteValues(now.Metrics) {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		a, aok := d.Run.Metrics[k]
		b, bok := finiteValues(now.Metrics)[k]
		if aok != bok || a != b {
			rep.MetricsIdentical = false
			rep.Differences = append(rep.Differences, fmt.Sprintf("metric %s: recorded %s, now %s", k, metricText(a, aok), metricText(b, bok)))
		}
	}
	rep.Identical = rep.ArtifactIdentical && rep.MetricsIdentical
	if v := lakebenchVersion(); !rep.Identical && d.Run.Version != v {
		rep.Differences = append(rep.Differences, fmt.Sprintf("lakebench %s trained it; this is lakebench %s", d.Run.Version, v))
	}
	return rep, nil
}

func metricText(v float64, ok bool) string {
	if !ok {
		return "absent"
	}
	return fmt.Sprintf("%.17g", v)
}

// firstCoefDifference says where two models' coefficients part, if they do.
func firstCoefDifference(a, b *Model) string {
	if a == nil || b == nil {
		return ""
	}
	c := compare("", &VersionDetail{Model: a}, &VersionDetail{Model: b})
	if len(c.CoefChanges) == 0 || c.CoefChanges[0].Delta == 0 {
		return ""
	}
	top := c.CoefChanges[0]
	return fmt.Sprintf("; the largest coefficient change is %s%s: %.6g -> %.6g", top.Feature, classSuffix(top.Class), top.A, top.B)
}

func classSuffix(class string) string {
	if class == "" {
		return ""
	}
	return " (class " + class + ")"
}

// recordUsage records a training's or scoring's usage outside a run (a
// run's task records its own): its span, the rows of the tables it reads,
// the rows it wrote into written (bytes at that table's row width). A
// usage that cannot be recorded never fails the work.
func (r *Registry) recordUsage(ctx context.Context, m lakehouse.Meter, kind, model string, reads, written []lakehouse.TableName, rows int64) {
	ctx = context.WithoutCancel(ctx)
	u := m.Record(kind)
	u.Tags = map[string]string{"model": model, "principal": r.lh.Principal()}
	u.RowsRead, u.BytesRead, _ = r.lh.ScanSize(ctx, reads)
	if len(written) > 0 && rows > 0 {
		u.RowsWritten = rows
		if n, b, err := r.lh.ScanSize(ctx, written[:1]); err == nil && n > 0 {
			u.BytesWritten = rows * (b / n)
		}
	}
	r.lh.RecordUsage(ctx, u)
}
