package grid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// compactJSON writes a value as JSON on one line.
func compactJSON(v any, typ string) string {
	var b strings.Builder
	writeJSON(&b, v, typ, "", "")
	return b.String()
}

// prettyJSON writes a value as indented JSON, a STRUCT's fields in their
// declared order and a MAP's in its own.
func prettyJSON(v any, typ string) string {
	var b strings.Builder
	writeJSON(&b, v, typ, "  ", "\n")
	return b.String()
}

// viewerText is a value as the cell viewer shows it: nested values and
// JSON (a JSON column, or text holding a JSON object or array) indented,
// anything else as DuckDB prints it.
func viewerText(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []any, map[string]any:
		return prettyJSON(x, typ)
	case string:
		if t := strings.TrimSpace(x); typ != "BLOB" && len(t) > 1 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
			var out bytes.Buffer
			if json.Indent(&out, []byte(t), "", "  ") == nil {
				return out.String()
			}
		}
	}
	if _, _, ok := orderedMap(v); ok {
		return prettyJSON(v, typ)
	}
	return plainText(v, typ)
}

func writeJSON(b *strings.Builder, v any, typ, indent, nl string) {
	writeJSONAt(b, v, typ, indent, nl, 0)
}

func writeJSONAt(b *strings.Builder, v any, typ, indent, nl string, depth int) {
	pad := func(d int) {
		b.WriteString(nl)
		b.WriteString(strings.Repeat(indent, d))
	}
	sep := ","
	colon := ":"
	if nl != "" {
		colon = ": "
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
		return
	case bool:
		fmt.Fprint(b, x)
		return
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, *big.Int, json.Number:
		fmt.Fprint(b, x)
		return
	case float64, float32:
		// JSON has no nan or inf: they are written as strings.
		if t := formatValue(x, typ); strings.Contains(t, "nan") || strings.Contains(t, "inf") {
			quote(b, t)
		} else {
			b.WriteString(t)
		}
		return
	case time.Time:
		quote(b, timeText(x, typ))
		return
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		elem := elemType(typ)
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(sep)
			}
			pad(depth + 1)
			writeJSONAt(b, e, elem, indent, nl, depth+1)
		}
		pad(depth)
		b.WriteByte(']')
		return
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, f := range structOrder(x, typ) {
			if i > 0 {
				b.WriteString(sep)
			}
			pad(depth + 1)
			quote(b, f.name)
			b.WriteString(colon)
			writeJSONAt(b, x[f.name], f.typ, indent, nl, depth+1)
		}
		pad(depth)
		b.WriteByte('}')
		return
	}
	if keys, vals, ok := orderedMap(v); ok {
		if len(keys) == 0 {
			b.WriteString("{}")
			return
		}
		kt, vt := mapTypes(typ)
		b.WriteByte('{')
		for i := range keys {
			if i > 0 {
				b.WriteString(sep)
			}
			pad(depth + 1)
			quote(b, formatValue(keys[i], kt))
			b.WriteString(colon)
			writeJSONAt(b, vals[i], vt, indent, nl, depth+1)
		}
		pad(depth)
		b.WriteByte('}')
		return
	}
	if d, ok := v.(decimal); ok && strings.HasPrefix(typ, "DECIMAL") {
		b.WriteString(padScale(d.String(), decimalScale(typ)))
		return
	}
	quote(b, formatValue(v, typ))
}

func quote(b *strings.Builder, s string) {
	out, _ := json.Marshal(s)
	b.Write(out)
}
