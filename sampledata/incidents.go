package sampledata

// Incident days and factors. They are the same at every scale; counts that
// grow with the scale are in IncidentFacts.
const (
	// NullCustomerDay is the day whose orders batch has null customer_id
	// values and whose order_items batch has negative quantities.
	NullCustomerDay = 17
	// MissingOrdersDay is the day with no orders and no order_items file.
	MissingOrdersDay = 24
	// RevenueDipFrom and RevenueDipTo bound (inclusive) the days when 40% of
	// electronics items are bought in other categories instead.
	RevenueDipFrom, RevenueDipTo = 26, 35
	// LateOrdersDay is the day some of whose orders arrive late, in the batch
	// of LateArrivalDay, with their order_items; order_ts keeps the real time.
	LateOrdersDay  = 40
	LateArrivalDay = LateOrdersDay + 2
	// PriceDriftFrom is the first day when order_items.unit_price of the home
	// category is PriceDriftFactor times the catalog price (to Horizon).
	PriceDriftFrom   = Horizon - 13
	PriceDriftFactor = 1.15
	// DuplicateOrdersDay is the day whose orders batch repeats a few rows
	// verbatim, each right after its original. It is one of the batches
	// Next drops live after a default Generate.
	DuplicateOrdersDay = 55
	// MalformedCustomersDay is the day (a signup campaign) whose customers
	// CSV holds the malformed lines.
	MalformedCustomersDay = campaignDay
)

// The incident categories.
const (
	RevenueDipCategory = "electronics"
	PriceDriftCategory = "home"
	RevenueDipFactor   = 0.6
)

// The malformed lines of the customers file of MalformedCustomersDay, one of
// each kind. Every one is an extra line whose customer_id (from
// MalformedCustomerIDBase+1) belongs to no real customer and is never
// referenced by other sources, so quarantining them loses no real data. The
// good lines after them, including those after the unterminated quote, are
// real customers and must be loaded.
const (
	MalformedTooManyColumns    = 1 // nine fields instead of eight
	MalformedTooFewColumns     = 1 // four fields
	MalformedUnterminatedQuote = 1 // a name opening a quote that never closes
	MalformedBadDate           = 1 // signup_date "not-a-date"
	MalformedInvalidUTF8       = 1 // bytes 0xff 0xfe inside the name
	// MalformedCustomerLines is the total of the kinds above.
	MalformedCustomerLines = MalformedTooManyColumns + MalformedTooFewColumns +
		MalformedUnterminatedQuote + MalformedBadDate + MalformedInvalidUTF8
	// MalformedCustomerIDBase is added to 1..MalformedCustomerLines to form
	// the customer_id of each malformed line.
	MalformedCustomerIDBase = 900_000_000
)

// MalformedLine locates one planted bad line.
type MalformedLine struct {
	// Kind is too_many_columns, too_few_columns, unterminated_quote,
	// bad_date or invalid_utf8.
	Kind string
	// Line is the 1-based line number in the file (the header is line 1).
	Line int
	// CustomerID is the first field of the line.
	CustomerID int64
}

// IncidentFacts describes every planted incident of one scale, so tests and
// the quality and monitoring features can check they are found. Day numbers
// are 1-based batch days (see DayDate).
type IncidentFacts struct {
	Scale Scale

	// Incident 1: null customer_id in orders, negative quantity in items.
	NullCustomerDay       int
	NullCustomerOrders    int // exact count of orders rows with NULL customer_id
	NegativeQuantityItems int // exact count of order_items rows with quantity < 0

	// Incident 2: completeness.
	MissingOrdersDay int // no orders file and no order_items file that day

	// Incident 3: price drift.
	PriceDriftCategory string
	PriceDriftFrom     int
	PriceDriftTo       int
	PriceDriftFactor   float64

	// Incident 4: late-arriving rows.
	LateOrdersDay  int // the order_ts day of the late rows
	LateArrivalDay int // the batch that carries them
	LateOrders     int // exact count of late orders rows (their items move too)

	// Incident 5: exact duplicate rows.
	DuplicateOrdersDay int
	DuplicateOrders    int // exact count of extra (repeated) orders rows

	// Incident 6: malformed CSV lines in the customers file.
	MalformedCustomersDay  int
	MalformedCustomersFile string // path under the workspace, slash separated
	MalformedLines         []MalformedLine

	// Business signals (not data-quality incidents).
	RevenueDipCategory string
	RevenueDipFrom     int
	RevenueDipTo       int
	RevenueDipFactor   float64
	ChurnCutoffDay     int // churners place no order from this day on
}

// Incidents returns the incident facts of a scale ("" means dev); an unknown
// scale gives facts with only Scale set. They do not depend on the seed.
func Incidents(scale Scale) IncidentFacts {
	if scale == "" {
		scale = ScaleDev
	}
	p, err := scaleParams(scale)
	if err != nil {
		return IncidentFacts{Scale: scale}
	}
	return planWorld(scale, DefaultSeed, p).incidents() // the facts ignore the seed
}

func (w *world) incidents() IncidentFacts {
	daily := w.expDaily
	f := IncidentFacts{
		Scale:                  w.scale,
		NullCustomerDay:        NullCustomerDay,
		NullCustomerOrders:     max(2, int(daily/100)),
		NegativeQuantityItems:  max(3, int(daily*meanItemsPerOrder/200)),
		MissingOrdersDay:       MissingOrdersDay,
		PriceDriftCategory:     PriceDriftCategory,
		PriceDriftFrom:         PriceDriftFrom,
		PriceDriftTo:           Horizon,
		PriceDriftFactor:       PriceDriftFactor,
		LateOrdersDay:          LateOrdersDay,
		LateArrivalDay:         LateArrivalDay,
		LateOrders:             max(5, int(daily*3/100)),
		DuplicateOrdersDay:     DuplicateOrdersDay,
		DuplicateOrders:        max(3, int(daily/1000)),
		MalformedCustomersDay:  MalformedCustomersDay,
		MalformedCustomersFile: "landing/customers/" + fileName("customers", MalformedCustomersDay, "csv"),
		RevenueDipCategory:     RevenueDipCategory,
		RevenueDipFrom:         RevenueDipFrom,
		RevenueDipTo:           RevenueDipTo,
		RevenueDipFactor:       RevenueDipFactor,
		ChurnCutoffDay:         ChurnCutoffDay,
	}
	good := w.signups[MalformedCustomersDay] + w.updates
	for k, kind := range malformedKinds {
		// Bad line k follows good row (k+1)*good/6; +1 for the header and
		// +k for the bad lines before it.
		after := (k + 1) * good / (len(malformedKinds) + 1)
		f.MalformedLines = append(f.MalformedLines, MalformedLine{
			Kind:       kind,
			Line:       1 + after + k + 1,
			CustomerID: MalformedCustomerIDBase + int64(k) + 1,
		})
	}
	return f
}

// malformedKinds is the order of the bad lines in the file. The unterminated
// quote comes last but still has good lines after it.
var malformedKinds = []string{"too_many_columns", "too_few_columns", "bad_date", "invalid_utf8", "unterminated_quote"}
