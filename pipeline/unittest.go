package pipeline

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/lakebench/lakebench/lakehouse"
)

// Model unit tests and data tests, as SQLMesh's and dbt's: files under
// the project's tests/ directory (tests/*.yml), each with
//
//	tests:                       # unit tests: a model over rows the test gives
//	  NAME:
//	    model: gold.daily_revenue
//	    description: what it shows
//	    vars: {churn_days: 10}   # bundle variables for this test
//	    tolerance: 0.005         # numeric tolerance (default DefaultTolerance)
//	    inputs:                  # a table per table the model reads
//	      silver.orders:
//	        rows: [{order_id: 1, order_date: 2024-01-05}]
//	        columns: {order_date: DATE}   # types, where the rows do not say
//	      silver.products: {csv: products.csv}   # beside the test file
//	    expect:
//	      rows: [{date: 2024-01-05, revenue: 10.5}]   # order-insensitive
//	data_tests:                  # assertions on a target (lakebench test -t T)
//	  NAME:
//	    sql: SELECT * FROM gold.daily_revenue WHERE revenue < 0   # passes with no row
//	  NAME2:
//	    table: silver.orders
//	    rows: {min: 1, max: 1000000}

// TestsDir is the project directory's folder of test files.
const TestsDir = "tests"

// DefaultTolerance is how far apart two numbers may be and still be equal
// in a unit test's rows: |a-b| <= tolerance * max(1, |a|, |b|).
const DefaultTolerance = 1e-9

// TestFile is one parsed file of tests.
type TestFile struct {
	Path      string
	Tests     []UnitTest
	DataTests []DataTest
}

// UnitTest is one model unit test.
type UnitTest struct {
	Name        string
	File        string
	Line        int
	Column      int
	Model       string
	ModelLine   int
	ModelColumn int
	Description string
	// Vars override bundle variables for this test.
	Vars map[string]string
	// Tolerance is the numeric tolerance; 0 is DefaultTolerance.
	Tolerance float64
	Inputs    []TestInput
	Expect    TestRows
}

// TestInput is the rows of one table a tested model reads.
type TestInput struct {
	Table        string
	Line, Column int
	TestRows
}

// TestRows are rows a test gives: inline or from a CSV file, with the
// types it declares for some columns.
type TestRows struct {
	// File is where the rows are written (the test file, or the CSV).
	File string
	// CSV is the CSV file as the test names it, "" for inline rows.
	CSV          string
	Line, Column int
	// Columns are the column names in the order they first appear.
	Columns []string
	// Types are declared types, by column.
	Types map[string]string
	Rows  []TestRow
	// Given is false when the test wrote neither rows nor csv.
	Given bool
}

// TestRow is one row: a value per column it names.
type TestRow struct {
	Line, Column int
	Values       map[string]any
}

// DataTest is an assertion on a target's data: a query that must return
// no row, or a table's (or query's) row count within a range.
type DataTest struct {
	Name         string
	File         string
	Line, Column int
	Description  string
	SQL          string
	Table        string
	// TableLine and TableColumn locate the table's name, SQLLine and
	// SQLColumn the SQL, for what validate finds in them.
	TableLine, TableColumn int
	SQLLine, SQLColumn     int
	// Min and Max bound the row count when HasRange (Max < 0: no maximum).
	Min, Max int64
	HasRange bool
}

var (
	testFileKeys  = []string{"tests", "data_tests"}
	unitTestKeys  = []string{"model", "description", "vars", "tolerance", "inputs", "expect"}
	testRowsKeys  = []string{"rows", "csv", "columns"}
	dataTestKeys  = []string{"description", "sql", "table", "rows"}
	rowsRangeKeys = []string{"min", "max"}
)

// TestFiles are the project's test files (tests/*.yml and *.yaml), sorted.
func (p *Project) TestFiles() []string {
	var out []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(p.Dir, TestsDir, pat))
		out = append(out, m...)
	}
	sort.Strings(out)
	return out
}

