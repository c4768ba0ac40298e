// Command plainquery is the reference BenchmarkQuery measures `lakebench
// query` against: a plain duckdb-go program that opens a DuckDB file
// read-only, runs one query and prints its rows in lakebench's csv or table
// format (for the value types the benchmark's data has), with no bundle, no
// governance and no audit.
//
//	plainquery FILE csv|table SQL
package main

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: plainquery FILE csv|table SQL")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "plainquery:", err)
		os.Exit(1)
	}
}

func run(path, format, query string) error {
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	names := make([]string, len(types))
	numeric := make([]bool, len(types))
	for i, t := range types {
		names[i] = t.Name()
		switch t.DatabaseTypeName() {
		case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE":
			numeric[i] = true
		}
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer out.Flush()
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	text := func(exact bool) ([]string, error) {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = cell(types[i].DatabaseTypeName(), v, exact)
		}
		return rec, nil
	}
	if format == "csv" {
		w := csv.NewWriter(out)
		w.Write(names)
		for rows.Next() {
			rec, err := text(true)
			if err != nil {
				return err
			}
			w.Write(rec)
		}
		w.Flush()
		return rows.Err()
	}
	// The table: widths from the first 10,000 rows (at most 40), then the
	// rest streamed at those widths.
	var first [][]string
	widths := make([]int, len(names))
	for i, n := range names {
		widths[i] = utf8.RuneCountInString(n)
	}
	more := rows.Next()
	for ; more && len(first) < 10_000; more = rows.Next() {
		rec, err := text(false)
		if err != nil {
			return err
		}
		for i, c := range rec {
			widths[i] = max(widths[i], min(40, utf8.RuneCountInString(c)))
		}
		first = append(first, rec)
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				out.WriteString("  ")
			}
			n := utf8.RuneCountInString(c)
			if n > widths[i] {
				c, n = string([]rune(c)[:widths[i]-1])+"…", widths[i]
			}
			pad := strings.Repeat(" ", widths[i]-n)
			switch {
			case numeric[i]:
				out.WriteString(pad + c)
			case i < len(cells)-1:
				out.WriteString(c + pad)
			default:
				out.WriteString(c)
			}
		}
		out.WriteByte('\n')
	}
	line(names)
	seps := make([]string, len(widths))
	for i, w := range widths {
		seps[i] = strings.Repeat("─", w)
	}
	line(seps)
	for _, rec := range first {
		line(rec)
	}
	for ; more; more = rows.Next() {
		rec, err := text(false)
		if err != nil {
			return err
		}
		line(rec)
	}
	return rows.Err()
}

// cell prints a value as lakebench does: NULL (empty in CSV), numbers,
// floats to 10 digits in the table and exactly in CSV, dates by type.
func cell(typ string, v any, exact bool) string {
	switch x := v.(type) {
	case nil:
		if exact {
			return ""
		}
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		if !exact {
			return strconv.FormatFloat(x, 'g', 10, 64)
		}
		if a := math.Abs(x); a != 0 && (a >= 1e15 || a < 1e-6) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if exact {
			return x
		}
		return strings.ReplaceAll(x, "\n", "⏎")
	case time.Time:
		if typ == "DATE" {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999999")
	}
	return fmt.Sprint(v)
}
