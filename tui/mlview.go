package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/ml"
	"github.com/lakebench/lakebench/tui/chart"
)

// The ML view's modes: what its right-hand side shows.
const (
	mlDetail  = iota // the selected version: metrics, confusion, ROC, importance
	mlTrain          // a training in progress (or just ended): loss curve and progress
	mlCompare        // champion and challenger side by side
	mlScores         // the top-risk rows of the latest scoring
)

// The pages of the detail on screens too small for all four panels.
const (
	pageMetrics = iota
	pageROC
	pageImportance
	mlPages
)

var mlPageNames = [mlPages]string{"metrics", "ROC", "importance"}

// The aliases the view moves and compares.
const (
	aliasChampion   = "champion"
	aliasChallenger = "challenger"
)

// topRisk is how many of the highest-scored rows the view shows.
const topRisk = 50

type mlKeys struct {
	navKeys
	Train   key.Binding
	Promote key.Binding
	Score   key.Binding
	Risk    key.Binding
	Compare key.Binding
	Cancel  key.Binding
	Yes     key.Binding
	No      key.Binding
}

// Messages owned by the ML view. Each carries the target it was read on:
// a message from a target switched away from is dropped.
type (
	mlStateMsg struct {
		target string
		seq    int
		state  *MLState
		err    error
	}
	mlDetailMsg struct {
		target string
		ref    mlRef
		detail *ml.VersionDetail
		err    error
	}
	mlTrainMsg struct {
		seq int
		p   ml.Progress
		ch  <-chan tea.Msg
	}
	mlTrainDoneMsg struct {
		seq     int
		version *ml.ModelVersion
		err     error
	}
	mlPromotedMsg struct {
		target string
		ref    mlRef
		alias  string
		err    error
	}
	mlScoredMsg struct {
		target string
		name   string
		scored *Scored
		// fresh is a scoring just made (s), else the latest read; show
		// opens it (s, p), else it is the preview tall screens show.
		fresh bool
		show  bool
		err   error
	}
	mlCompareMsg struct {
		target string
		cmp    *ml.Comparison
		err    error
	}
)

func (mlStateMsg) owner() viewID     { return mlView }
func (mlDetailMsg) owner() viewID    { return mlView }
func (mlTrainMsg) owner() viewID     { return mlView }
func (mlTrainDoneMsg) owner() viewID { return mlView }
func (mlPromotedMsg) owner() viewID  { return mlView }
func (mlScoredMsg) owner() viewID    { return mlView }
func (mlCompareMsg) owner() viewID   { return mlView }

// mlRef names a version of a model; version 0 is a model not trained yet.
type mlRef struct {
	name    string
	version int
}

func (r mlRef) String() string { return fmt.Sprintf("%s v%d", r.name, r.version) }

// mlRow is a line of the models list: a model (version 0) or a version.
type mlRow struct {
	model   string
	version int
}

// training is a training run in flight, or the last one (ended set).
type training struct {
	seq      int
	model    string
	cancel   context.CancelFunc
	started  time.Time
	ended    time.Time
	stage    string
	fold     int
	iter     int
	loss     []chart.Point
	cv       bool // cross-validation folds ran
	canceled bool
	err      error
	version  *ml.ModelVersion
}

// promotion is a promotion waiting for y or n.
type promotion struct {
	ref  mlRef
	from int // the version that has the alias now, 0 if none
}

type mlview struct {
	sh     *shared
	keys   mlKeys
	width  int
	height int

	state   *MLState
	stateOf string
	loadErr string
	// loading is set while the read stateSeq numbers is under way.
	loading  bool
	stateSeq int
	rows     []mlRow
	cursor   int
	// follow is a row to select once the registry read shows it (the
	// version just trained).
	follow *mlRow
	mode   int
	page   int

	details   map[mlRef]*ml.VersionDetail
	detailErr map[mlRef]string

	seq       int
	train     *training
	ask       *promotion
	promoting bool
	scoring   bool
	scored    *Scored
	cmp       *ml.Comparison
	cmpErr    string
	// want is a model a presentation step selects, until the registry
	// read shows it (present_select.go).
	want string

	spin spinner.Model
	bar  progress.Model
	cst  chart.Styles
}

