package chart

import (
	"fmt"
	"strconv"
)

// Confusion is a confusion matrix: actual classes down, predicted classes
// across, the counts in the cells and, when there is room, each class's
// recall at the end of its row.
type Confusion struct {
	styles  Styles
	width   int
	height  int
	classes []string
	counts  [][]int64
	// Empty is what a matrix without counts says.
	Empty string
}

// NewConfusion returns an empty confusion matrix.
func NewConfusion(st Styles) *Confusion { return &Confusion{styles: st, Empty: "no confusion matrix"} }

// SetSize sets the cells View fills.
func (c *Confusion) SetSize(width, height int) { c.width, c.height = max(0, width), max(0, height) }

// SetCounts sets the classes and the counts, counts[actual][predicted].
func (c *Confusion) SetCounts(classes []string, counts [][]int64) {
	c.classes, c.counts = classes, counts
}

// View draws the matrix in exactly the size set; classes that do not fit
// are left out with "…".
func (c *Confusion) View() string {
	w, h := c.width, c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	n := len(c.classes)
	if n == 0 || len(c.counts) < n {
		return block([]string{c.styles.Muted.Render(c.Empty)}, w, h)
	}
	st := c.styles
	labelW := len("actual")
	nameW, digits := 0, 1
	for i, cl := range c.classes {
		labelW = max(labelW, len([]rune(cl)))
		nameW = max(nameW, len([]rune(cl)))
		for _, v := range c.counts[i] {
			digits = max(digits, len(strconv.FormatInt(v, 10)))
		}
	}
	labelW = min(labelW, max(6, w/3))
	// Cells as wide as the longest name, cut down to the counts' width
	// when that lets every column fit.
	cellW := max(digits, min(nameW, 12)) + 1
	if labelW+n*cellW > w {
		cellW = max(digits+1, min(cellW, (w-labelW)/n))
	}
	// The columns that fit, and the recall column when all do with room
	// to spare.
	cols := min(n, max(1, (w-labelW)/cellW))
	recall := cols == n && w-labelW-cols*cellW >= 8
	lines := []string{fit("", labelW) + st.Muted.Render(fit(" predicted", w-labelW))}
	head := st.Muted.Render(fit("actual", labelW))
	for j := range cols {
		head += st.Header.Render(pad(fit(c.classes[j], cellW-1), cellW))
	}
	if cols < n {
		head += st.Muted.Render(" …")
	}
	if recall {
		head += st.Muted.Render(pad("recall", 8))
	}
	lines = append(lines, head)
	rows := n
	if n+2 > h {
		rows = max(0, h-3)
	}
	for i := range rows {
		line := st.Header.Render(fit(c.classes[i], labelW))
		var total int64
		for _, v := range c.counts[i] {
			total += v
		}
		for j := range cols {
			var v int64
			if j < len(c.counts[i]) {
				v = c.counts[i][j]
			}
			cell := pad(strconv.FormatInt(v, 10), cellW)
			if i == j {
				cell = st.Hit.Render(cell)
			}
			line += cell
		}
		if cols < n {
			line += st.Muted.Render(" …")
		}
		if recall && i < len(c.counts[i]) {
			r := "—"
			if total > 0 {
				r = fmt.Sprintf("%.1f%%", 100*float64(c.counts[i][i])/float64(total))
			}
			line += st.Muted.Render(pad(r, 8))
		}
		lines = append(lines, line)
	}
	if rows < n {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d more classes", n-rows)))
	}
	return block(lines, w, h)
}
