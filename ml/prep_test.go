package ml

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// numCol builds a numeric column from float64s, ints and nils (NULL).
func numCol(name string, vals ...any) Column {
	c := Column{Name: name, Type: "DOUBLE", Kind: Numeric, Num: make([]float64, len(vals))}
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			c.markNull(i, len(vals))
		case int:
			c.Num[i] = float64(v)
		case float64:
			c.Num[i] = v
		default:
			panic("numCol: " + name)
		}
	}
	return c
}

// boolCol builds a boolean column from bools and nils.
func boolCol(name string, vals ...any) Column {
	c := Column{Name: name, Type: "BOOLEAN", Kind: Boolean, Num: make([]float64, len(vals))}
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			c.markNull(i, len(vals))
		case bool:
			if v {
				c.Num[i] = 1
			}
		default:
			panic("boolCol: " + name)
		}
	}
	return c
}

// textCol builds a text column from strings and nils.
func textCol(name string, vals ...any) Column {
	c := Column{Name: name, Type: "VARCHAR", Kind: Text, Text: make([]string, len(vals))}
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			c.markNull(i, len(vals))
		case string:
			c.Text[i] = v
		default:
			panic("textCol: " + name)
		}
	}
	return c
}

func (c *Column) markNull(i, n int) {
	if c.Null == nil {
		c.Null = make([]bool, n)
	}
	c.Null[i] = true
}

func frameOf(cols ...Column) *Frame {
	f := &Frame{Columns: cols}
	if len(cols) > 0 {
		f.Rows = max(len(cols[0].Num), len(cols[0].Text))
	}
	return f
}

func allRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestFitPrepNumeric(t *testing.T) {
	f := frameOf(
		numCol("x", 1, 2, nil, 5),
		numCol("k", 3, 3, 3, 3),
		boolCol("b", true, false, true, nil),
	)
	p, err := fitPrep(f, []string{"x", "k", "b"}, allRows(4), 0)
	if err != nil {
		t.Fatal(err)
	}
	// x: the mean 8/3 imputed, then the population std of 1, 2, 8/3, 5.
	x := p.Features[0]
	if x.Kind != prepNumeric || !near(x.Impute, 8.0/3, 1e-15) || !near(x.Mean, 8.0/3, 1e-15) || !near(x.Std, math.Sqrt(78.0/36), 1e-15) {
		t.Errorf("x = %+v, want numeric, impute and mean 8/3, std sqrt(78/36)", x)
	}
	if !x.Indicator || !slices.Equal(x.Outputs, []string{"x", "x__missing"}) {
		t.Errorf("x indicator %v outputs %q, want true and x, x__missing", x.Indicator, x.Outputs)
	}
	if k := p.Features[1]; k.Std != 1 || k.Mean != 3 || k.Indicator {
		t.Errorf("constant k = %+v, want mean 3, std 1, no indicator", k)
	}
	// b: the most frequent value (1) imputed, then 1, 0, 1, 1.
	if b := p.Features[2]; b.Kind != prepBoolean || b.Impute != 1 || b.Mean != 0.75 || !near(b.Std, math.Sqrt(0.1875), 1e-15) || !b.Indicator {
		t.Errorf("b = %+v, want boolean, impute 1, mean 0.75, std sqrt(0.1875), indicator", b)
	}
}

func TestFitPrepCategorical(t *testing.T) {
	f := frameOf(
		textCol("c", "b", "a", "b", nil, "c"),
		textCol("tie", "z", "y", "z", "y", "x"),
	)
	p, err := fitPrep(f, []string{"c", "tie"}, allRows(5), 0)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Features[0]
	if c.Kind != prepCategorical || !slices.Equal(c.Categories, []string{"a", "b", "c"}) || c.ImputeCategory != "b" || !c.Indicator {
		t.Errorf("c = %+v, want categorical a, b, c imputing b with an indicator", c)
	}
	if want := []string{"c=a", "c=b", "c=c", "c__missing"}; !slices.Equal(c.Outputs, want) {
		t.Errorf("c outputs %q, want %q", c.Outputs, want)
	}
	if tie := p.Features[1]; tie.ImputeCategory != "y" || tie.Indicator {
		t.Errorf("tie imputes %q (indicator %v), want the smaller of the most frequent, y, and no indicator", tie.ImputeCategory, tie.Indicator)
	}
}

