package grid

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lakebench/lakebench/lakehouse"
)

// cellKind is how a formatted cell is aligned and styled.
type cellKind int

const (
	kindText cellKind = iota
	kindNumber
	kindNull
)

// cell is one value as the grid shows it: one line, control characters
// made visible, numbers with thousands separators.
type cell struct {
	text string
	kind cellKind
	// frac is the cells a number takes from its decimal point on (0
	// without one): a column's numbers line up on the point.
	frac int
}

// nullText is how a NULL shows: distinct from an empty string, which shows
// as nothing.
const nullText = "∅"

// formatCell formats a value of a column of DuckDB type typ for a grid
// cell.
func formatCell(v any, typ string) cell {
	if v == nil {
		return cell{text: nullText, kind: kindNull}
	}
	if s, ok := formatNumber(roundForScreen(v, typ), typ); ok {
		c := cell{text: s, kind: kindNumber}
		if i := strings.IndexByte(s, '.'); i >= 0 {
			c.frac = len(s) - i
		}
		return c
	}
	return cell{text: oneLine(formatValue(v, typ)), kind: kindText}
}

// roundForScreen rounds a DOUBLE to 15 significant digits and a FLOAT to 7
// for the cell, so a sum of cents reads 700,676.18, not 700,676.1799999999:
// the last digits of a binary float are noise to a reader. The cell viewer
// and copies keep every digit DuckDB returned (plainText).
func roundForScreen(v any, typ string) any {
	if strings.HasPrefix(typ, "DECIMAL") {
		return v
	}
	switch x := v.(type) {
	case float64:
		if r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 15, 64), 64); err == nil {
			return r
		}
	case float32:
		if r, err := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', 7, 32), 32); err == nil {
			return float32(r)
		}
	}
	return v
}

// plainText is a value as copied to the clipboard and shown in the cell
// viewer: as DuckDB prints it, numbers without separators, NULL empty.
func plainText(v any, typ string) string {
	if v == nil {
		return ""
	}
	return formatValue(v, typ)
}

// formatNumber formats a number with thousands separators, keeping every
// digit DuckDB returned (a DECIMAL keeps its scale); ok is false for
// values that are not numbers.
func formatNumber(v any, typ string) (string, bool) {
	switch x := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return lakehouse.GroupDigits(fmt.Sprint(x)), true
	case *big.Int:
		return lakehouse.GroupDigits(x.String()), true
	case float32:
		return formatFloat(float64(x), typ, 32), true
	case float64:
		return formatFloat(x, typ, 64), true
	case string:
		// HUGEINT and UHUGEINT values beyond int64 come as their digits.
		if lakehouse.IsIntegerType(typ) && isDigits(strings.TrimPrefix(x, "-")) {
			return lakehouse.GroupDigits(x), true
		}
	}
	if d, ok := v.(decimal); ok && strings.HasPrefix(typ, "DECIMAL") {
		return lakehouse.GroupDigits(padScale(d.String(), decimalScale(typ))), true
	}
	return "", false
}

// decimal is duckdb.Decimal as the grid reads it (tui does not import the
// driver): String is exact, without trailing zeros.
type decimal interface {
	String() string
	Float64() float64
}

// formatFloat formats a DOUBLE or FLOAT as DuckDB does, shortest exact
// digits, in exponent form only when very large or small; a DECIMAL
// scanned as a float64 shows its scale.
func formatFloat(f float64, typ string, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if strings.HasPrefix(typ, "DECIMAL") {
		return lakehouse.GroupDigits(strconv.FormatFloat(f, 'f', decimalScale(typ), 64))
	}
	if a := math.Abs(f); a != 0 && (a >= 1e15 || a < 1e-6) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return lakehouse.GroupDigits(strconv.FormatFloat(f, 'f', -1, bits))
}

// decimalScale is s of DECIMAL(w,s) (0 when not given).
func decimalScale(typ string) int {
	i, j := strings.IndexByte(typ, ','), strings.IndexByte(typ, ')')
	if i < 0 || j < i {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(typ[i+1 : j]))
	if err != nil {
		return 0
	}
	return n
}

