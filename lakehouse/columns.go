package lakehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ValueKind is how ReadColumns hands a column's values to Go.
type ValueKind int

// The kinds of ColumnValues.
const (
	// NumberValues are every numeric type (integers, HUGEINT, DECIMAL,
	// FLOAT, DOUBLE) as float64 in Num: an integer past 2^53 or a DECIMAL
	// of more than 15 digits is rounded to the nearest float64, as a cast
	// to DOUBLE rounds it. NaN and ±Inf stay as DuckDB holds them.
	NumberValues ValueKind = iota
	// BooleanValues are BOOLEAN as 0 (false) or 1 (true) in Num.
	BooleanValues
	// TemporalValues are days in Num: a DATE or a TIMESTAMP (any
	// precision, with or without time zone) as days since 1970-01-01
	// 00:00 UTC, fractional for a timestamp (to the microsecond); a TIME
	// as the fraction of its day; an INTERVAL as its length in days (a
	// month counting 30).
	TemporalValues
	// TextValues are VARCHAR, ENUM and UUID as strings in Text.
	TextValues
)

// String names the kind.
func (k ValueKind) String() string {
	switch k {
	case NumberValues:
		return "number"
	case BooleanValues:
		return "boolean"
	case TemporalValues:
		return "temporal"
	case TextValues:
		return "text"
	}
	return fmt.Sprintf("ValueKind(%d)", int(k))
}

// ColumnValues is one column of a table held in memory (see ReadColumns).
type ColumnValues struct {
	// Column is the name and DuckDB type as the table declares them.
	Column
	Kind ValueKind
	// Num holds the values of every kind but TextValues, Text those of
	// TextValues; row i of the column is Num[i] or Text[i]. A NULL is
	// marked in Null (its Num is 0, its Text "").
	Num  []float64
	Text []string
	// Null is true where the value is NULL; nil when the column has none.
	Null []bool
}

// IsNull reports whether row i is NULL.
func (c *ColumnValues) IsNull(i int) bool { return c.Null != nil && c.Null[i] }

// ColumnData is columns of one table read into memory, row i of each
// column from the same row of the table.
type ColumnData struct {
	Table   TableName
	Rows    int
	Columns []ColumnValues
	// Matrix holds the columns ReadColumnsMatrix was asked to read row by
	// row, or nil.
	Matrix *RowMatrix
}

// RowMatrix is numeric columns of a table held row-major in one slice, as
// a matrix for training: row i's value of Columns[j] is Data[i*len(Columns)+j]
// (0 where NULL). Columns name them and hold their NULL masks; their Num
// and Text are nil.
type RowMatrix struct {
	Columns []ColumnValues
	Data    []float64
}

// Column returns the column called name (as ReadColumns matched it: its
// exact name, or the one name that differs only in case), or nil.
func (d *ColumnData) Column(name string) *ColumnValues {
	for i := range d.Columns {
		if d.Columns[i].Name == name {
			return &d.Columns[i]
		}
	}
	for i := range d.Columns {
		if strings.EqualFold(d.Columns[i].Name, name) {
			return &d.Columns[i]
		}
	}
	return nil
}

// ReadColumns reads columns of a table (or view) into memory column by
// column, for training: numbers, booleans, dates and times as float64 and
// text as strings (see ValueKind), with a NULL mask. Columns are named as
// the table names them (a name that differs only in case matches, as in
// SQL); none means every column, in the table's order. A column of
// another type (BLOB, LIST, STRUCT, MAP, ...) is refused with its name and
// type, before anything is read.
//
// It is a read like Query's: the session's principal needs SELECT on the
// table (checked on DuckDB's bound plan; a view is checked as Query checks
// it), a refusal is an *AccessError and is audited, and the read is
// audited with its row count. All columns are read in one transaction, so
// they hold the same rows in the same order (the table's), whatever
// commits meanwhile.
//
// One query reads every column (a row's values come from one scan), its
// values converted by DuckDB (casts in SQL) and handed over a chunk at a
// time through its Arrow interface (built with the duckdb_arrow tag, as
// make builds lakebench), copied once into slices sized from the row
// count; a build without the tag scans the same queries through
// database/sql, a value at a time, which is slower (see
// BenchmarkReadColumns1M). A large table is read by several such queries,
// each a range of its rowid (see readQueries), since DuckDB holds a
// query's whole result before handing it over. Memory is the columns' own
// (8 bytes a value, plus the mask) and one query's result inside DuckDB.
func (lh *Lakehouse) ReadColumns(ctx context.Context, table TableName, columns []string) (*ColumnData, error) {
	tables, action, err := lh.authorizeSQL(ctx, readAllSQL(table))
	if err != nil {
		return nil, readError(ctx, lh.db, table, err)
	}
	data, err := lh.readColumns(ctx, table, columns)
	var n int64
	if data != nil {
		n = int64(data.Rows)
	}
	if aerr := lh.audited(ctx, action, readAllSQL(table), tables, n, err); aerr != nil && err == nil {
		return nil, aerr
	}
	return data, err
}

