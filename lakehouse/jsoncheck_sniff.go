package lakehouse

import (
	"bytes"
	"strings"
)

// The type sniff of a JSON sample in Go: for the samples whose every
// column's type is plain from the values' text, the columns DuckDB's
// sniffer (DESCRIBE over read_json of the sample) would give, without
// asking it; for any other sample, nothing, and DuckDB decides. It must
// agree with DuckDB wherever it answers: FuzzJSONSniff compares the two.

// Classes of top-level value the Go sniff tells apart, OR'ed per key.
const (
	sniffNull   = 1 << iota
	sniffBool   // true, false
	sniffInt    // kindInt: a whole number of at most 18 digits, not -0
	sniffFrac   // kindNumber written with a point or an exponent
	sniffNested // an object or an array
	sniffDate   // a string YYYY-MM-DD of a real day (kindDate), no escape
	sniffStamp  // a string of kindTimestamp, no escape
	sniffText   // a string no candidate type of DuckDB's can read
	sniffString // another string: DuckDB might read it as a date, a time, a UUID
	sniffOther  // another number
)

// sniffMaxKeys bounds the keys of a sample the Go sniff types: DuckDB
// weighs typing a wide object as a MAP.
const sniffMaxKeys = 100

// sniffMaxLine bounds the lines of a sample the Go sniff types, far below
// the object size DuckDB's reader refuses.
const sniffMaxLine = 1 << 20

// sniffKey is what the Go sniff found of one top-level key.
type sniffKey struct {
	name    string
	classes int
	count   int
	shape   int // the length and separator of its timestamps, when one
	shapes  bool
}

// sniffJSONInGo types the sample lines (valid JSON objects, in the order
// the sample file holds them) as DuckDB's sniffer would, or returns false
// when any column is not plain from its values' text.
func sniffJSONInGo(lines [][]byte) ([]Column, bool) {
	if len(lines) == 0 {
		return nil, false
	}
	slot := map[string]int{}
	var keys []sniffKey
	for _, line := range lines {
		if len(line) < 2 || line[0] != '{' || len(line) > sniffMaxLine {
			return nil, false
		}
		i := skipJSONSpace(line, 1)
		for i < len(line) && line[i] == '"' {
			end := stringEnd(line, i+1)
			if end >= len(line) {
				return nil, false
			}
			raw := line[i+1 : end]
			if len(raw) == 0 || bytes.IndexByte(raw, '\\') >= 0 {
				return nil, false // an escaped or empty key: DuckDB names it
			}
			if i = skipJSONSpace(line, end+1); i >= len(line) || line[i] != ':' {
				return nil, false
			}
			if i = skipJSONSpace(line, i+1); i >= len(line) {
				return nil, false
			}
			vend := jsonValueEnd(line, i)
			if vend > len(line) || vend <= i {
				return nil, false
			}
			n, ok := slot[string(raw)]
			if !ok {
				n = len(keys)
				slot[string(raw)] = n
				keys = append(keys, sniffKey{name: string(raw)})
				if len(keys) > sniffMaxKeys {
					return nil, false
				}
			}
			k := &keys[n]
			k.count++
			class, shape := sniffClass(line[i:vend])
			k.classes |= class
			if class == sniffStamp {
				if k.shapes && k.shape != shape {
					return nil, false // two forms of timestamp: DuckDB may keep one format
				}
				k.shape, k.shapes = shape, true
			}
			if i = skipJSONSpace(line, vend); i < len(line) && line[i] == ',' {
				i = skipJSONSpace(line, i+1)
			}
		}
		if i >= len(line) || line[i] != '}' || skipJSONSpace(line, i+1) != len(line) {
			return nil, false
		}
	}
	if len(keys) == 0 {
		return nil, false // DuckDB reads empty objects as one JSON column
	}
	// Keys that differ only in case share a column in DuckDB.
	lower := map[string]bool{}
	cols := make([]Column, 0, len(keys))
	for _, k := range keys {
		l := strings.ToLower(k.name)
		if lower[l] || 2*k.count < len(lines) {
			// A key in fewer than half the lines: DuckDB may weigh the
			// object inconsistent (a MAP), so it decides.
			return nil, false
		}
		lower[l] = true
		t := sniffType(k.classes)
		if t == "" {
			return nil, false
		}
		cols = append(cols, Column{Name: k.name, Type: t})
	}
	return cols, true
}

