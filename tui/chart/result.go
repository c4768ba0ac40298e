package chart

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/NimbleMarkets/ntcharts/sparkline"
	"github.com/lakebench/lakebench/lakehouse"
)

// Kind is a kind of chart of a query result.
type Kind int

// The kinds of result charts. KindNone is a Spec that draws nothing (its
// Reason says why).
const (
	KindNone       Kind = iota
	KindBar             // a horizontal bar per category of X, as long as Y (summed per category)
	KindLine            // Y against a number X (or the row number), joined in X order
	KindTimeSeries      // Y against a DATE or TIMESTAMP X, joined in time order, dates on the axis
	KindScatter         // a dot per row at (X, Y)
	KindSparkline       // Y in row order (or X order) as columns, with its min, max and last
)

// Kinds are the kinds a Picker offers, in its order.
var Kinds = []Kind{KindBar, KindLine, KindTimeSeries, KindScatter, KindSparkline}

// String names the kind as the Picker shows it.
func (k Kind) String() string {
	switch k {
	case KindBar:
		return "bar"
	case KindLine:
		return "line"
	case KindTimeSeries:
		return "time series"
	case KindScatter:
		return "scatter"
	case KindSparkline:
		return "sparkline"
	}
	return "none"
}

// RowNumber as Spec.X plots against the row's number (1, 2, …): a line or
// sparkline of one column.
const RowNumber = -1

// Spec says how to chart a result: the kind and the columns (indices into
// the result's columns) on each axis.
type Spec struct {
	Kind Kind
	// X is the column on the x axis (the categories of a bar chart), or
	// RowNumber.
	X int
	// Y is the column of values: a number column.
	Y int
	// Reason says why Auto found nothing to plot (Kind is KindNone).
	Reason string
	// split is 1 + the column SplitBy set, 0 for none (so a Spec written
	// without it draws one line).
	split int
}

// SplitBy returns the spec drawing a line (or dots) per value of column c,
// a text column: a time series of revenue per category. Bar charts and
// sparklines ignore it.
func (s Spec) SplitBy(c int) Spec {
	s.split = c + 1
	return s
}

// Unsplit returns the spec drawing one line.
func (s Spec) Unsplit() Spec {
	s.split = 0
	return s
}

// Split is the column SplitBy set, and whether there is one.
func (s Spec) Split() (column int, ok bool) { return s.split - 1, s.split > 0 }

// columnClass is what a column can be on an axis.
type columnClass int

const (
	classOther columnClass = iota // lists, structs, maps, blobs
	classText                     // VARCHAR, ENUM, BOOLEAN, UUID, INTERVAL: categories
	classNumber
	classTime // DATE, TIME, TIMESTAMP[TZ]
)

func classOf(c lakehouse.Column) columnClass {
	t := strings.ToUpper(strings.TrimSpace(c.Type))
	switch {
	case lakehouse.IsNumericType(t):
		return classNumber
	case t == "DATE" || strings.HasPrefix(t, "TIME") || t == "DATETIME":
		return classTime
	case t == "VARCHAR" || t == "TEXT" || t == "STRING" || strings.HasPrefix(t, "ENUM") || t == "BOOLEAN" ||
		t == "UUID" || t == "INTERVAL" || strings.HasPrefix(t, "VARCHAR("):
		return classText
	}
	return classOther
}

// Auto chooses a chart for a result: a DATE or TIMESTAMP column and a
// number make a time series (a line per value of the first text column
// when it holds two to six values); a text column and a number a bar chart; two
// numbers a line when the first only grows from row to row (an ordered
// key), else a scatter; one number alone a sparkline. The first column of
// each class is taken, and Y is the first number column that is not X.
// When nothing can be plotted, Kind is KindNone and Reason says why.
func Auto(cols []lakehouse.Column, rows [][]any) Spec {
	first := func(class columnClass, not int) int {
		for i, c := range cols {
			if i != not && classOf(c) == class {
				return i
			}
		}
		return -2
	}
	if len(cols) == 0 {
		return Spec{Reason: "the result has no columns: run a query that returns some"}
	}
	y := first(classNumber, -2)
	if y < 0 {
		return Spec{Reason: "nothing to plot: a chart needs a number column (INTEGER, DOUBLE, DECIMAL, …) and this result has none"}
	}
	// Over dates or categories the y is a measure: the first number
	// column that is not a key (id, customer_id), when there is one.
	measure := y
	for i, c := range cols {
		if classOf(c) == classNumber && !keyName(c.Name) {
			measure = i
			break
		}
	}
	if x := first(classTime, -2); x >= 0 {
		spec := Spec{Kind: KindTimeSeries, X: x, Y: measure}
		// A few categories beside the dates: a line each.
		if c := first(classText, -2); c >= 0 {
			if n := distinct(rows, c, maxSeries+1); n >= 2 && n <= maxSeries {
				spec = spec.SplitBy(c)
			}
		}
		return spec
	}
	if x := first(classText, -2); x >= 0 {
		return Spec{Kind: KindBar, X: x, Y: measure}
	}
	if y2 := first(classNumber, y); y2 >= 0 {
		if increasing(rows, y) {
			return Spec{Kind: KindLine, X: y, Y: y2}
		}
		return Spec{Kind: KindScatter, X: y, Y: y2}
	}
	return Spec{Kind: KindSparkline, X: RowNumber, Y: y}
}

