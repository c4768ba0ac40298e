package lakehouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// sniffSampleRecords is how many good records the type sniffer sees.
const sniffSampleRecords = 20480

func (l *loader) csv(ctx context.Context) error {
	if err := checkText(l.path, "CSV"); err != nil {
		return err
	}
	delim, err := detectDelimiter(l.path)
	if err != nil {
		return err
	}
	// The witness count and the type sniff read the file independently:
	// run them side by side.
	var scan csvScan
	scanned := make(chan error, 1)
	go func() {
		var err error
		scan, err = scanCSV(l.path, delim)
		scanned <- err
	}()
	header, sniffed, err := l.csvColumns(ctx, delim)
	if scanErr := <-scanned; scanErr != nil {
		return scanErr
	}
	if err != nil {
		return err
	}
	l.hash = scan.hash
	if blank, err := startsBlank(l.path); err != nil {
		return err
	} else if blank {
		// DuckDB would take the blank line for the header, and the header
		// for a row: rewrite the file without it.
		scan.clean = false
	}
	l.tolerant = map[string]string{}
	for name, d := range sniffed.tolerant {
		l.tolerant[name] = d.note
	}
	cols, err := l.prepareTable(ctx, sniffed.columns)
	if err != nil {
		return fmt.Errorf("prepare table: %w", err)
	}
	// Null tokens in a numeric or temporal column are read as NULL by the
	// careful way, which rewrites them as empty fields: a file whose sample
	// holds some goes there at once, and one whose fast load meets one
	// past the sample goes there after it.
	tok := l.tokenColumns(cols)
	sampleTokens := false
	for i, c := range cols {
		sampleTokens = sampleTokens || tok[i] && sniffed.tokenCols[strings.ToLower(c.Name)]
	}
	if scan.clean && !sampleTokens {
		loaded, rejects, err := l.loadCSV(ctx, l.dpath, delim, cols, sniffed, true)
		if err != nil {
			return err
		}
		if loaded, rejects, sniffed, err = l.retryDates(ctx, l.dpath, delim, cols, sniffed, true, loaded, rejects); err != nil {
			return err
		}
		if tokenRejected(rejects, cols, tok) {
			if _, err := l.tx.tx.ExecContext(ctx, "DELETE FROM "+l.store.SQL()+" WHERE "+fileIDColumn+" = ?", l.fileID); err != nil {
				return err
			}
			return l.csvCareful(ctx, delim, header, cols, sniffed)
		}
		if loaded+int64(len(rejects)) == scan.records {
			l.read, l.loaded = scan.records, loaded
			return l.quarantine(ctx, rejects)
		}
		if short := scan.records - loaded - int64(len(rejects)); short > 0 {
			// The guard held back rows with an integer value that is not a
			// whole number or not a number: find their lines and keep the
			// load, if they account for the count exactly.
			held, ok, err := l.heldBack(ctx, delim, header, cols, tok, rejects)
			if err != nil {
				return err
			}
			if ok && int64(len(held)) == short {
				l.read, l.loaded = scan.records, loaded
				all := append(rejects, held...)
				sort.Slice(all, func(i, j int) bool { return all[i].line < all[j].line })
				return l.quarantine(ctx, all)
			}
		}
		// DuckDB and the count disagree (a quote DuckDB read differently):
		// take this file's rows back and go the careful way.
		if _, err := l.tx.tx.ExecContext(ctx, "DELETE FROM "+l.store.SQL()+" WHERE "+fileIDColumn+" = ?", l.fileID); err != nil {
			return err
		}
	}
	return l.csvCareful(ctx, delim, header, cols, sniffed)
}

