package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/spf13/cobra"
)

func newProfileCmd(g *globals) *cobra.Command {
	var asJSON, recorded, drift, flaggedOnly bool
	var opts lakehouse.ProfileOptions
	var columns string
	cmd := &cobra.Command{
		Use:   "profile TABLE",
		Short: "Profile a table now (as Lakehouse Monitoring's profile metrics), or show its recorded profile and drift",
		Long: `Profile a table now, as you (SELECT on it needed; the read is audited): per
column count, nulls, zeros, NaN, distinct values, min, max, avg, stddev,
median, quantiles, frequent items and lengths, plus a ':table' row, the
column names of Lakehouse Monitoring's profile metrics. One aggregate query
of DuckDB per granularity (distinct counts and quantiles approximate:
HyperLogLog and t-digest). A table in quality_monitors is profiled as its
monitor says (snapshot, or time_series windows) unless --type is given.

--recorded shows the profile the latest run recorded in sys.profile_metrics;
--drift the drift it recorded in sys.drift_metrics (CONSECUTIVE: each window
against the one before; BASELINE: against baseline_table), flagged columns
marked with ! and listed at the end.`,
		Example: `  lakebench profile gold.daily_revenue
  lakebench profile silver.orders --type time_series --timestamp-col order_ts --granularity "1 week"
  lakebench profile gold.order_item_prices --drift --flagged`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			t, err := lakehouse.ParseTableName(args[0])
			if err != nil {
				return fmt.Errorf("%w: name the table as schema.table, e.g. gold.daily_revenue", err)
			}
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			lh, err := s.openReadAs(ctx)
			if err != nil {
				return err
			}
			defer lh.Close()
			if drift {
				ds, err := lh.DriftMetrics(ctx, t.String())
				if err != nil {
					return noRecord(err, t, s.project)
				}
				if len(ds) == 0 {
					return fmt.Errorf("no recorded drift of %s: set drift: true in its quality_monitors entry (%s) and run a job", t, s.project.File)
				}
				if flaggedOnly {
					var keep []lakehouse.DriftMetric
					for _, d := range ds {
						if d.Flagged {
							keep = append(keep, d)
						}
					}
					ds = keep
				}
				if asJSON {
					if ds == nil {
						ds = []lakehouse.DriftMetric{}
					}
					return writeJSON(os.Stdout, ds)
				}
				printDrift(os.Stdout, ds)
				return nil
			}
			var ps []lakehouse.ColumnProfile
			if recorded {
				ps, err = lh.ProfileMetrics(ctx, t.String())
				if err != nil {
					return noRecord(err, t, s.project)
				}
				if len(ps) == 0 {
					return fmt.Errorf("no recorded profile of %s: set profile: true in its quality_monitors entry (%s) and run a job, or profile it now without --recorded", t, s.project.File)
				}
			} else {
				if columns != "" {
					for _, c := range strings.Split(columns, ",") {
						opts.Columns = append(opts.Columns, strings.TrimSpace(c))
					}
				}
				if m, ok := s.project.Resources.QualityMonitors[t.String()]; ok && !cmd.Flags().Changed("type") {
					if !cmd.Flags().Changed("timestamp-col") && !cmd.Flags().Changed("granularity") {
						opts.Type, opts.TimestampColumn, opts.Granularities = m.ProfileType, m.TimestampColumn, m.Granularities
					}
					if len(opts.Columns) == 0 {
						opts.Columns = m.Columns
					}
				} else if opts.Type == "" && (opts.TimestampColumn != "" || len(opts.Granularities) > 0) {
					opts.Type = lakehouse.TimeSeries
				}
				ps, err = lh.ProfileTable(ctx, t, opts)
				if err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSON(os.Stdout, ps)
			}
			printProfile(os.Stdout, ps)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the rows as JSON on stdout")
	f.StringVar(&opts.Type, "type", "", "`snapshot` (the whole table) or time_series (a profile per window)")
	f.StringVar(&opts.TimestampColumn, "timestamp-col", "", "the DATE or TIMESTAMP `COLUMN` a time_series cuts windows on")
	f.StringArrayVar(&opts.Granularities, "granularity", nil, "a window `SIZE` such as \"1 day\" or \"1 week\" (repeatable; default 1 day)")
	f.StringVar(&columns, "columns", "", "profile only these `COLUMNS` (comma-separated)")
	f.BoolVar(&recorded, "recorded", false, "show the profile the latest run recorded instead of profiling now")
	f.BoolVar(&drift, "drift", false, "show the drift the latest run recorded, with flags")
	f.BoolVar(&flaggedOnly, "flagged", false, "with --drift: only the flagged rows")
	return cmd
}

// noRecord explains a read of the records that failed for want of them.
func noRecord(err error, t lakehouse.TableName, p *pipeline.Project) error {
	if strings.Contains(err.Error(), "profile_metrics") || strings.Contains(err.Error(), "drift_metrics") {
		return fmt.Errorf("%w: nothing recorded yet for %s: monitor it in quality_monitors (%s) and run a job", err, t, p.File)
	}
	return err
}

func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'g', 6, 64)
}

