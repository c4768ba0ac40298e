package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// referenceRun is the same pipeline written by hand against DuckDB: each
// source read in one statement (DuckDB skipping what it cannot parse), the
// same model SQL, the same quality statements. No exactly-once bookkeeping,
// no conservation check, no per-row lineage beyond the file name.
func referenceRun(ctx context.Context, p *Project, lh *lakehouse.Lakehouse) error {
	names := make([]string, 0, len(p.Resources.Sources))
	for n := range p.Resources.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := p.Resources.Sources[n]
		glob := lakehouse.QuoteString(filepath.Join(p.Dir, s.Path))
		var read string
		switch s.Format {
		case "csv":
			read = "read_csv(" + glob + ", filename=true, ignore_errors=true)"
		case "json":
			read = "read_json(" + glob + ", filename=true, ignore_errors=true, format='newline_delimited')"
		default:
			read = "read_parquet(" + glob + ", filename=true)"
		}
		stmt := "CREATE OR REPLACE TABLE bronze." + n + " AS SELECT * EXCLUDE (filename), filename AS _source_file, now()::TIMESTAMP AS _ingested_at, " +
			"regexp_extract(filename, '\\d{4}-\\d{2}-\\d{2}') AS _batch_id FROM " + read
		if s.Format == "csv" {
			// read_csv keeps a line with an unterminated quote, the quote
			// left at the start of its field; lakebench quarantines it
			// (the sample's day-16 customer "Unterminated Quote"), so
			// the reference drops it too.
			stmt += ` WHERE coalesce(COLUMNS(*)::VARCHAR, '') NOT LIKE '"%'`
		}
		if _, err := lh.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	models, err := p.Models(ctx, lh)
	if err != nil {
		return err
	}
	for _, m := range models {
		if _, err := lh.Exec(ctx, "CREATE OR REPLACE TABLE "+m.Table.SQL()+" AS "+strings.TrimRight(strings.TrimSpace(m.SQL), ";")); err != nil {
			return fmt.Errorf("%s: %w", m.Table, err)
		}
		rules, err := p.Rules(m.Table.String())
		if err != nil {
			return err
		}
		var fails []string
		for _, r := range rules {
			if r.Criticality == "error" {
				fails = append(fails, "coalesce(("+r.Fail+"), false)")
			}
		}
		if len(fails) > 0 {
			where := strings.Join(fails, " OR ")
			q := m.Table.Schema + "." + m.Table.Name + "_quarantine"
			// One statement per Exec: lakebench checks each on its plan.
			for _, stmt := range []string{"CREATE OR REPLACE TABLE " + q + " AS SELECT * FROM " + m.Table.SQL() + " WHERE " + where, "DELETE FROM " + m.Table.SQL() + " WHERE " + where} {
				if _, err := lh.Exec(ctx, stmt); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// BenchmarkPipelineStaging runs the whole sample pipeline on staging-scale
// data with lakebench and, in the same iteration, the same SQL directly on
// DuckDB, each into a fresh database file. It reports lakebench's overhead
// (median of per-iteration time ratios minus one).
func BenchmarkPipelineStaging(b *testing.B) {
	dir := b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleStaging}); err != nil {
		b.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	var ours, ref []time.Duration
	var differ int64
	b.ResetTimer()
	for i := range b.N {
		refPath := filepath.Join(dir, fmt.Sprintf("ref%d.duckdb", i))
		start := time.Now()
		lh, err := lakehouse.Open(ctx, refPath, lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := referenceRun(ctx, p, lh); err != nil {
			b.Fatal(err)
		}
		lh.Close()
		ref = append(ref, time.Since(start))

		start = time.Now()
		lh, err = lakehouse.Open(ctx, p.DatabasePath(fmt.Sprintf("bench%d", i)), lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Run(ctx, lh, RunOptions{Target: "bench"}); err != nil {
			b.Fatal(err)
		}
		lh.Close()
		ours = append(ours, time.Since(start))
		if i == 0 {
			differ = sameTables(b, p, refPath, p.DatabasePath(fmt.Sprintf("bench%d", i)))
		}
		os.Remove(refPath)
		os.Remove(p.DatabasePath(fmt.Sprintf("bench%d", i)))
	}
	b.StopTimer()
	ratios := make([]float64, len(ours))
	for i := range ours {
		ratios[i] = float64(ours[i]) / float64(ref[i])
	}
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2]-1, "overhead")
	b.ReportMetric(float64(differ), "rows_unlike_ref")
	b.ReportMetric(medianDuration(ref).Seconds(), "duckdb_s")
	b.ReportMetric(medianDuration(ours).Seconds(), "lakebench_s")
}

func medianDuration(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// sameTables compares the model tables lakebench built with the
// reference's, so the benchmark is known to compare the same work: rows of
// the non-float columns must match exactly, and each float column's sum to
// 1e-6 (parallel sums add in any order, and a model's round(x, 2) can then
// differ by a cent). It logs each difference and returns how many rows
// differ.
func sameTables(b *testing.B, p *Project, refPath, ourPath string) int64 {
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, ourPath, lakehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.Exec(ctx, "ATTACH "+lakehouse.QuoteString(refPath)+" AS ref (READ_ONLY)"); err != nil {
		b.Fatal(err)
	}
	models, err := p.Models(ctx, lh)
	if err != nil {
		b.Fatal(err)
	}
	var differ int64
	for _, m := range models {
		cols, err := lh.Query(ctx, "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = "+
			lakehouse.QuoteString(m.Table.Schema)+" AND table_name = "+lakehouse.QuoteString(m.Table.Name)+" ORDER BY column_index")
		if err != nil {
			b.Fatal(err)
		}
		var exact, sums []string
		for _, c := range cols.Rows {
			n, typ := lakehouse.QuoteIdent(c[0].(string)), c[1].(string)
			switch {
			case strings.HasPrefix(c[0].(string), "_"): // lineage columns differ by design
			case typ == "DOUBLE" || typ == "FLOAT":
				sums = append(sums, fmt.Sprintf("abs((SELECT sum(%[1]s) FROM %[2]s) - (SELECT sum(%[1]s) FROM ref.%[2]s)) > 1e-6 * abs((SELECT sum(%[1]s) FROM ref.%[2]s))", n, m.Table.SQL()))
			default:
				exact = append(exact, n)
			}
		}
		list := strings.Join(exact, ", ")
		q := fmt.Sprintf("SELECT (SELECT count(*) FROM (SELECT %[2]s FROM %[1]s EXCEPT ALL SELECT %[2]s FROM ref.%[1]s)) + (SELECT count(*) FROM (SELECT %[2]s FROM ref.%[1]s EXCEPT ALL SELECT %[2]s FROM %[1]s))", m.Table.SQL(), list)
		res, err := lh.Query(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if n := res.Rows[0][0].(int64); n > 0 {
			b.Logf("%s: %d rows differ from the reference", m.Table, n)
			differ += n
		}
		for _, cond := range sums {
			res, err := lh.Query(ctx, "SELECT "+cond)
			if err != nil {
				b.Fatal(err)
			}
			if res.Rows[0][0] == true {
				b.Logf("%s: a float column's sum differs from the reference: %s", m.Table, cond)
				differ++
			}
		}
	}
	return differ
}

// BenchmarkDailyRun measures what incremental models buy on a daily run
// at staging scale: each iteration builds the sample from scratch into a
// fresh database (the full run), then adds one day (sample next) and runs
// the default job again (the daily run). It reports daily/full, the median
// of the per-iteration ratios (the target is at most 0.15), and both times.
func BenchmarkDailyRun(b *testing.B) {
	dir := b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const first = 50 // leaves Horizon-first days for iterations
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleStaging, Days: first}); err != nil {
		b.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	if b.N > sampledata.Horizon-first {
		b.Fatalf("at most %d iterations (-benchtime=%dx): each adds a day", sampledata.Horizon-first, sampledata.Horizon-first)
	}
	var full, daily, dailyCPU []time.Duration
	var ratios []float64
	b.ResetTimer()
	for i := range b.N {
		target := fmt.Sprintf("daily%d", i)
		start := time.Now()
		lh, err := lakehouse.Open(ctx, p.DatabasePath(target), lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Run(ctx, lh, RunOptions{Target: target}); err != nil {
			b.Fatal(err)
		}
		full = append(full, time.Since(start))
		b.StopTimer()
		if _, err := sampledata.Next(ctx, dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		stopProfile := lakehouse.StartStatementProfile()
		cpu0 := processCPU()
		start = time.Now()
		res, err := p.Run(ctx, lh, RunOptions{Target: target})
		if err != nil {
			b.Fatal(err)
		}
		daily = append(daily, time.Since(start))
		dailyCPU = append(dailyCPU, processCPU()-cpu0)
		if stats := stopProfile(); i == 0 && len(stats) > 0 {
			logStatements(b, stats)
		}
		ratios = append(ratios, float64(daily[i])/float64(full[i]))
		if i == 0 {
			logDailyPhases(b, lh, res)
		}
		lh.Close()
		os.Remove(p.DatabasePath(target))
	}
	b.StopTimer()
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "daily/full")
	b.ReportMetric(medianDuration(full).Seconds(), "full_s")
	b.ReportMetric(medianDuration(daily).Seconds(), "daily_s")
	b.ReportMetric(medianDuration(dailyCPU).Seconds(), "daily_cpu_s")
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// logStatements logs a daily run's statement profile (a build with the
// lbprof tag: go test -tags 'duckdb_arrow lbprof' -bench DailyRun -v):
// how many statements, then the 40 longest by total time.
func logStatements(b *testing.B, stats []lakehouse.StatementStat) {
	var n int
	var total time.Duration
	for _, s := range stats {
		n, total = n+s.Count, total+s.Total
	}
	b.Logf("daily statements: %d, %.3fs in all (two tasks at a time)", n, total.Seconds())
	for _, s := range stats[:min(40, len(stats))] {
		b.Logf("stmt %4d %8.1fms  %s", s.Count, float64(s.Total.Microseconds())/1000, s.SQL)
	}
}

// logDailyPhases logs each phase of a daily run: every task's wall and
// CPU seconds (from sys.usage; tasks run two at a time, so a task's CPU
// includes its neighbour's), then each step after the tasks (monitors,
// health, alerts), which run alone.
func logDailyPhases(b *testing.B, lh *lakehouse.Lakehouse, res *RunResult) {
	ctx := context.Background()
	cpu := map[string]float64{}
	if r, err := lh.Query(ctx, "SELECT custom_tags['task'], cpu_seconds FROM sys.usage WHERE custom_tags['run_id'] = '"+res.RunID+"'"); err == nil {
		for _, row := range r.Rows {
			if k, ok := row[0].(string); ok {
				cpu[k], _ = row[1].(float64)
			}
		}
	}
	last := res.StartedAt
	for _, t := range res.Tasks {
		b.Logf("daily %-30s %6.3f-%6.3f %6.3fs %6.3f cpu-s %s", t.TaskKey, t.StartedAt.Sub(res.StartedAt).Seconds(), t.EndedAt.Sub(res.StartedAt).Seconds(), t.EndedAt.Sub(t.StartedAt).Seconds(), cpu[t.TaskKey], t.Detail)
		if t.EndedAt.After(last) {
			last = t.EndedAt
		}
	}
	var wall, used time.Duration
	for _, s := range res.Steps {
		b.Logf("daily %-30s %6.3fs %6.3f cpu-s", s.Step, s.Wall.Seconds(), s.CPU.Seconds())
		wall, used = wall+s.Wall, used+s.CPU
	}
	b.Logf("daily: tasks %.3fs, then monitors, health and alerts %.3fs (%.3f cpu-s)", last.Sub(res.StartedAt).Seconds(), res.EndedAt.Sub(last).Seconds(), used.Seconds())
}

// BenchmarkLoad loads the sample project (its lakebench.yml and includes),
// as every lakebench command does first.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := LoadWith("../sampledata/project", LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