// keyName reports whether a column's name says it identifies rows (id,
// product_id, order_key, customerID): summed or plotted, its values mean
// nothing.
func keyName(name string) bool {
	n := strings.ToLower(name)
	if n == "id" || n == "key" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "_key") || strings.HasSuffix(n, " id") {
		return true
	}
	// camelCase: customerId, customerID (not PAID)
	stem, ok := strings.CutSuffix(name, "Id")
	if !ok {
		stem, ok = strings.CutSuffix(name, "ID")
	}
	return ok && stem != "" && unicode.IsLower(rune(stem[len(stem)-1]))
}

// distinct counts the values of column c, stopping at limit.
func distinct(rows [][]any, c, limit int) int {
	seen := map[string]bool{}
	for _, r := range rows {
		if c < len(r) && r[c] != nil {
			seen[categoryLabel(r[c])] = true
			if len(seen) >= limit {
				break
			}
		}
	}
	return len(seen)
}

// increasing reports whether column c grows strictly down at least three
// rows (NULLs aside).
func increasing(rows [][]any, c int) bool {
	prev, n := math.Inf(-1), 0
	for _, r := range rows {
		if c >= len(r) {
			return false
		}
		v, st := toFloat(r[c])
		if st == valueNull {
			continue
		}
		if st != valueOK || v <= prev {
			return false
		}
		prev, n = v, n+1
	}
	return n >= 3
}

// fitsX reports why column x (or RowNumber) cannot be the x axis of a kind,
// or "" when it can.
func fitsX(k Kind, cols []lakehouse.Column, x int) string {
	if x == RowNumber {
		switch k {
		case KindLine, KindSparkline, KindBar:
			return ""
		}
		return fmt.Sprintf("a %s needs a column on x, not the row number", k)
	}
	if x < 0 || x >= len(cols) {
		return fmt.Sprintf("x is column %d but the result has %d columns", x+1, len(cols))
	}
	c := cols[x]
	switch cl := classOf(c); k {
	case KindTimeSeries:
		if cl != classTime {
			return fmt.Sprintf("%s is %s: a time series needs a DATE or TIMESTAMP column on x", c.Name, c.Type)
		}
	case KindLine, KindScatter, KindSparkline:
		if cl != classNumber && cl != classTime {
			return fmt.Sprintf("%s is %s: a %s needs a number or a date on x (a bar chart takes text)", c.Name, c.Type, k)
		}
	}
	return ""
}

// fitsSplit reports why column c cannot split the rows into series, or "".
func fitsSplit(cols []lakehouse.Column, c int) string {
	if c < 0 || c >= len(cols) {
		return fmt.Sprintf("the split column is column %d but the result has %d columns", c+1, len(cols))
	}
	if classOf(cols[c]) != classText {
		return fmt.Sprintf("%s is %s: lines are split by a text column", cols[c].Name, cols[c].Type)
	}
	return ""
}

// fitsY reports why column y cannot hold the values, or "".
func fitsY(cols []lakehouse.Column, y int) string {
	if y < 0 || y >= len(cols) {
		return fmt.Sprintf("y is column %d but the result has %d columns", y+1, len(cols))
	}
	if classOf(cols[y]) != classNumber {
		return fmt.Sprintf("%s is %s: the values on y must be numbers", cols[y].Name, cols[y].Type)
	}
	return ""
}

