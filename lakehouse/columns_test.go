package lakehouse

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// openColumnsTarget opens a writable target in a temp dir and runs stmts.
func openColumnsTarget(t *testing.T, stmts ...string) *Lakehouse {
	t.Helper()
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "dev.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	for _, s := range stmts {
		if _, err := lh.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return lh
}

// TestReadColumnsKinds: every kind of column comes back with its values,
// NULLs in the mask (0 and "" under them), rows in the table's order.
func TestReadColumnsKinds(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t,
		"CREATE TYPE gold.mood AS ENUM ('sad', 'ok', 'happy')",
		`CREATE TABLE gold.people (id INTEGER, "Score" DECIMAL(10,2), w DOUBLE, big HUGEINT, active BOOLEAN,
			born DATE, seen TIMESTAMP, seen_tz TIMESTAMPTZ, day_part TIME, mood gold.mood, name VARCHAR, u UUID)`,
		`INSERT INTO gold.people VALUES
			(3, 1.25, 'NaN', 170141183460469231731687303715884105727, true, DATE '1970-01-02', TIMESTAMP '1970-01-01 12:00:00',
			 TIMESTAMPTZ '1970-01-02 00:00:00+00', TIME '06:00:00', 'happy', 'ann', '00000000-0000-0000-0000-000000000001'),
			(1, NULL, -2.5, -7, false, DATE '1969-12-31', NULL, NULL, NULL, NULL, '', NULL),
			(2, -0.5, 'Infinity', NULL, NULL, NULL, TIMESTAMP '1970-01-11 00:00:00', NULL, TIME '00:00:00', 'sad', NULL, NULL)`)
	data, err := lh.ReadColumns(ctx, TableName{Schema: "gold", Name: "people"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if data.Rows != 3 || len(data.Columns) != 12 {
		t.Fatalf("got %d rows, %d columns, want 3 and 12", data.Rows, len(data.Columns))
	}
	nan, inf := math.NaN(), math.Inf(1)
	want := []struct {
		name, typ string
		kind      ValueKind
		num       []float64
		text      []string
		null      []bool
	}{
		{"id", "INTEGER", NumberValues, []float64{3, 1, 2}, nil, nil},
		{"Score", "DECIMAL(10,2)", NumberValues, []float64{1.25, 0, -0.5}, nil, []bool{false, true, false}},
		{"w", "DOUBLE", NumberValues, []float64{nan, -2.5, inf}, nil, nil},
		{"big", "HUGEINT", NumberValues, []float64{1.7014118346046923e+38, -7, 0}, nil, []bool{false, false, true}},
		{"active", "BOOLEAN", BooleanValues, []float64{1, 0, 0}, nil, []bool{false, false, true}},
		{"born", "DATE", TemporalValues, []float64{1, -1, 0}, nil, []bool{false, false, true}},
		{"seen", "TIMESTAMP", TemporalValues, []float64{0.5, 0, 10}, nil, []bool{false, true, false}},
		{"seen_tz", "TIMESTAMP WITH TIME ZONE", TemporalValues, []float64{1, 0, 0}, nil, []bool{false, true, true}},
		{"day_part", "TIME", TemporalValues, []float64{0.25, 0, 0}, nil, []bool{false, true, false}},
		{"mood", "ENUM('sad', 'ok', 'happy')", TextValues, nil, []string{"happy", "", "sad"}, []bool{false, true, false}},
		{"name", "VARCHAR", TextValues, nil, []string{"ann", "", ""}, []bool{false, false, true}},
		{"u", "UUID", TextValues, nil, []string{"00000000-0000-0000-0000-000000000001", "", ""}, []bool{false, true, true}},
	}
	for i, w := range want {
		c := data.Columns[i]
		if c.Name != w.name || c.Type != w.typ || c.Kind != w.kind {
			t.Errorf("column %d is %s %s (%s), want %s %s (%s)", i, c.Name, c.Type, c.Kind, w.name, w.typ, w.kind)
		}
		if w.kind == TextValues {
			if !reflect.DeepEqual(c.Text, w.text) || c.Num != nil {
				t.Errorf("%s: got %q (num %v), want %q", w.name, c.Text, c.Num, w.text)
			}
		} else if !sameFloats(c.Num, w.num) || c.Text != nil {
			t.Errorf("%s: got %v (text %q), want %v", w.name, c.Num, c.Text, w.num)
		}
		if !reflect.DeepEqual(c.Null, w.null) {
			t.Errorf("%s: null mask %v, want %v", w.name, c.Null, w.null)
		}
	}
	// Columns named in another order and case come in the order asked.
	some, err := lh.ReadColumns(ctx, TableName{Schema: "gold", Name: "people"}, []string{"NAME", "score", "id"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range some.Columns {
		names = append(names, c.Name)
	}
	if strings.Join(names, " ") != "name Score id" || some.Column("SCORE") != &some.Columns[1] {
		t.Errorf("got columns %v, want name Score id", names)
	}
}

// sameFloats compares float slices, NaN equal to NaN.
func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// TestReadColumnsManyChunks: a table of many of DuckDB's chunks comes back
// whole, every column's row i from the table's row i, as Query reads it.
func TestReadColumnsManyChunks(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE TABLE silver.events AS SELECT range AS n,
		CASE WHEN range % 7 = 0 THEN NULL ELSE range * 0.5 END AS half,
		CASE WHEN range % 5 = 0 THEN NULL ELSE 'k' || (range % 11) END AS cat
		FROM range(30000) ORDER BY hash(range)`)
	data, err := lh.ReadColumns(ctx, TableName{Schema: "silver", Name: "events"}, []string{"cat", "half", "n"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := lh.Query(ctx, "SELECT n, half, cat FROM silver.events")
	if err != nil {
		t.Fatal(err)
	}
	if data.Rows != len(res.Rows) || data.Rows != 30000 {
		t.Fatalf("got %d rows, Query %d, want 30000", data.Rows, len(res.Rows))
	}
	cat, half, n := data.Columns[0], data.Columns[1], data.Columns[2]
	for i, r := range res.Rows {
		if n.Num[i] != float64(r[0].(int64)) {
			t.Fatalf("row %d: n %v, want %v", i, n.Num[i], r[0])
		}
		if (r[1] == nil) != half.IsNull(i) || (r[1] != nil && half.Num[i] != r[1].(float64)) {
			t.Fatalf("row %d: half %v (null %v), want %v", i, half.Num[i], half.IsNull(i), r[1])
		}
		if (r[2] == nil) != cat.IsNull(i) || (r[2] != nil && cat.Text[i] != r[2].(string)) {
			t.Fatalf("row %d: cat %q (null %v), want %v", i, cat.Text[i], cat.IsNull(i), r[2])
		}
	}
}

// TestReadColumnsOneRowOrder: the columns of a row stay together when the
// table gives its rows in another order each time it is read (a view over
// a join, such as an ingested table's, scanned by several threads; here a
// view ordered by random()): every column comes from the one scan.
func TestReadColumnsOneRowOrder(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, `CREATE VIEW silver.shuffled AS SELECT range AS n, range * 2 AS twice,
		CASE WHEN range % 3 = 0 THEN NULL ELSE 'k' || range END AS name FROM range(5000) ORDER BY random()`)
	data, err := lh.ReadColumns(ctx, TableName{Schema: "silver", Name: "shuffled"}, []string{"name", "twice", "n"})
	if err != nil {
		t.Fatal(err)
	}
	name, twice, n := data.Columns[0], data.Columns[1], data.Columns[2]
	for i := range data.Rows {
		k := int(n.Num[i])
		if twice.Num[i] != 2*n.Num[i] {
			t.Fatalf("row %d: n %d with twice %v: the columns come from different rows", i, k, twice.Num[i])
		}
		if want := "k" + strconv.Itoa(k); (k%3 == 0) != name.IsNull(i) || (k%3 != 0 && name.Text[i] != want) {
			t.Fatalf("row %d: n %d with name %q (null %v): the columns come from different rows", i, k, name.Text[i], name.IsNull(i))
		}
	}
}

// TestReadColumnsBadInput: a missing table or column, a column named
// twice and a column of a type with no number or text form are errors that
// say what to do, and read nothing.
func TestReadColumnsBadInput(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, "CREATE TABLE gold.t AS SELECT 1 AS a, [1, 2] AS tags, 'x'::BLOB AS raw")
	tbl := TableName{Schema: "gold", Name: "t"}
	for _, tc := range []struct {
		table    TableName
		columns  []string
		want     string
		notFound bool
	}{
		{TableName{Schema: "gold", Name: "nope"}, nil, "read gold.nope: table not found", true},
		{tbl, []string{"a", "b"}, `column "b" not found: its columns are a, tags, raw`, true},
		{tbl, []string{"a", "A"}, "column a is named twice", false},
		{tbl, []string{"a", "tags"}, "column tags is INTEGER[], which is neither a number, a boolean, a date or time nor text; leave it out", false},
		{tbl, nil, "column tags is INTEGER[]", false},
		{tbl, []string{"raw"}, "column raw is BLOB", false},
	} {
		data, err := lh.ReadColumns(ctx, tc.table, tc.columns)
		if err == nil || !strings.Contains(err.Error(), tc.want) || data != nil {
			t.Errorf("%s %v: got %v, want an error with %q", tc.table, tc.columns, err, tc.want)
		}
		if errors.Is(err, ErrNotFound) != tc.notFound {
			t.Errorf("%s %v: errors.Is(%v, ErrNotFound) = %v", tc.table, tc.columns, err, !tc.notFound)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := lh.ReadColumns(cctx, tbl, []string{"a"}); err == nil {
		t.Error("a canceled read succeeded")
	}
}

// TestReadColumnsIsGoverned: a principal without SELECT on the table is
// refused with an *AccessError, and the refusal is audited; one with it
// reads, audited with the row count. A view is checked as a query on it is:
// SELECT on the view reads through it (Unity Catalog's rule).
func TestReadColumnsIsGoverned(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t,
		"CREATE TABLE silver.customers AS SELECT range AS id, range * 2.0 AS spend FROM range(5)",
		"CREATE VIEW gold.big_spenders AS SELECT * FROM silver.customers WHERE spend > 4",
		"CREATE TABLE gold.churn AS SELECT range AS id, range % 2 = 0 AS churned FROM range(4)")
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "sp-dev",
		Grants: []Grant{{Principal: "dana", Privilege: Select, Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	lh.SetPrincipal("dana")
	customers := TableName{Schema: "silver", Name: "customers"}
	var ae *AccessError
	if _, err := lh.ReadColumns(ctx, customers, []string{"spend"}); !errors.As(err, &ae) || ae.Principal != "dana" {
		t.Errorf("dana read %s: got %v, want an *AccessError", customers, err)
	}
	if _, _, err := lh.TableDigest(ctx, customers); !errors.As(err, &ae) {
		t.Errorf("dana's digest of %s: got %v, want an *AccessError", customers, err)
	}
	data, err := lh.ReadColumns(ctx, TableName{Schema: "gold", Name: "churn"}, []string{"churned"})
	if err != nil || data.Rows != 4 || !reflect.DeepEqual(data.Columns[0].Num, []float64{1, 0, 1, 0}) {
		t.Fatalf("dana read gold.churn: %v %v", data, err)
	}
	data, err = lh.ReadColumns(ctx, TableName{Schema: "gold", Name: "big_spenders"}, []string{"spend"})
	if err != nil || !reflect.DeepEqual(data.Columns[0].Num, []float64{6, 8}) {
		t.Fatalf("dana read gold.big_spenders: %v %v", data, err)
	}
	lh.SetPrincipal("")
	events, err := lh.AuditEvents(ctx, AuditFilter{Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	var refused, read int
	for _, e := range events {
		switch {
		case !e.Allowed && reflect.DeepEqual(e.Tables, []string{"silver.customers"}):
			refused++
		case e.Allowed && reflect.DeepEqual(e.Tables, []string{"gold.churn"}) && e.Rows == 4:
			read++
		}
	}
	if refused != 2 || read != 1 || len(events) != 4 {
		t.Errorf("audit of dana: %d refusals of silver.customers, want 2; %d reads of gold.churn with 4 rows, want 1; %d events, want 4:\n%+v", refused, read, len(events), events)
	}
}

// TestTxReadColumns: inside a transaction, the read sees the
// transaction's own writes, is checked as the transaction's principal and
// listed for the task's audit.
func TestTxReadColumns(t *testing.T) {
	ctx := context.Background()
	lh := openColumnsTarget(t, "CREATE TABLE gold.scores AS SELECT 1.5 AS s", "CREATE TABLE silver.secret AS SELECT 1 AS x")
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeployGovernance(ctx, Governance{Owner: "sp-dev",
		Grants: []Grant{{Principal: "sp-ml", Privilege: Select, Schema: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, err = lh.BeginAs(ctx, "sp-ml")
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(ctx, "INSERT INTO gold.scores VALUES (2.5)"); err != nil {
		t.Fatal(err)
	}
	scores := TableName{Schema: "gold", Name: "scores"}
	data, err := tx.ReadColumns(ctx, scores, nil)
	if err != nil || !reflect.DeepEqual(data.Columns[0].Num, []float64{1.5, 2.5}) {
		t.Fatalf("read in the transaction: %v %v, want 1.5 and 2.5", data, err)
	}
	if _, rows, err := tx.TableDigest(ctx, scores); err != nil || rows != 2 {
		t.Errorf("digest in the transaction: %d rows, %v; want 2", rows, err)
	}
	var ae *AccessError
	if _, err := tx.ReadColumns(ctx, TableName{Schema: "silver", Name: "secret"}, nil); !errors.As(err, &ae) {
		t.Errorf("sp-ml read silver.secret: got %v, want an *AccessError", err)
	}
	if got := tx.Checked(); !reflect.DeepEqual(got, []TableName{scores, scores}) {
		t.Errorf("checked %v, want gold.scores twice", got)
	}
	// The transaction is still usable after the columnar read.
	if n, err := tx.Count(ctx, scores); err != nil || n != 2 {
		t.Errorf("count after the read: %d %v", n, err)
	}
}

// TestReadColumnsInRowidSlices: a table larger than one read's bound is
// read in slices of its rowid, every row once (deleted rows leave gaps in
// rowid), with its own values, in the table's order; a table with a column
// called rowid, and a view, are read in one query.
func TestReadColumnsInRowidSlices(t *testing.T) {
	defer func(b int) { readResultBytes = b }(readResultBytes)
	readResultBytes = 1 // slices of one row group
	ctx := context.Background()
	const n = 3*rowGroupRows + 1000
	lh := openColumnsTarget(t,
		`CREATE TABLE silver.big AS SELECT range AS n, CASE WHEN range % 7 = 0 THEN NULL ELSE range * 0.5 END AS half,
			'k' || (range % 11) AS cat FROM range(`+strconv.Itoa(n)+`)`,
		"DELETE FROM silver.big WHERE n % 1000 = 3 OR n BETWEEN 122000 AND 123500",
		"CREATE TABLE silver.odd AS SELECT range AS rowid, range AS n FROM range(300000)",
		"CREATE VIEW silver.v AS SELECT * FROM silver.big")
	for _, c := range []struct {
		table   string
		queries int
	}{{"big", 4}, {"odd", 1}, {"v", 1}} {
		table := TableName{Schema: "silver", Name: c.table}
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		declared, err := describeTable(ctx, tx.tx, table)
		if err != nil {
			t.Fatal(err)
		}
		queries, _, _, err := readQueries(ctx, tx.tx, table, declared, []columnRead{{expr: "n"}}, readResultBytes)
		tx.Rollback()
		if err != nil {
			t.Fatal(err)
		}
		if len(queries) != c.queries {
			t.Errorf("%s is read in %d queries, want %d: %q", table, len(queries), c.queries, queries)
		}
	}
	// Rows a transaction writes have rowids from 2^62 on, beside the
	// committed ones: read in it, the table is the ranges that hold rows
	// (it took 2^62 / 122,880 queries, and all the memory, before).
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO silver.big SELECT range, NULL, 'new' FROM range(10)"); err != nil {
		t.Fatal(err)
	}
	big := TableName{Schema: "silver", Name: "big"}
	declared, err := describeTable(ctx, tx.tx, big)
	if err != nil {
		t.Fatal(err)
	}
	queries, rows, _, err := readQueries(ctx, tx.tx, big, declared, []columnRead{{expr: "n"}}, readResultBytes)
	if err != nil || len(queries) != 5 {
		t.Fatalf("in a transaction that wrote rows: %d queries (%v), want the 4 committed ranges and the new one", len(queries), err)
	}
	data, err := tx.ReadColumns(ctx, big, []string{"cat"})
	if err != nil || int64(data.Rows) != rows || data.Columns[0].Text[data.Rows-1] != "new" {
		t.Fatalf("read in the transaction: %v rows of %d, %v; want every row, the new ones last", data, rows, err)
	}
	tx.Rollback()
	for _, name := range []string{"big", "v"} {
		data, err := lh.ReadColumns(ctx, TableName{Schema: "silver", Name: name}, []string{"cat", "half", "n"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := lh.Query(ctx, "SELECT n, half, cat FROM silver.big")
		if err != nil {
			t.Fatal(err)
		}
		if data.Rows != len(res.Rows) {
			t.Fatalf("%s: %d rows, Query %d", name, data.Rows, len(res.Rows))
		}
		cat, half, num := data.Columns[0], data.Columns[1], data.Columns[2]
		for i, r := range res.Rows {
			k := r[0].(int64)
			if num.Num[i] != float64(k) {
				t.Fatalf("%s row %d: n %v, want %v", name, i, num.Num[i], k)
			}
			if (k%7 == 0) != half.IsNull(i) || (k%7 != 0 && half.Num[i] != float64(k)*0.5) {
				t.Fatalf("%s row %d: n %d with half %v (null %v): the columns come from different rows", name, i, k, half.Num[i], half.IsNull(i))
			}
			if cat.Text[i] != "k"+strconv.FormatInt(k%11, 10) {
				t.Fatalf("%s row %d: n %d with cat %q: the columns come from different rows", name, i, k, cat.Text[i])
			}
		}
	}
}

// TestReadColumnsMatrix: the matrix columns come back row-major, each
// value, NULL mask and kind as ReadColumns reads the column, in the same
// rows as the other columns, also when the table is read in several rowid
// slices; text in the matrix, or a column named twice, is refused.
func TestReadColumnsMatrix(t *testing.T) {
	defer func(b int) { readResultBytes = b }(readResultBytes)
	readResultBytes = 1 // slices of one row group
	ctx := context.Background()
	const n = 2*rowGroupRows + 500
	lh := openColumnsTarget(t, `CREATE TABLE silver.m AS SELECT 'k' || (range % 5) AS label, range AS n,
		CASE WHEN range % 7 = 0 THEN NULL ELSE range * 0.5 END AS half, range % 3 = 0 AS flag,
		DATE '2020-01-01' + CAST(range % 40 AS INTEGER) AS day FROM range(`+strconv.Itoa(n)+`)`,
		"DELETE FROM silver.m WHERE n % 1000 = 3")
	table := TableName{Schema: "silver", Name: "m"}
	want, err := lh.ReadColumns(ctx, table, []string{"label", "half", "n", "flag", "day"})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	got, err := tx.ReadColumnsMatrix(ctx, table, []string{"LABEL"}, []string{"half", "n", "flag", "day"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != want.Rows || len(got.Columns) != 1 || got.Matrix == nil || len(got.Matrix.Data) != 4*want.Rows {
		t.Fatalf("got %d rows, %d columns and a matrix of %d values; want %d rows, 1 column, %d values",
			got.Rows, len(got.Columns), len(got.Matrix.Data), want.Rows, 4*want.Rows)
	}
	if !reflect.DeepEqual(got.Columns[0].Text, want.Columns[0].Text) {
		t.Error("the label column differs from ReadColumns'")
	}
	for j, m := range got.Matrix.Columns {
		w := want.Columns[j+1]
		if m.Name != w.Name || m.Kind != w.Kind || m.Num != nil || !reflect.DeepEqual(m.Null, w.Null) {
			t.Errorf("matrix column %d: %s %s (null mask %v), want %s %s with ReadColumns' mask", j, m.Name, m.Kind, m.Null != nil, w.Name, w.Kind)
		}
		for i := range got.Rows {
			if v := got.Matrix.Data[i*4+j]; v != w.Num[i] {
				t.Fatalf("row %d of %s: %v, want %v", i, m.Name, v, w.Num[i])
			}
		}
	}
	if got.Matrix.Columns[0].Null == nil {
		t.Error("half has NULLs but no mask")
	}
	for _, c := range []struct {
		columns, matrix []string
		want            string
	}{
		{[]string{"n"}, []string{"label"}, "label is VARCHAR, and a matrix holds numbers"},
		{[]string{"label"}, []string{"n", "label"}, "named both as a column and in the matrix"},
		{[]string{"label"}, []string{"nope"}, `column "nope"`},
		{nil, []string{"n"}, "name the columns read beside the matrix"},
	} {
		if _, err := tx.ReadColumnsMatrix(ctx, table, c.columns, c.matrix); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("columns %v, matrix %v: got %v, want an error saying %q", c.columns, c.matrix, err, c.want)
		}
	}
}
