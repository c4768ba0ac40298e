package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// BenchmarkPostSteps measures the CPU of the steps after a daily run's
// tasks one at a time, alone on the machine's DuckDB: each monitor and
// the alerts evaluated beside them (issue 8 section 1). In a run they
// share two cores with the last tasks and with each other, and a step's
// process CPU counts its neighbours'; here each is measured by itself.
// The sample is built at staging scale and advanced one day once; each
// iteration copies that file, runs the daily job with its monitors and
// alerts off, then runs each monitor and the alerts as the run would,
// reporting each one's median CPU-seconds and logging, with the lbprof
// tag, how many statements they ran (-v: each step's statements). Then
// the same day is run again (every task skipped) and each monitor
// measured after it ("again": a table no task wrote since its last
// profile). Health stays in the run:
// its own statements are cheap, but DuckDB's automatic checkpoint often
// lands in its first insert (see BenchmarkDailyRun).
func BenchmarkPostSteps(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleStaging, Days: 50}); err != nil {
		b.Fatal(err)
	}
	full, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, full.DatabasePath("bench"), lakehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := full.Run(ctx, lh, RunOptions{Target: "bench"}); err != nil {
		b.Fatal(err)
	}
	lh.Close()
	if _, err := sampledata.Next(ctx, dir); err != nil {
		b.Fatal(err)
	}
	before := filepath.Join(dir, "before.duckdb")
	if err := copyFileTo(full.DatabasePath("bench"), before); err != nil {
		b.Fatal(err)
	}
	// The same project, its monitors and alerts off: the run's tasks and
	// health only.
	tasksOnly, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	for k, m := range tasksOnly.Resources.QualityMonitors {
		m.Profile, m.Drift = false, false
		tasksOnly.Resources.QualityMonitors[k] = m
	}
	tasksOnly.Resources.Alerts = nil
	principal := full.Identity()
	steps := map[string][]time.Duration{}
	var names []string
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		path := full.DatabasePath("bench")
		os.Remove(path + ".wal")
		if err := copyFileTo(before, path); err != nil {
			b.Fatal(err)
		}
		lh, err := lakehouse.Open(ctx, path, lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := tasksOnly.Run(ctx, lh, RunOptions{Target: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var line []string
		var total time.Duration
		var statements []int
		measure := func(name string, do func()) {
			stop := lakehouse.StartStatementProfile()
			cpu0 := processCPU()
			do()
			cpu := processCPU() - cpu0
			stats := stop()
			n := 0
			for _, s := range stats {
				n += s.Count
			}
			statements = append(statements, n)
			if i == 0 && testing.Verbose() {
				b.Logf("%s: %d statements", name, n)
				for _, s := range stats {
					b.Logf("  %s: stmt %3d %7.1fms  %.150s", name, s.Count, float64(s.Total.Microseconds())/1000, s.SQL)
				}
			}
			if i == 0 {
				names = append(names, name)
			}
			steps[name] = append(steps[name], cpu)
			total += cpu
			line = append(line, fmt.Sprintf("%s %.3f", name, cpu.Seconds()))
		}
		for _, name := range sortedKeys(full.Resources.QualityMonitors) {
			m := full.Resources.QualityMonitors[name]
			if !m.Profile && !m.Drift {
				continue
			}
			measure("monitor "+name, func() {
				if err := full.monitor(ctx, lh, principal, res.RunID, name, m, false); err != nil {
					b.Fatal(err)
				}
			})
		}
		measure("alerts", func() { full.earlyAlerts(ctx, lh, principal, nil) })
		n := 0
		for _, s := range statements {
			n += s
		}
		steps["total"] = append(steps["total"], total)
		b.Logf("iteration %d: %d statements, %.3f cpu-s: %s", i, n, total.Seconds(), strings.Join(line, ", "))
		// The same day run again (nothing new: every task skipped), and
		// its monitors: a table no task wrote since its last profile.
		b.StopTimer()
		again, err := tasksOnly.Run(ctx, lh, RunOptions{Target: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		line, total, statements = nil, 0, nil
		for _, name := range sortedKeys(full.Resources.QualityMonitors) {
			m := full.Resources.QualityMonitors[name]
			if !m.Profile && !m.Drift {
				continue
			}
			measure("again monitor "+name, func() {
				if err := full.monitor(ctx, lh, principal, again.RunID, name, m, false); err != nil {
					b.Fatal(err)
				}
			})
		}
		n = 0
		for _, s := range statements {
			n += s
		}
		steps["again total"] = append(steps["again total"], total)
		b.Logf("iteration %d, the day again: %d statements, %.3f cpu-s: %s", i, n, total.Seconds(), strings.Join(line, ", "))
		lh.Close()
	}
	b.StopTimer()
	for _, name := range append(names, "total", "again total") {
		unit := strings.NewReplacer(" ", "_", ".", "_").Replace(name) + "_cpu_s"
		b.ReportMetric(medianDuration(steps[name]).Seconds(), unit)
	}
}

// copyFileTo copies the file from to the path to.
func copyFileTo(from, to string) error {
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	g, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(g, f); err != nil {
		g.Close()
		return err
	}
	return g.Close()
}
