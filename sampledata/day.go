package sampledata

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Vocabularies of the fact sources.
var (
	channels        = []string{"web", "mobile", "store"}
	channelShare    = []float64{0.50, 0.35, 0.15}
	payments        = []string{"card", "paypal", "bank_transfer", "gift_card"}
	paymentShare    = []float64{0.60, 0.20, 0.15, 0.05}
	statuses        = []string{"completed", "returned", "cancelled"}
	statusShare     = []float64{0.92, 0.05, 0.03}
	eventTypes      = []string{"view", "search", "cart", "checkout", "home"}
	devices         = []string{"desktop", "mobile", "tablet"}
	deviceShare     = []float64{0.45, 0.45, 0.10}
	ticketKinds     = []string{"delivery", "billing", "product", "account"}
	ticketKindShare = []float64{0.35, 0.20, 0.30, 0.15}
	priorities      = []string{"low", "medium", "high"}
	ticketChannels  = []string{"email", "chat", "phone"}
	ticketChShare   = []float64{0.4, 0.4, 0.2}
)

const (
	evView = iota
	evSearch
	evCart
	evCheckout
	evHome
)

type item struct {
	product int32
	qty     int32
	price   float64
}

type order struct {
	id       int64
	ts       int64 // unix seconds, UTC
	cust     int32 // customer index
	seq      int32 // draw order, the tie-break of the time sort
	nullCust bool
	channel  uint8
	payment  uint8
	status   uint8
	discount float64 // percent
	shipping float64
	items    []item
}

type event struct {
	ts      int64
	cust    int32 // -1: anonymous visitor
	seq     int32 // draw order, the tie-break of the time sort
	session int32
	typ     uint8
	device  uint8
	page    int32 // product index for views, category for searches
}

type ticket struct {
	ts       int64
	cust     int32
	kind     uint8
	priority uint8
	channel  uint8
	sat      int8 // 0: not answered (null)
	hours    float64
}

// activity is what happened on one day, before any incident is applied.
type activity struct {
	day     int
	orders  []order
	events  []event
	tickets []ticket
}

// Random streams; each day and purpose has its own, so a day's batch never
// depends on which other days were generated.
const (
	streamActivity = 0xA0
	streamLate     = 0xA1
	streamIncident = 0xA2
	streamUpdates  = 0xA3
)

func (w *world) rng(day int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(w.seed, uint64(day)<<16|stream))
}

// poisson draws from Poisson(lambda) by Knuth's method; lambda is small here.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	limit := math.Exp(-lambda)
	k, p := 0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

// timeOfDay draws seconds after midnight: a lunch and an evening peak.
func timeOfDay(r *rand.Rand) int64 {
	var h float64
	if r.Float64() < 0.4 {
		h = 12.5 + 2.5*r.NormFloat64()
	} else {
		h = 20 + 2*r.NormFloat64()
	}
	s := int64(h * 3600)
	s %= 86400
	if s < 0 {
		s += 86400
	}
	return s
}

// drawProduct picks a product launched by day d, by category mix and
// popularity, applying the electronics revenue dip.
func (w *world) drawProduct(r *rand.Rand, d int) int32 {
	c := pick(r, categoryMix)
	if c == catElectronics && d >= RevenueDipFrom && d <= RevenueDipTo && r.Float64() < 1-RevenueDipFactor {
		c = 1 + r.IntN(len(categories)-1)
	}
	cum := w.catCum[c]
	for try := 0; try < 8; try++ {
		k := sort.SearchFloat64s(cum, r.Float64()*cum[len(cum)-1])
		if k >= len(cum) {
			k = len(cum) - 1
		}
		if p := w.catIdx[c][k]; int(w.prod[p].launchDay) <= d {
			return p
		}
	}
	return w.catIdx[c][0] // launched on day 1
}

// price is the unit price charged on day d, with the planted drift.
func (w *world) price(p int32, d int) float64 {
	pr := &w.prod[p]
	if int(pr.category) == catHome && d >= PriceDriftFrom {
		return math.Round(pr.price*PriceDriftFactor*100) / 100
	}
	return pr.price
}

