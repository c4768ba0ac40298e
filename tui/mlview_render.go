package tui

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/tui/chart"
)

// View draws the models and versions on the left and, on the right, the
// selected version, a training, a comparison or the top-risk rows; a
// promotion waiting for y or n asks on the last line.
func (v *mlview) View() string {
	if v.width <= 0 || v.height <= 0 {
		return ""
	}
	h := v.height
	var ask string
	if v.ask != nil && h > 1 {
		h--
		ask = v.askLine()
	}
	lw := v.listWidth()
	left := v.listView(lw, h)
	if ph := v.previewHeight(h); ph > 0 {
		left = lipgloss.JoinVertical(lipgloss.Left, v.listView(lw, h-ph), v.previewView(lw, ph))
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, left, v.rightView(v.width-lw, h))
	if ask != "" {
		body += "\n" + fit(ask, v.width)
	}
	return body
}

// listWidth is the models list's share of the width.
func (v *mlview) listWidth() int {
	return min(v.width/2, max(28, min(46, v.width*30/100)))
}

func (v *mlview) askLine() string {
	st, a := v.sh.styles, v.ask
	why := "it has no champion yet"
	if a.from != 0 {
		why = fmt.Sprintf("the alias moves from v%d; scoring follows it", a.from)
	}
	return st.Warn.Render(fmt.Sprintf(" promote %s to %s? ", a.ref, aliasChampion)) + st.Help.ShortKey.Render("y") +
		st.Muted.Render(" promote · ") + st.Help.ShortKey.Render("n") + st.Muted.Render(" keep · "+why)
}

// listView is the models panel: each model, then its versions with their
// aliases and key metric.
func (v *mlview) listView(width, height int) string {
	st := v.sh.styles
	inner := width - st.Panel.GetHorizontalFrameSize()
	room := height - st.Panel.GetVerticalFrameSize()
	var lines []string
	switch {
	case v.state == nil && v.loadErr == "" && len(v.rows) == 0:
		lines = []string{st.Muted.Render("reading the registry…")}
	case v.loadErr != "":
		lines = append(lines, st.Bad.Render("✗ registry unreadable"))
		lines = append(lines, strings.Split(wrapText(v.loadErr, inner), "\n")...)
	case v.state != nil && v.state.Refused != "":
		lines = refusedLines(st, v.state.Refused, inner, room)
	}
	at := -1 // the line of the cursor
	for i, r := range v.rows {
		if i == v.cursor {
			at = len(lines)
		}
		lines = append(lines, v.rowLine(r, i == v.cursor, inner))
	}
	if len(v.rows) == 0 && v.state != nil && v.state.Refused == "" {
		lines = append(lines, st.Muted.Render("no registered models"), "")
		lines = append(lines, wrapped(st.Muted, "add one under resources.registered_models in lakebench.yml, then press r here", inner)...)
	}
	if at >= 0 && len(lines) > room {
		start, end := window(len(lines), at, room)
		lines = lines[start:end]
	}
	title := "models"
	if v.state != nil {
		n := 0
		for _, m := range v.state.Models {
			n += len(m.Versions)
		}
		title += " · " + plural(n, "version")
	}
	return panel(st.PanelActive, title, lines, width, height)
}

// previewHeight is the height of the top-risk preview under the list: on
// tall screens, when the selected model has scored and the scores are not
// shown on the right already; 0 when none.
func (v *mlview) previewHeight(h int) int {
	r, ok := v.selected()
	if !ok || v.scored == nil || v.scored.Scoring.Name != r.model || v.mode == mlScores || h < 30 {
		return 0
	}
	ph := min(h-max(len(v.rows)+3, 8), len(v.scored.Rows)+5)
	if ph < 8 {
		return 0
	}
	return ph
}

