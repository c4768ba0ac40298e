package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	listWhileWritten(t, dir, list[0].ID)
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

// listWhileWritten lists the snapshots while another process holds the
// target's writer lock: the listing reads files and manifests, so it works
// (who may list is read from the newest intact snapshot), and refuses who
// has no CAN_VIEW; the target itself stays locked to others meanwhile.
func listWhileWritten(t *testing.T, dir, snapshot string) {
	t.Helper()
	release := holdTarget(t, filepath.Join(dir, ".lakebench", "dev.duckdb"))
	defer release()
	if _, stderr := lb(t, dir, false, "status"); !strings.Contains(stderr, "(test holder)") {
		t.Fatalf("status while held: %s; want the holder named", stderr)
	}
	out, stderr := lb(t, dir, true, "backup", "list")
	if !strings.Contains(out, "1 snapshot of target dev") || !strings.Contains(out, snapshot) || !strings.Contains(stderr, "read from its newest intact snapshot, "+snapshot) {
		t.Errorf("backup list while written:\n%s\n%s", out, stderr)
	}
	out, _ = lb(t, dir, true, "backup", "list", "--json")
	var list []lakehouse.BackupInfo
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].ID != snapshot {
		t.Errorf("backup list --json while written: %v\n%s", err, out)
	}
	if _, stderr := lb(t, dir, false, "--as", "dana", "backup", "list"); !strings.Contains(stderr, "dana may not list the backups of target dev: that needs CAN_VIEW") {
		t.Errorf("dana's backup list while written: %s", stderr)
	}
}

// holdTarget starts a second process (this test binary, see TestMain) that
// opens the target at path for writing and holds its lock until release;
// it returns once the child says it holds it.
func holdTarget(t *testing.T, path string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	release = func() { stdin.Close(); cmd.Wait() }
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || strings.TrimSpace(line) != "holding" {
		release()
		t.Fatalf("the holder said %q (%v)", line, err)
	}
	return release
}

// holdWriter is the holder's side: it opens path for writing, says
// "holding", and keeps the lock until its stdin closes, then exits.
func holdWriter(path string) {
	lh, err := lakehouse.Open(context.Background(), path, lakehouse.Options{Holder: "lakebench run (test holder)"})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	lh.Close()
	os.Exit(0)
}
