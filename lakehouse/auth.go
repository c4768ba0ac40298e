package lakehouse

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Service principals authenticate with tokens the target's owner issues, as
// Databricks personal access tokens: the token is shown once, and the target
// keeps only its SHA-256 in sys.tokens. A token is 32 random bytes, so an
// unsalted hash is as hard to invert as the token is to guess.

const tokensDDL = `
CREATE TABLE IF NOT EXISTS sys.tokens (token_id VARCHAR PRIMARY KEY, principal VARCHAR NOT NULL,
	token_sha256 VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL,
	revoked_at TIMESTAMP, revoked_by VARCHAR);
`

// TokenPrefix starts every token, so a leaked one is easy to recognise.
const TokenPrefix = "lbt_"

// ErrBadToken is returned by VerifyToken when the token is missing, wrong or
// revoked for the principal.
var ErrBadToken = errors.New("lakehouse: invalid token")

// Token describes an issued token; the secret itself is never stored.
type Token struct {
	ID        string    `json:"token_id"`
	Principal string    `json:"principal"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// tokenHash is the stored form of a token: its SHA-256 in hex.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ownerOf is the target's owner from the deployed governance, or "" when
// governance is not deployed yet.
func (lh *Lakehouse) ownerOf(ctx context.Context) (string, error) {
	owner, _, err := lh.Grants(ctx)
	return owner, err
}

// CreateToken issues a new token for principal and returns it: the only
// time the secret exists outside its holder. Only the target's owner
// (issuer) may issue one, and only once governance is deployed.
func (lh *Lakehouse) CreateToken(ctx context.Context, issuer, principal string) (string, Token, error) {
	if lh.readOnly {
		return "", Token{}, fmt.Errorf("lakehouse: create token: %s is open read-only", lh.path)
	}
	if principal == "" {
		return "", Token{}, errors.New("lakehouse: create token: no principal named")
	}
	owner, err := lh.ownerOf(ctx)
	if err != nil {
		return "", Token{}, fmt.Errorf("lakehouse: create token: %w", err)
	}
	if owner == "" {
		return "", Token{}, fmt.Errorf("lakehouse: create token: %s has no owner yet: deploy the bundle first (`lakebench bundle deploy -t %s`), whose first deploy issues the run_as service principal's token", lh.path, lh.targetName())
	}
	if issuer != owner {
		return "", Token{}, fmt.Errorf("lakehouse: %s may not create tokens on %s: only its owner (%s) may", issuer, lh.path, owner)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", Token{}, fmt.Errorf("lakehouse: create token: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	hash := tokenHash(token)
	t := Token{ID: "tok-" + hash[:12], Principal: principal, CreatedAt: time.Now().UTC().Truncate(time.Microsecond), CreatedBy: issuer}
	if _, err := lh.db.ExecContext(ctx, tokensDDL); err != nil {
		return "", Token{}, fmt.Errorf("lakehouse: create token: %w", err)
	}
	if _, err := lh.db.ExecContext(ctx, "INSERT INTO sys.tokens VALUES (?, ?, ?, ?, ?, NULL, NULL)",
		t.ID, t.Principal, hash, t.CreatedAt, t.CreatedBy); err != nil {
		return "", Token{}, fmt.Errorf("lakehouse: create token: %w", err)
	}
	return token, t, nil
}

// hasTokens reports whether sys.tokens exists: a target where no token was
// ever issued has none, and a read-only lakehouse cannot create it.
func (lh *Lakehouse) hasTokens(ctx context.Context) (bool, error) {
	var n int
	err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'sys' AND table_name = 'tokens'").Scan(&n)
	return n > 0, err
}

// VerifyToken checks that token is a live token of principal; it returns
// ErrBadToken when it is not (missing, wrong, revoked or another
// principal's).
func (lh *Lakehouse) VerifyToken(ctx context.Context, principal, token string) error {
	if token == "" || principal == "" {
		return ErrBadToken
	}
	ok, err := lh.hasTokens(ctx)
	if err != nil {
		return fmt.Errorf("lakehouse: verify token: %w", err)
	}
	if !ok {
		return ErrBadToken
	}
	want := tokenHash(token)
	rows, err := lh.db.QueryContext(ctx, "SELECT token_sha256 FROM sys.tokens WHERE principal = ? AND revoked_at IS NULL", principal)
	if err != nil {
		return fmt.Errorf("lakehouse: verify token: %w", err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return fmt.Errorf("lakehouse: verify token: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 {
			found = true
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lakehouse: verify token: %w", err)
	}
	if !found {
		return ErrBadToken
	}
	return nil
}

// RevokeToken revokes every live token of principal and returns how many;
// only the target's owner (by) may.
func (lh *Lakehouse) RevokeToken(ctx context.Context, by, principal string) (int64, error) {
	if lh.readOnly {
		return 0, fmt.Errorf("lakehouse: revoke token: %s is open read-only", lh.path)
	}
	owner, err := lh.ownerOf(ctx)
	if err != nil {
		return 0, fmt.Errorf("lakehouse: revoke token: %w", err)
	}
	if owner == "" || by != owner {
		return 0, fmt.Errorf("lakehouse: %s may not revoke tokens on %s: only its owner (%s) may", by, lh.path, ownerName(owner))
	}
	if ok, err := lh.hasTokens(ctx); err != nil || !ok {
		return 0, err
	}
	res, err := lh.db.ExecContext(ctx, "UPDATE sys.tokens SET revoked_at = now()::TIMESTAMP, revoked_by = ? WHERE principal = ? AND revoked_at IS NULL", by, principal)
	if err != nil {
		return 0, fmt.Errorf("lakehouse: revoke token: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Tokens lists the issued tokens, newest first, without their secrets. A
// read-only session reads them once (see identities).
func (lh *Lakehouse) Tokens(ctx context.Context) ([]Token, error) {
	if lh.readOnly {
		id, err := lh.identities(ctx)
		if err != nil {
			return nil, err
		}
		return slices.Clone(id.tokens), nil
	}
	if ok, err := lh.hasTokens(ctx); err != nil || !ok {
		return nil, err
	}
	return lh.readTokens(ctx)
}

// readTokens reads sys.tokens, which exists.
func (lh *Lakehouse) readTokens(ctx context.Context) ([]Token, error) {
	rows, err := lh.db.QueryContext(ctx, `SELECT token_id, principal, created_at, created_by, revoked_at, coalesce(revoked_by, '')
		FROM sys.tokens ORDER BY created_at DESC, token_id`)
	if err != nil {
		return nil, fmt.Errorf("lakehouse: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var revoked *time.Time
		if err := rows.Scan(&t.ID, &t.Principal, &t.CreatedAt, &t.CreatedBy, &revoked, &t.RevokedBy); err != nil {
			return nil, fmt.Errorf("lakehouse: tokens: %w", err)
		}
		if revoked != nil {
			t.RevokedAt = *revoked
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func ownerName(owner string) string {
	if owner == "" {
		return "none until the first deploy"
	}
	return owner
}
