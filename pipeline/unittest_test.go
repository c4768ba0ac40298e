package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// unitProject is writeProject's small project with a test file.
func unitProject(t *testing.T, gold, tests string) *Project {
	t.Helper()
	dir := writeProject(t, gold)
	writeTestFile(t, dir, "tests/revenue.yml", tests)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runUnit(t *testing.T, p *Project, match ...string) []TestResult {
	t.Helper()
	res, err := p.RunUnitTests(context.Background(), TestOptions{Match: match})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func byName(res []TestResult) map[string]TestResult {
	out := map[string]TestResult{}
	for _, r := range res {
		out[r.Name] = r
	}
	return out
}

const revenueTests = `tests:
  sums_per_customer:
    model: gold.revenue
    inputs:
      silver.orders:
        rows:
          - {id: 1, customer: ann, amount: 10}
          - {id: 2, customer: ann, amount: 5.5}
          - {id: 3, customer: bob, amount: 1}
    expect:
      rows:
        - {customer: bob, revenue: 1}
        - {customer: ann, revenue: 15.5}
  wrong_sum:
    model: gold.revenue
    inputs:
      silver.orders:
        rows:
          - {id: 1, customer: ann, amount: 10}
          - {id: 2, customer: bob, amount: 2}
    expect:
      rows:
        - {customer: ann, revenue: 11}
        - {customer: bob, revenue: 2}
        - {customer: cy, revenue: 0}
  silver_dedups:
    model: silver.orders
    inputs:
      bronze.orders:
        rows:
          - {id: 1, customer: ann, amount: "10"}
          - {id: 1, customer: ann, amount: "10"}
    expect:
      rows:
        - {id: 1, customer: ann, amount: 10}
`

func TestUnitTestsPassAndFail(t *testing.T) {
	p := unitProject(t, fastGold, revenueTests)
	res := byName(runUnit(t, p))
	if got := res["sums_per_customer"]; got.Status != TestPass {
		t.Fatalf("sums_per_customer: got %s (%s), want pass", got.Status, got.Message)
	}
	if got := res["silver_dedups"]; got.Status != TestPass {
		t.Fatalf("silver_dedups: got %s (%s), want pass", got.Status, got.Message)
	}
	got := res["wrong_sum"]
	if got.Status != TestFail || got.Diff == nil {
		t.Fatalf("wrong_sum: got %s (%s), want fail with a diff", got.Status, got.Message)
	}
	want := &RowDiff{Columns: []string{"customer", "revenue"}, Expected: 3, Actual: 2,
		Missing:    [][]string{{"ann", "11"}, {"cy", "0"}},
		Unexpected: [][]string{{"ann", "10"}},
		Pairs:      []RowPair{{Missing: 0, Unexpected: 0, Cells: []int{1}}}}
	if !reflect.DeepEqual(got.Diff, want) {
		t.Fatalf("diff: got %+v, want %+v", got.Diff, want)
	}
	// ann's row as produced comes under the one expected, its revenue
	// marked; cy's, which nothing produced, after.
	text := got.Diff.Text()
	if want := "  customer  revenue\n- ann       11\n+ ann       10\n            ^^\n- cy        0"; text != want {
		t.Errorf("diff text:\n%s\nwant:\n%s", text, want)
	}
	if got.File != filepath.Join("tests", "revenue.yml") || got.Line != 14 {
		t.Errorf("wrong_sum at %s:%d, want tests/revenue.yml:14", got.File, got.Line)
	}
}

func TestUnitTestMissingAndStrayInputs(t *testing.T) {
	p := unitProject(t, "select o.customer, sum(o.amount) as revenue, count(c.id) as n from silver.orders o left join silver.orders_quarantine c on c.id = o.id group by all", `tests:
  no_quarantine_rows:
    model: gold.revenue
    inputs:
      silver.orders: {rows: [{id: 1, customer: ann, amount: 1}]}
    expect: {rows: []}
  stray:
    model: gold.revenue
    inputs:
      silver.orders: {rows: [{id: 1, customer: ann, amount: 1}]}
      silver.orders_quarantine: {rows: [], columns: {id: BIGINT}}
      silver.order: {rows: [{id: 1}]}
    expect: {rows: []}
`)
	res := byName(runUnit(t, p))
	got := res["no_quarantine_rows"]
	if got.Status != TestError || !strings.Contains(got.Message, "no input rows for silver.orders_quarantine") ||
		!strings.Contains(got.Message, "gold.revenue reads silver.orders, silver.orders_quarantine") {
		t.Fatalf("missing input: got %s %q", got.Status, got.Message)
	}
	got = res["stray"]
	if got.Status != TestError || !strings.Contains(got.Message, "input silver.order: gold.revenue does not read it") || !strings.Contains(got.Message, "did you mean silver.orders") {
		t.Fatalf("stray input: got %s %q", got.Status, got.Message)
	}
}

func TestUnitTestTolerance(t *testing.T) {
	tests := `tests:
  close:
    model: gold.revenue
    %s
    inputs:
      silver.orders: {rows: [{id: 1, customer: ann, amount: 10.0}, {id: 2, customer: ann, amount: 0.004}]}
    expect: {rows: [{customer: ann, revenue: 10.0}]}
`
	for _, c := range []struct {
		tolerance string
		want      TestStatus
	}{{"", TestFail}, {"tolerance: 0.0001", TestFail}, {"tolerance: 0.001", TestPass}} {
		p := unitProject(t, fastGold, strings.Replace(tests, "%s", c.tolerance, 1))
		if got := runUnit(t, p)[0]; got.Status != c.want {
			t.Errorf("%q: got %s (%s), want %s", c.tolerance, got.Status, got.Message, c.want)
		}
	}
}

func TestUnitTestCSVAndTypes(t *testing.T) {
	dir := writeProject(t, "select customer, min(day) as first_day, sum(amount) as revenue from silver.orders group by all")
	writeTestFile(t, dir, "tests/data/orders.csv", "id,customer,amount,day\n1,ann,10,2024-01-02\n2,ann,,2024-01-01\n3,bob,2.5,2024-02-01\n")
	writeTestFile(t, dir, "tests/data/expected.csv", "customer,first_day,revenue\nann,2024-01-01,10\nbob,2024-02-01,2.5\n")
	// A source's types are known only where its schema_hints give them
	// (ingestion finds the rest in the files): hint all three columns.
	yml, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	hinted := strings.Replace(string(yml), "orders: {path: landing/orders/*.csv, owner: sales}",
		"orders: {path: landing/orders/*.csv, owner: sales, schema_hints: {id: VARCHAR, customer: VARCHAR, amount: VARCHAR}}", 1)
	if hinted == string(yml) {
		t.Fatal("the test project's orders source moved: update this test")
	}
	writeTestFile(t, dir, FileName, hinted)
	writeTestFile(t, dir, "tests/csv.yml", `tests:
  from_csv:
    model: gold.revenue
    inputs:
      silver.orders:
        csv: data/orders.csv
        columns: {amount: "DECIMAL(10,2)"}
    expect: {csv: data/expected.csv}
`)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := runUnit(t, p)[0]
	if got.Status != TestPass {
		t.Fatalf("got %s %q %s", got.Status, got.Message, got.Diff.Text())
	}
	var types []string
	for _, c := range got.Inputs[0].Columns {
		types = append(types, c.Name+" "+c.Type+" "+c.From)
	}
	// silver.orders' model casts amount to DOUBLE, but the test declares
	// DECIMAL; id and customer come from the model's own schema (bronze's
	// columns it names, typed by its hints); day, which the model does not build,
	// is inferred from the values.
	want := []string{"id VARCHAR upstream", "customer VARCHAR upstream", "amount DECIMAL(10,2) declared", "day DATE inferred"}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("input columns: got %v, want %v", types, want)
	}

	// Without the hints the upstream schema is unknown (a real run types
	// the CSV's columns by what DuckDB sniffs), so the values type them.
	writeTestFile(t, dir, FileName, string(yml))
	if p, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	got = runUnit(t, p)[0]
	if got.Status != TestPass {
		t.Fatalf("unhinted: got %s %q %s", got.Status, got.Message, got.Diff.Text())
	}
	types = nil
	for _, c := range got.Inputs[0].Columns {
		types = append(types, c.Name+" "+c.Type+" "+c.From)
	}
	want = []string{"id BIGINT inferred", "customer VARCHAR inferred", "amount DECIMAL(10,2) declared", "day DATE inferred"}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("unhinted input columns: got %v, want %v", types, want)
	}
}

