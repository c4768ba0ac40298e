package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui"
)

// runTUI opens the terminal UI on the project -C names, else the nearest
// lakebench.yml upward, else the built-in sample workspace, on -t's target
// and as --as's principal. Finding the project is instant; creating the
// sample, generating its data and the first run happen inside the TUI, with
// progress on screen.
func runTUI(ctx context.Context, g *globals) error {
	dir, sample := g.dir, false
	if dir == "" {
		wd, _ := os.Getwd()
		if found, ok := pipeline.Find(wd); ok {
			dir = found
		} else {
			sd, err := sampleDir()
			if err != nil {
				return err
			}
			dir, sample = sd, true
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// --as acts as that principal, as on every other command: the status
	// bar shows it and runs use it (a target may refuse it).
	ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: abs, Sample: sample, Target: g.target, Principal: g.as})
	return tui.Run(ctx, ws)
}