// csvCareful rewrites the file without the lines DuckDB cannot be trusted
// with (quarantining them here), then loads the rewritten file.
func (l *loader) csvCareful(ctx context.Context, delim byte, header []string, cols []Column, sniffed csvSniff) error {
	tmp, err := os.CreateTemp("", "lakebench-csv-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var bad []badLine
	var good int64
	// starts maps each record's first line in the rewritten file to its line
	// in the original.
	var newStart, origStart []int64
	newLine := int64(1)
	headerDone := false
	var headerLine []byte
	tok := l.tokenColumns(cols)
	hits := tokenHits{}
	err = readCSVRecords(l.path, delim, func(r csvRecord) bool {
		if !headerDone {
			headerDone = true
			headerLine = headerContent(r.raw, len(header))
		} else if r.fields != len(header) {
			bad = append(bad, badLine{line: r.line, reason: fmt.Sprintf("expected %d fields, found %d", len(header), r.fields), raw: truncate(string(trimEOL(r.raw)), 4096)})
			return true
		} else if repeatsHeader(r.raw, headerLine) {
			bad = append(bad, badLine{line: r.line, reason: repeatedHeaderReason, raw: truncate(string(trimEOL(r.raw)), 4096)})
			return true
		} else {
			r.raw = hits.blank(r, delim, cols, tok)
			if b, ok := inexactInteger(r, delim, cols); !ok {
				bad = append(bad, b)
				return true
			}
			good++
		}
		newStart = append(newStart, newLine)
		origStart = append(origStart, r.line)
		newLine += writeRecord(w, r.raw)
		return true
	}, func(b badLine) { bad = append(bad, b) })
	if err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	loaded, rejects, err := l.loadCSV(ctx, tmp.Name(), delim, cols, sniffed, false)
	if err != nil {
		return err
	}
	if loaded, rejects, _, err = l.retryDates(ctx, tmp.Name(), delim, cols, sniffed, false, loaded, rejects); err != nil {
		return err
	}
	blanked := map[int64]bool{}
	for i := range rejects {
		k := sort.Search(len(newStart), func(j int) bool { return newStart[j] > rejects[i].line }) - 1
		if k >= 0 {
			rejects[i].line = origStart[k] + (rejects[i].line - newStart[k])
		}
		if _, ok := hits[rejects[i].line]; ok {
			blanked[rejects[i].line] = true
		}
	}
	if len(blanked) > 0 {
		// Quarantine the line as the file has it, tokens and all.
		raws, err := rawLines(l.path, blanked)
		if err != nil {
			return err
		}
		for i := range rejects {
			if raw, ok := raws[rejects[i].line]; ok && blanked[rejects[i].line] {
				rejects[i].raw = raw
			}
		}
	}
	if loaded+int64(len(rejects)) != good {
		// DuckDB still splits this file's records differently from Go (a
		// pathological quote): let Go's records be the truth.
		if _, err := l.tx.tx.ExecContext(ctx, "DELETE FROM "+l.store.SQL()+" WHERE "+fileIDColumn+" = ?", l.fileID); err != nil {
			return err
		}
		return l.csvExact(ctx, delim, header, cols)
	}
	l.read = good + int64(len(bad))
	l.loaded = loaded
	all := append(bad, rejects...)
	sort.Slice(all, func(i, j int) bool { return all[i].line < all[j].line })
	hits.report(&l.columns, all)
	return l.quarantine(ctx, all)
}

// repeatedHeaderReason is the quarantine reason of a header line repeated
// inside a file.
const repeatedHeaderReason = "the header line again, inside the file (files joined with their headers?)"

// tokenHits counts, per line, the null tokens the careful way read as NULL.
type tokenHits map[int64][][2]string // line -> (column, token)

// blank returns a record with the null tokens of its numeric and temporal
// columns made empty fields (NULL to DuckDB), noting each.
func (h tokenHits) blank(r csvRecord, delim byte, cols []Column, tok []bool) []byte {
	if !slices.Contains(tok, true) || !containsToken(r.raw) {
		return r.raw
	}
	fields := splitCSVFields(r.raw, delim)
	changed := false
	for i, f := range fields {
		if i < len(tok) && tok[i] && isNullToken(f) {
			fields[i] = ""
			h[r.line] = append(h[r.line], [2]string{cols[i].Name, f})
			changed = true
		}
	}
	if !changed {
		return r.raw
	}
	return encodeCSVRecord(fields, delim)
}

// report counts the tokens read as NULL in the lines that loaded.
func (h tokenHits) report(g *columnLog, bad []badLine) {
	if len(h) == 0 {
		return
	}
	dropped := map[int64]bool{}
	for _, b := range bad {
		dropped[b.line] = true
	}
	for line, hs := range h {
		if dropped[line] {
			continue
		}
		for _, ct := range hs {
			g.nullRead(ct[0], ct[1], 1)
		}
	}
}

// containsToken reports whether a record may hold a null token: a quick
// test that spares splitting most records.
func containsToken(raw []byte) bool {
	for _, t := range nullTokens {
		if bytes.Contains(raw, []byte(t)) {
			return true
		}
	}
	return false
}

// encodeCSVRecord writes fields as one CSV record, quoting those that
// need it, with a "\n" line end.
func encodeCSVRecord(fields []string, delim byte) []byte {
	var b []byte
	for i, f := range fields {
		if i > 0 {
			b = append(b, delim)
		}
		if strings.ContainsAny(f, string([]byte{delim, csvQuote, '\r', '\n'})) {
			b = append(b, csvQuote)
			b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
			b = append(b, csvQuote)
			continue
		}
		b = append(b, f...)
	}
	return append(b, '\n')
}

// heldBack finds the records loadCSV's guard kept out of the table: Go
// reads every record DuckDB did not reject, and the values of integer
// columns that are not plainly in range are checked with the guard's own
// SQL, so both agree on which rows were held back and why. ok is false when
// a held-back value is a whole number after all ("12.0"), which the careful
// way loads.
func (l *loader) heldBack(ctx context.Context, delim byte, header []string, cols []Column, tok []bool, rejects []badLine) (held []badLine, ok bool, err error) {
	rejected := map[int64]bool{}
	for _, r := range rejects {
		rejected[r.line] = true
	}
	type candidate struct {
		line  int64
		col   int
		value string
		raw   string
	}
	var cands []candidate
	first, tokens := true, false
	err = readCSVRecords(l.path, delim, func(r csvRecord) bool {
		if first || rejected[r.line] || r.fields != len(header) {
			first = false
			return true
		}
		raw := trimEOL(r.raw)
		quoted := bytes.IndexByte(raw, csvQuote) >= 0
		var fields []string
		rest, at := raw, 0 // unquoted records: walk the delimiters, no copies
		for i, c := range cols {
			if !IsIntegerType(c.Type) {
				continue
			}
			var v string
			if quoted {
				if fields == nil {
					fields = splitCSVFields(r.raw, delim)
				}
				if i >= len(fields) {
					break
				}
				v = fields[i]
			} else {
				for ; at < i; at++ {
					rest = rest[bytes.IndexByte(rest, delim)+1:]
				}
				f := rest
				if j := bytes.IndexByte(rest, delim); j >= 0 {
					f = rest[:j]
				}
				if len(f) > 0 && plainIntegerBytes(f, c.Type) {
					continue
				}
				v = string(f)
			}
			if tok[i] && isNullToken(v) {
				tokens = true // read as NULL the careful way
				return false
			}
			if v != "" && !plainInteger(v, c.Type) && !slices.Contains(l.nulls, v) {
				cands = append(cands, candidate{r.line, i, v, truncate(string(raw), 4096)})
			}
		}
		return true
	}, func(badLine) {})
	if tokens {
		return nil, false, err
	}
	if err != nil || len(cands) == 0 {
		return nil, err == nil, err
	}
	// One query decides every candidate, with the guard's condition.
	var values []string
	for k, c := range cands {
		values = append(values, fmt.Sprintf("(%d, %s, %s)", k, QuoteString(cols[c.col].Type), QuoteString(c.value)))
	}
	probe := l.tx.lh.probe()
	var cases []string
	for _, t := range slices.Compact(slices.Sorted(func(yield func(string) bool) {
		for _, c := range cands {
			if !yield(cols[c.col].Type) {
				return
			}
		}
	})) {
		cases = append(cases, "WHEN "+QuoteString(t)+" THEN TRY_CAST(v AS "+t+") IS NOT NULL")
	}
	rows, err := probe.QueryContext(ctx, "SELECT k, CASE t "+strings.Join(cases, " ")+" END AS casts, "+
		"contains(v, '.') OR contains(v, 'e') OR contains(v, 'E') AS inexact FROM (VALUES "+strings.Join(values, ", ")+") c(k, t, v) ORDER BY k")
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	seen := map[int64]bool{}
	for rows.Next() {
		var k int
		var casts, inexact bool
		if err := rows.Scan(&k, &casts, &inexact); err != nil {
			return nil, false, err
		}
		c := cands[k]
		if casts && inexact && wholeNumber(strings.TrimSpace(c.value)) {
			return nil, false, nil
		}
		if (casts && !inexact) || seen[c.line] {
			continue // loaded, or its record is already held back
		}
		seen[c.line] = true
		name, typ := cols[c.col].Name, cols[c.col].Type
		reason := fmt.Sprintf("%s: Could not convert string %q to '%s'", name, truncate(c.value, 60), typ)
		if casts {
			reason = fmt.Sprintf("%s: %q is not a whole number, and the column is %s (typed from the first rows); "+
				"give the column a type in the source's schema_hints to load such values", name, truncate(c.value, 60), typ)
		}
		held = append(held, badLine{line: c.line, column: name, reason: reason, raw: c.raw, typed: true, value: c.value})
	}
	return held, true, rows.Err()
}

// plainIntegerBytes is plainInteger for the common case, without a copy:
// at most 18 digits (and a sign for a signed type) fit every integer type
// but the narrow ones, which go to plainInteger.
func plainIntegerBytes(f []byte, typ string) bool {
	switch typ {
	case "BIGINT", "HUGEINT":
		if f[0] == '-' || f[0] == '+' {
			f = f[1:]
		}
	case "UBIGINT", "UHUGEINT":
	default:
		return false
	}
	if len(f) == 0 || len(f) > 18 {
		return false
	}
	for _, c := range f {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// plainInteger reports whether v is digits with an optional sign that fit
// an integer type, which DuckDB's cast takes unchanged.
func plainInteger(v, typ string) bool {
	bits := map[string]int{"TINYINT": 8, "SMALLINT": 16, "INTEGER": 32, "BIGINT": 64, "HUGEINT": 64,
		"UTINYINT": 8, "USMALLINT": 16, "UINTEGER": 32, "UBIGINT": 64, "UHUGEINT": 64}[typ]
	if bits == 0 || v == "" || strings.ContainsAny(v, "_ \t") {
		return false
	}
	if strings.HasPrefix(typ, "U") {
		_, err := strconv.ParseUint(strings.TrimPrefix(v, "+"), 10, bits)
		return err == nil
	}
	_, err := strconv.ParseInt(v, 10, bits)
	return err == nil
}

// inexactInteger finds a value in an integer column that a cast would
// round ("2008.5" becomes 2009 in DuckDB), which would change the data
// without a word; such a record is quarantined instead.
func inexactInteger(r csvRecord, delim byte, cols []Column) (badLine, bool) {
	var fields []string
	for i, c := range cols {
		if !IsIntegerType(c.Type) {
			continue
		}
		if fields == nil {
			if !bytes.ContainsAny(r.raw, ".eE") {
				return badLine{}, true
			}
			fields = splitCSVFields(r.raw, delim)
		}
		if i >= len(fields) {
			break
		}
		if v := strings.TrimSpace(fields[i]); !wholeNumber(v) {
			return badLine{line: r.line, column: c.Name, raw: truncate(string(trimEOL(r.raw)), 4096), typed: true, value: v,
				reason: fmt.Sprintf("%s: %q is not a whole number, and the column is %s (typed from the first rows); "+
					"give the column a type in the source's schema_hints to load such values", c.Name, truncate(v, 60), c.Type)}, false
		}
	}
	return badLine{}, true
}

// wholeNumber reports whether a text value, if it is a decimal number with
// a fraction or an exponent, is a whole number, decided exactly on its
// digits (12345678901234567.8 is not whole; 1.5e3 is). Other text is left
// to DuckDB's cast, which rejects what is not a number.
func wholeNumber(v string) bool {
	if !strings.ContainsAny(v, ".eE") {
		return true
	}
	mant, exp := v, 0
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		e, err := strconv.Atoi(v[i+1:])
		if err != nil {
			return true
		}
		mant, exp = v[:i], e
	}
	mant = strings.TrimLeft(mant, "+-")
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return true // not a decimal number: DuckDB's cast decides
	}
	// value = digits × 10^(exp - len(frac)): whole when the digits that
	// would fall after the point are zeros.
	shift := len(frac) - exp
	if shift <= 0 {
		return true
	}
	if shift > len(digits) {
		shift = len(digits)
	}
	return strings.Trim(digits[len(digits)-shift:], "0") == ""
}

// writeRecord writes a record with its last line ending made "\n" (a
// rewritten file must not mix line endings: DuckDB's sniffer fails on that)
// and returns how many physical lines it spans.
func writeRecord(w *bufio.Writer, raw []byte) int64 {
	content := trimEOL(raw)
	w.Write(content)
	w.WriteByte('\n')
	lines := int64(1)
	for rest := content; ; lines++ {
		_, rest = cutLine(rest)
		if len(rest) == 0 {
			break
		}
	}
	return lines
}

// csvExact is the last resort for files DuckDB's reader splits differently
// from Go: Go splits the records and stages their fields as JSON (which
// reads back unambiguously), and typedLoad casts them, so every record is
// loaded or quarantined by construction.
func (l *loader) csvExact(ctx context.Context, delim byte, header []string, cols []Column) error {
	tmp, err := os.CreateTemp("", "lakebench-csvx-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var bad []badLine
	var good int64
	headerDone := false
	var headerLine []byte
	tok := l.tokenColumns(cols)
	hits := tokenHits{}
	obj := map[string]any{}
	var werr error
	err = readCSVRecords(l.path, delim, func(r csvRecord) bool {
		if !headerDone {
			headerDone = true
			headerLine = headerContent(r.raw, len(header))
			return true
		}
		fields := splitCSVFields(r.raw, delim)
		if len(fields) != len(header) {
			bad = append(bad, badLine{line: r.line, reason: fmt.Sprintf("expected %d fields, found %d", len(header), len(fields)), raw: truncate(string(trimEOL(r.raw)), 4096)})
			return true
		}
		if repeatsHeader(r.raw, headerLine) {
			bad = append(bad, badLine{line: r.line, reason: repeatedHeaderReason, raw: truncate(string(trimEOL(r.raw)), 4096)})
			return true
		}
		clear(obj)
		obj[jsonLineCol] = r.line
		for i, f := range fields {
			if tok[i] && isNullToken(f) {
				hits[r.line] = append(hits[r.line], [2]string{cols[i].Name, f})
				continue
			}
			if f != "" && !slices.Contains(l.nulls, f) {
				obj[cols[i].Name] = f
			}
		}
		b, err := json.Marshal(obj)
		if err != nil {
			werr = err
			return false
		}
		w.Write(b)
		w.WriteByte('\n')
		good++
		return true
	}, func(b badLine) { bad = append(bad, b) })
	if err == nil {
		err = werr
	}
	if err == nil {
		err = w.Flush()
	}
	tmp.Close()
	if err != nil {
		return err
	}
	l.read = good + int64(len(bad))
	if err := l.quarantine(ctx, bad); err != nil {
		return err
	}
	if good == 0 {
		return nil
	}
	defs := []string{QuoteString(jsonLineCol) + ": 'BIGINT'"}
	staged := make([]Column, len(cols))
	for i, c := range cols {
		defs = append(defs, QuoteString(c.Name)+": 'VARCHAR'")
		staged[i] = Column{Name: c.Name, Type: "VARCHAR"}
	}
	loaded, failed, err := l.tx.typedLoad(ctx, stagedLoad{store: l.store, lineCol: jsonLineCol,
		stage:    "read_json(" + QuoteString(tmp.Name()) + ", format='newline_delimited', columns={" + strings.Join(defs, ", ") + "})",
		fileExpr: strconv.FormatInt(l.fileID, 10), from: staged, to: cols, expected: good})
	if err != nil {
		return err
	}
	l.loaded += loaded
	hits.report(&l.columns, append(append([]badLine(nil), bad...), failed[l.fileID]...))
	return l.quarantineWithRaw(ctx, failed[l.fileID])
}

// csvColumns returns the header and the column types for a file: from
// DuckDB's sniffer for the first file of a table in this transaction (or one
// with new columns), else from the table, with the formats sniffed before.
func (l *loader) csvColumns(ctx context.Context, delim byte) ([]string, csvSniff, error) {
	if prev, ok := l.tx.sniffs[l.table]; ok {
		header, err := readHeader(l.path, delim)
		if err != nil {
			return nil, csvSniff{}, err
		}
		existing, err := l.storeColumns(ctx)
		if err != nil {
			return nil, csvSniff{}, err
		}
		have := map[string]bool{}
		for _, c := range existing {
			have[strings.ToLower(c.Name)] = true
		}
		known := header != nil
		for _, h := range header {
			known = known && have[strings.ToLower(h)]
		}
		if known {
			s := csvSniff{dateFormat: prev.dateFormat, timestampFormat: prev.timestampFormat, columns: make([]Column, len(header))}
			for i, h := range header {
				s.columns[i] = Column{Name: h, Type: "VARCHAR"} // prepareTable takes the table's types
			}
			return header, s, nil
		}
	}
	header, s, err := l.sniffCSV(ctx, delim, nil)
	if err == nil {
		l.tx.sniffs[l.table] = s
	}
	return header, s, err
}

// retryDates reloads a file whose date or timestamp values were rejected
// under the formats it was read with (an earlier file's, or ones its own
// sniff could not find) with the formats DuckDB's sniffer finds in it,
// when they read some of the rejected values, and keeps the reading that
// loads more rows.
func (l *loader) retryDates(ctx context.Context, path string, delim byte, cols []Column, s csvSniff, guard bool, loaded int64, rejects []badLine) (int64, []badLine, csvSniff, error) {
	own, ok := l.otherFormats(ctx, delim, s, cols, rejects)
	if !ok {
		return loaded, rejects, s, nil
	}
	takeBack := func() error {
		_, err := l.tx.tx.ExecContext(ctx, "DELETE FROM "+l.store.SQL()+" WHERE "+fileIDColumn+" = ?", l.fileID)
		return err
	}
	if err := takeBack(); err != nil {
		return 0, nil, s, err
	}
	loaded2, rejects2, err := l.loadCSV(ctx, path, delim, cols, own, guard)
	if err != nil || loaded2 > loaded {
		return loaded2, rejects2, own, err // more rows load with the file's own format
	}
	if err := takeBack(); err != nil {
		return 0, nil, s, err
	}
	loaded, rejects, err = l.loadCSV(ctx, path, delim, cols, s, guard)
	return loaded, rejects, s, err
}

// otherFormats sniffs a file's own date and timestamp formats, the
// temporal columns' types given (so a few bad values do not make the
// sniffer settle for text), when values of those columns were rejected;
// ok when they differ from the formats used and read at least one of the
// rejected values.
func (l *loader) otherFormats(ctx context.Context, delim byte, s csvSniff, cols []Column, rejects []badLine) (csvSniff, bool) {
	temporal := map[string]int{}
	types := map[string]string{}
	for i, c := range cols {
		if c.Type == "DATE" || strings.HasPrefix(c.Type, "TIMESTAMP") {
			temporal[c.Name] = i
			types[c.Name] = c.Type
		}
	}
	var values []string
	for _, r := range rejects {
		if i, ok := temporal[r.column]; ok {
			if f := splitCSVFields([]byte(r.raw), delim); i < len(f) && len(values) < 100 {
				values = append(values, QuoteString(f[i]))
			}
		}
	}
	if len(values) == 0 {
		return s, false
	}
	_, own, err := l.sniffCSV(ctx, delim, types)
	if err != nil || (own.dateFormat == "" && own.timestampFormat == "") ||
		(own.dateFormat == s.dateFormat && own.timestampFormat == s.timestampFormat) {
		return s, false
	}
	var formats []string
	for _, f := range []string{own.dateFormat, own.timestampFormat} {
		if f != "" {
			formats = append(formats, "try_strptime(v, "+QuoteString(f)+") IS NOT NULL")
		}
	}
	probe := l.tx.lh.probe()
	var reads int64
	if err := probe.QueryRowContext(ctx, "SELECT count(*) FROM (VALUES ("+strings.Join(values, "), (")+")) t(v) WHERE "+
		strings.Join(formats, " OR ")).Scan(&reads); err != nil || reads == 0 {
		return s, false
	}
	s.dateFormat, s.timestampFormat = own.dateFormat, own.timestampFormat
	return s, true
}

// tokenColumns marks the columns where null tokens are read as NULL: the
// numeric and temporal ones, unless the source gives its own null values.
func (l *loader) tokenColumns(cols []Column) []bool {
	tok := make([]bool, len(cols))
	if l.tokens() == nil {
		return tok
	}
	for i, c := range cols {
		tok[i] = tokenColumn(c.Type)
	}
	return tok
}

// tokenRejected reports whether DuckDB rejected a null token in a column
// where it is read as NULL.
func tokenRejected(rejects []badLine, cols []Column, tok []bool) bool {
	for _, r := range rejects {
		if !r.typed || !isNullToken(r.value) {
			continue
		}
		if i := slices.IndexFunc(cols, func(c Column) bool { return c.Name == r.column }); i >= 0 && tok[i] {
			return true
		}
	}
	return false
}

// startsBlank reports whether a file's first line is blank (spaces or
// tabs at most).
func startsBlank(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, err
	}
	line, _ := cutLine(bytes.TrimPrefix(buf[:n], []byte("\uFEFF")))
	return len(bytes.Trim(trimEOL(line), " \t")) == 0 && len(line) > 0 && n > len(line), nil
}

// nullOption is read_csv's nullstr for the source's null markers (the
// empty field stays one), or "".
func (l *loader) nullOption() string {
	if len(l.nulls) == 0 {
		return ""
	}
	list := []string{"''"}
	for _, n := range l.nulls {
		list = append(list, QuoteString(n))
	}
	return ", nullstr=[" + strings.Join(list, ", ") + "]"
}

// readHeader reads a CSV file's column names.
func readHeader(path string, delim byte) ([]string, error) {
	var header []string
	err := readCSVRecords(path, delim, func(r csvRecord) bool {
		header = uniqueNames(splitCSVFields(r.raw, delim))
		return false
	}, func(badLine) {})
	return header, err
}

// csvSniff is what DuckDB's sniffer found on a clean sample of the file.
type csvSniff struct {
	columns         []Column
	dateFormat      string
	timestampFormat string
	// tolerant are the columns (lower-case names) typed though a handful of
	// sampled values did not fit; tokenCols those whose sample held null
	// tokens.
	tolerant  map[string]tolerantDecision
	tokenCols map[string]bool
}

// sniffCSV reads the header and asks DuckDB's sniffer for column types on a
// sample of well-formed records only, so a malformed line cannot derail it.
func (l *loader) sniffCSV(ctx context.Context, delim byte, types map[string]string) ([]string, csvSniff, error) {
	tmp, err := os.CreateTemp("", "lakebench-sniff-*.csv")
	if err != nil {
		return nil, csvSniff{}, err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	var header []string
	var headerLine []byte
	n := 0
	tokenAt := map[int]bool{} // columns whose sampled values hold a null token
	err = readCSVRecords(l.path, delim, func(r csvRecord) bool {
		if header == nil {
			header = splitCSVFields(r.raw, delim)
			headerLine = headerContent(r.raw, len(header))
		} else if r.fields != len(header) || repeatsHeader(r.raw, headerLine) {
			return true
		} else if containsToken(r.raw) {
			for i, f := range splitCSVFields(r.raw, delim) {
				if isNullToken(f) {
					tokenAt[i] = true
				}
			}
		}
		writeRecord(w, r.raw)
		n++
		return n <= sniffSampleRecords
	}, func(badLine) {})
	w.Flush()
	tmp.Close()
	if err != nil {
		return nil, csvSniff{}, err
	}
	if header == nil {
		return nil, csvSniff{}, fmt.Errorf("no header line: the first line of a CSV file must name its columns")
	}
	header = uniqueNames(header)
	s := csvSniff{columns: make([]Column, len(header)), tokenCols: map[string]bool{}}
	for i := range tokenAt {
		if i < len(header) {
			s.tokenCols[strings.ToLower(header[i])] = true
		}
	}
	for i, h := range header {
		s.columns[i] = Column{Name: h, Type: "VARCHAR"}
	}
	if n <= 1 {
		return header, s, nil // header only: keep VARCHAR columns
	}
	var cols []any
	var dateFmt, tsFmt *string
	probe := l.tx.lh.probe()
	opts := l.sniffNullOption()
	if len(types) > 0 {
		var defs []string
		for _, n := range slices.Sorted(maps.Keys(types)) {
			defs = append(defs, QuoteString(n)+": "+QuoteString(types[n]))
		}
		opts += ", types={" + strings.Join(defs, ", ") + "}"
	}
	err = probe.QueryRowContext(ctx, "SELECT Columns, DateFormat, TimestampFormat FROM sniff_csv("+QuoteString(tmp.Name())+
		", delim="+QuoteString(string(delim))+", quote='\"', escape='\"', header=true, sample_size=-1"+opts+")").Scan(&cols, &dateFmt, &tsFmt)
	if err != nil {
		// DuckDB's sniffer gave up: load every column as text, which
		// loses nothing; silver models cast what they need.
		return header, s, nil
	}
	if len(cols) == len(header) {
		for i, c := range cols {
			if m, ok := c.(map[string]any); ok {
				if t, ok := m["type"].(string); ok && t != "" {
					s.columns[i].Type = t
				}
			}
		}
	}
	if dateFmt != nil {
		s.dateFormat = *dateFmt
	}
	if tsFmt != nil {
		s.timestampFormat = *tsFmt
	}
	if len(types) == 0 {
		// Should DuckDB fail to read the sample again, the sniffed types
		// stand: nothing is lost, a column is text at worst.
		l.sniffTolerant(ctx, tmp.Name(), delim, &s)
	}
	return header, s, nil
}

// sniffTolerant types with tolerance the text columns of the sniffer's
// sample whose values fit a numeric or temporal type but for a handful.
func (l *loader) sniffTolerant(ctx context.Context, sample string, delim byte, s *csvSniff) error {
	defs := make([]string, len(s.columns))
	var cands []tolerantCandidate
	for i, c := range s.columns {
		defs[i] = QuoteString(c.Name) + ": 'VARCHAR'"
		if _, hinted := l.hints[strings.ToLower(c.Name)]; c.Type == "VARCHAR" && !hinted {
			cands = append(cands, tolerantCandidate{name: c.Name, value: QuoteIdent(c.Name)})
		}
	}
	relation := "read_csv(" + QuoteString(sample) + ", auto_detect=false, header=true, delim=" + QuoteString(string(delim)) +
		`, quote='"', escape='"', columns={` + strings.Join(defs, ", ") + "}, strict_mode=false, ignore_errors=true)"
	if len(cands) == 0 {
		return nil
	}
	decided, err := decideTolerant(ctx, l.tx.lh.probe(), relation, cands, s.dateFormat, s.timestampFormat, false, l.nulls)
	if err != nil {
		return err
	}
	s.tolerant = map[string]tolerantDecision{}
	for i, c := range s.columns {
		if d, ok := decided[c.Name]; ok {
			s.columns[i].Type = d.typ
			s.tolerant[strings.ToLower(c.Name)] = d
		}
	}
	return nil
}

// sniffNullOption is the sniffer's nullstr: the source's null values, or
// the null tokens, so a numeric column with NA in it is sniffed as numeric.
func (l *loader) sniffNullOption() string {
	if len(l.nulls) > 0 {
		return l.nullOption()
	}
	list := []string{"''"}
	for _, n := range nullTokens {
		list = append(list, QuoteString(n))
	}
	return ", nullstr=[" + strings.Join(list, ", ") + "]"
}

// headerContent is a header line without its line end and byte-order mark,
// kept to spot the header repeated inside the file; nil for a header of
// one field, where a value equal to the column name is plausible data.
func headerContent(raw []byte, fields int) []byte {
	if fields < 2 {
		return nil
	}
	return bytes.Clone(bytes.TrimPrefix(trimEOL(raw), []byte("\uFEFF")))
}

// repeatsHeader reports whether a record is the header line again (files
// joined with their headers, as cat does).
func repeatsHeader(raw, header []byte) bool {
	return header != nil && bytes.Equal(trimEOL(raw), header)
}

// uniqueNames names empty header fields column_N and numbers repeats.
func uniqueNames(names []string) []string {
	seen := map[string]int{}
	out := make([]string, len(names))
	for i, n := range names {
		n = strings.TrimSpace(strings.TrimPrefix(n, "\uFEFF"))
		if n == "" {
			n = fmt.Sprintf("column_%d", i+1)
		}
		key := strings.ToLower(n)
		if c := seen[key]; c > 0 {
			n = fmt.Sprintf("%s_%d", n, c)
		}
		seen[key]++
		out[i] = n
	}
	return out
}

// loadCSV loads a CSV file with DuckDB's reader (no sniffing: the dialect
// and the columns are given) and returns the rows loaded and the rejected
// lines, one per line, with DuckDB's reasons.
//
// With guard, integer columns are read as text and a value with a fraction
// or an exponent is not loaded (DuckDB's cast would round it, silently), nor
// is one that does not convert; the count then falls short, and the caller
// goes the careful way, where Go quarantines such values with their reason.
func (l *loader) loadCSV(ctx context.Context, path string, delim byte, cols []Column, s csvSniff, guard bool) (int64, []badLine, error) {
	defs := make([]string, len(cols))
	var sel, excl, where []string
	for i, c := range cols {
		typ := c.Type
		if guard && IsIntegerType(c.Type) {
			typ = "VARCHAR"
			id := QuoteIdent(c.Name)
			excl = append(excl, id)
			cast := "TRY_CAST(" + id + " AS " + c.Type + ")"
			sel = append(sel, cast+" AS "+id)
			where = append(where, "("+id+" IS NULL OR (NOT contains("+id+", '.') AND NOT contains("+id+", 'e') AND NOT contains("+id+", 'E') AND "+cast+" IS NOT NULL))")
		}
		defs[i] = QuoteString(c.Name) + ": " + QuoteString(typ)
	}
	switch {
	case len(excl) == 0:
		sel = []string{"*"}
	case len(excl) < len(cols):
		sel = append(sel, "* EXCLUDE ("+strings.Join(excl, ", ")+")")
	}
	filter := ""
	if len(where) > 0 {
		filter = " WHERE " + strings.Join(where, " AND ")
	}
	opts := "auto_detect=false, header=true, delim=" + QuoteString(string(delim)) + `, quote='"', escape='"', ` +
		"columns={" + strings.Join(defs, ", ") + "}, store_rejects=true, rejects_table='lb_reject_errors', " +
		"rejects_scan='lb_reject_scans', strict_mode=true, null_padding=false" + l.nullOption()
	if s.dateFormat != "" {
		opts += ", dateformat=" + QuoteString(s.dateFormat)
	}
	if s.timestampFormat != "" {
		opts += ", timestampformat=" + QuoteString(s.timestampFormat)
	}
	for _, t := range []string{"lb_reject_errors", "lb_reject_scans"} {
		if _, err := l.tx.tx.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+t); err != nil {
			return 0, nil, err
		}
	}
	res, err := l.tx.tx.ExecContext(ctx, "INSERT INTO "+l.store.SQL()+" BY NAME SELECT "+strings.Join(sel, ", ")+", "+l.metaSelect()+
		" FROM read_csv("+QuoteString(path)+", "+opts+")"+filter)
	if err != nil {
		return 0, nil, err
	}
	loaded, _ := res.RowsAffected()
	// DuckDB's line numbers count a record spanning lines as one line, so
	// each reject's line is found from where its record starts in the file.
	rows, err := l.tx.tx.QueryContext(ctx, `SELECT line_byte_position, any_value(column_name ORDER BY column_idx),
		string_agg(coalesce(column_name || ': ', '') || error_message, '; ' ORDER BY column_idx), any_value(csv_line)
		FROM temp.lb_reject_errors GROUP BY line_byte_position ORDER BY 1`)
	if err != nil {
		return 0, nil, err
	}
	var bad []badLine
	var offsets []int64
	for rows.Next() {
		var b badLine
		var pos int64
		var col, raw *string
		if err := rows.Scan(&pos, &col, &b.reason, &raw); err != nil {
			rows.Close()
			return 0, nil, err
		}
		if col != nil {
			b.column = *col
		}
		if raw != nil {
			b.raw = truncate(strings.TrimLeft(*raw, "\r\n"), 4096)
		}
		if col != nil && raw != nil && strings.Contains(b.reason, "Could not convert") {
			// The value that did not convert, for the column's report.
			if i := slices.IndexFunc(cols, func(c Column) bool { return c.Name == *col }); i >= 0 {
				if f := splitCSVFields([]byte(strings.TrimLeft(*raw, "\r\n")), delim); i < len(f) {
					b.typed, b.value = true, f[i]
				}
			}
		}
		b.reason = cleanReason(b.reason)
		bad = append(bad, b)
		offsets = append(offsets, pos-1) // DuckDB counts bytes from 1
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	lines, err := recordLines(path, offsets)
	if err != nil {
		return 0, nil, err
	}
	for i := range bad {
		bad[i].line = lines[i]
	}
	return loaded, bad, nil
}

// recordLines returns, for each byte offset (ascending) where DuckDB says
// a rejected record begins, the line on which the record starts: the first
// non-blank line starting at or after the offset (DuckDB's offset may
// point at the line endings of blank lines before it). Lines end as
// lineReader ends them.
func recordLines(path string, offsets []int64) ([]int64, error) {
	out := make([]int64, len(offsets))
	if len(offsets) == 0 {
		return out, nil
	}
	k := 0
	var last int64
	err := eachLine(path, func(n, start int64, line []byte) bool {
		last = n
		for k < len(offsets) && start >= offsets[k] && len(trimEOL(line)) > 0 {
			out[k] = n
			k++
		}
		return k < len(offsets)
	})
	for ; k < len(offsets); k++ {
		out[k] = last // past the end: the last line
	}
	return out, err
}

// cleanReason shortens DuckDB's reject messages to what a person needs:
// 'amount: Could not convert string "abc" to 'DOUBLE”.
func cleanReason(s string) string {
	s = firstLine(s)
	if i := strings.Index(s, "Could not convert"); i > 0 {
		col, _, _ := strings.Cut(s, ": ")
		return col + ": " + s[i:]
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// checkText refuses a file that is binary (a NUL byte near its start): it is
// not the text format it was given as.
func checkText(path, format string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 8192)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	if bytes.IndexByte(buf[:n], 0) >= 0 {
		return fmt.Errorf("this is a binary file, not %s; if it is Parquet, name it .parquet or pass --format parquet", format)
	}
	return nil
}
