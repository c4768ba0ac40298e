package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

const slaProject = testProject + `sla:
  availability: 0.9
  window: 7d
  freshness: {gold.revenue: 24h, silver.orders: 24h}
  rpo: 24h
backup: {keep: 4}
targets:
  dev:
    default: true
    sla: {rto: 10m, freshness: {silver.orders: 2h}}
  staging:
    sla: {availability: 0.99, window: 1d}
    backup: {dir: /var/backups/lake, keep: 9}
`

// A target's sla and backup override the top level's setting by setting,
// freshness table by table.
func TestSLAMergesTargets(t *testing.T) {
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, slaProject)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	dev := p.SLAFor("dev")
	if dev.Availability != 0.9 || dev.Window != "7d" || dev.RPO != "24h" || dev.RTO != "10m" ||
		dev.Freshness["gold.revenue"] != "24h" || dev.Freshness["silver.orders"] != "2h" {
		t.Errorf("dev's SLA: got %+v", dev)
	}
	st := p.SLAFor("staging")
	if st.Availability != 0.99 || st.Window != "1d" || st.RPO != "24h" || st.RTO != "" || st.Freshness["silver.orders"] != "24h" {
		t.Errorf("staging's SLA: got %+v", st)
	}
	if p.SLA.Freshness["silver.orders"] != "24h" {
		t.Errorf("merging changed the top level: %+v", p.SLA)
	}
	if got := p.BackupDir("dev"); got != filepath.Join(dir, ".lakebench", "backups") {
		t.Errorf("dev's backups: %s", got)
	}
	if got, k := p.BackupDir("staging"), p.BackupFor("staging").Keep; got != "/var/backups/lake" || k != 9 {
		t.Errorf("staging's backups: %s keep %d", got, k)
	}
	if k := p.BackupFor("dev").Keep; k != 4 {
		t.Errorf("dev keeps %d, want the top level's 4", k)
	}
}

// Every bad sla or backup setting is an error at its place in the file.
func TestSLAValidate(t *testing.T) {
	dir := writeProject(t, fastGold)
	yml := testProject + `sla:
  availability: 99
  rpo: soon
  freshness: {gold.revenu: 24h, silver.orders: often}
targets:
  dev:
    default: true
    sla: {availability: -0.5, window: weekly}
    backup: {keep: -1}
`
	writeTestFile(t, dir, FileName, yml)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	v := p.Validate(context.Background(), lh)
	at := func(key string, nth int) string {
		lines := strings.Split(yml, "\n")
		for i, l := range lines {
			if c := strings.Index(l, key); c >= 0 {
				if nth == 0 {
					return fmt.Sprintf("%s:%d:%d", filepath.Join(dir, FileName), i+1, c+1)
				}
				nth--
			}
		}
		t.Fatalf("no %q in the file", key)
		return ""
	}
	for _, want := range []string{
		at("availability: 99", 0) + `: availability 99 is more than 1 (write it as a share: availability: 0.99 for 99%)`,
		at("rpo: soon", 0) + `: rpo "soon" is not a duration`,
		at("gold.revenu", 0) + `: sla freshness refers to unknown table "gold.revenu"`,
		`freshness of silver.orders "often" is not a duration`,
		`availability -0.5 is not a share from 0 to 1`,
		`window "weekly" is not a duration`,
		at("keep: -1", 0) + `: backup keep -1 is not a number of snapshots`,
	} {
		if !strings.Contains(v.Errors.Error(), want) {
			t.Errorf("validation lacks %q; got:\n%v", want, v.Errors)
		}
	}
	if !strings.Contains(v.Errors.Error(), "did you mean gold.revenue?") {
		t.Errorf("no did-you-mean for gold.revenu: %v", v.Errors)
	}
}

