package editor

// matchScan is how many lines the bracket match looks through.
const matchScan = 1000

var brackets = map[byte]byte{'(': ')', '[': ']', '{': '}', ')': '(', ']': '[', '}': '{'}

// bracketAt is the bracket of code at col of line row, if any.
func (b *buffer) bracketAt(row, col int) (byte, bool) {
	l := b.lines[row]
	if col < 0 || col >= len(l) {
		return 0, false
	}
	if _, ok := brackets[l[col]]; !ok {
		return 0, false
	}
	for _, t := range b.lineTokens(row, nil) {
		if t.Start == col {
			return l[col], t.Kind == Punct
		}
	}
	return 0, false
}

// matchBracket finds the bracket at the cursor (or just before it) and
// its partner, skipping brackets in strings and comments.
func (b *buffer) matchBracket() (pos, pos, bool) {
	at := b.cur
	c, ok := b.bracketAt(at.row, at.col)
	if !ok {
		at.col--
		if c, ok = b.bracketAt(at.row, at.col); !ok {
			return pos{}, pos{}, false
		}
	}
	want := brackets[c]
	forward := c == '(' || c == '[' || c == '{'
	depth := 0
	var toks []Token
	for r, n := at.row, 0; r >= 0 && r < len(b.lines) && n < matchScan; n++ {
		toks = b.lineTokens(r, toks)
		l := b.lines[r]
		for k := range toks {
			i := k
			if !forward {
				i = len(toks) - 1 - k
			}
			t := toks[i]
			if t.Kind != Punct || r == at.row && (forward && t.Start <= at.col || !forward && t.Start >= at.col) {
				continue
			}
			switch l[t.Start] {
			case c:
				depth++
			case want:
				if depth == 0 {
					return at, pos{r, t.Start}, true
				}
				depth--
			}
		}
		if forward {
			r++
		} else {
			r--
		}
	}
	return pos{}, pos{}, false
}
