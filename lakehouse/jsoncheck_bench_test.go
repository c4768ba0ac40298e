package lakehouse

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCheckJSONChunk is the Go line check alone, on one goroutine,
// over the 1M lines of BenchmarkIngestJSON held in memory, in the chunks
// the load cuts (the first with the sample's quota).
func BenchmarkCheckJSONChunk(b *testing.B) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	benchJSONRows(w, 1_000_000)
	w.Flush()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		rest, lines := data, int64(0)
		for n := 0; len(rest) > 0; n++ {
			cut := min(len(rest), jsonChunkSize)
			if cut < len(rest) {
				cut = bytes.LastIndexByte(rest[:cut], '\n') + 1
			}
			quota := 0
			if n == 0 {
				quota = jsonSampleLines
			}
			c := checkJSONChunk(rest[:cut], n == 0, true, quota)
			lines += c.good
			rest = rest[cut:]
		}
		if lines != 1_000_000 {
			b.Fatalf("%d good lines, want 1000000", lines)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/1e6/float64(b.N), "cpu_ms/op")
}

// BenchmarkCheckJSONLines is the whole check of the benchmark's file, as
// the load runs it: mapped, in chunks on every CPU, hashed.
func BenchmarkCheckJSONLines(b *testing.B) {
	path := filepath.Join(b.TempDir(), "events.json")
	writeBenchJSON(b, path, 1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		_, c, err := checkJSONLines(path, jsonSampleLines, true, nil)
		if err != nil || c.good != 1_000_000 {
			b.Fatalf("%d good lines (%v), want 1000000", c.good, err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/1e6/float64(b.N), "cpu_ms/op")
}

// BenchmarkSniffJSONHead is the type sniff of the benchmark's sample (its
// first jsonSampleLines lines) in Go, against DuckDB's DESCRIBE over
// read_json of the same lines written to a file (as sniffJSONHeads did
// before), in the same iteration.
func BenchmarkSniffJSONHead(b *testing.B) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	benchJSONRows(w, jsonSampleLines)
	w.Flush()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte{'\n'})
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer lh.Close()
	dir := b.TempDir()
	var inGo, described time.Duration
	b.ResetTimer()
	for range b.N {
		cpu := processCPU()
		if sn := sniffHeadsInGo([][][]byte{lines}); sn == nil {
			b.Fatal("not typed in Go")
		}
		inGo += processCPU() - cpu
		cpu = processCPU()
		p := filepath.Join(dir, "0.head.json")
		if err := os.WriteFile(p, append(bytes.Join(lines, []byte{'\n'}), '\n'), 0o600); err != nil {
			b.Fatal(err)
		}
		if _, err := sniffJSON(context.Background(), lh.probe(), []string{QuoteString(p)}, map[int]string{0: p}); err != nil {
			b.Fatal(err)
		}
		described += processCPU() - cpu
	}
	b.ReportMetric(float64(inGo)/1e6/float64(b.N), "go_cpu_ms/op")
	b.ReportMetric(float64(described)/1e6/float64(b.N), "describe_cpu_ms/op")
}
