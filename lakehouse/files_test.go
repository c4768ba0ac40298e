package lakehouse

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMaterializeRefusesInternalTables: a model may not build a table in
// bronze, bronze_data or sys, nor a table files are loaded into, whatever
// its caller checked; the rows there survive the attempt.
func TestMaterializeRefusesInternalTables(t *testing.T) {
	lh := openTemp(t)
	ctx := context.Background()
	ingestText(t, lh, "orders.csv", "id,amount\n1,10\n2,20\n", "orders")
	if _, err := lh.Ingest(ctx, []string{writeFile(t, t.TempDir(), "x.csv", "id\n1\n")}, IngestOptions{Table: TableName{"silver", "loaded"}}); err != nil {
		t.Fatal(err)
	}
	if err := lh.RecordRun(ctx, Run{RunID: "r1", Job: "nightly", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	for _, table := range []TableName{{"bronze_data", "orders"}, {"bronze", "orders"}, {"BRONZE_DATA", "orders"}, {"sys", "runs"}, {"sys", "audit"},
		{"bronze", "new_table"}, {"silver_data", "loaded"}, {"silver", "loaded"}} {
		t.Run(table.String(), func(t *testing.T) {
			tx, err := lh.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			_, err = tx.Materialize(ctx, table, "select 99 as id, 0 as amount", Materialization{})
			if !errors.Is(err, ErrInternalTable) {
				t.Errorf("Materialize: got %v, want ErrInternalTable", err)
			}
			_, _, err = tx.MaterializeChecked(ctx, table, "select 99 as id", Materialization{}, []Rule{{Name: "r", Expression: "id > 0", Criticality: "error"}}, QualityRun{})
			if !errors.Is(err, ErrInternalTable) {
				t.Errorf("MaterializeChecked: got %v, want ErrInternalTable", err)
			}
			if _, err := tx.ApplyQuality(ctx, table, []Rule{{Name: "none", Expression: "false", Criticality: "error"}}, QualityRun{}); !errors.Is(err, ErrInternalTable) {
				t.Errorf("ApplyQuality with an error rule: got %v, want ErrInternalTable", err)
			}
		})
	}
	for q, want := range map[string]int64{"select * from bronze.orders": 2, "select * from silver.loaded": 1, "select * from sys.runs": 1} {
		if n, err := lh.Count(ctx, q); err != nil || n != want {
			t.Errorf("%s: %d rows (%v), want %d", q, n, err, want)
		}
	}
	// A model of its own is still built.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if n, err := tx.Materialize(ctx, TableName{"silver", "orders"}, "select * from bronze.orders", Materialization{}); err != nil || n != 2 {
		t.Errorf("silver.orders: %d rows (%v), want 2", n, err)
	}
}

// TestStaleRunsMarkedCrashedAtOpen records runs as processes left them and
// opens the target again: a run whose process is gone (killed), alive but
// not lakebench (its id reused), on another host, or unrecorded becomes
// crashed; a run of a live lakebench process stays running.
func TestStaleRunsMarkedCrashedAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.duckdb")
	ctx := context.Background()
	start := func(name string, args []string, env ...string) *exec.Cmd {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		if _, err := cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	live := start(os.Args[0], []string{"-test.run=^$"}, "LAKEBENCH_TEST_WAIT=1")
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat to stand for another program")
	}
	other := start(cat, nil)
	dead := start(os.Args[0], []string{"-test.run=^$"}, "LAKEBENCH_TEST_WAIT=1")
	dead.Process.Signal(syscall.SIGKILL)
	dead.Wait()

	host, _ := os.Hostname()
	lh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]Run{
		"killed":     {PID: dead.Process.Pid, Host: host},
		"reused":     {PID: other.Process.Pid, Host: host},
		"elsewhere":  {PID: live.Process.Pid, Host: host + "-other"},
		"this":       {}, // RecordRun records this process
		"alive":      {PID: live.Process.Pid, Host: host},
		"unrecorded": {},
	}
	for id, r := range runs {
		r.RunID, r.Job, r.Status, r.StartedAt = id, "nightly", "running", time.Now()
		if err := lh.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// A run recorded before runs had a pid: lakebench's own transaction,
	// since no user statement may write sys.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE sys.runs SET pid = NULL, host = NULL WHERE run_id = 'unrecorded'"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	lh.Close()

	lh, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for id := range runs {
		want := "crashed"
		if id == "alive" {
			want = "running"
		}
		res, err := lh.Query(ctx, "select status, coalesce(error, '') from sys.runs where run_id = '"+id+"'")
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("run %s: %v %v", id, res, err)
		}
		if got := res.Rows[0][0]; got != want {
			t.Errorf("run %s is %v, want %s (%v)", id, got, want, res.Rows[0][1])
		}
	}
}

