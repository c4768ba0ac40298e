package tui

import (
	"context"
	"slices"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// The observability panels' backend (issue 11): profiles and drift, table
// health, the SLA report, usage and cost, the audit trail. Each reads as
// the principal on the target's read-only session (the Analyst's, see
// workspace_analyst.go), opened for the call; a write of this workspace closes it first, as for the Analyst.

// observe runs read on the target's session, as the principal.
func (w *Workspace) observe(ctx context.Context, target string, read func(p *pipeline.Project, lh *lakehouse.Lakehouse) error) error {
	p, err := w.proj(target)
	if err != nil {
		return err
	}
	s, lh, err := w.session(ctx, target)
	if err != nil {
		return err
	}
	defer s.done()
	ctx, cancel := s.bind(ctx)
	defer cancel()
	return read(p, lh)
}

// Profiles implements Backend: the latest recorded profile of a monitored
// table (every window of the run that profiled it) and its drift metrics.
func (w *Workspace) Profiles(ctx context.Context, target, table string) (*Profile, error) {
	out := &Profile{Table: table}
	err := w.observe(ctx, target, func(_ *pipeline.Project, lh *lakehouse.Lakehouse) (err error) {
		if out.Columns, err = lh.ProfileMetrics(ctx, table); err != nil {
			return err
		}
		out.Drift, err = lh.DriftMetrics(ctx, table)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Health implements Backend: the latest freshness and completeness result
// of every table the principal may read (lakehouse.TableResults).
func (w *Workspace) Health(ctx context.Context, target string) ([]lakehouse.HealthResult, error) {
	var out []lakehouse.HealthResult
	err := w.observe(ctx, target, func(_ *pipeline.Project, lh *lakehouse.Lakehouse) (err error) {
		if out, err = lh.TableResults(ctx, ""); err != nil {
			return err
		}
		// The incidents found before: every Unhealthy day of the history
		// that is not the latest result of its check (each day of data is
		// judged as of that day, so a missing day stays found).
		history, err := lh.TableResultHistory(ctx, "")
		if err != nil {
			return err
		}
		latest := map[string]bool{}
		for _, r := range out {
			latest[pastKey(r)] = true
		}
		for _, r := range history {
			if r.Status == lakehouse.Unhealthy && !latest[pastKey(r)] {
				latest[pastKey(r)] = true
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// pastKey names one result of one check of a table for one window.
func pastKey(r lakehouse.HealthResult) string {
	return r.Table + "\x00" + r.Check + "\x00" + r.Metric + "\x00" + r.Column + "\x00" + r.Source + "\x00" + r.WindowStart.String()
}

// SLA implements Backend: the target's objectives measured now
// (pipeline.Project.SLAReport).
func (w *Workspace) SLA(ctx context.Context, target string) (*pipeline.SLAReport, error) {
	var out *pipeline.SLAReport
	err := w.observe(ctx, target, func(p *pipeline.Project, lh *lakehouse.Lakehouse) (err error) {
		out, err = p.SLAReport(ctx, lh)
		return err
	})
	return out, err
}

// Usage implements Backend: sys.usage summed by by (job, target,
// principal, day, ...) with its cost (lakehouse.Usage).
func (w *Workspace) Usage(ctx context.Context, target, by string) ([]lakehouse.UsageSummary, error) {
	var out []lakehouse.UsageSummary
	err := w.observe(ctx, target, func(_ *pipeline.Project, lh *lakehouse.Lakehouse) (err error) {
		out, err = lh.Usage(ctx, lakehouse.UsageQuery{By: by})
		return err
	})
	return out, err
}

// AuditTrail implements Backend: sys.audit's events (lakehouse.AuditEvents,
// the principal pushed down), those of q's action and table, newest first,
// at most q.Limit.
func (w *Workspace) AuditTrail(ctx context.Context, target string, q AuditQuery) ([]lakehouse.AuditEvent, error) {
	var events []lakehouse.AuditEvent
	err := w.observe(ctx, target, func(_ *pipeline.Project, lh *lakehouse.Lakehouse) (err error) {
		events, err = lh.AuditEvents(ctx, lakehouse.AuditFilter{Principal: q.Principal})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]lakehouse.AuditEvent, 0, min(len(events), max(q.Limit, 0)))
	for _, e := range slices.Backward(events) {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		if q.Matches(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Matches reports whether e is of q's action and touches q's table (empty
// fields match all; the principal is matched too, for events the log
// appended after the pushed-down filter). Action is matched whole, without
// case; Table as a part of any table's name.
func (q AuditQuery) Matches(e lakehouse.AuditEvent) bool {
	if q.Principal != "" && e.Principal != q.Principal {
		return false
	}
	if q.Action != "" && !strings.EqualFold(e.Action, q.Action) {
		return false
	}
	if q.Table == "" {
		return true
	}
	want := strings.ToLower(q.Table)
	for _, t := range e.Tables {
		if strings.Contains(strings.ToLower(t), want) {
			return true
		}
	}
	return false
}