func TestUnitTestBadRowPlaced(t *testing.T) {
	p := unitProject(t, fastGold, `tests:
  bad_amount:
    model: gold.revenue
    inputs:
      silver.orders:
        columns: {amount: DOUBLE}
        rows:
          - {id: 1, customer: ann, amount: 1}
          - {id: 2, customer: ann, amount: lots}
    expect: {rows: []}
`)
	got := runUnit(t, p)[0]
	if got.Status != TestError || !strings.Contains(got.Message, filepath.Join("tests", "revenue.yml")+":9:13: row 2 of silver.orders") {
		t.Fatalf("got %s %q", got.Status, got.Message)
	}
}

func fileState(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %s %d bytes sha256 %x", fi.ModTime(), fi.Mode(), fi.Size(), sha256.Sum256(data))
}

// TestUnitTestsNeverTouchTheTarget: with no target file, none is made; with
// one (built by a run), its bytes, size and modification time stay.
func TestUnitTestsNeverTouchTheTarget(t *testing.T) {
	p := unitProject(t, fastGold, revenueTests)
	db := p.DatabasePath("dev")
	runUnit(t, p)
	if _, err := os.Stat(filepath.Dir(db)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("unit tests made %s (%v)", filepath.Dir(db), err)
	}
	lh := openTarget(t, p)
	if _, err := p.Run(context.Background(), lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	lh.Close()
	var before []string
	files := []string{db, db + ".wal", db + ".lock"}
	for _, f := range files {
		before = append(before, fileState(t, f))
	}
	res := runUnit(t, p)
	if len(res) != 3 {
		t.Fatalf("ran %d tests, want 3", len(res))
	}
	for i, f := range files {
		if after := fileState(t, f); after != before[i] {
			t.Errorf("%s changed: %q before, %q after", f, before[i], after)
		}
	}
	// The target is free: a writer opens it at once (no unit test holds it).
	lh = openTarget(t, p)
	lh.Close()
}

// TestSampleProjectTestsPass: `lakebench init`'s project passes its tests.
func TestSampleProjectTestsPass(t *testing.T) {
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := runUnit(t, p)
	if len(res) < 5 {
		t.Fatalf("the sample has %d unit tests, want its silver and gold tests", len(res))
	}
	models := map[string]bool{}
	for _, r := range res {
		models[strings.SplitN(r.Subject, ".", 2)[0]] = true
		if r.Status != TestPass {
			t.Errorf("%s: %s: %s\n%s", r.Name, r.Status, r.Message, r.Diff.Text())
		}
	}
	if !models["silver"] || !models["gold"] {
		t.Errorf("sample tests cover %v, want silver and gold models", models)
	}
	if v := p.Validate(context.Background(), mustParser(t)); !v.OK() || len(v.TestErrors) > 0 {
		t.Fatalf("the sample does not validate: %v %v", v.Errors, v.TestErrors)
	}
}

func mustParser(t *testing.T) *lakehouse.Lakehouse {
	t.Helper()
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh
}

// TestChurnLeakIsCaught: the sample's leakage test fails on variants of
// gold.customer_features that read the label window into the features, or
// read orders after the label window into the label.
func TestChurnLeakIsCaught(t *testing.T) {
	const name = "customer_features_label_ignores_the_future"
	original, err := sampledata.Project.ReadFile("project/sql/gold/customer_features.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, from, to string }{
		{"features read the label window", "WHERE t.customer_id IS NOT NULL AND t.order_date < b.cutoff\n",
			"WHERE t.customer_id IS NOT NULL AND t.order_date < b.cutoff + ${var.churn_days}\n"},
		{"the label reads past its window", "AND t.order_date >= b.cutoff AND t.order_date < b.cutoff + ${var.churn_days}",
			"AND t.order_date >= b.cutoff"},
	} {
		t.Run(c.what, func(t *testing.T) {
			dir := t.TempDir()
			if err := sampledata.WriteProject(dir); err != nil {
				t.Fatal(err)
			}
			leaky := strings.Replace(string(original), c.from, c.to, 1)
			if leaky == string(original) {
				t.Fatalf("the variant does not apply: %q not in the model", c.from)
			}
			writeTestFile(t, dir, "sql/gold/customer_features.sql", leaky)
			p, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := runUnit(t, p, name)
			if len(got) != 1 || got[0].Status != TestFail || got[0].Diff == nil || len(got[0].Diff.Unexpected) == 0 {
				t.Fatalf("leaking model: got %+v, want the leakage test to fail with a diff", got)
			}
			t.Logf("%s:\n%s", got[0].Message, got[0].Diff.Text())
		})
	}
}

func TestUnitTestVars(t *testing.T) {
	dir := writeProject(t, "select customer, sum(amount) * ${var.factor} as revenue from silver.orders group by all")
	writeTestFile(t, dir, FileName, testProject+"variables:\n  factor: {default: 1}\n")
	writeTestFile(t, dir, "tests/vars.yml", `tests:
  default_factor:
    model: gold.revenue
    inputs: {silver.orders: {rows: [{id: 1, customer: ann, amount: 2}]}}
    expect: {rows: [{customer: ann, revenue: 2}]}
  tripled:
    model: gold.revenue
    vars: {factor: 3}
    inputs: {silver.orders: {rows: [{id: 1, customer: ann, amount: 2}]}}
    expect: {rows: [{customer: ann, revenue: 6}]}
  unknown_var:
    model: gold.revenue
    vars: {factr: 3}
    inputs: {silver.orders: {rows: [{id: 1, customer: ann, amount: 2}]}}
    expect: {rows: []}
`)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := byName(runUnit(t, p))
	for _, n := range []string{"default_factor", "tripled"} {
		if res[n].Status != TestPass {
			t.Errorf("%s: %s %s", n, res[n].Status, res[n].Message)
		}
	}
	if r := res["unknown_var"]; r.Status != TestError || !strings.Contains(r.Message, `did you mean factor`) {
		t.Errorf("unknown_var: %s %q", r.Status, r.Message)
	}
}

func TestJUnitParsesBack(t *testing.T) {
	p := unitProject(t, fastGold, revenueTests)
	rep := &TestReport{Project: "tiny", Target: "dev"}
	rep.Add(runUnit(t, p)...)
	rep.Add(TestResult{Name: "broken", Kind: TestKindData, Status: TestError, Message: "no such table <x> & \"y\""})
	data, err := rep.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	var got JUnitSuites
	if err := xml.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if got.Tests != 4 || got.Failures != 1 || got.Errors != 1 || len(got.Suites) != 2 {
		t.Fatalf("got tests=%d failures=%d errors=%d suites=%d, want 4 1 1 2\n%s", got.Tests, got.Failures, got.Errors, len(got.Suites), data)
	}
	var failure *JUnitProblem
	for _, c := range got.Suites[0].Cases {
		if c.Name == "wrong_sum" {
			failure = c.Failure
		}
	}
	if failure == nil || !strings.Contains(failure.Text, "- cy") || !strings.Contains(failure.Message, "rows differ") {
		t.Fatalf("wrong_sum's failure: %+v", failure)
	}
	if e := got.Suites[1].Cases[0].Error; e == nil || e.Message != "no such table <x> & \"y\"" {
		t.Fatalf("broken's error: %+v", e)
	}
	// The report saved for the TUI reads back the same.
	if err := p.SaveTestReport(rep); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTestReport(p.Dir)
	if err != nil || back.Failed != 1 || back.Errors != 1 || len(back.Results) != 4 || back.Results[1].Diff == nil {
		t.Fatalf("LoadTestReport: %+v, %v", back, err)
	}
}

func TestValidateTestFiles(t *testing.T) {
	p := unitProject(t, fastGold, `tests:
  typo_model:
    model: gold.revenu
    inputs: {silver.orders: {rows: []}}
    expect: {rows: []}
  typo_key:
    model: gold.revenue
    input: {silver.orders: {rows: []}}
    expect: {rowz: []}
  bad_row:
    model: gold.revenue
    inputs:
      silver.orders:
        rows:
          - [1, ann]
    expect: {rows: []}
data_tests:
  typo_table:
    table: silver.ordrs
    rows: {min: 1}
  typo_sql:
    sql: select * from silver.ordrs where amount < 0
`)
	v := p.Validate(context.Background(), mustParser(t))
	if len(v.Errors) > 0 {
		t.Errorf("test files' problems are not the bundle's own (they are TestErrors): %v", v.Errors)
	}
	// They stop a deploy, as they fail bundle validate.
	lh := openAt(t, p)
	if _, err := p.Deploy(context.Background(), lh, ""); err == nil || !strings.Contains(err.Error(), "test files have 7 errors") || !strings.Contains(err.Error(), "typo_table") {
		t.Errorf("deploy with broken test files: %v", err)
	}
	var got []string
	for _, e := range v.TestErrors {
		got = append(got, strings.TrimPrefix(e.Error(), p.Dir+string(filepath.Separator)))
	}
	text := strings.Join(got, "\n")
	for _, want := range []string{
		`tests/revenue.yml:3:12: test typo_model: unknown model "gold.revenu" (did you mean gold.revenue?`,
		`tests/revenue.yml:8:5: unknown key "input" in tests.typo_key (did you mean inputs?)`,
		`tests/revenue.yml:9:14: unknown key "rowz" in tests.typo_key.expect (did you mean rows?)`,
		`tests/revenue.yml:6:3: test typo_key gives no rows for silver.orders, which gold.revenue reads`,
		`tests/revenue.yml:15:13: tests.bad_row.inputs.silver.orders.rows[0] should be a mapping (key: value)`,
		`tests/revenue.yml:19:12: data test typo_table: unknown table "silver.ordrs" (did you mean silver.orders?`,
		`tests/revenue.yml:22:10: data test typo_sql reads unknown table silver.ordrs (did you mean silver.orders?`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("validate lacks\n  %s\ngot:\n%s", want, text)
		}
	}
}

