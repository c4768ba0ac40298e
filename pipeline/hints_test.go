package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestSchemaHintInjectionYAML: a schema hint in lakebench.yml that is SQL
// (issue 7) fails validation, and a run refuses it in the ingest task
// without reading sys.audit or loading anything.
func TestSchemaHintInjectionYAML(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	evil := `INTEGER) || (select string_agg(detail, ',') from sys.audit) || typeof(1`
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "owner: sales}",
		"owner: sales, schema_hints: {amount: \""+evil+"\"}}", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	v := p.Validate(ctx, lh)
	found := false
	for _, e := range v.Errors {
		found = found || strings.Contains(e.Error(), "schema hint for amount") && strings.Contains(e.Error(), "is not a DuckDB type")
	}
	if !found {
		t.Errorf("validate: %v; want an error for the hint", v.Errors)
	}
	if err := lh.Audit(ctx, lakehouse.AuditEvent{Principal: "owner", Action: "QUERY", Allowed: true, Detail: "secret-audit-detail"}); err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(ctx, lh, RunOptions{Target: "dev"})
	if err == nil || !strings.Contains(err.Error(), "schema hint amount") || strings.Contains(err.Error(), "secret-audit-detail") {
		t.Fatalf("run: %v; want the hint refused without audit content", err)
	}
	if ok, _ := lh.TableExists(ctx, lakehouse.TableName{Schema: "bronze", Name: "orders"}); ok {
		t.Errorf("bronze.orders exists after a refused hint")
	}
}
