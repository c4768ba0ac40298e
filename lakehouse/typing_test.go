package lakehouse

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// columnReport finds a column's report in an ingest result.
func columnReport(t *testing.T, res *IngestResult, name string) ColumnReport {
	t.Helper()
	for _, c := range res.Columns {
		if c.Column == name {
			return c
		}
	}
	t.Fatalf("no report for column %s in %+v", name, res.Columns)
	return ColumnReport{}
}

func queryRow(t *testing.T, lh *Lakehouse, sql string) string {
	t.Helper()
	got, err := lh.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return fmt.Sprint(got.Rows)
}

// TestIngestRStyleNA: a CSV written by R marks missing values NA: numeric
// and date columns keep their types with NA read as NULL, a text column
// keeps "NA" as text, and the report counts the tokens read as null.
func TestIngestRStyleNA(t *testing.T) {
	var b strings.Builder
	b.WriteString("\"id\",\"name\",\"depth\",\"when\"\n")
	for i := 1; i <= 60; i++ {
		name, depth, when := fmt.Sprintf("\"s%d\"", i), fmt.Sprintf("%d.5", i), fmt.Sprintf("2026-01-%02d", i%28+1)
		switch i % 10 {
		case 3:
			depth = "NA"
		case 7:
			when, name = "NA", "NA"
		}
		fmt.Fprintf(&b, "%d,%s,%s,%s\n", i, name, depth, when)
	}
	lh := openTemp(t)
	res := ingestText(t, lh, "r.csv", b.String(), "r")
	if res.RowsLoaded != 60 || res.RowsQuarantined != 0 {
		t.Fatalf("loaded %d, quarantined %d; want 60, 0", res.RowsLoaded, res.RowsQuarantined)
	}
	want := "[[DOUBLE DATE VARCHAR 6 6 6]]"
	if got := queryRow(t, lh, `select any_value(typeof(depth)), any_value(typeof("when")), any_value(typeof(name)),
		count(*) filter (where depth is null), count(*) filter (where "when" is null), count(*) filter (where name = 'NA') from bronze.r`); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if d := columnReport(t, res, "depth"); d.Type != "DOUBLE" || d.NullTokens["NA"] != 6 || !strings.Contains(d.String(), "6 values NA read as null") {
		t.Errorf("depth report %+v (%s)", d, d)
	}
	if n := columnReport(t, res, "name"); len(n.NullTokens) != 0 {
		t.Errorf("name report %+v: a text column reads no token as null", n)
	}
}

// TestIngestTolerantColumn: a numeric column holding a handful of bad
// values ('abc', '199mm', '"3,600"'), a null token ('n/a') and a repeated
// header line, both inside the type sniffer's sample and past it, is
// DOUBLE: the token is NULL, the bad values and the header lines are
// quarantined with their reasons, every other row loads.
func TestIngestTolerantColumn(t *testing.T) {
	n := sniffSampleRecords + 3000
	inside := map[int]string{100: "abc", 200: "199mm", 300: "n/a", 400: `"3,600"`, 500: "HEADER"}
	past := map[int]string{n - 500: "abc", n - 400: "199mm", n - 300: "n/a", n - 200: `"3,600"`, n - 100: "HEADER"}
	var b strings.Builder
	b.WriteString("id,depth,site\n")
	for i := 1; i <= n; i++ {
		v, ok := inside[i]
		if !ok {
			v, ok = past[i]
		}
		switch {
		case v == "HEADER":
			b.WriteString("id,depth,site\n")
		case ok:
			fmt.Fprintf(&b, "%d,%s,s%d\n", i, v, i%5)
		default:
			fmt.Fprintf(&b, "%d,%d.25,s%d\n", i, i%300, i%5)
		}
	}
	lh := openTemp(t)
	res := ingestText(t, lh, "t.csv", b.String(), "tol")
	if res.RowsRead != int64(n) || res.RowsLoaded != int64(n-8) || res.RowsQuarantined != 8 {
		t.Fatalf("read %d, loaded %d, quarantined %d; want %d, %d, 8 (%v)", res.RowsRead, res.RowsLoaded, res.RowsQuarantined, n, n-8, quarantined(t, lh, "tol"))
	}
	if got := queryRow(t, lh, "select any_value(typeof(depth)), count(*) filter (where depth is null) from bronze.tol"); got != "[[DOUBLE 2]]" {
		t.Errorf("depth: got %s, want [[DOUBLE 2]] (two n/a read as null)", got)
	}
	q := quarantined(t, lh, "tol")
	lineOf := func(i int) int64 { return int64(i + 1) } // after the header
	for i, v := range inside {
		want := map[string]string{"abc": `"abc"`, "199mm": `"199mm"`, `"3,600"`: `"3,600"`, "HEADER": "header line again", "n/a": ""}[v]
		for _, k := range []int{i, i + n - 600} {
			if want == "" {
				if _, ok := q[lineOf(k)]; ok {
					t.Errorf("line %d (n/a) quarantined: %s", lineOf(k), q[lineOf(k)])
				}
				continue
			}
			if !strings.Contains(q[lineOf(k)], want) {
				t.Errorf("line %d: reason %q, want it to mention %s", lineOf(k), q[lineOf(k)], want)
			}
		}
	}
	d := columnReport(t, res, "depth")
	t.Log(d)
	if d.TypedBy != "tolerant" || d.NullTokens["n/a"] != 2 || d.RowsQuarantined != 6 || len(d.QuarantinedValues) == 0 ||
		!strings.Contains(d.String(), "2 values n/a read as null") || !strings.Contains(d.String(), "6 rows quarantined: ") {
		t.Errorf("depth report %+v\n%s", d, d)
	}
}

