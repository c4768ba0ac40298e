package pipeline

import (
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// The robust statistics of the tables' health (see health.go): every
// bound is learned from the table's own history, with nothing to set.
// Medians and MADs (median absolute deviations, scaled by 1.4826 to a
// normal standard deviation) ignore a few outliers in the history, so one
// odd day neither flags the next normal one nor hides a real drop.

const (
	// minHistory is the least history a learned check judges on: fewer
	// data days (or commit intervals) are NOT_ENOUGH_TABLE_HISTORY.
	minHistory = 7
	// minCommits is the least commit intervals commit freshness learns on.
	minCommits = 5
	// spread is how many robust standard deviations a value may stray.
	spread = 4.0
	// madScale turns a MAD into a normal standard deviation.
	madScale = 1.4826
	// nullAlpha is how unlikely a day's NULLs must be, at the column's
	// usual share, to be flagged (a binomial tail).
	nullAlpha = 1e-4
	// historyDays is how far back a day's row count is compared.
	historyDays = 56
)

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat.Quantile(0.5, stat.LinInterp, s, nil)
}

func quantile(q float64, xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat.Quantile(q, stat.LinInterp, s, nil)
}

// mad is the scaled median absolute deviation around the median.
func mad(xs []float64) float64 {
	m := median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	return madScale * median(dev)
}

// intervalBound is the longest interval the history of intervals makes
// usual: the larger of median + spread MADs and the 90th percentile, so a
// regular cadence with an occasional longer gap (a weekend) keeps that gap
// usual, while a lone outlier does not stretch the bound.
func intervalBound(intervals []float64) float64 {
	return math.Max(median(intervals)+spread*mad(intervals), quantile(0.9, intervals))
}

// dayRows is one data day's row count.
type dayRows struct {
	day  time.Time
	rows float64
}

// rowRange predicts a day's rows from the history of earlier days (oldest
// first): the recent level (the median of the last week) times the day's
// weekday factor when the history holds three weeks of a daily table
// (weekends peak; a factor is the weekday's median over the median of
// all), so a trend is followed; give or take spread robust deviations of
// the history around its level, taken as ratios (a table's counts vary in
// proportion to their size: order lines come in orders), and at least the
// Poisson noise of a count (its square root).
func rowRange(hist []dayRows, day time.Time, daily bool) (center, lo, hi float64) {
	all := make([]float64, len(hist))
	for i, h := range hist {
		all[i] = h.rows
	}
	factor := func(time.Time) float64 { return 1 }
	seasonal := 0 // the same weekday's days the factor is learned from
	if m := median(all); daily && len(hist) >= 21 && m > 0 {
		byDay := map[time.Weekday][]float64{}
		for _, h := range hist {
			byDay[h.day.Weekday()] = append(byDay[h.day.Weekday()], h.rows)
		}
		factor = func(d time.Time) float64 {
			if v := byDay[d.Weekday()]; len(v) >= 2 && median(v) > 0 {
				return median(v) / m
			}
			return 1
		}
		if v := byDay[day.Weekday()]; len(v) >= 2 && median(v) > 0 {
			seasonal = len(v)
		}
	}
	level := make([]float64, len(hist))
	for i, h := range hist {
		level[i] = h.rows / factor(h.day)
	}
	recent := level[max(0, len(level)-7):]
	center = median(recent) * factor(day)
	rel := 0.0
	if m := median(level); m > 0 {
		rel = mad(level) / m
	}
	s := math.Max(center*rel, math.Max(math.Sqrt(center), 1))
	// A prediction interval: the day's own noise, and the error of the
	// medians it is predicted from (a median of n has a standard error of
	// about sqrt(pi/2n) standard deviations).
	v := 1 + math.Pi/2/float64(len(recent))
	if seasonal > 0 {
		v += math.Pi / 2 / float64(seasonal)
	}
	s *= math.Sqrt(v)
	return center, math.Max(0, center-spread*s), center + spread*s
}

// maxNulls is the most NULLs a day of n rows may hold for a column whose
// usual share is p: beyond it, so many NULLs are less likely than
// nullAlpha. A column never NULL before may hold none.
func maxNulls(n int64, p float64) int64 {
	if p <= 0 || n == 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	b := distuv.Binomial{N: float64(n), P: p}
	x := int64(math.Floor(float64(n) * p))
	for x < n && b.Survival(float64(x)) >= nullAlpha {
		x++
	}
	return x
}
