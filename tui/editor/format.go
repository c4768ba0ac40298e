package editor

import (
	"strings"
)

// Format lays SQL out one clause a line (SELECT lists of several items one
// item a line, AND and OR of a WHERE under it, subqueries indented) and
// upper-cases keywords where they cannot be names. It changes only blanks
// and the case of keywords: the tokens, names, literals and comments stay
// as they were, so the statement means what it meant (DuckDB parses both
// to the same tree; the tests check it). Text it cannot lex as SQL still
// comes back with the same tokens.
func Format(src string) string {
	all := Lex(src)
	// sig are the tokens that are not blanks; gapNL[i] says whether the
	// blank before sig[i] held a newline.
	var sig []Token
	var gapNL []bool
	nl := false
	for _, t := range all {
		if t.Kind == Space {
			nl = nl || strings.ContainsAny(src[t.Start:t.End], "\n\r")
			continue
		}
		sig = append(sig, t)
		gapNL = append(gapNL, nl)
		nl = false
	}
	f := formatter{src: src, sig: sig, gapNL: gapNL}
	f.run()
	out := f.b.String()
	if len(sig) > 0 && strings.HasSuffix(src, "\n") {
		out += "\n"
	}
	return out
}

// frame is one level of parentheses.
type frame struct {
	indent   int  // the indent of clauses inside
	subquery bool // a SELECT inside: clauses break lines
	selList  bool // inside a SELECT list of several items
	logic    bool // inside WHERE, HAVING, ON or QUALIFY: AND and OR break
	between  bool // a BETWEEN waits for its AND
	stmtHead int  // index in sig of the statement's first token
}

type formatter struct {
	src   string
	sig   []Token
	gapNL []bool
	b     strings.Builder
	// pending is what goes before the next token: 0 nothing, 1 a space,
	// 2 a newline, 3 a blank line.
	pending int
	indent  int
	stack   []frame
	// closedSubquery says the last token closed a subquery.
	closedSubquery bool
}

func (f *formatter) text(i int) string { return f.src[f.sig[i].Start:f.sig[i].End] }

// word is sig[i] lower-cased when it is a word or keyword, else "".
func (f *formatter) word(i int) string {
	if i < 0 || i >= len(f.sig) {
		return ""
	}
	switch f.sig[i].Kind {
	case Word, Keyword, SoftKeyword:
		return toLowerASCII(f.text(i))
	}
	return ""
}

// punct is sig[i]'s text when it is punctuation or an operator, else "".
func (f *formatter) punct(i int) string {
	if i < 0 || i >= len(f.sig) {
		return ""
	}
	switch f.sig[i].Kind {
	case Punct, Operator:
		return f.text(i)
	}
	return ""
}

func (f *formatter) top() *frame { return &f.stack[len(f.stack)-1] }

func (f *formatter) run() {
	f.stack = []frame{{}}
	for i := range f.sig {
		f.token(i)
	}
}

func (f *formatter) breakLine(indent int) {
	f.pending = max(f.pending, 2)
	f.indent = indent
}

func (f *formatter) token(i int) {
	t := f.sig[i]
	txt := f.text(i)
	fr := f.top()
	w := f.word(i)
	closed := f.closedSubquery
	f.closedSubquery = false

	// Layout before the token.
	if i == fr.stmtHead && i > 0 && f.pending < 2 {
		f.breakLine(fr.indent)
	}
	if t.Kind == Punct && txt == ")" && fr.subquery {
		f.breakLine(fr.indent - 1)
	}
	if t.Kind == Comment && f.gapNL[i] && i > 0 {
		f.breakLine(f.indent)
	}
	if fr.subquery || len(f.stack) == 1 {
		switch {
		case i != fr.stmtHead && f.clauseStart(i, w):
			f.breakLine(fr.indent)
			fr.selList, fr.logic, fr.between = false, false, false
		case (w == "and" || w == "or") && fr.logic:
			if w == "and" && fr.between {
				fr.between = false
			} else {
				f.breakLine(fr.indent + 1)
			}
		}
		switch w {
		case "where", "having", "qualify", "on":
			fr.logic = true
		case "between":
			fr.between = true
		}
	}

	f.write(i, txt)

	// Layout after the token.
	switch {
	case t.Kind == Comment && strings.HasPrefix(txt, "--"):
		f.breakLine(f.indent)
	case t.Kind == Punct && txt == ";":
		f.stack = f.stack[:1]
		f.stack[0] = frame{stmtHead: i + 1}
		f.indent = 0
		f.pending = 3
	case t.Kind == Punct && (txt == "(" || txt == "["):
		sub := txt == "(" && (f.word(i+1) == "select" || f.word(i+1) == "with" || f.word(i+1) == "from" || f.word(i+1) == "values")
		nf := frame{indent: f.indent, stmtHead: -1}
		if sub {
			nf = frame{indent: fr.indent + 1, subquery: true, stmtHead: i + 1}
			f.breakLine(nf.indent)
		}
		f.stack = append(f.stack, nf)
	case t.Kind == Punct && txt == ",":
		if (fr.subquery || len(f.stack) == 1) && fr.selList {
			f.breakLine(fr.indent + 1)
		} else if f.punct(i-1) == ")" && closed {
			f.breakLine(fr.indent)
		}
	case w == "select" || ((w == "distinct" || w == "all") && f.word(i-1) == "select"):
		if (fr.subquery || len(f.stack) == 1) && f.word(i+1) != "distinct" && f.word(i+1) != "all" && f.listHasComma(i+1) {
			fr.selList = true
			f.breakLine(fr.indent + 1)
		}
	}
}

