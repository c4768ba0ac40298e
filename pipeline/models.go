package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lakebench/lakebench/lakehouse"
)

// Model is one SQL model file: a single SELECT whose path names the table it
// builds (sql/gold/daily_revenue.sql builds gold.daily_revenue).
type Model struct {
	Table lakehouse.TableName
	// Path is the file, relative to the project directory.
	Path string
	SQL  string
	// Reads are the tables the SELECT reads, from DuckDB's parser.
	Reads []lakehouse.TableName
	// Text is the file as written (variables substituted), with its
	// STREAM(schema.table) inputs; SQL is the SELECT a full refresh runs,
	// each STREAM(x) replaced by x.
	Text string
	// Streams are the STREAM() inputs, in the order of the text.
	Streams []Stream
}

// Stream is one STREAM(schema.table) of a model's text: an input an
// incremental_by_batch model reads only the new rows of (as in Delta Live
// Tables).
type Stream struct {
	Table lakehouse.TableName
	// Line and Column locate it in the model file.
	Line, Column int
	start, end   int  // the byte span of STREAM(...) in Text
	alias        bool // an alias follows it in the text
}

// streamPattern is STREAM( schema.table ), quoted names allowed.
var streamPattern = regexp.MustCompile(`(?i)\bstream\s*\(\s*("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s*\.\s*("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s*\)`)

// notAlias are the words that may follow a table in FROM without being its
// alias.
var notAlias = map[string]bool{"where": true, "join": true, "left": true, "right": true, "inner": true, "full": true, "cross": true,
	"natural": true, "positional": true, "asof": true, "anti": true, "semi": true, "on": true, "using": true, "group": true,
	"order": true, "limit": true, "offset": true, "union": true, "except": true, "intersect": true, "window": true,
	"qualify": true, "having": true, "outer": true, "lateral": true, "tablesample": true, "using_sample": true}

// findStreams finds the STREAM() inputs of a model's text, outside its
// comments and string literals.
func findStreams(text string) []Stream {
	masked := maskSQL(text)
	var out []Stream
	for _, loc := range streamPattern.FindAllStringSubmatchIndex(masked, -1) {
		t := lakehouse.TableName{Schema: unquoteIdent(text[loc[2]:loc[3]]), Name: unquoteIdent(text[loc[4]:loc[5]])}
		line, col := offsetPosition(text, loc[0])
		st := Stream{Table: t, Line: line, Column: col, start: loc[0], end: loc[1]}
		rest := strings.TrimLeft(masked[loc[1]:], " \t\r\n")
		word := rest
		if i := strings.IndexFunc(rest, func(r rune) bool { return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }); i >= 0 {
			word = rest[:i]
		}
		st.alias = strings.HasPrefix(rest, `"`) || (word != "" && !notAlias[strings.ToLower(word)])
		out = append(out, st)
	}
	return out
}

