package lakehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// extensionAttacks are statements that would install or load a DuckDB
// extension, or let DuckDB do it by itself, written as a hostile user
// would: odd case, comments, FORCE, another repository, a path, a setting
// (SET, RESET, the PRAGMA form of SET), and statements that need an
// extension only while binding (a file on https or s3, in a CTE or a view,
// a secret, ATTACH of a sqlite file).
var extensionAttacks = []string{
	"INSTALL httpfs",
	"install httpfs",
	"/* a comment */ InStAlL httpfs",
	"-- a comment\nLOAD httpfs",
	"FORCE INSTALL httpfs",
	"force install 'httpfs'",
	"INSTALL httpfs FROM community",
	"install httpfs from 'http://127.0.0.1:9/'",
	"LOAD parquet",
	"LOAD '/tmp/lakebench-no-such.duckdb_extension'",
	"UPDATE EXTENSIONS",
	"SET autoinstall_known_extensions = true",
	"set GLOBAL autoload_known_extensions=1",
	"RESET autoload_known_extensions",
	"SET custom_extension_repository = 'http://127.0.0.1:9/'",
	"SET autoinstall_extension_repository = 'http://127.0.0.1:9/'",
	"SET allow_unsigned_extensions = true",
	"SET allow_community_extensions = true",
	"SET extension_directory = '/tmp'",
	"PRAGMA autoinstall_known_extensions=true",
	"SELECT * FROM 'https://127.0.0.1:9/x.parquet'",
	"with x as (select * from read_parquet('s3://bucket/x.parquet')) select * from x",
	"CREATE VIEW gold.remote AS SELECT * FROM 'https://127.0.0.1:9/x.csv'",
	"CREATE SECRET s (TYPE s3)",
	"ATTACH 'x.sqlite' (TYPE sqlite)",
	"ATTACH 'sqlite:x.sqlite' AS s",
	"attach 'postgres:dbname=x' as p",
	"ATTACH 'md:'",
	"ATTACH IF NOT EXISTS 'MotherDuck:x' AS m",
	"ATTACH 'mysql:host=127.0.0.1' AS y (READ_ONLY)",
	"CALL read_parquet('https://127.0.0.1:9/x.parquet')",
	"SELECT * FROM gold.revenue, read_json('s3://bucket/x.json')",
}

// alsoRefused install or load an extension too, and are refused for a
// reason of their own (several statements, EXPLAIN, which DuckDB does not
// plan as JSON).
var alsoRefused = []string{
	"SELECT 1; INSTALL httpfs",
	"install httpfs; select 1",
	"EXPLAIN INSTALL httpfs",
	"EXPLAIN SELECT * FROM 'https://127.0.0.1:9/x.parquet'",
}

// TestNoExtensionIsInstalledOrLoaded: no statement installs or loads an
// extension, whoever runs it: the owner, lakebench itself (a model's SQL
// runs as ""), another principal; each is refused with a clear error
// before it runs, and DuckDB's own autoinstall and autoload stay off in
// every instance, so binding a statement fetches nothing either. Without
// the refusal the owner's INSTALL reached DuckDB, which tried to download
// the extension (and binding a SELECT of an https file did too).
func TestNoExtensionIsInstalledOrLoaded(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"owner", "", "dana"} {
		lh.SetPrincipal(p)
		for i, q := range append(extensionAttacks, alsoRefused...) {
			var err error
			if lh.IsSelect(ctx, q) {
				_, err = lh.Query(ctx, q)
			} else {
				_, err = lh.Exec(ctx, q)
			}
			var ae *AccessError
			switch {
			case !errors.As(err, &ae):
				t.Errorf("%q ran %q: %v, want it refused", p, q, err)
			case p != "dana" && i < len(extensionAttacks) && !strings.Contains(err.Error(), "never installs or loads DuckDB extensions"):
				t.Errorf("%q ran %q: %v, want the refusal to say lakebench loads no extension", p, q, err)
			}
		}
	}
	// A transaction's user SQL (a model's, an alert's) is checked the same.
	for _, p := range []string{"", "owner"} {
		tx, err := lh.BeginAs(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tx.AuthorizeSQL(ctx, "LOAD httpfs"); err == nil || !strings.Contains(err.Error(), "never installs") {
			t.Errorf("%q: a transaction's LOAD httpfs: %v", p, err)
		}
		tx.Rollback()
	}
	lh.SetPrincipal("")
	checkNoExtensions(t, lh)
	lh.Close()

	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"INSTALL httpfs", "SELECT * FROM 'https://127.0.0.1:9/x.parquet'"} {
		if _, err := ro.Query(ctx, q); err == nil {
			t.Errorf("read-only dana ran %q", q)
		}
	}
	checkNoExtensions(t, ro)
	ro.Close()
	mem, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	checkNoExtensions(t, mem)
}

// checkNoExtensions checks that DuckDB's autoinstall and autoload are off
// and that only the built-in extensions are installed or loaded.
func checkNoExtensions(t *testing.T, lh *Lakehouse) {
	t.Helper()
	ctx := context.Background()
	for _, s := range []string{"autoinstall_known_extensions", "autoload_known_extensions", "allow_community_extensions", "allow_unsigned_extensions"} {
		var on bool
		if err := lh.db.QueryRowContext(ctx, "SELECT current_setting('"+s+"')").Scan(&on); err != nil || on {
			t.Errorf("%s: %s is %v (%v), want false", lh.path, s, on, err)
		}
	}
	if lh.sandboxed {
		return // duckdb_extensions() lists a directory, which the sandbox refuses
	}
	rows, err := lh.db.QueryContext(ctx, "SELECT extension_name FROM duckdb_extensions() WHERE (installed OR loaded) AND install_mode IS DISTINCT FROM 'STATICALLY_LINKED'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		rows.Scan(&name)
		t.Errorf("%s: extension %s is installed or loaded", lh.path, name)
	}
}
