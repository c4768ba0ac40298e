package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// Default list prices per compute-second (one DuckDB thread held for one
// second), when a target's bundle sets none: a general-purpose cloud vCPU
// costs about 0.05 USD an hour on demand, and its spot capacity about 70%
// less. Development targets are priced as spot, production as on demand,
// as a team would run them.
const (
	// OnDemandPrice is 0.05 USD per vCPU-hour, per second.
	OnDemandPrice = 0.05 / 3600
	// SpotPrice is OnDemandPrice less 70%.
	SpotPrice = OnDemandPrice * 0.3
	// DefaultCurrency is the currency of the default prices.
	DefaultCurrency = "USD"
)

// The price tiers of targets.price.tier.
const (
	TierSpot     = "spot"
	TierOnDemand = "on_demand"
)

// ListPrice is the target's price per compute-second: targets.<t>.price
// where set, each field left out taking the default of the target's mode
// (spot in development, on demand in production).
func (p *Project) ListPrice() lakehouse.ListPrice {
	lp := lakehouse.ListPrice{Target: p.Target, Price: SpotPrice, Currency: DefaultCurrency, Tier: TierSpot}
	if p.Mode() == "production" {
		lp.Price, lp.Tier = OnDemandPrice, TierOnDemand
	}
	if t, ok := p.Targets[p.Target]; ok && t.Price != nil {
		if t.Price.Tier != "" {
			lp.Tier = t.Price.Tier
			if t.Price.PerComputeSecond == 0 {
				lp.Price = map[string]float64{TierSpot: SpotPrice, TierOnDemand: OnDemandPrice}[lp.Tier]
			}
		}
		if t.Price.PerComputeSecond > 0 {
			lp.Price = t.Price.PerComputeSecond
		}
		lp.Currency = cmp.Or(strings.ToUpper(t.Price.Currency), lp.Currency)
	}
	return lp
}

