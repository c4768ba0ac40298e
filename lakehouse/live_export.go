package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	bindings "github.com/duckdb/duckdb-go-bindings"
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
// with COPY into a private directory. The destination directory is opened
// once, first (an os.Root): it is checked as opened, and the file is
// copied into a temporary name in it and renamed over path through that
// handle, so a directory (or a link) swapped in at its name meanwhile
// receives nothing.
func (l *Live) Export(ctx context.Context, path, format string, progress func(written int64)) error {
	opts, ok := exportFormats[strings.ToLower(format)]
	if !ok {
		return fmt.Errorf("lakehouse: export as %q: choose csv, parquet or json", format)
	}
	if err := l.Wait(ctx); err != nil {
		return incomplete(err)
	}
	dir, err := openExportDir(l.path, path, l.protected)
	if err != nil {
		return err
	}
	defer dir.Close()
	base := filepath.Base(path)
	if err := exportTarget(dir, path, base); err != nil {
		return err
	}
	if fi, err := dir.Lstat(base); err == nil {
		for _, p := range l.protected {
			if pfi, err := os.Stat(p); err == nil && os.SameFile(fi, pfi) {
				return fmt.Errorf("lakehouse: export to %s: that is %s, which the next run reads as its runner; choose another path", path, p)
			}
		}
	}
	l.mu.Lock()
	names, types, cols, total, closed, why := l.names, l.types, l.columns, l.rows, l.closed, l.closedErr()
	l.mu.Unlock()
	if closed {
		return why
	}
	work, err := os.MkdirTemp("", "lakebench-export-*")
	if err != nil {
		return fmt.Errorf("lakehouse: export: %w", err)
	}
	defer os.RemoveAll(work)
	tmp := filepath.Join(work, "export")

	connector, err := newConnector("", false)
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
	if err := place(dir, tmp, path, base); err != nil {
		return err
	}
	if progress != nil && total == 0 {
		progress(0)
	}
	return nil
}

// openExportDir opens the directory path is to be written in, once: what
// it is when opened is what is checked and written. It refuses the
// directory of the target's own files (its DuckDB file, lock, audit and
// query logs), however path reaches it: an export there would replace
// them; and any of the protected directories or one below them.
func openExportDir(target, path string, protected []string) (*os.Root, error) {
	name := filepath.Dir(path)
	dir, err := os.OpenRoot(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("lakehouse: export to %s: the directory %s does not exist; create it or choose another path", path, name)
		}
		return nil, fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	if target != "" {
		opened, err := dir.Stat(".")
		if err != nil {
			dir.Close()
			return nil, fmt.Errorf("lakehouse: export to %s: %w", path, err)
		}
		if own, err := os.Stat(filepath.Dir(target)); err == nil && os.SameFile(opened, own) {
			dir.Close()
			return nil, fmt.Errorf("lakehouse: export to %s: %s holds the target's own files (its database, lock and logs), which an export may not replace; choose another directory", path, name)
		}
	}
	if p := landingOf(dir, name, protected); p != "" {
		dir.Close()
		return nil, fmt.Errorf("lakehouse: export to %s: that is in %s, a landing zone of the sources or the project's model SQL or YAML, which the next run reads as its runner; choose another directory", path, p)
	}
	return dir, nil
}

// landingOf returns the protected directory that dir (opened from name)
// is, or lies below, by its real path; "" when none.
func landingOf(dir *os.Root, name string, protected []string) string {
	if len(protected) == 0 {
		return ""
	}
	opened, err := dir.Stat(".")
	if err != nil {
		return name // unknown: refuse
	}
	real, rerr := filepath.EvalSymlinks(name)
	for _, p := range protected {
		if fi, err := os.Stat(p); err == nil && os.SameFile(opened, fi) {
			return p
		}
		preal, err := filepath.EvalSymlinks(p)
		if err != nil || rerr != nil {
			continue
		}
		if rel, err := filepath.Rel(preal, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return p
		}
	}
	return ""
}

// exportTarget refuses to write base in dir when it is a link (the export
// would land in whatever it points to) or anything but a regular file.
func exportTarget(dir *os.Root, path, base string) error {
	fi, err := dir.Lstat(base)
	switch {
	case errors.Is(err, os.ErrNotExist):
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

// place copies the written file src into dir under a new temporary name,
// then renames it over base: all through dir's handle, never by path.
func place(dir *os.Root, src, path, base string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	defer in.Close()
	var out *os.File
	var tmp string
	for i := 0; out == nil; i++ {
		tmp = fmt.Sprintf(".%s.partial-%d-%d", base, os.Getpid(), i)
		out, err = dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil && (!errors.Is(err, os.ErrExist) || i >= 100) {
			return fmt.Errorf("lakehouse: export to %s: %w", path, err)
		}
	}
	defer func() {
		if err != nil {
			dir.Remove(tmp)
		}
	}()
	if _, err = io.Copy(out, in); err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	if err = exportTarget(dir, path, base); err != nil {
		return err
	}
	if err = dir.Rename(tmp, base); err != nil {
		return fmt.Errorf("lakehouse: export to %s: %w", path, err)
	}
	return nil
}
