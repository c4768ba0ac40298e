package main

import (
	"bufio"
	"context"
	"maps"
	"slices"

	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

func newBundleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Validate, deploy, run, summarize and destroy the project bundle per target (as databricks bundle does)",
	}
	var asJSON, fullRefresh bool
	validate := &cobra.Command{
		Use:   "validate",
		Short: "Check the bundle: every error at once, with file:line:column and a hint",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, lh, err := openParser(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer lh.Close()
			v := s.project.Validate(cmd.Context(), lh)
			v.Errors = append(v.Errors, v.TestErrors...) // tests/*.yml: errors here, as for deploy
			if asJSON {
				if err := writeJSON(os.Stdout, validationJSON(s, v)); err != nil {
					return err
				}
			} else {
				printSummary(os.Stderr, s, v.Models, nil, "", nil)
				for _, w := range v.Warnings {
					fmt.Fprintf(os.Stderr, "\nWarning: %s\n  at %s\n", w.Message, where(w))
					if w.Hint != "" {
						fmt.Fprintf(os.Stderr, "  hint: %s\n", w.Hint)
					}
				}
				for _, e := range v.Errors {
					fmt.Fprintf(os.Stderr, "\nError: %s\n  at %s\n", e.Message, where(e))
					if e.Hint != "" {
						fmt.Fprintf(os.Stderr, "  hint: %s\n", e.Hint)
					}
				}
				fmt.Fprintln(os.Stderr)
			}
			if !v.OK() {
				return fmt.Errorf("found %s", pipeline.Plural(len(v.Errors), "error"))
			}
			if !asJSON {
				fmt.Fprintln(os.Stderr, "Validation OK!")
			}
			return nil
		},
	}
	validate.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON on stdout")

	var allowModeChange, showPlan, force bool
	var planFile, reason string
	deploy := &cobra.Command{
		Use:   "deploy",
		Short: "Make the target match the bundle: computes the plan and applies exactly it (--plan only shows it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showPlan {
				s, pl, err := planTarget(cmd.Context(), g)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(os.Stdout, pl)
				}
				printPlan(os.Stdout, pl, s.principal())
				return nil
			}
			if force && strings.TrimSpace(reason) == "" {
				return errors.New(`--force needs --reason "why": an override of the promotion gate is audited with its reason; nothing was deployed`)
			}
			if !force && reason != "" {
				return errors.New("--reason goes with --force: without --force nothing is overridden")
			}
			var expect *pipeline.Plan
			if planFile != "" {
				var err error
				if expect, err = readPlanFile(planFile); err != nil {
					return err
				}
			}
			s, lh, err := openWriter(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer lh.Close()
			wasDeployed, err := lh.Deployed(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "Deploying %s to target %s as %s...\n", s.project.Bundle.Name, s.target, s.principal())
			res, err := s.project.DeployWith(cmd.Context(), lh, pipeline.DeployOptions{Principal: s.principal(), AllowModeChange: allowModeChange,
				Force: force, Reason: reason, ForcedBy: forcedBy(), Expect: expect})
			if err != nil {
				return err
			}
			s.issueFirstToken(cmd.Context(), lh, wasDeployed)
			if asJSON {
				return writeJSON(os.Stdout, res)
			}
			printPlan(os.Stderr, res.Plan, s.principal())
			if res.Forced != "" {
				fmt.Fprintf(os.Stderr, "Forced past the promotion gate by %s, reason: %s (audited)\n", forcedBy(), res.Forced)
			}
			kinds := sortedKeys(res.Resources)
			parts := make([]string, len(kinds))
			for i, k := range kinds {
				parts[i] = resourceCount(res.Resources[k], k)
			}
			fmt.Fprintf(os.Stderr, "\nDeployed %s (bundle %s, content %s): %s\n", s.project.DatabasePath(s.target), res.BundleHash, res.ContentHash, strings.Join(parts, ", "))
			for _, r := range res.Removed {
				fmt.Fprintf(os.Stderr, "Removed %s (gone from the bundle)\n", r)
			}
			if res.Unchanged {
				fmt.Fprintln(os.Stderr, "Nothing changed since the last deployment.")
			}
			fmt.Fprintln(os.Stderr, "Deployment complete!")
			return nil
		},
	}
	deploy.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON on stdout")
	deploy.Flags().BoolVar(&allowModeChange, "allow-mode-change", false, "as the target's owner, deploy a bundle that switches a production target to development (audited)")
	deploy.Flags().BoolVar(&showPlan, "plan", false, "only show what the deploy would change (as bundle plan), deploy nothing")
	deploy.Flags().StringVar(&planFile, "plan-file", "", "apply exactly the plan in `FILE` (saved by bundle plan --out), refused if the bundle or the target changed since")
	deploy.Flags().BoolVar(&force, "force", false, "as the target's owner, deploy past its promotion gate (needs --reason; audited)")
	deploy.Flags().StringVar(&reason, "reason", "", "why the promotion gate is overridden (with --force; audited and recorded)")

	run := &cobra.Command{
		Use:   "run JOB [--full-refresh [MODEL...]]",
		Short: "Run a job's task DAG on the target (independent tasks in parallel)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			refresh, err := fullRefreshModels(fullRefresh, args[1:])
			if err != nil {
				return err
			}
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			if _, ok := s.project.Resources.Jobs[args[0]]; !ok {
				return fmt.Errorf("unknown job %q: %s has %s", args[0], s.project.File, strings.Join(sortedKeys(s.project.Resources.Jobs), ", "))
			}
			s, lh, err := openWriter(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer lh.Close()
			progress := progressPrinter(os.Stderr)
			if isatty.IsTerminal(os.Stderr.Fd()) {
				progress = progressBar(os.Stderr)
			}
			res, err := s.project.Run(cmd.Context(), lh, pipeline.RunOptions{Job: args[0], Target: s.target, Principal: s.principal(), Progress: progress, FullRefresh: refresh})
			if asJSON && res != nil {
				if jerr := writeJSON(os.Stdout, res); jerr != nil {
					return jerr
				}
			}
			return runError(err)
		},
	}
	run.Flags().BoolVar(&asJSON, "json", false, "print the run record as JSON on stdout")
	run.Flags().BoolVar(&fullRefresh, "full-refresh", false, "rebuild the job's models from scratch: all of them, or the MODELs named after JOB")

	summary := &cobra.Command{
		Use:   "summary",
		Short: "Show the bundle's resources on the target and its last deployment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, lh, err := openParser(cmd.Context(), g)
			if err != nil {
				return err
			}
			models, _ := s.project.Models(cmd.Context(), lh)
			lh.Close()
			var deployed *lakehouse.Deployment
			owner := ""
			// What is deployed and who owns it is the target's, shown to
			// those with a permission on it (CAN_VIEW or more); the bundle's
			// own resources are the caller's file and always shown.
			var hidden error
			if t, err := s.openRead(cmd.Context()); err == nil {
				if hidden = t.CheckPermission(cmd.Context(), s.principal(), lakehouse.CanView, "bundle summary"); hidden == nil {
					d, _ := t.LastDeployment(cmd.Context())
					if d.BundleHash != "" {
						deployed = &d
					}
					owner, _ = t.Owner(cmd.Context())
				}
				t.Close()
			}
			printSummary(os.Stdout, s, models, deployed, owner, hidden)
			return nil
		},
	}

	var autoApprove bool
	destroy := &cobra.Command{
		Use:   "destroy",
		Short: "Delete the target's lakehouse (asks first unless --auto-approve)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			if err := s.authenticate(cmd.Context()); err != nil {
				return err
			}
			path := s.project.DatabasePath(s.target)
			// Asked once CAN_MANAGE on the deployed target is checked, with
			// the target locked until it is gone.
			confirm := func() error {
				if autoApprove {
					return nil
				}
				if !isatty.IsTerminal(os.Stdin.Fd()) {
					return fmt.Errorf("destroy deletes %s and there is no terminal to ask: pass --auto-approve to confirm", path)
				}
				fmt.Fprintf(os.Stderr, "This deletes every table of target %s (%s). Type the target's name to confirm: ", s.target, path)
				line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
				if strings.TrimSpace(line) != s.target {
					return errors.New("not confirmed: nothing was deleted")
				}
				return nil
			}
			destroyed, err := s.project.Destroy(cmd.Context(), s.principal(), "lakebench bundle destroy", confirm)
			if err != nil {
				return err
			}
			if !destroyed {
				fmt.Fprintf(os.Stderr, "Target %s has no lakehouse (%s): nothing to destroy.\n", s.target, path)
				return nil
			}
			fmt.Fprintf(os.Stderr, "Destroyed target %s.\n", s.target)
			return nil
		},
	}
	destroy.Flags().BoolVar(&autoApprove, "auto-approve", false, "do not ask for confirmation")

	var testsSchema bool
	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of lakebench.yml, or with --tests of the test files tests/*.yml (for editor completion and checks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			of := pipeline.JSONSchema
			if testsSchema {
				of = pipeline.TestsJSONSchema
			}
			b, err := of()
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(append(b, '\n'))
			return err
		},
	}
	schema.Flags().BoolVar(&testsSchema, "tests", false, "the schema of the test files (tests/*.yml) instead of lakebench.yml's")
	cmd.AddCommand(validate, newPlanCmd(g), deploy, newDiffCmd(g), run, summary, destroy, schema, newOwnerCmd(g))
	return cmd
}

// newOwnerCmd shows and transfers the target's ownership. The owner is who
// first deployed the target; only the owner hands it over, as Unity
// Catalog's ALTER ... OWNER TO (`databricks catalogs update --owner`).
func newOwnerCmd(g *globals) *cobra.Command {
	owner := &cobra.Command{
		Use:   "owner",
		Short: "Show the target's owner and permissions (the owner is who first deployed it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			lh, err := s.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer lh.Close()
			own, err := lh.Owner(cmd.Context())
			if err != nil {
				return err
			}
			if own == "" {
				fmt.Printf("Target %s is not deployed: it has no owner yet (its first `lakebench bundle deploy -t %s` makes the deployer its owner).\n", s.target, s.target)
				return nil
			}
			fmt.Printf("Target: %s\nOwner: %s\n", s.target, own)
			perms, err := lh.Permissions(cmd.Context())
			if err != nil {
				return err
			}
			if len(perms) > 0 {
				fmt.Println("Permissions:")
				for _, p := range perms {
					fmt.Printf("  %-10s %s (%s)\n", p.Level, p.Principal, strings.ReplaceAll(p.Kind, "_", " "))
				}
			}
			return nil
		},
	}
	set := &cobra.Command{
		Use:   "set PRINCIPAL",
		Short: "Hand the target's ownership to PRINCIPAL (the current owner only; audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			if _, err := os.Stat(s.project.DatabasePath(s.target)); err != nil {
				return fmt.Errorf("target %s is not deployed: it has no owner yet; its first `lakebench bundle deploy -t %s` makes the deployer its owner", s.target, s.target)
			}
			lh, err := s.open(cmd.Context(), "")
			if err != nil {
				return err
			}
			defer lh.Close()
			from, err := lh.Owner(cmd.Context())
			if err != nil {
				return err
			}
			if err := lh.SetOwner(cmd.Context(), s.principal(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "Target %s is now owned by %s (was %s).\n", s.target, args[0], from)
			return nil
		},
	}
	owner.AddCommand(set)
	return owner
}

// openParser loads the project for -t with a private in-memory lakehouse to
// parse its SQL, for commands that read the bundle, not the target.
func openParser(ctx context.Context, g *globals) (*session, *lakehouse.Lakehouse, error) {
	s, err := openProjectOnly(g)
	if err != nil {
		return nil, nil, err
	}
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		return nil, nil, err
	}
	return s, lh, nil
}

// openWriter loads the project for -t and opens its target for writing,
// refusing a principal the target's mode does not allow.
func openWriter(ctx context.Context, g *globals) (*session, *lakehouse.Lakehouse, error) {
	s, err := openProjectOnly(g)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authenticate(ctx); err != nil {
		return nil, nil, err
	}
	lh, err := s.open(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	return s, lh, nil
}

func where(e *pipeline.Error) string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	return e.File
}

func validationJSON(s *session, v *pipeline.Validation) map[string]any {
	conv := func(d pipeline.Diagnostics) []map[string]any {
		out := []map[string]any{}
		for _, e := range d {
			out = append(out, map[string]any{"file": e.File, "line": e.Line, "column": e.Column, "message": e.Message, "hint": e.Hint})
		}
		return out
	}
	return map[string]any{"name": s.project.Bundle.Name, "target": s.target, "identity": s.principal(),
		"ok": v.OK(), "errors": conv(v.Errors), "warnings": conv(v.Warnings)}
}

// printSummary prints the bundle as `databricks bundle validate` and
// `summary` do: name, target, identity, then resources.
func printSummary(w io.Writer, s *session, models []pipeline.Model, deployed *lakehouse.Deployment, owner string, hidden error) {
	p := s.project
	kind := "user"
	if p.Targets[s.target].RunAs != nil && p.Targets[s.target].RunAs.ServicePrincipalName == s.principal() {
		kind = "service principal"
	}
	fmt.Fprintf(w, "Name: %s\nTarget: %s\nMode: %s\nIdentity: %s (%s)\nDatabase: %s\n", p.Bundle.Name, s.target, p.Mode(), s.principal(), kind, p.DatabasePath(s.target))
	if hidden != nil {
		fmt.Fprintf(w, "Deployed: not shown: %v\n", hidden)
	} else if deployed != nil {
		fmt.Fprintf(w, "Deployed: %s by %s (bundle %s)\n", deployed.DeployedAt.Format(time.DateTime), deployed.Principal, deployed.BundleHash)
		if owner != "" {
			fmt.Fprintf(w, "Owner: %s (who first deployed it; `lakebench bundle owner` lists the permissions)\n", owner)
		}
	} else {
		fmt.Fprintf(w, "Deployed: never\n")
	}
	fmt.Fprintln(w, "Resources:")
	list := func(title string, names []string) {
		if len(names) == 0 {
			return
		}
		fmt.Fprintf(w, "  %s:\n", title)
		for _, n := range names {
			fmt.Fprintf(w, "    %s\n", n)
		}
	}
	var sources []string
	for _, n := range sortedKeys(p.Resources.Sources) {
		sources = append(sources, fmt.Sprintf("%-12s %s -> bronze.%s", n, p.Resources.Sources[n].Path, n))
	}
	list("Sources", sources)
	var ms []string
	for _, m := range models {
		ms = append(ms, fmt.Sprintf("%-28s %s", m.Table, m.Path))
	}
	list("Models", ms)
	var jobs []string
	for _, n := range sortedKeys(p.Resources.Jobs) {
		keys := []string{}
		for _, t := range p.Resources.Jobs[n].Tasks {
			keys = append(keys, t.TaskKey)
		}
		jobs = append(jobs, fmt.Sprintf("%-12s %d tasks: %s", n, len(keys), strings.Join(keys, ", ")))
	}
	list("Jobs", jobs)
	list("Quality rules", withCounts(p.Resources.Quality))
	list("Quality monitors", sortedKeys(p.Resources.QualityMonitors))
	list("Registered models", sortedKeys(p.Resources.RegisteredModels))
	list("Dashboards", sortedKeys(p.Resources.Dashboards))
	list("Alerts", sortedKeys(p.Resources.Alerts))
	var grants []string
	for _, sc := range sortedKeys(p.Resources.Schemas) {
		for _, gr := range p.Resources.Schemas[sc].Grants {
			on := sc
			if gr.Table != "" {
				on += "." + gr.Table
			}
			grants = append(grants, fmt.Sprintf("%s: %s on %s", gr.Principal, strings.Join(gr.Privileges, ", "), on))
		}
	}
	list("Grants", grants)
}

func withCounts(m map[string][]pipeline.QualityRule) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, fmt.Sprintf("%s (%d)", k, len(m[k])))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// progressBar draws run progress on a terminal: finished tasks as lines,
// and a bar redrawn in place below them.
func progressBar(w io.Writer) func(pipeline.Event) {
	lines := progressPrinter(w)
	done, total := 0, 0
	running := map[string]bool{}
	draw := func() {
		const width = 30
		filled := 0
		if total > 0 {
			filled = done * width / total
		}
		names := sortedKeys(running)
		fmt.Fprintf(w, "\r\033[K[%s%s] %d/%d %s", strings.Repeat("█", filled), strings.Repeat("░", width-filled), done, total, strings.Join(names, ", "))
	}
	return func(e pipeline.Event) {
		fmt.Fprint(w, "\r\033[K")
		switch e.Kind {
		case pipeline.RunStarted:
			total = e.Total
		case pipeline.TaskStarted:
			running[e.Task] = true
			draw()
			return
		case pipeline.TaskFinished, pipeline.TaskFailed, pipeline.TaskSkipped:
			delete(running, e.Task)
			done++
		}
		lines(e)
		if e.Kind != pipeline.RunFinished {
			draw()
		}
	}
}

func newLineageCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "lineage TABLE",
		Short: "Show a table's upstream and downstream lineage, from the models' SQL, with each model's kind",
		Args:  cobra.ExactArgs(1),
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
			l := s.project.Lineage(models)
			table := strings.ToLower(args[0])
			if !l.Has(table) {
				return fmt.Errorf("%s is not in the lineage of %s: name a source's bronze table or a model's table", args[0], s.project.Bundle.Name)
			}
			fmt.Printf("Upstream (what %s is built from):\n%s\nDownstream (what is built from %s):\n%s", table, l.Tree(table, "up"), table, l.Tree(table, "down"))
			return nil
		},
	}
}

// resourceCount says how many resources of a kind a deploy wrote, in words:
// "1 job", "3 quality rule sets", "1 registered model".
func resourceCount(n int, kind string) string {
	noun := strings.ReplaceAll(kind, "_", " ")
	if kind == "quality" {
		noun = "quality rule set"
	}
	return pipeline.Plural(n, noun)
}