func newMLView(sh *shared) *mlview {
	v := &mlview{sh: sh, details: map[mlRef]*ml.VersionDetail{}, detailErr: map[mlRef]string{}}
	v.keys = mlKeys{
		navKeys: newNavKeys(""),
		Train:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "train")),
		Promote: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "make champion")),
		Score:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "score")),
		Risk:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "top risk")),
		Compare: key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "champion vs challenger")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel training"), key.WithDisabled()),
		Yes:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "promote"), key.WithDisabled()),
		No:      key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "keep"), key.WithDisabled()),
	}
	v.keys.Left.SetHelp("←/→", "page")
	v.keys.Enter.SetEnabled(false)
	v.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(sh.styles.Running))
	v.bar = progress.New(progress.WithSolidFill(sh.styles.ProgressFull), progress.WithoutPercentage(),
		progress.WithFillCharacters('█', '░'))
	v.bar.EmptyColor = sh.styles.ProgressEmpty
	st := sh.styles
	v.cst = chart.Styles{Axis: st.Muted, Label: st.Muted, Muted: st.Muted, Series: []lipgloss.Style{st.Running, st.Warn},
		Bar: st.Arrow, Negative: st.Bad, Header: st.Subtitle, Hit: st.Good}
	return v
}

func (v *mlview) SetSize(w, h int) { v.width, v.height = w, h }
func (v *mlview) Busy() bool       { return v.training() || v.promoting || v.scoring }
func (v *mlview) Capturing() bool  { return v.ask != nil }
func (v *mlview) training() bool   { return v.train != nil && v.train.ended.IsZero() }

// SetSnapshot reads the registry again with every load of the target.
func (v *mlview) SetSnapshot(s *Snapshot) tea.Cmd {
	if s == nil || v.training() {
		return nil
	}
	if s.Target != v.stateOf {
		v.state, v.details, v.detailErr, v.scored, v.cmp, v.mode = nil, map[mlRef]*ml.VersionDetail{}, map[mlRef]string{}, nil, nil, mlDetail
	}
	return v.loadState()
}

// loadState reads the registry; only the latest read shows.
func (v *mlview) loadState() tea.Cmd {
	v.loading = true
	v.stateSeq++
	b, target, seq := v.sh.backend, v.sh.target, v.stateSeq
	return func() tea.Msg {
		s, err := b.ML(context.Background(), target)
		return mlStateMsg{target: target, seq: seq, state: s, err: err}
	}
}

// model is the registered model called name, or nil.
func (v *mlview) model(name string) *MLModel {
	if v.state == nil {
		return nil
	}
	for i := range v.state.Models {
		if v.state.Models[i].Name == name {
			return &v.state.Models[i]
		}
	}
	return nil
}

// rebuild lays out the list: each registered model then its versions; the
// bundle's models not trained yet too, so t can train them. The cursor
// stays on the row it was on.
func (v *mlview) rebuild() {
	var was mlRow
	if v.cursor < len(v.rows) {
		was = v.rows[v.cursor]
	}
	v.rows = nil
	seen := map[string]bool{}
	if v.state != nil {
		for _, m := range v.state.Models {
			seen[m.Name] = true
			v.rows = append(v.rows, mlRow{model: m.Name})
			for _, mv := range m.Versions {
				v.rows = append(v.rows, mlRow{model: m.Name, version: mv.Version})
			}
		}
	}
	for _, n := range v.sh.info.RegisteredModels {
		if !seen[n] {
			v.rows = append(v.rows, mlRow{model: n})
		}
	}
	if v.follow != nil {
		for i, r := range v.rows {
			if r == *v.follow {
				v.cursor, v.follow = i, nil
				return
			}
		}
	}
	v.cursor = 0
	for i, r := range v.rows {
		if r == was {
			v.cursor = i
			return
		}
	}
	// First view of the list: the first model's champion.
	if was == (mlRow{}) && len(v.rows) > 0 {
		if m := v.model(v.rows[0].model); m != nil {
			if c, ok := m.Aliases[aliasChampion]; ok {
				for i, r := range v.rows {
					if r.model == m.Name && r.version == c {
						v.cursor = i
					}
				}
			}
		}
	}
}

