package lakehouse

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func openTemp(t testing.TB) *Lakehouse {
	t.Helper()
	lh, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.duckdb"), Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lh.Close() })
	return lh
}

func TestTableRefs(t *testing.T) {
	lh := openTemp(t)
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"join and subquery", "select a.x from silver.orders a join gold.b using(id) where x in (select y from bronze.c)", []string{"bronze.c", "gold.b", "silver.orders"}},
		{"cte is not a table", "with recent as (select * from silver.orders) select * from recent join silver.customers using (customer_id)", []string{"silver.customers", "silver.orders"}},
		{"nested cte", "select * from (with z as (select 1 x) select * from z, bronze.t)", []string{"bronze.t"}},
		{"union and case", "select 1 from silver.a union all select 2 from SILVER.B", []string{"silver.a", "silver.b"}},
		{"table function only", "select * from range(10)", nil},
		{"unqualified", "select * from orders", []string{".orders"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refs, err := lh.TableRefs(context.Background(), tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				got = append(got, r.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTableRefsRejects(t *testing.T) {
	lh := openTemp(t)
	for _, sql := range []string{"selec * from x", "select 1; select 2", "insert into a values (1)"} {
		_, err := lh.TableRefs(context.Background(), sql)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: got %v, want a *ParseError", sql, err)
		}
	}
}

// TestCancelInterruptsAndStaysUsable cancels a long query mid-flight: DuckDB
// is interrupted, the call returns ErrCanceled, and the same lakehouse
// answers the next query.
func TestCancelInterruptsAndStaysUsable(t *testing.T) {
	lh := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := lh.Query(ctx, "select sum(range % 7) from range(100000000000)")
		done <- err
	}()
	// Mid-flight is an event, not a duration: the query has burned CPU
	// time of its own (however busy the machine, however long that takes).
	waitCPU(t, 200*time.Millisecond, done)
	cancel()
	if err := <-done; !errors.Is(err, ErrCanceled) {
		t.Fatalf("got %v, want ErrCanceled", err)
	}
	res, err := lh.Query(context.Background(), "select 42")
	if err != nil || res.Rows[0][0] != int32(42) {
		t.Fatalf("after cancel: %v %v", res, err)
	}
}

// waitCPU waits until this process has used d more CPU time (user and
// system) than when called: a sign that work started in another goroutine
// is under way, which wall-clock time on a busy machine is not. The work
// ending first (on done) fails the test.
func waitCPU(t *testing.T, d time.Duration, done <-chan error) {
	t.Helper()
	used := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for start := used(); used()-start < d; {
		select {
		case err := <-done:
			t.Fatalf("the work ended before it was interrupted: %v", err)
		default:
		}
		time.Sleep(time.Millisecond) // a polling interval, not a deadline
	}
}

// TestPageErrorShowsTheUsersSQL: DuckDB's error context points into the
// user's SQL, not the paging query around it.
func TestPageErrorShowsTheUsersSQL(t *testing.T) {
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	_, err = lh.Page(context.Background(), "select nosuch from range(3)", 0, 10)
	if err == nil || strings.Contains(err.Error(), "lb_page") || !strings.Contains(err.Error(), "LINE 1: select nosuch from range(3)\n               ^") {
		t.Errorf("got %v", err)
	}
}
