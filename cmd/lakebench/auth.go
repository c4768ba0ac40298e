package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/spf13/cobra"
)

// Who a session is. A user is who the operating system says (in a
// development target `--as USER` switches roles for demos, with that user's
// grants); a service principal proves itself with a token the target's
// owner issued: LAKEBENCH_TOKEN (as DATABRICKS_TOKEN in CI), else the
// owner's profile file (as the Databricks CLI's ~/.databrickscfg). Every
// refusal is audited on the target.

// tokenEnv holds a service principal's token for one command.
const tokenEnv = "LAKEBENCH_TOKEN"

// profileEntry is one token in the profile file, for one project, target
// and principal.
type profileEntry struct {
	Project   string    `json:"project"`
	Target    string    `json:"target"`
	Principal string    `json:"principal"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

// profiles is the profile file.
type profiles struct {
	Profiles []profileEntry `json:"profiles"`
}

// profilePath is the profile file: $LAKEBENCH_HOME/profiles.json, else
// $XDG_CONFIG_HOME/lakebench/profiles, else ~/.config/lakebench/profiles.
func profilePath() (string, error) {
	if h := os.Getenv("LAKEBENCH_HOME"); h != "" {
		return filepath.Join(h, "profiles.json"), nil
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "lakebench", "profiles"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory for the profile file (set LAKEBENCH_HOME): %w", err)
	}
	return filepath.Join(home, ".config", "lakebench", "profiles"), nil
}

// readProfiles reads the profile file; a missing one is empty. A file that
// is a symbolic link, not a regular file, not the user's own, or readable
// by group or others is refused: it holds secrets.
func readProfiles(path string) (*profiles, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return &profiles{}, nil
	}
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("the profile file %s is a symbolic link, which lakebench refuses (it holds tokens): replace it with the file itself (mv \"$(readlink -f %s)\" %s) and chmod 600 it", path, path, path)
		}
		return nil, fmt.Errorf("read the profile file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read the profile file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the profile file %s is not a regular file: remove it and create the token again (`lakebench auth token create`)", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("the profile file %s belongs to another user (uid %d): lakebench uses only your own; remove it and create the token again", path, st.Uid)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the profile file %s is readable by others (mode %04o) and holds tokens, so lakebench refuses it: run `chmod 600 %s`, and revoke and re-create its tokens if others may have read them", path, fi.Mode().Perm(), path)
	}
	var ps profiles
	if err := json.NewDecoder(f).Decode(&ps); err != nil {
		return nil, fmt.Errorf("the profile file %s is not valid JSON (%v): fix or remove it", path, err)
	}
	return &ps, nil
}

// lookup is the token stored for a project, target and principal.
func (ps *profiles) lookup(project, target, principal string) (string, bool) {
	for _, e := range ps.Profiles {
		if e.Project == project && e.Target == target && e.Principal == principal {
			return e.Token, true
		}
	}
	return "", false
}

// set replaces (or with token "" removes) the entry for a project, target
// and principal.
func (ps *profiles) set(project, target, principal, token string) {
	ps.Profiles = slices.DeleteFunc(ps.Profiles, func(e profileEntry) bool {
		return e.Project == project && e.Target == target && e.Principal == principal
	})
	if token != "" {
		ps.Profiles = append(ps.Profiles, profileEntry{Project: project, Target: target, Principal: principal, Token: token, CreatedAt: time.Now().UTC()})
	}
}

// writeProfiles replaces the profile file with a new one of mode 0600,
// written beside it and renamed over it (so a link in its place is
// replaced, never followed).
func writeProfiles(path string, ps *profiles) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write the profile file: %w", err)
	}
	b, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".profiles-*")
	if err != nil {
		return fmt.Errorf("write the profile file: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write the profile file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write the profile file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write the profile file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the profile file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write the profile file: %w", err)
	}
	return nil
}

// saveToken stores a token in the profile file for a project, target and
// principal, and returns the file's path.
func saveToken(project, target, principal, token string) (string, error) {
	path, err := profilePath()
	if err != nil {
		return "", err
	}
	ps, err := readProfiles(path)
	if err != nil {
		return path, err
	}
	ps.set(project, target, principal, token)
	return path, writeProfiles(path, ps)
}

// servicePrincipals are the principals the bundle names as service
// principals: every target's run_as, and permissions of service principals.
func servicePrincipals(p *pipeline.Project) map[string]bool {
	sps := map[string]bool{}
	add := func(r *pipeline.RunAs, perms []pipeline.Permission) {
		if r != nil && r.ServicePrincipalName != "" {
			sps[r.ServicePrincipalName] = true
		}
		for _, perm := range perms {
			if perm.ServicePrincipalName != "" {
				sps[perm.ServicePrincipalName] = true
			}
		}
	}
	add(p.RunAs, p.Permissions)
	for _, t := range p.Targets {
		add(t.RunAs, t.Permissions)
	}
	return sps
}

// IdentityError is a refused identity: the message says why and how to
// get one that works.
type IdentityError struct {
	Principal string
	Target    string
	Reason    string
}

func (e *IdentityError) Error() string { return e.Reason }

// authenticate decides who the session is and sets s.who; a refusal is
// audited on the target and returned as an *IdentityError.
func (s *session) authenticate(ctx context.Context) error {
	if s.verified {
		return nil
	}
	who, err := s.decide(ctx)
	if err != nil {
		var ie *IdentityError
		if errors.As(err, &ie) {
			s.auditRefusal(ctx, ie)
		}
		return err
	}
	s.who, s.verified = who, true
	return nil
}

// decide is authenticate's decision, without the audit.
func (s *session) decide(ctx context.Context) (string, error) {
	p := s.project
	claim := s.claim()
	osUser := pipeline.Principal()
	refuse := func(format string, args ...any) error {
		return &IdentityError{Principal: claim, Target: s.target, Reason: fmt.Sprintf(format, args...)}
	}
	// A name that would read as another in the audit (a stray space, a
	// look-alike letter) is nobody's: refused, and audited escaped.
	if claim != osUser && !validPrincipalName(claim) {
		quoted := fmt.Sprintf("%+q", claim)
		return "", &IdentityError{Principal: quoted, Target: s.target,
			Reason: fmt.Sprintf("%s (from --as or the target's run_as) is not a principal name: names are ASCII letters, digits and . _ @ + - with no spaces, as user and service principal names are; look for a look-alike letter or a stray space", quoted)}
	}
	// Production refuses users entirely: only its service principal.
	if err := p.CheckIdentity(claim); err != nil {
		return "", refuse("%v", err)
	}
	// A service principal is one by the bundle or by what is deployed on
	// the target: a bundle edited to stop naming it (or to call the target
	// development) does not make it a user anybody may switch to.
	known, mode, err := s.deployedIdentities(ctx)
	if err != nil {
		return "", err
	}
	if servicePrincipals(p)[claim] || known[claim] {
		return claim, s.verifyServicePrincipal(ctx, claim, refuse)
	}
	if claim == osUser {
		return claim, nil // you are who you are
	}
	if mode == "" {
		mode = p.Mode()
	}
	if mode == "development" {
		// In a development target --as switches to another user's role
		// (and grants) for demos; never to the owner's, which no grant
		// limits.
		owner, err := s.owner(ctx)
		if err != nil {
			return "", err
		}
		if owner != "" && owner == claim {
			return "", refuse("acting as %s (from --as or the target's run_as) would act as the owner of target %s, whom no grant limits: a role switch is for demoing other users' grants, and you are %s; the owner acts as themselves",
				claim, s.target, osUser)
		}
		return claim, nil
	}
	return "", refuse("target %s is not in development mode, so you act as yourself (%s), not as %s: --as USER switches roles only in development targets; a service principal acts with its token (%s)",
		s.target, osUser, claim, tokenEnv)
}

// deployedIdentities reads what the target knows of its service
// principals, whatever the caller's bundle says: the run_as recorded in
// production mode, the service principals of the deployed permissions and
// every principal a token was ever issued to. mode is the recorded mode,
// "" when the target has none recorded (or does not exist yet).
func (s *session) deployedIdentities(ctx context.Context) (sps map[string]bool, mode string, err error) {
	path := s.project.DatabasePath(s.target)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && s.reader == nil {
		return nil, "", nil
	}
	lh, done, err := s.readTarget(ctx, path)
	if err != nil {
		// A damaged file says so itself, with what to do.
		var damaged *lakehouse.DamagedError
		if errors.As(err, &damaged) {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("cannot read the service principals of target %s: %w", s.target, err)
	}
	defer done()
	sps = map[string]bool{}
	settings, recorded, err := lh.TargetSettings(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the mode of target %s: %w", s.target, err)
	}
	if recorded {
		mode = settings.Mode
		if settings.Mode == "production" && settings.RunAs != "" {
			sps[settings.RunAs] = true
		}
	}
	perms, err := lh.Permissions(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the permissions of target %s: %w", s.target, err)
	}
	for _, perm := range perms {
		if perm.Kind == "service_principal" {
			sps[perm.Principal] = true
		}
	}
	tokens, err := lh.Tokens(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the tokens of target %s: %w", s.target, err)
	}
	for _, t := range tokens {
		sps[t.Principal] = true
	}
	return sps, mode, nil
}

// readTarget opens the target at path read-only for an identity check, or
// hands over the session's reader when the command holds one (done then
// leaves it open): a restore of a target that cannot be opened holds its
// newest intact snapshot, whose identities stand for the target's, even
// where the target's file is missing.
func (s *session) readTarget(ctx context.Context, path string) (lh *lakehouse.Lakehouse, done func(), err error) {
	if s.reader != nil {
		return s.reader, func() {}, nil
	}
	lh, err = lakehouse.Open(ctx, path, lakehouse.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return lh, func() { lh.Close() }, nil
}

// validPrincipalName reports whether name can name a principal: an ASCII
// letter, digit or _, then up to 127 of those or . _ @ + -, as the pattern
// ^[A-Za-z0-9_][A-Za-z0-9._@+-]{0,127}$ says (checked by hand: compiling it
// costs every lakebench process a few milliseconds, for its 127 copies).
func validPrincipalName(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		case i > 0 && (c == '.' || c == '@' || c == '+' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// owner is the target's owner, or "" when it has none yet.
func (s *session) owner(ctx context.Context) (string, error) {
	path := s.project.DatabasePath(s.target)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && s.reader == nil {
		return "", nil
	}
	lh, done, err := s.readTarget(ctx, path)
	if err != nil {
		return "", fmt.Errorf("cannot read the owner of target %s: %w", s.target, err)
	}
	defer done()
	return lh.Owner(ctx)
}

// verifyServicePrincipal checks the token of a service principal against
// the target's token store. A target whose governance is not deployed yet
// is open (its first deploy is how it gets an owner).
func (s *session) verifyServicePrincipal(ctx context.Context, sp string, refuse func(string, ...any) error) error {
	path := s.project.DatabasePath(s.target)
	// A production target is never open, not even before its first
	// deploy: it is bootstrapped once, by who will own it.
	bootstrap := func() error {
		return refuse("target %s is in production mode and was never deployed, so nobody holds a token of %s yet: acting as %s needs one, the first deploy too. Bootstrap it once: `lakebench auth token create %s -t %s` makes you the owner of target %s and saves the token of %s in your profile file (in CI, add --no-profile and set %s to the token it prints); then `lakebench bundle deploy -t %s`",
			s.target, sp, sp, sp, s.target, s.target, sp, tokenEnv, s.target)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && s.reader == nil {
		if s.project.Mode() == "production" {
			return bootstrap()
		}
		return nil
	}
	lh, done, err := s.readTarget(ctx, path)
	if err != nil {
		return fmt.Errorf("cannot check the token of %s on target %s: %w", sp, s.target, err)
	}
	defer done()
	deployed, err := lh.Deployed(ctx)
	if err != nil {
		return fmt.Errorf("cannot check the token of %s on target %s: %w", sp, s.target, err)
	}
	if !deployed {
		if s.project.Mode() == "production" {
			return bootstrap()
		}
		return nil
	}
	howTo := fmt.Sprintf("the target's owner issues one with `lakebench auth token create %s -t %s` (it is saved in the owner's profile file; others pass it in %s)", sp, s.target, tokenEnv)
	token, source := os.Getenv(tokenEnv), tokenEnv
	if token == "" {
		path, err := profilePath()
		if err != nil {
			return refuse("acting as the service principal %s on target %s needs its token, and %v; %s", sp, s.target, err, howTo)
		}
		ps, err := readProfiles(path)
		if err != nil {
			return refuse("acting as the service principal %s on target %s needs its token: %v", sp, s.target, err)
		}
		var ok bool
		if token, ok = ps.lookup(pipeline.ProjectKey(s.project.Dir), s.target, sp); !ok {
			return refuse("acting as the service principal %s on target %s needs its token: %s is not set and your profile file (%s) has none for this project and target; %s",
				sp, s.target, tokenEnv, path, howTo)
		}
		source = "the profile file " + path
	}
	err = lh.VerifyToken(ctx, sp, token)
	if errors.Is(err, lakehouse.ErrBadToken) {
		return refuse("the token in %s is not a valid token of %s on target %s (wrong, revoked, or another principal's or target's); %s", source, sp, s.target, howTo)
	}
	return err
}

// auditRefusal records a refused identity on the target: through the
// writer when it is free, else through a read-only session's audit log.
func (s *session) auditRefusal(ctx context.Context, ie *IdentityError) {
	ctx = context.WithoutCancel(ctx)
	e := lakehouse.AuditEvent{Principal: ie.Principal, Action: "authenticate", Allowed: false,
		Detail: fmt.Sprintf("os user %s on target %s: %s", pipeline.Principal(), ie.Target, ie.Reason)}
	path := s.project.DatabasePath(s.target)
	if s.reader != nil {
		// The writer, when free, records the refusal in sys.audit; this
		// process's read-only instance of the file would keep it out.
		s.reader.Close()
		s.reader = nil
	}
	lh, err := lakehouse.Open(ctx, path, lakehouse.Options{Holder: "lakebench (audit of a refused identity)", NoWait: true})
	if err != nil {
		lh, err = lakehouse.Open(ctx, path, lakehouse.Options{ReadOnly: true})
	}
	if err == nil {
		err = lh.Audit(ctx, e)
		lh.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "note: this refusal could not be written to the audit of target %s: %v\n", s.target, err)
	}
}

// issueFirstToken runs after a deploy: when it was the target's first, made
// by the operating-system user for a target whose run_as is a service
// principal, it issues that principal's token into the user's profile, so
// their later runs act as it without typing it.
func (s *session) issueFirstToken(ctx context.Context, lh *lakehouse.Lakehouse, wasDeployed bool) {
	sp := s.project.Identity()
	if wasDeployed || s.claim() != sp || !servicePrincipals(s.project)[sp] || os.Getenv(tokenEnv) != "" {
		return
	}
	owner, _, err := lh.Grants(ctx)
	if err != nil {
		return
	}
	osUser := pipeline.Principal()
	issuer := ""
	switch owner {
	case osUser, sp:
		issuer = owner
	default:
		return
	}
	path, err := profilePath()
	if err == nil {
		_, err = readProfiles(path)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "note: no token was issued for %s: %v; fix it, then run `lakebench auth token create %s -t %s`\n", sp, err, sp, s.target)
		return
	}
	token, t, err := lh.CreateToken(ctx, issuer, sp)
	if err != nil {
		fmt.Fprintf(os.Stderr, "note: no token was issued for %s: %v\n", sp, err)
		return
	}
	lh.Audit(ctx, lakehouse.AuditEvent{Principal: osUser, Action: "auth.token.create", Allowed: true,
		Detail: fmt.Sprintf("%s for %s on target %s at its first deploy, into %s", t.ID, sp, s.target, path)})
	if _, err := saveToken(pipeline.ProjectKey(s.project.Dir), s.target, sp, token); err != nil {
		fmt.Fprintf(os.Stderr, "note: the token of %s could not be saved (%v); here it is, once: %s\n", sp, err, token)
		return
	}
	fmt.Fprintf(os.Stderr, "Issued a token for %s (%s) into your profile file %s: your runs on target %s act as %s with it; others need their own from `lakebench auth token create %s -t %s`.\n",
		sp, t.ID, path, s.target, sp, sp, s.target)
}

// openTokens opens the target for `auth token VERB`, as the caller openAuth
// decides.
func openTokens(ctx context.Context, g *globals, verb string) (*session, string, *lakehouse.Lakehouse, error) {
	s, caller, err := openAuth(ctx, g)
	if err != nil {
		return nil, "", nil, err
	}
	lh, err := s.open(ctx, "lakebench auth token "+verb)
	if err != nil {
		return nil, "", nil, err
	}
	return s, caller, lh, nil
}

// refuseToken audits a refused `auth token VERB` and returns its error.
func refuseToken(ctx context.Context, lh *lakehouse.Lakehouse, caller, verb, about string, err error) error {
	lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: caller, Action: "auth.token." + verb, Allowed: false, Detail: about + err.Error()})
	return err
}

func newAuthCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Service principals' tokens (as `databricks tokens`)"}
	token := &cobra.Command{Use: "token", Short: "Create, list and revoke service principals' tokens on a target (its owner only)"}
	var noProfile bool
	create := &cobra.Command{
		Use:   "create PRINCIPAL",
		Short: "Issue a service principal's token: printed once on stdout, saved in your profile file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, caller, lh, err := openTokens(ctx, g, "create")
			if err != nil {
				return err
			}
			defer lh.Close()
			sp := args[0]
			deny := func(err error) error {
				return refuseToken(ctx, lh, caller, "create", sp+": ", err)
			}
			if !servicePrincipals(s.project)[sp] {
				return deny(fmt.Errorf("%s is not a service principal of %s: name it as service_principal_name under a target's run_as or permissions in %s; users act as themselves and need no token",
					sp, s.project.Bundle.Name, s.project.File))
			}
			path, err := profilePath()
			if err == nil && !noProfile {
				_, err = readProfiles(path)
			}
			if err != nil {
				return deny(err)
			}
			// A production target never deployed is bootstrapped: the
			// caller becomes its owner and its run_as service principal
			// gets CAN_MANAGE and this token, so that its first deploy
			// proves to be that principal like every later one.
			owner, err := lh.Owner(ctx)
			if err != nil {
				return deny(err)
			}
			create := lh.CreateToken
			if owner == "" && s.project.Mode() == "production" {
				if sp != s.project.Identity() {
					return deny(fmt.Errorf("target %s is not deployed yet: its bootstrap issues the token of its run_as service principal (%s), not of %s", s.target, s.project.Identity(), sp))
				}
				create = lh.Bootstrap
			}
			secret, t, err := create(ctx, caller, sp)
			if err != nil {
				return deny(err)
			}
			lh.Audit(ctx, lakehouse.AuditEvent{Principal: caller, Action: "auth.token.create", Allowed: true, Detail: t.ID + " for " + sp + " on target " + s.target})
			if owner == "" && s.project.Mode() == "production" {
				fmt.Fprintf(os.Stderr, "Bootstrapped target %s: you (%s) own it, and %s holds CAN_MANAGE with the token below; its deploys run as %s with that token.\n", s.target, caller, sp, sp)
			}
			where := "it is not saved anywhere (--no-profile)"
			if !noProfile {
				if _, err := saveToken(pipeline.ProjectKey(s.project.Dir), s.target, sp, secret); err != nil {
					where = fmt.Sprintf("it could not be saved in your profile file (%v)", err)
				} else {
					where = "it is saved in your profile file " + path + ", so your runs as " + sp + " use it"
				}
			}
			fmt.Println(secret)
			fmt.Fprintf(os.Stderr, "Created %s for %s on target %s. This is the only time it is shown: %s; elsewhere (CI) set %s to it.\n",
				t.ID, sp, s.target, where, tokenEnv)
			return nil
		},
	}
	create.Flags().BoolVar(&noProfile, "no-profile", false, "only print the token (for CI), do not save it in your profile file")
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the target's tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, caller, lh, err := openTokens(ctx, g, "list")
			if err != nil {
				return err
			}
			defer lh.Close()
			owner, _, err := lh.Grants(ctx)
			if err != nil {
				return err
			}
			if caller != owner {
				err := fmt.Errorf("%s may not list the tokens of target %s: only its owner (%s) may", caller, s.target, ownerOrNone(owner))
				refuseToken(ctx, lh, caller, "list", "", err)
				return err
			}
			tokens, err := lh.Tokens(ctx)
			if err != nil {
				return err
			}
			lh.Audit(ctx, lakehouse.AuditEvent{Principal: caller, Action: "auth.token.list", Allowed: true, Detail: "target " + s.target})
			if asJSON {
				if tokens == nil {
					tokens = []lakehouse.Token{}
				}
				return writeJSON(os.Stdout, tokens)
			}
			if len(tokens) == 0 {
				fmt.Fprintf(os.Stderr, "target %s has no tokens\n", s.target)
				return nil
			}
			fmt.Printf("%-16s  %-20s  %-19s  %-12s  %s\n", "TOKEN ID", "PRINCIPAL", "CREATED", "BY", "STATUS")
			for _, t := range tokens {
				status := "active"
				if !t.RevokedAt.IsZero() {
					status = "revoked " + t.RevokedAt.Format(time.DateTime) + " by " + t.RevokedBy
				}
				fmt.Printf("%-16s  %-20s  %-19s  %-12s  %s\n", t.ID, t.Principal, t.CreatedAt.Format(time.DateTime), t.CreatedBy, status)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print the tokens as JSON on stdout")
	revoke := &cobra.Command{
		Use:   "revoke PRINCIPAL",
		Short: "Revoke every token of a service principal on the target",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, caller, lh, err := openTokens(ctx, g, "revoke")
			if err != nil {
				return err
			}
			defer lh.Close()
			sp := args[0]
			n, err := lh.RevokeToken(ctx, caller, sp)
			if err != nil {
				refuseToken(ctx, lh, caller, "revoke", sp+": ", err)
				return err
			}
			lh.Audit(ctx, lakehouse.AuditEvent{Principal: caller, Action: "auth.token.revoke", Allowed: true, Detail: fmt.Sprintf("%d tokens of %s on target %s", n, sp, s.target)})
			if path, err := profilePath(); err == nil {
				if ps, err := readProfiles(path); err == nil {
					if _, ok := ps.lookup(pipeline.ProjectKey(s.project.Dir), s.target, sp); ok {
						ps.set(pipeline.ProjectKey(s.project.Dir), s.target, sp, "")
						writeProfiles(path, ps)
					}
				}
			}
			fmt.Fprintf(os.Stderr, "Revoked %s of %s on target %s.\n", pipeline.Plural(int(n), "token"), sp, s.target)
			return nil
		},
	}
	token.AddCommand(create, list, revoke)
	cmd.AddCommand(token)
	return cmd
}

// openAuth loads the project for an auth command and says who calls it:
// the operating-system user, or with --as the principal it proves to be.
func openAuth(ctx context.Context, g *globals) (*session, string, error) {
	s, err := openProjectOnly(g)
	if err != nil {
		return nil, "", err
	}
	osUser := pipeline.Principal()
	if g.as == "" {
		// You; or, when the target's owner is its run_as service principal
		// (whose token you hold), that principal.
		owner, err := s.owner(ctx)
		if err != nil {
			return nil, "", err
		}
		if owner == osUser || owner != s.claim() || !servicePrincipals(s.project)[owner] {
			s.who, s.verified = osUser, true
			return s, s.who, nil
		}
		if err := s.authenticate(ctx); err != nil {
			return nil, "", err
		}
		return s, s.who, nil
	}
	if g.as == osUser {
		s.who, s.verified = osUser, true
		return s, s.who, nil
	}
	if !servicePrincipals(s.project)[g.as] {
		// A role switch is for demos: it never confers the right to
		// manage tokens.
		ie := &IdentityError{Principal: g.as, Target: s.target, Reason: fmt.Sprintf(
			"tokens are managed by the target's owner as themselves: you are %s, and --as %s (a user) is a role switch for demos, not an identity; run without --as", osUser, g.as)}
		s.auditRefusal(ctx, ie)
		return nil, "", ie
	}
	if err := s.authenticate(ctx); err != nil {
		return nil, "", err
	}
	return s, s.who, nil
}

func ownerOrNone(owner string) string {
	if owner == "" {
		return "none until the first deploy"
	}
	return owner
}
