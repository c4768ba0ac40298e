package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lakebench/lakebench/dab"
)

func newExportCmd(g *globals) *cobra.Command {
	export := &cobra.Command{
		Use:   "export",
		Short: "Export the project to another platform",
	}
	var force bool
	databricks := &cobra.Command{
		Use:   "databricks DIR",
		Short: "Write the project as a Databricks Asset Bundle in DIR, with a report of what was not translated",
		Long: `Write the project as a Databricks Asset Bundle in DIR: databricks.yml with targets
dev, staging and prod, jobs with one task per model following lakebench's DAG,
schemas with grants, registered models, quality monitors, alerts, the model SQL
translated from DuckDB's dialect to Databricks SQL, DQX checks, and
EXPORT_REPORT.md listing what was not translated (file:line:col) and what has
no Databricks equivalent. DIR must be empty unless --force.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, lh, err := openParser(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer lh.Close()
			models, err := s.project.Models(cmd.Context(), lh)
			if err != nil {
				return err
			}
			res, err := dab.Export(s.project, models, args[0], dab.Options{Force: force})
			if errors.Is(err, dab.ErrNotEmpty) || errors.Is(err, dab.ErrOverProject) {
				return fmt.Errorf("export databricks: %w", err)
			}
			if err != nil {
				return err
			}
			fmt.Printf("Wrote %s in %s: %s, %s to check in EXPORT_REPORT.md.\n", pluralFiles(len(res.Files)), res.Dir,
				plural(len(res.Issues), "construct not translated", "constructs not translated"),
				plural(len(res.Gaps), "setting with no Databricks equivalent", "settings with no Databricks equivalent"))
			for _, i := range res.Issues {
				fmt.Fprintln(os.Stderr, i)
			}
			fmt.Printf("Next: put each target's workspace URL in %s/databricks.yml, then databricks bundle validate -t dev.\n", res.Dir)
			return nil
		},
	}
	databricks.Flags().BoolVar(&force, "force", false, "overwrite the bundle's files in a DIR that is not empty")
	export.AddCommand(databricks)
	return export
}

func pluralFiles(n int) string { return plural(n, "file", "files") }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
