package lakehouse

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Backups and restores of a target's file, as a snapshot and its manifest.
//
// A backup is taken by the writer, under the target's writer lock: it
// counts every table, CHECKPOINTs (so the file holds everything and the
// write-ahead log is empty), and copies the file while it holds the lock
// and DuckDB's own file lock, so nothing writes it meanwhile. The copy goes
// to a hidden temporary name in the backups directory, is synced, and
// must open read-only (in a child process first, as any file lakebench has
// not checked, see filecheck.go) with every table's row count as counted
// before the copy; only then is it renamed to <id>.duckdb and its manifest
// <id>.json written (a temporary file renamed too). A listing reads
// manifests, so a backup killed at any point is never listed; the next
// backup of the target, holding the lock, removes what it left.
//
// The snapshot does not hold its own sys.backups row: that row is written
// after the snapshot is in place (a snapshot cannot record that it
// verified). A restore adds the rows of the backups the restored file does
// not know (those taken after it) from their manifests.
//
// Who may: a backup copies every table and its copy is a file anyone with
// access to the directory could read, so it needs CAN_MANAGE on the target
// (the owner holds it), as a restore does; before the first deploy anyone
// may, as for every target permission. Snapshots and their directory are
// made readable by their owner only (0600, 0700). A restore of a target
// that opens is decided on its deployed permissions. A target that cannot
// be opened (damaged, or missing) cannot say who may: the permissions are
// then read from the newest intact snapshot of the target (its SHA-256 as
// recorded), the latest governance known; with none intact the restore is
// refused. Refusals are audited: in sys.audit when the target opens, else
// in the target's audit log (<file>.audit.jsonl), chained after that
// snapshot's audit, which the writer that opens the restored file imports.

// backupDDL creates the tables of backups taken (in the target) and of
// restores (in the restored file).
const backupDDL = `
CREATE TABLE IF NOT EXISTS sys.backups (
	backup_id VARCHAR, target VARCHAR, created_at TIMESTAMP, principal VARCHAR,
	bytes BIGINT, tables BIGINT, rows BIGINT, sha256 VARCHAR, path VARCHAR, duration_ns BIGINT);
CREATE TABLE IF NOT EXISTS sys.restores (
	backup_id VARCHAR, backup_created_at TIMESTAMP, target VARCHAR, restored_at TIMESTAMP,
	duration_ns BIGINT, principal VARCHAR, set_aside VARCHAR, damaged BOOLEAN);
`

// DefaultBackupKeep is how many snapshots of a target are kept when its
// settings say nothing.
const DefaultBackupKeep = 7

// BackupInfo is one snapshot of a target's file: its manifest.
type BackupInfo struct {
	ID        string    `json:"id"`
	Target    string    `json:"target"`
	Path      string    `json:"path"`
	CreatedAt time.Time `json:"created_at"`
	Principal string    `json:"principal"`
	Bytes     int64     `json:"bytes"`
	// Tables and Rows are what the snapshot held, by table, checked on
	// restore.
	Tables map[string]int64 `json:"tables"`
	SHA256 string           `json:"sha256"`
	// Owner is the target's owner when the snapshot was taken.
	Owner string `json:"owner,omitempty"`
	// Duration is how long the backup took.
	Duration time.Duration `json:"duration_ns"`
	// Restores are the restores made from this snapshot, oldest first.
	Restores []RestoreRecord `json:"restores,omitempty"`
}

// Rows is the snapshot's row count over all its tables.
func (b BackupInfo) Rows() int64 {
	var n int64
	for _, r := range b.Tables {
		n += r
	}
	return n
}

// RestoreRecord is one restore made from a snapshot, in its manifest.
type RestoreRecord struct {
	RestoredAt time.Time     `json:"restored_at"`
	Duration   time.Duration `json:"duration_ns"`
	Principal  string        `json:"principal"`
}

