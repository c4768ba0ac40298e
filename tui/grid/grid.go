// Package grid is the results grid: a component, as bubbles' are, that
// pages over a result of any size (a grid.Source, which *lakehouse.Live
// satisfies). It holds a small window of pages around what is on screen,
// fetching each in a tea.Cmd and evicting the farthest, so a 10M-row
// result opens at once and scrolls to any row without being loaded whole.
// It formats every DuckDB type (numbers right-aligned with thousands
// separators and their exact digits, NULL distinct from an empty string),
// scrolls columns horizontally under a frozen header, views a cell in
// full (JSON indented), copies cells, rows and selections to the clipboard
// (OSC 52, as TSV), and asks its owner to sort or filter (SortMsg,
// FilterMsg): the owner re-queries DuckDB and calls SetSource.
package grid

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/lakehouse"
)

// Source is a result the grid pages over. Page returns at most limit rows
// from offset (fewer at the end); every call must read the same rows of
// one execution. Count is how many rows are known and whether that is
// all; Held is how many rows the source itself holds in memory. All are
// called from commands, never from Update or View, and Page may be called
// from several at once (the screen's pages, and one canceled as the user
// jumps away).
type Source interface {
	Columns() []lakehouse.Column
	Count() (rows int64, done bool)
	Page(ctx context.Context, offset, limit int64) (*lakehouse.Result, error)
	Held() int64
}

// Previewer is a Source that may have a preview of its first page while
// its execution still sorts (*lakehouse.Live with a preview): the grid
// shows the preview at once, labelled "preview · sorting…", and only as
// the first page, until Page gives that page; PreviewMatch then says
// whether the two agree, and the grid says so when they do not.
type Previewer interface {
	// Preview is the preview of the first page, nil when there is none
	// (or the first page is in already).
	Preview() *lakehouse.Result
	// PreviewMatch says whether the preview equals the first page;
	// checked is false while either is missing.
	PreviewMatch() (checked, equal bool)
}

// SortMsg asks the grid's owner to sort the result by a column (an index
// into Columns): it re-queries DuckDB, calls SetSource with the sorted
// result, then SetSort to show the arrow.
type SortMsg struct {
	Column int
	Desc   bool
}

// FilterMsg asks the grid's owner to keep the rows where an SQL boolean
// expression over the result's columns holds ("" clears the filter); it
// calls SetSource with the filtered result, then SetFilter.
type FilterMsg struct {
	Where string
}

// Options tune a grid; zero values take the defaults.
type Options struct {
	// PageSize is how many rows one fetch reads (0: 200).
	PageSize int64
	// Pages is how many pages the grid keeps (0: 5); it keeps more only
	// when the screen itself needs more.
	Pages int
	// MaxWidth caps a column's width in cells (0: 40).
	MaxWidth int
	// CountEvery is how often the row count is read while the source is
	// still running (0: 250ms; negative: never, only with pages and when
	// a source with a Wait method ends).
	CountEvery time.Duration
	// Clipboard is where the OSC 52 sequence is written: the program's
	// output (nil: os.Stdout).
	Clipboard io.Writer
	// MaxCopyRows caps the rows of a copied selection (0: 10,000).
	MaxCopyRows int64
	// FreezeFirst keeps the first column in place when scrolling right.
	FreezeFirst bool
}

func (o Options) withDefaults() Options {
	if o.PageSize <= 0 {
		o.PageSize = 200
	}
	if o.Pages <= 0 {
		o.Pages = 5
	}
	if o.MaxWidth <= 0 {
		o.MaxWidth = 40
	}
	if o.CountEvery == 0 {
		o.CountEvery = 250 * time.Millisecond
	}
	if o.Clipboard == nil {
		o.Clipboard = os.Stdout
	}
	if o.MaxCopyRows <= 0 {
		o.MaxCopyRows = 10_000
	}
	return o
}

// prompt is what the footer's text input is asking for.
type prompt int

const (
	promptNone prompt = iota
	promptGoto
	promptFilter
)

// page is a cached page of rows.
type page struct {
	rows [][]any
	// cells are the rows formatted once, cut to MaxWidth: View draws
	// them without formatting a value again.
	cells [][]cell
	used  uint64
}

