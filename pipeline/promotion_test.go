package pipeline

import (
	"context"
	"testing"
)

// stage deploys dir's bundle to target from and runs job there, as the
// walk from staging to prod does, and closes the target.
func stage(t *testing.T, dir, from, job string) {
	t.Helper()
	ctx := context.Background()
	p := loadTarget(t, dir, from)
	lh := openAt(t, p)
	defer lh.Close()
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatalf("deploy %s: %v", from, err)
	}
	if job == "" {
		return
	}
	if _, err := p.Run(ctx, lh, RunOptions{Job: job}); err != nil {
		t.Fatalf("run %s on %s: %v", job, from, err)
	}
}
