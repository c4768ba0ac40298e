package lakehouse

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Drift statistics, as Databricks Lakehouse Monitoring's drift metrics,
// computed in Go (on gonum) from what DuckDB hands over: a bounded sample
// of a numeric column per window (SampleSize values, every value when the
// window holds fewer) and the exact value counts of a categorical column
// (its CategoryLimit most frequent values, the rest counted as one).
//
// Each statistic is checked against scipy on fixed samples
// (testdata/drift_reference.py, its output kept in
// testdata/drift_reference.json):
//   - ks_test: the two-sample Kolmogorov-Smirnov statistic D (gonum's
//     stat.KolmogorovSmirnov; scipy.stats.ks_2samp's statistic) and its
//     asymptotic two-sided p-value, the Kolmogorov distribution's survival
//     function at D*sqrt(n*m/(n+m)) (scipy.stats.kstwobign.sf, what
//     ks_2samp's method="asymp" returned before scipy 1.5; the exact
//     p-value costs O(n*m), too much for samples of thousands).
//   - wasserstein_distance: the area between the two empirical CDFs
//     (scipy.stats.wasserstein_distance).
//   - population_stability_index: sum over bins of (a-e)*ln(a/e), where e
//     and a are the shares of the reference and the compared sample in
//     bins cut at the distinct deciles of the reference sample (numpy's
//     default, linear, quantiles), each share at least psiFloor so an
//     empty bin counts finitely.
//   - chi_squared_test: Pearson's chi-squared test of homogeneity on the
//     2 x k table of counts (scipy.stats.chi2_contingency with
//     correction=False), p from the chi-squared survival function with
//     k-1 degrees of freedom (gonum's distuv.ChiSquared).
//   - js_distance: the Jensen-Shannon distance in base 2, so within 0..1
//     (scipy.spatial.distance.jensenshannon(p, q, base=2)).
//   - tv_distance: half the L1 distance of the two distributions; and
//     l_infinity_distance: their largest difference.

// SampleSize bounds the values of a numeric column per window that KS,
// Wasserstein and PSI compare: a uniform sample of that many rows (every
// row of a smaller window).
const SampleSize = 5000

// CategoryLimit is how many of a column's most frequent values the
// categorical statistics compare one by one; the rest count as one value.
const CategoryLimit = 100

// psiFloor is the least share a PSI bin counts with.
const psiFloor = 1e-4

// DefaultDriftThresholds are the keys of quality_monitors'
// drift_thresholds with their defaults (0: not checked unless set). A flag
// needs both evidence and size, so that neither a small window's noise nor
// a huge window's negligible change flags: a numeric column is flagged by
// ks_test when its p-value is below ks_pvalue AND its statistic at least
// ks_statistic, and by population_stability_index (an effect size) past
// 0.2, the usual "significant shift", when the KS p-value is below
// ks_pvalue too (PSI alone flags noise on small windows); a categorical
// column by
// chi_squared_test when its p-value is below chi_squared_pvalue AND one of
// js_distance, tv_distance (or l_infinity_distance, when set) is at least
// its threshold. wasserstein_distance (in the column's unit),
// percent_null_delta and percent_distinct_delta (percentage points) flag
// alone when set. The p-values are stricter than the textbook 0.05
// because a time series compares every window each run: 50 daily windows
// at 0.05 flag two or three by chance.
var DefaultDriftThresholds = map[string]float64{
	"ks_pvalue":                  0.01,
	"ks_statistic":               0.1,
	"population_stability_index": 0.2,
	"wasserstein_distance":       0,
	"chi_squared_pvalue":         0.01,
	"js_distance":                0.1,
	"tv_distance":                0.1,
	"l_infinity_distance":        0,
	"percent_null_delta":         0,
	"percent_distinct_delta":     0,
}