// selected is the row under the cursor.
func (v *mlview) selected() (mlRow, bool) {
	if v.cursor < len(v.rows) {
		return v.rows[v.cursor], true
	}
	return mlRow{}, false
}

// shown is the version the detail shows: the selected version, or on a
// model's row its champion, else its latest version; version 0 if none.
func (v *mlview) shown() mlRef {
	r, ok := v.selected()
	if !ok {
		return mlRef{}
	}
	if r.version != 0 {
		return mlRef{r.model, r.version}
	}
	m := v.model(r.model)
	if m == nil || len(m.Versions) == 0 {
		return mlRef{name: r.model}
	}
	if c, ok := m.Aliases[aliasChampion]; ok {
		return mlRef{r.model, c}
	}
	return mlRef{r.model, m.Versions[0].Version}
}

// version is the listed version ref names, or nil.
func (v *mlview) version(ref mlRef) *ml.ModelVersion {
	m := v.model(ref.name)
	if m == nil {
		return nil
	}
	for i := range m.Versions {
		if m.Versions[i].Version == ref.version {
			return &m.Versions[i]
		}
	}
	return nil
}

// loadDetail reads the shown version's detail unless it was read.
func (v *mlview) loadDetail() tea.Cmd {
	ref := v.shown()
	if ref.version == 0 || v.details[ref] != nil || v.detailErr[ref] != "" {
		return nil
	}
	b, target := v.sh.backend, v.sh.target
	return func() tea.Msg {
		d, err := b.MLVersion(context.Background(), target, ref.name, ref.version)
		return mlDetailMsg{target: target, ref: ref, detail: d, err: err}
	}
}

// wide is true when the detail's four panels fit side by side.
func (v *mlview) wide() bool {
	lw := v.listWidth()
	return v.width-lw >= 76 && v.height >= 22
}

func (v *mlview) ShortHelp() []key.Binding {
	v.syncKeys()
	if v.ask != nil {
		return []key.Binding{v.keys.Yes, v.keys.No}
	}
	return []key.Binding{v.keys.Train, v.keys.Cancel, v.keys.Promote, v.keys.Score, v.keys.Risk, v.keys.Compare, v.keys.Back, v.keys.Up, v.keys.Left}
}

func (v *mlview) FullHelp() [][]key.Binding {
	v.syncKeys()
	// esc keeps a group of its own: help hides a one-letter key that a
	// longer key of its group contains (c and s in esc).
	return [][]key.Binding{
		{v.keys.Train, v.keys.Promote, v.keys.Score, v.keys.Risk, v.keys.Compare},
		{v.keys.Cancel, v.keys.Back, v.keys.Yes, v.keys.No},
		{v.keys.Up, v.keys.Down, v.keys.Left, v.keys.Right},
	}
}

// syncKeys enables the keys that apply now, so help stays true.
func (v *mlview) syncKeys() {
	k := &v.keys
	idle := !v.Busy() && v.ask == nil
	r, ok := v.selected()
	ref := v.shown()
	var m *MLModel
	if ok {
		m = v.model(r.model)
	}
	inBundle := ok && slices.Contains(v.sh.info.RegisteredModels, r.model)
	k.Train.SetEnabled(idle && inBundle && v.sh.snap != nil && !v.sh.snap.Missing)
	if ok {
		k.Train.SetHelp("r", "train "+r.model)
	}
	mv := v.version(mlRef{r.model, r.version})
	k.Promote.SetEnabled(idle && mv != nil && mv.Status != "FAILED" && m.Aliases[aliasChampion] != mv.Version)
	hasChampion := m != nil && m.Aliases[aliasChampion] != 0
	k.Score.SetEnabled(idle && hasChampion && inBundle)
	k.Risk.SetEnabled(idle && m != nil && m.Scoring != nil && v.mode != mlScores)
	_, other := v.challenger()
	k.Compare.SetEnabled(idle && hasChampion && other != 0 && v.mode != mlCompare)
	k.Cancel.SetEnabled(v.training())
	k.Back.SetEnabled(!v.training() && v.ask == nil && v.mode != mlDetail)
	k.Yes.SetEnabled(v.ask != nil)
	k.No.SetEnabled(v.ask != nil)
	paged := v.mode == mlDetail && !v.wide() && ref.version != 0
	k.Left.SetEnabled(paged)
	k.Right.SetEnabled(paged)
	k.Up.SetEnabled(v.ask == nil && len(v.rows) > 1)
	k.Down.SetEnabled(v.ask == nil && len(v.rows) > 1)
}

