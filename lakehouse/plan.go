package lakehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
)

// viewLookups counts viewsNamed's reads of the catalog's views, for the
// tests that check when the look-up is spared.
var viewLookups atomic.Int64

// Access control decides on what DuckDB will run, not on names found in the
// text. A statement is bound by DuckDB (json_serialize_plan) and its plan
// walked: every LOGICAL_GET must be a seq_scan of a table of this database
// (CTEs, aliases, quoting and case are resolved by then) or one of the few
// table functions that read no table or file; everything else a plan can
// hold either needs the owner (file readers, COPY, ATTACH, DDL, ...) or is
// refused for everyone (SET, transactions, writes into sys). A plan DuckDB
// cannot serialize (file readers, EXPLAIN, PRAGMA) decides nothing: it is
// refused, except a single SELECT for the owner, which writes nothing.
//
// Views follow Unity Catalog: SELECT on a view is enough to read through
// it, without a grant on the tables under it. The plan has already expanded
// a view into scans of its base tables, so a view is recognised before
// binding: each schema-qualified name in the SELECT's parse tree that
// duckdb_views() (the catalog, not the text) lists as a view of this
// database is replaced, in the parse tree, by an empty temporary table of
// the same columns, and the rewritten SELECT is planned. In that plan a
// scan of the stand-in is a read of the view; any scan of a base table is a
// read the query makes by itself and needs its own grant. So SELECT on
// bronze.orders reads the view, never bronze_data.orders directly. The
// original statement's plan is checked too: it may scan nothing but what
// the rewritten plan reads and the base tables of the views it names, so a
// rewrite that changed the meaning of the query is refused, not trusted.
// Views are recognised in SELECTs only; in other statements a view's base
// tables need their own grants (fail closed).
//
// Before anything is bound for a principal other than the owner, the parse
// tree is checked for table functions and names that DuckDB would resolve to
// a file (a replacement scan), so binding itself touches no file.

// accessNeed is what a statement needs beyond SELECT and MODIFY grants:
// reads and writes of the pseudo-schema "*" are for the owner alone.
const ownerOnly = "*"

// undecided is the write of a statement whose plan DuckDB cannot show: it
// could write anything, sys included, so no principal may run it. Only
// lakebench's own statements (principal "") may, as they never write sys.
const undecided = "a statement whose writes DuckDB cannot show"

// viewPrefix names the stand-in temporary tables of views being checked.
const viewPrefix = "lb_view_"

// readOnlyOperators are plan operators that compute on their inputs and
// read or write nothing themselves.
var readOnlyOperators = map[string]bool{
	"LOGICAL_PROJECTION": true, "LOGICAL_FILTER": true, "LOGICAL_AGGREGATE_AND_GROUP_BY": true, "LOGICAL_WINDOW": true,
	"LOGICAL_UNNEST": true, "LOGICAL_LIMIT": true, "LOGICAL_ORDER_BY": true, "LOGICAL_TOP_N": true, "LOGICAL_DISTINCT": true,
	"LOGICAL_SAMPLE": true, "LOGICAL_PIVOT": true, "LOGICAL_COMPARISON_JOIN": true, "LOGICAL_ANY_JOIN": true,
	"LOGICAL_CROSS_PRODUCT": true, "LOGICAL_POSITIONAL_JOIN": true, "LOGICAL_ASOF_JOIN": true, "LOGICAL_DEPENDENT_JOIN": true,
	"LOGICAL_DELIM_JOIN": true, "LOGICAL_UNION": true, "LOGICAL_EXCEPT": true, "LOGICAL_INTERSECT": true,
	"LOGICAL_RECURSIVE_CTE": true, "LOGICAL_MATERIALIZED_CTE": true, "LOGICAL_CTE_REF": true, "LOGICAL_DELIM_GET": true,
	"LOGICAL_EXPRESSION_GET": true, "LOGICAL_DUMMY_SCAN": true, "LOGICAL_EMPTY_RESULT": true,
}

// ownerStatements are plan operators only the owner may run; the tables
// they read are still checked.
var ownerStatements = map[string]string{
	"LOGICAL_COPY_TO_FILE": "COPY TO", "LOGICAL_EXPORT": "EXPORT DATABASE", "LOGICAL_ATTACH": "ATTACH",
	"LOGICAL_DETACH": "DETACH", "LOGICAL_VACUUM": "VACUUM", "LOGICAL_PRAGMA": "PRAGMA",
}

// refusedStatements are plan operators no user statement may run: they
// change the connection lakebench shares between statements (the schema a
// name resolves in, an open transaction), so a later statement would run
// other than it was checked.
var refusedStatements = map[string]string{
	"LOGICAL_SET": "SET or USE", "LOGICAL_RESET": "RESET", "LOGICAL_TRANSACTION": "BEGIN, COMMIT or ROLLBACK",
	"LOGICAL_PREPARE": "PREPARE", "LOGICAL_EXECUTE": "EXECUTE",
}

// BuiltinExtensions are the DuckDB extensions built into lakebench, loaded
// in every instance. No other is ever installed or loaded: lakebench runs
// without network (see noExtensions).
var BuiltinExtensions = []string{"parquet", "json", "icu", "core_functions", "autocomplete"}

