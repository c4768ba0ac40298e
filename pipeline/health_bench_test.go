package pipeline

import (
	"context"
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
