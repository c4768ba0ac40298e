package ml

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// BenchmarkTrain1M is `lakebench train` end to end, in process: Registry.Train
// of a binary logistic model (scikit-learn's defaults: C 1, tol 1e-4,
// max_iter 100; a seeded 75/25 split) on a 1M-row x 20 DOUBLE table in a
// DuckDB file, reading it out of DuckDB column-wise, preparing, fitting,
// evaluating and registering a version. scripts/sklearn/bench_fit.py writes
// the seeded data set and times scikit-learn's LogisticRegression(lbfgs).fit
// on all of it (median of 3) in the same run; the same matrix is loaded into
// the table. It reports:
//   - ours/sklearn: Train's median time over scikit-learn's median fit time
//     (the target is at most 2);
//   - train-ms and sklearn-ms, the medians; read-ms, prepare-ms, fit-ms,
//     evaluate-ms and register-ms, the medians of each stage (from the
//     progress Train reports);
//   - peak/matrix: how far the process's resident memory rose during Train
//     (Linux's VmHWM, reset before), over the 160 MB of the feature matrix
//     (the target is about 2; 0 where it cannot be measured);
//     fit-peak/matrix the same up to the end of the fit (reading,
//     preparing and fitting, without evaluating and registering);
//   - alloc/matrix: the Go bytes Train allocated, over the matrix.
//
// Without Debian's python3-sklearn it skips with a message.
func BenchmarkTrain1M(b *testing.B) {
	const rows, cols = 1_000_000, 20
	if err := exec.Command(sklearnPython, "-c", "import sklearn").Run(); err != nil {
		b.Skipf("skipping: %s cannot import sklearn (%v); install Debian's python3-sklearn to compare with scikit-learn", sklearnPython, err)
	}
	dir := b.TempDir()
	var out, stderr bytes.Buffer
	cmd := exec.Command(sklearnPython, filepath.Join("..", "scripts", "sklearn", "bench_fit.py"), dir,
		"--rows", strconv.Itoa(rows), "--cols", strconv.Itoa(cols), "--repeats", "3")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("bench_fit.py: %v\n%s", err, stderr.Bytes())
	}
	var ref sklearnBench
	if err := json.Unmarshal(out.Bytes(), &ref); err != nil {
		b.Fatalf("bench_fit.py printed %q: %v", out.Bytes(), err)
	}

	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, filepath.Join(dir, "bench.duckdb"), lakehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer lh.Close()
	features := loadBenchTable(b, lh, dir, readFloat64s(b, ref.XPath, rows*cols), readFloat64s(b, ref.YPath, rows), rows, cols)
	os.Remove(ref.XPath)
	os.Remove(ref.YPath)
	reg := NewRegistry(lh)
	spec := Spec{Name: "bench", Table: "gold.bench", Label: "y", Features: features, Task: Classification, Seed: 1}

	var times []time.Duration
	stages := map[string][]time.Duration{}
	var peaks, fitPeaks, allocs []float64
	for b.Loop() {
		runtime.GC()
		debug.FreeOSMemory()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		base, resetOK := resetPeakRSS()
		start := time.Now()
		var order []string
		first := map[string]time.Time{}
		_, run, err := reg.Train(ctx, spec, func(p Progress) {
			if _, ok := first[p.Stage]; !ok {
				first[p.Stage] = time.Now()
				order = append(order, p.Stage)
				if hwm, ok := procStatus("VmHWM"); ok && resetOK && p.Stage == "evaluate" {
					fitPeaks = append(fitPeaks, float64(hwm-base))
				}
			}
		})
		end := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		if run.TableRows != rows {
			b.Fatalf("trained on a table of %d rows, want %d", run.TableRows, rows)
		}
		runtime.ReadMemStats(&after)
		times = append(times, end.Sub(start))
		allocs = append(allocs, float64(after.TotalAlloc-before.TotalAlloc))
		if hwm, ok := procStatus("VmHWM"); ok && resetOK {
			peaks = append(peaks, float64(hwm-base))
		}
		for i, s := range order {
			next := end
			if i+1 < len(order) {
				next = first[order[i+1]]
			}
			stages[s] = append(stages[s], next.Sub(first[s]))
		}
	}
	b.StopTimer()
	matrix := float64(rows * cols * 8)
	ours := medianDuration(times)
	b.ReportMetric(ours.Seconds()/ref.MedianSeconds, "ours/sklearn")
	b.ReportMetric(float64(ours.Milliseconds()), "train-ms")
	b.ReportMetric(ref.MedianSeconds*1000, "sklearn-ms")
	for _, s := range []string{"read", "prepare", "fit", "evaluate", "register"} {
		if d, ok := stages[s]; ok {
			b.ReportMetric(float64(medianDuration(d).Microseconds())/1000, s+"-ms")
		}
	}
	if len(peaks) > 0 {
		slices.Sort(peaks)
		b.ReportMetric(peaks[len(peaks)/2]/matrix, "peak/matrix")
	}
	if len(fitPeaks) > 0 {
		slices.Sort(fitPeaks)
		b.ReportMetric(fitPeaks[len(fitPeaks)/2]/matrix, "fit-peak/matrix")
	}
	slices.Sort(allocs)
	b.ReportMetric(allocs[len(allocs)/2]/matrix, "alloc/matrix")
}

// loadBenchTable writes X (row-major) and y to a CSV, exactly (the shortest
// decimal that reads back as the same float64), loads it into gold.bench
// (f00..f19 DOUBLE, y INTEGER) and returns the feature columns' names.
func loadBenchTable(b *testing.B, lh *lakehouse.Lakehouse, dir string, X, y []float64, rows, cols int) []string {
	b.Helper()
	path := filepath.Join(dir, "bench.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	names := make([]string, cols)
	types := make([]string, cols+1)
	for j := range names {
		names[j] = fmt.Sprintf("f%02d", j)
		types[j] = fmt.Sprintf("'%s': 'DOUBLE'", names[j])
	}
	types[cols] = "'y': 'INTEGER'"
	w.WriteString(strings.Join(names, ",") + ",y\n")
	var buf []byte
	for i := range rows {
		buf = buf[:0]
		for j := range cols {
			buf = strconv.AppendFloat(buf, X[i*cols+j], 'g', -1, 64)
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, int64(y[i]), 10)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if _, err := lh.Exec(context.Background(), "CREATE TABLE gold.bench AS SELECT * FROM read_csv("+lakehouse.QuoteString(path)+
		", header = true, columns = {"+strings.Join(types, ", ")+"})"); err != nil {
		b.Fatal(err)
	}
	os.Remove(path)
	return names
}

func medianDuration(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// resetPeakRSS resets the process's VmHWM to its current resident size
// (Linux: write 5 to /proc/self/clear_refs) and returns that size.
func resetPeakRSS() (int64, bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return procStatus("VmRSS")
}

// procStatus reads a size field of /proc/self/status, in bytes.
func procStatus(field string) (int64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}
