package lakehouse

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"unicode/utf8"
)

// jsonKind is a set of the kinds of value a top-level key holds in a file.
// The fast line scan ORs them per key; they decide which columns DuckDB
// may read typed, converting each value exactly, and which are read as
// text and cast with the checks of typedLoad.
type jsonKind uint16

const (
	kindNull jsonKind = 1 << iota
	kindBool
	// kindInt is an integer of at most 18 digits, other than -0: any
	// BIGINT holds it, and DuckDB renders it as it is written.
	kindInt
	// kindNumber is another number of at most 40 characters, within 250
	// orders of magnitude of 1: a DOUBLE holds it without overflow or
	// underflow, rounded to the nearest as any parser rounds it.
	kindNumber
	kindBigNumber // any other number
	// kindDate is a string YYYY-MM-DD naming a real day of years 1-9999.
	kindDate
	// kindTimestamp is a string YYYY-MM-DD HH:MM:SS (or with T), with at
	// most six digits of fraction, naming a real instant, without offset.
	kindTimestamp
	kindString // any other string
	kindNested // an object or an array
	// kindUnknown marks the keys of a line the fast scan left to the
	// careful check.
	kindUnknown
)

// typedReadable reports whether DuckDB's JSON reader converts every value
// of the kinds in k to type t exactly and without error, as casting the
// value's text would: then the column is read typed.
func typedReadable(t string, k jsonKind) bool {
	k &^= kindNull
	switch t {
	case "BIGINT":
		return k&^kindInt == 0
	case "DOUBLE":
		return k&^(kindInt|kindNumber) == 0
	case "BOOLEAN":
		return k&^kindBool == 0
	case "TIMESTAMP":
		return k&^(kindDate|kindTimestamp) == 0
	case "DATE":
		return k&^kindDate == 0
	}
	return false
}

// jsonMaxDepth is the nesting the fast scan follows; deeper lines go to
// the careful check.
const jsonMaxDepth = 64

// jsonLineScan checks lines that are one JSON object, as common JSON lines
// are, and finds the kind of each top-level value, in one pass and without
// allocating. It is conservative: a line it accepts is one the careful
// check (jsonProblem) accepts and that DuckDB reads as it is; any line it
// is unsure of, it refuses, and the careful check decides.
type jsonLineScan struct {
	kinds []jsonKind // the kind of each key's value
	// same is true when the keys are those of the line accepted before,
	// in the same order (prev), as they mostly are: each is then compared
	// with its lead rather than scanned, and known to be unique.
	same bool
	// keys and leads are the line's top-level keys, raw (without
	// escapes), and the text from each key's opening quote to its value
	// (`"key":` and any space), filled only when the line is not same.
	keys, leads [][]byte
	// prev and prevLeads are those of the line accepted before, and
	// prevWords its leads as words.
	prev, prevLeads [][]byte
	prevWords       []leadWord
	// date and day are the first 8 and next 2 bytes of the last string
	// found to start with a date (0 when none).
	date uint64
	day  uint16
}

// lineKeys are the top-level keys of the line scanned last.
func (s *jsonLineScan) lineKeys() [][]byte {
	if s.same {
		return s.prev
	}
	return s.keys
}

// object scans one line without its end: true when it is a JSON object
// from its first byte to its last, with no duplicate or escaped top-level
// key, valid UTF-8, and no lone surrogate escape. Only space and tab count
// as white space: a line with a CR inside is refused.
func (s *jsonLineScan) object(b []byte) bool {
	end, ok := s.scan(b)
	return ok && end == len(b)
}

