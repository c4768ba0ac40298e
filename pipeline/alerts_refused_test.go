package pipeline

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestAttackAlertsCheckRefusedIsNotRecorded: dana's on-demand check of an
// alert on silver (which she may not read) answers ERROR to her but leaves
// the owner's TRIGGERED state as it was, so she can neither hide a firing
// alert from everyone nor make the owner's next check notify again.
func TestAttackAlertsCheckRefusedIsNotRecorded(t *testing.T) {
	ctx := context.Background()
	p, out := attackProject(t)
	lh := openTarget(t, p)
	defer lh.Close()
	if _, err := p.CheckAlerts(ctx, lh, []string{"silver"}, ""); err != nil {
		t.Fatal(err)
	}
	os.Remove(out)
	lh.SetPrincipal("dana")
	sts, err := p.CheckAlerts(ctx, lh, []string{"silver"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 || sts[0].State != AlertError || !strings.Contains(sts[0].Error, "dana may not read silver.orders") {
		t.Fatalf("dana's check: %+v", sts)
	}
	lh.SetPrincipal("")
	logs, err := lh.AlertHistory(ctx, []string{"silver"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ev := logs["silver"].Events; len(ev) != 1 || ev[0].State != string(AlertTriggered) {
		t.Fatalf("after dana's refused check the alert's latest state is %+v, want the owner's TRIGGERED", ev)
	}
	if _, err := p.CheckAlerts(ctx, lh, []string{"silver"}, ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); len(strings.TrimSpace(string(b))) != 0 {
		t.Errorf("the owner's check after dana's notified again: %s", b)
	}
}
