package lakehouse

import (
	"context"
	"time"
)

// RunStatsSince counts the runs of the target (every job) that started at
// or after since, by status: an SLA's availability over its window. Read
// as RunStats is (CAN_VIEW on the target suffices).
func (lh *Lakehouse) RunStatsSince(ctx context.Context, since time.Time) (RunStats, error) {
	return governed(ctx, lh, func() (RunStats, int64, error) {
		var s RunStats
		err := lh.db.QueryRowContext(ctx, `SELECT count(*),
			count(*) FILTER (status = 'succeeded'), count(*) FILTER (status = 'failed'),
			count(*) FILTER (status = 'canceled'), count(*) FILTER (status = 'crashed'),
			count(*) FILTER (status = 'running')
			FROM sys.runs WHERE started_at >= ?`, since.UTC()).
			Scan(&s.Runs, &s.Succeeded, &s.Failed, &s.Canceled, &s.Crashed, &s.Running)
		if err != nil {
			return RunStats{}, 0, queryError(ctx, err)
		}
		return s, 1, nil
	}, sysTable("runs"))
}
