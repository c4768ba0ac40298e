package lakehouse

import "strings"

// TrimStatement is a SELECT's text without what may follow its last
// token: spaces, semicolons and comments. Lakebench wraps a model's or
// a user's SELECT in another statement ("(" + sql + "\n)"), where a
// trailing "-- comment" would swallow the closing parenthesis and a
// semicolon before it ends the statement early: both failed with
// DuckDB's bare "syntax error" and no position. Strings, quoted
// identifiers, escape strings (E'...') and dollar quotes are skipped, so
// a "--" or ";" inside one is kept; an unterminated one leaves the text
// as it is after its last semicolons and spaces (DuckDB then says where).
func TrimStatement(s string) string {
	end, ok := lastToken(s)
	if !ok {
		return strings.TrimRight(strings.TrimSpace(s), "; \n\t\r")
	}
	return strings.TrimLeft(s[:end], " \n\t\r")
}

// lastToken is the end of the text's last character that is neither
// space, a semicolon nor inside a comment; ok is false when a string,
// identifier or comment is not terminated.
func lastToken(s string) (end int, ok bool) {
	identChar := func(c byte) bool {
		return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return end, true
			}
			i += nl + 1
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			// Block comments nest, as in Postgres' scanner.
			depth, j := 1, i+2
			for depth > 0 {
				if j >= len(s) {
					return 0, false
				}
				switch {
				case strings.HasPrefix(s[j:], "/*"):
					depth, j = depth+1, j+2
				case strings.HasPrefix(s[j:], "*/"):
					depth, j = depth-1, j+2
				default:
					j++
				}
			}
			i = j
		case c == '\'' || c == '"':
			// E'...' takes backslash escapes; elsewhere a doubled quote
			// is the only escape.
			escapes := c == '\'' && i > 0 && (s[i-1] == 'e' || s[i-1] == 'E') && (i == 1 || !identChar(s[i-2]))
			j := i + 1
			for {
				if j >= len(s) {
					return 0, false
				}
				if escapes && s[j] == '\\' {
					j += 2
					continue
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
			end = i
		case c == '$' && (i == 0 || !identChar(s[i-1])):
			// A dollar quote: $$...$$ or $tag$...$tag$ (a tag does not
			// start with a digit: $1 is a parameter).
			j := i + 1
			for j < len(s) && identChar(s[j]) && !(j == i+1 && s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j < len(s) && s[j] == '$' {
				tag := s[i : j+1]
				k := strings.Index(s[j+1:], tag)
				if k < 0 {
					return 0, false
				}
				i = j + 1 + k + len(tag)
				end = i
				continue
			}
			i++
			end = i
		case c == ';' || c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		default:
			i++
			end = i
		}
	}
	return end, true
}
