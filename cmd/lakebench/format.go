package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/lakebench/lakebench/lakehouse"
)

// How `lakebench query` prints values. The functions append to a byte
// slice: a result of hundreds of thousands of rows is printed without a
// string per value.

// appendCell appends one value of a result column as text: for the table
// (NULL, floats to 10 significant digits, a newline shown as ⏎), or
// exactly for CSV (exact: NULL is the empty field, floats round-trip,
// strings as they are). Dates and times print by the column's type
// (lakehouse.FormatTime: a TIMESTAMP at midnight keeps its time, a DATE
// has none); a DECIMAL exactly, with its scale's digits (see
// appendDecimal); lists, structs and maps as JSON (see appendJSON).
func appendCell(b []byte, col lakehouse.Column, v any, exact bool) []byte {
	switch x := v.(type) {
	case nil:
		if exact {
			return b // CSV's empty field is NULL
		}
		return append(b, "NULL"...)
	case string:
		if exact {
			return append(b, x...)
		}
		for {
			i := strings.IndexByte(x, '\n')
			if i < 0 {
				return append(b, x...)
			}
			b = append(append(b, x[:i]...), "⏎"...)
			x = x[i+1:]
		}
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case float64:
		return appendFloat(b, x, 64, exact)
	case float32:
		return appendFloat(b, float64(x), 32, exact)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return append(b, lakehouse.FormatTime(col.Type, x)...)
	case duckdb.Decimal:
		return appendDecimal(b, x)
	case []any, map[string]any:
		return appendJSON(b, lakehouse.Column{}, x)
	case json.Marshaler:
		if j, err := json.Marshal(x); err == nil {
			return append(b, j...)
		}
	}
	return fmt.Append(b, v)
}

// appendDecimal appends a DECIMAL exactly as DuckDB prints it: every digit
// of its scale, trailing zeros included (DECIMAL(10,2) 12.5 is 12.50), and
// a 0 before the point.
func appendDecimal(b []byte, d duckdb.Decimal) []byte {
	if d.Value == nil {
		return append(b, "NULL"...)
	}
	if d.Value.Sign() < 0 {
		b = append(b, '-')
	}
	start := len(b)
	b = new(big.Int).Abs(d.Value).Append(b, 10)
	scale := int(d.Scale)
	if scale == 0 {
		return b
	}
	if n := len(b) - start; n <= scale { // 0.05: pad to one digit before the point
		pad := scale - n + 1
		b = append(b, make([]byte, pad)...)
		copy(b[start+pad:], b[start:start+n])
		for i := range pad {
			b[start+i] = '0'
		}
	}
	point := len(b) - scale
	b = append(b, 0)
	copy(b[point+1:], b[point:])
	b[point] = '.'
	return b
}

// appendFloat prints a float: to 10 significant digits for people, or
// exactly (the shortest form that reads back as the same float) for CSV.
func appendFloat(b []byte, x float64, bits int, exact bool) []byte {
	if !exact {
		return strconv.AppendFloat(b, x, 'g', 10, bits)
	}
	if a := math.Abs(x); a != 0 && (a >= 1e15 || a < 1e-6) {
		return strconv.AppendFloat(b, x, 'g', -1, bits)
	}
	return strconv.AppendFloat(b, x, 'f', -1, bits)
}

// appendCSVField appends a field as encoding/csv writes it: quoted when
// it holds a comma, a quote, a line break or starts with a space, with
// quotes doubled.
func appendCSVField(b []byte, field string) []byte {
	if !csvNeedsQuotes(field) {
		return append(b, field...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(field, '"')
		if i < 0 {
			break
		}
		b = append(append(b, field[:i+1]...), '"')
		field = field[i+1:]
	}
	b = append(b, field...)
	return append(b, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma.
func csvNeedsQuotes(field string) bool {
	if field == "" {
		return false
	}
	if field == `\.` {
		return true
	}
	for i := 0; i < len(field); i++ {
		if c := field[i]; c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(field)
	return unicode.IsSpace(r)
}

// appendJSON appends a value as JSON: dates and times of a column by its
// type (lakehouse.FormatTimeJSON: no Z on a TIMESTAMP, an offset on a
// TIMESTAMPTZ), inside lists and structs as encoding/json does; NaN and the
// infinities, which JSON has no number for, as the strings "NaN",
// "Infinity" and "-Infinity".
func appendJSON(b []byte, col lakehouse.Column, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int64, int32, int16, int8, int, uint64, uint32, uint16, uint8, duckdb.Decimal:
		return appendCell(b, col, x, true) // a DECIMAL as a number, every digit
	case float64:
		return appendJSONFloat(b, x, 64)
	case float32:
		return appendJSONFloat(b, float64(x), 32)
	case time.Time:
		if col.Type == "" {
			j, _ := x.MarshalJSON()
			return append(b, j...)
		}
		return appendJSONString(b, lakehouse.FormatTimeJSON(col.Type, x))
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, lakehouse.Column{}, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, k), ':')
			b = appendJSON(b, lakehouse.Column{}, x[k])
		}
		return append(b, '}')
	}
	if j, err := json.Marshal(v); err == nil {
		return append(b, j...)
	}
	return appendJSONString(b, fmt.Sprint(v))
}

// appendJSONFloat formats a float as encoding/json does.
func appendJSONFloat(b []byte, x float64, bits int) []byte {
	switch {
	case math.IsNaN(x):
		return append(b, `"NaN"`...)
	case math.IsInf(x, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(x, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if a := math.Abs(x); a != 0 && (bits == 64 && (a < 1e-6 || a >= 1e21) || bits == 32 && (float32(a) < 1e-6 || float32(a) >= 1e21)) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, x, format, -1, bits)
	if format == 'e' {
		// e-09 to e-9, as encoding/json
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters too, invalid UTF-8 as U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}
