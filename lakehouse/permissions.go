package lakehouse

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Target permissions, as Databricks Asset Bundles have them: CAN_VIEW,
// CAN_RUN and CAN_MANAGE for users, groups and service principals. They
// govern the target itself (deploy, destroy, runs, grant changes, model
// aliases), beside the grants that govern its tables. The owner (who first
// deployed the target) holds CAN_MANAGE whatever the permissions say, and
// alone may transfer ownership or weaken the target's mode. Everything is
// read from what is deployed on the target, never from a caller's bundle:
// a deploy that grants its own deployer CAN_MANAGE is refused before it
// writes anything, since the deployer must already hold it.

// The target permission levels, weakest first.
const (
	CanView   = "CAN_VIEW"
	CanRun    = "CAN_RUN"
	CanManage = "CAN_MANAGE"
	// Owner is not a level one can be given: only `bundle owner set` by
	// the current owner makes an owner.
	Owner = "OWNER"
)

// PermissionLevels lists the levels a bundle may give, weakest first.
var PermissionLevels = []string{CanView, CanRun, CanManage}

func levelRank(level string) int {
	switch level {
	case CanView:
		return 1
	case CanRun:
		return 2
	case CanManage:
		return 3
	case Owner:
		return 4
	}
	return 0
}

// TargetPermission gives a user, group or service principal a level on the
// target.
type TargetPermission struct {
	Level     string `json:"level"`
	Principal string `json:"principal"`
	// Kind is user, group or service_principal.
	Kind string `json:"kind"`
}

// TargetSettings is what deploys record about the target itself: its mode
// (development or production) and run_as identity. The first deploy
// records them; a deploy that changes them records the change.
type TargetSettings struct {
	Mode       string    `json:"mode"`
	RunAs      string    `json:"run_as"`
	Principal  string    `json:"principal"`
	RecordedAt time.Time `json:"recorded_at"`
	// Promotion is the promotion gate in force, as JSON ("" for none
	// recorded); read by a writer only (see Tx.TargetSettings).
	Promotion string `json:"promotion,omitempty"`
}

// PermissionError is a refused administration of the target: it names
// the missing level and who may grant it.
type PermissionError struct {
	Principal string
	Target    string
	// Action is what was refused: deploy, destroy, run, owner set, mode
	// change, alias move.
	Action string
	// Needs is the missing level (CAN_RUN, CAN_MANAGE) or Owner.
	Needs string
	// Owner is the target's owner; Managers hold CAN_MANAGE besides it.
	Owner    string
	Managers []string
}

var actionPhrases = map[string]string{
	"deploy":      "deploy to target %s",
	"destroy":     "destroy target %s",
	"run":         "run jobs on target %s",
	"owner set":   "change the owner of target %s",
	"mode change": "change the mode of target %s",
	"alias move":  "move model aliases on target %s",
	"backup":      "back up target %s",
	"restore":     "restore target %s",
	"backup list": "list the backups of target %s",
}

func (e *PermissionError) Error() string {
	what := e.Action + " on target %s"
	if p, ok := actionPhrases[e.Action]; ok {
		what = p
	}
	what = fmt.Sprintf(what, e.Target)
	if e.Needs == Owner {
		how := "ask them"
		switch e.Action {
		case "owner set":
			how = "they hand ownership over with `lakebench bundle owner set PRINCIPAL`"
		case "mode change":
			how = "they deploy with --allow-mode-change if the change is meant"
		}
		return fmt.Sprintf("lakehouse: %s may not %s: only its owner (%s) may; %s", e.Principal, what, e.Owner, how)
	}
	needs := e.Needs
	if e.Needs == CanRun {
		needs = "CAN_RUN (or CAN_MANAGE)"
	}
	who := "its owner " + e.Owner
	if len(e.Managers) > 0 {
		who += " or a holder of CAN_MANAGE (" + strings.Join(e.Managers, ", ") + ")"
	}
	return fmt.Sprintf("lakehouse: %s may not %s: that needs %s on the target; %s can grant it under targets.%s.permissions in lakebench.yml (`- {level: %s, user_name: %s}`) and deploy it",
		e.Principal, what, needs, who, e.Target, e.Needs, e.Principal)
}

