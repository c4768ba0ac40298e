package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
	"github.com/spf13/cobra"
)

func newInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a new project from the sample template",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			// The CI workflow installs the lakebench that wrote it.
			opts := sampledata.ProjectOptions{}
			if bi, ok := debug.ReadBuildInfo(); ok {
				opts.LakebenchVersion = bi.Main.Version
			}
			if err := sampledata.WriteProjectWith(dir, opts); err != nil {
				return err
			}
			abs, _ := filepath.Abs(dir)
			fmt.Fprintf(os.Stderr, "created %s\nnext: cd %s && lakebench sample generate && lakebench run\nCI/CD: %s runs `make ci` on every push, staging on main, prod on a v* tag (README: CI/CD); `make ci` runs the same here\n",
				filepath.Join(abs, pipeline.FileName), dir, sampledata.WorkflowFile)
			return nil
		},
	}
}

func newSampleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "sample", Short: "Write the sample domain's landing files"}
	var scale string
	var days int
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write the first days of sample data under landing/",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			if scale == "" {
				scale = s.project.Scale(s.target)
			}
			start := time.Now()
			dir, err := s.project.SampleRoot()
			if err != nil {
				return err
			}
			rep, err := sampledata.Generate(cmd.Context(), dir, sampledata.Options{Scale: sampledata.Scale(scale), Days: days})
			if err != nil {
				return err
			}
			printReport(rep, time.Since(start))
			return nil
		},
	}
	gen.Flags().StringVar(&scale, "scale", "", "dev, staging or prod (default: the target's scale)")
	gen.Flags().IntVar(&days, "days", 0, fmt.Sprintf("`N` days to write (default %d of %d; lakebench sample next drops the rest one by one)", sampledata.DefaultDays, sampledata.Horizon))
	next := &cobra.Command{
		Use:   "next",
		Short: "Drop the next day's batch into landing/ (an incremental load to show live)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			start := time.Now()
			rep, err := s.project.NextSample(cmd.Context())
			if err != nil {
				return err
			}
			printReport(rep, time.Since(start))
			return nil
		},
	}
	cmd.AddCommand(gen, next)
	return cmd
}

// openProjectOnly finds the project without creating or running anything.
func openProjectOnly(g *globals) (*session, error) {
	dir := g.dir
	if dir == "" {
		wd, _ := os.Getwd()
		found, ok := pipeline.Find(wd)
		if !ok {
			return nil, fmt.Errorf("no %s here or above %s: run `lakebench init DIR` first, or pass -C DIR", pipeline.FileName, wd)
		}
		dir = found
	}
	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{Target: g.target, Vars: g.vars})
	if err != nil {
		return nil, err
	}
	return &session{project: p, target: p.Target, as: g.as}, nil
}

func printReport(rep sampledata.Report, took time.Duration) {
	var rows int64
	for _, n := range rep.Rows {
		rows += n
	}
	first, last := 0, 0
	if len(rep.Days) > 0 {
		first, last = rep.Days[0], rep.Days[len(rep.Days)-1]
	}
	fmt.Fprintf(os.Stderr, "wrote days %d-%d at %s scale: %d files, %d rows in %s\n", first, last, rep.Scale, len(rep.Files), rows, took.Round(time.Millisecond))
}