// extensionRefusal is the refusal of a statement that would install or
// load an extension (what says which), to every principal, the owner and
// lakebench's own statements (a model's SQL) included.
func extensionRefusal(what string) *AccessError {
	return refusal("%s is refused to every principal, the target's owner included: lakebench never installs or loads DuckDB extensions (it runs offline, on the ones built in and already loaded: %s)",
		what, strings.Join(BuiltinExtensions, ", "))
}

// settingRefusal is the refusal of SET, RESET or USE (verb) of the DuckDB
// setting name, the same for every principal, the target's owner
// included: an extension setting because lakebench installs and loads no
// extension, any other because lakebench's connection is shared between
// statements. It says what to do instead.
func settingRefusal(verb, name string) *AccessError {
	what := strings.TrimSpace(verb + " " + name)
	if extensionSetting(name) {
		return extensionRefusal(what)
	}
	instead := "lakebench sets DuckDB's settings itself, the same for every statement of a target"
	switch strings.ToLower(name) {
	case "memory_limit", "max_memory", "threads", "worker_threads":
		instead = "set DuckDB's memory_limit and threads for a target in lakebench.yml, as its compute (compute: {memory: 3GB, threads: 2}), then `lakebench bundle deploy`"
	case "schema", "search_path":
		if strings.ToLower(name) == "schema" {
			what = "USE (SET schema)" // the plan of USE gold is SET schema
		}
		instead = "name each table with its schema (SELECT * FROM gold.daily_revenue)"
	case "all":
		what = verb + " ALL"
	}
	return refusal("%s is not run through lakebench, by any principal, the target's owner included: each statement runs on a connection lakebench shares between statements, so a setting would change the statements after it; %s",
		what, instead)
}

// settingStatement says whether sqlText is a SET, RESET, USE or the
// PRAGMA name = value form of SET, and which setting it names ("schema"
// for USE, "all" for RESET ALL), read from the text; it only chooses the
// message of a refusal that does not depend on it.
func settingStatement(sqlText string) (verb, name string, ok bool) {
	words := settingWords(sqlText, 4)
	if len(words) < 2 {
		return "", "", false
	}
	verb = strings.ToUpper(words[0])
	rest := words[1:]
	switch verb {
	case "USE":
		return verb, "schema", true
	case "SET", "RESET":
		if len(rest) > 1 {
			switch strings.ToUpper(rest[0]) {
			case "SESSION", "LOCAL", "GLOBAL", "VARIABLE":
				rest = rest[1:]
			}
		}
		return verb, strings.ToLower(rest[0]), true
	case "PRAGMA":
		// PRAGMA threads=2 is DuckDB's SET; PRAGMA table_info('t')
		// and PRAGMA enable_profiling are not.
		if len(rest) > 1 && rest[1] == "=" {
			return "SET", strings.ToLower(rest[0]), true
		}
	}
	return "", "", false
}

// settingWords are the first n words of sqlText after comments: names
// (unquoted, or in double quotes) and "=".
func settingWords(s string, n int) []string {
	var words []string
	for len(words) < n {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case s == "":
			return words
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return words
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return words
			}
			s = s[i+2:]
		case s[0] == '=':
			words = append(words, "=")
			s = s[1:]
		case s[0] == '"':
			i := strings.IndexByte(s[1:], '"')
			if i < 0 {
				return words
			}
			words = append(words, s[1:i+1])
			s = s[i+2:]
		default:
			end := strings.IndexFunc(s, func(r rune) bool {
				return !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			})
			if end == 0 {
				return words
			}
			if end < 0 {
				end = len(s)
			}
			words = append(words, s[:end])
			s = s[end:]
		}
	}
	return words
}

// extensionSetting says whether a DuckDB setting decides which extensions
// are installed or loaded, and from where (autoinstall_known_extensions,
// custom_extension_repository, allow_unsigned_extensions, ...).
func extensionSetting(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "extension") || strings.HasPrefix(n, "autoinstall") || strings.HasPrefix(n, "autoload")
}

// extensionError says whether DuckDB could not bind a statement because it
// needs an extension that is not loaded (a file on https://, a secret of
// type s3, ATTACH of a sqlite file): its message tells the user to
// INSTALL and LOAD it, which lakebench refuses.
func extensionError(p *planDoc) bool {
	switch p.ErrorType {
	case "missing extension", "extension autoloading":
		return true
	}
	m := p.ErrorMessage
	return strings.Contains(m, " extension") && (strings.Contains(m, "INSTALL ") || strings.Contains(m, "installing"))
}

// attachesOther says whether a LOGICAL_ATTACH names a database type other
// than DuckDB's own (TYPE sqlite, postgres, ...), in its options or as
// its path's prefix (see attachPrefix).
func attachesOther(m map[string]any) bool {
	info, _ := m["info"].(map[string]any)
	if path, _ := info["path"].(string); attachPrefix(path) != "" && !strings.EqualFold(attachPrefix(path), "duckdb") {
		return true
	}
	opts, _ := info["options"].([]any)
	for _, o := range opts {
		kv, _ := o.(map[string]any)
		if k, _ := kv["key"].(string); !strings.EqualFold(k, "type") && !strings.EqualFold(k, "db_type") {
			continue
		}
		v, _ := kv["value"].(map[string]any)
		if s := fmt.Sprint(v["value"]); !strings.EqualFold(s, "duckdb") {
			return true
		}
	}
	return false
}

