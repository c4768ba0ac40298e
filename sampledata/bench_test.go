package sampledata

import (
	"context"
	"os"
	"testing"
)

// BenchmarkGenerate writes the full horizon of a scale; set
// LAKEBENCH_BENCH_PROD=1 to include prod (about 3 GB on disk).
func BenchmarkGenerate(b *testing.B) {
	scales := []Scale{ScaleDev, ScaleStaging}
	if os.Getenv("LAKEBENCH_BENCH_PROD") != "" {
		scales = append(scales, ScaleProd)
	}
	for _, s := range scales {
		b.Run(string(s), func(b *testing.B) {
			var rows int64
			for b.Loop() {
				dir := b.TempDir()
				rep, err := Generate(context.Background(), dir, Options{Scale: s, Days: Horizon})
				if err != nil {
					b.Fatal(err)
				}
				rows = 0
				for _, n := range rep.Rows {
					rows += n
				}
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}
