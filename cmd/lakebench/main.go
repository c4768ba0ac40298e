// Command lakebench is the command line of the lakebench lakehouse: a thin
// layer that parses flags, calls the packages and prints.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	dir    string            // -C
	target string            // -t
	vars   map[string]string // --var name=value
	as     string            // --as principal
	theme  string            // --theme of the TUI
	// cache loads the project's settings through
	// .lakebench/project.cache: only `query`, which reads and needs no
	// resource. A command that deploys or runs is gated on the files'
	// content hash, so it reads the files themselves (the cache is
	// authenticated, see pipeline/loadcache.go, but what a gated target
	// runs comes from the bytes the gate hashed).
	cache bool
}

func main() {
	serveFileCheck(os.Args)
	setFileCheck()
	if err := setReaderWait(); err != nil {
		fmt.Fprintln(os.Stderr, "lakebench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	if err := root.ExecuteContext(ctx); err != nil {
		if !errors.Is(ctx.Err(), context.Canceled) {
			fmt.Fprintln(os.Stderr, "lakebench:", err)
			os.Exit(1)
		}
		// Interrupted: a command's own message says so ("canceled: the
		// run stopped ..."); a statement of its prelude (the identity,
		// the owner) fails with DuckDB's "INTERRUPT Error", which does not.
		if !strings.Contains(err.Error(), "canceled") {
			err = fmt.Errorf("canceled (interrupted): %w", err)
		}
		fmt.Fprintln(os.Stderr, "lakebench:", err)
		os.Exit(130)
	}
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "lakebench",
		Short: "A laptop lakehouse for the data-engineering final project",
		Long: `lakebench turns a laptop into the final-project lakehouse: an embedded DuckDB
lakehouse (ingestion with quarantine, bronze/silver/gold SQL models, quality
rules, system tables, model training and a model registry) driven from the
command line.

Without -C it uses the nearest lakebench.yml upward from here, else the
built-in sample workspace (created, generated and run on first use).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd.Context(), g)
		},
	}
	root.Flags().StringVar(&g.theme, "theme", "", "the TUI's colors: default or high-contrast (for a projector)")
	root.PersistentFlags().StringVarP(&g.dir, "dir", "C", "", "project directory (default: nearest lakebench.yml upward, else the built-in sample)")
	root.PersistentFlags().StringVarP(&g.target, "target", "t", "", "target: dev, staging or prod (default: the project's default target)")
	root.PersistentFlags().StringToStringVar(&g.vars, "var", nil, "set a bundle variable, name=value (repeatable)")
	root.PersistentFlags().StringVar(&g.as, "as", "", "act as `PRINCIPAL`: a service principal with its token (LAKEBENCH_TOKEN, or your profile file from lakebench auth token create), or in development targets another user's role (default: the target's run_as, else you)")
	root.AddCommand(
		newInitCmd(),
		newSampleCmd(g),
		newIngestCmd(g),
		newQueryCmd(g),
		newRunCmd(g),
		newStatusCmd(g),
		newBundleCmd(g),
		newLineageCmd(g),
		newAuthCmd(g),
		newAuditCmd(g),
		newTrainCmd(g),
		newModelsCmd(g),
		newDashboardCmd(g),
		newAlertsCmd(g),
		newQualityCmd(g),
		newProfileCmd(g),
		newHealthCmd(g),
		newUsageCmd(g),
		newBackupCmd(g),
		newRestoreCmd(g),
		newSLACmd(g),
		newTestCmd(g),
		newDemoCmd(g),
		newSlidesCmd(g),
		newExportCmd(g),
	)
	return root
}
