package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const deployDDL = `
CREATE TABLE IF NOT EXISTS sys.deployments (target VARCHAR, bundle VARCHAR, bundle_hash VARCHAR,
	principal VARCHAR, deployed_at TIMESTAMP, resources JSON);
CREATE TABLE IF NOT EXISTS sys.deployed_resources (kind VARCHAR, name VARCHAR, definition JSON,
	PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS sys.permissions (level VARCHAR, principal VARCHAR, kind VARCHAR);
CREATE TABLE IF NOT EXISTS sys.target_settings (mode VARCHAR, run_as VARCHAR, principal VARCHAR, recorded_at TIMESTAMP);
-- Plans and promotion gates (issue 12): a file deployed before them has the
-- first six columns; its rows keep content_hash, plan, forced and project
-- NULL (a promotion gate counts such a deployment as staged with no known
-- content, so it is staged again).
ALTER TABLE sys.deployments ADD COLUMN IF NOT EXISTS content_hash VARCHAR;
ALTER TABLE sys.deployments ADD COLUMN IF NOT EXISTS plan JSON;
ALTER TABLE sys.deployments ADD COLUMN IF NOT EXISTS forced VARCHAR;
ALTER TABLE sys.deployments ADD COLUMN IF NOT EXISTS project VARCHAR;
ALTER TABLE sys.target_settings ADD COLUMN IF NOT EXISTS promotion JSON;
`

// Deployment is one row of sys.deployments.
type Deployment struct {
	Target     string    `json:"target"`
	Bundle     string    `json:"bundle"`
	BundleHash string    `json:"bundle_hash"`
	Principal  string    `json:"principal"`
	DeployedAt time.Time `json:"deployed_at"`
	Resources  string    `json:"resources"`
	// ContentHash is the bundle's content, the same on every target (a
	// promotion gate compares it); "" for a deployment recorded before it.
	ContentHash string `json:"content_hash,omitempty"`
	// Plan is the plan the deploy applied, as JSON ("" before plans).
	Plan string `json:"plan,omitempty"`
	// Forced is the reason given when a promotion gate was overridden.
	Forced string `json:"forced,omitempty"`
	// Project is the project directory the deploy came from.
	Project string `json:"project,omitempty"`
}

// DeployedResource is one resource a deploy put on the target.
type DeployedResource struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