// targetName is the target's name, from its file (<target>.duckdb).
func (lh *Lakehouse) targetName() string {
	if lh.path == "" {
		return "(in memory)"
	}
	return strings.TrimSuffix(filepath.Base(lh.path), ".duckdb")
}

// Owner is the target's owner: who first deployed it, or whom ownership
// was handed to since; "" before the first deploy. A read-only session
// that has read its identity checks answers from them (see identities).
func (lh *Lakehouse) Owner(ctx context.Context) (string, error) {
	lh.ownerMu.Lock()
	id := lh.ident
	lh.ownerMu.Unlock()
	if id != nil {
		return id.owner, nil
	}
	return owner(ctx, lh.db)
}

func owner(ctx context.Context, e execer) (string, error) {
	var o string
	err := e.QueryRowContext(ctx, "SELECT owner FROM sys.governance LIMIT 1").Scan(&o)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lakehouse: owner: %w", err)
	}
	return o, nil
}

// Permissions lists the target permissions deployed on the target.
func (lh *Lakehouse) Permissions(ctx context.Context) ([]TargetPermission, error) {
	if lh.readOnly {
		id, err := lh.identities(ctx)
		if err != nil {
			return nil, err
		}
		return slices.Clone(id.perms), nil
	}
	rows, err := lh.db.QueryContext(ctx, "SELECT level, principal, kind FROM sys.permissions ORDER BY ALL")
	if err != nil {
		return nil, fmt.Errorf("lakehouse: permissions: %w", err)
	}
	defer rows.Close()
	var out []TargetPermission
	for rows.Next() {
		var p TargetPermission
		if err := rows.Scan(&p.Level, &p.Principal, &p.Kind); err != nil {
			return nil, fmt.Errorf("lakehouse: permissions: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeployPermissions replaces the target's permissions. An unknown level
// is refused (the bundle's validation names it first).
func (tx *Tx) DeployPermissions(ctx context.Context, perms []TargetPermission) error {
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM sys.permissions"); err != nil {
		return fmt.Errorf("lakehouse: deploy permissions: %w", err)
	}
	for _, p := range perms {
		if levelRank(p.Level) == 0 || p.Level == Owner {
			return fmt.Errorf("lakehouse: deploy permissions: unknown level %q for %s: use %s", p.Level, p.Principal, strings.Join(PermissionLevels, ", "))
		}
		if p.Principal == "" {
			return fmt.Errorf("lakehouse: deploy permissions: a %s permission names no principal", p.Level)
		}
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.permissions VALUES (?, ?, ?)", p.Level, p.Principal, p.Kind); err != nil {
			return fmt.Errorf("lakehouse: deploy permissions: %w", err)
		}
	}
	return nil
}

// PermissionLevel is the strongest level principal holds on the target,
// itself or as a member of a group (a group's name acting as a user gets
// nothing): Owner for the owner, "" for none. deployed
// is false before the first deploy, when the target is open to everyone.
func (lh *Lakehouse) PermissionLevel(ctx context.Context, principal string) (level string, deployed bool, err error) {
	own, err := lh.Owner(ctx)
	if err != nil || own == "" {
		return "", false, err
	}
	if principal == own {
		return Owner, true, nil
	}
	var best sql.NullString
	err = lh.db.QueryRowContext(ctx, `SELECT arg_max(level, CASE level WHEN 'CAN_MANAGE' THEN 3 WHEN 'CAN_RUN' THEN 2 WHEN 'CAN_VIEW' THEN 1 ELSE 0 END)
		FROM sys.permissions WHERE (kind <> 'group' AND principal = ?)
		   OR (kind = 'group' AND principal IN (SELECT group_name FROM sys.group_members WHERE member = ?))`, principal, principal).Scan(&best)
	if err != nil {
		return "", true, fmt.Errorf("lakehouse: permission of %s: %w", principal, err)
	}
	return best.String, true, nil
}

// managers are the principals holding CAN_MANAGE besides the owner.
func (lh *Lakehouse) managers(ctx context.Context) []string {
	perms, _ := lh.Permissions(ctx)
	var out []string
	for _, p := range perms {
		if p.Level == CanManage && !slices.Contains(out, p.Principal) {
			out = append(out, p.Principal)
		}
	}
	return out
}

// CheckPermission checks that principal holds level (or a stronger one,
// ownership being the strongest) on the deployed target before it does
// action (deploy, destroy, run, alias move, ...). Before the first deploy
// every principal may. A refusal is audited and returned as a
// *PermissionError; an error reading the permissions refuses too.
func (lh *Lakehouse) CheckPermission(ctx context.Context, principal, level, action string) error {
	have, deployed, err := lh.PermissionLevel(ctx, principal)
	if err != nil {
		lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: principal, Action: action, Allowed: false, Detail: err.Error()})
		return err
	}
	if !deployed || levelRank(have) >= levelRank(level) {
		return nil
	}
	own, _ := lh.Owner(ctx)
	perr := &PermissionError{Principal: principal, Target: lh.targetName(), Action: action, Needs: level, Owner: own}
	if level != Owner {
		perr.Managers = lh.managers(ctx)
	}
	lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: principal, Action: action, Allowed: false, Detail: perr.Error()})
	return perr
}

