package lakehouse

import (
	"context"
	"os"
	"sync"
)

// walCheckpointBytes is how large a writer lets the write-ahead log grow
// before it checkpoints: DuckDB's own default checkpoint_threshold.
const walCheckpointBytes = 16 << 20

// noAutoCheckpoint is the checkpoint_threshold a writer sets at Open, out
// of any run's reach: DuckDB then never checkpoints inside a commit.
const noAutoCheckpoint = "1 TiB"

// checkpointer moves DuckDB's checkpoint off the commit path. Left to
// itself, DuckDB checkpoints inside the commit that takes the write-ahead
// log past checkpoint_threshold, and that commit's statement waits for
// the whole checkpoint (about 350 ms in a daily run of the sample,
// landing in whichever task or step commits then). A writer sets the
// threshold out of reach at Open, and after each commit of its own looks
// at the log's size: past walCheckpointBytes, one CHECKPOINT runs on a
// connection of its own, beside the statements that go on (DuckDB lets
// other connections read, write and commit while it runs), as
// PostgreSQL's checkpointer does for its backends. Close waits for it,
// and DuckDB checkpoints what is left as it closes the file.
type checkpointer struct {
	mu sync.Mutex
	// running is closed when the checkpoint under way ends; nil when none
	// runs.
	running chan struct{}
	closed  bool
	// ran counts the checkpoints started, for the tests.
	ran int
	// onStart and onDone, for the tests, are called as each checkpoint
	// starts and with its error as it ends.
	onStart func()
	onDone  func(error)
}

// afterCommit starts a checkpoint when the write-ahead log has grown past
// walCheckpointBytes and none runs. A failed checkpoint (DuckDB refuses
// one while another is under way, say) is left for the next commit, or
// for Close.
func (lh *Lakehouse) afterCommit() {
	if lh.readOnly || lh.path == "" {
		return
	}
	if st, err := os.Stat(lh.path + ".wal"); err != nil || st.Size() < walCheckpointBytes {
		return
	}
	c := &lh.ckpt
	c.mu.Lock()
	if c.running != nil || c.closed {
		c.mu.Unlock()
		return
	}
	done := make(chan struct{})
	c.running = done
	c.ran++
	onStart, onDone := c.onStart, c.onDone
	c.mu.Unlock()
	go func() {
		if onStart != nil {
			onStart()
		}
		_, err := lh.db.ExecContext(context.Background(), "CHECKPOINT")
		c.mu.Lock()
		c.running = nil
		c.mu.Unlock()
		close(done)
		if onDone != nil {
			onDone(err)
		}
	}()
}

// waitCheckpoint waits for the checkpoint under way, if one is.
func (lh *Lakehouse) waitCheckpoint() {
	lh.ckpt.mu.Lock()
	done := lh.ckpt.running
	lh.ckpt.mu.Unlock()
	if done != nil {
		<-done
	}
}

// stopCheckpoints waits for the checkpoint under way and starts no other.
func (lh *Lakehouse) stopCheckpoints() {
	lh.ckpt.mu.Lock()
	lh.ckpt.closed = true
	lh.ckpt.mu.Unlock()
	lh.waitCheckpoint()
}
