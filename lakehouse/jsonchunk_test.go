package lakehouse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"regexp"
	"testing"
	"time"
)

// checkJSONChunkByLine is checkJSONChunk cutting each line at its LF
// first and scanning it alone: the reference the chunk check must agree
// with, line for line.
func checkJSONChunkByLine(data []byte, first, sample bool, quota int) jsonChunk {
	c := jsonChunk{plain: true}
	keys := jsonKeys{slot: map[string]int{}}
	var scan jsonLineScan
	var raw [][]byte
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n') + 1
		if end == 0 {
			end = len(data)
		}
		line := data[:end]
		content := line
		if content[len(content)-1] == '\n' {
			content = content[:len(content)-1]
			if len(content) > 0 && content[len(content)-1] == '\r' {
				content = content[:len(content)-1]
			}
		}
		if line[len(line)-1] != '\r' && scan.object(content) {
			data = data[end:]
			keys.record(scan.lineKeys(), scan.kinds, scan.same)
			scan.accept()
		} else {
			scan.forget()
			line, data = cutLine(data)
			var ok bool
			content, ok = jsonLineContent(line, first && c.lines == 0)
			c.plain = c.plain && ok
			if len(content) == 0 {
				c.lines++
				continue
			}
			if reason := jsonProblem(content); reason != "" {
				c.lines++
				c.bad = append(c.bad, badLine{line: c.lines, reason: reason, raw: truncate(string(bytes.ToValidUTF8(content, []byte("\uFFFD"))), 4096)})
				continue
			}
			raw = topKeys(content, raw[:0])
			keys.record(raw, nil, false)
		}
		c.lines++
		c.good++
		if !sample {
			continue
		}
		within := len(c.head) < quota
		if keys.sample(within) {
			if within {
				c.head = append(c.head, bytes.Clone(content))
			} else {
				c.rare = append(c.rare, bytes.Clone(content))
			}
		}
	}
	c.kinds = keys.kindMap()
	return c
}

// sameChunk says how two checks of a chunk differ, or "".
func sameChunk(got, want jsonChunk) string {
	if got.lines != want.lines || got.good != want.good || got.plain != want.plain {
		return fmt.Sprintf("lines %d good %d plain %v, want %d, %d, %v", got.lines, got.good, got.plain, want.lines, want.good, want.plain)
	}
	if !reflect.DeepEqual(got.bad, want.bad) {
		return fmt.Sprintf("bad %v, want %v", got.bad, want.bad)
	}
	if !reflect.DeepEqual(got.head, want.head) || !reflect.DeepEqual(got.rare, want.rare) {
		return fmt.Sprintf("sample %q + %q, want %q + %q", got.head, got.rare, want.head, want.rare)
	}
	if !reflect.DeepEqual(got.kinds, want.kinds) {
		return fmt.Sprintf("kinds %v, want %v", got.kinds, want.kinds)
	}
	return ""
}

// FuzzJSONChunk: checking a chunk of lines finds what checking its lines
// one by one finds: the same line count, bad lines with their reasons,
// plainness, sample and kinds of value.
func FuzzJSONChunk(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"a\":2}\n", "{\"a\":1}\r\n{\"a\":\"x\"}\r\n", "{\"a\":1}\r", "{\"a\":1}\r\r\n{\"a\":1}", "{\"a\":1}\rx\n",
		"{\"a\":1} \n{\"a\":1}\t\n", " {\"a\":1}\n", "\n\n{\"a\":1}", "\xef\xbb\xbf{\"a\":1}\n{\"a\":1}\n",
		"{\"a\":1}{\"a\":1}\n", "{\"a\":1,\n\"b\":2}\n", "{\"a\":\"x\ny\"}\n", "{\"a\":1,\"b\":2}\n{\"a\":1,\"b\":2,\"c\":3}\n{\"a\":1}\n",
		"{\"a\":1,\"a\":2}\n{\"a\":1}\n", "{\"ab\":1}\n{\"a\":1}\n{\"abc\":1}\n", "{\"a\":tru\n", "{\"a\":nul", "{\"a\":[1,\n2]}\n", "{}\n{}\n{\"a\":1}\n{}",
		"{\"event_id\":1,\"customer_id\":2,\"ts\":\"2026-01-01T01:02:03\",\"type\":\"view\",\"page\":\"/product/1\",\"amount\":1.25,\"ref\":null}\n" +
			"{\"event_id\":2,\"customer_id\":3,\"ts\":\"2026-01-01T01:02:04\",\"type\":\"cart\",\"page\":\"/product/2\",\"amount\":2.5,\"ref\":{\"source\":\"ad\",\"campaign\":4}}\n",
	} {
		f.Add([]byte(s), true, 1)
	}
	f.Fuzz(func(t *testing.T, data []byte, first bool, quota int) {
		quota = max(0, quota%8)
		for _, sample := range []bool{false, true} {
			got := checkJSONChunk(bytes.Clone(data), first, sample, quota)
			want := checkJSONChunkByLine(bytes.Clone(data), first, sample, quota)
			if msg := sameChunk(got, want); msg != "" {
				t.Fatalf("%q (sample %v): %s", data, sample, msg)
			}
		}
	})
}

