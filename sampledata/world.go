package sampledata

import (
	"math"
	"math/rand/v2"
)

// Dimension vocabularies. Their order is part of the generated data.
var (
	regions      = []string{"north", "south", "east", "west", "central"}
	regionShare  = []float64{0.24, 0.22, 0.20, 0.18, 0.16}
	regionChurn  = []float64{0, 0.35, -0.25, 0.8, 0.1} // added to the churn logit
	segments     = []string{"consumer", "small_business", "corporate"}
	segmentShare = []float64{0.72, 0.20, 0.08}
	categories   = []string{"electronics", "home", "apparel", "beauty", "sports", "toys", "grocery", "books"}
	categoryMix  = []float64{0.16, 0.15, 0.17, 0.10, 0.10, 0.08, 0.14, 0.10}
	categoryBase = []float64{180, 45, 38, 22, 55, 28, 9, 16} // median list price
	brands       = []string{"Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Soylent"}
	firstNames   = []string{"Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
		"Kira", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tara",
		"Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carla", "Dmitri"}
	lastNames = []string{"Garcia", "Smith", "Muller", "Rossi", "Silva", "Kowalski", "Nguyen", "Okafor", "Haddad", "Larsen",
		"Moreau", "Novak", "Petrov", "Quispe", "Santos", "Tanaka", "Ueda", "Varga", "Weber", "Yilmaz"}
	productNouns = []string{"Pro", "Lite", "Max", "Mini", "Classic", "Plus", "Air", "One", "Go", "Prime"}
)

const (
	catElectronics = 0
	catHome        = 1
)

// customer holds one customer's fixed attributes and latent traits.
type customer struct {
	signupDay  int16 // 1 for the base that exists before day 1
	decayStart int16 // churners: first day their activity decays
	signupOff  int32 // signup date as days after StartDate (negative for the base)
	region     uint8
	segment    uint8
	first      uint8
	last       uint8
	churn      bool
	optIn      bool
	birthYear  int16
	rate       float32 // base orders per day
	discount   float32 // discount affinity, 0..1
	support    float32 // support ticket multiplier
}

// product is one catalog entry.
type product struct {
	category  uint8
	brand     uint8
	noun      uint8
	launchDay int16
	price     float64 // list price
}

// world is everything that does not change from day to day: the customers
// (index i is customer_id i+1) and products (index i is product_id i+1).
type world struct {
	scale    Scale
	seed     uint64
	p        params
	cust     []customer
	prod     []product
	signups  [Horizon + 1]int // new customers per day (day 1: the base)
	firstID  [Horizon + 2]int // first customer index signing up on day d
	catCum   [][]float64      // per category: cumulative popularity over catIdx
	catIdx   [][]int32        // per category: product indexes by id
	updates  int              // customer email updates per later day
	expDaily float64          // expected orders per day
}

// campaignDay is the day of a signup campaign (four times the usual signups);
// its customers file also carries the malformed lines.
const campaignDay = 12

// newProductDays are the days a few products launch after the initial catalog.
var newProductDays = []int{15, 30, 45}

func newWorld(scale Scale, seed uint64) *world {
	p, err := scaleParams(scale)
	if err != nil {
		panic(err) // callers validate the scale first
	}
	w := planWorld(scale, seed, p)
	w.makeCustomers()
	w.makeProducts()
	return w
}

// planWorld fixes the volumes of a world without drawing its customers and
// products: enough for the incident facts.
func planWorld(scale Scale, seed uint64, p params) *world {
	w := &world{scale: scale, seed: seed, p: p}
	w.planSignups()
	w.updates = max(1, p.customers/2000)
	w.expDaily = float64(p.targetItems) / meanItemsPerOrder / Horizon
	return w
}

// planSignups fixes how many customers exist on day 1 and sign up each later
// day. The counts depend on the scale only, so line numbers are stable.
func (w *world) planSignups() {
	n := w.p.customers
	base := n * 85 / 100
	w.signups[1] = base
	var weights [Horizon + 1]int
	total := 0
	for d := 2; d <= Horizon; d++ {
		weights[d] = 1
		if d == campaignDay {
			weights[d] = 4
		}
		total += weights[d]
	}
	rest, cum, prev := n-base, 0, 0
	for d := 2; d <= Horizon; d++ {
		cum += weights[d]
		upto := int(math.Round(float64(rest) * float64(cum) / float64(total)))
		w.signups[d] = upto - prev
		prev = upto
	}
	idx := 0
	for d := 1; d <= Horizon; d++ {
		w.firstID[d] = idx
		idx += w.signups[d]
	}
	w.firstID[Horizon+1] = idx
}