// simulate returns the activity of day d.
func (w *world) simulate(d int) *activity {
	r := w.rng(d, streamActivity)
	a := &activity{day: d}
	dayStart := DayDate(d).Unix()
	wf := dayFactor(d)
	n := w.firstID[d+1]
	exp := int(w.expDaily * wf * 1.1)
	a.orders = make([]order, 0, exp)
	itemBuf := make([]item, 0, int(float64(exp)*meanItemsPerOrder*1.1))
	a.events = make([]event, 0, exp*3)
	var session int32
	for i := 0; i < n; i++ {
		c := &w.cust[i]
		act := c.activity(d)
		rate := float64(c.rate) * wf
		lo := rate * act
		lb := rate * 0.25 * (0.3 + 0.7*act)
		boost := 1.0
		if c.churn {
			switch {
			case d >= ChurnCutoffDay:
				boost = 0.3
			case d >= int(c.decayStart)-7:
				boost = 3.5
			}
		}
		lt := ticketRate * float64(c.support) * boost
		total := lo + lb + lt
		k := poisson(r, total)
		for ; k > 0; k-- {
			u := r.Float64() * total
			ts := dayStart + timeOfDay(r)
			switch {
			case u < lo:
				o := order{ts: ts, cust: int32(i)}
				o.channel = uint8(pick(r, channelShare))
				o.payment = uint8(pick(r, paymentShare))
				o.status = uint8(pick(r, statusShare))
				if r.Float64() < 0.08+0.45*float64(c.discount) {
					o.discount = float64(5 + 5*r.IntN(1+int(c.discount*5)))
				}
				ni := min(8, 1+poisson(r, 1.5))
				from := len(itemBuf)
				var subtotal float64
				for j := 0; j < ni; j++ {
					p := w.drawProduct(r, d)
					q := int32(1)
					if r.Float64() < 0.25 {
						q = 2 + int32(r.IntN(2))
					}
					it := item{product: p, qty: q, price: w.price(p, d)}
					subtotal += float64(q) * it.price
					itemBuf = append(itemBuf, it)
				}
				o.items = itemBuf[from:len(itemBuf):len(itemBuf)]
				if o.channel != 2 && subtotal < 50 {
					o.shipping = 4.99
				}
				a.orders = append(a.orders, o)
				if o.channel != 2 && r.Float64() < 0.5 { // tracked sessions only
					session++
					dev := uint8(0)
					if o.channel == 1 {
						dev = 1
					}
					first := o.items[0].product
					a.events = append(a.events,
						event{ts: max(dayStart, ts-600-int64(r.IntN(1200))), cust: int32(i), session: session, typ: evView, device: dev, page: first},
						event{ts: max(dayStart, ts-300), cust: int32(i), session: session, typ: evCart, device: dev, page: first},
						event{ts: max(dayStart, ts-60), cust: int32(i), session: session, typ: evCheckout, device: dev, page: first})
				}
			case u < lo+lb:
				session++
				a.events = w.browse(r, a.events, d, ts, int32(i), session)
			default:
				t := ticket{ts: ts, cust: int32(i)}
				t.kind = uint8(pick(r, ticketKindShare))
				t.channel = uint8(pick(r, ticketChShare))
				unhappy := boost > 1
				if unhappy {
					t.priority = uint8(pick(r, []float64{0.3, 0.4, 0.3}))
				} else {
					t.priority = uint8(pick(r, []float64{0.55, 0.35, 0.10}))
				}
				if r.Float64() >= 0.35 {
					mean := 4.0
					if unhappy {
						mean = 2.6
					}
					t.sat = int8(min(5, max(1, math.Round(mean+r.NormFloat64()))))
				}
				t.hours = math.Round(math.Exp(2.5+0.8*r.NormFloat64())*10) / 10
				a.tickets = append(a.tickets, t)
			}
		}
	}
	// Anonymous visitors: about one session in ten.
	anon := int(session) / 9
	for j := 0; j < anon; j++ {
		session++
		a.events = w.browse(r, a.events, d, dayStart+timeOfDay(r), -1, session)
	}

	// Sort by time; seq (the draw order) breaks ties, so the unstable sort
	// is deterministic.
	for i := range a.orders {
		a.orders[i].seq = int32(i)
	}
	slices.SortFunc(a.orders, func(x, y order) int { return cmp.Or(cmp.Compare(x.ts, y.ts), cmp.Compare(x.seq, y.seq)) })
	for i := range a.orders {
		a.orders[i].id = int64(d)*1_000_000 + int64(i) + 1
	}
	for i := range a.events {
		a.events[i].seq = int32(i)
	}
	slices.SortFunc(a.events, func(x, y event) int { return cmp.Or(cmp.Compare(x.ts, y.ts), cmp.Compare(x.seq, y.seq)) })
	slices.SortStableFunc(a.tickets, func(x, y ticket) int { return cmp.Compare(x.ts, y.ts) })
	return a
}

