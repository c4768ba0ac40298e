package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Governance, Unity Catalog-like: principals (users, service principals,
// groups), grants of SELECT and MODIFY on schemas and tables, and an audit
// of every access. It is enforced here, below every caller: a statement that
// reads or writes what its principal may not is refused before it runs.
//
// Until a bundle deploys governance (sys.governance has a row), every
// principal may do everything: a fresh project is open. After it, the owner
// (who first deployed the target, see permissions.go) may do everything and others need grants.

const governanceDDL = `
CREATE TABLE IF NOT EXISTS sys.governance (owner VARCHAR, deployed_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS sys.group_members (group_name VARCHAR, member VARCHAR);
CREATE TABLE IF NOT EXISTS sys.grants (principal VARCHAR, privilege VARCHAR, schema_name VARCHAR, table_name VARCHAR);
CREATE TABLE IF NOT EXISTS sys.audit (event_time TIMESTAMP, principal VARCHAR, action VARCHAR, tables VARCHAR[],
	rows BIGINT, allowed BOOLEAN, detail VARCHAR);
`

// The privileges a grant can give.
const (
	Select        = "SELECT"
	Modify        = "MODIFY"
	AllPrivileges = "ALL_PRIVILEGES"
)

// Privileges lists the valid privilege names.
var Privileges = []string{Select, Modify, AllPrivileges}

// Grant gives a principal (user, service principal or group) a privilege on
// a schema, or on one table of it when Table is set.
type Grant struct {
	Principal string `json:"principal"`
	Privilege string `json:"privilege"`
	Schema    string `json:"schema"`
	Table     string `json:"table,omitempty"`
}

// Governance is what a deploy writes: groups and grants, and the owner
// when the target has none yet.
type Governance struct {
	Owner  string
	Groups map[string][]string
	Grants []Grant
}

// AccessError is a refused read or write, naming the missing grant.
type AccessError struct {
	Principal string
	Action    string // "read" or "write"
	// Table is what was refused. Schema "*" names what only the owner may
	// do (Name says what: "read_csv()", "ATTACH", "CREATE TABLE", ...).
	Table     TableName
	Privilege string
	Owner     string
	// Reason, when set, is the whole message: something no one may do
	// through lakebench (a write into sys, SET, a statement that cannot
	// be checked).
	Reason string
}

// safeTableFunctions read no table or file, and show nothing of the
// catalog: anyone may call them.
var safeTableFunctions = map[string]bool{"range": true, "generate_series": true, "unnest": true, "json_each": true, "json_tree": true,
	"duckdb_functions": true, "duckdb_keywords": true, "duckdb_types": true}

func (e *AccessError) Error() string {
	if e.Reason != "" {
		return e.Reason
	}
	who := e.Principal
	if who == "" {
		who = "this session"
	}
	if e.Table.Schema == ownerOnly {
		what := e.Table.Name
		if strings.HasSuffix(what, "()") {
			what = "the table function " + what + ", which reads tables or files past the grants"
		}
		owner := e.Owner
		if owner == "" {
			owner = "who first deployed it"
		}
		verb := "run"
		if e.Action == "read" {
			verb = "read"
		}
		return fmt.Sprintf("lakehouse: %s may not %s %s: only the target's owner (%s) may; read tables by name with a SELECT, under the grants in lakebench.yml (resources.schemas.<schema>.grants)",
			who, verb, what, owner)
	}
	return fmt.Sprintf("lakehouse: %s may not %s %s: it needs %s on %s (or on schema %s); the owner (%s) grants it in lakebench.yml under resources.schemas.%s.grants, then `lakebench bundle deploy`",
		who, e.Action, e.Table, e.Privilege, e.Table, e.Table.Schema, e.Owner, e.Table.Schema)
}

// DeployGovernance replaces the target's groups and grants. g.Owner (the
// deployer) becomes the owner only at the first deploy: a later deploy
// never replaces the owner (SetOwner does, for the owner alone).
func (tx *Tx) DeployGovernance(ctx context.Context, g Governance) error {
	if !tx.governs {
		// The kept owner is forgotten until the transaction ends.
		tx.lh.owners.change()
		tx.governs = true
	}
	stmts := []string{"DELETE FROM sys.group_members", "DELETE FROM sys.grants"}
	for _, s := range stmts {
		if _, err := tx.tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("lakehouse: deploy governance: %w", err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.governance SELECT ?, now()::TIMESTAMP WHERE NOT EXISTS (SELECT 1 FROM sys.governance)", g.Owner); err != nil {
		return fmt.Errorf("lakehouse: deploy governance: %w", err)
	}
	groups := make([]string, 0, len(g.Groups))
	for name := range g.Groups {
		groups = append(groups, name)
	}
	sort.Strings(groups)
	for _, name := range groups {
		// A row without a member records the group itself, so a group
		// without members is still known as a group (see Authorize).
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.group_members VALUES (?, NULL)", name); err != nil {
			return fmt.Errorf("lakehouse: deploy governance: %w", err)
		}
		for _, m := range g.Groups[name] {
			if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.group_members VALUES (?, ?)", name, m); err != nil {
				return fmt.Errorf("lakehouse: deploy governance: %w", err)
			}
		}
	}
	for _, gr := range g.Grants {
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.grants VALUES (?, ?, ?, ?)",
			gr.Principal, strings.ToUpper(gr.Privilege), strings.ToLower(gr.Schema), nullString(strings.ToLower(gr.Table))); err != nil {
			return fmt.Errorf("lakehouse: deploy governance: %w", err)
		}
	}
	return nil
}

