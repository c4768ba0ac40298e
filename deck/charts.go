package deck

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/ml"
)

// Charts are drawn at 96 dots per inch in pixels sized for a 1280x720
// slide under its heading: wide charts fill its width, square ones half.
const (
	dpi          = 96
	wideW, wideH = 1200, 540
	halfW, halfH = 620, 540
)

// Text sizes in points (at 96 dpi a point is 4/3 pixel): read from the
// back of a room when the slide fills a projector.
const (
	titleSize = 24
	labelSize = 20
	tickSize  = 17
	noteSize  = 17
)

var (
	ink    = color.RGBA{R: 0x22, G: 0x2b, B: 0x36, A: 0xff}
	blue   = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	pale   = color.RGBA{R: 0x9d, G: 0xb9, B: 0xd9, A: 0xff}
	red    = color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}
	pink   = color.RGBA{R: 0xf5, G: 0xc6, B: 0xc0, A: 0xff}
	grey   = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	layerC = map[string]color.Color{
		"bronze": color.RGBA{R: 0xb0, G: 0x72, B: 0x3a, A: 0xff},
		"silver": color.RGBA{R: 0x8a, G: 0x93, B: 0x9b, A: 0xff},
		"gold":   color.RGBA{R: 0xd4, G: 0xa0, B: 0x17, A: 0xff},
	}
)

func sans(size vg.Length) font.Font {
	return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
}

// newPlot is a plot with the deck's title, axis labels and text sizes.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(titleSize)
	p.Title.TextStyle.Color = ink
	p.Title.Padding = vg.Points(12)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(labelSize)
		a.Label.TextStyle.Color = ink
		a.Tick.Label.Font = sans(tickSize)
		a.Tick.Label.Color = ink
		a.Label.Padding = vg.Points(6)
		a.LineStyle.Width = vg.Points(1)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Legend.TextStyle.Font = sans(tickSize)
	p.Legend.Top = true
	return p
}

// margin is the space in pixels kept free on the left and right of a chart
// (half of it at the top and bottom).
const margin = 24

// save draws p into a PNG of w x h pixels.
func save(p *plot.Plot, w, h int, path string) error {
	px := func(n int) vg.Length { return vg.Length(float64(n) * vg.Inch.Points() / dpi) }
	c := vgimg.NewWith(vgimg.UseWH(px(w), px(h)), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	// A margin on each side: gonum/plot draws the last tick's label and the
	// longest bar name up to the canvas edge, where they were cut.
	m := px(margin)
	p.Draw(draw.Crop(draw.New(c), m, -m, m/2, -m/2))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("deck: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("deck: writing %s: %w", path, err)
	}
	return f.Close()
}

// short writes v in a few characters: 950, 12k, 1.5M.
func short(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trim(v/1e9) + "G"
	case a >= 1e6:
		return trim(v/1e6) + "M"
	case a >= 1e3:
		return trim(v/1e3) + "k"
	}
	return trim(v)
}

func trim(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func percent(v float64) string { return trim(v*100) + "%" }

// RevenueChart draws the series per day, its DipWindow-day mean, and the
// dip shaded and labelled.
func RevenueChart(s *Series, dip *Dip, path string) error {
	title := "Revenue per day"
	if s.Title != "" {
		title = s.Title
	}
	p := newPlot(title, "day", s.Y+" per day ($)")
	p.X.Tick.Marker = dayTicks{}
	p.Y.Tick.Marker = roundTicks{short}
	p.Y.Min = 0
	p.Add(grid())
	daily := make(plotter.XYs, len(s.Days))
	for i, d := range s.Days {
		daily[i] = plotter.XY{X: float64(d.Unix()), Y: s.Values[i]}
	}
	hi := 0.0
	for _, v := range s.Values {
		hi = math.Max(hi, v)
	}
	if dip != nil {
		x0 := float64(dip.From.Unix()) - 12*3600
		x1 := float64(dip.To.Unix()) + 12*3600
		band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}, {X: x1, Y: hi * 1.12}, {X: x0, Y: hi * 1.12}})
		if err != nil {
			return err
		}
		band.Color, band.LineStyle.Width = pink, 0
		p.Add(band)
		lbl, err := notes(plotter.XYs{{X: (x0 + x1) / 2, Y: hi * 1.12}},
			[]string{fmt.Sprintf("dip: %s vs usual", signedPercent(dip.Relative))}, red, draw.XCenter, draw.YTop)
		if err != nil {
			return err
		}
		p.Add(lbl)
	}
	line, err := plotter.NewLine(daily)
	if err != nil {
		return err
	}
	line.Color, line.Width = pale, vg.Points(2)
	mean := RollingMean(s.Values, DipWindow)
	smooth := make(plotter.XYs, len(mean))
	for i := range mean {
		smooth[i] = plotter.XY{X: daily[i].X, Y: mean[i]}
	}
	ml, err := plotter.NewLine(smooth)
	if err != nil {
		return err
	}
	ml.Color, ml.Width = blue, vg.Points(3.5)
	p.Add(line, ml)
	p.Legend.Add("per day", line)
	p.Legend.Add(fmt.Sprintf("%d-day mean", DipWindow), ml)
	p.Legend.Left = false
	p.Y.Max = hi * 1.3
	return save(p, wideW, wideH, path)
}