// request is a page fetch in flight.
type request struct {
	seq    uint64
	cancel context.CancelFunc
}

// pageMsg is a page's answer. grid, gen and seq tell which grid, source
// and request it answers: an answer of another source, or of a request
// since replaced or dropped, is stale and dropped.
type pageMsg struct {
	grid, gen, seq uint64
	page           int64
	res            *lakehouse.Result
	err            error
	count          int64
	done           bool
	held           int64
	// checked and equal are the source's PreviewMatch, for page 0.
	checked, equal bool
}

// countMsg is the source's row count, read while it still runs.
type countMsg struct {
	grid, gen   uint64
	count, held int64
	done        bool
}

// copyMsg carries a selection's rows, read from the source, to copy.
type copyMsg struct {
	grid uint64
	text string
	rows int
	cols int
	err  error
}

var lastID atomic.Uint64

// Model is the grid. Its zero value is not usable: call New.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	id   uint64
	opts Options

	src     Source
	cols    []lakehouse.Column
	numeric []bool
	widths  []int
	// fracs is each column's widest decimal part (the point and the
	// digits after it): numbers are padded on the right to it, so their
	// points line up, as a spreadsheet aligns them.
	fracs []int
	// wholes is each column's widest number before its decimal part.
	wholes []int
	gen    uint64
	seq    uint64
	pages  map[int64]*page
	// preview stands in for page 0 until it is read (see Previewer).
	preview *page
	pending map[int64]request
	failed  map[int64]error
	used    uint64
	// stopWait cancels the command waiting for the source's end.
	stopWait context.CancelFunc

	count, srcHeld int64
	done           bool

	row, top  int64
	col, left int

	width, height int
	focused       bool
	freeze        bool

	sorted   bool
	sortCol  int
	sortDesc bool
	filter   string

	selecting  bool
	anchorRow  int64
	anchorCol  int
	prompt     prompt
	input      textinput.Model
	viewer     *viewer
	flash      string
	flashError bool
}

// New returns an empty grid; SetSource gives it a result.
func New(opts Options) Model {
	in := textinput.New()
	in.Cursor.SetMode(cursor.CursorStatic)
	opts = opts.withDefaults()
	return Model{
		KeyMap:  DefaultKeyMap(),
		Styles:  DefaultStyles(),
		id:      lastID.Add(1),
		opts:    opts,
		pages:   map[int64]*page{},
		pending: map[int64]request{},
		failed:  map[int64]error{},
		freeze:  opts.FreezeFirst,
		input:   in,
		focused: true,
	}
}

// SetSource shows a new result from its first row, dropping the pages of
// the last one (answers still in flight for it are dropped when they
// come), and returns the commands fetching what the screen shows. The
// sort arrow and filter shown are cleared: see SetSort and SetFilter.
// The cursor stays in its column when the new result has as many.
func (m *Model) SetSource(src Source) tea.Cmd {
	m.dropPages()
	m.gen++
	m.src = src
	m.cols = nil
	if src != nil {
		m.cols = src.Columns()
	}
	m.numeric = make([]bool, len(m.cols))
	m.widths = make([]int, len(m.cols))
	m.fracs = make([]int, len(m.cols))
	m.wholes = make([]int, len(m.cols))
	for i, c := range m.cols {
		m.numeric[i] = lakehouse.IsNumericType(c.Type)
	}
	m.count, m.done, m.srcHeld = 0, false, 0
	m.row, m.top = 0, 0
	if m.col >= len(m.cols) {
		m.col, m.left = 0, 0
	}
	m.sorted, m.filter = false, ""
	m.selecting, m.viewer, m.prompt = false, nil, promptNone
	m.flash, m.flashError = "", false
	m.fitWidths()
	if src == nil {
		m.done = true
		return nil
	}
	if p, ok := src.(Previewer); ok {
		if r := p.Preview(); r != nil && len(r.Rows) > 0 {
			rows := r.Rows[:min(int64(len(r.Rows)), m.opts.PageSize)]
			m.preview = &page{rows: rows, cells: m.format(rows)}
			m.count = int64(len(rows))
		}
	}
	return tea.Batch(m.ensure(), m.countCmd(0), m.waitCmd())
}