// Grants lists the deployed grants, with the owner.
func (lh *Lakehouse) Grants(ctx context.Context) (owner string, grants []Grant, err error) {
	if owner, err = lh.owner(ctx); err != nil {
		return "", nil, err
	}
	rows, err := lh.db.QueryContext(ctx, "SELECT principal, privilege, schema_name, coalesce(table_name, '') FROM sys.grants ORDER BY ALL")
	if err != nil {
		return "", nil, fmt.Errorf("lakehouse: grants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Principal, &g.Privilege, &g.Schema, &g.Table); err != nil {
			return "", nil, err
		}
		grants = append(grants, g)
	}
	return owner, grants, rows.Err()
}

// owner is the target's owner, "" before governance is deployed. It is
// the one place the owner is read; a read-only session reads it once, with
// the rest of its identity checks (see identities).
func (lh *Lakehouse) owner(ctx context.Context) (string, error) {
	if lh.readOnly {
		id, err := lh.identities(ctx)
		if err != nil {
			return "", err
		}
		return id.owner, nil
	}
	if owner, ok := lh.owners.get(); ok {
		return owner, nil
	}
	at, clean := lh.owners.start()
	var owner string
	err := lh.db.QueryRowContext(ctx, "SELECT owner FROM sys.governance LIMIT 1").Scan(&owner)
	if err != nil && !isNoRows(err) {
		return "", fmt.Errorf("lakehouse: owner: %w", err)
	}
	if clean {
		lh.owners.keep(at, owner)
	}
	return owner, nil
}

// ownerCache keeps a writer's owner, as read from sys.governance, until
// a change of sys.governance may have begun: every statement of this
// process that writes sys.governance (SetOwner; DeployGovernance, until
// its transaction ends) runs between change and changed, and no other
// process writes the file while this one holds the writer's lock. An
// owner read is kept only when no change was under way when it began
// and none began before it ended (the generation did not move), so what
// is kept is what sys.governance holds until the next change begins.
type ownerCache struct {
	mu    sync.Mutex
	gen   uint64 // moved when a change begins and when it ends
	open  int    // changes under way
	valid bool
	at    uint64 // gen owner was read at
	owner string
}

// get returns the kept owner, if it is still current.
func (c *ownerCache) get() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owner, c.valid && c.at == c.gen && c.open == 0
}

// start is called before reading the owner: the generation, and whether
// no change is under way.
func (c *ownerCache) start() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.open == 0
}

// keep keeps owner, read since start returned at, unless a change began
// since.
func (c *ownerCache) keep(at uint64, owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == at && c.open == 0 {
		c.valid, c.at, c.owner = true, at, owner
	}
}

// change is called before a statement or transaction that may write
// sys.governance, changed once it has committed or rolled back.
func (c *ownerCache) change() {
	c.mu.Lock()
	c.gen++
	c.open++
	c.valid = false
	c.mu.Unlock()
}

func (c *ownerCache) changed() {
	c.mu.Lock()
	c.gen++
	c.open--
	c.valid = false
	c.mu.Unlock()
}

