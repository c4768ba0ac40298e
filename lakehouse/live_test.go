package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// liveTarget is a DuckDB file with t: n rows of id (unique), k2 and s.
func liveTarget(t testing.TB, n int) *Lakehouse {
	t.Helper()
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "live.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	if _, err := lh.db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE t AS SELECT range AS id, (hash(range) %% 1000)::BIGINT AS k,
		'v' || (range %% 977) AS s FROM range(%d)`, n)); err != nil {
		t.Fatal(err)
	}
	return lh
}

// liveQuery reads t unordered: DuckDB scans it with several threads.
const liveQuery = "SELECT id, k * 2 AS k2, s FROM t"

// allRows pages through a live result, pageSize rows at a time, from the
// start, while it may still stream.
func allRows(t *testing.T, l *Live, pageSize int64) [][]any {
	t.Helper()
	ctx := context.Background()
	var out [][]any
	for off := int64(0); ; off += pageSize {
		p, err := l.Page(ctx, off, pageSize)
		if err != nil {
			t.Fatal(err)
		}
		if p.Offset != off {
			t.Fatalf("page at %d says offset %d", off, p.Offset)
		}
		out = append(out, p.Rows...)
		if int64(len(p.Rows)) < pageSize {
			return out
		}
	}
}

func TestLiveRawConnection(t *testing.T) {
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	conn, err := lh.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		c, err := rawConnection(dc)
		if err == nil && c.Ptr == nil {
			err = errors.New("a nil connection")
		}
		return err
	}); err != nil {
		t.Fatalf("the driver's C connection (duckdb-go changed its Conn?): %v", err)
	}
}

func TestLivePagesAreOneExecution(t *testing.T) {
	const n = 1_200_000
	lh := liveTarget(t, n)
	ctx := context.Background()
	var outcome LiveOutcome
	l, err := lh.OpenLive(ctx, liveQuery, LiveOptions{FirstPage: 300, OnDone: func(o LiveOutcome) { outcome = o }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.Columns(); len(got) != 3 || got[1].Name != "k2" || got[2].Type != "VARCHAR" {
		t.Fatalf("columns: got %v", got)
	}
	// Pages read while the rest streams in, 50k rows at a time: every row
	// of the one execution exactly once.
	rows := allRows(t, l, 50_000)
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("pages hold %d rows, want %d", len(rows), n)
	}
	seen := make([]bool, n)
	for _, r := range rows {
		id := r[0].(int64)
		if seen[id] {
			t.Fatalf("id %d comes twice", id)
		}
		seen[id] = true
	}
	// The first page, kept in Go, is the start of the same execution: the
	// spill's first rows.
	first, err := l.Page(ctx, 0, 300)
	if err != nil {
		t.Fatal(err)
	}
	spilled, err := l.readPage(ctx, 0, 300)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(first.Rows) != fmt.Sprint(spilled.Rows) || fmt.Sprint(first.Rows) != fmt.Sprint(rows[:300]) {
		t.Fatalf("first page %v differs from the spill's first rows %v", first.Rows[:3], spilled.Rows[:3])
	}
	if got, done := l.Count(); got != n || !done {
		t.Fatalf("count: got %d %v, want %d true", got, done, n)
	}
	if outcome.Status != "ok" || outcome.Rows != n || outcome.Duration <= 0 || outcome.SQL != liveQuery {
		t.Fatalf("outcome: got %+v", outcome)
	}
	// The same rows as the query's (k2 and s with them), by DuckDB.
	var wrong int64
	if err := lh.sessQueryRow(l, "SELECT count(*) FROM "+l.table+" AS r JOIN t ON r.id = t.id WHERE r.k2 <> t.k * 2 OR r.s <> t.s", &wrong); err != nil || wrong != 0 {
		t.Fatalf("rows differing from t: %d (%v)", wrong, err)
	}
	// Past the end, and a page across it.
	if p, err := l.Page(ctx, n-10, 50); err != nil || len(p.Rows) != 10 {
		t.Fatalf("last page: %v rows, %v", p, err)
	}
}

// sessQueryRow runs a query on a live result's own connection, where its
// spill is.
func (lh *Lakehouse) sessQueryRow(l *Live, q string, dest ...any) error {
	l.sess.mu.Lock()
	defer l.sess.mu.Unlock()
	return l.sess.conn.QueryRowContext(context.Background(), q).Scan(dest...)
}

func TestLiveHeldIsBounded(t *testing.T) {
	lh, err := Open(context.Background(), filepath.Join(t.TempDir(), "big.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	ctx := context.Background()
	const n = 10_000_000
	l, err := lh.OpenLive(ctx, "SELECT range AS id, range * 2 AS d FROM range(10_000_000)", LiveOptions{FirstPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if h := l.Held(); h > 100 {
		t.Fatalf("Held %d rows while streaming, want at most the first page (100)", h)
	}
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if got, _ := l.Count(); got != n {
		t.Fatalf("count %d, want %d", got, n)
	}
	if h := l.Held(); h > 100 {
		t.Fatalf("Held %d rows, want at most 100", h)
	}
	// 10M rows as Go values would take gigabytes; the spill is DuckDB's.
	if ms.HeapAlloc > 256<<20 {
		t.Fatalf("Go heap holds %s after streaming 10M rows", FormatBytes(int64(ms.HeapAlloc)))
	}
	p, err := l.Page(ctx, n-5, 10)
	if err != nil || len(p.Rows) != 5 {
		t.Fatalf("last page: %v, %v", p, err)
	}
}

func TestLiveCancel(t *testing.T) {
	lh := liveTarget(t, 1000)
	ctx := context.Background()
	outcomes := make(chan LiveOutcome, 1)
	// Ten billion rows: it cannot end before the cancel.
	l, err := lh.OpenLive(ctx, "SELECT * FROM range(10_000_000_000)", LiveOptions{OnDone: func(o LiveOutcome) { outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	l.Cancel()
	if err := l.Wait(ctx); !errors.Is(err, ErrCanceled) {
		t.Fatalf("Wait after Cancel: got %v, want ErrCanceled", err)
	}
	if o := <-outcomes; o.Status != "canceled" || !errors.Is(o.Err, ErrCanceled) {
		t.Fatalf("outcome: got %+v", o)
	}
	// The rows that came before the cancel still page.
	got, done := l.Count()
	if !done || got < 200 {
		t.Fatalf("count after cancel: %d %v", got, done)
	}
	if p, err := l.Page(ctx, 0, 300); err != nil || len(p.Rows) != 300 && int64(len(p.Rows)) != got {
		t.Fatalf("page after cancel: %v", err)
	}
	if _, err := l.Sort(ctx, 0, true); err == nil {
		t.Fatal("sorted a canceled result")
	}
	l.Close()
	if res, err := lh.Query(ctx, "SELECT count(*) FROM t"); err != nil || res.Rows[0][0] != int64(1000) {
		t.Fatalf("the lakehouse after a cancel: %v %v", res, err)
	}

	// Canceling OpenLive's context ends the result too.
	cctx, cancel := context.WithCancel(ctx)
	l, err = lh.OpenLive(cctx, "SELECT * FROM range(10_000_000_000)", LiveOptions{OnDone: func(o LiveOutcome) { outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, ErrCanceled) {
		t.Fatalf("Wait after the context's cancel: got %v", err)
	}
	if o := <-outcomes; o.Status != "canceled" {
		t.Fatalf("outcome: got %+v", o)
	}
	l.Close()
	// Canceled before it starts.
	if _, err := lh.OpenLive(cctx, "SELECT 1", LiveOptions{OnDone: func(o LiveOutcome) { outcomes <- o }}); !errors.Is(err, ErrCanceled) {
		t.Fatalf("OpenLive with a canceled context: got %v", err)
	}
	if o := <-outcomes; o.Status != "canceled" {
		t.Fatalf("outcome: got %+v", o)
	}
	// Closing the lakehouse ends the results still streaming.
	l, err = lh.OpenLive(ctx, "SELECT * FROM range(10_000_000_000)", LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Err(); !errors.Is(err, ErrCanceled) {
		t.Fatalf("a result after Lakehouse.Close: got %v", err)
	}
	if _, err := l.Page(ctx, 0, 10); err == nil {
		t.Fatal("paged a closed result")
	}
}

func TestLiveErrorPositions(t *testing.T) {
	lh := liveTarget(t, 10)
	ctx := context.Background()
	long := "SELECT " + strings.Repeat("id AS c, ", 30) + "nope FROM t"
	for _, tc := range []struct {
		sql, at string // at: the text the error points at (its first occurrence), "" for none
	}{
		{"SELECT id,\n  nope FROM t", "nope"},
		{"  \n SELECT id FORM t", "t"},
		{"SELECT id FROM missing_table", "missing_table"},
		{long, "nope"},
		{"SELECT id,\n CAST('x' || id AS INTEGER) FROM t", "CAST"},
		{"SELECT error('boom ' || id) FROM t", ""},
	} {
		var outcome LiveOutcome
		_, err := lh.OpenLive(ctx, tc.sql, LiveOptions{OnDone: func(o LiveOutcome) { outcome = o }})
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%q: got %v, want a *QueryError", tc.sql, err)
			continue
		}
		want := -1
		if tc.at != "" {
			want = strings.Index(tc.sql, tc.at)
		}
		if qe.Pos != want {
			t.Errorf("%q: got position %d, want %d (%q)\n%s", tc.sql, qe.Pos, want, tc.at, qe.Msg)
		}
		if outcome.Status != "error" || outcome.Err == nil {
			t.Errorf("%q: outcome %+v", tc.sql, outcome)
		}
	}
	l, err := lh.OpenLive(ctx, liveQuery, LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var qe *QueryError
	if _, err := l.Filter(ctx, "k2 >\n nope"); !errors.As(err, &qe) || qe.Pos != strings.Index("k2 >\n nope", "nope") {
		t.Fatalf("filter error: got %v (%+v)", err, qe)
	}
	if _, err := lh.OpenLive(ctx, "CREATE TABLE x AS SELECT 1", LiveOptions{}); err == nil {
		t.Fatal("a live result ran a CREATE")
	}
}

// TestLiveFilterUnboundAsOwner: a filter naming a column the result lacks,
// run by a principal that owns the file (the TUI's session), says DuckDB's
// error at its position, not that the filter reads a table (the plan's
// stand-in for an unbound SELECT is no table); one reading a table is
// still refused.
func TestLiveFilterUnboundAsOwner(t *testing.T) {
	lh := liveTarget(t, 10)
	ctx := context.Background()
	l, err := lh.OpenLive(ctx, "SELECT 'churn' AS name, 'x'::BLOB AS model, '{}'::JSON AS evaluation", LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lh.SetPrincipal("root")
	var qe *QueryError
	where := "churn_probability > 0.9"
	if _, err := l.Filter(ctx, where); !errors.As(err, &qe) || qe.Pos != 0 || !strings.Contains(err.Error(), "churn_probability") {
		t.Errorf("filter on a missing column: got %v (%+v), want DuckDB's error at 0", err, qe)
	}
	if _, err := l.Filter(ctx, "name IN (SELECT s FROM t)"); err == nil || !strings.Contains(err.Error(), "may read no table (this one reads main.t)") {
		t.Errorf("filter reading t: got %v, want it refused naming main.t", err)
	}
	if _, err := l.Filter(ctx, "name IN (SELECT s FROM nope)"); err == nil || strings.Contains(err.Error(), "*.") {
		t.Errorf("filter reading a missing table: got %v, want an error naming no stand-in", err)
	}
}

func TestLiveSortFilterExport(t *testing.T) {
	const n = 100_000
	lh := liveTarget(t, n)
	ctx := context.Background()
	l, err := lh.OpenLive(ctx, liveQuery, LiveOptions{FirstPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rows := allRows(t, l, 7_000)
	pos := map[int64]int{}
	for i, r := range rows {
		pos[r[0].(int64)] = i
	}
	for _, desc := range []bool{false, true} {
		s, err := l.Sort(ctx, 1, desc)
		if err != nil {
			t.Fatal(err)
		}
		sorted := allRows(t, s, 9_999)
		if len(sorted) != n {
			t.Fatalf("sorted: %d rows, want %d", len(sorted), n)
		}
		for i := 1; i < len(sorted); i++ {
			a, b := sorted[i-1][1].(int64), sorted[i][1].(int64)
			if desc {
				a, b = b, a
			}
			if a > b || a == b && pos[sorted[i-1][0].(int64)] > pos[sorted[i][0].(int64)] {
				t.Fatalf("sorted (desc %v) rows %d, %d out of order: %v %v", desc, i-1, i, sorted[i-1], sorted[i])
			}
		}
		s.Close()
	}
	f, err := l.Filter(ctx, "k2 < 100 AND s LIKE 'v1%'")
	if err != nil {
		t.Fatal(err)
	}
	var want [][]any
	for _, r := range rows {
		if r[1].(int64) < 100 && strings.HasPrefix(r[2].(string), "v1") {
			want = append(want, r)
		}
	}
	got := allRows(t, f, 1000)
	if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("filtered: %d rows, want %d in the result's order", len(got), len(want))
	}
	// A filter of the filter, sorted.
	if _, err := l.Filter(ctx, "id IN (SELECT id FROM t)"); err == nil || !strings.Contains(err.Error(), "may read no table") {
		t.Fatalf("a filter reading t: got %v", err)
	}
	ff, err := f.Filter(ctx, "k2 > 50")
	if err != nil {
		t.Fatal(err)
	}
	if c, done := ff.Count(); !done || c == 0 || c >= int64(len(want)) {
		t.Fatalf("filter of a filter: %d rows %v", c, done)
	}
	f.Close()
	if _, err := ff.Page(ctx, 0, 10); err != nil {
		t.Fatalf("a derived result after its parent closed: %v", err)
	}
	ff.Close()

	// An ordered query pages in its order.
	o, err := lh.OpenLive(ctx, "SELECT id FROM t ORDER BY id DESC", LiveOptions{FirstPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range allRows(t, o, 33_333) {
		if r[0].(int64) != int64(n-1-i) {
			t.Fatalf("ordered row %d: got id %v, want %d", i, r[0], n-1-i)
		}
	}
	o.Close()

	dir := t.TempDir()
	for _, format := range []string{"csv", "parquet", "json"} {
		path := filepath.Join(dir, "out."+format)
		var last int64
		if err := l.Export(ctx, path, format, func(w int64) { last = w }); err != nil {
			t.Fatal(err)
		}
		if last != n {
			t.Fatalf("%s: progress ended at %d, want %d", format, last, n)
		}
		back, err := lh.Query(ctx, fmt.Sprintf("SELECT id, k2, s FROM read_%s(%s)", format, QuoteString(path)))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(back.Rows) != fmt.Sprint(rows) {
			t.Fatalf("%s read back differs from the result (%d rows, want %d)", format, len(back.Rows), len(rows))
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("export left %d files, want 3 (no partial ones)", len(entries))
	}
	// A link is refused, and what it points to is left alone.
	target := filepath.Join(dir, "precious.txt")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := l.Export(ctx, link, "csv", nil); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("export through a link: got %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("the link's target was written: %q", b)
	}
	if err := l.Export(ctx, filepath.Join(dir, "x.xlsx"), "xlsx", nil); err == nil {
		t.Fatal("exported as xlsx")
	}
}

func TestLiveReadOnlyPrincipal(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	w, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(ctx, "CREATE TABLE gold.big AS SELECT range AS id, 'name ' || range AS name FROM range(300000)"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var ae *AccessError
	if _, err := ro.OpenLive(ctx, "SELECT * FROM silver.orders", LiveOptions{}); !errors.As(err, &ae) {
		t.Fatalf("dana streamed silver.orders: got %v, want an *AccessError", err)
	}
	l, err := ro.OpenLive(ctx, "SELECT id, name FROM gold.big", LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !ro.sandboxed {
		t.Fatal("dana's session is not sandboxed")
	}
	rows := allRows(t, l, 40_000)
	if len(rows) != 300_000 {
		t.Fatalf("dana paged %d rows, want 300000", len(rows))
	}
	// A filter reads no table: not one past the grants, nor one granted.
	if _, err := l.Filter(ctx, "(select count(*) from silver.orders) > 0"); !errors.As(err, &ae) {
		t.Fatalf("dana's filter reading silver.orders: got %v, want an *AccessError", err)
	}
	for _, where := range []string{"(SELECT count(*) FROM silver.orders) > 0", "id IN (SELECT 1 FROM gold.revenue)",
		"id > 0) OR (SELECT count(*) > 0 FROM silver.orders"} {
		if _, err := l.Filter(ctx, where); err == nil {
			t.Fatalf("dana's filter %q ran", where)
		}
	}
	f, err := l.Filter(ctx, "id % 1000 = 0")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := f.Count(); c != 300 {
		t.Fatalf("filtered %d rows, want 300", c)
	}
	path := filepath.Join(t.TempDir(), "dana.parquet")
	if err := l.Export(ctx, path, "parquet", nil); err != nil {
		t.Fatalf("dana's export: %v", err)
	}
	// dana's session reads no file; another reads it back.
	check, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	back, err := check.Query(ctx, "SELECT id, name FROM read_parquet("+QuoteString(path)+")")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Rows) != fmt.Sprint(rows) {
		t.Fatalf("dana's export differs from the result (%d rows)", len(back.Rows))
	}
}

// TestLiveFirstPageValues checks the first page, converted in Go from
// DuckDB's chunks, against the same rows read back from the spill through
// database/sql, over every kind of type; the spill takes each type too.
func TestLiveFirstPageValues(t *testing.T) {
	lh := liveTarget(t, 10)
	ctx := context.Background()
	q := `SELECT i, (i % 100)::TINYINT AS ti, i::SMALLINT AS si, i::INTEGER AS ii, (i % 200)::UTINYINT AS ut, i::UBIGINT AS ub,
		i::HUGEINT * 1000000000000000000000 AS hi, i::UHUGEINT AS uh, i / 7 AS d, (i / 7)::FLOAT AS f,
		(i / 7)::DECIMAL(18,3) AS dec, (i / 7)::DECIMAL(38,10) AS dec38, (i / 7)::DECIMAL(4,1) AS dec4,
		CASE WHEN i % 3 = 0 THEN NULL ELSE 'x' || i END AS s, ('b' || i)::BLOB AS bl, i % 2 = 0 AS b,
		DATE '2024-01-01' + i::INTEGER AS dt, TIMESTAMP '2024-01-01 10:00:00' + INTERVAL (i) MINUTE AS ts,
		(TIMESTAMP '2024-01-01 10:00:00' + INTERVAL (i) SECOND)::TIMESTAMPTZ AS tstz, TIME '10:00:00' AS tm,
		TIMESTAMP_NS '2024-01-01 10:00:00.123456789' AS tsns, INTERVAL (i) DAY + INTERVAL 3 HOUR AS iv,
		'9b2a3c4e-1f2a-4b3c-8d4e-5f6a7b8c9d0e'::UUID AS u, [i, i + 1, NULL] AS l, {'a': i, 'b': 'y' || i} AS st,
		MAP {'k': i} AS m, [i, i]::BIGINT[2] AS arr, '101'::BITSTRING AS bits,
		CAST(CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS ENUM('a', 'b')) AS e, '{"a": 1}'::JSON AS j,
		union_value(num := i) AS un
		FROM range(300) t(i)`
	l, err := lh.OpenLive(ctx, q, LiveOptions{FirstPage: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := l.Page(ctx, 0, 300)
	if err != nil {
		t.Fatal(err)
	}
	spilled, err := l.readPage(ctx, 0, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Rows) != 300 || len(spilled.Rows) != 300 {
		t.Fatalf("rows: first %d, spilled %d", len(first.Rows), len(spilled.Rows))
	}
	for i, c := range first.Columns {
		if c != spilled.Columns[i] {
			t.Errorf("column %d: first page says %v, the spill %v", i, c, spilled.Columns[i])
		}
	}
	for r := range first.Rows {
		for c := range first.Rows[r] {
			if got, want := fmt.Sprintf("%#v", first.Rows[r][c]), fmt.Sprintf("%#v", spilled.Rows[r][c]); got != want {
				t.Fatalf("row %d column %s: first page %s, spill %s", r, first.Columns[c].Name, got, want)
			}
		}
	}
}

// TestLiveSortStable: a sort orders ties by their place in the result it
// sorts (a sort of a sort keeps the first for ties), its first page (read
// before the sorted table exists) is that table's start, its count is known
// at once, and a sort of a filtered result sorts only the filter's rows.
func TestLiveSortStable(t *testing.T) {
	const n = 200_000
	lh := liveTarget(t, n)
	ctx := context.Background()
	l, err := lh.OpenLive(ctx, liveQuery, LiveOptions{FirstPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rows := allRows(t, l, 50_000)
	// By s (977 values), then by k2 (1000): within one k2, the order by s
	// (and within one s, the result's) holds.
	bys, err := l.Sort(ctx, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if c, done := bys.Count(); c != n || !done {
		t.Fatalf("a sort's count on return: %d (final %v), want %d, final", c, done, n)
	}
	want := append([][]any(nil), rows...)
	sort.SliceStable(want, func(i, j int) bool { return want[i][2].(string) < want[j][2].(string) })
	if got := allRows(t, bys, 30_000); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("sort by s: not the stable sort of the result")
	}
	byk, err := bys.Sort(ctx, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	bys.Close() // its table is no longer read: byk's first page is in
	sort.SliceStable(want, func(i, j int) bool { return want[i][1].(int64) > want[j][1].(int64) })
	if got := allRows(t, byk, 30_000); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("sort by k2 desc of the sort by s: not the stable sort")
	}
	// The first page (the top-N) is the start of the sorted table.
	if err := byk.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	head, err := byk.readPage(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := byk.Page(ctx, 0, 50); fmt.Sprint(p.Rows) != fmt.Sprint(head.Rows) || fmt.Sprint(head.Rows) != fmt.Sprint(want[:50]) {
		t.Fatal("the first page differs from the sorted table's")
	}
	byk.Close()

	// A sort of a filtered result, its parent closed at once: the sort
	// still reads it whole.
	f, err := l.Filter(ctx, "s LIKE 'v2%'")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := f.Sort(ctx, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	var fwant [][]any
	for _, r := range rows {
		if strings.HasPrefix(r[2].(string), "v2") {
			fwant = append(fwant, r)
		}
	}
	sort.SliceStable(fwant, func(i, j int) bool { return fwant[i][1].(int64) < fwant[j][1].(int64) })
	if got := allRows(t, fs, 7_777); len(fwant) == 0 || fmt.Sprint(got) != fmt.Sprint(fwant) {
		t.Fatalf("sort of a filter: %d rows, want %d in order", len(got), len(fwant))
	}
	if c, done := fs.Count(); c != int64(len(fwant)) || !done {
		t.Fatalf("sort of a filter: count %d %v, want %d", c, done, len(fwant))
	}
	// The filter's table went once the sort was done with it.
	var left int64
	if err := lh.sessQueryRow(fs, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ("+QuoteString(f.table)+", "+QuoteString(bys.table)+")", &left); err != nil || left != 0 {
		t.Fatalf("closed results' tables left: %d (%v)", left, err)
	}
	fs.Close()

	// A result with a column named rowid sorts and pages it as a column.
	r, err := lh.OpenLive(ctx, "SELECT id AS rowid, k FROM t WHERE id < 1000", LiveOptions{FirstPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rs, err := r.Sort(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := rs.Page(ctx, 990, 10)
	if err != nil || len(p.Rows) != 10 || p.Rows[0][0] != int64(9) || p.Columns[0].Name != "rowid" {
		t.Fatalf("sort by a column named rowid: %v %v", p, err)
	}
	rs.Close()
}

// TestLiveSortCancel: canceling a sort (its context, or Cancel) while its
// table is made ends it "canceled" with its first page; the result it
// sorts stays usable and sorts again.
func TestLiveSortCancel(t *testing.T) {
	const n = 1_000_000
	lh := liveTarget(t, n)
	ctx := context.Background()
	l, err := lh.OpenLive(ctx, liveQuery, LiveOptions{FirstPage: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := l.Page(ctx, n/2, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"context", "Cancel"} {
		cctx, cancel := context.WithCancel(ctx)
		// A sort of 1M rows by text cannot end before the next statement.
		s, err := l.Sort(cctx, 2, true)
		if err != nil {
			t.Fatal(err)
		}
		if how == "context" {
			cancel()
		} else {
			s.Cancel()
		}
		if err := s.Wait(ctx); !errors.Is(err, ErrCanceled) {
			t.Fatalf("%s: a canceled sort's Wait: %v", how, err)
		}
		if c, done := s.Count(); c != 20 || !done {
			t.Fatalf("%s: a canceled sort's count: %d %v, want its first page (20)", how, c, done)
		}
		if p, err := s.Page(ctx, 0, 20); err != nil || len(p.Rows) != 20 {
			t.Fatalf("%s: a canceled sort's first page: %v", how, err)
		}
		if p, err := s.Page(ctx, 1000, 20); err != nil || len(p.Rows) != 0 {
			t.Fatalf("%s: a canceled sort past its first page: %v %v", how, p, err)
		}
		s.Close()
		cancel()
		after, err := l.Page(ctx, n/2, 100)
		if err != nil || fmt.Sprint(after.Rows) != fmt.Sprint(before.Rows) {
			t.Fatalf("%s: the result after a canceled sort: %v", how, err)
		}
	}
	// Canceled before it starts.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Sort(cctx, 1, false); err == nil {
		t.Fatal("sorted with a canceled context")
	}
	s, err := l.Sort(ctx, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Page(ctx, n-1, 1)
	if err != nil || len(p.Rows) != 1 || p.Rows[0][1] != int64(1998) {
		t.Fatalf("a sort after canceled ones: %v %v", p, err)
	}
	// Closing the lakehouse ends a sort still running.
	s2, err := l.Sort(ctx, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Page(ctx, 0, 1); err == nil {
		t.Fatal("paged a sort after Lakehouse.Close")
	}
}

// TestLiveSortHeads: a sort's first page (read before its table, see
// head) is the sorted table's start whatever falls on the page's last
// row: NULLs (last either way), ties, distinct values, a DOUBLE, a
// DECIMAL, a timestamp, and a type head does not shortcut (a list).
func TestLiveSortHeads(t *testing.T) {
	lh := liveTarget(t, 3000)
	ctx := context.Background()
	l, err := lh.OpenLive(ctx, `SELECT id,
		CASE WHEN id >= 5 THEN NULL ELSE id END AS few,
		CASE WHEN id % 3 = 0 THEN NULL ELSE id % 7 END AS ties,
		(id * 7919) % 3001 AS distinct_,
		CASE WHEN id % 11 = 0 THEN 'NaN'::DOUBLE ELSE (id % 13) / 4 END AS dbl,
		(id % 17)::DECIMAL(9, 2) / 3 AS dec,
		TIMESTAMP '2024-01-01' + INTERVAL (id % 19) HOUR AS ts,
		[id % 5, id % 2] AS list
		FROM t`, LiveOptions{FirstPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for col := 1; col < len(l.Columns()); col++ {
		for _, desc := range []bool{false, true} {
			s, err := l.Sort(ctx, col, desc)
			if err != nil {
				t.Fatal(err)
			}
			first, err := s.Page(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			head, err := s.readPage(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(head.Rows) != 10 || fmt.Sprint(first.Rows) != fmt.Sprint(head.Rows) {
				t.Errorf("sort by %s (desc %v): first page %v, the table's %v", l.Columns()[col].Name, desc, first.Rows, head.Rows)
			}
			s.Close()
		}
	}
}

// TestLiveSortTiesAcrossRowGroups: a sort's first page, when it ends in
// ties spread over many of the spill's row groups (read by several
// threads), is the sorted table's first page: the ties in the result's
// order.
func TestLiveSortTiesAcrossRowGroups(t *testing.T) {
	lh := liveTarget(t, 1_000_000)
	ctx := context.Background()
	// 0 three times in each 100,000 rows, after 1 .. 7.
	l, err := lh.OpenLive(ctx, "SELECT id, CASE WHEN id % 100000 < 3 THEN 0 ELSE 1 + id % 7 END AS c, s FROM t", LiveOptions{FirstPage: 25})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rows := allRows(t, l, 200_000)
	for _, desc := range []bool{false, true} {
		s, err := l.Sort(ctx, 1, desc)
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.Page(ctx, 0, 25)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		head, err := s.readPage(ctx, 0, 25)
		if err != nil {
			t.Fatal(err)
		}
		want := append([][]any(nil), rows...)
		sort.SliceStable(want, func(i, j int) bool {
			a, b := want[i][1].(int64), want[j][1].(int64)
			if desc {
				return a > b
			}
			return a < b
		})
		if fmt.Sprint(first.Rows) != fmt.Sprint(head.Rows) || fmt.Sprint(head.Rows) != fmt.Sprint(want[:25]) {
			t.Errorf("desc %v: first page %v\nthe table's %v\nwant %v", desc, first.Rows, head.Rows, want[:25])
		}
		s.Close()
	}
}
