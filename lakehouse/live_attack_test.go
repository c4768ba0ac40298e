package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Attacks on issue 10's streamed results (OpenLive, Sort, Filter, Export),
// completion and the query history, as a hostile analyst would make them:
// each test passes when the attack is refused.

// danaLive opens dana's read-only session on the attack target and a live
// result of what she may read.
func danaLive(t *testing.T, g attackTarget) (*Lakehouse, *Live) {
	t.Helper()
	ro := openAs(t, g.path, "dana", true)
	l, err := ro.OpenLive(context.Background(), "SELECT revenue FROM gold.revenue", LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return ro, l
}

// TestAttackLiveQueries: every attack statement streamed as dana is refused
// before it runs, with an *AccessError (or DuckDB's parse error for text
// that is not one statement), never a result.
func TestAttackLiveQueries(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	ro := openAs(t, g.path, "dana", true)
	extra := []string{
		"select current_setting('home_directory')",
		"select current_setting('temp_directory')",
		"select * from duckdb_settings()",
		"select * from duckdb_columns()",
		"select * from duckdb_views()",
		"select * from sql_auto_complete('select * from silver.')",
		"select * from query_table(['silver.orders'])",
		"select * from read_text(" + QuoteString(g.secret) + ")",
		"select * from sys.query_history",
		"/* select */ delete from gold.revenue",
		"select 1 -- ; \n; drop table gold.revenue",
		"select 1;\u00a0drop table gold.revenue",
		"select 1 \u037e drop table gold.revenue",
		"select * from gold.revenue; select * from silver.orders",
		"create temp table x as select * from silver.orders",
		"select * from temp.main.lb_live_1",
		"select * from lb_snapshot_1",
		"call duckdb_settings()",
		"pragma database_list",
		"checkpoint",
		"vacuum",
	}
	for _, q := range append(g.attacks(), extra...) {
		l, err := ro.OpenLive(ctx, q, LiveOptions{})
		if err == nil {
			res, _ := l.Page(ctx, 0, 5)
			l.Close()
			t.Errorf("dana streamed %q: %v", q, res)
			continue
		}
		var ae *AccessError
		var qe *QueryError
		if !errors.As(err, &ae) && !errors.As(err, &qe) {
			t.Errorf("dana %q: %T %v, want an *AccessError or a *QueryError", q, err, err)
		}
	}
	ro.Close()
	// The file and the grants are untouched.
	w := openAs(t, g.path, "", false)
	if n := count1(t, w, "select count(*) from gold.revenue"); n != 1 {
		t.Errorf("gold.revenue has %d rows after the attacks, want 1", n)
	}
}

// TestAttackLiveFilter: a filter is bound as the principal's query over a
// stand-in of the result: no subquery, file or setting reaches past it,
// and no text closes the parenthesis into a second query.
func TestAttackLiveFilter(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	_, l := danaLive(t, g)
	for _, where := range []string{
		"exists (select * from silver.orders)",
		"revenue < (select max(amount) from silver.orders)",
		"(select count(*) from read_csv(" + QuoteString(g.secret) + ")) > 0",
		"(select count(*) from read_text(" + QuoteString(g.secret) + ")) > 0",
		"(select count(*) from glob(" + QuoteString(g.dir+"/*") + ")) > 0",
		"getenv('HOME') <> ''",
		"current_setting('home_directory') is not null",
		"(select count(*) from duckdb_settings()) > 0",
		"(select count(*) from duckdb_tables()) > 0",
		"(select count(*) from query('select * from silver.orders')) > 0",
		"(select count(*) from query_table('silver.orders')) > 0",
		"(select count(*) from " + QuoteString(g.secret) + ") > 0",
		"true) union all select amount from silver.orders --",
		"true) union all (select amount from silver.orders",
		"true\n); drop table gold.revenue; select (1",
		"true) or (select count(*) > 0 from sys.audit",
		"lb_row in (select lb_row from lb_live_1)",
		"revenue in (select revenue from " + l.table + ")",
	} {
		f, err := l.Filter(ctx, where)
		if err == nil {
			res, _ := f.Page(ctx, 0, 10)
			f.Close()
			t.Errorf("dana's filter %q ran: %v", where, res)
		}
	}
	if f, err := l.Filter(ctx, "revenue > 1"); err != nil {
		t.Fatalf("a plain filter: %v", err)
	} else {
		f.Close()
	}
}

// TestAttackLiveSort: a column index out of the result is an error, not a
// panic, whatever its value.
func TestAttackLiveSort(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	_, l := danaLive(t, g)
	for _, c := range []int{-1, 1, 2000, math.MaxInt, math.MinInt} {
		if s, err := l.Sort(ctx, c, false); err == nil {
			s.Close()
			t.Errorf("sort by column %d worked", c)
		}
	}
}

// TestAttackExport: Export writes a regular file outside the target's own
// files: never through a link, never over the database, its lock, its
// logs, never to a device, never with an injected format.
func TestAttackExport(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	ro, l := danaLive(t, g)
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	os.WriteFile(victim, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	dirLink := filepath.Join(dir, "lb")
	if err := os.Symlink(filepath.Dir(g.path), dirLink); err != nil {
		t.Fatal(err)
	}
	// The query log and the lock exist, so they can be overwritten.
	if err := ro.RecordQuery(ctx, QueryRecord{SQL: "select 1", Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(lockPath(g.path), nil, 0o644)
	own := map[string][]byte{}
	for _, p := range []string{g.path, lockPath(g.path), auditPath(g.path), queryLogPath(g.path)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		own[p] = b
	}
	for _, c := range []struct{ path, format string }{
		{link, "csv"},
		{g.path, "csv"},
		{lockPath(g.path), "csv"},
		{auditPath(g.path), "json"},
		{queryLogPath(g.path), "json"},
		{filepath.Join(dirLink, filepath.Base(g.path)), "parquet"},
		{filepath.Join(dirLink, filepath.Base(auditPath(g.path))), "json"},
		{filepath.Join(filepath.Dir(g.path), "new.duckdb"), "parquet"},
		{"/dev/null", "csv"},
		{filepath.Join(dir, "x.parquet"), "parquet) TO '" + filepath.Join(dir, "injected") + "' (FORMAT csv"},
		{filepath.Join(dir, "x.csv"), "csv, HEADER false"},
		{filepath.Join(dir, "nodir", "x.csv"), "csv"},
		{dir, "csv"},
	} {
		if err := l.Export(ctx, c.path, c.format, nil); err == nil {
			t.Errorf("export to %s as %q worked", c.path, c.format)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
	for p, was := range own {
		if b, err := os.ReadFile(p); err != nil || string(b) != string(was) {
			t.Errorf("%s changed by an export (%v)", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "injected")); err == nil {
		t.Error("the injected COPY wrote its file")
	}
	// A name with quotes and a newline is a name like any other.
	odd := filepath.Join(dir, "a'b\"c\nd).csv")
	if err := l.Export(ctx, odd, "csv", nil); err != nil {
		t.Fatalf("export to an odd name: %v", err)
	}
	if b, err := os.ReadFile(odd); err != nil || !strings.HasPrefix(string(b), "revenue\n") {
		t.Errorf("the odd name holds %q (%v)", b, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "partial") {
			t.Errorf("a partial export was left: %s", e.Name())
		}
	}
}

// TestAttackHistoryOthers: dana sees none of the owner's or ben's queries,
// nor their SQL text through a search; a session records only its own.
func TestAttackHistoryOthers(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	w := openAs(t, g.path, "", false)
	if err := w.RecordQuery(ctx, QueryRecord{Principal: "owner", SQL: "select 'owner secret' from silver.orders", Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ben := openAs(t, g.path, "ben", true)
	if err := ben.RecordQuery(ctx, QueryRecord{SQL: "select 'ben secret'", Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := ben.RecordQuery(ctx, QueryRecord{Principal: "dana", SQL: "select 'forged'", Status: "ok"}); err == nil {
		t.Error("ben recorded a query as dana")
	}
	ben.Close()
	dana := openAs(t, g.path, "dana", true)
	for _, search := range []string{"", "secret", "owner", "ben", "%", "_", "' or '1'='1"} {
		got, err := dana.QueryHistory(ctx, search, 0)
		if err != nil {
			t.Fatalf("dana's history %q: %v", search, err)
		}
		for _, r := range got {
			if r.Principal != "dana" || strings.Contains(r.SQL, "secret") || strings.Contains(r.SQL, "forged") {
				t.Errorf("dana's history %q shows %+v", search, r)
			}
		}
	}
	for _, q := range []string{"select * from sys.query_history", "select sql from sys.query_history where principal = 'owner'"} {
		if l, err := dana.OpenLive(ctx, q, LiveOptions{}); err == nil {
			l.Close()
			t.Errorf("dana streamed %q", q)
		}
	}
}

// TestAttackQueryLogReplaced: the read-only sessions' query log replaced
// by hand with lines that are not chained records is not imported as
// records: the next writer flags each break in sys.audit.
func TestAttackQueryLogReplaced(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	dana := openAs(t, g.path, "dana", true)
	if err := dana.RecordQuery(ctx, QueryRecord{SQL: "select 1", Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	dana.Close()
	forged := `{"seq":1,"event_time":"2026-01-01T00:00:00Z","principal":"owner","action":"query","detail":"{\"sql\":\"select 'forged'\"}","hash":"x"}` + "\n"
	if err := os.WriteFile(queryLogPath(g.path), []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	w := openAs(t, g.path, "", false)
	got, err := w.QueryHistory(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if strings.Contains(r.SQL, "forged") {
			t.Errorf("a forged query record was imported: %+v", r)
		}
	}
	events, err := w.AuditEvents(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	flagged := false
	for _, e := range events {
		flagged = flagged || e.Action == ActionAuditTamper && strings.Contains(e.Detail, "query log")
	}
	if !flagged {
		t.Error("the replaced query log was not flagged in sys.audit")
	}
	// A link in its place is flagged too, never followed.
	os.Remove(queryLogPath(g.path))
	if err := os.Symlink(g.secret, queryLogPath(g.path)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w, err = Open(ctx, g.path, Options{})
	if err == nil {
		// Opened: the link was not followed.
		defer w.Close()
		got, err = w.QueryHistory(ctx, "", 0)
		if s := fmt.Sprint(got); err == nil && strings.Contains(s, "topsecret") {
			t.Errorf("the history read the link's target: %s", s)
		}
	} else if !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a linked query log: %v, want a refusal naming the link", err)
	}
}

// TestAttackCompleteLeaks: completion after names of ungranted schemas
// offers nothing of them.
func TestAttackCompleteLeaks(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	dana := openAs(t, g.path, "dana", true)
	for _, before := range []string{"select * from silver.", "select * from bronze_data.", "select * from sys.",
		"select  from silver.orders where ", "select silver.orders.", "select * from silver.orders o where o.",
		"select * from temp.", "select * from information_schema.", "select * from \"silver\".\"", "select * from "} {
		ss, err := dana.Complete(ctx, before, 500)
		if err != nil {
			continue
		}
		for _, s := range ss {
			switch strings.ToLower(strings.Trim(s.Text, `"`)) {
			case "orders", "order_id", "amount", "customers", "customers_quarantine", "audit", "grants", "query_history",
				"silver", "bronze", "bronze_data", "sys", "_record", "_reason", "email":
				if s.Kind != "keyword" && s.Kind != "function" {
					t.Errorf("dana's completion of %q offers %+v", before, s)
				}
			}
		}
	}
}

// TestAttackSettingsOnWriter: on a writer (where no sandbox holds, as when
// alerts are evaluated as a principal) current_setting shows no path of
// the machine to a principal, as duckdb_settings() does not.
func TestAttackSettingsOnWriter(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	w := openAs(t, g.path, "dana", false)
	for _, q := range []string{"select current_setting('temp_directory')", "select current_setting('secret_directory')",
		"select revenue from gold.revenue where current_setting('home_directory') is not null"} {
		if res, err := w.Query(ctx, q); err == nil {
			t.Errorf("dana on a writer ran %q: %v", q, res.Rows)
		}
	}
}

// TestAttackLiveRobustness: odd shapes and timings a user can cause end in
// a result or an error, never a panic or a hang: no columns, 2,000
// columns, a huge string, a cancel then at once another query, a close
// while pages are read.
func TestAttackLiveRobustness(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	ro := openAs(t, g.path, "dana", true)
	// No columns: DuckDB refuses an empty select list.
	if l, err := ro.OpenLive(ctx, "select * exclude (revenue) from gold.revenue", LiveOptions{}); err == nil {
		if cols := l.Columns(); len(cols) != 0 {
			t.Errorf("no columns: %v", cols)
		}
		if _, err := l.Page(ctx, 0, 10); err != nil {
			t.Errorf("a page of no columns: %v", err)
		}
		if s, err := l.Sort(ctx, 0, true); err == nil {
			s.Close()
			t.Error("sorted a result without columns")
		}
		l.Close()
	}
	// 2,000 columns, sorted, filtered and exported.
	cols := make([]string, 2000)
	for i := range cols {
		cols[i] = fmt.Sprintf("%d AS c%d", i, i)
	}
	wide, err := ro.OpenLive(ctx, "select "+strings.Join(cols, ", ")+" from range(3)", LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(wide.Columns()) != 2000 {
		t.Errorf("%d columns, want 2000", len(wide.Columns()))
	}
	s, err := wide.Sort(ctx, 1999, true)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Page(ctx, 0, 3); err != nil || len(p.Rows) != 3 || len(p.Rows[0]) != 2000 {
		t.Errorf("the sorted wide result: %v", err)
	}
	s.Close()
	if err := wide.Export(ctx, filepath.Join(t.TempDir(), "wide.parquet"), "parquet", nil); err != nil {
		t.Errorf("export of 2,000 columns: %v", err)
	}
	wide.Close()
	// A string of 16 MiB.
	big, err := ro.OpenLive(ctx, "select repeat('x', 16 << 20) as s", LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := big.Page(ctx, 0, 1); err != nil || len(p.Rows) != 1 || len(p.Rows[0][0].(string)) != 16<<20 {
		t.Errorf("the huge string: %v", err)
	}
	big.Close()
	// Canceled, then at once another query on the same session.
	for range 3 {
		slow, err := ro.OpenLive(ctx, "select count(*) from range(1000000000) a, range(10) b", LiveOptions{})
		if err == nil {
			slow.Cancel()
			if err := slow.Wait(ctx); err != nil && !errors.Is(err, ErrCanceled) {
				t.Errorf("a canceled query: %v", err)
			}
			slow.Close()
		}
		l, err := ro.OpenLive(ctx, "select revenue from gold.revenue", LiveOptions{})
		if err != nil {
			t.Fatalf("the query after a cancel: %v", err)
		}
		if p, err := l.Page(ctx, 0, 5); err != nil || len(p.Rows) != 1 {
			t.Errorf("the page after a cancel: %v %v", p, err)
		}
		l.Close()
	}
	// Closed while its pages are read: each read ends in rows or an error.
	many, err := ro.OpenLive(ctx, "select range as i from range(2000000)", LiveOptions{FirstPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for off := int64(0); off < 2_000_000; off += 100_000 {
			if _, err := many.Page(ctx, off, 1000); err != nil {
				return
			}
		}
	}()
	many.Close()
	<-done
	if _, err := many.Page(ctx, 0, 10); err == nil {
		t.Error("a closed result gave a page")
	}
	if _, err := many.Sort(ctx, 0, false); err == nil {
		t.Error("a closed result sorted")
	}
	if err := many.Export(ctx, filepath.Join(t.TempDir(), "x.csv"), "csv", nil); err == nil {
		t.Error("a closed result exported")
	}
}

// TestAttackExportDirectorySwap: the export's directory is swapped for a
// link to another directory (the target's own, or a victim's) while the
// export runs (at its first progress report, after the checks): nothing
// lands in the link's directory; the file goes to the directory that was
// opened and checked.
func TestAttackExportDirectorySwap(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	_, l := danaLive(t, g)
	for _, into := range []string{filepath.Dir(g.path), t.TempDir()} {
		base := t.TempDir()
		out := filepath.Join(base, "out")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		moved := filepath.Join(base, "moved")
		swapped := false
		err := l.Export(ctx, filepath.Join(out, "x.csv"), "csv", func(int64) {
			if swapped {
				return
			}
			swapped = true
			if err := os.Rename(out, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(into, out); err != nil {
				t.Fatal(err)
			}
		})
		if !swapped {
			t.Fatal("the export reported no progress: the swap never happened")
		}
		if _, serr := os.Lstat(filepath.Join(into, "x.csv")); serr == nil {
			t.Errorf("the export followed the swapped-in link into %s (err %v)", into, err)
		}
		entries, _ := os.ReadDir(into)
		for _, e := range entries {
			if strings.Contains(e.Name(), "partial") || strings.HasSuffix(e.Name(), ".csv") {
				t.Errorf("the export left %s in %s", e.Name(), into)
			}
		}
		if err == nil {
			if _, serr := os.Stat(filepath.Join(moved, "x.csv")); serr != nil {
				t.Errorf("the export succeeded but is not in the opened directory: %v", serr)
			}
		}
	}
}
