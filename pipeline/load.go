package pipeline

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// position is where a key or value is in a project file.
type position struct {
	file         string
	line, column int
}

// Diagnostics are every problem found in a project, each with its place.
type Diagnostics []*Error

// Unwrap lets errors.As find each *Error.
func (d Diagnostics) Unwrap() []error {
	out := make([]error, len(d))
	for i, e := range d {
		out[i] = e
	}
	return out
}

func (d Diagnostics) Error() string {
	msgs := make([]string, len(d))
	for i, e := range d {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// LoadOptions picks the target and overrides variables.
type LoadOptions struct {
	// Target is the target to resolve for; "" is the default target.
	Target string
	// Vars override variables (--var name=value).
	Vars map[string]string
	// Cache keeps the files' checked tree in the project's
	// .lakebench/project.cache, for the next load of the same files by
	// the same program (see loadcache.go).
	Cache bool
	// Settings, with Cache, loads only the bundle's settings (bundle,
	// variables, identities, permissions, compute, targets), without its
	// resources or presentation, for a command that needs no model, job
	// or dashboard (query). It applies only to a load from the cache of
	// files whose full load for the same target and variables resolved
	// without problems, so it never takes a project a full load refuses;
	// any other load is full.
	Settings bool
}

// Load reads dir/lakebench.yml and its includes and resolves them for the
// default target.
func Load(dir string) (*Project, error) { return LoadWith(dir, LoadOptions{}) }

// LoadWith reads dir/lakebench.yml and its includes, checks their shape
// (every unknown key, with a did-you-mean, at once), merges the target's
// overrides as Databricks Asset Bundles do (maps deeply, tasks by task_key)
// and substitutes ${var.name}, ${bundle.name} and ${bundle.target}.
func LoadWith(dir string, opts LoadOptions) (*Project, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, FileName)
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return nil, &Error{File: file, Message: "no project file here", Hint: "run `lakebench init` to create one, or pass -C DIR"}
	}
	p := &Project{Dir: dir, File: file, lines: map[string]position{}}
	if opts.Cache {
		if c, ok := readLoadCache(dir, file); ok {
			p.raw, p.lines = c.tree, c.lines
			resolved := c.resolvedFor(opts)
			err := p.resolve(opts, opts.Settings && resolved)
			if err == nil {
				if !resolved {
					c.resolved = append(c.resolved, resolveKey(opts))
					writeLoadCache(dir, file, c)
				}
				return p, nil
			}
			// The error is said as a load without the cache says it.
			p = &Project{Dir: dir, File: file, lines: map[string]position{}}
		}
	}
	var st loadState
	raw, err := p.readFile(file, &st)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		raw = map[string]any{}
	}
	includes, _ := raw["include"].([]any)
	for _, inc := range includes {
		pattern, _ := inc.(string)
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil || len(matches) == 0 {
			pos := p.lines["include"]
			st.diags = append(st.diags, &Error{File: file, Line: pos.line, Column: pos.column, Message: fmt.Sprintf("include %q matches no file", pattern), Hint: "fix the glob or remove it"})
			continue
		}
		sort.Strings(matches)
		for _, m := range matches {
			sub, err := p.readFile(m, &st)
			if err != nil {
				return nil, err
			}
			delete(sub, "include")
			merge(raw, sub)
		}
	}
	if targets, ok := raw["targets"].(map[string]any); ok {
		for _, name := range sortedKeys(targets) {
			if !ValidTargetName(name) {
				pos := p.position("targets." + name)
				st.diags = append(st.diags, &Error{File: pos.file, Line: pos.line, Column: pos.column,
					Message: fmt.Sprintf("target name %q is not a name: %s", name, targetNameRule), Hint: targetNameHint(name)})
			}
		}
	}
	if len(st.diags) > 0 {
		return nil, probe(st.diags, st.bodies)
	}
	p.raw = raw
	lines := p.lines
	if err := p.resolve(opts, false); err != nil {
		if diags := probe(nil, st.bodies); len(diags) > 0 {
			return nil, diags
		}
		return nil, err
	}
	if opts.Cache { // resolve keeps raw and lines as they are
		writeLoadCache(dir, file, &loadCache{files: st.files, lines: lines, tree: raw, resolved: []string{resolveKey(opts)}})
	}
	return p, nil
}

