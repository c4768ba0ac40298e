package tui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/lakebench/lakebench/ml"
)

// The ML view's tests draw it from plain values, as a registry would send
// them: the messages its commands return. The registry itself is tested in
// ml; TestMLWorkspace below goes through the real one.

// mlFixture is a registry with a churn model: v1 failed, v2 the
// champion, v3 the challenger, scored an hour ago by v2.
func mlFixture() *MLState {
	at := func(h int) time.Time { return t0.Add(-time.Duration(h) * time.Hour) }
	return &MLState{Target: testInfo.Target, Models: []MLModel{{
		RegisteredModel: ml.RegisteredModel{Name: "churn", Task: ml.Classification, LatestVersion: 3, Versions: 3,
			Aliases: map[string]int{"champion": 2, "challenger": 3}, UpdatedAt: at(2)},
		Versions: []ml.ModelVersion{
			{Name: "churn", Version: 3, Status: "READY", CreatedBy: "chloe", CreatedAt: at(2), Aliases: []string{"challenger"},
				Metrics: map[string]float64{"roc_auc": 0.8124, "accuracy": 0.781, "f1": 0.64}},
			{Name: "churn", Version: 2, Status: "READY", CreatedBy: "ben", CreatedAt: at(26), Aliases: []string{"champion"},
				Metrics: map[string]float64{"roc_auc": 0.8071, "accuracy": 0.774, "f1": 0.61}},
			{Name: "churn", Version: 1, Status: "FAILED", CreatedBy: "ben", CreatedAt: at(50)},
		},
		Scoring: &ml.Scoring{Name: "churn", Version: 2, Alias: "champion", Table: "gold.customer_features",
			Out: "ml.churn_predictions", Rows: 3012, ScoredAt: at(1)},
	}}}
}

// versionFixture is version v of the fixture with its run and evaluation.
func versionFixture(v int) *ml.VersionDetail {
	s := mlFixture()
	var mv ml.ModelVersion
	for _, x := range s.Models[0].Versions {
		if x.Version == v {
			mv = x
		}
	}
	shift := float64(v) * 0.01
	loss := make([]float64, 18)
	for i := range loss {
		loss[i] = 0.45 + 0.243*math.Exp(-float64(i)/3)
	}
	return &ml.VersionDetail{ModelVersion: mv,
		Run: ml.Run{ID: fmt.Sprintf("run-%d", v), Experiment: "churn", Status: "FINISHED",
			Spec:  ml.Spec{Name: "churn", Table: "gold.customer_features", Label: "churned", Seed: 42},
			Table: "gold.customer_features", TableRows: 3012, TableDigest: "9f3c2a71d0e4b5c6", Principal: mv.CreatedBy,
			Duration: 1800 * time.Millisecond, Loss: loss, Iterations: 18, Converged: true},
		Evaluation: ml.Metrics{
			Values: map[string]float64{"roc_auc": mv.Metrics["roc_auc"], "accuracy": mv.Metrics["accuracy"], "precision": 0.702,
				"recall": 0.571 + shift, "f1": mv.Metrics["f1"], "log_loss": 0.468},
			Classes:   []string{"false", "true"},
			Confusion: [][]int64{{431, 40}, {125, 157 + int64(v)}},
			ROC: []ml.ROCPoint{{FPR: 0, TPR: 0}, {FPR: 0.04, TPR: 0.31}, {FPR: 0.1, TPR: 0.5 + shift}, {FPR: 0.2, TPR: 0.68},
				{FPR: 0.35, TPR: 0.82}, {FPR: 0.6, TPR: 0.93}, {FPR: 1, TPR: 1}},
			Importance: []ml.Importance{{Feature: "recency_days", Weight: 1.12}, {Feature: "frequency", Weight: 0.71},
				{Feature: "tickets", Weight: 0.44}, {Feature: "monetary", Weight: 0.32}, {Feature: "region=north", Weight: 0.12},
				{Feature: "avg_discount", Weight: 0.08 + shift}, {Feature: "region=south", Weight: 0.05}},
		}}
}