// RestoreInfo is one restore: which snapshot, and how long it took (the
// measured RTO).
type RestoreInfo struct {
	Backup     BackupInfo    `json:"backup"`
	RestoredAt time.Time     `json:"restored_at"`
	Duration   time.Duration `json:"duration_ns"`
	Principal  string        `json:"principal"`
	// SetAside is where the file it replaced was moved ("" when there was
	// none); Damaged says whether that file could not be opened.
	SetAside string `json:"set_aside,omitempty"`
	Damaged  bool   `json:"damaged"`
}

// BackupOptions say where a backup goes and how many are kept.
type BackupOptions struct {
	// Dir is the backups directory; the target's snapshots go to
	// Dir/<target>/. Required.
	Dir string
	// Keep is how many snapshots of the target are kept, the newest;
	// 0 means DefaultBackupKeep.
	Keep int
	// Principal is who asks; "" is the session's principal.
	Principal string
}

// BackupError is a backup or restore that could not be done, or was
// refused for what the snapshot is (another target's, tampered with).
type BackupError struct {
	Target string
	Reason string
}

func (e *BackupError) Error() string { return "lakehouse: " + e.Reason }

// backupCopyHook, when set (by a test), runs after the first chunk of a
// copy is written: a test child pauses there to be killed mid-copy.
var backupCopyHook func()

// restoreSwapHook, when set (by a test), runs just before a restore
// renames its copy into place.
var restoreSwapHook func()

