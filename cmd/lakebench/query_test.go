package main

import (
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPastAPage: `lakebench query` prints one execution's result, so a
// GROUP BY or a hash join far past a batch comes out as exactly DuckDB's
// multiset of rows, in every format. (Each page used to re-run the query
// with LIMIT/OFFSET: 50,000 rows with only 30,000-40,000 distinct keys.)
func TestQueryPastAPage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	cases := []struct {
		name, sql string
		keys, n   int // each key 0..keys-1 once, with count n
	}{
		{"group by", "select i % 50000 as k, count(*) as n from range(2000000) t(i) group by k", 50_000, 40},
		{"hash join", `select a.i as k, b.n from range(120000) a(i)
			join (select i % 60000 as j, count(*) as n from range(600000) t(i) group by j) b on a.i % 60000 = b.j`, 120_000, 10},
	}
	check := func(what string, rows [][]string, keys, n int) {
		t.Helper()
		seen := make([]int, keys)
		bad := 0
		for _, r := range rows {
			var k, c int
			if _, err := fmt.Sscan(r[0]+" "+r[1], &k, &c); err != nil || k < 0 || k >= keys || c != n {
				if bad++; bad <= 3 {
					t.Errorf("%s: unexpected row %q", what, r)
				}
				continue
			}
			seen[k]++
		}
		for k, times := range seen {
			if times != 1 {
				if bad++; bad <= 6 {
					t.Errorf("%s: key %d printed %d times, want once", what, k, times)
				}
			}
		}
		if len(rows) != keys {
			t.Errorf("%s: %d rows, want %d", what, len(rows), keys)
		}
	}
	for _, tc := range cases {
		out, _ := lb(t, dir, true, "query", tc.sql, "--format", "csv")
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) == 0 || strings.Join(recs[0], ",") != "k,n" {
			t.Fatalf("%s: csv %v, header %v", tc.name, err, recs[:min(1, len(recs))])
		}
		check(tc.name+" csv", recs[1:], tc.keys, tc.n)
	}
	// JSON and the table print the same single result.
	tc := cases[0]
	var rows [][]string
	for _, r := range queryJSON(t, dir, tc.sql) {
		rows = append(rows, []string{fmt.Sprint(r[0]), fmt.Sprint(r[1])})
	}
	check("json", rows, tc.keys, tc.n)
	out, _ := lb(t, dir, true, "query", tc.sql)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	rows = nil
	for _, l := range lines[min(2, len(lines)):] {
		rows = append(rows, strings.Fields(l))
	}
	check("table", rows, tc.keys, tc.n)
}

// TestQueryRecordsHistory: every query of `lakebench query` is in the
// target's query history with how it ended: a SELECT's from its read-only
// session through the log the next writer imports, a write's directly.
func TestQueryRecordsHistory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "query", "select 42 as answer")
	lb(t, dir, false, "query", "select * from no_such_table")
	lb(t, dir, true, "query", "create table gold.t as select 1 as x") // a writer: imports the log
	rows := queryJSON(t, dir, "select sql, status, rows, error is not null from sys.query_history order by query_id")
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v;%v;%v;%v", r...))
	}
	want := []string{"select 42 as answer;ok;1;false", "select * from no_such_table;error;0;true", "create table gold.t as select 1 as x;ok;0;false"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("query history:\n got %q\nwant %q", got, want)
	}
}
