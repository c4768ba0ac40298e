package main

// The ML commands: `lakebench train` and `lakebench models ...`, thin over
// ml.Registry. Training, promotion, scoring and reproduction write the
// target's ml schema (the writer, as the principal); list, show and compare
// read it (a read-only connection, as the principal). Data goes to stdout
// (--json: one document), progress and warnings to stderr.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// trainFlags are `lakebench train`'s settings.
type trainFlags struct {
	table, label, name, task, algorithm string
	features                            []string
	seed                                int64
	c, alpha, testSize                  float64
	maxIter, cv, maxCategories          int
	asJSON                              bool
}

func newTrainCmd(g *globals) *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train [MODEL_KEY]",
		Short: "Train a model, record the run and register a new version",
		Long: `Train a model, record the run and register a new version.

MODEL_KEY is a key of resources.registered_models in lakebench.yml: its table,
label, features and task; the flags below (but --table, --label and --name)
change its settings for this training. Without MODEL_KEY, train ad hoc with
--table and --label; the model's name is --name, else the table's name.

The first successful version of a model becomes its champion; later ones
score only once promoted (lakebench models promote).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			spec, err := trainSpec(s.project, args, cmd, f)
			if err != nil {
				return err
			}
			lh, err := openMLWriter(ctx, s)
			if err != nil {
				return err
			}
			defer lh.Close()
			w := &trainProgress{w: os.Stderr, live: isatty.IsTerminal(os.Stderr.Fd()), folds: spec.CV}
			fmt.Fprintf(os.Stderr, "train %s from %s (label %s) as %s\n", spec.Name, spec.Table, spec.Label, s.principal())
			start := time.Now()
			o := ml.TrainOptions{Progress: w.progress}
			if len(args) == 1 {
				o.Description = s.project.Resources.RegisteredModels[args[0]].Description
			}
			v, run, err := ml.NewRegistry(lh).TrainWith(ctx, spec, o)
			w.done()
			if err != nil {
				if canceled(err) {
					return fmt.Errorf("canceled: training %s stopped and registered no version", spec.Name)
				}
				return oneLine(err)
			}
			fmt.Fprintf(os.Stderr, "trained in %s\n", time.Since(start).Round(time.Millisecond))
			for _, warn := range run.Warnings {
				fmt.Fprintln(os.Stderr, "warning:", oneLine(errors.New(warn)))
			}
			out := newTrainOutput(v, run)
			if f.asJSON {
				return writeJSON(os.Stdout, out)
			}
			printTrainOutput(os.Stdout, out)
			if !slices.Contains(v.Aliases, ml.Champion) {
				fmt.Fprintf(os.Stderr, "%s@%s still scores; to serve this version: lakebench models promote %s %d\n", v.Name, ml.Champion, v.Name, v.Version)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.table, "table", "", "train ad hoc on `SCHEMA.TABLE`")
	fl.StringVar(&f.label, "label", "", "the `COLUMN` to predict")
	fl.StringSliceVar(&f.features, "features", nil, "input `COLUMNS`, comma-separated (default: every column but the label and *_id keys)")
	fl.StringVar(&f.task, "task", "", "classification or regression (default: from the label: text, boolean or a few distinct integers classify)")
	fl.StringVar(&f.algorithm, "algorithm", "", "logistic, linear or ridge (default: logistic to classify, linear for regression)")
	fl.StringVar(&f.name, "name", "", "the registered model's `NAME` (default: the table's name)")
	fl.Int64Var(&f.seed, "seed", 0, "`N` seeds the train/test split and the folds")
	fl.Float64Var(&f.c, "c", 1.0, "logistic regression's inverse L2 strength, as scikit-learn's `C` (intercept unpenalised; inf for none)")
	fl.Float64Var(&f.alpha, "alpha", 1.0, "ridge regression's L2 strength `A`, as scikit-learn's Ridge")
	fl.IntVar(&f.maxIter, "max-iter", 100, "`N` bounds the optimiser's iterations")
	fl.Float64Var(&f.testSize, "test-size", 0.25, "the `FRACTION` of rows held out to evaluate")
	fl.IntVar(&f.maxCategories, "max-categories", 100, "one-hot encode at most `N` levels of a text column (more is an error naming the column)")
	fl.IntVar(&f.cv, "cv", 0, "`K`-fold stratified cross-validation (0: none)")
	fl.BoolVar(&f.asJSON, "json", false, "print the model, version, run id, metrics, CV results and warnings as JSON")
	return cmd
}

// trainSpec builds what to train: registered_models[MODEL_KEY], or the
// ad hoc flags; the flags the user set override the model's settings.
func trainSpec(p *pipeline.Project, args []string, cmd *cobra.Command, f trainFlags) (ml.Spec, error) {
	changed := cmd.Flags().Changed
	var spec ml.Spec
	if len(args) == 1 {
		key := args[0]
		rm, ok := p.Resources.RegisteredModels[key]
		if !ok {
			return spec, fmt.Errorf("no registered model %q in %s: %s, or train ad hoc with --table T --label COL", key, pipeline.FileName, registeredKeys(p))
		}
		for _, fl := range []string{"table", "label", "name"} {
			if changed(fl) {
				return spec, fmt.Errorf("--%s conflicts with MODEL_KEY %s, whose table and label come from resources.registered_models.%s: drop --%s, or train ad hoc without MODEL_KEY", fl, key, key, fl)
			}
		}
		spec = rm.Spec(key)
	} else {
		if f.table == "" || f.label == "" {
			return spec, fmt.Errorf("name what to train: a registered model (%s), or ad hoc with --table SCHEMA.TABLE --label COLUMN", registeredKeys(p))
		}
		t, err := lakehouse.ParseTableName(f.table)
		if err != nil {
			return spec, fmt.Errorf("--table: %w", err)
		}
		spec = ml.Spec{Name: f.name, Table: t.String(), Label: f.label}
		if spec.Name == "" {
			spec.Name = t.Name
		}
	}
	if err := ml.CheckName(spec.Name); err != nil {
		return spec, err
	}
	if changed("features") {
		spec.Features = nil
		for _, c := range f.features {
			if c = strings.TrimSpace(c); c != "" {
				spec.Features = append(spec.Features, c)
			}
		}
		if len(spec.Features) == 0 {
			return spec, errors.New("--features names no column: give COLUMNS comma-separated, or leave it out to use every column but the label and *_id keys")
		}
	}
	if changed("task") || spec.Task != "" {
		task := ml.Task(f.task)
		if !changed("task") {
			task = spec.Task
		}
		switch task {
		case ml.Classification, ml.Regression:
			spec.Task = task
		default:
			return spec, fmt.Errorf("unknown task %q: use classification or regression", task)
		}
	}
	// A flag given wins; else the registered model's setting; else the
	// flag's default.
	if changed("algorithm") || spec.Algorithm == "" {
		spec.Algorithm = f.algorithm
	}
	if changed("c") || spec.C == 0 {
		spec.C = f.c
	}
	if changed("alpha") || spec.Alpha == 0 {
		spec.Alpha = f.alpha
	}
	if changed("max-iter") || spec.MaxIter == 0 {
		spec.MaxIter = f.maxIter
	}
	if changed("test-size") || spec.TestSize == 0 {
		spec.TestSize = f.testSize
	}
	if changed("cv") || spec.CV == 0 {
		spec.CV = f.cv
	}
	if changed("max-categories") || spec.MaxCategories == 0 {
		spec.MaxCategories = f.maxCategories
	}
	if changed("seed") || spec.Seed == 0 {
		spec.Seed = f.seed
	}
	switch spec.Algorithm {
	case "", "logistic", "linear", "ridge":
	default:
		return spec, fmt.Errorf("unknown --algorithm %q: use logistic, linear or ridge", spec.Algorithm)
	}
	switch {
	case spec.Algorithm == "logistic" && spec.Task == ml.Regression:
		return spec, errors.New("--algorithm logistic classifies: use linear or ridge with --task regression")
	case (spec.Algorithm == "linear" || spec.Algorithm == "ridge") && spec.Task == ml.Classification:
		return spec, fmt.Errorf("--algorithm %s is a regression: use logistic with --task classification", spec.Algorithm)
	case changed("alpha") && spec.Algorithm == "" && spec.Task == ml.Regression:
		spec.Algorithm = "ridge" // --alpha asks for ridge
	case changed("alpha") && spec.Algorithm != "ridge":
		return spec, errors.New("--alpha is ridge regression's penalty: add --task regression (or --algorithm ridge); logistic regression's is --c")
	}
	if !(spec.C > 0) { // NaN too
		return spec, fmt.Errorf("--c %v: C must be positive (smaller is a stronger penalty; inf for none)", spec.C)
	}
	if !(spec.Alpha >= 0) || math.IsInf(spec.Alpha, 0) {
		return spec, fmt.Errorf("--alpha %v: alpha must be zero or positive and finite", spec.Alpha)
	}
	if spec.MaxIter < 1 {
		return spec, fmt.Errorf("--max-iter %d: give at least 1 iteration", spec.MaxIter)
	}
	if !(spec.TestSize > 0 && spec.TestSize < 1) {
		return spec, fmt.Errorf("--test-size %v: give a fraction between 0 and 1, such as 0.25", spec.TestSize)
	}
	if spec.CV < 0 || spec.CV == 1 {
		return spec, fmt.Errorf("--cv %d: give 2 folds or more, or 0 for no cross-validation", spec.CV)
	}
	if spec.MaxCategories < 1 {
		return spec, fmt.Errorf("--max-categories %d: give at least 1", spec.MaxCategories)
	}
	return spec, nil
}

// registeredKeys says which registered models the bundle has.
func registeredKeys(p *pipeline.Project) string {
	keys := make([]string, 0, len(p.Resources.RegisteredModels))
	for k := range p.Resources.RegisteredModels {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "the bundle has no resources.registered_models"
	}
	sort.Strings(keys)
	return "registered models are " + strings.Join(keys, ", ")
}

// openMLWriter opens the target for a command that writes the ml schema,
// as the session's principal (the registry checks its grants).
func openMLWriter(ctx context.Context, s *session) (*lakehouse.Lakehouse, error) {
	if err := s.project.CheckIdentity(s.principal()); err != nil {
		return nil, err
	}
	return s.openAs(ctx)
}

// writerRegistry opens the project's target as a writer for the session's
// principal and returns its registry; closeTarget releases the target.
func writerRegistry(ctx context.Context, g *globals) (reg *ml.Registry, closeTarget func() error, err error) {
	s, err := openProject(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	lh, err := openMLWriter(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	return ml.NewRegistry(lh), lh.Close, nil
}

// readerRegistry opens the project's target read-only as the session's
// principal and returns its registry; closeTarget releases the target.
func readerRegistry(ctx context.Context, g *globals) (reg *ml.Registry, closeTarget func() error, err error) {
	_, lh, err := openMLReader(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	return ml.NewRegistry(lh), lh.Close, nil
}

// openMLReader opens the target read-only as the session's principal.
func openMLReader(ctx context.Context, g *globals) (*session, *lakehouse.Lakehouse, error) {
	s, err := openProject(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	lh, err := s.openReadAs(ctx)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, &noDatabaseError{s.target}
	}
	if err != nil {
		return nil, nil, err
	}
	return s, lh, nil
}

// noDatabaseError says a target has no database yet, so no models.
type noDatabaseError struct{ target string }

func (e *noDatabaseError) Error() string {
	return fmt.Sprintf("target %s has no database yet, so no models: run `lakebench run -t %s`, then `lakebench train`", e.target, e.target)
}

// oneLine is err for one line of a terminal: a message with line breaks
// (a wrapped DuckDB error) is joined with "; ".
func oneLine(err error) error {
	msg := err.Error()
	if !strings.ContainsAny(msg, "\r\n") {
		return err
	}
	var parts []string
	for _, l := range strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

// trainProgress prints training's progress on stderr: a line when a stage
// (or a cross-validation fold) starts and, on a terminal, a live loss line
// rewritten in place.
type trainProgress struct {
	w     io.Writer
	live  bool
	folds int
	stage string
	fold  int
	shown bool // a live line is on screen
}

func (p *trainProgress) progress(e ml.Progress) {
	if e.Stage != p.stage || e.Fold != p.fold {
		p.clear()
		p.stage, p.fold = e.Stage, e.Fold
		switch {
		case e.Fold > 0 && p.folds > 1:
			fmt.Fprintf(p.w, "  %s fold %d/%d\n", e.Stage, e.Fold, p.folds)
		case e.Fold > 0:
			fmt.Fprintf(p.w, "  %s fold %d\n", e.Stage, e.Fold)
		default:
			fmt.Fprintf(p.w, "  %s\n", e.Stage)
		}
	}
	if p.live && e.Iter > 0 {
		fmt.Fprintf(p.w, "\r\x1b[K    iteration %d  loss %.6g", e.Iter, e.Loss)
		p.shown = true
	}
}

// clear removes the live line.
func (p *trainProgress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func (p *trainProgress) done() { p.clear() }

// trainOutput is what `lakebench train --json` prints.
type trainOutput struct {
	Name       string               `json:"name"`
	Version    int                  `json:"version"`
	RunID      string               `json:"run_id"`
	Status     string               `json:"status"`
	Aliases    []string             `json:"aliases"`
	Table      string               `json:"table"`
	TableRows  int64                `json:"table_rows"`
	Metrics    map[string]float64   `json:"metrics"`
	CV         []map[string]float64 `json:"cv,omitempty"`
	CVMean     map[string]float64   `json:"cv_mean,omitempty"`
	Folds      int                  `json:"cv_folds,omitempty"`
	Iterations int                  `json:"iterations"`
	Converged  bool                 `json:"converged"`
	Warnings   []string             `json:"warnings"`
	Seconds    float64              `json:"seconds"`
}

func newTrainOutput(v *ml.ModelVersion, run *ml.Run) trainOutput {
	o := trainOutput{Name: v.Name, Version: v.Version, RunID: v.RunID, Status: v.Status, Aliases: v.Aliases,
		Table: run.Table, TableRows: run.TableRows, Metrics: run.Metrics, CV: run.CV,
		Iterations: run.Iterations, Converged: run.Converged, Warnings: run.Warnings, Seconds: run.Duration.Seconds()}
	if o.Metrics == nil {
		o.Metrics = v.Metrics
	}
	if o.Aliases == nil {
		o.Aliases = []string{}
	}
	if o.Warnings == nil {
		o.Warnings = []string{}
	}
	// The registry keeps each fold's mean as cv_<metric>_mean.
	o.Folds = run.Spec.CV
	for k, x := range run.Metrics {
		if m, ok := strings.CutPrefix(k, "cv_"); ok {
			if m, ok = strings.CutSuffix(m, "_mean"); ok {
				if o.CVMean == nil {
					o.CVMean = map[string]float64{}
				}
				o.CVMean[m] = x
			}
		}
	}
	return o
}

func printTrainOutput(w io.Writer, o trainOutput) {
	aliases := ""
	if len(o.Aliases) > 0 {
		aliases = " (@" + strings.Join(o.Aliases, ", @") + ")"
	}
	fmt.Fprintf(w, "%s version %d%s\nrun %s: %s rows of %s, %d iterations", o.Name, o.Version, aliases, o.RunID, strconv.FormatInt(o.TableRows, 10), o.Table, o.Iterations)
	if !o.Converged {
		fmt.Fprint(w, ", not converged")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	rows := metricRows(testMetrics(o.Metrics))
	if len(o.CVMean) > 0 {
		for i, r := range rows {
			if x, ok := o.CVMean[r[0]]; ok {
				rows[i] = append(r, fmtMetric(x))
			} else {
				rows[i] = append(r, "-")
			}
		}
		printTable(w, []string{"metric", "test", fmt.Sprintf("cv mean (%d folds)", o.Folds)}, rows)
		return
	}
	printTable(w, []string{"metric", "value"}, rows)
}

// testMetrics are the metrics on the held-out rows: without the
// registry's cv_*_mean keys, which the CV column shows.
func testMetrics(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, x := range m {
		if !strings.HasPrefix(k, "cv_") {
			out[k] = x
		}
	}
	return out
}

// metricOrder is the order metrics print in; others follow by name.
var metricOrder = []string{"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "rmse", "mae", "r2"}

// sortedMetrics are the keys of the metrics, in metricOrder then by name.
func sortedMetrics(ms ...map[string]float64) []string {
	rank := map[string]int{}
	for i, k := range metricOrder {
		rank[k] = i + 1
	}
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank[keys[i]], rank[keys[j]]
		switch {
		case ri != 0 && rj != 0:
			return ri < rj
		case ri != 0 || rj != 0:
			return ri != 0
		}
		return keys[i] < keys[j]
	})
	return keys
}

// metricRows are a table's rows of metrics: name and value (and more
// columns from more maps).
func metricRows(m map[string]float64, more ...map[string]float64) [][]string {
	var rows [][]string
	for _, k := range sortedMetrics(m) {
		r := []string{k, fmtMetric(m[k])}
		for _, o := range more {
			if o != nil {
				r = append(r, fmtMetric(o[k]))
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func fmtMetric(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case x != 0 && math.Abs(x) < 1e-4 || math.Abs(x) >= 1e6:
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

// printTable prints an aligned table as `lakebench query` does: a header,
// a rule, columns two spaces apart, numbers to the right, no padding after
// the last cell.
func printTable(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	right := make([]bool, len(header))
	for i, h := range header {
		widths[i] = ansi.StringWidth(h)
		right[i] = len(rows) > 0
	}
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				continue
			}
			widths[i] = max(widths[i], ansi.StringWidth(c))
			if c != "" && c != "-" && !isNumber(c) {
				right[i] = false
			}
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i >= len(widths) {
				break
			}
			if i > 0 {
				b.WriteString("  ")
			}
			pad := widths[i] - ansi.StringWidth(c)
			switch {
			case right[i]:
				b.WriteString(strings.Repeat(" ", pad) + c)
			case i < len(cells)-1:
				b.WriteString(c + strings.Repeat(" ", pad))
			default:
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(header)
	rule := make([]string, len(header))
	for i, n := range widths {
		rule[i] = strings.Repeat("─", n)
	}
	line(rule)
	for _, r := range rows {
		line(r)
	}
}

func isNumber(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "+"), "@")
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || s == "NaN"
}

func newModelsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "The model registry: versions, aliases, comparison, batch scoring, reproduction",
		Long: `The model registry: versions, aliases, comparison, batch scoring, reproduction.

