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
// check decides it) and the huge number is the nearest DOUBLE.
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
	content := strings.Join(lines, "\n") + "\n"
	fast, careful := loadBoth(t, "", content)
	if fast != careful {
		t.Errorf("the fast path loaded\n%s\nthe careful path\n%s", fast, careful)
	}
	quarantine := fast[strings.Index(fast, "quarantine:"):]
	for _, line := range []string{"2:", "3:", "4:", "5:", "6:", "7:", "8:"} {
		if !strings.Contains(quarantine, "\n"+line) {
			t.Errorf("line %s not quarantined:\n%s", line, fast)
		}
	}
	huge, _ := strconv.ParseFloat("123456789012345678901234567890123456789012345678901234567890", 64)
	if !strings.Contains(fast, fmt.Sprintf("[]interface {}{12, \"f\", %#v}", huge)) || !strings.Contains(fast, "[]interface {}{11, ") {
		t.Errorf("line 9 (deep) or 10 (huge number, want %v) did not load as it should:\n%s", huge, fast)
	}
}
