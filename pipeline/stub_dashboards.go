package pipeline

// CONTRACT STUB (issue 10), owned by the helper on branch an-dash: it moves
// this code into dashboards.go and deletes this file. Signatures are
// shared: change one here first, in a commit of its own.

import (
	"context"
	"errors"

	"github.com/lakebench/lakebench/lakehouse"
)

var errDashNotBuilt = errors.New("pipeline: dashboards are not built yet")

// TileData is one dashboard tile evaluated: its query's rows and what to
// draw of them.
type TileData struct {
	Dashboard string `json:"dashboard"`
	Index     int    `json:"index"`
	Title     string `json:"title"`
	// Kind is kpi, chart or table.
	Kind string `json:"kind"`
	// Chart is bar, line, timeseries, scatter or sparkline (chart tiles).
	Chart   string             `json:"chart,omitempty"`
	X       string             `json:"x,omitempty"`
	Y       string             `json:"y,omitempty"`
	Columns []lakehouse.Column `json:"columns"`
	Rows    [][]any            `json:"rows"`
	KPI     *KPI               `json:"kpi,omitempty"`
}

// KPI is a value and its change against the previous period.
type KPI struct {
	Value float64 `json:"value"`
	// HasPrevious is false when there is no previous period.
	HasPrevious bool    `json:"has_previous"`
	Previous    float64 `json:"previous,omitempty"`
	// Change is (Value-Previous)/|Previous|.
	Change float64 `json:"change,omitempty"`
	// Good is true when the change goes the good way (green), false red.
	Good bool `json:"good"`
	// Format is how to show the value: number, money or percent.
	Format string `json:"format,omitempty"`
}

// EvalTile runs one tile's query as the principal of lh.
func (p *Project) EvalTile(ctx context.Context, lh *lakehouse.Lakehouse, dashboard string, tile int) (*TileData, error) {
	return nil, errDashNotBuilt
}
