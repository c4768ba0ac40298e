package lakehouse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// The machine's resources, and DuckDB's settings from them. A target's
// compute settings in the bundle (pipeline.Compute) override the defaults.

// MachineMemory is the memory this process may use in bytes: the
// machine's (MemTotal of /proc/meminfo), or the cgroup's limit when that is
// smaller (a container). It is 0 when neither can be read.
func MachineMemory() int64 {
	total := memTotal()
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// DefaultMemoryLimit is DuckDB's memory_limit when none is given: half of
// the machine's memory, or 4 GB when it cannot be read. DuckDB's own
// default is 80%, which leaves too little for what lives outside its
// buffer manager: the Go side of ingestion and training, allocations DuckDB
// does not count (a run at a 3 GB limit peaked at 3.3 GB), the page cache
// of the landing files, and the other programs of a shared machine.
func DefaultMemoryLimit() int64 {
	if m := MachineMemory(); m > 0 {
		return m / 2
	}
	return 4 << 30
}

// DefaultThreads is DuckDB's worker threads when none are given: one per
// core this process may use, as DuckDB's own default.
func DefaultThreads() int { return runtime.NumCPU() }

// byteUnits are the units ParseBytes reads, as DuckDB's memory_limit does:
// KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024.
var byteUnits = map[string]int64{
	"": 1, "b": 1, "bytes": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseBytes reads a size such as 3GB, 512MiB or 1.5 GB (units as DuckDB's
// memory_limit: KB, MB, GB, TB in powers of 1000, KiB, MiB, GiB, TiB in
// powers of 1024, case-insensitive; a bare number is bytes).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	mult, ok := byteUnits[unit]
	if err != nil || !ok || v < 0 {
		return 0, fmt.Errorf("lakehouse: %q is not a size: write a number and a unit, such as 3GB, 512MB or 2GiB", s)
	}
	if n := v * float64(mult); n >= math.MaxInt64 {
		return 0, fmt.Errorf("lakehouse: %q is more bytes than a size can be: write a size such as 3GB, 512MB or 2GiB", s)
	}
	return int64(v * float64(mult)), nil
}

// FormatBytes writes a size for people: 3.0 GB, 512.0 MB (powers of 1000).
func FormatBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d bytes", n)
}

// setCompute sets DuckDB's memory_limit and threads for the whole instance,
// before anything runs: a sandboxed session locks the configuration
// (lock_configuration), after which no SET succeeds.
func (lh *Lakehouse) setCompute(ctx context.Context, opts Options) error {
	lh.memoryLimit, lh.threads = opts.MemoryLimit, opts.Threads
	if lh.memoryLimit <= 0 {
		lh.memoryLimit = DefaultMemoryLimit()
	}
	if lh.threads <= 0 {
		lh.threads = DefaultThreads()
	}
	lh.usedThreads = lh.threads
	stmts := fmt.Sprintf("SET GLOBAL memory_limit = '%d bytes'; SET GLOBAL threads = %d", lh.memoryLimit, lh.threads)
	if !lh.readOnly && lh.path != "" {
		stmts += "; SET GLOBAL checkpoint_threshold = '" + noAutoCheckpoint + "'"
	}
	if _, err := lh.db.ExecContext(ctx, stmts); err != nil && !strings.Contains(err.Error(), "configuration has been locked") {
		return fmt.Errorf("lakehouse: set memory_limit %s and threads %d on %s: %w", FormatBytes(lh.memoryLimit), lh.threads, lh.path, err)
	}
	return nil
}

// MemoryLimit is DuckDB's memory_limit in bytes, as set at Open.
func (lh *Lakehouse) MemoryLimit() int64 { return lh.memoryLimit }

// Threads is DuckDB's worker threads, as set at Open.
func (lh *Lakehouse) Threads() int { return lh.threads }

// UseThreads sets the worker threads DuckDB uses from now on, within the
// threads set at Open (at least 1), for every connection: DuckDB has no
// setting per connection. A pipeline run shares them among the tasks it
// runs side by side: on 2 cores, two tasks each running its statements
// on DuckDB's 2 threads (and their callers' threads) spent about 20% more
// CPU than on 1 thread each, in DuckDB's scheduling. It does its best: a
// refused SET (a locked configuration) leaves the threads as they were.
//
// The SET runs on a goroutine of its own, not the caller's: DuckDB takes
// fewer threads only once the worker it stops ends the task at hand, and
// a daily run of the sample waited 2-24 ms on each of its six SETs, in its
// scheduler and at its end. The SETs keep the order they were asked in,
// and one asked while another runs replaces any still waiting (only the
// last matters); WaitThreads waits for them.
func (lh *Lakehouse) UseThreads(ctx context.Context, n int) {
	n = max(1, min(n, lh.threads))
	lh.threadsMu.Lock()
	defer lh.threadsMu.Unlock()
	if lh.readOnly {
		return
	}
	lh.wantThreads = n
	if lh.threadsDone != nil || n == lh.usedThreads {
		return // the goroutine under way sets it, or nothing to set
	}
	done := make(chan struct{})
	lh.threadsDone = done
	go lh.setThreads(context.WithoutCancel(ctx), done)
}

// setThreads sets DuckDB's threads to the last number asked until they
// are that number (or a SET fails, or the lakehouse closes), then closes
// done.
func (lh *Lakehouse) setThreads(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		lh.threadsMu.Lock()
		n := lh.wantThreads
		if n == lh.usedThreads {
			lh.threadsDone = nil
			lh.threadsMu.Unlock()
			return
		}
		lh.threadsMu.Unlock()
		err := errors.New("closed")
		lh.closeMu.RLock()
		if lh.db != nil {
			_, err = lh.db.ExecContext(ctx, fmt.Sprintf("SET GLOBAL threads = %d", n))
		}
		lh.closeMu.RUnlock()
		lh.threadsMu.Lock()
		if err != nil {
			lh.threadsDone = nil
			lh.threadsMu.Unlock()
			return
		}
		lh.usedThreads = n
		lh.threadsMu.Unlock()
	}
}