// validatePrices checks each target's price: not negative, a known
// tier, a three-letter currency code.
func (p *Project) validatePrices(errf func(path, hint, format string, args ...any)) {
	for _, name := range sortedKeys(p.Targets) {
		pr := p.Targets[name].Price
		if pr == nil {
			continue
		}
		path := "targets." + name + ".price"
		if pr.PerComputeSecond < 0 {
			errf(path+".per_compute_second", "give 0 or more, or leave it out for the default of the target's mode",
				"per_compute_second %g is negative", pr.PerComputeSecond)
		}
		if pr.Tier != "" && pr.Tier != TierSpot && pr.Tier != TierOnDemand {
			errf(path+".tier", "use "+TierSpot+" or "+TierOnDemand+suggestHint(pr.Tier, []string{TierSpot, TierOnDemand}), "unknown tier %q", pr.Tier)
		}
		if c := pr.Currency; c != "" && (len(c) != 3 || strings.IndexFunc(c, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') }) >= 0) {
			errf(path+".currency", "use a three-letter ISO 4217 code such as USD or EUR", "currency %q is not a currency code", c)
		}
	}
}

// usageOff turns task usage recording off: the reference of
// BenchmarkUsageRecording, never set otherwise.
var usageOff bool

// taskUsage is a task's usage record (sys.usage, kind task) from its
// meter: rows written as the task reports them, rows and bytes read of
// the tables it reads (declared, and those its SQL was checked for on its
// bound plan, its own table and writes aside), tagged with the job, task,
// principal and run. ok is false while usage recording is off.
func taskUsage(ctx context.Context, lh *lakehouse.Lakehouse, job, principal string, t task, tr lakehouse.TaskRun, m lakehouse.Meter, checked []lakehouse.TableName) (u lakehouse.UsageRecord, ok bool) {
	if usageOff {
		return u, false
	}
	u = m.Record(lakehouse.UsageKindTask)
	if tr.Status == "succeeded" {
		u.RowsWritten = tr.RowsWritten // a failed task's work was rolled back
	}
	u.Tags = map[string]string{"job": job, "task": t.key, "task_kind": t.kind, "principal": principal, "run_id": tr.RunID, "status": tr.Status}
	reads := slices.Clone(t.reads)
	for _, c := range checked {
		if c != t.table && !slices.Contains(t.writes, c) && !slices.Contains(reads, c) {
			reads = append(reads, c)
		}
	}
	// From one read of the catalog's sizes, which the scheduler's
	// memoryNeed shares (see CatalogScanSize).
	u.RowsRead, u.BytesRead, _ = lh.CatalogScanSize(ctx, reads)
	return u, true
}

// recordTaskUsage records the usage of a task that failed (taskUsage),
// on its own: its work was rolled back. A succeeded task's usage commits
// with its work (runTask). A usage that cannot be recorded is said on
// stderr, never fails the task.
func recordTaskUsage(ctx context.Context, lh *lakehouse.Lakehouse, job, principal string, t task, tr lakehouse.TaskRun, m lakehouse.Meter, checked []lakehouse.TableName) {
	u, ok := taskUsage(ctx, lh, job, principal, t, tr, m, checked)
	if !ok {
		return
	}
	if err := lh.RecordUsage(ctx, u); err != nil {
		fmt.Fprintf(os.Stderr, "lakebench: task %s: its usage was not recorded: %v\n", t.key, err)
	}
}

// grantKey is a grant as sys.grants stores it (see DeployGovernance).
func grantKey(g lakehouse.Grant) lakehouse.Grant {
	return lakehouse.Grant{Principal: g.Principal, Privilege: strings.ToUpper(g.Privilege), Schema: strings.ToLower(g.Schema), Table: strings.ToLower(g.Table)}
}

// grantChanges are the audit events of a deploy's grant changes: each
// grant added (ActionGrant) or removed (ActionRevoke) between before and
// after, by principal, on its securable.
func grantChanges(principal string, before, after []lakehouse.Grant) []lakehouse.AuditEvent {
	norm := func(gs []lakehouse.Grant) []lakehouse.Grant {
		out := make([]lakehouse.Grant, 0, len(gs))
		for _, g := range gs {
			if k := grantKey(g); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
		return out
	}
	before, after = norm(before), norm(after)
	var events []lakehouse.AuditEvent
	event := func(action string, g lakehouse.Grant) {
		on := g.Schema + "." + cmp.Or(g.Table, "*")
		verb := "to"
		if action == lakehouse.ActionRevoke {
			verb = "from"
		}
		events = append(events, lakehouse.AuditEvent{Principal: principal, Action: action, Tables: []string{on}, Allowed: true,
			Detail: fmt.Sprintf("%s on %s %s %s", g.Privilege, on, verb, g.Principal), Result: "ok: deployed"})
	}
	for _, g := range after {
		if !slices.Contains(before, g) {
			event(lakehouse.ActionGrant, g)
		}
	}
	for _, g := range before {
		if !slices.Contains(after, g) {
			event(lakehouse.ActionRevoke, g)
		}
	}
	return events
}

// permissionChanges are the audit events of a deploy's target permission
// changes (CAN_VIEW, CAN_RUN, CAN_MANAGE added or removed).
func permissionChanges(principal, target string, before, after []lakehouse.TargetPermission) []lakehouse.AuditEvent {
	var events []lakehouse.AuditEvent
	for _, pr := range after {
		if !slices.Contains(before, pr) {
			events = append(events, lakehouse.AuditEvent{Principal: principal, Action: lakehouse.ActionPermissionGrant, Allowed: true,
				Detail: fmt.Sprintf("%s on target %s to %s %s", pr.Level, target, pr.Kind, pr.Principal), Result: "ok: deployed"})
		}
	}
	for _, pr := range before {
		if !slices.Contains(after, pr) {
			events = append(events, lakehouse.AuditEvent{Principal: principal, Action: lakehouse.ActionPermissionRevoke, Allowed: true,
				Detail: fmt.Sprintf("%s on target %s from %s %s", pr.Level, target, pr.Kind, pr.Principal), Result: "ok: deployed"})
		}
	}
	return events
}
