//go:build linux || darwin

package lakehouse

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLoadStatAttacks: every way to put other bytes of the same size under
// a loaded file's name, its modification time set back to the one
// recorded, is found by the next load (the file is read and reloaded):
// an edit through a hard link's other name, a symlink pointed at another
// file, another file renamed over it, the file deleted and written again,
// truncated and written again. The same bytes put back are read once and
// their new stat kept.
func TestLoadStatAttacks(t *testing.T) {
	setStatClock(t, func() time.Time { return time.Now().Add(time.Hour) })
	const v1, v2 = "id,amount\n1,10\n2,20\n", "id,amount\n1,77\n2,88\n"
	attacks := []struct {
		name string
		do   func(t *testing.T, p, other string) // other: outside landing, v1 at first
	}{
		{"edit through a hard link", func(t *testing.T, p, other string) {
			os.Remove(other)
			if err := os.Link(p, other); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Dir(other), filepath.Base(other), v2)
		}},
		{"another file renamed over it", func(t *testing.T, p, other string) {
			writeFile(t, filepath.Dir(other), filepath.Base(other), v2)
			if err := os.Rename(other, p); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted and written again", func(t *testing.T, p, other string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Dir(p), filepath.Base(p), v2)
		}},
		{"truncated and written again", func(t *testing.T, p, other string) {
			if err := os.Truncate(p, 0); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(v2)
			f.Close()
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			lh := openTemp(t)
			base := t.TempDir()
			files := landing(t, base, map[string]string{"landing/orders/orders_2026-01-01.csv": v1})
			p := files[0]
			other := writeFile(t, t.TempDir(), "other.csv", v1)
			ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeReload})
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			a.do(t, p, other)
			if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
			res := ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeReload})
			if f := res.Files[0]; !f.Changed || f.Skipped || f.RowsLoaded != 2 {
				t.Fatalf("new bytes of the same size under the old mtime: %+v, want the file reloaded", f)
			}
			if n := count1(t, lh, "select * from bronze.orders where amount::VARCHAR in ('77', '88')"); n != 2 {
				t.Errorf("%d rows of the new version, want 2", n)
			}
			// The next load reads nothing: the new version's stat is kept.
			if n := hashedBy(func() { ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeReload}) }); n != 0 {
				t.Errorf("the load after the reload read %d files, want 0", n)
			}
			// The old bytes put back: read once, a change again.
			writeFile(t, filepath.Dir(p), filepath.Base(p), v1)
			res = ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeReload})
			if f := res.Files[0]; !f.Changed || f.RowsLoaded != 2 {
				t.Errorf("the old bytes back: %+v, want the file reloaded", f)
			}
		})
	}

	t.Run("symlink pointed at another file", func(t *testing.T) {
		lh := openTemp(t)
		base := t.TempDir()
		dir := t.TempDir()
		a := writeFile(t, dir, "a.csv", v1)
		b := writeFile(t, dir, "b.csv", v2)
		st, err := os.Stat(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(b, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(base, "landing", "orders.csv")
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(a, p); err != nil {
			t.Fatal(err)
		}
		ingestIn(t, lh, base, []string{p}, IngestOptions{OnChange: ChangeReload})
		os.Remove(p)
		if err := os.Symlink(b, p); err != nil {
			t.Fatal(err)
		}
		res := ingestIn(t, lh, base, []string{p}, IngestOptions{OnChange: ChangeReload})
		if f := res.Files[0]; !f.Changed || f.RowsLoaded != 2 {
			t.Fatalf("the link pointed at other bytes: %+v, want the file reloaded", f)
		}
	})

	t.Run("quarantine then the next load", func(t *testing.T) {
		lh := openTemp(t)
		base := t.TempDir()
		files := landing(t, base, map[string]string{"landing/orders/orders_2026-01-01.csv": v1})
		ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeQuarantine})
		writeFile(t, filepath.Dir(files[0]), filepath.Base(files[0]), v2)
		res := ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeQuarantine})
		if f := res.Files[0]; !f.Changed || f.RowsQuarantined != 2 {
			t.Fatalf("the changed file: %+v, want its rows quarantined", f)
		}
		var again *IngestResult
		if n := hashedBy(func() { again = ingestIn(t, lh, base, files, IngestOptions{OnChange: ChangeQuarantine}) }); n != 0 {
			t.Errorf("the load after the quarantine read %d files, want 0", n)
		}
		if f := again.Files[0]; !f.Skipped || f.Changed {
			t.Errorf("the load after the quarantine: %+v, want it skipped", f)
		}
	})

	t.Run("same bytes under two names, one known", func(t *testing.T) {
		lh := openTemp(t)
		base := t.TempDir()
		files := landing(t, base, map[string]string{"landing/orders/a.csv": v1})
		ingestIn(t, lh, base, files, IngestOptions{})
		files = append(files, writeFile(t, filepath.Dir(files[0]), "b.csv", v1))
		res := ingestIn(t, lh, base, files, IngestOptions{})
		if res.RowsLoaded != 0 || res.Files[1].DuplicateOf == "" {
			t.Errorf("a copy of a loaded file under another name: %+v, want it skipped as a duplicate", res.Files)
		}
	})
}

// TestLoadStatOlderDatabase: a database written before file_stat (its
// sys.ingested_files without the column) opens read-only and lists its
// loads, and a writer adds the column and keeps the stats from the next
// load on.
func TestLoadStatOlderDatabase(t *testing.T) {
	setStatClock(t, func() time.Time { return time.Now().Add(time.Hour) })
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	lh, err := Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	files := landing(t, base, map[string]string{"landing/orders/a.csv": "id,amount\n1,10\n"})
	ingestIn(t, lh, base, files, IngestOptions{})
	if _, err := lh.db.ExecContext(ctx, "ALTER TABLE sys.ingested_files DROP COLUMN file_stat"); err != nil {
		t.Fatal(err)
	}
	lh.Close()

	ro, err := Open(ctx, path, Options{Holder: t.Name(), ReadOnly: true})
	if err != nil {
		t.Fatalf("an older database, read-only: %v", err)
	}
	if n := count1(t, ro, "select * from sys.ingested_files"); n != 1 {
		t.Errorf("read-only: %d loads listed, want 1", n)
	}
	ro.Close()

	lh, err = Open(ctx, path, Options{Holder: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if n := hashedBy(func() { ingestIn(t, lh, base, files, IngestOptions{}) }); n != 1 {
		t.Errorf("the first load on the older database read %d files, want 1", n)
	}
	if n := hashedBy(func() { ingestIn(t, lh, base, files, IngestOptions{}) }); n != 0 {
		t.Errorf("the next load read %d files, want 0", n)
	}
}
