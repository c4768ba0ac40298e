package pipeline

import (
	"context"
	"encoding/xml"
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

// TestAttackUnitTestCSVOutsideTheProject: a test's csv input names a file
// outside the project (absolute, ../, or a link out of it): its contents
// would land in the test's rows and the failure's diff (CI logs). Refused
// at load, naming the file, and nothing of the file is shown.
func TestAttackUnitTestCSVOutsideTheProject(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.csv")
	if err := os.WriteFile(secret, []byte("id,customer,amount\n1,TOPSECRET,10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeProject(t, "select customer, sum(amount) as revenue from silver.orders group by customer")
	rel, _ := filepath.Rel(filepath.Join(dir, "tests"), secret)
	if err := os.Symlink(secret, filepath.Join(dir, "tests", "link.csv")); err != nil {
		if err := os.MkdirAll(filepath.Join(dir, "tests"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(secret, filepath.Join(dir, "tests", "link.csv")); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{secret, rel, "link.csv"} {
		writeTestFile(t, dir, "tests/revenue.yml", `tests:
  leak:
    model: gold.revenue
    inputs:
      silver.orders: {csv: "`+path+`"}
    expect:
      rows: [{customer: nobody, revenue: 0}]
`)
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.RunUnitTests(context.Background(), TestOptions{})
		if err == nil {
			t.Errorf("csv %s: ran %+v, want a refusal of a file outside the project", path, res)
			continue
		}
		if strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), "outside the project") {
			t.Errorf("csv %s: %v", path, err)
		}
	}
}

// TestAttackUnitTestModelTouchesFiles: a model whose SQL reads or writes
// files, or attaches the target, fails its unit test without touching them.
func TestAttackUnitTestModelTouchesFiles(t *testing.T) {
	dir := writeProject(t, "select customer, sum(amount) as revenue from silver.orders group by customer")
	p0 := loadTarget(t, dir, "dev")
	target := p0.DatabasePath("dev")
	out := filepath.Join(t.TempDir(), "written.csv")
	for _, sql := range []string{
		"select * from read_csv('/etc/passwd')",
		"select * from read_text('/etc/hostname')",
		"select content as customer, 1 as revenue from read_text('" + target + "')",
		"copy (select 1) to '" + out + "'",
		"attach '" + target + "' as t; select 1 as customer, 1 as revenue",
		"install httpfs",
		"load httpfs",
		"select customer, sum(amount) as revenue from silver.orders, (select * from glob('/etc/*')) group by customer",
		"select customer, sum(amount) as revenue from silver.orders where getenv('HOME') is not null group by customer",
	} {
		writeTestFile(t, dir, "sql/gold/revenue.sql", sql)
		writeTestFile(t, dir, "tests/revenue.yml", `tests:
  t:
    model: gold.revenue
    inputs:
      silver.orders: {rows: [{id: 1, customer: ann, amount: 1.0}]}
    expect:
      rows: [{customer: ann, revenue: 1}]
`)
		p, err := Load(dir)
		if err != nil {
			continue // refused at load: fine
		}
		res, err := p.RunUnitTests(context.Background(), TestOptions{})
		if err == nil && len(res) == 1 && res[0].Status == TestPass {
			t.Errorf("model %q passed its unit test", sql)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("model %q wrote %s", sql, out)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("model %q created or touched the target's file %s", sql, target)
		}
	}
}

// TestAttackJUnitHostileNames: test names, messages and diff values with
// XML's special characters and control bytes still make valid XML, read
// back with their printable parts.
func TestAttackJUnitHostileNames(t *testing.T) {
	name := "a<b>&\"c'\x01\x1b[31m]]>\xff"
	rep := &TestReport{}
	rep.Add(TestResult{Name: name, Kind: TestKindUnit, Subject: "gold.x<y", Status: TestFail, Message: "]]><!-- \x00",
		Diff: &RowDiff{Columns: []string{"c&"}, Missing: [][]string{{"<x>\x02"}}}})
	data, err := rep.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	var back JUnitSuites
	if err := xml.Unmarshal(data, &back); err != nil {
		t.Fatalf("the JUnit XML does not parse: %v\n%s", err, data)
	}
	if len(back.Suites) != 1 || len(back.Suites[0].Cases) != 1 || !strings.HasPrefix(back.Suites[0].Cases[0].Name, "a<b>&\"c'") {
		t.Errorf("read back %+v", back)
	}
}
