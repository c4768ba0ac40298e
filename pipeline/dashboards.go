package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/lakebench/lakebench/lakehouse"
)

// MaxTileRows caps the rows a tile's query returns: a tile draws a chart or
// a small table, never a whole table.
const MaxTileRows = 1000

// TileData is one dashboard tile evaluated: its query's rows and what to
// draw of them.
type TileData struct {
	Dashboard string `json:"dashboard"`
	Index     int    `json:"index"`
	Title     string `json:"title"`
	// Kind is kpi, chart or table.
	Kind string `json:"kind"`
	// Chart is bar, line, timeseries, scatter or sparkline (chart tiles).
	Chart   string             `json:"chart,omitempty"`
	X       string             `json:"x,omitempty"`
	Y       string             `json:"y,omitempty"`
	Columns []lakehouse.Column `json:"columns"`
	Rows    [][]any            `json:"rows"`
	KPI     *KPI               `json:"kpi,omitempty"`
	// Truncated is true when the query returned more than MaxTileRows rows
	// and only the first ones are here.
	Truncated bool `json:"truncated,omitempty"`
	// Width is the tile's width hint (grid columns), from the bundle.
	Width int `json:"width,omitempty"`
}

// KPI is a value and its change against the previous period.
type KPI struct {
	Value float64 `json:"value"`
	// HasPrevious is false when there is no previous period.
	HasPrevious bool    `json:"has_previous"`
	Previous    float64 `json:"previous,omitempty"`
	// Change is (Value-Previous)/|Previous|, 0 when Previous is 0.
	Change float64 `json:"change,omitempty"`
	// Good is true when the change goes the good way (green), false red.
	// No change, or no previous period, is good.
	Good bool `json:"good"`
	// Up is true when the value rose against the previous period.
	Up bool `json:"up,omitempty"`
	// Format is how to show the value: number, money or percent.
	Format string `json:"format,omitempty"`
}

// NewKPI compares value with previous (when hasPrevious): the change, and
// whether it goes the good way, up or down.
func NewKPI(value, previous float64, hasPrevious bool, good, format string) *KPI {
	k := &KPI{Value: value, Format: format, Good: true}
	if format == "" {
		k.Format = "number"
	}
	if !hasPrevious {
		return k
	}
	k.HasPrevious, k.Previous = true, previous
	if previous != 0 {
		k.Change = (value - previous) / math.Abs(previous)
	}
	k.Up = value > previous
	switch {
	case value == previous:
		k.Good = true
	case good == "down":
		k.Good = value < previous
	default:
		k.Good = value > previous
	}
	return k
}

// TileError is a tile that could not be evaluated: which tile, and why.
type TileError struct {
	Dashboard string
	Index     int
	Title     string
	Err       error
}

// Error names the dashboard and the tile (1-based) before the cause.
func (e *TileError) Error() string {
	return fmt.Sprintf("pipeline: dashboard %s, tile %d (%s): %s", e.Dashboard, e.Index+1, e.Title, strings.TrimPrefix(e.Err.Error(), "pipeline: "))
}

// Unwrap returns the cause, such as a *lakehouse.AccessError.
func (e *TileError) Unwrap() error { return e.Err }

// Tile returns the definition of one tile of a dashboard of the bundle.
func (p *Project) Tile(dashboard string, tile int) (Tile, error) {
	d, ok := p.Resources.Dashboards[dashboard]
	if !ok {
		names := sortedKeys(p.Resources.Dashboards)
		return Tile{}, fmt.Errorf("pipeline: no dashboard %q (dashboards: %s%s)", dashboard, strings.Join(names, ", "), suggestHint(dashboard, names))
	}
	if tile < 0 || tile >= len(d.Tiles) {
		return Tile{}, fmt.Errorf("pipeline: dashboard %s has %d tiles, not a tile %d", dashboard, len(d.Tiles), tile+1)
	}
	return d.Tiles[tile], nil
}