// Backup snapshots the target (see the comment at the top of this file):
// the caller holds it open for writing. It prunes the target's snapshots
// beyond opts.Keep, records the backup in sys.backups and audits it.
func (lh *Lakehouse) Backup(ctx context.Context, opts BackupOptions) (BackupInfo, error) {
	start := time.Now()
	target := lh.targetName()
	if lh.path == "" || lh.readOnly || lh.lock == nil {
		return BackupInfo{}, &BackupError{Target: target, Reason: "a backup is taken by the target's writer: open it for writing"}
	}
	if opts.Dir == "" {
		return BackupInfo{}, &BackupError{Target: target, Reason: "backup of " + target + ": no backups directory given"}
	}
	principal := cmp.Or(opts.Principal, lh.principal, "lakebench")
	if err := lh.CheckPermission(ctx, principal, CanManage, "backup"); err != nil {
		return BackupInfo{}, err
	}
	dir := filepath.Join(opts.Dir, target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BackupInfo{}, fmt.Errorf("lakehouse: backup of %s: %w", target, err)
	}
	// The writer lock is held: no other backup of this target runs, so
	// what an earlier, killed one left is nobody's.
	removeUnlisted(dir)
	tables, err := tableCounts(ctx, lh.db)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("lakehouse: backup of %s: count tables: %w", target, err)
	}
	lh.waitCheckpoint() // DuckDB runs one checkpoint at a time
	if _, err := lh.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return BackupInfo{}, fmt.Errorf("lakehouse: backup of %s: checkpoint: %w", target, err)
	}
	if st, err := os.Stat(lh.path + ".wal"); err == nil && st.Size() > 0 {
		return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("backup of %s: the write-ahead log %s is not empty after a checkpoint, so the file alone is not the target; retry when no statement runs", target, lh.path+".wal")}
	}
	owner, _ := lh.Owner(ctx)
	info := BackupInfo{ID: newBackupID(dir, start), Target: target, CreatedAt: start.UTC().Truncate(time.Microsecond),
		Principal: principal, Tables: tables, Owner: owner}
	tmp := filepath.Join(dir, "."+info.ID+".duckdb.tmp")
	info.Bytes, info.SHA256, err = copyFile(ctx, lh.path, tmp, 0o600, "")
	if err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("lakehouse: backup of %s: copy: %w", target, err)
	}
	if err := verifySnapshot(ctx, tmp, tables); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("backup of %s: the copy does not verify, so it was not kept: %v", target, err)}
	}
	info.Path = filepath.Join(dir, info.ID+".duckdb")
	if err := os.Rename(tmp, info.Path); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("lakehouse: backup of %s: %w", target, err)
	}
	info.Duration = time.Since(start)
	if err := writeManifest(info); err != nil {
		os.Remove(info.Path)
		return BackupInfo{}, fmt.Errorf("lakehouse: backup of %s: manifest: %w", target, err)
	}
	syncDir(dir)
	if err := lh.recordBackup(ctx, info); err != nil {
		return info, err
	}
	names := slices.Sorted(mapKeys(tables))
	if err := lh.Audit(ctx, AuditEvent{Principal: principal, Action: "backup", Tables: names, Rows: info.Rows(), Allowed: true,
		Detail: fmt.Sprintf("snapshot %s of target %s: %d tables, %s, sha256 %s", info.ID, target, len(tables), FormatBytes(info.Bytes), info.SHA256)}); err != nil {
		return info, err
	}
	return info, pruneBackups(opts.Dir, target, cmp.Or(opts.Keep, DefaultBackupKeep))
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// recordBackup appends a backup to sys.backups.
func (lh *Lakehouse) recordBackup(ctx context.Context, b BackupInfo) error {
	_, err := lh.db.ExecContext(ctx, `INSERT INTO sys.backups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.Target, b.CreatedAt, b.Principal, b.Bytes, int64(len(b.Tables)), b.Rows(), b.SHA256, b.Path, int64(b.Duration))
	if err != nil {
		return fmt.Errorf("lakehouse: record backup %s: %w", b.ID, err)
	}
	return nil
}

// newBackupID names a snapshot by its time, UTC to the millisecond,
// with a suffix should that name be taken.
func newBackupID(dir string, at time.Time) string {
	base := at.UTC().Format("20060102T150405.000Z")
	id := base
	for i := 2; ; i++ {
		_, err1 := os.Lstat(filepath.Join(dir, id+".json"))
		_, err2 := os.Lstat(filepath.Join(dir, id+".duckdb"))
		if errors.Is(err1, os.ErrNotExist) && errors.Is(err2, os.ErrNotExist) {
			return id
		}
		id = fmt.Sprintf("%s-%d", base, i)
	}
}

// removeUnlisted removes what a backup killed before its manifest left in
// dir: temporary copies, and snapshots without a manifest (a copy that was
// never verified and recorded).
func removeUnlisted(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".tmp.checked")):
			os.Remove(filepath.Join(dir, name))
		case strings.HasSuffix(name, ".duckdb"):
			if _, err := os.Lstat(filepath.Join(dir, strings.TrimSuffix(name, ".duckdb")+".json")); errors.Is(err, os.ErrNotExist) {
				os.Remove(filepath.Join(dir, name))
			}
		}
	}
}

// tableCounts counts the rows of every table of the file.
func tableCounts(ctx context.Context, e execer) (map[string]int64, error) {
	rows, err := e.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND NOT temporary ORDER BY ALL`)
	if err != nil {
		return nil, err
	}
	var tables []TableName
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := e.QueryRowContext(ctx, "SELECT count(*) FROM "+t.SQL()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t.String()] = n
	}
	return out, nil
}

// copyFile copies src to a new file dst (never an existing one) with
// mode, in chunks, checking ctx between them, and syncs it. It returns
// the size and the SHA-256 of the bytes copied; with want set, a copy
// whose SHA-256 differs is an error.
func copyFile(ctx context.Context, src, dst string, mode os.FileMode, want string) (int64, string, error) {
	in, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return 0, "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := copyChunks(ctx, io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want != "" && sum != want {
		return n, sum, fmt.Errorf("sha256 %s, not %s as recorded", sum, want)
	}
	return n, sum, nil
}

const copyChunk = 1 << 20

