package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestAttackAnalystWorkspaces: the owner's and dana's workspaces in one
// process on one target. dana reaches nothing of the owner's session (its
// streamed results' tables, its queries' text), no tile reading past her
// grants gives rows, and no statement slips past the check through
// comments or odd unicode.
func TestAttackAnalystWorkspaces(t *testing.T) {
	ctx := context.Background()
	dir := copySample(t, nil)
	deploySample(t, dir)
	owner := newWorkspace(t, WorkspaceOptions{Dir: dir})
	defer owner.Close()
	info, err := owner.Prepare(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	target := info.Target
	secret := "select 'owner secret 7Q' as s from sys.grants"
	ol, err := owner.Query(ctx, target, secret)
	if err != nil {
		t.Fatal(err)
	}
	defer ol.Close()
	if err := ol.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	sorted, err := ol.Sort(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sorted.Close()

	dana := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "dana"})
	defer dana.Close()
	if _, err := dana.Prepare(ctx, func(string) {}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"select * from lb_live_1", "select * from temp.main.lb_live_1", "select * from lb_live_2",
		"select * from temp.information_schema.tables", "select * from duckdb_temporary_files()",
		"/* a comment */ delete from gold.daily_revenue",
		"select 1; delete from gold.daily_revenue",
		"select 1 \u037e delete from gold.daily_revenue",
		"select 1 -- ;\n; select * from silver.orders",
		"se\u200blect * from silver.orders",
		"select * from \"silver\".orders",
		"select * from SILVER.ORDERS",
		"pragma table_info('silver.orders')",
		"call pragma_table_info('silver.orders')",
		"select * from pragma_table_info('silver.orders')",
		"select current_setting('temp_directory')",
		"export database 'out'",
		"install httpfs", "load httpfs", "set threads = 1", "attach ':memory:' as m",
	} {
		l, err := dana.Query(ctx, target, q)
		if err == nil {
			p, _ := l.Page(ctx, 0, 5)
			l.Close()
			t.Errorf("dana ran %q: %v", q, p)
		}
	}
	hist, err := dana.History(ctx, target, "secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range hist {
		if r.Principal != "dana" || strings.Contains(r.SQL, "7Q") {
			t.Errorf("dana's history shows %+v", r)
		}
	}
	tables, err := dana.Catalog(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tables {
		if ti.Schema != "gold" && ti.Schema != "ml" {
			t.Errorf("dana's catalog lists %s", ti.Name)
		}
	}
	for name, d := range info.DashboardDefs {
		for i := range d.Tiles {
			td, err := dana.Tile(ctx, target, name, i)
			if err != nil && td != nil && len(td.Rows) > 0 {
				t.Errorf("dana's tile %s/%d failed with rows: %v", name, i, err)
			}
			var ae *lakehouse.AccessError
			if err != nil && strings.Contains(err.Error(), "may not") && !errors.As(err, &ae) {
				t.Errorf("dana's tile %s/%d: %T %v", name, i, err, err)
			}
		}
	}
	// The owner's results are untouched by dana's session.
	if p, err := ol.Page(ctx, 0, 1); err != nil || len(p.Rows) != 1 {
		t.Errorf("the owner's result after dana's attacks: %v %v", p, err)
	}
}

// TestAttackAnalystCtrlC: ctrl+c cancels a running query and does not
// quit; pressed again once nothing runs, it quits.
func TestAttackAnalystCtrlC(t *testing.T) {
	m, v := analystOn(t, copyWorkspace(t), 80, 24)
	typeText(m, "select count(*) from range(1000000000) a, range(1000000) b where a.range + b.range = -1")
	_, cmd := m.Update(ctrlJ)
	_, cmd = m.Update(cmd())
	if !v.run.running() {
		t.Fatal("not running after ctrl+j")
	}
	r := newRunner()
	r.start(cmd)
	_, cmd = m.Update(keyMsg("ctrl+c"))
	if m.quitting {
		t.Fatal("ctrl+c quit the app while a query ran")
	}
	r.start(cmd)
	r.drain(t, m)
	if v.run.running() || v.TakesCtrlC() {
		t.Fatal("still running after ctrl+c")
	}
	m.Update(keyMsg("ctrl+c"))
	if !m.quitting {
		t.Error("ctrl+c with nothing running did not quit")
	}
}
