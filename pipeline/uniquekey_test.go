package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// TestUniqueKeyRepeatsRefused checks that a model with a unique_key never
// holds two rows of one key, so that a full refresh and the merges of a
// day-by-day run cannot differ: a later file repeating a key replaces its
// row (the merge), while rows built together that repeat a key fail the
// build, saying which key and how to keep one, and write nothing. Before,
// a full refresh of such a model kept both rows while the merges kept one
// (vega's zipcodes: 42,053 rows against 42,051).
func TestUniqueKeyRepeatsRefused(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file, _ingested_at from stream(bronze.orders)")
	writeTestFile(t, dir, FileName, strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  quality:", 1))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	run := func(opts RunOptions) error {
		opts.Target = "dev"
		_, err := p.Run(ctx, lh, opts)
		return err
	}
	rows := func() string {
		t.Helper()
		res, err := lh.Query(ctx, "SELECT string_agg(id || '=' || amount, ' ' ORDER BY id) FROM silver.orders")
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(string)
	}
	refused := func(what string, err error, key string) {
		t.Helper()
		var dup *lakehouse.DuplicateKeyError
		if !errors.As(err, &dup) {
			t.Fatalf("%s: run error %v, want a DuplicateKeyError", what, err)
		}
		for _, want := range []string{"silver.orders", "unique_key (id)", key, "QUALIFY row_number() OVER (PARTITION BY id"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", what, err, want)
			}
		}
	}
	if err := run(RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// Order 3 has no customer: quarantined by the rule.
	if got, want := rows(), "1=10.0 2=20.0 4=-1.0"; got != want {
		t.Fatalf("first build: %s, want %s", got, want)
	}
	// A later file repeating order 1: the merge keeps its new row.
	writeTestFile(t, dir, "landing/orders/orders_2026-01-02.csv", "id,customer,amount\n1,ann,11\n5,dan,7\n")
	if err := run(RunOptions{}); err != nil {
		t.Fatal(err)
	}
	merged := rows()
	if want := "1=11.0 2=20.0 4=-1.0 5=7.0"; merged != want {
		t.Fatalf("after the merge: %s, want %s", merged, want)
	}
	// A full refresh reads both files at once: order 1 twice.
	refusal := run(RunOptions{FullRefresh: []string{"silver.orders"}})
	refused("full refresh", refusal, "id=1 is on 2 rows (1 key repeats)")
	if got := rows(); got != merged {
		t.Errorf("a refused full refresh changed the table: %s, want %s", got, merged)
	}
	// One file repeating a key within itself fails the merge too; a
	// quarantined row (no customer) does not count.
	writeTestFile(t, dir, "landing/orders/orders_2026-01-03.csv", "id,customer,amount\n6,eve,1\n6,eve,2\n7,,3\n7,fay,4\n")
	refused("merge", run(RunOptions{}), "id=6 is on 2 rows")
	if got := rows(); got != merged {
		t.Errorf("a refused merge changed the table: %s, want %s", got, merged)
	}
	// Keeping the latest row per key in the SQL, as the error says (here
	// the larger amount among a file's repeats): the merges and a full
	// refresh then agree.
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file, _ingested_at from stream(bronze.orders)\n"+
		"qualify row_number() over (partition by id order by _ingested_at desc, _source_file desc, amount desc) = 1")
	if p, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	if err := run(RunOptions{}); err != nil { // rebuilt in full: its SQL changed
		t.Fatal(err)
	}
	writeTestFile(t, dir, "landing/orders/orders_2026-01-04.csv", "id,customer,amount\n2,bob,21\n")
	if err := run(RunOptions{}); err != nil {
		t.Fatal(err)
	}
	incremental := rows()
	t.Logf("the refusal reads: %v", refusal)
	if err := run(RunOptions{FullRefresh: []string{"silver.orders"}}); err != nil {
		t.Fatal(err)
	}
	if got := rows(); got != incremental || got != "1=11.0 2=21.0 4=-1.0 5=7.0 6=2.0 7=4.0" {
		t.Errorf("full refresh %s, incremental %s, want both 1=11.0 2=21.0 4=-1.0 5=7.0 6=2.0 7=4.0", got, incremental)
	}
}

// TestUniqueKeyNullsRefused checks that rows with no key, one key to the
// merge (IS NOT DISTINCT FROM), are refused when two are built together,
// with the rule that quarantines them instead; with that rule they go to
// quarantine and the build passes.
func TestUniqueKeyNullsRefused(t *testing.T) {
	ctx := context.Background()
	dir := writeProject(t, fastGold)
	writeTestFile(t, dir, "landing/orders/orders_2026-01-01.csv", "id,customer,amount\n1,ann,10\n,eve,1\n,fay,2\n")
	writeTestFile(t, dir, "sql/silver/orders.sql", "select id::int as id, customer, amount::double as amount, _source_file from stream(bronze.orders)")
	project := strings.Replace(testProject, "  quality:", "  models:\n    silver.orders: {kind: incremental_by_batch, unique_key: [id]}\n  quality:", 1)
	writeTestFile(t, dir, FileName, project)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh := openTarget(t, p)
	defer lh.Close()
	_, err = p.Run(ctx, lh, RunOptions{Target: "dev"})
	var dup *lakehouse.DuplicateKeyError
	if !errors.As(err, &dup) {
		t.Fatalf("run error %v, want a DuplicateKeyError", err)
	}
	for _, want := range []string{"id=NULL is on 2 rows", "resources.quality.silver.orders such as {check: is_not_null, column: id, criticality: error}"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	writeTestFile(t, dir, FileName, strings.Replace(project, "    silver.orders:\n", "    silver.orders:\n      - {check: is_not_null, column: id, criticality: error}\n", 1))
	if p, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, lh, RunOptions{Target: "dev"}); err != nil {
		t.Fatal(err)
	}
	res, err := lh.Query(ctx, "SELECT (SELECT count(*) FROM silver.orders), (SELECT count(*) FROM silver.orders_quarantine WHERE id IS NULL)")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows[0]); got != "[1 2]" {
		t.Errorf("silver.orders and the rows without a key in its quarantine: %s, want [1 2]", got)
	}
}
