package lakehouse

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// firstSpecial is specialBytes8 the slow way: the index of the first byte
// that is a quote, a backslash, a control character or non-ASCII, or 8.
func firstSpecial(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
	}
	return len(b)
}

func TestSpecialBytes8(t *testing.T) {
	check := func(w []byte) {
		t.Helper()
		m := specialBytes8(binary.LittleEndian.Uint64(w))
		got := 8
		if m != 0 {
			got = int(bitsTrailing(m)) >> 3
		}
		if want := firstSpecial(w); got != want {
			t.Fatalf("% x: first special byte at %d, want %d", w, got, want)
		}
	}
	// Every byte value at every place, among plain bytes and after
	// special ones (where a borrow could mislead).
	for pos := range 8 {
		for v := range 256 {
			for _, fill := range []byte{'a', 0x7f, ' ', 0x21, 0x5d, 0x23} {
				w := bytes.Repeat([]byte{fill}, 8)
				w[pos] = byte(v)
				check(w)
				if pos < 7 {
					w[7] = 0
					check(w)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	w := make([]byte, 8)
	for range 1_000_000 {
		binary.LittleEndian.PutUint64(w, r.Uint64())
		for i := range w {
			if r.IntN(3) > 0 {
				w[i] = 0x20 + byte(r.IntN(0x60))
			}
		}
		check(w)
	}
}

func bitsTrailing(m uint64) int {
	n := 0
	for m&1 == 0 {
		m >>= 1
		n++
	}
	return n
}

var (
	isoDate      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	isoTimestamp = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(\.\d{1,6})?)$`)
)

// checkKind says what is wrong with kind k for a raw JSON value, judged
// by the standard library: "" when the kind holds.
func checkKind(k jsonKind, raw json.RawMessage) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "does not decode: " + err.Error()
	}
	switch x := v.(type) {
	case nil:
		if k != kindNull {
			return "null is not kindNull"
		}
	case bool:
		if k != kindBool {
			return "a boolean is not kindBool"
		}
	case json.Number:
		s := string(x)
		switch k {
		case kindInt:
			if n, err := strconv.ParseInt(s, 10, 64); err != nil || strings.ContainsAny(s, ".eE") {
				return "kindInt is not an integer that fits 64 bits"
			} else if strconv.FormatInt(n, 10) != s {
				return "kindInt is not written as DuckDB renders it"
			}
		case kindNumber:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(f, 0) {
				return "kindNumber overflows a double"
			}
			if f != 0 && math.Abs(f) < 0x1p-1022 {
				return "kindNumber is subnormal in a double"
			}
			if f == 0 && strings.Trim(strings.Split(strings.Split(strings.ToLower(s), "e")[0], ".")[0]+strings.Split(s+".", ".")[1], "-0eE+") != "" {
				return "kindNumber underflows to zero"
			}
		case kindBigNumber:
		default:
			return "a number is not a number kind"
		}
	case string:
		switch k {
		case kindString:
		case kindDate:
			d, err := time.Parse(time.DateOnly, x)
			if !isoDate.MatchString(x) || err != nil || d.Year() < 1 {
				return "kindDate is not a plain date"
			}
		case kindTimestamp:
			m := isoTimestamp.FindStringSubmatch(x)
			if m == nil {
				return "kindTimestamp is not a plain timestamp"
			}
			d, err := time.Parse(time.DateOnly+"T15:04:05.999999", m[1]+"T"+m[2])
			if err != nil || d.Year() < 1 {
				return "kindTimestamp is not a real instant"
			}
		default:
			return "a string is not a string kind"
		}
	case map[string]any, []any:
		if k != kindNested {
			return "an object or array is not kindNested"
		}
	}
	return ""
}

// topLevel decodes an object's top-level keys and raw values in order.
func topLevel(b []byte) (keys []string, vals []json.RawMessage, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, false
		}
		keys = append(keys, tok.(string))
		vals = append(vals, raw)
	}
	return keys, vals, true
}

// FuzzJSONScan: a line the fast scan accepts is one the careful check
// accepts, with the same top-level keys, each value of the kind the scan
// says; scanning it again after it is accepted finds the keys the same.
// And the scan accepts the ordinary lines it is meant for.
func FuzzJSONScan(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"a":1,"b":"x","c":null,"d":true,"e":false}`, `{}`, `{ }`, `{"a" : 1 , "b":[1,{"c":2}]}`,
		`{"a":1,}`, `{"a":NaN}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`,
		`{"a":"\x"}`, "{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}", `{"a":1,"a":2}`, `{"\u0061":1}`, `{"a":1}{"b":2}`,
		`{"d":"2024-02-29","e":"2023-02-29","t":"2026-01-01T10:00:00.123456","u":"2026-01-01 24:00:00","v":"0000-01-01"}`,
		`{"n":123456789012345678,"m":1234567890123456789,"x":1e250,"y":1e-251,"z":-0.0,"w":12345678901234567890123456789012345678901}`,
		`{"s":"a\"b\\c","t":"\u00e9\u4e2d","u":"é中😀"}`, `{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
		"{\"a\":1}\r", "{\"a\":\t1}", `{"a":tru}`, `{"a":nul}`, `{"a":"x`, `{"a`, `{`, `{"a":1 "b":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s jsonLineScan
		if !s.object(b) {
			plain := len(b) > 1 && b[0] == '{' && b[len(b)-1] == '}' && !bytes.ContainsAny(b, "\r\n") &&
				bytes.Count(b, []byte("{"))+bytes.Count(b, []byte("[")) < jsonMaxDepth-4
			if keys, _, ok := topLevel(b); plain && ok && jsonProblem(b) == "" && !bytes.Contains(b, []byte(`\`)) && len(keys) > 0 {
				t.Fatalf("the fast scan refused %q, an ordinary object line", b)
			}
			return
		}
		if r := jsonProblem(b); r != "" {
			t.Fatalf("the fast scan accepted %q, which the careful check refuses: %s", b, r)
		}
		keys, vals, ok := topLevel(b)
		if !ok || len(keys) != len(s.lineKeys()) {
			t.Fatalf("%q: keys %q, want %q", b, s.lineKeys(), keys)
		}
		for i, k := range keys {
			if string(s.lineKeys()[i]) != k {
				t.Fatalf("%q: key %d is %q, want %q", b, i, s.lineKeys()[i], k)
			}
			if msg := checkKind(s.kinds[i], vals[i]); msg != "" {
				t.Fatalf("%q: value of %q (%s): %s", b, k, vals[i], msg)
			}
		}
		// Made text, each number, object or array is a string of its
		// source text, and the rest is as it was.
		text := map[string]bool{}
		for _, k := range keys {
			text[k] = true
		}
		tkeys, tvals, ok := topLevel(textValues(b, text, nil))
		if !ok || len(tkeys) != len(keys) {
			t.Fatalf("%q made text: %q is not an object with the same keys", b, textValues(b, text, nil))
		}
		for i := range keys {
			want := string(vals[i])
			if c := want[0]; c == '-' || (c >= '0' && c <= '9') || c == '{' || c == '[' {
				var got string
				if json.Unmarshal(tvals[i], &got) != nil || got != want {
					t.Fatalf("%q made text: %q is %s, want the string of %s", b, keys[i], tvals[i], want)
				}
			} else if string(tvals[i]) != want || tkeys[i] != keys[i] {
				t.Fatalf("%q made text: %q is %s, want %s", b, keys[i], tvals[i], want)
			}
		}
		kinds := append([]jsonKind(nil), s.kinds...)
		s.accept()
		if !s.object(b) || !s.same || len(s.lineKeys()) != len(keys) {
			t.Fatalf("%q scanned again: accepted or the same keys no more", b)
		}
		for i := range keys {
			if string(s.lineKeys()[i]) != keys[i] || s.kinds[i] != kinds[i] {
				t.Fatalf("%q scanned again: key %d is %q (kind %d), want %q (kind %d)", b, i, s.lineKeys()[i], s.kinds[i], keys[i], kinds[i])
			}
		}
	})
}

// TestScanShortNumbers: the scan's word-at-a-time paths for short whole
// numbers and null (taken with 8 bytes left in the line) tell the kind
// the careful reading does, whatever follows the digits: a fraction or an
// exponent right after up to 8 digits is no integer, and a number cut by
// the line's end is refused.
func TestScanShortNumbers(t *testing.T) {
	var nums []string
	for n := 1; n <= 10; n++ {
		d := strings.Repeat("7", n)
		nums = append(nums, d, "1"+d[1:], d+".5", d+"e3", d+"E+2", d+".0", "-"+d, d+"0", "0", "0.5", "-0")
	}
	for _, num := range nums {
		for _, after := range []string{`}`, `,"z":null}`, ` }`, "\t,\"z\":1}", `, "z": "x"}`} {
			for _, before := range []string{`{"a":`, `{"a": `, `{"long key for the lead":`} {
				line := []byte(before + num + after)
				var s jsonLineScan
				if !s.object(line) {
					t.Fatalf("%s: refused", line)
				}
				keys, vals, ok := topLevel(line)
				if !ok || len(s.kinds) != len(keys) {
					t.Fatalf("%s: %d kinds for keys %q", line, len(s.kinds), keys)
				}
				for i := range keys {
					if msg := checkKind(s.kinds[i], vals[i]); msg != "" {
						t.Fatalf("%s: %s: %s", line, vals[i], msg)
					}
				}
				if num[0] != '-' && !strings.ContainsAny(num, ".eE") && num != "0" && s.kinds[0] != kindInt {
					t.Fatalf("%s: %s is not kindInt", line, num)
				}
				if strings.ContainsAny(num, ".eE") && s.kinds[0] == kindInt {
					t.Fatalf("%s: %s is kindInt", line, num)
				}
			}
		}
		// Cut by the end of the line: no closing brace.
		for _, line := range []string{`{"a":` + num, `{"a":null`, `{"a":nul`, `{"a":nulll}`, `{"a":null1}`} {
			var s jsonLineScan
			if s.object([]byte(line)) {
				t.Fatalf("%s: accepted", line)
			}
		}
	}
	for _, line := range []string{`{"a":null,"b":null        }`, `{"a":nullx,"b":1       }`, `{"a":nope,"b":1        }`,
		`{"a":nul1,"b":1        }`, `{"a":1234567x,"b":1    }`, `{"a":12x4,"b":1        }`} {
		var s jsonLineScan
		ok := s.object([]byte(line))
		if want := jsonProblem([]byte(line)) == ""; ok != want {
			t.Fatalf("%s: accepted %v, the careful check %v", line, ok, want)
		}
	}
}
