package lakehouse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// tiesTarget is a lakehouse with ties: 300,000 rows of id (unique), k (5
// values and NULL, so nearly every row ties on it), g (NULL for a third),
// v (two values) and s, spread over many row groups so DuckDB's threads
// sort them in pieces.
func tiesTarget(t *testing.T) *Lakehouse {
	t.Helper()
	lh := liveTarget(t, 10)
	if _, err := lh.db.ExecContext(context.Background(), `CREATE TABLE ties AS SELECT range AS id,
		CASE WHEN range % 11 = 0 THEN NULL ELSE (hash(range) % 5)::INTEGER END AS k,
		CASE WHEN range % 3 = 0 THEN NULL ELSE range % 4 END AS g,
		(range % 2)::DOUBLE / 2 AS v, 'x' || (hash(range) % 7) AS s FROM range(300000)`); err != nil {
		t.Fatal(err)
	}
	return lh
}

// openPreviewed opens a live result with a preview as the TUI does and
// returns it with its preview (nil when it took none) and its outcome,
// filled once it ended.
func openPreviewed(t *testing.T, lh *Lakehouse, q string, n int) (*Live, *Result, *LiveOutcome) {
	t.Helper()
	out := &LiveOutcome{}
	l, err := lh.OpenLive(context.Background(), q, LiveOptions{FirstPage: n, Preview: true, OnDone: func(o LiveOutcome) { *out = o }})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(func() { l.Close() })
	<-l.previewed
	l.mu.Lock()
	p := l.preview
	l.mu.Unlock()
	return l, p, out
}

// TestLivePreviewEqualsFirstPage: a query with its own ORDER BY over data
// where nearly every row ties on the keys (NULLs among them, DESC NULLS
// FIRST, an expression, an alias, a position, a set operation, a CTE)
// takes a preview, and the preview is the execution's first page, value
// for value, in order: ties are broken the same way in both. The page is
// in the user's order. Every page past the first, and the count, are the
// execution's.
func TestLivePreviewEqualsFirstPage(t *testing.T) {
	lh := tiesTarget(t)
	ctx := context.Background()
	type key struct {
		col              int
		desc, nullsFirst bool
	}
	for _, c := range []struct {
		q    string
		keys []key // the user's keys among the output columns, when they all are
	}{
		{"SELECT * FROM ties ORDER BY k", []key{{1, false, false}}},
		{"SELECT k, g, v FROM ties ORDER BY k DESC NULLS FIRST", []key{{0, true, true}}},
		{"SELECT k, g, s FROM ties ORDER BY g NULLS FIRST, k DESC", []key{{1, false, true}, {0, true, false}}},
		{"SELECT s, v FROM ties ORDER BY k % 2, g", nil},
		{"SELECT k % 3 AS m, s FROM ties ORDER BY m DESC", []key{{0, true, false}}},
		{"SELECT s, k FROM ties ORDER BY 2 DESC NULLS LAST", []key{{1, true, false}}},
		{"SELECT k, v FROM ties WHERE g = 1 UNION ALL SELECT g, v FROM ties WHERE k = 2 ORDER BY 1", []key{{0, false, false}}},
		{"WITH w AS (SELECT k, s FROM ties) SELECT DISTINCT k, s FROM w ORDER BY k -- a comment at the end", []key{{0, false, false}}},
		{"SELECT k, count(*) AS n FROM ties GROUP BY k ORDER BY n % 2", nil},
		{"SELECT v, k FROM ties ORDER BY ALL", []key{{0, false, false}, {1, false, false}}},
		{"SELECT * FROM range(1000000) t(i) ORDER BY i % 7, i DESC;", nil},
	} {
		t.Run(c.q, func(t *testing.T) {
			l, preview, outcome := openPreviewed(t, lh, c.q, 100)
			if preview == nil {
				t.Fatal("no preview")
			}
			first, err := l.Page(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !sameRows(preview.Rows, first.Rows) {
				t.Fatalf("the preview differs from the first page:\npreview %v\nfirst   %v", preview.Rows[:3], first.Rows[:3])
			}
			if checked, equal := l.PreviewMatch(); !checked || !equal {
				t.Fatalf("PreviewMatch %v %v", checked, equal)
			}
			// The page is in the user's order.
			for i := 1; i < len(first.Rows); i++ {
				for _, k := range c.keys {
					cmp := compareValues(first.Rows[i-1][k.col], first.Rows[i][k.col], k.nullsFirst)
					if k.desc && first.Rows[i-1][k.col] != nil && first.Rows[i][k.col] != nil {
						cmp = -cmp
					}
					if cmp > 0 {
						t.Fatalf("rows %d and %d out of the user's order: %v, %v", i-1, i, first.Rows[i-1], first.Rows[i])
					}
					if cmp < 0 {
						break
					}
				}
			}
			// The execution is the user's query, whole.
			if err := l.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			want, err := lh.Query(ctx, "SELECT count(*) FROM ("+strings.TrimSuffix(c.q, ";")+"\n)")
			if err != nil {
				t.Fatal(err)
			}
			if n, done := l.Count(); !done || n != want.Rows[0][0].(int64) {
				t.Fatalf("count %d, want %v", n, want.Rows[0][0])
			}
			if !strings.Contains(outcome.Preview, "equal to the execution's first page") {
				t.Fatalf("outcome's note: %q", outcome.Preview)
			}
		})
	}
}

// compareValues orders two values of one column as ORDER BY does
// ascending, NULLs last unless nullsFirst.
func compareValues(a, b any, nullsFirst bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if nullsFirst {
			return -1
		}
		return 1
	case b == nil:
		if nullsFirst {
			return 1
		}
		return -1
	}
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case int32:
		return cmp.Compare(x, b.(int32))
	case float64:
		return cmp.Compare(x, b.(float64))
	case string:
		return cmp.Compare(x, b.(string))
	}
	panic(fmt.Sprintf("compareValues: %T", a))
}