// LoadTests parses every test file of the project. Problems come back as
// Diagnostics, each with its file:line:column; files that parse are
// returned even when others do not.
func (p *Project) LoadTests() ([]TestFile, Diagnostics) {
	var files []TestFile
	var diags Diagnostics
	for _, path := range p.TestFiles() {
		data, err := os.ReadFile(path)
		if err != nil {
			diags = append(diags, &Error{File: path, Message: err.Error()})
			continue
		}
		f, ds := ParseTestFile(path, data)
		diags = append(diags, ds...)
		files = append(files, f)
	}
	return files, diags
}

// ParseTestFile parses one test file's bytes (path locates CSV files and
// errors). It never panics; every problem is a diagnostic.
func ParseTestFile(path string, data []byte) (f TestFile, diags Diagnostics) {
	f.Path = path
	defer func() {
		if r := recover(); r != nil {
			diags = append(diags, &Error{File: path, Message: fmt.Sprintf("cannot read this file (%v)", r), Hint: "check indentation, quotes and tags"})
		}
	}()
	if e := checkFlowDepth(path, data); e != nil {
		return f, Diagnostics{e}
	}
	file, err := safeParse(data)
	if err != nil {
		return f, Diagnostics{yamlError(path, err)}
	}
	if e := checkYAMLBounds(path, file); e != nil {
		return f, Diagnostics{e}
	}
	body := firstDocument(file)
	if body == nil {
		return f, nil
	}
	tp := &testParser{file: path}
	top, ok := tp.mapping(body, "the top level")
	if !ok {
		return f, tp.diags
	}
	for _, kv := range top {
		switch kv.key {
		case "tests":
			for _, t := range tp.named(kv.value, "tests") {
				f.Tests = append(f.Tests, tp.unitTest(t))
			}
		case "data_tests":
			for _, t := range tp.named(kv.value, "data_tests") {
				f.DataTests = append(f.DataTests, tp.dataTest(t))
			}
		default:
			tp.unknownKey(kv, "the top level", testFileKeys)
		}
	}
	return f, tp.diags
}

// testParser walks a test file's nodes, collecting diagnostics.
type testParser struct {
	file  string
	diags Diagnostics
}

type keyValue struct {
	key       string
	keyNode   ast.Node
	value     ast.Node
	line, col int
	valueLine int
	valueCol  int
}

func (tp *testParser) errorAt(n ast.Node, msg, hint string) {
	tp.diags = append(tp.diags, nodeError(tp.file, n, msg, hint))
}

func unwrapNode(n ast.Node) ast.Node {
	for range maxYAMLDepth {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.CommentGroupNode:
			return nil
		default:
			return n
		}
	}
	return n
}

func position0(n ast.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	if tok := n.GetToken(); tok != nil && tok.Position != nil {
		return tok.Position.Line, tok.Position.Column
	}
	return 0, 0
}

// mapping is n's keys and values in order; a node that is not a mapping
// is reported.
func (tp *testParser) mapping(n ast.Node, what string) ([]keyValue, bool) {
	n = unwrapNode(n)
	if n == nil {
		return nil, true
	}
	if _, null := n.(*ast.NullNode); null {
		return nil, true
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		tp.errorAt(n, what+" should be a mapping (key: value)", "")
		return nil, false
	}
	var out []keyValue
	seen := map[string]bool{}
	for _, kv := range m.Values {
		if kv == nil || kv.Key == nil {
			continue
		}
		key, ok := scalarText(kv.Key)
		if !ok {
			tp.errorAt(kv.Key, "a key in "+what+" should be a plain name", "")
			continue
		}
		if seen[key] {
			tp.errorAt(kv.Key, fmt.Sprintf("%q appears twice in %s", key, what), "keep one")
			continue
		}
		seen[key] = true
		line, col := position0(kv.Key)
		vl, vc := position0(kv.Value)
		if vl == 0 {
			vl, vc = line, col
		}
		out = append(out, keyValue{key: key, keyNode: kv.Key, value: kv.Value, line: line, col: col, valueLine: vl, valueCol: vc})
	}
	return out, true
}

func scalarText(n ast.Node) (string, bool) {
	n = unwrapNode(n)
	if n == nil {
		return "", false
	}
	if lit, ok := n.(*ast.LiteralNode); ok && lit.Value != nil {
		return lit.Value.Value, true // a block scalar (| or >)
	}
	v, ok := plainValue(n, 0)
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any, []any:
		return "", false
	case nil:
		return "", false
	default:
		return fmt.Sprint(x), true
	}
}

