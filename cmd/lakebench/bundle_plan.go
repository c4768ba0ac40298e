package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/spf13/cobra"
)

// planTarget computes the plan of a deploy of the session's bundle on its
// target, read-only. A deployed target shows its plan to an authenticated
// principal with CAN_VIEW on it; a target never deployed (or with no
// lakehouse yet) has nothing to hide, and its plan is against nothing.
func planTarget(ctx context.Context, g *globals) (*session, *pipeline.Plan, error) {
	s, err := openProjectOnly(g)
	if err != nil {
		return nil, nil, err
	}
	path := s.project.DatabasePath(s.target)
	var lh *lakehouse.Lakehouse
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		lh, err = lakehouse.Open(ctx, "", lakehouse.Options{})
		if err != nil {
			return nil, nil, err
		}
	} else if lh, err = s.openRead(ctx); err != nil {
		return nil, nil, err
	}
	defer lh.Close()
	deployed, err := lh.Deployed(ctx)
	if err != nil {
		return nil, nil, err
	}
	if deployed {
		s.reader = lh
		err := s.authenticate(ctx)
		if s.reader == nil { // a refusal closed it to audit
			return nil, nil, err
		}
		s.reader = nil
		if err != nil {
			return nil, nil, err
		}
		if err := lh.CheckPermission(ctx, s.principal(), lakehouse.CanView, "bundle plan"); err != nil {
			return nil, nil, err
		}
	}
	pl, err := s.project.PlanDeploy(ctx, lh, s.principal())
	return s, pl, err
}

// printPlan prints a plan as terraform does: a line per change, the
// fields that change under it, the summary, and the promotion gate.
func printPlan(w io.Writer, pl *pipeline.Plan, principal string) {
	from := "a target never deployed"
	if d := pl.Deployed; d != nil {
		hash := d.ContentHash
		if hash == "" {
			hash = d.BundleHash + " (before content hashes)"
		}
		from = fmt.Sprintf("bundle %s deployed %s by %s", hash, d.DeployedAt.Format(time.DateTime), d.Principal)
	}
	fmt.Fprintf(w, "Plan %s for target %s as %s: bundle %s (content %s) over %s\n\n", pl.ID, pl.Target, principal, pl.Bundle, pl.ContentHash, from)
	if pl.Empty() {
		fmt.Fprintf(w, "No changes: target %s matches the bundle.\n", pl.Target)
	}
	for _, l := range pl.Lines() {
		fmt.Fprintln(w, "  "+l)
	}
	if !pl.Empty() {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, pl.Summary())
	if c := pl.Promotion; c != nil {
		mark := "✓"
		if !c.OK {
			mark = "✗ refused:"
		}
		fmt.Fprintf(w, "Promotion (%s): %s %s\n", c.Policy, mark, c.Message)
	}
}

// readPlanFile reads a plan saved by `bundle plan --out`.
func readPlanFile(path string) (*pipeline.Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the plan %s: %w", path, err)
	}
	var pl pipeline.Plan
	if err := json.Unmarshal(b, &pl); err != nil || pl.ID == "" {
		return nil, fmt.Errorf("%s is not a plan from `lakebench bundle plan --out`: make one again", path)
	}
	return &pl, nil
}

