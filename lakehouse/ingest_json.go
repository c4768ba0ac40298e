package lakehouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonLineCol is the column carrying each record's line in the staged file.
const jsonLineCol = "__lb_line"

// json loads JSON lines (or one JSON array of objects). Go checks every line
// first, since DuckDB's reader skips bad lines without a word; good lines
// are staged with their line number, and values that do not fit their
// column's type are quarantined by typedLoad.
func (l *loader) json(ctx context.Context) error {
	if err := checkText(l.path, "JSON"); err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "lakebench-json-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var bad []badLine
	var good int64
	stage := func(line int64, obj []byte) {
		w.WriteString(`{"` + jsonLineCol + `":`)
		w.WriteString(strconv.FormatInt(line, 10))
		rest := bytes.TrimSpace(obj[1:])
		if len(rest) > 0 && rest[0] != '}' {
			w.WriteByte(',')
		}
		w.Write(rest)
		w.WriteByte('\n')
		good++
	}
	array, err := isJSONArray(l.path)
	if err != nil {
		return err
	}
	if array {
		l.hash, err = stageJSONArray(l.path, stage, func(b badLine) { bad = append(bad, b) })
	} else {
		l.hash, err = stageJSONLines(l.path, stage, func(b badLine) { bad = append(bad, b) })
	}
	if err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	tmp.Close()
	if good == 0 && len(bad) > 0 {
		return fmt.Errorf("no line is a JSON object (line %d: %s); lakebench reads JSON lines (one object per line) or one array of objects", bad[0].line, bad[0].reason)
	}
	l.read = good + int64(len(bad))
	if err := l.quarantine(ctx, bad); err != nil {
		return err
	}
	if good == 0 {
		return nil
	}
	src := "read_json(" + QuoteString(tmp.Name()) + ", format='newline_delimited'"
	fileCols, err := describe(ctx, l.tx.tx, src+", sample_size=20480)")
	if err != nil {
		return fmt.Errorf("detect column types: %w", err)
	}
	var dataCols []Column
	for _, c := range fileCols {
		if c.Name == jsonLineCol {
			continue
		}
		switch c.Type {
		case "HUGEINT", "UHUGEINT", "UBIGINT":
			c.Type = "BIGINT" // Go scans HUGEINT awkwardly; wider values are quarantined
		case "NULL":
			c.Type = "VARCHAR"
		}
		dataCols = append(dataCols, c)
	}
	cols, err := l.prepareTable(ctx, dataCols)
	if err != nil {
		return fmt.Errorf("prepare table: %w", err)
	}
	// Stage every value as JSON text: typedLoad casts it, so one bad value
	// costs one row, not the file.
	defs := []string{QuoteString(jsonLineCol) + ": 'BIGINT'"}
	staged := make([]Column, len(cols))
	for i, c := range cols {
		defs = append(defs, QuoteString(c.Name)+": 'JSON'")
		staged[i] = Column{Name: c.Name, Type: "JSON"}
	}
	if _, err := l.tx.tx.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lb_stage AS SELECT * FROM "+src+
		", columns={"+strings.Join(defs, ", ")+"})"); err != nil {
		return err
	}
	defer l.tx.tx.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.lb_stage")
	return l.typedLoad(ctx, "temp.lb_stage", jsonLineCol, staged, cols, !array)
}

func isJSONArray(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		c, err := r.ReadByte()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF, 0xBB, 0xBF: // byte-order mark
			continue
		}
		return c == '[', nil
	}
}

// stageJSONLines checks each line and stages the good ones.
func stageJSONLines(path string, stage func(int64, []byte), bad func(badLine)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	lr := newLineReader(f)
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		content := bytes.TrimSpace(trimEOL(line))
		if lr.line == 1 {
			content = bytes.TrimPrefix(content, []byte("\uFEFF"))
		}
		if len(content) == 0 {
			continue
		}
		if reason := jsonProblem(content); reason != "" {
			bad(badLine{line: lr.line, reason: reason, raw: truncate(string(bytes.ToValidUTF8(content, []byte("\uFFFD"))), 4096)})
			continue
		}
		stage(lr.line, content)
	}
	return lr.sum(), nil
}

// jsonProblem says what is wrong with a line that should hold one object.
func jsonProblem(b []byte) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf("invalid UTF-8 at byte %d of the line; re-save the file as UTF-8", invalidUTF8At(b)+1)
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Sprintf("invalid JSON at column %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
		}
		return "invalid JSON: " + fmt.Sprint(err)
	}
	if b[0] != '{' {
		return "not a JSON object: each line must be one {...} object"
	}
	return ""
}

