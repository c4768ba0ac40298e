package lakehouse

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
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

// Number reads a numeric value as a float64: any Go integer or float, a
// *big.Int, or a value whose String is a number in decimal (duckdb.Decimal).
// A time, a string (a HUGEINT beyond int64 comes from Stream as its
// digits) or anything else is not a number.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint8:
		return float64(x), true
	case *big.Int:
		if x == nil {
			return 0, false
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case fmt.Stringer:
		if _, isTime := v.(time.Time); isTime {
			return 0, false
		}
		f, err := strconv.ParseFloat(x.String(), 64)
		return f, err == nil
	}
	return 0, false
}

// GroupDigits puts thousands separators in the integer part of a number
// written in digits: -1234567.5 -> -1,234,567.5. Anything else comes back
// as it is.
func GroupDigits(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		sign, s = s[:1], s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(intPart[i])
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Cost shows a cost with two significant digits past its leading
// zeros (prices per compute-second make small costs), and its currency.
func Cost(c float64, currency string) string {
	var s string
	switch {
	case c == 0:
		s = "0"
	case c >= 1:
		s = fmt.Sprintf("%.2f", c)
	default:
		digits := min(12, int(math.Ceil(-math.Log10(c)))+1)
		s = fmt.Sprintf("%.*f", digits, c)
	}
	if currency != "" {
		s += " " + currency
	}
	return s
}