// RecordDeployment appends to sys.deployments.
func (tx *Tx) RecordDeployment(ctx context.Context, d Deployment) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO sys.deployments (target, bundle, bundle_hash, principal, deployed_at, resources,
		content_hash, plan, forced, project) VALUES (?, ?, ?, ?, ?, ?::JSON, ?, ?::JSON, ?, ?)`,
		d.Target, d.Bundle, d.BundleHash, d.Principal, d.DeployedAt, d.Resources,
		nullString(d.ContentHash), nullString(d.Plan), nullString(d.Forced), nullString(d.Project))
	if err != nil {
		return fmt.Errorf("lakehouse: record deployment: %w", err)
	}
	return nil
}

// LastDeployment is the newest deployment, or the zero value.
func (tx *Tx) LastDeployment(ctx context.Context) (Deployment, error) {
	return lastDeployment(ctx, tx.tx)
}

// LastDeployment is the newest deployment, or the zero value.
func (lh *Lakehouse) LastDeployment(ctx context.Context) (Deployment, error) {
	return lastDeployment(ctx, lh.db)
}

func lastDeployment(ctx context.Context, e execer) (Deployment, error) {
	ds, err := deployments(ctx, e, 1)
	if err != nil || len(ds) == 0 {
		return Deployment{}, err
	}
	return ds[0], nil
}

// Deployments lists the target's deployments, newest first.
func (lh *Lakehouse) Deployments(ctx context.Context) ([]Deployment, error) {
	return deployments(ctx, lh.db, 0)
}

// hasColumn reports whether sys.<table> has column: a file a read-only
// session opens may predate it (only a writer migrates).
func hasColumn(ctx context.Context, e execer, table, column string) (bool, error) {
	var n int
	err := e.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'sys' AND table_name = ? AND column_name = ?", table, column).Scan(&n)
	return n > 0, err
}

// deployments reads sys.deployments newest first, at most limit rows (0:
// all); a file from before plans reads its new columns as "".
func deployments(ctx context.Context, e execer, limit int) ([]Deployment, error) {
	extra := "NULL, NULL, NULL, NULL"
	if ok, err := hasColumn(ctx, e, "deployments", "project"); err != nil {
		return nil, fmt.Errorf("lakehouse: deployments: %w", err)
	} else if ok {
		extra = "content_hash, plan::VARCHAR, forced, project"
	}
	q := `SELECT target, bundle, bundle_hash, principal, deployed_at, resources::VARCHAR, ` + extra + `
		FROM sys.deployments ORDER BY deployed_at DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := e.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: deployments: %w", err)
	}
	defer rows.Close()
	var out []Deployment
	for rows.Next() {
		var d Deployment
		var res, content, plan, forced, project sql.NullString
		var target, bundle, hash, principal sql.NullString
		if err := rows.Scan(&target, &bundle, &hash, &principal, &d.DeployedAt, &res, &content, &plan, &forced, &project); err != nil {
			return nil, fmt.Errorf("lakehouse: deployments: %w", err)
		}
		d.Target, d.Bundle, d.BundleHash, d.Principal = target.String, bundle.String, hash.String, principal.String
		d.Resources, d.ContentHash, d.Plan, d.Forced, d.Project = res.String, content.String, plan.String, forced.String, project.String
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeployedResources lists what the last deploy put on the target.
func (tx *Tx) DeployedResources(ctx context.Context) ([]DeployedResource, error) {
	return deployedResources(ctx, tx.tx)
}

// DeployedResources lists what the last deploy put on the target.
func (lh *Lakehouse) DeployedResources(ctx context.Context) ([]DeployedResource, error) {
	return deployedResources(ctx, lh.db)
}

func deployedResources(ctx context.Context, e execer) ([]DeployedResource, error) {
	rows, err := e.QueryContext(ctx, "SELECT kind, name, definition::VARCHAR FROM sys.deployed_resources ORDER BY kind, name")
	if err != nil {
		return nil, fmt.Errorf("lakehouse: deployed resources: %w", err)
	}
	defer rows.Close()
	var out []DeployedResource
	for rows.Next() {
		var r DeployedResource
		if err := rows.Scan(&r.Kind, &r.Name, &r.Definition); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReplaceDeployedResources sets the target's deployed resources.
func (tx *Tx) ReplaceDeployedResources(ctx context.Context, rs []DeployedResource) error {
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM sys.deployed_resources"); err != nil {
		return fmt.Errorf("lakehouse: deploy: %w", err)
	}
	for _, r := range rs {
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO sys.deployed_resources VALUES (?, ?, ?::JSON)", r.Kind, r.Name, r.Definition); err != nil {
			return fmt.Errorf("lakehouse: deploy %s %s: %w", r.Kind, r.Name, err)
		}
	}
	return nil
}

// DropTable drops a table (and its quarantine and catalog entry) if it exists.
func (tx *Tx) DropTable(ctx context.Context, t TableName) error {
	q := TableName{Schema: t.Schema, Name: t.Name + "_quarantine"}
	for _, s := range []string{"DROP TABLE IF EXISTS " + t.SQL(), "DROP TABLE IF EXISTS " + q.SQL()} {
		if _, err := tx.tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("lakehouse: drop %s: %w", t, err)
		}
	}
	tx.dropCatalog(t, q)
	_, err := tx.tx.ExecContext(ctx, "DELETE FROM sys.catalog WHERE schema_name = ? AND table_name IN (?, ?)", t.Schema, t.Name, q.Name)
	return err
}

