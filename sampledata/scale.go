package sampledata

import (
	"fmt"
	"time"
)

// Scale names a data volume: ScaleDev, ScaleStaging or ScaleProd.
type Scale string

// The scales, matching the project targets of the same names.
const (
	// ScaleDev is about 1k customers and 20k order items: seconds to build.
	ScaleDev Scale = "dev"
	// ScaleStaging is about 100k customers and 2M order items.
	ScaleStaging Scale = "staging"
	// ScaleProd is about 1M customers and 20M order items.
	ScaleProd Scale = "prod"
)

// Horizon is the number of daily batches the sample domain holds at every
// scale; day 1 is StartDate.
const Horizon = 60

// DefaultDays is how many days Generate writes when Options.Days is 0: the
// horizon minus one week, so Next has seven live batches left to drop.
const DefaultDays = Horizon - 7

// ChurnDays is the churn window: the generator's churners stop ordering on
// ChurnCutoffDay, Horizon-ChurnDays, and the gold features use the same window.
const ChurnDays = 30

// ChurnCutoffDay is the first day on which churners no longer order. Features
// for the churn model must come from days before it.
const ChurnCutoffDay = Horizon - ChurnDays

// DefaultSeed is the seed used when Options.Seed is 0.
const DefaultSeed uint64 = 42

// StartDate is the calendar date of day 1 (a Monday).
var StartDate = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

// DayDate returns the calendar date of day d (day 1 is StartDate).
func DayDate(d int) time.Time { return StartDate.AddDate(0, 0, d-1) }

// params are the volumes of one scale.
type params struct {
	customers   int // total over the horizon, base plus signups
	products    int // catalog size over the horizon
	targetItems int // order_items rows over the horizon, roughly
}

func scaleParams(s Scale) (params, error) {
	switch s {
	case ScaleDev:
		return params{customers: 1_000, products: 200, targetItems: 20_000}, nil
	case ScaleStaging:
		return params{customers: 100_000, products: 2_000, targetItems: 2_000_000}, nil
	case ScaleProd:
		return params{customers: 1_000_000, products: 5_000, targetItems: 20_000_000}, nil
	}
	return params{}, fmt.Errorf("sampledata: unknown scale %q (want dev, staging or prod)", s)
}

// Options says what Generate writes. The zero value writes the dev scale with
// the default seed for DefaultDays days.
type Options struct {
	// Scale is the data volume; "" means ScaleDev.
	Scale Scale
	// Seed drives every random choice; 0 means DefaultSeed.
	Seed uint64
	// Days is how many daily batches to write, 1..Horizon; 0 means DefaultDays.
	Days int
}

func (o Options) withDefaults() (Options, error) {
	if o.Scale == "" {
		o.Scale = ScaleDev
	}
	if _, err := scaleParams(o.Scale); err != nil {
		return o, err
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Days < 1 || o.Days > Horizon {
		return o, fmt.Errorf("sampledata: days %d out of range 1..%d", o.Days, Horizon)
	}
	return o, nil
}