func newIngestCmd(g *globals) *cobra.Command {
	var table, format string
	var hints map[string]string
	var nulls []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Load files into a bronze table (each file once; bad rows to quarantine)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := lakehouse.ParseTableName(table)
			if err != nil {
				return err
			}
			f, err := lakehouse.ParseFormat(format)
			if err != nil {
				return err
			}
			s, err := openProject(cmd.Context(), g)
			if err != nil {
				return err
			}
			// A load is a write: the target's mode and grants apply, as
			// for a run.
			if err := s.project.CheckIdentity(s.principal()); err != nil {
				return err
			}
			lh, err := s.openAs(cmd.Context())
			if err != nil {
				return err
			}
			defer lh.Close()
			res, err := lh.Ingest(cmd.Context(), args, lakehouse.IngestOptions{Table: t, Format: f, SchemaHints: hints, NullValues: nulls, BaseDir: s.project.Dir})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(os.Stdout, res)
			}
			for _, fr := range res.Files {
				if fr.Skipped {
					fmt.Fprintf(os.Stderr, "%s: skipped, %s\n", fr.Path, fr.SkipReason)
					continue
				}
				fmt.Fprintf(os.Stderr, "%s: read %d, loaded %d, quarantined %d\n", fr.Path, fr.RowsRead, fr.RowsLoaded, fr.RowsQuarantined)
			}
			// What typing decided, for the columns where it says more
			// than a sniffed type.
			for _, c := range res.Columns {
				if c.Notable() {
					fmt.Fprintf(os.Stderr, "  %s\n", c)
				}
			}
			fmt.Fprintf(os.Stderr, "%s: %d rows loaded, %d quarantined", res.Table, res.RowsLoaded, res.RowsQuarantined)
			if res.RowsQuarantined > 0 {
				fmt.Fprintf(os.Stderr, " (see %s_quarantine)", res.Table)
			}
			fmt.Fprintln(os.Stderr)
			return nil
		},
	}
	cmd.Flags().StringVar(&table, "table", "", "target table, SCHEMA.NAME (required)")
	cmd.Flags().StringVar(&format, "format", "", "csv, json or parquet (default: from each file's extension)")
	cmd.Flags().StringToStringVar(&hints, "schema-hint", nil, "COLUMN=TYPE: give a column a DuckDB type instead of the sniffed one (repeatable)")
	cmd.Flags().StringArrayVar(&nulls, "null-value", nil, "a CSV value read as NULL besides the empty field, such as NA (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON on stdout")
	cmd.MarkFlagRequired("table")
	return cmd
}