func TestFitPrepUsesTrainingRowsOnly(t *testing.T) {
	f := frameOf(numCol("x", 1, 3, 1000, nil), textCol("c", "a", "a", "zzz", nil))
	p, err := fitPrep(f, []string{"x", "c"}, []int{0, 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if x := p.Features[0]; x.Mean != 2 || x.Std != 1 || x.Indicator {
		t.Errorf("x = %+v, want mean 2 and std 1 from rows 0 and 1, no indicator", x)
	}
	if c := p.Features[1]; !slices.Equal(c.Categories, []string{"a"}) || c.Indicator {
		t.Errorf("c = %+v, want the one level a, no indicator", c)
	}
}

func TestPrepMatrix(t *testing.T) {
	train := frameOf(
		numCol("x", 1, 2, nil, 5),
		textCol("c", "b", "a", "b", nil),
		boolCol("flag", true, false, true, true),
	)
	p, err := fitPrep(train, []string{"x", "c", "flag"}, allRows(4), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.outputs(), []string{"x", "x__missing", "c=a", "c=b", "c__missing", "flag"}; !slices.Equal(got, want) {
		t.Fatalf("outputs %q, want %q", got, want)
	}
	// Scoring rows: a known row, an unseen category with a missing number,
	// and a missing category and boolean.
	score := frameOf(
		numCol("x", 5, nil, 1),
		textCol("c", "a", "green", nil),
		boolCol("flag", false, true, nil),
	)
	X, err := p.matrix(score, nil)
	if err != nil {
		t.Fatal(err)
	}
	sx, sf := math.Sqrt(78.0/36), math.Sqrt(0.1875)
	want := [][]float64{
		{(5 - 8.0/3) / sx, 0, 1, 0, 0, (0 - 0.75) / sf},
		{0, 1, 0, 0, 0, (1 - 0.75) / sf},
		{(1 - 8.0/3) / sx, 0, 0, 1, 1, (1 - 0.75) / sf},
	}
	for i, row := range want {
		for j, v := range row {
			if got := X.At(i, j); !near(got, v, 1e-14) {
				t.Errorf("X[%d][%d] (%s) = %v, want %v", i, j, p.outputs()[j], got, v)
			}
		}
	}
}

func TestPredictErrors(t *testing.T) {
	p, err := fitPrep(frameOf(numCol("x", 1, 2), textCol("c", "a", "b")), []string{"x", "c"}, allRows(2), 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		frame *Frame
		want  []string
	}{
		{"missing column", frameOf(numCol("y", 1), textCol("c", "a")), []string{`column "x"`, "lacks"}},
		{"text for number", frameOf(textCol("x", "1"), textCol("c", "a")), []string{`column "x" is text`, "cast"}},
		{"number for text", frameOf(numCol("x", 1), numCol("c", 1)), []string{`column "c" is DOUBLE`, "VARCHAR"}},
		{"damaged frame", &Frame{Rows: 2, Columns: []Column{{Name: "x", Kind: Numeric, Text: []string{"1", "2"}}, textCol("c", "a", "b")}}, []string{`column "x" holds 0 values for 2 rows`}},
		{"infinite", frameOf(numCol("x", math.Inf(1)), textCol("c", "a")), []string{`column "x"`, "+Inf", "NULL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Model{Task: Regression, Prep: p, Coef: [][]float64{{1, 1, 1}}, Intercept: []float64{0}}
			_, err := m.Predict(tt.frame)
			wantErr(t, err, tt.want...)
		})
	}
}

// wantErr fails unless err holds every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want one saying %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("err = %q, want it to say %q", err, p)
		}
	}
}

