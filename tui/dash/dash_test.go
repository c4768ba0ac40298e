package dash

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// def is a dashboard of every kind of tile.
var def = pipeline.Dashboard{Title: "Revenue health", Tiles: []pipeline.Tile{
	{Title: "Revenue, last 7 days", Kind: "kpi", Format: "money"},
	{Title: "Orders, last 7 days", Kind: "kpi"},
	{Title: "Quarantined rows", Kind: "kpi", Good: "down"},
	{Title: "Electronics revenue per day", Kind: "chart", Chart: "timeseries", Width: 3},
	{Title: "Revenue by category", Kind: "chart", Chart: "bar"},
	{Title: "Top customers", Kind: "table"},
	{Title: "Incidents", Kind: "table"},
}}

// data is what a loader returns for each tile of def: fixed values shaped
// as EvalTile shapes them (the pipeline tests evaluate the real sample).
func data(i int) (*pipeline.TileData, error) {
	td := &pipeline.TileData{Dashboard: "revenue", Index: i, Title: def.Tiles[i].Title, Kind: def.Tiles[i].KindName(), Chart: def.Tiles[i].Chart}
	switch i {
	case 0:
		td.KPI = pipeline.NewKPI(218647.25, 185643.23, true, "up", "money")
	case 1:
		td.KPI = pipeline.NewKPI(1828, 1969, true, "up", "number")
	case 2:
		td.KPI = pipeline.NewKPI(10, 4, true, "down", "number")
	case 3:
		td.X, td.Y = "date", "revenue"
		td.Columns = []lakehouse.Column{{Name: "date", Type: "DATE"}, {Name: "revenue", Type: "DOUBLE"}}
		start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		for d := range 53 {
			v := 14000 + 3000*math.Sin(float64(d)*2*math.Pi/7)
			if d >= 25 && d <= 34 {
				v *= 0.6
			}
			td.Rows = append(td.Rows, []any{start.AddDate(0, 0, d), v})
		}
	case 4:
		td.X, td.Y = "category", "revenue"
		td.Columns = []lakehouse.Column{{Name: "category", Type: "VARCHAR"}, {Name: "revenue", Type: "DOUBLE"}}
		for j, c := range []string{"electronics", "apparel", "home", "sports", "books"} {
			td.Rows = append(td.Rows, []any{c, 700000 / float64(j+1)})
		}
	case 5:
		td.Columns = []lakehouse.Column{{Name: "customer_id", Type: "BIGINT"}, {Name: "region", Type: "VARCHAR"}, {Name: "risk", Type: "DOUBLE"}}
		for j := range 14 {
			td.Rows = append(td.Rows, []any{int64(1000 + j*37), []string{"west", "south", "east"}[j%3], 0.97 - float64(j)/50})
		}
	case 6:
		return nil, &pipeline.TileError{Dashboard: "revenue", Index: 6, Title: "Incidents",
			Err: &lakehouse.AccessError{Principal: "dana", Action: "read", Table: lakehouse.TableName{Schema: "bronze", Name: "orders"}, Privilege: "SELECT", Owner: "ana"}}
	}
	return td, nil
}

func loader(_ context.Context, i int) (*pipeline.TileData, error) { return data(i) }

// loaded runs every tile's command, as the Bubble Tea runtime would, and
// hands the answers back.
func loaded(t *testing.T, w, h int) Model {
	t.Helper()
	m := New(def, loader, Options{})
	m.SetSize(w, h)
	cmd := m.Init()
	if m.Loading() != len(def.Tiles) {
		t.Fatalf("%d tiles loading after Init, want %d", m.Loading(), len(def.Tiles))
	}
	for _, msg := range run(cmd) {
		m, _ = m.Update(msg)
	}
	if m.Loading() != 0 {
		t.Fatalf("%d tiles still loading", m.Loading())
	}
	return m
}

// run executes a command and the batches in it, returning their messages.
func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, run(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// TestGolden draws the dashboard at 80x24 and 160x48, scrolled to the top
// and one row down (go test ./tui/dash -update rewrites testdata).
func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		name := fmt.Sprintf("%dx%d", size[0], size[1])
		t.Run(name, func(t *testing.T) {
			m := loaded(t, size[0], size[1])
			golden.RequireEqual(t, m.View())
		})
		t.Run(name+"_scrolled", func(t *testing.T) {
			m := loaded(t, size[0], size[1])
			m.Focus()
			m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown})
			golden.RequireEqual(t, m.View())
		})
	}
}

// TestExactSize checks the view fills exactly the size set, at any size,
// loading or loaded.
func TestExactSize(t *testing.T) {
	for _, w := range []int{20, 60, 80, 99, 100, 120, 159, 160, 200} {
		for _, h := range []int{3, 10, 24, 48} {
			for _, m := range []Model{New(def, loader, Options{}), loaded(t, w, h)} {
				m.SetSize(w, h)
				lines := strings.Split(m.View(), "\n")
				if len(lines) != h {
					t.Fatalf("%dx%d: %d lines", w, h, len(lines))
				}
				for i, l := range lines {
					if got := ansi.StringWidth(l); got != w {
						t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, got, l)
					}
				}
			}
		}
	}
}