// challenger is the version compared with the champion: the challenger
// alias, else the selected version when it is not the champion; alias
// says which.
func (v *mlview) challenger() (alias string, version int) {
	r, ok := v.selected()
	if !ok {
		return "", 0
	}
	m := v.model(r.model)
	if m == nil {
		return "", 0
	}
	champ := m.Aliases[aliasChampion]
	if c := m.Aliases[aliasChallenger]; c != 0 && c != champ {
		return aliasChallenger, c
	}
	if ref := v.shown(); ref.version != 0 && ref.version != champ {
		return "selected", ref.version
	}
	return "", 0
}

// Update handles the ML view's keys and its own messages.
func (v *mlview) Update(msg tea.Msg) tea.Cmd {
	v.syncKeys()
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.key(msg)
	case cancelMsg:
		if v.training() {
			v.train.canceled = true
			v.train.cancel()
		}
	case mlStateMsg:
		if msg.target != v.sh.target || msg.seq != v.stateSeq {
			return nil
		}
		v.loading = false
		if msg.err != nil {
			v.loadErr = msg.err.Error()
			v.rebuild()
			return nil
		}
		v.state, v.stateOf, v.loadErr = msg.state, msg.target, ""
		// A version's run and evaluation never change (its aliases, which
		// do, come from the list): details read stay, failed reads are
		// tried again.
		v.detailErr = map[mlRef]string{}
		v.rebuild()
		if v.mode == mlCompare && v.cmp != nil {
			// A promotion since: the comparison no longer says which is
			// the champion.
			r, _ := v.selected()
			_, other := v.challenger()
			if m := v.model(r.model); m == nil || m.Aliases[aliasChampion] != v.cmp.A.Version || other != v.cmp.B.Version {
				v.mode, v.cmp = mlDetail, nil
			}
		}
		v.pickModel()
		return tea.Batch(v.loadDetail(), v.loadTop())
	case mlDetailMsg:
		if msg.target != v.sh.target {
			return nil
		}
		if msg.err != nil {
			v.detailErr[msg.ref] = msg.err.Error()
			return nil
		}
		v.details[msg.ref] = msg.detail
	case mlTrainMsg:
		if v.train == nil || msg.seq != v.train.seq {
			return nil
		}
		v.progress(msg.p)
		return waitFor(msg.ch)
	case mlTrainDoneMsg:
		if v.train == nil || msg.seq != v.train.seq {
			return nil
		}
		return v.trained(msg)
	case mlPromotedMsg:
		v.promoting = false
		if msg.err != nil {
			return flash(msg.err.Error(), true)
		}
		return tea.Batch(flash(fmt.Sprintf("%s is now %s's %s", msg.ref, msg.ref.name, msg.alias), false), v.loadState())
	case mlScoredMsg:
		if msg.fresh {
			v.scoring = false
		}
		if msg.target != v.sh.target {
			return nil
		}
		if msg.err != nil {
			if !msg.show {
				return nil // the preview stays away; p says why
			}
			return flash(msg.err.Error(), true)
		}
		v.scored = msg.scored
		if msg.show {
			v.mode = mlScores
		}
		if msg.fresh {
			sc := msg.scored.Scoring
			return tea.Batch(flash(fmt.Sprintf("scored %s rows of %s with %s v%d into %s", thousands(sc.Rows), sc.Table, sc.Name, sc.Version, sc.Out), false),
				v.loadState())
		}
	case mlCompareMsg:
		if msg.target != v.sh.target {
			return nil
		}
		v.cmp, v.cmpErr = msg.cmp, ""
		if msg.err != nil {
			v.cmp, v.cmpErr = nil, msg.err.Error()
		}
	case spinner.TickMsg:
		if !v.Busy() || msg.ID != v.spin.ID() {
			return nil
		}
		var cmd tea.Cmd
		v.spin, cmd = v.spin.Update(msg)
		return cmd
	}
	return nil
}