A model reference is NAME (its champion, else its latest ready version),
NAME@ALIAS (such as churn@champion) or NAME/VERSION (churn/3).`,
	}
	cmd.AddCommand(newModelsListCmd(g), newModelsShowCmd(g), newModelsPromoteCmd(g), newModelsCompareCmd(g),
		newModelsPredictCmd(g), newModelsReproduceCmd(g))
	return cmd
}

func newModelsListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [NAME]",
		Short: "List the registered models, or a model's versions",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var models []ml.RegisteredModel
			_, lh, err := openMLReader(ctx, g)
			var none *noDatabaseError
			switch {
			case errors.As(err, &none) && len(args) == 0: // nothing to list
			case err != nil:
				return err
			default:
				defer lh.Close()
				if models, err = ml.NewRegistry(lh).Models(ctx); err != nil {
					return oneLine(err)
				}
			}
			if len(args) == 0 {
				if asJSON {
					if models == nil {
						models = []ml.RegisteredModel{}
					}
					return writeJSON(os.Stdout, models)
				}
				if len(models) == 0 {
					fmt.Fprintln(os.Stderr, "no registered models yet: train one with `lakebench train MODEL_KEY` or `lakebench train --table T --label COL`")
					return nil
				}
				var rows [][]string
				for _, m := range models {
					rows = append(rows, []string{m.Name, string(m.Task), strconv.Itoa(m.Versions), strconv.Itoa(m.LatestVersion), fmtAliases(m.Aliases), fmtTime(m.UpdatedAt)})
				}
				printTable(os.Stdout, []string{"name", "task", "versions", "latest", "aliases", "updated"}, rows)
				return nil
			}
			m, err := findModel(models, args[0])
			if err != nil {
				return err
			}
			versions, err := ml.NewRegistry(lh).Versions(ctx, m.Name)
			if err != nil {
				return oneLine(err)
			}
			if asJSON {
				if versions == nil {
					versions = []ml.ModelVersion{}
				}
				return writeJSON(os.Stdout, versions)
			}
			keys := keyMetrics(m.Task)
			var rows [][]string
			for _, v := range versions {
				r := []string{strconv.Itoa(v.Version), v.Status, fmtAliasList(v.Aliases)}
				for _, k := range keys {
					if x, ok := v.Metrics[k]; ok {
						r = append(r, fmtMetric(x))
					} else {
						r = append(r, "-")
					}
				}
				rows = append(rows, append(r, v.CreatedBy, fmtTime(v.CreatedAt), v.RunID))
			}
			printTable(os.Stdout, append(append([]string{"version", "status", "aliases"}, keys...), "created_by", "created", "run_id"), rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the models (or the versions) as JSON")
	return cmd
}

// keyMetrics are the metrics a version list shows for a task.
func keyMetrics(t ml.Task) []string {
	if t == ml.Regression {
		return []string{"rmse", "mae", "r2"}
	}
	return []string{"accuracy", "f1", "roc_auc"}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fmtAliases is "champion=3, challenger=4".
func fmtAliases(a map[string]int) string {
	if len(a) == 0 {
		return "-"
	}
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = fmt.Sprintf("@%s=%d", n, a[n])
	}
	return strings.Join(names, " ")
}

func fmtAliasList(a []string) string {
	if len(a) == 0 {
		return "-"
	}
	return "@" + strings.Join(a, " @")
}

// parseRef reads a model reference: NAME, NAME@ALIAS or NAME/VERSION.
func parseRef(s string) (ml.Ref, error) {
	r, err := ml.ParseRef(s)
	if err != nil {
		return r, fmt.Errorf("%w (a reference is NAME, NAME@ALIAS or NAME/VERSION: churn, churn@champion, churn/3)", err)
	}
	return r, nil
}

// versionArg reads a VERSION argument of a model: a number, or an alias
// (with or without its @).
func versionArg(name, s string) (ml.Ref, error) {
	// The model's own reference in full: churn@champion, churn/3.
	if rest, ok := strings.CutPrefix(s, name+"@"); ok {
		s = "@" + rest
	} else if rest, ok := strings.CutPrefix(s, name+"/"); ok {
		s = rest
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 {
			return ml.Ref{}, fmt.Errorf("version %d of %s: versions count from 1", n, name)
		}
		return ml.Ref{Name: name, Version: n}, nil
	}
	return parseRef(name + "@" + strings.TrimPrefix(s, "@"))
}

// versionRefArgs reads the version a command acts on from its arguments:
// NAME VERSION (VERSION a number or an alias, as versionArg reads it), or
// one reference holding both (NAME@ALIAS, NAME/VERSION). tail ends the
// usage shown when they are wrong.
func versionRefArgs(command string, args []string, tail string) (ml.Ref, error) {
	ref, err := parseRef(args[0])
	if err != nil {
		return ml.Ref{}, err
	}
	usage := fmt.Sprintf("lakebench models %s %s VERSION%s, or %s@ALIAS", command, ref.Name, tail, ref.Name)
	if len(args) == 1 {
		if ref.Alias == "" && ref.Version == 0 {
			return ml.Ref{}, fmt.Errorf("%s needs a version of %s: %s", command, ref.Name, usage)
		}
		return ref, nil
	}
	if ref.Alias != "" || ref.Version > 0 {
		return ml.Ref{}, fmt.Errorf("%s takes the model's name and a version, or one reference: %s", command, usage)
	}
	return versionArg(ref.Name, args[1])
}

// findModel is the registered model called name, or an error that says
// which models there are.
func findModel(models []ml.RegisteredModel, name string) (*ml.RegisteredModel, error) {
	var names []string
	for i := range models {
		if models[i].Name == name {
			return &models[i], nil
		}
		names = append(names, models[i].Name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("unknown model %q: no model is registered yet; train one with `lakebench train`", name)
	}
	return nil, fmt.Errorf("unknown model %q: the registered models are %s", name, strings.Join(names, ", "))
}

// resolve turns a reference into a model name and version, checking each
// part against what the registry has, so a wrong part is named with what
// exists instead.
func resolve(ctx context.Context, reg *ml.Registry, ref ml.Ref) (string, int, error) {
	models, err := reg.Models(ctx)
	if err != nil {
		return "", 0, oneLine(err)
	}
	m, err := findModel(models, ref.Name)
	if err != nil {
		return "", 0, err
	}
	switch {
	case ref.Alias != "":
		v, ok := m.Aliases[ref.Alias]
		if !ok {
			if len(m.Aliases) == 0 {
				return "", 0, fmt.Errorf("model %s has no alias %q, nor any alias yet: set one with `lakebench models promote %s VERSION --alias %s`", m.Name, ref.Alias, m.Name, ref.Alias)
			}
			return "", 0, fmt.Errorf("model %s has no alias %q: its aliases are %s", m.Name, ref.Alias, fmtAliases(m.Aliases))
		}
		return m.Name, v, nil
	case ref.Version > 0:
		versions, err := reg.Versions(ctx, m.Name)
		if err != nil {
			return "", 0, oneLine(err)
		}
		var have []int
		for _, v := range versions {
			if v.Version == ref.Version {
				return m.Name, v.Version, nil
			}
			have = append(have, v.Version)
		}
		return "", 0, fmt.Errorf("model %s has no version %d: its versions are %s", m.Name, ref.Version, fmtVersions(have))
	}
	name, v, err := reg.Resolve(ctx, m.Name)
	if err != nil {
		return "", 0, oneLine(err)
	}
	return name, v, nil
}

// fmtVersions is "1-3, 5" for versions 5, 3, 2, 1.
func fmtVersions(vs []int) string {
	if len(vs) == 0 {
		return "none"
	}
	sort.Ints(vs)
	var parts []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && vs[j+1] == vs[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", vs[i], vs[j]))
		} else {
			parts = append(parts, strconv.Itoa(vs[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

func newModelsShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	var top int
	cmd := &cobra.Command{
		Use:   "show NAME[@ALIAS|/VERSION] [VERSION]",
		Short: "A version's run, metrics, confusion matrix and feature importance",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			if len(args) == 2 {
				if ref.Alias != "" || ref.Version > 0 {
					return fmt.Errorf("%s already names a version: drop %s, or write %s %s", args[0], args[1], ref.Name, args[1])
				}
				if ref, err = versionArg(ref.Name, args[1]); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			reg, closeTarget, err := readerRegistry(ctx, g)
			if err != nil {
				return err
			}
			defer closeTarget()
			name, version, err := resolve(ctx, reg, ref)
			if err != nil {
				return err
			}
			d, err := reg.Show(ctx, fmt.Sprintf("%s/%d", name, version))
			if err != nil {
				return oneLine(err)
			}
			if asJSON {
				return writeJSON(os.Stdout, d)
			}
			printVersion(os.Stdout, d, top)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version, its run, artifact and evaluation as JSON")
	cmd.Flags().IntVar(&top, "top", 10, "show the `N` most important features")
	return cmd
}

// printVersion prints a version for people: who, when, from what, its
// metrics, confusion matrix and top features.
func printVersion(w io.Writer, d *ml.VersionDetail, top int) {
	fmt.Fprintf(w, "%s version %d  %s", d.Name, d.Version, d.Status)
	if len(d.Aliases) > 0 {
		fmt.Fprintf(w, "  %s", fmtAliasList(d.Aliases))
	}
	fmt.Fprintln(w)
	kv := [][2]string{
		{"run", d.RunID},
		{"created", fmt.Sprintf("%s by %s", fmtTime(d.CreatedAt), d.CreatedBy)},
		{"table", fmt.Sprintf("%s, %d rows, digest %s", d.Run.Table, d.Run.TableRows, d.Run.TableDigest)},
		{"label", d.Run.Spec.Label},
	}
	if d.Model != nil {
		kv = append(kv, [2]string{"task", fmt.Sprintf("%s, %s", d.Model.Task, d.Model.Algorithm)})
		if len(d.Model.Classes) > 0 {
			kv = append(kv, [2]string{"classes", strings.Join(d.Model.Classes, ", ")})
		}
		var feats []string
		for _, f := range d.Model.Prep.Features {
			feats = append(feats, f.Column)
		}
		kv = append(kv, [2]string{"features", strings.Join(feats, ", ")})
	}
	fit := fmt.Sprintf("seed %d, %d iterations", d.Run.Spec.Seed, d.Run.Iterations)
	if !d.Run.Converged {
		fit += ", not converged"
	}
	kv = append(kv, [2]string{"fit", fit})
	if n := len(d.Run.Loss); n > 0 {
		// As the ML view's loss curve numbers the iterations (from 0, the
		// starting point).
		loss := fmt.Sprintf("%.6g at iteration %d", d.Run.Loss[n-1], d.Run.LossIteration(n-1))
		if n > 1 {
			loss = fmt.Sprintf("%.6g at iteration %d to ", d.Run.Loss[0], d.Run.LossIteration(0)) + loss
		}
		kv = append(kv, [2]string{"loss", loss})
	}
	if d.Description != "" {
		kv = append(kv, [2]string{"description", d.Description})
	}
	for _, p := range kv {
		fmt.Fprintf(w, "  %-12s %s\n", p[0], p[1])
	}
	for _, warn := range d.Run.Warnings {
		fmt.Fprintf(w, "  %-12s %s\n", "warning", warn)
	}
	metrics := d.Evaluation.Values
	if len(metrics) == 0 {
		metrics = d.Metrics
	}
	fmt.Fprintln(w)
	printTable(w, []string{"metric", "value"}, metricRows(metrics))
	if ev := d.Evaluation; len(ev.Confusion) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "confusion matrix (rows: actual, columns: predicted)")
		header := append([]string{""}, ev.Classes...)
		var rows [][]string
		for i, r := range ev.Confusion {
			row := []string{classAt(ev.Classes, i)}
			for _, n := range r {
				row = append(row, strconv.FormatInt(n, 10))
			}
			rows = append(rows, row)
		}
		printTable(w, header, rows)
	}
	if imp := d.Evaluation.Importance; len(imp) > 0 && top > 0 {
		imp = append([]ml.Importance(nil), imp...)
		sort.SliceStable(imp, func(i, j int) bool { return math.Abs(imp[i].Weight) > math.Abs(imp[j].Weight) })
		fmt.Fprintln(w)
		// One coefficient row (a binary or a regression model): its sign says
		// which way a feature pushes, so it is shown; a multiclass model's
		// weight is the largest magnitude over its classes.
		signed := d.Model.SignedCoefficients()
		what, col := "standardised coefficients", "coefficient"
		if signed == nil {
			what, col = "largest |standardised coefficient| over the classes", "weight"
		}
		fmt.Fprintf(w, "feature importance (%s, top %d of %d)\n", what, min(top, len(imp)), len(imp))
		var rows [][]string
		for _, f := range imp[:min(top, len(imp))] {
			wt, ok := signed[f.Feature]
			if !ok {
				wt = f.Weight
			}
			rows = append(rows, []string{f.Feature, fmtMetric(wt)})
		}
		printTable(w, []string{"feature", col}, rows)
	}
}

func classAt(classes []string, i int) string {
	if i < len(classes) {
		return classes[i]
	}
	return strconv.Itoa(i)
}

func newModelsPromoteCmd(g *globals) *cobra.Command {
	var alias string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "promote NAME VERSION|NAME@ALIAS [--alias A]",
		Short: "Point an alias (default champion) at a version; the move is audited",
		Long: `Point an alias (default champion) at a version; the move is audited.
