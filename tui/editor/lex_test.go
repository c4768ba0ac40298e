package editor

import (
	"strings"
	"testing"
)

// kinds renders src's tokens as "kind:text" pairs, blanks left out.
func kinds(src string) string {
	var parts []string
	for _, t := range Lex(src) {
		if t.Kind != Space {
			parts = append(parts, t.Kind.String()+":"+src[t.Start:t.End])
		}
	}
	return strings.Join(parts, " ")
}

func TestLex(t *testing.T) {
	tests := []struct{ src, want string }{
		{"SELECT a FROM t", "keyword:SELECT word:a keyword:FROM word:t"},
		{"select name, year from t", "keyword:select softkeyword:name punct:, softkeyword:year keyword:from word:t"},
		{"'it''s' E'a\\'b' x'ff' b'01' N'n' U&'d'", "string:'it''s' string:E'a\\'b' string:x'ff' string:b'01' string:N'n' string:U&'d'"},
		{`"my ""col""" . "x"`, `quoted:"my ""col""" punct:. quoted:"x"`},
		{"1 1.5 .5 1e10 1.5E-3 0xFF 0b101 1_000 5.", "number:1 number:1.5 number:.5 number:1e10 number:1.5E-3 number:0xFF number:0b101 number:1_000 number:5."},
		{"a -- c ; d\nb", "word:a comment:-- c ; d word:b"},
		{"a /* x /* y */ z */ b", "word:a comment:/* x /* y */ z */ word:b"},
		{"$$a;b$$ $tag$ x $$ y $tag$ $1 ?", "string:$$a;b$$ string:$tag$ x $$ y $tag$ param:$1 param:?"},
		{"a::int x->>'k' y<>z p||q", "word:a operator::: keyword:int word:x operator:->> string:'k' word:y operator:<> word:z word:p operator:|| word:q"},
		{"a<-1 b*-2 c@-1", "word:a operator:< operator:- number:1 word:b operator:* operator:- number:2 word:c operator:@- number:1"},
		{"x--y", "word:x comment:--y"},
		{"x+/*c*/y", "word:x operator:+ comment:/*c*/ word:y"},
		{"{'a': [1, 2][1:2]}", "punct:{ string:'a' punct:: punct:[ number:1 punct:, number:2 punct:] punct:[ number:1 punct:: number:2 punct:] punct:}"},
		{"café naïve", "word:café word:naïve"},
		{"'open", "string:'open"},
		{"/* open", "comment:/* open"},
		{"\\ $ \x00", "other:\\ other:$ other:\x00"},
	}
	for _, tt := range tests {
		if got := kinds(tt.src); got != tt.want {
			t.Errorf("Lex(%q):\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

// checkTokens checks that toks cover src exactly, in order, none empty.
func checkTokens(t *testing.T, src string, toks []Token) {
	t.Helper()
	at := 0
	for _, tok := range toks {
		if tok.Start != at || tok.End <= tok.Start || tok.End > len(src) {
			t.Fatalf("Lex(%q): token %+v does not follow %d", src, tok, at)
		}
		at = tok.End
	}
	if at != len(src) {
		t.Fatalf("Lex(%q): tokens end at %d of %d", src, at, len(src))
	}
}

// lineKinds lexes src line by line from each line's state, as the
// highlighter does, and gives each byte's kind (newlines excluded).
func lineKinds(src string) []Kind {
	out := make([]Kind, len(src))
	st := lexState{}
	off := 0
	for _, line := range strings.Split(src, "\n") {
		base := off
		st = lex(line, st, func(t Token) {
			for i := t.Start; i < t.End; i++ {
				out[base+i] = t.Kind
			}
		})
		off += len(line) + 1
		if off <= len(src) {
			out[off-1] = Space
			// A newline inside a comment or string belongs to it.
			if st.mode != inCode {
				out[off-1] = modeKind(st.mode)
			}
		}
	}
	return out
}

func byteKinds(src string) []Kind {
	out := make([]Kind, len(src))
	for _, t := range Lex(src) {
		for i := t.Start; i < t.End; i++ {
			out[i] = t.Kind
		}
	}
	return out
}

func FuzzLex(f *testing.F) {
	for _, s := range []string{"SELECT 'a;b' -- c\n; /* x\n y */ $t$ a\n b $t$ \"q\nq\" E'\\\n'", "a<-1", "x'ff'", "$1$$", "0x", "1e", "..5", "U&'x", "\xff\xfe'", "/*/*/**/*/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		toks := Lex(src)
		checkTokens(t, src, toks)
		whole, lines := byteKinds(src), lineKinds(src)
		for i := range whole {
			// Line by line, a newline in code is a blank either way.
			if whole[i] != lines[i] && !(src[i] == '\n' && (whole[i] == Space || lines[i] == Space)) {
				t.Fatalf("Lex(%q): byte %d is %s whole, %s line by line", src, i, whole[i], lines[i])
			}
		}
		// Statements are in order, apart, and hold no semicolon of code.
		stmts := Split(src)
		last := 0
		for _, s := range stmts {
			if s.Start < last || s.End > len(src) || s.Start >= s.End || src[s.Start:s.End] != s.SQL {
				t.Fatalf("Split(%q): bad statement %+v after %d", src, s, last)
			}
			last = s.End
			for _, tok := range toks {
				if tok.Kind == Punct && src[tok.Start] == ';' && tok.Start >= s.Start && tok.Start < s.End {
					t.Fatalf("Split(%q): statement %+v holds the semicolon at %d", src, s, tok.Start)
				}
			}
		}
		for off := 0; off <= len(src); off += 1 + len(src)/16 {
			s, ok := StatementAt(src, stmts, off)
			if ok != (len(stmts) > 0) || ok && src[s.Start:s.End] != s.SQL {
				t.Fatalf("StatementAt(%q, %d) = %+v, %v", src, off, s, ok)
			}
		}
	})
}