// SetOwner hands the target's ownership from its current owner, by, to
// another principal, and audits it (refusals too). Only the owner may.
func (lh *Lakehouse) SetOwner(ctx context.Context, by, to string) error {
	to = strings.TrimSpace(to)
	if to == "" || strings.ContainsAny(to, " \t\n") {
		return fmt.Errorf("lakehouse: owner %q: name one user, group or service principal", to)
	}
	own, err := lh.Owner(ctx)
	if err != nil {
		return err
	}
	if own == "" {
		return fmt.Errorf("lakehouse: target %s has no owner yet: its first `lakebench bundle deploy -t %s` makes the deployer its owner", lh.targetName(), lh.targetName())
	}
	if err := lh.CheckPermission(ctx, by, Owner, "owner set"); err != nil {
		return err
	}
	lh.owners.change()
	_, err = lh.db.ExecContext(ctx, "UPDATE sys.governance SET owner = ?, deployed_at = now()::TIMESTAMP", to)
	lh.owners.changed()
	if err != nil {
		return fmt.Errorf("lakehouse: set owner: %w", err)
	}
	return lh.Audit(ctx, AuditEvent{Principal: by, Action: "owner set", Allowed: true, Detail: "owner of target " + lh.targetName() + ": " + own + " -> " + to})
}

// TargetSettings are the mode and run_as identity the target's deploys
// recorded last; ok is false before the first deploy.
func (lh *Lakehouse) TargetSettings(ctx context.Context) (s TargetSettings, ok bool, err error) {
	if lh.readOnly {
		id, err := lh.identities(ctx)
		if err != nil {
			return TargetSettings{}, false, err
		}
		return id.settings, id.recorded, nil
	}
	return targetSettings(ctx, lh.db)
}

// TargetSettings are the mode and run_as identity recorded last.
func (tx *Tx) TargetSettings(ctx context.Context) (s TargetSettings, ok bool, err error) {
	return targetSettings(ctx, tx.tx)
}

func targetSettings(ctx context.Context, e execer) (s TargetSettings, ok bool, err error) {
	var promotion sql.NullString
	err = e.QueryRowContext(ctx, "SELECT mode, run_as, principal, recorded_at, promotion::VARCHAR FROM sys.target_settings ORDER BY recorded_at DESC LIMIT 1").
		Scan(&s.Mode, &s.RunAs, &s.Principal, &s.RecordedAt, &promotion)
	s.Promotion = promotion.String
	if isNoRows(err) {
		return TargetSettings{}, false, nil
	}
	if err != nil {
		return TargetSettings{}, false, fmt.Errorf("lakehouse: target settings: %w", err)
	}
	return s, true, nil
}

// RecordTargetSettings appends the target's mode and run_as identity.
func (tx *Tx) RecordTargetSettings(ctx context.Context, s TargetSettings) error {
	if s.RecordedAt.IsZero() {
		s.RecordedAt = time.Now()
	}
	_, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.target_settings (mode, run_as, principal, recorded_at, promotion) VALUES (?, ?, ?, ?, ?::JSON)",
		s.Mode, s.RunAs, s.Principal, s.RecordedAt, nullString(s.Promotion))
	if err != nil {
		return fmt.Errorf("lakehouse: record target settings: %w", err)
	}
	return nil
}

