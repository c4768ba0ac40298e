package main

import (
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// cellText prints one value of a result column for a table, or exactly for
// CSV: dates and times by the column's type (lakehouse.FormatTime, so a
// TIMESTAMP at midnight keeps its time and a DATE has none), the rest as
// format does.
func cellText(col lakehouse.Column, v any, exact bool) string {
	if t, ok := v.(time.Time); ok {
		return lakehouse.FormatTime(col.Type, t)
	}
	return format(v, exact)
}
