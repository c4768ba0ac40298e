package chart

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// Tick is one labelled value on an axis.
type Tick struct {
	Value float64
	Label string
}

// NiceTicks chooses at most maxTicks values between lo and hi, a "nice"
// step apart (1, 2 or 5 × 10^k), all inside [lo, hi]. With integer set the
// step is never below 1 (the axis counts things). It returns the step too.
func NiceTicks(lo, hi float64, maxTicks int, integer bool) ([]float64, float64) {
	if !finite(lo) || !finite(hi) || maxTicks < 1 {
		return nil, 0
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		return []float64{lo}, 0
	}
	if !finite(hi - lo) {
		return []float64{lo, hi}, 0
	}
	step := niceStep((hi-lo)/float64(max(1, maxTicks-1)), integer)
	for range 64 {
		first, last := math.Ceil(lo/step-1e-9), math.Floor(hi/step+1e-9)
		if n := last - first + 1; n <= float64(maxTicks) || maxTicks == 1 && n <= 1 {
			ticks := make([]float64, 0, int(max(0, n)))
			for i := 0; i < int(n); i++ {
				ticks = append(ticks, cleanZero((first+float64(i))*step))
			}
			return ticks, step
		}
		step = niceStep(step*1.000001, integer) // the next nice step up
	}
	return []float64{lo, hi}, hi - lo
}

// NiceRange widens [lo, hi] to the nice ticks just outside it, so an axis
// starts and ends on a labelled value, and returns those ticks (at most
// maxTicks of them, at least two).
func NiceRange(lo, hi float64, maxTicks int, integer bool) (nlo, nhi float64, ticks []float64, step float64) {
	if !finite(lo) || !finite(hi) {
		return 0, 1, []float64{0, 1}, 1
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		if integer {
			d = math.Max(1, math.Ceil(d))
		}
		lo, hi = lo-d, hi+d
	}
	maxTicks = max(2, maxTicks)
	if !finite(hi - lo) {
		return lo, hi, []float64{lo, hi}, 0
	}
	step = niceStep((hi-lo)/float64(maxTicks-1), integer)
	for range 64 {
		first, last := math.Floor(lo/step+1e-9), math.Ceil(hi/step-1e-9)
		if n := last - first + 1; n <= float64(maxTicks) {
			for i := 0; i < int(n); i++ {
				ticks = append(ticks, cleanZero((first+float64(i))*step))
			}
			return first * step, last * step, ticks, step
		}
		step = niceStep(step*1.000001, integer)
	}
	return lo, hi, []float64{lo, hi}, hi - lo
}

// niceStep is the smallest of 1, 2, 5 × 10^k at least raw.
func niceStep(raw float64, integer bool) float64 {
	if integer && raw <= 1 {
		return 1
	}
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := m * mag; s >= raw*(1-1e-9) {
			return s
		}
	}
	return 10 * mag
}

// cleanZero turns -0 and float noise around zero into 0.
func cleanZero(v float64) float64 {
	if math.Abs(v) < 1e-300 {
		return 0
	}
	return v
}

