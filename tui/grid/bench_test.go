package grid

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
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
	for range b.N {
		t0 := time.Now()
		if _, err := src.Page(ctx, 0, size); err != nil {
			b.Fatal(err)
		}
		first = append(first, time.Since(t0))

		t0 = time.Now()
		m := New(Options{PageSize: size})
		m.SetSize(120, 40)
		m = until(m, m.SetSource(src), func(m Model) bool { _, ok := m.Row(0); return ok })
		v := m.View()
		open = append(open, time.Since(t0))
		if !strings.Contains(v, "name 0") {
			b.Fatalf("no data on screen:\n%s", v)
		}

		t0 = time.Now()
		if _, err := src.Page(ctx, 10_000_000-size, size); err != nil {
			b.Fatal(err)
		}
		lastRef = append(lastRef, time.Since(t0))

		t0 = time.Now()
		m, cmd := m.Update(keyMsg("G"))
		m = until(m, cmd, func(m Model) bool { _, ok := m.Row(9_999_999); return ok })
		v = m.View()
		last = append(last, time.Since(t0))
		if !strings.Contains(v, "10,000,000") {
			b.Fatalf("the last row is not on screen:\n%s", v)
		}
		m.Close()
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
	for range b.N {
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

		t0 = time.Now()
		l, err = testLH.OpenLive(ctx, liveSQL, lakehouse.LiveOptions{})
		if err != nil {
			b.Fatal(err)
		}
		m := New(Options{PageSize: size, CountEvery: -1})
		m.SetSize(120, 40)
		m = until(m, m.SetSource(l), func(m Model) bool { _, ok := m.Row(0); return ok })
		v := m.View()
		open = append(open, time.Since(t0))
		if !strings.Contains(v, "name 0") {
			b.Fatalf("no data on screen:\n%s", v)
		}
		if err := l.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		m, _ = m.Update(countMsg{grid: m.id, gen: m.gen, count: 10_000_000, done: true})

		t0 = time.Now()
		if _, err := l.Page(ctx, 10_000_000-size, size); err != nil {
			b.Fatal(err)
		}
		lastRef = append(lastRef, time.Since(t0))

		t0 = time.Now()
		m, cmd := m.Update(keyMsg("G"))
		m = until(m, cmd, func(m Model) bool { _, ok := m.Row(9_999_999); return ok })
		v = m.View()
		last = append(last, time.Since(t0))
		if !strings.Contains(v, "10,000,000") {
			b.Fatalf("the last row is not on screen:\n%s", v)
		}
		m.Close()
		l.Close()
	}
	b.ReportMetric(float64(median(open))/float64(median(first)), "open/page")
	b.ReportMetric(float64(median(last))/float64(median(lastRef)), "last/page")
	b.ReportMetric(float64(median(open).Microseconds())/1000, "open_ms")
	b.ReportMetric(float64(median(first).Microseconds())/1000, "page_ms")
}