// TestIngestTokenPastSample: a null token first seen past the sniffer's
// sample, in a column typed from clean values, is NULL too.
func TestIngestTokenPastSample(t *testing.T) {
	n := sniffSampleRecords + 100
	b := beyondSample("id,qty,name", n)
	fmt.Fprintf(b, "%d,NA,late\n%d,NULL,NA\n", n+1, n+2)
	lh := openTemp(t)
	res := ingestText(t, lh, "p.csv", b.String(), "past")
	if res.RowsLoaded != int64(n+2) || res.RowsQuarantined != 0 {
		t.Fatalf("loaded %d, quarantined %d; want %d, 0 (%v)", res.RowsLoaded, res.RowsQuarantined, n+2, quarantined(t, lh, "past"))
	}
	if got := queryRow(t, lh, fmt.Sprintf("select typeof(qty), count(*) filter (where qty is null), string_agg(name, ',' order by id) from bronze.past where id > %d group by all", n)); got != "[[BIGINT 2 late,NA]]" {
		t.Errorf("got %s, want [[BIGINT 2 late,NA]]", got)
	}
	if q := columnReport(t, res, "qty"); q.NullTokens["NA"] != 1 || q.NullTokens["NULL"] != 1 {
		t.Errorf("qty report %+v", q)
	}
}

// TestIngestNotTolerant: a text column stays text when more than a
// handful of its values are not numbers (codes, or 1 bad value in 20),
// and so does a column of numbers with leading zeros.
func TestIngestNotTolerant(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,code,few,zip\n")
	for i := 1; i <= 400; i++ {
		code, few := fmt.Sprint(1000+i), fmt.Sprint(i)
		if i%20 == 0 {
			few = "x" + fmt.Sprint(i)
		}
		if i%3 == 0 {
			code = fmt.Sprintf("A%d", i)
		}
		fmt.Fprintf(&b, "%d,%s,%s,0%d\n", i, code, few, 1000+i)
	}
	lh := openTemp(t)
	res := ingestText(t, lh, "n.csv", b.String(), "nt")
	if res.RowsLoaded != 400 || res.RowsQuarantined != 0 {
		t.Fatalf("loaded %d, quarantined %d; want 400, 0", res.RowsLoaded, res.RowsQuarantined)
	}
	if got := queryRow(t, lh, "select any_value(typeof(code)), any_value(typeof(few)), any_value(typeof(zip)) from bronze.nt"); got != "[[VARCHAR VARCHAR VARCHAR]]" {
		t.Errorf("got %s, want text columns", got)
	}
}

// TestIngestJSONMixedTitle: a JSON field of text holding a few numbers
// (a title 1776 among names) is VARCHAR, numbers kept as their text, so
// comparing it with text works; a numeric field with "NA" strings is a
// number with NA read as null.
func TestIngestJSONMixedTitle(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 3000; i++ {
		title, depth := fmt.Sprintf("%q", fmt.Sprintf("Book %d", i)), fmt.Sprint(i)
		switch i {
		case 1500:
			title = "1776"
		case 2500:
			title = "2012"
		}
		if i%1000 == 0 {
			depth = `"NA"`
		}
		fmt.Fprintf(&b, `{"id":%d,"title":%s,"depth":%s}`+"\n", i, title, depth)
	}
	lh := openTemp(t)
	res := ingestText(t, lh, "books.json", b.String(), "books")
	if res.RowsLoaded != 3000 || res.RowsQuarantined != 0 {
		t.Fatalf("loaded %d, quarantined %d; want 3000, 0 (%v)", res.RowsLoaded, res.RowsQuarantined, quarantined(t, lh, "books"))
	}
	if got := queryRow(t, lh, `select any_value(typeof(title)), count(*) filter (where title = 'Book 7'), count(*) filter (where title = '1776'),
		any_value(typeof(depth)), count(*) filter (where depth is null) from bronze.books`); got != "[[VARCHAR 1 1 BIGINT 3]]" {
		t.Errorf("got %s, want [[VARCHAR 1 1 BIGINT 3]]", got)
	}
	if d := columnReport(t, res, "depth"); d.NullTokens["NA"] != 3 {
		t.Errorf("depth report %+v", d)
	}
}