The version is a number or an alias: churn 3, churn challenger, or
churn@challenger in one argument.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := versionRefArgs("promote", args, " --alias "+alias)
			if err != nil {
				return err
			}
			if err := ml.CheckAlias(alias); err != nil {
				return fmt.Errorf("--alias: %w", err)
			}
			ctx := cmd.Context()
			reg, closeTarget, err := writerRegistry(ctx, g)
			if err != nil {
				return err
			}
			defer closeTarget()
			name, version, err := resolve(ctx, reg, target)
			if err != nil {
				return err
			}
			models, err := reg.Models(ctx)
			if err != nil {
				return oneLine(err)
			}
			m, err := findModel(models, name)
			if err != nil {
				return err
			}
			previous, had := m.Aliases[alias]
			if err := reg.SetAlias(ctx, name, alias, version); err != nil {
				return oneLine(err)
			}
			out := struct {
				Name     string `json:"name"`
				Alias    string `json:"alias"`
				Version  int    `json:"version"`
				Previous int    `json:"previous,omitempty"`
			}{name, alias, version, previous}
			if asJSON {
				return writeJSON(os.Stdout, out)
			}
			switch {
			case !had:
				fmt.Printf("%s@%s -> version %d (new alias)\n", name, alias, version)
			case previous == version:
				fmt.Printf("%s@%s -> version %d (unchanged)\n", name, alias, version)
			default:
				fmt.Printf("%s@%s -> version %d (was version %d)\n", name, alias, version, previous)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&alias, "alias", "champion", "the alias `A` to move")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the move as JSON")
	return cmd
}

