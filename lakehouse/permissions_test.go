package lakehouse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestTargetPermissions: the first deployer stays the owner, levels come
// through groups, unknown levels are refused, only the owner hands
// ownership over, and Destroy deletes under the lock it holds.
func TestTargetPermissions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if err := lh.CheckPermission(ctx, "anyone", CanManage, "deploy"); err != nil {
		t.Errorf("before the first deploy the target is open: %v", err)
	}
	deploy := func(owner string, perms []TargetPermission) error {
		tx, err := lh.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := tx.DeployGovernance(ctx, Governance{Owner: owner, Groups: map[string][]string{"engineers": {"ben"}}}); err != nil {
			return err
		}
		if err := tx.DeployPermissions(ctx, perms); err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := deploy("ana", []TargetPermission{{Level: CanManage, Principal: "engineers", Kind: "group"}, {Level: CanRun, Principal: "chen", Kind: "user"}}); err != nil {
		t.Fatal(err)
	}
	if err := deploy("ben", []TargetPermission{{Level: CanManage, Principal: "engineers", Kind: "group"}, {Level: CanRun, Principal: "chen", Kind: "user"}}); err != nil {
		t.Fatal(err)
	}
	if o, _ := lh.Owner(ctx); o != "ana" {
		t.Errorf("owner %q after a second deploy, want the first deployer ana", o)
	}
	if err := deploy("ana", []TargetPermission{{Level: "IS_OWNER", Principal: "dana", Kind: "user"}}); err == nil {
		t.Errorf("an unknown level was deployed")
	}
	for _, c := range []struct {
		who, level string
		ok         bool
	}{
		{"ana", CanManage, true}, {"ana", Owner, true}, {"ben", CanManage, true}, {"ben", Owner, false},
		{"chen", CanRun, true}, {"chen", CanManage, false}, {"dana", CanView, false}, {"engineers", CanManage, false},
	} {
		err := lh.CheckPermission(ctx, c.who, c.level, "deploy")
		var pe *PermissionError
		if c.ok != (err == nil) || (!c.ok && !errors.As(err, &pe)) {
			t.Errorf("%s needing %s: %v, want allowed=%v", c.who, c.level, err, c.ok)
		}
	}
	if n, _ := lh.Count(ctx, "select * from sys.audit where not allowed and action = 'deploy'"); n != 4 {
		t.Errorf("%d refusals audited, want 4", n)
	}
	if err := lh.SetOwner(ctx, "ben", "ben"); err == nil {
		t.Errorf("ben (CAN_MANAGE, not owner) took ownership")
	}
	if err := lh.SetOwner(ctx, "ana", "chen"); err != nil {
		t.Fatal(err)
	}
	if err := lh.CheckPermission(ctx, "ana", CanRun, "run"); err == nil {
		t.Errorf("the old owner still runs jobs")
	}
	if err := lh.Destroy("owner"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + ".lock"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s survived Destroy: %v", f, err)
		}
	}
}
