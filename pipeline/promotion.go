package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lakebench/lakebench/lakehouse"
)

// A promotion gate keeps a bundle out of a target until it has proved
// itself on the target before: the same content (Project.ContentHash) was
// deployed there, and the gate's job then succeeded there running that
// content. A run records the content hash of the bundle it ran
// (sys.runs.bundle_hash), so "succeeded with that bundle" is exact: a run
// of files edited after the deploy carries another hash and does not
// count. The run must also have started while that content was the
// deployed one.
//
// Every production target has a gate (from the previous non-production
// target, its only job, success required; a bundle without jobs only asks
// that the bundle was deployed there) unless the bundle configures
// another (targets.T.promotion). The gate a deploy records on the target
// holds too: a bundle edited to loosen it (another from, another job, no
// success needed) must satisfy the recorded gate as well, until the
// target's owner forces a deploy with a reason.

// Promotion configures a target's promotion gate in the bundle.
type Promotion struct {
	// From is the target the bundle must have passed first.
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	// Job is the job that must have succeeded there with the bundle.
	Job string `yaml:"job,omitempty" json:"job,omitempty"`
	// RequireSuccess, when false, asks only that the bundle was deployed
	// there (default true).
	RequireSuccess *bool `yaml:"require_success,omitempty" json:"require_success,omitempty"`
}

// PromotionPolicy is a target's gate as resolved from the bundle.
type PromotionPolicy struct {
	From           string `json:"from"`
	Job            string `json:"job,omitempty"`
	RequireSuccess bool   `json:"require_success"`
}

func (pol PromotionPolicy) String() string {
	s := "from " + pol.From
	if pol.RequireSuccess {
		s += ", job " + pol.Job + " must succeed there"
	}
	return s
}

// PromotionPolicy is the gate of the project's target, nil when it has none.
func (p *Project) PromotionPolicy() (*PromotionPolicy, error) { return p.promotionPolicy(p.Target) }

// promotionPolicy resolves target's gate: its promotion settings, with
// defaults for what they leave out; a production target without any has
// the default gate. An error says what cannot be resolved and where.
func (p *Project) promotionPolicy(target string) (*PromotionPolicy, error) {
	t := p.Targets[target]
	mode := t.Mode
	if mode == "" {
		mode = "development"
	}
	if t.Promotion == nil && mode != "production" {
		return nil, nil
	}
	pol := &PromotionPolicy{RequireSuccess: true}
	at := func(path, hint, msg string) error { return p.errorAt(path, msg, hint) }
	path := "targets." + target + ".promotion"
	if t.Promotion != nil {
		pol.From, pol.Job = t.Promotion.From, t.Promotion.Job
		if t.Promotion.RequireSuccess != nil {
			pol.RequireSuccess = *t.Promotion.RequireSuccess
		}
	} else {
		path = "targets." + target
	}
	if pol.From == "" {
		names := p.TargetNames()
		for _, n := range names {
			if n == target {
				break
			}
			if p.Targets[n].Mode != "production" {
				pol.From = n
			}
		}
		if pol.From == "" {
			return nil, at(path, fmt.Sprintf("add a staging target (mode: development) before it, or name one: `promotion: {from: staging}` under targets.%s", target),
				fmt.Sprintf("target %s is in production mode and no non-production target precedes it to promote from", target))
		}
	}
	if pol.From == target {
		return nil, at(path+".from", "name the target the bundle passes first, such as staging", fmt.Sprintf("target %s cannot promote from itself", target))
	}
	if _, ok := p.Targets[pol.From]; !ok {
		return nil, at(path+".from", "targets: "+strings.Join(p.TargetNames(), ", ")+suggestHint(pol.From, p.TargetNames()),
			fmt.Sprintf("promotion of target %s from unknown target %q", target, pol.From))
	}
	if pol.RequireSuccess && pol.Job == "" {
		jobs := sortedKeys(p.Resources.Jobs)
		switch len(jobs) {
		case 1:
			pol.Job = jobs[0]
		case 0:
			if t.Promotion != nil && t.Promotion.RequireSuccess != nil {
				return nil, at(path+".require_success", "add the job that must succeed on "+pol.From+" under resources.jobs, or set require_success: false",
					fmt.Sprintf("the promotion gate of target %s needs a job that succeeded on %s, and the bundle has no job", target, pol.From))
			}
			// A bundle without jobs has nothing to run: the default
			// gate asks only that the bundle was deployed there.
			pol.RequireSuccess = false
		default:
			return nil, at(path, fmt.Sprintf("add `promotion: {job: %s}` (jobs: %s)", jobs[0], strings.Join(jobs, ", ")),
				fmt.Sprintf("the promotion gate of target %s needs the job that must succeed on %s: the bundle has %d jobs", target, pol.From, len(jobs)))
		}
	}
	if pol.Job != "" {
		if _, ok := p.Resources.Jobs[pol.Job]; !ok {
			jobs := sortedKeys(p.Resources.Jobs)
			return nil, at(path+".job", "jobs: "+strings.Join(jobs, ", ")+suggestHint(pol.Job, jobs),
				fmt.Sprintf("the promotion gate of target %s names unknown job %q", target, pol.Job))
		}
	}
	return pol, nil
}

