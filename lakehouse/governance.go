package lakehouse

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Governance, Unity Catalog-like: principals (users, service principals,
// groups), grants of SELECT and MODIFY on schemas and tables, and an audit
// of every access. It is enforced here, below every caller: a statement that
// reads or writes what its principal may not is refused before it runs.
//
// Until a bundle deploys governance (sys.governance has a row), every
// principal may do everything: a fresh project is open. After it, the owner
// (the target's run_as identity) may do everything and others need grants.

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

// Governance is what a deploy writes: the owner, groups and grants.
type Governance struct {
	Owner  string
	Groups map[string][]string
	Grants []Grant
}

// AccessError is a refused read or write, naming the missing grant.
type AccessError struct {
	Principal string
	Action    string // "read" or "write"
	Table     TableName
	Privilege string
	Owner     string
}

// safeTableFunctions read no table or file: anyone may call them.
var safeTableFunctions = map[string]bool{"range": true, "generate_series": true, "unnest": true, "json_each": true, "json_tree": true,
	// The catalog: names and types, no rows.
	"duckdb_tables": true, "duckdb_columns": true, "duckdb_schemas": true, "duckdb_views": true, "duckdb_types": true,
	"duckdb_functions": true, "duckdb_keywords": true, "duckdb_constraints": true, "duckdb_indexes": true}

func (e *AccessError) Error() string {
	if e.Table.Schema == "*" {
		what := "statements other than a SELECT"
		if strings.HasSuffix(e.Table.Name, "()") {
			what = "the table function " + e.Table.Name + ", which reads tables or files past the grants"
		}
		return fmt.Sprintf("lakehouse: %s may not run %s: only the target's owner (%s) may; read tables by name with a SELECT, under the grants in lakebench.yml (resources.schemas.<schema>.grants)",
			e.Principal, what, e.Owner)
	}
	return fmt.Sprintf("lakehouse: %s may not %s %s: it needs %s on %s (or on schema %s); the owner (%s) grants it in lakebench.yml under resources.schemas.%s.grants, then `lakebench bundle deploy`",
		e.Principal, e.Action, e.Table, e.Privilege, e.Table, e.Table.Schema, e.Owner, e.Table.Schema)
}

// DeployGovernance replaces the target's owner, groups and grants.
func (tx *Tx) DeployGovernance(ctx context.Context, g Governance) error {
	stmts := []string{"DELETE FROM sys.governance", "DELETE FROM sys.group_members", "DELETE FROM sys.grants"}
	for _, s := range stmts {
		if _, err := tx.tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("lakehouse: deploy governance: %w", err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.governance VALUES (?, now()::TIMESTAMP)", g.Owner); err != nil {
		return fmt.Errorf("lakehouse: deploy governance: %w", err)
	}
	groups := make([]string, 0, len(g.Groups))
	for name := range g.Groups {
		groups = append(groups, name)
	}
	sort.Strings(groups)
	for _, name := range groups {
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
	err = lh.db.QueryRowContext(ctx, "SELECT owner FROM sys.governance LIMIT 1").Scan(&owner)
	if err != nil && !isNoRows(err) {
		return "", nil, fmt.Errorf("lakehouse: grants: %w", err)
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

// Authorize checks that principal may read reads and write writes, and
// returns an *AccessError naming the first missing grant.
func (lh *Lakehouse) Authorize(ctx context.Context, principal string, reads, writes []TableName) error {
	var owner string
	err := lh.db.QueryRowContext(ctx, "SELECT owner FROM sys.governance LIMIT 1").Scan(&owner)
	if isNoRows(err) || principal == owner {
		return nil // governance not deployed, or the owner
	}
	if err != nil {
		return fmt.Errorf("lakehouse: authorize: %w", err)
	}
	// The principal and the groups it belongs to.
	who := []string{principal}
	rows, err := lh.db.QueryContext(ctx, "SELECT group_name FROM sys.group_members WHERE member = ?", principal)
	if err != nil {
		return fmt.Errorf("lakehouse: authorize: %w", err)
	}
	for rows.Next() {
		var g string
		rows.Scan(&g)
		who = append(who, g)
	}
	rows.Close()
	has := func(t TableName, privilege string) (bool, error) {
		var n int
		err := lh.db.QueryRowContext(ctx, `SELECT count(*) FROM sys.grants WHERE list_contains(?, principal)
			AND privilege IN (?, 'ALL_PRIVILEGES') AND schema_name = ? AND (table_name IS NULL OR table_name = ?)`,
			who, privilege, t.Schema, t.Name).Scan(&n)
		return n > 0, err
	}
	check := func(tables []TableName, privilege, action string) error {
		for _, t := range tables {
			ok, err := has(t, privilege)
			if err != nil {
				return fmt.Errorf("lakehouse: authorize: %w", err)
			}
			if !ok {
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
	var n int
	err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.governance").Scan(&n)
	return n > 0, err
}

// authorizeSQL checks a user statement against the principal's grants and
// audits it: a SELECT needs SELECT on every table it reads; any other
// statement is for the owner alone.
func (lh *Lakehouse) authorizeSQL(ctx context.Context, sqlText string) (tables []string, action string, err error) {
	if lh.principal == "" {
		return nil, "", nil
	}
	refs, funcs, perr := lh.sqlRefs(ctx, sqlText)
	action = "SELECT"
	var reads, writes []TableName
	if perr != nil {
		// Not a single SELECT: DDL or DML writes what it names; only the
		// owner (or ALL_PRIVILEGES on every schema) may run it.
		action = "EXECUTE"
		writes = []TableName{{Schema: "*", Name: "*"}}
	}
	// Table functions that read tables or files by name (query_table,
	// query, read_parquet, ...) go around the grants: the owner's only.
	for _, f := range funcs {
		if !safeTableFunctions[f] {
			writes = append(writes, TableName{Schema: "*", Name: f + "()"})
			break
		}
	}
	for _, r := range refs {
		if r.Schema == "" {
			r.Schema = "main"
		}
		reads = append(reads, r)
		tables = append(tables, r.String())
	}
	err = lh.Authorize(ctx, lh.principal, reads, writes)
	if err != nil {
		lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: action, Tables: tables, Allowed: false, Detail: err.Error()})
	}
	return tables, action, err
}