func TestFitPrepErrors(t *testing.T) {
	f := frameOf(
		textCol("city", "a", "b", "c", "a"),
		numCol("empty", nil, nil, nil, nil),
	)
	_, err := fitPrep(f, []string{"city"}, allRows(4), 2)
	wantErr(t, err, `"city"`, "3 distinct values", "max_categories 2", "drop it from features or raise max_categories")
	_, err = fitPrep(f, []string{"empty"}, allRows(4), 0)
	wantErr(t, err, `"empty"`, "NULL in every training row", "drop it from features")
	_, err = fitPrep(frameOf(textCol("t", nil, nil)), []string{"t"}, allRows(2), 0)
	wantErr(t, err, `"t"`, "NULL in every training row")
}

func TestResolveFeatures(t *testing.T) {
	f := frameOf(numCol("id", 1), numCol("customer_id", 1), numCol("Age", 1), textCol("plan", "a"), boolCol("churned", true), numCol("Order_ID", 1))
	got, err := resolveFeatures(f, Spec{Label: "churned"})
	if err != nil || !slices.Equal(got, []string{"Age", "plan"}) {
		t.Errorf("inferred features = %q, %v; want Age, plan", got, err)
	}
	got, err = resolveFeatures(f, Spec{Label: "churned", Features: []string{"plan", "customer_id"}})
	if err != nil || !slices.Equal(got, []string{"plan", "customer_id"}) {
		t.Errorf("given features = %q, %v; want plan, customer_id", got, err)
	}
	got, err = resolveFeatures(f, Spec{Label: "churned", Features: []string{"age", "PLAN"}})
	if err != nil || !slices.Equal(got, []string{"Age", "plan"}) {
		t.Errorf("features named in another case = %q, %v; want them as the table spells them: Age, plan", got, err)
	}
	_, err = resolveFeatures(f, Spec{Label: "churned", Features: []string{"agee"}})
	wantErr(t, err, `feature "agee" is not a column`, `did you mean "Age"?`)
	_, err = resolveFeatures(f, Spec{Label: "churned", Features: []string{"age", "AGE"}})
	wantErr(t, err, `"AGE" is listed twice`)
	_, err = resolveFeatures(f, Spec{Label: "CHURNED", Features: []string{"churned"}})
	wantErr(t, err, "also the label")
	got, err = resolveFeatures(frameOf(numCol("x", 1), numCol("_batch_id", 1), textCol("_source_file", "f"), numCol("_ingested_at", 1), boolCol("y", true)), Spec{Label: "Y"})
	if err != nil || !slices.Equal(got, []string{"x"}) {
		t.Errorf("inferred features with ingestion columns and the label in another case = %q, %v; want x alone", got, err)
	}
	_, err = resolveFeatures(f, Spec{Label: "churned", Features: []string{"zzzzzzzz"}})
	wantErr(t, err, `"zzzzzzzz"`, "columns: id, customer_id, Age")
	_, err = resolveFeatures(f, Spec{Label: "churned", Features: []string{"churned"}})
	wantErr(t, err, "also the label", "remove it")
	_, err = resolveFeatures(f, Spec{Label: "churned", Features: []string{"plan", "plan"}})
	wantErr(t, err, "listed twice")
	ingested := frameOf(numCol("Age", 1), boolCol("churned", true), textCol("_source_file", "a.csv"), numCol("_ingested_at", 1), textCol("_batch_id", "b1"))
	got, err = resolveFeatures(ingested, Spec{Label: "churned"})
	if err != nil || !slices.Equal(got, []string{"Age"}) {
		t.Errorf("inferred features of an ingested table = %q, %v; want Age (no lineage columns)", got, err)
	}
	_, err = resolveFeatures(frameOf(numCol("id", 1), boolCol("y", true)), Spec{Label: "y"})
	wantErr(t, err, "no feature columns")
}

func TestCheckFinite(t *testing.T) {
	f := frameOf(numCol("ok", 1, nil, 3), numCol("bad", 1, math.NaN(), math.Inf(-1)), textCol("t", "NaN", "x", "y"))
	if err := checkFinite(f, []string{"ok", "t"}); err != nil {
		t.Errorf("checkFinite(ok, t) = %v, want nil", err)
	}
	wantErr(t, checkFinite(f, []string{"ok", "bad"}), `column "bad"`, "2 NaN or infinite values", "row 2", "NULL")
}

