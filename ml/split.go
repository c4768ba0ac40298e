package ml

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// defaultTestSize is the fraction of rows held out when Spec.TestSize is 0.
const defaultTestSize = 0.25

// newRand returns the generator of a seed: a fixed PCG stream, so a split is
// the same on every run and machine.
func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x6c616b6562656e63^stream))
}

// splitRows holds out a seeded test share of rows. For classification,
// class[i] is the class of rows[i] (0..classes-1) and each class keeps its
// share in both parts (stratified); class is nil for regression. Both parts
// keep the order of rows.
func splitRows(rows, class []int, classNames []string, testSize float64, seed int64) (train, test []int, err error) {
	n := len(rows)
	nTest := int(math.Ceil(testSize * float64(n)))
	nTrain := n - nTest
	if nTest < 1 || nTrain < 2 || (class != nil && (nTest < len(classNames) || nTrain < len(classNames))) {
		need := "at least two rows to train on and one to test"
		if class != nil {
			need = fmt.Sprintf("at least one row per class (%d) in each", len(classNames))
		}
		return nil, nil, fmt.Errorf("ml: too few rows for the split: %d rows with test_size %g leave %d for training and %d for testing, and the split needs %s: add rows or change test_size", n, testSize, nTrain, nTest, need)
	}
	rng := newRand(seed, 1)
	// Shuffle positions in rows, mark the held-out ones, then read rows in
	// order: both parts keep rows' order without a sort.
	held := make([]bool, n)
	if class == nil {
		perm := allPositions(n)
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for _, i := range perm[:nTest] {
			held[i] = true
		}
	} else {
		groups := groupByClass(class, len(classNames))
		for k, g := range groups {
			if len(g) < 2 {
				return nil, nil, fmt.Errorf("ml: too few rows for the split: class %q has %d row, and a stratified split needs at least 2 per class: add rows of it or filter it out", classNames[k], len(g))
			}
		}
		for k, t := range allocate(groups, nTest) {
			g := groups[k]
			rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
			for _, i := range g[:t] {
				held[i] = true
			}
		}
	}
	train, test = make([]int, 0, nTrain), make([]int, 0, nTest)
	for i, r := range rows {
		if held[i] {
			test = append(test, r)
		} else {
			train = append(train, r)
		}
	}
	return train, test, nil
}

// allPositions returns 0..n-1.
func allPositions(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// groupByClass returns the positions in class of each class, ascending.
func groupByClass(class []int, classes int) [][]int {
	counts := make([]int, classes)
	for _, k := range class {
		counts[k]++
	}
	groups := make([][]int, classes)
	for k, n := range counts {
		groups[k] = make([]int, 0, n)
	}
	for i, k := range class {
		groups[k] = append(groups[k], i)
	}
	return groups
}

// allocate shares nTest test rows among the groups in proportion to their
// sizes (largest remainder, ties to the earlier group), keeping at least one
// row of every group of two or more on each side.
func allocate(groups [][]int, nTest int) []int {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	t := make([]int, len(groups))
	rem := make([]float64, len(groups))
	got := 0
	for k, g := range groups {
		exact := float64(nTest) * float64(len(g)) / float64(n)
		t[k] = int(math.Floor(exact))
		rem[k] = exact - float64(t[k])
		got += t[k]
	}
	order := make([]int, len(groups))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for i := 0; got < nTest; i++ {
		t[order[i%len(order)]]++
		got++
	}
	// Every class on both sides: move rows from the groups that can spare.
	for k, g := range groups {
		for t[k] < 1 && len(g) >= 2 {
			if !shift(t, groups, k, -1) {
				break
			}
		}
		for t[k] > len(g)-1 && len(g) >= 2 {
			if !shift(t, groups, k, +1) {
				break
			}
		}
	}
	return t
}

// shift gives group k one more test row (dir -1: another group gives one
// up) or one fewer (dir +1: another group takes it), choosing the largest
// group that stays valid.
func shift(t []int, groups [][]int, k, dir int) bool {
	best := -1
	for j, g := range groups {
		if j == k {
			continue
		}
		ok := (dir < 0 && t[j] > 1) || (dir > 0 && t[j] < len(g)-1)
		if ok && (best < 0 || len(g) > len(groups[best])) {
			best = j
		}
	}
	if best < 0 {
		return false
	}
	t[k] -= dir
	t[best] += dir
	return true
}

// foldRows deals rows into k seeded folds, each class spread evenly across
// them (stratified) when class is given (class[i] is the class of rows[i]),
// and returns each fold's held-out rows in the order of rows.
func foldRows(rows, class []int, classes, k int, seed int64) [][]int {
	rng := newRand(seed, 2)
	var groups [][]int // positions in rows
	if class == nil {
		groups = [][]int{allPositions(len(rows))}
	} else {
		groups = groupByClass(class, classes)
	}
	fold := make([]int, len(rows))
	next := 0
	for _, g := range groups {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		for _, i := range g {
			fold[i] = next
			next = (next + 1) % k
		}
	}
	folds := make([][]int, k)
	for i, r := range rows {
		folds[fold[i]] = append(folds[fold[i]], r)
	}
	return folds
}

// complement returns rows without the ones in held, which are some of rows
// in the order of rows (a fold of foldRows).
func complement(rows, held []int) []int {
	out := make([]int, 0, len(rows)-len(held))
	j := 0
	for _, r := range rows {
		if j < len(held) && held[j] == r {
			j++
			continue
		}
		out = append(out, r)
	}
	return out
}