// attachPrefix is the database type DuckDB reads from an ATTACH path's
// prefix (sqlite:x.db, postgres:dbname=x, md:), as DuckDB's
// ExtractExtensionPrefixFromPath does: the text before the first colon
// when it has two characters or more, all letters, digits or _, and the
// colon does not begin "://". DuckDB then loads that type's extension
// from its directory when the ATTACH runs, whatever the autoload setting.
func attachPrefix(path string) string {
	i := strings.IndexByte(path, ':')
	if i < 2 || strings.HasPrefix(path[i:], "://") {
		return ""
	}
	for _, r := range path[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return ""
		}
	}
	return path[:i]
}

// writeOperators write the table named in their table_info or info.
var writeOperators = map[string]string{
	"LOGICAL_INSERT": "", "LOGICAL_UPDATE": "", "LOGICAL_DELETE": "", "LOGICAL_MERGE_INTO": "",
	"LOGICAL_CREATE_TABLE": "CREATE TABLE", "LOGICAL_CREATE_INDEX": "CREATE INDEX", "LOGICAL_CREATE_VIEW": "CREATE VIEW",
	"LOGICAL_CREATE_MACRO": "CREATE MACRO", "LOGICAL_CREATE_SEQUENCE": "CREATE SEQUENCE", "LOGICAL_CREATE_TYPE": "CREATE TYPE",
	"LOGICAL_CREATE_SCHEMA": "CREATE SCHEMA", "LOGICAL_DROP": "DROP", "LOGICAL_ALTER": "ALTER",
}

// refusal is an *AccessError for what no one may run through lakebench.
func refusal(format string, args ...any) *AccessError {
	return &AccessError{Reason: "lakehouse: " + fmt.Sprintf(format, args...)}
}

// queryConn is a single connection: a *sql.Conn or a *sql.Tx. The check
// creates temporary tables, so it must stay on one connection.
type queryConn = execer

// Access returns the tables a statement reads and writes, from DuckDB's
// bound plan: a view named in a SELECT is a read of the view, not of the
// tables under it. What only the target's owner may do comes back in schema
// "*" naming it: a read for a file or a table function ("read_csv()"), a
// write for a statement (ATTACH, COPY TO, CREATE TABLE, ...); Authorize
// refuses those to everyone else. A statement that cannot be decided, or
// that no one may run through lakebench (SET, BEGIN, several statements,
// a write into sys), fails with an *AccessError. Access binds the
// statement as lakebench itself, unsandboxed: a principal's SQL goes through
// Query, Page, Exec or Tx.AuthorizeSQL, which check it before binding.
func (lh *Lakehouse) Access(ctx context.Context, sqlText string) (reads, writes []TableName, err error) {
	conn, err := lh.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("lakehouse: access: %w", err)
	}
	defer conn.Close()
	return access(ctx, conn, sqlText, "", false)
}

// Access is Lakehouse.Access inside the transaction, which sees the tables
// the transaction made.
func (tx *Tx) Access(ctx context.Context, sqlText string) (reads, writes []TableName, err error) {
	return access(ctx, tx.tx, sqlText, "", false)
}

// planDoc is json_serialize_plan's answer.
type planDoc struct {
	Error        bool             `json:"error"`
	ErrorType    string           `json:"error_type"`
	ErrorMessage string           `json:"error_message"`
	Plans        []map[string]any `json:"plans"`
}

// decodeJSON keeps numbers as written: DuckDB's trees hold uint64 values
// (query_location 18446744073709551615) that a float64 would change.
func decodeJSON(doc string, v any) error {
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	return d.Decode(v)
}

func serializePlan(ctx context.Context, c queryConn, sqlText string) (*planDoc, error) {
	var doc string
	if err := c.QueryRowContext(ctx, "SELECT json_serialize_plan(?::VARCHAR)::VARCHAR", sqlText).Scan(&doc); err != nil {
		return nil, fmt.Errorf("lakehouse: plan: %w", err)
	}
	return decodePlan(doc)
}

// serializePlanIn is serializePlan with the name of the database the plan
// is bound in (current_database()), read in the same statement.
func serializePlanIn(ctx context.Context, c queryConn, sqlText string) (p *planDoc, catalog string, err error) {
	var doc string
	if err := c.QueryRowContext(ctx, "SELECT current_database(), json_serialize_plan(?::VARCHAR)::VARCHAR", sqlText).Scan(&catalog, &doc); err != nil {
		return nil, "", fmt.Errorf("lakehouse: plan: %w", err)
	}
	p, err = decodePlan(doc)
	return p, catalog, err
}

func decodePlan(doc string) (*planDoc, error) {
	var p planDoc
	if err := decodeJSON(doc, &p); err != nil {
		return nil, fmt.Errorf("lakehouse: plan: %w", err)
	}
	return &p, nil
}

// planAccess is what one plan reads and writes.
type planAccess struct {
	reads  map[TableName]bool
	views  map[string]bool // stand-ins of views (temp table names) scanned
	writes map[TableName]bool
}