func (lh *Lakehouse) readColumns(ctx context.Context, table TableName, columns []string) (*ColumnData, error) {
	conn, err := lh.userDB().Conn(ctx)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer tx.Rollback()
	return readColumnsOn(ctx, conn, tx, table, columns)
}

// ReadColumns is Lakehouse.ReadColumns inside the transaction, as its
// principal (see BeginAs): the read is checked as AuthorizeSQL checks a
// statement and listed in Checked, for the caller's audit. It sees what
// the transaction wrote.
func (tx *Tx) ReadColumns(ctx context.Context, table TableName, columns []string) (*ColumnData, error) {
	if _, _, err := tx.AuthorizeSQL(ctx, readAllSQL(table)); err != nil {
		return nil, readError(ctx, tx.tx, table, err)
	}
	return readColumnsOn(ctx, tx.conn, tx.tx, table, columns)
}

// ReadColumnsMatrix is Tx.ReadColumns of columns, and besides them of the
// columns named in matrix, each a number, a boolean or a date or time (not
// text), into one row-major slice (ColumnData.Matrix), in the same query:
// a training's features then need no copy from columns to a matrix. A
// matrix column named among columns too, or of text, is an error.
func (tx *Tx) ReadColumnsMatrix(ctx context.Context, table TableName, columns, matrix []string) (*ColumnData, error) {
	if _, _, err := tx.AuthorizeSQL(ctx, readAllSQL(table)); err != nil {
		return nil, readError(ctx, tx.tx, table, err)
	}
	if len(columns) == 0 {
		return nil, fmt.Errorf("lakehouse: read %s: name the columns read beside the matrix", table)
	}
	return readColumnsMatrixOn(ctx, tx.conn, tx.tx, table, columns, matrix)
}

// KindOf is the kind ReadColumns reads a column of this type as, or an
// error naming a type it cannot read.
func KindOf(c Column) (ValueKind, error) {
	kind, _, err := valueExpr(c)
	return kind, err
}

// ReadColumnsEach is Tx.ReadColumns a slice of the table's rows at a
// time, for work whose memory must not grow with the table (batch
// scoring): fn gets each slice's columns in turn (a table's rows in ranges
// of its rowid of whole row groups, about maxBytes of values each; a view
// in one), and once with no rows when the table has none. Each slice's
// ColumnData is fn's to keep. An error from fn stops the read and is
// returned as it is.
func (tx *Tx) ReadColumnsEach(ctx context.Context, table TableName, columns []string, maxBytes int, fn func(*ColumnData) error) error {
	if _, _, err := tx.AuthorizeSQL(ctx, readAllSQL(table)); err != nil {
		return readError(ctx, tx.tx, table, err)
	}
	declared, err := describeTable(ctx, tx.tx, table)
	if err != nil {
		return err
	}
	picked, err := pickColumns(table, declared, columns)
	if err != nil {
		return err
	}
	_, probe, err := newColumnData(table, picked)
	if err != nil {
		return err
	}
	queries, _, span, err := readQueries(ctx, tx.tx, table, declared, probe, maxBytes)
	if err != nil {
		return queryError(ctx, err)
	}
	for _, q := range queries {
		data, reads, err := newColumnData(table, picked)
		if err != nil {
			return err
		}
		data.reserve(span)
		if err := fetchColumns(ctx, tx.conn, tx.tx, q, reads); err != nil {
			if ctx.Err() != nil {
				return ErrCanceled
			}
			return fmt.Errorf("lakehouse: read %s: %w", table, err)
		}
		data.Rows = max(len(data.Columns[0].Num), len(data.Columns[0].Text))
		if err := fn(data); err != nil {
			return err
		}
	}
	return nil
}

