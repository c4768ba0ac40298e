package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/spf13/cobra"
)

// newUsageCmd is `lakebench usage`: compute usage and its cost (sys.usage
// times sys.list_prices), grouped.
func newUsageCmd(g *globals) *cobra.Command {
	var by, since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Compute usage and cost per job, target, principal, day or task (sys.usage x sys.list_prices)",
		Long: `Compute usage and cost, as Databricks' system.billing.usage: a record per task of a run,
per query, per training and scoring, and per idle period of a held target, in compute-seconds
(wall seconds x DuckDB threads held), priced per target (sys.list_prices, from targets.<t>.price).
--by target reads every target's file of the bundle (read-only); the other groupings read the
target (-t). A principal reads its own usage; the owner, CAN_MANAGE and SELECT on sys.usage read
everyone's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if by == "" {
				by = "job"
			}
			if !slices.Contains(lakehouse.UsageGroups, by) {
				return fmt.Errorf("--by %s: use one of %s", by, strings.Join(lakehouse.UsageGroups, ", "))
			}
			var from time.Time
			if since != "" {
				var err error
				if from, err = parseSince(since); err != nil {
					return err
				}
			}
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			targets := []string{s.target}
			if by == "target" {
				targets = targets[:0]
				for name := range s.project.Targets {
					targets = append(targets, name)
				}
				slices.Sort(targets)
			}
			var records []lakehouse.UsageRecord
			var read []string
			for _, t := range targets {
				rs, err := targetUsage(cmd, s, t, from)
				switch {
				case errors.Is(err, fs.ErrNotExist):
					continue // a target never run has no usage
				case err != nil && len(targets) > 1:
					fmt.Fprintf(os.Stderr, "lakebench: target %s left out: %v\n", t, err)
					continue
				case err != nil:
					return err
				}
				records = append(records, rs...)
				read = append(read, t)
			}
			groups := lakehouse.SummarizeUsage(records, by)
			total := lakehouse.SummarizeUsage(records, "total")
			if asJSON {
				doc := map[string]any{"by": by, "targets": orEmptyStrings(read), "groups": groups}
				if !from.IsZero() {
					doc["since"] = from.UTC()
				}
				if len(total) > 0 {
					doc["total"] = total[0]
				}
				return writeJSON(os.Stdout, doc)
			}
			printUsage(os.Stdout, by, read, groups, total)
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "job", "group by "+strings.Join(lakehouse.UsageGroups, ", "))
	cmd.Flags().StringVar(&since, "since", "", "only usage since a duration ago (24h) or a date (2026-01-31)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// targetUsage reads a target's usage records read-only, as the session's
// principal; a target without a file is fs.ErrNotExist.
func targetUsage(cmd *cobra.Command, s *session, target string, since time.Time) ([]lakehouse.UsageRecord, error) {
	path := s.project.DatabasePath(target)
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	lh, err := lakehouse.Open(cmd.Context(), path, lakehouse.Options{ReadOnly: true, Principal: s.principal()})
	if err != nil {
		return nil, err
	}
	defer lh.Close()
	return lh.UsageRecords(cmd.Context(), since)
}

func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printUsage prints the groups as a table, with a total line.
func printUsage(w io.Writer, by string, targets []string, groups, total []lakehouse.UsageSummary) {
	if len(groups) == 0 {
		fmt.Fprintf(w, "no usage recorded on %s yet: run a job (lakebench run) or a query\n", targetList(targets))
		return
	}
	kw := len(by)
	for _, g := range groups {
		kw = max(kw, len(visible(g.Key)))
	}
	fmt.Fprintf(w, "usage by %s on %s\n", by, targetList(targets))
	header := fmt.Sprintf("%-*s %7s %12s %10s %10s %12s %12s %10s %10s  %s", kw, strings.ToUpper(by), "RECORDS", "COMPUTE-S", "WALL-S", "CPU-S",
		"ROWS-READ", "ROWS-WRITTEN", "READ", "WRITTEN", "COST")
	fmt.Fprintln(w, header)
	line := func(key string, g lakehouse.UsageSummary) {
		fmt.Fprintf(w, "%-*s %7d %12.3f %10.3f %10.3f %12s %12s %10s %10s  %s\n", kw, visible(key), g.Records, g.Quantity, g.WallSeconds, g.CPUSeconds,
			lakehouse.GroupDigits(fmt.Sprint(g.RowsRead)), lakehouse.GroupDigits(fmt.Sprint(g.RowsWritten)), lakehouse.FormatBytes(g.BytesRead), lakehouse.FormatBytes(g.BytesWritten),
			lakehouse.Cost(g.Cost, g.Currency))
	}
	for _, g := range groups {
		line(g.Key, g)
	}
	if len(total) > 0 {
		line("total", total[0])
	}
}

func targetList(targets []string) string {
	switch len(targets) {
	case 0:
		return "no target"
	case 1:
		return "target " + targets[0]
	}
	return "targets " + strings.Join(targets, ", ")
}
