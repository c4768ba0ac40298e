package pipeline

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// BenchmarkUsageRecording measures what recording usage costs a run: each
// iteration runs the sample's default job at dev scale on a fresh target
// twice, with task usage recorded and without (usageOff), in alternating
// order; it reports the ratio of the medians (with/without, 1 is free)
// and both medians.
func BenchmarkUsageRecording(b *testing.B) {
	dir := b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleDev}); err != nil {
		b.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { usageOff = false }()
	runOnce := func(target string, off bool) time.Duration {
		usageOff = off
		lh, err := lakehouse.Open(ctx, p.DatabasePath(target), lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := p.Run(ctx, lh, RunOptions{Target: target}); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		lh.Close()
		os.Remove(p.DatabasePath(target))
		return took
	}
	var with, without []time.Duration
	b.ResetTimer()
	for i := range b.N {
		first := i%2 == 0
		for _, off := range []bool{!first, first} {
			d := runOnce(fmt.Sprintf("u%d_%v", i, off), off)
			if off {
				without = append(without, d)
			} else {
				with = append(with, d)
			}
		}
	}
	b.StopTimer()
	mw, mo := medianDuration(with), medianDuration(without)
	b.ReportMetric(float64(mw)/float64(mo), "with/without")
	b.ReportMetric(mw.Seconds(), "with_s")
	b.ReportMetric(mo.Seconds(), "without_s")
}
