package lakehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Holder describes the process that holds a target's writer lock.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// ErrLocked is returned by Open when another process writes the target.
type ErrLocked struct {
	Path   string
	Holder Holder
}

func (e *ErrLocked) Error() string {
	cmd := e.Holder.Command
	if cmd == "" {
		cmd = "unknown command"
	}
	return fmt.Sprintf("lakehouse: %s is being written by process %d (%s) since %s; wait for it to finish or stop it, then retry",
		e.Path, e.Holder.PID, cmd, e.Holder.Since.Format(time.TimeOnly))
}

// writerLock is an flock on <db>.lock: the kernel drops it when the holder
// dies, so a killed process never leaves a stale lock behind.
type writerLock struct {
	f *os.File
	// readers is <db>.readers, held exclusively (see waitReaders).
	readers *os.File
	// borrowed is set while a lakehouse opened under a lock its holder
	// keeps (see open): closing that lakehouse leaves the lock held.
	borrowed bool
}

func lockPath(dbPath string) string { return dbPath + ".lock" }

func acquireWriterLock(ctx context.Context, dbPath, holder string, noWait bool) (*writerLock, error) {
	f, err := openLockFile(lockPath(dbPath))
	if err != nil {
		return nil, fmt.Errorf("lakehouse: lock %s: %w", dbPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h, _ := readHolder(dbPath)
			return nil, &ErrLocked{Path: dbPath, Holder: h}
		}
		return nil, fmt.Errorf("lakehouse: lock %s: %w", dbPath, err)
	}
	if holder == "" {
		holder = strings.Join(os.Args, " ")
	}
	data, _ := json.Marshal(Holder{PID: os.Getpid(), Command: holder, Since: time.Now()})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(data, 0)
	}
	l := &writerLock{f: f}
	if l.readers, err = waitReaders(ctx, dbPath, noWait); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

// openLockFile opens (creating) the lock file itself, never what a link
// points to: the lock is truncated and rewritten, so a symbolic link (or a
// second hard link) planted at its name would otherwise truncate another
// file. O_NOFOLLOW refuses a symbolic link in the kernel, with no window
// between a check and the open.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
		return nil, fmt.Errorf("%s is a symbolic link, not lakebench's lock file; remove the link (lakebench makes the file itself) and retry", path)
	}
	if errors.Is(err, syscall.EISDIR) {
		return nil, fmt.Errorf("%s is a directory, not lakebench's lock file; remove it (lakebench makes the file itself) and retry", path)
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s); remove it (lakebench makes the lock file itself) and retry", path, st.Mode().Type())
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
		f.Close()
		return nil, fmt.Errorf("%s has %d hard links, so writing it would change another file too; remove it (lakebench makes the lock file itself) and retry", path, sys.Nlink)
	}
	return f, nil
}

