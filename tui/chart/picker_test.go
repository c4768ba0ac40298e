package chart

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/lakebench/lakebench/lakehouse"
)

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// pickerColumns are a result's columns as DuckDB names their types.
func pickerColumns(t *testing.T) []lakehouse.Column {
	res := query(t, openDB(t), `select date '2026-01-01' as day, 'north' as region, 12.5::decimal(9,2) as revenue,
		3::bigint as orders, [1] as tags`, false)
	return res.Columns
}

func TestPickerUpdate(t *testing.T) {
	cols := pickerColumns(t)
	start := Auto(cols, nil) // time series of revenue by day
	for _, tt := range []struct {
		name string
		keys []string
		want Spec
		done bool
	}{
		{"kind down is a scatter", []string{"down"}, Spec{Kind: KindScatter, X: 0, Y: 2}, false},
		{"kind up is a line", []string{"up"}, Spec{Kind: KindLine, X: 0, Y: 2}, false},
		{"kind cycles round", []string{"down", "down", "down", "down", "down"}, Spec{Kind: KindTimeSeries, X: 0, Y: 2}, false},
		{"y takes numbers only", []string{"tab", "tab", "down"}, Spec{Kind: KindTimeSeries, X: 0, Y: 3}, false},
		{"y wraps", []string{"tab", "tab", "down", "down"}, Spec{Kind: KindTimeSeries, X: 0, Y: 2}, false},
		{"a bar chart starts on text", []string{"up", "up"}, Spec{Kind: KindBar, X: 1, Y: 2}, false},
		{"a bar chart takes any column on x", []string{"up", "up", "tab", "down"}, Spec{Kind: KindBar, X: 2, Y: 2}, false},
		{"a sparkline may run by row", []string{"down", "down", "tab", "up"}, Spec{Kind: KindSparkline, X: RowNumber, Y: 2}, false},
		{"shift+tab goes back", []string{"tab", "shift+tab", "down"}, Spec{Kind: KindScatter, X: 0, Y: 2}, false},
		{"enter is done", []string{"down", "enter"}, Spec{Kind: KindScatter, X: 0, Y: 2}, true},
		{"a line per region", []string{"tab", "tab", "tab", "down"}, Spec{Kind: KindTimeSeries, X: 0, Y: 2}.SplitBy(1), false},
		{"back to one line", []string{"tab", "tab", "tab", "down", "down"}, Spec{Kind: KindTimeSeries, X: 0, Y: 2}, false},
		{"a bar chart drops the split", []string{"tab", "tab", "tab", "down", "tab", "up", "up"}, Spec{Kind: KindBar, X: 1, Y: 2}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPicker(DefaultStyles(), cols, start)
			var last tea.Msg
			for _, k := range tt.keys {
				var cmd tea.Cmd
				p, cmd = p.Update(keyMsg(k))
				if cmd != nil {
					last = cmd()
				}
			}
			if got := p.Spec(); got != tt.want {
				t.Errorf("after %v: spec %+v, want %+v", tt.keys, got, tt.want)
			}
			msg, ok := last.(PickMsg)
			if !ok || msg.Spec != tt.want || msg.Done != tt.done {
				t.Errorf("after %v: last message %#v, want PickMsg{%+v, Done: %v}", tt.keys, last, tt.want, tt.done)
			}
			if why := fitsX(p.Spec().Kind, cols, p.Spec().X); why != "" {
				t.Errorf("the picker chose an x that does not fit: %s", why)
			}
		})
	}
}

func TestPickerIgnoresKeysWhenBlurred(t *testing.T) {
	cols := pickerColumns(t)
	p := NewPicker(DefaultStyles(), cols, Auto(cols, nil))
	// A time series has one date column to take: x does not change.
	p, _ = p.Update(keyMsg("tab"))
	if p, cmd := p.Update(keyMsg("down")); cmd != nil || p.Spec().X != 0 {
		t.Errorf("x of a time series over one date column: spec %+v, cmd %v, want no change", p.Spec(), cmd)
	}
	p.Blur()
	p, cmd := p.Update(keyMsg("down"))
	if cmd != nil || p.Spec() != Auto(cols, nil) {
		t.Errorf("blurred: spec %+v, cmd %v, want no change", p.Spec(), cmd)
	}
	// Keys it does not know send nothing.
	p.Focus()
	if _, cmd := p.Update(keyMsg("x")); cmd != nil {
		t.Errorf("an unknown key sent %v", cmd())
	}
}

func TestPickerWithoutNumbers(t *testing.T) {
	cols := []lakehouse.Column{{Name: "name", Type: "VARCHAR"}}
	p := NewPicker(DefaultStyles(), cols, Auto(cols, nil))
	p.SetSize(50, 3)
	p, _ = p.Update(keyMsg("down"))
	if p.Spec().Kind != KindNone || !strings.Contains(p.View(), "number column") {
		t.Errorf("no number column: spec %+v, view\n%s\nwant KindNone saying why", p.Spec(), p.View())
	}
}

// TestPickerGolden draws the picker at the sizes a results pane gives it.
func TestPickerGolden(t *testing.T) {
	cols := pickerColumns(t)
	p := NewPicker(DefaultStyles(), cols, Auto(cols, nil))
	p, _ = p.Update(keyMsg("tab"))
	for _, size := range [][2]int{{80, 2}, {40, 1}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			p.SetSize(size[0], size[1])
			out := p.View()
			checkSize(t, out, size[0], size[1])
			golden.RequireEqual(t, out)
		})
	}
}
