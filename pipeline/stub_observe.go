package pipeline

// The contract of issue 11 (observability and data quality). Each block
// names its owner; the owner moves it into real files and deletes it here.
// Owners may ADD fields to these types freely; renaming or removing one is
// a change to this file first.

import (
	"context"
	"errors"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
)

var errObserveNotYet = errors.New("pipeline: not built yet (issue 11)")

// ---- ob-backup: SLAs -----------------------------------------------------

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
}

// SLAReport is a target's objectives against what was measured.
type SLAReport struct {
	Target     string      `json:"target"`
	MeasuredAt time.Time   `json:"measured_at"`
	Objectives []Objective `json:"objectives"`
}

// SLAReport measures the target's SLA on lh, as its principal.
func (p *Project) SLAReport(ctx context.Context, lh *lakehouse.Lakehouse) (*SLAReport, error) {
	return nil, errObserveNotYet
}