func unquoteIdent(s string) string {
	if strings.HasPrefix(s, `"`) {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}

// maskSQL blanks out comments and string literals (plain, E-strings with
// backslash escapes, and dollar-quoted), keeping the length and the line
// breaks, and fills quoted identifiers with x between their quotes, so a
// pattern found in what is left is SQL and a quoted name still reads as
// one (its text is taken from the original).
func maskSQL(text string) string {
	b := []byte(text)
	blank := func(from, to int) {
		for k := from; k < to && k < len(b); k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
	}
	identByte := func(c byte) bool {
		return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '-' && i+1 < len(b) && b[i+1] == '-':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			j := strings.Index(text[i+2:], "*/")
			end := len(b)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			blank(i, end)
			i = end - 1
		case b[i] == '"':
			end := len(b)
			for j := i + 1; j < len(b); j++ {
				if b[j] == '"' {
					if j+1 < len(b) && b[j+1] == '"' {
						j++
						continue
					}
					end = j
					break
				}
			}
			for k := i + 1; k < end; k++ {
				if b[k] != '\n' {
					b[k] = 'x'
				}
			}
			i = end
		case b[i] == '$' && (i == 0 || !identByte(b[i-1])):
			// $tag$ ... $tag$, the tag empty or an identifier.
			j := i + 1
			for j < len(b) && (b[j] == '_' || b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || j > i+1 && b[j] >= '0' && b[j] <= '9') {
				j++
			}
			if j >= len(b) || b[j] != '$' {
				continue
			}
			tag := text[i : j+1]
			end := len(b)
			if k := strings.Index(text[j+1:], tag); k >= 0 {
				end = j + 1 + k + len(tag)
			}
			blank(i, end)
			i = end - 1
		case b[i] == '\'':
			escapes := i > 0 && (b[i-1] == 'e' || b[i-1] == 'E') && (i < 2 || !identByte(b[i-2]))
			b[i] = ' '
			for i++; i < len(b); i++ {
				if escapes && b[i] == '\\' && i+1 < len(b) {
					blank(i, i+2)
					i++
					continue
				}
				if b[i] == '\'' {
					if i+1 < len(b) && b[i+1] == '\'' {
						b[i], b[i+1] = ' ', ' '
						i++
						continue
					}
					b[i] = ' '
					break
				}
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
		}
	}
	return string(b)
}

// incrementalPattern is is_incremental(), as dbt's: true in the SELECT an
// incremental run builds, false in a full build's.
var incrementalPattern = regexp.MustCompile(`(?i)\bis_incremental\s*\(\s*\)`)

// render returns the model's text as an incremental run builds it: each
// STREAM(x) replaced by what relation returns for x (a table name or a
// parenthesized SELECT, which gets x's name as alias when the text gives
// none), and is_incremental() by true.
func (m Model) render(relation func(lakehouse.TableName) string) string {
	return m.renderAs(relation, true)
}

// renderAs renders the text with is_incremental() as incremental says.
func (m Model) renderAs(relation func(lakehouse.TableName) string, incremental bool) string {
	type span struct {
		start, end int
		text       string
		alias      bool
	}
	var spans []span
	for _, s := range m.Streams {
		spans = append(spans, span{s.start, s.end, relation(s.Table), s.alias})
		if last := &spans[len(spans)-1]; strings.HasPrefix(last.text, "(") && !s.alias {
			last.text += " AS " + lakehouse.QuoteIdent(s.Table.Name)
		}
	}
	for _, loc := range incrementalPattern.FindAllStringIndex(maskSQL(m.Text), -1) {
		spans = append(spans, span{start: loc[0], end: loc[1], text: strconv.FormatBool(incremental)})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.WriteString(m.Text[last:s.start])
		b.WriteString(s.text)
		last = s.end
	}
	b.WriteString(m.Text[last:])
	return b.String()
}

// sqlParser is what model discovery needs of a lakehouse.
type sqlParser interface {
	TableRefs(ctx context.Context, selectSQL string) ([]lakehouse.TableName, error)
	NormalizeType(ctx context.Context, t string) (string, error)
}

// Models finds the project's model files, parses each one and returns them
// in build order: every model after the models it reads.
func (p *Project) Models(ctx context.Context, lh sqlParser) ([]Model, error) {
	models, errs := p.readModels(ctx, lh)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return orderModels(models)
}

// readModels reads every model file, parsing each; a file that fails is
// an error, and its model is still returned (with no reads) when its path
// names a table, so validation does not call that table unknown too.
func (p *Project) readModels(ctx context.Context, lh sqlParser) ([]Model, []error) {
	var models []Model
	var errs []error
	seen := map[string]string{}
	for _, pattern := range p.Resources.Transforms {
		matches, err := filepath.Glob(filepath.Join(p.Dir, pattern))
		if err != nil {
			errs = append(errs, &Error{File: p.File, Message: fmt.Sprintf("bad glob %q in resources.transforms: %v", pattern, err)})
			continue
		}
		sort.Strings(matches)
		for _, path := range matches {
			rel, _ := filepath.Rel(p.Dir, path)
			m, err := p.readModel(ctx, lh, path, rel)
			if err != nil {
				errs = append(errs, err)
				if m.Table.Name == "" {
					continue
				}
			}
			if prev, dup := seen[m.Table.String()]; dup {
				if prev != rel {
					errs = append(errs, &Error{File: path, Message: fmt.Sprintf("%s is also built by %s", m.Table, prev), Hint: "each table has one model file"})
				}
				continue
			}
			seen[m.Table.String()] = rel
			models = append(models, m)
		}
	}
	return models, errs
}

func (p *Project) readModel(ctx context.Context, lh sqlParser, path, rel string) (Model, error) {
	schema := filepath.Base(filepath.Dir(path))
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	data, err := os.ReadFile(path)
	if err != nil {
		return Model{}, fmt.Errorf("pipeline: %w", err)
	}
	m := Model{Table: lakehouse.TableName{Schema: strings.ToLower(schema), Name: strings.ToLower(name)}, Path: rel, Text: p.Substitute(string(data))}
	m.Streams = findStreams(m.Text)
	m.SQL = m.renderAs(func(t lakehouse.TableName) string { return t.SQL() }, false)
	// A dot in the name makes "gold.a.b", which reads back as no table:
	// the model built, then the run's health step failed, every run.
	if strings.Contains(m.Table.Schema, ".") || strings.Contains(m.Table.Name, ".") {
		return Model{}, &Error{File: path, Line: 1, Column: 1, Message: fmt.Sprintf("a model's table is named by its directory and file: %q.%q has a dot in a name", m.Table.Schema, m.Table.Name),
			Hint: "rename it without dots, for example sql/" + strings.ReplaceAll(m.Table.Schema, ".", "_") + "/" + strings.ReplaceAll(m.Table.Name, ".", "_") + ".sql"}
	}
	if lakehouse.InternalSchema(m.Table.Schema) {
		return Model{}, &Error{File: path, Line: 1, Column: 1, Message: fmt.Sprintf("a model cannot build %s: schema %s is lakebench's own", m.Table, m.Table.Schema),
			Hint: "put the file under sql/silver, sql/gold or sql/ml: " + lakehouse.InternalSchemaHint}
	}
	refs, err := lh.TableRefs(ctx, m.SQL)
	var pe *lakehouse.ParseError
	if errors.As(err, &pe) {
		line, col := 1, 1
		if pe.Position >= 0 && pe.Position <= len(m.SQL) {
			// At the end of input, point just past the last word.
			line, col = offsetPosition(m.SQL, min(pe.Position, len(strings.TrimRight(m.SQL, " \t\r\n;"))))
		}
		return m, &Error{File: path, Line: line, Column: col, Message: pe.Message, Hint: "a model is one SELECT statement (CTEs allowed)"}
	}
	if err != nil {
		return Model{}, err
	}
	for _, r := range refs {
		if r.Schema == "" {
			return m, &Error{File: path, Message: fmt.Sprintf("table %q has no schema", r.Name), Hint: "name tables as schema.table, for example silver." + r.Name}
		}
	}
	m.Reads = refs
	return m, nil
}

// orderModels sorts models so each comes after those it reads (Kahn's
// algorithm, ties by name); a cycle is an error that spells it out.
func orderModels(models []Model) ([]Model, error) {
	byTable := map[string]int{}
	for i, m := range models {
		byTable[m.Table.String()] = i
	}
	indeg := make([]int, len(models))
	users := make([][]int, len(models))
	for i, m := range models {
		for _, r := range m.Reads {
			if j, ok := byTable[r.String()]; ok && j != i {
				indeg[i]++
				users[j] = append(users[j], i)
			} else if ok && j == i {
				return nil, &Error{File: m.Path, Message: fmt.Sprintf("%s reads itself", m.Table), Hint: "a model cannot select from the table it builds"}
			}
		}
	}
	var ready []int
	for i := range models {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	var out []Model
	for len(ready) > 0 {
		sort.Slice(ready, func(a, b int) bool { return models[ready[a]].Table.String() < models[ready[b]].Table.String() })
		i := ready[0]
		ready = ready[1:]
		out = append(out, models[i])
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(out) < len(models) {
		return nil, cycleError(models, byTable, indeg)
	}
	return out, nil
}

func cycleError(models []Model, byTable map[string]int, indeg []int) error {
	// Walk from any model left in the cycle along its unbuilt inputs until a
	// model repeats.
	start := -1
	for i, d := range indeg {
		if d > 0 {
			start = i
			break
		}
	}
	pos := map[int]int{}
	var path []string
	for i := start; ; {
		if at, ok := pos[i]; ok {
			path = append(path[at:], models[i].Table.String())
			break
		}
		pos[i] = len(path)
		path = append(path, models[i].Table.String())
		for _, r := range models[i].Reads {
			if j, ok := byTable[r.String()]; ok && indeg[j] > 0 {
				i = j
				break
			}
		}
	}
	return &Error{File: models[start].Path, Message: "models read each other in a cycle: " + strings.Join(path, " reads "), Hint: "break the cycle by moving shared logic into its own model"}
}

// build is how one run builds a model: the SELECT it runs, how the rows
// land, and what it records.
type build struct {
	sql         string
	mat         lakehouse.Materialization
	fingerprint string
	inputs      string                   // a full model's inputs' stamp (see unchangedInputs), recorded
	streams     []lakehouse.StreamSource // recorded as processed (models that stream)
	note        string                   // for the task's detail
	skip        bool                     // nothing new: the table stays as it is
	consumers   []consumer               // the time models that trace this build's changes (mat.Trace)
	warnings    []string                 // for the run's output and the task's detail
	// An incremental_by_time build replaces the rows of timeColumn from
	// from on in the table whose stamp was since (lakehouse.BuildRecord).
	since, timeColumn, from string
	// An in-place build that merges or appends traces the earliest day
	// it changes of the health day column healthColumn (traceHealthDays):
	// healthExpr is 1 + its index in mat.Trace.Exprs (0 for none), and
	// healthSince the table's stamp before the build.
	healthExpr                int
	healthColumn, healthSince string
}

// record is what RecordBuild records of b.
func (b build) record() lakehouse.BuildRecord {
	r := lakehouse.BuildRecord{Fingerprint: b.fingerprint, Inputs: b.inputs, Since: b.since, TimeColumn: b.timeColumn, From: b.from}
	if col, from, ok := b.healthDays(); ok {
		r.Since, r.TimeColumn, r.From = b.healthSince, col, from
	}
	return r
}

// fingerprint hashes what decides a model's rows: its text, its kind's
// settings and its quality rules. A change means the table must be rebuilt.
func fingerprint(m Model, s ModelSettings, rules []lakehouse.Rule) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%q\x00%s\x00%s", m.Text, s.KindName(), s.UniqueKey, s.TimeColumn, s.Lookback)
	if len(s.TimeInputs) > 0 || len(s.Dimensions) > 0 {
		// How late rows are traced decides which days a run recomputes.
		fmt.Fprintf(h, "\x00%q\x00%q", sortedKeys(s.TimeInputs), slices.Sorted(slices.Values(s.Dimensions)))
		for _, k := range sortedKeys(s.TimeInputs) {
			fmt.Fprintf(h, "\x00%s", s.TimeInputs[k])
		}
	}
	for _, r := range rules {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", r.Name, r.Expression, r.Criticality, r.Fail, r.Filter, r.Message)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// upstreamFingerprint folds into own the fingerprints of every model m
// reads, directly or not: a model whose input's SQL changed is rebuilt in
// full, as that input is, else its rows outside the new rows or the
// lookback would keep the old SQL's results (SQLMesh's indirect change).
func (p *Project) upstreamFingerprint(own string, m Model, all []Model) string {
	seen := map[string]bool{}
	var ups []string
	var walk func(Model)
	walk = func(m Model) {
		for _, r := range m.Reads {
			i := slices.IndexFunc(all, func(o Model) bool { return o.Table == r })
			if i < 0 || seen[r.String()] {
				continue
			}
			seen[r.String()] = true
			rules, _ := p.Rules(r.String()) // a bad rule fails that model's own build
			ups = append(ups, r.String()+"="+fingerprint(all[i], p.Resources.Models[r.String()], rules))
			walk(all[i])
		}
	}
	walk(m)
	if len(ups) == 0 {
		return own
	}
	slices.Sort(ups)
	return fingerprint(Model{Text: own + "\x00" + strings.Join(ups, "\x00")}, ModelSettings{}, nil)
}

// streamSources resolves the STREAM() inputs of m, a model that reads
// only new rows (incremental_by_batch or incremental_by_unique_key): an
// ingested source's bronze table streams the files loaded into it; a model
// of kind incremental_by_batch (all is every model) streams through to its
// own inputs, the files it has processed. It returns what each streamed
// table reads (by its name) and every source once, and refuses two
// streams over the same ingested table, whose processed files would be
// one record.
func (p *Project) streamSources(m Model, all []Model) (map[string][]lakehouse.StreamSource, []lakehouse.StreamSource, error) {
	byTable := map[string][]lakehouse.StreamSource{}
	var sources []lakehouse.StreamSource
	seen := map[lakehouse.TableName]string{}
	for _, st := range m.Streams { // each table once, however often streamed
		if _, done := byTable[st.Table.String()]; done {
			continue
		}
		var srcs []lakehouse.StreamSource
		if _, ok := p.Resources.Sources[st.Table.Name]; ok && st.Table.Schema == "bronze" {
			srcs = []lakehouse.StreamSource{{Table: st.Table}}
		} else if i := slices.IndexFunc(all, func(o Model) bool { return o.Table == st.Table }); i >= 0 &&
			p.Resources.Models[st.Table.String()].KindName() == KindIncrementalByBatch && len(all[i].Streams) > 0 {
			for _, in := range all[i].Streams {
				src := lakehouse.StreamSource{Table: in.Table, Via: st.Table}
				if !slices.Contains(srcs, src) {
					srcs = append(srcs, src)
				}
			}
		} else {
			return nil, nil, &streamError{st, fmt.Sprintf("STREAM(%s): only an ingested source's bronze table or an incremental_by_batch model can be streamed", st.Table),
				fmt.Sprintf("write STREAM(bronze.<source>) for a source in resources.sources, STREAM(<model>) for an incremental_by_batch model, or name %s without STREAM()", st.Table)}
		}
		for _, src := range srcs {
			if prev, dup := seen[src.Table]; dup {
				return nil, nil, &streamError{st, fmt.Sprintf("STREAM(%s) reads the files of %s, as STREAM(%s) does", st.Table, src.Table, prev),
					"stream one of them, and name the other without STREAM()"}
			}
			seen[src.Table] = st.Table.String()
		}
		byTable[st.Table.String()] = srcs
		sources = append(sources, srcs...)
	}
	return byTable, sources, nil
}

// streamError is a STREAM() input a model cannot stream.
type streamError struct {
	at            Stream
	message, hint string
}

func (e *streamError) Error() string {
	return fmt.Sprintf("line %d: %s: %s", e.at.Line, e.message, e.hint)
}

// planBuild decides how this run builds m: in full (its kind is full, the
// run asked for it, or an incremental run would be wrong: the table is
// missing, its SQL, settings or columns changed, or a file it processed
// was reloaded or removed), else incrementally as its kind says. all is
// every model of the project (what STREAM() of a model reads).
func (p *Project) planBuild(ctx context.Context, tx *lakehouse.Tx, m Model, all []Model, s ModelSettings, rules []lakehouse.Rule, force string) (build, error) {
	b := build{sql: m.SQL, fingerprint: p.upstreamFingerprint(fingerprint(m, s, rules), m, all)}
	kind := s.KindName()
	var byStream map[string][]lakehouse.StreamSource
	if kind == KindIncrementalByBatch && len(m.Streams) == 0 {
		// As validate says: a run would otherwise find no new files of
		// anything else, ever, and keep the first build's rows.
		return b, fmt.Errorf("%s is incremental_by_batch but reads no STREAM() input: name the ingested table whose new rows it processes as STREAM(bronze.<source>)", m.Table)
	}
	if (kind == KindIncrementalByBatch || kind == KindIncrementalByUniqueKey) && len(m.Streams) > 0 {
		var err error
		if byStream, b.streams, err = p.streamSources(m, all); err != nil {
			return b, err
		}
		// A model streamed through is part of what decides the rows: when
		// its SQL or settings change it is rebuilt in full, and so is this.
		var via []string
		for _, src := range b.streams {
			if src.Via.Name != "" && !slices.Contains(via, src.Via.String()) {
				via = append(via, src.Via.String())
				i := slices.IndexFunc(all, func(o Model) bool { return o.Table == src.Via })
				b.fingerprint = fingerprint(Model{Text: b.fingerprint + "\x00" + all[i].Text}, p.Resources.Models[src.Via.String()], nil)
				// Its new rows are found by the file they came from.
				cols, err := tx.Columns(ctx, src.Via)
				if err != nil {
					return b, err
				}
				if len(cols) > 0 && !slices.ContainsFunc(cols, func(c lakehouse.Column) bool { return c.Name == "_source_file" }) {
					return b, fmt.Errorf("STREAM(%s): %s has no column _source_file, which tells its new rows: keep bronze's _source_file in its SELECT, or name %s without STREAM()",
						src.Via, src.Via, src.Via)
				}
			}
		}
	}
	if kind == KindIncrementalByTime {
		// The sources it reads whose rows carry its time: their new
		// files are read for late rows, and recorded as processed.
		for _, r := range dedupe(m.Reads) {
			if _, ok := p.Resources.Sources[r.Name]; !ok || r.Schema != "bronze" {
				continue
			}
			cols, err := tx.Columns(ctx, r)
			if err != nil {
				return b, err
			}
			if e, _ := traceExpr(s, r, cols); e != "" {
				b.streams = append(b.streams, lakehouse.StreamSource{Table: r})
			}
		}
	}
	full := func(why string) (build, error) {
		// An incremental model built from scratch starts its quarantine
		// over; a full model's keeps every run's rejects.
		b.sql, b.mat = m.SQL, lakehouse.Materialization{Rebuild: kind != KindFull, Unique: s.UniqueKey}
		b.since, b.timeColumn, b.from = "", "", ""
		if kind != KindFull {
			// Checked on a full build too, else a misspelt time_column or
			// unique_key builds once and fails only on the next run.
			if err := p.checkKindColumns(ctx, tx, m, s); err != nil {
				return b, err
			}
		}
		if kind == KindIncrementalByTime {
			// What the next run compares its untraced inputs with.
			var err error
			if b.inputs, _, _, err = p.untracedInputs(ctx, tx, m, all, s); err != nil {
				return b, err
			}
		}
		if why != "" {
			b.note = m.Table.String() + " rebuilt in full: " + why
		}
		return b, nil
	}
	if kind == KindFull {
		skip, err := p.unchangedInputs(ctx, tx, m, rules, force, &b)
		if err != nil || skip {
			return b, err
		}
		return full("")
	}
	exists, err := tx.Exists(ctx, m.Table)
	if err != nil {
		return b, err
	}
	// Its last build's records, in one statement.
	last, err := tx.BuildState(ctx, m.Table, len(b.streams) > 0)
	if err != nil {
		return b, err
	}
	switch {
	case !exists && !last.Found: // the first build: nothing to fall back from
		return full("")
	case force == "--full-refresh":
		return full(force)
	case !exists:
		return full("its table is missing")
	case !last.Found:
		return full("no build of it is recorded")
	case last.Fingerprint != b.fingerprint:
		return full("its SQL, settings or quality rules changed since the last build, or those of a model it reads")
	}
	if len(b.streams) > 0 {
		if !last.FilesIntact {
			return full("its record of processed files (sys.model_files) is not the one its last build wrote")
		}
		if last.LostFiles > 0 {
			return full(fmt.Sprintf("%d of the files it processed were reloaded or removed since", last.LostFiles))
		}
	}
	if force != "" { // an input rebuilt in full
		return full(force)
	}
	switch {
	case kind == KindIncrementalByTime:
		lookback, err := ParseLookback(s.Lookback)
		if err != nil {
			return b, err
		}
		start, from, ok, err := tx.PartitionStart(ctx, m.Table, s.TimeColumn, lookback, p.now())
		if err != nil {
			return b, fmt.Errorf("%w: set resources.models.%s.time_column to one of its DATE or TIMESTAMP columns", err, m.Table)
		}
		if !ok {
			return full("its table has no " + s.TimeColumn + " yet")
		}
		typ, err := p.timeColumnType(ctx, tx, m.Table, s.TimeColumn)
		if err != nil {
			return b, err
		}
		w, err := p.timeWindow(ctx, tx, m, all, s, typ, start, from, &b)
		if err != nil {
			return b, fmt.Errorf("%s: %w", m.Table, err)
		}
		if w.rebuild != "" {
			return full(w.rebuild)
		}
		b.inputs, b.warnings = w.inputs, w.warnings
		if w.skip {
			b.skip, b.note = true, m.Table.String()+": no input changed"
			return b, nil
		}
		start, from = w.start, w.from
		col := lakehouse.QuoteIdent(s.TimeColumn)
		cond := "(" + col + " >= " + start + " OR " + col + " IS NULL)"
		b.sql = "SELECT * FROM (\n" + lakehouse.TrimStatement(m.render(func(t lakehouse.TableName) string { return t.SQL() })) + "\n) AS lb_window WHERE " + cond
		b.mat = lakehouse.Materialization{ReplaceWhere: cond}
		b.note = fmt.Sprintf("%s: %s from %s on", m.Table, s.TimeColumn, from)
		if w.why != "" {
			b.note += " (" + w.why + ")"
		}
		since, ok, err := tx.TableStamp(ctx, m.Table)
		if err != nil {
			return b, err
		}
		if ok {
			b.since, b.timeColumn, b.from = since, s.TimeColumn, start
		}
	case len(b.streams) > 0:
		paths := map[string][]string{}
		var n int
		for _, st := range m.Streams {
			if _, seen := paths[st.Table.String()]; seen {
				continue
			}
			var ps []string
			for _, src := range byStream[st.Table.String()] {
				more, err := tx.NewFiles(ctx, m.Table, src)
				if err != nil {
					return b, err
				}
				ps = append(ps, more...)
			}
			paths[st.Table.String()] = ps
			n += len(ps)
		}
		if n == 0 {
			b.skip, b.note = true, m.Table.String()+": no new files"
			return b, nil
		}
		// Appending a file's rows twice double-counts them: a table that
		// already holds rows of a "new" file has lost its record of them
		// (sys.model_files deleted or edited), and only a full build is
		// right. A merge by key replaces them, so only appends are checked.
		if len(s.UniqueKey) == 0 {
			var all []string
			for _, ps := range paths {
				all = append(all, ps...)
			}
			held, err := tx.HeldFiles(ctx, m.Table, all)
			if err != nil {
				return b, err
			}
			if held > 0 {
				return full(fmt.Sprintf("its table already holds rows of %d of the files sys.model_files does not record as processed", held))
			}
		}
		b.sql = m.render(func(t lakehouse.TableName) string { return lakehouse.StreamFilter(t, paths[t.String()]) })
		b.mat = lakehouse.Materialization{UniqueKey: s.UniqueKey, Append: len(s.UniqueKey) == 0}
		b.note = fmt.Sprintf("%s: %d new %s", m.Table, n, plural(n, "file"))
	case kind == KindIncrementalByUniqueKey:
		b.sql = m.render(func(t lakehouse.TableName) string { return t.SQL() })
		b.mat = lakehouse.Materialization{UniqueKey: s.UniqueKey}
	default:
		return b, fmt.Errorf("unknown kind %q: use %s", kind, strings.Join(Kinds, ", "))
	}
	// New columns upstream (or a changed type) change the SELECT's
	// columns: rows already built lack them, so rebuild.
	got, err := tx.SelectColumns(ctx, b.sql)
	if err != nil {
		return b, err
	}
	if err := p.kindColumnsError(m, s, got); err != nil {
		return b, err
	}
	have, err := tx.Columns(ctx, m.Table)
	if err != nil {
		return b, err
	}
	// _warnings is the checks' column, not the SELECT's.
	have = slices.DeleteFunc(have, func(c lakehouse.Column) bool { return c.Name == "_warnings" })
	if !slices.Equal(got, have) {
		return full("its columns changed since the last build")
	}
	if err := p.traceChanges(ctx, tx, m, all, have, &b); err != nil {
		return b, err
	}
	return b, p.traceHealthDays(ctx, tx, m, rules, have, &b)
}

// timeColumnType is the type of table's time column.
func (p *Project) timeColumnType(ctx context.Context, tx *lakehouse.Tx, table lakehouse.TableName, column string) (string, error) {
	cols, err := tx.Columns(ctx, table)
	if err != nil {
		return "", err
	}
	for _, c := range cols {
		if strings.EqualFold(c.Name, column) {
			return c.Type, nil
		}
	}
	return "", fmt.Errorf("%s has no column %q", table, column)
}

// unchangedInputs reports whether a full model m need not be rebuilt: its
// last build had the same fingerprint (its SQL, settings and rules, and
// those of every model it reads) and the same stamp of its inputs' data
// (lakehouse.InputState: an input model built since, or a file loaded
// into an input source, changes it; an incremental_by_time input by its
// rows, lakehouse.ContentInputState), and nothing forces a rebuild (force:
// --full-refresh, or an input rebuilt in full). It sets b.inputs, the
// stamp to record, to "" when the rows could change with the same inputs:
// a volatile function, a clock or a table function in its SELECT, an
// input that is neither a model nor a source, or rules that quarantine
// (a full model's quarantine keeps each build's rejects), read other
// tables (sql_query, or a subquery in an expression) or are volatile
// (lakehouse.Tx.RuleDeterministic). Such a model is rebuilt every run.
func (p *Project) unchangedInputs(ctx context.Context, tx *lakehouse.Tx, m Model, rules []lakehouse.Rule, force string, b *build) (bool, error) {
	for _, r := range rules {
		if r.Criticality == "error" || r.Query != "" {
			return false, nil
		}
		if ok, err := tx.RuleDeterministic(ctx, r); err != nil || !ok {
			return false, err
		}
	}
	if ok, err := tx.Deterministic(ctx, m.SQL); err != nil || !ok {
		return false, err
	}
	// An incremental_by_time model rebuilds its last days every run: it
	// is stamped by its rows (per day), so a run that wrote the same rows
	// again does not rebuild its readers.
	timed := map[string]string{}
	for name, s := range p.Resources.Models {
		if s.KindName() == KindIncrementalByTime && s.TimeColumn != "" {
			timed[name] = s.TimeColumn
		}
	}
	state, ok, err := tx.ContentInputState(ctx, m.Table, m.Reads, timed)
	if err != nil || !ok {
		return false, err
	}
	b.inputs = state
	if force != "" {
		return false, nil
	}
	exists, err := tx.Exists(ctx, m.Table)
	if err != nil || !exists {
		return false, err
	}
	last, err := tx.BuildState(ctx, m.Table, false)
	if err != nil || !last.Found || last.Fingerprint != b.fingerprint || last.Inputs != state {
		return false, err
	}
	b.skip, b.note = true, m.Table.String()+": its inputs did not change"
	return true, nil
}

// Kinds are the model kinds, the default first.
var Kinds = []string{KindFull, KindIncrementalByBatch, KindIncrementalByTime, KindIncrementalByUniqueKey}

// checkKindColumns says so when an incremental model's SELECT lacks its
// time_column or a unique_key column.
func (p *Project) checkKindColumns(ctx context.Context, tx *lakehouse.Tx, m Model, s ModelSettings) error {
	cols, err := tx.SelectColumns(ctx, m.SQL)
	if err != nil {
		return err
	}
	return p.kindColumnsError(m, s, cols)
}

// kindColumnsError says which time_column or unique_key column the
// model's SELECT (whose columns are cols) lacks, or that its time_column
// is not a date or time (the next run's lookback could not be subtracted
// from it), at the setting in the project file, and what to set instead.
func (p *Project) kindColumnsError(m Model, s ModelSettings, cols []lakehouse.Column) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	find := func(name string) int {
		return slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
	}
	at := "resources.models." + m.Table.String()
	if s.KindName() == KindIncrementalByTime {
		i := find(s.TimeColumn)
		if i < 0 {
			return p.errorAt(at+".time_column", fmt.Sprintf("%s has no column %q: set resources.models.%s.time_column to one of its DATE or TIMESTAMP columns (it has %s)",
				m.Table, s.TimeColumn, m.Table, strings.Join(names, ", ")), "")
		}
		if typ := strings.ToUpper(cols[i].Type); !strings.HasPrefix(typ, "DATE") && !strings.HasPrefix(typ, "TIMESTAMP") {
			return p.errorAt(at+".time_column", fmt.Sprintf("%s's time_column %s is %s, not a DATE or TIMESTAMP: set resources.models.%s.time_column to one of its DATE or TIMESTAMP columns, or cast %s to one in its SELECT",
				m.Table, names[i], cols[i].Type, m.Table, names[i]), "")
		}
	}
	for _, k := range s.UniqueKey {
		if find(k) < 0 {
			return p.errorAt(at+".unique_key", fmt.Sprintf("%s has no column %q: set resources.models.%s.unique_key to columns its SELECT returns (it has %s)",
				m.Table, k, m.Table, strings.Join(names, ", ")), "")
		}
	}
	return nil
}

// maxLookbackDays is the longest lookback in days a time.Duration holds.
const maxLookbackDays = int(math.MaxInt64 / int64(24*time.Hour))

// ParseLookback reads an incremental_by_time model's lookback: days (3d)
// or a Go duration (12h, 90m); "" is none.
func ParseLookback(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("lookback %q is not a duration: write whole days (3d) or hours (12h)", s)
		}
		// More days than a time.Duration holds wrapped around to a
		// negative lookback, a window after the newest row: late rows
		// were never rebuilt.
		if n > maxLookbackDays {
			return 0, fmt.Errorf("lookback %q is too long: at most %dd (to rebuild everything each run, use kind full)", s, maxLookbackDays)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur < 0 || dur%time.Second != 0 {
		return 0, fmt.Errorf("lookback %q is not a duration: write whole days (3d) or hours (12h)", s)
	}
	return dur, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
