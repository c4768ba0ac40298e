package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMLAttacksFailClosed: a reviewer's attacks on the ML commands, with
// the real binary on a deployed dev target of the sample's governance
// (dana reads gold and ml; chen reads silver and gold and writes ml; erin
// has nothing). Each attack is refused with a message saying why, the
// refusals are in sys.audit, and the registry is intact afterwards.
func TestMLAttacksFailClosed(t *testing.T) {
	dir := mlProject(t)
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "query", "create table gold.penguins as select * from bronze.penguins")
	lb(t, dir, true, "train", "--table", "gold.penguins", "--label", "Species", "--name", "penguins", "--seed", "1")

	refused := []struct {
		args []string
		want string
	}{
		// Training and promotion need MODIFY on ml.
		{[]string{"--as", "dana", "train", "--table", "gold.penguins", "--label", "Species", "--name", "penguins"}, "dana may not write ml."},
		{[]string{"--as", "dana", "models", "promote", "penguins", "1", "--alias", "challenger"}, "dana may not write ml.model_aliases"},
		// Training and scoring need SELECT on their input.
		{[]string{"--as", "chen", "train", "--table", "bronze.penguins", "--label", "Species", "--name", "p2"}, "chen may not read bronze.penguins"},
		{[]string{"--as", "chen", "models", "predict", "penguins", "--table", "bronze.penguins", "--out", "ml.p"}, "chen may not read bronze.penguins"},
		{[]string{"--as", "erin", "models", "predict", "penguins", "--table", "gold.penguins", "--out", "ml.p"}, "erin may not"},
		{[]string{"--as", "erin", "models", "reproduce", "penguins", "1"}, "erin may not read"},
		// Scoring needs MODIFY on its output.
		{[]string{"--as", "chen", "models", "predict", "penguins", "--table", "gold.penguins", "--out", "gold.evil"}, "chen may not write gold.evil"},
		// No output over the registry, sys, ingested rows or the input.
		{[]string{"models", "predict", "penguins", "--table", "gold.penguins", "--out", "ml.RUNS"}, "registry"},
		{[]string{"models", "predict", "penguins", "--table", "gold.penguins", "--out", "ml.Model_Aliases"}, "registry"},
		{[]string{"models", "predict", "penguins", "--table", "gold.penguins", "--out", "sys.x"}, "sys"},
		{[]string{"models", "predict", "penguins", "--table", "gold.penguins", "--out", "bronze.penguins"}, "bronze"},
		{[]string{"models", "predict", "penguins", "--table", "gold.penguins", "--out", "bronze_data.penguins"}, "_data"},
		{[]string{"models", "predict", "penguins", "--table", "gold.penguins", "--out", "gold.PENGUINS"}, "input"},
		// A missing alias says how to set it.
		{[]string{"models", "predict", "penguins@nope", "--table", "gold.penguins", "--out", "ml.p"}, `no alias "nope": its aliases are @champion=1`},
		// The registry is not edited by hand, by anyone.
		{[]string{"--as", "chen", "query", "update ml.model_aliases set version = 1"}, "model registry"},
		{[]string{"--as", "chen", "query", "insert into ml.model_aliases values ('penguins', 'x', 99, 'chen', now())"}, "model registry"},
		{[]string{"query", "delete from ml.model_aliases"}, "model registry"},
		{[]string{"query", "update ml.artifacts set model = 'garbage'::BLOB"}, "model registry"},
		// Production refuses users, for training and promotion alike
		// (the OS user acts there as its run_as, sp-prod, with its token).
		{[]string{"-t", "prod", "--as", "chen", "train", "--table", "gold.penguins", "--label", "Species"}, "production"},
		{[]string{"-t", "prod", "--as", "chen", "models", "promote", "penguins", "1", "--alias", "champion"}, "production"},
	}
	for _, c := range refused {
		ok, stdout, stderr := lbTry(t, dir, c.args...)
		if ok || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "panic") {
			t.Errorf("lakebench %s: ok=%v, want refused with %q\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), ok, c.want, stdout, stderr)
		}
	}
	// chen may promote in development; the move is audited.
	lb(t, dir, true, "--as", "chen", "models", "promote", "penguins", "1", "--alias", "challenger")
	out, _ := lb(t, dir, true, "models", "list")
	if !strings.Contains(out, "@challenger=1 @champion=1") {
		t.Errorf("the registry after the attacks:\n%s", out)
	}
	lb(t, dir, true, "models", "show", "penguins")
	lb(t, dir, true, "models", "reproduce", "penguins", "1")

	rows := auditRows(t, filepath.Join(dir, ".lakebench", "dev.duckdb"))
	for _, c := range []struct {
		action, principal string
		allowed           bool
	}{
		{"ml:train", "dana", false}, {"ml:alias", "dana", false}, {"ml:train", "chen", false}, {"ml:predict", "chen", false},
		{"ml:models", "erin", false}, {"EXECUTE", "chen", false}, {"ml:alias", "chen", true},
	} {
		if countAudit(rows, c.action, c.allowed, c.principal, "") < 1 {
			t.Errorf("no %s event (allowed=%v) of %s in sys.audit", c.action, c.allowed, c.principal)
		}
	}
	// erin's predict and reproduce are refused at the registry's first
	// read (the CLI resolves the reference with Models), each audited.
	if n := countAudit(rows, "ml:models", false, "erin", ""); n != 2 {
		t.Errorf("erin's refusals audited %d times, want 2", n)
	}
}

// TestMLServicePrincipalNeedsItsToken: on staging, whose run_as is the
// service principal sp-staging, training and promotion without its token,
// with a wrong one, or with its token but as another service principal
// are refused before the registry opens, and audited.
func TestMLServicePrincipalNeedsItsToken(t *testing.T) {
	dir := mlProject(t)
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	other := "LAKEBENCH_HOME=" + t.TempDir()
	train := []string{"-t", "staging", "train", "--table", "bronze.penguins", "--label", "Species"}
	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{other}, train, "needs its token"},
		{[]string{other, "LAKEBENCH_TOKEN=lbt_guessed"}, train, "not a valid token of sp-staging"},
		{[]string{other}, []string{"-t", "staging", "models", "promote", "penguins", "1"}, "needs its token"},
		{[]string{other}, []string{"-t", "staging", "models", "predict", "penguins", "--table", "bronze.penguins", "--out", "ml.p"}, "needs its token"},
	} {
		_, stderr := lbEnv(t, dir, c.env, false, c.args...)
		if !strings.Contains(stderr, c.want) {
			t.Errorf("lakebench %s (%v): %s, want %q", strings.Join(c.args, " "), c.env, stderr, c.want)
		}
	}
	token, _ := lb(t, dir, true, "auth", "token", "create", "sp-staging", "-t", "staging")
	_, stderr := lbEnv(t, dir, []string{other, "LAKEBENCH_TOKEN=" + strings.TrimSpace(token)}, false, append(train, "--as", "sp-prod")...)
	if !strings.Contains(stderr, "not a valid token of sp-prod") {
		t.Errorf("sp-staging's token training as sp-prod: %s", stderr)
	}
	rows := auditRows(t, filepath.Join(dir, ".lakebench", "staging.duckdb"))
	if n := countAudit(rows, "authenticate", false, "sp-staging", ""); n < 4 {
		t.Errorf("%d refused sp-staging identities audited, want 4", n)
	}
	if n := countAudit(rows, "ml:train", true, "", ""); n != 0 {
		t.Errorf("a refused identity trained: %d ml:train events", n)
	}
}
