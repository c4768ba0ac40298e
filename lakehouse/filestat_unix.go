//go:build linux || darwin

package lakehouse

import (
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// fileStatSettle is how long after its last change a file's stat is
// trusted to tell its content: a change within the same tick of the
// file system's clock could leave the same times. Times with a fraction
// of a second come from a clock of a few milliseconds' tick (ext4, xfs,
// tmpfs, APFS); whole seconds may be a coarse one (up to 2 s on FAT).
const (
	fileStatSettle       = 100 * time.Millisecond
	fileStatSettleCoarse = 2 * time.Second
)

// settledStat is a file's size, modification and change times and inode,
// as sys.ingested_files keeps them (file_stat) beside the content hash:
// a later load that finds the same stat takes the recorded hash instead
// of reading the file again, as git's index and make trust a file's
// stat. Every write to a file moves its change time (ctime), which no
// user can set back; a copy or a restore is a new inode. It is "" (hash
// the file) where the stat does not tell: a file changed within
// fileStatSettle of now, whose next change might keep the same times, or
// a system without these fields.
func settledStat(st fs.FileInfo, now time.Time) string {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	mtime, ctime := statTimes(s)
	settle := fileStatSettle
	if mtime%int64(time.Second) == 0 && ctime%int64(time.Second) == 0 {
		settle = fileStatSettleCoarse
	}
	limit := now.Add(-settle).UnixNano()
	if mtime >= limit || ctime >= limit {
		return ""
	}
	return fmt.Sprintf("v1 %d %d %d %d %d", st.Size(), mtime, ctime, uint64(s.Ino), uint64(s.Dev))
}
