package lakehouse

import (
	"bufio"
	"bytes"
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
	"sync/atomic"
	"syscall"
	"time"
)

// The audit is a hash chain, as a tamper-evident log is: every event carries
// its seq (1, 2, ...), the hash of the event before it (prev_hash, "" for the
// first) and its own hash, SHA-256 over its canonical fields and prev_hash.
// Editing, deleting or reordering an event breaks the chain at that event,
// and VerifyAudit finds it.
//
// A writer appends to sys.audit. A read-only session cannot, so it appends to
// <db>.audit.jsonl, continuing the chain from the head of sys.audit it saw
// when it opened (or from the log's last line), under an flock on the log so
// two readers never fork the chain. The next writer imports the log,
// verifying it: valid events are imported; a break (an edited, deleted or
// unparseable line, a broken link) is imported as an "audit_tamper" event
// that says which line and what, with the line as found.
//
// What the chain cannot show is the loss of a log's last lines or events
// forged with freshly computed hashes: nothing on a laptop holds a secret the
// user of the file cannot read.

// auditMigration adds the chain columns to a sys.audit created by an older
// lakebench (the table itself is created by governanceDDL).
const auditMigration = `
ALTER TABLE sys.audit ADD COLUMN IF NOT EXISTS seq BIGINT;
ALTER TABLE sys.audit ADD COLUMN IF NOT EXISTS prev_hash VARCHAR;
ALTER TABLE sys.audit ADD COLUMN IF NOT EXISTS hash VARCHAR;
ALTER TABLE sys.audit ADD COLUMN IF NOT EXISTS statement VARCHAR;
ALTER TABLE sys.audit ADD COLUMN IF NOT EXISTS result VARCHAR;
`

// ActionAuditTamper is the action of the event that records a break found in
// an audit log when it is imported.
const ActionAuditTamper = "audit_tamper"

