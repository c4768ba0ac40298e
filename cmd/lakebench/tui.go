package main

import (
	"errors"
	"os"

	"context"
	"github.com/mattn/go-isatty"
	"path/filepath"

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
	dir, sample, err := projectDir(g)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// --as acts as that principal, as on every other command: the status
	// bar shows it and runs use it (a target may refuse it).
	ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: abs, Sample: sample, Target: g.target, Principal: g.as, Vars: g.vars})
	return tui.Run(ctx, ws)
}
