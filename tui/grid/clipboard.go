package grid

import (
	"io"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// CopiedMsg reports a copy to the clipboard: how many rows and columns of
// cells it held, or why it failed.
type CopiedMsg struct {
	Rows, Cols int
	Err        error
	// grid is the grid that copied (0: a caller of Clipboard).
	grid uint64
}

// OSC52 is the escape sequence that asks the terminal to put text on the
// system clipboard (OSC 52, base64, BEL-terminated; tmux passes it on with
// set-clipboard on). Bubble Tea v1 has no helper for it.
func OSC52(text string) string { return ansi.SetSystemClipboard(text) }

// Clipboard returns a command writing OSC52(text) to w in one Write: the
// program's output (os.Stdout, whose writes Bubble Tea's renderer shares
// one lock with, so the sequence never lands inside a frame).
func Clipboard(w io.Writer, text string, rows, cols int) tea.Cmd {
	return clipboard(w, text, rows, cols, 0)
}

func clipboard(w io.Writer, text string, rows, cols int, grid uint64) tea.Cmd {
	seq := OSC52(text)
	return func() tea.Msg {
		if _, err := io.WriteString(w, seq); err != nil {
			return CopiedMsg{Err: err, grid: grid}
		}
		return CopiedMsg{Rows: rows, Cols: cols, grid: grid}
	}
}

// tsv writes rows of cells as tab-separated values: a cell holding a tab,
// a line break or a double quote is quoted, its quotes doubled, as
// spreadsheets read it.
func tsv(rows [][]string) string {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		for j, c := range r {
			if j > 0 {
				b.WriteByte('\t')
			}
			if strings.ContainsAny(c, "\t\n\r\"") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
	}
	return b.String()
}