// padScale writes a decimal's digits with exactly scale digits after the
// point, as DuckDB prints DECIMAL(w,s): 1.5 of scale 3 is 1.500.
func padScale(s string, scale int) string {
	if scale <= 0 {
		return s
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) < scale {
		frac += strings.Repeat("0", scale-len(frac))
	}
	return intPart + "." + frac
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatValue writes a value as DuckDB prints it, given its column's type
// (which says how to read a string holding a BLOB or a UUID, and the order
// of a STRUCT's fields, which a Go map loses).
func formatValue(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		switch typ {
		case "BLOB":
			return blobText([]byte(x))
		case "UUID":
			if len(x) == 16 {
				return uuidText([]byte(x))
			}
		}
		return x
	case []byte:
		if typ == "UUID" && len(x) == 16 {
			return uuidText(x)
		}
		return blobText(x)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return timeText(x, typ)
	case []any:
		elem := elemType(typ)
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e, elem)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if typ == "JSON" {
			return compactJSON(x, typ)
		}
		var b strings.Builder
		b.WriteByte('{')
		for i, f := range structOrder(x, typ) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("'" + f.name + "': " + formatValue(x[f.name], f.typ))
		}
		b.WriteByte('}')
		return b.String()
	case float64, float32:
		if s, ok := formatNumber(x, typ); ok {
			return strings.ReplaceAll(s, ",", "")
		}
	}
	if keys, vals, ok := orderedMap(v); ok {
		kt, vt := mapTypes(typ)
		parts := make([]string, len(keys))
		for i := range keys {
			parts[i] = formatValue(keys[i], kt) + "=" + formatValue(vals[i], vt)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if d, ok := v.(decimal); ok && strings.HasPrefix(typ, "DECIMAL") {
		return padScale(d.String(), decimalScale(typ))
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

// timeText writes a DATE, TIME or TIMESTAMP as DuckDB does; a time inside
// a nested value (whose type the grid does not parse) shows as a date when
// it has no time of day.
func timeText(t time.Time, typ string) string {
	switch {
	case typ == "DATE":
		return t.Format("2006-01-02")
	case strings.HasPrefix(typ, "TIME") && !strings.HasPrefix(typ, "TIMESTAMP"):
		return t.Format("15:04:05.999999")
	case typ == "TIMESTAMPTZ" || typ == "TIMESTAMP WITH TIME ZONE":
		return t.Format("2006-01-02 15:04:05.999999-07")
	case typ == "" && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

// blobText writes bytes as DuckDB prints a BLOB: printable ASCII as is,
// other bytes as \xHH.
func blobText(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' {
			s.WriteByte(c)
			continue
		}
		fmt.Fprintf(&s, `\x%02X`, c)
	}
	return s.String()
}

// uuidText writes a UUID's 16 bytes (as the driver returns them) in its
// usual form.
func uuidText(b []byte) string {
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// orderedMap reads a MAP value (duckdb.OrderedMap, whose Keys and Values
// have pointer receivers) without importing the driver.
func orderedMap(v any) (keys, vals []any, ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Struct {
		return nil, nil, false
	}
	p := reflect.New(rv.Type())
	p.Elem().Set(rv)
	k, vs := p.MethodByName("Keys"), p.MethodByName("Values")
	if !k.IsValid() || !vs.IsValid() || k.Type().NumIn() != 0 || vs.Type().NumIn() != 0 {
		return nil, nil, false
	}
	keys, ok1 := k.Call(nil)[0].Interface().([]any)
	vals, ok2 := vs.Call(nil)[0].Interface().([]any)
	if !ok1 || !ok2 || len(keys) != len(vals) {
		return nil, nil, false
	}
	return keys, vals, true
}

// oneLine makes text safe for one cell: line breaks show as ↵, tabs as a
// space and other control characters (an escape sequence in the data
// included) as their control pictures, so no value breaks the layout.
func oneLine(s string) string {
	clean := true
	for i := range len(s) {
		if s[i] < 0x20 || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) && !strings.ContainsRune(s, '\u0085') && !strings.ContainsFunc(s, joiner) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune('↵')
		case r == '\r':
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20:
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune('␡')
		case r >= 0x80 && r < 0xa0, r == utf8.RuneError:
			b.WriteRune('�')
		case joiner(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// joiner reports the runes that join or restyle an emoji (zero-width
// joiner, variation selectors, skin tones): terminals disagree on the width
// of the sequences they make (tmux draws 👍🏽 four columns wide, ❤️ one),
// which shifted the grid's borders, so a cell shows the emoji apart.
func joiner(r rune) bool {
	return r == '\u200d' || r >= '\ufe00' && r <= '\ufe0f' || r >= 0x1f3fb && r <= 0x1f3ff
}

// field is one field of a STRUCT type.
type field struct{ name, typ string }

// structOrder returns a struct value's fields in the order its type
// declares them; fields the type does not name follow, sorted.
func structOrder(m map[string]any, typ string) []field {
	declared := structFields(typ)
	out := make([]field, 0, len(m))
	seen := map[string]bool{}
	for _, f := range declared {
		if _, ok := m[f.name]; ok {
			out = append(out, f)
			seen[f.name] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, field{name: k})
	}
	return out
}

// structFields parses STRUCT("a" INTEGER, b VARCHAR[]) into its fields.
func structFields(typ string) []field {
	inner, ok := typeArgs(typ, "STRUCT")
	if !ok {
		return nil
	}
	var out []field
	for _, part := range splitTop(inner) {
		part = strings.TrimSpace(part)
		var name, rest string
		if strings.HasPrefix(part, `"`) {
			end := 1
			for end < len(part) {
				if part[end] == '"' {
					if end+1 < len(part) && part[end+1] == '"' {
						end += 2
						continue
					}
					break
				}
				end++
			}
			name = strings.ReplaceAll(part[1:min(end, len(part))], `""`, `"`)
			rest = part[min(end+1, len(part)):]
		} else {
			name, rest, _ = strings.Cut(part, " ")
		}
		out = append(out, field{name: name, typ: strings.TrimSpace(rest)})
	}
	return out
}

// mapTypes parses MAP(K, V) into its key and value types.
func mapTypes(typ string) (string, string) {
	inner, ok := typeArgs(typ, "MAP")
	if !ok {
		return "", ""
	}
	parts := splitTop(inner)
	if len(parts) != 2 {
		return "", ""
	}
	return strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
}

// elemType is the element type of a LIST or ARRAY type (INTEGER[] or
// INTEGER[3]), or "".
func elemType(typ string) string {
	if !strings.HasSuffix(typ, "]") {
		return ""
	}
	if i := strings.LastIndexByte(typ, '['); i > 0 {
		return typ[:i]
	}
	return ""
}

// typeArgs returns what is inside NAME(...) when typ is exactly that.
func typeArgs(typ, name string) (string, bool) {
	if !strings.HasPrefix(typ, name+"(") || !strings.HasSuffix(typ, ")") {
		return "", false
	}
	return typ[len(name)+1 : len(typ)-1], true
}

// splitTop splits at commas outside parentheses and double quotes.
func splitTop(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := range len(s) {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