// copyChunks copies r to w a chunk at a time, checking ctx between them.
func copyChunks(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, copyChunk)
	var n int64
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := io.ReadFull(r, buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
			if first && backupCopyHook != nil {
				backupCopyHook()
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// verifySnapshot opens a copy read-only (checked in a child process first
// when a check is set, see SetFileCheck) and compares its tables' row
// counts with want: each table of want must be there with its count.
func verifySnapshot(ctx context.Context, path string, want map[string]int64) error {
	defer os.Remove(checkedPath(path))
	lh, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		var d *DamagedError
		if errors.As(err, &d) {
			return errors.New("DuckDB " + d.Reason)
		}
		return err
	}
	defer lh.Close()
	got, err := tableCounts(ctx, lh.db)
	if err != nil {
		return err
	}
	return compareCounts(got, want)
}

func compareCounts(got, want map[string]int64) error {
	var diffs []string
	for _, t := range slices.Sorted(mapKeys(want)) {
		n, ok := got[t]
		switch {
		case !ok:
			diffs = append(diffs, t+" is missing")
		case n != want[t]:
			diffs = append(diffs, fmt.Sprintf("%s has %d rows, not %d", t, n, want[t]))
		}
	}
	if len(diffs) > 0 {
		if len(diffs) > 5 {
			diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
		}
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}

// manifestPath is the manifest beside a snapshot (a manifest's path is
// its own).
func manifestPath(snapshot string) string {
	if strings.HasSuffix(snapshot, ".json") {
		return snapshot
	}
	return strings.TrimSuffix(snapshot, ".duckdb") + ".json"
}

// writeManifest writes a snapshot's manifest: a temporary file renamed
// over it, so a manifest is whole or absent.
func writeManifest(b BackupInfo) error {
	stored := b
	stored.Path = filepath.Base(b.Path) // beside the manifest, wherever the directory moves
	data, err := json.MarshalIndent(stored, "", "  ")
	if err != nil {
		return err
	}
	path := manifestPath(b.Path)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(data, '\n'))
	if werr == nil {
		werr = tmp.Sync()
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o600)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
	}
	return werr
}