func pick(r *rand.Rand, shares []float64) int {
	u := r.Float64()
	for i, s := range shares {
		u -= s
		if u < 0 {
			return i
		}
	}
	return len(shares) - 1
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Volume constants: items per order (1 + Poisson(1.5), at most 8) and the
// base rate of support tickets.
const (
	meanItemsPerOrder = 2.5
	ticketRate        = 0.006 // tickets per customer-day at support 1
)

func (w *world) makeCustomers() {
	r := rand.New(rand.NewPCG(w.seed, 0xC057))
	n := w.p.customers
	w.cust = make([]customer, n)
	// Active customer-days, times the mean activity multiplier, times the
	// share of activity churn leaves: the base rate hits the order target.
	activeDays := 0.0
	for d := 1; d <= Horizon; d++ {
		activeDays += float64(w.signups[d]) * float64(Horizon-d+1)
	}
	meanRate := float64(w.p.targetItems) / meanItemsPerOrder / (activeDays * 0.82)
	day := 1
	for i := range w.cust {
		for i >= w.firstID[day+1] {
			day++
		}
		c := &w.cust[i]
		c.signupDay = int16(day)
		if day == 1 {
			c.signupOff = -1 - int32(r.IntN(3*365))
		} else {
			c.signupOff = int32(day - 1)
		}
		c.region = uint8(pick(r, regionShare))
		c.segment = uint8(pick(r, segmentShare))
		c.first = uint8(r.IntN(len(firstNames)))
		c.last = uint8(r.IntN(len(lastNames)))
		c.birthYear = int16(1950 + r.IntN(55))
		c.optIn = r.Float64() < 0.6
		activity := r.NormFloat64()
		c.rate = float32(meanRate * math.Exp(0.7*activity-0.245))
		c.discount = float32(r.Float64())
		support := r.NormFloat64()
		c.support = float32(math.Exp(0.8*support - 0.32))
		z := -1.3 - 0.9*activity + 0.7*support + 1.8*(float64(c.discount)-0.5) +
			regionChurn[c.region] + 0.6*r.NormFloat64()
		churnDraw := r.Float64()
		c.decayStart = int16(ChurnCutoffDay - 8 - r.IntN(18))
		c.churn = day < ChurnCutoffDay && churnDraw < sigmoid(z)
	}
}

func (w *world) makeProducts() {
	r := rand.New(rand.NewPCG(w.seed, 0x960D))
	n := w.p.products
	late := n * 3 / 100
	w.prod = make([]product, n)
	w.catIdx = make([][]int32, len(categories))
	w.catCum = make([][]float64, len(categories))
	for i := range w.prod {
		pr := &w.prod[i]
		pr.category = uint8(pick(r, categoryMix))
		if i < len(categories) {
			pr.category = uint8(i) // every category has a product on day 1
		}
		pr.brand = uint8(r.IntN(len(brands)))
		pr.noun = uint8(r.IntN(len(productNouns)))
		pr.launchDay = 1
		if k := i - (n - late); k >= 0 {
			pr.launchDay = int16(newProductDays[k*len(newProductDays)/late])
		}
		pr.price = math.Round(categoryBase[pr.category]*math.Exp(0.5*r.NormFloat64())*100) / 100
		if pr.price < 0.99 {
			pr.price = 0.99
		}
		pop := math.Exp(r.NormFloat64())
		c := pr.category
		prev := 0.0
		if k := len(w.catCum[c]); k > 0 {
			prev = w.catCum[c][k-1]
		}
		w.catIdx[c] = append(w.catIdx[c], int32(i))
		w.catCum[c] = append(w.catCum[c], prev+pop)
	}
}

// dayFactor is the weekly seasonality: weekends peak.
func dayFactor(d int) float64 {
	switch DayDate(d).Weekday() {
	case 6: // Saturday
		return 1.45
	case 0: // Sunday
		return 1.3
	case 5: // Friday
		return 1.1
	}
	return 0.83
}

// activity is the multiplier of a customer's order rate on day d: zero before
// signup and for churners from the cutoff, decaying for churners before it.
func (c *customer) activity(d int) float64 {
	if d < int(c.signupDay) {
		return 0
	}
	if !c.churn || d < int(c.decayStart) {
		return 1
	}
	if d >= ChurnCutoffDay {
		return 0
	}
	return math.Exp(-float64(d-int(c.decayStart)) / 5)
}
