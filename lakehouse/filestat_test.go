//go:build linux || darwin

package lakehouse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// setStatClock sets the time loads list their files at, for one test.
func setStatClock(t *testing.T, now func() time.Time) {
	old := statClock
	statClock = now
	t.Cleanup(func() { statClock = old })
}

// hashedBy counts the files do reads to hash them.
func hashedBy(do func()) int64 {
	n := filesHashed.Load()
	do()
	return filesHashed.Load() - n
}

// TestLoadTrustsASettledStat: a load does not read again the files it
// loaded whose stat is the one kept with their hash (a daily run read
// every landing file of every day before), yet finds every write since:
// new bytes of the same size under a forged modification time, and the
// same bytes copied over the file.
func TestLoadTrustsASettledStat(t *testing.T) {
	setStatClock(t, func() time.Time { return time.Now().Add(time.Hour) })
	lh := openTemp(t)
	base := t.TempDir()
	files := landing(t, base, map[string]string{
		"landing/orders/orders_2026-01-01.csv": "id,amount\n1,10\n2,20\n",
		"landing/orders/orders_2026-01-02.csv": "id,amount\n3,30\n",
	})
	ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeReload})
	if n := count1(t, lh, "select * from sys.ingested_files where file_stat is not null"); n != 2 {
		t.Fatalf("%d files recorded with their stat, want 2", n)
	}
	var again *IngestResult
	if n := hashedBy(func() { again = ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeReload}) }); n != 0 {
		t.Errorf("the second load read %d files it had loaded, unchanged since, to hash them; want 0", n)
	}
	for _, f := range again.Files {
		if !f.Skipped || f.Changed || !strings.Contains(f.SkipReason, "already loaded") {
			t.Errorf("the second load: %+v, want it skipped as already loaded", f)
		}
	}

	// New bytes of the same size, the modification time set back: the
	// change time moved, so the file is read and reloaded.
	p := files[0]
	if !strings.HasSuffix(p, "01.csv") {
		p = files[1]
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Dir(p), filepath.Base(p), "id,amount\n1,11\n2,22\n")
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	res := ingestIn(t, lh, base, []string{p}, IngestOptions{OnChange: ChangeReload})
	if f := res.Files[0]; !f.Changed || f.Skipped || f.RowsLoaded != 2 {
		t.Fatalf("after new bytes under the old mtime: %+v, want the file reloaded", f)
	}
	if n := count1(t, lh, "select * from bronze.orders where amount in (11, 22) or amount in ('11', '22')"); n != 2 {
		t.Errorf("%d rows of the new version, want 2", n)
	}

	// The same bytes copied over the file (a new inode): read once, found
	// unchanged, and its stat kept, so the next load reads nothing.
	tmp := p + ".tmp"
	writeFile(t, filepath.Dir(tmp), filepath.Base(tmp), "id,amount\n1,11\n2,22\n")
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	if n := hashedBy(func() { res = ingestIn(t, lh, base, []string{p}, IngestOptions{OnChange: ChangeReload}) }); n != 1 {
		t.Errorf("a copy of the same bytes: %d files read, want 1", n)
	}
	if f := res.Files[0]; !f.Skipped || f.Changed {
		t.Errorf("a copy of the same bytes: %+v, want it skipped as already loaded", f)
	}
	if n := hashedBy(func() { ingestIn(t, lh, base, []string{p}, IngestOptions{OnChange: ChangeReload}) }); n != 0 {
		t.Errorf("after the copy's stat was kept: %d files read, want 0", n)
	}
}

// TestLoadHashesAFreshFile: a file listed within the same tick as its
// last write keeps no stat (a write in that tick could leave the same
// times), so it is read again by each load until its stat settles, then
// kept.
func TestLoadHashesAFreshFile(t *testing.T) {
	lh := openTemp(t)
	base := t.TempDir()
	files := landing(t, base, map[string]string{"landing/orders/orders_2026-01-01.csv": "id,amount\n1,10\n"})
	st, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	setStatClock(t, st.ModTime) // listed as it is written
	ingestIn(t, lh, base, files, IngestOptions{})
	if n := count1(t, lh, "select * from sys.ingested_files where file_stat is null"); n != 1 {
		t.Fatalf("%d records without a stat, want 1: the file was fresh", n)
	}
	if n := hashedBy(func() { ingestIn(t, lh, base, files, IngestOptions{}) }); n != 1 {
		t.Errorf("a fresh file's next load read %d files, want 1", n)
	}
	setStatClock(t, func() time.Time { return st.ModTime().Add(time.Hour) })
	if n := hashedBy(func() { ingestIn(t, lh, base, files, IngestOptions{}) }); n != 1 {
		t.Errorf("the first load after it settled read %d files, want 1", n)
	}
	if n := count1(t, lh, "select * from sys.ingested_files where file_stat is not null"); n != 1 {
		t.Errorf("%d records with a stat after it settled, want 1", n)
	}
	if n := hashedBy(func() { ingestIn(t, lh, base, files, IngestOptions{}) }); n != 0 {
		t.Errorf("once its stat was kept: %d files read, want 0", n)
	}
}

// TestSettledStatWaitsATick: a stat is kept only once the file's times
// lie a tick of its file system's clock behind the listing: 100 ms where
// the times carry a fraction of a second (this file system's), never for
// a listing within it.
func TestSettledStatWaitsATick(t *testing.T) {
	p := writeFile(t, t.TempDir(), "f.csv", "id\n1\n")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.ModTime().Nanosecond() == 0 {
		t.Skip("this file system keeps whole seconds: its files settle after 2 s")
	}
	if s := settledStat(st, st.ModTime().Add(50*time.Millisecond)); s != "" {
		t.Errorf("listed 50 ms after its write: stat %q, want none", s)
	}
	if s := settledStat(st, st.ModTime().Add(time.Second)); s == "" || !strings.Contains(s, " ") {
		t.Errorf("listed 1 s after its write: no stat kept")
	}
}
