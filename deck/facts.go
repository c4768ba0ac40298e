// Package deck owns `lakebench slides`: the team's presentation as a
// Markdown deck in Marp's format, filled from the bundle (title, team,
// problem, next steps, each step's notes) and from the target as the
// presenter reads it (tables and row counts, quality, the incident, the
// champion model, the dashboards' numbers, insights from gold tables,
// cost and SLA), with its charts drawn as PNG files beside it
// (gonum.org/v1/plot). It reads through the packages that own the data
// (lakehouse, pipeline, ml) and holds no SQL of its own.
package deck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/pipeline"
)

// Facts is what the deck shows of a target, read once by Gather. A
// section that could not be read keeps its error in Errors (keyed by the
// section's ID) and its slide says so.
type Facts struct {
	Target    string
	Principal string
	// Built is false when the target has no database yet (nothing ran).
	Built     bool
	Layers    []lakehouse.Layer
	LastRun   *lakehouse.Run
	Runs      int
	Quality   []lakehouse.QualityResult
	Unhealthy []lakehouse.HealthResult
	Alerts    []pipeline.AlertStatus
	// AlertsErr is why the alerts could not be read as Principal.
	AlertsErr  error
	Models     []Model
	Dashboards []Dashboard
	Revenue    *Series
	Risk       *Segments
	Cost       []lakehouse.UsageSummary
	CostTotal  *lakehouse.UsageSummary
	SLA        *pipeline.SLAReport
	Errors     map[string]error
}

// Model is a registered model with its champion's detail (nil when no
// version holds the alias).
type Model struct {
	Name     string
	Task     ml.Task
	Versions int
	Champion *ml.VersionDetail
}

// Dashboard is a bundle dashboard with its tiles evaluated (a tile's error
// stays with the tile).
type Dashboard struct {
	Name, Title string
	Tiles       []*pipeline.TileData
	Errs        []error
}

// Series is an amount per day, oldest first.
type Series struct {
	Title  string // the chart's title: the tile's, else "Revenue per day"
	Source string // where it comes from: a dashboard tile or presentation.insights.revenue
	Y      string // the amount's column
	Days   []time.Time
	Values []float64
}

// Segments are a churn risk per segment, highest first.
type Segments struct {
	Title  string // the chart's title: the tile's, else "Churn risk by <X>"
	Source string
	X, Y   string
	Names  []string
	Values []float64
}

// ChampionAlias is the alias whose version the deck presents.
const ChampionAlias = "champion"

// Gather reads the facts of p's target through lh, whose principal is the
// presenter: every read is governed and audited as that principal's, so
// the deck shows what they may see. lh is nil when the target has no
// database yet. Nothing here fails the deck: each section's error is kept.
func Gather(ctx context.Context, p *pipeline.Project, lh *lakehouse.Lakehouse, principal string) *Facts {
	f := &Facts{Target: p.Target, Principal: principal, Errors: map[string]error{}}
	if lh == nil {
		return f
	}
	f.Built = true
	keep := func(section string, err error) {
		if err != nil && f.Errors[section] == nil {
			f.Errors[section] = err
		}
	}
	var err error
	f.Layers, err = lh.Layers(ctx)
	keep("architecture", err)
	runs, err := lh.RecentRuns(ctx, 0)
	keep("pipeline", err)
	f.Runs = len(runs)
	if len(runs) > 0 {
		f.LastRun = &runs[0]
	}
	f.Quality, err = lh.QualityResults(ctx, "", "")
	keep("pipeline", err)
	health, err := lh.TableResults(ctx, "")
	keep("incident", err)
	for _, h := range health {
		if h.Status == lakehouse.Unhealthy {
			f.Unhealthy = append(f.Unhealthy, h)
		}
	}
	f.Alerts, err = p.AlertStatuses(ctx, lh, 1)
	f.AlertsErr = err
	keep("incident", err)
	f.Models, err = models(ctx, lh)
	keep("model", err)
	for _, name := range sortedKeys(p.Resources.Dashboards) {
		def := p.Resources.Dashboards[name]
		d := Dashboard{Name: name, Title: def.Title, Tiles: make([]*pipeline.TileData, len(def.Tiles)), Errs: make([]error, len(def.Tiles))}
		for i := range def.Tiles {
			d.Tiles[i], d.Errs[i] = p.EvalTile(ctx, lh, name, i)
		}
		f.Dashboards = append(f.Dashboards, d)
	}
	f.Revenue, f.Risk, err = insights(ctx, p, lh, f.Dashboards)
	keep("insights", err)
	records, err := lh.UsageRecords(ctx, time.Time{})
	keep("cost", err)
	f.Cost = lakehouse.SummarizeUsage(records, "job")
	if t := lakehouse.SummarizeUsage(records, "total"); len(t) > 0 {
		f.CostTotal = &t[0]
	}
	f.SLA, err = p.SLAReport(ctx, lh)
	keep("cost", err)
	return f
}

// models reads the registered models and each one's champion.
func models(ctx context.Context, lh *lakehouse.Lakehouse) ([]Model, error) {
	reg := ml.NewRegistry(lh)
	ms, err := reg.Models(ctx)
	if err != nil {
		return nil, err
	}
	var out []Model
	for _, m := range ms {
		mo := Model{Name: m.Name, Task: m.Task, Versions: m.Versions}
		if v, ok := m.Aliases[ChampionAlias]; ok {
			d, err := reg.Show(ctx, fmt.Sprintf("%s/%d", m.Name, v))
			if err != nil {
				return out, err
			}
			mo.Champion = d
		}
		out = append(out, mo)
	}
	return out, nil
}

