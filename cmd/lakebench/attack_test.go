package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lakebench/lakebench/pipeline"
)

// rewriteTarget replaces the section of target name in the project's
// lakebench.yml (the sample's targets are its last section) with body, as
// an attacker who can edit the project's files would.
func rewriteTarget(t *testing.T, dir, name, body string) {
	t.Helper()
	path := filepath.Join(dir, "lakebench.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n  "+name+":\n")
	if i < 0 {
		t.Fatalf("no target %s in %s", name, path)
	}
	rest := s[i+len("\n  "+name+":\n"):]
	end := len(rest)
	for _, line := range strings.SplitAfter(rest, "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "    ") {
			end = strings.Index(rest, line)
			break
		}
	}
	s = s[:i] + "\n  " + name + ":\n" + body + rest[end:]
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestServicePrincipalNeedsItsTokenWhateverTheBundle: a principal the
// target knows as a service principal (its recorded run_as, a deployed
// permission, a token issued) needs its token even when the caller's
// lakebench.yml no longer names it a service principal and says the target
// is in development mode. Before, such a bundle made `--as sp-prod` a
// user role switch, granted without a token whenever the owner was someone
// else (here after `bundle owner set ana`), and the recorded production
// mode let sp-prod through since it is the recorded run_as.
func TestServicePrincipalNeedsItsTokenWhateverTheBundle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	freshProd(t, dir)
	lb(t, dir, true, "--as", pipeline.Principal(), "bundle", "owner", "set", "ana", "-t", "prod")
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	lb(t, dir, true, "bundle", "owner", "set", "ana", "-t", "staging")
	orig, err := os.ReadFile(filepath.Join(dir, "lakebench.yml"))
	if err != nil {
		t.Fatal(err)
	}
	other := "LAKEBENCH_HOME=" + t.TempDir()
	for _, c := range []struct{ target, sp string }{{"prod", "sp-prod"}, {"staging", "sp-staging"}} {
		os.WriteFile(filepath.Join(dir, "lakebench.yml"), orig, 0o644)
		rewriteTarget(t, dir, c.target, "    mode: development\n    data: {scale: dev}\n")
		// Neither a profile entry nor LAKEBENCH_TOKEN: refused.
		_, stderr := lbEnv(t, dir, []string{other}, false, "-t", c.target, "--as", c.sp, "status")
		if !strings.Contains(stderr, "needs its token") {
			t.Errorf("%s as %s without a token, from a bundle that no longer names it: %s", c.target, c.sp, stderr)
		}
		_, stderr = lbEnv(t, dir, []string{other}, false, "-t", c.target, "--as", c.sp, "run")
		if !strings.Contains(stderr, "needs its token") {
			t.Errorf("run on %s as %s without a token: %s", c.target, c.sp, stderr)
		}
		rows := auditRows(t, filepath.Join(dir, ".lakebench", c.target+".duckdb"))
		if countAudit(rows, "authenticate", false, c.sp, "needs its token") < 2 {
			t.Errorf("the refusals on %s are not in sys.audit: %v", c.target, rows)
		}
	}
}