func (l *writerLock) release() {
	if l.readers != nil {
		syscall.Flock(int(l.readers.Fd()), syscall.LOCK_UN)
		l.readers.Close()
	}
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

func readHolder(dbPath string) (Holder, bool) {
	data, err := os.ReadFile(lockPath(dbPath))
	if err != nil || len(data) == 0 {
		return Holder{}, false
	}
	var h Holder
	if json.Unmarshal(data, &h) != nil {
		return Holder{}, false
	}
	return h, true
}

// Readers and the writer. DuckDB lets one process write a file, or any
// number read it, and refuses the others at once: a writer opening while
// a reader briefly has the file (the TUI reloading, a query) failed and
// told the user to retry. So every read-only session of a target holds a
// shared flock on <db>.readers while its file is open, and a writer,
// once it holds <db>.lock, takes <db>.readers exclusively: it waits for
// the readers to close the file (up to SetReaderWait's limit, saying whom
// it waits for), then keeps it until it closes, so readers that come
// meanwhile are told at once who writes. A reader that finds <db>.lock
// held by a writer (writing, or waiting for the readers before it) does
// not start, so readers coming and going cannot keep a writer out. The
// kernel drops a flock when its holder dies: a crashed reader or writer
// never blocks anyone.

// DefaultReaderWait is how long a writer waits for read-only sessions
// of other processes to close the file, unless SetReaderWait says.
const DefaultReaderWait = time.Minute

var readerWait = struct {
	sync.Mutex
	d      time.Duration
	notify func(string)
}{d: DefaultReaderWait}

// SetReaderWait sets how long Open for writing waits for read-only
// sessions of other processes to close the file (0: not at all, fail at
// once naming them), and notify, called with a message when it starts
// waiting (nil: none; the CLI prints it, the TUI does not).
func SetReaderWait(d time.Duration, notify func(msg string)) {
	readerWait.Lock()
	defer readerWait.Unlock()
	readerWait.d, readerWait.notify = d, notify
}

func readersPath(dbPath string) string { return dbPath + ".readers" }

// ReadersError is returned by Open for writing when read-only sessions
// of other processes kept the file open past the wait.
type ReadersError struct {
	Path    string
	Readers string // who reads, as "lakebench query (pid 12)"
	Waited  time.Duration
}

func (e *ReadersError) Error() string {
	waited := "; wait for it to finish (or close it) and retry"
	if e.Waited > 0 {
		waited = fmt.Sprintf(" (waited %s for it to close); close it, or wait for it to finish, and retry (LAKEBENCH_LOCK_WAIT sets how long to wait)", e.Waited)
	}
	return fmt.Sprintf("lakehouse: %s is open for reading in %s%s", e.Path, e.Readers, waited)
}

// waitReaders takes <db>.readers exclusively for a writer that holds
// <db>.lock: at once when no reader has the file open, else once the
// readers close it, within the wait (none with noWait).
func waitReaders(ctx context.Context, dbPath string, noWait bool) (*os.File, error) {
	f, err := openLockFile(readersPath(dbPath))
	if err != nil {
		return nil, fmt.Errorf("lakehouse: lock %s: %w", dbPath, err)
	}
	fd := int(f.Fd())
	err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("lakehouse: lock %s: %w", dbPath, err)
	}
	readerWait.Lock()
	wait, notify := readerWait.d, readerWait.notify
	readerWait.Unlock()
	pids, known := flockHolders(f, false)
	who := describePIDs(pids)
	self := known && len(pids) > 0 && !slices.ContainsFunc(pids, func(p int) bool { return p != os.Getpid() })
	if wait <= 0 || noWait || self {
		// This process's own reader would not close while it waits.
		f.Close()
		return nil, &ReadersError{Path: dbPath, Readers: who}
	}
	if notify != nil {
		notify(fmt.Sprintf("lakebench: %s is open for reading in %s: waiting up to %s for it to close (Ctrl-C stops)", dbPath, who, wait))
	}
	got := make(chan error, 1)
	go func() {
		for {
			err := syscall.Flock(fd, syscall.LOCK_EX)
			if err != syscall.EINTR {
				got <- err
				return
			}
		}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lakehouse: lock %s: %w", dbPath, err)
		}
		return f, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = &ReadersError{Path: dbPath, Readers: who, Waited: wait}
	}
	// The flock still waits in its goroutine: it lets go of the lock
	// as soon as it gets it, and only then closes the file (closing it
	// before could hand its descriptor to another file).
	go func() {
		if <-got == nil {
			syscall.Flock(fd, syscall.LOCK_UN)
		}
		f.Close()
	}()
	return nil, err
}

