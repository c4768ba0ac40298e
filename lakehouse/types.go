package lakehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Types that reach SQL text (a schema hint, a type read from a file) are
// parsed here, by a strict grammar of DuckDB type names, and rendered again
// from the parse: no text of the user's reaches a statement as it was given.
// DuckDB has no bind parameter for a type, and asking DuckDB whether a
// string is a type (SELECT NULL::<type>) is itself injection.

// scalarTypes maps each accepted type name (and DuckDB's aliases of it) to
// the name DuckDB gives the type.
var scalarTypes = map[string]string{
	"BOOLEAN": "BOOLEAN", "BOOL": "BOOLEAN", "LOGICAL": "BOOLEAN",
	"TINYINT": "TINYINT", "INT1": "TINYINT",
	"SMALLINT": "SMALLINT", "INT2": "SMALLINT", "SHORT": "SMALLINT",
	"INTEGER": "INTEGER", "INT": "INTEGER", "INT4": "INTEGER", "SIGNED": "INTEGER",
	"BIGINT": "BIGINT", "INT8": "BIGINT", "LONG": "BIGINT",
	"HUGEINT": "HUGEINT", "INT128": "HUGEINT",
	"UTINYINT": "UTINYINT", "USMALLINT": "USMALLINT", "UINTEGER": "UINTEGER", "UBIGINT": "UBIGINT", "UHUGEINT": "UHUGEINT",
	"FLOAT": "FLOAT", "FLOAT4": "FLOAT", "REAL": "FLOAT",
	"DOUBLE": "DOUBLE", "FLOAT8": "DOUBLE",
	"VARCHAR": "VARCHAR", "TEXT": "VARCHAR", "STRING": "VARCHAR", "CHAR": "VARCHAR", "BPCHAR": "VARCHAR",
	"DATE": "DATE", "TIME": "TIME", "TIMETZ": "TIME WITH TIME ZONE",
	"TIMESTAMP": "TIMESTAMP", "DATETIME": "TIMESTAMP", "TIMESTAMP_US": "TIMESTAMP",
	"TIMESTAMP_S": "TIMESTAMP_S", "TIMESTAMP_MS": "TIMESTAMP_MS", "TIMESTAMP_NS": "TIMESTAMP_NS",
	"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
	"INTERVAL":    "INTERVAL", "UUID": "UUID",
	"BLOB": "BLOB", "BYTEA": "BLOB", "BINARY": "BLOB", "VARBINARY": "BLOB",
	"JSON": "JSON",
}

// acceptedTypes is the list a refusal names.
const acceptedTypes = "BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, HUGEINT (and U- unsigned ones), FLOAT, DOUBLE, DECIMAL(p,s), " +
	"VARCHAR, DATE, TIME, TIMESTAMP, TIMESTAMP_S, TIMESTAMP_MS, TIMESTAMP_NS, TIMESTAMPTZ, INTERVAL, UUID, BLOB, JSON, " +
	"a list of one (BIGINT[]), STRUCT(name type, ...) and MAP(type, type)"

// ParseType checks that t is a DuckDB type by lakebench's grammar of type
// names and returns it as DuckDB spells it ("int" is INTEGER, "decimal" is
// DECIMAL(18,3)), with STRUCT field names quoted. Anything else is refused
// with an error naming the accepted types.
func ParseType(t string) (string, error) {
	p := typeParser{s: t}
	out, err := p.typ(0)
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = fmt.Errorf("unexpected %q after the type", truncate(p.s[p.i:], 40))
		}
	}
	if err != nil {
		return "", fmt.Errorf("%q is not a DuckDB type lakebench accepts (%v); use one of %s", truncate(t, 200), err, acceptedTypes)
	}
	return out, nil
}

// NormalizeType returns a DuckDB type as DuckDB spells it ("int" is
// INTEGER), or an error naming the accepted types. It is ParseType, for
// callers that hold a Lakehouse; it runs no SQL.
func (lh *Lakehouse) NormalizeType(_ context.Context, t string) (string, error) {
	return ParseType(t)
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// word reads a bare word of letters, digits and underscores, upper-cased.
func (p *typeParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			p.i++
			continue
		}
		break
	}
	return strings.ToUpper(p.s[start:p.i])
}

// peekWords reports whether the next words are ws (case-insensitive), and
// consumes them if so.
func (p *typeParser) peekWords(ws ...string) bool {
	save := p.i
	for _, w := range ws {
		if p.word() != w {
			p.i = save
			return false
		}
	}
	return true
}

func (p *typeParser) punct(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *typeParser) number() (int, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if start == p.i || p.i-start > 9 {
		return 0, fmt.Errorf("expected a number at %q", truncate(p.s[start:], 20))
	}
	return strconv.Atoi(p.s[start:p.i])
}

