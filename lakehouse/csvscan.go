package lakehouse

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
)

// CSV reading in Go is the conservation check's independent witness: it
// counts the records in a file without DuckDB, finds what DuckDB cannot be
// trusted with (invalid UTF-8, an unterminated quote that would swallow the
// rest of the file), and rewrites a file without such lines when needed.

const csvQuote = '"'

// contentHash identifies a file's content for exactly-once loading: xxh3
// (128 bits) hashes at memory speed, so it adds little to a load.
type contentHash struct{ h *xxh3.Hasher128 }

func newContentHash() contentHash { return contentHash{xxh3.New128()} }

func (c contentHash) Write(b []byte) (int, error) { return c.h.Write(b) }

func (c contentHash) sum() string {
	b := c.h.Sum128().Bytes()
	return "xxh3:" + hex.EncodeToString(b[:])
}

// lineReader yields a file's physical lines (with their line terminator),
// hashing every byte it reads.
type lineReader struct {
	r       *bufio.Reader
	h       contentHash
	buf     []byte
	pending []byte // read but not yet returned
	line    int64
}

func newLineReader(f io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(f, 1<<20), h: newContentHash()}
}

// next returns the next physical line, valid until the following call, or
// io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	if len(lr.pending) == 0 {
		b, err := lr.readSlice()
		if err != nil {
			return nil, err
		}
		lr.pending = b
	}
	line, rest := cutLine(lr.pending)
	lr.pending = rest
	lr.h.Write(line)
	lr.line++
	return line, nil
}

// cutLine returns the first line of b with its terminator and the rest. A
// line ends at "\n", "\r\n" or a lone "\r", as DuckDB's reader sees lines.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return b, nil
	}
	if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
		i++
	}
	return b[:i+1], b[i+1:]
}

