package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/duckdb/duckdb-go/v2"
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
			g.cache = true
			s, err := loadProject(ctx, g)
			if err != nil {
				return err
			}
			// A SELECT runs on a read-only connection, so several readers can
			// share a target; anything else takes the writer lock. The target
			// is opened once, before authenticating, whose identity checks
			// read it (see session.reader).
			lh, rerr := s.openRead(ctx)
			defer func() { // whichever lakehouse lh is by then
				if lh != nil {
					lh.Close()
				}
			}()
			s.reader = lh
			if err := s.authenticate(ctx); err != nil {
				return err
			}
			switch {
			case errors.Is(rerr, fs.ErrNotExist):
				if lh, err = s.open(ctx, ""); err != nil { // a new target: create it
					return err
				}
			case rerr != nil:
				return rerr
			}
			s.reader = nil
			s.actAs(ctx, lh)
			sqlText := args[0]
			meter := lakehouse.StartMeter()
			start := meter.Start()
			isSel := lh.IsSelect(ctx, sqlText)
			if !isSel {
				lh.Close()
				if lh, err = s.openAs(ctx); err != nil {
					return err
				}
				if !lh.IsSelect(ctx, sqlText) {
					n, err := lh.Exec(ctx, sqlText)
					recordQuery(ctx, lh, sqlText, meter, n, err)
					if err != nil {
						return err
					}
					fmt.Fprintf(os.Stderr, "ok, %d rows affected\n", n)
					return nil
				}
			}
			n, err := printQuery(ctx, lh, sqlText, format, os.Stdout)
			recordQuery(ctx, lh, sqlText, meter, n, err)
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

// recordQuery puts a query the user ran in the target's query history
// (sys.query_history, or the read-only sessions' log the next writer
// imports) with how it ended: a history that cannot be written is said,
// never fatal.
func recordQuery(ctx context.Context, lh *lakehouse.Lakehouse, sqlText string, m lakehouse.Meter, rows int64, err error) {
	r := lakehouse.QueryRecord{SQL: sqlText, Started: m.Start(), Duration: time.Since(m.Start()), Rows: rows, Status: "ok", CPU: m.CPU()}
	if err != nil {
		r.Status, r.Error = "error", err.Error()
		if ctx.Err() != nil || errors.Is(err, lakehouse.ErrCanceled) {
			r.Status = "canceled"
		}
	}
	if rerr := lh.RecordQuery(context.WithoutCancel(ctx), r); rerr != nil {
		fmt.Fprintln(os.Stderr, "lakebench: the query history was not written:", rerr)
	}
}

// printQuery runs a SELECT once and streams its rows to w in the format,
// batch by batch (see resultPrinter), and returns the number of rows.
func printQuery(ctx context.Context, lh *lakehouse.Lakehouse, sqlText, format string, w io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := &resultPrinter{w: bw, format: format}
	err := lh.Stream(ctx, sqlText, batchSize, func(page *lakehouse.Result) error {
		p.batch(page)
		return bw.Flush() // each batch reaches the reader as it comes
	})
	if err != nil {
		return p.rows, err
	}
	p.end()
	return p.rows, bw.Flush()
}

// maxCellWidth caps a table column's width; longer values end in "…".
const maxCellWidth = 40

// resultPrinter prints a result as it streams, in one of three formats:
//   - table: columns padded to widths taken from the first batch (the
//     first 10,000 rows), at most maxCellWidth display columns for values
//     (a name keeps its width), numbers to the right. A later value wider
//     than its column is cut with "…": the table streams, so it never
//     waits for the whole result to size its columns. Widths count display
//     columns (a CJK character takes two), and what a terminal would act
//     on (ESC, CR, ...) is shown escaped;
//   - csv: RFC 4180 as encoding/csv writes it, values exact (NULL is the
//     empty field);
//   - json: one document, {"columns": [...], "rows": [[...], ...]}.
type resultPrinter struct {
	w      *bufio.Writer
	format string
	cols   []lakehouse.Column
	rows   int64
	buf    []byte // the line being written
	cell   []byte // table: the cell being written
	widths []int  // table: each column's width
	seen   []map[string]shownCell
	right  []bool // table: numbers align right
}

// batch prints a batch of rows; the first also prints the header.
func (p *resultPrinter) batch(page *lakehouse.Result) {
	if p.cols == nil {
		p.begin(page)
	}
	for _, r := range page.Rows {
		switch p.format {
		case "csv":
			p.csvRow(r)
		case "json":
			p.jsonRow(r)
		default:
			p.tableRow(r)
		}
		p.w.Write(p.buf)
		p.rows++
	}
}

