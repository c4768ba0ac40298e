//go:build lbprof

package lakehouse

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// A developer's statement profile, built only with the lbprof tag (go
// test -tags 'duckdb_arrow lbprof'): every statement any connection of the
// process runs through ExecContext or QueryContext is counted and timed
// (wall time to its first result, per statement text, folded to its
// first 100 characters) while a profile is on. It shows where a run's
// statements go, as BenchmarkDailyRun logs.

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