// validatePromotions checks every target's promotion gate.
func (p *Project) validatePromotions(v *Validation) {
	for _, n := range sortedKeys(p.Targets) {
		if _, err := p.promotionPolicy(n); err != nil {
			var e *Error
			if errors.As(err, &e) {
				v.Errors = append(v.Errors, e)
			}
		}
	}
}

// What a promotion gate finds missing.
const (
	NeverStaged   = "never_staged"
	OtherHash     = "staged_with_another_hash"
	JobNeverRan   = "job_never_ran"
	JobFailed     = "job_failed"
	Untrustworthy = "untrustworthy"
)

// PromotionCheck is a gate's verdict: OK, or what is missing (one of the
// constants above) and a message that says it and what to do.
type PromotionCheck struct {
	Policy  PromotionPolicy `json:"policy"`
	Content string          `json:"content_hash"`
	OK      bool            `json:"ok"`
	Missing string          `json:"missing,omitempty"`
	Message string          `json:"message"`
	// Staged is the deployment of the content on the from-target, and Run
	// the job's run of it that the verdict rests on.
	Staged *lakehouse.Deployment `json:"staged,omitempty"`
	Run    *lakehouse.Run        `json:"run,omitempty"`
}

// PromotionError is a deploy refused by a promotion gate.
type PromotionError struct {
	Target string
	Check  PromotionCheck
}

func (e *PromotionError) Error() string {
	return fmt.Sprintf("pipeline: promotion gate of target %s (%s): %s; the target's owner may override it with --force --reason \"...\" (audited)",
		e.Target, e.Check.Policy, e.Check.Message)
}

// CheckPromotion is the verdict of the target's gate on content.
func (p *Project) CheckPromotion(ctx context.Context, content string) PromotionCheck {
	pol, err := p.promotionPolicy(p.Target)
	if err != nil {
		return PromotionCheck{Content: content, Missing: Untrustworthy, Message: err.Error()}
	}
	if pol == nil {
		return PromotionCheck{Content: content, OK: true, Message: "target " + p.Target + " has no promotion gate"}
	}
	return p.checkPolicy(ctx, *pol, content)
}

