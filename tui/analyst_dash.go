package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/tui/dash"
)

// boards are the bundle's dashboards for one target, in name order; each
// loads its tiles the first time it is shown, and again after each run.
type boards struct {
	target string
	names  []string
	models []dash.Model
	loaded []bool
	at     int
}

// newBoards lays out the bundle's dashboards on a target; their tiles
// load through Backend.Tile.
func (v *analyst) newBoards() *boards {
	in, st := v.sh.info, v.sh.styles
	bd := &boards{target: v.sh.target}
	keys := dash.DefaultKeyMap()
	keys.Refresh = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh tiles"))
	ds := dash.Styles{Tile: st.Panel, Focused: st.PanelActive, Title: st.Subtitle, Value: st.Title,
		Good: st.Good, Bad: st.Bad, Muted: st.Muted, Error: st.Error, Header: st.Header, Chart: v.chartStyles()}
	for _, name := range in.Dashboards {
		def, ok := in.DashboardDefs[name]
		if !ok {
			continue
		}
		b, target := v.sh.backend, v.sh.target
		load := func(ctx context.Context, tile int) (*pipeline.TileData, error) {
			return b.Tile(ctx, target, name, tile)
		}
		bd.names = append(bd.names, name)
		bd.models = append(bd.models, dash.New(def, load, dash.Options{KeyMap: &keys, Styles: &ds}))
		bd.loaded = append(bd.loaded, false)
	}
	return bd
}

// showBoard loads the shown dashboard's tiles unless they are loaded.
func (bd *boards) show() tea.Cmd {
	if bd.at >= len(bd.models) || bd.loaded[bd.at] {
		return nil
	}
	bd.loaded[bd.at] = true
	return bd.models[bd.at].Refresh()
}

// refresh loads again the tiles of every dashboard shown once.
func (bd *boards) refresh() tea.Cmd {
	var cmds []tea.Cmd
	for i := range bd.models {
		if bd.loaded[i] {
			cmds = append(cmds, bd.models[i].Refresh())
		}
	}
	return tea.Batch(cmds...)
}

// update hands a message (a tile's answer, a key) to the dashboards.
func (bd *boards) update(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i := range bd.models {
		var cmd tea.Cmd
		bd.models[i], cmd = bd.models[i].Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// dashKey switches dashboards, or hands the key to the shown one.
func (v *analyst) dashKey(msg tea.KeyMsg) tea.Cmd {
	bd, k := v.boards, v.keys
	if bd == nil || len(bd.models) == 0 {
		return nil
	}
	switch {
	case key.Matches(msg, k.PrevDash):
		bd.at = (bd.at + len(bd.models) - 1) % len(bd.models)
		return bd.show()
	case key.Matches(msg, k.NextDash):
		bd.at = (bd.at + 1) % len(bd.models)
		return bd.show()
	}
	m := &bd.models[bd.at]
	m.Focus()
	var cmd tea.Cmd
	*m, cmd = m.Update(msg)
	return cmd
}

// dashView draws the shown dashboard, its name and position in the title.
func (v *analyst) dashView(width, height int) string {
	st := v.sh.styles
	fr := v.frame(paneDash)
	inner := width - fr.GetHorizontalFrameSize()
	room := height - fr.GetVerticalFrameSize()
	bd := v.boards
	if bd == nil || len(bd.models) == 0 {
		return panel(fr, "dashboards", wrapped(st.Muted, "no dashboards: add one under resources.dashboards in lakebench.yml", inner), width, height)
	}
	m := &bd.models[bd.at]
	def := m.Definition()
	title := bd.names[bd.at]
	if def.Title != "" {
		title = def.Title
	}
	title = fmt.Sprintf("dashboard %d/%d · %s", bd.at+1, len(bd.models), title)
	if n := m.Loading(); n > 0 {
		title += fmt.Sprintf(" · %s loading %s", v.spin.View(), plural(n, "tile"))
	}
	m.SetSize(inner, room)
	return panel(fr, title, strings.Split(m.View(), "\n"), width, height)
}
