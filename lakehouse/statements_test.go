package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statementsOf counts the statements fn runs on lakehouse's connections.
func statementsOf(t *testing.T, fn func()) int64 {
	t.Helper()
	before := statementsRun.Load()
	fn()
	return statementsRun.Load() - before
}

// TestBuildStateIsTheFourReads: BuildState, one statement, says what
// LastBuild, BuildInputs, FilesIntact and LostFiles say, one statement
// each: with no build, a build, its records of files forged or deleted,
// a file it processed reloaded, and two builds recorded (which no build
// writes: no fingerprint, so the model is rebuilt in full). Each state is
// made on a second connection after the transaction before it, and each
// read is in a new transaction, so nothing is read from before a change.
func TestBuildStateIsTheFourReads(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	dir := t.TempDir()
	var paths []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("c_%d.csv", i))
		if err := os.WriteFile(p, fmt.Appendf(nil, "id,name\n%d,n%d\n", i, i), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	src := TableName{"bronze", "c"}
	if _, err := lh.Ingest(ctx, paths, IngestOptions{Table: src}); err != nil {
		t.Fatal(err)
	}
	model := TableName{"silver", "m"}
	exec := func(q string, args ...any) {
		t.Helper()
		conn, err := lh.db.Conn(ctx) // a connection of its own, beside the transactions
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	record := func(fp, inputs string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.RecordBuild(ctx, model, BuildRecord{Fingerprint: fp, Inputs: inputs}, "run", []StreamSource{{Table: src}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, wantFP string) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var got, short BuildState
		if n := statementsOf(t, func() {
			if got, err = tx.BuildState(ctx, model, true); err != nil {
				t.Fatal(err)
			}
		}); n != 1 {
			t.Errorf("%s: BuildState ran %d statements, want 1", step, n)
		}
		// Without its files, the rest is the same.
		if short, err = tx.BuildState(ctx, model, false); err != nil {
			t.Fatal(err)
		}
		if short.Found != got.Found || short.Fingerprint != got.Fingerprint || short.Inputs != got.Inputs || short.FilesIntact {
			t.Errorf("%s: without files %+v, with %+v", step, short, got)
		}
		fp, found, err := tx.LastBuild(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		inputs, err := tx.BuildInputs(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		intact, err := tx.FilesIntact(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		lost, err := tx.LostFiles(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		want := BuildState{Found: found, Fingerprint: wantFP, Inputs: inputs, FilesIntact: intact, LostFiles: lost}
		if found && wantFP == "" {
			// Two builds: neither is taken, their files' records neither.
			want.FilesIntact = false
		}
		if got != want {
			t.Errorf("%s: got %+v, want %+v", step, got, want)
		}
		if wantFP != "" && fp != wantFP {
			t.Errorf("%s: LastBuild %q, want %q", step, fp, wantFP)
		}
	}
	check("never built", "")
	record("fp1", "in1")
	check("built", "fp1")
	exec("INSERT INTO sys.model_files VALUES (?, ?, 999)", model.String(), src.String())
	check("a record of a file forged", "fp1")
	record("fp2", "")
	check("built again", "fp2")
	exec("DELETE FROM sys.model_files WHERE model = ? AND file_id = (SELECT min(file_id) FROM sys.model_files WHERE model = ?)", model.String(), model.String())
	check("a record of a file deleted", "fp2")
	record("fp3", "in3")
	exec("DELETE FROM sys.ingested_files WHERE table_name = ? AND file_id = (SELECT max(file_id) FROM sys.ingested_files WHERE table_name = ?)", src.String(), src.String())
	check("a processed file gone", "fp3")
	exec("INSERT INTO sys.model_builds (model, fingerprint) VALUES (?, 'fp3')", model.String())
	check("two builds recorded", "")
}

// TestInputStatesInOneStatement: InputStates stamps each table by itself
// in one statement, as InputState does one table at a time; InputState of
// several tables is one statement too; a file loaded on another
// connection in between changes the stamp of its table and no other.
func TestInputStatesInOneStatement(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	dir := t.TempDir()
	load := func(table TableName, i int) {
		t.Helper()
		p := filepath.Join(dir, fmt.Sprintf("%s_%d.csv", table.Name, i))
		if err := os.WriteFile(p, fmt.Appendf(nil, "id\n%d\n", i), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := lh.Ingest(ctx, []string{p}, IngestOptions{Table: table}); err != nil {
			t.Fatal(err)
		}
	}
	a, b, m, none := TableName{"bronze", "a"}, TableName{"bronze", "b"}, TableName{"silver", "m"}, TableName{"gold", "none"}
	load(a, 0)
	load(b, 0)
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordBuild(ctx, m, BuildRecord{Fingerprint: "fp"}, "run", nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	states := func() (map[TableName]string, map[TableName]bool) {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var got map[TableName]string
		var ok map[TableName]bool
		if n := statementsOf(t, func() {
			if got, ok, err = tx.InputStates(ctx, []TableName{a, b, m, none, a}); err != nil {
				t.Fatal(err)
			}
		}); n != 1 {
			t.Errorf("InputStates ran %d statements, want 1", n)
		}
		for _, r := range []TableName{a, b, m, none} {
			one, oneOK, err := tx.InputState(ctx, []TableName{r})
			if err != nil {
				t.Fatal(err)
			}
			if one != got[r] || oneOK != ok[r] {
				t.Errorf("%s: InputStates %q %v, InputState %q %v", r, got[r], ok[r], one, oneOK)
			}
		}
		if n := statementsOf(t, func() {
			if _, _, err := tx.InputState(ctx, []TableName{a, b, m}); err != nil {
				t.Fatal(err)
			}
		}); n != 1 {
			t.Errorf("InputState of three tables ran %d statements, want 1", n)
		}
		return got, ok
	}
	before, ok := states()
	if !ok[a] || !ok[b] || !ok[m] || ok[none] {
		t.Fatalf("stamped: got %v, want a, b and m", ok)
	}
	load(b, 1)
	after, _ := states()
	if after[a] != before[a] || after[m] != before[m] || after[b] == before[b] {
		t.Errorf("after a file loaded into b: before %v, after %v; want only b's stamp changed", before, after)
	}
}

// TestViewCheckStatements: a SELECT through views is checked with one
// statement that plans each view and the rewritten query together, beside
// the stand-ins' CREATE and DROP (before, each view's plan, the rewritten
// text and its plan were a statement each: 5 more than no view for one
// view, 3 more for a second), and still reads what it read: the views and the tables the query
// reads by itself.
func TestViewCheckStatements(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	for _, q := range []string{
		"CREATE TABLE silver.t AS SELECT 1 AS id, 'a' AS x",
		"CREATE TABLE silver.u AS SELECT 1 AS id, 'b' AS y",
		"CREATE TABLE gold.own AS SELECT 1 AS id",
		"CREATE VIEW gold.v1 AS SELECT * FROM silver.t",
		"CREATE VIEW gold.v2 AS SELECT * FROM silver.u",
	} {
		if _, err := lh.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q, want string) int64 {
		t.Helper()
		tx, err := lh.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, _, err := tx.Access(ctx, q); err != nil { // parsed once, kept by text
			t.Fatal(err)
		}
		var reads []TableName
		n := statementsOf(t, func() {
			if reads, _, err = tx.Access(ctx, q); err != nil {
				t.Fatal(err)
			}
		})
		if got := fmt.Sprint(reads); got != want {
			t.Errorf("%q reads %s, want %s", q, got, want)
		}
		return n
	}
	none := count("SELECT * FROM gold.own", "[gold.own]")
	one := count("SELECT * FROM gold.v1 JOIN gold.own USING (id)", "[gold.own gold.v1]")
	two := count("SELECT * FROM gold.v1 JOIN gold.v2 USING (id) JOIN gold.own USING (id)", "[gold.own gold.v1 gold.v2]")
	// The views' check (the transaction keeps its view list): a
	// stand-in's CREATE and DROP per view, and one plan.
	if one-none != 3 || two-one != 2 {
		t.Errorf("statements: %d with no view, %d with one, %d with two; want 3 more for one view and 2 more for another", none, one, two)
	}
}

// TestOwnerParseWithPlan: the owner's (and lakebench's) SQL, new to the
// process, is parsed and planned in one statement; SQL that does not
// parse, or holds two statements, is refused as before; another
// principal's is parsed before anything is bound (two statements).
func TestOwnerParseWithPlan(t *testing.T) {
	ctx := context.Background()
	lh := openTemp(t)
	if _, err := lh.db.ExecContext(ctx, "CREATE TABLE gold.own AS SELECT 1 AS id"); err != nil {
		t.Fatal(err)
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var reads []TableName
	if n := statementsOf(t, func() {
		reads, _, err = tx.Access(ctx, "SELECT id + 41 FROM gold.own")
	}); n != 1 || err != nil || fmt.Sprint(reads) != "[gold.own]" {
		t.Errorf("a new text: %d statements, reads %v (%v); want 1, [gold.own]", n, reads, err)
	}
	for _, q := range []string{"SELEC id FROM gold.own", "SELECT 1; SELECT 2"} {
		_, _, err := tx.Access(ctx, q)
		var ae *AccessError
		if !errors.As(err, &ae) {
			t.Errorf("%q: got %v, want an *AccessError", q, err)
		}
	}
	if _, _, err := tx.Access(ctx, "SELEC id FROM gold.own"); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("a typo: got %v, want the parser's refusal", err)
	}
	_, _, err = access(ctx, tx.tx, "SELECT id + 42 FROM gold.own", "", true)
	if n := statementsOf(t, func() {
		_, _, err = access(ctx, tx.tx, "SELECT id + 43 FROM gold.own", "", true)
	}); n != 2 || err != nil {
		t.Errorf("another principal's new text: %d statements (%v), want 2: the parse before the plan", n, err)
	}
}
