package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui"
)

// lbEnv runs lakebench as lb does, with env added (it may override
// LAKEBENCH_HOME, to be a user without the owner's profile file).
func lbEnv(t *testing.T, dir string, env []string, wantOK bool, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"), "LAKEBENCH_TOKEN="), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if (err == nil) != wantOK {
		t.Fatalf("lakebench %s (env %v): exit %v, want ok=%v\nstdout: %s\nstderr: %s", strings.Join(args, " "), env, err, wantOK, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// auditRows reads a target's sys.audit directly (as lakebench itself):
// action, principal, allowed and detail of each event.
func auditRows(t *testing.T, dbPath string) [][]any {
	t.Helper()
	return targetRows(t, dbPath, "SELECT action, principal, allowed, coalesce(detail, '') FROM sys.audit ORDER BY event_time")
}

// targetRows runs query on a target's file directly, as lakebench itself
// (past the grants: what a test checks, not what a principal may see).
func targetRows(t *testing.T, dbPath, query string) [][]any {
	t.Helper()
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, dbPath, lakehouse.Options{}) // a writer imports read-only sessions' events
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	res, err := lh.Query(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows
}

// countAudit counts events of an action with allowed, whose principal and
// detail contain the fragments.
func countAudit(rows [][]any, action string, allowed bool, principal, detail string) int {
	n := 0
	for _, r := range rows {
		if r[0] == action && r[2] == allowed && strings.Contains(r[1].(string), principal) && strings.Contains(r[3].(string), detail) {
			n++
		}
	}
	return n
}

func readProfileFile(t *testing.T, path string) profiles {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ps profiles
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatalf("profile file %s: %v\n%s", path, err, b)
	}
	return ps
}

// TestServicePrincipalTokens drives a staging target whose run_as is a
// service principal: the first deploy issues its token into the owner's
// profile, the owner's runs use it, others need LAKEBENCH_TOKEN, and every
// refusal is in sys.audit.
func TestServicePrincipalTokens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	profile := filepath.Join(dir, ".home", "profiles.json")
	db := filepath.Join(dir, ".lakebench", "staging.duckdb")

	// The first deploy is open, and issues sp-staging's token into the
	// deployer's profile file, saying so but not printing it.
	stdout, stderr := lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	if !strings.Contains(stderr, "Issued a token for sp-staging") || !strings.Contains(stderr, profile) {
		t.Fatalf("the first deploy did not say it issued a token into %s:\n%s", profile, stderr)
	}
	fi, err := os.Lstat(profile)
	if err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
		t.Fatalf("profile file %s: %v %v, want a regular file of mode 0600", profile, fi, err)
	}
	ps := readProfileFile(t, profile)
	realDir, _ := filepath.EvalSymlinks(dir)
	first, ok := ps.lookup(realDir, "staging", "sp-staging")
	if !ok || !strings.HasPrefix(first, lakehouse.TokenPrefix) {
		t.Fatalf("profile file has no token for (%s, staging, sp-staging): %+v", realDir, ps)
	}
	if strings.Contains(stdout+stderr, first) {
		t.Errorf("the deploy printed the token")
	}

	// The owner's own commands act as sp-staging without typing the token.
	lb(t, dir, true, "-t", "staging", "status")
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")

	// auth token create prints a new token once, on stdout, and stores
	// only its hash.
	stdout, stderr = lb(t, dir, true, "auth", "token", "create", "sp-staging", "-t", "staging")
	token := strings.TrimSpace(stdout)
	if !strings.HasPrefix(token, lakehouse.TokenPrefix) || strings.Count(stdout+stderr, token) != 1 || token == first {
		t.Fatalf("auth token create: want one new token printed once\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	if !strings.Contains(stderr, "only time it is shown") {
		t.Errorf("create does not say the token is shown once: %s", stderr)
	}
	stdout, _ = lb(t, dir, true, "auth", "token", "list", "-t", "staging", "--json")
	var list []lakehouse.Token
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) != 2 {
		t.Fatalf("auth token list --json: %v\n%s", err, stdout)
	}
	stdout, _ = lb(t, dir, true, "auth", "token", "list", "-t", "staging")
	if strings.Contains(stdout, token) || strings.Contains(stdout, first) || !strings.Contains(stdout, "sp-staging") {
		t.Errorf("auth token list shows a secret or lacks the principal:\n%s", stdout)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if bytes.Contains(raw, []byte(token)) || bytes.Contains(raw, []byte(token[len(lakehouse.TokenPrefix):])) {
		t.Errorf("the token's secret is in %s", db)
	}
	if !bytes.Contains(raw, []byte(hex.EncodeToString(sum[:]))) {
		t.Errorf("the token's SHA-256 is not in %s", db)
	}

	// Another user has no profile entry: LAKEBENCH_TOKEN missing, wrong
	// or right, as in CI.
	other := "LAKEBENCH_HOME=" + t.TempDir()
	_, stderr = lbEnv(t, dir, []string{other}, false, "-t", "staging", "status")
	if !strings.Contains(stderr, "needs its token") || !strings.Contains(stderr, "lakebench auth token create sp-staging -t staging") {
		t.Errorf("missing token: %s", stderr)
	}
	_, stderr = lbEnv(t, dir, []string{other, "LAKEBENCH_TOKEN=lbt_guessed"}, false, "-t", "staging", "bundle", "run", "nightly")
	if !strings.Contains(stderr, "not a valid token of sp-staging") || !strings.Contains(stderr, "LAKEBENCH_TOKEN") {
		t.Errorf("wrong token: %s", stderr)
	}
	_, stderr = lbEnv(t, dir, []string{other, "LAKEBENCH_TOKEN=" + token}, false, "-t", "staging", "status", "--as", "sp-prod")
	if !strings.Contains(stderr, "not a valid token of sp-prod") {
		t.Errorf("sp-staging's token used as sp-prod: %s", stderr)
	}
	lbEnv(t, dir, []string{other, "LAKEBENCH_TOKEN=" + token}, true, "-t", "staging", "status")

	// A profile file others can read, or a link, is refused, saying how
	// to fix it.
	os.Chmod(profile, 0o644)
	_, stderr = lb(t, dir, false, "-t", "staging", "status")
	if !strings.Contains(stderr, "chmod 600 "+profile) {
		t.Errorf("a 0644 profile file: %s", stderr)
	}
	os.Chmod(profile, 0o600)
	moved := filepath.Join(dir, ".home", "elsewhere.json")
	os.Rename(profile, moved)
	os.Symlink(moved, profile)
	_, stderr = lb(t, dir, false, "-t", "staging", "status")
	if !strings.Contains(stderr, "symbolic link") {
		t.Errorf("a symlinked profile file: %s", stderr)
	}
	os.Remove(profile)
	os.Rename(moved, profile)
	lb(t, dir, true, "-t", "staging", "status")

	// --as another user: a role switch in development targets only.
	_, stderr = lb(t, dir, false, "-t", "prod", "status", "--as", "dana")
	if !strings.Contains(stderr, "production mode") {
		t.Errorf("--as dana on prod: %s", stderr)
	}
	lb(t, dir, true, "-t", "dev", "query", "select 1", "--as", "dana")

	// Revoking: the owner's saved token and the CI token stop working.
	lb(t, dir, true, "auth", "token", "revoke", "sp-staging", "-t", "staging")
	_, stderr = lbEnv(t, dir, []string{other, "LAKEBENCH_TOKEN=" + token}, false, "-t", "staging", "status")
	if !strings.Contains(stderr, "not a valid token") {
		t.Errorf("a revoked token: %s", stderr)
	}
	if ps := readProfileFile(t, profile); func() bool { _, ok := ps.lookup(realDir, "staging", "sp-staging"); return ok }() {
		t.Errorf("revoke left the token in the owner's profile file")
	}
	_, stderr = lb(t, dir, false, "-t", "staging", "status")
	if !strings.Contains(stderr, "needs its token") {
		t.Errorf("the owner after revoking: %s", stderr)
	}

	rows := auditRows(t, db)
	for _, c := range []struct {
		action, principal, detail string
		allowed                   bool
		min                       int
	}{
		{"auth.token.create", "", "at its first deploy", true, 1},
		{"auth.token.create", "", "for sp-staging", true, 2},
		{"auth.token.list", "", "", true, 2},
		{"auth.token.revoke", "", "2 tokens of sp-staging", true, 1},
		{"authenticate", "sp-staging", "is not set and your profile file", false, 2},
		{"authenticate", "sp-staging", "not a valid token of sp-staging", false, 2},
		{"authenticate", "sp-prod", "not a valid token of sp-prod", false, 1},
		{"authenticate", "sp-staging", "chmod 600", false, 1},
		{"authenticate", "sp-staging", "symbolic link", false, 1},
	} {
		if n := countAudit(rows, c.action, c.allowed, c.principal, c.detail); n < c.min {
			t.Errorf("sys.audit has %d %s events (allowed=%v, %s, %q), want at least %d:\n%v", n, c.action, c.allowed, c.principal, c.detail, c.min, rows)
		}
	}
	if n := countAudit(auditRows(t, filepath.Join(dir, ".lakebench", "prod.duckdb")), "authenticate", false, "dana", "production mode"); n != 1 {
		t.Errorf("the refusal of --as dana on prod is audited %d times, want 1", n)
	}
}

