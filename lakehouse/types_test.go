package lakehouse

import (
	"context"
	"strings"
	"testing"
)

// TestParseType: the grammar accepts DuckDB's type names and aliases and
// spells each as DuckDB does (checked against DuckDB itself, with constant
// types only), and refuses anything else, SQL first.
func TestParseType(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	for in, want := range map[string]string{
		"int": "INTEGER", " BigInt ": "BIGINT", "int8": "BIGINT", "utinyint": "UTINYINT", "uhugeint": "UHUGEINT", "real": "FLOAT",
		"double precision": "DOUBLE", "decimal": "DECIMAL(18,3)", "numeric(5)": "DECIMAL(5,0)", "DECIMAL(10, 2)": "DECIMAL(10,2)",
		"decimal(38,38)": "DECIMAL(38,38)", "varchar(10)": "VARCHAR", "text": "VARCHAR", "bool": "BOOLEAN", "date": "DATE",
		"time": "TIME", "timestamp": "TIMESTAMP", "datetime": "TIMESTAMP", "timestamp_ms": "TIMESTAMP_MS", "timestamp_ns": "TIMESTAMP_NS",
		"timestamp_s": "TIMESTAMP_S", "timestamptz": "TIMESTAMP WITH TIME ZONE", "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
		"interval": "INTERVAL", "uuid": "UUID", "bytea": "BLOB", "json": "JSON", "integer[]": "INTEGER[]", "double[3]": "DOUBLE[3]",
		"map(varchar, integer)": "MAP(VARCHAR, INTEGER)", `struct(a integer, "b ""c" varchar[])`: `STRUCT("a" INTEGER, "b ""c" VARCHAR[])`,
	} {
		got, err := ParseType(in)
		if err != nil || got != want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", in, got, err, want)
			continue
		}
		var duck string
		if err := lh.probe().QueryRowContext(ctx, "SELECT typeof(NULL::"+got+")").Scan(&duck); err != nil {
			t.Errorf("DuckDB refuses %s: %v", got, err)
		} else if norm, err := ParseType(duck); err != nil || norm != got {
			t.Errorf("DuckDB spells %s as %s, which parses as %q (%v)", got, duck, norm, err)
		}
	}
	for _, in := range []string{
		"", "money", "INTEGER) || (select string_agg(detail, ',') from sys.audit) || typeof(1", "INTEGER; DROP TABLE x",
		"INTEGER -- c", "VARCHAR COLLATE nocase", "decimal(39,2)", "decimal(3,4)", "decimal(0)", "list(integer)",
		"struct(a integer", `struct("a integer)`, "integer[x]", "enum('a')", "INTEGER)", "union(a int)",
		strings.Repeat("integer[]", 2) + " x", strings.Repeat("map(int, ", 40) + "int" + strings.Repeat(")", 40),
	} {
		if got, err := ParseType(in); err == nil || !strings.Contains(err.Error(), "DECIMAL(p,s)") {
			t.Errorf("ParseType(%q) = %q, %v; want a refusal naming the accepted types", in, got, err)
		}
	}
}

// TestSchemaHintInjection: a hint that is SQL (issue 7: a type pasted into
// a statement reads sys.audit) is refused before any SQL runs, naming the
// hint and the accepted types, and nothing is loaded or read.
func TestSchemaHintInjection(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	if err := lh.Audit(ctx, AuditEvent{Principal: "owner", Action: "QUERY", Allowed: true, Detail: "secret-audit-detail"}); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "a.csv", "a,b\n1,x\n")
	evil := "INTEGER) || (select string_agg(detail, ',') from sys.audit) || typeof(1"
	_, err := lh.Ingest(ctx, []string{p}, IngestOptions{Table: TableName{"bronze", "inj"}, SchemaHints: map[string]string{"a": evil}})
	if err == nil || !strings.Contains(err.Error(), "schema hint a") || !strings.Contains(err.Error(), "DECIMAL(p,s)") ||
		strings.Contains(err.Error(), "secret-audit-detail") {
		t.Fatalf("got %v; want a refusal naming hint a and the accepted types, without audit content", err)
	}
	if ok, _ := lh.TableExists(ctx, TableName{"bronze", "inj"}); ok {
		t.Errorf("the table exists after a refused hint")
	}
	if _, err := lh.NormalizeType(ctx, evil); err == nil {
		t.Errorf("NormalizeType accepted %q", evil)
	}
}
