package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ResultStore keeps live results apart from the target's file: a private
// in-memory DuckDB, spilling to a temporary directory of its own, holding
// the spills of the Lives opened with it (LiveOptions.Store) and of those
// Sort and Filter derive from them. A Live on a store needs its target's
// file only while its query streams: once complete, the read-only
// Lakehouse it came from may be closed (releasing DuckDB's file lock, so
// other processes can write the target) and the result stays readable,
// sortable, filterable (see LiveOptions.Reopen) and exportable.
//
// The store is sandboxed as a principal's session is (no file access, the
// configuration locked), and each result's spill is a temporary table of
// its own connection: a filter reaches nothing but its own result.
type ResultStore struct {
	db    *sql.DB
	dir   string
	lives liveSet
}

// StoreOptions tune OpenResultStore.
type StoreOptions struct {
	// MemoryLimit is the store's DuckDB memory_limit in bytes (0:
	// DefaultMemoryLimit); past it, spills go to the store's temporary
	// directory.
	MemoryLimit int64
	// Threads is the store's DuckDB threads (0: DefaultThreads).
	Threads int
}

// OpenResultStore opens an empty store; Close removes it and its
// temporary directory.
func OpenResultStore(ctx context.Context, opts StoreOptions) (*ResultStore, error) {
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = DefaultMemoryLimit()
	}
	if opts.Threads <= 0 {
		opts.Threads = DefaultThreads()
	}
	sweepResultDirs(os.TempDir())
	dir, err := os.MkdirTemp("", resultDirPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("lakehouse: a store of results: %w", err)
	}
	connector, err := newConnector("", false)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lakehouse: a store of results: %w", err)
	}
	s := &ResultStore{db: sql.OpenDB(connector), dir: dir}
	setup := fmt.Sprintf("SET GLOBAL memory_limit = '%d bytes'; SET GLOBAL threads = %d; SET GLOBAL temp_directory = %s; "+
		"SET GLOBAL enable_external_access = false; SET GLOBAL lock_configuration = true",
		opts.MemoryLimit, opts.Threads, QuoteString(dir))
	if _, err := s.db.ExecContext(ctx, setup); err != nil {
		s.db.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lakehouse: set up a store of results: %w", err)
	}
	return s, nil
}

// session takes a connection of the store for a spill.
func (s *ResultStore) session(ctx context.Context) (*liveSession, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: the store of results: %w", err)
	}
	sess := &liveSession{conn: conn}
	sess.refs.Store(1)
	return sess, nil
}

// Results is how many results the store holds.
func (s *ResultStore) Results() int { return len(s.lives.list()) }

// Close closes every result of the store (they answer that they were
// closed), then the store, removing what it spilled.
func (s *ResultStore) Close() error {
	if !s.lives.closeAll() {
		return nil
	}
	err := s.db.Close()
	os.RemoveAll(s.dir)
	return err
}

// resultDirPrefix begins a store's spill directory's name, followed by
// its process id: lakebench-results-<pid>-<random>.
const resultDirPrefix = "lakebench-results-"

// sweepResultDirs removes the spill directories in tmp of stores whose
// process has ended without closing them (killed, or crashed): a spill of
// a large result can be gigabytes. A directory is removed only when it is
// this user's and its process is known to be gone (kill(pid, 0) says no
// such process); any doubt keeps it. Directories of the older name
// (lakebench-results-<random>) name no process and are left alone.
func sweepResultDirs(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), resultDirPrefix)
		if !ok || !e.IsDir() || e.Type()&os.ModeSymlink != 0 {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if st, isUnix := info.Sys().(*syscall.Stat_t); !isUnix || int(st.Uid) != os.Getuid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(filepath.Join(tmp, e.Name()))
		}
	}
}