func (tp *testParser) unknownKey(kv keyValue, where string, known []string) {
	hint := "the keys here are " + strings.Join(known, ", ")
	if s := suggest(kv.key, known); s != "" {
		hint = "did you mean " + s + "?"
	}
	tp.errorAt(kv.keyNode, fmt.Sprintf("unknown key %q in %s", kv.key, where), hint)
}

// named is a mapping of names to test definitions.
func (tp *testParser) named(n ast.Node, what string) []keyValue {
	kvs, _ := tp.mapping(n, what)
	return kvs
}

func (tp *testParser) str(kv keyValue, where string) string {
	s, ok := scalarText(kv.value)
	if !ok {
		tp.errorAt(nodeOr(kv.value, kv.keyNode), fmt.Sprintf("%s.%s should be text", where, kv.key), "")
	}
	return s
}

func nodeOr(n, alt ast.Node) ast.Node {
	if n != nil && n.GetToken() != nil {
		return n
	}
	return alt
}

func (tp *testParser) unitTest(kv keyValue) UnitTest {
	t := UnitTest{Name: kv.key, File: tp.file, Line: kv.line, Column: kv.col}
	where := "tests." + kv.key
	fields, ok := tp.mapping(kv.value, where)
	if !ok {
		return t
	}
	var sawModel, sawExpect bool
	for _, f := range fields {
		switch f.key {
		case "model":
			t.Model, t.ModelLine, t.ModelColumn = tp.str(f, where), f.valueLine, f.valueCol
			sawModel = true
		case "description":
			t.Description = tp.str(f, where)
		case "vars":
			vars, _ := tp.mapping(f.value, where+".vars")
			t.Vars = map[string]string{}
			for _, v := range vars {
				t.Vars[v.key] = tp.str(v, where+".vars")
			}
		case "tolerance":
			v, _ := plainValue(unwrapNode(f.value), 0)
			x, ok := number(v)
			if !ok || x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
				tp.errorAt(nodeOr(f.value, f.keyNode), fmt.Sprintf("%s.tolerance should be a number >= 0", where), "for example 0.005: numbers within it of each other are equal (relative to their size when above 1)")
			}
			t.Tolerance = x
		case "inputs":
			inputs, _ := tp.mapping(f.value, where+".inputs")
			for _, in := range inputs {
				ti := TestInput{Table: in.key, Line: in.line, Column: in.col}
				ti.TestRows = tp.rows(in, where+".inputs."+in.key)
				t.Inputs = append(t.Inputs, ti)
			}
		case "expect":
			t.Expect = tp.rows(f, where+".expect")
			sawExpect = true
		default:
			tp.unknownKey(f, where, unitTestKeys)
		}
	}
	if !sawModel {
		tp.errorAt(kv.keyNode, fmt.Sprintf("test %s names no model", kv.key), "add model: SCHEMA.NAME, the model it builds")
	}
	if !sawExpect {
		tp.errorAt(kv.keyNode, fmt.Sprintf("test %s has no expect", kv.key), "add expect: {rows: [...]} (expect: {rows: []} for no row)")
	}
	return t
}

