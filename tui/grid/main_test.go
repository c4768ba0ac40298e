package grid

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/muesli/termenv"
)

// The tests share one in-memory lakehouse and one 10M-row result of it.
var (
	testLH  *lakehouse.Lakehouse
	bigOnce sync.Once
	bigRS   *lakehouse.ResultSet
	bigErr  error
)

// bigSQL is a 10M-row query whose r column differs between executions:
// a row shown with the r of the snapshot's own row is of that execution.
const bigSQL = `SELECT i AS id, i % 97 AS k, 'name ' || i AS name, (i / 3)::DECIMAL(18,2) AS amount,
	random() AS r FROM range(10000000) t(i)`

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(func() int {
		lh, err := lakehouse.Open(context.Background(), "", lakehouse.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		testLH = lh
		defer lh.Close()
		defer func() {
			if bigRS != nil {
				bigRS.Close()
			}
		}()
		return m.Run()
	}())
}

// bigSource is the shared 10M-row result, taken once.
func bigSource(tb testing.TB) *snapshotSource {
	tb.Helper()
	bigOnce.Do(func() { bigRS, bigErr = testLH.Snapshot(context.Background(), bigSQL) })
	if bigErr != nil {
		tb.Fatal(bigErr)
	}
	return &snapshotSource{rs: bigRS}
}

// snapshotSource adapts a lakehouse.ResultSet (one execution, numbered)
// to a Source, counting its Page calls. Its rows live in DuckDB: Go holds
// none.
type snapshotSource struct {
	// mu serializes Page: a ResultSet reads on one connection.
	mu    sync.Mutex
	rs    *lakehouse.ResultSet
	pages atomic.Int64
	// first is the offset of the first Page call.
	first atomic.Int64
	// ignoreCtx reads pages even when the grid canceled the request, so a
	// stale answer carries real rows.
	ignoreCtx bool
}

func (s *snapshotSource) Columns() []lakehouse.Column { return s.rs.Columns() }
func (s *snapshotSource) Count() (int64, bool)        { return s.rs.Rows(), true }
func (s *snapshotSource) Held() int64                 { return 0 }
func (s *snapshotSource) Page(ctx context.Context, offset, limit int64) (*lakehouse.Result, error) {
	if s.pages.Add(1) == 1 {
		s.first.Store(offset)
	}
	if s.ignoreCtx {
		ctx = context.Background()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rs.Page(ctx, offset, limit)
}

// snapshot runs a query once into a source.
func snapshot(tb testing.TB, q string) *snapshotSource {
	tb.Helper()
	rs, err := testLH.Snapshot(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rs.Close() })
	return &snapshotSource{rs: rs}
}

// streamed runs a query once with lakehouse.Stream, which keeps DECIMALs
// exact (duckdb.Decimal) as a live result does, into a source over its
// rows.
func streamed(tb testing.TB, q string) *memSource {
	tb.Helper()
	src := &memSource{}
	err := testLH.Stream(context.Background(), q, 1000, func(r *lakehouse.Result) error {
		src.cols = r.Columns
		src.rows = append(src.rows, r.Rows...)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return src
}

// memSource is a result held in Go, as DuckDB returned it.
type memSource struct {
	cols []lakehouse.Column
	rows [][]any
}

func (s *memSource) Columns() []lakehouse.Column { return s.cols }
func (s *memSource) Count() (int64, bool)        { return int64(len(s.rows)), true }
func (s *memSource) Held() int64                 { return int64(len(s.rows)) }
func (s *memSource) Page(_ context.Context, offset, limit int64) (*lakehouse.Result, error) {
	end := min(offset+limit, int64(len(s.rows)))
	offset = min(offset, end)
	return &lakehouse.Result{Columns: s.cols, Rows: s.rows[offset:end], Offset: offset}, nil
}

// pump runs cmd and every command its messages lead to, in order, feeding
// the grid; it returns the messages meant for the grid's owner.
func pump(tb testing.TB, m Model, cmd tea.Cmd) (Model, []tea.Msg) {
	tb.Helper()
	var out []tea.Msg
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case SortMsg, FilterMsg:
			out = append(out, msg)
		default:
			var next tea.Cmd
			m, next = m.Update(msg)
			queue = append(queue, next)
		}
	}
	return m, out
}

// collect runs cmd's batch without feeding the grid: the messages it
// would get.
func collect(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, collect(c)...)
		}
		return out
	default:
		return []tea.Msg{msg}
	}
}

// press sends keys to the grid, running what they start.
func press(tb testing.TB, m Model, keys ...string) (Model, []tea.Msg) {
	tb.Helper()
	var out []tea.Msg
	for _, k := range keys {
		var cmd tea.Cmd
		m, cmd = m.Update(keyMsg(k))
		var msgs []tea.Msg
		m, msgs = pump(tb, m, cmd)
		out = append(out, msgs...)
	}
	return m, out
}

// keyMsg builds the tea.KeyMsg a terminal sends for a key name.
func keyMsg(k string) tea.KeyMsg {
	names := map[string]tea.KeyType{
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"ctrl+home": tea.KeyCtrlHome, "ctrl+end": tea.KeyCtrlEnd, "enter": tea.KeyEnter, "esc": tea.KeyEsc,
		"backspace": tea.KeyBackspace,
	}
	if t, ok := names[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// typeText types text into an open prompt.
func typeText(tb testing.TB, m Model, text string) Model {
	for _, r := range text {
		m, _ = press(tb, m, string(r))
	}
	return m
}

// open makes a grid of a size over src and loads what it shows.
func open(tb testing.TB, src Source, w, h int, opts Options) Model {
	tb.Helper()
	m := New(opts)
	m.SetSize(w, h)
	cmd := m.SetSource(src)
	m, _ = pump(tb, m, cmd)
	return m
}