// loadState is what reading a project's files gathers besides the tree:
// problems, each file's document (for probe) and each file read (for the
// cache).
type loadState struct {
	diags  Diagnostics
	bodies []fileBody
	files  []cachedFile
}

// fileBody is a project file's first document, as parsed, and where its
// type error goes among the diagnostics (after the file's own).
type fileBody struct {
	file string
	body ast.Node
	at   int
}

// probe decodes each file's document as a Project on its own, for type
// errors (a list where a mapping belongs, text for a number) with their
// positions, and puts them among diags, each after its file's. A load
// probes only when it fails (the resolved tree's decode checks the same
// types, file by file merged): the probes are a third of a load's time,
// and every command loads the project.
func probe(diags Diagnostics, bodies []fileBody) Diagnostics {
	dec := yaml.NewDecoder(bytes.NewReader(nil))
	for i := len(bodies) - 1; i >= 0; i-- {
		b := bodies[i]
		var probe Project
		if err := safeDecode(dec, b.body, &probe); err != nil {
			diags = slices.Insert(diags, b.at, yamlError(b.file, err))
		}
	}
	return diags
}

// readFile parses one YAML file, checks its keys against the Project shape
// and returns it as a tree; its document and its digest are noted in st.
// Problems are appended to st.diags; only I/O errors are returned.
func (p *Project) readFile(file string, st *loadState) (map[string]any, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	st.files = append(st.files, cachedFile{path: file, sum: sha256.Sum256(data)})
	diags := &st.diags
	if e := checkFlowDepth(file, data); e != nil {
		*diags = append(*diags, e)
		return nil, nil
	}
	f, err := safeParse(data)
	if err != nil {
		*diags = append(*diags, yamlError(file, err))
		return nil, nil
	}
	if e := checkYAMLBounds(file, f); e != nil {
		*diags = append(*diags, e)
		return nil, nil
	}
	for _, doc := range f.Docs {
		if doc.Body != nil {
			p.checkNode(file, doc.Body, reflect.TypeOf(Project{}), "", diags)
		}
	}
	// The file's first document, decoded from the tree just parsed (as
	// yaml.Unmarshal decodes it, without reading the text again), as a
	// tree to merge.
	body := firstDocument(f)
	if body == nil {
		return nil, nil
	}
	raw, ok := plainTree(body)
	if !ok {
		// Anchors, tags, block scalars, odd keys: the library decodes them.
		if err := safeDecode(yaml.NewDecoder(bytes.NewReader(nil)), body, &raw); err != nil {
			*diags = append(*diags, yamlError(file, err))
			return nil, nil
		}
	}
	st.bodies = append(st.bodies, fileBody{file, body, len(*diags)})
	return raw, nil
}

// firstDocument is the body of the document yaml.Unmarshal would decode:
// the first one with a body.
func firstDocument(f *ast.File) ast.Node {
	for _, doc := range f.Docs {
		if doc.Body != nil {
			return doc.Body
		}
	}
	return nil
}

// plainTree is the mapping at n as yaml decodes it into map[string]any,
// for the nodes most files are made of (mappings with plain keys, lists,
// strings, numbers, booleans, nulls); ok is false for anything else, which
// the caller leaves to the library.
func plainTree(n ast.Node) (map[string]any, bool) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		return nil, false
	}
	v, ok := plainValue(m, 0)
	if !ok {
		return nil, false
	}
	return v.(map[string]any), true
}