// rows parses {rows, csv, columns} at kv.
func (tp *testParser) rows(kv keyValue, where string) TestRows {
	r := TestRows{File: tp.file, Line: kv.line, Column: kv.col, Types: map[string]string{}}
	fields, ok := tp.mapping(kv.value, where)
	if !ok {
		return r
	}
	addColumn := func(c string) {
		for _, have := range r.Columns {
			if have == c {
				return
			}
		}
		r.Columns = append(r.Columns, c)
	}
	for _, f := range fields {
		switch f.key {
		case "columns":
			cols, _ := tp.mapping(f.value, where+".columns")
			for _, c := range cols {
				typ := tp.str(c, where+".columns")
				if typ == "" {
					continue
				}
				norm, err := lakehouse.ParseType(typ)
				if err != nil {
					tp.errorAt(nodeOr(c.value, c.keyNode), fmt.Sprintf("type of %s: %v", c.key, strings.TrimPrefix(err.Error(), "lakehouse: ")), "")
					continue
				}
				r.Types[c.key] = norm
				addColumn(c.key)
			}
		case "rows":
			r.Given = true
			n := unwrapNode(f.value)
			if n == nil {
				continue
			}
			if _, null := n.(*ast.NullNode); null {
				continue
			}
			seq, ok := n.(*ast.SequenceNode)
			if !ok {
				tp.errorAt(n, where+".rows should be a list of rows", "write each row as {column: value, ...} on a line starting with -")
				continue
			}
			for i, e := range seq.Values {
				cells, ok := tp.mapping(e, fmt.Sprintf("%s.rows[%d]", where, i))
				if !ok {
					continue
				}
				line, col := position0(e)
				row := TestRow{Line: line, Column: col, Values: map[string]any{}}
				for _, c := range cells {
					v, ok := plainValue(unwrapNode(c.value), 0)
					if c.value == nil {
						v, ok = nil, true
					}
					if !ok {
						tp.errorAt(nodeOr(c.value, c.keyNode), fmt.Sprintf("the value of %s in %s.rows[%d] is not a plain value", c.key, where, i), "write a number, text, true/false or null")
						continue
					}
					row.Values[c.key] = v
					addColumn(c.key)
				}
				r.Rows = append(r.Rows, row)
			}
		case "csv":
			r.Given = true
			r.CSV = tp.str(f, where)
			if r.CSV == "" {
				continue
			}
			path, err := testCSVPath(tp.file, r.CSV)
			if err != nil {
				tp.errorAt(nodeOr(f.value, f.keyNode), fmt.Sprintf("%s.csv: %v", where, err), "put the CSV file in the project (beside the test file) and name it relative to the test file")
				continue
			}
			cols, rows, err := readTestCSV(path)
			if err != nil {
				tp.errorAt(nodeOr(f.value, f.keyNode), fmt.Sprintf("%s.csv: %v", where, err), "name a CSV file with a header line, relative to the test file")
				continue
			}
			r.File = path
			for _, c := range cols {
				addColumn(c)
			}
			r.Rows = append(r.Rows, rows...)
		default:
			tp.unknownKey(f, where, testRowsKeys)
		}
	}
	if len(r.Rows) > 0 && len(r.Columns) == 0 {
		tp.errorAt(kv.keyNode, where+" has rows but no column", "give each row its columns: {column: value}")
	}
	return r
}

// maxTestCSV bounds a test's CSV file: tests hold a few rows.
const maxTestCSV = 16 << 20

// readTestCSV reads a CSV file with a header: empty fields are NULL, every
// other value is text (its type comes from the model's inputs or is
// inferred, as for inline rows).
func readTestCSV(path string) ([]string, []TestRow, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s does not exist", path)
		}
		return nil, nil, err
	}
	if fi.Size() > maxTestCSV {
		return nil, nil, fmt.Errorf("%s is %d bytes; a test's CSV holds at most %d", path, fi.Size(), maxTestCSV)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s is empty: it needs a header line", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if header[i] == "" {
			return nil, nil, fmt.Errorf("%s: column %d of the header has no name", path, i+1)
		}
	}
	var rows []TestRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", path, err)
		}
		if len(rec) != len(header) {
			return nil, nil, fmt.Errorf("%s:%d: %d fields for a header of %d", path, line, len(rec), len(header))
		}
		row := TestRow{Line: line, Column: 1, Values: map[string]any{}}
		for i, v := range rec {
			if v == "" {
				row.Values[header[i]] = nil
			} else {
				row.Values[header[i]] = v
			}
		}
		rows = append(rows, row)
	}
	return header, rows, nil
}