// Draw draws a result as spec says in exactly w x h cells, plain (for
// tests and text output); DrawWith takes the TUI's styles.
func Draw(spec Spec, cols []lakehouse.Column, rows [][]any, w, h int) string {
	return DrawWith(DefaultStyles(), spec, cols, rows, w, h)
}

// DrawWith draws a result as spec says in exactly w x h cells. Values may
// be any a lakehouse result holds: integers, floats, DECIMALs (exact or
// not), HUGEINTs, times, text. Rows whose x or y is NULL, NaN or infinite
// are skipped and counted in the caption, the last line, which also names
// the axes and says when points were thinned (min/max per column) or
// categories grouped (top N and "others"). A spec that does not fit the
// columns, or a result with nothing to plot, draws the reason instead.
func DrawWith(st Styles, spec Spec, cols []lakehouse.Column, rows [][]any, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	say := func(msg string) string {
		lines := wrap(msg, w)
		for i, l := range lines {
			lines[i] = st.Muted.Render(l)
		}
		return block(lines, w, h)
	}
	if spec.Kind == KindNone {
		if spec.Reason != "" {
			return say(spec.Reason)
		}
		return say("no chart chosen")
	}
	if why := fitsX(spec.Kind, cols, spec.X); why != "" {
		return say(why)
	}
	if why := fitsY(cols, spec.Y); why != "" {
		return say(why)
	}
	if c, ok := spec.Split(); ok {
		switch spec.Kind {
		case KindLine, KindTimeSeries, KindScatter:
			if why := fitsSplit(cols, c); why != "" {
				return say(why)
			}
		default:
			spec = spec.Unsplit()
		}
	}
	d := &drawing{st: st, spec: spec, cols: cols, rows: rows, w: w, h: h}
	return d.draw()
}

// drawing is one result chart being drawn.
type drawing struct {
	st         Styles
	spec       Spec
	cols       []lakehouse.Column
	rows       [][]any
	w, h       int
	nulls, bad int      // rows skipped
	kept       []int    // the rows points read, in order
	notes      []string // for the caption
}

func (d *drawing) draw() string {
	if len(d.rows) == 0 {
		return block([]string{d.st.Muted.Render("no rows to plot")}, d.w, d.h)
	}
	// The caption takes the last line when there are lines to spare.
	ch := d.h
	caption := d.h >= 5
	if caption {
		ch--
	}
	var lines []string
	switch d.spec.Kind {
	case KindBar:
		lines = d.bars(ch)
	case KindSparkline:
		lines = d.sparkline(ch)
	default:
		lines = d.xy(ch)
	}
	if caption {
		return block(lines, d.w, ch) + "\n" + d.caption()
	}
	return block(lines, d.w, d.h)
}

// caption names the axes and says what was skipped or thinned.
func (d *drawing) caption() string {
	name := d.cols[d.spec.Y].Name
	if d.spec.Kind != KindSparkline || d.spec.X != RowNumber {
		name += " by " + d.xName()
	}
	parts := []string{name}
	if d.nulls > 0 {
		parts = append(parts, plural(d.nulls, "row")+" with NULL skipped")
	}
	if d.bad > 0 {
		parts = append(parts, plural(d.bad, "value")+" not finite skipped")
	}
	parts = append(parts, d.notes...)
	return d.st.Muted.Render(fit(strings.Join(parts, " · "), d.w))
}

func (d *drawing) xName() string {
	if d.spec.X == RowNumber {
		return "row"
	}
	return d.cols[d.spec.X].Name
}

// points reads (x, y) of every row, skipping and counting NULLs and values
// that are not finite numbers.
func (d *drawing) points() []Point {
	pts := make([]Point, 0, len(d.rows))
	for i, r := range d.rows {
		x, xs := float64(i+1), valueOK
		if d.spec.X != RowNumber {
			x, xs = cell(r, d.spec.X)
		}
		y, ys := cell(r, d.spec.Y)
		switch {
		case xs == valueNull || ys == valueNull:
			d.nulls++
		case xs != valueOK || ys != valueOK:
			d.bad++
		default:
			pts = append(pts, Point{x, y})
			d.kept = append(d.kept, i)
		}
	}
	return pts
}

func cell(r []any, c int) (float64, valueState) {
	if c < 0 || c >= len(r) {
		return 0, valueNull
	}
	return toFloat(r[c])
}

