package main

import (
	"strings"
	"testing"

	"github.com/lakebench/lakebench/pipeline"
)

// TestProgressWarningsOwnLine: a task's warnings (a model's late rows it
// cannot trace) are printed on lines of their own, after the task's line
// and its other notes.
func TestProgressWarningsOwnLine(t *testing.T) {
	var b strings.Builder
	warning := "warning: gold.revenue: silver.counts changed and the times of its rows cannot be traced (it has no column day): its changes before 2026-01-02 are not in gold.revenue until `lakebench run --full-refresh gold.revenue`"
	progressPrinter(&b)(pipeline.Event{Kind: pipeline.TaskFinished, Index: 2, Total: 3, Task: "gold.revenue", Rows: 7,
		Detail: "gold.revenue: day from 2026-01-02 on (late rows of silver.orders); " + warning})
	got := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(got) != 2 || !strings.HasSuffix(got[0], "(gold.revenue: day from 2026-01-02 on (late rows of silver.orders))") || got[1] != "  "+warning {
		t.Errorf("printed\n%s\nwant the task's line with its note, then the warning on its own line", b.String())
	}
}
