package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// TargetReader is what data tests need of a target: reads through the
// governed query path, as the session's principal (grants apply and every
// read is audited). A *lakehouse.Lakehouse opened read-only with its
// principal set is one.
type TargetReader interface {
	Query(ctx context.Context, selectSQL string) (*lakehouse.Result, error)
	Count(ctx context.Context, selectSQL string) (int64, error)
}

// sampleRows is how many of a failing query's rows a data test shows.
const sampleRows = 5

// RunDataTests runs the project's data tests and, as tests, the bundle's
// quality rules (resources.quality) against a target, reading as lh's
// principal: a query the grants refuse is a failed test whose message is
// the refusal. A rule of criticality warn that finds rows warns; an error
// rule that finds rows fails (a build quarantines them, so on a built
// table it finds none).
func (p *Project) RunDataTests(ctx context.Context, lh TargetReader, opts TestOptions) ([]TestResult, error) {
	files, diags := p.LoadTests()
	if len(diags) > 0 {
		return nil, diags
	}
	rel := func(path string) string {
		if r, err := filepath.Rel(p.Dir, path); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return path
	}
	var out []TestResult
	for _, f := range files {
		for _, t := range f.DataTests {
			subject := t.Table
			if subject == "" {
				subject = "sql"
			}
			if !opts.keeps(t.Name, t.Table) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return out, err
			}
			start := time.Now()
			res := runDataTest(ctx, lh, t)
			res.File, res.Line = rel(t.File), t.Line
			res.Seconds = time.Since(start).Seconds()
			out = append(out, res)
		}
	}
	for _, table := range sortedKeys(p.Resources.Quality) {
		rules, err := p.Rules(table)
		tn, terr := lakehouse.ParseTableName(table)
		for i, qr := range p.Resources.Quality[table] {
			name := "quality:" + table + ":" + qualityRuleName(qr, i)
			if !opts.keeps(name, table) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return out, err
			}
			start := time.Now()
			res := TestResult{Name: name, Kind: TestKindQuality, Subject: table}
			switch {
			case terr != nil:
				res.Status, res.Message = TestError, terr.Error()
			case err != nil:
				res.Status, res.Message = TestError, err.Error()
			default:
				res = runRuleTest(ctx, lh, tn, rules[i], res)
			}
			res.Seconds = time.Since(start).Seconds()
			out = append(out, res)
		}
	}
	return out, nil
}

// qualityRuleName is a rule's name, or its function and column, or its
// place in the list.
func qualityRuleName(r QualityRule, i int) string {
	if lr, err := r.rule(); err == nil && lr.Name != "" {
		return lr.Name
	}
	return fmt.Sprintf("rule%d", i+1)
}

func runRuleTest(ctx context.Context, lh TargetReader, table lakehouse.TableName, rule lakehouse.Rule, res TestResult) TestResult {
	r, err := lh.Query(ctx, rule.FailingRowsSQL(table))
	if err != nil {
		return dataError(res, err)
	}
	var checked, failed int64
	if len(r.Rows) == 1 && len(r.Rows[0]) == 2 {
		checked, _ = r.Rows[0][0].(int64)
		failed, _ = r.Rows[0][1].(int64)
	}
	switch {
	case failed == 0:
		res.Status, res.Message = TestPass, fmt.Sprintf("%d rows checked, none failed", checked)
	case rule.Criticality == CriticalityWarn:
		res.Status, res.Message = TestWarn, fmt.Sprintf("%d of %d rows fail %s (a warn rule: reported, not a failure)", failed, checked, rule.Name)
	default:
		res.Status, res.Message = TestFail, fmt.Sprintf("%d of %d rows fail %s (an error rule: a build would quarantine them)", failed, checked, rule.Name)
	}
	return res
}

// dataError is a data test that could not read: refused by the grants
// (a failure, with the refusal), or any other error.
func dataError(res TestResult, err error) TestResult {
	var ae *lakehouse.AccessError
	if errors.As(err, &ae) {
		res.Status, res.Message = TestFail, "refused: "+strings.TrimPrefix(err.Error(), "lakehouse: ")
		return res
	}
	res.Status, res.Message = TestError, strings.TrimPrefix(err.Error(), "lakehouse: ")
	return res
}

func runDataTest(ctx context.Context, lh TargetReader, t DataTest) TestResult {
	res := TestResult{Name: t.Name, Kind: TestKindData, Subject: t.Table}
	query := t.SQL
	if t.Table != "" {
		tn, err := lakehouse.ParseTableName(t.Table)
		if err != nil {
			res.Status, res.Message = TestError, err.Error()
			return res
		}
		query = "SELECT * FROM " + tn.SQL()
	}
	n, err := lh.Count(ctx, query)
	if err != nil {
		return dataError(res, err)
	}
	if t.HasRange {
		switch {
		case n < t.Min:
			res.Status, res.Message = TestFail, fmt.Sprintf("%d rows, fewer than the minimum %d", n, t.Min)
		case t.Max >= 0 && n > t.Max:
			res.Status, res.Message = TestFail, fmt.Sprintf("%d rows, more than the maximum %d", n, t.Max)
		default:
			res.Status, res.Message = TestPass, fmt.Sprintf("%d rows", n)
		}
		return res
	}
	if n == 0 {
		res.Status, res.Message = TestPass, "no row returned"
		return res
	}
	res.Status, res.Message = TestFail, fmt.Sprintf("%d rows returned; the test passes when the query returns none", n)
	sample, err := lh.Query(ctx, "SELECT * FROM (\n"+strings.TrimRight(strings.TrimSpace(query), ";")+"\n) AS lb_test LIMIT "+fmt.Sprint(sampleRows))
	if err == nil {
		d := &RowDiff{Actual: int(n), Missing: [][]string{}, Unexpected: [][]string{}}
		for _, c := range sample.Columns {
			d.Columns = append(d.Columns, c.Name)
		}
		for _, row := range sample.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = displayValue(v)
			}
			d.Unexpected = append(d.Unexpected, cells)
		}
		res.Diff = d
	}
	return res
}

// displayValue is a value of a target's row as text: dates without a time
// of day, timestamps without a zone.
func displayValue(v any) string {
	if t, ok := v.(time.Time); ok {
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
			return t.Format(time.DateOnly)
		}
		return t.Format("2006-01-02 15:04:05.999999")
	}
	return cellText(v)
}
