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
}

func lockPath(dbPath string) string { return dbPath + ".lock" }

func acquireWriterLock(dbPath, holder string) (*writerLock, error) {
	f, err := os.OpenFile(lockPath(dbPath), os.O_RDWR|os.O_CREATE, 0o644)
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
