package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// referenceRun is the same pipeline written by hand against DuckDB: each
// source read in one statement (DuckDB skipping what it cannot parse), the
// same model SQL, the same quality statements. No exactly-once bookkeeping,
// no conservation check, no per-row lineage beyond the file name.
func referenceRun(ctx context.Context, p *Project, lh *lakehouse.Lakehouse) error {
	names := make([]string, 0, len(p.Resources.Sources))
	for n := range p.Resources.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := p.Resources.Sources[n]
		glob := lakehouse.QuoteString(filepath.Join(p.Dir, s.Path))
		var read string
		switch s.Format {
		case "csv":
			read = "read_csv(" + glob + ", filename=true, ignore_errors=true)"
		case "json":
			read = "read_json(" + glob + ", filename=true, ignore_errors=true, format='newline_delimited')"
		default:
			read = "read_parquet(" + glob + ", filename=true)"
		}
		stmt := "CREATE OR REPLACE TABLE bronze." + n + " AS SELECT * EXCLUDE (filename), filename AS _source_file, now()::TIMESTAMP AS _ingested_at, " +
			"regexp_extract(filename, '\\d{4}-\\d{2}-\\d{2}') AS _batch_id FROM " + read
		if _, err := lh.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	models, err := p.Models(ctx, lh)
	if err != nil {
		return err
	}
	for _, m := range models {
		if _, err := lh.Exec(ctx, "CREATE OR REPLACE TABLE "+m.Table.SQL()+" AS "+strings.TrimRight(strings.TrimSpace(m.SQL), ";")); err != nil {
			return fmt.Errorf("%s: %w", m.Table, err)
		}
		rules, err := p.Rules(m.Table.String())
		if err != nil {
			return err
		}
		var fails []string
		for _, r := range rules {
			if r.Criticality == "error" {
				fails = append(fails, "NOT coalesce(("+r.Expression+"), false)")
			}
		}
		if len(fails) > 0 {
			where := strings.Join(fails, " OR ")
			q := m.Table.Schema + "." + m.Table.Name + "_quarantine"
			if _, err := lh.Exec(ctx, "CREATE OR REPLACE TABLE "+q+" AS SELECT * FROM "+m.Table.SQL()+" WHERE "+where+"; DELETE FROM "+m.Table.SQL()+" WHERE "+where); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchmarkPipelineStaging runs the whole sample pipeline on staging-scale
// data with lakebench and, in the same iteration, the same SQL directly on
// DuckDB, each into a fresh database file. It reports lakebench's overhead
// (median of per-iteration time ratios minus one).
func BenchmarkPipelineStaging(b *testing.B) {
	dir := b.TempDir()
	if err := sampledata.WriteProject(dir); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sampledata.Generate(ctx, dir, sampledata.Options{Scale: sampledata.ScaleStaging}); err != nil {
		b.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	var ours, ref []time.Duration
	b.ResetTimer()
	for i := range b.N {
		refPath := filepath.Join(dir, fmt.Sprintf("ref%d.duckdb", i))
		start := time.Now()
		lh, err := lakehouse.Open(ctx, refPath, lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := referenceRun(ctx, p, lh); err != nil {
			b.Fatal(err)
		}
		lh.Close()
		ref = append(ref, time.Since(start))

		start = time.Now()
		lh, err = lakehouse.Open(ctx, p.DatabasePath(fmt.Sprintf("bench%d", i)), lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Run(ctx, lh, RunOptions{Target: "bench"}); err != nil {
			b.Fatal(err)
		}
		lh.Close()
		ours = append(ours, time.Since(start))
		os.Remove(refPath)
		os.Remove(p.DatabasePath(fmt.Sprintf("bench%d", i)))
	}
	b.StopTimer()
	ratios := make([]float64, len(ours))
	for i := range ours {
		ratios[i] = float64(ours[i]) / float64(ref[i])
	}
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2]-1, "overhead")
	b.ReportMetric(medianDuration(ref).Seconds(), "duckdb_s")
	b.ReportMetric(medianDuration(ours).Seconds(), "lakebench_s")
}

func medianDuration(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
