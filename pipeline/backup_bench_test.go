package pipeline

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/sampledata"
)

// TestServeFileCheckChild is the damaged-file check's child process for
// the backup benchmark (as the lakebench binary's `internal check-db`).
func TestServeFileCheckChild(t *testing.T) {
	path := os.Getenv("LAKEBENCH_TEST_CHECK_DB")
	if path == "" {
		t.Skip("the file check's child of BenchmarkBackupStaging")
	}
	os.Exit(lakehouse.ServeFileCheck(path))
}

// plainCopy copies src to dst and syncs it: the reference a backup is
// measured against.
func plainCopy(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func backupMedian(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkBackupStaging runs the sample pipeline on staging-scale data
// once, then per iteration backs the target up (checkpoint, copy, the
// child-process check, the row counts), copies the same file plainly
// (copy and sync) and restores the latest snapshot (the RTO). It reports
// the medians and the ratios of the medians to the plain copy.
func BenchmarkBackupStaging(b *testing.B) {
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
	lakehouse.SetFileCheck(func(ctx context.Context, path string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestServeFileCheckChild$")
		cmd.Env = append(os.Environ(), "LAKEBENCH_TEST_CHECK_DB="+path)
		return cmd
	})
	defer lakehouse.SetFileCheck(nil)
	path := p.DatabasePath("dev")
	lh, err := lakehouse.Open(ctx, path, lakehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		b.Fatal(err)
	}
	lh.Close()
	opts := p.BackupOptions("dev")
	opts.Keep = 2
	var backups, copies, restores []time.Duration
	var size int64
	b.ResetTimer()
	for range b.N {
		lh, err := lakehouse.Open(ctx, path, lakehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		info, err := lh.Backup(ctx, opts)
		backups = append(backups, time.Since(start))
		lh.Close()
		if err != nil {
			b.Fatal(err)
		}
		size = info.Bytes

		ref := filepath.Join(dir, "plain-copy.duckdb")
		start = time.Now()
		if err := plainCopy(path, ref); err != nil {
			b.Fatal(err)
		}
		copies = append(copies, time.Since(start))
		os.Remove(ref)

		r, err := lakehouse.Restore(ctx, path, lakehouse.RestoreOptions{Dir: opts.Dir, Snapshot: "latest", Principal: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		restores = append(restores, r.Duration)
		os.Remove(r.SetAside)
	}
	b.StopTimer()
	bk, cp, rs := backupMedian(backups), backupMedian(copies), backupMedian(restores)
	b.ReportMetric(float64(size)/1e6, "file_MB")
	b.ReportMetric(float64(bk.Milliseconds()), "backup_ms")
	b.ReportMetric(float64(cp.Milliseconds()), "copy_ms")
	b.ReportMetric(float64(rs.Milliseconds()), "restore_ms")
	b.ReportMetric(float64(bk)/float64(cp), "backup_vs_copy")
	b.ReportMetric(float64(rs)/float64(cp), "restore_vs_copy")
}
