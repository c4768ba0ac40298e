package lakehouse

import (
	"context"
	"path/filepath"
	"testing"
)

// TestOpenSetsCompute opens a real file with a memory limit and threads
// and reads them back from DuckDB, then reopens it read-only (a session
// that sandboxes itself) and finds them there too.
func TestOpenSetsCompute(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	lh, err := Open(ctx, path, Options{MemoryLimit: 3e9, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"memory_limit": "2.7 GiB", "threads": "1"} {
		got, err := lh.Setting(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if lh.MemoryLimit() != 3e9 || lh.Threads() != 1 {
		t.Errorf("MemoryLimit, Threads = %d, %d; want 3e9, 1", lh.MemoryLimit(), lh.Threads())
	}
	lh.Close()

	ro, err := Open(ctx, path, Options{ReadOnly: true, Principal: "dana", MemoryLimit: 2 << 30, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.sandbox(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := ro.Setting(ctx, "memory_limit")
	if err != nil {
		t.Fatal(err)
	}
	if got != "2.0 GiB" {
		t.Errorf("read-only memory_limit = %q, want 2.0 GiB", got)
	}
}

// TestOpenDefaultCompute: with no settings, DuckDB gets half the machine's
// memory and a thread per core.
func TestOpenDefaultCompute(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if lh.MemoryLimit() != DefaultMemoryLimit() || lh.Threads() != DefaultThreads() {
		t.Errorf("MemoryLimit, Threads = %d, %d; want %d, %d", lh.MemoryLimit(), lh.Threads(), DefaultMemoryLimit(), DefaultThreads())
	}
	got, err := lh.Setting(ctx, "threads")
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultThreads(); got != itoa(want) {
		t.Errorf("threads = %s, want %d", got, want)
	}
}

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"3GB", 3e9, true}, {"3 gb", 3e9, true}, {"512MiB", 512 << 20, true}, {"1.5GB", 1.5e9, true},
		{"1024", 1024, true}, {"3 apples", 0, false}, {"", 0, false}, {"GB", 0, false}, {"-1GB", 0, false},
	} {
		got, err := ParseBytes(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestEstimateBytes: rows times the width of the columns' types, from the
// catalog; a missing table counts nothing.
func TestEstimateBytes(t *testing.T) {
	ctx := context.Background()
	lh, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	if _, err := lh.db.ExecContext(ctx, `CREATE TABLE silver.a AS SELECT range AS id, 'x' || range AS name, range::INTEGER AS n FROM range(200000);
		CREATE TABLE silver.b AS SELECT range AS id FROM range(1000)`); err != nil {
		t.Fatal(err)
	}
	got, err := lh.EstimateBytes(ctx, []TableName{{"silver", "a"}, {"silver", "b"}, {"silver", "missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(200000*(8+32+4) + 1000*8); got != want {
		t.Errorf("EstimateBytes = %d, want %d", got, want)
	}
}
