package ml

import (
	"context"
	"fmt"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// This file reads tables for the registry until the columnar reader
// (ReadFrame, TableDigest) lands: row by row, through a query.

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

// readTable reads the named columns of table (all when names is empty) into
// a Frame: numbers as Numeric, BOOLEAN as Boolean, anything else as Text.
func readTable(ctx context.Context, q records, table lakehouse.TableName, names []string) (*Frame, error) {
	cols, err := tableColumns(ctx, q, table)
	if err != nil {
		return nil, err
	}
	if cols == nil {
		return nil, fmt.Errorf("ml: table %s does not exist: build it first (lakebench run), or name another with --table", table)
	}
	types := map[string]string{}
	for _, c := range cols {
		types[c.Name] = c.Type
	}
	if len(names) == 0 {
		for _, c := range cols {
			names = append(names, c.Name)
		}
	}
	f := &Frame{}
	sel := make([]string, len(names))
	for i, n := range names {
		typ, ok := types[n]
		if !ok {
			return nil, fmt.Errorf("ml: table %s has no column %q: its columns are %s", table, n, columnList(cols))
		}
		c := Column{Name: n, Type: typ}
		switch {
		case lakehouse.IsNumericType(typ):
			c.Kind, sel[i] = Numeric, lakehouse.QuoteIdent(n)+"::DOUBLE"
		case typ == "BOOLEAN":
			c.Kind, sel[i] = Boolean, lakehouse.QuoteIdent(n)+"::DOUBLE"
		default:
			c.Kind, sel[i] = Text, lakehouse.QuoteIdent(n)+"::VARCHAR"
		}
		f.Columns = append(f.Columns, c)
	}
	if len(sel) == 0 {
		return f, nil
	}
	res, err := q.QueryArgs(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+table.SQL())
	if err != nil {
		return nil, fmt.Errorf("ml: read %s: %w", table, err)
	}
	f.Rows = len(res.Rows)
	for j := range f.Columns {
		c := &f.Columns[j]
		if c.Kind == Text {
			c.Text = make([]string, f.Rows)
		} else {
			c.Num = make([]float64, f.Rows)
		}
		for i, r := range res.Rows {
			switch v := r[j].(type) {
			case nil:
				if c.Null == nil {
					c.Null = make([]bool, f.Rows)
				}
				c.Null[i] = true
			case float64:
				c.Num[i] = v
			case string:
				c.Text[i] = v
			}
		}
	}
	return f, nil
}

func columnList(cols []lakehouse.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// digestOf is a content digest of a table, whatever the order of its rows:
// the sum of its rows' hashes, with its row count.
func digestOf(ctx context.Context, q records, table lakehouse.TableName) (string, int64, error) {
	res, err := q.QueryArgs(ctx, "SELECT count(*), coalesce(sum(hash(lb_t)::HUGEINT), 0) % 18446744073709551616 FROM "+table.SQL()+" AS lb_t")
	if err != nil {
		return "", 0, fmt.Errorf("ml: digest of %s: %w", table, err)
	}
	rows := asInt(res.Rows[0][0])
	return fmt.Sprintf("rowhash:%v", res.Rows[0][1]), rows, nil
}