// The report measures each objective: availability over the window from
// sys.runs, freshness from the last writes, RPO from the newest backup,
// RTO from the last restore; unmeasured ones are not Known.
func TestSLAReport(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, FileName, slaProject)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, r := range []lakehouse.Run{
		{RunID: "failed-1", Job: "nightly", Target: "dev", StartedAt: now.Add(-time.Hour), EndedAt: now.Add(-time.Hour), Status: "failed"},
		{RunID: "old-ok", Job: "nightly", Target: "dev", StartedAt: now.Add(-10 * 24 * time.Hour), EndedAt: now.Add(-10 * 24 * time.Hour), Status: "failed"},
	} {
		if err := lh.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	byName := func(rep *SLAReport) map[string]Objective {
		out := map[string]Objective{}
		for _, o := range rep.Objectives {
			out[o.Name] = o
		}
		return out
	}
	p.Clock = func() time.Time { return now }
	rep, err := p.SLAReport(ctx, lh)
	if err != nil {
		t.Fatal(err)
	}
	o := byName(rep)
	if a := o["availability"]; !a.Known || a.Met || a.Observed != "50%" || !strings.Contains(a.Detail, "1 of 2 runs in 7d succeeded") {
		t.Errorf("availability: %+v; want 1 of 2 runs (the 10-day-old one outside the window), missed", a)
	}
	if f := o["freshness:gold.revenue"]; !f.Known || !f.Met || f.Target != "≤ 24h" {
		t.Errorf("fresh gold.revenue: %+v", f)
	}
	if f := o["freshness:silver.orders"]; !f.Known || f.Target != "≤ 2h" {
		t.Errorf("silver.orders with dev's own objective: %+v", f)
	}
	if r := o["rpo"]; r.Known || r.Observed != "no backup" {
		t.Errorf("rpo without a backup: %+v", r)
	}
	if r := o["rto"]; r.Known || r.Observed != "no restore" {
		t.Errorf("rto without a restore: %+v", r)
	}
	// Each objective says where the bundle sets it: dev overrides rto and
	// silver.orders' freshness, the rest is the top level's.
	for name, want := range map[string]string{"availability": "sla", "freshness:gold.revenue": "sla", "rpo": "sla",
		"freshness:silver.orders": "targets.dev.sla", "rto": "targets.dev.sla"} {
		if got := o[name].Source; got != want {
			t.Errorf("%s comes from %q, want %q", name, got, want)
		}
	}
	if got := strings.Join(rep.Sources(), ", "); got != "sla, targets.dev.sla" {
		t.Errorf("the report's sources: %q", got)
	}

	b, err := lh.Backup(ctx, p.BackupOptions("dev"))
	if err != nil {
		t.Fatal(err)
	}
	lh.Close()
	r, err := lakehouse.Restore(ctx, p.DatabasePath("dev"), lakehouse.RestoreOptions{Dir: p.BackupDir("dev"), Snapshot: "latest", Principal: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	lh, err = lakehouse.Open(ctx, p.DatabasePath("dev"), lakehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	// Two days on: the tables and the backup are older than their
	// objectives; the restore's measured time stays what it was.
	p.Clock = func() time.Time { return b.CreatedAt.Add(48 * time.Hour) }
	rep, err = p.SLAReport(ctx, lh)
	if err != nil {
		t.Fatal(err)
	}
	o = byName(rep)
	if x := o["rpo"]; !x.Known || x.Met || x.Observed != "2d 0h" || !strings.Contains(x.Detail, b.ID) {
		t.Errorf("rpo two days after the backup: %+v", x)
	}
	if x := o["rto"]; !x.Known || x.Met != (r.Duration <= 10*time.Minute) || x.Observed != FormatAge(r.Duration) || !strings.Contains(x.Detail, b.ID) {
		t.Errorf("rto after a restore of %v: %+v", r.Duration, x)
	}
	if f := o["freshness:gold.revenue"]; !f.Known || f.Met {
		t.Errorf("gold.revenue two days on: %+v, want missed", f)
	}
}