// TestTokenOwnerOnly: only a target's owner issues tokens, a role switch
// is not an identity, and --as the owner is no role switch.
func TestTokenOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	db := filepath.Join(dir, ".lakebench", "staging.duckdb")
	// Someone else, carol, deployed staging first and owns it.
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, db, lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := lh.Begin(ctx)
	if err := tx.DeployGovernance(ctx, lakehouse.Governance{Owner: "carol"}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	lh.Close()

	_, stderr := lb(t, dir, false, "auth", "token", "create", "sp-staging", "-t", "staging")
	if !strings.Contains(stderr, "only its owner (carol)") {
		t.Errorf("a non-owner created a token: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "auth", "token", "create", "sp-staging", "-t", "staging", "--as", "carol")
	if !strings.Contains(stderr, "role switch") {
		t.Errorf("--as the owner created a token: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "auth", "token", "create", "dana", "-t", "staging")
	if !strings.Contains(stderr, "not a service principal") {
		t.Errorf("a token for a user: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "auth", "token", "list", "-t", "staging")
	if !strings.Contains(stderr, "only its owner (carol)") {
		t.Errorf("a non-owner listed tokens: %s", stderr)
	}
	_, stderr = lb(t, dir, false, "-t", "staging", "status", "--as", "carol")
	if !strings.Contains(stderr, "would act as the owner") {
		t.Errorf("--as the owner in a development target: %s", stderr)
	}
	rows := auditRows(t, db)
	if n := countAudit(rows, "auth.token.create", false, "", "only its owner (carol)"); n != 1 {
		t.Errorf("%d refused token creations audited, want 1:\n%v", n, rows)
	}
	if n := countAudit(rows, "auth.token.create", false, "", "not a service principal"); n != 1 {
		t.Errorf("%d refused tokens for a user audited, want 1:\n%v", n, rows)
	}
	if n := countAudit(rows, "authenticate", false, "carol", "role switch"); n != 2 {
		t.Errorf("%d refused role switches to the owner audited, want 2:\n%v", n, rows)
	}
	if n := countAudit(rows, "auth.token.list", false, "", "only its owner"); n != 1 {
		t.Errorf("%d refused listings audited, want 1:\n%v", n, rows)
	}
}

func TestProfilePath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("LAKEBENCH_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	cases := []struct {
		lbHome, xdg, want string
	}{
		{"/lb", "/xdg", "/lb/profiles.json"},
		{"", "/xdg", "/xdg/lakebench/profiles"},
		{"", "", filepath.Join(home, ".config", "lakebench", "profiles")},
	}
	for _, c := range cases {
		t.Setenv("LAKEBENCH_HOME", c.lbHome)
		t.Setenv("XDG_CONFIG_HOME", c.xdg)
		if got, err := profilePath(); err != nil || got != c.want {
			t.Errorf("profilePath with LAKEBENCH_HOME=%q XDG_CONFIG_HOME=%q = %q, %v; want %q", c.lbHome, c.xdg, got, err, c.want)
		}
	}

	// Written 0600 through a rename, so a link in its place is replaced,
	// not followed; read back only when private.
	dir := t.TempDir()
	path := filepath.Join(dir, "profiles.json")
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	os.Symlink(victim, path)
	if _, err := readProfiles(path); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("a symlinked profile file was read: %v", err)
	}
	if _, err := saveToken("/p", "staging", "sp", "lbt_x"); err != nil {
		// LAKEBENCH_HOME is unset here: saveToken writes under HOME.
		t.Fatal(err)
	}
	ps := &profiles{}
	ps.set("/p", "staging", "sp", "lbt_x")
	if err := writeProfiles(path, ps); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("writing the profile changed another file: %q", b)
	}
	got, err := readProfiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if tok, ok := got.lookup("/p", "staging", "sp"); !ok || tok != "lbt_x" {
		t.Fatalf("lookup after write: %q %v", tok, ok)
	}
	os.Chmod(path, 0o640)
	if _, err := readProfiles(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a group-readable profile file was read: %v", err)
	}
}

// TestTUIAuthenticates: the TUI decides who it is as the command line does:
// without the token it reads as the user and refuses runs as the service
// principal (audited once, not per refresh); with the owner's profile it is
// the service principal.
func TestTUIAuthenticates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	ctx := context.Background()
	t.Setenv("LAKEBENCH_TOKEN", "")

	t.Setenv("LAKEBENCH_HOME", t.TempDir()) // another user: no profile
	ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: dir, Target: "staging", Authenticate: authenticator("")})
	info, err := ws.Prepare(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if info.Principal != pipeline.Principal() {
		t.Errorf("without the token the TUI is %q, want the user %q", info.Principal, pipeline.Principal())
	}
	err = ws.Run(ctx, "staging", "nightly", nil)
	if err == nil || !strings.Contains(err.Error(), "needs its token") {
		t.Errorf("a TUI run as sp-staging without its token: %v", err)
	}
	rows := auditRows(t, filepath.Join(dir, ".lakebench", "staging.duckdb"))
	if n := countAudit(rows, "authenticate", false, "sp-staging", "needs its token"); n != 1 {
		t.Errorf("the TUI's refusal is audited %d times, want once:\n%v", n, rows)
	}

	// On dev the TUI is the user, or with --as a role switch.
	dev, err := pipeline.LoadWith(dir, pipeline.LoadOptions{Target: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if who, err := authenticator("")(ctx, dev); err != nil || who != pipeline.Principal() {
		t.Errorf("the TUI on dev is %q (%v), want the user", who, err)
	}
	if who, err := authenticator("dana")(ctx, dev); err != nil || who != "dana" {
		t.Errorf("the TUI on dev --as dana is %q (%v), want dana", who, err)
	}

	t.Setenv("LAKEBENCH_HOME", filepath.Join(dir, ".home")) // the owner
	ws = tui.NewWorkspace(tui.WorkspaceOptions{Dir: dir, Target: "staging", Authenticate: authenticator("")})
	if info, err = ws.Prepare(ctx, func(string) {}); err != nil || info.Principal != "sp-staging" {
		t.Errorf("with the owner's profile the TUI is %q (%v), want sp-staging", info.Principal, err)
	}
}

// TestValidPrincipalName checks the hand-written check against the pattern
// it stands for, on names at the edges and on every one- and two-byte name.
func TestValidPrincipalName(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._@+-]{0,127}$`)
	names := []string{"", "dana", "sp-prod", "a.b@c+d-e_f", ".dana", "-x", "@x", "dana ", "dan\u0430", "dana\n",
		strings.Repeat("a", 128), strings.Repeat("a", 129), "x" + strings.Repeat(".", 127)}
	for c := range 256 {
		names = append(names, string(rune(c)), "a"+string([]byte{byte(c)}), string([]byte{byte(c)})+"a")
	}
	for _, n := range names {
		if got, want := validPrincipalName(n), pattern.MatchString(n); got != want {
			t.Errorf("validPrincipalName(%q) = %v, the pattern says %v", n, got, want)
		}
	}
}
