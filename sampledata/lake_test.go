package sampledata

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/duckdb/duckdb-go/v2"
)

// devDir holds the full dev horizon, generated once for the package's tests.
var (
	devDir    string
	devReport Report
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sampledata-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	devDir = dir
	devReport, err = Generate(context.Background(), devDir, Options{Scale: ScaleDev, Days: Horizon})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if devLakeShared != nil {
		devLakeShared.db.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// badLineKind says why a landing CSV line is malformed, or "" if it is fine.
// It is the test's own oracle for the planted incident 6.
func badLineKind(line []byte, fields int, dateField int) string {
	switch {
	case !utf8.Valid(line):
		return "invalid_utf8"
	case bytes.Count(line, []byte{'"'})%2 == 1:
		return "unterminated_quote"
	}
	parts := strings.Split(string(line), ",")
	switch {
	case len(parts) > fields:
		return "too_many_columns"
	case len(parts) < fields:
		return "too_few_columns"
	}
	if _, err := time.Parse(time.DateOnly, parts[dateField]); err != nil {
		return "bad_date"
	}
	return ""
}

// cleanCSV copies a landing CSV to out without its malformed lines, standing
// in for the ingestion quarantine, and returns the lines it dropped.
func cleanCSV(t *testing.T, src, out string, fields, dateField int) []MalformedLine {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\n'})
	var kept bytes.Buffer
	var bad []MalformedLine
	for i, l := range lines {
		if i > 0 {
			if kind := badLineKind(l, fields, dateField); kind != "" {
				var id int64
				fmt.Sscanf(string(l), "%d,", &id)
				bad = append(bad, MalformedLine{Kind: kind, Line: i + 1, CustomerID: id})
				continue
			}
		}
		kept.Write(l)
		kept.WriteByte('\n')
	}
	if err := os.WriteFile(out, kept.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return bad
}

// qualityRules are the error-level rules of the template's lakebench.yml, as
// the condition a good row meets.
var qualityRules = map[string]string{
	"silver.orders":      "customer_id IS NOT NULL",
	"silver.order_items": "quantity > 0",
}

// lake is a DuckDB database loaded with a workspace's landing zone in bronze
// and the template's models built in silver and gold.
type lake struct {
	db        *sql.DB
	malformed map[string][]MalformedLine // by CSV file base name
}

func sqlList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// openLake loads dir/landing into a temporary in-memory DuckDB the way the
// pipeline's ingestion does (file columns plus _source_file, _ingested_at,
// _batch_id) and builds every model of the template in order. The caller
// closes l.db.
func openLake(t *testing.T, dir string) *lake {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	l := &lake{db: db, malformed: map[string][]MalformedLine{}}
	l.exec(t, "CREATE SCHEMA bronze; CREATE SCHEMA silver; CREATE SCHEMA gold")
	clean := t.TempDir()
	for _, src := range Sources {
		files, err := filepath.Glob(filepath.Join(dir, "landing", src, "*."+sourceExt[src]))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s files in %s (%v)", src, dir, err)
		}
		sort.Strings(files)
		var reader string
		switch src {
		case "customers", "products":
			fields, dateField := 8, 5
			if src == "products" {
				fields, dateField = 7, 6
			}
			for i, f := range files {
				out := filepath.Join(clean, filepath.Base(f))
				if bad := cleanCSV(t, f, out, fields, dateField); len(bad) > 0 {
					l.malformed[filepath.Base(f)] = bad
				}
				files[i] = out
			}
			reader = "read_csv(" + sqlList(files) + ", header = true, union_by_name = true, filename = true)"
		case "orders", "order_items":
			reader = "read_parquet(" + sqlList(files) + ", filename = true)"
		default:
			reader = "read_json(" + sqlList(files) + ", format = 'newline_delimited', filename = true)"
		}
		l.exec(t, fmt.Sprintf(`CREATE TABLE bronze.%s AS
			SELECT * EXCLUDE (filename),
				parse_filename(filename) AS _source_file,
				TIMESTAMP '2026-03-06 02:00:00' AS _ingested_at,
				'batch-1' AS _batch_id
			FROM %s`, src, reader))
	}
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		l.exec(t, "CREATE TABLE "+m.Table+" AS "+m.SQL)
		if good, ok := qualityRules[m.Table]; ok {
			// What the pipeline does with error-level rules: failing rows
			// move to <table>_quarantine.
			l.exec(t, fmt.Sprintf(`CREATE TABLE %[1]s_quarantine AS SELECT * FROM %[1]s WHERE (%[2]s) IS NOT TRUE;
				DELETE FROM %[1]s WHERE (%[2]s) IS NOT TRUE`, m.Table, good))
		}
	}
	return l
}

func (l *lake) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := l.db.Exec(q); err != nil {
		t.Fatalf("%v\nin:\n%s", err, q)
	}
}

// int returns a single integer from a query.
func (l *lake) int(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := l.db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%v\nin:\n%s", err, q)
	}
	return n.Int64
}

func (l *lake) float(t *testing.T, q string, args ...any) float64 {
	t.Helper()
	var v sql.NullFloat64
	if err := l.db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%v\nin:\n%s", err, q)
	}
	return v.Float64
}

// devLakeShared is the lake of the shared dev workspace, built by the first
// test that needs it and closed by TestMain; tests only read it.
var devLakeShared *lake

func devLake(t *testing.T) *lake {
	t.Helper()
	if devLakeShared == nil {
		devLakeShared = openLake(t, devDir)
	}
	return devLakeShared
}

// openRaw opens an empty in-memory DuckDB closed at the end of the test.
func openRaw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rawInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%v\nin:\n%s", err, q)
	}
	return n
}
