// Package dash is the dashboard component: it lays out the tiles of one
// pipeline.Dashboard in a grid that adapts to its size (one column below
// 100 cells, two below 160, three from 160 on) and draws each tile from its
// pipeline.TileData: a KPI as a big value with its change against the
// previous period (green or red, with an arrow), a chart with tui/chart, a
// table as a small table. Every tile loads on its own, through a tea.Cmd
// calling the Loader its owner gives (the Analyst view passes
// Backend.Tile); Refresh loads them all again, on a key or after a run.
package dash

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/chart"
)

// Loader evaluates one tile of the dashboard (its index in the
// definition's Tiles).
type Loader func(ctx context.Context, tile int) (*pipeline.TileData, error)

// TileMsg carries one tile's data (or error) back to the dashboard that
// asked for it: ID is the dashboard's, Gen the refresh it belongs to (an
// older refresh's answer is dropped).
type TileMsg struct {
	ID   int
	Gen  int
	Tile int
	Data *pipeline.TileData
	Err  error
}

// KeyMap are the dashboard's keys.
type KeyMap struct {
	Refresh  key.Binding
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
}

// DefaultKeyMap returns the default keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Refresh:  key.NewBinding(key.WithKeys("R", "f5"), key.WithHelp("R", "refresh tiles")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Refresh, k.Down, k.Up} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Refresh}, {k.Up, k.Down, k.PageUp, k.PageDown}}
}

// Styles is how the dashboard looks; the TUI builds it from its theme.
type Styles struct {
	Tile    lipgloss.Style // a tile's border
	Focused lipgloss.Style // the border of a focused dashboard's tiles
	Title   lipgloss.Style
	Value   lipgloss.Style // a KPI's value
	Good    lipgloss.Style // a change the good way
	Bad     lipgloss.Style // a change the bad way
	Muted   lipgloss.Style
	Error   lipgloss.Style
	Header  lipgloss.Style // a table's header
	Chart   chart.Styles
}

// DefaultStyles are plain styles, for tests and callers without a theme.
func DefaultStyles() Styles {
	// A column of padding keeps a bar's value and a KPI off the border.
	border := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("8")).Padding(0, 1)
	return Styles{
		Tile:    border,
		Focused: border.BorderForeground(lipgloss.Color("12")),
		Title:   lipgloss.NewStyle().Bold(true),
		Value:   lipgloss.NewStyle().Bold(true),
		Good:    lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		Bad:     lipgloss.NewStyle().Foreground(lipgloss.Color("1")),
		Muted:   lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		Error:   lipgloss.NewStyle().Foreground(lipgloss.Color("1")),
		Header:  lipgloss.NewStyle().Bold(true),
		Chart:   chart.DefaultStyles(),
	}
}

// Options are the dashboard's keys and styles; zero values take the
// defaults.
type Options struct {
	KeyMap *KeyMap
	Styles *Styles
}

// tile is one tile's state.
type tile struct {
	def     pipeline.Tile
	data    *pipeline.TileData
	err     error
	loading bool
}

// lastID and lastGen number dashboards and refreshes, never reusing one.
var lastID, lastGen atomic.Int64

// Model is the dashboard component.
type Model struct {
	id      int
	def     pipeline.Dashboard
	load    Loader
	tiles   []tile
	gen     int
	cancel  context.CancelFunc
	width   int
	height  int
	offset  int // the first grid row shown
	focused bool
	keys    KeyMap
	styles  Styles
}

// New returns a dashboard of def whose tiles load through load. Nothing
// loads until Init or Refresh.
func New(def pipeline.Dashboard, load Loader, opts Options) Model {
	m := Model{id: int(lastID.Add(1)), def: def, load: load, keys: DefaultKeyMap(), styles: DefaultStyles()}
	if opts.KeyMap != nil {
		m.keys = *opts.KeyMap
	}
	if opts.Styles != nil {
		m.styles = *opts.Styles
	}
	for _, t := range def.Tiles {
		m.tiles = append(m.tiles, tile{def: t})
	}
	return m
}

// ID is the dashboard's identity in the TileMsgs it receives.
func (m Model) ID() int { return m.id }

// Definition is the dashboard drawn.
func (m Model) Definition() pipeline.Dashboard { return m.def }

// KeyMap returns the dashboard's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// Focus lets the dashboard take keys.
func (m *Model) Focus() { m.focused = true }

// Blur stops the dashboard taking keys.
func (m *Model) Blur() { m.focused = false }

// Focused reports whether the dashboard takes keys.
func (m Model) Focused() bool { return m.focused }

// SetSize sets the cells View fills. A height of 0 draws every tile, as
// tall as they need (for printing).
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.clampOffset()
}

