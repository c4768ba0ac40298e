package lakehouse

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
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
	// borrowed is set while a lakehouse opened under a lock its holder
	// keeps (see open): closing that lakehouse leaves the lock held.
	borrowed bool
}

func lockPath(dbPath string) string { return dbPath + ".lock" }

func acquireWriterLock(dbPath, holder string) (*writerLock, error) {
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
	return &writerLock{f: f}, nil
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