// checkPolicy is one policy's verdict on content.
func (p *Project) checkPolicy(ctx context.Context, pol PromotionPolicy, content string) PromotionCheck {
	c := PromotionCheck{Policy: pol, Content: content}
	fail := func(missing, format string, args ...any) PromotionCheck {
		c.Missing, c.Message = missing, fmt.Sprintf(format, args...)
		return c
	}
	stage := fmt.Sprintf("`lakebench bundle deploy -t %s`", pol.From)
	if pol.RequireSuccess {
		stage += fmt.Sprintf(" then `lakebench bundle run %s -t %s`", pol.Job, pol.From)
	}
	path := p.DatabasePath(pol.From)
	if err := p.checkTargetFile(path, pol.From); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail(NeverStaged, "bundle %s was never staged: target %s has no lakehouse (%s); run %s first", content, pol.From, path, stage)
		}
		return fail(Untrustworthy, "%v", err)
	}
	lh, err := lakehouse.Open(ctx, path, lakehouse.Options{ReadOnly: true})
	if err != nil {
		return fail(Untrustworthy, "target %s cannot be read to check the promotion (%v)", pol.From, err)
	}
	defer lh.Close()
	deps, err := lh.Deployments(ctx)
	if err != nil {
		return fail(Untrustworthy, "the deployments of target %s cannot be read (%v)", pol.From, err)
	}
	if len(deps) == 0 {
		return fail(NeverStaged, "bundle %s was never staged: target %s was never deployed; run %s first", content, pol.From, stage)
	}
	project := ProjectKey(p.Dir)
	for _, d := range deps {
		if d.Target != pol.From || d.Bundle != p.Bundle.Name || (d.Project != "" && d.Project != project) {
			return fail(Untrustworthy, "%s is not target %s of this project: it records a deployment of bundle %s to target %s from %s; a target's database is its own, never a copy: destroy it and deploy %s again",
				path, pol.From, d.Bundle, d.Target, orUnknown(d.Project), pol.From)
		}
	}
	chain, err := lh.VerifyAudit(ctx)
	if err != nil {
		return fail(Untrustworthy, "the audit of target %s cannot be verified (%v)", pol.From, err)
	}
	if chain.Break != nil {
		return fail(Untrustworthy, "the audit chain of target %s is broken (%s), so its records cannot vouch for bundle %s: restage it (destroy and deploy %s again)", pol.From, chain.Break, content, pol.From)
	}
	// deps is newest first; the deployment in force at a time is the
	// newest one at or before it.
	var staged *lakehouse.Deployment
	for i := range deps {
		if deps[i].ContentHash == content {
			staged = &deps[i]
			break
		}
	}
	if staged == nil {
		last := deps[0]
		other := last.ContentHash
		if other == "" {
			other = "an unknown content (deployed before content hashes were recorded)"
		}
		return fail(OtherHash, "bundle %s was never deployed to target %s%s: it has %s, deployed %s by %s; deploy this bundle there: %s",
			content, pol.From, p.varsNote(), other, last.DeployedAt.Format("2006-01-02 15:04:05"), last.Principal, stage)
	}
	if ok, err := lh.DeployAudited(ctx, content); err != nil || !ok {
		return fail(Untrustworthy, "target %s records a deployment of bundle %s that its audit does not: its records were edited; restage it", pol.From, content)
	}
	c.Staged = staged
	if !pol.RequireSuccess {
		c.OK, c.Message = true, fmt.Sprintf("bundle %s was deployed to %s %s by %s", content, pol.From, staged.DeployedAt.Format("2006-01-02 15:04:05"), staged.Principal)
		return c
	}
	runs, err := lh.JobRuns(ctx, pol.Job)
	if err != nil {
		return fail(Untrustworthy, "the runs of job %s on target %s cannot be read (%v)", pol.Job, pol.From, err)
	}
	inForce := func(r lakehouse.Run) string {
		for _, d := range deps {
			if !d.DeployedAt.After(r.StartedAt) {
				return d.ContentHash
			}
		}
		return ""
	}
	for _, r := range runs {
		if r.BundleHash != content || inForce(r) != content || r.Status == "running" {
			continue
		}
		c.Run = &r
		if r.Status != "succeeded" {
			msg := r.Error
			if msg == "" {
				msg = r.Status
			}
			return fail(JobFailed, "bundle %s was staged on %s but job %s failed there with it (run %s, %s: %s); fix it and run %s again",
				content, pol.From, pol.Job, r.RunID, r.StartedAt.Format("2006-01-02 15:04:05"), firstLine(msg), stage)
		}
		c.OK, c.Message = true, fmt.Sprintf("bundle %s was deployed to %s %s by %s and job %s succeeded there with it (run %s)",
			content, pol.From, staged.DeployedAt.Format("2006-01-02 15:04:05"), staged.Principal, pol.Job, r.RunID)
		return c
	}
	return fail(JobNeverRan, "bundle %s was deployed to %s %s by %s but job %s has not run there with it since; run `lakebench bundle run %s -t %s`",
		content, pol.From, staged.DeployedAt.Format("2006-01-02 15:04:05"), staged.Principal, pol.Job, pol.Job, pol.From)
}

// checkTargetFile refuses a from-target's database that is not its own
// file: a symbolic link, something else than a regular file, a file with
// other names (a hard link to another project's), another user's, or the
// deploying target's own file.
func (p *Project) checkTargetFile(path, target string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		dest, _ := os.Readlink(path)
		return fmt.Errorf("the lakehouse of target %s (%s) is a symbolic link (to %s): a promotion is checked on the target's own file only; remove the link and deploy %s", target, path, dest, target)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("the lakehouse of target %s (%s) is not a regular file: remove it and deploy %s", target, path, target)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if int(st.Uid) != os.Getuid() {
			return fmt.Errorf("the lakehouse of target %s (%s) belongs to another user (uid %d): a promotion is checked on your project's own files", target, path, st.Uid)
		}
		if st.Nlink > 1 {
			return fmt.Errorf("the lakehouse of target %s (%s) has %d names (a hard link): a promotion is checked on the target's own file only; remove the other names or deploy %s afresh", target, path, st.Nlink, target)
		}
	}
	if own, err := os.Stat(p.DatabasePath(p.Target)); err == nil && os.SameFile(own, fi) {
		return fmt.Errorf("the lakehouse of target %s (%s) is target %s's own file", target, path, p.Target)
	}
	return nil
}

