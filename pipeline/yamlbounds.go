package pipeline

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// A project file is small; YAML lets a small file describe a huge value.
// Aliases multiply (the "billion laughs": nine aliases of nine aliases of
// ... grow 445 bytes to gigabytes when decoded), and nested flow
// collections ("[[[[...") make the parser and the decoder recurse once per
// level. Both are bounded before the file is decoded.
const (
	// maxYAMLDepth bounds the nesting of collections.
	maxYAMLDepth = 100
	// maxYAMLNodes bounds the values of a file once its aliases are expanded.
	maxYAMLNodes = 100_000
)

// checkFlowDepth bounds the nesting of flow collections ([ and {) by a scan
// of the bytes, before the parser sees them: the parser recurses once per
// level. Quoted text and comments are skipped; a quote or a comment only
// runs to the end of its line here, so an odd quote in a block scalar
// cannot hide what follows.
func checkFlowDepth(file string, data []byte) *Error {
	depth, line, col := 0, 1, 0
	var quote byte
	prev := byte('\n')
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		if c == '\n' {
			line, col, quote, prev = line+1, 0, 0, '\n'
			continue
		}
		switch {
		case quote == '"' && c == '\\':
			i++ // an escaped character
			col++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '#' && (prev == ' ' || prev == '\t' || prev == '\n'):
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case (c == '\'' || c == '"') && isScalarStart(prev):
			quote = c
		case c == '[' || c == '{':
			depth++
			if depth > maxYAMLDepth {
				return &Error{File: file, Line: line, Column: col,
					Message: fmt.Sprintf("collections are nested more than %d deep here", maxYAMLDepth),
					Hint:    "a project file needs a few levels: flatten this value, or quote it if it is text"}
			}
		case c == ']' || c == '}':
			depth = max(0, depth-1)
		}
		prev = c
	}
	return nil
}

// isScalarStart reports whether a quote after c opens a quoted scalar.
func isScalarStart(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '[', '{', ',', ':', '-', '?':
		return true
	}
	return false
}

// checkYAMLBounds bounds the parsed file: the nesting depth of its nodes
// and how many values it holds once every alias is expanded.
func checkYAMLBounds(file string, f *ast.File) *Error {
	b := boundsWalker{file: file, anchors: map[string]int64{}}
	for _, doc := range f.Docs {
		if doc.Body == nil {
			continue
		}
		n := b.size(doc.Body, 0)
		if b.err != nil {
			return b.err
		}
		b.total += n
		if b.total > maxYAMLNodes {
			return b.tooMany(doc.Body)
		}
	}
	return nil
}

type boundsWalker struct {
	file    string
	anchors map[string]int64 // each anchor's expanded size, as last defined
	total   int64
	err     *Error
}

// size is the number of values n stands for once its aliases are
// expanded, saturating above maxYAMLNodes; it sets err on the first node
// past a bound.
func (b *boundsWalker) size(n ast.Node, depth int) int64 {
	if n == nil || b.err != nil {
		return 0
	}
	if depth > maxYAMLDepth {
		b.err = nodeError(b.file, n, fmt.Sprintf("values are nested more than %d deep here", maxYAMLDepth),
			"a project file needs a few levels; flatten this value")
		return 0
	}
	var s int64 = 1
	add := func(m ast.Node) {
		s += b.size(m, depth+1)
		if s > maxYAMLNodes && b.err == nil {
			b.err = b.tooMany(m)
		}
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		return b.size(x.Body, depth)
	case *ast.TagNode:
		return b.size(x.Value, depth)
	case *ast.AnchorNode:
		v := b.size(x.Value, depth)
		if x.Name != nil {
			b.anchors[x.Name.String()] = v
		}
		return v
	case *ast.AliasNode:
		if x.Value != nil {
			if v, ok := b.anchors[x.Value.String()]; ok {
				return v
			}
		}
		return 1
	case *ast.MappingNode:
		for _, kv := range x.Values {
			add(kv)
		}
	case *ast.MappingValueNode:
		add(x.Key)
		add(x.Value)
		return s - 1 // a key and its value are the pair
	case *ast.MappingKeyNode:
		return b.size(x.Value, depth)
	case *ast.SequenceNode:
		for _, v := range x.Values {
			add(v)
		}
	}
	return s
}

func (b *boundsWalker) tooMany(n ast.Node) *Error {
	return nodeError(b.file, n, fmt.Sprintf("this file stands for more than %d values once its aliases (*name) are expanded", maxYAMLNodes),
		"aliases of aliases multiply, as in a YAML bomb: write the values out or use fewer aliases")
}
