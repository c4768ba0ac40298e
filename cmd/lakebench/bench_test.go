package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// benchRows is the number of groups (result rows) of the big query.
const benchRows = 362_000

// benchBigSQL is a GROUP BY over a 1.5M-row table with benchRows groups:
// integers, exact doubles (multiples of 0.25, so any summing order gives
// the same digits), dates, unicode text and NULLs, ordered so both
// programs print the same bytes.
const benchBigSQL = `SELECT customer_id, count(*) AS sales, sum(amount) AS total, min(day) AS first_day,
	min(channel) AS channel, max(note) AS note
FROM gold.bench_sales GROUP BY customer_id ORDER BY customer_id`

// benchOneSQL is a one-row query over the same table: its time is the
// fixed cost of a query process.
const benchOneSQL = `SELECT count(*) AS n FROM gold.bench_sales WHERE channel = 'web'`

// BenchmarkQuery runs `lakebench query` and a plain duckdb-go program
// (testdata/plainquery) on the same DuckDB file, as subprocesses,
// interleaved, and reports medians of the per-pair figures:
//   - big_ratio: lakebench's time over the plain program's printing a
//     362k-row GROUP BY result as CSV and as a table (target <= 1.2);
//   - fixed_ms: how many milliseconds more a one-row query takes through
//     lakebench (bundle, identity, governance checks on the plan, audit)
//     than through the plain program (target <= 30), and fixed_ratio the
//     one over the other;
//   - big_cpu_ratio and fixed_cpu_ms: the same in CPU time, which a
//     machine shared with other work inflates less than wall time.
//
// The query runs as the target's owner after `bundle deploy`, so it is
// planned, checked and audited; fixed_as_ms is the same figure for a
// principal whose reads are checked against grants (dana, an analyst).
// Before timing, both programs' outputs are compared: the same bytes.
func BenchmarkQuery(b *testing.B) {
	dir, dbPath := benchProject(b)
	ref := filepath.Join(b.TempDir(), "plainquery")
	if out, err := exec.Command("go", "build", "-o", ref, "./testdata/plainquery").CombinedOutput(); err != nil {
		b.Fatalf("build the reference: %v\n%s", err, out)
	}
	env := append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"))
	lbCmd := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, env
		return cmd
	}
	refCmd := func(format, q string) *exec.Cmd { return exec.Command(ref, dbPath, format, q) }
	for _, format := range []string{"csv", "table"} {
		want := benchOutput(b, refCmd(format, benchBigSQL))
		got := benchOutput(b, lbCmd("query", "--format", format, benchBigSQL))
		if !bytes.Equal(got, want) {
			b.Fatalf("--format %s: lakebench printed %d bytes, the plain program %d; first difference at byte %d",
				format, len(got), len(want), firstDiff(got, want))
		}
		if n := bytes.Count(got, []byte("\n")); n < benchRows {
			b.Fatalf("--format %s: %d lines, want %d rows", format, n, benchRows)
		}
	}
	one := benchOutput(b, lbCmd("query", "--format", "csv", benchOneSQL))
	if string(one) != string(benchOutput(b, refCmd("csv", benchOneSQL))) {
		b.Fatalf("the one-row query printed %q", one)
	}
	benchOutput(b, lbCmd("--as", "dana", "query", "--format", "csv", benchOneSQL))

	var big, bigCPU, fixed, fixedRatio, fixedCPU, fixedAs []float64
	var bigRef, oneRef []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for _, format := range []string{"csv", "table"} {
			r, l := benchPair(b, i, refCmd(format, benchBigSQL), lbCmd("query", "--format", format, benchBigSQL))
			big = append(big, l.wall.Seconds()/r.wall.Seconds())
			bigCPU = append(bigCPU, l.cpu.Seconds()/r.cpu.Seconds())
			bigRef = append(bigRef, r.wall)
		}
		for j := range 5 {
			r, l := benchPair(b, i+j, refCmd("csv", benchOneSQL), lbCmd("query", "--format", "csv", benchOneSQL))
			fixed = append(fixed, (l.wall-r.wall).Seconds()*1000)
			fixedRatio = append(fixedRatio, l.wall.Seconds()/r.wall.Seconds())
			fixedCPU = append(fixedCPU, (l.cpu-r.cpu).Seconds()*1000)
			oneRef = append(oneRef, r.wall)
			r, l = benchPair(b, i+j+1, refCmd("csv", benchOneSQL), lbCmd("--as", "dana", "query", "--format", "csv", benchOneSQL))
			fixedAs = append(fixedAs, (l.wall-r.wall).Seconds()*1000)
		}
	}
	b.StopTimer()
	b.ReportMetric(medianOf(big), "big_ratio")
	b.ReportMetric(medianOf(bigCPU), "big_cpu_ratio")
	b.ReportMetric(medianOf(fixed), "fixed_ms")
	b.ReportMetric(medianOf(fixedRatio), "fixed_ratio")
	b.ReportMetric(medianOf(fixedCPU), "fixed_cpu_ms")
	b.ReportMetric(medianOf(fixedAs), "fixed_as_ms")
	b.ReportMetric(median(bigRef).Seconds()*1000, "big_plain_ms")
	b.ReportMetric(median(oneRef).Seconds()*1000, "one_plain_ms")
}

// benchProject makes a project whose dev target is deployed (so queries
// are governed) and holds gold.bench_sales, 1.5M rows; it returns the
// project's directory and the target's DuckDB file.
func benchProject(b *testing.B) (dir, dbPath string) {
	b.Helper()
	dir = filepath.Join(b.TempDir(), "p")
	for _, args := range [][]string{{"init", dir}, {"-C", dir, "bundle", "deploy"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("lakebench %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	dbPath = filepath.Join(dir, ".lakebench", "dev.duckdb")
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, dbPath, lakehouse.Options{Holder: "BenchmarkQuery"})
	if err != nil {
		b.Fatal(err)
	}
	defer lh.Close()
	_, err = lh.Exec(ctx, fmt.Sprintf(`CREATE TABLE gold.bench_sales AS
		SELECT i AS sale_id, i %% %d AS customer_id, (['web', 'mobile', 'store'])[1 + i %% 3] AS channel,
			DATE '2026-01-01' + (i %% 365)::INTEGER AS day, ((i %% 1000) * 0.25)::DOUBLE AS amount,
			CASE WHEN i %% 7 = 0 OR i %% %d %% 11 = 0 THEN NULL ELSE 'note ' || (i %% 97) || ' — ünïcödé ✓' END AS note
		FROM range(1500000) t(i)`, benchRows, benchRows))
	if err != nil {
		b.Fatal(err)
	}
	return dir, dbPath
}

// benchOutput runs cmd and returns its stdout; it fails on an error.
func benchOutput(b *testing.B, cmd *exec.Cmd) []byte {
	b.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// benchTime is what a run took: wall-clock time, and CPU time (user and
// system, all of the process's threads), which on a shared machine shows
// the work done whatever the load.
type benchTime struct{ wall, cpu time.Duration }

// benchPair runs the reference and lakebench one after the other, in an
// order that alternates with i, each printing to /dev/null, and returns
// their times.
func benchPair(b *testing.B, i int, ref, lb *exec.Cmd) (refTime, lbTime benchTime) {
	b.Helper()
	run := func(cmd *exec.Cmd) benchTime {
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer null.Close()
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = null, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
		}
		return benchTime{time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	}
	if i%2 == 0 {
		refTime = run(ref)
		lbTime = run(lb)
	} else {
		lbTime = run(lb)
		refTime = run(ref)
	}
	return refTime, lbTime
}

func medianOf(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
