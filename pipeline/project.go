// Package pipeline owns the project: the lakebench.yml bundle, its targets,
// the SQL models and their order, and running a job's tasks (ingest,
// transform, quality) against a target's lakehouse with progress events.
package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// FileName is the project file's name.
const FileName = "lakebench.yml"

// Project is a loaded lakebench.yml and the directory it lives in.
type Project struct {
	// Dir is the project directory; relative paths in the file are read from it.
	Dir string `yaml:"-"`
	// File is the path of lakebench.yml.
	File string `yaml:"-"`

	Bundle    Bundle              `yaml:"bundle"`
	Framing   Framing             `yaml:"project"`
	Variables map[string]Variable `yaml:"variables"`
	Resources Resources           `yaml:"resources"`
	Targets   map[string]Target   `yaml:"targets"`
}

// Bundle names the project, as databricks.yml's bundle does.
type Bundle struct {
	Name string `yaml:"name"`
}

// Framing is the final-project framing: the problem and the team.
type Framing struct {
	Problem string   `yaml:"problem"`
	Team    []Member `yaml:"team"`
}

// Member is one person of the team and their role.
type Member struct {
	Name string `yaml:"name"`
	Role string `yaml:"role"`
}

// Variable is a bundle variable with its default.
type Variable struct {
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
}

// Resources are what the bundle deploys and runs.
type Resources struct {
	Sources    map[string]Source        `yaml:"sources"`
	Transforms []string                 `yaml:"transforms"`
	Quality    map[string][]QualityRule `yaml:"quality"`
}

// Source is a landing-zone folder loaded into bronze.<name>.
type Source struct {
	Path        string `yaml:"path"`
	Format      string `yaml:"format"`
	Owner       string `yaml:"owner"`
	Domain      string `yaml:"domain"`
	Description string `yaml:"description"`
}

// QualityRule is one data-quality check on a table.
type QualityRule struct {
	Check       string   `yaml:"check"`
	Column      string   `yaml:"column"`
	Expression  string   `yaml:"expression"`
	Name        string   `yaml:"name"`
	Min         *float64 `yaml:"min"`
	Max         *float64 `yaml:"max"`
	Values      []any    `yaml:"values"`
	Criticality string   `yaml:"criticality"`
}

// Target is one deployment target (dev, staging, prod).
type Target struct {
	Default bool       `yaml:"default"`
	Mode    string     `yaml:"mode"`
	Data    TargetData `yaml:"data"`
}

// TargetData says which sample scale a target's data has.
type TargetData struct {
	Scale string `yaml:"scale"`
}

// Error is a problem in the project file, with where it is.
type Error struct {
	File         string
	Line, Column int
	Message      string
	Hint         string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": " + e.Message)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Find returns the directory of the nearest lakebench.yml at or above dir.
func Find(dir string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Load reads dir/lakebench.yml. Errors point to file:line:column.
func Load(dir string) (*Project, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &Error{File: file, Message: "no project file here", Hint: "run `lakebench init` to create one, or pass -C DIR"}
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p := &Project{}
	if err := yaml.UnmarshalWithOptions(data, p, yaml.DisallowUnknownField()); err != nil {
		return nil, yamlError(file, err)
	}
	p.Dir, p.File = dir, file
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// yamlError turns a YAML decoding error into an *Error with its position.
func yamlError(file string, err error) error {
	var pe interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &pe) && pe.GetToken() != nil {
		pos := pe.GetToken().Position
		msg := pe.GetMessage()
		hint := "see the sample project (lakebench init) for the file's shape"
		if strings.Contains(msg, "unknown field") {
			hint = "remove the key or fix its spelling"
		}
		return &Error{File: file, Line: pos.Line, Column: pos.Column, Message: msg, Hint: hint}
	}
	return &Error{File: file, Message: err.Error()}
}

func (p *Project) check() error {
	if p.Bundle.Name == "" {
		return &Error{File: p.File, Message: "bundle.name is missing", Hint: "add `bundle: {name: my-project}`"}
	}
	for name, s := range p.Resources.Sources {
		if s.Path == "" {
			return &Error{File: p.File, Message: fmt.Sprintf("resources.sources.%s.path is missing", name), Hint: "give the landing glob, for example landing/orders/*.parquet"}
		}
	}
	return nil
}

// TargetNames lists the targets, sorted; a project without targets has dev.
func (p *Project) TargetNames() []string {
	if len(p.Targets) == 0 {
		return []string{"dev"}
	}
	names := make([]string, 0, len(p.Targets))
	for n := range p.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DefaultTarget is the target marked default, else "dev".
func (p *Project) DefaultTarget() string {
	for _, n := range p.TargetNames() {
		if p.Targets[n].Default {
			return n
		}
	}
	return "dev"
}

// ResolveTarget checks a target name ("" means the default).
func (p *Project) ResolveTarget(name string) (string, error) {
	if name == "" {
		return p.DefaultTarget(), nil
	}
	if len(p.Targets) == 0 && name == "dev" {
		return name, nil
	}
	if _, ok := p.Targets[name]; !ok {
		return "", fmt.Errorf("pipeline: unknown target %q: %s has %s", name, p.File, strings.Join(p.TargetNames(), ", "))
	}
	return name, nil
}

// DatabasePath is the DuckDB file of a target.
func (p *Project) DatabasePath(target string) string {
	return filepath.Join(p.Dir, ".lakebench", target+".duckdb")
}

// Scale is the sample data scale of a target: its data.scale, else the
// target's name when it is one of dev, staging and prod, else dev.
func (p *Project) Scale(target string) string {
	if s := p.Targets[target].Data.Scale; s != "" {
		return s
	}
	switch target {
	case "staging", "prod":
		return target
	}
	return "dev"
}