// readManifest reads the manifest at path, its snapshot beside it.
func readManifest(path string) (BackupInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return BackupInfo{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return BackupInfo{}, err
	}
	var b BackupInfo
	if err := json.Unmarshal(data, &b); err != nil {
		return BackupInfo{}, fmt.Errorf("manifest %s: %w", path, err)
	}
	if b.ID == "" || b.Target == "" || b.SHA256 == "" {
		return BackupInfo{}, fmt.Errorf("manifest %s: not a lakebench backup manifest (no id, target or sha256)", path)
	}
	// The id names the snapshot file beside the manifest: one that climbs
	// out ("../../prod") would make a restore copy, and a prune delete,
	// another file.
	if b.ID != filepath.Base(b.ID) || strings.HasPrefix(b.ID, ".") || strings.ContainsAny(b.ID, `/\`) {
		return BackupInfo{}, fmt.Errorf("manifest %s: id %q is not a snapshot name (it must name a file beside the manifest)", path, b.ID)
	}
	b.Path = filepath.Join(filepath.Dir(path), filepath.Base(b.Path))
	if filepath.Base(b.Path) != b.ID+".duckdb" {
		b.Path = filepath.Join(filepath.Dir(path), b.ID+".duckdb")
	}
	return b, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ListBackups lists the snapshots of target under the backups directory
// dir (dir/<target>/), newest first: those with a manifest of that target
// and their snapshot file beside it. A backup that did not finish has no
// manifest, so it is never listed.
func ListBackups(dir, target string) ([]BackupInfo, error) {
	tdir := filepath.Join(dir, target)
	entries, err := os.ReadDir(tdir)
	if errors.Is(err, os.ErrNotExist) {
		return []BackupInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lakehouse: backups of %s: %w", target, err)
	}
	out := []BackupInfo{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") || !e.Type().IsRegular() {
			continue
		}
		b, err := readManifest(filepath.Join(tdir, name))
		if err != nil || b.Target != target {
			continue
		}
		if st, err := os.Lstat(b.Path); err != nil || !st.Mode().IsRegular() {
			continue
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b BackupInfo) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out, nil
}

// pruneBackups removes the target's snapshots beyond the newest keep:
// the manifest first, so a prune stopped halfway leaves an unlisted file
// (removed by the next backup), never a listed backup without its file.
func pruneBackups(dir, target string, keep int) error {
	list, err := ListBackups(dir, target)
	if err != nil || len(list) <= keep {
		return err
	}
	for _, b := range list[keep:] {
		if err := os.Remove(manifestPath(b.Path)); err != nil {
			return fmt.Errorf("lakehouse: prune backup %s: %w", b.ID, err)
		}
		os.Remove(b.Path)
	}
	return nil
}

// FindBackup finds the snapshot a restore names: "latest" (the newest of
// target), a snapshot ID of target, or the path of a snapshot or of its
// manifest. A snapshot of another target is refused.
func FindBackup(dir, target, snapshot string) (BackupInfo, error) {
	snapshot = strings.TrimSpace(snapshot)
	var b BackupInfo
	switch {
	case snapshot == "" || snapshot == "latest":
		list, err := ListBackups(dir, target)
		if err != nil {
			return BackupInfo{}, err
		}
		if len(list) == 0 {
			return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("target %s has no backup in %s: take one with `lakebench backup -t %s`", target, filepath.Join(dir, target), target)}
		}
		return list[0], nil
	case strings.ContainsRune(snapshot, os.PathSeparator) || strings.HasSuffix(snapshot, ".json") || strings.HasSuffix(snapshot, ".duckdb"):
		m, err := readManifest(manifestPath(snapshot))
		if err != nil {
			return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("snapshot %s: %v; name one of `lakebench backup list -t %s`, or latest", snapshot, err, target)}
		}
		b = m
	default:
		m, err := readManifest(filepath.Join(dir, target, snapshot+".json"))
		if err != nil {
			ids := []string{}
			list, _ := ListBackups(dir, target)
			for _, x := range list {
				ids = append(ids, x.ID)
			}
			hint := "it has none: take one with `lakebench backup -t " + target + "`"
			if len(ids) > 0 {
				hint = "its snapshots: " + strings.Join(ids, ", ") + ", or latest"
			}
			return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("target %s has no snapshot %q in %s (%s)", target, snapshot, filepath.Join(dir, target), hint)}
		}
		b = m
	}
	if b.Target != target {
		return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("snapshot %s is a backup of target %s, not of %s: a restore puts a target's own snapshot back (restore it with -t %s)", b.ID, b.Target, target, b.Target)}
	}
	if _, err := os.Lstat(b.Path); err != nil {
		return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("snapshot %s of %s: its file %s is missing", b.ID, target, b.Path)}
	}
	return b, nil
}

// VerifyBackup checks that a snapshot's file is the one its manifest
// recorded (its SHA-256).
func VerifyBackup(b BackupInfo) error {
	f, err := os.OpenFile(b.Path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return &BackupError{Target: b.Target, Reason: fmt.Sprintf("snapshot %s: %v", b.ID, err)}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return &BackupError{Target: b.Target, Reason: fmt.Sprintf("snapshot %s: %v", b.ID, err)}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != b.SHA256 {
		return tamperedError(b, sum)
	}
	return nil
}

func tamperedError(b BackupInfo, sum string) error {
	return &BackupError{Target: b.Target, Reason: fmt.Sprintf("snapshot %s of target %s was changed after it was taken: its file %s has sha256 %s, its manifest recorded %s; it is not restored (restore another: `lakebench backup list -t %s`)",
		b.ID, b.Target, b.Path, sum, b.SHA256, b.Target)}
}

// OpenBackup opens a snapshot read-only, once its SHA-256 is checked: to
// read the target's governance from when the target itself cannot be
// opened.
func OpenBackup(ctx context.Context, b BackupInfo) (*Lakehouse, error) {
	if err := VerifyBackup(b); err != nil {
		return nil, err
	}
	// The same bytes passed the child-process check when they were taken.
	return Open(ctx, b.Path, Options{ReadOnly: true, SkipFileCheck: true})
}

// NewestIntactBackup is the newest snapshot of target whose file is as
// its manifest recorded.
func NewestIntactBackup(dir, target string) (BackupInfo, error) {
	list, err := ListBackups(dir, target)
	if err != nil {
		return BackupInfo{}, err
	}
	for _, b := range list {
		if VerifyBackup(b) == nil {
			return b, nil
		}
	}
	return BackupInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("target %s has no intact backup in %s", target, filepath.Join(dir, target))}
}

// RestoreOptions say which snapshot a restore puts back and who asks.
type RestoreOptions struct {
	// Dir is the backups directory (snapshots in Dir/<target>/).
	Dir string
	// Snapshot is a snapshot ID, "latest", or a snapshot's path.
	Snapshot string
	// Principal is who asks.
	Principal string
	// Holder names the restore in the writer lock.
	Holder string
	// Options open the restored file (compute settings).
	Options Options
}

// Restore puts a snapshot back as the target's file at path: it takes the
// writer lock, checks the caller holds CAN_MANAGE (see the top of this
// file for a target that cannot be opened), copies the snapshot beside
// the target checking its SHA-256, opens the copy read-only and checks its
// tables' row counts against the manifest, moves the file it replaces
// (and its write-ahead log) aside as <file>.damaged-<time> (or
// .before-restore-<time> when it opened), renames the copy into place and
// opens it for writing. The time all that took is the measured RTO,
// recorded in sys.restores of the restored file and in the manifest, and
// audited (action restore).
func Restore(ctx context.Context, path string, opts RestoreOptions) (RestoreInfo, error) {
	start := time.Now()
	target := strings.TrimSuffix(filepath.Base(path), ".duckdb")
	b, err := FindBackup(opts.Dir, target, opts.Snapshot)
	if err != nil {
		return RestoreInfo{}, err
	}
	holder := cmp.Or(opts.Holder, "lakebench restore "+b.ID)
	lock, damaged, err := lockForRestore(ctx, path, opts, holder)
	if err != nil {
		return RestoreInfo{}, err
	}
	defer lock.release()
	dir := filepath.Dir(path)
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".restore-"+b.ID+".tmp")
	os.Remove(tmp)
	if _, sum, err := copyFile(ctx, b.Path, tmp, mode, b.SHA256); err != nil {
		os.Remove(tmp)
		if sum != "" {
			return RestoreInfo{}, tamperedError(b, sum)
		}
		return RestoreInfo{}, fmt.Errorf("lakehouse: restore %s from %s: %w", target, b.ID, err)
	}
	if err := verifySnapshot(ctx, tmp, b.Tables); err != nil {
		os.Remove(tmp)
		return RestoreInfo{}, &BackupError{Target: target, Reason: fmt.Sprintf("restore %s from %s: the snapshot does not open with its tables as recorded (%v); the target was left as it was", target, b.ID, err)}
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	suffix := ".before-restore-" + stamp
	if damaged {
		suffix = ".damaged-" + stamp
	}
	info := RestoreInfo{Backup: b, Principal: opts.Principal, Damaged: damaged}
	if _, err := os.Lstat(path); err == nil {
		// A second name, so the rename below replaces the file at once: a
		// restore killed in between leaves the target's path whole.
		info.SetAside = path + suffix
		if err := os.Link(path, info.SetAside); err != nil {
			if err := os.Rename(path, info.SetAside); err != nil {
				os.Remove(tmp)
				return RestoreInfo{}, fmt.Errorf("lakehouse: restore %s: set the file aside: %w", target, err)
			}
		}
	}
	// The log belongs to the file set aside: replayed on the snapshot it
	// would corrupt it.
	if _, err := os.Lstat(path + ".wal"); err == nil {
		if err := os.Rename(path+".wal", cmp.Or(info.SetAside, path+suffix)+".wal"); err != nil {
			return RestoreInfo{}, fmt.Errorf("lakehouse: restore %s: set the write-ahead log aside: %w", target, err)
		}
	}
	os.Remove(checkedPath(path))
	if restoreSwapHook != nil {
		restoreSwapHook()
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return RestoreInfo{}, fmt.Errorf("lakehouse: restore %s: %w (the previous file is %s)", target, err, info.SetAside)
	}
	syncDir(dir)
	// These bytes passed the child-process check as the copy just now:
	// the writer's open need not check them again (nor later processes,
	// by the stamp).
	markVerified(path)
	lock.borrowed = true
	ropts := opts.Options
	ropts.ReadOnly, ropts.Holder = false, holder
	lh, err := open(ctx, path, ropts, lock)
	lock.borrowed = false
	if err != nil {
		return RestoreInfo{}, fmt.Errorf("lakehouse: restore %s: the restored file does not open for writing: %w (the previous file is %s)", target, err, info.SetAside)
	}
	lock.borrowed = true
	defer func() { lh.Close(); lock.borrowed = false }()
	info.Duration = time.Since(start)
	info.RestoredAt = time.Now().UTC().Truncate(time.Microsecond)
	if err := lh.recordRestore(ctx, opts.Dir, info); err != nil {
		return info, err
	}
	detail := fmt.Sprintf("target %s from snapshot %s (taken %s by %s): %d tables, %d rows as recorded; took %s",
		target, b.ID, b.CreatedAt.Format(time.RFC3339), b.Principal, len(b.Tables), b.Rows(), info.Duration.Round(time.Millisecond))
	if info.SetAside != "" {
		state := "the file it replaced"
		if damaged {
			state = "the damaged file"
		}
		detail += "; " + state + " is kept as " + filepath.Base(info.SetAside)
	}
	if err := lh.Audit(ctx, AuditEvent{Principal: opts.Principal, Action: "restore", Tables: slices.Sorted(mapKeys(b.Tables)), Rows: b.Rows(), Allowed: true, Detail: detail}); err != nil {
		return info, err
	}
	b.Restores = append(b.Restores, RestoreRecord{RestoredAt: info.RestoredAt, Duration: info.Duration, Principal: opts.Principal})
	if err := writeManifest(b); err != nil {
		return info, fmt.Errorf("lakehouse: restore %s: record it in the manifest: %w", target, err)
	}
	info.Backup = b
	return info, nil
}

// lockForRestore takes the target's writer lock for a restore, after the
// permission check: on the target when it opens, else on the newest
// intact snapshot. damaged says the target exists but cannot be opened.
func lockForRestore(ctx context.Context, path string, opts RestoreOptions, holder string) (lock *writerLock, damaged bool, err error) {
	target := strings.TrimSuffix(filepath.Base(path), ".duckdb")
	_, statErr := os.Stat(path)
	if statErr == nil {
		o := opts.Options
		o.ReadOnly, o.Holder = false, holder
		lh, err := Open(ctx, path, o)
		var d *DamagedError
		switch {
		case err == nil:
			if err := lh.CheckPermission(ctx, opts.Principal, CanManage, "restore"); err != nil {
				lh.Close()
				return nil, false, err
			}
			lock, lh.lock = lh.lock, nil
			if err := lh.Close(); err != nil {
				lock.release()
				return nil, false, fmt.Errorf("lakehouse: restore %s: close it: %w", target, err)
			}
			return lock, false, nil
		case errors.As(err, &d):
			damaged = true
		default:
			return nil, false, err
		}
	}
	lock, err = acquireWriterLock(ctx, path, holder, opts.Options.NoWait)
	if err != nil {
		return nil, false, err
	}
	if err := snapshotPermission(ctx, path, opts.Dir, target, opts.Principal); err != nil {
		lock.release()
		return nil, false, err
	}
	return lock, damaged, nil
}

// snapshotPermission decides a restore of a target that cannot be opened
// on the newest intact snapshot's permissions; a refusal is appended to
// the target's audit log, chained after that snapshot's audit.
func snapshotPermission(ctx context.Context, path, dir, target, principal string) error {
	newest, err := NewestIntactBackup(dir, target)
	if err != nil {
		return &BackupError{Target: target, Reason: fmt.Sprintf("target %s cannot be opened and has no intact backup to read its permissions from, so no restore is allowed", target)}
	}
	snap, err := OpenBackup(ctx, newest)
	if err != nil {
		return err
	}
	defer snap.Close()
	have, deployed, err := snap.PermissionLevel(ctx, principal)
	if err == nil && (!deployed || levelRank(have) >= levelRank(CanManage)) {
		return nil
	}
	reason := err
	if err == nil {
		own, _ := snap.Owner(ctx)
		reason = &PermissionError{Principal: principal, Target: target, Action: "restore", Needs: CanManage, Owner: own, Managers: snap.managers(ctx)}
	}
	head, _ := auditHead(ctx, snap.db)
	e := AuditEvent{Principal: principal, Action: "restore", Allowed: false,
		Detail: fmt.Sprintf("target %s cannot be opened; permissions read from snapshot %s: %v", target, newest.ID, reason)}
	if _, aerr := appendChained(auditPath(path), head, e); aerr != nil {
		return fmt.Errorf("%w (and the refusal could not be audited: %v)", reason, aerr)
	}
	return reason
}

// markVerified records the file at path as checked, for this process
// and, by its stamp, for later ones.
func markVerified(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	markChecked(abs)
	writeStamp(checkedPath(path), fileStamp(path))
}

// forgetChecked makes this process check the file at path again before
// opening it (it was replaced).
func forgetChecked(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fileCheck.Lock()
	defer fileCheck.Unlock()
	delete(fileCheck.checked, abs)
}

// recordRestore writes a restore into sys.restores of the restored file,
// and the backups it does not know (taken after the snapshot) from their
// manifests into sys.backups.
func (lh *Lakehouse) recordRestore(ctx context.Context, dir string, r RestoreInfo) error {
	_, err := lh.db.ExecContext(ctx, `INSERT INTO sys.restores VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Backup.ID, r.Backup.CreatedAt, r.Backup.Target, r.RestoredAt, int64(r.Duration), r.Principal, nullString(r.SetAside), r.Damaged)
	if err != nil {
		return fmt.Errorf("lakehouse: record restore: %w", err)
	}
	list, err := ListBackups(dir, r.Backup.Target)
	if err != nil {
		return err
	}
	for _, b := range list {
		var n int
		if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.backups WHERE backup_id = ? AND target = ?", b.ID, b.Target).Scan(&n); err != nil {
			return fmt.Errorf("lakehouse: record restore: %w", err)
		}
		if n == 0 {
			if err := lh.recordBackup(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// LastRestore is the latest restore recorded in the target's file
// (sys.restores): the measured RTO. ok is false when there was none.
func (lh *Lakehouse) LastRestore(ctx context.Context) (RestoreInfo, bool, error) {
	if !lh.hasTable(ctx, sysTable("restores")) {
		return RestoreInfo{}, false, nil
	}
	ok := false
	r, err := governed(ctx, lh, func() (RestoreInfo, int64, error) {
		var r RestoreInfo
		var dur int64
		var aside sql.NullString
		var damaged sql.NullBool
		err := lh.db.QueryRowContext(ctx, `SELECT backup_id, backup_created_at, target, restored_at, duration_ns, coalesce(principal, ''), set_aside, damaged
			FROM sys.restores ORDER BY restored_at DESC LIMIT 1`).
			Scan(&r.Backup.ID, &r.Backup.CreatedAt, &r.Backup.Target, &r.RestoredAt, &dur, &r.Principal, &aside, &damaged)
		if isNoRows(err) {
			return RestoreInfo{}, 0, nil
		}
		if err != nil {
			return RestoreInfo{}, 0, queryError(ctx, err)
		}
		ok = true
		r.Duration, r.SetAside, r.Damaged = time.Duration(dur), aside.String, damaged.Bool
		return r, 1, nil
	}, sysTable("restores"))
	return r, ok && err == nil, err
}

// hasTable reports whether the file has table t (an older file may lack
// a system table a read-only session cannot create).
func (lh *Lakehouse) hasTable(ctx context.Context, t TableName) bool {
	var n int
	err := lh.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()
		AND schema_name = ? AND table_name = ?`, t.Schema, t.Name).Scan(&n)
	return err == nil && n > 0
}