// TestLivePreviewSkipped: a statement that is not one SELECT ending in
// its ORDER BY, or whose rows may differ between two executions (a
// volatile function, the clock, a sample, a view calling random()),
// takes no preview: the one execution alone, as before.
func TestLivePreviewSkipped(t *testing.T) {
	lh := tiesTarget(t)
	ctx := context.Background()
	if _, err := lh.db.ExecContext(ctx, "CREATE VIEW noisy AS SELECT id, random() AS r FROM ties"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT * FROM ties",
		"SELECT * FROM (SELECT * FROM ties ORDER BY k)",
		"SELECT * FROM ties ORDER BY k LIMIT 50",
		"SELECT * FROM ties ORDER BY k LIMIT 5000",
		"SELECT * FROM ties ORDER BY k OFFSET 10",
		"SELECT id, random() AS r FROM ties ORDER BY k",
		"SELECT * FROM ties ORDER BY random()",
		"SELECT id, now() AS t FROM ties ORDER BY k",
		"SELECT id, current_timestamp AS t FROM ties ORDER BY k",
		"SELECT id, gen_random_uuid() AS u FROM ties ORDER BY k",
		"SELECT * FROM ties USING SAMPLE 10% ORDER BY k",
		"SELECT * FROM ties TABLESAMPLE 10% ORDER BY k",
		"SELECT * FROM noisy ORDER BY id",
		"SELECT * FROM ties WHERE id IN (SELECT id FROM noisy WHERE r < 0.5) ORDER BY k",
	} {
		l, preview, _ := openPreviewed(t, lh, q, 100)
		if preview != nil {
			t.Errorf("%s: took a preview", q)
		}
		if l.Preview() != nil {
			t.Errorf("%s: Preview() is set", q)
		}
		if _, err := l.Page(ctx, 0, 10); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	// A statement that fails, as its preview does, fails as it would
	// without one: DuckDB's error at its place in the user's text.
	bad := "SELECT CAST(s AS INTEGER) AS x FROM ties ORDER BY x"
	var plain, previewed *QueryError
	_, perr := lh.OpenLive(ctx, bad, LiveOptions{})
	_, err := lh.OpenLive(ctx, bad, LiveOptions{Preview: true})
	if !errors.As(perr, &plain) || !errors.As(err, &previewed) || plain.Pos != previewed.Pos || plain.Msg != previewed.Msg {
		t.Errorf("a failing statement with a preview: %v, without: %v", err, perr)
	}
	// Without the option, no preview either.
	l, err := lh.OpenLive(ctx, "SELECT * FROM ties ORDER BY k", LiveOptions{FirstPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if <-l.previewed; l.preview != nil {
		t.Error("a preview without LiveOptions.Preview")
	}
}

// TestLivePreviewGoverned: a principal's preview is checked as the
// statement is and audited beside it: dana, with SELECT on gold, previews
// gold's table (the audit has the preview's statement and the user's);
// her query of silver is refused, with no preview rows and no allowed
// access in the audit.
func TestLivePreviewGoverned(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	w, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(ctx, "CREATE TABLE gold.ties AS SELECT range AS id, range % 3 AS k FROM range(100000)"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	var ae *AccessError
	refused, err := ro.OpenLive(ctx, "SELECT * FROM silver.orders ORDER BY order_id", LiveOptions{Preview: true})
	if !errors.As(err, &ae) || refused != nil {
		t.Fatalf("dana's ordered query of silver: %v, %v; want an *AccessError and no result", refused, err)
	}
	q := "SELECT id, k FROM gold.ties ORDER BY k DESC"
	l, err := ro.OpenLive(ctx, q, LiveOptions{Preview: true, FirstPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	if l.preview == nil || len(l.preview.Rows) != 50 {
		t.Fatalf("dana's preview: %v", l.preview)
	}
	if first, err := l.Page(ctx, 0, 50); err != nil || !sameRows(first.Rows, l.preview.Rows) {
		t.Fatalf("dana's first page differs from her preview: %v", err)
	}
	l.Close()
	ro.Close()
	owner, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	events, err := owner.AuditEvents(ctx, AuditFilter{Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	var statement, preview bool
	for _, e := range events {
		if e.Allowed && strings.Contains(e.Statement, "silver.orders") {
			t.Errorf("an allowed access of the refused query: %+v", e)
		}
		if e.Allowed && e.Statement == q {
			statement = true
		}
		if e.Allowed && strings.HasPrefix(e.Statement, q) && strings.HasSuffix(e.Statement, "LIMIT 50") && e.Rows == 50 &&
			slices.Contains(e.Tables, "gold.ties") {
			preview = true
		}
	}
	if !statement || !preview {
		t.Fatalf("audit of dana's ordered query: statement %v, preview %v: %+v", statement, preview, events)
	}
}

// TestLivePreviewCanceled: canceling a result while its preview is shown
// cancels the execution too; it ends canceled, and its note says the
// execution ended before its first page.
func TestLivePreviewCanceled(t *testing.T) {
	lh := tiesTarget(t)
	ctx := context.Background()
	var outcome LiveOutcome
	done := make(chan struct{})
	l, err := lh.OpenLive(ctx, "SELECT * FROM range(20000000) t(i) ORDER BY i % 7, i DESC",
		LiveOptions{Preview: true, FirstPage: 20, OnDone: func(o LiveOutcome) { outcome = o; close(done) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Preview() == nil {
		t.Fatal("no preview")
	}
	if cols := l.Columns(); len(cols) != 1 || cols[0].Name != "i" || cols[0].Type != "BIGINT" {
		t.Fatalf("columns while previewing: %v", cols)
	}
	l.Cancel()
	if err := l.Wait(ctx); !errors.Is(err, ErrCanceled) {
		t.Fatalf("after Cancel: %v", err)
	}
	<-done
	if outcome.Status != "canceled" || !strings.Contains(outcome.Preview, "ended before its first page") {
		t.Fatalf("outcome %+v", outcome)
	}
	if checked, _ := l.PreviewMatch(); checked {
		t.Fatal("a canceled execution's preview was checked")
	}
}

// TestQueryHistoryNote: the history keeps one entry per query with its
// note (a preview's), written by a writer into sys.query_history, or by a
// read-only session into the query log, which the next writer imports.
func TestQueryHistoryNote(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.RecordQuery(ctx, QueryRecord{SQL: "SELECT 2 ORDER BY 1", Status: "ok", Rows: 1, Note: "first page previewed (1 rows)"}); err != nil {
		t.Fatal(err)
	}
	h, err := ro.QueryHistory(ctx, "ORDER BY", 10)
	if err != nil || len(h) != 1 || h[0].Note != "first page previewed (1 rows)" {
		t.Fatalf("dana's pending history: %+v %v", h, err)
	}
	ro.Close()
	w, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.RecordQuery(ctx, QueryRecord{SQL: "SELECT 3 ORDER BY 1", Status: "ok", Rows: 1}); err != nil {
		t.Fatal(err)
	}
	h, err = w.QueryHistory(ctx, "ORDER BY", 10)
	if err != nil || len(h) != 2 {
		t.Fatalf("history: %+v %v", h, err)
	}
	for _, r := range h {
		if want := map[string]string{"SELECT 2 ORDER BY 1": "first page previewed (1 rows)", "SELECT 3 ORDER BY 1": ""}[r.SQL]; r.Note != want {
			t.Errorf("%q noted %q, want %q", r.SQL, r.Note, want)
		}
	}
}
