package lakehouse

import "syscall"

// statTimes are a stat's modification and change times in nanoseconds.
func statTimes(s *syscall.Stat_t) (mtime, ctime int64) {
	return s.Mtimespec.Nano(), s.Ctimespec.Nano()
}
