package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestQualityChecksAreGoverned: a check's own SQL (sql_expression,
// sql_query, foreign_key's table) runs on the run principal's checked plan:
// ben, who may read bronze and silver only, cannot read gold.secret through
// a check, and the run refuses the model rather than building it.
func TestQualityChecksAreGoverned(t *testing.T) {
	ctx := context.Background()
	for _, rule := range []string{
		`{check: sql_expression, expression: "amount < (SELECT max(v) FROM gold.secret)"}`,
		`{check: {function: sql_query, arguments: {query: "SELECT s.v AS id, true AS condition FROM gold.secret AS s", merge_columns: [id]}}}`,
		`{check: {function: foreign_key, arguments: {columns: [id], ref_columns: [v], ref_table: gold.secret}}}`,
	} {
		dir := writeAdminProject(t)
		text := strings.Replace(adminProject, "  groups:", "  quality:\n    silver.orders:\n      - "+rule+"\n  groups:", 1)
		// gold.secret is the bundle's (so validate knows it), built by
		// its owner below; ben's task builds silver.orders only.
		text = strings.Replace(text, "transforms: [sql/silver/*.sql]", "transforms: [sql/silver/*.sql, sql/gold/*.sql]", 1)
		text = strings.Replace(text, "{task_key: silver, type: transform, depends_on: [ingest]}", "{task_key: silver, type: transform, depends_on: [ingest], models: [silver.orders]}", 1)
		writeTestFile(t, dir, FileName, text)
		writeTestFile(t, dir, "sql/gold/secret.sql", "select 1 as v")
		p := loadTarget(t, dir, "dev")
		lh := openAt(t, p)
		if _, err := p.Deploy(ctx, lh, "ana"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"CREATE SCHEMA IF NOT EXISTS gold", "CREATE TABLE gold.secret AS SELECT 1 AS v"} {
			if _, err := lh.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		res, err := p.Run(ctx, lh, RunOptions{Job: "nightly", Principal: "ben"})
		if err == nil || !strings.Contains(err.Error()+taskErrors(res), "gold.secret") {
			t.Errorf("%s: ben's run read gold.secret through a check: %v %s", rule, err, taskErrors(res))
		}
		if ok, _ := lh.TableExists(ctx, lakehouseTable("silver", "orders")); ok {
			t.Errorf("%s: silver.orders was built despite the refused check", rule)
		}
		lh.Close()
	}
}

func taskErrors(res *RunResult) string {
	if res == nil {
		return ""
	}
	var out []string
	for _, tr := range res.Tasks {
		out = append(out, tr.Error)
	}
	return strings.Join(out, "; ")
}

func lakehouseTable(schema, name string) lakehouse.TableName {
	return lakehouse.TableName{Schema: schema, Name: name}
}
