package lakehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSettingRefusalsSayWhy: SET, RESET, USE and PRAGMA name = value are
// refused to every principal, the target's owner and lakebench itself
// included, so no refusal may tell another principal that the owner may
// run them; each says the reason for its setting (an extension setting:
// lakebench loads no extension; any other: the connection is shared) and
// what to do. Before, dana's were all "only the target's owner (owner)
// may", though the owner is refused too.
func TestSettingRefusalsSayWhy(t *testing.T) {
	g := newAttackTarget(t)
	ctx := context.Background()
	cases := []struct{ sql, want string }{
		{"SET threads = 2", "SET threads is not run through lakebench, by any principal, the target's owner included"},
		{"set session memory_limit='1GB'", "compute: {memory: 3GB, threads: 2}"},
		{"-- a comment\nPRAGMA threads=2", "SET threads is not run through lakebench"},
		{"RESET threads", "RESET threads is not run through lakebench"},
		{"RESET ALL", "RESET ALL is not run through lakebench"},
		{"USE gold", "USE (SET schema) is not run through lakebench, by any principal, the target's owner included: each statement runs on a connection lakebench shares between statements, so a setting would change the statements after it; name each table with its schema"},
		{"SET search_path = 'gold'", "name each table with its schema"},
		{"SET enable_progress_bar = true", "lakebench sets DuckDB's settings itself"},
		{"SET autoinstall_known_extensions = true", "SET autoinstall_known_extensions is refused to every principal, the target's owner included: lakebench never installs or loads DuckDB extensions"},
		{`SET GLOBAL "allow_unsigned_extensions" = true`, "SET allow_unsigned_extensions is refused to every principal"},
		{"RESET autoload_known_extensions", "RESET autoload_known_extensions is refused to every principal"},
		{"/* x */ PRAGMA custom_extension_repository = 'http://127.0.0.1:9/'", "SET custom_extension_repository is refused to every principal"},
	}
	check := func(who string, err error, c struct{ sql, want string }) {
		t.Helper()
		var ae *AccessError
		switch {
		case !errors.As(err, &ae):
			t.Errorf("%s: %q: %v, want it refused", who, c.sql, err)
		case strings.Contains(err.Error(), "only the target's owner"):
			t.Errorf("%s: %q: %v: the owner is refused too", who, c.sql, err)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: %q: got %v, want it to say %q", who, c.sql, err, c.want)
		}
	}
	lh, err := Open(ctx, g.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"owner", "", "dana", "ben"} {
		lh.SetPrincipal(p)
		for _, c := range cases {
			_, err := lh.Exec(ctx, c.sql)
			check(p, err, c)
		}
	}
	for _, p := range []string{"", "owner", "dana"} {
		tx, err := lh.BeginAs(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			_, _, err := tx.AuthorizeSQL(ctx, c.sql)
			check("a transaction as "+p, err, c)
		}
		tx.Rollback()
	}
	lh.Close()
	ro, err := Open(ctx, g.path, Options{ReadOnly: true, Principal: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	for _, c := range cases {
		_, err := ro.Query(ctx, c.sql)
		check("read-only dana", err, c)
	}
}