// Authorize checks that principal may read reads and write writes, and
// returns an *AccessError naming the first missing grant. No one, the
// owner included, may write schema sys: the system tables are lakebench's,
// and sys.audit is append-only. Reads and writes of schema "*" (see
// Access) are the owner's alone.
func (lh *Lakehouse) Authorize(ctx context.Context, principal string, reads, writes []TableName) error {
	for _, t := range writes {
		if t.Schema == ownerOnly && t.Name == undecided {
			return &AccessError{Principal: principal, Action: "write", Table: t,
				Reason: "lakehouse: DuckDB cannot show what this statement writes (it reads a file), so it is refused, to the owner too: load files with `lakebench ingest FILE --table SCHEMA.NAME`, or read them in a SELECT"}
		}
		if t.Schema == "sys" {
			return &AccessError{Principal: principal, Action: "write", Table: t,
				Reason: fmt.Sprintf("lakehouse: no one may write %s through a statement, the owner included: the system tables are lakebench's own and sys.audit is append-only", t)}
		}
	}
	owner, err := lh.owner(ctx)
	if err != nil {
		return err
	}
	if owner == "" || principal == owner {
		return nil // governance not deployed, or the owner
	}
	for _, t := range append(append([]TableName(nil), reads...), writes...) {
		if t.Schema == ownerOnly {
			return &AccessError{Principal: principal, Action: "run", Table: t, Owner: owner}
		}
	}
	// The grants of the principal and of the groups it belongs to, in one
	// statement. A principal named like a group is not that group: its
	// grants reach the group's members only.
	rows, err := lh.db.QueryContext(ctx, `SELECT privilege, schema_name, table_name FROM sys.grants
		WHERE (principal = ? AND NOT EXISTS (SELECT 1 FROM sys.group_members WHERE group_name = ?))
		   OR principal IN (SELECT group_name FROM sys.group_members WHERE member = ?)`, principal, principal, principal)
	if err != nil {
		return fmt.Errorf("lakehouse: authorize: %w", err)
	}
	type grant struct {
		privilege, schema string
		table             sql.NullString // NULL: every table of the schema
	}
	var held []grant
	for rows.Next() {
		var g grant
		if err := rows.Scan(&g.privilege, &g.schema, &g.table); err != nil {
			rows.Close()
			return fmt.Errorf("lakehouse: authorize: %w", err)
		}
		held = append(held, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lakehouse: authorize: %w", err)
	}
	check := func(tables []TableName, privilege, action string) error {
		for _, t := range tables {
			if !slices.ContainsFunc(held, func(g grant) bool {
				return (g.privilege == privilege || g.privilege == "ALL_PRIVILEGES") && g.schema == t.Schema &&
					(!g.table.Valid || g.table.String == t.Name)
			}) {
				return &AccessError{Principal: principal, Action: action, Table: t, Privilege: privilege, Owner: owner}
			}
		}
		return nil
	}
	if err := check(reads, Select, "read"); err != nil {
		return err
	}
	return check(writes, Modify, "write")
}

// Deployed reports whether the target has governance deployed (an owner
// and grants): before the first deploy, every principal may do anything.
func (lh *Lakehouse) Deployed(ctx context.Context) (bool, error) {
	if lh.readOnly {
		id, err := lh.identities(ctx)
		if err != nil {
			return false, err
		}
		return id.deployed, nil
	}
	var n int
	err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.governance").Scan(&n)
	return n > 0, err
}

// authorizeSQL checks a user statement against the principal's grants on
// its bound plan (see Access) and audits a refusal; the caller audits what
// it runs. A principal other than the owner is sandboxed first (see
// sandbox), so nothing of the statement, binding included, can reach a
// file. lakebench itself (principal "") is not checked, except that no
// statement may write schema sys.
func (lh *Lakehouse) authorizeSQL(ctx context.Context, sqlText string) (tables []string, action string, err error) {
	if lh.principal != "" {
		if err := lh.auditWritable(); err != nil {
			return nil, "", err
		}
	}
	if lh.principal == "" {
		// lakebench's own statement: a single SELECT writes nothing, so
		// it needs no plan; anything else is planned for writes into sys.
		if _, perr := lh.TableRefs(ctx, sqlText); perr == nil {
			return nil, "SELECT", nil
		}
	}
	owner, err := lh.owner(ctx)
	if err != nil {
		return nil, "", err
	}
	strict := lh.principal != "" && owner != "" && lh.principal != owner
	if strict {
		if err := lh.sandbox(ctx); err != nil {
			return nil, "", err
		}
	}
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("lakehouse: %w", err)
	}
	reads, writes, err := access(ctx, conn, sqlText, lh.takeParsed(sqlText), strict)
	conn.Close()
	if err != nil && strict && len(reads) > 0 {
		// A query DuckDB could not bind: its names past the grants are
		// refused before DuckDB's error says what exists.
		if aerr := lh.Authorize(ctx, lh.principal, reads, nil); aerr != nil {
			err = aerr
		}
	}
	action = "SELECT"
	if len(writes) > 0 {
		action = "EXECUTE"
	}
	for _, t := range append(append([]TableName(nil), reads...), writes...) {
		tables = append(tables, t.String())
	}
	if err == nil {
		err = registryWrites(lh.principal, writes)
	}
	if err == nil {
		err = stageWrites(lh.principal, writes)
	}
	if err == nil {
		if lh.principal == "" {
			err = lh.Authorize(ctx, "", nil, sysWrites(writes))
		} else {
			err = lh.Authorize(ctx, lh.principal, reads, writes)
		}
	}
	if err != nil {
		var ae *AccessError
		if errors.As(err, &ae) {
			ae.Principal, ae.Owner = lh.principal, owner
			if firstKeyword(sqlText) != "SELECT" && firstKeyword(sqlText) != "WITH" && firstKeyword(sqlText) != "FROM" {
				action = "EXECUTE"
			}
			lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: action, Tables: tables, Allowed: false, Detail: err.Error(),
				Statement: auditStatement(sqlText)})
		}
		return tables, action, err
	}
	return tables, action, nil
}