// previewView is the top of the latest scoring: each row's first key and
// its score.
func (v *mlview) previewView(width, height int) string {
	st, s := v.sh.styles, v.scored
	inner := width - st.Panel.GetHorizontalFrameSize()
	sc := s.Scoring
	lines := []string{st.Muted.Render(cut(fmt.Sprintf("v%d · %s ago · %s rows", sc.Version, ago(v.sh.now(), sc.ScoredAt), thousands(sc.Rows)), inner))}
	score := slices.Index(s.Columns, s.Score)
	if score < 0 || len(s.Columns) == 0 {
		return panel(st.Panel, "top risk", lines, width, height)
	}
	scoreW := max(lipgloss.Width(s.Score), 5)
	lines = append(lines, st.Header.Render(fit(s.Columns[0], inner-scoreW-1))+" "+st.Header.Render(right(s.Score, scoreW)))
	room := height - st.Panel.GetVerticalFrameSize() - len(lines)
	for i, r := range s.Rows {
		if i >= room {
			break
		}
		lines = append(lines, fit(r[0], inner-scoreW-1)+" "+st.Warn.Render(right(r[score], scoreW)))
	}
	return panel(st.Panel, "top risk · p for more", lines, width, height)
}

// rowLine is one line of the list: a model's name, its task and key metric
// name; or a version with its status, aliases and key metric.
func (v *mlview) rowLine(r mlRow, selected bool, width int) string {
	st := v.sh.styles
	mark := "  "
	if selected {
		mark = st.Selected.Render("▸ ")
	}
	m := v.model(r.model)
	if r.version == 0 {
		name := st.Subtitle.Render(r.model)
		if selected {
			name = st.Selected.Render(r.model)
		}
		if m == nil || len(m.Versions) == 0 {
			return fit(mark+name+st.Muted.Render(" · not trained: r trains it"), width)
		}
		metric := metricLabel(taskMetric(m.Task))
		left := mark + name
		if width >= 32 {
			left += st.Muted.Render(" · " + string(m.Task))
		}
		if m.Scoring != nil && width >= 40 {
			left += st.Muted.Render(" · scored " + ago(v.sh.now(), m.Scoring.ScoredAt) + " ago")
		}
		return fit(left, width-len(metric)-1) + " " + st.Muted.Render(metric)
	}
	mv := v.version(mlRef{r.model, r.version})
	if mv == nil {
		return ""
	}
	ver := fmt.Sprintf("v%-3d", r.version)
	if selected {
		ver = st.Selected.Render(ver)
	}
	val := "—"
	if x, ok := mv.Metrics[taskMetric(m.Task)]; ok {
		val = fmtMetric(x)
	}
	tags := v.aliasTags(mv)
	if mv.Status == "FAILED" {
		tags = st.Bad.Render("✗ failed")
	}
	extra := ""
	if width >= 44 {
		extra = st.Muted.Render(fmt.Sprintf(" %-8s %4s", cut(mv.CreatedBy, 8), ago(v.sh.now(), mv.CreatedAt)))
	}
	valW := 6
	left := mark + ver + " " + tags
	return fit(left, width-valW-lipgloss.Width(extra)) + right(val, valW) + extra
}

// aliasTags are a version's aliases, the champion's and challenger's
// marked (★, ☆) so they tell apart without color.
func (v *mlview) aliasTags(mv *ml.ModelVersion) string {
	st := v.sh.styles
	var parts []string
	for _, a := range mv.Aliases {
		switch a {
		case aliasChampion:
			parts = append(parts, st.Good.Render("★ "+a))
		case aliasChallenger:
			parts = append(parts, st.Warn.Render("☆ "+a))
		default:
			parts = append(parts, st.Muted.Render("@"+a))
		}
	}
	return strings.Join(parts, " ")
}

// taskMetric is the metric the list shows for a task.
func taskMetric(t ml.Task) string {
	if t == ml.Regression {
		return "rmse"
	}
	return "roc_auc"
}

// metricLabel is how a metric key reads on screen.
func metricLabel(k string) string {
	switch k {
	case "roc_auc":
		return "AUC"
	case "rmse", "mae":
		return strings.ToUpper(k)
	case "r2":
		return "R²"
	case "f1":
		return "F1"
	case "log_loss":
		return "log loss"
	}
	return k
}

