package grid

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	_ "github.com/duckdb/duckdb-go/v2" // the reference: DuckDB through database/sql
	"github.com/lakebench/lakebench/lakehouse"
)

// until runs cmd and what follows from it, feeding the grid, until done
// says the grid shows what was asked for.
func until(m Model, cmd tea.Cmd, done func(Model) bool) Model {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 && !done(m) {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			var next tea.Cmd
			m, next = m.Update(msg)
			queue = append(queue, next)
		}
	}
	return m
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkOpen10M times, on a 10M-row result, SetSource to a View that
// shows the first rows, against the source's own first Page call; and G
// (the last row) to a View showing it, against the source's Page of the
// last page. Each pair is measured in the same iteration; the ratios are
// of medians.
func BenchmarkOpen10M(b *testing.B) {
	src := bigSource(b)
	ctx := context.Background()
	const size = 200
	var open, first, last, lastRef []time.Duration
	b.ResetTimer()
	for i := range b.N {
		ref := func() {
			t0 := time.Now()
			if _, err := src.Page(ctx, 0, size); err != nil {
				b.Fatal(err)
			}
			first = append(first, time.Since(t0))
		}
		var m Model
		shown := func() {
			t0 := time.Now()
			m = New(Options{PageSize: size})
			m.SetSize(120, 40)
			m = until(m, m.SetSource(src), func(m Model) bool { _, ok := m.Row(0); return ok })
			v := m.View()
			open = append(open, time.Since(t0))
			if !strings.Contains(v, "name 0") {
				b.Fatalf("no data on screen:\n%s", v)
			}
		}
		refLast := func() {
			t0 := time.Now()
			if _, err := src.Page(ctx, 10_000_000-size, size); err != nil {
				b.Fatal(err)
			}
			lastRef = append(lastRef, time.Since(t0))
		}
		shownLast := func() {
			t0 := time.Now()
			g, cmd := m.Update(keyMsg("G"))
			g = until(g, cmd, func(m Model) bool { _, ok := m.Row(9_999_999); return ok })
			v := g.View()
			last = append(last, time.Since(t0))
			if !strings.Contains(v, "10,000,000") {
				b.Fatalf("the last row is not on screen:\n%s", v)
			}
			g.Close()
		}
		// Each pair runs in turns first, so neither gains from the
		// other's warm caches.
		if i%2 == 0 {
			ref()
			shown()
			refLast()
			shownLast()
		} else {
			shown()
			ref()
			shownLast()
			refLast()
		}
	}
	b.ReportMetric(float64(median(open))/float64(median(first)), "open/page")
	b.ReportMetric(float64(median(last))/float64(median(lastRef)), "last/page")
	b.ReportMetric(float64(median(open).Microseconds())/1000, "open_ms")
	b.ReportMetric(float64(median(first).Microseconds())/1000, "page_ms")
}

