package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
)

// sampleDir is the built-in sample workspace: $LAKEBENCH_HOME/sample, else
// the user's data directory.
func sampleDir() (string, error) {
	if h := os.Getenv("LAKEBENCH_HOME"); h != "" {
		return filepath.Join(h, "sample"), nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "lakebench", "sample"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory for the sample workspace (set LAKEBENCH_HOME): %w", err)
	}
	return filepath.Join(home, ".local", "share", "lakebench", "sample"), nil
}

// projectDir is the project to use: -C, else the nearest lakebench.yml
// upward, else the built-in sample workspace (sample is then true).
func projectDir(g *globals) (dir string, sample bool, err error) {
	if g.dir != "" {
		return g.dir, false, nil
	}
	wd, _ := os.Getwd()
	if found, ok := pipeline.Find(wd); ok {
		return found, false, nil
	}
	sd, err := sampleDir()
	return sd, true, err
}

// session is a command's project and target.
type session struct {
	project *pipeline.Project
	target  string
	sample  bool
	as      string // --as: the principal claimed for this command
	// who is the principal authenticate verified; verified says it ran.
	who      string
	verified bool
	// reader is the target opened read-only by the command, when it opened
	// it before authenticating: the identity checks read it instead of
	// opening the file again (each open of a DuckDB file costs tens of
	// milliseconds). A refusal closes it before auditing (see auditRefusal).
	reader *lakehouse.Lakehouse
}

// claim is who this command asks to act as: --as, else the target's
// identity (its run_as, or the operating-system user).
func (s *session) claim() string {
	if s.as != "" {
		return s.as
	}
	return s.project.Identity()
}

// principal is who this command acts as: the principal authenticate
// verified (see auth.go). Before that, and for commands that only read the
// bundle (validate, summary), it is the claim.
func (s *session) principal() string {
	if s.verified {
		return s.who
	}
	return s.claim()
}

// openProject finds the project: -C, else the nearest lakebench.yml upward,
// else the built-in sample workspace, which is created, generated and run the
// first time; and it authenticates the session.
func openProject(ctx context.Context, g *globals) (*session, error) {
	s, err := loadProject(ctx, g)
	if err != nil {
		return nil, err
	}
	if err := s.authenticate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// loadProject is openProject without the authentication, for a command
// that opens its target first (see session.reader).
func loadProject(ctx context.Context, g *globals) (*session, error) {
	dir, sample, err := projectDir(g)
	if err != nil {
		return nil, err
	}
	if sample {
		if err := ensureSample(ctx, dir); err != nil {
			return nil, err
		}
	}
	opts := pipeline.LoadOptions{Target: g.target, Vars: g.vars, Cache: g.cache, Settings: g.cache}
	p, err := pipeline.LoadWith(dir, opts)
	if err != nil {
		return nil, err
	}
	s := &session{project: p, target: p.Target, sample: sample, as: g.as}
	if sample && s.runPending() {
		if opts.Settings { // the first run needs the whole bundle
			opts.Settings = false
			if s.project, err = pipeline.LoadWith(dir, opts); err != nil {
				return nil, err
			}
		}
		if err := s.ensureRun(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ensureSample writes the sample project and its data when missing, all or
// nothing (sampledata.CreateWorkspace), so a first start killed while
// writing is started over by the next one.
func ensureSample(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, pipeline.FileName)); err == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "creating the sample workspace in %s\n", dir)
	rep, err := sampledata.CreateWorkspace(ctx, dir, func(msg string) { fmt.Fprintln(os.Stderr, msg) })
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "generated %d days of dev sample data (%d files)\n", len(rep.Days), len(rep.Files))
	return nil
}

// ensureRun deploys and runs the pipeline on a target that has never run,
// or whose first run did not finish (the process was killed): the run
// marks the killed one crashed and loads only what it had not committed.
func (s *session) ensureRun(ctx context.Context) error {
	if !s.runPending() {
		return nil
	}
	pending := sampledata.FirstRunPending(s.project.Dir)
	if pending {
		fmt.Fprintf(os.Stderr, "finishing the first run of the sample workspace on target %s\n", s.target)
	}
	lh, err := s.open(ctx, "lakebench (first run of the sample)")
	if err != nil {
		return err
	}
	defer lh.Close()
	if _, err := s.project.Deploy(ctx, lh, ""); err != nil {
		return err
	}
	if _, err = s.project.Run(ctx, lh, pipeline.RunOptions{Target: s.target, Progress: progressPrinter(os.Stderr)}); err != nil {
		return err
	}
	return sampledata.FirstRunDone(s.project.Dir)
}

// runPending reports whether the sample's target has never run, or its
// first run did not finish.
func (s *session) runPending() bool {
	if sampledata.FirstRunPending(s.project.Dir) {
		return true
	}
	_, err := os.Stat(s.project.DatabasePath(s.target))
	return err != nil
}

// open opens the target's lakehouse for writing.
func (s *session) open(ctx context.Context, holder string) (*lakehouse.Lakehouse, error) {
	if holder == "" {
		holder = strings.Join(append([]string{"lakebench"}, os.Args[1:]...), " ")
	}
	opts, err := s.project.ComputeOptions()
	if err != nil {
		return nil, err
	}
	opts.Holder = holder
	return lakehouse.Open(ctx, s.project.DatabasePath(s.target), opts)
}

// openRead opens the target's lakehouse for reading.
func (s *session) openRead(ctx context.Context) (*lakehouse.Lakehouse, error) {
	opts, err := s.project.ComputeOptions()
	if err != nil {
		return nil, err
	}
	opts.ReadOnly = true
	return lakehouse.Open(ctx, s.project.DatabasePath(s.target), opts)
}

// openAs opens the target for writing with user statements checked as the
// session's principal.
func (s *session) openAs(ctx context.Context) (*lakehouse.Lakehouse, error) {
	lh, err := s.open(ctx, "")
	if err == nil {
		s.actAs(ctx, lh)
	}
	return lh, err
}

// openReadAs opens the target for reading with user statements checked as
// the session's principal: what it reads is what the principal may, and
// the reads are audited.
func (s *session) openReadAs(ctx context.Context) (*lakehouse.Lakehouse, error) {
	lh, err := s.openRead(ctx)
	if err == nil {
		s.actAs(ctx, lh)
	}
	return lh, err
}

// actAs makes the session's principal the one lh's user statements run as,
// with a note when its grants do not apply yet.
func (s *session) actAs(ctx context.Context, lh *lakehouse.Lakehouse) {
	lh.SetPrincipal(s.principal())
	s.warnUndeployed(ctx, lh)
}

// warnUndeployed tells someone acting as another principal that the grants
// do not apply yet: governance comes with the first deploy.
func (s *session) warnUndeployed(ctx context.Context, lh *lakehouse.Lakehouse) {
	if s.as == "" {
		return
	}
	if ok, err := lh.Deployed(ctx); err == nil && !ok {
		fmt.Fprintf(os.Stderr, "note: target %s is not deployed, so its grants do not apply yet: run `lakebench bundle deploy -t %s` first\n", s.target, s.target)
	}
}
