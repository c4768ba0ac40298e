package lakehouse

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "staging.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()

	// Before the first deploy there is no owner, so nobody issues tokens,
	// and no token verifies. The hint names the target: a user who ran
	// `lakebench bundle deploy` as told deployed dev, not staging.
	if _, _, err := lh.CreateToken(ctx, "alice", "sp-staging"); err == nil || !strings.Contains(err.Error(), "deploy the bundle first (`lakebench bundle deploy -t staging`)") {
		t.Fatalf("create before deploy: %v", err)
	}
	if err := lh.VerifyToken(ctx, "sp-staging", "lbt_x"); !errors.Is(err, ErrBadToken) {
		t.Fatalf("verify before any token: %v", err)
	}
	tx, _ := lh.Begin(ctx)
	if err := tx.DeployGovernance(ctx, Governance{Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()

	// A non-owner cannot issue one.
	if _, _, err := lh.CreateToken(ctx, "mallory", "sp-staging"); err == nil || !strings.Contains(err.Error(), "only its owner (alice)") {
		t.Fatalf("create by a non-owner: %v", err)
	}
	token, info, err := lh.CreateToken(ctx, "alice", "sp-staging")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, TokenPrefix) || len(token) < 40 {
		t.Fatalf("token %q is not a prefixed 32-byte secret", token)
	}
	// Only the hash is stored: the secret is nowhere in the table.
	var n int
	if err := lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.tokens t WHERE contains(t::VARCHAR, ?) OR contains(t::VARCHAR, ?)", token, token[len(TokenPrefix):]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the token is stored in sys.tokens")
	}
	var stored string
	if err := lh.db.QueryRowContext(ctx, "SELECT token_sha256 FROM sys.tokens WHERE token_id = ?", info.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != tokenHash(token) || len(stored) != 64 {
		t.Fatalf("stored %q, want the SHA-256 of the token", stored)
	}
	// (The search above can fail: it finds the hash.)
	lh.db.QueryRowContext(ctx, "SELECT count(*) FROM sys.tokens t WHERE contains(t::VARCHAR, ?)", stored).Scan(&n)
	if n != 1 {
		t.Fatalf("the row search found the stored hash %d times, want 1", n)
	}
	// A second token is another secret.
	token2, _, err := lh.CreateToken(ctx, "alice", "sp-staging")
	if err != nil || token2 == token {
		t.Fatalf("second token: %q %v", token2, err)
	}

	cases := []struct {
		principal, token string
		ok               bool
	}{
		{"sp-staging", token, true},
		{"sp-staging", token2, true},
		{"sp-prod", token, false},               // another principal's token
		{"sp-staging", token + "x", false},      // wrong
		{"sp-staging", "", false},               // missing
		{"sp-staging", tokenHash(token), false}, // the hash is not the token
	}
	for _, c := range cases {
		err := lh.VerifyToken(ctx, c.principal, c.token)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrBadToken)) {
			t.Errorf("verify %s %.12q: %v, want ok=%v", c.principal, c.token, err, c.ok)
		}
	}
	list, err := lh.Tokens(ctx)
	if err != nil || len(list) != 2 || list[0].Principal != "sp-staging" || list[0].CreatedBy != "alice" {
		t.Fatalf("tokens: %+v %v", list, err)
	}

	if _, err := lh.RevokeToken(ctx, "mallory", "sp-staging"); err == nil {
		t.Fatal("a non-owner revoked tokens")
	}
	if n, err := lh.RevokeToken(ctx, "alice", "sp-staging"); err != nil || n != 2 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if err := lh.VerifyToken(ctx, "sp-staging", token); !errors.Is(err, ErrBadToken) {
		t.Fatalf("a revoked token verifies: %v", err)
	}
	list, _ = lh.Tokens(ctx)
	if len(list) != 2 || list[0].RevokedAt.IsZero() || list[0].RevokedBy != "alice" {
		t.Fatalf("tokens after revoke: %+v", list)
	}

	// A read-only session verifies too.
	lh.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.VerifyToken(ctx, "sp-staging", token); !errors.Is(err, ErrBadToken) {
		t.Fatalf("read-only verify of a revoked token: %v", err)
	}
}
