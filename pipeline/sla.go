package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

// SLA is a target's objectives (targets.<t>.sla, or top-level sla merged
// as bundles merge): availability as a job success ratio over a window,
// freshness per table, rpo and rto.
type SLA struct {
	// Availability is the least share of successful runs, 0..1 (0.99).
	Availability float64 `yaml:"availability,omitempty" json:"availability,omitempty"`
	// Window is the period availability is measured over ("7d").
	Window string `yaml:"window,omitempty" json:"window,omitempty"`
	// Freshness maps a table to its objective ("24h").
	Freshness map[string]string `yaml:"freshness,omitempty" json:"freshness,omitempty"`
	RPO       string            `yaml:"rpo,omitempty" json:"rpo,omitempty"`
	RTO       string            `yaml:"rto,omitempty" json:"rto,omitempty"`
}

// Objective is one measured objective of an SLA report.
type Objective struct {
	// Name is availability, rpo, rto or freshness:<table>.
	Name string `json:"name"`
	// Target and Observed as text for display ("99%", "2h 10m").
	Target   string `json:"target"`
	Observed string `json:"observed"`
	// Met is false when observed misses the target; Known false when
	// nothing is measured yet (no run, no backup, no restore).
	Met   bool `json:"met"`
	Known bool `json:"known"`
	// Detail says how it was measured ("12 of 13 runs in 7d", "backup
	// 20261129T1400Z").
	Detail string `json:"detail,omitempty"`
	// Source is where the bundle sets the objective: "sla" (the top
	// level) or "targets.<t>.sla", which overrides it key by key.
	Source string `json:"source"`
}

// Sources are the places the report's objectives come from
// (Objective.Source), each once, in the order first met.
func (r *SLAReport) Sources() []string {
	var out []string
	for _, o := range r.Objectives {
		if o.Source != "" && !slices.Contains(out, o.Source) {
			out = append(out, o.Source)
		}
	}
	return out
}

// SLAReport is a target's objectives against what was measured.
type SLAReport struct {
	Target     string      `json:"target"`
	MeasuredAt time.Time   `json:"measured_at"`
	Objectives []Objective `json:"objectives"`
}

// DefaultSLAWindow is the period availability is measured over when the
// SLA names none.
const DefaultSLAWindow = "7d"

// SLAFor is target's SLA: the top level's, with the target's settings
// over it one by one (its freshness objectives table by table).
func (p *Project) SLAFor(target string) SLA {
	var out SLA
	if p.SLA != nil {
		out = *p.SLA
		out.Freshness = maps.Clone(p.SLA.Freshness)
	}
	t, ok := p.Targets[target]
	if !ok || t.SLA == nil {
		return out
	}
	s := t.SLA
	if s.Availability != 0 {
		out.Availability = s.Availability
	}
	out.Window = cmp.Or(s.Window, out.Window)
	out.RPO = cmp.Or(s.RPO, out.RPO)
	out.RTO = cmp.Or(s.RTO, out.RTO)
	if len(s.Freshness) > 0 && out.Freshness == nil {
		out.Freshness = map[string]string{}
	}
	maps.Copy(out.Freshness, s.Freshness)
	return out
}

// slaSource is where target's SLA key (availability, window, rpo, rto or
// freshness.<table>) is set: targets.<t>.sla when the target sets it (as
// SLAFor takes it), else the top-level sla.
func (p *Project) slaSource(target, key string) string {
	if t, ok := p.Targets[target]; ok && t.SLA != nil {
		s := t.SLA
		table, fresh := strings.CutPrefix(key, "freshness.")
		_, setFresh := s.Freshness[table]
		if key == "availability" && s.Availability != 0 || key == "window" && s.Window != "" || key == "rpo" && s.RPO != "" ||
			key == "rto" && s.RTO != "" || fresh && setFresh {
			return "targets." + target + ".sla"
		}
	}
	return "sla"
}

// BackupFor is target's backup settings: the top level's, with the
// target's over them.
func (p *Project) BackupFor(target string) BackupSettings {
	var out BackupSettings
	if p.Backup != nil {
		out = *p.Backup
	}
	if t, ok := p.Targets[target]; ok && t.Backup != nil {
		out.Dir = cmp.Or(t.Backup.Dir, out.Dir)
		out.Keep = cmp.Or(t.Backup.Keep, out.Keep)
	}
	return out
}

// BackupDir is the backups directory of target: its backup.dir (relative
// to the project), else .lakebench/backups; the target's snapshots are in
// its <target>/ folder.
func (p *Project) BackupDir(target string) string {
	dir := p.BackupFor(target).Dir
	switch {
	case dir == "":
		return filepath.Join(p.Dir, ".lakebench", "backups")
	case filepath.IsAbs(dir):
		return dir
	}
	return filepath.Join(p.Dir, dir)
}

