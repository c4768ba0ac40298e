package lakehouse

import "time"

// StatementStat is one statement text's count and total wall time in a
// statement profile (StartStatementProfile).
type StatementStat struct {
	SQL   string
	Count int
	Total time.Duration
}
