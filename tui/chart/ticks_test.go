package chart

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestNiceTicks(t *testing.T) {
	for _, tt := range []struct {
		lo, hi   float64
		max      int
		integer  bool
		want     []float64
		wantStep float64
	}{
		{0, 1, 6, false, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, 0.2},
		{0, 1, 11, false, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}, 0.1},
		{0, 1, 3, false, []float64{0, 0.5, 1}, 0.5},
		{1, 40, 5, true, []float64{10, 20, 30, 40}, 10},
		{1, 14, 8, true, []float64{2, 4, 6, 8, 10, 12, 14}, 2},
		{1, 3, 10, true, []float64{1, 2, 3}, 1},    // counts never step by halves
		{1, 3, 10, false, []float64{1, 1.5, 2, 2.5, 3}, 0.5},
		{-625, 4950, 7, false, []float64{0, 1000, 2000, 3000, 4000}, 1000},
		{1e6, 5e6, 5, false, []float64{1e6, 2e6, 3e6, 4e6, 5e6}, 1e6},
		{0.001, 0.0049, 5, false, []float64{0.001, 0.002, 0.003, 0.004}, 0.001},
		{5, 5, 4, false, []float64{5}, 0},
	} {
		got, step := NiceTicks(tt.lo, tt.hi, tt.max, tt.integer)
		if !close(got, tt.want) || math.Abs(step-tt.wantStep) > 1e-12 {
			t.Errorf("NiceTicks(%v, %v, %d, %v) = %v step %v, want %v step %v", tt.lo, tt.hi, tt.max, tt.integer, got, step, tt.want, tt.wantStep)
		}
	}
}

func TestNiceRange(t *testing.T) {
	for _, tt := range []struct {
		lo, hi   float64
		max      int
		wantLo   float64
		wantHi   float64
		wantStep float64
	}{
		{0.301, 0.69, 6, 0.3, 0.7, 0.1},
		{-625, 4950, 7, -1000, 5000, 1000},
		{0.301, 0.69, 3, 0, 1, 0.5}, // 0.2 would take four ticks
		{1000, 3000, 5, 1000, 3000, 500},
		{0.5, 0.5, 5, 0.45, 0.55, 0.05}, // a flat line sits in a band around it
	} {
		lo, hi, ticks, step := NiceRange(tt.lo, tt.hi, tt.max, false)
		if math.Abs(lo-tt.wantLo) > 1e-9 || math.Abs(hi-tt.wantHi) > 1e-9 || math.Abs(step-tt.wantStep) > 1e-12 {
			t.Errorf("NiceRange(%v, %v, %d) = [%v, %v] step %v, want [%v, %v] step %v", tt.lo, tt.hi, tt.max, lo, hi, step, tt.wantLo, tt.wantHi, tt.wantStep)
		}
		if len(ticks) > tt.max || ticks[0] != lo || math.Abs(ticks[len(ticks)-1]-hi) > 1e-9 {
			t.Errorf("NiceRange(%v, %v, %d): ticks %v, want at most %d from %v to %v", tt.lo, tt.hi, tt.max, ticks, tt.max, lo, hi)
		}
	}
}

// TestNiceTicksAlwaysNice: over many ranges, every step is 1, 2 or 5 ×
// 10^k, the ticks lie in the range, and there are no more than asked.
func TestNiceTicksAlwaysNice(t *testing.T) {
	for i := range 2000 {
		lo := math.Sin(float64(i)) * math.Pow(10, float64(i%9-4))
		hi := lo + math.Abs(math.Cos(float64(i*7)))*math.Pow(10, float64(i%11-5))
		n := 2 + i%10
		ticks, step := NiceTicks(lo, hi, n, false)
		if hi == lo {
			continue
		}
		if len(ticks) > n {
			t.Fatalf("NiceTicks(%v, %v, %d): %d ticks", lo, hi, n, len(ticks))
		}
		m := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9))
		if math.Abs(m-1) > 1e-6 && math.Abs(m-2) > 1e-6 && math.Abs(m-5) > 1e-6 {
			t.Fatalf("NiceTicks(%v, %v, %d): step %v is not 1, 2 or 5 × 10^k", lo, hi, n, step)
		}
		for _, v := range ticks {
			if v < lo-step*1e-6 || v > hi+step*1e-6 {
				t.Fatalf("NiceTicks(%v, %v, %d): tick %v outside", lo, hi, n, v)
			}
		}
	}
}