// BackupOptions are the lakehouse's backup options for target.
func (p *Project) BackupOptions(target string) lakehouse.BackupOptions {
	return lakehouse.BackupOptions{Dir: p.BackupDir(target), Keep: p.BackupFor(target).Keep}
}

// parseSLADuration reads an SLA duration (24h, 90m, 2d) for an error
// that names the setting.
func parseSLADuration(what, s string) (time.Duration, error) {
	d, err := ParseObjective(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a duration", what, s)
	}
	return d, nil
}

const slaDurationHint = "write a duration such as 24h, 90m or 2d"

// validateSLA checks every sla and backup block, of the top level and of
// each target; tableRef checks that a freshness objective names a table.
func (p *Project) validateSLA(errf func(path, hint, format string, args ...any), tableRef func(path, table, what string)) {
	type block struct {
		path string
		sla  *SLA
		bk   *BackupSettings
	}
	blocks := []block{{"", p.SLA, p.Backup}}
	for _, n := range sortedKeys(p.Targets) {
		blocks = append(blocks, block{"targets." + n + ".", p.Targets[n].SLA, p.Targets[n].Backup})
	}
	for _, b := range blocks {
		if s := b.sla; s != nil {
			path := b.path + "sla"
			switch a := s.Availability; {
			case a > 1 && a <= 100:
				errf(path+".availability", fmt.Sprintf("write it as a share: availability: %g for %g%%", a/100, a), "availability %g is more than 1", a)
			case a < 0 || a > 1 || math.IsNaN(a):
				errf(path+".availability", "write the least share of runs that succeed, such as 0.99", "availability %g is not a share from 0 to 1", a)
			}
			for _, d := range []struct{ key, value string }{{"window", s.Window}, {"rpo", s.RPO}, {"rto", s.RTO}} {
				if d.value != "" {
					if _, err := parseSLADuration(d.key, d.value); err != nil {
						errf(path+"."+d.key, slaDurationHint, "%v", err)
					}
				}
			}
			for _, t := range sortedKeys(s.Freshness) {
				tableRef(path+".freshness."+t, t, "sla freshness")
				if _, err := parseSLADuration("freshness of "+t, s.Freshness[t]); err != nil {
					errf(path+".freshness."+t, slaDurationHint, "%v", err)
				}
			}
		}
		if k := b.bk; k != nil && k.Keep < 0 {
			errf(b.path+"backup.keep", fmt.Sprintf("keep the newest N snapshots, N at least 1 (%d when left out)", lakehouse.DefaultBackupKeep), "backup keep %d is not a number of snapshots", k.Keep)
		}
	}
}

// SLAReport measures the target's SLA on lh, as its principal:
// availability from sys.runs of the window, each table's freshness from
// its last successful write (sys.catalog), RPO as the age of the newest
// backup (its manifest in the backups directory), RTO as the last
// restore's measured time (sys.restores). Objectives the bundle does not
// set are left out; one that cannot be measured is not Known.
func (p *Project) SLAReport(ctx context.Context, lh *lakehouse.Lakehouse) (*SLAReport, error) {
	now := p.now()
	sla := p.SLAFor(p.Target)
	rep := &SLAReport{Target: p.Target, MeasuredAt: now.UTC(), Objectives: []Objective{}}
	if sla.Availability > 0 {
		o, err := p.availability(ctx, lh, sla, now)
		if err != nil {
			return nil, err
		}
		o.Source = p.slaSource(p.Target, "availability")
		rep.Objectives = append(rep.Objectives, o)
	}
	if len(sla.Freshness) > 0 {
		fresh, err := lh.Freshness(ctx)
		var ae *lakehouse.AccessError
		if err != nil && !errors.As(err, &ae) {
			return nil, err
		}
		for _, t := range sortedKeys(sla.Freshness) {
			o := freshnessObjective(t, sla.Freshness[t], fresh, err, now)
			o.Source = p.slaSource(p.Target, "freshness."+t)
			rep.Objectives = append(rep.Objectives, o)
		}
	}
	if sla.RPO != "" {
		o, err := p.rpo(sla.RPO, now)
		if err != nil {
			return nil, err
		}
		o.Source = p.slaSource(p.Target, "rpo")
		rep.Objectives = append(rep.Objectives, o)
	}
	if sla.RTO != "" {
		o, err := rto(ctx, lh, sla.RTO)
		if err != nil {
			return nil, err
		}
		o.Source = p.slaSource(p.Target, "rto")
		rep.Objectives = append(rep.Objectives, o)
	}
	return rep, nil
}

