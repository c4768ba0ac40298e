package ml

import (
	"math"
	"sort"
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
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, rankSum float64
	for i := 0; i < n; {
		j := i
		for j < n && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		// Ranks i+1..j share the average rank.
		avg := float64(i+1+j) / 2
		for t := i; t < j; t++ {
			if labels[idx[t]] == 1 {
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
