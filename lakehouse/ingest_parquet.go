package lakehouse

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// parquet loads a Parquet file: its row count comes from the file's own
// metadata; columns whose type differs from the table's are cast row by row
// (file_row_number names the row of any value that does not fit).
func (l *loader) parquet(ctx context.Context) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	h := newContentHash()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return err
	}
	l.hash = h.sum()
	src := "read_parquet(" + QuoteString(l.path) + ")"
	fileCols, err := describe(ctx, l.tx.tx, src)
	if err != nil {
		return fmt.Errorf("not a readable Parquet file (%s); check that it was written completely, or pass the right format", firstLine(err.Error()))
	}
	if err := l.tx.tx.QueryRowContext(ctx, "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata("+QuoteString(l.path)+")").Scan(&l.read); err != nil {
		return err
	}
	cols, err := l.prepareTable(ctx, fileCols)
	if err != nil {
		return fmt.Errorf("prepare table: %w", err)
	}
	same := true
	for i := range cols {
		same = same && strings.EqualFold(cols[i].Type, fileCols[i].Type)
	}
	if same {
		res, err := l.tx.tx.ExecContext(ctx, "INSERT INTO "+l.store.SQL()+" BY NAME SELECT *, "+l.metaSelect()+" FROM "+src)
		if err != nil {
			return err
		}
		l.loaded, _ = res.RowsAffected()
		return nil
	}
	stage := "(SELECT file_row_number + 1 AS __lb_row, * EXCLUDE (file_row_number) FROM read_parquet(" + QuoteString(l.path) + ", file_row_number=true))"
	return l.typedLoad(ctx, stage, "__lb_row", fileCols, cols, false)
}