// maxTypeDepth bounds nesting (STRUCT in LIST in MAP...).
const maxTypeDepth = 16

func (p *typeParser) typ(depth int) (string, error) {
	if depth > maxTypeDepth {
		return "", fmt.Errorf("nested deeper than %d", maxTypeDepth)
	}
	base, err := p.base(depth)
	if err != nil {
		return "", err
	}
	for p.punct('[') {
		if p.punct(']') {
			base += "[]"
			continue
		}
		n, err := p.number()
		if err != nil || n < 1 || !p.punct(']') {
			return "", fmt.Errorf("a list is TYPE[] or TYPE[n]")
		}
		base += "[" + strconv.Itoa(n) + "]"
	}
	return base, nil
}

func (p *typeParser) base(depth int) (string, error) {
	w := p.word()
	switch w {
	case "":
		if p.i >= len(p.s) {
			return "", fmt.Errorf("no type")
		}
		return "", fmt.Errorf("unexpected %q", truncate(p.s[p.i:], 40))
	case "DECIMAL", "NUMERIC", "DEC":
		width, scale := 18, 3
		if p.punct('(') {
			var err error
			if width, err = p.number(); err != nil {
				return "", err
			}
			scale = 0
			if p.punct(',') {
				if scale, err = p.number(); err != nil {
					return "", err
				}
			}
			if !p.punct(')') {
				return "", fmt.Errorf("DECIMAL is DECIMAL(width, scale)")
			}
		}
		if width < 1 || width > 38 || scale > width {
			return "", fmt.Errorf("DECIMAL width is 1 to 38 and its scale at most the width")
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", width, scale), nil
	case "VARCHAR", "CHAR", "BPCHAR", "TEXT", "STRING":
		if p.punct('(') {
			if _, err := p.number(); err != nil || !p.punct(')') {
				return "", fmt.Errorf("%s takes a length, as %s(10)", w, w)
			}
		}
		return "VARCHAR", nil
	case "DOUBLE":
		p.peekWords("PRECISION")
		return "DOUBLE", nil
	case "TIMESTAMP", "TIME":
		if p.peekWords("WITH", "TIME", "ZONE") {
			return w + " WITH TIME ZONE", nil
		}
		p.peekWords("WITHOUT", "TIME", "ZONE")
		return w, nil
	case "STRUCT":
		if !p.punct('(') {
			return "", fmt.Errorf("STRUCT is STRUCT(name type, ...)")
		}
		var fields []string
		for {
			name, err := p.fieldName()
			if err != nil {
				return "", err
			}
			t, err := p.typ(depth + 1)
			if err != nil {
				return "", err
			}
			fields = append(fields, QuoteIdent(name)+" "+t)
			if p.punct(')') {
				return "STRUCT(" + strings.Join(fields, ", ") + ")", nil
			}
			if !p.punct(',') {
				return "", fmt.Errorf("STRUCT is STRUCT(name type, ...)")
			}
		}
	case "MAP":
		if !p.punct('(') {
			return "", fmt.Errorf("MAP is MAP(key type, value type)")
		}
		k, err := p.typ(depth + 1)
		if err != nil {
			return "", err
		}
		if !p.punct(',') {
			return "", fmt.Errorf("MAP is MAP(key type, value type)")
		}
		v, err := p.typ(depth + 1)
		if err != nil {
			return "", err
		}
		if !p.punct(')') {
			return "", fmt.Errorf("MAP is MAP(key type, value type)")
		}
		return "MAP(" + k + ", " + v + ")", nil
	}
	if t, ok := scalarTypes[w]; ok {
		return t, nil
	}
	return "", fmt.Errorf("unknown type name %s", w)
}

// fieldName reads a STRUCT field name: a bare word or a "quoted" name.
func (p *typeParser) fieldName() (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		var b strings.Builder
		for p.i++; p.i < len(p.s); p.i++ {
			if p.s[p.i] == '"' {
				if p.i+1 < len(p.s) && p.s[p.i+1] == '"' {
					b.WriteByte('"')
					p.i++
					continue
				}
				p.i++
				return b.String(), nil
			}
			b.WriteByte(p.s[p.i])
		}
		return "", fmt.Errorf("unterminated quoted field name")
	}
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == '_' || unicode.IsLetter(rune(p.s[p.i])) || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
		p.i++
	}
	if start == p.i {
		return "", fmt.Errorf("expected a field name")
	}
	return p.s[start:p.i], nil
}

// sameType reports whether two type names are the same type.
func sameType(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	na, errA := ParseType(a)
	nb, errB := ParseType(b)
	return errA == nil && errB == nil && na == nb
}