// DropIngested drops an ingested table: its view, stored rows, quarantine,
// catalog entries and file records (so its files would load again).
func (tx *Tx) DropIngested(ctx context.Context, t TableName) error {
	store := storeTable(t)
	q := TableName{Schema: t.Schema, Name: t.Name + "_quarantine"}
	for _, s := range []string{"DROP VIEW IF EXISTS " + t.SQL(), "DROP TABLE IF EXISTS " + store.SQL(), "DROP TABLE IF EXISTS " + q.SQL()} {
		if _, err := tx.tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("lakehouse: drop %s: %w", t, err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM sys.ingested_files WHERE table_name = ?", t.String()); err != nil {
		return err
	}
	tx.dropCatalog(t, q)
	_, err := tx.tx.ExecContext(ctx, "DELETE FROM sys.catalog WHERE schema_name = ? AND table_name IN (?, ?)", t.Schema, t.Name, q.Name)
	return err
}

// Destroy deletes the target's DuckDB file (and its write-ahead log, audit
// log and query log) under the writer lock this lakehouse holds, so no other
// process is using it. First it appends a record of the destruction
// (principal, target, time, the final hash of the file's audit chain and
// how many events it held) to the project's log of destroyed targets
// (DestroyedLogPath), which outlives the file: if that record cannot be
// written, nothing is deleted. The lakehouse is closed afterwards.
func (lh *Lakehouse) Destroy(principal string) error {
	if lh.lock == nil || lh.path == "" {
		lh.Close()
		return fmt.Errorf("lakehouse: destroy %s: open the target for writing first", lh.path)
	}
	if lh.db != nil {
		lh.db.Close()
		lh.db = nil
	}
	defer func() {
		lh.releaseLock()
		os.Remove(lockPath(lh.path))
		os.Remove(readersPath(lh.path))
	}()
	if err := recordDestroy(lh.path, principal, lh.lock); err != nil {
		return err
	}
	for _, f := range []string{lh.path, lh.path + ".wal", auditPath(lh.path), queryLogPath(lh.path), checkedPath(lh.path)} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("lakehouse: destroy %s: %w", f, err)
		}
	}
	return nil
}

// Destroy opens the target at path for writing (taking its lock) and
// destroys it as principal; see (*Lakehouse).Destroy. Permissions are the
// caller's to check first (pipeline.Project.Destroy does).
func Destroy(path, holder, principal string) error {
	lh, err := Open(context.Background(), path, Options{Holder: holder})
	if err != nil {
		return err
	}
	return lh.Destroy(principal)
}

// recordDestroy appends the destruction of the file at path to the
// project's log of destroyed targets. It reads the file's audit under
// held, the destroying writer's lock.
func recordDestroy(path, principal string, held *writerLock) error {
	target := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	detail := "destroyed " + path + ": "
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		detail += "the file did not exist"
	} else if lh, err := open(context.Background(), path, Options{ReadOnly: true}, held); err != nil {
		detail += "its audit could not be read (" + firstLine(err.Error()) + ")"
	} else {
		c, err := lh.VerifyAudit(context.Background())
		lh.Close()
		switch {
		case err != nil:
			detail += "its audit could not be read (" + firstLine(err.Error()) + ")"
		default:
			detail += fmt.Sprintf("its audit held %d events (%d in sys.audit, %d pending from read-only sessions), last seq %d, final hash %s",
				c.Events+c.Pending, c.Events, c.Pending, c.LastSeq, c.LastHash)
			if c.Break != nil {
				detail += "; its chain was broken at " + c.Break.String()
			} else {
				detail += "; its chain held"
			}
		}
	}
	e := AuditEvent{Principal: principal, Action: "destroy", Tables: []string{target}, Allowed: true, Detail: detail}
	if _, err := appendChained(DestroyedLogPath(path), chainHead{}, e); err != nil {
		return fmt.Errorf("lakehouse: destroy %s: nothing was deleted, the destruction could not be recorded: %w", target, err)
	}
	return nil
}

// JobRuns lists the runs of job on the target, newest first, with the
// bundle each ran ("" for a run recorded before bundle hashes were).
func (lh *Lakehouse) JobRuns(ctx context.Context, job string) ([]Run, error) {
	hash := "NULL"
	if ok, err := hasColumn(ctx, lh.db, "runs", "bundle_hash"); err != nil {
		return nil, fmt.Errorf("lakehouse: runs of %s: %w", job, err)
	} else if ok {
		hash = "bundle_hash"
	}
	rows, err := lh.db.QueryContext(ctx, `SELECT run_id, job, coalesce(target, ''), coalesce(principal, ''), started_at, ended_at,
		coalesce(status, ''), coalesce(error, ''), `+hash+` FROM sys.runs WHERE job = ? ORDER BY started_at DESC, run_id DESC`, job)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: runs of %s: %w", job, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var ended sql.NullTime
		var h sql.NullString
		if err := rows.Scan(&r.RunID, &r.Job, &r.Target, &r.Principal, &r.StartedAt, &ended, &r.Status, &r.Error, &h); err != nil {
			return nil, fmt.Errorf("lakehouse: runs of %s: %w", job, err)
		}
		r.EndedAt, r.BundleHash = ended.Time, h.String
		out = append(out, r)
	}
	return out, rows.Err()
}