func text(p *string, width int) string {
	if p == nil {
		return "-"
	}
	s := *p
	if r := []rune(s); len(r) > width {
		s = string(r[:width-1]) + "…"
	}
	return s
}

func profileWindow(start time.Time, gran string) string {
	if start.IsZero() {
		return "snapshot"
	}
	if start.Hour() == 0 && start.Minute() == 0 {
		return start.Format(time.DateOnly) + " +" + gran
	}
	return start.Format("2006-01-02 15:04") + " +" + gran
}

// printProfile prints profiles as a table, a block per window.
func printProfile(w io.Writer, ps []lakehouse.ColumnProfile) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, p := range ps {
		if p.ColumnName == lakehouse.TableColumn {
			if i > 0 {
				tw.Flush()
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s  %s  %s rows\n", p.Table, profileWindow(p.WindowStart, p.Granularity), lakehouse.GroupDigits(strconv.FormatInt(p.Count, 10)))
			fmt.Fprintln(tw, "column\ttype\tcount\tnull %\tdistinct\tmin\tmax\tavg\tstddev\tmedian\tfrequent")
			continue
		}
		var top []string
		for _, it := range p.FrequentItems[:min(3, len(p.FrequentItems))] {
			top = append(top, fmt.Sprintf("%s (%d)", text(&it.Item, 16), it.Count))
		}
		extra := strings.Join(top, ", ")
		if p.NumNaN != nil && *p.NumNaN > 0 {
			extra = strings.TrimPrefix(extra+fmt.Sprintf("; %d NaN", *p.NumNaN), "; ")
		}
		if p.Note != "" {
			extra = p.Note
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ColumnName, p.DataType, p.Count, p.PercentNull, p.DistinctCount,
			text(p.Min, 20), text(p.Max, 20), num(p.Avg), num(p.Stddev), num(p.Median), extra)
	}
	tw.Flush()
}

// printDrift prints drift rows, flagged ones marked, and the flags.
func printDrift(w io.Writer, ds []lakehouse.DriftMetric) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tdrift\twindow\tcolumn\tcount Δ\tavg Δ\tnull % Δ\tks D (p)\tpsi\twasserstein\tchi² p\tjs\ttv\tflagged by")
	test := func(t *lakehouse.TestResult, stat bool) string {
		if t == nil {
			return "-"
		}
		if stat {
			return fmt.Sprintf("%.3f (%.2g)", t.Statistic, t.PValue)
		}
		return fmt.Sprintf("%.2g", t.PValue)
	}
	for _, d := range ds {
		mark := ""
		if d.Flagged {
			mark = "!"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%g\t%s\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, d.DriftType, profileWindow(d.WindowStart, d.Granularity), d.ColumnName,
			d.CountDelta, num(d.AvgDelta), d.PercentNullDelta, test(d.KSTest, true), num(d.PopulationStabilityIdx), num(d.WassersteinDistance),
			test(d.ChiSquaredTest, false), num(d.JSDistance), num(d.TVDistance), strings.Join(d.FlaggedBy, ", "))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nflagged: %s\n", pipeline.DriftSummary(ds))
}
