package pipeline

import (
	"context"
	"slices"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// The kinds of node of the task graph (GraphNode.Kind).
const (
	NodeIngest    = "ingest"
	NodeTransform = "transform"
	NodeQuality   = "quality"
)

// GraphNode is one task of the default run's DAG: the ingestion of one
// source, the build of one model, or the sources' quality checks.
type GraphNode struct {
	// Key is the task's key: ingest_<source>, the model's table
	// (silver.orders), or checks_sources.
	Key  string
	Kind string
	// Source is the source an ingest node loads; Model the model a
	// transform node builds.
	Source string
	Model  *Model
	// DependsOn are the keys of the nodes that build what this one reads.
	DependsOn []string
}

// Graph is the DAG `lakebench run` without a job runs: one ingest node per
// source, then one node per model depending on the nodes that build the
// tables it reads (from DuckDB's parser, Model.Reads), then, when sources
// have quality rules, one node checking them after all the others (a
// run's plan has it wait only for what the rules read: graph). models
// come from Models, in build order; the nodes keep that order.
func (p *Project) Graph(models []Model) []GraphNode { return p.graph(models, nil) }

// graph is Graph with the checks node depending only on the nodes that
// build checkReads, the tables the sources' rules read (the checked
// tables among them: see sourceRuleReads); with checkReads nil (not
// known) it depends on every other node.
func (p *Project) graph(models []Model, checkReads []lakehouse.TableName) []GraphNode {
	var nodes []GraphNode
	builtBy := map[string]string{}
	for _, n := range sortedKeys(p.Resources.Sources) {
		key := "ingest_" + n
		builtBy["bronze."+n] = key
		nodes = append(nodes, GraphNode{Key: key, Kind: NodeIngest, Source: n})
	}
	for _, m := range models {
		builtBy[m.Table.String()] = m.Table.String()
	}
	for i := range models {
		m := &models[i]
		node := GraphNode{Key: m.Table.String(), Kind: NodeTransform, Model: m}
		for _, r := range m.Reads {
			if k, ok := builtBy[r.String()]; ok && k != node.Key {
				node.DependsOn = append(node.DependsOn, k)
			}
		}
		nodes = append(nodes, node)
	}
	// The sources' rules (no build checks bronze) in a last node, after
	// what they read: a daily run checks the new files beside the models'
	// builds instead of after the last of them. Not knowing what they
	// read, after everything.
	if len(p.sourcesWithRules()) > 0 {
		node := GraphNode{Key: "checks_sources", Kind: NodeQuality}
		for _, t := range checkReads {
			// A table no task builds (a view, a table made outside the
			// pipeline) may read what tasks build: after every task.
			if _, ok := builtBy[t.String()]; !ok {
				checkReads = nil
				break
			}
		}
		for _, other := range nodes {
			if checkReads == nil || slices.ContainsFunc(checkReads, func(t lakehouse.TableName) bool { return builtBy[t.String()] == other.Key }) {
				node.DependsOn = append(node.DependsOn, other.Key)
			}
		}
		nodes = append(nodes, node)
	}
	return nodes
}

// sourceRuleReads are the tables the sources' rules read, the checked
// tables included: from DuckDB's parser (as models' Reads) and from the
// rules' bound plan, which also sees what a view or a macro they call
// reads. ok is false when that is not known: a rule DuckDB cannot parse
// or bind yet (a table not built, on a target's first run), or a table
// named without its schema (the rules then run after every other node).
func (p *Project) sourceRuleReads(ctx context.Context, lh *lakehouse.Lakehouse) (reads []lakehouse.TableName, ok bool) {
	sources := p.sourcesWithRules()
	if len(sources) == 0 {
		return nil, true
	}
	tx, err := lh.Begin(ctx)
	if err != nil {
		return nil, false
	}
	defer tx.Rollback()
	for _, s := range sources {
		rules, err := p.Rules(s.Table.String())
		if err != nil {
			return nil, false
		}
		text := lakehouse.AuthorizationSQL(s.Table.SQL(), rules)
		refs, err := lh.TableRefs(ctx, text)
		if err != nil {
			return nil, false
		}
		bound, _, err := tx.AuthorizeSQL(ctx, text)
		if err != nil {
			return nil, false
		}
		for _, t := range append(append(refs, bound...), s.Table) {
			if t.Schema == "" {
				return nil, false
			}
			// Rows stored for a bronze view (bronze_data.orders) are
			// built by the view's ingestion.
			if view, ok := strings.CutSuffix(t.Schema, "_data"); ok && view != "" {
				t.Schema = view
			}
			if !slices.Contains(reads, t) {
				reads = append(reads, t)
			}
		}
	}
	return reads, true
}

// sourcesWithRules are bronze's tables with quality rules, as models.
func (p *Project) sourcesWithRules() []Model {
	var sources []Model
	for _, n := range sortedKeys(p.Resources.Sources) {
		if _, ok := p.Resources.Quality["bronze."+n]; ok {
			sources = append(sources, Model{Table: lakehouse.TableName{Schema: "bronze", Name: n}})
		}
	}
	return sources
}

// Position is where a path of the bundle ("resources.alerts.x.query_text")
// is written: its file, line and column (1-based; 0 when unknown).
func (p *Project) Position(path string) (file string, line, column int) {
	pos := p.position(path)
	return pos.file, pos.line, pos.column
}