// EvalTile runs one tile's query as the principal of lh: the lakehouse
// checks the grants on the query's plan (a table the principal may not
// read fails with a *lakehouse.AccessError naming the grant) and audits
// it. At most MaxTileRows rows come back. A KPI tile also gets its value
// and its change against the previous period.
func (p *Project) EvalTile(ctx context.Context, lh *lakehouse.Lakehouse, dashboard string, tile int) (*TileData, error) {
	t, err := p.Tile(dashboard, tile)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*TileData, error) {
		var ce *columnError
		if errors.As(err, &ce) {
			pos := p.position(fmt.Sprintf("resources.dashboards.%s.tiles[%d].%s", dashboard, tile, ce.key))
			err = fmt.Errorf("pipeline: %s:%d:%d: %s: name one of those in %s, or return the column from the query",
				pos.file, pos.line, pos.column, strings.TrimPrefix(ce.msg, "pipeline: "), ce.key)
		}
		return nil, &TileError{Dashboard: dashboard, Index: tile, Title: t.Title, Err: err}
	}
	td := &TileData{Dashboard: dashboard, Index: tile, Title: t.Title, Kind: t.KindName(), Width: t.Width}
	res, truncated, err := p.tileQuery(ctx, lh, t.Query)
	if err != nil {
		return fail(err)
	}
	td.Columns, td.Rows, td.Truncated = res.Columns, res.Rows, truncated
	if td.Rows == nil {
		td.Rows = [][]any{}
	}
	switch td.Kind {
	case TileChart:
		td.Chart = t.Chart
		x, y, err := chartColumns(t, res.Columns)
		if err != nil {
			return fail(err)
		}
		td.X, td.Y = res.Columns[x].Name, res.Columns[y].Name
	case TileKPI:
		td.KPI, err = p.kpi(ctx, lh, t, res)
		if err != nil {
			return fail(err)
		}
	}
	return td, nil
}

// tileQuery runs a tile's SELECT and returns at most MaxTileRows rows, and
// whether there were more. The query is refused unless DuckDB's parser
// sees one SELECT; the lakehouse then authorizes what it will run.
func (p *Project) tileQuery(ctx context.Context, lh *lakehouse.Lakehouse, query string) (*lakehouse.Result, bool, error) {
	q := strings.TrimRight(strings.TrimSpace(query), "; \t\r\n")
	if q == "" {
		return nil, false, errors.New("pipeline: the tile has no query")
	}
	refs, err := lh.TableRefs(ctx, q)
	if err != nil {
		var perr *lakehouse.ParseError
		if errors.As(err, &perr) {
			return nil, false, fmt.Errorf("pipeline: a tile's query may only read, with one SELECT: %s", notSelect(q, perr.Message))
		}
		return nil, false, err
	}
	res, err := lh.Query(ctx, fmt.Sprintf("SELECT * FROM (\n%s\n) AS lb_tile LIMIT %d", q, MaxTileRows+1))
	if err != nil {
		return nil, false, p.notBuilt(err, refs)
	}
	if len(res.Rows) > MaxTileRows {
		res.Rows = res.Rows[:MaxTileRows]
		return res, true, nil
	}
	return res, false, nil
}

// missingTable is the name in DuckDB's error for a table that does not
// exist.
var missingTable = regexp.MustCompile(`Table with name ([^ ]+) does not exist`)

// notBuilt explains a tile's query failing on a table of refs the target
// does not have yet (DuckDB says "Table with name x does not exist"): the
// job that builds it has not run there; other errors are returned as
// they are.
func (p *Project) notBuilt(err error, refs []lakehouse.TableName) error {
	m := missingTable.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	for _, r := range refs {
		if !strings.EqualFold(r.Name, m[1]) && !strings.EqualFold(r.String(), m[1]) {
			continue
		}
		var jobs []string
		for _, name := range sortedKeys(p.Resources.Jobs) {
			for _, t := range p.Resources.Jobs[name].Tasks {
				if t.Type == "predict" && r.Schema == "ml" && r.Name == strings.SplitN(t.Model, "@", 2)[0]+"_predictions" {
					jobs = append(jobs, name)
					break
				}
			}
		}
		how := "run the job that builds it"
		if len(jobs) > 0 {
			how = "run job " + strings.Join(jobs, " or ") + " (r in the Engineer view, or `lakebench bundle run " + jobs[0] + "`)"
		}
		return fmt.Errorf("pipeline: %s is not built on target %s yet: %s", r, p.Target, how)
	}
	return err
}