// recordedPolicy is the gate a deploy recorded on the target, nil when
// none was.
func recordedPolicy(s lakehouse.TargetSettings) *PromotionPolicy {
	if s.Promotion == "" {
		return nil
	}
	var pol PromotionPolicy
	if json.Unmarshal([]byte(s.Promotion), &pol) != nil || pol.From == "" {
		return nil
	}
	return &pol
}

// ProjectKey names a project: its directory, absolute and with links
// resolved. Deployments record it, so a target's database copied from
// another project is told apart.
func ProjectKey(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown project"
	}
	return s
}

// ActionPromotionForce is the audit action of a deploy forced past a
// promotion gate; ActionPromotion a deploy a gate refused.
const (
	ActionPromotionForce = "promotion.force"
	ActionPromotion      = "promotion"
)

// promotionGate decides a deploy of content by principal: the bundle's
// gate and the gate recorded on the target (when they differ, both) must
// pass, or the target's owner forces the deploy with a reason. Refusals
// and overrides are audited. The verdict is nil for a target with no gate.
func (p *Project) promotionGate(ctx context.Context, lh *lakehouse.Lakehouse, settings lakehouse.TargetSettings, recorded bool,
	content, principal string, opts DeployOptions) (*PromotionCheck, error) {
	refuse := func(err error) error {
		lh.Audit(context.WithoutCancel(ctx), lakehouse.AuditEvent{Principal: principal, Action: ActionPromotion, Allowed: false, Detail: err.Error()})
		return err
	}
	if opts.Force && strings.TrimSpace(opts.Reason) == "" {
		return nil, refuse(fmt.Errorf("pipeline: --force needs --reason \"why\": an override of target %s's promotion gate is audited with its reason; nothing was deployed", p.Target))
	}
	var policies []PromotionPolicy
	pol, err := p.promotionPolicy(p.Target)
	if err != nil {
		return nil, refuse(err)
	}
	if pol != nil {
		policies = append(policies, *pol)
	}
	if old := recordedPolicy(settings); recorded && old != nil && (pol == nil || *old != *pol) {
		policies = append(policies, *old)
	}
	if len(policies) == 0 {
		return nil, nil
	}
	var verdict PromotionCheck
	for i, pol := range policies {
		c := p.checkPolicy(ctx, pol, content)
		if i > 0 && c.OK {
			continue
		}
		if i > 0 {
			c.Message += " (this is the gate recorded on target " + p.Target + " by an earlier deploy; a bundle that changes it must pass it too, or its owner forces the deploy)"
		}
		verdict = c
		if !c.OK {
			break
		}
	}
	if verdict.OK {
		return &verdict, nil
	}
	if !opts.Force {
		return nil, refuse(&PromotionError{Target: p.Target, Check: verdict})
	}
	owner, err := lh.Owner(ctx)
	if err != nil {
		return nil, refuse(err)
	}
	if owner == "" || (opts.ForcedBy != owner && principal != owner) {
		by := opts.ForcedBy
		if by == "" {
			by = principal
		}
		return nil, refuse(fmt.Errorf("pipeline: %s may not force a deploy past the promotion gate of target %s: only its owner (%s) may; the gate says: %s",
			by, p.Target, ownerOrNobody(owner), verdict.Message))
	}
	return &verdict, nil
}

func ownerOrNobody(owner string) string {
	if owner == "" {
		return "none yet: a target's first deploy passes its gate"
	}
	return owner
}

// checkRunContent refuses a run on a gated target (a gate in the bundle,
// or one recorded there by a deploy) of files that are not the content
// deployed there: the gate vets deploys, so a run of files edited since
// would put content into the target that never passed it.
func (p *Project) checkRunContent(ctx context.Context, lh *lakehouse.Lakehouse) error {
	pol, _ := p.promotionPolicy(p.Target)
	recorded, err := lh.RecordedPromotion(ctx)
	if err != nil {
		return err
	}
	if pol == nil && recorded == "" {
		return nil
	}
	last, err := lh.LastDeployment(ctx)
	if err != nil {
		return err
	}
	if now := p.ContentHash(); last.ContentHash != now {
		deployed := last.ContentHash
		if deployed == "" {
			deployed = "no recorded content"
		}
		return fmt.Errorf("pipeline: target %s runs only the content deployed there through its promotion gate (%s), and the bundle's files are now %s: "+
			"restore the deployed files, or promote these (`lakebench bundle deploy -t %s`, which checks the gate)", p.Target, deployed, now, p.Target)
	}
	return nil
}