func plainValue(n ast.Node, depth int) (any, bool) {
	if depth > maxYAMLDepth {
		return nil, false
	}
	switch x := n.(type) {
	case *ast.NullNode:
		return nil, true
	case *ast.StringNode:
		return x.Value, true
	case *ast.IntegerNode:
		return x.Value, x.Value != nil
	case *ast.FloatNode:
		return x.Value, true
	case *ast.BoolNode:
		return x.Value, true
	case *ast.MappingNode:
		out := make(map[string]any, len(x.Values))
		for _, kv := range x.Values {
			k, ok := kv.Key.(*ast.StringNode)
			if !ok || kv.Key.IsMergeKey() {
				return nil, false
			}
			if _, dup := out[k.Value]; dup {
				return nil, false
			}
			v, ok := plainValue(kv.Value, depth+1)
			if !ok {
				return nil, false
			}
			out[k.Value] = v
		}
		return out, true
	case *ast.SequenceNode:
		out := make([]any, len(x.Values))
		for i, e := range x.Values {
			v, ok := plainValue(e, depth+1)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	}
	return nil, false
}

// safeDecode decodes a parsed YAML node into v, turning a panic of the
// YAML library into an error (see safeParse).
func safeDecode(dec *yaml.Decoder, n ast.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot read this YAML (%v); check indentation, quotes and tags", r)
		}
	}()
	return dec.DecodeFromNode(n, v)
}

func safeMarshal(v any) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot write this YAML back (%v)", r)
		}
	}()
	return yaml.Marshal(v)
}

// safeToNode turns a tree (as decoded into map[string]any) into YAML nodes
// with the same values, a panic of the YAML library into an error. Scalars
// become nodes directly, not text to scan again; a value of another kind
// (a tagged timestamp or binary) goes through the library's encoder.
func safeToNode(v any) (n ast.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot write this YAML back (%v)", r)
		}
	}()
	return treeNode(v)
}

func treeNode(v any) (ast.Node, error) {
	tok := func(t token.Type, text string) *token.Token {
		return &token.Token{Type: t, Value: text, Origin: text, Position: &token.Position{}}
	}
	switch x := v.(type) {
	case nil:
		return &ast.NullNode{BaseNode: &ast.BaseNode{}, Token: tok(token.NullType, "null")}, nil
	case string:
		return &ast.StringNode{BaseNode: &ast.BaseNode{}, Token: tok(token.StringType, x), Value: x}, nil
	case bool:
		return &ast.BoolNode{BaseNode: &ast.BaseNode{}, Token: tok(token.BoolType, strconv.FormatBool(x)), Value: x}, nil
	case uint64:
		return &ast.IntegerNode{BaseNode: &ast.BaseNode{}, Token: tok(token.IntegerType, strconv.FormatUint(x, 10)), Value: x}, nil
	case int64:
		return &ast.IntegerNode{BaseNode: &ast.BaseNode{}, Token: tok(token.IntegerType, strconv.FormatInt(x, 10)), Value: x}, nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return &ast.FloatNode{BaseNode: &ast.BaseNode{}, Token: tok(token.FloatType, strconv.FormatFloat(x, 'g', -1, 64)), Value: x}, nil
		}
	case map[string]any:
		m := ast.Mapping(tok(token.MappingStartType, "{"), true)
		for _, k := range sortedKeys(x) {
			val, err := treeNode(x[k])
			if err != nil {
				return nil, err
			}
			key := &ast.StringNode{BaseNode: &ast.BaseNode{}, Token: tok(token.StringType, k), Value: k}
			m.Values = append(m.Values, ast.MappingValue(tok(token.MappingValueType, ":"), key, val))
		}
		return m, nil
	case []any:
		seq := ast.Sequence(tok(token.SequenceStartType, "["), true)
		for _, e := range x {
			n, err := treeNode(e)
			if err != nil {
				return nil, err
			}
			seq.Values = append(seq.Values, n)
		}
		return seq, nil
	}
	return yaml.ValueToNode(v)
}

// safeParse and safeUnmarshal turn a panic of the YAML library on odd
// input (the fuzzer found some) into an error.
func safeParse(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot read this YAML (%v); check indentation, quotes and tags", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

func safeUnmarshal(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot read this YAML (%v); check indentation, quotes and tags", r)
		}
	}()
	return yaml.Unmarshal(data, v)
}