func TestUnitTestOfBrokenModel(t *testing.T) {
	p := unitProject(t, "select customer, sum(amount) as revenue from silver.orders group by all order by", `tests:
  t:
    model: gold.revenue
    inputs: {silver.orders: {rows: [{id: 1, customer: ann, amount: 1}]}}
    expect: {rows: []}
`)
	got := runUnit(t, p)[0]
	if got.Status != TestError || !strings.Contains(got.Message, "model gold.revenue has an error: ") || !strings.Contains(got.Message, "revenue.sql:1:") {
		t.Fatalf("got %s %q", got.Status, got.Message)
	}
}

// TestRowDiffPairsAndMarksCells: a produced row stands beside the
// expected one it shares most cells with, within the tolerance; a row
// sharing none stays unpaired.
func TestRowDiffPairsAndMarksCells(t *testing.T) {
	d := diffRows([]string{"id", "name", "amount"},
		[][]any{{int64(1), "ann", 10.0}, {int64(2), "bob", 5.0}, {int64(4), "dee", 1.0}},
		[][]any{{int64(1), "ann", 10.0000001}, {int64(3), "cy", 2.0}, {int64(2), "bub", 6.0}}, 1e-6)
	want := []RowPair{{Missing: 0, Unexpected: 0, Cells: []int{1, 2}}}
	if d == nil || !reflect.DeepEqual(d.Pairs, want) {
		t.Fatalf("pairs: got %+v, want %+v (diff %+v)", d.Pairs, want, d)
	}
	text := d.Text()
	if want := "  id  name  amount\n- 2   bob   5\n+ 2   bub   6\n      ^^^   ^\n- 4   dee   1\n+ 3   cy    2"; text != want {
		t.Errorf("diff text:\n%s\nwant:\n%s", text, want)
	}
}

