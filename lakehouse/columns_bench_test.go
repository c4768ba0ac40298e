package lakehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkReadColumns1M reads a 1M-row x 20 DOUBLE table (160 MB as a
// float64 matrix) with ReadColumns and, in the same iteration, with a
// plain database/sql scan of the same table into [][]float64 (a row at a
// time, as lakebench read training rows before). It reports:
//   - speedup: the scan's median time over ReadColumns' (1.0 is parity,
//     higher is faster); ms and scan-ms, the medians;
//   - alloc/matrix: Go bytes ReadColumns allocates per read over the
//     matrix's 160 MB (scan-alloc/matrix, the scan's);
//   - peak/matrix: how far the process's resident memory rose above where
//     it was during a read (Linux's VmHWM, reset before each), over the
//     matrix: the columns kept plus whatever DuckDB and Go held meanwhile
//     (0 where /proc/self/clear_refs cannot be written);
//   - matrix-ms and matrix-peak/matrix: the same of Tx.ReadColumnsMatrix
//     reading the 20 columns into one row-major matrix (a training's).
//
// The build tag decides the path measured: make bench builds with
// duckdb_arrow (Arrow); without it the database/sql fallback.
func BenchmarkReadColumns1M(b *testing.B) {
	const rows, cols = 1_000_000, 20
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(b.TempDir(), "bench.duckdb"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer lh.Close()
	exprs := make([]string, cols)
	names := make([]string, cols)
	for j := range exprs {
		names[j] = fmt.Sprintf("f%02d", j)
		exprs[j] = fmt.Sprintf("(hash(range * %d + %d) %% 1000000) / 1000.0 AS %s", cols, j, names[j])
	}
	if _, err := lh.Exec(ctx, fmt.Sprintf("CREATE TABLE gold.features AS SELECT %s FROM range(%d)", strings.Join(exprs, ", "), rows)); err != nil {
		b.Fatal(err)
	}
	table := TableName{Schema: "gold", Name: "features"}
	matrix := float64(rows * cols * 8)

	var ours, scan, dense []time.Duration
	var oursAlloc, scanAlloc, oursPeak, scanPeak, densePeak []float64
	b.ResetTimer()
	for b.Loop() {
		var data *ColumnData
		d, alloc, peak := measureRead(func() {
			if data, err = lh.ReadColumns(ctx, table, nil); err != nil {
				b.Fatal(err)
			}
		})
		if data.Rows != rows || len(data.Columns) != cols {
			b.Fatalf("read %d rows, %d columns", data.Rows, len(data.Columns))
		}
		data = nil
		ours, oursAlloc, oursPeak = append(ours, d), append(oursAlloc, alloc), append(oursPeak, peak)

		var m *ColumnData
		d, _, peak = measureRead(func() {
			tx, err := lh.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer tx.Rollback()
			if m, err = tx.ReadColumnsMatrix(ctx, table, names[:1], names[1:]); err != nil {
				b.Fatal(err)
			}
		})
		if m.Rows != rows || len(m.Matrix.Data) != rows*(cols-1) {
			b.Fatalf("read %d rows into a matrix of %d values", m.Rows, len(m.Matrix.Data))
		}
		m = nil
		dense, densePeak = append(dense, d), append(densePeak, peak)

		var X [][]float64
		d, alloc, peak = measureRead(func() {
			if X, err = scanMatrix(ctx, lh, table, names); err != nil {
				b.Fatal(err)
			}
		})
		if len(X) != rows {
			b.Fatalf("scanned %d rows", len(X))
		}
		X = nil
		scan, scanAlloc, scanPeak = append(scan, d), append(scanAlloc, alloc), append(scanPeak, peak)
	}
	b.StopTimer()
	b.ReportMetric(float64(median(scan))/float64(median(ours)), "speedup")
	b.ReportMetric(float64(median(ours))/1e6, "ms")
	b.ReportMetric(float64(median(scan))/1e6, "scan-ms")
	b.ReportMetric(medianFloat(oursAlloc)/matrix, "alloc/matrix")
	b.ReportMetric(medianFloat(scanAlloc)/matrix, "scan-alloc/matrix")
	b.ReportMetric(medianFloat(oursPeak)/matrix, "peak/matrix")
	b.ReportMetric(medianFloat(scanPeak)/matrix, "scan-peak/matrix")
	b.ReportMetric(float64(median(dense))/1e6, "matrix-ms")
	b.ReportMetric(medianFloat(densePeak)/matrix, "matrix-peak/matrix")
}

// scanMatrix is the reference: a database/sql scan of the table into a
// row-major matrix, the way a Go program reads DuckDB without lakebench.
func scanMatrix(ctx context.Context, lh *Lakehouse, table TableName, names []string) ([][]float64, error) {
	rows, err := lh.db.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+table.SQL())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var X [][]float64
	ptrs := make([]any, len(names))
	for rows.Next() {
		r := make([]float64, len(names))
		for j := range r {
			ptrs[j] = &r[j]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		X = append(X, r)
	}
	return X, rows.Err()
}

// measureRead runs read after a full GC and returns its time, the Go bytes
// it allocated and how far the resident memory rose above its level
// before.
func measureRead(read func()) (time.Duration, float64, float64) {
	runtime.GC()
	debug.FreeOSMemory()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base, resetOK := resetPeakRSS()
	start := time.Now()
	read()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	var peak float64
	if resetOK {
		if hwm, ok := procStatus("VmHWM"); ok {
			peak = float64(hwm - base)
		}
	}
	return d, float64(after.TotalAlloc - before.TotalAlloc), peak
}

// resetPeakRSS resets the process's VmHWM to its current resident size
// (Linux: write 5 to /proc/self/clear_refs) and returns that size.
func resetPeakRSS() (int64, bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return procStatus("VmRSS")
}

// procStatus reads a size field of /proc/self/status in bytes.
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

func medianFloat(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
