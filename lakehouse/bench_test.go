package lakehouse

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// writeBench writes a file through fill.
func writeBench(b *testing.B, path string, fill func(w *bufio.Writer)) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// writeBenchCSV writes a CSV of n rows with typical column types.
func writeBenchCSV(b *testing.B, path string, n int) {
	writeBench(b, path, func(w *bufio.Writer) { benchCSVRows(w, n) })
}

func benchCSVRows(w *bufio.Writer, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	cats := []string{"books", "electronics", "garden", "toys", "grocery", `home, "deco"`}
	fmt.Fprintln(w, "id,customer,amount,order_date,paid,category,note")
	for i := range n {
		cat := cats[r.IntN(len(cats))]
		if cat[0] == 'h' {
			cat = `"home, ""deco"""`
		}
		fmt.Fprintf(w, "%d,cust-%06d,%.2f,2026-%02d-%02d,%t,%s,%s\n", i+1, r.IntN(100000), r.Float64()*500,
			1+r.IntN(12), 1+r.IntN(28), r.IntN(2) == 0, cat, "lorem ipsum")
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkIngestCSV loads a 1M-row CSV with lakebench's Ingest and, in the
// same iteration, with DuckDB's own read_csv into a table, each into a fresh
// database file. It reports lakebench's speed as a fraction of DuckDB's
// (median of the per-iteration ratios; 1.0 is parity, higher is faster).
func BenchmarkIngestCSV(b *testing.B) {
	path := filepath.Join(b.TempDir(), "orders_2026-01-01.csv")
	writeBenchCSV(b, path, 1_000_000)
	benchIngest(b, path, "read_csv", 1_000_000)
}

// BenchmarkIngestJSON is BenchmarkIngestCSV for 1M JSON lines, against
// DuckDB's read_json.
func BenchmarkIngestJSON(b *testing.B) {
	path := filepath.Join(b.TempDir(), "events_2026-01-01.json")
	writeBenchJSON(b, path, 1_000_000)
	benchIngest(b, path, "read_json", 1_000_000)
}

// writeBenchJSON writes n JSON lines shaped like web events, some with
// a nested object and some with nulls.
func writeBenchJSON(b *testing.B, path string, n int) {
	writeBench(b, path, func(w *bufio.Writer) { benchJSONRows(w, n) })
}

func benchJSONRows(w *bufio.Writer, n int) {
	r := rand.New(rand.NewPCG(3, 4))
	types := []string{"view", "cart", "search", "purchase"}
	for i := range n {
		ref := "null"
		if r.IntN(3) == 0 {
			ref = fmt.Sprintf(`{"source":"ad","campaign":%d}`, r.IntN(50))
		}
		fmt.Fprintf(w, `{"event_id":%d,"customer_id":%d,"ts":"2026-01-01T%02d:%02d:%02d","type":%q,"page":"/product/%d","amount":%.2f,"ref":%s}`+"\n",
			i+1, r.IntN(100000), r.IntN(24), r.IntN(60), r.IntN(60), types[r.IntN(len(types))], r.IntN(2000), r.Float64()*100, ref)
	}
}

// benchIngest times lakebench's Ingest of a file against DuckDB's own
// reader (fn) creating a table from it, each into a fresh database file.
func benchIngest(b *testing.B, path, fn string, rows int64) {
	dir := b.TempDir()
	ctx := context.Background()
	// CPU times too: on a loaded machine, wall time says more about the
	// other processes than about either reader.
	var ours, ref, oursCPU, refCPU []time.Duration
	b.ResetTimer()
	for i := range b.N {
		// Reference: DuckDB alone.
		refPath := filepath.Join(dir, fmt.Sprintf("ref%d.duckdb", i))
		start, cpu := time.Now(), processCPU()
		connector, err := duckdb.NewConnector(refPath, nil)
		if err != nil {
			b.Fatal(err)
		}
		db := sql.OpenDB(connector)
		if _, err := db.ExecContext(ctx, "CREATE TABLE t AS SELECT * FROM "+fn+"("+QuoteString(path)+")"); err != nil {
			b.Fatal(err)
		}
		db.Close()
		ref, refCPU = append(ref, time.Since(start)), append(refCPU, processCPU()-cpu)

		// lakebench: open a target, ingest with quarantine and bookkeeping.
		ourPath := filepath.Join(dir, fmt.Sprintf("lb%d.duckdb", i))
		start, cpu = time.Now(), processCPU()
		lh, err := Open(ctx, ourPath, Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := lh.Ingest(ctx, []string{path}, IngestOptions{Table: TableName{"bronze", "t"}})
		if err != nil {
			b.Fatal(err)
		}
		lh.Close()
		ours, oursCPU = append(ours, time.Since(start)), append(oursCPU, processCPU()-cpu)
		if res.RowsLoaded != rows {
			b.Fatalf("loaded %d rows, want %d", res.RowsLoaded, rows)
		}
		os.Remove(refPath)
		os.Remove(ourPath)
	}
	b.StopTimer()
	ratios := make([]time.Duration, len(ours))
	for i := range ours {
		// speed ratio = ref time / our time, kept as a duration*1e6 for median.
		ratios[i] = time.Duration(float64(ref[i]) / float64(ours[i]) * 1e6)
	}
	b.ReportMetric(float64(median(ratios))/1e6, "speed_vs_duckdb")
	b.ReportMetric(median(refCPU).Seconds()/median(oursCPU).Seconds(), "cpu_speed_vs_duckdb")
	b.ReportMetric(median(refCPU).Seconds()*1000, "duckdb_cpu_ms")
	b.ReportMetric(median(oursCPU).Seconds()*1000, "lakebench_cpu_ms")
	b.ReportMetric(float64(rows)/median(ours).Seconds(), "rows/s")
	b.ReportMetric(median(ref).Seconds()*1000, "duckdb_ms")
	b.ReportMetric(median(ours).Seconds()*1000, "lakebench_ms")
}
