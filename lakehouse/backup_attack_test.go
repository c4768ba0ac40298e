package lakehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAttackBackupManifestID: a manifest planted in dev's backups whose id
// climbs out of the directory ("../../prod") names another target's live
// file as its snapshot. It is not a backup: it is not listed, a restore
// refuses it (as latest, by id or by path), and a backup that prunes old
// snapshots does not delete the file it points at.
func TestAttackBackupManifestID(t *testing.T) {
	ctx := context.Background()
	path, dir := backupFixture(t)
	backup(t, path, dir, 0)
	prod := filepath.Join(filepath.Dir(path), "prod.duckdb")
	lh, err := Open(ctx, prod, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lh.Exec(ctx, "CREATE TABLE gold.secret AS SELECT 'prod only' AS v"); err != nil {
		t.Fatal(err)
	}
	lh.Close()
	os.WriteFile(filepath.Join(filepath.Dir(path), "prod.json"), []byte("{}\n"), 0o644)
	for _, id := range []string{"../../prod", "../dev/../../prod", "..", "."} {
		forged := BackupInfo{ID: id, Target: "dev", SHA256: "0", CreatedAt: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Tables: map[string]int64{}}
		data, _ := json.Marshal(forged)
		m := filepath.Join(dir, "dev", "forged.json")
		if err := os.WriteFile(m, data, 0o600); err != nil {
			t.Fatal(err)
		}
		list, err := ListBackups(dir, "dev")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range list {
			if b.ID == id {
				t.Errorf("id %q: listed as a backup of dev, its file %s", id, b.Path)
			}
		}
		if b, err := FindBackup(dir, "dev", m); err == nil {
			t.Errorf("id %q: a restore by the manifest's path finds snapshot file %s", id, b.Path)
		}
		if b, err := FindBackup(dir, "dev", id); err == nil {
			t.Errorf("id %q: a restore by id finds snapshot file %s", id, b.Path)
		}
		withWriter(t, path, func(lh *Lakehouse) {
			lh.Backup(ctx, BackupOptions{Dir: dir, Keep: 1, Principal: "ana"})
		})
		if _, err := os.Stat(prod); err != nil {
			t.Fatalf("id %q: a pruning backup of dev removed prod's file: %v", id, err)
		}
		os.Remove(m)
	}
}

// TestAttackRestoreCrashChild is the child of TestAttackRestoreCrash: it
// restores the target and, just before the copy is renamed into place,
// says so and waits on its stdin, where the parent kills it.
func TestAttackRestoreCrashChild(t *testing.T) {
	path := os.Getenv("LAKEBENCH_TEST_RESTORE_CRASH")
	if path == "" {
		t.Skip("the child of TestAttackRestoreCrash")
	}
	restoreSwapHook = func() {
		fmt.Println("swapping")
		io.Copy(io.Discard, os.Stdin)
	}
	_, err := Restore(context.Background(), path, RestoreOptions{Dir: os.Getenv("LAKEBENCH_TEST_RESTORE_DIR"), Snapshot: "latest", Principal: "ana"})
	fmt.Println("finished:", err)
	os.Exit(3)
}

// A restore killed at its worst moment (the copy checked, about to be
// renamed into place) leaves the target's path a whole database, with its
// rows, not a missing file that the next open would create empty.
func TestAttackRestoreCrash(t *testing.T) {
	path, dir := backupFixture(t)
	backup(t, path, dir, 0)
	before := digests(t, path)
	cmd := startChild(t, "^TestAttackRestoreCrashChild$", "swapping", "LAKEBENCH_TEST_RESTORE_CRASH="+path, "LAKEBENCH_TEST_RESTORE_DIR="+dir)
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("after a restore killed before its swap, the target's file is gone: %v", err)
	}
	if got := digests(t, path); !sameMap(got, before) {
		t.Errorf("after a killed restore the target's tables changed: %v, want %v", got, before)
	}
	if _, err := Restore(context.Background(), path, RestoreOptions{Dir: dir, Snapshot: "latest", Principal: "ana"}); err != nil {
		t.Errorf("a restore after the killed one: %v", err)
	}
}
