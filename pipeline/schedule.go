package pipeline

import (
	"slices"
	"sort"
	"time"
)

// criticalOrder is the order in which the scheduler offers ready tasks a
// free slot: the longest path to the run's end first, as list schedulers
// do (Airflow's downstream priority weight, HEFT's upward rank). A task's
// path is what it took the last time it succeeded (took) plus the longest
// path of the tasks that depend on it; a task never run yet counts as the
// median of those that did, and with no history every task counts the
// same, so the path is the number of tasks on it. Ties keep the plan's
// order. On two cores a run is as short as its longest chain allows only
// if the chain's tasks never wait behind tasks nothing waits for: in the
// sample, the customer tables' chain behind tasks that end nowhere.
func criticalOrder(tasks []task, took map[string]time.Duration) []int {
	index := make(map[string]int, len(tasks))
	for i, t := range tasks {
		index[t.key] = i
	}
	var known []time.Duration
	for _, t := range tasks {
		if d, ok := took[t.key]; ok {
			known = append(known, d)
		}
	}
	unknown := time.Duration(1)
	if len(known) > 0 {
		slices.Sort(known)
		unknown = max(known[len(known)/2], 1)
	}
	cost := func(i int) time.Duration {
		if d, ok := took[tasks[i].key]; ok {
			return max(d, 1)
		}
		return unknown
	}
	after := make([][]int, len(tasks)) // the tasks that depend on each
	for i, t := range tasks {
		for _, d := range t.dependsOn {
			if j, ok := index[d]; ok {
				after[j] = append(after[j], i)
			}
		}
	}
	// The path from each task to the end, by depth-first search; a
	// cycle (which the run reports) counts no further than where it
	// closes.
	path := make([]time.Duration, len(tasks))
	const (
		unseen = iota
		open
		closed
	)
	seen := make([]int, len(tasks))
	var walk func(i int) time.Duration
	walk = func(i int) time.Duration {
		switch seen[i] {
		case open:
			return 0
		case closed:
			return path[i]
		}
		seen[i] = open
		var longest time.Duration
		for _, j := range after[i] {
			longest = max(longest, walk(j))
		}
		path[i] = cost(i) + longest
		seen[i] = closed
		return path[i]
	}
	order := make([]int, len(tasks))
	for i := range tasks {
		walk(i)
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return path[order[a]] > path[order[b]] })
	return order
}
