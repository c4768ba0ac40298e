package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Schemas are the schemas every target has, in medallion order. The system
// tables live in "sys": DuckDB reserves the name "system" for its own catalog.
var Schemas = []string{"bronze", "silver", "gold", "ml", "sys"}

// Options configures Open. The zero value opens for writing.
type Options struct {
	// ReadOnly opens the file without the writer lock; DuckDB serves readers
	// only while no other process writes the file.
	ReadOnly bool
	// Holder describes the opener in the writer lock (for example
	// "lakebench bundle run nightly"), so a second writer learns who holds it.
	Holder string
	// MemoryLimit is DuckDB's memory_limit in bytes; 0 means half of the
	// machine's memory (DefaultMemoryLimit).
	MemoryLimit int64
	// Threads is DuckDB's worker threads; 0 means one per core
	// (DefaultThreads).
	Threads int
	// Principal is who user statements (Query, Page, Exec, ...) run as;
	// their reads and writes are checked against the deployed grants.
	Principal string
	// NoWait makes a writer fail at once when other processes read the
	// file, instead of waiting for them (see SetReaderWait): for a write
	// that is only worth doing now.
	NoWait bool
	// SkipFileCheck skips the child-process check of a damaged file (see
	// SetFileCheck); the check's child process sets it.
	SkipFileCheck bool
	// HealthKeepRows is the fewest rows of a model's table whose days
	// DailyStats keeps for the next health step (a smaller table is read
	// faster than they are written); 0 means 100,000, a negative number
	// keeps every table's.
	HealthKeepRows int64
}

// Lakehouse is one target's DuckDB file, opened for reading or writing.
type Lakehouse struct {
	db *sql.DB
	// keepStatsFrom is Options.HealthKeepRows, its default filled in.
	keepStatsFrom int64
	path          string
	readOnly      bool
	lock          *writerLock
	// readers is a read-only session's shared flock on <db>.readers
	// (see readerLock), nil for a writer.
	readers *os.File
	// principal is who user statements run as; "" is lakebench itself,
	// which governance does not check.
	principal string
	// sandboxed is set once the instance is locked down (see sandbox).
	sandboxed bool
	// paged is the result Page pages over (see Page).
	pageMu sync.Mutex
	paged  *ResultSet
	// lives are the open live results (see OpenLive), closed with the
	// lakehouse.
	lives liveSet
	// memoryLimit and threads are DuckDB's settings, set at Open.
	memoryLimit int64
	threads     int
	// threadsMu guards usedThreads, the threads DuckDB uses now (see
	// UseThreads).
	threadsMu   sync.Mutex
	usedThreads int
	// wantThreads is the number UseThreads asked last; threadsDone is
	// closed when the goroutine setting it ends (nil: none runs).
	wantThreads int
	threadsDone chan struct{}
	// auditMu orders this process's appends to sys.audit's chain (and
	// to sys.query_history, numbered in order: see RecordQuery);
	// readerHead is the head of sys.audit in a read-only session, read
	// when its first event is chained (readerHeadRead).
	auditMu        sync.Mutex
	readerHead     chainHead
	readerHeadRead bool
	// head is a writer's head of sys.audit, the last event it appended,
	// while headKnown (see writerHead), under auditMu.
	head      chainHead
	headKnown bool
	// ownerMu guards what a read-only session read once of the target's
	// identities, its owner among them (see identities): no writer can
	// change the file while it is open read-only.
	ownerMu sync.Mutex
	ident   *identities
	// parsed is the last statement TableRefs parsed and its parse tree,
	// which the access check of the same text takes instead of parsing it
	// again (see parse), under parsedMu.
	parsedMu  sync.Mutex
	parsedSQL string
	parsedDoc string
	// volatile are the names of DuckDB's volatile functions, read once
	// for the previews of live results (live_preview.go), under
	// volatileMu.
	volatileMu sync.Mutex
	volatile   map[string]bool
	// builtins are the lower-cased names of DuckDB's built-in functions
	// that a condition selects (see builtinFunctions), under builtinMu.
	builtinMu sync.Mutex
	builtins  map[string]map[string]bool
	// functions are the macros of the database, kept between
	// transactions (see functionClock).
	functions keptFunctions
	// kept is the database's catalog, kept between transactions (see
	// catalogClock).
	kept keptCatalog
	// owners is a writer's target owner, read once until something
	// changes sys.governance (see ownerCache).
	owners ownerCache
	// completion is what Complete may suggest of the catalog to the
	// principal, kept by a read-only session (see completionCatalog).
	completeMu sync.Mutex
	completion *completionNames
	// readsNoted is what recent statements read, for their usage
	// records (see noteReads).
	readsNoted readsNote
	// closeMu orders Close after the work that may outlive a caller's
	// session (a query's usage record reading the catalog).
	closeMu sync.RWMutex
	// unsized are the tables whose exact counts commits kept without
	// their estimated_size yet (see KeepCountSizes), under sizesMu.
	sizesMu sync.Mutex
	unsized map[TableName]bool
	// writes counts what may have changed a table's size since: each
	// commit of a transaction that may have changed a table's rows
	// outside sys (see mayWriteTables), once done, and each statement
	// written outside one (Exec, a test's rows); commitsDone counts every
	// commit, once done (a table of sys's size may have changed); sizes
	// holds every table's size read at one count of each (see
	// catalogSizes).
	writes      atomic.Uint64
	commitsDone atomic.Uint64
	sizes       sizeCache
	// commits counts the commits of this lakehouse's transactions, each
	// counted before DuckDB makes it visible: a Stage is current while
	// no transaction but its own has committed since it began.
	commits atomic.Uint64
	// ckpt checkpoints a writer's file beside its commits (see
	// checkpointer).
	ckpt checkpointer
	// fileIDs hands out the ids of ingested files (see fileIDs).
	fileIDs fileIDs
}