// keyMetric is the metric that sums a version up: ROC AUC, else accuracy,
// else RMSE, else R².
func keyMetric(m map[string]float64) (string, float64, bool) {
	for _, k := range []string{"roc_auc", "accuracy", "rmse", "r2"} {
		if x, ok := m[k]; ok {
			return metricLabel(k), x, true
		}
	}
	return "", 0, false
}

// fmtMetric writes a metric with three decimals (a count without).
func fmtMetric(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case x == math.Trunc(x) && math.Abs(x) >= 10:
		return thousands(int64(x))
	case math.Abs(x) >= 1000:
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3f", x)
}

// lowerIsBetter are the metrics that improve as they fall.
var lowerIsBetter = map[string]bool{"log_loss": true, "rmse": true, "mae": true}

// metricOrder is the order metrics are listed in, known ones first.
func metricOrder(values ...map[string]float64) []string {
	known := []string{"roc_auc", "accuracy", "precision", "recall", "f1", "log_loss", "rmse", "mae", "r2"}
	seen := map[string]bool{}
	var out []string
	for _, k := range known {
		for _, vals := range values {
			if _, ok := vals[k]; ok && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	var rest []string
	for _, vals := range values {
		for k := range vals {
			if !seen[k] {
				seen[k] = true
				rest = append(rest, k)
			}
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func (v *mlview) rightView(width, height int) string {
	switch v.mode {
	case mlTrain:
		if v.train != nil {
			return v.trainView(width, height)
		}
	case mlCompare:
		return v.compareView(width, height)
	case mlScores:
		if v.scored != nil {
			return v.scoresView(width, height)
		}
	}
	return v.detailView(width, height)
}

// detailView is the shown version: metrics and confusion matrix, ROC
// curve, feature importance; side by side when they fit, else a page at a
// time (←/→).
func (v *mlview) detailView(width, height int) string {
	st := v.sh.styles
	ref := v.shown()
	inner := width - st.Panel.GetHorizontalFrameSize()
	switch {
	case ref.name == "" && v.state == nil && v.loadErr == "":
		return panel(st.Panel, "version", []string{st.Muted.Render("reading the registry…")}, width, height)
	case ref.name == "":
		return panel(st.Panel, "version", []string{st.Muted.Render("select a model or a version")}, width, height)
	case ref.version == 0:
		return panel(st.Panel, ref.name, v.untrainedLines(ref.name, inner), width, height)
	}
	d := v.details[ref]
	mv := v.version(ref)
	if d == nil {
		msg := st.Muted.Render("reading " + ref.String() + "…")
		if e := v.detailErr[ref]; e != "" {
			msg = st.Bad.Render("✗ ") + e
		}
		lines := append(v.metricsLines(mv, nil, inner), "", "")
		lines = append(lines, strings.Split(wrapText(msg, inner), "\n")...)
		return panel(st.Panel, ref.String(), lines, width, height)
	}
	if v.wide() {
		top := min(max(11, height*2/5), 18)
		lw := width / 2
		metrics := v.panelOf(ref.String(), lw, top, func(w, h int) string {
			lines := v.metricsLines(mv, d, w)
			// The training loss under the metrics, when it has room.
			if room := h - len(lines) - 1; room >= 6 && len(d.Run.Loss) > 1 {
				c := chart.NewLine(v.cst)
				c.XFormat = func(x float64) string { return fmt.Sprintf("%.0f", x) }
				c.SetSize(w, room)
				c.SetSeries(chart.Series{Name: "training loss per iteration", Points: lossPoints(&d.Run)})
				lines = append(append(lines, ""), strings.Split(c.View(), "\n")...)
			}
			return strings.Join(lines, "\n")
		})
		conf := v.panelOf("confusion matrix", width-lw, top, func(w, h int) string { return v.confusionView(d, w, h) })
		roc := v.panelOf(v.curveTitle(d), lw, height-top, func(w, h int) string { return v.curveView(d, w, h) })
		imp := v.panelOf("feature importance", width-lw, height-top, func(w, h int) string { return v.importanceView(d, w, h) })
		return lipgloss.JoinVertical(lipgloss.Left, lipgloss.JoinHorizontal(lipgloss.Top, metrics, conf),
			lipgloss.JoinHorizontal(lipgloss.Top, roc, imp))
	}
	var names []string
	for i, n := range mlPageNames {
		if i == pageROC {
			n = v.curveTitle(d)
		}
		if i == v.page {
			n = "[" + n + "]"
		}
		names = append(names, n)
	}
	title := ref.String() + " · " + strings.Join(names, " ")
	room := height - st.Panel.GetVerticalFrameSize()
	var body string
	switch v.page {
	case pageROC:
		body = v.curveView(d, inner, room)
	case pageImportance:
		body = v.importanceView(d, inner, room)
	default:
		lines := v.metricsLines(mv, d, inner)
		if len(d.Evaluation.Confusion) > 0 && room-len(lines) >= 4 {
			lines = append(lines, "")
			lines = append(lines, strings.Split(v.confusionView(d, inner, room-len(lines)), "\n")...)
		}
		body = strings.Join(lines, "\n")
	}
	return panel(st.Panel, title, strings.Split(body, "\n"), width, height)
}

// panelOf draws a panel around what draw makes of its inner size.
func (v *mlview) panelOf(title string, width, height int, draw func(w, h int) string) string {
	st := v.sh.styles.Panel
	w, h := width-st.GetHorizontalFrameSize(), height-st.GetVerticalFrameSize()
	return panel(st, title, strings.Split(draw(max(0, w), max(0, h)), "\n"), width, height)
}

// untrainedLines describe a bundle's model that has no version yet.
func (v *mlview) untrainedLines(name string, width int) []string {
	st := v.sh.styles
	lines := []string{st.Subtitle.Render(name) + st.Muted.Render(" has no version yet"), ""}
	if v.sh.snap != nil && v.sh.snap.Missing {
		return append(lines, wrapped(st.Muted, "target "+v.sh.target+" has no data yet: run its job in the Engineer view (2, then r) first", width)...)
	}
	return append(lines, wrapped(st.Muted, "press r to train it on the table its registered_models entry names; the first version becomes the champion", width)...)
}

// metricsLines are a version's metrics in two columns when they fit, then
// how it was trained: by whom, when, on what, and whether it converged.
func (v *mlview) metricsLines(mv *ml.ModelVersion, d *ml.VersionDetail, width int) []string {
	st := v.sh.styles
	if mv == nil && d != nil {
		mv = &d.ModelVersion
	}
	if mv == nil {
		return nil
	}
	head := st.Subtitle.Render(fmt.Sprintf("%s v%d", mv.Name, mv.Version))
	if tags := v.aliasTags(mv); tags != "" {
		head += " " + tags
	}
	if mv.Status != "" && mv.Status != "READY" {
		head += " " + st.Bad.Render("✗ "+mv.Status)
	}
	lines := []string{cut(head, width)}
	values := mv.Metrics
	if d != nil && len(d.Evaluation.Values) > 0 {
		values = d.Evaluation.Values
	}
	keys := metricOrder(values)
	cell := func(k string) string {
		return st.Muted.Render(fmt.Sprintf("%-9s", metricLabel(k))) + " " + st.Number.Render(fmt.Sprintf("%7s", fmtMetric(values[k])))
	}
	if width >= 40 {
		half := (len(keys) + 1) / 2
		for i := range half {
			l := cell(keys[i])
			if j := i + half; j < len(keys) {
				l += "   " + cell(keys[j])
			}
			lines = append(lines, l)
		}
	} else {
		for _, k := range keys {
			lines = append(lines, cell(k))
		}
	}
	if len(keys) == 0 {
		lines = append(lines, st.Muted.Render("no metrics recorded"))
	}
	if d == nil {
		return lines
	}
	r := d.Run
	var who []string
	if mv.CreatedBy != "" {
		who = append(who, "by "+mv.CreatedBy)
	}
	if !mv.CreatedAt.IsZero() {
		who = append(who, ago(v.sh.now(), mv.CreatedAt)+" ago")
	}
	if r.Duration > 0 {
		who = append(who, "took "+duration(r.Duration))
	}
	lines = append(lines, "", st.Muted.Render(cut("trained "+strings.Join(who, " · "), width)))
	if r.Table != "" {
		src := r.Table + " · " + thousands(r.TableRows) + " rows"
		if r.TableDigest != "" {
			// "rowhash:1234…": the hash, as far as it fits.
			_, hash, ok := strings.Cut(r.TableDigest, ":")
			if !ok {
				hash = r.TableDigest
			}
			src += " · digest " + hash
		}
		lines = append(lines, st.Muted.Render(cut(src, width)))
	}
	fitLine := fmt.Sprintf("seed %d · %s", r.Spec.Seed, plural(r.Iterations, "iteration"))
	if r.Converged {
		lines = append(lines, st.Muted.Render(cut(fitLine+" · converged", width)))
	} else if r.Iterations > 0 {
		lines = append(lines, st.Muted.Render(cut(fitLine, width)), st.Warn.Render(cut("⚠ did not converge: raise max_iter", width)))
	}
	if r.Error != "" {
		lines = append(lines, wrapped(st.Bad, "✗ "+r.Error, width)...)
	}
	for _, w := range r.Warnings {
		lines = append(lines, st.Warn.Render(cut("⚠ "+w, width)))
	}
	return lines
}

// curveTitle names the curve panel: ROC for a classifier, the training
// loss for a regression (which has no ROC).
func (v *mlview) curveTitle(d *ml.VersionDetail) string {
	if len(d.Evaluation.ROC) > 0 {
		return "ROC"
	}
	return "training loss"
}

// curveView is the version's ROC curve against chance, or its training
// loss when it has none.
func (v *mlview) curveView(d *ml.VersionDetail, width, height int) string {
	c := chart.NewLine(v.cst)
	c.SetSize(width, height)
	if len(d.Evaluation.ROC) == 0 {
		c.Empty = "no loss recorded"
		c.XFormat = func(x float64) string { return fmt.Sprintf("%.0f", x) }
		c.SetSeries(chart.Series{Name: "loss per iteration", Points: lossPoints(&d.Run)})
		return c.View()
	}
	c.SetRange(0, 1, 0, 1)
	c.XFormat = func(x float64) string { return fmt.Sprintf("%.1f", x) }
	c.YFormat = c.XFormat
	name := fmt.Sprintf("v%d", d.Version)
	if auc, ok := d.Evaluation.Values["roc_auc"]; ok {
		name += " AUC " + fmtMetric(auc)
	}
	c.SetSeries(chart.Series{Name: name, Points: rocPoints(d.Evaluation.ROC)},
		chart.Series{Name: "chance", Marker: '·', Points: []chart.Point{{X: 0, Y: 0}, {X: 1, Y: 1}}})
	return c.View()
}

func rocPoints(roc []ml.ROCPoint) []chart.Point {
	pts := make([]chart.Point, len(roc))
	for i, p := range roc {
		pts[i] = chart.Point{X: p.FPR, Y: p.TPR}
	}
	return pts
}

func lossPoints(r *ml.Run) []chart.Point {
	pts := make([]chart.Point, len(r.Loss))
	for i, l := range r.Loss {
		pts[i] = chart.Point{X: float64(r.LossIteration(i)), Y: l}
	}
	return pts
}

func (v *mlview) confusionView(d *ml.VersionDetail, width, height int) string {
	c := chart.NewConfusion(v.cst)
	c.Empty = "a regression has no confusion matrix"
	c.SetSize(width, height)
	c.SetCounts(d.Evaluation.Classes, d.Evaluation.Confusion)
	return c.View()
}

// importanceView is the features by the magnitude of their standardised
// coefficient, largest first: signed for a model with one coefficient row
// (a bar left of the zero line pushes toward the negative class or a lower
// value), the largest magnitude over the classes for a multiclass one.
func (v *mlview) importanceView(d *ml.VersionDetail, width, height int) string {
	imp := slices.Clone(d.Evaluation.Importance)
	sort.SliceStable(imp, func(i, j int) bool { return math.Abs(imp[i].Weight) > math.Abs(imp[j].Weight) })
	signed := d.Model.SignedCoefficients()
	bars := make([]chart.Bar, len(imp))
	for i, x := range imp {
		w, ok := signed[x.Feature]
		if !ok {
			w = x.Weight
		}
		bars[i] = chart.Bar{Label: x.Feature, Value: w}
	}
	c := chart.NewBars(v.cst)
	c.Empty = "no importance recorded"
	c.LabelShare = 0.5
	c.SetSize(width, height)
	c.SetBars(bars)
	return c.View()
}

// trainStages are a training's steps in order (cv only with folds).
var trainStages = []string{"read", "prepare", "cv", "fit", "evaluate", "register"}

// trainView is a training in flight: its progress, steps and live loss
// curve; once ended, its outcome above the final curve.
func (v *mlview) trainView(width, height int) string {
	st, t := v.sh.styles, v.train
	inner := width - st.Panel.GetHorizontalFrameSize()
	room := height - st.Panel.GetVerticalFrameSize()
	end := t.ended
	if end.IsZero() {
		end = v.sh.now()
	}
	took := duration(end.Sub(t.started))
	var top string
	title := "training " + t.model
	switch {
	case t.ended.IsZero():
		info := fmt.Sprintf(" %s · %s", t.stage, took)
		if t.iter > 0 {
			info = fmt.Sprintf(" %s · iter %d · %s", t.stage, t.iter, took)
		}
		v.bar.Width = max(6, inner-2-lipgloss.Width(info))
		top = v.spin.View() + " " + v.bar.ViewAs(trainFraction(t)) + info
	case t.canceled:
		title += " · canceled"
		top = st.Warn.Render("⊘ canceled after " + took + ": no version registered")
	case t.err != nil:
		title += " · failed"
		top = st.Bad.Render("✗ ") + firstLine(t.err.Error())
	default:
		title = fmt.Sprintf("trained %s v%d", t.version.Name, t.version.Version)
		top = st.Good.Render("✓ registered v"+fmt.Sprint(t.version.Version)) + st.Muted.Render(" in "+took)
		if name, val, ok := keyMetric(t.version.Metrics); ok {
			top += st.Muted.Render(" · ") + name + " " + fmtMetric(val)
		}
	}
	var steps []string
	reached := slices.Index(trainStages, t.stage)
	for i, s := range trainStages {
		if s == "cv" && !t.cv {
			continue
		}
		mark := st.Muted.Render("·")
		switch {
		case i < reached || (!t.ended.IsZero() && t.err == nil && !t.canceled):
			mark = st.Good.Render("✓")
		case i == reached && t.ended.IsZero():
			mark = st.Running.Render("⟳")
		case i == reached && t.canceled:
			mark = st.Warn.Render("⊘")
		case i == reached:
			mark = st.Bad.Render("✗")
		}
		label := s
		if s == "cv" && t.fold > 0 {
			label = fmt.Sprintf("cv fold %d", t.fold)
		}
		steps = append(steps, mark+" "+label)
	}
	lines := []string{cut(top, inner), cut(strings.Join(steps, " "), inner)}
	lossLine := st.Muted.Render("loss per iteration")
	if n := len(t.loss); n > 0 {
		lossLine = st.Muted.Render("loss ") + fmt.Sprintf("%.4f", t.loss[n-1].Y) + st.Muted.Render(fmt.Sprintf(" at iteration %d", int(t.loss[n-1].X)))
		if n > 1 {
			lossLine += st.Muted.Render(fmt.Sprintf(" (from %.4f)", t.loss[0].Y))
		}
	}
	lines = append(lines, cut(lossLine, inner))
	c := chart.NewLine(v.cst)
	c.Empty = "waiting for the first iteration…"
	if !t.ended.IsZero() {
		c.Empty = "no iteration ran"
	}
	c.XFormat = func(x float64) string { return fmt.Sprintf("%.0f", x) }
	c.SetSize(inner, max(0, room-len(lines)-1))
	c.SetSeries(chart.Series{Points: t.loss})
	lines = append(lines, strings.Split(c.View(), "\n")...)
	if t.ended.IsZero() {
		lines = append(lines, st.Muted.Render("esc cancels: nothing is registered"))
	} else {
		lines = append(lines, st.Muted.Render("↑/↓ shows the versions"))
	}
	return panel(st.Panel, title, lines, width, height)
}

// trainFraction is how far a training is: its step, and within the fit
// its iterations against the default bound of 100.
func trainFraction(t *training) float64 {
	i := slices.Index(trainStages, t.stage)
	if i < 0 {
		return 0
	}
	within := 0.0
	if t.stage == "fit" || t.stage == "cv" {
		within = math.Min(1, float64(t.iter)/100)
	}
	return (float64(i) + within) / float64(len(trainStages))
}

// compareView sets the champion and the challenger side by side: their
// metrics with the change, the coefficients that moved most and, when
// there is room, their ROC curves on one chart.
func (v *mlview) compareView(width, height int) string {
	st := v.sh.styles
	alias, _ := v.challenger()
	c := v.cmp
	if c == nil {
		msg := st.Muted.Render("comparing…")
		if v.cmpErr != "" {
			msg = st.Bad.Render("✗ ") + v.cmpErr
		}
		return panel(st.Panel, "champion vs "+alias, wrapped(lipgloss.NewStyle(), msg, width-4), width, height)
	}
	title := fmt.Sprintf("%s: champion v%d vs %s v%d", c.Name, c.A.Version, alias, c.B.Version)
	chartW := 0
	if width >= 100 && height >= 14 {
		chartW = width * 2 / 5
	}
	tw := width - chartW
	inner := tw - st.Panel.GetHorizontalFrameSize()
	room := height - st.Panel.GetVerticalFrameSize()
	col := 10
	nameW := max(10, min(24, inner-3*col-1))
	// row lays out a line of the table; d comes padded (and styled).
	row := func(name, a, b, d string) string {
		return fit(name, nameW) + right(a, col) + right(b, col) + d
	}
	lines := []string{st.Header.Render(row("metric", fmt.Sprintf("v%d", c.A.Version), fmt.Sprintf("v%d", c.B.Version), right("Δ", col)))}
	av, bv := c.A.Evaluation.Values, c.B.Evaluation.Values
	if len(av) == 0 {
		av = c.A.Metrics
	}
	if len(bv) == 0 {
		bv = c.B.Metrics
	}
	for _, k := range metricOrder(av, bv) {
		a, aok := av[k]
		b, bok := bv[k]
		as, bs := "—", "—"
		if aok {
			as = fmtMetric(a)
		}
		if bok {
			bs = fmtMetric(b)
		}
		d, dok := c.MetricDeltas[k]
		if !dok && aok && bok {
			d, dok = b-a, true
		}
		ds := right("", col)
		switch {
		case dok && d == 0:
			ds = st.Muted.Render(right("=", col))
		case dok:
			// ▲ better, ▼ worse: log loss and errors are better lower.
			mark, style := "▼", st.Bad
			if (d > 0) != lowerIsBetter[k] {
				mark, style = "▲", st.Good
			}
			ds = style.Render(right(mark+fmt.Sprintf("%+.3f", d), col))
		}
		lines = append(lines, row(metricLabel(k), as, bs, ds))
	}
	same := true
	for _, ch := range c.CoefChanges {
		same = same && ch.Delta == 0
	}
	if same && len(c.CoefChanges) > 0 && room-len(lines) >= 2 {
		lines = append(lines, "", st.Good.Render(fmt.Sprintf("= the %d coefficients are identical", len(c.CoefChanges))))
	} else if n := room - len(lines) - 2; n > 0 && len(c.CoefChanges) > 0 {
		lines = append(lines, "", st.Header.Render(row("coefficient", fmt.Sprintf("v%d", c.A.Version), fmt.Sprintf("v%d", c.B.Version), right("Δ", col))))
		for i, ch := range c.CoefChanges {
			if i >= n-1 {
				lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d more", len(c.CoefChanges)-i)))
				break
			}
			name := ch.Feature
			if ch.Class != "" {
				name += " (" + ch.Class + ")"
			}
			lines = append(lines, row(name, chart.Number(ch.A), chart.Number(ch.B), right(fmt.Sprintf("%+.3f", ch.Delta), col)))
		}
	}
	table := panel(st.Panel, title, lines, tw, height)
	if chartW == 0 {
		return table
	}
	roc := v.panelOf("ROC", chartW, height, func(w, h int) string {
		ch := chart.NewLine(v.cst)
		ch.SetSize(w, h)
		ch.SetRange(0, 1, 0, 1)
		ch.XFormat = func(x float64) string { return fmt.Sprintf("%.1f", x) }
		ch.YFormat = ch.XFormat
		ch.Empty = "no ROC curves: a regression"
		if len(c.A.Evaluation.ROC) > 0 || len(c.B.Evaluation.ROC) > 0 {
			ch.SetSeries(chart.Series{Name: fmt.Sprintf("v%d champion", c.A.Version), Points: rocPoints(c.A.Evaluation.ROC)},
				chart.Series{Name: fmt.Sprintf("v%d %s", c.B.Version, alias), Marker: '•', Points: rocPoints(c.B.Evaluation.ROC)})
		}
		return ch.View()
	})
	return lipgloss.JoinHorizontal(lipgloss.Top, table, roc)
}

// scoresView is the top of the latest scoring: the rows with the highest
// score, highest first.
func (v *mlview) scoresView(width, height int) string {
	st, s := v.sh.styles, v.scored
	inner := width - st.Panel.GetHorizontalFrameSize()
	room := height - st.Panel.GetVerticalFrameSize()
	sc := s.Scoring
	by := fmt.Sprintf("v%d", sc.Version)
	if sc.Alias != "" {
		by += " (" + sc.Alias + ")"
	}
	head := fmt.Sprintf("scored %s ago by %s · %s rows of %s → %s", ago(v.sh.now(), sc.ScoredAt), by, thousands(sc.Rows), sc.Table, sc.Out)
	lines := wrapped(st.Muted, head, inner)
	widths := make([]int, len(s.Columns))
	for i, c := range s.Columns {
		widths[i] = lipgloss.Width(c)
		for _, r := range s.Rows {
			if i < len(r) {
				widths[i] = max(widths[i], lipgloss.Width(r[i]))
			}
		}
		widths[i] = min(widths[i], 24)
	}
	cols, used := 0, 0
	for i, w := range widths {
		if i > 0 {
			w += 2
		}
		if used+w > inner && cols > 0 {
			break
		}
		cols, used = cols+1, used+w
	}
	line := func(cells []string, style func(i int, s string) string) string {
		var b strings.Builder
		for i := range cols {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(style(i, fit(c, widths[i])))
		}
		return cut(b.String(), inner)
	}
	lines = append(lines, "", line(s.Columns, func(_ int, c string) string { return st.Header.Render(c) }))
	score := slices.Index(s.Columns, s.Score)
	shown := s.Rows
	if n := room - len(lines); len(shown) > n {
		shown = shown[:max(0, n-1)]
	}
	for _, r := range shown {
		lines = append(lines, line(r, func(i int, c string) string {
			if i == score {
				return st.Warn.Render(c)
			}
			return c
		}))
	}
	if len(shown) < len(s.Rows) {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d more of the top %d", len(s.Rows)-len(shown), len(s.Rows))))
	}
	if len(s.Rows) == 0 {
		lines = append(lines, st.Muted.Render("the scoring wrote no rows"))
	}
	return panel(st.Panel, "top risk · "+sc.Name, lines, width, height)
}

// wrapped wraps text to width and styles each line.
func wrapped(st lipgloss.Style, text string, width int) []string {
	lines := strings.Split(wrapText(text, width), "\n")
	for i, l := range lines {
		lines[i] = st.Render(l)
	}
	return lines
}
