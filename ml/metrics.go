package ml

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// AUC returns the area under the ROC curve of scores against binary labels
// (1 positive, anything else negative): the probability that a random positive
// scores above a random negative, with ties counting one half. It is computed
// from ranks (Mann-Whitney U) in O(n log n). It returns NaN when either class
// is empty, the lengths differ or a score is NaN.
func AUC(scores, labels []float64) float64 {
	n := len(scores)
	if n != len(labels) {
		return math.NaN()
	}
	for _, s := range scores {
		if math.IsNaN(s) {
			return math.NaN()
		}
	}
	sorted := byScore(scores, labels)
	var pos, rankSum float64
	for i := 0; i < n; {
		j := i
		for j < n && sorted[j].score == sorted[i].score {
			j++
		}
		// Ranks i+1..j share the average rank.
		avg := float64(i+1+j) / 2
		for t := i; t < j; t++ {
			if sorted[t].positive {
				pos++
				rankSum += avg
			}
		}
		i = j
	}
	neg := float64(n) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// scored is one example's score and whether it is positive.
type scored struct {
	score    float64
	positive bool
}

// byScore returns the examples in ascending order of score (ties in no
// particular order: AUC and the ROC curve treat a tie as one threshold).
func byScore(scores, labels []float64) []scored {
	out := make([]scored, len(scores))
	for i, s := range scores {
		out[i] = scored{s, labels[i] == 1}
	}
	slices.SortFunc(out, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	return out
}

// rocCurve returns the ROC curve of scores against binary labels (1
// positive): one point per distinct threshold, highest first, without the
// points on a straight segment (as scikit-learn's roc_curve with
// drop_intermediate), starting at (0, 0) with a threshold above every score.
// It returns nil when either class is empty.
func rocCurve(scores, labels []float64) []ROCPoint {
	n := len(scores)
	sorted := byScore(scores, labels)
	tps, fps, thr := make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
	var tp, fp float64
	for i := n - 1; i >= 0; i-- { // highest score first
		if sorted[i].positive {
			tp++
		} else {
			fp++
		}
		if i == 0 || sorted[i-1].score != sorted[i].score {
			tps, fps, thr = append(tps, tp), append(fps, fp), append(thr, sorted[i].score)
		}
	}
	if tp == 0 || fp == 0 {
		return nil
	}
	kept := 0
	for i := range thr {
		if i == 0 || i == len(thr)-1 || !straight(fps, tps, i) {
			kept++
		}
	}
	out := make([]ROCPoint, 1, kept+1)
	out[0] = ROCPoint{FPR: 0, TPR: 0, Threshold: thr[0] + 1}
	for i := range thr {
		// Keep the ends and every point where the curve bends.
		if i > 0 && i < len(thr)-1 && straight(fps, tps, i) {
			continue
		}
		out = append(out, ROCPoint{FPR: fps[i] / fp, TPR: tps[i] / tp, Threshold: thr[i]})
	}
	return out
}

// straight reports whether point i of the curve lies on the segment
// between its neighbours.
func straight(fps, tps []float64, i int) bool {
	return fps[i-1]-2*fps[i]+fps[i+1] == 0 && tps[i-1]-2*tps[i]+tps[i+1] == 0
}

// logLossEps bounds the probabilities log loss takes the log of: the float64
// machine epsilon, as scikit-learn 1.2's eps="auto".
const logLossEps = 0x1p-52

// classificationMetrics judges predicted probabilities (one row per example,
// one column per class) against the true class indexes y. Binary metrics take
// the second class as positive; multiclass ones are macro averages, and ROC
// AUC is one-vs-rest. A metric the rows cannot define (ROC AUC when a class
// is absent) is left out with a warning.
func classificationMetrics(classes []string, y []int, proba [][]float64) (Metrics, []string) {
	k := len(classes)
	m := Metrics{Values: map[string]float64{}, Classes: classes}
	m.Confusion = make([][]int64, k)
	for i := range m.Confusion {
		m.Confusion[i] = make([]int64, k)
	}
	var correct int
	var logLoss float64
	for i, row := range proba {
		pred := argmax(row)
		m.Confusion[y[i]][pred]++
		if pred == y[i] {
			correct++
		}
		logLoss -= math.Log(math.Min(math.Max(row[y[i]], logLossEps), 1-logLossEps))
	}
	n := float64(len(y))
	m.Values["accuracy"] = float64(correct) / n
	m.Values["log_loss"] = logLoss / n

	precision, recall, f1 := make([]float64, k), make([]float64, k), make([]float64, k)
	for c := range k {
		var tp, predicted, actual int64
		for j := range k {
			predicted += m.Confusion[j][c]
			actual += m.Confusion[c][j]
		}
		tp = m.Confusion[c][c]
		// A zero division counts as 0, as scikit-learn's zero_division="warn".
		if predicted > 0 {
			precision[c] = float64(tp) / float64(predicted)
		}
		if actual > 0 {
			recall[c] = float64(tp) / float64(actual)
		}
		if precision[c]+recall[c] > 0 {
			f1[c] = 2 * precision[c] * recall[c] / (precision[c] + recall[c])
		}
	}
	var warnings []string
	scores := make([]float64, len(y))
	labels := make([]float64, len(y))
	oneVsRest := func(c int) float64 {
		for i, row := range proba {
			scores[i] = row[c]
			labels[i] = 0
			if y[i] == c {
				labels[i] = 1
			}
		}
		return AUC(scores, labels)
	}
	if k == 2 {
		m.Values["precision"], m.Values["recall"], m.Values["f1"] = precision[1], recall[1], f1[1]
		if auc := oneVsRest(1); !math.IsNaN(auc) {
			m.Values["roc_auc"] = auc
			m.ROC = rocCurve(scores, labels)
		} else {
			warnings = append(warnings, "roc_auc is undefined: the evaluation rows hold one class only; add rows or change the seed")
		}
		return m, warnings
	}
	m.Values["precision"], m.Values["recall"], m.Values["f1"] = meanOf(precision), meanOf(recall), meanOf(f1)
	var aucSum float64
	for c := k - 1; c >= 0; c-- { // the first class last, so scores hold its curve
		auc := oneVsRest(c)
		if math.IsNaN(auc) {
			warnings = append(warnings, fmt.Sprintf("roc_auc is undefined: class %q is absent from the evaluation rows; add rows or change the seed", classes[c]))
			aucSum = math.NaN()
			continue
		}
		aucSum += auc
	}
	if !math.IsNaN(aucSum) {
		m.Values["roc_auc"] = aucSum / float64(k)
	}
	m.ROC = rocCurve(scores, labels)
	return m, warnings
}

// regressionMetrics judges predictions against the true values: RMSE, MAE
// and R² (left out with a warning when the true values are constant).
func regressionMetrics(y, pred []float64) (Metrics, []string) {
	var se, ae float64
	for i := range y {
		d := pred[i] - y[i]
		se += d * d
		ae += math.Abs(d)
	}
	n := float64(len(y))
	m := Metrics{Values: map[string]float64{"rmse": math.Sqrt(se / n), "mae": ae / n}}
	mean := stat.Mean(y, nil)
	var tot float64
	for _, v := range y {
		tot += (v - mean) * (v - mean)
	}
	if tot == 0 {
		return m, []string{"r2 is undefined: the label is constant on the evaluation rows; add rows or change the seed"}
	}
	m.Values["r2"] = 1 - se/tot
	return m, nil
}

// importance ranks the matrix columns by the magnitude of their
// coefficients on the standardised scale, the largest across class rows,
// heaviest first (ties in column order).
func importance(outputs []string, coef [][]float64) []Importance {
	out := make([]Importance, len(outputs))
	for j, name := range outputs {
		out[j].Feature = name
		for _, row := range coef {
			out[j].Weight = math.Max(out[j].Weight, math.Abs(row[j]))
		}
	}
	slices.SortStableFunc(out, func(a, b Importance) int { return cmp.Compare(b.Weight, a.Weight) })
	return out
}

// argmax returns the index of row's largest value, the first on a tie.
func argmax(row []float64) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// meanOf returns the mean of xs.
func meanOf(xs []float64) float64 { return stat.Mean(xs, nil) }