// Init loads every tile.
func (m *Model) Init() tea.Cmd { return m.Refresh() }

// Refresh loads every tile again, each in its own command; answers to an
// earlier refresh still on their way are dropped (and their queries
// canceled).
func (m *Model) Refresh() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	if m.load == nil || len(m.tiles) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.gen = int(lastGen.Add(1))
	cmds := make([]tea.Cmd, len(m.tiles))
	for i := range m.tiles {
		m.tiles[i].loading = true
		cmds[i] = loadTile(ctx, m.load, m.id, m.gen, i)
	}
	return tea.Batch(cmds...)
}

// loadTile is the command that evaluates one tile, built from values.
func loadTile(ctx context.Context, load Loader, id, gen, i int) tea.Cmd {
	return func() tea.Msg {
		d, err := load(ctx, i)
		return TileMsg{ID: id, Gen: gen, Tile: i, Data: d, Err: err}
	}
}

// SetTile sets a tile's data or error directly (the CLI evaluates the tiles
// itself before printing).
func (m *Model) SetTile(i int, d *pipeline.TileData, err error) {
	if i < 0 || i >= len(m.tiles) {
		return
	}
	m.tiles[i].data, m.tiles[i].err, m.tiles[i].loading = d, err, false
}

// Loading is how many tiles are still loading.
func (m Model) Loading() int {
	n := 0
	for _, t := range m.tiles {
		if t.loading {
			n++
		}
	}
	return n
}

// Tile returns a tile's data and error, as last loaded.
func (m Model) Tile(i int) (*pipeline.TileData, error) {
	if i < 0 || i >= len(m.tiles) {
		return nil, nil
	}
	return m.tiles[i].data, m.tiles[i].err
}

// Update takes a tile's answer, and keys while focused.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case TileMsg:
		// An older refresh's answer is dropped. A newer one is taken: the
		// refresh was made on a copy of this model (an Init called on a
		// value), and refreshes are numbered across all dashboards, so a
		// newer number is this dashboard's latest.
		if msg.ID == m.id && msg.Gen >= m.gen {
			if msg.Gen > m.gen {
				m.gen = msg.Gen
				for i := range m.tiles {
					m.tiles[i].loading = true
				}
			}
			m.SetTile(msg.Tile, msg.Data, msg.Err)
		}
	case tea.KeyMsg:
		if !m.focused {
			return m, nil
		}
		switch {
		case key.Matches(msg, m.keys.Refresh):
			return m, m.Refresh()
		case key.Matches(msg, m.keys.Down):
			m.offset++
		case key.Matches(msg, m.keys.Up):
			m.offset--
		case key.Matches(msg, m.keys.PageDown):
			m.offset += max(1, len(m.rows())/2)
		case key.Matches(msg, m.keys.PageUp):
			m.offset -= max(1, len(m.rows())/2)
		}
		m.clampOffset()
	}
	return m, nil
}

func (m *Model) clampOffset() {
	m.offset = max(0, min(m.offset, len(m.rows())-1))
}

// Columns is how many tiles fit side by side at a width.
func Columns(width int) int {
	switch {
	case width >= 160:
		return 3
	case width >= 100:
		return 2
	}
	return 1
}

// cell is a tile placed in the grid: its index and its width in cells.
type cell struct{ tile, width int }

// kpiWidth is the least width of a KPI tile: its value and change fit.
const kpiWidth = 26

// units are how many tiles of width 1 a row holds: Columns for charts and
// tables, as many as fit at kpiWidth for KPIs (a KPI is small).
func (m Model) units(kpi bool) int {
	if kpi {
		return max(1, min(6, m.width/kpiWidth))
	}
	return Columns(m.width)
}

// span is how many units of its row a tile takes: its width hint, at
// least 1, at most the row's units.
func (m Model) span(t tile) int {
	return min(max(1, t.def.Width), m.units(kindOf(t) == pipeline.TileKPI))
}

// rows lays the tiles out: in order, each taking its span, a new row when
// the next one does not fit or is a KPI after other tiles or the reverse
// (KPIs keep to rows of their own, as tall as a KPI). A full row's tiles,
// and a row of KPIs, share the whole width in proportion to their spans
// (the last takes what division leaves); another row left short keeps the
// widths a full one would give.
func (m Model) rows() [][]cell {
	var rows [][]cell
	var spans []int
	var cur []cell
	used, units := 0, 1
	flush := func() {
		if len(cur) == 0 {
			return
		}
		full := used == units
		if kindOf(m.tiles[cur[0].tile]) == pipeline.TileKPI {
			units, full = used, true // KPIs share their row's width
		}
		left := m.width
		for i := range cur {
			w := m.width * spans[i] / units
			if full && i == len(cur)-1 {
				w = left
			}
			cur[i].width = w
			left -= w
		}
		rows = append(rows, cur)
		cur, spans, used = nil, nil, 0
	}
	for i, t := range m.tiles {
		kpi := kindOf(t) == pipeline.TileKPI
		if len(cur) > 0 && (kindOf(m.tiles[cur[0].tile]) == pipeline.TileKPI) != kpi {
			flush()
		}
		units = m.units(kpi)
		span := m.span(t)
		if used+span > units {
			flush()
		}
		cur = append(cur, cell{tile: i})
		spans = append(spans, span)
		used += span
	}
	flush()
	return rows
}

