package sampledata

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// Sources lists the landing sources in a fixed order.
var Sources = []string{"customers", "products", "orders", "order_items", "events", "tickets"}

// sourceExt is the file extension of each source.
var sourceExt = map[string]string{
	"customers": "csv", "products": "csv",
	"orders": "parquet", "order_items": "parquet",
	"events": "json", "tickets": "json",
}

// StateFile is the path, under the workspace, of the small JSON file that
// records what Generate and Next have written.
const StateFile = "landing/_sample.json"

// Report says what Generate or Next wrote.
type Report struct {
	// Scale is the scale of the data.
	Scale Scale
	// Days lists the batch days written, in order.
	Days []int
	// Files lists the files written, as paths joined to the workspace
	// directory, by day then in the order of Sources.
	Files []string
	// Rows counts data lines or rows per source (CSV headers excluded,
	// malformed lines and duplicate rows included).
	Rows map[string]int64
}

// state is the content of StateFile.
type state struct {
	Scale   Scale  `json:"scale"`
	Seed    uint64 `json:"seed"`
	Days    int    `json:"days"`
	Horizon int    `json:"horizon"`
	Start   string `json:"start"`
}

// fileName is the landing file name of a source on day d.
func fileName(source string, d int, ext string) string {
	return source + "_" + DayDate(d).Format(time.DateOnly) + "." + ext
}

// Generate writes the landing files of days 1..opts.Days under
// dir/landing/<source>/ and the state file that Next reads. Sample files
// already in those folders (names shaped <source>_<date>.<ext>) are removed
// first, so the landing zone holds exactly one scale and seed.
func Generate(ctx context.Context, dir string, opts Options) (Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Report{}, err
	}
	if err := prepareLanding(dir); err != nil {
		return Report{}, err
	}
	w := newWorld(opts.Scale, opts.Seed)
	days := make([]int, opts.Days)
	for i := range days {
		days[i] = i + 1
	}
	rep, err := w.writeDays(ctx, dir, days)
	if err != nil {
		return rep, err
	}
	return rep, writeState(dir, state{Scale: opts.Scale, Seed: opts.Seed, Days: opts.Days})
}

// Next writes the batch of the day after the last one recorded in the state
// file that Generate wrote, and records it. It fails once all Horizon days
// have been written.
func Next(ctx context.Context, dir string) (Report, error) {
	st, err := readState(dir)
	if err != nil {
		return Report{}, err
	}
	if st.Days >= Horizon {
		return Report{Scale: st.Scale}, fmt.Errorf("sampledata: horizon exhausted: all %d daily batches are already in %s; run generate to start over", Horizon, filepath.Join(dir, "landing"))
	}
	w := newWorld(st.Scale, st.Seed)
	rep, err := w.writeDays(ctx, dir, []int{st.Days + 1})
	if err != nil {
		return rep, err
	}
	st.Days++
	return rep, writeState(dir, st)
}

func prepareLanding(dir string) error {
	for _, s := range Sources {
		folder := filepath.Join(dir, "landing", s)
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return fmt.Errorf("sampledata: %w", err)
		}
		old, err := filepath.Glob(filepath.Join(folder, s+"_*."+sourceExt[s]))
		if err != nil {
			return fmt.Errorf("sampledata: %w", err)
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("sampledata: %w", err)
			}
		}
	}
	return nil
}

// HasState reports whether dir holds generated sample data (its state
// file), so that Next can drop the following day.
func HasState(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(StateFile)))
	return err == nil
}

func readState(dir string) (state, error) {
	path := filepath.Join(dir, filepath.FromSlash(StateFile))
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return state{}, fmt.Errorf("sampledata: no sample state at %s: run generate first", path)
	}
	if err != nil {
		return state{}, fmt.Errorf("sampledata: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, fmt.Errorf("sampledata: %s: %w", path, err)
	}
	if _, err := scaleParams(st.Scale); err != nil {
		return state{}, fmt.Errorf("sampledata: %s: %w", path, err)
	}
	if st.Horizon != Horizon || st.Start != StartDate.Format(time.DateOnly) || st.Days < 1 || st.Days > Horizon || st.Seed == 0 {
		return state{}, fmt.Errorf("sampledata: %s was written by another generator version (horizon %d, start %s, days %d): run generate again", path, st.Horizon, st.Start, st.Days)
	}
	return st, nil
}