// checkNode compares a YAML node with the Go type it decodes into, records
// where each key is, and reports unknown keys with a suggestion.
func (p *Project) checkNode(file string, n ast.Node, t reflect.Type, path string, diags *Diagnostics) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := n.(type) {
	case *ast.AnchorNode:
		p.checkNode(file, x.Value, t, path, diags)
		return
	case *ast.TagNode:
		p.checkNode(file, x.Value, t, path, diags)
		return
	case *ast.AliasNode:
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := n.(*ast.MappingNode)
		if _, short := n.(*ast.StringNode); short && t == reflect.TypeOf(QualityCheck{}) {
			return // the short form: check: is_not_null
		}
		if !ok {
			if _, isNull := n.(*ast.NullNode); !isNull {
				*diags = append(*diags, nodeError(file, n, fmt.Sprintf("%s should be a mapping (key: value)", describePath(path)), ""))
			}
			return
		}
		fields := yamlFields(t)
		for _, kv := range m.Values {
			key := kv.Key.String()
			sub := joinPath(path, key)
			tok := kv.Key.GetToken()
			p.lines[sub] = position{file: file, line: tok.Position.Line, column: tok.Position.Column}
			ft, ok := fields[key]
			if !ok {
				names := make([]string, 0, len(fields))
				for n := range fields {
					names = append(names, n)
				}
				hint := "remove it, or see `lakebench bundle schema` for the keys allowed here"
				if s := suggest(key, names); s != "" {
					hint = "did you mean " + s + "?"
				}
				if t == reflect.TypeOf(Alert{}) && key == "aggregation" {
					hint = "the short form (column, op, threshold) compares the first row's value; to aggregate, write " +
						"evaluation: {source: {name: COLUMN, aggregation: MAX}, comparison_operator: GREATER_THAN, threshold: {value: {double_value: N}}}"
				}
				*diags = append(*diags, nodeError(file, kv.Key, fmt.Sprintf("unknown key %q in %s", key, describePath(path)), hint))
				continue
			}
			p.checkNode(file, kv.Value, ft, sub, diags)
		}
	case reflect.Map:
		m, ok := n.(*ast.MappingNode)
		if !ok {
			if _, isNull := n.(*ast.NullNode); !isNull {
				*diags = append(*diags, nodeError(file, n, fmt.Sprintf("%s should be a mapping of names", describePath(path)), ""))
			}
			return
		}
		for _, kv := range m.Values {
			sub := joinPath(path, kv.Key.String())
			tok := kv.Key.GetToken()
			p.lines[sub] = position{file: file, line: tok.Position.Line, column: tok.Position.Column}
			p.checkNode(file, kv.Value, t.Elem(), sub, diags)
		}
	case reflect.Slice:
		s, ok := n.(*ast.SequenceNode)
		if !ok {
			if _, isNull := n.(*ast.NullNode); !isNull {
				*diags = append(*diags, nodeError(file, n, fmt.Sprintf("%s should be a list", describePath(path)), "write it as [a, b] or as lines starting with -"))
			}
			return
		}
		for i, v := range s.Values {
			sub := fmt.Sprintf("%s[%d]", path, i)
			tok := v.GetToken()
			p.lines[sub] = position{file: file, line: tok.Position.Line, column: tok.Position.Column}
			p.checkNode(file, v, t.Elem(), sub, diags)
		}
	}
}

// yamlFields maps a struct's yaml keys to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out[name] = f.Type
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describePath(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func nodeError(file string, n ast.Node, msg, hint string) *Error {
	e := &Error{File: file, Message: msg, Hint: hint}
	if tok := n.GetToken(); tok != nil {
		e.Line, e.Column = tok.Position.Line, tok.Position.Column
	}
	return e
}

// yamlError turns a YAML error into an *Error with its position.
func yamlError(file string, err error) *Error {
	var pe interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &pe) && pe.GetToken() != nil {
		pos := pe.GetToken().Position
		return &Error{File: file, Line: pos.Line, Column: pos.Column, Message: typeMessage(pe.GetMessage()),
			Hint: "see the sample project (lakebench init) for the file's shape"}
	}
	return &Error{File: file, Message: err.Error()}
}

// unmarshalType matches go-yaml's "cannot unmarshal []interface {} into
// Go struct field Project.Resources of type string", which names Go's
// types and the outermost struct's field, not the key the user wrote.
var unmarshalType = regexp.MustCompile(`^cannot unmarshal (.+?) into Go (?:struct field \S+|value) of type (.+)$`)

// typeMessage says a YAML value of the wrong shape in the file's words
// ("a list where text belongs"): the position says which key.
func typeMessage(msg string) string {
	m := unmarshalType.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	return yamlShape(m[1]) + " where " + yamlShape(m[2]) + " belongs"
}

