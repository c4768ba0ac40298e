package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/spf13/cobra"
)

// batchSize is how many rows the CLI holds at a time while printing: the
// query runs once and its rows are printed batch by batch.
const batchSize = 10_000

func newQueryCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   `query "SQL"`,
		Short: "Run SQL against the target (ctrl-c interrupts it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "table", "csv", "json":
			default:
				return fmt.Errorf("unknown --format %q: use table, csv or json", format)
			}
			ctx := cmd.Context()
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			// A SELECT runs on a read-only connection, so several readers can
			// share a target; anything else takes the writer lock.
			lh, err := s.openRead(ctx)
			if errors.Is(err, fs.ErrNotExist) {
				lh, err = s.open(ctx, "") // a new target: create it
			}
			if err != nil {
				return err
			}
			defer lh.Close()
			lh.SetPrincipal(s.principal())
			s.warnUndeployed(ctx, lh)
			sqlText := args[0]
			if !lh.IsSelect(ctx, sqlText) {
				lh.Close()
				if lh, err = s.openAs(ctx); err != nil {
					return err
				}
				defer lh.Close()
				if !lh.IsSelect(ctx, sqlText) {
					n, err := lh.Exec(ctx, sqlText)
					if err != nil {
						return err
					}
					fmt.Fprintf(os.Stderr, "ok, %d rows affected\n", n)
					return nil
				}
			}
			start := time.Now()
			n, err := printQuery(ctx, lh, sqlText, format, os.Stdout)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "%s in %s\n", pipeline.Plural(int(n), "row"), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	return cmd
}

// printQuery runs a SELECT once and streams its rows to w in the format,
// batch by batch, and returns the number of rows. The table's column
// widths come from the first batch.
func printQuery(ctx context.Context, lh *lakehouse.Lakehouse, sqlText, format string, w io.Writer) (int64, error) {
	var n int64
	var widths []int
	var right []bool
	cw := csv.NewWriter(w)
	first := true
	err := lh.Stream(ctx, sqlText, batchSize, func(page *lakehouse.Result) error {
		switch format {
		case "csv":
			if first {
				cw.Write(columnNames(page.Columns))
			}
			for _, r := range page.Rows {
				rec := make([]string, len(r))
				for i, v := range r {
					rec[i] = cellText(page.Columns[i], v, true)
				}
				cw.Write(rec)
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		case "json":
			if first {
				cols, _ := json.Marshal(page.Columns)
				fmt.Fprintf(w, "{\"columns\": %s,\n \"rows\": [", cols)
			}
			for i, r := range page.Rows {
				b, err := json.Marshal(jsonRow(page.Columns, r))
				if err != nil {
					return err
				}
				if n > 0 || i > 0 {
					io.WriteString(w, ",")
				}
				io.WriteString(w, "\n  ")
				w.Write(b)
			}
		default:
			if first {
				widths = columnWidths(page)
				right = make([]bool, len(page.Columns))
				for i, c := range page.Columns {
					right[i] = lakehouse.IsNumericType(c.Type)
				}
				printRow(w, columnNames(page.Columns), widths, right)
				seps := make([]string, len(widths))
				for i, wd := range widths {
					seps[i] = strings.Repeat("─", wd)
				}
				printRow(w, seps, widths, right)
			}
			for _, r := range page.Rows {
				rec := make([]string, len(r))
				for i, v := range r {
					rec[i] = cellText(page.Columns[i], v, false)
				}
				printRow(w, rec, widths, right)
			}
		}
		first = false
		n += int64(len(page.Rows))
		return nil
	})
	if err != nil {
		return n, err
	}
	if format == "json" {
		io.WriteString(w, "\n]}\n")
	}
	return n, nil
}

func columnNames(cols []lakehouse.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// jsonRow makes values JSON-safe: dates and times by their column's type
// (lakehouse.FormatTimeJSON: no Z on a TIMESTAMP, an offset on a TIMESTAMPTZ).
func jsonRow(cols []lakehouse.Column, r []any) []any {
	out := make([]any, len(r))
	for i, v := range r {
		if t, ok := v.(time.Time); ok {
			out[i] = lakehouse.FormatTimeJSON(cols[i].Type, t)
		} else {
			out[i] = v
		}
	}
	return out
}

const maxCellWidth = 40

func columnWidths(page *lakehouse.Result) []int {
	widths := make([]int, len(page.Columns))
	for i, c := range page.Columns {
		widths[i] = utf8.RuneCountInString(visible(c.Name))
	}
	for _, r := range page.Rows {
		for i, v := range r {
			widths[i] = max(widths[i], min(maxCellWidth, utf8.RuneCountInString(visible(cellText(page.Columns[i], v, false)))))
		}
	}
	return widths
}

// printRow pads cells to their widths, numbers to the right.
func printRow(w io.Writer, cells []string, widths []int, right []bool) {
	var b strings.Builder
	for i, c := range cells {
		// A value is shown, never acted on: ESC or CR in a row's data
		// must not clear or overwrite the reader's terminal.
		c = visible(c)
		if i > 0 {
			b.WriteString("  ")
		}
		if utf8.RuneCountInString(c) > widths[i] {
			c = string([]rune(c)[:widths[i]-1]) + "…"
		}
		pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
		switch {
		case right[i]:
			b.WriteString(pad + c)
		case i < len(cells)-1:
			b.WriteString(c + pad)
		default:
			b.WriteString(c)
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// formatFloat prints a float: to 10 significant digits for people, or
// exactly (the shortest round-trip form) for CSV.
func formatFloat(x float64, exact bool) string {
	if !exact {
		return strconv.FormatFloat(x, 'g', 10, 64)
	}
	if a := math.Abs(x); a != 0 && (a >= 1e15 || a < 1e-6) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// format prints one value for the table, or for CSV with floats at full
// precision (exact); cellText handles dates and times first.
func format(v any, exact bool) string {
	switch x := v.(type) {
	case nil:
		if exact {
			return "" // CSV's empty field is NULL
		}
		return "NULL"
	case time.Time: // without its column's type; see cellText
		return lakehouse.FormatTime("", x)
	case float64:
		return formatFloat(x, exact)
	case float32:
		return formatFloat(float64(x), exact)
	case string:
		return strings.ReplaceAll(x, "\n", "⏎")
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}
