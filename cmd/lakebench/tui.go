package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"github.com/mattn/go-isatty"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui"
)

// runTUI opens the terminal UI on the project -C names, else the nearest
// lakebench.yml upward, else the built-in sample workspace, on -t's target
// and as --as's principal. Finding the project is instant; creating the
// sample, generating its data and the first run happen inside the TUI, with
// progress on screen.
func runTUI(ctx context.Context, g *globals) error {
	if !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd()) {
		return errors.New("the terminal UI needs a terminal (stdin and stdout are not one here): run `lakebench status` for the layers, or see `lakebench --help` for the commands")
	}
	if err := checkTheme(g.theme); err != nil {
		return err
	}
	dir, sample, err := projectDir(g)
	if err != nil {
		return err
	}
	// A write of the TUI waits for other processes' readers as the
	// commands do, without a line on stderr under the screen.
	if d, err := readerWait(); err == nil { // main has said what is wrong with it
		lakehouse.SetReaderWait(d, nil)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// --as acts as that principal, as on every other command: the status
	// bar shows it and runs use it, once authenticated as the command line
	// does it (a target may refuse it).
	ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: abs, Sample: sample, Target: g.target, Principal: g.as, Vars: g.vars,
		Authenticate: authenticator(g.as)})
	// Close removes the store of results and its spill directory.
	defer ws.Close()
	return tui.RunWith(ctx, ws, tui.Options{Theme: g.theme})
}

// authenticator decides who a TUI session is on each target it shows, with
// the command line's rules, once per target: a refusal is audited once, not
// on every refresh.
func authenticator(as string) func(ctx context.Context, p *pipeline.Project) (string, error) {
	type decision struct {
		who string
		err error
	}
	var mu sync.Mutex
	decided := map[string]decision{}
	return func(ctx context.Context, p *pipeline.Project) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if d, ok := decided[p.Target]; ok {
			return d.who, d.err
		}
		s := &session{project: p, target: p.Target, as: as}
		err := s.authenticate(ctx)
		var ie *IdentityError
		if err == nil || errors.As(err, &ie) {
			decided[p.Target] = decision{s.who, err}
		}
		return s.who, err
	}
}