// probe returns the connection pool, for statements that may fail (sniffing
// types, reading a file's schema): DuckDB aborts a transaction on any
// error, so they run on a connection of their own, outside any
// transaction. (A private in-memory DuckDB did this before; starting one
// cost 10 ms a process.)
func (lh *Lakehouse) probe() *sql.DB {
	return lh.db
}

// refuseLinks refuses a database file or write-ahead log that is a link
// (or anything but a regular file): DuckDB would write through it into
// whatever file it points to.
func refuseLinks(path string) error {
	for _, f := range []string{path, path + ".wal"} {
		fi, err := os.Lstat(f)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return fmt.Errorf("lakehouse: %s: %w", f, err)
		case fi.Mode()&os.ModeSymlink != 0:
			return fmt.Errorf("lakehouse: %s is a symbolic link, not a file: DuckDB would write through it into the file it points to; remove the link (a target's files are made by lakebench itself; link the directory %s instead if it must live elsewhere)", f, filepath.Dir(f))
		case !fi.Mode().IsRegular():
			return fmt.Errorf("lakehouse: %s is not a regular file (%s); remove it", f, fi.Mode().Type())
		}
	}
	return nil
}

// Open opens (creating if needed) the DuckDB file at path. A writer takes the
// target's lock first: a second writer gets an *ErrLocked naming the holder.
// An empty path opens a private in-memory lakehouse (for parsing and tests).
func Open(ctx context.Context, path string, opts Options) (*Lakehouse, error) {
	return open(ctx, path, opts, nil)
}