// scan scans the JSON object that starts b, as object does, and returns
// the index after its closing brace; it reads no further, so b may hold
// the lines after it. The object holds no CR or LF: a scan that accepts
// one from the start of a line ends on that line.
func (s *jsonLineScan) scan(b []byte) (int, bool) {
	s.kinds, s.keys, s.leads = s.kinds[:0], s.keys[:0], s.leads[:0]
	if len(b) < 2 || b[0] != '{' {
		return 0, false
	}
	kinds := s.kinds // kept here while scanning, and in s when done
	i := skipSpace(b, 1)
	if i >= len(b) {
		return 0, false
	}
	if b[i] == '}' {
		s.same = len(s.prev) == 0
		return i + 1, true
	}
	same := true
	for n := 0; ; n++ {
		lead := false
		if same && n < len(s.prevWords) {
			// The key, written as in the line before (a lead ends at
			// its colon)? Mostly two loads tell.
			w := &s.prevWords[n]
			if w.short && i+16 <= len(b) {
				lead = binary.LittleEndian.Uint64(b[i:])&w.mask == w.first &&
					binary.LittleEndian.Uint64(b[i+w.lastAt:])&w.mask2 == w.last
			} else {
				lead = w.at(b, i)
			}
		}
		if lead {
			i += len(s.prevWords[n].lead)
		} else {
			if same {
				// The line departs from the one before here: its keys so
				// far are that line's.
				s.keys = append(s.keys, s.prev[:n]...)
				s.leads = append(s.leads, s.prevLeads[:n]...)
				same = false
			}
			start := i
			if b[i] != '"' {
				return 0, false
			}
			end, escaped, ok := scanString(b, i+1)
			if !ok || escaped || end >= len(b) {
				return 0, false
			}
			key := b[i+1 : end-1]
			i = end
			if b[i] != ':' {
				if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
					return 0, false
				}
			}
			i++
			s.keys = append(s.keys, key)
			s.leads = append(s.leads, b[start:i])
		}
		if i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i = skipSpace(b, i)
		}
		var kind jsonKind
		var next int
		var ok bool
		if i < len(b) && b[i] == '"' {
			// A string, mostly plain and short: look for its end here.
			j := stringStop(b, i+1)
			if j < len(b) && b[j] == '"' {
				kind, next, ok = kindString, j+1, true
				if j-i > 10 {
					kind = s.stringKind(b[i+1 : j])
				}
			} else {
				// Something else first: the bytes before j are plain.
				var escaped bool
				next, escaped, ok = scanString(b, j)
				kind = kindString
				if ok && !escaped {
					kind = stringKind(b[i+1 : next-1])
				}
			}
		} else if c := byte(0); i+8 <= len(b) {
			c = b[i]
			switch {
			case c >= '1' && c <= '9':
				// Mostly a short whole number, found here.
				if kind, next, ok = shortInt(b, i); !ok {
					kind, next, ok = scanNumber(b, i)
				}
			case c == 'n' && binary.LittleEndian.Uint32(b[i:]) == nullWord:
				kind, next, ok = kindNull, i+4, true
			default:
				kind, next, ok = scanValue(b, i, 1)
			}
		} else {
			kind, next, ok = scanValue(b, i, 1)
		}
		if !ok || next >= len(b) {
			return 0, false
		}
		kinds = append(kinds, kind)
		i = next
		if b[i] == ' ' || b[i] == '\t' {
			if i = skipSpace(b, i); i >= len(b) {
				return 0, false
			}
		}
		switch b[i] {
		case ',':
			if i = skipSpace(b, i+1); i >= len(b) {
				return 0, false
			}
		case '}':
			s.kinds = kinds
			s.same = same && len(kinds) == len(s.prev)
			if !s.same {
				if same {
					// The line before had more keys.
					s.keys = append(s.keys, s.prev[:len(kinds)]...)
					s.leads = append(s.leads, s.prevLeads[:len(kinds)]...)
				}
				if duplicateRaw(s.keys) {
					return 0, false
				}
			}
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// stringKind is stringKind, sparing the calendar when the string starts
// with the date that the last string starting with a date began with (as
// the timestamps of a day's file do).
func (s *jsonLineScan) stringKind(v []byte) jsonKind {
	if len(v) < 10 || len(v) > 26 {
		return kindString
	}
	w, d := binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint16(v[8:])
	if s.date == 0 || w != s.date || d != s.day {
		if !isDate(v[:10]) {
			return kindString
		}
		s.date, s.day = w, d
	}
	return dateKind(v)
}

// leadWord holds a lead (see jsonLineScan) as words, to compare it with
// the text of a line in two loads rather than a call.
type leadWord struct {
	// short: the lead is at most 16 bytes, the first masked by mask and
	// the 8 at lastAt (perhaps the same) by mask2.
	short       bool
	lastAt      int
	mask2       uint64
	lead        []byte
	first, last uint64 // its first 8 bytes, and its last 8 when longer
	mask        uint64 // the bytes of first that are the lead's
}

func newLeadWord(lead []byte) leadWord {
	w := leadWord{lead: lead}
	var buf [8]byte
	copy(buf[:], lead)
	w.first = binary.LittleEndian.Uint64(buf[:])
	w.mask = ^uint64(0)
	if len(lead) < 8 {
		w.mask = 1<<(8*len(lead)) - 1
	}
	if len(lead) > 8 {
		w.last = binary.LittleEndian.Uint64(lead[len(lead)-8:])
	}
	w.short, w.mask2 = len(lead) <= 16, ^uint64(0)
	if len(lead) <= 8 {
		w.last, w.mask2 = w.first, w.mask
	} else {
		w.lastAt = len(lead) - 8
	}
	return w
}

// at reports whether b holds the lead at i.
func (w *leadWord) at(b []byte, i int) bool {
	n := len(w.lead)
	if i+8 > len(b) || i+n > len(b) {
		return len(b)-i >= n && string(b[i:i+n]) == string(w.lead)
	}
	if binary.LittleEndian.Uint64(b[i:])&w.mask != w.first {
		return false
	}
	switch {
	case n <= 8:
		return true
	case n <= 16:
		return binary.LittleEndian.Uint64(b[i+n-8:]) == w.last
	}
	return string(b[i+8:i+n]) == string(w.lead[8:])
}

// accept makes the line scanned last the one the next is compared with;
// forget makes it none.
func (s *jsonLineScan) accept() {
	if !s.same {
		s.prev, s.keys = s.keys, s.prev[:0]
		s.prevLeads, s.leads = s.leads, s.prevLeads[:0]
		s.prevWords = s.prevWords[:0]
		for _, l := range s.prevLeads {
			s.prevWords = append(s.prevWords, newLeadWord(l))
		}
	}
}

func (s *jsonLineScan) forget() {
	s.prev, s.prevLeads, s.prevWords = s.prev[:0], s.prevLeads[:0], s.prevWords[:0]
}

// duplicateRaw reports whether a key is in keys twice, as written.
func duplicateRaw(keys [][]byte) bool { return firstDuplicate(keys) != nil }

// skipSpace skips spaces and tabs (the JSON whitespace a line can hold
// that every reader treats alike).
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// scanValue scans the value starting at b[i] and returns its kind (at
// depth 1) and where it ends.
func scanValue(b []byte, i, depth int) (jsonKind, int, bool) {
	if i >= len(b) {
		return 0, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		end, escaped, ok := 0, false, true
		if j := stringStop(b, i+1); j < len(b) && b[j] == '"' {
			end = j + 1 // a plain string, found inline
		} else if end, escaped, ok = scanString(b, j); !ok {
			return 0, 0, false
		}
		if depth > 1 {
			return kindString, end, true
		}
		if escaped {
			return kindString, end, true
		}
		return stringKind(b[i+1 : end-1]), end, true
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	case c == '{' || c == '[':
		if depth >= jsonMaxDepth {
			return 0, 0, false
		}
		end, ok := scanContainer(b, i, depth+1)
		return kindNested, end, ok
	case c == 't':
		return kindBool, i + 4, bytes.HasPrefix(b[i:], []byte("true"))
	case c == 'f':
		return kindBool, i + 5, bytes.HasPrefix(b[i:], []byte("false"))
	case c == 'n':
		return kindNull, i + 4, bytes.HasPrefix(b[i:], []byte("null"))
	}
	return 0, 0, false
}

// scanContainer scans an object or array starting at b[i] whose members
// are at depth.
func scanContainer(b []byte, i, depth int) (int, bool) {
	object := b[i] == '{'
	closer := byte(']')
	if object {
		closer = '}'
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closer {
		return i + 1, true
	}
	for {
		if object {
			if i >= len(b) || b[i] != '"' {
				return 0, false
			}
			end, ok := 0, true
			if j := stringStop(b, i+1); j < len(b) && b[j] == '"' {
				end = j + 1 // a plain key, found inline
			} else if end, _, ok = scanString(b, j); !ok {
				return 0, false
			}
			i = skipSpace(b, end)
			if i >= len(b) || b[i] != ':' {
				return 0, false
			}
			i = skipSpace(b, i+1)
		}
		_, next, ok := scanValue(b, i, depth)
		if !ok {
			return 0, false
		}
		i = skipSpace(b, next)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case closer:
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// nullWord is "null" as a little-endian word.
const nullWord = 'n' | 'u'<<8 | 'l'<<16 | 'l'<<24

const (
	ones8  = 0x0101010101010101
	highs8 = 0x8080808080808080
)

// specialBytes8 has the high bit set in the first of 8 bytes (little
// endian in x) that ends or escapes a string, is a control character or
// starts a multi-byte character, if any: 0 when there is none. Bits above
// the first may be set too.
func specialBytes8(x uint64) uint64 {
	// A byte of q or s is zero where x has a quote or a backslash. Each
	// term sets the high bit of its first zero byte (or, for the last, of
	// its first byte below 0x20), and perhaps of bytes after it, but of no
	// byte before, as long as the bytes of x before are ASCII.
	q := x ^ (ones8 * '"')
	s := x ^ (ones8 * '\\')
	t := (q-ones8)&^q | (s-ones8)&^s | (x - ones8*0x20)
	return (t&^x | x) & highs8
}

// stringStop is the index of the first byte at or after j that ends or
// escapes a string or is not plain ASCII, as far as whole words reach: at
// most 7 bytes before the end of b are left to the caller.
func stringStop(b []byte, j int) int {
	for j+8 <= len(b) {
		if m := specialBytes8(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	return j
}

// scanString scans a string whose content starts at b[i] and returns the
// index after its closing quote, and whether it holds an escape.
func scanString(b []byte, i int) (end int, escaped, ok bool) {
	for {
		for i+8 <= len(b) {
			if m := specialBytes8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return 0, false, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c == '\\':
			n := escapeLen(b, i)
			if n == 0 {
				return 0, false, false
			}
			escaped = true
			i += n
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, false
			}
			i += size
		default:
			i++
		}
	}
}

// escapeLen is the length of the escape at b[i] (a backslash), 0 when it
// is invalid or a lone UTF-16 surrogate.
func escapeLen(b []byte, i int) int {
	if i+1 >= len(b) {
		return 0
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		v, ok := hex4(b, i+2)
		switch {
		case !ok || (v >= 0xDC00 && v <= 0xDFFF):
			return 0
		case v >= 0xD800 && v <= 0xDBFF:
			if i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
				return 0
			}
			if w, ok := hex4(b, i+8); !ok || w < 0xDC00 || w > 0xDFFF {
				return 0
			}
			return 12
		}
		return 6
	}
	return 0
}

// hex4 reads four hex digits at b[i].
func hex4(b []byte, i int) (int, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// nonDigits8 has the high bit set in each of the 8 bytes (little endian
// in x) that is not an ASCII digit, up to the first such byte; bytes after
// it may be marked wrongly.
func nonDigits8(x uint64) uint64 {
	// A digit has high nibble 3, and so has the digit plus 6. Adding 6
	// carries into the next byte only from a byte of 0xFA or more, which
	// is itself marked.
	y := (x&(ones8*0xF0) ^ ones8*0x30) | ((x+ones8*6)&(ones8*0xF0) ^ ones8*0x30)
	return ((y >> 4) + ones8*0x7F) & highs8
}

// digitRun is the number of ASCII digits at b[i:].
func digitRun(b []byte, i int) int {
	n := i
	for n+8 <= len(b) {
		if m := nonDigits8(binary.LittleEndian.Uint64(b[n:])); m != 0 {
			return n + bits.TrailingZeros64(m)>>3 - i
		}
		n += 8
	}
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	return n - i
}

// shortInt is scanNumber of a number at b[i], a digit 1-9 with 8 bytes
// from it in b, when the number is whole and of at most 7 digits (one
// word holds them and what ends them); ok is false for any other.
func shortInt(b []byte, i int) (jsonKind, int, bool) {
	n := bits.TrailingZeros64(nonDigits8(binary.LittleEndian.Uint64(b[i:]))) >> 3
	if e := b[i+n&7]; n < 8 && e != '.' && e != 'e' && e != 'E' {
		return kindInt, i + n, true
	}
	return 0, 0, false
}

// scanNumber scans a JSON number at b[i] and tells its kind.
func scanNumber(b []byte, i int) (jsonKind, int, bool) {
	if c := b[i]; c >= '1' && c <= '9' && i+8 <= len(b) {
		if k, next, ok := shortInt(b, i); ok {
			return k, next, true
		}
	}
	start := i
	if b[i] == '-' {
		i++
	}
	digits := i
	n := 8
	if i+8 <= len(b) {
		// Mostly a short number: one word holds it.
		n = bits.TrailingZeros64(nonDigits8(binary.LittleEndian.Uint64(b[i:]))) >> 3
	}
	if n == 8 {
		n = digitRun(b, i)
	}
	if n == 0 {
		return 0, 0, false
	}
	if b[i] == '0' {
		n = 1 // a leading zero is the whole integer part
	}
	i += n
	intDigits := n
	whole := true
	if i < len(b) && b[i] == '.' {
		i++
		n := 8
		if i+8 <= len(b) {
			n = bits.TrailingZeros64(nonDigits8(binary.LittleEndian.Uint64(b[i:]))) >> 3
		}
		if n == 8 {
			n = digitRun(b, i)
		}
		if n == 0 {
			return 0, 0, false
		}
		i += n
		whole = false
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		neg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			neg = b[i] == '-'
			i++
		}
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if exp < 10000 {
				exp = exp*10 + int(b[i]-'0')
			}
			i++
		}
		if i == from {
			return 0, 0, false
		}
		if neg {
			exp = -exp
		}
		whole = false
	}
	switch {
	case whole && intDigits <= 18 && (intDigits > 1 || b[digits] != '0' || digits == start):
		return kindInt, i, true
	case i-start <= 40 && exp >= -250 && exp <= 250:
		return kindNumber, i, true
	}
	return kindBigNumber, i, true
}

// stringKind tells a date or a timestamp without offset from other text.
func stringKind(s []byte) jsonKind {
	if len(s) < 10 || len(s) > 26 || !isDate(s[:10]) {
		return kindString
	}
	return dateKind(s)
}

// dateKind is stringKind of s (10 to 26 bytes) starting with a date.
func dateKind(s []byte) jsonKind {
	if len(s) == 10 {
		return kindDate
	}
	if len(s) < 19 || (s[10] != 'T' && s[10] != ' ') || !isTime(s[11:19]) {
		return kindString
	}
	if len(s) == 19 {
		return kindTimestamp
	}
	if len(s) == 20 || s[19] != '.' || !allDigits(s[20:]) {
		return kindString
	}
	return kindTimestamp
}

// isDate reports whether s is YYYY-MM-DD naming a day of years 1-9999.
func isDate(s []byte) bool {
	// "YYYY-MM-" in one word: digits at 0-3 and 5-6, dashes at 4 and 7.
	w := binary.LittleEndian.Uint64(s)
	if nonDigits8(w)&0x0080800080808080 != 0 || w&0xFF0000FF00000000 != 0x2D00002D00000000 || !allDigits(s[8:10]) {
		return false
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if y == 0 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// isTime reports whether s is HH:MM:SS of a 24-hour clock.
func isTime(s []byte) bool {
	// Digits at 0-1, 3-4 and 6-7, colons at 2 and 5.
	w := binary.LittleEndian.Uint64(s)
	if nonDigits8(w)&0x8080008080008080 != 0 || w&0x0000FF0000FF0000 != 0x00003A00003A0000 {
		return false
	}
	hour := s[0] < '2' || (s[0] == '2' && s[1] < '4')
	return hour && s[3] < '6' && s[6] < '6'
}

func allDigits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// textValues rewrites the top-level values of obj (one valid JSON object)
// that are numbers, objects or arrays under a key in text, as JSON strings
// of their source text: DuckDB reads a string as it is written, where it
// would render the number it parsed (1E+2 becomes "100.0", 0.10 "0.1").
// It returns obj itself when there is none to rewrite, else the rewrite
// appended to buf[:0].
func textValues(obj []byte, text map[string]bool, buf []byte) []byte {
	out, done := buf[:0], -1 // obj[:done] is in out once rewriting
	i := skipJSONSpace(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		end := stringEnd(obj, i+1)
		key := obj[i+1 : end]
		i = skipJSONSpace(obj, end+1) + 1 // past the colon
		i = skipJSONSpace(obj, i)
		if i >= len(obj) {
			break
		}
		vend := jsonValueEnd(obj, i)
		if c := obj[i]; (c == '-' || (c >= '0' && c <= '9') || c == '{' || c == '[') && textKey(text, key) {
			if done < 0 {
				done = 0
			}
			out = append(out, obj[done:i]...)
			if c == '{' || c == '[' {
				q, _ := json.Marshal(string(obj[i:vend]))
				out = append(out, q...)
			} else {
				out = append(append(append(out, '"'), obj[i:vend]...), '"')
			}
			done = vend
		}
		i = skipJSONSpace(obj, vend)
		if i < len(obj) && obj[i] == ',' {
			i = skipJSONSpace(obj, i+1)
		}
	}
	if done < 0 {
		return obj
	}
	return append(out, obj[done:]...)
}

// textKey reports whether a raw key (perhaps with escapes) is in text.
func textKey(text map[string]bool, raw []byte) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return text[string(raw)]
	}
	var k string
	return json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k) == nil && text[k]
}

// skipJSONSpace skips JSON white space.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonValueEnd is where the valid JSON value starting at b[i] ends.
func jsonValueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i+1) + 1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i+1)
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(b[i])) {
		i++
	}
	return i
}