func newRunCmd(g *globals) *cobra.Command {
	var asJSON, fullRefresh bool
	cmd := &cobra.Command{
		Use:   "run [--full-refresh [MODEL...]]",
		Short: "Run the pipeline: ingest new landing files, build silver and gold, apply quality rules",
		Long: `Run the pipeline: ingest new landing files, build silver and gold, apply quality rules.

Incremental models (kind incremental_by_batch, incremental_by_time or
incremental_by_unique_key in resources.models) process only what is new;
--full-refresh rebuilds every model from scratch, or only the MODELs named
(table names or patterns such as gold.*).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			refresh, err := fullRefreshModels(fullRefresh, args)
			if err != nil {
				return err
			}
			s, err := openProject(cmd.Context(), g)
			if err != nil {
				return err
			}
			res, err := s.run(cmd.Context(), "", refresh)
			if asJSON && res != nil {
				if jerr := writeJSON(os.Stdout, res); jerr != nil {
					return jerr
				}
			}
			return runError(err)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run record as JSON on stdout")
	cmd.Flags().BoolVar(&fullRefresh, "full-refresh", false, "rebuild the models from scratch: all of them, or the MODELs named after the flags")
	return cmd
}

// run runs a job of the bundle ("" is every source and model) on the
// target as the session's principal, with progress lines on stderr
// (`lakebench run`, `lakebench demo -C`).
func (s *session) run(ctx context.Context, job string, refresh []string) (*pipeline.RunResult, error) {
	lh, err := s.open(ctx, "")
	if err != nil {
		return nil, err
	}
	defer lh.Close()
	return s.project.Run(ctx, lh, pipeline.RunOptions{Job: job, Target: s.target, Principal: s.as, Progress: progressPrinter(os.Stderr), FullRefresh: refresh})
}

// fullRefreshModels is RunOptions.FullRefresh for a run's --full-refresh
// flag and its model arguments: "*" when no model is named.
func fullRefreshModels(flag bool, models []string) ([]string, error) {
	switch {
	case !flag && len(models) > 0:
		return nil, fmt.Errorf("unexpected arguments %s: name models only with --full-refresh (lakebench run --full-refresh %s)", strings.Join(models, " "), strings.Join(models, " "))
	case !flag:
		return nil, nil
	case len(models) == 0:
		return []string{"*"}, nil
	}
	return models, nil
}

// canceled reports whether err is a run or query stopped by Ctrl-C.
func canceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, lakehouse.ErrCanceled)
}

// runError is a run's error for the command line: a canceled run is said
// plainly, not as each task's "query canceled".
func runError(err error) error {
	if canceled(err) {
		return errors.New("canceled: the run stopped; its unfinished tasks rolled back, and `lakebench run` finishes the job")
	}
	return err
}

// progressPrinter prints run events as plain lines.
func progressPrinter(w io.Writer) func(pipeline.Event) {
	return func(e pipeline.Event) {
		switch e.Kind {
		case pipeline.RunStarted:
			fmt.Fprintf(w, "run %s: %d tasks\n", e.RunID, e.Total)
		case pipeline.TaskStarted:
			fmt.Fprintf(w, "[%d/%d] %-24s started\n", e.Index, e.Total, e.Task)
		case pipeline.TaskFinished:
			// Warnings (a model's late rows it cannot trace) get lines of
			// their own, after the task's.
			var notes, warnings []string
			for _, n := range strings.Split(e.Detail, "; ") {
				switch {
				case strings.HasPrefix(n, "warning: "):
					warnings = append(warnings, n)
				case n != "":
					notes = append(notes, n)
				}
			}
			detail := ""
			if len(notes) > 0 {
				detail = " (" + strings.Join(notes, "; ") + ")"
			}
			fmt.Fprintf(w, "[%d/%d] %-24s ok, %d rows in %s%s\n", e.Index, e.Total, e.Task, e.Rows, e.Elapsed.Round(time.Millisecond), detail)
			for _, warn := range warnings {
				fmt.Fprintf(w, "  %s\n", warn)
			}
		case pipeline.TaskFailed:
			if canceled(e.Err) {
				fmt.Fprintf(w, "[%d/%d] %-24s canceled (rolled back)\n", e.Index, e.Total, e.Task)
				break
			}
			fmt.Fprintf(w, "[%d/%d] %-24s FAILED: %s\n", e.Index, e.Total, e.Task, e.Detail)
		case pipeline.TaskSkipped:
			fmt.Fprintf(w, "[%d/%d] %-24s skipped (an earlier task failed)\n", e.Index, e.Total, e.Task)
		case pipeline.AlertsChecked:
			fmt.Fprintf(w, "alerts: %s\n", e.Detail)
		case pipeline.RunFinished:
			status := "succeeded"
			switch {
			case canceled(e.Err):
				status = "canceled"
			case e.Err != nil:
				status = "failed"
			}
			fmt.Fprintf(w, "run %s %s in %s\n", e.RunID, status, e.Elapsed.Round(time.Millisecond))
		}
	}
}

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print the target's tables by layer with their row counts (those the principal may read)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), g)
		},
	}
}

func runStatus(ctx context.Context, g *globals) error {
	s, err := openProject(ctx, g)
	if err != nil {
		return err
	}
	// As the principal: the catalog lists only what it may read, and the
	// listing is audited.
	lh, err := s.openReadAs(ctx)
	if err != nil {
		return err
	}
	defer lh.Close()
	layers, err := lh.Layers(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s (target %s, %s)\n", s.project.Bundle.Name, s.target, s.project.Dir)
	for _, l := range layers {
		fmt.Printf("%-8s %3d tables %12d rows\n", l.Schema, len(l.Tables), l.Rows)
		for _, t := range l.Tables {
			fmt.Printf("  %-36s %12d\n", t.Name, t.Rows)
		}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