// readSlice reads up to and including the next "\n" (or to the end).
func (lr *lineReader) readSlice() ([]byte, error) {
	b, err := lr.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.buf = append(lr.buf[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = lr.r.ReadSlice('\n')
			lr.buf = append(lr.buf, b...)
		}
		b = lr.buf
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(b) == 0 {
		return nil, io.EOF
	}
	return b, nil
}

func (lr *lineReader) sum() string { return lr.h.sum() }

// trimEOL drops a trailing "\n", "\r\n" or "\r".
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// onlyCRLF reports whether every "\r" in b starts a "\r\n".
func onlyCRLF(b []byte) bool {
	return bytes.Count(b, []byte{'\r'}) == bytes.Count(b, []byte("\r\n"))
}

// quoteState follows RFC 4180 quoting: a quote opens a quoted field only at
// the start of a field (elsewhere it is a literal, as DuckDB reads it), and
// "" inside a quoted field is an escaped quote.
type quoteState struct {
	delim      byte
	inQuote    bool
	fieldStart bool
	fields     int
	// openCol is the 1-based column where the open quote started.
	openCol int
}

// startRecord resets the state for a record that begins on a new line.
func (q *quoteState) startRecord() {
	q.inQuote, q.fieldStart, q.fields, q.openCol = false, true, 1, 0
}

// feed advances over one line's content (without its terminator). A line
// ending inside quotes continues the record on the next line.
func (q *quoteState) feed(content []byte) {
	if !q.inQuote && bytes.IndexByte(content, csvQuote) < 0 {
		// Fast path: no quoting on this line.
		q.fields += bytes.Count(content, []byte{q.delim})
		if len(content) > 0 {
			q.fieldStart = content[len(content)-1] == q.delim
		}
		return
	}
	for i := 0; i < len(content); i++ {
		c := content[i]
		if q.inQuote {
			if c == csvQuote {
				if i+1 < len(content) && content[i+1] == csvQuote {
					i++
					continue
				}
				q.inQuote = false
			}
			continue
		}
		switch {
		case c == q.delim:
			q.fields++
			q.fieldStart = true
		case c == csvQuote && q.fieldStart:
			q.inQuote = true
			q.openCol = i + 1
			q.fieldStart = false
		default:
			q.fieldStart = false
		}
	}
}

// csvScan is what one fast pass over a CSV file found.
type csvScan struct {
	size    int64
	hash    string
	records int64 // data records, header excluded, empty lines excluded
	// clean is false when DuckDB cannot be trusted with the file as it is
	// (invalid UTF-8, an unterminated quote, the header line repeated
	// inside it): it must be rewritten first.
	clean bool
}

// repeatedLine reports whether block holds the line hdr again, past the
// file's first line (first is true for the block that starts the file).
// Blocks start at a line start.
func repeatedLine(block, hdr []byte, first bool) bool {
	if len(hdr) == 0 {
		return false
	}
	for at := 0; ; {
		i := bytes.Index(block[at:], hdr)
		if i < 0 {
			return false
		}
		i += at
		lineStart := i == 0 || block[i-1] == '\n' || block[i-1] == '\r'
		rest := block[i+len(hdr):]
		lineEnd := len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r'
		if lineStart && lineEnd && !(first && i == 0) {
			return true
		}
		at = i + 1
	}
}

// scanCSV counts the records of a CSV file in one pass. Blocks without
// quotes or empty lines are counted with bytes.Count; others line by line.
func scanCSV(path string, delim byte) (csvScan, error) {
	f, err := os.Open(path)
	if err != nil {
		return csvScan{}, err
	}
	defer f.Close()
	h := newContentHash()
	s := csvScan{clean: true}
	q := quoteState{delim: delim}
	inRecord := false
	var records int64
	lineByLine := func(block []byte) {
		// Per-block facts that spare per-line work: with no lone CR a line
		// ends at the next LF; valid UTF-8 needs no per-line check.
		lfOnly := onlyCRLF(block)
		valid := utf8.Valid(block)
		if !valid {
			s.clean = false
		}
		for len(block) > 0 {
			var line []byte
			if i := bytes.IndexByte(block, '\n'); lfOnly && i >= 0 {
				line, block = block[:i+1], block[i+1:]
			} else if lfOnly {
				line, block = block, nil
			} else {
				line, block = cutLine(block)
			}
			content := trimEOL(line)
			if !inRecord {
				if len(content) == 0 {
					continue
				}
				// A line that starts a record and holds no quote, or an even
				// number of them, ends it: the common case, without the
				// quote state machine. (Should that misread an odd line, the
				// counts disagree and the careful path takes over.)
				if n := bytes.Count(content, []byte{csvQuote}); n%2 == 0 {
					records++
					continue
				}
				q.startRecord()
			}
			q.feed(content)
			inRecord = q.inQuote
			if !inRecord {
				records++
			}
		}
	}
	buf := make([]byte, 4<<20)
	carry := 0
	var hdr []byte // the header line, to spot it repeated
	firstBlock := true
	for {
		n, err := io.ReadFull(f, buf[carry:])
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return csvScan{}, err
		}
		eof := err != nil
		h.Write(buf[carry : carry+n])
		s.size += int64(n)
		data := buf[:carry+n]
		end := len(data)
		if !eof {
			end = bytes.LastIndexByte(data, '\n') + 1
			if end == 0 { // one line longer than the buffer: grow it
				buf = append(buf, make([]byte, len(buf))...)
				carry = len(data)
				continue
			}
		}
		block := data[:end]
		if firstBlock {
			line, _ := cutLine(block)
			hdr = headerContent(line, len(splitCSVFields(line, delim)))
		}
		if repeatedLine(block, hdr, firstBlock) {
			s.clean = false
		}
		firstBlock = false
		if !inRecord && len(block) > 0 && block[0] != '\n' && block[0] != '\r' &&
			bytes.IndexByte(block, csvQuote) < 0 && !bytes.Contains(block, []byte("\n\n")) &&
			!bytes.Contains(block, []byte("\n\r\n")) && onlyCRLF(block) && utf8.Valid(block) {
			records += int64(bytes.Count(block, []byte{'\n'}))
			if block[len(block)-1] != '\n' {
				records++ // the last line has no terminator
			}
		} else {
			lineByLine(block)
		}
		carry = copy(buf, data[end:])
		if eof {
			break
		}
	}
	if inRecord {
		s.clean = false
		records++
	}
	s.hash = h.sum()
	if records > 0 {
		records-- // the header
	}
	s.records = records
	return s, nil
}

// badLine is a line that never reaches DuckDB, with why.
type badLine struct {
	line   int64
	column string
	reason string
	raw    string
	// typed is true when the line is bad for a value of column that is not
	// of the column's type: value.
	typed bool
	value string
}

// csvRecord is one record read by readCSVRecords: its first physical line,
// its bytes (all of its lines) and how many fields it has.
type csvRecord struct {
	line   int64
	raw    []byte
	fields int
}

// maxRecordLines bounds how many physical lines a quoted field may span
// before its opening quote is taken to be unterminated.
const maxRecordLines = 100

