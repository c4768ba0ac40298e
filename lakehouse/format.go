package lakehouse

import (
	"fmt"
	"strings"
	"time"
)

// The driver hands every date and time type over as a time.Time, so what a
// value is (a DATE, a TIMESTAMP at midnight, an instant) is known only from
// its column's type. These two functions are the one place that decides how
// such values print.

// FormatTime prints a date or time value of a column of DuckDB type typ as
// DuckDB's own text cast does, for tables and CSV: DATE 2026-01-05;
// TIMESTAMP (and _S, _MS, _NS) 2026-01-05 00:00:00, midnight included;
// TIMESTAMPTZ 2026-01-04 22:00:00+00, in the local time zone (DuckDB's
// TimeZone setting defaults to it) with its offset; TIME 10:00:00; TIMETZ
// 10:00:00+02. Fractions of a second print when there are any. An unknown
// type prints as a TIMESTAMP.
func FormatTime(typ string, t time.Time) string {
	switch strings.ToUpper(typ) {
	case "DATE":
		return t.Format(time.DateOnly)
	case "TIME":
		return t.Format("15:04:05.999999999")
	case "TIMETZ", "TIME WITH TIME ZONE":
		return t.Format("15:04:05.999999999") + shortOffset(t)
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		t = t.In(time.Local)
		return t.Format("2006-01-02 15:04:05.999999999") + shortOffset(t)
	}
	return t.Format("2006-01-02 15:04:05.999999999")
}

// FormatTimeJSON prints the same values for JSON, in ISO 8601 (RFC 3339
// where there is a zone): a DATE is 2026-01-05; a TIMESTAMP, which has no
// zone, is 2026-01-05T00:00:00 without Z or offset; a TIMESTAMPTZ is an
// instant with its offset, 2026-01-04T22:00:00+00:00 (local time zone);
// TIME 10:00:00; TIMETZ 10:00:00+02:00.
func FormatTimeJSON(typ string, t time.Time) string {
	switch strings.ToUpper(typ) {
	case "DATE":
		return t.Format(time.DateOnly)
	case "TIME":
		return t.Format("15:04:05.999999999")
	case "TIMETZ", "TIME WITH TIME ZONE":
		return t.Format("15:04:05.999999999-07:00")
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return t.In(time.Local).Format("2006-01-02T15:04:05.999999999-07:00")
	}
	return t.Format("2006-01-02T15:04:05.999999999")
}

// shortOffset is a UTC offset as DuckDB prints it: +02, -03:30, +00.
func shortOffset(t time.Time) string {
	_, secs := t.Zone()
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	s := fmt.Sprintf("%s%02d", sign, secs/3600)
	if m := secs % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}
