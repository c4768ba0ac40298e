//go:build lbprof

package lakehouse

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// A developer's statement profile, built only with the lbprof tag (go
// test -tags 'duckdb_arrow lbprof'): every statement any connection of the
// process runs through ExecContext or QueryContext is counted and timed
// (wall time to its first result, per statement text, folded to its
// first 100 characters) while a profile is on. It shows where a run's
// statements go, as BenchmarkDailyRun logs.

// gantt, with LB_GANTT set, prints every statement to stderr as it ends,
// while a profile is on: its start (ms since the profile started), its
// time and its text, as "GANTT start dur text"; and, as the profile
// starts, the CLOCK_MONOTONIC time ("GANTT-MONO s.ns") that perf record
// -k CLOCK_MONOTONIC stamps its samples with, to find each sample's
// statement.
var gantt = os.Getenv("LB_GANTT") != ""

var profileStart time.Time

var profile struct {
	sync.Mutex
	on    bool
	stats map[string]*StatementStat
}

// StartStatementProfile starts counting statements; the function it
// returns stops and returns them, the longest total first.
func StartStatementProfile() func() []StatementStat {
	profile.Lock()
	profile.on, profile.stats = true, map[string]*StatementStat{}
	profileStart = time.Now()
	if gantt {
		var ts syscall.Timespec
		syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0) // CLOCK_MONOTONIC
		fmt.Fprintf(os.Stderr, "GANTT-MONO %d.%09d\n", ts.Sec, ts.Nsec)
	}
	profile.Unlock()
	return func() []StatementStat {
		profile.Lock()
		defer profile.Unlock()
		profile.on = false
		var out []StatementStat
		for _, s := range profile.stats {
			out = append(out, *s)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Total > out[j].Total })
		return out
	}
}

func noteStatement(q string, start time.Time) {
	d := time.Since(start)
	profile.Lock()
	defer profile.Unlock()
	if !profile.on {
		return
	}
	k := strings.Join(strings.Fields(q), " ")
	if gantt {
		g := k
		if len(g) > 150 {
			g = g[:150]
		}
		fmt.Fprintf(os.Stderr, "GANTT %9.1f %7.1fms %s\n", float64(start.Sub(profileStart).Microseconds())/1000, float64(d.Microseconds())/1000, g)
	}
	if len(k) > 100 {
		k = k[:100]
	}
	s := profile.stats[k]
	if s == nil {
		s = &StatementStat{SQL: k}
		profile.stats[k] = s
	}
	s.Count++
	s.Total += d
}

func now() time.Time { return time.Now() }