// waiter is a source that says when it has ended (*lakehouse.Live).
type waiter interface {
	Wait(ctx context.Context) error
}

// waitCmd reads the final count when a source that can say so ends.
func (m *Model) waitCmd() tea.Cmd {
	w, ok := m.src.(waiter)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopWait = cancel
	src, id, gen := m.src, m.id, m.gen
	return func() tea.Msg {
		if w.Wait(ctx) != nil && ctx.Err() != nil {
			return nil
		}
		n, done := src.Count()
		return countMsg{grid: id, gen: gen, count: n, done: done, held: src.Held()}
	}
}

// dropPages cancels every fetch in flight and forgets every page.
func (m *Model) dropPages() {
	if m.stopWait != nil {
		m.stopWait()
		m.stopWait = nil
	}
	for _, r := range m.pending {
		r.cancel()
	}
	clear(m.pending)
	clear(m.pages)
	clear(m.failed)
	m.preview = nil
}

// Close cancels the fetches in flight; the grid's owner closes the source.
func (m *Model) Close() { m.dropPages() }

// SetSort shows a sort arrow on a column (the result SetSource was just
// given is sorted by it); a column out of range clears it.
func (m *Model) SetSort(column int, desc bool) {
	m.sorted = column >= 0 && column < len(m.cols)
	m.sortCol, m.sortDesc = column, desc
	m.fitWidths()
}

// SetFilter shows the filter the result SetSource was just given has.
func (m *Model) SetFilter(where string) { m.filter = where }

// SetSize sets the grid's size in cells; View draws exactly that.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
	m.input.Width = max(m.width-lenPrompt-1, 1)
	if m.viewer != nil {
		m.viewer.setSize(m.width, m.height)
	}
	m.clampTop()
	m.fitLeft()
}

// Flash shows a message in the footer until the next key: the owner's
// word on a sort or filter that failed, say.
func (m *Model) Flash(msg string, isErr bool) { m.setFlash(msg, isErr) }

// Focus lets the grid take keys; Blur stops it.
func (m *Model) Focus() { m.focused = true }

// Blur stops the grid taking keys.
func (m *Model) Blur() { m.focused = false }

// Focused reports whether the grid takes keys.
func (m Model) Focused() bool { return m.focused }

// Cursor is the row (from 0) and column the cursor is on.
func (m Model) Cursor() (row int64, col int) { return m.row, m.col }

// Count is the row count the grid shows, and whether it is final.
func (m Model) Count() (int64, bool) { return m.count, m.done }

// HeldRows is how many rows the grid holds in its pages (and preview).
func (m Model) HeldRows() int64 {
	var n int64
	for _, p := range m.pages {
		n += int64(len(p.rows))
	}
	if m.preview != nil {
		n += int64(len(m.preview.rows))
	}
	return n
}

// Previewing reports whether the grid shows a preview of the first page
// (see Previewer).
func (m Model) Previewing() bool { return m.preview != nil }

// Capturing reports whether the grid is taking text (a prompt is open) or
// showing the cell viewer, so its owner passes it every key, esc and q
// included.
func (m Model) Capturing() bool { return m.prompt != promptNone || m.viewer != nil || m.selecting }

// held is the page row i is on, the preview for the first page until
// that page is read.
func (m Model) held(i int64) (*page, bool) {
	p, ok := m.pages[i/m.opts.PageSize]
	if !ok && m.preview != nil && i < m.opts.PageSize {
		return m.preview, true
	}
	return p, ok
}

// cells returns row i formatted, when the grid holds it.
func (m Model) cells(i int64) ([]cell, bool) {
	p, ok := m.held(i)
	if !ok || i < 0 || i%m.opts.PageSize >= int64(len(p.cells)) {
		return nil, false
	}
	return p.cells[i%m.opts.PageSize], true
}

// Row returns row i's values when the grid holds them.
func (m Model) Row(i int64) ([]any, bool) {
	p, ok := m.held(i)
	if !ok || i < 0 {
		return nil, false
	}
	j := i % m.opts.PageSize
	if j >= int64(len(p.rows)) {
		return nil, false
	}
	return p.rows[j], true
}

