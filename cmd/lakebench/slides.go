package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lakebench/lakebench/deck"
	"github.com/spf13/cobra"
)

// renderHelp says how to render a deck with Marp when lakebench finds no
// renderer.
const renderHelp = `render it with Marp: npm install -g @marp-team/marp-cli, then
  marp --allow-local-files %[1]s -o %[2]s.html      (or --pdf -o %[2]s.pdf)
or open %[1]s in VS Code with the Marp extension`

func newSlidesCmd(g *globals) *cobra.Command {
	var html, pdf bool
	cmd := &cobra.Command{
		Use:   "slides OUT.md",
		Short: "Write the presentation deck (Marp Markdown, at most 20 slides) with its charts as PNG files beside it",
		Long: `Writes the team's presentation as a Markdown deck in Marp's format (front matter
with marp: true, --- between slides, speaker notes as HTML comments), at most
20 slides in the course guide's order: title and team name, problem, team by
role, architecture (the target's tables and row counts), pipeline and data
quality, the incident found, the model and its champion, the dashboards'
numbers, insights (the largest day-over-day changes of revenue, the top
churn-risk segments), cost and SLA, next steps.

The words come from lakebench.yml (project, presentation: title, team,
next_steps, each step's notes as the speaker notes); the numbers are read
now from the target (-t) as you (--as), under your grants, as lakebench
query would: a section you may not read, or with no data yet, says what to
run. Charts are PNG files beside the deck (OUT-layers.png, OUT-revenue.png,
OUT-risk.png, OUT-roc.png, OUT-cost.png). The insights come from
presentation.insights (a revenue and a risk SELECT), else from the
dashboards' revenue time series and churn-risk bar chart.

--html and --pdf render the deck with Marp when it is here (marp on PATH,
or node with @marp-team/marp-cli installed); otherwise lakebench says how.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out := args[0]
			if filepath.Ext(out) != ".md" {
				return fmt.Errorf("slides %s: name the deck with .md (such as deck/slides.md): its charts are written beside it", out)
			}
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			lh, err := s.openReadAs(ctx)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				lh = nil // no database yet: the slides say what to run
			case err != nil:
				return err
			default:
				defer lh.Close()
			}
			facts := deck.Gather(ctx, s.project, lh, s.principal())
			base := strings.TrimSuffix(filepath.Base(out), ".md")
			d := deck.Build(s.project, s.project.PresentationOrDefault(), facts, base)
			w, err := d.Write(out)
			if err != nil {
				return err
			}
			fmt.Printf("wrote %s: %d slides, %d charts beside it\n", out, w.Slides, len(w.Charts))
			for _, c := range w.Charts {
				fmt.Printf("  %s\n", c)
			}
			if len(facts.Errors) > 0 {
				fmt.Fprintf(os.Stderr, "note: %d sections could not be read in full as %s; their slides say why\n", len(facts.Errors), s.principal())
			}
			stem := strings.TrimSuffix(out, ".md")
			if !html && !pdf {
				fmt.Fprintf(os.Stderr, "to present it, %s\n", fmt.Sprintf(renderHelp, out, stem))
				return nil
			}
			marp, err := findMarp(filepath.Dir(out))
			if err != nil {
				return fmt.Errorf("no Marp renderer here (%v); the deck is written: %s", err, fmt.Sprintf(renderHelp, out, stem))
			}
			for _, f := range []struct {
				on        bool
				flag, ext string
			}{{html, "", ".html"}, {pdf, "--pdf", ".pdf"}} {
				if !f.on {
					continue
				}
				if err := renderMarp(ctx, marp, out, stem+f.ext, f.flag); err != nil {
					return err
				}
				fmt.Printf("rendered %s\n", stem+f.ext)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&html, "html", false, "also render the deck to OUT.html with Marp (when installed)")
	cmd.Flags().BoolVar(&pdf, "pdf", false, "also render the deck to OUT.pdf with Marp (when installed; needs a Chrome, Edge or Firefox)")
	return cmd
}

// findMarp is the command that runs Marp's CLI: marp on PATH, else node
// with @marp-team/marp-cli where node finds it from dir (its
// node_modules upward, NODE_PATH).
func findMarp(dir string) ([]string, error) {
	if p, err := exec.LookPath("marp"); err == nil {
		return []string{p}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("neither marp nor node is on PATH")
	}
	c := exec.Command(node, "-e", "process.stdout.write(require.resolve('@marp-team/marp-cli/package.json'))")
	c.Dir = dir
	pkg, err := c.Output()
	if err != nil {
		return nil, errors.New("marp is not on PATH and node finds no @marp-team/marp-cli")
	}
	return []string{node, filepath.Join(filepath.Dir(string(pkg)), "marp-cli.js")}, nil
}

// renderMarp renders the deck md to out with Marp's CLI.
func renderMarp(ctx context.Context, marp []string, md, out, flag string) error {
	args := append(marp[1:], "--no-stdin", "--allow-local-files")
	if flag != "" {
		args = append(args, flag)
	}
	args = append(args, md, "-o", out)
	c := exec.CommandContext(ctx, marp[0], args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("marp could not render %s: %v\n%s", out, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