// clauseStart reports whether sig[i] (lower-cased w) starts a clause.
func (f *formatter) clauseStart(i int, w string) bool {
	if f.sig[i].Kind == Word || f.sig[i].Kind == QuotedIdent || f.punct(i-1) == "." || f.punct(i+1) == "." || f.word(i-1) == "as" {
		return false
	}
	switch w {
	case "select", "from", "where", "having", "qualify", "window", "limit", "offset", "returning", "values":
		return true
	case "group", "order":
		return f.word(i+1) == "by"
	case "union", "intersect":
		return true
	case "except":
		return f.punct(i-1) != "*"
	case "set":
		return f.word(f.top().stmtHead) == "update"
	case "join":
		return !joinWord(f.word(i - 1))
	case "left", "right", "full", "inner", "cross", "natural", "positional", "asof", "anti", "semi":
		return !joinWord(f.word(i-1)) && (joinWord(f.word(i+1)) || f.word(i+1) == "join")
	}
	return false
}

func joinWord(w string) bool {
	switch w {
	case "left", "right", "full", "inner", "cross", "natural", "positional", "asof", "anti", "semi", "outer":
		return true
	}
	return false
}

// listHasComma reports whether the SELECT list from i has a comma at its
// own depth before its clause ends.
func (f *formatter) listHasComma(i int) bool {
	depth := 0
	for ; i < len(f.sig); i++ {
		switch p := f.punct(i); p {
		case "(", "[":
			depth++
		case ")", "]":
			if depth == 0 {
				return false
			}
			depth--
		case ";":
			return false
		case ",":
			if depth == 0 {
				return true
			}
		}
		if depth == 0 {
			switch f.word(i) {
			case "from", "where", "group", "having", "order", "limit", "union", "except", "intersect", "qualify", "window":
				if f.sig[i].Kind != Word {
					return false
				}
			}
		}
	}
	return false
}

// write emits sig[i] after what is pending, upper-casing a keyword where
// it cannot be a name.
func (f *formatter) write(i int, txt string) {
	t := f.sig[i]
	if i > 0 {
		sep := f.pending
		if sep < 2 {
			if f.tight(i) {
				sep = 0
			} else {
				sep = 1
			}
		}
		prev := f.sig[i-1]
		// Two strings on two lines are one string: keep them on two;
		// on one line they are not: never put them on two.
		if prev.Kind == String && t.Kind == String {
			if f.gapNL[i] {
				sep = max(sep, 2)
			} else {
				sep = 1
			}
		}
		if prev.Kind == Comment && strings.HasPrefix(f.text(i-1), "--") {
			sep = max(sep, 2)
		}
		switch sep {
		case 1:
			f.b.WriteByte(' ')
		case 2, 3:
			if sep == 3 {
				f.b.WriteByte('\n')
			}
			f.b.WriteByte('\n')
			f.b.WriteString(strings.Repeat("    ", f.indent))
		}
	}
	f.pending = 0
	if f.upper(i) {
		txt = strings.ToUpper(txt)
	}
	f.b.WriteString(txt)
	if t.Kind == Punct && (txt == ")" || txt == "]") && len(f.stack) > 1 {
		closed := f.top()
		f.stack = f.stack[:len(f.stack)-1]
		f.closedSubquery = closed.subquery
		if closed.subquery {
			f.indent = f.top().indent
		}
	}
}