// readerLock is the shared flock of a read-only session on <db>.readers,
// or nil when there is none to take: a file lakebench's writer never
// opened (a snapshot), or a directory this user may not write.
func readerLock(dbPath string) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	if _, err := os.Lstat(lockPath(dbPath)); err == nil {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(readersPath(dbPath), flags, 0o644)
	if err != nil && flags&os.O_CREATE != 0 && errors.Is(err, os.ErrPermission) {
		f, err = os.OpenFile(readersPath(dbPath), flags&^os.O_CREATE, 0)
	}
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission):
		return nil, nil // DuckDB's own lock still refuses a reader beside a writer
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("lakehouse: %s is a symbolic link, not lakebench's lock file; remove the link (lakebench makes the file itself) and retry", readersPath(dbPath))
	case err != nil:
		return nil, fmt.Errorf("lakehouse: lock %s: %w", dbPath, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lakehouse: %s is not a regular file; remove it (lakebench makes the lock file itself) and retry", readersPath(dbPath))
	}
	locked := func() error {
		f.Close()
		h, _ := readHolder(dbPath)
		return &ErrLocked{Path: dbPath, Holder: h}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, locked() // a writer has the file
		}
		f.Close()
		return nil, fmt.Errorf("lakehouse: lock %s: %w", dbPath, err)
	}
	if writerWaiting(dbPath) {
		return nil, locked()
	}
	return f, nil
}

// writerWaiting says whether a writer holds <db>.lock (it may be
// waiting for the readers): from the kernel's table of locks, else from
// the holder's record and whether its process lives.
func writerWaiting(dbPath string) bool {
	// A writer writes its record as soon as it holds the lock and
	// empties it when it lets go: no record, no writer (one that has not
	// written it yet waits for this reader, as for any other).
	h, ok := readHolder(dbPath)
	if !ok {
		return false
	}
	lf, err := os.OpenFile(lockPath(dbPath), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer lf.Close()
	if pids, known := flockHolders(lf, true); known {
		return len(pids) > 0
	}
	return h.PID > 0 && syscall.Kill(h.PID, 0) != syscall.ESRCH
}

// flockHolders lists the processes holding a flock on f, exclusive ones
// (writers) or shared ones, from /proc/locks; known is false when that
// cannot be read.
func flockHolders(f *os.File, exclusive bool) (pids []int, known bool) {
	st, err := f.Stat()
	if err != nil {
		return nil, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, false
	}
	data, err := os.ReadFile("/proc/locks")
	if err != nil {
		return nil, false
	}
	dev := uint64(sys.Dev)
	major, minor := (dev>>8)&0xfff|(dev>>32)&^0xfff, dev&0xff|(dev>>12)&^0xff
	file := fmt.Sprintf("%02x:%02x:%d", major, minor, sys.Ino)
	kind := "READ"
	if exclusive {
		kind = "WRITE"
	}
	// 1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF ("->" marks a
	// waiter, which holds nothing). On overlayfs the kernel names the
	// file by the layer's device, which stat does not show: then the
	// inode alone is matched.
	ino := fmt.Sprintf(":%d", sys.Ino)
	for _, exact := range []bool{true, false} {
		for _, line := range strings.Split(string(data), "\n") {
			fs := strings.Fields(line)
			if len(fs) < 6 || fs[1] != "FLOCK" || fs[3] != kind || exact && fs[5] != file || !exact && !strings.HasSuffix(fs[5], ino) {
				continue
			}
			if pid, err := strconv.Atoi(fs[4]); err == nil && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
		if len(pids) > 0 {
			break
		}
	}
	return pids, true
}

// describePIDs names processes as "lakebench query (pid 12)".
func describePIDs(pids []int) string {
	if len(pids) == 0 {
		return "another process"
	}
	var names []string
	for _, pid := range pids {
		name := "a process"
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
			// The program and its subcommand words (lakebench alerts
			// check), not its flags or SQL.
			args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
			if args[0] != "" {
				words := []string{filepath.Base(args[0])}
				for _, a := range args[1:] {
					if len(words) == 3 || a == "" || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz-") != "" || a[0] == '-' {
						break
					}
					words = append(words, a)
				}
				name = strings.Join(words, " ")
			}
		}
		names = append(names, fmt.Sprintf("%s (pid %d)", name, pid))
	}
	return strings.Join(names, ", ")
}
