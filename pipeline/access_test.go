package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestTaskSQLIsCheckedOnItsPlan: a task of type sql or alerts declares no
// tables; what its SQL reads and writes comes from the bound plan, checked
// as the run's principal, and a refusal is audited.
func TestTaskSQLIsCheckedOnItsPlan(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	landing := filepath.Join(dir, "landing", "orders", "orders_2026-01-01.csv")
	writeTestFile(t, dir, FileName, testProject+`
  alerts:
    silver_peek: {query: "select count(*) as n from silver.orders", column: n, op: ">", threshold: 0}
    gold_ok: {query: "select count(*) as n from gold.revenue", column: n, op: ">", threshold: 0}
  jobs:
    build: {tasks: [{task_key: all, type: transform}]}
    wipe: {tasks: [{task_key: wipe, type: sql, sql: "DELETE FROM silver.orders"}]}
    sneak: {tasks: [{task_key: sneak, type: sql, sql: "INSERT INTO gold.revenue SELECT * FROM (with \"`+landing+`\" as (select 1) select 1), '`+landing+`'"}]}
    audit_wipe: {tasks: [{task_key: wipe_audit, type: sql, sql: "DELETE FROM sys.audit"}]}
    peek: {tasks: [{task_key: peek, type: alerts, alerts: [silver_peek]}]}
    gold_alert: {tasks: [{task_key: ok, type: alerts, alerts: [gold_ok]}]}
  groups:
    analysts: {members: [dana]}
  schemas:
    gold: {grants: [{principal: analysts, privileges: [SELECT]}]}
    silver: {grants: [{principal: ben, privileges: [SELECT, MODIFY]}]}
permissions:
  - {level: CAN_RUN, group_name: analysts}
  - {level: CAN_RUN, user_name: ben}
`)
	// The owner's model may read a file (the owner may); nobody else's.
	writeTestFile(t, dir, "sql/gold/raw_orders.sql", "select * from read_csv('"+landing+"')")
	p, err := LoadWith(dir, LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatalf("the owner's default run: %v", err)
	}
	if n := count(t, lh, "select * from gold.raw_orders"); n != 4 {
		t.Errorf("the owner's model read %d rows of its landing file, want 4", n)
	}
	before := count(t, lh, "select * from silver.orders")
	for _, tc := range []struct{ job, principal, want string }{
		{"wipe", "dana", "dana may not read silver.orders"}, // a DELETE reads what it deletes: SELECT first
		{"sneak", "dana", "refused"},
		{"audit_wipe", "dana", "no one may write sys.audit"},
		{"audit_wipe", p.Identity(), "no one may write sys.audit"},
		{"peek", "dana", "dana may not read silver.orders"},
		{"build", "dana", "dana may not write"},
	} {
		_, err := p.Run(ctx, lh, RunOptions{Job: tc.job, Target: "dev", Principal: tc.principal})
		var ae *lakehouse.AccessError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s running %s: %v, want an *AccessError containing %q", tc.principal, tc.job, err, tc.want)
		}
	}
	if n := count(t, lh, "select * from silver.orders"); n != before {
		t.Errorf("silver.orders has %d rows after the refused runs, want %d", n, before)
	}
	// Allowed: dana's alert on gold; ben's delete with MODIFY on silver.
	if _, err := p.Run(ctx, lh, RunOptions{Job: "gold_alert", Target: "dev", Principal: "dana"}); err != nil {
		t.Errorf("dana's alert on gold: %v", err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: "wipe", Target: "dev", Principal: "ben"}); err != nil {
		t.Errorf("ben's delete from silver.orders: %v", err)
	}
	if n := count(t, lh, "select * from silver.orders"); n != 0 {
		t.Errorf("silver.orders has %d rows after ben's delete", n)
	}
	// Each refused task is in the audit, with its principal.
	if n := count(t, lh, "select * from sys.audit where principal = 'dana' and not allowed and action like 'task:%'"); n != 5 {
		t.Errorf("%d refused tasks of dana audited, want 5", n)
	}
	if n := count(t, lh, "select * from sys.audit where principal = 'ben' and allowed and action like 'task:%' and list_contains(tables, 'silver.orders')"); n != 1 {
		t.Errorf("ben's allowed delete audited %d times with silver.orders, want 1", n)
	}
}
