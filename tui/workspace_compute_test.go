package tui

import (
	"context"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/lakebench/lakebench/sampledata"
)

// TestWriterUsesTheTargetsCompute: a run started from the TUI opens the
// target with the bundle's compute (the sample's prod: 3GB, 2 threads), as
// `lakebench run` does, not with the machine's defaults; a target without
// settings keeps DuckDB's defaults from the machine.
func TestWriterUsesTheTargetsCompute(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target  string
		memory  int64
		threads int
	}{{"prod", 3e9, 2}, {"dev", 0, 0}} {
		p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{Target: tc.target})
		if err != nil {
			t.Fatal(err)
		}
		want, err := p.ComputeOptions()
		if err != nil {
			t.Fatal(err)
		}
		if want.MemoryLimit != tc.memory || want.Threads != tc.threads {
			t.Fatalf("%s: the sample's compute is %d bytes, %d threads; the test expects %d, %d", tc.target, want.MemoryLimit, want.Threads, tc.memory, tc.threads)
		}
		lh, err := openWriter(ctx, p, lakehouse.Options{Holder: "test"})
		if err != nil {
			t.Fatal(err)
		}
		got, threads := lh.MemoryLimit(), lh.Threads()
		lh.Close()
		if tc.memory != 0 && (got != tc.memory || threads != tc.threads) {
			t.Errorf("%s: the TUI's writer has memory_limit %d and %d threads, want %d and %d", tc.target, got, threads, tc.memory, tc.threads)
		}
		if tc.memory == 0 && got == 0 {
			t.Errorf("%s: no memory_limit set at all", tc.target)
		}
	}
}