func unixDay(t float64) time.Time { return time.Unix(int64(t), 0).UTC() }

// dayTicks marks days on a time axis in Unix seconds: a labelled tick
// every week (every four weeks past half a year), a minor one each day
// while there are few.
type dayTicks struct{}

func (dayTicks) Ticks(lo, hi float64) []plot.Tick {
	first := unixDay(lo).Truncate(24 * time.Hour)
	if float64(first.Unix()) < lo {
		first = first.Add(24 * time.Hour)
	}
	days := int((hi-float64(first.Unix()))/86400) + 1
	step := 7
	if days > 183 {
		step = 28
	}
	var out []plot.Tick
	for i := 0; i < days; i++ {
		d := first.AddDate(0, 0, i)
		switch {
		case i%step == 0:
			out = append(out, plot.Tick{Value: float64(d.Unix()), Label: d.Format("Jan 2")})
		case days <= 92:
			out = append(out, plot.Tick{Value: float64(d.Unix())})
		}
	}
	return out
}

// roundTicks are four to eight labelled ticks at round steps (1, 2, 2.5
// or 5 times a power of ten), labelled by format.
type roundTicks struct {
	format func(float64) string
}

func (t roundTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: t.format(lo)}}
	}
	raw := (hi - lo) / 5
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, plot.Tick{Value: v, Label: t.format(v)})
	}
	return out
}

// grid is light lines at the ticks, behind the data.
func grid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = color.RGBA{R: 0xe4, G: 0xe7, B: 0xeb, A: 0xff}
	g.Horizontal.Color = g.Vertical.Color
	g.Vertical.Width, g.Horizontal.Width = vg.Points(1), vg.Points(1)
	return g
}

func signedPercent(v float64) string {
	s := percent(math.Round(v*1000) / 1000)
	if v > 0 {
		s = "+" + s
	}
	return s
}

// maxBars is how many bars a chart shows: more would not read at slide size.
const maxBars = 8

// hbars draws a horizontal bar chart of names and values, the first on
// top, each bar labelled with its value.
func hbars(p *plot.Plot, names []string, values []float64, c color.Color, label func(float64) string) error {
	n := min(len(names), maxBars)
	vals := make(plotter.Values, n)
	rev := make([]string, n)
	for i := 0; i < n; i++ {
		vals[i] = values[n-1-i]
		rev[i] = names[n-1-i]
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(float64(min(40, 300/max(n, 1)))))
	if err != nil {
		return err
	}
	bars.Horizontal, bars.Color, bars.LineStyle.Width = true, c, 0
	p.Add(bars)
	p.NominalY(rev...)
	hi := 0.0
	xys := make(plotter.XYs, n)
	labels := make([]string, n)
	for i, v := range vals {
		hi = math.Max(hi, v)
		xys[i] = plotter.XY{X: v, Y: float64(i)}
		labels[i] = " " + label(v)
	}
	lbl, err := notes(xys, labels, ink, draw.XLeft, draw.YCenter)
	if err != nil {
		return err
	}
	p.Add(lbl)
	p.X.Min, p.X.Max = 0, hi*1.25
	if hi == 0 {
		p.X.Max = 1
	}
	return nil
}

// notes are text labels at points in the deck's note size.
func notes(at plotter.XYs, texts []string, c color.Color, x draw.XAlignment, y draw.YAlignment) (*plotter.Labels, error) {
	lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: at, Labels: texts})
	if err != nil {
		return nil, err
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].Font = sans(noteSize)
		lbl.TextStyle[i].Color = c
		lbl.TextStyle[i].XAlign, lbl.TextStyle[i].YAlign = x, y
	}
	return lbl, nil
}