// newColumnData is an empty ColumnData of the picked columns and how each
// is read into it.
func newColumnData(table TableName, picked []Column) (*ColumnData, []columnRead, error) {
	data := &ColumnData{Table: table, Columns: make([]ColumnValues, len(picked))}
	reads := make([]columnRead, len(picked))
	for i, c := range picked {
		kind, expr, err := valueExpr(c)
		if err != nil {
			return nil, nil, fmt.Errorf("lakehouse: read %s: %w", table, err)
		}
		data.Columns[i] = ColumnValues{Column: c, Kind: kind}
		reads[i] = columnRead{expr: expr, out: &data.Columns[i]}
	}
	return data, reads, nil
}

// reserve sizes d's columns for rows values: a read appends at most that
// many.
func (d *ColumnData) reserve(rows int64) {
	for i := range d.Columns {
		if c := &d.Columns[i]; c.Kind == TextValues {
			c.Text = make([]string, 0, rows)
		} else {
			c.Num = make([]float64, 0, rows)
		}
	}
}

// readAllSQL is the statement a read of table is authorized as: a read of
// some columns needs what a read of all of them needs (grants are on
// tables).
func readAllSQL(table TableName) string { return "SELECT * FROM " + table.SQL() }

// describeTable returns the columns of a table or view, or an error
// wrapping ErrNotFound when there is none of that name.
// It asks first, so a missing table is no failed statement (which would
// end a transaction).
func describeTable(ctx context.Context, e execer, table TableName) ([]Column, error) {
	if ok, err := tableExists(ctx, e, table); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound(table)
	}
	cols, err := describeQuery(ctx, e, readAllSQL(table))
	if err != nil {
		return nil, queryError(ctx, err)
	}
	return cols, nil
}

func notFound(table TableName) error {
	return fmt.Errorf("lakehouse: read %s: table %w: name it as schema.table (`lakebench status` lists the tables)", table, ErrNotFound)
}

// readError explains a read that could not be authorized: a refusal as it
// is, a missing table as ErrNotFound.
func readError(ctx context.Context, e execer, table TableName, err error) error {
	var ae *AccessError
	if errors.As(err, &ae) || ctx.Err() != nil {
		return err
	}
	if ok, xerr := tableExists(ctx, e, table); xerr == nil && !ok {
		return notFound(table)
	}
	return err
}

// columnRead is how one column is read: the expression DuckDB computes
// for it (see valueExpr) and where its values go.
type columnRead struct {
	expr string
	out  *ColumnValues
	// A matrix column's values go to dense instead, row i at
	// dense[i*stride+col]; n counts the rows written.
	dense       []float64
	stride, col int
	n           int
}

// capacity is the most rows r's column can take.
func (r *columnRead) capacity() int {
	if r.dense != nil {
		return len(r.dense) / r.stride
	}
	return max(cap(r.out.Num), cap(r.out.Text))
}

// rowsRead is how many rows of its column r has read.
func (r *columnRead) rowsRead() int {
	if r.dense != nil {
		return r.n
	}
	return max(len(r.out.Num), len(r.out.Text))
}

// fetchAll runs a read's queries into reads and checks each column got
// the table's rows.
func fetchAll(ctx context.Context, conn *sql.Conn, tx execer, table TableName, queries []string, reads []columnRead, rows int) error {
	for _, q := range queries {
		if err := fetchColumns(ctx, conn, tx, q, reads); err != nil {
			if ctx.Err() != nil {
				return ErrCanceled
			}
			return fmt.Errorf("lakehouse: read %s: %w", table, err)
		}
	}
	for i := range reads {
		if got := reads[i].rowsRead(); got != rows {
			return fmt.Errorf("lakehouse: read %s: column %s has %d rows, the table %d", table, reads[i].out.Name, got, rows)
		}
	}
	return nil
}