// TestTestsJSONSchemaMatchesTheParser: the test files' schema names the
// keys the parser reads, at every level, and describes each.
func TestTestsJSONSchemaMatchesTheParser(t *testing.T) {
	b, err := TestsJSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	props := func(node map[string]any, path ...string) map[string]any {
		for _, p := range path {
			if p == "*" {
				node = node["additionalProperties"].(map[string]any)
			} else {
				node = node["properties"].(map[string]any)[p].(map[string]any)
			}
		}
		return node["properties"].(map[string]any)
	}
	for _, level := range []struct {
		path []string
		keys []string
	}{
		{nil, testFileKeys},
		{[]string{"tests", "*"}, unitTestKeys},
		{[]string{"tests", "*", "expect"}, testRowsKeys},
		{[]string{"tests", "*", "inputs", "*"}, testRowsKeys},
		{[]string{"data_tests", "*"}, dataTestKeys},
		{[]string{"data_tests", "*", "rows"}, rowsRangeKeys},
	} {
		got := props(root, level.path...)
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, slices.Sorted(slices.Values(level.keys))) {
			t.Errorf("schema at %v: keys %v, the parser reads %v", level.path, keys, level.keys)
		}
		for k, v := range got {
			if d, _ := v.(map[string]any)["description"].(string); d == "" {
				t.Errorf("schema at %v: %s has no description", level.path, k)
			}
		}
	}
}