// WaitThreads waits for the threads UseThreads asked to be set.
func (lh *Lakehouse) WaitThreads() {
	lh.threadsMu.Lock()
	done := lh.threadsDone
	lh.threadsMu.Unlock()
	if done != nil {
		<-done
	}
}

// Setting is a DuckDB setting's current value as DuckDB shows it
// (current_setting), such as memory_limit's "2.7 GiB".
func (lh *Lakehouse) Setting(ctx context.Context, name string) (string, error) {
	var v string
	if err := lh.db.QueryRowContext(ctx, "SELECT current_setting(?)::VARCHAR", name).Scan(&v); err != nil {
		return "", fmt.Errorf("lakehouse: setting %s: %w", name, err)
	}
	return v, nil
}

// EstimateBytes estimates the memory the tables' rows take when a query
// holds them all (a window, a sort, the build side of a join): each
// table's row count from DuckDB's catalog (duckdb_tables().estimated_size,
// no scan) times the width of a row from its column types. A bronze view
// is estimated by the table that stores its rows; a table that does not
// exist yet counts 0. The sizes are read once until a write may change
// them (see catalogSizes): a run's scheduler asks before each task.
func (lh *Lakehouse) EstimateBytes(ctx context.Context, tables []TableName) (int64, error) {
	if len(tables) == 0 {
		return 0, nil
	}
	sizes, err := lh.catalogSizes(ctx, tables)
	if err != nil {
		return 0, fmt.Errorf("lakehouse: estimate table sizes: %w", err)
	}
	var total int64
	for _, s := range sizes {
		total += s.rows * s.width
	}
	return total, nil
}

// typeWidth is the bytes a value of a DuckDB type takes in memory: fixed
// types their size, text and nested types 32 (DuckDB's 16-byte string
// header plus a short string's bytes).
func typeWidth(typ string) int64 {
	switch {
	case typ == "BOOLEAN" || strings.HasSuffix(typ, "TINYINT"):
		return 1
	case strings.HasSuffix(typ, "SMALLINT"):
		return 2
	case typ == "INTEGER" || typ == "UINTEGER" || typ == "DATE" || typ == "FLOAT":
		return 4
	case strings.HasSuffix(typ, "BIGINT") || typ == "DOUBLE" || strings.HasPrefix(typ, "TIMESTAMP") || strings.HasPrefix(typ, "TIME"):
		return 8
	case strings.HasPrefix(typ, "DECIMAL"), strings.HasSuffix(typ, "HUGEINT"), typ == "UUID", typ == "INTERVAL":
		return 16
	}
	return 32
}