// bigKPIs reports whether KPI values are drawn three rows tall: when the
// dashboard is printed (height 0) or has 40 rows or more.
func (m Model) bigKPIs() bool { return m.height == 0 || m.height >= 40 }

// minRowHeight is the least a row is shrunk to, to show it in what is left.
const minRowHeight = 8

// rowHeight is how tall a grid row is: its tallest tile's wish, each kind
// wishing for what it draws well, shrunk to the height when the height is
// small.
func (m Model) rowHeight(row []cell) int {
	h := 0
	for _, c := range row {
		t := m.tiles[c.tile]
		want := 0
		switch kindOf(t) {
		case pipeline.TileKPI:
			want = 5 // border, title, value, change
			if m.bigKPIs() {
				want = 7 // the value three rows tall
			}
		case pipeline.TileTable:
			n := 3
			if t.data != nil {
				n = min(len(t.data.Rows), 10) + 1
			}
			want = n + 3
		default:
			want = 12
			if m.height >= 40 {
				want = 16
			}
			if t.data != nil && t.data.Chart == "bar" {
				// A bar a line, with the border, title and caption.
				want = min(want, max(minRowHeight, len(t.data.Rows)+4))
			}
		}
		h = max(h, want)
	}
	if m.height > 0 {
		h = min(h, max(5, m.height))
	}
	return h
}

// charts says whether a grid row holds a chart, which can use any height.
func (m Model) charts(row []cell) bool {
	for _, c := range row {
		if k := kindOf(m.tiles[c.tile]); k != pipeline.TileKPI && k != pipeline.TileTable {
			return true
		}
	}
	return false
}

func kindOf(t tile) string {
	if t.data != nil && t.data.Kind != "" {
		return t.data.Kind
	}
	return t.def.KindName()
}

// View draws the grid in exactly the size set (or as tall as the tiles
// need when the height is 0), from the scrolled-to row; "↓ more" marks
// rows below.
func (m Model) View() string {
	if m.width <= 0 {
		return ""
	}
	if len(m.tiles) == 0 {
		return m.fill([]string{m.styles.Muted.Render("this dashboard has no tiles")})
	}
	rows := m.rows()
	var lines []string
	for r := m.offset; r < len(rows); r++ {
		h := m.rowHeight(rows[r])
		if left := m.height - len(lines) - 1; m.height > 0 && h > left && r < len(rows)-1 && left >= minRowHeight {
			h = left // shrunk to fit, above the line that says more follow
		}
		if m.height > 0 && r < len(rows)-1 && m.charts(rows[r]) {
			// A chart grows into the lines the next row cannot use, so
			// the line saying more rows follow ends the screen, not
			// blank lines.
			if room := m.height - len(lines) - 1; h < room && room-h < minRowHeight {
				h = room
			}
		}
		if m.height > 0 && len(lines)+h > m.height && len(lines) > 0 {
			more := fmt.Sprintf("↓ %s of tiles (%s)", pipeline.Plural(len(rows)-r, "more row"), m.keys.Down.Help().Key)
			if len(lines) >= m.height {
				lines = lines[:m.height-1]
			}
			lines = append(lines, m.styles.Muted.Render(more))
			break
		}
		parts := make([]string, len(rows[r]))
		for i, c := range rows[r] {
			parts[i] = m.drawTile(c.tile, c.width, h)
		}
		lines = append(lines, strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, parts...), "\n")...)
	}
	return m.fill(lines)
}

// fill pads or cuts lines to the size set.
func (m Model) fill(lines []string) string {
	if m.height > 0 {
		for len(lines) < m.height {
			lines = append(lines, "")
		}
		lines = lines[:m.height]
	}
	for i, l := range lines {
		lines[i] = pad(l, m.width)
	}
	return strings.Join(lines, "\n")
}

// pad cuts or pads a line to exactly width cells.
func pad(s string, width int) string {
	s = ansi.Truncate(s, width, "…")
	if n := ansi.StringWidth(s); n < width {
		s += strings.Repeat(" ", width-n)
	}
	return s
}
