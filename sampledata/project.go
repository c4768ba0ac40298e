package sampledata

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Project is the sample project template: project/lakebench.yml, the SQL
// models under project/sql/silver and project/sql/gold, their unit tests
// under project/tests, and its CI/CD (the GitHub Actions workflow under
// project/.github, the Makefile it calls, a .gitignore). The landing data
// is not part of it; Generate writes that.
// Files whose names start with a dot are named one by one: a directory
// pattern would skip them.
//
//go:embed project/lakebench.yml project/resources/*.yml project/sql/silver/*.sql project/sql/gold/*.sql project/tests/*
//go:embed project/Makefile project/.gitignore project/.github/actionlint.yaml project/.github/workflows/lakebench.yml
var Project embed.FS

// WorkflowFile is the CI workflow WriteProject writes, relative to the
// project directory.
const WorkflowFile = ".github/workflows/lakebench.yml"

// ProjectOptions are WriteProjectWith's options.
type ProjectOptions struct {
	// LakebenchVersion is the lakebench module version the CI workflow
	// installs (its LAKEBENCH_VERSION), such as v1.2.0 or a pseudo-version;
	// "", "(devel)" or a build of uncommitted changes (v1.2.0+dirty, which
	// nobody can install) keeps the template's "latest".
	LakebenchVersion string
}

// ProjectFile is the name of the project file WriteProject writes.
const ProjectFile = "lakebench.yml"

// WriteProject copies the sample project template into dir (created if
// needed), as dir/lakebench.yml and dir/sql/.... It refuses, changing
// nothing, when dir already holds a lakebench.yml or any template file.
func WriteProject(dir string) error { return WriteProjectWith(dir, ProjectOptions{}) }

// WriteProjectWith is WriteProject with options: the lakebench version the
// CI workflow pins.
func WriteProjectWith(dir string, opts ProjectOptions) error {
	pin, err := workflowPin(opts.LakebenchVersion)
	if err != nil {
		return err
	}
	// Lstat: a link, even a dangling one, is something already there.
	if _, err := os.Lstat(filepath.Join(dir, ProjectFile)); err == nil {
		return fmt.Errorf("sampledata: %s already exists: remove it or choose an empty directory", filepath.Join(dir, ProjectFile))
	}
	var files []string
	err = fs.WalkDir(Project, "project", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("sampledata: %w", err)
	}
	target := func(p string) string {
		rel, _ := filepath.Rel("project", filepath.FromSlash(p))
		return filepath.Join(dir, rel)
	}
	for _, p := range files {
		if _, err := os.Lstat(target(p)); err == nil {
			return fmt.Errorf("sampledata: %s already exists: remove it or choose an empty directory", target(p))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sampledata: %w", err)
		}
	}
	for _, p := range files {
		b, err := Project.ReadFile(p)
		if err != nil {
			return fmt.Errorf("sampledata: %w", err)
		}
		if p == "project/"+WorkflowFile {
			b = pin(b)
		}
		t := target(p)
		if err := os.MkdirAll(filepath.Dir(t), 0o755); err != nil {
			return fmt.Errorf("sampledata: %w", err)
		}
		// O_EXCL: a file (or link) that appeared since the check is not
		// written through.
		f, err := os.OpenFile(t, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("sampledata: %w", err)
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sampledata: %w", err)
		}
	}
	return nil
}

// moduleVersion is a Go module version lakebench can be installed at: a
// release (v1.2.0, v1.3.0-rc.1) or a pseudo-version.
var moduleVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// versionLine is the workflow's LAKEBENCH_VERSION setting.
var versionLine = regexp.MustCompile(`(?m)^(\s+LAKEBENCH_VERSION: )latest$`)

// workflowPin returns what sets the workflow's LAKEBENCH_VERSION to
// version: nothing for "", a development build's "(devel)" or a build of
// uncommitted changes (+dirty).
func workflowPin(version string) (func([]byte) []byte, error) {
	if version == "" || version == "(devel)" || strings.HasSuffix(version, "+dirty") {
		return func(b []byte) []byte { return b }, nil
	}
	if !moduleVersion.MatchString(version) {
		return nil, fmt.Errorf("sampledata: lakebench version %q is not a module version such as v1.2.0", version)
	}
	return func(b []byte) []byte { return versionLine.ReplaceAll(b, []byte("${1}"+version)) }, nil
}

// Models returns the template's SQL models as table name (silver.orders)
// to SELECT text, in a fixed build order: silver models first, then gold,
// each alphabetical except that a model comes after the models of its
// layer it reads (silver.order_totals after silver.orders).
func Models() ([]Model, error) {
	models, err := layerModels()
	if err != nil {
		return nil, err
	}
	var out []Model
	placed := map[string]bool{}
	for len(out) < len(models) {
		progress := false
		for _, m := range models {
			if placed[m.Table] {
				continue
			}
			ready := true
			for _, ref := range modelRef.FindAllString(sqlComment.ReplaceAllString(m.SQL, ""), -1) {
				if ref != m.Table && !placed[ref] && isModel(models, ref) {
					ready = false
				}
			}
			if ready { // then start over: the first ready model comes next
				out, placed[m.Table], progress = append(out, m), true, true
				break
			}
		}
		if !progress {
			return nil, fmt.Errorf("sampledata: the template's models read each other in a cycle")
		}
	}
	return out, nil
}

// sqlComment is a -- comment, whose table names are not reads.
var sqlComment = regexp.MustCompile(`--[^\n]*`)

// modelRef is a name of a silver or gold table in a model's SQL.
var modelRef = regexp.MustCompile(`\b(silver|gold)\.[a-z_0-9]+`)

func isModel(models []Model, table string) bool {
	for _, m := range models {
		if m.Table == table {
			return true
		}
	}
	return false
}

// layerModels reads the models, silver then gold, each alphabetical.
func layerModels() ([]Model, error) {
	var out []Model
	for _, layer := range []string{"silver", "gold"} {
		entries, err := fs.ReadDir(Project, "project/sql/"+layer)
		if err != nil {
			return nil, fmt.Errorf("sampledata: %w", err)
		}
		for _, e := range entries {
			b, err := Project.ReadFile(path.Join("project/sql", layer, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("sampledata: %w", err)
			}
			name := e.Name()[:len(e.Name())-len(path.Ext(e.Name()))]
			sql := strings.ReplaceAll(string(b), "${var.churn_days}", strconv.Itoa(ChurnDays))
			sql = incrementalCall.ReplaceAllString(streamInput.ReplaceAllString(sql, "$1"), "false")
			out = append(out, Model{Table: layer + "." + name, SQL: sql})
		}
	}
	return out, nil
}

// streamInput is a model's STREAM(bronze.x) input, which a full refresh
// reads as bronze.x.
var streamInput = regexp.MustCompile(`(?i)\bSTREAM\(\s*([a-z_.]+)\s*\)`)

// incrementalCall is is_incremental(), as dbt's, which is false in a full
// refresh.
var incrementalCall = regexp.MustCompile(`(?i)\bis_incremental\s*\(\s*\)`)

// Model is one SQL model of the template.
type Model struct {
	// Table is the schema-qualified table the model builds.
	Table string
	// SQL is the model's SELECT statement as a full refresh runs it (its
	// STREAM(bronze.x) inputs read as bronze.x, is_incremental() as false).
	SQL string
}
