package pipeline

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// referenceUnitTests does by hand what the sample's unit tests do: in one
// in-memory DuckDB, each test's input tables made by a CREATE TABLE AS
// over literal VALUES (with the types lakebench decided), the model's SQL
// run and its rows fetched. No parsing of test files, no type decisions,
// no comparison.
func referenceUnitTests(ctx context.Context, lh *lakehouse.Lakehouse, models map[string]Model, files []TestFile, decided map[string][]TestTable) error {
	for _, f := range files {
		for _, t := range f.Tests {
			var made []string
			for _, in := range decided[t.Name] {
				var cols, casts []string
				for _, c := range in.Columns {
					cols = append(cols, lakehouse.QuoteIdent(c.Name))
					casts = append(casts, "CAST("+lakehouse.QuoteIdent(c.Name)+" AS "+c.Type+") AS "+lakehouse.QuoteIdent(c.Name))
				}
				var given TestInput
				for _, g := range t.Inputs {
					if strings.EqualFold(g.Table, in.Table) {
						given = g
					}
				}
				var rows []string
				for i, r := range given.Rows {
					var vals []string
					for _, c := range in.Columns {
						v, ok := r.Values[c.Name]
						switch {
						case c.Name == "_ingested_at" && !ok:
							vals = append(vals, fmt.Sprintf("'2000-01-01 00:00:%02d'", i))
						case v == nil:
							vals = append(vals, "NULL")
						default:
							vals = append(vals, lakehouse.QuoteString(fmt.Sprint(v)))
						}
					}
					rows = append(rows, "("+strings.Join(vals, ", ")+")")
				}
				table, _ := lakehouse.ParseTableName(in.Table)
				stmt := "CREATE OR REPLACE TABLE " + table.SQL() + " AS SELECT " + strings.Join(casts, ", ") + " FROM (VALUES " + strings.Join(rows, ", ") + ") AS v(" + strings.Join(cols, ", ") + ")"
				if len(rows) == 0 {
					stmt = "CREATE OR REPLACE TABLE " + table.SQL() + " AS SELECT " + strings.Join(casts, ", ") + " FROM (SELECT " + strings.Repeat("NULL, ", len(cols)-1) + "NULL) AS v(" + strings.Join(cols, ", ") + ") LIMIT 0"
				}
				if _, err := lh.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("%s %s: %w", t.Name, in.Table, err)
				}
				made = append(made, table.SQL())
			}
			if _, err := lh.Query(ctx, models[t.Model].SQL); err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			for _, m := range made {
				if _, err := lh.Exec(ctx, "DROP TABLE "+m); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// BenchmarkUnitTests runs the sample's unit tests with lakebench and, in
// the same iteration, the same tables and SQL by hand on DuckDB; it
// reports lakebench's time over the reference's (median of the
// per-iteration ratios).
func BenchmarkUnitTests(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	files, diags := p.LoadTests()
	if len(diags) > 0 {
		b.Fatal(diags)
	}
	res, err := p.RunUnitTests(ctx, TestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	decided := map[string][]TestTable{}
	for _, r := range res {
		if r.Status != TestPass {
			b.Fatalf("%s: %s", r.Name, r.Message)
		}
		decided[r.Name] = r.Inputs
	}
	var ratios []float64
	var lbTimes, refTimes []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := p.RunUnitTests(ctx, TestOptions{}); err != nil {
			b.Fatal(err)
		}
		lbTime := time.Since(start)
		start = time.Now()
		lh, err := lakehouse.Open(ctx, "", lakehouse.Options{Threads: 1})
		if err != nil {
			b.Fatal(err)
		}
		ms, err := p.Models(ctx, lh)
		if err != nil {
			b.Fatal(err)
		}
		models := map[string]Model{}
		for _, m := range ms {
			models[m.Table.String()] = m
		}
		if err := referenceUnitTests(ctx, lh, models, files, decided); err != nil {
			b.Fatal(err)
		}
		lh.Close()
		refTime := time.Since(start)
		lbTimes, refTimes = append(lbTimes, lbTime), append(refTimes, refTime)
		ratios = append(ratios, lbTime.Seconds()/refTime.Seconds())
	}
	sort.Float64s(ratios)
	sort.Slice(lbTimes, func(i, j int) bool { return lbTimes[i] < lbTimes[j] })
	sort.Slice(refTimes, func(i, j int) bool { return refTimes[i] < refTimes[j] })
	b.ReportMetric(ratios[len(ratios)/2], "x_reference")
	b.ReportMetric(lbTimes[len(lbTimes)/2].Seconds()*1000, "lakebench_ms")
	b.ReportMetric(refTimes[len(refTimes)/2].Seconds()*1000, "reference_ms")
}