// scoredFixture is the top of the fixture's latest scoring.
func scoredFixture() *Scored {
	rows := make([][]string, 30)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("C%05d", 1000+i*37), fmt.Sprintf("%.3f", 0.97-float64(i)*0.011), "true", fmt.Sprint(40 + i)}
	}
	return &Scored{Scoring: *mlFixture().Models[0].Scoring, Score: "prob_true",
		Columns: []string{"customer_id", "prob_true", "prediction", "recency_days"}, Rows: rows}
}

// stateMsg is the answer to the view's latest registry read.
func stateMsg(m *Model, s *MLState, err error) mlStateMsg {
	return mlStateMsg{target: testInfo.Target, seq: mlOf(m).stateSeq, state: s, err: err}
}

// mlModel is a root model at w x h on the ML view with the fixture read.
func mlModel(t *testing.T, w, h int) *Model {
	t.Helper()
	m := newTestModel(t, w, h)
	m.Update(keyMsg("3"))
	_, cmd := m.Update(stateMsg(m, mlFixture(), nil))
	if cmd == nil {
		t.Fatal("the registry read: no command to read the shown version")
	}
	m.Update(mlDetailMsg{target: testInfo.Target, ref: mlRef{"churn", 2}, detail: versionFixture(2)})
	m.Update(mlScoredMsg{target: testInfo.Target, name: "churn", scored: scoredFixture()})
	return m
}

func mlOf(m *Model) *mlview { return m.views[mlView].(*mlview) }

// send feeds keys and then messages to m.
func send(m *Model, msgs ...tea.Msg) {
	for _, msg := range msgs {
		if s, ok := msg.(string); ok {
			msg = keyMsg(s)
		}
		m.Update(msg)
	}
}

// trainTo starts training churn and feeds n iterations of the fit.
func trainTo(m *Model, n int) {
	send(m, "up", "r")
	v := mlOf(m)
	seq := v.train.seq
	send(m, mlTrainMsg{seq: seq, p: ml.Progress{Stage: "read"}}, mlTrainMsg{seq: seq, p: ml.Progress{Stage: "prepare"}})
	for i := 1; i <= n; i++ {
		send(m, mlTrainMsg{seq: seq, p: ml.Progress{Stage: "fit", Iter: i, Loss: 0.46 + 0.233*math.Exp(-float64(i)/4)}})
	}
}

var mlScreens = []struct {
	name  string
	setup func(m *Model)
}{
	{"ml_champion", func(*Model) {}},
	{"ml_roc", func(m *Model) { send(m, "right") }},
	{"ml_importance", func(m *Model) { send(m, "left") }},
	{"ml_challenger", func(m *Model) {
		send(m, "up", mlDetailMsg{target: testInfo.Target, ref: mlRef{"churn", 3}, detail: versionFixture(3)})
	}},
	{"ml_failed_version", func(m *Model) { send(m, "down", "down") }},
	{"ml_confirm", func(m *Model) {
		send(m, "up", mlDetailMsg{target: testInfo.Target, ref: mlRef{"churn", 3}, detail: versionFixture(3)}, "c")
	}},
	{"ml_training", func(m *Model) { trainTo(m, 9) }},
	{"ml_trained", func(m *Model) {
		trainTo(m, 14)
		v := mlOf(m)
		mv := ml.ModelVersion{Name: "churn", Version: 4, Status: "READY", Metrics: map[string]float64{"roc_auc": 0.8133}}
		send(m, mlTrainDoneMsg{seq: v.train.seq, version: &mv})
	}},
	{"ml_compare", func(m *Model) {
		send(m, "v")
		a, b := versionFixture(2), versionFixture(3)
		send(m, mlCompareMsg{target: testInfo.Target, cmp: &ml.Comparison{Name: "churn", A: a, B: b,
			MetricDeltas: map[string]float64{"roc_auc": 0.0053, "accuracy": 0.007, "precision": 0, "recall": 0.01, "f1": 0.03, "log_loss": 0},
			CoefChanges: []ml.CoefChange{{Feature: "recency_days", A: 1.12, B: 1.05, Delta: -0.07},
				{Feature: "tickets", A: 0.41, B: 0.44, Delta: 0.03}, {Feature: "avg_discount", A: 0.1, B: 0.11, Delta: 0.01}}}})
	}},
	{"ml_scores", func(m *Model) {
		send(m, mlScoredMsg{target: testInfo.Target, name: "churn", scored: scoredFixture(), show: true})
	}},
	{"ml_untrained", func(m *Model) {
		send(m, stateMsg(m, &MLState{Target: testInfo.Target}, nil))
	}},
	{"ml_help", func(m *Model) { send(m, "?") }},
	{"ml_unreadable", func(m *Model) {
		send(m, stateMsg(m, nil, errors.New("ml: schema ml is not deployed on target dev: run lakebench bundle deploy")))
	}},
}