func TestColumnsAdaptToTheWidth(t *testing.T) {
	for _, tc := range []struct{ width, cols int }{{80, 1}, {99, 1}, {100, 2}, {159, 2}, {160, 3}, {240, 3}} {
		if got := Columns(tc.width); got != tc.cols {
			t.Errorf("Columns(%d) = %d, want %d", tc.width, got, tc.cols)
		}
	}
	// At 160 the three KPIs share a row, and no row mixes KPIs and charts.
	m := loaded(t, 160, 48)
	rows := m.rows()
	if len(rows[0]) != 3 {
		t.Errorf("first row %v, want the three KPIs", rows[0])
	}
	for _, r := range rows {
		kinds := map[bool]bool{}
		w := 0
		for _, c := range r {
			kinds[kindOf(m.tiles[c.tile]) == pipeline.TileKPI] = true
			w += c.width
		}
		if len(kinds) > 1 || w > 160 {
			t.Errorf("row %v mixes kinds or is %d wide", r, w)
		}
	}
}

// TestRefreshDropsOldAnswers checks that a refresh marks the tiles loading
// and that an answer to an older refresh, or to another dashboard, changes
// nothing.
func TestRefreshDropsOldAnswers(t *testing.T) {
	m := loaded(t, 120, 40)
	m.Focus()
	old := m.gen
	m, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("R")})
	if cmd == nil || m.Loading() != len(def.Tiles) || m.gen <= old {
		t.Fatalf("refresh: cmd %v, %d loading, gen %d", cmd != nil, m.Loading(), m.gen)
	}
	if !strings.Contains(m.View(), "refreshing…") {
		t.Errorf("a refreshing tile does not say so")
	}
	stale := TileMsg{ID: m.ID(), Gen: old, Tile: 0, Err: errors.New("stale")}
	other := TileMsg{ID: m.ID() + 1, Gen: m.gen, Tile: 0, Err: errors.New("other")}
	for _, msg := range []TileMsg{stale, other} {
		m, _ = m.Update(msg)
		if _, err := m.Tile(0); err != nil {
			t.Errorf("message %+v was taken: %v", msg, err)
		}
	}
	for _, msg := range run(cmd) {
		m, _ = m.Update(msg)
	}
	if m.Loading() != 0 {
		t.Errorf("%d tiles loading after the refresh's answers", m.Loading())
	}
	// Blurred, keys do nothing.
	m.Blur()
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("R")}); cmd != nil {
		t.Errorf("a blurred dashboard refreshed")
	}
}

// TestInitOnACopy checks that answers to a refresh made on a copy of the
// model (an owner calling Init on a value) still land.
func TestInitOnACopy(t *testing.T) {
	m := New(def, loader, Options{})
	m.SetSize(80, 24)
	cp := m
	cmd := cp.Init()
	for _, msg := range run(cmd) {
		m, _ = m.Update(msg)
	}
	if d, err := m.Tile(0); d == nil || err != nil || m.Loading() != 0 {
		t.Errorf("after Init on a copy: tile 0 %v, %v; %d loading", d, err, m.Loading())
	}
}

// TestKPIColors checks the change is drawn green the good way and red the
// bad way, with its arrow.
func TestKPIColors(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m := New(def, loader, Options{})
	m.SetSize(80, 24)
	green := m.styles.Good.Render("▲ +17.8%")
	red := m.styles.Bad.Render("▼ -7.2%")
	badUp := m.styles.Bad.Render("▲ +150.0%")
	for i := range 3 {
		d, err := data(i)
		m.SetTile(i, d, err)
	}
	v := m.View()
	for _, want := range []string{green, red, badUp} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v      float64
		format string
		want   string
	}{
		{218647.25, "money", "$218,647"}, {12.5, "money", "$12.50"}, {-1234567, "number", "-1,234,567"},
		{0.278, "percent", "27.8%"}, {42, "", "42"}, {0.25, "number", "0.25"},
	} {
		if got := FormatValue(tc.v, tc.format); got != tc.want {
			t.Errorf("FormatValue(%v, %s) = %q, want %q", tc.v, tc.format, got, tc.want)
		}
	}
}

// TestMoreRowsSaysOne: scrolling down to the last hidden row of tiles, the
// note says "1 more row", not "1 more rows".
func TestMoreRowsSaysOne(t *testing.T) {
	m := loaded(t, 80, 24)
	m.Focus()
	seen := false
	for range 10 {
		v := m.View()
		if strings.Contains(v, "1 more rows") {
			t.Fatalf("the note is not singular:\n%s", v)
		}
		seen = seen || strings.Contains(v, "↓ 1 more row of tiles")
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	if !seen {
		t.Error("scrolling never showed one more row of tiles")
	}
}
