package lakehouse

import "context"

// Statements with bind parameters, for packages that keep records of their
// own in the lakehouse (the ml registry): lakebench's statements, not a
// user's, so they are not checked against the grants here; the caller
// authorizes what it does (Authorize) and audits it. Every value is a bind
// parameter: nothing a user names is spliced into the text.

// ExecArgs runs one statement with bind parameters in the transaction and
// returns the rows affected.
func (tx *Tx) ExecArgs(ctx context.Context, stmt string, args ...any) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, queryError(ctx, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// QueryArgs runs a query with bind parameters in the transaction and
// returns all its rows.
func (tx *Tx) QueryArgs(ctx context.Context, q string, args ...any) (*Result, error) {
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	res, err := scanResult(rows)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	return res, nil
}

// Principal is who the transaction's user SQL runs as (see BeginAs); ""
// is lakebench itself.
func (tx *Tx) Principal() string { return tx.principal }

// AuditOnCommit records e in the audit once the transaction commits (a
// rolled-back change was never made, so it is not audited as made).
func (tx *Tx) AuditOnCommit(e AuditEvent) { tx.onCommit = append(tx.onCommit, e) }

// RecordsQuery runs lakebench's own query of its records, with bind
// parameters, outside any transaction; it works on a read-only lakehouse.
// It is not checked against the grants: the caller authorizes the tables
// it reads.
func (lh *Lakehouse) RecordsQuery(ctx context.Context, q string, args ...any) (*Result, error) {
	rows, err := lh.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	res, err := scanResult(rows)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	return res, nil
}

// CheckTableTarget refuses a table lakebench keeps for itself as the
// target of a write: one in an internal schema (see InternalSchema) or one
// files are loaded into.
func (tx *Tx) CheckTableTarget(ctx context.Context, t TableName) error {
	return tx.checkModelTarget(ctx, t)
}

// Mode is the mode the target's deploys recorded last (development or
// production); "development" before the first deploy.
func (lh *Lakehouse) Mode(ctx context.Context) (string, error) {
	s, ok, err := lh.TargetSettings(ctx)
	if err != nil {
		return "", err
	}
	if !ok || s.Mode == "" {
		return "development", nil
	}
	return s.Mode, nil
}