// bodyHeight is how many rows the screen shows: the header, its rule and
// the footer take three lines.
func (m Model) bodyHeight() int64 { return int64(max(m.height-3, 1)) }

// Update handles keys and the grid's own messages (pages, counts,
// copies); messages of other grids are ignored.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg:
		if msg.grid != m.id {
			return m, nil
		}
		return m, m.gotPage(msg)
	case countMsg:
		if msg.grid != m.id || msg.gen != m.gen {
			return m, nil
		}
		ticking := !m.done
		m.setCount(msg.count, msg.done, msg.held)
		var next tea.Cmd
		if ticking && m.opts.CountEvery > 0 {
			next = m.countCmd(m.opts.CountEvery)
		}
		return m, tea.Batch(m.ensure(), next)
	case copyMsg:
		if msg.grid != m.id {
			return m, nil
		}
		if msg.err != nil {
			m.setFlash(msg.err.Error(), true)
			return m, nil
		}
		return m, clipboard(m.opts.Clipboard, msg.text, msg.rows, msg.cols, m.id)
	case CopiedMsg:
		if msg.grid != m.id {
			return m, nil
		}
		if msg.Err != nil {
			m.setFlash("copy failed: "+msg.Err.Error(), true)
		} else {
			m.setFlash("copied "+plural(msg.Rows, "row")+" × "+plural(msg.Cols, "column")+" (OSC 52)", false)
		}
		return m, nil
	case tea.KeyMsg:
		if !m.focused {
			return m, nil
		}
		return m.key(msg)
	}
	return m, nil
}

// gotPage keeps a page's answer unless it is stale.
func (m *Model) gotPage(msg pageMsg) tea.Cmd {
	r, ok := m.pending[msg.page]
	if msg.gen != m.gen || !ok || r.seq != msg.seq {
		return nil
	}
	delete(m.pending, msg.page)
	r.cancel()
	if msg.page == 0 && m.preview != nil {
		// The first page replaces its preview; they should agree.
		m.preview = nil
		if msg.err == nil && msg.checked && !msg.equal {
			m.setFlash("the sorted first page differs from its preview: shown now is the sorted one", true)
		}
	}
	if msg.err != nil {
		m.failed[msg.page] = msg.err
		m.setFlash(msg.err.Error(), true)
		return nil
	}
	rows := [][]any{}
	if msg.res != nil {
		rows = msg.res.Rows
	}
	m.used++
	m.pages[msg.page] = &page{rows: rows, cells: m.format(rows), used: m.used}
	m.setCount(msg.count, msg.done, msg.held)
	m.evict()
	return m.ensure()
}

// setCount records the source's count, keeping the cursor on a row.
func (m *Model) setCount(n int64, done bool, held int64) {
	if m.done && !done {
		return // read before the end, delivered after it
	}
	if m.preview != nil && !done {
		n = max(n, int64(len(m.preview.rows)))
	}
	m.count, m.done, m.srcHeld = n, done, held
	if m.done && m.row >= m.count {
		m.moveTo(m.count - 1)
	}
}

// countCmd reads the count after a while, until the source is done.
func (m Model) countCmd(after time.Duration) tea.Cmd {
	if m.src == nil || m.done {
		return nil
	}
	src, id, gen := m.src, m.id, m.gen
	read := func() tea.Msg {
		n, done := src.Count()
		return countMsg{grid: id, gen: gen, count: n, done: done, held: src.Held()}
	}
	if after <= 0 {
		return read
	}
	return tea.Tick(after, func(time.Time) tea.Msg { return read() })
}

// wanted are the pages the screen shows and, once the grid holds those,
// one on either side (so the first page on screen is the only read
// before it shows).
func (m Model) wanted() map[int64]bool {
	w := map[int64]bool{}
	if m.src == nil || (m.done && m.count == 0) {
		return w
	}
	size := m.opts.PageSize
	first, last := m.top/size, (m.top+m.bodyHeight()-1)/size
	if m.done {
		last = min(last, (m.count-1)/size)
	}
	held := true
	for p := first; p <= last; p++ {
		w[p] = true
		if _, ok := m.pages[p]; !ok {
			held = false
		}
	}
	if !held {
		return w
	}
	if first > 0 {
		w[first-1] = true
	}
	if (last+1)*size < m.count {
		w[last+1] = true
	}
	return w
}

