package lakehouse

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxFileID is the largest file id: 2^53 - 1, the largest integer a
// JSON reader in JavaScript holds exactly.
const maxFileID = 1<<53 - 1

// fileIDs hands out the ids of the files a writer ingests, in increasing
// order: above every id sys.ingested_files (or a table that keeps ids,
// see next) holds and every id this process handed out before. A table's
// rows are appended file by file, so its files' rows then lie in row
// groups of increasing ids, and DuckDB's zone maps skip the row groups of
// every other file when a statement asks for a few files' rows (the join
// filter of a model's new files through the bronze view, health's count
// of the files not counted yet). Random ids, as before, left nearly every
// row group's range around any id, and each such statement read the whole
// table. Ids are unique across tables (the bronze views join on the id
// alone); only one process writes a target (the writer lock), so this
// process's counter and the file's ids are all there are. Ids of files
// ingested before (random, below 2^53) leave room above them; should none
// be left, ids are random again.
type fileIDs struct {
	mu   sync.Mutex
	last int64
}

// next returns n new ids, reading the largest id through q (the ingest's
// transaction): of sys.ingested_files, and of the tables that keep ids of
// files whose records are gone (a source dropped: sys.model_files names
// the files a model processed, sys.health_file_stats those it counted),
// which a new file must not take.
func (f *fileIDs) next(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, n int) ([]int64, error) {
	var top sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(id) FROM (SELECT max(file_id) FROM sys.ingested_files
		UNION ALL SELECT max(file_id) FROM sys.model_files
		UNION ALL SELECT max(file_id) FROM sys.health_file_stats) AS lb_ids(id)`).Scan(&top); err != nil {
		return nil, fmt.Errorf("lakehouse: the largest file id: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = max(f.last, top.Int64)
	ids := make([]int64, n)
	for i := range ids {
		if f.last >= maxFileID {
			ids[i] = newFileID()
			continue
		}
		f.last++
		ids[i] = f.last
	}
	return ids, nil
}