func (v *mlview) key(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	if v.ask != nil {
		switch {
		case key.Matches(msg, k.Yes):
			return v.promote()
		case key.Matches(msg, k.No):
			v.ask = nil
			return flash("promotion canceled: nothing moved", false)
		}
		return nil
	}
	if s := msg.String(); (s == "r" || s == "s") && !v.Busy() {
		if r, ok := v.selected(); ok && !slices.Contains(v.sh.info.RegisteredModels, r.model) {
			what := map[string]string{"r": "trains", "s": "scores"}[s]
			return flash(fmt.Sprintf("%s is not in lakebench.yml's registered_models, which the ML view %s: use lakebench train/models predict, or add it there", r.model, what), true)
		}
	}
	switch {
	case key.Matches(msg, k.Cancel):
		v.train.canceled = true
		v.train.cancel()
		return flash("canceling the training…", false)
	case key.Matches(msg, k.Back):
		v.mode = mlDetail
	case key.Matches(msg, k.Up):
		v.cursor = max(0, v.cursor-1)
		return v.selectionMoved()
	case key.Matches(msg, k.Down):
		v.cursor = max(0, min(len(v.rows)-1, v.cursor+1))
		return v.selectionMoved()
	case key.Matches(msg, k.Left):
		v.page = (v.page + mlPages - 1) % mlPages
	case key.Matches(msg, k.Right):
		v.page = (v.page + 1) % mlPages
	case key.Matches(msg, k.Train):
		r, _ := v.selected()
		return v.startTraining(r.model)
	case key.Matches(msg, k.Promote):
		r, _ := v.selected()
		v.ask = &promotion{ref: mlRef{r.model, r.version}, from: v.model(r.model).Aliases[aliasChampion]}
	case key.Matches(msg, k.Score):
		r, _ := v.selected()
		v.scoring = true
		b, target := v.sh.backend, v.sh.target
		return tea.Batch(v.spin.Tick, flash("scoring "+r.model+"'s table with its champion…", false), func() tea.Msg {
			s, err := b.Score(context.Background(), target, r.model, topRisk)
			return mlScoredMsg{target: target, name: r.model, scored: s, fresh: true, show: true, err: err}
		})
	case key.Matches(msg, k.Risk):
		r, _ := v.selected()
		b, target := v.sh.backend, v.sh.target
		return func() tea.Msg {
			s, err := b.TopScored(context.Background(), target, r.model, topRisk)
			return mlScoredMsg{target: target, name: r.model, scored: s, show: true, err: err}
		}
	case key.Matches(msg, k.Compare):
		r, _ := v.selected()
		champ := v.model(r.model).Aliases[aliasChampion]
		_, other := v.challenger()
		v.mode, v.cmp, v.cmpErr = mlCompare, nil, ""
		b, target := v.sh.backend, v.sh.target
		return func() tea.Msg {
			c, err := b.Compare(context.Background(), target, r.model, champ, other)
			return mlCompareMsg{target: target, cmp: c, err: err}
		}
	}
	return nil
}

// selectionMoved shows the newly selected version: its detail is read if
// it was not, and a comparison follows the selection.
func (v *mlview) selectionMoved() tea.Cmd {
	if v.mode == mlTrain && !v.training() {
		v.mode = mlDetail
	}
	if v.mode == mlScores {
		if r, ok := v.selected(); !ok || v.scored == nil || r.model != v.scored.Scoring.Name {
			v.mode = mlDetail
		}
	}
	return tea.Batch(v.loadDetail(), v.loadTop())
}