// sysWrites are the writes into schema sys among writes.
func sysWrites(writes []TableName) []TableName {
	var out []TableName
	for _, t := range writes {
		if t.Schema == "sys" {
			out = append(out, t)
		}
	}
	return out
}

// sandbox locks a read-only lakehouse down for a principal other than the
// owner: no file, ATTACH, COPY, INSTALL, LOAD or SET can succeed on it,
// however the SQL is written (enable_external_access=false, then
// lock_configuration=true).
//
// DuckDB keeps one instance per database file in a process (duckdb-go
// opens through its instance cache), and refuses a second instance of the
// same file with another configuration, so the sandbox cannot be a second
// instance beside this one: it is this instance, for every connection of
// the process to the file, until the last one closes. That is what a
// principal's session is: `lakebench query --as dana`, status, lineage and
// the TUI while idle open the target read-only. A process that holds the
// writer (a run, an Exec) cannot sandbox its instance without losing its
// own access to landing files; there the fail-closed plan check, and the
// parse-tree check before binding, are the guarantee.
func (lh *Lakehouse) sandbox(ctx context.Context) error {
	if !lh.readOnly || lh.sandboxed {
		return nil
	}
	for _, s := range []string{"SET enable_external_access = false", "SET lock_configuration = true"} {
		if _, err := lh.db.ExecContext(ctx, s); err != nil && !strings.Contains(err.Error(), "configuration has been locked") {
			return fmt.Errorf("lakehouse: sandbox the session of %s: %w", lh.principal, err)
		}
	}
	var locked bool
	if err := lh.db.QueryRowContext(ctx, "SELECT current_setting('lock_configuration') AND NOT current_setting('enable_external_access')").Scan(&locked); err != nil || !locked {
		return fmt.Errorf("lakehouse: the session of %s could not be sandboxed, so it runs nothing: %v", lh.principal, err)
	}
	lh.sandboxed = true
	return nil
}

// parse returns DuckDB's parse tree of sqlText (json_serialize_sql) and
// keeps it for the access check of the same text (see takeParsed): a
// command that asks whether its SQL is a SELECT, then runs it, parses it
// once.
func (lh *Lakehouse) parse(ctx context.Context, sqlText string) (string, error) {
	doc, err := serializeSQL(ctx, lh.db, sqlText)
	if err != nil {
		return "", fmt.Errorf("lakehouse: parse: %w", err)
	}
	lh.parsedMu.Lock()
	lh.parsedSQL, lh.parsedDoc = sqlText, doc
	lh.parsedMu.Unlock()
	return doc, nil
}

// takeParsed returns the parse tree parse kept of exactly sqlText, once,
// or "" (the caller parses it). A parse depends on the text alone.
func (lh *Lakehouse) takeParsed(sqlText string) string {
	lh.parsedMu.Lock()
	defer lh.parsedMu.Unlock()
	if lh.parsedDoc == "" || lh.parsedSQL != sqlText {
		return ""
	}
	doc := lh.parsedDoc
	lh.parsedSQL, lh.parsedDoc = "", ""
	return doc
}