// copyDir copies a directory tree, as cp -r does.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func landing(t *testing.T, base string, files map[string]string) []string {
	t.Helper()
	var out []string
	for name, content := range files {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Dir(p), filepath.Base(p), content)
		out = append(out, p)
	}
	return out
}

func ingestIn(t *testing.T, lh *Lakehouse, base string, files []string, opts IngestOptions) *IngestResult {
	t.Helper()
	opts.BaseDir = base
	if opts.Table.Name == "" {
		opts.Table = TableName{"bronze", "orders"}
	}
	res, err := lh.Ingest(context.Background(), files, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func count1(t *testing.T, lh *Lakehouse, q string) int64 {
	t.Helper()
	n, err := lh.Count(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIngestMovedProjectLoadsNothingTwice: paths are recorded relative to
// the project, so the same project copied elsewhere (cp -r) loads no row
// again; the same bytes under another name, or loaded before from outside
// the project, are skipped and say which file they repeat.
func TestIngestMovedProjectLoadsNothingTwice(t *testing.T) {
	lh := openTemp(t)
	a := filepath.Join(t.TempDir(), "a")
	files := landing(t, a, map[string]string{
		"landing/orders/orders_2026-01-01.csv": "id,amount\n1,10\n2,20\n",
		"landing/orders/orders_2026-01-02.csv": "id,amount\n3,30\n",
	})
	res := ingestIn(t, lh, a, files, IngestOptions{})
	if res.RowsLoaded != 3 {
		t.Fatalf("loaded %d rows, want 3", res.RowsLoaded)
	}
	if n := count1(t, lh, "select * from sys.ingested_files where path = 'landing/orders/orders_2026-01-01.csv'"); n != 1 {
		t.Errorf("the file is not recorded by its path in the project (%d records)", n)
	}
	if n := count1(t, lh, "select * from bronze.orders where _source_file like 'landing/orders/%'"); n != 3 {
		t.Errorf("_source_file is not the path in the project on %d rows", 3-n)
	}

	b := filepath.Join(t.TempDir(), "b")
	copyDir(t, a, b)
	landing(t, b, map[string]string{"landing/orders/orders_copy.csv": "id,amount\n1,10\n2,20\n"})
	moved, _ := filepath.Glob(filepath.Join(b, "landing/orders/*.csv"))
	res = ingestIn(t, lh, b, moved, IngestOptions{})
	if res.RowsLoaded != 0 || count1(t, lh, "select * from bronze.orders") != 3 {
		t.Fatalf("the copied project loaded %d rows again: %+v", res.RowsLoaded, res.Files)
	}
	for _, f := range res.Files {
		if !f.Skipped {
			t.Errorf("%s was loaded again", f.Path)
		}
		if f.Path == "landing/orders/orders_copy.csv" && (f.DuplicateOf != "landing/orders/orders_2026-01-01.csv" || !strings.Contains(f.SkipReason, "same bytes as landing/orders/orders_2026-01-01.csv")) {
			t.Errorf("the copy under another name: %+v, want it skipped as a duplicate of orders_2026-01-01.csv", f)
		}
	}

	// A file loaded by `lakebench ingest` from outside the project, then
	// copied into a source's landing folder, is the same bytes.
	outside := landing(t, t.TempDir(), map[string]string{"new.csv": "id,amount\n4,40\n"})
	if res := ingestIn(t, lh, b, outside, IngestOptions{}); res.RowsLoaded != 1 || res.Files[0].Path != outside[0] {
		t.Fatalf("a file outside the project: %+v, want it loaded and recorded by its absolute path", res.Files)
	}
	inside := landing(t, b, map[string]string{"landing/orders/orders_2026-01-03.csv": "id,amount\n4,40\n"})
	if res := ingestIn(t, lh, b, inside, IngestOptions{}); res.RowsLoaded != 0 || res.Files[0].DuplicateOf != outside[0] {
		t.Errorf("the same bytes in the landing folder: %+v, want them skipped as a duplicate of %s", res.Files, outside[0])
	}
	// Two files of one load with the same bytes: the first loads.
	twins := landing(t, b, map[string]string{"landing/orders/t1.csv": "id,amount\n9,90\n", "landing/orders/t2.csv": "id,amount\n9,90\n"})
	if res := ingestIn(t, lh, b, twins, IngestOptions{}); res.RowsLoaded != 1 {
		t.Errorf("twins in one load: %+v, want one loaded", res.Files)
	}
	if n := count1(t, lh, "select * from bronze.orders"); n != 5 {
		t.Errorf("bronze.orders has %d rows, want 5", n)
	}
}

// TestIngestAbsoluteRecordsMigrate: a database of an older lakebench holds
// absolute paths. Opened in the same place, or after the project moved,
// its records are renamed to the project's paths and nothing loads again;
// a file changed meanwhile is still told apart.
func TestIngestAbsoluteRecordsMigrate(t *testing.T) {
	lh := openTemp(t)
	a := filepath.Join(t.TempDir(), "a")
	files := landing(t, a, map[string]string{
		"landing/orders/orders_2026-01-01.csv": "id,amount\n1,10\n2,20\n",
		"landing/orders/orders_2026-01-02.csv": "id,amount\n3,30\n",
		"landing/orders/orders_2026-01-03.csv": "id,amount\n3,30\n5,50\n",
	})
	// As older versions did: no base directory, absolute paths, a run.
	if _, err := lh.Ingest(context.Background(), files, IngestOptions{Table: TableName{"bronze", "orders"}, RunID: "run-old"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.Exec(context.Background(), "create table bronze.orders_quarantine as select '"+files[0]+"' as _source_file, 1::BIGINT as _line"); err != nil {
		t.Fatal(err)
	}
	if n := count1(t, lh, "select * from sys.ingested_files where starts_with(path, '/')"); n != 3 {
		t.Fatalf("%d absolute records, want 3", n)
	}
	b := filepath.Join(t.TempDir(), "b")
	copyDir(t, a, b)
	writeFile(t, filepath.Join(b, "landing/orders"), "orders_2026-01-03.csv", "id,amount\n3,30\n5,55\n")
	moved, _ := filepath.Glob(filepath.Join(b, "landing/orders/*.csv"))
	res := ingestIn(t, lh, b, moved, IngestOptions{})
	if res.RowsLoaded != 0 || count1(t, lh, "select * from bronze.orders") != 5 {
		t.Fatalf("the moved project loaded %d rows again: %+v", res.RowsLoaded, res.Files)
	}
	for _, f := range res.Files {
		changed := strings.HasSuffix(f.Path, "03.csv")
		if f.Changed != changed || !f.Skipped || (changed && !strings.Contains(f.SkipReason, "changed since")) {
			t.Errorf("%s: %+v, want skipped, changed=%v", f.Path, f, changed)
		}
	}
	if n := count1(t, lh, "select * from sys.ingested_files where starts_with(path, 'landing/orders/')"); n != 3 {
		t.Errorf("%d records moved to the project's paths, want 3", n)
	}
	if n := count1(t, lh, "select * from bronze.orders_quarantine where _source_file = 'landing/orders/"+filepath.Base(files[0])+"'"); n != 1 {
		t.Errorf("the quarantined row still names the old absolute path")
	}
}

// TestIngestChangedFilePolicies: a landing file rewritten after its load is
// reported, and handled as on_change says: warn keeps the old rows, reload
// replaces them (its quarantined rows too), quarantine keeps the old rows
// and quarantines the new version's with the reason, once.
func TestIngestChangedFilePolicies(t *testing.T) {
	const before = "id,amount\n1,10\n2,20\n3,30,9\n"
	const after = "id,amount\n1,11\n2,22\n7,70\n"
	for _, policy := range []ChangePolicy{"", ChangeWarn, ChangeReload, ChangeQuarantine} {
		t.Run(string(policy), func(t *testing.T) {
			lh := openTemp(t)
			base := t.TempDir()
			files := landing(t, base, map[string]string{"landing/orders/orders_2026-01-01.csv": before})
			ingestIn(t, lh, base, files, IngestOptions{OnChange: policy})
			if n := count1(t, lh, "select * from bronze.orders_quarantine"); n != 1 {
				t.Fatalf("%d rows quarantined by the first load, want 1", n)
			}
			writeFile(t, filepath.Dir(files[0]), filepath.Base(files[0]), after)
			res := ingestIn(t, lh, base, files, IngestOptions{OnChange: policy})
			f := res.Files[0]
			want := policy
			if want == "" {
				want = ChangeWarn
			}
			if !f.Changed || f.OnChange != want {
				t.Errorf("result %+v, want changed, on_change %s", f, want)
			}
			sum := func() int64 {
				return count1(t, lh, "select * from bronze.orders where amount in ('11', '22', '70') or amount in (11, 22, 70)")
			}
			switch want {
			case ChangeWarn:
				if !f.Skipped || !strings.Contains(f.SkipReason, "kept") || count1(t, lh, "select * from bronze.orders") != 2 || sum() != 0 {
					t.Errorf("warn: %+v; the old rows must stay and nothing load", f)
				}
			case ChangeReload:
				if f.Skipped || f.RowsLoaded != 3 || count1(t, lh, "select * from bronze.orders") != 3 || sum() != 3 {
					t.Errorf("reload: %+v; want exactly the new version's 3 rows", f)
				}
				if n := count1(t, lh, "select * from bronze.orders_quarantine"); n != 0 {
					t.Errorf("reload left %d quarantined rows of the old version", n)
				}
				if n := count1(t, lh, "select * from sys.ingested_files"); n != 1 {
					t.Errorf("reload left %d records, want the new version's", n)
				}
			case ChangeQuarantine:
				if f.Skipped || f.RowsLoaded != 0 || f.RowsQuarantined != 3 || count1(t, lh, "select * from bronze.orders") != 2 || sum() != 0 {
					t.Errorf("quarantine: %+v; the old rows must stay, the new go to quarantine", f)
				}
				if n := count1(t, lh, "select * from bronze.orders_quarantine where _reason = '"+QuarantineChanged+"' and _raw like '%\"amount\"%' and _source_file = 'landing/orders/orders_2026-01-01.csv'"); n != 3 {
					t.Errorf("%d rows quarantined as %q, want 3", n, QuarantineChanged)
				}
			}
			// The next load of the same bytes does nothing more.
			again := ingestIn(t, lh, base, files, IngestOptions{OnChange: policy})
			if want != ChangeWarn && (!again.Files[0].Skipped || again.Files[0].Changed) {
				t.Errorf("the next load: %+v, want it skipped as already loaded", again.Files[0])
			}
			if again.RowsLoaded != 0 || again.RowsQuarantined != 0 {
				t.Errorf("the next load wrote rows again: %+v", again)
			}
		})
	}
}