// ensure cancels fetches of pages no longer wanted (their answers are
// dropped) and starts fetches of wanted pages the grid does not hold.
func (m *Model) ensure() tea.Cmd {
	want := m.wanted()
	for p, r := range m.pending {
		if !want[p] {
			r.cancel()
			delete(m.pending, p)
		}
	}
	for p := range m.failed {
		if !want[p] {
			delete(m.failed, p)
		}
	}
	var cmds []tea.Cmd
	size := m.opts.PageSize
	for p := range want {
		if pg, ok := m.pages[p]; ok {
			m.used++
			pg.used = m.used
			// A short page read while the source ran is read again once
			// more rows are known.
			if n := int64(len(pg.rows)); n == size || p*size+n >= m.count {
				continue
			}
			delete(m.pages, p)
		}
		if _, ok := m.pending[p]; ok || m.failed[p] != nil {
			continue
		}
		cmds = append(cmds, m.fetch(p))
	}
	return tea.Batch(cmds...)
}

// fetch starts reading page p.
func (m *Model) fetch(p int64) tea.Cmd {
	m.seq++
	ctx, cancel := context.WithCancel(context.Background())
	m.pending[p] = request{seq: m.seq, cancel: cancel}
	src, id, gen, seq, size := m.src, m.id, m.gen, m.seq, m.opts.PageSize
	return func() tea.Msg {
		res, err := src.Page(ctx, p*size, size)
		n, done := src.Count()
		msg := pageMsg{grid: id, gen: gen, seq: seq, page: p, res: res, err: err, count: n, done: done, held: src.Held()}
		if pv, ok := src.(Previewer); ok && p == 0 {
			msg.checked, msg.equal = pv.PreviewMatch()
		}
		return msg
	}
}

// evict drops the least recently used pages the screen does not need
// until the grid holds at most Options.Pages.
func (m *Model) evict() {
	if len(m.pages) <= m.opts.Pages {
		return
	}
	want := m.wanted()
	for len(m.pages) > m.opts.Pages {
		victim, oldest := int64(-1), uint64(0)
		for p, pg := range m.pages {
			if want[p] {
				continue
			}
			if victim < 0 || pg.used < oldest {
				victim, oldest = p, pg.used
			}
		}
		if victim < 0 {
			return
		}
		delete(m.pages, victim)
	}
}

// format formats rows for the screen, widening columns to fit them, up
// to MaxWidth.
func (m *Model) format(rows [][]any) [][]cell {
	out := make([][]cell, len(rows))
	for r, row := range rows {
		out[r] = make([]cell, min(len(row), len(m.cols)))
		for i := range out[r] {
			c := formatCell(row[i], m.cols[i].Type)
			w := textWidth(c.text)
			if w > m.opts.MaxWidth {
				c.text = ansi.Truncate(c.text, m.opts.MaxWidth, "…")
				w, c.frac = m.opts.MaxWidth, 0
			}
			if c.kind == kindNumber {
				// The whole part and the widest decimal part side by side.
				m.fracs[i] = max(m.fracs[i], c.frac)
				m.wholes[i] = max(m.wholes[i], w-c.frac)
				w = min(m.wholes[i]+m.fracs[i], m.opts.MaxWidth)
			}
			m.widths[i] = max(m.widths[i], w)
			out[r][i] = c
		}
	}
	m.fitLeft()
	return out
}

// fitWidths makes every column at least as wide as its header.
func (m *Model) fitWidths() {
	for i := range m.cols {
		m.widths[i] = max(m.widths[i], min(textWidth(m.headerText(i)), m.opts.MaxWidth))
	}
	m.fitLeft()
}

func (m *Model) setFlash(s string, isErr bool) { m.flash, m.flashError = s, isErr }

// lastRow is the last row the cursor may reach: the last known.
func (m Model) lastRow() int64 { return max(m.count-1, 0) }