// analyzePlan walks a bound plan. catalog is this database's name.
func analyzePlan(p *planDoc, catalog string) (*planAccess, error) {
	if len(p.Plans) != 1 {
		return nil, refusal("run one statement at a time (found %d)", len(p.Plans))
	}
	a := &planAccess{reads: map[TableName]bool{}, views: map[string]bool{}, writes: map[TableName]bool{}}
	var err error
	// A DELETE or UPDATE scans the table it changes, and that scan reads
	// it: its WHERE clause, SET expressions (error(email)) and affected-row
	// count all tell values. So it needs SELECT as well as MODIFY, as Unity
	// Catalog asks of UPDATE and DELETE; an INSERT that reads nothing of its
	// table needs MODIFY alone.
	walkJSON(p.Plans[0], func(m map[string]any) {
		op, _ := m["type"].(string)
		if op == "BOUND_FUNCTION" {
			if f := ownerOnlyFunction(m["name"]); f != "" {
				a.reads[TableName{Schema: ownerOnly, Name: f}] = true
			}
			return
		}
		if err != nil || !strings.HasPrefix(op, "LOGICAL_") {
			return
		}
		switch {
		case op == "LOGICAL_GET":
			name, _ := m["name"].(string)
			if name != "seq_scan" {
				if !safeTableFunctions[strings.ToLower(name)] {
					a.reads[TableName{Schema: ownerOnly, Name: name + "()"}] = true
				}
				return
			}
			fd, _ := m["function_data"].(map[string]any)
			cat, _ := fd["catalog"].(string)
			schema, _ := fd["schema"].(string)
			table, _ := fd["table"].(string)
			switch {
			case table == "":
				err = refusal("cannot tell which table a scan reads")
			case cat == "temp" && strings.HasPrefix(table, viewPrefix):
				a.views[table] = true
			case cat == catalog:
				a.reads[TableName{Schema: strings.ToLower(schema), Name: strings.ToLower(table)}] = true
			default:
				a.reads[TableName{Schema: ownerOnly, Name: "reads of database " + cat}] = true
			}
		case readOnlyOperators[op]:
		case op == "LOGICAL_LOAD":
			info, _ := m["info"].(map[string]any)
			kind, _ := info["load_type"].(string)
			name, _ := info["filename"].(string)
			err = extensionRefusal(fmt.Sprintf("%s %s", strings.ReplaceAll(kind, "_", " "), name))
		case op == "LOGICAL_UPDATE_EXTENSIONS":
			err = extensionRefusal("UPDATE EXTENSIONS")
		case op == "LOGICAL_SET" || op == "LOGICAL_RESET":
			err = settingRefusal(strings.TrimPrefix(op, "LOGICAL_"), fmt.Sprint(m["name"]))
		case op == "LOGICAL_ATTACH" && attachesOther(m):
			// ATTACH (TYPE sqlite) loads the extension that reads the
			// type, from DuckDB's extension directory, autoload or not.
			err = extensionRefusal("ATTACH of a database other than DuckDB's")
		case ownerStatements[op] != "":
			a.writes[TableName{Schema: ownerOnly, Name: ownerStatements[op]}] = true
		case op == "LOGICAL_CHUNK_GET":
			// DESCRIBE and SHOW bind to rows made before the plan, naming
			// no table, so what they read cannot be checked.
			err = refusal("DESCRIBE and SHOW are not run through lakebench (the table they read cannot be checked against the grants): see a table's columns and types with SUMMARIZE schema.table, or SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'schema' AND table_name = 'table'")
		case refusedStatements[op] != "":
			err = refusal("%s is not run through lakebench: each statement runs on a shared connection in a transaction of its own", refusedStatements[op])
		default:
			what, ok := writeOperators[op]
			if !ok {
				err = refusal("cannot tell what %s does, so it is refused", strings.TrimPrefix(op, "LOGICAL_"))
				return
			}
			t, terr := writeTarget(m)
			if terr != nil {
				err = terr
				return
			}
			a.writes[t] = true
			for _, also := range alsoWritten(m, t) {
				a.writes[also] = true
			}
			if what != "" {
				a.writes[TableName{Schema: ownerOnly, Name: what}] = true
			}
		}
	})
	return a, err
}

// writeTarget is the table (or schema) a writing operator changes.
func writeTarget(m map[string]any) (TableName, error) {
	info, ok := m["table_info"].(map[string]any)
	if !ok {
		info, ok = m["info"].(map[string]any)
	}
	if !ok {
		return TableName{}, refusal("cannot tell what %v writes, so it is refused", m["type"])
	}
	schema, _ := info["schema"].(string)
	name, _ := info["table"].(string)
	if name == "" {
		name, _ = info["view_name"].(string) // CREATE VIEW
	}
	if name == "" {
		name, _ = info["name"].(string)
	}
	if t, _ := info["type"].(string); t == "SCHEMA_ENTRY" {
		if schema == "" {
			schema = name
		}
		name = "*"
	}
	if schema == "" {
		return TableName{}, refusal("cannot tell which schema %v writes, so it is refused", m["type"])
	}
	if name == "" {
		name = "*"
	}
	return TableName{Schema: strings.ToLower(schema), Name: strings.ToLower(name)}, nil
}