// tight reports whether sig[i] goes right after sig[i-1] with no blank.
// Blanks go away only where that cannot join two tokens into one: after
// ( and [, before ) ] , ;, around . between names, around ::, between a
// function's name and its (, and where the text had none.
func (f *formatter) tight(i int) bool {
	prev, t := f.sig[i-1], f.sig[i]
	if prev.End == t.Start {
		return true
	}
	if prev.Kind == Comment || t.Kind == Comment {
		return false
	}
	pt, tt := f.text(i-1), f.text(i)
	name := func(k Kind) bool { return k == Word || k == QuotedIdent || k == Keyword || k == SoftKeyword }
	switch {
	case pt == "(" || pt == "[":
		return true
	case tt == ")" || tt == "]" || tt == "," || tt == ";":
		return true
	case tt == "." && (name(prev.Kind) || pt == ")"):
		return true
	case pt == "." && (name(t.Kind) || tt == "*"):
		return true
	case tt == "::":
		return name(prev.Kind) || prev.Kind == Number || prev.Kind == String || prev.Kind == Param || pt == ")" || pt == "]"
	case pt == "::":
		return name(t.Kind)
	case tt == "(" && (prev.Kind == Word || prev.Kind == QuotedIdent):
		return true
	case tt == "(" && (prev.Kind == Keyword || prev.Kind == SoftKeyword):
		switch keywordCategoryOf(pt) {
		case typeFunction, columnName:
			return true
		}
	}
	return false
}

// upper reports whether the keyword sig[i] is upper-cased: only where it
// must be a keyword, since the case of a name can matter (a column
// written NAME is output as NAME).
func (f *formatter) upper(i int) bool {
	t := f.sig[i]
	if t.Kind != Keyword && t.Kind != SoftKeyword {
		return false
	}
	if f.punct(i-1) == "." || f.punct(i+1) == "." || f.word(i-1) == "as" {
		return false
	}
	w := f.word(i)
	next, prev := f.word(i+1), f.word(i-1)
	switch keywordCategoryOf(w) {
	case reserved, typeFunction:
		return true
	case columnName:
		switch {
		case f.punct(i+1) == "(", f.punct(i-1) == "::":
			return true
		case w == "between" && i > 0:
			p := f.sig[i-1].Kind
			return p == Word || p == Number || p == QuotedIdent || p == String || f.punct(i-1) == ")" ||
				prev == "not" || prev == "rows" || prev == "range" || prev == "groups"
		case w == "row":
			return prev == "current"
		case w == "interval":
			return i+1 < len(f.sig) && (f.sig[i+1].Kind == String || f.sig[i+1].Kind == Number)
		}
		return false
	}
	// Unreserved: a name too, unless the statement starts with it or a
	// pattern fixes it as a keyword.
	if i == f.top().stmtHead || i == 0 || f.punct(i-1) == ";" {
		return f.punct(i+1) != "("
	}
	switch w {
	case "nulls":
		return next == "first" || next == "last"
	case "first", "last":
		return prev == "nulls"
	case "partition":
		return next == "by"
	case "over":
		return f.punct(i-1) == ")" && (f.punct(i+1) == "(" || f.sig[min(i+1, len(f.sig)-1)].Kind == Word)
	case "filter":
		return f.punct(i-1) == ")" && f.punct(i+1) == "("
	case "if":
		return next == "exists" || next == "not"
	case "replace":
		return prev == "or"
	case "recursive":
		return prev == "with"
	case "materialized":
		return prev == "as" || prev == "not"
	case "rows", "range", "groups":
		return next == "between" || next == "unbounded" || next == "current"
	case "unbounded":
		return next == "preceding" || next == "following"
	case "preceding", "following":
		return prev == "unbounded" || prev == "row" || (i > 0 && f.sig[i-1].Kind == Number)
	case "current":
		return next == "row"
	case "exclude":
		return f.punct(i-1) == "*" || f.punct(i-1) == ")"
	case "temp", "temporary", "view", "schema", "sequence", "macro", "index", "type":
		switch prev {
		case "create", "replace", "temp", "temporary", "drop", "alter", "unique", "persistent":
			return true
		}
	case "insert", "update", "delete", "set":
		return i == f.top().stmtHead
	}
	return false
}
