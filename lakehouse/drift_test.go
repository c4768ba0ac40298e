package lakehouse

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// driftReference is testdata/drift_reference.json, computed by
// testdata/drift_reference.py with scipy.
type driftReference struct {
	Numeric []struct {
		Name                     string    `json:"name"`
		A                        []float64 `json:"a"`
		B                        []float64 `json:"b"`
		KSStatistic              float64   `json:"ks_statistic"`
		KSPValue                 float64   `json:"ks_pvalue"`
		Wasserstein              float64   `json:"wasserstein_distance"`
		PopulationStabilityIndex float64   `json:"population_stability_index"`
	} `json:"numeric"`
	Categorical []struct {
		Name         string           `json:"name"`
		A            map[string]int64 `json:"a"`
		B            map[string]int64 `json:"b"`
		ChiStatistic float64          `json:"chi_squared_statistic"`
		ChiPValue    float64          `json:"chi_squared_pvalue"`
		JSDistance   float64          `json:"js_distance"`
		TVDistance   float64          `json:"tv_distance"`
		LInfDistance float64          `json:"l_infinity_distance"`
	} `json:"categorical"`
}

// TestDriftStatisticsMatchScipy checks each drift statistic against the
// values scipy computed on the same fixed samples.
func TestDriftStatisticsMatchScipy(t *testing.T) {
	b, err := os.ReadFile("testdata/drift_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref driftReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Numeric) < 5 || len(ref.Categorical) < 5 {
		t.Fatalf("reference has %d numeric and %d categorical cases", len(ref.Numeric), len(ref.Categorical))
	}
	near := func(name, stat string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: %s = %.17g, want %.17g (scipy)", name, stat, got, want)
		}
	}
	for _, c := range ref.Numeric {
		ks := KSTest(c.A, c.B)
		near(c.Name, "ks statistic", ks.Statistic, c.KSStatistic, 1e-12)
		near(c.Name, "ks pvalue", ks.PValue, c.KSPValue, 1e-9)
		near(c.Name, "wasserstein_distance", Wasserstein(c.A, c.B), c.Wasserstein, 1e-9)
		near(c.Name, "population_stability_index", PSI(c.A, c.B), c.PopulationStabilityIndex, 1e-9)
	}
	for _, c := range ref.Categorical {
		s := CompareCounts(c.A, c.B)
		near(c.Name, "chi_squared statistic", s.ChiSquared.Statistic, c.ChiStatistic, 1e-9)
		near(c.Name, "chi_squared pvalue", s.ChiSquared.PValue, c.ChiPValue, 1e-9)
		near(c.Name, "js_distance", s.JS, c.JSDistance, 1e-9)
		near(c.Name, "tv_distance", s.TV, c.TVDistance, 1e-12)
		near(c.Name, "l_infinity_distance", s.LInfinity, c.LInfDistance, 1e-12)
	}
}

// TestKolmogorovSurvivalBranches: the two series agree where they meet
// and the tails are right.
func TestKolmogorovSurvivalBranches(t *testing.T) {
	lo, hi := kolmogorovSurvival(math.Nextafter(1, 0)), kolmogorovSurvival(1)
	if math.Abs(lo-hi) > 1e-12 {
		t.Errorf("at 1: small-x series %v, large-x series %v", lo, hi)
	}
	if got := kolmogorovSurvival(0); got != 1 {
		t.Errorf("P(K > 0) = %v, want 1", got)
	}
	if got := kolmogorovSurvival(10); got != 0 && got > 1e-80 {
		t.Errorf("P(K > 10) = %v, want ~0", got)
	}
}

// TestDriftSmallWindowsPSIAloneDoesNotFlag: two windows of 30 draws of the
// same distribution have a PSI past 0.2 by chance but no KS evidence: not
// flagged. A real shift of the same size flags by both.
func TestDriftSmallWindowsPSIAloneDoesNotFlag(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	draw := func(n int, shift float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = rng.NormFloat64() + shift
		}
		return out
	}
	th := DefaultDriftThresholds
	noise := 0
	for range 50 {
		a, b := draw(30, 0), draw(30, 0)
		if PSI(a, b) < th["population_stability_index"] || KSTest(a, b).PValue < th["ks_pvalue"] {
			continue
		}
		noise++
		d := compareProfiles(ColumnProfile{ColumnName: "x", DataType: "DOUBLE", Sample: a}, ColumnProfile{ColumnName: "x", DataType: "DOUBLE", Sample: b}, th)
		if d.Flagged {
			t.Fatalf("same distribution, PSI %.2f, KS p %.2f: flagged by %v", *d.PopulationStabilityIdx, d.KSTest.PValue, d.FlaggedBy)
		}
	}
	if noise == 0 {
		t.Fatal("no pair of small windows had a PSI past 0.2 by chance: the test checks nothing")
	}
	d := compareProfiles(ColumnProfile{ColumnName: "x", DataType: "DOUBLE", Sample: draw(300, 0)}, ColumnProfile{ColumnName: "x", DataType: "DOUBLE", Sample: draw(300, 1)}, th)
	if !d.Flagged || len(d.FlaggedBy) < 2 {
		t.Errorf("a one-sigma shift on 300 rows: flagged %v by %v, want ks_test and population_stability_index", d.Flagged, d.FlaggedBy)
	}
}