func newModelsCompareCmd(g *globals) *cobra.Command {
	var asJSON bool
	var top int
	cmd := &cobra.Command{
		Use:   "compare NAME V1 V2",
		Short: "Two versions side by side: metric deltas and the largest coefficient changes",
		Long: `Two versions side by side: metric deltas (V2 minus V1) and the largest
coefficient changes. A version is a number or an alias (champion, @challenger).`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			if ref.Alias != "" || ref.Version > 0 {
				return fmt.Errorf("compare takes the model's name and two versions: lakebench models compare %s V1 V2", ref.Name)
			}
			a, err := versionArg(ref.Name, args[1])
			if err != nil {
				return err
			}
			b, err := versionArg(ref.Name, args[2])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			reg, closeTarget, err := readerRegistry(ctx, g)
			if err != nil {
				return err
			}
			defer closeTarget()
			name, va, err := resolve(ctx, reg, a)
			if err != nil {
				return err
			}
			_, vb, err := resolve(ctx, reg, b)
			if err != nil {
				return err
			}
			c, err := reg.Compare(ctx, name, va, vb)
			if err != nil {
				return oneLine(err)
			}
			if asJSON {
				return writeJSON(os.Stdout, c)
			}
			printComparison(os.Stdout, c, va, vb, top)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	cmd.Flags().IntVar(&top, "top", 10, "show the `N` largest coefficient changes")
	return cmd
}

func printComparison(w io.Writer, c *ml.Comparison, va, vb int, top int) {
	fmt.Fprintf(w, "%s: version %d against version %d\n\n", c.Name, vb, va)
	var ma, mb map[string]float64
	if c.A != nil {
		ma = c.A.Metrics
		if len(c.A.Evaluation.Values) > 0 {
			ma = c.A.Evaluation.Values
		}
	}
	if c.B != nil {
		mb = c.B.Metrics
		if len(c.B.Evaluation.Values) > 0 {
			mb = c.B.Evaluation.Values
		}
	}
	var rows [][]string
	for _, k := range sortedMetrics(ma, mb, c.MetricDeltas) {
		d, ok := c.MetricDeltas[k]
		if !ok {
			d = mb[k] - ma[k]
		}
		rows = append(rows, []string{k, fmtMetric(ma[k]), fmtMetric(mb[k]), fmtDelta(d)})
	}
	printTable(w, []string{"metric", fmt.Sprintf("v%d", va), fmt.Sprintf("v%d", vb), "delta"}, rows)
	if len(c.CoefChanges) == 0 || top <= 0 {
		return
	}
	changes := append([]ml.CoefChange(nil), c.CoefChanges...)
	sort.SliceStable(changes, func(i, j int) bool { return math.Abs(changes[i].Delta) > math.Abs(changes[j].Delta) })
	fmt.Fprintf(w, "\ncoefficient changes (largest %d of %d)\n", min(top, len(changes)), len(changes))
	rows = rows[:0]
	for _, ch := range changes[:min(top, len(changes))] {
		class := ch.Class
		if class == "" {
			class = "-"
		}
		rows = append(rows, []string{ch.Feature, class, fmtMetric(ch.A), fmtMetric(ch.B), fmtDelta(ch.Delta)})
	}
	printTable(w, []string{"feature", "class", fmt.Sprintf("v%d", va), fmt.Sprintf("v%d", vb), "delta"}, rows)
}

func fmtDelta(d float64) string {
	if d > 0 {
		return "+" + fmtMetric(d)
	}
	return fmtMetric(d)
}

func newModelsPredictCmd(g *globals) *cobra.Command {
	var table, out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "predict NAME[@ALIAS|/VERSION] --table T --out SCHEMA.TABLE",
		Short: "Score a table with a version into an output table (class and probabilities, or value)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			in, err := lakehouse.ParseTableName(table)
			if err != nil {
				return fmt.Errorf("--table: %w", err)
			}
			dst, err := lakehouse.ParseTableName(out)
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			if strings.EqualFold(in.String(), dst.String()) {
				return fmt.Errorf("--out %s is the input table: write the predictions to another table", dst)
			}
			ctx := cmd.Context()
			reg, closeTarget, err := writerRegistry(ctx, g)
			if err != nil {
				return err
			}
			defer closeTarget()
			name, version, err := resolve(ctx, reg, ref)
			if err != nil {
				return err
			}
			// The registry resolves the reference again, so the alias (a
			// bare name's champion) is recorded on the scoring.
			_, _ = name, version
			start := time.Now()
			sc, err := reg.Predict(ctx, ref.String(), in.String(), dst.String())
			if err != nil {
				if canceled(err) {
					return fmt.Errorf("canceled: scoring stopped; %s is as it was", dst)
				}
				return oneLine(err)
			}
			if asJSON {
				return writeJSON(os.Stdout, sc)
			}
			via := ""
			if sc.Alias != "" {
				via = " (@" + sc.Alias + ")"
			}
			fmt.Fprintf(os.Stderr, "scored %s of %s with %s version %d%s into %s in %s\n", pipeline.Plural(int(sc.Rows), "row"), sc.Table, sc.Name, sc.Version, via, sc.Out, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&table, "table", "", "the `SCHEMA.TABLE` to score (required)")
	cmd.Flags().StringVar(&out, "out", "", "the `SCHEMA.TABLE` to write the predictions to, replaced (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the scoring record as JSON")
	cmd.MarkFlagRequired("table")
	cmd.MarkFlagRequired("out")
	return cmd
}

func newModelsReproduceCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reproduce NAME VERSION|NAME@ALIAS",
		Short: "Retrain a version from its recorded inputs; exit non-zero unless artifact and metrics are identical",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := versionRefArgs("reproduce", args, "")
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			reg, closeTarget, err := writerRegistry(ctx, g)
			if err != nil {
				return err
			}
			defer closeTarget()
			name, version, err := resolve(ctx, reg, target)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "retraining %s version %d from its recorded inputs\n", name, version)
			rep, err := reg.Reproduce(ctx, name, version)
			if err != nil {
				if canceled(err) {
					return errors.New("canceled: the reproduction stopped")
				}
				return oneLine(err)
			}
			if asJSON {
				if err := writeJSON(os.Stdout, rep); err != nil {
					return err
				}
			} else {
				printReproduction(os.Stdout, rep)
			}
			if !rep.Identical {
				return fmt.Errorf("%s version %d is not reproducible: %s", name, version, reproDifference(rep))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the comparison of the retrained model with the recorded one as JSON")
	return cmd
}