// TestAuditLogLinkFailsClosed: the read-only sessions' audit log replaced
// by a symbolic link (to a file the attacker wants written, or to hide
// reads). Before, the append failed, the failure was dropped, and the
// query's rows were printed with no audit of them anywhere; audit verify
// followed the link and quoted the file it points to. Now a session that
// cannot audit returns nothing, and verify names the link.
func TestAuditLogLinkFailsClosed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "run")
	log := filepath.Join(dir, ".lakebench", "dev.duckdb.audit.jsonl")
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("top secret words\n"), 0o644)
	os.Remove(log)
	if err := os.Symlink(secret, log); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := lb(t, dir, false, "--as", "dana", "query", "select count(*) as n from gold.daily_revenue")
	if strings.Contains(stdout, "n") || !strings.Contains(stderr, "audit") {
		t.Errorf("a query whose access cannot be audited printed its rows or did not say why:\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	stdout, stderr = lb(t, dir, false, "audit", "verify")
	if strings.Contains(stdout+stderr, "top secret") || !strings.Contains(stdout+stderr, "symbolic link") {
		t.Errorf("audit verify on a linked log:\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	if b, _ := os.ReadFile(secret); string(b) != "top secret words\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}

// TestCheckedStampLinkIsNotWritten: <db>.checked (the stamp of the last
// passed child check) made a symbolic link to another file. Before, the
// next process wrote its stamp through the link, over that file.
func TestCheckedStampLinkIsNotWritten(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "1")
	lb(t, dir, true, "run")
	precious := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(precious, []byte("precious\n"), 0o644)
	stamp := filepath.Join(dir, ".lakebench", "dev.duckdb.checked")
	os.Remove(stamp)
	if err := os.Symlink(precious, stamp); err != nil {
		t.Fatal(err)
	}
	lb(t, dir, true, "run")
	if b, _ := os.ReadFile(precious); string(b) != "precious\n" {
		t.Errorf("the stamp was written through the link into %s: %q", precious, b)
	}
}

// TestLookAlikePrincipalsAreRefused: --as with a name that reads like
// another principal's in the audit (a trailing space, a tab, Cyrillic
// letters that look Latin) is refused, not recorded as if the owner or
// dana had acted; the refusal is audited with the name escaped.
func TestLookAlikePrincipalsAreRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	for _, name := range []string{"dana ", " dana", "da\tna", "d\u0430na", "an\u200ba"} {
		_, stderr := lb(t, dir, false, "--as", name, "query", "select 1")
		if !strings.Contains(stderr, "not a principal name") {
			t.Errorf("--as %q: %s", name, stderr)
		}
	}
	rows := auditRows(t, filepath.Join(dir, ".lakebench", "dev.duckdb"))
	for _, r := range rows {
		if p := r[1].(string); p == "dana " || p == "d\u0430na" || p == " dana" {
			t.Errorf("the audit records a look-alike principal %q as given: %v", p, r)
		}
	}
	if countAudit(rows, "authenticate", false, `d\u0430na`, "not a principal name") != 1 {
		t.Errorf("the refusal of a look-alike is not audited with its name escaped: %v", rows)
	}
	// Other case is another principal, with its own (no) grants.
	_, stderr := lb(t, dir, false, "--as", "Dana", "query", "select count(*) from sys.runs")
	if !strings.Contains(stderr, "Dana may not read sys.runs") {
		t.Errorf("--as Dana: %s", stderr)
	}
}

// TestTokensAndOwnershipDoNotCross: attacks that hold, kept so they keep
// holding. A token is valid only for its principal on its target of its
// project (staging's on prod, another project's prod token on this prod);
// a case variant of the owner's name is not the owner (owner set,
// destroy); every refusal is audited.
func TestTokensAndOwnershipDoNotCross(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	twin := filepath.Join(t.TempDir(), "twin")
	lb(t, t.TempDir(), true, "init", twin)
	lb(t, dir, true, "bundle", "deploy", "-t", "staging")
	freshProd(t, dir)
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	stagingToken, _ := lb(t, dir, true, "auth", "token", "create", "sp-staging", "-t", "staging", "--no-profile")
	twinToken, _ := lb(t, twin, true, "auth", "token", "create", "sp-prod", "-t", "prod", "--no-profile")
	other := "LAKEBENCH_HOME=" + t.TempDir()
	for _, tok := range []string{strings.TrimSpace(stagingToken), strings.TrimSpace(twinToken)} {
		_, stderr := lbEnv(t, dir, []string{other, "LAKEBENCH_TOKEN=" + tok}, false, "-t", "prod", "status")
		if !strings.Contains(stderr, "not a valid token of sp-prod on target prod") {
			t.Errorf("another target's or project's token on prod: %s", stderr)
		}
	}
	if n := countAudit(auditRows(t, filepath.Join(dir, ".lakebench", "prod.duckdb")), "authenticate", false, "sp-prod", "not a valid token"); n != 2 {
		t.Errorf("%d refused tokens audited on prod, want 2", n)
	}
	owner := pipeline.Principal()
	variant := strings.ToUpper(owner)
	if variant == owner {
		variant = owner + "X"
	}
	_, stderr := lb(t, dir, false, "--as", variant, "bundle", "owner", "set", variant)
	if !strings.Contains(stderr, "only its owner ("+owner+") may") {
		t.Errorf("owner set by %s: %s", variant, stderr)
	}
	_, stderr = lb(t, dir, false, "--as", "Dana", "bundle", "destroy", "-t", "dev", "--auto-approve")
	if !strings.Contains(stderr, "Dana may not destroy target dev") {
		t.Errorf("destroy as Dana: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".lakebench", "dev.duckdb")); err != nil {
		t.Errorf("dev was destroyed: %v", err)
	}
	rows := auditRows(t, filepath.Join(dir, ".lakebench", "dev.duckdb"))
	if countAudit(rows, "owner set", false, variant, "") != 1 || countAudit(rows, "destroy", false, "Dana", "") != 1 {
		t.Errorf("the refusals are not audited: %v", rows)
	}
}

// TestLandingLinksAreNotFollowed: whoever may write the landing zone plants
// a link to a file only the runner can read (their profile file with its
// tokens, /etc/passwd), or a directory link, or a source path climbing out
// of the project; the next run, by the owner or its service principal,
// loaded that file into bronze, where anybody with SELECT on bronze read
// the tokens. Now a landing file must be a regular file inside the project
// (no link on the way): the run fails naming it, and nothing is loaded.
func TestLandingLinksAreNotFollowed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "1")
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "run")
	outside := t.TempDir()
	secretJSON := filepath.Join(outside, "profiles.json")
	os.WriteFile(secretJSON, []byte(`{"profiles":[{"token":"lbt_secret"}]}`+"\n"), 0o600)
	os.MkdirAll(filepath.Join(outside, "events"), 0o755)
	os.WriteFile(filepath.Join(outside, "events", "events_2026-01-09.json"), []byte(`{"token":"lbt_secret"}`+"\n"), 0o600)
	fifo := filepath.Join(dir, "landing", "products", "products_2026-01-09.csv")

	plant := map[string]func() error{
		"a file link": func() error {
			return os.Symlink(secretJSON, filepath.Join(dir, "landing", "tickets", "tickets_2026-01-09.json"))
		},
		"a directory link": func() error {
			ev := filepath.Join(dir, "landing", "events")
			if err := os.Rename(ev, ev+".real"); err != nil {
				return err
			}
			return os.Symlink(filepath.Join(outside, "events"), ev)
		},
		"a named pipe": func() error { return syscall.Mkfifo(fifo, 0o644) },
	}
	undo := map[string]func(){
		"a file link": func() { os.Remove(filepath.Join(dir, "landing", "tickets", "tickets_2026-01-09.json")) },
		"a directory link": func() {
			ev := filepath.Join(dir, "landing", "events")
			os.Remove(ev)
			os.Rename(ev+".real", ev)
		},
		"a named pipe": func() { os.Remove(fifo) },
	}
	for _, name := range []string{"a file link", "a directory link", "a named pipe"} {
		if err := plant[name](); err != nil {
			t.Fatal(err)
		}
		_, stderr := lb(t, dir, false, "run")
		if !strings.Contains(stderr, "not a regular file inside the project") {
			t.Errorf("%s in the landing zone: %s", name, stderr)
		}
		undo[name]()
	}
	stdout, _ := lb(t, dir, true, "query", "select count(*) as n from bronze.tickets where _source_file like '%01-09%'", "--format", "csv")
	stdout2, _ := lb(t, dir, true, "query", "select count(*) as n from bronze.events where _source_file like '%01-09%'", "--format", "csv")
	if strings.TrimSpace(stdout) != "n\n0" || strings.TrimSpace(stdout2) != "n\n0" {
		t.Errorf("a linked file was loaded: %q %q", stdout, stdout2)
	}
}