func newPlanCmd(g *globals) *cobra.Command {
	var asJSON bool
	var out string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what a deploy would change on the target (+ create, ~ change, - remove), as terraform plan",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, pl, err := planTarget(cmd.Context(), g)
			if err != nil {
				return err
			}
			if out != "" {
				b, _ := json.MarshalIndent(pl, "", "  ")
				if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
					return fmt.Errorf("write the plan: %w", err)
				}
			}
			if asJSON {
				return writeJSON(os.Stdout, pl)
			}
			printPlan(os.Stdout, pl, s.principal())
			if out != "" {
				fmt.Fprintf(os.Stderr, "Saved the plan in %s: `lakebench bundle deploy -t %s --plan-file %s` applies exactly it, or refuses if the bundle or the target changed since.\n", out, s.target, out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON on stdout")
	cmd.Flags().StringVar(&out, "out", "", "also save the plan as JSON in `FILE`, for deploy --plan-file")
	return cmd
}

// readState opens target read-only as the reading principal, who needs
// CAN_VIEW on it, and reads its deployed state. The reader is who the
// session acts as on that target: --as, else the target's run_as (a
// service principal proving itself with its token), else the
// operating-system user.
func readState(ctx context.Context, g *globals, target string) (*pipeline.TargetState, error) {
	tg := *g
	tg.target = target
	s, err := openProjectOnly(&tg)
	if err != nil {
		return nil, err
	}
	if err := s.authenticate(ctx); err != nil {
		return nil, err
	}
	path := s.project.DatabasePath(s.target)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("target %s is not deployed (%s has no lakehouse): deploy it first with `lakebench bundle deploy -t %s`", s.target, path, s.target)
	}
	lh, err := s.openRead(ctx)
	if err != nil {
		return nil, err
	}
	defer lh.Close()
	if err := lh.CheckPermission(ctx, s.principal(), lakehouse.CanView, "bundle diff"); err != nil {
		return nil, err
	}
	return pipeline.ReadTargetState(ctx, lh, s.target)
}

func newDiffCmd(g *globals) *cobra.Command {
	var asJSON bool
	var targets []string
	cmd := &cobra.Command{
		Use:   "diff -t FROM -t TO",
		Short: "Show what differs between two targets' deployed state: resources, grants, permissions, bundle",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(targets) != 2 {
				return fmt.Errorf("bundle diff compares two targets: name them with -t, as `lakebench bundle diff -t staging -t prod` (got %d)", len(targets))
			}
			if targets[0] == targets[1] {
				return fmt.Errorf("bundle diff compares two different targets: -t %s was given twice", targets[0])
			}
			from, err := readState(cmd.Context(), g, targets[0])
			if err != nil {
				return err
			}
			to, err := readState(cmd.Context(), g, targets[1])
			if err != nil {
				return err
			}
			d := pipeline.DiffTargets(from, to)
			if asJSON {
				return writeJSON(os.Stdout, d)
			}
			printDiff(os.Stdout, d)
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&targets, "target", "t", nil, "a target to compare: give -t twice, FROM then TO")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the difference as JSON on stdout")
	return cmd
}

func printDiff(w io.Writer, d *pipeline.TargetDiff) {
	desc := func(st *pipeline.TargetState) string {
		if st.Deployed == nil {
			return st.Target + ": never deployed"
		}
		hash := st.Deployed.ContentHash
		if hash == "" {
			hash = "unknown (deployed before content hashes)"
		}
		return fmt.Sprintf("%s: bundle %s, deployed %s by %s", st.Target, hash, st.Deployed.DeployedAt.Format(time.DateTime), st.Deployed.Principal)
	}
	fmt.Fprintf(w, "%s\n%s\n", desc(d.From), desc(d.To))
	if d.SameContent {
		fmt.Fprintln(w, "Same bundle content on both.")
	} else {
		fmt.Fprintln(w, "Different bundle content.")
	}
	fmt.Fprintln(w)
	if len(d.Changes) == 0 {
		fmt.Fprintf(w, "No differences between %s and %s.\n", d.From.Target, d.To.Target)
		return
	}
	pl := &pipeline.Plan{Changes: d.Changes}
	for _, l := range pl.Lines() {
		fmt.Fprintln(w, "  "+l)
	}
	add, change, del := 0, 0, 0
	for _, c := range d.Changes {
		switch c.Action {
		case pipeline.Create:
			add++
		case pipeline.Update:
			change++
		case pipeline.Delete:
			del++
		}
	}
	fmt.Fprintf(w, "\n%d only in %s (+), %d different (~), %d only in %s (-).\n", add, d.To.Target, change, del, d.From.Target)
}

// forcedBy is who forces a deploy past a promotion gate: the person at the
// keyboard, whatever --as says.
func forcedBy() string { return strings.TrimSpace(pipeline.Principal()) }
