package lakehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCheckSelect: in a read-only session, a statement that is not a
// SELECT is refused before it runs: naming the missing grant when the
// principal lacks it, else saying where it can run, never with DuckDB's
// read-only error; both refusals are audited. SELECTs and SQL that does
// not parse pass (the query reports DuckDB's error and its position).
func TestCheckSelect(t *testing.T) {
	ctx := context.Background()
	g := newAttackTarget(t)
	for _, c := range []struct {
		who, sql string
		want     string // "" passes; else a piece of the refusal
		readOnly bool   // a *ReadOnlyError, not an *AccessError
	}{
		{"dana", "select * from gold.revenue", "", false},
		{"dana", "selec * from gold.revenue", "", false},
		{"dana", "delete from gold.revenue", "needs MODIFY on gold.revenue", false},
		{"dana", "insert into gold.revenue values (1)", "needs MODIFY on gold.revenue", false},
		{"dana", "update silver.orders set amount = 0", "needs SELECT on silver.orders", false},
		{"dana", "create table gold.x as select 1", "only the target's owner", false},
		{"dana", "drop table gold.revenue", "only the target's owner", false},
		{"dana", "select 1; delete from gold.revenue", "may not run", false},
		{"owner", "select 1; delete from gold.revenue", "one statement at a time", false},
		{"owner", "delete from gold.revenue", "DELETE is not one; run it with `lakebench query`", true},
		{"owner", "create table gold.x as select 1", "CREATE is not one", true},
		{"owner", "select * from sys.query_history", "", false},
	} {
		lh := openAs(t, g.path, c.who, true)
		err := lh.CheckSelect(ctx, c.sql)
		var ro *ReadOnlyError
		var ae *AccessError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %q: %v, want it to pass", c.who, c.sql, err)
		case c.want == "":
		case err == nil || !strings.Contains(err.Error(), c.want):
			t.Errorf("%s %q: got %v, want %q", c.who, c.sql, err, c.want)
		case c.readOnly && !errors.As(err, &ro), !c.readOnly && !errors.As(err, &ae):
			t.Errorf("%s %q: got a %T", c.who, c.sql, err)
		case strings.Contains(err.Error(), "read-only mode"):
			t.Errorf("%s %q: DuckDB's read-only error: %v", c.who, c.sql, err)
		}
		lh.Close()
	}
	w := openAs(t, g.path, "", false)
	events, err := w.AuditEvents(ctx, AuditFilter{Principal: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range events {
		if !e.Allowed && strings.Contains(e.Detail, "is not one") {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("the owner's read-only refusals audited %d times, want 2: %+v", refused, events)
	}
}