// moveTo puts the cursor on a row, scrolling as little as needed.
func (m *Model) moveTo(row int64) {
	m.row = max(min(row, m.lastRow()), 0)
	h := m.bodyHeight()
	if m.row < m.top {
		m.top = m.row
	}
	if m.row >= m.top+h {
		m.top = m.row - h + 1
	}
	m.clampTop()
}

// clampTop keeps the screen within the rows, the cursor on it.
func (m *Model) clampTop() {
	h := m.bodyHeight()
	m.top = max(min(m.top, m.lastRow()-h+1), 0)
	if m.row >= m.top+h {
		m.top = m.row - h + 1
	}
}

func (m Model) key(msg tea.KeyMsg) (Model, tea.Cmd) {
	if m.viewer != nil {
		return m.viewerKey(msg)
	}
	if m.prompt != promptNone {
		return m.promptKey(msg)
	}
	k := m.KeyMap
	m.flash = ""
	h := m.bodyHeight()
	switch {
	case key.Matches(msg, k.Up):
		m.moveTo(m.row - 1)
	case key.Matches(msg, k.Down):
		m.moveTo(m.row + 1)
	case key.Matches(msg, k.PageUp):
		m.top = max(m.top-h, 0)
		m.moveTo(m.row - h)
	case key.Matches(msg, k.PageDown):
		m.top += h
		m.clampTop()
		m.moveTo(m.row + h)
	case key.Matches(msg, k.Top):
		m.moveTo(0)
	case key.Matches(msg, k.Bottom):
		m.moveTo(m.lastRow())
	case key.Matches(msg, k.Left):
		m.col = max(m.col-1, 0)
		m.fitLeft()
	case key.Matches(msg, k.Right):
		m.col = max(min(m.col+1, len(m.cols)-1), 0)
		m.fitLeft()
	case key.Matches(msg, k.Freeze):
		m.freeze = !m.freeze
		m.fitLeft()
	case key.Matches(msg, k.Goto):
		return m, m.openPrompt(promptGoto, "")
	case key.Matches(msg, k.Filter):
		return m, m.openPrompt(promptFilter, m.filter)
	case key.Matches(msg, k.SortAsc), key.Matches(msg, k.SortDesc):
		if len(m.cols) == 0 {
			return m, nil
		}
		sm := SortMsg{Column: m.col, Desc: key.Matches(msg, k.SortDesc)}
		return m, func() tea.Msg { return sm }
	case key.Matches(msg, k.View):
		m.openViewer()
		return m, nil
	case key.Matches(msg, k.CopyCell):
		if m.selecting {
			m.selecting = false
			return m, m.copyRect(m.selection())
		}
		return m, m.copyRect(m.row, m.row, m.col, m.col)
	case key.Matches(msg, k.CopyRow):
		m.selecting = false
		return m, m.copyRect(m.row, m.row, 0, len(m.cols)-1)
	case key.Matches(msg, k.Select):
		m.selecting = !m.selecting
		m.anchorRow, m.anchorCol = m.row, m.col
		if m.selecting {
			m.setFlash("selecting: move to the opposite corner, y copies, esc cancels", false)
		}
	case key.Matches(msg, k.Back):
		m.selecting = false
	default:
		return m, nil
	}
	m.KeyMap.Back.SetEnabled(m.selecting)
	return m, m.ensure()
}

// selection is the marked rectangle: first and last row and column.
func (m Model) selection() (r0, r1 int64, c0, c1 int) {
	r0, r1 = min(m.row, m.anchorRow), max(m.row, m.anchorRow)
	c0, c1 = min(m.col, m.anchorCol), max(m.col, m.anchorCol)
	return r0, r1, c0, c1
}

// inSelection reports whether a cell is in the marked rectangle.
func (m Model) inSelection(row int64, col int) bool {
	if !m.selecting {
		return false
	}
	r0, r1, c0, c1 := m.selection()
	return row >= r0 && row <= r1 && col >= c0 && col <= c1
}

