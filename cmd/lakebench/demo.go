package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/lakebench/lakebench/tui"
)

func newDemoCmd(g *globals) *cobra.Command {
	var noTUI bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Present the project live: a fresh sample (or -C DIR) run with progress, then the TUI walking the talk",
		Long: `Present the project live. Without -C, a fresh sample workspace is created in a
temporary directory, its data generated and its pipeline run, with progress
lines; with -C DIR, that project's first job runs instead. Then the TUI opens
in presentation mode: a caption bar narrates each step of the talk
(presentation: in lakebench.yml, else the course guide's nine steps), each
step switching to its role view and selection and naming who presents it,
and the status bar counts the talk down (15:00, then 5:00 of questions),
amber when a step runs past its planned end or under 2 minutes are left,
red when the talk runs over.

Keys: space or → next step, ← previous, p presenter notes, g then 1-9 jumps
(g alone lists the steps), 1-4 any role view, q quits.`,
		Example: `  lakebench demo                        # a fresh sample, then the talk
  lakebench demo -C . --theme high-contrast
  dir=$(lakebench demo --no-tui)         # set up only; prints the workspace`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkTheme(g.theme); err != nil {
				return err
			}
			if !noTUI && (!isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd())) {
				return errors.New("the demo needs a terminal (stdin and stdout are not one here): run `lakebench demo --no-tui` to set it up only")
			}
			dir, err := demoSetup(cmd.Context(), g, noTUI)
			if err != nil {
				return err
			}
			if noTUI {
				fmt.Println(dir)
				return nil
			}
			ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: dir, Target: g.target, Principal: g.as, Vars: g.vars,
				Authenticate: authenticator(g.as)})
			err = tui.RunWith(cmd.Context(), ws, tui.Options{Present: true, Theme: g.theme})
			ws.Close()
			if g.dir == "" {
				fmt.Fprintf(os.Stderr, "the demo's workspace stays in %s: `lakebench -C %s demo` presents it again, `rm -r %s` removes it\n", dir, dir, dir)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&noTUI, "no-tui", false, "set up only (sample, run) and print the project directory on stdout")
	cmd.Flags().StringVar(&g.theme, "theme", "", "default or high-contrast (for a projector)")
	return cmd
}

// checkTheme refuses a --theme the TUI does not know.
func checkTheme(name string) error {
	if _, err := tui.NewStylesFor(name); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "tui: "))
	}
	return nil
}

// demoSetup readies the demo's project and returns its absolute
// directory: with -C, that project with its first job run (as the TUI's
// Engineer view shows it); else a fresh sample workspace in a temporary directory,
// created, generated and run as the TUI's first start does it. A
// failed run of -C's project stops --no-tui; the TUI opens anyway, the
// failure being part of what it shows.
func demoSetup(ctx context.Context, g *globals, strict bool) (string, error) {
	if g.dir != "" {
		s, err := openProject(ctx, g)
		if err != nil {
			return "", err
		}
		// The job the TUI's Engineer view shows first (the first by name),
		// else every source and model.
		job, what := "", "the pipeline"
		if jobs := slices.Sorted(maps.Keys(s.project.Resources.Jobs)); len(jobs) > 0 {
			job, what = jobs[0], "job "+jobs[0]
		}
		fmt.Fprintf(os.Stderr, "running %s of %s on target %s\n", what, s.project.Dir, s.target)
		if _, err := s.run(ctx, job, nil); err != nil {
			if strict || canceled(err) {
				return "", runError(err)
			}
			fmt.Fprintf(os.Stderr, "the run failed (%v): the demo shows the target as it is\n", err)
		}
		return filepath.Abs(s.project.Dir)
	}
	tmp, err := os.MkdirTemp("", "lakebench-demo-")
	if err != nil {
		return "", fmt.Errorf("a temporary directory for the demo: %w", err)
	}
	dir := filepath.Join(tmp, "retail-lakehouse")
	// Set up as the TUI sets the built-in sample up on its first start:
	// deployed, then its first job run (which trains the model the talk
	// shows), here with the steps as lines.
	ws := tui.NewWorkspace(tui.WorkspaceOptions{Dir: dir, Sample: true, Target: g.target, Vars: g.vars, Holder: "lakebench demo"})
	defer ws.Close()
	if _, err := ws.Prepare(ctx, func(line string) { fmt.Fprintln(os.Stderr, line) }); err != nil {
		return "", err
	}
	return dir, nil
}
