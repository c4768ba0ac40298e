package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"
)

// exportFormats are COPY's options for each format Export writes.
var exportFormats = map[string]string{
	"csv":     "FORMAT csv, HEADER",
	"parquet": "FORMAT parquet, COMPRESSION zstd",
	"json":    "FORMAT json",
}

// exportBatch is how many rows of the spill Export moves at a time: the
// spill's connection is free for Page between batches.
const exportBatch = 256 * 1024

// Export writes the whole result, in order, to path as csv, parquet or
// json, reporting rows written; it needs no file access in the sandbox of a
// read-only session (the writer is outside it) and refuses links.
//
// The writer is a private in-memory DuckDB of its own (a principal's
// session has file access disabled for its whole instance): the spill's
// chunks are appended into it, a batch at a time, and it writes the file
// with COPY, to a temporary name that replaces path only once complete.
func (l *Live) Export(ctx context.Context, path, format string, progress func(written int64)) error {
	opts, ok := exportFormats[strings.ToLower(format)]
	if !ok {
		return fmt.Errorf("lakehouse: export as %q: choose csv, parquet or json", format)
	}
	if err := l.Wait(ctx); err != nil {
		return incomplete(err)
	}
	if err := exportTarget(path); err != nil {
		return err
	}
	if err := notOwnFile(l.path, path); err != nil {
		return err
	}
	l.mu.Lock()
	names, types, cols, total, closed, why := l.names, l.types, l.columns, l.rows, l.closed, l.closedErr()
	l.mu.Unlock()
	if closed {
		return why
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	work, err := os.MkdirTemp("", "lakebench-export-*")
	if err != nil {
		return fmt.Errorf("lakehouse: export: %w", err)
	}
	defer os.RemoveAll(work)

	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return fmt.Errorf("lakehouse: export: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return queryError(ctx, err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "SET memory_limit = '%d bytes'; SET threads = %d; SET temp_directory = %s;\n",
		l.memoryLimit/2, max(l.threads, 1), QuoteString(work))
	b.WriteString("CREATE TABLE lb_export (lb_row BIGINT")
	for i, n := range names {
		b.WriteString(", " + QuoteIdent(n) + " " + types[i])
	}
	b.WriteString(")")
	if _, err := conn.ExecContext(ctx, b.String()); err != nil {
		return queryError(ctx, fmt.Errorf("export: %w", err))
	}
	var catalog string
	if err := conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&catalog); err != nil {
		return queryError(ctx, err)
	}
	err = conn.Raw(func(dc any) error {
		x, err := rawConnection(dc)
		if err != nil {
			return err
		}
		var app bindings.Appender
		if bindings.AppenderCreateExt(x, catalog, "main", "lb_export", &app) == bindings.StateError {
			err := errors.New(bindings.AppenderError(app))
			bindings.AppenderDestroy(&app)
			return err
		}
		defer bindings.AppenderDestroy(&app)
		sel := "SELECT " + l.pos() + " AS lb_row, " + quotedList(names) + " FROM " + l.table
		for off := int64(0); off < total; off += exportBatch {
			if err := ctx.Err(); err != nil {
				return err
			}
			q := sel + " WHERE " + l.span(off, exportBatch)
			err := l.sess.raw(func(c bindings.Connection) error {
				var res bindings.Result
				defer bindings.DestroyResult(&res)
				if bindings.Query(c, q, &res) == bindings.StateError {
					return errors.New(bindings.ResultError(&res))
				}
				for {
					chunk := bindings.FetchChunk(res)
					if chunk.Ptr == nil {
						return nil
					}
					state := bindings.AppendDataChunk(app, chunk)
					bindings.DestroyDataChunk(&chunk)
					if state == bindings.StateError {
						return errors.New(bindings.AppenderError(app))
					}
				}
			})
			if err != nil {
				return err
			}
			if progress != nil {
				progress(min(off+exportBatch, total))
			}
		}
		if bindings.AppenderFlush(app) == bindings.StateError {
			return errors.New(bindings.AppenderError(app))
		}
		return nil
	})
	if err != nil {
		return queryError(ctx, fmt.Errorf("export: %w", err))
	}
	// The file's columns are named as the query names them, unless two
	// names collide.
	out := make([]string, len(names))
	unique := map[string]bool{}
	for i, c := range cols {
		unique[strings.ToLower(c.Name)] = true
		out[i] = QuoteIdent(names[i]) + " AS " + QuoteIdent(c.Name)
	}
	if len(unique) != len(cols) {
		out = []string{quotedList(names)}
	}
	copyStmt := "COPY (SELECT " + strings.Join(out, ", ") + " FROM lb_export ORDER BY lb_row) TO " + QuoteString(tmp) + " (" + opts + ")"
	if _, err := conn.ExecContext(ctx, copyStmt); err != nil {
		return queryError(ctx, fmt.Errorf("export to %s: %w", path, err))
	}
	if err := exportTarget(path); err != nil {
		return err
	}
	if err := notOwnFile(l.path, path); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	if progress != nil && total == 0 {
		progress(0)
	}
	return nil
}

// exportTarget refuses to write path when it is a link (the export would
// land in whatever it points to) or anything but a regular file.
func exportTarget(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if d, err := os.Stat(filepath.Dir(path)); err != nil || !d.IsDir() {
			return fmt.Errorf("lakehouse: export to %s: the directory %s does not exist; create it or choose another path", path, filepath.Dir(path))
		}
		return nil
	case err != nil:
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("lakehouse: export to %s: it is a symbolic link, so the export would write whatever file it points to; remove the link or choose another path", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("lakehouse: export to %s: it is not a regular file (%s); choose another path", path, fi.Mode().Type())
	}
	return nil
}

// notOwnFile refuses an export into the directory of the target's own
// files (its DuckDB file, lock, audit and query logs), however the path
// reaches it: an export there would replace them.
func notOwnFile(target, path string) error {
	if target == "" {
		return nil
	}
	own, err := filepath.EvalSymlinks(filepath.Dir(target))
	if err != nil {
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	if dir == own {
		return fmt.Errorf("lakehouse: export to %s: %s holds the target's own files (its database, lock and logs), which an export may not replace; choose another directory", path, filepath.Dir(path))
	}
	return nil
}