// TestSampleNextWritesNoLink: `sample next` wrote each file to a fixed
// temporary name (.<name>.tmp) before renaming it, so a link planted there
// by whoever may write landing/ made it write the day's data into the file
// the link points to (reproduced over a file of the runner's).
func TestSampleNextWritesNoLink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "1")
	victim := t.TempDir()
	var planted []string
	for _, rel := range []string{"landing/customers/.customers_2026-01-06.csv.tmp", "landing/orders/.orders_2026-01-06.parquet.tmp",
		"landing/events/.events_2026-01-06.json.tmp"} {
		target := filepath.Join(victim, filepath.Base(rel))
		os.WriteFile(target, []byte("precious\n"), 0o644)
		if err := os.Symlink(target, filepath.Join(dir, rel)); err != nil {
			t.Fatal(err)
		}
		planted = append(planted, target)
	}
	lb(t, dir, true, "sample", "next")
	for _, target := range planted {
		if b, _ := os.ReadFile(target); string(b) != "precious\n" {
			t.Errorf("sample next wrote through a planted link into %s: %.40q", target, b)
		}
	}
	lb(t, dir, true, "run")
}

// TestDatabaseLinksAreRefused: <db>.wal planted as a link to a file of the
// runner's made DuckDB write its write-ahead log into that file (then drop
// the link); <db> itself as a link to an empty file made DuckDB build the
// target there. Both are refused before DuckDB opens anything.
func TestDatabaseLinksAreRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "1")
	lb(t, dir, true, "run")
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious\n"), 0o644)
	db := filepath.Join(dir, ".lakebench", "dev.duckdb")
	os.Symlink(victim, db+".wal")
	for _, args := range [][]string{{"run"}, {"query", "select 1"}, {"--as", "dana", "query", "select 1"}} {
		_, stderr := lb(t, dir, false, args...)
		if !strings.Contains(stderr, "symbolic link") {
			t.Errorf("%v with a linked write-ahead log: %s", args, stderr)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("DuckDB wrote through the linked .wal into %s: %.40q", victim, b)
	}
	os.Remove(db + ".wal")
	lb(t, dir, true, "run")

	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o644)
	os.Symlink(empty, filepath.Join(dir, ".lakebench", "staging.duckdb"))
	_, stderr := lb(t, dir, false, "-t", "staging", "bundle", "deploy")
	if !strings.Contains(stderr, "symbolic link") {
		t.Errorf("a linked target database: %s", stderr)
	}
	if fi, _ := os.Stat(empty); fi == nil || fi.Size() != 0 {
		t.Errorf("DuckDB wrote the target into the link's file %s", empty)
	}
}

// TestInitWritesNoLink: `init DIR` into a directory where a dangling link
// stands at a template file's name (resources/bi.yml) made the file at the link's
// destination, wherever that is. Now init refuses, naming it.
func TestInitWritesNoLink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	os.MkdirAll(dir, 0o755)
	elsewhere := filepath.Join(t.TempDir(), "made-by-init")
	os.MkdirAll(filepath.Join(dir, "resources"), 0o755)
	os.Symlink(elsewhere, filepath.Join(dir, "resources", "bi.yml"))
	os.Symlink(elsewhere+".yml", filepath.Join(dir, "lakebench.yml"))
	_, stderr := lb(t, t.TempDir(), false, "init", dir)
	if !strings.Contains(stderr, "already exists") {
		t.Errorf("init over dangling links: %s", stderr)
	}
	os.Remove(filepath.Join(dir, "lakebench.yml"))
	_, stderr = lb(t, t.TempDir(), false, "init", dir)
	if !strings.Contains(stderr, "bi.yml already exists") {
		t.Errorf("init over a dangling resources/bi.yml link: %s", stderr)
	}
	for _, f := range []string{elsewhere, elsewhere + ".yml"} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("init wrote %s through a link", f)
		}
	}
}
