package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// goldTable is a gold table of the sample, as the workspace's catalog
// lists it to its principal.
func goldTable(t *testing.T, ws *Workspace, target string) lakehouse.TableInfo {
	t.Helper()
	tables, err := ws.Catalog(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tables {
		if ti.Schema == "gold" {
			return ti
		}
	}
	t.Fatalf("no gold table in %v", tables)
	return lakehouse.TableInfo{}
}

// TestAnalystGovernance: the Analyst view's calls run as the session's
// principal (--as): dana, an analyst granted gold and ml, reads gold
// through Query, and is refused silver, sys.* and every DDL and DML before
// it runs, the missing grant named (never DuckDB's read-only error); her
// catalog and completion name nothing past her grants; her history holds
// her queries only, refused ones included; ben, an engineer with MODIFY on
// gold, is refused a write because the view reads only; the owner sees
// everyone's history.
func TestAnalystGovernance(t *testing.T) {
	ctx := context.Background()
	dir := copySample(t, nil)
	deploySample(t, dir)

	dana := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "dana"})
	defer dana.Close()
	info, err := dana.Prepare(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	target := info.Target

	// The catalog: gold and ml, with columns, rows as lakebench kept them.
	tables, err := dana.Catalog(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tables {
		if ti.Schema != "gold" && ti.Schema != "ml" {
			t.Errorf("dana's catalog lists %s", ti.Name)
		}
		if (ti.Estimated && ti.Schema == "gold") || len(ti.Columns) == 0 {
			t.Errorf("%s: estimated %v, %d columns", ti.Name, ti.Estimated, len(ti.Columns))
		}
	}
	gold := goldTable(t, dana, target)

	// A SELECT she may run streams.
	live, err := dana.Query(ctx, target, "select count(*) as n from "+gold.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := live.Page(ctx, 0, 10)
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("page: %v %v", page, err)
	}

	// Refused before running, the grant named.
	for _, c := range []struct{ sql, want string }{
		{"select * from silver.orders", "dana may not read silver.orders: it needs SELECT"},
		{"select * from sys.query_history", "dana may not read sys.query_history"},
		{"select * from sys.audit", "dana may not read sys.audit"},
		{"select * from sys.grants", "dana may not read sys.grants"},
		{"delete from " + gold.Name, "dana may not write " + gold.Name + ": it needs MODIFY"},
		{"update " + gold.Name + " set " + gold.Columns[0].Name + " = null", "it needs MODIFY"},
		{"insert into " + gold.Name + " select * from " + gold.Name, "it needs MODIFY"},
		{"drop table " + gold.Name, "only the target's owner"},
		{"create table gold.mine as select 1 as x", "only the target's owner"},
		{"alter table " + gold.Name + " rename to gone", "only the target's owner"},
		{"attach 'other.duckdb' as o", "only the target's owner"},
		{"copy " + gold.Name + " to 'out.csv'", "only the target's owner"},
	} {
		live, err := dana.Query(ctx, target, c.sql)
		if live != nil {
			live.Close()
		}
		var ae *lakehouse.AccessError
		switch {
		case err == nil:
			t.Errorf("dana ran %q", c.sql)
		case !errors.As(err, &ae) || !strings.Contains(err.Error(), c.want):
			t.Errorf("dana %q: got %v, want an access error saying %q", c.sql, err, c.want)
		case strings.Contains(err.Error(), "read-only"):
			t.Errorf("dana %q: DuckDB's read-only error: %v", c.sql, err)
		}
	}

	// Completion names nothing of silver, bronze or sys.
	for _, before := range []string{"select * from ", "select * from silver.", "select * from sys.", "select * from silver.orders o where o."} {
		got, err := dana.Complete(ctx, target, before)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			if s.Kind != lakehouse.KindKeyword && s.Kind != lakehouse.KindFunction &&
				(strings.Contains(s.Text, "silver") || strings.Contains(s.Text, "bronze") || strings.Contains(s.Text, "sys") ||
					strings.Contains(s.Detail, "silver") || strings.Contains(s.Detail, "sys.")) {
				t.Errorf("dana's completion of %q offers %+v", before, s)
			}
		}
	}
	if got, _ := dana.Complete(ctx, target, "select * from gold."); len(got) == 0 {
		t.Error("dana's completion offers none of gold's tables")
	}

	// Her history: her queries, the refused ones as errors.
	hist, err := dana.History(ctx, target, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{}
	for _, r := range hist {
		if r.Principal != "dana" {
			t.Errorf("dana's history holds %s's query %q", r.Principal, r.SQL)
		}
		statuses[r.SQL] = r.Status
	}
	if statuses["select count(*) as n from "+gold.Name] != "ok" || statuses["select * from silver.orders"] != "error" || statuses["drop table "+gold.Name] != "error" {
		t.Errorf("dana's history: %v", statuses)
	}
	if got, _ := dana.History(ctx, target, "SILVER", 0); len(got) != 1 || got[0].SQL != "select * from silver.orders" {
		t.Errorf("dana's history searched for SILVER: %v", got)
	}
	dana.Close()

	// ben may modify gold: the view still runs no write, and says where.
	ben := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "ben"})
	defer ben.Close()
	if _, err := ben.Prepare(ctx, func(string) {}); err != nil {
		t.Fatal(err)
	}
	_, err = ben.Query(ctx, target, "delete from "+gold.Name)
	var ro *lakehouse.ReadOnlyError
	if !errors.As(err, &ro) || strings.Contains(err.Error(), "read-only mode") {
		t.Errorf("ben's delete: got %v, want a ReadOnlyError", err)
	}
	if hist, err := ben.History(ctx, target, "", 0); err != nil || len(hist) != 1 || hist[0].Principal != "ben" || hist[0].Status != "error" {
		t.Errorf("ben's history: %v %v", hist, err)
	}
	ben.Close()

	// The owner (the target's identity, who deployed it) sees everyone's.
	owner := newWorkspace(t, WorkspaceOptions{Dir: dir})
	defer owner.Close()
	if _, err := owner.Prepare(ctx, func(string) {}); err != nil {
		t.Fatal(err)
	}
	all, err := owner.History(ctx, target, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var who []string
	for _, r := range all {
		if !slices.Contains(who, r.Principal) {
			who = append(who, r.Principal)
		}
	}
	slices.Sort(who)
	if strings.Join(who, ",") != "ben,dana" {
		t.Errorf("the owner's history holds the queries of %v, want ben's and dana's", who)
	}
	owner.Close()

	// Every query of dana's is in the audit, allowed or refused.
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath(target), lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	events, err := lh.AuditEvents(ctx, lakehouse.AuditFilter{Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	allowed, refused := 0, 0
	for _, e := range events {
		switch {
		case e.Allowed && e.Action == "SELECT" && slices.Contains(e.Tables, gold.Name):
			allowed++
		case !e.Allowed:
			refused++
		}
	}
	if allowed == 0 || refused < 12 {
		t.Errorf("dana's audit: %d allowed reads of %s, %d refusals (want 12 or more)", allowed, gold.Name, refused)
	}
}

// TestAnalystSessionClosedByWrite: the workspace's read-only session holds
// the file only while a query streams or a call runs; a write of the same
// workspace (an alert check, a run) closes it first instead of waiting on
// it forever: a query still streaming is interrupted, answers that a run
// closed it and is recorded canceled, while complete results (the store's)
// stay readable; the next query opens the file again.
func TestAnalystSessionClosedByWrite(t *testing.T) {
	ctx := context.Background()
	ws := copyWorkspace(t)
	defer ws.Close()
	target := testInfo.Target

	done, err := ws.Query(ctx, target, "select 42 as answer")
	if err != nil {
		t.Fatal(err)
	}
	if err := done.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if ws.Holding(target) {
		t.Error("the session holds the file with its only result complete")
	}
	// Streams far past its first page: still running when the write comes.
	long := "select i, i * 2 as j from range(2000000000) t(i)"
	streaming, err := ws.Query(ctx, target, long)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Complete(ctx, target, "select * from gold."); err != nil {
		t.Fatal(err)
	}
	if !ws.Holding(target) {
		t.Error("the session does not hold the file while a query streams")
	}

	// A write through writing (sys.alert_history) closes the session.
	if _, err := ws.CheckAlerts(ctx, target); err != nil {
		t.Fatal(err)
	}
	if _, err := streaming.Page(ctx, 0, 10); err == nil || !errors.Is(err, errClosedByRun) {
		t.Errorf("the streaming result of the closed session answers %v, want %v", err, errClosedByRun)
	}
	if err := streaming.Wait(ctx); err == nil {
		t.Error("the streaming query was not interrupted")
	}
	if p, err := done.Page(ctx, 0, 10); err != nil || len(p.Rows) != 1 || fmt.Sprint(p.Rows[0][0]) != "42" {
		t.Errorf("the complete result after the write: %v, %v", p, err)
	}

	// The next query opens the file again; a run leaves the complete
	// results, sorted ones included.
	again, err := ws.Query(ctx, target, "select 43 as answer")
	if err != nil {
		t.Fatal(err)
	}
	sorted, err := again.Sort(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := sorted.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ws.Run(ctx, target, DefaultJob, func(pipeline.Event) {}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*lakehouse.Live{again, sorted} {
		if p, err := l.Page(ctx, 0, 10); err != nil || len(p.Rows) != 1 {
			t.Errorf("after a run: %v, %v", p, err)
		}
	}
	if f, err := again.Filter(ctx, "answer > 42"); err != nil {
		t.Errorf("a filter after the run (the file reopened for its check): %v", err)
	} else {
		f.Close()
	}
	if ws.Holding(target) {
		t.Error("the session holds the file after the filter's check")
	}

	hist, err := ws.History(ctx, target, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{}
	for _, r := range hist {
		statuses[r.SQL] = r.Status
	}
	if statuses["select 42 as answer"] != "ok" || statuses[long] != "canceled" || statuses["select 43 as answer"] != "ok" {
		t.Errorf("history: %v", statuses)
	}
}

// TestLoadReadsAlerts: a load carries every alert's latest state (no
// history) for the status bar, and Info the bundle's dashboards.
func TestLoadReadsAlerts(t *testing.T) {
	var names []string
	for _, a := range testSnap.Alerts {
		names = append(names, a.Alert)
		if len(a.History) != 0 {
			t.Errorf("%s: a load read %d evaluations of history", a.Alert, len(a.History))
		}
	}
	if strings.Join(names, ",") != strings.Join(testInfo.Alerts, ",") || testSnap.Refused[RefusedAlerts] != "" {
		t.Errorf("alerts %v (refused %q), want %v", names, testSnap.Refused[RefusedAlerts], testInfo.Alerts)
	}
	var dashboards []string
	for n := range testInfo.DashboardDefs {
		dashboards = append(dashboards, n)
	}
	slices.Sort(dashboards)
	if len(dashboards) == 0 || strings.Join(dashboards, ",") != strings.Join(testInfo.Dashboards, ",") {
		t.Errorf("dashboard definitions %v, want %v", dashboards, testInfo.Dashboards)
	}
}

// TestAnalystSessionUnderWrites: completions, catalogs and histories asked
// for while the same workspace checks alerts (a write) all end: each is
// answered, or refused while the write holds the file (errRunning), or
// interrupted by the write closing the session; none waits forever and the
// writes go through.
func TestAnalystSessionUnderWrites(t *testing.T) {
	ctx := context.Background()
	ws := copyWorkspace(t)
	defer ws.Close()
	target := testInfo.Target
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				var err error
				switch (g + i) % 3 {
				case 0:
					_, err = ws.Complete(ctx, target, "select * from gold.")
				case 1:
					_, err = ws.Catalog(ctx, target)
				case 2:
					_, err = ws.History(ctx, target, "", 10)
				}
				if err != nil && !errors.Is(err, errRunning) && !errors.Is(err, context.Canceled) && !errors.Is(err, lakehouse.ErrCanceled) &&
					!strings.Contains(err.Error(), "context canceled") {
					errs <- err
				}
			}
		}()
	}
	for range 2 {
		if _, err := ws.CheckAlerts(ctx, target); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call during the writes: %v", err)
	}
	if _, err := ws.Catalog(ctx, target); err != nil {
		t.Errorf("after the writes: %v", err)
	}
}

// TestAnalystCompleterKept: completions come from a Completer kept while
// the target's file is unchanged, holding no file; a write makes a new one.
func TestAnalystCompleterKept(t *testing.T) {
	ctx := context.Background()
	ws := copyWorkspace(t)
	defer ws.Close()
	target := testInfo.Target
	kept := func() *lakehouse.Completer {
		t.Helper()
		got, err := ws.Complete(ctx, target, "select * from gold.")
		if err != nil || len(got) == 0 {
			t.Fatalf("completion: %v, %v", got, err)
		}
		if ws.Holding(target) {
			t.Error("the session holds the file after a completion")
		}
		p, _ := ws.proj(target)
		ws.completeMu.Lock()
		defer ws.completeMu.Unlock()
		return ws.completers[p.DatabasePath(target)].c
	}
	first := kept()
	if again := kept(); again != first {
		t.Error("the file is unchanged, and a new completer was made")
	}
	if _, err := ws.CheckAlerts(ctx, target); err != nil { // writes sys.alert_history
		t.Fatal(err)
	}
	if after := kept(); after == first {
		t.Error("the file was written, and the completer was kept")
	}
}