// yamlShape names a Go type as the shape of a YAML value.
func yamlShape(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "pipeline."), strings.HasPrefix(goType, "struct"):
		return "a mapping (key: value)"
	case goType == "string":
		return "text"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "a " + goType + " value"
}

// suggest returns the candidate closest to s when it is close enough to be
// a likely typo: at most one edit per three letters (a swap of two letters
// counts as one).
func suggest(s string, candidates []string) string {
	best, bestD := "", max(1, (len(s)+1)/3)+1
	candidates = slices.Sorted(slices.Values(candidates)) // a copy: callers' lists keep their order
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and adjacent swaps.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// merge merges src into dst as bundles merge overrides: mappings key by key,
// lists of tasks by task_key; anything else in src replaces dst.
func merge(dst, src map[string]any) {
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok {
			dst[k] = sv
			continue
		}
		switch s := sv.(type) {
		case map[string]any:
			if d, ok := dv.(map[string]any); ok {
				merge(d, s)
				continue
			}
		case []any:
			if d, ok := dv.([]any); ok && keyedBy(s, "task_key") && keyedBy(d, "task_key") {
				dst[k] = mergeByKey(d, s, "task_key")
				continue
			}
		}
		dst[k] = sv
	}
}

func keyedBy(list []any, key string) bool {
	if len(list) == 0 {
		return false
	}
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok || m[key] == nil {
			return false
		}
	}
	return true
}

