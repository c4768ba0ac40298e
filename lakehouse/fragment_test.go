package lakehouse

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckFragment(t *testing.T) {
	for _, ok := range []string{
		"quantity > 0",
		"status IN ('a', 'b''s', '--not a comment', '/* nor this */', ';')",
		`"odd ""name"" -- here" IS NOT NULL`,
		"regexp_matches(email, '^[^@]+@[^@]+\\.[a-z]+$')",
		"coalesce((a), [1, 2][1]) = {'k': 1}['k']",
		"x - -1 > 0 AND y / 2 < 3",
		"",
	} {
		if err := CheckFragment(ok); err != nil {
			t.Errorf("CheckFragment(%q) = %v, want nil", ok, err)
		}
	}
	for _, tt := range []struct{ sql, want string }{
		{"true /*", "comment"},
		{"x > 0 -- hidden", "comment"},
		{"true; DROP TABLE t", "one expression only"},
		{"true) OR (false", "closes nothing"},
		{"(true", "never closed"},
		{"[1, 2)", "closes nothing"},
		{"'open", "not closed"},
		{`"open`, "quoted name"},
		{"E'\\' OR true OR ''' = ''", "string literal right after a name"},
		{"$$x$$ = 'x'", "dollar"},
		{"a = $1", "dollar"},
	} {
		err := CheckFragment(tt.sql)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckFragment(%q) = %v, want an error saying %q", tt.sql, err, tt.want)
		}
	}
}

// FuzzCheckFragment: no input panics, and an accepted piece cannot reach
// past its place: placed as SELECT (piece), 42 AS lb_marker, DuckDB's
// parser either refuses it or finds one statement of two items whose last
// is the marker (no comment swallowed it, no ; ended the statement).
func FuzzCheckFragment(f *testing.F) {
	for _, s := range []string{"a > 0", "'x''y'", "(1, [2])", "/*", "--", "E'x'", "$$", "'\\'", `"';"0`} {
		f.Add(s)
	}
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer lh.Close()
	f.Fuzz(func(t *testing.T, s string) {
		if CheckFragment(s) != nil {
			return
		}
		var doc string
		q := "SELECT (" + s + "\n), 42 AS lb_marker"
		if err := lh.db.QueryRow("SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&doc); err != nil {
			return
		}
		var tree struct {
			Error      bool `json:"error"`
			Statements []struct {
				Node struct {
					SelectList []struct {
						Alias string `json:"alias"`
					} `json:"select_list"`
				} `json:"node"`
			} `json:"statements"`
		}
		if err := json.Unmarshal([]byte(doc), &tree); err != nil || tree.Error {
			return
		}
		if len(tree.Statements) != 1 {
			t.Fatalf("accepted %q: %d statements", s, len(tree.Statements))
		}
		items := tree.Statements[0].Node.SelectList
		if len(items) != 2 || items[1].Alias != "lb_marker" {
			t.Fatalf("accepted %q: the statement has %d items, the last aliased %q; want the marker second", s, len(items), items[len(items)-1].Alias)
		}
	})
}