// TestGoldenML draws the ML view's screens at 80x24 and 200x60
// (go test ./tui -run TestGoldenML -update rewrites them).
func TestGoldenML(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		for _, sc := range mlScreens {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				m := mlModel(t, size[0], size[1])
				sc.setup(m)
				out := m.View()
				lines := strings.Split(out, "\n")
				if len(lines) != size[1] {
					t.Errorf("%d lines, want %d", len(lines), size[1])
				}
				for i, l := range lines {
					if w := len([]rune(stripANSI(l))); w > size[0] {
						t.Errorf("line %d is %d wide, more than %d", i, w, size[0])
					}
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case r == 0x1b:
			esc = true
		case esc && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			esc = false
		case !esc:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestMLUpdateKeys checks what each key does to the view, and that keys
// that do not apply do nothing.
func TestMLUpdateKeys(t *testing.T) {
	tests := []struct {
		name    string
		keys    []tea.Msg
		cursor  mlRow
		mode    int
		page    int
		asking  bool
		busy    bool
		capture bool
	}{
		{"starts on the champion", nil, mlRow{"churn", 2}, mlDetail, 0, false, false, false},
		{"up to the challenger", []tea.Msg{"up"}, mlRow{"churn", 3}, mlDetail, 0, false, false, false},
		{"up to the model", []tea.Msg{"up", "up"}, mlRow{"churn", 0}, mlDetail, 0, false, false, false},
		{"up stops at the top", []tea.Msg{"up", "up", "up", "k"}, mlRow{"churn", 0}, mlDetail, 0, false, false, false},
		{"down stops at the bottom", []tea.Msg{"down", "down", "j"}, mlRow{"churn", 1}, mlDetail, 0, false, false, false},
		{"pages turn", []tea.Msg{"right", "right"}, mlRow{"churn", 2}, mlDetail, pageImportance, false, false, false},
		{"pages wrap", []tea.Msg{"left"}, mlRow{"churn", 2}, mlDetail, pageImportance, false, false, false},
		{"c on the champion does nothing", []tea.Msg{"c"}, mlRow{"churn", 2}, mlDetail, 0, false, false, false},
		{"c on a failed version does nothing", []tea.Msg{"down", "c"}, mlRow{"churn", 1}, mlDetail, 0, false, false, false},
		{"c asks", []tea.Msg{"up", "c"}, mlRow{"churn", 3}, mlDetail, 0, true, false, true},
		{"n keeps", []tea.Msg{"up", "c", "n"}, mlRow{"churn", 3}, mlDetail, 0, false, false, false},
		{"esc keeps", []tea.Msg{"up", "c", "esc"}, mlRow{"churn", 3}, mlDetail, 0, false, false, false},
		{"the question takes the keys", []tea.Msg{"up", "c", "2", "q", "down"}, mlRow{"churn", 3}, mlDetail, 0, true, false, true},
		{"y promotes", []tea.Msg{"up", "c", "y"}, mlRow{"churn", 3}, mlDetail, 0, false, true, false},
		{"t trains", []tea.Msg{"r"}, mlRow{"churn", 2}, mlTrain, 0, false, true, false},
		{"esc cancels the training", []tea.Msg{"r", "esc"}, mlRow{"churn", 2}, mlTrain, 0, false, true, false},
		{"t twice trains once", []tea.Msg{"r", "r"}, mlRow{"churn", 2}, mlTrain, 0, false, true, false},
		{"s scores", []tea.Msg{"s"}, mlRow{"churn", 2}, mlDetail, 0, false, true, false},
		{"v compares", []tea.Msg{"v"}, mlRow{"churn", 2}, mlCompare, 0, false, false, false},
		{"esc closes the comparison", []tea.Msg{"v", "esc"}, mlRow{"churn", 2}, mlDetail, 0, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mlModel(t, 80, 24)
			send(m, tt.keys...)
			v := mlOf(m)
			r, _ := v.selected()
			if r != tt.cursor || v.mode != tt.mode || v.page != tt.page || (v.ask != nil) != tt.asking || v.Busy() != tt.busy || v.Capturing() != tt.capture {
				t.Errorf("got row %v mode %d page %d asking %v busy %v capturing %v, want %v %d %d %v %v %v",
					r, v.mode, v.page, v.ask != nil, v.Busy(), v.Capturing(), tt.cursor, tt.mode, tt.page, tt.asking, tt.busy, tt.capture)
			}
			if m.active != mlView {
				t.Errorf("the focus moved to view %d", m.active)
			}
		})
	}
}

// TestMLKeysDisabled checks that help offers only the keys that apply.
func TestMLKeysDisabled(t *testing.T) {
	enabled := func(m *Model) map[string]bool {
		out := map[string]bool{}
		for _, g := range mlOf(m).FullHelp() {
			for _, b := range g {
				if b.Enabled() {
					out[b.Help().Key] = true
				}
			}
		}
		return out
	}
	m := mlModel(t, 80, 24)
	got := enabled(m)
	for k, want := range map[string]bool{"r": true, "c": false, "s": true, "p": true, "v": true, "esc": false, "y": false, "←/→": true} {
		if got[k] != want {
			t.Errorf("on the champion: key %s enabled %v, want %v", k, got[k], want)
		}
	}
	send(m, "r")
	got = enabled(m)
	for k, want := range map[string]bool{"r": false, "c": false, "s": false, "v": false, "esc": true} {
		if got[k] != want {
			t.Errorf("while training: key %s enabled %v, want %v", k, got[k], want)
		}
	}
	w := mlModel(t, 200, 60)
	if enabled(w)["←/→"] {
		t.Error("at 200x60 every panel shows: ←/→ should be disabled")
	}
}

// TestMLTrainingStreams: progress messages grow the loss curve and are
// followed by a wait for the next; a message of an earlier training is
// dropped; the end selects the new version and reads the registry again.
func TestMLTrainingStreams(t *testing.T) {
	m := mlModel(t, 80, 24)
	trainTo(m, 5)
	v := mlOf(m)
	if got := len(v.train.loss); got != 5 {
		t.Fatalf("%d loss points after 5 iterations, want 5", got)
	}
	ch := make(chan tea.Msg, 1)
	ch <- mlTrainMsg{seq: v.train.seq, p: ml.Progress{Stage: "fit", Iter: 6, Loss: 0.5}}
	cmd := v.Update(mlTrainMsg{seq: v.train.seq, p: ml.Progress{Stage: "fit", Iter: 6, Loss: 0.5}, ch: ch})
	if cmd == nil {
		t.Fatal("a progress message: no command waiting for the next")
	}
	if next, ok := cmd().(mlTrainMsg); !ok || next.p.Iter != 6 {
		t.Errorf("the wait command returned %#v, want the next progress message", next)
	}
	v.Update(mlTrainMsg{seq: v.train.seq - 1, p: ml.Progress{Stage: "fit", Iter: 7, Loss: 0.1}})
	if got := len(v.train.loss); got != 6 {
		t.Errorf("%d loss points after a stale message, want 6", got)
	}
	mv := ml.ModelVersion{Name: "churn", Version: 4, Status: "READY"}
	cmd = v.Update(mlTrainDoneMsg{seq: v.train.seq, version: &mv})
	if v.Busy() || v.training() {
		t.Error("still busy after the training ended")
	}
	if !v.loading || cmd == nil {
		t.Error("the registry is not read again after training")
	}
	s := mlFixture()
	s.Models[0].Versions = append([]ml.ModelVersion{mv}, s.Models[0].Versions...)
	v.Update(stateMsg(m, s, nil))
	if r, _ := v.selected(); r != (mlRow{"churn", 4}) {
		t.Errorf("selected %v once the registry read shows it, want churn v4", r)
	}
}

// cancelableTrain is the real workspace but for Train, which reports its
// first step and then waits for its context to end.
type cancelableTrain struct{ *Workspace }

func (cancelableTrain) Train(ctx context.Context, _, _ string, progress func(ml.Progress)) (*ml.ModelVersion, error) {
	progress(ml.Progress{Stage: "read"})
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestMLCancelReachesTheContext: esc cancels the context the training
// runs under (the backend's Train returns), and the end says nothing was
// registered.
func TestMLCancelReachesTheContext(t *testing.T) {
	m := New(cancelableTrain{testWS}, Options{Now: func() time.Time { return t0 }})
	m.Update(prepareDoneMsg{info: teamInfo()})
	m.Update(loadedMsg{target: testInfo.Target, snap: testSnap})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	send(m, "3", stateMsg(m, mlFixture(), nil))
	_, cmd := m.Update(keyMsg("r"))
	var wait tea.Cmd
	for _, c := range cmd().(tea.BatchMsg) {
		if msg, ok := c().(mlTrainMsg); ok {
			_, wait = m.Update(msg)
		}
	}
	if wait == nil {
		t.Fatal("training sent no progress")
	}
	send(m, "esc")
	done, ok := wait().(mlTrainDoneMsg)
	if !ok || !errors.Is(done.err, context.Canceled) {
		t.Fatalf("after esc the training ended with %#v, want context.Canceled", done)
	}
	_, cmd = m.Update(done)
	if f, ok := findFlash(cmd()); !ok || !strings.Contains(f.text, "no version registered") {
		t.Errorf("after canceling: got %#v, want a flash saying no version was registered", f)
	}
	if mlOf(m).Busy() {
		t.Error("still busy after the training ended")
	}
}

// lateCancelTrain is the real workspace but for Train, which reports its
// last step, waits for its context to end and registers all the same: an
// esc that comes once the version is written.
type lateCancelTrain struct{ *Workspace }

func (lateCancelTrain) Train(ctx context.Context, _, name string, progress func(ml.Progress)) (*ml.ModelVersion, error) {
	progress(ml.Progress{Stage: "register"})
	<-ctx.Done()
	return &ml.ModelVersion{Name: name, Version: 4, Status: "READY"}, nil
}

// TestMLCancelTooLate: an esc after the version is registered does not say
// nothing was registered: the flash names the version, the list follows it.
func TestMLCancelTooLate(t *testing.T) {
	m := New(lateCancelTrain{testWS}, Options{Now: func() time.Time { return t0 }})
	m.Update(prepareDoneMsg{info: teamInfo()})
	m.Update(loadedMsg{target: testInfo.Target, snap: testSnap})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	send(m, "3", stateMsg(m, mlFixture(), nil))
	_, cmd := m.Update(keyMsg("r"))
	var wait tea.Cmd
	for _, c := range cmd().(tea.BatchMsg) {
		if msg, ok := c().(mlTrainMsg); ok {
			_, wait = m.Update(msg)
		}
	}
	if wait == nil {
		t.Fatal("training sent no progress")
	}
	send(m, "esc")
	done, ok := wait().(mlTrainDoneMsg)
	if !ok || done.err != nil || done.version == nil {
		t.Fatalf("the training ended with %#v, want version 4 registered", done)
	}
	_, cmd = m.Update(done)
	f, ok := findFlash(cmd())
	if !ok || strings.Contains(f.text, "no version registered") || !strings.Contains(f.text, "v4 registered") {
		t.Errorf("after a late esc: got %#v, want a flash saying v4 was registered", f)
	}
	if v := mlOf(m); v.train.canceled || v.follow == nil || v.follow.version != 4 {
		t.Errorf("after a late esc: canceled %v, following %v; want the registered v4 shown and followed", v.train.canceled, v.follow)
	}
}

// findFlash finds the flash among what a command returned.
func findFlash(msg tea.Msg) (flashMsg, bool) {
	switch msg := msg.(type) {
	case flashMsg:
		return msg, true
	case tea.BatchMsg:
		for _, c := range msg {
			if c == nil {
				continue
			}
			if f, ok := findFlash(c()); ok {
				return f, true
			}
		}
	}
	return flashMsg{}, false
}

// TestMLStaleTarget: what was read on a target switched away from is
// dropped.
func TestMLStaleTarget(t *testing.T) {
	m := mlModel(t, 80, 24)
	v := mlOf(m)
	v.Update(mlStateMsg{target: "elsewhere", seq: v.stateSeq, state: &MLState{Target: "elsewhere"}})
	v.Update(mlStateMsg{target: testInfo.Target, seq: v.stateSeq - 1, state: &MLState{Target: testInfo.Target}})
	if len(v.state.Models) != 1 {
		t.Error("a registry read on another target, or an earlier read, replaced the latest")
	}
	before := v.scored
	v.Update(mlScoredMsg{target: "elsewhere", name: "churn", scored: &Scored{}, show: true})
	if v.mode != mlDetail || v.scored != before {
		t.Error("a scoring of another target shows")
	}
}

// TestMLWorkspace goes through the real registry of a copy of the sample
// (its first run trained churn and scored with the champion): the view's
// every backend call, then the view drawn from what they read.
func TestMLWorkspace(t *testing.T) {
	ws := copyWorkspace(t)
	ctx := context.Background()
	target := testInfo.Target
	s, err := ws.ML(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Models) != 1 || s.Models[0].Name != "churn" || len(s.Models[0].Versions) != 1 || s.Models[0].Aliases["champion"] != 1 {
		t.Fatalf("the sample's registry: got %+v, want churn with v1 its champion", s.Models)
	}
	if s.Models[0].Scoring == nil || s.Models[0].Scoring.Version != 1 {
		t.Fatalf("the sample's scoring: got %+v, want one by v1", s.Models[0].Scoring)
	}
	d, err := ws.MLVersion(ctx, target, "churn", 1)
	if err != nil {
		t.Fatal(err)
	}
	if auc := d.Evaluation.Values["roc_auc"]; auc < 0.75 || len(d.Evaluation.ROC) < 3 || len(d.Evaluation.Confusion) != 2 || len(d.Evaluation.Importance) == 0 {
		t.Errorf("churn v1: AUC %v, %d ROC points, %d confusion rows, %d importances; want AUC >= 0.75 and all of them",
			auc, len(d.Evaluation.ROC), len(d.Evaluation.Confusion), len(d.Evaluation.Importance))
	}

	var stages []string
	iters := 0
	mv, err := ws.Train(ctx, target, "churn", func(p ml.Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
		if p.Stage == "fit" && p.Iter > 0 {
			iters++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if mv.Version != 2 || slices.Contains(mv.Aliases, "champion") {
		t.Errorf("trained v%d with aliases %v, want v2 without the champion alias", mv.Version, mv.Aliases)
	}
	if iters == 0 || !slices.Contains(stages, "fit") {
		t.Errorf("training reported stages %v and %d fit iterations, want the fit's iterations", stages, iters)
	}
	if _, err := ws.Train(ctx, target, "nope", nil); err == nil || !strings.Contains(err.Error(), "registered_models") {
		t.Errorf("training a model the bundle lacks: got %v, want an error naming registered_models", err)
	}

	c, err := ws.Compare(ctx, target, "churn", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	for k, delta := range c.MetricDeltas {
		if delta != 0 {
			t.Errorf("v1 and v2 trained on the same rows differ in %s by %v, want identical", k, delta)
		}
	}
	if err := ws.Promote(ctx, target, "churn", "champion", 2); err != nil {
		t.Fatal(err)
	}
	sc, err := ws.Score(ctx, target, "churn", 10)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Scoring.Version != 2 || len(sc.Rows) != 10 || sc.Score != "prob_1" {
		t.Errorf("scored by v%d, %d rows ranked on %q; want v2 (the champion now), 10 rows, prob_1", sc.Scoring.Version, len(sc.Rows), sc.Score)
	}
	at := slices.Index(sc.Columns, sc.Score)
	for i := 1; i < len(sc.Rows); i++ {
		if sc.Rows[i][at] > sc.Rows[i-1][at] {
			t.Errorf("row %d scores %s after %s: want highest first", i, sc.Rows[i][at], sc.Rows[i-1][at])
		}
	}
	top, err := ws.TopScored(ctx, target, "churn", 10)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(top.Rows) != fmt.Sprint(sc.Rows) {
		t.Errorf("the latest scoring's top differs from what scoring returned:\n%v\n%v", top.Rows, sc.Rows)
	}

	// The view, reading all of it through the root as a user would see it.
	m := newModelOn(t, ws, 120, 40)
	send(m, "3")
	pump(t, m, mlOf(m).SetSnapshot(testSnap))
	out := m.View()
	for _, want := range []string{"v2   ★ champion", "confusion matrix", "feature importance", "ROC", "top risk"} {
		if !strings.Contains(out, want) {
			t.Errorf("the view on the real registry lacks %q:\n%s", want, out)
		}
	}
}

// TestMLRegression draws a regression version: its error metrics, its
// training loss where a classifier has its ROC curve, and no confusion
// matrix, at both sizes and on every page.
func TestMLRegression(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		m := newTestModel(t, size[0], size[1])
		send(m, "3")
		s := &MLState{Target: testInfo.Target, Models: []MLModel{{
			RegisteredModel: ml.RegisteredModel{Name: "basket", Task: ml.Regression, LatestVersion: 1, Versions: 1, Aliases: map[string]int{"champion": 1}},
			Versions: []ml.ModelVersion{{Name: "basket", Version: 1, Status: "READY", Aliases: []string{"champion"},
				Metrics: map[string]float64{"rmse": 12.5, "mae": 9.1, "r2": 0.62}}},
		}}}
		d := &ml.VersionDetail{ModelVersion: s.Models[0].Versions[0],
			Run:        ml.Run{Loss: []float64{40, 22, 15, 12.5}, Iterations: 4, Converged: true},
			Evaluation: ml.Metrics{Values: s.Models[0].Versions[0].Metrics, Importance: []ml.Importance{{Feature: "items", Weight: 2}}}}
		send(m, stateMsg(m, s, nil), mlDetailMsg{target: testInfo.Target, ref: mlRef{"basket", 1}, detail: d})
		var out strings.Builder
		for range mlPages {
			out.WriteString(m.View())
			send(m, "right")
		}
		for _, want := range []string{"RMSE", "12.500", "R²", "training loss", "a regression has no confusion matrix", "items"} {
			if size[0] == 80 && want == "a regression has no confusion matrix" {
				continue // the metrics page leaves the matrix out when there is none
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("at %dx%d: %q missing from the pages:\n%s", size[0], size[1], want, out.String())
			}
		}
		if strings.Contains(out.String(), "ROC") {
			t.Errorf("at %dx%d: a regression shows a ROC:\n%s", size[0], size[1], out.String())
		}
	}
}

// TestMLAdHocModelSaysWhyNoTraining: r and s on a model trained with
// lakebench train --table (not in the bundle's registered_models) say why
// the view does not train or score it, instead of doing nothing.
func TestMLAdHocModelSaysWhyNoTraining(t *testing.T) {
	m := New(testWS, Options{Now: func() time.Time { return t0 }})
	info := teamInfo()
	info.RegisteredModels = nil
	m.Update(prepareDoneMsg{info: info})
	m.Update(loadedMsg{target: testInfo.Target, snap: testSnap})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	send(m, "3", stateMsg(m, mlFixture(), nil))
	for _, k := range []string{"r", "s"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s on a model outside the bundle: no message", k)
		}
		if f, ok := findFlash(cmd()); !ok || !f.err || !strings.Contains(f.text, "churn is not in lakebench.yml's registered_models") {
			t.Errorf("%s on a model outside the bundle: got %#v, want a flash saying why", k, f)
		}
		if mlOf(m).training() {
			t.Errorf("%s started a training", k)
		}
	}
}

// TestMLImportanceSigned: a binary model's importance shows each feature's
// signed standardised coefficient, a negative one left of the zero line,
// and long one-hot names whole where the panel has room.
func TestMLImportanceSigned(t *testing.T) {
	m := newTestModel(t, 80, 24)
	v := m.views[2].(*mlview)
	d := &ml.VersionDetail{
		Model: &ml.Model{Coef: [][]float64{{1.25, -0.75}}, Prep: ml.Prep{Features: []ml.FeaturePrep{
			{Column: "recency_days", Outputs: []string{"recency_days"}},
			{Column: "region", Outputs: []string{"region=north-east-coastal"}}}}},
		Evaluation: ml.Metrics{Importance: []ml.Importance{{Feature: "region=north-east-coastal", Weight: 0.75}, {Feature: "recency_days", Weight: 1.25}}},
	}
	out := v.importanceView(d, 70, 4)
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[0], "recency_days") || !strings.Contains(lines[1], "region=north-east-coastal") {
		t.Fatalf("want the larger magnitude first and the long name whole:\n%s", out)
	}
	if !strings.Contains(lines[1], "-0.75") || !strings.Contains(lines[1], "│") || !strings.Contains(lines[0], "1.25") {
		t.Errorf("want the signed coefficients around a zero line:\n%s", out)
	}
}

// TestMLLossCurvesAgree: the live loss curve and the stored one of the same
// fit have the same points: from iteration 0 (the starting point) for an
// optimiser, iteration 1 alone for least squares.
func TestMLLossCurvesAgree(t *testing.T) {
	for _, c := range []struct {
		name string
		iter []int // as progress reports them
	}{{"logistic", []int{0, 1, 2, 3}}, {"least squares", []int{1}}} {
		m := mlModel(t, 80, 24)
		send(m, "up", "r")
		v := mlOf(m)
		seq := v.train.seq
		send(m, mlTrainMsg{seq: seq, p: ml.Progress{Stage: "read"}}, mlTrainMsg{seq: seq, p: ml.Progress{Stage: "prepare"}})
		run := ml.Run{Iterations: c.iter[len(c.iter)-1]}
		for _, i := range c.iter {
			loss := 0.7 / float64(i+1)
			send(m, mlTrainMsg{seq: seq, p: ml.Progress{Stage: "fit", Iter: i, Loss: loss}})
			run.Loss = append(run.Loss, loss)
		}
		if live, stored := v.train.loss, lossPoints(&run); !slices.Equal(live, stored) {
			t.Errorf("%s: live curve %v, stored %v", c.name, live, stored)
		}
	}
}
