package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Review of issue 12's governance: attempts to get content into prod that
// never passed the gate. Each must fail closed.

// TestAttackRunEditedFilesOnProd: prod is deployed through the gate, then
// a model's SQL is edited and the job run on prod without a deploy. The run
// would put unstaged SQL into prod's tables: refused, naming the deploy.
func TestAttackRunEditedFilesOnProd(t *testing.T) {
	ctx := context.Background()
	dir := writeAdminProject(t)
	stage(t, dir, "dev", "nightly")
	p := loadTarget(t, dir, "prod")
	lh := openAt(t, p)
	if _, err := p.Deploy(ctx, lh, ""); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id, customer, amount * 100 as amount from bronze.orders")
	edited := loadTarget(t, dir, "prod")
	_, err := edited.Run(ctx, lh, RunOptions{Job: "nightly"})
	if err == nil || !strings.Contains(err.Error(), "bundle deploy -t prod") {
		t.Fatalf("a run of files edited after prod's deploy: %v, want a refusal naming the deploy", err)
	}
	if n := count(t, lh, "select * from sys.runs"); n != 0 {
		t.Errorf("%d runs recorded on prod, want none", n)
	}
	// The deployed files run.
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id, customer, amount from bronze.orders")
	if _, err := loadTarget(t, dir, "prod").Run(ctx, lh, RunOptions{Job: "nightly"}); err != nil {
		t.Fatalf("a run of the deployed files: %v", err)
	}
}

// TestAttackStagingSymlinkedToAnotherProject: dev's database is a link to
// another project's green dev: refused as untrustworthy.
func TestAttackStagingCopiedFromAnotherProject(t *testing.T) {
	ctx := context.Background()
	other := writeAdminProject(t)
	stage(t, other, "dev", "nightly")
	dir := writeAdminProject(t)
	src := loadTarget(t, other, "dev").DatabasePath("dev")
	dst := loadTarget(t, dir, "dev").DatabasePath("dev")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p := loadTarget(t, dir, "prod")
	lh := openAt(t, p)
	gateRefusal(t, p, lh, DeployOptions{}, Untrustworthy)
	os.Remove(dst)
	if err := os.Symlink(src, dst); err != nil {
		t.Fatal(err)
	}
	gateRefusal(t, p, lh, DeployOptions{}, Untrustworthy)
	_ = ctx
}
