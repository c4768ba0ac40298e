package lakehouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
)

// A damaged DuckDB file can crash the process that reads it (a SIGSEGV
// inside DuckDB, which Go cannot recover from). So before a process opens
// an existing file for the first time, a child process opens it and reads
// what opening and listing it reads; if the child dies or DuckDB reports
// damage, Open returns a *DamagedError instead of crashing. The package does
// not know which binary it is in: the program says how to start the child
// with SetFileCheck, and the child calls ServeFileCheck.

// DamagedError is returned by Open for a file DuckDB cannot read safely.
type DamagedError struct {
	Path   string
	Reason string // what DuckDB said, or how the check died
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("lakehouse: %s is damaged (DuckDB %s): restore a backup (lakebench restore latest; lakebench backup list shows them) or delete it and re-run (lakebench bundle deploy && lakebench run)",
		e.Path, e.Reason)
}

// ExitCheckBusy is ServeFileCheck's exit status when the file is in use by
// a writer, so it could not be checked (nor opened: Open will say so).
const ExitCheckBusy = 3

var fileCheck struct {
	sync.Mutex
	cmd     func(ctx context.Context, path string) *exec.Cmd
	checked map[string]bool
}

// SetFileCheck sets how Open checks a file in a child process: cmd returns
// a command that runs ServeFileCheck(path) and exits with its status. nil
// (the default) turns the check off.
func SetFileCheck(cmd func(ctx context.Context, path string) *exec.Cmd) {
	fileCheck.Lock()
	defer fileCheck.Unlock()
	fileCheck.cmd = cmd
}

// ServeFileCheck is the child's side of the check: it opens the file
// read-only and reads the catalog and the row count of every table, the
// reads that meet a damaged file first. It returns the exit status: 0 when
// the file is sound, ExitCheckBusy when a writer holds it, 1 (with DuckDB's
// error on stderr) when it is damaged. On a badly damaged file it crashes,
// which is what the parent is spared.
func ServeFileCheck(path string) int {
	ctx := context.Background()
	lh, err := Open(ctx, path, Options{ReadOnly: true, SkipFileCheck: true})
	if err == nil {
		err = checkTables(ctx, lh)
		lh.Close()
	}
	if err == nil {
		return 0
	}
	var damaged *DamagedError
	var locked *ErrLocked
	if errors.As(err, &locked) || !errors.As(err, &damaged) && isLockConflict(err) {
		return ExitCheckBusy
	}
	reason := duckdbReason(firstLine(err.Error()))
	if damaged != nil {
		reason = damaged.Reason
	}
	fmt.Fprintln(os.Stderr, reason)
	return 1
}

func checkTables(ctx context.Context, lh *Lakehouse) error {
	rows, err := lh.db.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND NOT temporary
		UNION ALL SELECT schema_name, view_name FROM duckdb_views()
		WHERE database_name = current_database() AND NOT internal AND NOT temporary`)
	if err != nil {
		return err
	}
	var tables []TableName
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		var n int64
		if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.SQL()).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", t, err)
		}
	}
	return nil
}

func isLockConflict(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Could not set lock") || strings.Contains(s, "Conflicting lock") || strings.Contains(s, "is open for reading")
}

// checkFile runs the child check on path once per process, if a check is
// set and the file exists.
func checkFile(ctx context.Context, path string, opts Options) error {
	if path == "" || opts.SkipFileCheck {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fileCheck.Lock()
	newCmd := fileCheck.cmd
	done := fileCheck.checked[abs]
	fileCheck.Unlock()
	if newCmd == nil || done {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil // a new file (or Open reports why not)
	}
	stamp := fileStamp(path)
	if old, err := readStamp(checkedPath(path)); err == nil && string(old) == stamp {
		markChecked(abs) // checked by an earlier process, unchanged since
		return nil
	}
	cmd := newCmd(ctx, path)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &DamagedError{Path: path, Reason: "crashed reading it: " + ws.Signal().String()}
		}
		if exit.ExitCode() == ExitCheckBusy {
			return nil // in use: Open says by whom
		}
		reason := duckdbReason(strings.TrimSpace(firstLine(stderr.String())))
		if goCrash.MatchString(reason) {
			reason = "crashed reading it: " + reason
		}
		if reason == "" {
			reason = fmt.Sprintf("check exited with status %d", exit.ExitCode())
		}
		return &DamagedError{Path: path, Reason: reason}
	default:
		return nil // the check could not start: open as before
	}
	markChecked(abs)
	writeStamp(checkedPath(path), stamp) // best effort: a reader may not write here
	return nil
}

// readStamp reads a stamp file, never through a link.
func readStamp(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 4096))
}

// writeStamp replaces the stamp file by a new one (a temporary file
// renamed over it), so a link put in its place is replaced, never written
// through.
func writeStamp(path, stamp string) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(stamp)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Chmod(tmp.Name(), 0o644) != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}

func markChecked(abs string) {
	fileCheck.Lock()
	defer fileCheck.Unlock()
	if fileCheck.checked == nil {
		fileCheck.checked = map[string]bool{}
	}
	fileCheck.checked[abs] = true
}

// checkedPath records the stamp of the file as it was when it last passed
// the check, so an unchanged file is not checked again by each process.
func checkedPath(dbPath string) string { return dbPath + ".checked" }

// fileStamp is the size and modification time of the file and of its
// write-ahead log: any write changes it.
func fileStamp(path string) string {
	var b strings.Builder
	for _, f := range []string{path, path + ".wal"} {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", filepath.Base(f), st.Size(), st.ModTime().UnixNano())
		}
	}
	return b.String()
}

// isDamage reports whether DuckDB's error says the file is damaged.
func isDamage(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Corrupt database file") || strings.Contains(s, "INTERNAL Error") ||
		strings.Contains(s, "Could not read enough bytes") || strings.Contains(s, "not a valid DuckDB database file")
}

// goCrash is how the Go runtime reports a crash inside DuckDB (a signal in
// cgo code) before it exits with status 2.
var goCrash = regexp.MustCompile(`^(SIG[A-Z]+: |fatal error: |panic: )`)

// duckdbError finds DuckDB's own words ("IO Error: ...") in a wrapped error.
var duckdbError = regexp.MustCompile(`[A-Z][A-Za-z]* Error: .*`)

func duckdbReason(s string) string {
	if m := duckdbError.FindString(s); m != "" {
		return m
	}
	return s
}