// xy draws a line, time series or scatter chart in w x h.
func (d *drawing) xy(h int) []string {
	series := d.series()
	if len(series) == 0 {
		return []string{d.st.Muted.Render("nothing to plot: every row has a NULL or a value that is not a number")}
	}
	summed := false
	if d.spec.Kind != KindScatter {
		for i := range series {
			pts := sortedByX(series[i].pts)
			if merged := sumByX(pts); len(merged) < len(pts) {
				pts, summed = merged, true
			}
			series[i].pts = pts
		}
	}
	if summed {
		d.notes = append(d.notes, "summed by "+d.xName())
	}
	isTime := d.spec.X != RowNumber && classOf(d.cols[d.spec.X]) == classTime
	first := series[0].pts[0]
	xlo, xhi, ylo, yhi := first.X, first.X, first.Y, first.Y
	xint, yint := true, true
	for _, sr := range series {
		for _, p := range sr.pts {
			xlo, xhi = math.Min(xlo, p.X), math.Max(xhi, p.X)
			ylo, yhi = math.Min(ylo, p.Y), math.Max(yhi, p.Y)
			xint = xint && p.X == math.Trunc(p.X)
			yint = yint && p.Y == math.Trunc(p.Y)
		}
	}
	// Split series name their lines on a legend row.
	var legend string
	if _, split := d.spec.Split(); split && h >= 6 {
		var parts []string
		for i, sr := range series {
			parts = append(parts, d.st.series(i).Render("⣿")+" "+d.st.Label.Render(sr.name))
		}
		legend, h = fit(strings.Join(parts, "  "), d.w), h-1
	}
	p, ok := layout(d.w, h,
		axisOptions{lo: xlo, hi: xhi, fixed: true, integer: xint, time: isTime},
		axisOptions{lo: ylo, hi: yhi, integer: yint})
	if !ok {
		return []string{d.st.Muted.Render("too small")}
	}
	timeOfDay := isTime && strings.HasPrefix(strings.ToUpper(d.cols[d.spec.X].Type), "TIME") &&
		!strings.HasPrefix(strings.ToUpper(d.cols[d.spec.X].Type), "TIMESTAMP")
	if isTime && !timeOfDay && len(p.x.ticks) > 0 && !strings.Contains(p.x.ticks[0].Label, "-") && len(p.x.ticks[0].Label) != 4 {
		// Day and hour labels leave the year out: the caption says it.
		a, b := unixTime(xlo).Year(), unixTime(xhi).Year()
		if a == b {
			d.notes = append(d.notes, strconv.Itoa(a))
		} else {
			d.notes = append(d.notes, fmt.Sprintf("%d–%d", a, b))
		}
	}
	pc := newPlotCanvas(p)
	thinned := 0
	for i, sr := range series {
		if d.spec.Kind == KindScatter {
			pc.dots(sr.pts, d.st.series(i))
			continue
		}
		pts := sr.pts
		if n := len(pts); n > 8*p.gw {
			pts, thinned = Downsample(pts, 2*p.gw), thinned+n
		}
		pc.line(pts, d.st.series(i))
	}
	if thinned > 0 {
		d.notes = append(d.notes, fmt.Sprintf("%s points, min/max per column", lakehouse.GroupDigits(strconv.Itoa(thinned))))
	}
	lines := p.frame(d.st, pc.rows())
	if legend != "" {
		lines = append(lines, legend)
	}
	return lines
}

// maxSeries is how many lines a split chart draws: the largest by total.
const maxSeries = 6

// namedSeries is the points of one value of the split column.
type namedSeries struct {
	name  string
	pts   []Point
	total float64
}

// series reads the rows' points, one series per value of the split column
// (the largest maxSeries by total, the rest counted in the caption), or
// one series when the spec is not split.
func (d *drawing) series() []namedSeries {
	pts := d.points()
	split, ok := d.spec.Split()
	if !ok {
		if len(pts) == 0 {
			return nil
		}
		return []namedSeries{{pts: pts}}
	}
	d.notes = append(d.notes, "a line per "+d.cols[split].Name)
	var out []namedSeries
	at := map[string]int{}
	for i, p := range pts {
		r := d.rows[d.kept[i]]
		name := "NULL"
		if split < len(r) && r[split] != nil {
			name = categoryLabel(r[split])
		}
		j, seen := at[name]
		if !seen {
			j = len(out)
			at[name] = j
			out = append(out, namedSeries{name: name})
		}
		out[j].pts = append(out[j].pts, p)
		out[j].total += p.Y
	}
	if len(out) > maxSeries {
		slices.SortStableFunc(out, func(a, b namedSeries) int { return cmp.Compare(b.total, a.total) })
		d.notes = append(d.notes, fmt.Sprintf("top %d of %s %s", maxSeries, lakehouse.GroupDigits(strconv.Itoa(len(out))), d.cols[split].Name))
		out = out[:maxSeries]
	}
	return out
}

