package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// backupFixture writes a target with a few tables (a few MB, so a copy
// takes several chunks) and returns its path and backups directory.
func backupFixture(t *testing.T) (path, dir string) {
	t.Helper()
	root := t.TempDir()
	path = filepath.Join(root, ".lakebench", "dev.duckdb")
	dir = filepath.Join(root, ".lakebench", "backups")
	lh, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE silver.orders AS SELECT i AS id, 'customer ' || (i * 7919 % 100003) AS name, (i * 31 % 1000) * 1.5 AS amount FROM range(400000) t(i)",
		"CREATE TABLE gold.totals AS SELECT id % 100 AS k, sum(amount) AS s FROM silver.orders GROUP BY k",
	} {
		if _, err := lh.Exec(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// withWriter opens path for writing, runs f and closes it.
func withWriter(t *testing.T, path string, f func(lh *Lakehouse)) {
	t.Helper()
	lh, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	f(lh)
}

func backup(t *testing.T, path, dir string, keep int) BackupInfo {
	t.Helper()
	var info BackupInfo
	withWriter(t, path, func(lh *Lakehouse) {
		var err error
		if info, err = lh.Backup(context.Background(), BackupOptions{Dir: dir, Keep: keep, Principal: "ana"}); err != nil {
			t.Fatal(err)
		}
	})
	return info
}

// digests are the order-independent digests of the user tables (and
// their row counts): what a restore must bring back.
func digests(t *testing.T, path string) map[string]string {
	t.Helper()
	lh, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	out := map[string]string{}
	counts, err := tableCounts(context.Background(), lh.db)
	if err != nil {
		t.Fatal(err)
	}
	for name := range counts {
		tn, _ := ParseTableName(name)
		if tn.Schema == "sys" {
			continue
		}
		d, n, err := lh.TableDigest(context.Background(), tn)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = fmt.Sprintf("%s/%d", d, n)
	}
	return out
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A backup, changes, a restore: the data is as at the snapshot; the
// restore is recorded with its time in sys.restores and the manifest,
// both are audited, and the file replaced is kept aside.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	path, dir := backupFixture(t)
	info := backup(t, path, dir, 0)
	want := digests(t, path)
	if info.Tables["silver.orders"] != 400000 || info.Tables["gold.totals"] != 100 || len(info.SHA256) != 64 {
		t.Fatalf("backup %+v: want silver.orders 400000 rows, gold.totals 100, a sha256", info)
	}
	if st, err := os.Stat(info.Path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("snapshot %s: %v, mode %v; want a file only its owner reads", info.Path, err, st.Mode())
	}
	withWriter(t, path, func(lh *Lakehouse) {
		for _, s := range []string{"DELETE FROM silver.orders WHERE id % 3 = 0", "DROP TABLE gold.totals", "CREATE TABLE gold.newer AS SELECT 1 AS x"} {
			if _, err := lh.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	})
	if sameMap(digests(t, path), want) {
		t.Fatal("the changes changed nothing")
	}
	r, err := Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: "latest", Principal: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if got := digests(t, path); !sameMap(got, want) {
		t.Errorf("after the restore: got %v, want %v", got, want)
	}
	if r.Duration <= 0 || r.Damaged || !strings.Contains(r.SetAside, ".before-restore-") {
		t.Errorf("restore %+v: want a measured duration, not damaged, the old file set aside", r)
	}
	if _, err := os.Stat(r.SetAside); err != nil {
		t.Errorf("the file replaced: %v", err)
	}
	lh, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	last, ok, err := lh.LastRestore(ctx)
	if err != nil || !ok || last.Backup.ID != info.ID || last.Duration != r.Duration {
		t.Errorf("LastRestore: %+v %v %v; want snapshot %s taking %v", last, ok, err, info.ID, r.Duration)
	}
	var backups int
	lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.backups WHERE backup_id = ?", info.ID).Scan(&backups)
	if backups != 1 {
		t.Errorf("sys.backups of the restored file lists the snapshot %d times, want once (from its manifest)", backups)
	}
	events, err := lh.AuditEvents(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !audited(events, "ana", "restore", true) {
		t.Error("the restore by ana is not audited in the restored file")
	}
	// The backup was audited in the file it copied, after the copy: the
	// snapshot (and so the restored file) does not hold it.
	if old := auditOf(t, r.SetAside); !audited(old, "ana", "backup", true) {
		t.Error("the backup by ana is not audited in the target it copied")
	}
	m, err := FindBackup(dir, "dev", info.ID)
	if err != nil || len(m.Restores) != 1 || m.Restores[0].Duration != r.Duration {
		t.Errorf("manifest after the restore: %+v %v; want the restore's time", m.Restores, err)
	}
}

func audited(events []AuditEvent, principal, action string, allowed bool) bool {
	return slices.ContainsFunc(events, func(e AuditEvent) bool {
		return e.Principal == principal && e.Action == action && e.Allowed == allowed
	})
}

// auditOf reads sys.audit of the file at path.
func auditOf(t *testing.T, path string) []AuditEvent {
	t.Helper()
	lh, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	events, err := lh.AuditEvents(context.Background(), AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// corrupt damages the file at path: cut to half, or bytes flipped over
// its middle third.
func corrupt(t *testing.T, path, how string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	switch how {
	case "truncate":
		if err := f.Truncate(st.Size() / 2); err != nil {
			t.Fatal(err)
		}
	case "flip":
		buf := make([]byte, st.Size()/3)
		if _, err := f.ReadAt(buf, st.Size()/3); err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			buf[i] ^= 0xA5
		}
		if _, err := f.WriteAt(buf, st.Size()/3); err != nil {
			t.Fatal(err)
		}
	}
}

// readsBack reports whether the file opens and every table reads whole.
func readsBack(path string) error {
	ctx := context.Background()
	lh, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer lh.Close()
	counts, err := tableCounts(ctx, lh.db)
	if err != nil {
		return err
	}
	for name := range counts {
		tn, _ := ParseTableName(name)
		if _, _, err := lh.TableDigest(ctx, tn); err != nil {
			return err
		}
	}
	return nil
}

// A target file cut short or with bytes flipped in its middle is restored
// from the latest snapshot: it opens, and every table is as at the
// snapshot, with the rows written before it.
func TestRestoreAfterCorruption(t *testing.T) {
	for _, how := range []string{"truncate", "flip"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			path, dir := backupFixture(t)
			withWriter(t, path, func(lh *Lakehouse) {
				if _, err := lh.Exec(ctx, "INSERT INTO silver.orders VALUES (-1, 'written before the snapshot', 9.5)"); err != nil {
					t.Fatal(err)
				}
			})
			backup(t, path, dir, 0)
			want := digests(t, path)
			corrupt(t, path, how)
			forgetChecked(path)
			if err := readsBack(path); err == nil {
				t.Fatalf("the %s file still reads back whole: the test damaged nothing", how)
			}
			forgetChecked(path)
			r, err := Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: "latest", Principal: "ana"})
			if err != nil {
				t.Fatal(err)
			}
			if err := readsBack(path); err != nil {
				t.Fatalf("the restored file: %v", err)
			}
			if got := digests(t, path); !sameMap(got, want) {
				t.Errorf("restored: got %v, want %v", got, want)
			}
			if _, err := os.Stat(r.SetAside); err != nil || r.SetAside == "" {
				t.Errorf("the damaged file is not kept aside (%q): %v", r.SetAside, err)
			}
			if how == "truncate" && (!r.Damaged || !strings.Contains(r.SetAside, ".damaged-")) {
				t.Errorf("a truncated file: restore %+v, want it called damaged", r)
			}
		})
	}
}

// TestBackupCrashChild is the child of TestBackupCrash: it backs the
// target up and, once the first chunk of the copy is written, says so and
// waits on its stdin, where the parent kills it.
func TestBackupCrashChild(t *testing.T) {
	path := os.Getenv("LAKEBENCH_TEST_BACKUP_CRASH")
	if path == "" {
		t.Skip("the child of TestBackupCrash")
	}
	backupCopyHook = func() {
		fmt.Println("copying")
		io.Copy(io.Discard, os.Stdin)
	}
	lh, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	_, err = lh.Backup(context.Background(), BackupOptions{Dir: os.Getenv("LAKEBENCH_TEST_BACKUP_DIR")})
	fmt.Println("finished:", err)
	os.Exit(3)
}

// A backup killed in the middle of its copy leaves the earlier snapshots
// listed and intact, and no half snapshot listed; the next backup cleans
// up after it and restores work.
func TestBackupCrash(t *testing.T) {
	ctx := context.Background()
	path, dir := backupFixture(t)
	first := backup(t, path, dir, 0)
	second := backup(t, path, dir, 0)
	cmd := startChild(t, "^TestBackupCrashChild$", "copying", "LAKEBENCH_TEST_BACKUP_CRASH="+path, "LAKEBENCH_TEST_BACKUP_DIR="+dir)
	// The child has written part of its copy: a half snapshot on disk.
	tmps, _ := filepath.Glob(filepath.Join(dir, "dev", ".*.tmp"))
	if len(tmps) != 1 {
		t.Fatalf("during the copy: temporary files %v, want one", tmps)
	}
	st, _ := os.Stat(tmps[0])
	if src, _ := os.Stat(path); st.Size() == 0 || st.Size() >= src.Size() {
		t.Fatalf("the copy has %d of %d bytes when the child pauses: want part of it", st.Size(), src.Size())
	}
	cmd.Process.Kill()
	cmd.Wait()

	list, err := ListBackups(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range list {
		ids = append(ids, b.ID)
		if err := VerifyBackup(b); err != nil {
			t.Errorf("snapshot %s after the crash: %v", b.ID, err)
		}
	}
	if !slices.Equal(ids, []string{second.ID, first.ID}) {
		t.Errorf("after the crash: listed %v, want %v", ids, []string{second.ID, first.ID})
	}
	third := backup(t, path, dir, 0)
	if tmps, _ := filepath.Glob(filepath.Join(dir, "dev", ".*")); len(tmps) != 0 {
		t.Errorf("the next backup left %v of the killed one", tmps)
	}
	if list, _ := ListBackups(dir, "dev"); len(list) != 3 || list[0].ID != third.ID {
		t.Errorf("after the next backup: %d listed, want 3 with %s first", len(list), third.ID)
	}
	if _, err := Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: first.ID, Principal: "ana"}); err != nil {
		t.Errorf("restore of a snapshot taken before the crash: %v", err)
	}
}

