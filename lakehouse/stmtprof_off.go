//go:build !lbprof

package lakehouse

import "time"

// StartStatementProfile counts statements only in a build with the lbprof
// tag (see stmtprof.go); without it, it counts none.
func StartStatementProfile() func() []StatementStat {
	return func() []StatementStat { return nil }
}

func noteStatement(string, time.Time) {}

func now() time.Time { return time.Time{} }
