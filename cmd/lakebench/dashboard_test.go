package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/lakebench/lakebench/sampledata"
)

// TestDashboardCommand builds the sample (deployed, nightly run so the
// churn model has scored), then lists, prints and exports its dashboards
// as the owner and as an analyst.
func TestDashboardCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate")
	lb(t, dir, true, "bundle", "deploy")
	lb(t, dir, true, "bundle", "run", "nightly")

	out, _ := lb(t, dir, true, "dashboard")
	for _, name := range []string{"churn", "incidents", "revenue"} {
		if !strings.Contains(out, name) {
			t.Errorf("the list lacks %s:\n%s", name, out)
		}
	}

	// Printed at 100 columns when stdout is not a terminal, every tile
	// drawn (its title shown, no error).
	out, _ = lb(t, dir, true, "dashboard", "revenue")
	if !strings.HasPrefix(out, "Revenue health\n") {
		t.Errorf("no title:\n%s", out)
	}
	for i, l := range strings.Split(strings.TrimRight(out, "\n"), "\n")[1:] {
		if w := ansi.StringWidth(l); w != 100 {
			t.Errorf("line %d is %d wide, want 100: %q", i+2, w, l)
		}
	}
	for _, title := range []string{"Revenue, last 7 days", "Electronics revenue per day", "Revenue by category", "electronics", "▲"} {
		if !strings.Contains(out, title) {
			t.Errorf("the printed dashboard lacks %q:\n%s", title, out)
		}
	}

	// --json: the tiles' data, from which the dip shows.
	out, _ = lb(t, dir, true, "dashboard", "revenue", "--json")
	var doc struct {
		Dashboard string `json:"dashboard"`
		Tiles     []struct {
			Title string  `json:"title"`
			Kind  string  `json:"kind"`
			X     string  `json:"x"`
			Y     string  `json:"y"`
			Rows  [][]any `json:"rows"`
			Error string  `json:"error"`
			KPI   *struct {
				Value       float64 `json:"value"`
				HasPrevious bool    `json:"has_previous"`
			} `json:"kpi"`
		} `json:"tiles"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	f := sampledata.Incidents(sampledata.ScaleDev)
	found := 0
	for _, tile := range doc.Tiles {
		if tile.Error != "" {
			t.Errorf("tile %s: %s", tile.Title, tile.Error)
		}
		switch tile.Title {
		case "Revenue, last 7 days":
			found++
			if tile.KPI == nil || tile.KPI.Value <= 0 || !tile.KPI.HasPrevious {
				t.Errorf("revenue KPI %+v", tile.KPI)
			}
		case "Electronics revenue per day":
			found++
			dip, around := 0.0, 0.0
			nd, na := 0, 0
			for _, r := range tile.Rows {
				day, err := time.Parse(time.RFC3339, r[0].(string))
				if err != nil {
					t.Fatalf("x %v: %v", r[0], err)
				}
				d := int(day.Sub(sampledata.DayDate(1)).Hours()/24) + 1
				v := r[1].(float64)
				switch {
				case d >= f.RevenueDipFrom && d <= f.RevenueDipTo:
					dip, nd = dip+v, nd+1
				case d >= f.RevenueDipFrom-10 && d <= f.RevenueDipTo+10:
					around, na = around+v, na+1
				}
			}
			if nd == 0 || na == 0 || dip/float64(nd) > 0.8*around/float64(na) {
				t.Errorf("electronics: %.0f a day in the dip (%d days), %.0f around it (%d days)", dip/float64(max(nd, 1)), nd, around/float64(max(na, 1)), na)
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d of the 2 tiles checked in %s", found, out)
	}

	// An analyst sees the churn dashboard; the incidents one reads bronze
	// and silver, which analysts may not: the tiles say so, naming the
	// grant, and the command fails.
	lb(t, dir, true, "--as", "dana", "dashboard", "churn")
	out, stderr := lb(t, dir, false, "--as", "dana", "dashboard", "incidents", "--json")
	if !strings.Contains(out, "dana may not read") || !strings.Contains(out, "needs SELECT on") || !strings.Contains(stderr, "could not be evaluated") {
		t.Errorf("dana's incidents:\n%s\n%s", out, stderr)
	}
	if _, stderr := lb(t, dir, false, "dashboard", "revenu"); !strings.Contains(stderr, "did you mean revenue") {
		t.Errorf("an unknown dashboard: %s", stderr)
	}
}