// Only the newest Keep snapshots are kept.
func TestBackupKeepsLastN(t *testing.T) {
	path, dir := backupFixture(t)
	var taken []BackupInfo
	for range 5 {
		taken = append(taken, backup(t, path, dir, 3))
	}
	list, err := ListBackups(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range list {
		ids = append(ids, b.ID)
	}
	want := []string{taken[4].ID, taken[3].ID, taken[2].ID}
	if !slices.Equal(ids, want) {
		t.Errorf("kept %v, want the newest three %v", ids, want)
	}
	for _, b := range taken[:2] {
		if _, err := os.Stat(b.Path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pruned snapshot %s still on disk (%v)", b.ID, err)
		}
	}
}

// deployOwner makes ana the target's owner and ben a holder of CAN_RUN.
func deployOwner(t *testing.T, path string) {
	t.Helper()
	withWriter(t, path, func(lh *Lakehouse) {
		ctx := context.Background()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.DeployGovernance(ctx, Governance{Owner: "ana"}); err != nil {
			t.Fatal(err)
		}
		if err := tx.DeployPermissions(ctx, []TargetPermission{{Level: CanRun, Principal: "ben", Kind: "user"}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	})
}

// A backup and a restore need CAN_MANAGE; refusals are audited: in the
// target, or, when it cannot be opened, in its audit log decided on the
// newest snapshot's permissions.
func TestBackupRestoreNeedCanManage(t *testing.T) {
	ctx := context.Background()
	path, dir := backupFixture(t)
	deployOwner(t, path)
	withWriter(t, path, func(lh *Lakehouse) {
		_, err := lh.Backup(ctx, BackupOptions{Dir: dir, Principal: "ben"})
		var pe *PermissionError
		if !errors.As(err, &pe) || pe.Needs != CanManage || !strings.Contains(err.Error(), "ben may not back up target dev") {
			t.Errorf("backup by ben: got %v, want a refusal naming CAN_MANAGE", err)
		}
	})
	if list, _ := ListBackups(dir, "dev"); len(list) != 0 {
		t.Errorf("a refused backup left %d snapshots", len(list))
	}
	backup(t, path, dir, 0) // ana, the owner
	if _, err := Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: "latest", Principal: "ben"}); err == nil {
		t.Error("ben restored the target")
	}
	lh, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := lh.AuditEvents(ctx, AuditFilter{})
	lh.Close()
	refused := map[string]bool{}
	for _, e := range events {
		if e.Principal == "ben" && !e.Allowed {
			refused[e.Action] = true
		}
	}
	if !refused["backup"] || !refused["restore"] {
		t.Errorf("refusals audited: %v, want backup and restore", refused)
	}

	corrupt(t, path, "truncate")
	forgetChecked(path)
	_, err = Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: "latest", Principal: "ben"})
	var pe *PermissionError
	if !errors.As(err, &pe) {
		t.Fatalf("ben restoring a damaged target: got %v, want a refusal", err)
	}
	log, _ := os.ReadFile(auditPath(path))
	if !strings.Contains(string(log), `"principal":"ben","action":"restore"`) {
		t.Errorf("the refusal on a damaged target is not in its audit log: %s", log)
	}
	if _, err := Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: "latest", Principal: "ana"}); err != nil {
		t.Fatalf("the owner restoring the damaged target: %v", err)
	}
	// The restored file's writer imported the refusal.
	lh, err = Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	events, _ = lh.AuditEvents(ctx, AuditFilter{})
	found := false
	for _, e := range events {
		found = found || (e.Principal == "ben" && e.Action == "restore" && !e.Allowed && strings.Contains(e.Detail, "cannot be opened"))
	}
	if !found {
		t.Error("the refusal on the damaged target did not reach sys.audit of the restored file")
	}
}