// BenchmarkLiveOpen10M times what a user waits for on a 10M-row query run
// as a lakehouse.Live: OpenLive and SetSource to a View with its first
// rows, against OpenLive and Live's own first Page; then, once the result
// is complete, G to the last row on screen against Live's Page of the
// last page. Ratios of medians of pairs measured in the same iteration.
func BenchmarkLiveOpen10M(b *testing.B) {
	ctx := context.Background()
	const size = 200
	var open, first, last, lastRef []time.Duration
	for i := range b.N {
		ref := func() {
			t0 := time.Now()
			l, err := testLH.OpenLive(ctx, liveSQL, lakehouse.LiveOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.Page(ctx, 0, size); err != nil {
				b.Fatal(err)
			}
			first = append(first, time.Since(t0))
			l.Close()
		}
		var m Model
		var l *lakehouse.Live
		shown := func() {
			t0 := time.Now()
			var err error
			l, err = testLH.OpenLive(ctx, liveSQL, lakehouse.LiveOptions{})
			if err != nil {
				b.Fatal(err)
			}
			m = New(Options{PageSize: size, CountEvery: -1})
			m.SetSize(120, 40)
			m = until(m, m.SetSource(l), func(m Model) bool { _, ok := m.Row(0); return ok })
			v := m.View()
			open = append(open, time.Since(t0))
			if !strings.Contains(v, "name 0") {
				b.Fatalf("no data on screen:\n%s", v)
			}
		}
		// Each pair runs in turns first, so neither gains from the
		// other's warm caches.
		if i%2 == 0 {
			ref()
			shown()
		} else {
			shown()
			ref()
		}
		if err := l.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		m, _ = m.Update(countMsg{grid: m.id, gen: m.gen, count: 10_000_000, done: true})
		refLast := func() {
			t0 := time.Now()
			if _, err := l.Page(ctx, 10_000_000-size, size); err != nil {
				b.Fatal(err)
			}
			lastRef = append(lastRef, time.Since(t0))
		}
		shownLast := func() {
			t0 := time.Now()
			g, cmd := m.Update(keyMsg("G"))
			g = until(g, cmd, func(m Model) bool { _, ok := m.Row(9_999_999); return ok })
			v := g.View()
			last = append(last, time.Since(t0))
			if !strings.Contains(v, "10,000,000") {
				b.Fatalf("the last row is not on screen:\n%s", v)
			}
			g.Close()
		}
		if i%2 == 0 {
			refLast()
			shownLast()
		} else {
			shownLast()
			refLast()
		}
		m.Close()
		l.Close()
	}
	b.ReportMetric(float64(median(open))/float64(median(first)), "open/page")
	b.ReportMetric(float64(median(last))/float64(median(lastRef)), "last/page")
	b.ReportMetric(float64(median(open).Microseconds())/1000, "open_ms")
	b.ReportMetric(float64(median(first).Microseconds())/1000, "page_ms")
}

// BenchmarkLiveOpenOrdered10M times what a user waits for on a 10M-row
// query with its own ORDER BY (the Analyst view's `SELECT * FROM
// range(10000000) t(i) ORDER BY i % 7, i DESC`): OpenLive with a preview
// (lakehouse/live_preview.go) and SetSource to a View showing the first
// rows, against DuckDB returning the same query with LIMIT 200 through
// database/sql on an in-memory database of its own. screen/limit is the
// median of the pairs' ratios, measured in the same iteration, in turns
// first (target at most 2).
func BenchmarkLiveOpenOrdered10M(b *testing.B) {
	ctx := context.Background()
	const q = "SELECT * FROM range(10000000) t(i) ORDER BY i % 7, i DESC"
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var ratios []float64
	var shown, limits []time.Duration
	for i := range b.N {
		for j := range 5 {
			ref := func() {
				t0 := time.Now()
				rows, err := db.QueryContext(ctx, q+" LIMIT 200")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
				}
				rows.Close()
				if n != 200 {
					b.Fatalf("LIMIT 200: %d rows", n)
				}
				limits = append(limits, time.Since(t0))
			}
			screen := func() {
				t0 := time.Now()
				l, err := testLH.OpenLive(ctx, q, lakehouse.LiveOptions{Preview: true})
				if err != nil {
					b.Fatal(err)
				}
				m := New(Options{PageSize: 200, CountEvery: -1})
				m.SetSize(120, 40)
				cmd := m.SetSource(l)
				v := m.View()
				shown = append(shown, time.Since(t0))
				if !strings.Contains(v, "9,999,997") || !strings.Contains(v, "preview · sorting…") {
					b.Fatalf("no preview on screen:\n%s", v)
				}
				_ = cmd // the first page's fetch would wait for the sort: not run
				m.Close()
				l.Close()
			}
			if (i+j)%2 == 0 {
				ref()
				screen()
			} else {
				screen()
				ref()
			}
			ratios = append(ratios, float64(shown[len(shown)-1])/float64(limits[len(limits)-1]))
		}
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "screen/limit")
	b.ReportMetric(float64(median(shown).Microseconds())/1000, "screen_ms")
	b.ReportMetric(float64(median(limits).Microseconds())/1000, "limit_ms")
}
