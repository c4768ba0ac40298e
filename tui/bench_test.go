package tui

import (
	"context"
	"database/sql"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	_ "github.com/duckdb/duckdb-go/v2" // the reference reads DuckDB directly
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
)

// BenchmarkView draws every screen at 200x60 (target: under 5 ms each).
func BenchmarkView(b *testing.B) {
	for _, sc := range screens {
		b.Run(sc.name, func(b *testing.B) {
			m := newTestModel(b, 200, 60)
			for _, k := range sc.keys {
				m.Update(keyMsg(k))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkFirstFrame is the time from nothing to the first frame: the
// model is built and drawn before any data is read (Init's command reads).
func BenchmarkFirstFrame(b *testing.B) {
	for b.Loop() {
		m := New(testWS, Options{})
		_ = m.Init()
		_ = m.View()
	}
}

// builtProject is a project with a built target for BenchmarkFirstData:
// $LAKEBENCH_PROD_DIR's prod target when set (read as its run_as, as
// `lakebench -t prod` reads it; the read-only audit log beside the file
// grows), else the sample at staging scale, built here.
func builtProject(b *testing.B) (dir, target string) {
	if dir := os.Getenv("LAKEBENCH_PROD_DIR"); dir != "" {
		return dir, "prod"
	}
	ctx := context.Background()
	dir = b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleStaging}); err != nil {
		b.Fatal(err)
	}
	p, err := pipeline.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	if err := firstRun(ctx, p, p.Target, "lakebench (benchmark)", "", func(string) {}); err != nil {
		b.Fatal("build the staging-scale sample:", err)
	}
	return dir, p.Target
}

// BenchmarkFirstData is the time from nothing to the first frame with
// data on a built target (see builtProject): a new Workspace (nothing
// cached) prepares the project and loads the target as the TUI does, and
// the frame drawn shows its tables' rows. The reference, in the same
// iteration, opens the same file read-only with plain duckdb-go and reads
// duckdb_tables() (closing it is not timed, as the TUI closes in the
// background). Reported: both medians in seconds and the median of the
// per-iteration ratios.
func BenchmarkFirstData(b *testing.B) {
	dir, target := builtProject(b)
	ctx := context.Background()
	var path string
	{
		p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{Target: target})
		if err != nil {
			b.Fatal(err)
		}
		path = p.DatabasePath(target)
	}
	reference := func() time.Duration {
		start := time.Now()
		db, err := sql.Open("duckdb", path+"?access_mode=read_only")
		if err != nil {
			b.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, "SELECT * FROM duckdb_tables()")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil || n == 0 {
			b.Fatalf("duckdb_tables(): %d tables, %v", n, err)
		}
		took := time.Since(start)
		rows.Close()
		db.Close() // after the clock stops, as the TUI's is
		return took
	}
	tui := func() time.Duration {
		ws := NewWorkspace(WorkspaceOptions{Dir: dir, Target: target})
		defer ws.Close()
		start := time.Now()
		m := New(ws, Options{})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		_ = m.View()
		info, err := ws.Prepare(ctx, func(string) {})
		if err != nil {
			b.Fatal(err)
		}
		_, load := m.Update(prepareDoneMsg{info: info})
		m.Update(load())
		view := m.View()
		took := time.Since(start)
		if m.sh.snap == nil || len(m.sh.snap.Tables) == 0 || !strings.Contains(view, " rows") {
			b.Fatalf("the first frame after the load shows no data:\n%s", view)
		}
		ws.idle() // its database closes in the background
		return took
	}
	var ours, ref []time.Duration
	var ratios []float64
	for i := 0; b.Loop(); i++ {
		var r, o time.Duration
		if i%2 == 0 { // interleaved, so neither always runs on a warm cache
			r, o = reference(), tui()
		} else {
			o, r = tui(), reference()
		}
		ref, ours = append(ref, r), append(ours, o)
		ratios = append(ratios, float64(o)/float64(r))
	}
	sort.Float64s(ratios)
	b.ReportMetric(median(ours).Seconds(), "first_data_s")
	b.ReportMetric(median(ref).Seconds(), "duckdb_tables_s")
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
