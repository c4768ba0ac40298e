package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/spf13/cobra"
)

// newQualityCmd is `lakebench quality [TABLE]`: the DQX check results of a
// run (the latest by default) from sys.quality_results.
func newQualityCmd(g *globals) *cobra.Command {
	var runID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "quality [TABLE]",
		Short: "The quality checks' results of a run (the latest by default): rows checked and failed per check",
		Long: `Prints sys.quality_results for one run: each check's name, function, table,
criticality, rows checked and rows failed. A build's checks (phase build)
quarantine the rows failing an error check into <table>_quarantine, with
_errors; a checks task (phase check) counts again without moving rows.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			var table string
			if len(args) == 1 {
				t, err := lakehouse.ParseTableName(args[0])
				if err != nil {
					return fmt.Errorf("quality %s: %w; name a table as schema.table, such as silver.orders", args[0], err)
				}
				table = t.String()
			}
			path := s.project.DatabasePath(s.target)
			results := []lakehouse.QualityResult{}
			if _, err := os.Stat(path); err == nil {
				lh, err := lakehouse.Open(cmd.Context(), path, lakehouse.Options{ReadOnly: true, Principal: s.principal()})
				if err != nil {
					return err
				}
				results, err = lh.QualityResults(cmd.Context(), table, runID)
				lh.Close()
				if err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSON(os.Stdout, map[string]any{"target": s.target, "results": results})
			}
			if len(results) == 0 {
				what := "no quality results on target " + s.target
				if table != "" {
					what += " for " + table
				}
				if runID != "" {
					what += " in run " + runID
				}
				fmt.Fprintln(os.Stdout, what+": add checks under resources.quality in lakebench.yml, then `lakebench run`")
				return nil
			}
			printQuality(os.Stdout, results)
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "the run's results (default: the latest run with results)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func printQuality(w io.Writer, results []lakehouse.QualityResult) {
	fmt.Fprintf(w, "run %s at %s\n", results[0].RunID, results[0].CheckedAt.Format("2006-01-02 15:04:05"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tCHECK\tFUNCTION\tCRITICALITY\tPHASE\tCHECKED\tFAILED\t")
	var failing []string
	for _, r := range results {
		mark := ""
		if r.RowsFailed > 0 {
			mark = "  <-"
			failing = append(failing, r.Table+" "+r.Rule)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d%s\t\n", r.Table, r.Rule, orDash(r.Function), r.Criticality, orDash(r.Phase), r.RowsChecked, r.RowsFailed, mark)
	}
	tw.Flush()
	if len(failing) > 0 {
		fmt.Fprintf(w, "\n%d %s found rows: error checks' rows are in <table>_quarantine (column _errors), warn checks' keep _warnings\n",
			len(failing), map[bool]string{true: "check", false: "checks"}[len(failing) == 1])
	} else {
		fmt.Fprintln(w, "\nevery check passed")
	}
}