// RiskChart draws the churn risk per segment, highest on top.
func RiskChart(s *Segments, path string) error {
	share := true
	for _, v := range s.Values {
		if v < 0 || v > 1 {
			share = false
		}
	}
	xLabel, tick, value := s.Y, short, short
	if share {
		xLabel, tick = s.Y+" (% of customers)", percent
		value = func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }
	}
	p := newPlot(s.Title, xLabel, "")
	p.X.Tick.Marker = roundTicks{tick}
	if err := hbars(p, s.Names, s.Values, red, value); err != nil {
		return err
	}
	return save(p, wideW, wideH, path)
}

// ROCChart draws a champion's ROC curve against chance, its AUC in the
// legend.
func ROCChart(name string, version int, roc []ml.ROCPoint, auc float64, path string) error {
	p := newPlot(fmt.Sprintf("ROC of %s v%d (champion)", name, version), "false positive rate", "true positive rate")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	pts := make(plotter.XYs, len(roc))
	for i, r := range roc {
		pts[i] = plotter.XY{X: r.FPR, Y: r.TPR}
	}
	curve, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	curve.Color, curve.Width = blue, vg.Points(3.5)
	chance, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	chance.Color, chance.Width, chance.Dashes = grey, vg.Points(2), []vg.Length{vg.Points(8), vg.Points(6)}
	p.X.Tick.Marker, p.Y.Tick.Marker = roundTicks{trim}, roundTicks{trim}
	p.Add(grid(), chance, curve)
	p.Legend.Add(fmt.Sprintf("model (AUC %.3f)", auc), curve)
	p.Legend.Add("chance (AUC 0.5)", chance)
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Points(16)
	p.Legend.XOffs = -vg.Points(8)
	return save(p, halfW, halfH, path)
}

// CostChart draws the cost per job, largest on top.
func CostChart(groups []lakehouse.UsageSummary, target string, path string) error {
	cur := "USD"
	names := make([]string, len(groups))
	values := make([]float64, len(groups))
	for i, g := range groups {
		names[i], values[i] = g.Key, g.Cost
		if g.Currency != "" {
			cur = g.Currency
		}
	}
	sortDesc(names, values)
	p := newPlot("Cost by job on target "+target, "cost ("+cur+")", "")
	money := func(v float64) string { return costLabel(v) }
	p.X.Tick.Marker = roundTicks{money}
	if err := hbars(p, names, values, blue, money); err != nil {
		return err
	}
	return save(p, wideW, wideH, path)
}

// costLabel writes a cost in plain decimals, small ones with two
// significant digits (0.00021), never in e-notation.
func costLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return short(v)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	digits := int(-math.Floor(math.Log10(a))) + 1
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', digits, 64), "0"), ".")
}

// LayersChart draws the rows of each medallion layer.
func LayersChart(layers []lakehouse.Layer, target string, path string) error {
	p := newPlot("Rows per layer on target "+target, "layer (schema)", "rows")
	p.Y.Tick.Marker = roundTicks{short}
	var names []string
	hi := 0.0
	for i, l := range layers {
		names = append(names, l.Schema)
		v := float64(l.Rows)
		hi = math.Max(hi, v)
		c, ok := layerC[l.Schema]
		if !ok {
			c = blue
		}
		bar, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(70))
		if err != nil {
			return err
		}
		bar.Color, bar.LineStyle.Width, bar.XMin = c, 0, float64(i)
		p.Add(bar)
		lbl, err := notes(plotter.XYs{{X: float64(i), Y: v}}, []string{lakehouse.GroupDigits(strconv.FormatInt(l.Rows, 10))}, ink, draw.XCenter, draw.YBottom)
		if err != nil {
			return err
		}
		lbl.Offset = vg.Point{Y: vg.Points(5)}
		p.Add(lbl)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(layers))-0.4
	p.Y.Min, p.Y.Max = 0, math.Max(hi*1.18, 1)
	return save(p, halfW, halfH, path)
}

// sortDesc sorts names and values together by value, largest first.
func sortDesc(names []string, values []float64) {
	for i := 1; i < len(values); i++ {
		for j := i; j > 0 && values[j] > values[j-1]; j-- {
			values[j], values[j-1] = values[j-1], values[j]
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}