// readColumnsOn reads columns of table inside tx, which runs on conn.
func readColumnsOn(ctx context.Context, conn *sql.Conn, tx execer, table TableName, columns []string) (*ColumnData, error) {
	declared, err := describeTable(ctx, tx, table)
	if err != nil {
		return nil, err
	}
	picked, err := pickColumns(table, declared, columns)
	if err != nil {
		return nil, err
	}
	data, reads, err := newColumnData(table, picked)
	if err != nil {
		return nil, err
	}
	queries, n, _, err := readQueries(ctx, tx, table, declared, reads, readResultBytes)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	data.Rows = int(n)
	data.reserve(n)
	if err := fetchAll(ctx, conn, tx, table, queries, reads, data.Rows); err != nil {
		return nil, err
	}
	return data, nil
}

// readColumnsMatrixOn is readColumnsOn with the matrix columns read into a
// RowMatrix (see Tx.ReadColumnsMatrix).
func readColumnsMatrixOn(ctx context.Context, conn *sql.Conn, tx execer, table TableName, columns, matrix []string) (*ColumnData, error) {
	declared, err := describeTable(ctx, tx, table)
	if err != nil {
		return nil, err
	}
	picked, err := pickColumns(table, declared, columns)
	if err != nil {
		return nil, err
	}
	inMatrix, err := pickColumns(table, declared, matrix)
	if err != nil {
		return nil, err
	}
	for _, c := range inMatrix {
		if slices.ContainsFunc(picked, func(p Column) bool { return p.Name == c.Name }) {
			return nil, fmt.Errorf("lakehouse: read %s: column %s is named both as a column and in the matrix: name it once", table, c.Name)
		}
	}
	data, reads, err := newColumnData(table, picked)
	if err != nil {
		return nil, err
	}
	m := &RowMatrix{Columns: make([]ColumnValues, len(inMatrix))}
	for j, c := range inMatrix {
		kind, expr, err := valueExpr(c)
		if err != nil {
			return nil, fmt.Errorf("lakehouse: read %s: %w", table, err)
		}
		if kind == TextValues {
			return nil, fmt.Errorf("lakehouse: read %s: column %s is %s, and a matrix holds numbers: read it as a column", table, c.Name, c.Type)
		}
		m.Columns[j] = ColumnValues{Column: c, Kind: kind}
		reads = append(reads, columnRead{expr: expr, out: &m.Columns[j], stride: len(inMatrix), col: j})
	}
	queries, n, _, err := readQueries(ctx, tx, table, declared, reads, matrixResultBytes)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	data.Rows = int(n)
	data.reserve(n)
	m.Data = make([]float64, int(n)*len(inMatrix))
	for i := len(picked); i < len(reads); i++ {
		reads[i].dense = m.Data
	}
	data.Matrix = m
	if err := fetchAll(ctx, conn, tx, table, queries, reads, data.Rows); err != nil {
		return nil, err
	}
	return data, nil
}

