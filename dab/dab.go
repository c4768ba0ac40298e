// Package dab exports a lakebench project as a Databricks Asset Bundle:
// databricks.yml with its targets, resources for jobs (one task per
// model, following the pipeline's DAG), schemas with grants, registered
// models, quality monitors and alerts, the model SQL translated from
// DuckDB's dialect to Databricks SQL (translate.go), DQX checks, and a
// report of what has no equivalent.
package dab

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/lakebench/lakebench/pipeline"
)

// Options configure an export.
type Options struct {
	// Force overwrites a directory that is not empty.
	Force bool
	// Version is lakebench's, written in the files' headers.
	Version string
}

// Result is what an export wrote and what it could not translate.
type Result struct {
	Dir   string
	Files []string
	// Issues are the SQL constructs left untranslated, by file:line:col.
	Issues []Issue
	// Gaps are the lakebench settings with no Databricks equivalent.
	Gaps []Gap
	// Applied counts the translations made, by rule.
	Applied map[string]int
}

// Gap is a lakebench setting the bundle has no equivalent for.
type Gap struct {
	Setting, What, Instead string
}

// ErrNotEmpty is returned when DIR has files and Force is not set.
var ErrNotEmpty = errors.New("dab: the directory is not empty")

// bundle is the export under construction: files by path (relative to
// the bundle's root, slash-separated).
type bundle struct {
	p       *pipeline.Project
	models  []pipeline.Model
	files   map[string][]byte
	res     *Result
	schemas map[string]bool
	// vars are the bundle variables' defaults, for typing parameters.
	vars map[string]any
	// sources maps a source's landing path to bronze.<name>.
	sources map[string]string
	// dq are the tables with quality rules, by table.
	dq map[string]bool
	// modelParams are each model's SQL task parameters, by table.
	modelParams map[string]obj
}

// Export writes the project p (resolved for its default target) with its
// models (from Project.Models, in build order) into dir as a Databricks
// Asset Bundle. A dir that is not empty is refused unless opts.Force.
// Files are written through os.Root, so no symlink leads out of dir.
func Export(p *pipeline.Project, models []pipeline.Model, dir string, opts Options) (*Result, error) {
	b := &bundle{p: p, models: models, files: map[string][]byte{}, schemas: map[string]bool{}, vars: map[string]any{},
		sources: map[string]string{}, dq: map[string]bool{}, modelParams: map[string]obj{}, res: &Result{Dir: dir, Applied: map[string]int{}}}
	if err := b.build(); err != nil {
		return nil, err
	}
	b.files["EXPORT_REPORT.md"] = []byte(b.report())
	if err := b.write(dir, opts.Force); err != nil {
		return nil, err
	}
	return b.res, nil
}

func (b *bundle) build() error {
	for n, v := range b.p.Variables {
		b.vars[n] = v.Default
	}
	for _, n := range sortedKeys(b.p.Resources.Sources) {
		b.sources[b.p.Resources.Sources[n].Path] = "bronze." + n
	}
	// Every schema a model, source or rule uses is a bundle schema, so a
	// development target's prefix reaches them all.
	b.schemas["bronze"] = len(b.p.Resources.Sources) > 0
	for _, m := range b.models {
		b.schemas[m.Table.Schema] = true
	}
	for s := range b.p.Resources.Schemas {
		b.schemas[s] = true
	}
	if len(b.p.Resources.RegisteredModels) > 0 {
		b.schemas["ml"] = true
	}
	for t := range b.p.Resources.Quality {
		b.dq[t] = true
	}
	steps := []func() error{b.models_, b.ingestion, b.quality, b.jobs, b.schemasFile, b.registeredModels, b.monitors, b.alerts, b.dashboards, b.root}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	b.gaps()
	return nil
}

// translateAt translates SQL written in the bundle at path (an alert's
// query): its issues are placed at the key, with the line and column in
// the SQL.
func (b *bundle) translateAt(path, sql string, opts TranslateOptions) Translation {
	n := len(b.res.Issues)
	t := b.translate(path, sql, opts)
	file, line, col := b.p.Position(path)
	if rel, err := filepath.Rel(b.p.Dir, file); err == nil {
		file = filepath.ToSlash(rel)
	}
	for i := n; i < len(b.res.Issues); i++ {
		is := &b.res.Issues[i]
		is.Construct = fmt.Sprintf("%s (line %d, column %d of %s)", is.Construct, is.Line, is.Column, path)
		is.File, is.Line, is.Column = file, line, col
	}
	return t
}

// The ways SQL names the bundle's tables (see TranslateOptions).
var (
	inFile     = TranslateOptions{}
	inResource = TranslateOptions{Interpolate: true}
	inDQX      = TranslateOptions{Template: true}
	asWritten  = TranslateOptions{Schemas: map[string]bool{}}
)