// DriftThresholdKeys are the keys drift_thresholds accepts, sorted.
func DriftThresholdKeys() []string {
	keys := make([]string, 0, len(DefaultDriftThresholds))
	for k := range DefaultDriftThresholds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// KSTest is the two-sample Kolmogorov-Smirnov test of two samples (any
// order; NaNs must be left out): D and its asymptotic two-sided p-value.
func KSTest(a, b []float64) TestResult {
	if len(a) == 0 || len(b) == 0 {
		return TestResult{Statistic: math.NaN(), PValue: math.NaN()}
	}
	x, y := sorted(a), sorted(b)
	d := stat.KolmogorovSmirnov(x, nil, y, nil)
	n, m := float64(len(x)), float64(len(y))
	return TestResult{Statistic: d, PValue: kolmogorovSurvival(d * math.Sqrt(n*m/(n+m)))}
}

// kolmogorovSurvival is P(K > x) for the Kolmogorov distribution:
// 2 * sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2), and for small x, where that
// series converges slowly, 1 - sqrt(2 pi)/x * sum_{k>=1} exp(-(2k-1)^2
// pi^2 / (8 x^2)).
func kolmogorovSurvival(x float64) float64 {
	switch {
	case x <= 0:
		return 1
	case x < 1:
		var s float64
		for k := 1; k <= 20; k++ {
			t := float64(2*k - 1)
			s += math.Exp(-t * t * math.Pi * math.Pi / (8 * x * x))
		}
		return 1 - math.Sqrt(2*math.Pi)/x*s
	}
	var s float64
	for k := 1; k <= 100; k++ {
		term := math.Exp(-2 * float64(k*k) * x * x)
		if k%2 == 0 {
			s -= term
		} else {
			s += term
		}
		if term < 1e-18 {
			break
		}
	}
	return math.Max(0, math.Min(1, 2*s))
}

// Wasserstein is the first Wasserstein (earth mover's) distance between
// the empirical distributions of two samples: the integral of |F_a - F_b|.
func Wasserstein(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	x, y := sorted(a), sorted(b)
	all := sorted(append(append([]float64(nil), x...), y...))
	var sum float64
	var i, j int
	for k := 0; k < len(all)-1; k++ {
		for i < len(x) && x[i] <= all[k] {
			i++
		}
		for j < len(y) && y[j] <= all[k] {
			j++
		}
		fa, fb := float64(i)/float64(len(x)), float64(j)/float64(len(y))
		sum += math.Abs(fa-fb) * (all[k+1] - all[k])
	}
	return sum
}

// PSI is the population stability index of sample actual against the
// reference sample expected, over bins cut at the reference's distinct
// deciles (see the file's comment).
func PSI(expected, actual []float64) float64 {
	if len(expected) == 0 || len(actual) == 0 {
		return math.NaN()
	}
	ref := sorted(expected)
	var edges []float64
	for q := 1; q <= 9; q++ {
		e := quantile7(ref, float64(q)/10)
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	share := func(s []float64) []float64 {
		out := make([]float64, len(edges)+1)
		for _, v := range s {
			out[sort.SearchFloat64s(edges, v)]++ // bins (e[i-1], e[i]]
		}
		for i := range out {
			out[i] = math.Max(out[i]/float64(len(s)), psiFloor)
		}
		return out
	}
	e, a := share(ref), share(actual)
	var psi float64
	for i := range e {
		psi += (a[i] - e[i]) * math.Log(a[i]/e[i])
	}
	return psi
}

// quantile7 is numpy's default (linear, Hyndman and Fan's type 7) quantile
// of sorted s.
func quantile7(s []float64, p float64) float64 {
	h := p * float64(len(s)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// CategoricalStats are the statistics of two categorical distributions.
type CategoricalStats struct {
	ChiSquared TestResult
	JS, TV     float64
	LInfinity  float64
}

// CompareCounts compares the value counts of two windows: chi-squared test
// of homogeneity, Jensen-Shannon, total variation and L-infinity
// distances. Values counted in neither are left out.
func CompareCounts(a, b map[string]int64) CategoricalStats {
	keys := make([]string, 0, len(a)+len(b))
	for k, n := range a {
		if n > 0 || b[k] > 0 {
			keys = append(keys, k)
		}
	}
	for k, n := range b {
		if _, ok := a[k]; !ok && n > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var na, nb float64
	for _, k := range keys {
		na += float64(a[k])
		nb += float64(b[k])
	}
	nan := math.NaN()
	if na == 0 || nb == 0 {
		return CategoricalStats{ChiSquared: TestResult{nan, nan}, JS: nan, TV: nan, LInfinity: nan}
	}
	p, q := make([]float64, len(keys)), make([]float64, len(keys))
	var chi, tv, linf float64
	total := na + nb
	for i, k := range keys {
		oa, ob := float64(a[k]), float64(b[k])
		col := oa + ob
		ea, eb := na*col/total, nb*col/total
		chi += (oa-ea)*(oa-ea)/ea + (ob-eb)*(ob-eb)/eb
		p[i], q[i] = oa/na, ob/nb
		d := math.Abs(p[i] - q[i])
		tv += d / 2
		linf = math.Max(linf, d)
	}
	out := CategoricalStats{TV: tv, LInfinity: linf, JS: math.Sqrt(math.Max(0, stat.JensenShannon(p, q)/math.Ln2))}
	out.ChiSquared.Statistic = chi
	if dof := len(keys) - 1; dof > 0 {
		out.ChiSquared.PValue = distuv.ChiSquared{K: float64(dof)}.Survival(chi)
	} else {
		out.ChiSquared.PValue = 1 // one value on both sides: nothing to tell apart
	}
	return out
}

func sorted(s []float64) []float64 {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// finite returns v when it is a number, else nil (JSON and SQL have no NaN).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
