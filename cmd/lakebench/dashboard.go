package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/dash"
	"github.com/spf13/cobra"
)

// printWidth is the width a dashboard is printed at when stdout is not a
// terminal.
const printWidth = 100

func newDashboardCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "dashboard [NAME]",
		Short: "Print a dashboard of the bundle (text charts, or its data with --json); without NAME, list them",
		Long: `Print a dashboard of the bundle (resources.dashboards): every tile's query
runs as the session's principal, under its grants, and the tiles are drawn
as in the Analyst view, sized to the terminal (100 columns when stdout is
not one). --json prints the tiles' data instead. Without NAME, list the
dashboards.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return listDashboards(s.project, asJSON, os.Stdout)
			}
			name := args[0]
			def, ok := s.project.Resources.Dashboards[name]
			if !ok {
				_, err := s.project.Tile(name, 0)
				return err
			}
			lh, err := s.openReadAs(ctx)
			if err != nil {
				return err
			}
			defer lh.Close()
			tiles, errs := evalTiles(ctx, s.project, lh, name, def)
			if asJSON {
				err = printDashboardJSON(name, def, tiles, errs, os.Stdout)
			} else {
				err = printDashboard(def, tiles, errs, terminalWidth(), os.Stdout)
			}
			if err != nil {
				return err
			}
			failed := 0
			for _, e := range errs {
				if e != nil {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %s could not be evaluated (the tiles say why)", failed, pipeline.Plural(len(def.Tiles), "tile"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the tiles' data as JSON")
	return cmd
}

// evalTiles evaluates every tile of a dashboard, one after the other on
// the one connection; a tile's error stays with the tile.
func evalTiles(ctx context.Context, p *pipeline.Project, lh *lakehouse.Lakehouse, name string, def pipeline.Dashboard) ([]*pipeline.TileData, []error) {
	tiles := make([]*pipeline.TileData, len(def.Tiles))
	errs := make([]error, len(def.Tiles))
	for i := range def.Tiles {
		tiles[i], errs[i] = p.EvalTile(ctx, lh, name, i)
	}
	return tiles, errs
}

// terminalWidth is stdout's width, or printWidth when it is not a terminal.
func terminalWidth() int {
	if w, _, err := term.GetSize(os.Stdout.Fd()); err == nil && w > 0 {
		return w
	}
	return printWidth
}

// printDashboard draws the dashboard with the TUI's dashboard component,
// every tile shown (no scrolling).
func printDashboard(def pipeline.Dashboard, tiles []*pipeline.TileData, errs []error, width int, w io.Writer) error {
	m := dash.New(def, nil, dash.Options{})
	for i := range tiles {
		m.SetTile(i, tiles[i], errs[i])
	}
	m.SetSize(width, 0)
	title := def.Title
	if title == "" {
		title = "dashboard"
	}
	_, err := fmt.Fprintf(w, "%s\n%s\n", title, m.View())
	return err
}

// dashboardJSON is what --json prints of a dashboard.
type dashboardJSON struct {
	Dashboard string     `json:"dashboard"`
	Title     string     `json:"title,omitempty"`
	Tiles     []tileJSON `json:"tiles"`
}

// tileJSON is a tile's data, or its error.
type tileJSON struct {
	*pipeline.TileData
	Index int    `json:"index"`
	Title string `json:"title"`
	Error string `json:"error,omitempty"`
}

func printDashboardJSON(name string, def pipeline.Dashboard, tiles []*pipeline.TileData, errs []error, w io.Writer) error {
	out := dashboardJSON{Dashboard: name, Title: def.Title, Tiles: make([]tileJSON, len(tiles))}
	for i := range tiles {
		t := tileJSON{TileData: tiles[i], Index: i, Title: def.Tiles[i].Title}
		if errs[i] != nil {
			t.Error = errs[i].Error()
		}
		out.Tiles[i] = t
	}
	return writeJSON(w, out)
}

// listDashboards prints the bundle's dashboards: name, title, tiles.
func listDashboards(p *pipeline.Project, asJSON bool, w io.Writer) error {
	type entry struct {
		Name  string `json:"name"`
		Title string `json:"title,omitempty"`
		Tiles int    `json:"tiles"`
	}
	var list []entry
	for _, n := range sortedKeys(p.Resources.Dashboards) {
		d := p.Resources.Dashboards[n]
		list = append(list, entry{Name: n, Title: d.Title, Tiles: len(d.Tiles)})
	}
	if asJSON {
		if list == nil {
			list = []entry{}
		}
		return writeJSON(w, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(os.Stderr, "the bundle has no dashboards: add them under resources.dashboards")
		return nil
	}
	for _, e := range list {
		fmt.Fprintf(w, "%-16s %-28s %s\n", e.Name, e.Title, pipeline.Plural(e.Tiles, "tile"))
	}
	return nil
}