// GroupMembers are the groups deployed on the target, each with its
// members sorted (a group with no members has none).
func (lh *Lakehouse) GroupMembers(ctx context.Context) (map[string][]string, error) {
	rows, err := lh.db.QueryContext(ctx, "SELECT group_name, member FROM sys.group_members ORDER BY ALL")
	if err != nil {
		return nil, fmt.Errorf("lakehouse: groups: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var g string
		var m sql.NullString
		if err := rows.Scan(&g, &m); err != nil {
			return nil, fmt.Errorf("lakehouse: groups: %w", err)
		}
		if _, ok := out[g]; !ok {
			out[g] = []string{}
		}
		if m.Valid {
			out[g] = append(out[g], m.String)
		}
	}
	return out, rows.Err()
}

// DeployAudited reports whether the target's audit holds an allowed
// deploy whose detail names contentHash: what a deploy writes in
// sys.deployments is also in the hash-chained audit.
func (lh *Lakehouse) DeployAudited(ctx context.Context, contentHash string) (bool, error) {
	if contentHash == "" {
		return false, nil
	}
	var n int
	err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.audit WHERE action = ? AND allowed AND contains(detail, ?)",
		ActionDeploy, "content "+contentHash).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("lakehouse: audit of deploys: %w", err)
	}
	return n > 0, nil
}

// RecordedPromotion is the promotion gate the target's last deploy
// recorded, as JSON ("" for none, or a file from before gates).
func (lh *Lakehouse) RecordedPromotion(ctx context.Context) (string, error) {
	if ok, err := hasColumn(ctx, lh.db, "target_settings", "promotion"); err != nil || !ok {
		return "", err
	}
	var s sql.NullString
	err := lh.db.QueryRowContext(ctx, "SELECT promotion::VARCHAR FROM sys.target_settings ORDER BY recorded_at DESC LIMIT 1").Scan(&s)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lakehouse: recorded promotion: %w", err)
	}
	return s.String, nil
}

// ActionBootstrap is the audit action of a production target's bootstrap.
const ActionBootstrap = "target.bootstrap"

// Bootstrap readies a production target that was never deployed for its
// first deploy, which must prove to be its service principal like every
// later one: owner (the person bootstrapping it) becomes the target's
// owner, sp gets CAN_MANAGE, and a token of sp is issued (returned once,
// as CreateToken). A target already deployed or owned is refused.
func (lh *Lakehouse) Bootstrap(ctx context.Context, owner, sp string) (string, Token, error) {
	if current, err := lh.Owner(ctx); err != nil {
		return "", Token{}, err
	} else if current != "" {
		return "", Token{}, fmt.Errorf("lakehouse: target %s already has an owner (%s): its owner issues tokens with `lakebench auth token create %s -t %s`", lh.targetName(), current, sp, lh.targetName())
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		return "", Token{}, err
	}
	defer tx.Rollback()
	if err := tx.DeployGovernance(ctx, Governance{Owner: owner, Groups: map[string][]string{}}); err != nil {
		return "", Token{}, err
	}
	if err := tx.DeployPermissions(ctx, []TargetPermission{{Level: CanManage, Principal: sp, Kind: "service_principal"}}); err != nil {
		return "", Token{}, err
	}
	if err := tx.Commit(); err != nil {
		return "", Token{}, err
	}
	token, t, err := lh.CreateToken(ctx, owner, sp)
	if err != nil {
		return "", Token{}, err
	}
	err = lh.Audit(ctx, AuditEvent{Principal: owner, Action: ActionBootstrap, Allowed: true,
		Detail: fmt.Sprintf("target %s bootstrapped for its first deploy: owner %s, %s CAN_MANAGE with token %s", lh.targetName(), owner, sp, t.ID)})
	return token, t, err
}
