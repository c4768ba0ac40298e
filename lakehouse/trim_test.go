package lakehouse

import (
	"context"
	"testing"
)

// TestTrimStatement checks that a SELECT ending in comments and
// semicolons can be wrapped in another statement, as lakebench wraps a
// model's SELECT, and returns the same rows as the text run alone; and
// that a "--", "/*" or ";" inside a string, identifier or dollar quote is
// kept. Before, a trailing "-- comment" swallowed the closing parenthesis
// and "; -- comment" ended the statement early.
func TestTrimStatement(t *testing.T) {
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, c := range []struct{ in, want string }{
		{"SELECT 1 AS x", "SELECT 1 AS x"},
		{"  SELECT 1 AS x;\n", "SELECT 1 AS x"},
		{"SELECT 1 AS x -- done", "SELECT 1 AS x"},
		{"SELECT 1 AS x\n-- done\n", "SELECT 1 AS x"},
		{"SELECT 1 AS x; -- done", "SELECT 1 AS x"},
		{"SELECT 1 AS x;; /* a /* nested */ note */ ;\n-- end", "SELECT 1 AS x"},
		{"-- first\nSELECT 1 AS x -- last", "-- first\nSELECT 1 AS x"},
		{"SELECT '--;' AS x -- c", "SELECT '--;' AS x"},
		{"SELECT 'it''s -- ; x' AS x;", "SELECT 'it''s -- ; x' AS x"},
		{"SELECT E'a\\'-- ;' AS x; -- c", "SELECT E'a\\'-- ;' AS x"},
		{`SELECT 1 AS "a--b;" -- c`, `SELECT 1 AS "a--b;"`},
		{`SELECT 1 AS "a""--" -- c`, `SELECT 1 AS "a""--"`},
		{"SELECT $$ -- ; $$ AS x -- c", "SELECT $$ -- ; $$ AS x"},
		{"SELECT $q$ -- ;$ $q$ AS x; -- c", "SELECT $q$ -- ;$ $q$ AS x"},
		{"SELECT 5 - -1 AS x -- c", "SELECT 5 - -1 AS x"},
		{"SELECT 4/2 AS x /* c */", "SELECT 4/2 AS x"},
		// Unterminated: left to DuckDB, which says where.
		{"SELECT 'abc -- x;", "SELECT 'abc -- x"},
		{"SELECT 1 /* x;", "SELECT 1 /* x"},
	} {
		got := TrimStatement(c.in)
		if got != c.want {
			t.Errorf("TrimStatement(%q) = %q, want %q", c.in, got, c.want)
			continue
		}
		alone, err := lh.Query(context.Background(), c.in)
		if err != nil {
			continue // the unterminated ones
		}
		wrapped, err := lh.Query(context.Background(), "SELECT * FROM ("+got+"\n) AS w")
		if err != nil {
			t.Errorf("%q wrapped: %v", c.in, err)
			continue
		}
		if len(alone.Rows) != 1 || len(wrapped.Rows) != 1 || alone.Rows[0][0] != wrapped.Rows[0][0] {
			t.Errorf("%q: alone %v, wrapped %v", c.in, alone.Rows, wrapped.Rows)
		}
	}
}
