package lakehouse

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestIngestJSONHostileLines: lines a hostile writer crafts for the fast
// scan (a duplicate key spelled with an escape, in and out of the first
// position, NaN and Infinity tokens, invalid UTF-8 in a key and in a value,
// a lone surrogate, nesting past the fast scan's depth, a number past
// BIGINT) among ordinary ones: the fast path loads and quarantines exactly
// what the careful path does; each line that is not one JSON object of
// unique keys in UTF-8 is quarantined; the deep line loads (the careful
// check decides it) and the huge number is the nearest DOUBLE; among the
// first lines and past the type sample's.
func TestIngestJSONHostileLines(t *testing.T) {
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	lines := []string{
		`{"id":1,"v":"a","n":1}`,
		`{"id":2,"\u0069d":3,"v":"b","n":2}`,
		`{"\u0069d":4,"id":5,"v":"c","n":3}`,
		`{"id":6,"v":NaN,"n":4}`,
		`{"id":7,"v":"d","n":Infinity}`,
		"{\"id\":8,\"v\":\"\xff\xfe\",\"n\":5}",
		"{\"i\xc3d\":9,\"v\":\"e\",\"n\":6}",
		`{"id":10,"v":"\ud800","n":7}`,
		`{"id":11,"v":` + deep + `,"n":8}`,
		`{"id":12,"v":"f","n":123456789012345678901234567890123456789012345678901234567890}`,
		`{"id":13,"v":"g","n":9}`,
	}
	// Among the first lines, and past the type sample's, where the file
	// is loaded ahead of its check and the load is undone.
	for _, before := range []int{0, jsonSampleLines} {
		t.Run(fmt.Sprintf("after %d lines", before), func(t *testing.T) {
			content := strings.Repeat(`{"id":0,"v":"z","n":0}`+"\n", before) + strings.Join(lines, "\n") + "\n"
			fast, careful := loadBoth(t, "", content)
			if fast != careful {
				t.Errorf("the fast path loaded\n%.3000s\nthe careful path\n%.3000s", diffFrom(fast, careful), diffFrom(careful, fast))
			}
			quarantine := fast[strings.Index(fast, "quarantine:"):]
			for _, line := range []int{2, 3, 4, 5, 6, 7, 8} {
				if !strings.Contains(quarantine, fmt.Sprintf("\n%d:", line+before)) {
					t.Errorf("line %d not quarantined:\n%s", line+before, quarantine)
				}
			}
			if !strings.Contains(fast, "[]interface {}{11, ") {
				t.Errorf("line %d (deep) did not load", 9+before)
			}
			// The huge number is the nearest DOUBLE where the sample saw it,
			// and does not fit the BIGINT column the first lines make.
			huge, _ := strconv.ParseFloat("123456789012345678901234567890123456789012345678901234567890", 64)
			if before == 0 && !strings.Contains(fast, fmt.Sprintf("[]interface {}{12, \"f\", %#v}", huge)) {
				t.Errorf("line 10 (huge number) did not load as %v", huge)
			}
			if before > 0 && !strings.Contains(quarantine, fmt.Sprintf("\n%d: n: ", 10+before)) {
				t.Errorf("line %d (huge number) not quarantined for its BIGINT column:\n%s", 10+before, quarantine)
			}
		})
	}
}

// diffFrom is a from the first line where it differs from b, to show what
// one path loaded that the other did not.
func diffFrom(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return fmt.Sprintf("(from line %d) ", i+1) + strings.Join(al[i:], "\n")
		}
	}
	return "(same lines, more in the other)"
}
