package sampledata

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lakebench/lakebench/ml"
)

func TestModelsBuild(t *testing.T) {
	l := devLake(t)
	for _, tc := range []struct {
		table   string
		minRows int64
	}{
		{"bronze.customers", 1000}, {"silver.customers", 1000},
		{"silver.products", 200}, {"silver.orders", 7000}, {"silver.order_items", 17000},
		{"silver.events", 15000}, {"silver.tickets", 200},
		{"gold.daily_revenue", 1000}, {"gold.customer_features", 500},
		{"gold.product_performance", 200}, {"gold.customer_360", 1000},
	} {
		if got := l.int(t, "SELECT count(*) FROM "+tc.table); got < tc.minRows {
			t.Errorf("%s has %d rows, want at least %d", tc.table, got, tc.minRows)
		}
	}
	// Bronze holds exactly what the report says was written, minus the
	// malformed CSV lines the test's quarantine dropped.
	for _, src := range Sources {
		got := l.int(t, "SELECT count(*) FROM bronze."+src)
		want := devReport.Rows[src]
		if src == "customers" {
			want -= MalformedCustomerLines
		}
		if got != want {
			t.Errorf("bronze.%s has %d rows, want %d", src, got, want)
		}
	}
	p, _ := scaleParams(ScaleDev)
	if got, want := l.int(t, "SELECT count(*) FROM silver.customers"), int64(p.customers); got != want {
		t.Errorf("silver.customers has %d rows, want %d (one per customer)", got, want)
	}
	if got := l.int(t, "SELECT count(*) FROM silver.customers WHERE email LIKE '%@mail.example.org'"); got == 0 {
		t.Errorf("no updated email won the dedup by key (got %d)", got)
	}
	if got := l.int(t, "SELECT count(*) FROM (SELECT customer_id FROM gold.customer_features GROUP BY 1 HAVING count(*) > 1)"); got != 0 {
		t.Errorf("gold.customer_features has %d customers on several rows", got)
	}
	for _, label := range []int{0, 1} {
		if got := l.int(t, "SELECT count(*) FROM gold.customer_features WHERE churned = ?", label); got < 50 {
			t.Errorf("gold.customer_features has %d rows with churned = %d, want at least 50", got, label)
		}
	}
}

func TestChurnSignal(t *testing.T) {
	auc, n, rate := churnAUC(t, devLake(t))
	t.Logf("customers %d, churn rate %.2f, test AUC %.3f", n, rate, auc)
	if auc < 0.75 || auc > 0.95 {
		t.Errorf("test AUC = %.3f, want 0.75..0.95 (a real but imperfect signal)", auc)
	}
}

// churnAUC trains a logistic regression on 70% of gold.customer_features
// and returns its AUC on the other 30%, the row count and the churn rate.
func churnAUC(t *testing.T, l *lake) (auc float64, n int, churnRate float64) {
	t.Helper()
	rows, err := l.db.Query(`SELECT recency_days, frequency, monetary, tickets, avg_discount, region, churned
		FROM gold.customer_features ORDER BY customer_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var X [][]float64
	var y []float64
	for rows.Next() {
		var rec, freq, tix, churned int64
		var mon, disc float64
		var region string
		if err := rows.Scan(&rec, &freq, &mon, &tix, &disc, &region, &churned); err != nil {
			t.Fatal(err)
		}
		x := []float64{float64(rec), float64(freq), math.Log1p(mon), float64(tix), disc}
		for _, r := range regions[1:] { // one-hot, north is the baseline
			x = append(x, b2f(region == r))
		}
		X = append(X, x)
		y = append(y, float64(churned))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// A fixed shuffle, then 70% train, 30% test.
	r := rand.New(rand.NewPCG(7, 7))
	r.Shuffle(len(X), func(i, j int) { X[i], X[j] = X[j], X[i]; y[i], y[j] = y[j], y[i] })
	cut := len(X) * 7 / 10
	m, err := ml.TrainLogistic(X[:cut], y[:cut], ml.LogisticOptions{L2: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float64, len(X)-cut)
	for i := range scores {
		scores[i] = m.Predict(X[cut+i])
	}
	for i, s := range scores {
		if math.IsNaN(s) {
			t.Fatalf("score %d is NaN for features %v (model %+v)", i, X[cut+i], m)
		}
	}
	var churned float64
	for _, v := range y {
		churned += v
	}
	return ml.AUC(scores, y[cut:]), len(y), churned / float64(len(y))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
