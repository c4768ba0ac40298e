package editor

//go:generate go run -tags duckdb_arrow ./internal/genkeywords

// keywordCategory is DuckDB's category of a keyword (duckdb_keywords()).
type keywordCategory uint8

const (
	unreserved   keywordCategory = iota + 1 // may name a column, table or function
	reserved                                // never an unquoted name
	typeFunction                            // may name a type or function, not a column
	columnName                              // may name a column, not a function
)

// Kind is what a token is.
type Kind uint8

// The kinds of token Lex produces.
const (
	Space       Kind = iota // blanks and newlines
	Word                    // an unquoted name that is not a keyword
	Keyword                 // a word DuckDB reserves or treats as syntax
	SoftKeyword             // an unreserved keyword: it may be a name too
	QuotedIdent             // "a name"
	String                  // 'text', E'text', $$text$$, X'ff'
	Number                  // 1, 1.5e3, 0xff, 1_000
	Comment                 // -- to the line's end, /* nested */
	Operator                // + - * / < = || ::  and the other operators
	Punct                   // ( ) [ ] { } , ; . :
	Param                   // ? $1
	Other                   // a byte SQL has no use for
)

var kindNames = [...]string{"space", "word", "keyword", "softkeyword", "quoted", "string", "number", "comment",
	"operator", "punct", "param", "other"}

// String names the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// Token is one token of SQL text: its kind and its bytes [Start, End).
type Token struct {
	Kind       Kind
	Start, End int
}

// lexMode is what an unfinished token at the end of a text is inside.
type lexMode uint8

const (
	inCode lexMode = iota
	inBlockComment
	inString  // '...'
	inEString // E'...', where a backslash escapes
	inQuoted  // "..."
	inDollar  // $tag$...$tag$
)

// lexState is where the lexer stands at the start of a text: in code, or
// inside a comment, string, quoted name or dollar-quoted string begun
// before it. Lexing line by line from each line's state gives the tokens
// of lexing the whole text at once.
type lexState struct {
	mode  lexMode
	depth int    // nesting of block comments
	tag   string // a dollar quote's $tag$
}

// Lex splits SQL text into tokens that cover it exactly, in order; any
// input, valid SQL or not, gives tokens.
func Lex(src string) []Token {
	var toks []Token
	lex(src, lexState{}, func(t Token) { toks = append(toks, t) })
	return toks
}

// lex tokenizes src from state st, calling emit for each token, and
// returns the state at the end of src. A string, comment or quoted name
// left open at the end is emitted up to the end.
func lex(src string, st lexState, emit func(Token)) lexState {
	i := 0
	n := len(src)
	// Finish what an earlier text left open.
	if st.mode != inCode {
		kind := modeKind(st.mode)
		var end int
		end, st = resume(src, 0, st)
		emit(Token{Kind: kind, Start: 0, End: end})
		if st.mode != inCode {
			return st
		}
		i = end
	}
	for i < n {
		c := src[i]
		start := i
		var kind Kind
		switch {
		case isSpace(c):
			for i < n && isSpace(src[i]) {
				i++
			}
			kind = Space
		case c == '-' && i+1 < n && src[i+1] == '-':
			for i < n && src[i] != '\n' {
				i++
			}
			kind = Comment
		case c == '/' && i+1 < n && src[i+1] == '*':
			i, st = resume(src, i+2, lexState{mode: inBlockComment, depth: 1})
			kind = Comment
		case c == '\'':
			i, st = resume(src, i+1, lexState{mode: inString})
			kind = String
		case c == '"':
			i, st = resume(src, i+1, lexState{mode: inQuoted})
			kind = QuotedIdent
		case c == '$':
			kind = Other
			i++
			if i < n && isDigit(src[i]) {
				for i < n && isDigit(src[i]) {
					i++
				}
				kind = Param
			} else if tagEnd, ok := dollarTag(src, start); ok {
				kind = String
				i, st = resume(src, tagEnd, lexState{mode: inDollar, tag: src[start:tagEnd]})
			}
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(src[i+1])):
			i = number(src, i)
			kind = Number
		case isIdentStart(c):
			for i < n && isIdentChar(src[i]) {
				i++
			}
			word := src[start:i]
			if i < n && src[i] == '\'' && stringPrefix(word) {
				mode := inString
				if word == "e" || word == "E" {
					mode = inEString
				}
				i, st = resume(src, i+1, lexState{mode: mode})
				kind = String
			} else if i+1 < n && src[i] == '&' && src[i+1] == '\'' && (word == "u" || word == "U") {
				i, st = resume(src, i+2, lexState{mode: inString})
				kind = String
			} else {
				kind = wordKind(word)
			}
		case c == ':' && i+1 < n && src[i+1] == ':':
			i += 2
			kind = Operator
		case c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == ',' || c == ';' || c == '.' || c == ':':
			i++
			kind = Punct
		case c == '?':
			i++
			kind = Param
		case isOpChar(c):
			i = operator(src, i)
			kind = Operator
		default:
			i++
			kind = Other
		}
		emit(Token{Kind: kind, Start: start, End: i})
	}
	return st
}

