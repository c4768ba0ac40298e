package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/spf13/cobra"
)

func newHealthCmd(g *globals) *cobra.Command {
	var asJSON, history, unhealthy, check bool
	cmd := &cobra.Command{
		Use:   "health [TABLE]",
		Short: "Freshness and completeness per table, learned from its history (Databricks data quality monitoring)",
		Long: `Freshness and completeness of every table of the medallion layers, as
Databricks data quality monitoring (anomaly detection): learned from each
table's own history with no threshold to set, beside the objectives of
quality_monitors (freshness, completeness). Every run evaluates them after
its tasks and appends the results to sys.table_results.

Without --history, the latest result of each check of each table: its
status (Healthy, Unhealthy, or Unknown with NOT_ENOUGH_TABLE_HISTORY while
the history is too short), the observed value against the predicted range,
and what an Unhealthy table impacts downstream in lineage. --history lists
every day judged (each day of data is judged as of that day), --unhealthy
only the Unhealthy results. --check evaluates now, before printing.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table := ""
			if len(args) == 1 {
				t, err := lakehouse.ParseTableName(args[0])
				if err != nil {
					return err
				}
				table = t.String()
			}
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			if check {
				// Recording is a write: the target's mode applies, as to a run.
				if err := s.project.CheckIdentity(s.principal()); err != nil {
					return err
				}
				lh, err := s.openAs(ctx)
				if err != nil {
					return err
				}
				_, err = s.project.CheckHealth(ctx, lh, s.principal(), "")
				lh.Close()
				if err != nil {
					return err
				}
			}
			// As the principal: the results are the data's (row counts,
			// NULL shares), shown only for the tables it may read.
			lh, err := s.openReadAs(ctx)
			if err != nil {
				return err
			}
			defer lh.Close()
			var res []lakehouse.HealthResult
			if history {
				res, err = lh.TableResultHistory(ctx, table)
			} else {
				res, err = lh.TableResults(ctx, table)
			}
			if err != nil {
				return err
			}
			evaluated := len(res) > 0
			if unhealthy {
				kept := res[:0]
				for _, r := range res {
					if r.Status == lakehouse.Unhealthy {
						kept = append(kept, r)
					}
				}
				res = kept
			}
			if asJSON {
				return writeJSON(os.Stdout, res)
			}
			if evaluated && len(res) == 0 {
				fmt.Println("no table is Unhealthy")
				return nil
			}
			printHealth(os.Stdout, res, table, history)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON on stdout")
	cmd.Flags().BoolVar(&history, "history", false, "every recorded result (each day judged), oldest first, not only the latest")
	cmd.Flags().BoolVar(&unhealthy, "unhealthy", false, "only the Unhealthy results")
	cmd.Flags().BoolVar(&check, "check", false, "evaluate every table now and record it before printing (needs the target open for writing)")
	return cmd
}

// printHealth prints one line per result, then the downstream impact of
// each Unhealthy table.
func printHealth(w io.Writer, res []lakehouse.HealthResult, table string, history bool) {
	if len(res) == 0 {
		what := "no health results"
		if table != "" {
			what += " for " + table
		}
		fmt.Fprintln(w, what+" yet (every `lakebench run` records them; `lakebench health --check` evaluates now)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "TABLE\tCHECK\tMETRIC\tSTATUS\tOBSERVED\tPREDICTED\tWINDOW\tDETAIL"
	fmt.Fprintln(tw, head)
	impact := map[string]lakehouse.HealthResult{}
	var order []string
	for _, r := range res {
		detail := r.Message
		if r.ErrorCode != "" {
			detail = r.ErrorCode + ": " + detail
		}
		if r.Column != "" && r.Status != lakehouse.Unhealthy {
			detail = strings.TrimPrefix(detail+" (worst: "+r.Column+")", " ")
		}
		metric := r.Metric
		if r.Source == "objective" {
			metric += " (objective)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Table, r.Check, metric, r.Status, healthValue(r.Metric, r.Observed),
			predicted(r), window(r), detail)
		if r.Status == lakehouse.Unhealthy {
			if _, ok := impact[r.Table]; !ok {
				order = append(order, r.Table)
			}
			if r.ImpactLevel >= impact[r.Table].ImpactLevel {
				impact[r.Table] = r
			}
		}
	}
	tw.Flush()
	if len(order) == 0 {
		if !history {
			fmt.Fprintln(w, "\nno table is Unhealthy")
		}
		return
	}
	fmt.Fprintln(w, "\ndownstream impact of the Unhealthy tables:")
	for _, t := range order {
		r := impact[t]
		down := "nothing downstream"
		if len(r.DownstreamImpact) > 0 {
			down = strings.Join(r.DownstreamImpact, ", ")
		}
		fmt.Fprintf(w, "  %s (impact level %d): %s\n", t, r.ImpactLevel, down)
	}
}

// healthValue shows a metric's value in its unit.
func healthValue(metric string, v float64) string {
	switch metric {
	case "commit_freshness", "objective_freshness":
		return (time.Duration(v) * time.Second).Round(time.Second).String()
	case "data_freshness":
		return fmt.Sprintf("%gd", v)
	case "percent_null":
		return fmt.Sprintf("%.2f%%", v)
	case "objective_completeness":
		return fmt.Sprintf("%.2f%%", 100*v)
	}
	return fmt.Sprintf("%.0f", v)
}

func predicted(r lakehouse.HealthResult) string {
	if r.Status == lakehouse.Unknown {
		return "-"
	}
	switch r.Metric {
	case "commit_freshness", "objective_freshness", "data_freshness", "percent_null":
		return "<= " + healthValue(r.Metric, r.PredictedMax)
	case "objective_completeness":
		return ">= " + healthValue(r.Metric, r.PredictedMin)
	}
	return healthValue(r.Metric, r.PredictedMin) + ".." + healthValue(r.Metric, r.PredictedMax)
}

func window(r lakehouse.HealthResult) string {
	if r.WindowStart.IsZero() {
		return "now"
	}
	if r.WindowEnd.Sub(r.WindowStart) == 24*time.Hour && r.WindowStart.Equal(r.WindowStart.Truncate(24*time.Hour)) {
		return r.WindowStart.Format(time.DateOnly)
	}
	return r.WindowStart.Format("2006-01-02 15:04") + ".." + r.WindowEnd.Format("2006-01-02 15:04")
}