func (b *bundle) translate(file, sql string, opts TranslateOptions) Translation {
	if opts.Schemas == nil {
		opts.Schemas = map[string]bool{}
		for s, ok := range b.schemas {
			if ok {
				opts.Schemas[s] = true
			}
		}
	}
	opts.File, opts.Sources, opts.Variables = file, b.sources, b.vars
	t := Translate(sql, opts)
	b.res.Issues = append(b.res.Issues, t.Issues...)
	for k, v := range t.Applied {
		b.res.Applied[k] += v
	}
	return t
}

func (b *bundle) yaml(name, header string, v any) error {
	out, err := yaml.MarshalWithOptions(v, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return fmt.Errorf("dab: %s: %w", name, err)
	}
	b.files[name] = append([]byte(header), out...)
	return nil
}

// write puts the files in dir through an os.Root: a path never leaves
// dir, whatever symlinks dir holds.
func (b *bundle) write(dir string, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dab: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("dab: %w", err)
	}
	if len(entries) > 0 && !force {
		what := "1 entry"
		if len(entries) > 1 {
			what = fmt.Sprintf("%d entries", len(entries))
		}
		return fmt.Errorf("%w: %s has %s (pass --force to overwrite the bundle's files)", ErrNotEmpty, dir, what)
	}
	if err := b.clash(dir); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("dab: %w", err)
	}
	defer root.Close()
	if err := b.removeStale(root); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(b.files))
	for _, name := range names {
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("dab: %s: %w", name, err)
			}
		}
		if err := root.WriteFile(name, b.files[name], 0o644); err != nil {
			return fmt.Errorf("dab: %s: %w", name, err)
		}
		b.res.Files = append(b.res.Files, name)
	}
	return nil
}

// ErrOverProject is a DIR whose bundle would land on the project's own
// files.
var ErrOverProject = errors.New("dab: DIR would overwrite the project")

// clash refuses a dir that is the project's directory or holds it, or
// where a file of the bundle would be read by the project itself (a
// pattern of its include or transforms): databricks.yml's
// resources/*.yml written into the project match lakebench.yml's own
// include: resources/*.yml, and the project no longer loads.
func (b *bundle) clash(dir string) error {
	real := func(d string) string {
		if a, err := filepath.Abs(d); err == nil {
			d = a
		}
		if r, err := filepath.EvalSymlinks(d); err == nil {
			d = r
		}
		return d
	}
	out, proj := real(dir), real(b.p.Dir)
	if rel, err := filepath.Rel(out, proj); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
		return fmt.Errorf("%w: %s is the project's directory %s or holds it, and the bundle's files would mix with the project's (its resources/*.yml with lakebench.yml's includes); export into a folder of its own, such as dab", ErrOverProject, dir, b.p.Dir)
	}
	patterns := append(append([]string(nil), b.p.Include...), b.p.Resources.Transforms...)
	for _, name := range slices.Sorted(maps.Keys(b.files)) {
		file := filepath.Join(out, filepath.FromSlash(name))
		for _, pat := range patterns {
			if ok, _ := filepath.Match(filepath.Join(proj, filepath.FromSlash(pat)), file); ok {
				return fmt.Errorf("%w: %s would be read by the project as its own (%q in lakebench.yml); export into a folder of its own, such as dab", ErrOverProject, filepath.Join(dir, name), pat)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// taskKey is a table's name as a task key (letters, digits, _ and -).
func taskKey(parts ...string) string {
	s := strings.Join(parts, "_")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

func (b *bundle) gap(setting, what, instead string) {
	b.res.Gaps = append(b.res.Gaps, Gap{setting, what, instead})
}

func sortIssues(is []Issue) {
	slices.SortStableFunc(is, func(a, b Issue) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// removeStale removes the resources/*.yml an earlier export wrote that
// this one does not (the bundle includes every file there, so a stale one
// would deploy a resource the project no longer has); files without the
// export's header are the user's and stay.
func (b *bundle) removeStale(root *os.Root) error {
	f, err := root.Open("resources")
	if err != nil {
		return nil // no resources folder yet
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("dab: resources: %w", err)
	}
	for _, n := range names {
		name := "resources/" + n
		if !strings.HasSuffix(n, ".yml") || b.files[name] != nil {
			continue
		}
		data, err := root.ReadFile(name)
		if err != nil || !strings.HasPrefix(string(data), generated) {
			continue
		}
		if err := root.Remove(name); err != nil {
			return fmt.Errorf("dab: %s: %w", name, err)
		}
	}
	return nil
}
