package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/spf13/cobra"
)

// pageSize is how many rows the CLI fetches per page while printing.
const pageSize = 10_000

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
			if err != nil {
				return err
			}
			defer lh.Close()
			sqlText := args[0]
			if !lh.IsSelect(ctx, sqlText) {
				lh.Close()
				if lh, err = s.open(ctx, ""); err != nil {
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
			fmt.Fprintf(os.Stderr, "%d rows in %s\n", n, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	return cmd
}

// printQuery streams a SELECT's pages to w in the format and returns the
// number of rows.
func printQuery(ctx context.Context, lh *lakehouse.Lakehouse, sqlText, format string, w io.Writer) (int64, error) {
	var n int64
	var widths []int
	cw := csv.NewWriter(w)
	first := true
	err := lh.Stream(ctx, sqlText, pageSize, func(page *lakehouse.Result) error {
		switch format {
		case "csv":
			if first {
				cw.Write(columnNames(page.Columns))
			}
			for _, r := range page.Rows {
				rec := make([]string, len(r))
				for i, v := range r {
					rec[i] = formatValue(v)
				}
				cw.Write(rec)
			}
			cw.Flush()
			return cw.Error()
		case "json":
			if first {
				cols, _ := json.Marshal(page.Columns)
				fmt.Fprintf(w, "{\"columns\": %s,\n \"rows\": [", cols)
			}
			for i, r := range page.Rows {
				b, err := json.Marshal(jsonRow(r))
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
				printRow(w, columnNames(page.Columns), widths)
				seps := make([]string, len(widths))
				for i, wd := range widths {
					seps[i] = strings.Repeat("─", wd)
				}
				printRow(w, seps, widths)
			}
			for _, r := range page.Rows {
				rec := make([]string, len(r))
				for i, v := range r {
					rec[i] = formatValue(v)
				}
				printRow(w, rec, widths)
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

// jsonRow makes values JSON-safe (times as RFC 3339).
func jsonRow(r []any) []any {
	out := make([]any, len(r))
	for i, v := range r {
		if t, ok := v.(time.Time); ok {
			out[i] = t.Format(time.RFC3339Nano)
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
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	for _, r := range page.Rows {
		for i, v := range r {
			widths[i] = max(widths[i], min(maxCellWidth, utf8.RuneCountInString(formatValue(v))))
		}
	}
	return widths
}

func printRow(w io.Writer, cells []string, widths []int) {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteString("  ")
		}
		if utf8.RuneCountInString(c) > widths[i] {
			c = string([]rune(c)[:widths[i]-1]) + "…"
		}
		b.WriteString(c)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// formatValue prints one value for table and CSV output.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05")
	case float64:
		return fmt.Sprintf("%.6g", x)
	case float32:
		return fmt.Sprintf("%.6g", x)
	case string:
		return strings.ReplaceAll(x, "\n", "⏎")
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}
