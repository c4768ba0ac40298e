package lakehouse

import (
	"context"
	"errors"
	"fmt"
)

// ReadOnlyError refuses a statement that is not a SELECT in a session that
// reads only (CheckSelect), once the grants allowed it: the statement
// must run where the target is open for writing.
type ReadOnlyError struct {
	Principal string
	// Keyword is the statement's first keyword (DELETE, CREATE, ...).
	Keyword string
}

func (e *ReadOnlyError) Error() string {
	who := e.Principal
	if who == "" {
		who = "this session"
	}
	return fmt.Sprintf("lakehouse: %s runs one SELECT at a time here, reading only: %s is not one; run it with `lakebench query`, which opens the target for writing (the grants decide there too)", who, e.Keyword)
}

// CheckSelect refuses, before anything runs, a statement that is not one
// SELECT, for a session that reads only (the TUI's Analyst view): as the
// principal's statement, naming the missing grant (a DDL or DML past the
// grants, audited as every refusal), else with a *ReadOnlyError (audited
// too). A SELECT, and SQL that does not parse, pass: the query reports
// DuckDB's error with its position.
func (lh *Lakehouse) CheckSelect(ctx context.Context, sqlText string) error {
	_, err := lh.TableRefs(ctx, sqlText)
	var pe *ParseError
	if err == nil || (errors.As(err, &pe) && pe.Position >= 0) {
		return nil
	}
	if _, _, err := lh.authorizeSQL(ctx, sqlText); err != nil {
		return err
	}
	refusal := &ReadOnlyError{Principal: lh.principal, Keyword: firstKeyword(sqlText)}
	if lh.principal != "" {
		lh.Audit(context.WithoutCancel(ctx), AuditEvent{Principal: lh.principal, Action: "EXECUTE", Allowed: false, Detail: refusal.Error()})
	}
	return refusal
}

// CloseWith is Close, after which Page, Sort, Filter and Export answer
// reason: the TUI's workspace closes the results of its read-only session
// this way when a write needs the file ("the result was closed by a run:
// run the query again").
func (l *Live) CloseWith(reason error) error {
	l.mu.Lock()
	if !l.closed {
		l.reason = reason
	}
	l.mu.Unlock()
	return l.Close()
}

// closedErr is what a closed result answers (under l.mu).
func (l *Live) closedErr() error {
	if l.reason != nil {
		return l.reason
	}
	return errors.New("lakehouse: the result was closed: run the query again")
}

// CloseResults closes every live result of the lakehouse (those Sort and
// Filter derived included) with reason (see CloseWith).
func (lh *Lakehouse) CloseResults(reason error) {
	for _, l := range lh.lives.list() {
		l.CloseWith(reason)
	}
}