// readCSVRecords reads records one at a time and calls fn for each good one
// and bad for each line that cannot be a record: invalid UTF-8, or an
// unterminated quote (only that line is dropped; reading resumes on the
// next). Empty lines are skipped. fn may stop reading by returning false.
func readCSVRecords(path string, delim byte, fn func(csvRecord) bool, bad func(badLine)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lr := newLineReader(f)
	var pending [][]byte // physical lines of the record being read
	var pendingLines []int64
	q := quoteState{delim: delim}
	// reparse handles lines pushed back after an unterminated quote.
	var queue [][]byte
	var queueLines []int64
	nextLine := func() ([]byte, int64, error) {
		if len(queue) > 0 {
			l, n := queue[0], queueLines[0]
			queue, queueLines = queue[1:], queueLines[1:]
			return l, n, nil
		}
		l, err := lr.next()
		if err != nil {
			return nil, 0, err
		}
		return append([]byte(nil), l...), lr.line, nil
	}
	for {
		line, n, err := nextLine()
		eof := err == io.EOF
		if err != nil && !eof {
			return err
		}
		if eof && len(pending) == 0 {
			return nil
		}
		if !eof {
			content := trimEOL(line)
			if len(pending) == 0 {
				if len(content) == 0 {
					continue
				}
				if !utf8.Valid(content) {
					bad(badLine{line: n, reason: fmt.Sprintf("invalid UTF-8 at byte %d of the line; re-save the file as UTF-8", invalidUTF8At(content)+1), raw: string(bytes.ToValidUTF8(content, []byte("\uFFFD")))})
					continue
				}
				q.startRecord()
			}
			pending = append(pending, line)
			pendingLines = append(pendingLines, n)
			q.feed(content)
			if !q.inQuote {
				if !fn(csvRecord{line: pendingLines[0], raw: bytes.Join(pending, nil), fields: q.fields}) {
					return nil
				}
				pending, pendingLines = pending[:0], pendingLines[:0]
				continue
			}
			if len(pending) < maxRecordLines && utf8.Valid(content) {
				continue
			}
		}
		// The quote opened on the record's first line never closed: drop that
		// line alone and read the following ones again as new records.
		first := trimEOL(pending[0])
		bad(badLine{line: pendingLines[0], reason: "unterminated quoted field (a \" with no closing \"); close or escape the quote", raw: string(bytes.ToValidUTF8(first, []byte("\uFFFD")))})
		queue = append(append([][]byte(nil), pending[1:]...), queue...)
		queueLines = append(append([]int64(nil), pendingLines[1:]...), queueLines...)
		pending, pendingLines = pending[:0], pendingLines[:0]
		if eof && len(queue) == 0 {
			return nil
		}
	}
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// splitCSVFields splits one record into its fields, unquoting them.
func splitCSVFields(rec []byte, delim byte) []string {
	rec = trimEOL(rec)
	var fields []string
	var cur []byte
	inQuote, fieldStart := false, true
	for i := 0; i < len(rec); i++ {
		c := rec[i]
		if inQuote {
			if c == csvQuote {
				if i+1 < len(rec) && rec[i+1] == csvQuote {
					cur = append(cur, csvQuote)
					i++
					continue
				}
				inQuote = false
				continue
			}
			cur = append(cur, c)
			continue
		}
		switch {
		case c == delim:
			fields = append(fields, string(cur))
			cur = cur[:0]
			fieldStart = true
		case c == csvQuote && fieldStart:
			inQuote = true
			fieldStart = false
		default:
			cur = append(cur, c)
			fieldStart = false
		}
	}
	return append(fields, string(cur))
}

// detectDelimiter picks the delimiter among , ; tab | whose count per line is
// the most consistent over the first lines, preferring a comma.
func detectDelimiter(path string) (byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, err
	}
	lines := bytes.Split(buf[:n], []byte{'\n'})
	if n == len(buf) && len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last one may be cut
	}
	if len(lines) > 50 {
		lines = lines[:50]
	}
	best, bestScore := byte(','), -1
	for _, d := range []byte{',', '\t', ';', '|'} {
		var header int
		score := 0
		for i, l := range lines {
			l = trimEOL(l)
			if len(l) == 0 {
				continue
			}
			c := len(splitCSVFields(l, d)) - 1
			if i == 0 {
				header = c
				if c == 0 {
					break
				}
			}
			if c == header {
				score++
			}
		}
		if header > 0 && score > bestScore {
			best, bestScore = d, score
		}
	}
	return best, nil
}
