package editor

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// formatQueries are SELECTs of many shapes, with names that are keywords
// in other places (name, year, type, value, first) whose case must stay.
var formatQueries = []string{
	"select 1",
	"select a, b, count(*) as n from gold.orders o left join silver.customers c on o.id = c.id and c.x between 1 and 2 or c.y = 'a;b' where a > 1 and b like 'x%' group by all order by n desc nulls last limit 10",
	"with t as (select * from x where y in (select z from w)), u as materialized (select 1) select * exclude (a) from t union all select * from u",
	"select sum(x) over (partition by y order by z rows between unbounded preceding and current row) from t",
	"select name, year, type, value, first, last, data, key from t where name = 'x'",
	"select t.name, t.year as Year, \"Select\" from t",
	"SELECT Name, YEAR FROM T",
	"select count(*) filter (where x > 1), sum(y) over w from t window w as (partition by z)",
	"select x::integer, cast(y as varchar), try_cast(z as bigint), '1'::int from t",
	"select interval '1 day', interval 3 day, date '2024-01-01', timestamp '2024-01-01 00:00:00'",
	"select case when a then 1 when b then 2 else 3 end as c from t",
	"select * from a natural join b cross join c full outer join d using (id) positional join e",
	"select * from a asof join b on a.t >= b.t anti join c on a.x = c.x semi join d on d.y = a.y",
	"select left('abc', 2), right('abc', 1), coalesce(a, b), nullif(a, b), extract(year from d), substring(s, 1, 2) from t",
	"select * from t where exists (select 1 from u where u.id = t.id) and not exists (select 1)",
	"select x from t where x not between 1 and 10 and y is not null and z is distinct from 3",
	"select distinct on (a) a, b from t order by a, b desc",
	"select {'a': 1, 'b': [1, 2, 3]}, [1, 2, 3][2], [x * 2 for x in [1, 2]], list_transform([1], x -> x + 1)",
	"select $$dollar ; quoted$$, E'esc\\'aped', 'it''s', x'ff'",
	"select 1 -- a comment\n, 2 /* block */ from t",
	"select a\n-- a comment line\nfrom t\n-- another\nwhere x = 1",
	"select -1, - 2, +3, 1 - -1, 2*-3, a||b, a->>'k', 4 % 2, 2 ** 3, 7 // 2",
	"select * from read_csv('a.csv', header = true) qualify row_number() over (partition by a order by b) = 1",
	"select x from t group by grouping sets ((a), (b), ()) having count(*) > 1",
	"select x from t order by 1 limit 5 offset 10",
	"select * from (select 1 as a) sub join (values (1), (2)) v(b) on sub.a = v.b",
	"select 1 union select 2 intersect select 3 except select 4",
	"pivot t on year using sum(x)",
	"from t select a where b",
	"select a as \"from\", b as select_, \"where\".x from t as \"where\"",
	"select current_date, current_timestamp, now()",
	"select array[1, 2], struct_pack(a := 1), map {'k': 1}",
	"select x from t where y in (1, 2, 3) and z like 'a%' escape '!'",
	"select type, row, position, time, timestamp, interval, values, filter, over from t as name where type = 'x'",
	"select a.over, b.filter, c.nulls from a, b, c",
	"select x as partition, y as rows from t",
	"select * from t tablesample 10%",
	"select columns('a.*'), * replace (a + 1 as a) from t",
	"select 'a'\n'b'",
	"select x from t where a = 1 or (b = 2 and c = 3)",
	"select lag(x, 1) over (order by t) as prev, lead(x) over (order by t range between interval 1 day preceding and current row) from t",
	"select string_agg(x, ',' order by y) from t",
	"with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select * from r",
	"select unnest([1, 2]) as u, generate_series(1, 3)",
	"select a from t where a similar to 'x' or a ilike 'y' or a glob 'z*'",
	"select t.* from t",
	"select 1.5e3, .5, 0x1F, 1_000",
	"select ?, ?",
	"select $1, $2",
	"SELECT * FROM t WHERE x = 1;\nSELECT 2;",
}

// parseTree is DuckDB's parse tree of one statement (json_serialize_sql),
// without the byte positions, which layout moves.
func parseTree(t *testing.T, lh *lakehouse.Lakehouse, sql string) any {
	t.Helper()
	res, err := lh.Query(context.Background(), "SELECT json_serialize_sql("+lakehouse.QuoteString(sql)+")::VARCHAR")
	if err != nil {
		t.Fatalf("json_serialize_sql of %q: %v", sql, err)
	}
	var tree any
	if err := json.Unmarshal([]byte(res.Rows[0][0].(string)), &tree); err != nil {
		t.Fatal(err)
	}
	var strip func(v any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "query_location")
			for _, c := range v {
				strip(c)
			}
		case []any:
			for _, c := range v {
				strip(c)
			}
		}
	}
	strip(tree)
	return tree
}

// TestFormatKeepsMeaning formats each query and checks that DuckDB parses
// the result to the same tree, that formatting again changes nothing, and
// that keywords came out upper-cased.
func TestFormatKeepsMeaning(t *testing.T) {
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, q := range formatQueries {
		f := Format(q)
		want, got := parseTree(t, lh, q), parseTree(t, lh, f)
		if m, _ := want.(map[string]any); m["error"] == true {
			if strings.HasPrefix(q, "pivot") || strings.HasPrefix(q, "from") {
				continue // not SELECTs json_serialize_sql takes
			}
			t.Errorf("the test query does not parse: %q: %v", q, m["error_message"])
			continue
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("Format changed the meaning of\n%s\ninto\n%s\ngot  %s\nwant %s", q, f, g, w)
		}
		if again := Format(f); again != f {
			t.Errorf("Format is not stable on\n%s\nagain:\n%s", f, again)
		}
	}
	got := Format("select a, b from t where x = 1 and y = 2 order by a")
	want := "SELECT\n    a,\n    b\nFROM t\nWHERE x = 1\n    AND y = 2\nORDER BY a"
	if got != want {
		t.Errorf("Format:\n%s\nwant\n%s", got, want)
	}
}

// sameTokens checks that formatted has src's tokens: the same text but
// for the case of keywords.
func sameTokens(t *testing.T, src, formatted string) {
	t.Helper()
	var a, b []string
	for _, tok := range Lex(src) {
		if tok.Kind != Space {
			a = append(a, tok.Kind.String()+":"+src[tok.Start:tok.End])
		}
	}
	for _, tok := range Lex(formatted) {
		if tok.Kind != Space {
			b = append(b, tok.Kind.String()+":"+formatted[tok.Start:tok.End])
		}
	}
	if len(a) != len(b) {
		t.Fatalf("Format(%q) = %q: %d tokens, want %d", src, formatted, len(b), len(a))
	}
	for i := range a {
		if a[i] != b[i] && !(strings.HasPrefix(a[i], "keyword:") || strings.HasPrefix(a[i], "softkeyword:")) || !strings.EqualFold(a[i], b[i]) {
			t.Fatalf("Format(%q) = %q: token %d is %s, want %s", src, formatted, i, b[i], a[i])
		}
	}
}

func FuzzFormat(f *testing.F) {
	for _, q := range formatQueries {
		f.Add(q)
	}
	f.Add("x - -1 / *y")
	f.Add("'a'\n'b' 'c'")
	f.Fuzz(func(t *testing.T, src string) {
		out := Format(src)
		sameTokens(t, src, out)
	})
}