// selectReads is the statement that reads every column of reads.
func selectReads(table TableName, reads []columnRead) string {
	exprs := make([]string, len(reads))
	for i, r := range reads {
		exprs[i] = r.expr
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM " + table.SQL()
}

// rowGroupRows is the rows of a DuckDB row group, the unit its scans skip
// by.
const rowGroupRows = 122880

// readResultBytes bounds the values one read query returns, in bytes:
// DuckDB holds a query's whole result before handing it over (and its
// allocator keeps that memory for a while after), so a large table is
// read in slices of rows.
var readResultBytes = 64 << 20

// matrixResultBytes is readResultBytes for ReadColumnsMatrix, smaller: its
// caller's matrix is already whole beside DuckDB's result.
var matrixResultBytes = 16 << 20

// readQueries returns the queries that read reads of table, together every
// row once, the table's row count and the most rows one query returns. A
// view, or a table with a column named rowid, is one query (a view's rows
// have no stable identity: they need not come in the same order twice); a
// table is read in ranges of its rowid of whole row groups, each query's
// result within maxBytes (but for one row group). All run in the same
// transaction, so they see the same rows.
func readQueries(ctx context.Context, tx execer, table TableName, declared []Column, reads []columnRead, maxBytes int) ([]string, int64, int64, error) {
	all := selectReads(table, reads)
	var n int64
	var isTable bool
	err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE database_name = current_database()
		AND lower(schema_name) = lower(?) AND lower(table_name) = lower(?)`, table.Schema, table.Name).Scan(&isTable)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, c := range declared {
		if strings.EqualFold(c.Name, "rowid") {
			isTable = false
		}
	}
	if !isTable {
		err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table.SQL()).Scan(&n)
		return []string{all}, n, n, err
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table.SQL()).Scan(&n); err != nil {
		return nil, 0, 0, err
	}
	span := int64(rowGroupRows * max(1, maxBytes/(8*max(1, len(reads)))/rowGroupRows))
	if n <= span {
		return []string{all}, n, n, nil
	}
	// The ranges that hold rows, not every range from the least rowid to
	// the greatest: rows this transaction wrote have rowids from 2^62 on,
	// beside the committed ones from 0.
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT DISTINCT rowid // %d AS b FROM %s ORDER BY b", span, table.SQL()))
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	var queries []string
	for rows.Next() {
		var b int64
		if err := rows.Scan(&b); err != nil {
			return nil, 0, 0, err
		}
		queries = append(queries, fmt.Sprintf("%s WHERE rowid >= %d AND rowid < %d", all, b*span, (b+1)*span))
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, err
	}
	return queries, n, span, nil
}

// pickColumns finds the wanted columns among the declared ones: by exact
// name, else by the one name equal but for case; none wanted is all.
func pickColumns(table TableName, declared []Column, want []string) ([]Column, error) {
	if len(want) == 0 {
		return declared, nil
	}
	out := make([]Column, 0, len(want))
	seen := map[string]bool{}
	for _, w := range want {
		c, ok := findColumn(declared, w)
		if !ok {
			names := make([]string, len(declared))
			for i, d := range declared {
				names[i] = d.Name
			}
			return nil, fmt.Errorf("lakehouse: read %s: column %q %w: its columns are %s", table, w, ErrNotFound, strings.Join(names, ", "))
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("lakehouse: read %s: column %s is named twice: name each column once", table, c.Name)
		}
		seen[c.Name] = true
		out = append(out, c)
	}
	return out, nil
}

func findColumn(declared []Column, name string) (Column, bool) {
	for _, d := range declared {
		if d.Name == name {
			return d, true
		}
	}
	var found []Column
	for _, d := range declared {
		if strings.EqualFold(d.Name, name) {
			found = append(found, d)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return Column{}, false
}

// usPerDay is the microseconds of a day.
const usPerDay = "86400000000.0"

// valueExpr is the kind a column is read as and the SQL expression that
// turns its values into a DOUBLE or a VARCHAR (see ValueKind).
func valueExpr(c Column) (ValueKind, string, error) {
	col := QuoteIdent(c.Name)
	t := strings.ToUpper(c.Type)
	switch {
	case IsNumericType(t):
		if t == "DOUBLE" {
			return NumberValues, col, nil
		}
		return NumberValues, "CAST(" + col + " AS DOUBLE)", nil
	case t == "BOOLEAN":
		return BooleanValues, "CAST(" + col + " AS DOUBLE)", nil
	case t == "DATE":
		return TemporalValues, "CAST(" + col + " - DATE '1970-01-01' AS DOUBLE)", nil
	case strings.HasPrefix(t, "TIMESTAMP"):
		return TemporalValues, "epoch_us(" + col + ") / " + usPerDay, nil
	case t == "TIME" || t == "TIME WITH TIME ZONE" || t == "INTERVAL":
		return TemporalValues, "epoch(" + col + ") / 86400.0", nil
	case t == "VARCHAR" || t == "UUID" || strings.HasPrefix(t, "ENUM("):
		if t == "VARCHAR" {
			return TextValues, col, nil
		}
		return TextValues, "CAST(" + col + " AS VARCHAR)", nil
	}
	return 0, "", fmt.Errorf("column %s is %s, which is neither a number, a boolean, a date or time nor text; leave it out, or turn it into one of those in a model", c.Name, c.Type)
}

// interner shares the strings of a text column: a value seen before is
// not allocated again (a column of categories holds few), up to a bound.
type interner map[string]string

const maxInterned = 1 << 16

// intern returns s, or the copy of it seen before; s may point into memory
// that is reused (Arrow's buffers), so a new value is cloned.
func (m interner) intern(s string) string {
	if v, ok := m[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if len(m) < maxInterned {
		m[v] = v
	}
	return v
}

// setNull marks row i of c NULL, making the mask (of the table's rows) at
// the first NULL.
func (c *ColumnValues) setNull(i, rows int) {
	if c.Null == nil {
		c.Null = make([]bool, rows)
	}
	c.Null[i] = true
}