// AuditEvent is one row of sys.audit (one line of an audit log).
type AuditEvent struct {
	At        time.Time `json:"at"`
	Principal string    `json:"principal"`
	Action    string    `json:"action"`
	Tables    []string  `json:"tables"`
	Rows      int64     `json:"rows"`
	Allowed   bool      `json:"allowed"`
	Detail    string    `json:"detail,omitempty"`
	// Statement is the SQL text of the access, where there is one.
	Statement string `json:"statement,omitempty"`
	// Result is how the access ended: "12 rows", "refused: ...", or the
	// error's text (see fillResult). An event written before the column
	// has none, and hashes as it did (see ComputeHash).
	Result string `json:"result,omitempty"`
	// Seq, PrevHash and Hash chain the event to the one before it; Audit
	// sets them.
	Seq      int64  `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// auditTimeLayout is how an event's time enters its hash: UTC, to the
// microsecond, as DuckDB's TIMESTAMP keeps it.
const auditTimeLayout = "2006-01-02T15:04:05.000000Z"

// normalize gives the event the form it has once stored: UTC microseconds,
// a non-nil table list.
func (e *AuditEvent) normalize() {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.Tables == nil {
		e.Tables = []string{}
	}
}

// ComputeHash is the event's hash: SHA-256, hex, over the canonical JSON of
// its fields and PrevHash (Hash itself excluded). Statement and Result
// enter it only when set, so an event written before they existed hashes
// as it did then and an older chain verifies unchanged.
func (e AuditEvent) ComputeHash() string {
	tables := e.Tables
	if tables == nil {
		tables = []string{}
	}
	canon := struct {
		Seq       int64    `json:"seq"`
		At        string   `json:"at"`
		Principal string   `json:"principal"`
		Action    string   `json:"action"`
		Tables    []string `json:"tables"`
		Rows      int64    `json:"rows"`
		Allowed   bool     `json:"allowed"`
		Detail    string   `json:"detail"`
		PrevHash  string   `json:"prev_hash"`
		Statement string   `json:"statement,omitempty"`
		Result    string   `json:"result,omitempty"`
	}{e.Seq, e.At.UTC().Format(auditTimeLayout), e.Principal, e.Action, tables, e.Rows, e.Allowed, e.Detail, e.PrevHash, e.Statement, e.Result}
	b, _ := json.Marshal(canon)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chain sets the event's place after head.
func (e *AuditEvent) chain(head chainHead) {
	e.Seq, e.PrevHash = head.Seq+1, head.Hash
	e.Hash = e.ComputeHash()
}

// chainHead is the last event of a chain: seq 0 and hash "" for an empty one.
type chainHead struct {
	Seq  int64
	Hash string
}

// auditPath holds the events of read-only sessions until a writer imports
// them into sys.audit.
func auditPath(dbPath string) string { return dbPath + ".audit.jsonl" }

// Audit records an access. A read-only lakehouse cannot write sys.audit, so
// it appends to a log beside the file that the next writer imports.
func (lh *Lakehouse) Audit(ctx context.Context, e AuditEvent) error {
	e.normalize()
	e.fillResult()
	if lh.readOnly && lh.path != "" {
		_, err := appendChainedAfter(auditPath(lh.path), func() chainHead { return lh.sessionHead(ctx) }, e)
		return err
	}
	lh.auditMu.Lock()
	defer lh.auditMu.Unlock()
	for retried := false; ; retried = true {
		head, err := lh.writerHead(ctx)
		if err != nil {
			return err
		}
		next, err := appendAudit(ctx, lh.db, head, e)
		if errors.Is(err, errAuditHeadMoved) && !retried {
			lh.headKnown = false // read the table's head, and append again
			continue
		}
		if err != nil {
			lh.headKnown = false
			return err
		}
		lh.head = next
		lh.afterCommit()
		return nil
	}
}

// writerHead is the head of sys.audit a writer's next event chains after,
// under auditMu: the last event this process appended, kept while it
// holds the target's writer lock (no other process appends meanwhile,
// and every append of this one goes through auditMu), else read from the
// table. Every append checks it against the table (appendAudit), so a
// head that moved without this process knowing is never forked: the
// append is refused and the head read again.
func (lh *Lakehouse) writerHead(ctx context.Context) (chainHead, error) {
	if lh.headKnown {
		return lh.head, nil
	}
	auditHeadReads.Add(1)
	h, err := auditHead(ctx, lh.db)
	if err != nil {
		return h, err
	}
	lh.head, lh.headKnown = h, true
	return h, nil
}

// auditHeadReads counts writerHead's reads of the table, for the tests.
var auditHeadReads atomic.Int64

// errAuditHeadMoved is appendAudit's refusal of an event chained after a
// head that is not the table's last event.
var errAuditHeadMoved = errors.New("lakehouse: sys.audit has events after the head this event was chained to; it was not written")

// insertAudit writes e into sys.audit if no event there (that the
// statement sees) comes after its place in the chain (seq after
// e.Seq-1): a statement, not a read then a write, so that the check costs
// a scan of seq pruned to its last row groups, and no more statements.
// It reports whether e was written.
func insertAudit(ctx context.Context, db execer, e AuditEvent) (bool, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO sys.audit (event_time, principal, action, tables, rows, allowed, detail, seq, prev_hash, hash, statement, result)
		SELECT ?::TIMESTAMP, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR[], ?::BIGINT, ?::BOOLEAN, ?::VARCHAR, ?::BIGINT, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR
		WHERE NOT EXISTS (SELECT 1 FROM sys.audit WHERE seq >= ?)`,
		e.At, e.Principal, e.Action, e.Tables, e.Rows, e.Allowed, nullString(e.Detail), e.Seq, e.PrevHash, e.Hash, nullString(e.Statement), nullString(e.Result), e.Seq)
	if err != nil {
		return false, fmt.Errorf("lakehouse: audit: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lakehouse: audit: %w", err)
	}
	return n == 1, nil
}

