package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/tui/editor"
)

type root struct {
	ed   editor.Model
	last string
	w, h int
}

func (r root) Init() tea.Cmd { return nil }
func (r root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.w, r.h = msg.Width, msg.Height
		r.ed.SetSize(msg.Width, msg.Height-1)
		return r, nil
	case tea.KeyMsg:
		if msg.String() == "ctrl+c" {
			return r, tea.Quit
		}
	case editor.RunMsg:
		var parts []string
		for _, s := range msg.Statements {
			parts = append(parts, fmt.Sprintf("[%d:%d] %q", s.Start, s.End, s.SQL))
		}
		r.last = "RUN " + strings.Join(parts, " ")
		return r, nil
	case editor.BlurMsg:
		r.last = "BLUR"
		r.ed.Blur()
		return r, nil
	}
	var cmd tea.Cmd
	r.ed, cmd = r.ed.Update(msg)
	return r, cmd
}
func (r root) View() string {
	l := r.last
	if len(l) > r.w {
		l = l[:r.w]
	}
	return r.ed.View() + "\n" + l
}

func main() {
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		panic(err)
	}
	lh.Exec(ctx, "CREATE TABLE gold.orders (order_id INTEGER, amount DECIMAL(10,2), ordered_at DATE)")
	complete := func(ctx context.Context, before string) ([]lakehouse.Suggestion, error) {
		res, err := lh.Query(ctx, "SELECT suggestion, suggestion_type FROM sql_auto_complete("+lakehouse.QuoteString(before)+") LIMIT 20")
		if err != nil {
			return nil, err
		}
		var out []lakehouse.Suggestion
		for _, r := range res.Rows {
			out = append(out, lakehouse.Suggestion{Text: r[0].(string), Kind: r[1].(string)})
		}
		return out, nil
	}
	ed := editor.New(editor.Options{Complete: complete, Dir: os.TempDir()})
	ed.Focus()
	if _, err := tea.NewProgram(root{ed: ed}, tea.WithAltScreen()).Run(); err != nil {
		fmt.Println(err)
	}
}
