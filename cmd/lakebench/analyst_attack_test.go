package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttackAnalystCommands: as dana (gold and ml), chen (silver, gold,
// ml) and ben (engineers: all but sys), the dashboards' tiles that read
// past the grants carry an error naming the grant and no rows; queries
// through settings, comments and odd unicode are refused.
func TestAttackAnalystCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate", "--days", "2")
	lb(t, dir, true, "bundle", "deploy", "-t", "dev")
	lb(t, dir, true, "run")
	for _, who := range []string{"dana", "chen", "ben"} {
		for _, d := range []string{"churn", "incidents", "revenue"} {
			cmd := exec.Command(bin, "--as", who, "dashboard", d, "--json")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "LAKEBENCH_HOME="+filepath.Join(dir, ".home"))
			b, _ := cmd.Output()
			out := string(b)
			var doc struct {
				Tiles []struct {
					Title string  `json:"title"`
					Rows  [][]any `json:"rows"`
					Error string  `json:"error"`
				} `json:"tiles"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("%s's %s: bad JSON: %v\n%s", who, d, err, out)
			}
			for _, tile := range doc.Tiles {
				if tile.Error != "" && len(tile.Rows) > 0 || strings.Contains(tile.Error, "may not") && !strings.Contains(tile.Error, who+" may not") {
					t.Errorf("%s's %s tile %q: %s, %d rows", who, d, tile.Title, tile.Error, len(tile.Rows))
				}
			}
		}
	}
	for _, q := range []string{
		"select current_setting('temp_directory')",
		"/* select */ select count(*) from silver.orders",
		"select 1 \u037e select count(*) from silver.orders",
		"select 1 -- \n; select count(*) from silver.orders",
		"select * from lb_snapshot_1",
		"select * from temp.main.lb_live_1",
		"select * from sys.query_history",
	} {
		stdout, stderr := lb(t, dir, false, "--as", "dana", "query", q, "--format", "csv")
		if stdout != "" || stderr == "" {
			t.Errorf("dana: %q\nstdout: %s\nstderr: %s", q, stdout, stderr)
		}
	}
}
