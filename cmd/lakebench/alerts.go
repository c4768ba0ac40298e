package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lakebench/lakebench/pipeline"
	"github.com/spf13/cobra"
)

func newAlertsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "The bundle's alerts (Databricks SQL alerts v2): list their states, or check them now",
		Long: `The bundle's alerts (resources.alerts), as Databricks SQL alerts v2: a query's
source column, aggregated or from its first row, compared with a threshold.
Every job run evaluates them as its last step; ` + "`alerts check`" + ` evaluates them now.
Every evaluation is in sys.alert_history.`,
	}
	var asJSON bool
	var history int
	list := &cobra.Command{
		Use:   "list",
		Short: "Each alert's latest state, without evaluating anything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			// As the principal: sys.alert_history holds values computed
			// from the data, so reading it takes SELECT on it (or
			// ownership), and the read is audited.
			lh, err := s.openReadAs(ctx)
			if err != nil {
				return err
			}
			defer lh.Close()
			sts, err := s.project.AlertStatuses(ctx, lh, history)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(os.Stdout, sts)
			}
			printAlerts(os.Stdout, sts, true)
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print the alerts as JSON on stdout, with their history")
	list.Flags().IntVar(&history, "history", 10, "`N` latest evaluations of each alert in the JSON (0: all)")

	var checkJSON bool
	check := &cobra.Command{
		Use:   "check [NAME...]",
		Short: "Evaluate the alerts (all, or those named) now, as you; record them; notify on a transition",
		Long: `Evaluate the alerts (all, or those named) now, each query run as the session's
principal (--as), and record every evaluation in sys.alert_history. A
transition runs the alert's notify command. The exit status is non-zero when
an alert is in ERROR (its query failed, or the principal may not read what it
reads).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			for _, n := range args {
				if _, ok := s.project.Resources.Alerts[n]; !ok {
					return fmt.Errorf("unknown alert %q: %s has %s", n, s.project.File, alertNames(s.project))
				}
			}
			// Recording is a write: the target's mode applies, as to a load.
			if err := s.project.CheckIdentity(s.principal()); err != nil {
				return err
			}
			lh, err := s.openAs(ctx)
			if err != nil {
				return err
			}
			defer lh.Close()
			sts, err := s.project.CheckAlerts(ctx, lh, args, "")
			if err != nil {
				return err
			}
			if checkJSON {
				if err := writeJSON(os.Stdout, sts); err != nil {
					return err
				}
			} else {
				printAlerts(os.Stdout, sts, false)
			}
			var failed []string
			for _, st := range sts {
				if st.State == pipeline.AlertError {
					failed = append(failed, st.Alert)
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("alerts in ERROR: %s (see the error of each above; fix the query, or the grants of %s)", strings.Join(failed, ", "), s.principal())
			}
			return nil
		},
	}
	check.Flags().BoolVar(&checkJSON, "json", false, "print the evaluations as JSON on stdout")
	cmd.AddCommand(list, check)
	return cmd
}

func alertNames(p *pipeline.Project) string {
	names := sortedKeys(p.Resources.Alerts)
	if len(names) == 0 {
		return "no alerts"
	}
	return "alerts " + strings.Join(names, ", ")
}

// printAlerts prints one line per alert, then the details that do not fit
// a column: errors, notification failures, messages.
func printAlerts(w io.Writer, sts []pipeline.AlertStatus, withTriggered bool) {
	if len(sts) == 0 {
		fmt.Fprintln(w, "no alerts in the bundle (add them under resources.alerts)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "ALERT\tSTATE\tVALUE\tCONDITION\tEVALUATED"
	if withTriggered {
		head += "\tLAST TRIGGERED"
	}
	fmt.Fprintln(tw, head)
	for _, st := range sts {
		cond := st.Op
		if th := st.Threshold; th != "" {
			if col, v, ok := strings.Cut(th, " = "); ok {
				th = col + " = " + short(v)
			} else {
				th = short(th)
			}
			cond += " " + th
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", st.Alert, st.State, orDash(short(st.Value)), orDash(cond), when(st.At))
		if withTriggered {
			line += "\t" + when(st.LastTriggered)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for _, st := range sts {
		switch {
		case st.Error != "":
			fmt.Fprintf(w, "%s: %s\n", st.Alert, st.Error)
		case st.Message != "":
			fmt.Fprintf(w, "%s: %s\n", st.Alert, st.Message)
		}
		if st.Notified {
			if st.NotifyError != "" {
				fmt.Fprintf(w, "%s: notification failed: %s\n", st.Alert, st.NotifyError)
			} else {
				fmt.Fprintf(w, "%s: notified\n", st.Alert)
			}
		}
	}
}

// short is a number to 6 significant digits, other text as it is (the
// JSON keeps every digit).
func short(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