// alsoWritten are the tables a writing operator changes beside its target
// t: the new name of a table or view it renames (a rename makes a table of
// that name), and, for a DROP SCHEMA or a CREATE OR REPLACE SCHEMA, the
// model registry's tables when the schema is theirs (dropping a schema
// drops its tables).
func alsoWritten(m map[string]any, t TableName) []TableName {
	info, _ := m["info"].(map[string]any)
	var out []TableName
	for _, key := range []string{"new_table_name", "new_view_name"} {
		if to, _ := info[key].(string); to != "" {
			out = append(out, TableName{Schema: t.Schema, Name: strings.ToLower(to)})
		}
	}
	op, _ := m["type"].(string)
	replace, _ := info["on_conflict"].(string)
	if t.Name == "*" && (op == "LOGICAL_DROP" || (op == "LOGICAL_CREATE_SCHEMA" && replace == "REPLACE_ON_CONFLICT")) {
		for _, name := range RegistryTables {
			if r := (TableName{Schema: t.Schema, Name: name}); IsRegistryTable(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// pathChars in a name make DuckDB read it as a file when no table has it.
const pathChars = `./\:*?`

// access binds sqlText on one connection and returns what it reads and
// writes. strict is for principals other than the owner: nothing that can
// name a file is bound, and a plan error says less. parsed is sqlText's
// parse tree (json_serialize_sql) when the caller has it, else "".
func access(ctx context.Context, c queryConn, sqlText, parsed string, strict bool) (reads, writes []TableName, err error) {
	var tree map[string]any
	doc := parsed
	// The plan, when asked with the parse (see below).
	var orig *planDoc
	var catalog string
	if doc == "" {
		if _, ok := keptParse(sqlText); ok || strict {
			if doc, err = serializeSQL(ctx, c, sqlText); err != nil {
				return nil, nil, fmt.Errorf("lakehouse: parse: %w", err)
			}
		} else {
			// lakebench itself or the owner, unsandboxed: nothing is
			// refused it before binding but SQL that does not parse or
			// holds several statements, and binding runs nothing, so its
			// parse and its plan are asked in one statement (a plan of
			// such SQL is not looked at). Another principal's SQL is
			// checked on its parse before anything is bound.
			var plan string
			if err := c.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR, current_database(), json_serialize_plan(?::VARCHAR)::VARCHAR",
				sqlText, sqlText).Scan(&doc, &catalog, &plan); err != nil {
				return nil, nil, fmt.Errorf("lakehouse: plan: %w", err)
			}
			keepParse(sqlText, doc)
			if orig, err = decodePlan(plan); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := decodeJSON(doc, &tree); err != nil {
		return nil, nil, fmt.Errorf("lakehouse: parse: %w", err)
	}
	isSelect := tree["error"] != true
	if !isSelect && tree["error_type"] == "parser" {
		// DuckDB's own parser rejects it, so nothing can run: say what is
		// wrong with the SQL rather than refuse it like a statement of
		// another kind (the user goes looking for a grant, not a typo).
		msg, _ := tree["error_message"].(string)
		return nil, nil, refusal("the SQL does not parse: %s; fix it and run it again", firstLine(msg))
	}
	if isSelect {
		if stmts, _ := tree["statements"].([]any); len(stmts) != 1 {
			return nil, nil, refusal("run one statement at a time (found %d)", len(stmts))
		}
		if strict {
			if err := prebindCheck(tree); err != nil {
				return nil, nil, err
			}
		}
	} else if strict {
		if kw := firstKeyword(sqlText); !map[string]bool{"INSERT": true, "UPDATE": true, "DELETE": true, "MERGE": true, "WITH": true}[kw] {
			// Refused unbound, whatever it is; the first word only
			// chooses the message (INSTALL and LOAD are no owner's
			// either).
			if kw == "INSTALL" || kw == "LOAD" || kw == "FORCE" {
				return nil, nil, extensionRefusal(kw)
			}
			if verb, name, ok := settingStatement(sqlText); ok {
				// No principal may change a setting, the owner
				// included: say so, not that the owner may.
				return nil, nil, settingRefusal(verb, name)
			}
			return nil, nil, &AccessError{Table: TableName{Schema: ownerOnly, Name: kw}}
		}
	}
	// The plan of the statement as written, and the database it is bound
	// in.
	if orig == nil {
		if orig, catalog, err = serializePlanIn(ctx, c, sqlText); err != nil {
			return nil, nil, err
		}
	}
	if verb, name, ok := settingStatement(sqlText); ok && orig.Error {
		// RESET ALL has no plan DuckDB can show; it is a setting all the
		// same.
		return nil, nil, settingRefusal(verb, name)
	}
	if orig.Error && extensionError(orig) {
		// Binding asked for an extension that is not built in: nothing
		// can run it, whoever asks (DuckDB's advice to INSTALL it is
		// refused too).
		return nil, nil, extensionRefusal(fmt.Sprintf("this statement (DuckDB: %s)", firstLine(orig.ErrorMessage)))
	}
	if orig.Error {
		if isSelect && !strict {
			// A SELECT writes nothing; only the owner may run what cannot
			// be checked (it reads files: DuckDB's file readers do not
			// serialize).
			return []TableName{{Schema: ownerOnly, Name: "a SELECT whose plan DuckDB cannot show (" + firstLine(orig.ErrorMessage) + ")"}}, nil, nil
		}
		if strict && !isSelect {
			return nil, nil, refusal("DuckDB cannot show the plan of this statement, so it is refused; run its SELECT part with `lakebench query` to see DuckDB's error")
		}
		if strict {
			// DuckDB's binder error says what exists ("Referenced column
			// ... not found", "schema ... does not exist"): the tables the
			// SELECT names come back with it, and the caller refuses any
			// past the grants before showing it (see namedReads).
			msg := "DuckDB cannot show the plan of this statement, so it is refused: %s"
			if orig.ErrorType == "binder" || orig.ErrorType == "catalog" {
				msg = "the query does not bind: %s; fix it and run it again"
			}
			return namedReads(tree, catalog), nil, refusal(msg, firstLine(orig.ErrorMessage))
		}
		if !isSelect && orig.ErrorType == "not implemented" {
			// A statement that reads a file (COPY FROM, CREATE TABLE AS
			// SELECT FROM read_csv): what it writes cannot be told, so
			// Authorize refuses it to every principal (see undecided).
			return nil, []TableName{{Schema: ownerOnly, Name: undecided}}, nil
		}
		if orig.ErrorType == "binder" || orig.ErrorType == "catalog" {
			// A table or column that does not exist: nothing can run, and
			// the user fixes a name, not a grant. Only the first line: a
			// "Did you mean" line could name a table the principal may
			// not read.
			return nil, nil, refusal("the query does not bind: %s; fix it and run it again", firstLine(orig.ErrorMessage))
		}
		return nil, nil, refusal("DuckDB cannot show the plan of this statement, so it is refused: %s", firstLine(orig.ErrorMessage))
	}
	direct, err := analyzePlan(orig, catalog)
	if err != nil {
		return nil, nil, err
	}
	if len(direct.views) > 0 {
		return nil, nil, refusal("the query scans a table named like lakebench's own stand-ins (%s*), so it is refused", viewPrefix)
	}
	if isSelect {
		views, err := viewsNamed(ctx, c, tree, catalog, direct.reads)
		if err != nil {
			return nil, nil, err
		}
		if len(views) > 0 {
			direct, err = checkThroughViews(ctx, c, tree, catalog, views, direct)
			if err != nil {
				return nil, nil, err
			}
		}
	}
	for t := range direct.reads {
		reads = append(reads, t)
	}
	for t := range direct.writes {
		writes = append(writes, t)
	}
	sortTables(reads)
	sortTables(writes)
	return reads, writes, nil
}

func sortTables(ts []TableName) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].String() < ts[j].String() })
}

// prebindCheck refuses, from the parse tree alone, what would make DuckDB
// touch a file while binding: a table function other than the safe ones, a
// name with a path character (DuckDB reads 'x.csv' or gold."/a/b.csv" as a
// file when no table has that name).
func prebindCheck(tree map[string]any) error {
	var err error
	walkJSON(tree, func(m map[string]any) {
		if err != nil {
			return
		}
		switch m["type"] {
		case "TABLE_FUNCTION":
			f, _ := m["function"].(map[string]any)
			name, _ := f["function_name"].(string)
			if !safeTableFunctions[strings.ToLower(name)] {
				err = &AccessError{Table: TableName{Schema: ownerOnly, Name: strings.ToLower(name) + "()"}}
			}
		case "FUNCTION":
			if f := ownerOnlyFunction(m["function_name"]); f != "" {
				err = &AccessError{Table: TableName{Schema: ownerOnly, Name: f}}
			}
		case "BASE_TABLE":
			for _, k := range []string{"catalog_name", "schema_name", "table_name"} {
				if s, _ := m[k].(string); strings.ContainsAny(s, pathChars) {
					err = &AccessError{Action: "read", Table: TableName{Schema: ownerOnly, Name: "the file " + s}}
				}
			}
		}
	})
	return err
}

// namedReads are the tables a SELECT's parse tree names with a schema, as
// reads: what a principal must be granted before DuckDB's binder error on
// the query is shown, whether the tables exist or not. A name in another
// database is the owner's alone.
func namedReads(tree map[string]any, catalog string) []TableName {
	seen := map[TableName]bool{}
	walkBaseTables(tree, func(cat, schema, name string) {
		switch {
		case cat != "" && !strings.EqualFold(cat, catalog):
			seen[TableName{Schema: ownerOnly, Name: "reads of database " + cat}] = true
		case schema != "":
			seen[TableName{Schema: strings.ToLower(schema), Name: strings.ToLower(name)}] = true
		}
	})
	out := make([]TableName, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sortTables(out)
	return out
}

// ownerOnlyFunctions are scalar functions only the owner may call:
// json_serialize_plan binds the query in its argument, so its answer shows
// the columns of any table, bound file readers (unsandboxed on a writer),
// and with optimize := true DuckDB's statistics (a filter past a column's
// maximum plans as LOGICAL_EMPTY_RESULT), all past the grants.
var ownerOnlyFunctions = map[string]string{
	"json_serialize_plan": "the function json_serialize_plan, which plans another query past the grants",
	// As duckdb_settings(): the settings show paths of the machine
	// (temp_directory, secret_directory, home_directory).
	"current_setting": "the function current_setting, which shows the session's settings (paths of the machine among them)",
}

// ownerOnlyFunction is how a refusal names the scalar function name, when
// only the owner may call it, else "".
func ownerOnlyFunction(name any) string {
	s, _ := name.(string)
	return ownerOnlyFunctions[strings.ToLower(s)]
}

// firstKeyword is the statement's first word, upper-cased, after comments.
func firstKeyword(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n(;")
		switch {
		case strings.HasPrefix(s, "--"):
			if i := strings.IndexByte(s, '\n'); i >= 0 {
				s = s[i+1:]
				continue
			}
			return ""
		case strings.HasPrefix(s, "/*"):
			if i := strings.Index(s, "*/"); i >= 0 {
				s = s[i+2:]
				continue
			}
			return ""
		}
		break
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return "this statement"
	}
	return strings.ToUpper(s[:end])
}

// walkBaseTables calls fn with the catalog, schema and table name of every
// table the parsed statement names (BASE_TABLE nodes of
// json_serialize_sql's tree).
func walkBaseTables(tree map[string]any, fn func(cat, schema, name string)) {
	walkJSON(tree, func(m map[string]any) {
		if m["type"] != "BASE_TABLE" {
			return
		}
		cat, _ := m["catalog_name"].(string)
		schema, _ := m["schema_name"].(string)
		name, _ := m["table_name"].(string)
		fn(cat, schema, name)
	})
}

// viewsNamed returns the views of this database that the SELECT names with
// a schema, as the catalog lists them, keyed by "schema.name" lower-cased.
// scanned are the tables of this database the statement's plan scans: a
// name among them is a table, and a schema holds one catalog entry by a
// name (whatever its case), so it is not a view and needs no look-up.
// Only when every name is such a table is the catalog not read at all.
func viewsNamed(ctx context.Context, c queryConn, tree map[string]any, catalog string, scanned map[TableName]bool) (map[string]TableName, error) {
	views := map[string]TableName{}
	var names []TableName
	walkBaseTables(tree, func(cat, schema, name string) {
		t := TableName{Schema: strings.ToLower(schema), Name: strings.ToLower(name)}
		if schema != "" && name != "" && (cat == "" || strings.EqualFold(cat, catalog)) && !scanned[t] {
			names = append(names, t)
		}
	})
	if len(names) == 0 {
		return views, nil
	}
	viewLookups.Add(1)
	var counts map[TableName]int
	var err error
	if ct, ok := c.(*catalogTx); ok {
		counts, err = ct.viewCounts(ctx, catalog)
	} else {
		counts, err = readViewCounts(ctx, c, catalog)
	}
	if err != nil {
		return nil, fmt.Errorf("lakehouse: access: %w", err)
	}
	for _, t := range names {
		if counts[t] == 1 {
			views[t.String()] = t
		}
	}
	return views, nil
}

// readViewCounts is one lookup for every name: the views of database
// catalog, counted by lower-cased name (a name two views share is
// neither's).
func readViewCounts(ctx context.Context, c queryConn, catalog string) (map[TableName]int, error) {
	viewCountReads.Add(1)
	// Lower-cased here, not by lower(): a macro may be named lower.
	rows, err := c.QueryContext(ctx, `SELECT schema_name, view_name FROM duckdb_views()
		WHERE database_name = ? AND NOT internal AND NOT temporary`, catalog)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[TableName]int{}
	for rows.Next() {
		var t TableName
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			return nil, err
		}
		counts[TableName{Schema: strings.ToLower(t.Schema), Name: strings.ToLower(t.Name)}]++
	}
	return counts, rows.Err()
}

// viewCountReads counts readViewCounts' statements, for the tests.
var viewCountReads atomic.Int64

// viewPlanReads counts checkThroughViews' statements that plan, for the
// tests.
var viewPlanReads atomic.Int64

// checkThroughViews plans the SELECT with each view it names replaced by an
// empty stand-in of the same columns, and returns what that plan reads:
// the views themselves and the tables the query reads by itself.
func checkThroughViews(ctx context.Context, c queryConn, tree map[string]any, catalog string, views map[string]TableName, direct *planAccess) (*planAccess, error) {
	keys := make([]string, 0, len(views))
	for k := range views {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	standIn := map[string]string{}   // view key -> temp table
	viewOf := map[string]TableName{} // temp table -> view
	defer func() {
		for _, tmp := range standIn {
			c.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.main."+QuoteIdent(tmp))
		}
	}()
	for i, k := range keys {
		v := views[k]
		tmp := fmt.Sprintf("%s%d", viewPrefix, i)
		standIn[k], viewOf[tmp] = tmp, v
		if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+QuoteIdent(tmp)+" AS SELECT * FROM "+v.SQL()+" LIMIT 0"); err != nil {
			return nil, fmt.Errorf("lakehouse: access: view %s: %w", v, err)
		}
	}
	// Replace each view in the parse tree by its stand-in. A view named
	// without an alias keeps its name as the alias, so columns qualified
	// with it still bind, unless another table of that name is in the query.
	nameCount := map[string]int{}
	walkJSON(tree, func(m map[string]any) {
		if m["type"] == "BASE_TABLE" {
			name, _ := m["table_name"].(string)
			nameCount[strings.ToLower(name)]++
		}
	})
	walkJSON(tree, func(m map[string]any) {
		if m["type"] != "BASE_TABLE" {
			return
		}
		schema, _ := m["schema_name"].(string)
		name, _ := m["table_name"].(string)
		cat, _ := m["catalog_name"].(string)
		if schema == "" || !(cat == "" || strings.EqualFold(cat, catalog)) {
			return
		}
		tmp, ok := standIn[strings.ToLower(schema)+"."+strings.ToLower(name)]
		if !ok {
			return
		}
		if alias, _ := m["alias"].(string); alias == "" && nameCount[strings.ToLower(name)] == 1 {
			m["alias"] = name
		}
		m["catalog_name"], m["schema_name"], m["table_name"] = "temp", "main", tmp
	})
	b, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: access: %w", err)
	}
	// One statement: the plan of each view by itself (what it reads, to
	// check the original plan against) and the plan of the rewritten
	// query, bound from its tree (json_deserialize_sql) where it is.
	sel := make([]string, 0, len(keys)+1)
	args := make([]any, 0, len(keys)+1)
	docs := make([]sql.NullString, len(keys)+1)
	dest := make([]any, len(keys)+1)
	for i, k := range keys {
		sel = append(sel, "json_serialize_plan(?::VARCHAR)::VARCHAR")
		args = append(args, "SELECT * FROM "+views[k].SQL())
		dest[i] = &docs[i]
	}
	sel = append(sel, "json_serialize_plan(json_deserialize_sql(?::JSON))::VARCHAR")
	args = append(args, string(b))
	dest[len(keys)] = &docs[len(keys)]
	viewPlanReads.Add(1)
	err = c.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", "), args...).Scan(dest...)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("lakehouse: access: %w", err)
	}
	if err != nil || !docs[len(keys)].Valid {
		return nil, refusal("cannot check this query's reads through views, so it is refused (%v)", err)
	}
	bases := map[TableName]bool{}
	for i, k := range keys {
		vp, err := decodePlan(docs[i].String)
		if err != nil {
			return nil, err
		}
		if vp.Error {
			return nil, refusal("DuckDB cannot show the plan of view %s, so reads through it are refused: %s", views[k], firstLine(vp.ErrorMessage))
		}
		va, err := analyzePlan(vp, catalog)
		if err != nil {
			return nil, err
		}
		for t := range va.reads {
			bases[t] = true
		}
	}
	rp, err := decodePlan(docs[len(keys)].String)
	if err != nil {
		return nil, err
	}
	if rp.Error {
		return nil, refusal("cannot check this query's reads through views, so it is refused: %s", firstLine(rp.ErrorMessage))
	}
	ra, err := analyzePlan(rp, catalog)
	if err != nil {
		return nil, err
	}
	// The query as written may scan only what the rewritten one reads and
	// what the views it names read.
	for t := range direct.reads {
		if !ra.reads[t] && !bases[t] {
			return nil, refusal("the query reads %s other than the rewritten query checked, so it is refused", t)
		}
	}
	for t := range ra.writes {
		if !direct.writes[t] {
			return nil, refusal("the query does other than the rewritten query checked, so it is refused")
		}
	}
	out := &planAccess{reads: ra.reads, views: map[string]bool{}, writes: direct.writes}
	for tmp := range ra.views {
		out.reads[viewOf[tmp]] = true
	}
	return out, nil
}