func printReproduction(w io.Writer, r *ml.Reproduction) {
	same := func(ok bool) string {
		if ok {
			return "identical"
		}
		return "DIFFERENT"
	}
	fmt.Fprintf(w, "%s version %d: %s\n", r.Name, r.Version, map[bool]string{true: "reproduced bit for bit", false: "NOT reproduced"}[r.Identical])
	fmt.Fprintf(w, "  %-16s %s\n", "artifact bytes", same(r.ArtifactIdentical))
	fmt.Fprintf(w, "  %-16s %s\n", "metrics", same(r.MetricsIdentical))
	table := fmt.Sprintf("%d rows, digest %s", r.CurrentRows, r.CurrentDigest)
	if r.DigestChanged {
		table = fmt.Sprintf("CHANGED: %d rows, digest %s when trained; now %d rows, digest %s", r.RecordedRows, r.RecordedDigest, r.CurrentRows, r.CurrentDigest)
	}
	fmt.Fprintf(w, "  %-16s %s\n", "training table", table)
	for _, d := range r.Differences {
		fmt.Fprintf(w, "  - %s\n", d)
	}
}

// reproDifference says in one line what differs.
func reproDifference(r *ml.Reproduction) string {
	var parts []string
	if r.DigestChanged {
		parts = append(parts, fmt.Sprintf("the training table changed since (%d rows then, %d now; digest %s then, %s now)", r.RecordedRows, r.CurrentRows, r.RecordedDigest, r.CurrentDigest))
	}
	if !r.ArtifactIdentical {
		parts = append(parts, "the artifact bytes differ")
	}
	if !r.MetricsIdentical {
		parts = append(parts, "the metrics differ")
	}
	if len(parts) == 0 {
		parts = r.Differences
	}
	if len(parts) == 0 {
		parts = []string{"the registry did not say what"}
	}
	return strings.Join(parts, "; ")
}
