package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestUsageCommand: `lakebench usage --by job --json` sums what sys.usage
// holds: the job's rows written are its tasks', a query has its own group,
// the total is the groups' sum; --by target reads every target's file,
// and an unknown grouping is an error that names the right ones.
func TestUsageCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate")
	out, _ := lb(t, dir, true, "bundle", "run", "nightly", "--json")
	var run struct {
		Tasks []lakehouse.TaskRun `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil {
		t.Fatalf("run --json: %v\n%s", err, out)
	}
	var written int64
	for _, tr := range run.Tasks {
		written += tr.RowsWritten
	}
	lb(t, dir, true, "query", "select count(*) from silver.orders")

	out, _ = lb(t, dir, true, "usage", "--by", "job", "--json")
	var doc struct {
		By      string                   `json:"by"`
		Targets []string                 `json:"targets"`
		Groups  []lakehouse.UsageSummary `json:"groups"`
		Total   lakehouse.UsageSummary   `json:"total"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("usage --json: %v\n%s", err, out)
	}
	groups := map[string]lakehouse.UsageSummary{}
	var sum lakehouse.UsageSummary
	for _, g := range doc.Groups {
		groups[g.Key] = g
		sum.Records += g.Records
		sum.Quantity += g.Quantity
		sum.Cost += g.Cost
		sum.RowsWritten += g.RowsWritten
	}
	nightly, query := groups["nightly"], groups["(query)"]
	if nightly.Records != int64(len(run.Tasks)) || nightly.RowsWritten != written || nightly.Quantity <= 0 || nightly.Cost <= 0 {
		t.Errorf("nightly: %+v, want %d records (its tasks) with %d rows written, a quantity and a cost", nightly, len(run.Tasks), written)
	}
	if query.Records != 1 || query.RowsRead <= 0 {
		t.Errorf("(query): %+v, want the one query, with the rows it read", query)
	}
	if doc.By != "job" || len(doc.Targets) != 1 || doc.Targets[0] != "dev" || doc.Total.Records != sum.Records ||
		math.Abs(doc.Total.Quantity-sum.Quantity) > 1e-6 || math.Abs(doc.Total.Cost-sum.Cost) > 1e-12 {
		t.Errorf("usage: by %s on %v, total %+v; the groups sum to %+v", doc.By, doc.Targets, doc.Total, sum)
	}
	// The groups are sys.usage's rows, summed, and the query's: a
	// read-only session's record, in the usage log until a writer opens.
	rows := queryJSON(t, dir, "select count(*), sum(usage_quantity), sum(rows_written) from sys.usage")
	n, q, w := rows[0][0].(float64), rows[0][1].(float64), rows[0][2].(float64)
	if int64(n)+query.Records != sum.Records || math.Abs(q+query.Quantity-sum.Quantity) > 1e-6 || int64(w) != sum.RowsWritten {
		t.Errorf("sys.usage holds %v records, %v compute-s, %v rows written, the log the query's %+v; usage --by job summed %d, %g, %d",
			n, q, w, query, sum.Records, sum.Quantity, sum.RowsWritten)
	}
	out, _ = lb(t, dir, true, "usage", "--by", "target")
	if !strings.Contains(out, "usage by target on target dev") || !strings.Contains(out, "\ndev ") || !strings.Contains(out, " USD") {
		t.Errorf("usage --by target:\n%s", out)
	}
	_, stderr := lb(t, dir, false, "usage", "--by", "team")
	if !strings.Contains(stderr, "--by team: use one of job, target, principal, day, task, kind") {
		t.Errorf("usage --by team:\n%s", stderr)
	}
}
