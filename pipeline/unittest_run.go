package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

var (
	datePattern      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	timestampPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$`)
)

// TestStatus is how a test ended.
type TestStatus string

// A test passes, fails (its rows or assertion are wrong), errors (it could
// not run: a missing input, SQL that does not bind) or warns (a warn
// quality rule found rows: reported, not a failure).
const (
	TestPass  TestStatus = "pass"
	TestFail  TestStatus = "fail"
	TestError TestStatus = "error"
	TestWarn  TestStatus = "warn"
)

// Test kinds.
const (
	TestKindUnit    = "unit"
	TestKindData    = "data"
	TestKindQuality = "quality"
)

// TestResult is one test's outcome.
type TestResult struct {
	Name string `json:"name"`
	// Kind is unit, data or quality.
	Kind string `json:"kind"`
	// Subject is the model a unit test builds, or the table a data test
	// reads.
	Subject string     `json:"subject,omitempty"`
	File    string     `json:"file,omitempty"`
	Line    int        `json:"line,omitempty"`
	Status  TestStatus `json:"status"`
	Seconds float64    `json:"seconds"`
	Message string     `json:"message,omitempty"`
	Diff    *RowDiff   `json:"diff,omitempty"`
	// Inputs are the tables a unit test built, with the type each column
	// got and where the type came from.
	Inputs []TestTable `json:"inputs,omitempty"`
}

// TestTable is an input table of a unit test as it was built.
type TestTable struct {
	Table   string       `json:"table"`
	Rows    int          `json:"rows"`
	Columns []TestColumn `json:"columns"`
}

// TestColumn is one column of an input table: its type and where the type
// came from: "declared" (the test's columns:), "upstream" (the schema of
// the model or source that builds the table), "lineage" (bronze's
// _source_file, _ingested_at, _batch_id) or "inferred" (from the values).
type TestColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
	From string `json:"from"`
}

// RowDiff is what differs between a unit test's expected rows and the
// model's: rows expected but not produced (Missing) and rows produced but
// not expected (Unexpected), as text per column.
type RowDiff struct {
	Columns    []string   `json:"columns"`
	Missing    [][]string `json:"missing"`
	Unexpected [][]string `json:"unexpected"`
	Expected   int        `json:"expected"`
	Actual     int        `json:"actual"`
	// Pairs match a missing row with the unexpected row most like it
	// (sharing at least one cell), and name the cells that differ.
	Pairs []RowPair `json:"pairs,omitempty"`
}

// RowPair is an expected row not produced (Missing, an index into
// RowDiff.Missing) beside the produced row that stands in its place
// (Unexpected, into RowDiff.Unexpected): Cells are the indexes of the
// columns whose values differ.
type RowPair struct {
	Missing    int   `json:"missing"`
	Unexpected int   `json:"unexpected"`
	Cells      []int `json:"cells"`
}

// TestReport is one `lakebench test`: every result, in order.
type TestReport struct {
	Project string `json:"project"`
	// Target is whose variables the unit tests used; DataTarget the target
	// the data tests read ("" when none ran), as Principal.
	Target     string       `json:"target"`
	DataTarget string       `json:"data_target,omitempty"`
	Principal  string       `json:"principal,omitempty"`
	Started    time.Time    `json:"started"`
	Seconds    float64      `json:"seconds"`
	Passed     int          `json:"passed"`
	Failed     int          `json:"failed"`
	Errors     int          `json:"errors"`
	Warned     int          `json:"warned"`
	Results    []TestResult `json:"results"`
}

// Add appends results and counts them.
func (r *TestReport) Add(results ...TestResult) {
	for _, t := range results {
		switch t.Status {
		case TestPass:
			r.Passed++
		case TestFail:
			r.Failed++
		case TestWarn:
			r.Warned++
		default:
			r.Errors++
		}
		r.Results = append(r.Results, t)
	}
}

// OK reports whether no test failed or errored.
func (r *TestReport) OK() bool { return r.Failed == 0 && r.Errors == 0 }

// TestOptions selects tests.
type TestOptions struct {
	// Match keeps the tests whose name, or model, or table, is one of these
	// (all when empty).
	Match []string
}

func (o TestOptions) keeps(name, subject string) bool {
	if len(o.Match) == 0 {
		return true
	}
	for _, m := range o.Match {
		if strings.EqualFold(m, name) || strings.EqualFold(m, subject) {
			return true
		}
	}
	return false
}

// RunUnitTests runs the project's model unit tests, each in a private
// in-memory DuckDB of its own: the test's rows are loaded as the tables
// the model reads, the model's SELECT runs as a full refresh builds it
// (STREAM(x) reads all of x, is_incremental() is false), with the bundle's
// variables (the test's vars: override them), and its rows are compared
// with the expected ones, in any order. No target's file is opened.
// Test files that do not parse are returned as Diagnostics.
func (p *Project) RunUnitTests(ctx context.Context, opts TestOptions) ([]TestResult, error) {
	files, diags := p.LoadTests()
	if len(diags) > 0 {
		return nil, diags
	}
	parser, err := lakehouse.Open(ctx, "", lakehouse.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	defer parser.Close()
	models, modelErrs := p.readModels(ctx, parser)
	byTable := map[string]Model{}
	for _, m := range models {
		byTable[m.Table.String()] = m
	}
	r := &unitRunner{p: p, parser: parser, shapes: parser, models: byTable, modelErrs: modelErrs, schemas: map[string]schemaResult{}}
	defer r.close()
	var out []TestResult
	for _, f := range files {
		for _, t := range f.Tests {
			if !opts.keeps(t.Name, t.Model) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return out, err
			}
			start := time.Now()
			res := r.run(ctx, t)
			res.Seconds = time.Since(start).Seconds()
			out = append(out, res)
		}
	}
	return out, nil
}

// unitRunner runs unit tests; it keeps what they share: the parsed models
// and the upstream schemas derived so far.
type unitRunner struct {
	p         *Project
	parser    *lakehouse.Lakehouse
	models    map[string]Model
	modelErrs []error
	// schemas are tables' schemas as their models build them (see
	// upstreamSchema), derived once per run.
	schemas map[string]schemaResult
	// shapes is a private lakehouse where upstream schemas are derived
	// (the parser's: parsing reads no table); scratch is where tests run,
	// one test's tables at a time.
	shapes, scratch *lakehouse.Lakehouse
	// fileType, when set, types a source column no hint types ("" when
	// it cannot): validate reads the landing files' own types for it.
	fileType func(ctx context.Context, source, column string) string
	// stub, when set, gives the schema of a table that neither a model
	// nor a source builds (validate's quarantines and predictions), for
	// a SELECT that reads it.
	stub func(ctx context.Context, table lakehouse.TableName, selectSQL string) ([]lakehouse.Column, bool)
}

// scratchDB is the run's private in-memory lakehouse for tests' tables.
func (r *unitRunner) scratchDB(ctx context.Context) (*lakehouse.Lakehouse, error) {
	if r.scratch == nil {
		lh, err := lakehouse.Open(ctx, "", lakehouse.Options{Threads: 1})
		if err != nil {
			return nil, err
		}
		r.scratch = lh
	}
	return r.scratch, nil
}

type schemaResult struct {
	cols []lakehouse.Column
	ok   bool
}

func (r *unitRunner) rel(path string) string {
	if rel, err := filepath.Rel(r.p.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func (r *unitRunner) run(ctx context.Context, t UnitTest) TestResult {
	res := TestResult{Name: t.Name, Kind: TestKindUnit, Subject: t.Model, File: r.rel(t.File), Line: t.Line}
	fail := func(status TestStatus, format string, args ...any) TestResult {
		res.Status, res.Message = status, fmt.Sprintf(format, args...)
		return res
	}
	m, ok := r.models[strings.ToLower(t.Model)]
	if ok {
		// A model file DuckDB cannot parse is still known by its path.
		for _, err := range r.modelErrs {
			var pe *Error
			if errors.As(err, &pe) && pe.File == filepath.Join(r.p.Dir, m.Path) {
				return fail(TestError, "model %s has an error: %v", t.Model, err)
			}
		}
	}
	if !ok {
		return fail(TestError, "unknown model %q%s", t.Model, suggestHint(t.Model, slices.Sorted(maps.Keys(r.models))))
	}
	if len(t.Vars) > 0 {
		p2, err := r.p.withVars(t.Vars)
		if err != nil {
			return fail(TestError, "%v", err)
		}
		if m, err = p2.readModel(ctx, r.parser, filepath.Join(r.p.Dir, m.Path), m.Path); err != nil {
			return fail(TestError, "%v", err)
		}
	}
	// Every table the model reads needs rows, and every input must be one
	// it reads.
	reads := map[string]bool{}
	var readList []string
	for _, t := range m.Reads {
		if t.Schema == "sys" {
			continue
		}
		reads[t.String()] = true
		readList = append(readList, t.String())
	}
	given := map[string]TestInput{}
	for _, in := range t.Inputs {
		name := strings.ToLower(in.Table)
		if !reads[name] {
			return fail(TestError, "input %s: %s does not read it (it reads %s)%s", in.Table, m.Table, readsText(readList), suggestHint(in.Table, readList))
		}
		given[name] = in
	}
	var missing []string
	for _, name := range readList {
		if _, ok := given[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fail(TestError, "no input rows for %s: %s reads %s; add each under inputs (rows: [] for an empty table, with its columns: when its schema is not known)",
			strings.Join(missing, ", "), m.Table, strings.Join(readList, ", "))
	}

	scratch, err := r.scratchDB(ctx)
	if err != nil {
		return fail(TestError, "%v", err)
	}
	// The run's scratch lakehouse holds one test's tables at a time.
	var made []lakehouse.TableName
	defer func() {
		for _, t := range made {
			if err := scratch.DropRows(context.WithoutCancel(ctx), t); err != nil {
				r.scratch.Close()
				r.scratch = nil // the next test opens a new one
			}
		}
	}()
	for _, name := range readList {
		in := given[name]
		table, _ := lakehouse.ParseTableName(name)
		cols, rows, err := r.inputTable(ctx, table, in)
		if err != nil {
			return fail(TestError, "%v", err)
		}
		tt := TestTable{Table: name, Rows: len(rows)}
		lcols := make([]lakehouse.Column, len(cols))
		for i, c := range cols {
			tt.Columns = append(tt.Columns, c)
			lcols[i] = lakehouse.Column{Name: c.Name, Type: c.Type}
		}
		res.Inputs = append(res.Inputs, tt)
		made = append(made, table)
		if err := scratch.LoadRows(ctx, table, lcols, rows); err != nil {
			return fail(TestError, "%s", rowError(err, in.TestRows, r.rel))
		}
	}

	outCols, err := scratch.SchemaOf(ctx, m.SQL)
	if err != nil {
		return fail(TestError, "%s does not run on the test's rows: %s; give the column in the input rows, or its type under the input's columns:", m.Table, strings.TrimPrefix(err.Error(), "lakehouse: "))
	}
	outType := map[string]string{}
	var outNames []string
	for _, c := range outCols {
		outType[c.Name] = c.Type
		outNames = append(outNames, c.Name)
	}
	exp := t.Expect
	var expCols []lakehouse.Column
	for _, c := range exp.Columns {
		typ, ok := outType[c]
		if !ok {
			return fail(TestFail, "expected column %q is not in %s's output (its columns: %s)%s", c, m.Table, strings.Join(outNames, ", "), suggestHint(c, outNames))
		}
		if d := exp.Types[c]; d != "" {
			typ = d
		}
		expCols = append(expCols, lakehouse.Column{Name: c, Type: typ})
	}
	if len(expCols) == 0 && len(exp.Rows) > 0 {
		return fail(TestError, "expected rows name no column")
	}
	names := make([]string, len(expCols))
	for i, c := range expCols {
		names[i] = c.Name
	}
	var wantRows [][]any
	if len(expCols) > 0 {
		expTable := lakehouse.TableName{Schema: "main", Name: "lb_expected"}
		made = append(made, expTable)
		if err := scratch.LoadRows(ctx, expTable, expCols, rowValues(exp.Rows, names)); err != nil {
			return fail(TestError, "expect: %s", rowError(err, exp, r.rel))
		}
		if _, wantRows, err = scratch.Comparable(ctx, "SELECT * FROM main.lb_expected", names); err != nil {
			return fail(TestError, "expect: %v", err)
		}
	}
	var gotRows [][]any
	if len(names) > 0 {
		_, gotRows, err = scratch.Comparable(ctx, m.SQL, names)
	} else {
		var n int64
		n, err = scratch.Count(ctx, m.SQL)
		gotRows = make([][]any, n)
	}
	if err != nil {
		return fail(TestError, "%s fails on the test's rows: %s", m.Table, strings.TrimPrefix(err.Error(), "lakehouse: "))
	}
	tol := t.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	if d := diffRows(names, wantRows, gotRows, tol); d != nil {
		res.Diff = d
		return fail(TestFail, "%s's rows differ: %d expected not produced, %d produced not expected (%d expected, %d produced)", m.Table,
			len(d.Missing), len(d.Unexpected), d.Expected, d.Actual)
	}
	res.Status = TestPass
	return res
}

func readsText(list []string) string {
	if len(list) == 0 {
		return "no table"
	}
	return strings.Join(list, ", ")
}

// rowError places a LoadRows error on the row it is about.
func rowError(err error, rows TestRows, rel func(string) string) string {
	var re *lakehouse.RowError
	if errors.As(err, &re) && re.Row < len(rows.Rows) {
		row := rows.Rows[re.Row]
		return fmt.Sprintf("%s:%d:%d: row %d of %s: %s; fix the value or declare the column's type under columns:", rel(rows.File), row.Line, row.Column, re.Row+1, re.Table,
			strings.TrimPrefix(strings.TrimPrefix(re.Err.Error(), "lakehouse: "), "Conversion Error: "))
	}
	return strings.TrimPrefix(err.Error(), "lakehouse: ")
}

// rowValues are the rows' values in the order of names (nil where a row
// does not name a column).
func rowValues(rows []TestRow, names []string) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		vals := make([]any, len(names))
		for k, n := range names {
			vals[k] = r.Values[n]
		}
		out[i] = vals
	}
	return out
}

// lineageColumns are what a source's bronze table adds to its rows.
var lineageColumns = []lakehouse.Column{{Name: "_source_file", Type: "VARCHAR"}, {Name: "_ingested_at", Type: "TIMESTAMP"}, {Name: "_batch_id", Type: "VARCHAR"}}

// inputTable decides an input's columns and types and its rows' values.
// A column's type is the test's declared one, else the upstream schema's
// (the model or source that builds the table), else inferred from the
// values. With an upstream schema every one of its columns is in the
// table (NULL where the rows do not say), so the model binds as on a
// target. A source's bronze table gets _source_file, _ingested_at (the
// rows in order, a second apart: later rows were ingested later) and
// _batch_id when the rows do not give them.
func (r *unitRunner) inputTable(ctx context.Context, table lakehouse.TableName, in TestInput) ([]TestColumn, [][]any, error) {
	upstream, known := r.upstreamSchema(ctx, table)
	upType := map[string]string{}
	for _, c := range upstream {
		upType[c.Name] = c.Type
	}
	var cols []TestColumn
	seen := map[string]bool{}
	add := func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		col := TestColumn{Name: name}
		switch {
		case in.Types[name] != "":
			col.Type, col.From = in.Types[name], "declared"
		case upType[name] != "" && upType[name] != "NULL":
			col.Type, col.From = upType[name], "upstream"
		default:
			vals := make([]any, 0, len(in.Rows))
			for _, row := range in.Rows {
				vals = append(vals, row.Values[name])
			}
			col.Type, col.From = inferType(vals), "inferred"
		}
		cols = append(cols, col)
	}
	for _, c := range in.Columns {
		add(c)
	}
	if known {
		for _, c := range upstream {
			add(c.Name)
		}
	}
	_, isSource := r.p.Resources.Sources[table.Name]
	isSource = isSource && table.Schema == "bronze"
	var lineage []string
	if isSource {
		for _, c := range lineageColumns {
			if !seen[c.Name] {
				seen[c.Name] = true
				cols = append(cols, TestColumn{Name: c.Name, Type: c.Type, From: "lineage"})
				lineage = append(lineage, c.Name)
			}
		}
	}
	if len(cols) == 0 {
		return nil, nil, fmt.Errorf("input %s has no column and its schema is not known: give its columns: {name: TYPE, ...}", table)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	rows := rowValues(in.Rows, names)
	if len(lineage) > 0 {
		base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range rows {
			for k, c := range cols {
				switch c.Name {
				case "_source_file":
					if slices.Contains(lineage, c.Name) {
						rows[i][k] = fmt.Sprintf("tests/%s/row-%d", table.Name, i+1)
					}
				case "_ingested_at":
					if slices.Contains(lineage, c.Name) {
						rows[i][k] = base.Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05")
					}
				case "_batch_id":
					if slices.Contains(lineage, c.Name) {
						rows[i][k] = "2000-01-01"
					}
				}
			}
		}
	}
	return cols, rows, nil
}

// upstreamSchema is the schema a table has on a target, as far as the
// project says without opening one: a model's output as DuckDB binds its
// SELECT over its own inputs' upstream schemas; a source's bronze table's
// columns are the ones the models reading it name, typed by its
// schema_hints, and its lineage columns. ok is false when it cannot be
// derived: a source column without a hint has the type ingestion finds in
// the files, which only a target knows.
func (r *unitRunner) upstreamSchema(ctx context.Context, table lakehouse.TableName) ([]lakehouse.Column, bool) {
	return r.derive(ctx, table, 0)
}

func (r *unitRunner) derive(ctx context.Context, table lakehouse.TableName, depth int) ([]lakehouse.Column, bool) {
	key := table.String()
	if s, ok := r.schemas[key]; ok {
		return s.cols, s.ok
	}
	r.schemas[key] = schemaResult{} // a cycle derives nothing
	m, isModel := r.models[key]
	if !isModel || depth > 50 {
		return nil, false
	}
	for _, in := range m.Reads {
		if in.Schema == "sys" {
			continue
		}
		var cols []lakehouse.Column
		if _, isModel := r.models[in.String()]; isModel {
			c, ok := r.derive(ctx, in, depth+1)
			if !ok {
				return nil, false
			}
			cols = c
		} else if src, ok := r.p.Resources.Sources[in.Name]; ok && in.Schema == "bronze" {
			refs, err := r.shapes.ColumnRefs(ctx, m.SQL)
			if err != nil {
				return nil, false
			}
			have := map[string]bool{}
			for _, c := range lineageColumns {
				have[c.Name] = true
			}
			for _, c := range refs {
				if have[c] {
					continue
				}
				have[c] = true
				// Ingestion types a column the hints leave out by what
				// DuckDB reads in the files (read_csv's sniffer, JSON's
				// and Parquet's own types), which the project does not
				// say: the schema is not known, and the test's values
				// type the table instead.
				typ, err := lakehouse.ParseType(src.SchemaHints[c])
				if (src.SchemaHints[c] == "" || err != nil) && r.fileType != nil {
					if typ, err = r.fileType(ctx, in.Name, c), nil; typ == "" {
						continue // not in the files: the query's own name (the bind tells)
					}
				}
				if typ == "" || err != nil {
					return nil, false
				}
				cols = append(cols, lakehouse.Column{Name: c, Type: typ})
			}
			cols = append(cols, lineageColumns...)
		} else if r.stub == nil {
			return nil, false
		} else if cols, ok = r.stub(ctx, in, m.SQL); !ok {
			return nil, false
		}
		if err := r.shapes.LoadRows(ctx, in, cols, nil); err != nil {
			return nil, false
		}
	}
	cols, err := r.shapes.SchemaOf(ctx, m.SQL)
	if err != nil {
		return nil, false
	}
	r.schemas[key] = schemaResult{cols: cols, ok: true}
	return cols, true
}

// Close releases what the runner holds.
func (r *unitRunner) close() {
	if r.scratch != nil {
		r.scratch.Close()
	}
}

// withVars is the project with some variables overridden (a test's vars:),
// each of which the bundle must define.
func (p *Project) withVars(vars map[string]string) (*Project, error) {
	q := *p
	q.vars = maps.Clone(p.vars)
	if q.vars == nil {
		q.vars = map[string]any{}
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if _, ok := p.Variables[k]; !ok {
			return nil, fmt.Errorf("vars: variable %q is not defined in %s%s", k, FileName, suggestHint(k, slices.Sorted(maps.Keys(p.Variables))))
		}
		q.vars[k] = vars[k]
	}
	return &q, nil
}

// diffRows matches expected rows with produced ones, in any order, numbers
// equal within tol; nil when every row matches one.
func diffRows(cols []string, want, got [][]any, tol float64) *RowDiff {
	used := make([]bool, len(got))
	var missing [][]any
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && rowsEqual(w, g, tol) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	var unexpected [][]any
	for i, g := range got {
		if !used[i] {
			unexpected = append(unexpected, g)
		}
	}
	if len(missing) == 0 && len(unexpected) == 0 {
		return nil
	}
	missing, unexpected = sortedRows(missing), sortedRows(unexpected)
	d := &RowDiff{Columns: cols, Expected: len(want), Actual: len(got), Missing: textRows(missing), Unexpected: textRows(unexpected)}
	// Each missing row, in order, takes the unpaired unexpected row with
	// the most equal cells (the first on a tie), if any cell is equal.
	taken := make([]bool, len(unexpected))
	for i, m := range missing {
		best, bestEqual := -1, 0
		for k, u := range unexpected {
			if taken[k] || len(u) != len(m) {
				continue
			}
			equal := 0
			for c := range m {
				if valuesEqual(m[c], u[c], tol) {
					equal++
				}
			}
			if equal > bestEqual && equal < len(m) {
				best, bestEqual = k, equal
			}
		}
		if best < 0 {
			continue
		}
		taken[best] = true
		pair := RowPair{Missing: i, Unexpected: best, Cells: []int{}}
		for c := range m {
			if !valuesEqual(m[c], unexpected[best][c], tol) {
				pair.Cells = append(pair.Cells, c)
			}
		}
		d.Pairs = append(d.Pairs, pair)
	}
	return d
}

func rowsEqual(a, b []any, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !valuesEqual(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

func valuesEqual(a, b any, tol float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	x, xok := a.(float64)
	y, yok := b.(float64)
	if xok && yok {
		if x == y || (math.IsNaN(x) && math.IsNaN(y)) {
			return true
		}
		return math.Abs(x-y) <= tol*max(1, math.Abs(x), math.Abs(y))
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// sortedRows are rows sorted by their text, so a diff reads the same each
// run.
func sortedRows(rows [][]any) [][]any {
	text := textRows(rows)
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return strings.Join(text[order[i]], "\x00") < strings.Join(text[order[j]], "\x00")
	})
	out := make([][]any, len(rows))
	for i, k := range order {
		out[i] = rows[k]
	}
	return out
}

// textRows are rows as text.
func textRows(rows [][]any) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for k, v := range r {
			out[i][k] = cellText(v)
		}
	}
	return out
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
