package ml

import (
	"context"
	"fmt"

	"github.com/lakebench/lakebench/lakehouse"
)

// ReadFrame reads columns of table ("schema.name") into a Frame, column by
// column (lakehouse.ReadColumns: governed as any read, the principal needs
// SELECT on the table, and audited). No columns means all of the table's.
//
// Each column keeps its DuckDB type in Type and becomes:
//   - Numeric: every numeric type (integers, DECIMAL, FLOAT, DOUBLE) as
//     float64 (an integer past 2^53 rounded);
//   - Boolean: BOOLEAN as 0/1;
//   - Numeric too, in days: DATE as days since 1970-01-01, TIMESTAMP (with
//     or without time zone) as fractional days since 1970-01-01 00:00 UTC,
//     TIME as the fraction of its day, INTERVAL as its length in days. A
//     date is a number on a line, as scikit-learn would see its ordinal:
//     standardisation makes the unit irrelevant. Derive a weekday or a
//     month in a model to use those instead;
//   - Text: VARCHAR, ENUM and UUID.
//
// A column of another type (BLOB, LIST, STRUCT, MAP, ...) is an error that
// names it and its type. NULLs are in each column's Null mask; NaN and
// ±Inf in a DOUBLE column come through as they are, for the feature
// preparation to refuse with the column's name.
func ReadFrame(ctx context.Context, lh *lakehouse.Lakehouse, table string, columns []string) (*Frame, error) {
	t, err := lakehouse.ParseTableName(table)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	data, err := lh.ReadColumns(ctx, t, columns)
	if err != nil {
		return nil, err
	}
	return FrameOf(data), nil
}

// ReadFrameTx is ReadFrame inside a transaction, as its principal (a
// pipeline task's): see lakehouse.Tx.ReadColumns.
func ReadFrameTx(ctx context.Context, tx *lakehouse.Tx, table string, columns []string) (*Frame, error) {
	t, err := lakehouse.ParseTableName(table)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	data, err := tx.ReadColumns(ctx, t, columns)
	if err != nil {
		return nil, err
	}
	return FrameOf(data), nil
}

// FrameOf turns columns read by lakehouse.ReadColumns into a Frame (see
// ReadFrame for the kinds). The Frame takes the columns' slices over, so
// data should not be used after.
func FrameOf(data *lakehouse.ColumnData) *Frame {
	f := &Frame{Rows: data.Rows, Columns: make([]Column, len(data.Columns))}
	for i, c := range data.Columns {
		f.Columns[i] = Column{Name: c.Name, Type: c.Type, Kind: frameKind(c.Kind), Num: c.Num, Text: c.Text, Null: c.Null}
	}
	return f
}

// frameKind is the Frame kind of a kind of values read.
func frameKind(k lakehouse.ValueKind) ColumnKind {
	switch k {
	case lakehouse.TextValues:
		return Text
	case lakehouse.BooleanValues:
		return Boolean
	}
	return Numeric // numbers, and dates and times in days
}