// column finds a column by name (case-insensitive), -1 when it is absent.
func column(cols []lakehouse.Column, name string) int {
	return slices.IndexFunc(cols, func(c lakehouse.Column) bool { return strings.EqualFold(c.Name, name) })
}

// firstNumeric is the first numeric column from index from on, -1 if none.
func firstNumeric(cols []lakehouse.Column, from int) int {
	for i := from; i < len(cols); i++ {
		if lakehouse.IsNumericType(cols[i].Type) {
			return i
		}
	}
	return -1
}

func columnNames(cols []lakehouse.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// columnError is a tile's key (x, y, value, previous) naming a column its
// query does not return; EvalTile places it at the key in the file.
type columnError struct{ key, msg string }

func (e *columnError) Error() string { return e.msg }

// named finds the column a tile names for what (x, y, value, ...).
func named(cols []lakehouse.Column, what, name string) (int, error) {
	i := column(cols, name)
	if i < 0 {
		return -1, &columnError{key: what, msg: fmt.Sprintf("pipeline: %s names column %q, which the query does not return (its columns: %s)", what, name, columnNames(cols))}
	}
	return i, nil
}

// chartColumns are a chart tile's x and y columns: those it names, else
// the first column and the first numeric column after it.
func chartColumns(t Tile, cols []lakehouse.Column) (x, y int, err error) {
	if len(cols) < 2 && (t.X == "" || t.Y == "") {
		return 0, 0, fmt.Errorf("pipeline: a chart needs two columns, x and y; the query returns %d", len(cols))
	}
	x = 0
	if t.X != "" {
		if x, err = named(cols, "x", t.X); err != nil {
			return 0, 0, err
		}
	}
	if t.Y != "" {
		y, err = named(cols, "y", t.Y)
	} else if y = firstNumeric(cols, x+1); y < 0 {
		err = fmt.Errorf("pipeline: no numeric column after %s to draw as y: name one with y", cols[x].Name)
	}
	if err == nil && !lakehouse.IsNumericType(cols[y].Type) {
		err = fmt.Errorf("pipeline: y column %s is %s, not a number", cols[y].Name, cols[y].Type)
	}
	return x, y, err
}

// kpi computes a KPI tile's value from the first row of res and its
// previous period's from the column Previous names, or from the first row
// of PreviousQuery. A query that returns no row, or NULL, has no value: the
// KPI is nil.
func (p *Project) kpi(ctx context.Context, lh *lakehouse.Lakehouse, t Tile, res *lakehouse.Result) (*KPI, error) {
	valueCol := firstNumeric(res.Columns, 0)
	if t.Value != "" {
		var err error
		if valueCol, err = named(res.Columns, "value", t.Value); err != nil {
			return nil, err
		}
	} else if valueCol < 0 {
		return nil, fmt.Errorf("pipeline: a KPI needs a numeric column; the query returns %s", columnNames(res.Columns))
	}
	if len(res.Rows) == 0 {
		return nil, nil
	}
	value, ok := lakehouse.Number(res.Rows[0][valueCol])
	if !ok {
		if res.Rows[0][valueCol] == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("pipeline: value column %s is not a number", res.Columns[valueCol].Name)
	}
	var prev any
	switch {
	case t.Previous != "":
		i, err := named(res.Columns, "previous", t.Previous)
		if err != nil {
			return nil, err
		}
		prev = res.Rows[0][i]
	case t.PreviousQuery != "":
		pres, _, err := p.tileQuery(ctx, lh, t.PreviousQuery)
		if err != nil {
			return nil, fmt.Errorf("previous_query: %w", err)
		}
		i := column(pres.Columns, res.Columns[valueCol].Name)
		if i < 0 {
			i = firstNumeric(pres.Columns, 0)
		}
		if i < 0 {
			return nil, fmt.Errorf("pipeline: previous_query returns no numeric column (its columns: %s)", columnNames(pres.Columns))
		}
		if len(pres.Rows) > 0 {
			prev = pres.Rows[0][i]
		}
	}
	pv, has := lakehouse.Number(prev)
	return NewKPI(value, pv, has, t.Good, t.Format), nil
}

// validateDashboards checks every tile: its kind and chart, a query that is
// one SELECT over known tables (a query that writes is refused here, before
// anything runs), and the keys that belong to its kind.
func (p *Project) validateDashboards(ctx context.Context, lh sqlParser, errf func(path, hint, format string, args ...any), checkQuery func(path, query string)) {
	for _, n := range sortedKeys(p.Resources.Dashboards) {
		d := p.Resources.Dashboards[n]
		if len(d.Tiles) == 0 {
			errf("resources.dashboards."+n, "add tiles: [{title: ..., query: ..., kind: kpi|chart|table}]", "dashboard %s has no tiles", n)
		}
		for i, t := range d.Tiles {
			path := fmt.Sprintf("resources.dashboards.%s.tiles[%d]", n, i)
			if t.Title == "" {
				errf(path, "give the tile a title", "tile %d of dashboard %s has no title", i+1, n)
			}
			p.validateTileQuery(ctx, lh, errf, checkQuery, path+".query", t.Query)
			if t.Kind != "" && !contains(TileKinds, t.Kind) {
				errf(path+".kind", "kinds: "+strings.Join(TileKinds, ", ")+suggestHint(t.Kind, TileKinds), "unknown tile kind %q", t.Kind)
				continue
			}
			kind := t.KindName()
			if t.Chart != "" && !contains(Charts, t.Chart) {
				errf(path+".chart", "charts: "+strings.Join(Charts, ", ")+suggestHint(t.Chart, Charts), "unknown chart %q", t.Chart)
			}
			if kind == TileChart && t.Chart == "" {
				errf(path, "charts: "+strings.Join(Charts, ", "), "chart tile %q has no chart", t.Title)
			}
			if t.Format != "" && !contains(TileFormats, t.Format) {
				errf(path+".format", "formats: "+strings.Join(TileFormats, ", ")+suggestHint(t.Format, TileFormats), "unknown format %q", t.Format)
			}
			if t.Good != "" && !contains(GoodDirections, t.Good) {
				errf(path+".good", "use up (a rise is good) or down (a fall is good)", "unknown direction %q", t.Good)
			}
			if t.Width < 0 {
				errf(path+".width", "a width is a number of grid columns, 1 or more", "width %d is negative", t.Width)
			}
			if t.Previous != "" && t.PreviousQuery != "" {
				errf(path+".previous_query", "keep one: a column of the same row, or a query", "tile %q has both previous and previous_query", t.Title)
			}
			if t.PreviousQuery != "" {
				p.validateTileQuery(ctx, lh, errf, checkQuery, path+".previous_query", t.PreviousQuery)
			}
			// Keys of another kind are mistakes, not options.
			misplaced := map[string]bool{}
			switch kind {
			case TileKPI:
				misplaced["chart"], misplaced["x"], misplaced["y"] = t.Chart != "", t.X != "", t.Y != ""
			case TileChart, TileTable:
				misplaced["value"], misplaced["previous"], misplaced["previous_query"] = t.Value != "", t.Previous != "", t.PreviousQuery != ""
				misplaced["good"], misplaced["format"] = t.Good != "", t.Format != ""
				if kind == TileTable {
					misplaced["chart"], misplaced["x"], misplaced["y"] = t.Chart != "", t.X != "", t.Y != ""
				}
			}
			for _, key := range sortedKeys(misplaced) {
				if misplaced[key] {
					errf(path+"."+key, "remove it, or set the tile's kind to the one it belongs to", "%s does not apply to a %s tile", key, kind)
				}
			}
		}
	}
}

// validateTileQuery refuses a tile's query that is not one SELECT before
// checking the tables it reads.
func (p *Project) validateTileQuery(ctx context.Context, lh sqlParser, errf func(path, hint, format string, args ...any), checkQuery func(path, query string), path, query string) {
	if strings.TrimSpace(query) == "" {
		errf(path, "give the tile a SELECT", "the tile has no query")
		return
	}
	if _, err := lh.TableRefs(ctx, query); err != nil {
		var perr *lakehouse.ParseError
		if errors.As(err, &perr) && !strings.Contains(strings.ToLower(perr.Message), "syntax") && !strings.Contains(strings.ToLower(perr.Message), "parser error") {
			errf(path, "a tile reads with one SELECT; change data in a model or a job's sql task", "a tile's query may only read, with one SELECT: %s", notSelect(query, perr.Message))
			return
		}
	}
	checkQuery(path, query)
}

// notSelect says why DuckDB's parser refused a query as a SELECT, in the
// user's words: its first keyword, or the parser's message.
func notSelect(query, msg string) string {
	if strings.Contains(msg, "Only SELECT") {
		if f := strings.Fields(query); len(f) > 0 {
			return strings.ToUpper(f[0]) + " is not a SELECT"
		}
	}
	return msg
}

// validateTileColumns checks the columns tiles name (x, y, value,
// previous) against those their queries return, bound (not run) in a
// private in-memory DuckDB over empty tables with the schemas the bundle's
// models build, derived as `lakebench test` types its inputs (unitRunner):
// a source's columns by its schema_hints, else by its landing files' own
// types. A name the query does not return is an error at its key, with
// the columns and a did-you-mean; a tile whose tables cannot be bound so
// (a quarantine table, a source without landing files yet) is a warning:
// its names are checked when it is drawn on a target.
func (p *Project) validateTileColumns(ctx context.Context, models []Model, errf, warnf func(path, hint, format string, args ...any)) {
	shapes, err := lakehouse.Open(ctx, "", lakehouse.Options{Threads: 1})
	if err != nil {
		warnf("resources.dashboards", "", "the tiles' columns were not checked: %v", err)
		return
	}
	defer shapes.Close()
	byTable := map[string]Model{}
	for _, m := range models {
		byTable[m.Table.String()] = m
	}
	files := map[string]map[string]string{} // source -> column -> type
	r := &unitRunner{p: p, parser: shapes, shapes: shapes, models: byTable, schemas: map[string]schemaResult{}}
	r.fileType = func(ctx context.Context, source, column string) string {
		types, ok := files[source]
		if !ok {
			types = p.landingTypes(ctx, shapes, source)
			files[source] = types
		}
		return types[strings.ToLower(column)]
	}
	// A quarantine's schema is its table's and what lakebench adds; a
	// model's predictions', its table's keys and what ml adds, with one
	// prob_<class> per class training finds: those the query names are
	// taken on trust, and a name missing there is only a warning.
	inexact := false
	r.stub = func(ctx context.Context, table lakehouse.TableName, query string) ([]lakehouse.Column, bool) {
		if base, ok := strings.CutSuffix(table.Name, "_quarantine"); ok {
			if _, src := p.Resources.Sources[base]; src && table.Schema == "bronze" {
				return ingestQuarantine, true
			}
			cols, ok := r.upstreamSchema(ctx, lakehouse.TableName{Schema: table.Schema, Name: base})
			if !ok {
				return nil, false
			}
			list := lakehouse.CheckResultType + "[]"
			return append(slices.Clone(cols), lakehouse.Column{Name: "_errors", Type: list},
				lakehouse.Column{Name: "_warnings", Type: list}, lakehouse.Column{Name: "_run_id", Type: "VARCHAR"}), true
		}
		name, ok := strings.CutSuffix(table.Name, "_predictions")
		rm, isModel := p.Resources.RegisteredModels[name]
		if !ok || !isModel || table.Schema != "ml" {
			return nil, false
		}
		scored, err := lakehouse.ParseTableName(rm.Table)
		if err != nil {
			return nil, false
		}
		from, derived := r.upstreamSchema(ctx, scored)
		refs, err := shapes.ColumnRefs(ctx, query)
		if !derived || err != nil {
			return nil, false
		}
		// The keys, as ml's predict picks them: the id and *_id columns,
		// else every column.
		var cols []lakehouse.Column
		label := "DOUBLE"
		for _, c := range from {
			n := strings.ToLower(c.Name)
			if n == strings.ToLower(rm.Label) {
				label = c.Type
			}
			if n == "id" || strings.HasSuffix(n, "_id") && !strings.HasPrefix(n, "_") {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			cols = slices.Clone(from)
		}
		cols = append(cols, lakehouse.Column{Name: "prediction", Type: label})
		for _, ref := range refs {
			if strings.HasPrefix(ref, "prob_") {
				cols = append(cols, lakehouse.Column{Name: ref, Type: "DOUBLE"})
			}
		}
		inexact = true
		return append(cols, lakehouse.Column{Name: "model_name", Type: "VARCHAR"}, lakehouse.Column{Name: "model_version", Type: "INTEGER"},
			lakehouse.Column{Name: "scored_at", Type: "TIMESTAMP"}), true
	}
	for _, n := range sortedKeys(p.Resources.Dashboards) {
		for i, t := range p.Resources.Dashboards[n].Tiles {
			path := fmt.Sprintf("resources.dashboards.%s.tiles[%d]", n, i)
			inexact = false
			names := map[string]string{}
			switch t.KindName() {
			case TileChart:
				names["x"], names["y"] = t.X, t.Y
			case TileKPI:
				names["value"], names["previous"] = t.Value, t.Previous
			}
			if names["x"]+names["y"]+names["value"]+names["previous"] == "" {
				continue
			}
			reads, err := shapes.TableRefs(ctx, t.Query)
			if err != nil {
				continue // validateTileQuery said why
			}
			tile := lakehouse.TableName{Schema: "lb_tile", Name: fmt.Sprintf("%s_%d", n, i)}
			r.models[tile.String()] = Model{Table: tile, SQL: t.Query, Reads: reads}
			cols, ok := r.upstreamSchema(ctx, tile)
			if !ok {
				var tables []string
				for _, t := range reads {
					tables = append(tables, t.String())
				}
				warnf(path+".query", "`lakebench dashboard "+n+"` checks them on a target",
					"the columns tile %q names were not checked: its query does not bind over the bundle's schemas of %s (a quarantine table, or a source without landing files yet, has its columns only on a target)",
					t.Title, strings.Join(tables, ", "))
				continue
			}
			have := make([]string, len(cols))
			for k, c := range cols {
				have[k] = c.Name
			}
			for _, key := range sortedKeys(names) {
				name := names[key]
				if name == "" || column(cols, name) >= 0 {
					continue
				}
				hint := strings.TrimPrefix(suggestHint(name, have)+" ", "; ") + "its columns: " + columnNames(cols) + "; name one of them, or return the column from the query"
				if inexact {
					warnf(path+"."+key, hint+" (a model's prob_<class> columns are known once it is trained: checked as far as the bundle says)",
						"%s names column %q, which the tile's query may not return", key, name)
				} else {
					errf(path+"."+key, hint, "%s names column %q, which the tile's query does not return", key, name)
				}
			}
		}
	}
}

// ingestQuarantine are the columns of a source's quarantine (the lines
// ingestion could not load).
var ingestQuarantine = []lakehouse.Column{{Name: "_source_file", Type: "VARCHAR"}, {Name: "_line", Type: "BIGINT"},
	{Name: "_column", Type: "VARCHAR"}, {Name: "_reason", Type: "VARCHAR"}, {Name: "_raw", Type: "VARCHAR"},
	{Name: "_ingested_at", Type: "TIMESTAMP"}, {Name: "_batch_id", Type: "VARCHAR"}}

// landingTypes are the types DuckDB's own readers give the columns of a
// source's landing files (lower-case names), as a run's ingestion would
// find them; none when there are no files yet or they do not read.
func (p *Project) landingTypes(ctx context.Context, shapes *lakehouse.Lakehouse, source string) map[string]string {
	src := p.Resources.Sources[source]
	files, err := p.SourceFiles(src)
	if err != nil || len(files) == 0 {
		return nil
	}
	format, err := lakehouse.ParseFormat(src.Format)
	if err != nil {
		return nil
	}
	if format == "" {
		if format, err = lakehouse.FormatOf(files[0]); err != nil {
			return nil
		}
	}
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = lakehouse.QuoteString(f)
	}
	reader := map[lakehouse.Format]string{lakehouse.CSV: "read_csv", lakehouse.JSON: "read_json_auto", lakehouse.Parquet: "read_parquet"}[format]
	cols, err := shapes.SchemaOf(ctx, "SELECT * FROM "+reader+"(["+strings.Join(list, ", ")+"])")
	if err != nil {
		return nil
	}
	types := map[string]string{}
	for _, c := range cols {
		types[strings.ToLower(c.Name)] = c.Type
	}
	return types
}
