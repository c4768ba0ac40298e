package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// Lineage is the table-level lineage of a project: edges from each table to
// the tables built from it, drawn from the models' SQL (DuckDB's parser) and
// the sources (landing files feed bronze).
type Lineage struct {
	// Up maps a table to the tables it is built from.
	Up map[string][]string
	// Down maps a table to the tables built from it.
	Down map[string][]string
	// Kinds maps a model's table to its kind (ModelSettings.KindName:
	// full, incremental_by_batch, incremental_by_time,
	// incremental_by_unique_key), which Tree prints beside it.
	Kinds map[string]string
}

// Lineage builds the lineage graph from parsed models.
func (p *Project) Lineage(models []Model) *Lineage {
	l := &Lineage{Up: map[string][]string{}, Down: map[string][]string{}, Kinds: map[string]string{}}
	add := func(from, to string) {
		l.Up[to] = append(l.Up[to], from)
		l.Down[from] = append(l.Down[from], to)
	}
	for _, n := range sortedKeys(p.Resources.Sources) {
		add("landing:"+p.Resources.Sources[n].Path, "bronze."+n)
	}
	for _, m := range models {
		l.Kinds[m.Table.String()] = p.Resources.Models[m.Table.String()].KindName()
		for _, r := range m.Reads {
			add(r.String(), m.Table.String())
		}
	}
	for _, n := range sortedKeys(p.Resources.RegisteredModels) {
		add(strings.ToLower(p.Resources.RegisteredModels[n].Table), "model:"+n)
	}
	for _, edges := range []map[string][]string{l.Up, l.Down} {
		for k := range edges {
			sort.Strings(edges[k])
		}
	}
	return l
}

// Has reports whether the table appears in the lineage.
func (l *Lineage) Has(table string) bool {
	return len(l.Up[table]) > 0 || len(l.Down[table]) > 0
}

// Tree draws a table's upstream (dir "up") or downstream ("down") lineage
// as an indented tree, each model's table with its kind in brackets
// (silver.orders [incremental_by_batch]).
func (l *Lineage) Tree(table, dir string) string {
	edges := l.Down
	if dir == "up" {
		edges = l.Up
	}
	var b strings.Builder
	name := func(t string) string {
		if k := l.Kinds[t]; k != "" {
			return t + " [" + k + "]"
		}
		return t
	}
	b.WriteString(name(table) + "\n")
	var walk func(node, prefix string, seen map[string]bool)
	walk = func(node, prefix string, seen map[string]bool) {
		kids := edges[node]
		for i, k := range kids {
			branch, next := "├── ", "│   "
			if i == len(kids)-1 {
				branch, next = "└── ", "    "
			}
			if seen[k] {
				fmt.Fprintf(&b, "%s%s%s (see above)\n", prefix, branch, name(k))
				continue
			}
			fmt.Fprintf(&b, "%s%s%s\n", prefix, branch, name(k))
			seen[k] = true
			walk(k, prefix+next, seen)
		}
	}
	walk(table, "", map[string]bool{})
	return b.String()
}
