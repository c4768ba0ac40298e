package tui

import (
	"context"

	"github.com/lakebench/lakebench/pipeline"
)

// TestReport implements Backend: the project's last `lakebench test`
// report, nil when none ran. It reads a file of the project, never a
// target.
func (w *Workspace) TestReport(_ context.Context) (*pipeline.TestReport, error) {
	return pipeline.LoadTestReport(w.opts.Dir)
}
