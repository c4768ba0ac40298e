package lakehouse

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// TestFileIDsNotReusedAfterDrop: a source dropped (DropIngested) takes its
// files' records out of sys.ingested_files, but a model's sys.model_files
// still names the ids it processed. The next process must not hand those
// ids out again: a new file of the source added back would otherwise be
// taken for one the model has processed, and its rows never reach it.
func TestFileIDsNotReusedAfterDrop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	dir := t.TempDir()
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	src := TableName{"bronze", "t"}
	model := TableName{"silver", "m"}
	if _, err := lh.Ingest(ctx, []string{writeFile(t, dir, "a_2026-01-01.csv", "id\n1\n")}, IngestOptions{Table: TableName{"bronze", "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lh.Ingest(ctx, []string{writeFile(t, dir, "t_2026-01-01.csv", "id\n1\n2\n")}, IngestOptions{Table: src}); err != nil {
		t.Fatal(err)
	}
	old := scalarInt(t, lh, "SELECT file_id FROM sys.ingested_files WHERE table_name = 'bronze.t'")
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordBuild(ctx, model, BuildRecord{Fingerprint: "f"}, "", []StreamSource{{Table: src}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.DropIngested(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := lh.Close(); err != nil {
		t.Fatal(err)
	}
	lh, err = Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	added := writeFile(t, dir, "t_2026-01-02.csv", "id\n3\n")
	if _, err := lh.Ingest(ctx, []string{added}, IngestOptions{Table: src}); err != nil {
		t.Fatal(err)
	}
	if id := scalarInt(t, lh, "SELECT file_id FROM sys.ingested_files WHERE table_name = 'bronze.t'"); id <= old {
		t.Errorf("the new file of bronze.t has id %d, not above the dropped file's %d which sys.model_files still names", id, old)
	}
	tx, err = lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	got, err := tx.NewFiles(ctx, model, StreamSource{Table: src})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{added}; !slices.Equal(got, want) {
		t.Errorf("the model's new files are %v, want %v", got, want)
	}
}

// TestSecondWriterInProcess: a second writer on the same file in the
// same process is refused (the writer lock is per open file, not per
// process), so no two fileIDs counters hand out ids for one file.
func TestSecondWriterInProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	second, err := Open(ctx, path, Options{Holder: t.Name() + " again", NoWait: true})
	var le *ErrLocked
	if !errors.As(err, &le) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("a second writer in the process: %v, want *ErrLocked", err)
	}
}