func writeState(dir string, st state) error {
	st.Horizon = Horizon
	st.Start = StartDate.Format(time.DateOnly)
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("sampledata: %w", err)
	}
	path := filepath.Join(dir, filepath.FromSlash(StateFile))
	if err := writeAtomic(path, append(b, '\n')); err != nil {
		return err
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	f, err := createTemp(path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sampledata: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sampledata: %w", err)
	}
	return nil
}

// createTemp creates the file path is written to before being renamed
// into place: a new file (O_EXCL) with a random name, so a link planted at
// a name known in advance is never written through; the name matches no
// landing glob.
func createTemp(path string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("sampledata: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("sampledata: %w", err)
	}
	return f, nil
}

type dayResult struct {
	files []string
	rows  map[string]int64
	err   error
}

// writeDays writes the batches of days, several at a time.
func (w *world) writeDays(ctx context.Context, dir string, days []int) (Report, error) {
	facts := w.incidents()
	results := make([]dayResult, len(days))
	jobs := make(chan int)
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(days))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := ctx.Err(); err != nil {
					results[i].err = fmt.Errorf("sampledata: %w", err)
					continue
				}
				results[i] = w.writeDay(ctx, dir, days[i], &facts)
			}
		}()
	}
	for i := range days {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	rep := Report{Scale: w.scale, Rows: make(map[string]int64, len(Sources))}
	for i, r := range results {
		if r.err != nil {
			return rep, r.err
		}
		rep.Days = append(rep.Days, days[i])
		rep.Files = append(rep.Files, r.files...)
		for s, n := range r.rows {
			rep.Rows[s] += n
		}
	}
	return rep, nil
}

// writeDay writes every file of batch d.
func (w *world) writeDay(ctx context.Context, dir string, d int, facts *IncidentFacts) dayResult {
	res := dayResult{rows: make(map[string]int64, len(Sources))}
	a := w.simulate(d)
	path := func(source string) string {
		return filepath.Join(dir, "landing", source, fileName(source, d, sourceExt[source]))
	}
	done := func(source string, n int64, err error) bool {
		if err != nil {
			res.err = err
			return false
		}
		if n >= 0 {
			res.files = append(res.files, path(source))
			res.rows[source] = n
		}
		return ctx.Err() == nil
	}
	n, err := w.writeCustomers(path("customers"), d, facts)
	if !done("customers", n, err) {
		return res.withCtx(ctx)
	}
	n, err = w.writeProducts(path("products"), d)
	if !done("products", n, err) {
		return res.withCtx(ctx)
	}
	orders, ok := w.ordersBatch(d, a, facts)
	if ok {
		n, err = w.writeOrders(path("orders"), orders)
		if !done("orders", n, err) {
			return res.withCtx(ctx)
		}
		n, err = w.writeItems(path("order_items"), orders)
		if !done("order_items", n, err) {
			return res.withCtx(ctx)
		}
	}
	n, err = w.writeEvents(path("events"), a)
	if !done("events", n, err) {
		return res.withCtx(ctx)
	}
	n, err = w.writeTickets(path("tickets"), a)
	done("tickets", n, err)
	return res.withCtx(ctx)
}

func (r dayResult) withCtx(ctx context.Context) dayResult {
	if r.err == nil && ctx.Err() != nil {
		r.err = fmt.Errorf("sampledata: %w", ctx.Err())
	}
	return r
}

// textFile is a buffered landing file written under a temporary name.
type textFile struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	buf  []byte
}

func createText(path string) (*textFile, error) {
	f, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	return &textFile{path: path, f: f, bw: bufio.NewWriterSize(f, 1<<20), buf: make([]byte, 0, 512)}, nil
}