// sniffType is the type of a key holding the classes of value c, as
// DuckDB's sniffer types it after loadJSON's mapping of nested types to
// JSON; "" when the Go sniff cannot tell.
func sniffType(c int) string {
	c &^= sniffNull
	switch {
	case c == 0:
		return "" // only nulls: DuckDB's null type
	case c == sniffInt:
		return "BIGINT"
	case c&^(sniffInt|sniffFrac) == 0:
		return "DOUBLE"
	case c == sniffBool:
		return "BOOLEAN"
	case c == sniffNested:
		return "JSON"
	case c&sniffText != 0 && c&^(sniffText|sniffString|sniffDate|sniffStamp) == 0:
		// Every value a string, one of which no candidate type reads.
		return "VARCHAR"
	case c == sniffDate:
		return "DATE"
	case c == sniffStamp:
		return "TIMESTAMP"
	}
	return ""
}

// sniffClass is the class of one valid JSON value, and for a timestamp its
// shape (length and separator).
func sniffClass(v []byte) (int, int) {
	switch c := v[0]; {
	case c == 'n':
		return sniffNull, 0
	case c == 't' || c == 'f':
		return sniffBool, 0
	case c == '{' || c == '[':
		return sniffNested, 0
	case c == '-' || (c >= '0' && c <= '9'):
		kind, end, ok := scanNumber(v, 0)
		switch {
		case !ok || end != len(v):
			return sniffOther, 0
		case kind == kindInt:
			return sniffInt, 0
		case kind == kindNumber && bytes.ContainsAny(v, ".eE"):
			return sniffFrac, 0
		}
		return sniffOther, 0
	case c == '"':
		if len(v) < 2 {
			return sniffOther, 0
		}
		s := v[1 : len(v)-1]
		escaped := bytes.IndexByte(s, '\\') >= 0
		if !escaped {
			switch stringKind(s) {
			case kindDate:
				return sniffDate, 0
			case kindTimestamp:
				if len(s) == 19 || s[10] == ' ' {
					// DuckDB's formats read a fraction after a space
					// only: "T" and a fraction stay text.
					return sniffStamp, len(s)<<8 | int(s[10])
				}
			}
		}
		if plainText(s, escaped) {
			return sniffText, 0
		}
		return sniffString, 0
	}
	return sniffOther, 0
}

// textStart marks the bytes no text DuckDB reads as a time, a date, a
// timestamp (in any of the JSON reader's formats) or a UUID can start
// with: all its forms start with a digit, a sign, a space, a letter or a
// brace.
var textStart = func() (t [256]bool) {
	for _, c := range []byte("/_#@!$%&()*,;<=>?[]^`|~'") {
		t[c] = true
	}
	return t
}()

// plainText reports whether a JSON string's raw content s is text that no
// candidate type of DuckDB's sniffer (TIME, DATE, TIMESTAMP, UUID) reads:
// it starts with a byte none of their forms start with; or, without
// escapes, it starts with a letter past f and holds a digit, or holds no
// digit and cannot be the 32 hex digits of a UUID.
func plainText(s []byte, escaped bool) bool {
	if len(s) > 0 && textStart[s[0]] {
		return true
	}
	if escaped || len(s) == 0 {
		return false
	}
	if c := s[0]; (c >= 'g' && c <= 'z' || c >= 'G' && c <= 'Z') && bytes.ContainsAny(s, "0123456789") {
		// A letter past f starts no UUID and no date, time or timestamp
		// in the sniffer's formats (a digit, a sign or a space starts
		// them), and its words (infinity, epoch) hold no digit: a
		// session id "S51-15" is text.
		return true
	}
	hexOnly := true
	for _, c := range s {
		if c >= '0' && c <= '9' {
			return false
		}
		if !(c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-' || c == '{' || c == '}') {
			hexOnly = false
		}
	}
	if hexOnly {
		return false
	}
	// Words some casts read as a special date, time or timestamp.
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "infinity", "-infinity", "+infinity", "inf", "-inf", "epoch", "allballs", "now", "today", "tomorrow", "yesterday":
		return false
	}
	return true
}
