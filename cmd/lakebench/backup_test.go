package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// TestBackupRestoreCommands: the owner backs the sample up, a later batch
// lands, the file is cut short; another user may neither back up nor
// restore (decided on the snapshot, the target being unreadable), the
// owner restores the latest snapshot, and the data, the audit and the
// SLA's RTO say so.
func TestBackupRestoreCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "run")
	if _, stderr := lb(t, dir, false, "--as", "ben", "backup"); !strings.Contains(stderr, "ben may not back up target dev: that needs CAN_MANAGE") {
		t.Errorf("ben's backup: %s", stderr)
	}
	out, _ := lb(t, dir, true, "backup")
	if !strings.HasPrefix(out, "backup ") || !strings.Contains(out, "1 snapshot kept in .lakebench/backups/dev") {
		t.Errorf("backup:\n%s", out)
	}
	orders := scalar(t, dir, "SELECT count(*) FROM silver.orders")
	out, _ = lb(t, dir, true, "backup", "list", "--json")
	var list []lakehouse.BackupInfo
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].Tables["silver.orders"] != int64(orders) {
		t.Fatalf("backup list --json: %v\n%s", err, out)
	}
	lb(t, dir, true, "sample", "next")
	lb(t, dir, true, "run")
	if later := scalar(t, dir, "SELECT count(*) FROM silver.orders"); later <= orders {
		t.Fatalf("the next batch added no orders (%v, then %v)", orders, later)
	}

	path := filepath.Join(dir, ".lakebench", "dev.duckdb")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	// The damage says so first, with the command that mends it.
	if _, stderr := lb(t, dir, false, "status"); !strings.HasPrefix(stderr, "lakebench: lakehouse: "+filepath.Join(dir, ".lakebench", "dev.duckdb")+" is damaged") || !strings.Contains(stderr, "lakebench restore latest") {
		t.Errorf("status of the cut file: %s", stderr)
	}
	if _, stderr := lb(t, dir, false, "--as", "ben", "restore", "latest"); !strings.Contains(stderr, "ben may not restore target dev: that needs CAN_MANAGE") {
		t.Errorf("ben's restore: %s", stderr)
	}
	out, stderr := lb(t, dir, true, "restore", "latest")
	if !strings.Contains(stderr, "who may restore it is read from its newest intact snapshot, "+list[0].ID) ||
		!strings.Contains(out, "restored target dev from snapshot "+list[0].ID) || !strings.Contains(out, "measured RTO") ||
		!strings.Contains(out, "the damaged file is kept as .lakebench/dev.duckdb.damaged-") {
		t.Errorf("restore:\n%s\n%s", out, stderr)
	}
	if got := scalar(t, dir, "SELECT count(*) FROM silver.orders"); got != orders {
		t.Errorf("after the restore: %v orders, want the snapshot's %v", got, orders)
	}
	out, _ = lb(t, dir, true, "audit", "--json")
	var doc struct {
		Events []lakehouse.AuditEvent `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("audit --json: %v", err)
	}
	var restored, refused bool
	for _, e := range doc.Events {
		restored = restored || e.Action == "restore" && e.Allowed
		refused = refused || e.Action == "restore" && !e.Allowed && e.Principal == "ben"
	}
	if !restored || !refused {
		t.Errorf("audit: restore allowed %v, ben's refusal %v", restored, refused)
	}
	out, _ = lb(t, dir, true, "sla", "--json")
	var rep pipeline.SLAReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range rep.Objectives {
		if o.Name == "rto" {
			found = o.Known && o.Target == "≤ 5m" && strings.Contains(o.Detail, list[0].ID)
		}
	}
	if !found {
		t.Errorf("sla after the restore: %+v", rep.Objectives)
	}
	out, _ = lb(t, dir, true, "sla")
	if !strings.Contains(out, "availability") || !strings.Contains(out, "freshness:gold.daily_revenue") {
		t.Errorf("sla:\n%s", out)
	}
}