// A snapshot of another target, and a snapshot changed after it was taken,
// are refused, and the target is left as it was.
func TestRestoreRefusesOtherTargetAndTampered(t *testing.T) {
	ctx := context.Background()
	path, dir := backupFixture(t)
	info := backup(t, path, dir, 0)
	staging := filepath.Join(filepath.Dir(path), "staging.duckdb")
	_, err := Restore(ctx, staging, RestoreOptions{Dir: dir, Snapshot: info.Path, Principal: "ana"})
	if err == nil || !strings.Contains(err.Error(), "is a backup of target dev, not of staging") {
		t.Errorf("restoring dev's snapshot into staging: got %v", err)
	}
	before := digests(t, path)
	f, err := os.OpenFile(info.Path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte{0}
	f.ReadAt(b, 5000)
	b[0] ^= 1
	f.WriteAt(b, 5000)
	f.Close()
	_, err = Restore(ctx, path, RestoreOptions{Dir: dir, Snapshot: info.ID, Principal: "ana"})
	var be *BackupError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "was changed after it was taken") || !strings.Contains(err.Error(), info.SHA256) {
		t.Errorf("restoring a tampered snapshot: got %v, want a refusal naming the recorded sha256", err)
	}
	if got := digests(t, path); !sameMap(got, before) {
		t.Errorf("a refused restore changed the target")
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp")); len(matches) != 0 {
		t.Errorf("a refused restore left %v", matches)
	}
}