// open is Open; a writer with held set opens under that lock, which its
// holder (a restore, see backup.go) keeps and releases, not the lakehouse;
// a reader with held set reads under that writer's lock (a destroy reads
// the audit it records), without a reader's lock.
func open(ctx context.Context, path string, opts Options, held *writerLock) (*Lakehouse, error) {
	lh := &Lakehouse{path: path, readOnly: opts.ReadOnly, principal: opts.Principal, keepStatsFrom: opts.HealthKeepRows}
	if lh.keepStatsFrom == 0 {
		lh.keepStatsFrom = 100_000
	}
	if path != "" {
		if err := refuseLinks(path); err != nil {
			return nil, err
		}
	}
	switch {
	case path == "":
		opts.ReadOnly, lh.readOnly = false, false
	case opts.ReadOnly:
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("lakehouse: %s does not exist yet: run the pipeline first (lakebench run): %w", path, err)
		}
		// The check's child (SkipFileCheck) reads for a parent that
		// holds the locks; a read under held is its writer's own.
		if !opts.SkipFileCheck && held == nil {
			var err error
			if lh.readers, err = readerLock(path); err != nil {
				return nil, err
			}
		}
	default:
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("lakehouse: create %s: %w", filepath.Dir(path), err)
		}
		lock := held
		if lock == nil {
			var err error
			if lock, err = acquireWriterLock(ctx, path, opts.Holder, opts.NoWait); err != nil {
				return nil, err
			}
		}
		lh.lock = lock
	}
	if err := checkFile(ctx, path, opts); err != nil {
		lh.releaseLock()
		return nil, err
	}
	// A writer making the file (under its lock) has nothing to migrate
	// or recover in it.
	fresh := !opts.ReadOnly && newFile(path)
	connector, err := newConnector(path, opts.ReadOnly)
	if err != nil {
		lh.releaseLock()
		return nil, lh.openError(err)
	}
	lh.db = sql.OpenDB(cleanConnector{connector})
	if err := lh.db.PingContext(ctx); err != nil {
		lh.db.Close()
		lh.releaseLock()
		return nil, lh.openError(err)
	}
	if err := lh.setCompute(ctx, opts); err != nil {
		lh.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if err := lh.bootstrap(ctx, fresh); err != nil {
			lh.Close()
			return nil, err
		}
	}
	return lh, nil
}

// lockHolderPID finds the holder in DuckDB's "Conflicting lock is held in
// /path/prog (PID 123)".
var lockHolderPID = regexp.MustCompile(`held in (.+?) \(PID (\d+)\)`)

// openError explains DuckDB's own file-lock conflict (another process has the
// file open) with the holder recorded in our lock file, when there is one.
func (lh *Lakehouse) openError(err error) error {
	if strings.Contains(err.Error(), "Could not set lock") || strings.Contains(err.Error(), "Conflicting lock") {
		if h, ok := readHolder(lh.path); ok {
			return &ErrLocked{Path: lh.path, Holder: h}
		}
		// A reader holds the file (a query, or the TUI while it reads):
		// name it from DuckDB's message, which is otherwise about its CLI.
		who := "another process"
		if m := lockHolderPID.FindStringSubmatch(err.Error()); m != nil {
			who = fmt.Sprintf("%s (pid %s)", strings.TrimSuffix(filepath.Base(m[1]), " (deleted)"), m[2])
		}
		return fmt.Errorf("lakehouse: %s is open for reading in %s; wait for it to finish (or close it) and retry", lh.path, who)
	}
	if isDamage(err) {
		return &DamagedError{Path: lh.path, Reason: duckdbReason(err.Error())}
	}
	return fmt.Errorf("lakehouse: open %s: %w", lh.path, err)
}

func (lh *Lakehouse) releaseLock() {
	if lh.readers != nil {
		syscall.Flock(int(lh.readers.Fd()), syscall.LOCK_UN)
		lh.readers.Close()
		lh.readers = nil
	}
	if lh.lock != nil {
		if !lh.lock.borrowed {
			lh.lock.release()
		}
		lh.lock = nil
	}
}

// Close closes the database and releases the writer lock.
func (lh *Lakehouse) Close() error {
	var err error
	lh.closeLives()
	lh.stopCheckpoints()
	lh.WaitThreads()
	// The sizes of the last counts, so the next process shows them.
	lh.KeepCountSizes(context.Background())
	lh.pageMu.Lock()
	lh.paged.Close()
	lh.paged = nil
	lh.pageMu.Unlock()
	lh.closeMu.Lock()
	if lh.db != nil {
		err = lh.db.Close()
		lh.db = nil
	}
	lh.closeMu.Unlock()
	lh.releaseLock()
	return err
}