// insights reads the revenue series and the churn-risk segments: from the
// presentation's queries when it names them, else from the dashboards'
// tiles already evaluated (see pipeline.Insights).
func insights(ctx context.Context, p *pipeline.Project, lh *lakehouse.Lakehouse, dashboards []Dashboard) (*Series, *Segments, error) {
	var q pipeline.Insights
	if p.Presentation != nil && p.Presentation.Insights != nil {
		q = *p.Presentation.Insights
	}
	var errs []error
	var rev *Series
	var risk *Segments
	if q.Revenue != "" {
		res, _, err := p.EvalQuery(ctx, lh, q.Revenue)
		if err == nil {
			rev, err = seriesOf("presentation.insights.revenue", res.Columns, res.Rows, 0, 1)
		}
		if rev != nil {
			rev.Title, rev.Source = "Revenue per day", "presentation.insights.revenue"
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("presentation.insights.revenue: %w", err))
		}
	} else if t := findTile(dashboards, isRevenue); t != nil {
		var err error
		rev, err = seriesOf(t.Title, t.Columns, t.Rows, column(t.Columns, t.X), column(t.Columns, t.Y))
		if rev != nil {
			rev.Source = fmt.Sprintf("the %s dashboard's tile %q", t.Dashboard, t.Title)
		}
		errs = append(errs, err)
	}
	if q.Risk != "" {
		res, _, err := p.EvalQuery(ctx, lh, q.Risk)
		if err == nil {
			risk, err = segmentsOf("presentation.insights.risk", res.Columns, res.Rows, 0, 1)
		}
		if risk != nil {
			risk.Title, risk.Source = "Churn risk by "+risk.X, "presentation.insights.risk"
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("presentation.insights.risk: %w", err))
		}
	} else if t := findTile(dashboards, isRisk); t != nil {
		var err error
		risk, err = segmentsOf(t.Title, t.Columns, t.Rows, column(t.Columns, t.X), column(t.Columns, t.Y))
		if risk != nil {
			risk.Source = fmt.Sprintf("the %s dashboard's tile %q", t.Dashboard, t.Title)
		}
		errs = append(errs, err)
	}
	return rev, risk, errors.Join(errs...)
}

// findTile is the first evaluated chart tile that ok accepts.
func findTile(dashboards []Dashboard, ok func(*pipeline.TileData) bool) *pipeline.TileData {
	for _, d := range dashboards {
		for _, t := range d.Tiles {
			if t != nil && t.Kind == pipeline.TileChart && ok(t) {
				return t
			}
		}
	}
	return nil
}

func isRevenue(t *pipeline.TileData) bool {
	return (t.Chart == "timeseries" || t.Chart == "line") && strings.Contains(strings.ToLower(t.Y), "revenue")
}

func isRisk(t *pipeline.TileData) bool {
	if t.Chart != "bar" {
		return false
	}
	s := strings.ToLower(t.Title + " " + t.Y)
	return strings.Contains(s, "risk") || strings.Contains(s, "churn")
}

func column(cols []lakehouse.Column, name string) int {
	return slices.IndexFunc(cols, func(c lakehouse.Column) bool { return c.Name == name })
}

// seriesOf reads rows of (day, amount) as a series summed per day, oldest
// first; rows with a NULL are skipped.
func seriesOf(title string, cols []lakehouse.Column, rows [][]any, x, y int) (*Series, error) {
	if x < 0 || y < 0 || x >= len(cols) || y >= len(cols) {
		return nil, fmt.Errorf("deck: %s: want a day and an amount column, got %d columns", title, len(cols))
	}
	sum := map[time.Time]float64{}
	for _, r := range rows {
		d, ok := r[x].(time.Time)
		if !ok {
			if r[x] == nil {
				continue
			}
			return nil, fmt.Errorf("deck: %s: column %s holds %v (%T), not a date", title, cols[x].Name, r[x], r[x])
		}
		v, ok := lakehouse.Number(r[y])
		if !ok {
			continue
		}
		sum[d.UTC().Truncate(24*time.Hour)] += v
	}
	s := &Series{Title: title, Y: cols[y].Name}
	for d := range sum {
		s.Days = append(s.Days, d)
	}
	slices.SortFunc(s.Days, func(a, b time.Time) int { return a.Compare(b) })
	for _, d := range s.Days {
		s.Values = append(s.Values, sum[d])
	}
	return s, nil
}

// segmentsOf reads rows of (segment, risk), highest risk first.
func segmentsOf(title string, cols []lakehouse.Column, rows [][]any, x, y int) (*Segments, error) {
	if x < 0 || y < 0 || x >= len(cols) || y >= len(cols) {
		return nil, fmt.Errorf("deck: %s: want a segment and a risk column, got %d columns", title, len(cols))
	}
	s := &Segments{Title: title, X: cols[x].Name, Y: cols[y].Name}
	type seg struct {
		name string
		v    float64
	}
	var all []seg
	for _, r := range rows {
		v, ok := lakehouse.Number(r[y])
		if !ok {
			continue
		}
		name := "NULL"
		if r[x] != nil {
			name = fmt.Sprint(r[x])
		}
		all = append(all, seg{name, v})
	}
	slices.SortStableFunc(all, func(a, b seg) int {
		switch {
		case a.v > b.v:
			return -1
		case a.v < b.v:
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	for _, a := range all {
		s.Names, s.Values = append(s.Names, a.name), append(s.Values, a.v)
	}
	return s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