// auditHead is the last event of sys.audit.
func auditHead(ctx context.Context, db execer) (chainHead, error) {
	var h chainHead
	err := db.QueryRowContext(ctx, "SELECT seq, hash FROM sys.audit WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1").Scan(&h.Seq, &h.Hash)
	if err != nil && !isNoRows(err) {
		return h, fmt.Errorf("lakehouse: audit head: %w", err)
	}
	return h, nil
}

// auditWritable checks, before a read-only session runs a principal's
// statement, that the audit log it appends to is a regular file (or not
// there yet): a link or anything else would lose the audit of the access,
// so the statement is refused before it reads anything.
func (lh *Lakehouse) auditWritable() error {
	if !lh.readOnly || lh.path == "" {
		return nil
	}
	return checkLogFile(auditPath(lh.path))
}

// checkLogFile refuses an audit log that is not a regular file.
func checkLogFile(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("lakehouse: audit log %s: %w", path, err)
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("lakehouse: the audit log %s is a symbolic link, not a file: nothing is read while accesses could not be audited; remove the link (and look at who made it: `lakebench audit verify`)", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("lakehouse: the audit log %s is not a regular file (%s): nothing is read while accesses could not be audited; remove it", path, fi.Mode().Type())
	}
	return nil
}

// lockedFile opens path for reading and appending under an exclusive flock,
// which its close releases.
func lockedFile(path string) (*os.File, error) {
	if err := checkLogFile(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: audit log %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lakehouse: lock audit log %s: %w", path, err)
	}
	return f, nil
}

// sessionHead is the head of sys.audit as a read-only session sees it: the
// file cannot change while it is open read-only, so it is read once, and
// only when the session's log is empty (the log's last line is the head
// otherwise). An older file without the chain starts it.
func (lh *Lakehouse) sessionHead(ctx context.Context) chainHead {
	lh.auditMu.Lock()
	defer lh.auditMu.Unlock()
	if !lh.readerHeadRead {
		lh.readerHead, _ = auditHead(ctx, lh.db)
		lh.readerHeadRead = true
	}
	return lh.readerHead
}

// appendChained appends e to the log at path, chained after the log's last
// line, or after head when the log is empty, under the log's lock.
func appendChained(path string, head chainHead, e AuditEvent) (AuditEvent, error) {
	return appendChainedAfter(path, func() chainHead { return head }, e)
}

// appendChainedAfter is appendChained with the head read only when the
// log is empty.
func appendChainedAfter(path string, headOf func() chainHead, e AuditEvent) (AuditEvent, error) {
	f, err := lockedFile(path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	var head chainHead
	if last, ok := lastLine(f); ok {
		var prev AuditEvent
		if err := json.Unmarshal(last, &prev); err == nil && prev.Hash != "" {
			head = chainHead{Seq: prev.Seq, Hash: prev.Hash}
		} else {
			// An unparseable last line: chain after it as if it were an
			// event, with its raw hash, so the import reports the line and
			// the events after it stay linked.
			head = chainHead{Seq: headOf().Seq, Hash: rawHash(last)}
		}
	} else {
		head = headOf()
	}
	e.normalize()
	e.chain(head)
	b, err := json.Marshal(e)
	if err != nil {
		return e, fmt.Errorf("lakehouse: audit: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return e, fmt.Errorf("lakehouse: audit log %s: %w", path, err)
	}
	return e, nil
}

func rawHash(line []byte) string {
	sum := sha256.Sum256(line)
	return "raw:" + hex.EncodeToString(sum[:])
}

// lastLine reads the last non-empty line of f (at most 1 MiB from its end):
// from its last 64 KiB when the line is shorter, as lines are, so a long
// log costs a query no more than a short one.
func lastLine(f *os.File) ([]byte, bool) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil, false
	}
	for _, window := range []int64{64 << 10, 1 << 20} {
		n := min(st.Size(), window)
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, st.Size()-n); err != nil && !errors.Is(err, io.EOF) {
			return nil, false
		}
		buf = bytes.TrimRight(buf, "\n")
		i := bytes.LastIndexByte(buf, '\n')
		if i < 0 && n < st.Size() && n < 1<<20 {
			continue // the line may start before the window: a larger one
		}
		if i >= 0 {
			buf = buf[i+1:]
		}
		return buf, len(buf) > 0
	}
	return nil, false
}

