package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// Model is one SQL model file: a single SELECT whose path names the table it
// builds (sql/gold/daily_revenue.sql builds gold.daily_revenue).
type Model struct {
	Table lakehouse.TableName
	// Path is the file, relative to the project directory.
	Path string
	SQL  string
	// Reads are the tables the SELECT reads, from DuckDB's parser.
	Reads []lakehouse.TableName
}

// sqlParser is what model discovery needs of a lakehouse.
type sqlParser interface {
	TableRefs(ctx context.Context, selectSQL string) ([]lakehouse.TableName, error)
	NormalizeType(ctx context.Context, t string) (string, error)
}

// Models finds the project's model files, parses each one and returns them
// in build order: every model after the models it reads.
func (p *Project) Models(ctx context.Context, lh sqlParser) ([]Model, error) {
	models, errs := p.readModels(ctx, lh)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return orderModels(models)
}

// readModels reads every model file, parsing each; a file that fails is
// an error, and its model is still returned (with no reads) when its path
// names a table, so validation does not call that table unknown too.
func (p *Project) readModels(ctx context.Context, lh sqlParser) ([]Model, []error) {
	var models []Model
	var errs []error
	seen := map[string]string{}
	for _, pattern := range p.Resources.Transforms {
		matches, err := filepath.Glob(filepath.Join(p.Dir, pattern))
		if err != nil {
			errs = append(errs, &Error{File: p.File, Message: fmt.Sprintf("bad glob %q in resources.transforms: %v", pattern, err)})
			continue
		}
		sort.Strings(matches)
		for _, path := range matches {
			rel, _ := filepath.Rel(p.Dir, path)
			m, err := p.readModel(ctx, lh, path, rel)
			if err != nil {
				errs = append(errs, err)
				if m.Table.Name == "" {
					continue
				}
			}
			if prev, dup := seen[m.Table.String()]; dup {
				if prev != rel {
					errs = append(errs, &Error{File: path, Message: fmt.Sprintf("%s is also built by %s", m.Table, prev), Hint: "each table has one model file"})
				}
				continue
			}
			seen[m.Table.String()] = rel
			models = append(models, m)
		}
	}
	return models, errs
}

func (p *Project) readModel(ctx context.Context, lh sqlParser, path, rel string) (Model, error) {
	schema := filepath.Base(filepath.Dir(path))
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	data, err := os.ReadFile(path)
	if err != nil {
		return Model{}, fmt.Errorf("pipeline: %w", err)
	}
	m := Model{Table: lakehouse.TableName{Schema: strings.ToLower(schema), Name: strings.ToLower(name)}, Path: rel, SQL: p.Substitute(string(data))}
	if lakehouse.InternalSchema(m.Table.Schema) {
		return Model{}, &Error{File: path, Line: 1, Column: 1, Message: fmt.Sprintf("a model cannot build %s: schema %s is lakebench's own", m.Table, m.Table.Schema),
			Hint: "put the file under sql/silver, sql/gold or sql/ml: " + lakehouse.InternalSchemaHint}
	}
	refs, err := lh.TableRefs(ctx, m.SQL)
	var pe *lakehouse.ParseError
	if errors.As(err, &pe) {
		line, col := 1, 1
		if pe.Position >= 0 && pe.Position <= len(m.SQL) {
			// At the end of input, point just past the last word.
			line, col = offsetPosition(m.SQL, min(pe.Position, len(strings.TrimRight(m.SQL, " \t\r\n;"))))
		}
		return m, &Error{File: path, Line: line, Column: col, Message: pe.Message, Hint: "a model is one SELECT statement (CTEs allowed)"}
	}
	if err != nil {
		return Model{}, err
	}
	for _, r := range refs {
		if r.Schema == "" {
			return m, &Error{File: path, Message: fmt.Sprintf("table %q has no schema", r.Name), Hint: "name tables as schema.table, for example silver." + r.Name}
		}
	}
	m.Reads = refs
	return m, nil
}