func (tp *testParser) dataTest(kv keyValue) DataTest {
	t := DataTest{Name: kv.key, File: tp.file, Line: kv.line, Column: kv.col, Max: -1}
	where := "data_tests." + kv.key
	fields, ok := tp.mapping(kv.value, where)
	if !ok {
		return t
	}
	for _, f := range fields {
		switch f.key {
		case "description":
			t.Description = tp.str(f, where)
		case "sql":
			t.SQL, t.SQLLine, t.SQLColumn = tp.str(f, where), f.valueLine, f.valueCol
		case "table":
			t.Table, t.TableLine, t.TableColumn = tp.str(f, where), f.valueLine, f.valueCol
			if t.Table != "" {
				if _, err := lakehouse.ParseTableName(t.Table); err != nil {
					tp.errorAt(nodeOr(f.value, f.keyNode), fmt.Sprintf("%s.table: %q is not SCHEMA.NAME", where, t.Table), "for example silver.orders")
				}
			}
		case "rows":
			t.HasRange = true
			bounds, _ := tp.mapping(f.value, where+".rows")
			for _, b := range bounds {
				v, _ := plainValue(unwrapNode(b.value), 0)
				x, ok := number(v)
				if !ok || x < 0 || x != math.Trunc(x) || x > math.MaxInt64/2 {
					tp.errorAt(nodeOr(b.value, b.keyNode), fmt.Sprintf("%s.rows.%s should be a whole number >= 0", where, b.key), "")
					continue
				}
				switch b.key {
				case "min":
					t.Min = int64(x)
				case "max":
					t.Max = int64(x)
				default:
					tp.unknownKey(b, where+".rows", rowsRangeKeys)
				}
			}
			if t.Max >= 0 && t.Max < t.Min {
				tp.errorAt(f.keyNode, fmt.Sprintf("%s.rows: max %d is below min %d", where, t.Max, t.Min), "")
			}
		default:
			tp.unknownKey(f, where, dataTestKeys)
		}
	}
	switch {
	case t.SQL == "" && t.Table == "":
		tp.errorAt(kv.keyNode, fmt.Sprintf("data test %s has neither sql nor table", kv.key), "write sql: a SELECT that returns the bad rows (it passes with none), or table: with rows: {min, max}")
	case t.SQL != "" && t.Table != "":
		tp.errorAt(kv.keyNode, fmt.Sprintf("data test %s has both sql and table", kv.key), "keep one: sql counts the query's rows, table the table's")
	case t.Table != "" && !t.HasRange:
		tp.errorAt(kv.keyNode, fmt.Sprintf("data test %s names a table but no rows range", kv.key), "add rows: {min: 1} (and max:)")
	}
	return t
}

// inferType is the DuckDB type of a column from the values a test gives
// for it, when neither the test nor the model's inputs say: BOOLEAN,
// BIGINT, DOUBLE, DATE or TIMESTAMP when every value is one, else VARCHAR.
func inferType(values []any) string {
	kinds := map[string]bool{}
	for _, v := range values {
		switch x := v.(type) {
		case nil:
		case bool:
			kinds["BOOLEAN"] = true
		case int64, uint64, int:
			kinds["BIGINT"] = true
		case float64:
			kinds["DOUBLE"] = true
		case string:
			kinds[textType(x)] = true
		default:
			kinds["VARCHAR"] = true
		}
	}
	switch {
	case len(kinds) == 0:
		return "VARCHAR"
	case len(kinds) == 1:
		for k := range kinds {
			return k
		}
	case len(kinds) == 2 && kinds["BIGINT"] && kinds["DOUBLE"]:
		return "DOUBLE"
	case len(kinds) == 2 && kinds["DATE"] && kinds["TIMESTAMP"]:
		return "TIMESTAMP"
	}
	return "VARCHAR"
}

// textType is the type text (a YAML string or a CSV field) reads as.
func textType(s string) string {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return "BIGINT"
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXnN") {
		return "DOUBLE"
	}
	switch strings.ToLower(s) {
	case "true", "false":
		return "BOOLEAN"
	}
	if datePattern.MatchString(s) {
		return "DATE"
	}
	if timestampPattern.MatchString(s) {
		return "TIMESTAMP"
	}
	return "VARCHAR"
}

// testCSVPath is a test's csv: file, relative to the test file: it must be
// a regular file inside the project (the test directory's parent), links
// resolved, as a test reads the project's files only; its contents would
// otherwise show in the test's diff and reports.
func testCSVPath(testFile, name string) (string, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(testFile), path)
	}
	root := filepath.Dir(filepath.Dir(testFile))
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s does not exist", path)
		}
		return "", err
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is outside the project (%s): a test reads only the project's files", name, root)
	}
	if fi, err := os.Stat(real); err != nil {
		return "", err
	} else if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", name)
	}
	return path, nil
}