// sumByX merges the points of one x (sorted by x) into one, their y
// summed, as a bar chart sums a category's rows: a line of several rows a
// day draws the day's total. It returns pts itself when all x differ.
func sumByX(pts []Point) []Point {
	dup := false
	for i := 1; i < len(pts) && !dup; i++ {
		dup = pts[i].X == pts[i-1].X
	}
	if !dup {
		return pts
	}
	out := make([]Point, 0, len(pts))
	for _, p := range pts {
		if n := len(out); n > 0 && out[n-1].X == p.X {
			out[n-1].Y += p.Y
			continue
		}
		out = append(out, p)
	}
	return out
}

// bars draws a bar per category, summing the rows of each, the largest
// few and "others" when they do not all fit.
func (d *drawing) bars(h int) []string {
	var bars []Bar
	at := map[string]int{}
	var times []time.Time
	summed := false
	for i, r := range d.rows {
		y, ys := cell(r, d.spec.Y)
		var label string
		if d.spec.X == RowNumber {
			label = strconv.Itoa(i + 1)
		} else if d.spec.X < len(r) && r[d.spec.X] == nil {
			ys = valueNull
		} else if d.spec.X < len(r) {
			if t, ok := r[d.spec.X].(time.Time); ok {
				times = append(times, t)
			}
			label = categoryLabel(r[d.spec.X])
		}
		switch ys {
		case valueNull:
			d.nulls++
			continue
		case valueBad:
			d.bad++
			continue
		}
		if j, ok := at[label]; ok {
			bars[j].Value += y
			summed = true
			continue
		}
		at[label] = len(bars)
		bars = append(bars, Bar{Label: label, Value: y})
	}
	if len(bars) == 0 {
		return []string{d.st.Muted.Render("nothing to plot: every row has a NULL or a value that is not a number")}
	}
	if len(times) > 0 {
		relabelTimes(bars, times)
	}
	if summed {
		d.notes = append(d.notes, "summed by "+d.xName())
	}
	// Too many to show: the largest, and one line for the others' sum
	// (without a bar: it would dwarf the rest).
	var others string
	if len(bars) > h && h >= 2 {
		n := len(bars)
		slices.SortStableFunc(bars, func(a, b Bar) int { return cmp.Compare(b.Value, a.Value) })
		var sum float64
		for _, b := range bars[h-1:] {
			sum += b.Value
		}
		bars = bars[:h-1]
		label := fmt.Sprintf("others (%s)", lakehouse.GroupDigits(strconv.Itoa(n-(h-1))))
		others = d.st.Muted.Render(fit(label, d.w-len(Human(sum))-1) + " " + Human(sum))
		d.notes = append(d.notes, fmt.Sprintf("top %d of %s by %s, others summed", h-1, lakehouse.GroupDigits(strconv.Itoa(n)), d.cols[d.spec.Y].Name))
	}
	c := NewBars(d.st)
	c.Format = barFormat(bars)
	c.SetBars(bars)
	if others != "" {
		c.SetSize(d.w, h-1)
		return append(strings.Split(c.View(), "\n"), others)
	}
	c.SetSize(d.w, h)
	return strings.Split(c.View(), "\n")
}

// barFormat writes the bars' values alike: short units when one reaches
// 10,000 (12.3k), else thousands separators and the decimals (at most two)
// the values need, the same for all (3,358.64 and 3,351.00).
func barFormat(bars []Bar) func(float64) string {
	d := 0
	for _, b := range bars {
		if math.Abs(b.Value) >= 1e4 {
			return Human
		}
		for d < 2 && math.Abs(b.Value*math.Pow(10, float64(d))-math.Round(b.Value*math.Pow(10, float64(d)))) > 1e-9 {
			d++
		}
	}
	return func(v float64) string {
		if math.Abs(v) >= 1e4 || !finite(v) {
			return Human(v)
		}
		return lakehouse.GroupDigits(strconv.FormatFloat(v, 'f', d, 64))
	}
}