// modeKind is the kind of the token an open state continues.
func modeKind(m lexMode) Kind {
	switch m {
	case inBlockComment:
		return Comment
	case inQuoted:
		return QuotedIdent
	}
	return String
}

// resume scans src from i inside the construct st describes and returns
// the index just past its end, with st back in code; or len(src) and the
// state still open.
func resume(src string, i int, st lexState) (int, lexState) {
	n := len(src)
	switch st.mode {
	case inBlockComment:
		for i < n {
			switch {
			case src[i] == '*' && i+1 < n && src[i+1] == '/':
				i += 2
				st.depth--
				if st.depth == 0 {
					return i, lexState{}
				}
			case src[i] == '/' && i+1 < n && src[i+1] == '*':
				i += 2
				st.depth++
			default:
				i++
			}
		}
	case inString, inQuoted:
		q := byte('\'')
		if st.mode == inQuoted {
			q = '"'
		}
		for i < n {
			if src[i] == q {
				if i+1 < n && src[i+1] == q {
					i += 2
					continue
				}
				return i + 1, lexState{}
			}
			i++
		}
	case inEString:
		for i < n {
			switch {
			case src[i] == '\\':
				i += 2
			case src[i] == '\'' && i+1 < n && src[i+1] == '\'':
				i += 2
			case src[i] == '\'':
				return i + 1, lexState{}
			default:
				i++
			}
		}
		i = n
	case inDollar:
		for i < n {
			if src[i] == '$' && len(src)-i >= len(st.tag) && src[i:i+len(st.tag)] == st.tag {
				return i + len(st.tag), lexState{}
			}
			i++
		}
	default:
		return i, st
	}
	return n, st
}

// dollarTag reports whether a dollar quote's opening tag ($$ or $name$)
// starts at i, and where it ends.
func dollarTag(src string, i int) (int, bool) {
	j := i + 1
	if j < len(src) && isIdentStart(src[j]) {
		for j < len(src) && isIdentChar(src[j]) && src[j] != '$' {
			j++
		}
	}
	if j < len(src) && src[j] == '$' {
		return j + 1, true
	}
	return 0, false
}

// number scans a numeric literal from i: decimal with underscores, a
// fraction and an exponent, or 0x / 0b integers.
func number(src string, i int) int {
	n := len(src)
	if src[i] == '0' && i+2 < n && (src[i+1] == 'x' || src[i+1] == 'X') && isHex(src[i+2]) {
		i += 2
		for i < n && (isHex(src[i]) || src[i] == '_') {
			i++
		}
		return i
	}
	if src[i] == '0' && i+2 < n && (src[i+1] == 'b' || src[i+1] == 'B') && (src[i+2] == '0' || src[i+2] == '1') {
		i += 2
		for i < n && (src[i] == '0' || src[i] == '1' || src[i] == '_') {
			i++
		}
		return i
	}
	for i < n && (isDigit(src[i]) || src[i] == '_') {
		i++
	}
	if i < n && src[i] == '.' && !(i+1 < n && src[i+1] == '.') {
		i++
		for i < n && (isDigit(src[i]) || src[i] == '_') {
			i++
		}
	}
	if i < n && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < n && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < n && isDigit(src[j]) {
			i = j
			for i < n && isDigit(src[i]) {
				i++
			}
		}
	}
	return i
}

// operator scans an operator from i as PostgreSQL's lexer (which DuckDB's
// parser uses) does: the longest run of operator characters that does not
// start a comment, then without trailing + or - unless it holds one of
// ~ ! @ # % ^ & | ` ?.
func operator(src string, i int) int {
	start := i
	n := len(src)
	special := false
	for i < n && isOpChar(src[i]) {
		if i > start && i+1 < n && (src[i] == '-' && src[i+1] == '-' || src[i] == '/' && src[i+1] == '*') {
			break
		}
		switch src[i] {
		case '~', '!', '@', '#', '%', '^', '&', '|', '`', '?':
			special = true
		}
		i++
	}
	for !special && i-start > 1 && (src[i-1] == '+' || src[i-1] == '-') {
		i--
	}
	return i
}

// wordKind is the kind of an unquoted word.
func wordKind(word string) Kind {
	if len(word) > 32 {
		return Word
	}
	var buf [32]byte
	lower := buf[:len(word)]
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	switch keywords[string(lower)] {
	case 0:
		return Word
	case unreserved:
		return SoftKeyword
	}
	return Keyword
}

// keywordCategoryOf is the DuckDB category of a word, 0 for none.
func keywordCategoryOf(word string) keywordCategory {
	return keywords[toLowerASCII(word)]
}

func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func stringPrefix(w string) bool {
	switch w {
	case "e", "E", "x", "X", "b", "B", "n", "N":
		return true
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// isIdentStart reports a byte that can start a name; bytes of non-ASCII
// characters all can, as in PostgreSQL's lexer.
func isIdentStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c >= 0x80
}
func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

func isOpChar(c byte) bool {
	switch c {
	case '+', '-', '*', '/', '<', '>', '=', '~', '!', '@', '#', '%', '^', '&', '|', '`':
		return true
	}
	return false
}
