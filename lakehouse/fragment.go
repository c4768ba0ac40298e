package lakehouse

import (
	"fmt"
	"unicode"
)

// FragmentError says where a piece of SQL is not one self-contained
// expression: Offset is the byte it was found at.
type FragmentError struct {
	Offset int
	Reason string
}

func (e *FragmentError) Error() string {
	return fmt.Sprintf("at character %d: %s", e.Offset+1, e.Reason)
}

// CheckFragment checks that a piece of SQL a user gives for lakebench to
// place inside a statement of its own (a quality check's expression,
// filter, message or query) is self-contained: its quotes closed, its
// brackets balanced, and no comment, statement separator, dollar quote or
// prefixed string literal (E'...', whose escapes another reader could take
// differently). A piece that is not could hide part of the statement it is
// placed in from the check of that statement, or run differently there, so
// it is refused before anything is checked or run.
func CheckFragment(s string) error {
	var stack []byte
	closing := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'', '"':
			if c == '\'' && i > 0 && (isWordByte(s[i-1])) {
				return &FragmentError{i - 1, "a string literal right after a name (such as E'...') is not accepted here: write a plain '...' string"}
			}
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c { // a doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				what := "string"
				if c == '"' {
					what = "quoted name"
				}
				return &FragmentError{i, "the " + what + " opened here is not closed"}
			}
			i = j
		case '-':
			if i+1 < len(s) && s[i+1] == '-' {
				return &FragmentError{i, "a comment (--) is not accepted here"}
			}
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				return &FragmentError{i, "a comment (/* */) is not accepted here"}
			}
		case ';':
			return &FragmentError{i, "one expression only: a ; would end the statement it is placed in"}
		case '$':
			return &FragmentError{i, "$ (dollar quoting, parameters) is not accepted here"}
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != closing[c] {
				return &FragmentError{i, fmt.Sprintf("%c closes nothing opened before it", c)}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return &FragmentError{len(s), fmt.Sprintf("%c is opened and never closed", stack[len(stack)-1])}
	}
	return nil
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
}
