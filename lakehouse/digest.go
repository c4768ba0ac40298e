package lakehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// digestVersion names how TableDigest computes a digest; a digest made
// another way never equals one made this way.
const digestVersion = "lakebench table digest v1"

// TableDigest returns a digest of a table's (or view's) content and its
// row count, for recording what a model was trained on and telling later
// whether it changed. It covers the columns' names, order and types and
// every value of every row, NULL told apart from any value (from the empty
// string too); it does not depend on the order of the rows, so the same rows
// stored in another order give the same digest. Rows are a multiset: a
// duplicated row counts twice.
//
// DuckDB hashes each row (hash() of all its columns, 64 bits) and adds the
// hashes up (as HUGEINT, exactly) and XORs them, in one scan; the digest is
// the SHA-256 of the columns, the row count, the sum and the XOR, in hex.
// Two different tables get the same digest only if their row hashes
// collide in both sum and XOR. DuckDB's hash() is DuckDB's own: the same
// DuckDB version gives the same digest for the same rows, and an upgrade
// that changes hash() changes every digest (a reproduction then reports
// the table's digest as changed, with its row count).
//
// It is a read like Query's: the principal needs SELECT on the table, a
// refusal is an *AccessError and is audited, and the read is audited.
func (lh *Lakehouse) TableDigest(ctx context.Context, table TableName) (digest string, rows int64, err error) {
	tables, action, err := lh.authorizeSQL(ctx, readAllSQL(table))
	if err != nil {
		return "", 0, readError(ctx, lh.db, table, err)
	}
	digest, rows, err = tableDigest(ctx, lh.userDB(), table)
	if aerr := lh.audited(ctx, action, readAllSQL(table), tables, rows, err); aerr != nil && err == nil {
		return "", 0, aerr
	}
	return digest, rows, err
}

// TableDigest is Lakehouse.TableDigest inside the transaction, as its
// principal: checked as AuthorizeSQL checks a statement and listed in
// Checked, for the caller's audit. It sees what the transaction wrote.
func (tx *Tx) TableDigest(ctx context.Context, table TableName) (digest string, rows int64, err error) {
	if _, _, err := tx.AuthorizeSQL(ctx, readAllSQL(table)); err != nil {
		return "", 0, readError(ctx, tx.tx, table, err)
	}
	return tableDigest(ctx, tx.tx, table)
}

func tableDigest(ctx context.Context, e execer, table TableName) (string, int64, error) {
	cols, err := describeTable(ctx, e, table)
	if err != nil {
		return "", 0, err
	}
	names := make([]string, len(cols))
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d columns\n", digestVersion, len(cols))
	for i, c := range cols {
		names[i] = QuoteIdent(c.Name)
		fmt.Fprintf(h, "%q %q\n", c.Name, c.Type)
	}
	var rows int64
	var xor, sum string
	q := "SELECT count(*), coalesce(bit_xor(lb_h), 0)::VARCHAR, coalesce(sum(lb_h::HUGEINT), 0)::VARCHAR FROM (SELECT hash(" +
		strings.Join(names, ", ") + ") AS lb_h FROM " + table.SQL() + ")"
	if err := e.QueryRowContext(ctx, q).Scan(&rows, &xor, &sum); err != nil {
		return "", 0, queryError(ctx, err)
	}
	fmt.Fprintf(h, "%d rows\nxor %s\nsum %s\n", rows, xor, sum)
	return hex.EncodeToString(h.Sum(nil)), rows, nil
}