// Path is the DuckDB file.
func (lh *Lakehouse) Path() string { return lh.path }

// ReadOnly reports whether the lakehouse was opened without write access.
func (lh *Lakehouse) ReadOnly() bool { return lh.readOnly }

// newFile reports whether a database file (and its write-ahead log) does
// not exist yet; an in-memory lakehouse is new.
func newFile(path string) bool {
	for _, f := range []string{path, path + ".wal"} {
		if _, err := os.Lstat(f); path != "" && !errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	return true
}

// bootstrap creates the schemas and system tables; it is idempotent. In a
// fresh file (see newFile) no run can have crashed, no staged build been
// left, and no row of an older lakebench be waiting for its migration.
func (lh *Lakehouse) bootstrap(ctx context.Context, fresh bool) error {
	var b strings.Builder
	for _, s := range Schemas {
		fmt.Fprintf(&b, "CREATE SCHEMA IF NOT EXISTS %s;\n", s)
	}
	// Where ingested rows are stored (see storeTable); made here, not by
	// parallel loads, whose transactions would conflict creating it.
	b.WriteString("CREATE SCHEMA IF NOT EXISTS bronze_data;\n")
	b.WriteString(systemDDL)
	b.WriteString(monitorDDL)
	b.WriteString(governanceDDL)
	// sys.tokens, empty until a token is issued: a reader's identity
	// check reads it with the rest in one statement (see identityQuery),
	// where a missing table costs a failed statement first.
	b.WriteString(tokensDDL)
	b.WriteString(deployDDL)
	b.WriteString(usageDDL)
	b.WriteString(backupDDL)
	b.WriteString(healthDDL)
	if fresh {
		// The columns migrateAudit adds, in the same statement.
		b.WriteString(auditMigration)
	}
	if _, err := lh.db.ExecContext(ctx, "BEGIN;\n"+b.String()+"COMMIT;\n"); err != nil {
		return fmt.Errorf("lakehouse: create schemas in %s: %w", lh.path, err)
	}
	if fresh {
		// The imports still run: the logs of read-only sessions may
		// outlive a removed file.
		return lh.imports(ctx)
	}
	// A writer holds the lock: a run left "running" by a process that is
	// gone is marked crashed now, not at its job's next run.
	if _, err := lh.MarkCrashedRuns(ctx); err != nil {
		return err
	}
	// A staged build a killed run left behind was never taken.
	if err := lh.dropStages(ctx); err != nil {
		return err
	}
	if err := lh.migrateAudit(ctx); err != nil {
		return err
	}
	if err := lh.migrateQueryHistory(ctx); err != nil {
		return err
	}
	return lh.imports(ctx)
}

// imports imports the logs of read-only sessions: audit, queries, usage.
func (lh *Lakehouse) imports(ctx context.Context) error {
	if err := lh.importAudit(ctx); err != nil {
		return err
	}
	if err := lh.importQueries(ctx); err != nil {
		return err
	}
	return lh.importUsage(ctx)
}

// SetPrincipal sets who the following user statements run as.
func (lh *Lakehouse) SetPrincipal(p string) { lh.principal = p }

// Principal is who user statements run as.
func (lh *Lakehouse) Principal() string { return lh.principal }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// ErrNotFound is returned when a named table does not exist.
var ErrNotFound = errors.New("not found")

// TableName is a schema-qualified table name.
type TableName struct {
	Schema string
	Name   string
}

// ParseTableName reads "schema.table"; a bare name is an error that says so.
func ParseTableName(s string) (TableName, error) {
	schema, name, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok || schema == "" || name == "" || strings.Contains(name, ".") {
		return TableName{}, fmt.Errorf("lakehouse: table %q: want SCHEMA.NAME, for example bronze.orders", s)
	}
	return TableName{Schema: strings.ToLower(schema), Name: name}, nil
}

// String is "schema.name".
func (t TableName) String() string { return t.Schema + "." + t.Name }

// SQL is the quoted "schema"."name" for use in statements.
func (t TableName) SQL() string { return QuoteIdent(t.Schema) + "." + QuoteIdent(t.Name) }
