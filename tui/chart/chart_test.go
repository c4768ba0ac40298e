package chart

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// component is what every chart is, for the tests that hold for all.
type component interface {
	SetSize(w, h int)
	View() string
}

func lossCurve(n int) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{float64(i + 1), 0.3 + 0.39*math.Exp(-float64(i)/6)}
	}
	return pts
}

func roc() []Point {
	return []Point{{0, 0}, {0.05, 0.4}, {0.1, 0.55}, {0.2, 0.72}, {0.4, 0.86}, {0.7, 0.95}, {1, 1}}
}

// examples are each chart with data, and empty.
func examples() map[string]component {
	loss := NewLine(DefaultStyles())
	loss.SetSeries(Series{Name: "loss", Points: lossCurve(40)})
	loss.XFormat = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	r := NewLine(DefaultStyles())
	r.SetRange(0, 1, 0, 1)
	r.SetSeries(Series{Name: "v3", Points: roc()}, Series{Name: "chance", Marker: '·', Points: []Point{{0, 0}, {1, 1}}})
	bars := NewBars(DefaultStyles())
	bars.SetBars([]Bar{{"days_since_last_order", 1.31}, {"orders_90d", -0.82}, {"country=DE", 0.2}, {"avg_basket", 0.05},
		{"returns", 0.01}, {"tenure_days", 0}})
	conf := NewConfusion(DefaultStyles())
	conf.SetCounts([]string{"false", "true"}, [][]int64{{812, 43}, {97, 148}})
	multi := NewConfusion(DefaultStyles())
	multi.SetCounts([]string{"setosa", "versicolor", "virginica"}, [][]int64{{12, 0, 0}, {0, 11, 2}, {0, 1, 12}})
	return map[string]component{
		"loss": loss, "roc": r, "bars": bars, "confusion": conf, "confusion3": multi,
		"line_empty": NewLine(DefaultStyles()), "bars_empty": NewBars(DefaultStyles()), "confusion_empty": NewConfusion(DefaultStyles()),
	}
}

// TestGolden draws every example at a small and a large size
// (go test ./tui/chart -update rewrites testdata).
func TestGolden(t *testing.T) {
	for name, c := range examples() {
		for _, size := range [][2]int{{36, 10}, {70, 20}} {
			t.Run(fmt.Sprintf("%s_%dx%d", name, size[0], size[1]), func(t *testing.T) {
				c.SetSize(size[0], size[1])
				golden.RequireEqual(t, c.View())
			})
		}
	}
}

// TestExactSize: every chart fills exactly the cells it was given, at
// every size, from none at all to large, so a panel can hold it.
func TestExactSize(t *testing.T) {
	for name, c := range examples() {
		for w := 0; w <= 50; w += 7 {
			for h := 0; h <= 16; h += 3 {
				c.SetSize(w, h)
				out := c.View()
				if w == 0 || h == 0 {
					if out != "" {
						t.Errorf("%s at %dx%d: got %q, want nothing", name, w, h, out)
					}
					continue
				}
				lines := strings.Split(out, "\n")
				if len(lines) != h {
					t.Errorf("%s at %dx%d: got %d lines, want %d", name, w, h, len(lines), h)
				}
				for i, l := range lines {
					if got := lipgloss.Width(l); got != w {
						t.Errorf("%s at %dx%d: line %d is %d wide, want %d: %q", name, w, h, i, got, w, l)
					}
				}
			}
		}
	}
}

func TestLineSkipsValuesItCannotDraw(t *testing.T) {
	c := NewLine(DefaultStyles())
	c.SetSize(30, 8)
	c.SetSeries(Series{Points: []Point{{0, math.NaN()}, {1, math.Inf(1)}}})
	if got := c.View(); !strings.Contains(got, "no data") {
		t.Errorf("a series of NaN and Inf: got\n%s\nwant it said there is no data", got)
	}
	c.SetSeries(Series{Points: []Point{{0, 1}, {1, math.NaN()}, {2, 0.5}}})
	if got := c.View(); strings.Contains(got, "no data") || !strings.ContainsFunc(got, func(r rune) bool { return r > 0x2800 && r <= 0x28FF }) {
		t.Errorf("a series with one NaN: got\n%s\nwant the other points drawn", got)
	}
}

func TestLineFlatSeries(t *testing.T) {
	c := NewLine(DefaultStyles())
	c.SetSize(30, 8)
	c.SetSeries(Series{Points: []Point{{1, 0.5}, {2, 0.5}, {3, 0.5}}})
	got := c.View()
	if !strings.Contains(got, "0.5") {
		t.Errorf("a flat series: got\n%s\nwant its value on the axis", got)
	}
}

func TestBarsScaleToTheLargest(t *testing.T) {
	c := NewBars(DefaultStyles())
	c.SetSize(40, 3)
	c.SetBars([]Bar{{"a", 2}, {"b", -1}, {"c", 0.5}})
	lines := strings.Split(c.View(), "\n")
	blocks := func(s string) int { return strings.Count(s, "█") }
	a, b, cc := blocks(lines[0]), blocks(lines[1]), blocks(lines[2])
	if a == 0 || b != a/2 || cc != a/4 {
		t.Errorf("bars of 2, -1 and 0.5: got lengths %d, %d, %d, want n, n/2, n/4\n%s", a, b, cc, strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[1], "-1") {
		t.Errorf("a negative bar: got %q, want its sign kept", lines[1])
	}
}

func TestBarsCountWhatDoesNotFit(t *testing.T) {
	c := NewBars(DefaultStyles())
	c.SetSize(30, 3)
	c.SetBars([]Bar{{"a", 5}, {"b", 4}, {"c", 3}, {"d", 2}, {"e", 1}})
	lines := strings.Split(c.View(), "\n")
	if got := strings.TrimSpace(lines[2]); got != "… 3 more" {
		t.Errorf("5 bars in 3 rows: last line %q, want \"… 3 more\"", got)
	}
}

func TestConfusionRecall(t *testing.T) {
	c := NewConfusion(DefaultStyles())
	c.SetSize(50, 5)
	c.SetCounts([]string{"no", "yes"}, [][]int64{{90, 10}, {30, 10}})
	got := c.View()
	for _, want := range []string{"90.0%", "25.0%", "predicted", "actual"} {
		if !strings.Contains(got, want) {
			t.Errorf("got\n%s\nwant %q in it", got, want)
		}
	}
	c.SetSize(16, 5) // no room for recall: the counts stay
	if got := c.View(); strings.Contains(got, "%") || !strings.Contains(got, "90") {
		t.Errorf("narrow: got\n%s\nwant the counts without recall", got)
	}
}

func TestNumber(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {0.6931, "0.693"}, {0.5, "0.5"}, {1, "1"}, {12.5, "12.5"}, {123.45, "123.5"}, {1234.5, "1234"}, {0.0012, "0.0012"}, {-0.25, "-0.25"}} {
		if got := Number(tt.v); got != tt.want {
			t.Errorf("Number(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
