package ml

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// tableReader reads a table column-wise and digests it, checked as its
// principal: a transaction, or the lakehouse outside one.
type tableReader interface {
	ReadColumns(ctx context.Context, table lakehouse.TableName, columns []string) (*lakehouse.ColumnData, error)
	TableDigest(ctx context.Context, table lakehouse.TableName) (digest string, rows int64, err error)
}

// tableColumns lists a table's columns and types; nil when it does not
// exist.
func tableColumns(ctx context.Context, q records, t lakehouse.TableName) ([]lakehouse.Column, error) {
	res, err := q.QueryArgs(ctx, `SELECT column_name, data_type FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index`, t.Schema, t.Name)
	if err != nil {
		return nil, fmt.Errorf("ml: columns of %s: %w", t, err)
	}
	var out []lakehouse.Column
	for _, r := range res.Rows {
		out = append(out, lakehouse.Column{Name: asString(r[0]), Type: asString(r[1])})
	}
	return out, nil
}

// readTable is ReadFrame (or ReadFrameTx) on src, saying what to do about
// a missing table.
func readTable(ctx context.Context, src tableReader, table lakehouse.TableName, names []string) (*Frame, error) {
	data, err := src.ReadColumns(ctx, table, names)
	if err != nil {
		return nil, readFailed(table, err)
	}
	return FrameOf(data), nil
}

// readFailed explains a read of table that failed.
func readFailed(table lakehouse.TableName, err error) error {
	if errors.Is(err, lakehouse.ErrNotFound) && !strings.Contains(err.Error(), "column") {
		return fmt.Errorf("ml: table %s does not exist: build it first (lakebench run), or name another with --table", table)
	}
	return fmt.Errorf("ml: %w", err)
}