// TickLabel writes an axis value with the precision its step needs:
// thousands separators below 10,000 (2,500, 0.25), short units above
// (20k, 1.5M, 3B), so every label of an axis reads alike.
func TickLabel(v, step float64) string {
	if !finite(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	a := math.Abs(v)
	if a >= 1e4 && a < 1e15 {
		unit, suffix := unitOf(a)
		d := 0
		if step > 0 {
			d = decimalsFor(step / unit)
		}
		s := strconv.FormatFloat(v/unit, 'f', d, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s + suffix
	}
	if a >= 1e15 || a < 1e-6 && v != 0 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	d := 0
	if step > 0 {
		d = decimalsFor(step)
	}
	return lakehouse.GroupDigits(strconv.FormatFloat(v, 'f', d, 64))
}

// Human writes a value to read, not to compute with: three significant
// digits and a short unit from 10,000 up (12.3k, 4.56M), thousands
// separators and at most two decimals below (1,234.5, 0.25).
func Human(v float64) string {
	if !finite(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e15:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 1e4:
		unit, suffix := unitOf(a)
		if a/unit >= 999.5 && a < 999.5e12 { // 999,950 reads 1M, not 1000k
			unit, suffix = unitOf(a * 1.001)
		}
		return strconv.FormatFloat(v/unit, 'g', 3, 64) + suffix
	case a < 0.01:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return lakehouse.GroupDigits(s)
}

// unitOf is the short unit a magnitude of at least 1,000 is written in.
func unitOf(a float64) (float64, string) {
	switch {
	case a >= 1e12:
		return 1e12, "T"
	case a >= 1e9:
		return 1e9, "B"
	case a >= 1e6:
		return 1e6, "M"
	}
	return 1e3, "k"
}

// decimalsFor is how many decimals tell values step apart.
func decimalsFor(step float64) int {
	if step <= 0 || !finite(step) {
		return 0
	}
	d := int(math.Ceil(-math.Log10(step) - 1e-9))
	return min(max(0, d), 12)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// timeStep is one step a time axis may take.
type timeStep struct {
	d      time.Duration // fixed steps
	months int           // calendar steps (months, years as 12·n)
	layout string
}

var timeSteps = []timeStep{
	{d: time.Second, layout: "15:04:05"}, {d: 2 * time.Second, layout: "15:04:05"},
	{d: 5 * time.Second, layout: "15:04:05"}, {d: 10 * time.Second, layout: "15:04:05"},
	{d: 15 * time.Second, layout: "15:04:05"}, {d: 30 * time.Second, layout: "15:04:05"},
	{d: time.Minute, layout: "15:04"}, {d: 2 * time.Minute, layout: "15:04"},
	{d: 5 * time.Minute, layout: "15:04"}, {d: 10 * time.Minute, layout: "15:04"},
	{d: 15 * time.Minute, layout: "15:04"}, {d: 30 * time.Minute, layout: "15:04"},
	{d: time.Hour, layout: "15:04"}, {d: 2 * time.Hour, layout: "15:04"},
	{d: 3 * time.Hour, layout: "15:04"}, {d: 6 * time.Hour, layout: "15:04"},
	{d: 12 * time.Hour, layout: "15:04"},
	{d: 24 * time.Hour, layout: "Jan 02"}, {d: 48 * time.Hour, layout: "Jan 02"},
	{d: 7 * 24 * time.Hour, layout: "Jan 02"}, {d: 14 * 24 * time.Hour, layout: "Jan 02"},
	{months: 1, layout: "2006-01"}, {months: 2, layout: "2006-01"}, {months: 3, layout: "2006-01"},
	{months: 6, layout: "2006-01"},
	{months: 12, layout: "2006"}, {months: 24, layout: "2006"}, {months: 60, layout: "2006"},
	{months: 120, layout: "2006"}, {months: 240, layout: "2006"}, {months: 600, layout: "2006"},
	{months: 1200, layout: "2006"}, {months: 6000, layout: "2006"},
}

// TimeTicks chooses at most maxTicks instants between lo and hi (Unix
// seconds, UTC) on calendar boundaries a round step apart (1 s … 30 min,
// hours, days, weeks from Monday, months, quarters, years), each labelled
// as the span asks: 15:04 within a day (Jan 02 at midnight), Jan 02 for
// days and weeks, 2026-01 for months, 2026 for years.
func TimeTicks(lo, hi float64, maxTicks int) []Tick {
	if !finite(lo) || !finite(hi) || maxTicks < 1 || math.Abs(lo) > 3e11 || math.Abs(hi) > 3e11 {
		return nil
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	a, b := unixTime(lo), unixTime(hi)
	if lo == hi {
		return []Tick{{lo, a.Format("2006-01-02")}}
	}
	for _, st := range timeSteps {
		// A step that cannot fit (more than maxTicks whole steps in the
		// span) is skipped without walking its ticks.
		if st.months == 0 && st.d.Seconds()*float64(maxTicks) < (hi-lo)*0.999 {
			continue
		}
		if st.months > 0 && float64(st.months)*31*86400*float64(maxTicks) < hi-lo {
			continue
		}
		var ticks []Tick
		for t := firstTick(a, st); !t.After(b) && len(ticks) <= maxTicks; t = nextTick(t, st) {
			layout := st.layout
			if st.d > 0 && st.d < 24*time.Hour && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
				layout = "Jan 02" // times of day, and the day where one starts
			}
			ticks = append(ticks, Tick{float64(t.Unix()) + float64(t.Nanosecond())/1e9, t.Format(layout)})
		}
		if len(ticks) <= maxTicks {
			return ticks
		}
	}
	return []Tick{{lo, a.Format("2006")}, {hi, b.Format("2006")}}
}

func unixTime(s float64) time.Time {
	sec := math.Floor(s)
	return time.Unix(int64(sec), int64((s-sec)*1e9)).UTC()
}

// firstTick is the first boundary of step st at or after t.
func firstTick(t time.Time, st timeStep) time.Time {
	if st.months > 0 {
		m := t.Year()*12 + int(t.Month()) - 1
		if t.Day() != 1 || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			m++
		}
		if r := m % st.months; r > 0 {
			m += st.months - r
		} else if r < 0 {
			m -= r
		}
		return time.Date(0, time.January+time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	}
	if st.d >= 24*time.Hour {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		if day.Before(t) {
			day = day.AddDate(0, 0, 1)
		}
		if st.d == 7*24*time.Hour || st.d == 14*24*time.Hour {
			for day.Weekday() != time.Monday {
				day = day.AddDate(0, 0, 1)
			}
		}
		return day
	}
	tr := t.Truncate(st.d)
	if tr.Before(t) {
		tr = tr.Add(st.d)
	}
	return tr
}

func nextTick(t time.Time, st timeStep) time.Time {
	if st.months > 0 {
		return t.AddDate(0, st.months, 0)
	}
	if st.d >= 24*time.Hour {
		return t.AddDate(0, 0, int(st.d/(24*time.Hour)))
	}
	return t.Add(st.d)
}