// stageJSONArray reads a file holding one JSON array and stages each object
// element with the line where it starts.
func stageJSONArray(path string, stage func(int64, []byte), bad func(badLine)) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	h := newContentHash()
	h.Write(data)
	hash := h.sum()
	if !utf8.Valid(data) {
		return "", fmt.Errorf("invalid UTF-8 at byte %d; re-save the file as UTF-8", invalidUTF8At(data)+1)
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	if _, err := dec.Token(); err != nil {
		return "", fmt.Errorf("invalid JSON: %w", err)
	}
	line, counted := int64(1), 0
	lineAt := func(off int64) int64 {
		line += int64(bytes.Count(data[counted:off], []byte{'\n'}))
		counted = int(off)
		return line
	}
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return "", fmt.Errorf("invalid JSON at line %d: %s; fix the file (an array must hold well-formed objects)", lineAt(se.Offset), strings.TrimPrefix(se.Error(), "json: "))
			}
			return "", fmt.Errorf("invalid JSON: %w", err)
		}
		// Skip the separator and whitespace to find where the element starts.
		s := int(start)
		for s < len(data) && (data[s] == ',' || data[s] == ' ' || data[s] == '\n' || data[s] == '\r' || data[s] == '\t') {
			s++
		}
		n := lineAt(int64(s))
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			bad(badLine{line: n, reason: "array element is not a JSON object", raw: truncate(string(raw), 4096)})
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return "", err
		}
		stage(n, compact.Bytes())
	}
	return hash, nil
}

// describe returns the columns a relation would have.
func describe(ctx context.Context, e execer, relation string) ([]Column, error) {
	rows, err := e.QueryContext(ctx, "DESCRIBE SELECT * FROM "+relation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, _ := rows.Columns()
	var cols []Column
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		cols = append(cols, Column{Name: fmt.Sprint(vals[0]), Type: fmt.Sprint(vals[1])})
	}
	return cols, rows.Err()
}

// typedLoad inserts a staged relation into the table, casting each column
// to the table's type; rows with a value that does not convert go to
// quarantine with the column and value named. lineCol holds each row's
// line in the file; withRaw reads the original lines back for quarantine.
func (l *loader) typedLoad(ctx context.Context, stage, lineCol string, from, to []Column, withRaw bool) error {
	var sel, oks, reasons, firsts []string
	for i, c := range to {
		id := QuoteIdent(c.Name)
		if strings.EqualFold(from[i].Type, c.Type) {
			sel = append(sel, id)
			continue
		}
		src := id
		if from[i].Type == "JSON" && isScalarType(c.Type) {
			src = "(" + id + "->>'$')" // JSON text to its value: "abc" -> abc
		}
		cast := "TRY_CAST(" + src + " AS " + c.Type + ")"
		sel = append(sel, cast+" AS "+id)
		ok := "(" + src + " IS NULL OR " + cast + " IS NOT NULL)"
		oks = append(oks, ok)
		reasons = append(reasons, "CASE WHEN NOT "+ok+" THEN "+QuoteString(c.Name+": cannot convert ")+
			" || left("+src+"::VARCHAR, 60) || "+QuoteString(" to "+c.Type)+" END")
		firsts = append(firsts, "CASE WHEN NOT "+ok+" THEN "+QuoteString(c.Name)+" END")
	}
	where := "true"
	if len(oks) > 0 {
		where = strings.Join(oks, " AND ")
	}
	res, err := l.tx.tx.ExecContext(ctx, "INSERT INTO "+l.store.SQL()+" BY NAME SELECT "+strings.Join(sel, ", ")+", "+
		l.metaSelect()+" FROM "+stage+" WHERE "+where)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	l.loaded += n
	if len(oks) == 0 {
		return nil
	}
	rows, err := l.tx.tx.QueryContext(ctx, "SELECT "+QuoteIdent(lineCol)+", coalesce("+strings.Join(firsts, ", ")+"), concat_ws('; ', "+
		strings.Join(reasons, ", ")+") FROM "+stage+" WHERE NOT ("+where+") ORDER BY 1")
	if err != nil {
		return err
	}
	var bad []badLine
	want := map[int64]bool{}
	for rows.Next() {
		var b badLine
		if err := rows.Scan(&b.line, &b.column, &b.reason); err != nil {
			rows.Close()
			return err
		}
		bad = append(bad, b)
		want[b.line] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if withRaw {
		raws, err := rawLines(l.path, want)
		if err != nil {
			return err
		}
		for i := range bad {
			bad[i].raw = raws[bad[i].line]
		}
	}
	return l.quarantine(ctx, bad)
}

func isScalarType(t string) bool {
	return !strings.ContainsAny(t, "([") && t != "JSON" && !strings.HasPrefix(t, "STRUCT") && !strings.HasPrefix(t, "MAP")
}