// relabelTimes writes date categories as short as they allow: days when
// all are midnights, else minutes.
func relabelTimes(bars []Bar, times []time.Time) {
	layout := "2006-01-02"
	for _, t := range times {
		if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			layout = "2006-01-02 15:04"
			break
		}
	}
	for i := range bars {
		if t, err := time.Parse(time.RFC3339Nano, bars[i].Label); err == nil {
			bars[i].Label = t.Format(layout)
		}
	}
}

// categoryLabel writes a category: text as it is, times exactly (see
// relabelTimes), numbers as written, without separators (years, codes).
func categoryLabel(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case fmt.Stringer:
		return safeString(x)
	}
	return fmt.Sprint(v)
}

// sparkline draws Y as columns (ntcharts' sparkline) over its range, one
// value per column (values repeated when there are few, averaged when
// there are many), with its min, max and last.
func (d *drawing) sparkline(h int) []string {
	pts := d.points()
	if len(pts) == 0 {
		return []string{d.st.Muted.Render("nothing to plot: every row has a NULL or a value that is not a number")}
	}
	if d.spec.X != RowNumber {
		pts = sortedByX(pts)
	}
	lo, hi := pts[0].Y, pts[0].Y
	for _, p := range pts {
		lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
	}
	last := pts[len(pts)-1].Y
	stats := fmt.Sprintf("min %s  max %s  last %s", Human(lo), Human(hi), Human(last))
	sh := h
	if h >= 2 {
		sh = h - 1
	}
	w := d.w
	vals := make([]float64, 0, w)
	if len(pts) <= w {
		k := w / len(pts)
		for _, p := range pts {
			for range k {
				vals = append(vals, p.Y)
			}
		}
	} else {
		for c := range w {
			a, b := c*len(pts)/w, (c+1)*len(pts)/w
			var s float64
			for _, p := range pts[a:b] {
				s += p.Y
			}
			vals = append(vals, s/float64(b-a))
		}
		d.notes = append(d.notes, fmt.Sprintf("%s values, mean per column", lakehouse.GroupDigits(strconv.Itoa(len(pts)))))
	}
	// The lowest value shows as the smallest block, a flat series at half
	// height; spans too large for a float are drawn flat.
	base, top := lo-(hi-lo)/float64(8*sh), hi
	if !(hi > lo) || !finite(hi-lo) {
		base, top = lo-1, lo+1
	}
	sl := sparkline.New(w, sh, sparkline.WithStyle(d.st.series(0)))
	sl.SetMax(1)
	for _, v := range vals {
		f := (v - base) / (top - base)
		if !finite(f) {
			f = 0.5
		}
		sl.Push(math.Min(1, math.Max(0, f)))
	}
	sl.Draw()
	lines := strings.Split(sl.View(), "\n")
	if h >= 2 {
		lines = append(lines, d.st.Label.Render(stats))
	}
	return lines
}

// valueState is what a result value is to a chart.
type valueState int

const (
	valueOK   valueState = iota
	valueNull            // NULL: skipped, counted
	valueBad             // not a finite number: skipped, counted
)

// toFloat reads a result value as a number: integers, floats, DECIMALs
// (anything with a Float64 method, as the driver's exact decimal has),
// *big.Int, numbers written as text (a HUGEINT too large for int64), and
// times as Unix seconds.
func toFloat(v any) (f float64, st valueState) {
	switch x := v.(type) {
	case nil:
		return 0, valueNull
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case *big.Int:
		if x == nil {
			return 0, valueNull
		}
		f, _ = new(big.Float).SetInt(x).Float64()
	case time.Time:
		f = float64(x.Unix()) + float64(x.Nanosecond())/1e9
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, valueBad
		}
	case interface{ Float64() float64 }:
		var ok bool
		if f, ok = safeFloat(x); !ok {
			return 0, valueBad
		}
	default:
		return 0, valueBad
	}
	if !finite(f) {
		return 0, valueBad
	}
	return f, valueOK
}

// safeFloat calls a value's Float64, which may panic on a value that was
// never filled (a decimal without digits).
func safeFloat(x interface{ Float64() float64 }) (f float64, ok bool) {
	defer func() {
		if recover() != nil {
			f, ok = 0, false
		}
	}()
	return x.Float64(), true
}

func safeString(x fmt.Stringer) (s string) {
	defer func() {
		if recover() != nil {
			s = "?"
		}
	}()
	return x.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return lakehouse.GroupDigits(strconv.Itoa(n)) + " " + what + "s"
}

// wrap breaks a message into lines of at most w cells, at spaces.
func wrap(s string, w int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