// orderModels sorts models so each comes after those it reads (Kahn's
// algorithm, ties by name); a cycle is an error that spells it out.
func orderModels(models []Model) ([]Model, error) {
	byTable := map[string]int{}
	for i, m := range models {
		byTable[m.Table.String()] = i
	}
	indeg := make([]int, len(models))
	users := make([][]int, len(models))
	for i, m := range models {
		for _, r := range m.Reads {
			if j, ok := byTable[r.String()]; ok && j != i {
				indeg[i]++
				users[j] = append(users[j], i)
			} else if ok && j == i {
				return nil, &Error{File: m.Path, Message: fmt.Sprintf("%s reads itself", m.Table), Hint: "a model cannot select from the table it builds"}
			}
		}
	}
	var ready []int
	for i := range models {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	var out []Model
	for len(ready) > 0 {
		sort.Slice(ready, func(a, b int) bool { return models[ready[a]].Table.String() < models[ready[b]].Table.String() })
		i := ready[0]
		ready = ready[1:]
		out = append(out, models[i])
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(out) < len(models) {
		return nil, cycleError(models, byTable, indeg)
	}
	return out, nil
}

func cycleError(models []Model, byTable map[string]int, indeg []int) error {
	// Walk from any model left in the cycle along its unbuilt inputs until a
	// model repeats.
	start := -1
	for i, d := range indeg {
		if d > 0 {
			start = i
			break
		}
	}
	pos := map[int]int{}
	var path []string
	for i := start; ; {
		if at, ok := pos[i]; ok {
			path = append(path[at:], models[i].Table.String())
			break
		}
		pos[i] = len(path)
		path = append(path, models[i].Table.String())
		for _, r := range models[i].Reads {
			if j, ok := byTable[r.String()]; ok && indeg[j] > 0 {
				i = j
				break
			}
		}
	}
	return &Error{File: models[start].Path, Message: "models read each other in a cycle: " + strings.Join(path, " reads "), Hint: "break the cycle by moving shared logic into its own model"}
}

// Rules translates a table's quality rules to SQL expressions.
func (p *Project) Rules(table string) ([]lakehouse.Rule, error) {
	var out []lakehouse.Rule
	for i, r := range p.Resources.Quality[table] {
		lr, err := r.rule()
		if err != nil {
			return nil, &Error{File: p.File, Message: fmt.Sprintf("resources.quality.%s[%d]: %v", table, i, err)}
		}
		out = append(out, lr)
	}
	return out, nil
}

func (r QualityRule) rule() (lakehouse.Rule, error) {
	col := lakehouse.QuoteIdent(r.Column)
	crit := r.Criticality
	if crit == "" {
		crit = "error"
	}
	if crit != "error" && crit != "warn" {
		return lakehouse.Rule{}, fmt.Errorf("criticality %q: use error or warn", crit)
	}
	name := r.Name
	var expr string
	needColumn := true
	switch r.Check {
	case "is_not_null":
		expr = col + " IS NOT NULL"
	case "is_not_null_and_not_empty":
		expr = "nullif(trim(" + col + "::VARCHAR), '') IS NOT NULL"
	case "is_in_range":
		var parts []string
		if r.Min != nil {
			parts = append(parts, fmt.Sprintf("%s >= %v", col, *r.Min))
		}
		if r.Max != nil {
			parts = append(parts, fmt.Sprintf("%s <= %v", col, *r.Max))
		}
		if len(parts) == 0 {
			return lakehouse.Rule{}, errors.New("is_in_range needs min, max or both")
		}
		expr = strings.Join(parts, " AND ")
	case "is_in_list":
		if len(r.Values) == 0 {
			return lakehouse.Rule{}, errors.New("is_in_list needs values")
		}
		vals := make([]string, len(r.Values))
		for i, v := range r.Values {
			vals[i] = lakehouse.QuoteString(fmt.Sprint(v))
		}
		expr = col + "::VARCHAR IN (" + strings.Join(vals, ", ") + ")"
	case "sql_expression":
		if r.Expression == "" {
			return lakehouse.Rule{}, errors.New("sql_expression needs expression")
		}
		expr, needColumn = r.Expression, false
	default:
		return lakehouse.Rule{}, fmt.Errorf("unknown check %q: use is_not_null, is_not_null_and_not_empty, is_in_range, is_in_list or sql_expression", r.Check)
	}
	if needColumn && r.Column == "" {
		return lakehouse.Rule{}, fmt.Errorf("%s needs column", r.Check)
	}
	if name == "" {
		name = r.Check
		if r.Column != "" {
			name = r.Column + "_" + r.Check
		}
	}
	return lakehouse.Rule{Name: name, Expression: expr, Criticality: crit}, nil
}