// line writes t.buf as one line and resets it.
func (t *textFile) line() {
	t.buf = append(t.buf, '\n')
	t.bw.Write(t.buf) // errors surface at Flush
	t.buf = t.buf[:0]
}

func (t *textFile) close() error {
	err := t.bw.Flush()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(t.f.Name(), t.path)
	}
	if err != nil {
		os.Remove(t.f.Name())
		return fmt.Errorf("sampledata: %s: %w", t.path, err)
	}
	return nil
}

// appendDate appends YYYY-MM-DD for a day offset from StartDate.
func appendDate(b []byte, off int) []byte {
	return StartDate.AddDate(0, 0, off).AppendFormat(b, time.DateOnly)
}

// appendTS appends an ISO 8601 timestamp without zone (UTC), as
// 2026-01-05T13:04:05.
func appendTS(b []byte, unix int64) []byte {
	days := unix / 86400
	secs := unix % 86400
	y, m, d := time.Unix(days*86400, 0).UTC().Date()
	b = appendPad(b, y, 4)
	b = append(b, '-')
	b = appendPad(b, int(m), 2)
	b = append(b, '-')
	b = appendPad(b, d, 2)
	b = append(b, 'T')
	b = appendPad(b, int(secs/3600), 2)
	b = append(b, ':')
	b = appendPad(b, int(secs/60%60), 2)
	b = append(b, ':')
	return appendPad(b, int(secs%60), 2)
}

func appendPad(b []byte, v, width int) []byte {
	var tmp [8]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func appendMoney(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'f', 2, 64) }

const customersHeader = "customer_id,name,email,region,segment,signup_date,birth_year,marketing_opt_in"

func (w *world) appendCustomer(b []byte, i int, emailDomain string) []byte {
	c := &w.cust[i]
	id := int64(i) + 1
	first, last := firstNames[c.first], lastNames[c.last]
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ',')
	b = append(b, first...)
	b = append(b, ' ')
	b = append(b, last...)
	b = append(b, ',')
	b = append(b, strings.ToLower(first)...)
	b = append(b, '.')
	b = append(b, strings.ToLower(last)...)
	b = append(b, '.')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '@')
	b = append(b, emailDomain...)
	b = append(b, ',')
	b = append(b, regions[c.region]...)
	b = append(b, ',')
	b = append(b, segments[c.segment]...)
	b = append(b, ',')
	b = appendDate(b, int(c.signupOff))
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(c.birthYear), 10)
	b = append(b, ',')
	return strconv.AppendBool(b, c.optIn)
}

