package lakehouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// loadParquet loads Parquet files. Row counts come from each file's own
// metadata. Files whose columns have the table's types load together in one
// statement; a file whose types differ is cast row by row, and a value that
// does not fit is quarantined with its row number (file_row_number + 1).
func (tx *Tx) loadParquet(ctx context.Context, ls []*loader) error {
	var batch []*loader
	for _, l := range ls {
		if err := checkParquet(l); err != nil {
			return fmt.Errorf("%s: %w", l.path, err)
		}
		// DuckDB aborts a transaction on a read error, so the schema is read
		// outside it.
		probe := tx.lh.probe()
		fileCols, err := describe(ctx, probe, "read_parquet("+QuoteString(l.dpath)+")")
		if err != nil {
			return fmt.Errorf("%s: not a readable Parquet file (%s); check that it was written completely, or pass the right format", l.path, firstLine(err.Error()))
		}
		cols, err := l.prepareTable(ctx, fileCols)
		if err != nil {
			return fmt.Errorf("prepare table: %w", err)
		}
		same := true
		for i := range cols {
			same = same && sameType(cols[i].Type, fileCols[i].Type)
		}
		if same {
			batch = append(batch, l)
			continue
		}
		if err := l.parquetCast(ctx, fileCols, cols); err != nil {
			return fmt.Errorf("%s: %w", l.path, err)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	paths := make([]string, len(batch))
	ids := make([]string, len(batch))
	byPath := map[string]*loader{}
	for i, l := range batch {
		paths[i] = QuoteString(l.dpath)
		ids[i] = "(" + QuoteString(l.dpath) + ", " + strconv.FormatInt(l.fileID, 10) + ")"
		byPath[l.dpath] = l
	}
	list := "[" + strings.Join(paths, ", ") + "]"
	rows, err := tx.tx.QueryContext(ctx, "SELECT file_name, coalesce(sum(num_rows), 0) FROM parquet_file_metadata("+list+") GROUP BY 1")
	if err != nil {
		return err
	}
	var want int64
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return err
		}
		if l := byPath[name]; l != nil {
			l.read = n
			l.loaded = n
			want += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, "INSERT INTO "+batch[0].store.SQL()+" BY NAME SELECT r.* EXCLUDE (filename), m.id AS "+fileIDColumn+
		" FROM read_parquet("+list+", filename=true, union_by_name=true) AS r JOIN (VALUES "+strings.Join(ids, ", ")+") AS m(path, id) ON r.filename = m.path")
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != want {
		return fmt.Errorf("loaded %d rows but the files' metadata count %d", n, want)
	}
	return nil
}

// parquetCast loads one file whose column types differ from the table's.
func (l *loader) parquetCast(ctx context.Context, fileCols, cols []Column) error {
	if err := l.tx.tx.QueryRowContext(ctx, "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata("+QuoteString(l.dpath)+")").Scan(&l.read); err != nil {
		return err
	}
	stage := "(SELECT file_row_number + 1 AS __lb_row, * EXCLUDE (file_row_number) FROM read_parquet(" + QuoteString(l.dpath) + ", file_row_number=true))"
	loaded, failed, err := l.tx.typedLoad(ctx, stagedLoad{store: l.store, stage: stage, lineCol: "__lb_row",
		fileExpr: strconv.FormatInt(l.fileID, 10), from: fileCols, to: cols, expected: l.read})
	if err != nil {
		return err
	}
	l.loaded = loaded
	return l.quarantine(ctx, failed[l.fileID])
}

var parquetMagic = []byte("PAR1")

// checkParquet hashes the file and checks it begins and ends with Parquet's
// magic bytes, so that a truncated or mislabelled file is refused with a
// clear message instead of DuckDB aborting the load.
func checkParquet(l *loader) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := newContentHash()
	size, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	l.hash = h.sum()
	head, tail := make([]byte, 4), make([]byte, 4)
	if size < 12 {
		return errors.New("not a Parquet file (too short); check the file, or pass the right format")
	}
	if _, err := f.ReadAt(head, 0); err != nil {
		return err
	}
	if _, err := f.ReadAt(tail, size-4); err != nil {
		return err
	}
	if !bytes.Equal(head, parquetMagic) {
		return errors.New("not a Parquet file (it does not start with PAR1); if it is CSV or JSON, name it so or pass --format")
	}
	if !bytes.Equal(tail, parquetMagic) {
		return errors.New("truncated Parquet file (no PAR1 footer): it was not written completely; copy it again")
	}
	return nil
}
