package pipeline

import (
	"context"

	"github.com/lakebench/lakebench/lakehouse"
)

// EvalQuery runs one SELECT of the bundle (a presentation's insight) as
// lh's principal the way a dashboard tile's query runs: refused unless
// DuckDB's parser sees one SELECT, authorized on its plan, at most
// MaxTileRows rows (truncated says there were more).
func (p *Project) EvalQuery(ctx context.Context, lh *lakehouse.Lakehouse, query string) (res *lakehouse.Result, truncated bool, err error) {
	return p.tileQuery(ctx, lh, query)
}
