package lakehouse

import (
	"fmt"
	"strings"
)

// The actions of sys.audit, as system.access.audit's action_name: what
// was done. Reads and writes of user statements are SELECT and EXECUTE
// (see authorizeSQL); the others name themselves. Every action is
// audited allowed and refused (Allowed false, the refusal in Detail and
// Result).
const (
	// ActionSelect is a read: a query, a page, a stream, a dashboard
	// tile, a profile's or a digest's scan.
	ActionSelect = "SELECT"
	// ActionExecute is a statement that writes.
	ActionExecute = "EXECUTE"
	// ActionIngest is `lakebench ingest` of files into a table.
	ActionIngest = "INGEST"
	// ActionDeploy is a bundle deploy; ActionDestroy a target's deletion.
	ActionDeploy  = "deploy"
	ActionDestroy = "destroy"
	// ActionGrant and ActionRevoke are a grant (SELECT or MODIFY on a
	// schema or table) added or removed by a deploy: Tables is the
	// securable (schema.table, or schema.* for a schema), Detail says
	// which privilege to whom.
	ActionGrant  = "grant"
	ActionRevoke = "revoke"
	// ActionPermissionGrant and ActionPermissionRevoke are a target
	// permission (CAN_VIEW, CAN_RUN, CAN_MANAGE) added or removed by a
	// deploy.
	ActionPermissionGrant  = "permission grant"
	ActionPermissionRevoke = "permission revoke"
	// ActionAliasMove is a model alias set or moved (ml's registry).
	ActionAliasMove = "ml:alias"
	// ActionBackup is a snapshot of a target taken; ActionRestore a
	// snapshot restored over it. Tables names the target's file; Result
	// says which snapshot and its size, or the error. ActionBackupDelete
	// is a snapshot removed by retention.
	ActionBackup       = "backup"
	ActionRestore      = "restore"
	ActionBackupDelete = "backup delete"
	// ActionUsageRead is a read of sys.usage and sys.list_prices through
	// Usage (`lakebench usage`).
	ActionUsageRead = "usage"
)

// maxAuditStatement bounds the SQL text an event keeps; longer text is cut
// (the query history keeps it whole).
const maxAuditStatement = 64 << 10

// maxAuditResult bounds an event's result text.
const maxAuditResult = 1 << 10

// auditStatement is the SQL text as an event keeps it: valid UTF-8, at
// most maxAuditStatement bytes, surrounding blanks trimmed.
func auditStatement(sqlText string) string {
	return truncate(strings.ToValidUTF8(strings.TrimSpace(sqlText), "\uFFFD"), maxAuditStatement)
}

// fillResult bounds an event's Statement and sets its Result when its
// writer did not: "refused:"
// and why for a refusal, "error:" and the error for a failed access
// (Detail "failed: ..."), the rows otherwise.
func (e *AuditEvent) fillResult() {
	if e.Statement != "" {
		e.Statement = auditStatement(e.Statement)
	}
	if e.Result != "" {
		e.Result = truncate(strings.ToValidUTF8(e.Result, "\uFFFD"), maxAuditResult)
		return
	}
	switch {
	case !e.Allowed:
		e.Result = "refused"
		if e.Detail != "" {
			e.Result += ": " + firstLine(e.Detail)
		}
	case strings.HasPrefix(e.Detail, "failed: "):
		e.Result = "error: " + strings.TrimPrefix(e.Detail, "failed: ")
	default:
		e.Result = fmt.Sprintf("ok: %d rows", e.Rows)
	}
	e.Result = truncate(strings.ToValidUTF8(e.Result, "\uFFFD"), maxAuditResult)
}