// BeginAs starts a transaction whose user SQL (a task's statement, a
// model's SELECT, an alert's query) runs as principal: see AuthorizeSQL.
func (lh *Lakehouse) BeginAs(ctx context.Context, principal string) (*Tx, error) {
	tx, err := lh.Begin(ctx)
	if err == nil {
		tx.principal = principal
	}
	return tx, err
}

// AuthorizeSQL checks that the transaction's principal may run sqlText:
// its reads and writes come from its bound plan inside the transaction (see
// Access), never from the names in its text, and a plan that cannot be
// decided is refused. A principal other than the owner gets nothing bound
// that could name a file. lakebench itself (principal "") may do anything
// but write schema sys, which no statement may. It returns what the plan
// reads and writes; a refusal is an *AccessError. The caller audits.
func (tx *Tx) AuthorizeSQL(ctx context.Context, sqlText string) (reads, writes []TableName, err error) {
	owner, err := tx.lh.owner(ctx)
	if err != nil {
		return nil, nil, err
	}
	strict := tx.principal != "" && owner != "" && tx.principal != owner
	reads, writes, err = access(ctx, tx.tx, sqlText, "", strict)
	if err != nil && strict && len(reads) > 0 {
		// A query DuckDB could not bind: its names past the grants are
		// refused before DuckDB's error says what exists.
		if aerr := tx.lh.Authorize(ctx, tx.principal, reads, nil); aerr != nil {
			err = aerr
		}
	}
	if err == nil {
		err = registryWrites(tx.principal, writes)
	}
	if err == nil {
		err = stageWrites(tx.principal, writes)
	}
	if err == nil {
		if tx.principal == "" {
			err = tx.lh.Authorize(ctx, "", nil, sysWrites(writes))
		} else {
			err = tx.lh.Authorize(ctx, tx.principal, reads, writes)
		}
	}
	var ae *AccessError
	if errors.As(err, &ae) {
		ae.Principal, ae.Owner = tx.principal, owner
	}
	if err != nil {
		return reads, writes, err
	}
	if len(writes) > 0 {
		if _, err := tx.tx.ExecContext(ctx, forgetInputsSQL); err != nil {
			return reads, writes, fmt.Errorf("lakehouse: forget the models' input stamps: %w", err)
		}
	}
	tx.checked = append(append(tx.checked, reads...), writes...)
	tx.countRows(writes...)
	return reads, writes, nil
}

// Checked lists the tables AuthorizeSQL allowed in this transaction, for
// the audit.
func (tx *Tx) Checked() []TableName { return tx.checked }
