package pipeline

import "github.com/lakebench/lakebench/lakehouse"

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
// have quality rules, one node checking them after all the others. models
// come from Models, in build order; the nodes keep that order.
func (p *Project) Graph(models []Model) []GraphNode {
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
	// everything a rule may read.
	if len(p.sourcesWithRules()) > 0 {
		node := GraphNode{Key: "checks_sources", Kind: NodeQuality}
		for _, other := range nodes {
			node.DependsOn = append(node.DependsOn, other.Key)
		}
		nodes = append(nodes, node)
	}
	return nodes
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
