package pipeline

import (
	"context"
	"database/sql"
	"sort"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// BenchmarkHealth measures a run's health step on the sample at dev scale
// after its first run (every table's days aggregated in DuckDB, judged in
// Go, the newest windows recorded) against, in the same iteration, the
// catalog with exact row counts (one count per table, lh.Tables). It
// reports the median ratio of the two.
func BenchmarkHealth(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev}); err != nil {
		b.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath("dev"), lakehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer lh.Close()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		b.Fatal(err)
	}
	var ratios []float64
	var ours []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := lh.Tables(ctx); err != nil {
			b.Fatal(err)
		}
		ref := time.Since(start)
		start = time.Now()
		if _, err := p.CheckHealth(ctx, lh, "", ""); err != nil {
			b.Fatal(err)
		}
		ours = append(ours, time.Since(start))
		ratios = append(ratios, float64(ours[len(ours)-1])/float64(ref))
	}
	b.StopTimer()
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "health/count_tables")
	b.ReportMetric(medianDuration(ours).Seconds()*1000, "health_ms")
}

// BenchmarkHealthDaily measures the health step of a daily run alone, at
// staging scale: the sample's first 50 days built in one run, then a day
// more (sample next) and a run; each iteration puts back the health
// state the first run left (every sys table the health step writes, as
// it was before the daily run's health step), and evaluates and records
// the health again, as the daily run's step did (the same models, run id
// and clock). It reports the step's CPU-seconds (user and system, the
// process's), its statements (with the lbprof tag) and, as a reference
// in the same iteration, the CPU of counting every table's rows
// (lh.Tables).
func BenchmarkHealthDaily(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleStaging, Days: 50}); err != nil {
		b.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	path := p.DatabasePath("daily")
	open := func() *lakehouse.Lakehouse {
		lh, err := lakehouse.Open(ctx, path, lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return lh
	}
	lh := open()
	if _, err := p.Run(ctx, lh, RunOptions{Target: "daily"}); err != nil {
		b.Fatal(err)
	}
	lh.Close()
	if _, err := sampledata.Next(ctx, dir); err != nil {
		b.Fatal(err)
	}
	// The health state after the first run, kept aside in the file.
	raw := func(f func(db *sql.DB)) {
		db, err := sql.Open("duckdb", path)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		f(db)
	}
	var state []string
	raw(func(db *sql.DB) {
		rows, err := db.Query(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'sys'
			AND (table_name LIKE 'health%' OR table_name = 'table_results') ORDER BY 1`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				b.Fatal(err)
			}
			state = append(state, t)
		}
		rows.Close()
		if _, err := db.Exec("CREATE SCHEMA lb_bench"); err != nil {
			b.Fatal(err)
		}
		for _, t := range state {
			if _, err := db.Exec("CREATE TABLE lb_bench." + t + " AS SELECT * FROM sys." + t); err != nil {
				b.Fatal(err)
			}
		}
	})
	lh = open()
	res, err := p.Run(ctx, lh, RunOptions{Target: "daily"})
	if err != nil {
		b.Fatal(err)
	}
	models, err := p.Models(ctx, lh)
	if err != nil {
		b.Fatal(err)
	}
	lh.Close()
	var cpu, ref []time.Duration
	var stmts int
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		raw(func(db *sql.DB) {
			for _, t := range state {
				if _, err := db.Exec("DELETE FROM sys." + t + "; INSERT INTO sys." + t + " SELECT * FROM lb_bench." + t); err != nil {
					b.Fatal(err)
				}
			}
		})
		lh = open()
		b.StartTimer()
		c0 := processCPU()
		if _, err := lh.Tables(ctx); err != nil {
			b.Fatal(err)
		}
		ref = append(ref, processCPU()-c0)
		stop := lakehouse.StartStatementProfile()
		c0 = processCPU()
		if _, err := p.checkHealth(ctx, lh, "", res.RunID, models); err != nil {
			b.Fatal(err)
		}
		cpu = append(cpu, processCPU()-c0)
		stats := stop()
		if i == 0 {
			for _, s := range stats {
				stmts += s.Count
			}
			logStatements(b, stats)
		}
		b.StopTimer()
		lh.Close()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(medianDuration(cpu).Seconds(), "health_cpu_s")
	b.ReportMetric(medianDuration(ref).Seconds(), "count_tables_cpu_s")
	b.ReportMetric(float64(stmts), "statements")
}
