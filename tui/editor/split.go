package editor

import "strings"

// Statement is one statement of a buffer: its text and where it is, in
// bytes of the buffer's text (SQL == text[Start:End]).
type Statement struct {
	SQL        string
	Start, End int
}

// Split cuts SQL text into statements at the semicolons outside strings,
// quoted names, comments and dollar-quoted strings. Each statement is
// trimmed of surrounding blanks and keeps its comments; the semicolon is
// left out, and stretches holding only blanks, comments and semicolons
// give no statement.
func Split(src string) []Statement {
	return splitTokens(src, Lex(src))
}

func splitTokens(src string, toks []Token) []Statement {
	var out []Statement
	start, code := -1, false
	flush := func(end int) {
		if start >= 0 && code {
			for end > start && isSpace(src[end-1]) {
				end--
			}
			out = append(out, Statement{SQL: src[start:end], Start: start, End: end})
		}
		start, code = -1, false
	}
	for _, t := range toks {
		switch {
		case t.Kind == Punct && src[t.Start] == ';':
			flush(t.Start)
		case t.Kind == Space:
		default:
			if start < 0 {
				start = t.Start
			}
			if t.Kind != Comment {
				code = true
			}
		}
	}
	flush(len(src))
	return out
}

// StatementAt picks the statement the cursor at offset is in: the one
// whose text or closing semicolon holds it; between statements, the one
// ending before it on the same line, else the next, else the last.
func StatementAt(src string, stmts []Statement, offset int) (Statement, bool) {
	if len(stmts) == 0 {
		return Statement{}, false
	}
	for i, s := range stmts {
		if offset < s.Start {
			// Between statements: the previous one if the cursor is on
			// its last line (just after its semicolon), else this one.
			if i > 0 && !strings.Contains(src[stmts[i-1].End:offset], "\n") {
				return stmts[i-1], true
			}
			return s, true
		}
		if offset <= s.End || (offset == s.End+1 && s.End < len(src) && src[s.End] == ';') {
			return s, true
		}
	}
	last := stmts[len(stmts)-1]
	return last, true
}
