package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// validateTests checks the project's test files as validate checks the
// rest: every problem of their shape (unknown keys, rows that are not
// rows, CSV files that are missing), tests of unknown models, inputs the
// model does not read and tables it reads that no input gives, unknown
// variables, and data tests' tables and SQL; each with file:line:column
// and, where a name is close to a known one, a did-you-mean.
func (p *Project) validateTests(ctx context.Context, lh sqlParser, models []Model, known map[string]bool) Diagnostics {
	files, diags := p.LoadTests()
	byTable := map[string]Model{}
	for _, m := range models {
		byTable[m.Table.String()] = m
	}
	modelNames := slices.Sorted(maps.Keys(byTable))
	knownList := slices.Sorted(maps.Keys(known))
	seen := map[string]string{}
	for _, f := range files {
		for _, t := range f.Tests {
			where := fmt.Sprintf("%s:%d", f.Path, t.Line)
			if prev, dup := seen[t.Name]; dup {
				diags = append(diags, &Error{File: f.Path, Line: t.Line, Column: t.Column,
					Message: fmt.Sprintf("test %s is also defined at %s", t.Name, prev), Hint: "name each test once: reports and `lakebench test NAME` tell them apart by name"})
			}
			seen[t.Name] = where
			if t.Model == "" {
				continue
			}
			m, ok := byTable[strings.ToLower(t.Model)]
			if !ok {
				diags = append(diags, &Error{File: f.Path, Line: t.ModelLine, Column: t.ModelColumn,
					Message: fmt.Sprintf("test %s: unknown model %q", t.Name, t.Model),
					Hint:    strings.TrimPrefix(suggestHint(t.Model, modelNames)+" ", "; ") + "models: " + strings.Join(modelNames, ", ")})
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(t.Vars)) {
				if _, ok := p.Variables[k]; !ok {
					diags = append(diags, &Error{File: f.Path, Line: t.Line, Column: t.Column,
						Message: fmt.Sprintf("test %s: vars: variable %q is not defined in %s", t.Name, k, FileName),
						Hint:    strings.TrimPrefix(suggestHint(k, slices.Sorted(maps.Keys(p.Variables)))+" ", "; ") + "define it under variables, or remove it"})
				}
			}
			var reads []string
			readSet := map[string]bool{}
			for _, r := range m.Reads {
				if r.Schema != "sys" {
					reads = append(reads, r.String())
					readSet[r.String()] = true
				}
			}
			given := map[string]bool{}
			for _, in := range t.Inputs {
				name := strings.ToLower(in.Table)
				given[name] = true
				if !readSet[name] {
					diags = append(diags, &Error{File: f.Path, Line: in.Line, Column: in.Column,
						Message: fmt.Sprintf("test %s: %s does not read %s (it reads %s)", t.Name, m.Table, in.Table, readsText(reads)),
						Hint:    strings.TrimPrefix(suggestHint(in.Table, reads)+" ", "; ") + "give rows only for the tables the model reads"})
				}
			}
			var missing []string
			for _, r := range reads {
				if !given[r] {
					missing = append(missing, r)
				}
			}
			if len(missing) > 0 {
				diags = append(diags, &Error{File: f.Path, Line: t.Line, Column: t.Column,
					Message: fmt.Sprintf("test %s gives no rows for %s, which %s reads", t.Name, strings.Join(missing, ", "), m.Table),
					Hint:    "add each under inputs (rows: [] for an empty table)"})
			}
		}
		for _, t := range f.DataTests {
			if t.Table != "" && !known[strings.ToLower(t.Table)] {
				diags = append(diags, &Error{File: f.Path, Line: t.TableLine, Column: t.TableColumn,
					Message: fmt.Sprintf("data test %s: unknown table %q", t.Name, t.Table),
					Hint:    strings.TrimPrefix(suggestHint(t.Table, knownList)+" ", "; ") + "name a source's bronze table or a model's table"})
			}
			if t.SQL == "" {
				continue
			}
			refs, err := lh.TableRefs(ctx, t.SQL)
			var pe *lakehouse.ParseError
			if errors.As(err, &pe) {
				diags = append(diags, &Error{File: f.Path, Line: t.SQLLine, Column: t.SQLColumn,
					Message: fmt.Sprintf("data test %s: the SQL does not parse: %s", t.Name, pe.Message), Hint: "a data test's sql is one SELECT that returns the bad rows"})
				continue
			}
			for _, r := range refs {
				if r.Schema != "sys" && !known[r.String()] && !strings.HasSuffix(r.Name, "_quarantine") {
					diags = append(diags, &Error{File: f.Path, Line: t.SQLLine, Column: t.SQLColumn,
						Message: fmt.Sprintf("data test %s reads unknown table %s", t.Name, r),
						Hint:    strings.TrimPrefix(suggestHint(r.String(), knownList)+" ", "; ") + "name a source's bronze table or a model's table"})
				}
			}
		}
	}
	return diags
}