// parityFixture is what scripts/sklearn/prep_parity.py writes.
type parityFixture struct {
	Data    string `json:"data"`
	Columns []struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	} `json:"columns"`
	NAValues []string `json:"na_values"`
	Label    string   `json:"label"`
	Task     Task     `json:"task"`
	Features []string `json:"features"`
	C        float64  `json:"c"`
	Seed     int64    `json:"seed"`
	Train    []int    `json:"train"`
	Test     []int    `json:"test"`
	Prep     map[string]struct {
		Impute         float64  `json:"impute"`
		Mean           float64  `json:"mean"`
		Std            float64  `json:"std"`
		ImputeCategory string   `json:"impute_category"`
		Categories     []string `json:"categories"`
		Indicator      bool     `json:"indicator"`
	} `json:"prep"`
	Metrics map[string]float64 `json:"metrics"`
}

var parityCases = []string{"penguins_species", "penguins_sex", "penguins_island", "penguins_mass", "wine"}

// loadParity reads a fixture and its data set as a Frame.
func loadParity(t *testing.T, name string) (*parityFixture, *Frame) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sklearn", "prep_"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx parityFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	var records []map[string]any
	path := filepath.Join("testdata", fx.Data)
	if strings.HasSuffix(path, ".json") {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &records); err != nil {
			t.Fatal(err)
		}
	} else {
		records = readCSV(t, path)
	}
	f := &Frame{Rows: len(records)}
	for _, col := range fx.Columns {
		vals := make([]any, len(records))
		for i, r := range records {
			v := r[col.Name]
			if s, ok := v.(string); ok && slices.Contains(fx.NAValues, s) {
				v = nil
			}
			vals[i] = v
		}
		if col.Kind == "text" {
			f.Columns = append(f.Columns, textCol(col.Name, vals...))
		} else {
			f.Columns = append(f.Columns, numCol(col.Name, vals...))
		}
	}
	return &fx, f
}

// readCSV reads a CSV of numbers with a header as records (an empty field is
// NULL).
func readCSV(t *testing.T, path string) []map[string]any {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, row := range rows[1:] {
		r := make(map[string]any, len(row))
		for j, s := range row {
			if s == "" {
				r[rows[0][j]] = nil
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			r[rows[0][j]] = v
		}
		out = append(out, r)
	}
	return out
}

// TestPrepParity checks the fitted preparation against scikit-learn's
// SimpleImputer, StandardScaler, OneHotEncoder and MissingIndicator on the
// same training rows.
func TestPrepParity(t *testing.T) {
	for _, name := range parityCases {
		t.Run(name, func(t *testing.T) {
			fx, f := loadParity(t, name)
			p, err := fitPrep(f, fx.Features, fx.Train, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, fp := range p.Features {
				want, ok := fx.Prep[fp.Column]
				if !ok {
					t.Fatalf("column %q not in the fixture", fp.Column)
				}
				if fp.Indicator != want.Indicator {
					t.Errorf("%s: indicator %v, want %v", fp.Column, fp.Indicator, want.Indicator)
				}
				if fp.Kind == prepCategorical {
					if !slices.Equal(fp.Categories, want.Categories) || fp.ImputeCategory != want.ImputeCategory {
						t.Errorf("%s: categories %q imputing %q, want %q imputing %q", fp.Column, fp.Categories, fp.ImputeCategory, want.Categories, want.ImputeCategory)
					}
					continue
				}
				if !near(fp.Impute, want.Impute, 1e-12) || !near(fp.Mean, want.Mean, 1e-12) || !near(fp.Std, want.Std, 1e-12) {
					t.Errorf("%s: impute %v mean %v std %v, want %v %v %v", fp.Column, fp.Impute, fp.Mean, fp.Std, want.Impute, want.Mean, want.Std)
				}
			}
		})
	}
}