// TestNonDigits8: the first byte nonDigits8 marks is the first that is
// not an ASCII digit, for every byte value at every place, after digits
// and after bytes that carry (0xFA and above); digitRun counts as a loop.
func TestNonDigits8(t *testing.T) {
	firstNonDigit := func(w []byte) int {
		for i, c := range w {
			if c < '0' || c > '9' {
				return i
			}
		}
		return len(w)
	}
	check := func(w []byte) {
		t.Helper()
		got := 8
		if m := nonDigits8(binary.LittleEndian.Uint64(w)); m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if want := firstNonDigit(w); got != want {
			t.Fatalf("% x: first non-digit at %d, want %d", w, got, want)
		}
		for i := range w {
			if n, want := digitRun(w, i), firstNonDigit(w[i:]); n != want {
				t.Fatalf("% x: digitRun at %d is %d, want %d", w, i, n, want)
			}
		}
	}
	for pos := range 8 {
		for v := range 256 {
			for _, fill := range []byte{'0', '9', '5', 0xff, 0xfa, '/', ':'} {
				w := bytes.Repeat([]byte{fill}, 8)
				w[pos] = byte(v)
				check(w)
				if pos > 0 {
					w[pos-1] = 0xff
					check(w)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	w := make([]byte, 8)
	for range 200_000 {
		for i := range w {
			switch r.IntN(4) {
			case 0:
				w[i] = byte(r.IntN(256))
			default:
				w[i] = '0' + byte(r.IntN(10))
			}
		}
		check(w)
		long := append(bytes.Repeat([]byte{'7'}, r.IntN(20)), w...)
		if n, want := digitRun(long, 0), firstNonDigit(long); n != want {
			t.Fatalf("%q: digitRun %d, want %d", long, n, want)
		}
	}
}

// TestDateTimeKinds: isDate and isTime accept what time.Parse accepts in
// their layouts (years 1-9999, written with the layout's digits and
// separators), on every day of a few years and on mutated strings.
func TestDateTimeKinds(t *testing.T) {
	dateRE := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	timeRE := regexp.MustCompile(`^\d{2}:\d{2}:\d{2}$`)
	wantDate := func(s string) bool {
		d, err := time.Parse(time.DateOnly, s)
		return dateRE.MatchString(s) && err == nil && d.Year() >= 1
	}
	wantTime := func(s string) bool {
		_, err := time.Parse(time.TimeOnly, s)
		return timeRE.MatchString(s) && err == nil
	}
	var dates []string
	for _, y := range []int{1, 4, 100, 1900, 2000, 2023, 2024, 9999} {
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
			dates = append(dates, d.Format(time.DateOnly))
		}
	}
	dates = append(dates, "0000-01-01", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32", "2024/01/01", "2024-1-011")
	times := []string{"00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1:00:000", "12-00-00", "19:09:09", "20:00:00"}
	r := rand.New(rand.NewPCG(7, 8))
	mutate := func(s string) string {
		b := []byte(s)
		b[r.IntN(len(b))] = "0123456789-:/ \xff\xfa"[r.IntN(16)]
		return string(b)
	}
	for range 100_000 {
		dates = append(dates, mutate(dates[r.IntN(len(dates))]))
		times = append(times, mutate(times[r.IntN(len(times))]))
	}
	for _, s := range dates {
		if got, want := isDate([]byte(s)), wantDate(s); got != want {
			t.Fatalf("isDate(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range times {
		if got, want := isTime([]byte(s)), wantTime(s); got != want {
			t.Fatalf("isTime(%q) = %v, want %v", s, got, want)
		}
	}
	// The scan's stringKind, which remembers the last date, agrees with
	// stringKind whatever came before.
	var scan jsonLineScan
	for k := range 200_000 {
		v := dates[r.IntN(len(dates))]
		if k%3 > 0 {
			v += []string{"T", " ", "x"}[r.IntN(3)] + times[r.IntN(len(times))]
		}
		if got, want := scan.stringKind([]byte(v)), stringKind([]byte(v)); got != want {
			t.Fatalf("the scan's stringKind(%q) = %v, want %v", v, got, want)
		}
	}
}