// updatedCustomers picks the existing customers whose email changes on day d.
func (w *world) updatedCustomers(d int) []int {
	if d == 1 {
		return nil
	}
	r := w.rng(d, streamUpdates)
	out := make([]int, 0, w.updates)
	seen := make(map[int]bool, w.updates)
	for len(out) < w.updates {
		i := r.IntN(w.firstID[d])
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

var malformedLines = map[string]string{
	"too_many_columns":   "%d,Extra Column,extra.column@example.com,north,consumer,2026-01-16,1980,true,UNEXPECTED",
	"too_few_columns":    "%d,Short Row,short.row@example.com,south",
	"bad_date":           "%d,Bad Date,bad.date@example.com,east,consumer,not-a-date,1975,false",
	"invalid_utf8":       "%d,Bad \xff\xfe Bytes,bad.bytes@example.com,west,consumer,2026-01-16,1990,true",
	"unterminated_quote": "%d,\"Unterminated Quote,quote@example.com,central,consumer,2026-01-16,1985,false",
}

// writeCustomers writes day 1's customer base or a later day's signups and
// email updates; the file of MalformedCustomersDay also gets the bad lines.
func (w *world) writeCustomers(path string, d int, facts *IncidentFacts) (int64, error) {
	t, err := createText(path)
	if err != nil {
		return 0, err
	}
	t.buf = append(t.buf, customersHeader...)
	t.line()
	var bad []MalformedLine
	if d == MalformedCustomersDay {
		bad = facts.MalformedLines
	}
	var rows int64
	lineNo := 1
	emit := func(i int, domain string) {
		t.buf = w.appendCustomer(t.buf, i, domain)
		t.line()
		lineNo++
		rows++
		for len(bad) > 0 && bad[0].Line == lineNo+1 {
			fmt.Fprintf(t.bw, malformedLines[bad[0].Kind]+"\n", bad[0].CustomerID)
			lineNo++
			rows++
			bad = bad[1:]
		}
	}
	for i := w.firstID[d]; i < w.firstID[d+1]; i++ {
		emit(i, "example.com")
	}
	for _, i := range w.updatedCustomers(d) {
		emit(i, "mail.example.org")
	}
	if len(bad) > 0 {
		t.close()
		return 0, fmt.Errorf("sampledata: %s: %d malformed lines not placed", path, len(bad))
	}
	return rows, t.close()
}

const productsHeader = "product_id,sku,name,category,brand,unit_price,launched_date"

// writeProducts writes the catalog on day 1 and launches on newProductDays;
// other days have no products file (it returns -1).
func (w *world) writeProducts(path string, d int) (int64, error) {
	var rows int64
	for i := range w.prod {
		if int(w.prod[i].launchDay) == d {
			rows++
		}
	}
	if rows == 0 {
		return -1, nil
	}
	t, err := createText(path)
	if err != nil {
		return 0, err
	}
	t.buf = append(t.buf, productsHeader...)
	t.line()
	for i := range w.prod {
		p := &w.prod[i]
		if int(p.launchDay) != d {
			continue
		}
		id := int64(i) + 1
		cat := categories[p.category]
		b := strconv.AppendInt(t.buf, id, 10)
		b = append(b, ",SKU-"...)
		b = appendPad(b, i+1, 6)
		b = append(b, ',')
		b = append(b, brands[p.brand]...)
		b = append(b, ' ')
		b = append(b, strings.ToUpper(cat[:1])...)
		b = append(b, cat[1:]...)
		b = append(b, ' ')
		b = append(b, productNouns[p.noun]...)
		b = append(b, ',')
		b = append(b, cat...)
		b = append(b, ',')
		b = append(b, brands[p.brand]...)
		b = append(b, ',')
		b = appendMoney(b, p.price)
		b = append(b, ',')
		launched := d - 1
		if d == 1 {
			launched = -30 - (i*37)%700
		}
		t.buf = appendDate(b, launched)
		t.line()
	}
	return rows, t.close()
}

// OrdersColumns and OrderItemsColumns are the Parquet schemas of the orders
// and order_items landing files.
var (
	OrdersColumns = []lakehouse.Column{
		{Name: "order_id", Type: "BIGINT"},
		{Name: "customer_id", Type: "BIGINT"},
		{Name: "order_ts", Type: "TIMESTAMP"},
		{Name: "channel", Type: "VARCHAR"},
		{Name: "payment_method", Type: "VARCHAR"},
		{Name: "discount_pct", Type: "DOUBLE"},
		{Name: "status", Type: "VARCHAR"},
		{Name: "shipping_fee", Type: "DOUBLE"},
	}
	OrderItemsColumns = []lakehouse.Column{
		{Name: "order_item_id", Type: "BIGINT"},
		{Name: "order_id", Type: "BIGINT"},
		{Name: "product_id", Type: "BIGINT"},
		{Name: "quantity", Type: "INTEGER"},
		{Name: "unit_price", Type: "DOUBLE"},
	}
)

func writeParquet(path string, cols []lakehouse.Column, rows func(pw *lakehouse.ParquetWriter) error) (int64, error) {
	// DuckDB writes the Parquet file over the empty one made here (a
	// planted link could only replace it in the moment between).
	f, err := createTemp(path)
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	f.Close()
	pw, err := lakehouse.CreateParquet(tmp, cols)
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("sampledata: %w", err)
	}
	if err := rows(pw); err != nil {
		pw.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("sampledata: %w", err)
	}
	n := pw.Rows()
	if err := pw.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("sampledata: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("sampledata: %w", err)
	}
	return n, nil
}

func (w *world) writeOrders(path string, orders []order) (int64, error) {
	return writeParquet(path, OrdersColumns, func(pw *lakehouse.ParquetWriter) error {
		for i := range orders {
			o := &orders[i]
			var cust any = int64(o.cust) + 1
			if o.nullCust {
				cust = nil
			}
			err := pw.Append(o.id, cust, time.Unix(o.ts, 0).UTC(), channels[o.channel],
				payments[o.payment], o.discount, statuses[o.status], o.shipping)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *world) writeItems(path string, orders []order) (int64, error) {
	return writeParquet(path, OrderItemsColumns, func(pw *lakehouse.ParquetWriter) error {
		for i := range orders {
			o := &orders[i]
			for j, it := range o.items {
				err := pw.Append(o.id*10+int64(j)+1, o.id, int64(it.product)+1, it.qty, it.price)
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (w *world) writeEvents(path string, a *activity) (int64, error) {
	if len(a.events) == 0 {
		return -1, nil
	}
	t, err := createText(path)
	if err != nil {
		return 0, err
	}
	base := int64(a.day) * 10_000_000
	for i := range a.events {
		e := &a.events[i]
		b := append(t.buf, `{"event_id":`...)
		b = strconv.AppendInt(b, base+int64(i)+1, 10)
		b = append(b, `,"customer_id":`...)
		if e.cust < 0 {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, int64(e.cust)+1, 10)
		}
		b = append(b, `,"session_id":"S`...)
		b = strconv.AppendInt(b, int64(a.day), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(e.session), 10)
		b = append(b, `","ts":"`...)
		b = appendTS(b, e.ts)
		b = append(b, `","type":"`...)
		b = append(b, eventTypes[e.typ]...)
		b = append(b, `","page":"`...)
		switch e.typ {
		case evView:
			b = append(b, "/product/"...)
			b = strconv.AppendInt(b, int64(e.page)+1, 10)
		case evSearch:
			b = append(b, "/search?q="...)
			b = append(b, categories[e.page]...)
		case evCart:
			b = append(b, "/cart"...)
		case evCheckout:
			b = append(b, "/checkout"...)
		default:
			b = append(b, '/')
		}
		b = append(b, `","device":"`...)
		b = append(b, devices[e.device]...)
		t.buf = append(b, `"}`...)
		t.line()
	}
	return int64(len(a.events)), t.close()
}

func (w *world) writeTickets(path string, a *activity) (int64, error) {
	if len(a.tickets) == 0 {
		return -1, nil
	}
	t, err := createText(path)
	if err != nil {
		return 0, err
	}
	base := int64(a.day) * 1_000_000
	for i := range a.tickets {
		k := &a.tickets[i]
		b := append(t.buf, `{"ticket_id":`...)
		b = strconv.AppendInt(b, base+int64(i)+1, 10)
		b = append(b, `,"customer_id":`...)
		b = strconv.AppendInt(b, int64(k.cust)+1, 10)
		b = append(b, `,"opened_ts":"`...)
		b = appendTS(b, k.ts)
		b = append(b, `","category":"`...)
		b = append(b, ticketKinds[k.kind]...)
		b = append(b, `","priority":"`...)
		b = append(b, priorities[k.priority]...)
		b = append(b, `","channel":"`...)
		b = append(b, ticketChannels[k.channel]...)
		b = append(b, `","satisfaction":`...)
		if k.sat == 0 {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, int64(k.sat), 10)
		}
		b = append(b, `,"resolution_hours":`...)
		t.buf = strconv.AppendFloat(b, k.hours, 'f', 1, 64)
		t.buf = append(t.buf, '}')
		t.line()
	}
	return int64(len(a.tickets)), t.close()
}