// identities is what a read-only session reads once of who the target
// knows (see Lakehouse.identities).
type identities struct {
	settings TargetSettings
	recorded bool
	perms    []TargetPermission
	owner    string
	deployed bool
	tokens   []Token
}

// identityQuery reads a target's recorded settings, permissions, owner
// and tokens in one statement of plain scans, one row per record, kind in
// k (sorting and picking are done in Go: an ORDER BY, a scalar subquery or
// duckdb_tables() each cost a DuckDB process more than the scans).
// Without tokens it is the statement before the last UNION ALL: a target
// last opened for writing by a lakebench that made sys.tokens only with
// the first token may have none, and a read-only session cannot create it
// (writers now make it when they open the target, see bootstrap).
const identityQuery = `SELECT 's' AS k, mode AS a, run_as AS b, principal AS c, NULL::VARCHAR AS d, recorded_at AS t1, NULL::TIMESTAMP AS t2 FROM sys.target_settings
UNION ALL SELECT 'p', level, principal, kind, NULL, NULL, NULL FROM sys.permissions
UNION ALL SELECT 'o', owner, NULL, NULL, NULL, NULL, NULL FROM sys.governance`

const identityTokensQuery = identityQuery + `
UNION ALL SELECT 't', token_id, principal, created_by, revoked_by, created_at, revoked_at FROM sys.tokens`

// identities reads, once per read-only session, what the identity checks
// of a command need: the target's settings, permissions, owner,
// governance and tokens, in one statement (see identityQuery). No writer
// can change the file while it is open read-only, so what was read stays
// true for the session.
func (lh *Lakehouse) identities(ctx context.Context) (*identities, error) {
	lh.ownerMu.Lock()
	defer lh.ownerMu.Unlock()
	if lh.ident != nil {
		return lh.ident, nil
	}
	rows, err := lh.db.QueryContext(ctx, identityTokensQuery)
	if err != nil && strings.Contains(err.Error(), "Catalog Error") && strings.Contains(err.Error(), "tokens") {
		rows, err = lh.db.QueryContext(ctx, identityQuery)
	}
	if err != nil {
		return nil, fmt.Errorf("lakehouse: identities: %w", err)
	}
	defer rows.Close()
	id := &identities{}
	ownerSeen := false
	for rows.Next() {
		var k string
		var a, b, c, d sql.NullString
		var t1, t2 sql.NullTime
		if err := rows.Scan(&k, &a, &b, &c, &d, &t1, &t2); err != nil {
			return nil, fmt.Errorf("lakehouse: identities: %w", err)
		}
		switch k {
		case "s": // the latest settings (as ORDER BY recorded_at DESC LIMIT 1)
			if !id.recorded || t1.Time.After(id.settings.RecordedAt) {
				id.recorded = true
				id.settings = TargetSettings{Mode: a.String, RunAs: b.String, Principal: c.String, RecordedAt: t1.Time}
			}
		case "p":
			id.perms = append(id.perms, TargetPermission{Level: a.String, Principal: b.String, Kind: c.String})
		case "o":
			id.deployed = true
			if !ownerSeen {
				id.owner, ownerSeen = a.String, true
			}
		case "t":
			tok := Token{ID: a.String, Principal: b.String, CreatedBy: c.String, RevokedBy: d.String, CreatedAt: t1.Time}
			if t2.Valid {
				tok.RevokedAt = t2.Time
			}
			id.tokens = append(id.tokens, tok)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakehouse: identities: %w", err)
	}
	// The orders Permissions and Tokens give (ORDER BY ALL; newest first).
	slices.SortFunc(id.perms, func(x, y TargetPermission) int {
		return cmp.Or(cmp.Compare(x.Level, y.Level), cmp.Compare(x.Principal, y.Principal), cmp.Compare(x.Kind, y.Kind))
	})
	slices.SortFunc(id.tokens, func(x, y Token) int {
		return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	lh.ident = id
	return id, nil
}
