package deck

import (
	"math"
	"slices"
	"time"
)

// Change is one day's move against the day before it.
type Change struct {
	Day      time.Time
	From, To float64
	Delta    float64
	Relative float64 // Delta over From; 0 when From is 0
	PrevDay  time.Time
	Adjacent bool // PrevDay is the calendar day before Day
}

// LargestChanges are the n largest day-over-day changes of s by size
// (either way), largest first; a day follows the previous day with data.
func LargestChanges(s *Series, n int) []Change {
	if s == nil {
		return nil
	}
	var out []Change
	for i := 1; i < len(s.Days); i++ {
		c := Change{Day: s.Days[i], PrevDay: s.Days[i-1], From: s.Values[i-1], To: s.Values[i], Delta: s.Values[i] - s.Values[i-1]}
		c.Adjacent = s.Days[i].Sub(s.Days[i-1]) == 24*time.Hour
		if c.From != 0 {
			c.Relative = c.Delta / math.Abs(c.From)
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		switch {
		case math.Abs(a.Delta) > math.Abs(b.Delta):
			return -1
		case math.Abs(a.Delta) < math.Abs(b.Delta):
			return 1
		}
		return a.Day.Compare(b.Day)
	})
	return out[:min(n, len(out))]
}

// DipWindow is the number of days a dip is averaged over: a week, so a
// weekly pattern does not make one.
const DipWindow = 7

// Dip is the stretch of DipWindow days whose mean is lowest, against the
// series' usual level: the mean of every other day.
type Dip struct {
	From, To time.Time // first and last day of the window
	Mean     float64
	Usual    float64
	Relative float64 // (Mean - Usual) / Usual
}

// FindDip finds the lowest DipWindow-day mean of s; nil when s is shorter
// than two windows or no window falls below the usual level.
func FindDip(s *Series) *Dip {
	if s == nil || len(s.Values) < 2*DipWindow {
		return nil
	}
	means := RollingMean(s.Values, DipWindow)
	low := DipWindow - 1
	for i := DipWindow - 1; i < len(means); i++ {
		if means[i] < means[low] {
			low = i
		}
	}
	rest := 0.0
	for i, v := range s.Values {
		if i <= low-DipWindow || i > low {
			rest += v
		}
	}
	usual := rest / float64(len(s.Values)-DipWindow)
	if usual <= 0 || means[low] >= usual {
		return nil
	}
	return &Dip{From: s.Days[low-DipWindow+1], To: s.Days[low], Mean: means[low], Usual: usual, Relative: (means[low] - usual) / usual}
}

// RollingMean is each value's trailing mean over w values (fewer at the
// start).
func RollingMean(v []float64, w int) []float64 {
	out := make([]float64, len(v))
	sum := 0.0
	for i, x := range v {
		sum += x
		if i >= w {
			sum -= v[i-w]
		}
		out[i] = sum / float64(min(i+1, w))
	}
	return out
}