// browse appends one browsing session of one to four events.
func (w *world) browse(r *rand.Rand, ev []event, d int, ts int64, cust, session int32) []event {
	dev := uint8(pick(r, deviceShare))
	n := 1 + r.IntN(4)
	for j := 0; j < n; j++ {
		e := event{ts: ts, cust: cust, session: session, device: dev}
		switch u := r.Float64(); {
		case j == 0 && u < 0.3:
			e.typ = evHome
		case u < 0.2:
			e.typ = evSearch
			e.page = int32(pick(r, categoryMix))
		case j > 0 && u < 0.35:
			e.typ = evCart
			e.page = w.drawProduct(r, d)
		default:
			e.typ = evView
			e.page = w.drawProduct(r, d)
		}
		ev = append(ev, e)
		ts += 10 + int64(r.IntN(290))
	}
	return ev
}

// sample returns k distinct indexes below n in a deterministic random order.
func sample(r *rand.Rand, n, k int) []int {
	k = min(k, n)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + r.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	out := perm[:k]
	slices.Sort(out)
	return out
}

// lateSet marks the orders of LateOrdersDay that arrive two days late.
func (w *world) lateSet(a *activity, count int) map[int]bool {
	late := make(map[int]bool, count)
	for _, i := range sample(w.rng(LateOrdersDay, streamLate), len(a.orders), count) {
		late[i] = true
	}
	return late
}

// ordersBatch returns the orders rows of batch d with the incidents applied,
// in file order, and whether the batch exists at all.
func (w *world) ordersBatch(d int, a *activity, facts *IncidentFacts) ([]order, bool) {
	if d == MissingOrdersDay {
		return nil, false
	}
	rows := a.orders
	if d == LateOrdersDay {
		late := w.lateSet(a, facts.LateOrders)
		rows = make([]order, 0, len(a.orders))
		for i, o := range a.orders {
			if !late[i] {
				rows = append(rows, o)
			}
		}
	}
	if d == LateArrivalDay {
		early := w.simulate(LateOrdersDay)
		late := w.lateSet(early, facts.LateOrders)
		rows = slices.Clone(rows)
		for i, o := range early.orders {
			if late[i] {
				rows = append(rows, o)
			}
		}
	}
	switch d {
	case NullCustomerDay:
		r := w.rng(d, streamIncident)
		rows = slices.Clone(rows)
		for _, i := range sample(r, len(rows), facts.NullCustomerOrders) {
			rows[i].nullCust = true
		}
		total := 0
		for _, o := range rows {
			total += len(o.items)
		}
		neg := sample(r, total, facts.NegativeQuantityItems)
		pos, k := 0, 0
		for i := range rows {
			its := slices.Clone(rows[i].items)
			for j := range its {
				if k < len(neg) && neg[k] == pos {
					its[j].qty = -its[j].qty
					k++
				}
				pos++
			}
			rows[i].items = its
		}
	case DuplicateOrdersDay:
		r := w.rng(d, streamIncident)
		dup := sample(r, len(rows), facts.DuplicateOrders)
		out := make([]order, 0, len(rows)+len(dup))
		k := 0
		for i, o := range rows {
			out = append(out, o)
			if k < len(dup) && dup[k] == i {
				o.items = nil // the repeated row carries no extra items
				out = append(out, o)
				k++
			}
		}
		rows = out
	}
	return rows, true
}