func TestTickLabel(t *testing.T) {
	for _, tt := range []struct {
		v, step float64
		want    string
	}{
		{0, 0.2, "0.0"}, {0.4, 0.2, "0.4"}, {1, 0.2, "1.0"}, {0.25, 0.05, "0.25"},
		{2500, 500, "2,500"}, {-1000, 1000, "-1,000"}, {0, 1000, "0"},
		{20000, 10000, "20k"}, {1.5e6, 5e5, "1.5M"}, {1e6, 5e5, "1M"}, {1.2e6, 2e5, "1.2M"},
		{-3e9, 1e9, "-3B"}, {2e12, 1e12, "2T"}, {0.001, 0.001, "0.001"},
	} {
		if got := TickLabel(tt.v, tt.step); got != tt.want {
			t.Errorf("TickLabel(%v, %v) = %q, want %q", tt.v, tt.step, got, tt.want)
		}
	}
}

func TestHuman(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {0.25, "0.25"}, {-0.82, "-0.82"}, {1234.5, "1,234.5"}, {9999, "9,999"},
		{12345, "12.3k"}, {286000, "286k"}, {999950, "1M"}, {4.56e6, "4.56M"}, {-7.5e9, "-7.5B"},
		{0.004, "0.004"}, {1e20, "1e+20"}, {math.Inf(1), "+Inf"},
	} {
		if got := Human(tt.v); got != tt.want {
			t.Errorf("Human(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	ts := func(s string) float64 {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return float64(tm.Unix())
	}
	for _, tt := range []struct {
		lo, hi string
		max    int
		want   []string
	}{
		// 2026-01-01 is a Thursday: weeks start on the Monday after.
		{"2026-01-01 00:00", "2026-03-31 00:00", 7, []string{"Jan 05", "Jan 19", "Feb 02", "Feb 16", "Mar 02", "Mar 16", "Mar 30"}},
		{"2026-01-01 00:00", "2026-01-10 00:00", 10, []string{"Jan 01", "Jan 02", "Jan 03", "Jan 04", "Jan 05", "Jan 06", "Jan 07", "Jan 08", "Jan 09", "Jan 10"}},
		{"2024-01-01 00:00", "2026-01-01 00:00", 6, []string{"2024-01", "2024-07", "2025-01", "2025-07", "2026-01"}},
		{"2024-02-15 00:00", "2024-11-20 00:00", 4, []string{"2024-04", "2024-07", "2024-10"}},
		{"2026-03-01 00:00", "2026-03-01 12:00", 5, []string{"Mar 01", "03:00", "06:00", "09:00", "12:00"}},
		{"2026-03-01 00:00", "2026-03-03 23:00", 6, []string{"Mar 01", "12:00", "Mar 02", "12:00", "Mar 03", "12:00"}},
		{"2026-03-01 10:07", "2026-03-01 10:52", 4, []string{"10:15", "10:30", "10:45"}},
		{"1990-01-01 00:00", "2026-06-01 00:00", 5, []string{"1990", "2000", "2010", "2020"}},
	} {
		var got []string
		for _, tk := range TimeTicks(ts(tt.lo), ts(tt.hi), tt.max) {
			got = append(got, tk.Label)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("TimeTicks(%s, %s, %d) = %q, want %q", tt.lo, tt.hi, tt.max, got, tt.want)
		}
	}
}

func TestDownsample(t *testing.T) {
	ys := []float64{5, 1, 9, 3, 4, 6, 2, 8, 0, 7, 3, 5}
	pts := make([]Point, len(ys))
	for i, y := range ys {
		pts[i] = Point{float64(i), y}
	}
	// Two buckets: x 0..5 and 6..11; of each its first, lowest, highest
	// and last, in order.
	want := []Point{{0, 5}, {1, 1}, {2, 9}, {5, 6}, {6, 2}, {7, 8}, {8, 0}, {11, 5}}
	if got := Downsample(pts, 2); !slices.Equal(got, want) {
		t.Errorf("Downsample = %v, want %v", got, want)
	}
	if got := Downsample(pts, 3); len(got) != len(pts) {
		t.Errorf("12 points in 3 buckets: got %d points, want all 12 (no fewer than 4 per bucket)", len(got))
	}
	// A million points: at most four per bucket, the extremes kept.
	big := make([]Point, 1_000_000)
	for i := range big {
		big[i] = Point{float64(i), math.Sin(float64(i) / 1000)}
	}
	big[777_777].Y = 5
	big[123_456].Y = -5
	got := Downsample(big, 100)
	if len(got) > 400 || !slices.Contains(got, big[777_777]) || !slices.Contains(got, big[123_456]) ||
		got[0] != big[0] || got[len(got)-1] != big[len(big)-1] {
		t.Errorf("a million points in 100 buckets: %d points, extremes kept: %v %v", len(got),
			slices.Contains(got, big[777_777]), slices.Contains(got, big[123_456]))
	}
}

func close(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9*math.Max(1, math.Abs(b[i])) {
			return false
		}
	}
	return true
}
