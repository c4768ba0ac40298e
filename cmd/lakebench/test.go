package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/lakebench/lakebench/pipeline"
	"github.com/spf13/cobra"
)

// newTestCmd is `lakebench test`: the project's model unit tests, each in
// a private in-memory DuckDB, and with --target the data tests and
// quality rules on that target, read as the session's principal.
func newTestCmd(g *globals) *cobra.Command {
	var asJSON bool
	var junit string
	cmd := &cobra.Command{
		Use:   "test [NAME|MODEL|TABLE...]",
		Short: "Run the model unit tests (tests/*.yml), and with -t TARGET the data tests on that target",
		Long: `Runs the unit tests of tests/*.yml: each builds its model over the rows the
test gives for the tables it reads, in a private in-memory DuckDB (never a
target's file), as a full refresh builds it, with the bundle's variables,
and compares its rows with the expected ones in any order (numbers within
the test's tolerance).

With --target (-t) it also runs the files' data_tests and the bundle's
quality rules against that target, reading as you (or --as PRINCIPAL)
through the governed query path: a read the grants refuse fails its test.

Prints a line per test and a diff of the rows on a failure; --json prints one
document, --junit FILE writes JUnit XML for CI. The report is kept in
.lakebench/test-report.json for the TUI's Tests panel. Exits non-zero when a
test fails or errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			p := s.project
			rep := &pipeline.TestReport{Project: p.Bundle.Name, Target: s.target, Started: time.Now().UTC()}
			opts := pipeline.TestOptions{Match: args}
			var out io.Writer = os.Stderr
			if !asJSON {
				out = os.Stdout
			}
			unit, err := p.RunUnitTests(ctx, opts)
			if err != nil {
				return testFilesError(err)
			}
			for _, r := range unit {
				printTestResult(out, r)
			}
			rep.Add(unit...)
			if cmd.Flags().Changed("target") {
				data, principal, err := runDataTests(ctx, s, opts)
				if err != nil {
					return err
				}
				rep.DataTarget, rep.Principal = s.target, principal
				for _, r := range data {
					printTestResult(out, r)
				}
				rep.Add(data...)
			}
			rep.Seconds = time.Since(rep.Started).Seconds()
			if err := p.SaveTestReport(rep); err != nil {
				fmt.Fprintln(os.Stderr, "lakebench: the report was not kept for the TUI:", err)
			}
			if junit != "" {
				data, err := rep.JUnit()
				if err != nil {
					return err
				}
				if err := os.WriteFile(junit, data, 0o644); err != nil {
					return fmt.Errorf("--junit: %w", err)
				}
			}
			if asJSON {
				if err := writeJSON(os.Stdout, rep); err != nil {
					return err
				}
			} else {
				printTestSummary(out, rep)
			}
			if len(rep.Results) == 0 {
				fmt.Fprintf(os.Stderr, "no test ran: add tests under %s/ (see `lakebench init`'s sample), or check the names given\n", pipeline.TestsDir)
			}
			if !rep.OK() {
				return fmt.Errorf("%d of %d tests failed", rep.Failed+rep.Errors, len(rep.Results))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	cmd.Flags().StringVar(&junit, "junit", "", "write the report as JUnit XML to `FILE` (for CI)")
	return cmd
}

// testFilesError lists every problem of the test files, one a line.
func testFilesError(err error) error {
	var d pipeline.Diagnostics
	if errors.As(err, &d) {
		return fmt.Errorf("the test files have %s (fix them first; `lakebench bundle validate` lists them too):\n%v", pipeline.Plural(len(d), "problem"), d)
	}
	return err
}

// runDataTests opens the target read-only, decides who the session is and
// runs the data tests as that principal.
func runDataTests(ctx context.Context, s *session, opts pipeline.TestOptions) ([]pipeline.TestResult, string, error) {
	lh, err := s.openRead(ctx)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("target %s has no data yet, so it has nothing to test: run `lakebench bundle deploy -t %s` and `lakebench run -t %s` first", s.target, s.target, s.target)
	}
	if err != nil {
		return nil, "", err
	}
	defer lh.Close()
	s.reader = lh
	if err := s.authenticate(ctx); err != nil {
		return nil, "", err
	}
	s.reader = nil
	lh.SetPrincipal(s.principal())
	s.warnUndeployed(ctx, lh)
	res, err := s.project.RunDataTests(ctx, lh, opts)
	if err != nil {
		return nil, "", testFilesError(err)
	}
	return res, s.principal(), nil
}

// printTestResult is one test's line, and its message and diff when it did
// not pass.
func printTestResult(w io.Writer, r pipeline.TestResult) {
	mark := map[pipeline.TestStatus]string{pipeline.TestPass: "PASS", pipeline.TestFail: "FAIL", pipeline.TestError: "ERROR", pipeline.TestWarn: "WARN"}[r.Status]
	subject := ""
	if r.Subject != "" && r.Subject != r.Name {
		subject = "  " + r.Subject
	}
	fmt.Fprintf(w, "%-5s %-7s %s%s  (%s)\n", mark, r.Kind, r.Name, subject, formatSeconds(r.Seconds))
	if r.Status == pipeline.TestPass {
		return
	}
	where := ""
	if r.File != "" {
		where = fmt.Sprintf("%s:%d: ", r.File, r.Line)
	}
	fmt.Fprintf(w, "      %s%s\n", where, r.Message)
	// Types the rows alone decided are the likeliest surprise: say them.
	var inferred []string
	for _, in := range r.Inputs {
		for _, c := range in.Columns {
			if c.From == "inferred" {
				inferred = append(inferred, in.Table+"."+c.Name+" "+c.Type)
			}
		}
	}
	if len(inferred) > 0 {
		fmt.Fprintf(w, "      types inferred from the rows (declare others under the input's columns:): %s\n", strings.Join(inferred, ", "))
	}
	if r.Diff != nil {
		for _, line := range strings.Split(r.Diff.Text(), "\n") {
			fmt.Fprintln(w, "      "+line)
		}
	}
}

func formatSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func printTestSummary(w io.Writer, r *pipeline.TestReport) {
	var parts []string
	parts = append(parts, fmt.Sprintf("%d passed", r.Passed))
	if r.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", r.Failed))
	}
	if r.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d errors", r.Errors))
	}
	if r.Warned > 0 {
		parts = append(parts, fmt.Sprintf("%d warnings", r.Warned))
	}
	fmt.Fprintf(w, "\n%s in %s\n", strings.Join(parts, ", "), formatSeconds(r.Seconds))
}