// loadTop reads the top of the selected model's latest scoring, for the
// preview tall screens show, unless it was read.
func (v *mlview) loadTop() tea.Cmd {
	r, ok := v.selected()
	if !ok {
		return nil
	}
	m := v.model(r.model)
	if m == nil || m.Scoring == nil || (v.scored != nil && v.scored.Scoring == *m.Scoring) {
		return nil
	}
	b, target := v.sh.backend, v.sh.target
	return func() tea.Msg {
		s, err := b.TopScored(context.Background(), target, r.model, topRisk)
		return mlScoredMsg{target: target, name: r.model, scored: s, err: err}
	}
}

// promote moves the champion alias to the version asked about.
func (v *mlview) promote() tea.Cmd {
	ask := v.ask
	v.ask, v.promoting = nil, true
	b, target := v.sh.backend, v.sh.target
	return func() tea.Msg {
		err := b.Promote(context.Background(), target, ask.ref.name, aliasChampion, ask.ref.version)
		return mlPromotedMsg{target: target, ref: ask.ref, alias: aliasChampion, err: err}
	}
}

// startTraining trains model in the background with its own context,
// whose cancel Esc calls; progress streams back over a channel.
func (v *mlview) startTraining(model string) tea.Cmd {
	v.seq++
	ctx, cancel := context.WithCancel(context.Background())
	v.train = &training{seq: v.seq, model: model, cancel: cancel, started: v.sh.now(), stage: "read"}
	v.mode = mlTrain
	b, target, seq := v.sh.backend, v.sh.target, v.seq
	ch := make(chan tea.Msg, 256)
	start := func() tea.Msg {
		go func() {
			defer cancel()
			mv, err := b.Train(ctx, target, model, func(p ml.Progress) {
				select {
				case ch <- mlTrainMsg{seq: seq, p: p, ch: ch}:
				case <-ctx.Done():
				}
			})
			ch <- mlTrainDoneMsg{seq: seq, version: mv, err: err}
			close(ch)
		}()
		return <-ch
	}
	return tea.Batch(start, v.spin.Tick)
}

// progress records a training step: the final fit's loss per iteration
// (a cross-validation fold's while the folds run).
func (v *mlview) progress(p ml.Progress) {
	t := v.train
	if p.Stage != t.stage || p.Fold != t.fold {
		if p.Stage == "fit" || p.Stage == "cv" {
			t.loss = nil
		}
		t.stage, t.fold = p.Stage, p.Fold
		t.cv = t.cv || p.Stage == "cv"
	}
	if p.Stage == "fit" || p.Stage == "cv" {
		// From iteration 0, the starting point, as the stored curve
		// (ml.Run.LossIteration).
		t.iter = p.Iter
		t.loss = append(t.loss, chart.Point{X: float64(p.Iter), Y: p.Loss})
	}
}

// trained ends a training: the new version is selected, or the footer
// says why there is none.
func (v *mlview) trained(msg mlTrainDoneMsg) tea.Cmd {
	t := v.train
	t.ended, t.err, t.version = v.sh.now(), msg.err, msg.version
	took := duration(t.ended.Sub(t.started))
	// An esc that came once the version was written cancels nothing: the
	// version stands, and the view says so.
	late := t.canceled && msg.err == nil && msg.version != nil
	switch {
	case late:
		t.canceled = false
	case t.canceled || errors.Is(msg.err, context.Canceled):
		t.canceled = true
		return flash("training "+t.model+" canceled after "+took+": no version registered", true)
	case msg.err != nil:
		return flash(firstLine(msg.err.Error()), true)
	}
	mv := msg.version
	text := fmt.Sprintf("%s v%d registered in %s", mv.Name, mv.Version, took)
	if late {
		text = "too late to cancel: " + text
	}
	if name, val, ok := keyMetric(mv.Metrics); ok {
		text += fmt.Sprintf(": %s %s", name, fmtMetric(val))
	}
	if slices.Contains(mv.Aliases, aliasChampion) {
		text += " · it is the champion (the model's first)"
	} else {
		text += " · c makes it the champion"
	}
	// The list shows the new version once read; the cursor goes to it.
	v.follow = &mlRow{model: mv.Name, version: mv.Version}
	return tea.Batch(flash(text, false), v.loadState())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