func mergeByKey(dst, src []any, key string) []any {
	out := append([]any(nil), dst...)
	for _, sv := range src {
		s := sv.(map[string]any)
		found := false
		for _, dv := range out {
			d := dv.(map[string]any)
			if fmt.Sprint(d[key]) == fmt.Sprint(s[key]) {
				merge(d, s)
				found = true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}

// deepCopy copies a YAML tree.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

var refPattern = regexp.MustCompile(`\$\{([a-zA-Z0-9_.\-]+)\}`)

// nonSettings are the top-level keys a settings-only load leaves out (see
// LoadOptions.Settings): most of a bundle, and nothing that says who may
// act, where the target is or what it may use.
var nonSettings = []string{"resources", "presentation"}

// resolve applies the target and variables to the raw tree and decodes it;
// settingsOnly leaves the nonSettings out.
func (p *Project) resolve(opts LoadOptions, settingsOnly bool) error {
	raw := p.raw
	if settingsOnly {
		raw = maps.Clone(raw)
		for _, k := range nonSettings {
			delete(raw, k)
		}
	}
	tree := deepCopy(raw).(map[string]any)
	targets, _ := tree["targets"].(map[string]any)
	if settingsOnly {
		for _, t := range targets {
			if t, ok := t.(map[string]any); ok {
				delete(t, "resources")
			}
		}
	}
	target := opts.Target
	if target != "" && !ValidTargetName(target) {
		return &Error{File: p.File, Message: fmt.Sprintf("-t %q is not a target name: %s", target, targetNameRule), Hint: targetNameHint(target)}
	}
	if target == "" {
		target = "dev"
		names := make([]string, 0, len(targets))
		for n := range targets {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if t, _ := targets[n].(map[string]any); t != nil && t["default"] == true {
				target = n
				break
			}
		}
	}
	t, ok := targets[target].(map[string]any)
	if !ok && len(targets) > 0 {
		names := make([]string, 0, len(targets))
		for n := range targets {
			names = append(names, n)
		}
		sort.Strings(names)
		return &Error{File: p.File, Message: fmt.Sprintf("unknown target %q", target), Hint: "targets here: " + strings.Join(names, ", ")}
	}
	// The target's overrides, as DAB merges them.
	vars := map[string]any{}
	if vs, ok := tree["variables"].(map[string]any); ok {
		for name, v := range vs {
			if m, ok := v.(map[string]any); ok {
				vars[name] = m["default"]
			}
		}
	}
	if t != nil {
		if r, ok := t["resources"].(map[string]any); ok {
			base, _ := tree["resources"].(map[string]any)
			if base == nil {
				base = map[string]any{}
				tree["resources"] = base
			}
			merge(base, r)
		}
		for _, k := range []string{"run_as", "permissions"} {
			if v, ok := t[k]; ok {
				tree[k] = v
			}
		}
		if tv, ok := t["variables"].(map[string]any); ok {
			for name, v := range tv {
				vars[name] = v
			}
		}
	}
	for _, name := range sortedKeys(opts.Vars) {
		if _, ok := vars[name]; !ok {
			names := sortedKeys(vars)
			hint := "variables defined: " + strings.Join(names, ", ") + suggestHint(name, names)
			if len(names) == 0 {
				hint = "the bundle defines no variables"
			}
			return Diagnostics{&Error{File: p.File, Message: fmt.Sprintf("--var %s: the bundle defines no variable %q", name, name),
				Hint: hint + "; define it under variables: in " + filepath.Base(p.File) + " or drop the --var"}}
		}
		vars[name] = opts.Vars[name]
	}
	bundleName := ""
	if b, ok := tree["bundle"].(map[string]any); ok {
		bundleName, _ = b["name"].(string)
	}
	var diags Diagnostics
	tree = substitute(tree, "", func(ref, path string) (string, bool) {
		switch {
		case ref == "bundle.target":
			return target, true
		case ref == "bundle.name":
			return bundleName, true
		case strings.HasPrefix(ref, "var."):
			v, ok := vars[strings.TrimPrefix(ref, "var.")]
			if !ok || v == nil {
				pos := p.position(path)
				diags = append(diags, &Error{File: pos.file, Line: pos.line, Column: pos.column,
					Message: fmt.Sprintf("variable %q is not defined", strings.TrimPrefix(ref, "var.")),
					Hint:    "define it under variables with a default, or pass --var " + strings.TrimPrefix(ref, "var.") + "=VALUE"})
				return "", false
			}
			return fmt.Sprint(v), true
		}
		return "", false
	}).(map[string]any)
	if len(diags) > 0 {
		return diags
	}
	// The resolved tree becomes a Project through YAML's own nodes (the
	// decoder's rules, custom decoders included), not through text.
	var out Project
	n, err := safeToNode(tree)
	if err == nil {
		err = safeDecode(yaml.NewDecoder(bytes.NewReader(nil)), n, &out)
	}
	if err != nil {
		return &Error{File: p.File, Message: "after applying target " + target + ": " + err.Error()}
	}
	out.Dir, out.File, out.Target, out.raw, out.lines = p.Dir, p.File, target, p.raw, p.lines
	out.vars = vars
	if len(opts.Vars) > 0 {
		out.cliVars = maps.Clone(opts.Vars)
	}
	*p = out
	return nil
}

// substitute replaces ${...} references in every string of a tree.
func substitute(v any, path string, lookup func(ref, path string) (string, bool)) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = substitute(e, joinPath(path, k), lookup)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = substitute(e, fmt.Sprintf("%s[%d]", path, i), lookup)
		}
		return x
	case string:
		return refPattern.ReplaceAllStringFunc(x, func(m string) string {
			if r, ok := lookup(m[2:len(m)-1], path); ok {
				return r
			}
			return m
		})
	}
	return v
}

// position is where a path of the file is, or the file itself.
func (p *Project) position(path string) position {
	for path != "" {
		if pos, ok := p.lines[path]; ok {
			return pos
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return position{file: p.File}
}

// errorAt builds an *Error placed at a path of the project file.
func (p *Project) errorAt(path, msg, hint string) *Error {
	pos := p.position(path)
	return &Error{File: pos.file, Line: pos.line, Column: pos.column, Message: msg, Hint: hint}
}

// Substitute replaces ${var.name} and ${bundle.*} in text (model SQL).
func (p *Project) Substitute(text string) string {
	return refPattern.ReplaceAllStringFunc(text, func(m string) string {
		ref := m[2 : len(m)-1]
		switch {
		case ref == "bundle.target":
			return p.Target
		case ref == "bundle.name":
			return p.Bundle.Name
		case strings.HasPrefix(ref, "var."):
			if v, ok := p.vars[strings.TrimPrefix(ref, "var.")]; ok && v != nil {
				return fmt.Sprint(v)
			}
		}
		return m
	})
}