// logBreak is a place where an audit log's chain does not hold.
type logBreak struct {
	Line int    // 1-based line of the log
	Seq  int64  // the seq the line claims, or the one expected there
	What string // what is wrong
	Raw  string // the line as found, when it is not imported as an event
}

// logEntry is a valid event of a log or a break found in it.
type logEntry struct {
	Event *AuditEvent
	Break *logBreak
}

// readLog verifies the chain of the log at path, starting after head. It
// returns the valid events and the breaks, in the order of the log, and the
// head after its last line.
func readLog(path string, head chainHead) (entries []logEntry, last chainHead, err error) {
	if err := checkLogFile(path); err != nil {
		// Never follow it: the break says what is there instead.
		return []logEntry{{Break: &logBreak{Line: 1, Seq: head.Seq + 1, What: err.Error()}}}, head, nil
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, head, nil
	}
	if err != nil {
		return nil, head, fmt.Errorf("lakehouse: audit log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<24)
	want := head
	lost := false // the previous line was unparseable: its link is unknown
	line := 0
	brk := func(b logBreak) { entries = append(entries, logEntry{Break: &b}) }
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			brk(logBreak{Line: line, Seq: want.Seq + 1, What: "an empty line"})
			continue
		}
		var e AuditEvent
		if err := json.Unmarshal(raw, &e); err != nil || e.Hash == "" || e.Seq == 0 {
			what := "not an audit event (no seq or hash)"
			if err != nil {
				what = "unparseable: " + err.Error()
			}
			brk(logBreak{Line: line, Seq: want.Seq + 1, What: what, Raw: string(raw)})
			// The appender chains the next event after this line's raw hash.
			want, lost = chainHead{Seq: want.Seq, Hash: rawHash(raw)}, true
			continue
		}
		if e.ComputeHash() != e.Hash {
			brk(logBreak{Line: line, Seq: e.Seq, What: "edited: its hash does not match its fields", Raw: string(raw)})
			want, lost = chainHead{Seq: e.Seq, Hash: e.Hash}, false
			continue
		}
		if !lost && (e.PrevHash != want.Hash || e.Seq != want.Seq+1) {
			what := "broken link: its prev_hash is not the hash of the event before it"
			switch {
			case e.Seq > want.Seq+1:
				what = fmt.Sprintf("seq %d follows seq %d: %d event(s) deleted", e.Seq, want.Seq, e.Seq-want.Seq-1)
			case e.Seq <= want.Seq:
				what = fmt.Sprintf("seq %d follows seq %d: events reordered or repeated", e.Seq, want.Seq)
			}
			brk(logBreak{Line: line, Seq: e.Seq, What: what})
		}
		entries = append(entries, logEntry{Event: &e})
		want, lost = chainHead{Seq: e.Seq, Hash: e.Hash}, false
	}
	if err := sc.Err(); err != nil {
		brk(logBreak{Line: line + 1, Seq: want.Seq + 1, What: "unreadable: " + err.Error()})
	}
	return entries, want, nil
}

