package dash

import "strings"

// glyphs is a three-row font of block characters for a KPI's value:
// digits, separators, signs, $ and %.
var glyphs = map[rune][3]string{
	'0': {"█▀█", "█ █", "▀▀▀"},
	'1': {"▀█ ", " █ ", "▀▀▀"},
	'2': {"▀▀█", "█▀▀", "▀▀▀"},
	'3': {"▀▀█", " ▀█", "▀▀▀"},
	'4': {"█ █", "▀▀█", "  ▀"},
	'5': {"█▀▀", "▀▀█", "▀▀▀"},
	'6': {"█▀▀", "█▀█", "▀▀▀"},
	'7': {"▀▀█", "  █", "  ▀"},
	'8': {"█▀█", "█▀█", "▀▀▀"},
	'9': {"█▀█", "▀▀█", "▀▀▀"},
	',': {" ", " ", "▖"},
	'.': {" ", " ", "▄"},
	'-': {"   ", "▀▀▀", "   "},
	'+': {" ▄ ", "▀█▀", "   "},
	'$': {"▄█▄", "▀█▄", "▀█▀"},
	'%': {"▀ ▄", " ▄▀", "▀ ▄"},
}

// bigText writes s in the three-row font, a space between glyphs; ok is
// false when s has a character the font lacks.
func bigText(s string) (rows [3]string, ok bool) {
	var b [3]strings.Builder
	for i, r := range s {
		g, found := glyphs[r]
		if !found {
			return rows, false
		}
		for k := range 3 {
			if i > 0 {
				b[k].WriteByte(' ')
			}
			b[k].WriteString(g[k])
		}
	}
	for k := range 3 {
		rows[k] = b[k].String()
	}
	return rows, true
}