func (p *Project) availability(ctx context.Context, lh *lakehouse.Lakehouse, sla SLA, now time.Time) (Objective, error) {
	window := cmp.Or(sla.Window, DefaultSLAWindow)
	o := Objective{Name: "availability", Target: "≥ " + slaPercent(sla.Availability)}
	span, err := parseSLADuration("window", window)
	if err != nil {
		return o, p.errorAt(p.slaSource(p.Target, "window")+".window", err.Error(), slaDurationHint)
	}
	stats, err := lh.RunStatsSince(ctx, now.Add(-span))
	var ae *lakehouse.AccessError
	if errors.As(err, &ae) {
		o.Observed, o.Detail = "?", err.Error()
		return o, nil
	}
	if err != nil {
		return o, err
	}
	done := stats.Runs - stats.Running
	if done == 0 {
		o.Observed, o.Detail = "no runs", "no run finished in the last "+window
		return o, nil
	}
	ratio := stats.SuccessRatio()
	o.Known, o.Met = true, ratio >= sla.Availability
	o.Observed = slaPercent(ratio)
	o.Detail = fmt.Sprintf("%d of %d runs in %s succeeded", stats.Succeeded, done, window)
	if bad := stats.Failed + stats.Canceled + stats.Crashed; bad > 0 {
		o.Detail += fmt.Sprintf(" (failed %d, canceled %d, crashed %d)", stats.Failed, stats.Canceled, stats.Crashed)
	}
	return o, nil
}

func freshnessObjective(table, objective string, fresh []lakehouse.Freshness, readErr error, now time.Time) Objective {
	o := Objective{Name: "freshness:" + table, Target: "≤ " + objective, Observed: "?"}
	limit, err := parseSLADuration("freshness of "+table, objective)
	if err != nil {
		o.Detail = err.Error()
		return o
	}
	if readErr != nil {
		o.Detail = readErr.Error()
		return o
	}
	i := slices.IndexFunc(fresh, func(f lakehouse.Freshness) bool { return strings.EqualFold(f.Table, table) })
	if i < 0 {
		o.Observed, o.Detail = "never", table+" has not been written by a run (or you may not read it)"
		return o
	}
	age := now.Sub(fresh[i].UpdatedAt)
	o.Known, o.Met = true, age <= limit
	o.Observed = FormatAge(age)
	o.Detail = "last written " + fresh[i].UpdatedAt.UTC().Format("2006-01-02 15:04Z")
	return o
}

func (p *Project) rpo(objective string, now time.Time) (Objective, error) {
	o := Objective{Name: "rpo", Target: "≤ " + objective, Observed: "?"}
	limit, err := parseSLADuration("rpo", objective)
	if err != nil {
		return o, p.errorAt(p.slaSource(p.Target, "rpo")+".rpo", err.Error(), slaDurationHint)
	}
	list, err := lakehouse.ListBackups(p.BackupDir(p.Target), p.Target)
	if err != nil {
		return o, err
	}
	if len(list) == 0 {
		o.Observed, o.Detail = "no backup", "take one with `lakebench backup -t "+p.Target+"`"
		return o, nil
	}
	age := now.Sub(list[0].CreatedAt)
	o.Known, o.Met = true, age <= limit
	o.Observed = FormatAge(age)
	o.Detail = fmt.Sprintf("newest backup %s, by %s (%d kept)", list[0].ID, list[0].Principal, len(list))
	return o, nil
}

func rto(ctx context.Context, lh *lakehouse.Lakehouse, objective string) (Objective, error) {
	o := Objective{Name: "rto", Target: "≤ " + objective, Observed: "?"}
	limit, err := parseSLADuration("rto", objective)
	if err != nil {
		o.Detail = err.Error()
		return o, nil
	}
	r, ok, err := lh.LastRestore(ctx)
	var ae *lakehouse.AccessError
	switch {
	case errors.As(err, &ae):
		o.Detail = err.Error()
		return o, nil
	case err != nil:
		return o, err
	case !ok:
		o.Observed, o.Detail = "no restore", "measured by `lakebench restore latest`"
		return o, nil
	}
	o.Known, o.Met = true, r.Duration <= limit
	o.Observed = FormatAge(r.Duration)
	o.Detail = fmt.Sprintf("restore of %s at %s by %s", r.Backup.ID, r.RestoredAt.UTC().Format("2006-01-02 15:04Z"), r.Principal)
	if r.Damaged {
		o.Detail += ", after damage"
	}
	return o, nil
}

// slaPercent writes a share as a percentage, to a tenth where it matters.
func slaPercent(x float64) string {
	s := fmt.Sprintf("%.1f", x*100)
	return strings.TrimSuffix(s, ".0") + "%"
}

// FormatAge writes a duration for people: 850ms, 42s, 5m 10s, 2h 10m,
// 3d 4h.
func FormatAge(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + FormatAge(-d)
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours()/24), int(d.Hours())%24)
}