// importAudit moves the read-only sessions' audit log into sys.audit,
// verifying its chain: valid events keep their fields and are chained after
// the head of sys.audit (unchanged when the log is intact), and each break
// becomes an audit_tamper event saying which line and what, with the line.
func (lh *Lakehouse) importAudit(ctx context.Context) error {
	path := auditPath(lh.path)
	return lh.importLog(ctx, path, func(tx *sql.Tx) error {
		head, err := auditHead(ctx, tx)
		if err != nil {
			return err
		}
		entries, _, err := readLog(path, head)
		if err != nil {
			return err
		}
		for _, en := range entries {
			e := AuditEvent{}
			if en.Event != nil {
				e = *en.Event
			} else {
				e = tamperEvent("audit log", path, en.Break)
			}
			if head, err = appendAudit(ctx, tx, head, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// importLog moves a log of read-only sessions (one of AuditEvents chained
// as the audit log is, see appendChainedAfter) into the database: under
// the log's lock, so no reader appends meanwhile, move runs in one
// transaction with sys.audit's order held; once it commits, the log is
// removed. A log that is not there is nothing to import.
func (lh *Lakehouse) importLog(ctx context.Context, path string, move func(tx *sql.Tx) error) error {
	if lh.path == "" {
		return nil
	}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	lh.auditMu.Lock()
	defer lh.auditMu.Unlock()
	// The import appends to sys.audit: the next append reads its head.
	lh.headKnown = false
	f, err := lockedFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tx, err := lh.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lakehouse: import %s: %w", filepath.Base(path), err)
	}
	defer tx.Rollback()
	if err := move(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("lakehouse: import %s: %w", filepath.Base(path), err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("lakehouse: import %s: %w", filepath.Base(path), err)
	}
	return nil
}

// pendingRecords reads a log of read-only sessions (the query or usage
// log): parse makes each event a record; the chain's breaks, and events
// parse refuses (not a kind record), are returned apart, for the import to
// record in sys.audit.
func pendingRecords[R any](path, kind string, parse func(AuditEvent) (R, bool)) ([]R, []*logBreak, error) {
	entries, _, err := readLog(path, chainHead{})
	if err != nil {
		return nil, nil, err
	}
	var out []R
	var breaks []*logBreak
	for _, en := range entries {
		if en.Break != nil {
			breaks = append(breaks, en.Break)
			continue
		}
		r, ok := parse(*en.Event)
		if !ok {
			breaks = append(breaks, &logBreak{Line: -1, Seq: en.Event.Seq, What: "not a " + kind + " record (action " + en.Event.Action + ")"})
			continue
		}
		out = append(out, r)
	}
	return out, breaks, nil
}

// importRecords moves a log of read-only sessions into its table (see
// importLog): pending reads the log's records and breaks inside the
// import's transaction, insert writes each record, and each break becomes
// an audit_tamper event in sys.audit.
func importRecords[R any](ctx context.Context, lh *Lakehouse, path, kind string, pending func(tx *sql.Tx) ([]R, []*logBreak, error), insert func(tx *sql.Tx, r R) error) error {
	return lh.importLog(ctx, path, func(tx *sql.Tx) error {
		records, breaks, err := pending(tx)
		if err != nil {
			return err
		}
		for _, r := range records {
			if err := insert(tx, r); err != nil {
				return err
			}
		}
		if len(breaks) == 0 {
			return nil
		}
		head, err := auditHead(ctx, tx)
		if err != nil {
			return err
		}
		for _, b := range breaks {
			if head, err = appendAudit(ctx, tx, head, tamperEvent(kind+" log", path, b)); err != nil {
				return err
			}
		}
		return nil
	})
}

// tamperEvent is the audit_tamper event that records a break found in
// the log at path, of a kind ("audit log", "query log").
func tamperEvent(kind, path string, b *logBreak) AuditEvent {
	detail := fmt.Sprintf("%s %s line %d (seq %d): %s", kind, filepath.Base(path), b.Line, b.Seq, b.What)
	if b.Raw != "" {
		detail += "; the line as found: " + truncate(strings.ToValidUTF8(b.Raw, "\uFFFD"), 16<<10)
	}
	return AuditEvent{Principal: "lakebench", Action: ActionAuditTamper, Allowed: false, Detail: detail}
}

// appendAudit chains e after head into sys.audit (in a transaction, or
// a statement of its own), returning the new head; errAuditHeadMoved when
// the table has an event after head (see insertAudit).
func appendAudit(ctx context.Context, db execer, head chainHead, e AuditEvent) (chainHead, error) {
	e.normalize()
	e.chain(head)
	written, err := insertAudit(ctx, db, e)
	if err != nil {
		return head, err
	}
	if !written {
		return head, fmt.Errorf("%w (seq %d)", errAuditHeadMoved, head.Seq)
	}
	return chainHead{Seq: e.Seq, Hash: e.Hash}, nil
}

// migrateAudit adds the chain columns to an older sys.audit and chains its
// rows that have none, in the order they were written.
func (lh *Lakehouse) migrateAudit(ctx context.Context) error {
	if _, err := lh.db.ExecContext(ctx, auditMigration); err != nil {
		return fmt.Errorf("lakehouse: migrate sys.audit: %w", err)
	}
	var n int
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.audit WHERE hash IS NULL").Scan(&n); err != nil || n == 0 {
		return err
	}
	tx, err := lh.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lakehouse: migrate sys.audit: %w", err)
	}
	defer tx.Rollback()
	head, err := auditHead(ctx, tx)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT rowid, `+auditColumns+` FROM sys.audit WHERE hash IS NULL ORDER BY event_time, rowid`)
	if err != nil {
		return fmt.Errorf("lakehouse: migrate sys.audit: %w", err)
	}
	type keyed struct {
		rowid int64
		e     AuditEvent
	}
	var old []keyed
	for rows.Next() {
		var k keyed
		if err := scanAudit(rows, &k.e, &k.rowid); err != nil {
			rows.Close()
			return fmt.Errorf("lakehouse: migrate sys.audit: %w", err)
		}
		old = append(old, k)
	}
	rows.Close()
	for _, k := range old {
		k.e.normalize()
		k.e.chain(head)
		if _, err := tx.ExecContext(ctx, "UPDATE sys.audit SET seq = ?, prev_hash = ?, hash = ? WHERE rowid = ?",
			k.e.Seq, k.e.PrevHash, k.e.Hash, k.rowid); err != nil {
			return fmt.Errorf("lakehouse: migrate sys.audit: %w", err)
		}
		head = chainHead{Seq: k.e.Seq, Hash: k.e.Hash}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("lakehouse: migrate sys.audit: %w", err)
	}
	lh.auditMu.Lock()
	lh.headKnown = false
	lh.auditMu.Unlock()
	return nil
}

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = `event_time, principal, action, coalesce(tables, []::VARCHAR[]), coalesce(rows, 0), coalesce(allowed, false),
	coalesce(detail, ''), coalesce(seq, 0), coalesce(prev_hash, ''), coalesce(hash, ''), coalesce(statement, ''), coalesce(result, '')`

// oldAuditColumns are auditColumns of a sys.audit an older lakebench
// wrote, before statement and result, as a read-only session finds it
// (a writer adds them at open: auditMigration).
const oldAuditColumns = `event_time, principal, action, coalesce(tables, []::VARCHAR[]), coalesce(rows, 0), coalesce(allowed, false),
	coalesce(detail, ''), coalesce(seq, 0), coalesce(prev_hash, ''), coalesce(hash, ''), '', ''`

// auditColumnsOf is auditColumns, or oldAuditColumns for a sys.audit
// without statement and result.
func (lh *Lakehouse) auditColumnsOf(ctx context.Context) (string, error) {
	var n int
	if err := lh.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'sys' AND table_name = 'audit' AND column_name IN ('statement', 'result')`).Scan(&n); err != nil {
		return "", fmt.Errorf("lakehouse: audit columns: %w", err)
	}
	if n == 2 {
		return auditColumns, nil
	}
	return oldAuditColumns, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanAudit reads auditColumns, after any extra leading destinations.
func scanAudit(r scanner, e *AuditEvent, lead ...any) error {
	var tables []any
	var principal, action *string
	dest := append(lead, &e.At, &principal, &action, &tables, &e.Rows, &e.Allowed, &e.Detail, &e.Seq, &e.PrevHash, &e.Hash, &e.Statement, &e.Result)
	if err := r.Scan(dest...); err != nil {
		return err
	}
	if principal != nil {
		e.Principal = *principal
	}
	if action != nil {
		e.Action = *action
	}
	e.Tables = make([]string, 0, len(tables))
	for _, t := range tables {
		s, _ := t.(string)
		e.Tables = append(e.Tables, s)
	}
	e.At = e.At.UTC()
	return nil
}

// AuditBreak is a place where an audit chain does not hold.
type AuditBreak struct {
	Source string `json:"source"`         // "sys.audit" or the log's file
	Seq    int64  `json:"seq"`            // the event's seq, or the one expected there
	Line   int    `json:"line,omitempty"` // the log's line (1-based); 0 in sys.audit
	What   string `json:"what"`
}

func (b AuditBreak) String() string {
	if b.Line > 0 {
		return fmt.Sprintf("%s line %d (seq %d): %s", b.Source, b.Line, b.Seq, b.What)
	}
	return fmt.Sprintf("%s seq %d: %s", b.Source, b.Seq, b.What)
}

// AuditChain is what VerifyAudit found in a target's audit.
type AuditChain struct {
	Events   int64  `json:"events"`    // rows of sys.audit
	LastSeq  int64  `json:"last_seq"`  // the head of the chain, pending log included
	LastHash string `json:"last_hash"` // the hash of that event
	Pending  int64  `json:"pending"`   // valid events of the read-only sessions' log, not yet imported
	// Tampered counts audit_tamper events in sys.audit: breaks found and
	// recorded when a log was imported.
	Tampered int64 `json:"tampered"`
	// Break is the first break of the chain, nil when it holds.
	Break *AuditBreak `json:"break,omitempty"`
}

// VerifyAudit re-computes the hash chain over sys.audit and then over the
// read-only sessions' pending log, and reports the first break.
func (lh *Lakehouse) VerifyAudit(ctx context.Context) (AuditChain, error) {
	var c AuditChain
	var chained bool
	if err := lh.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'sys' AND table_name = 'audit' AND column_name = 'hash'`).Scan(&chained); err != nil {
		return c, fmt.Errorf("lakehouse: verify audit: %w", err)
	}
	if !chained {
		c.Break = &AuditBreak{Source: "sys.audit", Seq: 1,
			What: "not chained yet: an older lakebench made this sys.audit; the next write (lakebench run) chains it"}
		return c, nil
	}
	cols, err := lh.auditColumnsOf(ctx)
	if err != nil {
		return c, err
	}
	rows, err := lh.db.QueryContext(ctx, `SELECT `+cols+` FROM sys.audit ORDER BY seq NULLS FIRST, event_time`)
	if err != nil {
		return c, fmt.Errorf("lakehouse: verify audit: %w", err)
	}
	defer rows.Close()
	var head chainHead
	for rows.Next() {
		var e AuditEvent
		if err := scanAudit(rows, &e); err != nil {
			return c, fmt.Errorf("lakehouse: verify audit: %w", err)
		}
		c.Events++
		if e.Action == ActionAuditTamper {
			c.Tampered++
		}
		if c.Break == nil {
			var what string
			switch {
			case e.Hash == "":
				what = "not chained (no hash)"
			case e.ComputeHash() != e.Hash:
				what = "edited: its hash does not match its fields"
			case e.Seq > head.Seq+1:
				what = fmt.Sprintf("seq %d follows seq %d: %d event(s) deleted", e.Seq, head.Seq, e.Seq-head.Seq-1)
			case e.Seq <= head.Seq:
				what = fmt.Sprintf("seq %d follows seq %d: repeated", e.Seq, head.Seq)
			case e.PrevHash != head.Hash:
				what = "broken link: its prev_hash is not the hash of the event before it"
			}
			if what != "" {
				c.Break = &AuditBreak{Source: "sys.audit", Seq: e.Seq, What: what}
			}
		}
		head = chainHead{Seq: e.Seq, Hash: e.Hash}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("lakehouse: verify audit: %w", err)
	}
	entries, last, err := readLog(auditPath(lh.path), head)
	if err != nil {
		return c, err
	}
	for _, en := range entries {
		if en.Event != nil {
			c.Pending++
		} else if c.Break == nil {
			c.Break = &AuditBreak{Source: auditPath(lh.path), Seq: en.Break.Seq, Line: en.Break.Line, What: en.Break.What}
		}
	}
	c.LastSeq, c.LastHash = last.Seq, last.Hash
	return c, nil
}

// AuditFilter selects events for AuditEvents; zero fields select all.
type AuditFilter struct {
	Since     time.Time
	Principal string
	// Action selects one action (SELECT, deploy, grant, ...).
	Action string
	// Table selects the events whose objects include it (schema.table).
	Table string
	Limit int
}

// match reports whether e passes the filter.
func (f AuditFilter) match(e AuditEvent) bool {
	return (f.Since.IsZero() || !e.At.Before(f.Since)) && (f.Principal == "" || e.Principal == f.Principal) &&
		(f.Action == "" || e.Action == f.Action) && (f.Table == "" || slices.Contains(e.Tables, f.Table))
}

// AuditEvents lists sys.audit's events, oldest first. Reading the audit is
// the owner's, or needs SELECT on sys (or sys.audit), and is audited.
func (lh *Lakehouse) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	audit := TableName{Schema: "sys", Name: "audit"}
	if lh.principal != "" {
		if err := lh.Authorize(ctx, lh.principal, []TableName{audit}, nil); err != nil {
			lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: "SELECT", Tables: []string{audit.String()}, Detail: err.Error()})
			return nil, err
		}
	}
	cols, err := lh.auditColumnsOf(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + cols + ` FROM sys.audit WHERE (? IS NULL OR event_time >= ?) AND (? = '' OR principal = ?)
		AND (? = '' OR action = ?) AND (? = '' OR list_contains(tables, ?)) ORDER BY seq`
	var since any
	if !f.Since.IsZero() {
		since = f.Since.UTC()
	}
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := lh.db.QueryContext(ctx, q, since, since, f.Principal, f.Principal, f.Action, f.Action, f.Table, f.Table)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: audit events: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		if err := scanAudit(rows, &e); err != nil {
			return nil, fmt.Errorf("lakehouse: audit events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// The read-only sessions' events the next writer will move into
	// sys.audit are events already: list them after sys.audit's, with a
	// break of their chain as the audit_tamper event the import will write.
	if f.Limit <= 0 || len(out) < f.Limit {
		head, err := auditHead(ctx, lh.db)
		if err != nil {
			return nil, err
		}
		entries, _, err := readLog(auditPath(lh.path), head)
		if err != nil {
			return nil, err
		}
		for _, en := range entries {
			e := AuditEvent{Principal: "lakebench", Action: ActionAuditTamper}
			if en.Event != nil {
				e = *en.Event
			} else {
				e.Detail = fmt.Sprintf("pending audit log %s line %d (seq %d): %s", filepath.Base(auditPath(lh.path)), en.Break.Line, en.Break.Seq, en.Break.What)
			}
			if !f.match(e) {
				continue
			}
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
			out = append(out, e)
		}
	}
	if lh.principal != "" {
		lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: "SELECT", Tables: []string{audit.String()}, Rows: int64(len(out)), Allowed: true})
	}
	return out, nil
}

// DestroyedLogPath is the project-level log of destroyed targets, beside
// the targets' files: it outlives each of them.
func DestroyedLogPath(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), "destroyed.audit.jsonl")
}

// ReadDestroyedLog reads the log of destroyed targets (see Destroy) and
// verifies its chain: it returns its events and its first break, if any.
func ReadDestroyedLog(path string) ([]AuditEvent, *AuditBreak, error) {
	entries, _, err := readLog(path, chainHead{})
	if err != nil {
		return nil, nil, err
	}
	var events []AuditEvent
	var first *AuditBreak
	for _, en := range entries {
		if en.Event != nil {
			events = append(events, *en.Event)
		} else if first == nil {
			first = &AuditBreak{Source: path, Seq: en.Break.Seq, Line: en.Break.Line, What: en.Break.What}
		}
	}
	return events, first, nil
}