// copyRect copies a rectangle of cells as TSV: from the pages held when
// it is on screen, else read from the source in a command.
func (m *Model) copyRect(r0, r1 int64, c0, c1 int) tea.Cmd {
	if m.src == nil || len(m.cols) == 0 || m.count == 0 {
		return nil
	}
	if n := r1 - r0 + 1; n > m.opts.MaxCopyRows {
		m.setFlash(plural64(n, "row")+" selected: copy at most "+lakehouse.GroupDigits(strconv.FormatInt(m.opts.MaxCopyRows, 10))+
			", or export the result", true)
		return nil
	}
	cols := make([]lakehouse.Column, len(m.cols))
	copy(cols, m.cols)
	var held [][]any
	for r := r0; r <= r1; r++ {
		row, ok := m.Row(r)
		if !ok {
			held = nil
			break
		}
		held = append(held, row)
	}
	if held != nil {
		text := cellsText(held, cols, c0, c1)
		return clipboard(m.opts.Clipboard, text, len(held), c1-c0+1, m.id)
	}
	src, id, size := m.src, m.id, m.opts.PageSize
	return func() tea.Msg {
		var rows [][]any
		for off := r0; off <= r1; off += size {
			res, err := src.Page(context.Background(), off, min(size, r1-off+1))
			if err != nil {
				return copyMsg{grid: id, err: err}
			}
			rows = append(rows, res.Rows...)
			if int64(len(res.Rows)) < min(size, r1-off+1) {
				break
			}
		}
		return copyMsg{grid: id, text: cellsText(rows, cols, c0, c1), rows: len(rows), cols: c1 - c0 + 1}
	}
}

// cellsText writes columns c0..c1 of rows as TSV.
func cellsText(rows [][]any, cols []lakehouse.Column, c0, c1 int) string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, 0, c1-c0+1)
		for c := c0; c <= c1 && c < len(r); c++ {
			out[i] = append(out[i], plainText(r[c], cols[c].Type))
		}
	}
	return tsv(out)
}

const lenPrompt = len("go to row: ")

// openPrompt opens the footer's text input.
func (m *Model) openPrompt(p prompt, value string) tea.Cmd {
	m.prompt = p
	m.input.Prompt = "go to row: "
	m.input.Placeholder = "row number"
	if p == promptFilter {
		m.input.Prompt = "where: "
		m.input.Placeholder = "an SQL condition on the columns; empty clears"
	}
	m.input.SetValue(value)
	m.input.CursorEnd()
	m.KeyMap.Back.SetEnabled(true)
	return m.input.Focus()
}

func (m Model) promptKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEsc:
		m.closePrompt()
		return m, nil
	case tea.KeyEnter:
		text := strings.TrimSpace(m.input.Value())
		p := m.prompt
		m.closePrompt()
		if p == promptFilter {
			fm := FilterMsg{Where: text}
			return m, func() tea.Msg { return fm }
		}
		return m, m.gotoRow(text)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

func (m *Model) closePrompt() {
	m.prompt = promptNone
	m.input.Blur()
	m.KeyMap.Back.SetEnabled(m.selecting)
}

// gotoRow moves to a row given by its number from 1 (separators allowed).
func (m *Model) gotoRow(text string) tea.Cmd {
	n, err := strconv.ParseInt(strings.NewReplacer(",", "", "_", "", " ", "").Replace(text), 10, 64)
	if err != nil || n < 1 {
		last := lakehouse.GroupDigits(strconv.FormatInt(m.count, 10))
		if !m.done {
			last += " (so far)"
		}
		m.setFlash(strconv.Quote(text)+" is not a row number: type one from 1 to "+last, true)
		return nil
	}
	if n > m.count {
		more := ""
		if !m.done {
			more = " so far"
		}
		m.setFlash("row "+lakehouse.GroupDigits(strconv.FormatInt(n, 10))+" is past the end: "+
			plural64(m.count, "row")+more, true)
	}
	// The row goes to the middle of the screen, its neighbours around it.
	m.top = max(n-1-m.bodyHeight()/2, 0)
	m.moveTo(n - 1)
	return m.ensure()
}

func plural(n int, noun string) string { return plural64(int64(n), noun) }

func plural64(n int64, noun string) string {
	s := lakehouse.GroupDigits(strconv.FormatInt(n, 10)) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