func (p *resultPrinter) begin(page *lakehouse.Result) {
	p.cols = page.Columns
	names := make([]any, len(p.cols))
	for i, c := range p.cols {
		names[i] = c.Name
	}
	switch p.format {
	case "csv":
		p.buf = p.buf[:0]
		for i, n := range names {
			if i > 0 {
				p.buf = append(p.buf, ',')
			}
			p.buf = appendCSVField(p.buf, n.(string))
		}
		p.buf = append(p.buf, '\n')
	case "json":
		cols, _ := json.Marshal(p.cols)
		p.buf = append(append(append(p.buf[:0], `{"columns": `...), cols...), ",\n \"rows\": ["...)
	default:
		p.widths = make([]int, len(p.cols))
		p.right = make([]bool, len(p.cols))
		for i, c := range p.cols {
			p.widths[i] = max(1, textWidth([]byte(visible(c.Name))))
			p.right[i] = lakehouse.IsNumericType(c.Type)
		}
		var cell []byte
		for _, r := range page.Rows {
			for i, v := range r {
				cell = appendCell(cell[:0], p.cols[i], v, false)
				p.widths[i] = max(p.widths[i], min(maxCellWidth, textWidth(cell)))
			}
		}
		p.tableRow(names)
		p.w.Write(p.buf)
		seps := make([]any, len(p.widths))
		for i, w := range p.widths {
			seps[i] = strings.Repeat("─", w)
		}
		p.tableRow(seps)
	}
	p.w.Write(p.buf)
}

func (p *resultPrinter) end() {
	if p.format == "json" {
		p.w.WriteString("\n]}\n")
	}
}

// csvRow puts a row as a CSV record in p.buf.
func (p *resultPrinter) csvRow(r []any) {
	b := p.buf[:0]
	for i, v := range r {
		if i > 0 {
			b = append(b, ',')
		}
		switch x := v.(type) {
		case string:
			b = appendCSVField(b, x)
		case int64, int32, int16, int8, int, uint64, uint32, uint16, uint8, float64, float32, bool, duckdb.Decimal, nil:
			b = appendCell(b, p.cols[i], x, true) // never quoted
		default:
			b = appendCSVField(b, string(appendCell(nil, p.cols[i], x, true)))
		}
	}
	p.buf = append(b, '\n')
}

// jsonRow puts a row as a JSON array in p.buf, after the one before.
func (p *resultPrinter) jsonRow(r []any) {
	b := p.buf[:0]
	if p.rows > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n  ["...)
	for i, v := range r {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, p.cols[i], v)
	}
	p.buf = append(b, ']')
}

// tableRow puts a row as a table line in p.buf: each cell padded to its
// column's width, cut with "…" past it; numbers to the right, and no
// padding after the last cell.
func (p *resultPrinter) tableRow(r []any) {
	b := p.buf[:0]
	for i, v := range r {
		if i > 0 {
			b = append(b, "  "...)
		}
		p.cell = appendCell(p.cell[:0], p.cols[i], v, false)
		// The cell is either plain ASCII (cell) or shown otherwise (text).
		cell, text, width, limit := p.cell, "", len(p.cell), p.widths[i]
		switch {
		case !plainASCII(cell):
			text, width = p.shown(i, cell)
			cell = nil
		case width > limit:
			cell = append(cell[:limit-1], "…"...)
			width = limit
		}
		switch pad := limit - width; {
		case p.right[i]:
			b = append(append(appendSpaces(b, pad), cell...), text...)
		case i < len(r)-1:
			b = appendSpaces(append(append(b, cell...), text...), pad)
		default:
			b = append(append(b, cell...), text...)
		}
	}
	p.buf = append(b, '\n')
}

// shown is how a table cell of column i that is not plain ASCII is shown,
// and its width. A value is shown, never acted on: ESC or CR in a row's
// data must not clear or overwrite the reader's terminal (see visible).
// Display widths take grapheme clusters, so the answers are kept for the
// values a column repeats (up to maxShown per column).
func (p *resultPrinter) shown(i int, cell []byte) (string, int) {
	if p.seen == nil {
		p.seen = make([]map[string]shownCell, len(p.cols))
	}
	if c, ok := p.seen[i][string(cell)]; ok {
		return c.text, c.width
	}
	raw := string(cell)
	s := visible(raw)
	width := ansi.StringWidth(s)
	if width > p.widths[i] {
		s = ansi.Truncate(s, p.widths[i], "…")
		width = ansi.StringWidth(s)
	}
	if p.seen[i] == nil {
		p.seen[i] = map[string]shownCell{}
	}
	if len(p.seen[i]) < maxShown {
		p.seen[i][raw] = shownCell{s, width}
	}
	return s, width
}

// shownCell is a cell as shown, with its width.
type shownCell struct {
	text  string
	width int
}

// maxShown bounds how many values a column's table keeps shown cells of.
const maxShown = 4096

// appendSpaces appends n spaces.
func appendSpaces(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

// plainASCII reports whether b is printable ASCII, one column a byte.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// textWidth is how many columns a cell's text takes on a terminal, shown
// escaped (see visible).
func textWidth(b []byte) int {
	if plainASCII(b) {
		return len(b)
	}
	return ansi.StringWidth(visible(string(b)))
}
